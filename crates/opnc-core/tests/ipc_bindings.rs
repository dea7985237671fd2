//! The TypeScript types the desktop front end uses are generated from these Rust types. This test fails
//! when `ui/src/bindings.ts` no longer matches them; regenerate with
//! `OPNC_UPDATE_BINDINGS=1 cargo test -p opnc-core --test ipc_bindings`.

use opnc_core::doctor::{Access, Check, Diagnosis, NotRun, ServerSummary, Verdict};
use opnc_core::error::{ErrorCode, ErrorView, Server};
use opnc_core::findings::{Finding, FindingCode, Remedy, Severity};
use opnc_core::openproject_web::FolderMode;
use opnc_core::pair::{
    ApplyResult, ConnectionState, DeleteImpact, DemoServers, PairSummary, ProjectChoice, Review, SideSummary, SignIn,
};
use opnc_core::setup::connection::{Deleted, NextcloudPointsAt};
use opnc_core::setup::journal::{Compensation, Event, EventKind, Job, JobStatus, Owner, Phase, UnreadableJob};
use opnc_core::setup::preflight::NextcloudIntegration;
use opnc_core::setup::projects::{EnableOutcome, Refused};
use opnc_core::setup::proof::{Proof, ProofCheck};
use opnc_core::setup::reset::{ResetKind, ResetOutcome};
use opnc_core::setup::{Plan, PlanMode, PlannedChange, SetupOptions};
use ts_rs::{Config, TS};

fn declaration<T: TS>(cfg: &Config) -> String {
    format!("export {};\n", T::decl(cfg).trim_end_matches(';'))
}

fn bindings() -> String {
    let cfg = Config::new().with_large_int("number");
    let mut out = String::from(
        "// Generated from the Rust types in crates/opnc-core: do not edit.\n\
         // Regenerate: OPNC_UPDATE_BINDINGS=1 cargo test -p opnc-core --test ipc_bindings\n\n",
    );
    for decl in [
        declaration::<Server>(&cfg),
        declaration::<ErrorCode>(&cfg),
        declaration::<ErrorView>(&cfg),
        declaration::<Severity>(&cfg),
        declaration::<FindingCode>(&cfg),
        declaration::<Finding>(&cfg),
        declaration::<opnc_core::setup::sso::IdentityProvider>(&cfg),
        declaration::<opnc_core::setup::sso::SsoReadiness>(&cfg),
        declaration::<opnc_core::setup::sso::SsoFacts>(&cfg),
        declaration::<opnc_core::oidc::Discovery>(&cfg),
        declaration::<opnc_core::nextcloud::OidcProvider>(&cfg),
        declaration::<opnc_core::setup::sso::SsoOptions>(&cfg),
        declaration::<opnc_core::setup::sso::NewProviderChoice>(&cfg),
        declaration::<opnc_core::setup::sso::SsoPlan>(&cfg),
        declaration::<opnc_core::setup::sso::ProviderHandoff>(&cfg),
        declaration::<opnc_core::openproject::StorageSso>(&cfg),
        declaration::<Remedy>(&cfg),
        declaration::<SetupOptions>(&cfg),
        declaration::<PlanMode>(&cfg),
        declaration::<PlannedChange>(&cfg),
        declaration::<Plan>(&cfg),
        declaration::<JobStatus>(&cfg),
        declaration::<Phase>(&cfg),
        declaration::<NextcloudIntegration>(&cfg),
        declaration::<opnc_core::setup::preflight::NextcloudSso>(&cfg),
        declaration::<opnc_core::nextcloud::OidcClientInfo>(&cfg),
        declaration::<Compensation>(&cfg),
        declaration::<EventKind>(&cfg),
        declaration::<Event>(&cfg),
        declaration::<Job>(&cfg),
        declaration::<Owner>(&cfg),
        declaration::<UnreadableJob>(&cfg),
        declaration::<ProofCheck>(&cfg),
        declaration::<Proof>(&cfg),
        declaration::<Access>(&cfg),
        declaration::<Check>(&cfg),
        declaration::<NotRun>(&cfg),
        declaration::<Verdict>(&cfg),
        declaration::<opnc_core::catalogue::Language>(&cfg),
        declaration::<opnc_core::catalogue::Said>(&cfg),
        declaration::<opnc_core::catalogue::SaidArg>(&cfg),
        declaration::<opnc_core::picture::LinkKind>(&cfg),
        declaration::<opnc_core::picture::LinkStatus>(&cfg),
        declaration::<opnc_core::picture::Link>(&cfg),
        declaration::<opnc_core::picture::Picture>(&cfg),
        declaration::<opnc_core::picture::Headlines>(&cfg),
        declaration::<opnc_core::picture::DiagnosisView>(&cfg),
        declaration::<opnc_core::doctor::MadeBy>(&cfg),
        declaration::<opnc_core::doctor::ConnectionFacts>(&cfg),
        declaration::<opnc_core::compare::ChangeKind>(&cfg),
        declaration::<opnc_core::compare::Change>(&cfg),
        declaration::<opnc_core::picture::OpenedReport>(&cfg),
        declaration::<opnc_core::picture::WatchRound>(&cfg),
        declaration::<opnc_core::picture::ComparedReport>(&cfg),
        declaration::<ServerSummary>(&cfg),
        declaration::<Diagnosis>(&cfg),
        declaration::<SignIn>(&cfg),
        declaration::<SideSummary>(&cfg),
        declaration::<PairSummary>(&cfg),
        declaration::<Review>(&cfg),
        declaration::<ApplyResult>(&cfg),
        declaration::<NextcloudPointsAt>(&cfg),
        declaration::<DeleteImpact>(&cfg),
        declaration::<Deleted>(&cfg),
        declaration::<ConnectionState>(&cfg),
        declaration::<ResetKind>(&cfg),
        declaration::<ResetOutcome>(&cfg),
        declaration::<DemoServers>(&cfg),
        declaration::<ProjectChoice>(&cfg),
        declaration::<FolderMode>(&cfg),
        declaration::<Refused>(&cfg),
        declaration::<EnableOutcome>(&cfg),
    ] {
        out.push_str(&decl);
    }
    out
}

