//! What the desktop app holds while it runs: the signed-in pair (credentials in memory only), the demo
//! simulators, and the job journal in the app data folder.

use opnc_core::pair::{ConnectedPair, DemoServers, PairError, PairSummary, SignIn};
use opnc_core::setup::journal::JobStore;
use opnc_core::ErrorView;
use opnc_sim::nextcloud::demo as nc_demo;
use opnc_sim::openproject::demo as op_demo;
use opnc_sim::SimPair;
use tokio::sync::Mutex;

pub struct AppState {
    pub pair: Mutex<Option<ConnectedPair>>,
    pub demo: Mutex<Option<SimPair>>,
    pub jobs: JobStore,
    pub keychain: opnc_core::keychain::Keychain,
    /// The app password a browser sign-in produced, until the sign-in uses it (memory only).
    pub browser_credentials: Mutex<Option<opnc_core::nextcloud::NextcloudCredentials>>,
    pub cancel_browser: std::sync::atomic::AtomicBool,
    pub cancel_apply: std::sync::atomic::AtomicBool,
    /// Stops watching OpenProject during a hand-off.
    pub cancel_watch: std::sync::atomic::AtomicBool,
    /// OpenProject's browser session from the sign-in window, until the sign-in uses it (memory only).
    pub op_session: Mutex<Option<opnc_core::openproject_web::WebSession>>,
    /// The demo's external identity provider (SSO), beside the demo servers.
    pub demo_idp: Mutex<Option<opnc_sim::idp::RunningIdp>>,
    /// What an SSO setup left for OpenProject's OpenID provider form, with the client secret of the oidc client it
    /// made (memory only; shown masked, revealed on request, or used to make the provider on OpenProject's page).
    pub handoff: Mutex<Option<opnc_core::setup::sso::ProviderHandoff>>,
    /// The last diagnosis, for "Export report" (it holds no secret).
    pub last_diagnosis: Mutex<Option<opnc_core::doctor::Diagnosis>>,
    /// The report opened from a file, while it is shown (what "Compare with an earlier report" compares).
    pub opened_report: Mutex<Option<opnc_core::doctor::Diagnosis>>,
    /// The language the window shows, which its native dialogs speak too.
    pub language: std::sync::Mutex<opnc_core::catalogue::Language>,
    /// The demo's next apply fails on purpose: its dialog says so instead of advising a fix.
    pub simulated_failure: std::sync::atomic::AtomicBool,
    /// The folder of the last report saved or opened, where the report dialogs start.
    pub report_folder: std::sync::Mutex<Option<std::path::PathBuf>>,
}

impl AppState {
    pub fn new() -> Self {
        Self {
            pair: Mutex::new(None),
            demo: Mutex::new(None),
            language: std::sync::Mutex::new(opnc_core::catalogue::Language::from_environment()),
            simulated_failure: std::sync::atomic::AtomicBool::new(false),
            report_folder: std::sync::Mutex::new(None),
            jobs: JobStore::in_user_data_folder(),
            keychain: opnc_core::keychain::Keychain::default(),
            browser_credentials: Mutex::new(None),
            cancel_browser: std::sync::atomic::AtomicBool::new(false),
            cancel_apply: std::sync::atomic::AtomicBool::new(false),
            cancel_watch: std::sync::atomic::AtomicBool::new(false),
            op_session: Mutex::new(None),
            demo_idp: Mutex::new(None),
            handoff: Mutex::new(None),
            last_diagnosis: Mutex::new(None),
            opened_report: Mutex::new(None),
        }
    }

    pub async fn sign_in(&self, request: SignIn) -> Result<PairSummary, ErrorView> {
        let browser = self.browser_credentials.lock().await.clone();
        let op_session = self.op_session.lock().await.clone();
        let simulated = self.demo.lock().await.as_ref().is_some_and(|sims| {
            request.openproject_url.trim_end_matches('/') == sims.openproject.url().trim_end_matches('/')
        });
        let pair = ConnectedPair::sign_in(request, browser, op_session, &self.keychain, simulated).await?;
        *self.browser_credentials.lock().await = None;
        *self.op_session.lock().await = None;
        Ok(self.keep(pair).await)
    }

