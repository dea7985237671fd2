//! The pair API: both servers signed in, and every operation a face offers as one call here. The desktop's
//! Tauri commands and the CLI's commands are delegates; each face supplies only where its credentials come from,
//! its prompts or dialogs, and its rendering. Split by concern: signing in (this file), review and apply
//! (`setup`), the connection's management (`manage`), and the hand-offs and watches (`handoff`).

mod failure;
mod handoff;
mod manage;
mod setup;

use serde::{Deserialize, Serialize};

pub use failure::{Cancelled, PairError, Watched};
pub use handoff::{nextcloud_browser_sign_in, resolve_address, LOGIN_FLOW_LIFETIME};
pub use manage::{diagnose_with, DiagnosisSession, ProjectChoice, ResetImpact};
pub use setup::{ApplyResult, Confirmation, Review};

pub use crate::setup::connection::{ConnectionState, DeleteImpact, Deleted};

use crate::error::Server;
use crate::http::{HttpClient, HttpConfig};
use crate::keychain::Keychain;
use crate::nextcloud::{NextcloudClient, NextcloudCredentials};
use crate::nextcloud_session::{AppPasswordOrigin, NextcloudSession};
use crate::openproject::{OpenProjectAuth, OpenProjectClient};
use crate::openproject_web::{AdminPages, WebSession};
use crate::secret::SecretString;
use crate::server_url::{ServerUrl, UrlPolicy};
use crate::setup::preflight::{self, Facts};
use crate::setup::{Plan, SetupOptions};

/// What the wizard's sign-in form gives. Secrets come in, never go back out.
#[derive(Debug, Clone, Deserialize, ts_rs::TS)]
pub struct SignIn {
    pub openproject_url: String,
    /// Empty: the token remembered in the system keyring.
    #[ts(type = "string | null")]
    pub openproject_token: Option<SecretString>,
    pub nextcloud_url: String,
    /// Empty (with the password): a browser sign-in's app password, or the keyring's.
    pub nextcloud_login: Option<String>,
    #[ts(type = "string | null")]
    pub nextcloud_password: Option<SecretString>,
    pub allow_insecure_http: bool,
    /// Keep both credentials in the system keyring once they are proven to work.
    pub remember: bool,
}

/// One side as a pane shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct SideSummary {
    pub server: Server,
    pub url: String,
    /// Known when the administrators were proven at sign-in.
    pub version: Option<String>,
    /// The signed-in administrator (empty when not proven at sign-in).
    pub admin: String,
}

#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct PairSummary {
    pub openproject: SideSummary,
    pub nextcloud: SideSummary,
    /// Simulated servers (demo mode), said so everywhere it matters.
    pub simulated: bool,
    /// Signed in to OpenProject's web interface too (the sign-in window): projects are enabled and OpenProject's
    /// OAuth values replaced automatically; without it those steps are hand-offs.
    pub openproject_web: bool,
}

/// Demo servers started for a trainer who signs in by hand (the same windows and forms as with real servers).
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct DemoServers {
    pub openproject_url: String,
    pub nextcloud_url: String,
    /// The demo accounts' logins and passwords: public, printed in the README, never real credentials.
    pub openproject_login: String,
    pub openproject_password: String,
    pub nextcloud_login: String,
    pub nextcloud_password: String,
}

/// The credentials a face found, from its own sources (a form, the environment, a prompt, a browser sign-in,
/// the keyring).
#[derive(Debug, Clone)]
pub struct Credentials {
    pub openproject: OpenProjectAuth,
    /// OpenProject's browser session (the sign-in window, or a password sign-in), for its admin pages.
    pub openproject_web: Option<WebSession>,
    pub nextcloud: NextcloudCredentials,
    /// Nextcloud's password is the app password a browser sign-in (Login Flow v2) just made.
    pub nextcloud_from_browser: bool,
    /// Keep them in the system keyring once both servers accepted them (for Nextcloud an app password, never the
    /// account password; a browser session never).
    pub remember: bool,
}

/// How much the sign-in proves, and who is told about the Nextcloud session.
#[derive(Default)]
pub struct ConnectOptions<'a> {
    /// Simulated servers (demo mode).
    pub simulated: bool,
    /// Prove now that both accounts are administrators, and read the versions (the wizard's panes show them).
    /// Without it the preflight and the doctor find out, which saves four requests per command.
    pub prove_admins: bool,
    /// Called as soon as the Nextcloud session exists, so a face can revoke its temporary app password when it
    /// is interrupted (the CLI's Ctrl-C).
    pub on_session: Option<&'a (dyn Fn(&NextcloudSession) + Send + Sync)>,
}

