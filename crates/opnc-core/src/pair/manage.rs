//! The connection once it exists: its state, proven from both sides; the doctor; delete; the three resets; the
//! projects that use the storage.

use serde::Serialize;

use super::{ConnectedPair, PairError};
use crate::doctor::{self, Diagnosis};
use crate::openproject::{Filter, Project, Storage};
use crate::openproject_web::FolderMode;
use crate::setup::connection::{self, ConnectionState, DeleteImpact, Deleted};
use crate::setup::projects::{self, EnableOutcome};
use crate::setup::reset::{self, ResetKind, ResetOutcome};
use crate::ErrorCode;

/// What a reset would invalidate, and of which storage.
#[derive(Debug, Clone)]
pub struct ResetImpact {
    pub storage: Storage,
    pub text: crate::catalogue::Said,
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

impl ConnectedPair {
    /// OpenProject's storage for this Nextcloud.
    pub async fn storage(&self) -> Result<Storage, PairError> {
        connection::storage(&self.op, &self.nc).await?.ok_or(PairError::NoStorage)
    }

    /// The connection as it is now, proven from both sides.
    pub async fn state(&self) -> Result<ConnectionState, PairError> {
        Ok(connection::state(&self.op, &self.nc).await?)
    }

    /// The doctor's diagnosis, with OpenProject's own health report folded in when signed in to its web side.
    pub async fn diagnose(&self) -> Diagnosis {
        let mut diagnosis = doctor::diagnose(&self.op, &self.nc, true, true).await;
        if let Some(web) = &self.web {
            doctor::add_openproject_health_report(&mut diagnosis, web).await;
        }
        diagnosis
    }

    /// The diagnosis with a test sign-in through the identity provider (SSO pairs; others are diagnosed as usual).
    pub async fn diagnose_with_sign_in(
        &self,
        request: &crate::sso_sign_in::SignInRequest,
        face: &crate::sso_sign_in::SignInFace,
    ) -> Diagnosis {
        let mut diagnosis = self.diagnose().await;
        doctor::add_test_sign_in(&mut diagnosis, &self.op, &self.nc, request, face).await;
        diagnosis
    }

    /// Keeps the pair's state as its last good one (after a setup or reset that worked), for a later diagnosis to
    /// say what changed since; a pair that is not healthy now is not kept. Where it was kept.
    pub async fn keep_baseline(&self, store: &crate::setup::journal::JobStore) -> Option<std::path::PathBuf> {
        let diagnosis = self.diagnose().await;
        match crate::compare::Baselines::beside(store).keep(&diagnosis) {
            Ok(path) => path,
            Err(e) => {
                tracing::warn!("the pair's last good state could not be kept: {e}");
                None
            }
        }
    }

    /// What a delete would remove on each side, for the confirmation.
    pub async fn delete_impact(&self) -> Result<DeleteImpact, PairError> {
        Ok(connection::delete_impact(&self.op, &self.nc).await?)
    }

    /// Deletes what `impact` (shown to the admin) names: the storage in OpenProject (file links go with it) and
    /// the integration settings and OAuth client in Nextcloud when they are this OpenProject's (its "OpenProject"
    /// user, group and folder stay).
    pub async fn delete(&self, impact: &DeleteImpact) -> Result<Deleted, PairError> {
        Ok(connection::delete(&self.op, &self.nc, impact).await?)
    }

    /// The storage `kind` would reset and what that invalidates, for the confirmation.
    pub async fn reset_impact(&self, kind: ResetKind) -> Result<ResetImpact, PairError> {
        let storage = self.storage().await?;
        let text = kind.impact(storage.has_application_password == Some(true));
        Ok(ResetImpact { storage, text })
    }

    /// One of the resets, proven afterwards. OpenProject's OAuth values are replaced on its page over the web
    /// session; without one, or where the page is not what this version should show (nothing was sent then),
    /// the error offers the hand-off (`PairError::offers_handoff`): `watch_openproject_replace`, then
    /// `give_openproject_oauth`.
    pub async fn reset(&self, kind: ResetKind) -> Result<ResetOutcome, PairError> {
        let storage = self.storage().await?;
        let page = reset::openproject_oauth_page(&self.op, storage.id);
        let result = match (kind, &self.web) {
            (ResetKind::NextcloudOauth, _) => reset::replace_nextcloud_oauth(&self.op, &self.nc, &storage).await,
            (ResetKind::AppPassword, _) => reset::rotate_app_password(&self.op, &self.nc, &storage).await,
            (ResetKind::OpenprojectOauth, Some(web)) => {
                reset::replace_openproject_oauth(&self.op, &self.nc, web, &storage).await.map_err(|mut e| {
                    if e.error.code == ErrorCode::PageNotRecognized {
                        e.error.set_hint(crate::said!("hint-replace_by_hand", page = &page));
                    }
                    e
                })
            }
            (ResetKind::OpenprojectOauth, None) => {
                return Err(PairError::WebSessionRequired { page, action: super::failure::WebAction::ReplaceOauth })
            }
        };
        Ok(result?)
    }

