//! OpenProject's web side against the simulator: the password sign-in (2FA, SSO-only, wrong password, CSRF),
//! API v3 over the session, and the three admin actions with their version gates and fallbacks.

mod common;

use common::{connected_pair, http, nc_admin, op_admin, url};
use opnc_core::openproject::{OpenProjectClient, Project};
use opnc_core::openproject_web::{self, AdminPages, FolderMode, WebSession, TURBO_ACCEPT};
use opnc_core::setup::projects;
use opnc_core::setup::reset;
use opnc_core::setup::SetupOptions;
use opnc_core::version::v;
use opnc_core::{ErrorCode, SecretString};
use opnc_sim::openproject::demo;
use opnc_sim::{NextcloudProfile, OpenProjectProfile, SimPair};

async fn sign_in(base: &str, login: &str) -> Result<WebSession, opnc_core::ClientError> {
    openproject_web::password_sign_in(&http(), &url(base), login, &SecretString::from(demo::PASSWORD)).await
}

async fn pages(base: &str) -> AdminPages {
    let session = sign_in(base, "admin").await.expect("admin signs in");
    let version = op_admin(base).root().await.expect("root").version();
    AdminPages::new(http(), url(base), session, version)
}

async fn pair_with(op: OpenProjectProfile) -> SimPair {
    let mut nc = NextcloudProfile::nc34();
    nc.allow_local_remote_servers = true;
    SimPair::start(op, nc, opnc_sim::loopback(0), opnc_sim::loopback(0)).await.expect("sims")
}

#[tokio::test]
async fn password_sign_in_gives_a_session_the_api_accepts_for_reads_and_writes() {
    let pair = SimPair::start_default().await.unwrap();
    let base = pair.openproject.url();
    let session = sign_in(&base, "admin").await.expect("signed in");
    assert_eq!(format!("{session:?}"), "WebSession(<redacted>)");
    let op = OpenProjectClient::new(http(), url(&base), session.auth());
    let me = op.me().await.expect("me over the session");
    assert!(me.admin, "{me:?}");
    assert!(op.root().await.unwrap().is_admin());
    // A write over the session (the client adds X-Requested-With) works like with a token.
    let created = op
        .create_storage(&opnc_core::openproject::NewStorage {
            name: "Over the session".into(),
            nextcloud_url: url(&pair.nextcloud.url()),
            application_password: None,
        })
        .await
        .expect("storage created over the session");
    assert!(created.oauth_client_secret.is_some());
    // Without X-Requested-With the session does not apply: the write is anonymous and refused.
    let (client, cookie, _) = raw_session(&base).await;
    let storage = format!("{base}/api/v3/storages/{}", created.storage.id);
    let raw = client.delete(&storage).header("cookie", &cookie).send().await.unwrap();
    assert_eq!(raw.status(), 401);
    assert_eq!(pair.openproject.sim.state().storages.len(), 1, "nothing deleted");
    let raw = client.get(&storage).header("cookie", &cookie).send().await.unwrap();
    assert_eq!(raw.status(), 200, "reads need only the cookie");
}

#[tokio::test]
async fn two_factor_accounts_are_refused_without_a_browser() {
    let pair = SimPair::start_default().await.unwrap();
    let e = sign_in(&pair.openproject.url(), "admin2fa").await.expect_err("2FA");
    assert_eq!(e.code(), ErrorCode::TwoFactorRequiresBrowserSignIn);
    assert!(e.hint().contains("window") && e.hint().contains("API token"), "{}", e.hint());
}

#[tokio::test]
async fn sso_only_instances_are_detected_and_direct_login_still_allows_the_internal_form() {
    let pair = SimPair::start_default().await.unwrap();
    let base = pair.openproject.url();
    pair.openproject.sim.lock().web_login.direct_login_provider = Some("keycloak".into());
    // A direct-login provider alone: /login redirects to the IdP, but /login/internal still has the form.
    sign_in(&base, "admin").await.expect("the internal form still works");
    pair.openproject.sim.lock().web_login.password_login_disabled = true;
    let e = sign_in(&base, "admin").await.expect_err("SSO only");
    assert_eq!(e.code(), ErrorCode::SingleSignOnOnly);
    pair.openproject.sim.lock().web_login.direct_login_provider = None;
    let e = sign_in(&base, "admin").await.expect_err("password login disabled, no direct provider");
    assert_eq!(e.code(), ErrorCode::SingleSignOnOnly);
}

#[tokio::test]
async fn a_wrong_password_is_rejected_once_and_not_retried() {
    let pair = SimPair::start_default().await.unwrap();
    let base = pair.openproject.url();
    let e = openproject_web::password_sign_in(&http(), &url(&base), "admin", &SecretString::from("wrong"))
        .await
        .expect_err("wrong password");
    assert_eq!(e.code(), ErrorCode::CredentialsRejected);
    assert!(e.hint().contains("20 failed attempts"), "{}", e.hint());
    let admin = pair.openproject.sim.state().users.into_iter().find(|u| u.login == "admin").unwrap();
    assert_eq!(admin.failed_logins, 1, "exactly one attempt");
}

