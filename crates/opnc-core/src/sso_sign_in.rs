//! The test sign-in: what no setting shows, a real user's token shows. A person signs in through the identity
//! provider as OpenProject's client would have them (the face opens the address and hands back the one the browser
//! was sent to); the assistant redeems the code itself (PKCE, OpenProject's client credentials), checks the access
//! token as both servers will — its signature against the provider's JWKS, `iss`, `aud`, scopes (OpenProject:
//! `modules/openid_connect/app/services/openid_connect/jwt_parser.rb` and
//! `lib_static/open_project/authentication/strategies/warden/jwt_oidc.rb`; Nextcloud: user_oidc's
//! `lib/User/Validator/SelfEncodedValidator.php`) — exchanges it where the storage does, and then lets each server
//! answer for itself: the token as a bearer on Nextcloud's OCS API and on OpenProject's API v3. Then every token
//! is dropped; none is written anywhere.
//!
//! Measured on Nextcloud 34.0.1 with oidc 2.0.9: the authorization endpoint redirects a signed-in browser to the
//! client's redirect URI with `state` and `code` (PKCE S256 honoured: a wrong verifier is `invalid_grant`
//! "Invalid code_verifier."); the token's `iss` is the base URL with its port, `aud` the client id, `scope` what was
//! asked for; such a token on the OCS API is a 401 "Current user is not logged in" until
//! `user_oidc.oidc_provider_bearer_validation` is on, then the user.

use std::future::Future;
use std::pin::Pin;

use http::Method;
use serde::Serialize;
use serde_json::Value;

use crate::catalogue::Said;
use crate::error::Server;
use crate::findings::{Finding, FindingCode as C, Severity};
use crate::http::{Auth, HttpClient, Request};
use crate::nextcloud::{NextcloudClient, OidcProvider};
use crate::oidc::Discovery;
use crate::openproject::{OpenProjectClient, Storage, IDP_AUDIENCE};
use crate::said;
use crate::secret::SecretString;

/// The scopes OpenProject's provider asks for: API v3 access (16.0+) and refresh tokens.
pub const OPENPROJECT_SCOPES: &str = "openid email profile api_v3 offline_access";

/// What the person running the test gives beyond what the servers show: for an external identity provider,
/// OpenProject's client there (Nextcloud Hub's is read from the oidc app's admin page).
#[derive(Debug, Clone, Default)]
pub struct SignInRequest {
    pub openproject_client_id: Option<String>,
    pub openproject_client_secret: Option<SecretString>,
    /// The slug of OpenProject's OpenID provider (`oidc-…`), when its sign-in page offers more than one.
    pub openproject_provider: Option<String>,
}

/// What a face shows the person: where to sign in, and the address the browser will be sent back to.
#[derive(ts_rs::TS, Debug, Clone, Serialize)]
pub struct SignInPrompt {
    /// The identity provider's authorization address for this one sign-in.
    pub authorize_url: String,
    /// OpenProject's callback: the browser ends here; a face that controls the browser stops it there.
    pub redirect_uri: String,
}

/// The address the browser was sent back to (it carries the code), or `None` when the person gave up.
pub type SignInAnswer = Pin<Box<dyn Future<Output = Option<SecretString>> + Send>>;

/// A face's part in the test sign-in.
pub type SignInFace = dyn Fn(SignInPrompt) -> SignInAnswer + Send + Sync;

/// What the test sign-in found.
#[derive(ts_rs::TS, Debug, Clone, Serialize)]
pub struct SignInOutcome {
    pub findings: Vec<Finding>,
    /// The sign-in went as far as both servers answering for the token.
    pub completed: bool,
    /// The sign-in could not start or was given up: why.
    pub not_run: Option<Said>,
}

impl SignInOutcome {
    fn not_run(reason: Said) -> Self {
        Self { findings: Vec::new(), completed: false, not_run: Some(reason) }
    }
}

/// How the pair expects tokens to travel, read from both sides.
#[derive(Debug, Clone)]
struct Expectations {
    hub: bool,
    /// The token OpenProject's client gets must carry this audience (OpenProject's provider's client id).
    openproject_audience: String,
    /// RFC 8693: the audience and scope OpenProject exchanges the token for before calling Nextcloud.
    exchange: Option<(String, String)>,
    /// user_oidc's provider (external identity providers): the audience Nextcloud checks.
    nextcloud_provider: Option<OidcProvider>,
}

