//! The doctor's SSO checks (`shared/contracts/sso-oidc.md`, "What can be checked"): for a storage that authorises
//! users through an identity provider, whether both sides agree with each other and with user_oidc — the provider
//! Nextcloud names among user_oidc's, accepting bearer tokens; stored login tokens; the audience Nextcloud checks;
//! token exchange on both sides and at the identity provider; the identity provider's discovery document from this
//! machine. What only a user's token can show is listed as not checked, with the test sign-in that would.

use crate::catalogue::Said;
use crate::doctor::{Check, NotRun};
use crate::error::Server;
use crate::findings::{Finding, FindingCode as C, Severity};
use crate::nextcloud::{NextcloudClient, INTEGRATION_APP};
use crate::openproject::{OpenProjectClient, Storage, IDP_AUDIENCE};
use crate::said;

fn blocker(code: C, server: Option<Server>, message: Said) -> Finding {
    Finding::new(code, Severity::Blocker, server, message)
}

/// Nextcloud's integration settings for SSO, as the doctor and the test sign-in read them.
pub(crate) struct NextcloudSso {
    /// Nextcloud Hub is the identity provider (`sso_provider_type`).
    pub hub: bool,
    /// user_oidc's provider the integration names (external identity providers).
    pub oidc_provider: String,
    /// `targeted_audience_client_id`.
    pub audience: String,
    /// `token_exchange`.
    pub exchange: bool,
}

impl NextcloudSso {
    /// The four values, read at once; a value that cannot be read counts as empty.
    pub(crate) async fn read(nc: &NextcloudClient) -> Self {
        let value = |key: &'static str| nc.app_config_value(INTEGRATION_APP, key);
        let (provider_type, oidc_provider, audience, exchange) = tokio::join!(
            value("sso_provider_type"),
            value("oidc_provider"),
            value("targeted_audience_client_id"),
            value("token_exchange"),
        );
        let text = |v: Result<crate::SecretString, crate::ClientError>| {
            v.map(|s| s.expose().trim().to_owned()).unwrap_or_default()
        };
        Self {
            hub: text(provider_type) == crate::setup::sso::NEXTCLOUD_HUB_TYPE,
            oidc_provider: text(oidc_provider),
            audience: text(audience),
            exchange: text(exchange) == "1",
        }
    }
}

