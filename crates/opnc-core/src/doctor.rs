//! The connection doctor: diagnoses a broken OpenProject ⇄ Nextcloud connection without changing either
//! server, and writes a redacted report. It shares its checks with the setup preflight (one catalogue)
//! and adds what only a working pair has: drift between the two configurations.
//!
//! Every request of a round goes out at once: round one is the preflight (one round), round two the
//! drift checks that need round one's answers (the storage, the secret Nextcloud holds).

use serde::Serialize;

use crate::catalogue::Said;
use crate::error::Server;
use crate::findings::{sort, Finding, FindingCode as C, Remedy, Severity};
use crate::nextcloud::NextcloudClient;
use crate::openproject::{Filter, OpenProjectClient, TokenProbe};
use crate::openproject_web::{parse_health_report, AdminPages, HealthCheckResult};
use crate::said;
use crate::setup::preflight::{self, PreflightReport};
use crate::setup::reset::ResetKind;
use crate::setup::SetupOptions;

/// How much the doctor could see of a server.
#[derive(ts_rs::TS, Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Access {
    Admin,
    SignedIn,
    Anonymous,
}

/// The doctor's checks that can fail to run (for lack of access, or a side out of reach).
#[derive(ts_rs::TS, Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Check {
    OpenprojectHealthReport,
    NextcloudSide,
    OpenprojectAdminChecks,
    NextcloudAdminChecks,
    StorageDrift,
    OpenprojectAcceptsNextcloudsSecret,
    NextcloudConfigurationDrift,
    OpenprojectHealthChecks,
    NextcloudToOpenproject,
    /// SSO: a real user's token accepted on both sides (the test sign-in).
    SsoTokenAccepted,
    /// SSO: settings only the servers themselves show (occ, OpenProject's admin pages).
    SsoServerOnlySettings,
}

/// A check that could not run, and why.
#[derive(ts_rs::TS, Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct NotRun {
    pub check: Check,
    /// In English; faces say `reason_said` in their language.
    pub reason: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub reason_said: Option<crate::catalogue::Said>,
}

impl NotRun {
    pub fn new(check: Check, reason: crate::catalogue::Said) -> Self {
        Self { check, reason: reason.english(), reason_said: Some(reason) }
    }

    /// Why it could not run, in `language`.
    pub fn reason_in(&self, language: crate::catalogue::Language) -> String {
        self.reason_said.as_ref().map_or_else(|| self.reason.clone(), |s| s.in_language(language))
    }
}

#[derive(ts_rs::TS, Debug, Clone, Serialize, serde::Deserialize)]
pub struct ServerSummary {
    pub url: String,
    pub version: Option<String>,
    pub access: Access,
}

/// The diagnosis: findings in a stable order (blockers first, network legs before what depends on them).
#[derive(ts_rs::TS, Debug, Clone, Serialize, serde::Deserialize)]
pub struct Diagnosis {
    pub openproject: ServerSummary,
    pub nextcloud: ServerSummary,
    pub integration_version: Option<String>,
    pub storage_id: Option<i64>,
    /// The storage authorises users through an identity provider (reports of versions before it: false).
    #[serde(default)]
    pub sso: bool,
    /// The storage has automatically managed project folders (an app password).
    #[serde(default)]
    pub project_folders: bool,
    /// What the connection is made of, as identifiers (no secret): for "what changed since it worked".
    #[serde(default)]
    pub connection: ConnectionFacts,
    pub findings: Vec<Finding>,
    pub not_run: Vec<NotRun>,
}

/// The identifiers of a connection as the doctor read them, each `None` where it could not be read. Client ids are
/// public in OAuth (the secrets never appear here).
#[derive(ts_rs::TS, Debug, Clone, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct ConnectionFacts {
    pub storage_name: Option<String>,
    /// The Nextcloud address OpenProject's storage holds.
    pub storage_host: Option<String>,
    /// OpenProject's OAuth application for Nextcloud, as OpenProject shows it.
    pub openproject_client_id: Option<String>,
    /// The OpenProject OAuth client id Nextcloud holds.
    pub openproject_client_id_in_nextcloud: Option<String>,
    /// Nextcloud's OAuth client, as OpenProject holds it.
    pub nextcloud_client_id: Option<String>,
    /// The OpenProject address Nextcloud's integration holds ("" when its settings are empty).
    pub nextcloud_points_at: Option<String>,
    /// Nextcloud's integration's `authorization_method` (`oauth2`, `oidc`).
    pub nextcloud_method: Option<String>,
}

/// What wrote a report: the assistant's version and the language of its words.
#[derive(ts_rs::TS, Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct MadeBy {
    pub version: String,
    pub language: crate::catalogue::Language,
}

/// A report opened from a file (a customer's, say): the diagnosis it holds, and what made it — `None` for the
/// reports of versions before reports said so.
#[derive(ts_rs::TS, Debug, Clone, Serialize)]
pub struct ReportFile {
    pub diagnosis: Diagnosis,
    pub made_by: Option<MadeBy>,
}

impl ReportFile {
    /// Reads a JSON report. Fields it does not know (a newer version's) are passed over; a file that is not a
    /// report says so.
    pub fn read(text: &str) -> Result<Self, String> {
        let value: serde_json::Value = serde_json::from_str(text)
            .map_err(|e| format!("not a JSON report ({e}); a Markdown report is for reading"))?;
        // A support bundle holds its report.
        if crate::bundle::SupportBundle::is_bundle(&value) {
            let bundle = crate::bundle::SupportBundle::read(text)?;
            return Ok(Self { diagnosis: bundle.diagnosis, made_by: Some(bundle.made_by) });
        }
        let made_by = value.get("made_by").and_then(|m| serde_json::from_value(m.clone()).ok());
        let diagnosis: Diagnosis =
            serde_json::from_value(value).map_err(|e| format!("not a report of this assistant: {e}"))?;
        Ok(Self { diagnosis, made_by })
    }
}

/// The diagnosis in one word, for exit codes and the first line a person reads.
#[derive(ts_rs::TS, Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Every check ran and nothing needs attention.
    Healthy,
    /// Every check ran; something deserves attention, nothing is broken.
    WarningsOnly,
    /// Something is broken.
    Problems,
    /// Nothing broken was found, but some checks could not run: not a clean bill of health.
    CouldNotCheck,
}

