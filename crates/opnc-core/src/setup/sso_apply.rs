//! SSO setup: the pair connected through an OpenID Connect identity provider instead of two-way OAuth, as the same
//! journaled two-sided job (compensation recorded before each change, rollback of both sides on failure, recovery
//! after a crash). The sequences are those of `shared/contracts/sso-oidc.md` (A: Nextcloud Hub, B/C: an external
//! identity provider with or without token exchange); the requests are the recorded ones
//! (`recorded/nextcloud-34.0.1-sso-apps.json`). OpenProject's own OpenID provider has no API: the outcome carries
//! the values to enter in its form (`ProviderHandoff`).

use crate::catalogue::Said;
use crate::error::Server;
use crate::nextcloud::{NewUserOidcProvider, NextcloudClient, SetupValues, INTEGRATION_APP};
use crate::openproject::{Storage, StoragePatch, StorageSso, IDP_AUDIENCE};
use crate::said;
use crate::setup::apply::{proven, Runner, Secrets, StepError};
use crate::setup::journal::{Compensation, EventKind, Job, Phase};
use crate::setup::preflight::Facts;
use crate::setup::proof::{check, Proof, ProofCheck};
use crate::setup::sso::{IdentityProvider, ProviderHandoff, SsoOptions, SsoPlan, OIDC_CLIENT_NAME, OPENPROJECT_SCOPES};
use crate::setup::{Plan, PlannedChange};
use crate::ServerUrl;

/// The SSO part of a plan, from the review's facts. `None` when a choice the plan needs is missing (the preflight
/// reports that as a blocker).
pub fn plan_sso(sso: &SsoOptions, facts: &Facts, openproject: &ServerUrl, nextcloud: &ServerUrl) -> Option<SsoPlan> {
    let sso_facts = facts.sso.as_ref()?;
    let callback = format!("{}/auth/{}/callback", openproject.as_str().trim_end_matches('/'), sso.openproject_slug());
    let store_login_token = sso_facts.store_login_token != Some(true);
    match &sso.provider {
        IdentityProvider::NextcloudHub => Some(SsoPlan {
            provider: sso.provider.clone(),
            storage: StorageSso { audience: IDP_AUDIENCE.into(), token_exchange_scope: None },
            oidc_client_redirect: Some(callback.clone()),
            oidc_provider: None,
            create_provider: None,
            discovery_url: crate::oidc::nextcloud_hub_discovery(nextcloud).to_string(),
            targeted_audience: None,
            token_exchange: false,
            store_login_token,
            openproject_provider: sso.openproject_provider.clone(),
            openproject_callback: callback,
        }),
        IdentityProvider::External { discovery_url, token_exchange, oidc_provider } => {
            let (identifier, nextcloud_client, create) = match (oidc_provider, &sso.new_provider) {
                (Some(id), _) => {
                    let existing = sso_facts.providers.iter().find(|p| p.identifier == *id)?;
                    (id.clone(), existing.client_id.clone(), None)
                }
                (None, Some(new)) => (new.identifier.clone(), new.client_id.clone(), Some(new.clone())),
                (None, None) => return None,
            };
            let audience = if *token_exchange { nextcloud_client } else { IDP_AUDIENCE.into() };
            let targeted_audience = if *token_exchange { Some(sso.openproject_client_id.clone()?) } else { None };
            Some(SsoPlan {
                provider: sso.provider.clone(),
                storage: StorageSso {
                    audience,
                    token_exchange_scope: sso.token_exchange_scope.clone().filter(|_| *token_exchange),
                },
                oidc_client_redirect: None,
                oidc_provider: Some(identifier),
                create_provider: create,
                discovery_url: discovery_url.clone(),
                targeted_audience,
                token_exchange: *token_exchange,
                store_login_token,
                openproject_provider: sso.openproject_provider.clone(),
                openproject_callback: callback,
            })
        }
    }
}

