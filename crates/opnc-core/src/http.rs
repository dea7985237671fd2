//! The one HTTP client both server clients use: rustls, timeouts, a body-size limit, a user agent, JSON by
//! default, and credentials that never follow a redirect to another origin.

use std::error::Error as StdError;
use std::time::Duration;

use base64::Engine;
use bytes::Bytes;
use http::{HeaderMap, HeaderValue, Method, StatusCode};
use serde::de::DeserializeOwned;
use url::Url;

use crate::error::{ClientError, ConnectCause, ErrorKind, Server, TlsProblem};
use crate::secret::SecretString;

/// Limits and identity of every request the assistant sends.
#[derive(Debug, Clone)]
pub struct HttpConfig {
    pub connect_timeout: Duration,
    /// How long one read may wait for the next bytes.
    pub read_timeout: Duration,
    /// Bound on one whole request, so a server that trickles bytes cannot hold a step forever.
    pub total_timeout: Duration,
    pub max_body_bytes: u64,
    pub user_agent: String,
    /// At most this many requests in flight to one server (scheme, host and port): a small PHP server has 4–5
    /// workers, and a burst far beyond them only queues there while each request waits longer. Six keeps a
    /// setup's preflight (six Nextcloud reads at most in its first round) in one wave.
    pub max_in_flight_per_server: usize,
}

impl Default for HttpConfig {
    fn default() -> Self {
        Self {
            connect_timeout: Duration::from_secs(10),
            read_timeout: Duration::from_secs(30),
            total_timeout: Duration::from_secs(60),
            // The largest answers are project lists (1000 per page): a few hundred KiB.
            max_body_bytes: 8 * 1024 * 1024,
            user_agent: format!("opnc-setup-assistant/{}", env!("CARGO_PKG_VERSION")),
            max_in_flight_per_server: 6,
        }
    }
}

/// How a request authenticates.
#[derive(Debug, Clone, Default)]
pub enum Auth {
    #[default]
    None,
    Basic {
        user: String,
        password: SecretString,
    },
    Bearer(SecretString),
    /// A complete `Authorization` value built elsewhere (the OAuth library's client authentication).
    Header(SecretString),
    /// A browser session: the `Cookie` header value (`name=value; …`), sent instead of `Authorization`.
    Cookie(SecretString),
}

impl Auth {
    fn header(&self) -> Option<(http::HeaderName, HeaderValue)> {
        let name = match self {
            Auth::Cookie(_) => http::header::COOKIE,
            _ => http::header::AUTHORIZATION,
        };
        let text = match self {
            Auth::None => return None,
            Auth::Cookie(cookies) => cookies.expose().clone(),
            Auth::Basic { user, password } => {
                let raw = format!("{user}:{}", password.expose());
                format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(raw))
            }
            Auth::Bearer(token) => format!("Bearer {}", token.expose()),
            Auth::Header(value) => value.expose().clone(),
        };
        let mut value = HeaderValue::from_str(&text).ok()?;
        value.set_sensitive(true);
        Some((name, value))
    }
}

/// A request body. Its `Debug` shows the shape, never the values (they carry secrets and CSRF tokens).
#[derive(Clone)]
pub enum Body {
    Json(serde_json::Value),
    Form(Vec<(String, String)>),
    Raw { content_type: String, bytes: Vec<u8> },
}

impl std::fmt::Debug for Body {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Body::Json(serde_json::Value::Object(map)) => {
                write!(f, "Json {{ keys: {:?} }}", map.keys().collect::<Vec<_>>())
            }
            Body::Json(_) => f.write_str("Json(..)"),
            Body::Form(fields) => {
                write!(f, "Form {{ fields: {:?} }}", fields.iter().map(|(k, _)| k.as_str()).collect::<Vec<_>>())
            }
            Body::Raw { content_type, bytes } => {
                write!(f, "Raw {{ content_type: {content_type:?}, bytes: {} }}", bytes.len())
            }
        }
    }
}

