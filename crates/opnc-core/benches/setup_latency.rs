//! The full setup against the simulators with latency L added to every request the tool sends (the
//! simulators' calls to each other are not delayed). Prints the wall time of preflight and of apply
//! (including the proof) in units of L, and the number of requests to each server.
//! Target: preflight + apply + proof ≤ 6 L. Run: `cargo bench -p opnc-core --bench setup_latency`.

// The demo admins' clients, as the tests build them.
#[path = "../tests/common/mod.rs"]
mod common;

use std::time::{Duration, Instant};

use opnc_core::setup::apply::Runner;
use opnc_core::setup::journal::JobStore;
use opnc_core::setup::{plan, preflight, SetupOptions};
use opnc_sim::SimPair;

const L: Duration = Duration::from_millis(50);

#[tokio::main]
async fn main() {
    let runs = 5;
    let mut totals = Vec::new();
    for run in 1..=runs {
        let pair = SimPair::start_default().await.expect("simulators");
        pair.openproject.server.control.set_latency(L);
        pair.nextcloud.server.control.set_latency(L);
        let (op, nc) = (common::op_admin(&pair.openproject.url()), common::nc_admin(&pair.nextcloud.url()));
        let options = SetupOptions::default();
        let store = JobStore::new(std::env::temp_dir().join(format!("opnc-bench-{}-{run}", std::process::id())));
        let started = Instant::now();
        let report = preflight::run(&op, &nc, &options).await;
        let preflight_time = started.elapsed();
        let plan = plan(&report, op.base(), nc.base(), &options).expect("no blockers");
        let runner =
            Runner { op: &op, nc: &nc, store: &store, progress: &|_| {}, settle: Duration::ZERO, cancel: None };
        let apply_started = Instant::now();
        let outcome = runner.apply(&plan, &report.facts).await;
        let apply_time = apply_started.elapsed();
        assert!(outcome.succeeded(), "{:?}", outcome.job.error);
        let total = started.elapsed();
        let count = |c: &opnc_sim::Control| c.requests().iter().filter(|r| !r.internal).count();
        let (op_requests, nc_requests) =
            (count(&pair.openproject.server.control), count(&pair.nextcloud.server.control));
        let in_l = |d: Duration| d.as_secs_f64() / L.as_secs_f64();
        println!(
            "run {run}: preflight {:.2} L, apply+proof {:.2} L, total {:.2} L ({} ms at L = {} ms); requests: OpenProject {op_requests}, Nextcloud {nc_requests}",
            in_l(preflight_time),
            in_l(apply_time),
            in_l(total),
            total.as_millis(),
            L.as_millis()
        );
        totals.push(in_l(total));
        let _ = std::fs::remove_dir_all(store.dir());
    }
    totals.sort_by(|a, b| a.total_cmp(b));
    println!("median total: {:.2} L over {runs} runs (target ≤ 6 L)", totals[runs / 2]);
}
