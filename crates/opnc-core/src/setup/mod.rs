//! The setup engine: preflight → plan → apply as a persisted two-sided transaction with rollback → proof.
//! The desktop wizard and the CLI are two faces of it.

pub mod apply;
pub mod connection;
pub mod journal;
pub mod preflight;
pub mod projects;
pub mod proof;
pub mod reset;
pub mod sso;
pub mod sso_apply;

use serde::Serialize;

use crate::error::Server;
use crate::findings::{Finding, FindingCode, Severity};
use crate::ServerUrl;
use preflight::PreflightReport;

/// What the admin asked for.
#[derive(ts_rs::TS, Debug, Clone, Serialize, serde::Deserialize)]
pub struct SetupOptions {
    pub storage_name: String,
    /// Automatically managed project folders (needs the Team folders app).
    pub project_folders: bool,
    /// Replace an existing storage for this Nextcloud, or a Nextcloud integration pointing elsewhere.
    pub replace_existing: bool,
    /// Connect through an OpenID Connect identity provider instead of two-way OAuth.
    #[serde(default)]
    pub sso: Option<sso::SsoOptions>,
}

impl Default for SetupOptions {
    fn default() -> Self {
        Self { storage_name: "Nextcloud".into(), project_folders: true, replace_existing: false, sso: None }
    }
}

#[derive(ts_rs::TS, Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PlanMode {
    /// Create the storage and configure Nextcloud.
    Create,
    /// Everything is in place: only prove it.
    ProveOnly,
    /// The pair is there: switch it between two-way OAuth and SSO in place (file links and project folders stay).
    Convert,
}

/// One change the plan will make, and the phase of the job that makes it (the apply enters exactly the phases
/// its plan names; a test holds the two together).
#[derive(ts_rs::TS, Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PlannedChange {
    pub server: Server,
    /// In English; faces say `said` in their language.
    pub action: String,
    pub phase: journal::Phase,
    pub said: crate::catalogue::Said,
}

impl PlannedChange {
    pub fn new(server: Server, phase: journal::Phase, said: crate::catalogue::Said) -> Self {
        Self { server, action: said.english(), phase, said }
    }
}

impl Plan {
    /// Names what a rollback cannot bring back.
    pub(crate) fn cannot_undo(&mut self, said: crate::catalogue::Said) {
        self.unrestorable.push(said.english());
        self.unrestorable_said.push(said);
    }
}

/// Exactly what apply will change on each side, shown before anything is written.
#[derive(ts_rs::TS, Debug, Clone, Serialize)]
pub struct Plan {
    pub mode: PlanMode,
    #[ts(type = "string")]
    pub openproject_url: ServerUrl,
    #[ts(type = "string")]
    pub nextcloud_url: ServerUrl,
    pub options: SetupOptions,
    pub changes: Vec<PlannedChange>,
    /// What a rollback cannot bring back, named before anything is written.
    pub unrestorable: Vec<String>,
    /// The same, by their catalogue keys.
    pub unrestorable_said: Vec<crate::catalogue::Said>,
    /// Delete this existing storage first (with --replace).
    pub replace_storage_id: Option<i64>,
    /// Nextcloud's "OpenProject" user exists: reuse it (new app password) instead of creating it.
    pub reuse_project_folder: bool,
    /// Nextcloud holds integration settings now; a rollback restores them.
    pub nextcloud_had_settings: bool,
    /// Connected through an identity provider: what the SSO steps do.
    pub sso: Option<sso::SsoPlan>,
    /// A conversion of this storage (`PlanMode::Convert`).
    pub convert_storage_id: Option<i64>,
}

