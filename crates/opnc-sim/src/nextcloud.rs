//! A simulated Nextcloud with integration_openproject, answering as the real Nextcloud 34.0.1 with
//! integration_openproject 3.1.1 did in `shared/contracts/recorded/`, and as
//! `shared/contracts/nextcloud-api.md` describes for other versions. Quirks kept on purpose:
//! - every `/setup` POST (oauth2) deletes and recreates Nextcloud's OAuth client; PATCH keeps it and shows
//!   no secret; DELETE blanks everything but keeps the `OpenProject` user, group, team folder and app
//!   password; a second project-folder setup is a 409;
//! - `status` in `/setup` answers only from 2.11.4 / 3.1.1; 3.1.1 reports `status:false` while
//!   `authorization_method` is empty; validation messages are 3.1.1's (`invalid key`, `invalid data`);
//! - OCS without `OCS-APIRequest: true` → 412; `is-valid-op-instance` passes CSRF with that header only on
//!   Nextcloud 31+;
//! - the account password of a two-factor user is treated as anonymous (WebDAV says
//!   `password login forbidden`); installing or enabling apps needs the real password;
//! - Login Flow v2 polls answer 404 `[]` until granted, and the poll token is single-use;
//! - the OAuth2 token endpoint answers `invalid_request` to an unknown code before looking at the client;
//! - an optional web server that strips the `Authorization: Bearer` header.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use axum::routing::{any, get, post};
use axum::Router;
use http::{HeaderMap, Method};
use serde_json::{json, Map, Value};

use crate::common::{
    alphanumeric, basic_credentials, header, json_response, printable_password, typed_response, version_at_least,
};
use crate::runner::INTERNAL_HEADER;

const APP: &str = "integration_openproject";
const OP_ENTITY: &str = "OpenProject";
const NO_AUTO_GROUP: &str = "OpenProjectNoAutomaticProjectFolders";
const LOGIN_FLOW_LIFETIME: Duration = Duration::from_secs(1200);

/// Which Nextcloud is simulated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NextcloudProfile {
    /// Four-part server version, as `status.php` reports it.
    pub version: String,
    /// integration_openproject on disk; `None` when not installed.
    pub integration_version: Option<String>,
    pub integration_enabled: bool,
    pub groupfolders_version: Option<String>,
    pub groupfolders_enabled: bool,
    /// System config `allow_local_remote_servers` (off by default, as on a real server).
    pub allow_local_remote_servers: bool,
    /// The web server in front strips `Authorization: Bearer …` (Apache without the rewrite rule).
    pub strips_bearer_header: bool,
    /// The path Nextcloud is installed under (`""` or e.g. `/nextcloud`).
    pub base_path: String,
    pub maintenance: bool,
    /// Further enabled apps, e.g. `terms_of_service`.
    pub extra_enabled_apps: Vec<String>,
    /// The integration stores its secret as a sensitive app-config value, which the provisioning API
    /// then shows masked (not so on 3.1.1, but a later release may).
    pub hides_sensitive_values: bool,
    /// The "OIDC Identity Provider" app (`oidc`, Nextcloud Hub as the IdP), installed and enabled; `None`: absent.
    pub oidc_version: Option<String>,
    /// `user_oidc` (Nextcloud trusts an OpenID Connect provider), installed and enabled; `None`: absent.
    pub user_oidc_version: Option<String>,
    /// Nextcloud's patch releases of 2026 (nextcloud/server #61322, #61646) ask app-password logins for a password
    /// confirmation on `PasswordConfirmationRequired` endpoints; integration_openproject 3.1.1 / 2.11.4 grants its
    /// "OpenProject" user one at each token login (`UserLoggedInEventListener`).
    pub confirms_app_password_logins: bool,
}

impl NextcloudProfile {
    fn new(version: &str, integration: &str, groupfolders: &str) -> Self {
        Self {
            version: version.into(),
            integration_version: Some(integration.into()),
            integration_enabled: true,
            groupfolders_version: Some(groupfolders.into()),
            groupfolders_enabled: true,
            allow_local_remote_servers: false,
            strips_bearer_header: false,
            base_path: String::new(),
            maintenance: false,
            extra_enabled_apps: Vec::new(),
            hides_sensitive_values: false,
            oidc_version: None,
            user_oidc_version: None,
            confirms_app_password_logins: true,
        }
    }

    /// integration_openproject lets its user's app-password logins pass the password confirmation (3.1.1 and
    /// later, and the 2.11.x line from 2.11.4).
    fn integration_confirms_its_user(&self) -> bool {
        self.integration_version.as_deref().is_some_and(|v| {
            crate::common::version_at_least(v, (3, 1, 1))
                || (crate::common::version_at_least(v, (2, 11, 4)) && !crate::common::version_at_least(v, (3, 0, 0)))
        })
    }

    /// With the SSO apps as recorded on Nextcloud 34.0.1 (`oidc` 2.0.9, `user_oidc` 8.10.1).
    pub fn with_sso_apps(mut self) -> Self {
        self.oidc_version = Some("2.0.9".into());
        self.user_oidc_version = Some("8.10.1".into());
        self
    }
    pub fn nc34() -> Self {
        Self::new("34.0.1.2", "3.1.1", "22.0.6")
    }
    pub fn nc33() -> Self {
        Self::new("33.0.4.1", "3.1.1", "21.0.3")
    }
    pub fn nc32() -> Self {
        Self::new("32.0.9.1", "2.11.4", "20.1.7")
    }
    pub fn nc31() -> Self {
        Self::new("31.0.12.1", "2.11.4", "19.1.9")
    }
    pub fn nc30() -> Self {
        Self::new("30.0.17.2", "2.11.4", "18.1.6")
    }
    pub fn major(&self) -> u64 {
        self.version.split('.').next().and_then(|m| m.parse().ok()).unwrap_or(0)
    }
    pub fn version_string(&self) -> String {
        self.version.split('.').take(3).collect::<Vec<_>>().join(".")
    }
    fn integration_at_least(&self, min: (u64, u64, u64)) -> bool {
        self.integration_version.as_deref().is_some_and(|v| version_at_least(v, min))
    }
    fn integration_active(&self) -> bool {
        self.integration_enabled && self.integration_version.is_some()
    }
}

#[derive(Debug, Clone)]
pub struct NcUser {
    pub uid: String,
    pub password: String,
    pub display_name: String,
    pub groups: Vec<String>,
    pub subadmin: Vec<String>,
    pub two_factor: bool,
    pub enabled: bool,
}

#[derive(Debug, Clone)]
pub struct AppToken {
    pub id: u64,
    pub uid: String,
    pub login_name: String,
    pub token: String,
    pub name: String,
}

#[derive(Debug, Clone)]
pub struct OAuthClient {
    pub id: u64,
    pub name: String,
    pub redirect_uri: String,
    pub client_id: String,
    /// Nextcloud keeps only an HMAC of it; the simulator keeps it to answer as if it could verify it.
    pub client_secret: String,
}

#[derive(Debug, Clone)]
struct LoginFlow {
    login_token: String,
    client_name: String,
    started: Instant,
    granted: Option<(String, String)>,
}

/// Everything the simulated Nextcloud knows, inspectable by tests.
#[derive(Debug, Clone)]
pub struct NextcloudState {
    pub profile: NextcloudProfile,
    pub users: Vec<NcUser>,
    pub groups: Vec<String>,
    pub team_folders: Vec<String>,
    pub app_tokens: Vec<AppToken>,
    /// integration_openproject's app config, as the provisioning API shows it.
    pub app_config: BTreeMap<String, String>,
    pub oauth_clients: Vec<OAuthClient>,
    login_flows: HashMap<String, LoginFlow>,
    failed_logins: u32,
    next_id: u64,
    /// Requests whose Basic password was not an app password: each costs a real Nextcloud a password hash.
    pub password_verifications: u32,
    /// Every app password `getapppassword` handed out, revoked or not (for tests that search for them).
    pub issued_app_passwords: Vec<String>,
    /// user_oidc's providers, as its OCS API lists them (`recorded/nextcloud-34.0.1-sso-apps.json`).
    pub user_oidc_providers: Vec<Value>,
    /// The oidc app's clients (`occ oidc:list`).
    pub oidc_clients: Vec<OidcClient>,
    /// App config of other apps than integration_openproject (`user_oidc`'s `store_login_token`, `oidc`'s
    /// `expire_time_refresh`…), as the provisioning API shows it.
    pub other_app_config: BTreeMap<String, BTreeMap<String, String>>,
    /// Nextcloud's background jobs as `core`'s app config shows them (`backgroundjobs_mode`, `lastcron`).
    pub background_jobs: BackgroundJobs,
    /// System config `user_oidc.oidc_provider_bearer_validation` (occ only): user_oidc accepts the tokens the oidc
    /// app minted as bearer tokens. Off by default; measured on 34.0.1: off, such a token is a 401 "Current user
    /// is not logged in", on, the user.
    pub hub_bearer_validation: bool,
    /// The oidc app's authorization codes.
    pub oidc_codes: crate::oidc_issuer::Codes,
}

