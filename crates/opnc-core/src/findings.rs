//! Findings: what a check found, with a stable code, a severity, the evidence and the fix. One catalogue
//! for the setup preflight and the connection doctor.

use serde::{Deserialize, Serialize};

use crate::catalogue::{Language, Said};
use crate::error::{ClientError, Server};

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
    // TLS as this machine sees a server: first, as they explain a server that cannot be reached.
    /// The server's certificate has expired.
    CertificateExpired,
    /// The server's certificate is not for the host name it is reached by.
    CertificateNameMismatch,
    /// The server sends its own certificate without the intermediate one(s).
    CertificateChainIncomplete,
    /// The server's certificate expires within 30 days.
    CertificateExpiresSoon,
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
    /// OpenProject 17.6+ refuses storage hosts on private addresses unless allow-listed; the Nextcloud host is on one.
    OpenprojectSsrfProtection,
    /// The Nextcloud version is outside what the installed integration_openproject release supports.
    VersionPairUnsupported,
    /// integration_openproject before 3.1.1 / 2.11.4 with project folders: Nextcloud's patch releases ask the
    /// OpenProject user's app-password requests for a password confirmation, and project-folder sync fails.
    IntegrationPasswordConfirmation,
    /// Nextcloud 35 with integration_openproject before 3.3.0: the admin settings may be lost when migrations
    /// replay; before such an upgrade, the advice to update the app first.
    UpgradeWipesSettings,
    /// Nextcloud runs its background jobs in `ajax` mode: only while someone has its web interface open.
    NextcloudBackgroundJobsAjax,
    /// Nextcloud's cron has not run for over an hour, or never.
    NextcloudBackgroundJobsStale,
    /// Server-side encryption is on, the team folders (project folders) are not encrypted.
    TeamFoldersNotEncrypted,
    // OpenProject's health report on the automatically managed project folders.
    /// Nextcloud's Team folders app is missing or disabled.
    TeamFoldersAppMissing,
    /// OpenProject's request for the team folder's contents failed with an error it does not know.
    ProjectFolderFilesRequestFailed,
    /// Projects with automatically managed folders whose folder OpenProject has not linked (yet).
    ProjectFoldersUnlinked,
    /// A project's folder is gone from the team folder.
    ProjectFolderMissing,
    /// The team folder holds files or folders OpenProject does not manage.
    TeamFolderUnexpectedContent,
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
    /// No OpenProject background worker runs.
    OpenprojectWorkersStopped,
    StorageInNoProject,
    /// A check of OpenProject's own health report without a more specific code here.
    OpenprojectHealthCheck,
    /// OpenProject's health report: the admin who ran it never connected their own Nextcloud account, so the
    /// user-bound checks could not run.
    AdminNotConnectedToNextcloud,
    // SSO through an OpenID Connect identity provider.
    SsoOpenprojectTooOld,
    SsoEnterpriseFeatureMissing,
    SsoIntegrationTooOld,
    SsoNextcloudAppMissing,
    SsoDiscoveryUnreachable,
    /// The discovery address given is not a usable address (malformed, or plain http to another host).
    SsoDiscoveryAddressInvalid,
    SsoDiscoveryInvalid,
    SsoTokenExchangeUnsupported,
    SsoProviderUnknown,
    SsoProvidersFound,
    /// oidc 2.0.9 leaves the port out of `iss` in the tokens it mints, while discovery keeps it (recorded).
    SsoIssuerPortDropped,
    /// The SSO choice lacks what the setup needs (a provider, Nextcloud's client, OpenProject's client id).
    SsoChoiceIncomplete,
    /// The user_oidc provider the setup would create exists already.
    SsoProviderExists,
    /// Automatically managed project folders with SSO need a newer OpenProject.
    SsoProjectFoldersTooOld,
    /// user_oidc's writes need password confirmation, and this session has no account password.
    SsoPasswordConfirmationNeeded,
    /// Nextcloud Hub: user_oidc's bearer validation of the oidc app's tokens is a system setting without an API.
    SsoBearerValidationByHand,
    /// OpenProject's OpenID provider has no API: the admin enters it in OpenProject's form after the setup.
    SsoOpenprojectProviderByHand,
    /// The doctor: OpenProject's SSO storage has no audience.
    SsoAudienceMissing,
    /// The doctor: one side exchanges tokens, the other does not expect it.
    SsoTokenExchangeMismatch,
    /// The doctor: Nextcloud does not know the audience OpenProject's tokens carry.
    SsoTargetedAudienceMissing,
    /// The doctor: user_oidc does not store login tokens.
    SsoLoginTokenNotStored,
    /// The doctor: the user_oidc provider does not accept bearer tokens.
    SsoBearerNotChecked,
    /// SSO with project folders where Nextcloud's "OpenProject" user exists: no new app password can be had.
    SsoProjectFolderNotReusable,
    /// The doctor: Nextcloud Hub's oidc client for OpenProject is gone.
    SsoOidcClientMissing,
    /// The doctor: the oidc client makes opaque tokens, not JWTs.
    SsoTokenNotJwt,
    /// The pair is connected with two-way OAuth: the setup converts it to SSO in place.
    ConvertToSso,
    /// The pair is connected with SSO and still holds its OAuth parts: the setup converts it back in place.
    ConvertToOauth,
    /// The pair was set up with SSO: OpenProject has no OAuth application for it, which only its admin pages make.
    SsoNotConvertible,
    /// OpenProject's sign-in page already offers the OpenID provider the setup names.
    SsoOpenprojectProviderOffered,
    /// The test sign-in: the identity provider gave no token (refused the sign-in, the client, the code).
    SsoTestSignInFailed,
    /// The test sign-in: the token's signature does not check out against the provider's JWKS.
    SsoTokenSignatureInvalid,
    /// The test sign-in: the token's `iss` is not the discovery document's issuer.
    SsoTokenIssuerMismatch,
    /// The test sign-in: the token's audience lacks OpenProject's client id.
    SsoTokenAudienceWrong,
    /// The test sign-in: the token lacks the scope `api_v3`.
    SsoApiScopeMissing,
    /// The test sign-in: no refresh token (no `offline_access`).
    SsoOfflineAccessMissing,
    /// The test sign-in: the identity provider refused the token exchange the storage relies on.
    SsoTokenExchangeRefused,
    /// The test sign-in: the token Nextcloud gets lacks user_oidc's client id in its audience.
    SsoNextcloudAudienceWrong,
    /// The test sign-in: Nextcloud answered the token with a 401.
    SsoTokenRefusedByNextcloud,
    /// The test sign-in: OpenProject answered the token with a 401.
    SsoTokenRefusedByOpenproject,
    /// The test sign-in worked end to end.
    SsoTestSignInPassed,
}

