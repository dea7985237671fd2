//! `opnc setup` (the release binary, as an admin runs it) against simulators that charge like real servers:
//! 4 workers each, the account password hashed on every request that carries it, a new app password's key pair,
//! slow project-folder writes (`SimPair::charge_like_real_servers`, calibrated on a real Nextcloud 34.0.1). The
//! Nextcloud credentials are the admin's account password, as a new user gives them, or an app password. Prints
//! per mode the median wall time, the requests each server received from the tool and the password verifications
//! Nextcloud spent.
//! Run: `cargo bench -p opnc-e2e --bench setup_cost`.

use std::time::Instant;

use opnc_e2e::{opnc, output, state_dir};
use opnc_sim::SimPair;

struct Run {
    seconds: f64,
    openproject: usize,
    nextcloud: usize,
    verifications: u32,
}

async fn once(args: &[&str], app_password: bool) -> Run {
    let pair = SimPair::start_default().await.expect("simulators");
    pair.charge_like_real_servers();
    let state = state_dir("bench-cost");
    let mut cmd = opnc(&pair, &state, args);
    if app_password {
        let token = pair.nextcloud.sim.create_app_password("admin", "the admin's own").expect("admin");
        cmd.env("OPNC_NEXTCLOUD_PASSWORD", token);
    }
    if std::env::var_os("OPNC_BENCH_TRACE").is_some() {
        cmd.env("OPNC_LOG", "opnc_core::http=debug");
    }
    let started = Instant::now();
    let out = output(cmd).await;
    if std::env::var_os("OPNC_BENCH_TRACE").is_some() {
        eprintln!("{}", String::from_utf8_lossy(&out.stderr));
    }
    let seconds = started.elapsed().as_secs_f64();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let count = |c: &opnc_sim::Control| c.requests().iter().filter(|r| !r.internal).count();
    if std::env::var_os("OPNC_BENCH_SHOW_REQUESTS").is_some() {
        for (server, control) in
            [("OpenProject", &pair.openproject.server.control), ("Nextcloud", &pair.nextcloud.server.control)]
        {
            for r in control.requests().iter().filter(|r| !r.internal) {
                println!(
                    "  {server}: {} {} [{}]",
                    r.method,
                    r.path,
                    r.authorization_scheme.clone().unwrap_or_default()
                );
            }
        }
    }
    let run = Run {
        seconds,
        openproject: count(&pair.openproject.server.control),
        nextcloud: count(&pair.nextcloud.server.control),
        verifications: pair.nextcloud.sim.lock().password_verifications,
    };
    let _ = std::fs::remove_dir_all(state);
    run
}

#[tokio::main]
async fn main() {
    opnc_e2e::opnc_binary();
    let runs: usize = std::env::var("OPNC_BENCH_RUNS").ok().and_then(|r| r.parse().ok()).unwrap_or(5);
    for (mode, args, app_password) in [
        ("OAuth only, account password", &["setup", "--yes", "--no-project-folders"][..], false),
        ("with project folders, account password", &["setup", "--yes"][..], false),
        ("OAuth only, app password", &["setup", "--yes", "--no-project-folders"][..], true),
        ("with project folders, app password", &["setup", "--yes"][..], true),
    ] {
        let mut results = Vec::new();
        for _ in 0..runs {
            results.push(once(args, app_password).await);
        }
        results.sort_by(|a, b| a.seconds.total_cmp(&b.seconds));
        let median = &results[runs / 2];
        let times: Vec<String> = results.iter().map(|r| format!("{:.2}", r.seconds)).collect();
        println!(
            "{mode}: median {:.2} s (runs {}), requests: OpenProject {}, Nextcloud {}; Nextcloud password verifications {}",
            median.seconds,
            times.join(" "),
            median.openproject,
            median.nextcloud,
            median.verifications
        );
    }
}
