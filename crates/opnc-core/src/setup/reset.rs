//! Resets of a working pair: replace Nextcloud's OAuth client, rotate the project-folder app password, or
//! push OpenProject's replaced OAuth application to Nextcloud. Each ends with the proof.
//!
//! These cannot be rolled back (the old Nextcloud client and app password stop working the moment the new
//! ones exist), so they roll forward: every step is safe to repeat, and a failed reset is finished by
//! running it again. What each invalidates, and who must connect again, is `ResetKind::impact`.

use serde::Serialize;

use crate::catalogue::Said;
use crate::error::{ClientError, ErrorCode, ErrorView};
use crate::nextcloud::{NextcloudClient, SetupValues, INTEGRATION_APP};
use crate::openproject::{OpenProjectClient, Storage, StoragePatch};
use crate::openproject_web::AdminPages;
use crate::said;
use crate::secret::SecretString;
use crate::setup::proof::{prove, Proof};
use crate::version::parse_server_version;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum ResetKind {
    NextcloudOauth,
    AppPassword,
    OpenprojectOauth,
}

impl ResetKind {
    /// What the confirmation says before anything is written: exactly what stops working and who must act.
    /// `project_folders`: the storage uses the project-folder app password.
    ///
    /// From the sources: Nextcloud's `/setup` POST deletes its OAuth client for OpenProject and creates another
    /// (`recreateOauthClientInformation`), and with `setup_app_password: false` deletes the app password
    /// (integration_openproject `lib/Controller/ConfigController.php`); OpenProject deletes the storage's old OAuth
    /// client on saving a new one (`app/services/oauth_clients/create_service.rb`), and its users' tokens with it
    /// (`oauth_client_tokens` references it `on_delete: :cascade`); a new OpenProject client id or secret makes
    /// Nextcloud revoke and clear every user's OpenProject token (`setIntegrationConfig`); `setup_app_password:
    /// true` alone replaces only the app password.
    pub fn impact(self, project_folders: bool) -> Said {
        match self {
            ResetKind::NextcloudOauth if project_folders => said!("reset-impact-nextcloud_oauth-project_folders"),
            ResetKind::NextcloudOauth => said!("reset-impact-nextcloud_oauth"),
            ResetKind::AppPassword => said!("reset-impact-app_password"),
            ResetKind::OpenprojectOauth => said!("reset-impact-openproject_oauth"),
        }
    }

    /// What the admin tells users once the reset is done.
    pub fn afterwards(self) -> Said {
        match self {
            ResetKind::NextcloudOauth => said!("reset-afterwards-nextcloud_oauth"),
            ResetKind::AppPassword => said!("reset-afterwards-app_password"),
            ResetKind::OpenprojectOauth => said!("reset-afterwards-openproject_oauth"),
        }
    }

    /// Whether users must connect their accounts again.
    pub fn users_must_reauthorize(self) -> bool {
        self != ResetKind::AppPassword
    }
}

#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct ResetOutcome {
    pub kind: ResetKind,
    pub steps: Vec<Said>,
    pub proof: Proof,
    /// Users must connect their accounts again (not after an app-password rotation).
    pub users_must_reauthorize: bool,
}

/// Why a reset stopped, and how to finish it.
#[derive(Debug, Clone)]
pub struct ResetError {
    pub error: ErrorView,
    pub done: Vec<Said>,
}

impl ResetError {
    fn from_client(error: ClientError, done: &[Said]) -> Self {
        let mut view = error.view();
        if let Some(done_list) = Said::list(done) {
            let hint = view.hint_said.take().map_or_else(|| said!("plain", text = &view.hint), |h| *h);
            view.set_hint(said!("hint-reset_partly_done").arg_said("hint", hint).arg_said("done", done_list));
        }
        Self { error: view, done: done.to_vec() }
    }

    /// `what`: the part of the answer that was missing.
    fn incomplete(what: Said, done: &[Said]) -> Self {
        Self {
            error: ErrorView::new(
                ErrorCode::IncompleteAnswer,
                said!("error-reset_incomplete").arg_said("what", what),
                said!("hint-reset_again"),
            ),
            done: done.to_vec(),
        }
    }
}

async fn app_version(nc: &NextcloudClient) -> Result<semver::Version, ClientError> {
    let caps = nc.capabilities().await?;
    Ok(caps.integration.and_then(|i| parse_server_version(&i.app_version)).unwrap_or(crate::compat::INTEGRATION_APP))
}

