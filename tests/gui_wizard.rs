//! The real desktop app driven through WebDriver (tauri-driver + WebKitWebDriver) under Xvfb, in demo
//! mode: sign in to the demo servers, preflight, apply, the native success dialog appears and is
//! accepted, and the simulators' state is checked over HTTP. Screenshots of every stage at 1280×800 and
//! 1024×700 go to `target/screenshots/`. `scripts/test` provides the display, the D-Bus session and
//! tauri-driver.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use opnc_core::nextcloud::{NextcloudClient, NextcloudCredentials};
use opnc_core::openproject::{OpenProjectAuth, OpenProjectClient};
use opnc_core::{HttpClient, HttpConfig, SecretString, ServerUrl, UrlPolicy};
use serde_json::{json, Value};

/// The W3C WebDriver element reference key.
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

fn desktop_binary() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let profile_dir = exe.parent().and_then(|d| d.parent()).unwrap().to_path_buf();
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let status = Command::new(cargo).args(["build", "--quiet", "-p", "opnc-desktop"]).status().unwrap();
    assert!(status.success(), "building the desktop app failed");
    profile_dir.join("opnc-desktop")
}

fn screenshots_dir() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let dir = exe.parent().and_then(|d| d.parent()).and_then(|d| d.parent()).unwrap().join("screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

struct Driver {
    child: Child,
    http: reqwest::Client,
    session: String,
    base: String,
    /// The app's home folder, fresh and empty: where its report dialogs start (no documents folder in it).
    home: PathBuf,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

impl Driver {
    /// Starts tauri-driver on free ports (fixed ones would collide with any other run on the machine).
    async fn start(app: &Path) -> Self {
        let (port, native_port) = (free_port(), free_port());
        let home = std::env::temp_dir().join(format!("opnc-gui-home-{}-{port}", std::process::id()));
        let _ = std::fs::remove_dir_all(&home);
        std::fs::create_dir_all(&home).unwrap();
        let child = Command::new("tauri-driver")
            .args(["--port", &port.to_string(), "--native-port", &native_port.to_string()])
            .env("HOME", &home)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("tauri-driver is installed (scripts/setup installs it)");
        let http = reqwest::Client::new();
        let base = format!("http://127.0.0.1:{port}");
        let caps = json!({ "capabilities": { "alwaysMatch": { "browserName": "wry", "tauri:options": { "application": app } } } });
        let started = Instant::now();
        let session = loop {
            if let Ok(r) = http.post(format!("{base}/session")).json(&caps).send().await {
                let v: Value = r.json().await.unwrap_or_default();
                if let Some(id) = v.pointer("/value/sessionId").and_then(Value::as_str) {
                    break id.to_owned();
                }
            }
            assert!(started.elapsed() < Duration::from_secs(30), "no WebDriver session");
            tokio::time::sleep(Duration::from_millis(250)).await;
        };
        Self { child, http, session, base, home }
    }

    async fn call(&self, method: reqwest::Method, path: &str, body: Value) -> Value {
        let url = format!("{}/session/{}{path}", self.base, self.session);
        let r = self.http.request(method, url).json(&body).send().await.unwrap();
        r.json().await.unwrap_or_default()
    }

    /// Runs a script in the page and returns its value.
    async fn script(&self, script: &str) -> Value {
        self.call(reqwest::Method::POST, "/execute/sync", json!({ "script": script, "args": [] })).await["value"]
            .clone()
    }

    async fn find(&self, css: &str) -> Option<String> {
        let v = self.call(reqwest::Method::POST, "/element", json!({ "using": "css selector", "value": css })).await;
        v.pointer(&format!("/value/{ELEMENT}")).and_then(Value::as_str).map(str::to_owned)
    }

    async fn wait_for(&self, css: &str) -> String {
        let started = Instant::now();
        loop {
            if let Some(e) = self.find(css).await {
                return e;
            }
            if started.elapsed() > Duration::from_secs(30) {
                screenshot(&format!("failure-{}", css.replace(['#', ' ', '.', '[', ']', '='], "_")), 1280, 800);
                panic!("{css} never appeared (see the failure screenshot)");
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// Clicks, finding the element again when a re-render replaced it between finding and clicking.
    async fn click(&self, css: &str) {
        for _ in 0..5 {
            let e = self.wait_for(css).await;
            // Centred first: an element near the bottom would be under the sticky rail, which takes the click.
            let element = json!({ "element-6066-11e4-a52e-4f735466cecf": e });
            let centre = json!({ "script": "arguments[0].scrollIntoView({block: 'center'});", "args": [element] });
            self.call(reqwest::Method::POST, "/execute/sync", centre).await;
            let answer = self.call(reqwest::Method::POST, &format!("/element/{e}/click"), json!({})).await;
            if answer.pointer("/value/error").and_then(Value::as_str) != Some("stale element reference") {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("{css} kept going stale");
    }

    async fn text(&self, css: &str) -> String {
        for _ in 0..5 {
            let e = self.wait_for(css).await;
            let v = self.call(reqwest::Method::GET, &format!("/element/{e}/text"), Value::Null).await;
            if v.pointer("/value/error").and_then(Value::as_str) != Some("stale element reference") {
                return v["value"].as_str().unwrap_or_default().to_owned();
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("{css} kept going stale");
    }

    /// Types into the field and checks that the text arrived: a re-render between finding the element and typing
    /// would send the keys to a detached element, and the test would go on with an empty field.
    async fn type_into(&self, css: &str, text: &str) {
        for _ in 0..3 {
            let e = self.wait_for(css).await;
            self.call(reqwest::Method::POST, &format!("/element/{e}/value"), json!({ "text": text })).await;
            let value = self.script(&format!("return document.querySelector({css:?})?.value ?? ''")).await;
            if value.as_str().is_some_and(|v| v.ends_with(text)) {
                return;
            }
        }
        panic!("typing into {css} did not arrive");
    }

    /// A screenshot once the page has painted what the DOM holds (two animation frames, then the compositor's
    /// moment): without it a shot can show the frame before the last render.
    async fn screenshot(&self, name: &str, width: u32, height: u32) {
        let paint = "const done = arguments[arguments.length - 1]; requestAnimationFrame(() => requestAnimationFrame(() => done(true)));";
        self.call(reqwest::Method::POST, "/execute/async", json!({ "script": paint, "args": [] })).await;
        tokio::time::sleep(Duration::from_millis(300)).await;
        let name = name.to_owned();
        tokio::task::spawn_blocking(move || screenshot(&name, width, height)).await.unwrap();
    }

    async fn resize(&self, width: u32, height: u32) {
        self.call(reqwest::Method::POST, "/window/rect", json!({ "x": 0, "y": 0, "width": width, "height": height }))
            .await;
    }
}

/// The last screenshot's pixels' digest, to catch a frame that did not change.
static LAST_SHOT: std::sync::Mutex<String> = std::sync::Mutex::new(String::new());

/// How much the shot's pixels vary (0 for one colour: a page not painted yet), and a digest of them.
fn shot_facts(path: &Path) -> (f64, String) {
    let out =
        Command::new("convert").arg(path).args(["-format", "%[fx:standard_deviation] %#", "info:"]).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    let mut parts = text.split_whitespace();
    let spread = parts.next().and_then(|s| s.parse().ok()).unwrap_or(0.0);
    (spread, parts.next().unwrap_or_default().to_owned())
}

/// A screenshot of the screen's top-left `width`×`height`, taken again until the page has painted and shows
/// something other than the previous shot: a blank or unchanged frame fails the test instead of being kept.
fn screenshot(name: &str, width: u32, height: u32) {
    let path = screenshots_dir().join(format!("{width}x{height}-{name}.png"));
    let mut last = (0.0, String::new());
    for _ in 0..24 {
        let status = Command::new("import")
            .args(["-window", "root", "-crop", &format!("{width}x{height}+0+0")])
            .arg(&path)
            .status()
            .unwrap();
        assert!(status.success(), "screenshot {name}");
        last = shot_facts(&path);
        let previous = LAST_SHOT.lock().unwrap_or_else(|p| p.into_inner()).clone();
        if last.0 > 0.02 && last.1 != previous {
            *LAST_SHOT.lock().unwrap_or_else(|p| p.into_inner()) = last.1;
            return;
        }
        std::thread::sleep(Duration::from_millis(250));
    }
    panic!("screenshot {name}: the page stayed blank or unchanged (pixel spread {:.3})", last.0);
}

/// The GUI tests share one display, one WebDriver port range and the native dialogs' titles: one at a time.
static ONE_WINDOW: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

fn app() -> PathBuf {
    assert!(std::env::var_os("DISPLAY").is_some(), "run through scripts/test, which provides a display (Xvfb)");
    desktop_binary()
}

/// Waits for a native dialog by title and presses `key` in it (`Return` closes an OK-only box; a confirmation's
/// action button is pressed by its mnemonic, `alt+` its first letter). Returns whether the dialog appeared.
fn answer_dialog(title: &str, key: &str) -> bool {
    let found = Command::new("timeout").args(["20", "xdotool", "search", "--sync", "--name", title]).output().unwrap();
    if !found.status.success() {
        return false;
    }
    std::thread::sleep(Duration::from_millis(400));
    Command::new("xdotool").args(["key", key]).status().unwrap().success()
}

fn accept_dialog(title: &str) -> bool {
    answer_dialog(title, "Return")
}

/// Clicks, then answers the dialog the click opens (the click blocks until the command returns).
async fn click_and_answer(
    driver: &Driver,
    css: &str,
    title: &'static str,
    key: &'static str,
    shot: Option<(&'static str, u32, u32)>,
) -> bool {
    let answered = tokio::task::spawn_blocking(move || {
        std::thread::sleep(Duration::from_millis(800));
        if let Some((name, w, h)) = shot {
            screenshot(name, w, h);
        }
        answer_dialog(title, key)
    });
    driver.click(css).await;
    answered.await.unwrap()
}

/// Clients of the demo admins of both simulators, to check their state from outside the app.
fn demo_admin_clients(op_url: &str, nc_url: &str) -> (OpenProjectClient, NextcloudClient) {
    let http = HttpClient::new(HttpConfig::default()).unwrap();
    let url = |u: &str| ServerUrl::parse(u, UrlPolicy::default()).unwrap();
    let op = OpenProjectClient::new(
        http.clone(),
        url(op_url),
        OpenProjectAuth::ApiKey(SecretString::from(opnc_sim::openproject::demo::ADMIN_TOKEN)),
    );
    let nc = NextcloudClient::new(
        http,
        url(nc_url),
        Some(NextcloudCredentials {
            login_name: "admin".into(),
            password: SecretString::from(opnc_sim::nextcloud::demo::ADMIN_PASSWORD),
        }),
    );
    (op, nc)
}

/// Fills the sign-in form with the demo admins' API token and app password for `pair`, and submits it.
async fn sign_in_with_token(driver: &Driver, pair: &opnc_sim::SimPair) {
    driver.type_into("#op-url", &pair.openproject.url()).await;
    driver.type_into("input[name=openproject_token]", opnc_sim::openproject::demo::ADMIN_TOKEN).await;
    driver.type_into("#nc-url", &pair.nextcloud.url()).await;
    driver.type_into("input[name=nextcloud_login]", "admin").await;
    driver.type_into("input[name=nextcloud_password]", opnc_sim::nextcloud::demo::ADMIN_PASSWORD).await;
    driver.click("button[type=submit]").await;
}

async fn wizard_run(app: &Path, width: u32, height: u32) {
    let driver = Driver::start(app).await;
    driver.resize(width, height).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    driver.screenshot("1-sign-in", width, height).await;
    driver.click("#demo").await;
    driver.wait_for("#apply").await;
    let findings = driver.text(".middle").await;
    assert!(findings.contains("All checks passed"), "{findings}");
    driver.screenshot("2-preflight-and-plan", width, height).await;
    let op_url = driver.text(".pane.openproject .url").await;
    let nc_url = driver.text(".pane.nextcloud .url").await;
    driver.click("#apply").await;
    let dialog = tokio::task::spawn_blocking(move || {
        std::thread::sleep(Duration::from_millis(1500));
        screenshot("3-success-dialog", width, height);
        accept_dialog("Connected")
    })
    .await
    .unwrap();
    assert!(dialog, "the native success dialog appeared and was accepted");
    let stage = driver.text(".rail li.current").await;
    assert_eq!(stage, "Projects", "set up and proven, the projects come next");
    let op_steps = driver.text(".pane.openproject .steps").await;
    assert!(op_steps.contains("proven"), "{op_steps}");
    driver.screenshot("4-done", width, height).await;

    // The simulators inside the app hold a configured pair.
    let (op, nc) = demo_admin_clients(&op_url, &nc_url);
    let storages = op.storages().await.unwrap();
    assert_eq!(storages.len(), 1);
    assert!(storages[0].is_configured() && storages[0].has_application_password == Some(true));
    assert!(nc.check_admin_config().await.unwrap().config_status_without_project_folder);

    driver.click("nav button[data-view=diagnose]").await;
    driver.click("#run-diagnose").await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let report = driver.text(".diagnose").await;
    driver.screenshot("5-diagnose", width, height).await;
    assert!(report.contains("storage is enabled in no project"), "the doctor sees the new storage: {report}");
    // The picture of the connection: every leg and credential link checked and green.
    let green = driver.script("return document.querySelectorAll('.picture .link.good').length").await;
    let red = driver.script("return document.querySelectorAll('.picture .link.broken').length").await;
    assert!(green.as_u64().unwrap_or(0) >= 6 && red == json!(0), "a healthy pair's picture: {green} green, {red} red");
    // The fix is in words, and what the app can do is a button that does it: here, the projects step.
    let fix = driver.text(".finding .fix").await;
    assert!(!fix.contains('`') && !fix.contains("opnc ") && !fix.contains("--"), "a fix in words: {fix}");
    let copies = driver.script("return document.querySelectorAll('.finding button.copy').length").await;
    assert_eq!(copies, json!(0), "Copy only beside a command that runs on a server, and there is none here");
    driver.click(".finding .remedy-button").await;
    driver.wait_for(".projects").await;
    assert_eq!(driver.text(".rail li.current").await, "Projects", "the remedy button opened the projects step");

    // Manage: the state side by side, a reset and the delete, each behind a native confirmation.
    driver.click("nav button[data-view=manage]").await;
    driver.click("#load-state").await;
    driver.wait_for(".manage .checks").await;
    driver.screenshot("6-manage", width, height).await;
    assert!(
        click_and_answer(
            &driver,
            "#reset-app_password",
            "Rotate the app password?",
            "alt+r",
            Some(("7-reset-confirmation", width, height))
        )
        .await
    );
    let reset_done = tokio::task::spawn_blocking(|| accept_dialog("Reset done")).await.unwrap();
    assert!(reset_done, "the reset result dialog");
    tokio::time::sleep(Duration::from_millis(800)).await;
    let manage = driver.text(".manage").await;
    assert!(
        manage.contains("OpenProject holds the app password for project folders.") && !manage.contains('✖'),
        "still proven after the rotation: {manage}"
    );
    assert!(
        click_and_answer(
            &driver,
            "#delete",
            "Delete the connection?",
            "alt+d",
            Some(("8-delete-confirmation", width, height))
        )
        .await
    );
    assert!(tokio::task::spawn_blocking(|| accept_dialog("Deleted")).await.unwrap(), "the delete result dialog");
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(op.storages().await.unwrap().is_empty(), "deleted in OpenProject");
    assert!(!nc.check_admin_config().await.unwrap().config_status_without_project_folder, "reset in Nextcloud");
}

/// Demo mode can make the next apply fail at Nextcloud: both sides are rolled back and the panes say so.
async fn failure_run(app: &Path) {
    let driver = Driver::start(app).await;
    driver.resize(1280, 800).await;
    driver.click("#demo").await;
    driver.click("#demo-fail").await;
    let op_url = driver.text(".pane.openproject .url").await;
    assert!(
        click_and_answer(&driver, "#apply", "Setup rolled back", "Return", Some(("9-rollback-dialog", 1280, 800)))
            .await,
        "the rollback dialog"
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    let op_steps = driver.text(".pane.openproject .steps").await;
    assert!(op_steps.contains("deleted OpenProject storage"), "the rollback is shown: {op_steps}");
    driver.screenshot("10-rolled-back", 1280, 800).await;
    let nc_url = driver.text(".pane.nextcloud .url").await;
    let (op, _) = demo_admin_clients(&op_url, &nc_url);
    assert!(op.storages().await.unwrap().is_empty(), "OpenProject is as before");
}

/// Real sign-in against simulators the test runs: Nextcloud through the browser sign-in (the test plays
/// the browser and grants access), OpenProject with a pasted API token; then the setup.
async fn browser_sign_in_run(app: &Path) {
    let pair = opnc_sim::SimPair::start_default().await.unwrap();
    let driver = Driver::start(app).await;
    driver.resize(1280, 800).await;
    driver.type_into("#op-url", &pair.openproject.url()).await;
    // The token first: the browser sign-in's re-renders must not wipe what was typed (issue 14 saw it wiped).
    driver.type_into("input[name=openproject_token]", opnc_sim::openproject::demo::ADMIN_TOKEN).await;
    driver.type_into("#nc-url", &pair.nextcloud.url()).await;
    // Each server's sign-in in its own pane.
    for (field, pane) in [
        ("#op-url", "openproject"),
        ("input[name=openproject_token]", "openproject"),
        ("#nc-url", "nextcloud"),
        ("#nc-browser", "nextcloud"),
    ] {
        let script = format!(
            "return document.querySelector('{field}').closest('section.pane')?.classList.contains('{pane}') ?? false"
        );
        assert_eq!(driver.script(&script).await, json!(true), "{field} sits in the {pane} pane");
    }
    driver.click("#nc-browser").await;
    let login_url = driver.text("#nc-login-url").await;
    driver.screenshot("11-browser-sign-in", 1280, 800).await;
    let token = login_url.rsplit('/').next().unwrap().to_owned();
    let granted = reqwest::Client::new()
        .post(format!("{}/index.php/login/v2/grant", pair.nextcloud.url()))
        .header("Origin", pair.nextcloud.url())
        .form(&[
            ("token", token.as_str()),
            ("user", "admin2fa"),
            ("password", opnc_sim::nextcloud::demo::TWO_FACTOR_PASSWORD),
            ("second_factor", opnc_sim::nextcloud::demo::TWO_FACTOR_CODE),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(granted.status(), 200, "the simulated browser grant");
    let signed_in = driver.text("#nc-signed-in").await;
    assert!(signed_in.contains("admin2fa"), "a two-factor admin signed in through the browser: {signed_in}");
    let kept = driver.script("return document.querySelector('input[name=openproject_token]').value").await;
    assert_eq!(kept, json!(opnc_sim::openproject::demo::ADMIN_TOKEN), "the typed token survived the re-renders");
    driver.click("button[type=submit]").await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    driver.screenshot("12-signed-in-for-real", 1280, 800).await;
    driver.wait_for("#apply").await;
    assert!(click_and_answer(&driver, "#apply", "Connected", "Return", None).await, "the success dialog");
    let op_state = pair.openproject.sim.state();
    assert!(op_state.storages[0].oauth_client.is_some() && op_state.storages[0].application_password.is_some());
    assert!(pair.nextcloud.sim.state().integration_client().is_some());

    // One broken leg: a firewall between OpenProject and Nextcloud. The picture shows that link red, alone.
    pair.openproject.sim.lock().nextcloud_unreachable = true;
    driver.click("nav button[data-view=diagnose]").await;
    driver.click("#run-diagnose").await;
    driver.wait_for(".picture .link.broken").await;
    driver.screenshot("27-diagnose-one-broken-leg", 1280, 800).await;
    let broken = driver
        .script("return Array.from(document.querySelectorAll('.picture .link.broken')).map(l => l.dataset.link)")
        .await;
    assert_eq!(broken, json!(["openproject_to_nextcloud"]), "only OpenProject → Nextcloud is red");
    // Its evidence opens from the link.
    driver.click(".picture .link.broken summary").await;
    let evidence = driver.text(".picture .link.broken").await;
    assert!(evidence.contains("OpenProject cannot reach Nextcloud"), "{evidence}");
    // The same in German: the verdict, the links, the severities and the findings' titles come from the catalogue.
    driver.click("#language").await;
    tokio::time::sleep(Duration::from_millis(600)).await;
    driver.screenshot("27b-diagnose-one-broken-leg-de", 1280, 800).await;
    let german = driver.text(".diagnose").await;
    for words in
        ["Kaputt:", "OpenProject → Nextcloud kaputt", "Problem: OpenProject erreicht Nextcloud nicht", "Warnung:"]
    {
        assert!(german.contains(words), "{words:?} in German: {german}");
    }
    driver.click("#language").await;

    // Support staff: export the report through the native save dialog, then open it as a customer's file.
    let path = export_and_open(&driver, "Export report", "Open a report").await;
    let text = std::fs::read_to_string(&path).expect("the report was written where the dialog said");
    let report = opnc_core::doctor::ReportFile::read(&text).expect("the exported report opens");
    assert_eq!(report.made_by.map(|m| m.version), Some(env!("CARGO_PKG_VERSION").to_owned()));
    assert!(!text.contains(opnc_sim::openproject::demo::ADMIN_TOKEN), "no credential in the report");
    let origin = driver.text("#report-origin").await;
    assert!(origin.contains("opnc-report.json") && origin.contains(env!("CARGO_PKG_VERSION")), "{origin}");
    driver.screenshot("28-opened-report", 1280, 800).await;
    let broken = driver
        .script("return Array.from(document.querySelectorAll('.picture .link.broken')).map(l => l.dataset.link)")
        .await;
    assert_eq!(broken, json!(["openproject_to_nextcloud"]), "the opened report shows the same picture");

    // Compare: the firewall gone, the live diagnosis compared with that earlier (broken) report.
    pair.openproject.sim.lock().nextcloud_unreachable = false;
    driver.click("#run-diagnose").await;
    wait_until(
        &driver,
        "no broken link after the fix",
        "return !document.querySelector('.picture .link.broken') && !!document.querySelector('.picture')",
    )
    .await;
    driver.click("#compare-report").await;
    let picked = tokio::task::spawn_blocking(|| {
        let title = "Compare with an earlier report";
        type_into_window(title, &[("key", "ctrl+Home"), ("key", "Down")])
            && type_into_window(title, &[("key", "Return")])
    });
    assert!(picked.await.unwrap(), "the compare dialog appeared");
    let compared = driver.text(".compared").await;
    assert!(compared.contains("opnc-report.json"), "{compared}");
    assert!(compared.contains("Gone: OpenProject cannot reach Nextcloud"), "what the fix took away: {compared}");
    let kinds =
        driver.script("return Array.from(document.querySelectorAll('.compared li')).map(l => l.dataset.change)").await;
    assert!(
        kinds.as_array().is_some_and(|k| k.contains(&json!("link")) && k.contains(&json!("finding_gone"))),
        "{kinds}"
    );
    driver.screenshot("35-compared-with-an-earlier-report", 1280, 800).await;

    // Watch: on, then the firewall comes back while watching; the change shows with the time it was seen.
    driver.click("#watch").await;
    assert_eq!(
        driver.script("return document.querySelector('#watch').getAttribute('aria-pressed')").await,
        json!("true")
    );
    driver.wait_for(".watch-log").await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    pair.openproject.sim.lock().nextcloud_unreachable = true;
    let started = Instant::now();
    while driver.script("return document.querySelectorAll('.watch-log li').length").await == json!(0) {
        assert!(started.elapsed() < Duration::from_secs(40), "the watch saw no change");
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let log = driver.text(".watch-log").await;
    assert!(log.contains("New: OpenProject cannot reach Nextcloud"), "{log}");
    assert!(log.chars().any(|c| c.is_ascii_digit()) && log.contains(':'), "each change with its time: {log}");
    driver.screenshot("36-watch-sees-a-change", 1280, 800).await;
    driver.click("#watch").await;
    assert_eq!(
        driver.script("return document.querySelector('#watch').getAttribute('aria-pressed')").await,
        json!("false")
    );

    // The support bundle through the native save dialog (its proposed name, in the folder the reports went to):
    // the diagnosis shown, the last good state kept after the setup, this pair's job, and no credential.
    let bundle = driver.home.join("opnc-support-bundle.json");
    driver.click("#export-bundle").await;
    let saved = tokio::task::spawn_blocking(|| type_into_window("Export support bundle", &[("key", "Return")]));
    assert!(saved.await.unwrap(), "the bundle's save dialog appeared");
    let started = Instant::now();
    while !bundle.exists() && started.elapsed() < Duration::from_secs(15) {
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let text = std::fs::read_to_string(&bundle).expect("the bundle was written where the dialog said");
    let read = opnc_core::bundle::SupportBundle::read(&text).expect("the bundle reads back");
    assert!(read.baseline.is_some(), "the last good state is in it");
    assert!(!read.jobs.is_empty(), "the pair's setup job is in it");
    assert!(read
        .diagnosis
        .findings
        .iter()
        .any(|f| f.code == opnc_core::findings::FindingCode::OpenprojectCannotReachNextcloud));
    // Every secret of the run: both admins' credentials, the browser sign-in's and the project folders' app
    // passwords, and the OAuth secrets both ways.
    let nc = pair.nextcloud.sim.state();
    let op = pair.openproject.sim.state();
    let mut secrets: Vec<String> =
        vec![opnc_sim::openproject::demo::ADMIN_TOKEN.into(), opnc_sim::nextcloud::demo::TWO_FACTOR_PASSWORD.into()];
    secrets.extend(nc.app_tokens.iter().map(|t| t.token.clone()));
    secrets.extend(op.storages.iter().filter_map(|s| s.oauth_app.as_ref().map(|a| a.client_secret.clone())));
    secrets.extend(op.storages.iter().filter_map(|s| s.oauth_client.as_ref().map(|c| c.client_secret.clone())));
    assert!(secrets.len() >= 4, "the run's secrets were found: {}", secrets.len());
    for secret in secrets.iter().filter(|s| s.len() >= 8) {
        assert!(!text.contains(secret.as_str()), "no secret of the run in the bundle");
    }
    let notice = driver.text(".diagnose-bar").await;
    assert!(notice.contains("Support bundle saved") && notice.contains("opnc-support-bundle.json"), "{notice}");
}

/// Waits until `script` returns true (30 s).
async fn wait_until(driver: &Driver, what: &str, script: &str) {
    let started = Instant::now();
    while driver.script(script).await != json!(true) {
        if started.elapsed() > Duration::from_secs(30) {
            screenshot(&format!("failure-{}", what.replace(' ', "_")), 1280, 800);
            panic!("{what}: never (see the failure screenshot)");
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Exports the diagnosis as JSON through the native save dialog (its proposed name, in the folder it starts in:
/// the app's empty home), then opens that file through the native open dialog, which starts in the same folder
/// and lists only it. Nothing is typed into GTK's location field, whose completion races fast typing.
async fn export_and_open(driver: &Driver, save_title: &'static str, open_title: &'static str) -> PathBuf {
    let path = driver.home.join("opnc-report.json");
    driver.click("#export-json").await;
    let saved = tokio::task::spawn_blocking(move || type_into_window(save_title, &[("key", "Return")]));
    assert!(saved.await.unwrap(), "the save dialog {save_title:?} appeared");
    let started = Instant::now();
    while !path.exists() && started.elapsed() < Duration::from_secs(15) {
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    if !path.exists() {
        screenshot("failure-export", 1280, 800);
    }
    assert!(path.exists(), "the report was saved in the folder the dialog started in");
    driver.click("#open-report").await;
    let opened = tokio::task::spawn_blocking(move || {
        type_into_window(open_title, &[("key", "ctrl+Home"), ("key", "Down")])
            && type_into_window(open_title, &[("key", "Return")])
    });
    assert!(opened.await.unwrap(), "the open dialog {open_title:?} appeared");
    path
}

/// Types into the window with this title: focus it (there is no window manager under Xvfb), then send keys.
fn type_into_window(title: &str, steps: &[(&str, &str)]) -> bool {
    let found = Command::new("timeout").args(["20", "xdotool", "search", "--sync", "--name", title]).output().unwrap();
    let Some(id) = String::from_utf8_lossy(&found.stdout).lines().last().map(str::to_owned) else {
        return false;
    };
    std::thread::sleep(Duration::from_millis(1500));
    Command::new("xdotool").args(["windowfocus", "--sync", &id]).status().unwrap();
    for (verb, arg) in steps {
        std::thread::sleep(Duration::from_millis(200));
        // Typed slowly: GTK's location field completes a folder as it is typed, and a fast key lands in the
        // completion instead of after it ("/tmp/" + "mp/…").
        let args: Vec<&str> = if *verb == "type" { vec!["type", "--delay", "60", arg] } else { vec![verb, arg] };
        Command::new("xdotool").args(args).status().unwrap();
    }
    true
}

/// Issue 6 in demo mode: OpenProject signed in through its own page in the app's window (no token), the
/// setup, the storage enabled in three projects (one already enabled, one archived), and OpenProject's OAuth
/// values replaced — no copy-paste anywhere — with both simulators checked over their APIs after each step.
async fn openproject_window_run(app: &Path) {
    let driver = Driver::start(app).await;
    driver.resize(1280, 800).await;
    driver.click("#demo-self").await;
    let accounts = driver.text("#demo-accounts").await;
    assert!(accounts.contains("admin"), "{accounts}");
    let op_url = driver
        .call(
            reqwest::Method::POST,
            "/execute/sync",
            json!({ "script": "return document.querySelector('#op-url').value", "args": [] }),
        )
        .await["value"]
        .as_str()
        .unwrap()
        .to_owned();
    let nc_url = driver
        .call(
            reqwest::Method::POST,
            "/execute/sync",
            json!({ "script": "return document.querySelector('#nc-url').value", "args": [] }),
        )
        .await["value"]
        .as_str()
        .unwrap()
        .to_owned();
    let typed = tokio::task::spawn_blocking(|| {
        let ok = type_into_window(
            "Sign in to OpenProject",
            &[("type", "admin"), ("key", "Tab"), ("type", opnc_sim::openproject::demo::PASSWORD)],
        );
        screenshot("13-openproject-sign-in-window", 1280, 800);
        ok && Command::new("xdotool").args(["key", "Return"]).status().unwrap().success()
    });
    driver.click("#op-window").await;
    assert!(typed.await.unwrap(), "the sign-in window appeared");
    let signed_in = driver.text("#op-signed-in").await;
    assert!(signed_in.contains("OpenProject Admin"), "{signed_in}");
    driver.screenshot("14-signed-in-through-the-window", 1280, 800).await;
    driver.click("button[type=submit]").await;
    driver.wait_for("#apply").await;

    let (op, nc) = demo_admin_clients(&op_url, &nc_url);
    assert!(op.storages().await.unwrap().is_empty(), "nothing written before apply");
    assert!(click_and_answer(&driver, "#apply", "Connected", "Return", None).await, "the success dialog");
    // Evidence one click away: the proof's checks under the "proven" step.
    driver.click(".pane.openproject .step.done:last-child summary").await;
    let evidence = driver.text(".pane.openproject .step.done:last-child .evidence").await;
    assert!(evidence.matches('✔').count() >= 8, "the proof's checks with their evidence: {evidence}");
    driver.screenshot("14b-evidence", 1280, 800).await;
    let storage = op.storages().await.unwrap().remove(0);
    assert!(storage.is_configured() && storage.has_application_password == Some(true));
    assert!(nc.check_admin_config().await.unwrap().config_status_without_project_folder);

    // Projects, round one: one project, so that round two has one already enabled.
    driver.wait_for("input.project").await;
    driver.screenshot("15-projects", 1280, 800).await;
    let linked = || async {
        let filter = [opnc_core::openproject::Filter::new("storageId", "=", &[&storage.id.to_string()])];
        let mut ids: Vec<i64> =
            op.project_storages(&filter).await.unwrap().into_iter().filter_map(|l| l.project_id).collect();
        ids.sort();
        ids
    };
    driver.click("input.project[value='2']").await;
    driver.click("#enable-projects").await;
    driver.wait_for("#enabled-added").await;
    driver.screenshot("15b-first-project", 1280, 800).await;
    let added = driver.text(".enabled-result").await;
    assert!(added.contains("Scrum project"), "{added}");
    assert_eq!(linked().await, vec![2]);
    // Just enabled, Scrum project says "added now", not "already enabled" beside "Added: Scrum project".
    let list = driver.text("ul.projects").await;
    assert!(list.contains("Scrum project (added now)") && !list.contains("Scrum project (already enabled)"), "{list}");
    // Round two: Demo project (new), Scrum project (already enabled, checked and greyed); Archived 2023 cannot be
    // chosen at all.
    driver.wait_for("input.project[value='2'][disabled]").await;
    driver.wait_for("input.project[value='4'][disabled]").await;
    driver.click("input.project[value='1']").await;
    driver.click("#enable-projects").await;
    let started = Instant::now();
    let mut result = String::new();
    while !result.contains("Demo project") && started.elapsed() < Duration::from_secs(20) {
        tokio::time::sleep(Duration::from_millis(300)).await;
        result = driver.text(".enabled-result").await;
    }
    driver.screenshot("16-projects-enabled", 1280, 800).await;
    assert!(result.contains("Added: Demo project"), "{result}");
    assert!(result.contains("Already enabled: Scrum project"), "{result}");
    assert_eq!(linked().await, vec![1, 2], "nothing else linked, the archived project never offered");

    // Replace OpenProject's OAuth values through its page, behind the native confirmation.
    let before = storage.oauth_application.clone().unwrap().client_id;
    driver.click("nav button[data-view=manage]").await;
    driver.click("#load-state").await;
    driver.wait_for(".manage .checks").await;
    assert!(
        click_and_answer(
            &driver,
            "#reset-openproject_oauth",
            "Replace OpenProject OAuth values?",
            "alt+r",
            Some(("17-replace-openproject-oauth-confirmation", 1280, 800))
        )
        .await
    );
    assert!(tokio::task::spawn_blocking(|| accept_dialog("Reset done")).await.unwrap(), "the reset result dialog");
    let after = op.storage(storage.id).await.unwrap().oauth_application.unwrap().client_id;
    assert_ne!(after, before, "OpenProject has a new OAuth application");
    let held = nc.app_config_value("integration_openproject", "openproject_client_id").await.unwrap();
    let secret = nc.openproject_client_secret().await.unwrap().unwrap();
    assert_eq!(held.expose(), &after, "Nextcloud was given the new client id");
    let probe = op.probe_oauth_client(&after, &secret, &nc.openproject_redirect_uri()).await.unwrap();
    assert_eq!(probe, opnc_core::openproject::TokenProbe::Valid, "and the secret OpenProject issued");
    tokio::time::sleep(Duration::from_millis(500)).await;
    driver.screenshot("18-replaced", 1280, 800).await;

    // Nothing of the session, the password or the new secret in any file the app wrote (logs, jobs, WebKit's
    // data), then sign out.
    let mut searched = 0;
    for dir in [dirs::data_local_dir(), dirs::data_dir(), dirs::cache_dir(), dirs::config_dir()].into_iter().flatten() {
        for root in [dir.join("org.opnc.setup-assistant"), dir.join("opnc-setup-assistant"), dir.join("opnc-desktop")] {
            for file in files_below(&root) {
                let bytes = std::fs::read(&file).unwrap_or_default();
                searched += 1;
                let text = String::from_utf8_lossy(&bytes);
                for needle in ["_open_project_session", opnc_sim::openproject::demo::PASSWORD, secret.expose().as_str()]
                {
                    assert!(!text.contains(needle), "{needle:?} found in {}", file.display());
                }
            }
        }
    }
    assert!(searched > 0, "the app's files were found and searched");
    driver.click("#sign-out").await;
    driver.wait_for("#op-url").await;
}

/// Two-factor in the window: OpenProject's own code page appears after the password, as in a browser.
async fn two_factor_window_run(app: &Path) {
    let pair = opnc_sim::SimPair::start_default().await.unwrap();
    let driver = Driver::start(app).await;
    driver.resize(1280, 800).await;
    driver.type_into("#op-url", &pair.openproject.url()).await;
    let typed = tokio::task::spawn_blocking(|| {
        let password = type_into_window(
            "Sign in to OpenProject",
            &[("type", "admin2fa"), ("key", "Tab"), ("type", opnc_sim::openproject::demo::PASSWORD), ("key", "Return")],
        );
        // The code page loads in the same window; its field has the focus.
        std::thread::sleep(Duration::from_millis(1500));
        screenshot("20-two-factor-in-the-window", 1280, 800);
        let code = type_into_window(
            "Sign in to OpenProject",
            &[("type", opnc_sim::openproject::demo::TOTP_CODE), ("key", "Return")],
        );
        password && code
    });
    driver.click("#op-window").await;
    assert!(typed.await.unwrap(), "the sign-in window appeared");
    let signed_in = driver.text("#op-signed-in").await;
    assert!(signed_in.contains("Admin with two-factor"), "{signed_in}");
}

/// Without OpenProject's pages (signed in with a token), the replace is offered by hand: the app opens the page and
/// watches the API; the admin replaces there and pastes the secret into a masked field; Nextcloud gets both.
async fn replace_by_hand_run(app: &Path) {
    let pair = opnc_sim::SimPair::start_default().await.unwrap();
    let driver = Driver::start(app).await;
    driver.resize(1280, 800).await;
    sign_in_with_token(&driver, &pair).await;
    assert!(click_and_answer(&driver, "#apply", "Connected", "Return", None).await, "the success dialog");
    driver.click("nav button[data-view=manage]").await;
    driver.click("#load-state").await;
    driver.wait_for(".manage .checks").await;
    assert!(
        click_and_answer(&driver, "#reset-openproject_oauth", "Replace OpenProject OAuth values?", "alt+r", None).await
    );
    // Nothing could be sent; that is no failure to report in a dialog: the wizard offers the hand-off at once.
    driver.click("#replace-by-hand").await;
    driver.wait_for("#stop-watch").await;
    // The admin, on OpenProject's page the app opened (a moment later).
    tokio::time::sleep(Duration::from_millis(1000)).await;
    let storage_id = pair.openproject.sim.state().storages[0].id;
    let (client_id, _) =
        pair.openproject.sim.replace_oauth_application_with_secret(storage_id, "pasted-by-the-admin-77").unwrap();
    let seen = driver.text("#replace-handoff code").await;
    assert_eq!(seen, client_id, "the new client id was seen through the API");
    driver.screenshot("21-replace-by-hand", 1280, 800).await;
    driver.type_into("#new-secret", "pasted-by-the-admin-77").await;
    assert!(click_and_answer(&driver, "#give-secret", "Reset done", "Return", None).await, "proven");
    let nc = pair.nextcloud.sim.state();
    assert_eq!(nc.app_config.get("openproject_client_id"), Some(&client_id));
    assert_eq!(nc.app_config.get("openproject_client_secret").map(String::as_str), Some("pasted-by-the-admin-77"));
}

fn files_below(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else { return vec![] };
    entries
        .filter_map(Result::ok)
        .flat_map(|e| if e.path().is_dir() { files_below(&e.path()) } else { vec![e.path()] })
        .collect()
}

/// What the CLI's `--replace`, `--storage-name` and `--no-project-folders` do, the wizard offers too: a storage
/// in the way is replaced from the finding's own button, and project folders can be left out. A page pasted from
/// the browser says which address will be used, before the sign-in.
async fn options_run(app: &Path) {
    let pair = opnc_sim::SimPair::start_default().await.unwrap();
    let (op, _) = demo_admin_clients(&pair.openproject.url(), &pair.nextcloud.url());
    let in_the_way = op
        .create_storage(&opnc_core::openproject::NewStorage {
            name: "Nextcloud".into(),
            nextcloud_url: ServerUrl::parse(&pair.nextcloud.url(), UrlPolicy::default()).unwrap(),
            application_password: None,
        })
        .await
        .unwrap()
        .storage
        .id;
    let driver = Driver::start(app).await;
    driver.resize(1280, 800).await;
    driver.type_into("#nc-url", &format!("{}/index.php/apps/files/?dir=/", pair.nextcloud.url())).await;
    driver.click("#op-url").await;
    let started = Instant::now();
    let mut line = String::new();
    while !line.contains(&pair.nextcloud.url()) && started.elapsed() < Duration::from_secs(10) {
        tokio::time::sleep(Duration::from_millis(200)).await;
        line = driver.text("#nc-resolved").await;
    }
    assert!(line.contains("Will use") && line.contains(&pair.nextcloud.url()), "{line}");
    driver.type_into("#op-url", &pair.openproject.url()).await;
    driver.type_into("input[name=openproject_token]", opnc_sim::openproject::demo::ADMIN_TOKEN).await;
    driver.type_into("input[name=nextcloud_login]", "admin").await;
    driver.type_into("input[name=nextcloud_password]", opnc_sim::nextcloud::demo::ADMIN_PASSWORD).await;
    driver.click("button[type=submit]").await;
    let replace = "button.remedy-button[data-remedy*='setup_replacing']";
    driver.wait_for(replace).await;
    let blocked = driver.text(".middle").await;
    assert!(blocked.contains("already has a storage for this Nextcloud"), "{blocked}");
    driver.screenshot("23-storage-in-the-way", 1280, 800).await;
    driver.click(replace).await;
    driver.wait_for("#apply").await;
    // SSO through Nextcloud Hub as the method: the plan is made for it, and this Nextcloud (no SSO apps) and this
    // OpenProject (no Enterprise feature) block it, each named.
    driver.click("input[name=auth][value=sso_hub]").await;
    driver.click("#apply-options").await;
    driver.wait_for("#check").await;
    let blocked = driver.text(".middle").await;
    assert!(blocked.contains("user_oidc") && blocked.contains("nextcloud_sso"), "{blocked}");
    driver.screenshot("22-sso-method-blocked", 1280, 800).await;
    // The same in German: the wizard's own words and the findings' (the one catalogue's) switch together.
    driver.click("#language").await;
    let german = driver.text(".middle").await;
    assert!(
        german.contains("Was eingerichtet wird")
            && german.contains("Wie Anfragen der Benutzer autorisiert werden")
            && german.contains("SSO braucht die Nextcloud-App „user_oidc“"),
        "{german}"
    );
    tokio::time::sleep(Duration::from_millis(500)).await; // the DOM changes before the window repaints
    driver.screenshot("24-options-and-sso-de", 1280, 800).await;
    driver.click("#language").await;
    // Back to two-way OAuth, without project folders; then the plan is made again.
    driver.click("input[name=auth][value=oauth]").await;
    driver.click("#project-folders").await;
    driver.click("#apply-options").await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    driver.wait_for("#apply").await;
    assert!(click_and_answer(&driver, "#apply", "Connected", "Return", None).await, "the success dialog");
    let storages = pair.openproject.sim.state().storages;
    assert_eq!(storages.len(), 1, "replaced, not added");
    assert_ne!(storages[0].id, in_the_way, "the storage in the way was replaced");
    assert!(storages[0].application_password.is_none(), "no project folders: no app password");
}

/// Cancel after the first change: the engine rolls both sides back and the native dialog says so.
async fn cancel_run(app: &Path) {
    let pair = opnc_sim::SimPair::start_default().await.unwrap();
    let before = pair.restorable_state();
    let driver = Driver::start(app).await;
    driver.resize(1280, 800).await;
    sign_in_with_token(&driver, &pair).await;
    driver.wait_for("#apply").await;
    // Slow servers, so that there is time to press Cancel between the first change and the last (with 400 ms
    // the rest of the apply could finish while the screenshot was taken on a busy machine).
    pair.openproject.server.control.set_latency(Duration::from_millis(1000));
    pair.nextcloud.server.control.set_latency(Duration::from_millis(1000));
    driver.click("#apply").await;
    driver.wait_for(".pane.openproject .step.done").await;
    let label = driver.text("#cancel-apply").await;
    assert_eq!(label, "Cancel and roll back", "after the first change, cancel means roll back");
    driver.screenshot("19-cancel-after-first-change", 1280, 800).await;
    driver.click("#cancel-apply").await;
    let dialog = tokio::task::spawn_blocking(|| accept_dialog("Setup rolled back")).await.unwrap();
    assert!(dialog, "the rollback dialog");
    pair.openproject.server.control.set_latency(Duration::ZERO);
    pair.nextcloud.server.control.set_latency(Duration::ZERO);
    assert_eq!(pair.restorable_state(), before, "both servers as before");
}

// Each scenario is a test of its own (`cargo test -p opnc-e2e --test gui_wizard -- <name>` runs one).
#[tokio::test]
async fn demo_setup_at_1280x800() {
    let _one = ONE_WINDOW.lock().await;
    wizard_run(&app(), 1280, 800).await;
}

#[tokio::test]
async fn demo_setup_at_1024x700() {
    let _one = ONE_WINDOW.lock().await;
    wizard_run(&app(), 1024, 700).await;
}

#[tokio::test]
async fn a_failed_apply_is_rolled_back_on_both_sides() {
    let _one = ONE_WINDOW.lock().await;
    failure_run(&app()).await;
}

#[tokio::test]
async fn browser_sign_in_diagnose_and_reports() {
    let _one = ONE_WINDOW.lock().await;
    browser_sign_in_run(&app()).await;
}

#[tokio::test]
async fn a_cancelled_apply() {
    let _one = ONE_WINDOW.lock().await;
    cancel_run(&app()).await;
}

#[tokio::test]
async fn openproject_sign_in_window() {
    let _one = ONE_WINDOW.lock().await;
    openproject_window_run(&app()).await;
}

#[tokio::test]
async fn two_factor_in_the_sign_in_window() {
    let _one = ONE_WINDOW.lock().await;
    two_factor_window_run(&app()).await;
}

#[tokio::test]
async fn replace_by_hand() {
    let _one = ONE_WINDOW.lock().await;
    replace_by_hand_run(&app()).await;
}

#[tokio::test]
async fn setup_options() {
    let _one = ONE_WINDOW.lock().await;
    options_run(&app()).await;
}

#[tokio::test]
async fn sso_through_nextcloud_hub() {
    let _one = ONE_WINDOW.lock().await;
    sso_run(&app()).await;
}

#[tokio::test]
async fn german_at_1280x800() {
    let _one = ONE_WINDOW.lock().await;
    german_run(&app(), 1280, 800).await;
}

#[tokio::test]
async fn german_at_1024x700() {
    let _one = ONE_WINDOW.lock().await;
    german_run(&app(), 1024, 700).await;
}

#[tokio::test]
async fn keyboard_only_from_sign_in_to_the_native_dialog() {
    let _one = ONE_WINDOW.lock().await;
    keyboard_run(&app()).await;
}

/// Presses Tab (the real key, into the window) until the element with `id` has the focus; the number of presses.
async fn tab_to(driver: &Driver, id: &str) -> usize {
    for presses in 1..=80 {
        let _ = Command::new("xdotool").args(["key", "Tab"]).status();
        tokio::time::sleep(Duration::from_millis(60)).await;
        if driver.script("return document.activeElement?.id ?? ''").await == json!(id) {
            return presses;
        }
    }
    panic!("Tab never reached #{id}");
}

/// Controls without an accessible name (a label, their text, aria-label or title), by their outer HTML.
async fn unnamed_controls(driver: &Driver) -> Value {
    driver
        .script(
            "return Array.from(document.querySelectorAll('button, input:not([type=hidden]), select, textarea, a[href], summary'))
               .filter(e => e.offsetParent !== null)
               .filter(e => !((e.getAttribute('aria-label') || '').trim() || (e.labels && Array.from(e.labels).some(l => l.textContent.trim()))
                 || (e.textContent || '').trim() || (e.getAttribute('title') || '').trim() || (e.getAttribute('aria-labelledby'))))
               .map(e => e.outerHTML.slice(0, 120))",
        )
        .await
}

/// The whole run with the keyboard only: Tab and Enter from the sign-in to the native success dialog, focus moving
/// to the new content at each stage, and every control named for a screen reader.
async fn keyboard_run(app: &Path) {
    let driver = Driver::start(app).await;
    driver.resize(1280, 800).await;
    driver.wait_for("#demo").await;
    // The window has the keyboard (no window manager under Xvfb gives it).
    let window = tokio::task::spawn_blocking(|| type_into_window("Setup Assistant", &[])).await.unwrap();
    assert!(window, "the main window was found to give it the keyboard");
    assert_eq!(unnamed_controls(&driver).await, json!([]), "every control on the sign-in has a name");
    let presses = tab_to(&driver, "demo").await;
    driver.screenshot("30-keyboard-demo-focused", 1280, 800).await;
    let _ = Command::new("xdotool").args(["key", "Return"]).status();
    driver.wait_for("#apply").await;
    // Focus moved to the new content: the preflight's heading.
    let focused =
        driver.script("return document.activeElement?.tagName + ' ' + document.activeElement?.textContent").await;
    assert_eq!(focused, json!("H3 Preflight"), "focus on the preflight after signing in");
    assert_eq!(unnamed_controls(&driver).await, json!([]), "every control of the plan has a name");
    let live =
        driver.script("return document.querySelectorAll('[aria-live], [role=status], [role=alert]').length").await;
    assert!(live.as_u64().unwrap_or(0) >= 3, "progress and results are announced: {live}");
    tab_to(&driver, "apply").await;
    driver.screenshot("31-keyboard-apply-focused", 1280, 800).await;
    let dialog = tokio::task::spawn_blocking(|| {
        std::thread::sleep(Duration::from_millis(300));
        let _ = Command::new("xdotool").args(["key", "Return"]).status();
        std::thread::sleep(Duration::from_millis(1500));
        screenshot("32-keyboard-success-dialog", 1280, 800);
        // The dialog's OK is its default button: Return closes it, as a keyboard user would.
        accept_dialog("Connected")
    });
    assert!(dialog.await.unwrap(), "the native success dialog, reached and closed with the keyboard");
    let stage = driver.text(".rail li.current").await;
    assert_eq!(stage, "Projects");
    let focused = driver.script("return document.activeElement?.tagName").await;
    assert_eq!(focused, json!("H3"), "focus on the projects step");
    eprintln!("keyboard only: {presses} Tab presses to the demo, Return, Tab to Apply, Return, Return");
}

/// German, as a German admin sees it (`LANG=de_DE` picks it at start; here the switch): sign-in, the plan, the native
/// success dialog, Manage's picture healthy and with one broken link, the diagnosis, and an opened report. Then
/// the same plan at 150% text size, which still fits the window.
async fn german_run(app: &Path, width: u32, height: u32) {
    let pair = opnc_sim::SimPair::start_default().await.unwrap();
    let driver = Driver::start(app).await;
    driver.resize(width, height).await;
    driver.click("#language").await;
    let sign_in = driver.text("#app").await;
    assert!(sign_in.contains("Mit Demo-Servern ausprobieren") && sign_in.contains("Bei beiden anmelden"), "{sign_in}");
    driver.screenshot("40-de-sign-in", width, height).await;
    sign_in_with_token(&driver, &pair).await;
    driver.wait_for("#apply").await;
    let plan = driver.text("main").await;
    for words in ["Den Dateispeicher „Nextcloud“ für", "Die OpenProject-Integration für", "Vorabprüfung"] {
        assert!(plan.contains(words), "{words:?} in the German plan: {plan}");
    }
    assert!(!plan.contains("Create the file storage"), "no English plan line: {plan}");
    driver.screenshot("41-de-plan", width, height).await;
    let shot = format!("{width}");
    assert!(
        click_and_answer(&driver, "#apply", "Verbunden", "Return", Some(("42-de-success-dialog", width, height))).await,
        "the native success dialog in German ({shot})"
    );

    driver.click("nav button[data-view=manage]").await;
    driver.click("#load-state").await;
    driver.wait_for("#manage-picture").await;
    let red = driver.script("return document.querySelectorAll('#manage-picture .link.broken').length").await;
    assert_eq!(red, json!(0), "a healthy pair's picture in Manage has no red link");
    driver.screenshot("43-de-manage-picture-healthy", width, height).await;
    // One credential link broken outside the app: Nextcloud now holds another client id for OpenProject.
    pair.nextcloud.sim.lock().app_config.insert("openproject_client_id".into(), "another-client".into());
    driver.click("#load-state").await;
    driver.wait_for("#manage-picture .link.broken").await;
    let broken = driver
        .script("return Array.from(document.querySelectorAll('#manage-picture .link.broken')).map(l => l.dataset.link)")
        .await;
    assert_eq!(broken, json!(["openproject_app_in_nextcloud"]), "only the link whose proof failed is red");
    driver.click("#manage-picture .link.broken summary").await;
    let evidence = driver.text("#manage-picture .link.broken").await;
    assert!(evidence.contains("✖"), "its failed proof check opens under it: {evidence}");
    driver.screenshot("44-de-manage-picture-broken", width, height).await;

    driver.click("nav button[data-view=diagnose]").await;
    driver.click("#run-diagnose").await;
    driver.wait_for(".verdict").await;
    let diagnosis = driver.text(".diagnose").await;
    assert!(diagnosis.contains("Kaputt:"), "{diagnosis}");
    assert!(
        diagnosis.contains("Nextcloud hält eine andere OpenProject-Client-ID"),
        "the finding's message in German: {diagnosis}"
    );
    // The fix the app can do is a button, not a command line.
    let remedies = driver
        .script("return Array.from(document.querySelectorAll('.finding .remedy-button')).map(b => b.textContent)")
        .await;
    assert!(
        remedies.as_array().is_some_and(|r| r.contains(&json!("OpenProject-OAuth-Werte ersetzen"))),
        "the client id's remedy is a button, in German: {remedies}"
    );
    assert!(!diagnosis.contains("opnc ") && !diagnosis.contains("--replace"), "no CLI flags in the desktop");
    driver.screenshot("45-de-diagnose", width, height).await;
    assert_eq!(unnamed_controls(&driver).await, json!([]), "every control of the diagnosis has a name");

    // An exported customer report, opened again: the same two panes and picture, in German (the dialogs too).
    let path = export_and_open(&driver, "Bericht exportieren", "Bericht öffnen").await;
    let text = std::fs::read_to_string(&path).expect("the German report was written");
    assert!(text.contains("\"language\": \"de\""), "the report says the language it was made in");
    let origin = driver.text("#report-origin").await;
    assert!(origin.contains("opnc-report.json") && origin.contains("Bericht"), "{origin}");
    driver.screenshot("46-de-opened-report", width, height).await;

    // 150% text: the plan still fits the window's width (nothing scrolls sideways).
    driver.click("nav button[data-view=setup]").await;
    driver.script("document.documentElement.style.fontSize = '150%'; return true").await;
    tokio::time::sleep(Duration::from_millis(400)).await;
    let overflow =
        driver.script("return document.documentElement.scrollWidth - document.documentElement.clientWidth").await;
    assert!(overflow.as_i64().unwrap_or(1) <= 0, "at 150% text nothing scrolls sideways: {overflow} px");
    driver.screenshot("47-de-150-percent-text", width, height).await;
}

/// SSO through Nextcloud Hub from the wizard: the method chosen, the identity provider in the middle of the plan,
/// the apply with its success dialog, then OpenProject's provider form values with the secret masked until revealed.
async fn sso_run(app: &Path) {
    let mut op = opnc_sim::OpenProjectProfile::v17();
    op.available_features = vec!["nextcloud_sso".into()];
    let nc = opnc_sim::NextcloudProfile { allow_local_remote_servers: true, ..opnc_sim::NextcloudProfile::nc34() };
    let pair =
        opnc_sim::SimPair::start(op, nc.with_sso_apps(), opnc_sim::loopback(0), opnc_sim::loopback(0)).await.unwrap();
    let driver = Driver::start(app).await;
    driver.resize(1280, 800).await;
    sign_in_with_token(&driver, &pair).await;
    driver.wait_for("#apply").await;
    driver.click("input[name=auth][value=sso_hub]").await;
    driver.click("#apply-options").await;
    driver.wait_for("#idp-box").await;
    let middle = driver.text(".middle").await;
    assert!(
        middle.contains("Identity provider") && middle.contains("/index.php/.well-known/openid-configuration"),
        "{middle}"
    );
    let plan = driver.text(".pane.nextcloud").await;
    assert!(plan.contains("OpenID Connect client"), "the SSO steps are the plan: {plan}");
    tokio::time::sleep(Duration::from_millis(500)).await;
    driver.screenshot("25-sso-plan", 1280, 800).await;
    assert!(click_and_answer(&driver, "#apply", "Connected", "Return", None).await, "the success dialog");
    driver.wait_for("#provider-handoff").await;
    let handoff = driver.text("#provider-handoff").await;
    let client = pair.nextcloud.sim.state().oidc_clients[0].clone();
    assert!(handoff.contains(&client.client_id), "{handoff}");
    assert!(!handoff.contains(&client.client_secret), "masked until revealed");
    driver.screenshot("26-sso-provider-handoff", 1280, 800).await;
    driver.click("#reveal-secret").await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(driver.text("#handoff-secret").await, client.client_secret, "revealed on request");
    // The admin enters the provider in OpenProject; the wizard watches its sign-in page until it is offered.
    driver.click("#watch-provider").await;
    tokio::time::sleep(Duration::from_millis(800)).await;
    pair.openproject.sim.lock().oidc_providers.push(opnc_sim::openproject::OpOidcProvider {
        slug: "oidc-nextcloud".into(),
        display_name: "Nextcloud".into(),
        client_id: client.client_id.clone(),
        available: true,
        ..Default::default()
    });
    driver.wait_for("#provider-seen").await;
    let storage = &pair.openproject.sim.state().storages[0];
    assert!(storage.sso(), "an SSO storage");
}