/// A client of the oidc app (Nextcloud Hub as identity provider).
/// Nextcloud's background jobs. A real server's system cron runs `cron.php` every few minutes and stores the time
/// in `core`'s `lastcron`; in `ajax` mode (a fresh install's default, the key unset) jobs run only while someone
/// has the web interface open.
#[derive(Debug, Clone)]
pub struct BackgroundJobs {
    /// `cron`, `webcron`, `ajax`, or empty (Nextcloud then runs as `ajax`).
    pub mode: String,
    /// How often the cron job runs (`lastcron` is then the latest such run); `None`: it does not run.
    pub every: Option<std::time::Duration>,
    /// `lastcron` when the job does not run (a Unix time; `None`: it never ran).
    pub stopped_at: Option<u64>,
}

impl Default for BackgroundJobs {
    fn default() -> Self {
        Self { mode: "cron".into(), every: Some(std::time::Duration::from_secs(300)), stopped_at: None }
    }
}

impl BackgroundJobs {
    /// The cron job stopped `ago` before now (as when its crontab line went missing).
    pub fn stop(&mut self, ago: std::time::Duration) {
        self.every = None;
        self.stopped_at = Some(unix_now().saturating_sub(ago.as_secs()));
    }

    fn last_run(&self) -> Option<u64> {
        match self.every {
            Some(every) => {
                let now = unix_now();
                Some(now - now % every.as_secs().max(1))
            }
            None => self.stopped_at,
        }
    }
}

fn unix_now() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or_default()
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OidcClient {
    pub id: u64,
    pub name: String,
    pub client_id: String,
    pub client_secret: String,
    pub redirect_uri: String,
    /// `jwt` or `opaque`.
    pub token_type: String,
}

impl NextcloudState {
    pub(crate) fn next_id(&mut self) -> u64 {
        self.next()
    }

    pub fn other_config(&self, app: &str, key: &str) -> String {
        match (app, key) {
            ("core", "backgroundjobs_mode") => self.background_jobs.mode.clone(),
            ("core", "lastcron") => self.background_jobs.last_run().map(|t| t.to_string()).unwrap_or_default(),
            _ => self.other_app_config.get(app).and_then(|c| c.get(key)).cloned().unwrap_or_default(),
        }
    }

    fn next(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }

    fn config(&self, key: &str) -> &str {
        self.app_config.get(key).map(String::as_str).unwrap_or("")
    }

    fn user(&self, uid: &str) -> Option<&NcUser> {
        self.users.iter().find(|u| u.uid == uid)
    }

    pub fn openproject_app_password(&self) -> Option<&AppToken> {
        self.app_tokens.iter().find(|t| t.uid == OP_ENTITY && t.name == OP_ENTITY)
    }

    pub fn integration_client(&self) -> Option<&OAuthClient> {
        let id: u64 = self.config("nc_oauth_client_id").parse().ok()?;
        self.oauth_clients.iter().find(|c| c.id == id)
    }

    fn groupfolders_on(&self) -> bool {
        self.profile.groupfolders_enabled && self.profile.groupfolders_version.is_some()
    }

    /// integration_openproject's `isAdminConfigOk` as 3.1.1 has it: an empty method is not OK.
    fn admin_config_ok(&self) -> bool {
        let url = self.config("openproject_instance_url");
        let url_ok = !url.is_empty()
            && (url.starts_with("http://") || url.starts_with("https://"))
            && url::Url::parse(url).is_ok();
        if !url_ok || self.config("fresh_project_folder_setup") == "1" {
            return false;
        }
        match self.config("authorization_method") {
            "oauth2" => {
                !self.config("openproject_client_id").is_empty()
                    && !self.config("openproject_client_secret").is_empty()
                    && !self.config("nc_oauth_client_id").is_empty()
            }
            "oidc" => {
                let provider_type = self.config("sso_provider_type");
                let base = !provider_type.is_empty() && !self.config("oidc_provider").is_empty();
                match provider_type {
                    "nextcloud_hub" => base && !self.config("targeted_audience_client_id").is_empty(),
                    _ if self.config("token_exchange") == "1" => {
                        base && !self.config("targeted_audience_client_id").is_empty()
                    }
                    _ => base,
                }
            }
            // 2.9.0 to 3.1.1: legacy setups without a method fail until the method is written.
            "" if !self.profile.integration_at_least((2, 9, 0)) => {
                !self.config("openproject_client_id").is_empty() && !self.config("nc_oauth_client_id").is_empty()
            }
            _ => false,
        }
    }

    fn project_folder_complete(&self) -> bool {
        let user_ok = self
            .user(OP_ENTITY)
            .is_some_and(|u| u.groups.iter().any(|g| g == OP_ENTITY) && u.subadmin.iter().any(|g| g == OP_ENTITY));
        user_ok
            && self.groups.iter().any(|g| g == OP_ENTITY)
            && self.groupfolders_on()
            && self.team_folders.iter().any(|f| f == OP_ENTITY)
    }
}

/// The demo accounts every simulated Nextcloud starts with.
pub mod demo {
    pub const ADMIN_LOGIN: &str = "admin";
    pub const ADMIN_PASSWORD: &str = "demo-admin-password";
    pub const USER_LOGIN: &str = "alice";
    pub const USER_PASSWORD: &str = "demo-alice-password";
    /// An admin with two-factor authentication: the account password is refused for API calls.
    pub const TWO_FACTOR_LOGIN: &str = "admin2fa";
    pub const TWO_FACTOR_PASSWORD: &str = "demo-admin2fa-password";
    /// The second factor the simulated browser login asks the two-factor admin for.
    pub const TWO_FACTOR_CODE: &str = "123456";
}

/// Handle to a simulated Nextcloud's state.
#[derive(Debug, Clone)]
pub struct NextcloudSim(Arc<Mutex<NextcloudState>>, reqwest::Client);

impl NextcloudSim {
    pub fn new(profile: NextcloudProfile) -> Self {
        let user = |uid: &str, password: &str, name: &str, admin: bool, two_factor: bool| NcUser {
            uid: uid.into(),
            password: password.into(),
            display_name: name.into(),
            groups: if admin { vec!["admin".into()] } else { vec![] },
            subadmin: vec![],
            two_factor,
            enabled: true,
        };
        let mut app_config = BTreeMap::new();
        if let Some(v) = &profile.integration_version {
            app_config.insert("enabled".into(), if profile.integration_enabled { "yes" } else { "no" }.into());
            app_config.insert("installed_version".into(), v.clone());
            app_config.insert("types".into(), String::new());
        }
        let state = NextcloudState {
            profile,
            users: vec![
                user(demo::ADMIN_LOGIN, demo::ADMIN_PASSWORD, "Nextcloud Admin", true, false),
                user(demo::USER_LOGIN, demo::USER_PASSWORD, "Alice", false, false),
                user(demo::TWO_FACTOR_LOGIN, demo::TWO_FACTOR_PASSWORD, "Admin with 2FA", true, true),
            ],
            groups: vec!["admin".into()],
            team_folders: vec![],
            app_tokens: vec![],
            app_config,
            oauth_clients: vec![],
            login_flows: HashMap::new(),
            failed_logins: 0,
            next_id: 0,
            password_verifications: 0,
            issued_app_passwords: Vec::new(),
            user_oidc_providers: Vec::new(),
            hub_bearer_validation: false,
            oidc_codes: Default::default(),
            oidc_clients: Vec::new(),
            other_app_config: BTreeMap::new(),
            background_jobs: BackgroundJobs::default(),
        };
        let client = crate::common::outbound_client();
        Self(Arc::new(Mutex::new(state)), client)
    }

    /// The client Nextcloud's own requests go out with (user_oidc fetching a discovery document).
    pub(crate) fn outbound(&self) -> &reqwest::Client {
        &self.1
    }

