//! The picture of a connection: its four network legs and its credential links, each green, amber or red from
//! the diagnosis, with the findings that colour it as its evidence — so support staff see at a glance which link
//! is broken. One function for every face (the desktop draws it, the CLI could print it); which finding colours
//! which link is data here, not in any face.

use serde::Serialize;

use crate::doctor::{Check, Diagnosis};
use crate::findings::{FindingCode as C, Severity};

/// A link of the connection.
#[derive(ts_rs::TS, Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LinkKind {
    /// This computer → OpenProject.
    ComputerToOpenproject,
    /// This computer → Nextcloud.
    ComputerToNextcloud,
    /// Nextcloud → OpenProject (its API, with users' tokens).
    NextcloudToOpenproject,
    /// OpenProject → Nextcloud (WebDAV and OCS).
    OpenprojectToNextcloud,
    /// Two-way OAuth: OpenProject's OAuth application, whose id and secret Nextcloud holds.
    OpenprojectAppInNextcloud,
    /// Two-way OAuth: Nextcloud's OAuth client, whose id and secret OpenProject holds.
    NextcloudClientInOpenproject,
    /// Project folders: the "OpenProject" user's app password, which OpenProject holds.
    ProjectFolderPassword,
    /// SSO: both servers trust one identity provider.
    IdentityProvider,
}

/// How a link is.
#[derive(ts_rs::TS, Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LinkStatus {
    /// Checked, nothing wrong.
    Good,
    /// A warning, or not checked.
    Doubtful,
    /// A problem.
    Broken,
}

#[derive(ts_rs::TS, Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Link {
    pub kind: LinkKind,
    pub status: LinkStatus,
    /// The findings that colour it (their codes; the diagnosis holds their evidence).
    pub findings: Vec<C>,
    /// Checks on it that could not run.
    pub not_run: Vec<Check>,
    /// The proof's checks on it (Manage's picture), by their names; the proof holds their evidence.
    #[serde(default)]
    pub proofs: Vec<String>,
}

#[derive(ts_rs::TS, Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Picture {
    pub links: Vec<Link>,
    /// The pair authorises users through an identity provider (the credential links are then the IdP's).
    pub sso: bool,
}

/// A diagnosis with its picture, as the desktop shows it.
#[derive(ts_rs::TS, Debug, Clone, Serialize)]
pub struct DiagnosisView {
    pub diagnosis: Diagnosis,
    pub picture: Picture,
    /// The verdict line in each language (its plurals are the catalogue's).
    pub headline: Headlines,
    /// What changed since the pair last worked (empty when it works, or no good state was kept).
    pub changed: Vec<crate::compare::Change>,
}

#[derive(ts_rs::TS, Debug, Clone, Serialize)]
pub struct Headlines {
    pub en: String,
    pub de: String,
}

impl From<Diagnosis> for DiagnosisView {
    fn from(diagnosis: Diagnosis) -> Self {
        use crate::catalogue::Language;
        let picture = diagnosis.picture();
        let headline = Headlines { en: diagnosis.headline_in(Language::En), de: diagnosis.headline_in(Language::De) };
        Self { diagnosis, picture, headline, changed: Vec::new() }
    }
}

/// One round of watching: the diagnosis now, and what changed since the round before (empty for the first).
#[derive(ts_rs::TS, Debug, Clone, Serialize)]
pub struct WatchRound {
    pub view: DiagnosisView,
    pub changes: Vec<crate::compare::Change>,
}

/// What differs between an earlier report (a file) and the diagnosis shown.
#[derive(ts_rs::TS, Debug, Clone, Serialize)]
pub struct ComparedReport {
    /// The earlier report's file.
    pub path: String,
    pub changes: Vec<crate::compare::Change>,
}

/// A report opened from a file, as the desktop shows it: where it came from, what made it, and its view.
#[derive(ts_rs::TS, Debug, Clone, Serialize)]
pub struct OpenedReport {
    pub path: String,
    pub made_by: Option<crate::doctor::MadeBy>,
    pub view: DiagnosisView,
}

