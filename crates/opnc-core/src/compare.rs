//! What changed between two reports of a pair — the last one that worked (the baseline) and now, or two reports a
//! customer sent — and the baselines themselves: after every successful setup or reset a redacted report of the
//! healthy pair is kept beside the job files, so that a later diagnosis can lead with "changed since it worked".

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::catalogue::Said;
use crate::doctor::{Diagnosis, ReportFile, Verdict};
use crate::findings::{FindingCode, Severity};
use crate::picture::LinkKind;
use crate::said;

/// What a change is about.
#[derive(ts_rs::TS, Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChangeKind {
    OpenprojectUrl,
    NextcloudUrl,
    OpenprojectVersion,
    NextcloudVersion,
    IntegrationVersion,
    Storage,
    StorageName,
    StorageHost,
    Method,
    ProjectFolders,
    OpenprojectClientId,
    OpenprojectClientIdInNextcloud,
    NextcloudClientId,
    NextcloudPointsAt,
    NextcloudMethod,
    /// A network leg or credential link of the picture changed its colour.
    Link,
    /// A problem or warning that the earlier report did not have.
    FindingAppeared,
    /// A problem or warning of the earlier report that is gone.
    FindingGone,
}

/// One difference: the value before and after (`None`: not read; `""`: read and empty).
#[derive(ts_rs::TS, Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Change {
    pub kind: ChangeKind,
    pub before: Option<String>,
    pub after: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub link: Option<LinkKind>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub finding: Option<FindingCode>,
    /// The change as a sentence, for every face.
    pub said: Said,
}

impl Change {
    fn value(kind: ChangeKind, before: Option<String>, after: Option<String>) -> Self {
        Self { kind, before, after, link: None, finding: None, said: Said::new("plain") }
    }

    /// The change as a sentence.
    fn describe(&self) -> Said {
        let shown = |v: &Option<String>| match v.as_deref() {
            None => said!("change-not_read"),
            Some("") => said!("change-empty"),
            Some("true") if self.kind == ChangeKind::ProjectFolders => said!("change-yes"),
            Some("false") if self.kind == ChangeKind::ProjectFolders => said!("change-no"),
            Some("sso") if self.kind == ChangeKind::Method => said!("ui-methodSso"),
            Some("oauth") if self.kind == ChangeKind::Method => said!("ui-methodOauthShort"),
            Some(v) if self.kind == ChangeKind::Link => Said::new(format!("linkstatus-{v}")),
            Some(v) => said!("plain", text = v),
        };
        let mut said = Said::new(crate::catalogue::key("change", &self.kind))
            .arg_said("before", shown(&self.before))
            .arg_said("after", shown(&self.after));
        if let Some(link) = self.link {
            said = said.arg_said("link", Said::new(crate::catalogue::key("link", &link)));
        }
        if let Some(code) = self.finding {
            said = said.arg_said("finding", Said::new(crate::catalogue::key("finding", &code)));
        }
        said
    }
}