/// What Nextcloud gets before either side is switched to SSO: Hub's oidc client, user_oidc's provider, stored
/// login tokens — with what a rollback leaves of them.
fn prerequisite_changes(plan: &mut Plan, sso: &SsoPlan) {
    let nc = |phase: Phase, action: Said| PlannedChange::new(Server::Nextcloud, phase, action);
    if let Some(redirect) = &sso.oidc_client_redirect {
        plan.changes.push(nc(
            Phase::CreateOidcClient,
            said!("plan-create_oidc_client", name = OIDC_CLIENT_NAME, redirect = redirect),
        ));
        plan.cannot_undo(said!("plan-undo-refresh_tokens"));
    }
    if let Some(new) = &sso.create_provider {
        plan.changes.push(nc(
            Phase::ConfigureUserOidc,
            said!(
                "plan-create_user_oidc_provider",
                identifier = &new.identifier,
                discovery = &sso.discovery_url,
                client = &new.client_id
            ),
        ));
    }
    if sso.store_login_token {
        plan.changes.push(nc(Phase::ConfigureUserOidc, said!("plan-store_login_token")));
        plan.cannot_undo(said!("plan-undo-login_tokens"));
    }
}

/// How OpenProject's requests reach Nextcloud, in the plan's words.
fn token_route(sso: &SsoPlan) -> Said {
    if sso.token_exchange {
        said!("plan-route_exchange", audience = &sso.storage.audience)
    } else {
        said!("plan-route_as_is")
    }
}

/// The plan's changes for SSO, in the order the job makes them.
pub fn sso_changes(plan: &mut Plan, sso: &SsoPlan) {
    let nc = |phase: Phase, action: Said| PlannedChange::new(Server::Nextcloud, phase, action);
    let op = |phase: Phase, action: Said| PlannedChange::new(Server::OpenProject, phase, action);
    prerequisite_changes(plan, sso);
    let how = token_route(sso);
    let storage = said!("plan-create_storage_sso", name = &plan.options.storage_name, nextcloud = &plan.nextcloud_url)
        .arg_said("route", how);
    plan.changes.push(op(Phase::CreateStorage, storage));
    let idp = match &sso.provider {
        IdentityProvider::NextcloudHub => said!("plan-idp_hub"),
        IdentityProvider::External { .. } if sso.token_exchange => {
            said!("plan-idp_external_exchange", provider = sso.oidc_provider.clone().unwrap_or_default())
        }
        IdentityProvider::External { .. } => {
            said!("plan-idp_external", provider = sso.oidc_provider.clone().unwrap_or_default())
        }
    };
    let key = if plan.nextcloud_had_settings { "plan-replace_integration_sso" } else { "plan-set_up_integration_sso" };
    let integration = Said::new(key).arg_said("idp", idp).arg("openproject", &plan.openproject_url);
    plan.changes.push(nc(Phase::ConfigureNextcloud, integration));
    if plan.options.project_folders {
        // (An existing "OpenProject" user blocks SSO with project folders: see `SsoProjectFolderNotReusable`.)
        plan.changes.push(nc(Phase::ConfigureNextcloud, said!("plan-create_project_folder")));
        plan.cannot_undo(said!("plan-undo-project_folder_stays"));
        plan.changes.push(op(Phase::SetApplicationPassword, said!("plan-store_app_password")));
    }
    if plan.replace_storage_id.is_some() || plan.nextcloud_had_settings {
        plan.cannot_undo(said!("plan-undo-sso_sign_in_again"));
    }
}

/// The values for OpenProject's OpenID provider form.
fn handoff(plan: &Plan, sso: &SsoPlan, secrets: &Secrets) -> ProviderHandoff {
    let hub = secrets.oidc_client.as_ref();
    ProviderHandoff {
        page: format!("{}/admin/openid_connect/providers/new", plan.openproject_url.as_str().trim_end_matches('/')),
        display_name: sso.openproject_provider.clone(),
        discovery_url: sso.discovery_url.clone(),
        client_id: hub.map(|c| c.client_id.clone()).or_else(|| sso.targeted_audience.clone()).unwrap_or_default(),
        client_secret: hub.map(|c| c.client_secret.clone()),
        client_secret_source: match &sso.provider {
            IdentityProvider::NextcloudHub => {
                "Nextcloud: Administration settings → Security → OpenID Connect clients".into()
            }
            IdentityProvider::External { .. } => "the identity provider: OpenProject's client there".into(),
        },
        secret_held_by: match &sso.provider {
            IdentityProvider::NextcloudHub => crate::error::Server::Nextcloud,
            IdentityProvider::External { .. } => crate::error::Server::IdentityProvider,
        },
        scopes: OPENPROJECT_SCOPES.into(),
        token_exchange: sso.token_exchange,
        callback_url: sso.openproject_callback.clone(),
        sign_in_slug: crate::setup::sso::openproject_slug(&sso.openproject_provider),
    }
}

