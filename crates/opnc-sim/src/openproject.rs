//! A simulated OpenProject: API v3 (root, configuration, users/me, storages, OAuth client credentials,
//! OAuth applications, projects, project storages) and the Doorkeeper token endpoint, answering as
//! `shared/contracts/openproject-api.md` describes, quirks included:
//! - `coreVersion` and `admin` only rendered for admins; messages localised to the user's language;
//! - the OAuth client secret only in the response that created it;
//! - the Nextcloud host validated live on create and on host change (capabilities, then `check-config`
//!   with a Bearer header), and the application password checked against Nextcloud's WebDAV;
//! - host stored with one trailing slash (16.4+), a trailing slash answered with 500 before 16.4;
//! - `configured` from 14.2, `authenticationMethod` from 16.0, API tokens as Bearer from 17.2;
//! - `offset` is a page number; filters are JSON and unknown ones are a 400.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use http::{HeaderMap, Method};
use serde_json::{json, Value};

use crate::common::{basic_credentials, bearer_token, header, json_response, now_iso, urlsafe_token, version_at_least};
use crate::runner::INTERNAL_HEADER;

pub const NEXTCLOUD_TYPE: &str = "urn:openproject-org:api:v3:storages:Nextcloud";
const ERR: &str = "urn:openproject-org:api:v3:errors:";
/// Tokens created on 17.2 and later carry a prefix; only those work as Bearer.
pub const API_TOKEN_PREFIX: &str = "opapi-";

/// Which OpenProject is simulated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenProjectProfile {
    pub version: String,
    pub instance_name: String,
    /// `Setting.host_name`; `None` means the simulator's own `127.0.0.1:port`.
    pub host_name: Option<String>,
    pub available_features: Vec<String>,
}

impl OpenProjectProfile {
    pub fn v14() -> Self {
        Self::with_version("14.6.3")
    }
    pub fn v16() -> Self {
        Self::with_version("16.6.1")
    }
    pub fn v17() -> Self {
        Self::with_version("17.3.0")
    }
    pub fn with_version(version: &str) -> Self {
        Self {
            version: version.into(),
            instance_name: "OpenProject".into(),
            host_name: None,
            available_features: vec![],
        }
    }
    fn at_least(&self, min: (u64, u64, u64)) -> bool {
        version_at_least(&self.version, min)
    }
}

#[derive(Debug, Clone)]
pub struct OpUser {
    pub id: i64,
    pub login: String,
    pub name: String,
    pub admin: bool,
    /// `en` or `de`: the language of API messages for this user.
    pub language: String,
    pub api_token: String,
    /// For the web login form.
    pub password: String,
    /// A TOTP device: the web login asks for this code after the password.
    pub totp: Option<String>,
    pub failed_logins: u32,
}

#[derive(Debug, Clone)]
pub struct OAuthApp {
    pub id: i64,
    pub name: String,
    pub client_id: String,
    pub client_secret: String,
    pub redirect_uri: String,
}

#[derive(Debug, Clone)]
pub struct OAuthClientCreds {
    pub id: i64,
    pub client_id: String,
    pub client_secret: String,
}

#[derive(Debug, Clone)]
pub struct OpStorage {
    pub id: i64,
    pub name: String,
    /// Stored with one trailing slash on 16.4+.
    pub host: String,
    pub application_password: Option<String>,
    pub oauth_app: Option<OAuthApp>,
    pub oauth_client: Option<OAuthClientCreds>,
    pub created_at: String,
    pub updated_at: String,
    /// `two_way_oauth2` (the default) or `oauth2_sso` (16.0+, `storages/nextcloud_storage.rb`).
    pub authentication_method: String,
    /// SSO: `__op-idp__` (the IdP token as it is) or the audience to exchange it for.
    pub storage_audience: Option<String>,
    pub token_exchange_scope: Option<String>,
}

impl OpStorage {
    pub fn sso(&self) -> bool {
        self.authentication_method == AUTH_SSO
    }

    /// `NextcloudStorage#configuration_checks`, all true.
    pub fn configured(&self) -> bool {
        if self.sso() {
            self.storage_audience.as_deref().is_some_and(|a| !a.is_empty())
        } else {
            self.oauth_app.is_some() && self.oauth_client.is_some()
        }
    }
}

const AUTH_SSO: &str = "oauth2_sso";
const AUTH_TWO_WAY: &str = "two_way_oauth2";
const URN_AUTH: &str = "urn:openproject-org:api:v3:storages:authenticationMethod:";
/// The Enterprise feature a storage with SSO needs (`general_information_contract.rb`: `enterprise_plan_required`).
const SSO_FEATURE: &str = "nextcloud_sso";

/// An OpenID provider of OpenProject (`openid_connect/provider.rb`): the slug is `oidc-` and the display name;
/// `available` once saved complete.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OpOidcProvider {
    pub id: i64,
    pub slug: String,
    pub display_name: String,
    pub client_id: String,
    pub client_secret: String,
    pub scope: String,
    pub metadata_url: String,
    /// Discovered: the issuer, and the grant types (token exchange among them or not).
    pub issuer: String,
    pub grant_types_supported: Vec<String>,
    pub available: bool,
}

impl OpOidcProvider {
    /// `Provider#configured?`: a display name, client id and secret, and the mandatory discovered endpoints.
    pub fn configured(&self) -> bool {
        !self.display_name.is_empty()
            && !self.client_id.is_empty()
            && !self.client_secret.is_empty()
            && !self.issuer.is_empty()
    }
}

#[derive(Debug, Clone)]
pub struct OpProject {
    pub id: i64,
    pub identifier: String,
    pub name: String,
    pub active: bool,
    pub parent_id: Option<i64>,
    /// Project modules that are on (the web form replaces the whole list).
    pub enabled_modules: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct OpProjectStorage {
    pub id: i64,
    pub project_id: i64,
    pub storage_id: i64,
    pub mode: String,
    /// The Nextcloud file id of a manual project folder.
    pub folder_id: Option<String>,
}

/// Everything the simulated OpenProject knows, inspectable by tests.
/// One check of the health report as a test wants it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HealthBreak {
    /// `failure` or `warning`.
    pub state: String,
    pub code: String,
    /// The check's `context` (e.g. `project`, `actual`/`expected`, `sample`).
    pub context: Vec<(String, String)>,
}

#[derive(Debug, Clone)]
pub struct OpenProjectState {
    pub profile: OpenProjectProfile,
    pub self_host: String,
    pub users: Vec<OpUser>,
    pub storages: Vec<OpStorage>,
    pub projects: Vec<OpProject>,
    pub project_storages: Vec<OpProjectStorage>,
    /// A firewall between OpenProject and Nextcloud: OpenProject's own requests to Nextcloud fail.
    pub nextcloud_unreachable: bool,
    /// `OPENPROJECT_SSRF_PROTECTION_IP_ALLOWLIST`: the private addresses OpenProject 17.6 and later still talks to
    /// (storage hosts on other private, loopback or link-local addresses are refused).
    pub ssrf_allowlist: Vec<std::net::IpAddr>,
    /// The background workers are behind (`/health_checks/all` reports `worker_backed_up`).
    pub workers_backed_up: bool,
    /// No background worker runs (`/health_checks/all` reports `worker` failed).
    pub workers_stopped: bool,
    /// A reverse proxy in front of the web pages rewrites `Accept` to what browsers send.
    pub proxy_rewrites_accept: bool,
    /// The admin pages look different from what this version's should (a redesign, a plugin): the storage page
    /// has no "Replace OpenProject OAuth" form.
    pub web_pages_redesigned: bool,
    /// Web sessions by id (the `_open_project_session` cookie).
    pub sessions: BTreeMap<String, crate::openproject_session::WebSession>,
    pub web_login: crate::openproject_session::WebLogin,
    /// The cached health report per storage (`Rails.cache`, 6 h).
    pub health_reports: BTreeMap<i64, String>,
    /// Checks of the health report that come out otherwise than the simulated state gives, by check key (e.g.
    /// `project_folders_exist`): what a test breaks on the Nextcloud side that the simulator does not model.
    pub health_breaks: BTreeMap<String, HealthBreak>,
    /// OpenID providers (Administration → Authentication → OpenID providers); the sign-in page offers the available
    /// ones as `/auth/<slug>` links.
    pub oidc_providers: Vec<OpOidcProvider>,
    /// Users who have signed in through an OpenID provider: (provider slug, the token's `sub`); the user's login is
    /// the `sub` here.
    pub oidc_user_links: Vec<(String, String)>,
    next_id: i64,
}

