//! End-to-end: `opnc setup | status | delete | recover` against simulators started by the test, including
//! a kill -9 of the process in the middle of every step, and a search of its journal for secrets.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use http::Method;
use opnc_e2e::{opnc, run, state_dir, text};
use opnc_sim::nextcloud::demo as nc_demo;
use opnc_sim::openproject::demo as op_demo;
use opnc_sim::{Fault, FaultAction, SimPair};

#[tokio::test]
async fn setup_status_rerun_and_delete() {
    let pair = SimPair::start_default().await.unwrap();
    let state = state_dir("lifecycle");
    let out = run(&pair, &state, &["setup", "--yes"]).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(text(&out).contains("proven from both sides"));
    let out = run(&pair, &state, &["status", "--json"]).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let status: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(status["connected"], true);
    let out = run(&pair, &state, &["setup", "--yes"]).await;
    assert_eq!(out.status.code(), Some(0));
    assert!(text(&out).contains("nothing to change"), "{}", text(&out));
    let out = run(&pair, &state, &["delete", "--yes"]).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(pair.openproject.sim.state().storages.is_empty());
    assert!(pair.nextcloud.sim.state().app_config.get("openproject_instance_url").is_none_or(|u| u.is_empty()));
    let out = run(&pair, &state, &["status"]).await;
    assert_eq!(out.status.code(), Some(1));
}

#[tokio::test]
async fn without_a_terminal_nothing_is_written_unasked() {
    let pair = SimPair::start_default().await.unwrap();
    let before = pair.restorable_state();
    let out = run(&pair, &state_dir("unasked"), &["setup"]).await;
    assert_eq!(out.status.code(), Some(5), "{}", text(&out));
    assert_eq!(pair.restorable_state(), before);
}

#[tokio::test]
async fn blockers_stop_before_any_write() {
    let pair = SimPair::start(
        opnc_sim::OpenProjectProfile::v17(),
        opnc_sim::NextcloudProfile::nc34(),
        opnc_sim::loopback(0),
        opnc_sim::loopback(0),
    )
    .await
    .unwrap();
    let before = pair.restorable_state();
    let out = run(&pair, &state_dir("blocked"), &["setup", "--yes"]).await;
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    assert!(text(&out).contains("allow_local_remote_servers"), "the fix is named: {}", text(&out));
    assert_eq!(pair.restorable_state(), before);
}