impl NotRun {
    /// What the check would have looked at, in plain words (the catalogue's English).
    pub fn describe(&self) -> String {
        self.describe_in(crate::catalogue::Language::En)
    }

    pub fn describe_in(&self, language: crate::catalogue::Language) -> String {
        crate::catalogue::text(language, &crate::catalogue::key("check", &self.check))
    }
}

impl Diagnosis {
    pub fn verdict(&self) -> Verdict {
        if self.findings.iter().any(|f| f.severity == Severity::Blocker) {
            Verdict::Problems
        } else if !self.not_run.is_empty() {
            Verdict::CouldNotCheck
        } else if self.findings.iter().any(|f| f.severity == Severity::Warning) {
            Verdict::WarningsOnly
        } else {
            Verdict::Healthy
        }
    }

    /// The verdict as the first line of a report.
    pub fn headline(&self) -> String {
        self.headline_in(crate::catalogue::Language::En)
    }

    /// The verdict as the first line of a report, in `language`.
    pub fn headline_in(&self, language: crate::catalogue::Language) -> String {
        let count = |severity: Severity| self.findings.iter().filter(|f| f.severity == severity).count() as i64;
        let args = [
            ("problems", count(Severity::Blocker)),
            ("warnings", count(Severity::Warning)),
            ("not_run", self.not_run.len() as i64),
        ];
        crate::catalogue::text_with(language, &crate::catalogue::key("verdict", &self.verdict()), &args)
    }

    /// The picture of the connection: its legs and credential links, coloured by these findings.
    pub fn picture(&self) -> crate::picture::Picture {
        crate::picture::picture(self, self.sso, self.project_folders)
    }

    /// The finding to fix first.
    pub fn primary(&self) -> Option<&Finding> {
        self.findings.iter().find(|f| f.severity != Severity::Info)
    }

    pub fn healthy(&self) -> bool {
        self.primary().is_none()
    }

    /// The report as JSON: the verdict and its headline first, what made it (the app's version, the language),
    /// then everything the diagnosis holds. `ReportFile::read` opens it again, as it opens the reports of versions
    /// before `made_by`.
    pub fn to_json(&self) -> String {
        self.to_json_in(crate::catalogue::Language::En)
    }

    pub fn to_json_in(&self, language: crate::catalogue::Language) -> String {
        let made_by = MadeBy { version: env!("CARGO_PKG_VERSION").into(), language };
        let mut value = serde_json::json!({ "verdict": self.verdict(), "headline": self.headline_in(language), "made_by": made_by });
        if let (Some(object), Ok(serde_json::Value::Object(fields))) =
            (value.as_object_mut(), serde_json::to_value(self))
        {
            object.extend(fields);
        }
        serde_json::to_string_pretty(&value).unwrap_or_default()
    }

    pub fn to_markdown(&self) -> String {
        self.to_markdown_in(crate::catalogue::Language::En, &|r| r.describe_in(crate::catalogue::Language::En))
    }

    /// The report in `language`, with each remedy named as the face that writes it names it (the CLI: its
    /// command). The servers' own values (addresses, versions, evidence, codes) stay as they are.
    pub fn to_markdown_in(
        &self,
        language: crate::catalogue::Language,
        remedy_text: &dyn Fn(&Remedy) -> String,
    ) -> String {
        use crate::catalogue::{key, text};
        let say = |k: &str| text(language, k);
        let mut md = format!("# {}\n\n", say("report-title"));
        md.push_str(&format!(
            "{}\n\n",
            said!("report-made_by", version = env!("CARGO_PKG_VERSION")).in_language(language)
        ));
        let access = |a: Access| say(&key("access", &a));
        let version = |v: &Option<String>| v.clone().unwrap_or_else(|| say("report-unknown"));
        md.push_str("| | OpenProject | Nextcloud |\n|---|---|---|\n");
        md.push_str(&format!("| URL | {} | {} |\n", self.openproject.url, self.nextcloud.url));
        md.push_str(&format!(
            "| {} | {} | {} |\n",
            say("report-version"),
            version(&self.openproject.version),
            version(&self.nextcloud.version)
        ));
        md.push_str(&format!(
            "| {} | {} | {} |\n",
            say("report-access"),
            access(self.openproject.access),
            access(self.nextcloud.access)
        ));
        md.push_str(&format!("| OpenProject Integration app | | {} |\n\n", version(&self.integration_version)));
        md.push_str(&format!("**{}**", self.headline_in(language)));
        match self.primary() {
            None => md.push_str("\n\n"),
            Some(p) => md.push_str(&format!(
                " {}: {} {}: {}\n\n",
                say("report-first"),
                p.message_in(language),
                say("label-fix"),
                p.fix_in(language).unwrap_or_default()
            )),
        }
        md.push_str(&format!("## {}\n\n", say("report-findings")));
        if self.findings.is_empty() {
            md.push_str(&format!("{}\n\n", say("report-none")));
        }
        for f in &self.findings {
            let side = f.server.map(|s| format!(" [{}]", say(&key("server", &s)))).unwrap_or_default();
            let severity = say(&key("severity", &f.severity));
            md.push_str(&format!("- **{severity}**{side} `{}` — {}\n", code_name(f.code), f.message_in(language)));
            if !f.evidence.is_empty() {
                md.push_str(&format!("  - {}: {}\n", say("report-evidence"), f.evidence));
            }
            if let Some(fix) = f.fix_in(language) {
                md.push_str(&format!("  - {}: {fix}\n", say("label-fix")));
            }
            if let Some(remedy) = &f.remedy {
                md.push_str(&format!("  - {}: {}\n", say("report-with_assistant"), remedy_text(remedy)));
            }
        }
        if !self.not_run.is_empty() {
            md.push_str(&format!("\n## {}\n\n", say("report-not_run")));
            for n in &self.not_run {
                md.push_str(&format!("- {}: {}\n", n.describe_in(language), n.reason_in(language)));
            }
        }
        md
    }
}

