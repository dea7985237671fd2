//! Preflight: every check concurrently, before anything is written. Read-only on both servers.

use semver::Version;
use serde::Serialize;

use crate::catalogue::Said;
use crate::error::{ErrorKind, Server};
use crate::findings::{sort, Finding, FindingCode as C, Remedy, Severity};
use crate::nextcloud::{NextcloudClient, OpenProjectReachability, INTEGRATION_APP};
use crate::openproject::{OpenProjectClient, Storage};
use crate::said;
use crate::setup::SetupOptions;
use crate::version::parse_server_version;

pub use crate::compat;

/// The integration settings Nextcloud holds now (no secret: only whether one is set).
#[derive(ts_rs::TS, Debug, Clone, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct NextcloudIntegration {
    pub openproject_url: String,
    pub openproject_client_id: String,
    pub has_openproject_client_secret: bool,
    pub authorization_method: String,
    pub has_nextcloud_client: bool,
    /// In oidc mode: what the integration trusts (read only then).
    #[serde(default)]
    pub sso: Option<NextcloudSso>,
}

/// The SSO settings of Nextcloud's integration (`authorization_method` `oidc`).
#[derive(ts_rs::TS, Debug, Clone, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct NextcloudSso {
    pub provider_type: String,
    pub oidc_provider: String,
    pub targeted_audience_client_id: String,
    pub token_exchange: bool,
}

impl NextcloudIntegration {
    pub fn is_set(&self) -> bool {
        !self.openproject_url.is_empty()
    }
}

/// What preflight learnt about the two servers.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Facts {
    pub openproject_version: Option<String>,
    pub openproject_host_name: Option<String>,
    pub storages: Vec<Storage>,
    pub nextcloud_version: Option<String>,
    pub nextcloud_admin: Option<String>,
    pub integration_version: Option<String>,
    pub integration_enabled: bool,
    pub groupfolders_version: Option<String>,
    pub groupfolders_enabled: bool,
    pub integration: Option<NextcloudIntegration>,
    pub integration_complete: Option<bool>,
    /// Nextcloud's "OpenProject" user has an app password (check-admin-config's second flag).
    pub app_password_present: Option<bool>,
    pub openproject_user_exists: Option<bool>,
    pub openproject_group_exists: Option<bool>,
    pub project_folder_complete: Option<bool>,
    pub authorization_header_intact: Option<bool>,
    pub reachability: Option<OpenProjectReachability>,
    /// The OpenProject client secret Nextcloud held before, for a rollback in this process. Memory only.
    #[serde(skip)]
    pub previous_openproject_secret: Option<crate::SecretString>,
    /// What the SSO readiness check saw (a setup through an identity provider).
    pub sso: Option<crate::setup::sso::SsoFacts>,
}

impl Facts {
    pub fn openproject_semver(&self) -> Option<Version> {
        self.openproject_version.as_deref().and_then(parse_server_version)
    }

    pub fn integration_semver(&self) -> Option<Version> {
        self.integration_version.as_deref().and_then(parse_server_version)
    }

    /// The OpenProject storage whose host is this Nextcloud.
    pub fn storage_for(&self, nextcloud: &crate::ServerUrl) -> Option<&Storage> {
        storage_for(&self.storages, nextcloud)
    }
}

/// Among OpenProject's storages, the one whose host is this Nextcloud.
fn storage_for<'a>(storages: &'a [Storage], nextcloud: &crate::ServerUrl) -> Option<&'a Storage> {
    storages.iter().find(|s| nextcloud.same_server(&s.host))
}

#[derive(Debug, Clone, Serialize)]
pub struct PreflightReport {
    pub facts: Facts,
    pub findings: Vec<Finding>,
}

impl PreflightReport {
    pub fn blockers(&self) -> impl Iterator<Item = &Finding> {
        self.findings.iter().filter(|f| f.severity == Severity::Blocker)
    }

    pub fn can_apply(&self) -> bool {
        self.blockers().next().is_none()
    }

    pub fn has(&self, code: C) -> bool {
        self.findings.iter().any(|f| f.code == code)
    }
}

/// Runs every check a setup needs. A failed request becomes a finding, never an abort. A setup reads what its plan
/// rests on (a real Nextcloud spends ~50 ms of a few workers on every request, so nothing is read twice or without
/// a decision that needs it); the connection doctor reads everything, to explain (`for_diagnosis`).
/// OpenProject and Nextcloud are read at the same time.
pub async fn run(op: &OpenProjectClient, nc: &NextcloudClient, options: &SetupOptions) -> PreflightReport {
    // Boxed: the readiness reads are many, and a preflight's future is kept small for the callers that hold it.
    let sso_check = Box::pin(async {
        match &options.sso {
            Some(choice) => Some(crate::setup::sso::readiness(op.http(), op, nc, &choice.provider).await),
            None => None,
        }
    });
    let shared = SharedReads::default();
    let (op_side, nc_reads, sso) =
        tokio::join!(openproject_reads(op, &shared), setup_reads(op, nc, options), sso_check);
    judge(op, nc, options, op_side, nc_reads, sso).await
}

/// The preflight's checks as the connection doctor runs them: everything read, in one round, sharing with the
/// doctor's own checks the reads both need.
pub(crate) async fn for_diagnosis(
    op: &OpenProjectClient,
    nc: &NextcloudClient,
    options: &SetupOptions,
    shared: &SharedReads,
) -> PreflightReport {
    let (op_side, nc_reads) = tokio::join!(openproject_reads(op, shared), diagnosis_reads(op, nc, shared));
    judge(op, nc, options, op_side, nc_reads, None).await
}

