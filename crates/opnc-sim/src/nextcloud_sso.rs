//! The Nextcloud apps for SSO between OpenProject and Nextcloud, as recorded on a real Nextcloud 34.0.1 with
//! oidc 2.0.9 and user_oidc 8.10.1 (`shared/contracts/recorded/nextcloud-34.0.1-sso-apps.json`, and measured again
//! on the SSO build of `shared/real-nextcloud`):
//! - oidc ("OIDC Identity Provider"): `POST /index.php/apps/oidc/clients` is an index.php route, so Basic auth alone
//!   fails the CSRF check (412) unless `OCS-APIRequest: true` is sent; an app password is enough (no password
//!   confirmation); a malformed redirect URI or a client id outside 32–64 printable characters is a 400 with a
//!   message; `DELETE …/clients/{id}` of an id that does not exist, and a second client with the same client id,
//!   are 500 error pages (measured); no HTTP list.
//! - user_oidc: the provider list works with an app password; every write answers 403 "Password confirmation is
//!   required" unless the account password was sent; `POST provider` fetches the discovery document first (400
//!   "The discovery endpoint is not reachable." / "Invalid discovery endpoint. Missing fields: …"), a second
//!   provider with the same identifier is a 409; `admin-config` only takes POST (GET is a 405, measured), and
//!   `store_login_token` reads back through the provisioning API as "1"/"0" ("" before it was ever set).
//!   Upstream: `H2CK/oidc` `lib/Controller/SettingsController.php`, `nextcloud/user_oidc`
//!   `lib/Controller/OcsApiController.php`, `lib/Service/DiscoveryService.php`.

use axum::body::Bytes;
use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::response::Response;
use axum::routing::{delete, get, patch, post};
use axum::Router;
use http::HeaderMap;
use serde_json::{json, Map, Value};

use crate::common::{alphanumeric, json_response};
use crate::nextcloud::{
    app_admin, csrf_failed, has_ocs_header, not_found_page, ocs, ocs_admin, ocs_not_found, NextcloudSim, OidcClient,
};

/// The routes of both apps; `NextcloudSim::router_with` puts them behind the server's own gates.
pub fn routes() -> Router<NextcloudSim> {
    Router::new()
        .route("/index.php/apps/oidc/clients", post(create_client))
        .route("/index.php/apps/oidc/api/v2/clients", post(create_client))
        .route("/index.php/apps/oidc/clients/{id}", delete(delete_client))
        .route("/index.php/apps/oidc/api/v2/clients/{id}", delete(delete_client))
        .route("/index.php/apps/oidc/clients/token_type/{id}", patch(set_token_type))
        .route("/index.php/apps/oidc/refreshExpire", post(refresh_expire))
        .route("/index.php/settings/admin/oidc_provider", get(admin_page))
        .route("/index.php/apps/oidc/authorize", get(authorize_page).post(authorize))
        .route("/index.php/apps/oidc/token", post(token))
        .route("/index.php/apps/oidc/jwks", get(jwks))
        .route("/ocs/v2.php/apps/user_oidc/api/v1/provider", get(list_providers).post(create_provider))
        .route(
            "/ocs/v2.php/apps/user_oidc/api/v1/provider/{id}",
            axum::routing::put(update_provider).delete(delete_provider),
        )
        .route("/ocs/v2.php/apps/user_oidc/api/v1/admin-config", post(admin_config).get(method_not_allowed))
}

/// The full router of a simulated Nextcloud with the SSO apps' routes.
pub fn app(sim: &NextcloudSim) -> axum::Router {
    sim.router_with(routes())
}

fn message(status: u16, text: &str) -> Response {
    json_response(status, &json!({ "message": text }))
}

/// An index.php route of the oidc app: the app there, an admin, and the CSRF check passed.
async fn oidc_admin(sim: &NextcloudSim, headers: &HeaderMap) -> Result<(), Response> {
    if sim.lock().profile.oidc_version.is_none() {
        return Err(not_found_page().await);
    }
    app_admin(sim, headers).await?;
    if !has_ocs_header(headers) {
        return Err(csrf_failed());
    }
    Ok(())
}

fn valid_redirect(uri: &str) -> bool {
    url::Url::parse(uri).is_ok_and(|u| u.host().is_some() && !u.path().is_empty())
}

