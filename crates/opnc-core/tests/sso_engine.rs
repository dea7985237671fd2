//! The SSO setup as a transaction: a failure at every write of each SSO variant (an error answer, a dropped
//! connection, credentials refused, a timeout whose write lands late) rolls both servers back to the state before,
//! the SSO apps' changes included (an oidc client whose create went unanswered is found on the oidc app's admin
//! page by the client id the setup chose).

mod common;

use common::*;
use http::Method;
use opnc_core::nextcloud::NextcloudCredentials;
use opnc_core::setup::apply::Runner;
use opnc_core::setup::journal::{JobStatus, JobStore};
use opnc_core::setup::sso::{IdentityProvider, NewProviderChoice, SsoOptions};
use opnc_core::setup::{plan, preflight, SetupOptions};
use opnc_core::ErrorCode;
use opnc_sim::idp::{IdpProfile, RunningIdp};
use opnc_sim::nextcloud::demo as nc_demo;
use opnc_sim::{loopback, Fault, FaultAction, NextcloudProfile, OpenProjectProfile, SimPair};

async fn sso_pair() -> SimPair {
    let mut op = OpenProjectProfile::v17();
    op.available_features = vec!["nextcloud_sso".into()];
    let nc = NextcloudProfile { allow_local_remote_servers: true, ..NextcloudProfile::nc34() }.with_sso_apps();
    SimPair::start(op, nc, loopback(0), loopback(0)).await.unwrap()
}

fn hub() -> SetupOptions {
    SetupOptions { sso: Some(SsoOptions::new(IdentityProvider::NextcloudHub)), ..SetupOptions::default() }
}

fn external(discovery: &str) -> SetupOptions {
    let mut sso = SsoOptions::new(IdentityProvider::External {
        discovery_url: discovery.into(),
        token_exchange: true,
        oidc_provider: None,
    });
    sso.openproject_client_id = Some("openproject".into());
    sso.new_provider = Some(NewProviderChoice {
        identifier: "keycloak".into(),
        client_id: "nextcloud".into(),
        client_secret: "nextcloud-secret".into(),
    });
    SetupOptions { sso: Some(sso), ..SetupOptions::default() }
}

fn store() -> JobStore {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos();
    JobStore::new(std::env::temp_dir().join(format!("opnc-sso-engine-{}-{nanos:x}", std::process::id())))
}

async fn run_setup(pair: &SimPair, options: &SetupOptions) -> opnc_core::setup::apply::Outcome {
    apply_quickly(pair, options, true).await
}

