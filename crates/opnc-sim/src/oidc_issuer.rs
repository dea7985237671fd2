//! What the simulated identity providers (the external one in `idp.rs`, Nextcloud Hub's `oidc` app) share as
//! OpenID Connect issuers: the sign-in page a browser is sent to, authorization codes (single use, bound to the
//! client, the redirect URI and a PKCE challenge), the token endpoint with RS256-signed JWT access tokens, the
//! JWKS that checks them, and RFC 8693 token exchange — strict as the real ones (measured on Nextcloud 34.0.1
//! with oidc 2.0.9: a code redeemed twice is `invalid_grant` "Authorization code has already been used.", a wrong
//! `code_verifier` `invalid_grant` "Invalid code_verifier.", an unregistered redirect URI an error page and no
//! redirect; tokens carry `iss`, `sub`, `aud`, `azp`, `scope`, `exp`, `preferred_username`).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::response::Response;
use http::HeaderMap;
use serde_json::{json, Value};

use crate::common::{basic_credentials, json_response, typed_response, urlsafe_token};

/// The simulators' own signing key. A test fixture, published with the simulator: it signs nothing but simulated
/// tokens.
const SIGNING_KEY_PEM: &str = "-----BEGIN PRIVATE KEY-----\nMIIEvAIBADANBgkqhkiG9w0BAQEFAASCBKYwggSiAgEAAoIBAQCqQ8W0aIBZeJlT\njWNU5dv3qMYcj8SvL1x8NUOUd7Ql/6RQRdVLvuYX4rwhrpV0iYX+epd1XxUpFznG\naTgvngygqnas6KbaBKGRpMICsRaiEyZC1RWmmBj0SOK+AgNkUeJpZ9oKNAp9aOZU\nNfwwNL9zJIzx32aczA0A0cwOzRUPpXxdKs0XxpT2hMrfVKl5DkzYMWtroL5OY7BT\nlC6CwGSZ/P/frQlZSwpTllgOKi7QaitQdtaJftHTD8wu12me5tn6OG/w1tK+sJEB\np0jDeNzToS5LZjLs1qWKZMoLe97vmXHP+pqnhbjy+AHVNWPxvddokvnxjPjWI0Nc\nXq0U4ozJAgMBAAECgf9xIZbvLubmJbu7FVCeMhzcvsewzDyW9y38jQFAvq9BXRtQ\noXxk8YyK7AMVKwUjUD1rWW/jQDC1nNKtHKMfAJhjXBOx0BdzxWzIpf12ZgEj4vvW\nBfLc2GYit35Xwf6yKbZghlPaQIa3zXuj3wfLzNo1jfoYvHFYV2/mAebhIfz2GpyV\nwiWoPbTHJx4B5is5y2/owTqjGX4kKlXhnM8JfMkuNT+yHQSlzV7rf4ynhKefJw/Z\nf8/W9u1AHqJwn5W3VVtEQWYmnUslp5o49OIr3+sdnTKCiF/sNQpvx6ezsafvKDrM\nQxF6U9Ies1Ul3CuhkB73VRUgziFJsdhUjCrTCIsCgYEA2Nw1aN8tiJXcSf0GXmmg\nwnMpjlW8oI9594/GwiovLt9eZHa1Ho7P8TTwRQSdyfCEPacLWqar0B/suB0ReIyw\n5FotK6D8u73LylyBIaKBDI9/ji4ZgC3HdWhmCXd61warZLyE6pKcaQI/qi/69plP\n95YAQasdEDD27dz9VDi3eh8CgYEAyP6rv7OS7tnfSuobdcPIC/gUv8AQKu2hhFIa\nV/QwjfhVa4uj6tmACW82cyCfpO1um1XM6ktOd4S2lzcpFW69mdH97I+kvwTicaWp\nh7UfaQmwR5WneQWFPBtXjz3YKIaiQOpixpjBbpIsmX3O8VjUllW6h2wUnk8M1HtT\n9NHu7BcCgYAf7MswFSru4KD9g3Jck9BG0A1eFuEeAgFCoLfx/aPUkq2ivJcNWJjk\nOZblkjhocjAFo4HYZpEEoq6GrEDWLmAcPepIcfrC6L4HnHamLPYyky2EEOVQKW0j\nq6rZ2e0Lmr/ApMAsiEjebKZSt52KkCdlm3+OK1Kr/4lamx3wOClKoQKBgQCq8HSv\nKBEplCAkvW+3O1fSXh1/auAVMl5wg8cl0GbPB0nWmj9BR9NtsqjTRwafJNMxxsns\n5TkJytPjTSVitfkIbiCP5SaO0p+nWeYRpYfeNEA40V1KPtiuYu6Xw1goN0CdBvoU\nvuublzPZIrcyaYL7jFOEQvZSIRbfSzf++eBB5wKBgQCgl346KL/gQiKvlBPqYoRd\naXrLcXaSlcP96Fb9PKEjGqI3GM6zKpHuN52Dv68i3x0oVylZWE2fscGGt78xdyGw\nIKnydQGbkAsh9UNSbwO/4lmMn//qDqvt9KAQHfuoZoldOwGhPzY4DDHsuEyiHcWr\nQjCqjj/wg6vvKFF/b4Jp0w==\n-----END PRIVATE KEY-----";
const KEY_ID: &str = "opnc-sim";
const MODULUS: &str = "qkPFtGiAWXiZU41jVOXb96jGHI_Ery9cfDVDlHe0Jf-kUEXVS77mF-K8Ia6VdImF_nqXdV8VKRc5xmk4L54MoKp2rOim2gShkaTCArEWohMmQtUVppgY9EjivgIDZFHiaWfaCjQKfWjmVDX8MDS_cySM8d9mnMwNANHMDs0VD6V8XSrNF8aU9oTK31SpeQ5M2DFra6C-TmOwU5QugsBkmfz_360JWUsKU5ZYDiou0GorUHbWiX7R0w_MLtdpnubZ-jhv8NbSvrCRAadIw3jc06EuS2Yy7NalimTKC3ve75lxz_qap4W48vgB1TVj8b3XaJL58Yz41iNDXF6tFOKMyQ";

