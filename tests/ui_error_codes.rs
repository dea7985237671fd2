//! The wizard decides what it does with every error code Rust can send (`ui/src/errors.ts`, an exhaustive
//! `switch`), so a new code cannot reach the UI unhandled: the TypeScript check fails until it is.

use std::path::{Path, PathBuf};
use std::process::Command;

fn ui() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../ui")
}

/// The codes of `ErrorCode` as bindings.ts has them (generated from Rust, checked for drift by opnc-core).
fn codes() -> Vec<String> {
    let bindings = std::fs::read_to_string(ui().join("src/bindings.ts")).unwrap();
    let line = bindings.lines().find(|l| l.starts_with("export type ErrorCode =")).expect("ErrorCode in bindings");
    line.split('"').skip(1).step_by(2).map(str::to_owned).collect()
}

#[test]
fn every_error_code_has_a_reaction_in_the_wizard() {
    let errors = std::fs::read_to_string(ui().join("src/errors.ts")).unwrap();
    let codes = codes();
    assert!(codes.len() > 40, "{codes:?}");
    let missing: Vec<_> = codes.iter().filter(|c| !errors.contains(&format!("case \"{c}\":"))).collect();
    assert!(missing.is_empty(), "codes the wizard does not handle: {missing:?}");
}

/// With a code added on the Rust side only, `tsc` refuses the front end. Needs the front end's packages
/// (`scripts/build-ui` installs them; `scripts/test` runs it first).
#[test]
fn a_code_the_wizard_does_not_handle_fails_the_type_check() {
    let tsc = ui().join("node_modules/.bin/tsc");
    if !tsc.exists() {
        assert!(std::env::var_os("CI").is_none(), "the front end's packages are installed in CI");
        eprintln!("skipped: {} is not installed (run scripts/build-ui)", tsc.display());
        return;
    }
    let copy = std::env::temp_dir().join(format!("opnc-ui-codes-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&copy);
    std::fs::create_dir_all(copy.join("src")).unwrap();
    std::fs::copy(ui().join("tsconfig.json"), copy.join("tsconfig.json")).unwrap();
    for entry in std::fs::read_dir(ui().join("src")).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), copy.join("src").join(entry.file_name())).unwrap();
    }
    // The packages the sources import, without copying them.
    std::os::unix::fs::symlink(ui().join("node_modules"), copy.join("node_modules")).unwrap();
    let check = || Command::new(&tsc).arg("--noEmit").current_dir(&copy).output().unwrap();
    let as_is = check();
    assert!(as_is.status.success(), "the front end type-checks: {}", String::from_utf8_lossy(&as_is.stdout));
    let bindings = copy.join("src/bindings.ts");
    let text = std::fs::read_to_string(&bindings).unwrap();
    let last = codes().last().cloned().unwrap();
    std::fs::write(&bindings, text.replace(&format!("\"{last}\";"), &format!("\"{last}\" | \"new_code\";"))).unwrap();
    let with_new = check();
    let out = String::from_utf8_lossy(&with_new.stdout).to_string();
    let _ = std::fs::remove_dir_all(&copy);
    assert!(!with_new.status.success(), "an unhandled code must fail the type check");
    assert!(out.contains("errors.ts") && out.contains("new_code"), "{out}");
}
