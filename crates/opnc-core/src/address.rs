//! A server's base address from what the admin pasted — often a page copied from the browser's address bar
//! (`https://cloud.example.com/index.php/apps/files/?dir=/`, `https://op.example.com/projects/demo/work_packages`).
//! The base is the path prefix under which the server's own API answers: `status.php` for Nextcloud, `api/v3` for
//! OpenProject. A plain base (no page path, no query) is taken as it is, without a request.

use http::Method;
use serde::Serialize;

use crate::error::{ClientError, ErrorKind, Server};
use crate::http::{HttpClient, Request};
use crate::server_url::{ServerUrl, UrlPolicy};

/// First path segments of Nextcloud pages and endpoints: where the base address ends.
const NEXTCLOUD_PAGES: &[&str] = &[
    "index.php",
    "apps",
    "remote.php",
    "public.php",
    "status.php",
    "ocs",
    "ocs-provider",
    "ocm-provider",
    "s",
    "f",
    "login",
    "settings",
    "core",
    ".well-known",
];

/// First path segments of OpenProject pages and endpoints.
const OPENPROJECT_PAGES: &[&str] = &[
    "projects",
    "work_packages",
    "wp",
    "my",
    "admin",
    "api",
    "login",
    "logout",
    "account",
    "users",
    "groups",
    "news",
    "meetings",
    "boards",
    "notifications",
    "calendars",
    "team_planners",
    "gantt",
    "activity",
    "activities",
    "search",
    "oauth",
    "settings",
    "versions",
    "wiki",
    "topics",
    "forums",
    "time_entries",
    "cost_reports",
    "documents",
    "backlogs",
    "help",
    "home",
    "statuses",
    "types",
    "roles",
    "attachments",
    "health_checks",
];

/// At most this many addresses are tried: a pasted page is a few segments deep.
const MAX_PROBES: usize = 6;

/// The address to use, and what was given when it was a page rather than the base.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ResolvedAddress {
    #[serde(serialize_with = "as_string")]
    pub url: ServerUrl,
    /// The pasted address, when the base was found under it (say so: "using X").
    pub from_page: Option<String>,
}

fn as_string<S: serde::Serializer>(url: &ServerUrl, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(url.as_str())
}

impl ResolvedAddress {
    /// "Nextcloud: using https://cloud.example.com (the server's address under the page given: …)", when the
    /// address was not given as it is used.
    pub fn note(&self, server: Server) -> Option<crate::catalogue::Said> {
        let note = |page| crate::said!("url-note-using", url = &self.url, page = page).server("server", server);
        self.from_page.as_ref().map(note)
    }
}

/// The given address without query and fragment, and the bases to try, most likely first; `None` for the bases
/// when the address is a plain base already.
fn candidates(
    server: Server,
    input: &str,
    policy: UrlPolicy,
) -> Result<(ServerUrl, Option<Vec<ServerUrl>>), ClientError> {
    let trimmed = input.trim();
    let after_scheme = trimmed.find("://").map(|i| i + 3).unwrap_or(0);
    let cut = trimmed[after_scheme..].find(['?', '#']).map(|i| after_scheme + i);
    let had_extras = cut.is_some();
    let bare = &trimmed[..cut.unwrap_or(trimmed.len())];
    let given = ServerUrl::parse(bare, policy).map_err(|e| e.for_server(server))?;
    let segments: Vec<String> = given
        .url()
        .path_segments()
        .map(|s| s.filter(|s| !s.is_empty()).map(str::to_owned).collect())
        .unwrap_or_default();
    let pages = match server {
        Server::Nextcloud => NEXTCLOUD_PAGES,
        Server::OpenProject => OPENPROJECT_PAGES,
        // An identity provider is named by its discovery document's full address: nothing to cut.
        Server::IdentityProvider => return Ok((given, None)),
    };
    let marker = segments.iter().position(|s| pages.iter().any(|p| p.eq_ignore_ascii_case(s)));
    if marker.is_none() && !had_extras {
        return Ok((given, None));
    }
    let with_segments = |n: usize| {
        let mut url = given.url().clone();
        url.set_path(&segments[..n].join("/"));
        ServerUrl::parse(url.as_str(), UrlPolicy { allow_insecure_http: true }).ok()
    };
    let first = marker.unwrap_or(segments.len());
    // The prefix before the first page segment; then deeper prefixes (a sub-path named like a page); then shallower.
    let order = std::iter::once(first).chain(first + 1..=segments.len()).chain((0..first).rev());
    let bases: Vec<ServerUrl> = order.filter_map(with_segments).take(MAX_PROBES).collect();
    Ok((given, Some(bases)))
}