/// kill -9 of `opnc setup` while each write is still being carried out by a server that charges like a real one
/// (the write lands after the client died, as on a real Nextcloud), then `opnc recover` at once: it must not race
/// the late write — it undoes, watches both sides until the write can no longer land, and undoes again what
/// landed — and both sides end exactly as before; then a setup succeeds.
#[tokio::test]
async fn kill_minus_9_at_every_write_then_recover_at_once_converges() {
    let steps: [(bool, Method, &str); 5] = [
        (false, Method::POST, "/api/v3/storages"),
        (true, Method::POST, "/index.php/apps/integration_openproject/setup"),
        (false, Method::POST, "/oauth_client_credentials"),
        (false, Method::PATCH, "/api/v3/storages/"),
        (false, Method::POST, "/oauth/token"),
    ];
    let mut converged = 0;
    let mut late = 0;
    for (on_nextcloud, method, path) in steps {
        let pair = SimPair::start_default().await.unwrap();
        pair.charge_like_real_servers();
        let state = state_dir("kill");
        let before = pair.restorable_state();
        let control = if on_nextcloud { &pair.nextcloud.server.control } else { &pair.openproject.server.control };
        // The write takes a while at the server, and lands then, whether or not its client is still there: long
        // enough that a recover started at once is under way before it lands, even on a loaded machine (1.5 s was
        // not, once, with a second build running beside the tests), and within the 4 s the watch covers.
        control.add_fault(Fault::on(method.clone(), path, 1, FaultAction::Delay(Duration::from_millis(3000))));
        let mut child = opnc(&pair, &state, &["setup", "--yes"])
            .env("OPNC_REQUEST_TIMEOUT_SECONDS", "4")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        // Kill once the step's request has reached the server: the process is inside that step.
        let started = Instant::now();
        while !control.requests().iter().any(|r| r.method == method.as_str() && r.path.contains(path) && !r.internal) {
            assert!(started.elapsed() < Duration::from_secs(30), "{method} {path} never arrived");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        child.kill().unwrap();
        let _ = child.wait();
        let jobs: Vec<_> = std::fs::read_dir(&state)
            .unwrap()
            .filter(|e| e.as_ref().is_ok_and(|e| e.file_name().to_string_lossy().ends_with(".json")))
            .collect();
        assert_eq!(jobs.len(), 1, "the journal holds the interrupted job");

        // At once, while the server is still carrying out the killed write.
        let mut cmd = opnc(&pair, &state, &["recover", "--yes"]);
        cmd.env("OPNC_REQUEST_TIMEOUT_SECONDS", "4");
        let out = opnc_e2e::output(cmd).await;
        assert_eq!(out.status.code(), Some(0), "{method} {path}: {}", text(&out));
        if text(&out).contains("landed after the rollback began") {
            late += 1;
        }
        // By now the killed write has surely landed (3 s at most): what stands is what recover left.
        tokio::time::sleep(Duration::from_millis(3000)).await;
        assert_eq!(
            pair.restorable_state(),
            before,
            "after kill -9 during {method} {path} and recover at once, both sides are as before"
        );
        let out = run(&pair, &state, &["setup", "--yes"]).await;
        assert_eq!(out.status.code(), Some(0), "a setup after the recovery succeeds: {}", text(&out));
        converged += 1;
    }
    eprintln!(
        "kill -9 during every write, recover at once: {converged}/5 converged ({late} undid a write that landed late)"
    );
    assert!(late >= 1, "the matrix had a write land after the kill (else it tests nothing)");
}

#[tokio::test]
async fn the_journal_holds_no_secret() {
    let pair = SimPair::start_default().await.unwrap();
    let state = state_dir("journal");
    // Fail at the last write, so the journal records the whole way there and back.
    pair.openproject.server.control.add_fault(Fault::on(
        Method::PATCH,
        "/api/v3/storages/",
        1,
        FaultAction::Status { status: 500, body: "{}".into() },
    ));
    let out = run(&pair, &state, &["setup", "--yes"]).await;
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let nc_state = pair.nextcloud.sim.state();
    let mut secrets: Vec<String> = nc_state.app_tokens.iter().map(|t| t.token.clone()).collect();
    secrets.push(op_demo::ADMIN_TOKEN.into());
    secrets.push(nc_demo::ADMIN_PASSWORD.into());
    let out = run(&pair, &state, &["setup", "--yes"]).await;
    assert_eq!(out.status.code(), Some(0));
    let op_state = pair.openproject.sim.state();
    let storage = &op_state.storages[0];
    secrets.push(storage.oauth_app.as_ref().unwrap().client_secret.clone());
    secrets.push(storage.oauth_client.as_ref().unwrap().client_secret.clone());
    secrets.push(storage.application_password.clone().unwrap());
    let journal = opnc_e2e::all_files_text(&state);
    assert!(journal.contains("rolled_back") && journal.contains("succeeded"), "both jobs recorded");
    for secret in &secrets {
        assert!(!journal.contains(secret.as_str()), "a secret reached the journal");
        assert!(!text(&out).contains(secret.as_str()), "a secret reached the output");
    }
}

#[tokio::test]
async fn resets_from_the_command_line() {
    let pair = SimPair::start_default().await.unwrap();
    let state = state_dir("resets");
    assert_eq!(run(&pair, &state, &["setup", "--yes"]).await.status.code(), Some(0));
    let old = pair.nextcloud.sim.state().openproject_app_password().unwrap().token.clone();
    let out = run(&pair, &state, &["reset", "app-password", "--yes"]).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_ne!(pair.nextcloud.sim.state().openproject_app_password().unwrap().token, old);
    let out = run(&pair, &state, &["reset", "nextcloud-oauth", "--yes"]).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(text(&out).contains("Every OpenProject user must connect to Nextcloud again."), "{}", text(&out));
    assert!(
        text(&out).contains("a new app password for the “OpenProject” user"),
        "the impact names the app password: {}",
        text(&out)
    );

    // OpenProject's own application: the admin replaces it in the web interface while opnc waits.
    let storage_id = pair.openproject.sim.state().storages[0].id;
    let secret = "new-openproject-secret-read-off-the-page";
    let mut cmd =
        opnc(&pair, &state, &["reset", "openproject-oauth", "--yes", "--no-browser", "--timeout-seconds", "30"]);
    cmd.env("OPNC_OPENPROJECT_CLIENT_SECRET", secret);
    let child = tokio::task::spawn_blocking(move || cmd.output().unwrap());
    tokio::time::sleep(Duration::from_millis(1500)).await;
    pair.openproject.sim.replace_oauth_application_with_secret(storage_id, secret).unwrap();
    let out = child.await.unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(!text(&out).contains(secret), "the secret is never echoed");
    assert_eq!(run(&pair, &state, &["status"]).await.status.code(), Some(0));
}

#[tokio::test]
async fn enable_projects_waits_for_the_admin() {
    let pair = SimPair::start_default().await.unwrap();
    let state = state_dir("projects");
    assert_eq!(run(&pair, &state, &["setup", "--yes"]).await.status.code(), Some(0));
    let storage_id = pair.openproject.sim.state().storages[0].id;
    pair.openproject.sim.enable_in_project(storage_id, 1, "inactive");
    let mut cmd = opnc(
        &pair,
        &state,
        &[
            "enable-projects",
            "--project",
            "demo-project",
            "--project",
            "scrum-project",
            "--no-browser",
            "--timeout-seconds",
            "30",
            "--json",
        ],
    );
    let child = tokio::task::spawn_blocking(move || cmd.output().unwrap());
    tokio::time::sleep(Duration::from_millis(1000)).await;
    pair.openproject.sim.enable_in_project(storage_id, 2, "inactive");
    let out = child.await.unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    // The same shape as when OpenProject's forms are used: the pair API's EnableOutcome.
    assert_eq!(report["enabled"]["added"], serde_json::json!(["Scrum project"]));
    assert_eq!(report["enabled"]["already"], serde_json::json!(["Demo project"]));
    assert_eq!(report["enabled"]["refused"], serde_json::json!([]));
    assert!(text(&out).contains("/admin/settings/storages/"), "the page is named: {}", text(&out));
}

#[tokio::test]
async fn a_full_setup_at_trace_leaks_no_secret() {
    let pair = SimPair::start_default().await.unwrap();
    let state = state_dir("trace");
    let mut cmd = opnc(&pair, &state, &["setup", "--yes", "--json"]);
    cmd.env("OPNC_LOG", "trace");
    let out = tokio::task::spawn_blocking(move || cmd.output().unwrap()).await.unwrap();
    assert_eq!(out.status.code(), Some(0));
    let all = text(&out);
    assert!(all.contains("TRACE") || all.contains("DEBUG"), "the log ran at TRACE");
    let op_state = pair.openproject.sim.state();
    let nc_state = pair.nextcloud.sim.state();
    let storage = &op_state.storages[0];
    let secrets = [
        storage.oauth_app.as_ref().unwrap().client_secret.clone(),
        storage.oauth_client.as_ref().unwrap().client_secret.clone(),
        storage.application_password.clone().unwrap(),
        nc_state.openproject_app_password().unwrap().token.clone(),
        op_demo::ADMIN_TOKEN.to_owned(),
        nc_demo::ADMIN_PASSWORD.to_owned(),
    ];
    // The temporary app password the run made from the account password, and revoked at its end.
    let temporary = nc_state.issued_app_passwords.clone();
    assert_eq!(temporary.len(), 1, "one exchange for the whole run");
    assert!(!nc_state.app_tokens.iter().any(|t| t.token == temporary[0]), "revoked at the end");
    let secrets: Vec<String> = secrets.into_iter().chain(temporary).collect();
    let files = opnc_e2e::all_files_text(&state);
    for secret in &secrets {
        assert!(!all.contains(secret.as_str()), "a secret reached the output or the TRACE log");
        assert!(!files.contains(secret.as_str()), "a secret reached a file");
    }
    eprintln!(
        "TRACE run: {} bytes of output and log, {} bytes of journal, {} secrets searched: none found",
        all.len(),
        files.len(),
        secrets.len()
    );
}

#[tokio::test]
async fn batch_sets_up_status_and_deletes_many_pairs() {
    let first = SimPair::start_default().await.unwrap();
    let second = SimPair::start_default().await.unwrap();
    let state = state_dir("batch");
    std::fs::create_dir_all(&state).unwrap();
    let profile = state.join("training.toml");
    let entry = |name: &str, p: &SimPair| {
        format!(
            "[[pair]]\nname = \"{name}\"\nopenproject = \"{}\"\nnextcloud = \"{}\"\nopenproject_token_env = \"TRAINING_OP_TOKEN\"\nnextcloud_user = \"admin\"\nnextcloud_password_env = \"TRAINING_NC_PASSWORD\"\n",
            p.openproject.url(),
            p.nextcloud.url()
        )
    };
    std::fs::write(&profile, format!("{}\n{}", entry("room-1", &first), entry("room-2", &second))).unwrap();
    let batch = |action: &'static str| {
        let mut cmd = Command::new(opnc_e2e::opnc_binary());
        cmd.args(["batch", action, "--yes", "--profile"])
            .arg(&profile)
            .env("TRAINING_OP_TOKEN", op_demo::ADMIN_TOKEN)
            .env("TRAINING_NC_PASSWORD", nc_demo::ADMIN_PASSWORD)
            .env("OPNC_STATE_DIR", &state)
            .stdin(Stdio::null());
        cmd
    };
    for (action, expect_storages) in [("setup", 1), ("status", 1), ("delete", 0)] {
        let mut cmd = batch(action);
        let out = tokio::task::spawn_blocking(move || cmd.output().unwrap()).await.unwrap();
        assert_eq!(out.status.code(), Some(0), "batch {action}: {}", text(&out));
        assert!(text(&out).contains("2 of 2 pairs succeeded"));
        for pair in [&first, &second] {
            assert_eq!(pair.openproject.sim.state().storages.len(), expect_storages, "batch {action}");
        }
    }
    // A secret written into the profile is refused: profiles name environment variables instead.
    std::fs::write(&profile, format!("{}openproject_token = \"{}\"\n", entry("room-1", &first), op_demo::ADMIN_TOKEN))
        .unwrap();
    let mut cmd = batch("plan");
    let out = tokio::task::spawn_blocking(move || cmd.output().unwrap()).await.unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(!text(&out).contains(op_demo::ADMIN_TOKEN), "the refused secret is not echoed");
}