/// OpenProject's client at the identity provider, for this sign-in.
struct SignInClient {
    client_id: String,
    client_secret: SecretString,
    redirect_uri: String,
}

fn blocker(code: C, server: Option<Server>, message: Said) -> Finding {
    Finding::new(code, Severity::Blocker, server, message)
}

/// Runs the test sign-in for an SSO `storage`, asking `face` to have the person sign in.
pub async fn run(
    op: &OpenProjectClient,
    nc: &NextcloudClient,
    storage: &Storage,
    request: &SignInRequest,
    face: &SignInFace,
) -> SignInOutcome {
    let expectations = match expectations(nc, storage, request).await {
        Ok(e) => e,
        Err(reason) => return SignInOutcome::not_run(reason),
    };
    let discovery_url = match (&expectations.nextcloud_provider, expectations.hub) {
        (_, true) => crate::oidc::nextcloud_hub_discovery(nc.base()),
        (Some(p), false) => {
            match crate::ServerUrl::parse(&p.discovery_endpoint, crate::UrlPolicy { allow_insecure_http: true }) {
                Ok(url) => url,
                Err(_) => return SignInOutcome::not_run(said!("signin-provider_no_discovery")),
            }
        }
        (None, false) => return SignInOutcome::not_run(said!("signin-no_provider_named")),
    };
    let discovery = match crate::oidc::discovery(op.http(), &discovery_url).await {
        Ok(d) => d,
        Err(e) => return SignInOutcome::not_run(said!("signin-discovery_unreadable").arg_said("reason", e.said().0)),
    };
    let client = match sign_in_client(op, nc, &expectations, request).await {
        Ok(c) => c,
        Err(reason) => return SignInOutcome::not_run(reason),
    };
    let flow = match Flow::new(&discovery, &client) {
        Ok(f) => f,
        Err(reason) => return SignInOutcome::not_run(reason),
    };
    let prompt = SignInPrompt { authorize_url: flow.authorize_url.clone(), redirect_uri: client.redirect_uri.clone() };
    let Some(answer) = face(prompt).await else {
        return SignInOutcome::not_run(said!("signin-given_up"));
    };
    let mut findings = Vec::new();
    let tokens = match flow.redeem(op.http(), &discovery, &client, &answer).await {
        Ok(t) => t,
        Err(finding) => return SignInOutcome { findings: vec![*finding], completed: false, not_run: None },
    };
    let checked = check_token(op.http(), &discovery, &tokens, &expectations).await;
    let token_usable = checked.iter().all(|f| f.code != C::SsoTokenNotJwt && f.code != C::SsoTokenSignatureInvalid);
    findings.extend(checked);
    if !token_usable {
        return SignInOutcome { findings, completed: false, not_run: None };
    }
    // The token Nextcloud gets: exchanged where the storage exchanges, else the one OpenProject holds.
    let for_nextcloud = match &expectations.exchange {
        Some((audience, scope)) => {
            match exchange(op.http(), &discovery, &client, &tokens.access, audience, scope).await {
                Ok(token) => {
                    findings.extend(nextcloud_audience(&token, &expectations));
                    Some(token)
                }
                Err(finding) => {
                    findings.push(*finding);
                    None
                }
            }
        }
        None => {
            findings.extend(nextcloud_audience(&tokens.access, &expectations));
            Some(tokens.access.clone())
        }
    };
    if let Some(token) = &for_nextcloud {
        findings.extend(nextcloud_answers(nc, token, &expectations).await);
    }
    findings.extend(openproject_answers(op, &tokens.access).await);
    let completed = for_nextcloud.is_some();
    if completed && findings.iter().all(|f| f.severity == Severity::Info) {
        findings.push(
            Finding::new(
                C::SsoTestSignInPassed,
                Severity::Info,
                Some(Server::IdentityProvider),
                said!("fm-sso_test_sign_in_passed"),
            )
            .evidence(format!(
                "issuer {}; OpenProject's client {}; {}",
                discovery.issuer,
                client.client_id,
                match &expectations.exchange {
                    Some((audience, _)) => format!("exchanged for audience {audience}"),
                    None => "the token sent as it is".to_owned(),
                }
            )),
        );
    }
    SignInOutcome { findings, completed, not_run: None }
}

