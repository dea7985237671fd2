//! Nextcloud: status, OCS capabilities and apps, the integration_openproject setup and diagnostic
//! endpoints, the provisioning API's app-config read, Login Flow v2 and app-password revocation.
//!
//! Contract: `shared/contracts/nextcloud-api.md` and the real exchanges in `shared/contracts/recorded/`
//! (Nextcloud 34.0.1, integration_openproject 3.1.1). Sources: nextcloud/integration_openproject
//! `lib/Controller/ConfigController.php`, `lib/Service/SettingsService.php`; nextcloud/server
//! `core/Controller/ClientFlowLoginV2Controller.php`, `apps/provisioning_api/lib/Controller/*`.

use http::Method;
use semver::Version;
use serde::Serialize;
use serde_json::{json, Map, Value};

use crate::error::{ClientError, ErrorKind, NextcloudApiError, Server};
use crate::http::{Auth, HttpClient, RawResponse, Request};
use crate::secret::SecretString;
use crate::server_url::ServerUrl;
use crate::version::parse_server_version;

mod sso;
pub use sso::{new_oidc_client_id, NewUserOidcProvider, OidcClientCreated, OidcClientInfo};

pub const INTEGRATION_APP: &str = "integration_openproject";
/// The Bearer value OpenProject itself sends to `check-config` when it validates a storage host.
pub const CHECK_CONFIG_BEARER: &str = "TESTBEARERTOKEN";
/// What Nextcloud shows instead of a value stored as sensitive.
pub const HIDDEN_SENSITIVE_VALUE: &str = "***REMOVED SENSITIVE VALUE***";

/// Nextcloud credentials: a login name and an app password (or, where allowed, the account password).
#[derive(Debug, Clone)]
pub struct NextcloudCredentials {
    pub login_name: String,
    pub password: SecretString,
}

/// One of user_oidc's providers (its OCS API; the secret is not read).
#[derive(ts_rs::TS, Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OidcProvider {
    pub id: i64,
    pub identifier: String,
    pub client_id: String,
    pub discovery_endpoint: String,
    pub scope: String,
    /// Nextcloud accepts the provider's bearer tokens (what OpenProject sends in SSO mode).
    pub check_bearer: bool,
}

/// `GET /status.php`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Status {
    pub installed: bool,
    pub maintenance: bool,
    pub needs_db_upgrade: bool,
    pub version: String,
    pub versionstring: String,
    pub productname: Option<String>,
}

/// The parts of the OCS capabilities the assistant reads.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Capabilities {
    pub major: u64,
    pub version_string: String,
    /// Public even for anonymous callers; absent when integration_openproject is not enabled.
    pub integration: Option<IntegrationCapability>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IntegrationCapability {
    pub app_version: String,
    pub groupfolder_version: Option<String>,
    pub groupfolders_enabled: bool,
}

/// `GET /ocs/v2.php/cloud/user`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CurrentUser {
    pub id: String,
    pub display_name: String,
    pub groups: Vec<String>,
}

