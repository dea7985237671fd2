//! The test sign-in through the identity provider: on a healthy SSO pair of each variant it settles what the
//! settings cannot show (the diagnosis is healthy, nothing left unchecked); each thing broken that only a real
//! token shows is named with its evidence and fix; a person giving up or pasting the wrong address is said so; no
//! token, code or secret reaches the report.

mod common;

use std::sync::{Arc, Mutex};

use common::*;
use opnc_core::doctor::{add_test_sign_in, diagnose, Check, Diagnosis, Verdict};
use opnc_core::findings::{FindingCode, Severity};
use opnc_core::setup::sso::{IdentityProvider, SsoOptions};
use opnc_core::setup::SetupOptions;
use opnc_core::sso_sign_in::{SignInAnswer, SignInPrompt, SignInRequest};
use opnc_core::SecretString;
use opnc_sim::idp::{IdpProfile, RunningIdp};
use opnc_sim::nextcloud::demo as nc_demo;
use opnc_sim::oidc_issuer::{browser_sign_in, IssuerClient};
use opnc_sim::openproject::OpOidcProvider;
use opnc_sim::{loopback, NextcloudProfile, OpenProjectProfile, SimPair};
use serde_json::json;

const IDP_USER: &str = "admin";
const IDP_PASSWORD: &str = "IdP-admin-2026";
const OP_CLIENT_SECRET: &str = "openproject-client-secret-at-the-idp-0123";