/// The grant a token request names for RFC 8693 token exchange.
pub const TOKEN_EXCHANGE: &str = "urn:ietf:params:oauth:grant-type:token-exchange";

/// A client of a simulated issuer.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IssuerClient {
    pub client_id: String,
    pub secret: String,
    pub redirect_uris: Vec<String>,
    /// Scopes granted whenever asked for (`openid` always is); `None`: any scope asked for.
    pub allowed_scopes: Option<Vec<String>>,
    /// Scopes granted even when not asked for (Keycloak's default client scopes).
    pub default_scopes: Vec<String>,
    /// The audiences every access token of this client carries (Keycloak's audience mappers); empty: the client
    /// itself, as Nextcloud's oidc app does.
    pub audiences: Vec<String>,
    /// Opaque access tokens instead of JWTs (the oidc app's token type "opaque").
    pub opaque: bool,
}

/// What an issuer is configured with beyond its clients.
#[derive(Debug, Clone, Default)]
pub struct IssuerPolicy {
    /// Token exchange is a grant type of the issuer.
    pub token_exchange: bool,
    /// Client scope → the audience it adds (Keycloak: `add-nextcloud-audience` adds `nextcloud`).
    pub scope_audiences: Vec<(String, String)>,
    /// Refresh tokens only with `offline_access` (Keycloak); Nextcloud's oidc app always gives one.
    pub refresh_needs_offline_access: bool,
}

#[derive(Debug, Clone)]
struct Grant {
    client_id: String,
    redirect_uri: String,
    scopes: Vec<String>,
    user: String,
    challenge: Option<String>,
    nonce: Option<String>,
    used: bool,
}

