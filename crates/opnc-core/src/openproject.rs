//! OpenProject API v3: version and admin detection, configuration, storages, OAuth client credentials,
//! projects, project storages, and a probe of the OAuth token endpoint.
//!
//! Contract: `shared/contracts/openproject-api.md` (opf/openproject `modules/storages/lib/api/v3/storages/*`,
//! `lib/api/v3/root_representer.rb`, `lib/api/v3/errors/error_representer.rb`).

use http::Method;
use serde::Serialize;
use serde_json::{json, Value};

use crate::error::{ClientError, ErrorKind, OpenProjectApiError, Server};
use crate::http::{Auth, Body, HttpClient, RawResponse, Request};
use crate::secret::SecretString;
use crate::server_url::ServerUrl;
use crate::version::parse_server_version;

pub const NEXTCLOUD_STORAGE_TYPE: &str = "urn:openproject-org:api:v3:storages:Nextcloud";
pub const AUTH_TWO_WAY_OAUTH2: &str = "urn:openproject-org:api:v3:storages:authenticationMethod:TwoWayOAuth2";
/// Users' requests authorised through the identity provider both servers trust (`storage_representer.rb`).
pub const AUTH_OAUTH2_SSO: &str = "urn:openproject-org:api:v3:storages:authenticationMethod:OAuth2SSO";
/// The storage audience that means "send the identity provider's token as it is" (`OpenIDConnect::UserToken::
/// IDP_AUDIENCE`); any other audience is exchanged for (`NextcloudStorage#exchanges_token?`).
pub const IDP_AUDIENCE: &str = "__op-idp__";

/// How an SSO storage gets a token for Nextcloud.
#[derive(ts_rs::TS, Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct StorageSso {
    /// `__op-idp__`, or the audience to exchange the user's token for (Nextcloud's client id at the IdP).
    pub audience: String,
    /// The scope asked for in the exchange (Keycloak: the client scope adding Nextcloud's audience).
    pub token_exchange_scope: Option<String>,
}

/// How the assistant signs in to OpenProject's API.
#[derive(Debug, Clone)]
pub enum OpenProjectAuth {
    /// An API token sent as Basic `apikey:<token>`: works on every version with the storage API.
    ApiKey(SecretString),
    /// An API token sent as `Bearer`: only tokens created on 17.2 or later.
    Bearer(SecretString),
    /// The admin's browser session (`openproject_web`): API v3 accepts it, writes only with
    /// `X-Requested-With: XMLHttpRequest`. The cookie lives in memory only.
    Session(SecretString),
    Anonymous,
}

impl OpenProjectAuth {
    fn to_auth(&self) -> Auth {
        match self {
            OpenProjectAuth::ApiKey(token) => Auth::Basic { user: "apikey".into(), password: token.clone() },
            OpenProjectAuth::Bearer(token) => Auth::Bearer(token.clone()),
            OpenProjectAuth::Session(cookies) => Auth::Cookie(cookies.clone()),
            OpenProjectAuth::Anonymous => Auth::None,
        }
    }
}

/// `GET /api/v3`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Root {
    pub instance_name: Option<String>,
    /// Only rendered for admins.
    pub core_version: Option<String>,
}

impl Root {
    pub fn is_admin(&self) -> bool {
        self.core_version.is_some()
    }

    pub fn version(&self) -> Option<semver::Version> {
        self.core_version.as_deref().and_then(parse_server_version)
    }
}

/// `GET /api/v3/configuration`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Configuration {
    pub host_name: Option<String>,
    pub available_features: Vec<String>,
    pub active_feature_flags: Vec<String>,
}