/// One request to one server. Its `Debug` names the method, the path, the kind of credentials and the header
/// names; values, the query (it may carry tokens) and the body's contents stay out.
#[derive(Clone)]
pub struct Request {
    pub server: Server,
    pub method: Method,
    pub url: Url,
    pub auth: Auth,
    pub headers: Vec<(&'static str, String)>,
    pub body: Option<Body>,
    /// Same-origin redirects are followed unless this is off (a probe that reads the redirect itself).
    pub follow_redirects: bool,
}

impl std::fmt::Debug for Request {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let auth = match &self.auth {
            Auth::None => "none",
            Auth::Basic { .. } => "basic",
            Auth::Bearer(_) => "bearer",
            Auth::Header(_) => "authorization header",
            Auth::Cookie(_) => "cookie",
        };
        f.debug_struct("Request")
            .field("server", &self.server)
            .field("method", &self.method)
            .field("origin", &self.url.origin().ascii_serialization())
            .field("path", &self.url.path())
            .field("auth", &auth)
            .field("headers", &self.headers.iter().map(|(name, _)| *name).collect::<Vec<_>>())
            .field("body", &self.body)
            .field("follow_redirects", &self.follow_redirects)
            .finish()
    }
}

impl Request {
    pub fn new(server: Server, method: Method, url: Url) -> Self {
        Self { server, method, url, auth: Auth::None, headers: Vec::new(), body: None, follow_redirects: true }
    }

    pub fn without_redirects(mut self) -> Self {
        self.follow_redirects = false;
        self
    }

    pub fn auth(mut self, auth: Auth) -> Self {
        self.auth = auth;
        self
    }

    pub fn header(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.headers.push((name, value.into()));
        self
    }

    pub fn json(mut self, body: serde_json::Value) -> Self {
        self.body = Some(Body::Json(body));
        self
    }

    pub fn form(mut self, fields: Vec<(String, String)>) -> Self {
        self.body = Some(Body::Form(fields));
        self
    }

    /// `METHOD /path` without the query string, which may carry tokens.
    pub fn endpoint(&self) -> String {
        format!("{} {}", self.method, self.url.path())
    }
}

/// A response read completely (up to the size limit). Its `Debug` shows the status, the header names and the body's
/// length: answers carry secrets shown once, app passwords and session cookies.
#[derive(Clone)]
pub struct RawResponse {
    pub server: Server,
    pub endpoint: String,
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl std::fmt::Debug for RawResponse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RawResponse")
            .field("server", &self.server)
            .field("endpoint", &self.endpoint)
            .field("status", &self.status)
            .field("headers", &self.headers.keys().map(|k| k.as_str()).collect::<Vec<_>>())
            .field("body_bytes", &self.body.len())
            .finish()
    }
}

impl RawResponse {
    pub fn content_type(&self) -> Option<String> {
        self.headers.get(http::header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).map(str::to_owned)
    }

    fn error(&self, kind: ErrorKind) -> ClientError {
        ClientError::new(self.server, self.endpoint.clone(), kind)
    }

    /// Parses the body as JSON of type `T`; HTML, invalid JSON and wrong shapes become `UnparseableBody`.
    pub fn json<T: DeserializeOwned>(&self) -> Result<T, ClientError> {
        let value = self.json_value()?;
        serde_json::from_value(value).map_err(|e| self.unparseable(format!("unexpected JSON shape: {e}")))
    }

    /// The body as JSON without a fixed shape.
    pub fn json_value(&self) -> Result<serde_json::Value, ClientError> {
        if looks_like_html(&self.body, self.content_type().as_deref()) {
            return Err(self.unparseable(
                "an HTML page instead of JSON (a login page, a proxy error page or the wrong address?)".into(),
            ));
        }
        if self.body.is_empty() {
            return Err(self.unparseable("an empty body".into()));
        }
        serde_json::from_slice(&self.body).map_err(|e| self.unparseable(format!("invalid JSON ({e})")))
    }

    pub fn unparseable(&self, reason: String) -> ClientError {
        self.error(ErrorKind::UnparseableBody {
            status: self.status.as_u16(),
            content_type: self.content_type(),
            reason,
            excerpt: redacted_excerpt(&self.body),
        })
    }

    pub fn unexpected_status(&self) -> ClientError {
        self.error(ErrorKind::UnexpectedStatus { status: self.status.as_u16(), excerpt: redacted_excerpt(&self.body) })
    }
}

/// The HTTP client. Cheap to clone (clones share the connections and the per-server bound).
#[derive(Debug, Clone)]
pub struct HttpClient {
    inner: reqwest::Client,
    no_redirects: reqwest::Client,
    config: HttpConfig,
    in_flight:
        std::sync::Arc<std::sync::Mutex<std::collections::HashMap<String, std::sync::Arc<tokio::sync::Semaphore>>>>,
}

