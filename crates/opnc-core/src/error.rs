//! One error type for both servers, with stable codes the UI and the CLI can act on.
//!
//! Client errors keep apart what went wrong: the request could not be sent (DNS, refused, TLS, timeout,
//! dropped), the server answered a documented API error, the body could not be parsed (a redacted excerpt
//! is kept), or the status was one the endpoint does not document.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::catalogue::Said;
use crate::server_url::UrlProblem;

/// Which server an error or finding is about.
#[derive(ts_rs::TS, Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Server {
    OpenProject,
    Nextcloud,
    /// The OpenID Connect identity provider both trust in SSO mode (Nextcloud Hub's, or an external one).
    IdentityProvider,
}

impl fmt::Display for Server {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Server::OpenProject => "OpenProject",
            Server::Nextcloud => "Nextcloud",
            Server::IdentityProvider => "the identity provider",
        })
    }
}

/// Stable machine-readable codes, shared with the front end. Never renamed; new ones are added.
#[derive(ts_rs::TS, Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    InvalidUrl,
    InsecureUrl,
    DnsFailed,
    ConnectionRefused,
    TlsCertificate,
    TlsFailed,
    CouldNotConnect,
    Timeout,
    ConnectionDropped,
    RedirectedToOtherHost,
    CredentialsRejected,
    TwoFactorRequiresAppPassword,
    NotAdmin,
    PasswordConfirmationRequired,
    OpenprojectApiError,
    NextcloudApiError,
    UnexpectedStatus,
    UnparseableBody,
    ResponseTooLarge,
    /// A server answered successfully but left out a value the setup needs (e.g. a secret).
    IncompleteAnswer,
    /// Everything was written, but the pair does not work as proven from both sides.
    ProofFailed,
    /// The job's process ended in the middle (a crash, a kill, a closed app).
    Interrupted,
    /// The job folder could not be written.
    JournalFailed,
    /// OpenProject asks for a second factor: sign in in the app's window (or use an API token).
    TwoFactorRequiresBrowserSignIn,
    /// The OpenProject instance signs in only through its identity provider (SSO).
    SingleSignOnOnly,
    /// OpenProject wants another step before the sign-in completes (consent, a new password, a 2FA device).
    SignInStepNeedsBrowser,
    /// The OpenProject browser session ended (expired, signed out, or ended by a failed CSRF check).
    SessionEnded,
    /// An OpenProject page did not have the shape this version should have: nothing was guessed.
    PageNotRecognized,
    /// OpenProject made the change but did not show its result (the new OAuth secret): the change must be redone.
    ResultNotShown,
    /// The servers changed between the plan the admin confirmed and the apply: nothing was written.
    PlanChanged,
    /// A face asked for something that needs both servers signed in, and they are not.
    NotSignedIn,
    /// No credential for a server: none was given and the system keyring has none.
    MissingCredential,
    /// The admin cancelled (a dialog, a watch, a sign-in, a running setup): nothing more was changed.
    Cancelled,
    /// OpenProject has no storage for this Nextcloud: there is no connection to act on.
    NoStorage,
    /// The preflight found a problem that must be fixed first: nothing was changed.
    PreflightBlocked,
    /// The system keyring could not be read or written.
    KeyringUnavailable,
    /// The action happens in OpenProject's web interface: it needs its browser sign-in (or a hand-off).
    WebSessionRequired,
    /// A sign-in window was closed before the sign-in finished.
    WindowClosed,
    /// Only the demo's simulated servers can do this.
    DemoOnly,
    /// A watch for a change made by hand ended before the change showed.
    WatchTimedOut,
    /// The assistant could not set up its own HTTPS client (a broken installation).
    ClientSetupFailed,
    /// The demo's simulated servers could not start.
    DemoUnavailable,
    /// What the admin gave the command is wrong (a flag, a value, a profile).
    InvalidInput,
    /// Something on this computer failed (a file, the terminal, a port), not a server.
    LocalFailure,
    /// A change cannot be undone over HTTP: the admin undoes it on the server, with the command the hint names.
    ManualCleanupRequired,
}