    pub fn lock(&self) -> MutexGuard<'_, NextcloudState> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn state(&self) -> NextcloudState {
        self.lock().clone()
    }

    /// Creates an app password for a user, as the personal security settings page would.
    pub fn create_app_password(&self, login: &str, name: &str) -> Option<String> {
        let mut s = self.lock();
        let uid = s.user(login)?.uid.clone();
        let id = s.next();
        let token = alphanumeric(72);
        s.app_tokens.push(AppToken { id, uid, login_name: login.into(), token: token.clone(), name: name.into() });
        Some(token)
    }

    /// Grants a started Login Flow v2 as `login`, as if the admin had signed in and clicked "Grant access"
    /// in the browser. `login_url` is the `login` value of the start answer.
    pub fn grant_login_flow(&self, login_url: &str, login: &str) -> bool {
        let token = login_url.rsplit('/').next().unwrap_or_default();
        let mut s = self.lock();
        let Some(uid) = s.user(login).map(|u| u.uid.clone()) else {
            return false;
        };
        let Some((_, flow)) =
            s.login_flows.iter().find(|(_, f)| f.login_token == token).map(|(k, f)| (k.clone(), f.clone()))
        else {
            return false;
        };
        let id = s.next();
        let app_password = alphanumeric(72);
        s.app_tokens.push(AppToken {
            id,
            uid,
            login_name: login.into(),
            token: app_password.clone(),
            name: flow.client_name.clone(),
        });
        if let Some(f) = s.login_flows.values_mut().find(|f| f.login_token == token) {
            f.granted = Some((login.into(), app_password));
        }
        true
    }

    /// What each request costs this server, as measured on a real Nextcloud 34.0.1 with integration_openproject
    /// 3.1.1 (PHP's built-in server, 4 workers, 2 cores; `shared/real-nextcloud`): every request ~20 ms;
    /// authenticated with an app password +25 ms; with the account password +260 ms (it is hashed on every
    /// request — counted in `password_verifications`, also while the cost model is off); `getapppassword` +620 ms
    /// (the new token's key pair); `POST /setup` +30 ms,
    /// +650 ms with project folders (user, group, team folder, app password); `PATCH /setup` creating an app
    /// password +150 ms; `DELETE /setup` +80 ms.
    pub fn request_cost(&self) -> crate::runner::RequestCost {
        let sim = self.clone();
        std::sync::Arc::new(move |method: &http::Method, path: &str, headers: &HeaderMap, body: &[u8]| {
            let mut spent = Duration::from_millis(20);
            if let Some((login, password)) = basic_credentials(headers) {
                let mut s = sim.lock();
                let is_token =
                    s.app_tokens.iter().any(|t| t.token == password && t.login_name.eq_ignore_ascii_case(&login));
                if is_token {
                    spent += Duration::from_millis(25);
                } else {
                    s.password_verifications += 1;
                    spent += Duration::from_millis(260);
                    // A new app token gets an RSA key pair of its own (`PublicKeyTokenProvider`): measured 0.88–0.99 s
                    // in all for `getapppassword` with the password, against 0.28 s for any other request with it
                    // (with an app password it is refused at once: no token is made).
                    if path.ends_with("/core/getapppassword") {
                        spent += Duration::from_millis(620);
                    }
                }
            }
            if path.ends_with("/apps/integration_openproject/setup") {
                let text = String::from_utf8_lossy(body);
                let wants = |key: &str| text.contains(&format!("\"{key}\":true"));
                spent += match *method {
                    http::Method::POST if wants("setup_project_folder") => Duration::from_millis(680),
                    http::Method::POST => Duration::from_millis(30),
                    http::Method::PATCH if wants("setup_app_password") => Duration::from_millis(150),
                    http::Method::DELETE => Duration::from_millis(80),
                    _ => Duration::from_millis(20),
                };
            }
            spent
        })
    }

    pub fn router(&self) -> Router {
        self.router_with(Router::new())
    }

    /// The routes, with `extra` (the SSO apps' routes, from `nextcloud_sso`) behind the same gates.
    pub fn router_with(&self, extra: Router<NextcloudSim>) -> Router {
        let app_routes = Router::new()
            .route("/setup", any(setup))
            .route("/check-admin-config", get(check_admin_config))
            .route("/project-folder-status", get(project_folder_status))
            .route("/check-config", get(check_config))
            .route("/is-valid-op-instance", post(is_valid_op_instance));
        let routes = Router::new()
            .route("/status.php", get(status))
            .route("/ocs/v2.php/cloud/capabilities", get(capabilities))
            .route("/ocs/v2.php/cloud/user", get(current_user))
            .route("/ocs/v2.php/cloud/apps", get(list_apps))
            .route("/ocs/v2.php/cloud/apps/{app}", get(get_app).post(enable_app))
            .route("/index.php/.well-known/openid-configuration", get(oidc_discovery))
            .route("/.well-known/openid-configuration", get(oidc_discovery))
            .route("/ocs/v2.php/cloud/users/{id}", get(get_user))
            .route("/ocs/v2.php/cloud/users/{id}/groups", post(add_to_group))
            .route("/ocs/v2.php/cloud/groups", get(search_groups))
            .route("/ocs/v2.php/apps/provisioning_api/api/v1/config/apps/{app}", get(config_keys))
            .route("/ocs/v2.php/apps/provisioning_api/api/v1/config/apps/{app}/{key}", get(config_value))
            .route("/ocs/v2.php/core/apppassword", axum::routing::delete(revoke_app_password))
            .route("/ocs/v2.php/core/getapppassword", get(get_app_password))
            .route("/index.php/login/v2", post(login_flow_start))
            .route("/index.php/login/v2/poll", post(login_flow_poll))
            .route("/index.php/login/v2/flow/{token}", get(login_flow_page))
            .route("/index.php/login/v2/grant", post(login_flow_grant))
            .route("/index.php/apps/oauth2/api/v1/token", post(oauth_token))
            .route("/index.php/apps/oauth2/authorize", get(oauth_authorize))
            .route("/remote.php/dav", any(dav))
            .route("/remote.php/dav/", any(dav))
            .merge(extra)
            .nest("/index.php/apps/integration_openproject", app_routes.clone())
            .nest("/apps/integration_openproject", app_routes)
            .fallback(not_found_page)
            .layer(axum::middleware::from_fn_with_state(self.clone(), maintenance_gate))
            .with_state(self.clone());
        let base = self.lock().profile.base_path.clone();
        if base.is_empty() {
            routes
        } else {
            Router::new().nest(&base, routes).fallback(not_found_page)
        }
    }
}

/// In maintenance mode Nextcloud answers every request but `status.php` with 503 (nextcloud/server `lib/base.php`
/// `checkMaintenanceMode`); seen on a real 34.0.1: OCS routes with the OCS envelope `Service unavailable`, every
/// other route with the maintenance page.
async fn maintenance_gate(
    State(sim): State<NextcloudSim>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    if sim.lock().profile.maintenance && !request.uri().path().ends_with("/status.php") {
        if request.uri().path().contains("/ocs/") {
            return ocs(503, "Service unavailable", json!([]));
        }
        return Response::builder()
            .status(503)
            .header("Content-Type", "text/html; charset=utf-8")
            .header("Retry-After", "120")
            .body(axum::body::Body::from(
                "<!DOCTYPE html><html><head><title>Nextcloud</title></head><body><h2>Maintenance mode</h2>\
                 <p>This Nextcloud instance is currently in maintenance mode, which may take a while.</p></body></html>",
            ))
            .unwrap_or_default();
    }
    next.run(request).await
}

enum Caller {
    User {
        uid: String,
        app_token: Option<u64>,
    },
    /// No credentials, or the account password of a user who may only use app passwords.
    Anonymous {
        password_forbidden: bool,
    },
    Invalid,
}

fn caller(sim: &NextcloudSim, headers: &HeaderMap) -> Caller {
    if let Some(token) = crate::common::bearer_token(headers) {
        return bearer_caller(sim, headers, &token);
    }
    let Some((login, password)) = basic_credentials(headers) else {
        return Caller::Anonymous { password_forbidden: false };
    };
    let mut s = sim.lock();
    if let Some(user) = s.users.iter().find(|u| u.uid.eq_ignore_ascii_case(&login) && u.enabled) {
        if user.password == password {
            return if user.two_factor {
                Caller::Anonymous { password_forbidden: true }
            } else {
                Caller::User { uid: user.uid.clone(), app_token: None }
            };
        }
    }
    if let Some(token) = s.app_tokens.iter().find(|t| t.token == password && t.login_name.eq_ignore_ascii_case(&login))
    {
        return Caller::User { uid: token.uid.clone(), app_token: Some(token.id) };
    }
    s.failed_logins += 1;
    Caller::Invalid
}

/// A bearer token as user_oidc checks it (`lib/User/Validator/SelfEncodedValidator.php`): signed by the issuer's
/// JWKS, not expired, `iss` the issuer of the provider's discovery document, `aud` containing the provider's client
/// id; its `sub` a user here. Nextcloud Hub's own tokens only with `oidc_provider_bearer_validation`, for any of
/// the oidc app's clients. Behind a web server that strips the header, nothing arrives.
fn bearer_caller(sim: &NextcloudSim, headers: &HeaderMap, token: &str) -> Caller {
    let s = sim.lock();
    if s.profile.strips_bearer_header {
        return Caller::Anonymous { password_forbidden: false };
    }
    let Some(claims) = crate::oidc_issuer::verified_claims(token) else {
        return Caller::Invalid;
    };
    let iss = claims.get("iss").and_then(Value::as_str).unwrap_or_default();
    let audiences = crate::oidc_issuer::audiences(&claims);
    let host = header(headers, "host").unwrap_or_else(|| "localhost".into());
    let own_issuer = format!("http://{host}{}", s.profile.base_path);
    let hub = s.profile.oidc_version.is_some()
        && s.hub_bearer_validation
        && iss == own_issuer
        && s.oidc_clients.iter().any(|c| audiences.contains(&c.client_id));
    let external = s.profile.user_oidc_version.is_some()
        && s.user_oidc_providers.iter().any(|p| {
            let discovery = p.get("discoveryEndpoint").and_then(Value::as_str).unwrap_or_default();
            let checks = p.pointer("/settings/checkBearer").and_then(Value::as_bool).unwrap_or(false);
            let client_id = p.get("clientId").and_then(Value::as_str).unwrap_or_default();
            checks
                && discovery.strip_suffix("/.well-known/openid-configuration") == Some(iss)
                && audiences.iter().any(|a| a == client_id)
        });
    let sub = claims.get("sub").and_then(Value::as_str).unwrap_or_default();
    match s.users.iter().find(|u| u.uid == sub && u.enabled) {
        Some(user) if hub || external => Caller::User { uid: user.uid.clone(), app_token: None },
        _ => Caller::Invalid,
    }
}

