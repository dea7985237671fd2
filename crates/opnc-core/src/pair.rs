//! A connected pair: both servers signed in, for the desktop wizard (and any other front end). Each
//! operation the wizard offers is one call here, so the Tauri commands stay one-line delegates.

use serde::{Deserialize, Serialize};

use crate::doctor::{self, Diagnosis};
use crate::error::{ErrorView, Server};
use crate::findings::Finding;
use crate::http::{HttpClient, HttpConfig};
use crate::keychain::Keychain;
use crate::nextcloud::{NextcloudClient, NextcloudCredentials};
use crate::nextcloud_session::{AppPasswordOrigin, NextcloudSession};
use crate::openproject::{OpenProjectAuth, OpenProjectClient};
use crate::openproject_web::{AdminPages, FolderMode, WebSession};
use crate::secret::SecretString;
use crate::server_url::UrlPolicy;
use crate::setup::apply::{Outcome, Runner, DEFAULT_SETTLE};
use crate::setup::journal::{Job, JobStatus, JobStore};
use crate::setup::preflight::{self, Facts};
use crate::setup::projects::EnableOutcome;
use crate::setup::{plan, Plan, SetupOptions};

/// What the wizard asks for to sign in to both servers. Secrets come in, never go back out.
#[derive(Debug, Clone, Deserialize, ts_rs::TS)]
pub struct SignIn {
    pub openproject_url: String,
    /// Empty: the token remembered in the system keyring.
    #[ts(type = "string | null")]
    pub openproject_token: Option<SecretString>,
    pub nextcloud_url: String,
    /// Empty (with the password): a browser sign-in's app password, or the keyring's.
    pub nextcloud_login: Option<String>,
    #[ts(type = "string | null")]
    pub nextcloud_password: Option<SecretString>,
    pub allow_insecure_http: bool,
    /// Keep both credentials in the system keyring once they are proven to work.
    pub remember: bool,
}

/// One side as a pane shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct SideSummary {
    pub server: Server,
    pub url: String,
    pub version: Option<String>,
    /// The signed-in administrator.
    pub admin: String,
}

#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct PairSummary {
    pub openproject: SideSummary,
    pub nextcloud: SideSummary,
    /// Simulated servers (demo mode), said so everywhere it matters.
    pub simulated: bool,
    /// Signed in to OpenProject's web interface too (the sign-in window): projects are enabled and OpenProject's
    /// OAuth values replaced automatically; without it those steps are hand-offs.
    pub openproject_web: bool,
}

/// Demo servers started for a trainer who signs in by hand (the same windows and forms as with real servers).
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct DemoServers {
    pub openproject_url: String,
    pub nextcloud_url: String,
    /// The demo accounts' logins and passwords: public, printed in the README, never real credentials.
    pub openproject_login: String,
    pub openproject_password: String,
    pub nextcloud_login: String,
    pub nextcloud_password: String,
}

/// A project as the picker shows it.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct ProjectChoice {
    pub id: i64,
    pub name: String,
    pub identifier: String,
    pub active: bool,
    pub parent_id: Option<i64>,
    /// Already uses the storage.
    pub enabled: bool,
}

/// Preflight and, when nothing blocks, the plan.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct Review {
    pub findings: Vec<Finding>,
    pub plan: Option<Plan>,
    /// Setups of this pair that a crash or a closed app left half done: apply rolls them back first.
    pub interrupted: Vec<Job>,
}

/// The result of applying, as the wizard shows it.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct ApplyResult {
    pub job: Job,
    pub storage_id: Option<i64>,
    pub proof: Option<crate::setup::proof::Proof>,
}

impl From<Outcome> for ApplyResult {
    fn from(o: Outcome) -> Self {
        Self { storage_id: o.storage.map(|s| s.id), proof: o.proof, job: o.job }
    }
}

impl ApplyResult {
    pub fn succeeded(&self) -> bool {
        self.job.status == JobStatus::Succeeded
    }
}