async fn finish(
    op: &OpenProjectClient,
    nc: &NextcloudClient,
    kind: ResetKind,
    storage_id: i64,
    steps: Vec<Said>,
) -> Result<ResetOutcome, ResetError> {
    let storage = op.storage(storage_id).await.map_err(|e| ResetError::from_client(e, &steps))?;
    let proof = prove(op, nc, &storage, storage.has_application_password == Some(true))
        .await
        .map_err(|e| ResetError::from_client(e, &steps))?;
    if !proof.ok() {
        let failed: Vec<Said> = proof.failed().iter().map(|c| Said::new(format!("proof-{}-failed", c.name))).collect();
        return Err(ResetError {
            error: ErrorView::new(
                ErrorCode::ProofFailed,
                said!("error-reset_proof_failed")
                    .arg_said("failed", Said::list(&failed).unwrap_or_else(|| said!("plain", text = ""))),
                crate::said!("hint-reset_proof_failed"),
            ),
            done: steps,
        });
    }
    Ok(ResetOutcome { kind, steps, proof, users_must_reauthorize: kind.users_must_reauthorize() })
}

/// A new Nextcloud OAuth client, given to OpenProject. Nextcloud only issues a new client on a full setup
/// POST, which also drops the project-folder app password; with project folders in use a new app password
/// is created and given to OpenProject as well.
pub async fn replace_nextcloud_oauth(
    op: &OpenProjectClient,
    nc: &NextcloudClient,
    storage: &Storage,
) -> Result<ResetOutcome, ResetError> {
    let mut done = Vec::new();
    let fail = |e: ClientError, done: &Vec<Said>| ResetError::from_client(e, done);
    let version = app_version(nc).await.map_err(|e| fail(e, &done))?;
    let value = |key: &'static str| nc.app_config_value(INTEGRATION_APP, key);
    // The OpenProject client id and secret Nextcloud holds go into the full POST unchanged.
    let (client_id, secret) = tokio::join!(value("openproject_client_id"), nc.openproject_client_secret());
    let (client_id, secret) = (client_id.map_err(|e| fail(e, &done))?, secret.map_err(|e| fail(e, &done))?);
    let Some(secret) = secret else {
        return Err(ResetError {
            error: ErrorView::new(
                ErrorCode::IncompleteAnswer,
                said!("error-reset_secret_hidden"),
                said!("hint-reset_secret_hidden"),
            ),
            done,
        });
    };
    let project_folders = storage.has_application_password == Some(true);
    let values = SetupValues::oauth2(op.base().clone(), client_id.expose().clone(), secret, false);
    let answer = nc.create_setup(&values, &version).await.map_err(|e| fail(e, &done))?;
    done.push(said!("reset-done-new_nextcloud_client"));
    let (Some(nc_client_id), Some(nc_secret)) = (answer.nextcloud_client_id, answer.nextcloud_client_secret) else {
        return Err(ResetError::incomplete(said!("reset-part-oauth_client"), &done));
    };
    op.set_oauth_client_credentials(storage.id, &nc_client_id, &nc_secret).await.map_err(|e| fail(e, &done))?;
    done.push(said!("reset-done-openproject_given_nextcloud_client"));
    if project_folders {
        push_new_app_password(op, nc, storage.id, &version, &mut done).await?;
    }
    finish(op, nc, ResetKind::NextcloudOauth, storage.id, done).await
}

async fn push_new_app_password(
    op: &OpenProjectClient,
    nc: &NextcloudClient,
    storage_id: i64,
    version: &semver::Version,
    done: &mut Vec<Said>,
) -> Result<(), ResetError> {
    let patch = SetupValues {
        authorization_method: Some("oauth2".into()),
        setup_project_folder: Some(false),
        setup_app_password: Some(true),
        ..SetupValues::default()
    };
    let answer = nc.update_setup(&patch, version).await.map_err(|e| ResetError::from_client(e, done))?;
    done.push(said!("reset-done-new_app_password"));
    let Some(password) = answer.openproject_user_app_password else {
        return Err(ResetError::incomplete(said!("reset-part-app_password"), done));
    };
    let patch = StoragePatch { application_password: Some(password.clone()), ..StoragePatch::default() };
    let (given, writes) =
        tokio::join!(op.update_storage(storage_id, &patch), nc.project_folder_user_can_write(&password),);
    given.map_err(|e| ResetError::from_client(e, done))?;
    done.push(said!("reset-done-openproject_given_app_password"));
    // The same write OpenProject's synchronisation makes, while the new password is in hand.
    match writes {
        Ok(true) => done.push(said!("reset-done-app_password_writes")),
        Ok(false) => done.push(said!("reset-done-app_password_needs_confirmation")),
        Err(e) => tracing::warn!("the new app password's write was not proven: {}", e.view().message),
    }
    Ok(())
}

/// A new app password for Nextcloud's "OpenProject" user, given to OpenProject.
pub async fn rotate_app_password(
    op: &OpenProjectClient,
    nc: &NextcloudClient,
    storage: &Storage,
) -> Result<ResetOutcome, ResetError> {
    let mut done = Vec::new();
    let version = app_version(nc).await.map_err(|e| ResetError::from_client(e, &done))?;
    push_new_app_password(op, nc, storage.id, &version, &mut done).await?;
    finish(op, nc, ResetKind::AppPassword, storage.id, done).await
}

