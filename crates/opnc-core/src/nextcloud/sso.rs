//! The Nextcloud apps SSO between OpenProject and Nextcloud rests on: `oidc` (Nextcloud Hub as identity provider)
//! and `user_oidc` (Nextcloud trusting an identity provider's tokens). As recorded on Nextcloud 34.0.1 with oidc
//! 2.0.9 and user_oidc 8.10.1 (`shared/contracts/recorded/nextcloud-34.0.1-sso-apps.json`): the oidc app's client
//! routes are index.php routes that pass the CSRF check only with `OCS-APIRequest: true`, and work with an app
//! password; every user_oidc write needs password confirmation (the account password).

use http::Method;
use serde_json::{json, Value};

use super::{not_admin, ocs_data, str_at, NextcloudClient, OidcProvider};
use crate::error::ClientError;
use crate::http::Request;
use crate::secret::SecretString;

/// A client the oidc app made; its secret is only in this answer (and in Nextcloud's admin page).
#[derive(Debug, Clone)]
pub struct OidcClientCreated {
    /// The numeric id the delete and token-type routes take.
    pub id: i64,
    pub client_id: String,
    pub client_secret: SecretString,
    pub token_type: String,
}

/// The oidc client's secret and redirect URIs, for a test sign-in as OpenProject.
#[derive(Debug, Clone)]
pub struct OidcClientSignIn {
    pub client_secret: SecretString,
    pub redirect_uris: Vec<String>,
}

/// A client of the oidc app as its admin page lists it (the secret it also shows is never read).
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize, serde::Serialize, ts_rs::TS)]
pub struct OidcClientInfo {
    pub id: i64,
    pub name: String,
    #[serde(rename = "clientId")]
    pub client_id: String,
    /// `jwt` or `opaque` (opaque tokens break OpenProject's bearer check, user_oidc#1040).
    #[serde(rename = "tokenType")]
    pub token_type: String,
}

/// A user_oidc provider to create.
#[derive(Debug, Clone)]
pub struct NewUserOidcProvider {
    pub identifier: String,
    pub client_id: String,
    pub client_secret: SecretString,
    pub discovery_endpoint: String,
    pub scope: String,
}

/// A new oidc client id: 64 letters and digits, the length the oidc app makes its own.
pub fn new_oidc_client_id() -> String {
    use rand::distr::{Alphanumeric, SampleString};
    Alphanumeric.sample_string(&mut rand::rng(), 64)
}

impl NextcloudClient {
    fn oidc_route(&self, method: Method, route: &str) -> Request {
        self.plain(method, &format!("index.php/apps/oidc/{route}")).header("OCS-APIRequest", "true")
    }

    /// `POST /index.php/apps/oidc/clients`: a confidential client with JWT access tokens (opaque tokens break
    /// OpenProject's bearer check, user_oidc#1040), with the client id given (32–64 printable characters), so that a
    /// create whose answer never came can be found again on the oidc app's admin page (`oidc_clients`); a second
    /// client with the same id is refused with a 500 (measured).
    pub async fn create_oidc_client(
        &self,
        name: &str,
        redirect_uri: &str,
        client_id: &str,
    ) -> Result<OidcClientCreated, ClientError> {
        let body = json!({
            "name": name, "redirectUri": redirect_uri, "signingAlg": "RS256", "type": "confidential",
            "flowType": "code", "tokenType": "jwt", "clientId": client_id
        });
        let r = self.call(self.oidc_route(Method::POST, "clients").json(body), &[200]).await.map_err(not_admin)?;
        let v = r.json_value()?;
        let id = v.get("id").and_then(Value::as_i64).ok_or_else(|| r.unparseable("no client `id`".into()))?;
        let client_id = str_at(&v, "/clientId").ok_or_else(|| r.unparseable("no `clientId`".into()))?;
        let client_secret = str_at(&v, "/clientSecret").ok_or_else(|| r.unparseable("no `clientSecret`".into()))?;
        Ok(OidcClientCreated {
            id,
            client_id,
            client_secret: SecretString::from(client_secret),
            token_type: str_at(&v, "/tokenType").unwrap_or_default(),
        })
    }

    /// The oidc app's clients. There is no API that lists them; its admin settings page
    /// (`/index.php/settings/admin/oidc_provider`, H2CK/oidc `lib/Settings/Admin.php`) hands them to its script as
    /// the initial state `oidc-clients` (base64 JSON), with Basic auth or an app password (measured on Nextcloud
    /// 34.0.1 with oidc 2.0.9). `None`: the page has no such state (the app is not there, or another version).
    pub async fn oidc_clients(&self) -> Result<Option<Vec<OidcClientInfo>>, ClientError> {
        let Some((state, r)) = self.oidc_client_state().await? else { return Ok(None) };
        // Only the fields above are read: the secret in the same objects is dropped by the parser.
        let clients: Vec<OidcClientInfo> = serde_json::from_slice(&state)
            .map_err(|_| r.unparseable("the oidc clients' initial state is not the list of clients".into()))?;
        Ok(Some(clients))
    }