#[tokio::test]
async fn credentials_remembered_in_the_system_keyring_and_forgotten() {
    let pair = SimPair::start_default().await.unwrap();
    let state = state_dir("keyring");
    let service = format!("opnc-e2e-{}-{}", std::process::id(), pair.openproject.server.addr.port());
    let mut cmd = opnc(&pair, &state, &["setup", "--yes", "--remember"]);
    cmd.env("OPNC_KEYCHAIN_SERVICE", &service);
    let out = tokio::task::spawn_blocking(move || cmd.output().unwrap()).await.unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(text(&out).contains("kept in the system keyring"), "{}", text(&out));
    // For Nextcloud the keyring holds an app password named after the assistant, never the account password.
    let kept = opnc_core::keychain::Keychain::new(&service)
        .nextcloud(&opnc_core::ServerUrl::parse(&pair.nextcloud.url(), opnc_core::UrlPolicy::default()).unwrap())
        .unwrap()
        .expect("remembered");
    assert_ne!(kept.password.expose(), nc_demo::ADMIN_PASSWORD, "the account password is never stored");
    let tokens = pair.nextcloud.sim.state().app_tokens;
    let token = tokens.iter().find(|t| t.token == *kept.password.expose()).expect("a live app password");
    assert!(token.name.starts_with("opnc-setup-assistant"), "named after the assistant: {}", token.name);
    let without_env = |args: &[&str]| {
        let mut cmd = opnc(&pair, &state, args);
        cmd.env_remove("OPNC_OPENPROJECT_TOKEN")
            .env_remove("OPNC_NEXTCLOUD_USER")
            .env_remove("OPNC_NEXTCLOUD_PASSWORD")
            .env("OPNC_KEYCHAIN_SERVICE", &service);
        cmd
    };
    let mut cmd = without_env(&["status"]);
    let out = tokio::task::spawn_blocking(move || cmd.output().unwrap()).await.unwrap();
    assert_eq!(out.status.code(), Some(0), "the keyring supplied both credentials: {}", text(&out));
    let mut cmd = without_env(&["forget"]);
    let out = tokio::task::spawn_blocking(move || cmd.output().unwrap()).await.unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let mut cmd = without_env(&["status"]);
    let out = tokio::task::spawn_blocking(move || cmd.output().unwrap()).await.unwrap();
    assert_eq!(out.status.code(), Some(2), "no credentials and no terminal to ask: wrong usage");
    assert!(text(&out).contains("OPNC_OPENPROJECT_TOKEN"), "forgotten: {}", text(&out));
    // Nothing of it in the job folder.
    let journal = opnc_e2e::all_files_text(&state);
    assert!(!journal.contains(op_demo::ADMIN_TOKEN) && !journal.contains(nc_demo::ADMIN_PASSWORD));
}