/// Brute-force protection: later failed attempts from the same address are slowed down.
async fn throttle(sim: &NextcloudSim) {
    let failures = sim.lock().failed_logins;
    if failures > 1 {
        tokio::time::sleep(Duration::from_millis(u64::from(failures.min(10)) * 25)).await;
    }
}

fn is_admin(sim: &NextcloudSim, uid: &str) -> bool {
    sim.lock().user(uid).is_some_and(|u| u.groups.iter().any(|g| g == "admin"))
}

fn plain_unauthorized() -> Response {
    json_response(401, &json!({ "message": "" }))
}

/// A 404 as Nextcloud's OCS layer gives it (HTTP 404, OCS status code 998; checked on the real Nextcloud 34.0.1).
pub(crate) fn ocs_not_found(message: &str) -> Response {
    json_response(
        404,
        &json!({ "ocs": { "meta": { "status": "failure", "statuscode": 998, "message": message }, "data": [] } }),
    )
}

pub(crate) fn ocs(status: u16, message: &str, data: Value) -> Response {
    let ok = (200..300).contains(&status);
    json_response(
        status,
        &json!({
            "ocs": { "meta": { "status": if ok { "ok" } else { "failure" }, "statuscode": status, "message": message }, "data": data }
        }),
    )
}

fn ocs_unauthorized() -> Response {
    json_response(
        401,
        &json!({
            "ocs": { "meta": { "status": "failure", "statuscode": 997, "message": "Unauthorised" }, "data": [] }
        }),
    )
}

pub(crate) fn csrf_failed() -> Response {
    json_response(412, &json!({ "message": "CSRF check failed" }))
}

pub(crate) fn has_ocs_header(headers: &HeaderMap) -> bool {
    header(headers, "ocs-apirequest").is_some_and(|v| !v.is_empty())
}

/// OCS framing and authentication for admin-only OCS endpoints.
pub(crate) async fn ocs_admin(sim: &NextcloudSim, headers: &HeaderMap) -> Result<(String, Option<u64>), Response> {
    if !has_ocs_header(headers) {
        return Err(csrf_failed());
    }
    match caller(sim, headers) {
        Caller::User { uid, app_token } if is_admin(sim, &uid) => Ok((uid, app_token)),
        Caller::User { .. } => Err(ocs(403, "Logged in account must be an admin", json!([]))),
        Caller::Invalid => {
            throttle(sim).await;
            Err(ocs_unauthorized())
        }
        Caller::Anonymous { .. } => Err(ocs_unauthorized()),
    }
}

/// Authentication for admin-only app routes (`@NoCSRFRequired`, no `@NoAdminRequired`).
pub(crate) async fn app_admin(sim: &NextcloudSim, headers: &HeaderMap) -> Result<String, Response> {
    match caller(sim, headers) {
        Caller::User { uid, .. } if is_admin(sim, &uid) => Ok(uid),
        Caller::User { .. } => Err(json_response(403, &json!({ "message": "Logged in account must be an admin" }))),
        Caller::Invalid => {
            throttle(sim).await;
            Err(plain_unauthorized())
        }
        Caller::Anonymous { .. } => Err(plain_unauthorized()),
    }
}

fn integration_missing(sim: &NextcloudSim, min: (u64, u64, u64)) -> bool {
    let s = sim.lock();
    !s.profile.integration_active() || !s.profile.integration_at_least(min)
}

pub(crate) async fn not_found_page() -> Response {
    typed_response(404, "text/html; charset=utf-8", "<!DOCTYPE html><html class=\"ng-csp\"><head><title>Nextcloud</title></head><body id=\"body-login\"><div class=\"guest-box\"><h2>Page not found</h2><p>The page could not be found on the server.</p></div></body></html>".into())
}

/// The externally visible base URL, built from the request as Nextcloud does.
pub(crate) fn request_base(sim: &NextcloudSim, headers: &HeaderMap) -> String {
    let host = header(headers, "host").unwrap_or_else(|| "localhost".into());
    format!("http://{host}{}", sim.lock().profile.base_path)
}

async fn status(State(sim): State<NextcloudSim>) -> Response {
    let s = sim.lock();
    let mut r = json_response(
        200,
        &json!({
            "installed": true, "maintenance": s.profile.maintenance, "needsDbUpgrade": false,
            "version": s.profile.version, "versionstring": s.profile.version_string(), "edition": "",
            "productname": "Nextcloud", "extendedSupport": false
        }),
    );
    r.headers_mut().insert("access-control-allow-origin", http::HeaderValue::from_static("*"));
    r
}

fn fixture(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or(Value::Null)
}

fn integration_capability(s: &NextcloudState) -> Option<Value> {
    if !s.profile.integration_active() {
        return None;
    }
    Some(json!({
        "app_version": s.profile.integration_version,
        "groupfolder_version": s.profile.groupfolders_version.clone().unwrap_or_default(),
        "groupfolders_enabled": s.groupfolders_on(),
    }))
}

async fn capabilities(State(sim): State<NextcloudSim>, headers: HeaderMap) -> Response {
    if !has_ocs_header(&headers) {
        return csrf_failed();
    }
    let signed_in = matches!(caller(&sim, &headers), Caller::User { .. });
    let base = request_base(&sim, &headers);
    let s = sim.lock();
    let text = if signed_in {
        include_str!("../fixtures/nc34-capabilities-admin.json")
    } else {
        include_str!("../fixtures/nc34-capabilities-anonymous.json")
    };
    let mut caps = fixture(&text.replace("http://127.0.0.1:8080", &base));
    if let Some(map) = caps.as_object_mut() {
        match integration_capability(&s) {
            Some(c) => {
                map.insert(APP.into(), c);
            }
            None => {
                map.remove(APP);
            }
        }
    }
    let parts: Vec<u64> = s.profile.version.split('.').map(|p| p.parse().unwrap_or(0)).collect();
    let version = json!({
        "major": parts.first().copied().unwrap_or(0), "minor": parts.get(1).copied().unwrap_or(0), "micro": parts.get(2).copied().unwrap_or(0),
        "string": s.profile.version_string(), "edition": "", "extendedSupport": false
    });
    ocs(200, "OK", json!({ "version": version, "capabilities": caps }))
}

fn user_data(s: &NextcloudState, user: &NcUser) -> Value {
    json!({
        "enabled": user.enabled, "storageLocation": format!("/var/www/nextcloud/data/{}", user.uid), "id": user.uid,
        "firstLoginTimestamp": 1_795_746_993, "lastLoginTimestamp": 1_795_746_993, "lastLogin": 1_795_746_993_000_i64,
        "backend": "Database", "subadmin": user.subadmin,
        "quota": { "free": -3, "used": 0, "total": -3, "relative": 0, "quota": -3 },
        "manager": "", "email": null, "additional_mail": [], "displayname": user.display_name, "display-name": user.display_name,
        "phone": "", "address": "", "website": "", "twitter": "", "bluesky": "", "fediverse": "", "organisation": "", "role": "",
        "headline": "", "biography": "", "profile_enabled": "1", "pronouns": "",
        "groups": user.groups.iter().filter(|g| s.groups.contains(g)).collect::<Vec<_>>(),
        "language": "en", "locale": "", "timezone": "", "notify_email": null,
        "backendCapabilities": { "setDisplayName": true, "setPassword": true }
    })
}

async fn current_user(State(sim): State<NextcloudSim>, headers: HeaderMap) -> Response {
    if !has_ocs_header(&headers) {
        return csrf_failed();
    }
    match caller(&sim, &headers) {
        Caller::User { uid, .. } => {
            let s = sim.lock();
            match s.user(&uid) {
                Some(u) => ocs(200, "OK", user_data(&s, u)),
                None => ocs_unauthorized(),
            }
        }
        Caller::Invalid => {
            throttle(&sim).await;
            ocs_unauthorized()
        }
        Caller::Anonymous { .. } => ocs_unauthorized(),
    }
}

fn enabled_apps(s: &NextcloudState) -> Vec<String> {
    let list: Vec<String> =
        serde_json::from_str(include_str!("../fixtures/nc34-enabled-apps.json")).unwrap_or_default();
    list.into_iter()
        .filter(|a| a != APP || s.profile.integration_active())
        .filter(|a| a != "groupfolders" || s.groupfolders_on())
        .chain(s.profile.extra_enabled_apps.iter().cloned())
        .chain(s.profile.oidc_version.as_ref().map(|_| "oidc".to_owned()))
        .chain(s.profile.user_oidc_version.as_ref().map(|_| "user_oidc".to_owned()))
        .collect()
}

