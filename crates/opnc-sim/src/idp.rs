//! A simulated external OpenID Connect identity provider (the role Keycloak plays in integration_openproject's
//! `dev/keycloak/keycloak.sh`): its discovery document and JWKS, with or without the token-exchange grant (RFC
//! 8693), or answering with a web page where the document should be — what an admin's wrong discovery URL gets;
//! its sign-in page, token endpoint and token exchange (`oidc_issuer.rs`) with clients, users and the audiences
//! its client scopes add configured as Keycloak's are in `dev/keycloak/keycloak.sh`.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use http::HeaderMap;
use serde_json::json;

use crate::common::{header, json_response};
use crate::oidc_issuer::{Codes, IssuerClient, IssuerPolicy, TokenEndpoint};
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
    /// The clients (OpenProject's, Nextcloud's).
    pub clients: Vec<IssuerClient>,
    /// Users and their passwords.
    pub users: Vec<(String, String)>,
    /// Client scope → the audience it adds to a token.
    pub scope_audiences: Vec<(String, String)>,
}

impl Default for IdpProfile {
    fn default() -> Self {
        Self {
            token_exchange: true,
            answers_html: false,
            incomplete: false,
            clients: Vec::new(),
            users: vec![("admin".into(), "IdP-admin-2026".into())],
            scope_audiences: vec![("add-nextcloud-audience".into(), "nextcloud".into())],
        }
    }
}

#[derive(Debug, Clone)]
pub struct IdpSim(Arc<Mutex<IdpProfile>>, Codes);

impl IdpSim {
    pub fn profile(&self) -> std::sync::MutexGuard<'_, IdpProfile> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// The realm's issuer as the caller addresses the server (Keycloak derives it from the request's host too).
fn realm(headers: &HeaderMap) -> String {
    let host = header(headers, "host").unwrap_or_else(|| "localhost".into());
    format!("http://{host}/realms/opnc")
}

/// A running simulated identity provider. Its realm lives under `/realms/opnc`, as Keycloak's do.
#[derive(Debug)]
pub struct RunningIdp {
    pub sim: IdpSim,
    pub server: Running,
}

impl RunningIdp {
    pub async fn start(profile: IdpProfile, addr: SocketAddr) -> std::io::Result<Self> {
        let sim = IdpSim(Arc::new(Mutex::new(profile)), Codes::default());
        let router = Router::new()
            .route("/realms/opnc/.well-known/openid-configuration", get(discovery))
            .route("/realms/opnc/protocol/openid-connect/certs", get(jwks))
            .route("/realms/opnc/protocol/openid-connect/auth", get(sign_in_page).post(sign_in))
            .route("/realms/opnc/protocol/openid-connect/token", post(token))
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
    let realm = realm(&headers);
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
    json_response(200, &crate::oidc_issuer::jwks())
}

async fn sign_in_page(State(sim): State<IdpSim>, Query(query): Query<HashMap<String, String>>) -> Response {
    let clients = sim.profile().clients.clone();
    crate::oidc_issuer::sign_in_page(&query, &clients, None)
}

async fn sign_in(State(sim): State<IdpSim>, body: Bytes) -> Response {
    let form: HashMap<String, String> = url::form_urlencoded::parse(&body).into_owned().collect();
    let profile = sim.profile().clone();
    let password_ok = |user: &str, password: &str| profile.users.iter().any(|(u, p)| u == user && p == password);
    crate::oidc_issuer::sign_in(&form, &profile.clients, password_ok, &sim.1)
}

async fn token(State(sim): State<IdpSim>, headers: HeaderMap, body: Bytes) -> Response {
    let profile = sim.profile().clone();
    let issuer = realm(&headers);
    let policy = IssuerPolicy {
        token_exchange: profile.token_exchange,
        scope_audiences: profile.scope_audiences.clone(),
        refresh_needs_offline_access: true,
    };
    TokenEndpoint { issuer: &issuer, clients: &profile.clients, policy: &policy, codes: &sim.1 }.answer(&headers, &body)
}