#[tokio::test]
async fn diagnose_reports_and_exits_by_health() {
    let pair = SimPair::start_default().await.unwrap();
    let state = state_dir("diagnose");
    assert_eq!(run(&pair, &state, &["setup", "--yes"]).await.status.code(), Some(0));
    let storage_id = pair.openproject.sim.state().storages[0].id;
    pair.openproject.sim.enable_in_project(storage_id, 1, "automatic");
    let out = run(&pair, &state, &["diagnose"]).await;
    assert_eq!(out.status.code(), Some(0), "healthy: {}", text(&out));

    pair.nextcloud
        .sim
        .lock()
        .app_config
        .insert("openproject_client_secret".into(), "pasted-the-wrong-secret-0000".into());
    std::fs::create_dir_all(&state).unwrap();
    let report_file = state.join("report.md");
    let out = run(&pair, &state, &["diagnose", "--json", "--output", report_file.to_str().unwrap()]).await;
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["findings"][0]["code"], "openproject_secret_rejected");
    let markdown = std::fs::read_to_string(&report_file).unwrap();
    assert!(markdown.contains("openproject_secret_rejected") && markdown.contains("opnc reset openproject-oauth"));
    for secret in ["pasted-the-wrong-secret-0000", op_demo::ADMIN_TOKEN, nc_demo::ADMIN_PASSWORD] {
        assert!(!markdown.contains(secret) && !text(&out).contains(secret), "a secret reached the report");
    }

    // Without any credentials: public checks only, and it says so.
    let mut cmd = opnc(&pair, &state, &["diagnose", "--markdown"]);
    cmd.env_remove("OPNC_OPENPROJECT_TOKEN")
        .env_remove("OPNC_NEXTCLOUD_USER")
        .env_remove("OPNC_NEXTCLOUD_PASSWORD")
        .env("OPNC_KEYCHAIN_SERVICE", "opnc-e2e-none");
    let out = tokio::task::spawn_blocking(move || cmd.output().unwrap()).await.unwrap();
    let markdown = String::from_utf8_lossy(&out.stdout);
    assert!(
        markdown.contains("Checks that could not run") && markdown.contains("| access | anonymous | anonymous |"),
        "{markdown}"
    );
    assert_eq!(out.status.code(), Some(7), "could not check is not healthy: {}", text(&out));
    assert!(!markdown.contains("Healthy"), "{markdown}");
}

