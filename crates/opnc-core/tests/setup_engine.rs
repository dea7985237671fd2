//! The setup engine against the simulators: preflight findings, the plan, apply with proof, an idempotent
//! re-run, reuse of an earlier project folder, and a rollback of both sides for a failure at every write.

mod common;

use common::*;
use http::Method;
use opnc_core::findings::{FindingCode, Severity};
use opnc_core::setup::apply::Runner;
use opnc_core::setup::journal::{JobStatus, JobStore};
use opnc_core::setup::{plan, preflight, PlanMode, SetupOptions};
use opnc_sim::nextcloud::demo as nc_demo;
use opnc_sim::{loopback, Fault, FaultAction, NextcloudProfile, OpenProjectProfile, SimPair};

fn store() -> JobStore {
    let dir = std::env::temp_dir().join(format!("opnc-engine-{}-{:x}", std::process::id(), rand_suffix()));
    JobStore::new(dir)
}

fn rand_suffix() -> u128 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos()
}

async fn run_setup(pair: &SimPair, options: &SetupOptions) -> opnc_core::setup::apply::Outcome {
    apply_quickly(pair, options, false).await
}

#[tokio::test]
async fn fresh_pair_is_set_up_and_proven_then_a_rerun_changes_nothing() {
    let pair = SimPair::start_default().await.unwrap();
    let options = SetupOptions::default();
    let outcome = run_setup(&pair, &options).await;
    assert!(outcome.succeeded(), "{:#?}", outcome.job);
    let proof = outcome.proof.unwrap();
    assert!(proof.ok() && proof.checks.len() >= 9, "{proof:#?}");
    let op_state = pair.openproject.sim.state();
    let storage = &op_state.storages[0];
    assert!(storage.oauth_client.is_some() && storage.application_password.is_some());
    let nc_state = pair.nextcloud.sim.state();
    assert_eq!(
        nc_state.integration_client().map(|c| c.client_id.clone()),
        storage.oauth_client.as_ref().map(|c| c.client_id.clone())
    );
    assert_eq!(nc_state.app_config["openproject_client_id"], storage.oauth_app.as_ref().unwrap().client_id);

    // Again: already connected, nothing is written.
    pair.openproject.server.control.clear_requests();
    pair.nextcloud.server.control.clear_requests();
    let op = op_admin(&pair.openproject.url());
    let nc = nc_admin(&pair.nextcloud.url());
    let report = preflight::run(&op, &nc, &options).await;
    assert!(report.has(FindingCode::AlreadyConfigured), "{:#?}", report.findings);
    let second = plan(&report, op.base(), nc.base(), &options).unwrap();
    assert_eq!(second.mode, PlanMode::ProveOnly);
    let store = store();
    let outcome = Runner {
        op: &op,
        nc: &nc,
        store: &store,
        progress: &|_| {},
        settle: std::time::Duration::ZERO,
        cancel: None,
        account: None,
    }
    .apply(&second, &report.facts)
    .await;
    assert!(outcome.succeeded());
    let writes: Vec<_> = pair
        .openproject
        .server
        .control
        .requests()
        .into_iter()
        .chain(pair.nextcloud.server.control.requests())
        .filter(|r| {
            r.method != "GET" && !r.path.ends_with("/oauth/token") && !r.path.ends_with("/is-valid-op-instance")
        })
        .collect();
    assert!(writes.is_empty(), "a re-run against a connected pair writes nothing: {writes:#?}");
}

#[tokio::test]
async fn preflight_names_blockers_with_fixes() {
    let mut nc = NextcloudProfile::nc34();
    nc.strips_bearer_header = true;
    nc.groupfolders_enabled = false;
    let pair = SimPair::start(OpenProjectProfile::v17(), nc, loopback(0), loopback(0)).await.unwrap();
    let report =
        preflight::run(&op_admin(&pair.openproject.url()), &nc_admin(&pair.nextcloud.url()), &SetupOptions::default())
            .await;
    for code in [
        FindingCode::AuthorizationHeaderStripped,
        FindingCode::NextcloudCannotReachOpenproject,
        FindingCode::GroupfoldersDisabled,
    ] {
        let finding = report
            .findings
            .iter()
            .find(|f| f.code == code)
            .unwrap_or_else(|| panic!("{code:?} in {:#?}", report.findings));
        assert_eq!(finding.severity, Severity::Blocker);
        assert!(finding.fix.as_ref().is_some_and(|f| !f.is_empty()));
    }
    let reach = report.findings.iter().find(|f| f.code == FindingCode::NextcloudCannotReachOpenproject).unwrap();
    assert!(reach.fix.as_ref().unwrap().contains("allow_local_remote_servers"));
    assert!(!report.can_apply());
    let op = op_admin(&pair.openproject.url());
    assert!(plan(&report, op.base(), &url(&pair.nextcloud.url()), &SetupOptions::default()).is_err());
}