type StepResult<T> = Result<T, (StepError, Option<Proof>)>;

impl Runner<'_> {
    /// What Nextcloud needs before either server is switched to SSO: Hub's oidc client for OpenProject (its client
    /// id is the audience), user_oidc's provider for an external identity provider, stored login tokens. Returns the
    /// audience Nextcloud is to check.
    async fn sso_prerequisites(
        &self,
        plan: &Plan,
        sso: &SsoPlan,
        job: &mut Job,
        secrets: &mut Secrets,
    ) -> StepResult<Option<String>> {
        let e = |err: StepError| (err, None);
        let mut audience = sso.targeted_audience.clone();

        if let Some(redirect) = &sso.oidc_client_redirect {
            job.enter(Phase::CreateOidcClient);
            let client_id = crate::nextcloud::new_oidc_client_id();
            job.record(Compensation::DeleteOidcClient {
                id: None,
                client_id: Some(client_id.clone()),
                name: OIDC_CLIENT_NAME.into(),
                deleted: false,
            });
            self.checkpoint(job).map_err(e)?;
            let client = self
                .nc
                .create_oidc_client(OIDC_CLIENT_NAME, redirect, &client_id)
                .await
                .map_err(|err| e(err.into()))?;
            if let Some(Compensation::DeleteOidcClient { id, .. }) = job.compensations.last_mut() {
                *id = Some(client.id);
            }
            job.log(EventKind::changed(said!("job-created_oidc_client", id = client.id)));
            self.checkpoint(job).map_err(e)?;
            audience = Some(client.client_id.clone());
            secrets.oidc_client = Some(client);
            self.nc.set_oidc_refresh_expire_never().await.map_err(|err| e(err.into()))?;
            job.log(EventKind::changed(said!("job-refresh_tokens_never_expire")));
        }

        if sso.create_provider.is_some() || sso.store_login_token {
            job.enter(Phase::ConfigureUserOidc);
            self.checkpoint(job).map_err(e)?;
            // user_oidc wants password confirmation for every write: only the account password has it.
            let confirmed = self.account.ok_or_else(|| {
                e(StepError::Client(crate::ClientError::new(
                    Server::Nextcloud,
                    "POST /ocs/v2.php/apps/user_oidc/api/v1",
                    crate::ErrorKind::PasswordConfirmationRequired,
                )))
            })?;
            if let Some(new) = &sso.create_provider {
                job.record(Compensation::DeleteUserOidcProvider { identifier: new.identifier.clone() });
                self.checkpoint(job).map_err(e)?;
                let secret = plan
                    .options
                    .sso
                    .as_ref()
                    .and_then(|o| o.new_provider.as_ref())
                    .map(|p| p.client_secret.clone())
                    .unwrap_or_default();
                let provider = NewUserOidcProvider {
                    identifier: new.identifier.clone(),
                    client_id: new.client_id.clone(),
                    client_secret: secret,
                    discovery_endpoint: sso.discovery_url.clone(),
                    scope: "openid profile email api_v3".into(),
                };
                confirmed.create_user_oidc_provider(&provider).await.map_err(|err| e(err.into()))?;
                job.log(EventKind::changed(said!("job-created_user_oidc_provider", identifier = &new.identifier)));
                self.checkpoint(job).map_err(e)?;
            }
            if sso.store_login_token {
                confirmed.set_store_login_token(true).await.map_err(|err| e(err.into()))?;
                job.log(EventKind::changed(said!("job-stored_login_tokens_on")));
            }
        }
        Ok(audience)
    }

    /// The SSO steps of an apply (the replaced storage is already gone).
    pub(crate) async fn sso_steps(
        &self,
        plan: &Plan,
        sso: &SsoPlan,
        facts: &Facts,
        job: &mut Job,
        secrets: &mut Secrets,
    ) -> StepResult<(Storage, Proof, ProviderHandoff)> {
        let e = |err: StepError| (err, None);
        let app_version = facts.integration_semver().unwrap_or(crate::compat::INTEGRATION_APP);
        let pf = plan.options.project_folders;
        let audience = self.sso_prerequisites(plan, sso, job, secrets).await?;

        let created = self.create_storage(plan, Some(&sso.storage), job).await.map_err(e)?;
        let storage_id = created.storage.id;
        let mut storage = created.storage;
        if sso.storage.token_exchange_scope.is_some()
            && storage.token_exchange_scope != sso.storage.token_exchange_scope
        {
            // Before 16.3 the create service dropped the scope (opf/openproject#66442): a PATCH sets it.
            let patch = StoragePatch { sso: Some(sso.storage.clone()), ..StoragePatch::default() };
            storage = self.op.update_storage(storage_id, &patch).await.map_err(|err| e(err.into()))?;
            job.log(EventKind::changed(said!("job-token_exchange_scope")));
        }

        job.enter(Phase::ConfigureNextcloud);
        job.record(crate::setup::apply::nextcloud_undo(facts));
        self.checkpoint(job).map_err(e)?;
        let values = SetupValues::oidc(plan.openproject_url.clone(), sso, audience.clone(), pf);
        let answer = self.nc.create_setup(&values, &app_version).await.map_err(|err| e(err.into()))?;
        job.log(EventKind::changed(said!("job-configured_integration_sso")));
        self.checkpoint(job).map_err(e)?;

        if pf {
            job.enter(Phase::SetApplicationPassword);
            self.checkpoint(job).map_err(e)?;
            let password = answer
                .openproject_user_app_password
                .clone()
                .ok_or_else(|| e(StepError::Incomplete("the app password of the \"OpenProject\" user".into())))?;
            let patch = StoragePatch { application_password: Some(password), ..StoragePatch::default() };
            storage = self.op.update_storage(storage_id, &patch).await.map_err(|err| e(err.into()))?;
            job.log(EventKind::changed(said!("job-stored_app_password")));
        }

        job.enter(Phase::Proof);
        self.checkpoint(job).map_err(e)?;
        let checks = prove_sso(self.nc, &storage, sso, audience.as_deref(), pf).await.map_err(|err| e(err.into()))?;
        let (storage, proof) = proven(storage, Proof { storage_id, checks })?;
        Ok((storage, proof, handoff(plan, sso, secrets)))
    }
}