/// Builds the plan from a preflight; the blockers come back instead when there are any.
pub fn plan(
    report: &PreflightReport,
    openproject: &ServerUrl,
    nextcloud: &ServerUrl,
    options: &SetupOptions,
) -> Result<Plan, Vec<Finding>> {
    if !report.can_apply() {
        return Err(report.blockers().cloned().collect());
    }
    let facts = &report.facts;
    let mut plan = Plan {
        mode: PlanMode::Create,
        openproject_url: openproject.clone(),
        nextcloud_url: nextcloud.clone(),
        options: options.clone(),
        changes: Vec::new(),
        unrestorable: Vec::new(),
        unrestorable_said: Vec::new(),
        replace_storage_id: None,
        reuse_project_folder: options.project_folders && facts.openproject_user_exists == Some(true),
        nextcloud_had_settings: facts.integration.as_ref().is_some_and(|i| i.is_set()),
        sso: None,
        convert_storage_id: None,
    };
    if let Some(choice) = &options.sso {
        let Some(sso) = sso_apply::plan_sso(choice, facts, openproject, nextcloud) else {
            return Err(report.blockers().cloned().collect());
        };
        plan.sso = Some(sso);
    }
    if report.has(FindingCode::AlreadyConfigured) {
        plan.mode = PlanMode::ProveOnly;
        return Ok(plan);
    }
    if report.has(FindingCode::ConvertToSso) || report.has(FindingCode::ConvertToOauth) {
        let storage = facts.storage_for(nextcloud).ok_or_else(|| report.blockers().cloned().collect::<Vec<_>>())?;
        plan.mode = PlanMode::Convert;
        plan.convert_storage_id = Some(storage.id);
        plan.reuse_project_folder = false;
        sso_apply::conversion_changes(&mut plan, storage);
        return Ok(plan);
    }
    use crate::said;
    use journal::Phase;
    let op = |phase: Phase, action: crate::catalogue::Said| PlannedChange::new(Server::OpenProject, phase, action);
    let nc = |action: crate::catalogue::Said| PlannedChange::new(Server::Nextcloud, Phase::ConfigureNextcloud, action);
    if let Some(existing) = facts.storage_for(nextcloud) {
        plan.replace_storage_id = Some(existing.id);
        plan.changes
            .push(op(Phase::ReplaceStorage, said!("plan-delete_storage", name = &existing.name, id = existing.id)));
        plan.cannot_undo(said!("plan-undo-replaced_storage", name = &existing.name));
    }
    if let Some(sso) = plan.sso.clone() {
        sso_apply::sso_changes(&mut plan, &sso);
        return Ok(plan);
    }
    plan.changes.push(op(
        Phase::CreateStorage,
        said!("plan-create_storage_oauth", name = &options.storage_name, nextcloud = nextcloud),
    ));
    if plan.nextcloud_had_settings {
        plan.changes.push(nc(said!("plan-replace_integration")));
    } else {
        plan.changes.push(nc(said!("plan-set_up_integration", openproject = openproject)));
    }
    plan.changes.push(nc(said!("plan-create_nextcloud_client")));
    if options.project_folders {
        if plan.reuse_project_folder {
            plan.changes.push(nc(said!("plan-reuse_project_folder")));
        } else {
            plan.changes.push(nc(said!("plan-create_project_folder")));
        }
        plan.cannot_undo(said!("plan-undo-project_folder_stays"));
    } else {
        plan.changes.push(nc(said!("plan-no_project_folders")));
    }
    plan.changes.push(op(Phase::SetNextcloudClient, said!("plan-store_nextcloud_client")));
    if options.project_folders {
        plan.changes.push(op(Phase::SetApplicationPassword, said!("plan-store_app_password")));
    }
    if plan.nextcloud_had_settings {
        plan.cannot_undo(said!("plan-undo-previous_client"));
    }
    // Only what had users: a fresh pair has no user tokens to lose.
    if plan.replace_storage_id.is_some() {
        plan.cannot_undo(said!("plan-undo-openproject_users_reconnect"));
    }
    if plan.nextcloud_had_settings {
        plan.cannot_undo(said!("plan-undo-nextcloud_users_reconnect"));
    }
    Ok(plan)
}

/// Severity of the findings as a summary word.
pub fn worst(findings: &[Finding]) -> Option<Severity> {
    findings.iter().map(|f| f.severity).min()
}