/// Which findings and unrun checks belong to which link.
fn belongs(kind: LinkKind) -> (&'static [C], &'static [Check]) {
    use LinkKind as K;
    match kind {
        K::ComputerToOpenproject => (
            &[C::OpenprojectUnreachable, C::OpenprojectCredentialsRejected, C::OpenprojectNotAdmin, C::InsecureHttp],
            &[],
        ),
        K::ComputerToNextcloud => (
            &[C::NextcloudUnreachable, C::NextcloudCredentialsRejected, C::NextcloudNotAdmin, C::NextcloudMaintenance],
            &[Check::NextcloudSide],
        ),
        K::NextcloudToOpenproject => (
            &[
                C::NextcloudCannotReachOpenproject,
                C::NextcloudReachabilityUnchecked,
                C::OpenprojectUrlMismatch,
                C::HostNameMismatch,
            ],
            &[Check::NextcloudToOpenproject],
        ),
        K::OpenprojectToNextcloud => (
            &[
                C::OpenprojectCannotReachNextcloud,
                C::AuthorizationHeaderStripped,
                C::StorageHostDrift,
                C::StorageMissing,
                C::OpenprojectHealthCheck,
            ],
            &[Check::OpenprojectHealthReport, Check::StorageDrift],
        ),
        K::OpenprojectAppInNextcloud => (
            &[C::ClientIdMismatch, C::OpenprojectSecretRejected, C::RedirectUriMismatch, C::IntegrationIncomplete],
            &[Check::OpenprojectAcceptsNextcloudsSecret, Check::NextcloudConfigurationDrift],
        ),
        K::NextcloudClientInOpenproject => (&[C::NextcloudClientUnknown, C::AuthenticationMethodMismatch], &[]),
        K::ProjectFolderPassword => (&[C::UserlessAccess, C::ProjectFolderIncomplete, C::TermsOfService], &[]),
        K::IdentityProvider => (
            &[
                C::SsoDiscoveryUnreachable,
                C::SsoDiscoveryAddressInvalid,
                C::SsoDiscoveryInvalid,
                C::SsoTokenExchangeUnsupported,
                C::SsoProviderUnknown,
                C::SsoIssuerPortDropped,
                C::SsoAudienceMissing,
                C::SsoTokenExchangeMismatch,
                C::SsoTargetedAudienceMissing,
                C::SsoLoginTokenNotStored,
                C::SsoBearerNotChecked,
                C::SsoOidcClientMissing,
                C::SsoTokenNotJwt,
                C::SsoTestSignInFailed,
                C::SsoTokenSignatureInvalid,
                C::SsoTokenIssuerMismatch,
                C::SsoTokenAudienceWrong,
                C::SsoApiScopeMissing,
                C::SsoOfflineAccessMissing,
                C::SsoTokenExchangeRefused,
                C::SsoNextcloudAudienceWrong,
                C::SsoTokenRefusedByNextcloud,
                C::SsoTokenRefusedByOpenproject,
                C::AuthenticationMethodMismatch,
            ],
            &[Check::SsoTokenAccepted, Check::SsoServerOnlySettings],
        ),
    }
}

/// The links a pair has: the four network legs, then the credential links of its method, then the project
/// folders' password where it has them.
fn link_kinds(sso: bool, project_folders: bool) -> Vec<LinkKind> {
    use LinkKind as K;
    let mut kinds =
        vec![K::ComputerToOpenproject, K::ComputerToNextcloud, K::NextcloudToOpenproject, K::OpenprojectToNextcloud];
    if sso {
        kinds.push(K::IdentityProvider);
    } else {
        kinds.extend([K::OpenprojectAppInNextcloud, K::NextcloudClientInOpenproject]);
    }
    if project_folders {
        kinds.push(K::ProjectFolderPassword);
    }
    kinds
}

