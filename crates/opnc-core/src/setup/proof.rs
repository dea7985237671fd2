//! Proof that the pair works, checked from both sides before success is declared.
//!
//! The Nextcloud side and the OpenProject side are separate so that apply can prove Nextcloud (which is
//! final once configured) while it is still writing to OpenProject.

use serde::Serialize;

use crate::error::ClientError;
use crate::nextcloud::{NextcloudClient, INTEGRATION_APP};
use crate::openproject::{OpenProjectClient, Storage, TokenProbe};

#[derive(ts_rs::TS, Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProofCheck {
    /// Stable name, for machines (`--json`) and tests; people read `summary` (the catalogue's
    /// `proof-<name>-ok|failed`).
    pub name: &'static str,
    /// The side the check looks at.
    pub server: crate::error::Server,
    pub ok: bool,
    /// The check's result as a sentence.
    pub summary: String,
    /// What was observed, for support staff.
    pub evidence: String,
}

#[derive(ts_rs::TS, Debug, Clone, Serialize)]
pub struct Proof {
    pub storage_id: i64,
    pub checks: Vec<ProofCheck>,
}

impl Proof {
    pub fn ok(&self) -> bool {
        self.checks.iter().all(|c| c.ok)
    }

    pub fn failed(&self) -> Vec<&ProofCheck> {
        self.checks.iter().filter(|c| !c.ok).collect()
    }
}

/// A field OpenProject may leave out (older versions), as the evidence says it.
fn shown(value: Option<bool>) -> String {
    value.map(|v| v.to_string()).unwrap_or_else(|| "(not reported by this version)".into())
}

pub(crate) fn check(name: &'static str, ok: bool, evidence: String) -> ProofCheck {
    let server = CHECKS.iter().find(|(n, _)| *n == name).map(|(_, s)| *s).unwrap_or(crate::error::Server::OpenProject);
    ProofCheck { name, server, ok, summary: summary(crate::catalogue::Language::En, name, ok), evidence }
}

/// Every proof check and the side it looks at; the catalogue words each as passed and as failed.
pub const CHECKS: [(&str, crate::error::Server); 17] = {
    use crate::error::Server::{Nextcloud as N, OpenProject as O};
    [
        ("openproject_storage_configured", O),
        ("openproject_application_password", O),
        ("openproject_holds_nextclouds_client", O),
        ("redirect_uri_openproject", O),
        ("openproject_host_name", O),
        ("openproject_accepts_nextclouds_secret", O),
        ("openproject_storage_sso", O),
        ("nextcloud_integration_complete", N),
        ("nextcloud_project_folder", N),
        ("nextcloud_project_folder_write", N),
        ("client_id_openproject_in_nextcloud", N),
        ("client_id_nextcloud_in_openproject", N),
        ("nextcloud_points_at_openproject", N),
        ("nextcloud_sso_mode", N),
        ("nextcloud_sso_audience", N),
        ("nextcloud_sso_provider", N),
        ("nextcloud_store_login_token", N),
    ]
};

/// A check's result in plain words, as it passed or failed.
pub fn summary(language: crate::catalogue::Language, name: &str, ok: bool) -> String {
    crate::catalogue::text(language, &format!("proof-{name}-{}", if ok { "ok" } else { "failed" }))
}

/// What Nextcloud's own answer to the setup just said, so the proof does not read it again: `status` (whether the
/// integration is complete, from 2.11.4/3.1.1), the OpenProject address in the redirect URI it gave OpenProject
/// (`<openproject_instance_url>/oauth_clients/<id>/callback`, built from what it stored), and whether it created
/// the project folder and its app password in that answer.
#[derive(Debug, Clone, Default)]
pub struct SetupAnswer {
    pub complete: Option<bool>,
    pub openproject_url: Option<String>,
    pub project_folder_created: bool,
    /// The answer (or the PATCH after it) carried a new app password for the "OpenProject" user.
    pub app_password: bool,
    /// That app password, for the proof that it can write (memory only; `Sensitive` never prints).
    pub project_folder_password: Option<crate::SecretString>,
}