async fn expectations(nc: &NextcloudClient, storage: &Storage, request: &SignInRequest) -> Result<Expectations, Said> {
    let (settings, providers) = tokio::join!(crate::doctor_sso::NextcloudSso::read(nc), nc.user_oidc_providers());
    let crate::doctor_sso::NextcloudSso { hub, oidc_provider, audience, .. } = settings;
    let exchange = storage
        .storage_audience
        .as_deref()
        .filter(|a| *a != IDP_AUDIENCE && !a.is_empty())
        .map(|a| (a.to_owned(), storage.token_exchange_scope.clone().unwrap_or_default()));
    let nextcloud_provider = match hub {
        true => None,
        false => providers.ok().flatten().unwrap_or_default().into_iter().find(|p| p.identifier == oidc_provider),
    };
    if !hub && nextcloud_provider.is_none() {
        return Err(said!("signin-provider_missing", provider = &oidc_provider));
    }
    let openproject_audience = match (hub, request.openproject_client_id.clone()) {
        (_, Some(id)) => id,
        (true, None) => audience,
        // With token exchange Nextcloud knows OpenProject's client id as the audience it exchanges for.
        (false, None) if !audience.is_empty() => audience,
        (false, None) => return Err(said!("signin-client_id_needed")),
    };
    if openproject_audience.is_empty() {
        return Err(said!("signin-client_not_named"));
    }
    Ok(Expectations { hub, openproject_audience, exchange, nextcloud_provider })
}

async fn sign_in_client(
    op: &OpenProjectClient,
    nc: &NextcloudClient,
    expectations: &Expectations,
    request: &SignInRequest,
) -> Result<SignInClient, Said> {
    let client_id = expectations.openproject_audience.clone();
    if expectations.hub {
        let found = nc
            .oidc_client_for_sign_in(&client_id)
            .await
            .map_err(|e| said!("signin-clients_unreadable").arg_said("reason", e.said().0))?;
        let Some(found) = found else {
            return Err(said!("signin-no_client", client_id = &client_id));
        };
        let redirect_uri = found
            .redirect_uris
            .iter()
            .find(|u| u.contains("/auth/oidc-"))
            .or(found.redirect_uris.first())
            .cloned()
            .ok_or_else(|| said!("signin-no_redirect_uri"))?;
        return Ok(SignInClient { client_id, client_secret: found.client_secret, redirect_uri });
    }
    let client_secret = request.openproject_client_secret.clone().ok_or_else(|| said!("signin-secret_needed"))?;
    let slug = match &request.openproject_provider {
        Some(slug) => slug.clone(),
        None => {
            let offered = crate::openproject_web::sign_in_providers(op.http(), op.base())
                .await
                .map_err(|e| said!("signin-page_unreadable").arg_said("reason", e.said().0))?;
            let oidc: Vec<String> = offered.into_iter().filter(|s| s.starts_with("oidc-")).collect();
            match oidc.as_slice() {
                [one] => one.clone(),
                [] => return Err(said!("signin-no_openid_provider")),
                _ => return Err(said!("signin-several_providers", providers = oidc.join(", "))),
            }
        }
    };
    let redirect_uri = op.base().join(&format!("auth/{slug}/callback")).to_string();
    Ok(SignInClient { client_id, client_secret, redirect_uri })
}

/// One authorization-code flow with PKCE, built by the OAuth library.
struct Flow {
    authorize_url: String,
    state: SecretString,
    verifier: SecretString,
}

type FlowClient = oauth2::Client<
    oauth2::basic::BasicErrorResponse,
    oauth2::basic::BasicTokenResponse,
    oauth2::basic::BasicTokenIntrospectionResponse,
    oauth2::StandardRevocableToken,
    oauth2::basic::BasicRevocationErrorResponse,
    oauth2::EndpointSet,
    oauth2::EndpointNotSet,
    oauth2::EndpointNotSet,
    oauth2::EndpointNotSet,
    oauth2::EndpointSet,
>;

