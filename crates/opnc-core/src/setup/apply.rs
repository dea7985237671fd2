//! Apply: the two-sided transaction. Each change is preceded by its compensation in the journal; any
//! failure rolls both sides back to the state before, with `error` and `rollback_error` kept apart.

use serde::Serialize;

use crate::catalogue::Said;
use crate::error::{ClientError, ErrorCode, ErrorKind, ErrorView};
use crate::nextcloud::{NextcloudClient, SetupValues};
use crate::openproject::{NewStorage, OpenProjectClient, Storage, StoragePatch};
use crate::said;
use crate::secret::SecretString;
use crate::setup::journal::{Compensation, EventKind, Job, JobStatus, JobStore, Phase};
use crate::setup::preflight::Facts;
use crate::setup::proof::{prove, prove_nextcloud_side, prove_openproject_side, Proof, SetupAnswer};
use crate::setup::{Plan, PlanMode};

/// Why a step failed.
#[derive(Debug, Clone)]
pub enum StepError {
    Client(ClientError),
    Incomplete(String),
    /// The failed proof checks: name and evidence.
    Proof(Vec<(&'static str, String)>),
    Journal(String),
    Cancelled,
}

impl From<ClientError> for StepError {
    fn from(e: ClientError) -> Self {
        StepError::Client(e)
    }
}

impl StepError {
    pub fn view(&self) -> ErrorView {
        match self {
            StepError::Client(e) => e.view(),
            StepError::Incomplete(what) => ErrorView::new(
                ErrorCode::IncompleteAnswer,
                said!("error-step_incomplete", what = what),
                said!("hint-step_incomplete"),
            ),
            StepError::Proof(failed) => {
                // Each failed check in the catalogue's words (which name the fix where there is one), with what
                // was seen.
                let items: Vec<crate::catalogue::Said> = failed
                    .iter()
                    .map(|(name, evidence)| {
                        said!("proof-failed_check", evidence = evidence)
                            .arg_said("check", crate::catalogue::Said::new(format!("proof-{name}-failed")))
                    })
                    .collect();
                ErrorView::new(
                    ErrorCode::ProofFailed,
                    said!("error-step_proof_failed").arg_said("failed", crate::catalogue::Said::sentences(&items)),
                    said!("hint-step_proof_failed"),
                )
            }
            StepError::Cancelled => {
                ErrorView::new(ErrorCode::Cancelled, said!("error-step_cancelled"), said!("hint-step_cancelled"))
            }
            StepError::Journal(e) => ErrorView::new(
                ErrorCode::JournalFailed,
                said!("error-step_journal", reason = e),
                said!("hint-step_journal"),
            ),
        }
    }
}

/// The result of applying a plan.
#[derive(Debug, Clone, Serialize)]
pub struct Outcome {
    pub job: Job,
    pub storage: Option<Storage>,
    pub proof: Option<Proof>,
    /// SSO: what the admin enters in OpenProject's OpenID provider form (it has no API).
    pub handoff: Option<crate::setup::sso::ProviderHandoff>,
}

impl Outcome {
    pub fn succeeded(&self) -> bool {
        self.job.status == JobStatus::Succeeded
    }
}

/// The two clients, the journal and a progress callback that sees every saved state of the job.
pub struct Runner<'a> {
    pub op: &'a OpenProjectClient,
    pub nc: &'a NextcloudClient,
    pub store: &'a JobStore,
    pub progress: &'a (dyn Fn(&Job) + Send + Sync),
    /// How long after a write began it may still land: a server goes on with a request whose client timed out,
    /// dropped the connection or died. While a write of the job may still land, the rollback watches both sides
    /// and undoes again what lands late (`roll_back`).
    pub settle: std::time::Duration,
    /// Set from elsewhere (a Cancel button) to stop before the next change: before the first write that
    /// costs nothing, after it the changes made so far are rolled back.
    pub cancel: Option<&'a std::sync::atomic::AtomicBool>,
    /// Nextcloud with the account password, for the writes that need password confirmation (user_oidc's); `None`
    /// when the session holds only an app password.
    pub account: Option<&'a NextcloudClient>,
}

/// The default: a little longer than the HTTP client's own bound on one request.
pub const DEFAULT_SETTLE: std::time::Duration = std::time::Duration::from_secs(65);

/// The phases that send a write: a job that stopped in one may have a write in flight.
fn writes(phase: Phase) -> bool {
    matches!(
        phase,
        Phase::ReplaceStorage
            | Phase::SwitchStorage
            | Phase::CreateOidcClient
            | Phase::ConfigureUserOidc
            | Phase::CreateStorage
            | Phase::ConfigureNextcloud
            | Phase::SetNextcloudClient
            | Phase::SetApplicationPassword
    )
}

/// Until when a write of `job` may still land: `settle` after its last recorded event (saved right before each
/// write), when the job stopped in a writing phase without knowing the write's outcome.
fn late_write_deadline(job: &Job, outcome_unknown: bool, settle: std::time::Duration) -> Option<std::time::SystemTime> {
    let stopped_in = job.events.iter().rev().find_map(|e| match &e.kind {
        EventKind::Failed { phase, .. } => Some(*phase),
        _ => None,
    });
    let phase = stopped_in.unwrap_or(job.phase);
    if !outcome_unknown || !writes(phase) || settle.is_zero() {
        return None;
    }
    let last_write_event =
        job.events.iter().rev().find(|e| {
            !matches!(e.kind, EventKind::Failed { .. } | EventKind::Interrupted | EventKind::RollbackStarted)
        })?;
    let deadline = std::time::UNIX_EPOCH + std::time::Duration::from_secs(last_write_event.at + 1) + settle;
    (deadline > std::time::SystemTime::now()).then_some(deadline)
}

impl Runner<'_> {
    /// Saves the job, then reports it: what a face shows has been recorded first.
    fn save(&self, job: &Job) -> Result<(), StepError> {
        let saved = self.store.save(job).map_err(|e| StepError::Journal(e.to_string()));
        (self.progress)(job);
        saved
    }

