//! The connection doctor: for each check, a pair that is healthy except for exactly one broken thing, and
//! the doctor must name that thing as the primary finding with the right fix. A healthy pair diagnoses
//! clean; partial access says what could not run; no secret reaches the report.

mod common;

use common::*;
use opnc_core::doctor::{self, Access, Check, Diagnosis, Verdict};
use opnc_core::findings::FindingCode as C;
use opnc_core::setup::SetupOptions;
use opnc_sim::nextcloud::demo as nc_demo;
use opnc_sim::openproject::demo as op_demo;
use opnc_sim::SimPair;

/// Set up, proven, and enabled in one project: nothing to complain about.
async fn healthy() -> SimPair {
    let pair = connected_pair(SetupOptions::default()).await;
    let id = pair.openproject.sim.state().storages[0].id;
    pair.openproject.sim.enable_in_project(id, 1, "automatic");
    pair
}

async fn diagnose(pair: &SimPair) -> Diagnosis {
    doctor::diagnose(&op_admin(&pair.openproject.url()), &nc_admin(&pair.nextcloud.url()), true, true).await
}

fn closed_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

fn expect_primary(name: &str, d: &Diagnosis, code: C, fix: &str) {
    let primary = d.primary().unwrap_or_else(|| panic!("{name}: no finding in {:#?}", d.findings));
    assert_eq!(primary.code, code, "{name}: primary finding; all: {:#?}", d.findings);
    // The words are for every face: no face's commands or flags in them (those come from the remedy).
    let words = format!("{} {}", primary.message, primary.fix.clone().unwrap_or_default());
    for face_only in ["opnc ", "--replace", "--storage-name", "desktop app"] {
        assert!(!words.contains(face_only), "{name}: {words}");
    }
    assert!(
        primary.fix.as_deref().is_some_and(|f| f.contains(fix)),
        "{name}: fix {:?} should mention {fix:?}",
        primary.fix
    );
}

type Break = Box<dyn Fn(&SimPair)>;