/// The doctor's code for a check of OpenProject's health report (`modules/storages/app/common/storages/adapters/
/// providers/nextcloud/validators/`), by OpenProject's code, else by the check's name.
fn health_code(check: &HealthCheckResult) -> C {
    match (check.code.as_deref(), check.check.as_str()) {
        // 16.0+ codes, and the connection check's (14.4–15.x) where they mean the same.
        (Some("nc_host_not_found" | "nc_unreachable" | "err_host_not_found"), _) => C::OpenprojectCannotReachNextcloud,
        (Some("nc_userless_access_denied" | "err_userless_access_denied"), _) => C::UserlessAccess,
        (Some("nc_group_folder_not_found" | "nc_team_folder_not_found" | "err_group_folder_not_found"), _) => {
            C::ProjectFolderIncomplete
        }
        (Some("wrn_not_configured"), _) => C::IntegrationIncomplete,
        (Some("wrn_unexpected_content"), _) => C::TeamFolderUnexpectedContent,
        (Some("nc_oauth_token_missing"), _) => C::AdminNotConnectedToNextcloud,
        (Some("nc_dependency_missing"), "team_folder_app" | "group_folder_app") => C::TeamFoldersAppMissing,
        (Some("nc_dependency_version_mismatch"), "team_folder_app" | "group_folder_app") => C::GroupfoldersTooOld,
        (Some("unknown_error"), "files_request") => C::ProjectFolderFilesRequestFailed,
        (Some("nc_unlinked_project_folders"), _) => C::ProjectFoldersUnlinked,
        (Some("nc_project_folder_missing"), _) => C::ProjectFolderMissing,
        (Some("nc_unexpected_files"), _) => C::TeamFolderUnexpectedContent,
        (_, "storage_configured") => C::IntegrationIncomplete,
        _ => C::OpenprojectHealthCheck,
    }
}

/// The rules OpenProject's health report checks the automatically managed project folders against
/// (`ampf_configuration_validator.rb`: the team folder app and its version, the files request, the app
/// password's access, the team folder, project folders linked, project folders present, nothing else in the team
/// folder), each explained with its fix: message, fix, command. `None` for the other checks.
fn project_folder_rule(code: C, check: &HealthCheckResult) -> Option<(Said, Said, Option<&'static str>)> {
    let context = |name: &str| check.context.get(name).cloned().unwrap_or_default();
    Some(match code {
        C::TeamFoldersAppMissing => (
            said!("fm-team_folders_app_missing"),
            said!("ff-team_folders_app_missing"),
            Some("sudo -u www-data php occ app:enable groupfolders"),
        ),
        C::GroupfoldersTooOld => (
            said!("fm-health_team_folders_app_too_old"),
            said!("ff-update_app_on_nextcloud"),
            Some("sudo -u www-data php occ app:update groupfolders"),
        ),
        C::ProjectFolderFilesRequestFailed => {
            (said!("fm-project_folder_files_request_failed"), said!("ff-project_folder_files_request_failed"), None)
        }
        C::UserlessAccess => (said!("fm-health_userless_access_denied"), said!("ff-userless_access"), None),
        C::ProjectFolderIncomplete => {
            (said!("fm-health_team_folder_not_found"), said!("ff-project_folder_incomplete"), None)
        }
        C::ProjectFoldersUnlinked => (
            said!("fm-project_folders_unlinked", actual = context("actual"), expected = context("expected")),
            said!("ff-project_folders_unlinked"),
            Some("systemctl status openproject-worker"),
        ),
        C::ProjectFolderMissing => {
            (said!("fm-project_folder_missing", project = context("project")), said!("ff-project_folder_missing"), None)
        }
        C::TeamFolderUnexpectedContent if context("sample").is_empty() => {
            (said!("fm-team_folder_unexpected_content_unnamed"), said!("ff-team_folder_unexpected_content"), None)
        }
        C::TeamFolderUnexpectedContent => (
            said!("fm-team_folder_unexpected_content", sample = context("sample")),
            said!("ff-team_folder_unexpected_content"),
            None,
        ),
        _ => return None,
    })
}

/// Folds a test sign-in through the identity provider into the diagnosis of an SSO pair: its findings, and the
/// checks it settles — whether a user's token is accepted on both sides, and what only the servers show (bearer
/// validation, OpenProject's provider client id and scopes), which the servers' own answers to the token prove.
/// Nothing is done for a pair without an SSO storage.
pub async fn add_test_sign_in(
    diagnosis: &mut Diagnosis,
    op: &OpenProjectClient,
    nc: &NextcloudClient,
    request: &crate::sso_sign_in::SignInRequest,
    face: &crate::sso_sign_in::SignInFace,
) {
    let Some(storage_id) = diagnosis.storage_id else { return };
    let storage = match op.storage(storage_id).await {
        Ok(s) if s.is_sso() => s,
        _ => return,
    };
    let outcome = Box::pin(crate::sso_sign_in::run(op, nc, &storage, request, face)).await;
    if let Some(reason) = outcome.not_run {
        if let Some(entry) = diagnosis.not_run.iter_mut().find(|n| n.check == Check::SsoTokenAccepted) {
            *entry =
                NotRun::new(Check::SsoTokenAccepted, crate::said!("notrun-test_sign_in").arg_said("reason", reason));
        }
        return;
    }
    diagnosis.not_run.retain(|n| n.check != Check::SsoTokenAccepted);
    let passed = outcome.findings.iter().any(|f| f.code == C::SsoTestSignInPassed);
    if passed {
        diagnosis.not_run.retain(|n| n.check != Check::SsoServerOnlySettings);
    }
    diagnosis.findings.extend(outcome.findings);
    sort(&mut diagnosis.findings);
}

