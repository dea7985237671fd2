// Generated from the Rust types in crates/opnc-core: do not edit.
// Regenerate: OPNC_UPDATE_BINDINGS=1 cargo test -p opnc-core --test ipc_bindings

export type Server = "open_project" | "nextcloud" | "identity_provider";
export type ErrorCode = "invalid_url" | "insecure_url" | "dns_failed" | "connection_refused" | "tls_certificate" | "tls_failed" | "could_not_connect" | "timeout" | "connection_dropped" | "redirected_to_other_host" | "credentials_rejected" | "two_factor_requires_app_password" | "not_admin" | "password_confirmation_required" | "openproject_api_error" | "nextcloud_api_error" | "unexpected_status" | "unparseable_body" | "response_too_large" | "incomplete_answer" | "proof_failed" | "interrupted" | "journal_failed" | "two_factor_requires_browser_sign_in" | "single_sign_on_only" | "sign_in_step_needs_browser" | "session_ended" | "page_not_recognized" | "result_not_shown" | "plan_changed" | "not_signed_in" | "missing_credential" | "cancelled" | "no_storage" | "preflight_blocked" | "keyring_unavailable" | "web_session_required" | "window_closed" | "demo_only" | "watch_timed_out" | "client_setup_failed" | "demo_unavailable" | "invalid_input" | "local_failure" | "manual_cleanup_required";
export type ErrorView = { code: ErrorCode, 
/**
 * In English (logs, scripts); faces say `said` in their language.
 */
message: string, hint: string, 
/**
 * Boxed: views travel in every `Result` of the faces, which stay small.
 */
said?: Said, hint_said?: Said, };
export type Severity = "blocker" | "warning" | "info";
export type FindingCode = "certificate_expired" | "certificate_name_mismatch" | "certificate_chain_incomplete" | "certificate_expires_soon" | "openproject_unreachable" | "nextcloud_unreachable" | "openproject_credentials_rejected" | "nextcloud_credentials_rejected" | "openproject_not_admin" | "nextcloud_not_admin" | "openproject_too_old" | "openproject_without_configured_field" | "openproject_needs_storages_module" | "openproject_no_active_project" | "nextcloud_too_old" | "nextcloud_maintenance" | "integration_app_missing" | "integration_app_disabled" | "integration_app_too_old" | "groupfolders_missing" | "groupfolders_disabled" | "groupfolders_too_old" | "openproject_ssrf_protection" | "version_pair_unsupported" | "integration_password_confirmation" | "upgrade_wipes_settings" | "nextcloud_background_jobs_ajax" | "nextcloud_background_jobs_stale" | "team_folders_not_encrypted" | "team_folders_app_missing" | "project_folder_files_request_failed" | "project_folders_unlinked" | "project_folder_missing" | "team_folder_unexpected_content" | "authorization_header_stripped" | "nextcloud_cannot_reach_openproject" | "openproject_cannot_reach_nextcloud" | "nextcloud_reachability_unchecked" | "insecure_http" | "storage_exists_for_host" | "storage_name_taken" | "integration_configured_for_this_openproject" | "integration_configured_for_other_openproject" | "project_folder_entities_exist" | "project_folder_group_conflict" | "already_configured" | "storage_missing" | "storage_host_drift" | "openproject_url_mismatch" | "client_id_mismatch" | "nextcloud_client_unknown" | "openproject_secret_rejected" | "redirect_uri_mismatch" | "authentication_method_mismatch" | "integration_incomplete" | "userless_access" | "project_folder_incomplete" | "host_name_mismatch" | "terms_of_service" | "workers_backed_up" | "openproject_workers_stopped" | "storage_in_no_project" | "openproject_health_check" | "admin_not_connected_to_nextcloud" | "sso_openproject_too_old" | "sso_enterprise_feature_missing" | "sso_integration_too_old" | "sso_nextcloud_app_missing" | "sso_discovery_unreachable" | "sso_discovery_address_invalid" | "sso_discovery_invalid" | "sso_token_exchange_unsupported" | "sso_provider_unknown" | "sso_providers_found" | "sso_issuer_port_dropped" | "sso_choice_incomplete" | "sso_provider_exists" | "sso_project_folders_too_old" | "sso_password_confirmation_needed" | "sso_bearer_validation_by_hand" | "sso_openproject_provider_by_hand" | "sso_audience_missing" | "sso_token_exchange_mismatch" | "sso_targeted_audience_missing" | "sso_login_token_not_stored" | "sso_bearer_not_checked" | "sso_project_folder_not_reusable" | "sso_oidc_client_missing" | "sso_token_not_jwt" | "convert_to_sso" | "convert_to_oauth" | "sso_not_convertible" | "sso_openproject_provider_offered" | "sso_test_sign_in_failed" | "sso_token_signature_invalid" | "sso_token_issuer_mismatch" | "sso_token_audience_wrong" | "sso_api_scope_missing" | "sso_offline_access_missing" | "sso_token_exchange_refused" | "sso_nextcloud_audience_wrong" | "sso_token_refused_by_nextcloud" | "sso_token_refused_by_openproject" | "sso_test_sign_in_passed";
export type Finding = { code: FindingCode, severity: Severity, server: Server | null, 
/**
 * In English (logs, JSON readers, reports of earlier versions); faces say [`Finding::said`] in their language.
 */
message: string, 
/**
 * What was observed, never containing a secret: the servers' own values, not translated.
 */
evidence: string, 
/**
 * What fixes it, in English, where something does.
 */
fix: string | null, 
/**
 * The assistant's own action that fixes it, where it has one.
 */
remedy: Remedy | null, 
/**
 * The message by its catalogue key (absent in reports of versions before the catalogue).
 */
said?: Said, 
/**
 * The fix by its catalogue key.
 */
fix_said?: Said, 
/**
 * A command that must run on a server (`occ`, a web-server setting), shown as it is with Copy: it is the
 * one part of a fix no face translates or runs.
 */
command?: string, };
export type IdentityProvider = { "kind": "nextcloud_hub" } | { "kind": "external", 
/**
 * Its discovery document's address.
 */
discovery_url: string, 
/**
 * OpenProject exchanges the user's token for one with Nextcloud as audience (RFC 8693).
 */
token_exchange: boolean, 
/**
 * The user_oidc provider that stands for it in Nextcloud, when one is there already.
 */
oidc_provider: string | null, };
export type SsoReadiness = { choice: IdentityProvider, findings: Array<Finding>, facts: SsoFacts, };
export type SsoFacts = { openproject_version: string | null, 
/**
 * OpenProject's Enterprise token has `nextcloud_sso` (`availableFeatures` of the configuration).
 */
sso_feature: boolean | null, integration_version: string | null, 
/**
 * The `oidc` app's version, when it is installed.
 */
oidc_app: string | null, 
/**
 * `user_oidc`'s version, when it is installed.
 */
user_oidc_app: string | null, 
/**
 * user_oidc's provider identifiers.
 */
user_oidc_providers: Array<string>, 
/**
 * The providers themselves (client id, discovery, bearer check).
 */
providers: Array<OidcProvider>, 
/**
 * user_oidc's `store_login_token` (`None`: never set, or the app is not there).
 */
store_login_token: boolean | null, 
/**
 * The OpenID providers OpenProject's sign-in page offers (slugs).
 */
openproject_sign_in: Array<string>, discovery: Discovery | null, };
export type Discovery = { issuer: string, authorization_endpoint: string, token_endpoint: string, jwks_uri: string, grant_types_supported: Array<string>, scopes_supported: Array<string>, };
export type OidcProvider = { id: number, identifier: string, client_id: string, discovery_endpoint: string, scope: string, 
/**
 * Nextcloud accepts the provider's bearer tokens (what OpenProject sends in SSO mode).
 */
check_bearer: boolean, };
export type SsoOptions = { provider: IdentityProvider, 
/**
 * OpenProject's client id at the identity provider: the audience Nextcloud checks on the tokens OpenProject
 * sends after an exchange (external identity provider with token exchange). With Nextcloud Hub the setup
 * makes that client itself.
 */
openproject_client_id: string | null, 
/**
 * The scope OpenProject asks for in the exchange (Keycloak: the client scope that adds Nextcloud's audience).
 */
token_exchange_scope: string | null, 
/**
 * External identity provider without a user_oidc provider yet: Nextcloud's client at it, and the identifier
 * of the provider the setup creates for it.
 */
new_provider: NewProviderChoice | null, 
/**
 * The display name of OpenProject's OpenID provider (its sign-in path is `/auth/oidc-<name>`).
 */
openproject_provider: string, };
export type NewProviderChoice = { identifier: string, 
/**
 * Nextcloud's client id at the identity provider.
 */
client_id: string, };
export type SsoPlan = { provider: IdentityProvider, 
/**
 * The storage's SSO settings.
 */
storage: StorageSso, 
/**
 * Nextcloud Hub: the redirect URI of the oidc client made for OpenProject.
 */
oidc_client_redirect: string | null, 
/**
 * The user_oidc provider Nextcloud's integration names (external identity providers).
 */
oidc_provider: string | null, 
/**
 * Created by the setup (external identity provider without a provider yet).
 */
create_provider: NewProviderChoice | null, discovery_url: string, 
/**
 * The audience Nextcloud checks: OpenProject's client id at the identity provider (exchange), or, with
 * Nextcloud Hub, the oidc client the setup makes (known only once it is made).
 */
targeted_audience: string | null, token_exchange: boolean, 
/**
 * user_oidc's `store_login_token` is switched on (it was not).
 */
store_login_token: boolean, 
/**
 * OpenProject's OpenID provider: its display name and sign-in callback.
 */
openproject_provider: string, openproject_callback: string, };
export type ProviderHandoff = { 
/**
 * OpenProject's admin page for a new OpenID provider.
 */
page: string, display_name: string, discovery_url: string, 
/**
 * Empty when it is OpenProject's client at an external identity provider, which only the admin knows.
 */
client_id: string, 
/**
 * Where the secret can be read again, in words.
 */
client_secret_source: string, 
/**
 * Who holds the secret: Nextcloud (Hub's client, which the assistant made and may enter itself) or the
 * identity provider (only the admin knows it).
 */
secret_held_by: Server, scopes: string, token_exchange: boolean, 
/**
 * The redirect URI the identity provider must allow.
 */
callback_url: string, 
/**
 * The provider's slug on OpenProject's sign-in page (`/auth/<slug>`), what the watch waits for.
 */
sign_in_slug: string, };
export type StorageSso = { 
/**
 * `__op-idp__`, or the audience to exchange the user's token for (Nextcloud's client id at the IdP).
 */
audience: string, 
/**
 * The scope asked for in the exchange (Keycloak: the client scope adding Nextcloud's audience).
 */
token_exchange_scope: string | null, };
export type Remedy = { "remedy": "setup" } | { "remedy": "setup_replacing" } | { "remedy": "setup_with_another_name" } | { "remedy": "reset", kind: ResetKind, } | { "remedy": "enable_projects" };
export type SetupOptions = { storage_name: string, 
/**
 * Automatically managed project folders (needs the Team folders app).
 */
project_folders: boolean, 
/**
 * Replace an existing storage for this Nextcloud, or a Nextcloud integration pointing elsewhere.
 */
replace_existing: boolean, 
/**
 * Connect through an OpenID Connect identity provider instead of two-way OAuth.
 */
sso: SsoOptions | null, };
export type PlanMode = "create" | "prove_only" | "convert";
export type PlannedChange = { server: Server, 
/**
 * In English; faces say `said` in their language.
 */
action: string, phase: Phase, said: Said, };
export type Plan = { mode: PlanMode, openproject_url: string, nextcloud_url: string, options: SetupOptions, changes: Array<PlannedChange>, 
/**
 * What a rollback cannot bring back, named before anything is written.
 */
unrestorable: Array<string>, 
/**
 * The same, by their catalogue keys.
 */
unrestorable_said: Array<Said>, 
/**
 * Delete this existing storage first (with --replace).
 */
replace_storage_id: number | null, 
/**
 * Nextcloud's "OpenProject" user exists: reuse it (new app password) instead of creating it.
 */
reuse_project_folder: boolean, 
/**
 * Nextcloud holds integration settings now; a rollback restores them.
 */
nextcloud_had_settings: boolean, 
/**
 * Connected through an identity provider: what the SSO steps do.
 */
sso: SsoPlan | null, 
/**
 * A conversion of this storage (`PlanMode::Convert`).
 */
convert_storage_id: number | null, };
export type JobStatus = "running" | "succeeded" | "rolled_back" | "rollback_failed";
export type Phase = "started" | "replace_storage" | "create_oidc_client" | "configure_user_oidc" | "switch_storage" | "create_storage" | "configure_nextcloud" | "set_nextcloud_client" | "set_application_password" | "proof" | "rolling_back" | "done";
export type NextcloudIntegration = { openproject_url: string, openproject_client_id: string, has_openproject_client_secret: boolean, authorization_method: string, has_nextcloud_client: boolean, 
/**
 * In oidc mode: what the integration trusts (read only then).
 */
sso: NextcloudSso | null, };
export type NextcloudSso = { provider_type: string, oidc_provider: string, targeted_audience_client_id: string, token_exchange: boolean, };
export type OidcClientInfo = { id: number, name: string, clientId: string, 
/**
 * `jwt` or `opaque` (opaque tokens break OpenProject's bearer check, user_oidc#1040).
 */
tokenType: string, };
export type Compensation = { "kind": "delete_storage", storage_id: number | null, nextcloud_url: string, name: string, } | { "kind": "reset_nextcloud" } | { "kind": "restore_nextcloud", previous: NextcloudIntegration, integration_version: string | null, } | { "kind": "delete_oidc_client", id: number | null, 
/**
 * The client id the setup chose for it (not a secret): with it, a client whose numeric id was never
 * learnt can be told apart, and named for removal on the server.
 */
client_id: string | null, name: string, deleted: boolean, } | { "kind": "delete_user_oidc_provider", identifier: string, } | { "kind": "restore_storage_method", storage_id: number, sso: StorageSso | null, } | { "kind": "restore_nextcloud_method", sso: NextcloudSso | null, integration_version: string | null, };
export type EventKind = { "event": "job_started" } | { "event": "phase_started", phase: Phase, } | { "event": "compensation_recorded", compensation: Compensation, } | { "event": "changed", 
/**
 * In English (the job file, logs); faces say `said` (jobs written before it have none).
 */
what: string, said?: Said, } | { "event": "failed", phase: Phase, error: ErrorView, } | { "event": "rollback_started" } | { "event": "watching_for_late_changes", until: number, } | { "event": "undone", 
/**
 * In English (the job file, logs); faces say `said` (jobs written before it have none).
 */
what: string, said?: Said, 
/**
 * The side that was put back (jobs written before this field read as unknown).
 */
server: Server | null, } | { "event": "rollback_completed" } | { "event": "rollback_failed", error: ErrorView, } | { "event": "succeeded" } | { "event": "interrupted" };
export type Event = { 
/**
 * Seconds since the Unix epoch.
 */
at: number, } & ({ "event": "job_started" } | { "event": "phase_started", phase: Phase, } | { "event": "compensation_recorded", compensation: Compensation, } | { "event": "changed", 
/**
 * In English (the job file, logs); faces say `said` (jobs written before it have none).
 */
what: string, said?: Said, } | { "event": "failed", phase: Phase, error: ErrorView, } | { "event": "rollback_started" } | { "event": "watching_for_late_changes", until: number, } | { "event": "undone", 
/**
 * In English (the job file, logs); faces say `said` (jobs written before it have none).
 */
what: string, said?: Said, 
/**
 * The side that was put back (jobs written before this field read as unknown).
 */
server: Server | null, } | { "event": "rollback_completed" } | { "event": "rollback_failed", error: ErrorView, } | { "event": "succeeded" } | { "event": "interrupted" });
export type Job = { id: string, openproject_url: string, nextcloud_url: string, storage_name: string, project_folders: boolean, status: JobStatus, phase: Phase, events: Array<Event>, compensations: Array<Compensation>, error: ErrorView | null, rollback_error: ErrorView | null, 
/**
 * The process that started the job (jobs recorded before owners were kept have none). Whether it still
 * works on the job is the lease's to say (`JobStore::lease`); this says who it was.
 */
owner: Owner | null, };
export type Owner = { process_id: number, host: string, 
/**
 * Seconds since the Unix epoch.
 */
started_at: number, };
export type UnreadableJob = { path: string, reason: string, };
export type ProofCheck = { 
/**
 * Stable name, for machines (`--json`) and tests; people read `summary` (the catalogue's
 * `proof-<name>-ok|failed`).
 */
name: string, 
/**
 * The side the check looks at.
 */
server: Server, ok: boolean, 
/**
 * The check's result as a sentence.
 */
summary: string, 
/**
 * What was observed, for support staff.
 */
evidence: string, };
export type Proof = { storage_id: number, checks: Array<ProofCheck>, };
export type Access = "admin" | "signed_in" | "anonymous";
export type Check = "openproject_health_report" | "nextcloud_side" | "openproject_admin_checks" | "nextcloud_admin_checks" | "storage_drift" | "openproject_accepts_nextclouds_secret" | "nextcloud_configuration_drift" | "openproject_health_checks" | "nextcloud_to_openproject" | "sso_token_accepted" | "sso_server_only_settings";
export type NotRun = { check: Check, 
/**
 * In English; faces say `reason_said` in their language.
 */
reason: string, reason_said?: Said, };
export type Verdict = "healthy" | "warnings_only" | "problems" | "could_not_check";
export type Language = "en" | "de";
export type Said = { key: string, args: { [key in string]: SaidArg }, };
export type SaidArg = string | Said;
export type LinkKind = "computer_to_openproject" | "computer_to_nextcloud" | "nextcloud_to_openproject" | "openproject_to_nextcloud" | "openproject_app_in_nextcloud" | "nextcloud_client_in_openproject" | "project_folder_password" | "identity_provider";
export type LinkStatus = "good" | "doubtful" | "broken";
export type Link = { kind: LinkKind, status: LinkStatus, 
/**
 * The findings that colour it (their codes; the diagnosis holds their evidence).
 */
findings: Array<FindingCode>, 
/**
 * Checks on it that could not run.
 */
not_run: Array<Check>, 
/**
 * The proof's checks on it (Manage's picture), by their names; the proof holds their evidence.
 */
proofs: Array<string>, };
export type Picture = { links: Array<Link>, 
/**
 * The pair authorises users through an identity provider (the credential links are then the IdP's).
 */
sso: boolean, };
export type Headlines = { en: string, de: string, };
export type DiagnosisView = { diagnosis: Diagnosis, picture: Picture, 
/**
 * The verdict line in each language (its plurals are the catalogue's).
 */
headline: Headlines, 
/**
 * What changed since the pair last worked (empty when it works, or no good state was kept).
 */
changed: Array<Change>, };
export type MadeBy = { version: string, language: Language, };
export type ConnectionFacts = { storage_name: string | null, 
/**
 * The Nextcloud address OpenProject's storage holds.
 */
storage_host: string | null, 
/**
 * OpenProject's OAuth application for Nextcloud, as OpenProject shows it.
 */
openproject_client_id: string | null, 
/**
 * The OpenProject OAuth client id Nextcloud holds.
 */
openproject_client_id_in_nextcloud: string | null, 
/**
 * Nextcloud's OAuth client, as OpenProject holds it.
 */
nextcloud_client_id: string | null, 
/**
 * The OpenProject address Nextcloud's integration holds ("" when its settings are empty).
 */
nextcloud_points_at: string | null, 
/**
 * Nextcloud's integration's `authorization_method` (`oauth2`, `oidc`).
 */
nextcloud_method: string | null, };
export type ChangeKind = "openproject_url" | "nextcloud_url" | "openproject_version" | "nextcloud_version" | "integration_version" | "storage" | "storage_name" | "storage_host" | "method" | "project_folders" | "openproject_client_id" | "openproject_client_id_in_nextcloud" | "nextcloud_client_id" | "nextcloud_points_at" | "nextcloud_method" | "link" | "finding_appeared" | "finding_gone";
export type Change = { kind: ChangeKind, before: string | null, after: string | null, link?: LinkKind, finding?: FindingCode, 
/**
 * The change as a sentence, for every face.
 */
said: Said, };
export type OpenedReport = { path: string, made_by: MadeBy | null, view: DiagnosisView, };
export type WatchRound = { view: DiagnosisView, changes: Array<Change>, };
export type ComparedReport = { 
/**
 * The earlier report's file.
 */
path: string, changes: Array<Change>, };
export type ServerSummary = { url: string, version: string | null, access: Access, };
export type Diagnosis = { openproject: ServerSummary, nextcloud: ServerSummary, integration_version: string | null, storage_id: number | null, 
/**
 * The storage authorises users through an identity provider (reports of versions before it: false).
 */
sso: boolean, 
/**
 * The storage has automatically managed project folders (an app password).
 */
project_folders: boolean, 
/**
 * What the connection is made of, as identifiers (no secret): for "what changed since it worked".
 */
connection: ConnectionFacts, findings: Array<Finding>, not_run: Array<NotRun>, };
export type SignIn = { openproject_url: string, 
/**
 * Empty: the token remembered in the system keyring.
 */
openproject_token: string | null, nextcloud_url: string, 
/**
 * Empty (with the password): a browser sign-in's app password, or the keyring's.
 */
nextcloud_login: string | null, nextcloud_password: string | null, allow_insecure_http: boolean, 
/**
 * Keep both credentials in the system keyring once they are proven to work.
 */
remember: boolean, };
export type SideSummary = { server: Server, url: string, 
/**
 * Known when the administrators were proven at sign-in.
 */
version: string | null, 
/**
 * The signed-in administrator (empty when not proven at sign-in).
 */
admin: string, };
export type PairSummary = { openproject: SideSummary, nextcloud: SideSummary, 
/**
 * Simulated servers (demo mode), said so everywhere it matters.
 */
simulated: boolean, 
/**
 * Signed in to OpenProject's web interface too (the sign-in window): projects are enabled and OpenProject's
 * OAuth values replaced automatically; without it those steps are hand-offs.
 */
openproject_web: boolean, };
export type Review = { findings: Array<Finding>, plan: Plan | null, 
/**
 * Setups of this pair that a crash or a closed app left half done (or whose rollback failed): apply rolls
 * them back first.
 */
interrupted: Array<Job>, 
/**
 * Files in the job folder that are not readable jobs: possibly a setup still to undo, so they are shown.
 */
unreadable_jobs: Array<UnreadableJob>, };
export type ApplyResult = { "outcome": "ran", job: Job, storage_id: number | null, proof: Proof | null, 
/**
 * SSO: the values for OpenProject's OpenID provider form.
 */
handoff: ProviderHandoff | null, } | { "outcome": "not_applied", reason: ErrorView, review: Review, } | { "outcome": "recovery_failed", job: Job, };
export type NextcloudPointsAt = { "kind": "not_configured" } | { "kind": "this_openproject" } | { "kind": "other_openproject", url: string, };
export type DeleteImpact = { storage_id: number | null, storage_name: string | null, 
/**
 * Projects that use the storage; their file links are lost.
 */
projects: Array<string>, nextcloud: NextcloudPointsAt, 
/**
 * SSO with Nextcloud Hub: the oidc client made for OpenProject, deleted with the pair.
 */
oidc_client: OidcClientInfo | null, 
/**
 * SSO with an external identity provider: the user_oidc provider Nextcloud trusts it through (it stays: other
 * apps and users' logins may use it).
 */
user_oidc_provider: string | null, };
export type Deleted = { openproject_storage: boolean, nextcloud_integration: boolean, };
export type ConnectionState = { storage_id: number | null, storage_name: string | null, proof: Proof | null, 
/**
 * The connection's links, coloured by the proof.
 */
picture: Picture | null, };
export type ResetKind = "nextcloud_oauth" | "app_password" | "openproject_oauth";
export type ResetOutcome = { kind: ResetKind, steps: Array<Said>, proof: Proof, 
/**
 * Users must connect their accounts again (not after an app-password rotation).
 */
users_must_reauthorize: boolean, };
export type DemoServers = { openproject_url: string, nextcloud_url: string, 
/**
 * The demo accounts' logins and passwords: public, printed in the README, never real credentials.
 */
openproject_login: string, openproject_password: string, nextcloud_login: string, nextcloud_password: string, };
export type ProjectChoice = { id: number, name: string, identifier: string, active: boolean, parent_id: number | null, 
/**
 * Already uses the storage.
 */
enabled: boolean, };
export type FolderMode = { "mode": "inactive" } | { "mode": "automatic" } | { "mode": "manual", folder_id: string, };
export type Refused = { project: string, reason: Said, };
export type EnableOutcome = { 
/**
 * Names of projects enabled now.
 */
added: Array<string>, 
/**
 * Already enabled before: nothing sent for them.
 */
already: Array<string>, 
/**
 * Archived: OpenProject skips them (unarchive first).
 */
archived: Array<string>, refused: Array<Refused>, 
/**
 * Pages for the hand-off, when the forms could not be used (no session, unknown version or page).
 */
handoff_pages: Array<string>, 
/**
 * Why the hand-off was needed.
 */
handoff_reason: Said | null, 
/**
 * The projects to add on the hand-off pages.
 */
handoff_projects: Array<string>, };