/// The oidc app's discovery document, as recorded on Nextcloud 34.0.1 with oidc 2.0.9 (the issuer keeps the port
/// here; the tokens it mints for integration_openproject drop it).
async fn oidc_discovery(State(sim): State<NextcloudSim>, headers: HeaderMap) -> Response {
    let s = sim.lock();
    if s.profile.oidc_version.is_none() {
        // Nextcloud's own well-known handler without the oidc app (checked on the real Nextcloud 34.0.1).
        return json_response(404, &json!({ "message": "openid-configuration not supported" }));
    }
    let host = header(&headers, "host").unwrap_or_else(|| "localhost".into());
    let base = format!("http://{host}{}", s.profile.base_path);
    let app = format!("{base}/index.php/apps/oidc");
    json_response(
        200,
        &json!({
            "issuer": base,
            "authorization_endpoint": format!("{app}/authorize"),
            "token_endpoint": format!("{app}/token"),
            "userinfo_endpoint": format!("{app}/userinfo"),
            "jwks_uri": format!("{app}/jwks"),
            "scopes_supported": ["openid", "profile", "email", "roles", "groups", "offline_access"],
            "response_types_supported": ["code", "code id_token", "id_token"],
            "grant_types_supported": ["authorization_code", "implicit", "refresh_token"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256", "HS256"],
            "token_endpoint_auth_methods_supported": ["client_secret_post", "client_secret_basic"],
            "end_session_endpoint": format!("{app}/logout"),
        }),
    )
}

async fn list_apps(
    State(sim): State<NextcloudSim>,
    headers: HeaderMap,
    Query(q): Query<BTreeMap<String, String>>,
) -> Response {
    if let Err(r) = ocs_admin(&sim, &headers).await {
        return r;
    }
    let s = sim.lock();
    let enabled = enabled_apps(&s);
    let apps = match q.get("filter").map(String::as_str) {
        Some("enabled") => enabled,
        Some("disabled") => {
            let mut d = vec![];
            if s.profile.integration_version.is_some() && !s.profile.integration_enabled {
                d.push(APP.to_owned());
            }
            if s.profile.groupfolders_version.is_some() && !s.profile.groupfolders_enabled {
                d.push("groupfolders".to_owned());
            }
            d
        }
        Some(_) => return ocs(400, "", json!([])),
        None => enabled,
    };
    ocs(200, "OK", json!({ "apps": apps }))
}

async fn get_app(State(sim): State<NextcloudSim>, headers: HeaderMap, Path(app): Path<String>) -> Response {
    if let Err(r) = ocs_admin(&sim, &headers).await {
        return r;
    }
    let s = sim.lock();
    match app.as_str() {
        APP => match &s.profile.integration_version {
            Some(v) => {
                let mut info = fixture(include_str!("../fixtures/nc34-app-integration_openproject.json"));
                info["version"] = json!(v);
                let (min, max) = if version_at_least(v, (3, 0, 0)) { ("33", "34") } else { ("30", "32") };
                info["dependencies"]["nextcloud"]["@attributes"] = json!({ "min-version": min, "max-version": max });
                ocs(200, "OK", info)
            }
            None => ocs_not_found("The request app was not found"),
        },
        "groupfolders" => match &s.profile.groupfolders_version {
            Some(v) => ocs(
                200,
                "OK",
                json!({ "id": "groupfolders", "name": "Team folders", "version": v, "dependencies": { "nextcloud": { "@attributes": { "min-version": s.profile.major().to_string(), "max-version": s.profile.major().to_string() } } } }),
            ),
            None => ocs_not_found("The request app was not found"),
        },
        "oidc" | "user_oidc" => {
            let version = if app == "oidc" { &s.profile.oidc_version } else { &s.profile.user_oidc_version };
            match version {
                Some(v) => ocs(200, "OK", json!({ "id": app, "name": app, "version": v })),
                None => ocs_not_found("The request app was not found"),
            }
        }
        other if enabled_apps(&s).iter().any(|a| a == other) => {
            ocs(200, "OK", json!({ "id": other, "name": other, "version": s.profile.version_string() }))
        }
        _ => ocs_not_found("The request app was not found"),
    }
}

/// Enabling needs password confirmation: strict on recent servers, so only the account password passes.
async fn enable_app(State(sim): State<NextcloudSim>, headers: HeaderMap, Path(app): Path<String>) -> Response {
    let (_, app_token) = match ocs_admin(&sim, &headers).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    if app_token.is_some() {
        return ocs(403, "Password confirmation is required", json!([]));
    }
    let mut s = sim.lock();
    match app.as_str() {
        APP if s.profile.integration_version.is_some() => {
            s.profile.integration_enabled = true;
            s.app_config.insert("enabled".into(), "yes".into());
        }
        "groupfolders" if s.profile.groupfolders_version.is_some() => s.profile.groupfolders_enabled = true,
        _ => return ocs_not_found("The request app was not found"),
    }
    ocs(200, "OK", json!([]))
}

async fn get_user(State(sim): State<NextcloudSim>, headers: HeaderMap, Path(id): Path<String>) -> Response {
    if let Err(r) = ocs_admin(&sim, &headers).await {
        return r;
    }
    let s = sim.lock();
    match s.user(&id) {
        Some(u) => ocs(200, "OK", user_data(&s, u)),
        None => ocs(404, "User does not exist", json!([])),
    }
}

/// `POST /ocs/v2.php/cloud/users/{id}/groups` (provisioning_api `addToGroup`, `PasswordConfirmationRequired`): an
/// admin, or the group's group admin, adds a user to a group; a member stays a member. The password confirmation
/// middleware runs first: an app-password login on a patch release that asks for it is refused, unless
/// integration_openproject confirmed its "OpenProject" user at that login.
async fn add_to_group(
    State(sim): State<NextcloudSim>,
    headers: HeaderMap,
    Path(uid): Path<String>,
    body: Bytes,
) -> Response {
    if !has_ocs_header(&headers) {
        return csrf_failed();
    }
    let (who, app_token) = match caller(&sim, &headers) {
        Caller::User { uid, app_token } => (uid, app_token),
        Caller::Invalid | Caller::Anonymous { .. } => return ocs_unauthorized(),
    };
    let group = url::form_urlencoded::parse(&body).find(|(k, _)| k == "groupid").map(|(_, v)| v.into_owned());
    let admin = is_admin(&sim, &who);
    let mut s = sim.lock();
    let confirmed_by_integration = who == "OpenProject" && s.profile.integration_confirms_its_user();
    if app_token.is_some() && s.profile.confirms_app_password_logins && !confirmed_by_integration {
        return ocs(403, "Password confirmation is required", json!([]));
    }
    let Some(group) = group.filter(|g| !g.is_empty()) else {
        return ocs(400, "", json!([]));
    };
    let group_admin = s.user(&who).is_some_and(|u| u.subadmin.contains(&group));
    if !admin && !group_admin {
        return ocs(403, "", json!([]));
    }
    if !s.groups.contains(&group) {
        return ocs(400, "", json!([]));
    }
    let Some(user) = s.users.iter_mut().find(|u| u.uid == uid) else {
        return ocs(400, "", json!([]));
    };
    if !user.groups.contains(&group) {
        user.groups.push(group);
    }
    ocs(200, "OK", json!([]))
}

async fn search_groups(
    State(sim): State<NextcloudSim>,
    headers: HeaderMap,
    Query(q): Query<BTreeMap<String, String>>,
) -> Response {
    if let Err(r) = ocs_admin(&sim, &headers).await {
        return r;
    }
    let s = sim.lock();
    let search = q.get("search").cloned().unwrap_or_default().to_lowercase();
    let groups: Vec<&String> = s.groups.iter().filter(|g| g.to_lowercase().contains(&search)).collect();
    ocs(200, "OK", json!({ "groups": groups }))
}

async fn config_keys(State(sim): State<NextcloudSim>, headers: HeaderMap, Path(app): Path<String>) -> Response {
    if let Err(r) = ocs_admin(&sim, &headers).await {
        return r;
    }
    let s = sim.lock();
    let keys: Vec<&String> = if app == APP {
        s.app_config.keys().collect()
    } else {
        s.other_app_config.get(&app).map(|c| c.keys().collect()).unwrap_or_default()
    };
    ocs(200, "OK", json!({ "data": keys }))
}

async fn config_value(
    State(sim): State<NextcloudSim>,
    headers: HeaderMap,
    Path((app, key)): Path<(String, String)>,
) -> Response {
    if let Err(r) = ocs_admin(&sim, &headers).await {
        return r;
    }
    let s = sim.lock();
    let mut value = if app == APP { s.config(&key).to_owned() } else { s.other_config(&app, &key) };
    if s.profile.hides_sensitive_values && key == "openproject_client_secret" && !value.is_empty() {
        value = "***REMOVED SENSITIVE VALUE***".into();
    }
    ocs(200, "OK", json!({ "data": value }))
}

async fn revoke_app_password(State(sim): State<NextcloudSim>, headers: HeaderMap) -> Response {
    if !has_ocs_header(&headers) {
        return csrf_failed();
    }
    match caller(&sim, &headers) {
        Caller::User { app_token: Some(id), .. } => {
            sim.lock().app_tokens.retain(|t| t.id != id);
            ocs(200, "OK", json!([]))
        }
        Caller::User { app_token: None, .. } => ocs(403, "no app password in use", json!([])),
        Caller::Invalid | Caller::Anonymous { .. } => ocs_unauthorized(),
    }
}

/// `GET /ocs/v2.php/core/getapppassword`: an app password for a password login (nextcloud/server
/// `core/Controller/AppPasswordController.php`; recorded: `nextcloud-34.0.1-app-password-exchange.json`). A login
/// with an app password is refused with 403 "Password confirmation is required"; a wrong password with 401.
async fn get_app_password(State(sim): State<NextcloudSim>, headers: HeaderMap) -> Response {
    if !has_ocs_header(&headers) {
        return csrf_failed();
    }
    match caller(&sim, &headers) {
        Caller::User { app_token: Some(_), .. } => ocs(403, "Password confirmation is required", json!([])),
        Caller::User { uid, app_token: None } => {
            let name = header(&headers, "user-agent").unwrap_or_else(|| "unknown".into());
            let login = basic_credentials(&headers).map(|(l, _)| l).unwrap_or_else(|| uid.clone());
            let mut s = sim.lock();
            let id = s.next();
            let token = alphanumeric(72);
            s.app_tokens.push(AppToken { id, uid, login_name: login, token: token.clone(), name });
            s.issued_app_passwords.push(token.clone());
            ocs(200, "OK", json!({ "apppassword": token }))
        }
        Caller::Invalid | Caller::Anonymous { .. } => {
            throttle(&sim).await;
            ocs_unauthorized()
        }
    }
}

async fn login_flow_start(State(sim): State<NextcloudSim>, headers: HeaderMap) -> Response {
    let base = request_base(&sim, &headers);
    let client_name = header(&headers, "user-agent").unwrap_or_else(|| "unknown".into());
    let poll_token = alphanumeric(128);
    let login_token = alphanumeric(128);
    let mut s = sim.lock();
    let started = Instant::now();
    s.login_flows.retain(|_, f| started.duration_since(f.started) < LOGIN_FLOW_LIFETIME);
    s.login_flows.insert(
        poll_token.clone(),
        LoginFlow { login_token: login_token.clone(), client_name, started, granted: None },
    );
    json_response(
        200,
        &json!({
            "poll": { "token": poll_token, "endpoint": format!("{base}/index.php/login/v2/poll") },
            "login": format!("{base}/index.php/login/v2/flow/{login_token}"),
        }),
    )
}

async fn login_flow_poll(State(sim): State<NextcloudSim>, headers: HeaderMap, body: Bytes) -> Response {
    let token = if header(&headers, "content-type").is_some_and(|c| c.contains("json")) {
        serde_json::from_slice::<Value>(&body)
            .ok()
            .and_then(|v| v.get("token").and_then(Value::as_str).map(str::to_owned))
    } else {
        url::form_urlencoded::parse(&body).find(|(k, _)| k == "token").map(|(_, v)| v.into_owned())
    };
    let base = request_base(&sim, &headers);
    let mut s = sim.lock();
    let Some(token) = token else {
        return json_response(404, &json!([]));
    };
    let ready =
        s.login_flows.get(&token).filter(|f| f.started.elapsed() < LOGIN_FLOW_LIFETIME).and_then(|f| f.granted.clone());
    match ready {
        Some((login, app_password)) => {
            s.login_flows.remove(&token);
            json_response(200, &json!({ "server": base, "loginName": login, "appPassword": app_password }))
        }
        None => json_response(404, &json!([])),
    }
}

async fn login_flow_page(State(sim): State<NextcloudSim>, Path(token): Path<String>) -> Response {
    let known = sim.lock().login_flows.values().any(|f| f.login_token == token);
    if !known {
        return typed_response(403, "text/html; charset=utf-8", "<!DOCTYPE html><html><body><p>Access forbidden. Your login token is invalid or has expired.</p></body></html>".into());
    }
    let page = format!(
        "<!DOCTYPE html><html><head><title>Nextcloud (simulated)</title></head><body><h1>Connect to your account</h1>\
         <p>Simulated Nextcloud: sign in to grant access.</p><form method=\"post\" action=\"../grant\">\
         <input type=\"hidden\" name=\"token\" value=\"{token}\"><label>Login <input name=\"user\"></label>\
         <label>Password <input type=\"password\" name=\"password\"></label>\
         <label>Second factor (two-factor accounts) <input name=\"second_factor\"></label>\
         <button type=\"submit\">Grant access</button></form></body></html>"
    );
    typed_response(200, "text/html; charset=utf-8", page)
}

/// The simulated browser grant. Nextcloud 34 refuses a login POST without an `Origin` header.
async fn login_flow_grant(State(sim): State<NextcloudSim>, headers: HeaderMap, body: Bytes) -> Response {
    if header(&headers, "origin").is_none() {
        return typed_response(
            403,
            "text/html; charset=utf-8",
            "<!DOCTYPE html><html><body><p>Access forbidden: missing Origin header.</p></body></html>".into(),
        );
    }
    let form: HashMap<String, String> = url::form_urlencoded::parse(&body).into_owned().collect();
    let field = |k: &str| form.get(k).cloned().unwrap_or_default();
    let (login, password) = (field("user"), field("password"));
    let ok = {
        let s = sim.lock();
        s.users.iter().any(|u| {
            u.uid == login
                && u.password == password
                && (!u.two_factor || field("second_factor") == demo::TWO_FACTOR_CODE)
        })
    };
    let login_url = format!("/flow/{}", field("token"));
    if ok && sim.grant_login_flow(&login_url, &login) {
        typed_response(
            200,
            "text/html; charset=utf-8",
            "<!DOCTYPE html><html><body><h1>Account connected</h1><p>You can close this window.</p></body></html>"
                .into(),
        )
    } else {
        typed_response(
            403,
            "text/html; charset=utf-8",
            "<!DOCTYPE html><html><body><p>Wrong login or password.</p></body></html>".into(),
        )
    }
}

/// Nextcloud's OAuth2 token endpoint: an unknown code or refresh token is `invalid_request` before the
/// client is looked at (seen on a real Nextcloud 34), so client credentials cannot be probed here.
async fn oauth_token() -> Response {
    json_response(400, &json!({ "error": "invalid_request" }))
}

async fn oauth_authorize(
    State(sim): State<NextcloudSim>,
    headers: HeaderMap,
    Query(q): Query<BTreeMap<String, String>>,
) -> Response {
    let client_id = q.get("client_id").cloned().unwrap_or_default();
    let known = sim.lock().oauth_clients.iter().any(|c| c.client_id == client_id);
    if !known {
        return typed_response(200, "text/html; charset=utf-8", "<!DOCTYPE html><html><body><p>Your client is not authorized to connect. Please inform the administrator of your client.</p></body></html>".into());
    }
    let base = request_base(&sim, &headers);
    Response::builder()
        .status(303)
        .header(http::header::LOCATION, format!("{base}/index.php/login?redirect_url=/index.php/apps/oauth2/authorize"))
        .body(axum::body::Body::empty())
        .unwrap_or_default()
}

fn dav_error(exception: &str, message: &str, hint: Option<&str>) -> Response {
    let hint = hint.map(|h| format!("<o:hint xmlns:o=\"o:\">{h}</o:hint>")).unwrap_or_default();
    let body = format!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<d:error xmlns:d=\"DAV:\" xmlns:s=\"http://sabredav.org/ns\" xmlns:o=\"http://owncloud.org/ns\">\n  <s:exception>{exception}</s:exception>\n  <s:message>{message}</s:message>\n  {hint}\n</d:error>\n"
    );
    let mut r = typed_response(401, "application/xml; charset=utf-8", body);
    r.headers_mut().insert(
        http::header::WWW_AUTHENTICATE,
        http::HeaderValue::from_static("Basic realm=\"Nextcloud\", charset=\"UTF-8\""),
    );
    r
}