/// Folds OpenProject's own health report (16.0+, run through the admin's browser session) into the diagnosis:
/// every failed or warned check becomes a finding under the doctor's code for it, unless the doctor's own
/// checks already found that. Where the report cannot run, the diagnosis says so under "could not run".
pub async fn add_openproject_health_report(diagnosis: &mut Diagnosis, web: &AdminPages) {
    let Some(storage_id) = diagnosis.storage_id else {
        return;
    };
    // Before 16.0 (from 14.4) the storage page's connection check gives one result of the same kind.
    let read = if web.has_health_report() {
        web.health_report(storage_id).await.map(|text| parse_health_report(&text))
    } else {
        web.validate_connection(storage_id).await.map(|check| vec![check])
    };
    let checks = match read {
        Ok(checks) => checks,
        Err(e) => {
            diagnosis.not_run.push(NotRun::new(Check::OpenprojectHealthReport, e.said().0));
            return;
        }
    };
    if checks.is_empty() {
        diagnosis
            .not_run
            .push(NotRun::new(Check::OpenprojectHealthReport, said!("notrun-health_report_unknown_shape")));
        return;
    }
    for check in checks.iter().filter(|c| c.state == "failure" || c.state == "warning") {
        let code = health_code(check);
        if diagnosis.findings.iter().any(|f| f.code == code) {
            continue;
        }
        let rule = project_folder_rule(code, check);
        let severity = match (code, check.state.as_str()) {
            // The project-folder rules: what OpenProject warns about still works, for now.
            (_, "warning") if rule.is_some() => Severity::Warning,
            (C::AdminNotConnectedToNextcloud, _) | (_, "warning") => Severity::Info,
            (C::OpenprojectHealthCheck, _) => Severity::Warning,
            _ => Severity::Blocker,
        };
        let name = check.code.clone().unwrap_or_else(|| check.check.clone());
        let message = match (code, &rule) {
            (_, Some((message, _, _))) => message.clone(),
            (C::AdminNotConnectedToNextcloud, _) => said!("fm-admin_not_connected_to_nextcloud"),
            _ => said!("fm-openproject_health_check", check = &check.check, state = &check.state, name = &name),
        };
        // OpenProject's own words where it gives them (the connection check's description), as observed.
        let words = check.context.get("description").map(|d| format!(" ({d})")).unwrap_or_default();
        let mut finding = Finding::new(code, severity, Some(Server::OpenProject), message).evidence(format!(
            "{}{words}",
            format!(
                "health report {}.{}: {} {}",
                check.group,
                check.check,
                check.state,
                check.code.as_deref().unwrap_or("")
            )
            .trim()
        ));
        if let Some((_, fix, command)) = rule {
            finding = finding.fix(fix);
            if let Some(command) = command {
                finding = finding.command(command);
            }
        } else if code == C::AdminNotConnectedToNextcloud {
            finding = finding.fix(said!("ff-admin_not_connected_to_nextcloud"));
        } else {
            finding = finding.fix(said!("ff-openproject_health_check", name = &name));
        }
        diagnosis.findings.push(finding);
    }
    sort(&mut diagnosis.findings);
}

/// The stable snake_case name of a code (as in the JSON report).
pub fn code_name(code: C) -> String {
    serde_json::to_value(code).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default()
}

/// Setup-only findings that say nothing about a broken connection.
fn setup_only(code: C) -> bool {
    matches!(
        code,
        C::StorageExistsForHost
            | C::StorageNameTaken
            | C::IntegrationConfiguredForThisOpenproject
            | C::IntegrationConfiguredForOtherOpenproject
            | C::ProjectFolderEntitiesExist
            | C::ProjectFolderGroupConflict
            | C::AlreadyConfigured
            | C::GroupfoldersMissing
            | C::GroupfoldersDisabled
            | C::GroupfoldersTooOld
    )
}

/// The upgrade advisor, from the two versions Nextcloud reports: a pair outside what the integration release
/// declares, the release that breaks project folders on Nextcloud's newer patch releases, and the upgrade that may
/// wipe the integration's settings (with what to upgrade first).
pub fn upgrade_advice(nextcloud: Option<&str>, integration: Option<&str>, project_folders: bool) -> Vec<Finding> {
    use crate::compat;
    let (Some(nextcloud), Some(integration)) = (nextcloud, integration) else { return Vec::new() };
    let (Some(nc), Some(app)) =
        (crate::version::parse_server_version(nextcloud), crate::version::parse_server_version(integration))
    else {
        return Vec::new();
    };
    let mut findings = Vec::new();
    let evidence = format!("Nextcloud {nextcloud}, integration_openproject {integration}");
    let warning = |code: C, message: Said, fix: Said| {
        Finding::new(code, Severity::Warning, Some(Server::Nextcloud), message).evidence(evidence.clone()).fix(fix)
    };
    if let Some((min, max)) = compat::nextcloud_range(&app) {
        if !(min..=max).contains(&nc.major) {
            let fix = match compat::integration_for_nextcloud(nc.major) {
                Some(release) if nc.major > max => said!("ff-version_pair_update_app", release = release),
                _ if nc.major > max => said!("ff-version_pair_no_release", nextcloud = nc.major),
                _ => said!("ff-version_pair_update_nextcloud", min = min),
            };
            findings.push(
                warning(
                    C::VersionPairUnsupported,
                    said!(
                        "fm-version_pair_unsupported",
                        integration = &app,
                        min = min,
                        max = max,
                        nextcloud = nc.major
                    ),
                    fix,
                )
                .command("occ app:update integration_openproject"),
            );
        }
    }
    // The fix came to each release line: 3.1.1 on 3.x, 2.11.4 on 2.x.
    let fixed_in = if app.major >= 3 {
        compat::INTEGRATION_PASSWORD_CONFIRMATION_3
    } else {
        compat::INTEGRATION_PASSWORD_CONFIRMATION_2
    };
    if project_folders && app < fixed_in {
        findings.push(
            warning(
                C::IntegrationPasswordConfirmation,
                said!("fm-integration_password_confirmation", integration = &app),
                said!("ff-integration_password_confirmation", release = fixed_in),
            )
            .command("occ app:update integration_openproject"),
        );
    }
    if app < compat::INTEGRATION_KEEPS_SETTINGS {
        let keeps = compat::INTEGRATION_KEEPS_SETTINGS;
        if nc.major >= compat::NEXTCLOUD_REPLAYS_MIGRATIONS {
            findings.push(warning(
                C::UpgradeWipesSettings,
                said!("fm-upgrade_wipes_settings", integration = &app, nextcloud = nc.major),
                said!("ff-upgrade_wipes_settings", release = &keeps),
            ));
        } else if nc.major + 1 == compat::NEXTCLOUD_REPLAYS_MIGRATIONS {
            findings.push(
                Finding::new(
                    C::UpgradeWipesSettings,
                    Severity::Info,
                    Some(Server::Nextcloud),
                    said!("fm-upgrade_advice", nextcloud = compat::NEXTCLOUD_REPLAYS_MIGRATIONS, release = &keeps),
                )
                .evidence(evidence.clone()),
            );
        }
    }
    findings
}