/// Authorization codes handed out and not yet expired; shared by the handlers of one issuer.
#[derive(Debug, Clone, Default)]
pub struct Codes(Arc<Mutex<HashMap<String, Grant>>>);

impl Codes {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Grant>> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// The JWKS that checks every simulated token.
pub fn jwks() -> Value {
    json!({ "keys": [{ "kid": KEY_ID, "kty": "RSA", "alg": "RS256", "use": "sig", "n": MODULUS, "e": "AQAB" }] })
}

fn now() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or_default()
}

fn sign(claims: &Value, typ: &str) -> String {
    let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::RS256);
    header.kid = Some(KEY_ID.into());
    header.typ = Some(typ.into());
    jsonwebtoken::EncodingKey::from_rsa_pem(SIGNING_KEY_PEM.as_bytes())
        .and_then(|key| jsonwebtoken::encode(&header, claims, &key))
        .unwrap_or_default()
}

/// The claims of a token this simulator signed and that has not expired; `None` for anything else (another
/// key, an opaque token, garbage).
pub fn verified_claims(token: &str) -> Option<Value> {
    let jwk: jsonwebtoken::jwk::JwkSet = serde_json::from_value(jwks()).ok()?;
    let key = jsonwebtoken::DecodingKey::from_jwk(jwk.keys.first()?).ok()?;
    let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::RS256);
    validation.validate_aud = false;
    validation.required_spec_claims.clear();
    validation.leeway = 60;
    jsonwebtoken::decode::<Value>(token, &key, &validation).ok().map(|t| t.claims)
}

/// The token's audiences, whether `aud` is one string or a list.
pub fn audiences(claims: &Value) -> Vec<String> {
    match claims.get("aud") {
        Some(Value::String(a)) => vec![a.clone()],
        Some(Value::Array(list)) => list.iter().filter_map(|a| a.as_str().map(str::to_owned)).collect(),
        _ => Vec::new(),
    }
}

/// The token's scopes.
pub fn scopes(claims: &Value) -> Vec<String> {
    claims.get("scope").and_then(Value::as_str).unwrap_or_default().split_whitespace().map(str::to_owned).collect()
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('"', "&quot;").replace('<', "&lt;").replace('>', "&gt;")
}

fn error_page(status: u16, text: &str) -> Response {
    typed_response(
        status,
        "text/html; charset=utf-8",
        format!(
            "<!DOCTYPE html><html><head><title>Error</title></head><body><p id=\"error\">{}</p></body></html>",
            escape(text)
        ),
    )
}

/// The authorization request's client and redirect URI, checked as the real issuers do before anything is shown:
/// an unknown client or a redirect URI it does not have is an error page, never a redirect.
fn checked_request<'a>(
    query: &HashMap<String, String>,
    clients: &'a [IssuerClient],
) -> Result<&'a IssuerClient, Response> {
    let client_id = query.get("client_id").map(String::as_str).unwrap_or_default();
    let Some(client) = clients.iter().find(|c| c.client_id == client_id) else {
        return Err(error_page(400, "Client not found."));
    };
    let redirect = query.get("redirect_uri").map(String::as_str).unwrap_or_default();
    if !client.redirect_uris.iter().any(|r| r == redirect) {
        return Err(error_page(400, "Invalid parameter: redirect_uri"));
    }
    if query.get("response_type").map(String::as_str) != Some("code") {
        return Err(error_page(400, "Invalid parameter: response_type"));
    }
    Ok(client)
}

