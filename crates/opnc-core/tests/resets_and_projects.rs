//! Resets of a working pair (each ends proven) and the verified hand-off for enabling projects.

mod common;

use std::time::Duration;

use common::*;
use opnc_core::setup::{projects, reset, SetupOptions};
use opnc_core::SecretString;

#[tokio::test]
async fn replace_nextcloud_oauth_values_with_project_folders() {
    let pair = connected_pair(SetupOptions::default()).await;
    let op = op_admin(&pair.openproject.url());
    let nc = nc_admin(&pair.nextcloud.url());
    let before_nc = pair.nextcloud.sim.state();
    let old_client = before_nc.integration_client().unwrap().client_id.clone();
    let old_password = before_nc.openproject_app_password().unwrap().token.clone();
    let storage = op.storages().await.unwrap().remove(0);
    let outcome = reset::replace_nextcloud_oauth(&op, &nc, &storage).await.unwrap_or_else(|e| panic!("{:?}", e.error));
    assert!(outcome.proof.ok() && outcome.users_must_reauthorize);
    let after = pair.nextcloud.sim.state();
    let new_client = after.integration_client().unwrap().client_id.clone();
    assert_ne!(new_client, old_client);
    assert_eq!(pair.openproject.sim.state().storages[0].oauth_client.as_ref().unwrap().client_id, new_client);
    assert_ne!(
        after.openproject_app_password().unwrap().token,
        old_password,
        "the POST dropped the app password: a new one was made and pushed"
    );
}

#[tokio::test]
async fn replace_nextcloud_oauth_values_without_project_folders() {
    let pair = connected_pair(SetupOptions { project_folders: false, ..SetupOptions::default() }).await;
    let op = op_admin(&pair.openproject.url());
    let nc = nc_admin(&pair.nextcloud.url());
    let storage = op.storages().await.unwrap().remove(0);
    let outcome = reset::replace_nextcloud_oauth(&op, &nc, &storage).await.unwrap_or_else(|e| panic!("{:?}", e.error));
    assert!(outcome.proof.ok());
    assert_eq!(outcome.steps.len(), 2);
}

#[tokio::test]
async fn rotate_the_app_password() {
    let pair = connected_pair(SetupOptions::default()).await;
    let op = op_admin(&pair.openproject.url());
    let nc = nc_admin(&pair.nextcloud.url());
    let old = pair.nextcloud.sim.state().openproject_app_password().unwrap().token.clone();
    let storage = op.storages().await.unwrap().remove(0);
    let outcome = reset::rotate_app_password(&op, &nc, &storage).await.unwrap_or_else(|e| panic!("{:?}", e.error));
    assert!(outcome.proof.ok());
    let new = pair.nextcloud.sim.state().openproject_app_password().unwrap().token.clone();
    assert_ne!(new, old);
    assert_eq!(pair.openproject.sim.state().storages[0].application_password.as_deref(), Some(new.as_str()));
    let keys: Vec<&str> = outcome.steps.iter().map(|s| s.key.as_str()).collect();
    assert!(keys.contains(&"reset-done-app_password_writes"), "the new password's write proven: {keys:?}");

    // On a release without the password-confirmation fix, the rotation says the write will fail.
    pair.nextcloud.sim.lock().profile.integration_version = Some("3.1.0".into());
    let outcome = reset::rotate_app_password(&op, &nc, &storage).await.unwrap_or_else(|e| panic!("{:?}", e.error));
    let keys: Vec<&str> = outcome.steps.iter().map(|s| s.key.as_str()).collect();
    assert!(keys.contains(&"reset-done-app_password_needs_confirmation"), "{keys:?}");
}

#[tokio::test]
async fn a_replaced_openproject_application_is_pushed_and_proven() {
    let pair = connected_pair(SetupOptions::default()).await;
    let op = op_admin(&pair.openproject.url());
    let nc = nc_admin(&pair.nextcloud.url());
    let storage = op.storages().await.unwrap().remove(0);
    let (client_id, secret) = pair.openproject.sim.replace_oauth_application(storage.id).unwrap();
    // Until Nextcloud is given the new values, the pair is broken, and the proof says so.
    let broken = opnc_core::setup::proof::prove(&op, &nc, &op.storage(storage.id).await.unwrap(), true).await.unwrap();
    assert!(!broken.ok());
    assert!(broken.failed().iter().any(|c| c.name == "openproject_accepts_nextclouds_secret"));
    let outcome = reset::push_openproject_oauth(&op, &nc, &storage, &client_id, &SecretString::from(secret.as_str()))
        .await
        .unwrap_or_else(|e| panic!("{:?}", e.error));
    assert!(outcome.proof.ok());
    let wrong = reset::push_openproject_oauth(&op, &nc, &storage, &client_id, &SecretString::from("mistyped-secret"))
        .await
        .unwrap_err();
    assert_eq!(wrong.error.code, opnc_core::ErrorCode::ProofFailed, "a mistyped secret is caught by the proof");
}

