//! Every OpenProject client call against the simulated OpenProject (and, where OpenProject validates the
//! host, the simulated Nextcloud).

mod common;

use common::*;
use opnc_core::nextcloud::SetupValues;
use opnc_core::openproject::{Filter, NewStorage, OpenProjectAuth, OpenProjectClient, StoragePatch, TokenProbe};
use opnc_core::version::v;
use opnc_core::{ErrorCode, ErrorKind, SecretString};
use opnc_sim::openproject::demo;
use opnc_sim::{loopback, NextcloudProfile, OpenProjectProfile, SimPair};

fn new_storage(nc_url: &str) -> NewStorage {
    NewStorage { name: "Nextcloud".into(), nextcloud_url: url(nc_url), application_password: None }
}

#[tokio::test]
async fn root_shows_the_version_only_to_admins() {
    let pair = SimPair::start_default().await.unwrap();
    let base = pair.openproject.url();
    let root = op_admin(&base).root().await.unwrap();
    assert!(root.is_admin());
    assert_eq!(root.version(), Some(v(17, 3, 0)));
    let member = op(&base, demo::USER_TOKEN).root().await.unwrap();
    assert!(!member.is_admin(), "coreVersion must be hidden from non-admins");
    assert_eq!(member.core_version, None);
}

#[tokio::test]
async fn wrong_or_missing_tokens_are_credentials_rejected() {
    let pair = SimPair::start_default().await.unwrap();
    let base = pair.openproject.url();
    let err = op(&base, "not-a-token").root().await.unwrap_err();
    assert_eq!(err.code(), ErrorCode::CredentialsRejected);
    assert!(err.hint().contains("Access tokens"), "{}", err.hint());
    let anonymous = OpenProjectClient::new(http(), url(&base), OpenProjectAuth::Anonymous);
    assert_eq!(anonymous.configuration().await.unwrap_err().code(), ErrorCode::CredentialsRejected);
}

#[tokio::test]
async fn bearer_tokens_work_from_17_2_and_only_for_new_tokens() {
    let pair = SimPair::start_default().await.unwrap();
    let base = pair.openproject.url();
    let bearer = |t: &str| OpenProjectClient::new(http(), url(&base), OpenProjectAuth::Bearer(SecretString::from(t)));
    assert!(bearer(demo::ADMIN_TOKEN).root().await.unwrap().is_admin());
    let legacy = bearer(demo::LEGACY_ADMIN_TOKEN).root().await.unwrap_err();
    assert_eq!(legacy.code(), ErrorCode::CredentialsRejected, "a pre-17.2 token only works as Basic apikey");
    assert!(op(&base, demo::LEGACY_ADMIN_TOKEN).root().await.unwrap().is_admin());

    let old =
        SimPair::start(OpenProjectProfile::v16(), NextcloudProfile::nc34(), loopback(0), loopback(0)).await.unwrap();
    let on_16 = OpenProjectClient::new(
        http(),
        url(&old.openproject.url()),
        OpenProjectAuth::Bearer(SecretString::from(demo::ADMIN_TOKEN)),
    );
    assert_eq!(on_16.root().await.unwrap_err().code(), ErrorCode::CredentialsRejected);
}

/// `/api/v3/configuration` as OpenProject sends it, every key.
async fn raw_configuration(base: &str) -> serde_json::Value {
    let answer = reqwest::Client::new()
        .get(format!("{base}/api/v3/configuration"))
        .basic_auth("apikey", Some(demo::ADMIN_TOKEN))
        .send()
        .await
        .unwrap();
    answer.json().await.unwrap()
}

