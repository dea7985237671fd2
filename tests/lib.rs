//! Shared pieces of the end-to-end tests.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use opnc_sim::nextcloud::demo as nc_demo;
use opnc_sim::openproject::demo as op_demo;
use opnc_sim::SimPair;

/// The `opnc` binary of this build, built on demand: integration tests of another package do not get it
/// from cargo.
pub fn opnc_binary() -> PathBuf {
    let exe = std::env::current_exe().expect("test executable");
    let profile_dir = exe.parent().and_then(|deps| deps.parent()).expect("target/<profile>").to_path_buf();
    let binary = profile_dir.join(format!("opnc{}", std::env::consts::EXE_SUFFIX));
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut build = Command::new(cargo);
    build.args(["build", "--quiet", "-p", "opnc-cli", "--bin", "opnc"]);
    if profile_dir.file_name().is_some_and(|n| n == "release") {
        build.arg("--release");
    }
    let status = build.status().expect("cargo runs");
    assert!(status.success(), "building opnc failed");
    binary
}

/// A job folder of the test's own (never the user's).
pub fn state_dir(name: &str) -> PathBuf {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos();
    std::env::temp_dir().join(format!("opnc-e2e-{name}-{}-{nanos:x}", std::process::id()))
}

/// `opnc ARGS --openproject … --nextcloud …` against `pair`, with the demo admins' credentials in the environment
/// and no terminal.
pub fn opnc(pair: &SimPair, state: &Path, args: &[&str]) -> Command {
    opnc_at(&pair.openproject.url(), &pair.nextcloud.url(), state, args)
}

/// As `opnc`, with the two addresses as given.
pub fn opnc_at(openproject: &str, nextcloud: &str, state: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::new(opnc_binary());
    cmd.args(args)
        .args(["--openproject", openproject, "--nextcloud", nextcloud])
        .env("OPNC_OPENPROJECT_TOKEN", op_demo::ADMIN_TOKEN)
        .env("OPNC_NEXTCLOUD_USER", nc_demo::ADMIN_LOGIN)
        .env("OPNC_NEXTCLOUD_PASSWORD", nc_demo::ADMIN_PASSWORD)
        .env("OPNC_STATE_DIR", state)
        // English whatever the machine's locale: the tests read what opnc says.
        .env("LANG", "C.UTF-8")
        .env_remove("LC_ALL")
        .env_remove("LC_MESSAGES")
        .stdin(Stdio::null());
    cmd
}

/// Runs a command off the async runtime (the simulators answer on it meanwhile).
pub async fn output(mut cmd: Command) -> Output {
    tokio::task::spawn_blocking(move || cmd.output().expect("opnc runs")).await.expect("joined")
}

pub async fn run(pair: &SimPair, state: &Path, args: &[&str]) -> Output {
    output(opnc(pair, state, args)).await
}

/// stdout and stderr, for assertion messages.
pub fn text(out: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
}

/// Every file under `dir` (the job files, the baselines beside them) as one text, to search for secrets.
pub fn all_files_text(dir: &Path) -> String {
    let mut text = String::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else {
                text.push_str(&std::fs::read_to_string(&path).unwrap_or_default());
            }
        }
    }
    text
}
