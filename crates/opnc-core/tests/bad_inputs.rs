//! Bad input, one row each: what the admin typed or what the servers are like, and the message and fix
//! the admin sees. Every row must end as a typed error or a preflight finding with a message and a fix —
//! never a panic, never a write. Prints the table (`cargo test --test bad_inputs -- --nocapture`).

mod common;

use std::net::SocketAddr;

use axum::response::IntoResponse;
use axum::Router;
use common::*;
use opnc_core::findings::{FindingCode, Severity};
use opnc_core::setup::{preflight, SetupOptions};
use opnc_core::{ClientError, ErrorCode, Server, ServerUrl, UrlPolicy};
use opnc_sim::nextcloud::demo as nc_demo;
use opnc_sim::openproject::demo as op_demo;
use opnc_sim::{loopback, NextcloudProfile, OpenProjectProfile, SimPair};

struct Row {
    input: String,
    code: String,
    message: String,
    fix: String,
}

/// The row of an error, which must carry `expected`: a code means one thing.
fn from_error(input: &str, e: &ClientError, expected: ErrorCode) -> Row {
    let v = e.view();
    assert_eq!(v.code, expected, "{input}: {v:?}");
    Row { input: input.into(), code: v.code.as_str().into(), message: v.message, fix: v.hint }
}

async fn start(op: OpenProjectProfile, nc: NextcloudProfile) -> SimPair {
    SimPair::start(op, nc, loopback(0), loopback(0)).await.unwrap()
}

fn local_ok(mut nc: NextcloudProfile) -> NextcloudProfile {
    nc.allow_local_remote_servers = true;
    nc
}

/// Runs the preflight and returns the row of the finding with this code.
async fn finding(
    input: &str,
    pair: &SimPair,
    op_token: &str,
    nc_login: &str,
    nc_password: &str,
    code: FindingCode,
) -> Row {
    // Boxed: this test awaits dozens of preflights in one function, on a test thread's stack.
    let report = Box::pin(preflight::run(
        &op(&pair.openproject.url(), op_token),
        &nc(&pair.nextcloud.url(), nc_login, nc_password),
        &SetupOptions::default(),
    ))
    .await;
    let f = report
        .findings
        .iter()
        .find(|f| f.code == code)
        .unwrap_or_else(|| panic!("{input}: no {code:?} in {:#?}", report.findings));
    assert!(f.severity == Severity::Blocker || f.severity == Severity::Warning, "{input}: {f:?}");
    Row {
        input: input.into(),
        code: format!("{:?} ({:?})", f.code, f.severity),
        message: f.message.clone(),
        fix: f.fix.clone().unwrap_or_default(),
    }
}

async fn admin_finding(input: &str, pair: &SimPair, code: FindingCode) -> Row {
    finding(input, pair, op_demo::ADMIN_TOKEN, nc_demo::ADMIN_LOGIN, nc_demo::ADMIN_PASSWORD, code).await
}

async fn spawn(router: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr: SocketAddr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await.ok() });
    format!("http://{addr}")
}