    /// The last save of a job that ended. If it cannot be written, a file that still says "running" must not stay for a
    /// job that succeeded or was rolled back: a later recovery would roll back a pair that works, or undo again what
    /// another setup did since — it is removed instead.
    fn save_final(&self, job: &Job) {
        if let Err(e) = self.save(job) {
            if job.status == JobStatus::RollbackFailed {
                // Still "running" on disk: the next recovery tries again, which is what is left to do.
                tracing::error!(job = %job.id, "the failed rollback could not be recorded ({e:?})");
                return;
            }
            let removed = self.store.remove(&job.id);
            tracing::error!(job = %job.id, "the job's final state could not be recorded ({e:?}); removed its file: {}", removed.is_ok());
        }
    }

    /// Creates the plan's storage (`sso`: one that authorises through the identity provider), its undo recorded
    /// first: by host and name until OpenProject has answered with its id.
    pub(crate) async fn create_storage(
        &self,
        plan: &Plan,
        sso: Option<&crate::openproject::StorageSso>,
        job: &mut Job,
    ) -> Result<crate::openproject::CreatedStorage, StepError> {
        job.enter(Phase::CreateStorage);
        job.record(Compensation::DeleteStorage {
            storage_id: None,
            nextcloud_url: plan.nextcloud_url.clone(),
            name: plan.options.storage_name.clone(),
        });
        self.checkpoint(job)?;
        let new = NewStorage {
            name: plan.options.storage_name.clone(),
            nextcloud_url: plan.nextcloud_url.clone(),
            application_password: None,
        };
        let created = self.op.create_storage_with(&new, sso).await?;
        let storage_id = created.storage.id;
        if let Some(Compensation::DeleteStorage { storage_id: id, .. }) = job.compensations.last_mut() {
            *id = Some(storage_id);
        }
        job.log(EventKind::changed(if sso.is_some() {
            said!("job-created_storage_sso", id = storage_id)
        } else {
            said!("job-created_storage", id = storage_id)
        }));
        self.checkpoint(job)?;
        Ok(created)
    }