#[tokio::test]
async fn configuration_and_me_in_both_shapes() {
    // 16.x's shape, and 17.x's with the fields 17.1 adds (date and time formats, link protocols, page size…,
    // and for /users/me email, avatar, names and dates): the clients read the same from both.
    let old =
        SimPair::start(OpenProjectProfile::v16(), NextcloudProfile::nc34(), loopback(0), loopback(0)).await.unwrap();
    let config = op_admin(&old.openproject.url()).configuration().await.unwrap();
    assert_eq!(config.host_name.as_deref(), Some(old.openproject.server.addr.to_string().as_str()));
    assert!(op_admin(&old.openproject.url()).me().await.unwrap().admin);
    let raw = raw_configuration(&old.openproject.url()).await;
    assert!(raw.get("maximumAPIV3PageSize").is_none(), "16.x has no page size bound");
    let pair = SimPair::start_default().await.unwrap();
    let raw = raw_configuration(&pair.openproject.url()).await;
    for key in [
        "dateFormat",
        "timeFormat",
        "startOfWeek",
        "hoursPerDay",
        "daysPerMonth",
        "userDefaultTimezone",
        "allowedLinkProtocols",
        "maximumAPIV3PageSize",
        "triallingFeatures",
    ] {
        assert!(raw.get(key).is_some(), "17.x sends {key}");
    }
    let base = pair.openproject.url();
    let config = op_admin(&base).configuration().await.unwrap();
    assert_eq!(config.host_name.as_deref(), Some(pair.openproject.server.addr.to_string().as_str()));
    let me = op_admin(&base).me().await.unwrap();
    assert!(me.admin);
    assert_eq!(me.login.as_deref(), Some("admin"));
    let member = op(&base, demo::USER_TOKEN).me().await.unwrap();
    assert!(!member.admin, "`admin` is absent for non-admins and must read as false");
}

#[tokio::test]
async fn storage_lifecycle_secret_only_on_create() {
    let pair = SimPair::start_default().await.unwrap();
    let client = op_admin(&pair.openproject.url());
    let created = client.create_storage(&new_storage(&pair.nextcloud.url())).await.unwrap();
    let secret = created.oauth_client_secret.expect("the secret is in the create response");
    assert!(secret.expose().len() >= 40);
    let storage = created.storage;
    assert_eq!(storage.host, format!("{}/", pair.nextcloud.url()), "17.x stores the host with one trailing slash");
    assert_eq!(storage.configured, Some(false));
    assert_eq!(storage.has_application_password, Some(false));
    let app = storage.oauth_application.clone().expect("two-way OAuth creates an application");
    assert_eq!(
        app.redirect_uris,
        vec![format!("{}/index.php/apps/integration_openproject/oauth-redirect", pair.nextcloud.url())]
    );

    let fetched = client.storage(storage.id).await.unwrap();
    assert_eq!(fetched.oauth_application.as_ref().map(|a| &a.client_id), Some(&app.client_id));
    let listed = client.storages().await.unwrap();
    assert_eq!(listed.len(), 1);
    assert!(!fetched.is_configured());

    let creds = client
        .set_oauth_client_credentials(storage.id, "nc-client-id", &SecretString::from("nc-client-secret"))
        .await
        .unwrap();
    assert_eq!(creds.client_id, "nc-client-id");
    let configured = client.storage(storage.id).await.unwrap();
    assert_eq!(configured.configured, Some(true));
    assert_eq!(configured.oauth_client_credentials.as_ref().map(|c| c.client_id.as_str()), Some("nc-client-id"));
    let replaced =
        client.set_oauth_client_credentials(storage.id, "nc-client-id-2", &SecretString::from("s2")).await.unwrap();
    assert_ne!(replaced.id, creds.id, "a second POST replaces the client");

    let renamed = client
        .update_storage(storage.id, &StoragePatch { name: Some("Files".into()), ..StoragePatch::default() })
        .await
        .unwrap();
    assert_eq!(renamed.name, "Files");
    assert_eq!(renamed.oauth_application.map(|a| a.name), Some("Files (Nextcloud)".to_owned()));

    client.delete_storage(storage.id).await.unwrap();
    let gone = client.storage(storage.id).await.unwrap_err();
    assert_eq!(gone.openproject_api().map(|e| e.identifier.as_str()), Some("NotFound"));
    assert_eq!(gone.status(), Some(404));
}

