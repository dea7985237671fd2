//! The persisted setup job: phases, an append-only event log, and the compensations recorded *before*
//! each change. One JSON file per job in the app data folder, mode 0600, written atomically. No secret is
//! ever written here.

use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use crate::ServerUrl;

use crate::error::ErrorView;
use crate::setup::preflight::NextcloudIntegration;

#[derive(ts_rs::TS, Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JobStatus {
    Running,
    Succeeded,
    /// Failed and both sides were rolled back.
    RolledBack,
    /// Failed, and the rollback failed too: `rollback_error` says what is left.
    RollbackFailed,
}

impl JobStatus {
    pub fn is_finished(self) -> bool {
        self != JobStatus::Running
    }
}

#[derive(ts_rs::TS, Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    Started,
    ReplaceStorage,
    /// SSO with Nextcloud Hub: the oidc client OpenProject signs users in with.
    CreateOidcClient,
    /// SSO: user_oidc's provider for the identity provider, and its stored login tokens.
    ConfigureUserOidc,
    /// A conversion: the storage's method in OpenProject.
    SwitchStorage,
    CreateStorage,
    ConfigureNextcloud,
    SetNextcloudClient,
    SetApplicationPassword,
    Proof,
    RollingBack,
    Done,
}

impl Phase {
    /// What the phase does, for people (the catalogue's English).
    pub fn describe(self) -> String {
        self.describe_in(crate::catalogue::Language::En)
    }

    pub fn describe_in(self, language: crate::catalogue::Language) -> String {
        crate::catalogue::text(language, &crate::catalogue::key("phase", &self))
    }
}

/// How to undo one change. Recorded before the change is made.
#[derive(ts_rs::TS, Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Compensation {
    /// Delete the storage this job created: by id once known, else by host and name (a crash may come
    /// between OpenProject creating it and the id being recorded).
    DeleteStorage {
        storage_id: Option<i64>,
        #[ts(type = "string")]
        nextcloud_url: ServerUrl,
        name: String,
    },
    /// Nextcloud had no integration settings: reset them (`DELETE /setup`).
    ResetNextcloud,
    /// Nextcloud had settings: put them back (the secret only while this process still holds it), in the form
    /// the integration_openproject version they were read from accepts (before 2.9 it refuses
    /// `authorization_method`). Jobs recorded before the version was kept have none: 3.1.1's form then.
    RestoreNextcloud {
        previous: NextcloudIntegration,
        #[serde(default)]
        integration_version: Option<String>,
    },
    /// Delete the oidc client this job created (SSO with Nextcloud Hub), by its numeric id once known. Nextcloud
    /// has no HTTP list of clients and answers a delete of one that is gone with a 500: `deleted` records that it
    /// was done, so a second pass does not ask again.
    DeleteOidcClient {
        id: Option<i64>,
        /// The client id the setup chose for it (not a secret): with it, a client whose numeric id was never
        /// learnt can be told apart, and named for removal on the server.
        #[serde(default)]
        client_id: Option<String>,
        name: String,
        #[serde(default)]
        deleted: bool,
    },
    /// Delete the user_oidc provider this job created, found by its identifier (needs password confirmation).
    DeleteUserOidcProvider { identifier: String },
    /// A conversion switched the storage's method: switch it back (`sso` `None`: two-way OAuth).
    RestoreStorageMethod { storage_id: i64, sso: Option<crate::openproject::StorageSso> },
    /// A conversion switched Nextcloud's `authorization_method` (the other method's settings stay in place, measured
    /// on 3.1.1): switch it back, with the SSO settings it had (`sso` `None`: two-way OAuth). No secret is needed.
    RestoreNextcloudMethod {
        sso: Option<crate::setup::preflight::NextcloudSso>,
        #[serde(default)]
        integration_version: Option<String>,
    },
}