impl CurrentUser {
    pub fn is_admin(&self) -> bool {
        self.groups.iter().any(|g| g == "admin")
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AppInfo {
    pub id: String,
    pub version: String,
    pub nextcloud_min: Option<String>,
    pub nextcloud_max: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UserInfo {
    pub id: String,
    pub enabled: bool,
    pub groups: Vec<String>,
}

/// The values sent to integration_openproject's `/setup`. `None` leaves a key out.
#[derive(Debug, Clone, Default)]
pub struct SetupValues {
    pub openproject_url: Option<ServerUrl>,
    pub authorization_method: Option<String>,
    pub openproject_client_id: Option<String>,
    pub openproject_client_secret: Option<SecretString>,
    pub default_enable_navigation: Option<bool>,
    pub default_enable_unified_search: Option<bool>,
    pub setup_project_folder: Option<bool>,
    pub setup_app_password: Option<bool>,
    /// `nextcloud_hub` or `external` (with `authorization_method` `oidc`).
    pub sso_provider_type: Option<String>,
    /// The user_oidc provider's identifier (external identity providers).
    pub oidc_provider: Option<String>,
    /// The audience Nextcloud expects on OpenProject's tokens: the oidc client's id (Hub) or OpenProject's client id
    /// at the identity provider (with token exchange).
    pub targeted_audience_client_id: Option<String>,
    pub token_exchange: Option<bool>,
}

impl SetupValues {
    /// Every key a two-way OAuth setup POST needs (3.1.1 answers 400 `invalid key` to a missing one).
    pub fn oauth2(
        openproject_url: ServerUrl,
        client_id: String,
        client_secret: SecretString,
        project_folder: bool,
    ) -> Self {
        Self {
            openproject_url: Some(openproject_url),
            authorization_method: Some("oauth2".into()),
            openproject_client_id: Some(client_id),
            openproject_client_secret: Some(client_secret),
            default_enable_navigation: Some(false),
            default_enable_unified_search: Some(false),
            setup_project_folder: Some(project_folder),
            setup_app_password: Some(project_folder),
            ..Self::default()
        }
    }

    /// The JSON body for the given integration_openproject version: keys that version does not know are
    /// left out, because every release rejects unknown keys. `setup_*` arrived in 2.4.0,
    /// `authorization_method` in 2.9.0.
    pub fn to_body(&self, app_version: &Version) -> Value {
        let mut values = Map::new();
        if let Some(u) = &self.openproject_url {
            values.insert("openproject_instance_url".into(), json!(u.as_str()));
        }
        if let Some(m) = &self.authorization_method {
            if *app_version >= crate::compat::INTEGRATION_AUTHORIZATION_METHOD {
                values.insert("authorization_method".into(), json!(m));
            }
        }
        if let Some(id) = &self.openproject_client_id {
            values.insert("openproject_client_id".into(), json!(id));
        }
        if let Some(secret) = &self.openproject_client_secret {
            values.insert("openproject_client_secret".into(), json!(secret.expose()));
        }
        if let Some(b) = self.default_enable_navigation {
            values.insert("default_enable_navigation".into(), json!(b));
        }
        if let Some(b) = self.default_enable_unified_search {
            values.insert("default_enable_unified_search".into(), json!(b));
        }
        if *app_version >= crate::compat::INTEGRATION_AUTHORIZATION_METHOD {
            if let Some(t) = &self.sso_provider_type {
                values.insert("sso_provider_type".into(), json!(t));
            }
            if let Some(p) = &self.oidc_provider {
                values.insert("oidc_provider".into(), json!(p));
            }
            if let Some(a) = &self.targeted_audience_client_id {
                values.insert("targeted_audience_client_id".into(), json!(a));
            }
            if let Some(b) = self.token_exchange {
                values.insert("token_exchange".into(), json!(b));
            }
        }
        if *app_version >= crate::compat::INTEGRATION_PROJECT_FOLDER_KEYS {
            if let Some(b) = self.setup_project_folder {
                values.insert("setup_project_folder".into(), json!(b));
            }
            if let Some(b) = self.setup_app_password {
                values.insert("setup_app_password".into(), json!(b));
            }
        }
        json!({ "values": values })
    }
}

/// What `/setup` answers. The NC client secret is only present when a client was created.
#[derive(Debug, Clone, Default)]
pub struct SetupResponse {
    /// Present from 2.11.4 / 3.1.1.
    pub status: Option<bool>,
    pub id: Option<i64>,
    pub nextcloud_oauth_client_name: Option<String>,
    pub openproject_redirect_uri: Option<String>,
    pub nextcloud_client_id: Option<String>,
    pub nextcloud_client_secret: Option<SecretString>,
    pub openproject_user_app_password: Option<SecretString>,
    pub openproject_revocation_status: Option<String>,
}

/// `GET /check-admin-config` (2.7.0+).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct AdminConfigStatus {
    pub config_status_without_project_folder: bool,
    /// Only says that an app password for user `OpenProject` exists.
    pub project_folder_setup_status: bool,
}

/// What `check-config` echoed of the `Authorization: Bearer` header.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HeaderEcho {
    pub authorization_header: Option<String>,
}

impl HeaderEcho {
    pub fn intact(&self) -> bool {
        self.authorization_header.as_deref() == Some(&format!("Bearer {CHECK_CONFIG_BEARER}"))
    }
}

/// Nextcloud's answer to "can you reach this OpenProject?" (`is-valid-op-instance`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "result", content = "details", rename_all = "snake_case")]
pub enum OpenProjectReachability {
    Valid,
    LocalRemoteServersNotAllowed,
    NetworkError(String),
    ClientException(String),
    RequestException(String),
    ServerException(String),
    NotValidUrl,
    Other(String),
}

/// A started Login Flow v2: open `login_url` in the browser, then poll.
#[derive(Debug, Clone)]
pub struct LoginFlow {
    pub login_url: String,
    pub poll_token: SecretString,
}

/// What a granted Login Flow v2 hands over.
#[derive(Debug, Clone)]
pub struct LoginFlowResult {
    pub server: String,
    pub login_name: String,
    pub app_password: SecretString,
}

/// The Nextcloud client.
#[derive(Debug, Clone)]
pub struct NextcloudClient {
    http: HttpClient,
    base: ServerUrl,
    credentials: Option<NextcloudCredentials>,
}

impl NextcloudClient {
    pub fn new(http: HttpClient, base: ServerUrl, credentials: Option<NextcloudCredentials>) -> Self {
        Self { http, base, credentials }
    }

