//! The simulated OpenProject's web side: the login form with its CSRF token and session cookie, the 2FA stage,
//! SSO-only modes, API v3 over the session, and the three admin actions that have no API (add a storage to
//! projects, replace OpenProject's OAuth application, the health report) — as strict as
//! `shared/contracts/openproject-ui-session.md` describes them:
//! - masked CSRF tokens (a different string on every render, all valid for the session); a bad token is a 422
//!   and ends the session;
//! - the session id rotates on login; `/logout` ends every session of the user;
//! - Rails' `Accept` negotiation, and turbo-only actions that **write first and answer 406 after** when the
//!   `Accept` header asks for HTML;
//! - API writes over the session only with `X-Requested-With: XMLHttpRequest`, anonymous otherwise;
//! - version differences: the bulk form from 14.5, the `storages` module before 14.1, `projects_storages`
//!   before 13.1, the legacy full-page replace before 13.1, the health report from 16.0.

use std::collections::BTreeMap;

use axum::body::{Body, Bytes};
use axum::extract::{Path, Request, State};
use axum::middleware::Next;
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use http::{HeaderMap, Method, StatusCode, Uri};

use crate::common::{header, now_iso, typed_response, urlsafe_token, version_at_least};
use crate::openproject::{OpProjectStorage, OpUser, OpenProjectSim, OpenProjectState};

pub use crate::openproject_session::{WebLogin, WebSession, SESSION_COOKIE};

pub const TURBO_STREAM: &str = "text/vnd.turbo-stream.html";
/// Failed logins before the account is blocked (`brute_force_block_after_failed_logins`).
pub const BLOCK_AFTER_FAILED_LOGINS: u32 = 20;
use crate::openproject_session::{cookie_value, masked_token, token_valid};

/// The signed-in user of a request's session cookie.
fn session_user(s: &OpenProjectState, headers: &HeaderMap) -> Option<OpUser> {
    let user_id = crate::openproject_session::session_user_id(&s.sessions, headers)?;
    s.users.iter().find(|u| u.id == user_id).cloned()
}

/// API v3's session strategy is valid for any GET, and for other methods only with
/// `X-Requested-With: XMLHttpRequest`; without it the request falls through to the anonymous user.
///
/// Also plays the reverse proxy of `proxy_rewrites_accept` for the web pages.
pub async fn api_session_rule(State(sim): State<OpenProjectSim>, mut request: Request, next: Next) -> Response {
    let api = request.uri().path().starts_with("/api/");
    if !api && sim.lock().proxy_rewrites_accept {
        request.headers_mut().insert(
            http::header::ACCEPT,
            http::HeaderValue::from_static("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"),
        );
    }
    let xhr = header(request.headers(), "x-requested-with").is_some_and(|v| v == "XMLHttpRequest");
    if api && request.method() != Method::GET && !xhr {
        request.headers_mut().remove(http::header::COOKIE);
    }
    next.run(request).await
}

/// The simulated OpenProject as a whole: its web pages and its API, behind the session rule of API v3.
pub fn app(sim: &OpenProjectSim) -> Router {
    Router::new()
        .merge(routes())
        .merge(OpenProjectSim::api_routes())
        .layer(axum::middleware::from_fn_with_state(sim.clone(), api_session_rule))
        .with_state(sim.clone())
}

fn routes() -> Router<OpenProjectSim> {
    Router::new()
        .route("/", get(home))
        .route("/my/page", get(home))
        .route("/login", get(login_page).post(login_submit))
        .route("/login/internal", get(login_internal))
        .route("/login/{stage}/{secret}", get(stage_done))
        .route("/logout", get(logout))
        .route("/auth/{provider}", get(identity_provider))
        .route("/two_factor_authentication/request", get(otp_page))
        .route("/two_factor_authentication/confirm", axum::routing::post(otp_confirm))
        .route("/admin/openid_connect/providers", get(providers_index).post(provider_create))
        .route("/admin/openid_connect/providers/new", get(provider_new))
        .route("/admin/openid_connect/providers/{id}", get(provider_show).post(provider_update))
        .route("/admin/openid_connect/providers/{id}/edit", get(provider_show))
        .route("/admin/settings/storages/{sid}/edit", get(storage_edit))
        .route("/admin/settings/storages/{sid}/project_storages", get(storage_projects).post(bulk_add))
        .route("/admin/settings/storages/{sid}/replace_oauth_application", axum::routing::any(replace_oauth))
        .route("/admin/settings/storages/{sid}/health_status_report", get(health_show).post(health_run))
        .route("/admin/settings/storages/{sid}/health_status_report.txt", get(health_text))
        .route(
            "/admin/settings/storages/{sid}/connection_validation/validate_connection",
            axum::routing::post(validate_connection),
        )
        .route("/projects/{pid}/settings/project_storages", axum::routing::post(project_storage_create))
        .route("/projects/{pid}/settings/projects_storages", axum::routing::post(project_storage_create))
        .route("/projects/{pid}/settings/project_storages/new", get(project_storage_form))
        .route("/projects/{pid}/settings/projects_storages/new", get(project_storage_form))
        .route("/projects/{pid}/settings/modules", get(modules_page).post(modules_update).patch(modules_update))
}

// ---------------------------------------------------------------------------------------------------------
// Negotiation and pages

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Html,
    TurboStream,
    Json,
    Text,
    /// A lone `*/*`: the first format the action declares.
    Any,
}

/// Rails' `request.format`: no Accept or a browser-like list (anything with `, */*`) means HTML; a lone `*/*`
/// means "whatever the action declares first"; otherwise the first listed type.
fn negotiate(headers: &HeaderMap, path: &str) -> Format {
    if path.ends_with(".txt") {
        return Format::Text;
    }
    let Some(accept) = header(headers, "accept") else {
        return Format::Html;
    };
    let accept = accept.trim();
    if accept == "*/*" {
        return Format::Any;
    }
    if accept.contains(",") && accept.contains("*/*") {
        return Format::Html;
    }
    let first = accept.split(',').next().unwrap_or_default().split(';').next().unwrap_or_default().trim();
    match first {
        TURBO_STREAM => Format::TurboStream,
        "application/json" | "application/xml" => Format::Json,
        "text/plain" => Format::Text,
        _ => Format::Html,
    }
}

fn esc(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;").replace('\'', "&#39;")
}

fn html(status: u16, body: String) -> Response {
    typed_response(status, "text/html; charset=utf-8", body)
}

fn turbo(status: u16, streams: &[(&str, &str, String)]) -> Response {
    let body: String = streams
        .iter()
        .map(|(action, target, inner)| {
            format!(
                "<turbo-stream action=\"{action}\" target=\"{target}\"><template>{inner}</template></turbo-stream>\n"
            )
        })
        .collect();
    typed_response(status, &format!("{TURBO_STREAM}; charset=utf-8"), body)
}

fn redirect(status: u16, location: &str, set_cookie: Option<String>) -> Response {
    let mut builder = Response::builder()
        .status(StatusCode::from_u16(status).unwrap_or(StatusCode::FOUND))
        .header(http::header::LOCATION, location)
        .header(http::header::CONTENT_TYPE, "text/html; charset=utf-8");
    if let Some(cookie) = set_cookie {
        builder = builder.header(http::header::SET_COOKIE, cookie);
    }
    builder
        .body(Body::from(format!(
            "<html><body>You are being <a href=\"{}\">redirected</a>.</body></html>",
            esc(location)
        )))
        .unwrap_or_default()
}

fn with_cookie(mut response: Response, set_cookie: Option<String>) -> Response {
    if let Some(cookie) = set_cookie.and_then(|c| http::HeaderValue::from_str(&c).ok()) {
        response.headers_mut().append(http::header::SET_COOKIE, cookie);
    }
    response
}

fn set_cookie_line(id: &str) -> String {
    format!("{SESSION_COOKIE}={id}; path=/; HttpOnly; SameSite=Lax")
}