impl Compensation {
    /// The server the undo writes to.
    pub fn server(&self) -> crate::error::Server {
        use crate::error::Server;
        match self {
            Compensation::DeleteStorage { .. } | Compensation::RestoreStorageMethod { .. } => Server::OpenProject,
            Compensation::ResetNextcloud
            | Compensation::RestoreNextcloud { .. }
            | Compensation::DeleteOidcClient { .. }
            | Compensation::DeleteUserOidcProvider { .. }
            | Compensation::RestoreNextcloudMethod { .. } => Server::Nextcloud,
        }
    }
}

#[derive(ts_rs::TS, Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum EventKind {
    JobStarted,
    PhaseStarted {
        phase: Phase,
    },
    CompensationRecorded {
        compensation: Compensation,
    },
    Changed {
        /// In English (the job file, logs); faces say `said` (jobs written before it have none).
        what: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[ts(optional)]
        said: Option<crate::catalogue::Said>,
    },
    Failed {
        phase: Phase,
        error: ErrorView,
    },
    RollbackStarted,
    /// A write may still land at the server (it was under way when the job stopped): both sides are watched until
    /// `until` (seconds since the Unix epoch), and what lands is undone again.
    WatchingForLateChanges {
        until: u64,
    },
    Undone {
        /// In English (the job file, logs); faces say `said` (jobs written before it have none).
        what: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[ts(optional)]
        said: Option<crate::catalogue::Said>,
        /// The side that was put back (jobs written before this field read as unknown).
        #[serde(default)]
        server: Option<crate::error::Server>,
    },
    RollbackCompleted,
    RollbackFailed {
        error: ErrorView,
    },
    Succeeded,
    Interrupted,
}

impl EventKind {
    /// A change made, said in each face's language.
    pub fn changed(said: crate::catalogue::Said) -> Self {
        EventKind::Changed { what: said.english(), said: Some(said) }
    }

    /// A change put back on `server` (none: a late change found on either side), said in each face's language.
    pub fn undone(said: crate::catalogue::Said, server: Option<crate::error::Server>) -> Self {
        EventKind::Undone { what: said.english(), said: Some(said), server }
    }
}

#[derive(ts_rs::TS, Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    /// Seconds since the Unix epoch.
    pub at: u64,
    #[serde(flatten)]
    pub kind: EventKind,
}

#[derive(ts_rs::TS, Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Job {
    pub id: String,
    #[ts(type = "string")]
    pub openproject_url: ServerUrl,
    #[ts(type = "string")]
    pub nextcloud_url: ServerUrl,
    pub storage_name: String,
    pub project_folders: bool,
    pub status: JobStatus,
    pub phase: Phase,
    pub events: Vec<Event>,
    pub compensations: Vec<Compensation>,
    pub error: Option<ErrorView>,
    pub rollback_error: Option<ErrorView>,
    /// The process that started the job (jobs recorded before owners were kept have none). Whether it still
    /// works on the job is the lease's to say (`JobStore::lease`); this says who it was.
    #[serde(default)]
    pub owner: Option<Owner>,
}

/// Who started a job.
#[derive(ts_rs::TS, Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Owner {
    pub process_id: u32,
    pub host: String,
    /// Seconds since the Unix epoch.
    pub started_at: u64,
}

impl Owner {
    fn this_process() -> Self {
        let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
            .ok()
            .or_else(|| std::env::var("COMPUTERNAME").ok())
            .or_else(|| std::env::var("HOSTNAME").ok())
            .map(|h| h.trim().to_owned())
            .unwrap_or_default();
        Self { process_id: std::process::id(), host, started_at: now() }
    }

    /// "process 1234 on host-name", for the admin.
    pub fn said(&self) -> crate::catalogue::Said {
        match self.host.is_empty() {
            true => crate::said!("job-owner", process = self.process_id),
            false => crate::said!("job-owner_on_host", process = self.process_id, host = &self.host),
        }
    }
}