/// Both servers, signed in.
#[derive(Debug, Clone)]
pub struct ConnectedPair {
    pub op: OpenProjectClient,
    /// Nextcloud, over the session's app password.
    pub nc: NextcloudClient,
    pub summary: PairSummary,
    /// OpenProject's admin pages over the browser session, when the admin signed in to the web interface.
    pub web: Option<AdminPages>,
    facts: Option<Facts>,
    /// The last preflight, for the re-check before apply.
    report: Option<preflight::PreflightReport>,
    /// The plan the admin was shown: apply goes ahead only if what it rests on is unchanged.
    reviewed: Option<Plan>,
    /// The session behind `nc`: an app password made for it (from a typed account password, or by a browser
    /// sign-in) that was not remembered is revoked on sign-out.
    nc_session: NextcloudSession,
    options: SetupOptions,
}

/// How long one request may take (`OPNC_REQUEST_TIMEOUT_SECONDS`, default 60). A server goes on with a request
/// whose client gave up or died, so a rollback after a crash also watches this long for such a write to land.
pub fn request_timeout() -> std::time::Duration {
    std::env::var("OPNC_REQUEST_TIMEOUT_SECONDS")
        .ok()
        .and_then(|s| s.parse::<u64>().ok())
        .filter(|s| *s > 0)
        .map(std::time::Duration::from_secs)
        .unwrap_or_else(|| HttpConfig::default().total_timeout)
}

/// The HTTP client every face's session uses, with the request timeout above.
pub fn http_client() -> Result<HttpClient, PairError> {
    let timeout = request_timeout();
    let config = HttpConfig {
        total_timeout: timeout,
        read_timeout: HttpConfig::default().read_timeout.min(timeout),
        ..HttpConfig::default()
    };
    HttpClient::new(config).map_err(PairError::ClientSetup)
}

impl ConnectedPair {
    /// Signs in to both servers with the credentials a face found. A Nextcloud account password is exchanged for
    /// an app password once (one password check for the whole session); a failure after that revokes it.
    pub async fn connect(
        http: &HttpClient,
        op_url: ServerUrl,
        nc_url: ServerUrl,
        credentials: Credentials,
        keychain: &Keychain,
        options: ConnectOptions<'_>,
    ) -> Result<Self, PairError> {
        let Credentials { openproject, openproject_web, nextcloud, nextcloud_from_browser, remember } = credentials;
        let client = NextcloudClient::new(http.clone(), nc_url.clone(), Some(nextcloud));
        let nc_session = if nextcloud_from_browser {
            let origin = if remember { AppPasswordOrigin::Kept } else { AppPasswordOrigin::Temporary };
            NextcloudSession::with_app_password(client, origin)
        } else {
            NextcloudSession::open(client, remember).await?
        };
        if let Some(told) = options.on_session {
            told(&nc_session);
        }
        let op = OpenProjectClient::new(http.clone(), op_url, openproject);
        let signed_in =
            Self::signed_in(http, op, nc_session.clone(), openproject_web, remember, keychain, &options).await;
        if signed_in.is_err() {
            // Not signed in after all: an app password made for this sign-in does not outlive it.
            nc_session.discard().await;
        }
        signed_in
    }