/// `GET /api/v3/users/me`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct User {
    pub id: i64,
    pub name: String,
    pub login: Option<String>,
    /// `admin` is only rendered for admins; absent means not an admin.
    pub admin: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OAuthApplication {
    pub id: i64,
    pub name: String,
    pub client_id: String,
    pub redirect_uris: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OAuthClientCredentials {
    pub id: i64,
    pub client_id: String,
}

/// A file storage as OpenProject reports it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Storage {
    pub id: i64,
    pub name: String,
    /// The Nextcloud host as stored (16.4+ with one trailing slash).
    pub host: String,
    pub provider_type: String,
    /// Absent before 14.2.
    pub configured: Option<bool>,
    /// Absent before 13.0.
    pub has_application_password: Option<bool>,
    pub authentication_method: Option<String>,
    /// For the caller: `…:authorization:Connected`, `NotConnected`, `FailedAuthorization` or `Error` (OpenProject
    /// computes it with a live request to Nextcloud).
    pub authorization_state: Option<String>,
    pub oauth_application: Option<OAuthApplication>,
    pub oauth_client_credentials: Option<OAuthClientCredentials>,
    /// SSO: `__op-idp__` or the audience exchanged for (16.0+).
    pub storage_audience: Option<String>,
    pub token_exchange_scope: Option<String>,
}

impl Storage {
    /// Users' requests go through the identity provider, not through OAuth apps of the two servers.
    pub fn is_sso(&self) -> bool {
        self.authentication_method.as_deref() == Some(AUTH_OAUTH2_SSO)
    }

    /// `configured` where the server reports it; before 14.2 computed as the contract says: the OAuth
    /// application and the Nextcloud client credentials are both present.
    pub fn is_configured(&self) -> bool {
        self.configured.unwrap_or(self.oauth_application.is_some() && self.oauth_client_credentials.is_some())
    }
}

/// The answer to creating a storage: the only time OpenProject shows the OAuth client secret.
#[derive(Debug, Clone)]
pub struct CreatedStorage {
    pub storage: Storage,
    pub oauth_client_secret: Option<SecretString>,
}

/// What a new Nextcloud storage is created with.
#[derive(Debug, Clone)]
pub struct NewStorage {
    pub name: String,
    pub nextcloud_url: ServerUrl,
    /// Sent explicitly (empty) on create, as an unspecified value leaves the admin UI's wizard open.
    pub application_password: Option<SecretString>,
}

/// A partial update; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct StoragePatch {
    pub name: Option<String>,
    pub nextcloud_url: Option<ServerUrl>,
    /// `Some(empty)` switches automatically managed project folders off.
    pub application_password: Option<SecretString>,
    /// Switches the storage to SSO with these settings.
    pub sso: Option<StorageSso>,
    /// Switches the storage to two-way OAuth.
    pub two_way_oauth: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Project {
    pub id: i64,
    pub identifier: String,
    pub name: String,
    pub active: bool,
    pub parent_id: Option<i64>,
    /// `Project`, or from 17.0 also `Program`/`Portfolio`.
    pub kind: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProjectPage {
    pub total: u64,
    pub count: u64,
    pub page_size: u64,
    pub offset: u64,
    pub elements: Vec<Project>,
}

/// A project filter as the API takes it: `[{"active":{"operator":"=","values":["t"]}}]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Filter {
    pub name: String,
    pub operator: String,
    pub values: Vec<String>,
}

impl Filter {
    pub fn new(name: &str, operator: &str, values: &[&str]) -> Self {
        Self { name: name.into(), operator: operator.into(), values: values.iter().map(|v| (*v).to_owned()).collect() }
    }
}

fn filters_json(filters: &[Filter]) -> String {
    let list: Vec<Value> =
        filters.iter().map(|f| json!({ f.name.clone(): { "operator": f.operator, "values": f.values } })).collect();
    Value::Array(list).to_string()
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProjectStorage {
    pub id: i64,
    pub project_folder_mode: Option<String>,
    /// The Nextcloud file id of the project folder (manual mode; automatic once OpenProject's job created it).
    pub project_folder_id: Option<String>,
    pub project_id: Option<i64>,
    pub storage_id: Option<i64>,
}

/// One of OpenProject's health checks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HealthCheck {
    pub name: String,
    pub success: bool,
    pub message: String,
}

