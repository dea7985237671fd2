//! SSO readiness: whether this pair can be connected through an OpenID Connect identity provider instead of
//! two-way OAuth, and through which one — read only, nothing is written. What it checks comes from
//! `shared/contracts/sso-oidc.md` (OpenProject ≥ 16.0 with the Enterprise feature `nextcloud_sso`,
//! integration_openproject ≥ 2.9, `user_oidc` ≥ 7.2.0, `oidc` ≥ 1.14.1 for Nextcloud Hub) and from the recorded
//! exchanges with Nextcloud 34.0.1 (`recorded/nextcloud-34.0.1-sso-apps.json`: the discovery document, user_oidc's
//! provider list, the `iss` without the port).

use serde::{Deserialize, Serialize};

use crate::compat;
use crate::error::{ClientError, Server};
use crate::findings::{sort, Finding, FindingCode as C, Severity};
use crate::http::HttpClient;
use crate::nextcloud::NextcloudClient;
use crate::oidc::{self, Discovery};
use crate::openproject::OpenProjectClient;
use crate::version::parse_server_version;
use crate::{ServerUrl, UrlPolicy};

/// Which identity provider the pair would trust.
#[derive(ts_rs::TS, Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum IdentityProvider {
    /// Nextcloud itself (the `oidc` app), with `user_oidc` validating its tokens.
    NextcloudHub,
    /// An external identity provider (Keycloak and others) that both servers trust.
    External {
        /// Its discovery document's address.
        discovery_url: String,
        /// OpenProject exchanges the user's token for one with Nextcloud as audience (RFC 8693).
        token_exchange: bool,
        /// The user_oidc provider that stands for it in Nextcloud, when one is there already.
        oidc_provider: Option<String>,
    },
}

/// What the readiness check saw.
#[derive(ts_rs::TS, Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SsoFacts {
    pub openproject_version: Option<String>,
    /// OpenProject's Enterprise token has `nextcloud_sso` (`availableFeatures` of the configuration).
    pub sso_feature: Option<bool>,
    pub integration_version: Option<String>,
    /// The `oidc` app's version, when it is installed.
    pub oidc_app: Option<String>,
    /// `user_oidc`'s version, when it is installed.
    pub user_oidc_app: Option<String>,
    /// user_oidc's provider identifiers.
    pub user_oidc_providers: Vec<String>,
    pub discovery: Option<Discovery>,
}

/// The readiness of one identity-provider choice.
#[derive(ts_rs::TS, Debug, Clone, Serialize)]
pub struct SsoReadiness {
    pub choice: IdentityProvider,
    pub findings: Vec<Finding>,
    pub facts: SsoFacts,
}

impl SsoReadiness {
    /// Nothing blocks this choice.
    pub fn ready(&self) -> bool {
        !self.findings.iter().any(|f| f.severity == Severity::Blocker)
    }
}

fn blocker(code: C, server: Server, message: impl Into<String>) -> Finding {
    Finding::new(code, Severity::Blocker, Some(server), message)
}