#[tokio::test]
async fn the_session_id_rotates_on_login() {
    let pair = SimPair::start_default().await.unwrap();
    let base = pair.openproject.url();
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let page = client.get(format!("{base}/login")).send().await.unwrap();
    let before = page.headers()["set-cookie"].to_str().unwrap().split(';').next().unwrap().to_owned();
    let html = page.text().await.unwrap();
    let token = opnc_core::html_scan::meta(&html, "csrf-token").unwrap().attr("content").unwrap().to_owned();
    let answer = client
        .post(format!("{base}/login"))
        .header("cookie", &before)
        .form(&[("username", "admin"), ("password", demo::PASSWORD), ("authenticity_token", &token)])
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 302);
    let after = answer.headers()["set-cookie"].to_str().unwrap().split(';').next().unwrap().to_owned();
    assert_ne!(before, after, "a new session id after login");
    // The old id is no session any more; the new one is the admin's.
    let me = |cookie: String| {
        let client = client.clone();
        let base = base.clone();
        async move { client.get(format!("{base}/api/v3/users/me")).header("cookie", cookie).send().await.unwrap().status() }
    };
    assert_eq!(me(before).await, 401);
    assert_eq!(me(after).await, 200);
}

/// Signs in by hand and returns the raw cookie and a CSRF token of an admin page.
async fn raw_session(base: &str) -> (reqwest::Client, String, String) {
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let page = client.get(format!("{base}/login")).send().await.unwrap();
    let first = page.headers()["set-cookie"].to_str().unwrap().split(';').next().unwrap().to_owned();
    let html = page.text().await.unwrap();
    let token = opnc_core::html_scan::meta(&html, "csrf-token").unwrap().attr("content").unwrap().to_owned();
    let answer = client
        .post(format!("{base}/login"))
        .header("cookie", &first)
        .form(&[("username", "admin"), ("password", demo::PASSWORD), ("authenticity_token", &token)])
        .send()
        .await
        .unwrap();
    let cookie = answer.headers()["set-cookie"].to_str().unwrap().split(';').next().unwrap().to_owned();
    let html = client.get(format!("{base}/")).header("cookie", &cookie).send().await.unwrap().text().await.unwrap();
    let token = opnc_core::html_scan::meta(&html, "csrf-token").unwrap().attr("content").unwrap().to_owned();
    (client, cookie, token)
}

#[tokio::test]
async fn a_bad_csrf_token_is_a_422_that_ends_the_session() {
    let pair = connected_pair(SetupOptions::default()).await;
    let base = pair.openproject.url();
    let storage_id = pair.openproject.sim.state().storages[0].id;
    let (client, cookie, _) = raw_session(&base).await;
    let answer = client
        .post(format!("{base}/admin/settings/storages/{storage_id}/replace_oauth_application"))
        .header("cookie", &cookie)
        .header("accept", TURBO_ACCEPT)
        .header("x-csrf-token", "bm90IGEgdG9rZW4=")
        .form(&[("_method", "delete")])
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 422);
    let before = pair.openproject.sim.state().storages[0].oauth_app.clone().unwrap().client_id;
    let me = client.get(format!("{base}/api/v3/users/me")).header("cookie", &cookie).send().await.unwrap();
    assert_eq!(me.status(), 401, "the session ended with the CSRF failure");
    assert_eq!(
        pair.openproject.sim.state().storages[0].oauth_app.clone().unwrap().client_id,
        before,
        "nothing replaced"
    );
}

#[tokio::test]
async fn a_browser_like_accept_header_replaces_then_answers_406_the_trap_the_client_avoids() {
    let pair = connected_pair(SetupOptions::default()).await;
    let base = pair.openproject.url();
    let storage_id = pair.openproject.sim.state().storages[0].id;
    let before = pair.openproject.sim.state().storages[0].oauth_app.clone().unwrap();
    let (client, cookie, token) = raw_session(&base).await;
    let answer = client
        .post(format!("{base}/admin/settings/storages/{storage_id}/replace_oauth_application"))
        .header("cookie", &cookie)
        .header("accept", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8")
        .header("x-csrf-token", &token)
        .form(&[("_method", "delete")])
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 406);
    let body = answer.text().await.unwrap();
    let after = pair.openproject.sim.state().storages[0].oauth_app.clone().unwrap();
    assert_ne!(after.client_id, before.client_id, "the write happened before the 406");
    assert!(!body.contains(&after.client_secret), "and the new secret was never shown");
}

#[tokio::test]
async fn replacing_openproject_oauth_reads_the_secret_once_and_gives_it_to_nextcloud() {
    let pair = connected_pair(SetupOptions::default()).await;
    let base = pair.openproject.url();
    let op = op_admin(&base);
    let nc = nc_admin(&pair.nextcloud.url());
    let storage = op.storages().await.unwrap().remove(0);
    let before = storage.oauth_application.clone().unwrap().client_id;
    let web = pages(&base).await;
    let outcome = reset::replace_openproject_oauth(&op, &nc, &web, &storage).await.expect("replaced");
    assert!(outcome.proof.ok(), "{:?}", outcome.proof);
    let op_state = pair.openproject.sim.state();
    let app = op_state.storages[0].oauth_app.clone().unwrap();
    assert_ne!(app.client_id, before);
    let nc_state = pair.nextcloud.sim.state();
    assert_eq!(nc_state.app_config.get("openproject_client_id"), Some(&app.client_id));
    assert_eq!(nc_state.app_config.get("openproject_client_secret"), Some(&app.client_secret));
}

