//! OpenProject's web side, for what its API cannot do: the admin's browser session (taken from the app's sign-in
//! window, or an opt-in password sign-in for the CLI), and three admin actions — add the storage to projects,
//! replace OpenProject's OAuth application, run the health report.
//!
//! Contract: `shared/contracts/openproject-ui-session.md` (opf/openproject `app/controllers/account_controller.rb`,
//! `modules/storages/app/controllers/storages/admin/storages/project_storages_controller.rb`,
//! `modules/storages/app/controllers/storages/admin/storages_controller.rb#replace_oauth_application`,
//! `modules/storages/app/controllers/storages/admin/health_status_controller.rb`).
//!
//! Every write sends the Turbo `Accept` header: the add and replace actions write *before* they negotiate the
//! answer, so a browser-like `Accept` would change data and then answer 406 — for the replace, destroying the
//! old application without ever showing the new secret. Nothing is retried blindly, every page's shape is
//! checked before it is trusted, and the result is always confirmed through the API.
//!
//! The session cookie lives in memory only. The assistant never calls `/logout`: with OpenProject's defaults
//! that ends *every* session of the admin, their own browser included; it simply forgets the cookie.

use http::{Method, StatusCode};
use semver::Version;

use crate::error::{ClientError, ErrorKind, Server, WebProblem};
use crate::html_scan::{self, Tag};
use crate::http::{Auth, HttpClient, RawResponse, Request};
use crate::openproject::OpenProjectAuth;
use crate::secret::SecretString;
use crate::server_url::ServerUrl;
/// What Turbo sends: turbo streams first, no `*/*`.
pub const TURBO_ACCEPT: &str = "text/vnd.turbo-stream.html, text/html, application/xhtml+xml";
const HTML_ACCEPT: &str = "text/html, application/xhtml+xml";
pub const DEFAULT_SESSION_COOKIE: &str = "_open_project_session";

/// Where OpenProject's features that this module uses begin.
use crate::compat as gates;

/// Paths the sign-in passes through; a page outside them means the admin has finished signing in.
pub fn is_sign_in_path(path: &str) -> bool {
    ["/login", "/two_factor_authentication", "/recaptcha", "/account/", "/auth/"].iter().any(|p| path.starts_with(p))
}

/// A signed-in OpenProject browser session: the cookies, nothing else.
#[derive(Clone)]
pub struct WebSession {
    cookies: SecretString,
}

impl std::fmt::Debug for WebSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("WebSession(<redacted>)")
    }
}

impl WebSession {
    /// From cookies a webview holds for the OpenProject host (name, value, path): keeps those whose path
    /// covers the instance's base path.
    pub fn from_cookies(
        base: &ServerUrl,
        cookies: impl IntoIterator<Item = (String, String, Option<String>)>,
    ) -> Option<Self> {
        let base_path = base.url().path().trim_end_matches('/').to_owned();
        let pairs: Vec<String> = cookies
            .into_iter()
            .filter(|(name, value, _)| !name.is_empty() && !value.is_empty())
            .filter(|(_, _, path)| {
                let p = path.as_deref().unwrap_or("/").trim_end_matches('/');
                p.is_empty() || base_path.starts_with(p)
            })
            .map(|(name, value, _)| format!("{name}={value}"))
            .collect();
        (!pairs.is_empty()).then(|| Self { cookies: SecretString::from(pairs.join("; ")) })
    }

    pub fn auth(&self) -> OpenProjectAuth {
        OpenProjectAuth::Session(self.cookies.clone())
    }

    fn http_auth(&self) -> Auth {
        Auth::Cookie(self.cookies.clone())
    }
}

/// Checks cookies a sign-in window holds: `Ok(None)` while they are no signed-in session yet (keep waiting),
/// the session and its user when they are an administrator's, `NotAdmin` when someone else signed in.
pub async fn admin_session_from_cookies(
    http: &HttpClient,
    base: &ServerUrl,
    cookies: impl IntoIterator<Item = (String, String, Option<String>)>,
) -> Result<Option<(WebSession, crate::openproject::User)>, ClientError> {
    let Some(session) = WebSession::from_cookies(base, cookies) else {
        return Ok(None);
    };
    let client = crate::openproject::OpenProjectClient::new(http.clone(), base.clone(), session.auth());
    match client.me().await {
        Ok(user) if user.admin => Ok(Some((session, user))),
        Ok(user) => Err(ClientError::new(
            Server::OpenProject,
            "GET /api/v3/users/me",
            ErrorKind::NotAdmin { user: user.login.or(Some(user.name)) },
        )),
        // 401 where login is required; the anonymous user (no id, another `_type`) where it is not.
        Err(e) if matches!(e.kind, ErrorKind::CredentialsRejected { .. } | ErrorKind::UnparseableBody { .. }) => {
            Ok(None)
        }
        Err(e) => Err(e),
    }
}

fn web_error(endpoint: &str, problem: WebProblem) -> ClientError {
    ClientError::new(Server::OpenProject, endpoint.to_owned(), ErrorKind::OpenProjectWeb(problem))
}

fn not_recognized(r: &RawResponse, expected: &str) -> ClientError {
    web_error(&r.endpoint, WebProblem::PageNotRecognized { expected: expected.into() })
}

fn is_html(r: &RawResponse) -> bool {
    r.content_type().is_some_and(|c| c.starts_with("text/html"))
}

fn is_turbo(r: &RawResponse) -> bool {
    r.content_type().is_some_and(|c| c.starts_with("text/vnd.turbo-stream.html"))
}

