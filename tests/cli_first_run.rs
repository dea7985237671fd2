//! The first ten minutes with `opnc`, as a new user meets them: the simulated pair's environment is exactly what
//! the other commands read, the exit codes are the README's, the keyring's absence is said once in plain words,
//! the verdict comes first, impact texts say exactly what a reset or delete takes away, and a page address pasted
//! from the browser finds the server's base.

use std::process::{Command, Stdio};

use http::Method;
use opnc_e2e::{opnc, opnc_at, opnc_binary, output, run, state_dir, text};
use opnc_sim::{Fault, FaultAction, SimPair};

/// Runs a shell script with this build's `opnc` first on the PATH and nothing of the demo accounts in the
/// environment.
fn shell(script: &str, state: &std::path::Path) -> Command {
    let bin = opnc_binary();
    let dir = bin.parent().unwrap();
    let mut cmd = Command::new("bash");
    cmd.arg("-c")
        .arg(script)
        .env("PATH", format!("{}:{}", dir.display(), std::env::var("PATH").unwrap_or_default()))
        .env("OPNC_STATE_DIR", state)
        .stdin(Stdio::null());
    for (name, _) in std::env::vars().filter(|(n, _)| n.starts_with("OPNC_") && n != "OPNC_STATE_DIR") {
        cmd.env_remove(name);
    }
    cmd
}

#[tokio::test]
async fn eval_of_sim_env_gives_exactly_what_the_other_commands_read() {
    let state = state_dir("sim-env");
    // Every name sim prints is one the CLI reads: the URLs and the token for plan, the web login for
    // --openproject-login (without the token), and OPNC_SIM_PID to stop it.
    let script = r#"
        set -u
        eval "$(opnc sim --env 2>/dev/null)"
        opnc plan; plan=$?
        env -u OPNC_OPENPROJECT_TOKEN opnc plan --openproject-login >/dev/null; web=$?
        port="${OPNC_NEXTCLOUD_URL##*:}"
        kill "$OPNC_SIM_PID"
        sleep 0.3
        # (The process may linger as a zombie where nothing reaps it; its ports must be closed.)
        if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then echo "still running"; fi
        echo "plan=$plan web=$web"
    "#;
    let out = output(shell(script, &state)).await;
    let all = text(&out);
    assert!(out.status.success(), "{all}");
    assert!(all.contains("plan=0 web=0"), "both plans ran against the simulated pair: {all}");
    assert!(all.contains("Ready: every check passed.") && all.contains("Plan:"), "{all}");
    assert!(!all.contains("still running"), "kill \"$OPNC_SIM_PID\" stops the servers: {all}");

    // The foreground form prints the same lines, and nothing the CLI does not read.
    let mut child =
        Command::new(opnc_binary()).arg("sim").stdout(Stdio::piped()).stderr(Stdio::null()).spawn().unwrap();
    let stdout = child.stdout.take().unwrap();
    let lines: Vec<String> = tokio::task::spawn_blocking(move || {
        use std::io::BufRead;
        std::io::BufReader::new(stdout).lines().map_while(Result::ok).take_while(|l| !l.starts_with('#')).collect()
    })
    .await
    .unwrap();
    let _ = child.kill();
    let _ = child.wait();
    let names: Vec<&str> =
        lines.iter().filter_map(|l| l.strip_prefix("export ")).filter_map(|l| l.split('=').next()).collect();
    assert_eq!(
        names,
        [
            "OPNC_OPENPROJECT_URL",
            "OPNC_OPENPROJECT_TOKEN",
            "OPNC_OPENPROJECT_USER",
            "OPNC_OPENPROJECT_PASSWORD",
            "OPNC_NEXTCLOUD_URL",
            "OPNC_NEXTCLOUD_USER",
            "OPNC_NEXTCLOUD_PASSWORD"
        ],
        "{lines:?}"
    );
    let help =
        String::from_utf8(Command::new(opnc_binary()).args(["plan", "--help"]).output().unwrap().stdout).unwrap();
    for name in names {
        let read = match name {
            "OPNC_OPENPROJECT_URL" | "OPNC_NEXTCLOUD_URL" => help.contains(name),
            // Read by the credential lookup (checked by the plans above), named in its messages.
            _ => true,
        };
        assert!(read, "{name} is read by the CLI: {help}");
    }
}