/// What the checks ask OpenProject.
struct OpenProjectReads {
    root: Result<crate::openproject::Root, crate::ClientError>,
    config: Result<crate::openproject::Configuration, crate::ClientError>,
    storages: Result<Vec<Storage>, crate::ClientError>,
    active_projects: Result<crate::openproject::ProjectPage, crate::ClientError>,
}

async fn openproject_reads(op: &OpenProjectClient, shared: &SharedReads) -> OpenProjectReads {
    let active = [crate::openproject::Filter::new("active", "=", &["t"])];
    let (root, config, storages, active_projects) = tokio::join!(
        op.root(),
        op.configuration(),
        async { shared.storages(op).await.clone() },
        op.projects(&active, 1, 1)
    );
    OpenProjectReads { root, config, storages, active_projects }
}

/// What the preflight asked Nextcloud, the same shape whatever the scope (a read a setup skips is answered from
/// the read that decides the same thing).
struct NextcloudReads {
    status: Result<crate::nextcloud::Status, crate::ClientError>,
    caps: Result<crate::nextcloud::Capabilities, crate::ClientError>,
    user: Result<crate::nextcloud::CurrentUser, crate::ClientError>,
    echo: Result<crate::nextcloud::HeaderEcho, crate::ClientError>,
    reach: Result<OpenProjectReachability, crate::ClientError>,
    integration_app: Result<Option<crate::nextcloud::AppInfo>, crate::ClientError>,
    groupfolders_app: Result<Option<crate::nextcloud::AppInfo>, crate::ClientError>,
    app_config: Result<NextcloudIntegration, crate::ClientError>,
    previous_secret: Option<crate::SecretString>,
    admin_config: Option<Result<crate::nextcloud::AdminConfigStatus, crate::ClientError>>,
    folder_status: Option<Result<bool, crate::ClientError>>,
    op_user: Option<Result<Option<crate::nextcloud::UserInfo>, crate::ClientError>>,
    groups: Option<Result<Vec<String>, crate::ClientError>>,
}

/// A setup's reads of Nextcloud, in at most two rounds (the second only when the first found something that
/// needs a closer look): round one the public capabilities and header echo, the reachability of OpenProject, the
/// integration's OpenProject URL (an admin-only read, so it also says whether the account is an administrator)
/// and, with project folders, the "OpenProject" user and group; round two the rest of the integration's settings
/// when it is configured, and the app list or status when the capabilities do not explain enough.
async fn setup_reads(op: &OpenProjectClient, nc: &NextcloudClient, options: &SetupOptions) -> NextcloudReads {
    let anonymous = nc.anonymous();
    let project_folders = async {
        if options.project_folders {
            let (user, groups) = tokio::join!(nc.user("OpenProject"), nc.search_groups("OpenProject"));
            (Some(user), Some(groups))
        } else {
            (None, None)
        }
    };
    let (caps, echo, reach, url, (op_user, groups)) = tokio::join!(
        anonymous.capabilities(),
        nc.check_config(),
        nc.is_valid_op_instance(op.base()),
        nc.app_config_value(INTEGRATION_APP, "openproject_instance_url"),
        project_folders,
    );
    // The admin-only read decides whether the account is an administrator.
    let user = admin_from(nc, &url);
    let configured = url.as_ref().is_ok_and(|u| !u.expose().trim().is_empty());
    let explain_apps = caps.as_ref().is_ok_and(|c| c.integration.is_none());
    let (rest, admin_config, apps, status) = tokio::join!(
        async {
            if configured {
                Some(tokio::join!(
                    nc.app_config_value(INTEGRATION_APP, "openproject_client_id"),
                    nc.app_config_value(INTEGRATION_APP, "openproject_client_secret"),
                    nc.app_config_value(INTEGRATION_APP, "authorization_method"),
                    nc.app_config_value(INTEGRATION_APP, "nc_oauth_client_id"),
                ))
            } else {
                None
            }
        },
        async {
            if configured {
                Some(nc.check_admin_config().await)
            } else {
                None
            }
        },
        app_records(nc, explain_apps),
        status_from(&anonymous, &caps),
    );
    let mut previous_secret = None;
    let app_config = match (url, rest) {
        (Err(e), _) => Err(e),
        (Ok(url), None) => Ok(NextcloudIntegration { openproject_url: url.expose().clone(), ..Default::default() }),
        (Ok(url), Some((client_id, secret, method, nc_client))) => (|| {
            let secret = secret?;
            let integration = NextcloudIntegration {
                openproject_url: url.expose().clone(),
                openproject_client_id: client_id?.expose().clone(),
                has_openproject_client_secret: !secret.expose().is_empty(),
                authorization_method: method?.expose().clone(),
                has_nextcloud_client: !nc_client?.expose().is_empty(),
                sso: None,
            };
            // Kept for a rollback in this process (never serialized): a second read before the write is not needed.
            previous_secret = Some(secret)
                .filter(|s| !s.expose().is_empty() && s.expose() != crate::nextcloud::HIDDEN_SENSITIVE_VALUE);
            Ok(integration)
        })(),
    };
    // In oidc mode a conversion back (or a rollback) needs what it trusts: one more round, only then.
    let app_config = match app_config {
        Ok(mut integration) if integration.authorization_method == "oidc" => {
            integration.sso = read_sso(nc).await.ok();
            Ok(integration)
        }
        other => other,
    };
    let (integration_app, groupfolders_app) = match apps {
        Some((i, g)) => (i, g),
        None => (Ok(None), Ok(None)),
    };
    NextcloudReads {
        status,
        caps,
        user,
        echo,
        reach,
        integration_app,
        groupfolders_app,
        app_config,
        previous_secret,
        admin_config,
        folder_status: None,
        op_user,
        groups,
    }
}