/// The session of a request, created (with its `Set-Cookie`) when there is none.
fn session_for(s: &mut OpenProjectState, headers: &HeaderMap) -> (String, Option<String>) {
    if let Some(id) = cookie_value(headers, SESSION_COOKIE).filter(|id| s.sessions.contains_key(id)) {
        return (id, None);
    }
    let id = urlsafe_token();
    s.sessions.insert(id.clone(), WebSession::fresh());
    let line = set_cookie_line(&id);
    (id, Some(line))
}

/// A full page with the meta tags of `_common_head.html.erb`.
fn page(s: &OpenProjectState, session_id: &str, title: &str, body: &str) -> String {
    let session = s.sessions.get(session_id);
    let token = session.map(|x| masked_token(&x.csrf_secret)).unwrap_or_default();
    let user = session.and_then(|x| x.user_id).and_then(|id| s.users.iter().find(|u| u.id == id));
    let current_user = match user {
        Some(u) => format!(
            "<meta name=\"current_user\" data-name=\"{}\" data-logged-in=\"true\" data-id=\"{}\">",
            esc(&u.name),
            u.id
        ),
        None => "<meta name=\"current_user\" data-name=\"Anonymous\" data-logged-in=\"false\" data-id=\"\">".into(),
    };
    let flash = session
        .and_then(|x| x.flash.clone())
        .map(|f| format!("<div class=\"op-toast -error\" role=\"alert\">{}</div>", esc(&f)))
        .unwrap_or_default();
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{} | {}</title>\
         <meta name=\"csrf-param\" content=\"authenticity_token\">\
         <meta name=\"csrf-token\" content=\"{token}\">{current_user}<meta name=\"app_base_path\" content=\"\">\
         <meta name=\"openproject_version\" content=\"{}\">\
         <style>body{{font-family:sans-serif;margin:2em;max-width:40em}}label{{display:block;margin-top:1em}}\
         input{{font-size:1.1em}}</style></head>\
         <body><header>OpenProject (simulated)</header>{flash}<main>{body}</main></body></html>",
        esc(title),
        esc(&s.profile.instance_name),
        esc(&s.profile.version)
    )
}

fn take_flash(s: &mut OpenProjectState, session_id: &str) {
    if let Some(x) = s.sessions.get_mut(session_id) {
        x.flash = None;
    }
}

fn form_fields(body: &Bytes) -> Vec<(String, String)> {
    url::form_urlencoded::parse(body).into_owned().collect()
}

fn field<'a>(fields: &'a [(String, String)], name: &str) -> Option<&'a str> {
    fields.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

/// Rails' `verify_authenticity_token`: the token from `X-CSRF-Token` or `authenticity_token`, and the Origin
/// header (when sent) equal to the base URL. On failure the session is reset and the answer is a 422 — HTML, or
/// an empty body when the request asked for turbo streams.
fn verify_csrf(
    s: &mut OpenProjectState,
    headers: &HeaderMap,
    fields: &[(String, String)],
    format: Format,
) -> Result<(), Response> {
    let id = cookie_value(headers, SESSION_COOKIE);
    let secret = id.as_ref().and_then(|id| s.sessions.get(id)).map(|x| x.csrf_secret.clone());
    let token = header(headers, "x-csrf-token").or_else(|| field(fields, "authenticity_token").map(str::to_owned));
    let origin_ok = header(headers, "origin").is_none_or(|o| o == format!("http://{}", s.self_host));
    let ok = match (&secret, &token) {
        (Some(secret), Some(token)) => origin_ok && token_valid(secret, token),
        _ => false,
    };
    if ok {
        return Ok(());
    }
    if let Some(id) = id {
        s.sessions.remove(&id);
    }
    Err(match format {
        Format::TurboStream => typed_response(422, "text/vnd.turbo-stream.html; charset=utf-8", String::new()),
        _ => html(
            422,
            "<html><body><h2>422</h2><p>Unable to verify Cross-Site Request Forgery token. Please try submitting \
             the form again or contact the administrator.</p></body></html>"
                .into(),
        ),
    })
}

/// `require_login` + `require_admin` for the admin pages: logged out is a redirect to the login page, or a
/// 401 `X-Reason: login needed` when turbo streams come first; a non-admin gets 403.
fn require_web_admin(s: &OpenProjectState, headers: &HeaderMap, uri: &Uri) -> Result<OpUser, Response> {
    match session_user(s, headers) {
        Some(u) if u.admin => Ok(u),
        Some(_) => Err(html(
            403,
            "<html><body><h2>403</h2><p>You are not authorized to access this page.</p></body></html>".into(),
        )),
        None => {
            if negotiate(headers, uri.path()) == Format::TurboStream {
                let mut r = typed_response(401, "text/vnd.turbo-stream.html; charset=utf-8", String::new());
                r.headers_mut().insert("x-reason", http::HeaderValue::from_static("login needed"));
                r.headers_mut().insert(
                    http::header::WWW_AUTHENTICATE,
                    http::HeaderValue::from_static("Session realm=\"OpenProject\""),
                );
                Err(r)
            } else {
                let back = url::form_urlencoded::byte_serialize(uri.path().as_bytes()).collect::<String>();
                Err(redirect(302, &format!("/login?back_url={back}"), None))
            }
        }
    }
}

/// What every admin form checks first, in Rails' filter order: the CSRF token (a failure ends the session), then
/// a signed-in admin.
fn admin_write(
    s: &mut OpenProjectState,
    headers: &HeaderMap,
    uri: &Uri,
    fields: &[(String, String)],
    format: Format,
) -> Result<OpUser, Response> {
    verify_csrf(s, headers, fields, format)?;
    require_web_admin(s, headers, uri)
}

/// The project of a project settings page (the caller has checked for an admin); before 14.1 the storage pages
/// also need the project's `storages` module (403 without it).
fn settings_project<'a>(
    s: &'a OpenProjectState,
    pid: &str,
    storage_page: bool,
) -> Result<&'a crate::openproject::OpProject, Response> {
    let project = project_by_ref(s, pid).ok_or_else(not_found)?;
    if storage_page && !storages_module_ok(s, project) {
        return Err(html(403, "<html><body><h2>403</h2></body></html>".into()));
    }
    Ok(project)
}

/// What every storage admin page checks first: the feature exists on this version (a 404 before), the caller is
/// a signed-in admin, the storage exists.
fn admin_storage<'a>(
    s: &'a OpenProjectState,
    headers: &HeaderMap,
    uri: &Uri,
    sid: &str,
    since: (u64, u64, u64),
) -> Result<&'a crate::openproject::OpStorage, Response> {
    if !at_least(s, since) {
        return Err(not_found());
    }
    require_web_admin(s, headers, uri)?;
    sid.parse::<i64>().ok().and_then(|id| s.storages.iter().find(|st| st.id == id)).ok_or_else(not_found)
}

fn not_acceptable() -> Response {
    html(406, "<html><body><h2>406 Not Acceptable: invalid request format</h2></body></html>".into())
}

fn not_found() -> Response {
    html(404, "<html><body><h2>404</h2><p>The page you were trying to access doesn't exist or has been removed.</p></body></html>".into())
}

fn at_least(s: &OpenProjectState, min: (u64, u64, u64)) -> bool {
    version_at_least(&s.profile.version, min)
}

// ---------------------------------------------------------------------------------------------------------
// Login