#[tokio::test]
async fn taken_host_and_name_are_typed_violations_in_any_language() {
    // 16.x validates both in the contract: `MultipleErrors`.
    let old =
        SimPair::start(OpenProjectProfile::v16(), NextcloudProfile::nc34(), loopback(0), loopback(0)).await.unwrap();
    op_admin(&old.openproject.url()).create_storage(&new_storage(&old.nextcloud.url())).await.unwrap();
    let err = op_admin(&old.openproject.url()).create_storage(&new_storage(&old.nextcloud.url())).await.unwrap_err();
    let api = err.openproject_api().expect("a documented error");
    assert_eq!(api.identifier, "MultipleErrors");
    assert!(api.violates("host") && api.violates("name"), "{api:?}");
    // 17.1 and later check the host only when saving: with the name taken, only the name is reported.
    let pair = SimPair::start_default().await.unwrap();
    let base = pair.openproject.url();
    op_admin(&base).create_storage(&new_storage(&pair.nextcloud.url())).await.unwrap();
    for token in [demo::ADMIN_TOKEN, demo::ADMIN_DE_TOKEN] {
        let err = op(&base, token).create_storage(&new_storage(&pair.nextcloud.url())).await.unwrap_err();
        let api = err.openproject_api().expect("a documented error");
        assert_eq!(api.identifier, "PropertyConstraintViolation");
        assert!(api.violates("name") && !api.violates("host"), "{api:?}");
    }
    // The host alone taken (another name): the host.
    let other = NewStorage { name: "Another".into(), ..new_storage(&pair.nextcloud.url()) };
    let api = op_admin(&base).create_storage(&other).await.unwrap_err().openproject_api().cloned().unwrap();
    assert!(api.violates("host") && !api.violates("name"), "{api:?}");
    let german = op(&base, demo::ADMIN_DE_TOKEN).create_storage(&new_storage(&pair.nextcloud.url())).await.unwrap_err();
    assert!(german.message().contains("bereits vergeben"), "messages are localised: {}", german.message());
}

#[tokio::test]
async fn non_admin_cannot_create_storages() {
    let pair = SimPair::start_default().await.unwrap();
    let err = op(&pair.openproject.url(), demo::USER_TOKEN)
        .create_storage(&new_storage(&pair.nextcloud.url()))
        .await
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::NotAdmin);
}

#[tokio::test]
async fn openproject_validates_the_nextcloud_host_live() {
    let mut nc = NextcloudProfile::nc34();
    nc.strips_bearer_header = true;
    let stripped = SimPair::start(OpenProjectProfile::v17(), nc, loopback(0), loopback(0)).await.unwrap();
    let err = op_admin(&stripped.openproject.url())
        .create_storage(&new_storage(&stripped.nextcloud.url()))
        .await
        .unwrap_err();
    let api = err.openproject_api().expect("422");
    assert!(api.violates("host"));
    assert!(api.message.contains("Authorization"), "{}", api.message);

    let mut missing = NextcloudProfile::nc34();
    missing.integration_version = None;
    let no_app = SimPair::start(OpenProjectProfile::v17(), missing, loopback(0), loopback(0)).await.unwrap();
    let err =
        op_admin(&no_app.openproject.url()).create_storage(&new_storage(&no_app.nextcloud.url())).await.unwrap_err();
    assert!(err.openproject_api().unwrap().message.contains("OpenProject integration"));

    // Nothing listens there: OpenProject cannot reach the host.
    let pair = SimPair::start_default().await.unwrap();
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let err = op_admin(&pair.openproject.url())
        .create_storage(&new_storage(&format!("http://127.0.0.1:{closed}")))
        .await
        .unwrap_err();
    assert!(err.openproject_api().unwrap().violates("host"));
    assert!(pair.openproject.sim.state().storages.is_empty(), "nothing is created when validation fails");
}

#[tokio::test]
async fn application_password_is_checked_against_nextcloud() {
    let pair = SimPair::start_default().await.unwrap();
    let op_client = op_admin(&pair.openproject.url());
    let storage = op_client.create_storage(&new_storage(&pair.nextcloud.url())).await.unwrap().storage;
    let wrong = StoragePatch { application_password: Some(SecretString::from("wrong")), ..StoragePatch::default() };
    let err = op_client.update_storage(storage.id, &wrong).await.unwrap_err();
    assert!(err.openproject_api().unwrap().violates("password"));

    let nc = nc_admin(&pair.nextcloud.url());
    let values = SetupValues::oauth2(url(&pair.openproject.url()), "id".into(), SecretString::from("secret"), true);
    let answer = nc.create_setup(&values, &v(3, 1, 1)).await.unwrap();
    let app_password = answer.openproject_user_app_password.expect("app password");
    let right = StoragePatch { application_password: Some(app_password), ..StoragePatch::default() };
    let updated = op_client.update_storage(storage.id, &right).await.unwrap();
    assert_eq!(updated.has_application_password, Some(true));
}