/// Diagnoses the pair. `has_*_credentials` says whether credentials were given at all (without them the
/// doctor runs the public checks only and says which checks could not run).
/// The doctor's reads beyond the preflight's. They start with it: the storage's own checks wait only for the
/// storage list, the token probe also for the secret; what a check's gate later excludes is not used.
struct OwnReads {
    links: Option<Result<Vec<crate::openproject::ProjectStorage>, crate::ClientError>>,
    health: Option<Result<Vec<crate::openproject::HealthCheck>, crate::ClientError>>,
    /// Whether Nextcloud's authorize endpoint knows OpenProject's client there.
    known: Option<bool>,
    probe: Option<TokenProbe>,
    secret_visible: bool,
    enabled_apps: Option<Vec<String>>,
    /// `core`'s `backgroundjobs_mode` and `lastcron`.
    background_jobs: (Option<String>, Option<String>),
    /// Read only where the encryption app is enabled.
    encryption: Option<EncryptionSettings>,
}

/// What integration_openproject's admin page reads to warn that project folders are not encrypted
/// (`OpenProjectAPIService::isServerSideEncryptionEnabled`, `lib/Settings/Admin.php` `encryption_info`).
struct EncryptionSettings {
    /// `core` `encryption_enabled` is `yes`.
    enabled: bool,
    /// `encryption` `encryptHomeStorage` (unset means `1`).
    home_storage: bool,
    /// `groupfolders` `enable_encryption` is `true`.
    team_folders: bool,
}

impl OwnReads {
    async fn read(op: &OpenProjectClient, nc: &NextcloudClient, shared: &preflight::SharedReads) -> Self {
        let storage_checks = async {
            let Some(storage) = shared.storage_for(op, nc).await else {
                return (None, None, None, None);
            };
            let by_storage = [Filter::new("storageId", "=", &[&storage.id.to_string()])];
            let nc_client_id =
                storage.oauth_client_credentials.as_ref().map(|c| c.client_id.clone()).unwrap_or_default();
            let (links, health, known, probe) = tokio::join!(
                op.project_storages(&by_storage),
                op.health_checks(),
                async {
                    if nc_client_id.is_empty() {
                        None
                    } else {
                        nc.oauth_client_exists(&nc_client_id).await.ok()
                    }
                },
                async {
                    match (&storage.oauth_application, shared.visible_secret(nc).await) {
                        (Some(app), Some(secret)) => {
                            op.probe_oauth_client(&app.client_id, &secret, &nc.openproject_redirect_uri()).await.ok()
                        }
                        _ => None,
                    }
                },
            );
            (Some(links), Some(health), known, probe)
        };
        let value = |app: &'static str, key: &'static str| async move {
            nc.app_config_value(app, key).await.ok().map(|v| v.expose().clone())
        };
        let apps_and_encryption = async {
            let apps = nc.enabled_apps().await.ok();
            let encryption = if apps.as_ref().is_some_and(|a| a.iter().any(|a| a == "encryption")) {
                let (enabled, home, team) = tokio::join!(
                    value("core", "encryption_enabled"),
                    value("encryption", "encryptHomeStorage"),
                    value("groupfolders", "enable_encryption"),
                );
                Some(EncryptionSettings {
                    enabled: enabled.as_deref() == Some("yes"),
                    home_storage: home.as_deref().is_none_or(|h| h.is_empty() || h == "1"),
                    team_folders: team.as_deref() == Some("true"),
                })
            } else {
                None
            };
            (apps, encryption)
        };
        let ((enabled_apps, encryption), (links, health, known, probe), secret_visible, mode, last_cron) = tokio::join!(
            apps_and_encryption,
            storage_checks,
            async { shared.visible_secret(nc).await.is_some() },
            value("core", "backgroundjobs_mode"),
            value("core", "lastcron"),
        );
        Self {
            links,
            health,
            known,
            probe,
            secret_visible,
            enabled_apps,
            background_jobs: (mode, last_cron),
            encryption,
        }
    }
}

/// Both servers' TLS as this machine sees it (one handshake each, beside the requests; nothing for plain http).
async fn tls_findings(op: &OpenProjectClient, nc: &NextcloudClient) -> Vec<Finding> {
    if op.base().url().scheme() != "https" && nc.base().url().scheme() != "https" {
        return Vec::new();
    }
    // The system's trust store is read once per process (some milliseconds), not per diagnosis.
    static TRUST: std::sync::OnceLock<Option<crate::tls_check::Trust>> = std::sync::OnceLock::new();
    let Some(trust) = TRUST.get_or_init(|| crate::tls_check::Trust::system().ok()) else {
        return Vec::new();
    };
    let timeout = std::time::Duration::from_secs(10);
    let (op_seen, nc_seen) = tokio::join!(
        crate::tls_check::observe(op.base(), trust, timeout),
        crate::tls_check::observe(nc.base(), trust, timeout)
    );
    let now = unix_now();
    let mut out = Vec::new();
    for (server, url, seen) in [(Server::OpenProject, op.base(), op_seen), (Server::Nextcloud, nc.base(), nc_seen)] {
        if let Some(seen) = seen {
            out.extend(crate::tls_check::findings(server, url, &seen, now));
        }
    }
    out
}

/// OpenProject's worker checks (`lib/open_project/health_checks/`): `worker` fails when no good_job process is
/// active; `worker_backed_up` when jobs wait longer than its threshold ("412 jobs are waiting to be picked up for
/// more than 5 minutes."), whose count and minutes are read from the message where it gives them.
fn worker_finding(check: &crate::openproject::HealthCheck) -> Option<Finding> {
    let evidence = format!("health check {}: {}", check.name, check.message);
    let numbers: Vec<u64> = check.message.split(|c: char| !c.is_ascii_digit()).filter_map(|n| n.parse().ok()).collect();
    let (code, message) = match (check.name.as_str(), numbers.as_slice()) {
        ("worker", _) => (C::OpenprojectWorkersStopped, said!("fm-openproject_workers_stopped")),
        (name, [jobs, minutes, ..]) if name.starts_with("worker") => {
            (C::WorkersBackedUp, said!("fm-workers_backed_up_for", jobs = jobs, minutes = minutes))
        }
        (name, _) if name.starts_with("worker") => (C::WorkersBackedUp, said!("fm-workers_backed_up")),
        _ => return None,
    };
    Some(
        Finding::new(code, Severity::Warning, Some(Server::OpenProject), message)
            .evidence(evidence)
            .fix(said!("ff-workers_backed_up"))
            .command("systemctl status openproject-worker"),
    )
}