impl ErrorCode {
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::InvalidUrl => "invalid_url",
            ErrorCode::InsecureUrl => "insecure_url",
            ErrorCode::DnsFailed => "dns_failed",
            ErrorCode::ConnectionRefused => "connection_refused",
            ErrorCode::TlsCertificate => "tls_certificate",
            ErrorCode::TlsFailed => "tls_failed",
            ErrorCode::CouldNotConnect => "could_not_connect",
            ErrorCode::Timeout => "timeout",
            ErrorCode::ConnectionDropped => "connection_dropped",
            ErrorCode::RedirectedToOtherHost => "redirected_to_other_host",
            ErrorCode::CredentialsRejected => "credentials_rejected",
            ErrorCode::TwoFactorRequiresAppPassword => "two_factor_requires_app_password",
            ErrorCode::NotAdmin => "not_admin",
            ErrorCode::PasswordConfirmationRequired => "password_confirmation_required",
            ErrorCode::OpenprojectApiError => "openproject_api_error",
            ErrorCode::NextcloudApiError => "nextcloud_api_error",
            ErrorCode::UnexpectedStatus => "unexpected_status",
            ErrorCode::UnparseableBody => "unparseable_body",
            ErrorCode::ResponseTooLarge => "response_too_large",
            ErrorCode::IncompleteAnswer => "incomplete_answer",
            ErrorCode::ProofFailed => "proof_failed",
            ErrorCode::Interrupted => "interrupted",
            ErrorCode::JournalFailed => "journal_failed",
            ErrorCode::TwoFactorRequiresBrowserSignIn => "two_factor_requires_browser_sign_in",
            ErrorCode::SingleSignOnOnly => "single_sign_on_only",
            ErrorCode::SignInStepNeedsBrowser => "sign_in_step_needs_browser",
            ErrorCode::SessionEnded => "session_ended",
            ErrorCode::PageNotRecognized => "page_not_recognized",
            ErrorCode::ResultNotShown => "result_not_shown",
            ErrorCode::PlanChanged => "plan_changed",
            ErrorCode::NotSignedIn => "not_signed_in",
            ErrorCode::MissingCredential => "missing_credential",
            ErrorCode::Cancelled => "cancelled",
            ErrorCode::NoStorage => "no_storage",
            ErrorCode::PreflightBlocked => "preflight_blocked",
            ErrorCode::KeyringUnavailable => "keyring_unavailable",
            ErrorCode::WebSessionRequired => "web_session_required",
            ErrorCode::WindowClosed => "window_closed",
            ErrorCode::DemoOnly => "demo_only",
            ErrorCode::WatchTimedOut => "watch_timed_out",
            ErrorCode::ClientSetupFailed => "client_setup_failed",
            ErrorCode::DemoUnavailable => "demo_unavailable",
            ErrorCode::InvalidInput => "invalid_input",
            ErrorCode::LocalFailure => "local_failure",
            ErrorCode::ManualCleanupRequired => "manual_cleanup_required",
        }
    }
}

/// What the UI shows: `{code, message, hint}`.
#[derive(ts_rs::TS, Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorView {
    pub code: ErrorCode,
    /// In English (logs, scripts); faces say `said` in their language.
    pub message: String,
    pub hint: String,
    /// Boxed: views travel in every `Result` of the faces, which stay small.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional, as = "Option<Said>")]
    pub said: Option<Box<Said>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional, as = "Option<Said>")]
    pub hint_said: Option<Box<Said>>,
}

impl ErrorView {
    /// A view of the assistant's own (not a server's) error, said in each face's language.
    pub fn new(code: ErrorCode, message: Said, hint: Said) -> Self {
        Self {
            code,
            message: message.english(),
            hint: hint.english(),
            said: Some(Box::new(message)),
            hint_said: Some(Box::new(hint)),
        }
    }

    /// The message in `language` (an earlier version's English one as it is).
    pub fn message_in(&self, language: crate::catalogue::Language) -> String {
        self.said.as_ref().map_or_else(|| self.message.clone(), |s| s.in_language(language))
    }

    pub fn hint_in(&self, language: crate::catalogue::Language) -> String {
        self.hint_said.as_ref().map_or_else(|| self.hint.clone(), |s| s.in_language(language))
    }

    /// A hint of the assistant's own in place of the one the view had.
    pub fn set_hint(&mut self, hint: Said) {
        self.hint = hint.english();
        self.hint_said = Some(Box::new(hint));
    }
}

/// The certificate problem, named so the admin knows which fix applies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TlsProblem {
    /// Self-signed, or signed by a private CA this computer does not trust.
    UnknownIssuer,
    Expired,
    NotYetValid,
    WrongName,
    Revoked,
    Other(String),
}

