//! Every version gate, in one place: what each server version can do, and the oldest versions OpenProject
//! accepts for a pair (its `modules/storages/config/nextcloud_dependencies.yml` and
//! `NextcloudCompatibleHostValidator`). Code compares against these names, never against literals.

use semver::Version;

use crate::version::v;

// OpenProject's API.
/// POST/PATCH/DELETE storages and `oauth_client_credentials`.
pub const OPENPROJECT_STORAGE_API: Version = v(12, 5, 0);
/// The per-project `storages` module is no longer needed.
pub const OPENPROJECT_NO_STORAGES_MODULE: Version = v(14, 1, 0);
/// The `configured` field.
pub const OPENPROJECT_CONFIGURED_FIELD: Version = v(14, 2, 0);
/// API tokens as `Bearer`.
pub const OPENPROJECT_BEARER_TOKENS: Version = v(17, 2, 0);

// OpenProject's web pages (the steps without an API).
/// `projects_storages` was renamed `project_storages` (opf/openproject#13335), and the admin UI moved to Primer
/// with the turbo-stream replace.
pub const PROJECT_STORAGES_PATH: Version = v(13, 1, 0);
/// The admin "Add projects" form on the storage.
pub const BULK_ADD: Version = v(14, 5, 0);
/// The health report with its text download.
pub const HEALTH_REPORT: Version = v(16, 0, 0);
/// Before the health report: the storage page's one-result connection check (`connection_validation`).
pub const CONNECTION_VALIDATION: Version = v(14, 4, 0);

// OpenProject's minimums for the Nextcloud side.
/// OpenProject's host validator refuses older Nextclouds.
pub const NEXTCLOUD_MAJOR: u64 = 22;
/// OpenProject's minimum for the integration app.
pub const INTEGRATION_APP: Version = v(2, 6, 3);
/// OpenProject's minimum for team folders (automatically managed project folders).
pub const GROUPFOLDERS: Version = v(14, 0, 9);

// integration_openproject's `/setup` body.
/// `setup_project_folder` and `setup_app_password`.
pub const INTEGRATION_PROJECT_FOLDER_KEYS: Version = v(2, 4, 0);
/// `authorization_method` and the SSO keys (older versions refuse them as an invalid key).
pub const INTEGRATION_AUTHORIZATION_METHOD: Version = v(2, 9, 0);
/// The newest integration_openproject this was checked against (recorded transcripts): what a job recorded
/// without the version it restores for is sent.
pub const INTEGRATION_NEWEST_KNOWN: Version = v(3, 1, 1);

// SSO through an OpenID Connect identity provider (`shared/contracts/sso-oidc.md`).
/// SSO storages (`authenticationMethod` `OAuth2SSO`).
pub const OPENPROJECT_SSO: Version = v(16, 0, 0);
/// `tokenExchangeScope` can be set when the storage is created (fix #66442).
pub const OPENPROJECT_SSO_TOKEN_EXCHANGE_SCOPE: Version = v(16, 3, 0);
/// Automatically managed project folders with an SSO storage (#67071).
pub const OPENPROJECT_SSO_PROJECT_FOLDERS: Version = v(16, 5, 0);
/// The Enterprise feature OpenProject's storage contract asks for (`enterprise_plan_required` without it).
pub const OPENPROJECT_SSO_FEATURE: &str = "nextcloud_sso";
/// `user_oidc`, with which Nextcloud trusts the identity provider's tokens.
pub const USER_OIDC: Version = v(7, 2, 0);
/// The "OIDC Identity Provider" app (`oidc`), when Nextcloud Hub is the identity provider.
pub const OIDC_APP: Version = v(1, 14, 1);
/// The grant an identity provider lists when it can exchange tokens (RFC 8693).
pub const TOKEN_EXCHANGE_GRANT: &str = "urn:ietf:params:oauth:grant-type:token-exchange";

// OpenProject's SSRF protection.
/// OpenProject refuses storage hosts on private, loopback and link-local addresses unless allow-listed (its 17.6
/// release notes; opf/openproject #22211, #23048 "ssrf protection to nextcloud validator", #23267).
pub const OPENPROJECT_SSRF_STORAGES: Version = v(17, 6, 0);
/// The variable that allow-lists addresses (one or more IPs or CIDR ranges). OpenProject puts its name into its
/// refusal (`errors.add(attribute, :ssrf_filtered, env_name:)`), in every language: the one part of its localised
/// message that is safe to recognise.
pub const SSRF_ALLOWLIST_VARIABLE: &str = "OPENPROJECT_SSRF_PROTECTION_IP_ALLOWLIST";

// The upgrade advisor.
/// The Nextcloud majors each integration_openproject release declares (`appinfo/info.xml`, `<nextcloud
/// min-version max-version>`, read per release tag): (first release of the range, min, max). A release not listed
/// has the range of the newest listed release before it.
pub const INTEGRATION_NEXTCLOUD_RANGES: [(Version, u64, u64); 10] = [
    (v(2, 5, 0), 25, 28),
    (v(2, 6, 3), 26, 29),
    (v(2, 6, 4), 26, 30),
    (v(2, 7, 0), 27, 30),
    (v(2, 8, 0), 27, 31),
    (v(2, 9, 0), 28, 31),
    (v(2, 10, 1), 28, 32),
    (v(2, 11, 0), 30, 32),
    (v(3, 0, 0), 33, 33),
    (v(3, 1, 0), 33, 34),
];

/// The Nextcloud majors `integration` declares it runs on.
pub fn nextcloud_range(integration: &Version) -> Option<(u64, u64)> {
    // A release newer than those read may declare more: not judged.
    if integration > &INTEGRATION_NEWEST_KNOWN {
        return None;
    }
    INTEGRATION_NEXTCLOUD_RANGES
        .iter()
        .rev()
        .find(|(first, _, _)| integration >= first)
        .map(|(_, min, max)| (*min, *max))
}

/// The first integration_openproject release that declares `nextcloud_major`, where one is known.
pub fn integration_for_nextcloud(nextcloud_major: u64) -> Option<Version> {
    INTEGRATION_NEXTCLOUD_RANGES
        .iter()
        .find(|(_, min, max)| (*min..=*max).contains(&nextcloud_major))
        .map(|(first, _, _)| first.clone())
}

/// integration_openproject sets the OpenProject user's password confirmation on its app-password logins from
/// these on (integration_openproject #1097/#1098, `lib/Listener/UserLoggedInEventListener.php`; the Nextcloud
/// side: nextcloud/server #61646): 2.11.4 on the 2.x line, 3.1.1 on 3.x.
pub const INTEGRATION_PASSWORD_CONFIRMATION_2: Version = v(2, 11, 4);
pub const INTEGRATION_PASSWORD_CONFIRMATION_3: Version = v(3, 1, 1);

/// Nextcloud 35 replays integration_openproject's migrations; releases before 3.3.0 lose the admin settings then
/// (integration_openproject #1193, as reported in the field; not in the sources this was checked against).
pub const NEXTCLOUD_REPLAYS_MIGRATIONS: u64 = 35;
pub const INTEGRATION_KEEPS_SETTINGS: Version = v(3, 3, 0);