    /// Saves the job, then stops here if the admin cancelled.
    pub(crate) fn checkpoint(&self, job: &Job) -> Result<(), StepError> {
        self.save(job)?;
        if self.cancel.is_some_and(|c| c.load(std::sync::atomic::Ordering::SeqCst)) {
            return Err(StepError::Cancelled);
        }
        Ok(())
    }

    /// Applies the plan. Never leaves the pair half-configured: on failure both sides are rolled back.
    pub async fn apply(&self, plan: &Plan, facts: &Facts) -> Outcome {
        let mut job = Job::new(
            &plan.openproject_url,
            &plan.nextcloud_url,
            &plan.options.storage_name,
            plan.options.project_folders,
        );
        let mut secrets = Secrets::default();
        // Taken before the job is first saved, so no other process ever sees it running without an owner.
        let _lease = match self.store.lease(&job.id) {
            Ok(lease) => lease,
            Err(e) => {
                job.error = Some(StepError::Journal(e.to_string()).view());
                job.status = JobStatus::RolledBack;
                return Outcome { job, storage: None, proof: None, handoff: None };
            }
        };
        let result = self.steps(plan, facts, &mut job, &mut secrets).await;
        match result {
            Ok((storage, proof, handoff)) => {
                job.enter(Phase::Done);
                job.status = JobStatus::Succeeded;
                job.log(EventKind::Succeeded);
                self.save_final(&job);
                Outcome { job, storage: Some(storage), proof: Some(proof), handoff }
            }
            Err((error, proof)) => {
                // Only a write whose answer never came may still be carried out by the server.
                let in_flight = matches!(&error, StepError::Client(e) if matches!(e.kind, ErrorKind::Timeout | ErrorKind::ConnectionDropped));
                let view = error.view();
                job.log(EventKind::Failed { phase: job.phase, error: view.clone() });
                job.error = Some(view);
                let _ = self.save(&job);
                self.roll_back(&mut job, &secrets, in_flight).await;
                Outcome { job, storage: None, proof, handoff: None }
            }
        }
    }