async fn create_client(State(sim): State<NextcloudSim>, headers: HeaderMap, body: Bytes) -> Response {
    if let Err(r) = oidc_admin(&sim, &headers).await {
        return r;
    }
    let v: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let text = |key: &str| v.get(key).and_then(Value::as_str).unwrap_or_default().to_owned();
    let (name, redirect) = (text("name"), text("redirectUri"));
    if name.is_empty() || !valid_redirect(&redirect) {
        return message(400, "Could not parse URL or missing host/path for scheme-only URI");
    }
    let client_id = match v.get("clientId").and_then(Value::as_str) {
        Some(id) if !(32..=64).contains(&id.len()) || id.contains(':') || !id.chars().all(|c| c.is_ascii_graphic()) => {
            return message(
                400,
                "Your client ID must comply with the following rules: printable ASCII except : and length 32-64",
            );
        }
        Some(id) => id.to_owned(),
        None => alphanumeric(64),
    };
    let token_type = match text("tokenType").as_str() {
        "opaque" => "opaque",
        _ => "jwt",
    };
    let mut s = sim.lock();
    if s.oidc_clients.iter().any(|c| c.client_id == client_id) {
        // The database's unique index, uncaught (measured: a second client with the same id).
        return server_error_page();
    }
    let id = s.next_id();
    let client = OidcClient {
        id,
        name: name.clone(),
        client_id: client_id.clone(),
        client_secret: v
            .get("clientSecret")
            .and_then(Value::as_str)
            .map(str::to_owned)
            .unwrap_or_else(|| alphanumeric(64)),
        redirect_uri: redirect.clone(),
        token_type: token_type.into(),
    };
    s.oidc_clients.push(client.clone());
    json_response(
        200,
        &json!({
            "id": id, "name": name,
            "redirectUris": [{ "id": id, "client_id": id, "redirect_uri": redirect }],
            "clientId": client_id, "clientSecret": client.client_secret, "signingAlg": "RS256",
            "type": "confidential", "flowType": "code", "flowTypeLabel": "Code Authorization Flow", "groups": [],
            "tokenType": token_type, "allowedScopes": "", "emailRegex": "", "resourceUrl": null
        }),
    )
}

/// The error page a real Nextcloud answers when the client is not there (measured: an uncaught
/// `DoesNotExistException`).
fn server_error_page() -> Response {
    crate::common::typed_response(500, "text/html; charset=utf-8", "<!DOCTYPE html><html class=\"ng-csp\"><head><title>Nextcloud</title></head><body id=\"body-login\"><div class=\"guest-box wide\"><h2>Internal Server Error</h2><p>The server was unable to complete your request.</p></div></body></html>".into())
}

async fn delete_client(State(sim): State<NextcloudSim>, headers: HeaderMap, Path(id): Path<String>) -> Response {
    if let Err(r) = oidc_admin(&sim, &headers).await {
        return r;
    }
    let mut s = sim.lock();
    let before = s.oidc_clients.len();
    s.oidc_clients.retain(|c| c.id.to_string() != id);
    if s.oidc_clients.len() == before {
        return server_error_page();
    }
    json_response(200, &json!([]))
}

async fn set_token_type(
    State(sim): State<NextcloudSim>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    if let Err(r) = oidc_admin(&sim, &headers).await {
        return r;
    }
    let v: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let wanted = v.get("tokenType").and_then(Value::as_str).unwrap_or_default().to_owned();
    let mut s = sim.lock();
    match s.oidc_clients.iter_mut().find(|c| c.id.to_string() == id) {
        Some(c) if matches!(wanted.as_str(), "jwt" | "opaque") => {
            c.token_type = wanted;
            json_response(200, &json!([]))
        }
        Some(_) => message(400, "Invalid token type"),
        None => server_error_page(),
    }
}