#[tokio::test]
async fn a_406_after_the_replace_stops_with_what_to_do() {
    let pair = connected_pair(SetupOptions::default()).await;
    let base = pair.openproject.url();
    let op = op_admin(&base);
    let nc = nc_admin(&pair.nextcloud.url());
    let storage = op.storages().await.unwrap().remove(0);
    let web = pages(&base).await;
    let before = storage.oauth_application.clone().unwrap().client_id;
    // A reverse proxy that rewrites Accept to a browser's: OpenProject replaces, then answers 406.
    pair.openproject.sim.lock().proxy_rewrites_accept = true;
    let e = reset::replace_openproject_oauth(&op, &nc, &web, &storage).await.expect_err("not shown");
    assert_eq!(e.error.code, ErrorCode::ResultNotShown);
    assert!(e.error.hint.contains("Replace OpenProject OAuth") && e.error.hint.contains("/edit"), "{}", e.error.hint);
    assert!(!e.done.is_empty());
    let now = pair.openproject.sim.state().storages[0].oauth_app.clone().unwrap().client_id;
    assert_ne!(now, before, "the old application is gone, as the error says");
}

/// A pair on `profile`, set up through the engine with an API token (the storage exists and is configured).
async fn connected_on(profile: OpenProjectProfile) -> SimPair {
    use opnc_core::setup::{apply::Runner, journal::JobStore, plan, preflight};
    let pair = pair_with(profile).await;
    let op = op_admin(&pair.openproject.url());
    let nc = nc_admin(&pair.nextcloud.url());
    let options = SetupOptions::default();
    let report = preflight::run(&op, &nc, &options).await;
    let plan = plan(&report, op.base(), nc.base(), &options).expect("no blockers");
    let dir = tempdir("web");
    let store = JobStore::new(&dir);
    let runner = Runner {
        op: &op,
        nc: &nc,
        store: &store,
        progress: &|_| {},
        settle: std::time::Duration::ZERO,
        cancel: None,
        account: None,
    };
    assert!(runner.apply(&plan, &report.facts).await.succeeded());
    let _ = std::fs::remove_dir_all(dir);
    pair
}

fn tempdir(tag: &str) -> std::path::PathBuf {
    static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    std::env::temp_dir().join(format!("opnc-{tag}-{}-{n}", std::process::id()))
}

async fn projects_named(base: &str, identifiers: &[&str]) -> Vec<Project> {
    let all = op_admin(base).all_projects(&[]).await.unwrap();
    identifiers.iter().map(|i| all.iter().find(|p| p.identifier == *i).cloned().expect(i)).collect()
}

fn linked(pair: &SimPair) -> Vec<(i64, String)> {
    let mut l: Vec<(i64, String)> =
        pair.openproject.sim.state().project_storages.iter().map(|ps| (ps.project_id, ps.mode.clone())).collect();
    l.sort();
    l
}

fn web_posts(pair: &SimPair) -> Vec<String> {
    pair.openproject
        .server
        .control
        .requests()
        .into_iter()
        .filter(|r| r.method == "POST" && !r.path.starts_with("/api/") && r.path != "/login")
        .map(|r| r.path)
        .collect()
}

#[tokio::test]
async fn three_projects_one_enabled_one_archived_are_added_skipped_and_reported_14_5_bulk_form() {
    let pair = connected_pair(SetupOptions::default()).await;
    let base = pair.openproject.url();
    let storage_id = pair.openproject.sim.state().storages[0].id;
    pair.openproject.sim.enable_in_project(storage_id, 2, "inactive");
    let web = pages(&base).await;
    let wanted = projects_named(&base, &["demo-project", "scrum-project", "archived-2023"]).await;
    pair.openproject.server.control.clear_requests();
    let outcome =
        projects::enable(&op_admin(&base), Some(&web), storage_id, &wanted, &FolderMode::Inactive).await.unwrap();
    assert_eq!(outcome.added, vec!["Demo project"]);
    assert_eq!(outcome.already, vec!["Scrum project"]);
    assert_eq!(outcome.archived, vec!["Archived 2023"]);
    assert!(outcome.refused.is_empty() && outcome.handoff_pages.is_empty(), "{outcome:?}");
    assert_eq!(linked(&pair), vec![(1, "inactive".into()), (2, "inactive".into())]);
    assert_eq!(
        web_posts(&pair),
        vec![format!("/admin/settings/storages/{storage_id}/project_storages")],
        "one bulk form"
    );
}