    async fn steps(
        &self,
        plan: &Plan,
        facts: &Facts,
        job: &mut Job,
        secrets: &mut Secrets,
    ) -> Result<(Storage, Proof, Option<crate::setup::sso::ProviderHandoff>), (StepError, Option<Proof>)> {
        let e = |err: StepError| (err, None);
        self.checkpoint(job).map_err(e)?;
        let nextcloud = plan.nextcloud_url.clone();
        let openproject = plan.openproject_url.clone();
        if plan.mode == PlanMode::ProveOnly {
            job.enter(Phase::Proof);
            self.checkpoint(job).map_err(e)?;
            let storage =
                facts.storage_for(&nextcloud).cloned().ok_or_else(|| e(StepError::Incomplete("the storage".into())))?;
            if let Some(sso) = &plan.sso {
                let checks = crate::setup::sso_apply::prove_sso(self.nc, &storage, sso, None, job.project_folders)
                    .await
                    .map_err(|err| e(err.into()))?;
                let storage_id = storage.id;
                return proven(storage, Proof { storage_id, checks }).map(|(s, p)| (s, p, None));
            }
            return self.prove(job, storage).await.map(|(s, p)| (s, p, None));
        }
        let app_version = facts.integration_semver().unwrap_or(crate::compat::INTEGRATION_APP);
        if let (PlanMode::Convert, Some(id)) = (plan.mode, plan.convert_storage_id) {
            return Box::pin(self.convert_steps(plan, id, facts, job, secrets)).await;
        }
        if let Some(id) = plan.replace_storage_id {
            job.enter(Phase::ReplaceStorage);
            self.checkpoint(job).map_err(e)?;
            match self.op.delete_storage(id).await {
                Ok(()) => {}
                Err(err) if err.status() == Some(404) => {}
                Err(err) => return Err(e(err.into())),
            }
            job.log(EventKind::changed(said!("job-deleted_earlier_storage", id = id)));
        }
        if let Some(sso) = &plan.sso {
            secrets.previous_nextcloud_secret =
                facts.previous_openproject_secret.clone().filter(|_| plan.nextcloud_had_settings);
            let (storage, proof, handoff) = Box::pin(self.sso_steps(plan, sso, facts, job, secrets)).await?;
            return Ok((storage, proof, Some(handoff)));
        }
        // Read by the preflight, kept in memory only: a rollback in this process can restore it; after a crash it
        // is gone.
        secrets.previous_nextcloud_secret =
            facts.previous_openproject_secret.clone().filter(|_| plan.nextcloud_had_settings);

        let created = self.create_storage(plan, None, job).await.map_err(e)?;
        let storage_id = created.storage.id;
        let op_client_id = created
            .storage
            .oauth_application
            .as_ref()
            .map(|a| a.client_id.clone())
            .ok_or_else(|| e(StepError::Incomplete("the OAuth application".into())))?;
        let op_secret =
            created.oauth_client_secret.ok_or_else(|| e(StepError::Incomplete("the OAuth client secret".into())))?;

        job.enter(Phase::ConfigureNextcloud);
        job.record(nextcloud_undo(facts));
        self.checkpoint(job).map_err(e)?;
        let pf = plan.options.project_folders;
        let values =
            SetupValues::oauth2(openproject.clone(), op_client_id, op_secret, pf && !plan.reuse_project_folder);
        let mut answer = self.nc.create_setup(&values, &app_version).await.map_err(|err| e(err.into()))?;
        job.log(EventKind::changed(said!("job-configured_integration")));
        if pf && plan.reuse_project_folder {
            // The user, group and team folder exist: only a new app password (a second POST would be a 409).
            let patch = SetupValues {
                authorization_method: Some("oauth2".into()),
                setup_project_folder: Some(false),
                setup_app_password: Some(true),
                ..SetupValues::default()
            };
            let patched = self.nc.update_setup(&patch, &app_version).await.map_err(|err| e(err.into()))?;
            answer.openproject_user_app_password = patched.openproject_user_app_password;
            job.log(EventKind::changed(said!("job-new_app_password")));
        }
        self.checkpoint(job).map_err(e)?;
        let answered = SetupAnswer::from_response(&answer, pf && !plan.reuse_project_folder);
        let nc_client_id =
            answer.nextcloud_client_id.ok_or_else(|| e(StepError::Incomplete("Nextcloud's OAuth client id".into())))?;
        let nc_secret = answer
            .nextcloud_client_secret
            .ok_or_else(|| e(StepError::Incomplete("Nextcloud's OAuth client secret".into())))?;

        // Nextcloud is final now: prove its side while OpenProject is being written.
        job.enter(Phase::SetNextcloudClient);
        self.checkpoint(job).map_err(e)?;
        let op_client_id = created.storage.oauth_application.as_ref().map(|a| a.client_id.clone()).unwrap_or_default();
        let app_password = answer.openproject_user_app_password;
        let op_writes = async {
            self.op.set_oauth_client_credentials(storage_id, &nc_client_id, &nc_secret).await?;
            match app_password.filter(|_| pf) {
                Some(password) => {
                    let patch = StoragePatch { application_password: Some(password), ..StoragePatch::default() };
                    self.op.update_storage(storage_id, &patch).await.map(Some)
                }
                None => self.op.storage(storage_id).await.map(|s| if pf { None } else { Some(s) }),
            }
        };
        let nextcloud_side = prove_nextcloud_side(self.op, self.nc, &op_client_id, &nc_client_id, pf, Some(&answered));
        let (written, nextcloud_checks) = tokio::join!(op_writes, nextcloud_side);
        let storage = written.map_err(|err| e(err.into()))?;
        job.log(EventKind::changed(said!("job-stored_nextcloud_client")));
        let storage = match storage {
            Some(storage) => storage,
            None => return Err(e(StepError::Incomplete("the app password of the \"OpenProject\" user".into()))),
        };
        if pf {
            job.enter(Phase::SetApplicationPassword);
            job.log(EventKind::changed(said!("job-stored_app_password")));
        }
        job.enter(Phase::Proof);
        self.checkpoint(job).map_err(e)?;
        let host_name = facts.openproject_host_name.as_deref();
        let mut checks = prove_openproject_side(self.op, self.nc, &storage, host_name, &nc_client_id, pf);
        checks.extend(nextcloud_checks.map_err(|err| e(err.into()))?);
        proven(storage, Proof { storage_id, checks }).map(|(s, p)| (s, p, None))
    }