fn flow_client(discovery: &Discovery, client: &SignInClient) -> Result<FlowClient, Said> {
    use oauth2::{AuthUrl, ClientId, ClientSecret, RedirectUrl, TokenUrl};
    let bad = |what: Said| said!("signin-endpoint_unusable").arg_said("endpoint", what);
    Ok(oauth2::basic::BasicClient::new(ClientId::new(client.client_id.clone()))
        .set_client_secret(ClientSecret::new(client.client_secret.expose().clone()))
        .set_auth_uri(
            AuthUrl::new(discovery.authorization_endpoint.clone())
                .map_err(|_| bad(said!("signin-authorization_endpoint")))?,
        )
        .set_token_uri(
            TokenUrl::new(discovery.token_endpoint.clone()).map_err(|_| bad(said!("signin-token_endpoint")))?,
        )
        .set_redirect_uri(
            RedirectUrl::new(client.redirect_uri.clone()).map_err(|_| said!("signin-callback_unusable"))?,
        ))
}

/// The tokens of one sign-in; never printed, dropped after the checks.
struct Tokens {
    access: SecretString,
    refresh: bool,
}

impl Flow {
    fn new(discovery: &Discovery, client: &SignInClient) -> Result<Self, Said> {
        let oauth = flow_client(discovery, client)?;
        let (challenge, verifier) = oauth2::PkceCodeChallenge::new_random_sha256();
        let mut authorize = oauth.authorize_url(oauth2::CsrfToken::new_random).set_pkce_challenge(challenge);
        for scope in OPENPROJECT_SCOPES.split_whitespace() {
            authorize = authorize.add_scope(oauth2::Scope::new(scope.to_owned()));
        }
        let (url, state) = authorize.url();
        Ok(Self {
            authorize_url: url.to_string(),
            state: SecretString::from(state.secret().clone()),
            verifier: SecretString::from(verifier.secret().clone()),
        })
    }

    /// The code from the address the browser came back to, redeemed at the token endpoint.
    async fn redeem(
        &self,
        http: &HttpClient,
        discovery: &Discovery,
        client: &SignInClient,
        answer: &SecretString,
    ) -> Result<Tokens, Box<Finding>> {
        use oauth2::TokenResponse;
        let failed = |message: Said, evidence: String, fix: Said| {
            Box::new(
                blocker(C::SsoTestSignInFailed, Some(Server::IdentityProvider), message).evidence(evidence).fix(fix),
            )
        };
        let back = url::Url::parse(answer.expose().trim()).map_err(|_| {
            failed(said!("fm-sign_in_not_an_address"), "not an address".into(), said!("ff-sign_in_not_an_address"))
        })?;
        let expected = url::Url::parse(&client.redirect_uri).ok();
        let same_place = expected.as_ref().is_some_and(|e| {
            e.scheme() == back.scheme()
                && e.host_str() == back.host_str()
                && e.port_or_known_default() == back.port_or_known_default()
                && e.path() == back.path()
        });
        let query = |key: &str| back.query_pairs().find(|(k, _)| k == key).map(|(_, v)| v.into_owned());
        if !same_place {
            return Err(failed(
                said!("fm-sign_in_elsewhere"),
                format!(
                    "expected {}, came back to {}://{}{}",
                    client.redirect_uri,
                    back.scheme(),
                    back.host_str().unwrap_or_default(),
                    back.path()
                ),
                said!("ff-sign_in_elsewhere"),
            ));
        }
        if let Some(error) = query("error") {
            let description = query("error_description").unwrap_or_default();
            return Err(failed(
                said!("fm-sign_in_refused", error = &error),
                format!("error {error:?}, error_description {description:?}"),
                match error.as_str() {
                    "invalid_scope" => said!("ff-sign_in_invalid_scope"),
                    "access_denied" => said!("ff-sign_in_access_denied"),
                    _ => said!("ff-sign_in_refused"),
                },
            ));
        }
        if query("state").as_deref() != Some(self.state.expose().as_str()) {
            return Err(failed(
                said!("fm-sign_in_state_mismatch"),
                "state mismatch".into(),
                said!("ff-sign_in_state_mismatch"),
            ));
        }
        let Some(code) = query("code") else {
            return Err(failed(said!("fm-sign_in_no_code"), "no code parameter".into(), said!("ff-sign_in_no_code")));
        };
        let oauth = flow_client(discovery, client).map_err(|e| {
            failed(said!("fm-sign_in_flow").arg_said("reason", e), String::new(), said!("ff-sign_in_flow"))
        })?;
        let send = move |req: oauth2::HttpRequest| {
            let http = http.clone();
            async move { crate::openproject::send_oauth_request(&http, Server::IdentityProvider, req).await }
        };
        let result = oauth
            .exchange_code(oauth2::AuthorizationCode::new(code))
            .set_pkce_verifier(oauth2::PkceCodeVerifier::new(self.verifier.expose().clone()))
            .request_async(&send)
            .await;
        match result {
            Ok(tokens) => Ok(Tokens {
                access: SecretString::from(tokens.access_token().secret().clone()),
                refresh: tokens.refresh_token().is_some(),
            }),
            Err(oauth2::RequestTokenError::ServerResponse(resp)) => {
                let error = resp.error().as_ref().to_owned();
                let description = resp.error_description().cloned().unwrap_or_default();
                let invalid_client = error == "invalid_client" || error == "unauthorized_client";
                Err(failed(
                    if invalid_client {
                        said!("fm-sign_in_invalid_client")
                    } else {
                        said!("fm-sign_in_no_token", error = &error)
                    },
                    format!("token endpoint: error {error:?}, error_description {description:?}"),
                    if invalid_client { said!("ff-sign_in_invalid_client") } else { said!("ff-sign_in_no_token") },
                ))
            }
            Err(oauth2::RequestTokenError::Request(e)) => {
                Err(Box::new(Finding::from_error(C::SsoTestSignInFailed, &e)))
            }
            Err(oauth2::RequestTokenError::Parse(_, body)) => Err(failed(
                said!("fm-sign_in_not_a_token_response"),
                crate::http::redacted_excerpt(&body),
                said!("ff-sign_in_not_a_token_response"),
            )),
            Err(oauth2::RequestTokenError::Other(o)) => {
                Err(failed(said!("fm-sign_in_flow", reason = o), String::new(), said!("ff-try_again")))
            }
        }
    }
}