/// A file in the job folder that could not be read as a job: reported, never silently skipped, because it may
/// be a setup whose changes are still to be undone.
#[derive(ts_rs::TS, Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UnreadableJob {
    pub path: String,
    pub reason: String,
}

fn now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}

impl Job {
    pub fn new(
        openproject_url: &ServerUrl,
        nextcloud_url: &ServerUrl,
        storage_name: &str,
        project_folders: bool,
    ) -> Self {
        let nanos = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
        let mut job = Self {
            id: format!("setup-{nanos:x}"),
            openproject_url: openproject_url.clone(),
            nextcloud_url: nextcloud_url.clone(),
            storage_name: storage_name.into(),
            project_folders,
            status: JobStatus::Running,
            phase: Phase::Started,
            events: Vec::new(),
            compensations: Vec::new(),
            error: None,
            rollback_error: None,
            owner: Some(Owner::this_process()),
        };
        job.log(EventKind::JobStarted);
        job
    }

    pub fn log(&mut self, kind: EventKind) {
        self.events.push(Event { at: now(), kind });
    }

    pub fn enter(&mut self, phase: Phase) {
        self.phase = phase;
        self.log(EventKind::PhaseStarted { phase });
    }

    pub fn record(&mut self, compensation: Compensation) {
        self.log(EventKind::CompensationRecorded { compensation: compensation.clone() });
        self.compensations.push(compensation);
    }
}

/// Where jobs are kept.
#[derive(Debug, Clone)]
pub struct JobStore {
    dir: PathBuf,
}

impl JobStore {
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into() }
    }

    /// The folder the CLI and the desktop app share, so that either can settle the other's interrupted jobs.
    pub fn in_user_data_folder() -> Self {
        Self::new(dirs::data_local_dir().unwrap_or_else(std::env::temp_dir).join("opnc-setup-assistant").join("jobs"))
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn path(&self, id: &str) -> PathBuf {
        self.dir.join(format!("{id}.json"))
    }

    /// Writes the job atomically (temporary file, then rename), readable only by the user.
    pub fn save(&self, job: &Job) -> std::io::Result<()> {
        std::fs::create_dir_all(&self.dir)?;
        let text = serde_json::to_vec_pretty(job).map_err(std::io::Error::other)?;
        let tmp = self.dir.join(format!(".{}.tmp", job.id));
        write_private(&tmp, &text)?;
        std::fs::rename(&tmp, self.path(&job.id))
    }

    /// Removes a job's file (and its lease file).
    pub fn remove(&self, id: &str) -> std::io::Result<()> {
        let _ = std::fs::remove_file(self.dir.join(format!("{id}.lock")));
        std::fs::remove_file(self.path(id))
    }

    pub fn load(&self, id: &str) -> std::io::Result<Job> {
        let text = std::fs::read(self.path(id))?;
        serde_json::from_slice(&text).map_err(std::io::Error::other)
    }

    pub fn all(&self) -> Vec<Job> {
        self.scan().0
    }

    /// Every job in the folder, and the files that could not be read as one.
    pub fn scan(&self) -> (Vec<Job>, Vec<UnreadableJob>) {
        let Ok(entries) = std::fs::read_dir(&self.dir) else { return (Vec::new(), Vec::new()) };
        let mut jobs = Vec::new();
        let mut unreadable = Vec::new();
        for entry in entries.filter_map(|e| e.ok()) {
            let path = entry.path();
            if !entry.file_name().to_string_lossy().ends_with(".json") {
                continue;
            }
            let read = std::fs::read(&path)
                .map_err(|e| e.to_string())
                .and_then(|t| serde_json::from_slice::<Job>(&t).map_err(|e| e.to_string()));
            match read {
                Ok(job) => jobs.push(job),
                Err(reason) => unreadable.push(UnreadableJob { path: path.display().to_string(), reason }),
            }
        }
        jobs.sort_by(|a, b| a.id.cmp(&b.id));
        unreadable.sort_by(|a, b| a.path.cmp(&b.path));
        (jobs, unreadable)
    }

    /// The files in the job folder that are not readable jobs.
    pub fn unreadable(&self) -> Vec<UnreadableJob> {
        self.scan().1
    }

    /// Jobs left half done by a process that is gone: interrupted while running (a crash, a kill, a closed app), or
    /// whose rollback failed (a later recovery finishes it; the compensations are safe to run again). A job whose
    /// owner still runs — `opnc` and the desktop app share this folder — holds its lease and is not listed.
    pub fn interrupted(&self) -> Vec<Job> {
        self.survey().0
    }

    /// The interrupted jobs and the unreadable files, from one read of the folder.
    pub fn survey(&self) -> (Vec<Job>, Vec<UnreadableJob>) {
        let (jobs, unreadable) = self.scan();
        let interrupted = jobs
            .into_iter()
            .filter(|j| matches!(j.status, JobStatus::Running | JobStatus::RollbackFailed))
            .filter(|j| self.lease(&j.id).is_ok())
            .collect();
        (interrupted, unreadable)
    }

    /// The job's lease: an exclusive lock on `<id>.lock` held by the process working on the job, for as long as it
    /// does. The operating system releases it when that process ends, however it ends; so a job is interrupted
    /// exactly when its lease is free. `Err` while another process holds it.
    pub fn lease(&self, id: &str) -> std::io::Result<JobLease> {
        std::fs::create_dir_all(&self.dir)?;
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(self.dir.join(format!("{id}.lock")))?;
        match file.try_lock() {
            Ok(()) => Ok(JobLease { _file: file }),
            Err(std::fs::TryLockError::WouldBlock) => {
                Err(std::io::Error::new(std::io::ErrorKind::WouldBlock, "another process is working on this setup"))
            }
            Err(std::fs::TryLockError::Error(e)) => Err(e),
        }
    }
}