    pub fn http(&self) -> &HttpClient {
        &self.http
    }

    pub fn base(&self) -> &ServerUrl {
        &self.base
    }

    /// Where OpenProject's OAuth application must send users back to: integration_openproject's
    /// callback, always with `index.php` (integration_openproject PR #193).
    pub fn openproject_redirect_uri(&self) -> String {
        format!("{}/index.php/apps/{INTEGRATION_APP}/oauth-redirect", self.base)
    }

    fn auth(&self) -> Auth {
        match &self.credentials {
            Some(c) => Auth::Basic { user: c.login_name.clone(), password: c.password.clone() },
            None => Auth::None,
        }
    }

    fn plain(&self, method: Method, path: &str) -> Request {
        Request::new(Server::Nextcloud, method, self.base.join(path)).auth(self.auth())
    }

    /// OCS requests need `OCS-APIRequest: true`, or Nextcloud answers 412 `CSRF check failed`.
    fn ocs(&self, method: Method, path: &str) -> Request {
        let mut r = self.plain(method, path).header("OCS-APIRequest", "true");
        r.url.query_pairs_mut().append_pair("format", "json");
        r
    }

    fn app_route(&self, method: Method, route: &str) -> Request {
        self.plain(method, &format!("index.php/apps/{INTEGRATION_APP}/{route}"))
    }

    async fn call(&self, request: Request, expected: &[u16]) -> Result<RawResponse, ClientError> {
        let response = self.http.send(request).await?;
        if expected.contains(&response.status.as_u16()) {
            return Ok(response);
        }
        Err(self.error_for(&response).await)
    }

    async fn error_for(&self, r: &RawResponse) -> ClientError {
        let error = nextcloud_error(r);
        if matches!(error.kind, ErrorKind::CredentialsRejected { .. })
            && self.credentials.is_some()
            && self.password_login_forbidden().await
        {
            return ClientError::new(
                Server::Nextcloud,
                r.endpoint.clone(),
                ErrorKind::CredentialsRejected { two_factor: true },
            );
        }
        error
    }

    /// Whether Nextcloud refuses these credentials *because* they are a password where only app passwords
    /// are allowed (two-factor authentication or `token_auth_enforced`). Only WebDAV says so: it answers
    /// 401 with the hint `password login forbidden` (nextcloud/server
    /// `apps/dav/lib/Connector/Sabre/Exception/PasswordLoginForbidden.php`); every other endpoint treats
    /// the request as anonymous.
    async fn password_login_forbidden(&self) -> bool {
        let request =
            self.plain(Method::from_bytes(b"PROPFIND").unwrap_or(Method::GET), "remote.php/dav/").header("Depth", "0");
        match self.http.send(request).await {
            Ok(r) => r.status.as_u16() == 401 && String::from_utf8_lossy(&r.body).contains("password login forbidden"),
            Err(_) => false,
        }
    }

    pub async fn status(&self) -> Result<Status, ClientError> {
        let r = self.call(Request::new(Server::Nextcloud, Method::GET, self.base.join("status.php")), &[200]).await?;
        let v = r.json_value()?;
        let installed = v
            .get("installed")
            .and_then(Value::as_bool)
            .ok_or_else(|| r.unparseable("status.php without `installed`: not a Nextcloud?".into()))?;
        Ok(Status {
            installed,
            maintenance: v.get("maintenance").and_then(Value::as_bool).unwrap_or(false),
            needs_db_upgrade: v.get("needsDbUpgrade").and_then(Value::as_bool).unwrap_or(false),
            version: str_at(&v, "/version").unwrap_or_default(),
            versionstring: str_at(&v, "/versionstring").unwrap_or_default(),
            productname: str_at(&v, "/productname"),
        })
    }