fn login_form(s: &OpenProjectState, session_id: &str, back_url: Option<&str>, status: u16) -> Response {
    let session = s.sessions.get(session_id);
    let token = session.map(|x| masked_token(&x.csrf_secret)).unwrap_or_default();
    let back =
        back_url.map(|b| format!("<input type=\"hidden\" name=\"back_url\" value=\"{}\">", esc(b))).unwrap_or_default();
    let form = if s.web_login.password_login_disabled {
        String::new()
    } else {
        format!(
            "<form action=\"/login\" accept-charset=\"UTF-8\" method=\"post\" data-turbo=\"false\">\
             <input type=\"hidden\" name=\"authenticity_token\" value=\"{token}\" autocomplete=\"off\">{back}\
             <label for=\"username\">Username</label><input type=\"text\" name=\"username\" id=\"username\" autofocus>\
             <label for=\"password\">Password</label><input type=\"password\" name=\"password\" id=\"password\">\
             <p><button type=\"submit\" name=\"login\">Sign in</button></p></form>"
        )
    };
    let providers = s
        .web_login
        .direct_login_provider
        .iter()
        .map(|p| format!("<a class=\"auth-provider\" href=\"/auth/{p}\">{p}</a>"))
        .chain(s.oidc_providers.iter().filter(|p| p.available).map(|p| {
            format!(
                "<a class=\"auth-provider auth-provider-{slug}\" href=\"/auth/{slug}\">{name}</a>",
                slug = esc(&p.slug),
                name = esc(&p.display_name)
            )
        }))
        .collect::<String>();
    html(status, page(s, session_id, "Sign in", &format!("<h1>Sign in</h1>{form}{providers}")))
}

fn safe_back_url(back: Option<&str>) -> Option<String> {
    back.filter(|b| b.starts_with('/') && !b.starts_with("//")).map(str::to_owned)
}

async fn login_page(State(sim): State<OpenProjectSim>, uri: Uri, headers: HeaderMap) -> Response {
    if negotiate(&headers, uri.path()) == Format::Json {
        return typed_response(410, "text/html; charset=utf-8", String::new());
    }
    let query: BTreeMap<String, String> =
        url::form_urlencoded::parse(uri.query().unwrap_or_default().as_bytes()).into_owned().collect();
    let back = safe_back_url(query.get("back_url").map(String::as_str));
    let mut s = sim.lock();
    if session_user(&s, &headers).is_some() {
        return redirect(302, back.as_deref().unwrap_or("/"), None);
    }
    if let Some(provider) = s.web_login.direct_login_provider.clone() {
        let origin =
            url::form_urlencoded::byte_serialize(back.as_deref().unwrap_or("/").as_bytes()).collect::<String>();
        return redirect(302, &format!("/auth/{provider}?origin={origin}"), None);
    }
    let (id, cookie) = session_for(&mut s, &headers);
    let response = login_form(&s, &id, back.as_deref(), 200);
    take_flash(&mut s, &id);
    with_cookie(response, cookie)
}

async fn login_internal(State(sim): State<OpenProjectSim>, headers: HeaderMap) -> Response {
    let mut s = sim.lock();
    if s.web_login.direct_login_provider.is_none() {
        return not_found();
    }
    let (id, cookie) = session_for(&mut s, &headers);
    with_cookie(login_form(&s, &id, None, 200), cookie)
}

/// `login_user!`: `reset_session` — a new id, so a new cookie and a new CSRF secret.
fn log_in(s: &mut OpenProjectState, old_id: &str, user_id: i64) -> (String, String) {
    s.sessions.remove(old_id);
    let id = urlsafe_token();
    s.sessions.insert(id.clone(), WebSession { user_id: Some(user_id), ..WebSession::fresh() });
    if let Some(u) = s.users.iter_mut().find(|u| u.id == user_id) {
        u.failed_logins = 0;
    }
    let line = set_cookie_line(&id);
    (id, line)
}

async fn login_submit(State(sim): State<OpenProjectSim>, uri: Uri, headers: HeaderMap, body: Bytes) -> Response {
    let format = negotiate(&headers, uri.path());
    if format == Format::Json {
        return typed_response(410, "text/html; charset=utf-8", String::new());
    }
    let fields = form_fields(&body);
    let mut s = sim.lock();
    if let Err(r) = verify_csrf(&mut s, &headers, &fields, format) {
        return r;
    }
    if s.web_login.password_login_disabled {
        return not_found();
    }
    let Some(id) = cookie_value(&headers, SESSION_COOKIE) else {
        return not_found();
    };
    let back = safe_back_url(field(&fields, "back_url"));
    let login = field(&fields, "username").unwrap_or_default().to_owned();
    let password = field(&fields, "password").unwrap_or_default().to_owned();
    let Some(user) = s.users.iter_mut().find(|u| u.login == login) else {
        if let Some(x) = s.sessions.get_mut(&id) {
            x.flash = Some("Invalid user or password".into());
        }
        return login_form(&s, &id, back.as_deref(), 422);
    };
    if user.failed_logins >= BLOCK_AFTER_FAILED_LOGINS || user.password != password {
        user.failed_logins += 1;
        let blocked = user.failed_logins >= BLOCK_AFTER_FAILED_LOGINS;
        if let Some(x) = s.sessions.get_mut(&id) {
            x.flash = Some(if blocked {
                "Invalid user or password or the account is blocked due to multiple failed login attempts. If so, \
                 it will be unblocked automatically in a short time."
                    .into()
            } else {
                "Invalid user or password".into()
            });
        }
        return login_form(&s, &id, back.as_deref(), 422);
    }
    let (user_id, totp) = (user.id, user.totp.is_some());
    if totp {
        let secret = urlsafe_token();
        if let Some(x) = s.sessions.get_mut(&id) {
            x.pending_user = Some(user_id);
            x.stage_secret = Some(secret);
            x.back_url = back;
        }
        return redirect(302, "/two_factor_authentication/request", None);
    }
    let (_, cookie) = log_in(&mut s, &id, user_id);
    redirect(302, back.as_deref().unwrap_or("/"), Some(cookie))
}

async fn otp_page(State(sim): State<OpenProjectSim>, headers: HeaderMap) -> Response {
    let s = sim.lock();
    let Some(id) = cookie_value(&headers, SESSION_COOKIE)
        .filter(|id| s.sessions.get(id).is_some_and(|x| x.pending_user.is_some()))
    else {
        return redirect(302, "/login", None);
    };
    let token = s.sessions.get(&id).map(|x| masked_token(&x.csrf_secret)).unwrap_or_default();
    let body = format!(
        "<h1>Two-factor authentication</h1><form id=\"submit_otp\" action=\"/two_factor_authentication/confirm\" \
         method=\"post\"><input type=\"hidden\" name=\"authenticity_token\" value=\"{token}\">\
         <label for=\"otp\">One-time password</label><input type=\"text\" name=\"otp\" id=\"otp\" maxlength=\"6\" \
         autocomplete=\"one-time-code\" autofocus><p><button type=\"submit\">Submit</button></p></form>"
    );
    html(200, page(&s, &id, "Two-factor authentication", &body))
}

async fn otp_confirm(State(sim): State<OpenProjectSim>, uri: Uri, headers: HeaderMap, body: Bytes) -> Response {
    let fields = form_fields(&body);
    let mut s = sim.lock();
    if let Err(r) = verify_csrf(&mut s, &headers, &fields, negotiate(&headers, uri.path())) {
        return r;
    }
    let Some(id) = cookie_value(&headers, SESSION_COOKIE) else {
        return redirect(302, "/login", None);
    };
    let Some(session) = s.sessions.get(&id).cloned() else {
        return redirect(302, "/login", None);
    };
    let expected =
        session.pending_user.and_then(|uid| s.users.iter().find(|u| u.id == uid)).and_then(|u| u.totp.clone());
    match (expected, session.stage_secret) {
        (Some(code), Some(secret)) if field(&fields, "otp") == Some(code.as_str()) => {
            redirect(302, &format!("/login/two_factor_authentication/{secret}"), None)
        }
        _ => redirect(302, "/login/two_factor_authentication/failure", None),
    }
}

async fn stage_done(
    State(sim): State<OpenProjectSim>,
    headers: HeaderMap,
    Path((_stage, secret)): Path<(String, String)>,
) -> Response {
    let mut s = sim.lock();
    let Some(id) = cookie_value(&headers, SESSION_COOKIE).filter(|id| s.sessions.contains_key(id)) else {
        return redirect(302, "/login", None);
    };
    let session = s.sessions.get(&id).cloned().unwrap_or_default();
    match (session.pending_user, session.stage_secret) {
        (Some(user_id), Some(expected)) if secret == expected => {
            let (_, cookie) = log_in(&mut s, &id, user_id);
            redirect(302, session.back_url.as_deref().unwrap_or("/"), Some(cookie))
        }
        _ => {
            if let Some(x) = s.sessions.get_mut(&id) {
                x.pending_user = None;
                x.stage_secret = None;
                x.flash = Some("Two-factor authentication failed.".into());
            }
            redirect(302, "/login", None)
        }
    }
}