#[tokio::test]
async fn a_failure_at_every_sso_write_rolls_both_sides_back() {
    let idp = RunningIdp::start(IdpProfile::default(), loopback(0)).await.unwrap();
    // (variant, options, the writes: on Nextcloud?, method, path)
    type Writes = Vec<(bool, Method, &'static str)>;
    let variants: [(&str, SetupOptions, Writes); 2] = [
        (
            "hub",
            hub(),
            vec![
                (true, Method::POST, "/index.php/apps/oidc/clients"),
                (true, Method::POST, "/index.php/apps/oidc/refreshExpire"),
                (true, Method::POST, "/apps/user_oidc/api/v1/admin-config"),
                (false, Method::POST, "/api/v3/storages"),
                (true, Method::POST, "/index.php/apps/integration_openproject/setup"),
                (false, Method::PATCH, "/api/v3/storages/"),
            ],
        ),
        (
            "external",
            external(&idp.discovery_url()),
            vec![
                (true, Method::POST, "/apps/user_oidc/api/v1/provider"),
                (true, Method::POST, "/apps/user_oidc/api/v1/admin-config"),
                (false, Method::POST, "/api/v3/storages"),
                (true, Method::POST, "/index.php/apps/integration_openproject/setup"),
                (false, Method::PATCH, "/api/v3/storages/"),
            ],
        ),
    ];
    let faults = [
        ("500", FaultAction::Status { status: 500, body: r#"{"error":"Internal error"}"#.into() }),
        ("dropped", FaultAction::Drop),
        ("401", FaultAction::Status { status: 401, body: r#"{"message":""}"#.into() }),
        ("timeout", FaultAction::Delay(std::time::Duration::from_millis(1000))),
    ];
    let (mut converged, mut total) = (0, 0);
    for (variant, options, steps) in &variants {
        for (on_nextcloud, method, path) in steps {
            for (name, action) in &faults {
                total += 1;
                let cell = format!("{variant}: {method} {path} × {name}");
                let pair = sso_pair().await;
                let before = pair.restorable_state();
                let control =
                    if *on_nextcloud { &pair.nextcloud.server.control } else { &pair.openproject.server.control };
                control.add_fault(Fault::on(method.clone(), path, 1, action.clone()));
                let outcome = run_setup(&pair, options).await;
                assert!(!outcome.succeeded(), "{cell}");
                assert_eq!(outcome.job.status, JobStatus::RolledBack, "{cell}: {:#?}", outcome.job);
                assert!(outcome.job.rollback_error.is_none(), "{cell}");
                assert_eq!(pair.restorable_state(), before, "{cell}: both sides as before");
                converged += 1;
            }
        }
    }
    eprintln!("SSO fault matrix: {converged}/{total} cells rolled back to the state before");
    assert_eq!(converged, total);
}

#[tokio::test]
async fn an_app_password_cannot_confirm_user_oidc_writes_so_nothing_is_written() {
    let pair = sso_pair().await;
    let op = op_admin(&pair.openproject.url());
    let nc = nc_admin(&pair.nextcloud.url());
    let app_password = pair.nextcloud.sim.create_app_password(nc_demo::ADMIN_LOGIN, "test").unwrap();
    let with_app_password = nc.with_credentials(NextcloudCredentials {
        login_name: nc_demo::ADMIN_LOGIN.into(),
        password: opnc_core::SecretString::from(app_password),
    });
    let before = pair.restorable_state();
    let report = preflight::run(&op, &with_app_password, &hub()).await;
    let plan = plan(&report, op.base(), with_app_password.base(), &hub()).unwrap();
    let store = store();
    // No account client: the user_oidc step stops, and what was made before it is undone.
    let runner = Runner {
        op: &op,
        nc: &with_app_password,
        store: &store,
        progress: &|_| {},
        settle: std::time::Duration::ZERO,
        cancel: None,
        account: None,
    };
    let outcome = runner.apply(&plan, &report.facts).await;
    assert_eq!(outcome.job.status, JobStatus::RolledBack, "{:#?}", outcome.job);
    assert_eq!(outcome.job.error.unwrap().code, ErrorCode::PasswordConfirmationRequired);
    assert_eq!(pair.restorable_state(), before);
}

/// A conversion of a working two-way OAuth pair to SSO as a transaction too: a failure at each of its writes puts
/// both sides back to two-way OAuth, still connected.
#[tokio::test]
async fn a_failure_at_every_conversion_write_puts_both_methods_back() {
    let writes: [(bool, Method, &str); 5] = [
        (true, Method::POST, "/index.php/apps/oidc/clients"),
        (true, Method::POST, "/index.php/apps/oidc/refreshExpire"),
        (true, Method::POST, "/apps/user_oidc/api/v1/admin-config"),
        (false, Method::PATCH, "/api/v3/storages/"),
        (true, Method::PATCH, "/index.php/apps/integration_openproject/setup"),
    ];
    let faults = [
        ("500", FaultAction::Status { status: 500, body: r#"{"error":"Internal error"}"#.into() }),
        ("dropped", FaultAction::Drop),
        ("timeout", FaultAction::Delay(std::time::Duration::from_millis(1000))),
    ];
    let (mut converged, mut total) = (0, 0);
    for (on_nextcloud, method, path) in &writes {
        for (name, action) in &faults {
            total += 1;
            let cell = format!("conversion: {method} {path} × {name}");
            let pair = sso_pair().await;
            let oauth = SetupOptions::default();
            assert!(run_setup(&pair, &oauth).await.succeeded(), "{cell}: the OAuth pair");
            let before = pair.restorable_state();
            let control = if *on_nextcloud { &pair.nextcloud.server.control } else { &pair.openproject.server.control };
            control.add_fault(Fault::on(method.clone(), path, 1, action.clone()));
            let outcome = run_setup(&pair, &hub()).await;
            assert_eq!(outcome.job.status, JobStatus::RolledBack, "{cell}: {:#?}", outcome.job);
            assert!(outcome.job.rollback_error.is_none(), "{cell}");
            // A switch that landed late leaves Nextcloud's SSO keys behind, unused in two-way OAuth mode:
            // integration_openproject refuses empty values, so nothing can clear them (the plan says so).
            let without_sso_keys = |state: String| {
                let (head, tail) = state.split_once(", sso ").unwrap();
                format!("{head}{}", &tail[tail.find(", oauth clients").unwrap()..])
            };
            assert_eq!(
                without_sso_keys(pair.restorable_state()),
                without_sso_keys(before.clone()),
                "{cell}: both sides as before"
            );
            let storage = &pair.openproject.sim.state().storages[0];
            assert!(!storage.sso() && storage.configured(), "{cell}: still two-way OAuth");
            converged += 1;
        }
    }
    eprintln!("conversion fault matrix: {converged}/{total} cells put both methods back");
}

/// OpenProject before 16.3 drops `tokenExchangeScope` when a storage is created (opf/openproject#66442): the setup
/// sets it with a PATCH and proves it is there.
#[tokio::test]
async fn the_exchange_scope_is_set_on_openproject_16_2_too() {
    let idp = RunningIdp::start(IdpProfile::default(), loopback(0)).await.unwrap();
    let mut op = OpenProjectProfile::with_version("16.2.1");
    op.available_features = vec!["nextcloud_sso".into()];
    let nc = NextcloudProfile { allow_local_remote_servers: true, ..NextcloudProfile::nc34() }.with_sso_apps();
    let pair = SimPair::start(op, nc, loopback(0), loopback(0)).await.unwrap();
    let mut options = external(&idp.discovery_url());
    options.project_folders = false;
    if let Some(sso) = options.sso.as_mut() {
        sso.token_exchange_scope = Some("add-nextcloud-audience".into());
    }
    let outcome = run_setup(&pair, &options).await;
    assert!(outcome.succeeded(), "{:#?}", outcome.job);
    let storage = pair.openproject.sim.state().storages[0].clone();
    assert_eq!(storage.token_exchange_scope.as_deref(), Some("add-nextcloud-audience"));
    assert!(outcome.job.events.iter().any(|e| matches!(&e.kind, opnc_core::setup::journal::EventKind::Changed { what, .. } if what.contains("token exchange scope"))));
}