#[tokio::test]
async fn automatic_folders_are_refused_by_openproject_when_the_storage_has_no_app_password() {
    let pair = connected_pair(SetupOptions { project_folders: false, ..SetupOptions::default() }).await;
    let base = pair.openproject.url();
    let storage_id = pair.openproject.sim.state().storages[0].id;
    let web = pages(&base).await;
    let wanted = projects_named(&base, &["demo-project"]).await;
    let outcome =
        projects::enable(&op_admin(&base), Some(&web), storage_id, &wanted, &FolderMode::Automatic).await.unwrap();
    assert!(outcome.added.is_empty());
    assert_eq!(outcome.refused.len(), 1);
    assert!(outcome.refused[0].reason.english().contains("not available"), "{:?}", outcome.refused);
    assert!(linked(&pair).is_empty());
}

#[tokio::test]
async fn before_14_5_each_project_gets_its_own_form() {
    let pair = connected_on(OpenProjectProfile::with_version("14.4.0")).await;
    let base = pair.openproject.url();
    let storage_id = pair.openproject.sim.state().storages[0].id;
    let web = pages(&base).await;
    let wanted = projects_named(&base, &["demo-project", "scrum-project"]).await;
    pair.openproject.server.control.clear_requests();
    let outcome =
        projects::enable(&op_admin(&base), Some(&web), storage_id, &wanted, &FolderMode::Inactive).await.unwrap();
    assert_eq!(outcome.added, vec!["Demo project", "Scrum project"]);
    assert_eq!(
        web_posts(&pair),
        vec!["/projects/demo-project/settings/project_storages", "/projects/scrum-project/settings/project_storages"]
    );
}

#[tokio::test]
async fn before_14_1_the_storages_module_is_turned_on_keeping_every_other_module() {
    let pair = connected_on(OpenProjectProfile::with_version("13.0.2")).await;
    let base = pair.openproject.url();
    let storage_id = pair.openproject.sim.state().storages[0].id;
    pair.openproject.sim.lock().projects[0].enabled_modules =
        vec!["work_package_tracking".into(), "wiki".into(), "meetings".into()];
    let web = pages(&base).await;
    let wanted = projects_named(&base, &["demo-project"]).await;
    pair.openproject.server.control.clear_requests();
    let outcome =
        projects::enable(&op_admin(&base), Some(&web), storage_id, &wanted, &FolderMode::Inactive).await.unwrap();
    assert_eq!(outcome.added, vec!["Demo project"], "{outcome:?}");
    let modules = pair.openproject.sim.state().projects[0].enabled_modules.clone();
    assert_eq!(modules, vec!["work_package_tracking", "wiki", "meetings", "storages"], "the full list was sent");
    // 13.0 still has the old `projects_storages` path.
    assert_eq!(
        web_posts(&pair),
        vec!["/projects/demo-project/settings/modules", "/projects/demo-project/settings/projects_storages"]
    );
}

#[tokio::test]
async fn without_a_session_or_version_the_hand_off_pages_are_returned_and_nothing_is_written() {
    let pair = connected_pair(SetupOptions::default()).await;
    let base = pair.openproject.url();
    let storage_id = pair.openproject.sim.state().storages[0].id;
    let wanted = projects_named(&base, &["demo-project"]).await;
    let outcome = projects::enable(&op_admin(&base), None, storage_id, &wanted, &FolderMode::Inactive).await.unwrap();
    // 17.3 (read from the API) has the storage's own projects page.
    assert_eq!(outcome.handoff_pages, vec![format!("{base}/admin/settings/storages/{storage_id}/project_storages")]);
    let session = sign_in(&base, "admin").await.unwrap();
    let unknown = AdminPages::new(http(), url(&base), session, None);
    let outcome =
        projects::enable(&op_admin(&base), Some(&unknown), storage_id, &wanted, &FolderMode::Inactive).await.unwrap();
    assert!(outcome.handoff_reason.unwrap().english().contains("version"));
    assert!(linked(&pair).is_empty());
}

#[tokio::test]
async fn a_page_that_does_not_look_like_its_version_is_not_trusted() {
    // The server is 13.0 (no Primer replace form on the edit page) but the client was told 17.3.
    let pair = connected_on(OpenProjectProfile::with_version("13.0.2")).await;
    let base = pair.openproject.url();
    let before = pair.openproject.sim.state().storages[0].oauth_app.clone().unwrap().client_id;
    let storage_id = pair.openproject.sim.state().storages[0].id;
    let session = sign_in(&base, "admin").await.unwrap();
    let wrong = AdminPages::new(http(), url(&base), session, Some(v(17, 3, 0)));
    let e = wrong.replace_oauth_application(storage_id).await.expect_err("shape check");
    assert_eq!(e.code(), ErrorCode::PageNotRecognized);
    assert_eq!(pair.openproject.sim.state().storages[0].oauth_app.clone().unwrap().client_id, before, "nothing sent");
}

#[tokio::test]
async fn up_to_13_0_the_replace_answers_a_full_page_which_is_read_too() {
    let pair = connected_on(OpenProjectProfile::with_version("13.0.2")).await;
    let base = pair.openproject.url();
    let storage_id = pair.openproject.sim.state().storages[0].id;
    let web = pages(&base).await;
    let replaced = web.replace_oauth_application(storage_id).await.expect("legacy page read");
    let app = pair.openproject.sim.state().storages[0].oauth_app.clone().unwrap();
    assert_eq!(replaced.client_id, app.client_id);
    assert_eq!(replaced.client_secret.expose(), &app.client_secret);
}

