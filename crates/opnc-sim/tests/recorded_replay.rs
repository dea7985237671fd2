//! Replays every request of the real Nextcloud 34.0.1 / integration_openproject 3.1.1 transcripts
//! (copied from `shared/contracts/recorded/` into `tests/recorded/`) against the simulated Nextcloud and
//! compares status and JSON shape: the same keys and value types everywhere, the same booleans, and the
//! same `error`, `message` and `result` strings. Random values (ids, secrets, tokens) are not compared.

use serde_json::{json, Value};

use opnc_sim::nextcloud::demo;
use opnc_sim::{loopback, NextcloudProfile, OpenProjectProfile, SimPair};

const SETUP: &str = include_str!("recorded/nextcloud-34.0.1-iop-3.1.1-setup-api.json");
const DIAGNOSTICS: &str = include_str!("recorded/nextcloud-34.0.1-iop-3.1.1-admin-diagnostics.json");
const APP_PASSWORD: &str = include_str!("recorded/nextcloud-34.0.1-app-password-exchange.json");
const EXACT_STRING_KEYS: [&str; 3] = ["error", "message", "result"];

/// Differences between the recorded value and the simulator's, as paths.
fn compare(path: &str, key: &str, recorded: &Value, actual: &Value, out: &mut Vec<String>) {
    match (recorded, actual) {
        (Value::Object(r), Value::Object(a)) => {
            let mut rk: Vec<&String> = r.keys().collect();
            let mut ak: Vec<&String> = a.keys().collect();
            rk.sort();
            ak.sort();
            if rk != ak {
                out.push(format!("{path}: keys differ: recorded {rk:?}, simulator {ak:?}"));
                return;
            }
            for (k, v) in r {
                compare(&format!("{path}.{k}"), k, v, &a[k], out);
            }
        }
        (Value::Array(r), Value::Array(a)) => {
            if r.is_empty() != a.is_empty() {
                out.push(format!("{path}: recorded {} elements, simulator {}", r.len(), a.len()));
            }
            if let (Some(first), Some(_)) = (r.first(), a.first()) {
                for (i, item) in a.iter().enumerate() {
                    compare(&format!("{path}[{i}]"), key, first, item, out);
                }
            }
        }
        (Value::Bool(r), Value::Bool(a)) if r != a => out.push(format!("{path}: recorded {r}, simulator {a}")),
        (Value::String(r), Value::String(a))
            if EXACT_STRING_KEYS.contains(&key) && !r.starts_with("cURL error") && r != a =>
        {
            out.push(format!("{path}: recorded {r:?}, simulator {a:?}"))
        }
        (Value::Number(r), Value::Number(a)) if r.is_i64() != a.is_i64() => {
            out.push(format!("{path}: number kinds differ"))
        }
        (r, a) if std::mem::discriminant(r) != std::mem::discriminant(a) => {
            out.push(format!("{path}: recorded {r}, simulator {a}"))
        }
        _ => {}
    }
}

struct Replayer {
    client: reqwest::Client,
    nc_addr: String,
    op_addr: String,
    last_poll_token: Option<String>,
    /// The app password the last `getapppassword` answer carried.
    last_app_password: Option<String>,
}

impl Replayer {
    fn rewrite(&self, text: &str) -> String {
        text.replace("127.0.0.1:8080", &self.nc_addr).replace("127.0.0.1:9999", &self.op_addr)
    }

    async fn replay(&mut self, entry: &Value) -> Result<(), String> {
        let name = entry["name"].as_str().unwrap_or_default();
        let request = &entry["request"];
        let method = reqwest::Method::from_bytes(request["method"].as_str().unwrap_or("GET").as_bytes()).unwrap();
        let url = self.rewrite(request["url"].as_str().unwrap_or_default());
        let mut builder = self.client.request(method, url);
        if let Some(headers) = request["headers"].as_object() {
            for (k, v) in headers {
                builder = builder.header(k, v.as_str().unwrap_or_default());
            }
        }
        match request["auth"].as_str() {
            Some(a) if a.contains("admin:<admin password>") => {
                builder = builder.basic_auth(demo::ADMIN_LOGIN, Some(demo::ADMIN_PASSWORD));
            }
            Some(a) if a.contains("admin:<app password from 01") => {
                builder = builder.basic_auth(demo::ADMIN_LOGIN, self.last_app_password.clone());
            }
            Some(a) if a.contains("admin:wrong-password") => {
                builder = builder.basic_auth(demo::ADMIN_LOGIN, Some("wrong-password"));
            }
            _ => {}
        }
        if name.contains("bearer") {
            builder = builder.header("Authorization", "Bearer TESTBEARERTOKEN");
        }
        if let Some(body) = request.get("json").filter(|b| !b.is_null()) {
            let body: Value = serde_json::from_str(&self.rewrite(&body.to_string())).unwrap();
            builder = builder.body(body.to_string());
        }
        if let Some(form) = request.get("form").and_then(Value::as_object) {
            let mut fields: Vec<(String, String)> =
                form.iter().map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_owned())).collect();
            if name.starts_with("login_v2_poll") {
                fields = vec![("token".into(), self.last_poll_token.clone().unwrap_or_default())];
            }
            builder = builder.body(url::form_urlencoded::Serializer::new(String::new()).extend_pairs(fields).finish());
        }
        let response = builder.send().await.map_err(|e| format!("{name}: {e}"))?;
        let status = response.status().as_u16();
        let text = response.text().await.unwrap_or_default();
        let expected = &entry["response"];
        let mut problems = Vec::new();
        if expected["status"].as_u64() != Some(u64::from(status)) {
            problems.push(format!("status: recorded {}, simulator {status}", expected["status"]));
        }
        match serde_json::from_str::<Value>(&text) {
            Ok(actual) => {
                if let Some(token) = actual.pointer("/poll/token").and_then(Value::as_str) {
                    self.last_poll_token = Some(token.to_owned());
                }
                if let Some(password) = actual.pointer("/ocs/data/apppassword").and_then(Value::as_str) {
                    self.last_app_password = Some(password.to_owned());
                }
                compare("$", "", &expected["json"], &actual, &mut problems);
            }
            Err(_) => problems.push(format!("not JSON: {}", text.chars().take(200).collect::<String>())),
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(format!("{name}:\n  {}", problems.join("\n  ")))
        }
    }
}