impl fmt::Display for TlsProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TlsProblem::UnknownIssuer => f.write_str(
                "the certificate is self-signed or from a certificate authority this computer does not trust",
            ),
            TlsProblem::Expired => f.write_str("the certificate has expired"),
            TlsProblem::NotYetValid => f.write_str("the certificate is not valid yet (check the clocks)"),
            TlsProblem::WrongName => f.write_str("the certificate is for another host name"),
            TlsProblem::Revoked => f.write_str("the certificate was revoked"),
            TlsProblem::Other(d) => write!(f, "TLS failed: {d}"),
        }
    }
}

/// Why a connection could not be made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConnectCause {
    Dns,
    Refused,
    Tls(TlsProblem),
    Other,
}

/// A documented OpenProject API v3 error (`_type: Error`). Match on `identifier` and `attribute`, never on
/// `message`: OpenProject localises it to the admin's language.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenProjectApiError {
    pub status: u16,
    /// The last segment of `errorIdentifier`, e.g. `PropertyConstraintViolation`.
    pub identifier: String,
    pub attribute: Option<String>,
    pub message: String,
    /// The embedded errors of a `MultipleErrors`.
    pub errors: Vec<OpenProjectApiError>,
}

impl OpenProjectApiError {
    /// Every leaf error: the embedded ones of a `MultipleErrors`, or the error itself.
    pub fn leaves(&self) -> Vec<&OpenProjectApiError> {
        if self.errors.is_empty() {
            vec![self]
        } else {
            self.errors.iter().flat_map(|e| e.leaves()).collect()
        }
    }

    /// A constraint violation on this attribute (e.g. `host`, `name`, `password`).
    pub fn violates(&self, attribute: &str) -> bool {
        self.leaves()
            .iter()
            .any(|e| e.identifier == "PropertyConstraintViolation" && e.attribute.as_deref() == Some(attribute))
    }
}

/// What went wrong on OpenProject's web pages (the actions without an API, and the password sign-in).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WebProblem {
    /// The login form answered 422: wrong user or password, or the account is blocked after failed attempts.
    PasswordRejected,
    TwoFactorRequired,
    SingleSignOnOnly,
    /// Another sign-in step (the path it redirected to: consent, password change, device registration).
    ExtraStep {
        step: String,
    },
    /// 401 `login needed`, a redirect to the login page, or a 422 CSRF failure (which also ends the session).
    SessionEnded,
    /// The page or answer did not look like this version's: `expected` names what was missing.
    PageNotRecognized {
        expected: String,
    },
    /// A turbo-only action wrote, then could not show its answer (406), or the answer could not be read.
    ResultNotShown {
        what: String,
    },
    /// The page answered with its own message (a flash or a form error), e.g. "Project not found."
    PageMessage {
        status: u16,
        message: String,
    },
}

/// A documented Nextcloud error: `{error}` from integration_openproject, `{message}` from the security
/// middleware, or an OCS envelope's `meta`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NextcloudApiError {
    pub status: u16,
    pub error: Option<String>,
    pub message: Option<String>,
    pub ocs_status: Option<i64>,
}

impl NextcloudApiError {
    pub fn text(&self) -> &str {
        self.error.as_deref().or(self.message.as_deref()).unwrap_or("")
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ErrorKind {
    InvalidUrl(UrlProblem),
    CouldNotConnect { cause: ConnectCause, detail: String },
    Timeout,
    ConnectionDropped,
    RedirectedToOtherHost { location: String },
    CredentialsRejected { two_factor: bool },
    NotAdmin { user: Option<String> },
    PasswordConfirmationRequired,
    OpenProjectApi(OpenProjectApiError),
    NextcloudApi(NextcloudApiError),
    UnexpectedStatus { status: u16, excerpt: String },
    UnparseableBody { status: u16, content_type: Option<String>, reason: String, excerpt: String },
    ResponseTooLarge { limit: u64 },
    OpenProjectWeb(WebProblem),
}

/// What went wrong, where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErrorDetails {
    pub server: Server,
    /// `METHOD /path`, without query string (queries may carry tokens).
    pub endpoint: String,
    pub kind: ErrorKind,
}

/// An error from talking to one of the two servers. Boxed so that `Result`s stay small on the happy path;
/// the details are reached through `Deref` (`error.kind`, `error.server`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientError(Box<ErrorDetails>);

impl std::ops::Deref for ClientError {
    type Target = ErrorDetails;