#[tokio::test]
async fn the_health_report_runs_from_16_0_and_is_read_check_by_check() {
    let pair = connected_pair(SetupOptions::default()).await;
    let base = pair.openproject.url();
    let storage_id = pair.openproject.sim.state().storages[0].id;
    let web = pages(&base).await;
    let text = web.health_report(storage_id).await.expect("report");
    let checks = openproject_web::parse_health_report(&text);
    let state = |check: &str| checks.iter().find(|c| c.check == check).map(|c| (c.state.clone(), c.code.clone()));
    assert_eq!(state("storage_configured"), Some(("success".into(), None)));
    assert_eq!(state("host_url_accessible"), Some(("success".into(), None)));
    assert_eq!(state("existing_token"), Some(("warning".into(), Some("nc_oauth_token_missing".into()))));
    pair.openproject.sim.lock().nextcloud_unreachable = true;
    let checks = openproject_web::parse_health_report(&web.health_report(storage_id).await.unwrap());
    let host = checks.iter().find(|c| c.check == "host_url_accessible").unwrap();
    assert_eq!((host.state.as_str(), host.code.as_deref()), ("failure", Some("nc_host_not_found")));
}

#[tokio::test]
async fn before_16_0_there_is_no_health_report_to_run() {
    let pair = connected_on(OpenProjectProfile::v14()).await;
    let base = pair.openproject.url();
    let storage_id = pair.openproject.sim.state().storages[0].id;
    let e = pages(&base).await.health_report(storage_id).await.expect_err("gate");
    assert_eq!(e.code(), ErrorCode::PageNotRecognized);
    assert!(e.message().contains("16.0"), "{}", e.message());
}

#[tokio::test]
async fn an_ended_session_is_named_and_nothing_is_retried() {
    let pair = connected_pair(SetupOptions::default()).await;
    let base = pair.openproject.url();
    let storage_id = pair.openproject.sim.state().storages[0].id;
    let web = pages(&base).await;
    pair.openproject.sim.lock().sessions.clear();
    pair.openproject.server.control.clear_requests();
    let e = web.add_projects(storage_id, &[1], &FolderMode::Inactive).await.expect_err("ended");
    assert_eq!(e.code(), ErrorCode::SessionEnded);
    assert!(web_posts(&pair).is_empty(), "the write was never sent");
    assert!(linked(&pair).is_empty());
}

#[tokio::test]
async fn in_a_browser_the_two_factor_stage_completes_with_the_code_and_a_wrong_code_starts_over() {
    let pair = SimPair::start_default().await.unwrap();
    let base = pair.openproject.url();
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let cookie_of = |r: &reqwest::Response| {
        r.headers().get("set-cookie").map(|c| c.to_str().unwrap().split(';').next().unwrap().to_owned())
    };
    let token_in =
        |html: &str| opnc_core::html_scan::meta(html, "csrf-token").unwrap().attr("content").unwrap().to_owned();
    for (code, expected_end) in [("000000", "/login"), (demo::TOTP_CODE, "/")] {
        let page = client.get(format!("{base}/login")).send().await.unwrap();
        let cookie = cookie_of(&page).unwrap();
        let token = token_in(&page.text().await.unwrap());
        let answer = client
            .post(format!("{base}/login"))
            .header("cookie", &cookie)
            .form(&[("username", "admin2fa"), ("password", demo::PASSWORD), ("authenticity_token", &token)])
            .send()
            .await
            .unwrap();
        assert_eq!(answer.headers()["location"], "/two_factor_authentication/request");
        assert!(cookie_of(&answer).is_none(), "no session yet: the password alone is not a sign-in");
        let otp_page = client
            .get(format!("{base}/two_factor_authentication/request"))
            .header("cookie", &cookie)
            .send()
            .await
            .unwrap();
        let html = otp_page.text().await.unwrap();
        assert!(html.contains("id=\"submit_otp\""), "{html}");
        let confirm = client
            .post(format!("{base}/two_factor_authentication/confirm"))
            .header("cookie", &cookie)
            .form(&[("otp", code), ("authenticity_token", &token_in(&html))])
            .send()
            .await
            .unwrap();
        let stage = confirm.headers()["location"].to_str().unwrap().to_owned();
        let last = client.get(format!("{base}{stage}")).header("cookie", &cookie).send().await.unwrap();
        assert_eq!(last.headers()["location"], expected_end, "code {code}");
        let me = |c: String| {
            let client = client.clone();
            let base = base.clone();
            async move { client.get(format!("{base}/api/v3/users/me")).header("cookie", c).send().await.unwrap().status() }
        };
        match cookie_of(&last) {
            Some(new) => assert_eq!(me(new).await, 200, "signed in with the right code"),
            None => assert_eq!(me(cookie).await, 401, "a wrong code signs nobody in"),
        }
    }
}

