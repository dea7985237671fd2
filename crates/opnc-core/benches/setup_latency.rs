//! The full setup against the simulators with latency L added to every request the tool sends (the
//! simulators' calls to each other are not delayed), in units of L, with the requests each server received:
//! - unattended (`opnc setup --yes`, a batch): preflight, plan, apply and proof. Target ≤ 5.5 L (the data
//!   dependencies allow 5 L).
//! - confirmed (the desktop wizard, `opnc setup` at a prompt): the review, then — after the admin decided — one
//!   round re-reading what the plan rests on before the first write, then the writes and the proof.
//!
//! Run: `cargo bench -p opnc-core --bench setup_latency`.

use std::time::{Duration, Instant};

use opnc_core::pair::{ConnectedPair, SignIn};
use opnc_core::setup::apply::Runner;
use opnc_core::setup::journal::JobStore;
use opnc_core::setup::{plan, preflight, SetupOptions};
use opnc_sim::nextcloud::demo as nc_demo;
use opnc_sim::openproject::demo as op_demo;
use opnc_sim::SimPair;

const L: Duration = Duration::from_millis(50);

const RUNS: usize = 5;

fn in_l(d: Duration) -> f64 {
    d.as_secs_f64() / L.as_secs_f64()
}

fn count(c: &opnc_sim::Control) -> usize {
    c.requests().iter().filter(|r| !r.internal).count()
}

async fn unattended() -> f64 {
    let mut totals = Vec::new();
    for run in 1..=RUNS {
        let pair = SimPair::start_default().await.expect("simulators");
        let app_password = pair.nextcloud.sim.create_app_password(nc_demo::ADMIN_LOGIN, "bench").expect("admin");
        let http = opnc_core::HttpClient::new(opnc_core::HttpConfig::default()).expect("client");
        let url = |u: &str| opnc_core::ServerUrl::parse(u, opnc_core::UrlPolicy::default()).expect("url");
        let op = opnc_core::openproject::OpenProjectClient::new(
            http.clone(),
            url(&pair.openproject.url()),
            opnc_core::openproject::OpenProjectAuth::ApiKey(op_demo::ADMIN_TOKEN.into()),
        );
        let nc = opnc_core::nextcloud::NextcloudClient::new(
            http,
            url(&pair.nextcloud.url()),
            Some(opnc_core::nextcloud::NextcloudCredentials {
                login_name: nc_demo::ADMIN_LOGIN.into(),
                password: app_password.as_str().into(),
            }),
        );
        pair.openproject.server.control.set_latency(L);
        pair.nextcloud.server.control.set_latency(L);
        let options = SetupOptions::default();
        let store = JobStore::new(std::env::temp_dir().join(format!("opnc-bench-u-{}-{run}", std::process::id())));
        let started = Instant::now();
        let report = preflight::run(&op, &nc, &options).await;
        let preflight_time = started.elapsed();
        let plan = plan(&report, op.base(), nc.base(), &options).expect("no blockers");
        let runner = Runner {
            op: &op,
            nc: &nc,
            store: &store,
            progress: &|_| {},
            settle: Duration::ZERO,
            cancel: None,
            account: None,
        };
        let outcome = runner.apply(&plan, &report.facts).await;
        assert!(outcome.succeeded(), "{:?}", outcome.job.error);
        let total = started.elapsed();
        println!(
            "unattended run {run}: preflight {:.2} L, apply+proof {:.2} L, total {:.2} L ({} ms); requests: OpenProject {}, Nextcloud {}",
            in_l(preflight_time),
            in_l(total - preflight_time),
            in_l(total),
            total.as_millis(),
            count(&pair.openproject.server.control),
            count(&pair.nextcloud.server.control)
        );
        totals.push(in_l(total));
        let _ = std::fs::remove_dir_all(store.dir());
    }
    totals.sort_by(|a, b| a.total_cmp(b));
    totals[RUNS / 2]
}

#[tokio::main]
async fn main() {
    let unattended = unattended().await;
    let runs = RUNS;
    let mut totals = Vec::new();
    for run in 1..=runs {
        let pair = SimPair::start_default().await.expect("simulators");
        // An app password, as a remembered sign-in has: the sign-in itself is not what is timed here.
        let app_password = pair.nextcloud.sim.create_app_password(nc_demo::ADMIN_LOGIN, "bench").expect("admin");
        let request = SignIn {
            openproject_url: pair.openproject.url(),
            openproject_token: Some(op_demo::ADMIN_TOKEN.into()),
            nextcloud_url: pair.nextcloud.url(),
            nextcloud_login: Some(nc_demo::ADMIN_LOGIN.into()),
            nextcloud_password: Some(app_password.as_str().into()),
            allow_insecure_http: false,
            remember: false,
        };
        let keychain = opnc_core::keychain::Keychain::new("opnc-bench-unused");
        let mut connected = ConnectedPair::sign_in(request, None, None, &keychain, true).await.expect("signed in");
        let store = JobStore::new(std::env::temp_dir().join(format!("opnc-bench-{}-{run}", std::process::id())));
        pair.openproject.server.control.clear_requests();
        pair.nextcloud.server.control.clear_requests();
        pair.openproject.server.control.set_latency(L);
        pair.nextcloud.server.control.set_latency(L);
        let started = Instant::now();
        let review = connected.review(SetupOptions::default(), &store).await;
        let review_time = started.elapsed();
        assert!(review.plan.is_some(), "no blockers: {:?}", review.findings);
        let apply_started = Instant::now();
        let result = connected.apply(&store, opnc_core::pair::Confirmation::Confirmed, &|_| {}, None).await;
        let apply_time = apply_started.elapsed();
        assert!(result.succeeded(), "{result:?}");
        let total = review_time + apply_time;
        let (op_requests, nc_requests) =
            (count(&pair.openproject.server.control), count(&pair.nextcloud.server.control));
        println!(
            "confirmed run {run}: review {:.2} L, apply (re-check, writes, proof) {:.2} L, total {:.2} L ({} ms at L = {} ms); requests: OpenProject {op_requests}, Nextcloud {nc_requests}",
            in_l(review_time),
            in_l(apply_time),
            in_l(total),
            total.as_millis(),
            L.as_millis()
        );
        totals.push(in_l(total));
        let _ = std::fs::remove_dir_all(store.dir());
    }
    totals.sort_by(|a, b| a.total_cmp(b));
    println!(
        "median: unattended {unattended:.2} L (target ≤ 5.5 L); confirmed {:.2} L (the same, and one round re-reading what the plan rests on after the decision)",
        totals[runs / 2]
    );
}