    pub async fn capabilities(&self) -> Result<Capabilities, ClientError> {
        let r = self.call(self.ocs(Method::GET, "ocs/v2.php/cloud/capabilities"), &[200]).await?;
        let data = ocs_data(&r)?;
        let major = data
            .pointer("/version/major")
            .and_then(Value::as_u64)
            .ok_or_else(|| r.unparseable("capabilities without version.major".into()))?;
        let integration = data.pointer("/capabilities/integration_openproject").and_then(|c| {
            Some(IntegrationCapability {
                app_version: str_at(c, "/app_version")?,
                groupfolder_version: str_at(c, "/groupfolder_version"),
                groupfolders_enabled: c.get("groupfolders_enabled").and_then(Value::as_bool).unwrap_or(false),
            })
        });
        Ok(Capabilities { major, version_string: str_at(&data, "/version/string").unwrap_or_default(), integration })
    }

    /// Who the credentials belong to, and their groups. A refused password of a two-factor account comes
    /// back as `TwoFactorRequiresAppPassword`.
    pub async fn current_user(&self) -> Result<CurrentUser, ClientError> {
        let r = self.call(self.ocs(Method::GET, "ocs/v2.php/cloud/user"), &[200]).await?;
        let data = ocs_data(&r)?;
        Ok(CurrentUser {
            id: str_at(&data, "/id").ok_or_else(|| r.unparseable("the user has no id".into()))?,
            display_name: str_at(&data, "/display-name").or_else(|| str_at(&data, "/displayname")).unwrap_or_default(),
            groups: strings(data.get("groups")),
        })
    }

    pub async fn enabled_apps(&self) -> Result<Vec<String>, ClientError> {
        let mut request = self.ocs(Method::GET, "ocs/v2.php/cloud/apps");
        request.url.query_pairs_mut().append_pair("filter", "enabled");
        let r = self.call(request, &[200]).await.map_err(not_admin)?;
        Ok(strings(ocs_data(&r)?.get("apps")))
    }

    /// An app present on disk (enabled or not); `None` when Nextcloud does not have it.
    pub async fn app(&self, id: &str) -> Result<Option<AppInfo>, ClientError> {
        let r = self
            .call(self.ocs(Method::GET, &format!("ocs/v2.php/cloud/apps/{id}")), &[200, 404])
            .await
            .map_err(not_admin)?;
        if r.status.as_u16() == 404 {
            return Ok(None);
        }
        let data = ocs_data(&r)?;
        Ok(Some(AppInfo {
            id: str_at(&data, "/id").unwrap_or_else(|| id.to_owned()),
            version: str_at(&data, "/version").unwrap_or_default(),
            nextcloud_min: str_at(&data, "/dependencies/nextcloud/@attributes/min-version"),
            nextcloud_max: str_at(&data, "/dependencies/nextcloud/@attributes/max-version"),
        }))
    }

    /// user_oidc's providers (`GET …/apps/user_oidc/api/v1/provider`, an app password is enough); `None` without the
    /// app (its routes are not there).
    pub async fn user_oidc_providers(&self) -> Result<Option<Vec<OidcProvider>>, ClientError> {
        let r = self
            .call(self.ocs(Method::GET, "ocs/v2.php/apps/user_oidc/api/v1/provider"), &[200, 404])
            .await
            .map_err(not_admin)?;
        if r.status.as_u16() == 404 {
            return Ok(None);
        }
        let data = ocs_data(&r)?;
        let list = data.as_array().ok_or_else(|| r.unparseable("user_oidc's providers are not a list".into()))?;
        Ok(Some(list.iter().filter_map(provider_from).collect()))
    }

    /// Enables (and on recent servers installs) an app. Needs password confirmation: an app password is
    /// refused with `PasswordConfirmationRequired`.
    pub async fn enable_app(&self, id: &str) -> Result<(), ClientError> {
        self.call(self.ocs(Method::POST, &format!("ocs/v2.php/cloud/apps/{id}")), &[200]).await.map_err(not_admin)?;
        Ok(())
    }

    /// `POST /setup`: a full setup. Rotates Nextcloud's OAuth client every time.
    pub async fn create_setup(
        &self,
        values: &SetupValues,
        app_version: &Version,
    ) -> Result<SetupResponse, ClientError> {
        let r = self
            .call(self.app_route(Method::POST, "setup").json(values.to_body(app_version)), &[200])
            .await
            .map_err(not_admin)?;
        parse_setup(&r)
    }

