//! Property tests over every response parser: arbitrary bytes and arbitrary JSON built from the keys the
//! parsers look for never panic, and always end as a value or a typed error. The whole client path is
//! exercised (a loopback server answers with the generated body). Run longer with `PROPTEST_CASES=N`.

use std::sync::{Arc, Mutex, OnceLock};
use std::time::Instant;

use axum::response::IntoResponse;
use axum::Router;
use proptest::prelude::*;
use serde_json::{Map, Value};

use opnc_core::nextcloud::{NextcloudClient, NextcloudCredentials};
use opnc_core::openproject::{OpenProjectAuth, OpenProjectClient};
use opnc_core::{HttpClient, HttpConfig, SecretString, ServerUrl, UrlPolicy};

const KEYS: &[&str] = &[
    "_type",
    "id",
    "name",
    "_embedded",
    "elements",
    "_links",
    "origin",
    "href",
    "oauthApplication",
    "clientId",
    "clientSecret",
    "redirectUri",
    "configured",
    "hasApplicationPassword",
    "coreVersion",
    "hostName",
    "errorIdentifier",
    "message",
    "details",
    "attribute",
    "errors",
    "total",
    "count",
    "ocs",
    "meta",
    "data",
    "version",
    "major",
    "capabilities",
    "integration_openproject",
    "app_version",
    "installed",
    "maintenance",
    "error",
    "status",
    "result",
    "poll",
    "token",
    "login",
    "appPassword",
    "loginName",
    "server",
    "nextcloud_client_id",
    "nextcloud_client_secret",
    "groups",
    "apps",
    "authorization_header",
    "project",
];
const TYPES: &[&str] =
    &["Root", "Configuration", "User", "Storage", "Collection", "Error", "OAuthClientCredentials", "Project"];

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_filter("finite", |f| f.is_finite()).prop_map(Value::from),
        prop::sample::select(TYPES).prop_map(Value::from),
        ".{0,40}".prop_map(Value::from),
    ];
    leaf.prop_recursive(5, 64, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((prop::sample::select(KEYS), inner), 0..8).prop_map(|pairs| {
                Value::Object(pairs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect::<Map<_, _>>())
            }),
        ]
    })
}

struct Served {
    url: String,
    answer: Arc<Mutex<(u16, Vec<u8>)>>,
    runtime: tokio::runtime::Runtime,
}

fn served() -> &'static Served {
    static SERVED: OnceLock<Served> = OnceLock::new();
    SERVED.get_or_init(|| {
        let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
        let answer = Arc::new(Mutex::new((200, b"{}".to_vec())));
        let shared = answer.clone();
        let router = Router::new().fallback(move || {
            let shared = shared.clone();
            async move {
                let (status, body) = shared.lock().unwrap().clone();
                (http::StatusCode::from_u16(status).unwrap(), [(http::header::CONTENT_TYPE, "application/json")], body)
                    .into_response()
            }
        });
        let listener = runtime.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        runtime.spawn(async move { axum::serve(listener, router).await.ok() });
        Served { url, answer, runtime }
    })
}

/// Runs every parser against one answer; returns how many calls produced a typed error.
fn every_parser(status: u16, body: Vec<u8>) -> usize {
    static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());
    // The tests run in parallel and share one server: each holds it for all its calls.
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner());
    let s = served();
    *s.answer.lock().unwrap() = (status, body);
    let http = HttpClient::new(HttpConfig::default()).unwrap();
    let base = ServerUrl::parse(&s.url, UrlPolicy::default()).unwrap();
    let op = OpenProjectClient::new(http.clone(), base.clone(), OpenProjectAuth::ApiKey(SecretString::from("t")));
    let nc = NextcloudClient::new(
        http,
        base.clone(),
        Some(NextcloudCredentials { login_name: "a".into(), password: SecretString::from("b") }),
    );
    s.runtime.block_on(async {
        let results: Vec<bool> = vec![
            op.root().await.is_err(),
            op.configuration().await.is_err(),
            op.me().await.is_err(),
            op.storages().await.is_err(),
            op.storage(1).await.is_err(),
            op.projects(&[], 10, 1).await.is_err(),
            op.project_storages(&[]).await.is_err(),
            nc.status().await.is_err(),
            nc.capabilities().await.is_err(),
            nc.current_user().await.is_err(),
            nc.enabled_apps().await.is_err(),
            nc.check_admin_config().await.is_err(),
            nc.project_folder_status().await.is_err(),
            nc.check_config().await.is_err(),
            nc.is_valid_op_instance(&base).await.is_err(),
            nc.app_config_keys("x").await.is_err(),
            nc.start_login_flow().await.is_err(),
            nc.update_setup(&Default::default(), &opnc_core::version::v(3, 1, 1)).await.is_err(),
        ];
        results.into_iter().filter(|e| *e).count()
    })
}