    async fn prove(&self, job: &Job, storage: Storage) -> Result<(Storage, Proof), (StepError, Option<Proof>)> {
        let proof = prove(self.op, self.nc, &storage, job.project_folders).await.map_err(|err| (err.into(), None))?;
        proven(storage, proof)
    }

    /// Runs the recorded compensations, newest first. When a write may still be in flight (it timed out, its
    /// connection dropped, or the process that sent it died), the undo is not trusted at once: both sides are
    /// watched until that write can no longer land, and what lands late is undone again, until both are stable.
    /// `write_in_flight`: the job stopped without an answer to a write (a timeout, a dropped connection, a process
    /// that died); a cancel or an error answer leaves nothing under way.
    pub async fn roll_back(&self, job: &mut Job, secrets: &Secrets, write_in_flight: bool) {
        let deadline = late_write_deadline(job, write_in_flight, self.settle);
        job.enter(Phase::RollingBack);
        job.log(EventKind::RollbackStarted);
        let _ = self.save(job);
        let mut failures = self.undo(job, secrets).await;
        if let Some(deadline) = deadline.filter(|_| failures.is_empty()) {
            let until = deadline.duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
            job.log(EventKind::WatchingForLateChanges { until });
            let _ = self.save(job);
            let mut wait = std::time::Duration::from_millis(500);
            while let Ok(left) = deadline.duration_since(std::time::SystemTime::now()) {
                tokio::time::sleep(wait.min(left)).await;
                wait = (wait * 2).min(std::time::Duration::from_secs(8));
                match self.drifted(job).await {
                    Ok(false) => {}
                    Ok(true) => {
                        job.log(EventKind::undone(said!("undone-late_change"), None));
                        failures = self.undo(job, secrets).await;
                        if !failures.is_empty() {
                            break;
                        }
                    }
                    Err(e) => {
                        failures.push(e);
                        break;
                    }
                }
            }
        }
        if failures.is_empty() {
            job.status = JobStatus::RolledBack;
            job.log(EventKind::RollbackCompleted);
        } else {
            let mut message = failures[0].said.as_deref().cloned().unwrap_or_else(|| Said::new("error-step_cancelled"));
            for f in &failures[1..] {
                let next = f.said.as_deref().cloned().unwrap_or_else(|| Said::new("error-step_cancelled"));
                message = said!("error-joined").arg_said("first", message).arg_said("second", next);
            }
            let first_hint =
                failures[0].hint_said.as_deref().cloned().unwrap_or_else(|| Said::new("hint-step_cancelled"));
            let view =
                ErrorView::new(failures[0].code, message, said!("hint-rollback_failed").arg_said("hint", first_hint));
            job.log(EventKind::RollbackFailed { error: view.clone() });
            job.rollback_error = Some(view);
            job.status = JobStatus::RollbackFailed;
        }
        self.save_final(job);
    }

    /// One pass over the compensations, newest first; the failures.
    async fn undo(&self, job: &mut Job, secrets: &Secrets) -> Vec<ErrorView> {
        let mut failures = Vec::new();
        for (at, compensation) in job.compensations.clone().iter().enumerate().rev() {
            match self.compensate(compensation, secrets).await {
                Ok(what) => {
                    // A client deleted by its number is gone for good; one looked for by its client id is looked
                    // for again (its create may still land).
                    if let Some(Compensation::DeleteOidcClient { deleted, id: Some(_), .. }) =
                        job.compensations.get_mut(at)
                    {
                        *deleted = true;
                    }
                    job.log(EventKind::undone(what, Some(compensation.server())))
                }
                Err(err) => failures.push(err),
            }
            let _ = self.save(job);
        }
        failures
    }

