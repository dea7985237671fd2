//! SSO readiness: whether this pair can be connected through an OpenID Connect identity provider instead of
//! two-way OAuth, and through which one — read only, nothing is written. What it checks comes from
//! `shared/contracts/sso-oidc.md` (OpenProject ≥ 16.0 with the Enterprise feature `nextcloud_sso`,
//! integration_openproject ≥ 2.9, `user_oidc` ≥ 7.2.0, `oidc` ≥ 1.14.1 for Nextcloud Hub) and from the recorded
//! exchanges with Nextcloud 34.0.1 (`recorded/nextcloud-34.0.1-sso-apps.json`: the discovery document, user_oidc's
//! provider list, the `iss` without the port).

use serde::{Deserialize, Serialize};

use crate::catalogue::Said;
use crate::compat;
use crate::error::{ClientError, Server};
use crate::findings::{sort, Finding, FindingCode as C, Severity};
use crate::http::HttpClient;
use crate::nextcloud::NextcloudClient;
use crate::oidc::{self, Discovery};
use crate::openproject::OpenProjectClient;
use crate::version::parse_server_version;
use crate::{said, ServerUrl, UrlPolicy};

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
    /// The providers themselves (client id, discovery, bearer check).
    pub providers: Vec<crate::nextcloud::OidcProvider>,
    /// user_oidc's `store_login_token` (`None`: never set, or the app is not there).
    pub store_login_token: Option<bool>,
    /// The OpenID providers OpenProject's sign-in page offers (slugs).
    pub openproject_sign_in: Vec<String>,
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