/// Both servers, signed in as administrators.
#[derive(Debug, Clone)]
pub struct ConnectedPair {
    pub op: OpenProjectClient,
    pub nc: NextcloudClient,
    pub summary: PairSummary,
    /// OpenProject's admin pages over the browser session, when the admin signed in through the window.
    pub web: Option<AdminPages>,
    facts: Option<Facts>,
    /// The last preflight, for the re-check before apply.
    report: Option<preflight::PreflightReport>,
    /// The plan the admin was shown: apply goes ahead only if a fresh preflight gives the same.
    reviewed: Option<Plan>,
    /// The session behind `nc`: an app password made for it (from a typed account password, or by the browser
    /// sign-in) that was not remembered is revoked on sign-out.
    nc_session: NextcloudSession,
    options: SetupOptions,
}

impl ConnectedPair {
    /// Signs in to both servers at once and checks that both accounts are administrators. OpenProject's
    /// credentials come from the request's token, then `op_session` (the sign-in window's session), then the
    /// keyring; Nextcloud's from the request, then `browser` (a Login Flow v2 app password), then the keyring.
    pub async fn sign_in(
        request: SignIn,
        browser: Option<NextcloudCredentials>,
        op_session: Option<WebSession>,
        keychain: &Keychain,
        simulated: bool,
    ) -> Result<Self, ErrorView> {
        let policy = UrlPolicy { allow_insecure_http: request.allow_insecure_http };
        let http = HttpClient::new(HttpConfig::default()).map_err(|e| ErrorView {
            code: crate::ErrorCode::CouldNotConnect,
            message: e,
            hint: "Restart the app.".into(),
        })?;
        // A page copied from the browser is cut to the server's base; the panes show the address used.
        let (op_url, nc_url) = tokio::join!(
            crate::address::resolve(&http, Server::OpenProject, &request.openproject_url, policy),
            crate::address::resolve(&http, Server::Nextcloud, &request.nextcloud_url, policy)
        );
        let (op_url, nc_url) = (op_url.map_err(|e| e.view())?.url, nc_url.map_err(|e| e.view())?.url);
        let missing = |server: Server, what: &str| ErrorView {
            code: crate::ErrorCode::CredentialsRejected,
            message: format!("No {what} for {server}."),
            hint: match server {
                Server::OpenProject => {
                    "Create an API token in OpenProject (My account → Access tokens) and paste it.".into()
                }
                Server::Nextcloud => "Sign in with the browser, or enter an admin user and app password.".into(),
            },
        };
        let token = match request.openproject_token.filter(|t| !t.expose().is_empty()) {
            Some(t) => Some(t),
            None if op_session.is_some() => None,
            None => Some(
                keychain
                    .openproject_token(&op_url)
                    .ok()
                    .flatten()
                    .ok_or_else(|| missing(Server::OpenProject, "API token"))?,
            ),
        };
        let mut from_browser = false;
        let nc_credentials = match (
            request.nextcloud_login.filter(|l| !l.is_empty()),
            request.nextcloud_password.filter(|p| !p.expose().is_empty()),
        ) {
            (Some(login_name), Some(password)) => NextcloudCredentials { login_name, password },
            _ => match browser {
                Some(c) => {
                    from_browser = true;
                    c
                }
                None => keychain
                    .nextcloud(&nc_url)
                    .ok()
                    .flatten()
                    .ok_or_else(|| missing(Server::Nextcloud, "credentials"))?,
            },
        };
        let op_auth = match (&token, &op_session) {
            (Some(t), _) => OpenProjectAuth::ApiKey(t.clone()),
            (None, Some(session)) => session.auth(),
            (None, None) => OpenProjectAuth::Anonymous,
        };
        let op = OpenProjectClient::new(http.clone(), op_url.clone(), op_auth);
        let nc = NextcloudClient::new(http.clone(), nc_url.clone(), Some(nc_credentials));
        // One password check for the whole session: a typed account password becomes an app password here.
        let nc_session = if from_browser {
            let origin = if request.remember { AppPasswordOrigin::Kept } else { AppPasswordOrigin::Temporary };
            NextcloudSession::with_app_password(nc, origin)
        } else {
            NextcloudSession::open(nc, request.remember).await.map_err(|e| e.view())?
        };
        let signed_in = Self::admins(
            op,
            nc_session.clone(),
            op_url,
            nc_url,
            op_session,
            simulated,
            &http,
            token.as_ref(),
            request.remember,
            keychain,
        )
        .await;
        if signed_in.is_err() {
            // Not signed in after all: an app password made for this sign-in does not outlive it.
            nc_session.discard().await;
        }
        signed_in
    }

