#![allow(dead_code)]

use std::time::Duration;

use opnc_core::nextcloud::{NextcloudClient, NextcloudCredentials};
use opnc_core::openproject::{OpenProjectAuth, OpenProjectClient};
use opnc_core::{HttpClient, HttpConfig, SecretString, ServerUrl, UrlPolicy};
use opnc_sim::nextcloud::demo as nc_demo;
use opnc_sim::openproject::demo as op_demo;

pub fn http() -> HttpClient {
    HttpClient::new(HttpConfig {
        connect_timeout: Duration::from_secs(3),
        read_timeout: Duration::from_secs(10),
        ..HttpConfig::default()
    })
    .expect("client")
}

pub fn url(text: &str) -> ServerUrl {
    ServerUrl::parse(text, UrlPolicy::default()).expect("valid loopback URL")
}

pub fn op(base: &str, token: &str) -> OpenProjectClient {
    OpenProjectClient::new(http(), url(base), OpenProjectAuth::ApiKey(SecretString::from(token)))
}

pub fn op_admin(base: &str) -> OpenProjectClient {
    op(base, op_demo::ADMIN_TOKEN)
}

pub fn nc(base: &str, login: &str, password: &str) -> NextcloudClient {
    NextcloudClient::new(
        http(),
        url(base),
        Some(NextcloudCredentials { login_name: login.into(), password: SecretString::from(password) }),
    )
}

pub fn nc_admin(base: &str) -> NextcloudClient {
    nc(base, nc_demo::ADMIN_LOGIN, nc_demo::ADMIN_PASSWORD)
}

pub fn nc_anonymous(base: &str) -> NextcloudClient {
    NextcloudClient::new(http(), url(base), None)
}

/// A simulated pair set up through the engine, proven, with the journal removed again.
pub async fn connected_pair(options: opnc_core::setup::SetupOptions) -> opnc_sim::SimPair {
    use opnc_core::setup::{apply::Runner, journal::JobStore, plan, preflight};
    let pair = opnc_sim::SimPair::start_default().await.expect("simulators");
    let op = op_admin(&pair.openproject.url());
    let nc = nc_admin(&pair.nextcloud.url());
    let report = preflight::run(&op, &nc, &options).await;
    let plan = plan(&report, op.base(), nc.base(), &options).expect("no blockers");
    let dir =
        std::env::temp_dir().join(format!("opnc-pair-{}-{}", std::process::id(), pair.openproject.server.addr.port()));
    let store = JobStore::new(&dir);
    let outcome = Runner {
        op: &op,
        nc: &nc,
        store: &store,
        progress: &|_| {},
        settle: Duration::ZERO,
        cancel: None,
        account: None,
    }
    .apply(&plan, &report.facts)
    .await;
    assert!(outcome.succeeded(), "{:?}", outcome.job.error);
    let _ = std::fs::remove_dir_all(dir);
    pair
}

/// `options` set up on `pair` by the demo admins, the account password at hand for user_oidc's writes; the apply
/// must succeed.
pub async fn set_up_confirming(pair: &opnc_sim::SimPair, options: &opnc_core::setup::SetupOptions) {
    use opnc_core::setup::{apply::Runner, journal::JobStore, plan, preflight};
    let (op, nc) = (op_admin(&pair.openproject.url()), nc_admin(&pair.nextcloud.url()));
    let report = preflight::run(&op, &nc, options).await;
    let plan = plan(&report, op.base(), nc.base(), options).unwrap_or_else(|b| panic!("{b:#?}"));
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos();
    let store = JobStore::new(std::env::temp_dir().join(format!("opnc-set-up-{}-{nanos:x}", std::process::id())));
    let runner = Runner {
        op: &op,
        nc: &nc,
        store: &store,
        progress: &|_| {},
        settle: Duration::ZERO,
        cancel: None,
        account: Some(&nc),
    };
    let outcome = runner.apply(&plan, &report.facts).await;
    assert!(outcome.succeeded(), "{:#?}", outcome.job);
}

