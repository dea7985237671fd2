//! The doctor's SSO checks (`shared/contracts/sso-oidc.md`, "What can be checked"): for a storage that authorises
//! users through an identity provider, whether both sides agree with each other and with user_oidc — the provider
//! Nextcloud names among user_oidc's, accepting bearer tokens; stored login tokens; the audience Nextcloud checks;
//! token exchange on both sides and at the identity provider; the identity provider's discovery document from this
//! machine. What only a user's token can show is listed as not checked, with the test sign-in that would.

use crate::doctor::{Check, NotRun};
use crate::error::Server;
use crate::findings::{Finding, FindingCode as C, Severity};
use crate::nextcloud::{NextcloudClient, INTEGRATION_APP};
use crate::openproject::{OpenProjectClient, Storage, IDP_AUDIENCE};

fn blocker(code: C, server: Option<Server>, message: impl Into<String>) -> Finding {
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
            blocker(C::SsoAudienceMissing, Some(Server::OpenProject), "OpenProject's SSO storage has no audience: it cannot tell which token to send Nextcloud.")
                .evidence(format!("storage {} storageAudience null (storage_audience_configured false)", storage.id))
                .fix("Set the storage's audience in OpenProject (Administration → Files → the storage): __op-idp__ to send the identity provider's token as it is, or Nextcloud's client id at the identity provider to exchange for it."),
        );
    }
    if !hub && storage_exchanges != exchange {
        findings.push(
            blocker(
                C::SsoTokenExchangeMismatch,
                None,
                if storage_exchanges {
                    "OpenProject exchanges users' tokens for Nextcloud, but Nextcloud does not expect exchanged tokens."
                } else {
                    "Nextcloud expects exchanged tokens, but OpenProject sends the identity provider's token as it is."
                },
            )
            .evidence(format!(
                "OpenProject storageAudience {:?}; Nextcloud token_exchange {exchange}",
                storage.storage_audience
            ))
            .fix("Make both sides agree: set the connection up again with or without token exchange."),
        );
    }
    if (hub || exchange) && audience.is_empty() {
        findings.push(
            blocker(C::SsoTargetedAudienceMissing, Some(Server::Nextcloud), "Nextcloud does not know which audience OpenProject's tokens carry, so it refuses them.")
                .evidence("targeted_audience_client_id empty")
                .fix("Set the connection up again (Nextcloud Hub: the oidc client's id; with token exchange: OpenProject's client id at the identity provider)."),
        );
    }
    // Nextcloud Hub: the audience is the oidc client made for OpenProject; it must be there and make JWTs.
    let mut clients_listed = false;
    if hub && !audience.is_empty() {
        if let Ok(Some(clients)) = &clients {
            clients_listed = true;
            match clients.iter().find(|c| c.client_id == audience) {
                None => findings.push(
                    blocker(C::SsoOidcClientMissing, Some(Server::Nextcloud), "The OpenID Connect client Nextcloud's integration expects OpenProject's tokens from is not among the oidc app's clients.")
                        .evidence(format!("targeted_audience_client_id {audience:?}; oidc clients {:?}", clients.iter().map(|c| c.name.as_str()).collect::<Vec<_>>()))
                        .fix("Set the connection up again (a new client is made for OpenProject), then enter its values in OpenProject's OpenID provider."),
                ),
                Some(client) if client.token_type != "jwt" => findings.push(
                    blocker(C::SsoTokenNotJwt, Some(Server::Nextcloud), format!("The OpenID Connect client {:?} makes opaque tokens, which OpenProject cannot check (user_oidc#1040).", client.name))
                        .evidence(format!("oidc client {} tokenType {:?}", client.id, client.token_type))
                        .fix("Nextcloud → Administration settings → Security → OpenID Connect clients → the client → Access token type: JWT."),
                ),
                Some(_) => {}
            }
        }
    }
    match login_token {
        Ok(Some(true)) => {}
        Ok(stored) => findings.push(
            blocker(C::SsoLoginTokenNotStored, Some(Server::Nextcloud), "Nextcloud's user_oidc does not store users' login tokens, so integration_openproject has no token to call OpenProject with (user_oidc#1150).")
                .evidence(format!("user_oidc store_login_token {stored:?}"))
                .fix("Switch it on: Nextcloud → Administration → OpenID Connect → \"Store login tokens\", or set the connection up again."),
        ),
        Err(_) => {}
    }
    let list = providers.ok().flatten().unwrap_or_default();
    let mut discovery_url = hub.then(|| crate::oidc::nextcloud_hub_discovery(nc.base()).to_string());
    if !hub {
        match list.iter().find(|p| p.identifier == oidc_provider) {
            None => findings.push(
                blocker(C::SsoProviderUnknown, Some(Server::Nextcloud), format!("Nextcloud's integration names the user_oidc provider {oidc_provider:?}, which user_oidc does not have: no OpenProject token is accepted."))
                    .evidence(format!("oidc_provider {oidc_provider:?}; user_oidc providers {:?}", list.iter().map(|p| p.identifier.as_str()).collect::<Vec<_>>()))
                    .fix("Set the connection up again naming one of user_oidc's providers, or create that provider in Nextcloud (Administration → OpenID Connect)."),
            ),
            Some(provider) => {
                discovery_url = Some(provider.discovery_endpoint.clone());
                if !provider.check_bearer {
                    findings.push(
                        blocker(C::SsoBearerNotChecked, Some(Server::Nextcloud), format!("user_oidc's provider {:?} does not accept bearer tokens, which is how OpenProject calls Nextcloud.", provider.identifier))
                            .evidence(format!("provider {} settings.checkBearer false", provider.id))
                            .fix("Nextcloud → Administration → OpenID Connect → the provider → \"Check Bearer token on API and WebDAV requests\"."),
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
                            blocker(C::SsoTokenExchangeUnsupported, Some(Server::IdentityProvider), "The pair exchanges tokens, but the identity provider does not offer token exchange.")
                                .evidence(format!("grant_types_supported {:?}", document.grant_types_supported))
                                .fix("Enable standard token exchange for both clients at the identity provider, or set the pair up without token exchange."),
                        );
                    }
                    if hub {
                        findings.extend(crate::setup::sso::issuer_port_dropped(&document));
                    }
                }
                Err(e) => {
                    let mut finding = Finding::from_error(C::SsoDiscoveryUnreachable, &e);
                    finding.message = format!(
                        "The identity provider's discovery document cannot be read from this computer: {}",
                        finding.message
                    );
                    findings.push(finding);
                }
            },
            Err(e) => findings
                .push(Finding::from_error(C::SsoDiscoveryAddressInvalid, &e.for_server(Server::IdentityProvider))),
        }
    }
    let not_run = vec![
        NotRun {
            check: Check::SsoTokenAccepted,
            reason: "whether a real user's token is accepted on both sides shows only after a sign-in through the identity provider: the test sign-in checks its audience and scopes".into(),
        },
        NotRun {
            check: Check::SsoServerOnlySettings,
            reason: if hub && clients_listed {
                "on the Nextcloud server only: bearer validation (occ config:system:get user_oidc oidc_provider_bearer_validation); in OpenProject's admin pages only: its OpenID provider's client id and scopes (api_v3, offline_access)".into()
            } else if hub {
                "on the Nextcloud server only: the oidc client's token type (occ oidc:list: token_type jwt) and bearer validation (occ config:system:get user_oidc oidc_provider_bearer_validation); in OpenProject's admin pages only: its OpenID provider's client id and scopes (api_v3, offline_access)".into()
            } else {
                "in OpenProject's admin pages only: its OpenID provider's client id, scopes (api_v3, offline_access) and token-exchange grant".into()
            },
        },
    ];
    (findings, not_run)
}
