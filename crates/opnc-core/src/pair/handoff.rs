//! The hand-offs, for what OpenProject's pages cannot do here: the admin acts on the page, the assistant watches
//! the read-only API until the result shows. And Nextcloud's browser sign-in, which is a watch too.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use super::{http_client, Cancelled, ConnectedPair, PairError, Watched};
use crate::error::Server;
use crate::nextcloud::{NextcloudClient, NextcloudCredentials};
use crate::secret::SecretString;
use crate::server_url::UrlPolicy;
use crate::setup::projects::{self, EnableOutcome, Refused};
use crate::setup::reset::{self, ResetOutcome};

/// How long Nextcloud keeps a Login Flow v2 open.
pub const LOGIN_FLOW_LIFETIME: Duration = Duration::from_secs(20 * 60);

impl PairError {
    /// The error of "Replace OpenProject OAuth" that offers the hand-off instead (nothing was sent).
    pub fn offers_handoff(&self) -> bool {
        match self {
            PairError::WebSessionRequired { .. } => true,
            PairError::Reset(e) => e.error.code == crate::ErrorCode::PageNotRecognized,
            _ => false,
        }
    }
}

impl ConnectedPair {
    /// Notes the client id OpenProject shows now, hands its page to `open_page`, then waits (up to `timeout`, or
    /// until `cancel`) for the admin to replace the OAuth application there; returns the new client id.
    pub async fn watch_openproject_replace(
        &self,
        open_page: impl FnOnce(&str),
        timeout: Duration,
        cancel: &AtomicBool,
    ) -> Result<String, PairError> {
        let storage = self.storage().await?;
        let old = storage.oauth_application.map(|a| a.client_id).unwrap_or_default();
        open_page(&reset::openproject_oauth_page(&self.op, storage.id));
        match reset::wait_for_new_openproject_client(&self.op, storage.id, &old, timeout, cancel).await? {
            Some(id) => Ok(id),
            None if cancel.load(Ordering::SeqCst) => Err(PairError::Cancelled(Cancelled::Watch)),
            None => Err(PairError::WatchTimedOut(Watched::OpenProjectReplace)),
        }
    }

    /// Gives Nextcloud the client id OpenProject shows now and the secret the admin copied from its page, then
    /// proves the pair (OpenProject's token endpoint must accept the secret).
    pub async fn give_openproject_oauth(
        &self,
        client_id: &str,
        secret: &SecretString,
    ) -> Result<ResetOutcome, PairError> {
        let storage = self.storage().await?;
        let shown = storage.oauth_application.as_ref().map(|a| a.client_id.as_str());
        if shown != Some(client_id) {
            return Err(PairError::Changed {
                message: crate::said!("error-other_client_shown"),
                hint: crate::said!("hint-other_client_shown"),
            });
        }
        Ok(reset::push_openproject_oauth(&self.op, &self.nc, &storage, client_id, secret).await?)
    }