/// Reads both a preflight and a diagnosis make and the diagnosis's own checks wait for: OpenProject's storages
/// (the storage decides which other checks run) and the secret Nextcloud holds for OpenProject (the token probe
/// sends it). Each is read once, by whichever needs it first; the others wait for that answer.
#[derive(Default)]
pub(crate) struct SharedReads {
    storages: tokio::sync::OnceCell<Result<Vec<Storage>, crate::ClientError>>,
    secret: tokio::sync::OnceCell<Result<crate::SecretString, crate::ClientError>>,
}

impl SharedReads {
    pub(crate) async fn storages(&self, op: &OpenProjectClient) -> &Result<Vec<Storage>, crate::ClientError> {
        self.storages.get_or_init(|| op.storages()).await
    }

    /// The storage for `nc` among OpenProject's.
    pub(crate) async fn storage_for(&self, op: &OpenProjectClient, nc: &NextcloudClient) -> Option<Storage> {
        storage_for(self.storages(op).await.as_ref().ok()?, nc.base()).cloned()
    }

    /// The secret as Nextcloud stores it (empty when unset).
    pub(crate) async fn secret(&self, nc: &NextcloudClient) -> &Result<crate::SecretString, crate::ClientError> {
        self.secret.get_or_init(|| nc.app_config_value(INTEGRATION_APP, "openproject_client_secret")).await
    }

    /// The secret when Nextcloud shows it (not unset, not hidden as a sensitive value).
    pub(crate) async fn visible_secret(&self, nc: &NextcloudClient) -> Option<crate::SecretString> {
        self.secret(nc)
            .await
            .as_ref()
            .ok()
            .filter(|v| !v.expose().is_empty() && v.expose() != crate::nextcloud::HIDDEN_SENSITIVE_VALUE)
            .cloned()
    }
}

/// A diagnosis's reads of Nextcloud, all at once and in the order that lets the ones others wait for go first
/// (the client sends a few at a time per server): the integration's settings (the secret feeds the token probe),
/// Nextcloud's own request to OpenProject (the slowest), then the rest. The user and the version are answered
/// from those reads, as in a setup; status.php and the app records only when the capabilities cannot tell.
async fn diagnosis_reads(op: &OpenProjectClient, nc: &NextcloudClient, shared: &SharedReads) -> NextcloudReads {
    let anonymous = nc.anonymous();
    let value = |key: &'static str| async move { nc.app_config_value(INTEGRATION_APP, key).await };
    // Not the "OpenProject" user and group: only a setup with project folders decides on them.
    let ((secret, url, client_id, method, nc_client), reach, caps, echo, admin_config, folder_status) = tokio::join!(
        async {
            tokio::join!(
                async { shared.secret(nc).await.clone() },
                value("openproject_instance_url"),
                value("openproject_client_id"),
                value("authorization_method"),
                value("nc_oauth_client_id"),
            )
        },
        nc.is_valid_op_instance(op.base()),
        anonymous.capabilities(),
        nc.check_config(),
        nc.check_admin_config(),
        nc.project_folder_status(),
    );
    let user = admin_from(nc, &url);
    let app_config = (|| -> Result<NextcloudIntegration, crate::ClientError> {
        Ok(NextcloudIntegration {
            openproject_url: url?.expose().clone(),
            openproject_client_id: client_id?.expose().clone(),
            has_openproject_client_secret: !secret?.expose().is_empty(),
            authorization_method: method?.expose().clone(),
            has_nextcloud_client: !nc_client?.expose().is_empty(),
            sso: None,
        })
    })();
    let explain_apps = caps.as_ref().is_ok_and(|c| c.integration.is_none());
    // The rare second round: an oidc configuration's settings, the app records when the capabilities do not
    // list the integration, status.php when the capabilities do not answer.
    let (app_config, apps, status) = tokio::join!(
        async {
            match app_config {
                Ok(mut integration) if integration.authorization_method == "oidc" => {
                    integration.sso = Some(read_sso(nc).await?);
                    Ok(integration)
                }
                other => other,
            }
        },
        app_records(nc, explain_apps),
        status_from(&anonymous, &caps),
    );
    let (integration_app, groupfolders_app) = apps.unwrap_or((Ok(None), Ok(None)));
    NextcloudReads {
        status,
        caps,
        user,
        echo,
        reach,
        integration_app,
        groupfolders_app,
        app_config,
        previous_secret: None,
        admin_config: Some(admin_config),
        folder_status: Some(folder_status),
        op_user: None,
        groups: None,
    }
}

type AppRecord = Result<Option<crate::nextcloud::AppInfo>, crate::ClientError>;

/// The integration's and groupfolders' app records, read only where the capabilities do not tell (an app disabled
/// or missing).
async fn app_records(nc: &NextcloudClient, explain: bool) -> Option<(AppRecord, AppRecord)> {
    if explain {
        Some(tokio::join!(nc.app(INTEGRATION_APP), nc.app("groupfolders")))
    } else {
        None
    }
}

/// The signed-in account as an admin-only read shows it: answered, an administrator; refused as not admin,
/// signed in without the rights; otherwise that read's error (credentials rejected, unreachable).
fn admin_from(
    nc: &NextcloudClient,
    admin_read: &Result<crate::SecretString, crate::ClientError>,
) -> Result<crate::nextcloud::CurrentUser, crate::ClientError> {
    let login = nc.credentials().map(|c| c.login_name.clone()).unwrap_or_default();
    match admin_read {
        Ok(_) => {
            Ok(crate::nextcloud::CurrentUser { id: login.clone(), display_name: login, groups: vec!["admin".into()] })
        }
        Err(e) if matches!(e.kind, ErrorKind::NotAdmin { .. }) => {
            Ok(crate::nextcloud::CurrentUser { id: login.clone(), display_name: login, groups: vec![] })
        }
        Err(e) => Err(e.clone()),
    }
}