    #[allow(clippy::too_many_arguments)]
    async fn admins(
        op: OpenProjectClient,
        nc_session: NextcloudSession,
        op_url: crate::ServerUrl,
        nc_url: crate::ServerUrl,
        op_session: Option<WebSession>,
        simulated: bool,
        http: &HttpClient,
        token: Option<&SecretString>,
        remember: bool,
        keychain: &Keychain,
    ) -> Result<Self, ErrorView> {
        let nc = nc_session.client.clone();
        let anonymous = nc.anonymous();
        let (root, me, user, status) = tokio::join!(op.root(), op.me(), nc.current_user(), anonymous.status());
        let root = root.map_err(|e| e.view())?;
        let user = user.map_err(|e| e.view())?;
        let not_admin = |server: Server| {
            crate::ClientError::new(server, "sign-in", crate::ErrorKind::NotAdmin { user: None }).view()
        };
        if !root.is_admin() {
            return Err(not_admin(Server::OpenProject));
        }
        if !user.is_admin() {
            return Err(not_admin(Server::Nextcloud));
        }
        let summary = PairSummary {
            openproject: SideSummary {
                server: Server::OpenProject,
                url: op_url.to_string(),
                version: root.core_version.clone(),
                admin: me.ok().map(|m| m.name).unwrap_or_default(),
            },
            nextcloud: SideSummary {
                server: Server::Nextcloud,
                url: nc_url.to_string(),
                version: status.ok().map(|s| s.versionstring),
                admin: if user.display_name.is_empty() { user.id.clone() } else { user.display_name.clone() },
            },
            simulated,
            openproject_web: op_session.is_some(),
        };
        let web = op_session.map(|session| AdminPages::new(http.clone(), op_url.clone(), session, root.version()));
        if remember {
            // A browser session is never remembered: it carries full admin rights and lives in memory only.
            if let Some(token) = token {
                keychain.remember_openproject_token(&op_url, token).map_err(|e| ErrorView {
                    code: crate::ErrorCode::CredentialsRejected,
                    message: format!("Signed in, but the credentials could not be remembered: {}", e.message),
                    hint: e.hint.clone(),
                })?;
            }
            // Always an app password, never the account password.
            if let Some(app_password) = nc_session.app_password() {
                keychain.remember_nextcloud(&nc_url, app_password).map_err(|e| ErrorView {
                    code: crate::ErrorCode::CredentialsRejected,
                    message: format!("Signed in, but the credentials could not be remembered: {}", e.message),
                    hint: e.hint.clone(),
                })?;
            }
        }
        Ok(Self {
            op,
            nc,
            nc_session,
            summary,
            web,
            facts: None,
            report: None,
            reviewed: None,
            options: SetupOptions::default(),
        })
    }

    /// Preflight, then the plan when nothing blocks. Writes nothing.
    pub async fn review(&mut self, options: SetupOptions, store: &JobStore) -> Review {
        let report = preflight::run(&self.op, &self.nc, &options).await;
        self.options = options;
        let review = self.take_report(report, store);
        self.reviewed = review.plan.clone();
        review
    }

    /// Keeps a preflight's facts and plan for the apply, and shows them.
    fn take_report(&mut self, report: preflight::PreflightReport, store: &JobStore) -> Review {
        let plan = plan(&report, self.op.base(), self.nc.base(), &self.options).ok();
        self.facts = Some(report.facts.clone());
        let findings = report.findings.clone();
        self.report = Some(report);
        Review { findings, plan, interrupted: self.interrupted(store) }
    }

    /// Ends the sign-in: a browser sign-in's app password that was not remembered is revoked in Nextcloud (it
    /// was for this session only); OpenProject's browser session is simply forgotten (never `/logout`, which
    /// would end the admin's other sessions too). Returns whether an app password was revoked.
    pub async fn sign_out(self) -> bool {
        self.nc_session.close().await
    }