impl HttpClient {
    pub fn new(config: HttpConfig) -> Result<Self, String> {
        let builder = |policy| {
            reqwest::Client::builder()
                .user_agent(config.user_agent.clone())
                .connect_timeout(config.connect_timeout)
                .read_timeout(config.read_timeout)
                .timeout(config.total_timeout)
                .redirect(policy)
                .build()
                .map_err(|e| format!("the HTTP client could not be created: {e}"))
        };
        let inner = builder(reqwest::redirect::Policy::custom(same_origin_redirects_only))?;
        let no_redirects = builder(reqwest::redirect::Policy::none())?;
        Ok(Self { inner, no_redirects, config, in_flight: Default::default() })
    }

    /// The bound on requests in flight to the server of `url`.
    fn server_slots(&self, url: &url::Url) -> std::sync::Arc<tokio::sync::Semaphore> {
        let origin = url.origin().ascii_serialization();
        let mut servers = self.in_flight.lock().unwrap_or_else(|p| p.into_inner());
        servers
            .entry(origin)
            .or_insert_with(|| {
                std::sync::Arc::new(tokio::sync::Semaphore::new(self.config.max_in_flight_per_server.max(1)))
            })
            .clone()
    }

    pub fn config(&self) -> &HttpConfig {
        &self.config
    }

    /// Sends the request and reads the whole answer. Transport failures, cross-origin redirects and
    /// oversized bodies become typed errors; every HTTP status is returned as a response.
    pub async fn send(&self, request: Request) -> Result<RawResponse, ClientError> {
        let endpoint = request.endpoint();
        let server = request.server;
        let fail = |kind| ClientError::new(server, endpoint.clone(), kind);
        // Held until the whole answer is read.
        let _slot = self.server_slots(&request.url).acquire_owned().await.ok();
        let client = if request.follow_redirects { &self.inner } else { &self.no_redirects };
        let mut builder = client.request(request.method.clone(), request.url.clone());
        if !request.headers.iter().any(|(name, _)| name.eq_ignore_ascii_case("accept")) {
            builder = builder.header(http::header::ACCEPT, "application/json");
        }
        for (name, value) in &request.headers {
            builder = builder.header(*name, value);
        }
        if let Some((name, value)) = request.auth.header() {
            builder = builder.header(name, value);
        }
        builder = match &request.body {
            Some(Body::Json(v)) => builder.json(v),
            Some(Body::Form(fields)) => builder.form(fields),
            Some(Body::Raw { content_type, bytes }) => {
                builder.header(http::header::CONTENT_TYPE, content_type).body(bytes.clone())
            }
            None => builder,
        };
        tracing::debug!(server = %server, endpoint = %endpoint, "request");
        let mut response = builder.send().await.map_err(|e| fail(classify_transport(&e)))?;
        let status = response.status();
        if status.is_redirection() && request.follow_redirects {
            let location = response
                .headers()
                .get(http::header::LOCATION)
                .and_then(|l| l.to_str().ok())
                .map(|l| response.url().join(l).map(|u| u.to_string()).unwrap_or_else(|_| l.to_owned()))
                .unwrap_or_default();
            if !same_origin(response.url(), &location) {
                return Err(fail(ErrorKind::RedirectedToOtherHost { location: strip_query(&location) }));
            }
        }
        let limit = self.config.max_body_bytes;
        if response.content_length().is_some_and(|len| len > limit) {
            return Err(fail(ErrorKind::ResponseTooLarge { limit }));
        }
        let headers = response.headers().clone();
        let mut body = Vec::new();
        loop {
            match response.chunk().await {
                Ok(Some(chunk)) => {
                    if body.len() as u64 + chunk.len() as u64 > limit {
                        return Err(fail(ErrorKind::ResponseTooLarge { limit }));
                    }
                    body.extend_from_slice(&chunk);
                }
                Ok(None) => break,
                Err(e) => return Err(fail(classify_transport(&e))),
            }
        }
        tracing::debug!(server = %server, endpoint = %endpoint, status = status.as_u16(), bytes = body.len(), "response");
        Ok(RawResponse { server, endpoint, status, headers, body: Bytes::from(body) })
    }
}

/// Follows a redirect only within the same origin (scheme, host and port), at most five times. Anything
/// else stops, and `send` reports where the server wanted to go: credentials never travel to another host
/// and never downgrade from https to http.
fn same_origin_redirects_only(attempt: reqwest::redirect::Attempt<'_>) -> reqwest::redirect::Action {
    let first = attempt.previous().first().cloned();
    let next = attempt.url().clone();
    match first {
        Some(first) if attempt.previous().len() <= 5 && first.origin() == next.origin() => attempt.follow(),
        _ => attempt.stop(),
    }
}