/// What OpenProject's token endpoint says of a client id and secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "result", content = "detail", rename_all = "snake_case")]
pub enum TokenProbe {
    /// `invalid_grant` for the dummy code: the client authenticated, so id and secret are right.
    Valid,
    /// `invalid_client`: unknown id or wrong secret.
    InvalidClient,
    /// Any other answer, named.
    Inconclusive(String),
}

/// The OpenProject API v3 client.
#[derive(Debug, Clone)]
pub struct OpenProjectClient {
    http: HttpClient,
    base: ServerUrl,
    auth: OpenProjectAuth,
}

impl OpenProjectClient {
    pub fn new(http: HttpClient, base: ServerUrl, auth: OpenProjectAuth) -> Self {
        Self { http, base, auth }
    }

    pub fn base(&self) -> &ServerUrl {
        &self.base
    }

    pub fn auth(&self) -> &OpenProjectAuth {
        &self.auth
    }

    pub fn http(&self) -> &HttpClient {
        &self.http
    }

    fn request(&self, method: Method, path: &str) -> Request {
        let session_write = matches!(self.auth, OpenProjectAuth::Session(_)) && method != Method::GET;
        let request = Request::new(Server::OpenProject, method, self.base.join(path))
            .auth(self.auth.to_auth())
            // OpenProject serves HAL; non-GET calls also carry the header the official script sends.
            .header("accept", "application/hal+json, application/json");
        if session_write {
            // Without it the session strategy does not apply and the write runs as the anonymous user.
            request.header("x-requested-with", "XMLHttpRequest")
        } else {
            request
        }
    }

    async fn call(&self, request: Request, expected: &[u16]) -> Result<RawResponse, ClientError> {
        let response = self.http.send(request).await?;
        if expected.contains(&response.status.as_u16()) {
            return Ok(response);
        }
        Err(openproject_error(&response))
    }

    pub async fn root(&self) -> Result<Root, ClientError> {
        let r = self.call(self.request(Method::GET, "api/v3"), &[200]).await?;
        let v: Value = r.json_value()?;
        expect_type(&r, &v, "Root")?;
        Ok(Root { instance_name: str_at(&v, "/instanceName"), core_version: str_at(&v, "/coreVersion") })
    }

    pub async fn configuration(&self) -> Result<Configuration, ClientError> {
        let r = self.call(self.request(Method::GET, "api/v3/configuration"), &[200]).await?;
        let v: Value = r.json_value()?;
        expect_type(&r, &v, "Configuration")?;
        Ok(Configuration {
            host_name: str_at(&v, "/hostName"),
            available_features: strings_at(&v, "/availableFeatures"),
            active_feature_flags: strings_at(&v, "/activeFeatureFlags"),
        })
    }

    pub async fn me(&self) -> Result<User, ClientError> {
        let r = self.call(self.request(Method::GET, "api/v3/users/me"), &[200]).await?;
        let v: Value = r.json_value()?;
        expect_type(&r, &v, "User")?;
        Ok(User {
            id: v.get("id").and_then(Value::as_i64).ok_or_else(|| r.unparseable("the user has no id".into()))?,
            name: str_at(&v, "/name").unwrap_or_default(),
            login: str_at(&v, "/login"),
            admin: v.get("admin").and_then(Value::as_bool).unwrap_or(false),
        })
    }

    pub async fn storages(&self) -> Result<Vec<Storage>, ClientError> {
        let r = self.call(self.request(Method::GET, "api/v3/storages"), &[200]).await?;
        let v: Value = r.json_value()?;
        expect_type(&r, &v, "Collection")?;
        elements(&r, &v)?.iter().map(|e| parse_storage(&r, e)).collect()
    }

    pub async fn storage(&self, id: i64) -> Result<Storage, ClientError> {
        let r = self.call(self.request(Method::GET, &format!("api/v3/storages/{id}")), &[200]).await?;
        parse_storage(&r, &r.json_value()?)
    }