/// `Users::LogoutService` with `drop_old_sessions_on_logout`: every session of the user ends.
async fn logout(State(sim): State<OpenProjectSim>, headers: HeaderMap) -> Response {
    let mut s = sim.lock();
    if let Some(user) = session_user(&s, &headers) {
        s.sessions.retain(|_, x| x.user_id != Some(user.id));
    }
    redirect(302, "/login", None)
}

async fn identity_provider(Path(provider): Path<String>) -> Response {
    html(
        200,
        format!(
            "<html><body><h1>Identity provider “{}” (simulated)</h1><p>This instance signs in only through its \
             identity provider.</p></body></html>",
            esc(&provider)
        ),
    )
}

async fn home(State(sim): State<OpenProjectSim>, headers: HeaderMap) -> Response {
    let mut s = sim.lock();
    let (id, cookie) = session_for(&mut s, &headers);
    let body = match session_user(&s, &headers) {
        Some(u) => format!("<h1>Welcome, {}</h1>", esc(&u.name)),
        None => "<h1>Welcome</h1><p><a href=\"/login\">Sign in</a></p>".into(),
    };
    with_cookie(html(200, page(&s, &id, "Home", &body)), cookie)
}

// ---------------------------------------------------------------------------------------------------------
// Storage admin pages

fn session_id(headers: &HeaderMap) -> String {
    cookie_value(headers, SESSION_COOKIE).unwrap_or_default()
}

async fn storage_edit(
    State(sim): State<OpenProjectSim>,
    uri: Uri,
    headers: HeaderMap,
    Path(sid): Path<String>,
) -> Response {
    let s = sim.lock();
    let storage = match admin_storage(&s, &headers, &uri, &sid, (0, 0, 0)) {
        Ok(st) => st,
        Err(r) => return r,
    };
    let client_id = storage.oauth_app.as_ref().map(|a| a.client_id.clone()).unwrap_or_default();
    let replace = if at_least(&s, (13, 1, 0)) && !s.web_pages_redesigned {
        format!(
            "<section id=\"storage_openproject_oauth_section\"><p>OAuth Client ID: {}</p>\
             <form action=\"/admin/settings/storages/{}/replace_oauth_application\" method=\"post\">\
             <input type=\"hidden\" name=\"_method\" value=\"delete\"><button type=\"submit\" \
             aria-label=\"Replace OpenProject OAuth\" data-turbo-confirm=\"Are you sure? All remote users will \
             have to authorize against OpenProject again.\">Replace OpenProject OAuth</button></form></section>",
            esc(&client_id),
            storage.id
        )
    } else {
        format!("<p>OAuth Client ID: {}</p>", esc(&client_id))
    };
    let body = format!("<h1>{}</h1><p>Host: {}</p>{replace}", esc(&storage.name), esc(&storage.host));
    html(200, page(&s, &session_id(&headers), &storage.name, &body))
}

fn projects_table(s: &OpenProjectState, storage_id: i64) -> String {
    let rows: String = s
        .project_storages
        .iter()
        .filter(|ps| ps.storage_id == storage_id)
        .filter_map(|ps| s.projects.iter().find(|p| p.id == ps.project_id).map(|p| (p, ps)))
        .map(|(p, ps)| format!("<tr data-project-id=\"{}\"><td>{}</td><td>{}</td></tr>", p.id, esc(&p.name), ps.mode))
        .collect();
    format!("<table class=\"projects-table\"><tbody>{rows}</tbody></table>")
}

async fn storage_projects(
    State(sim): State<OpenProjectSim>,
    uri: Uri,
    headers: HeaderMap,
    Path(sid): Path<String>,
) -> Response {
    let s = sim.lock();
    let storage = match admin_storage(&s, &headers, &uri, &sid, (14, 5, 0)) {
        Ok(st) => st,
        Err(r) => return r,
    };
    let body = format!(
        "<h1>{} — Projects</h1><div id=\"projects-table\">{}</div>",
        esc(&storage.name),
        projects_table(&s, storage.id)
    );
    html(200, page(&s, &session_id(&headers), "Projects", &body))
}

fn storage_configured(s: &OpenProjectState, storage_id: i64) -> Option<(bool, bool)> {
    let st = s.storages.iter().find(|st| st.id == storage_id)?;
    Some((st.configured(), st.application_password.is_some()))
}

fn flash_stream(message: &str) -> (&'static str, &'static str, String) {
    ("flash", "op-primer-flash-component", format!("<div class=\"flash flash-error\">{}</div>", esc(message)))
}

/// The admin "Add projects" dialog's form (14.5+): numeric ids, archived projects and projects that already
/// use the storage skipped, `include_sub_projects` adding active descendants, the mode checked against the
/// storage. The links are written before the answer is negotiated: a request that asks for HTML gets a 406
/// after the write.
async fn bulk_add(
    State(sim): State<OpenProjectSim>,
    uri: Uri,
    headers: HeaderMap,
    Path(sid): Path<String>,
    body: Bytes,
) -> Response {
    let format = negotiate(&headers, uri.path());
    let fields = form_fields(&body);
    let mut s = sim.lock();
    if !at_least(&s, (14, 5, 0)) {
        return not_found();
    }
    if let Err(r) = admin_write(&mut s, &headers, &uri, &fields, format) {
        return r;
    }
    let Some(storage_id) = sid.parse::<i64>().ok().filter(|id| s.storages.iter().any(|st| st.id == *id)) else {
        return not_found();
    };
    let ok_format = matches!(format, Format::TurboStream | Format::Any);
    let key = "storages_project_storage";
    if !fields.iter().any(|(k, _)| k.starts_with(key)) {
        return html(500, "<html><body><h2>500</h2><p>An internal error has occurred.</p></body></html>".into());
    }
    let Some((configured, automatic_enabled)) = storage_configured(&s, storage_id) else {
        return not_found();
    };
    if !configured {
        let message = "This storage has an incomplete setup. Please complete the setup before enabling it in projects.";
        return if ok_format { turbo(200, &[flash_stream(message)]) } else { not_acceptable() };
    }
    if fields.iter().any(|(k, _)| k == &format!("{key}[project_ids]")) {
        // A scalar: `Project.find("5")` returns one record, and `each_with_object` on it raises.
        return html(500, "<html><body><h2>500</h2><p>An internal error has occurred.</p></body></html>".into());
    }
    let ids: Vec<&str> = fields
        .iter()
        .filter(|(k, v)| k == &format!("{key}[project_ids][]") && !v.is_empty())
        .map(|(_, v)| v.as_str())
        .collect();
    let modal = "storages-admin-storages-projects-storage-form-modal-component";
    if ids.is_empty() {
        return if ok_format {
            turbo(400, &[("update", modal, "<p class=\"error\">Please select a project.</p>".into())])
        } else {
            not_acceptable()
        };
    }
    let mode = field(&fields, &format!("{key}[project_folder_mode]")).unwrap_or("inactive").to_owned();
    let folder_id = field(&fields, &format!("{key}[project_folder_id]")).unwrap_or_default().to_owned();
    let contract_error = match mode.as_str() {
        "automatic" if !automatic_enabled => Some("Project folder mode is not available for this storage."),
        "manual" if folder_id.is_empty() => Some("Project folder can't be blank."),
        "inactive" | "automatic" | "manual" => None,
        _ => Some("Project folder mode is not included in the list."),
    };
    if let Some(message) = contract_error {
        return if ok_format {
            turbo(422, &[("update", modal, format!("<p class=\"error\">{}</p>", esc(message)))])
        } else {
            not_acceptable()
        };
    }
    // Numeric ids only: identifiers inside the array are "unfriendly" to friendly_id.
    let mut projects = Vec::new();
    for raw in ids {
        match raw.parse::<i64>().ok().and_then(|id| s.projects.iter().find(|p| p.id == id)) {
            Some(p) => projects.push(p.clone()),
            None => {
                let table = projects_table(&s, storage_id);
                return if ok_format {
                    turbo(200, &[flash_stream("Project not found."), ("update", "projects-table", table)])
                } else {
                    not_acceptable()
                };
            }
        }
    }
    if field(&fields, &format!("{key}[include_sub_projects]")) == Some("1") {
        let mut queue: Vec<i64> = projects.iter().map(|p| p.id).collect();
        while let Some(parent) = queue.pop() {
            for child in s.projects.iter().filter(|p| p.parent_id == Some(parent)) {
                if !projects.iter().any(|p| p.id == child.id) {
                    projects.push(child.clone());
                    queue.push(child.id);
                }
            }
        }
    }
    let active: Vec<i64> = projects.iter().filter(|p| p.active).map(|p| p.id).collect();
    if active.is_empty() {
        return html(500, "<html><body><h2>500</h2><p>An internal error has occurred.</p></body></html>".into());
    }
    for project_id in active {
        if s.project_storages.iter().any(|ps| ps.project_id == project_id && ps.storage_id == storage_id) {
            continue;
        }
        let id = s.next();
        let folder_id = (mode == "manual").then(|| folder_id.clone());
        s.project_storages.push(OpProjectStorage { id, project_id, storage_id, mode: mode.clone(), folder_id });
    }
    if !ok_format {
        return not_acceptable();
    }
    turbo(200, &[("update", "projects-table", projects_table(&s, storage_id))])
}