    /// Setups of this pair left running by a process that ended (the job folder is shared with `opnc`).
    pub fn interrupted(&self, store: &JobStore) -> Vec<Job> {
        store
            .interrupted()
            .into_iter()
            .filter(|j| self.op.base().same_server(&j.openproject_url) && self.nc.base().same_server(&j.nextcloud_url))
            .collect()
    }

    /// Applies the reviewed plan, reporting every saved state of the job. An interrupted setup of this pair is
    /// rolled back first. The preflight runs again just before the first write; when the servers changed so
    /// that the plan is no longer the one the admin confirmed, nothing is written and the new plan is returned
    /// for review.
    pub async fn apply(
        &mut self,
        store: &JobStore,
        progress: &(dyn Fn(&Job) + Send + Sync),
        cancel: &std::sync::atomic::AtomicBool,
    ) -> ApplyResult {
        let confirmed = self.reviewed.clone();
        let interrupted = self.interrupted(store);
        if !interrupted.is_empty() {
            let runner =
                Runner { op: &self.op, nc: &self.nc, store, progress, settle: DEFAULT_SETTLE, cancel: Some(cancel) };
            for mut job in interrupted {
                crate::setup::apply::recover(&runner, &mut job).await;
                if job.status != JobStatus::RolledBack {
                    return ApplyResult { job, storage_id: None, proof: None };
                }
            }
        }
        // Only what the plan rests on is read again (a full preflight only when that changed).
        let report = match &self.report {
            Some(previous) => preflight::recheck(&self.op, &self.nc, &self.options, previous).await,
            None => preflight::run(&self.op, &self.nc, &self.options).await,
        };
        let review = self.take_report(report, store);
        let stopped = |error: ErrorView| {
            let mut job = Job::new(
                self.op.base().as_str(),
                self.nc.base().as_str(),
                &self.options.storage_name,
                self.options.project_folders,
            );
            job.status = JobStatus::RolledBack;
            job.error = Some(error);
            ApplyResult { job, storage_id: None, proof: None }
        };
        let (Some(plan), Some(facts)) = (review.plan, self.facts.clone()) else {
            let blocker = review.findings.iter().find(|f| f.severity == crate::findings::Severity::Blocker);
            return stopped(ErrorView {
                code: crate::ErrorCode::IncompleteAnswer,
                message: format!(
                    "Nothing was changed: {}",
                    blocker.map(|f| f.message.as_str()).unwrap_or("the preflight failed")
                ),
                hint: blocker.and_then(|f| f.fix.clone()).unwrap_or_default(),
            });
        };
        let same = |a: &Plan, b: &Plan| serde_json::to_value(a).ok() == serde_json::to_value(b).ok();
        if confirmed.as_ref().is_some_and(|c| !same(c, &plan)) {
            return stopped(ErrorView {
                code: crate::ErrorCode::PlanChanged,
                message: "The servers changed since the plan was shown; nothing was written.".into(),
                hint: "Look at the new plan and apply again.".into(),
            });
        }
        let runner =
            Runner { op: &self.op, nc: &self.nc, store, progress, settle: DEFAULT_SETTLE, cancel: Some(cancel) };
        runner.apply(&plan, &facts).await.into()
    }

    /// The doctor's diagnosis, with OpenProject's own health report folded in when signed in to its web side.
    pub async fn diagnose(&self) -> Diagnosis {
        let mut diagnosis = doctor::diagnose(&self.op, &self.nc, true, true).await;
        if let Some(web) = &self.web {
            doctor::add_openproject_health_report(&mut diagnosis, web).await;
        }
        diagnosis
    }

    /// Every project, marked where it already uses this Nextcloud's storage.
    pub async fn projects(&self) -> Result<Vec<ProjectChoice>, ErrorView> {
        let storage = self.storage().await?;
        let all = self.op.all_projects(&[]).await.map_err(|e| e.view())?;
        let enabled: Vec<i64> = match &storage {
            Some(s) => {
                let filter = [crate::openproject::Filter::new("storageId", "=", &[&s.id.to_string()])];
                self.op
                    .project_storages(&filter)
                    .await
                    .map_err(|e| e.view())?
                    .into_iter()
                    .filter_map(|l| l.project_id)
                    .collect()
            }
            None => vec![],
        };
        Ok(all
            .into_iter()
            .map(|p| ProjectChoice {
                enabled: enabled.contains(&p.id),
                id: p.id,
                name: p.name,
                identifier: p.identifier,
                active: p.active,
                parent_id: p.parent_id,
            })
            .collect())
    }