/// The oidc app's admin settings page: no API lists the clients, but this page hands them (secrets included) to its
/// script as the initial state `oidc-clients`, base64 JSON (H2CK/oidc `lib/Settings/Admin.php`; measured with
/// Basic auth and with an app password).
async fn admin_page(State(sim): State<NextcloudSim>, headers: HeaderMap) -> Response {
    if sim.lock().profile.oidc_version.is_none() {
        return not_found_page().await;
    }
    if let Err(r) = app_admin(&sim, &headers).await {
        return r;
    }
    use base64::Engine;
    let s = sim.lock();
    let clients: Vec<Value> = s
        .oidc_clients
        .iter()
        .map(|c| {
            json!({
                "id": c.id, "name": c.name,
                "redirectUris": [{ "id": c.id, "client_id": c.id, "redirect_uri": c.redirect_uri }],
                "clientId": c.client_id, "clientSecret": c.client_secret, "signingAlg": "RS256", "type": "confidential",
                "flowType": "code", "flowTypeLabel": "Code Authorization Flow", "groups": [], "tokenType": c.token_type,
                "allowedScopes": "", "emailRegex": "", "resourceUrl": null
            })
        })
        .collect();
    let state = |value: Value| base64::engine::general_purpose::STANDARD.encode(value.to_string());
    let refresh = s.other_config("oidc", "expire_time_refresh");
    let page = format!(
        "<!DOCTYPE html><html class=\"ng-csp\"><head><title>OpenID Connect - Administration settings - Nextcloud</title></head><body id=\"body-settings\"><div id=\"initial-state-container\" style=\"display: none;\"><input type=\"hidden\" id=\"initial-state-oidc-clients\" value=\"{}\"><input type=\"hidden\" id=\"initial-state-oidc-refreshExpireTime\" value=\"{}\"></div><div id=\"oidc\"></div></body></html>",
        state(json!(clients)),
        state(json!(refresh)),
    );
    crate::common::typed_response(200, "text/html; charset=utf-8", page)
}

async fn refresh_expire(State(sim): State<NextcloudSim>, headers: HeaderMap, body: Bytes) -> Response {
    if let Err(r) = oidc_admin(&sim, &headers).await {
        return r;
    }
    let v: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let time = v.get("refreshExpireTime").and_then(Value::as_str).unwrap_or_default().to_owned();
    sim.lock().other_app_config.entry("oidc".into()).or_default().insert("expire_time_refresh".into(), time.clone());
    json_response(200, &json!({ "refresh_expire_time": time }))
}

/// An OCS route of user_oidc: the app there and an admin; `write` also needs password confirmation, which a
/// request authenticated with an app password never has.
async fn user_oidc_admin(sim: &NextcloudSim, headers: &HeaderMap, write: bool) -> Result<(), Response> {
    if sim.lock().profile.user_oidc_version.is_none() {
        // The route of an app that is not there (checked on the real Nextcloud 34.0.1).
        return Err(ocs_not_found(
            "Invalid query, please check the syntax. API specifications are here: http://www.freedesktop.org/wiki/Specifications/open-collaboration-services.\n",
        ));
    }
    let (_, app_token) = ocs_admin(sim, headers).await?;
    if write && app_token.is_some() {
        return Err(ocs(403, "Password confirmation is required", json!([])));
    }
    Ok(())
}

async fn list_providers(State(sim): State<NextcloudSim>, headers: HeaderMap) -> Response {
    if let Err(r) = user_oidc_admin(&sim, &headers, false).await {
        return r;
    }
    let providers = sim.lock().user_oidc_providers.clone();
    ocs(200, "OK", json!(providers))
}

/// The settings a new provider has, as the recorded answer lists them.
fn default_settings() -> Map<String, Value> {
    let mut settings = Map::new();
    for key in [
        "mappingDisplayName",
        "mappingEmail",
        "mappingQuota",
        "mappingUid",
        "mappingGroups",
        "mappingLanguage",
        "mappingLocale",
        "mappingAddress",
        "mappingStreetaddress",
        "mappingPostalcode",
        "mappingLocality",
        "mappingRegion",
        "mappingCountry",
        "mappingWebsite",
        "mappingAvatar",
        "mappingTwitter",
        "mappingFediverse",
        "mappingOrganisation",
        "mappingRole",
        "mappingHeadline",
        "mappingBiography",
        "mappingPhonenumber",
        "mappingGender",
        "mappingPronouns",
        "mappingBirthdate",
    ] {
        settings.insert(key.into(), json!(""));
    }
    for (key, value) in [
        ("uniqueUid", json!(true)),
        ("checkBearer", json!(false)),
        ("sendIdTokenHint", json!(false)),
        ("bearerProvisioning", json!(false)),
        ("extraClaims", json!("")),
        ("providerBasedId", json!(false)),
        ("groupProvisioning", json!(false)),
        ("groupWhitelistRegex", json!("")),
        ("restrictLoginToGroups", json!(false)),
        ("azureGroupNames", json!(false)),
        ("nestedAndFallbackClaims", json!(false)),
    ] {
        settings.insert(key.into(), value);
    }
    settings
}

