//! The simulators' quirks, checked over plain HTTP: each is something a real server does that a kinder
//! simulator would hide.

use std::time::{Duration, Instant};

use serde_json::{json, Value};

use opnc_sim::nextcloud::demo as nc_demo;
use opnc_sim::openproject::demo as op_demo;
use opnc_sim::{loopback, Fault, FaultAction, NextcloudProfile, OpenProjectProfile, SimPair};

fn client() -> reqwest::Client {
    reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap()
}

async fn pair(op: OpenProjectProfile, nc: NextcloudProfile) -> SimPair {
    SimPair::start(op, nc, loopback(0), loopback(0)).await.unwrap()
}

fn storage_body(host: &str) -> Value {
    json!({ "name": "Nextcloud", "applicationPassword": "", "_links": { "origin": { "href": host }, "type": { "href": "urn:openproject-org:api:v3:storages:Nextcloud" } } })
}

async fn create_storage(pair: &SimPair, body: &Value) -> reqwest::Response {
    client()
        .post(format!("{}/api/v3/storages", pair.openproject.url()))
        .basic_auth("apikey", Some(op_demo::ADMIN_TOKEN))
        .header("Content-Type", "application/json")
        .body(body.to_string())
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn openproject_host_trailing_slash_differs_by_version() {
    let old = pair(OpenProjectProfile::v14(), NextcloudProfile::nc34()).await;
    let r = create_storage(&old, &storage_body(&format!("{}/", old.nextcloud.url()))).await;
    assert_eq!(r.status(), 500, "before 16.4 a trailing slash on the host is a 500 (opf/openproject#66615)");
    let r = create_storage(&old, &storage_body(&old.nextcloud.url())).await;
    assert_eq!(r.status(), 201);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["_links"]["origin"]["href"], old.nextcloud.url());
    assert!(v["_links"].get("authenticationMethod").is_none(), "no authenticationMethod before 16.0");
    assert_eq!(v["configured"], false, "`configured` exists from 14.2");

    let new = pair(OpenProjectProfile::v16(), NextcloudProfile::nc34()).await;
    let r = create_storage(&new, &storage_body(&format!("{}/", new.nextcloud.url()))).await;
    assert_eq!(r.status(), 201);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["_links"]["origin"]["href"], format!("{}/", new.nextcloud.url()), "16.4+ stores one trailing slash");
    assert!(v["_links"].get("authenticationMethod").is_some());
}

#[tokio::test]
async fn openproject_request_framing_is_strict() {
    let p = pair(OpenProjectProfile::v17(), NextcloudProfile::nc34()).await;
    let url = format!("{}/api/v3/storages", p.openproject.url());
    let auth = |b: reqwest::RequestBuilder| b.basic_auth("apikey", Some(op_demo::ADMIN_TOKEN));
    let r = auth(client().post(&url)).body("{}").send().await.unwrap();
    assert_eq!(r.status(), 406, "no Content-Type");
    let r = auth(client().post(&url)).header("Content-Type", "text/plain").body("{}").send().await.unwrap();
    assert_eq!(r.status(), 415);
    let r = auth(client().post(&url)).header("Content-Type", "application/json").body("[1]").send().await.unwrap();
    assert_eq!(r.status(), 400);
    let mut no_type = storage_body(&p.nextcloud.url());
    no_type["_links"].as_object_mut().unwrap().remove("type");
    assert_eq!(create_storage(&p, &no_type).await.status(), 500, "a missing type URN reaches constantize(nil)");
    let r = client()
        .get(format!("{}/api/v3", p.openproject.url()))
        .basic_auth("admin", Some("password"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401, "user name and password do not work on API v3");
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["errorIdentifier"], "urn:openproject-org:api:v3:errors:Unauthenticated");
}