    /// Whether a change of the job has appeared since the undo: its storage back in OpenProject, Nextcloud
    /// pointing at this OpenProject again (or no longer holding what was restored).
    async fn drifted(&self, job: &Job) -> Result<bool, ErrorView> {
        for compensation in &job.compensations {
            let drifted = match compensation {
                Compensation::DeleteStorage { nextcloud_url, name, .. } => {
                    let nextcloud = nextcloud_url.clone();
                    let storages = self.op.storages().await.map_err(|e| e.view())?;
                    storages.iter().any(|s| s.name == *name && nextcloud.same_server(&s.host))
                }
                Compensation::ResetNextcloud => {
                    let held = self
                        .nc
                        .app_config_value(crate::nextcloud::INTEGRATION_APP, "openproject_instance_url")
                        .await
                        .map_err(|e| e.view())?;
                    !held.expose().trim().is_empty()
                }
                // A late create shows on the oidc app's admin page.
                Compensation::DeleteOidcClient { id: None, client_id: Some(client_id), .. } => self
                    .nc
                    .oidc_clients()
                    .await
                    .map_err(|e| e.view())?
                    .is_some_and(|clients| clients.iter().any(|c| c.client_id == *client_id)),
                Compensation::DeleteOidcClient { .. } => false,
                Compensation::RestoreStorageMethod { storage_id, sso } => {
                    let storage = self.op.storage(*storage_id).await.map_err(|e| e.view())?;
                    storage.is_sso() != sso.is_some()
                }
                Compensation::RestoreNextcloudMethod { sso, .. } => {
                    let held = self
                        .nc
                        .app_config_value(crate::nextcloud::INTEGRATION_APP, "authorization_method")
                        .await
                        .map_err(|e| e.view())?;
                    (held.expose() == "oidc") != sso.is_some()
                }
                Compensation::DeleteUserOidcProvider { identifier } => self
                    .nc
                    .user_oidc_providers()
                    .await
                    .map_err(|e| e.view())?
                    .unwrap_or_default()
                    .iter()
                    .any(|p| p.identifier == *identifier),
                Compensation::RestoreNextcloud { previous, .. } => {
                    let value = |key: &'static str| self.nc.app_config_value(crate::nextcloud::INTEGRATION_APP, key);
                    let (held_url, held_id) =
                        tokio::join!(value("openproject_instance_url"), value("openproject_client_id"));
                    let (held_url, held_id) = (held_url.map_err(|e| e.view())?, held_id.map_err(|e| e.view())?);
                    held_url.expose().trim() != previous.openproject_url.trim()
                        || held_id.expose() != &previous.openproject_client_id
                }
            };
            if drifted {
                return Ok(true);
            }
        }
        Ok(false)
    }