    /// Enables the storage in the chosen projects through OpenProject's forms, confirmed through the API; hand-off
    /// pages when that is not possible. `mode` `None`: automatic project folders when the storage has them, else
    /// none. With `include_sub_projects`, every descendant of a chosen project is chosen too (OpenProject then
    /// skips the archived ones, as its own form does).
    pub async fn enable_projects(
        &self,
        project_ids: &[i64],
        include_sub_projects: bool,
        mode: Option<FolderMode>,
    ) -> Result<EnableOutcome, ErrorView> {
        let storage = self.storage().await?.ok_or_else(no_storage)?;
        let all = self.op.all_projects(&[]).await.map_err(|e| e.view())?;
        let mut wanted: Vec<i64> = project_ids.to_vec();
        if include_sub_projects {
            let mut queue = wanted.clone();
            while let Some(parent) = queue.pop() {
                let children: Vec<i64> = all.iter().filter(|p| p.parent_id == Some(parent)).map(|p| p.id).collect();
                for child in children.into_iter().filter(|c| !wanted.contains(c)).collect::<Vec<_>>() {
                    wanted.push(child);
                    queue.push(child);
                }
            }
        }
        let chosen: Vec<_> = all.into_iter().filter(|p| wanted.contains(&p.id)).collect();
        let mode = mode.unwrap_or(if storage.has_application_password == Some(true) {
            FolderMode::Automatic
        } else {
            FolderMode::Inactive
        });
        crate::setup::projects::enable(&self.op, self.web.as_ref(), storage.id, &chosen, &mode)
            .await
            .map_err(|e| e.view())
    }
}

pub use crate::setup::connection::DeleteImpact;

pub use crate::setup::connection::{ConnectionState, Deleted};

impl ConnectedPair {
    async fn storage(&self) -> Result<Option<crate::openproject::Storage>, ErrorView> {
        crate::setup::connection::storage(&self.op, &self.nc).await.map_err(|e| e.view())
    }

    /// The connection as it is now, proven from both sides.
    pub async fn state(&self) -> Result<ConnectionState, ErrorView> {
        crate::setup::connection::state(&self.op, &self.nc).await.map_err(|e| e.view())
    }

    pub async fn delete_impact(&self) -> Result<DeleteImpact, ErrorView> {
        crate::setup::connection::delete_impact(&self.op, &self.nc).await.map_err(|e| e.view())
    }

    /// Deletes what `impact` (shown to the admin) names: the storage in OpenProject (file links go with it) and
    /// the integration settings and OAuth client in Nextcloud when they are this OpenProject's (its "OpenProject"
    /// user, group and folder stay).
    pub async fn delete(&self, impact: &DeleteImpact) -> Result<Deleted, ErrorView> {
        crate::setup::connection::delete(&self.op, &self.nc, impact).await.map_err(|e| e.view())
    }

    /// What `kind` would invalidate for this pair's storage, for the confirmation.
    pub async fn reset_impact(&self, kind: crate::setup::reset::ResetKind) -> Result<String, ErrorView> {
        let storage = self.storage().await?.ok_or_else(no_storage)?;
        Ok(kind.impact(storage.has_application_password == Some(true)))
    }