    /// Every project, marked where it already uses this Nextcloud's storage.
    pub async fn projects(&self) -> Result<Vec<ProjectChoice>, PairError> {
        let storage = connection::storage(&self.op, &self.nc).await?;
        let all = self.op.all_projects(&[]).await?;
        let enabled: Vec<i64> = match &storage {
            Some(s) => {
                let filter = [Filter::new("storageId", "=", &[&s.id.to_string()])];
                self.op.project_storages(&filter).await?.into_iter().filter_map(|l| l.project_id).collect()
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

    /// The projects an admin named (id, identifier or name), and the names that match none.
    pub async fn find_projects(&self, names: &[String]) -> Result<(Vec<i64>, Vec<String>), PairError> {
        let (found, unknown) = projects::resolve(&self.op, names).await?;
        Ok((found.into_iter().map(|p| p.id).collect(), unknown))
    }

    /// Enables the storage in the chosen projects through OpenProject's forms, confirmed through the API; the
    /// hand-off pages (`handoff_pages`, then `watch_projects`) when that is not possible. `mode` `None`:
    /// automatic project folders when the storage has them, else none. With `include_sub_projects`, every
    /// descendant of a chosen project is chosen too (OpenProject then skips the archived ones, as its own form
    /// does).
    pub async fn enable_projects(
        &self,
        project_ids: &[i64],
        include_sub_projects: bool,
        mode: Option<FolderMode>,
    ) -> Result<EnableOutcome, PairError> {
        let storage = self.storage().await?;
        let chosen = self.chosen(project_ids, include_sub_projects).await?;
        let mode = mode.unwrap_or(if storage.has_application_password == Some(true) {
            FolderMode::Automatic
        } else {
            FolderMode::Inactive
        });
        Ok(projects::enable(&self.op, self.web.as_ref(), storage.id, &chosen, &mode).await?)
    }

    pub(super) async fn chosen(
        &self,
        project_ids: &[i64],
        include_sub_projects: bool,
    ) -> Result<Vec<Project>, PairError> {
        let all = self.op.all_projects(&[]).await?;
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
        Ok(all.into_iter().filter(|p| wanted.contains(&p.id)).collect())
    }
}

/// A diagnosis that can be repeated over one sign-in (Watch): Nextcloud's temporary app password, which a
/// real server makes with a password hash, is made once when opened and revoked when closed, not per round.
pub struct DiagnosisSession {
    op: crate::openproject::OpenProjectClient,
    nc: crate::nextcloud::NextcloudClient,
    session: Option<crate::nextcloud_session::NextcloudSession>,
    has_op: bool,
    has_nc: bool,
}

impl DiagnosisSession {
    pub async fn open(
        http: &crate::HttpClient,
        op_url: crate::ServerUrl,
        op_auth: Option<crate::openproject::OpenProjectAuth>,
        nc_url: crate::ServerUrl,
        nc_credentials: Option<crate::nextcloud::NextcloudCredentials>,
        on_session: Option<&(dyn Fn(&crate::nextcloud_session::NextcloudSession) + Send + Sync)>,
    ) -> Self {
        use crate::nextcloud_session::NextcloudSession;
        let (has_op, has_nc) = (op_auth.is_some(), nc_credentials.is_some());
        let op = crate::openproject::OpenProjectClient::new(
            http.clone(),
            op_url,
            op_auth.unwrap_or(crate::openproject::OpenProjectAuth::Anonymous),
        );
        let nc = crate::nextcloud::NextcloudClient::new(http.clone(), nc_url, nc_credentials);
        let session = match has_nc {
            true => NextcloudSession::open(nc.clone(), false).await.ok(),
            false => None,
        };
        if let (Some(session), Some(told)) = (&session, on_session) {
            told(session);
        }
        Self { op, nc, session, has_op, has_nc }
    }

    /// One diagnosis, with the test sign-in where asked.
    pub async fn diagnose(
        &self,
        sign_in: Option<(&crate::sso_sign_in::SignInRequest, &crate::sso_sign_in::SignInFace)>,
    ) -> Diagnosis {
        let nc = self.session.as_ref().map(|s| &s.client).unwrap_or(&self.nc);
        let mut diagnosis = doctor::diagnose(&self.op, nc, self.has_op, self.has_nc).await;
        if let (Some((request, face)), true) = (sign_in, self.has_op && self.has_nc) {
            doctor::add_test_sign_in(&mut diagnosis, &self.op, nc, request, face).await;
        }
        diagnosis
    }

    /// Revokes the temporary app password, if one was made.
    pub async fn close(&self) {
        if let Some(session) = &self.session {
            session.close().await;
        }
    }
}

/// The doctor for a face that may lack a side's credentials (support staff, a first look): the checks that need
/// them say they could not run. A Nextcloud account password is exchanged once and the app password revoked at
/// the end; where even the exchange fails, the doctor's own requests say why.
pub async fn diagnose_with(
    http: &crate::HttpClient,
    op_url: crate::ServerUrl,
    op_auth: Option<crate::openproject::OpenProjectAuth>,
    nc_url: crate::ServerUrl,
    nc_credentials: Option<crate::nextcloud::NextcloudCredentials>,
    on_session: Option<&(dyn Fn(&crate::nextcloud_session::NextcloudSession) + Send + Sync)>,
    sign_in: Option<(&crate::sso_sign_in::SignInRequest, &crate::sso_sign_in::SignInFace)>,
) -> Diagnosis {
    let session = DiagnosisSession::open(http, op_url, op_auth, nc_url, nc_credentials, on_session).await;
    let diagnosis = session.diagnose(sign_in).await;
    session.close().await;
    diagnosis
}