/// What differs from `old` to `new`: the addresses, versions, storage, method, project folders and identifiers
/// first, then the picture's links, then the problems and warnings that appeared or went. A value `new` could not
/// read is no change (a check that did not run says nothing about the server).
pub fn compare(old: &Diagnosis, new: &Diagnosis) -> Vec<Change> {
    let mut changes = Vec::new();
    let mut value = |kind: ChangeKind, before: Option<String>, after: Option<String>| {
        if after.is_some() && before != after {
            changes.push(Change::value(kind, before, after));
        }
    };
    value(ChangeKind::OpenprojectUrl, Some(old.openproject.url.clone()), Some(new.openproject.url.clone()));
    value(ChangeKind::NextcloudUrl, Some(old.nextcloud.url.clone()), Some(new.nextcloud.url.clone()));
    value(ChangeKind::OpenprojectVersion, old.openproject.version.clone(), new.openproject.version.clone());
    value(ChangeKind::NextcloudVersion, old.nextcloud.version.clone(), new.nextcloud.version.clone());
    value(ChangeKind::IntegrationVersion, old.integration_version.clone(), new.integration_version.clone());
    // A storage that is gone reads as empty; one that could not be looked for (no admin) is not read.
    let storage = |d: &Diagnosis| match d.storage_id {
        Some(id) => Some(id.to_string()),
        None if d.openproject.access == crate::doctor::Access::Admin => Some(String::new()),
        None => None,
    };
    value(ChangeKind::Storage, storage(old), storage(new));
    let (a, b) = (&old.connection, &new.connection);
    value(ChangeKind::StorageName, a.storage_name.clone(), b.storage_name.clone());
    value(ChangeKind::StorageHost, a.storage_host.clone(), b.storage_host.clone());
    let with_storage = |d: &Diagnosis, v: String| d.storage_id.map(|_| v);
    let method = |d: &Diagnosis| with_storage(d, if d.sso { "sso" } else { "oauth" }.to_owned());
    value(ChangeKind::Method, method(old), method(new));
    let folders = |d: &Diagnosis| with_storage(d, d.project_folders.to_string());
    value(ChangeKind::ProjectFolders, folders(old), folders(new));
    value(ChangeKind::OpenprojectClientId, a.openproject_client_id.clone(), b.openproject_client_id.clone());
    value(
        ChangeKind::OpenprojectClientIdInNextcloud,
        a.openproject_client_id_in_nextcloud.clone(),
        b.openproject_client_id_in_nextcloud.clone(),
    );
    value(ChangeKind::NextcloudClientId, a.nextcloud_client_id.clone(), b.nextcloud_client_id.clone());
    value(ChangeKind::NextcloudPointsAt, a.nextcloud_points_at.clone(), b.nextcloud_points_at.clone());
    value(ChangeKind::NextcloudMethod, a.nextcloud_method.clone(), b.nextcloud_method.clone());

    let status =
        |l: &crate::picture::Link| serde_json::to_value(l.status).ok().and_then(|v| v.as_str().map(str::to_owned));
    let (before, after) = (old.picture(), new.picture());
    for link in &after.links {
        // A link that is only unchecked now (its checks did not run) did not change.
        let unchecked = link.status == crate::picture::LinkStatus::Doubtful && link.findings.is_empty();
        if let Some(earlier) = before.links.iter().find(|l| l.kind == link.kind).filter(|_| !unchecked) {
            if earlier.status != link.status {
                changes.push(Change {
                    link: Some(link.kind),
                    ..Change::value(ChangeKind::Link, status(earlier), status(link))
                });
            }
        }
    }

    let notable = |d: &Diagnosis| -> Vec<FindingCode> {
        let mut codes: Vec<FindingCode> =
            d.findings.iter().filter(|f| f.severity != Severity::Info).map(|f| f.code).collect();
        codes.dedup();
        codes
    };
    let (was, is) = (notable(old), notable(new));
    for code in is.iter().filter(|c| !was.contains(c)) {
        changes.push(Change { finding: Some(*code), ..Change::value(ChangeKind::FindingAppeared, None, None) });
    }
    // What is not found now is gone only where everything was checked.
    for code in was.iter().filter(|c| !is.contains(c) && new.not_run.is_empty()) {
        changes.push(Change { finding: Some(*code), ..Change::value(ChangeKind::FindingGone, None, None) });
    }
    for change in &mut changes {
        change.said = change.describe();
    }
    changes
}

/// What changed since the pair last worked, for a diagnosis that found it broken (none for one that works —
/// healthy, or with warnings only —, which becomes the new last good state instead).
pub fn since_last_good(baselines: &Baselines, diagnosis: &Diagnosis) -> Vec<Change> {
    match diagnosis.verdict() {
        Verdict::Healthy | Verdict::WarningsOnly => {
            if let Err(e) = baselines.keep(diagnosis) {
                tracing::warn!("the pair's last good state could not be kept: {e}");
            }
            return Vec::new();
        }
        // Nothing broken was found: what could not be checked is no change.
        Verdict::CouldNotCheck => return Vec::new(),
        Verdict::Problems => {}
    }
    match baselines.last_good(&diagnosis.openproject.url, &diagnosis.nextcloud.url) {
        Some((_, good)) => compare(&good.diagnosis, diagnosis),
        None => Vec::new(),
    }
}

/// The baselines: one redacted report per pair, the last that worked, beside the job files.
#[derive(Debug, Clone)]
pub struct Baselines {
    dir: PathBuf,
}