async fn dav(State(sim): State<NextcloudSim>, method: Method, headers: HeaderMap) -> Response {
    match caller(&sim, &headers) {
        Caller::User { uid, .. } => match method.as_str() {
            "PROPFIND" => typed_response(207, "application/xml; charset=utf-8", format!(
                "<?xml version=\"1.0\"?>\n<d:multistatus xmlns:d=\"DAV:\"><d:response><d:href>/remote.php/dav/</d:href><d:propstat><d:prop><d:current-user-principal><d:href>/remote.php/dav/principals/users/{uid}/</d:href></d:current-user-principal></d:prop><d:status>HTTP/1.1 200 OK</d:status></d:propstat></d:response></d:multistatus>\n"
            )),
            _ => typed_response(200, "text/plain", "This is the WebDAV interface. It can only be accessed by WebDAV clients such as the Nextcloud desktop sync client.".into()),
        },
        Caller::Anonymous { password_forbidden: true } => dav_error("OCA\\DAV\\Connector\\Sabre\\Exception\\PasswordLoginForbidden", "", Some("password login forbidden")),
        Caller::Invalid => {
            throttle(&sim).await;
            dav_error("Sabre\\DAV\\Exception\\NotAuthenticated", "No public access to this resource., No 'Authorization: Basic' header found, Either no user was authenticated, or the provided credentials were invalid", None)
        }
        Caller::Anonymous { .. } => dav_error("Sabre\\DAV\\Exception\\NotAuthenticated", "No public access to this resource., No 'Authorization: Basic' header found", None),
    }
}