/// Destroys the storage's OAuth application (and with it every token Nextcloud users hold), creates a new one,
/// and shows its secret this once — then negotiates: HTML asked for means 406, after the fact.
async fn replace_oauth(
    State(sim): State<OpenProjectSim>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    Path(sid): Path<String>,
    body: Bytes,
) -> Response {
    let fields = form_fields(&body);
    let effective = if method == Method::POST {
        field(&fields, "_method").map(str::to_uppercase)
    } else {
        Some(method.to_string())
    };
    if effective.as_deref() != Some("DELETE") {
        return not_found();
    }
    let format = negotiate(&headers, uri.path());
    let mut s = sim.lock();
    if let Err(r) = admin_write(&mut s, &headers, &uri, &fields, format) {
        return r;
    }
    let Some(storage_id) = sid.parse::<i64>().ok().filter(|id| s.storages.iter().any(|st| st.id == *id)) else {
        return not_found();
    };
    let legacy = !at_least(&s, (13, 1, 0));
    let Some(app) = s.replace_oauth_app(storage_id, None) else {
        return not_found();
    };
    let name = s.storages.iter().find(|st| st.id == storage_id).map(|st| st.name.clone()).unwrap_or_default();
    if legacy {
        // Up to 13.0: a full page (`show_oauth_application`), not a turbo stream.
        let body = format!(
            "<h1>{}</h1><p>OpenProject OAuth</p><input type=\"text\" id=\"client_id\" name=\"uid\" value=\"{}\" \
             readonly><input type=\"text\" id=\"secret\" name=\"plaintext_secret\" value=\"{}\" readonly>",
            esc(&name),
            esc(&app.client_id),
            esc(&app.client_secret)
        );
        return html(200, page(&s, &session_id(&headers), &name, &body));
    }
    if !matches!(format, Format::TurboStream | Format::Any) {
        return not_acceptable();
    }
    let input = |field: &str, value: &str| {
        format!(
            "<div class=\"InputGroup\"><input class=\"FormControl-input\" readonly=\"readonly\" aria-readonly=\"true\" \
             type=\"text\" value=\"{v}\" name=\"openproject_oauth_application_{field}\" \
             id=\"openproject_oauth_application_{field}\"><clipboard-copy value=\"{v}\" aria-label=\"Copy\">\
             </clipboard-copy></div>",
            v = esc(value)
        )
    };
    let oauth = format!(
        "<div class=\"flash flash-warn\">The client secret value will not be accessible again after you close this \
         window. Please copy these values into the Nextcloud OpenProject Integration settings.</div>{}{}\
         <a href=\"/admin/settings/storages/{storage_id}/show_oauth_application\" data-turbo-stream=\"true\">Done, continue</a>",
        input("uid", &app.client_id),
        input("secret", &app.client_secret)
    );
    turbo(
        200,
        &[
            ("update", "storage_general_info_section", format!("<p>{}</p>", esc(&name))),
            ("update", "storage_openproject_oauth_section", oauth),
        ],
    )
}

/// The health report (16.0+): `POST` runs the checks and caches the YAML, `GET …txt` downloads it.
async fn health_run(
    State(sim): State<OpenProjectSim>,
    uri: Uri,
    headers: HeaderMap,
    Path(sid): Path<String>,
    body: Bytes,
) -> Response {
    let (storage, reachable) = match checks_to_run(&sim, &uri, &headers, &sid, &body, |s| at_least(s, (16, 0, 0))).await
    {
        Ok(found) => found,
        Err(r) => return r,
    };
    let report = {
        let s = sim.lock();
        health_yaml(&s, &storage, reachable)
    };
    sim.lock().health_reports.insert(storage.id, report);
    redirect(303, &format!("/admin/settings/storages/{}/health_status_report", storage.id), None)
}

/// What a run of the storage's checks starts from (the admin's write checked, the storage found, in versions
/// that have the route): the storage, and whether OpenProject reaches its Nextcloud.
async fn checks_to_run(
    sim: &OpenProjectSim,
    uri: &Uri,
    headers: &HeaderMap,
    sid: &str,
    body: &Bytes,
    has_route: impl Fn(&OpenProjectState) -> bool,
) -> Result<(crate::openproject::OpStorage, bool), Response> {
    let fields = form_fields(body);
    let format = negotiate(headers, uri.path());
    let (storage, nextcloud_unreachable) = {
        let mut s = sim.lock();
        if !has_route(&s) {
            return Err(not_found());
        }
        admin_write(&mut s, headers, uri, &fields, format)?;
        let storage = sid.parse::<i64>().ok().and_then(|id| s.storages.iter().find(|st| st.id == id)).cloned();
        (storage.ok_or_else(not_found)?, s.nextcloud_unreachable)
    };
    let reachable = !nextcloud_unreachable && sim.nextcloud_capabilities(&storage.host).await;
    Ok((storage, reachable))
}

/// OpenProject 14.4–15.x: the storage page's connection check (`connection_validation_controller.rb`, the
/// validator's first problem in its order: not configured, host not found, then with automatic management the app
/// password refused, the group folder missing, content it does not manage), as a turbo-stream update of the side
/// panel's `ValidationResultComponent`: the label (none for "not configured") and the description prefixed with the
/// upper-cased code.
async fn validate_connection(
    State(sim): State<OpenProjectSim>,
    uri: Uri,
    headers: HeaderMap,
    Path(sid): Path<String>,
    body: Bytes,
) -> Response {
    let in_versions = |s: &OpenProjectState| at_least(s, (14, 4, 0)) && !at_least(s, (16, 0, 0));
    let (storage, reachable) = match checks_to_run(&sim, &uri, &headers, &sid, &body, in_versions).await {
        Ok(found) => found,
        Err(r) => return r,
    };
    let (kind, code, description) = {
        let s = sim.lock();
        let broken = |key: &str| s.health_breaks.contains_key(key);
        let ampf = storage.application_password.is_some();
        if !storage.configured() {
            (None, "wrn_not_configured", "The connection could not be validated. Please finish configuration first.")
        } else if !reachable {
            (
                Some("danger"),
                "err_host_not_found",
                "No Nextcloud server found at the configured host url. Please check the configuration.",
            )
        } else if ampf && broken("userless_access") {
            (Some("danger"), "err_userless_access_denied", "The configured app password is invalid.")
        } else if ampf && (broken("group_folder_presence") || broken("team_folder_presence")) {
            (Some("danger"), "err_group_folder_not_found", "The group folder could not be found.")
        } else if ampf && (broken("group_folder_contents") || broken("team_folder_contents")) {
            (Some("attention"), "wrn_unexpected_content", "Unexpected content found in the managed group folder.")
        } else {
            (Some("success"), "none", "")
        }
    };
    let label = kind
        .map(|k| {
            let text = match k {
                "success" => "Healthy",
                "attention" => "Warning",
                _ => "Error",
            };
            format!("<span class=\"Label Label--{k}\">{text}</span>")
        })
        .unwrap_or_default();
    let described = if description.is_empty() {
        String::new()
    } else {
        format!("<div><span class=\"color-fg-muted\">{}: {}</span></div>", code.to_uppercase(), esc(description))
    };
    let inner = format!(
        "<div id=\"storages-admin-side-panel-validation-result-component\"><div><span class=\"text-bold\">Connection validation</span></div><div><span>Last checked {}</span>{label}</div>{described}</div>",
        now_iso()
    );
    turbo(200, &[("update", "storages-admin-side-panel-validation-result-component", inner)])
}

