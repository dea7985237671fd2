//! End-to-end: `opnc setup --auth sso-hub | sso-external` against the simulators (and a simulated external
//! identity provider): each of the three SSO variants set up, proven, re-run, deleted; a failure in the middle
//! rolls back both sides including the SSO apps' changes; bad input stops before any write.

use opnc_e2e::{opnc, output, run, state_dir, text};
use opnc_sim::idp::{IdpProfile, RunningIdp};
use opnc_sim::{Fault, FaultAction, NextcloudProfile, OpenProjectProfile, SimPair};
use serde_json::json;

/// OpenProject 17 with the Enterprise feature, Nextcloud 34 with oidc and user_oidc.
async fn sso_pair() -> SimPair {
    let mut op = OpenProjectProfile::v17();
    op.available_features = vec!["nextcloud_sso".into()];
    let nc = NextcloudProfile { allow_local_remote_servers: true, ..NextcloudProfile::nc34() }.with_sso_apps();
    SimPair::start(op, nc, opnc_sim::loopback(0), opnc_sim::loopback(0)).await.unwrap()
}

fn config(pair: &SimPair, key: &str) -> String {
    pair.nextcloud.sim.state().app_config.get(key).cloned().unwrap_or_default()
}

/// A user_oidc provider as an admin would have made it in Nextcloud's settings.
fn existing_provider(pair: &SimPair, identifier: &str, client_id: &str, discovery: &str) {
    pair.nextcloud.sim.lock().user_oidc_providers.push(json!({
        "id": 41, "identifier": identifier, "clientId": client_id, "discoveryEndpoint": discovery,
        "scope": "openid profile email api_v3", "settings": { "checkBearer": true }
    }));
}

#[tokio::test]
async fn nextcloud_hub_set_up_proven_rerun_and_deleted() {
    let pair = sso_pair().await;
    let state = state_dir("sso-hub");
    let out = run(&pair, &state, &["setup", "--yes", "--auth", "sso-hub", "--no-project-folders"]).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let op = pair.openproject.sim.state();
    let storage = &op.storages[0];
    assert!(storage.sso() && storage.oauth_app.is_none(), "an SSO storage without an OAuth application");
    assert_eq!(storage.storage_audience.as_deref(), Some("__op-idp__"));
    let nc = pair.nextcloud.sim.state();
    assert_eq!(nc.oidc_clients.len(), 1, "one oidc client for OpenProject");
    let client = &nc.oidc_clients[0];
    assert_eq!(client.token_type, "jwt");
    assert_eq!(client.redirect_uri, format!("{}/auth/oidc-nextcloud/callback", pair.openproject.url()));
    assert_eq!(config(&pair, "authorization_method"), "oidc");
    assert_eq!(config(&pair, "sso_provider_type"), "nextcloud_hub");
    assert_eq!(config(&pair, "targeted_audience_client_id"), client.client_id, "the audience is the new client");
    assert_eq!(nc.other_config("user_oidc", "store_login_token"), "1");
    assert_eq!(nc.other_config("oidc", "expire_time_refresh"), "never");
    assert!(nc.oauth_clients.is_empty(), "no Nextcloud OAuth client in SSO mode");
    let said = text(&out);
    assert!(said.contains("proven from both sides") && said.contains("One step is left by hand"), "{said}");
    assert!(said.contains(&client.client_id), "the client id to enter in OpenProject: {said}");
    assert!(!said.contains(&client.client_secret), "the client secret is never printed");
    assert!(said.contains("occ config:system:set user_oidc oidc_provider_bearer_validation"), "{said}");
    let journal = opnc_e2e::all_files_text(&state);
    assert!(!journal.contains(&client.client_secret), "no secret in the journal or the baseline");

    let out = run(&pair, &state, &["status"]).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let out = run(&pair, &state, &["setup", "--yes", "--auth", "sso-hub", "--no-project-folders"]).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(text(&out).contains("nothing to change"), "{}", text(&out));
    assert_eq!(pair.nextcloud.sim.state().oidc_clients.len(), 1, "a re-run makes no second client");

    let out = run(&pair, &state, &["delete", "--yes"]).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(text(&out).contains("OpenID Connect client “OpenProject”"), "the impact names it: {}", text(&out));
    assert!(pair.openproject.sim.state().storages.is_empty());
    assert_eq!(config(&pair, "openproject_instance_url"), "");
    assert!(pair.nextcloud.sim.state().oidc_clients.is_empty(), "the client made for OpenProject goes with the pair");
}