/// Nextcloud's status from its capabilities; only status.php tells maintenance and "not installed" apart from
/// other failures, so it is asked when the capabilities do not answer.
async fn status_from(
    anonymous: &NextcloudClient,
    caps: &Result<crate::nextcloud::Capabilities, crate::ClientError>,
) -> Result<crate::nextcloud::Status, crate::ClientError> {
    match caps {
        Ok(c) => Ok(crate::nextcloud::Status {
            installed: true,
            maintenance: false,
            needs_db_upgrade: false,
            version: c.version_string.clone(),
            versionstring: c.version_string.clone(),
            productname: None,
        }),
        Err(_) => anonymous.status().await,
    }
}

/// OpenProject 17.6 and later refuse a storage host on a private address unless it is allow-listed: where the
/// Nextcloud host resolves to private addresses from here, a note with the value to allow (OpenProject's own
/// environment cannot be read from outside, so this is no warning; its refusal names the variable when it comes).
async fn ssrf_note(openproject_version: Option<&str>, nextcloud: &crate::ServerUrl) -> Option<Finding> {
    let version = crate::version::parse_server_version(openproject_version?)?;
    if version < crate::compat::OPENPROJECT_SSRF_STORAGES {
        return None;
    }
    let url = nextcloud.url();
    let host = url.host_str()?.trim_start_matches('[').trim_end_matches(']').to_owned();
    let port = url.port_or_known_default().unwrap_or(443);
    let addresses: Vec<std::net::IpAddr> = match host.parse::<std::net::IpAddr>() {
        Ok(ip) => vec![ip],
        Err(_) => tokio::net::lookup_host((host.as_str(), port)).await.ok()?.map(|a| a.ip()).collect(),
    };
    let private = |ip: &std::net::IpAddr| match ip {
        std::net::IpAddr::V4(v4) => {
            v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || (v4.octets()[0] == 100 && v4.octets()[1] & 0xc0 == 64)
        }
        std::net::IpAddr::V6(v6) => {
            v6.is_loopback() || (v6.segments()[0] & 0xfe00) == 0xfc00 || (v6.segments()[0] & 0xffc0) == 0xfe80
        }
    };
    if addresses.is_empty() || !addresses.iter().all(private) {
        return None;
    }
    let mut listed: Vec<String> = addresses.iter().map(ToString::to_string).collect();
    listed.sort();
    listed.dedup();
    let value = listed.join(",");
    let variable = crate::compat::SSRF_ALLOWLIST_VARIABLE;
    Some(
        Finding::new(
            C::OpenprojectSsrfProtection,
            Severity::Info,
            Some(Server::OpenProject),
            said!("fm-openproject_ssrf_protection", host = &host, addresses = &value, variable = variable),
        )
        .evidence(format!("OpenProject {version}; {host} resolves here to {value}"))
        .fix(said!("ff-openproject_ssrf_protection", variable = variable))
        .command(format!("{variable}={value}")),
    )
}

/// Nextcloud's words (Guzzle over cURL) for a certificate it does not accept: cURL error 60 (verification), 51
/// (the name), 35 (the TLS handshake), or OpenSSL's "SSL certificate problem".
fn refuses_certificate(detail: &str) -> bool {
    ["cURL error 60", "cURL error 51", "cURL error 35", "SSL certificate problem", "SSL: no alternative certificate"]
        .iter()
        .any(|w| detail.contains(w))
}