#[tokio::test]
async fn every_bad_input_gets_a_clear_actionable_answer() {
    let mut rows = Vec::new();
    for (text, expected) in [
        ("", ErrorCode::InvalidUrl),
        ("cloud.example.com", ErrorCode::InvalidUrl),
        ("ftp://cloud.example.com", ErrorCode::InvalidUrl),
        ("http://cloud.example.com", ErrorCode::InsecureUrl),
        ("https://admin:secret@cloud.example.com", ErrorCode::InvalidUrl),
        ("https://cloud.example.com/?user=admin", ErrorCode::InvalidUrl),
        ("https://", ErrorCode::InvalidUrl),
    ] {
        let problem = ServerUrl::parse(text, UrlPolicy::default()).unwrap_err();
        rows.push(from_error(&format!("Nextcloud URL `{text}`"), &problem.for_server(Server::Nextcloud), expected));
    }
    let dns = nc_anonymous("https://no-such-host.invalid").status().await.unwrap_err();
    rows.push(from_error("a host name that does not resolve", &dns, ErrorCode::DnsFailed));
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    rows.push(from_error(
        "a port where nothing listens",
        &nc_anonymous(&format!("http://127.0.0.1:{closed}")).status().await.unwrap_err(),
        ErrorCode::ConnectionRefused,
    ));
    let html = spawn(Router::new().fallback(|| async {
        ([(http::header::CONTENT_TYPE, "text/html")], "<html><body>Please log in</body></html>").into_response()
    }))
    .await;
    rows.push(from_error(
        "a login portal instead of OpenProject",
        &op_admin(&html).root().await.unwrap_err(),
        ErrorCode::UnparseableBody,
    ));
    let other = spawn(Router::new().fallback(|| async { "never reached" })).await;
    let target = format!("{other}/api/v3");
    let redirect = spawn(Router::new().fallback(move || {
        let t = target.clone();
        async move { (http::StatusCode::FOUND, [(http::header::LOCATION, t)]).into_response() }
    }))
    .await;
    rows.push(from_error(
        "a redirect to another host",
        &op_admin(&redirect).root().await.unwrap_err(),
        ErrorCode::RedirectedToOtherHost,
    ));
    let bad_json =
        spawn(Router::new().fallback(|| async {
            ([(http::header::CONTENT_TYPE, "application/json")], "{\"_type\": ").into_response()
        }))
        .await;
    rows.push(from_error(
        "an answer that is not valid JSON",
        &op_admin(&bad_json).root().await.unwrap_err(),
        ErrorCode::UnparseableBody,
    ));

    let good = start(OpenProjectProfile::v17(), local_ok(NextcloudProfile::nc34())).await;
    rows.push(
        finding(
            "a wrong OpenProject API token",
            &good,
            "wrong-token",
            nc_demo::ADMIN_LOGIN,
            nc_demo::ADMIN_PASSWORD,
            FindingCode::OpenprojectCredentialsRejected,
        )
        .await,
    );
    rows.push(
        finding(
            "the API token of a non-admin",
            &good,
            op_demo::USER_TOKEN,
            nc_demo::ADMIN_LOGIN,
            nc_demo::ADMIN_PASSWORD,
            FindingCode::OpenprojectNotAdmin,
        )
        .await,
    );
    rows.push(
        finding(
            "a wrong Nextcloud password",
            &good,
            op_demo::ADMIN_TOKEN,
            nc_demo::ADMIN_LOGIN,
            "wrong",
            FindingCode::NextcloudCredentialsRejected,
        )
        .await,
    );
    rows.push(
        finding(
            "a Nextcloud account that is not an admin",
            &good,
            op_demo::ADMIN_TOKEN,
            nc_demo::USER_LOGIN,
            nc_demo::USER_PASSWORD,
            FindingCode::NextcloudNotAdmin,
        )
        .await,
    );
    rows.push(
        finding(
            "a two-factor admin's password",
            &good,
            op_demo::ADMIN_TOKEN,
            nc_demo::TWO_FACTOR_LOGIN,
            nc_demo::TWO_FACTOR_PASSWORD,
            FindingCode::NextcloudCredentialsRejected,
        )
        .await,
    );
    let revoked = good.nextcloud.sim.create_app_password(nc_demo::ADMIN_LOGIN, "old").unwrap();
    good.nextcloud.sim.lock().app_tokens.clear();
    rows.push(
        finding(
            "a revoked app password",
            &good,
            op_demo::ADMIN_TOKEN,
            nc_demo::ADMIN_LOGIN,
            &revoked,
            FindingCode::NextcloudCredentialsRejected,
        )
        .await,
    );

    let old_op = start(OpenProjectProfile::with_version("12.4.0"), local_ok(NextcloudProfile::nc34())).await;
    rows.push(admin_finding("OpenProject 12.4", &old_op, FindingCode::OpenprojectTooOld).await);
    let op14 = start(OpenProjectProfile::with_version("14.0.2"), local_ok(NextcloudProfile::nc34())).await;
    rows.push(admin_finding("OpenProject 14.0", &op14, FindingCode::OpenprojectNeedsStoragesModule).await);
    let mut nc21 = local_ok(NextcloudProfile::nc30());
    nc21.version = "21.0.9.1".into();
    rows.push(
        admin_finding("Nextcloud 21", &start(OpenProjectProfile::v17(), nc21).await, FindingCode::NextcloudTooOld)
            .await,
    );
    let mut no_app = local_ok(NextcloudProfile::nc34());
    no_app.integration_version = None;
    rows.push(
        admin_finding(
            "integration_openproject not installed",
            &start(OpenProjectProfile::v17(), no_app).await,
            FindingCode::IntegrationAppMissing,
        )
        .await,
    );
    let mut disabled = local_ok(NextcloudProfile::nc34());
    disabled.integration_enabled = false;
    rows.push(
        admin_finding(
            "integration_openproject disabled",
            &start(OpenProjectProfile::v17(), disabled).await,
            FindingCode::IntegrationAppDisabled,
        )
        .await,
    );
    let mut old_app = local_ok(NextcloudProfile::nc30());
    old_app.integration_version = Some("2.5.1".into());
    rows.push(
        admin_finding(
            "integration_openproject 2.5.1",
            &start(OpenProjectProfile::v17(), old_app).await,
            FindingCode::IntegrationAppTooOld,
        )
        .await,
    );
    let mut no_gf = local_ok(NextcloudProfile::nc34());
    no_gf.groupfolders_version = None;
    no_gf.groupfolders_enabled = false;
    rows.push(
        admin_finding(
            "project folders without Team folders",
            &start(OpenProjectProfile::v17(), no_gf).await,
            FindingCode::GroupfoldersMissing,
        )
        .await,
    );
    let mut gf_off = local_ok(NextcloudProfile::nc34());
    gf_off.groupfolders_enabled = false;
    rows.push(
        admin_finding(
            "Team folders disabled",
            &start(OpenProjectProfile::v17(), gf_off).await,
            FindingCode::GroupfoldersDisabled,
        )
        .await,
    );
    let mut gf_old = local_ok(NextcloudProfile::nc34());
    gf_old.groupfolders_version = Some("13.1.0".into());
    rows.push(
        admin_finding(
            "Team folders 13.1",
            &start(OpenProjectProfile::v17(), gf_old).await,
            FindingCode::GroupfoldersTooOld,
        )
        .await,
    );
    let mut stripped = local_ok(NextcloudProfile::nc34());
    stripped.strips_bearer_header = true;
    rows.push(
        admin_finding(
            "a web server that strips the Authorization header",
            &start(OpenProjectProfile::v17(), stripped).await,
            FindingCode::AuthorizationHeaderStripped,
        )
        .await,
    );
    rows.push(
        admin_finding(
            "Nextcloud refusing a local OpenProject",
            &start(OpenProjectProfile::v17(), NextcloudProfile::nc34()).await,
            FindingCode::NextcloudCannotReachOpenproject,
        )
        .await,
    );
    let mut maintenance = local_ok(NextcloudProfile::nc34());
    maintenance.maintenance = true;
    rows.push(
        admin_finding(
            "Nextcloud in maintenance mode",
            &start(OpenProjectProfile::v17(), maintenance).await,
            FindingCode::NextcloudMaintenance,
        )
        .await,
    );
    rows.push(
        admin_finding(
            "Nextcloud 30 (no reachability API)",
            &start(OpenProjectProfile::v17(), local_ok(NextcloudProfile::nc30())).await,
            FindingCode::NextcloudReachabilityUnchecked,
        )
        .await,
    );

    let mut renamed = OpenProjectProfile::v17();
    renamed.host_name = Some("openproject.internal:3000".into());
    rows.push(
        admin_finding(
            "OpenProject's host name setting names another address",
            &start(renamed, local_ok(NextcloudProfile::nc34())).await,
            FindingCode::HostNameMismatch,
        )
        .await,
    );

    // Conflicts.
    let taken = start(OpenProjectProfile::v17(), local_ok(NextcloudProfile::nc34())).await;
    let second_nc = opnc_sim::RunningNextcloud::start(NextcloudProfile::nc34(), loopback(0)).await.unwrap();
    let new = |u: &str| opnc_core::openproject::NewStorage {
        name: "Nextcloud".into(),
        nextcloud_url: url(u),
        application_password: None,
    };
    op_admin(&taken.openproject.url()).create_storage(&new(&second_nc.url())).await.unwrap();
    rows.push(
        admin_finding("a storage name already used for another host", &taken, FindingCode::StorageNameTaken).await,
    );
    let host = start(OpenProjectProfile::v17(), local_ok(NextcloudProfile::nc34())).await;
    op_admin(&host.openproject.url()).create_storage(&new(&host.nextcloud.url())).await.unwrap();
    rows.push(
        admin_finding("an unfinished storage for this Nextcloud", &host, FindingCode::StorageExistsForHost).await,
    );
    let elsewhere = start(OpenProjectProfile::v17(), local_ok(NextcloudProfile::nc34())).await;
    let values = opnc_core::nextcloud::SetupValues::oauth2(
        url("https://other-openproject.example.com"),
        "x".into(),
        "y".into(),
        false,
    );
    nc_admin(&elsewhere.nextcloud.url()).create_setup(&values, &opnc_core::version::v(3, 1, 1)).await.unwrap();
    rows.push(
        admin_finding(
            "Nextcloud connected to another OpenProject",
            &elsewhere,
            FindingCode::IntegrationConfiguredForOtherOpenproject,
        )
        .await,
    );
    let group = start(OpenProjectProfile::v17(), local_ok(NextcloudProfile::nc34())).await;
    group.nextcloud.sim.lock().groups.push("OpenProject".into());
    rows.push(
        admin_finding("a group \"OpenProject\" without its user", &group, FindingCode::ProjectFolderGroupConflict)
            .await,
    );

    println!("| # | bad input | code | what the admin sees | fix |");
    println!("|---|---|---|---|---|");
    for (i, row) in rows.iter().enumerate() {
        assert!(!row.message.is_empty() && !row.fix.is_empty(), "{}: message and fix", row.input);
        println!(
            "| {} | {} | `{}` | {} | {} |",
            i + 1,
            row.input,
            row.code,
            row.message.replace('|', "\\|"),
            row.fix.replace('|', "\\|")
        );
    }
    assert!(rows.len() >= 30, "{} rows", rows.len());
}

