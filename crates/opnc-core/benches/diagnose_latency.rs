//! The connection doctor against a connected simulated pair with latency L on every request the tool
//! sends. Prints the diagnosis time in units of L and the request count. Target: ≤ 3 L plus the slowest
//! server-side probe (here Nextcloud's own request to OpenProject, which the simulators do not delay).
//! Run: `cargo bench -p opnc-core --bench diagnose_latency`.

// The demo admins' clients, as the tests build them.
#[path = "../tests/common/mod.rs"]
mod common;

use std::time::{Duration, Instant};

use opnc_core::doctor;
use opnc_core::setup::SetupOptions;

const L: Duration = Duration::from_millis(50);

#[tokio::main]
async fn main() {
    let runs = 5;
    let mut figures = Vec::new();
    for run in 1..=runs {
        let pair = common::connected_pair(SetupOptions::default()).await;
        let (op, nc) = (common::op_admin(&pair.openproject.url()), common::nc_admin(&pair.nextcloud.url()));
        let id = pair.openproject.sim.state().storages[0].id;
        pair.openproject.sim.enable_in_project(id, 1, "automatic");

        pair.openproject.server.control.set_latency(L);
        pair.nextcloud.server.control.set_latency(L);
        pair.openproject.server.control.clear_requests();
        pair.nextcloud.server.control.clear_requests();
        let started = Instant::now();
        let diagnosis = doctor::diagnose(&op, &nc, true, true).await;
        let elapsed = started.elapsed();
        assert!(diagnosis.healthy(), "{:?}", diagnosis.findings);
        let count = |c: &opnc_sim::Control| c.requests().iter().filter(|r| !r.internal).count();
        let in_l = elapsed.as_secs_f64() / L.as_secs_f64();
        println!(
            "run {run}: diagnosis {in_l:.2} L ({} ms at L = {} ms); requests: OpenProject {}, Nextcloud {}",
            elapsed.as_millis(),
            L.as_millis(),
            count(&pair.openproject.server.control),
            count(&pair.nextcloud.server.control)
        );
        figures.push(in_l);
    }
    figures.sort_by(|a, b| a.total_cmp(b));
    println!(
        "median diagnosis: {:.2} L over {runs} runs (target ≤ 3 L + the slowest server-side probe)",
        figures[runs / 2]
    );
}
