//! An existing connection: which storage is this Nextcloud's, what deleting it takes away, and the delete on
//! both servers. One definition for the desktop app and `opnc`.

use serde::Serialize;

use crate::error::ClientError;
use crate::nextcloud::NextcloudClient;
use crate::openproject::{Filter, OpenProjectClient, Storage};

/// What deleting the connection would take away, shown before it happens.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct DeleteImpact {
    pub storage_id: Option<i64>,
    pub storage_name: Option<String>,
    /// Projects that use the storage; their file links are lost.
    pub projects: Vec<String>,
}

/// OpenProject's storage for this Nextcloud (trailing slashes and default ports aside).
pub async fn storage(op: &OpenProjectClient, nc: &NextcloudClient) -> Result<Option<Storage>, ClientError> {
    Ok(op.storages().await?.into_iter().find(|s| nc.base().same_server(&s.host)))
}

pub async fn delete_impact(op: &OpenProjectClient, nc: &NextcloudClient) -> Result<DeleteImpact, ClientError> {
    let Some(storage) = storage(op, nc).await? else {
        return Ok(DeleteImpact { storage_id: None, storage_name: None, projects: vec![] });
    };
    let projects = op.all_projects(&[Filter::new("storage_id", "=", &[&storage.id.to_string()])]).await?;
    Ok(DeleteImpact {
        storage_id: Some(storage.id),
        storage_name: Some(storage.name),
        projects: projects.into_iter().map(|p| p.name).collect(),
    })
}

/// Deletes the storage in OpenProject (file links go with it), then Nextcloud's integration settings and OAuth
/// client (its "OpenProject" user, group and team folder stay: the app protects them).
pub async fn delete(op: &OpenProjectClient, nc: &NextcloudClient, storage_id: Option<i64>) -> Result<(), ClientError> {
    if let Some(id) = storage_id {
        op.delete_storage(id).await?;
    }
    nc.delete_setup().await.map(drop)
}
