//! An existing connection: which storage is this Nextcloud's, its state proven from both sides, what deleting it
//! takes away, and the delete on both servers. One definition for the desktop app and `opnc`.

use serde::Serialize;

use crate::catalogue::Said;
use crate::error::ClientError;
use crate::nextcloud::{NextcloudClient, INTEGRATION_APP};
use crate::openproject::{Filter, OpenProjectClient, Storage};
use crate::said;
use crate::setup::proof::{prove, Proof};

/// What Nextcloud's OpenProject integration points at.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum NextcloudPointsAt {
    /// Not configured (never, or reset).
    NotConfigured,
    /// Configured for this OpenProject.
    ThisOpenproject,
    /// Configured for another OpenProject: a delete of this pair leaves it alone.
    OtherOpenproject { url: String },
}

/// What deleting the connection would take away, shown before it happens.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct DeleteImpact {
    pub storage_id: Option<i64>,
    pub storage_name: Option<String>,
    /// Projects that use the storage; their file links are lost.
    pub projects: Vec<String>,
    pub nextcloud: NextcloudPointsAt,
    /// SSO with Nextcloud Hub: the oidc client made for OpenProject, deleted with the pair.
    #[serde(default)]
    pub oidc_client: Option<crate::nextcloud::OidcClientInfo>,
    /// SSO with an external identity provider: the user_oidc provider Nextcloud trusts it through (it stays: other
    /// apps and users' logins may use it).
    #[serde(default)]
    pub user_oidc_provider: Option<String>,
}

impl DeleteImpact {
    /// Neither side holds anything of this pair.
    pub fn nothing_to_delete(&self) -> bool {
        self.storage_id.is_none() && self.nextcloud != NextcloudPointsAt::ThisOpenproject
    }
}

/// What a delete removed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct Deleted {
    pub openproject_storage: bool,
    pub nextcloud_integration: bool,
}

/// The state of an existing connection, side by side.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct ConnectionState {
    pub storage_id: Option<i64>,
    pub storage_name: Option<String>,
    pub proof: Option<Proof>,
    /// The connection's links, coloured by the proof.
    #[serde(default)]
    pub picture: Option<crate::picture::Picture>,
}

impl ConnectionState {
    /// A storage exists and every check of the proof passed.
    pub fn connected(&self) -> bool {
        self.proof.as_ref().is_some_and(Proof::ok)
    }
}

/// OpenProject's storage for this Nextcloud (trailing slashes and default ports aside).
pub async fn storage(op: &OpenProjectClient, nc: &NextcloudClient) -> Result<Option<Storage>, ClientError> {
    Ok(op.storages().await?.into_iter().find(|s| nc.base().same_server(&s.host)))
}

/// The connection as it is now, proven from both sides (no proof when OpenProject has no storage for it).
pub async fn state(op: &OpenProjectClient, nc: &NextcloudClient) -> Result<ConnectionState, ClientError> {
    let Some(storage) = storage(op, nc).await? else {
        return Ok(ConnectionState { storage_id: None, storage_name: None, proof: None, picture: None });
    };
    let project_folders = storage.has_application_password == Some(true);
    let proof = if storage.is_sso() {
        crate::setup::sso_apply::prove_in_place(nc, &storage, project_folders).await?
    } else {
        prove(op, nc, &storage, project_folders).await?
    };
    let picture = crate::picture::picture_of_proof(&proof, storage.is_sso(), project_folders);
    Ok(ConnectionState {
        storage_id: Some(storage.id),
        storage_name: Some(storage.name),
        proof: Some(proof),
        picture: Some(picture),
    })
}

/// What Nextcloud's integration points at, from its `openproject_instance_url`.
pub async fn nextcloud_integration(
    op: &OpenProjectClient,
    nc: &NextcloudClient,
) -> Result<NextcloudPointsAt, ClientError> {
    let url = nc.app_config_value(INTEGRATION_APP, "openproject_instance_url").await?;
    let url = url.expose().trim();
    Ok(if url.is_empty() {
        NextcloudPointsAt::NotConfigured
    } else if op.base().same_server(url) {
        NextcloudPointsAt::ThisOpenproject
    } else {
        NextcloudPointsAt::OtherOpenproject { url: url.to_owned() }
    })
}

pub async fn delete_impact(op: &OpenProjectClient, nc: &NextcloudClient) -> Result<DeleteImpact, ClientError> {
    let (storage, nextcloud) = tokio::join!(storage(op, nc), nextcloud_integration(op, nc));
    let (storage, nextcloud) = (storage?, nextcloud?);
    let (oidc_client, user_oidc_provider) =
        if nextcloud == NextcloudPointsAt::ThisOpenproject { sso_parts(nc).await? } else { (None, None) };
    let Some(storage) = storage else {
        return Ok(DeleteImpact {
            storage_id: None,
            storage_name: None,
            projects: vec![],
            nextcloud,
            oidc_client,
            user_oidc_provider,
        });
    };
    let projects = op.all_projects(&[Filter::new("storage_id", "=", &[&storage.id.to_string()])]).await?;
    Ok(DeleteImpact {
        storage_id: Some(storage.id),
        storage_name: Some(storage.name),
        projects: projects.into_iter().map(|p| p.name).collect(),
        nextcloud,
        oidc_client,
        user_oidc_provider,
    })
}

