# The assistant's words for people, in English. Keys are the engine's codes (findings, checks, phases, severities,
# verdicts, servers); `catalogue.rs` checks that German has exactly the same keys and placeholders.

## Servers
server-open_project = OpenProject
server-nextcloud = Nextcloud
server-identity_provider = Identity provider

## Severities
severity-blocker = Problem
severity-warning = Warning
severity-info = Note

## Verdicts (a diagnosis's first line)
verdict-healthy = Healthy: every check passed.
verdict-warnings_only = Working, with { $warnings ->
    [one] 1 warning
   *[other] { $warnings } warnings
  }: nothing is broken.
verdict-problems = Broken: { $problems ->
    [one] 1 problem
   *[other] { $problems } problems
  } found{ $warnings ->
    [0] {""}
    [one] , and 1 warning
   *[other] , and { $warnings } warnings
  }.
verdict-could_not_check = Not fully checked: { $not_run ->
    [one] 1 check
   *[other] { $not_run } checks
  } could not run, so this is no clean bill of health{ $warnings ->
    [0] {""}
    [one] ; 1 warning found
   *[other] ; { $warnings } warnings found
  }.

## Labels of the command line
label-could_not_check = Could not check:
label-fix = fix
label-run = run
label-whole_report = The whole report with the evidence: --markdown, or --json.

## Checks that may not run
check-openproject_health_report = OpenProject's own health report for the storage
check-nextcloud_side = Everything on the Nextcloud side
check-openproject_admin_checks = What only an OpenProject administrator can see
check-nextcloud_admin_checks = What only a Nextcloud administrator can see
check-storage_drift = The storage's settings in OpenProject
check-openproject_accepts_nextclouds_secret = Whether OpenProject accepts the OAuth secret Nextcloud holds
check-nextcloud_configuration_drift = Nextcloud's OpenProject integration settings
check-openproject_health_checks = OpenProject's background workers
check-nextcloud_to_openproject = Whether Nextcloud reaches OpenProject
check-sso_token_accepted = Whether a user's identity-provider token is accepted on both sides
check-sso_server_only_settings = SSO settings that only the servers themselves show

## Setup phases
phase-started = Starting
phase-replace_storage = Deleting the storage being replaced in OpenProject
phase-create_oidc_client = Creating Nextcloud's OpenID Connect client for OpenProject
phase-configure_user_oidc = Letting Nextcloud trust the identity provider
phase-switch_storage = Switching the storage's method in OpenProject
phase-create_storage = Creating the file storage in OpenProject
phase-configure_nextcloud = Configuring the OpenProject integration in Nextcloud
phase-set_nextcloud_client = Giving OpenProject Nextcloud's OAuth client
phase-set_application_password = Giving OpenProject the app password for project folders
phase-proof = Proving the connection from both sides
phase-rolling_back = Rolling back both servers
phase-done = Done