impl SetupAnswer {
    pub fn from_response(answer: &crate::nextcloud::SetupResponse, created_project_folder: bool) -> Self {
        Self {
            complete: answer.status,
            openproject_url: answer
                .openproject_redirect_uri
                .as_deref()
                .and_then(|u| u.split_once("/oauth_clients/").map(|(base, _)| base.to_owned())),
            project_folder_created: created_project_folder && answer.openproject_user_app_password.is_some(),
            app_password: answer.openproject_user_app_password.is_some(),
            project_folder_password: answer.openproject_user_app_password.clone(),
        }
    }
}

/// What Nextcloud must hold for OpenProject: the integration complete (and the project folder), the
/// OpenProject client id and URL, the Nextcloud client OpenProject is given, and a secret that OpenProject's
/// token endpoint accepts (`invalid_grant`, not `invalid_client`). Nextcloud's own token endpoint cannot
/// be probed (it answers `invalid_request` first), so on that side the client's existence is the proof.
pub async fn prove_nextcloud_side(
    op: &OpenProjectClient,
    nc: &NextcloudClient,
    op_client_id: &str,
    nc_client_id: &str,
    project_folders: bool,
    answered: Option<&SetupAnswer>,
) -> Result<Vec<ProofCheck>, ClientError> {
    let value = |key: &'static str| nc.app_config_value(INTEGRATION_APP, key);
    let answered_complete = answered.and_then(|a| a.complete);
    let answered_url = answered.and_then(|a| a.openproject_url.clone());
    let answered_folder = answered.is_some_and(|a| a.project_folder_created);
    let answered_app_password = answered.is_some_and(|a| a.app_password);
    let fresh_password = answered.and_then(|a| a.project_folder_password.clone()).filter(|_| project_folders);
    let (admin_config, folder, nc_url, held_client_id, held_secret, known, writes) = tokio::join!(
        async {
            match answered_complete {
                Some(complete) => Ok(crate::nextcloud::AdminConfigStatus {
                    config_status_without_project_folder: complete,
                    project_folder_setup_status: answered_app_password,
                }),
                None => nc.check_admin_config().await,
            }
        },
        async {
            match (project_folders, answered_folder) {
                (false, _) => Ok(None),
                (true, true) => Ok(Some(true)),
                (true, false) => nc.project_folder_status().await.map(Some),
            }
        },
        async {
            match &answered_url {
                Some(url) => Ok(crate::SecretString::from(url.as_str())),
                None => value("openproject_instance_url").await,
            }
        },
        value("openproject_client_id"),
        nc.openproject_client_secret(),
        async {
            if nc_client_id.is_empty() {
                Ok(false)
            } else {
                nc.oauth_client_exists(nc_client_id).await
            }
        },
        async {
            match &fresh_password {
                Some(password) => nc.project_folder_user_can_write(password).await.map(Some),
                None => Ok(None),
            }
        },
    );
    let (admin_config, nc_url, held_client_id, held_secret, known, writes) =
        (admin_config?, nc_url?, held_client_id?, held_secret?, known?, writes?);
    let expected_redirect = nc.openproject_redirect_uri();
    let probe = match &held_secret {
        Some(secret) => Some(op.probe_oauth_client(op_client_id, secret, &expected_redirect).await?),
        None => None,
    };
    let source = if answered_complete.is_some() { "the setup's answer" } else { "check-admin-config" };
    let mut checks = vec![check(
        "nextcloud_integration_complete",
        admin_config.config_status_without_project_folder,
        format!("{source}: config_status_without_project_folder={}", admin_config.config_status_without_project_folder),
    )];
    if let Some(folder) = folder? {
        let source = if answered_folder {
            "created by the setup, whose answer carried the app password"
        } else {
            "project-folder-status"
        };
        checks.push(check(
            "nextcloud_project_folder",
            folder && admin_config.project_folder_setup_status,
            format!("{source}: folder={folder}, app password={}", admin_config.project_folder_setup_status),
        ));
    }
    if let Some(writes) = writes {
        checks.push(check(
            "nextcloud_project_folder_write",
            writes,
            if writes {
                "POST cloud/users/OpenProject/groups (groupid OpenProject) as \"OpenProject\" with its app password: 200"
                    .into()
            } else {
                "POST cloud/users/OpenProject/groups as \"OpenProject\" with its app password: 403 Password confirmation is required".into()
            },
        ));
    }
    checks.push(check(
        "client_id_openproject_in_nextcloud",
        !op_client_id.is_empty() && held_client_id.expose() == op_client_id,
        "Nextcloud's openproject_client_id equals OpenProject's OAuth application client id".into(),
    ));
    checks.push(check(
        "client_id_nextcloud_in_openproject",
        known,
        format!("Nextcloud knows the OAuth client OpenProject is given: {known}"),
    ));
    checks.push(check(
        "nextcloud_points_at_openproject",
        op.base().same_server(nc_url.expose()),
        match &answered_url {
            Some(url) => format!("the redirect URI Nextcloud built from its openproject_instance_url: {url}"),
            None => format!("Nextcloud's openproject_instance_url {}", nc_url.expose()),
        },
    ));
    checks.push(match probe {
        Some(probe) => check(
            "openproject_accepts_nextclouds_secret",
            probe == TokenProbe::Valid,
            format!("token endpoint with the secret Nextcloud holds: {probe:?}"),
        ),
        // Nextcloud hides the secret (or holds none, which the integration check above reports).
        None => check(
            "openproject_accepts_nextclouds_secret",
            admin_config.config_status_without_project_folder,
            "Nextcloud does not show the secret it holds; not probed".into(),
        ),
    });
    Ok(checks)
}