    async fn compensate(&self, compensation: &Compensation, secrets: &Secrets) -> Result<Said, ErrorView> {
        match compensation {
            Compensation::DeleteStorage { storage_id: Some(id), .. } => match self.op.delete_storage(*id).await {
                Ok(()) => Ok(said!("undone-deleted_storage", id = id)),
                Err(err) if err.status() == Some(404) => Ok(said!("undone-storage_already_gone", id = id)),
                Err(err) => Err(err.view()),
            },
            Compensation::DeleteStorage { storage_id: None, nextcloud_url, name } => {
                let nextcloud = nextcloud_url.clone();
                let storages = self.op.storages().await.map_err(|e| e.view())?;
                match storages.iter().find(|s| s.name == *name && nextcloud.same_server(&s.host)) {
                    Some(s) => {
                        self.op.delete_storage(s.id).await.map_err(|e| e.view())?;
                        Ok(said!("undone-deleted_unrecorded_storage", id = s.id))
                    }
                    None => Ok(said!("undone-no_storage_created")),
                }
            }
            Compensation::ResetNextcloud => {
                self.nc.delete_setup().await.map_err(|e| e.view())?;
                Ok(said!("undone-reset_integration"))
            }
            Compensation::DeleteOidcClient { deleted: true, id, .. } => {
                Ok(said!("undone-oidc_client_already_deleted", id = id.unwrap_or_default()))
            }
            Compensation::DeleteOidcClient { id: Some(id), .. } => {
                self.nc.delete_oidc_client(*id).await.map_err(|e| e.view())?;
                Ok(said!("undone-deleted_oidc_client", id = id))
            }
            Compensation::DeleteOidcClient { id: None, client_id: Some(client_id), name, .. } => {
                // The number to delete it by was never learnt: the oidc app's admin page lists its clients.
                match self.nc.oidc_clients().await.map_err(|e| e.view())? {
                    Some(clients) => match clients.iter().find(|c| c.client_id == *client_id) {
                        Some(client) => {
                            self.nc.delete_oidc_client(client.id).await.map_err(|e| e.view())?;
                            Ok(said!("undone-deleted_unrecorded_oidc_client", id = client.id))
                        }
                        None => Ok(said!("undone-no_oidc_client_created")),
                    },
                    None => Err(ErrorView::new(
                        ErrorCode::ManualCleanupRequired,
                        said!("error-oidc_client_may_remain", name = name, client_id = client_id),
                        said!("hint-oidc_client_may_remain", client_id = client_id),
                    )),
                }
            }
            Compensation::DeleteOidcClient { id: None, name, .. } => Err(ErrorView::new(
                ErrorCode::ManualCleanupRequired,
                said!("error-oidc_client_unrecorded", name = name),
                said!("hint-oidc_client_unrecorded", name = name),
            )),
            Compensation::RestoreStorageMethod { storage_id, sso } => {
                let patch = StoragePatch { sso: sso.clone(), two_way_oauth: sso.is_none(), ..StoragePatch::default() };
                self.op.update_storage(*storage_id, &patch).await.map_err(|e| e.view())?;
                Ok(if sso.is_some() {
                    said!("undone-storage_back_to_sso", id = storage_id)
                } else {
                    said!("undone-storage_back_to_oauth", id = storage_id)
                })
            }
            Compensation::RestoreNextcloudMethod { sso, integration_version } => {
                let values = SetupValues::switch_method(sso.as_ref());
                let version = integration_version
                    .as_deref()
                    .and_then(crate::version::parse_server_version)
                    .unwrap_or(crate::compat::INTEGRATION_NEWEST_KNOWN);
                self.nc.update_setup(&values, &version).await.map_err(|e| e.view())?;
                Ok(if sso.is_some() {
                    said!("undone-integration_back_to_sso")
                } else {
                    said!("undone-integration_back_to_oauth")
                })
            }
            Compensation::DeleteUserOidcProvider { identifier } => {
                let providers = self.nc.user_oidc_providers().await.map_err(|e| e.view())?.unwrap_or_default();
                let Some(provider) = providers.iter().find(|p| p.identifier == *identifier) else {
                    return Ok(said!("undone-no_user_oidc_provider", provider = identifier));
                };
                let confirmed = self.account.ok_or_else(|| {
                    ErrorView::new(
                        ErrorCode::PasswordConfirmationRequired,
                        said!("error-user_oidc_provider_remains", provider = identifier),
                        said!("hint-user_oidc_provider_remains", provider = identifier),
                    )
                })?;
                confirmed.delete_user_oidc_provider(provider.id).await.map_err(|e| e.view())?;
                Ok(said!("undone-deleted_user_oidc_provider", provider = identifier))
            }
            Compensation::RestoreNextcloud { previous, integration_version } => {
                // What Nextcloud held is put back only as it was: an address that does not parse is not guessed.
                let previous_url =
                    crate::ServerUrl::parse(&previous.openproject_url, crate::UrlPolicy { allow_insecure_http: true });
                match (&secrets.previous_nextcloud_secret, previous_url) {
                    (Some(secret), Ok(previous_url)) => {
                        let values = SetupValues {
                            openproject_url: Some(previous_url),
                            authorization_method: Some(if previous.authorization_method.is_empty() {
                                "oauth2".into()
                            } else {
                                previous.authorization_method.clone()
                            }),
                            openproject_client_id: Some(previous.openproject_client_id.clone())
                                .filter(|s| !s.is_empty()),
                            openproject_client_secret: Some(secret.clone()).filter(|s| !s.expose().is_empty()),
                            ..SetupValues::default()
                        };
                        let version = integration_version
                            .as_deref()
                            .and_then(crate::version::parse_server_version)
                            .unwrap_or(crate::compat::INTEGRATION_NEWEST_KNOWN);
                        self.nc.update_setup(&values, &version).await.map_err(|e| e.view())?;
                        Ok(said!("undone-restored_integration"))
                    }
                    _ => {
                        self.nc.delete_setup().await.map_err(|e| e.view())?;
                        Ok(said!("undone-reset_integration_unrestorable"))
                    }
                }
            }
        }
    }
}