#[tokio::test]
async fn preflight_refuses_non_admins_and_two_factor_passwords() {
    let pair = SimPair::start_default().await.unwrap();
    let report = preflight::run(
        &op(&pair.openproject.url(), opnc_sim::openproject::demo::USER_TOKEN),
        &nc(&pair.nextcloud.url(), nc_demo::TWO_FACTOR_LOGIN, nc_demo::TWO_FACTOR_PASSWORD),
        &SetupOptions::default(),
    )
    .await;
    assert!(report.has(FindingCode::OpenprojectNotAdmin), "{:#?}", report.findings);
    let nc_finding = report
        .findings
        .iter()
        .find(|f| f.code == FindingCode::NextcloudCredentialsRejected)
        .expect("nextcloud refused");
    assert!(nc_finding.evidence.contains("two_factor_requires_app_password"), "{nc_finding:#?}");
}

#[tokio::test]
async fn an_earlier_project_folder_is_reused() {
    let pair = SimPair::start_default().await.unwrap();
    assert!(run_setup(&pair, &SetupOptions::default()).await.succeeded());
    // Someone deletes the storage and resets Nextcloud by hand: user, group and folder stay.
    let op_client = op_admin(&pair.openproject.url());
    let id = op_client.storages().await.unwrap()[0].id;
    op_client.delete_storage(id).await.unwrap();
    nc_admin(&pair.nextcloud.url()).delete_setup().await.unwrap();
    let report = preflight::run(&op_client, &nc_admin(&pair.nextcloud.url()), &SetupOptions::default()).await;
    assert!(report.has(FindingCode::ProjectFolderEntitiesExist));
    let outcome = run_setup(&pair, &SetupOptions::default()).await;
    assert!(outcome.succeeded(), "{:#?}", outcome.job);
}