fn status() -> impl Strategy<Value = u16> {
    prop_oneof![
        Just(200u16),
        Just(201),
        Just(204),
        Just(400),
        Just(401),
        Just(403),
        Just(404),
        Just(409),
        Just(412),
        Just(422),
        Just(500),
        100u16..600
    ]
    .prop_filter("valid", |s| (200..600).contains(s))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, .. ProptestConfig::default() })]

    #[test]
    fn arbitrary_json_never_panics_a_client(status in status(), value in json_value()) {
        every_parser(status, value.to_string().into_bytes());
    }

    #[test]
    fn arbitrary_bytes_never_panic_a_client(status in status(), body in prop::collection::vec(any::<u8>(), 0..512)) {
        let errors = every_parser(status, body.clone());
        if serde_json::from_slice::<Value>(&body).is_err() {
            prop_assert_eq!(errors, 18, "a body that is not JSON is an error for every parser");
        }
    }

    #[test]
    fn error_body_parsers_never_panic(status in 100u16..600, value in json_value(), bytes in prop::collection::vec(any::<u8>(), 0..256)) {
        let _ = opnc_core::openproject::parse_error_body(status, value.to_string().as_bytes());
        let _ = opnc_core::nextcloud::parse_error_body(status, value.to_string().as_bytes());
        let _ = opnc_core::openproject::parse_error_body(status, &bytes);
        let _ = opnc_core::nextcloud::parse_error_body(status, &bytes);
    }

    #[test]
    fn excerpts_are_bounded_and_hide_planted_secrets(value in json_value(), secret in "[A-Za-z0-9]{30,60}") {
        let mut planted = value;
        if let Value::Object(map) = &mut planted {
            map.insert("client_secret".into(), Value::from(secret.clone()));
        } else {
            planted = serde_json::json!({ "wrapped": planted, "appPassword": secret.clone() });
        }
        let excerpt = opnc_core::http::redacted_excerpt(planted.to_string().as_bytes());
        prop_assert!(excerpt.chars().count() <= 301);
        prop_assert!(!excerpt.contains(&secret));
        let text = format!("<html>{secret}</html>");
        prop_assert!(!opnc_core::http::redacted_excerpt(text.as_bytes()).contains(&secret));
    }

    #[test]
    fn urls_parse_without_panics_and_normalise_idempotently(input in ".{0,80}", host in "[a-z]{1,12}(\\.[a-z]{2,6}){0,2}", path in "(/[a-z0-9]{0,6}){0,4}/{0,3}") {
        let _ = ServerUrl::parse(&input, UrlPolicy::default());
        let text = format!("https://{host}{path}");
        if let Ok(u) = ServerUrl::parse(&text, UrlPolicy::default()) {
            prop_assert!(!u.as_str().ends_with('/'));
            let again = ServerUrl::parse(u.as_str(), UrlPolicy::default()).unwrap();
            prop_assert_eq!(again.as_str(), u.as_str());
            let with_slash = format!("{}/", u.as_str());
            prop_assert!(u.same_server(&with_slash));
        }
    }

    #[test]
    fn html_readers_never_panic_on_arbitrary_text(text in ".{0,300}", tagged in "(<[a-z-]{1,12}( [a-z]{1,5}(=(\"[^\"]{0,8}\"|'[^']{0,8}'|[a-z0-9&;#]{0,8}))?){0,3} ?/?>|</[a-z]{1,6}>|<!--|-->|&[a-z#0-9]{0,6};?|[^<&]{0,10}){0,40}") {
        for input in [text.as_str(), tagged.as_str()] {
            let _ = opnc_core::html_scan::tags(input);
            let _ = opnc_core::html_scan::text(input);
            let _ = opnc_core::html_scan::turbo_streams(input);
            let _ = opnc_core::openproject_web::parse_health_report(input);
        }
    }

    #[test]
    fn attribute_values_round_trip_through_escaping(value in "[^\u{0}]{0,60}", quote in prop::bool::ANY) {
        let escaped = value.replace('&', "&amp;").replace('"', "&quot;").replace('\'', "&#39;").replace('<', "&lt;").replace('>', "&gt;");
        let html = if quote {
            format!("<p>x</p><input id=\"openproject_oauth_application_secret\" value=\"{escaped}\" readonly>")
        } else {
            format!("<input value='{escaped}' id=x>")
        };
        let tags = opnc_core::html_scan::tags(&html);
        let input = tags.iter().find(|t| t.name == "input").expect("the input is found");
        // As in a browser, HTML5 turns CR and CR LF into LF before anything else (OpenProject's secrets have none).
        let seen = value.replace("\r\n", "\n").replace('\r', "\n");
        prop_assert_eq!(input.attr("value"), Some(seen.as_str()));
    }

    #[test]
    fn versions_parse_without_panics(input in ".{0,30}", a in 0u64..100, b in 0u64..100, c in 0u64..100) {
        let _ = opnc_core::version::parse_server_version(&input);
        prop_assert_eq!(opnc_core::version::parse_server_version(&format!("{a}.{b}.{c}")), Some(opnc_core::version::v(a, b, c)));
    }
}

#[test]
fn report_how_long_the_properties_ran() {
    // A fixed extra run with timing, so the figure appears in the test output.
    let started = Instant::now();
    let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig { cases: 200, ..ProptestConfig::default() });
    let result = runner.run(&(status(), json_value()), |(status, value)| {
        every_parser(status, value.to_string().into_bytes());
        Ok(())
    });
    assert!(result.is_ok(), "{result:?}");
    eprintln!("parser property run: 200 cases × 18 client calls in {:.2?}", started.elapsed());
}