/// One row of the exit-code table: what was run, the code the README gives, the code seen.
struct Row {
    what: &'static str,
    expected: i32,
    seen: Option<i32>,
}

#[tokio::test]
async fn exit_codes_are_the_readmes() {
    let pair = SimPair::start_default().await.unwrap();
    let state = state_dir("exit-codes");
    let mut rows = Vec::new();
    let mut row = |what, expected, out: &std::process::Output| {
        rows.push(Row { what, expected, seen: out.status.code() });
        text(out)
    };

    let out = output(opnc_at("htp://x", &pair.nextcloud.url(), &state, &["plan"])).await;
    let all = row("plan with a malformed URL (htp://x)", 2, &out);
    assert!(all.contains("“htp” is not supported"), "{all}");
    let mut cmd = opnc(&pair, &state, &["plan"]);
    cmd.env_remove("OPNC_OPENPROJECT_TOKEN").env("OPNC_KEYCHAIN_SERVICE", "opnc-e2e-empty");
    let all = row("plan without a token, no terminal to ask", 2, &output(cmd).await);
    assert!(all.contains("OPNC_OPENPROJECT_TOKEN"), "names what to set: {all}");
    row("an unknown flag", 2, &run(&pair, &state, &["plan", "--frobnicate"]).await);
    row("status before any setup", 1, &run(&pair, &state, &["status"]).await);
    row("setup without --yes and no terminal", 5, &run(&pair, &state, &["setup"]).await);

    // A failed write whose undo fails too: the rollback failed (4), and `recover` finishes it.
    let op = &pair.openproject.server.control;
    op.add_fault(Fault::on(
        Method::PATCH,
        "/api/v3/storages/",
        1,
        FaultAction::Status { status: 500, body: "{}".into() },
    ));
    op.add_fault(Fault::on(
        Method::DELETE,
        "/api/v3/storages/",
        1,
        FaultAction::Status { status: 500, body: "{}".into() },
    ));
    let all = row("setup whose rollback fails", 4, &run(&pair, &state, &["setup", "--yes"]).await);
    assert!(all.contains("rollback failed too"), "{all}");
    row("recover after it", 0, &run(&pair, &state, &["recover", "--yes"]).await);
    assert!(pair.openproject.sim.state().storages.is_empty(), "recover removed the storage");

    row("setup", 0, &run(&pair, &state, &["setup", "--yes"]).await);
    row("status of the connected pair", 0, &run(&pair, &state, &["status"]).await);
    let all = row("diagnose a fresh setup (in no project yet)", 6, &run(&pair, &state, &["diagnose"]).await);
    assert!(all.starts_with("Working, with 1 warning: nothing is broken."), "{all}");
    let mut cmd = opnc(&pair, &state, &["diagnose"]);
    cmd.env_remove("OPNC_OPENPROJECT_TOKEN")
        .env_remove("OPNC_NEXTCLOUD_PASSWORD")
        .env("OPNC_KEYCHAIN_SERVICE", "opnc-e2e-empty");
    let out = output(cmd).await;
    let all = row("diagnose without credentials", 7, &out);
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("Not fully checked:"), "{all}");
    assert!(!all.contains("No problem found"), "{all}");
    let storage_id = pair.openproject.sim.state().storages[0].id;
    pair.openproject.sim.enable_in_project(storage_id, 1, "automatic");
    row("diagnose a healthy pair", 0, &run(&pair, &state, &["diagnose"]).await);
    pair.nextcloud.sim.lock().app_config.insert("openproject_client_secret".into(), "wrong-secret-0000".into());
    row("diagnose a broken pair", 1, &run(&pair, &state, &["diagnose"]).await);
    row("status of the broken pair", 1, &run(&pair, &state, &["status"]).await);

    let blocked = SimPair::start(
        opnc_sim::OpenProjectProfile::v17(),
        opnc_sim::NextcloudProfile { allow_local_remote_servers: false, ..opnc_sim::NextcloudProfile::nc34() },
        opnc_sim::loopback(0),
        opnc_sim::loopback(0),
    )
    .await
    .unwrap();
    row("plan with a preflight blocker", 3, &run(&blocked, &state, &["plan"]).await);

    eprintln!("| command | README | seen |\n|---|---|---|");
    for r in &rows {
        eprintln!("| {} | {} | {} |", r.what, r.expected, r.seen.map(|c| c.to_string()).unwrap_or("signal".into()));
    }
    let wrong: Vec<&Row> = rows.iter().filter(|r| r.seen != Some(r.expected)).collect();
    assert!(
        wrong.is_empty(),
        "exit codes differ from the README: {:?}",
        wrong.iter().map(|r| (r.what, r.expected, r.seen)).collect::<Vec<_>>()
    );
    let _ = std::fs::remove_dir_all(state);
}