/// `--openproject-login`: no API token at all; projects enabled through OpenProject's forms and OpenProject's
/// OAuth values replaced and given to Nextcloud, with no hand-off. A two-factor account is refused with what to
/// do, and neither the password, the cookie nor the new secret reaches the output.
#[tokio::test]
async fn openproject_login_enables_projects_and_replaces_oauth_without_a_token() {
    let pair = SimPair::start_default().await.unwrap();
    let state = state_dir("web-login");
    let out = run(&pair, &state, &["setup", "--yes"]).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let storage_id = pair.openproject.sim.state().storages[0].id;
    pair.openproject.sim.enable_in_project(storage_id, 2, "automatic");
    let web = |args: &[&str], user: &str| {
        let mut cmd = opnc(&pair, &state, args);
        cmd.arg("--openproject-login")
            .env_remove("OPNC_OPENPROJECT_TOKEN")
            .env("OPNC_OPENPROJECT_USER", user)
            .env("OPNC_OPENPROJECT_PASSWORD", op_demo::PASSWORD);
        cmd
    };
    let mut cmd = web(
        &[
            "enable-projects",
            "--no-browser",
            "--project",
            "demo-project",
            "--project",
            "scrum-project",
            "--project",
            "archived-2023",
        ],
        "admin",
    );
    let out = tokio::task::spawn_blocking(move || cmd.output().unwrap()).await.unwrap();
    let all = text(&out);
    assert!(all.contains("Added: Demo project"), "{all}");
    assert!(all.contains("Already enabled: Scrum project"), "{all}");
    assert!(all.contains("Archived, skipped") && all.contains("Archived 2023"), "{all}");
    assert_eq!(out.status.code(), Some(1), "an archived project was asked for and not enabled");
    let mut links: Vec<(i64, String)> =
        pair.openproject.sim.state().project_storages.iter().map(|l| (l.project_id, l.mode.clone())).collect();
    links.sort();
    assert_eq!(links, vec![(1, "automatic".into()), (2, "automatic".into())]);

    let before = pair.openproject.sim.state().storages[0].oauth_app.clone().unwrap().client_id;
    let mut cmd = web(&["reset", "openproject-oauth", "--yes", "--no-browser"], "admin");
    let out = tokio::task::spawn_blocking(move || cmd.output().unwrap()).await.unwrap();
    let all = text(&out);
    assert_eq!(out.status.code(), Some(0), "{all}");
    assert!(all.contains("OpenProject replaced its OAuth application") && all.contains("proven"), "{all}");
    let app = pair.openproject.sim.state().storages[0].oauth_app.clone().unwrap();
    assert_ne!(app.client_id, before);
    assert_eq!(pair.nextcloud.sim.state().app_config.get("openproject_client_secret"), Some(&app.client_secret));
    for secret in [app.client_secret.as_str(), op_demo::PASSWORD] {
        assert!(!all.contains(secret), "a secret in the output");
    }
    for cookie in pair.openproject.sim.state().sessions.keys() {
        assert!(!all.contains(cookie.as_str()), "a session cookie in the output");
    }

    let mut cmd = web(&["enable-projects", "--no-browser", "--project", "website-relaunch"], "admin2fa");
    let out = tokio::task::spawn_blocking(move || cmd.output().unwrap()).await.unwrap();
    let all = text(&out);
    assert_eq!(out.status.code(), Some(1));
    assert!(all.contains("two-factor") && all.contains("API token"), "{all}");
    let _ = std::fs::remove_dir_all(state);
}