    pub async fn create_storage(&self, new: &NewStorage) -> Result<CreatedStorage, ClientError> {
        self.create_storage_with(new, None).await
    }

    /// Creates a storage; with `sso`, one whose users are authorised through the identity provider (16.0+ with the
    /// Enterprise feature `nextcloud_sso`; no OAuth application is made for it).
    pub async fn create_storage_with(
        &self,
        new: &NewStorage,
        sso: Option<&StorageSso>,
    ) -> Result<CreatedStorage, ClientError> {
        let mut body = json!({
            "name": new.name,
            "applicationPassword": new.application_password.as_ref().map(|p| p.expose().clone()).unwrap_or_default(),
            "_links": {
                "origin": { "href": new.nextcloud_url.as_str() },
                "type": { "href": NEXTCLOUD_STORAGE_TYPE },
            }
        });
        if let Some(sso) = sso {
            body["_links"]["authenticationMethod"] = json!({ "href": AUTH_OAUTH2_SSO });
            body["storageAudience"] = json!(sso.audience);
            if let Some(scope) = &sso.token_exchange_scope {
                body["tokenExchangeScope"] = json!(scope);
            }
        }
        let request = self.request(Method::POST, "api/v3/storages").json(body);
        let r = self.call(request, &[201]).await.map_err(admin_required)?;
        let v = r.json_value()?;
        let storage = parse_storage(&r, &v)?;
        let oauth_client_secret = str_at(&v, "/_embedded/oauthApplication/clientSecret").map(SecretString::from);
        Ok(CreatedStorage { storage, oauth_client_secret })
    }

    pub async fn update_storage(&self, id: i64, patch: &StoragePatch) -> Result<Storage, ClientError> {
        let mut body = serde_json::Map::new();
        if let Some(name) = &patch.name {
            body.insert("name".into(), json!(name));
        }
        if let Some(password) = &patch.application_password {
            body.insert("applicationPassword".into(), json!(password.expose()));
        }
        let mut links = serde_json::Map::new();
        if let Some(url) = &patch.nextcloud_url {
            links.insert("origin".into(), json!({ "href": url.as_str() }));
        }
        if let Some(sso) = &patch.sso {
            links.insert("authenticationMethod".into(), json!({ "href": AUTH_OAUTH2_SSO }));
            body.insert("storageAudience".into(), json!(sso.audience));
            body.insert("tokenExchangeScope".into(), json!(sso.token_exchange_scope));
        } else if patch.two_way_oauth {
            links.insert("authenticationMethod".into(), json!({ "href": AUTH_TWO_WAY_OAUTH2 }));
        }
        if !links.is_empty() {
            body.insert("_links".into(), Value::Object(links));
        }
        let request = self.request(Method::PATCH, &format!("api/v3/storages/{id}")).json(Value::Object(body));
        let r = self.call(request, &[200]).await.map_err(admin_required)?;
        parse_storage(&r, &r.json_value()?)
    }

    pub async fn delete_storage(&self, id: i64) -> Result<(), ClientError> {
        let request = self.request(Method::DELETE, &format!("api/v3/storages/{id}"));
        self.call(request, &[204]).await.map_err(admin_required)?;
        Ok(())
    }

    /// Sets (and replaces) the Nextcloud OAuth client OpenProject uses for this storage.
    pub async fn set_oauth_client_credentials(
        &self,
        storage_id: i64,
        client_id: &str,
        client_secret: &SecretString,
    ) -> Result<OAuthClientCredentials, ClientError> {
        let body = json!({ "clientId": client_id, "clientSecret": client_secret.expose() });
        let path = format!("api/v3/storages/{storage_id}/oauth_client_credentials");
        let r = self.call(self.request(Method::POST, &path).json(body), &[201]).await.map_err(admin_required)?;
        let v = r.json_value()?;
        // The code renders the credentials; the OpenAPI document says a Storage. Accept both.
        let credentials = match v.get("_type").and_then(Value::as_str) {
            Some("Storage") => v.pointer("/_embedded/oauthClientCredentials").and_then(parse_client_credentials),
            _ => {
                expect_type(&r, &v, "OAuthClientCredentials")?;
                parse_client_credentials(&v)
            }
        };
        credentials.ok_or_else(|| r.unparseable("no id or clientId in the credentials".into()))
    }