/// Gives Nextcloud OpenProject's new OAuth application (replaced in OpenProject's web interface, which
/// shows the secret once), then proves it with OpenProject's token endpoint.
pub async fn push_openproject_oauth(
    op: &OpenProjectClient,
    nc: &NextcloudClient,
    storage: &Storage,
    client_id: &str,
    client_secret: &SecretString,
) -> Result<ResetOutcome, ResetError> {
    let mut done = Vec::new();
    let version = app_version(nc).await.map_err(|e| ResetError::from_client(e, &done))?;
    let values = SetupValues {
        authorization_method: Some("oauth2".into()),
        openproject_client_id: Some(client_id.to_owned()),
        openproject_client_secret: Some(client_secret.clone()),
        ..SetupValues::default()
    };
    nc.update_setup(&values, &version).await.map_err(|e| ResetError::from_client(e, &done))?;
    done.push(said!("reset-done-nextcloud_given_openproject_client"));
    finish(op, nc, ResetKind::OpenprojectOauth, storage.id, done).await
}

/// Replaces OpenProject's OAuth application through the admin's session and gives Nextcloud the new values at
/// once: the one request that destroys the old application, the secret read from its answer, Nextcloud's
/// setup PATCH, then the API shows the new client id and the proof (OpenProject's token endpoint accepts
/// the secret Nextcloud now holds). When OpenProject replaced but did not show the secret, this stops and
/// says so — the old application is gone and only another replace gives a new secret.
pub async fn replace_openproject_oauth(
    op: &OpenProjectClient,
    nc: &NextcloudClient,
    web: &AdminPages,
    storage: &Storage,
) -> Result<ResetOutcome, ResetError> {
    let before = storage.oauth_application.as_ref().map(|a| a.client_id.clone());
    let replaced = match web.replace_oauth_application(storage.id).await {
        Ok(r) => r,
        Err(e) if e.code() == ErrorCode::ResultNotShown => {
            let done = vec![said!("reset-done-openproject_replaced_old_gone")];
            let mut failure = ResetError::from_client(e, &[]);
            failure.error.set_hint(said!("hint-reset_secret_not_shown", page = openproject_oauth_page(op, storage.id)));
            failure.done = done;
            return Err(failure);
        }
        Err(e) => return Err(ResetError::from_client(e, &[])),
    };
    let version = app_version(nc).await.map_err(|e| ResetError::from_client(e, &[]))?;
    let mut done = vec![said!("reset-done-openproject_replaced")];
    let values = SetupValues {
        authorization_method: Some("oauth2".into()),
        openproject_client_id: Some(replaced.client_id.clone()),
        openproject_client_secret: Some(replaced.client_secret.clone()),
        ..SetupValues::default()
    };
    nc.update_setup(&values, &version).await.map_err(|e| ResetError::from_client(e, &done))?;
    done.push(said!("reset-done-nextcloud_given_openproject_client"));
    let now = op.storage(storage.id).await.map_err(|e| ResetError::from_client(e, &done))?;
    let now_id = now.oauth_application.as_ref().map(|a| a.client_id.clone());
    if now_id.as_deref() != Some(replaced.client_id.as_str()) || now_id == before {
        return Err(ResetError {
            error: ErrorView::new(
                ErrorCode::ProofFailed,
                said!("error-reset_client_not_shown"),
                said!("hint-reset_client_not_shown", page = openproject_oauth_page(op, storage.id)),
            ),
            done,
        });
    }
    done.push(said!("reset-done-api_shows_new_client"));
    finish(op, nc, ResetKind::OpenprojectOauth, storage.id, done).await
}

/// The hand-off for the replace: polls OpenProject's API until the storage shows a client id other than `old`
/// (the admin replaced it on the page), for up to `timeout`; `None` when the time ran out or `cancel` turned true.
pub async fn wait_for_new_openproject_client(
    op: &OpenProjectClient,
    storage_id: i64,
    old: &str,
    timeout: std::time::Duration,
    cancel: &std::sync::atomic::AtomicBool,
) -> Result<Option<String>, ClientError> {
    let started = std::time::Instant::now();
    loop {
        let storage = op.storage(storage_id).await?;
        let id = storage.oauth_application.map(|a| a.client_id).unwrap_or_default();
        if !id.is_empty() && id != old {
            return Ok(Some(id));
        }
        if started.elapsed() >= timeout || cancel.load(std::sync::atomic::Ordering::SeqCst) {
            return Ok(None);
        }
        tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    }
}

/// The page of OpenProject's admin interface where the storage's OAuth application is replaced.
pub fn openproject_oauth_page(op: &OpenProjectClient, storage_id: i64) -> String {
    format!("{}/admin/settings/storages/{storage_id}/edit", op.base())
}