/// Held while a process works on a job (see `JobStore::lease`); dropping it releases the job.
#[derive(Debug)]
pub struct JobLease {
    _file: std::fs::File,
}

#[cfg(unix)]
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new().write(true).create(true).truncate(true).mode(0o600).open(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}

#[cfg(not(unix))]
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    // The app data folder is per user on Windows and macOS.
    std::fs::write(path, bytes)
}

#[cfg(test)]
mod tests {
    fn test_url(text: &str) -> crate::ServerUrl {
        crate::ServerUrl::parse(text, crate::UrlPolicy::default()).unwrap()
    }

    use super::*;

    #[test]
    fn a_job_whose_owner_still_works_on_it_is_not_interrupted() {
        let dir = std::env::temp_dir().join(format!("opnc-journal-lease-{}", std::process::id()));
        let store = JobStore::new(&dir);
        let job = Job::new(&test_url("https://op.example.com"), &test_url("https://nc.example.com"), "Nextcloud", true);
        let lease = store.lease(&job.id).unwrap();
        store.save(&job).unwrap();
        assert!(store.interrupted().is_empty(), "its owner holds the lease");
        assert!(store.lease(&job.id).is_err(), "nobody else can take it");
        drop(lease);
        assert_eq!(store.interrupted().len(), 1, "the owner is gone: interrupted");
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn jobs_round_trip_privately() {
        let dir = std::env::temp_dir().join(format!("opnc-journal-test-{}", std::process::id()));
        let store = JobStore::new(&dir);
        let mut job = Job::new(&test_url("https://op.example"), &test_url("https://nc.example"), "Nextcloud", true);
        job.record(Compensation::DeleteStorage {
            storage_id: None,
            nextcloud_url: test_url("https://nc.example"),
            name: "Nextcloud".into(),
        });
        store.save(&job).unwrap();
        assert_eq!(store.load(&job.id).unwrap(), job);
        assert_eq!(store.interrupted().len(), 1);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.join(format!("{}.json", job.id))).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        std::fs::remove_dir_all(dir).unwrap();
    }
}