    /// One page of projects. `offset` is the page number, starting at 1, as the API defines it.
    pub async fn projects(&self, filters: &[Filter], page_size: u64, offset: u64) -> Result<ProjectPage, ClientError> {
        let mut request = self.request(Method::GET, "api/v3/projects");
        request
            .url
            .query_pairs_mut()
            .append_pair("filters", &filters_json(filters))
            .append_pair("pageSize", &page_size.to_string())
            .append_pair("offset", &offset.to_string())
            .append_pair("sortBy", r#"[["id","asc"]]"#);
        let r = self.call(request, &[200]).await?;
        let v = r.json_value()?;
        expect_type(&r, &v, "Collection")?;
        let elements = elements(&r, &v)?.iter().map(|e| parse_project(&r, e)).collect::<Result<Vec<_>, _>>()?;
        Ok(ProjectPage {
            total: v.get("total").and_then(Value::as_u64).unwrap_or(elements.len() as u64),
            count: v.get("count").and_then(Value::as_u64).unwrap_or(elements.len() as u64),
            page_size: v.get("pageSize").and_then(Value::as_u64).unwrap_or(page_size),
            offset: v.get("offset").and_then(Value::as_u64).unwrap_or(offset),
            elements,
        })
    }

    /// Every project matching the filters, page by page.
    pub async fn all_projects(&self, filters: &[Filter]) -> Result<Vec<Project>, ClientError> {
        let mut all = Vec::new();
        let page_size = 100;
        for offset in 1.. {
            let page = self.projects(filters, page_size, offset).await?;
            let done = page.elements.is_empty() || (all.len() + page.elements.len()) as u64 >= page.total;
            all.extend(page.elements);
            if done || offset > 10_000 {
                break;
            }
        }
        Ok(all)
    }

    pub async fn project_storages(&self, filters: &[Filter]) -> Result<Vec<ProjectStorage>, ClientError> {
        let mut request = self.request(Method::GET, "api/v3/project_storages");
        request.url.query_pairs_mut().append_pair("filters", &filters_json(filters));
        let r = self.call(request, &[200]).await?;
        let v = r.json_value()?;
        expect_type(&r, &v, "Collection")?;
        Ok(elements(&r, &v)?
            .iter()
            .map(|e| ProjectStorage {
                id: e.get("id").and_then(Value::as_i64).unwrap_or_default(),
                project_folder_mode: str_at(e, "/projectFolderMode"),
                project_folder_id: str_at(e, "/_links/projectFolder/href")
                    .and_then(|h| h.rsplit('/').next().map(str::to_owned))
                    .filter(|id| !id.is_empty()),
                project_id: str_at(e, "/_links/project/href").as_deref().and_then(last_id),
                storage_id: str_at(e, "/_links/storage/href").as_deref().and_then(last_id),
            })
            .collect())
    }

    /// OpenProject's health checks (`/health_checks/all`, OkComputer): each check's success and message.
    /// A failing check makes the whole answer a 500, so both statuses are read.
    pub async fn health_checks(&self) -> Result<Vec<HealthCheck>, ClientError> {
        let r = self.call(self.request(Method::GET, "health_checks/all"), &[200, 500]).await?;
        let v = r.json_value()?;
        let map = v.as_object().ok_or_else(|| r.unparseable("health checks are not an object".into()))?;
        Ok(map
            .iter()
            .filter_map(|(name, c)| {
                Some(HealthCheck {
                    name: name.clone(),
                    success: c.get("success")?.as_bool()?,
                    message: str_at(c, "/message").unwrap_or_default(),
                })
            })
            .collect())
    }

    /// Asks OpenProject's token endpoint (Doorkeeper) to exchange a code that cannot exist, with the given
    /// client credentials. Doorkeeper authenticates the client first: `invalid_client` means the id or the
    /// secret is wrong, `invalid_grant` that both are right. Nothing is created.
    pub async fn probe_oauth_client(
        &self,
        client_id: &str,
        client_secret: &SecretString,
        redirect_uri: &str,
    ) -> Result<TokenProbe, ClientError> {
        use oauth2::basic::{BasicClient, BasicErrorResponseType};
        use oauth2::{AuthorizationCode, ClientId, ClientSecret, RedirectUrl, RequestTokenError, TokenUrl};

        let token_url = self.base.join("oauth/token").to_string();
        let invalid_url = |e: oauth2::url::ParseError| {
            ClientError::new(
                Server::OpenProject,
                "POST /oauth/token",
                ErrorKind::InvalidUrl(crate::UrlProblem::Malformed { reason: e.to_string() }),
            )
        };
        let client = BasicClient::new(ClientId::new(client_id.to_owned()))
            .set_client_secret(ClientSecret::new(client_secret.expose().clone()))
            .set_token_uri(TokenUrl::new(token_url).map_err(invalid_url)?)
            .set_redirect_uri(RedirectUrl::new(redirect_uri.to_owned()).map_err(invalid_url)?);
        let http = self.http.clone();
        let send = move |req: oauth2::HttpRequest| {
            let http = http.clone();
            async move { send_oauth_request(&http, Server::OpenProject, req).await }
        };
        let result = client
            .exchange_code(AuthorizationCode::new("opnc-connection-probe-not-a-real-code".into()))
            .request_async(&send)
            .await;
        Ok(match result {
            Ok(_) => TokenProbe::Inconclusive("the token endpoint accepted a code that cannot exist".into()),
            Err(RequestTokenError::ServerResponse(resp)) => match resp.error() {
                BasicErrorResponseType::InvalidGrant => TokenProbe::Valid,
                BasicErrorResponseType::InvalidClient | BasicErrorResponseType::UnauthorizedClient => {
                    TokenProbe::InvalidClient
                }
                other => TokenProbe::Inconclusive(format!("the token endpoint answered {}", other.as_ref())),
            },
            Err(RequestTokenError::Request(e)) => return Err(e),
            Err(RequestTokenError::Parse(_, body)) => {
                TokenProbe::Inconclusive(format!("unreadable answer: {}", crate::http::redacted_excerpt(&body)))
            }
            Err(RequestTokenError::Other(o)) => TokenProbe::Inconclusive(o),
        })
    }
}

/// Sends the OAuth library's request through the assistant's HTTP client (its timeouts, limits and redaction).
pub(crate) async fn send_oauth_request(
    http: &HttpClient,
    server: Server,
    req: oauth2::HttpRequest,
) -> Result<oauth2::HttpResponse, ClientError> {
    let url = url::Url::parse(&req.uri().to_string()).map_err(|e| {
        ClientError::new(
            server,
            format!("{} {}", req.method(), req.uri().path()),
            ErrorKind::InvalidUrl(crate::UrlProblem::Malformed { reason: e.to_string() }),
        )
    })?;
    let mut request = Request::new(server, req.method().clone(), url);
    if let Some(auth) = req.headers().get(http::header::AUTHORIZATION).and_then(|v| v.to_str().ok()) {
        request = request.auth(Auth::Header(SecretString::from(auth)));
    }
    let content_type = req
        .headers()
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("application/x-www-form-urlencoded")
        .to_owned();
    request.body = Some(Body::Raw { content_type, bytes: req.body().clone() });
    let raw = http.send(request).await?;
    let mut response = http::Response::builder().status(raw.status);
    for (name, value) in raw.headers.iter() {
        response = response.header(name, value);
    }
    response.body(raw.body.to_vec()).map_err(|_| raw.unexpected_status())
}

/// A 403 `MissingPermission` on an admin-only endpoint means the account is not an admin.
fn admin_required(error: ClientError) -> ClientError {
    match &error.kind {
        ErrorKind::OpenProjectApi(e) if e.status == 403 && e.identifier == "MissingPermission" => {
            ClientError::new(error.server, error.endpoint.clone(), ErrorKind::NotAdmin { user: None })
        }
        _ => error,
    }
}

fn openproject_error(r: &RawResponse) -> ClientError {
    let status = r.status.as_u16();
    if status == 401 {
        // Every 401 of API v3 is an authentication failure, whatever body a proxy put in front of it.
        return ClientError::new(
            Server::OpenProject,
            r.endpoint.clone(),
            ErrorKind::CredentialsRejected { two_factor: false },
        );
    }
    match r.json_value() {
        Ok(v) if v.get("_type").and_then(Value::as_str) == Some("Error") => {
            let api = parse_api_error(status, &v);
            if status == 401 || api.identifier == "Unauthenticated" {
                return ClientError::new(
                    Server::OpenProject,
                    r.endpoint.clone(),
                    ErrorKind::CredentialsRejected { two_factor: false },
                );
            }
            ClientError::new(Server::OpenProject, r.endpoint.clone(), ErrorKind::OpenProjectApi(api))
        }
        Ok(_) => r.unexpected_status(),
        Err(e)
            if status >= 400
                && !matches!(e.kind, ErrorKind::UnparseableBody { ref reason, .. } if reason.contains("HTML")) =>
        {
            r.unexpected_status()
        }
        Err(e) => e,
    }
}

fn parse_api_error(status: u16, v: &Value) -> OpenProjectApiError {
    let identifier = str_at(v, "/errorIdentifier")
        .map(|id| id.rsplit(':').next().unwrap_or_default().to_owned())
        .unwrap_or_default();
    let errors = v
        .pointer("/_embedded/errors")
        .and_then(Value::as_array)
        .map(|list| list.iter().map(|e| parse_api_error(status, e)).collect())
        .unwrap_or_default();
    OpenProjectApiError {
        status,
        identifier,
        attribute: str_at(v, "/_embedded/details/attribute"),
        message: str_at(v, "/message").unwrap_or_default(),
        errors,
    }
}

fn expect_type(r: &RawResponse, v: &Value, expected: &str) -> Result<(), ClientError> {
    match v.get("_type").and_then(Value::as_str) {
        Some(t) if t == expected => Ok(()),
        Some(t) => Err(r.unparseable(format!("expected a {expected} resource, got {t}"))),
        None => Err(r.unparseable(format!("expected a {expected} resource, got JSON without _type"))),
    }
}

fn elements<'a>(r: &RawResponse, v: &'a Value) -> Result<&'a Vec<Value>, ClientError> {
    v.pointer("/_embedded/elements")
        .and_then(Value::as_array)
        .ok_or_else(|| r.unparseable("a collection without _embedded.elements".into()))
}