#[tokio::test]
async fn projects_are_watched_until_the_admin_enabled_them() {
    let pair = connected_pair(SetupOptions::default()).await;
    let op = op_admin(&pair.openproject.url());
    let storage = op.storages().await.unwrap().remove(0);
    pair.openproject.sim.enable_in_project(storage.id, 1, "inactive");
    let wanted: Vec<String> = vec!["demo-project".into(), "2".into(), "Website relaunch".into(), "nope".into()];
    let (found, unknown) = projects::resolve(&op, &wanted).await.unwrap();
    assert_eq!(found.len(), 3);
    assert_eq!(unknown, vec!["nope".to_owned()]);
    let (already, todo) = projects::already_enabled(&op, storage.id, &found).await.unwrap();
    assert_eq!(already.iter().map(|p| p.id).collect::<Vec<_>>(), vec![1]);
    let pages = projects::pages(&op, storage.id, Some(&opnc_core::version::v(17, 3, 0)), &todo);
    assert_eq!(
        pages,
        vec![format!("{}/admin/settings/storages/{}/project_storages", pair.openproject.url(), storage.id)]
    );
    let old_pages = projects::pages(&op, storage.id, Some(&opnc_core::version::v(14, 3, 0)), &todo);
    assert_eq!(old_pages.len(), 2, "before 14.5 each project's settings page");

    // The admin adds one of the two while the assistant watches.
    let sim = pair.openproject.sim.clone();
    let id = storage.id;
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(150)).await;
        sim.enable_in_project(id, 2, "inactive");
    });
    // The pair API's watch, as both faces use it.
    let connected = demo_signed_in(&pair).await;
    let ids: Vec<i64> = found.iter().map(|p| p.id).collect();
    assert_eq!(todo.len(), 2);
    let never = std::sync::atomic::AtomicBool::new(false);
    let outcome = connected.watch_projects(&ids, Duration::from_millis(2500), &never).await.unwrap();
    assert_eq!(outcome.added, vec!["Scrum project".to_owned()], "{outcome:?}");
    assert_eq!(outcome.refused.iter().map(|r| r.project.as_str()).collect::<Vec<_>>(), vec!["Website relaunch"]);
    assert_eq!(outcome.already, vec!["Demo project".to_owned()]);
    // Cancelled: the watch ends at once with what it saw.
    let cancelled = std::sync::atomic::AtomicBool::new(true);
    let started = std::time::Instant::now();
    let outcome = connected.watch_projects(&ids, Duration::from_secs(600), &cancelled).await.unwrap();
    assert!(started.elapsed() < Duration::from_secs(5));
    assert_eq!(outcome.refused.len(), 1);
}

#[tokio::test]
async fn a_hidden_secret_is_not_mistaken_for_a_wrong_one() {
    let mut profile = opnc_sim::NextcloudProfile::nc34();
    profile.allow_local_remote_servers = true;
    profile.hides_sensitive_values = true;
    let pair = opnc_sim::SimPair::start(
        opnc_sim::OpenProjectProfile::v17(),
        profile,
        opnc_sim::loopback(0),
        opnc_sim::loopback(0),
    )
    .await
    .unwrap();
    let (op, nc) = (op_admin(&pair.openproject.url()), nc_admin(&pair.nextcloud.url()));
    let options = SetupOptions::default();
    let report = opnc_core::setup::preflight::run(&op, &nc, &options).await;
    let plan = opnc_core::setup::plan(&report, op.base(), nc.base(), &options).unwrap();
    let store = opnc_core::setup::journal::JobStore::new(
        std::env::temp_dir().join(format!("opnc-hidden-{}", std::process::id())),
    );
    let outcome = opnc_core::setup::apply::Runner {
        op: &op,
        nc: &nc,
        store: &store,
        progress: &|_| {},
        settle: Duration::ZERO,
        cancel: None,
        account: None,
    }
    .apply(&plan, &report.facts)
    .await;
    assert!(outcome.succeeded(), "the setup still proves the rest: {:?}", outcome.job.error);
    let storage = op.storages().await.unwrap().remove(0);
    pair.openproject.sim.enable_in_project(storage.id, 1, "automatic");
    let d = opnc_core::doctor::diagnose(&op, &nc, true, true).await;
    assert!(d.healthy(), "{:#?}", d.findings);
    assert!(d.not_run.iter().any(|n| n.check == opnc_core::doctor::Check::OpenprojectAcceptsNextcloudsSecret));
    let err = reset::replace_nextcloud_oauth(&op, &nc, &storage).await.unwrap_err();
    assert!(err.error.hint.contains("Replace OpenProject's OAuth values instead"), "{:?}", err.error);
    let _ = std::fs::remove_dir_all(store.dir());
}
