//! The connection doctor against a connected simulated pair with latency L on every request the tool
//! sends. Prints the diagnosis time in units of L and the request count. Target: ≤ 3 L plus the slowest
//! server-side probe (here Nextcloud's own request to OpenProject, which the simulators do not delay).
//! Run: `cargo bench -p opnc-core --bench diagnose_latency`.

use std::time::{Duration, Instant};

use opnc_core::doctor;
use opnc_core::nextcloud::{NextcloudClient, NextcloudCredentials};
use opnc_core::openproject::{OpenProjectAuth, OpenProjectClient};
use opnc_core::setup::apply::Runner;
use opnc_core::setup::journal::JobStore;
use opnc_core::setup::{plan, preflight, SetupOptions};
use opnc_core::{HttpClient, HttpConfig, SecretString, ServerUrl, UrlPolicy};
use opnc_sim::nextcloud::demo as nc_demo;
use opnc_sim::openproject::demo as op_demo;
use opnc_sim::SimPair;

const L: Duration = Duration::from_millis(50);

#[tokio::main]
async fn main() {
    let runs = 5;
    let mut figures = Vec::new();
    for run in 1..=runs {
        let pair = SimPair::start_default().await.expect("simulators");
        let http = HttpClient::new(HttpConfig::default()).expect("client");
        let url = |u: String| ServerUrl::parse(&u, UrlPolicy::default()).expect("url");
        let op = OpenProjectClient::new(
            http.clone(),
            url(pair.openproject.url()),
            OpenProjectAuth::ApiKey(SecretString::from(op_demo::ADMIN_TOKEN)),
        );
        let nc = NextcloudClient::new(
            http,
            url(pair.nextcloud.url()),
            Some(NextcloudCredentials {
                login_name: nc_demo::ADMIN_LOGIN.into(),
                password: SecretString::from(nc_demo::ADMIN_PASSWORD),
            }),
        );
        let options = SetupOptions::default();
        let report = preflight::run(&op, &nc, &options).await;
        let plan = plan(&report, op.base(), nc.base(), &options).expect("no blockers");
        let store = JobStore::new(std::env::temp_dir().join(format!("opnc-bench-doctor-{}-{run}", std::process::id())));
        let outcome =
            Runner { op: &op, nc: &nc, store: &store, progress: &|_| {}, settle: Duration::ZERO, cancel: None }
                .apply(&plan, &report.facts)
                .await;
        assert!(outcome.succeeded());
        let _ = std::fs::remove_dir_all(store.dir());
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