impl SetupValues {
    /// Every key an SSO setup POST needs, for the plan's identity provider (3.1.1 answers 400 `invalid key` to a
    /// missing one, and to `targeted_audience_client_id` where it does not belong).
    pub fn oidc(openproject_url: ServerUrl, sso: &SsoPlan, audience: Option<String>, project_folder: bool) -> Self {
        let hub = matches!(sso.provider, IdentityProvider::NextcloudHub);
        Self {
            openproject_url: Some(openproject_url),
            authorization_method: Some("oidc".into()),
            default_enable_navigation: Some(false),
            default_enable_unified_search: Some(false),
            setup_project_folder: Some(project_folder),
            setup_app_password: Some(project_folder),
            sso_provider_type: Some(sso.provider.provider_type().into()),
            oidc_provider: sso.oidc_provider.clone().filter(|_| !hub),
            targeted_audience_client_id: audience.filter(|_| hub || sso.token_exchange),
            token_exchange: (!hub).then_some(sso.token_exchange),
            ..Self::default()
        }
    }

    /// A PATCH that switches the integration's method only (`sso` `None`: two-way OAuth): the other method's
    /// settings stay in place on 3.1.1 (measured), and empty values are refused, so only what is known is sent.
    pub fn switch_method(sso: Option<&crate::setup::preflight::NextcloudSso>) -> Self {
        match sso {
            Some(sso) => {
                let given = |v: &str| Some(v.to_owned()).filter(|v| !v.is_empty());
                Self {
                    authorization_method: Some("oidc".into()),
                    sso_provider_type: given(&sso.provider_type),
                    oidc_provider: given(&sso.oidc_provider),
                    targeted_audience_client_id: given(&sso.targeted_audience_client_id),
                    token_exchange: Some(sso.token_exchange).filter(|_| sso.provider_type == "external"),
                    ..Self::default()
                }
            }
            None => Self { authorization_method: Some("oauth2".into()), ..Self::default() },
        }
    }
}