/// A proof that passed, or the failure that names its failed checks (and keeps the proof for the face).
pub(crate) fn proven(storage: Storage, proof: Proof) -> Result<(Storage, Proof), (StepError, Option<Proof>)> {
    if proof.ok() {
        return Ok((storage, proof));
    }
    let failed = proof.failed().iter().map(|c| (c.name, c.evidence.clone())).collect();
    Err((StepError::Proof(failed), Some(proof)))
}

/// How to undo a full setup of Nextcloud's integration: put back what it held, or reset it.
pub(crate) fn nextcloud_undo(facts: &Facts) -> Compensation {
    match facts.integration.clone().filter(|i| i.is_set()) {
        Some(previous) => {
            Compensation::RestoreNextcloud { previous, integration_version: facts.integration_version.clone() }
        }
        None => Compensation::ResetNextcloud,
    }
}

/// Secrets a running job holds in memory only.
#[derive(Debug, Default)]
pub struct Secrets {
    pub previous_nextcloud_secret: Option<SecretString>,
    /// The oidc client made for OpenProject (Nextcloud Hub): its secret goes to the admin, once.
    pub oidc_client: Option<crate::nextcloud::OidcClientCreated>,
}

/// Settles a job left running by a process that ended: rolls both sides back with what the journal
/// recorded. (To finish a setup, run it again afterwards: the OpenProject secret of the interrupted run was
/// shown once and is gone, so a new storage is the only way forward.)
pub async fn recover(runner: &Runner<'_>, job: &mut Job) {
    // Held while recovering: a second recovery (or the job's owner, back) cannot run at the same time.
    let _lease = match runner.store.lease(&job.id) {
        Ok(lease) => lease,
        Err(e) => {
            job.rollback_error = Some(StepError::Journal(e.to_string()).view());
            return;
        }
    };
    let was = job.phase;
    // Whether a write of it may still be under way: it died between steps (no failure recorded), or its failure
    // was a write without an answer. A job whose rollback failed stopped on answered writes.
    let failure = job.events.iter().rev().find_map(|e| match &e.kind {
        EventKind::Failed { error, .. } => Some(error.code),
        _ => None,
    });
    let in_flight = job.status == JobStatus::Running
        && failure.is_none_or(|code| matches!(code, ErrorCode::Timeout | ErrorCode::ConnectionDropped));
    job.log(EventKind::Interrupted);
    if job.error.is_none() {
        job.error = Some(ErrorView::new(
            ErrorCode::Interrupted,
            said!("error-interrupted").arg_said("phase", Said::new(crate::catalogue::key("phase", &was))),
            said!("hint-interrupted"),
        ));
    }
    runner.roll_back(job, &Secrets::default(), in_flight).await;
}

/// Whether a failure is worth telling apart as a credentials problem.
pub fn is_credentials(error: &StepError) -> bool {
    matches!(error, StepError::Client(e) if matches!(e.kind, ErrorKind::CredentialsRejected { .. }))
}
