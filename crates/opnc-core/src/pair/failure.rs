//! What the pair API's calls fail with, typed. A face turns it into `{code, message, hint}` (the desktop) or an
//! exit code and lines of text (the CLI) only at its own boundary, so a code keeps one meaning end to end.

use crate::catalogue::Said;
use crate::error::{ClientError, ErrorCode, ErrorView, Server};
use crate::findings::Finding;
use crate::setup::reset::ResetError;

/// What the admin cancelled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cancelled {
    /// A confirmation was answered with Cancel.
    Confirmation,
    /// The browser sign-in to Nextcloud.
    BrowserSignIn,
    /// A watch for a change made by hand on OpenProject's page.
    Watch,
}

/// What a watch waited for, when it ended before it showed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Watched {
    /// The new OAuth client on OpenProject's page (the hand-off of "Replace OpenProject OAuth").
    OpenProjectReplace,
    /// The grant in Nextcloud's browser sign-in (Login Flow v2, 20 minutes).
    BrowserSignIn,
    /// An administrator's session in OpenProject's sign-in window (20 minutes).
    SignInWindow,
}

#[derive(Debug, Clone)]
pub enum PairError {
    /// A server's answer, or the way to it.
    Client(ClientError),
    /// No credential for `server`: none was given and the system keyring has none.
    MissingCredential {
        server: Server,
    },
    NotSignedIn,
    Cancelled(Cancelled),
    /// OpenProject has no storage for this Nextcloud.
    NoStorage,
    /// The preflight found a blocker; nothing was changed.
    PreflightBlocked {
        blocker: Option<Box<Finding>>,
    },
    /// Signed in, but the keyring refused to keep the credentials.
    NotRemembered {
        message: crate::catalogue::Said,
        hint: crate::catalogue::Said,
    },
    /// The action happens on OpenProject's page (`page`), which needs its browser sign-in or a hand-off.
    WebSessionRequired {
        page: String,
        action: WebAction,
    },
    WindowClosed,
    DemoOnly,
    WatchTimedOut(Watched),
    /// The HTTPS client could not be built.
    ClientSetup(String),
    DemoUnavailable(String),
    /// A reset stopped; what it had done already is in it.
    Reset(Box<ResetError>),
    /// The servers changed after the admin was shown them; nothing was written.
    Changed {
        message: crate::catalogue::Said,
        hint: crate::catalogue::Said,
    },
    /// Something on this computer failed (a window, a file), not a server.
    Local {
        message: crate::catalogue::Said,
        hint: crate::catalogue::Said,
    },
}

impl From<ClientError> for PairError {
    fn from(e: ClientError) -> Self {
        PairError::Client(e)
    }
}

impl From<ResetError> for PairError {
    fn from(e: ResetError) -> Self {
        PairError::Reset(Box::new(e))
    }
}

impl From<PairError> for ErrorView {
    fn from(e: PairError) -> Self {
        e.view()
    }
}

impl PairError {
    pub fn code(&self) -> ErrorCode {
        match self {
            PairError::Client(e) => e.code(),
            PairError::MissingCredential { .. } => ErrorCode::MissingCredential,
            PairError::NotSignedIn => ErrorCode::NotSignedIn,
            PairError::Cancelled(_) => ErrorCode::Cancelled,
            PairError::NoStorage => ErrorCode::NoStorage,
            PairError::PreflightBlocked { .. } => ErrorCode::PreflightBlocked,
            PairError::NotRemembered { .. } => ErrorCode::KeyringUnavailable,
            PairError::WebSessionRequired { .. } => ErrorCode::WebSessionRequired,
            PairError::WindowClosed => ErrorCode::WindowClosed,
            PairError::DemoOnly => ErrorCode::DemoOnly,
            PairError::WatchTimedOut(_) => ErrorCode::WatchTimedOut,
            PairError::ClientSetup(_) => ErrorCode::ClientSetupFailed,
            PairError::DemoUnavailable(_) => ErrorCode::DemoUnavailable,
            PairError::Reset(e) => e.error.code,
            PairError::Changed { .. } => ErrorCode::PlanChanged,
            PairError::Local { .. } => ErrorCode::LocalFailure,
        }
    }