## Findings: one short title each (the finding's message gives the details)
finding-openproject_unreachable = OpenProject cannot be reached
finding-nextcloud_unreachable = Nextcloud cannot be reached
finding-openproject_credentials_rejected = OpenProject refuses the sign-in
finding-nextcloud_credentials_rejected = Nextcloud refuses the sign-in
finding-openproject_not_admin = Not an OpenProject administrator
finding-nextcloud_not_admin = Not a Nextcloud administrator
finding-openproject_too_old = OpenProject is too old
finding-openproject_without_configured_field = OpenProject does not say whether the storage is configured
finding-openproject_needs_storages_module = Projects need the file storages module
finding-openproject_no_active_project = OpenProject has no active project
finding-nextcloud_too_old = Nextcloud is too old
finding-nextcloud_maintenance = Nextcloud is in maintenance mode
finding-integration_app_missing = The OpenProject Integration app is not installed
finding-integration_app_disabled = The OpenProject Integration app is not enabled
finding-integration_app_too_old = The OpenProject Integration app is too old
finding-groupfolders_missing = The Team folders app is not installed
finding-groupfolders_disabled = The Team folders app is not enabled
finding-groupfolders_too_old = The Team folders app is too old
finding-authorization_header_stripped = Nextcloud's web server removes the Authorization header
finding-nextcloud_cannot_reach_openproject = Nextcloud cannot reach OpenProject
finding-openproject_cannot_reach_nextcloud = OpenProject cannot reach Nextcloud
finding-nextcloud_reachability_unchecked = Whether Nextcloud reaches OpenProject cannot be asked
finding-insecure_http = Unencrypted HTTP
finding-storage_exists_for_host = OpenProject already has a storage for this Nextcloud
finding-storage_name_taken = The storage name is taken
finding-integration_configured_for_this_openproject = Nextcloud already has settings for this OpenProject
finding-integration_configured_for_other_openproject = Nextcloud is connected to another OpenProject
finding-project_folder_entities_exist = The project folders' user and group exist already
finding-project_folder_group_conflict = A group blocks the project folders
finding-already_configured = Already connected
finding-storage_missing = OpenProject has no storage for this Nextcloud
finding-storage_host_drift = The storage points at another Nextcloud
finding-openproject_url_mismatch = Nextcloud points at another OpenProject
finding-client_id_mismatch = The two sides hold different client ids
finding-nextcloud_client_unknown = Nextcloud no longer knows OpenProject's client
finding-openproject_secret_rejected = OpenProject rejects Nextcloud's client secret
finding-redirect_uri_mismatch = OpenProject redirects to another address
finding-authentication_method_mismatch = The two sides use different sign-in methods
finding-integration_incomplete = Nextcloud's integration is incomplete
finding-userless_access = The project folders' app password does not work
finding-project_folder_incomplete = Project folders are not fully set up
finding-host_name_mismatch = OpenProject's host name setting differs
finding-terms_of_service = The Terms of Service app gets in the way
finding-workers_backed_up = OpenProject's background workers are behind
finding-storage_in_no_project = The storage is in no project yet
finding-openproject_health_check = OpenProject's health report names a problem
finding-admin_not_connected_to_nextcloud = The admin is not connected to Nextcloud
finding-sso_openproject_too_old = OpenProject is too old for SSO
finding-sso_enterprise_feature_missing = OpenProject lacks the Enterprise feature for SSO
finding-sso_integration_too_old = The OpenProject Integration app is too old for SSO
finding-sso_nextcloud_app_missing = A Nextcloud app for SSO is missing
finding-sso_discovery_unreachable = The identity provider cannot be read
finding-sso_discovery_address_invalid = The discovery address is not usable
finding-sso_discovery_invalid = The discovery document is not valid
finding-sso_token_exchange_unsupported = The identity provider has no token exchange
finding-sso_provider_unknown = Nextcloud does not know that identity provider
finding-sso_providers_found = Nextcloud already trusts identity providers
finding-sso_issuer_port_dropped = Nextcloud's tokens may lose the issuer's port
finding-sso_choice_incomplete = The SSO choice is incomplete
finding-sso_provider_exists = That identity provider exists already
finding-sso_project_folders_too_old = OpenProject is too old for project folders with SSO
finding-sso_password_confirmation_needed = The account password is needed
finding-sso_bearer_validation_by_hand = One setting must be made on the Nextcloud server
finding-sso_openproject_provider_by_hand = OpenProject's OpenID provider is entered by hand
finding-sso_audience_missing = OpenProject's storage has no audience
finding-sso_token_exchange_mismatch = Token exchange is on at one side only
finding-sso_targeted_audience_missing = Nextcloud does not know OpenProject's audience
finding-sso_login_token_not_stored = Nextcloud does not keep users' login tokens
finding-sso_bearer_not_checked = Nextcloud does not accept bearer tokens
finding-sso_project_folder_not_reusable = The project folders' user cannot be reused with SSO
finding-sso_oidc_client_missing = Nextcloud's OpenID client for OpenProject is gone
finding-sso_token_not_jwt = The tokens are not JWTs
finding-convert_to_sso = Converted to SSO in place
finding-convert_to_oauth = Converted back to two-way OAuth in place
finding-sso_not_convertible = This SSO pair cannot be converted in place
finding-sso_openproject_provider_offered = OpenProject already offers the provider
finding-sso_test_sign_in_failed = The test sign-in failed
finding-sso_token_signature_invalid = The token's signature does not check out
finding-sso_token_issuer_mismatch = The token's issuer is another
finding-sso_token_audience_wrong = The token is not meant for OpenProject
finding-sso_api_scope_missing = The token lacks the scope api_v3
finding-sso_offline_access_missing = No refresh token
finding-sso_token_exchange_refused = The identity provider refuses the token exchange
finding-sso_nextcloud_audience_wrong = The token is not meant for Nextcloud
finding-sso_token_refused_by_nextcloud = Nextcloud refuses the user's token
finding-sso_token_refused_by_openproject = OpenProject refuses the user's token
finding-sso_test_sign_in_passed = The test sign-in worked