/// Where OpenProject's page does not look as its version's should, nothing is sent: the CLI falls back to the
/// verified hand-off (the admin replaces on the page, the assistant watches the API, then takes the secret).
#[tokio::test]
async fn an_unrecognised_page_falls_back_to_the_hand_off_for_the_replace() {
    let pair = SimPair::start_default().await.unwrap();
    let state = state_dir("web-fallback");
    let out = run(&pair, &state, &["setup", "--yes"]).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    pair.openproject.sim.lock().web_pages_redesigned = true;
    let storage_id = pair.openproject.sim.state().storages[0].id;
    let before = pair.openproject.sim.state().storages[0].oauth_app.clone().unwrap().client_id;
    let mut cmd = opnc(&pair, &state, &["reset", "openproject-oauth", "--yes", "--no-browser", "--openproject-login"]);
    cmd.env_remove("OPNC_OPENPROJECT_TOKEN")
        .env("OPNC_OPENPROJECT_USER", "admin")
        .env("OPNC_OPENPROJECT_PASSWORD", op_demo::PASSWORD)
        .env("OPNC_OPENPROJECT_CLIENT_SECRET", "secret-read-off-the-page-by-the-admin");
    let child = tokio::task::spawn_blocking(move || cmd.output().unwrap());
    // The admin, on the page the assistant opened.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(pair.openproject.sim.state().storages[0].oauth_app.clone().unwrap().client_id, before, "nothing sent");
    pair.openproject.sim.replace_oauth_application_with_secret(storage_id, "secret-read-off-the-page-by-the-admin");
    let out = child.await.unwrap();
    let all = text(&out);
    assert_eq!(out.status.code(), Some(0), "{all}");
    assert!(all.contains("Falling back to the hand-off") && all.contains("shows the new client id"), "{all}");
    let app = pair.openproject.sim.state().storages[0].oauth_app.clone().unwrap();
    assert_eq!(pair.nextcloud.sim.state().app_config.get("openproject_client_id"), Some(&app.client_id));
    let _ = std::fs::remove_dir_all(state);
}

