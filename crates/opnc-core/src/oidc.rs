//! OpenID Connect, as far as the assistant reads it: an identity provider's discovery document (RFC 8414 /
//! OpenID Connect Discovery 1.0), fetched from this machine. `shared/contracts/sso-oidc.md` names what each side
//! needs from it: the issuer (OpenProject looks its provider up by the exact `iss`), the JWKS, and the
//! token-exchange grant (RFC 8693) when a storage exchanges the user's token for one with Nextcloud as audience.

use http::Method;
use serde::Serialize;

use crate::error::{ClientError, Server};
use crate::http::{HttpClient, Request};
use crate::ServerUrl;

pub use crate::compat::TOKEN_EXCHANGE_GRANT;

/// The fields of a discovery document the pair depends on.
#[derive(ts_rs::TS, Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Discovery {
    pub issuer: String,
    pub authorization_endpoint: String,
    pub token_endpoint: String,
    pub jwks_uri: String,
    pub grant_types_supported: Vec<String>,
    pub scopes_supported: Vec<String>,
}

impl Discovery {
    /// The identity provider offers token exchange.
    pub fn token_exchange(&self) -> bool {
        self.grant_types_supported.iter().any(|g| g == TOKEN_EXCHANGE_GRANT)
    }
}

/// Where Nextcloud Hub (the `oidc` app) publishes its discovery document (recorded on Nextcloud 34.0.1).
pub fn nextcloud_hub_discovery(nextcloud: &ServerUrl) -> ServerUrl {
    let url = nextcloud.join("index.php/.well-known/openid-configuration");
    ServerUrl::parse(url.as_str(), crate::UrlPolicy { allow_insecure_http: true }).unwrap_or_else(|_| nextcloud.clone())
}

/// Fetches and checks a discovery document. A web page, JSON without the required fields, a redirect elsewhere
/// or an unreachable host is an error that says which; nothing is guessed.
pub async fn discovery(http: &HttpClient, url: &ServerUrl) -> Result<Discovery, ClientError> {
    let request = Request::new(Server::IdentityProvider, Method::GET, url.url().clone())
        .header("Accept", "application/json")
        .without_redirects();
    let r = http.send(request).await?;
    if !r.status.is_success() {
        return Err(r.unexpected_status());
    }
    let v = r.json_value()?;
    let text = |key: &str| v.get(key).and_then(|x| x.as_str()).filter(|x| !x.is_empty()).map(str::to_owned);
    let list = |key: &str| -> Vec<String> {
        v.get(key)
            .and_then(|x| x.as_array())
            .map(|a| a.iter().filter_map(|x| x.as_str().map(str::to_owned)).collect())
            .unwrap_or_default()
    };
    let required = ["issuer", "authorization_endpoint", "token_endpoint", "jwks_uri"];
    let missing: Vec<&str> = required.iter().copied().filter(|k| text(k).is_none()).collect();
    if !missing.is_empty() {
        return Err(r.unparseable(format!("not a discovery document: missing {}", missing.join(", "))));
    }
    Ok(Discovery {
        issuer: text("issuer").unwrap_or_default(),
        authorization_endpoint: text("authorization_endpoint").unwrap_or_default(),
        token_endpoint: text("token_endpoint").unwrap_or_default(),
        jwks_uri: text("jwks_uri").unwrap_or_default(),
        grant_types_supported: list("grant_types_supported"),
        scopes_supported: list("scopes_supported"),
    })
}