fn body_text(r: &RawResponse) -> String {
    String::from_utf8_lossy(&r.body).into_owned()
}

fn location(r: &RawResponse) -> Option<String> {
    r.headers.get(http::header::LOCATION).and_then(|v| v.to_str().ok()).map(str::to_owned)
}

/// The path of a `Location` (absolute or relative).
fn location_path(r: &RawResponse) -> Option<String> {
    let l = location(r)?;
    match url::Url::parse(&l) {
        Ok(u) => Some(u.path().to_owned()),
        Err(_) => Some(l.split(['?', '#']).next().unwrap_or_default().to_owned()),
    }
}

/// Cookies set by an answer, as `name=value` (attributes dropped).
fn set_cookies(r: &RawResponse) -> Vec<(String, String)> {
    r.headers
        .get_all(http::header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|line| {
            let pair = line.split(';').next()?.trim();
            let (name, value) = pair.split_once('=')?;
            Some((name.trim().to_owned(), value.trim().to_owned()))
        })
        .collect()
}

/// A cookie jar for the password sign-in: later cookies replace earlier ones of the same name.
#[derive(Default)]
struct Jar(Vec<(String, String)>);

impl Jar {
    fn take(&mut self, r: &RawResponse) {
        for (name, value) in set_cookies(r) {
            self.0.retain(|(n, _)| *n != name);
            self.0.push((name, value));
        }
    }

    fn line(&self) -> SecretString {
        SecretString::from(self.0.iter().map(|(n, v)| format!("{n}={v}")).collect::<Vec<_>>().join("; "))
    }

    fn header(&self) -> Auth {
        Auth::Cookie(self.line())
    }

    fn into_session(self) -> WebSession {
        WebSession { cookies: self.line() }
    }
}

/// The sign-in without a browser (an explicit opt-in for the CLI): the login form with its CSRF token, then the
/// admin check through the API. Two-factor and SSO-only instances are refused with what to do instead; a wrong
/// password is never retried (OpenProject blocks the account after 20 failures).
pub async fn password_sign_in(
    http: &HttpClient,
    base: &ServerUrl,
    login: &str,
    password: &SecretString,
) -> Result<WebSession, ClientError> {
    let mut jar = Jar::default();
    let get = |path: &str, auth: Auth| {
        Request::new(Server::OpenProject, Method::GET, base.join(path))
            .without_redirects()
            .auth(auth)
            .header("accept", HTML_ACCEPT)
    };
    let mut page = http.send(get("login", Auth::None)).await?;
    jar.take(&page);
    if page.status.is_redirection() {
        if location_path(&page).is_some_and(|p| p.contains("/auth/")) {
            // A direct-login provider: the password form may still be at /login/internal.
            page = http.send(get("login/internal", jar.header())).await?;
            jar.take(&page);
            if page.status == StatusCode::NOT_FOUND {
                return Err(web_error(&page.endpoint, WebProblem::SingleSignOnOnly));
            }
        } else {
            return Err(web_error(&page.endpoint, WebProblem::PageNotRecognized { expected: "the login page".into() }));
        }
    }
    if page.status != StatusCode::OK || !is_html(&page) {
        return Err(page.unexpected_status());
    }
    let html = body_text(&page);
    let all = html_scan::tags(&html);
    let form_has = |name: &str| all.iter().any(|t| t.name == "input" && t.has("name", name));
    if !form_has("username") || !form_has("password") {
        return Err(web_error(&page.endpoint, WebProblem::SingleSignOnOnly));
    }
    let token = csrf_from(&html).ok_or_else(|| not_recognized(&page, "a CSRF token on the login page"))?;
    let form = vec![
        ("username".to_owned(), login.to_owned()),
        ("password".to_owned(), password.expose().clone()),
        ("authenticity_token".to_owned(), token.expose().clone()),
    ];
    let post = Request::new(Server::OpenProject, Method::POST, base.join("login"))
        .without_redirects()
        .auth(jar.header())
        .header("accept", HTML_ACCEPT)
        .form(form);
    let answer = http.send(post).await?;
    jar.take(&answer);
    match answer.status.as_u16() {
        302 | 303 => {}
        404 => return Err(web_error(&answer.endpoint, WebProblem::SingleSignOnOnly)),
        422 if !html_scan::tags(&body_text(&answer)).iter().any(|t| t.has("name", "password")) => {
            // A CSRF failure renders an error page, not the form again.
            return Err(web_error(&answer.endpoint, WebProblem::SessionEnded));
        }
        422 => return Err(web_error(&answer.endpoint, WebProblem::PasswordRejected)),
        200 => return Err(web_error(&answer.endpoint, WebProblem::ExtraStep { step: "a new password".into() })),
        _ => return Err(answer.unexpected_status()),
    }
    let next = location_path(&answer).unwrap_or_default();
    let relative = next.strip_prefix(base.url().path().trim_end_matches('/')).unwrap_or(&next).to_owned();
    if relative.starts_with("/two_factor_authentication") {
        return Err(web_error(&answer.endpoint, WebProblem::TwoFactorRequired));
    }
    if relative.starts_with("/auth/") {
        return Err(web_error(&answer.endpoint, WebProblem::SingleSignOnOnly));
    }
    if is_sign_in_path(&relative) && !relative.starts_with("/recaptcha") {
        return Err(web_error(&answer.endpoint, WebProblem::ExtraStep { step: relative }));
    }
    Ok(jar.into_session())
}