    fn deref(&self) -> &ErrorDetails {
        &self.0
    }
}

impl ClientError {
    pub fn new(server: Server, endpoint: impl Into<String>, kind: ErrorKind) -> Self {
        Self(Box::new(ErrorDetails { server, endpoint: endpoint.into(), kind }))
    }

    pub fn code(&self) -> ErrorCode {
        match &self.kind {
            ErrorKind::InvalidUrl(UrlProblem::InsecureHttp { .. }) => ErrorCode::InsecureUrl,
            ErrorKind::InvalidUrl(_) => ErrorCode::InvalidUrl,
            ErrorKind::CouldNotConnect { cause, .. } => match cause {
                ConnectCause::Dns => ErrorCode::DnsFailed,
                ConnectCause::Refused => ErrorCode::ConnectionRefused,
                ConnectCause::Tls(TlsProblem::Other(_)) => ErrorCode::TlsFailed,
                ConnectCause::Tls(_) => ErrorCode::TlsCertificate,
                ConnectCause::Other => ErrorCode::CouldNotConnect,
            },
            ErrorKind::Timeout => ErrorCode::Timeout,
            ErrorKind::ConnectionDropped => ErrorCode::ConnectionDropped,
            ErrorKind::RedirectedToOtherHost { .. } => ErrorCode::RedirectedToOtherHost,
            ErrorKind::CredentialsRejected { two_factor: true } => ErrorCode::TwoFactorRequiresAppPassword,
            ErrorKind::CredentialsRejected { two_factor: false } => ErrorCode::CredentialsRejected,
            ErrorKind::NotAdmin { .. } => ErrorCode::NotAdmin,
            ErrorKind::PasswordConfirmationRequired => ErrorCode::PasswordConfirmationRequired,
            ErrorKind::OpenProjectApi(_) => ErrorCode::OpenprojectApiError,
            ErrorKind::NextcloudApi(_) => ErrorCode::NextcloudApiError,
            ErrorKind::UnexpectedStatus { .. } => ErrorCode::UnexpectedStatus,
            ErrorKind::UnparseableBody { .. } => ErrorCode::UnparseableBody,
            ErrorKind::ResponseTooLarge { .. } => ErrorCode::ResponseTooLarge,
            ErrorKind::OpenProjectWeb(p) => match p {
                WebProblem::PasswordRejected => ErrorCode::CredentialsRejected,
                WebProblem::TwoFactorRequired => ErrorCode::TwoFactorRequiresBrowserSignIn,
                WebProblem::SingleSignOnOnly => ErrorCode::SingleSignOnOnly,
                WebProblem::ExtraStep { .. } => ErrorCode::SignInStepNeedsBrowser,
                WebProblem::SessionEnded => ErrorCode::SessionEnded,
                WebProblem::PageNotRecognized { .. } => ErrorCode::PageNotRecognized,
                WebProblem::ResultNotShown { .. } => ErrorCode::ResultNotShown,
                WebProblem::PageMessage { .. } => ErrorCode::OpenprojectApiError,
            },
        }
    }

    /// The message, in English.
    pub fn message(&self) -> String {
        self.said().0.english()
    }

    /// What to do about it, in English.
    pub fn hint(&self) -> String {
        self.said().1.english()
    }