#[test]
fn typescript_bindings_match_the_rust_types() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../ui/src/bindings.ts");
    let generated = bindings();
    if std::env::var_os("OPNC_UPDATE_BINDINGS").is_some() {
        std::fs::write(&path, &generated).unwrap();
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(committed == generated, "ui/src/bindings.ts is out of date: regenerate it (see the top of this file)");
    // The error codes the UI switches on are the ones Rust serializes.
    let code = serde_json::to_string(&ErrorCode::TwoFactorRequiresAppPassword).unwrap();
    assert!(generated.contains(&code), "{code} in the bindings");
}

/// The front end's typed list of commands (`ui/src/backend.ts`) names exactly the commands the desktop shell
/// registers (`generate_handler!` in `src-tauri/src/lib.rs`): a command added, renamed or dropped on one side fails
/// here.
#[test]
fn the_front_ends_command_list_matches_the_shells() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let shell = std::fs::read_to_string(root.join("src-tauri/src/lib.rs")).unwrap_or_default();
    let handler = shell.split("generate_handler![").nth(1).and_then(|s| s.split(']').next()).unwrap_or_default();
    let mut registered: Vec<String> = handler
        .split(',')
        .filter_map(|c| c.trim().rsplit("::").next().map(str::to_owned))
        .filter(|c| !c.is_empty())
        .collect();
    let backend = std::fs::read_to_string(root.join("ui/src/backend.ts")).unwrap_or_default();
    let list =
        backend.split("export interface Commands {").nth(1).and_then(|s| s.split("\n}").next()).unwrap_or_default();
    let mut typed: Vec<String> = list
        .lines()
        .filter(|l| l.starts_with("  ") && !l.starts_with("   "))
        .filter_map(|l| l.trim().split(':').next().map(str::to_owned))
        .filter(|c| !c.is_empty() && c.chars().all(|ch| ch.is_ascii_lowercase() || ch == '_'))
        .collect();
    registered.sort();
    typed.sort();
    assert!(registered.len() > 30, "the shell's handler list was not found: {registered:?}");
    assert_eq!(typed, registered, "ui/src/backend.ts and generate_handler! differ");
}