fn csrf_from(html: &str) -> Option<SecretString> {
    html_scan::meta(html, "csrf-token")
        .and_then(|t| t.attr("content").map(str::to_owned))
        .or_else(|| {
            html_scan::tags(html)
                .into_iter()
                .find(|t| t.name == "input" && t.has("name", "authenticity_token"))
                .and_then(|t| t.attr("value").map(str::to_owned))
        })
        .filter(|t| !t.is_empty())
        .map(SecretString::from)
}

/// The project folder a project gets with the storage.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize, ts_rs::TS)]
#[serde(tag = "mode", rename_all = "snake_case")]
pub enum FolderMode {
    /// No project folder.
    Inactive,
    /// A folder OpenProject manages in the "OpenProject" team folder (needs the storage's app password).
    Automatic,
    /// An existing Nextcloud folder, by its file id.
    Manual { folder_id: String },
}

impl FolderMode {
    pub fn as_str(&self) -> &'static str {
        match self {
            FolderMode::Inactive => "inactive",
            FolderMode::Automatic => "automatic",
            FolderMode::Manual { .. } => "manual",
        }
    }

    pub fn folder_id(&self) -> &str {
        match self {
            FolderMode::Manual { folder_id } => folder_id,
            _ => "",
        }
    }
}

/// A Nextcloud folder's file id from what an admin can copy: the id itself, a Files link
/// (`…/apps/files/files/123?dir=…`, `…?fileid=123`) or a share-internal link (`…/f/123`).
pub fn folder_id_from_link(text: &str) -> Option<String> {
    let text = text.trim();
    if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) {
        return Some(text.to_owned());
    }
    let url = url::Url::parse(text).ok()?;
    if let Some((_, id)) = url.query_pairs().find(|(k, _)| k == "fileid") {
        return Some(id.into_owned()).filter(|id| !id.is_empty() && id.bytes().all(|b| b.is_ascii_digit()));
    }
    let segments: Vec<&str> = url.path_segments()?.collect();
    segments
        .windows(2)
        .find(|w| (w[0] == "f" || w[0] == "files") && !w[1].is_empty() && w[1].bytes().all(|b| b.is_ascii_digit()))
        .map(|w| w[1].to_owned())
}

/// A new OpenProject OAuth application, read once from the replace answer.
#[derive(Debug, Clone)]
pub struct ReplacedApplication {
    pub client_id: String,
    pub client_secret: SecretString,
}

/// OpenProject's admin pages over a signed-in session.
#[derive(Debug, Clone)]
pub struct AdminPages {
    http: HttpClient,
    base: ServerUrl,
    session: WebSession,
    version: Option<Version>,
}

impl AdminPages {
    pub fn new(http: HttpClient, base: ServerUrl, session: WebSession, version: Option<Version>) -> Self {
        Self { http, base, session, version }
    }

    pub fn version(&self) -> Option<&Version> {
        self.version.as_ref()
    }

    fn at_least(&self, gate: &Version) -> bool {
        self.version.as_ref().is_some_and(|v| v >= gate)
    }

    fn request(&self, method: Method, path: &str, accept: &str) -> Request {
        Request::new(Server::OpenProject, method, self.base.join(path))
            .without_redirects()
            .auth(self.session.http_auth())
            .header("accept", accept)
    }

    /// A full page, checked to be signed in as someone, with its CSRF token.
    async fn page(&self, path: &str) -> Result<(String, SecretString), ClientError> {
        let r = self.http.send(self.request(Method::GET, path, HTML_ACCEPT)).await?;
        if r.status.is_redirection() && location_path(&r).is_some_and(|p| p.ends_with("/login")) {
            return Err(web_error(&r.endpoint, WebProblem::SessionEnded));
        }
        match r.status.as_u16() {
            200 => {}
            403 => {
                return Err(ClientError::new(
                    Server::OpenProject,
                    r.endpoint.clone(),
                    ErrorKind::NotAdmin { user: None },
                ))
            }
            404 => return Err(not_recognized(&r, "the page exists on this version")),
            _ => return Err(r.unexpected_status()),
        }
        if !is_html(&r) {
            return Err(not_recognized(&r, "an HTML page"));
        }
        let html = body_text(&r);
        let signed_in =
            html_scan::meta(&html, "current_user").and_then(|t| t.attr("data-logged-in").map(str::to_owned));
        match signed_in.as_deref() {
            Some("true") => {}
            Some(_) => return Err(web_error(&r.endpoint, WebProblem::SessionEnded)),
            None => return Err(not_recognized(&r, "the signed-in user in the page head")),
        }
        let token = csrf_from(&html).ok_or_else(|| not_recognized(&r, "a CSRF token"))?;
        Ok((html, token))
    }

    /// Statuses every write shares: the session ended (401 `login needed`, a redirect to the login page, a 422
    /// with an empty turbo answer = CSRF failure), not an admin (403), unknown (404).
    fn common_failure(&self, r: &RawResponse) -> Option<ClientError> {
        let ended = r.status == StatusCode::UNAUTHORIZED
            || (r.status.is_redirection() && location_path(r).is_some_and(|p| p.ends_with("/login")))
            || (r.status == StatusCode::UNPROCESSABLE_ENTITY && body_text(r).contains("Cross-Site Request Forgery"))
            || (r.status == StatusCode::UNPROCESSABLE_ENTITY && is_turbo(r) && r.body.is_empty());
        if ended {
            return Some(web_error(&r.endpoint, WebProblem::SessionEnded));
        }
        match r.status.as_u16() {
            403 => Some(ClientError::new(Server::OpenProject, r.endpoint.clone(), ErrorKind::NotAdmin { user: None })),
            404 => Some(not_recognized(r, "the action exists on this version")),
            406 => Some(web_error(
                &r.endpoint,
                WebProblem::ResultNotShown { what: "it answered 406 Not Acceptable after the change".into() },
            )),
            _ => None,
        }
    }

