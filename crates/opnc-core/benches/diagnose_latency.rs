//! The connection doctor against a connected simulated pair with latency L on every request the tool
//! sends. Prints the diagnosis time in units of L and the request count. Target: ≤ 3 L plus the slowest
//! server-side probe (here Nextcloud's own request to OpenProject, which the simulators do not delay). The probe's
//! time, with what the simulators and the client spend, is measured as the same diagnosis without latency (T0).
//! The timer rounds every sleep up to its next tick, so a round of latency lasts a little longer than L: the
//! figures are also given in the latency as measured (L'), the simulators' sleep of L timed.
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
    let mut sleeps = Vec::new();
    for _ in 0..9 {
        let started = Instant::now();
        tokio::time::sleep(L).await;
        sleeps.push(started.elapsed().as_secs_f64());
    }
    sleeps.sort_by(|a, b| a.total_cmp(b));
    let measured_l = sleeps[sleeps.len() / 2];
    println!("L = {} ms; a sleep of L lasts L' = {:.2} ms here", L.as_millis(), measured_l * 1000.0);
    let runs = 5;
    let mut figures = Vec::new();
    for run in 1..=runs {
        let pair = common::connected_pair(SetupOptions::default()).await;
        let (op, nc) = (common::op_admin(&pair.openproject.url()), common::nc_admin(&pair.nextcloud.url()));
        let id = pair.openproject.sim.state().storages[0].id;
        pair.openproject.sim.enable_in_project(id, 1, "automatic");

        // T0: the same diagnosis without latency — the server-side probe and all processing, no waiting.
        let started = Instant::now();
        assert!(doctor::diagnose(&op, &nc, true, true).await.healthy());
        let t0 = started.elapsed().as_secs_f64() / L.as_secs_f64();

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
        let in_measured_l = elapsed.as_secs_f64() / measured_l;
        println!(
            "run {run}: diagnosis {in_l:.2} L ({} ms at L = {} ms), T0 {t0:.2} L; requests: OpenProject {}, Nextcloud {}",
            elapsed.as_millis(),
            L.as_millis(),
            count(&pair.openproject.server.control),
            count(&pair.nextcloud.server.control)
        );
        if run == 1 {
            print_rounds(started, &pair.openproject.server.control, &pair.nextcloud.server.control);
        }
        figures.push((in_l, t0, in_measured_l));
    }
    let median = |mut v: Vec<f64>| {
        v.sort_by(|a, b| a.total_cmp(b));
        v[v.len() / 2]
    };
    let diagnosis = median(figures.iter().map(|f| f.0).collect());
    let t0 = median(figures.iter().map(|f| f.1).collect());
    let target = 3.0 + t0;
    let in_measured = median(figures.iter().map(|f| f.2).collect());
    println!(
        "median diagnosis in L': {in_measured:.2} L' (target ≤ {target:.2} L'): {}",
        if in_measured <= target { "met" } else { "NOT met" }
    );
    println!(
        "median diagnosis: {diagnosis:.2} L over {runs} runs; target ≤ 3 L + T0 (the slowest server-side probe and \
         processing, {t0:.2} L) = {target:.2} L: {}",
        if diagnosis <= target { "met" } else { "NOT met" }
    );
}

/// Which requests left in which round (their arrival in whole L after the start): the rounds a diagnosis waits
/// for are what its time is made of.
fn print_rounds(started: Instant, op: &opnc_sim::Control, nc: &opnc_sim::Control) {
    let mut all: Vec<(f64, String)> = Vec::new();
    for (side, control) in [("OP", op), ("NC", nc)] {
        for r in control.requests().iter().filter(|r| !r.internal) {
            let at = r.received.duration_since(started).as_secs_f64() / L.as_secs_f64();
            all.push((at, format!("{side} {} {}", r.method, r.path)));
        }
    }
    all.sort_by(|a, b| a.0.total_cmp(&b.0));
    for (at, what) in all {
        println!("  at {at:5.2} L  {what}");
    }
}
