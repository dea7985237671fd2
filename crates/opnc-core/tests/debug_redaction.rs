//! Every type that can hold a secret is formatted with `{:?}` holding a known secret, and the secret must not
//! show: one `debug!(?request)` in a log line would otherwise leak passwords, CSRF tokens, OAuth secrets, app
//! passwords or session cookies.

use http::{HeaderMap, HeaderValue, Method, StatusCode};
use opnc_core::error::Server;
use opnc_core::http::{Auth, Body, RawResponse, Request};
use opnc_core::nextcloud::{
    LoginFlow, LoginFlowResult, NextcloudClient, NextcloudCredentials, SetupResponse, SetupValues,
};
use opnc_core::nextcloud_session::{AppPasswordOrigin, NextcloudSession};
use opnc_core::openproject::{OpenProjectAuth, OpenProjectClient};
use opnc_core::pair::SignIn;
use opnc_core::setup::preflight::Facts;
use opnc_core::{HttpClient, HttpConfig, SecretString, ServerUrl, UrlPolicy};

const SECRET: &str = "s3cret-Value-that-must-never-print-9f8e7d";

fn url() -> ServerUrl {
    ServerUrl::parse("https://cloud.example.com", UrlPolicy::default()).unwrap()
}

fn assert_hidden(what: &str, formatted: String) {
    assert!(!formatted.contains(SECRET), "{what} shows the secret in Debug: {formatted}");
    // Base64 of `login:secret`, as a Basic header would carry it.
    let basic = base64_of(&format!("admin:{SECRET}"));
    assert!(!formatted.contains(&basic), "{what} shows the Basic header: {formatted}");
}

fn base64_of(text: &str) -> String {
    use std::fmt::Write;
    // A small encoder, so the test does not trust the code under test to produce what it searches for.
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let bytes = text.as_bytes();
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [chunk[0], *chunk.get(1).unwrap_or(&0), *chunk.get(2).unwrap_or(&0)];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                let _ = out.write_char(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[test]
fn requests_and_bodies_never_show_values() {
    let mut url = url().join("index.php/apps/integration_openproject/setup");
    url.query_pairs_mut().append_pair("token", SECRET);
    let request = Request::new(Server::Nextcloud, Method::POST, url)
        .auth(Auth::Basic { user: "admin".into(), password: SecretString::from(SECRET) })
        .header("requesttoken", SECRET)
        .json(serde_json::json!({ "values": { "openproject_client_secret": SECRET } }));
    let shown = format!("{request:?}");
    assert_hidden("Request", shown.clone());
    assert!(shown.contains("POST") && shown.contains("/index.php/apps/integration_openproject/setup"), "{shown}");
    assert!(shown.contains("requesttoken") && shown.contains("basic"), "names are kept: {shown}");
    let form = Request::new(Server::OpenProject, Method::POST, self::url().join("login"))
        .auth(Auth::Cookie(SecretString::from(format!("_open_project_session={SECRET}"))))
        .form(vec![("password".into(), SECRET.into()), ("authenticity_token".into(), SECRET.into())]);
    assert_hidden("Request with a form", format!("{form:?}"));
    for body in [
        Body::Json(serde_json::json!({ "clientSecret": SECRET })),
        Body::Json(serde_json::json!([SECRET])),
        Body::Form(vec![("secret".into(), SECRET.into())]),
        Body::Raw { content_type: "text/plain".into(), bytes: SECRET.as_bytes().to_vec() },
    ] {
        assert_hidden("Body", format!("{body:?}"));
    }
    for auth in [
        Auth::Basic { user: "admin".into(), password: SecretString::from(SECRET) },
        Auth::Bearer(SecretString::from(SECRET)),
        Auth::Header(SecretString::from(format!("Basic {SECRET}"))),
        Auth::Cookie(SecretString::from(SECRET)),
    ] {
        assert_hidden("Auth", format!("{auth:?}"));
    }
}

#[test]
fn responses_never_show_their_body_or_cookies() {
    let mut headers = HeaderMap::new();
    headers.insert(http::header::SET_COOKIE, HeaderValue::from_str(&format!("nc_session_id={SECRET}")).unwrap());
    let response = RawResponse {
        server: Server::Nextcloud,
        endpoint: "GET /ocs/v2.php/core/getapppassword".into(),
        status: StatusCode::OK,
        headers,
        body: bytes::Bytes::from(format!(r#"{{"ocs":{{"data":{{"apppassword":"{SECRET}"}}}}}}"#)),
    };
    let shown = format!("{response:?}");
    assert_hidden("RawResponse", shown.clone());
    assert!(shown.contains("set-cookie") && shown.contains("200"), "{shown}");
    // Its errors quote the body only redacted.
    assert_hidden("an error from the response", format!("{:?}", response.unparseable("test".into())));
}

#[test]
fn credentials_sessions_and_what_carries_them_never_show_secrets() {
    let credentials = NextcloudCredentials { login_name: "admin".into(), password: SecretString::from(SECRET) };
    assert_hidden("NextcloudCredentials", format!("{credentials:?}"));
    let http = HttpClient::new(HttpConfig::default()).unwrap();
    let client = NextcloudClient::new(http.clone(), url(), Some(credentials.clone()));
    assert_hidden("NextcloudClient", format!("{client:?}"));
    let session = NextcloudSession::with_app_password(client, AppPasswordOrigin::Temporary);
    assert_hidden("NextcloudSession", format!("{session:?}"));
    let op = OpenProjectClient::new(http, url(), OpenProjectAuth::ApiKey(SecretString::from(SECRET)));
    assert_hidden("OpenProjectClient", format!("{op:?}"));
    let values = SetupValues {
        openproject_client_secret: Some(SecretString::from(SECRET)),
        openproject_client_id: Some("id".into()),
        ..SetupValues::default()
    };
    assert_hidden("SetupValues", format!("{values:?}"));
    let answer = SetupResponse {
        nextcloud_client_secret: Some(SecretString::from(SECRET)),
        openproject_user_app_password: Some(SecretString::from(SECRET)),
        ..SetupResponse::default()
    };
    assert_hidden("SetupResponse", format!("{answer:?}"));
    let flow = LoginFlow {
        login_url: "https://cloud.example.com/login/v2/flow/x".into(),
        poll_token: SecretString::from(SECRET),
    };
    assert_hidden("LoginFlow", format!("{flow:?}"));
    let granted =
        LoginFlowResult { server: "s".into(), login_name: "admin".into(), app_password: SecretString::from(SECRET) };
    assert_hidden("LoginFlowResult", format!("{granted:?}"));
    let facts = Facts { previous_openproject_secret: Some(SecretString::from(SECRET)), ..Facts::default() };
    assert_hidden("Facts", format!("{facts:?}"));
    let sign_in = SignIn {
        openproject_url: "https://op.example.com".into(),
        openproject_token: Some(SecretString::from(SECRET)),
        nextcloud_url: "https://cloud.example.com".into(),
        nextcloud_login: Some("admin".into()),
        nextcloud_password: Some(SecretString::from(SECRET)),
        allow_insecure_http: false,
        remember: false,
    };
    assert_hidden("SignIn", format!("{sign_in:?}"));
}