/// What the assistant itself can do about a finding, as data: each face names it in its own terms (the CLI as
/// a command with its flags, the wizard as the button or option that does it).
#[derive(ts_rs::TS, Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "remedy", rename_all = "snake_case")]
pub enum Remedy {
    /// Set the connection up (again).
    Setup,
    /// Set it up again, replacing what is there: the storage for this Nextcloud, or Nextcloud's settings for
    /// another OpenProject.
    SetupReplacing,
    /// Set it up with another storage name.
    SetupWithAnotherName,
    /// One of the resets.
    Reset { kind: crate::setup::reset::ResetKind },
    /// Enable the storage in projects.
    EnableProjects,
}

impl Remedy {
    /// The remedy in words for any face (a report read by someone using either).
    pub fn describe(&self) -> String {
        self.describe_in(Language::En)
    }

    pub fn describe_in(&self, language: Language) -> String {
        use crate::setup::reset::ResetKind;
        let key = match self {
            Remedy::Setup => "remedy-setup",
            Remedy::SetupReplacing => "remedy-setup_replacing",
            Remedy::SetupWithAnotherName => "remedy-setup_with_another_name",
            Remedy::Reset { kind: ResetKind::NextcloudOauth } => "remedy-reset_nextcloud_oauth",
            Remedy::Reset { kind: ResetKind::AppPassword } => "remedy-reset_app_password",
            Remedy::Reset { kind: ResetKind::OpenprojectOauth } => "remedy-reset_openproject_oauth",
            Remedy::EnableProjects => "remedy-enable_projects",
        };
        crate::catalogue::text(language, key)
    }
}