/// Checks what SSO through `choice` needs on both sides and at the identity provider.
pub async fn readiness(
    http: &HttpClient,
    op: &OpenProjectClient,
    nc: &NextcloudClient,
    choice: &IdentityProvider,
) -> SsoReadiness {
    let hub = matches!(choice, IdentityProvider::NextcloudHub);
    let discovery_url = match choice {
        IdentityProvider::NextcloudHub => Ok(oidc::nextcloud_hub_discovery(nc.base())),
        IdentityProvider::External { discovery_url, .. } => {
            ServerUrl::parse(discovery_url, UrlPolicy::default()).map_err(|e| e.for_server(Server::IdentityProvider))
        }
    };
    let fetch_discovery = async {
        match &discovery_url {
            Ok(url) => oidc::discovery(http, url).await,
            Err(e) => Err(e.clone()),
        }
    };
    let (root, configuration, capabilities, oidc_app, user_oidc_app, providers, discovery) = tokio::join!(
        op.root(),
        op.configuration(),
        nc.capabilities(),
        nc.app("oidc"),
        nc.app("user_oidc"),
        nc.user_oidc_providers(),
        fetch_discovery
    );
    let mut findings = Vec::new();
    let mut facts = SsoFacts::default();

    // OpenProject: the version, then the Enterprise feature.
    match &root {
        Ok(root) => {
            facts.openproject_version = root.core_version.clone();
            if let Some(version) = root.version().filter(|v| *v < compat::OPENPROJECT_SSO) {
                findings.push(
                    blocker(
                        C::SsoOpenprojectTooOld,
                        Server::OpenProject,
                        format!(
                            "Storages with SSO need OpenProject {} or later; this one is {version}.",
                            compat::OPENPROJECT_SSO
                        ),
                    )
                    .evidence(format!("coreVersion {version}"))
                    .fix("Update OpenProject, or connect the pair with two-way OAuth."),
                );
            }
        }
        Err(e) => findings.push(Finding::from_error(C::OpenprojectUnreachable, e)),
    }
    if let Ok(configuration) = &configuration {
        let has = configuration.available_features.iter().any(|f| f == compat::OPENPROJECT_SSO_FEATURE);
        facts.sso_feature = Some(has);
        if !has {
            findings.push(
                blocker(C::SsoEnterpriseFeatureMissing, Server::OpenProject, format!("OpenProject's Enterprise token does not include `{}`: it refuses storages with SSO (enterprise_plan_required).", compat::OPENPROJECT_SSO_FEATURE))
                    .evidence(format!("availableFeatures {:?}", configuration.available_features))
                    .fix("Add an Enterprise token with the Nextcloud SSO feature (Administration → Enterprise edition), or connect the pair with two-way OAuth."),
            );
        }
    }

    // Nextcloud: integration_openproject with `authorization_method`, user_oidc, and the oidc app for Hub.
    if let Ok(caps) = &capabilities {
        let version = caps.integration.as_ref().map(|i| i.app_version.clone());
        facts.integration_version = version.clone();
        if version
            .as_deref()
            .and_then(parse_server_version)
            .is_some_and(|v| v < compat::INTEGRATION_AUTHORIZATION_METHOD)
        {
            findings.push(
                blocker(
                    C::SsoIntegrationTooOld,
                    Server::Nextcloud,
                    format!(
                        "SSO needs the OpenProject Integration app {} or later in Nextcloud.",
                        compat::INTEGRATION_AUTHORIZATION_METHOD
                    ),
                )
                .evidence(format!("integration_openproject {}", version.unwrap_or_default()))
                .fix("sudo -u www-data php occ app:update integration_openproject"),
            );
        }
    }
    let mut app = |id: &str, min: &semver::Version, found: &Result<Option<crate::nextcloud::AppInfo>, ClientError>| {
        let version = found.as_ref().ok().and_then(|a| a.as_ref()).map(|a| a.version.clone());
        let too_old = version.as_deref().and_then(parse_server_version).is_some_and(|v| v < *min);
        if version.is_none() || too_old {
            let seen = version.clone().map(|v| format!("{id} {v}")).unwrap_or_else(|| format!("{id} not installed"));
            findings.push(
                blocker(
                    C::SsoNextcloudAppMissing,
                    Server::Nextcloud,
                    format!("SSO needs the Nextcloud app `{id}` {min} or later."),
                )
                .evidence(seen)
                .fix(format!("sudo -u www-data php occ app:install {id} (or app:update / app:enable {id})")),
            );
        }
        version
    };
    facts.user_oidc_app = app("user_oidc", &compat::USER_OIDC, &user_oidc_app);
    if hub {
        facts.oidc_app = app("oidc", &compat::OIDC_APP, &oidc_app);
    } else {
        facts.oidc_app = oidc_app.ok().flatten().map(|a| a.version);
    }
    if let Ok(Some(list)) = &providers {
        facts.user_oidc_providers = list.iter().map(|p| p.identifier.clone()).collect();
    }
    if let IdentityProvider::External { oidc_provider, .. } = choice {
        match oidc_provider {
            Some(wanted) if facts.user_oidc_app.is_some() && !facts.user_oidc_providers.contains(wanted) => findings.push(
                blocker(C::SsoProviderUnknown, Server::Nextcloud, format!("Nextcloud's user_oidc has no provider {wanted:?}."))
                    .evidence(format!("user_oidc providers: {:?}", facts.user_oidc_providers))
                    .fix("Name one of the providers user_oidc has, or leave it out to have one created for the identity provider."),
            ),
            None if !facts.user_oidc_providers.is_empty() => findings.push(
                Finding::new(C::SsoProvidersFound, Severity::Info, Some(Server::Nextcloud), format!("Nextcloud's user_oidc already trusts {}: one of them can stand for the identity provider.", facts.user_oidc_providers.join(", ")))
                    .evidence(format!("user_oidc providers: {:?}", facts.user_oidc_providers)),
            ),
            _ => {}
        }
    }

    // The identity provider's discovery document, as this machine sees it.
    match discovery {
        Ok(found) => {
            if let IdentityProvider::External { token_exchange: true, .. } = choice {
                if !found.token_exchange() {
                    findings.push(
                        blocker(C::SsoTokenExchangeUnsupported, Server::IdentityProvider, "The identity provider does not offer token exchange, which this setup asks for.")
                            .evidence(format!("grant_types_supported {:?}", found.grant_types_supported))
                            .fix("Enable standard token exchange for both clients at the identity provider (Keycloak: the client's \"Standard token exchange\"), or set the pair up without token exchange."),
                    );
                }
            }
            if hub {
                if let Some(port) = url::Url::parse(&found.issuer).ok().and_then(|u| u.port()) {
                    findings.push(
                        Finding::new(C::SsoIssuerPortDropped, Severity::Warning, Some(Server::Nextcloud), format!("Nextcloud's issuer has a port ({port}); the oidc app (2.0.9) leaves the port out of the tokens it makes for OpenProject, which then may not find its provider."))
                            .evidence(format!("issuer {}", found.issuer))
                            .fix("Serve Nextcloud on the default port (443) for SSO with Nextcloud Hub, or use an external identity provider."),
                    );
                }
            }
            facts.discovery = Some(found);
        }
        Err(e) if hub && facts.oidc_app.is_none() => {
            // Without the app there is no document; the missing app is the finding.
            let _ = e;
        }
        Err(e) => {
            let code = match e.kind {
                crate::ErrorKind::UnparseableBody { .. } | crate::ErrorKind::UnexpectedStatus { .. } => {
                    C::SsoDiscoveryInvalid
                }
                crate::ErrorKind::InvalidUrl(_) => C::SsoDiscoveryAddressInvalid,
                _ => C::SsoDiscoveryUnreachable,
            };
            let mut finding = Finding::from_error(code, &e);
            if code == C::SsoDiscoveryInvalid {
                finding.message = format!(
                    "The identity provider's discovery address does not answer with a discovery document: {}",
                    finding.message
                );
                finding.fix = Some("Give the address of the discovery document itself, ending in /.well-known/openid-configuration (Keycloak: …/realms/<realm>/.well-known/openid-configuration).".into());
            }
            findings.push(finding);
        }
    }
    sort(&mut findings);
    SsoReadiness { choice: choice.clone(), findings, facts }
}