/// One check as OpenProject's report holds it: key, state, code, context.
type HealthCheck = (String, String, Option<String>, Vec<(String, String)>);

fn passed(key: &str) -> HealthCheck {
    (key.into(), "success".into(), None, vec![])
}

/// The checks OpenProject 17.x runs for a storage, by group (`connection_validator.rb` and its groups: base
/// configuration; authentication only when that passed; the automatically managed project folders' group
/// (`ampf_configuration_validator.rb`) only with automatic management), with the test's breaks applied.
fn health_groups(
    s: &OpenProjectState,
    storage: &crate::openproject::OpStorage,
    reachable: bool,
) -> Vec<(String, Vec<HealthCheck>)> {
    let configured = storage.configured();
    let host = if !configured {
        ("host_url_accessible".into(), "skipped".into(), None, vec![])
    } else if reachable {
        passed("host_url_accessible")
    } else {
        ("host_url_accessible".into(), "failure".into(), Some("nc_host_not_found".into()), vec![])
    };
    let storage_configured = if configured {
        passed("storage_configured")
    } else {
        ("storage_configured".into(), "failure".into(), Some("nc_storage_not_configured".into()), vec![])
    };
    let mut groups = vec![("base_configuration".to_owned(), vec![storage_configured, host])];
    if configured && reachable {
        // The admin who ran the checks never linked their Nextcloud account: OpenProject can only warn.
        groups.push((
            "authentication".into(),
            vec![("existing_token".into(), "warning".into(), Some("nc_oauth_token_missing".into()), vec![])],
        ));
        if storage.application_password.is_some() {
            let keys: &[&str] = if at_least(s, (17, 0, 0)) {
                &[
                    "team_folder_app",
                    "files_request",
                    "userless_access",
                    "team_folder_presence",
                    "project_folders_linked",
                    "project_folders_exist",
                    "team_folder_contents",
                ]
            } else {
                &["userless_access"]
            };
            groups.push(("ampf_configuration".into(), keys.iter().map(|k| passed(k)).collect()));
        }
    }
    for (_, checks) in groups.iter_mut() {
        for check in checks.iter_mut() {
            if let Some(b) = s.health_breaks.get(&check.0) {
                *check = (check.0.clone(), b.state.clone(), Some(b.code.clone()), b.context.clone());
            }
        }
    }
    groups
}

fn yaml_context(context: &[(String, String)], indent: &str) -> String {
    if context.is_empty() {
        return "\n".into();
    }
    context.iter().map(|(k, v)| format!("\n{indent}  {k}: {v:?}")).collect::<String>() + "\n"
}

/// The text download. Up to 17.1 keyed by group, then by check (`CheckResult#to_h`, the code a Ruby symbol);
/// later releases store the report (`HealthReport::ResultGroup`/`Result`) and write `results:`, a list of groups
/// with their list of checks, the state a symbol and the code a string as read back from the database.
fn health_yaml(s: &OpenProjectState, storage: &crate::openproject::OpStorage, reachable: bool) -> String {
    let mut out = format!("---\nstorage: {}\nstorage_type: nextcloud\n", storage.name);
    if at_least(s, (16, 4, 0)) {
        out.push_str(&format!(
            "configuration:\n  host: {}\n  oauth_client_id: {}\n  oauth_application_client_id: {}\n  authentication_method: two_way_oauth2\n",
            storage.host,
            storage.oauth_client.as_ref().map(|c| c.client_id.as_str()).unwrap_or_default(),
            storage.oauth_app.as_ref().map(|a| a.client_id.as_str()).unwrap_or_default(),
        ));
    }
    out.push_str(&format!("ran_at: '{}'\n", now_iso()));
    let groups = health_groups(s, storage, reachable);
    if at_least(s, (17, 2, 0)) {
        out.push_str("results:\n");
        for (group, checks) in groups {
            out.push_str(&format!("- key: {group}\n  results:\n"));
            for (key, state, code, context) in checks {
                out.push_str(&format!(
                    "  - key: {key}\n    state: :{state}\n    code: {}\n    context:{}",
                    code.unwrap_or_default(),
                    yaml_context(&context, "    ")
                ));
            }
        }
    } else {
        for (group, checks) in groups {
            out.push_str(&format!("{group}:\n"));
            for (key, state, code, context) in checks {
                out.push_str(&format!(
                    "  {key}:\n    state: {state}\n    code: {}\n    context:{}    timestamp: '{}'\n",
                    code.map(|c| format!(":{c}")).unwrap_or_default(),
                    yaml_context(&context, "    "),
                    now_iso()
                ));
            }
        }
    }
    out
}

async fn health_show(
    State(sim): State<OpenProjectSim>,
    uri: Uri,
    headers: HeaderMap,
    Path(sid): Path<String>,
) -> Response {
    let s = sim.lock();
    let id = match admin_storage(&s, &headers, &uri, &sid, (16, 0, 0)) {
        Ok(st) => st.id,
        Err(r) => return r,
    };
    let report = s.health_reports.get(&id).cloned().unwrap_or_default();
    let body = format!(
        "<turbo-frame id=\"health_status_report\"><h1>Health status report</h1><pre>{}</pre></turbo-frame>",
        esc(&report)
    );
    html(200, page(&s, &session_id(&headers), "Health status report", &body))
}

async fn health_text(
    State(sim): State<OpenProjectSim>,
    uri: Uri,
    headers: HeaderMap,
    Path(sid): Path<String>,
) -> Response {
    let s = sim.lock();
    let storage = match admin_storage(&s, &headers, &uri, &sid, (16, 0, 0)) {
        Ok(st) => st,
        Err(r) => return r,
    };
    let body = s
        .health_reports
        .get(&storage.id)
        .cloned()
        .unwrap_or_else(|| format!("---\nstorage: {}\nstorage_type: nextcloud\nran_at:\n", storage.name));
    let mut r = typed_response(200, "text/plain; charset=utf-8", body);
    let file = format!("attachment; filename=\"{}_health_report.txt\"", storage.name.to_lowercase().replace(' ', "_"));
    if let Ok(v) = http::HeaderValue::from_str(&file) {
        r.headers_mut().insert(http::header::CONTENT_DISPOSITION, v);
    }
    r
}

// ---------------------------------------------------------------------------------------------------------
// Per-project settings

fn project_by_ref<'a>(s: &'a OpenProjectState, reference: &str) -> Option<&'a crate::openproject::OpProject> {
    s.projects.iter().find(|p| p.identifier == reference || p.id.to_string() == reference)
}

fn settings_path_ok(s: &OpenProjectState, uri: &Uri) -> bool {
    // `projects_storages` until 13.0, `project_storages` after opf/openproject#13335.
    let renamed = at_least(s, (13, 1, 0));
    uri.path().trim_end_matches("/new").ends_with("/project_storages") == renamed
}