    /// One of the resets, proven afterwards.
    pub async fn reset(
        &self,
        kind: crate::setup::reset::ResetKind,
    ) -> Result<crate::setup::reset::ResetOutcome, ErrorView> {
        use crate::setup::reset::{self, ResetKind};
        let storage = self.storage().await?.ok_or_else(no_storage)?;
        let result = match kind {
            ResetKind::NextcloudOauth => reset::replace_nextcloud_oauth(&self.op, &self.nc, &storage).await,
            ResetKind::AppPassword => reset::rotate_app_password(&self.op, &self.nc, &storage).await,
            ResetKind::OpenprojectOauth if self.web.is_some() => {
                let web = self.web.as_ref().expect("checked");
                let result = reset::replace_openproject_oauth(&self.op, &self.nc, web, &storage).await;
                // Nothing was sent when the page did not look right: say where to do it by hand.
                return result.map_err(|mut e| {
                    if e.error.code == crate::ErrorCode::PageNotRecognized {
                        e.error.hint = format!(
                            "Nothing was changed. Open {}, choose \"Replace OpenProject OAuth\" and copy the new client ID \
                             and secret into Nextcloud's OpenProject integration settings — or run `opnc reset \
                             openproject-oauth`, which watches for the change and passes the values on.",
                            reset::openproject_oauth_page(&self.op, storage.id)
                        );
                    }
                    e.error
                });
            }
            ResetKind::OpenprojectOauth => {
                return Err(ErrorView {
                    code: crate::ErrorCode::IncompleteAnswer,
                    message: "Replacing OpenProject's OAuth values happens in OpenProject's web interface.".into(),
                    hint: format!(
                        "Open {} and choose \"Replace OAuth values\", then give the new values to Nextcloud.",
                        reset::openproject_oauth_page(&self.op, storage.id)
                    ),
                })
            }
        };
        result.map_err(|e| e.error)
    }
}

/// The hand-offs, for when OpenProject's pages cannot be used: the admin acts on the page, the assistant watches
/// the read-only API until the result shows.
impl ConnectedPair {
    /// Notes the client id OpenProject shows now, hands its page to `open_page`, then waits (up to 15 minutes, or
    /// until `cancel`) for the admin to replace the OAuth application there; returns the new client id.
    pub async fn watch_openproject_replace(
        &self,
        open_page: impl FnOnce(&str),
        cancel: &std::sync::atomic::AtomicBool,
    ) -> Result<String, ErrorView> {
        let storage = self.storage().await?.ok_or_else(no_storage)?;
        let old = storage.oauth_application.map(|a| a.client_id).unwrap_or_default();
        open_page(&crate::setup::reset::openproject_oauth_page(&self.op, storage.id));
        let timeout = std::time::Duration::from_secs(15 * 60);
        crate::setup::reset::wait_for_new_openproject_client(&self.op, storage.id, &old, timeout, cancel)
            .await
            .map_err(|e| e.view())?
            .ok_or_else(|| ErrorView {
                code: crate::ErrorCode::Interrupted,
                message: "OpenProject still shows the old OAuth client; nothing was changed in Nextcloud.".into(),
                hint: "Replace it on OpenProject's page, then watch again.".into(),
            })
    }

    /// Gives Nextcloud the client id OpenProject shows now and the secret the admin copied from its page, then
    /// proves the pair (OpenProject's token endpoint must accept the secret).
    pub async fn give_openproject_oauth(
        &self,
        client_id: &str,
        secret: &SecretString,
    ) -> Result<crate::setup::reset::ResetOutcome, ErrorView> {
        let storage = self.storage().await?.ok_or_else(no_storage)?;
        let shown = storage.oauth_application.as_ref().map(|a| a.client_id.as_str());
        if shown != Some(client_id) {
            return Err(ErrorView {
                code: crate::ErrorCode::ProofFailed,
                message: "OpenProject shows another OAuth client id than the one watched; nothing was changed.".into(),
                hint: "Watch for the replacement again.".into(),
            });
        }
        crate::setup::reset::push_openproject_oauth(&self.op, &self.nc, &storage, client_id, secret)
            .await
            .map_err(|e| e.error)
    }