async fn check_config(State(sim): State<NextcloudSim>, headers: HeaderMap) -> Response {
    if integration_missing(&sim, (2, 2, 0)) {
        return not_found_page().await;
    }
    let strips = sim.lock().profile.strips_bearer_header;
    let raw = header(&headers, "authorization").unwrap_or_default();
    let echoed = if strips && raw.starts_with("Bearer ") { String::new() } else { raw };
    let user_id = match caller(&sim, &headers) {
        Caller::User { uid, .. } => uid,
        _ => String::new(),
    };
    json_response(200, &json!({ "user_id": user_id, "authorization_header": echoed }))
}

async fn check_admin_config(State(sim): State<NextcloudSim>, headers: HeaderMap) -> Response {
    if integration_missing(&sim, (2, 7, 0)) {
        return not_found_page().await;
    }
    if let Err(r) = app_admin(&sim, &headers).await {
        return r;
    }
    let s = sim.lock();
    json_response(
        200,
        &json!({
            "config_status_without_project_folder": s.admin_config_ok(),
            "project_folder_setup_status": s.openproject_app_password().is_some(),
        }),
    )
}

async fn project_folder_status(State(sim): State<NextcloudSim>, headers: HeaderMap) -> Response {
    if integration_missing(&sim, (2, 4, 0)) {
        return not_found_page().await;
    }
    if let Err(r) = app_admin(&sim, &headers).await {
        return r;
    }
    json_response(200, &json!({ "result": sim.lock().project_folder_complete() }))
}

fn is_local_host(u: &url::Url) -> bool {
    match u.host() {
        Some(url::Host::Domain(d)) => d == "localhost" || d.ends_with(".localhost") || !d.contains('.'),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback() || ip.is_private() || ip.is_link_local(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => true,
    }
}

/// cURL's words for a certificate it refuses (OpenSSL's verify messages), from what the simulator's own client
/// found wrong.
fn curl_certificate_error(e: &reqwest::Error) -> Option<&'static str> {
    let mut text = format!("{e:?}");
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        text.push_str(&format!(" {s:?}"));
        source = s.source();
    }
    if text.contains("NotValidForName") {
        Some("SSL: no alternative certificate subject name matches target host name '{host}'")
    } else if text.contains("Expired") {
        Some("SSL certificate problem: certificate has expired")
    } else if text.contains("UnknownIssuer") && text.contains("SelfSigned") {
        Some("SSL certificate problem: self-signed certificate")
    } else if text.contains("UnknownIssuer") || text.contains("InvalidCertificate") {
        Some("SSL certificate problem: unable to get local issuer certificate")
    } else {
        None
    }
}

async fn is_valid_op_instance(State(sim): State<NextcloudSim>, headers: HeaderMap, body: Bytes) -> Response {
    if integration_missing(&sim, (2, 0, 0)) {
        return not_found_page().await;
    }
    match caller(&sim, &headers) {
        Caller::User { .. } => {}
        Caller::Invalid => {
            throttle(&sim).await;
            return plain_unauthorized();
        }
        Caller::Anonymous { .. } => return plain_unauthorized(),
    }
    // A non-OCS route without @NoCSRFRequired: the OCS header passes the check only on Nextcloud 31+.
    let major = sim.lock().profile.major();
    if !has_ocs_header(&headers) || major < 31 {
        return csrf_failed();
    }
    let url_text = if header(&headers, "content-type").is_some_and(|c| c.contains("json")) {
        serde_json::from_slice::<Value>(&body)
            .ok()
            .and_then(|v| v.get("url").and_then(Value::as_str).map(str::to_owned))
    } else {
        url::form_urlencoded::parse(&body).find(|(k, _)| k == "url").map(|(_, v)| v.into_owned())
    }
    .unwrap_or_default();
    let Some(url) = url::Url::parse(&url_text).ok().filter(|u| matches!(u.scheme(), "http" | "https")) else {
        return json_response(200, &json!({ "result": false }));
    };
    if is_local_host(&url) && !sim.lock().profile.allow_local_remote_servers {
        return json_response(200, &json!({ "result": "local_remote_servers_not_allowed" }));
    }
    let probe = format!("{}/api/v3/", url_text.trim_end_matches('/'));
    let answer = sim.1.get(&probe).header("Accept", "application/json").header(INTERNAL_HEADER, "1").send().await;
    // Guzzle over cURL: a certificate cURL does not accept is cURL error 60, a RequestException (not one of
    // Guzzle's connection errors), so `request_exception` with cURL's words.
    let refused_certificate = answer.as_ref().err().and_then(curl_certificate_error);
    let result = match answer {
        Err(_) if refused_certificate.is_some() => {
            let words = refused_certificate.unwrap_or_default();
            let host = url.host_str().unwrap_or_default();
            json!({ "result": "request_exception", "details": format!("cURL error 60: {} (see https://curl.haxx.se/libcurl/c/libcurl-errors.html) for {probe}", words.replace("{host}", host)) })
        }
        Err(e) if e.is_connect() => {
            let host = url.host_str().unwrap_or_default().to_owned();
            let port = url.port_or_known_default().unwrap_or(80);
            json!({ "result": "network_error", "details": format!("cURL error 7: Failed to connect to {host} port {port} after 0 ms: Couldn't connect to server (see https://curl.haxx.se/libcurl/c/libcurl-errors.html) for {probe}") })
        }
        Err(e) => json!({ "result": "request_exception", "details": e.to_string() }),
        Ok(r) => {
            let status = r.status();
            let body: Value = r.json().await.unwrap_or(Value::Null);
            let unauthenticated = body.get("errorIdentifier").and_then(Value::as_str)
                == Some("urn:openproject-org:api:v3:errors:Unauthenticated");
            let root = body.get("_type").and_then(Value::as_str) == Some("Root");
            if (status.as_u16() == 401 && unauthenticated) || (status.is_success() && root) {
                json!({ "result": true })
            } else if status.is_client_error() {
                json!({ "result": "client_exception", "details": format!("{} {}", status.as_u16(), status.canonical_reason().unwrap_or_default()) })
            } else if status.is_server_error() {
                json!({ "result": "server_exception", "details": format!("{} {}", status.as_u16(), status.canonical_reason().unwrap_or_default()) })
            } else {
                json!({ "result": false })
            }
        }
    };
    json_response(200, &result)
}

/// Keys `/setup` accepts, by integration_openproject version.
fn known_keys(profile: &NextcloudProfile) -> Vec<&'static str> {
    let mut keys = vec![
        "openproject_instance_url",
        "openproject_client_id",
        "openproject_client_secret",
        "default_enable_navigation",
        "default_enable_unified_search",
    ];
    if profile.integration_at_least((2, 4, 0)) {
        keys.extend(["setup_project_folder", "setup_app_password"]);
    }
    if profile.integration_at_least((2, 9, 0)) {
        keys.extend([
            "authorization_method",
            "sso_provider_type",
            "oidc_provider",
            "targeted_audience_client_id",
            "token_exchange",
        ]);
    }
    keys
}

const BOOL_KEYS: [&str; 5] = [
    "default_enable_navigation",
    "default_enable_unified_search",
    "setup_project_folder",
    "setup_app_password",
    "token_exchange",
];

fn setup_error(status: u16, message: &str) -> Response {
    json_response(status, &json!({ "error": message }))
}

/// 3.1.1's `validateAdminSettingsForm`, with its messages.
fn validate_setup(profile: &NextcloudProfile, values: &Map<String, Value>, full: bool) -> Result<(), Response> {
    let known = known_keys(profile);
    if values.keys().any(|k| !known.contains(&k.as_str())) {
        return Err(setup_error(400, "invalid key"));
    }
    if full {
        let method = values.get("authorization_method").and_then(Value::as_str).unwrap_or("oauth2");
        if !matches!(method, "oauth2" | "oidc") {
            return Err(setup_error(400, "Invalid authorization method"));
        }
        let mut required =
            vec!["openproject_instance_url", "default_enable_navigation", "default_enable_unified_search"];
        if profile.integration_at_least((2, 4, 0)) {
            required.extend(["setup_project_folder", "setup_app_password"]);
        }
        if method == "oauth2" {
            required.extend(["openproject_client_id", "openproject_client_secret"]);
        } else {
            required.push("sso_provider_type");
            match values.get("sso_provider_type").and_then(Value::as_str) {
                Some("nextcloud_hub") => required.push("targeted_audience_client_id"),
                Some("external") => required.extend(["oidc_provider", "token_exchange"]),
                _ => return Err(setup_error(400, "invalid data")),
            }
        }
        if required.iter().any(|k| !values.contains_key(*k)) {
            return Err(setup_error(400, "invalid key"));
        }
        if profile.integration_at_least((2, 4, 0))
            && values.get("setup_project_folder") != values.get("setup_app_password")
        {
            return Err(setup_error(400, "invalid data"));
        }
    }
    for (key, value) in values {
        let ok = match key.as_str() {
            k if BOOL_KEYS.contains(&k) => value.is_boolean(),
            "openproject_instance_url" => value.as_str().is_some_and(|u| {
                url::Url::parse(u.trim()).is_ok_and(|p| matches!(p.scheme(), "http" | "https") && p.host().is_some())
            }),
            "authorization_method" => matches!(value.as_str(), Some("oauth2" | "oidc")),
            "sso_provider_type" => matches!(value.as_str(), Some("nextcloud_hub" | "external")),
            _ => value.as_str().is_some_and(|s| !s.is_empty()),
        };
        if !ok {
            return Err(setup_error(400, "invalid data"));
        }
    }
    Ok(())
}

