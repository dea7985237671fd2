//! Credentials kept in the operating system's keyring (macOS Keychain, Windows Credential Manager, the
//! Secret Service on Linux), per server and user — and nowhere else: no file, no config, no log.

use crate::nextcloud::NextcloudCredentials;
use crate::secret::SecretString;
use crate::server_url::ServerUrl;

/// The keyring could not be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{} ({})", message.english(), hint.english())]
pub struct KeychainError {
    pub message: crate::catalogue::Said,
    pub hint: crate::catalogue::Said,
}

impl KeychainError {
    fn from_keyring(error: keyring::Error) -> Self {
        // The keyring's messages never contain the secret itself; its platform details (D-Bus errors) go to the
        // debug log, not to the person.
        tracing::debug!("keyring: {error}");
        match &error {
            keyring::Error::NoStorageAccess(_) | keyring::Error::PlatformFailure(_) => Self {
                message: crate::said!("error-keyring_unavailable"),
                hint: crate::said!("hint-keyring_unavailable"),
            },
            other => Self {
                message: crate::said!("error-keyring_refused", reason = other),
                hint: crate::said!("hint-keyring_refused"),
            },
        }
    }
}

/// The assistant's entries in the system keyring.
#[derive(Debug, Clone)]
pub struct Keychain {
    service: String,
}

impl Default for Keychain {
    fn default() -> Self {
        Self::new("opnc-setup-assistant")
    }
}

impl Keychain {
    /// `service` separates installations (and tests) from each other.
    pub fn new(service: impl Into<String>) -> Self {
        Self { service: service.into() }
    }

    fn entry(&self, account: &str) -> Result<keyring::Entry, KeychainError> {
        keyring::Entry::new(&self.service, account).map_err(KeychainError::from_keyring)
    }

    fn get(&self, account: &str) -> Result<Option<SecretString>, KeychainError> {
        match self.entry(account)?.get_password() {
            Ok(value) => Ok(Some(SecretString::from(value))),
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(e) => Err(KeychainError::from_keyring(e)),
        }
    }

    fn set(&self, account: &str, value: &str) -> Result<(), KeychainError> {
        self.entry(account)?.set_password(value).map_err(KeychainError::from_keyring)
    }

    fn delete(&self, account: &str) -> Result<(), KeychainError> {
        match self.entry(account)?.delete_credential() {
            Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
            Err(e) => Err(KeychainError::from_keyring(e)),
        }
    }

    fn openproject_account(url: &ServerUrl) -> String {
        format!("openproject {url}")
    }

    fn nextcloud_account(url: &ServerUrl) -> String {
        format!("nextcloud {url}")
    }

    pub fn remember_openproject_token(&self, url: &ServerUrl, token: &SecretString) -> Result<(), KeychainError> {
        self.set(&Self::openproject_account(url), token.expose())
    }

    pub fn openproject_token(&self, url: &ServerUrl) -> Result<Option<SecretString>, KeychainError> {
        self.get(&Self::openproject_account(url))
    }

    /// Stores the login name with the password: a Nextcloud login name never contains a line break.
    pub fn remember_nextcloud(&self, url: &ServerUrl, credentials: &NextcloudCredentials) -> Result<(), KeychainError> {
        let value = format!("{}\n{}", credentials.login_name, credentials.password.expose());
        self.set(&Self::nextcloud_account(url), &value)
    }

    pub fn nextcloud(&self, url: &ServerUrl) -> Result<Option<NextcloudCredentials>, KeychainError> {
        Ok(self.get(&Self::nextcloud_account(url))?.and_then(|value| {
            let (login, password) = value.expose().split_once('\n')?;
            Some(NextcloudCredentials { login_name: login.to_owned(), password: SecretString::from(password) })
        }))
    }

    /// Removes both servers' entries of a pair (a missing entry is fine).
    pub fn forget(&self, openproject: &ServerUrl, nextcloud: &ServerUrl) -> Result<(), KeychainError> {
        self.delete(&Self::openproject_account(openproject))?;
        self.delete(&Self::nextcloud_account(nextcloud))
    }
}