    pub fn view(&self) -> ErrorView {
        use crate::said;
        let view = |message: Said, hint: Said| ErrorView::new(self.code(), message, hint);
        match self {
            PairError::Client(e) => e.view(),
            PairError::Reset(e) => e.error.clone(),
            PairError::MissingCredential { server: Server::OpenProject } => {
                view(said!("error-no_openproject_token"), said!("hint-no_openproject_token"))
            }
            PairError::MissingCredential { server: Server::IdentityProvider } => {
                view(said!("error-no_idp_client"), said!("hint-no_idp_client"))
            }
            PairError::MissingCredential { server: Server::Nextcloud } => {
                view(said!("error-no_nextcloud_credentials"), said!("hint-no_nextcloud_credentials"))
            }
            PairError::NotSignedIn => view(said!("error-not_signed_in"), said!("hint-not_signed_in")),
            PairError::Cancelled(Cancelled::Confirmation) => view(said!("error-cancelled"), said!("hint-none")),
            PairError::Cancelled(Cancelled::BrowserSignIn) => {
                view(said!("error-browser_sign_in_cancelled"), said!("hint-browser_sign_in_cancelled"))
            }
            PairError::Cancelled(Cancelled::Watch) => view(said!("error-watch_stopped"), said!("hint-watch_stopped")),
            PairError::NoStorage => view(said!("error-no_storage"), said!("hint-no_storage")),
            PairError::PreflightBlocked { blocker } => {
                let (message, hint) = match blocker {
                    Some(f) => (
                        f.said.clone().unwrap_or_else(|| Said::new("error-preflight_unfinished")),
                        f.fix_said.clone().unwrap_or_else(|| Said::new("hint-preflight_blocked")),
                    ),
                    None => (said!("error-preflight_unfinished"), said!("hint-preflight_blocked")),
                };
                view(said!("error-preflight_blocked").arg_said("reason", message), hint)
            }
            PairError::NotRemembered { message, hint } => {
                view(said!("error-not_remembered").arg_said("reason", message.clone()), hint.clone())
            }
            PairError::WebSessionRequired { page, action: WebAction::ReplaceOauth } => {
                view(said!("error-web_session_replace"), said!("hint-web_session_replace", page = page))
            }
            PairError::WebSessionRequired { page, action: WebAction::CreateOpenidProvider } => {
                view(said!("error-web_session_provider"), said!("hint-web_session_provider", page = page))
            }
            PairError::WindowClosed => view(said!("error-window_closed"), said!("hint-window_closed")),
            PairError::DemoOnly => view(said!("error-demo_only"), said!("hint-demo_only")),
            PairError::WatchTimedOut(Watched::OpenProjectReplace) => {
                view(said!("error-watch_replace_timed_out"), said!("hint-watch_replace_timed_out"))
            }
            PairError::WatchTimedOut(Watched::BrowserSignIn) => {
                view(said!("error-browser_sign_in_expired"), said!("hint-browser_sign_in_expired"))
            }
            PairError::WatchTimedOut(Watched::SignInWindow) => {
                view(said!("error-window_timed_out"), said!("hint-window_timed_out"))
            }
            PairError::ClientSetup(e) => view(said!("error-client_setup", reason = e), said!("hint-client_setup")),
            PairError::DemoUnavailable(e) => {
                view(said!("error-demo_unavailable", reason = e), said!("hint-demo_unavailable"))
            }
            PairError::Changed { message, hint } | PairError::Local { message, hint } => {
                view(message.clone(), hint.clone())
            }
        }
    }
}

/// What needs OpenProject's web interface.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WebAction {
    ReplaceOauth,
    CreateOpenidProvider,
}