/// The picture of `diagnosis`. `sso` says which credential links the pair has; `project_folders` whether the
/// project-folder password is one of them.
pub fn picture(diagnosis: &Diagnosis, sso: bool, project_folders: bool) -> Picture {
    let links = link_kinds(sso, project_folders)
        .into_iter()
        .map(|kind| {
            let (codes, checks) = belongs(kind);
            let found: Vec<_> = diagnosis.findings.iter().filter(|f| codes.contains(&f.code)).collect();
            let not_run: Vec<Check> =
                diagnosis.not_run.iter().map(|n| n.check).filter(|c| checks.contains(c)).collect();
            let status = if found.iter().any(|f| f.severity == Severity::Blocker) {
                LinkStatus::Broken
            } else if found.iter().any(|f| f.severity == Severity::Warning) || !not_run.is_empty() {
                LinkStatus::Doubtful
            } else {
                LinkStatus::Good
            };
            Link { kind, status, findings: found.iter().map(|f| f.code).collect(), not_run, proofs: Vec::new() }
        })
        .collect();
    Picture { links, sso }
}

/// Which of the proof's checks belong to which link (`setup::proof::CHECKS`).
fn proven_by(kind: LinkKind) -> &'static [&'static str] {
    use LinkKind as K;
    match kind {
        // The proof read both servers from this computer: that it exists is the leg's evidence.
        K::ComputerToOpenproject | K::ComputerToNextcloud => &[],
        K::NextcloudToOpenproject => &["nextcloud_points_at_openproject", "openproject_host_name"],
        K::OpenprojectToNextcloud => &["openproject_storage_configured", "redirect_uri_openproject"],
        K::OpenprojectAppInNextcloud => &[
            "client_id_openproject_in_nextcloud",
            "openproject_accepts_nextclouds_secret",
            "nextcloud_integration_complete",
        ],
        K::NextcloudClientInOpenproject => {
            &["client_id_nextcloud_in_openproject", "openproject_holds_nextclouds_client"]
        }
        K::ProjectFolderPassword => &["openproject_application_password", "nextcloud_project_folder"],
        K::IdentityProvider => &[
            "openproject_storage_sso",
            "nextcloud_sso_mode",
            "nextcloud_sso_audience",
            "nextcloud_sso_provider",
            "nextcloud_store_login_token",
        ],
    }
}