#[tokio::test]
async fn external_identity_provider_with_token_exchange_creates_the_provider() {
    let pair = sso_pair().await;
    let idp = RunningIdp::start(IdpProfile::default(), opnc_sim::loopback(0)).await.unwrap();
    let state = state_dir("sso-exchange");
    let discovery = idp.discovery_url();
    let args = [
        "setup",
        "--yes",
        "--auth",
        "sso-external",
        "--idp-discovery",
        &discovery,
        "--token-exchange",
        "--new-oidc-provider",
        "keycloak",
        "--nextcloud-client-id",
        "nextcloud",
        "--openproject-client-id",
        "openproject",
        "--token-exchange-scope",
        "add-nextcloud-audience",
        "--openproject-provider",
        "keycloak",
    ];
    let mut cmd = opnc(&pair, &state, &args);
    cmd.env("OPNC_IDP_NEXTCLOUD_CLIENT_SECRET", "nextcloud-secret-at-the-idp");
    let out = output(cmd).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let storage = pair.openproject.sim.state().storages[0].clone();
    assert!(storage.sso());
    assert_eq!(storage.storage_audience.as_deref(), Some("nextcloud"), "exchanged for Nextcloud's client");
    assert_eq!(storage.token_exchange_scope.as_deref(), Some("add-nextcloud-audience"));
    assert!(storage.application_password.is_some(), "project folders with SSO on 17");
    let providers = pair.nextcloud.sim.state().user_oidc_providers;
    assert_eq!(providers.len(), 1);
    assert_eq!(providers[0]["identifier"], "keycloak");
    assert_eq!(providers[0]["settings"]["checkBearer"], true);
    assert_eq!(config(&pair, "sso_provider_type"), "external");
    assert_eq!(config(&pair, "oidc_provider"), "keycloak");
    assert_eq!(config(&pair, "token_exchange"), "1");
    assert_eq!(config(&pair, "targeted_audience_client_id"), "openproject");
    assert!(!text(&out).contains("nextcloud-secret-at-the-idp"));
    let journals: Vec<String> = std::fs::read_dir(&state)
        .unwrap()
        .map(|f| f.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .map(|p| std::fs::read_to_string(p).unwrap())
        .collect();
    assert!(journals.iter().all(|j| !j.contains("nextcloud-secret-at-the-idp")), "no secret in the journal");
    assert!(
        journals.iter().any(|j| j.contains("delete_user_oidc_provider")),
        "the provider's undo was recorded before it was made"
    );
    assert!(text(&out).contains(&format!("{}/auth/oidc-keycloak/callback", pair.openproject.url())), "{}", text(&out));

    let out = run(&pair, &state, &["status"]).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let out = run(&pair, &state, &["delete", "--yes"]).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(pair.openproject.sim.state().storages.is_empty());

    // Again with project folders: the "OpenProject" user is there now, and in SSO mode Nextcloud shows no new app
    // password for it (measured on 3.1.1): blocked before any write, with the ways out.
    let before = pair.restorable_state();
    let again = [
        "setup",
        "--yes",
        "--auth",
        "sso-external",
        "--idp-discovery",
        &discovery,
        "--oidc-provider",
        "keycloak",
        "--json",
    ];
    let out = run(&pair, &state, &again).await;
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(
        report["findings"].as_array().unwrap().iter().any(|f| f["code"] == "sso_project_folder_not_reusable"),
        "{report}"
    );
    assert_eq!(pair.restorable_state(), before);
}

#[tokio::test]
async fn external_identity_provider_without_exchange_uses_the_provider_there() {
    let pair = sso_pair().await;
    let idp = RunningIdp::start(IdpProfile { token_exchange: false, ..IdpProfile::default() }, opnc_sim::loopback(0))
        .await
        .unwrap();
    let discovery = idp.discovery_url();
    existing_provider(&pair, "keycloak", "nextcloud", &discovery);
    let state = state_dir("sso-plain");
    let args =
        ["setup", "--yes", "--auth", "sso-external", "--idp-discovery", &discovery, "--oidc-provider", "keycloak"];
    let out = run(&pair, &state, &args).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let storage = pair.openproject.sim.state().storages[0].clone();
    assert_eq!(storage.storage_audience.as_deref(), Some("__op-idp__"), "the IdP token as it is");
    assert_eq!(storage.token_exchange_scope, None);
    assert_eq!(config(&pair, "token_exchange"), "");
    assert_eq!(config(&pair, "oidc_provider"), "keycloak");
    assert_eq!(pair.nextcloud.sim.state().user_oidc_providers.len(), 1, "no second provider");
    let out = run(&pair, &state, &["delete", "--yes"]).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
}

#[tokio::test]
async fn a_failure_rolls_back_the_sso_apps_too() {
    let pair = sso_pair().await;
    let idp = RunningIdp::start(IdpProfile::default(), opnc_sim::loopback(0)).await.unwrap();
    let before_op = pair.openproject.sim.state().storages.len();
    let mut fault = Fault::on(
        http::Method::POST,
        "/apps/integration_openproject/setup",
        1,
        FaultAction::Status { status: 500, body: r#"{"error":"simulated"}"#.into() },
    );
    fault.repeat = true;
    pair.nextcloud.server.control.add_fault(fault);
    for (name, args) in [
        ("hub", vec!["setup", "--yes", "--auth", "sso-hub"]),
        (
            "external",
            vec![
                "setup",
                "--yes",
                "--auth",
                "sso-external",
                "--idp-discovery",
                &idp.discovery_url(),
                "--new-oidc-provider",
                "keycloak",
                "--nextcloud-client-id",
                "nextcloud",
            ],
        ),
    ] {
        let mut cmd = opnc(&pair, &state_dir(&format!("sso-rollback-{name}")), &args);
        cmd.env("OPNC_IDP_NEXTCLOUD_CLIENT_SECRET", "x-secret");
        let out = output(cmd).await;
        assert_eq!(out.status.code(), Some(1), "{name}: {}", text(&out));
        assert!(text(&out).contains("rolled back"), "{name}: {}", text(&out));
        let nc = pair.nextcloud.sim.state();
        assert_eq!(pair.openproject.sim.state().storages.len(), before_op, "{name}: the storage is gone");
        assert!(nc.oidc_clients.is_empty(), "{name}: the oidc client is gone");
        assert!(nc.user_oidc_providers.is_empty(), "{name}: the user_oidc provider is gone");
        assert_eq!(config(&pair, "openproject_instance_url"), "", "{name}: Nextcloud reset");
    }
}

/// Signed in to Nextcloud with an app password only: user_oidc's writes cannot be confirmed, so the setup is
/// blocked before anything is written, and says what to do instead.
#[tokio::test]
async fn an_app_password_cannot_confirm_user_oidc_writes() {
    let pair = sso_pair().await;
    let app_password = pair.nextcloud.sim.create_app_password(opnc_sim::nextcloud::demo::ADMIN_LOGIN, "cli").unwrap();
    let before = pair.restorable_state();
    let mut cmd = opnc(&pair, &state_dir("sso-app-password"), &["setup", "--yes", "--auth", "sso-hub", "--json"]);
    cmd.env("OPNC_NEXTCLOUD_PASSWORD", &app_password);
    let out = output(cmd).await;
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let finding = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == "sso_password_confirmation_needed")
        .unwrap_or_else(|| panic!("{report}"));
    assert_eq!(finding["severity"], "blocker");
    assert!(finding["fix"].as_str().unwrap().contains("account password"), "{finding}");
    assert_eq!(pair.restorable_state(), before, "nothing written");
}

/// A working two-way OAuth pair is switched to SSO in place and back (file links, project folders and the
/// storage's id stay), for Nextcloud Hub and for an external identity provider with token exchange; a failure in
/// the middle of a conversion puts both methods back.
#[tokio::test]
async fn a_two_way_oauth_pair_is_converted_to_sso_and_back() {
    let pair = sso_pair().await;
    let idp = RunningIdp::start(IdpProfile::default(), opnc_sim::loopback(0)).await.unwrap();
    let state = state_dir("sso-convert");
    let out = run(&pair, &state, &["setup", "--yes"]).await;
    assert_eq!(out.status.code(), Some(0), "two-way OAuth first: {}", text(&out));
    let storage_id = pair.openproject.sim.state().storages[0].id;
    pair.openproject.sim.enable_in_project(storage_id, 1, "automatic");
    let links = pair.openproject.sim.state().project_storages.len();
    let discovery = idp.discovery_url();
    let exchange = [
        "setup",
        "--yes",
        "--auth",
        "sso-external",
        "--idp-discovery",
        &discovery,
        "--token-exchange",
        "--new-oidc-provider",
        "keycloak",
        "--nextcloud-client-id",
        "nextcloud",
        "--openproject-client-id",
        "openproject",
    ];
    for (name, args) in [("hub", vec!["setup", "--yes", "--auth", "sso-hub"]), ("exchange", exchange.to_vec())] {
        let mut cmd = opnc(&pair, &state, &args);
        cmd.env("OPNC_IDP_NEXTCLOUD_CLIENT_SECRET", "nextcloud-secret-at-the-idp");
        let out = output(cmd).await;
        assert_eq!(out.status.code(), Some(0), "{name}: to SSO: {}", text(&out));
        assert!(text(&out).contains("switched to SSO in place"), "{name}: {}", text(&out));
        let op = pair.openproject.sim.state();
        assert_eq!(op.storages.len(), 1);
        assert_eq!(op.storages[0].id, storage_id, "{name}: the same storage");
        assert!(op.storages[0].sso(), "{name}");
        assert!(op.storages[0].application_password.is_some(), "{name}: project folders stay");
        assert_eq!(op.project_storages.len(), links, "{name}: file links and projects stay");
        assert_eq!(config(&pair, "authorization_method"), "oidc", "{name}");
        let out = run(&pair, &state, &["status"]).await;
        assert_eq!(out.status.code(), Some(0), "{name}: SSO status: {}", text(&out));

        let out = run(&pair, &state, &["setup", "--yes"]).await;
        assert_eq!(out.status.code(), Some(0), "{name}: back: {}", text(&out));
        assert!(text(&out).contains("switched back to two-way OAuth in place"), "{name}: {}", text(&out));
        let op = pair.openproject.sim.state();
        assert_eq!(op.storages[0].id, storage_id);
        assert!(!op.storages[0].sso(), "{name}: two-way OAuth again");
        assert_eq!(config(&pair, "authorization_method"), "oauth2", "{name}");
        let out = run(&pair, &state, &["status"]).await;
        assert_eq!(out.status.code(), Some(0), "{name}: OAuth status after the way back: {}", text(&out));
    }

    // A conversion whose Nextcloud step fails: both sides back to two-way OAuth, the oidc client gone.
    let before = pair.restorable_state();
    let clients_before = pair.nextcloud.sim.state().oidc_clients.len();
    let mut fault = Fault::on(
        http::Method::PATCH,
        "/apps/integration_openproject/setup",
        1,
        FaultAction::Status { status: 500, body: r#"{"error":"simulated"}"#.into() },
    );
    fault.repeat = false;
    pair.nextcloud.server.control.add_fault(fault);
    let out = run(&pair, &state, &["setup", "--yes", "--auth", "sso-hub"]).await;
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert_eq!(pair.restorable_state(), before, "both sides as before");
    assert!(!pair.openproject.sim.state().storages[0].sso());
    assert_eq!(pair.nextcloud.sim.state().oidc_clients.len(), clients_before, "the oidc client made for it is gone");
    let out = run(&pair, &state, &["status"]).await;
    assert_eq!(out.status.code(), Some(0), "still connected with two-way OAuth: {}", text(&out));
}

/// OpenProject's OpenID provider has no API: after the setup the CLI watches OpenProject's sign-in page until the
/// provider the admin enters by hand is offered there; a provider saved but not yet available is not taken for it;
/// one that is offered already is named by the next plan.
#[tokio::test]
async fn the_openproject_provider_entered_by_hand_is_watched_for() {
    let pair = sso_pair().await;
    let state = state_dir("sso-watch");
    let cmd = opnc(
        &pair,
        &state,
        &["setup", "--yes", "--auth", "sso-hub", "--no-project-folders", "--watch-provider-seconds", "30"],
    );
    let running = tokio::spawn(output(cmd));
    // The admin saves the provider: first incomplete (not offered), then complete.
    let provider = |available| opnc_sim::openproject::OpOidcProvider {
        slug: "oidc-nextcloud".into(),
        display_name: "Nextcloud".into(),
        available,
        ..Default::default()
    };
    tokio::time::sleep(std::time::Duration::from_millis(2500)).await;
    pair.openproject.sim.lock().oidc_providers.push(provider(false));
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    assert!(!running.is_finished(), "a provider that is not available is not offered");
    pair.openproject.sim.lock().oidc_providers[0].available = true;
    let out = running.await.unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(
        text(&out).contains("now offers sign-in through its OpenID provider (/auth/oidc-nextcloud)"),
        "{}",
        text(&out)
    );

    let out = run(&pair, &state, &["plan", "--auth", "sso-hub", "--no-project-folders", "--json"]).await;
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(
        report["findings"].as_array().unwrap().iter().any(|f| f["code"] == "sso_openproject_provider_offered"),
        "{report}"
    );
}

/// Trainers' batch profiles take the SSO method per pair: one room through Nextcloud Hub, one through an external
/// identity provider with the provider Nextcloud has, set up and deleted in one run each.
#[tokio::test]
async fn batch_profiles_set_up_sso_pairs() {
    let hub = sso_pair().await;
    let external = sso_pair().await;
    let idp = RunningIdp::start(IdpProfile { token_exchange: false, ..IdpProfile::default() }, opnc_sim::loopback(0))
        .await
        .unwrap();
    existing_provider(&external, "keycloak", "nextcloud", &idp.discovery_url());
    let state = state_dir("sso-batch");
    std::fs::create_dir_all(&state).unwrap();
    let profile = state.join("training.toml");
    let entry = |name: &str, p: &SimPair, extra: &str| {
        format!(
            "[[pair]]\nname = \"{name}\"\nopenproject = \"{}\"\nnextcloud = \"{}\"\nopenproject_token_env = \"T_OP\"\nnextcloud_user = \"admin\"\nnextcloud_password_env = \"T_NC\"\nproject_folders = false\n{extra}\n",
            p.openproject.url(),
            p.nextcloud.url()
        )
    };
    let text_of = format!(
        "{}{}",
        entry("hub", &hub, "auth = \"sso-hub\""),
        entry(
            "external",
            &external,
            &format!(
                "auth = \"sso-external\"\nidp_discovery = \"{}\"\noidc_provider = \"keycloak\"",
                idp.discovery_url()
            )
        )
    );
    std::fs::write(&profile, text_of).unwrap();
    for (action, storages) in [("setup", 1), ("delete", 0)] {
        let mut cmd = std::process::Command::new(opnc_e2e::opnc_binary());
        cmd.args(["batch", action, "--yes", "--profile"])
            .arg(&profile)
            .env("T_OP", opnc_sim::openproject::demo::ADMIN_TOKEN)
            .env("T_NC", opnc_sim::nextcloud::demo::ADMIN_PASSWORD)
            .env("OPNC_STATE_DIR", &state)
            .stdin(std::process::Stdio::null());
        let out = tokio::task::spawn_blocking(move || cmd.output().unwrap()).await.unwrap();
        assert_eq!(out.status.code(), Some(0), "batch {action}: {}", text(&out));
        for pair in [&hub, &external] {
            let op = pair.openproject.sim.state();
            assert_eq!(op.storages.len(), storages, "batch {action}");
            if storages == 1 {
                assert!(op.storages[0].sso(), "batch {action}: an SSO storage");
            }
        }
    }
}

/// Signed in to OpenProject's web interface, the setup makes OpenProject's OpenID provider on its admin page with
/// the values of the client it made in Nextcloud Hub (discovery fetched by OpenProject, saved again so it is
/// offered), proven by the sign-in page; without the Enterprise feature for providers the page is not the form and
/// nothing is sent: the hand-off values are printed instead.
#[tokio::test]
async fn with_the_web_sign_in_the_openproject_provider_is_made_on_its_page() {
    for with_feature in [true, false] {
        let mut op = OpenProjectProfile::v17();
        op.available_features = vec!["nextcloud_sso".into()];
        if with_feature {
            op.available_features.push("sso_auth_providers".into());
        }
        let nc = NextcloudProfile { allow_local_remote_servers: true, ..NextcloudProfile::nc34() }.with_sso_apps();
        let pair = SimPair::start(op, nc, opnc_sim::loopback(0), opnc_sim::loopback(0)).await.unwrap();
        let state = state_dir("sso-web-provider");
        let mut cmd = opnc(&pair, &state, &["setup", "--yes", "--auth", "sso-hub", "--no-project-folders"]);
        cmd.arg("--openproject-login")
            .env_remove("OPNC_OPENPROJECT_TOKEN")
            .env("OPNC_OPENPROJECT_USER", "admin")
            .env("OPNC_OPENPROJECT_PASSWORD", opnc_sim::openproject::demo::PASSWORD);
        let out = output(cmd).await;
        assert_eq!(out.status.code(), Some(0), "{}", text(&out));
        let client = pair.nextcloud.sim.state().oidc_clients[0].clone();
        let providers = pair.openproject.sim.state().oidc_providers;
        if with_feature {
            assert!(text(&out).contains("Made OpenProject's OpenID provider “nextcloud” on its admin page; its sign-in page offers /auth/oidc-nextcloud"), "{}", text(&out));
            assert_eq!(providers.len(), 1);
            let p = &providers[0];
            assert_eq!(
                (p.client_id.as_str(), p.client_secret.as_str()),
                (client.client_id.as_str(), client.client_secret.as_str())
            );
            assert!(p.available && !p.issuer.is_empty(), "discovered and offered: {p:?}");
            assert!(p.scope.contains("api_v3") && p.scope.contains("offline_access"));
        } else {
            assert!(providers.is_empty(), "nothing sent");
            assert!(
                text(&out).contains("could not be made on its page") && text(&out).contains("One step is left by hand"),
                "{}",
                text(&out)
            );
        }
        assert!(!text(&out).contains(&client.client_secret), "the secret is never printed");
    }
}

/// `opnc diagnose --test-sign-in` with a person at the other end of stdin: the address to open on stderr, the
/// address the browser ended on pasted back.
async fn diagnose_with_sign_in(
    pair: &SimPair,
    state: &std::path::Path,
    password: &str,
) -> (std::process::Output, String) {
    use std::io::{BufRead, Write};
    let mut cmd = opnc(pair, state, &["diagnose", "--test-sign-in"]);
    cmd.stdin(std::process::Stdio::piped()).stdout(std::process::Stdio::piped()).stderr(std::process::Stdio::piped());
    let mut child = cmd.spawn().expect("opnc runs");
    let mut stdin = child.stdin.take().unwrap();
    let stderr = child.stderr.take().unwrap();
    let (url_tx, url_rx) = tokio::sync::oneshot::channel::<String>();
    let reader = std::thread::spawn(move || {
        let mut said = String::new();
        let mut url_tx = Some(url_tx);
        for line in std::io::BufReader::new(stderr).lines().map_while(Result::ok) {
            if let Some(url) = line.trim().strip_prefix("http").map(|rest| format!("http{rest}")) {
                if let Some(tx) = url_tx.take() {
                    let _ = tx.send(url);
                }
            }
            said.push_str(&line);
            said.push('\n');
        }
        said
    });
    let authorize = url_rx.await.expect("the address to open");
    let back = opnc_sim::oidc_issuer::browser_sign_in(&authorize, "admin", password).await.expect("signed in");
    writeln!(stdin, "{back}").unwrap();
    drop(stdin);
    let out = tokio::task::spawn_blocking(move || child.wait_with_output().unwrap()).await.unwrap();
    let said = reader.join().unwrap();
    let all = format!("{}{said}", String::from_utf8_lossy(&out.stdout));
    (out, all)
}

#[tokio::test]
async fn the_test_sign_in_proves_a_hub_pair_and_names_bearer_validation_when_it_is_off() {
    let pair = sso_pair().await;
    let state = state_dir("sso-sign-in");
    let out = run(&pair, &state, &["setup", "--yes", "--auth", "sso-hub", "--no-project-folders"]).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    // What the admin does by hand afterwards: OpenProject's provider (values from the hand-off), a first sign-in.
    let client_id = pair.nextcloud.sim.state().oidc_clients[0].client_id.clone();
    let issuer = pair.nextcloud.url().trim_end_matches('/').to_owned();
    {
        let mut op = pair.openproject.sim.lock();
        op.oidc_providers.push(opnc_sim::openproject::OpOidcProvider {
            id: 1,
            slug: "oidc-nextcloud".into(),
            display_name: "nextcloud".into(),
            client_id,
            issuer,
            client_secret: "x".into(),
            available: true,
            ..Default::default()
        });
        op.oidc_user_links.push(("oidc-nextcloud".into(), "admin".into()));
    }
    let password = opnc_sim::nextcloud::demo::ADMIN_PASSWORD;

    // Bearer validation is occ-only and still off: the sign-in shows what a user would hit, with the command.
    let (out, said) = diagnose_with_sign_in(&pair, &state, password).await;
    assert_eq!(out.status.code(), Some(1), "{said}");
    assert!(said.contains("Nextcloud refused the user's token"), "{said}");
    assert!(
        said.contains("occ config:system:set user_oidc --type boolean --value=true oidc_provider_bearer_validation"),
        "{said}"
    );

    // The admin runs it; the test again: both servers accept the token, nothing is left unchecked.
    pair.nextcloud.sim.lock().hub_bearer_validation = true;
    let (out, said) = diagnose_with_sign_in(&pair, &state, password).await;
    assert!(said.contains("✓ The test sign-in worked"), "{said}");
    assert!(!said.contains("Could not check"), "{said}");
    assert_eq!(out.status.code(), Some(6), "warnings only (no project yet, Nextcloud's issuer port): {said}");
    let secret = pair.nextcloud.sim.state().oidc_clients[0].client_secret.clone();
    assert!(!said.contains(&secret), "the oidc client's secret is never printed");
}