/// Admins hold every permission — of the modules that are on: before 14.1 the storage pages need `storages`.
fn storages_module_ok(s: &OpenProjectState, project: &crate::openproject::OpProject) -> bool {
    at_least(s, (14, 1, 0)) || project.enabled_modules.iter().any(|m| m == "storages")
}

async fn project_storage_form(
    State(sim): State<OpenProjectSim>,
    uri: Uri,
    headers: HeaderMap,
    Path(pid): Path<String>,
) -> Response {
    let s = sim.lock();
    if !settings_path_ok(&s, &uri) {
        return not_found();
    }
    let project = match require_web_admin(&s, &headers, &uri).and_then(|_| settings_project(&s, &pid, true)) {
        Ok(p) => p,
        Err(r) => return r,
    };
    let options: String = s
        .storages
        .iter()
        .filter(|st| !s.project_storages.iter().any(|ps| ps.project_id == project.id && ps.storage_id == st.id))
        .map(|st| format!("<option value=\"{}\">{}</option>", st.id, esc(&st.name)))
        .collect();
    let body = format!(
        "<h1>{} — File storages</h1><form action=\"{}\" method=\"post\"><select name=\"storages_project_storage[storage_id]\">{options}</select></form>",
        esc(&project.name),
        uri.path().trim_end_matches("/new")
    );
    html(200, page(&s, &session_id(&headers), "File storages", &body))
}

/// The per-project form (every version): 302 on success, 200 with the form again on failure.
async fn project_storage_create(
    State(sim): State<OpenProjectSim>,
    uri: Uri,
    headers: HeaderMap,
    Path(pid): Path<String>,
    body: Bytes,
) -> Response {
    let fields = form_fields(&body);
    let format = negotiate(&headers, uri.path());
    let mut s = sim.lock();
    if !settings_path_ok(&s, &uri) {
        return not_found();
    }
    if let Err(r) = admin_write(&mut s, &headers, &uri, &fields, format) {
        return r;
    }
    let project = match settings_project(&s, &pid, true) {
        Ok(p) => p.clone(),
        Err(r) => return r,
    };
    let key = "storages_project_storage";
    let storage_id = field(&fields, &format!("{key}[storage_id]")).and_then(|v| v.parse::<i64>().ok());
    let mode = field(&fields, &format!("{key}[project_folder_mode]")).unwrap_or("inactive").to_owned();
    let folder_id = field(&fields, &format!("{key}[project_folder_id]")).unwrap_or_default();
    let storage = storage_id.and_then(|id| storage_configured(&s, id).map(|c| (id, c)));
    let error = match storage {
        None => Some("Storage can't be blank."),
        Some((_, (false, _))) => Some("Storage is not configured."),
        Some((_, (true, automatic))) if mode == "automatic" && !automatic => {
            Some("Project folder mode is not available for this storage.")
        }
        Some(_) if mode == "manual" && folder_id.is_empty() => Some("Project folder can't be blank."),
        Some((id, _)) if s.project_storages.iter().any(|ps| ps.project_id == project.id && ps.storage_id == id) => {
            Some("Storage has already been taken.")
        }
        Some(_) if !project.active => Some("The project is archived."),
        _ => None,
    };
    if let Some(message) = error {
        let body = format!(
            "<h1>{} — File storages</h1><div class=\"errorExplanation\">{}</div>",
            esc(&project.name),
            esc(message)
        );
        return html(200, page(&s, &session_id(&headers), "File storages", &body));
    }
    let storage_id = storage.map(|(id, _)| id).unwrap_or_default();
    let id = s.next();
    let folder_id = (mode == "manual").then(|| folder_id.to_owned());
    s.project_storages.push(OpProjectStorage { id, project_id: project.id, storage_id, mode, folder_id });
    redirect(302, &format!("/projects/{}/settings/project_storages/external_file_storages", project.identifier), None)
}

async fn modules_page(
    State(sim): State<OpenProjectSim>,
    uri: Uri,
    headers: HeaderMap,
    Path(pid): Path<String>,
) -> Response {
    let s = sim.lock();
    let project = match require_web_admin(&s, &headers, &uri).and_then(|_| settings_project(&s, &pid, false)) {
        Ok(p) => p,
        Err(r) => return r,
    };
    let all = ["work_package_tracking", "wiki", "news", "calendar", "storages", "meetings"];
    let boxes: String = all
        .iter()
        .map(|m| {
            let checked = if project.enabled_modules.iter().any(|e| e == m) { " checked=\"checked\"" } else { "" };
            format!(
                "<label><input type=\"checkbox\" name=\"project[enabled_module_names][]\" value=\"{m}\" \
                 id=\"project_enabled_module_names_{m}\"{checked}> {m}</label>"
            )
        })
        .collect();
    let body = format!("<h1>Modules</h1><form action=\"{}\" method=\"post\"><input type=\"hidden\" name=\"_method\" value=\"patch\">{boxes}</form>", uri.path());
    html(200, page(&s, &session_id(&headers), "Modules", &body))
}

/// Replace semantics: the list sent is the list that is on afterwards.
async fn modules_update(
    State(sim): State<OpenProjectSim>,
    uri: Uri,
    headers: HeaderMap,
    Path(pid): Path<String>,
    body: Bytes,
) -> Response {
    let fields = form_fields(&body);
    let format = negotiate(&headers, uri.path());
    let mut s = sim.lock();
    if let Err(r) = admin_write(&mut s, &headers, &uri, &fields, format) {
        return r;
    }
    let project_id = match settings_project(&s, &pid, false) {
        Ok(p) => p.id,
        Err(r) => return r,
    };
    let modules: Vec<String> =
        fields.iter().filter(|(k, _)| k == "project[enabled_module_names][]").map(|(_, v)| v.clone()).collect();
    if let Some(p) = s.projects.iter_mut().find(|p| p.id == project_id) {
        p.enabled_modules = modules;
    }
    redirect(302, &format!("/projects/{pid}/settings/modules"), None)
}

// ---------------------------------------------------------------------------------------------------------
// OpenID providers (Administration → Authentication → OpenID providers), as `OpenIDConnect::ProvidersController`
// has them (openid_connect/providers_controller.rb): admin only; every page but the index needs the Enterprise
// feature `sso_auth_providers` (a redirect to the index without); `create` takes the display name and provider
// type only, `update` the options (`metadata_url`, `client_id`, `client_secret`, `scope`, …) and fetches the
// discovery document when `fetch_metadata=true`; an HTML success is a 302 (to the next edit step or the provider),
// a failure a 422 with the form. `available` is decided before the same request's discovery fetch, so a provider
// saved complete in one go is offered only after the next save (the contract notes' pitfall).

use serde_json::Value;

const SSO_PROVIDERS_FEATURE: &str = "sso_auth_providers";

fn providers_feature(s: &OpenProjectState) -> bool {
    s.profile.available_features.iter().any(|f| f == SSO_PROVIDERS_FEATURE)
}

fn provider_param<'a>(fields: &'a [(String, String)], name: &str) -> Option<&'a str> {
    field(fields, &format!("openid_connect_provider[{name}]"))
}

/// Rails' `parameterize` for the slug, as far as display names go.
fn parameterize(name: &str) -> String {
    let mut out = String::new();
    for c in name.trim().to_lowercase().chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c);
        } else if !out.ends_with('-') {
            out.push('-');
        }
    }
    out.trim_matches('-').to_owned()
}

async fn providers_index(State(sim): State<OpenProjectSim>, uri: Uri, headers: HeaderMap) -> Response {
    let s = sim.lock();
    if let Err(r) = require_web_admin(&s, &headers, &uri) {
        return r;
    }
    let rows: String = s
        .oidc_providers
        .iter()
        .map(|p| format!("<li><a href=\"/admin/openid_connect/providers/{}\">{}</a></li>", p.id, esc(&p.display_name)))
        .collect();
    html(200, page(&s, &session_id(&headers), "OpenID providers", &format!("<h1>OpenID providers</h1><ul>{rows}</ul>")))
}