#[tokio::test]
async fn a_keyring_that_is_not_there_is_said_once_in_plain_words() {
    let pair = SimPair::start_default().await.unwrap();
    let state = state_dir("no-keyring");
    let mut cmd = opnc(&pair, &state, &["diagnose"]);
    cmd.env_remove("OPNC_OPENPROJECT_TOKEN")
        .env_remove("OPNC_NEXTCLOUD_PASSWORD")
        .env_remove("OPNC_KEYCHAIN_SERVICE")
        // No Secret Service to reach, as on a server without a desktop session.
        .env("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/opnc-e2e-bus");
    let out = output(cmd).await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.matches("the system keyring is not available").count(), 1, "said once: {stderr}");
    assert!(stderr.contains("OPNC_OPENPROJECT_TOKEN"), "says what to do instead: {stderr}");
    assert!(!stderr.contains('\u{1b}'), "no colour codes when stderr is not a terminal: {stderr:?}");
    assert!(!stderr.contains("WARN") && !stderr.contains("DBus error"), "no log line, no D-Bus internals: {stderr}");
}

#[tokio::test]
async fn the_verdict_comes_first_and_checks_read_as_sentences() {
    let pair = SimPair::start_default().await.unwrap();
    let state = state_dir("plain-words");
    let out = run(&pair, &state, &["plan"]).await;
    let plan = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(plan.starts_with("Ready: every check passed.\n"), "the plan is the report, on stdout: {plan}");
    assert_eq!(run(&pair, &state, &["setup", "--yes"]).await.status.code(), Some(0));

    let out = run(&pair, &state, &["status"]).await;
    let status = String::from_utf8_lossy(&out.stdout).to_string();
    let mut lines = status.lines();
    let verdict = lines.next().unwrap_or_default();
    assert!(
        verdict.starts_with("Connected: OpenProject's storage “Nextcloud”") && verdict.contains("11 of 11 checks"),
        "{status}"
    );
    for line in lines {
        let sentence = line.trim_start().strip_prefix("✓ ").unwrap_or_else(|| panic!("a check: {line:?}"));
        assert!(sentence.ends_with('.') && sentence.chars().next().is_some_and(char::is_uppercase), "{line:?}");
        assert!(!sentence.contains('_') && sentence != "Passed.", "words, not codes: {line:?}");
    }
    assert!(!status.contains("Preflight") && !status.contains("setup will only prove"), "{status}");

    // A re-run of setup: the findings read as sentences, with no code names.
    let out = run(&pair, &state, &["setup", "--yes"]).await;
    let all = text(&out);
    assert!(all.contains("nothing to change"), "{all}");
    for code in ["ProjectFolderEntitiesExist", "AlreadyConfigured", "IntegrationConfiguredForThisOpenproject"] {
        assert!(!all.contains(code), "no code names outside --json: {all}");
    }
    let json = run(&pair, &state, &["status", "--json"]).await;
    let value: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(value["verdict"], "connected");
    assert_eq!(value["proof"]["checks"][0]["name"], "openproject_storage_configured", "codes stay in --json");
}