fn parse_storage(r: &RawResponse, v: &Value) -> Result<Storage, ClientError> {
    expect_type(r, v, "Storage")?;
    let id = v.get("id").and_then(Value::as_i64).ok_or_else(|| r.unparseable("a storage without id".into()))?;
    let oauth_application = v.pointer("/_embedded/oauthApplication").and_then(|a| {
        Some(OAuthApplication {
            id: a.get("id")?.as_i64()?,
            name: str_at(a, "/name").unwrap_or_default(),
            client_id: str_at(a, "/clientId")?,
            redirect_uris: a
                .pointer("/_links/redirectUri")
                .and_then(Value::as_array)
                .map(|l| l.iter().filter_map(|u| str_at(u, "/href")).collect())
                .unwrap_or_default(),
        })
    });
    Ok(Storage {
        id,
        name: str_at(v, "/name").unwrap_or_default(),
        host: str_at(v, "/_links/origin/href").unwrap_or_default(),
        provider_type: str_at(v, "/_links/type/href").unwrap_or_default(),
        configured: v.get("configured").and_then(Value::as_bool),
        has_application_password: v.get("hasApplicationPassword").and_then(Value::as_bool),
        authentication_method: str_at(v, "/_links/authenticationMethod/href"),
        authorization_state: str_at(v, "/_links/authorizationState/href"),
        oauth_application,
        oauth_client_credentials: v.pointer("/_embedded/oauthClientCredentials").and_then(parse_client_credentials),
        storage_audience: str_at(v, "/storageAudience").filter(|a| !a.is_empty()),
        token_exchange_scope: str_at(v, "/tokenExchangeScope").filter(|a| !a.is_empty()),
    })
}