#[tokio::test]
async fn the_health_report_is_folded_into_the_diagnosis_without_repeating_the_doctors_findings() {
    let pair = connected_pair(SetupOptions::default()).await;
    let base = pair.openproject.url();
    let op = op_admin(&base);
    let nc = nc_admin(&pair.nextcloud.url());
    let web = pages(&base).await;
    let mut healthy = opnc_core::doctor::diagnose(&op, &nc, true, true).await;
    opnc_core::doctor::add_openproject_health_report(&mut healthy, &web).await;
    let codes: Vec<_> = healthy.findings.iter().map(|f| f.code).collect();
    use opnc_core::findings::FindingCode as C;
    assert!(codes.contains(&C::AdminNotConnectedToNextcloud), "{codes:?}");
    assert!(healthy
        .findings
        .iter()
        .any(|f| f.code == C::AdminNotConnectedToNextcloud && f.evidence.contains("nc_oauth_token_missing")));
    // An info finding only: the pair itself is healthy.
    assert!(healthy.primary().map(|f| f.code) != Some(C::AdminNotConnectedToNextcloud));

    pair.openproject.sim.lock().nextcloud_unreachable = true;
    let mut broken = opnc_core::doctor::diagnose(&op, &nc, true, true).await;
    let before = broken.findings.iter().filter(|f| f.code == C::OpenprojectCannotReachNextcloud).count();
    opnc_core::doctor::add_openproject_health_report(&mut broken, &web).await;
    let after = broken.findings.iter().filter(|f| f.code == C::OpenprojectCannotReachNextcloud).count();
    assert_eq!(after, before.max(1), "named once, whether the doctor or the report found it");
    assert_eq!(broken.primary().map(|f| f.code), Some(C::OpenprojectCannotReachNextcloud));

    // Before 14.4 there is neither the report nor the connection check, and the diagnosis says so instead of
    // guessing.
    let old = AdminPages::new(http(), url(&base), sign_in(&base, "admin").await.unwrap(), Some(v(14, 3, 0)));
    let mut diagnosis = opnc_core::doctor::diagnose(&op, &nc, true, true).await;
    opnc_core::doctor::add_openproject_health_report(&mut diagnosis, &old).await;
    assert!(diagnosis
        .not_run
        .iter()
        .any(|n| n.check == opnc_core::doctor::Check::OpenprojectHealthReport && n.reason.contains("14.4")));
}

#[tokio::test]
async fn from_14_4_to_15_x_the_connection_check_is_used_and_read() {
    use opnc_core::findings::{FindingCode as C, Severity};
    use opnc_sim::openproject::HealthBreak;
    let pair = connected_on(OpenProjectProfile::with_version("15.4.0")).await;
    let base = pair.openproject.url();
    let op = op_admin(&base);
    let nc = nc_admin(&pair.nextcloud.url());
    let storage_id = pair.openproject.sim.state().storages[0].id;
    let web = pages(&base).await;
    let healthy = web.validate_connection(storage_id).await.expect("the check runs");
    assert_eq!((healthy.state.as_str(), healthy.code.as_deref()), ("success", None));
    let mut diagnosis = opnc_core::doctor::diagnose(&op, &nc, true, true).await;
    let before = diagnosis.findings.len();
    opnc_core::doctor::add_openproject_health_report(&mut diagnosis, &web).await;
    assert_eq!(diagnosis.findings.len(), before, "a healthy check adds nothing: {:#?}", diagnosis.findings);
    assert!(diagnosis.not_run.iter().all(|n| n.check != opnc_core::doctor::Check::OpenprojectHealthReport));

    let break_one = |key: &str| {
        pair.openproject.sim.lock().health_breaks =
            [(key.to_owned(), HealthBreak { state: "failure".into(), code: "x".into(), context: vec![] })].into();
    };
    for (name, set, code, severity, evidence) in [
        (
            "app password refused",
            "userless_access",
            C::UserlessAccess,
            Severity::Blocker,
            "err_userless_access_denied (The configured app password is invalid.)",
        ),
        (
            "foreign content",
            "group_folder_contents",
            C::TeamFolderUnexpectedContent,
            Severity::Warning,
            "wrn_unexpected_content",
        ),
    ] {
        break_one(set);
        let mut diagnosis = opnc_core::doctor::diagnose(&op, &nc, true, true).await;
        opnc_core::doctor::add_openproject_health_report(&mut diagnosis, &web).await;
        let f = diagnosis
            .findings
            .iter()
            .find(|f| f.code == code)
            .unwrap_or_else(|| panic!("{name}: {:#?}", diagnosis.findings));
        assert_eq!(f.severity, severity, "{name}");
        assert!(f.evidence.contains(evidence), "{name}: {}", f.evidence);
        assert!(f.fix.is_some(), "{name}");
    }
    // Unreachable: the doctor's own finding stands, named once.
    pair.openproject.sim.lock().health_breaks.clear();
    pair.openproject.sim.lock().nextcloud_unreachable = true;
    let reached = web.validate_connection(storage_id).await.unwrap();
    assert_eq!((reached.state.as_str(), reached.code.as_deref()), ("failure", Some("err_host_not_found")));
    let mut diagnosis = opnc_core::doctor::diagnose(&op, &nc, true, true).await;
    opnc_core::doctor::add_openproject_health_report(&mut diagnosis, &web).await;
    assert_eq!(diagnosis.findings.iter().filter(|f| f.code == C::OpenprojectCannotReachNextcloud).count(), 1);
}