/// Proof of an SSO pair from both sides, as far as it can be known without a user's token: the storage's method
/// and audience, Nextcloud's integration in oidc mode with the planned provider and audience, user_oidc knowing
/// the provider (external) and accepting its bearer tokens, the stored login tokens, project folders.
pub async fn prove_sso(
    nc: &NextcloudClient,
    storage: &Storage,
    sso: &SsoPlan,
    audience: Option<&str>,
    project_folders: bool,
) -> Result<Vec<ProofCheck>, crate::ClientError> {
    let value = |key: &'static str| nc.app_config_value(INTEGRATION_APP, key);
    let (admin_config, method, provider_type, oidc_provider, held_audience, providers, login_token) = tokio::join!(
        nc.check_admin_config(),
        value("authorization_method"),
        value("sso_provider_type"),
        value("oidc_provider"),
        value("targeted_audience_client_id"),
        async {
            if sso.oidc_provider.is_some() {
                nc.user_oidc_providers().await
            } else {
                Ok(None)
            }
        },
        nc.store_login_token(),
    );
    let admin_config = admin_config?;
    let (method, provider_type, oidc_provider, held_audience) =
        (method?, provider_type?, oidc_provider?, held_audience?);
    let mut checks = vec![
        check(
            "openproject_storage_sso",
            storage.is_sso()
                && storage.is_configured()
                && storage.storage_audience.as_deref() == Some(sso.storage.audience.as_str()),
            format!(
                "storage {} authenticationMethod={}, configured={:?}, storageAudience={:?}",
                storage.id,
                storage.authentication_method.as_deref().unwrap_or("(none)"),
                storage.configured,
                storage.storage_audience
            ),
        ),
        check(
            "nextcloud_integration_complete",
            admin_config.config_status_without_project_folder,
            format!(
                "check-admin-config: config_status_without_project_folder={}",
                admin_config.config_status_without_project_folder
            ),
        ),
    ];
    let wanted_type = sso.provider.provider_type();
    checks.push(check(
        "nextcloud_sso_mode",
        method.expose() == "oidc" && provider_type.expose() == wanted_type,
        format!("authorization_method={:?}, sso_provider_type={:?}", method.expose(), provider_type.expose()),
    ));
    let hub = matches!(sso.provider, IdentityProvider::NextcloudHub);
    if let Some(wanted) = audience.filter(|_| hub || sso.token_exchange) {
        checks.push(check(
            "nextcloud_sso_audience",
            held_audience.expose() == wanted,
            "Nextcloud's targeted_audience_client_id equals the client OpenProject's tokens are made for".into(),
        ));
    }
    if let Some(identifier) = &sso.oidc_provider {
        let providers = providers?.unwrap_or_default();
        let found = providers.iter().find(|p| p.identifier == *identifier);
        checks.push(check(
            "nextcloud_sso_provider",
            oidc_provider.expose() == identifier && found.is_some_and(|p| p.check_bearer),
            format!(
                "oidc_provider={:?}; user_oidc providers {:?}; checkBearer={}",
                oidc_provider.expose(),
                providers.iter().map(|p| p.identifier.as_str()).collect::<Vec<_>>(),
                found.is_some_and(|p| p.check_bearer)
            ),
        ));
    }
    let stored = login_token?;
    checks.push(check(
        "nextcloud_store_login_token",
        stored == Some(true),
        format!("user_oidc store_login_token={stored:?}"),
    ));
    if project_folders {
        checks.push(check(
            "nextcloud_project_folder",
            admin_config.project_folder_setup_status && storage.has_application_password == Some(true),
            format!(
                "check-admin-config: project_folder_setup_status={}; storage hasApplicationPassword={:?}",
                admin_config.project_folder_setup_status, storage.has_application_password
            ),
        ));
    }
    Ok(checks)
}