/// Manage's picture: the links of a proven connection, each coloured by the proof's checks on it — red where one
/// failed, green where they passed. A leg between the two servers that no proof check looks at stays amber
/// (only the doctor asks the servers about each other).
pub fn picture_of_proof(proof: &crate::setup::proof::Proof, sso: bool, project_folders: bool) -> Picture {
    use LinkKind as K;
    let links = link_kinds(sso, project_folders)
        .into_iter()
        .map(|kind| {
            let names = proven_by(kind);
            let checks: Vec<_> = proof.checks.iter().filter(|c| names.contains(&c.name)).collect();
            let between_servers = matches!(kind, K::NextcloudToOpenproject | K::OpenprojectToNextcloud);
            let status = if checks.iter().any(|c| !c.ok) {
                LinkStatus::Broken
            } else if checks.is_empty() && between_servers {
                LinkStatus::Doubtful
            } else {
                LinkStatus::Good
            };
            let proofs = checks.iter().map(|c| c.name.to_owned()).collect();
            Link { kind, status, findings: Vec::new(), not_run: Vec::new(), proofs }
        })
        .collect();
    Picture { links, sso }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::doctor::{Access, NotRun, ServerSummary};
    use crate::findings::Finding;

    fn diagnosis(findings: Vec<Finding>, not_run: Vec<NotRun>) -> Diagnosis {
        let side = || ServerSummary { url: "https://x".into(), version: None, access: Access::Admin };
        Diagnosis {
            openproject: side(),
            nextcloud: side(),
            integration_version: None,
            storage_id: Some(1),
            sso: false,
            project_folders: false,
            connection: Default::default(),
            findings,
            not_run,
        }
    }

    fn status(p: &Picture, kind: LinkKind) -> Option<LinkStatus> {
        p.links.iter().find(|l| l.kind == kind).map(|l| l.status)
    }

    #[test]
    fn manages_picture_is_red_only_where_a_proof_check_on_that_link_failed() {
        use crate::setup::proof::{check, Proof, CHECKS};
        let oauth: Vec<&str> =
            CHECKS.iter().map(|(n, _)| *n).filter(|n| !n.contains("sso") && !n.contains("store_login")).collect();
        let proven = |failed: &str| Proof {
            storage_id: 1,
            checks: oauth.iter().map(|n| check(n, *n != failed, "seen".into())).collect(),
        };
        let healthy = picture_of_proof(&proven(""), false, true);
        assert_eq!(healthy.links.len(), 7);
        assert!(healthy.links.iter().all(|l| l.status == LinkStatus::Good), "{healthy:?}");
        let p = picture_of_proof(&proven("client_id_openproject_in_nextcloud"), false, true);
        let red: Vec<LinkKind> = p.links.iter().filter(|l| l.status == LinkStatus::Broken).map(|l| l.kind).collect();
        assert_eq!(red, vec![LinkKind::OpenprojectAppInNextcloud]);
        let link = p.links.iter().find(|l| l.kind == LinkKind::OpenprojectAppInNextcloud);
        assert!(link.is_some_and(|l| l.proofs.contains(&"client_id_openproject_in_nextcloud".to_owned())));
        // A leg between the servers that no check of this proof looks at is not called good.
        let none = Proof { storage_id: 1, checks: Vec::new() };
        assert_eq!(
            status(&picture_of_proof(&none, true, false), LinkKind::OpenprojectToNextcloud),
            Some(LinkStatus::Doubtful)
        );
    }

    #[test]
    fn a_healthy_pair_is_all_green_and_one_broken_leg_is_red_alone() {
        let healthy = picture(&diagnosis(vec![], vec![]), false, true);
        assert_eq!(healthy.links.len(), 7);
        assert!(healthy.links.iter().all(|l| l.status == LinkStatus::Good));

        let broken = diagnosis(
            vec![Finding::new(
                C::NextcloudCannotReachOpenproject,
                Severity::Blocker,
                None,
                crate::said!("fm-storage_missing"),
            )],
            vec![],
        );
        let p = picture(&broken, false, true);
        assert_eq!(status(&p, LinkKind::NextcloudToOpenproject), Some(LinkStatus::Broken));
        let red: Vec<_> = p.links.iter().filter(|l| l.status == LinkStatus::Broken).map(|l| l.kind).collect();
        assert_eq!(red, vec![LinkKind::NextcloudToOpenproject], "only the broken leg is red");
        let leg = p.links.iter().find(|l| l.kind == LinkKind::NextcloudToOpenproject).unwrap();
        assert_eq!(leg.findings, vec![C::NextcloudCannotReachOpenproject], "its evidence");
    }

    #[test]
    fn unchecked_is_amber_and_sso_pairs_show_the_identity_provider() {
        let d = diagnosis(
            vec![],
            vec![NotRun::new(Check::SsoTokenAccepted, crate::said!("notrun-needs_nextcloud_account"))],
        );
        let p = picture(&d, true, false);
        assert_eq!(status(&p, LinkKind::IdentityProvider), Some(LinkStatus::Doubtful));
        assert_eq!(status(&p, LinkKind::OpenprojectAppInNextcloud), None, "no OAuth links on an SSO pair");
        let d = diagnosis(
            vec![Finding::new(
                C::SsoTokenRefusedByNextcloud,
                Severity::Blocker,
                None,
                crate::said!("fm-storage_missing"),
            )],
            vec![],
        );
        assert_eq!(status(&picture(&d, true, false), LinkKind::IdentityProvider), Some(LinkStatus::Broken));
        let d = diagnosis(
            vec![Finding::new(
                C::OpenprojectSecretRejected,
                Severity::Blocker,
                None,
                crate::said!("fm-storage_missing"),
            )],
            vec![],
        );
        assert_eq!(status(&picture(&d, false, false), LinkKind::OpenprojectAppInNextcloud), Some(LinkStatus::Broken));
    }
}
