//! The core of the OpenProject ⇄ Nextcloud setup assistant: typed clients for both servers over one
//! strict HTTP foundation, server URLs, versions, errors with stable codes, and secrets that never leak.
//! Nothing here depends on Tauri; the desktop app and the `opnc` CLI are two faces of this crate.

pub mod address;
pub mod bundle;
pub mod catalogue;
pub mod compare;
pub mod compat;
pub mod doctor;
pub mod doctor_sso;
pub mod error;
pub mod findings;
pub mod html_scan;
pub mod http;
pub mod keychain;
pub mod nextcloud;
pub mod nextcloud_session;
pub mod oidc;
pub mod openproject;
pub mod openproject_web;
pub mod pair;
pub mod picture;
pub mod secret;
pub mod server_url;
pub mod setup;
pub mod sso_sign_in;
pub mod tls_check;
pub mod version;

pub use error::{ClientError, ConnectCause, ErrorCode, ErrorKind, ErrorView, Server, TlsProblem};
pub use http::{HttpClient, HttpConfig};
pub use secret::{SecretString, Sensitive};
pub use server_url::{ServerUrl, UrlPolicy, UrlProblem};

impl UrlProblem {
    /// The problem as a client error about one server, for the UI's `{code, message, hint}`.
    pub fn for_server(self, server: Server) -> ClientError {
        ClientError::new(server, "", ErrorKind::InvalidUrl(self))
    }
}

/// The log filter every face uses: what was asked for (`OPNC_LOG`, or the face's default), with the HTML parser's
/// own logging always off — html5ever traces the tokens of every page it reads, and OpenProject's pages hold
/// CSRF tokens and, once, a new OAuth secret.
pub fn log_directives(requested: &str) -> String {
    let requested = requested.trim();
    let quiet = "html5ever=off,markup5ever=off,dom_query=off,selectors=off";
    if requested.is_empty() {
        quiet.to_owned()
    } else {
        format!("{requested},{quiet}")
    }
}