    /// The message and the hint by their catalogue keys (`error-…`, `hint-…`), for each face's language.
    pub fn said(&self) -> (Said, Said) {
        let s = self.server;
        let at = self.endpoint.as_str();
        let e = |key: &str| Said::new(key).server("server", s).arg("at", at);
        let url_problem = |p: &UrlProblem| match p {
            UrlProblem::Empty => Said::new("url-empty"),
            UrlProblem::MissingScheme { suggestion } => Said::new("url-missing_scheme").arg("suggestion", suggestion),
            UrlProblem::UnsupportedScheme { scheme } => Said::new("url-unsupported_scheme").arg("scheme", scheme),
            UrlProblem::Malformed { reason } => Said::new("url-malformed").arg("reason", reason),
            UrlProblem::CredentialsInUrl => Said::new("url-credentials_in_url"),
            UrlProblem::QueryOrFragment { part } => Said::new("url-query_or_fragment").arg("part", part),
            UrlProblem::InsecureHttp { host } => Said::new("url-insecure_http").arg("host", host),
        };
        let tls = |p: &TlsProblem| match p {
            TlsProblem::UnknownIssuer => Said::new("tls-unknown_issuer"),
            TlsProblem::Expired => Said::new("tls-expired"),
            TlsProblem::NotYetValid => Said::new("tls-not_yet_valid"),
            TlsProblem::WrongName => Said::new("tls-wrong_name"),
            TlsProblem::Revoked => Said::new("tls-revoked"),
            TlsProblem::Other(d) => Said::new("tls-other").arg("detail", d),
        };
        let message = match &self.kind {
            ErrorKind::InvalidUrl(p) => e("error-invalid_url").arg_said("problem", url_problem(p)),
            ErrorKind::CouldNotConnect { cause, detail } => match cause {
                ConnectCause::Dns => e("error-dns").arg("detail", detail),
                ConnectCause::Refused => e("error-refused"),
                ConnectCause::Tls(p) => e("error-tls").arg_said("problem", tls(p)),
                ConnectCause::Other => e("error-could_not_connect").arg("detail", detail),
            },
            ErrorKind::Timeout => e("error-timeout"),
            ErrorKind::ConnectionDropped => e("error-connection_dropped"),
            ErrorKind::RedirectedToOtherHost { location } => e("error-redirected").arg("location", location),
            ErrorKind::CredentialsRejected { two_factor: true } => e("error-two_factor"),
            ErrorKind::CredentialsRejected { two_factor: false } => e("error-credentials_rejected"),
            ErrorKind::NotAdmin { user: Some(u) } => e("error-not_admin_named").arg("user", u),
            ErrorKind::NotAdmin { user: None } => e("error-not_admin"),
            ErrorKind::PasswordConfirmationRequired => e("error-password_confirmation"),
            ErrorKind::OpenProjectApi(api) => {
                let leaves: Vec<String> = api.leaves().iter().map(|l| l.message.clone()).collect();
                let text = match &api.attribute {
                    Some(a) => format!("{} (field {a})", leaves.join(" ")),
                    None => leaves.join(" "),
                };
                // OpenProject's own words, in the language of its admin's account: shown as they are.
                e("error-openproject_api").arg("text", text).arg("identifier", &api.identifier)
            }
            ErrorKind::NextcloudApi(api) => {
                e("error-nextcloud_api").arg("status", api.status).arg("text", non_empty(api.text()))
            }
            ErrorKind::UnexpectedStatus { status, .. } => e("error-unexpected_status").arg("status", status),
            ErrorKind::UnparseableBody { status, reason, .. } => {
                e("error-unparseable_body").arg("status", status).arg("reason", reason)
            }
            ErrorKind::ResponseTooLarge { limit } => e("error-too_large").arg("limit", human_bytes(*limit)),
            ErrorKind::OpenProjectWeb(p) => match p {
                WebProblem::PasswordRejected => e("error-web_password_rejected"),
                WebProblem::TwoFactorRequired => e("error-web_two_factor"),
                WebProblem::SingleSignOnOnly => e("error-web_single_sign_on"),
                WebProblem::ExtraStep { step } => e("error-web_extra_step").arg("step", step),
                WebProblem::SessionEnded => e("error-web_session_ended"),
                WebProblem::PageNotRecognized { expected } => {
                    e("error-web_page_not_recognized").arg("expected", expected)
                }
                WebProblem::ResultNotShown { what } => e("error-web_result_not_shown").arg("what", what),
                WebProblem::PageMessage { status, message } => {
                    e("error-web_page_message").arg("status", status).arg("text", non_empty(message))
                }
            },
        };
        let h = |key: &str| Said::new(key).server("server", s);
        let hint = match &self.kind {
            ErrorKind::InvalidUrl(UrlProblem::MissingScheme { suggestion }) => {
                h("hint-missing_scheme").arg("suggestion", suggestion)
            }
            ErrorKind::InvalidUrl(UrlProblem::InsecureHttp { .. }) => h("hint-insecure_http"),
            ErrorKind::InvalidUrl(_) if s == Server::IdentityProvider => h("hint-invalid_discovery_url"),
            ErrorKind::InvalidUrl(_) => h("hint-invalid_url").arg("example", s.to_string().to_lowercase()),
            ErrorKind::CouldNotConnect { cause, .. } => match cause {
                ConnectCause::Dns => h("hint-dns"),
                ConnectCause::Refused => h("hint-refused"),
                ConnectCause::Tls(TlsProblem::UnknownIssuer) if s == Server::IdentityProvider => {
                    h("hint-tls_unknown_issuer_idp")
                }
                ConnectCause::Tls(TlsProblem::UnknownIssuer) => h("hint-tls_unknown_issuer"),
                ConnectCause::Tls(TlsProblem::Expired) => h("hint-tls_expired"),
                ConnectCause::Tls(TlsProblem::NotYetValid) => h("hint-tls_not_yet_valid"),
                ConnectCause::Tls(TlsProblem::WrongName) => h("hint-tls_wrong_name"),
                ConnectCause::Tls(_) => h("hint-tls_other"),
                ConnectCause::Other => h("hint-could_not_connect"),
            },
            ErrorKind::Timeout => h("hint-timeout"),
            ErrorKind::ConnectionDropped => h("hint-connection_dropped"),
            ErrorKind::RedirectedToOtherHost { location } => h("hint-redirected").arg("location", location),
            ErrorKind::CredentialsRejected { two_factor: true } => h("hint-two_factor"),
            ErrorKind::CredentialsRejected { two_factor: false } => match s {
                Server::OpenProject => h("hint-credentials_rejected_openproject"),
                Server::Nextcloud => h("hint-credentials_rejected_nextcloud"),
                Server::IdentityProvider => h("hint-credentials_rejected_idp"),
            },
            ErrorKind::NotAdmin { .. } => h("hint-not_admin"),
            ErrorKind::PasswordConfirmationRequired => h("hint-password_confirmation"),
            ErrorKind::OpenProjectApi(api)
                if api.leaves().iter().any(|l| l.message.contains(crate::compat::SSRF_ALLOWLIST_VARIABLE)) =>
            {
                h("hint-ssrf_filtered").arg("variable", crate::compat::SSRF_ALLOWLIST_VARIABLE)
            }
            ErrorKind::OpenProjectApi(_) | ErrorKind::NextcloudApi(_) => h("hint-api_error"),
            ErrorKind::UnexpectedStatus { .. } => h("hint-unexpected_status"),
            ErrorKind::UnparseableBody { .. } => h("hint-unparseable_body"),
            ErrorKind::ResponseTooLarge { .. } => h("hint-too_large"),
            ErrorKind::OpenProjectWeb(p) => match p {
                WebProblem::PasswordRejected => h("hint-web_password_rejected"),
                WebProblem::TwoFactorRequired => h("hint-web_two_factor"),
                WebProblem::SingleSignOnOnly => h("hint-web_single_sign_on"),
                WebProblem::ExtraStep { .. } => h("hint-web_extra_step"),
                WebProblem::SessionEnded => h("hint-web_session_ended"),
                WebProblem::PageNotRecognized { .. } => h("hint-web_page_not_recognized"),
                WebProblem::ResultNotShown { .. } => h("hint-web_result_not_shown"),
                WebProblem::PageMessage { .. } => h("hint-web_page_message"),
            },
        };
        (message, hint)
    }

