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
    /// OpenProject's bearer check, user_oidc#1040), with the client id given (32–64 printable characters): a
    /// second client with the same id is refused with a 500 (measured), which tells whether a create whose answer
    /// never came has landed.
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