    async fn signed_in(
        http: &HttpClient,
        op: OpenProjectClient,
        nc_session: NextcloudSession,
        web_session: Option<WebSession>,
        remember: bool,
        keychain: &Keychain,
        options: &ConnectOptions<'_>,
    ) -> Result<Self, PairError> {
        let nc = nc_session.client.clone();
        let side =
            |server, url: &ServerUrl| SideSummary { server, url: url.to_string(), version: None, admin: String::new() };
        let mut summary = PairSummary {
            openproject: side(Server::OpenProject, op.base()),
            nextcloud: side(Server::Nextcloud, nc.base()),
            simulated: options.simulated,
            openproject_web: web_session.is_some(),
        };
        // The web pages need OpenProject's version, and remembering needs the token proven: both from the root.
        let mut root = None;
        if options.prove_admins {
            let anonymous = nc.anonymous();
            let (found, me, user, status) = tokio::join!(op.root(), op.me(), nc.current_user(), anonymous.status());
            let (found, user) = (found?, user?);
            let not_admin = |server: Server| {
                PairError::Client(crate::ClientError::new(server, "sign-in", crate::ErrorKind::NotAdmin { user: None }))
            };
            if !found.is_admin() {
                return Err(not_admin(Server::OpenProject));
            }
            if !user.is_admin() {
                return Err(not_admin(Server::Nextcloud));
            }
            summary.openproject.version = found.core_version.clone();
            summary.openproject.admin = me.ok().map(|m| m.name).unwrap_or_default();
            summary.nextcloud.version = status.ok().map(|s| s.versionstring);
            summary.nextcloud.admin =
                if user.display_name.is_empty() { user.id.clone() } else { user.display_name.clone() };
            root = Some(found);
        } else if web_session.is_some() || remember {
            root = Some(op.root().await?);
        }
        let web = web_session.map(|session| {
            let version = root.as_ref().and_then(|r| r.version());
            AdminPages::new(http.clone(), op.base().clone(), session, version)
        });
        if remember {
            let not_remembered =
                |e: crate::keychain::KeychainError| PairError::NotRemembered { message: e.message, hint: e.hint };
            if let OpenProjectAuth::ApiKey(token) | OpenProjectAuth::Bearer(token) = op.auth() {
                keychain.remember_openproject_token(op.base(), token).map_err(not_remembered)?;
            }
            if let Some(app_password) = nc_session.app_password() {
                keychain.remember_nextcloud(nc.base(), app_password).map_err(not_remembered)?;
            }
        }
        Ok(Self {
            op,
            nc,
            nc_session,
            summary,
            web,
            facts: None,
            report: None,
            reviewed: None,
            options: SetupOptions::default(),
        })
    }

    /// The wizard's sign-in: OpenProject's credentials come from the form's token, then `op_session` (the sign-in
    /// window's session), then the keyring; Nextcloud's from the form, then `browser` (a Login Flow v2 app
    /// password), then the keyring. Both accounts are proven to be administrators.
    pub async fn sign_in(
        request: SignIn,
        browser: Option<NextcloudCredentials>,
        op_session: Option<WebSession>,
        keychain: &Keychain,
        simulated: bool,
    ) -> Result<Self, PairError> {
        let policy = UrlPolicy { allow_insecure_http: request.allow_insecure_http };
        let http = http_client()?;
        // A page copied from the browser is cut to the server's base; the panes show the address used.
        let (op_url, nc_url) = tokio::join!(
            crate::address::resolve(&http, Server::OpenProject, &request.openproject_url, policy),
            crate::address::resolve(&http, Server::Nextcloud, &request.nextcloud_url, policy)
        );
        let (op_url, nc_url) = (op_url?.url, nc_url?.url);
        let token = match request.openproject_token.filter(|t| !t.expose().is_empty()) {
            Some(t) => Some(t),
            None if op_session.is_some() => None,
            None => Some(
                keychain
                    .openproject_token(&op_url)
                    .ok()
                    .flatten()
                    .ok_or(PairError::MissingCredential { server: Server::OpenProject })?,
            ),
        };
        let typed = match (
            request.nextcloud_login.filter(|l| !l.is_empty()),
            request.nextcloud_password.filter(|p| !p.expose().is_empty()),
        ) {
            (Some(login_name), Some(password)) => Some(NextcloudCredentials { login_name, password }),
            _ => None,
        };
        let (nextcloud, nextcloud_from_browser) = match (typed, browser) {
            (Some(typed), _) => (typed, false),
            (None, Some(browser)) => (browser, true),
            (None, None) => (
                keychain
                    .nextcloud(&nc_url)
                    .ok()
                    .flatten()
                    .ok_or(PairError::MissingCredential { server: Server::Nextcloud })?,
                false,
            ),
        };
        let openproject = match (token, &op_session) {
            (Some(t), _) => OpenProjectAuth::ApiKey(t),
            (None, Some(session)) => session.auth(),
            (None, None) => OpenProjectAuth::Anonymous,
        };
        let credentials = Credentials {
            openproject,
            openproject_web: op_session,
            nextcloud,
            nextcloud_from_browser,
            remember: request.remember,
        };
        let options = ConnectOptions { simulated, prove_admins: true, on_session: None };
        Self::connect(&http, op_url, nc_url, credentials, keychain, options).await
    }

    /// The Nextcloud session (for a face that revokes its app password when interrupted).
    pub fn nextcloud_session(&self) -> &NextcloudSession {
        &self.nc_session
    }

    /// Ends the sign-in: an app password made for it (from an account password, or by a browser sign-in) that
    /// was not remembered is revoked in Nextcloud; OpenProject's browser session is simply forgotten (never
    /// `/logout`, which would end the admin's other sessions too). Returns whether an app password was revoked.
    pub async fn sign_out(self) -> bool {
        self.nc_session.close().await
    }
}
