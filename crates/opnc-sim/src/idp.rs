//! A simulated external OpenID Connect identity provider (the role Keycloak plays in integration_openproject's
//! `dev/keycloak/keycloak.sh`): its discovery document and JWKS, with or without the token-exchange grant (RFC
//! 8693), or answering with a web page where the document should be — what an admin's wrong discovery URL gets.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::extract::State;
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use http::HeaderMap;
use serde_json::json;

use crate::common::{header, json_response};
use crate::runner::{self, Running};

/// How the identity provider behaves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdpProfile {
    /// `grant_types_supported` includes `urn:ietf:params:oauth:grant-type:token-exchange`.
    pub token_exchange: bool,
    /// The discovery URL answers a login page (HTML) instead of the document.
    pub answers_html: bool,
    /// The document leaves out `jwks_uri` and `token_endpoint` (user_oidc refuses such a provider: "Invalid
    /// discovery endpoint. Missing fields: …", recorded).
    pub incomplete: bool,
}

impl Default for IdpProfile {
    fn default() -> Self {
        Self { token_exchange: true, answers_html: false, incomplete: false }
    }
}

#[derive(Debug, Clone)]
pub struct IdpSim(Arc<Mutex<IdpProfile>>);

impl IdpSim {
    pub fn profile(&self) -> std::sync::MutexGuard<'_, IdpProfile> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// A running simulated identity provider. Its realm lives under `/realms/opnc`, as Keycloak's do.
#[derive(Debug)]
pub struct RunningIdp {
    pub sim: IdpSim,
    pub server: Running,
}

impl RunningIdp {
    pub async fn start(profile: IdpProfile, addr: SocketAddr) -> std::io::Result<Self> {
        let sim = IdpSim(Arc::new(Mutex::new(profile)));
        let router = Router::new()
            .route("/realms/opnc/.well-known/openid-configuration", get(discovery))
            .route("/realms/opnc/protocol/openid-connect/certs", get(jwks))
            .with_state(sim.clone());
        let server = runner::serve(router, addr).await?;
        Ok(Self { sim, server })
    }

    pub fn url(&self) -> String {
        self.server.url()
    }

    /// The discovery URL an admin would give.
    pub fn discovery_url(&self) -> String {
        format!("{}/realms/opnc/.well-known/openid-configuration", self.url())
    }
}

async fn discovery(State(sim): State<IdpSim>, headers: HeaderMap) -> Response {
    let profile = sim.profile().clone();
    if profile.answers_html {
        let mut r = Response::new(axum::body::Body::from(
            "<!DOCTYPE html><html><head><title>Sign in</title></head><body><form>…</form></body></html>",
        ));
        r.headers_mut().insert(http::header::CONTENT_TYPE, http::HeaderValue::from_static("text/html; charset=utf-8"));
        return r;
    }
    let host = header(&headers, "host").unwrap_or_else(|| "localhost".into());
    let realm = format!("http://{host}/realms/opnc");
    let mut grants = vec!["authorization_code", "refresh_token", "client_credentials"];
    if profile.token_exchange {
        grants.push("urn:ietf:params:oauth:grant-type:token-exchange");
    }
    let mut document = json!({
        "issuer": realm,
        "authorization_endpoint": format!("{realm}/protocol/openid-connect/auth"),
        "token_endpoint": format!("{realm}/protocol/openid-connect/token"),
        "userinfo_endpoint": format!("{realm}/protocol/openid-connect/userinfo"),
        "jwks_uri": format!("{realm}/protocol/openid-connect/certs"),
        "grant_types_supported": grants,
        "response_types_supported": ["code", "id_token", "code id_token"],
        "subject_types_supported": ["public", "pairwise"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "scopes_supported": ["openid", "profile", "email", "offline_access", "api_v3", "add-nextcloud-audience"],
    });
    if profile.incomplete {
        if let Some(fields) = document.as_object_mut() {
            fields.remove("jwks_uri");
            fields.remove("token_endpoint");
        }
    }
    json_response(200, &document)
}

async fn jwks() -> Response {
    json_response(
        200,
        &json!({ "keys": [{ "kid": "opnc-sim", "kty": "RSA", "alg": "RS256", "use": "sig", "n": "sXch", "e": "AQAB" }] }),
    )
}