## The connection picture: its links and how they are
link-computer_to_openproject = This computer → OpenProject
link-computer_to_nextcloud = This computer → Nextcloud
link-nextcloud_to_openproject = Nextcloud → OpenProject
link-openproject_to_nextcloud = OpenProject → Nextcloud
link-openproject_app_in_nextcloud = OpenProject's OAuth app, held by Nextcloud
link-nextcloud_client_in_openproject = Nextcloud's OAuth client, held by OpenProject
link-project_folder_password = The project folders' app password
link-identity_provider = The identity provider both trust
linkstatus-good = works
linkstatus-doubtful = unchecked or warned
linkstatus-broken = broken

## Proof checks (Manage): each as it passed (-ok) or failed (-failed)
proof-openproject_storage_configured-ok = OpenProject's storage for this Nextcloud is complete.
proof-openproject_storage_configured-failed = OpenProject's storage for this Nextcloud is incomplete.
proof-openproject_application_password-ok = OpenProject holds the app password for project folders.
proof-openproject_application_password-failed = OpenProject holds no app password for project folders.
proof-openproject_holds_nextclouds_client-ok = OpenProject holds the OAuth client that Nextcloud issued for it.
proof-openproject_holds_nextclouds_client-failed = OpenProject holds another Nextcloud OAuth client than the one Nextcloud issued.
proof-redirect_uri_openproject-ok = OpenProject's OAuth application sends users back to this Nextcloud.
proof-redirect_uri_openproject-failed = OpenProject's OAuth application sends users back to another address than this Nextcloud.
proof-openproject_host_name-ok = OpenProject's host name setting matches the address it is reached at.
proof-openproject_host_name-failed = OpenProject's host name setting does not match the address it is reached at.
proof-nextcloud_integration_complete-ok = Nextcloud's OpenProject integration is fully configured.
proof-nextcloud_integration_complete-failed = Nextcloud's OpenProject integration is not fully configured.
proof-nextcloud_project_folder-ok = Nextcloud's project folders are set up (the OpenProject user, group, team folder and app password).
proof-nextcloud_project_folder-failed = Nextcloud's project folders are not fully set up.
proof-client_id_openproject_in_nextcloud-ok = Nextcloud holds OpenProject's OAuth client ID.
proof-client_id_openproject_in_nextcloud-failed = Nextcloud holds another OAuth client ID than OpenProject's.
proof-client_id_nextcloud_in_openproject-ok = Nextcloud knows the OAuth client that OpenProject uses.
proof-client_id_nextcloud_in_openproject-failed = Nextcloud does not know the OAuth client that OpenProject uses.
proof-nextcloud_points_at_openproject-ok = Nextcloud's integration points at this OpenProject.
proof-nextcloud_points_at_openproject-failed = Nextcloud's integration points at another OpenProject address.
proof-openproject_accepts_nextclouds_secret-ok = OpenProject accepts the OAuth secret that Nextcloud holds.
proof-openproject_accepts_nextclouds_secret-failed = OpenProject refuses the OAuth secret that Nextcloud holds.
proof-openproject_storage_sso-ok = OpenProject's storage authorises users through the identity provider.
proof-openproject_storage_sso-failed = OpenProject's storage is not set up for SSO as planned.
proof-nextcloud_sso_mode-ok = Nextcloud's integration authorises OpenProject's requests through the identity provider.
proof-nextcloud_sso_mode-failed = Nextcloud's integration is not in the planned SSO mode.
proof-nextcloud_sso_audience-ok = Nextcloud expects the audience OpenProject's tokens carry.
proof-nextcloud_sso_audience-failed = Nextcloud expects another audience than OpenProject's tokens carry.
proof-nextcloud_sso_provider-ok = Nextcloud's user_oidc knows the identity provider and accepts its bearer tokens.
proof-nextcloud_sso_provider-failed = Nextcloud's user_oidc does not know the identity provider, or refuses its bearer tokens.
proof-nextcloud_store_login_token-ok = Nextcloud's user_oidc stores users' login tokens.
proof-nextcloud_store_login_token-failed = Nextcloud's user_oidc does not store users' login tokens.