fn same_origin(current: &Url, location: &str) -> bool {
    current.join(location).map(|l| l.origin() == current.origin()).unwrap_or(false)
}

fn strip_query(location: &str) -> String {
    match Url::parse(location) {
        Ok(mut u) => {
            u.set_query(None);
            u.set_fragment(None);
            u.to_string()
        }
        Err(_) => location.split(['?', '#']).next().unwrap_or_default().to_owned(),
    }
}

/// Maps a transport error to what the admin can act on, naming the certificate problem for TLS.
fn classify_transport(error: &reqwest::Error) -> ErrorKind {
    if error.is_timeout() {
        return ErrorKind::Timeout;
    }
    let mut source: Option<&(dyn StdError + 'static)> = Some(error);
    let mut texts = Vec::new();
    while let Some(e) = source {
        if let Some(tls) = e.downcast_ref::<rustls::Error>() {
            return tls_kind(tls);
        }
        if let Some(io) = e.downcast_ref::<std::io::Error>() {
            if let Some(tls) = io.get_ref().and_then(|inner| inner.downcast_ref::<rustls::Error>()) {
                return tls_kind(tls);
            }
            match io.kind() {
                std::io::ErrorKind::ConnectionRefused => {
                    return ErrorKind::CouldNotConnect { cause: ConnectCause::Refused, detail: io.to_string() }
                }
                std::io::ErrorKind::TimedOut => return ErrorKind::Timeout,
                std::io::ErrorKind::ConnectionReset
                | std::io::ErrorKind::ConnectionAborted
                | std::io::ErrorKind::UnexpectedEof
                | std::io::ErrorKind::BrokenPipe => return ErrorKind::ConnectionDropped,
                _ => {}
            }
        }
        texts.push(e.to_string());
        source = e.source();
    }
    let all = texts.join(": ").to_lowercase();
    if all.contains("dns error")
        || all.contains("failed to lookup address")
        || all.contains("name or service not known")
    {
        let detail = texts.last().cloned().unwrap_or_default();
        return ErrorKind::CouldNotConnect { cause: ConnectCause::Dns, detail };
    }
    if all.contains("connection refused") {
        return ErrorKind::CouldNotConnect {
            cause: ConnectCause::Refused,
            detail: texts.last().cloned().unwrap_or_default(),
        };
    }
    if all.contains("certificate") || all.contains("tls") || all.contains("handshake") {
        // The rustls error may arrive only as text (wrapped by the connector); its variant names are stable.
        let problem = if all.contains("unknownissuer")
            || all.contains("self-signed")
            || all.contains("selfsigned")
            || all.contains("badsignature")
        {
            TlsProblem::UnknownIssuer
        } else if all.contains("expired") {
            TlsProblem::Expired
        } else if all.contains("notvalidyet") {
            TlsProblem::NotYetValid
        } else if all.contains("notvalidforname") {
            TlsProblem::WrongName
        } else if all.contains("revoked") {
            TlsProblem::Revoked
        } else {
            TlsProblem::Other(texts.last().cloned().unwrap_or_default())
        };
        return ErrorKind::CouldNotConnect { detail: problem.to_string(), cause: ConnectCause::Tls(problem) };
    }
    if all.contains("connection closed")
        || all.contains("incomplete message")
        || all.contains("connection reset")
        || all.contains("end of file")
        || error.is_body()
        || error.is_decode()
    {
        return ErrorKind::ConnectionDropped;
    }
    ErrorKind::CouldNotConnect { cause: ConnectCause::Other, detail: texts.last().cloned().unwrap_or_default() }
}

fn tls_kind(error: &rustls::Error) -> ErrorKind {
    let problem = tls_problem(error);
    ErrorKind::CouldNotConnect { detail: problem.to_string(), cause: ConnectCause::Tls(problem) }
}

/// The certificate problem a TLS error names.
pub(crate) fn tls_problem(error: &rustls::Error) -> TlsProblem {
    use rustls::CertificateError as C;
    match error {
        rustls::Error::InvalidCertificate(cert) => match cert {
            C::UnknownIssuer | C::BadSignature | C::UnhandledCriticalExtension => TlsProblem::UnknownIssuer,
            C::Expired | C::ExpiredContext { .. } => TlsProblem::Expired,
            C::NotValidYet | C::NotValidYetContext { .. } => TlsProblem::NotYetValid,
            C::NotValidForName | C::NotValidForNameContext { .. } => TlsProblem::WrongName,
            C::Revoked => TlsProblem::Revoked,
            C::Other(o) if o.to_string().to_lowercase().contains("self-signed") => TlsProblem::UnknownIssuer,
            other => TlsProblem::Other(format!("{other:?}")),
        },
        other => TlsProblem::Other(other.to_string()),
    }
}

fn looks_like_html(body: &[u8], content_type: Option<&str>) -> bool {
    if content_type.is_some_and(|ct| ct.to_ascii_lowercase().contains("html")) {
        return true;
    }
    let start: Vec<u8> = body.iter().copied().skip_while(|b| b.is_ascii_whitespace()).take(15).collect();
    let start = String::from_utf8_lossy(&start).to_ascii_lowercase();
    start.starts_with("<!doctype")
        || start.starts_with("<html")
        || start.starts_with("<?xml")
        || start.starts_with("<head")
}

const SECRET_KEY_MARKERS: [&str; 6] = ["secret", "password", "token", "apppassword", "authorization", "cookie"];

/// A short, redacted piece of a body for error reports: JSON values under secret-looking keys are
/// replaced, long token-like runs in text are masked, and at most 300 characters are kept.
pub fn redacted_excerpt(body: &[u8]) -> String {
    if let Ok(mut value) = serde_json::from_slice::<serde_json::Value>(body) {
        redact_json(&mut value);
        return truncate(&value.to_string(), 300);
    }
    let text = String::from_utf8_lossy(&body[..body.len().min(4096)]).into_owned();
    truncate(&mask_token_runs(&text), 300)
}

fn redact_json(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::Object(map) => {
            for (key, v) in map.iter_mut() {
                let lower = key.to_ascii_lowercase();
                if SECRET_KEY_MARKERS.iter().any(|m| lower.contains(m)) && !v.is_null() && !v.is_boolean() {
                    *v = serde_json::Value::String("<redacted>".into());
                } else {
                    redact_json(v);
                }
            }
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(redact_json),
        _ => {}
    }
}

/// Masks runs of 24 or more token characters: generated secrets, app passwords and API tokens look so.
fn mask_token_runs(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut run = String::new();
    let flush = |run: &mut String, out: &mut String| {
        if run.chars().count() >= 24 {
            out.push_str("<redacted>");
        } else {
            out.push_str(run);
        }
        run.clear();
    };
    for c in text.chars() {
        if c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '+' | '/' | '=') {
            run.push(c);
        } else {
            flush(&mut run, &mut out);
            out.push(c);
        }
    }
    flush(&mut run, &mut out);
    out
}