    /// Signs out: a browser sign-in's app password that was not remembered is revoked; every credential the app
    /// held in memory is dropped.
    pub async fn sign_out(&self) -> bool {
        *self.op_session.lock().await = None;
        *self.browser_credentials.lock().await = None;
        *self.handoff.lock().await = None;
        let pair = self.pair.lock().await.take();
        match pair {
            Some(pair) => pair.sign_out().await,
            None => false,
        }
    }

    pub async fn keep(&self, pair: ConnectedPair) -> PairSummary {
        let summary = pair.summary.clone();
        *self.pair.lock().await = Some(pair);
        summary
    }

    pub async fn start_demo(&self) -> Result<PairSummary, ErrorView> {
        let sims = start_sims().await?;
        self.start_demo_idp().await?;
        let request = SignIn {
            openproject_url: sims.openproject.url(),
            openproject_token: Some(op_demo::ADMIN_TOKEN.into()),
            nextcloud_url: sims.nextcloud.url(),
            nextcloud_login: Some(nc_demo::ADMIN_LOGIN.into()),
            nextcloud_password: Some(nc_demo::ADMIN_PASSWORD.into()),
            allow_insecure_http: false,
            remember: false,
        };
        let pair = ConnectedPair::sign_in(request, None, None, &self.keychain, true).await?;
        *self.demo.lock().await = Some(sims);
        Ok(self.keep(pair).await)
    }

    /// Demo servers for signing in by hand: OpenProject in its window, Nextcloud with the demo account.
    pub async fn start_demo_servers(&self) -> Result<DemoServers, ErrorView> {
        let sims = start_sims().await?;
        self.start_demo_idp().await?;
        let servers = DemoServers {
            openproject_url: sims.openproject.url(),
            nextcloud_url: sims.nextcloud.url(),
            openproject_login: "admin".into(),
            openproject_password: op_demo::PASSWORD.into(),
            nextcloud_login: nc_demo::ADMIN_LOGIN.into(),
            nextcloud_password: nc_demo::ADMIN_PASSWORD.into(),
        };
        *self.demo.lock().await = Some(sims);
        Ok(servers)
    }
}

impl AppState {
    /// The demo's identity provider, for SSO through an external one.
    async fn start_demo_idp(&self) -> Result<(), ErrorView> {
        let idp = opnc_sim::idp::RunningIdp::start(Default::default(), opnc_sim::loopback(0))
            .await
            .map_err(|e| PairError::DemoUnavailable(e.to_string()).view())?;
        *self.demo_idp.lock().await = Some(idp);
        Ok(())
    }

    pub async fn fail_next_apply(&self) -> Result<(), ErrorView> {
        let demo = self.demo.lock().await;
        let sims = demo.as_ref().ok_or(PairError::DemoOnly)?;
        sims.nextcloud.server.control.add_fault(opnc_sim::Fault::on(
            http::Method::POST,
            "/apps/integration_openproject/setup",
            1,
            opnc_sim::FaultAction::Status { status: 500, body: r#"{"error":"Simulated failure for the demo"}"#.into() },
        ));
        self.simulated_failure.store(true, std::sync::atomic::Ordering::SeqCst);
        Ok(())
    }
}

/// The demo servers can be connected either way: two-way OAuth, or SSO (OpenProject with the Enterprise feature,
/// Nextcloud with the oidc and user_oidc apps).
async fn start_sims() -> Result<SimPair, ErrorView> {
    let mut op = opnc_sim::OpenProjectProfile::v17();
    op.available_features.extend(["nextcloud_sso".into(), "sso_auth_providers".into()]);
    let nc = opnc_sim::NextcloudProfile { allow_local_remote_servers: true, ..opnc_sim::NextcloudProfile::nc34() };
    SimPair::start(op, nc.with_sso_apps(), opnc_sim::loopback(0), opnc_sim::loopback(0))
        .await
        .map_err(|e| PairError::DemoUnavailable(e.to_string()).view())
}

impl Default for AppState {
    fn default() -> Self {
        Self::new()
    }
}

/// Where the app writes its logs.
pub struct LogFolder(pub std::path::PathBuf);