impl OpenProjectState {
    pub(crate) fn next(&mut self) -> i64 {
        self.next_id += 1;
        self.next_id
    }

    /// Destroys a storage's OAuth application (and with it every token issued to Nextcloud users) and creates a
    /// new one — new id, uid and secret (`secret`, or a fresh one) — as "Replace OpenProject OAuth" does.
    pub(crate) fn replace_oauth_app(&mut self, storage_id: i64, secret: Option<&str>) -> Option<OAuthApp> {
        let id = self.next();
        let storage = self.storages.iter_mut().find(|st| st.id == storage_id)?;
        let app =
            oauth_app_for(id, &storage.name, &storage.host, secret.map(str::to_owned).unwrap_or_else(urlsafe_token));
        storage.oauth_app = Some(app.clone());
        storage.updated_at = now_iso();
        Some(app)
    }

    pub fn host_name(&self) -> String {
        self.profile.host_name.clone().unwrap_or_else(|| self.self_host.clone())
    }
}

/// The demo accounts every simulated OpenProject starts with.
pub mod demo {
    pub const ADMIN_TOKEN: &str = "opapi-demo-admin-token-2b7c4e91d0a3f5";
    pub const ADMIN_DE_TOKEN: &str = "opapi-demo-admin-de-token-8f31aa07c2";
    pub const USER_TOKEN: &str = "opapi-demo-user-token-5d2e9b6c10f4";
    /// A token created before 17.2: no prefix, so it only works as Basic `apikey`.
    pub const LEGACY_ADMIN_TOKEN: &str = "4f0c2d9a8b7e6f5a4c3b2a1908f7e6d5c4b3a291";
    /// The web-login password of every demo account (logins: admin, admin-de, member, admin2fa).
    pub const PASSWORD: &str = "demo-Passw0rd";
    /// The code `admin2fa`'s authenticator app shows.
    pub const TOTP_CODE: &str = "246810";
}

/// Handle to a simulated OpenProject's state.
#[derive(Debug, Clone)]
pub struct OpenProjectSim(Arc<Mutex<OpenProjectState>>, reqwest::Client);

impl OpenProjectSim {
    /// The client OpenProject's own requests go out with (its provider's discovery fetch).
    pub(crate) fn outbound(&self) -> &reqwest::Client {
        &self.1
    }

    pub fn new(profile: OpenProjectProfile) -> Self {
        let users = vec![
            OpUser {
                id: 1,
                login: "admin".into(),
                name: "OpenProject Admin".into(),
                admin: true,
                language: "en".into(),
                api_token: demo::ADMIN_TOKEN.into(),
                password: demo::PASSWORD.into(),
                totp: None,
                failed_logins: 0,
            },
            OpUser {
                id: 2,
                login: "admin-de".into(),
                name: "Admin Deutsch".into(),
                admin: true,
                language: "de".into(),
                api_token: demo::ADMIN_DE_TOKEN.into(),
                password: demo::PASSWORD.into(),
                totp: None,
                failed_logins: 0,
            },
            OpUser {
                id: 3,
                login: "member".into(),
                name: "Project Member".into(),
                admin: false,
                language: "en".into(),
                api_token: demo::USER_TOKEN.into(),
                password: demo::PASSWORD.into(),
                totp: None,
                failed_logins: 0,
            },
            OpUser {
                id: 4,
                login: "legacy-admin".into(),
                name: "Admin with an old token".into(),
                admin: true,
                language: "en".into(),
                api_token: demo::LEGACY_ADMIN_TOKEN.into(),
                password: demo::PASSWORD.into(),
                totp: None,
                failed_logins: 0,
            },
            OpUser {
                id: 5,
                login: "admin2fa".into(),
                name: "Admin with two-factor".into(),
                admin: true,
                language: "en".into(),
                api_token: "opapi-demo-admin2fa-token-77ab3c0d9e".into(),
                password: demo::PASSWORD.into(),
                totp: Some(demo::TOTP_CODE.into()),
                failed_logins: 0,
            },
        ];
        let project = |id, identifier: &str, name: &str, active, parent_id| OpProject {
            id,
            identifier: identifier.into(),
            name: name.into(),
            active,
            parent_id,
            enabled_modules: ["work_package_tracking", "wiki", "storages"].map(String::from).to_vec(),
        };
        let projects = vec![
            project(1, "demo-project", "Demo project", true, None),
            project(2, "scrum-project", "Scrum project", true, None),
            project(3, "website-relaunch", "Website relaunch", true, Some(1)),
            project(4, "archived-2023", "Archived 2023", false, None),
        ];
        let state = OpenProjectState {
            profile,
            self_host: String::new(),
            users,
            storages: vec![],
            projects,
            project_storages: vec![],
            nextcloud_unreachable: false,
            ssrf_allowlist: Vec::new(),
            workers_backed_up: false,
            workers_stopped: false,
            proxy_rewrites_accept: false,
            web_pages_redesigned: false,
            sessions: BTreeMap::new(),
            web_login: Default::default(),
            health_reports: BTreeMap::new(),
            health_breaks: BTreeMap::new(),
            oidc_providers: Vec::new(),
            oidc_user_links: Vec::new(),
            next_id: 100,
        };
        let client = crate::common::outbound_client();
        Self(Arc::new(Mutex::new(state)), client)
    }

    pub fn lock(&self) -> MutexGuard<'_, OpenProjectState> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn state(&self) -> OpenProjectState {
        self.lock().clone()
    }

    pub fn set_self_host(&self, host: &str) {
        self.lock().self_host = host.to_owned();
    }

    /// Links a storage to a project, as the admin UI would (there is no API for it).
    pub fn enable_in_project(&self, storage_id: i64, project_id: i64, mode: &str) {
        let mut s = self.lock();
        let id = s.next();
        s.project_storages.push(OpProjectStorage { id, project_id, storage_id, mode: mode.into(), folder_id: None });
    }

    /// Replaces a storage's OAuth application, as the admin UI's "Replace OAuth values" does (there is no
    /// API): a new client id and secret, the secret shown once (returned here).
    pub fn replace_oauth_application(&self, storage_id: i64) -> Option<(String, String)> {
        self.replace_oauth_application_with_secret(storage_id, &urlsafe_token())
    }

    /// The same, with the secret the test chooses (as if the admin had read it off the page).
    pub fn replace_oauth_application_with_secret(&self, storage_id: i64, secret: &str) -> Option<(String, String)> {
        let mut s = self.lock();
        s.storages.iter().find(|st| st.id == storage_id)?.oauth_app.as_ref()?;
        let app = s.replace_oauth_app(storage_id, Some(secret))?;
        Some((app.client_id, app.client_secret))
    }

    /// Whether Nextcloud answers its capabilities (what the health report's reachability check asks).
    pub(crate) async fn nextcloud_capabilities(&self, host: &str) -> bool {
        validate_nextcloud_host(&self.1, host.trim_end_matches('/'), false).await.is_ok()
    }

    /// What each request costs this server, after OpenProject's own timings (Puma, a few workers): every request
    /// ~15 ms; creating a storage +60 ms besides its own calls to Nextcloud (those are charged by Nextcloud);
    /// a web sign-in +200 ms (the password is hashed).
    pub fn request_cost(&self) -> crate::runner::RequestCost {
        std::sync::Arc::new(|method: &http::Method, path: &str, _headers: &HeaderMap, _body: &[u8]| {
            let extra = match (method, path) {
                (&http::Method::POST, "/api/v3/storages") => 60,
                (&http::Method::POST, "/login") => 200,
                _ => 0,
            };
            std::time::Duration::from_millis(15 + extra)
        })
    }

    /// The API's routes; the whole app (with the web pages in front) is `openproject_web::app`.
    pub fn api_routes() -> Router<OpenProjectSim> {
        Router::new()
            .route("/api/v3", get(root))
            .route("/api/v3/", get(root))
            .route("/api/v3/configuration", get(configuration))
            .route("/api/v3/users/me", get(me))
            .route("/api/v3/storages", get(list_storages).post(create_storage))
            .route("/api/v3/storages/{id}", get(get_storage).patch(patch_storage).delete(delete_storage))
            .route("/api/v3/storages/{id}/oauth_client_credentials", post(set_client_credentials))
            .route("/api/v3/oauth_applications/{id}", get(get_oauth_application))
            .route("/api/v3/oauth_client_credentials/{id}", get(get_client_credentials))
            .route("/api/v3/projects", get(list_projects))
            .route("/api/v3/project_storages", get(list_project_storages))
            .route("/oauth/token", post(token))
            .route("/health_checks/all", get(health_checks))
            .fallback(not_found_page)
    }
}