/// The token's verified claims: signed by a key of the provider's JWKS, not expired.
async fn verified_claims(http: &HttpClient, discovery: &Discovery, token: &SecretString) -> Result<Value, Finding> {
    let header = jsonwebtoken::decode_header(token.expose()).map_err(|_| {
        blocker(C::SsoTokenNotJwt, Some(Server::IdentityProvider), said!("fm-sign_in_token_not_jwt"))
            .evidence("the access token has no JWT header")
            .fix(said!("ff-sign_in_token_not_jwt"))
    })?;
    let invalid = |evidence: String| {
        blocker(C::SsoTokenSignatureInvalid, Some(Server::IdentityProvider), said!("fm-sso_token_signature_invalid"))
            .evidence(evidence)
            .fix(said!("ff-sso_token_signature_invalid"))
    };
    let jwks_url = url::Url::parse(&discovery.jwks_uri)
        .map_err(|_| invalid(format!("jwks_uri {:?} is not an address", discovery.jwks_uri)))?;
    let r = http
        .send(Request::new(Server::IdentityProvider, Method::GET, jwks_url).header("Accept", "application/json"))
        .await
        .map_err(|e| invalid(format!("JWKS {}: {}", discovery.jwks_uri, e.message())))?;
    let set: jsonwebtoken::jwk::JwkSet = serde_json::from_slice(&r.body)
        .map_err(|_| invalid(format!("JWKS {} is not a key set", discovery.jwks_uri)))?;
    let key = match &header.kid {
        Some(kid) => set.find(kid),
        None => set.keys.first(),
    }
    .ok_or_else(|| invalid(format!("no key {:?} in the JWKS", header.kid)))?;
    let decoding = jsonwebtoken::DecodingKey::from_jwk(key).map_err(|e| invalid(format!("JWKS key unusable: {e}")))?;
    let mut validation = jsonwebtoken::Validation::new(header.alg);
    validation.validate_aud = false;
    validation.leeway = 60;
    jsonwebtoken::decode::<Value>(token.expose(), &decoding, &validation)
        .map(|t| t.claims)
        .map_err(|e| invalid(format!("{:?} signed token: {e}", header.alg)))
}

fn audiences(claims: &Value) -> Vec<String> {
    match claims.get("aud") {
        Some(Value::String(a)) => vec![a.clone()],
        Some(Value::Array(list)) => list.iter().filter_map(|a| a.as_str().map(str::to_owned)).collect(),
        _ => Vec::new(),
    }
}

fn scopes(claims: &Value) -> Vec<String> {
    claims.get("scope").and_then(Value::as_str).unwrap_or_default().split_whitespace().map(str::to_owned).collect()
}