/// The identity provider as `dev/keycloak/keycloak.sh` configures Keycloak: OpenProject's client with the scope
/// api_v3 adding its audience, refresh tokens with offline_access, and (without token exchange) Nextcloud's
/// audience in OpenProject's tokens too.
fn keycloak(op_url: &str, token_exchange: bool) -> IdpProfile {
    let mut audiences = vec!["openproject".to_owned()];
    if !token_exchange {
        audiences.push("nextcloud".into());
    }
    IdpProfile {
        token_exchange,
        clients: vec![IssuerClient {
            client_id: "openproject".into(),
            secret: OP_CLIENT_SECRET.into(),
            redirect_uris: vec![format!("{op_url}/auth/oidc-keycloak/callback")],
            allowed_scopes: Some(
                vec!["openid", "email", "profile", "api_v3", "offline_access", "add-nextcloud-audience"]
                    .into_iter()
                    .map(String::from)
                    .collect(),
            ),
            audiences,
            ..Default::default()
        }],
        ..IdpProfile::default()
    }
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Variant {
    Hub,
    Exchange,
    NoExchange,
}

struct World {
    pair: SimPair,
    idp: Option<RunningIdp>,
    variant: Variant,
}

async fn world(variant: Variant, tweak: impl FnOnce(&mut IdpProfile)) -> World {
    let mut op_profile = OpenProjectProfile::v17();
    op_profile.available_features = vec!["nextcloud_sso".into()];
    let nc_profile = NextcloudProfile { allow_local_remote_servers: true, ..NextcloudProfile::nc34() }.with_sso_apps();
    let pair = SimPair::start(op_profile, nc_profile, loopback(0), loopback(0)).await.unwrap();
    let idp = match variant {
        Variant::Hub => None,
        v => Some(
            RunningIdp::start(keycloak(&pair.openproject.url(), v == Variant::Exchange), loopback(0)).await.unwrap(),
        ),
    };
    if let Some(idp) = &idp {
        pair.nextcloud.sim.lock().user_oidc_providers.push(json!({
            "id": 7, "identifier": "keycloak", "clientId": "nextcloud", "discoveryEndpoint": idp.discovery_url(),
            "scope": "openid profile email api_v3", "settings": { "checkBearer": true }
        }));
    }
    let provider = match &idp {
        None => IdentityProvider::NextcloudHub,
        Some(idp) => IdentityProvider::External {
            discovery_url: idp.discovery_url(),
            token_exchange: variant == Variant::Exchange,
            oidc_provider: Some("keycloak".into()),
        },
    };
    let mut sso = SsoOptions::new(provider);
    if variant == Variant::Exchange {
        sso.token_exchange_scope = Some("add-nextcloud-audience".into());
    }
    sso.openproject_client_id = Some(if variant == Variant::Hub {
        "openproject-hub-client-0123456789abcdef".into()
    } else {
        "openproject".into()
    });
    let options = SetupOptions { sso: Some(sso), project_folders: false, ..SetupOptions::default() };
    set_up_confirming(&pair, &options).await;
    // What the admin does by hand next (no API): OpenProject's OpenID provider, and the user's first sign-in there;
    // for Nextcloud Hub, bearer validation on the server.
    let (issuer, client_id) = match &idp {
        Some(idp) => (format!("{}/realms/opnc", idp.url()), "openproject".to_owned()),
        None => {
            let issuer = pair.nextcloud.url().trim_end_matches('/').to_owned();
            let mut s = pair.nextcloud.sim.lock();
            s.hub_bearer_validation = true;
            (issuer, s.oidc_clients[0].client_id.clone())
        }
    };
    // One thing broken at the identity provider, after a setup that went well.
    if let Some(idp) = &idp {
        tweak(&mut idp.sim.profile());
    }
    let slug = if idp.is_some() { "oidc-keycloak" } else { "oidc-nextcloud" };
    {
        let mut s = pair.openproject.sim.lock();
        s.oidc_providers.push(OpOidcProvider {
            id: 1,
            slug: slug.into(),
            display_name: slug.trim_start_matches("oidc-").into(),
            client_id,
            client_secret: OP_CLIENT_SECRET.into(),
            scope: "openid email profile api_v3 offline_access".into(),
            issuer,
            available: true,
            ..Default::default()
        });
        s.oidc_user_links.push((slug.into(), "admin".into()));
    }
    World { pair, idp, variant }
}

impl World {
    fn request(&self) -> SignInRequest {
        match self.variant {
            Variant::Hub => SignInRequest::default(),
            _ => SignInRequest {
                openproject_client_id: Some("openproject".into()),
                openproject_client_secret: Some(SecretString::from(OP_CLIENT_SECRET)),
                openproject_provider: None,
            },
        }
    }

    fn password(&self) -> &'static str {
        if self.variant == Variant::Hub {
            nc_demo::ADMIN_PASSWORD
        } else {
            IDP_PASSWORD
        }
    }

    /// The diagnosis with a test sign-in by a simulated browser; what the browser came back to is kept for the
    /// secret search.
    async fn diagnose(&self, request: &SignInRequest, browse: Browse) -> (Diagnosis, Vec<String>) {
        let (op, nc) = (op_admin(&self.pair.openproject.url()), nc_admin(&self.pair.nextcloud.url()));
        let mut diagnosis = diagnose(&op, &nc, true, true).await;
        let seen = Arc::new(Mutex::new(Vec::new()));
        let (password, seen2) = (self.password(), seen.clone());
        let face = move |prompt: SignInPrompt| -> SignInAnswer {
            let seen = seen2.clone();
            Box::pin(async move {
                let back = match browse {
                    Browse::SignIn => browser_sign_in(&prompt.authorize_url, IDP_USER, password).await.ok()?,
                    Browse::GiveUp => return None,
                    Browse::OtherSignIn => {
                        let back = browser_sign_in(&prompt.authorize_url, IDP_USER, password).await.ok()?;
                        back.replace("state=", "state=x")
                    }
                };
                seen.lock().unwrap().push(back.clone());
                Some(SecretString::from(back))
            })
        };
        add_test_sign_in(&mut diagnosis, &op, &nc, request, &face).await;
        let seen = seen.lock().unwrap().clone();
        (diagnosis, seen)
    }
}

#[derive(Clone, Copy)]
enum Browse {
    SignIn,
    GiveUp,
    OtherSignIn,
}

fn codes(d: &Diagnosis) -> Vec<FindingCode> {
    d.findings.iter().filter(|f| f.severity != Severity::Info).map(|f| f.code).collect()
}

#[tokio::test]
async fn each_sso_variant_passes_the_test_sign_in_and_is_healthy_with_nothing_left_unchecked() {
    for variant in [Variant::Hub, Variant::Exchange, Variant::NoExchange] {
        let w = world(variant, |_| {}).await;
        let (d, seen) = w.diagnose(&w.request(), Browse::SignIn).await;
        assert!(
            d.findings.iter().any(|f| f.code == FindingCode::SsoTestSignInPassed),
            "{variant:?}: {:#?}",
            d.findings
        );
        // Healthy but for the warnings a fresh pair has (no project yet, Nextcloud's issuer port): nothing broken,
        // nothing left unchecked.
        assert!(d.not_run.is_empty(), "{variant:?}: {:#?}", d.not_run);
        assert!(
            codes(&d).iter().all(|c| [FindingCode::StorageInNoProject, FindingCode::SsoIssuerPortDropped].contains(c)),
            "{variant:?}: {:#?}",
            d.findings
        );
        // Nothing of the sign-in in the report: not the code the browser brought back, not the client secret.
        let json = d.to_json();
        let code = seen[0].split("code=").nth(1).unwrap().split('&').next().unwrap().to_owned();
        assert!(!json.contains(&code), "{variant:?}: the code is in the report");
        assert!(!json.contains(OP_CLIENT_SECRET), "{variant:?}: the client secret is in the report");
        let hub_secret = w.pair.nextcloud.sim.lock().oidc_clients.first().map(|c| c.client_secret.clone());
        if let Some(secret) = hub_secret {
            assert!(!json.contains(&secret), "the oidc client's secret is in the report");
        }
        drop(w.idp);
    }
}