/// Whether the server's own API answers under `base`; `Err` when the host itself cannot be reached (no other
/// path would answer either).
async fn answers(http: &HttpClient, server: Server, base: &ServerUrl) -> Result<bool, ClientError> {
    let endpoint = match server {
        Server::Nextcloud => "status.php",
        Server::OpenProject => "api/v3",
        Server::IdentityProvider => return Ok(true),
    };
    let response = match http.send(Request::new(server, Method::GET, base.join(endpoint))).await {
        Ok(r) => r,
        Err(e) if matches!(e.kind, ErrorKind::CouldNotConnect { .. } | ErrorKind::Timeout) => return Err(e),
        Err(_) => return Ok(false),
    };
    let Ok(value) = response.json_value() else { return Ok(false) };
    Ok(match server {
        Server::Nextcloud => response.status.is_success() && value.get("installed").is_some(),
        // Anonymous: a root, or OpenProject's JSON error when it requires a login.
        Server::OpenProject => matches!(value.get("_type").and_then(|t| t.as_str()), Some("Root" | "Error")),
        Server::IdentityProvider => true,
    })
}

/// The base address of `server` under `input`. A plain base is returned at once; a page address is cut where its
/// page part begins and each candidate base is asked whether the server's API answers there. When none does, the
/// most likely base is returned (the checks that follow then report what is wrong with it).
pub async fn resolve(
    http: &HttpClient,
    server: Server,
    input: &str,
    policy: UrlPolicy,
) -> Result<ResolvedAddress, ClientError> {
    let (given, bases) = candidates(server, input, policy)?;
    let Some(bases) = bases else { return Ok(ResolvedAddress { url: given, from_page: None }) };
    let from_page = Some(input.trim().to_owned());
    for base in &bases {
        match answers(http, server, base).await {
            Ok(true) => return Ok(ResolvedAddress { url: base.clone(), from_page }),
            Ok(false) => {}
            Err(_) => break,
        }
    }
    let url = bases.into_iter().next().unwrap_or(given);
    Ok(ResolvedAddress { url, from_page })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bases(server: Server, input: &str) -> Option<Vec<String>> {
        let (_, bases) = candidates(server, input, UrlPolicy::default()).unwrap();
        bases.map(|b| b.iter().map(|u| u.as_str().to_owned()).collect())
    }

    #[test]
    fn a_plain_base_is_taken_as_it_is() {
        assert_eq!(bases(Server::Nextcloud, "https://cloud.example.com"), None);
        assert_eq!(bases(Server::Nextcloud, "https://example.com/nextcloud/"), None);
        assert_eq!(bases(Server::OpenProject, "https://op.example.com/openproject"), None);
    }

    #[test]
    fn a_page_is_cut_where_its_page_part_begins() {
        assert_eq!(
            bases(Server::Nextcloud, "https://cloud.example.com/index.php/apps/files/?dir=/").unwrap()[0],
            "https://cloud.example.com"
        );
        assert_eq!(
            bases(Server::Nextcloud, "https://example.com/nextcloud/apps/files/files/12?dir=/Docs").unwrap()[0],
            "https://example.com/nextcloud"
        );
        let op = bases(Server::OpenProject, "https://op.example.com/projects/demo/work_packages").unwrap();
        assert_eq!(op[0], "https://op.example.com");
        assert_eq!(op[1], "https://op.example.com/projects", "then deeper, for a sub-path named like a page");
        assert!(op.len() <= MAX_PROBES);
        assert_eq!(
            bases(Server::OpenProject, "https://h.example/openproject/my/account#top").unwrap()[0],
            "https://h.example/openproject"
        );
        // A query alone: the path is the base.
        assert_eq!(bases(Server::OpenProject, "https://op.example.com/?jump=x").unwrap()[0], "https://op.example.com");
    }

    #[test]
    fn what_a_base_never_takes_is_still_refused() {
        assert!(candidates(Server::Nextcloud, "https://admin:pw@cloud.example.com/apps", UrlPolicy::default()).is_err());
        assert!(candidates(Server::Nextcloud, "htp://x", UrlPolicy::default()).is_err());
    }
}