    /// Waits (up to 15 minutes, or until `cancel`) for the projects to use the storage after the admin added them
    /// on OpenProject's pages.
    pub async fn watch_projects(
        &self,
        project_ids: &[i64],
        cancel: &std::sync::atomic::AtomicBool,
    ) -> Result<EnableOutcome, ErrorView> {
        let storage = self.storage().await?.ok_or_else(no_storage)?;
        let all = self.op.all_projects(&[]).await.map_err(|e| e.view())?;
        let chosen: Vec<_> = all.into_iter().filter(|p| project_ids.contains(&p.id)).collect();
        let (already, rest) =
            crate::setup::projects::already_enabled(&self.op, storage.id, &chosen).await.map_err(|e| e.view())?;
        let (todo, archived): (Vec<_>, Vec<_>) = rest.into_iter().partition(|p| p.active);
        let started = std::time::Instant::now();
        loop {
            let (now, missing) =
                crate::setup::projects::already_enabled(&self.op, storage.id, &todo).await.map_err(|e| e.view())?;
            let done = missing.is_empty()
                || started.elapsed() >= std::time::Duration::from_secs(15 * 60)
                || cancel.load(std::sync::atomic::Ordering::SeqCst);
            if done {
                let names = |l: &[crate::openproject::Project]| l.iter().map(|p| p.name.clone()).collect::<Vec<_>>();
                return Ok(EnableOutcome {
                    added: names(&now),
                    already: names(&already),
                    archived: names(&archived),
                    refused: missing
                        .iter()
                        .map(|p| crate::setup::projects::Refused {
                            project: p.name.clone(),
                            reason: "not added on OpenProject's page while the assistant watched".into(),
                        })
                        .collect(),
                    handoff_pages: vec![],
                    handoff_reason: None,
                });
            }
            tokio::time::sleep(std::time::Duration::from_secs(1)).await;
        }
    }
}

/// The base address under what the admin typed or pasted (a page copied from the browser works), for the sign-in
/// window and the "what will be used" line.
pub async fn resolve_address(
    server: Server,
    input: &str,
    allow_insecure_http: bool,
) -> Result<crate::address::ResolvedAddress, ErrorView> {
    let http = HttpClient::new(HttpConfig::default()).map_err(|e| ErrorView {
        code: crate::ErrorCode::CouldNotConnect,
        message: e,
        hint: String::new(),
    })?;
    crate::address::resolve(&http, server, input, UrlPolicy { allow_insecure_http }).await.map_err(|e| e.view())
}

fn no_storage() -> ErrorView {
    ErrorView {
        code: crate::ErrorCode::IncompleteAnswer,
        message: "OpenProject has no storage for this Nextcloud.".into(),
        hint: "Set the connection up first.".into(),
    }
}

/// Nextcloud's browser sign-in (Login Flow v2): starts the flow, hands the page to open to `open_page`,
/// then polls every two seconds until the admin granted access, the flow expired (20 minutes) or
/// `cancelled` turned true. Works with two-factor authentication and SSO, as it happens in the browser.
pub async fn nextcloud_browser_sign_in(
    nextcloud_url: &str,
    allow_insecure_http: bool,
    open_page: impl Fn(&str),
    cancelled: &std::sync::atomic::AtomicBool,
) -> Result<NextcloudCredentials, ErrorView> {
    let http = HttpClient::new(HttpConfig::default()).map_err(|e| ErrorView {
        code: crate::ErrorCode::CouldNotConnect,
        message: e,
        hint: String::new(),
    })?;
    let url = crate::address::resolve(&http, Server::Nextcloud, nextcloud_url, UrlPolicy { allow_insecure_http })
        .await
        .map_err(|e| e.view())?
        .url;
    let anonymous = NextcloudClient::new(http, url, None);
    let flow = anonymous.start_login_flow().await.map_err(|e| e.view())?;
    open_page(&flow.login_url);
    let started = std::time::Instant::now();
    while started.elapsed() < std::time::Duration::from_secs(20 * 60) {
        if cancelled.load(std::sync::atomic::Ordering::SeqCst) {
            return Err(ErrorView {
                code: crate::ErrorCode::Interrupted,
                message: "The browser sign-in was cancelled.".into(),
                hint: String::new(),
            });
        }
        if let Some(granted) = anonymous.poll_login_flow(&flow).await.map_err(|e| e.view())? {
            return Ok(NextcloudCredentials { login_name: granted.login_name, password: granted.app_password });
        }
        tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    }
    Err(ErrorView {
        code: crate::ErrorCode::Timeout,
        message: "The Nextcloud sign-in expired after 20 minutes.".into(),
        hint: "Start the browser sign-in again.".into(),
    })
}