    fn write(
        &self,
        method: Method,
        path: &str,
        token: &SecretString,
        fields: Vec<(String, String)>,
        accept: &str,
    ) -> Request {
        self.request(method, path, accept).header("x-csrf-token", token.expose().clone()).form(fields)
    }

    /// The admin "Add projects" form (14.5+). Archived projects and projects that already use the storage are
    /// skipped by OpenProject itself; the caller confirms through `GET /api/v3/project_storages`.
    pub async fn add_projects(
        &self,
        storage_id: i64,
        project_ids: &[i64],
        mode: &FolderMode,
    ) -> Result<(), ClientError> {
        if !self.at_least(&gates::BULK_ADD) {
            return Err(web_error(
                "POST /admin/settings/storages/{id}/project_storages",
                WebProblem::PageNotRecognized {
                    expected: "OpenProject 14.5 or later for adding projects from the storage".into(),
                },
            ));
        }
        let path = format!("admin/settings/storages/{storage_id}/project_storages");
        let (_, token) = self.page(&path).await?;
        let key = "storages_project_storage";
        let mut fields: Vec<(String, String)> =
            project_ids.iter().map(|id| (format!("{key}[project_ids][]"), id.to_string())).collect();
        fields.push((format!("{key}[include_sub_projects]"), "0".into()));
        fields.push((format!("{key}[project_folder_mode]"), mode.as_str().into()));
        fields.push((format!("{key}[project_folder_id]"), mode.folder_id().into()));
        let r = self.http.send(self.write(Method::POST, &path, &token, fields, TURBO_ACCEPT)).await?;
        if let Some(e) = self.common_failure(&r) {
            return Err(e);
        }
        if !is_turbo(&r) {
            return Err(match r.status.as_u16() {
                200 => not_recognized(&r, "a turbo-stream answer"),
                _ => r.unexpected_status(),
            });
        }
        let streams = html_scan::turbo_streams(&body_text(&r));
        // 200 is not success on its own: "Project not found." and "incomplete setup" are 200 with a flash.
        if let Some(flash) = streams.iter().find(|s| s.action == "flash") {
            return Err(web_error(
                &r.endpoint,
                WebProblem::PageMessage { status: r.status.as_u16(), message: html_scan::text(&flash.template) },
            ));
        }
        match r.status.as_u16() {
            200 if streams.iter().any(|s| s.target == "projects-table") => Ok(()),
            200 => Err(not_recognized(&r, "an update of the projects table")),
            400 | 422 => {
                let message = streams.iter().map(|s| html_scan::text(&s.template)).collect::<Vec<_>>().join(" ");
                Err(web_error(&r.endpoint, WebProblem::PageMessage { status: r.status.as_u16(), message }))
            }
            _ => Err(r.unexpected_status()),
        }
    }

    /// The per-project form (every version; the only one before 14.5): 302 is success, a 200 is the form again
    /// with its error.
    pub async fn add_to_project(&self, project: &str, storage_id: i64, mode: &FolderMode) -> Result<(), ClientError> {
        let segment = if self.version.as_ref().is_none_or(|v| *v >= gates::PROJECT_STORAGES_PATH) {
            "project_storages"
        } else {
            "projects_storages"
        };
        let path = format!("projects/{project}/settings/{segment}");
        // The form page also tells a project without the `storages` module (403 before 14.1).
        let (_, token) = self.page(&format!("{path}/new")).await?;
        let key = "storages_project_storage";
        let fields = vec![
            (format!("{key}[storage_id]"), storage_id.to_string()),
            (format!("{key}[project_folder_mode]"), mode.as_str().into()),
            (format!("{key}[project_folder_id]"), mode.folder_id().into()),
        ];
        let r = self.http.send(self.write(Method::POST, &path, &token, fields, HTML_ACCEPT)).await?;
        if r.status.is_redirection() && location_path(&r).is_some_and(|p| p.contains("/settings/project")) {
            return Ok(());
        }
        if let Some(e) = self.common_failure(&r) {
            return Err(e);
        }
        if r.status == StatusCode::OK && is_html(&r) {
            let html = body_text(&r);
            let message = error_text(&html).unwrap_or_else(|| "the form was shown again".into());
            return Err(web_error(&r.endpoint, WebProblem::PageMessage { status: 200, message }));
        }
        Err(r.unexpected_status())
    }

    /// Turns the project's `storages` module on (needed before 14.1). The form replaces the whole module list,
    /// so every module that is on now is sent again with `storages` added.
    pub async fn enable_storages_module(&self, project: &str) -> Result<(), ClientError> {
        let path = format!("projects/{project}/settings/modules");
        let (html, token) = self.page(&path).await?;
        let boxes: Vec<Tag> = html_scan::tags(&html)
            .into_iter()
            .filter(|t| t.name == "input" && t.has("name", "project[enabled_module_names][]"))
            .collect();
        if boxes.is_empty() {
            return Err(web_error(
                &format!("GET /{path}"),
                WebProblem::PageNotRecognized { expected: "the module checkboxes".into() },
            ));
        }
        let mut on: Vec<String> = boxes
            .iter()
            .filter(|t| t.attr("checked").is_some())
            .filter_map(|t| t.attr("value").map(str::to_owned))
            .collect();
        if on.iter().any(|m| m == "storages") {
            return Ok(());
        }
        on.push("storages".into());
        let mut fields = vec![("_method".to_owned(), "patch".to_owned())];
        fields.extend(on.into_iter().map(|m| ("project[enabled_module_names][]".to_owned(), m)));
        let r = self.http.send(self.write(Method::POST, &path, &token, fields, HTML_ACCEPT)).await?;
        if r.status.is_redirection() && location_path(&r).is_some_and(|p| p.ends_with("/settings/modules")) {
            return Ok(());
        }
        Err(self.common_failure(&r).unwrap_or_else(|| r.unexpected_status()))
    }