#[tokio::test]
async fn nextcloud_hub_without_bearer_validation_is_named_with_the_occ_command_and_passes_once_it_is_on() {
    let w = world(Variant::Hub, |_| {}).await;
    w.pair.nextcloud.sim.lock().hub_bearer_validation = false;
    let (d, _) = w.diagnose(&w.request(), Browse::SignIn).await;
    let refused = d
        .findings
        .iter()
        .find(|f| f.code == FindingCode::SsoTokenRefusedByNextcloud)
        .unwrap_or_else(|| panic!("{:#?}", d.findings));
    assert_eq!(d.primary().map(|f| f.code), Some(FindingCode::SsoTokenRefusedByNextcloud));
    assert!(refused.fix.as_deref().unwrap_or_default().contains("oidc_provider_bearer_validation"), "{refused:#?}");
    assert!(refused.evidence.contains("401"), "{refused:#?}");
    // The fix, then the test again: verified.
    w.pair.nextcloud.sim.lock().hub_bearer_validation = true;
    let (d, _) = w.diagnose(&w.request(), Browse::SignIn).await;
    assert!(d.findings.iter().any(|f| f.code == FindingCode::SsoTestSignInPassed), "{:#?}", d.findings);
    assert!(!codes(&d).contains(&FindingCode::SsoTokenRefusedByNextcloud));
}

#[tokio::test]
async fn what_only_a_real_token_shows_is_named_one_broken_thing_at_a_time() {
    type Break = fn(&mut IdpProfile);
    // Each: what is broken, the variant, the break, what the test sign-in names (the primary finding where it is a
    // problem; a warning beside the fresh pair's own).
    let scenarios: Vec<(&str, Variant, Break, FindingCode)> = vec![
        (
            "the IdP does not give OpenProject's client api_v3",
            Variant::Exchange,
            |p| {
                p.clients[0].allowed_scopes.as_mut().unwrap().retain(|s| s != "api_v3");
            },
            FindingCode::SsoApiScopeMissing,
        ),
        (
            "OpenProject is not in the token's audience",
            Variant::Exchange,
            |p| {
                p.clients[0].audiences = vec!["account".into()];
            },
            FindingCode::SsoTokenAudienceWrong,
        ),
        (
            "the IdP refuses the exchange for Nextcloud's audience",
            Variant::Exchange,
            |p| {
                p.scope_audiences = vec![("add-nextcloud-audience".into(), "nextcloud-typo".into())];
            },
            FindingCode::SsoTokenExchangeRefused,
        ),
        (
            "the exchange scope adds no Nextcloud audience",
            Variant::Exchange,
            |p| {
                p.scope_audiences.clear();
            },
            FindingCode::SsoTokenExchangeRefused,
        ),
        (
            "Nextcloud is not in the token's audience",
            Variant::NoExchange,
            |p| {
                p.clients[0].audiences = vec!["openproject".into()];
            },
            FindingCode::SsoNextcloudAudienceWrong,
        ),
        (
            "no offline_access",
            Variant::NoExchange,
            |p| {
                p.clients[0].allowed_scopes.as_mut().unwrap().retain(|s| s != "offline_access");
            },
            FindingCode::SsoOfflineAccessMissing,
        ),
    ];
    let mut named = 0;
    for (name, variant, break_it, expected) in &scenarios {
        let w = world(*variant, break_it).await;
        let (d, _) = w.diagnose(&w.request(), Browse::SignIn).await;
        let f = d.findings.iter().find(|f| f.code == *expected).unwrap_or_else(|| panic!("{name}: {:#?}", d.findings));
        if f.severity == Severity::Blocker {
            assert_eq!(d.primary().map(|f| f.code), Some(*expected), "{name}: {:#?}", d.findings);
        }
        assert!(!f.evidence.is_empty() && f.fix.is_some(), "{name}: {f:#?}");
        assert!(!d.findings.iter().any(|f| f.code == FindingCode::SsoTestSignInPassed), "{name}");
        named += 1;
    }
    println!("test sign-in scenarios named as the primary finding: {named}/{}", scenarios.len());

    // Token exchange switched off at the IdP: the discovery document shows it first, and the test sign-in proves it.
    let w = world(Variant::Exchange, |p| p.token_exchange = false).await;
    let (d, _) = w.diagnose(&w.request(), Browse::SignIn).await;
    assert_eq!(d.primary().map(|f| f.code), Some(FindingCode::SsoTokenExchangeUnsupported), "{:#?}", d.findings);
    let refused =
        d.findings.iter().find(|f| f.code == FindingCode::SsoTokenExchangeRefused).expect("the sign-in's proof");
    assert!(refused.evidence.contains("unsupported_grant_type"), "{refused:#?}");
}