fn blocker(code: C, server: Server, message: Said) -> Finding {
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
    let (root, configuration, capabilities, oidc_app, user_oidc_app, providers, discovery, login_token, sign_in) = tokio::join!(
        op.root(),
        op.configuration(),
        nc.capabilities(),
        nc.app("oidc"),
        nc.app("user_oidc"),
        nc.user_oidc_providers(),
        fetch_discovery,
        nc.store_login_token(),
        crate::openproject_web::sign_in_providers(http, op.base())
    );
    let sign_in = sign_in.unwrap_or_default();
    let mut facts =
        SsoFacts { store_login_token: login_token.ok().flatten(), openproject_sign_in: sign_in, ..SsoFacts::default() };
    let mut findings = Vec::new();

    // OpenProject: the version, then the Enterprise feature.
    match &root {
        Ok(root) => {
            facts.openproject_version = root.core_version.clone();
            if let Some(version) = root.version().filter(|v| *v < compat::OPENPROJECT_SSO) {
                findings.push(
                    blocker(
                        C::SsoOpenprojectTooOld,
                        Server::OpenProject,
                        said!("fm-sso_openproject_too_old", needed = compat::OPENPROJECT_SSO, version = &version),
                    )
                    .evidence(format!("coreVersion {version}"))
                    .fix(said!("ff-sso_openproject_too_old")),
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
                blocker(
                    C::SsoEnterpriseFeatureMissing,
                    Server::OpenProject,
                    said!("fm-sso_enterprise_feature_missing", feature = compat::OPENPROJECT_SSO_FEATURE),
                )
                .evidence(format!("availableFeatures {:?}", configuration.available_features))
                .fix(said!("ff-sso_enterprise_feature_missing")),
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
                    said!("fm-sso_integration_too_old", needed = compat::INTEGRATION_AUTHORIZATION_METHOD),
                )
                .evidence(format!("integration_openproject {}", version.unwrap_or_default()))
                .fix(said!("ff-update_app_on_nextcloud"))
                .command("sudo -u www-data php occ app:update integration_openproject"),
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
                    said!("fm-sso_nextcloud_app_missing", app = id, needed = min),
                )
                .evidence(seen)
                .fix(said!("ff-sso_nextcloud_app_missing", app = id))
                .command(format!("sudo -u www-data php occ app:install {id}")),
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
        facts.providers = list.clone();
    }
    if let IdentityProvider::External { oidc_provider, .. } = choice {
        match oidc_provider {
            Some(wanted) if facts.user_oidc_app.is_some() && !facts.user_oidc_providers.contains(wanted) => findings
                .push(
                    blocker(
                        C::SsoProviderUnknown,
                        Server::Nextcloud,
                        said!("fm-sso_provider_unknown_named", provider = wanted),
                    )
                    .evidence(format!("user_oidc providers: {:?}", facts.user_oidc_providers))
                    .fix(said!("ff-sso_provider_unknown_named")),
                ),
            None if !facts.user_oidc_providers.is_empty() => findings.push(
                Finding::new(
                    C::SsoProvidersFound,
                    Severity::Info,
                    Some(Server::Nextcloud),
                    said!("fm-sso_providers_found", providers = facts.user_oidc_providers.join(", ")),
                )
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
                        blocker(
                            C::SsoTokenExchangeUnsupported,
                            Server::IdentityProvider,
                            said!("fm-sso_token_exchange_unsupported_choice"),
                        )
                        .evidence(format!("grant_types_supported {:?}", found.grant_types_supported))
                        .fix(said!("ff-sso_token_exchange_unsupported_choice")),
                    );
                }
            }
            if hub {
                findings.extend(issuer_port_dropped(&found));
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

/// What the admin asked for when the pair is to be connected through an identity provider.
#[derive(ts_rs::TS, Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SsoOptions {
    pub provider: IdentityProvider,
    /// OpenProject's client id at the identity provider: the audience Nextcloud checks on the tokens OpenProject
    /// sends after an exchange (external identity provider with token exchange). With Nextcloud Hub the setup
    /// makes that client itself.
    #[serde(default)]
    pub openproject_client_id: Option<String>,
    /// The scope OpenProject asks for in the exchange (Keycloak: the client scope that adds Nextcloud's audience).
    #[serde(default)]
    pub token_exchange_scope: Option<String>,
    /// External identity provider without a user_oidc provider yet: Nextcloud's client at it, and the identifier
    /// of the provider the setup creates for it.
    #[serde(default)]
    pub new_provider: Option<NewProviderChoice>,
    /// The display name of OpenProject's OpenID provider (its sign-in path is `/auth/oidc-<name>`).
    #[serde(default = "default_openproject_provider")]
    pub openproject_provider: String,
}

/// A user_oidc provider the setup creates for an external identity provider.
#[derive(ts_rs::TS, Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewProviderChoice {
    pub identifier: String,
    /// Nextcloud's client id at the identity provider.
    pub client_id: String,
    /// Its secret: in memory for the one request that sends it, never in a plan, a job or a report.
    #[serde(skip_serializing, default)]
    #[ts(skip)]
    pub client_secret: crate::SecretString,
}

fn default_openproject_provider() -> String {
    "nextcloud".into()
}

impl SsoOptions {
    pub fn new(provider: IdentityProvider) -> Self {
        let openproject_provider = match &provider {
            IdentityProvider::NextcloudHub => default_openproject_provider(),
            IdentityProvider::External { .. } => "idp".into(),
        };
        Self {
            provider,
            openproject_client_id: None,
            token_exchange_scope: None,
            new_provider: None,
            openproject_provider,
        }
    }

    /// OpenProject's sign-in slug for its provider.
    pub fn openproject_slug(&self) -> String {
        openproject_slug(&self.openproject_provider)
    }
}

/// OpenProject's sign-in slug for a provider's display name (`oidc-` and the name, as OpenProject makes it).
pub fn openproject_slug(display_name: &str) -> String {
    let name: String =
        display_name.trim().to_lowercase().chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '-' }).collect();
    format!("oidc-{}", name.trim_matches('-'))
}

/// integration_openproject's `sso_provider_type` for Nextcloud Hub (the other is `external`).
pub const NEXTCLOUD_HUB_TYPE: &str = "nextcloud_hub";

impl IdentityProvider {
    /// integration_openproject's `sso_provider_type` for this choice.
    pub fn provider_type(&self) -> &'static str {
        match self {
            IdentityProvider::NextcloudHub => NEXTCLOUD_HUB_TYPE,
            IdentityProvider::External { .. } => "external",
        }
    }
}