/// Ctrl-C in the middle of a command still revokes the temporary app password it made from the account password.
#[tokio::test]
async fn ctrl_c_revokes_the_temporary_app_password() {
    let pair = SimPair::start_default().await.unwrap();
    let state = state_dir("ctrl-c");
    let before = pair.restorable_state();
    // The setup hangs at Nextcloud for a while: time to press Ctrl-C.
    pair.nextcloud.server.control.add_fault(Fault::on(
        Method::POST,
        "/index.php/apps/integration_openproject/setup",
        1,
        FaultAction::Delay(Duration::from_secs(3)),
    ));
    let child = opnc(&pair, &state, &["setup", "--yes"])
        .env("OPNC_REQUEST_TIMEOUT_SECONDS", "4")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while !pair.nextcloud.server.control.requests().iter().any(|r| r.path.ends_with("/integration_openproject/setup")) {
        assert!(started.elapsed() < Duration::from_secs(30), "the setup never reached Nextcloud");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let issued = pair.nextcloud.sim.state().issued_app_passwords.clone();
    assert_eq!(issued.len(), 1);
    assert!(pair.nextcloud.sim.state().app_tokens.iter().any(|t| t.token == issued[0]), "in use");
    assert!(Command::new("kill").args(["-INT", &child.id().to_string()]).status().unwrap().success());
    let out = tokio::task::spawn_blocking(move || child.wait_with_output().unwrap()).await.unwrap();
    assert_eq!(out.status.code(), Some(130), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stderr).contains("revoked"), "says so");
    assert!(!pair.nextcloud.sim.state().app_tokens.iter().any(|t| t.token == issued[0]), "revoked on Ctrl-C");
    // The interrupted job is left for recover, as after any interruption; the write Nextcloud was still doing
    // lands meanwhile and is undone too.
    let mut cmd = opnc(&pair, &state, &["recover", "--yes"]);
    cmd.env("OPNC_REQUEST_TIMEOUT_SECONDS", "4");
    let out = opnc_e2e::output(cmd).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(pair.restorable_state(), before, "{}", text(&out));
}

