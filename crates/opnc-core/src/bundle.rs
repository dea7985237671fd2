//! The support bundle: one file a customer sends, with everything support needs about a pair — the diagnosis of
//! both sides, the last good state and what changed since, the setup jobs of the pair, and the desktop app's
//! recent log lines — and no secret. Each part is redacted already where it is made (reports and jobs hold no
//! secret, logs never log one); the log lines pass a last filter besides, because they are free text.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::compare::{Baselines, Change};
use crate::doctor::{Diagnosis, MadeBy};
use crate::setup::journal::{Job, JobStore};

/// How many of the newest log lines a bundle carries.
pub const LOG_LINES: usize = 400;

#[derive(ts_rs::TS, Debug, Clone, Serialize, Deserialize)]
pub struct SupportBundle {
    /// Says what it is, for a reader handed some JSON file.
    pub kind: String,
    pub made_by: MadeBy,
    pub diagnosis: Diagnosis,
    /// The last good state of the pair, when one was kept.
    pub baseline: Option<Diagnosis>,
    /// What changed from the last good state to the diagnosis.
    pub changed: Vec<Change>,
    /// The pair's setup jobs, newest last.
    pub jobs: Vec<Job>,
    /// The desktop app's newest log lines (oldest first).
    pub log_lines: Vec<String>,
}

const KIND: &str = "opnc-support-bundle";

impl SupportBundle {
    /// Whether `value` says it is a support bundle.
    pub fn is_bundle(value: &serde_json::Value) -> bool {
        value.get("kind").and_then(|k| k.as_str()) == Some(KIND)
    }

    /// Gathers the bundle of the pair `diagnosis` is about: its baseline beside `store`'s jobs, those of its jobs,
    /// and the newest lines of the log files in `log_folder` (when there is one).
    pub fn gather(
        diagnosis: Diagnosis,
        store: &JobStore,
        log_folder: Option<&Path>,
        language: crate::catalogue::Language,
    ) -> Self {
        let baseline = Baselines::beside(store)
            .last_good(&diagnosis.openproject.url, &diagnosis.nextcloud.url)
            .map(|(_, report)| report.diagnosis);
        let changed = baseline.as_ref().map(|b| crate::compare::compare(b, &diagnosis)).unwrap_or_default();
        let mut jobs: Vec<Job> = store
            .all()
            .into_iter()
            .filter(|j| {
                j.openproject_url.same_server(&diagnosis.openproject.url)
                    && j.nextcloud_url.same_server(&diagnosis.nextcloud.url)
            })
            .collect();
        jobs.sort_by_key(|j| j.events.first().map(|e| e.at).unwrap_or(0));
        let log_lines = log_folder.map(newest_log_lines).unwrap_or_default();
        Self {
            kind: KIND.into(),
            made_by: MadeBy { version: env!("CARGO_PKG_VERSION").into(), language },
            diagnosis,
            baseline,
            changed,
            jobs,
            log_lines,
        }
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }

    /// Reads a bundle; a file that is not one says so.
    pub fn read(text: &str) -> Result<Self, String> {
        let value: serde_json::Value = serde_json::from_str(text).map_err(|e| format!("not JSON ({e})"))?;
        if !Self::is_bundle(&value) {
            return Err("not a support bundle of this assistant".into());
        }
        serde_json::from_value(value).map_err(|e| format!("not a readable support bundle: {e}"))
    }
}

/// The desktop app's log folder (Tauri's `app_log_dir` for its identifier), where this machine has one.
pub fn desktop_log_folder() -> Option<PathBuf> {
    const IDENTIFIER: &str = "org.opnc.setup-assistant";
    let folder = if cfg!(target_os = "macos") {
        dirs::home_dir().map(|h| h.join("Library/Logs").join(IDENTIFIER))
    } else {
        dirs::data_local_dir().map(|d| d.join(IDENTIFIER).join("logs"))
    };
    folder.filter(|f| f.is_dir())
}

/// The newest `LOG_LINES` lines of the log files in `folder`, each through `redact_line`.
fn newest_log_lines(folder: &Path) -> Vec<String> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(folder)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "log"))
        .collect();
    // Daily files are named by date: the name orders them.
    files.sort();
    let mut lines = Vec::new();
    for file in files.iter().rev() {
        let text = std::fs::read_to_string(file).unwrap_or_default();
        let mut these: Vec<String> = text.lines().map(redact_line).collect();
        these.append(&mut lines);
        lines = these;
        if lines.len() >= LOG_LINES {
            break;
        }
    }
    let skip = lines.len().saturating_sub(LOG_LINES);
    lines.split_off(skip)
}

/// A last filter over free text: the value after a word that names a secret (`password=…`, `"client_secret":
/// "…"`, `Authorization: Bearer …`) is replaced. The app never logs a secret; this is for what it cannot foresee.
pub fn redact_line(line: &str) -> String {
    const NAMES: [&str; 7] = ["password", "secret", "token", "authorization", "bearer", "cookie", "apikey"];
    // ASCII only, so that byte positions stay those of `line`.
    let lower = line.to_ascii_lowercase();
    let mut out = String::with_capacity(line.len());
    let mut rest_from = 0;
    let bytes = line.as_bytes();
    let mut i = 0;
    while i < line.len() {
        let hit = NAMES.iter().find(|n| lower[i..].starts_with(*n));
        if let Some(name) = hit {
            let mut j = i + name.len();
            // The rest of the name (`_id` stays: ids are public), then the separators.
            while j < line.len() && (bytes[j].is_ascii_alphanumeric() || bytes[j] == b'_') {
                j += 1;
            }
            if lower[i..j].ends_with("_id") {
                i = j;
                continue;
            }
            let mut k = j;
            while k < line.len() && matches!(bytes[k], b'"' | b'\'' | b':' | b'=' | b' ') {
                k += 1;
            }
            // A header's value is the rest of the line ("Bearer …" included).
            if k > j && matches!(*name, "authorization" | "cookie") {
                out.push_str(&line[rest_from..k]);
                out.push_str("<redacted>");
                return out;
            }
            if k > j {
                let end = line[k..]
                    .find(|c: char| c.is_whitespace() || matches!(c, '"' | '\'' | ',' | '&' | '}'))
                    .map_or(line.len(), |e| k + e);
                if end > k {
                    out.push_str(&line[rest_from..k]);
                    out.push_str("<redacted>");
                    rest_from = end;
                    i = end;
                    continue;
                }
            }
            i = j;
            continue;
        }
        i += line[i..].chars().next().map_or(1, char::len_utf8);
    }
    out.push_str(&line[rest_from..]);
    out
}

#[cfg(test)]
mod tests {
    use super::redact_line;

    #[test]
    fn values_after_secret_names_are_redacted_and_ids_stay() {
        assert_eq!(redact_line("login password=hunter2 ok"), "login password=<redacted> ok");
        assert_eq!(
            redact_line(r#"{"client_secret": "abc123", "client_id": "pub"}"#),
            r#"{"client_secret": "<redacted>", "client_id": "pub"}"#
        );
        assert_eq!(redact_line("Authorization: Bearer eyJhbGciOi.x.y"), "Authorization: <redacted>");
        assert_eq!(redact_line("GET /ocs/v2.php/cloud/capabilities 200"), "GET /ocs/v2.php/cloud/capabilities 200");
        assert_eq!(redact_line("Passwört ünd token=ä1"), "Passwört ünd token=<redacted>");
    }
}