/// `GET` of the authorization endpoint: the sign-in page, carrying the request in hidden fields.
pub fn sign_in_page(query: &HashMap<String, String>, clients: &[IssuerClient], notice: Option<&str>) -> Response {
    if let Err(page) = checked_request(query, clients) {
        return page;
    }
    let hidden: String = query
        .iter()
        .map(|(k, v)| format!("<input type=\"hidden\" name=\"{}\" value=\"{}\">", escape(k), escape(v)))
        .collect();
    let notice = notice.map(|n| format!("<p id=\"input-error\">{}</p>", escape(n))).unwrap_or_default();
    typed_response(
        200,
        "text/html; charset=utf-8",
        format!(
            "<!DOCTYPE html><html><head><title>Sign in</title></head><body>{notice}<form id=\"kc-form-login\" method=\"post\">{hidden}<input id=\"username\" name=\"username\"><input id=\"password\" name=\"password\" type=\"password\"><button id=\"kc-login\" type=\"submit\">Sign In</button></form></body></html>"
        ),
    )
}

/// `POST` of the sign-in page: with the right password, the redirect back to the client with a new code.
pub fn sign_in(
    form: &HashMap<String, String>,
    clients: &[IssuerClient],
    password_ok: impl Fn(&str, &str) -> bool,
    codes: &Codes,
) -> Response {
    let client = match checked_request(form, clients) {
        Ok(c) => c,
        Err(page) => return page,
    };
    let user = form.get("username").cloned().unwrap_or_default();
    if !password_ok(&user, form.get("password").map(String::as_str).unwrap_or_default()) {
        return sign_in_page(form, clients, Some("Invalid username or password."));
    }
    let asked: Vec<String> =
        form.get("scope").map(|s| s.split_whitespace().map(str::to_owned).collect()).unwrap_or_default();
    let mut scopes: Vec<String> = asked
        .into_iter()
        .filter(|s| s == "openid" || client.allowed_scopes.as_ref().is_none_or(|a| a.contains(s)))
        .collect();
    for s in &client.default_scopes {
        if !scopes.contains(s) {
            scopes.push(s.clone());
        }
    }
    let redirect_uri = form.get("redirect_uri").cloned().unwrap_or_default();
    // Registered, so an address; a client registered with something else gets the issuer's error page.
    let Ok(mut target) = url::Url::parse(&redirect_uri) else {
        return error_page(400, "Invalid parameter: redirect_uri");
    };
    let code = urlsafe_token();
    codes.lock().insert(
        code.clone(),
        Grant {
            client_id: client.client_id.clone(),
            redirect_uri: redirect_uri.clone(),
            scopes,
            user,
            challenge: form.get("code_challenge").cloned(),
            nonce: form.get("nonce").cloned(),
            used: false,
        },
    );
    {
        let mut pairs = target.query_pairs_mut();
        if let Some(state) = form.get("state") {
            pairs.append_pair("state", state);
        }
        pairs.append_pair("code", &code);
    }
    let mut r = Response::new(axum::body::Body::empty());
    *r.status_mut() = http::StatusCode::FOUND;
    if let Ok(location) = http::HeaderValue::from_str(target.as_str()) {
        r.headers_mut().insert(http::header::LOCATION, location);
    }
    r
}

fn oauth_error(status: u16, error: &str, description: &str) -> Response {
    json_response(status, &json!({ "error": error, "error_description": description }))
}

fn pkce_matches(challenge: &str, verifier: &str) -> bool {
    use base64::Engine;
    use sha2::Digest;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(sha2::Sha256::digest(verifier.as_bytes())) == challenge
}

/// The client a token request authenticates as: HTTP Basic or `client_id`/`client_secret` in the form.
fn authenticated_client<'a>(
    headers: &HeaderMap,
    form: &HashMap<String, String>,
    clients: &'a [IssuerClient],
) -> Option<&'a IssuerClient> {
    let (id, secret) = basic_credentials(headers)
        .or_else(|| Some((form.get("client_id")?.clone(), form.get("client_secret")?.clone())))?;
    clients.iter().find(|c| c.client_id == id && c.secret == secret)
}

/// One issuer's token endpoint and the tokens it mints.
pub struct TokenEndpoint<'a> {
    /// The `iss` of the tokens: the issuer of the discovery document.
    pub issuer: &'a str,
    pub clients: &'a [IssuerClient],
    pub policy: &'a IssuerPolicy,
    pub codes: &'a Codes,
}