/// user_oidc's `DiscoveryService` check: the document is fetched and must have these fields.
async fn check_discovery(sim: &NextcloudSim, url: &str) -> Result<(), String> {
    let unreachable = || "The discovery endpoint is not reachable.".to_owned();
    let answer = sim.outbound().get(url).send().await.map_err(|_| unreachable())?;
    if !answer.status().is_success() {
        return Err(unreachable());
    }
    let document: Value = answer.json().await.unwrap_or(Value::Null);
    let missing: Vec<&str> = [
        "issuer",
        "authorization_endpoint",
        "token_endpoint",
        "jwks_uri",
        "response_types_supported",
        "subject_types_supported",
        "id_token_signing_alg_values_supported",
    ]
    .into_iter()
    .filter(|k| document.get(*k).is_none())
    .collect();
    if missing.is_empty() {
        Ok(())
    } else {
        Err(format!("Invalid discovery endpoint. Missing fields: {}", missing.join(", ")))
    }
}

fn provider_json(id: u64, v: &Value, settings: Map<String, Value>) -> Value {
    let text = |key: &str| v.get(key).and_then(Value::as_str).unwrap_or_default().to_owned();
    json!({
        "id": id, "identifier": text("identifier"), "clientId": text("clientId"),
        "discoveryEndpoint": text("discoveryEndpoint"), "endSessionEndpoint": null, "postLogoutUri": null,
        "scope": text("scope"), "settings": settings
    })
}

fn merged_settings(base: Map<String, Value>, v: &Value) -> Map<String, Value> {
    let mut settings = base;
    if let Some(Value::Object(given)) = v.get("settings") {
        for (key, value) in given {
            if settings.contains_key(key) {
                settings.insert(key.clone(), value.clone());
            }
        }
    }
    settings
}

async fn create_provider(State(sim): State<NextcloudSim>, headers: HeaderMap, body: Bytes) -> Response {
    if let Err(r) = user_oidc_admin(&sim, &headers, true).await {
        return r;
    }
    let v: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let identifier = v.get("identifier").and_then(Value::as_str).unwrap_or_default().to_owned();
    let discovery = v.get("discoveryEndpoint").and_then(Value::as_str).unwrap_or_default().to_owned();
    if sim.lock().user_oidc_providers.iter().any(|p| p["identifier"] == json!(identifier)) {
        return ocs(409, "", json!({ "message": "Provider with the given identifier already exists" }));
    }
    if let Err(text) = check_discovery(&sim, &discovery).await {
        return ocs(400, "", json!({ "message": text }));
    }
    let mut s = sim.lock();
    if s.user_oidc_providers.iter().any(|p| p["identifier"] == json!(identifier)) {
        return ocs(409, "", json!({ "message": "Provider with the given identifier already exists" }));
    }
    let id = s.next_id();
    let provider = provider_json(id, &v, merged_settings(default_settings(), &v));
    s.user_oidc_providers.push(provider.clone());
    ocs(200, "OK", provider)
}

async fn update_provider(
    State(sim): State<NextcloudSim>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    if let Err(r) = user_oidc_admin(&sim, &headers, true).await {
        return r;
    }
    let v: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let mut s = sim.lock();
    let Some(existing) =
        s.user_oidc_providers.iter_mut().find(|p| p["id"].as_u64().is_some_and(|n| n.to_string() == id))
    else {
        return ocs(404, "", json!([]));
    };
    let settings = existing.get("settings").and_then(Value::as_object).cloned().unwrap_or_else(default_settings);
    let numeric = existing["id"].as_u64().unwrap_or_default();
    *existing = provider_json(numeric, &v, merged_settings(settings, &v));
    let answer = existing.clone();
    ocs(200, "OK", answer)
}

