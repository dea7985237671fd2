//! Enabling the storage in projects. OpenProject has no API to add a storage to a project (up to 18.0). With
//! the admin's browser session the assistant submits OpenProject's own forms (`openproject_web`): the storage's
//! "Add projects" form from 14.5, each project's form before (with the `storages` module turned on before
//! 14.1). Without a session, or where a page does not look as this version's should, it falls back to the
//! verified hand-off: the admin adds the projects on the page this opens, and the assistant watches
//! `GET /api/v3/project_storages` until the chosen projects appear. Either way the API has the last word.

use serde::Serialize;

use crate::compat as gates;
use crate::error::{ClientError, ErrorCode};
use crate::openproject::{Filter, OpenProjectClient, Project};
use crate::openproject_web::{AdminPages, FolderMode};

/// Where the admin adds projects: the storage's "Enabled in projects" tab from 14.5, else each project's
/// settings (before 14.1 the "File storages" module must be enabled there too).
pub fn pages(
    op: &OpenProjectClient,
    storage_id: i64,
    version: Option<&semver::Version>,
    projects: &[Project],
) -> Vec<String> {
    match version {
        Some(version) if *version >= gates::BULK_ADD => {
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
    Ok(links(op, storage_id).await?.into_iter().filter_map(|l| l.project_id).collect())
}

async fn links(
    op: &OpenProjectClient,
    storage_id: i64,
) -> Result<Vec<crate::openproject::ProjectStorage>, ClientError> {
    op.project_storages(&[Filter::new("storageId", "=", &[&storage_id.to_string()])]).await
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

/// A project OpenProject did not enable, and why.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct Refused {
    pub project: String,
    pub reason: crate::catalogue::Said,
}

/// What enabling through the session did, as confirmed by the API afterwards.
#[derive(Debug, Clone, Default, Serialize, ts_rs::TS)]
pub struct EnableOutcome {
    /// Names of projects enabled now.
    pub added: Vec<String>,
    /// Already enabled before: nothing sent for them.
    pub already: Vec<String>,
    /// Archived: OpenProject skips them (unarchive first).
    pub archived: Vec<String>,
    pub refused: Vec<Refused>,
    /// Pages for the hand-off, when the forms could not be used (no session, unknown version or page).
    pub handoff_pages: Vec<String>,
    /// Why the hand-off was needed.
    pub handoff_reason: Option<crate::catalogue::Said>,
    /// The projects to add on the hand-off pages.
    pub handoff_projects: Vec<String>,
}

/// Enables the storage in `projects` through OpenProject's forms, then reads the result back from the API.
/// Returns hand-off pages instead (nothing written) when no session is given, the version is unknown, or the
/// pages do not look as expected.
pub async fn enable(
    op: &OpenProjectClient,
    web: Option<&AdminPages>,
    storage_id: i64,
    projects: &[Project],
    mode: &FolderMode,
) -> Result<EnableOutcome, ClientError> {
    let (already, rest) = already_enabled(op, storage_id, projects).await?;
    let (todo, archived): (Vec<Project>, Vec<Project>) = rest.into_iter().partition(|p| p.active);
    let names = |list: &[Project]| list.iter().map(|p| p.name.clone()).collect::<Vec<_>>();
    let mut outcome = EnableOutcome { already: names(&already), archived: names(&archived), ..Default::default() };
    if todo.is_empty() {
        return Ok(outcome);
    }
    // The hand-off, when the forms cannot be used: its pages depend on the version the API reports (admins see
    // it), else the session's. Asked only when needed.
    let handoff = |mut outcome: EnableOutcome, reason: crate::catalogue::Said| {
        let todo = &todo;
        async move {
            let version = match op.root().await.ok().and_then(|r| r.version()) {
                Some(v) => Some(v),
                None => web.and_then(|w| w.version()).cloned(),
            };
            outcome.handoff_pages = pages(op, storage_id, version.as_ref(), todo);
            outcome.handoff_reason = Some(reason);
            outcome.handoff_projects = todo.iter().map(|p| p.name.clone()).collect();
            Ok(outcome)
        }
    };
    let Some(web) = web else {
        return handoff(outcome, crate::said!("projects-not_signed_in")).await;
    };
    let Some(version) = web.version().cloned() else {
        return handoff(outcome, crate::said!("projects-version_unknown")).await;
    };
    let mut refused: Vec<Refused> = Vec::new();
    let fallback = |e: &ClientError| e.code() == ErrorCode::PageNotRecognized;
    if version >= gates::BULK_ADD {
        let ids: Vec<i64> = todo.iter().map(|p| p.id).collect();
        match web.add_projects(storage_id, &ids, mode).await {
            Ok(()) => {}
            Err(e) if fallback(&e) => {
                return handoff(outcome, e.said().0).await;
            }
            Err(e) if e.code() == ErrorCode::OpenprojectApiError => {
                refused.extend(todo.iter().map(|p| Refused { project: p.name.clone(), reason: e.said().0 }));
            }
            Err(e) => return Err(e),
        }
    } else {
        for project in &todo {
            if version < gates::OPENPROJECT_NO_STORAGES_MODULE {
                match web.enable_storages_module(&project.identifier).await {
                    Ok(()) => {}
                    Err(e) if fallback(&e) => {
                        return handoff(outcome, e.said().0).await;
                    }
                    Err(e) => return Err(e),
                }
            }
            match web.add_to_project(&project.identifier, storage_id, mode).await {
                Ok(()) => {}
                Err(e) if fallback(&e) => {
                    return handoff(outcome, e.said().0).await;
                }
                Err(e) if e.code() == ErrorCode::OpenprojectApiError => {
                    refused.push(Refused { project: project.name.clone(), reason: e.said().0 })
                }
                Err(e) => return Err(e),
            }
        }
    }
    let now = links(op, storage_id).await?;
    for project in &todo {
        let link = now.iter().find(|l| l.project_id == Some(project.id));
        let as_asked = link.is_some_and(|l| {
            l.project_folder_mode.as_deref().is_none_or(|m| m == mode.as_str())
                && (mode.folder_id().is_empty() || l.project_folder_id.as_deref() == Some(mode.folder_id()))
        });
        if as_asked {
            outcome.added.push(project.name.clone());
        } else if let Some(link) = link {
            refused.push(Refused {
                project: project.name.clone(),
                reason: crate::said!(
                    "projects-other_folder",
                    mode = link.project_folder_mode.as_deref().unwrap_or("?"),
                    folder = link.project_folder_id.as_deref().unwrap_or("")
                ),
            });
        } else if !refused.iter().any(|r| r.project == project.name) {
            refused.push(Refused { project: project.name.clone(), reason: crate::said!("projects-not_listed") });
        }
    }
    refused.retain(|r| !outcome.added.contains(&r.project));
    outcome.refused = refused;
    Ok(outcome)
}
