//! The doctor on SSO pairs: one broken thing each, named as the primary finding with its evidence and fix; a
//! healthy SSO pair has no problem, and says what only a test sign-in can show.

mod common;

use common::*;
use opnc_core::doctor::{diagnose, Check};
use opnc_core::findings::FindingCode;
use opnc_core::setup::sso::{IdentityProvider, SsoOptions};
use opnc_core::setup::SetupOptions;
use opnc_sim::idp::{IdpProfile, RunningIdp};
use opnc_sim::{loopback, NextcloudProfile, OpenProjectProfile, SimPair};
use serde_json::json;

async fn sso_pair() -> SimPair {
    let mut op = OpenProjectProfile::v17();
    op.available_features = vec!["nextcloud_sso".into()];
    let nc = NextcloudProfile { allow_local_remote_servers: true, ..NextcloudProfile::nc34() }.with_sso_apps();
    SimPair::start(op, nc, loopback(0), loopback(0)).await.unwrap()
}

/// A pair set up through `provider` (external ones with the provider "keycloak" already in user_oidc).
async fn set_up(provider: IdentityProvider, idp: Option<&RunningIdp>) -> SimPair {
    let pair = sso_pair().await;
    if let Some(idp) = idp {
        pair.nextcloud.sim.lock().user_oidc_providers.push(json!({
            "id": 7, "identifier": "keycloak", "clientId": "nextcloud", "discoveryEndpoint": idp.discovery_url(),
            "scope": "openid profile email api_v3", "settings": { "checkBearer": true }
        }));
    }
    let mut sso = SsoOptions::new(provider);
    sso.openproject_client_id = Some("openproject".into());
    let options = SetupOptions { sso: Some(sso), project_folders: false, ..SetupOptions::default() };
    set_up_confirming(&pair, &options).await;
    pair
}

fn external(idp: &RunningIdp, token_exchange: bool) -> IdentityProvider {
    IdentityProvider::External {
        discovery_url: idp.discovery_url(),
        token_exchange,
        oidc_provider: Some("keycloak".into()),
    }
}

async fn primary(pair: &SimPair) -> (Option<FindingCode>, opnc_core::doctor::Diagnosis) {
    let diagnosis = diagnose(&op_admin(&pair.openproject.url()), &nc_admin(&pair.nextcloud.url()), true, true).await;
    (diagnosis.primary().map(|f| f.code), diagnosis)
}

#[tokio::test]
async fn a_healthy_sso_pair_has_no_problem_and_says_what_a_test_sign_in_would_show() {
    let idp = RunningIdp::start(IdpProfile::default(), loopback(0)).await.unwrap();
    for provider in [IdentityProvider::NextcloudHub, external(&idp, true), external(&idp, false)] {
        let pair = set_up(provider.clone(), Some(&idp)).await;
        let (_, diagnosis) = primary(&pair).await;
        let problems: Vec<_> =
            diagnosis.findings.iter().filter(|f| f.severity == opnc_core::findings::Severity::Blocker).collect();
        assert!(problems.is_empty(), "{provider:?}: {problems:#?}");
        assert!(diagnosis.not_run.iter().any(|n| n.check == Check::SsoTokenAccepted), "{provider:?}");
    }
}

#[tokio::test]
async fn each_broken_sso_setting_is_the_primary_finding() {
    let idp = RunningIdp::start(IdpProfile::default(), loopback(0)).await.unwrap();
    let mut named = 0;
    type Break = fn(&SimPair);
    let scenarios: Vec<(&str, IdentityProvider, Break, FindingCode)> = vec![
        (
            "login tokens not stored",
            IdentityProvider::NextcloudHub,
            |p| {
                p.nextcloud
                    .sim
                    .lock()
                    .other_app_config
                    .entry("user_oidc".into())
                    .or_default()
                    .insert("store_login_token".into(), "0".into());
            },
            FindingCode::SsoLoginTokenNotStored,
        ),
        (
            "Nextcloud switched back to OAuth",
            IdentityProvider::NextcloudHub,
            |p| {
                p.nextcloud.sim.lock().app_config.insert("authorization_method".into(), "oauth2".into());
            },
            FindingCode::AuthenticationMethodMismatch,
        ),
        (
            "Nextcloud forgot the audience",
            IdentityProvider::NextcloudHub,
            |p| {
                p.nextcloud.sim.lock().app_config.insert("targeted_audience_client_id".into(), String::new());
            },
            FindingCode::SsoTargetedAudienceMissing,
        ),
        (
            "the user_oidc provider is gone",
            external(&idp, false),
            |p| {
                p.nextcloud.sim.lock().user_oidc_providers.clear();
            },
            FindingCode::SsoProviderUnknown,
        ),
        (
            "bearer tokens not accepted",
            external(&idp, false),
            |p| {
                p.nextcloud.sim.lock().user_oidc_providers[0]["settings"]["checkBearer"] = json!(false);
            },
            FindingCode::SsoBearerNotChecked,
        ),
        (
            "Nextcloud no longer expects exchanged tokens",
            external(&idp, true),
            |p| {
                p.nextcloud.sim.lock().app_config.insert("token_exchange".into(), String::new());
            },
            FindingCode::SsoTokenExchangeMismatch,
        ),
        (
            "the oidc client makes opaque tokens",
            IdentityProvider::NextcloudHub,
            |p| p.nextcloud.sim.lock().oidc_clients[0].token_type = "opaque".into(),
            FindingCode::SsoTokenNotJwt,
        ),
        (
            "the oidc client is gone",
            IdentityProvider::NextcloudHub,
            |p| p.nextcloud.sim.lock().oidc_clients.clear(),
            FindingCode::SsoOidcClientMissing,
        ),
        (
            "the storage lost its audience",
            external(&idp, false),
            |p| {
                p.openproject.sim.lock().storages[0].storage_audience = None;
            },
            FindingCode::SsoAudienceMissing,
        ),
    ];
    for (name, provider, break_it, expected) in scenarios {
        let pair = set_up(provider, Some(&idp)).await;
        break_it(&pair);
        let (code, diagnosis) = primary(&pair).await;
        assert_eq!(code, Some(expected), "{name}: {:#?}", diagnosis.findings);
        let finding = diagnosis.primary().unwrap();
        assert!(!finding.evidence.is_empty() && finding.fix.is_some(), "{name}: evidence and a fix: {finding:#?}");
        named += 1;
    }
    // The identity provider loses token exchange: its own document says so.
    let exchanging = RunningIdp::start(IdpProfile::default(), loopback(0)).await.unwrap();
    let pair = set_up(external(&exchanging, true), Some(&exchanging)).await;
    exchanging.sim.profile().token_exchange = false;
    assert_eq!(primary(&pair).await.0, Some(FindingCode::SsoTokenExchangeUnsupported), "token exchange gone");
    named += 1;
    // The identity provider cannot be reached from here.
    let gone = RunningIdp::start(IdpProfile::default(), loopback(0)).await.unwrap();
    let pair = set_up(external(&gone, false), Some(&gone)).await;
    drop(gone);
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    assert_eq!(primary(&pair).await.0, Some(FindingCode::SsoDiscoveryUnreachable), "identity provider unreachable");
    named += 1;
    eprintln!("doctor SSO scenarios: {named} of {named} named their one broken thing first");
}