fn truncate(text: &str, max_chars: usize) -> String {
    if text.chars().count() <= max_chars {
        text.to_owned()
    } else {
        let cut: String = text.chars().take(max_chars).collect();
        format!("{cut}…")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn excerpts_hide_secrets_in_json_and_text() {
        let json = br#"{"nextcloud_client_secret":"luKpy8bEjsamdj1KaeTCWAnThvvurCbrneZka2D4vRLpueoXU79SXhjcNkgX8BBa","status":true}"#;
        let e = redacted_excerpt(json);
        assert!(!e.contains("luKpy8"), "{e}");
        assert!(e.contains("status"));
        let text = b"<html>token=abcdefghijklmnopqrstuvwxyz0123456789 please log in</html>";
        let e = redacted_excerpt(text);
        assert!(!e.contains("abcdefghijklmnop"), "{e}");
        assert!(e.contains("please log in"));
    }

    #[test]
    fn excerpts_are_bounded() {
        let long = "x ".repeat(10_000);
        assert!(redacted_excerpt(long.as_bytes()).chars().count() <= 301);
    }

    #[test]
    fn auth_headers_are_marked_sensitive() {
        let auth = Auth::Basic { user: "apikey".into(), password: "tok".into() };
        let (name, value) = auth.header().expect("header");
        assert_eq!(name, http::header::AUTHORIZATION);
        assert!(value.is_sensitive());
        assert!(!format!("{auth:?}").contains("tok\""));
        let session = Auth::Cookie("_open_project_session=abc".into());
        let (name, value) = session.header().expect("cookie");
        assert_eq!(name, http::header::COOKIE);
        assert!(value.is_sensitive());
        assert!(!format!("{session:?}").contains("abc"));
    }
}
