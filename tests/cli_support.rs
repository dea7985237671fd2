//! Support staff: the last good state kept after a setup, what changed since it (an upgrade that wiped Nextcloud's
//! settings), two reports compared, and a watch that sees a fix land.

use std::io::{BufRead, BufReader};
use std::time::Duration;

use opnc_e2e::{opnc, output, state_dir, text};
use opnc_sim::SimPair;

/// Nextcloud's integration settings as a migration replay leaves them (integration_openproject #1193): empty, while
/// OpenProject's storage still points at it. The server is a version further on.
fn upgrade_that_wipes_the_settings(pair: &SimPair) -> std::collections::BTreeMap<String, String> {
    let mut sim = pair.nextcloud.sim.lock();
    let kept = sim.app_config.clone();
    for key in ["openproject_instance_url", "openproject_client_id", "openproject_client_secret", "nc_oauth_client_id"]
    {
        sim.app_config.insert(key.into(), String::new());
    }
    sim.profile.version = "35.0.0.1".into();
    kept
}

#[tokio::test]
async fn after_an_upgrade_wipe_the_diagnosis_leads_with_what_changed_since_it_worked() {
    let pair = SimPair::start_default().await.unwrap();
    let state = state_dir("baseline");
    let out = output(opnc(&pair, &state, &["setup", "--yes"])).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));

    // The setup kept the healthy pair: a report without any secret of the run.
    let kept: Vec<_> = std::fs::read_dir(state.join("baselines")).unwrap().flatten().collect();
    assert_eq!(kept.len(), 1, "one baseline for the pair");
    let baseline = std::fs::read_to_string(kept[0].path()).unwrap();
    // Working, with the one warning a fresh setup has (the storage is in no project yet).
    assert!(baseline.contains("\"verdict\": \"warnings_only\""), "{baseline}");
    let nc = pair.nextcloud.sim.state();
    let secrets = [
        nc.app_config.get("openproject_client_secret").cloned().unwrap_or_default(),
        nc.openproject_app_password().map(|p| p.token.clone()).unwrap_or_default(),
        opnc_sim::nextcloud::demo::ADMIN_PASSWORD.to_owned(),
        opnc_sim::openproject::demo::ADMIN_TOKEN.to_owned(),
    ];
    drop(nc);
    for secret in secrets.iter().filter(|s| s.len() > 4) {
        assert!(!baseline.contains(secret.as_str()), "a secret in the baseline");
    }

    upgrade_that_wipes_the_settings(&pair);
    let out = output(opnc(&pair, &state, &["diagnose"])).await;
    let said = String::from_utf8_lossy(&out.stdout).to_string();
    assert_eq!(out.status.code(), Some(1), "{said}");
    assert!(said.starts_with("Changed since it last worked:\n"), "the change leads: {said}");
    let lead: Vec<&str> = said.lines().skip(1).take_while(|l| l.starts_with("  ~ ")).collect();
    assert!(lead.iter().any(|l| l.contains("Nextcloud's version: 34.0.1 → 35.0.0")), "{said}");
    assert!(
        lead.iter()
            .any(|l| l.contains("The OpenProject address Nextcloud's integration holds:") && l.ends_with("→ empty")),
        "{said}"
    );
    assert!(!lead.iter().any(|l| l.contains("storage")), "OpenProject's side did not change: {said}");

    // In German too.
    let out = output(opnc(&pair, &state, &["diagnose", "--lang", "de"])).await;
    let said = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(said.starts_with("Geändert, seit es zuletzt funktionierte:\n"), "{said}");
    assert!(said.contains("Version von Nextcloud: 34.0.1 → 35.0.0"), "{said}");
}

#[tokio::test]
async fn two_reports_compared_say_what_differs_between_them() {
    let pair = SimPair::start_default().await.unwrap();
    let state = state_dir("compare");
    assert_eq!(output(opnc(&pair, &state, &["setup", "--yes"])).await.status.code(), Some(0));
    let old = state.join("before.json");
    let out = output(opnc(&pair, &state, &["diagnose", "--output", old.to_str().unwrap()])).await;
    assert_eq!(out.status.code(), Some(6), "working, with a warning: {}", text(&out));
    pair.openproject.sim.lock().storages.clear();
    let out = output(opnc(&pair, &state, &["diagnose", "--compare", old.to_str().unwrap()])).await;
    let said = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(said.starts_with("Changed since the report given:\n"), "{said}");
    assert!(said.contains("OpenProject's storage for this Nextcloud (id): 101 → empty"), "{said}");
    assert!(said.contains("New: "), "the new problem is named: {said}");

    let out = output(opnc(&pair, &state, &["diagnose", "--compare", "/nonexistent.json"])).await;
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("/nonexistent.json cannot be compared"), "{}", text(&out));
}