fn parse_client_credentials(v: &Value) -> Option<OAuthClientCredentials> {
    Some(OAuthClientCredentials { id: v.get("id")?.as_i64()?, client_id: str_at(v, "/clientId")? })
}

fn parse_project(r: &RawResponse, v: &Value) -> Result<Project, ClientError> {
    Ok(Project {
        id: v.get("id").and_then(Value::as_i64).ok_or_else(|| r.unparseable("a project without id".into()))?,
        identifier: str_at(v, "/identifier").unwrap_or_default(),
        name: str_at(v, "/name").unwrap_or_default(),
        active: v.get("active").and_then(Value::as_bool).unwrap_or(true),
        parent_id: str_at(v, "/_links/parent/href").as_deref().and_then(last_id),
        kind: str_at(v, "/_type").unwrap_or_default(),
    })
}

fn last_id(href: &str) -> Option<i64> {
    href.trim_end_matches('/').rsplit('/').next()?.parse().ok()
}

fn str_at(v: &Value, pointer: &str) -> Option<String> {
    v.pointer(pointer).and_then(Value::as_str).map(str::to_owned)
}

fn strings_at(v: &Value, pointer: &str) -> Vec<String> {
    v.pointer(pointer)
        .and_then(Value::as_array)
        .map(|l| l.iter().filter_map(|s| s.as_str().map(str::to_owned)).collect())
        .unwrap_or_default()
}

