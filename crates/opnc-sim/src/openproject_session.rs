//! The simulated OpenProject's browser sessions: the session store's rows, Rails' masked CSRF tokens and the
//! session cookie. Shared by the API (which accepts the session) and the web pages (which make it); it needs
//! neither, so the simulator's modules import in one direction: session ← API ← web pages.

use std::collections::BTreeMap;

use base64::Engine;
use http::HeaderMap;
use rand::Rng;

pub const SESSION_COOKIE: &str = "_open_project_session";

/// How the instance lets people sign in.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WebLogin {
    /// `disable_password_login`: only SSO; `POST /login` is a 404.
    pub password_login_disabled: bool,
    /// `omniauth_direct_login_provider`: `GET /login` redirects to `/auth/<provider>`.
    pub direct_login_provider: Option<String>,
}

/// One row of the session store.
#[derive(Debug, Clone, Default)]
pub struct WebSession {
    pub user_id: Option<i64>,
    pub(crate) csrf_secret: Vec<u8>,
    /// Password accepted, a stage (2FA) pending.
    pub(crate) pending_user: Option<i64>,
    pub(crate) stage_secret: Option<String>,
    pub(crate) back_url: Option<String>,
    pub(crate) flash: Option<String>,
}

impl WebSession {
    pub(crate) fn fresh() -> Self {
        let secret: [u8; 32] = rand::rng().random();
        Self { csrf_secret: secret.to_vec(), ..Default::default() }
    }
}

/// A masked token as Rails renders it: a one-time pad and the secret XOR the pad.
pub(crate) fn masked_token(secret: &[u8]) -> String {
    let pad: Vec<u8> = (0..secret.len()).map(|_| rand::rng().random()).collect();
    let mut out = pad.clone();
    out.extend(pad.iter().zip(secret).map(|(p, s)| p ^ s));
    base64::engine::general_purpose::STANDARD.encode(out)
}

pub(crate) fn token_valid(secret: &[u8], token: &str) -> bool {
    let Ok(raw) = base64::engine::general_purpose::STANDARD.decode(token.trim()) else {
        return false;
    };
    if raw.len() != secret.len() * 2 || secret.is_empty() {
        return false;
    }
    let (pad, masked) = raw.split_at(secret.len());
    pad.iter().zip(masked).map(|(p, m)| p ^ m).eq(secret.iter().copied())
}

pub(crate) fn cookie_value(headers: &HeaderMap, name: &str) -> Option<String> {
    headers.get_all(http::header::COOKIE).iter().filter_map(|v| v.to_str().ok()).find_map(|line| {
        line.split(';').map(str::trim).find_map(|pair| {
            let (k, v) = pair.split_once('=')?;
            (k == name).then(|| v.to_owned())
        })
    })
}

/// The signed-in user id of a request's session cookie, for API v3 (which accepts the browser session).
pub fn session_user_id(sessions: &BTreeMap<String, WebSession>, headers: &HeaderMap) -> Option<i64> {
    let id = cookie_value(headers, SESSION_COOKIE)?;
    sessions.get(&id)?.user_id
}