impl TokenEndpoint<'_> {
    fn access_token(&self, client: &IssuerClient, user: &str, scopes: &[String], audiences: Vec<String>) -> String {
        if client.opaque {
            return urlsafe_token();
        }
        let issued = now();
        let aud: Value = match audiences.as_slice() {
            [one] => json!(one),
            many => json!(many),
        };
        sign(
            &json!({
                "iss": self.issuer, "sub": user, "aud": aud, "azp": client.client_id, "client_id": client.client_id,
                "scope": scopes.join(" "), "preferred_username": user, "iat": issued, "exp": issued + 900,
                "jti": urlsafe_token(),
            }),
            "at+JWT",
        )
    }

    fn audiences_for(&self, client: &IssuerClient, scopes: &[String]) -> Vec<String> {
        let mut audiences =
            if client.audiences.is_empty() { vec![client.client_id.clone()] } else { client.audiences.clone() };
        for (scope, audience) in &self.policy.scope_audiences {
            if scopes.contains(scope) && !audiences.contains(audience) {
                audiences.push(audience.clone());
            }
        }
        audiences
    }

    /// `POST` of the token endpoint.
    pub fn answer(&self, headers: &HeaderMap, body: &[u8]) -> Response {
        let form: HashMap<String, String> = url::form_urlencoded::parse(body).into_owned().collect();
        let Some(client) = authenticated_client(headers, &form, self.clients) else {
            return oauth_error(401, "invalid_client", "Invalid client or Invalid client credentials");
        };
        match form.get("grant_type").map(String::as_str) {
            Some("authorization_code") => self.redeem(client, &form),
            Some(TOKEN_EXCHANGE) if self.policy.token_exchange => self.exchange(client, &form),
            _ => oauth_error(400, "unsupported_grant_type", "Unsupported grant_type"),
        }
    }

    fn redeem(&self, client: &IssuerClient, form: &HashMap<String, String>) -> Response {
        let code = form.get("code").cloned().unwrap_or_default();
        let grant = {
            let mut codes = self.codes.lock();
            let Some(grant) = codes.get_mut(&code) else {
                return oauth_error(400, "invalid_grant", "Code not valid");
            };
            if grant.used {
                return oauth_error(400, "invalid_grant", "Authorization code has already been used.");
            }
            grant.used = true;
            grant.clone()
        };
        if grant.client_id != client.client_id {
            return oauth_error(400, "invalid_grant", "Code not issued to this client");
        }
        if form.get("redirect_uri") != Some(&grant.redirect_uri) {
            return oauth_error(400, "invalid_grant", "Incorrect redirect_uri");
        }
        if let Some(challenge) = &grant.challenge {
            if !form.get("code_verifier").is_some_and(|v| pkce_matches(challenge, v)) {
                return oauth_error(400, "invalid_grant", "Invalid code_verifier.");
            }
        }
        let audiences = self.audiences_for(client, &grant.scopes);
        let access = self.access_token(client, &grant.user, &grant.scopes, audiences);
        let issued = now();
        let id_token = sign(
            &json!({ "iss": self.issuer, "sub": grant.user, "aud": client.client_id, "azp": client.client_id,
                     "iat": issued, "exp": issued + 900, "nonce": grant.nonce }),
            "JWT",
        );
        let mut answer =
            json!({ "access_token": access, "token_type": "Bearer", "expires_in": 900, "id_token": id_token });
        if !self.policy.refresh_needs_offline_access || grant.scopes.iter().any(|s| s == "offline_access") {
            answer["refresh_token"] = json!(urlsafe_token());
        }
        json_response(200, &answer)
    }

    /// Standard token exchange as Keycloak has it: the subject token must be one of this issuer's and meant for
    /// the requesting client; the requested audience must be one the requested scopes add.
    fn exchange(&self, client: &IssuerClient, form: &HashMap<String, String>) -> Response {
        let Some(claims) = form.get("subject_token").and_then(|t| verified_claims(t)) else {
            return oauth_error(400, "invalid_token", "Invalid token");
        };
        if claims.get("iss").and_then(Value::as_str) != Some(self.issuer)
            || !(audiences(&claims).contains(&client.client_id)
                || claims.get("azp").and_then(Value::as_str) == Some(client.client_id.as_str()))
        {
            return oauth_error(403, "access_denied", "Client is not within the token audience");
        }
        // The client's default scopes apply to an exchange too (Keycloak's default client scopes).
        let mut asked: Vec<String> =
            form.get("scope").map(|s| s.split_whitespace().map(str::to_owned).collect()).unwrap_or_default();
        asked.extend(client.default_scopes.iter().filter(|s| !asked.contains(s)).cloned().collect::<Vec<_>>());
        let added: Vec<String> = self
            .policy
            .scope_audiences
            .iter()
            .filter(|(scope, _)| asked.contains(scope))
            .map(|(_, audience)| audience.clone())
            .collect();
        let requested = form.get("audience").cloned();
        let audiences = match requested {
            Some(a) if !added.contains(&a) => {
                return oauth_error(400, "invalid_request", &format!("Requested audience not available: {a}"));
            }
            Some(a) => vec![a],
            None if added.is_empty() => vec![client.client_id.clone()],
            None => added,
        };
        let user = claims.get("sub").and_then(Value::as_str).unwrap_or_default().to_owned();
        let mut granted = scopes(&claims);
        for s in asked {
            if !granted.contains(&s) {
                granted.push(s);
            }
        }
        let token = self.access_token(client, &user, &granted, audiences);
        json_response(
            200,
            &json!({ "access_token": token, "token_type": "Bearer", "expires_in": 900,
                     "issued_token_type": "urn:ietf:params:oauth:token-type:access_token" }),
        )
    }
}

