//! Enabling the storage in projects. OpenProject has no API to add a storage to a project (up to 18.0), so
//! this is a verified hand-off: the admin adds the projects on the page this opens, and the assistant
//! watches `GET /api/v3/project_storages` until the chosen projects appear.

use std::time::{Duration, Instant};

use serde::Serialize;

use crate::error::ClientError;
use crate::openproject::{Filter, OpenProjectClient, Project};
use crate::version::v;

#[derive(Debug, Clone, Default, Serialize)]
pub struct EnableReport {
    /// Enabled while the assistant watched.
    pub added: Vec<Project>,
    /// Already enabled before.
    pub already: Vec<Project>,
    /// Not enabled when the wait ended.
    pub missing: Vec<Project>,
}

/// Where the admin adds projects: the storage's "Enabled in projects" tab from 14.5, else each project's
/// settings (before 14.1 the "File storages" module must be enabled there too).
pub fn pages(
    op: &OpenProjectClient,
    storage_id: i64,
    version: Option<&semver::Version>,
    projects: &[Project],
) -> Vec<String> {
    match version {
        Some(version) if *version >= v(14, 5, 0) => {
            vec![format!("{}/admin/settings/storages/{storage_id}/project_storages", op.base())]
        }
        _ => projects
            .iter()
            .map(|p| format!("{}/projects/{}/settings/project_storages", op.base(), p.identifier))
            .collect(),
    }
}

/// Projects by id, identifier or exact name.
pub async fn resolve(op: &OpenProjectClient, wanted: &[String]) -> Result<(Vec<Project>, Vec<String>), ClientError> {
    let all = op.all_projects(&[]).await?;
    let mut found = Vec::new();
    let mut unknown = Vec::new();
    for w in wanted {
        match all.iter().find(|p| p.id.to_string() == *w || p.identifier == *w || p.name == *w) {
            Some(p) => found.push(p.clone()),
            None => unknown.push(w.clone()),
        }
    }
    Ok((found, unknown))
}

async fn enabled_ids(op: &OpenProjectClient, storage_id: i64) -> Result<Vec<i64>, ClientError> {
    let links = op.project_storages(&[Filter::new("storageId", "=", &[&storage_id.to_string()])]).await?;
    Ok(links.into_iter().filter_map(|l| l.project_id).collect())
}

/// Splits the projects into already enabled and to do.
pub async fn already_enabled(
    op: &OpenProjectClient,
    storage_id: i64,
    projects: &[Project],
) -> Result<(Vec<Project>, Vec<Project>), ClientError> {
    let ids = enabled_ids(op, storage_id).await?;
    Ok(projects.iter().cloned().partition(|p| ids.contains(&p.id)))
}

/// Polls until every project in `todo` uses the storage, or `timeout` passes.
pub async fn wait_for(
    op: &OpenProjectClient,
    storage_id: i64,
    already: Vec<Project>,
    todo: Vec<Project>,
    timeout: Duration,
    every: Duration,
) -> Result<EnableReport, ClientError> {
    let started = Instant::now();
    loop {
        let ids = enabled_ids(op, storage_id).await?;
        let (added, missing): (Vec<Project>, Vec<Project>) = todo.iter().cloned().partition(|p| ids.contains(&p.id));
        if missing.is_empty() || started.elapsed() >= timeout {
            return Ok(EnableReport { added, already, missing });
        }
        tokio::time::sleep(every).await;
    }
}