/// Turns what was read into facts and findings.
async fn judge(
    op: &OpenProjectClient,
    nc: &NextcloudClient,
    options: &SetupOptions,
    op_side: OpenProjectReads,
    nc_reads: NextcloudReads,
    sso: Option<crate::setup::sso::SsoReadiness>,
) -> PreflightReport {
    let OpenProjectReads { root, config, storages, active_projects } = op_side;
    let NextcloudReads {
        status,
        caps,
        user,
        echo,
        reach,
        integration_app,
        groupfolders_app,
        app_config,
        previous_secret,
        admin_config,
        folder_status,
        op_user,
        groups,
    } = nc_reads;
    let mut facts = Facts::default();
    let mut findings = Vec::new();
    let mut push = |f: Finding| findings.push(f);

    // OpenProject.
    match &root {
        Ok(root) if root.is_admin() => {
            facts.openproject_version = root.core_version.clone();
            let version = root.version();
            if let Some(version) = &version {
                if *version < compat::OPENPROJECT_STORAGE_API {
                    push(
                        Finding::new(
                            C::OpenprojectTooOld,
                            Severity::Blocker,
                            Some(Server::OpenProject),
                            said!("fm-openproject_too_old", version = version),
                        )
                        .evidence(format!("coreVersion {version}"))
                        .fix(said!("ff-openproject_too_old")),
                    );
                } else if *version < compat::OPENPROJECT_CONFIGURED_FIELD {
                    push(
                        Finding::new(
                            C::OpenprojectWithoutConfiguredField,
                            Severity::Info,
                            Some(Server::OpenProject),
                            said!("fm-openproject_without_configured_field"),
                        )
                        .evidence(format!("coreVersion {version}")),
                    );
                }
                if *version < compat::OPENPROJECT_NO_STORAGES_MODULE {
                    push(
                        Finding::new(
                            C::OpenprojectNeedsStoragesModule,
                            Severity::Warning,
                            Some(Server::OpenProject),
                            said!("fm-openproject_needs_storages_module"),
                        )
                        .evidence(format!("coreVersion {version}"))
                        .fix(said!("ff-openproject_needs_storages_module")),
                    );
                }
            }
        }
        Ok(_) => push(
            Finding::new(
                C::OpenprojectNotAdmin,
                Severity::Blocker,
                Some(Server::OpenProject),
                said!("fm-openproject_not_admin"),
            )
            .evidence("GET /api/v3 has no coreVersion")
            .fix(said!("ff-openproject_not_admin")),
        ),
        Err(e) if matches!(e.kind, ErrorKind::CredentialsRejected { .. }) => {
            push(Finding::from_error(C::OpenprojectCredentialsRejected, e))
        }
        Err(e) => push(Finding::from_error(C::OpenprojectUnreachable, e)),
    }
    if let Ok(config) = &config {
        facts.openproject_host_name = config.host_name.clone();
        if let Some(host_name) =
            config.host_name.as_deref().filter(|h| !crate::openproject::host_name_matches(h, op.base()))
        {
            let reached_as = crate::openproject::reached_as(op.base());
            push(
                Finding::new(
                    C::HostNameMismatch,
                    Severity::Blocker,
                    Some(Server::OpenProject),
                    said!("fm-host_name_mismatch", setting = host_name, reached = &reached_as),
                )
                .evidence(format!("configuration hostName {host_name:?}"))
                .fix(said!("ff-host_name_mismatch", reached = &reached_as)),
            );
        }
    }
    if let Ok(list) = &storages {
        facts.storages = list.clone();
    }
    if active_projects.as_ref().is_ok_and(|page| page.total == 0) && facts.openproject_version.is_some() {
        // opf/openproject `Storages::Storage.visible`: storages are visible through project permissions,
        // so with no active project even an admin may get 404 for the storage just created.
        push(
            Finding::new(
                C::OpenprojectNoActiveProject,
                Severity::Warning,
                Some(Server::OpenProject),
                said!("fm-openproject_no_active_project"),
            )
            .evidence("GET /api/v3/projects?filters=[active=t]: total 0")
            .fix(said!("ff-openproject_no_active_project")),
        );
    }

    // Nextcloud.
    match &status {
        Ok(status) => {
            facts.nextcloud_version = Some(status.versionstring.clone());
            if status.maintenance {
                push(
                    Finding::new(
                        C::NextcloudMaintenance,
                        Severity::Blocker,
                        Some(Server::Nextcloud),
                        said!("fm-nextcloud_maintenance"),
                    )
                    .evidence("status.php maintenance=true")
                    .fix(said!("ff-nextcloud_maintenance"))
                    .command("sudo -u www-data php occ maintenance:mode --off"),
                );
            }
            let major = status.versionstring.split('.').next().and_then(|m| m.parse::<u64>().ok()).unwrap_or(0);
            if major < compat::NEXTCLOUD_MAJOR {
                push(
                    Finding::new(
                        C::NextcloudTooOld,
                        Severity::Blocker,
                        Some(Server::Nextcloud),
                        said!("fm-nextcloud_too_old", needed = compat::NEXTCLOUD_MAJOR),
                    )
                    .evidence(format!("Nextcloud {}", status.versionstring))
                    .fix(said!("ff-nextcloud_too_old")),
                );
            }
        }
        Err(e) => push(Finding::from_error(C::NextcloudUnreachable, e)),
    }
    match &user {
        Ok(u) if u.is_admin() => facts.nextcloud_admin = Some(u.id.clone()),
        Ok(u) => push(
            Finding::new(
                C::NextcloudNotAdmin,
                Severity::Blocker,
                Some(Server::Nextcloud),
                said!("fm-nextcloud_not_admin", user = &u.id),
            )
            .evidence("not in group admin")
            .fix(said!("ff-nextcloud_not_admin")),
        ),
        Err(e) if matches!(e.kind, ErrorKind::CredentialsRejected { .. }) => {
            push(Finding::from_error(C::NextcloudCredentialsRejected, e))
        }
        Err(e) if status.is_ok() => push(Finding::from_error(C::NextcloudNotAdmin, e)),
        Err(_) => {}
    }
    let integration_cap = caps.as_ref().ok().and_then(|c| c.integration.clone());
    match (&integration_cap, &integration_app) {
        (Some(cap), _) => {
            facts.integration_version = Some(cap.app_version.clone());
            facts.integration_enabled = true;
            facts.groupfolders_version = cap.groupfolder_version.clone().filter(|v| !v.is_empty());
            facts.groupfolders_enabled = cap.groupfolders_enabled;
        }
        (None, Ok(Some(app))) => {
            facts.integration_version = Some(app.version.clone());
            push(
                Finding::new(
                    C::IntegrationAppDisabled,
                    Severity::Blocker,
                    Some(Server::Nextcloud),
                    said!("fm-integration_app_disabled"),
                )
                .evidence(format!("{INTEGRATION_APP} {} is not in the capabilities", app.version))
                .fix(said!("ff-integration_app_disabled"))
                .command("sudo -u www-data php occ app:enable integration_openproject"),
            );
        }
        (None, _) if status.is_ok() => push(
            Finding::new(
                C::IntegrationAppMissing,
                Severity::Blocker,
                Some(Server::Nextcloud),
                said!("fm-integration_app_missing"),
            )
            .evidence("no integration_openproject capability")
            .fix(said!("ff-install_app_on_nextcloud"))
            .command("sudo -u www-data php occ app:install integration_openproject"),
        ),
        _ => {}
    }
    if let Some(version) = facts.integration_semver() {
        if version < compat::INTEGRATION_APP {
            push(
                Finding::new(
                    C::IntegrationAppTooOld,
                    Severity::Blocker,
                    Some(Server::Nextcloud),
                    said!("fm-integration_app_too_old", needed = compat::INTEGRATION_APP),
                )
                .evidence(format!("installed {version}"))
                .fix(said!("ff-update_app_on_nextcloud"))
                .command("sudo -u www-data php occ app:update integration_openproject"),
            );
        }
    }
    if let Ok(Some(gf)) = &groupfolders_app {
        facts.groupfolders_version.get_or_insert(gf.version.clone());
    }
    if options.project_folders && status.is_ok() {
        match (&facts.groupfolders_version, facts.groupfolders_enabled) {
            (None, _) => push(
                Finding::new(
                    C::GroupfoldersMissing,
                    Severity::Blocker,
                    Some(Server::Nextcloud),
                    said!("fm-groupfolders_missing"),
                )
                .evidence("groupfolders not installed")
                .fix(said!("ff-install_app_on_nextcloud"))
                .command("sudo -u www-data php occ app:install groupfolders"),
            ),
            (Some(_), false) => push(
                Finding::new(
                    C::GroupfoldersDisabled,
                    Severity::Blocker,
                    Some(Server::Nextcloud),
                    said!("fm-groupfolders_disabled"),
                )
                .evidence("groupfolders_enabled=false")
                .fix(said!("ff-enable_app_on_nextcloud"))
                .command("sudo -u www-data php occ app:enable groupfolders"),
            ),
            (Some(version), true) => {
                if parse_server_version(version).is_some_and(|v| v < compat::GROUPFOLDERS) {
                    push(
                        Finding::new(
                            C::GroupfoldersTooOld,
                            Severity::Blocker,
                            Some(Server::Nextcloud),
                            said!("fm-groupfolders_too_old_plain", needed = compat::GROUPFOLDERS),
                        )
                        .evidence(format!("groupfolders {version}"))
                        .fix(said!("ff-update_app_on_nextcloud"))
                        .command("sudo -u www-data php occ app:update groupfolders"),
                    );
                }
            }
        }
    }
    match &echo {
        Ok(echo) => {
            facts.authorization_header_intact = Some(echo.intact());
            if !echo.intact() {
                push(Finding::new(C::AuthorizationHeaderStripped, Severity::Blocker, Some(Server::Nextcloud), said!("fm-authorization_header_stripped"))
                    .evidence(format!("check-config echoed {:?}", echo.authorization_header.clone().unwrap_or_default()))
                    .fix(said!("ff-authorization_header_stripped"))
                    .command("RewriteEngine On\nRewriteRule .* - [env=HTTP_AUTHORIZATION:%{HTTP:Authorization}]\n# nginx with PHP-FPM instead:\nfastcgi_param HTTP_AUTHORIZATION $http_authorization;"));
            }
        }
        Err(e) if facts.integration_enabled => push(Finding::from_error(C::AuthorizationHeaderStripped, e)),
        Err(_) => {}
    }
    match &reach {
        Ok(r) => {
            facts.reachability = Some(r.clone());
            let blocked = |evidence: String, fix: Said| {
                Finding::new(
                    C::NextcloudCannotReachOpenproject,
                    Severity::Blocker,
                    Some(Server::Nextcloud),
                    said!("fm-nextcloud_cannot_reach_openproject"),
                )
                .evidence(evidence)
                .fix(fix)
            };
            match r {
                OpenProjectReachability::Valid => {}
                OpenProjectReachability::LocalRemoteServersNotAllowed => push(blocked("is-valid-op-instance: local_remote_servers_not_allowed".into(), said!("ff-local_remote_servers")).command("sudo -u www-data php occ config:system:set allow_local_remote_servers --value true --type bool")),
                OpenProjectReachability::NetworkError(d) | OpenProjectReachability::RequestException(d) if refuses_certificate(d) => push(blocked(format!("is-valid-op-instance: {d}"), said!("ff-nextcloud_refuses_openproject_certificate")).command("sudo -u www-data php occ security:certificates:import /path/to/openproject-ca.pem")),
                OpenProjectReachability::NetworkError(d) | OpenProjectReachability::RequestException(d) => push(blocked(format!("is-valid-op-instance: {d}"), said!("ff-nextcloud_network_to_openproject"))),
                OpenProjectReachability::ClientException(d) | OpenProjectReachability::ServerException(d) => push(blocked(format!("is-valid-op-instance: {d}"), said!("ff-nextcloud_sees_no_openproject"))),
                OpenProjectReachability::NotValidUrl | OpenProjectReachability::Other(_) => push(blocked(format!("is-valid-op-instance: {r:?}"), said!("ff-check_openproject_url"))),
            }
        }
        Err(e) if e.status() == Some(412) => push(
            Finding::new(
                C::NextcloudReachabilityUnchecked,
                Severity::Warning,
                Some(Server::Nextcloud),
                said!("fm-nextcloud_reachability_unchecked"),
            )
            .evidence("is-valid-op-instance: 412 CSRF check failed")
            .fix(said!("ff-nextcloud_reachability_unchecked"))
            .command(format!("curl -sS {}/api/v3", op.base())),
        ),
        Err(_) => {}
    }
    for (server, url) in [(Server::OpenProject, op.base()), (Server::Nextcloud, nc.base())] {
        if url.scheme() == "http" && !url.is_loopback() {
            push(
                Finding::new(
                    C::InsecureHttp,
                    Severity::Warning,
                    Some(server),
                    said!("fm-insecure_http").server("server", server),
                )
                .evidence(url.to_string())
                .fix(said!("ff-insecure_http")),
            );
        }
    }

    if let Some(finding) = ssrf_note(facts.openproject_version.as_deref(), nc.base()).await {
        push(finding);
    }

    // Conflicts.
    if let Ok(integration) = &app_config {
        facts.integration = Some(integration.clone());
    }
    facts.previous_openproject_secret = previous_secret;
    if let Some(Ok(status)) = &admin_config {
        facts.integration_complete = Some(status.config_status_without_project_folder);
        facts.app_password_present = Some(status.project_folder_setup_status);
    }
    facts.project_folder_complete = folder_status.as_ref().and_then(|s| s.as_ref().ok()).copied();
    facts.openproject_user_exists = op_user.as_ref().and_then(|u| u.as_ref().ok()).map(|u| u.is_some());
    facts.openproject_group_exists =
        groups.as_ref().and_then(|g| g.as_ref().ok()).map(|g| g.iter().any(|g| g == "OpenProject"));
    let existing = facts.storage_for(nc.base()).cloned();
    let nc_points_here =
        facts.integration.as_ref().is_some_and(|i| i.is_set() && op.base().same_server(&i.openproject_url));
    let mut already_configured = false;
    let mut converting = false;
    if let Some(storage) = &existing {
        let ids_match = facts
            .integration
            .as_ref()
            .zip(storage.oauth_application.as_ref())
            .is_some_and(|(i, app)| i.openproject_client_id == app.client_id);
        let sso_in_place = options.sso.is_some()
            && storage.is_sso()
            && facts.integration.as_ref().is_some_and(|i| i.authorization_method == "oidc");
        let method_matches = if options.sso.is_some() { sso_in_place } else { ids_match && !storage.is_sso() };
        let connected = storage.is_configured() && nc_points_here && facts.integration_complete == Some(true);
        let nc_method = facts.integration.as_ref().map(|i| i.authorization_method.clone()).unwrap_or_default();
        // Both methods' parts stay in place when Nextcloud's method is switched (measured on 3.1.1), so a working
        // two-way OAuth pair can become SSO and back without losing file links; a pair made with SSO has no OAuth
        // application in OpenProject, which only its admin pages make.
        let to_sso =
            options.sso.is_some() && !storage.is_sso() && ids_match && matches!(nc_method.as_str(), "oauth2" | "");
        let oauth_parts = storage.oauth_application.is_some()
            && storage.oauth_client_credentials.is_some()
            && ids_match
            && facts.integration.as_ref().is_some_and(|i| i.has_nextcloud_client);
        let to_oauth = options.sso.is_none() && storage.is_sso() && nc_method == "oidc";
        if connected && !options.replace_existing && to_sso {
            converting = true;
            push(
                Finding::new(C::ConvertToSso, Severity::Info, None, said!("fm-convert_to_sso", name = &storage.name))
                    .evidence(format!(
                        "storage {} TwoWayOAuth2, Nextcloud authorization_method {nc_method:?}",
                        storage.id
                    )),
            );
        } else if connected && !options.replace_existing && to_oauth && oauth_parts {
            converting = true;
            push(
                Finding::new(
                    C::ConvertToOauth,
                    Severity::Info,
                    None,
                    said!("fm-convert_to_oauth", name = &storage.name),
                )
                .evidence(format!(
                    "storage {} OAuth2SSO with OAuth application {:?}",
                    storage.id,
                    storage.oauth_application.as_ref().map(|a| a.client_id.clone())
                )),
            );
        } else if !options.replace_existing && to_oauth {
            push(
                Finding::new(
                    C::SsoNotConvertible,
                    Severity::Blocker,
                    Some(Server::OpenProject),
                    said!("fm-sso_not_convertible", name = &storage.name),
                )
                .evidence(format!("storage {} OAuth2SSO, no oauthApplication", storage.id))
                .fix(said!("ff-sso_not_convertible"))
                .remedy(Remedy::SetupReplacing),
            );
        } else if connected && method_matches {
            already_configured = true;
            push(
                Finding::new(
                    C::AlreadyConfigured,
                    Severity::Info,
                    None,
                    said!("fm-already_configured", name = &storage.name),
                )
                .evidence(format!("storage {} configured, client ids match", storage.id)),
            );
        } else if !options.replace_existing {
            push(
                Finding::new(
                    C::StorageExistsForHost,
                    Severity::Blocker,
                    Some(Server::OpenProject),
                    said!("fm-storage_exists_for_host", name = &storage.name),
                )
                .evidence(format!("storage {} host {}", storage.id, storage.host))
                .fix(said!("ff-storage_exists_for_host"))
                .remedy(Remedy::SetupReplacing),
            );
        }
    } else if facts.storages.iter().any(|s| s.name == options.storage_name) {
        push(
            Finding::new(
                C::StorageNameTaken,
                Severity::Blocker,
                Some(Server::OpenProject),
                said!("fm-storage_name_taken", name = &options.storage_name),
            )
            .evidence("name taken")
            .fix(said!("ff-storage_name_taken"))
            .remedy(Remedy::SetupWithAnotherName),
        );
    }
    if let Some(integration) = facts.integration.clone().filter(NextcloudIntegration::is_set) {
        if !nc_points_here {
            let f = Finding::new(
                C::IntegrationConfiguredForOtherOpenproject,
                if options.replace_existing { Severity::Warning } else { Severity::Blocker },
                Some(Server::Nextcloud),
                said!("fm-integration_configured_for_other_openproject"),
            )
            .evidence(format!("openproject_instance_url {}", integration.openproject_url))
            .fix(said!("ff-integration_configured_for_other_openproject"))
            .remedy(Remedy::SetupReplacing);
            push(f);
        } else if !already_configured {
            push(
                Finding::new(
                    C::IntegrationConfiguredForThisOpenproject,
                    Severity::Info,
                    Some(Server::Nextcloud),
                    said!("fm-integration_configured_for_this_openproject"),
                )
                .evidence(format!("openproject_instance_url {}", integration.openproject_url)),
            );
        }
    }
    if options.project_folders {
        match (facts.openproject_user_exists, facts.openproject_group_exists) {
            // In SSO mode integration_openproject 3.1.1 makes a new app password on PATCH but returns before
            // showing it (`updateIntegration`, lib/Controller/ConfigController.php; measured), and a POST with the
            // project folder is a 409 for the existing user: the folder cannot be reused.
            (Some(true), _) if converting => {}
            (Some(true), _) if options.sso.is_some() => push(
                Finding::new(
                    C::SsoProjectFolderNotReusable,
                    Severity::Blocker,
                    Some(Server::Nextcloud),
                    said!("fm-sso_project_folder_not_reusable"),
                )
                .evidence("user OpenProject exists; PATCH /setup in oidc mode answers only {\"status\"}")
                .fix(said!("ff-sso_project_folder_not_reusable")),
            ),
            (Some(true), _) => push(
                Finding::new(
                    C::ProjectFolderEntitiesExist,
                    Severity::Info,
                    Some(Server::Nextcloud),
                    said!("fm-project_folder_entities_exist"),
                )
                .evidence("user OpenProject exists"),
            ),
            (Some(false), Some(true)) => push(
                Finding::new(
                    C::ProjectFolderGroupConflict,
                    Severity::Blocker,
                    Some(Server::Nextcloud),
                    said!("fm-project_folder_group_conflict"),
                )
                .evidence("group OpenProject exists, user does not")
                .fix(said!("ff-project_folder_group_conflict")),
            ),
            _ => {}
        }
    }
    if let (Some(choice), Some(readiness)) = (&options.sso, sso) {
        findings.extend(readiness.findings);
        findings.extend(crate::setup::sso::choice_findings(choice, &readiness.facts, options.project_folders, true));
        facts.sso = Some(readiness.facts);
    }
    sort(&mut findings);
    PreflightReport { facts, findings }
}