impl Baselines {
    pub fn in_folder(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into() }
    }

    /// The baselines of the pairs whose setup jobs `store` keeps.
    pub fn beside(store: &crate::setup::journal::JobStore) -> Self {
        Self::in_folder(store.dir().join("baselines"))
    }

    /// The file of a pair: its two addresses, made a file name.
    pub fn path(&self, openproject: &str, nextcloud: &str) -> PathBuf {
        let name = |url: &str| -> String {
            url.trim_end_matches('/').chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '_' }).collect()
        };
        self.dir.join(format!("{}--{}.json", name(openproject), name(nextcloud)))
    }

    /// Keeps `diagnosis` as the pair's last good state, when it is one (healthy, or working with warnings);
    /// returns where. The report is the exported one: no secret is in it.
    pub fn keep(&self, diagnosis: &Diagnosis) -> std::io::Result<Option<PathBuf>> {
        if !matches!(diagnosis.verdict(), Verdict::Healthy | Verdict::WarningsOnly) {
            return Ok(None);
        }
        std::fs::create_dir_all(&self.dir)?;
        let path = self.path(&diagnosis.openproject.url, &diagnosis.nextcloud.url);
        let tmp = path.with_extension("json.tmp");
        std::fs::write(&tmp, diagnosis.to_json())?;
        std::fs::rename(&tmp, &path)?;
        Ok(Some(path))
    }

    /// The pair's last good state, if one was kept and can be read.
    pub fn last_good(&self, openproject: &str, nextcloud: &str) -> Option<(PathBuf, ReportFile)> {
        let path = self.path(openproject, nextcloud);
        let text = std::fs::read_to_string(&path).ok()?;
        ReportFile::read(&text).ok().map(|r| (path, r))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::doctor::{Access, ConnectionFacts, ServerSummary};
    use crate::findings::Finding;

    fn healthy() -> Diagnosis {
        let side = |url: &str, version: &str| ServerSummary {
            url: url.into(),
            version: Some(version.into()),
            access: Access::Admin,
        };
        Diagnosis {
            openproject: side("https://op.example", "16.6.0"),
            nextcloud: side("https://nc.example", "34.0.1"),
            integration_version: Some("3.1.1".into()),
            storage_id: Some(7),
            sso: false,
            project_folders: true,
            connection: ConnectionFacts {
                storage_name: Some("Nextcloud".into()),
                storage_host: Some("https://nc.example".into()),
                openproject_client_id: Some("op-app".into()),
                openproject_client_id_in_nextcloud: Some("op-app".into()),
                nextcloud_client_id: Some("nc-client".into()),
                nextcloud_points_at: Some("https://op.example".into()),
                nextcloud_method: Some("oauth2".into()),
            },
            findings: Vec::new(),
            not_run: Vec::new(),
        }
    }

    #[test]
    fn the_same_report_has_no_changes() {
        assert_eq!(compare(&healthy(), &healthy()), Vec::new());
    }

    #[test]
    fn an_upgrade_that_wiped_nextclouds_settings_shows_as_versions_and_emptied_values() {
        let old = healthy();
        let mut new = healthy();
        new.nextcloud.version = Some("35.0.0".into());
        new.connection.nextcloud_points_at = Some(String::new());
        new.connection.openproject_client_id_in_nextcloud = Some(String::new());
        new.findings.push(Finding::new(
            FindingCode::IntegrationIncomplete,
            Severity::Blocker,
            Some(crate::Server::Nextcloud),
            said!("fm-integration_incomplete"),
        ));
        let changes = compare(&old, &new);
        let kinds: Vec<ChangeKind> = changes.iter().map(|c| c.kind).collect();
        assert_eq!(
            kinds[..3],
            [ChangeKind::NextcloudVersion, ChangeKind::OpenprojectClientIdInNextcloud, ChangeKind::NextcloudPointsAt]
        );
        assert!(kinds.contains(&ChangeKind::FindingAppeared), "{changes:#?}");
        let points = changes.iter().find(|c| c.kind == ChangeKind::NextcloudPointsAt).unwrap();
        let english = points.said.english();
        assert!(english.contains("https://op.example") && english.contains("empty"), "{english}");
        let german = points.said.in_language(crate::catalogue::Language::De);
        assert!(german.contains("leer"), "{german}");
    }

    #[test]
    fn what_could_not_be_read_now_is_no_change() {
        let old = healthy();
        let mut new = healthy();
        new.nextcloud.version = None;
        new.connection = ConnectionFacts::default();
        new.integration_version = None;
        assert_eq!(compare(&old, &new), Vec::new());
    }

    #[test]
    fn a_kept_baseline_is_read_back_and_a_broken_pair_is_not_kept() {
        let dir = std::env::temp_dir().join(format!("opnc-baseline-{}", std::process::id()));
        let baselines = Baselines::in_folder(&dir);
        let good = healthy();
        let path = baselines.keep(&good).unwrap().expect("a healthy pair is kept");
        let (read_from, read) = baselines.last_good("https://op.example", "https://nc.example").unwrap();
        assert_eq!(read_from, path);
        assert_eq!(read.diagnosis.connection, good.connection);
        let mut broken = healthy();
        broken.openproject.url = "https://other.example".into();
        broken.findings.push(Finding::new(
            FindingCode::StorageMissing,
            Severity::Blocker,
            Some(crate::Server::OpenProject),
            said!("fm-storage_missing"),
        ));
        assert_eq!(baselines.keep(&broken).unwrap(), None);
        assert!(baselines.last_good("https://other.example", "https://nc.example").is_none());
        let _ = std::fs::remove_dir_all(dir);
    }
}