#[tokio::test]
async fn what_the_servers_refuse_for_themselves_is_named_with_their_reason() {
    // The user never signed in to OpenProject through the provider: OpenProject does not know them.
    let w = world(Variant::Exchange, |_| {}).await;
    w.pair.openproject.sim.lock().oidc_user_links.clear();
    let (d, _) = w.diagnose(&w.request(), Browse::SignIn).await;
    let f = d
        .findings
        .iter()
        .find(|f| f.code == FindingCode::SsoTokenRefusedByOpenproject)
        .unwrap_or_else(|| panic!("{:#?}", d.findings));
    assert!(f.evidence.contains("not known"), "{f:#?}");
    assert!(f.fix.as_deref().unwrap_or_default().contains("sign in there once"), "{f:#?}");

    // user_oidc no longer checks bearer tokens: Nextcloud says no.
    let w = world(Variant::NoExchange, |_| {}).await;
    w.pair.nextcloud.sim.lock().user_oidc_providers[0]["settings"]["checkBearer"] = json!(false);
    let (d, _) = w.diagnose(&w.request(), Browse::SignIn).await;
    assert!(codes(&d).contains(&FindingCode::SsoTokenRefusedByNextcloud), "{:#?}", d.findings);

    // Nextcloud Hub's client makes opaque tokens.
    let w = world(Variant::Hub, |_| {}).await;
    w.pair.nextcloud.sim.lock().oidc_clients[0].token_type = "opaque".into();
    let (d, _) = w.diagnose(&w.request(), Browse::SignIn).await;
    assert!(codes(&d).contains(&FindingCode::SsoTokenNotJwt), "{:#?}", d.findings);
}

#[tokio::test]
async fn a_wrong_secret_a_foreign_address_and_giving_up_are_said_as_such() {
    let w = world(Variant::Exchange, |_| {}).await;
    let mut wrong = w.request();
    wrong.openproject_client_secret = Some(SecretString::from("not-the-secret"));
    let (d, _) = w.diagnose(&wrong, Browse::SignIn).await;
    let f = d
        .findings
        .iter()
        .find(|f| f.code == FindingCode::SsoTestSignInFailed)
        .unwrap_or_else(|| panic!("{:#?}", d.findings));
    assert!(f.evidence.contains("invalid_client"), "{f:#?}");
    assert!(!d.to_json().contains("not-the-secret"));

    let (d, _) = w.diagnose(&w.request(), Browse::OtherSignIn).await;
    let f = d
        .findings
        .iter()
        .find(|f| f.code == FindingCode::SsoTestSignInFailed)
        .unwrap_or_else(|| panic!("{:#?}", d.findings));
    assert!(f.message.contains("another sign-in"), "{f:#?}");

    let (d, _) = w.diagnose(&w.request(), Browse::GiveUp).await;
    assert_eq!(d.verdict(), Verdict::CouldNotCheck);
    let entry = d.not_run.iter().find(|n| n.check == Check::SsoTokenAccepted).unwrap();
    assert!(entry.reason.contains("given up"), "{entry:#?}");

    // Without OpenProject's secret for an external provider the sign-in cannot start, and says what it needs.
    let mut without = w.request();
    without.openproject_client_secret = None;
    let (d, _) = w.diagnose(&without, Browse::SignIn).await;
    let entry = d.not_run.iter().find(|n| n.check == Check::SsoTokenAccepted).unwrap();
    assert!(entry.reason.contains("OPNC_IDP_OPENPROJECT_CLIENT_SECRET"), "{entry:#?}");
}