/// Proof of an SSO pair that is there already (status, a re-run): the plan's expectations read back from what
/// Nextcloud holds.
pub async fn prove_in_place(
    nc: &NextcloudClient,
    storage: &Storage,
    project_folders: bool,
) -> Result<Proof, crate::ClientError> {
    let value = |key: &'static str| nc.app_config_value(INTEGRATION_APP, key);
    let (provider_type, oidc_provider, exchange) =
        tokio::join!(value("sso_provider_type"), value("oidc_provider"), value("token_exchange"));
    let (provider_type, oidc_provider, exchange) = (provider_type?, oidc_provider?, exchange?);
    let token_exchange = exchange.expose() == "1";
    let provider = if provider_type.expose() == crate::setup::sso::NEXTCLOUD_HUB_TYPE {
        IdentityProvider::NextcloudHub
    } else {
        IdentityProvider::External {
            discovery_url: String::new(),
            token_exchange,
            oidc_provider: Some(oidc_provider.expose().clone()),
        }
    };
    let hub = matches!(provider, IdentityProvider::NextcloudHub);
    let sso = SsoPlan {
        provider,
        storage: StorageSso {
            audience: storage.storage_audience.clone().unwrap_or_default(),
            token_exchange_scope: storage.token_exchange_scope.clone(),
        },
        oidc_client_redirect: None,
        oidc_provider: (!hub).then(|| oidc_provider.expose().clone()),
        create_provider: None,
        discovery_url: String::new(),
        targeted_audience: None,
        token_exchange,
        store_login_token: false,
        openproject_provider: String::new(),
        openproject_callback: String::new(),
    };
    let mut checks = prove_sso(nc, storage, &sso, None, project_folders).await?;
    // The storage's method is SSO: its audience must be there (OpenProject's `storage_audience_configured`).
    if storage.storage_audience.is_none() {
        checks.push(check("openproject_storage_sso", false, format!("storage {} has no storageAudience", storage.id)));
    }
    Ok(Proof { storage_id: storage.id, checks })
}

/// The changes of a conversion in place: to SSO (Nextcloud's prerequisites first), or back to two-way OAuth.
pub fn conversion_changes(plan: &mut Plan, storage: &Storage) {
    let nc = |phase: Phase, action: Said| PlannedChange::new(Server::Nextcloud, phase, action);
    let op = |phase: Phase, action: Said| PlannedChange::new(Server::OpenProject, phase, action);
    match plan.sso.clone() {
        Some(sso) => {
            prerequisite_changes(plan, &sso);
            let how = token_route(&sso);
            let switch =
                said!("plan-switch_storage_to_sso", name = &storage.name, id = storage.id).arg_said("route", how);
            plan.changes.push(op(Phase::SwitchStorage, switch));
            plan.changes.push(nc(Phase::ConfigureNextcloud, said!("plan-switch_integration_to_sso")));
            plan.cannot_undo(said!("plan-undo-oauth_unused"));
            plan.cannot_undo(said!("plan-undo-sso_settings_stay"));
        }
        None => {
            plan.changes.push(op(
                Phase::SwitchStorage,
                said!("plan-switch_storage_to_oauth", name = &storage.name, id = storage.id),
            ));
            plan.changes.push(nc(Phase::ConfigureNextcloud, said!("plan-switch_integration_to_oauth")));
            plan.cannot_undo(said!("plan-undo-oauth_reconnect"));
        }
    }
}

