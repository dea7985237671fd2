//! Every Nextcloud client call against the simulated Nextcloud.

mod common;

use common::*;
use opnc_core::nextcloud::{OpenProjectReachability, SetupValues};
use opnc_core::version::v;
use opnc_core::{ErrorCode, SecretString};
use opnc_sim::nextcloud::demo;
use opnc_sim::{loopback, NextcloudProfile, OpenProjectProfile, SimPair};

fn full_setup(op_url: &str, project_folder: bool) -> SetupValues {
    SetupValues::oauth2(
        url(op_url),
        "op-client-id".into(),
        SecretString::from("op-client-secret-0123456789"),
        project_folder,
    )
}

#[tokio::test]
async fn status_capabilities_and_apps() {
    let pair = SimPair::start_default().await.unwrap();
    let base = pair.nextcloud.url();
    let status = nc_anonymous(&base).status().await.unwrap();
    assert!(status.installed && !status.maintenance);
    assert_eq!(status.versionstring, "34.0.1");
    let caps = nc_anonymous(&base).capabilities().await.unwrap();
    assert_eq!(caps.major, 34);
    let integration = caps.integration.expect("the integration capability is public");
    assert_eq!(integration.app_version, "3.1.1");
    assert!(integration.groupfolders_enabled);

    let admin = nc_admin(&base);
    let apps = admin.enabled_apps().await.unwrap();
    assert!(apps.iter().any(|a| a == "integration_openproject") && apps.iter().any(|a| a == "groupfolders"));
    let app = admin.app("integration_openproject").await.unwrap().expect("installed");
    assert_eq!(app.version, "3.1.1");
    assert_eq!((app.nextcloud_min.as_deref(), app.nextcloud_max.as_deref()), (Some("33"), Some("34")));
    assert_eq!(admin.app("no_such_app").await.unwrap(), None);
}

#[tokio::test]
async fn who_signed_in_and_admin_detection() {
    let pair = SimPair::start_default().await.unwrap();
    let base = pair.nextcloud.url();
    let me = nc_admin(&base).current_user().await.unwrap();
    assert_eq!(me.id, "admin");
    assert!(me.is_admin());
    let alice = nc(&base, demo::USER_LOGIN, demo::USER_PASSWORD).current_user().await.unwrap();
    assert!(!alice.is_admin());
    let err = nc(&base, demo::USER_LOGIN, demo::USER_PASSWORD).check_admin_config().await.unwrap_err();
    assert_eq!(err.code(), ErrorCode::NotAdmin);
    let err = nc(&base, demo::USER_LOGIN, demo::USER_PASSWORD)
        .create_setup(&full_setup("http://127.0.0.1:1", false), &v(3, 1, 1))
        .await
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::NotAdmin);
}

#[tokio::test]
async fn wrong_password_and_two_factor_are_told_apart() {
    let pair = SimPair::start_default().await.unwrap();
    let base = pair.nextcloud.url();
    let wrong = nc(&base, demo::ADMIN_LOGIN, "wrong").current_user().await.unwrap_err();
    assert_eq!(wrong.code(), ErrorCode::CredentialsRejected);
    let two_factor = nc(&base, demo::TWO_FACTOR_LOGIN, demo::TWO_FACTOR_PASSWORD).current_user().await.unwrap_err();
    assert_eq!(two_factor.code(), ErrorCode::TwoFactorRequiresAppPassword);
    assert!(two_factor.hint().contains("app password"), "{}", two_factor.hint());
    let setup_err = nc(&base, demo::TWO_FACTOR_LOGIN, demo::TWO_FACTOR_PASSWORD).delete_setup().await.unwrap_err();
    assert_eq!(setup_err.code(), ErrorCode::TwoFactorRequiresAppPassword);
    let app_password = pair.nextcloud.sim.create_app_password(demo::TWO_FACTOR_LOGIN, "assistant").unwrap();
    let me = nc(&base, demo::TWO_FACTOR_LOGIN, &app_password).current_user().await.unwrap();
    assert!(me.is_admin(), "an app password works where the password is refused");
}

#[tokio::test]
async fn enabling_apps_needs_the_real_password() {
    let mut profile = NextcloudProfile::nc34();
    profile.integration_enabled = false;
    let pair = SimPair::start(OpenProjectProfile::v17(), profile, loopback(0), loopback(0)).await.unwrap();
    let base = pair.nextcloud.url();
    assert!(nc_anonymous(&base).capabilities().await.unwrap().integration.is_none());
    let app_password = pair.nextcloud.sim.create_app_password(demo::ADMIN_LOGIN, "assistant").unwrap();
    let err = nc(&base, demo::ADMIN_LOGIN, &app_password).enable_app("integration_openproject").await.unwrap_err();
    assert_eq!(err.code(), ErrorCode::PasswordConfirmationRequired);
    nc_admin(&base).enable_app("integration_openproject").await.unwrap();
    assert!(nc_anonymous(&base).capabilities().await.unwrap().integration.is_some());
}

