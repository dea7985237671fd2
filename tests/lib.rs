//! Shared pieces of the end-to-end tests.

use std::path::PathBuf;
use std::process::Command;

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