    /// "Replace OpenProject OAuth": exactly one request with the Turbo `Accept`, the new client id and secret read
    /// once from the answer. The old application is gone the moment OpenProject receives the request, so an
    /// answer that cannot be read is reported as `ResultNotShown` — never retried here.
    pub async fn replace_oauth_application(&self, storage_id: i64) -> Result<ReplacedApplication, ClientError> {
        let edit = format!("admin/settings/storages/{storage_id}/edit");
        let action = format!("admin/settings/storages/{storage_id}/replace_oauth_application");
        let (html, token) = self.page(&edit).await?;
        let primer = self.at_least(&gates::PROJECT_STORAGES_PATH);
        if primer {
            let has_form = html_scan::tags(&html).iter().any(|t| {
                t.name == "form"
                    && t.attr("action").is_some_and(|a| a.trim_end_matches('/').ends_with("/replace_oauth_application"))
            });
            if !has_form {
                return Err(web_error(
                    &format!("GET /{edit}"),
                    WebProblem::PageNotRecognized { expected: "the \"Replace OpenProject OAuth\" form".into() },
                ));
            }
        } else if self.version.is_none() {
            return Err(web_error(
                &format!("GET /{edit}"),
                WebProblem::PageNotRecognized { expected: "a known OpenProject version".into() },
            ));
        }
        let fields = vec![("_method".to_owned(), "delete".to_owned())];
        let r = self.http.send(self.write(Method::POST, &action, &token, fields, TURBO_ACCEPT)).await?;
        // A 406 means the write happened and the secret is lost: `common_failure` says so, with what to do.
        if let Some(e) = self.common_failure(&r) {
            return Err(e);
        }
        if r.status != StatusCode::OK {
            return Err(web_error(
                &r.endpoint,
                WebProblem::ResultNotShown { what: format!("an unexpected HTTP {}", r.status.as_u16()) },
            ));
        }
        let body = body_text(&r);
        let found = if is_turbo(&r) {
            html_scan::turbo_streams(&body)
                .into_iter()
                .find(|s| s.target == "storage_openproject_oauth_section")
                .and_then(|s| {
                    credentials_in(
                        &s.template,
                        "openproject_oauth_application_uid",
                        "openproject_oauth_application_secret",
                    )
                })
        } else if is_html(&r) {
            // Up to 13.0 a full page; a full page on a newer version is the edit page of a failed create.
            credentials_in(&body, "client_id", "secret").or_else(|| {
                credentials_in(&body, "openproject_oauth_application_uid", "openproject_oauth_application_secret")
            })
        } else {
            None
        };
        found.ok_or_else(|| {
            web_error(
                &r.endpoint,
                WebProblem::ResultNotShown { what: "the answer did not contain the new client ID and secret".into() },
            )
        })
    }

    /// Creates OpenProject's OpenID provider through its admin pages (`OpenIDConnect::ProvidersController`, which
    /// has no API counterpart): the create form (display name, type `custom`), then the updates its wizard makes —
    /// the discovery URL with `fetch_metadata` (OpenProject fetches the document itself), the client id, secret and
    /// scopes, and one more save, because a provider saved complete is offered only after the save that follows its
    /// discovery. A page that is not the form this version should show sends nothing. Returns the provider's id.
    pub async fn create_openid_provider(&self, new: &NewOpenidProvider) -> Result<i64, ClientError> {
        let list = "admin/openid_connect/providers";
        let (html, token) = self.page(&format!("{list}/new?oidc_provider=custom")).await.map_err(|e| match e.kind {
            // Without the Enterprise feature `sso_auth_providers` the page redirects to the list.
            ErrorKind::UnexpectedStatus { status, .. } if (300..400).contains(&status) => web_error(
                &format!("GET /{list}/new"),
                WebProblem::PageNotRecognized {
                    expected: "the new OpenID provider form (OpenProject's Enterprise feature sso_auth_providers)"
                        .into(),
                },
            ),
            _ => e,
        })?;
        let has_form = html_scan::tags(&html)
            .iter()
            .any(|t| t.name == "input" && t.attr("name") == Some("openid_connect_provider[display_name]"));
        if !has_form {
            return Err(web_error(
                &format!("GET /{list}/new"),
                WebProblem::PageNotRecognized { expected: "the new OpenID provider form".into() },
            ));
        }
        let field = |k: &str, v: &str| (format!("openid_connect_provider[{k}]"), v.to_owned());
        let created = self
            .http
            .send(self.write(
                Method::POST,
                list,
                &token,
                vec![field("display_name", &new.display_name), field("oidc_provider", "custom")],
                HTML_ACCEPT,
            ))
            .await?;
        let id = self.saved(&created)?.and_then(|path| {
            path.trim_start_matches('/').strip_prefix(list)?.trim_start_matches('/').split('/').next()?.parse().ok()
        });
        let Some(id) = id else {
            return Err(not_recognized(&created, "a redirect to the new provider"));
        };
        let update = |fields: Vec<(String, String)>| {
            let mut fields = fields;
            fields.push(("_method".into(), "patch".into()));
            self.write(Method::POST, &format!("{list}/{id}"), &token, fields, HTML_ACCEPT)
        };
        let steps = [
            vec![field("metadata_url", &new.discovery_url), ("fetch_metadata".into(), "true".into())],
            vec![
                field("client_id", &new.client_id),
                field("client_secret", new.client_secret.expose()),
                field("scope", &new.scopes),
            ],
            vec![field("display_name", &new.display_name)],
        ];
        for fields in steps {
            let r = self.http.send(update(fields)).await?;
            if let Err(e) = self.saved(&r) {
                // Half a provider is worse than none: what this call made goes again.
                let _ = self.delete_openid_provider(id).await;
                return Err(e);
            }
        }
        Ok(id)
    }

