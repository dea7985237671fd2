//! Findings: what a check found, with a stable code, a severity, the evidence and the fix. One catalogue
//! for the setup preflight and the connection doctor.

use serde::{Deserialize, Serialize};

use crate::error::{ClientError, ErrorView, Server};

#[derive(ts_rs::TS, Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// Setup cannot proceed until this is fixed.
    Blocker,
    /// Setup can proceed, but something will not work as expected.
    Warning,
    Info,
}

/// Stable codes. Never renamed; new ones are added.
#[derive(ts_rs::TS, Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FindingCode {
    OpenprojectUnreachable,
    NextcloudUnreachable,
    OpenprojectCredentialsRejected,
    NextcloudCredentialsRejected,
    OpenprojectNotAdmin,
    NextcloudNotAdmin,
    OpenprojectTooOld,
    OpenprojectWithoutConfiguredField,
    OpenprojectNeedsStoragesModule,
    OpenprojectNoActiveProject,
    NextcloudTooOld,
    NextcloudMaintenance,
    IntegrationAppMissing,
    IntegrationAppDisabled,
    IntegrationAppTooOld,
    GroupfoldersMissing,
    GroupfoldersDisabled,
    GroupfoldersTooOld,
    AuthorizationHeaderStripped,
    NextcloudCannotReachOpenproject,
    OpenprojectCannotReachNextcloud,
    NextcloudReachabilityUnchecked,
    InsecureHttp,
    StorageExistsForHost,
    StorageNameTaken,
    IntegrationConfiguredForThisOpenproject,
    IntegrationConfiguredForOtherOpenproject,
    ProjectFolderEntitiesExist,
    ProjectFolderGroupConflict,
    AlreadyConfigured,
    // Drift between the two configurations (the connection doctor).
    StorageMissing,
    StorageHostDrift,
    OpenprojectUrlMismatch,
    ClientIdMismatch,
    NextcloudClientUnknown,
    OpenprojectSecretRejected,
    RedirectUriMismatch,
    AuthenticationMethodMismatch,
    IntegrationIncomplete,
    /// OpenProject's health-check name for the app-password access of project folders.
    UserlessAccess,
    ProjectFolderIncomplete,
    HostNameMismatch,
    TermsOfService,
    WorkersBackedUp,
    StorageInNoProject,
    /// A check of OpenProject's own health report without a more specific code here.
    OpenprojectHealthCheck,
    /// OpenProject's health report: the admin who ran it never connected their own Nextcloud account, so the
    /// user-bound checks could not run.
    AdminNotConnectedToNextcloud,
}

/// One finding.
#[derive(ts_rs::TS, Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    pub code: FindingCode,
    pub severity: Severity,
    pub server: Option<Server>,
    pub message: String,
    /// What was observed, never containing a secret.
    pub evidence: String,
    /// The exact command or action that fixes it, where one exists.
    pub fix: Option<String>,
}

impl Finding {
    pub fn new(code: FindingCode, severity: Severity, server: Option<Server>, message: impl Into<String>) -> Self {
        Self { code, severity, server, message: message.into(), evidence: String::new(), fix: None }
    }

    pub fn evidence(mut self, evidence: impl Into<String>) -> Self {
        self.evidence = evidence.into();
        self
    }

    pub fn fix(mut self, fix: impl Into<String>) -> Self {
        self.fix = Some(fix.into());
        self
    }

    /// A client error as a finding: the error's own message, hint and code.
    pub fn from_error(code: FindingCode, error: &ClientError) -> Self {
        let view: ErrorView = error.view();
        Self {
            code,
            severity: Severity::Blocker,
            server: Some(error.server),
            message: view.message,
            evidence: format!("{} ({})", error.endpoint, view.code.as_str()),
            fix: Some(view.hint),
        }
    }
}

/// Findings in a stable order: blockers first, then by code.
pub fn sort(findings: &mut [Finding]) {
    findings.sort_by(|a, b| (a.severity, a.code, &a.message).cmp(&(b.severity, b.code, &b.message)));
}