/// The SSO rows: each bad choice or missing piece is a blocker with evidence and a fix, the plan is refused, and
/// neither server was written to. (A session with only an app password, which cannot confirm user_oidc's writes,
/// is the row in `tests/cli_sso.rs`.)
#[tokio::test]
async fn every_bad_sso_input_is_a_blocker_and_nothing_is_written() {
    use opnc_core::setup::sso::{IdentityProvider, NewProviderChoice, SsoOptions};
    use opnc_sim::idp::{IdpProfile, RunningIdp};
    let sso_op = |version: &str| {
        let mut op = OpenProjectProfile::with_version(version);
        op.available_features = vec!["nextcloud_sso".into()];
        op
    };
    let sso_nc = || local_ok(NextcloudProfile::nc34()).with_sso_apps();
    let idp =
        RunningIdp::start(IdpProfile { token_exchange: false, ..IdpProfile::default() }, loopback(0)).await.unwrap();
    let html =
        RunningIdp::start(IdpProfile { answers_html: true, ..IdpProfile::default() }, loopback(0)).await.unwrap();
    let tls_port = self_signed_tls_port().await;
    let external = |discovery: String, token_exchange: bool, provider: Option<&str>| IdentityProvider::External {
        discovery_url: discovery,
        token_exchange,
        oidc_provider: provider.map(str::to_owned),
    };
    let with_new = |provider: IdentityProvider, identifier: &str| {
        let mut sso = SsoOptions::new(provider);
        sso.new_provider = Some(NewProviderChoice {
            identifier: identifier.into(),
            client_id: "nextcloud".into(),
            client_secret: "s".into(),
        });
        sso.openproject_client_id = Some("openproject".into());
        sso
    };
    let plain = SsoOptions::new;
    let taken = start(sso_op("17.3.0"), sso_nc()).await;
    taken.nextcloud.sim.lock().user_oidc_providers.push(serde_json::json!({
        "id": 3, "identifier": "keycloak", "clientId": "nextcloud", "discoveryEndpoint": idp.discovery_url(),
        "scope": "openid", "settings": { "checkBearer": true }
    }));
    let cases: Vec<(&str, SimPair, SsoOptions, bool, FindingCode)> = vec![
        (
            "SSO: a discovery URL that is not the document",
            start(sso_op("17.3.0"), sso_nc()).await,
            with_new(external(format!("{}/realms/opnc/account", idp.url()), false, None), "kc"),
            false,
            FindingCode::SsoDiscoveryInvalid,
        ),
        (
            "SSO: an identity provider that answers a web page",
            start(sso_op("17.3.0"), sso_nc()).await,
            with_new(external(html.discovery_url(), false, None), "kc"),
            false,
            FindingCode::SsoDiscoveryInvalid,
        ),
        (
            "SSO: an identity provider with a self-signed certificate",
            start(sso_op("17.3.0"), sso_nc()).await,
            with_new(
                external(
                    format!("https://localhost:{tls_port}/realms/main/.well-known/openid-configuration"),
                    false,
                    None,
                ),
                "kc",
            ),
            false,
            FindingCode::SsoDiscoveryUnreachable,
        ),
        (
            "SSO: a malformed discovery address",
            start(sso_op("17.3.0"), sso_nc()).await,
            with_new(external("idp.example.com:xyz".into(), false, None), "kc"),
            false,
            FindingCode::SsoDiscoveryAddressInvalid,
        ),
        (
            "SSO: a user_oidc provider that does not exist",
            start(sso_op("17.3.0"), sso_nc()).await,
            plain(external(idp.discovery_url(), false, Some("nope"))),
            false,
            FindingCode::SsoProviderUnknown,
        ),
        (
            "SSO: a provider to create whose identifier is taken",
            taken,
            with_new(external(idp.discovery_url(), false, None), "keycloak"),
            false,
            FindingCode::SsoProviderExists,
        ),
        (
            "SSO: token exchange asked, the identity provider has none",
            start(sso_op("17.3.0"), sso_nc()).await,
            with_new(external(idp.discovery_url(), true, None), "kc"),
            false,
            FindingCode::SsoTokenExchangeUnsupported,
        ),
        (
            "SSO: no provider named and none to create",
            start(sso_op("17.3.0"), sso_nc()).await,
            plain(external(idp.discovery_url(), false, None)),
            false,
            FindingCode::SsoChoiceIncomplete,
        ),
        (
            "SSO: OpenProject without the Enterprise feature",
            start(OpenProjectProfile::v17(), sso_nc()).await,
            plain(IdentityProvider::NextcloudHub),
            false,
            FindingCode::SsoEnterpriseFeatureMissing,
        ),
        (
            "SSO: OpenProject 15",
            start(sso_op("15.5.0"), sso_nc()).await,
            plain(IdentityProvider::NextcloudHub),
            false,
            FindingCode::SsoOpenprojectTooOld,
        ),
        (
            "SSO: Nextcloud without the oidc app",
            start(sso_op("17.3.0"), local_ok(NextcloudProfile::nc34())).await,
            plain(IdentityProvider::NextcloudHub),
            false,
            FindingCode::SsoNextcloudAppMissing,
        ),
        (
            "SSO: project folders on OpenProject 16.4",
            start(sso_op("16.4.0"), sso_nc()).await,
            plain(IdentityProvider::NextcloudHub),
            true,
            FindingCode::SsoProjectFoldersTooOld,
        ),
    ];
    println!("| # | bad SSO input | code | what the admin sees | fix |");
    println!("|---|---|---|---|---|");
    for (i, (input, pair, sso, project_folders, code)) in cases.into_iter().enumerate() {
        let before = pair.restorable_state();
        let options = SetupOptions { sso: Some(sso), project_folders, ..SetupOptions::default() };
        let op = op(&pair.openproject.url(), op_demo::ADMIN_TOKEN);
        let nc = nc(&pair.nextcloud.url(), nc_demo::ADMIN_LOGIN, nc_demo::ADMIN_PASSWORD);
        let report = preflight::run(&op, &nc, &options).await;
        let f = report
            .findings
            .iter()
            .find(|f| f.code == code)
            .unwrap_or_else(|| panic!("{input}: no {code:?} in {:#?}", report.findings));
        assert_eq!(f.severity, Severity::Blocker, "{input}");
        assert!(!f.evidence.is_empty() && f.fix.as_deref().is_some_and(|x| !x.is_empty()), "{input}: {f:#?}");
        assert!(opnc_core::setup::plan(&report, op.base(), nc.base(), &options).is_err(), "{input}: no plan");
        assert_eq!(pair.restorable_state(), before, "{input}: nothing written");
        println!(
            "| {} | {input} | `{:?}` | {} | {} |",
            i + 1,
            f.code,
            f.message.replace('|', "\\|"),
            f.fix.clone().unwrap_or_default().replace('|', "\\|")
        );
    }
}
