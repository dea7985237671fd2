//! Nextcloud signed in for one command or one desktop session, so that its password is checked once.
//!
//! A real Nextcloud hashes the account password on every request that carries it (~0.3 s each, measured on
//! Nextcloud 34.0.1), and an app password costs a fraction of that. So an account password is exchanged once
//! for an app password (`getapppassword`), every later request uses that, and it is revoked when the session
//! ends. The account password stays in memory only for calls that need password confirmation (enabling an app
//! over OCS) and is dropped as soon as those are done. An app password given as input is used as it is.

use crate::error::ClientError;
use crate::nextcloud::{NextcloudClient, NextcloudCredentials};

/// How the session's app password came about, which decides what happens to it at the end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AppPasswordOrigin {
    /// Given as input (or remembered): used as it is, never revoked.
    Given,
    /// Made for this session from the account password, or by a browser sign-in: revoked when it ends.
    Temporary,
    /// Made from the account password (or by a browser sign-in) to be remembered on this computer: kept.
    Kept,
}

/// Nextcloud, signed in.
#[derive(Debug, Clone)]
pub struct NextcloudSession {
    /// Every request goes through this client: it carries the app password.
    pub client: NextcloudClient,
    /// The account password, only until `forget_account_password`.
    account: Option<NextcloudClient>,
    origin: AppPasswordOrigin,
}

impl NextcloudSession {
    /// Signs in with what the admin gave: an account password is exchanged for an app password (one password
    /// check); an app password is used as it is. `keep`: the new app password is for remembering (not revoked).
    pub async fn open(client: NextcloudClient, keep: bool) -> Result<Self, ClientError> {
        let Some(given) = client.credentials().cloned() else {
            return Ok(Self { client, account: None, origin: AppPasswordOrigin::Given });
        };
        match client.exchange_for_app_password().await? {
            Some(app_password) => {
                let session = client.with_credentials(NextcloudCredentials {
                    login_name: given.login_name.clone(),
                    password: app_password,
                });
                let origin = if keep { AppPasswordOrigin::Kept } else { AppPasswordOrigin::Temporary };
                Ok(Self { client: session, account: Some(client), origin })
            }
            None => Ok(Self { client, account: None, origin: AppPasswordOrigin::Given }),
        }
    }

    /// A session on an app password that already exists (a browser sign-in's, or the keyring's).
    pub fn with_app_password(client: NextcloudClient, origin: AppPasswordOrigin) -> Self {
        Self { client, account: None, origin }
    }

    /// The client with the account password, for calls that need password confirmation; `None` when the admin
    /// gave an app password (then only the browser or `occ` can do those).
    pub fn account(&self) -> Option<&NextcloudClient> {
        self.account.as_ref()
    }

    /// Drops the account password: nothing needs it any more.
    pub fn forget_account_password(&mut self) {
        self.account = None;
    }

    pub fn origin(&self) -> AppPasswordOrigin {
        self.origin
    }

    /// The credentials to remember on this computer: always an app password, never the account password.
    pub fn app_password(&self) -> Option<&NextcloudCredentials> {
        self.client.credentials()
    }

    /// Gives up a session that could not be used as meant (remembering it failed): an app password made for it,
    /// temporary or to be kept, is revoked.
    pub async fn discard(&self) -> bool {
        self.origin != AppPasswordOrigin::Given && self.client.revoke_app_password().await.is_ok()
    }

    /// Ends the session: a temporary app password is revoked (`true` when it was). Safe to call more than once
    /// on clones: a second revoke of the same app password is refused by Nextcloud and ignored here.
    pub async fn close(&self) -> bool {
        self.origin == AppPasswordOrigin::Temporary && self.client.revoke_app_password().await.is_ok()
    }
}
