//! The HTTP foundation against misbehaving servers: every bad answer is a typed error, never a panic.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use common::*;
use opnc_core::error::{ConnectCause, TlsProblem};
use opnc_core::{ErrorCode, ErrorKind, HttpClient, HttpConfig};
use opnc_sim::{Fault, FaultAction, SimPair};

async fn spawn(router: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await.ok() });
    format!("http://{addr}")
}

fn quick_http() -> HttpClient {
    HttpClient::new(HttpConfig {
        connect_timeout: Duration::from_secs(2),
        read_timeout: Duration::from_millis(500),
        total_timeout: Duration::from_secs(3),
        ..HttpConfig::default()
    })
    .unwrap()
}

#[tokio::test]
async fn credentials_never_follow_a_redirect_to_another_host() {
    let hits = Arc::new(AtomicUsize::new(0));
    let seen = hits.clone();
    let other = spawn(Router::new().fallback(move || {
        let seen = seen.clone();
        async move {
            seen.fetch_add(1, Ordering::SeqCst);
            axum::Json(serde_json::json!({ "_type": "Root" }))
        }
    }))
    .await;
    let target = format!("{other}/api/v3");
    let redirecting = spawn(Router::new().fallback(move || {
        let target = target.clone();
        async move { (http::StatusCode::FOUND, [(http::header::LOCATION, target)]).into_response() }
    }))
    .await;
    let err = op_admin(&redirecting).root().await.unwrap_err();
    assert_eq!(err.code(), ErrorCode::RedirectedToOtherHost);
    assert!(err.message().contains(&other), "{}", err.message());
    assert_eq!(hits.load(Ordering::SeqCst), 0, "the other host must not even be contacted");
}

#[tokio::test]
async fn same_origin_redirects_are_followed() {
    let router = Router::new()
        .route("/old/status.php", get(|| async { (http::StatusCode::MOVED_PERMANENTLY, [(http::header::LOCATION, "/new/status.php")]).into_response() }))
        .route("/new/status.php", get(|| async { axum::Json(serde_json::json!({ "installed": true, "maintenance": false, "version": "34.0.1.2", "versionstring": "34.0.1" })) }));
    let base = spawn(router).await;
    let status = nc_anonymous(&format!("{base}/old")).status().await.unwrap();
    assert!(status.installed);
}

#[tokio::test]
async fn an_html_login_page_is_named_as_such() {
    let base = spawn(Router::new().fallback(|| async {
        (
            [(http::header::CONTENT_TYPE, "text/html")],
            "<!DOCTYPE html><html><body><form>Sign in to continue</form></body></html>",
        )
            .into_response()
    }))
    .await;
    let err = op_admin(&base).root().await.unwrap_err();
    match &err.kind {
        ErrorKind::UnparseableBody { reason, excerpt, status, .. } => {
            assert!(reason.contains("HTML"), "{reason}");
            assert!(excerpt.contains("Sign in"), "the excerpt is kept: {excerpt}");
            assert_eq!(*status, 200);
        }
        other => panic!("expected UnparseableBody, got {other:?}"),
    }
    assert!(err.hint().contains("login portal"));
}

#[tokio::test]
async fn invalid_json_and_wrong_shapes_are_unparseable() {
    let base = spawn(
        Router::new()
            .route(
                "/status.php",
                get(|| async {
                    ([(http::header::CONTENT_TYPE, "application/json")], "{\"installed\": tru").into_response()
                }),
            )
            .route("/api/v3", get(|| async { axum::Json(serde_json::json!([1, 2, 3])) }))
            .route("/api/v3/configuration", get(|| async { axum::Json(serde_json::json!({ "_type": "Error" })) })),
    )
    .await;
    let err = nc_anonymous(&base).status().await.unwrap_err();
    assert!(
        matches!(&err.kind, ErrorKind::UnparseableBody { reason, .. } if reason.contains("invalid JSON")),
        "{err:?}"
    );
    let err = op_admin(&base).root().await.unwrap_err();
    assert_eq!(err.code(), ErrorCode::UnparseableBody);
    let err = op_admin(&base).configuration().await.unwrap_err();
    assert_eq!(err.code(), ErrorCode::UnparseableBody, "an Error resource with status 200 is not a configuration");
}