    /// Deletes an OpenID provider (its `destroy`).
    pub async fn delete_openid_provider(&self, id: i64) -> Result<(), ClientError> {
        let (_, token) = self.page(&format!("admin/openid_connect/providers/{id}")).await?;
        let fields = vec![("_method".to_owned(), "delete".to_owned())];
        let r = self
            .http
            .send(self.write(
                Method::POST,
                &format!("admin/openid_connect/providers/{id}"),
                &token,
                fields,
                HTML_ACCEPT,
            ))
            .await?;
        self.saved(&r).map(|_| ())
    }

    /// A provider form's answer: a 302 is a save (its location returned), a 422 the form again with the reason.
    fn saved(&self, r: &RawResponse) -> Result<Option<String>, ClientError> {
        if let Some(e) = self.common_failure(r) {
            return Err(e);
        }
        if r.status.is_redirection() {
            return Ok(location_path(r));
        }
        if r.status == StatusCode::UNPROCESSABLE_ENTITY {
            let html = body_text(r);
            let message = error_text(&html).unwrap_or_else(|| "the form was shown again".into());
            return Err(web_error(&r.endpoint, WebProblem::PageMessage { status: 422, message }));
        }
        Err(r.unexpected_status())
    }

    /// OpenProject 14.4–15.x: the storage page's connection check (`connection_validation/validate_connection`,
    /// answered as a turbo-stream update of the side panel's `ValidationResultComponent`): one result, its label
    /// (healthy, warning, error) and its description prefixed with the upper-cased error code (`ERR_…: `, `WRN_…: `).
    /// Read as one check of the report's shape: state `success`/`warning`/`failure`, the code in lower case.
    pub async fn validate_connection(&self, storage_id: i64) -> Result<HealthCheckResult, ClientError> {
        let endpoint = "POST /admin/settings/storages/{id}/connection_validation/validate_connection";
        if !self.at_least(&gates::CONNECTION_VALIDATION) {
            return Err(web_error(
                endpoint,
                WebProblem::PageNotRecognized { expected: "OpenProject 14.4 or later for the connection check".into() },
            ));
        }
        let (_, token) = self.page(&format!("admin/settings/storages/{storage_id}/edit")).await?;
        let path = format!("admin/settings/storages/{storage_id}/connection_validation/validate_connection");
        let r = self.http.send(self.write(Method::POST, &path, &token, vec![], TURBO_ACCEPT)).await?;
        if let Some(e) = self.common_failure(&r) {
            return Err(e);
        }
        if r.status != StatusCode::OK || !is_turbo(&r) {
            return Err(not_recognized(&r, "the connection check's result"));
        }
        let streams = html_scan::turbo_streams(&body_text(&r));
        let result = streams
            .iter()
            .find(|s| s.target.contains("validation-result"))
            .and_then(|s| validation_result(&s.template))
            .ok_or_else(|| not_recognized(&r, "the connection check's result"))?;
        Ok(result)
    }

    /// Whether this OpenProject has the health report (16.0+); before it, the connection check.
    pub fn has_health_report(&self) -> bool {
        self.at_least(&gates::HEALTH_REPORT)
    }

    /// Runs OpenProject's health checks (16.0+) and downloads the text report.
    pub async fn health_report(&self, storage_id: i64) -> Result<String, ClientError> {
        if !self.at_least(&gates::HEALTH_REPORT) {
            return Err(web_error(
                "POST /admin/settings/storages/{id}/health_status_report",
                WebProblem::PageNotRecognized { expected: "OpenProject 16.0 or later for the health report".into() },
            ));
        }
        let (_, token) = self.page(&format!("admin/settings/storages/{storage_id}/edit")).await?;
        let path = format!("admin/settings/storages/{storage_id}/health_status_report");
        let r = self.http.send(self.write(Method::POST, &path, &token, vec![], HTML_ACCEPT)).await?;
        let ran = r.status == StatusCode::SEE_OTHER
            || (r.status.is_redirection() && location_path(&r).is_some_and(|p| p.ends_with("/health_status_report")));
        if !ran {
            return Err(self.common_failure(&r).unwrap_or_else(|| r.unexpected_status()));
        }
        let text = self.http.send(self.request(Method::GET, &format!("{path}.txt"), "text/plain")).await?;
        if let Some(e) = self.common_failure(&text) {
            return Err(e);
        }
        if text.status != StatusCode::OK || !text.content_type().is_some_and(|c| c.starts_with("text/plain")) {
            return Err(not_recognized(&text, "the text report"));
        }
        Ok(body_text(&text))
    }
}