fn provider_form(id: Option<i64>, errors: &str) -> String {
    let (action, method) = match id {
        Some(id) => (
            format!("/admin/openid_connect/providers/{id}"),
            "<input type=\"hidden\" name=\"_method\" value=\"patch\">",
        ),
        None => ("/admin/openid_connect/providers".to_owned(), ""),
    };
    format!(
        "{errors}<form id=\"openid-connect-providers-edit-form\" action=\"{action}\" method=\"post\">{method}\
         <label for=\"openid_connect_provider_display_name\">Display name</label>\
         <input type=\"text\" name=\"openid_connect_provider[display_name]\" id=\"openid_connect_provider_display_name\">\
         <input type=\"hidden\" name=\"openid_connect_provider[oidc_provider]\" value=\"custom\">\
         <button type=\"submit\">Continue</button></form>"
    )
}

async fn provider_new(State(sim): State<OpenProjectSim>, uri: Uri, headers: HeaderMap) -> Response {
    let s = sim.lock();
    if let Err(r) = require_web_admin(&s, &headers, &uri) {
        return r;
    }
    if !providers_feature(&s) {
        return redirect(302, "/admin/openid_connect/providers", None);
    }
    html(200, page(&s, &session_id(&headers), "New OpenID provider", &provider_form(None, "")))
}

async fn provider_show(
    State(sim): State<OpenProjectSim>,
    uri: Uri,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let s = sim.lock();
    if let Err(r) = require_web_admin(&s, &headers, &uri) {
        return r;
    }
    if !providers_feature(&s) {
        return redirect(302, "/admin/openid_connect/providers", None);
    }
    let Some(p) = s.oidc_providers.iter().find(|p| p.id.to_string() == id) else { return not_found() };
    let body = format!("<h1>{}</h1>{}", esc(&p.display_name), provider_form(Some(p.id), ""));
    html(200, page(&s, &session_id(&headers), &p.display_name, &body))
}

fn provider_failure(s: &OpenProjectState, headers: &HeaderMap, id: Option<i64>, message: &str) -> Response {
    let errors = format!("<div class=\"op-toast -error\" role=\"alert\">{}</div>", esc(message));
    html(422, page(s, &session_id(headers), "OpenID provider", &provider_form(id, &errors)))
}

fn after_save(id: i64, fields: &[(String, String)]) -> Response {
    let edit_mode = field(fields, "edit_mode") == Some("true");
    match field(fields, "next_edit_state").filter(|_| edit_mode) {
        Some(next) => redirect(
            302,
            &format!("/admin/openid_connect/providers/{id}/edit?edit_mode=true&edit_state={next}#openid-connect-providers-edit-form"),
            None,
        ),
        None => redirect(302, &format!("/admin/openid_connect/providers/{id}"), None),
    }
}

async fn provider_create(State(sim): State<OpenProjectSim>, uri: Uri, headers: HeaderMap, body: Bytes) -> Response {
    let fields = form_fields(&body);
    let format = negotiate(&headers, uri.path());
    let mut s = sim.lock();
    if let Err(r) = admin_write(&mut s, &headers, &uri, &fields, format) {
        return r;
    }
    if !providers_feature(&s) {
        return redirect(302, "/admin/openid_connect/providers", None);
    }
    let name = provider_param(&fields, "display_name").unwrap_or_default().trim().to_owned();
    if name.is_empty() {
        return provider_failure(&s, &headers, None, "Display name can't be blank.");
    }
    let slug = format!("oidc-{}", parameterize(&name));
    if s.oidc_providers.iter().any(|p| p.slug == slug) {
        return provider_failure(&s, &headers, None, "Display name has already been taken.");
    }
    let id = s.next();
    s.oidc_providers.push(crate::openproject::OpOidcProvider {
        id,
        slug,
        display_name: name,
        scope: "openid email profile".into(),
        grant_types_supported: vec!["authorization_code".into(), "implicit".into()],
        ..Default::default()
    });
    after_save(id, &fields)
}

async fn provider_update(
    State(sim): State<OpenProjectSim>,
    uri: Uri,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let fields = form_fields(&body);
    let format = negotiate(&headers, uri.path());
    let method = field(&fields, "_method").map(str::to_lowercase);
    {
        let mut s = sim.lock();
        if let Err(r) = admin_write(&mut s, &headers, &uri, &fields, format) {
            return r;
        }
        if !providers_feature(&s) {
            return redirect(302, "/admin/openid_connect/providers", None);
        }
        if !s.oidc_providers.iter().any(|p| p.id.to_string() == id) {
            return not_found();
        }
        if method.as_deref() == Some("delete") {
            s.oidc_providers.retain(|p| p.id.to_string() != id);
            return redirect(302, "/admin/openid_connect/providers", None);
        }
        if method.as_deref() != Some("patch") {
            return not_found();
        }
    }
    // The discovery document is fetched by OpenProject itself, without following redirects.
    let metadata_url = provider_param(&fields, "metadata_url").map(str::to_owned);
    let fetched = if field(&fields, "fetch_metadata") == Some("true") {
        let url = metadata_url.clone().unwrap_or_default();
        let answer = sim.outbound().get(&url).send().await;
        match answer {
            Ok(r) if r.status().is_success() => match r.json::<Value>().await {
                Ok(doc) if doc.get("issuer").and_then(Value::as_str).is_some() => Some(doc),
                _ => None,
            },
            _ => None,
        }
        .map(Some)
        .ok_or(())
    } else {
        Ok(None)
    };
    let mut s = sim.lock();
    let numeric = id.parse::<i64>().unwrap_or_default();
    let document = match fetched {
        Ok(doc) => doc,
        Err(()) => {
            return provider_failure(
                &s,
                &headers,
                Some(numeric),
                "The provider's metadata could not be fetched from the metadata URL.",
            )
        }
    };
    let Some(p) = s.oidc_providers.iter_mut().find(|p| p.id == numeric) else { return not_found() };
    for (name, target) in [
        ("display_name", &mut p.display_name),
        ("client_id", &mut p.client_id),
        ("client_secret", &mut p.client_secret),
        ("scope", &mut p.scope),
        ("metadata_url", &mut p.metadata_url),
    ] {
        if let Some(value) = provider_param(&fields, name) {
            *target = value.trim().to_owned();
        }
    }
    // Decided before the fetched metadata is applied (the pitfall above).
    p.available = p.configured();
    if let Some(doc) = document {
        p.issuer = doc.get("issuer").and_then(Value::as_str).unwrap_or_default().to_owned();
        p.grant_types_supported = doc
            .get("grant_types_supported")
            .and_then(Value::as_array)
            .map(|l| l.iter().filter_map(|g| g.as_str().map(str::to_owned)).collect())
            .unwrap_or_default();
    }
    after_save(numeric, &fields)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masked_tokens_differ_and_all_validate() {
        let secret = WebSession::fresh().csrf_secret;
        let a = masked_token(&secret);
        let b = masked_token(&secret);
        assert_ne!(a, b);
        assert!(token_valid(&secret, &a) && token_valid(&secret, &b));
        assert!(!token_valid(&WebSession::fresh().csrf_secret, &a));
        assert!(!token_valid(&secret, "not base64!"));
    }

    #[test]
    fn accept_negotiation_follows_rails() {
        let h = |v: Option<&str>| {
            let mut m = HeaderMap::new();
            if let Some(v) = v {
                m.insert("accept", v.parse().unwrap());
            }
            negotiate(&m, "/x")
        };
        assert_eq!(h(None), Format::Html);
        assert_eq!(h(Some("text/vnd.turbo-stream.html, text/html, application/xhtml+xml")), Format::TurboStream);
        assert_eq!(h(Some("*/*")), Format::Any);
        assert_eq!(h(Some("text/vnd.turbo-stream.html, */*")), Format::Html);
        assert_eq!(h(Some("text/html,application/xhtml+xml,*/*;q=0.8")), Format::Html);
        assert_eq!(h(Some("application/json")), Format::Json);
    }
}