#[tokio::test]
async fn setup_post_rotates_the_client_patch_keeps_it_delete_resets() {
    let pair = SimPair::start_default().await.unwrap();
    let client = nc_admin(&pair.nextcloud.url());
    let op_url = pair.openproject.url();
    let first = client.create_setup(&full_setup(&op_url, false), &v(3, 1, 1)).await.unwrap();
    assert_eq!(first.status, Some(true));
    let first_id = first.nextcloud_client_id.clone().unwrap();
    assert_eq!(first_id.len(), 64);
    assert!(first.nextcloud_client_secret.is_some());
    assert_eq!(
        first.openproject_redirect_uri.as_deref(),
        Some(format!("{op_url}/oauth_clients/{first_id}/callback").as_str())
    );

    let second = client.create_setup(&full_setup(&op_url, false), &v(3, 1, 1)).await.unwrap();
    assert_ne!(second.nextcloud_client_id, first.nextcloud_client_id, "every POST rotates the Nextcloud OAuth client");
    let state = pair.nextcloud.sim.state();
    assert_eq!(state.oauth_clients.len(), 1, "the old client is deleted");

    let patch = SetupValues {
        default_enable_navigation: Some(true),
        authorization_method: Some("oauth2".into()),
        ..SetupValues::default()
    };
    let patched = client.update_setup(&patch, &v(3, 1, 1)).await.unwrap();
    assert_eq!(patched.nextcloud_client_id, second.nextcloud_client_id);
    assert!(patched.nextcloud_client_secret.is_none(), "PATCH never shows the existing secret");
    assert!(patched.id.is_some());

    let status = client.check_admin_config().await.unwrap();
    assert!(status.config_status_without_project_folder);
    assert!(!status.project_folder_setup_status);

    let deleted = client.delete_setup().await.unwrap();
    assert_eq!(deleted.status, Some(true));
    assert!(!client.check_admin_config().await.unwrap().config_status_without_project_folder);
    assert!(pair.nextcloud.sim.state().oauth_clients.is_empty());
}

#[tokio::test]
async fn project_folder_setup_twice_is_a_conflict_and_survives_delete() {
    let pair = SimPair::start_default().await.unwrap();
    let client = nc_admin(&pair.nextcloud.url());
    let op_url = pair.openproject.url();
    assert_eq!(client.user("OpenProject").await.unwrap(), None);
    let answer = client.create_setup(&full_setup(&op_url, true), &v(3, 1, 1)).await.unwrap();
    assert!(answer.openproject_user_app_password.as_ref().is_some_and(|p| p.expose().len() >= 72));
    assert!(client.project_folder_status().await.unwrap());
    let user = client.user("OpenProject").await.unwrap().expect("created");
    assert!(user.groups.contains(&"OpenProject".to_owned()));
    assert_eq!(
        client.search_groups("OpenProject").await.unwrap(),
        vec!["OpenProject", "OpenProjectNoAutomaticProjectFolders"]
    );

    let again = client.create_setup(&full_setup(&op_url, true), &v(3, 1, 1)).await.unwrap_err();
    let api = again.nextcloud_api().expect("documented error");
    assert_eq!(api.status, 409);
    assert_eq!(api.text(), "The user \"OpenProject\" already exists");

    client.delete_setup().await.unwrap();
    assert!(client.project_folder_status().await.unwrap(), "DELETE keeps user, group and team folder");
    assert!(client.check_admin_config().await.unwrap().project_folder_setup_status, "DELETE keeps the app password");
}

#[tokio::test]
async fn check_config_shows_a_stripped_header() {
    let pair = SimPair::start_default().await.unwrap();
    assert!(nc_anonymous(&pair.nextcloud.url()).check_config().await.unwrap().intact());
    let mut profile = NextcloudProfile::nc34();
    profile.strips_bearer_header = true;
    let stripped = SimPair::start(OpenProjectProfile::v17(), profile, loopback(0), loopback(0)).await.unwrap();
    let echo = nc_anonymous(&stripped.nextcloud.url()).check_config().await.unwrap();
    assert!(!echo.intact());
    assert_eq!(echo.authorization_header, None);
}