async fn delete_provider(State(sim): State<NextcloudSim>, headers: HeaderMap, Path(id): Path<String>) -> Response {
    if let Err(r) = user_oidc_admin(&sim, &headers, true).await {
        return r;
    }
    let mut s = sim.lock();
    let before = s.user_oidc_providers.len();
    s.user_oidc_providers.retain(|p| p["id"].as_u64().is_none_or(|n| n.to_string() != id));
    if s.user_oidc_providers.len() == before {
        return ocs(404, "", json!([]));
    }
    ocs(200, "OK", json!([]))
}

async fn admin_config(State(sim): State<NextcloudSim>, headers: HeaderMap, body: Bytes) -> Response {
    if let Err(r) = user_oidc_admin(&sim, &headers, true).await {
        return r;
    }
    let v: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    if let Some(Value::Object(values)) = v.get("values") {
        let mut s = sim.lock();
        let config = s.other_app_config.entry("user_oidc".into()).or_default();
        for (key, value) in values {
            let stored = match value {
                Value::Bool(b) => if *b { "1" } else { "0" }.to_owned(),
                Value::String(text) => text.clone(),
                other => other.to_string(),
            };
            config.insert(key.clone(), stored);
        }
    }
    ocs(200, "OK", json!([]))
}

async fn method_not_allowed() -> Response {
    json_response(405, &json!({ "message": "Method not allowed" }))
}

/// The oidc app's clients as an issuer has them: one redirect URI each, any scope, the client as the audience.
fn issuer_clients(sim: &NextcloudSim) -> Vec<crate::oidc_issuer::IssuerClient> {
    sim.lock()
        .oidc_clients
        .iter()
        .map(|c| crate::oidc_issuer::IssuerClient {
            client_id: c.client_id.clone(),
            secret: c.client_secret.clone(),
            redirect_uris: vec![c.redirect_uri.clone()],
            opaque: c.token_type != "jwt",
            ..Default::default()
        })
        .collect()
}

fn oidc_missing(sim: &NextcloudSim) -> bool {
    sim.lock().profile.oidc_version.is_none()
}

/// The authorization endpoint. A browser without a Nextcloud session is sent to the login page first; the
/// simulator shows that sign-in on the endpoint itself and then redirects as the app does.
async fn authorize_page(State(sim): State<NextcloudSim>, Query(query): Query<HashMap<String, String>>) -> Response {
    if oidc_missing(&sim) {
        return not_found_page().await;
    }
    crate::oidc_issuer::sign_in_page(&query, &issuer_clients(&sim), None)
}

async fn authorize(State(sim): State<NextcloudSim>, body: Bytes) -> Response {
    if oidc_missing(&sim) {
        return not_found_page().await;
    }
    let form: HashMap<String, String> = url::form_urlencoded::parse(&body).into_owned().collect();
    let clients = issuer_clients(&sim);
    let (users, codes) = {
        let s = sim.lock();
        (s.users.clone(), s.oidc_codes.clone())
    };
    let password_ok = |login: &str, password: &str| {
        users.iter().any(|u| u.uid.eq_ignore_ascii_case(login) && u.password == password && u.enabled)
    };
    crate::oidc_issuer::sign_in(&form, &clients, password_ok, &codes)
}

async fn token(State(sim): State<NextcloudSim>, headers: HeaderMap, body: Bytes) -> Response {
    if oidc_missing(&sim) {
        return not_found_page().await;
    }
    let clients = issuer_clients(&sim);
    let (issuer, codes) = {
        let s = sim.lock();
        let host = crate::common::header(&headers, "host").unwrap_or_else(|| "localhost".into());
        (format!("http://{host}{}", s.profile.base_path), s.oidc_codes.clone())
    };
    let policy = crate::oidc_issuer::IssuerPolicy::default();
    crate::oidc_issuer::TokenEndpoint { issuer: &issuer, clients: &clients, policy: &policy, codes: &codes }
        .answer(&headers, &body)
}

async fn jwks(State(sim): State<NextcloudSim>) -> Response {
    if oidc_missing(&sim) {
        return not_found_page().await;
    }
    json_response(200, &crate::oidc_issuer::jwks())
}