impl Runner<'_> {
    /// A conversion in place: the storage's method, then Nextcloud's, each with its way back recorded first; the
    /// file links, the project folders and the other method's parts stay.
    pub(crate) async fn convert_steps(
        &self,
        plan: &Plan,
        storage_id: i64,
        facts: &Facts,
        job: &mut Job,
        secrets: &mut Secrets,
    ) -> StepResult<(Storage, Proof, Option<ProviderHandoff>)> {
        let e = |err: StepError| (err, None);
        let app_version = facts.integration_semver().unwrap_or(crate::compat::INTEGRATION_APP);
        let before = facts
            .storages
            .iter()
            .find(|s| s.id == storage_id)
            .cloned()
            .ok_or_else(|| e(StepError::Incomplete("the storage".into())))?;
        let project_folders = before.has_application_password == Some(true);
        let to_sso = plan.sso.clone();
        let audience = match &to_sso {
            Some(sso) => self.sso_prerequisites(plan, sso, job, secrets).await?,
            None => None,
        };

        job.enter(Phase::SwitchStorage);
        let was = before.is_sso().then(|| StorageSso {
            audience: before.storage_audience.clone().unwrap_or_default(),
            token_exchange_scope: before.token_exchange_scope.clone(),
        });
        job.record(Compensation::RestoreStorageMethod { storage_id, sso: was });
        self.checkpoint(job).map_err(e)?;
        let patch = match &to_sso {
            Some(sso) => StoragePatch { sso: Some(sso.storage.clone()), ..StoragePatch::default() },
            None => StoragePatch { two_way_oauth: true, ..StoragePatch::default() },
        };
        self.op.update_storage(storage_id, &patch).await.map_err(|err| e(err.into()))?;
        job.log(EventKind::changed(if to_sso.is_some() {
            said!("job-switched_storage_to_sso", id = storage_id)
        } else {
            said!("job-switched_storage_to_oauth", id = storage_id)
        }));
        self.checkpoint(job).map_err(e)?;

        job.enter(Phase::ConfigureNextcloud);
        let previous_sso = facts.integration.as_ref().and_then(|i| i.sso.clone());
        job.record(Compensation::RestoreNextcloudMethod {
            sso: previous_sso.filter(|_| to_sso.is_none()),
            integration_version: facts.integration_version.clone(),
        });
        self.checkpoint(job).map_err(e)?;
        let target = to_sso.as_ref().map(|sso| {
            let hub = matches!(sso.provider, IdentityProvider::NextcloudHub);
            crate::setup::preflight::NextcloudSso {
                provider_type: sso.provider.provider_type().into(),
                // A PATCH does not fill in Hub's label as the full setup does (3.1.1 `setUpIntegration`).
                oidc_provider: sso.oidc_provider.clone().unwrap_or_else(|| "Nextcloud Hub".into()),
                targeted_audience_client_id: audience.clone().filter(|_| hub || sso.token_exchange).unwrap_or_default(),
                token_exchange: sso.token_exchange,
            }
        });
        let values = SetupValues::switch_method(target.as_ref());
        self.nc.update_setup(&values, &app_version).await.map_err(|err| e(err.into()))?;
        job.log(EventKind::changed(if to_sso.is_some() {
            said!("job-switched_integration_to_sso")
        } else {
            said!("job-switched_integration_to_oauth")
        }));

        job.enter(Phase::Proof);
        self.checkpoint(job).map_err(e)?;
        let storage = self.op.storage(storage_id).await.map_err(|err| e(err.into()))?;
        let (checks, handoff) = match &to_sso {
            Some(sso) => {
                let checks = prove_sso(self.nc, &storage, sso, audience.as_deref(), project_folders)
                    .await
                    .map_err(|err| e(err.into()))?;
                (checks, Some(handoff(plan, sso, secrets)))
            }
            None => {
                let proof = crate::setup::proof::prove(self.op, self.nc, &storage, project_folders)
                    .await
                    .map_err(|err| e(err.into()))?;
                (proof.checks, None)
            }
        };
        let (storage, proof) = proven(storage, Proof { storage_id, checks })?;
        Ok((storage, proof, handoff))
    }
}