#[tokio::test]
async fn nextcloud_reachability_of_openproject() {
    let pair = SimPair::start_default().await.unwrap();
    let client = nc_admin(&pair.nextcloud.url());
    assert_eq!(
        client.is_valid_op_instance(&url(&pair.openproject.url())).await.unwrap(),
        OpenProjectReachability::Valid
    );
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let down = client.is_valid_op_instance(&url(&format!("http://127.0.0.1:{closed}"))).await.unwrap();
    assert!(matches!(down, OpenProjectReachability::NetworkError(ref d) if d.contains("cURL error 7")), "{down:?}");
    let not_op = client.is_valid_op_instance(&url(&pair.nextcloud.url())).await.unwrap();
    assert_eq!(not_op, OpenProjectReachability::ClientException("404 Not Found".into()));

    let strict =
        SimPair::start(OpenProjectProfile::v17(), NextcloudProfile::nc34(), loopback(0), loopback(0)).await.unwrap();
    let blocked =
        nc_admin(&strict.nextcloud.url()).is_valid_op_instance(&url(&strict.openproject.url())).await.unwrap();
    assert_eq!(blocked, OpenProjectReachability::LocalRemoteServersNotAllowed);

    let old =
        SimPair::start(OpenProjectProfile::v17(), NextcloudProfile::nc30(), loopback(0), loopback(0)).await.unwrap();
    let csrf = nc_admin(&old.nextcloud.url()).is_valid_op_instance(&url(&old.openproject.url())).await.unwrap_err();
    assert_eq!(csrf.status(), Some(412), "before Nextcloud 31 the OCS header does not pass the CSRF check");
}

#[tokio::test]
async fn app_config_exposes_the_stored_values_to_admins() {
    let pair = SimPair::start_default().await.unwrap();
    let client = nc_admin(&pair.nextcloud.url());
    client.create_setup(&full_setup(&pair.openproject.url(), false), &v(3, 1, 1)).await.unwrap();
    let keys = client.app_config_keys("integration_openproject").await.unwrap();
    for key in [
        "openproject_instance_url",
        "openproject_client_id",
        "openproject_client_secret",
        "authorization_method",
        "nc_oauth_client_id",
    ] {
        assert!(keys.iter().any(|k| k == key), "{key} in {keys:?}");
    }
    let secret = client.app_config_value("integration_openproject", "openproject_client_secret").await.unwrap();
    assert_eq!(secret.expose(), "op-client-secret-0123456789");
    assert_eq!(format!("{secret:?}"), "<redacted>");
    let unset = client.app_config_value("integration_openproject", "no_such_key").await.unwrap();
    assert_eq!(unset.expose(), "");
}

#[tokio::test]
async fn login_flow_v2_start_poll_grant_revoke() {
    let pair = SimPair::start_default().await.unwrap();
    let base = pair.nextcloud.url();
    let anonymous = nc_anonymous(&base);
    let flow = anonymous.start_login_flow().await.unwrap();
    assert!(flow.login_url.starts_with(&format!("{base}/index.php/login/v2/flow/")));
    assert!(anonymous.poll_login_flow(&flow).await.unwrap().is_none(), "404 [] until granted");
    assert!(pair.nextcloud.sim.grant_login_flow(&flow.login_url, demo::TWO_FACTOR_LOGIN));
    let granted = anonymous.poll_login_flow(&flow).await.unwrap().expect("granted");
    assert_eq!(granted.login_name, demo::TWO_FACTOR_LOGIN);
    assert!(anonymous.poll_login_flow(&flow).await.unwrap().is_none(), "the poll token is single-use");

    let signed_in = nc(&base, &granted.login_name, granted.app_password.expose());
    assert!(signed_in.current_user().await.unwrap().is_admin(), "a two-factor admin works through Login Flow v2");
    signed_in.revoke_app_password().await.unwrap();
    assert_eq!(signed_in.current_user().await.unwrap_err().code(), ErrorCode::CredentialsRejected);
}

#[tokio::test]
async fn sub_path_installs_work() {
    let mut profile = NextcloudProfile::nc34();
    profile.base_path = "/nextcloud".into();
    let pair = SimPair::start(OpenProjectProfile::v17(), profile, loopback(0), loopback(0)).await.unwrap();
    let base = pair.nextcloud.url();
    assert!(base.ends_with("/nextcloud"));
    assert!(nc_anonymous(&format!("{base}/")).status().await.unwrap().installed);
    assert!(nc_admin(&base).current_user().await.unwrap().is_admin());
    let without_path = nc_anonymous(&pair.nextcloud.server.url()).status().await.unwrap_err();
    assert_eq!(without_path.code(), ErrorCode::UnparseableBody, "the host root is not Nextcloud: {without_path:?}");
}