/// One finding.
#[derive(ts_rs::TS, Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    pub code: FindingCode,
    pub severity: Severity,
    pub server: Option<Server>,
    /// In English (logs, JSON readers, reports of earlier versions); faces say [`Finding::said`] in their language.
    pub message: String,
    /// What was observed, never containing a secret: the servers' own values, not translated.
    pub evidence: String,
    /// What fixes it, in English, where something does.
    pub fix: Option<String>,
    /// The assistant's own action that fixes it, where it has one.
    pub remedy: Option<Remedy>,
    /// The message by its catalogue key (absent in reports of versions before the catalogue).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub said: Option<Said>,
    /// The fix by its catalogue key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub fix_said: Option<Said>,
    /// A command that must run on a server (`occ`, a web-server setting), shown as it is with Copy: it is the
    /// one part of a fix no face translates or runs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub command: Option<String>,
}

impl Finding {
    pub fn new(code: FindingCode, severity: Severity, server: Option<Server>, message: Said) -> Self {
        Self {
            code,
            severity,
            server,
            message: message.english(),
            evidence: String::new(),
            fix: None,
            remedy: None,
            said: Some(message),
            fix_said: None,
            command: None,
        }
    }

    pub fn evidence(mut self, evidence: impl Into<String>) -> Self {
        self.evidence = evidence.into();
        self
    }

    pub fn fix(mut self, fix: Said) -> Self {
        self.fix = Some(fix.english());
        self.fix_said = Some(fix);
        self
    }

    /// A command to run on a server, beside the fix in words (after them in the English `fix`, which readers of
    /// the JSON and earlier reports take as the whole fix).
    pub fn command(mut self, command: impl Into<String>) -> Self {
        let command = command.into();
        self.fix = Some(match self.fix.take() {
            Some(words) => format!("{words} {command}"),
            None => command.clone(),
        });
        self.command = Some(command);
        self
    }

    pub fn remedy(mut self, remedy: Remedy) -> Self {
        self.remedy = Some(remedy);
        self
    }

    /// The message in `language` (the English one of an earlier version's report as it is).
    pub fn message_in(&self, language: Language) -> String {
        self.said.as_ref().map_or_else(|| self.message.clone(), |s| s.in_language(language))
    }

    /// The fix in `language`, with the command after it.
    pub fn fix_in(&self, language: Language) -> Option<String> {
        let Some(words) = self.fix_said.as_ref().map(|s| s.in_language(language)) else {
            return self.fix.clone();
        };
        Some(match &self.command {
            Some(c) => format!("{words} {c}"),
            None => words,
        })
    }

    /// A client error as a finding: the error's own message, hint and code.
    pub fn from_error(code: FindingCode, error: &ClientError) -> Self {
        let (message, hint) = error.said();
        Self {
            code,
            severity: Severity::Blocker,
            server: Some(error.server),
            message: message.english(),
            evidence: format!("{} ({})", error.endpoint, error.code().as_str()),
            fix: Some(hint.english()),
            remedy: None,
            said: Some(message),
            fix_said: Some(hint),
            command: None,
        }
    }
}

/// Findings in a stable order: blockers first, then by code.
pub fn sort(findings: &mut [Finding]) {
    findings.sort_by(|a, b| (a.severity, a.code, &a.message).cmp(&(b.severity, b.code, &b.message)));
}