#[tokio::test]
async fn the_desktop_pair_signs_in_with_the_window_session_alone_and_enables_sub_projects() {
    let pair = connected_pair(SetupOptions::default()).await;
    let base = pair.openproject.url();
    let session = sign_in(&base, "admin").await.unwrap();
    let request = opnc_core::pair::SignIn {
        openproject_url: base.clone(),
        openproject_token: None,
        nextcloud_url: pair.nextcloud.url(),
        nextcloud_login: Some(opnc_sim::nextcloud::demo::ADMIN_LOGIN.into()),
        nextcloud_password: Some(opnc_sim::nextcloud::demo::ADMIN_PASSWORD.into()),
        allow_insecure_http: false,
        remember: false,
    };
    let keychain = opnc_core::keychain::Keychain::new("opnc-test-unused");
    let connected = opnc_core::pair::ConnectedPair::sign_in(request, None, Some(session), &keychain, true)
        .await
        .expect("signed in without a token");
    assert!(connected.summary.openproject_web);
    assert_eq!(connected.summary.openproject.admin, "OpenProject Admin");
    let choices = connected.projects().await.unwrap();
    assert_eq!(choices.len(), 4);
    assert!(choices.iter().all(|c| !c.enabled));
    let outcome = connected.enable_projects(&[1], true, None).await.unwrap();
    assert_eq!(outcome.added, vec!["Demo project", "Website relaunch"], "the sub-project came along");
    assert_eq!(linked(&pair).iter().map(|l| l.0).collect::<Vec<_>>(), vec![1, 3]);
    let choices = connected.projects().await.unwrap();
    assert_eq!(choices.iter().filter(|c| c.enabled).count(), 2);
    // The replace reset works through the same session.
    let before = pair.openproject.sim.state().storages[0].oauth_app.clone().unwrap().client_id;
    connected.reset(opnc_core::setup::reset::ResetKind::OpenprojectOauth).await.expect("replaced");
    assert_ne!(pair.openproject.sim.state().storages[0].oauth_app.clone().unwrap().client_id, before);
}

#[test]
fn a_folder_id_is_read_from_what_an_admin_can_copy() {
    use openproject_web::folder_id_from_link as id;
    assert_eq!(id("  4711 ").as_deref(), Some("4711"));
    assert_eq!(id("https://cloud.example.com/f/4711").as_deref(), Some("4711"));
    assert_eq!(
        id("https://cloud.example.com/index.php/apps/files/files/4711?dir=/Projects/X").as_deref(),
        Some("4711")
    );
    assert_eq!(id("https://cloud.example.com/index.php/apps/files/?dir=/X&fileid=4711").as_deref(), Some("4711"));
    assert_eq!(id("https://cloud.example.com/index.php/apps/files/?dir=/X"), None);
    assert_eq!(id("Projects/X"), None);
    assert_eq!(id(""), None);
}

#[tokio::test]
async fn a_manual_project_folder_is_sent_with_its_id_and_read_back_and_one_without_is_refused() {
    let pair = connected_pair(SetupOptions::default()).await;
    let base = pair.openproject.url();
    let storage_id = pair.openproject.sim.state().storages[0].id;
    let web = pages(&base).await;
    let op = op_admin(&base);
    let wanted = projects_named(&base, &["demo-project"]).await;
    let folder = FolderMode::Manual { folder_id: "4711".into() };
    let outcome = projects::enable(&op, Some(&web), storage_id, &wanted, &folder).await.unwrap();
    assert_eq!(outcome.added, vec!["Demo project"], "{outcome:?}");
    let link = pair.openproject.sim.state().project_storages[0].clone();
    assert_eq!((link.mode.as_str(), link.folder_id.as_deref()), ("manual", Some("4711")));
    let read = op.project_storages(&[]).await.unwrap();
    assert_eq!(read[0].project_folder_id.as_deref(), Some("4711"), "read back through the API");

    let wanted = projects_named(&base, &["scrum-project"]).await;
    let no_folder = FolderMode::Manual { folder_id: String::new() };
    let outcome = projects::enable(&op, Some(&web), storage_id, &wanted, &no_folder).await.unwrap();
    assert!(outcome.added.is_empty());
    assert!(outcome.refused[0].reason.english().contains("Project folder can't be blank"), "{:?}", outcome.refused);
}

