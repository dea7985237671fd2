//! A complete manual setup through both clients with every log target at TRACE, then a search of the log
//! and of every error for each secret that crossed the wire: none may appear.

mod common;

use common::*;
use opnc_core::nextcloud::SetupValues;
use opnc_core::openproject::{NewStorage, StoragePatch, TokenProbe};
use opnc_core::version::v;
use opnc_core::SecretString;
use opnc_sim::nextcloud::demo as nc_demo;
use opnc_sim::openproject::demo as op_demo;
use opnc_sim::SimPair;

#[tokio::test]
async fn no_secret_reaches_the_log_or_an_error() {
    let captured = Captured::install();

    let pair = SimPair::start_default().await.unwrap();
    let op_client = op_admin(&pair.openproject.url());
    let nc_client = nc_admin(&pair.nextcloud.url());
    let created = op_client
        .create_storage(&NewStorage {
            name: "Nextcloud".into(),
            nextcloud_url: url(&pair.nextcloud.url()),
            application_password: None,
        })
        .await
        .unwrap();
    let op_secret = created.oauth_client_secret.clone().unwrap();
    let app = created.storage.oauth_application.clone().unwrap();
    let values = SetupValues::oauth2(url(&pair.openproject.url()), app.client_id.clone(), op_secret.clone(), true);
    let setup = nc_client.create_setup(&values, &v(3, 1, 1)).await.unwrap();
    let nc_secret = setup.nextcloud_client_secret.clone().unwrap();
    let app_password = setup.openproject_user_app_password.clone().unwrap();
    op_client
        .set_oauth_client_credentials(created.storage.id, setup.nextcloud_client_id.as_deref().unwrap(), &nc_secret)
        .await
        .unwrap();
    let patched = op_client
        .update_storage(
            created.storage.id,
            &StoragePatch { application_password: Some(app_password.clone()), ..StoragePatch::default() },
        )
        .await
        .unwrap();
    assert!(patched.is_configured() && patched.has_application_password == Some(true));
    assert_eq!(
        op_client.probe_oauth_client(&app.client_id, &op_secret, &app.redirect_uris[0]).await.unwrap(),
        TokenProbe::Valid
    );
    let stored = nc_client.app_config_value("integration_openproject", "openproject_client_secret").await.unwrap();
    assert_eq!(stored.expose(), op_secret.expose());

    let flow = nc_anonymous(&pair.nextcloud.url()).start_login_flow().await.unwrap();
    pair.nextcloud.sim.grant_login_flow(&flow.login_url, nc_demo::ADMIN_LOGIN);
    let granted = nc_anonymous(&pair.nextcloud.url()).poll_login_flow(&flow).await.unwrap().unwrap();

    // Failures carrying secrets too.
    let mut errors = Vec::new();
    errors.push(op(&pair.openproject.url(), "wrong-token-value-123456789").root().await.unwrap_err());
    errors.push(
        nc(&pair.nextcloud.url(), nc_demo::ADMIN_LOGIN, "wrong-password-value-987654")
            .current_user()
            .await
            .unwrap_err(),
    );
    errors.push(
        op_client
            .set_oauth_client_credentials(999, "x", &SecretString::from("never-logged-secret-4242"))
            .await
            .unwrap_err(),
    );

    let log = captured.text();
    assert!(log.contains("request"), "the log was captured at all ({} bytes)", log.len());
    let secrets = [
        op_secret.expose().clone(),
        nc_secret.expose().clone(),
        app_password.expose().clone(),
        granted.app_password.expose().clone(),
        flow.poll_token.expose().clone(),
        op_demo::ADMIN_TOKEN.to_owned(),
        nc_demo::ADMIN_PASSWORD.to_owned(),
        "wrong-token-value-123456789".to_owned(),
        "wrong-password-value-987654".to_owned(),
        "never-logged-secret-4242".to_owned(),
    ];
    let error_texts: Vec<String> = errors
        .iter()
        .flat_map(|e| [e.message(), e.hint(), format!("{e:?}"), serde_json::to_string(&e.view()).unwrap()])
        .collect();
    for secret in &secrets {
        assert!(!log.contains(secret.as_str()), "a secret reached the TRACE log");
        for text in &error_texts {
            assert!(!text.contains(secret.as_str()), "a secret reached an error: {text}");
        }
        // As each client sends it: OpenProject's `apikey:token`, Nextcloud's `login:password`.
        for login in ["apikey", nc_demo::ADMIN_LOGIN, nc_demo::TWO_FACTOR_LOGIN] {
            assert!(!log.contains(&base64_of(login, secret)), "a Basic header ({login}:…) reached the log");
        }
    }
    eprintln!(
        "searched {} bytes of TRACE log and {} error texts for {} secrets: none found",
        log.len(),
        error_texts.len(),
        secrets.len()
    );
}

fn base64_of(login: &str, secret: &str) -> String {
    use base64::Engine;
    // The distinctive tail of a Basic header (`login:secret`): it depends on the secret.
    let encoded = base64::engine::general_purpose::STANDARD.encode(format!("{login}:{secret}"));
    encoded[encoded.len().saturating_sub(16)..].to_owned()
}
