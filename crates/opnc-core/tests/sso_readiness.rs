//! SSO readiness against the simulators: what each identity-provider choice needs on OpenProject, on Nextcloud and
//! at the identity provider, each missing piece a finding with evidence and a fix — and nothing written.

mod common;

use common::*;
use opnc_core::findings::{FindingCode as C, Severity};
use opnc_core::setup::sso::{readiness, IdentityProvider, SsoReadiness};
use opnc_sim::idp::{IdpProfile, RunningIdp};
use opnc_sim::{loopback, NextcloudProfile, OpenProjectProfile, SimPair};

fn sso_openproject() -> OpenProjectProfile {
    let mut profile = OpenProjectProfile::v17();
    profile.available_features = vec!["nextcloud_sso".into(), "sso_auth_providers".into()];
    profile
}

async fn start(op: OpenProjectProfile, nc: NextcloudProfile) -> SimPair {
    SimPair::start(op, nc, loopback(0), loopback(0)).await.unwrap()
}

async fn check(pair: &SimPair, choice: &IdentityProvider) -> SsoReadiness {
    let before = pair.restorable_state();
    let ready = readiness(&http(), &op_admin(&pair.openproject.url()), &nc_admin(&pair.nextcloud.url()), choice).await;
    assert_eq!(pair.restorable_state(), before, "the readiness check writes nothing");
    ready
}

fn codes(r: &SsoReadiness) -> Vec<C> {
    r.findings.iter().map(|f| f.code).collect()
}

fn external(idp: &RunningIdp, token_exchange: bool, provider: Option<&str>) -> IdentityProvider {
    IdentityProvider::External {
        discovery_url: idp.discovery_url(),
        token_exchange,
        oidc_provider: provider.map(str::to_owned),
    }
}

#[tokio::test]
async fn nextcloud_hub_is_ready_with_both_apps_and_the_enterprise_feature() {
    let pair = start(sso_openproject(), NextcloudProfile::nc34().with_sso_apps()).await;
    let ready = check(&pair, &IdentityProvider::NextcloudHub).await;
    assert!(ready.ready(), "{:#?}", ready.findings);
    assert_eq!(ready.facts.oidc_app.as_deref(), Some("2.0.9"));
    assert_eq!(ready.facts.user_oidc_app.as_deref(), Some("8.10.1"));
    assert_eq!(ready.facts.sso_feature, Some(true));
    let discovery = ready.facts.discovery.as_ref().expect("Nextcloud's discovery document");
    assert_eq!(discovery.issuer, pair.nextcloud.url());
    assert!(!discovery.token_exchange());
    // The simulator runs on a port: the recorded oidc 2.0.9 quirk is named.
    assert_eq!(codes(&ready), vec![C::SsoIssuerPortDropped]);
}

#[tokio::test]
async fn what_is_missing_on_either_side_blocks_with_its_fix() {
    // Nextcloud without the apps, OpenProject without the Enterprise feature.
    let pair = start(OpenProjectProfile::v17(), NextcloudProfile::nc34()).await;
    let ready = check(&pair, &IdentityProvider::NextcloudHub).await;
    assert!(!ready.ready());
    let missing: Vec<_> = ready.findings.iter().filter(|f| f.code == C::SsoNextcloudAppMissing).collect();
    assert_eq!(missing.len(), 2, "oidc and user_oidc: {:#?}", ready.findings);
    assert!(missing.iter().all(|f| f.fix.as_deref().is_some_and(|x| x.contains("occ app:install"))));
    let feature = ready.findings.iter().find(|f| f.code == C::SsoEnterpriseFeatureMissing).expect("the feature");
    assert_eq!(feature.severity, Severity::Blocker);
    assert!(feature.message.contains("nextcloud_sso"), "{}", feature.message);
    assert!(
        !codes(&ready).contains(&C::SsoDiscoveryUnreachable),
        "no document without the app: the app is the finding"
    );

    // OpenProject before 16.0, integration_openproject before 2.9.
    let mut old = NextcloudProfile::nc30().with_sso_apps();
    old.integration_version = Some("2.8.1".into());
    let mut op = OpenProjectProfile::v14();
    op.available_features = vec!["nextcloud_sso".into()];
    let pair = start(op, old).await;
    let ready = check(&pair, &IdentityProvider::NextcloudHub).await;
    assert!(codes(&ready).contains(&C::SsoOpenprojectTooOld), "{:#?}", ready.findings);
    assert!(codes(&ready).contains(&C::SsoIntegrationTooOld), "{:#?}", ready.findings);
}

#[tokio::test]
async fn an_external_identity_provider_with_and_without_token_exchange() {
    let pair = start(sso_openproject(), NextcloudProfile::nc34().with_sso_apps()).await;
    let idp = RunningIdp::start(IdpProfile::default(), loopback(0)).await.unwrap();
    let ready = check(&pair, &external(&idp, true, None)).await;
    assert!(ready.ready(), "{:#?}", ready.findings);
    assert!(ready.facts.discovery.as_ref().is_some_and(|d| d.token_exchange()));

    idp.sim.profile().token_exchange = false;
    let ready = check(&pair, &external(&idp, true, None)).await;
    assert_eq!(codes(&ready), vec![C::SsoTokenExchangeUnsupported]);
    let ready = check(&pair, &external(&idp, false, None)).await;
    assert!(ready.ready(), "without exchange nothing more is needed: {:#?}", ready.findings);
}