    pub fn view(&self) -> ErrorView {
        let (message, hint) = self.said();
        ErrorView::new(self.code(), message, hint)
    }

    /// The documented OpenProject error, if that is what this is.
    pub fn openproject_api(&self) -> Option<&OpenProjectApiError> {
        match &self.kind {
            ErrorKind::OpenProjectApi(e) => Some(e),
            _ => None,
        }
    }

    pub fn nextcloud_api(&self) -> Option<&NextcloudApiError> {
        match &self.kind {
            ErrorKind::NextcloudApi(e) => Some(e),
            _ => None,
        }
    }

    /// The HTTP status, when the server answered at all.
    pub fn status(&self) -> Option<u16> {
        match &self.kind {
            ErrorKind::OpenProjectApi(e) => Some(e.status),
            ErrorKind::NextcloudApi(e) => Some(e.status),
            ErrorKind::UnexpectedStatus { status, .. } | ErrorKind::UnparseableBody { status, .. } => Some(*status),
            _ => None,
        }
    }
}

impl fmt::Display for ClientError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message())
    }
}

impl std::error::Error for ClientError {}

fn non_empty(text: &str) -> &str {
    if text.trim().is_empty() {
        "(no message)"
    } else {
        text
    }
}

fn human_bytes(bytes: u64) -> String {
    if bytes >= 1024 * 1024 {
        format!("{} MiB", bytes / (1024 * 1024))
    } else {
        format!("{} KiB", bytes / 1024)
    }
}