#[tokio::test]
async fn a_watch_sees_the_fix_land() {
    let pair = SimPair::start_default().await.unwrap();
    let state = state_dir("watch");
    assert_eq!(output(opnc(&pair, &state, &["setup", "--yes"])).await.status.code(), Some(0));
    let kept = upgrade_that_wipes_the_settings(&pair);
    let issued_before = pair.nextcloud.sim.state().issued_app_passwords.len();

    let mut cmd = opnc(&pair, &state, &["diagnose", "--watch", "--interval", "3", "--rounds", "4"]);
    cmd.stdout(std::process::Stdio::piped()).stderr(std::process::Stdio::null());
    let mut child = cmd.spawn().unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let first = tokio::time::timeout(Duration::from_secs(30), rx.recv()).await.unwrap().unwrap();
    assert!(first.contains("Broken"), "the first check sees the wipe: {first}");

    // The customer repairs it (here: the settings come back) while the watch runs.
    pair.nextcloud.sim.lock().app_config = kept;
    let mut seen = Vec::new();
    while let Ok(Some(line)) = tokio::time::timeout(Duration::from_secs(30), rx.recv()).await {
        seen.push(line);
    }
    let status = tokio::task::spawn_blocking(move || child.wait()).await.unwrap().unwrap();
    let seen = seen.join("\n");
    assert_eq!(status.code(), Some(6), "working again at the end (with warnings): {seen}");
    // With Nextcloud 35 under this release the upgrade advisor warns too.
    assert!(seen.contains("Working, with 3 warnings"), "{seen}");
    assert!(
        seen.contains("~ The OpenProject address Nextcloud's integration holds: empty →"),
        "the fix, as it landed: {seen}"
    );
    assert!(seen.contains("~ Gone: "), "the problems that went: {seen}");
    // Four rounds over one sign-in: one temporary app password for the whole watch, revoked at its end.
    let nc = pair.nextcloud.sim.state();
    assert_eq!(nc.issued_app_passwords.len() - issued_before, 1, "one app password for four rounds");
    assert!(
        !nc.app_tokens.iter().any(|t| t.uid == opnc_sim::nextcloud::demo::ADMIN_LOGIN),
        "the watch's app password is revoked"
    );
}

/// The support bundle: both sides' report, the last good state, the pair's jobs and the newest log lines — and
/// no secret of the run, not even one a log line let slip; `--compare` reads it back.
#[tokio::test]
async fn the_support_bundle_holds_everything_but_the_secrets_and_reads_back() {
    let pair = SimPair::start_default().await.unwrap();
    let state = state_dir("bundle");
    let out = output(opnc(&pair, &state, &["setup", "--yes"])).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    upgrade_that_wipes_the_settings(&pair);

    // Every secret of the run: the accounts', and what the setup made and copied between the servers.
    let mut secrets = vec![
        opnc_sim::nextcloud::demo::ADMIN_PASSWORD.to_owned(),
        opnc_sim::openproject::demo::ADMIN_TOKEN.to_owned(),
        opnc_sim::openproject::demo::PASSWORD.to_owned(),
    ];
    {
        let nc = pair.nextcloud.sim.state();
        secrets.extend(nc.openproject_app_password().map(|p| p.token.clone()));
        secrets.extend(nc.oauth_clients.iter().map(|c| c.client_secret.clone()));
    }
    {
        let op = pair.openproject.sim.state();
        secrets.extend(op.storages.iter().filter_map(|s| s.oauth_app.as_ref().map(|a| a.client_secret.clone())));
        secrets.extend(op.storages.iter().filter_map(|s| s.oauth_client.as_ref().map(|c| c.client_secret.clone())));
    }
    secrets.retain(|s| s.len() >= 6);
    assert!(secrets.len() >= 5, "the run's secrets are known: {}", secrets.len());

    // A log folder as the desktop app writes it, with a line that (against the rules) carries a secret.
    let logs = state.join("logs");
    std::fs::create_dir_all(&logs).unwrap();
    std::fs::write(
        logs.join("opnc-desktop.2026-12-01.log"),
        format!(
            "2026-12-01T10:00:00Z INFO desktop app started\n2026-12-01T10:00:01Z DEBUG sent password={}\n",
            secrets[0]
        ),
    )
    .unwrap();

    let file = state.join("bundle.json");
    let args = ["diagnose", "--bundle", file.to_str().unwrap(), "--log-folder", logs.to_str().unwrap()];
    let out = output(opnc(&pair, &state, &args)).await;
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(text(&out).contains("Support bundle written to"), "{}", text(&out));
    let bundle = std::fs::read_to_string(&file).unwrap();
    for secret in &secrets {
        assert!(!bundle.contains(secret.as_str()), "a secret of the run is in the bundle");
    }
    let read = opnc_core::bundle::SupportBundle::read(&bundle).expect("it reads back");
    assert!(read.baseline.is_some(), "with the last good state");
    assert!(
        read.changed.iter().any(|c| c.kind == opnc_core::compare::ChangeKind::NextcloudPointsAt),
        "{:#?}",
        read.changed
    );
    assert_eq!(read.jobs.len(), 1, "the setup's job");
    assert_eq!(read.log_lines.len(), 2);
    assert!(read.log_lines[1].contains("password=<redacted>"), "{:?}", read.log_lines);
    assert_eq!(read.diagnosis.nextcloud.version.as_deref(), Some("35.0.0"));

    // Read back by the faces: --compare takes it as the report it holds.
    let out = output(opnc(&pair, &state, &["diagnose", "--compare", file.to_str().unwrap()])).await;
    let said = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(!said.starts_with("Changed since the report given:"), "nothing changed since the bundle: {said}");
    assert!(opnc_core::bundle::SupportBundle::read("{\"verdict\": \"healthy\"}").is_err());
}
