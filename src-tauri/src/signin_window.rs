//! OpenProject's own sign-in page in a window of the app (2FA, SSO and captcha work as in a browser). The window
//! matches no capability, so the remote page has no IPC at all. When a page outside the sign-in paths has loaded,
//! the window's cookies for the OpenProject host are checked by the core (`/api/v3/users/me` must show an
//! administrator); then the window closes and the session lives in memory only. `/logout` is never called.

use std::time::Duration;

use opnc_core::openproject::User;
use opnc_core::openproject_web::{self, WebSession};
use opnc_core::pair::{PairError, Watched};
use opnc_core::ServerUrl;
use tauri::webview::PageLoadEvent;
use tauri::{AppHandle, Manager, WebviewUrl, WebviewWindowBuilder};

pub const LABEL: &str = "op-signin";

enum Seen {
    Loaded(url::Url),
    Closed,
}

/// Opens the window on `{base}/login`, waits up to 20 minutes for an administrator's session, closes it.
pub async fn sign_in(app: &AppHandle, base: &ServerUrl) -> Result<(WebSession, User), PairError> {
    if let Some(old) = app.get_webview_window(LABEL) {
        let _ = old.destroy();
    }
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<Seen>();
    let origin = base.url().origin();
    let loaded = tx.clone();
    let window = WebviewWindowBuilder::new(app, LABEL, WebviewUrl::External(base.join("login")))
        .title("Sign in to OpenProject")
        .inner_size(920.0, 720.0)
        // Its own ephemeral cookie store: nothing of the session is written to disk.
        .incognito(true)
        // Web pages only (identity providers included); no file:, data: or custom schemes.
        .on_navigation(|url| matches!(url.scheme(), "https" | "http"))
        .on_page_load(move |_, payload| {
            if payload.event() == PageLoadEvent::Finished {
                let _ = loaded.send(Seen::Loaded(payload.url().clone()));
            }
        })
        .build()
        .map_err(|e| PairError::Local {
            message: opnc_core::said!("error-window_not_opened", reason = e),
            hint: opnc_core::said!("hint-window_not_opened"),
        })?;
    window.on_window_event(move |event| {
        if matches!(event, tauri::WindowEvent::Destroyed) {
            let _ = tx.send(Seen::Closed);
        }
    });
    let http = opnc_core::pair::http_client()?;
    let host = base.url().host_str().unwrap_or_default().to_owned();
    let base_path = base.url().path().trim_end_matches('/').to_owned();
    loop {
        let seen = tokio::time::timeout(Duration::from_secs(20 * 60), rx.recv()).await;
        let url = match seen {
            Ok(Some(Seen::Loaded(url))) => url,
            Ok(Some(Seen::Closed)) | Ok(None) => return Err(PairError::WindowClosed),
            Err(_) => {
                let _ = window.destroy();
                return Err(PairError::WatchTimedOut(Watched::SignInWindow));
            }
        };
        let path = url.path().strip_prefix(&base_path).unwrap_or(url.path()).to_owned();
        if url.origin() != origin || openproject_web::is_sign_in_path(&path) {
            continue;
        }
        // `cookies()` waits for the event loop: never on the main thread (and on Windows never synchronously).
        let w = window.clone();
        let cookies =
            tokio::task::spawn_blocking(move || w.cookies()).await.ok().and_then(Result::ok).unwrap_or_default();
        let for_host = cookies
            .into_iter()
            .filter(|c| c.domain().is_none_or(|d| d.trim_start_matches('.').eq_ignore_ascii_case(&host)))
            .map(|c| (c.name().to_owned(), c.value().to_owned(), c.path().map(str::to_owned)));
        match openproject_web::admin_session_from_cookies(&http, base, for_host).await {
            Ok(Some(found)) => {
                let _ = window.destroy();
                return Ok(found);
            }
            Ok(None) => continue,
            Err(e) => {
                let _ = window.destroy();
                return Err(e.into());
            }
        }
    }
}

pub const TEST_SIGN_IN_LABEL: &str = "idp-test-signin";

/// The test sign-in through the identity provider in a window of the app: the provider's page as in a browser; when
/// it sends the browser to OpenProject's callback, the window stops there (OpenProject never sees the code) and
/// that address is the answer. Closing the window gives up. Own cookie store, nothing written to disk.
pub async fn test_sign_in(
    app: &AppHandle,
    prompt: opnc_core::sso_sign_in::SignInPrompt,
) -> Option<opnc_core::SecretString> {
    if let Some(old) = app.get_webview_window(TEST_SIGN_IN_LABEL) {
        let _ = old.destroy();
    }
    let callback = url::Url::parse(&prompt.redirect_uri).ok()?;
    let start = url::Url::parse(&prompt.authorize_url).ok()?;
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<Option<opnc_core::SecretString>>();
    let arrived = tx.clone();
    let window = WebviewWindowBuilder::new(app, TEST_SIGN_IN_LABEL, WebviewUrl::External(start))
        .title("Test sign-in")
        .inner_size(920.0, 720.0)
        .incognito(true)
        .on_navigation(move |url| {
            let at_callback = url.scheme() == callback.scheme()
                && url.host_str() == callback.host_str()
                && url.port_or_known_default() == callback.port_or_known_default()
                && url.path() == callback.path();
            if at_callback {
                let _ = arrived.send(Some(opnc_core::SecretString::from(url.as_str())));
                return false;
            }
            matches!(url.scheme(), "https" | "http")
        })
        .build()
        .ok()?;
    window.on_window_event(move |event| {
        if matches!(event, tauri::WindowEvent::Destroyed) {
            let _ = tx.send(None);
        }
    });
    let answer = tokio::time::timeout(Duration::from_secs(20 * 60), rx.recv()).await.ok().flatten().flatten();
    let _ = window.destroy();
    answer
}

pub fn close(app: &AppHandle) {
    if let Some(window) = app.get_webview_window(LABEL) {
        let _ = window.destroy();
    }
}