#[tokio::test]
async fn the_openproject_secret_is_shown_once() {
    let p = pair(OpenProjectProfile::v17(), NextcloudProfile::nc34()).await;
    let created: Value = create_storage(&p, &storage_body(&p.nextcloud.url())).await.json().await.unwrap();
    assert!(created.pointer("/_embedded/oauthApplication/clientSecret").and_then(Value::as_str).is_some());
    let id = created["id"].as_i64().unwrap();
    let fetched: Value = client()
        .get(format!("{}/api/v3/storages/{id}", p.openproject.url()))
        .basic_auth("apikey", Some(op_demo::ADMIN_TOKEN))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(fetched.pointer("/_embedded/oauthApplication/clientId").is_some());
    assert!(fetched.pointer("/_embedded/oauthApplication/clientSecret").is_none(), "never again after creation");
    let listed = client()
        .get(format!("{}/api/v3/storages", p.openproject.url()))
        .basic_auth("apikey", Some(op_demo::ADMIN_TOKEN))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!listed.contains("clientSecret"));
}

#[tokio::test]
async fn nextcloud_token_endpoint_cannot_probe_clients() {
    let p = pair(OpenProjectProfile::v17(), NextcloudProfile::nc34()).await;
    let setup = json!({ "values": { "openproject_instance_url": p.openproject.url(), "openproject_client_id": "a", "openproject_client_secret": "b",
        "default_enable_navigation": false, "default_enable_unified_search": false, "setup_project_folder": false, "setup_app_password": false } });
    let answer: Value = client()
        .post(format!("{}/index.php/apps/integration_openproject/setup", p.nextcloud.url()))
        .basic_auth(nc_demo::ADMIN_LOGIN, Some(nc_demo::ADMIN_PASSWORD))
        .header("Content-Type", "application/json")
        .body(setup.to_string())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let (id, secret) =
        (answer["nextcloud_client_id"].as_str().unwrap(), answer["nextcloud_client_secret"].as_str().unwrap());
    for (client_id, client_secret) in [(id, secret), (id, "wrong"), ("unknown", "wrong")] {
        let r = client()
            .post(format!("{}/index.php/apps/oauth2/api/v1/token", p.nextcloud.url()))
            .form(&[
                ("grant_type", "authorization_code"),
                ("code", "dummy"),
                ("client_id", client_id),
                ("client_secret", client_secret),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 400);
        assert_eq!(
            r.json::<Value>().await.unwrap(),
            json!({ "error": "invalid_request" }),
            "the same answer whatever the client"
        );
    }
}

#[tokio::test]
async fn older_integration_versions_answer_without_status() {
    let p = pair(OpenProjectProfile::v17(), NextcloudProfile::nc32()).await;
    let setup = json!({ "values": { "openproject_instance_url": p.openproject.url(), "openproject_client_id": "a", "openproject_client_secret": "b",
        "default_enable_navigation": false, "default_enable_unified_search": false, "setup_project_folder": false, "setup_app_password": false } });
    let post = |body: String| {
        client()
            .post(format!("{}/index.php/apps/integration_openproject/setup", p.nextcloud.url()))
            .basic_auth(nc_demo::ADMIN_LOGIN, Some(nc_demo::ADMIN_PASSWORD))
            .header("Content-Type", "application/json")
            .body(body)
            .send()
    };
    let v: Value = post(setup.to_string()).await.unwrap().json().await.unwrap();
    assert!(v.get("status").is_some(), "2.11.4 has status");
    let mut old = NextcloudProfile::nc30();
    old.integration_version = Some("2.8.1".into());
    let p2 = pair(OpenProjectProfile::v17(), old).await;
    let r = client()
        .post(format!("{}/index.php/apps/integration_openproject/setup", p2.nextcloud.url()))
        .basic_auth(nc_demo::ADMIN_LOGIN, Some(nc_demo::ADMIN_PASSWORD))
        .header("Content-Type", "application/json")
        .body(setup.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.unwrap();
    assert!(v.get("status").is_none(), "no status before 2.11.4");
    let mut with_method = setup.clone();
    with_method["values"]["authorization_method"] = json!("oauth2");
    let r = client()
        .post(format!("{}/index.php/apps/integration_openproject/setup", p2.nextcloud.url()))
        .basic_auth(nc_demo::ADMIN_LOGIN, Some(nc_demo::ADMIN_PASSWORD))
        .header("Content-Type", "application/json")
        .body(with_method.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400, "2.8 does not know authorization_method");
    let r = client()
        .get(format!("{}/index.php/apps/integration_openproject/check-admin-config", p2.nextcloud.url()))
        .basic_auth(nc_demo::ADMIN_LOGIN, Some(nc_demo::ADMIN_PASSWORD))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "check-admin-config exists from 2.7");
}

#[tokio::test]
async fn two_factor_password_is_refused_with_a_dav_hint() {
    let p = pair(OpenProjectProfile::v17(), NextcloudProfile::nc34()).await;
    let propfind = reqwest::Method::from_bytes(b"PROPFIND").unwrap();
    let r = client()
        .request(propfind.clone(), format!("{}/remote.php/dav/", p.nextcloud.url()))
        .basic_auth(nc_demo::TWO_FACTOR_LOGIN, Some(nc_demo::TWO_FACTOR_PASSWORD))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    assert!(r.text().await.unwrap().contains("password login forbidden"));
    let r = client()
        .request(propfind, format!("{}/remote.php/dav/", p.nextcloud.url()))
        .basic_auth(nc_demo::ADMIN_LOGIN, Some("wrong"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    assert!(!r.text().await.unwrap().contains("password login forbidden"));
}

#[tokio::test]
async fn the_browser_grant_needs_an_origin_header() {
    let p = pair(OpenProjectProfile::v17(), NextcloudProfile::nc34()).await;
    let start: Value =
        client().post(format!("{}/index.php/login/v2", p.nextcloud.url())).send().await.unwrap().json().await.unwrap();
    let login = start["login"].as_str().unwrap();
    let token = login.rsplit('/').next().unwrap();
    let page = client().get(login).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let form = [("token", token), ("user", nc_demo::ADMIN_LOGIN), ("password", nc_demo::ADMIN_PASSWORD)];
    let grant = format!("{}/index.php/login/v2/grant", p.nextcloud.url());
    assert_eq!(client().post(&grant).form(&form).send().await.unwrap().status(), 403);
    assert_eq!(
        client().post(&grant).header("Origin", p.nextcloud.url()).form(&form).send().await.unwrap().status(),
        200
    );
    let poll = client()
        .post(start["poll"]["endpoint"].as_str().unwrap())
        .form(&[("token", start["poll"]["token"].as_str().unwrap())])
        .send()
        .await
        .unwrap();
    assert_eq!(poll.status(), 200);
}

#[tokio::test]
async fn faults_hit_the_nth_matching_request_and_latency_skips_internal_calls() {
    let p = pair(OpenProjectProfile::v17(), {
        let mut nc = NextcloudProfile::nc34();
        nc.allow_local_remote_servers = true;
        nc
    })
    .await;
    let control = &p.nextcloud.server.control;
    control.add_fault(Fault::on(
        http::Method::GET,
        "/status.php",
        2,
        FaultAction::Status { status: 503, body: "{}".into() },
    ));
    let url = format!("{}/status.php", p.nextcloud.url());
    assert_eq!(client().get(&url).send().await.unwrap().status(), 200);
    assert_eq!(client().get(&url).send().await.unwrap().status(), 503);
    assert_eq!(client().get(&url).send().await.unwrap().status(), 200);

    // Counting starts when the fault is added: this one hits the next matching request.
    control.add_fault(Fault::on(http::Method::GET, "/status.php", 1, FaultAction::Delay(Duration::from_millis(300))));
    let started = Instant::now();
    client().get(&url).send().await.unwrap();
    assert!(started.elapsed() >= Duration::from_millis(300));

    // Latency applies to what a client sends, not to OpenProject's own validation calls.
    control.set_latency(Duration::from_millis(200));
    p.openproject.server.control.set_latency(Duration::ZERO);
    control.clear_requests();
    let started = Instant::now();
    assert_eq!(create_storage(&p, &storage_body(&p.nextcloud.url())).await.status(), 201);
    assert!(started.elapsed() < Duration::from_millis(200), "internal calls are not delayed: {:?}", started.elapsed());
    let log = control.requests();
    assert!(log.len() >= 2 && log.iter().all(|r| r.internal), "{log:?}");
    assert!(log
        .iter()
        .any(|r| r.path.ends_with("check-config") && r.authorization_scheme.as_deref() == Some("Bearer")));
}

/// Seen on a real Nextcloud 34.0.1 in maintenance mode: `status.php` still answers (saying so), OCS routes answer
/// 503 with the OCS envelope, every other route 503 with the HTML maintenance page.
#[tokio::test]
async fn maintenance_mode_answers_503_except_status() {
    let pair = SimPair::start_default().await.unwrap();
    pair.nextcloud.sim.lock().profile.maintenance = true;
    let base = pair.nextcloud.url();
    let status: Value = client().get(format!("{base}/status.php")).send().await.unwrap().json().await.unwrap();
    assert_eq!(status["maintenance"], true);
    let caps = client()
        .get(format!("{base}/ocs/v2.php/cloud/capabilities?format=json"))
        .header("OCS-APIRequest", "true")
        .send()
        .await
        .unwrap();
    assert_eq!(caps.status(), 503);
    let body: Value = caps.json().await.unwrap();
    assert_eq!(body["ocs"]["meta"]["message"], "Service unavailable");
    let page =
        client().get(format!("{base}/index.php/apps/integration_openproject/check-config")).send().await.unwrap();
    assert_eq!(page.status(), 503);
    assert!(page.headers()["content-type"].to_str().unwrap().starts_with("text/html"));
}

/// A real server goes on with a request whose client is gone: the write lands anyway.
#[tokio::test]
async fn a_write_lands_after_its_client_died() {
    let pair = SimPair::start_default().await.unwrap();
    pair.charge_like_real_servers();
    pair.openproject.server.control.add_fault(Fault::on(
        http::Method::POST,
        "/api/v3/storages",
        1,
        FaultAction::Delay(Duration::from_millis(600)),
    ));
    let request = client()
        .post(format!("{}/api/v3/storages", pair.openproject.url()))
        .basic_auth("apikey", Some(op_demo::ADMIN_TOKEN))
        .header("Content-Type", "application/json")
        .body(storage_body(&pair.nextcloud.url()).to_string())
        .timeout(Duration::from_millis(100))
        .send()
        .await;
    assert!(request.is_err(), "the client gave up");
    assert!(pair.openproject.sim.state().storages.is_empty(), "not yet");
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(pair.openproject.sim.state().storages.len(), 1, "the write landed after the client was gone");
}

/// The cost model: with it on, a request with the account password is charged its hash, one with an app password
/// is not, and at most 4 are handled at once; every password check is counted either way.
#[tokio::test]
async fn the_cost_model_charges_what_a_real_nextcloud_spends() {
    let pair = SimPair::start_default().await.unwrap();
    let base = pair.nextcloud.url();
    let user = |password: &str| {
        client()
            .get(format!("{base}/ocs/v2.php/cloud/user?format=json"))
            .header("OCS-APIRequest", "true")
            .basic_auth(nc_demo::ADMIN_LOGIN, Some(password.to_owned()))
            .send()
    };
    let token = pair.nextcloud.sim.create_app_password(nc_demo::ADMIN_LOGIN, "test").unwrap();
    let started = Instant::now();
    user(nc_demo::ADMIN_PASSWORD).await.unwrap();
    assert!(started.elapsed() < Duration::from_millis(200), "off: instant");
    pair.charge_like_real_servers();
    let started = Instant::now();
    user(nc_demo::ADMIN_PASSWORD).await.unwrap();
    let with_password = started.elapsed();
    let started = Instant::now();
    user(&token).await.unwrap();
    let with_app_password = started.elapsed();
    assert!(with_password >= Duration::from_millis(270), "{with_password:?}");
    assert!(with_app_password < Duration::from_millis(150), "{with_app_password:?}");
    assert_eq!(pair.nextcloud.sim.lock().password_verifications, 2);
    // Eight at once on four workers: two waves.
    let started = Instant::now();
    let all: Vec<_> = (0..8).map(|_| tokio::spawn(user(&token))).collect();
    for r in all {
        r.await.unwrap().unwrap();
    }
    assert!(started.elapsed() >= Duration::from_millis(90), "queued behind the workers: {:?}", started.elapsed());
}