/// What an SSO configuration of Nextcloud's integration rests on: Hub's oidc client (found by the audience on the
/// oidc app's admin page), or the user_oidc provider it names.
async fn sso_parts(
    nc: &NextcloudClient,
) -> Result<(Option<crate::nextcloud::OidcClientInfo>, Option<String>), ClientError> {
    let value = |key: &'static str| nc.app_config_value(INTEGRATION_APP, key);
    let (method, kind, audience, provider) = tokio::join!(
        value("authorization_method"),
        value("sso_provider_type"),
        value("targeted_audience_client_id"),
        value("oidc_provider")
    );
    if method?.expose() != "oidc" {
        return Ok((None, None));
    }
    if kind?.expose() == crate::setup::sso::NEXTCLOUD_HUB_TYPE {
        let audience = audience?.expose().clone();
        let clients = nc.oidc_clients().await?.unwrap_or_default();
        return Ok((clients.into_iter().find(|c| c.client_id == audience), None));
    }
    Ok((None, Some(provider?.expose().clone()).filter(|p| !p.is_empty())))
}

/// Deletes what `impact` names: the storage in OpenProject (file links go with it), then Nextcloud's integration
/// settings and OAuth client when they are this OpenProject's (its "OpenProject" user, group and team folder stay:
/// the app protects them). A Nextcloud configured for another OpenProject is left alone.
pub async fn delete(
    op: &OpenProjectClient,
    nc: &NextcloudClient,
    impact: &DeleteImpact,
) -> Result<Deleted, ClientError> {
    if let Some(id) = impact.storage_id {
        op.delete_storage(id).await?;
    }
    let nextcloud_integration = impact.nextcloud == NextcloudPointsAt::ThisOpenproject;
    if nextcloud_integration {
        nc.delete_setup().await?;
    }
    if let Some(client) = impact.oidc_client.as_ref().filter(|_| nextcloud_integration) {
        nc.delete_oidc_client(client.id).await?;
    }
    Ok(Deleted { openproject_storage: impact.storage_id.is_some(), nextcloud_integration })
}

/// The impact of a delete in plain words, side by side, for the confirmation.
///
/// Nextcloud's `DELETE /setup` sets every integration setting to null (integration_openproject
/// `lib/Controller/ConfigController.php` `resetIntegration`): its OAuth client for OpenProject is deleted and every
/// user's OpenProject token revoked and cleared, while the "OpenProject" user, group, team folder and app password
/// stay (the app password is only removed by an explicit `setup_app_password: false`).
pub fn describe_impact(impact: &DeleteImpact) -> Said {
    let openproject = match (&impact.storage_id, &impact.storage_name) {
        (Some(id), Some(name)) => said!(
            "delete-openproject-storage",
            name = name,
            id = id,
            count = impact.projects.len(),
            projects = impact.projects.join(", ")
        ),
        _ => said!("delete-openproject-none"),
    };
    let nextcloud = match &impact.nextcloud {
        NextcloudPointsAt::ThisOpenproject => {
            let mut sentences = vec![said!("delete-nextcloud-this")];
            if let Some(client) = &impact.oidc_client {
                sentences.push(said!("delete-nextcloud-oidc_client", name = &client.name));
            }
            if let Some(provider) = &impact.user_oidc_provider {
                sentences.push(said!("delete-nextcloud-provider_stays", provider = provider));
            }
            Said::sentences(&sentences)
        }
        NextcloudPointsAt::NotConfigured => said!("delete-nextcloud-not_configured"),
        NextcloudPointsAt::OtherOpenproject { url } => said!("delete-nextcloud-other", url = url),
    };
    said!("delete-impact").arg_said("openproject", openproject).arg_said("nextcloud", nextcloud)
}

/// Why there is nothing to delete.
pub fn describe_nothing(impact: &DeleteImpact) -> Said {
    said!("delete-nothing").arg_said("impact", describe_impact(impact))
}

/// What a delete did.
pub fn describe_deleted(deleted: &Deleted) -> Said {
    match (deleted.openproject_storage, deleted.nextcloud_integration) {
        (true, true) => said!("deleted-both"),
        (true, false) => said!("deleted-openproject"),
        (false, true) => said!("deleted-nextcloud"),
        (false, false) => said!("deleted-nothing"),
    }
}