    /// What the test sign-in needs of the oidc client with `client_id`: its secret and redirect URIs, from the same
    /// admin page (Nextcloud shows the secret there to every admin). Held in memory for that sign-in only.
    pub async fn oidc_client_for_sign_in(&self, client_id: &str) -> Result<Option<OidcClientSignIn>, ClientError> {
        let Some((state, r)) = self.oidc_client_state().await? else { return Ok(None) };
        let clients: Vec<Value> = serde_json::from_slice(&state)
            .map_err(|_| r.unparseable("the oidc clients' initial state is not the list of clients".into()))?;
        let Some(client) = clients.iter().find(|c| c.get("clientId").and_then(Value::as_str) == Some(client_id)) else {
            return Ok(None);
        };
        let redirect_uris = client
            .get("redirectUris")
            .and_then(Value::as_array)
            .map(|list| list.iter().filter_map(|u| u.get("redirect_uri")?.as_str().map(str::to_owned)).collect())
            .unwrap_or_default();
        let secret = client.get("clientSecret").and_then(Value::as_str).unwrap_or_default();
        Ok(Some(OidcClientSignIn { client_secret: SecretString::from(secret), redirect_uris }))
    }

    /// The oidc app's admin page's initial state of its clients, decoded (`None` without the app or the page).
    async fn oidc_client_state(&self) -> Result<Option<(Vec<u8>, crate::http::RawResponse)>, ClientError> {
        let r = self.call(self.plain(Method::GET, "index.php/settings/admin/oidc_provider"), &[200, 403, 404]).await?;
        if r.status.as_u16() != 200 {
            return Ok(None);
        }
        let html = String::from_utf8_lossy(&r.body);
        let state = crate::html_scan::tags(&html)
            .into_iter()
            .find(|t| t.name == "input" && t.has("id", "initial-state-oidc-clients"))
            .and_then(|t| t.attr("value").map(str::to_owned));
        let Some(state) = state else { return Ok(None) };
        use base64::Engine;
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(state.trim())
            .map_err(|_| r.unparseable("the oidc clients' initial state is not base64".into()))?;
        Ok(Some((decoded, r)))
    }

    /// `DELETE /index.php/apps/oidc/clients/{id}`. A client that is not there is a 500 error page (measured).
    pub async fn delete_oidc_client(&self, id: i64) -> Result<(), ClientError> {
        self.call(self.oidc_route(Method::DELETE, &format!("clients/{id}")), &[200]).await.map_err(not_admin)?;
        Ok(())
    }

    /// Refresh tokens that never expire: OpenProject keeps a user's token chain alive without asking again.
    pub async fn set_oidc_refresh_expire_never(&self) -> Result<(), ClientError> {
        let body = json!({ "refreshExpireTime": "never" });
        self.call(self.oidc_route(Method::POST, "refreshExpire").json(body), &[200]).await.map_err(not_admin)?;
        Ok(())
    }

    /// user_oidc's `store_login_token` ("1"/"0", "" when never set): `None` when it was never set.
    pub async fn store_login_token(&self) -> Result<Option<bool>, ClientError> {
        let value = self.app_config_value("user_oidc", "store_login_token").await?;
        Ok(match value.expose().trim() {
            "" => None,
            v => Some(v == "1" || v == "true"),
        })
    }

    /// Sets user_oidc's `store_login_token`. Needs password confirmation.
    pub async fn set_store_login_token(&self, on: bool) -> Result<(), ClientError> {
        let request = self
            .ocs(Method::POST, "ocs/v2.php/apps/user_oidc/api/v1/admin-config")
            .json(json!({ "values": { "store_login_token": on } }));
        self.call(request, &[200]).await.map_err(not_admin)?;
        Ok(())
    }

    /// Creates a user_oidc provider that accepts the identity provider's bearer tokens. Needs password
    /// confirmation; user_oidc fetches the discovery document first.
    pub async fn create_user_oidc_provider(&self, new: &NewUserOidcProvider) -> Result<OidcProvider, ClientError> {
        let body = json!({
            "identifier": new.identifier, "clientId": new.client_id, "clientSecret": new.client_secret.expose(),
            "discoveryEndpoint": new.discovery_endpoint, "scope": new.scope,
            "settings": { "checkBearer": true, "bearerProvisioning": false, "uniqueUid": true }
        });
        let request = self.ocs(Method::POST, "ocs/v2.php/apps/user_oidc/api/v1/provider").json(body);
        let r = self.call(request, &[200]).await.map_err(not_admin)?;
        let data = ocs_data(&r)?;
        super::provider_from(&data).ok_or_else(|| r.unparseable("the new provider has no `id`".into()))
    }

    /// Deletes a user_oidc provider; `false` when it was not there. Needs password confirmation.
    pub async fn delete_user_oidc_provider(&self, id: i64) -> Result<bool, ClientError> {
        let request = self.ocs(Method::DELETE, &format!("ocs/v2.php/apps/user_oidc/api/v1/provider/{id}"));
        let r = self.call(request, &[200, 404]).await.map_err(not_admin)?;
        Ok(r.status.as_u16() == 200)
    }
}