    /// `PATCH /setup`: a partial update that keeps Nextcloud's OAuth client.
    pub async fn update_setup(
        &self,
        values: &SetupValues,
        app_version: &Version,
    ) -> Result<SetupResponse, ClientError> {
        let r = self
            .call(self.app_route(Method::PATCH, "setup").json(values.to_body(app_version)), &[200])
            .await
            .map_err(not_admin)?;
        parse_setup(&r)
    }

    /// `DELETE /setup`: resets the integration; the `OpenProject` user, group, team folder and app password stay.
    pub async fn delete_setup(&self) -> Result<SetupResponse, ClientError> {
        let r = self.call(self.app_route(Method::DELETE, "setup"), &[200]).await.map_err(not_admin)?;
        parse_setup(&r)
    }

    pub async fn check_admin_config(&self) -> Result<AdminConfigStatus, ClientError> {
        let r = self.call(self.app_route(Method::GET, "check-admin-config"), &[200]).await.map_err(not_admin)?;
        let v = r.json_value()?;
        let flag = |k: &str| v.get(k).and_then(Value::as_bool).ok_or_else(|| r.unparseable(format!("no `{k}` flag")));
        Ok(AdminConfigStatus {
            config_status_without_project_folder: flag("config_status_without_project_folder")?,
            project_folder_setup_status: flag("project_folder_setup_status")?,
        })
    }

    pub async fn project_folder_status(&self) -> Result<bool, ClientError> {
        let r = self.call(self.app_route(Method::GET, "project-folder-status"), &[200]).await.map_err(not_admin)?;
        r.json_value()?.get("result").and_then(Value::as_bool).ok_or_else(|| r.unparseable("no `result`".into()))
    }

    /// The probe OpenProject runs: an anonymous request with `Authorization: Bearer TESTBEARERTOKEN`, echoed
    /// back unless the web server strips the header.
    pub async fn check_config(&self) -> Result<HeaderEcho, ClientError> {
        let request = Request::new(
            Server::Nextcloud,
            Method::GET,
            self.base.join(&format!("index.php/apps/{INTEGRATION_APP}/check-config")),
        )
        .auth(Auth::Bearer(SecretString::from(CHECK_CONFIG_BEARER)));
        let r = self.call(request, &[200]).await?;
        let v = r.json_value()?;
        Ok(HeaderEcho { authorization_header: str_at(&v, "/authorization_header").filter(|s| !s.is_empty()) })
    }

    /// Asks Nextcloud whether *it* can reach the OpenProject at `url`.
    pub async fn is_valid_op_instance(&self, url: &ServerUrl) -> Result<OpenProjectReachability, ClientError> {
        let request = self
            .app_route(Method::POST, "is-valid-op-instance")
            .header("OCS-APIRequest", "true")
            .json(json!({ "url": url.as_str() }));
        let r = self.call(request, &[200]).await?;
        let v = r.json_value()?;
        let details = str_at(&v, "/details").unwrap_or_default();
        Ok(match v.get("result") {
            Some(Value::Bool(true)) => OpenProjectReachability::Valid,
            Some(Value::Bool(false)) => OpenProjectReachability::NotValidUrl,
            Some(Value::String(s)) => match s.as_str() {
                "local_remote_servers_not_allowed" => OpenProjectReachability::LocalRemoteServersNotAllowed,
                "network_error" => OpenProjectReachability::NetworkError(details),
                "client_exception" => OpenProjectReachability::ClientException(details),
                "request_exception" => OpenProjectReachability::RequestException(details),
                "server_exception" => OpenProjectReachability::ServerException(details),
                "invalid_url" | "not_valid_url" => OpenProjectReachability::NotValidUrl,
                other => OpenProjectReachability::Other(format!("{other} {details}").trim().to_owned()),
            },
            _ => return Err(r.unparseable("no `result`".into())),
        })
    }

    /// The keys the integration has stored (provisioning API, admin only).
    pub async fn app_config_keys(&self, app: &str) -> Result<Vec<String>, ClientError> {
        let path = format!("ocs/v2.php/apps/provisioning_api/api/v1/config/apps/{app}");
        let r = self.call(self.ocs(Method::GET, &path), &[200]).await.map_err(not_admin)?;
        Ok(strings(ocs_data(&r)?.get("data")))
    }