#[tokio::test]
async fn projects_page_by_page_with_filters() {
    let pair = SimPair::start_default().await.unwrap();
    let client = op_admin(&pair.openproject.url());
    let page = client.projects(&[], 2, 1).await.unwrap();
    assert_eq!((page.total, page.count, page.elements.len()), (4, 2, 2));
    let second = client.projects(&[], 2, 2).await.unwrap();
    assert_eq!(second.elements[0].id, 3, "offset is a page number");
    let all = client.all_projects(&[]).await.unwrap();
    assert_eq!(all.len(), 4);
    let active = client.all_projects(&[Filter::new("active", "=", &["t"])]).await.unwrap();
    assert_eq!(active.len(), 3);
    let search = client.all_projects(&[Filter::new("name_and_identifier", "~", &["website"])]).await.unwrap();
    assert_eq!(search.iter().map(|p| p.parent_id).collect::<Vec<_>>(), vec![Some(1)]);
    let bad = client.projects(&[Filter::new("no_such_filter", "=", &["x"])], 20, 1).await.unwrap_err();
    assert_eq!(bad.openproject_api().map(|e| e.identifier.as_str()), Some("InvalidQuery"));
}

#[tokio::test]
async fn project_storages_are_read() {
    let pair = SimPair::start_default().await.unwrap();
    let client = op_admin(&pair.openproject.url());
    let storage = client.create_storage(&new_storage(&pair.nextcloud.url())).await.unwrap().storage;
    pair.openproject.sim.enable_in_project(storage.id, 2, "inactive");
    let list = client.project_storages(&[Filter::new("storageId", "=", &[&storage.id.to_string()])]).await.unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0].project_id, Some(2));
    assert_eq!(list[0].project_folder_mode.as_deref(), Some("inactive"));
    let with_storage =
        client.all_projects(&[Filter::new("storage_id", "=", &[&storage.id.to_string()])]).await.unwrap();
    assert_eq!(with_storage.iter().map(|p| p.id).collect::<Vec<_>>(), vec![2]);
}

#[tokio::test]
async fn token_probe_tells_valid_from_invalid_client_credentials() {
    let pair = SimPair::start_default().await.unwrap();
    let client = op_admin(&pair.openproject.url());
    let created = client.create_storage(&new_storage(&pair.nextcloud.url())).await.unwrap();
    let app = created.storage.oauth_application.unwrap();
    let secret = created.oauth_client_secret.unwrap();
    let redirect = &app.redirect_uris[0];
    assert_eq!(client.probe_oauth_client(&app.client_id, &secret, redirect).await.unwrap(), TokenProbe::Valid);
    let wrong = SecretString::from("wrong-secret");
    assert_eq!(client.probe_oauth_client(&app.client_id, &wrong, redirect).await.unwrap(), TokenProbe::InvalidClient);
    assert_eq!(client.probe_oauth_client("unknown", &secret, redirect).await.unwrap(), TokenProbe::InvalidClient);
}

#[tokio::test]
async fn a_server_error_is_a_typed_error() {
    let pair = SimPair::start_default().await.unwrap();
    pair.openproject.server.control.add_fault(opnc_sim::Fault::on(
        http::Method::GET,
        "/api/v3/configuration",
        1,
        opnc_sim::FaultAction::Status { status: 502, body: "<html><body>Bad Gateway</body></html>".into() },
    ));
    let err = op_admin(&pair.openproject.url()).configuration().await.unwrap_err();
    assert!(
        matches!(
            err.kind,
            ErrorKind::UnparseableBody { status: 502, .. } | ErrorKind::UnexpectedStatus { status: 502, .. }
        ),
        "{err:?}"
    );
}