#[tokio::test]
async fn impact_texts_say_exactly_what_each_reset_and_delete_takes_away() {
    let pair = SimPair::start_default().await.unwrap();
    let state = state_dir("impact");
    assert_eq!(run(&pair, &state, &["setup", "--yes"]).await.status.code(), Some(0));
    let help = String::from_utf8_lossy(&Command::new(opnc_binary()).args(["reset", "--help"]).output().unwrap().stdout)
        .to_string();
    assert!(help.contains("project-folder app password is replaced too"), "the help says it: {help}");

    // Without a terminal and without --yes: the impact is shown, nothing is written.
    let out = run(&pair, &state, &["reset", "nextcloud-oauth"]).await;
    let all = text(&out);
    assert_eq!(out.status.code(), Some(5), "{all}");
    assert!(all.contains("Every OpenProject user must connect to Nextcloud again"), "{all}");
    assert!(all.contains("new app password for the “OpenProject” user"), "the app password goes too: {all}");
    assert!(all.contains("Nextcloud users' connections to OpenProject are not affected"), "{all}");
    let out = run(&pair, &state, &["reset", "app-password"]).await;
    let all = text(&out);
    assert!(all.contains("no user needs to do anything"), "{all}");
    assert!(!all.contains("authorize again") && !all.contains("must connect"), "{all}");
    let out = run(&pair, &state, &["reset", "app-password", "--yes"]).await;
    assert!(text(&out).contains("No user needs to do anything."), "{}", text(&out));

    let out = run(&pair, &state, &["delete", "--yes"]).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(text(&out).contains("Deleted on both servers"), "{}", text(&out));
    pair.openproject.server.control.clear_requests();
    pair.nextcloud.server.control.clear_requests();
    let out = run(&pair, &state, &["delete", "--yes"]).await;
    let all = text(&out);
    assert_eq!(out.status.code(), Some(0), "{all}");
    assert!(all.contains("Nothing to delete") && !all.contains("Deleted on both servers"), "{all}");
    let writes: Vec<String> = [pair.openproject.server.control.requests(), pair.nextcloud.server.control.requests()]
        .concat()
        .iter()
        // The command's own temporary app password (made from the account password) is revoked at its end.
        .filter(|r| r.method != "GET" && !r.internal && r.path != "/ocs/v2.php/core/apppassword")
        .map(|r| format!("{} {}", r.method, r.path))
        .collect();
    assert!(writes.is_empty(), "a second delete writes nothing: {writes:?}");
}

#[tokio::test]
async fn a_page_address_pasted_from_the_browser_finds_the_servers_base() {
    let pair = SimPair::start_default().await.unwrap();
    let state = state_dir("pasted");
    let (op, nc) = (pair.openproject.url(), pair.nextcloud.url());
    let op_page = format!("{op}/projects/demo-project/work_packages?query_id=3");
    let nc_page = format!("{nc}/index.php/apps/files/?dir=/");
    let out = output(opnc_at(&op_page, &nc_page, &state, &["setup", "--yes"])).await;
    let all = text(&out);
    assert_eq!(out.status.code(), Some(0), "{all}");
    assert!(all.contains(&format!("OpenProject: using {op} — the server's address under {op_page}")), "{all}");
    assert!(all.contains(&format!("Nextcloud: using {nc} — the server's address under {nc_page}")), "{all}");
    let storages = pair.openproject.sim.state().storages.clone();
    assert_eq!(storages.len(), 1);
    assert!(storages[0].host.trim_end_matches('/') == nc, "the storage holds the base: {}", storages[0].host);
    // A base given as it is: taken without a word, and without a request to find it.
    pair.nextcloud.server.control.clear_requests();
    let out = run(&pair, &state, &["status"]).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(!text(&out).contains("using"), "{}", text(&out));
}