fn credentials_in(html: &str, id_field: &str, secret_field: &str) -> Option<ReplacedApplication> {
    let tags = html_scan::tags(html);
    let value = |field: &str| {
        tags.iter()
            .find(|t| t.name == "input" && (t.has("id", field) || t.has("name", field)))
            .and_then(|t| t.attr("value"))
            .filter(|v| !v.is_empty())
            .map(str::to_owned)
    };
    Some(ReplacedApplication { client_id: value(id_field)?, client_secret: SecretString::from(value(secret_field)?) })
}

/// The error a re-rendered Rails form shows.
fn error_text(html: &str) -> Option<String> {
    html_scan::first_text(html, |t| {
        t.attr("class").is_some_and(|c| {
            c.split_whitespace().any(|c| c == "errorExplanation" || c == "flash-error" || c == "-error")
        })
    })
    .filter(|t| !t.is_empty())
}

/// The connection check's result from its component: the Primer label's scheme gives the state, the muted
/// description its code and words.
fn validation_result(template: &str) -> Option<HealthCheckResult> {
    let tags = html_scan::tags(template);
    let has_class =
        |t: &html_scan::Tag, class: &str| t.attr("class").is_some_and(|c| c.split_whitespace().any(|c| c == class));
    let label = tags.iter().find_map(|t| {
        if has_class(t, "Label--success") {
            Some("success")
        } else if has_class(t, "Label--attention") {
            Some("warning")
        } else if has_class(t, "Label--danger") {
            Some("failure")
        } else {
            None
        }
    });
    let description = html_scan::first_text(template, |t| has_class(t, "color-fg-muted")).unwrap_or_default();
    let (code, words) = match description.split_once(": ") {
        Some((code, words))
            if !code.is_empty() && code.chars().all(|c| c.is_ascii_uppercase() || c == '_' || c.is_ascii_digit()) =>
        {
            (Some(code.to_ascii_lowercase()), words.to_owned())
        }
        _ => (None, description.clone()),
    };
    // "Not configured" has no label, only its `WRN_` description.
    let state = label.or(match code.as_deref() {
        Some(c) if c.starts_with("wrn_") => Some("warning"),
        Some(c) if c.starts_with("err_") => Some("failure"),
        _ => None,
    })?;
    let mut context = std::collections::BTreeMap::new();
    if !words.is_empty() {
        context.insert("description".to_owned(), words);
    }
    Some(HealthCheckResult {
        group: "connection_validation".into(),
        check: "validate_connection".into(),
        state: state.into(),
        code,
        context,
    })
}

/// One check of OpenProject's health report.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct HealthCheckResult {
    pub group: String,
    pub check: String,
    /// `success`, `failure`, `warning` or `skipped`.
    pub state: String,
    /// OpenProject's code without the YAML symbol colon, e.g. `nc_host_not_found`.
    pub code: Option<String>,
    /// What the check adds to its message (`project`, `actual`/`expected`, `sample`, `dependency`).
    pub context: std::collections::BTreeMap<String, String>,
}

/// Reads the checks from the text report (YAML), in either shape: up to 17.1 `group:` → `check:` →
/// `state:`/`code:`/`context:` (the groups `base_configuration`, `authentication` and the `…_configuration` ones);
/// later a `results:` list of groups (`key:`, `results:`), each a list of checks (`key:`, `state:`, `code:`,
/// `context:`). Ruby symbols (`:failure`, `:nc_host_not_found`) lose their colon. A report that is not YAML, or
/// of neither shape, gives no checks, and the caller says the report could not be read.
pub fn parse_health_report(yaml: &str) -> Vec<HealthCheckResult> {
    use yaml_rust2::Yaml;
    let Some(Yaml::Hash(top)) = yaml_rust2::YamlLoader::load_from_str(yaml).ok().and_then(|d| d.into_iter().next())
    else {
        return Vec::new();
    };
    let symbol = |y: &Yaml| -> Option<String> {
        let text = match y {
            Yaml::String(s) => s.clone(),
            Yaml::Integer(i) => i.to_string(),
            Yaml::Real(r) => r.clone(),
            Yaml::Boolean(b) => b.to_string(),
            _ => return None,
        };
        Some(text.trim_start_matches(':').to_owned()).filter(|t| !t.is_empty())
    };
    let get = |h: &yaml_rust2::yaml::Hash, name: &str| h.get(&Yaml::String(name.into())).cloned();
    let check_of = |group: &str, check: &str, fields: &yaml_rust2::yaml::Hash| -> Option<HealthCheckResult> {
        let state = get(fields, "state").as_ref().and_then(symbol)?;
        let context = match get(fields, "context") {
            Some(Yaml::Hash(c)) => {
                c.iter().filter_map(|(k, v)| Some((symbol(k)?, symbol(v).unwrap_or_default()))).collect()
            }
            _ => Default::default(),
        };
        Some(HealthCheckResult {
            group: group.to_owned(),
            check: check.to_owned(),
            state,
            code: get(fields, "code").as_ref().and_then(symbol),
            context,
        })
    };
    let mut out = Vec::new();
    if let Some(Yaml::Array(groups)) = get(&top, "results") {
        for group in &groups {
            let Yaml::Hash(group) = group else { continue };
            let (Some(name), Some(Yaml::Array(checks))) =
                (get(group, "key").as_ref().and_then(symbol), get(group, "results"))
            else {
                continue;
            };
            for check in &checks {
                let Yaml::Hash(fields) = check else { continue };
                let Some(key) = get(fields, "key").as_ref().and_then(symbol) else { continue };
                out.extend(check_of(&name, &key, fields));
            }
        }
        return out;
    }
    for (group, checks) in &top {
        let (Some(group), Yaml::Hash(checks)) = (group.as_str(), checks) else { continue };
        if !(group == "authentication" || group.ends_with("_configuration")) {
            continue;
        }
        for (check, fields) in checks {
            let (Some(check), Yaml::Hash(fields)) = (check.as_str(), fields) else { continue };
            out.extend(check_of(group, check, fields));
        }
    }
    out
}