/// What OpenProject must hold: the storage configured (and its app password), Nextcloud's client, the
/// redirect URI to this Nextcloud, and a host name setting that matches how OpenProject is reached — when
/// OpenProject says it: a setting it did not show is not proven wrong (a working pair is never rolled back
/// for it).
pub fn prove_openproject_side(
    op: &OpenProjectClient,
    nc: &NextcloudClient,
    storage: &Storage,
    host_name: Option<&str>,
    nc_client_id: &str,
    project_folders: bool,
) -> Vec<ProofCheck> {
    let mut checks = vec![check(
        "openproject_storage_configured",
        storage.is_configured(),
        format!("storage {} configured={}", storage.id, shown(storage.configured)),
    )];
    if project_folders {
        checks.push(check(
            "openproject_application_password",
            storage.has_application_password == Some(true),
            format!("hasApplicationPassword={}", shown(storage.has_application_password)),
        ));
    }
    let held = storage.oauth_client_credentials.as_ref().map(|c| c.client_id.as_str()).unwrap_or_default();
    checks.push(check(
        "openproject_holds_nextclouds_client",
        !held.is_empty() && held == nc_client_id,
        "OpenProject's Nextcloud client id equals the one Nextcloud issued".into(),
    ));
    let expected_redirect = nc.openproject_redirect_uri();
    let redirect_ok =
        storage.oauth_application.as_ref().is_some_and(|a| a.redirect_uris.iter().any(|u| u == &expected_redirect));
    checks.push(check(
        "redirect_uri_openproject",
        redirect_ok,
        format!("OpenProject's application redirects to {expected_redirect}"),
    ));
    if let Some(host_name) = host_name {
        let reached_as = crate::openproject::reached_as(op.base());
        checks.push(check(
            "openproject_host_name",
            crate::openproject::host_name_matches(host_name, op.base()),
            format!("OpenProject's host name setting {host_name:?}, reached as {reached_as:?}"),
        ));
    }
    checks
}

/// Both sides of an existing storage (for status and for a re-run).
pub async fn prove(
    op: &OpenProjectClient,
    nc: &NextcloudClient,
    storage: &Storage,
    project_folders: bool,
) -> Result<Proof, ClientError> {
    let op_client_id = storage.oauth_application.as_ref().map(|a| a.client_id.clone()).unwrap_or_default();
    let nc_client_id = storage.oauth_client_credentials.as_ref().map(|c| c.client_id.clone()).unwrap_or_default();
    let (configuration, nextcloud_side) = tokio::join!(
        op.configuration(),
        prove_nextcloud_side(op, nc, &op_client_id, &nc_client_id, project_folders, None)
    );
    let host_name = configuration?.host_name;
    let mut checks = prove_openproject_side(op, nc, storage, host_name.as_deref(), &nc_client_id, project_folders);
    checks.extend(nextcloud_side?);
    Ok(Proof { storage_id: storage.id, checks })
}