/// Each scenario on a healthy pair: the one thing broken is the primary finding with its fix, and the pair still
/// works (warnings only). The diagnoses, for what a caller checks further.
async fn still_working_with(scenarios: Vec<(&'static str, Break, C, &str)>) -> Vec<(&'static str, Diagnosis)> {
    let mut out = Vec::new();
    for (name, break_it, code, fix) in scenarios {
        let pair = healthy().await;
        break_it(&pair);
        let d = diagnose(&pair).await;
        expect_primary(name, &d, code, fix);
        assert_eq!(d.verdict(), Verdict::WarningsOnly, "{name}: still working: {:#?}", d.findings);
        out.push((name, d));
    }
    out
}

#[tokio::test]
async fn a_healthy_pair_diagnoses_clean() {
    let pair = healthy().await;
    let d = diagnose(&pair).await;
    assert!(d.healthy(), "no false alarms: {:#?}", d.findings);
    assert!(d.not_run.is_empty(), "{:#?}", d.not_run);
    assert_eq!((d.openproject.access, d.nextcloud.access), (Access::Admin, Access::Admin));
    assert_eq!(d.verdict(), Verdict::Healthy);
    assert!(d.to_markdown().contains("**Healthy: every check passed.**"), "{}", d.to_markdown());
}

#[tokio::test]
async fn a_fresh_setup_in_no_project_yet_is_working_with_a_warning_not_broken() {
    let pair = connected_pair(SetupOptions::default()).await;
    let d = diagnose(&pair).await;
    assert_eq!(d.verdict(), Verdict::WarningsOnly, "{:#?}", d.findings);
    assert_eq!(d.primary().map(|f| f.code), Some(C::StorageInNoProject));
    assert_eq!(d.headline(), "Working, with 1 warning: nothing is broken.");
}

#[tokio::test]
async fn each_broken_thing_is_named_first_with_its_fix() {
    let scenarios: Vec<(&str, Break, C, &str)> = vec![
        (
            "integration app disabled",
            Box::new(|p| p.nextcloud.sim.lock().profile.integration_enabled = false),
            C::IntegrationAppDisabled,
            "occ app:enable integration_openproject",
        ),
        (
            "integration app too old",
            Box::new(|p| p.nextcloud.sim.lock().profile.integration_version = Some("2.5.1".into())),
            C::IntegrationAppTooOld,
            "occ app:update",
        ),
        (
            "Nextcloud too old",
            Box::new(|p| p.nextcloud.sim.lock().profile.version = "21.0.9.1".into()),
            C::NextcloudTooOld,
            "Upgrade Nextcloud",
        ),
        (
            "OpenProject too old",
            Box::new(|p| p.openproject.sim.lock().profile.version = "12.4.0".into()),
            C::OpenprojectTooOld,
            "Upgrade OpenProject",
        ),
        (
            "Nextcloud in maintenance",
            Box::new(|p| p.nextcloud.sim.lock().profile.maintenance = true),
            C::NextcloudMaintenance,
            "maintenance:mode --off",
        ),
        (
            "Authorization header stripped",
            Box::new(|p| p.nextcloud.sim.lock().profile.strips_bearer_header = true),
            C::AuthorizationHeaderStripped,
            "HTTP_AUTHORIZATION",
        ),
        (
            "Nextcloud refuses local servers",
            Box::new(|p| p.nextcloud.sim.lock().profile.allow_local_remote_servers = false),
            C::NextcloudCannotReachOpenproject,
            "allow_local_remote_servers",
        ),
        (
            "OpenProject cannot reach Nextcloud",
            Box::new(|p| p.openproject.sim.lock().nextcloud_unreachable = true),
            C::OpenprojectCannotReachNextcloud,
            "update-ca-certificates",
        ),
        (
            "storage deleted",
            Box::new(|p| p.openproject.sim.lock().storages.clear()),
            C::StorageMissing,
            "Set the connection up again",
        ),
        (
            "Nextcloud points at another OpenProject",
            Box::new(|p| {
                p.nextcloud
                    .sim
                    .lock()
                    .app_config
                    .insert("openproject_instance_url".into(), "https://old-openproject.example.com".into());
            }),
            C::OpenprojectUrlMismatch,
            "OpenProject URL",
        ),
        (
            "client id copied wrong",
            Box::new(|p| {
                p.nextcloud.sim.lock().app_config.insert("openproject_client_id".into(), "truncated-client-i".into());
            }),
            C::ClientIdMismatch,
            "Replace OpenProject's OAuth values",
        ),
        (
            "client secret copied wrong",
            Box::new(|p| {
                p.nextcloud
                    .sim
                    .lock()
                    .app_config
                    .insert("openproject_client_secret".into(), "swapped-secret-value".into());
            }),
            C::OpenprojectSecretRejected,
            "Replace OpenProject's OAuth values",
        ),
        (
            "Nextcloud client recreated",
            Box::new(|p| p.nextcloud.sim.lock().oauth_clients.clear()),
            C::NextcloudClientUnknown,
            "Replace Nextcloud's OAuth values",
        ),
        (
            "redirect URI stale",
            Box::new(|p| {
                p.openproject.sim.lock().storages[0].oauth_app.as_mut().unwrap().redirect_uri =
                    "https://old-cloud.example.com/index.php/apps/integration_openproject/oauth-redirect".into();
            }),
            C::RedirectUriMismatch,
            "redirect URI",
        ),
        (
            "authentication methods differ",
            Box::new(|p| {
                p.nextcloud.sim.lock().app_config.insert("authorization_method".into(), "oidc".into());
            }),
            C::AuthenticationMethodMismatch,
            "same method",
        ),
        (
            "integration incomplete after a reset",
            Box::new(|p| {
                p.nextcloud.sim.lock().app_config.insert("fresh_project_folder_setup".into(), "1".into());
            }),
            C::IntegrationIncomplete,
            "Set the connection up again",
        ),
        (
            "app password deleted in Nextcloud",
            Box::new(|p| p.nextcloud.sim.lock().app_tokens.retain(|t| t.uid != "OpenProject")),
            C::UserlessAccess,
            "Rotate the project folders' app password",
        ),
        (
            "team folder deleted",
            Box::new(|p| p.nextcloud.sim.lock().team_folders.clear()),
            C::ProjectFolderIncomplete,
            "team folder",
        ),
        (
            "Team folders app disabled",
            Box::new(|p| p.nextcloud.sim.lock().profile.groupfolders_enabled = false),
            C::ProjectFolderIncomplete,
            "Team folders app",
        ),
        (
            "host name setting wrong",
            Box::new(|p| p.openproject.sim.lock().profile.host_name = Some("openproject.example.com".into())),
            C::HostNameMismatch,
            "Host name",
        ),
        (
            "Terms of Service app",
            Box::new(|p| p.nextcloud.sim.lock().profile.extra_enabled_apps.push("terms_of_service".into())),
            C::TermsOfService,
            "sign-term-of-service",
        ),
        (
            "workers backed up",
            Box::new(|p| p.openproject.sim.lock().workers_backed_up = true),
            C::WorkersBackedUp,
            "worker",
        ),
        (
            "no worker running",
            Box::new(|p| p.openproject.sim.lock().workers_stopped = true),
            C::OpenprojectWorkersStopped,
            "worker",
        ),
        (
            "enabled in no project",
            Box::new(|p| p.openproject.sim.lock().project_storages.clear()),
            C::StorageInNoProject,
            "Enable it in the projects",
        ),
    ];
    let count = scenarios.len();
    for (name, break_it, code, fix) in scenarios {
        let pair = healthy().await;
        break_it(&pair);
        let d = diagnose(&pair).await;
        expect_primary(name, &d, code, fix);
    }
    eprintln!("{count} scenarios with their own broken thing: each named first");
}

#[tokio::test]
async fn network_legs_and_credentials() {
    let pair = healthy().await;
    let closed = format!("http://127.0.0.1:{}", closed_port());
    let d = doctor::diagnose(&op_admin(&closed), &nc_admin(&pair.nextcloud.url()), true, true).await;
    expect_primary("OpenProject down", &d, C::OpenprojectUnreachable, "port");
    let d = doctor::diagnose(&op_admin(&pair.openproject.url()), &nc_admin(&closed), true, true).await;
    expect_primary("Nextcloud down", &d, C::NextcloudUnreachable, "port");
    assert!(d.not_run.iter().any(|n| n.check == Check::NextcloudSide));
    let d =
        doctor::diagnose(&op(&pair.openproject.url(), "expired-token"), &nc_admin(&pair.nextcloud.url()), true, true)
            .await;
    expect_primary("OpenProject token expired", &d, C::OpenprojectCredentialsRejected, "Access tokens");
    let d = doctor::diagnose(
        &op_admin(&pair.openproject.url()),
        &nc(&pair.nextcloud.url(), nc_demo::ADMIN_LOGIN, "revoked"),
        true,
        true,
    )
    .await;
    expect_primary("Nextcloud app password revoked", &d, C::NextcloudCredentialsRejected, "app");
    // A storage that points at the same Nextcloud under another name.
    let other_name = pair.nextcloud.url().replace("127.0.0.1", "localhost");
    let d = doctor::diagnose(&op_admin(&pair.openproject.url()), &nc_admin(&other_name), true, true).await;
    expect_primary("Nextcloud address drift", &d, C::StorageHostDrift, "same Nextcloud address");
}

#[tokio::test]
async fn partial_access_says_what_could_not_run() {
    let pair = healthy().await;
    // Only an OpenProject admin.
    let d =
        doctor::diagnose(&op_admin(&pair.openproject.url()), &nc_anonymous(&pair.nextcloud.url()), true, false).await;
    assert_eq!(d.nextcloud.access, Access::Anonymous);
    assert!(d.healthy(), "{:#?}", d.findings);
    assert!(d.not_run.iter().any(|n| n.check == Check::NextcloudConfigurationDrift), "{:#?}", d.not_run);
    assert_eq!(d.verdict(), Verdict::CouldNotCheck, "nothing found is not healthy when checks could not run");
    assert!(d.headline().starts_with("Not fully checked:"), "{}", d.headline());
    // Only a Nextcloud admin.
    let anonymous_op = opnc_core::openproject::OpenProjectClient::new(
        http(),
        url(&pair.openproject.url()),
        opnc_core::openproject::OpenProjectAuth::Anonymous,
    );
    let d = doctor::diagnose(&anonymous_op, &nc_admin(&pair.nextcloud.url()), false, true).await;
    assert_eq!(d.openproject.access, Access::Anonymous);
    assert!(d.not_run.iter().any(|n| n.check == Check::StorageDrift), "{:#?}", d.not_run);
    assert!(d.healthy(), "{:#?}", d.findings);
    assert_eq!(d.verdict(), Verdict::CouldNotCheck);
    // No admin at all: public checks only, and still the stripped header is found.
    pair.nextcloud.sim.lock().profile.strips_bearer_header = true;
    let d = doctor::diagnose(&anonymous_op, &nc_anonymous(&pair.nextcloud.url()), false, false).await;
    expect_primary("public checks only", &d, C::AuthorizationHeaderStripped, "RewriteRule");
    assert!(d.not_run.len() >= 2);
    // A non-admin OpenProject account.
    let d = doctor::diagnose(
        &op(&pair.openproject.url(), op_demo::USER_TOKEN),
        &nc_admin(&pair.nextcloud.url()),
        true,
        true,
    )
    .await;
    assert_eq!(d.openproject.access, Access::SignedIn);
}

#[tokio::test]
async fn no_secret_reaches_the_report() {
    let pair = healthy().await;
    pair.nextcloud
        .sim
        .lock()
        .app_config
        .insert("openproject_client_secret".into(), "a-wrong-but-secret-value-123456".into());
    let d = diagnose(&pair).await;
    assert!(!d.healthy());
    assert_eq!(d.verdict(), Verdict::Problems);
    let (json, markdown) = (d.to_json(), d.to_markdown());
    let op_state = pair.openproject.sim.state();
    let nc_state = pair.nextcloud.sim.state();
    let storage = &op_state.storages[0];
    let secrets = [
        "a-wrong-but-secret-value-123456".to_owned(),
        storage.oauth_app.as_ref().unwrap().client_secret.clone(),
        storage.oauth_client.as_ref().unwrap().client_secret.clone(),
        storage.application_password.clone().unwrap(),
        nc_state.openproject_app_password().unwrap().token.clone(),
        op_demo::ADMIN_TOKEN.to_owned(),
        nc_demo::ADMIN_PASSWORD.to_owned(),
    ];
    for secret in &secrets {
        assert!(!json.contains(secret.as_str()) && !markdown.contains(secret.as_str()), "a secret reached the report");
    }
    let parsed: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(parsed["findings"][0]["code"], "openproject_secret_rejected");
}

/// The upgrade advisor: each version pair that breaks one thing is named first, with the release to update to.
#[tokio::test]
async fn version_pairs_that_break_something_are_named_with_what_to_upgrade_first() {
    let scenarios: Vec<(&str, Break, C, &str)> = vec![
        (
            "Nextcloud 35 under integration_openproject 3.1.1 (declares 33 to 34)",
            Box::new(|p| p.nextcloud.sim.lock().profile.version = "35.0.0.1".into()),
            C::VersionPairUnsupported,
            "occ app:update integration_openproject",
        ),
        (
            "Nextcloud 34 under integration_openproject 2.11.4 (declares 30 to 32)",
            Box::new(|p| p.nextcloud.sim.lock().profile.integration_version = Some("2.11.4".into())),
            C::VersionPairUnsupported,
            "3.1.0 or later",
        ),
        (
            "project folders with integration_openproject 3.1.0",
            Box::new(|p| p.nextcloud.sim.lock().profile.integration_version = Some("3.1.0".into())),
            C::IntegrationPasswordConfirmation,
            "3.1.1 or later",
        ),
    ];
    still_working_with(scenarios).await;

    // On Nextcloud 35 the settings-wipe warning joins in; on 34 it is advice for the next upgrade only.
    let pair = healthy().await;
    pair.nextcloud.sim.lock().profile.version = "35.0.0.1".into();
    let d = diagnose(&pair).await;
    let wipe = d.findings.iter().find(|f| f.code == C::UpgradeWipesSettings).expect("the wipe warning");
    assert_eq!(wipe.severity, opnc_core::findings::Severity::Warning);
    assert!(wipe.fix.as_deref().is_some_and(|f| f.contains("3.3.0")), "{wipe:#?}");
    let pair = healthy().await;
    let d = diagnose(&pair).await;
    assert_eq!(d.verdict(), Verdict::Healthy, "advice is no warning: {:#?}", d.findings);
    let advice = d.findings.iter().find(|f| f.code == C::UpgradeWipesSettings).expect("the advice before 35");
    assert_eq!(advice.severity, opnc_core::findings::Severity::Info);
    assert!(advice.message.contains("Before upgrading Nextcloud to 35"), "{}", advice.message);

    // Without project folders the password confirmation does not matter; a release newer than those read is not
    // judged.
    let pair = connected_pair(SetupOptions { project_folders: false, ..SetupOptions::default() }).await;
    pair.nextcloud.sim.lock().profile.integration_version = Some("3.1.0".into());
    assert!(!diagnose(&pair).await.findings.iter().any(|f| f.code == C::IntegrationPasswordConfirmation));
    assert!(opnc_core::doctor::upgrade_advice(Some("36.0.0"), Some("3.4.0"), true).is_empty());
}

#[tokio::test]
async fn openprojects_waiting_jobs_are_counted_with_their_age() {
    let pair = healthy().await;
    pair.openproject.sim.lock().workers_backed_up = true;
    let d = diagnose(&pair).await;
    let behind = d.findings.iter().find(|f| f.code == C::WorkersBackedUp).expect("behind");
    assert!(behind.message.contains("412 jobs have waited more than 5 minutes"), "{}", behind.message);
    assert!(behind.message_in(opnc_core::catalogue::Language::De).contains("412 Jobs warten seit mehr als 5 Minuten"));
}

#[tokio::test]
async fn background_jobs_and_team_folder_encryption_are_named_with_their_fix() {
    let set = |app: &str, key: &str, value: &str, p: &SimPair| {
        p.nextcloud.sim.lock().other_app_config.entry(app.into()).or_default().insert(key.into(), value.into());
    };
    let scenarios: Vec<(&str, Break, C, &str)> = vec![
        (
            "background jobs in AJAX mode",
            Box::new(|p| p.nextcloud.sim.lock().background_jobs.mode = "ajax".into()),
            C::NextcloudBackgroundJobsAjax,
            "cron.php every 5 minutes",
        ),
        (
            "a fresh install's default (the mode unset)",
            Box::new(|p| p.nextcloud.sim.lock().background_jobs.mode = String::new()),
            C::NextcloudBackgroundJobsAjax,
            "switch the mode to Cron",
        ),
        (
            "the cron job stopped three hours ago",
            Box::new(|p| p.nextcloud.sim.lock().background_jobs.stop(std::time::Duration::from_secs(3 * 3600 + 60))),
            C::NextcloudBackgroundJobsStale,
            "run it once by hand",
        ),
        (
            "server-side encryption on, team folders not encrypted",
            Box::new(move |p| {
                p.nextcloud.sim.lock().profile.extra_enabled_apps.push("encryption".into());
                set("core", "encryption_enabled", "yes", p);
            }),
            C::TeamFoldersNotEncrypted,
            "encryption for team folders",
        ),
    ];
    for (name, d) in still_working_with(scenarios).await {
        assert!(d.primary().is_some_and(|f| f.command.is_some()), "{name}: a command to run: {:#?}", d.findings);
    }

    // How long ago, in words; the stale message names the mode.
    let pair = healthy().await;
    pair.nextcloud.sim.lock().background_jobs.stop(std::time::Duration::from_secs(3 * 86400));
    let d = diagnose(&pair).await;
    let stale = d.findings.iter().find(|f| f.code == C::NextcloudBackgroundJobsStale).expect("stale cron");
    assert!(stale.message.contains("last ran 3 days ago"), "{}", stale.message);
    assert!(stale.message.contains("“cron”"), "{}", stale.message);
    let pair = healthy().await;
    pair.nextcloud.sim.lock().background_jobs.stop(std::time::Duration::ZERO);
    pair.nextcloud.sim.lock().background_jobs.stopped_at = None;
    let d = diagnose(&pair).await;
    let never = d.findings.iter().find(|f| f.code == C::NextcloudBackgroundJobsStale).expect("cron never ran");
    assert!(never.message.contains("never run"), "{}", never.message);

    // Encryption with team folders encrypted, or with the home storage left out, or without project folders: quiet.
    for (name, extra) in [
        ("team folders encrypted", ("groupfolders", "enable_encryption", "true")),
        ("home storage not encrypted", ("encryption", "encryptHomeStorage", "0")),
    ] {
        let pair = healthy().await;
        pair.nextcloud.sim.lock().profile.extra_enabled_apps.push("encryption".into());
        set("core", "encryption_enabled", "yes", &pair);
        set(extra.0, extra.1, extra.2, &pair);
        let d = diagnose(&pair).await;
        assert_eq!(d.verdict(), Verdict::Healthy, "{name}: {:#?}", d.findings);
    }
    let pair = connected_pair(SetupOptions { project_folders: false, ..SetupOptions::default() }).await;
    let id = pair.openproject.sim.state().storages[0].id;
    pair.openproject.sim.enable_in_project(id, 1, "automatic");
    pair.nextcloud.sim.lock().profile.extra_enabled_apps.push("encryption".into());
    set("core", "encryption_enabled", "yes", &pair);
    let d = diagnose(&pair).await;
    assert!(!d.findings.iter().any(|f| f.code == C::TeamFoldersNotEncrypted), "{:#?}", d.findings);
}

#[tokio::test]
async fn nextcloud_refusing_openprojects_certificate_is_named_with_its_own_words_and_the_import() {
    // OpenProject reached at an address whose certificate is self-signed: this machine cannot talk to it, and
    // neither can Nextcloud — which says so in cURL's words.
    let pair = healthy().await;
    let port = self_signed_tls_port().await;
    let op = op_admin(&format!("https://localhost:{port}"));
    let d = doctor::diagnose(&op, &nc_admin(&pair.nextcloud.url()), true, true).await;
    let refused = d
        .findings
        .iter()
        .find(|f| f.code == C::NextcloudCannotReachOpenproject)
        .unwrap_or_else(|| panic!("Nextcloud's view: {:#?}", d.findings));
    assert!(refused.evidence.contains("cURL error 60: SSL certificate problem"), "{}", refused.evidence);
    assert!(
        refused.fix.as_deref().is_some_and(|f| f.contains("does not accept OpenProject's certificate")),
        "{refused:#?}"
    );
    assert_eq!(
        refused.command.as_deref(),
        Some("sudo -u www-data php occ security:certificates:import /path/to/openproject-ca.pem")
    );
    // And this machine's own view of the same certificate: untrusted here (the requests name it).
    let unreachable = d.findings.iter().find(|f| f.code == C::OpenprojectUnreachable).expect("unreachable from here");
    assert!(unreachable.message.contains("self-signed"), "{unreachable:#?}");
}