/// `opnc` and the desktop app share the job folder: a setup still running in another process is not
/// "interrupted", and `recover` leaves it alone; the setup then finishes.
#[tokio::test]
async fn a_setup_running_in_another_process_is_not_recovered_under_it() {
    let pair = SimPair::start_default().await.unwrap();
    let state = state_dir("live");
    pair.nextcloud.server.control.add_fault(Fault::on(
        Method::POST,
        "/index.php/apps/integration_openproject/setup",
        1,
        FaultAction::Delay(Duration::from_millis(2500)),
    ));
    let child = opnc(&pair, &state, &["setup", "--yes"]).stdout(Stdio::null()).stderr(Stdio::piped()).spawn().unwrap();
    let started = Instant::now();
    while !pair.nextcloud.server.control.requests().iter().any(|r| r.path.ends_with("/integration_openproject/setup")) {
        assert!(started.elapsed() < Duration::from_secs(30), "the setup never reached Nextcloud");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let out = run(&pair, &state, &["recover", "--yes"]).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(text(&out).contains("No interrupted setup"), "the live job is not offered: {}", text(&out));
    let out = tokio::task::spawn_blocking(move || child.wait_with_output().unwrap()).await.unwrap();
    assert_eq!(out.status.code(), Some(0), "the setup finished: {}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(pair.openproject.sim.state().storages.len(), 1, "nothing was rolled back under it");
}

/// A job file that cannot be read may be a setup whose changes are still to undo: `recover` names it, leaves it
/// where it is, and gives no clean bill (exit 1). Jobs name the process that started them.
#[tokio::test]
async fn an_unreadable_job_file_is_reported_not_dropped() {
    let pair = SimPair::start_default().await.unwrap();
    let state = state_dir("unreadable");
    std::fs::create_dir_all(&state).unwrap();
    let broken = state.join("setup-0123abc.json");
    std::fs::write(&broken, b"{\"id\": \"setup-0123abc\", \"status\": \"runn").unwrap();
    let out = run(&pair, &state, &["recover", "--yes"]).await;
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(text(&out).contains("could not be read") && text(&out).contains("setup-0123abc.json"), "{}", text(&out));
    assert!(broken.exists(), "left where it is");
    // A setup says so too, and goes on (the file may belong to another pair).
    let out = run(&pair, &state, &["setup", "--yes"]).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(text(&out).contains("setup-0123abc.json"), "{}", text(&out));
    let job = std::fs::read_dir(&state)
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .find(|p| p != &broken && p.extension().is_some_and(|x| x == "json"))
        .expect("the setup's job file");
    let job: serde_json::Value = serde_json::from_slice(&std::fs::read(job).unwrap()).unwrap();
    assert!(job["owner"]["process_id"].as_u64().is_some_and(|p| p > 0), "{job}");
    assert!(job["owner"]["started_at"].as_u64().is_some_and(|t| t > 1_700_000_000), "{job}");
}

/// `opnc plan --auth …` says what SSO through an identity provider needs, with the two-way OAuth plan beside it;
/// `setup` does not pretend to set SSO up.
#[tokio::test]
async fn plan_checks_what_sso_needs() {
    let pair = SimPair::start_default().await.unwrap();
    let state = state_dir("sso-plan");
    let out = run(&pair, &state, &["plan", "--auth", "sso-hub"]).await;
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("Blocked"), "{stdout}");
    assert!(stdout.contains("user_oidc") && stdout.contains("nextcloud_sso"), "{stdout}");
    assert!(stdout.contains("occ app:install oidc"), "{stdout}");
    let out = run(&pair, &state, &["setup", "--yes", "--auth", "sso-hub"]).await;
    assert_eq!(out.status.code(), Some(3), "blocked: {}", text(&out));
    assert!(pair.openproject.sim.state().storages.is_empty(), "nothing written");
    let out = run(&pair, &state, &["plan", "--auth", "sso-external"]).await;
    assert_eq!(out.status.code(), Some(2), "--idp-discovery is needed: {}", text(&out));

    // Everything there: an external identity provider with token exchange.
    let mut op = opnc_sim::OpenProjectProfile::v17();
    op.available_features = vec!["nextcloud_sso".into()];
    let nc = opnc_sim::NextcloudProfile { allow_local_remote_servers: true, ..opnc_sim::NextcloudProfile::nc34() };
    let ready = SimPair::start(op, nc.with_sso_apps(), opnc_sim::loopback(0), opnc_sim::loopback(0)).await.unwrap();
    let idp = opnc_sim::idp::RunningIdp::start(Default::default(), opnc_sim::loopback(0)).await.unwrap();
    let discovery = idp.discovery_url();
    let args = ["plan", "--auth", "sso-external", "--idp-discovery", &discovery, "--token-exchange", "--json"];
    let out = run(&ready, &state, &args).await;
    assert_eq!(out.status.code(), Some(3), "a provider and OpenProject's client id are needed: {}", text(&out));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let codes: Vec<&str> = report["findings"].as_array().unwrap().iter().filter_map(|f| f["code"].as_str()).collect();
    assert_eq!(codes.iter().filter(|c| **c == "sso_choice_incomplete").count(), 2, "{codes:?}");
    let mut args = args.to_vec();
    args.extend([
        "--new-oidc-provider",
        "keycloak",
        "--nextcloud-client-id",
        "nextcloud",
        "--openproject-client-id",
        "openproject",
    ]);
    let mut cmd = opnc_e2e::opnc(&ready, &state, &args);
    cmd.env("OPNC_IDP_NEXTCLOUD_CLIENT_SECRET", "s3cret-at-the-idp");
    let out = opnc_e2e::output(cmd).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(report["findings"].as_array().unwrap().iter().all(|f| f["severity"] != "blocker"), "{report}");
    assert_eq!(report["sso"]["discovery"]["token_endpoint"].as_str().map(|t| t.ends_with("/token")), Some(true));
    assert_eq!(report["plan"]["sso"]["storage"]["audience"], "nextcloud", "exchanged for Nextcloud's client");
    assert!(!text(&out).contains("s3cret-at-the-idp"), "the secret is not in the plan");
}