    /// One stored value. Nextcloud returns `""` for a key that is not set. Some values are secrets
    /// (`openproject_client_secret`), so every value comes back as a secret.
    pub async fn app_config_value(&self, app: &str, key: &str) -> Result<SecretString, ClientError> {
        let path = format!("ocs/v2.php/apps/provisioning_api/api/v1/config/apps/{app}/{key}");
        let r = self.call(self.ocs(Method::GET, &path), &[200]).await.map_err(not_admin)?;
        let data = ocs_data(&r)?;
        match data.get("data") {
            Some(Value::String(s)) => Ok(SecretString::from(s.as_str())),
            Some(Value::Null) | None => Ok(SecretString::from("")),
            Some(other) => Ok(SecretString::from(other.to_string())),
        }
    }

    /// The OpenProject client secret Nextcloud holds, readable by an admin on Nextcloud 34 with
    /// integration_openproject 3.1.1 (recorded). `None` when unset, or when Nextcloud hides it as a
    /// sensitive value (`IConfig::SENSITIVE_VALUE`), as a later release may.
    pub async fn openproject_client_secret(&self) -> Result<Option<SecretString>, ClientError> {
        let value = self.app_config_value(INTEGRATION_APP, "openproject_client_secret").await?;
        Ok(Some(value).filter(|v| !v.expose().is_empty() && v.expose() != HIDDEN_SENSITIVE_VALUE))
    }

    pub async fn user(&self, id: &str) -> Result<Option<UserInfo>, ClientError> {
        let r = self
            .call(self.ocs(Method::GET, &format!("ocs/v2.php/cloud/users/{id}")), &[200, 404])
            .await
            .map_err(not_admin)?;
        if r.status.as_u16() == 404 {
            return Ok(None);
        }
        let data = ocs_data(&r)?;
        Ok(Some(UserInfo {
            id: str_at(&data, "/id").unwrap_or_else(|| id.to_owned()),
            enabled: data.get("enabled").and_then(Value::as_bool).unwrap_or(true),
            groups: strings(data.get("groups")),
        }))
    }

    pub async fn search_groups(&self, search: &str) -> Result<Vec<String>, ClientError> {
        let mut request = self.ocs(Method::GET, "ocs/v2.php/cloud/groups");
        request.url.query_pairs_mut().append_pair("search", search);
        let r = self.call(request, &[200]).await.map_err(not_admin)?;
        Ok(strings(ocs_data(&r)?.get("groups")))
    }

    /// Starts Login Flow v2. The user agent names the app password the admin will see.
    pub async fn start_login_flow(&self) -> Result<LoginFlow, ClientError> {
        let request = Request::new(Server::Nextcloud, Method::POST, self.base.join("index.php/login/v2"));
        let r = self.call(request, &[200]).await?;
        let v = r.json_value()?;
        let token = str_at(&v, "/poll/token").ok_or_else(|| r.unparseable("no poll token".into()))?;
        let login_url = str_at(&v, "/login").ok_or_else(|| r.unparseable("no login URL".into()))?;
        Ok(LoginFlow { login_url, poll_token: SecretString::from(token) })
    }

    /// Polls once: `None` while the admin has not granted access (404), the credentials once (200).
    /// The poll always goes to the server the admin named, never to an endpoint taken from an answer.
    pub async fn poll_login_flow(&self, flow: &LoginFlow) -> Result<Option<LoginFlowResult>, ClientError> {
        let request = Request::new(Server::Nextcloud, Method::POST, self.base.join("index.php/login/v2/poll"))
            .form(vec![("token".into(), flow.poll_token.expose().clone())]);
        let r = self.call(request, &[200, 404]).await?;
        if r.status.as_u16() == 404 {
            return Ok(None);
        }
        let v = r.json_value()?;
        let field = |k: &str| str_at(&v, &format!("/{k}")).ok_or_else(|| r.unparseable(format!("no `{k}`")));
        Ok(Some(LoginFlowResult {
            server: field("server")?,
            login_name: field("loginName")?,
            app_password: SecretString::from(field("appPassword")?),
        }))
    }