/// What OpenProject's OpenID provider is created with (its admin form).
#[derive(Debug, Clone)]
pub struct NewOpenidProvider {
    pub display_name: String,
    pub discovery_url: String,
    pub client_id: String,
    pub client_secret: SecretString,
    pub scopes: String,
}

/// The OpenID providers OpenProject offers on its sign-in page (public): the slugs of its `/auth/<slug>` links, or
/// the one it sends everybody to (`omniauth_direct_login_provider`). A provider shows there only once it is
/// `available` — saved complete, and in 17.1 saved once more after its discovery was fetched (the contract notes'
/// pitfall) — so this is how the hand-off is verified without an admin session.
pub async fn sign_in_providers(http: &HttpClient, base: &ServerUrl) -> Result<Vec<String>, ClientError> {
    let request = Request::new(Server::OpenProject, Method::GET, base.join("login"))
        .without_redirects()
        .header("accept", HTML_ACCEPT);
    let page = http.send(request).await?;
    let slug = |href: &str| -> Option<String> {
        let path = href.split(['?', '#']).next()?;
        let slug = path.rsplit_once("/auth/")?.1.trim_matches('/');
        (!slug.is_empty() && !slug.contains('/')).then(|| slug.to_owned())
    };
    if page.status.is_redirection() {
        return Ok(location_path(&page).as_deref().and_then(slug).into_iter().collect());
    }
    if !page.status.is_success() {
        return Err(page.unexpected_status());
    }
    let html = String::from_utf8_lossy(&page.body);
    let mut slugs: Vec<String> = crate::html_scan::tags(&html)
        .into_iter()
        .filter(|t| t.name == "a")
        .filter_map(|t| t.attr("href").and_then(slug))
        .collect();
    slugs.dedup();
    Ok(slugs)
}

#[cfg(test)]
mod tests {
    use super::parse_health_report;

    /// The report as `shared/contracts/openproject-ui-session.md` infers it from OpenProject's `to_h` and Psych:
    /// flow mappings, empty values, Ruby symbols as codes — YAML a line reader did not understand.
    #[test]
    fn the_health_report_in_flow_style_is_read_too() {
        let yaml = "storage: My Nextcloud\nstorage_type: nextcloud\n\
            configuration: {host: 'https://nc.example/', oauth_client_id: abc, authentication_method: two_way_oauth2}\n\
            ran_at: '2026-01-05T10:00:00Z'\n\
            base_configuration:\n  storage_configured: {state: success, code: , context: , timestamp: '2026-01-05'}\n  \
            host_url_accessible: {state: failure, code: :nc_host_not_found, context: , timestamp: '2026-01-05'}\n";
        let checks = parse_health_report(yaml);
        let seen: Vec<_> = checks.iter().map(|c| (c.check.as_str(), c.state.as_str(), c.code.as_deref())).collect();
        assert_eq!(
            seen,
            vec![
                ("storage_configured", "success", None),
                ("host_url_accessible", "failure", Some("nc_host_not_found"))
            ]
        );
        assert!(checks.iter().all(|c| c.group == "base_configuration"), "the configuration block is no group");
    }

    #[test]
    fn the_results_list_after_17_1_is_read_with_symbols_and_context() {
        // `HealthReport::ResultGroup#to_h` / `Result#to_h` (opf/openproject app/models/health_report/), as read back
        // from the database: the state a symbol, the code a string.
        let text = "---\nstorage: Nextcloud\nran_at: '2026-12-01T10:00:00Z'\nresults:\n- key: base_configuration\n  results:\n  - key: storage_configured\n    state: :success\n    code:\n    context:\n- key: ampf_configuration\n  results:\n  - key: project_folders_linked\n    state: :warning\n    code: nc_unlinked_project_folders\n    context:\n      actual: 2\n      expected: 5\n  - key: project_folders_exist\n    state: :failure\n    code: nc_project_folder_missing\n    context:\n      project: Demo project\n";
        let checks = parse_health_report(text);
        assert_eq!(checks.len(), 3, "{checks:#?}");
        assert_eq!(
            (checks[0].group.as_str(), checks[0].state.as_str(), checks[0].code.as_deref()),
            ("base_configuration", "success", None)
        );
        assert_eq!(checks[1].code.as_deref(), Some("nc_unlinked_project_folders"));
        assert_eq!(checks[1].context.get("actual").map(String::as_str), Some("2"));
        assert_eq!(checks[1].context.get("expected").map(String::as_str), Some("5"));
        assert_eq!((checks[2].check.as_str(), checks[2].state.as_str()), ("project_folders_exist", "failure"));
        assert_eq!(checks[2].context.get("project").map(String::as_str), Some("Demo project"));
    }

    #[test]
    fn what_is_not_a_report_gives_no_checks() {
        for text in ["", "<html>Sign in</html>", "results:\n  - {check: x}\n", "base_configuration: [1, 2", "\t:\n"] {
            assert!(parse_health_report(text).is_empty(), "{text:?}");
        }
    }
}