/// Before an apply that follows a confirmation (which may have waited), only the facts the plan rests on are read
/// again: OpenProject's storages, what Nextcloud's integration points at, and (with project folders) its
/// "OpenProject" user and group. When they are as before, so is the plan, and `previous` stands; otherwise a full
/// preflight gives the new one.
pub async fn recheck(
    op: &OpenProjectClient,
    nc: &NextcloudClient,
    options: &SetupOptions,
    previous: &PreflightReport,
) -> PreflightReport {
    let project_folders = async {
        if options.project_folders {
            let (user, groups) = tokio::join!(nc.user("OpenProject"), nc.search_groups("OpenProject"));
            (user.ok().map(|u| u.is_some()), groups.ok().map(|g| g.iter().any(|g| g == "OpenProject")))
        } else {
            (previous.facts.openproject_user_exists, previous.facts.openproject_group_exists)
        }
    };
    let (storages, url, (user, group)) =
        tokio::join!(op.storages(), nc.app_config_value(INTEGRATION_APP, "openproject_instance_url"), project_folders);
    let summary = |list: &[Storage]| -> Vec<(i64, String, String, bool)> {
        list.iter().map(|s| (s.id, s.name.clone(), s.host.clone(), s.is_configured())).collect()
    };
    let before = &previous.facts;
    let same = storages.as_ref().is_ok_and(|now| summary(now) == summary(&before.storages))
        && url.as_ref().is_ok_and(|u| {
            u.expose().trim() == before.integration.as_ref().map(|i| i.openproject_url.trim()).unwrap_or("")
        })
        && user == before.openproject_user_exists
        && group == before.openproject_group_exists;
    if same {
        previous.clone()
    } else {
        run(op, nc, options).await
    }
}