#[tokio::test]
async fn a_failure_at_every_write_rolls_both_sides_back() {
    let steps: [(bool, Method, &str); 4] = [
        (false, Method::POST, "/api/v3/storages"),
        (true, Method::POST, "/index.php/apps/integration_openproject/setup"),
        (false, Method::POST, "/oauth_client_credentials"),
        (false, Method::PATCH, "/api/v3/storages/"),
    ];
    let faults = [
        ("500", FaultAction::Status { status: 500, body: r#"{"error":"Internal error"}"#.into() }),
        ("dropped", FaultAction::Drop),
        ("401", FaultAction::Status { status: 401, body: r#"{"message":""}"#.into() }),
        // The server carries the change out after the client gave up: the rollback must still undo it.
        ("timeout", FaultAction::Delay(std::time::Duration::from_millis(1000))),
    ];
    let mut converged = 0;
    let mut total = 0;
    for (on_nextcloud, method, path) in &steps {
        for (name, action) in &faults {
            total += 1;
            let pair = SimPair::start_default().await.unwrap();
            let before = pair.restorable_state();
            let control = if *on_nextcloud { &pair.nextcloud.server.control } else { &pair.openproject.server.control };
            control.add_fault(Fault::on(method.clone(), path, 1, action.clone()));
            let outcome = run_setup(&pair, &SetupOptions::default()).await;
            assert_eq!(outcome.job.status, JobStatus::RolledBack, "{method} {path} × {name}: {:#?}", outcome.job);
            let code = outcome.job.error.as_ref().map(|e| e.code).expect("an error");
            let expected = match *name {
                "timeout" => opnc_core::ErrorCode::Timeout,
                "dropped" => opnc_core::ErrorCode::ConnectionDropped,
                "401" => opnc_core::ErrorCode::CredentialsRejected,
                _ => code,
            };
            assert_eq!(code, expected, "{method} {path} × {name}");
            assert!(outcome.job.rollback_error.is_none());
            assert_eq!(pair.restorable_state(), before, "{method} {path} × {name}: both sides as before");
            converged += 1;
        }
    }
    eprintln!("fault matrix: {converged}/{total} cells rolled back to the state before");
}

#[tokio::test]
async fn disabled_apps_are_enabled_with_the_account_password_only() {
    let mut profile = NextcloudProfile::nc34();
    profile.allow_local_remote_servers = true;
    profile.integration_enabled = false;
    profile.groupfolders_enabled = false;
    let pair = SimPair::start(OpenProjectProfile::v17(), profile, loopback(0), loopback(0)).await.unwrap();
    let op = op_admin(&pair.openproject.url());
    let options = SetupOptions::default();
    let report = preflight::run(&op, &nc_admin(&pair.nextcloud.url()), &options).await;
    assert!(
        report.has(FindingCode::IntegrationAppDisabled) && report.has(FindingCode::GroupfoldersDisabled),
        "{:#?}",
        report.findings
    );

    let app_password = pair.nextcloud.sim.create_app_password(nc_demo::ADMIN_LOGIN, "assistant").unwrap();
    let err = preflight::enable_disabled_apps(&nc(&pair.nextcloud.url(), nc_demo::ADMIN_LOGIN, &app_password), &report)
        .await
        .unwrap_err();
    assert_eq!(err.code(), opnc_core::ErrorCode::PasswordConfirmationRequired);

    let enabled = preflight::enable_disabled_apps(&nc_admin(&pair.nextcloud.url()), &report).await.unwrap();
    assert_eq!(enabled, vec!["integration_openproject", "groupfolders"]);
    let again = preflight::run(&op, &nc_admin(&pair.nextcloud.url()), &options).await;
    assert!(again.can_apply(), "{:#?}", again.findings);
}

#[tokio::test]
async fn no_active_project_is_warned_about() {
    let pair = SimPair::start_default().await.unwrap();
    for p in pair.openproject.sim.lock().projects.iter_mut() {
        p.active = false;
    }
    let report =
        preflight::run(&op_admin(&pair.openproject.url()), &nc_admin(&pair.nextcloud.url()), &SetupOptions::default())
            .await;
    let f = report.findings.iter().find(|f| f.code == FindingCode::OpenprojectNoActiveProject).expect("warned");
    assert_eq!(f.severity, Severity::Warning);
    assert!(report.can_apply());
}

#[tokio::test]
async fn cancel_is_free_before_the_first_write_and_a_rollback_after_it() {
    use opnc_core::setup::journal::{EventKind, Phase};
    use std::sync::atomic::{AtomicBool, Ordering};
    for cancel_at in [Phase::Started, Phase::ConfigureNextcloud, Phase::SetNextcloudClient] {
        let pair = SimPair::start_default().await.unwrap();
        let before = pair.restorable_state();
        let (op, nc) = (op_admin(&pair.openproject.url()), nc_admin(&pair.nextcloud.url()));
        let options = SetupOptions::default();
        let report = preflight::run(&op, &nc, &options).await;
        let plan = plan(&report, op.base(), nc.base(), &options).unwrap();
        let cancel = AtomicBool::new(false);
        // The admin presses Cancel as the phase starts.
        let progress = |job: &opnc_core::setup::journal::Job| {
            if job.phase == cancel_at {
                cancel.store(true, Ordering::SeqCst);
            }
        };
        let store = store();
        let runner = Runner {
            op: &op,
            nc: &nc,
            store: &store,
            progress: &progress,
            settle: std::time::Duration::ZERO,
            cancel: Some(&cancel),
            account: None,
        };
        let outcome = runner.apply(&plan, &report.facts).await;
        assert_eq!(outcome.job.status, JobStatus::RolledBack, "{cancel_at:?}");
        assert_eq!(outcome.job.error.as_ref().map(|e| e.code), Some(opnc_core::ErrorCode::Cancelled));
        assert_eq!(pair.restorable_state(), before, "cancelled at {cancel_at:?}: both sides as before");
        let undone = outcome.job.events.iter().filter(|e| matches!(e.kind, EventKind::Undone { .. })).count();
        let changed = outcome.job.events.iter().filter(|e| matches!(e.kind, EventKind::Changed { .. })).count();
        if cancel_at == Phase::Started {
            assert_eq!((changed, undone), (0, 0), "nothing was written, nothing to undo");
        } else {
            assert!(changed > 0 && undone > 0, "{cancel_at:?}: written, then undone");
        }
    }
}

/// A Nextcloud connected to another OpenProject, on an integration_openproject before 2.9 (which refuses
/// `authorization_method`): a failed setup that replaced its settings puts them back in the form that version
/// accepts. With 3.1.1's form the restore was refused ("invalid key") and the rollback failed.
#[tokio::test]
async fn a_restore_on_integration_openproject_2_8_puts_the_old_settings_back() {
    for integration in ["2.6.3", "2.8.1"] {
        let mut profile = NextcloudProfile::nc30();
        profile.integration_version = Some(integration.into());
        profile.allow_local_remote_servers = true;
        let pair = SimPair::start(OpenProjectProfile::v17(), profile, loopback(0), loopback(0)).await.unwrap();
        let version = opnc_core::version::parse_server_version(integration).unwrap();
        let elsewhere = opnc_core::nextcloud::SetupValues::oauth2(
            url("https://other-openproject.example.com"),
            "other-client".into(),
            "other-secret".into(),
            false,
        );
        nc_admin(&pair.nextcloud.url()).create_setup(&elsewhere, &version).await.unwrap();
        let before = pair.nextcloud.sim.state().app_config;
        // OpenProject refuses Nextcloud's OAuth values: the step after Nextcloud was reconfigured.
        pair.openproject.server.control.add_fault(Fault::on(
            Method::POST,
            "/oauth_client_credentials",
            1,
            FaultAction::Status { status: 500, body: r#"{"error":"Internal error"}"#.into() },
        ));
        let options = SetupOptions { replace_existing: true, project_folders: false, ..SetupOptions::default() };
        let outcome = run_setup(&pair, &options).await;
        assert_eq!(outcome.job.status, JobStatus::RolledBack, "{integration}: {:#?}", outcome.job.rollback_error);
        let restored = pair.nextcloud.sim.state().app_config;
        for key in ["openproject_instance_url", "openproject_client_id", "openproject_client_secret"] {
            assert_eq!(restored.get(key), before.get(key), "{integration}: {key} restored");
        }
        assert!(!restored.contains_key("authorization_method"), "{integration}: no key this version does not know");
    }
}

/// The job's final state cannot be written (here: its temporary file's path is taken by a folder, the same for
/// root): the pair that works stays working. No file that says "running" is left, so no later recovery rolls the
/// working pair back.
#[tokio::test]
async fn a_failed_final_save_does_not_destroy_a_working_pair() {
    use opnc_core::setup::journal::Phase;
    let pair = SimPair::start_default().await.unwrap();
    let (op, nc) = (op_admin(&pair.openproject.url()), nc_admin(&pair.nextcloud.url()));
    let options = SetupOptions::default();
    let report = preflight::run(&op, &nc, &options).await;
    let plan = plan(&report, op.base(), nc.base(), &options).unwrap();
    let store = store();
    let dir = store.dir().to_path_buf();
    // After the last save before the end (the proof's), the final save is made to fail.
    let break_final_save = move |job: &opnc_core::setup::journal::Job| {
        if job.phase == Phase::Proof {
            let _ = std::fs::create_dir_all(dir.join(format!(".{}.tmp", job.id)));
        }
    };
    let runner = Runner {
        op: &op,
        nc: &nc,
        store: &store,
        progress: &break_final_save,
        settle: std::time::Duration::from_millis(1500),
        cancel: None,
        account: None,
    };
    let outcome = runner.apply(&plan, &report.facts).await;
    assert!(outcome.succeeded(), "{:#?}", outcome.job.error);
    assert!(store.load(&outcome.job.id).is_err(), "no stale \"running\" file is left");
    assert!(store.interrupted().is_empty());
    // A later recovery finds nothing to undo: the pair is still connected and proven.
    let again = opnc_core::setup::connection::state(&op, &nc).await.unwrap();
    assert!(again.connected(), "{again:#?}");
    let _ = std::fs::remove_dir_all(store.dir());
}

/// The plan shown is the plan applied: for each kind of plan, the phases the job goes through that change
/// something are exactly the phases of the plan's changes, each on its server.
#[tokio::test]
async fn the_plan_shown_and_the_steps_run_are_the_same() {
    use opnc_core::setup::journal::{EventKind, Phase};
    use std::collections::BTreeSet;
    let writing = [
        Phase::ReplaceStorage,
        Phase::CreateStorage,
        Phase::ConfigureNextcloud,
        Phase::SetNextcloudClient,
        Phase::SetApplicationPassword,
    ];
    let cases = [
        ("fresh, with project folders", SetupOptions::default(), false),
        ("without project folders", SetupOptions { project_folders: false, ..SetupOptions::default() }, false),
        // An earlier setup, deleted: Nextcloud keeps its "OpenProject" user, which the plan reuses.
        ("reusing the project-folder user", SetupOptions::default(), true),
        // A storage for this Nextcloud in the way, replaced.
        ("replacing a storage", SetupOptions { replace_existing: true, ..SetupOptions::default() }, false),
    ];
    for (name, options, earlier) in cases {
        let pair = SimPair::start_default().await.unwrap();
        let (op, nc) = (op_admin(&pair.openproject.url()), nc_admin(&pair.nextcloud.url()));
        if earlier {
            assert!(run_setup(&pair, &options).await.succeeded());
            let impact = opnc_core::setup::connection::delete_impact(&op, &nc).await.unwrap();
            opnc_core::setup::connection::delete(&op, &nc, &impact).await.unwrap();
        }
        if options.replace_existing {
            let in_the_way = opnc_core::openproject::NewStorage {
                name: "Nextcloud".into(),
                nextcloud_url: url(&pair.nextcloud.url()),
                application_password: None,
            };
            op.create_storage(&in_the_way).await.unwrap();
        }
        let report = preflight::run(&op, &nc, &options).await;
        let shown = plan(&report, op.base(), nc.base(), &options).unwrap_or_else(|b| panic!("{name}: {b:#?}"));
        assert_eq!(shown.reuse_project_folder, earlier, "{name}");
        let store = store();
        let runner = Runner {
            op: &op,
            nc: &nc,
            store: &store,
            progress: &|_| {},
            settle: std::time::Duration::ZERO,
            cancel: None,
            account: None,
        };
        let outcome = runner.apply(&shown, &report.facts).await;
        assert!(outcome.succeeded(), "{name}: {:#?}", outcome.job.error);
        let planned: BTreeSet<_> = shown.changes.iter().map(|c| format!("{:?}", c.phase)).collect();
        let entered: BTreeSet<_> = outcome
            .job
            .events
            .iter()
            .filter_map(|e| match &e.kind {
                EventKind::PhaseStarted { phase } if writing.contains(phase) => Some(format!("{phase:?}")),
                _ => None,
            })
            .collect();
        assert_eq!(planned, entered, "{name}: the phases shown and the phases run");
        let _ = std::fs::remove_dir_all(store.dir());
    }
}

/// OpenProject 17.6's SSRF protection: a Nextcloud on a private (here loopback) address is refused when the storage
/// is created. The preflight notes it with the value to allow; the failed setup changes nothing and its hint names
/// the variable; allow-listed, the same setup goes through.
#[tokio::test]
async fn openproject_refusing_a_private_nextcloud_is_named_with_the_variable_and_changes_nothing() {
    let op_profile = OpenProjectProfile::with_version("17.6.0");
    let mut nc_profile = NextcloudProfile::nc34();
    nc_profile.allow_local_remote_servers = true;
    let pair = SimPair::start(op_profile, nc_profile, loopback(0), loopback(0)).await.unwrap();
    let options = SetupOptions::default();
    let report = preflight::run(&op_admin(&pair.openproject.url()), &nc_admin(&pair.nextcloud.url()), &options).await;
    let note = report
        .findings
        .iter()
        .find(|f| f.code == FindingCode::OpenprojectSsrfProtection)
        .unwrap_or_else(|| panic!("the note: {:#?}", report.findings));
    assert_eq!(note.severity, Severity::Info, "OpenProject's environment cannot be seen: a note, not a warning");
    assert_eq!(note.command.as_deref(), Some("OPENPROJECT_SSRF_PROTECTION_IP_ALLOWLIST=127.0.0.1"));

    let outcome = apply_quickly(&pair, &options, false).await;
    assert!(!outcome.succeeded());
    let error = outcome.job.error.as_ref().expect("an error");
    assert_eq!(error.code, opnc_core::ErrorCode::OpenprojectApiError);
    assert!(
        error.hint.contains("OPENPROJECT_SSRF_PROTECTION_IP_ALLOWLIST") && error.hint.contains("Nothing was changed"),
        "{error:#?}"
    );
    let german = error.hint_in(opnc_core::catalogue::Language::De);
    assert!(german.contains("SSRF-Schutz"), "{german}");
    assert!(pair.openproject.sim.state().storages.is_empty(), "nothing was created");
    assert_eq!(
        pair.nextcloud.sim.state().app_config.get("openproject_instance_url").map(String::as_str).unwrap_or(""),
        ""
    );

    pair.openproject.sim.lock().ssrf_allowlist = vec!["127.0.0.1".parse().unwrap()];
    let outcome = apply_quickly(&pair, &options, false).await;
    assert!(outcome.succeeded(), "allow-listed: {:#?}", outcome.job.error);

    // Before 17.6 there is no such refusal, and no note.
    let pair = SimPair::start_default().await.unwrap();
    let report = preflight::run(&op_admin(&pair.openproject.url()), &nc_admin(&pair.nextcloud.url()), &options).await;
    assert!(!report.findings.iter().any(|f| f.code == FindingCode::OpenprojectSsrfProtection));
}

#[tokio::test]
async fn the_project_folder_app_password_is_proven_to_write_and_a_password_confirmation_rolls_back() {
    // integration_openproject 3.1.1 confirms its user's app-password logins: the harmless group write passes.
    let pair = SimPair::start_default().await.unwrap();
    let outcome = apply_quickly(&pair, &SetupOptions::default(), false).await;
    assert!(outcome.succeeded(), "{:#?}", outcome.job.error);
    let proof = outcome.proof.expect("a proof");
    let write = proof.checks.iter().find(|c| c.name == "nextcloud_project_folder_write").expect("the write is proven");
    assert!(write.ok, "{write:#?}");
    assert!(write.evidence.contains("200"), "{}", write.evidence);
    let member = pair.nextcloud.sim.state().users.iter().find(|u| u.uid == "OpenProject").unwrap().groups.clone();
    assert_eq!(member.iter().filter(|g| *g == "OpenProject").count(), 1, "the write changed nothing: {member:?}");

    // 3.1.0 on a Nextcloud patch release that asks app-password logins for a password confirmation: everything
    // looks configured, but OpenProject's project-folder synchronisation would fail. The proof says so, and the
    // setup is rolled back on both sides.
    let mut nc_profile = NextcloudProfile::nc34();
    nc_profile.integration_version = Some("3.1.0".into());
    nc_profile.allow_local_remote_servers = true;
    let pair = SimPair::start(OpenProjectProfile::v17(), nc_profile, loopback(0), loopback(0)).await.unwrap();
    let outcome = apply_quickly(&pair, &SetupOptions::default(), false).await;
    assert!(!outcome.succeeded());
    let failed: Vec<_> = outcome.job.events.iter().map(|e| format!("{e:?}")).collect();
    let error = outcome.job.error.as_ref().expect("an error");
    assert!(
        error.message.contains("password confirmation") && error.message.contains("3.1.1"),
        "{error:#?} {failed:#?}"
    );
    assert!(pair.openproject.sim.state().storages.is_empty(), "OpenProject rolled back");
    assert_eq!(
        pair.nextcloud.sim.state().app_config.get("openproject_client_id").map(String::as_str).unwrap_or(""),
        ""
    );

    // Without project folders there is no app password to prove.
    let mut nc_profile = NextcloudProfile::nc34();
    nc_profile.integration_version = Some("3.1.0".into());
    nc_profile.allow_local_remote_servers = true;
    let pair = SimPair::start(OpenProjectProfile::v17(), nc_profile, loopback(0), loopback(0)).await.unwrap();
    let outcome =
        apply_quickly(&pair, &SetupOptions { project_folders: false, ..SetupOptions::default() }, false).await;
    assert!(outcome.succeeded(), "{:#?}", outcome.job.error);
    assert!(!outcome.proof.unwrap().checks.iter().any(|c| c.name == "nextcloud_project_folder_write"));
}