enum Caller {
    User(OpUser),
    Anonymous,
    Rejected,
    /// A JWT from an identity provider that OpenProject refuses, with the `error` and `error_description` of its
    /// `WWW-Authenticate` header.
    TokenRefused(&'static str, String),
}

/// A JWT from one of OpenProject's OpenID providers, as its API checks it (16.0+:
/// `lib_static/open_project/authentication/strategies/warden/jwt_oidc.rb` and
/// `modules/openid_connect/app/services/openid_connect/jwt_parser.rb`): the provider found by the exact `iss` among
/// the available ones, the signature, `aud` containing the provider's client id, scope `api_v3`, and a user who
/// has signed in through that provider before (an auth provider link for `sub`).
fn oidc_bearer_caller(s: &OpenProjectState, token: &str) -> Option<Caller> {
    if !s.profile.at_least((16, 0, 0)) {
        return None;
    }
    let claims = crate::oidc_issuer::verified_claims(token)?;
    let iss = claims.get("iss").and_then(Value::as_str).unwrap_or_default();
    let refused = |error: &'static str, text: &str| Some(Caller::TokenRefused(error, text.to_owned()));
    let Some(provider) = s.oidc_providers.iter().find(|p| p.available && p.issuer == iss) else {
        return refused("invalid_token", "The access token issuer is unknown");
    };
    if !crate::oidc_issuer::audiences(&claims).contains(&provider.client_id) {
        return refused("invalid_token", "Invalid audience.");
    }
    if !crate::oidc_issuer::scopes(&claims).iter().any(|x| x == "api_v3") {
        return refused("insufficient_scope", "Requires scope api_v3 to access this resource.");
    }
    let sub = claims.get("sub").and_then(Value::as_str).unwrap_or_default();
    let linked = s.oidc_user_links.iter().find(|(slug, external)| *slug == provider.slug && external == sub);
    match linked.and_then(|_| s.users.iter().find(|u| u.login == sub)) {
        Some(u) => Some(Caller::User(u.clone())),
        None => refused("invalid_token", "The user identified by the token is not known"),
    }
}

fn caller(sim: &OpenProjectSim, headers: &HeaderMap) -> Caller {
    let s = sim.lock();
    if let Some((user, password)) = basic_credentials(headers) {
        if user != "apikey" {
            return Caller::Rejected;
        }
        return match s.users.iter().find(|u| u.api_token == password) {
            Some(u) => Caller::User(u.clone()),
            None => Caller::Rejected,
        };
    }
    if let Some(token) = bearer_token(headers) {
        if let Some(caller) = oidc_bearer_caller(&s, &token) {
            return caller;
        }
        let bearer_tokens = s.profile.at_least((17, 2, 0));
        return match s.users.iter().find(|u| u.api_token == token) {
            Some(u) if bearer_tokens && token.starts_with(API_TOKEN_PREFIX) => Caller::User(u.clone()),
            _ => Caller::Rejected,
        };
    }
    if headers.contains_key(http::header::AUTHORIZATION) {
        return Caller::Rejected;
    }
    let session_user = crate::openproject_session::session_user_id(&s.sessions, headers)
        .and_then(|id| s.users.iter().find(|u| u.id == id).cloned());
    match session_user {
        Some(u) => Caller::User(u),
        None => Caller::Anonymous,
    }
}

/// The user behind the request, or the 401 every API endpoint gives (login is required on the simulated
/// instance, as on most real ones).
fn require_user(sim: &OpenProjectSim, headers: &HeaderMap) -> Result<OpUser, Response> {
    match caller(sim, headers) {
        Caller::User(u) => Ok(u),
        Caller::TokenRefused(code, text) => {
            let mut r = error(401, "Unauthenticated", &msg("en", "unauthenticated"), None);
            let value = format!("Bearer realm=\"OpenProject API\", error=\"{code}\", error_description=\"{text}\"");
            if let Ok(value) = http::HeaderValue::from_str(&value) {
                r.headers_mut().insert(http::header::WWW_AUTHENTICATE, value);
            }
            Err(r)
        }
        Caller::Anonymous | Caller::Rejected => {
            let mut r = error(401, "Unauthenticated", &msg("en", "unauthenticated"), None);
            r.headers_mut().insert(
                http::header::WWW_AUTHENTICATE,
                http::HeaderValue::from_static("Basic realm=\"OpenProject API\""),
            );
            Err(r)
        }
    }
}

fn require_admin(sim: &OpenProjectSim, headers: &HeaderMap) -> Result<OpUser, Response> {
    let user = require_user(sim, headers)?;
    if user.admin {
        Ok(user)
    } else {
        Err(error(403, "MissingPermission", &msg(&user.language, "missing_permission"), None))
    }
}

/// Localised messages: OpenProject renders them in the caller's language.
fn msg(lang: &str, key: &str) -> String {
    let de = lang == "de";
    let text = match key {
        "unauthenticated" => {
            if de {
                "Sie müssen sich anmelden, um auf diese Ressource zugreifen zu können."
            } else {
                "You did not provide the correct credentials."
            }
        }
        "missing_permission" => {
            if de {
                "Sie sind nicht berechtigt, auf diese Ressource zuzugreifen."
            } else {
                "You are not authorized to access this resource."
            }
        }
        "not_found" => {
            if de {
                "Die angeforderte Ressource konnte nicht gefunden werden."
            } else {
                "The requested resource could not be found."
            }
        }
        "multiple" => {
            if de {
                "Mehrere Feldeinschränkungen wurden verletzt."
            } else {
                "Multiple field constraints have been violated."
            }
        }
        // The wording is the simulator's: the key is upstream's (`enterprise_plan_required`), the text is not.
        "enterprise_plan_required" => {
            if de {
                "Authentifizierungsmethode ist nur mit dem Enterprise-Plan verfügbar."
            } else {
                "Authentication method is only available with the Enterprise plan."
            }
        }
        "name_blank" => {
            if de {
                "Name muss ausgefüllt werden."
            } else {
                "Name can't be blank."
            }
        }
        "name_taken" => {
            if de {
                "Name ist bereits vergeben."
            } else {
                "Name has already been taken."
            }
        }
        "name_too_long" => {
            if de {
                "Name ist zu lang (mehr als 255 Zeichen)."
            } else {
                "Name is too long (maximum is 255 characters)."
            }
        }
        "host_invalid" => {
            if de {
                "Host ist keine gültige URL."
            } else {
                "Host is not a valid URL."
            }
        }
        "host_taken" => {
            if de {
                "Host ist bereits vergeben."
            } else {
                "Host has already been taken."
            }
        }
        "host_not_secure" => {
            if de {
                "Host bietet keinen \"Secure Context\". Verwenden Sie entweder HTTPS oder eine Loopback-Adresse wie localhost."
            } else {
                "Host is not providing a \"Secure Context\". Either use HTTPS or a loopback address, like localhost."
            }
        }
        "cannot_be_connected_to" => {
            if de {
                "Host konnte nicht erreicht werden. Bitte stellen Sie sicher, dass der Host erreichbar und die OpenProject-Integrations-App installiert ist."
            } else {
                "Host could not be reached. Please ensure the host is reachable and the OpenProject integration app is installed."
            }
        }
        // OpenProject names the variable in its message (`errors.add(attribute, :ssrf_filtered, env_name:)`).
        "ssrf_filtered" => {
            if de {
                "Host wird zu einer privaten IP-Adresse aufgelöst und ist deshalb gesperrt. Falls das beabsichtigt ist, fügen Sie die Adresse über die Umgebungsvariable OPENPROJECT_SSRF_PROTECTION_IP_ALLOWLIST zur Erlaubnisliste hinzu."
            } else {
                "Host resolves to a private IP address and is therefore blocked. If this is intentional, add the address to the allowlist via the OPENPROJECT_SSRF_PROTECTION_IP_ALLOWLIST environment variable."
            }
        }
        "not_nextcloud_server" => {
            if de {
                "Host ist kein Nextcloud-Server"
            } else {
                "Host is not a Nextcloud server"
            }
        }
        "minimal_nextcloud_version_unmet" => {
            if de {
                "Host muss Nextcloud 23 oder höher sein"
            } else {
                "Host must be Nextcloud 23 or higher"
            }
        }
        "op_application_not_installed" => {
            if de {
                "Host scheint die App \"OpenProject Integration\" nicht installiert zu haben. Bitte installieren Sie sie zuerst und versuchen Sie es erneut."
            } else {
                "Host seems to not have the app \"OpenProject integration\" installed. Please install it first and then try again."
            }
        }
        "authorization_header_missing" => {
            if de {
                "Host ist nicht vollständig eingerichtet. Die Nextcloud-Instanz erhält den \"Authorization\"-Header nicht."
            } else {
                "Host is not fully set up. The Nextcloud instance does not receive the \"Authorization\" header, which is necessary for a Bearer token based authorization of API requests. Please double check your HTTP server configuration."
            }
        }
        "password_invalid" => {
            if de {
                "Anwendungspasswort ist ungültig."
            } else {
                "Application password is not valid."
            }
        }
        "password_unknown" => {
            if de {
                "Anwendungspasswort konnte beim Speicheranbieter nicht überprüft werden."
            } else {
                "Application password could not be validated with the file storage provider. Please check the connection and try again."
            }
        }
        "client_id_blank" => {
            if de {
                "Client-ID muss ausgefüllt werden."
            } else {
                "Client ID can't be blank."
            }
        }
        "client_secret_blank" => {
            if de {
                "Client-Geheimnis muss ausgefüllt werden."
            } else {
                "Client secret can't be blank."
            }
        }
        "invalid_body" => {
            if de {
                "Der Anfrageinhalt war kein einzelnes JSON-Objekt."
            } else {
                "The request body was not a single JSON object."
            }
        }
        "invalid_query" => {
            if de {
                "Filter: Ungültiger Filter."
            } else {
                "Filters are invalid."
            }
        }
        "internal" => {
            if de {
                "Ein interner Fehler ist aufgetreten."
            } else {
                "An internal error has occurred."
            }
        }
        "type_not_supported" => {
            if de {
                "Erwartetes CONTENT-TYPE war 'application/json'."
            } else {
                "Expected CONTENT-TYPE to be (expected value) but got (actual value)."
            }
        }
        _ => key,
    };
    text.to_owned()
}

fn error_body(identifier: &str, message: &str, attribute: Option<&str>) -> Value {
    let mut e = json!({ "_type": "Error", "errorIdentifier": format!("{ERR}{identifier}"), "message": message });
    if let Some(a) = attribute {
        e["_embedded"] = json!({ "details": { "attribute": a } });
    }
    e
}

fn error(status: u16, identifier: &str, message: &str, attribute: Option<&str>) -> Response {
    json_response(status, &error_body(identifier, message, attribute))
}

/// 422 with one violation, or `MultipleErrors` for several (one collapses to the single form).
fn violations(lang: &str, list: Vec<(&str, String)>) -> Response {
    if list.len() == 1 {
        let (attr, m) = &list[0];
        return error(422, "PropertyConstraintViolation", m, Some(attr));
    }
    let errors: Vec<Value> = list.iter().map(|(a, m)| error_body("PropertyConstraintViolation", m, Some(a))).collect();
    let mut body = error_body("MultipleErrors", &msg(lang, "multiple"), None);
    body["_embedded"] = json!({ "errors": errors });
    json_response(422, &body)
}

async fn not_found_page() -> Response {
    crate::common::typed_response(404, "text/html; charset=utf-8", "<!DOCTYPE html><html><head><title>OpenProject</title></head><body><h1>404</h1><p>The page you were looking for doesn't exist.</p></body></html>".into())
}

async fn root(State(sim): State<OpenProjectSim>, headers: HeaderMap) -> Response {
    let user = match require_user(&sim, &headers) {
        Ok(u) => u,
        Err(r) => return r,
    };
    let s = sim.lock();
    let mut body = json!({
        "_type": "Root",
        "instanceName": s.profile.instance_name,
        "_links": {
            "self": { "href": "/api/v3" },
            "configuration": { "href": "/api/v3/configuration" },
            "user": { "href": format!("/api/v3/users/{}", user.id), "title": user.name },
            "userPreferences": { "href": "/api/v3/my_preferences" },
            "workPackages": { "href": "/api/v3/work_packages" },
        }
    });
    if user.admin {
        body["coreVersion"] = json!(s.profile.version);
    }
    json_response(200, &body)
}

async fn configuration(State(sim): State<OpenProjectSim>, headers: HeaderMap) -> Response {
    if let Err(r) = require_user(&sim, &headers) {
        return r;
    }
    let s = sim.lock();
    let mut body = json!({
        "_type": "Configuration",
        "maximumAttachmentFileSize": 5_242_880,
        "hostName": s.host_name(),
        "perPageOptions": [20, 100],
        "durationFormat": "hours_only",
        "activeFeatureFlags": [],
        "availableFeatures": s.profile.available_features,
        "trialAvailable": false,
        "_links": { "self": { "href": "/api/v3/configuration" } }
    });
    if s.profile.at_least((17, 0, 0)) {
        // As OpenProject 17.1 answers (`lib/api/v3/configuration/configuration_representer.rb`: the date and time
        // formats, week start, hours per day, days per month and default time zone render nil; seen from an
        // independent implementation of 17.1: the link protocols, the page size bound and the trialling features).
        let extra = json!({
            "dateFormat": null,
            "timeFormat": null,
            "startOfWeek": null,
            "hoursPerDay": 8,
            "daysPerMonth": 20,
            "userDefaultTimezone": null,
            "allowedLinkProtocols": ["http", "https", "mailto", "tel"],
            "maximumAPIV3PageSize": 1000,
            "triallingFeatures": [],
        });
        if let (Some(body), Some(extra)) = (body.as_object_mut(), extra.as_object()) {
            body.extend(extra.clone());
        }
    }
    json_response(200, &body)
}

async fn me(State(sim): State<OpenProjectSim>, headers: HeaderMap) -> Response {
    let user = match require_user(&sim, &headers) {
        Ok(u) => u,
        Err(r) => return r,
    };
    let mut body = json!({
        "_type": "User", "id": user.id, "name": user.name, "login": user.login,
        "firstName": user.name.split(' ').next().unwrap_or_default(), "status": "active", "language": user.language,
        "_links": { "self": { "href": format!("/api/v3/users/{}", user.id), "title": user.name } }
    });
    if user.admin {
        body["admin"] = json!(true);
    }
    if sim.lock().profile.at_least((17, 0, 0)) {
        // The fields 17.1's user representer adds for the user themself.
        let last_name = user.name.split_once(' ').map(|(_, l)| l).unwrap_or_default().to_owned();
        let extra = json!({
            "lastName": last_name,
            "email": format!("{}@example.com", user.login),
            "avatar": "",
            "identityUrl": null,
            "createdAt": "2025-01-01T00:00:00.000Z",
            "updatedAt": "2025-01-01T00:00:00.000Z",
        });
        if let (Some(body), Some(extra)) = (body.as_object_mut(), extra.as_object()) {
            body.extend(extra.clone());
        }
    }
    json_response(200, &body)
}

fn storage_json(s: &OpenProjectState, storage: &OpStorage, admin: bool, with_secret: bool) -> Value {
    let profile = &s.profile;
    let mut embedded = serde_json::Map::new();
    let mut links = json!({
        "self": { "href": format!("/api/v3/storages/{}", storage.id), "title": storage.name },
        "type": { "href": NEXTCLOUD_TYPE, "title": "Nextcloud" },
        "origin": { "href": storage.host },
        "open": { "href": format!("/api/v3/storages/{}/open", storage.id) },
        "authorizationState": if s.nextcloud_unreachable {
            json!({ "href": "urn:openproject-org:api:v3:storages:authorization:Error", "title": "Error" })
        } else if profile.at_least((17, 1, 0)) {
            json!({ "href": "urn:openproject-org:api:v3:storages:authorization:NotConnected", "title": "Not connected" })
        } else {
            json!({ "href": "urn:openproject-org:api:v3:storages:authorization:FailedAuthorization", "title": "Authorization failed" })
        },
        "projectStorages": { "href": format!("/api/v3/project_storages?filters=[{{\"storageId\":{{\"operator\":\"=\",\"values\":[\"{}\"]}}}}]", storage.id) },
    });
    if profile.at_least((16, 0, 0)) {
        let urn = if storage.sso() { "OAuth2SSO" } else { "TwoWayOAuth2" };
        links["authenticationMethod"] = json!({ "href": format!("{URN_AUTH}{urn}") });
    }
    if admin {
        if let Some(app) = &storage.oauth_app {
            let mut a = json!({
                "_type": "OAuthApplication", "id": app.id, "name": app.name, "clientId": app.client_id,
                "confidential": true, "scopes": ["api_v3"], "createdAt": storage.created_at, "updatedAt": storage.updated_at,
                "_links": {
                    "self": { "href": format!("/api/v3/oauth_applications/{}", app.id) },
                    "owner": { "href": "/api/v3/users/1", "title": "OpenProject Admin" },
                    "integration": { "href": format!("/api/v3/storages/{}", storage.id), "title": storage.name },
                    "redirectUri": [{ "href": app.redirect_uri }],
                }
            });
            if with_secret {
                a["clientSecret"] = json!(app.client_secret);
            }
            embedded.insert("oauthApplication".into(), a);
            links["oauthApplication"] =
                json!({ "href": format!("/api/v3/oauth_applications/{}", app.id), "title": app.name });
        }
        links["oauthClientCredentials"] = match &storage.oauth_client {
            Some(c) => {
                embedded.insert("oauthClientCredentials".into(), client_creds_json(storage, c));
                json!({ "href": format!("/api/v3/oauth_client_credentials/{}", c.id) })
            }
            None => json!({ "href": null }),
        };
    }
    let mut body = json!({
        "_type": "Storage", "id": storage.id, "name": storage.name,
        "hasApplicationPassword": storage.application_password.is_some(),
        "createdAt": storage.created_at, "updatedAt": storage.updated_at,
        "_embedded": Value::Object(embedded), "_links": links,
    });
    if profile.at_least((14, 2, 0)) {
        body["configured"] = json!(storage.configured());
    }
    if profile.at_least((16, 0, 0)) {
        // `storage_representer.rb`: rendered for Nextcloud storages, nil when unset.
        body["storageAudience"] = json!(storage.storage_audience);
        body["tokenExchangeScope"] = json!(storage.token_exchange_scope);
    }
    body
}

fn client_creds_json(storage: &OpStorage, c: &OAuthClientCreds) -> Value {
    json!({
        "_type": "OAuthClientCredentials", "id": c.id, "clientId": c.client_id, "confidential": true,
        "createdAt": storage.updated_at, "updatedAt": storage.updated_at,
        "_links": {
            "self": { "href": format!("/api/v3/oauth_client_credentials/{}", c.id) },
            "integration": { "href": format!("/api/v3/storages/{}", storage.id), "title": storage.name },
        }
    })
}

async fn list_storages(State(sim): State<OpenProjectSim>, headers: HeaderMap) -> Response {
    let user = match require_user(&sim, &headers) {
        Ok(u) => u,
        Err(r) => return r,
    };
    let s = sim.lock();
    // Non-admins see only storages of projects they can see; the simulated member is in none.
    let elements: Vec<Value> =
        if user.admin { s.storages.iter().map(|st| storage_json(&s, st, true, false)).collect() } else { vec![] };
    json_response(
        200,
        &json!({
            "_type": "Collection", "total": elements.len(), "count": elements.len(),
            "_embedded": { "elements": elements }, "_links": { "self": { "href": "/api/v3/storages" } }
        }),
    )
}

async fn get_storage(State(sim): State<OpenProjectSim>, headers: HeaderMap, Path(id): Path<String>) -> Response {
    let user = match require_user(&sim, &headers) {
        Ok(u) => u,
        Err(r) => return r,
    };
    let s = sim.lock();
    match s.storages.iter().find(|st| st.id.to_string() == id) {
        Some(st) if user.admin => json_response(200, &storage_json(&s, st, true, false)),
        _ => error(404, "NotFound", &msg(&user.language, "not_found"), None),
    }
}

/// Checks the request framing OpenProject's API enforces on writes.
fn json_object_body(lang: &str, headers: &HeaderMap, body: &Bytes) -> Result<serde_json::Map<String, Value>, Response> {
    match header(headers, "content-type") {
        None => return Err(crate::common::typed_response(406, "text/plain", "Missing content-type header".into())),
        Some(ct) if !ct.to_ascii_lowercase().starts_with("application/json") => {
            return Err(error(415, "TypeNotSupported", &msg(lang, "type_not_supported"), None));
        }
        Some(_) => {}
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => Ok(map),
        _ => Err(error(400, "InvalidRequestBody", &msg(lang, "invalid_body"), None)),
    }
}

/// `https://h/` → `https://h` (the representer strips trailing slashes before validation).
fn strip_slashes(host: &str) -> String {
    host.trim_end_matches('/').to_owned()
}

fn valid_http_url(host: &str) -> Option<url::Url> {
    let u = url::Url::parse(host).ok()?;
    (matches!(u.scheme(), "http" | "https") && u.host().is_some()).then_some(u)
}

fn is_loopback(u: &url::Url) -> bool {
    match u.host() {
        Some(url::Host::Domain(d)) => d == "localhost" || d.ends_with(".localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

/// OpenProject 17.6's SSRF protection of storage hosts (`OpenProject::SsrfProtection.safe_ip?`): a host on a
/// loopback, private or link-local address that is not allow-listed is refused.
fn ssrf_refuses(host: &str, allowlist: &[std::net::IpAddr]) -> bool {
    let Some(ip) = url::Url::parse(host).ok().and_then(|u| match u.host() {
        Some(url::Host::Ipv4(ip)) => Some(std::net::IpAddr::V4(ip)),
        Some(url::Host::Ipv6(ip)) => Some(std::net::IpAddr::V6(ip)),
        Some(url::Host::Domain("localhost")) => Some(std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST)),
        _ => None,
    }) else {
        return false;
    };
    // The ranges the assistant's preflight note names too: loopback, private, link-local, shared (100.64/10);
    // IPv6 loopback, unique local (fc00::/7), link-local (fe80::/10).
    let private = match ip {
        std::net::IpAddr::V4(v4) => {
            v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || (v4.octets()[0] == 100 && v4.octets()[1] & 0xc0 == 64)
        }
        std::net::IpAddr::V6(v6) => {
            v6.is_loopback() || (v6.segments()[0] & 0xfe00) == 0xfc00 || (v6.segments()[0] & 0xffc0) == 0xfe80
        }
    };
    private && !allowlist.contains(&ip)
}

/// OpenProject's `NextcloudCompatibleHostValidator`, run from the server: capabilities (major ≥ 22),
/// then `check-config` must echo the Bearer header. Returns the message key of the first failure.
async fn validate_nextcloud_host(client: &reqwest::Client, host: &str, blocked: bool) -> Result<(), &'static str> {
    if blocked {
        return Err("cannot_be_connected_to");
    }
    let capabilities = client
        .get(format!("{host}/ocs/v2.php/cloud/capabilities"))
        .header("OCS-APIRequest", "true")
        .header("Accept", "application/json")
        .header(INTERNAL_HEADER, "1")
        .send()
        .await
        .map_err(|_| "cannot_be_connected_to")?;
    if !capabilities.status().is_success() {
        return Err("not_nextcloud_server");
    }
    let v: Value = capabilities.json().await.map_err(|_| "not_nextcloud_server")?;
    let major = v.pointer("/ocs/data/version/major").and_then(Value::as_u64).ok_or("not_nextcloud_server")?;
    if major < 22 {
        return Err("minimal_nextcloud_version_unmet");
    }
    let check = client
        .get(format!("{host}/index.php/apps/integration_openproject/check-config"))
        .header("Authorization", "Bearer TESTBEARERTOKEN")
        .header("Accept", "application/json")
        .header(INTERNAL_HEADER, "1")
        .send()
        .await
        .map_err(|_| "cannot_be_connected_to")?;
    if check.status().is_redirection() || !check.status().is_success() {
        return Err("op_application_not_installed");
    }
    let v: Value = check.json().await.map_err(|_| "op_application_not_installed")?;
    if v.get("authorization_header").and_then(Value::as_str) != Some("Bearer TESTBEARERTOKEN") {
        return Err("authorization_header_missing");
    }
    Ok(())
}

/// `HEAD {host}/remote.php/dav` as user `OpenProject` with the application password.
async fn validate_application_password(
    client: &reqwest::Client,
    host: &str,
    password: &str,
) -> Result<(), &'static str> {
    let r = client
        .head(format!("{host}/remote.php/dav"))
        .basic_auth("OpenProject", Some(password))
        .header(INTERNAL_HEADER, "1")
        .send()
        .await
        .map_err(|_| "password_unknown")?;
    match r.status().as_u16() {
        200..=299 => Ok(()),
        401 => Err("password_invalid"),
        _ => Err("password_unknown"),
    }
}

/// Validates name and host as the storage contracts do; the live checks run only when the rest passed.
async fn validate_storage(
    sim: &OpenProjectSim,
    lang: &str,
    exclude_id: Option<i64>,
    name: Option<&str>,
    host: Option<&str>,
    application_password: Option<&str>,
) -> Result<(), Response> {
    let mut problems: Vec<(&str, String)> = Vec::new();
    let (host_checks_needed, stored_host) = {
        let s = sim.lock();
        if let Some(name) = name {
            if name.trim().is_empty() {
                problems.push(("name", msg(lang, "name_blank")));
            } else if name.chars().count() > 255 {
                problems.push(("name", msg(lang, "name_too_long")));
            } else if s.storages.iter().any(|st| Some(st.id) != exclude_id && st.name == name) {
                problems.push(("name", msg(lang, "name_taken")));
            }
        }
        let mut live = None;
        if let Some(host) = host {
            match valid_http_url(host) {
                None => problems.push(("host", msg(lang, "host_invalid"))),
                Some(u) if u.scheme() != "https" && !is_loopback(&u) => {
                    problems.push(("host", msg(lang, "host_not_secure")))
                }
                Some(_) => {
                    let taken = s
                        .storages
                        .iter()
                        .any(|st| Some(st.id) != exclude_id && strip_slashes(&st.host) == strip_slashes(host));
                    // From 17.1 the host's uniqueness is checked only when the storage is saved, after the
                    // contract: with the name taken too, only the name is reported (PropertyConstraintViolation).
                    let name_taken = problems.iter().any(|(attr, _)| *attr == "name");
                    if taken && !(name_taken && s.profile.at_least((17, 1, 0))) {
                        problems.push(("host", msg(lang, "host_taken")));
                    } else {
                        live = Some(strip_slashes(host));
                    }
                }
            }
        }
        let stored =
            exclude_id.and_then(|id| s.storages.iter().find(|st| st.id == id)).map(|st| strip_slashes(&st.host));
        (live, stored)
    };
    if problems.is_empty() {
        if let Some(host) = &host_checks_needed {
            let (blocked, refused) = {
                let s = sim.lock();
                (s.nextcloud_unreachable, s.profile.at_least((17, 6, 0)) && ssrf_refuses(host, &s.ssrf_allowlist))
            };
            if refused {
                problems.push(("host", msg(lang, "ssrf_filtered")));
            } else if let Err(key) = validate_nextcloud_host(&sim.1, host, blocked).await {
                problems.push(("host", msg(lang, key)));
            }
        }
    }
    if problems.is_empty() {
        if let Some(pw) = application_password.filter(|p| !p.is_empty()) {
            let host = host_checks_needed.or(stored_host).unwrap_or_default();
            if let Err(key) = validate_application_password(&sim.1, &host, pw).await {
                problems.push(("password", msg(lang, key)));
            }
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(violations(lang, problems))
    }
}

/// The OAuth application OpenProject creates for a Nextcloud storage.
fn oauth_app_for(id: i64, storage_name: &str, host: &str, secret: String) -> OAuthApp {
    OAuthApp {
        id,
        name: format!("{storage_name} (Nextcloud)"),
        client_id: urlsafe_token(),
        client_secret: secret,
        redirect_uri: format!("{}/index.php/apps/integration_openproject/oauth-redirect", strip_slashes(host)),
    }
}

fn stored_host(profile: &OpenProjectProfile, host: &str) -> String {
    if profile.at_least((16, 4, 0)) {
        format!("{}/", strip_slashes(host))
    } else {
        strip_slashes(host)
    }
}

/// The method a request body sets, as the representer's setter reads it: an unknown or blank URN is ignored, and
/// before 16.0 there is no such link at all.
fn requested_method(profile: &OpenProjectProfile, v: &Value) -> Option<&'static str> {
    if !profile.at_least((16, 0, 0)) {
        return None;
    }
    match v.pointer("/_links/authenticationMethod/href").and_then(Value::as_str)?.strip_prefix(URN_AUTH)? {
        "OAuth2SSO" => Some(AUTH_SSO),
        "TwoWayOAuth2" => Some(AUTH_TWO_WAY),
        _ => None,
    }
}

/// `storageAudience` / `tokenExchangeScope` of a body: absent → `None`, null → `Some(None)`.
fn optional_text(v: &Value, key: &str) -> Option<Option<String>> {
    match v.get(key)? {
        Value::String(text) => Some(Some(text.clone()).filter(|t| !t.is_empty())),
        _ => Some(None),
    }
}

/// SSO needs the Enterprise feature; the contract refuses the storage without it.
fn sso_allowed(profile: &OpenProjectProfile, lang: &str, method: &str) -> Result<(), Response> {
    if method == AUTH_SSO && !profile.available_features.iter().any(|f| f == SSO_FEATURE) {
        return Err(violations(lang, vec![("authenticationMethod", msg(lang, "enterprise_plan_required"))]));
    }
    Ok(())
}

async fn create_storage(State(sim): State<OpenProjectSim>, headers: HeaderMap, body: Bytes) -> Response {
    let user = match require_admin(&sim, &headers) {
        Ok(u) => u,
        Err(r) => return r,
    };
    let lang = user.language.clone();
    let map = match json_object_body(&lang, &headers, &body) {
        Ok(m) => m,
        Err(r) => return r,
    };
    let v = Value::Object(map);
    // A missing or unknown type URN reaches `constantize` on nil: a 500, not a 422.
    if v.pointer("/_links/type/href").and_then(Value::as_str) != Some(NEXTCLOUD_TYPE) {
        return error(500, "InternalServerError", &msg(&lang, "internal"), None);
    }
    let profile = sim.lock().profile.clone();
    let raw_host = v.pointer("/_links/origin/href").and_then(Value::as_str).unwrap_or_default().to_owned();
    if !profile.at_least((16, 4, 0)) && raw_host.ends_with('/') {
        // opf/openproject#66615, fixed in 16.4.
        return error(500, "InternalServerError", &msg(&lang, "internal"), None);
    }
    let name = v.get("name").and_then(Value::as_str).map(str::to_owned).unwrap_or_default();
    let password = v.get("applicationPassword").and_then(Value::as_str).map(str::to_owned);
    let method = requested_method(&profile, &v).unwrap_or(AUTH_TWO_WAY);
    if let Err(r) = sso_allowed(&profile, &lang, method) {
        return r;
    }
    if let Err(r) = validate_storage(&sim, &lang, None, Some(&name), Some(&raw_host), password.as_deref()).await {
        return r;
    }
    let sso = method == AUTH_SSO;
    let audience = optional_text(&v, "storageAudience").flatten().filter(|_| profile.at_least((16, 0, 0)));
    // Before 16.3 the create service dropped the scope (opf/openproject#66442); a PATCH sets it.
    let scope = optional_text(&v, "tokenExchangeScope").flatten().filter(|_| profile.at_least((16, 3, 0)));
    let mut s = sim.lock();
    // The live checks ran without the lock: check uniqueness again, as the database index would.
    let name_taken = s.storages.iter().any(|st| st.name == name);
    let host_taken = s.storages.iter().any(|st| strip_slashes(&st.host) == strip_slashes(&raw_host));
    if name_taken || host_taken {
        let mut taken = Vec::new();
        if host_taken && !(name_taken && s.profile.at_least((17, 1, 0))) {
            taken.push(("host", msg(&lang, "host_taken")));
        }
        if name_taken {
            taken.push(("name", msg(&lang, "name_taken")));
        }
        return violations(&lang, taken);
    }
    let id = s.next();
    let app_id = s.next();
    let host = stored_host(&s.profile, &raw_host);
    let now = now_iso();
    let storage = OpStorage {
        id,
        name: name.clone(),
        host: host.clone(),
        application_password: password.filter(|p| !p.is_empty()),
        // `create_service.rb`: an OAuth application only for storages that authenticate through themselves.
        oauth_app: (!sso).then(|| oauth_app_for(app_id, &name, &host, urlsafe_token())),
        oauth_client: None,
        created_at: now.clone(),
        updated_at: now,
        authentication_method: method.into(),
        storage_audience: audience,
        token_exchange_scope: scope,
    };
    let body = storage_json(&s, &storage, true, true);
    s.storages.push(storage);
    json_response(201, &body)
}

async fn patch_storage(
    State(sim): State<OpenProjectSim>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let user = match require_user(&sim, &headers) {
        Ok(u) => u,
        Err(r) => return r,
    };
    let lang = user.language.clone();
    let Some(storage) = sim.lock().storages.iter().find(|st| st.id.to_string() == id).cloned() else {
        return error(404, "NotFound", &msg(&lang, "not_found"), None);
    };
    if !user.admin {
        return error(403, "MissingPermission", &msg(&lang, "missing_permission"), None);
    }
    let map = match json_object_body(&lang, &headers, &body) {
        Ok(m) => m,
        Err(r) => return r,
    };
    let v = Value::Object(map);
    let name = v.get("name").and_then(Value::as_str).map(str::to_owned);
    let new_host = v.pointer("/_links/origin/href").and_then(Value::as_str).map(str::to_owned);
    let profile = sim.lock().profile.clone();
    if new_host.as_deref().is_some_and(|h| h.ends_with('/')) && !profile.at_least((16, 4, 0)) {
        return error(500, "InternalServerError", &msg(&lang, "internal"), None);
    }
    let host_changed = new_host.as_deref().is_some_and(|h| strip_slashes(h) != strip_slashes(&storage.host));
    let password = match v.get("applicationPassword") {
        Some(Value::String(p)) => Some(Some(p.clone())),
        Some(Value::Null) => Some(None),
        _ => None,
    };
    let method = requested_method(&profile, &v);
    if let Err(r) = sso_allowed(&profile, &lang, method.unwrap_or(&storage.authentication_method)) {
        return r;
    }
    let audience = optional_text(&v, "storageAudience").filter(|_| profile.at_least((16, 0, 0)));
    let scope = optional_text(&v, "tokenExchangeScope").filter(|_| profile.at_least((16, 0, 0)));
    let check_host = if host_changed { new_host.as_deref() } else { None };
    let check_password = password.clone().flatten();
    if let Err(r) =
        validate_storage(&sim, &lang, Some(storage.id), name.as_deref(), check_host, check_password.as_deref()).await
    {
        return r;
    }
    let mut s = sim.lock();
    let profile = s.profile.clone();
    let Some(st) = s.storages.iter_mut().find(|st| st.id == storage.id) else {
        return error(404, "NotFound", &msg(&lang, "not_found"), None);
    };
    if let Some(n) = name {
        st.name = n;
    }
    if host_changed {
        st.host = stored_host(&profile, new_host.as_deref().unwrap_or_default());
    }
    if let Some(p) = password {
        st.application_password = p.filter(|p| !p.is_empty());
    }
    if let Some(method) = method {
        st.authentication_method = method.into();
    }
    if let Some(audience) = audience {
        st.storage_audience = audience;
    }
    if let Some(scope) = scope {
        st.token_exchange_scope = scope;
    }
    // The OAuth application follows the storage's name and host.
    let (st_name, st_host) = (st.name.clone(), st.host.clone());
    if let Some(app) = st.oauth_app.as_mut() {
        app.name = format!("{st_name} (Nextcloud)");
        app.redirect_uri = format!("{}/index.php/apps/integration_openproject/oauth-redirect", strip_slashes(&st_host));
    }
    st.updated_at = now_iso();
    let st = st.clone();
    json_response(200, &storage_json(&s, &st, true, false))
}

async fn delete_storage(State(sim): State<OpenProjectSim>, headers: HeaderMap, Path(id): Path<String>) -> Response {
    let user = match require_user(&sim, &headers) {
        Ok(u) => u,
        Err(r) => return r,
    };
    let mut s = sim.lock();
    let Some(pos) = s.storages.iter().position(|st| st.id.to_string() == id) else {
        return error(404, "NotFound", &msg(&user.language, "not_found"), None);
    };
    if !user.admin {
        return error(403, "MissingPermission", &msg(&user.language, "missing_permission"), None);
    }
    let removed = s.storages.remove(pos);
    s.project_storages.retain(|ps| ps.storage_id != removed.id);
    axum::response::IntoResponse::into_response(http::StatusCode::NO_CONTENT)
}

async fn set_client_credentials(
    State(sim): State<OpenProjectSim>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let user = match require_user(&sim, &headers) {
        Ok(u) => u,
        Err(r) => return r,
    };
    let lang = user.language.clone();
    if !sim.lock().storages.iter().any(|st| st.id.to_string() == id) {
        return error(404, "NotFound", &msg(&lang, "not_found"), None);
    }
    if !user.admin {
        return error(403, "MissingPermission", &msg(&lang, "missing_permission"), None);
    }
    let map = match json_object_body(&lang, &headers, &body) {
        Ok(m) => m,
        Err(r) => return r,
    };
    let field = |k: &str| map.get(k).and_then(Value::as_str).map(str::to_owned).unwrap_or_default();
    let (client_id, client_secret) = (field("clientId"), field("clientSecret"));
    let mut problems = Vec::new();
    if client_id.trim().is_empty() {
        problems.push(("clientId", msg(&lang, "client_id_blank")));
    }
    if client_secret.trim().is_empty() {
        problems.push(("clientSecret", msg(&lang, "client_secret_blank")));
    }
    if !problems.is_empty() {
        return violations(&lang, problems);
    }
    let mut s = sim.lock();
    let cred_id = s.next();
    let Some(st) = s.storages.iter_mut().find(|st| st.id.to_string() == id) else {
        return error(404, "NotFound", &msg(&lang, "not_found"), None);
    };
    // Replaces every earlier client of the storage (`delete_all`, then insert).
    let creds = OAuthClientCreds { id: cred_id, client_id, client_secret };
    st.oauth_client = Some(creds.clone());
    st.updated_at = now_iso();
    json_response(201, &client_creds_json(st, &creds))
}

async fn get_oauth_application(
    State(sim): State<OpenProjectSim>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let user = match require_admin(&sim, &headers) {
        Ok(u) => u,
        Err(r) => return r,
    };
    let s = sim.lock();
    let found =
        s.storages.iter().find_map(|st| st.oauth_app.as_ref().filter(|a| a.id.to_string() == id).map(|a| (st, a)));
    match found {
        Some((st, _)) => {
            let full = storage_json(&s, st, true, false);
            json_response(200, full.pointer("/_embedded/oauthApplication").unwrap_or(&Value::Null))
        }
        None => error(404, "NotFound", &msg(&user.language, "not_found"), None),
    }
}

async fn get_client_credentials(
    State(sim): State<OpenProjectSim>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let user = match require_admin(&sim, &headers) {
        Ok(u) => u,
        Err(r) => return r,
    };
    let s = sim.lock();
    let found =
        s.storages.iter().find_map(|st| st.oauth_client.as_ref().filter(|c| c.id.to_string() == id).map(|c| (st, c)));
    match found {
        Some((st, c)) => json_response(200, &client_creds_json(st, c)),
        None => error(404, "NotFound", &msg(&user.language, "not_found"), None),
    }
}

type Filters = Vec<(String, String, Vec<String>)>;

/// `[{"name":{"operator":"=","values":["x"]}}]` → (name, operator, values); malformed → `None`.
fn parse_filters(text: Option<&String>) -> Option<Filters> {
    let Some(text) = text else {
        return Some(vec![]);
    };
    let list: Vec<Value> = serde_json::from_str(text).ok()?;
    let mut out = Vec::new();
    for item in list {
        let obj = item.as_object()?;
        if obj.len() != 1 {
            return None;
        }
        let (name, spec) = obj.iter().next()?;
        let operator = spec.get("operator")?.as_str()?.to_owned();
        let values = match spec.get("values") {
            Some(Value::Array(vs)) => {
                vs.iter().map(|v| v.as_str().map(str::to_owned).unwrap_or_else(|| v.to_string())).collect()
            }
            None | Some(Value::Null) => vec![],
            _ => return None,
        };
        out.push((name.clone(), operator, values));
    }
    Some(out)
}

fn project_matches(s: &OpenProjectState, p: &OpProject, filters: &Filters) -> Option<bool> {
    for (name, op, values) in filters {
        let ok = match (name.as_str(), op.as_str()) {
            ("active", "=") => values.iter().any(|v| (v == "t") == p.active),
            ("id", "=") => values.contains(&p.id.to_string()),
            ("id", "!") => !values.contains(&p.id.to_string()),
            ("parent_id" | "parentId", "=") => p.parent_id.is_some_and(|id| values.contains(&id.to_string())),
            ("name_and_identifier" | "nameAndIdentifier", "~") => values.iter().any(|v| {
                let v = v.to_lowercase();
                p.name.to_lowercase().contains(&v) || p.identifier.to_lowercase().contains(&v)
            }),
            ("storage_id" | "storageId", "=") => {
                s.project_storages.iter().any(|ps| ps.project_id == p.id && values.contains(&ps.storage_id.to_string()))
            }
            ("storage_url" | "storageUrl", "=") => s.project_storages.iter().any(|ps| {
                ps.project_id == p.id
                    && s.storages.iter().any(|st| {
                        st.id == ps.storage_id && values.iter().any(|v| strip_slashes(v) == strip_slashes(&st.host))
                    })
            }),
            _ => return None,
        };
        if !ok {
            return Some(false);
        }
    }
    Some(true)
}

fn project_json(p: &OpProject) -> Value {
    json!({
        "_type": "Project", "id": p.id, "identifier": p.identifier, "name": p.name, "active": p.active, "public": false,
        "_links": {
            "self": { "href": format!("/api/v3/projects/{}", p.id), "title": p.name },
            "parent": { "href": p.parent_id.map(|id| format!("/api/v3/projects/{id}")) },
        }
    })
}

async fn list_projects(
    State(sim): State<OpenProjectSim>,
    headers: HeaderMap,
    Query(query): Query<BTreeMap<String, String>>,
) -> Response {
    let user = match require_user(&sim, &headers) {
        Ok(u) => u,
        Err(r) => return r,
    };
    let s = sim.lock();
    let Some(filters) = parse_filters(query.get("filters")) else {
        return error(400, "InvalidQuery", &msg(&user.language, "invalid_query"), None);
    };
    let mut matching = Vec::new();
    for p in s.projects.iter().filter(|_| user.admin) {
        match project_matches(&s, p, &filters) {
            Some(true) => matching.push(p),
            Some(false) => {}
            None => return error(400, "InvalidQuery", &msg(&user.language, "invalid_query"), None),
        }
    }
    let page_size = query.get("pageSize").and_then(|v| v.parse::<usize>().ok()).unwrap_or(20).clamp(1, 1000);
    let offset = query.get("offset").and_then(|v| v.parse::<usize>().ok()).unwrap_or(1).max(1);
    let elements: Vec<Value> =
        matching.iter().skip((offset - 1) * page_size).take(page_size).map(|p| project_json(p)).collect();
    json_response(
        200,
        &json!({
            "_type": "Collection", "total": matching.len(), "count": elements.len(), "pageSize": page_size, "offset": offset,
            "_embedded": { "elements": elements }, "_links": { "self": { "href": "/api/v3/projects" } }
        }),
    )
}

async fn list_project_storages(
    State(sim): State<OpenProjectSim>,
    headers: HeaderMap,
    Query(query): Query<BTreeMap<String, String>>,
) -> Response {
    let user = match require_user(&sim, &headers) {
        Ok(u) => u,
        Err(r) => return r,
    };
    let s = sim.lock();
    let Some(filters) = parse_filters(query.get("filters")) else {
        return error(400, "InvalidQuery", &msg(&user.language, "invalid_query"), None);
    };
    let mut elements = Vec::new();
    for ps in s.project_storages.iter().filter(|_| user.admin) {
        let mut keep = true;
        for (name, op, values) in &filters {
            let ok = match (name.as_str(), op.as_str()) {
                ("projectId" | "project_id", "=") => values.contains(&ps.project_id.to_string()),
                ("storageId" | "storage_id", "=") => values.contains(&ps.storage_id.to_string()),
                ("storageUrl" | "storage_url", "=") => s.storages.iter().any(|st| {
                    st.id == ps.storage_id && values.iter().any(|v| strip_slashes(v) == strip_slashes(&st.host))
                }),
                _ => return error(400, "InvalidQuery", &msg(&user.language, "invalid_query"), None),
            };
            keep &= ok;
        }
        if keep {
            elements.push(json!({
                "_type": "ProjectStorage", "id": ps.id, "projectFolderMode": ps.mode,
                "createdAt": now_iso(), "updatedAt": now_iso(),
                "_links": {
                    "self": { "href": format!("/api/v3/project_storages/{}", ps.id) },
                    "project": { "href": format!("/api/v3/projects/{}", ps.project_id) },
                    "storage": { "href": format!("/api/v3/storages/{}", ps.storage_id) },
                    "projectFolder": { "href": ps.folder_id.as_ref().map(|f| format!("/api/v3/storages/{}/files/{f}", ps.storage_id)) },
                    "creator": { "href": "/api/v3/users/1" },
                }
            }));
        }
    }
    json_response(
        200,
        &json!({
            "_type": "Collection", "total": elements.len(), "count": elements.len(),
            "_embedded": { "elements": elements }, "_links": { "self": { "href": "/api/v3/project_storages" } }
        }),
    )
}

fn oauth_error(status: u16, error: &str, description: &str) -> Response {
    let mut r = json_response(status, &json!({ "error": error, "error_description": description }));
    if status == 401 {
        r.headers_mut().insert(
            http::header::WWW_AUTHENTICATE,
            http::HeaderValue::from_static("Bearer realm=\"Doorkeeper\", error=\"invalid_client\""),
        );
    }
    r
}

/// Doorkeeper's token endpoint: the client is authenticated before the grant is looked at.
async fn token(State(sim): State<OpenProjectSim>, method: Method, headers: HeaderMap, body: Bytes) -> Response {
    if method != Method::POST {
        return not_found_page().await;
    }
    let params: BTreeMap<String, String> = url::form_urlencoded::parse(&body).into_owned().collect();
    let Some(grant_type) = params.get("grant_type") else {
        return oauth_error(400, "invalid_request", "Missing required parameter: grant_type.");
    };
    if grant_type != "authorization_code" && grant_type != "refresh_token" && grant_type != "client_credentials" {
        return oauth_error(
            400,
            "unsupported_grant_type",
            "The authorization grant type is not supported by the authorization server.",
        );
    }
    let (client_id, client_secret) = match basic_credentials(&headers) {
        Some((id, secret)) => (
            url::form_urlencoded::parse(format!("a={id}").as_bytes()).next().map(|(_, v)| v.into_owned()).unwrap_or(id),
            url::form_urlencoded::parse(format!("a={secret}").as_bytes())
                .next()
                .map(|(_, v)| v.into_owned())
                .unwrap_or(secret),
        ),
        None => (
            params.get("client_id").cloned().unwrap_or_default(),
            params.get("client_secret").cloned().unwrap_or_default(),
        ),
    };
    let known =
        sim.lock().storages.iter().any(|st| {
            st.oauth_app.as_ref().is_some_and(|a| a.client_id == client_id && a.client_secret == client_secret)
        });
    if !known {
        return oauth_error(401, "invalid_client", "Client authentication failed due to unknown client, no client authentication included, or unsupported authentication method.");
    }
    // The simulator never issues codes or refresh tokens, so every grant is invalid.
    oauth_error(400, "invalid_grant", "The provided authorization grant is invalid, expired, revoked, does not match the redirection URI used in the authorization request, or was issued to another client.")
}

/// OkComputer's report, as OpenProject serves it at `/health_checks/all`.
async fn health_checks(State(sim): State<OpenProjectSim>) -> Response {
    let (backed_up, stopped) = {
        let s = sim.lock();
        (s.workers_backed_up, s.workers_stopped)
    };
    let check = |success: bool, message: &str| json!({ "message": message, "success": success, "time": 0.001 });
    // lib/open_project/health_checks/good_job_check.rb and good_job_backed_up_check.rb (threshold: the
    // `health_checks_jobs_never_ran_minutes_ago` setting, 5 by default).
    let body = json!({
        "default": check(true, "Application is running"),
        "database": check(true, "Schema version: 20251201000000"),
        "mail": check(true, "Connected to localhost"),
        "puma": check(true, "Puma is running"),
        "worker": check(!stopped, if stopped { "No good_job processes are active." } else { "2 good_job processes are active." }),
        "worker_backed_up": check(!backed_up, if backed_up { "412 jobs are waiting to be picked up for more than 5 minutes." } else { "No jobs are waiting to be picked up." }),
    });
    json_response(if backed_up || stopped { 500 } else { 200 }, &body)
}

#[cfg(test)]
mod tests {
    use super::ssrf_refuses;

    #[test]
    fn ssrf_protection_refuses_private_ranges_unless_allow_listed() {
        for host in [
            "http://127.0.0.1:8080",
            "https://10.1.2.3",
            "https://100.64.0.9",
            "https://[fe80::1]",
            "https://[fd00::2]",
        ] {
            assert!(ssrf_refuses(host, &[]), "{host}");
        }
        assert!(!ssrf_refuses("https://1.2.3.4", &[]));
        assert!(!ssrf_refuses("http://127.0.0.1:8080", &["127.0.0.1".parse().unwrap()]));
    }
}