fn unix_now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or_default()
}

/// How long after its last run Nextcloud's cron counts as stopped: it should run every 5 minutes.
const CRON_STALE_AFTER_SECONDS: i64 = 60 * 60;

/// Nextcloud's background jobs: the project folders' permissions and memberships (integration_openproject's
/// jobs) and OpenProject's notifications wait for them. In `ajax` mode (a fresh install's default) they run only
/// while someone has the web interface open; with cron, the last run tells whether the cron job still runs.
fn background_job_finding((mode, last): &(Option<String>, Option<String>), now: i64) -> Option<Finding> {
    let mode = mode.as_deref()?;
    let last = last.as_deref().and_then(|l| l.trim().parse::<i64>().ok()).filter(|t| *t > 0);
    let evidence =
        format!("backgroundjobs_mode {mode:?}, lastcron {}", last.map(|t| t.to_string()).unwrap_or_default());
    match mode {
        "" | "ajax" => Some(
            Finding::new(
                C::NextcloudBackgroundJobsAjax,
                Severity::Warning,
                Some(Server::Nextcloud),
                said!("fm-nextcloud_background_jobs_ajax"),
            )
            .evidence(evidence)
            .fix(said!("ff-nextcloud_background_jobs_ajax"))
            .command("sudo -u www-data php occ background:cron"),
        ),
        _ => {
            let message = match last {
                None => said!("fm-nextcloud_background_jobs_never_ran", mode = mode),
                Some(t) if now - t > CRON_STALE_AFTER_SECONDS => {
                    said!("fm-nextcloud_background_jobs_stale", mode = mode).arg_said("age", age(now - t))
                }
                Some(_) => return None,
            };
            Some(
                Finding::new(C::NextcloudBackgroundJobsStale, Severity::Warning, Some(Server::Nextcloud), message)
                    .evidence(evidence)
                    .fix(said!("ff-nextcloud_background_jobs_stale"))
                    .command("sudo -u www-data php -f /var/www/nextcloud/cron.php"),
            )
        }
    }
}

/// A span of time as people say it: minutes under two hours, hours under two days, then days.
fn age(seconds: i64) -> crate::catalogue::Said {
    let minutes = seconds.max(0) / 60;
    if minutes < 120 {
        said!("age-minutes", minutes = minutes)
    } else if minutes < 48 * 60 {
        said!("age-hours", hours = minutes / 60)
    } else {
        said!("age-days", days = minutes / (24 * 60))
    }
}

/// Server-side encryption on, and the team folders (where project folders live) not encrypted: what
/// integration_openproject's admin page warns about.
fn team_folder_encryption_finding(settings: &EncryptionSettings) -> Option<Finding> {
    (settings.enabled && settings.home_storage && !settings.team_folders).then(|| {
        Finding::new(
            C::TeamFoldersNotEncrypted,
            Severity::Warning,
            Some(Server::Nextcloud),
            said!("fm-team_folders_not_encrypted"),
        )
        .evidence("encryption_enabled yes, encryptHomeStorage 1, groupfolders enable_encryption not true")
        .fix(said!("ff-team_folders_not_encrypted"))
        .command("sudo -u www-data php occ config:app:set groupfolders enable_encryption --value=true")
    })
}