#[tokio::test]
async fn a_ten_megabyte_body_is_refused() {
    let base = spawn(Router::new().route("/status.php", get(|| async { "x".repeat(10 * 1024 * 1024) })).route(
        "/api/v3",
        get(|| async {
            // Chunked, without Content-Length: the limit must hold while reading.
            let chunks =
                (0..12).map(|_| Ok::<_, std::convert::Infallible>(bytes::Bytes::from(vec![b'x'; 1024 * 1024])));
            Response::new(axum::body::Body::from_stream(futures_util::stream::iter(chunks)))
        }),
    ))
    .await;
    let err = nc_anonymous(&base).status().await.unwrap_err();
    assert_eq!(err.code(), ErrorCode::ResponseTooLarge);
    let err = op_admin(&base).root().await.unwrap_err();
    assert_eq!(err.code(), ErrorCode::ResponseTooLarge);
}

#[tokio::test]
async fn a_server_that_never_answers_times_out() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    // Accepts and then says nothing.
    tokio::spawn(async move {
        let mut open = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            open.push(socket);
        }
    });
    let client = opnc_core::nextcloud::NextcloudClient::new(quick_http(), url(&format!("http://{addr}")), None);
    let started = std::time::Instant::now();
    let err = client.status().await.unwrap_err();
    assert_eq!(err.code(), ErrorCode::Timeout, "{err:?}");
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[tokio::test]
async fn a_dropped_connection_and_a_refused_one() {
    let pair = SimPair::start_default().await.unwrap();
    pair.nextcloud.server.control.add_fault(Fault::on(http::Method::GET, "/status.php", 1, FaultAction::Drop));
    let err = nc_anonymous(&pair.nextcloud.url()).status().await.unwrap_err();
    assert_eq!(err.code(), ErrorCode::ConnectionDropped, "{err:?}");
    assert!(nc_anonymous(&pair.nextcloud.url()).status().await.is_ok(), "only the first request was dropped");

    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let err = nc_anonymous(&format!("http://127.0.0.1:{closed}")).status().await.unwrap_err();
    assert_eq!(err.code(), ErrorCode::ConnectionRefused, "{err:?}");
    assert!(matches!(err.kind, ErrorKind::CouldNotConnect { cause: ConnectCause::Refused, .. }));
}

#[tokio::test]
async fn an_unknown_host_name_is_a_dns_failure() {
    let client = opnc_core::nextcloud::NextcloudClient::new(
        quick_http(),
        opnc_core::ServerUrl::parse("https://no-such-host.invalid", Default::default()).unwrap(),
        None,
    );
    let err = client.status().await.unwrap_err();
    assert_eq!(err.code(), ErrorCode::DnsFailed, "{err:?}");
    assert!(err.hint().contains("DNS"));
}

#[tokio::test]
async fn a_self_signed_certificate_is_named() {
    let port = self_signed_tls_port().await;
    let client =
        opnc_core::nextcloud::NextcloudClient::new(quick_http(), url(&format!("https://localhost:{port}")), None);
    let err = client.status().await.unwrap_err();
    assert_eq!(err.code(), ErrorCode::TlsCertificate, "{err:?}");
    assert!(
        matches!(err.kind, ErrorKind::CouldNotConnect { cause: ConnectCause::Tls(TlsProblem::UnknownIssuer), .. }),
        "{err:?}"
    );
    assert!(err.hint().contains("certificates:import"), "the fix on the other server is named: {}", err.hint());
}

#[tokio::test]
async fn a_secret_never_appears_in_errors() {
    let secret = "hunter2-SECRET-token-value-0123456789";
    let base = spawn(Router::new().fallback(|| async { (http::StatusCode::UNAUTHORIZED, "{}").into_response() })).await;
    let err = op(&base, secret).root().await.unwrap_err();
    for text in [err.message(), err.hint(), format!("{err:?}"), serde_json::to_string(&err.view()).unwrap()] {
        assert!(!text.contains(secret), "leaked in {text}");
    }
}
