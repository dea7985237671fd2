//! `ConnectedPair`, the desktop wizard's core: apply goes ahead only with the plan the admin confirmed, and a
//! setup of the same pair that a crash or a closed app left half done is rolled back first.

mod common;

use std::sync::atomic::AtomicBool;

use opnc_core::pair::{ApplyResult, Confirmation, ConnectedPair, SignIn};
use opnc_core::setup::journal::{Compensation, Job, JobStatus, JobStore, Phase};
use opnc_core::setup::SetupOptions;
use opnc_core::ErrorCode;
use opnc_sim::nextcloud::demo as nc_demo;
use opnc_sim::openproject::demo as op_demo;
use opnc_sim::SimPair;

fn store(tag: &str) -> JobStore {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos();
    JobStore::new(std::env::temp_dir().join(format!("opnc-desktop-pair-{tag}-{}-{nanos:x}", std::process::id())))
}

async fn signed_in(pair: &SimPair) -> ConnectedPair {
    common::demo_signed_in(pair).await
}

#[tokio::test]
async fn a_plan_that_changed_after_it_was_confirmed_writes_nothing_and_is_shown_again() {
    let pair = SimPair::start_default().await.unwrap();
    let jobs = store("changed");
    let mut connected = signed_in(&pair).await;
    let shown = connected.review(SetupOptions::default(), &jobs).await.plan.expect("a plan");
    assert!(!shown.reuse_project_folder);
    // Meanwhile another admin sets the pair up and deletes it again: Nextcloud keeps its "OpenProject" user,
    // so the plan would now reuse it.
    let mut other = signed_in(&pair).await;
    other.review(SetupOptions::default(), &jobs).await;
    assert!(other.apply(&jobs, Confirmation::Confirmed, &|_| {}, None).await.succeeded());
    other.delete(&other.delete_impact().await.unwrap()).await.unwrap();
    let before = pair.restorable_state();
    let result = connected.apply(&jobs, Confirmation::Confirmed, &|_| {}, None).await;
    assert_eq!(
        not_applied(&result),
        Some(ErrorCode::PlanChanged),
        "nothing written, and no job that claims a rollback"
    );
    assert_eq!(pair.restorable_state(), before, "nothing was written");
    // The new plan is what the wizard shows now; applying it works.
    let again = connected.review(SetupOptions::default(), &jobs).await.plan.unwrap();
    assert!(again.reuse_project_folder);
    let applied = connected.apply(&jobs, Confirmation::Confirmed, &|_| {}, None).await;
    assert!(applied.succeeded(), "{applied:?}");
    let _ = std::fs::remove_dir_all(jobs.dir());
}

#[tokio::test]
async fn an_interrupted_setup_of_the_pair_is_listed_and_rolled_back_before_the_apply() {
    let pair = SimPair::start_default().await.unwrap();
    let jobs = store("interrupted");
    // A crash right after OpenProject created the storage: the journal holds the compensation, the status is
    // still "running".
    let op = common::op_admin(&pair.openproject.url());
    let created = op
        .create_storage(&opnc_core::openproject::NewStorage {
            name: "Nextcloud".into(),
            nextcloud_url: common::url(&pair.nextcloud.url()),
            application_password: None,
        })
        .await
        .unwrap();
    let mut crashed =
        Job::new(&common::url(&pair.openproject.url()), &common::url(&pair.nextcloud.url()), "Nextcloud", true);
    crashed.enter(Phase::CreateStorage);
    crashed.record(Compensation::DeleteStorage {
        storage_id: Some(created.storage.id),
        nextcloud_url: common::url(&pair.nextcloud.url()),
        name: "Nextcloud".into(),
    });
    // The crash was a few minutes ago: no write of it can land any more.
    for event in &mut crashed.events {
        event.at -= 300;
    }
    jobs.save(&crashed).unwrap();
    let mut connected = signed_in(&pair).await;
    let review = connected.review(SetupOptions { replace_existing: true, ..SetupOptions::default() }, &jobs).await;
    assert_eq!(review.interrupted.len(), 1, "the wizard is told before it applies");
    // Apply: the crashed job is rolled back first (the plan then differs: no storage to replace any more).
    let result = connected.apply(&jobs, Confirmation::Confirmed, &|_| {}, None).await;
    assert_eq!(jobs.load(&crashed.id).unwrap().status, JobStatus::RolledBack);
    assert_eq!(
        not_applied(&result),
        Some(ErrorCode::PlanChanged),
        "nothing written, and no job that claims a rollback"
    );
    assert!(pair.openproject.sim.state().storages.is_empty(), "the crashed run's storage is gone");
    let review = connected.review(SetupOptions::default(), &jobs).await;
    assert!(review.interrupted.is_empty());
    assert!(connected.apply(&jobs, Confirmation::Confirmed, &|_| {}, None).await.succeeded());
    let _ = std::fs::remove_dir_all(jobs.dir());
}