/// The token OpenProject holds, checked as OpenProject's API and the storage will check it.
async fn check_token(http: &HttpClient, discovery: &Discovery, tokens: &Tokens, expect: &Expectations) -> Vec<Finding> {
    let claims = match verified_claims(http, discovery, &tokens.access).await {
        Ok(c) => c,
        Err(f) => return vec![f],
    };
    let mut findings = Vec::new();
    let iss = claims.get("iss").and_then(Value::as_str).unwrap_or_default();
    if iss != discovery.issuer {
        findings.push(
            blocker(C::SsoTokenIssuerMismatch, Some(Server::IdentityProvider), said!("fm-sso_token_issuer_mismatch"))
                .evidence(format!("token iss {iss:?}; discovery issuer {:?}", discovery.issuer))
                .fix(said!("ff-sso_token_issuer_mismatch")),
        );
    }
    let aud = audiences(&claims);
    if !aud.contains(&expect.openproject_audience) {
        findings.push(
            blocker(C::SsoTokenAudienceWrong, Some(Server::OpenProject), said!("fm-sso_token_audience_wrong"))
                .evidence(format!("token aud {aud:?}; OpenProject's client {:?}", expect.openproject_audience))
                .fix(said!("ff-sso_token_audience_wrong")),
        );
    }
    let granted = scopes(&claims);
    if !granted.iter().any(|s| s == "api_v3") {
        findings.push(
            blocker(C::SsoApiScopeMissing, Some(Server::OpenProject), said!("fm-sso_api_scope_missing"))
                .evidence(format!("token scope {:?}", granted.join(" ")))
                .fix(said!("ff-sso_api_scope_missing")),
        );
    }
    if !tokens.refresh {
        findings.push(
            Finding::new(
                C::SsoOfflineAccessMissing,
                Severity::Warning,
                Some(Server::IdentityProvider),
                said!("fm-sso_offline_access_missing"),
            )
            .evidence(format!("no refresh_token; token scope {:?}", granted.join(" ")))
            .fix(said!("ff-sso_offline_access_missing")),
        );
    }
    findings
}

/// For an external identity provider: the token Nextcloud gets must name user_oidc's client as its audience.
fn nextcloud_audience(token: &SecretString, expect: &Expectations) -> Vec<Finding> {
    let Some(provider) = &expect.nextcloud_provider else { return Vec::new() };
    let Some(claims) = unverified_claims(token) else { return Vec::new() };
    let aud = audiences(&claims);
    if aud.contains(&provider.client_id) {
        return Vec::new();
    }
    vec![blocker(
        C::SsoNextcloudAudienceWrong,
        Some(Server::Nextcloud),
        said!("fm-sso_nextcloud_audience_wrong", provider = &provider.identifier),
    )
    .evidence(format!("token aud {aud:?}; user_oidc client id {:?}", provider.client_id))
    .fix(match &expect.exchange {
        Some(_) => said!("ff-sso_nextcloud_audience_wrong_exchange"),
        None => said!("ff-sso_nextcloud_audience_wrong"),
    })]
}

/// The claims without checking the signature: only to explain a refusal the servers made for themselves.
fn unverified_claims(token: &SecretString) -> Option<Value> {
    use base64::Engine;
    let payload = token.expose().split('.').nth(1)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(payload.trim_end_matches('=')).ok()?;
    serde_json::from_slice(&bytes).ok()
}