/// The SSO findings for `storage`, and the checks that cannot run without a user's token.
pub async fn checks(op: &OpenProjectClient, nc: &NextcloudClient, storage: &Storage) -> (Vec<Finding>, Vec<NotRun>) {
    let (settings, providers, login_token, clients) =
        tokio::join!(NextcloudSso::read(nc), nc.user_oidc_providers(), nc.store_login_token(), nc.oidc_clients());
    let mut findings = Vec::new();
    let NextcloudSso { hub, oidc_provider, audience, exchange } = settings;
    let storage_exchanges = storage.storage_audience.as_deref().is_some_and(|a| a != IDP_AUDIENCE);

    if storage.storage_audience.is_none() {
        findings.push(
            blocker(C::SsoAudienceMissing, Some(Server::OpenProject), said!("fm-sso_audience_missing"))
                .evidence(format!("storage {} storageAudience null (storage_audience_configured false)", storage.id))
                .fix(said!("ff-sso_audience_missing")),
        );
    }
    if !hub && storage_exchanges != exchange {
        findings.push(
            blocker(
                C::SsoTokenExchangeMismatch,
                None,
                if storage_exchanges {
                    said!("fm-sso_token_exchange_mismatch_openproject")
                } else {
                    said!("fm-sso_token_exchange_mismatch_nextcloud")
                },
            )
            .evidence(format!(
                "OpenProject storageAudience {:?}; Nextcloud token_exchange {exchange}",
                storage.storage_audience
            ))
            .fix(said!("ff-sso_token_exchange_mismatch"))
            .remedy(crate::findings::Remedy::SetupReplacing),
        );
    }
    if (hub || exchange) && audience.is_empty() {
        findings.push(
            blocker(C::SsoTargetedAudienceMissing, Some(Server::Nextcloud), said!("fm-sso_targeted_audience_missing"))
                .evidence("targeted_audience_client_id empty")
                .fix(said!("ff-sso_targeted_audience_missing"))
                .remedy(crate::findings::Remedy::SetupReplacing),
        );
    }
    // Nextcloud Hub: the audience is the oidc client made for OpenProject; it must be there and make JWTs.
    let mut clients_listed = false;
    if hub && !audience.is_empty() {
        if let Ok(Some(clients)) = &clients {
            clients_listed = true;
            match clients.iter().find(|c| c.client_id == audience) {
                None => findings.push(
                    blocker(C::SsoOidcClientMissing, Some(Server::Nextcloud), said!("fm-sso_oidc_client_missing"))
                        .evidence(format!(
                            "targeted_audience_client_id {audience:?}; oidc clients {:?}",
                            clients.iter().map(|c| c.name.as_str()).collect::<Vec<_>>()
                        ))
                        .fix(said!("ff-sso_oidc_client_missing"))
                        .remedy(crate::findings::Remedy::SetupReplacing),
                ),
                Some(client) if client.token_type != "jwt" => findings.push(
                    blocker(
                        C::SsoTokenNotJwt,
                        Some(Server::Nextcloud),
                        said!("fm-sso_token_not_jwt", name = &client.name),
                    )
                    .evidence(format!("oidc client {} tokenType {:?}", client.id, client.token_type))
                    .fix(said!("ff-sso_token_not_jwt")),
                ),
                Some(_) => {}
            }
        }
    }
    match login_token {
        Ok(Some(true)) => {}
        Ok(stored) => findings.push(
            blocker(C::SsoLoginTokenNotStored, Some(Server::Nextcloud), said!("fm-sso_login_token_not_stored"))
                .evidence(format!("user_oidc store_login_token {stored:?}"))
                .fix(said!("ff-sso_login_token_not_stored"))
                .remedy(crate::findings::Remedy::SetupReplacing),
        ),
        Err(_) => {}
    }
    let list = providers.ok().flatten().unwrap_or_default();
    let mut discovery_url = hub.then(|| crate::oidc::nextcloud_hub_discovery(nc.base()).to_string());
    if !hub {
        match list.iter().find(|p| p.identifier == oidc_provider) {
            None => findings.push(
                blocker(
                    C::SsoProviderUnknown,
                    Some(Server::Nextcloud),
                    said!("fm-sso_provider_unknown", provider = &oidc_provider),
                )
                .evidence(format!(
                    "oidc_provider {oidc_provider:?}; user_oidc providers {:?}",
                    list.iter().map(|p| p.identifier.as_str()).collect::<Vec<_>>()
                ))
                .fix(said!("ff-sso_provider_unknown")),
            ),
            Some(provider) => {
                discovery_url = Some(provider.discovery_endpoint.clone());
                if !provider.check_bearer {
                    findings.push(
                        blocker(
                            C::SsoBearerNotChecked,
                            Some(Server::Nextcloud),
                            said!("fm-sso_bearer_not_checked", provider = &provider.identifier),
                        )
                        .evidence(format!("provider {} settings.checkBearer false", provider.id))
                        .fix(said!("ff-sso_bearer_not_checked")),
                    );
                }
            }
        }
    }
    if let Some(url) = discovery_url.filter(|u| !u.is_empty()) {
        match crate::ServerUrl::parse(&url, crate::UrlPolicy { allow_insecure_http: true }) {
            Ok(parsed) => match crate::oidc::discovery(op.http(), &parsed).await {
                Ok(document) => {
                    if (storage_exchanges || exchange) && !document.token_exchange() {
                        findings.push(
                            blocker(
                                C::SsoTokenExchangeUnsupported,
                                Some(Server::IdentityProvider),
                                said!("fm-sso_token_exchange_unsupported"),
                            )
                            .evidence(format!("grant_types_supported {:?}", document.grant_types_supported))
                            .fix(said!("ff-sso_token_exchange_unsupported")),
                        );
                    }
                    if hub {
                        findings.extend(crate::setup::sso::issuer_port_dropped(&document));
                    }
                }
                Err(e) => {
                    let mut finding = Finding::from_error(C::SsoDiscoveryUnreachable, &e);
                    let cause = finding.said.take().unwrap_or_else(|| Said::new("error-timeout"));
                    let message = said!("fm-sso_discovery_unreachable").arg_said("cause", cause);
                    finding.message = message.english();
                    finding.said = Some(message);
                    findings.push(finding);
                }
            },
            Err(e) => findings
                .push(Finding::from_error(C::SsoDiscoveryAddressInvalid, &e.for_server(Server::IdentityProvider))),
        }
    }
    let not_run = vec![
        NotRun::new(Check::SsoTokenAccepted, said!("notrun-sso_token_accepted")),
        NotRun::new(
            Check::SsoServerOnlySettings,
            if hub && clients_listed {
                said!("notrun-sso_server_only_hub_listed")
            } else if hub {
                said!("notrun-sso_server_only_hub")
            } else {
                said!("notrun-sso_server_only_external")
            },
        ),
    ];
    (findings, not_run)
}