fn store_value(value: &Value) -> String {
    match value {
        Value::Bool(true) => "1".into(),
        Value::Bool(false) | Value::Null => String::new(),
        Value::String(s) => s.trim().to_owned(),
        other => other.to_string(),
    }
}

fn redirect_uri(openproject_url: &str, client_id: &str) -> String {
    format!("{}/oauth_clients/{client_id}/callback", openproject_url.trim_end_matches('/'))
}

/// Creates user, groups and team folder `OpenProject`, or names the conflict, in 3.1.1's order.
fn setup_project_folder(s: &mut NextcloudState) -> Result<(), Response> {
    let user_exists = s.user(OP_ENTITY).is_some();
    let group_exists = s.groups.iter().any(|g| g == OP_ENTITY);
    if user_exists && group_exists && !s.groupfolders_on() {
        return Err(setup_error(500, "The \"groupfolders\" app is not installed"));
    }
    if user_exists {
        return Err(setup_error(409, "The user \"OpenProject\" already exists"));
    }
    if group_exists {
        return Err(setup_error(409, "The group \"OpenProject\" already exists"));
    }
    if !s.groupfolders_on() {
        return Err(setup_error(500, "The \"groupfolders\" app is not installed"));
    }
    if s.team_folders.iter().any(|f| f == OP_ENTITY) {
        return Err(setup_error(409, "The team folder name \"OpenProject\" already exists"));
    }
    s.users.push(NcUser {
        uid: OP_ENTITY.into(),
        password: printable_password(72),
        display_name: OP_ENTITY.into(),
        groups: vec![OP_ENTITY.into(), NO_AUTO_GROUP.into()],
        subadmin: vec![OP_ENTITY.into(), NO_AUTO_GROUP.into()],
        two_factor: false,
        enabled: true,
    });
    s.groups.extend([OP_ENTITY.to_owned(), NO_AUTO_GROUP.to_owned()]);
    s.team_folders.push(OP_ENTITY.into());
    Ok(())
}

fn create_oauth_client(s: &mut NextcloudState) -> OAuthClient {
    if let Ok(old) = s.config("nc_oauth_client_id").parse::<u64>() {
        s.oauth_clients.retain(|c| c.id != old);
    }
    let id = s.next();
    let client_id = alphanumeric(64);
    let client = OAuthClient {
        id,
        name: "OpenProject client".into(),
        redirect_uri: redirect_uri(s.config("openproject_instance_url"), &client_id),
        client_id,
        client_secret: alphanumeric(64),
    };
    s.oauth_clients.push(client.clone());
    s.app_config.insert("nc_oauth_client_id".into(), id.to_string());
    client
}

fn client_fields(body: &mut Map<String, Value>, client: &OAuthClient, with_secret: bool, with_id: bool) {
    if with_id {
        body.insert("id".into(), json!(client.id));
    }
    body.insert("nextcloud_oauth_client_name".into(), json!(client.name));
    body.insert("openproject_redirect_uri".into(), json!(client.redirect_uri));
    body.insert("nextcloud_client_id".into(), json!(client.client_id));
    if with_secret {
        body.insert("nextcloud_client_secret".into(), json!(client.client_secret));
    }
}

async fn setup(State(sim): State<NextcloudSim>, method: Method, headers: HeaderMap, body: Bytes) -> Response {
    if integration_missing(&sim, (2, 2, 0)) {
        return not_found_page().await;
    }
    if !matches!(method, Method::POST | Method::PATCH | Method::DELETE) {
        return json_response(405, &json!({ "message": "Method not allowed" }));
    }
    if let Err(r) = app_admin(&sim, &headers).await {
        return r;
    }
    let values: Map<String, Value> = if method == Method::DELETE {
        // `getDefaultSettings()`: every key null, a full reset.
        known_keys(&sim.lock().profile)
            .iter()
            .filter(|k| !k.starts_with("setup_"))
            .map(|k| ((*k).to_owned(), Value::Null))
            .collect()
    } else {
        match serde_json::from_slice::<Value>(&body).ok().and_then(|v| v.get("values").cloned()) {
            Some(Value::Object(map)) if !map.is_empty() => map,
            _ => return setup_error(400, "invalid data"),
        }
    };
    let full = method == Method::POST;
    let mut s = sim.lock();
    let profile = s.profile.clone();
    if method != Method::DELETE {
        if let Err(r) = validate_setup(&profile, &values, full) {
            return r;
        }
    }
    let mut values = values;
    if full && profile.integration_at_least((2, 9, 0)) && !values.contains_key("authorization_method") {
        values.insert("authorization_method".into(), json!("oauth2"));
    }
    if full
        && values.get("sso_provider_type").and_then(Value::as_str) == Some("nextcloud_hub")
        && !values.contains_key("oidc_provider")
    {
        values.insert("oidc_provider".into(), json!("Nextcloud Hub"));
    }
    let mut answer = Map::new();
    if values.get("setup_project_folder") == Some(&Value::Bool(true)) {
        if let Err(r) = setup_project_folder(&mut s) {
            return r;
        }
    }
    if values.get("setup_app_password") == Some(&Value::Bool(true)) {
        s.app_tokens.retain(|t| !(t.uid == OP_ENTITY && t.name == OP_ENTITY));
        if s.user(OP_ENTITY).is_none() {
            return setup_error(404, "User \"OpenProject\" does not exists to create application password");
        }
        let id = s.next();
        let token = printable_password(72);
        s.app_tokens.push(AppToken {
            id,
            uid: OP_ENTITY.into(),
            login_name: OP_ENTITY.into(),
            token: token.clone(),
            name: OP_ENTITY.into(),
        });
        answer.insert("openproject_user_app_password".into(), json!(token));
    }
    let old_url = s.config("openproject_instance_url").to_owned();
    for (key, value) in &values {
        if !key.starts_with("setup_") {
            s.app_config.insert(key.clone(), store_value(value));
        }
    }
    let new_url = s.config("openproject_instance_url").to_owned();
    if values.contains_key("openproject_instance_url") && new_url != old_url {
        if new_url.is_empty() {
            if let Ok(id) = s.config("nc_oauth_client_id").parse::<u64>() {
                s.oauth_clients.retain(|c| c.id != id);
            }
            s.app_config.remove("nc_oauth_client_id");
        } else if let Some(id) = s.integration_client().map(|c| c.id) {
            let uri_base = new_url.clone();
            if let Some(c) = s.oauth_clients.iter_mut().find(|c| c.id == id) {
                c.redirect_uri = redirect_uri(&uri_base, &c.client_id);
            }
        }
    }
    if values.get("setup_app_password") == Some(&Value::Bool(false)) {
        s.app_tokens.retain(|t| !(t.uid == OP_ENTITY && t.name == OP_ENTITY));
    }
    let full_reset = values.get("openproject_instance_url").is_some_and(|v| store_value(v).is_empty())
        && (!profile.integration_at_least((2, 9, 0))
            || values.get("authorization_method").is_some_and(|v| store_value(v).is_empty()));
    if full_reset {
        s.app_config.insert("fresh_project_folder_setup".into(), "1".into());
    }
    if values.contains_key("setup_project_folder") && values.contains_key("setup_app_password") {
        s.app_config.insert("fresh_project_folder_setup".into(), "0".into());
    }
    let oidc = s.config("authorization_method") == "oidc";
    match method {
        Method::POST if !oidc || !profile.integration_at_least((2, 11, 4)) => {
            let client = create_oauth_client(&mut s);
            client_fields(&mut answer, &client, true, false);
        }
        // `updateIntegration` returns the status alone in oidc mode, before the app password it has just made
        // (3.1.1 `lib/Controller/ConfigController.php`; measured): that password is never shown.
        Method::PATCH if oidc && profile.integration_at_least((2, 11, 4)) => answer.clear(),
        Method::PATCH => match s.integration_client().cloned() {
            Some(client) => client_fields(&mut answer, &client, false, true),
            None => {
                let client = create_oauth_client(&mut s);
                client_fields(&mut answer, &client, true, false);
            }
        },
        _ => {}
    }
    if profile.integration_at_least((2, 11, 4)) {
        answer.insert("status".into(), json!(if method == Method::DELETE { true } else { s.admin_config_ok() }));
    }
    // Key order as the real answers have it: status first.
    let mut ordered = Map::new();
    if let Some(st) = answer.remove("status") {
        ordered.insert("status".into(), st);
    }
    ordered.extend(answer);
    json_response(200, &Value::Object(ordered))
}
