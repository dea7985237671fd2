//! One error type for both servers, with stable codes the UI and the CLI can act on.
//!
//! Client errors keep apart what went wrong: the request could not be sent (DNS, refused, TLS, timeout,
//! dropped), the server answered a documented API error, the body could not be parsed (a redacted excerpt
//! is kept), or the status was one the endpoint does not document.

use std::fmt;

use serde::{Deserialize, Serialize};

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
    pub message: String,
    pub hint: String,
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

    pub fn message(&self) -> String {
        let s = self.server;
        let at = &self.endpoint;
        match &self.kind {
            ErrorKind::InvalidUrl(p) => {
                let text = p.to_string();
                let end = if text.ends_with(['?', '.']) { "" } else { "." };
                // "The OpenProject address", "The identity provider's address".
                let whose = match s {
                    Server::IdentityProvider => "The identity provider's".to_owned(),
                    _ => format!("The {s}"),
                };
                format!("{whose} address cannot be used: {text}{end}")
            }
            ErrorKind::CouldNotConnect { cause, detail } => match cause {
                ConnectCause::Dns => format!("The {s} host name could not be found ({detail})."),
                ConnectCause::Refused => format!("{s} refused the connection: nothing is listening at that address and port."),
                ConnectCause::Tls(p) => format!("The secure connection to {s} failed: {p}."),
                ConnectCause::Other => format!("Could not connect to {s}: {detail}."),
            },
            ErrorKind::Timeout => format!("{s} did not answer in time ({at})."),
            ErrorKind::ConnectionDropped => format!("{s} closed the connection without an answer ({at})."),
            ErrorKind::RedirectedToOtherHost { location } => {
                format!("{s} redirected the request to another address ({location}); credentials were not sent there.")
            }
            ErrorKind::CredentialsRejected { two_factor: true } => format!(
                "{s} refused the password for this account because it uses two-factor authentication or requires app passwords."
            ),
            ErrorKind::CredentialsRejected { two_factor: false } => format!("{s} rejected the credentials ({at})."),
            ErrorKind::NotAdmin { user } => match user {
                Some(u) => format!("The {s} account {u:?} is not an administrator."),
                None => format!("The {s} account is not an administrator."),
            },
            ErrorKind::PasswordConfirmationRequired => format!(
                "{s} requires the account's real password to confirm this action ({at}); an app password is not enough."
            ),
            ErrorKind::OpenProjectApi(e) => {
                let attr = e.attribute.as_deref().map(|a| format!(" (field {a})")).unwrap_or_default();
                let leaves: Vec<String> = e.leaves().iter().map(|l| l.message.clone()).collect();
                format!("OpenProject refused {at}: {}{attr} [{}].", leaves.join(" "), e.identifier)
            }
            ErrorKind::NextcloudApi(e) => format!("Nextcloud refused {at} (HTTP {}): {}", e.status, non_empty(e.text())),
            ErrorKind::UnexpectedStatus { status, .. } => format!("{s} answered {at} with an unexpected HTTP {status}."),
            ErrorKind::UnparseableBody { status, reason, .. } => {
                format!("{s} answered {at} (HTTP {status}) with something that is not the expected JSON: {reason}.")
            }
            ErrorKind::ResponseTooLarge { limit } => {
                format!("{s} sent more than {} for {at}; the answer was not read.", human_bytes(*limit))
            }
            ErrorKind::OpenProjectWeb(p) => match p {
                WebProblem::PasswordRejected => "OpenProject did not accept the user name and password (or the account is blocked after too many failed attempts).".into(),
                WebProblem::TwoFactorRequired => "This OpenProject account uses two-factor authentication, which a sign-in without a browser cannot complete.".into(),
                WebProblem::SingleSignOnOnly => "This OpenProject signs in only through its identity provider (single sign-on); a user name and password cannot be used.".into(),
                WebProblem::ExtraStep { step } => format!("OpenProject asks for another step before the sign-in completes ({step})."),
                WebProblem::SessionEnded => format!("The OpenProject browser session has ended ({at})."),
                WebProblem::PageNotRecognized { expected } => format!("OpenProject's page for {at} did not look as expected for this version ({expected}); nothing was guessed."),
                WebProblem::ResultNotShown { what } => format!("OpenProject made the change at {at} but did not show its result: {what}."),
                WebProblem::PageMessage { status, message } => format!("OpenProject refused {at} (HTTP {status}): {}", non_empty(message)),
            },
        }
    }

    pub fn hint(&self) -> String {
        let s = self.server;
        match &self.kind {
            ErrorKind::InvalidUrl(UrlProblem::MissingScheme { suggestion }) => format!("Use {suggestion}."),
            ErrorKind::InvalidUrl(UrlProblem::InsecureHttp { .. }) => {
                "Use the https:// address. Plain http is only for local test servers, and must be allowed explicitly.".into()
            }
            ErrorKind::InvalidUrl(_) if s == Server::IdentityProvider => "Enter the address of the identity provider's discovery document, e.g. https://idp.example.com/realms/main/.well-known/openid-configuration.".into(),
            ErrorKind::InvalidUrl(_) => format!("Enter the {s} base address, e.g. https://{}.example.com.", s.to_string().to_lowercase()),
            ErrorKind::CouldNotConnect { cause, .. } => match cause {
                ConnectCause::Dns => "Check the spelling of the host name, and that this computer's DNS (or VPN) can resolve it.".into(),
                ConnectCause::Refused => "Check the port, and that the server is running and not blocked by a firewall.".into(),
                ConnectCause::Tls(TlsProblem::UnknownIssuer) if s == Server::IdentityProvider => "Install the certificate authority that signed the identity provider's certificate on this computer, or use a certificate from a public CA. OpenProject and Nextcloud need to trust it too (update-ca-certificates; on Nextcloud `occ security:certificates:import`).".into(),
                ConnectCause::Tls(TlsProblem::UnknownIssuer) => format!(
                    "Install the certificate authority that signed {s}'s certificate on this computer, or use a certificate from a public CA. The other server needs to trust it too (update-ca-certificates; on Nextcloud `occ security:certificates:import`)."
                ),
                ConnectCause::Tls(TlsProblem::Expired) => format!("Renew {s}'s certificate."),
                ConnectCause::Tls(TlsProblem::NotYetValid) => "Check the clock of this computer and of the server.".into(),
                ConnectCause::Tls(TlsProblem::WrongName) => format!("Use the host name the certificate was issued for, or reissue {s}'s certificate for this name."),
                ConnectCause::Tls(_) => format!("Check {s}'s TLS configuration (certificate chain, protocol versions)."),
                ConnectCause::Other => "Check the address, the network and any proxy between this computer and the server.".into(),
            },
            ErrorKind::Timeout => format!("{s} may be overloaded or behind a firewall that drops packets; try again, or check the server."),
            ErrorKind::ConnectionDropped => format!("Check {s}'s logs and any reverse proxy in front of it; try again."),
            ErrorKind::RedirectedToOtherHost { location } => {
                format!("If {location} is the right address, enter that one instead; otherwise check the server's base URL (overwrite.cli.url / host name settings).")
            }
            ErrorKind::CredentialsRejected { two_factor: true } => {
                "Sign in through the browser (Login Flow), or create an app password under Personal settings → Security and use it instead of the password.".into()
            }
            ErrorKind::CredentialsRejected { two_factor: false } => match s {
                Server::OpenProject => "Create a new API token under My account → Access tokens and use it; user names and passwords do not work for the API.".into(),
                Server::Nextcloud => "Check the user name and the (app) password; repeated failures are throttled by Nextcloud's brute-force protection.".into(),
                Server::IdentityProvider => "Check the client id and secret registered at the identity provider.".into(),
            },
            ErrorKind::NotAdmin { .. } => format!("Sign in with an {s} administrator account."),
            ErrorKind::PasswordConfirmationRequired => format!("Do this step in the {s} web interface, or sign in with the account password (not possible with two-factor authentication)."),
            ErrorKind::OpenProjectApi(_) | ErrorKind::NextcloudApi(_) => format!("The message above comes from {s}; fix what it names and try again."),
            ErrorKind::UnexpectedStatus { .. } => format!("Check that the address points at {s} itself and not at a proxy or login portal."),
            ErrorKind::UnparseableBody { .. } => format!("The address may point at a login portal, a proxy error page or another application instead of {s}'s API. Open it in a browser to see."),
            ErrorKind::ResponseTooLarge { .. } => format!("Check that the address points at {s}'s API."),
            ErrorKind::OpenProjectWeb(p) => match p {
                WebProblem::PasswordRejected => "Check the user name and password. Do not retry blindly: OpenProject blocks the account for 30 minutes after 20 failed attempts.".into(),
                WebProblem::TwoFactorRequired => "Sign in with the desktop app's OpenProject window, or create an API token under My account → Access tokens and use that.".into(),
                WebProblem::SingleSignOnOnly => "Sign in with the desktop app's OpenProject window (it shows the identity provider's pages), or use an API token.".into(),
                WebProblem::ExtraStep { .. } => "Sign in once in a browser to complete that step, then try again (or use the desktop app's OpenProject window).".into(),
                WebProblem::SessionEnded => "Sign in to OpenProject again; nothing was changed by the request that failed.".into(),
                WebProblem::PageNotRecognized { .. } => "Do this step on the OpenProject page the assistant opens; it watches the API until the change shows.".into(),
                WebProblem::ResultNotShown { .. } => "Open the storage's page in OpenProject, click \"Replace OpenProject OAuth\" once more and copy the new client ID and secret into Nextcloud's OpenProject integration settings — or run the replace again here.".into(),
                WebProblem::PageMessage { .. } => "Fix what OpenProject names and try again.".into(),
            },
        }
    }

    pub fn view(&self) -> ErrorView {
        ErrorView { code: self.code(), message: self.message(), hint: self.hint() }
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
