//! Proof that the pair works, checked from both sides before success is declared.

use serde::Serialize;

use crate::error::ClientError;
use crate::nextcloud::{NextcloudClient, INTEGRATION_APP};
use crate::openproject::{OpenProjectClient, Storage, TokenProbe};

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProofCheck {
    pub name: &'static str,
    pub ok: bool,
    pub evidence: String,
}

#[derive(Debug, Clone, Serialize)]
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

/// Checks both sides of the storage: configured on each side, client ids and redirect URIs that match
/// across, and OpenProject's token endpoint accepting the client id and secret Nextcloud now holds.
/// Nextcloud's token endpoint cannot be probed (it answers `invalid_request` first), so on that side the
/// proof is that the client OpenProject holds exists in Nextcloud.
pub async fn prove(
    op: &OpenProjectClient,
    nc: &NextcloudClient,
    storage: &Storage,
    project_folders: bool,
) -> Result<Proof, ClientError> {
    let config_value = |key: &'static str| nc.app_config_value(INTEGRATION_APP, key);
    let (admin_config, folder, configuration, nc_url, nc_client_id, nc_secret) = tokio::join!(
        nc.check_admin_config(),
        async {
            if project_folders {
                nc.project_folder_status().await.map(Some)
            } else {
                Ok(None)
            }
        },
        op.configuration(),
        config_value("openproject_instance_url"),
        config_value("openproject_client_id"),
        config_value("openproject_client_secret"),
    );
    let (admin_config, configuration) = (admin_config?, configuration?);
    let (nc_url, nc_client_id, nc_secret) = (nc_url?, nc_client_id?, nc_secret?);
    let mut checks = Vec::new();
    let mut check = |name, ok, evidence: String| checks.push(ProofCheck { name, ok, evidence });

    check(
        "openproject_storage_configured",
        storage.is_configured(),
        format!("storage {} configured={:?}", storage.id, storage.configured),
    );
    if project_folders {
        check(
            "openproject_application_password",
            storage.has_application_password == Some(true),
            format!("hasApplicationPassword={:?}", storage.has_application_password),
        );
        let folder = folder?.unwrap_or(false);
        check(
            "nextcloud_project_folder",
            folder && admin_config.project_folder_setup_status,
            format!("project-folder-status={folder}, app password={}", admin_config.project_folder_setup_status),
        );
    }
    check(
        "nextcloud_integration_complete",
        admin_config.config_status_without_project_folder,
        format!("config_status_without_project_folder={}", admin_config.config_status_without_project_folder),
    );

    let op_app = storage.oauth_application.as_ref();
    let op_client_id = op_app.map(|a| a.client_id.clone()).unwrap_or_default();
    check(
        "client_id_openproject_in_nextcloud",
        !op_client_id.is_empty() && nc_client_id.expose() == &op_client_id,
        "Nextcloud's openproject_client_id equals OpenProject's OAuth application client id".into(),
    );
    let nc_client = storage.oauth_client_credentials.as_ref().map(|c| c.client_id.clone()).unwrap_or_default();
    let known = if nc_client.is_empty() { false } else { nc.oauth_client_exists(&nc_client).await? };
    check(
        "client_id_nextcloud_in_openproject",
        known,
        format!("Nextcloud knows the OAuth client OpenProject holds: {known}"),
    );

    let expected_redirect = format!("{}/index.php/apps/integration_openproject/oauth-redirect", nc.base());
    let redirect_ok = op_app.is_some_and(|a| a.redirect_uris.iter().any(|u| u == &expected_redirect));
    check(
        "redirect_uri_openproject",
        redirect_ok,
        format!("OpenProject's application redirects to {expected_redirect}"),
    );
    let host_name = configuration.host_name.unwrap_or_default();
    let op_host = op.base().as_str().split_once("://").map(|(_, rest)| rest.to_owned()).unwrap_or_default();
    check(
        "openproject_host_name",
        host_name.trim_end_matches('/') == op_host,
        format!("OpenProject's host name setting {host_name:?}, reached as {op_host:?}"),
    );
    check(
        "nextcloud_points_at_openproject",
        op.base().same_server(nc_url.expose()),
        format!("Nextcloud's openproject_instance_url {}", nc_url.expose()),
    );

    let probe = match op_app {
        Some(app) => op.probe_oauth_client(&app.client_id, &nc_secret, &expected_redirect).await?,
        None => TokenProbe::InvalidClient,
    };
    check(
        "openproject_accepts_nextclouds_secret",
        probe == TokenProbe::Valid,
        format!("token endpoint with the secret Nextcloud holds: {probe:?}"),
    );
    Ok(Proof { storage_id: storage.id, checks })
}