/// Parses the JSON body of an OpenProject error answer; exposed for the property tests of the parsers.
pub fn parse_error_body(status: u16, body: &[u8]) -> Option<OpenProjectApiError> {
    let v: Value = serde_json::from_slice(body).ok()?;
    (v.get("_type").and_then(Value::as_str) == Some("Error")).then(|| parse_api_error(status, &v))
}

/// Whether OpenProject's host name setting (`host` or `host:port`, optionally with a path) names the
/// address OpenProject is reached at. OAuth callbacks are built from that setting.
pub fn host_name_matches(host_name: &str, base: &ServerUrl) -> bool {
    let reached_as = base.as_str().split_once("://").map(|(_, rest)| rest).unwrap_or_default();
    host_name.trim().trim_end_matches('/').eq_ignore_ascii_case(reached_as)
}

/// The address part of a base URL as OpenProject's host name setting would hold it.
pub fn reached_as(base: &ServerUrl) -> String {
    base.as_str().split_once("://").map(|(_, rest)| rest.to_owned()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_name_setting_is_compared_without_case_and_trailing_slash() {
        let base = ServerUrl::parse("https://op.example.com/openproject", crate::UrlPolicy::default()).unwrap();
        assert!(host_name_matches("OP.example.com/openproject/", &base));
        assert!(!host_name_matches("op.example.com", &base));
        let port = ServerUrl::parse("http://localhost:3000", crate::UrlPolicy::default()).unwrap();
        assert!(host_name_matches("localhost:3000", &port));
        assert!(!host_name_matches("localhost", &port));
    }
}