/// What a person's browser does with a simulated issuer's sign-in page, for tests and the demo: opens the
/// authorization address, submits the form with `user` and `password`, and returns where the issuer sends the
/// browser back to (the redirect it answers with, not followed), or the page's complaint.
pub async fn browser_sign_in(authorize_url: &str, user: &str, password: &str) -> Result<String, String> {
    let client =
        reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().map_err(|e| e.to_string())?;
    let page = client.get(authorize_url).send().await.map_err(|e| e.to_string())?;
    let status = page.status();
    let text = page.text().await.unwrap_or_default();
    if !status.is_success() || !text.contains("id=\"kc-form-login\"") {
        return Err(format!("no sign-in form: HTTP {status}: {}", text.chars().take(200).collect::<String>()));
    }
    let url = url::Url::parse(authorize_url).map_err(|e| e.to_string())?;
    let mut form: Vec<(String, String)> = url.query_pairs().into_owned().collect();
    form.push(("username".into(), user.into()));
    form.push(("password".into(), password.into()));
    let mut action = url.clone();
    action.set_query(None);
    let answer = client.post(action).form(&form).send().await.map_err(|e| e.to_string())?;
    match answer.headers().get(http::header::LOCATION).and_then(|v| v.to_str().ok()) {
        Some(location) => Ok(location.to_owned()),
        None => Err(format!("no redirect: HTTP {}", answer.status())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signed_token_verifies_and_a_tampered_one_does_not() {
        let token = sign(&json!({ "iss": "x", "sub": "u", "aud": "a", "exp": now() + 60 }), "at+JWT");
        assert_eq!(verified_claims(&token).and_then(|c| c.get("sub").cloned()), Some(json!("u")));
        let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
        parts[1] = base64::Engine::encode(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD,
            br#"{"iss":"x","sub":"admin","aud":"a","exp":99999999999}"#,
        );
        assert_eq!(verified_claims(&parts.join(".")), None);
        let expired = sign(&json!({ "iss": "x", "sub": "u", "exp": now() - 3600 }), "at+JWT");
        assert_eq!(verified_claims(&expired), None);
    }
}