#[tokio::test]
async fn signing_out_revokes_a_browser_sign_ins_app_password_unless_it_was_remembered() {
    let pair = SimPair::start_default().await.unwrap();
    let browser_sign_in = || async {
        let anonymous = common::nc_anonymous(&pair.nextcloud.url());
        let flow = anonymous.start_login_flow().await.unwrap();
        pair.nextcloud.sim.grant_login_flow(&flow.login_url, nc_demo::ADMIN_LOGIN);
        let granted = anonymous.poll_login_flow(&flow).await.unwrap().unwrap();
        opnc_core::nextcloud::NextcloudCredentials { login_name: granted.login_name, password: granted.app_password }
    };
    let request = |remember: bool| SignIn {
        openproject_url: pair.openproject.url(),
        openproject_token: Some(op_demo::ADMIN_TOKEN.into()),
        nextcloud_url: pair.nextcloud.url(),
        nextcloud_login: None,
        nextcloud_password: None,
        allow_insecure_http: false,
        remember,
    };
    let keychain = opnc_core::keychain::Keychain::new("opnc-test-unused");
    let credentials = browser_sign_in().await;
    let connected =
        ConnectedPair::sign_in(request(false), Some(credentials.clone()), None, &keychain, true).await.unwrap();
    assert!(connected.sign_out().await, "revoked");
    let with_it = common::nc(&pair.nextcloud.url(), &credentials.login_name, credentials.password.expose());
    assert!(with_it.current_user().await.is_err(), "the app password no longer works");
    // A typed account password is checked once: the session runs on an app password made from it, revoked on
    // sign-out; the account password itself is untouched.
    let typed = SignIn {
        nextcloud_login: Some(nc_demo::ADMIN_LOGIN.into()),
        nextcloud_password: Some(nc_demo::ADMIN_PASSWORD.into()),
        ..request(false)
    };
    let tokens_before = pair.nextcloud.sim.state().app_tokens.len();
    let connected = ConnectedPair::sign_in(typed, None, None, &keychain, true).await.unwrap();
    assert_eq!(pair.nextcloud.sim.state().app_tokens.len(), tokens_before + 1, "one app password for the session");
    assert!(connected.sign_out().await, "the session's app password is revoked");
    assert_eq!(pair.nextcloud.sim.state().app_tokens.len(), tokens_before);
    assert!(common::nc_admin(&pair.nextcloud.url()).current_user().await.is_ok());
    // A typed app password is the admin's own: used as it is, never revoked.
    let own = pair.nextcloud.sim.create_app_password(nc_demo::ADMIN_LOGIN, "the admin's own").unwrap();
    let typed = SignIn {
        nextcloud_login: Some(nc_demo::ADMIN_LOGIN.into()),
        nextcloud_password: Some(own.as_str().into()),
        ..request(false)
    };
    let connected = ConnectedPair::sign_in(typed, None, None, &keychain, true).await.unwrap();
    assert!(!connected.sign_out().await);
    assert!(common::nc(&pair.nextcloud.url(), nc_demo::ADMIN_LOGIN, &own).current_user().await.is_ok());
}