#[tokio::test]
async fn a_projects_page_that_is_not_there_falls_back_to_the_hand_off_without_writing() {
    // A 14.4 server (no "Add projects" form on the storage) that the client believes to be 17.3.
    let pair = connected_on(OpenProjectProfile::with_version("14.4.0")).await;
    let base = pair.openproject.url();
    let storage_id = pair.openproject.sim.state().storages[0].id;
    let session = sign_in(&base, "admin").await.unwrap();
    let wrong = AdminPages::new(http(), url(&base), session, Some(v(17, 3, 0)));
    let wanted = projects_named(&base, &["demo-project"]).await;
    pair.openproject.server.control.clear_requests();
    let outcome =
        projects::enable(&op_admin(&base), Some(&wrong), storage_id, &wanted, &FolderMode::Inactive).await.unwrap();
    assert!(
        outcome.handoff_reason.as_ref().map(|r| r.english()).unwrap_or_default().contains("did not look as expected"),
        "{outcome:?}"
    );
    // The pages for the version the API reports: each project's own (14.4 has no storage projects page).
    assert_eq!(outcome.handoff_pages, vec![format!("{base}/projects/demo-project/settings/project_storages")]);
    assert!(web_posts(&pair).is_empty(), "no form was sent");
    assert!(linked(&pair).is_empty());
}

#[tokio::test]
async fn the_project_folder_rules_of_the_health_report_are_each_named_with_their_fix_in_both_report_shapes() {
    use opnc_core::findings::{FindingCode as C, Severity};
    use opnc_sim::openproject::HealthBreak;
    // (check key, state, OpenProject's code, context, the doctor's code, severity, words of the message, of the fix)
    type Rule = (
        &'static str,
        &'static str,
        &'static str,
        &'static [(&'static str, &'static str)],
        C,
        Severity,
        &'static str,
        &'static str,
    );
    let rules: &[Rule] = &[
        (
            "team_folder_app",
            "failure",
            "nc_dependency_missing",
            &[],
            C::TeamFoldersAppMissing,
            Severity::Blocker,
            "Team folders app (groupfolders) is missing",
            "Apps → Team folders",
        ),
        (
            "team_folder_app",
            "warning",
            "nc_dependency_version_mismatch",
            &[],
            C::GroupfoldersTooOld,
            Severity::Warning,
            "older than this OpenProject expects",
            "Update",
        ),
        (
            "files_request",
            "failure",
            "unknown_error",
            &[],
            C::ProjectFolderFilesRequestFailed,
            Severity::Blocker,
            "does not recognise",
            "Connection validation failed",
        ),
        (
            "userless_access",
            "failure",
            "nc_userless_access_denied",
            &[],
            C::UserlessAccess,
            Severity::Blocker,
            "refuses the “OpenProject” user's app password",
            "Rotate",
        ),
        (
            "team_folder_presence",
            "failure",
            "nc_team_folder_not_found",
            &[],
            C::ProjectFolderIncomplete,
            Severity::Blocker,
            "team folder “OpenProject” is not in Nextcloud",
            "team folder",
        ),
        (
            "project_folders_linked",
            "warning",
            "nc_unlinked_project_folders",
            &[("actual", "2"), ("expected", "5")],
            C::ProjectFoldersUnlinked,
            Severity::Warning,
            "2 of 5 projects",
            "workers run",
        ),
        (
            "project_folders_exist",
            "failure",
            "nc_project_folder_missing",
            &[("project", "Demo project")],
            C::ProjectFolderMissing,
            Severity::Blocker,
            "the project “Demo project” is missing",
            "trash bin",
        ),
        (
            "team_folder_contents",
            "warning",
            "nc_unexpected_files",
            &[("sample", "Holiday photos")],
            C::TeamFolderUnexpectedContent,
            Severity::Warning,
            "e.g. “Holiday photos”",
            "move everything else out",
        ),
    ];
    // 17.1 writes the report keyed by group; later releases a `results:` list.
    for version in ["17.1.0", "17.3.0"] {
        let pair = connected_on(OpenProjectProfile::with_version(version)).await;
        let base = pair.openproject.url();
        let storage_id = pair.openproject.sim.state().storages[0].id;
        let text = pages(&base).await.health_report(storage_id).await.unwrap();
        assert_eq!(text.contains("\nresults:\n"), version == "17.3.0", "{version}: {text}");
        let op = op_admin(&base);
        let nc = nc_admin(&pair.nextcloud.url());
        for (key, state, code, context, ours, severity, message, fix) in rules {
            pair.openproject.sim.lock().health_breaks = [(
                key.to_string(),
                HealthBreak {
                    state: state.to_string(),
                    code: code.to_string(),
                    context: context.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
                },
            )]
            .into();
            let web = pages(&base).await;
            let mut diagnosis = opnc_core::doctor::diagnose(&op, &nc, true, true).await;
            opnc_core::doctor::add_openproject_health_report(&mut diagnosis, &web).await;
            let name = format!("{version} {key} {code}");
            let f = diagnosis
                .findings
                .iter()
                .find(|f| f.code == *ours)
                .unwrap_or_else(|| panic!("{name}: {:#?}", diagnosis.findings));
            assert_eq!(f.severity, *severity, "{name}");
            assert!(f.message.contains(message), "{name}: {}", f.message);
            assert!(f.fix.as_deref().is_some_and(|x| x.contains(fix)), "{name}: {:?}", f.fix);
            assert!(f.evidence.contains(code), "{name}: {}", f.evidence);
            if *severity == Severity::Blocker {
                assert_eq!(diagnosis.primary().map(|p| p.code), Some(*ours), "{name}: the primary finding");
            }
        }
    }
}