async fn replayer(pair: &SimPair) -> Replayer {
    Replayer {
        client: reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap(),
        nc_addr: pair.nextcloud.server.addr.to_string(),
        op_addr: pair.openproject.server.addr.to_string(),
        last_poll_token: None,
        last_app_password: None,
    }
}

#[tokio::test]
async fn the_app_password_exchange_matches_the_real_server() {
    let pair = SimPair::start_default().await.unwrap();
    let mut replayer = replayer(&pair).await;
    let recording: Value = serde_json::from_str(APP_PASSWORD).unwrap();
    let entries = recording["exchanges"].as_array().unwrap();
    let mut failures = Vec::new();
    for entry in entries {
        if let Err(e) = replayer.replay(entry).await {
            failures.push(e);
        }
    }
    assert!(failures.is_empty(), "{} of {} exchanges differ:\n{}", failures.len(), entries.len(), failures.join("\n"));
    // The account password, the wrong one, and the revoked app password (no longer a token, so it is checked as
    // a password, as Nextcloud does).
    assert_eq!(pair.nextcloud.sim.lock().password_verifications, 3);
    eprintln!("replayed {} app-password exchanges", entries.len());
}

#[tokio::test]
async fn setup_api_life_cycle_matches_the_real_server() {
    let pair =
        SimPair::start(OpenProjectProfile::v17(), NextcloudProfile::nc34(), loopback(0), loopback(0)).await.unwrap();
    let mut replayer = replayer(&pair).await;
    let entries: Vec<Value> = serde_json::from_str(SETUP).unwrap();
    let mut failures = Vec::new();
    for entry in &entries {
        if let Err(e) = replayer.replay(entry).await {
            failures.push(e);
        }
    }
    assert!(failures.is_empty(), "{} of {} exchanges differ:\n{}", failures.len(), entries.len(), failures.join("\n"));
    eprintln!("replayed {} setup exchanges", entries.len());
}

#[tokio::test]
async fn admin_diagnostics_match_the_real_server() {
    let pair =
        SimPair::start(OpenProjectProfile::v17(), NextcloudProfile::nc34(), loopback(0), loopback(0)).await.unwrap();
    let mut replayer = replayer(&pair).await;
    // The recording was made on a configured server: set it up the same way first.
    let setup = json!({ "values": {
        "openproject_instance_url": format!("http://{}", replayer.op_addr), "openproject_client_id": "op-client-id",
        "openproject_client_secret": "op-client-secret", "default_enable_navigation": false,
        "default_enable_unified_search": false, "setup_project_folder": true, "setup_app_password": true } });
    let answer = replayer
        .client
        .post(format!("http://{}/index.php/apps/integration_openproject/setup", replayer.nc_addr))
        .basic_auth(demo::ADMIN_LOGIN, Some(demo::ADMIN_PASSWORD))
        .header("Content-Type", "application/json")
        .body(setup.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 200);
    let entries: Vec<Value> = serde_json::from_str(DIAGNOSTICS).unwrap();
    let mut failures = Vec::new();
    for entry in &entries {
        if entry["name"].as_str().is_some_and(|n| n.starts_with("is_valid_op_instance_allowed")) {
            // The recording's admin allowed local remote servers between these exchanges.
            pair.nextcloud.sim.lock().profile.allow_local_remote_servers = true;
        }
        if let Err(e) = replayer.replay(entry).await {
            failures.push(e);
        }
    }
    assert!(failures.is_empty(), "{} of {} exchanges differ:\n{}", failures.len(), entries.len(), failures.join("\n"));
    eprintln!("replayed {} diagnostic exchanges", entries.len());
}

#[test]
fn the_copies_match_the_shared_recordings() {
    let shared = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/contracts/recorded");
    if !shared.exists() {
        eprintln!("shared/ is not beside this checkout; nothing to compare");
        return;
    }
    for (file, copy) in [
        ("nextcloud-34.0.1-iop-3.1.1-setup-api.json", SETUP),
        ("nextcloud-34.0.1-iop-3.1.1-admin-diagnostics.json", DIAGNOSTICS),
        ("nextcloud-34.0.1-app-password-exchange.json", APP_PASSWORD),
    ] {
        let original = std::fs::read_to_string(shared.join(file)).unwrap();
        assert_eq!(original, copy, "{file} changed in shared/: copy it again into crates/opnc-sim/tests/recorded/");
    }
}