    /// Waits (up to `timeout`, or until `cancel`) for OpenProject's sign-in page to offer the OpenID provider `slug`
    /// (`/auth/<slug>`), after the admin entered it on OpenProject's admin page: the hand-off verified without an
    /// admin session. Returns whether it appeared.
    pub async fn watch_openproject_provider(
        &self,
        slug: &str,
        timeout: Duration,
        cancel: &AtomicBool,
    ) -> Result<bool, PairError> {
        let started = Instant::now();
        loop {
            let offered = crate::openproject_web::sign_in_providers(self.op.http(), self.op.base()).await?;
            if offered.iter().any(|s| s == slug) {
                return Ok(true);
            }
            if started.elapsed() >= timeout || cancel.load(Ordering::SeqCst) {
                return Ok(false);
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    }

    /// Waits (up to `timeout`, or until `cancel`) for the projects to use the storage after the admin added them
    /// on OpenProject's pages. The ones still missing then are in `refused`.
    pub async fn watch_projects(
        &self,
        project_ids: &[i64],
        timeout: Duration,
        cancel: &AtomicBool,
    ) -> Result<EnableOutcome, PairError> {
        let storage = self.storage().await?;
        let chosen = self.chosen(project_ids, false).await?;
        let (already, rest) = projects::already_enabled(&self.op, storage.id, &chosen).await?;
        let (todo, archived): (Vec<_>, Vec<_>) = rest.into_iter().partition(|p| p.active);
        let started = Instant::now();
        loop {
            let (now, missing) = projects::already_enabled(&self.op, storage.id, &todo).await?;
            if missing.is_empty() || started.elapsed() >= timeout || cancel.load(Ordering::SeqCst) {
                let names = |l: &[crate::openproject::Project]| l.iter().map(|p| p.name.clone()).collect::<Vec<_>>();
                return Ok(EnableOutcome {
                    added: names(&now),
                    already: names(&already),
                    archived: names(&archived),
                    refused: missing
                        .iter()
                        .map(|p| Refused {
                            project: p.name.clone(),
                            reason: crate::said!("projects-not_added_while_watched"),
                        })
                        .collect(),
                    ..EnableOutcome::default()
                });
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    }
}

/// The base address under what the admin typed or pasted (a page copied from the browser works), for the sign-in
/// window and the "what will be used" line.
pub async fn resolve_address(
    server: Server,
    input: &str,
    allow_insecure_http: bool,
) -> Result<crate::address::ResolvedAddress, PairError> {
    let http = http_client()?;
    Ok(crate::address::resolve(&http, server, input, UrlPolicy { allow_insecure_http }).await?)
}

/// Nextcloud's browser sign-in (Login Flow v2): starts the flow, hands the page to open to `open_page`, then
/// polls every two seconds until the admin granted access, the flow expired (20 minutes) or `cancelled` turned
/// true. Works with two-factor authentication and SSO, as it happens in the browser.
pub async fn nextcloud_browser_sign_in(
    nextcloud_url: &str,
    allow_insecure_http: bool,
    open_page: impl Fn(&str),
    cancelled: &AtomicBool,
) -> Result<NextcloudCredentials, PairError> {
    let http = http_client()?;
    let policy = UrlPolicy { allow_insecure_http };
    let url = crate::address::resolve(&http, Server::Nextcloud, nextcloud_url, policy).await?.url;
    let anonymous = NextcloudClient::new(http, url, None);
    let flow = anonymous.start_login_flow().await?;
    open_page(&flow.login_url);
    let started = Instant::now();
    while started.elapsed() < LOGIN_FLOW_LIFETIME {
        if cancelled.load(Ordering::SeqCst) {
            return Err(PairError::Cancelled(Cancelled::BrowserSignIn));
        }
        if let Some(granted) = anonymous.poll_login_flow(&flow).await? {
            return Ok(NextcloudCredentials { login_name: granted.login_name, password: granted.app_password });
        }
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
    Err(PairError::WatchTimedOut(Watched::BrowserSignIn))
}

impl ConnectedPair {
    /// Creates OpenProject's OpenID provider from the setup's hand-off values through OpenProject's admin pages
    /// (its web sign-in is needed: there is no API), then proves it by its sign-in page offering it. `client_secret`:
    /// the secret of OpenProject's client at the identity provider (Nextcloud Hub: the one the setup made). Where the
    /// page is not what this version should show, nothing is sent and the error offers the hand-off.
    pub async fn create_openproject_provider(
        &self,
        handoff: &crate::setup::sso::ProviderHandoff,
        client_secret: crate::SecretString,
    ) -> Result<bool, PairError> {
        let web = self.web.as_ref().ok_or_else(|| PairError::WebSessionRequired {
            page: handoff.page.clone(),
            action: super::failure::WebAction::CreateOpenidProvider,
        })?;
        let new = crate::openproject_web::NewOpenidProvider {
            display_name: handoff.display_name.clone(),
            discovery_url: handoff.discovery_url.clone(),
            client_id: handoff.client_id.clone(),
            client_secret,
            scopes: handoff.scopes.clone(),
        };
        web.create_openid_provider(&new).await?;
        let offered = crate::openproject_web::sign_in_providers(self.op.http(), self.op.base()).await?;
        Ok(offered.contains(&handoff.sign_in_slug))
    }
}