    /// Whether Nextcloud knows an OAuth client with this id, asked anonymously the way a browser would:
    /// the authorize endpoint redirects (303) for a known client and shows a 200 page for an unknown one.
    pub async fn oauth_client_exists(&self, client_id: &str) -> Result<bool, ClientError> {
        let mut request =
            Request::new(Server::Nextcloud, Method::GET, self.base.join("index.php/apps/oauth2/authorize"))
                .without_redirects();
        request
            .url
            .query_pairs_mut()
            .append_pair("client_id", client_id)
            .append_pair("response_type", "code")
            .append_pair("state", "opnc-probe");
        let r = self.http.send(request).await?;
        // Unknown clients get an error page (200 on Nextcloud 34, "404"/"403" templates elsewhere).
        match r.status.as_u16() {
            300..=399 => Ok(true),
            200..=299 | 400..=499 => Ok(false),
            _ => Err(r.unexpected_status()),
        }
    }

    /// The same client without credentials, for what Nextcloud answers anyone (capabilities, status): such a
    /// request costs the server no authentication.
    pub fn anonymous(&self) -> Self {
        Self { http: self.http.clone(), base: self.base.clone(), credentials: None }
    }

    /// The credentials this client sends.
    pub fn credentials(&self) -> Option<&NextcloudCredentials> {
        self.credentials.as_ref()
    }

    /// The same client with other credentials.
    pub fn with_credentials(&self, credentials: NextcloudCredentials) -> Self {
        Self { http: self.http.clone(), base: self.base.clone(), credentials: Some(credentials) }
    }

    /// `GET /ocs/v2.php/core/getapppassword`: turns a login with the account password into an app password
    /// (nextcloud/server `core/Controller/AppPasswordController.php`; recorded in
    /// `nextcloud-34.0.1-app-password-exchange.json`). `None` when these credentials are an app password already:
    /// Nextcloud refuses to derive one from an app-password login (403 "Password confirmation is required").
    /// The new app password is named after the client's user agent.
    pub async fn exchange_for_app_password(&self) -> Result<Option<SecretString>, ClientError> {
        let r = self.call(self.ocs(Method::GET, "ocs/v2.php/core/getapppassword"), &[200, 403]).await?;
        if r.status.as_u16() == 403 {
            let error = nextcloud_error(&r);
            return match &error.kind {
                ErrorKind::NextcloudApi(e) if e.text().contains("Password confirmation is required") => Ok(None),
                _ => Err(error),
            };
        }
        let data = ocs_data(&r)?;
        match data.get("apppassword").and_then(Value::as_str) {
            Some(p) if !p.is_empty() => Ok(Some(SecretString::from(p))),
            _ => Err(r.unparseable("getapppassword without `apppassword`".into())),
        }
    }

    /// The harmless write the project folders rest on, as Nextcloud's "OpenProject" user with its app password:
    /// adding itself to the group "OpenProject" it is already in and group admin of (provisioning_api
    /// `addToGroup`, a `PasswordConfirmationRequired` endpoint, and a no-op for a member). OpenProject's
    /// synchronisation makes the same kind of request for every project member. Nextcloud's patch releases of 2026
    /// ask app-password logins for a password confirmation there, which integration_openproject 3.1.1 / 2.11.4
    /// grants its user (`lib/Listener/UserLoggedInEventListener.php`): `false` when Nextcloud asks for it.
    pub async fn project_folder_user_can_write(&self, app_password: &SecretString) -> Result<bool, ClientError> {
        let user = Self::new(
            self.http.clone(),
            self.base.clone(),
            Some(NextcloudCredentials { login_name: "OpenProject".into(), password: app_password.clone() }),
        );
        let request = user
            .ocs(Method::POST, "ocs/v2.php/cloud/users/OpenProject/groups")
            .form(vec![("groupid".into(), "OpenProject".into())]);
        match user.call(request, &[200]).await {
            Ok(r) => ocs_data(&r).map(|_| true),
            Err(e) => match not_admin(e) {
                e if matches!(e.kind, ErrorKind::PasswordConfirmationRequired) => Ok(false),
                e => Err(e),
            },
        }
    }