pub async fn diagnose(
    op: &OpenProjectClient,
    nc: &NextcloudClient,
    has_op_credentials: bool,
    has_nc_credentials: bool,
) -> Diagnosis {
    let options = SetupOptions { replace_existing: true, project_folders: false, ..SetupOptions::default() };
    let shared = preflight::SharedReads::default();
    // The preflight's reads and the doctor's own in one go: those that need the storage or the secret start as
    // soon as that read is answered, not after everything else.
    let (report, own, tls) = tokio::join!(
        preflight::for_diagnosis(op, nc, &options, &shared),
        OwnReads::read(op, nc, &shared),
        tls_findings(op, nc)
    );
    let report: PreflightReport = report;
    let facts = report.facts.clone();
    let mut not_run = Vec::new();
    let mut findings: Vec<Finding> = Vec::new();
    let op_access = if facts.openproject_version.is_some() {
        Access::Admin
    } else if report.has(C::OpenprojectNotAdmin) {
        Access::SignedIn
    } else {
        Access::Anonymous
    };
    let nc_access = if facts.nextcloud_admin.is_some() {
        Access::Admin
    } else if report.has(C::NextcloudNotAdmin) {
        Access::SignedIn
    } else {
        Access::Anonymous
    };
    for f in report.findings {
        let without_credentials = match f.code {
            C::OpenprojectCredentialsRejected | C::OpenprojectNotAdmin => {
                !has_op_credentials || f.code == C::OpenprojectNotAdmin
            }
            C::NextcloudCredentialsRejected | C::NextcloudNotAdmin => {
                !has_nc_credentials || f.code == C::NextcloudNotAdmin
            }
            _ => false,
        };
        if without_credentials {
            let reason = match f.server {
                Some(Server::OpenProject) => said!("notrun-no_openproject_admin"),
                _ => said!("notrun-no_nextcloud_admin"),
            };
            not_run.push(NotRun::new(
                if f.server == Some(Server::OpenProject) {
                    Check::OpenprojectAdminChecks
                } else {
                    Check::NextcloudAdminChecks
                },
                reason,
            ));
            continue;
        }
        if !setup_only(f.code) {
            findings.push(f);
        }
    }
    let op_reachable = !findings.iter().any(|f| f.code == C::OpenprojectUnreachable);
    let nc_reachable = !findings.iter().any(|f| f.code == C::NextcloudUnreachable);
    if !nc_reachable {
        not_run.push(NotRun::new(Check::NextcloudSide, said!("notrun-nextcloud_unreachable")));
    }

    // The storage for this Nextcloud, or the closest one (drift: another scheme, host name or path).
    let storage = facts.storage_for(nc.base()).cloned();
    let mut storage_id = None;
    let (mut sso, mut project_folders) = (false, false);
    if op_access == Access::Admin && op_reachable {
        if storage.is_none() {
            let same_port = facts.storages.iter().find(|s| {
                url::Url::parse(&s.host).ok().and_then(|u| u.port_or_known_default())
                    == nc.base().url().port_or_known_default()
            });
            match same_port.or(facts.storages.first()) {
                Some(other) => findings.push(
                    Finding::new(
                        C::StorageHostDrift,
                        Severity::Blocker,
                        Some(Server::OpenProject),
                        said!("fm-storage_host_drift", name = &other.name, host = &other.host, nextcloud = nc.base()),
                    )
                    .evidence(format!("storage {} host {}", other.id, other.host))
                    .fix(said!("ff-storage_host_drift")),
                ),
                None => findings.push(
                    Finding::new(
                        C::StorageMissing,
                        Severity::Blocker,
                        Some(Server::OpenProject),
                        said!("fm-storage_missing"),
                    )
                    .evidence(format!("{} storages, none for {}", facts.storages.len(), nc.base()))
                    .fix(said!("ff-storage_missing"))
                    .remedy(Remedy::Setup),
                ),
            }
        }
    } else if op_access != Access::Admin {
        not_run.push(NotRun::new(Check::StorageDrift, said!("notrun-storage_admins_only")));
    }

    // Round two: the checks that need the storage or the secret Nextcloud holds.
    let nc_admin = nc_access == Access::Admin && nc_reachable;
    let integration = facts.integration.clone().unwrap_or_default();
    if let Some(storage) = storage.as_ref().filter(|_| op_reachable) {
        storage_id = Some(storage.id);
        sso = storage.is_sso();
        project_folders = storage.has_application_password == Some(true);
        let op_app = storage.oauth_application.clone();
        let nc_client_id = storage.oauth_client_credentials.as_ref().map(|c| c.client_id.clone()).unwrap_or_default();
        let known = own.known.filter(|_| nc_reachable);
        let probe = own.probe.filter(|_| nc_admin);
        let (links, health) = (own.links, own.health);
        if nc_admin && !own.secret_visible && integration.has_openproject_client_secret {
            not_run.push(NotRun::new(Check::OpenprojectAcceptsNextcloudsSecret, said!("notrun-secret_hidden")));
        }
        if storage.authorization_state.as_deref().is_some_and(|s| s.ends_with(":Error")) {
            findings.push(
                Finding::new(
                    C::OpenprojectCannotReachNextcloud,
                    Severity::Blocker,
                    Some(Server::OpenProject),
                    said!("fm-openproject_cannot_reach_nextcloud"),
                )
                .evidence(format!("storage {} authorizationState Error", storage.id))
                .fix(said!("ff-openproject_cannot_reach_nextcloud")),
            );
        }
        if nc_admin {
            if !op.base().same_server(&integration.openproject_url) {
                findings.push(
                    Finding::new(
                        C::OpenprojectUrlMismatch,
                        Severity::Blocker,
                        Some(Server::Nextcloud),
                        said!(
                            "fm-openproject_url_mismatch",
                            held = &integration.openproject_url,
                            openproject = op.base()
                        ),
                    )
                    .evidence(format!("openproject_instance_url {:?}", integration.openproject_url))
                    .fix(said!("ff-openproject_url_mismatch")),
                );
            }
            if let Some(app) = &op_app {
                if integration.openproject_client_id != app.client_id {
                    findings.push(
                        Finding::new(C::ClientIdMismatch, Severity::Blocker, None, said!("fm-client_id_mismatch"))
                            .evidence(format!(
                                "Nextcloud {:?}, OpenProject {:?}",
                                integration.openproject_client_id, app.client_id
                            ))
                            .fix(said!("ff-client_id_mismatch"))
                            .remedy(Remedy::Reset { kind: ResetKind::OpenprojectOauth }),
                    );
                } else if probe == Some(TokenProbe::InvalidClient) {
                    findings.push(
                        Finding::new(
                            C::OpenprojectSecretRejected,
                            Severity::Blocker,
                            None,
                            said!("fm-openproject_secret_rejected"),
                        )
                        .evidence(
                            "OpenProject token endpoint: invalid_client for the client id and secret Nextcloud holds",
                        )
                        .fix(said!("ff-openproject_secret_rejected"))
                        .remedy(Remedy::Reset { kind: ResetKind::OpenprojectOauth }),
                    );
                }
            }
            let method_op = storage.authentication_method.as_deref().map(|m| {
                if m.ends_with("TwoWayOAuth2") {
                    "oauth2"
                } else {
                    "oidc"
                }
            });
            let method_nc = if integration.authorization_method.is_empty() {
                "oauth2"
            } else {
                integration.authorization_method.as_str()
            };
            if let Some(method_op) = method_op {
                if method_op != method_nc {
                    findings.push(
                        Finding::new(
                            C::AuthenticationMethodMismatch,
                            Severity::Blocker,
                            None,
                            said!("fm-authentication_method_mismatch", openproject = method_op, nextcloud = method_nc),
                        )
                        .evidence(format!(
                            "OpenProject authenticationMethod {:?}, Nextcloud authorization_method {:?}",
                            storage.authentication_method, integration.authorization_method
                        ))
                        .fix(said!("ff-authentication_method_mismatch"))
                        .remedy(Remedy::SetupReplacing),
                    );
                }
            }
            if storage.is_sso() && integration.authorization_method == "oidc" {
                // Boxed, as the preflight's SSO reads: the diagnosis's future stays small.
                let (sso_findings, sso_not_run) = Box::pin(crate::doctor_sso::checks(op, nc, storage)).await;
                findings.extend(sso_findings);
                not_run.extend(sso_not_run);
            }
            // Nextcloud calls an oidc setup without its audience incomplete: the SSO finding names the cause.
            let cause_named = findings.iter().any(|f| f.code == C::SsoTargetedAudienceMissing);
            if facts.integration_complete == Some(false) && !cause_named {
                findings.push(
                    Finding::new(
                        C::IntegrationIncomplete,
                        Severity::Blocker,
                        Some(Server::Nextcloud),
                        said!("fm-integration_incomplete"),
                    )
                    .evidence("check-admin-config: config_status_without_project_folder=false")
                    .fix(said!("ff-integration_incomplete"))
                    .remedy(Remedy::Setup),
                );
            }
            if storage.has_application_password == Some(true) {
                let old_groupfolders = facts
                    .groupfolders_version
                    .as_deref()
                    .and_then(crate::version::parse_server_version)
                    .filter(|v| *v < preflight::compat::GROUPFOLDERS);
                if let Some(version) = old_groupfolders {
                    findings.push(
                        Finding::new(
                            C::GroupfoldersTooOld,
                            Severity::Blocker,
                            Some(Server::Nextcloud),
                            said!("fm-groupfolders_too_old", needed = preflight::compat::GROUPFOLDERS),
                        )
                        .evidence(format!("groupfolders {version}"))
                        .fix(said!("ff-update_app_on_nextcloud"))
                        .command("sudo -u www-data php occ app:update groupfolders"),
                    );
                }
                if facts.project_folder_complete == Some(false) {
                    findings.push(
                        Finding::new(
                            C::ProjectFolderIncomplete,
                            Severity::Blocker,
                            Some(Server::Nextcloud),
                            said!("fm-project_folder_incomplete"),
                        )
                        .evidence("project-folder-status: false")
                        .fix(said!("ff-project_folder_incomplete")),
                    );
                }
                if facts.app_password_present == Some(false) {
                    findings.push(
                        Finding::new(C::UserlessAccess, Severity::Blocker, None, said!("fm-userless_access"))
                            .evidence("OpenProject hasApplicationPassword=true, Nextcloud app password missing")
                            .fix(said!("ff-userless_access"))
                            .remedy(Remedy::Reset { kind: ResetKind::AppPassword }),
                    );
                }
            }
        } else {
            not_run.push(NotRun::new(Check::NextcloudConfigurationDrift, said!("notrun-integration_admins_only")));
        }
        if known == Some(false) {
            findings.push(
                Finding::new(C::NextcloudClientUnknown, Severity::Blocker, None, said!("fm-nextcloud_client_unknown"))
                    .evidence(format!("Nextcloud's authorize endpoint does not know client {nc_client_id:?}"))
                    .fix(said!("ff-nextcloud_client_unknown"))
                    .remedy(Remedy::Reset { kind: ResetKind::NextcloudOauth }),
            );
        }
        let expected_redirect = nc.openproject_redirect_uri();
        if op_app.as_ref().is_some_and(|a| !a.redirect_uris.iter().any(|u| u == &expected_redirect)) {
            findings.push(
                Finding::new(
                    C::RedirectUriMismatch,
                    Severity::Blocker,
                    Some(Server::OpenProject),
                    said!("fm-redirect_uri_mismatch"),
                )
                .evidence(format!(
                    "redirect URIs {:?}, expected {expected_redirect}",
                    op_app.as_ref().map(|a| a.redirect_uris.clone()).unwrap_or_default()
                ))
                .fix(said!("ff-redirect_uri_mismatch"))
                .remedy(Remedy::Reset { kind: ResetKind::OpenprojectOauth }),
            );
        }
        if let Some(Ok(links)) = &links {
            if links.is_empty() {
                findings.push(
                    Finding::new(
                        C::StorageInNoProject,
                        Severity::Warning,
                        Some(Server::OpenProject),
                        said!("fm-storage_in_no_project"),
                    )
                    .evidence("project_storages: none")
                    .fix(said!("ff-storage_in_no_project"))
                    .remedy(Remedy::EnableProjects),
                );
            }
        }
        match health {
            Some(Ok(checks)) => {
                findings.extend(checks.iter().filter(|c| !c.success).filter_map(worker_finding));
            }
            Some(Err(_)) => {
                not_run.push(NotRun::new(Check::OpenprojectHealthChecks, said!("notrun-health_checks_unreachable")))
            }
            None => {}
        }
    }
    if nc_admin {
        findings.extend(background_job_finding(&own.background_jobs, unix_now()));
        if let Some(settings) = own.encryption.as_ref().filter(|_| project_folders) {
            findings.extend(team_folder_encryption_finding(settings));
        }
        if let Some(apps) = &own.enabled_apps {
            if apps.iter().any(|a| a == "terms_of_service") {
                findings.push(
                    Finding::new(
                        C::TermsOfService,
                        Severity::Warning,
                        Some(Server::Nextcloud),
                        said!("fm-terms_of_service"),
                    )
                    .evidence("terms_of_service enabled")
                    .fix(said!("ff-terms_of_service")),
                );
            }
        }
    }
    if !findings.iter().any(|f| f.code == C::NextcloudCannotReachOpenproject)
        && facts.reachability.is_none()
        && nc_reachable
    {
        not_run.push(NotRun::new(Check::NextcloudToOpenproject, said!("notrun-needs_nextcloud_account")));
    }
    findings.extend(tls);
    findings.extend(upgrade_advice(
        facts.nextcloud_version.as_deref(),
        facts.integration_version.as_deref(),
        project_folders,
    ));
    sort(&mut findings);
    findings.dedup_by(|a, b| a.code == b.code && a.message == b.message);
    Diagnosis {
        openproject: ServerSummary {
            url: op.base().to_string(),
            version: facts.openproject_version.clone(),
            access: op_access,
        },
        nextcloud: ServerSummary {
            url: nc.base().to_string(),
            version: facts.nextcloud_version.clone(),
            access: nc_access,
        },
        integration_version: facts.integration_version.clone(),
        storage_id,
        sso,
        project_folders,
        connection: ConnectionFacts {
            storage_name: storage.as_ref().map(|s| s.name.clone()),
            storage_host: storage.as_ref().map(|s| s.host.clone()),
            openproject_client_id: storage
                .as_ref()
                .and_then(|s| s.oauth_application.as_ref())
                .map(|a| a.client_id.clone()),
            openproject_client_id_in_nextcloud: facts.integration.as_ref().map(|i| i.openproject_client_id.clone()),
            nextcloud_client_id: storage
                .as_ref()
                .and_then(|s| s.oauth_client_credentials.as_ref())
                .map(|c| c.client_id.clone()),
            nextcloud_points_at: facts.integration.as_ref().map(|i| i.openproject_url.clone()),
            nextcloud_method: facts.integration.as_ref().map(|i| i.authorization_method.clone()),
        },
        findings,
        not_run,
    }
}