#[tokio::test]
async fn without_openproject_s_pages_the_hand_offs_watch_the_api_and_finish_the_job() {
    let pair = SimPair::start_default().await.unwrap();
    let jobs = store("handoff");
    let mut connected = signed_in(&pair).await;
    connected.review(SetupOptions::default(), &jobs).await;
    assert!(connected.apply(&jobs, Confirmation::Confirmed, &|_| {}, None).await.succeeded());
    let storage_id = pair.openproject.sim.state().storages[0].id;

    // Projects: no session, so the pages to use; then the admin adds one there and the watch sees it.
    let outcome = connected.enable_projects(&[1, 2], false, None).await.unwrap();
    let bulk_page = format!("{}/admin/settings/storages/{storage_id}/project_storages", pair.openproject.url());
    assert_eq!(outcome.handoff_pages, vec![bulk_page], "17.3 has the storage's own projects page");
    let sim = pair.openproject.sim.clone();
    let admin = tokio::spawn(async move {
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        sim.enable_in_project(storage_id, 1, "automatic");
    });
    let stop = AtomicBool::new(false);
    let cancel_later = async {
        tokio::time::sleep(std::time::Duration::from_millis(2500)).await;
        stop.store(true, std::sync::atomic::Ordering::SeqCst);
    };
    let (watched, _) =
        tokio::join!(connected.watch_projects(&[1, 2], std::time::Duration::from_secs(900), &stop), cancel_later);
    admin.await.unwrap();
    let watched = watched.unwrap();
    assert_eq!(watched.added, vec!["Demo project"]);
    assert_eq!(watched.refused.len(), 1, "Scrum project was not added before the watch was stopped");

    // The replace: the admin replaces on the page, the watch sees the new client id, the secret goes to Nextcloud.
    let sim = pair.openproject.sim.clone();
    let admin = tokio::spawn(async move {
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        sim.replace_oauth_application_with_secret(storage_id, "copied-from-the-page-42")
    });
    let opened = std::sync::Mutex::new(String::new());
    let open_page = |page: &str| *opened.lock().unwrap() = page.to_owned();
    let client_id = connected
        .watch_openproject_replace(open_page, std::time::Duration::from_secs(900), &AtomicBool::new(false))
        .await
        .unwrap();
    assert!(opened.lock().unwrap().ends_with(&format!("/admin/settings/storages/{storage_id}/edit")));
    let (new_id, _) = admin.await.unwrap().unwrap();
    assert_eq!(client_id, new_id);
    let wrong = connected.give_openproject_oauth("another-id", &"copied-from-the-page-42".into()).await;
    assert_eq!(wrong.unwrap_err().code(), ErrorCode::PlanChanged, "only the client id OpenProject shows");
    let outcome = connected.give_openproject_oauth(&client_id, &"copied-from-the-page-42".into()).await.unwrap();
    assert!(outcome.proof.ok());
    assert_eq!(
        pair.nextcloud.sim.state().app_config.get("openproject_client_secret").map(String::as_str),
        Some("copied-from-the-page-42")
    );
    let _ = std::fs::remove_dir_all(jobs.dir());
}

#[tokio::test]
async fn pages_pasted_from_the_browser_sign_in_at_the_servers_base() {
    let pair = SimPair::start_default().await.unwrap();
    let request = SignIn {
        openproject_url: format!("{}/projects/demo-project/work_packages?query_id=7", pair.openproject.url()),
        openproject_token: Some(op_demo::ADMIN_TOKEN.into()),
        nextcloud_url: format!("{}/index.php/apps/files/?dir=/Documents", pair.nextcloud.url()),
        nextcloud_login: Some(nc_demo::ADMIN_LOGIN.into()),
        nextcloud_password: Some(nc_demo::ADMIN_PASSWORD.into()),
        allow_insecure_http: false,
        remember: false,
    };
    let signed_in =
        ConnectedPair::sign_in(request, None, None, &opnc_core::keychain::Keychain::new("opnc-test-unused"), true)
            .await
            .expect("signed in at the bases");
    assert_eq!(signed_in.summary.openproject.url, pair.openproject.url(), "the pane shows the address used");
    assert_eq!(signed_in.summary.nextcloud.url, pair.nextcloud.url());
    let resolved = opnc_core::pair::resolve_address(
        opnc_core::Server::Nextcloud,
        &format!("{}/apps/files/files/12?dir=/", pair.nextcloud.url()),
        false,
    )
    .await
    .unwrap();
    assert_eq!(resolved.url.as_str(), pair.nextcloud.url());
    assert!(resolved.note(opnc_core::Server::Nextcloud).unwrap().english().starts_with("Nextcloud: using "));
}

/// Why an apply wrote nothing; `None` when the plan ran.
fn not_applied(result: &ApplyResult) -> Option<ErrorCode> {
    match result {
        ApplyResult::NotApplied { reason, .. } => Some(reason.code),
        _ => None,
    }
}