/// RFC 8693, as OpenProject does it for a storage with an audience: the user's token for one meant for Nextcloud.
async fn exchange(
    http: &HttpClient,
    discovery: &Discovery,
    client: &SignInClient,
    token: &SecretString,
    audience: &str,
    scope: &str,
) -> Result<SecretString, Box<Finding>> {
    let refused = |evidence: String| {
        Box::new(
            blocker(
                C::SsoTokenExchangeRefused,
                Some(Server::IdentityProvider),
                said!("fm-sso_token_exchange_refused", audience = audience),
            )
            .evidence(evidence)
            .fix(said!("ff-sso_token_exchange_refused")),
        )
    };
    let url = url::Url::parse(&discovery.token_endpoint).map_err(|_| refused("no usable token endpoint".into()))?;
    let mut fields = vec![
        ("grant_type".to_owned(), crate::oidc::TOKEN_EXCHANGE_GRANT.to_owned()),
        ("subject_token".to_owned(), token.expose().clone()),
        ("subject_token_type".to_owned(), "urn:ietf:params:oauth:token-type:access_token".to_owned()),
        ("audience".to_owned(), audience.to_owned()),
    ];
    if !scope.is_empty() {
        fields.push(("scope".to_owned(), scope.to_owned()));
    }
    let request = Request::new(Server::IdentityProvider, Method::POST, url)
        .auth(Auth::Basic { user: client.client_id.clone(), password: client.client_secret.clone() })
        .form(fields);
    let r = http.send(request).await.map_err(|e| refused(e.message()))?;
    let body: Value = serde_json::from_slice(&r.body).unwrap_or(Value::Null);
    match body.get("access_token").and_then(Value::as_str) {
        Some(t) if r.status.is_success() => Ok(SecretString::from(t)),
        _ => Err(refused(format!(
            "HTTP {}: error {:?}, error_description {:?}",
            r.status.as_u16(),
            body.get("error").and_then(Value::as_str).unwrap_or_default(),
            body.get("error_description").and_then(Value::as_str).unwrap_or_default()
        ))),
    }
}

/// Nextcloud answers for the token: who it is, or a 401.
async fn nextcloud_answers(nc: &NextcloudClient, token: &SecretString, expect: &Expectations) -> Vec<Finding> {
    let request = Request::new(Server::Nextcloud, Method::GET, nc.base().join("ocs/v2.php/cloud/user?format=json"))
        .auth(Auth::Bearer(token.clone()))
        .header("OCS-APIRequest", "true")
        .header("Accept", "application/json");
    let r = match nc.http().send(request).await {
        Ok(r) => r,
        Err(e) => return vec![Finding::from_error(C::SsoTokenRefusedByNextcloud, &e)],
    };
    if r.status.is_success() {
        return Vec::new();
    }
    let message = r
        .json_value()
        .ok()
        .and_then(|v| v.pointer("/ocs/meta/message").and_then(Value::as_str).map(str::to_owned))
        .unwrap_or_default();
    let finding =
        blocker(C::SsoTokenRefusedByNextcloud, Some(Server::Nextcloud), said!("fm-sso_token_refused_by_nextcloud"))
            .evidence(format!("GET /ocs/v2.php/cloud/user with the token: HTTP {} {message:?}", r.status.as_u16()));
    vec![match expect.hub {
        true => finding.fix(said!("ff-sso_token_refused_by_nextcloud_hub")).command(
            "sudo -u www-data php occ config:system:set user_oidc --type boolean --value=true oidc_provider_bearer_validation",
        ),
        false => finding.fix(said!("ff-sso_token_refused_by_nextcloud")),
    }]
}

/// OpenProject answers for the token: who it is, or a 401 with its reason in `WWW-Authenticate`.
async fn openproject_answers(op: &OpenProjectClient, token: &SecretString) -> Vec<Finding> {
    let request = Request::new(Server::OpenProject, Method::GET, op.base().join("api/v3/users/me"))
        .auth(Auth::Bearer(token.clone()))
        .header("Accept", "application/hal+json");
    let r = match op.http().send(request).await {
        Ok(r) => r,
        Err(e) => return vec![Finding::from_error(C::SsoTokenRefusedByOpenproject, &e)],
    };
    if r.status.is_success() {
        return Vec::new();
    }
    let reason =
        r.headers.get(http::header::WWW_AUTHENTICATE).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    let unknown_user = reason.contains("not known");
    vec![blocker(
        C::SsoTokenRefusedByOpenproject,
        Some(Server::OpenProject),
        said!("fm-sso_token_refused_by_openproject"),
    )
    .evidence(format!("GET /api/v3/users/me with the token: HTTP {}; {reason}", r.status.as_u16()))
    .fix(if unknown_user {
        said!("ff-sso_token_refused_by_openproject_unknown_user")
    } else {
        said!("ff-sso_token_refused_by_openproject")
    })]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn audiences_read_a_string_or_a_list() {
        assert_eq!(audiences(&serde_json::json!({ "aud": "a" })), vec!["a"]);
        assert_eq!(audiences(&serde_json::json!({ "aud": ["a", "b"] })), vec!["a", "b"]);
        assert!(audiences(&serde_json::json!({})).is_empty());
    }
}