/// oidc 2.0.9 leaves the port out of `iss` in the tokens it mints while discovery keeps it (recorded): on a
/// non-default port OpenProject, which looks its provider up by exact issuer, may not find it.
pub fn issuer_port_dropped(discovery: &Discovery) -> Option<Finding> {
    let port = url::Url::parse(&discovery.issuer).ok()?.port()?;
    Some(
        Finding::new(
            C::SsoIssuerPortDropped,
            Severity::Warning,
            Some(Server::Nextcloud),
            said!("fm-sso_issuer_port_dropped", port = port),
        )
        .evidence(format!("issuer {}", discovery.issuer))
        .fix(said!("ff-sso_issuer_port_dropped")),
    )
}

/// What an SSO setup will do, decided by the review from what it saw (and shown before anything is written).
#[derive(ts_rs::TS, Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SsoPlan {
    pub provider: IdentityProvider,
    /// The storage's SSO settings.
    pub storage: crate::openproject::StorageSso,
    /// Nextcloud Hub: the redirect URI of the oidc client made for OpenProject.
    pub oidc_client_redirect: Option<String>,
    /// The user_oidc provider Nextcloud's integration names (external identity providers).
    pub oidc_provider: Option<String>,
    /// Created by the setup (external identity provider without a provider yet).
    pub create_provider: Option<NewProviderChoice>,
    pub discovery_url: String,
    /// The audience Nextcloud checks: OpenProject's client id at the identity provider (exchange), or, with
    /// Nextcloud Hub, the oidc client the setup makes (known only once it is made).
    pub targeted_audience: Option<String>,
    pub token_exchange: bool,
    /// user_oidc's `store_login_token` is switched on (it was not).
    pub store_login_token: bool,
    /// OpenProject's OpenID provider: its display name and sign-in callback.
    pub openproject_provider: String,
    pub openproject_callback: String,
}

impl SsoPlan {
    /// The plan writes to user_oidc, which asks for password confirmation.
    pub fn needs_password_confirmation(&self) -> bool {
        self.store_login_token || self.create_provider.is_some()
    }
}

/// The name of the oidc client the setup makes for OpenProject in Nextcloud Hub.
pub const OIDC_CLIENT_NAME: &str = "OpenProject";

/// The scopes OpenProject's provider must ask for: `api_v3` for its own API (16.0), `offline_access` for refresh
/// tokens (its health check warns `offline_access_scope_missing` without).
pub const OPENPROJECT_SCOPES: &str = "openid email profile offline_access api_v3";

/// What the admin enters in OpenProject's OpenID provider form (it has no API): shown after the setup, with the
/// page to open. The client secret (Nextcloud Hub) is in memory only, for a face that shows it masked.
#[derive(ts_rs::TS, Debug, Clone, Serialize)]
pub struct ProviderHandoff {
    /// OpenProject's admin page for a new OpenID provider.
    pub page: String,
    pub display_name: String,
    pub discovery_url: String,
    /// Empty when it is OpenProject's client at an external identity provider, which only the admin knows.
    pub client_id: String,
    #[serde(skip)]
    #[ts(skip)]
    pub client_secret: Option<crate::SecretString>,
    /// Where the secret can be read again, in words.
    pub client_secret_source: String,
    /// Who holds the secret: Nextcloud (Hub's client, which the assistant made and may enter itself) or the
    /// identity provider (only the admin knows it).
    pub secret_held_by: crate::error::Server,
    pub scopes: String,
    pub token_exchange: bool,
    /// The redirect URI the identity provider must allow.
    pub callback_url: String,
    /// The provider's slug on OpenProject's sign-in page (`/auth/<slug>`), what the watch waits for.
    pub sign_in_slug: String,
}

