//! What the pair API's calls fail with, typed. A face turns it into `{code, message, hint}` (the desktop) or an
//! exit code and lines of text (the CLI) only at its own boundary, so a code keeps one meaning end to end.

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
        blocker: Option<Finding>,
    },
    /// Signed in, but the keyring refused to keep the credentials.
    NotRemembered {
        message: String,
        hint: String,
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
    Reset(ResetError),
    /// The servers changed after the admin was shown them; nothing was written.
    Changed {
        message: String,
        hint: String,
    },
    /// Something on this computer failed (a window, a file), not a server.
    Local {
        message: String,
        hint: String,
    },
}

impl From<ClientError> for PairError {
    fn from(e: ClientError) -> Self {
        PairError::Client(e)
    }
}

impl From<ResetError> for PairError {
    fn from(e: ResetError) -> Self {
        PairError::Reset(e)
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
        let view = |message: String, hint: &str| ErrorView { code: self.code(), message, hint: hint.to_owned() };
        match self {
            PairError::Client(e) => e.view(),
            PairError::Reset(e) => e.error.clone(),
            PairError::MissingCredential { server: Server::OpenProject } => view(
                "No API token for OpenProject.".into(),
                "Create an API token in OpenProject (My account → Access tokens) and give it to the assistant.",
            ),
            PairError::MissingCredential { server: Server::IdentityProvider } => view(
                "No client credentials for the identity provider.".into(),
                "Give the client id and secret the identity provider issued for OpenProject.",
            ),
            PairError::MissingCredential { server: Server::Nextcloud } => view(
                "No credentials for Nextcloud.".into(),
                "Sign in through the browser, or give an admin user and app password.",
            ),
            PairError::NotSignedIn => view("Not signed in to both servers yet.".into(), "Sign in first."),
            PairError::Cancelled(Cancelled::Confirmation) => view("Cancelled: nothing was changed.".into(), ""),
            PairError::Cancelled(Cancelled::BrowserSignIn) => {
                view("The browser sign-in was cancelled.".into(), "Start it again when you are ready.")
            }
            PairError::Cancelled(Cancelled::Watch) => view(
                "Stopped watching OpenProject; nothing was changed in Nextcloud.".into(),
                "Watch again after the change on OpenProject's page.",
            ),
            PairError::NoStorage => {
                view("OpenProject has no storage for this Nextcloud.".into(), "Set the connection up first.")
            }
            PairError::PreflightBlocked { blocker } => view(
                format!(
                    "Nothing was changed: {}",
                    blocker.as_ref().map(|f| f.message.as_str()).unwrap_or("the preflight could not finish")
                ),
                blocker.as_ref().and_then(|f| f.fix.as_deref()).unwrap_or("Check both servers again."),
            ),
            PairError::NotRemembered { message, hint } => {
                view(format!("Signed in, but the credentials could not be remembered: {message}"), hint)
            }
            PairError::WebSessionRequired { page, action: WebAction::ReplaceOauth } => ErrorView {
                code: self.code(),
                message: "Replacing OpenProject's OAuth values happens in OpenProject's web interface.".into(),
                hint: format!(
                    "Sign in to OpenProject's web interface, or replace them by hand on {page}: the assistant \
                     watches for the new client and passes it to Nextcloud."
                ),
            },
            PairError::WebSessionRequired { page, action: WebAction::CreateOpenidProvider } => ErrorView {
                code: self.code(),
                message: "OpenProject's OpenID provider is made in OpenProject's web interface (it has no API).".into(),
                hint: format!(
                    "Sign in to OpenProject's web interface, or enter the values shown on {page}: the assistant \
                     watches OpenProject's sign-in page until it offers the provider."
                ),
            },
            PairError::WindowClosed => view(
                "The OpenProject sign-in window was closed before the sign-in finished.".into(),
                "Open it again, or give an API token instead.",
            ),
            PairError::DemoOnly => {
                view("Only the demo's simulated servers can do this.".into(), "Start the demo first.")
            }
            PairError::WatchTimedOut(Watched::OpenProjectReplace) => view(
                "OpenProject still shows the old OAuth client; nothing was changed in Nextcloud.".into(),
                "Replace it on OpenProject's page, then watch again.",
            ),
            PairError::WatchTimedOut(Watched::BrowserSignIn) => {
                view("The Nextcloud sign-in expired after 20 minutes.".into(), "Start the browser sign-in again.")
            }
            PairError::WatchTimedOut(Watched::SignInWindow) => view(
                "The OpenProject sign-in did not finish within 20 minutes.".into(),
                "Open the sign-in window again.",
            ),
            PairError::ClientSetup(e) => {
                view(format!("The assistant could not set up HTTPS: {e}"), "Reinstall the assistant.")
            }
            PairError::DemoUnavailable(e) => {
                view(format!("The demo servers could not start: {e}"), "Restart the assistant.")
            }
            PairError::Changed { message, hint } | PairError::Local { message, hint } => view(message.clone(), hint),
        }
    }
}

/// What needs OpenProject's web interface.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WebAction {
    ReplaceOauth,
    CreateOpenidProvider,
}