#[tokio::test]
async fn setup_fields_follow_the_app_version() {
    let values = full_setup("http://127.0.0.1:9", true);
    let body = values.to_body(&v(2, 3, 0));
    assert!(body["values"].get("setup_project_folder").is_none(), "2.3 rejects setup_* keys");
    assert!(body["values"].get("authorization_method").is_none());
    let body = values.to_body(&v(2, 8, 0));
    assert_eq!(body["values"]["setup_app_password"], true);
    assert!(body["values"].get("authorization_method").is_none(), "before 2.9 the key is unknown");
    let body = values.to_body(&v(3, 1, 1));
    assert_eq!(body["values"]["authorization_method"], "oauth2");
    assert_eq!(body["values"].as_object().unwrap().len(), 8);
}

/// One password check per run: the account password becomes an app password once; everything after uses it,
/// the account password stays only for password-confirmed calls, and the app password is revoked at the end.
#[tokio::test]
async fn an_account_password_is_checked_once_and_its_app_password_revoked() {
    use opnc_core::nextcloud_session::{AppPasswordOrigin, NextcloudSession};
    let pair = SimPair::start_default().await.unwrap();
    let base = pair.nextcloud.url();
    let mut session = NextcloudSession::open(nc_admin(&base), false).await.unwrap();
    assert_eq!(session.origin(), AppPasswordOrigin::Temporary);
    let app_password = session.app_password().unwrap().password.expose().clone();
    assert_ne!(app_password, demo::ADMIN_PASSWORD);
    let before = pair.nextcloud.sim.lock().password_verifications;
    assert_eq!(before, 1, "the exchange itself is the one password check");
    for _ in 0..3 {
        session.client.current_user().await.unwrap();
    }
    assert_eq!(pair.nextcloud.sim.lock().password_verifications, 1, "later requests carry the app password");
    // Password confirmation (enabling an app) still has the account password, until it is forgotten.
    pair.nextcloud.sim.lock().profile.integration_enabled = false;
    session.account().expect("kept for password confirmation").enable_app("integration_openproject").await.unwrap();
    assert_eq!(
        session.client.enable_app("integration_openproject").await.unwrap_err().code(),
        ErrorCode::PasswordConfirmationRequired,
        "an app password cannot confirm"
    );
    session.forget_account_password();
    assert!(session.account().is_none());
    assert!(session.close().await, "revoked");
    assert!(!pair.nextcloud.sim.state().app_tokens.iter().any(|t| t.token == app_password), "gone from Nextcloud");
    assert_eq!(
        session.client.current_user().await.unwrap_err().code(),
        ErrorCode::CredentialsRejected,
        "a revoked app password no longer works"
    );
}

#[tokio::test]
async fn an_app_password_given_is_used_as_it_is_and_never_revoked() {
    use opnc_core::nextcloud_session::{AppPasswordOrigin, NextcloudSession};
    let pair = SimPair::start_default().await.unwrap();
    let base = pair.nextcloud.url();
    let token = pair.nextcloud.sim.create_app_password(demo::ADMIN_LOGIN, "admin's own").unwrap();
    let session = NextcloudSession::open(nc(&base, demo::ADMIN_LOGIN, &token), false).await.unwrap();
    assert_eq!(session.origin(), AppPasswordOrigin::Given, "Nextcloud refuses to derive one from an app password");
    assert_eq!(session.app_password().unwrap().password.expose(), &token);
    assert!(session.account().is_none());
    assert!(!session.close().await);
    assert!(pair.nextcloud.sim.state().app_tokens.iter().any(|t| t.token == token), "still there");
    assert_eq!(pair.nextcloud.sim.lock().password_verifications, 0);
    // Wrong and two-factor: told apart, as everywhere.
    let wrong = NextcloudSession::open(nc(&base, demo::ADMIN_LOGIN, "wrong"), false).await.unwrap_err();
    assert_eq!(wrong.code(), ErrorCode::CredentialsRejected);
    let two_factor =
        NextcloudSession::open(nc(&base, demo::TWO_FACTOR_LOGIN, demo::TWO_FACTOR_PASSWORD), false).await.unwrap_err();
    assert_eq!(two_factor.code(), ErrorCode::TwoFactorRequiresAppPassword);
}