/// A log writer that keeps everything written to it, for tests that search the log for secrets.
#[derive(Clone, Default)]
pub struct Captured(pub std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Captured {
    /// Sends every log event at TRACE here (once per test binary).
    pub fn install() -> Self {
        let captured = Self::default();
        let writer = captured.clone();
        // The faces' own filter at TRACE (the HTML parser's token traces stay off there, as in the apps).
        tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::new(opnc_core::log_directives("trace")))
            .with_writer(move || writer.clone())
            .with_ansi(false)
            .init();
        captured
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

/// Both simulators signed in through the pair API with their demo admins, as the wizard's form would.
pub async fn demo_signed_in(pair: &opnc_sim::SimPair) -> opnc_core::pair::ConnectedPair {
    let request = opnc_core::pair::SignIn {
        openproject_url: pair.openproject.url(),
        openproject_token: Some(op_demo::ADMIN_TOKEN.into()),
        nextcloud_url: pair.nextcloud.url(),
        nextcloud_login: Some(nc_demo::ADMIN_LOGIN.into()),
        nextcloud_password: Some(nc_demo::ADMIN_PASSWORD.into()),
        allow_insecure_http: false,
        remember: false,
    };
    let keychain = opnc_core::keychain::Keychain::new("opnc-test-unused");
    opnc_core::pair::ConnectedPair::sign_in(request, None, None, &keychain, true).await.expect("signed in")
}

/// A loopback TLS server with a self-signed certificate for `localhost` that completes handshakes and answers
/// nothing; returns its port.
pub async fn self_signed_tls_port() -> u16 {
    let cert = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    let key = rustls_pki_types::PrivateKeyDer::Pkcs8(cert.signing_key.serialize_der().into());
    tls_port(vec![cert.cert.der().clone()], key).await
}

/// A loopback TLS server that sends `chain` (its own certificate first) and completes handshakes; its port.
pub async fn tls_port(
    chain: Vec<rustls_pki_types::CertificateDer<'static>>,
    key: rustls_pki_types::PrivateKeyDer<'static>,
) -> u16 {
    let provider = std::sync::Arc::new(tokio_rustls::rustls::crypto::ring::default_provider());
    let config = tokio_rustls::rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(std::sync::Arc::new(config));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let _ = acceptor.accept(socket).await;
            });
        }
    });
    port
}

/// One setup through the engine with short timeouts (700 ms: a 1 s delay is a timeout for the client) and a
/// 1.5 s settle, as the fault matrices need; `with_account`: Nextcloud's account password confirms user_oidc's
/// writes.
pub async fn apply_quickly(
    pair: &opnc_sim::SimPair,
    options: &opnc_core::setup::SetupOptions,
    with_account: bool,
) -> opnc_core::setup::apply::Outcome {
    use opnc_core::setup::{apply::Runner, journal::JobStore, plan, preflight};
    let http = HttpClient::new(HttpConfig {
        read_timeout: Duration::from_millis(700),
        total_timeout: Duration::from_secs(5),
        ..HttpConfig::default()
    })
    .unwrap();
    let op = OpenProjectClient::new(
        http.clone(),
        url(&pair.openproject.url()),
        OpenProjectAuth::ApiKey(SecretString::from(op_demo::ADMIN_TOKEN)),
    );
    let nc = NextcloudClient::new(
        http,
        url(&pair.nextcloud.url()),
        Some(NextcloudCredentials {
            login_name: nc_demo::ADMIN_LOGIN.into(),
            password: SecretString::from(nc_demo::ADMIN_PASSWORD),
        }),
    );
    let report = preflight::run(&op, &nc, options).await;
    let plan =
        plan(&report, op.base(), nc.base(), options).unwrap_or_else(|blockers| panic!("blockers: {blockers:#?}"));
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos();
    let store = JobStore::new(std::env::temp_dir().join(format!("opnc-engine-{}-{nanos:x}", std::process::id())));
    let runner = Runner {
        op: &op,
        nc: &nc,
        store: &store,
        progress: &|_| {},
        settle: Duration::from_millis(1500),
        cancel: None,
        account: with_account.then_some(&nc),
    };
    runner.apply(&plan, &report.facts).await
}