    /// Revokes the app password these credentials use (it must be an app password).
    pub async fn revoke_app_password(&self) -> Result<(), ClientError> {
        self.call(self.ocs(Method::DELETE, "ocs/v2.php/core/apppassword"), &[200]).await?;
        Ok(())
    }
}

/// A 403 on an admin endpoint: not an admin, unless Nextcloud asked for password confirmation (that
/// message comes from `NotConfirmedException` and is not translated).
fn not_admin(error: ClientError) -> ClientError {
    match &error.kind {
        ErrorKind::NextcloudApi(e) if e.status == 403 => {
            let kind = if e.text().contains("Password confirmation is required") {
                ErrorKind::PasswordConfirmationRequired
            } else {
                ErrorKind::NotAdmin { user: None }
            };
            ClientError::new(error.server, error.endpoint.clone(), kind)
        }
        _ => error,
    }
}

fn nextcloud_error(r: &RawResponse) -> ClientError {
    let status = r.status.as_u16();
    if status == 401 {
        return ClientError::new(
            Server::Nextcloud,
            r.endpoint.clone(),
            ErrorKind::CredentialsRejected { two_factor: false },
        );
    }
    match r.json_value() {
        Ok(v) => match parse_error_value(status, &v) {
            Some(api) => ClientError::new(Server::Nextcloud, r.endpoint.clone(), ErrorKind::NextcloudApi(api)),
            None => r.unexpected_status(),
        },
        Err(e) if matches!(&e.kind, ErrorKind::UnparseableBody { reason, .. } if reason.contains("HTML")) => e,
        Err(_) => r.unexpected_status(),
    }
}

/// One provider of user_oidc's OCS answers.
fn provider_from(p: &Value) -> Option<OidcProvider> {
    Some(OidcProvider {
        id: p.get("id").and_then(Value::as_i64)?,
        identifier: str_at(p, "/identifier").unwrap_or_default(),
        client_id: str_at(p, "/clientId").unwrap_or_default(),
        discovery_endpoint: str_at(p, "/discoveryEndpoint").unwrap_or_default(),
        scope: str_at(p, "/scope").unwrap_or_default(),
        check_bearer: p.pointer("/settings/checkBearer").and_then(Value::as_bool).unwrap_or(false),
    })
}

fn parse_error_value(status: u16, v: &Value) -> Option<NextcloudApiError> {
    let error = str_at(v, "/error");
    // user_oidc puts its reason in the data and leaves the meta message empty.
    let message = str_at(v, "/message")
        .or_else(|| str_at(v, "/ocs/data/message").filter(|m| !m.is_empty()))
        .or_else(|| str_at(v, "/ocs/meta/message"));
    let ocs_status = v.pointer("/ocs/meta/statuscode").and_then(Value::as_i64);
    (error.is_some() || message.is_some() || ocs_status.is_some()).then_some(NextcloudApiError {
        status,
        error,
        message,
        ocs_status,
    })
}

/// Parses a Nextcloud error body; exposed for the property tests of the parsers.
pub fn parse_error_body(status: u16, body: &[u8]) -> Option<NextcloudApiError> {
    parse_error_value(status, &serde_json::from_slice(body).ok()?)
}

fn ocs_data(r: &RawResponse) -> Result<Value, ClientError> {
    let v = r.json_value()?;
    v.pointer("/ocs/data").cloned().ok_or_else(|| r.unparseable("no OCS envelope (ocs.data)".into()))
}

fn parse_setup(r: &RawResponse) -> Result<SetupResponse, ClientError> {
    let v = r.json_value()?;
    if !v.is_object() {
        return Err(r.unparseable("the setup answer is not an object".into()));
    }
    Ok(SetupResponse {
        status: v.get("status").and_then(Value::as_bool),
        id: v.get("id").and_then(Value::as_i64),
        nextcloud_oauth_client_name: str_at(&v, "/nextcloud_oauth_client_name"),
        openproject_redirect_uri: str_at(&v, "/openproject_redirect_uri"),
        nextcloud_client_id: str_at(&v, "/nextcloud_client_id"),
        nextcloud_client_secret: str_at(&v, "/nextcloud_client_secret").map(SecretString::from),
        openproject_user_app_password: str_at(&v, "/openproject_user_app_password").map(SecretString::from),
        openproject_revocation_status: str_at(&v, "/openproject_revocation_status"),
    })
}

/// The integration_openproject version from the capabilities, parsed.
pub fn app_version(capabilities: &Capabilities) -> Option<Version> {
    capabilities.integration.as_ref().and_then(|i| parse_server_version(&i.app_version))
}

fn str_at(v: &Value, pointer: &str) -> Option<String> {
    v.pointer(pointer).and_then(Value::as_str).map(str::to_owned)
}

fn strings(v: Option<&Value>) -> Vec<String> {
    v.and_then(Value::as_array)
        .map(|l| l.iter().filter_map(|s| s.as_str().map(str::to_owned)).collect())
        .unwrap_or_default()
}