#[tokio::test]
async fn user_oidc_providers_are_offered_and_an_unknown_one_is_refused() {
    let pair = start(sso_openproject(), NextcloudProfile::nc34().with_sso_apps()).await;
    let idp = RunningIdp::start(IdpProfile::default(), loopback(0)).await.unwrap();
    pair.nextcloud.sim.lock().user_oidc_providers.push(serde_json::json!({
        "id": 1, "identifier": "keycloak", "clientId": "nextcloud", "discoveryEndpoint": idp.discovery_url(),
        "scope": "openid profile email api_v3", "settings": { "checkBearer": true }
    }));
    let offered = check(&pair, &external(&idp, true, None)).await;
    assert_eq!(codes(&offered), vec![C::SsoProvidersFound]);
    assert_eq!(offered.facts.user_oidc_providers, vec!["keycloak".to_owned()]);
    assert!(check(&pair, &external(&idp, true, Some("keycloak"))).await.ready());
    let unknown = check(&pair, &external(&idp, true, Some("keycloack"))).await;
    assert_eq!(codes(&unknown), vec![C::SsoProviderUnknown]);
    assert!(unknown.findings[0].evidence.contains("keycloak"), "the providers there are named");
}

/// The bad-input rows of the issue: a discovery address that answers a web page, an incomplete document, a host
/// that is not there, and a malformed address — each its own finding, nothing written.
#[tokio::test]
async fn wrong_discovery_addresses_are_named_precisely() {
    let pair = start(sso_openproject(), NextcloudProfile::nc34().with_sso_apps()).await;
    let html =
        RunningIdp::start(IdpProfile { answers_html: true, ..IdpProfile::default() }, loopback(0)).await.unwrap();
    let ready = check(&pair, &external(&html, false, None)).await;
    assert_eq!(codes(&ready), vec![C::SsoDiscoveryInvalid]);
    assert!(ready.findings[0].fix.as_deref().is_some_and(|f| f.contains(".well-known/openid-configuration")));

    let incomplete =
        RunningIdp::start(IdpProfile { incomplete: true, ..IdpProfile::default() }, loopback(0)).await.unwrap();
    let ready = check(&pair, &external(&incomplete, false, None)).await;
    assert_eq!(codes(&ready), vec![C::SsoDiscoveryInvalid]);
    assert!(
        ready.findings[0].evidence.contains("unparseable") || ready.findings[0].message.contains("jwks_uri"),
        "{:#?}",
        ready.findings[0]
    );

    let gone = IdentityProvider::External {
        discovery_url: format!("http://127.0.0.1:{}/.well-known/openid-configuration", closed_port()),
        token_exchange: false,
        oidc_provider: None,
    };
    let ready = check(&pair, &gone).await;
    assert_eq!(codes(&ready), vec![C::SsoDiscoveryUnreachable]);
    assert_eq!(ready.findings[0].server, Some(opnc_core::Server::IdentityProvider));

    let malformed =
        IdentityProvider::External { discovery_url: "htp://idp".into(), token_exchange: false, oidc_provider: None };
    let ready = check(&pair, &malformed).await;
    assert_eq!(codes(&ready), vec![C::SsoDiscoveryAddressInvalid], "{:#?}", ready.findings);
    assert!(
        ready.findings[0].fix.as_deref().is_some_and(|f| f.contains("discovery document")),
        "{:#?}",
        ready.findings[0]
    );
}

/// A loopback port nothing listens on.
fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

/// An identity provider with a self-signed certificate: named as such, with the fix for this computer and both
/// servers (they fetch the document themselves).
#[tokio::test]
async fn a_self_signed_identity_provider_is_named() {
    let port = self_signed_tls_port().await;
    let pair = start(sso_openproject(), NextcloudProfile::nc34().with_sso_apps()).await;
    let choice = IdentityProvider::External {
        discovery_url: format!("https://localhost:{port}/realms/main/.well-known/openid-configuration"),
        token_exchange: false,
        oidc_provider: None,
    };
    let ready = check(&pair, &choice).await;
    assert_eq!(codes(&ready), vec![C::SsoDiscoveryUnreachable], "{:#?}", ready.findings);
    let finding = &ready.findings[0];
    assert!(finding.evidence.contains("tls_certificate"), "{finding:#?}");
    let fix = finding.fix.clone().unwrap_or_default();
    assert!(fix.contains("identity provider's certificate") && fix.contains("OpenProject and Nextcloud"), "{fix}");
    assert!(finding.message.to_lowercase().contains("identity provider"), "{}", finding.message);
    eprintln!("{}\n  fix: {fix}", finding.message);
}