/// The integration's SSO settings.
async fn read_sso(nc: &NextcloudClient) -> Result<NextcloudSso, crate::ClientError> {
    let value = |key: &'static str| async move { nc.app_config_value(INTEGRATION_APP, key).await };
    let (kind, provider, audience, exchange) = tokio::join!(
        value("sso_provider_type"),
        value("oidc_provider"),
        value("targeted_audience_client_id"),
        value("token_exchange")
    );
    Ok(NextcloudSso {
        provider_type: kind?.expose().clone(),
        oidc_provider: provider?.expose().clone(),
        targeted_audience_client_id: audience?.expose().clone(),
        token_exchange: exchange?.expose() == "1",
    })
}

/// Enables the apps preflight found installed but disabled (integration_openproject, and groupfolders when
/// project folders are wanted) through OCS. Nextcloud asks for password confirmation here, so this works
/// only with the account password; with an app password it stops with `PasswordConfirmationRequired`
/// and the finding's `occ` command is the way. Enabled apps stay enabled (a rollback does not disable them).
pub async fn enable_disabled_apps(
    nc: &NextcloudClient,
    report: &PreflightReport,
) -> Result<Vec<&'static str>, crate::ClientError> {
    let mut enabled = Vec::new();
    if report.has(C::IntegrationAppDisabled) {
        nc.enable_app(INTEGRATION_APP).await?;
        enabled.push(INTEGRATION_APP);
    }
    if report.has(C::GroupfoldersDisabled) {
        nc.enable_app("groupfolders").await?;
        enabled.push("groupfolders");
    }
    Ok(enabled)
}
