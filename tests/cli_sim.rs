//! End-to-end: the `opnc` binary starts both simulators, prints where they are, and they answer as the
//! newest versions, fresh and unconfigured.

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

use opnc_core::nextcloud::{NextcloudClient, NextcloudCredentials, OpenProjectReachability};
use opnc_core::openproject::{OpenProjectAuth, OpenProjectClient};
use opnc_core::{HttpClient, HttpConfig, SecretString, ServerUrl, UrlPolicy};

fn opnc() -> PathBuf {
    opnc_e2e::opnc_binary()
}

struct Sim {
    child: Child,
    values: HashMap<String, String>,
}

impl Drop for Sim {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_sim(args: &[&str]) -> Sim {
    let mut child = Command::new(opnc())
        .arg("sim")
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("opnc sim starts");
    let stdout = child.stdout.take().expect("stdout");
    let mut values = HashMap::new();
    for line in BufReader::new(stdout).lines() {
        let line = line.expect("a line");
        if line.starts_with('#') {
            values.insert("COMMENT".into(), line);
            break;
        }
        let (key, value) = line.strip_prefix("export ").and_then(|l| l.split_once('=')).expect("export KEY='value'");
        values.insert(key.to_owned(), value.trim_matches('\'').to_owned());
    }
    Sim { child, values }
}

fn url(text: &str) -> ServerUrl {
    ServerUrl::parse(text, UrlPolicy::default()).expect("loopback URL")
}

#[tokio::test]
async fn opnc_sim_starts_the_newest_versions_fresh() {
    let sim = start_sim(&[]);
    let v = &sim.values;
    for key in [
        "OPNC_OPENPROJECT_URL",
        "OPNC_OPENPROJECT_TOKEN",
        "OPNC_NEXTCLOUD_URL",
        "OPNC_NEXTCLOUD_USER",
        "OPNC_NEXTCLOUD_PASSWORD",
    ] {
        assert!(v.contains_key(key), "{key} printed: {v:?}");
    }
    let http = HttpClient::new(HttpConfig::default()).unwrap();
    let op = OpenProjectClient::new(
        http.clone(),
        url(&v["OPNC_OPENPROJECT_URL"]),
        OpenProjectAuth::ApiKey(SecretString::from(v["OPNC_OPENPROJECT_TOKEN"].as_str())),
    );
    let root = op.root().await.unwrap();
    assert_eq!(root.core_version.as_deref(), Some("17.3.0"));
    assert!(op.storages().await.unwrap().is_empty(), "fresh: no storage");

    let credentials = NextcloudCredentials {
        login_name: v["OPNC_NEXTCLOUD_USER"].clone(),
        password: SecretString::from(v["OPNC_NEXTCLOUD_PASSWORD"].as_str()),
    };
    let nc = NextcloudClient::new(http, url(&v["OPNC_NEXTCLOUD_URL"]), Some(credentials));
    let caps = nc.capabilities().await.unwrap();
    assert_eq!(caps.major, 34);
    let integration = caps.integration.expect("integration_openproject enabled");
    assert!(integration.app_version.starts_with("3.1."));
    assert!(integration.groupfolders_enabled);
    assert!(!nc.check_admin_config().await.unwrap().config_status_without_project_folder, "fresh: not configured");
    assert_eq!(
        nc.is_valid_op_instance(&url(&v["OPNC_OPENPROJECT_URL"])).await.unwrap(),
        OpenProjectReachability::Valid
    );
}

#[tokio::test]
async fn opnc_sim_takes_older_versions() {
    let sim = start_sim(&["--openproject-version", "14", "--nextcloud-version", "30"]);
    assert!(sim.values["COMMENT"].contains("OpenProject 14.6.3 and Nextcloud 30.0.17"), "{:?}", sim.values);
    let http = HttpClient::new(HttpConfig::default()).unwrap();
    let nc = NextcloudClient::new(http, url(&sim.values["OPNC_NEXTCLOUD_URL"]), None);
    let caps = nc.capabilities().await.unwrap();
    assert_eq!(caps.major, 30);
    assert!(caps.integration.unwrap().app_version.starts_with("2."));
}

#[test]
fn opnc_rejects_wrong_usage_with_exit_code_2() {
    let out = Command::new(opnc()).args(["sim", "--nextcloud-version", "12"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let help = Command::new(opnc()).arg("--help").output().unwrap();
    assert!(help.status.success());
    assert!(String::from_utf8_lossy(&help.stdout).contains("sim"));
}
