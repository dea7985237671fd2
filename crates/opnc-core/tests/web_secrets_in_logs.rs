//! OpenProject's web side at TRACE: a password sign-in, projects enabled through the forms, OpenProject's OAuth
//! application replaced and given to Nextcloud, the health report, the diagnosis with it folded in, and a failed
//! sign-in. Then the log, every error and the report are searched for the session cookies, CSRF tokens, the
//! password and the new OAuth secret: none may appear.

mod common;

use common::*;
use opnc_core::openproject_web::{self, AdminPages, FolderMode};
use opnc_core::setup::{projects, reset, SetupOptions};
use opnc_core::{doctor, SecretString};
use opnc_sim::openproject::demo;

#[tokio::test]
async fn no_cookie_token_password_or_secret_reaches_the_log_an_error_or_the_report() {
    let captured = Captured::install();

    let pair = connected_pair(SetupOptions::default()).await;
    let base = pair.openproject.url();
    let op = op_admin(&base);
    let nc = nc_admin(&pair.nextcloud.url());
    let session = openproject_web::password_sign_in(&http(), &url(&base), "admin", &SecretString::from(demo::PASSWORD))
        .await
        .unwrap();
    let web = AdminPages::new(http(), url(&base), session.clone(), op.root().await.unwrap().version());
    let storage = op.storages().await.unwrap().remove(0);
    let wanted: Vec<_> = op.all_projects(&[]).await.unwrap().into_iter().filter(|p| p.id <= 2).collect();
    let enabled = projects::enable(&op, Some(&web), storage.id, &wanted, &FolderMode::Automatic).await.unwrap();
    assert_eq!(enabled.added.len(), 2, "{enabled:?}");
    let outcome = reset::replace_openproject_oauth(&op, &nc, &web, &storage).await.unwrap();
    assert!(outcome.proof.ok());
    let over_session = opnc_core::openproject::OpenProjectClient::new(http(), url(&base), session.auth());
    let mut diagnosis = doctor::diagnose(&over_session, &nc, true, true).await;
    doctor::add_openproject_health_report(&mut diagnosis, &web).await;
    let mut errors = vec![openproject_web::password_sign_in(
        &http(),
        &url(&base),
        "admin",
        &SecretString::from("a-wrong-password-5150"),
    )
    .await
    .unwrap_err()];
    // Every live session id (the cookie values), the assistant's among them, before ending them all.
    let cookies: Vec<String> = pair.openproject.sim.state().sessions.keys().cloned().collect();
    assert!(cookies.len() >= 2, "the sign-in's session and the failed attempt's");
    pair.openproject.sim.lock().sessions.clear();
    errors.push(web.health_report(storage.id).await.unwrap_err());

    let state = pair.openproject.sim.state();
    let new_secret = state.storages[0].oauth_app.clone().unwrap().client_secret;
    let mut secrets = vec![new_secret, demo::PASSWORD.to_owned(), "a-wrong-password-5150".to_owned()];
    let log = captured.text();
    secrets.extend(cookies);
    let texts: Vec<String> = errors
        .iter()
        .flat_map(|e| [e.message(), e.hint(), format!("{e:?}"), serde_json::to_string(&e.view()).unwrap()])
        .chain([
            diagnosis.to_json(),
            diagnosis.to_markdown(),
            format!("{session:?}"),
            format!("{web:?}"),
            format!("{enabled:?}"),
        ])
        .collect();
    assert!(log.contains("request") && log.len() > 10_000, "the log was captured ({} bytes)", log.len());
    assert!(diagnosis.to_markdown().contains("health report"), "the report folded in OpenProject's own");
    for secret in &secrets {
        assert!(secret.len() >= 8);
        assert!(!log.contains(secret.as_str()), "a secret or cookie reached the TRACE log");
        for text in &texts {
            assert!(!text.contains(secret.as_str()), "a secret or cookie reached an error or report: {text}");
        }
    }
    eprintln!(
        "searched {} bytes of TRACE log and {} texts for {} secrets and cookies: none found",
        log.len(),
        texts.len(),
        secrets.len()
    );
}