/// What the chosen SSO setup needs beyond readiness: the details of the choice itself, project folders on this
/// OpenProject, and the steps only the admin can do. `account_password`: this session can confirm user_oidc's
/// writes.
pub fn choice_findings(
    options: &SsoOptions,
    facts: &SsoFacts,
    project_folders: bool,
    account_password: bool,
) -> Vec<Finding> {
    let mut findings = Vec::new();
    let incomplete = |message: Said, fix: Said| {
        blocker(C::SsoChoiceIncomplete, Server::Nextcloud, message).evidence("the SSO choice").fix(fix)
    };
    let mut user_oidc_writes = facts.store_login_token != Some(true);
    if let IdentityProvider::External { token_exchange, oidc_provider, .. } = &options.provider {
        match (oidc_provider, &options.new_provider) {
            (None, None) => {
                findings.push(incomplete(said!("fm-sso_choice_no_provider"), said!("ff-sso_choice_no_provider")))
            }
            (None, Some(new)) => {
                user_oidc_writes = true;
                if new.client_id.trim().is_empty() || new.client_secret.expose().is_empty() {
                    findings.push(incomplete(said!("fm-sso_choice_no_client"), said!("ff-sso_choice_no_client")));
                }
                if facts.user_oidc_providers.contains(&new.identifier) {
                    findings.push(
                        blocker(
                            C::SsoProviderExists,
                            Server::Nextcloud,
                            said!("fm-sso_provider_exists", provider = &new.identifier),
                        )
                        .evidence(format!("user_oidc providers: {:?}", facts.user_oidc_providers))
                        .fix(said!("ff-sso_provider_exists")),
                    );
                }
            }
            (Some(_), _) => {}
        }
        if *token_exchange && options.openproject_client_id.as_deref().is_none_or(|c| c.trim().is_empty()) {
            findings.push(incomplete(
                said!("fm-sso_choice_no_openproject_client"),
                said!("ff-sso_choice_no_openproject_client"),
            ));
        }
    }
    if project_folders {
        if let Some(version) = facts
            .openproject_version
            .as_deref()
            .and_then(parse_server_version)
            .filter(|v| *v < compat::OPENPROJECT_SSO_PROJECT_FOLDERS)
        {
            findings.push(
                blocker(
                    C::SsoProjectFoldersTooOld,
                    Server::OpenProject,
                    said!(
                        "fm-sso_project_folders_too_old",
                        needed = compat::OPENPROJECT_SSO_PROJECT_FOLDERS,
                        version = &version
                    ),
                )
                .evidence(format!("coreVersion {version}"))
                .fix(said!("ff-sso_project_folders_too_old")),
            );
        }
    }
    if user_oidc_writes && !account_password {
        findings.push(
            blocker(C::SsoPasswordConfirmationNeeded, Server::Nextcloud, said!("fm-sso_password_confirmation_needed"))
                .evidence("signed in to Nextcloud with an app password")
                .fix(said!("ff-sso_password_confirmation_needed")),
        );
    }
    if matches!(options.provider, IdentityProvider::NextcloudHub) {
        findings.push(
            Finding::new(C::SsoBearerValidationByHand, Severity::Warning, Some(Server::Nextcloud), said!("fm-sso_bearer_validation_by_hand"))
                .evidence("user_oidc.oidc_provider_bearer_validation (config.php)")
                .fix(said!("ff-sso_bearer_validation_by_hand"))
                .command("sudo -u www-data php occ config:system:set user_oidc oidc_provider_bearer_validation --value=true --type=boolean"),
        );
    }
    let slug = options.openproject_slug();
    if facts.openproject_sign_in.contains(&slug) {
        findings.push(
            Finding::new(
                C::SsoOpenprojectProviderOffered,
                Severity::Info,
                Some(Server::OpenProject),
                said!("fm-sso_openproject_provider_offered", provider = &options.openproject_provider),
            )
            .evidence(format!("sign-in page links /auth/{slug}")),
        );
    } else {
        findings.push(
            Finding::new(
                C::SsoOpenprojectProviderByHand,
                Severity::Info,
                Some(Server::OpenProject),
                said!("fm-sso_openproject_provider_by_hand", provider = &options.openproject_provider),
            )
            .evidence(format!("sign-in page offers {:?}, not /auth/{slug}", facts.openproject_sign_in)),
        );
    }
    findings
}
