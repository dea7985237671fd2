//! `opnc plan | setup | status | delete | recover`: the setup engine on the command line.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use opnc_core::findings::{Finding, Severity};
use opnc_core::pair::{ApplyResult, Confirmation, ConnectOptions, ConnectedPair, Credentials, PairError, Review};
use opnc_core::said;
use opnc_core::setup::journal::{Job, JobStatus, JobStore};
use opnc_core::setup::{Plan, PlanMode, SetupOptions};
use opnc_core::{HttpClient, Server, ServerUrl, UrlPolicy};
use serde_json::json;

use crate::credentials;
use crate::exit::{Exit, Failure};

/// The two servers of a pair, as every command names them.
#[derive(clap::Args, Clone)]
pub struct ServerArgs {
    /// OpenProject's address, e.g. https://openproject.example.com (a page of it copied from the browser works too)
    #[arg(long, env = "OPNC_OPENPROJECT_URL")]
    pub openproject: String,
    /// Nextcloud's address, e.g. https://cloud.example.com or https://example.com/nextcloud (a page of it copied
    /// from the browser works too)
    #[arg(long, env = "OPNC_NEXTCLOUD_URL")]
    pub nextcloud: String,
    /// Allow plain http to hosts that are not loopback (secrets then cross the network unencrypted).
    #[arg(long)]
    pub allow_insecure_http: bool,
}

impl ServerArgs {
    fn policy(&self) -> UrlPolicy {
        UrlPolicy { allow_insecure_http: self.allow_insecure_http }
    }

    /// Both URLs checked and normalised, without asking the servers; the error names the server.
    pub fn urls(&self) -> Result<(ServerUrl, ServerUrl), Failure> {
        let op = ServerUrl::parse(&self.openproject, self.policy()).map_err(|e| e.for_server(Server::OpenProject))?;
        let nc = ServerUrl::parse(&self.nextcloud, self.policy()).map_err(|e| e.for_server(Server::Nextcloud))?;
        Ok((op, nc))
    }

    /// Both base addresses. A page of a server pasted from the browser is cut to the address the server's API
    /// answers under, and the command says which address it uses.
    pub async fn resolve(&self, http: &HttpClient) -> Result<(ServerUrl, ServerUrl), Failure> {
        use opnc_core::address::resolve;
        let (op, nc) = tokio::join!(
            resolve(http, Server::OpenProject, &self.openproject, self.policy()),
            resolve(http, Server::Nextcloud, &self.nextcloud, self.policy())
        );
        let (op, nc) = (op?, nc?);
        for note in [op.note(Server::OpenProject), nc.note(Server::Nextcloud)].into_iter().flatten() {
            eprintln!("{}", note.in_language(crate::language()));
        }
        Ok((op.url, nc.url))
    }
}

/// The HTTP client every command uses (the request timeout from `OPNC_REQUEST_TIMEOUT_SECONDS`).
pub fn http_client() -> Result<HttpClient, Failure> {
    Ok(opnc_core::pair::http_client()?)
}

#[derive(clap::Args, Clone)]
pub struct PairArgs {
    #[command(flatten)]
    pub servers: ServerArgs,
    /// Sign in to Nextcloud through the browser (Login Flow v2) instead of a user and app password.
    #[arg(long)]
    pub login_flow: bool,
    /// Also sign in to OpenProject's web interface with a user name and password (OPNC_OPENPROJECT_USER and
    /// OPNC_OPENPROJECT_PASSWORD, or a prompt), so that projects are enabled and OpenProject's OAuth values
    /// replaced without hand-offs. Not for two-factor or SSO-only accounts; replaces the API token if none.
    #[arg(long)]
    pub openproject_login: bool,
    /// Keep the credentials in the system keyring for the next commands (once they are proven to work).
    #[arg(long)]
    pub remember: bool,
    /// Machine-readable output on stdout.
    #[arg(long)]
    pub json: bool,
    /// Where setup jobs are recorded (default: the user's data folder).
    #[arg(long, env = "OPNC_STATE_DIR")]
    pub state_dir: Option<PathBuf>,
    /// Credentials handed over by a batch profile instead of the environment or a prompt.
    #[arg(skip)]
    pub given: Option<GivenCredentials>,
}

/// Credentials a batch profile resolved (from the environment variables it names).
#[derive(Clone, Debug)]
pub struct GivenCredentials {
    pub openproject_token: opnc_core::SecretString,
    pub nextcloud: opnc_core::nextcloud::NextcloudCredentials,
}

#[derive(clap::Args, Clone)]
pub struct SetupArgs {
    #[command(flatten)]
    pub pair: PairArgs,
    /// Name of the file storage in OpenProject.
    #[arg(long, default_value = "Nextcloud")]
    pub storage_name: String,
    /// Without automatically managed project folders.
    #[arg(long)]
    pub no_project_folders: bool,
    /// Replace an existing storage for this Nextcloud, or a Nextcloud integration that points elsewhere.
    #[arg(long)]
    pub replace: bool,
    /// Apply without asking.
    #[arg(long)]
    pub yes: bool,
    /// Enable integration_openproject (and groupfolders) when installed but disabled. Nextcloud asks for
    /// password confirmation: this needs the account password, not an app password.
    #[arg(long)]
    pub enable_apps: bool,
    /// How users' requests are authorised between the servers: two-way OAuth, or SSO through an identity provider
    /// (`sso-hub`: Nextcloud itself; `sso-external`: with --idp-discovery).
    #[arg(long, value_enum, default_value_t = AuthArg::Oauth)]
    pub auth: AuthArg,
    /// With --auth sso-external: the identity provider's discovery document, e.g.
    /// https://idp.example.com/realms/main/.well-known/openid-configuration
    #[arg(long)]
    pub idp_discovery: Option<String>,
    /// With --auth sso-external: OpenProject exchanges the user's token for one for Nextcloud (RFC 8693).
    #[arg(long)]
    pub token_exchange: bool,
    /// With --auth sso-external: the user_oidc provider in Nextcloud that stands for the identity provider.
    #[arg(long)]
    pub oidc_provider: Option<String>,
    /// With --auth sso-external and no --oidc-provider: create a user_oidc provider with this identifier for
    /// Nextcloud's client at the identity provider (--nextcloud-client-id; the secret from
    /// OPNC_IDP_NEXTCLOUD_CLIENT_SECRET or asked for).
    #[arg(long, requires = "nextcloud_client_id")]
    pub new_oidc_provider: Option<String>,
    /// Nextcloud's client id at the identity provider (with --new-oidc-provider).
    #[arg(long)]
    pub nextcloud_client_id: Option<String>,
    /// With --token-exchange: OpenProject's client id at the identity provider (the audience Nextcloud checks).
    #[arg(long)]
    pub openproject_client_id: Option<String>,
    /// With --token-exchange: the scope OpenProject asks for in the exchange (Keycloak: the client scope that adds
    /// Nextcloud's audience, e.g. add-nextcloud-audience).
    #[arg(long)]
    pub token_exchange_scope: Option<String>,
    /// With SSO: the display name of OpenProject's OpenID provider (users sign in at /auth/oidc-<name>).
    #[arg(long)]
    pub openproject_provider: Option<String>,
    /// With SSO: after the setup, watch OpenProject's sign-in page this long for the OpenID provider entered by
    /// hand (0: do not watch).
    #[arg(long, default_value_t = 0)]
    pub watch_provider_seconds: u64,
}

#[derive(clap::ValueEnum, Clone, Copy, PartialEq, Eq, Debug)]
pub enum AuthArg {
    /// Two-way OAuth 2: each side gets an OAuth app of the other (what `setup` does).
    Oauth,
    /// SSO with Nextcloud Hub as the identity provider (the `oidc` and `user_oidc` apps).
    SsoHub,
    /// SSO with an external identity provider (Keycloak and others).
    SsoExternal,
}

impl SetupArgs {
    /// The identity provider `--auth` names; `None` for two-way OAuth.
    fn identity_provider(&self) -> Result<Option<opnc_core::setup::sso::IdentityProvider>, Failure> {
        use opnc_core::setup::sso::IdentityProvider;
        match self.auth {
            AuthArg::Oauth => Ok(None),
            AuthArg::SsoHub => Ok(Some(IdentityProvider::NextcloudHub)),
            AuthArg::SsoExternal => match &self.idp_discovery {
                Some(url) => Ok(Some(IdentityProvider::External {
                    discovery_url: url.clone(),
                    token_exchange: self.token_exchange,
                    oidc_provider: self.oidc_provider.clone(),
                })),
                None => Err(Failure::usage(say!("cli-idp_discovery_needed"))),
            },
        }
    }

    /// The options the core is given; for SSO with a new user_oidc provider, its secret is read here (the
    /// environment or a prompt).
    pub fn options(&self) -> Result<SetupOptions, Failure> {
        let sso = match self.identity_provider()? {
            None => None,
            Some(provider) => {
                let mut sso = opnc_core::setup::sso::SsoOptions::new(provider);
                sso.openproject_client_id = self.openproject_client_id.clone();
                sso.token_exchange_scope = self.token_exchange_scope.clone();
                if let Some(name) = &self.openproject_provider {
                    sso.openproject_provider = name.clone();
                }
                if let (Some(identifier), None) = (&self.new_oidc_provider, &self.oidc_provider) {
                    sso.new_provider = Some(opnc_core::setup::sso::NewProviderChoice {
                        identifier: identifier.clone(),
                        client_id: self.nextcloud_client_id.clone().unwrap_or_default(),
                        client_secret: crate::credentials::idp_nextcloud_client_secret()?,
                    });
                }
                Some(sso)
            }
        };
        Ok(SetupOptions {
            storage_name: self.storage_name.clone(),
            project_folders: !self.no_project_folders,
            replace_existing: self.replace,
            sso,
        })
    }
}

/// Both servers signed in, for one command.
pub struct Connected {
    pub pair: ConnectedPair,
    ticket: Option<u64>,
}

impl Connected {
    /// Ends the Nextcloud session: an app password made for this command (from the account password, or by a
    /// browser sign-in) is revoked; a given or remembered one is kept.
    pub async fn finish(self) {
        self.pair.sign_out().await;
        crate::sessions::closed(self.ticket);
    }
}

/// Signs in with the CLI's credential sources: a batch profile's, else the environment, the keyring, a prompt,
/// or the browser (`--login-flow`). Proving the accounts is left to the preflight and the doctor.
pub async fn connect(args: &PairArgs) -> Result<Connected, Failure> {
    let http = http_client()?;
    let (op_url, nc_url) = args.servers.resolve(&http).await?;
    let session = match args.openproject_login {
        true => Some(credentials::openproject_web(&http, &op_url).await?),
        false => None,
    };
    let insecure = args.servers.allow_insecure_http;
    let (openproject, (nextcloud, nextcloud_from_browser)) = match (&args.given, &session) {
        (Some(given), _) => (
            opnc_core::openproject::OpenProjectAuth::ApiKey(given.openproject_token.clone()),
            (given.nextcloud.clone(), false),
        ),
        (None, Some(session)) => (
            credentials::optional_openproject(&op_url)
                .map(opnc_core::openproject::OpenProjectAuth::ApiKey)
                .unwrap_or_else(|| session.auth()),
            credentials::nextcloud(&nc_url, args.login_flow, insecure).await?,
        ),
        (None, None) => {
            (credentials::openproject(&op_url)?, credentials::nextcloud(&nc_url, args.login_flow, insecure).await?)
        }
    };
    let credentials = Credentials {
        openproject,
        openproject_web: session,
        nextcloud,
        nextcloud_from_browser,
        remember: args.remember,
    };
    // From the first temporary app password on, Ctrl-C revokes it before the process ends.
    let ticket = crate::sessions::Ticket::default();
    let told = |session: &opnc_core::nextcloud_session::NextcloudSession| ticket.tell(session);
    let options = ConnectOptions { simulated: false, prove_admins: false, on_session: Some(&told) };
    let connected = ConnectedPair::connect(&http, op_url, nc_url, credentials, &credentials::keychain(), options).await;
    let ticket = ticket.take();
    match connected {
        Ok(pair) => {
            if args.remember {
                eprintln!("{}", say!("cli-remembered", openproject = pair.op.base(), nextcloud = pair.nc.base()));
            }
            Ok(Connected { pair, ticket })
        }
        Err(e) => {
            crate::sessions::closed(ticket);
            Err(Failure::from(e))
        }
    }
}

/// `opnc forget`: removes the pair's credentials from the keyring.
pub async fn forget(args: PairArgs) -> Exit {
    let (op_url, nc_url) = match args.servers.urls() {
        Ok(urls) => urls,
        Err(e) => return e.report(),
    };
    match credentials::keychain().forget(&op_url, &nc_url) {
        Ok(()) => {
            eprintln!("{}", say!("cli-forgot", openproject = &op_url, nextcloud = &nc_url));
            Exit::SUCCESS
        }
        Err(e) => {
            let l = crate::language();
            Failure { code: opnc_core::ErrorCode::KeyringUnavailable, ..Failure::local(e.message.in_language(l)) }
                .hint(e.hint.in_language(l))
                .report()
        }
    }
}

pub fn store(args: &PairArgs) -> JobStore {
    store_in(&args.state_dir)
}

/// The job folder `--state-dir` names, else the user's data folder.
pub fn store_in(state_dir: &Option<PathBuf>) -> JobStore {
    state_dir.clone().map(JobStore::new).unwrap_or_else(JobStore::in_user_data_folder)
}

/// A server's name in the language of this run.
fn server_name(server: Server) -> String {
    opnc_core::catalogue::text(crate::language(), &opnc_core::catalogue::key("server", &server))
}

fn severity_mark(s: Severity) -> &'static str {
    match s {
        Severity::Blocker => "✗",
        Severity::Warning => "!",
        Severity::Info => "·",
    }
}

/// The preflight's verdict, then each finding as a sentence with what was seen and the fix. Codes are for
/// `--json` only.
fn findings_text(findings: &[Finding]) -> String {
    let count = |severity| findings.iter().filter(|f| f.severity == severity).count();
    let (blockers, warnings) = (count(Severity::Blocker), count(Severity::Warning));
    let mut text = match (blockers, warnings) {
        (0, 0) => say!("cli-preflight-ready"),
        (0, w) => say!("cli-preflight-warnings", warnings = w),
        (b, _) => say!("cli-preflight-blocked", problems = b),
    };
    text.push('\n');
    let language = crate::language();
    let label = |key: &str| opnc_core::catalogue::text(language, key);
    for f in findings {
        let side = f.server.map(|s| format!("{}: ", server_name(s)));
        let side = side.unwrap_or_default();
        text.push_str(&format!("  {} {side}{}\n", severity_mark(f.severity), f.message_in(language)));
        if f.severity != Severity::Info && !f.evidence.is_empty() {
            text.push_str(&format!("      {}: {}\n", label("label-seen"), f.evidence));
        }
        if let Some(fix) = &f.fix_in(language) {
            text.push_str(&format!("      {}: {fix}\n", label("label-fix")));
        }
        if let Some(remedy) = &f.remedy {
            text.push_str(&format!("      {}: {}\n", label("label-run"), remedy_command(remedy)));
        }
    }
    text
}

/// The core's remedy as this face names it: the command, with its flags.
pub fn remedy_command(remedy: &opnc_core::findings::Remedy) -> String {
    use opnc_core::findings::Remedy;
    use opnc_core::setup::reset::ResetKind;
    match remedy {
        Remedy::Setup => "opnc setup".into(),
        Remedy::SetupReplacing => "opnc setup --replace".into(),
        Remedy::SetupWithAnotherName => "opnc setup --storage-name NAME".into(),
        Remedy::Reset { kind: ResetKind::NextcloudOauth } => "opnc reset nextcloud-oauth".into(),
        Remedy::Reset { kind: ResetKind::AppPassword } => "opnc reset app-password".into(),
        Remedy::Reset { kind: ResetKind::OpenprojectOauth } => "opnc reset openproject-oauth".into(),
        Remedy::EnableProjects => "opnc enable-projects --project NAME".into(),
    }
}

fn plan_text(plan: &Plan) -> String {
    if plan.mode == PlanMode::ProveOnly {
        return format!("{}\n", say!("cli-plan-prove_only"));
    }
    let mut text = format!("{}\n", say!("cli-plan"));
    for server in [Server::OpenProject, Server::Nextcloud] {
        text.push_str(&format!("  {}:\n", server_name(server)));
        for change in plan.changes.iter().filter(|c| c.server == server) {
            text.push_str(&format!("    - {}\n", change.said.in_language(crate::language())));
        }
    }
    text.push_str(&format!("  {}\n", say!("cli-plan-cannot_undo")));
    for item in &plan.unrestorable_said {
        text.push_str(&format!("    - {}\n", item.in_language(crate::language())));
    }
    text
}

fn confirm(question: &str, yes: bool) -> Result<(), Exit> {
    if yes {
        return Ok(());
    }
    if !std::io::stdin().is_terminal() {
        eprintln!("{}", say!("cli-not_applied_no_terminal"));
        return Err(Exit::NOT_CONFIRMED);
    }
    eprint!("{question} {} ", say!("cli-yes_no"));
    let _ = std::io::stderr().flush();
    let mut answer = String::new();
    let _ = std::io::stdin().read_line(&mut answer);
    // "y"/"yes" in every language (scripts pipe them), and the language's own word.
    let answer = answer.trim().to_lowercase();
    if matches!(answer.as_str(), "y" | "yes") || answer == say!("cli-yes_short") || answer == say!("cli-yes_word") {
        Ok(())
    } else {
        eprintln!("{}", say!("cli-not_applied"));
        Err(Exit::NOT_CONFIRMED)
    }
}

fn emit_json(value: serde_json::Value) {
    println!("{}", serde_json::to_string_pretty(&value).unwrap_or_default());
}

/// Says which files in the job folder could not be read (never skipped in silence: one may be a setup whose
/// changes are still to undo).
fn say_unreadable(unreadable: &[opnc_core::setup::journal::UnreadableJob]) {
    for file in unreadable {
        eprintln!("{}", say!("cli-unreadable_job", path = &file.path, reason = &file.reason));
    }
}

/// The review, after enabling disabled apps with `--enable-apps`; the account password is dropped after it.
async fn review(c: &mut Connected, options: SetupOptions, args: &SetupArgs, store: &JobStore) -> Review {
    let mut review = c.pair.review(options, store).await;
    if args.enable_apps {
        // Enabling an app needs password confirmation: the account password, in this call only.
        match c.pair.enable_disabled_apps(store).await {
            Ok((apps, again)) => {
                if !apps.is_empty() {
                    eprintln!("{}", say!("cli-apps_enabled", apps = apps.join(", ")));
                }
                review = again;
            }
            Err(e) => {
                let failure = Failure::from(e);
                eprintln!("{}", say!("cli-apps_not_enabled", reason = &failure.message));
                eprintln!("  {}: {}", say!("label-hint"), failure.hint.unwrap_or_default());
            }
        }
    }
    c.pair.forget_account_password();
    review
}

pub async fn plan(args: SetupArgs) -> Exit {
    let store = store(&args.pair);
    let options = match args.options() {
        Ok(options) => options,
        Err(e) => return e.report(),
    };
    let mut c = match connect(&args.pair).await {
        Ok(c) => c,
        Err(e) => return e.report(),
    };
    let review = review(&mut c, options, &args, &store).await;
    let sso = c.pair.facts().and_then(|f| f.sso.clone());
    if args.pair.json {
        emit_json(json!({ "findings": review.findings, "facts": c.pair.facts(), "plan": review.plan, "sso": sso }));
    } else {
        print!("{}", findings_text(&review.findings));
        if let Some(p) = &review.plan {
            print!("{}", plan_text(p));
        }
    }
    c.finish().await;
    if review.plan.is_some() {
        Exit::SUCCESS
    } else {
        Exit::BLOCKED
    }
}

pub async fn setup(args: SetupArgs) -> Exit {
    let options = match args.options() {
        Ok(options) => options,
        Err(e) => return e.report(),
    };
    let store = store(&args.pair);
    let mut c = match connect(&args.pair).await {
        Ok(c) => c,
        Err(e) => return e.report(),
    };
    let progress = progress_printer();
    // Interrupted setups of this pair are rolled back before the plan is made, so it is made on what is there.
    if !c.pair.interrupted(&store).is_empty() {
        eprintln!("{}", say!("cli-recover_first"));
        for job in c.pair.recover(&store, &progress).await {
            if job.status != JobStatus::RolledBack {
                let reason = job.rollback_error.map(|e| e.message_in(crate::language())).unwrap_or_default();
                eprintln!("{}", say!("cli-recover_failed", job = &job.id, reason = reason));
                c.finish().await;
                return Exit::ROLLBACK_FAILED;
            }
        }
    }
    let review = review(&mut c, options, &args, &store).await;
    say_unreadable(&review.unreadable_jobs);
    if !args.pair.json {
        eprint!("{}", findings_text(&review.findings));
    }
    let Some(plan) = review.plan.clone() else {
        if args.pair.json {
            emit_json(json!({ "findings": review.findings, "outcome": null }));
        }
        eprintln!("{}", say!("cli-nothing_changed_fix"));
        c.finish().await;
        return Exit::BLOCKED;
    };
    if !args.pair.json {
        eprint!("{}", plan_text(&plan));
    }
    let mut confirmation = Confirmation::Unattended;
    if plan.mode == PlanMode::Create && !args.yes {
        if let Err(code) = confirm(&say!("cli-confirm_apply"), false) {
            c.finish().await;
            return code;
        }
        // The admin took their time: what the plan rests on is read again, and a changed plan is not applied.
        confirmation = Confirmation::Confirmed;
    }
    let result = c.pair.apply(&store, confirmation, &progress, None).await;
    let mut provider_seen = None;
    let mut provider_made = None;
    if let ApplyResult::Ran { handoff: Some(handoff), .. } = &result {
        // Signed in to OpenProject's web interface: its provider is made on its admin page, not by hand. The
        // secret: Hub's client (made by the setup), or OpenProject's at an external identity provider.
        let secret = handoff.client_secret.clone().or_else(|| {
            std::env::var(crate::credentials::IDP_OPENPROJECT_CLIENT_SECRET).ok().map(opnc_core::SecretString::from)
        });
        if let (true, true, Some(secret)) = (result.succeeded(), c.pair.web.is_some(), secret) {
            if !handoff.client_id.is_empty() {
                provider_made = Some(c.pair.create_openproject_provider(handoff, secret).await);
            }
        }
        if args.watch_provider_seconds > 0 && result.succeeded() && !matches!(provider_made, Some(Ok(_))) {
            eprint!("{}", handoff_text(handoff));
            eprintln!(
                "{}",
                say!("cli-watching_provider", slug = &handoff.sign_in_slug, seconds = args.watch_provider_seconds)
            );
            let timeout = std::time::Duration::from_secs(args.watch_provider_seconds);
            let never = std::sync::atomic::AtomicBool::new(false);
            provider_seen = Some(c.pair.watch_openproject_provider(&handoff.sign_in_slug, timeout, &never).await);
        }
    }
    c.finish().await;
    if args.pair.json {
        emit_json(json!({ "findings": review.findings, "plan": plan, "outcome": result }));
    }
    match result {
        ApplyResult::Ran { job, storage_id, proof, handoff } => match job.status {
            JobStatus::Succeeded => {
                let checks = proof.map(|p| p.checks.len()).unwrap_or(0);
                eprintln!("{}", say!("cli-setup_done", id = storage_id.unwrap_or_default(), checks = checks));
                match (&handoff, &provider_made) {
                    (Some(h), Some(Ok(true))) => {
                        eprintln!(
                            "{}",
                            say!("cli-provider_made_offered", name = &h.display_name, slug = &h.sign_in_slug)
                        )
                    }
                    (Some(h), Some(Ok(false))) => eprintln!("{}", say!("cli-provider_made", name = &h.display_name)),
                    (Some(_), Some(Err(e))) => {
                        let failure = Failure::from(e.clone());
                        eprintln!("{}", say!("cli-provider_not_made", reason = &failure.message))
                    }
                    _ => {}
                }
                let made = matches!(provider_made, Some(Ok(_)));
                match (&handoff, provider_seen) {
                    (Some(_), _) if made => {}
                    (Some(h), Some(Ok(true))) => {
                        eprintln!("{}", say!("cli-provider_offered", slug = &h.sign_in_slug))
                    }
                    (Some(h), Some(Ok(false))) => {
                        eprintln!("{}", say!("cli-provider_not_offered", slug = &h.sign_in_slug))
                    }
                    (Some(_), Some(Err(e))) => {
                        let failure = Failure::from(e);
                        eprintln!("{}", say!("cli-provider_not_watched", reason = &failure.message))
                    }
                    (Some(h), None) => eprint!("{}", handoff_text(h)),
                    (None, _) => {}
                }
                eprintln!("{}", say!("cli-next_enable_projects"));
                Exit::SUCCESS
            }
            JobStatus::RolledBack => {
                let error = job.error.unwrap_or_else(missing_view);
                let l = crate::language();
                eprintln!("{}", say!("cli-failed", reason = error.message_in(l)));
                eprintln!("  {}: {}", say!("label-hint"), error.hint_in(l));
                eprintln!("{}", say!("cli-both_rolled_back"));
                Exit::FAILED
            }
            JobStatus::RollbackFailed | JobStatus::Running => {
                let error = job.error.unwrap_or_else(missing_view);
                let rollback = job.rollback_error.unwrap_or_else(missing_view);
                let l = crate::language();
                eprintln!("{}", say!("cli-failed", reason = error.message_in(l)));
                eprintln!("{}", say!("cli-rollback_failed_too", rollback = rollback.message_in(l)));
                eprintln!("  {}: {}", say!("label-hint"), rollback.hint_in(l));
                Exit::ROLLBACK_FAILED
            }
        },
        ApplyResult::NotApplied { reason, review } => {
            eprintln!("{}", say!("cli-not_applied_now", reason = reason.message_in(crate::language())));
            eprint!("{}", findings_text(&review.findings));
            if let Some(p) = &review.plan {
                eprint!("{}", plan_text(p));
                eprintln!("{}", say!("cli-run_again"));
                Exit::NOT_CONFIRMED
            } else {
                Exit::BLOCKED
            }
        }
        ApplyResult::RecoveryFailed { job } => {
            let reason = job.rollback_error.map(|e| e.message_in(crate::language())).unwrap_or_default();
            eprintln!("{}", say!("cli-recovery_failed", job = &job.id, reason = reason));
            Exit::ROLLBACK_FAILED
        }
    }
}

/// OpenProject's OpenID provider, which has no API: what to enter in its form. The client secret is not printed
/// (a terminal's scrollback and logs keep it); the text says where it is shown.
fn handoff_text(h: &opnc_core::setup::sso::ProviderHandoff) -> String {
    let client_id = if h.client_id.is_empty() { say!("cli-handoff-client_id_at_idp") } else { h.client_id.clone() };
    let mut fields = vec![
        (say!("cli-handoff-display_name"), h.display_name.clone()),
        (say!("cli-handoff-discovery_url"), h.discovery_url.clone()),
        (say!("cli-handoff-client_id"), client_id),
        (say!("cli-handoff-client_secret"), say!("cli-handoff-shown_in", source = &h.client_secret_source)),
        (say!("cli-handoff-scopes"), h.scopes.clone()),
    ];
    if h.token_exchange {
        fields.push((say!("cli-handoff-grant_types"), say!("cli-handoff-include_token_exchange")));
    }
    let width = fields.iter().map(|(label, _)| label.chars().count()).max().unwrap_or(0) + 1;
    let mut out = format!("{}\n  {}\n", say!("cli-handoff", page = &h.page), say!("cli-handoff-enter"));
    for (label, value) in fields {
        out.push_str(&format!("    {label:<width$}{value}\n"));
    }
    // The long label on a line of its own width.
    out.push_str(&format!("    {} {}\n", say!("cli-handoff-redirect_uri"), h.callback_url));
    out
}

fn missing_view() -> opnc_core::ErrorView {
    opnc_core::ErrorView::new(
        opnc_core::ErrorCode::Interrupted,
        opnc_core::said!("error-no_details"),
        opnc_core::said!("hint-see_job_file"),
    )
}

/// Live progress on stderr: each phase as it starts and each change as it is made or undone. Remembers
/// how many events it has shown, as the job is handed over whole at every save.
fn progress_printer() -> impl Fn(&Job) + Send + Sync {
    use opnc_core::setup::journal::EventKind;
    use std::sync::atomic::{AtomicUsize, Ordering};
    let shown = AtomicUsize::new(0);
    move |job: &Job| {
        let from = shown.swap(job.events.len(), Ordering::SeqCst).min(job.events.len());
        for event in &job.events[from..] {
            match &event.kind {
                EventKind::PhaseStarted { phase } if *phase != opnc_core::setup::journal::Phase::RollingBack => {
                    eprintln!("→ {}", phase.describe_in(crate::language()))
                }
                EventKind::Changed { what, said } => {
                    let text = said.as_ref().map_or_else(|| what.clone(), |s| s.in_language(crate::language()));
                    eprintln!("  ✓ {text}")
                }
                EventKind::Undone { what, said, .. } => {
                    let text = said.as_ref().map_or_else(|| what.clone(), |s| s.in_language(crate::language()));
                    eprintln!("  ↶ {text}")
                }
                EventKind::RollbackStarted => eprintln!("{}", say!("cli-rolling_back")),
                EventKind::WatchingForLateChanges { until } => {
                    let now = std::time::SystemTime::now()
                        .duration_since(std::time::UNIX_EPOCH)
                        .map(|d| d.as_secs())
                        .unwrap_or(*until);
                    eprintln!("  {}", say!("cli-watching_late", seconds = until.saturating_sub(now)))
                }
                _ => {}
            }
        }
    }
}

/// `opnc status`: the verdict first, then each check of the proof as a sentence (the codes only in `--json`).
pub async fn status(args: PairArgs) -> Exit {
    let c = match connect(&args).await {
        Ok(c) => c,
        Err(e) => return e.report(),
    };
    let state = c.pair.state().await;
    c.finish().await;
    let state = match state {
        Ok(state) => state,
        Err(e) => {
            let failure = Failure::from(e.clone());
            if args.json {
                emit_json(json!({ "verdict": "could_not_check", "error": e.view() }));
            } else {
                println!("{}", say!("cli-status-not_checked", reason = &failure.message));
                if let Some(hint) = &failure.hint {
                    println!("  {}: {hint}", say!("label-hint"));
                }
            }
            return Exit::NOT_CHECKED;
        }
    };
    let (verdict, exit) = match &state.proof {
        None => ("not_connected", Exit::FAILED),
        Some(p) if p.ok() => ("connected", Exit::SUCCESS),
        Some(_) => ("broken", Exit::FAILED),
    };
    if args.json {
        emit_json(json!({
            "verdict": verdict,
            "connected": state.connected(),
            "storage_id": state.storage_id,
            "storage_name": state.storage_name,
            "proof": state.proof,
        }));
        return exit;
    }
    let name = state.storage_name.clone().unwrap_or_default();
    match &state.proof {
        None => {
            println!("{}", say!("cli-status-not_connected"));
            println!("  {}", say!("cli-status-connect_with"));
        }
        Some(proof) => {
            let failed = proof.failed().len();
            let total = proof.checks.len();
            if failed == 0 {
                println!("{}", say!("cli-status-connected", name = &name, id = proof.storage_id, total = total));
            } else {
                println!(
                    "{}",
                    say!("cli-status-broken", name = &name, id = proof.storage_id, failed = failed, total = total)
                );
            }
            for check in &proof.checks {
                let summary = opnc_core::setup::proof::summary(crate::language(), check.name, check.ok);
                println!("  {} {summary}", if check.ok { "✓" } else { "✗" });
            }
            if failed > 0 {
                println!("  {}", say!("cli-status-what_to_fix"));
            }
        }
    }
    exit
}

pub async fn delete(args: SetupArgs) -> Exit {
    use opnc_core::setup::connection;
    let c = match connect(&args.pair).await {
        Ok(c) => c,
        Err(e) => return e.report(),
    };
    let impact = match c.pair.delete_impact().await {
        Ok(i) => i,
        Err(e) => {
            c.finish().await;
            return Failure::from(e).report();
        }
    };
    if impact.nothing_to_delete() {
        c.finish().await;
        if args.pair.json {
            emit_json(json!({ "deleted": null, "impact": impact }));
        }
        eprintln!("{}", connection::describe_nothing(&impact).in_language(crate::language()));
        return Exit::SUCCESS;
    }
    eprintln!("{}", say!("cli-delete_heading"));
    eprintln!("{}", connection::describe_impact(&impact).in_language(crate::language()));
    if let Err(code) = confirm(&say!("cli-confirm_delete"), args.yes) {
        c.finish().await;
        return code;
    }
    let result = c.pair.delete(&impact).await;
    c.finish().await;
    match result {
        Ok(deleted) => {
            if args.pair.json {
                emit_json(json!({ "deleted": deleted, "impact": impact }));
            }
            eprintln!("{}", connection::describe_deleted(&deleted).in_language(crate::language()));
            Exit::SUCCESS
        }
        Err(e) => Failure::from(e).report(),
    }
}

#[derive(clap::Args, Clone)]
pub struct RecoverArgs {
    #[command(flatten)]
    pub pair: PairArgs,
    /// Roll back without asking.
    #[arg(long)]
    pub yes: bool,
}

pub async fn recover_jobs(args: RecoverArgs) -> Exit {
    let store = store(&args.pair);
    let c = match connect(&args.pair).await {
        Ok(c) => c,
        Err(e) => return e.report(),
    };
    let jobs = c.pair.interrupted(&store);
    let unreadable = store.unreadable();
    say_unreadable(&unreadable);
    if jobs.is_empty() {
        c.finish().await;
        if !unreadable.is_empty() {
            // One of them may be a setup of this pair still to undo: no clean bill.
            eprintln!("{}", say!("cli-recover-unreadable_only"));
            return Exit::FAILED;
        }
        eprintln!("{}", say!("cli-recover-none"));
        return Exit::SUCCESS;
    }
    for job in &jobs {
        let how = match job.status {
            JobStatus::RollbackFailed => said!("cli-recover-rollback_failed"),
            _ => said!("cli-recover-interrupted_during", phase = job.phase.describe_in(crate::language())),
        };
        let line = match &job.owner {
            Some(owner) => {
                said!("cli-recover-job", job = &job.id, changes = job.compensations.len()).arg_said("by", owner.said())
            }
            None => said!("cli-recover-job_unowned", job = &job.id, changes = job.compensations.len()),
        };
        let line = line.arg_said("how", how);
        eprintln!("{}", line.in_language(crate::language()));
    }
    if let Err(code) = confirm(&say!("cli-confirm_recover"), args.yes) {
        c.finish().await;
        return code;
    }
    let progress = progress_printer();
    let mut worst = Exit::SUCCESS;
    for job in c.pair.recover(&store, &progress).await {
        match job.status {
            JobStatus::RolledBack => eprintln!("{}", say!("cli-recover-done", job = &job.id)),
            _ => {
                let reason = job.rollback_error.as_ref().map(|e| e.message_in(crate::language())).unwrap_or_default();
                eprintln!("{}", say!("cli-recover-job_failed", job = &job.id, reason = reason));
                worst = Exit::ROLLBACK_FAILED;
            }
        }
    }
    c.finish().await;
    worst
}

#[derive(clap::ValueEnum, Clone, Copy)]
pub enum ResetWhat {
    /// A new Nextcloud OAuth client, given to OpenProject: every OpenProject user connects to Nextcloud again;
    /// with project folders, the project-folder app password is replaced too.
    NextcloudOauth,
    /// A new app password for project folders, given to OpenProject; no user needs to do anything.
    AppPassword,
    /// OpenProject's OAuth application, replaced in its web interface, given to Nextcloud: every Nextcloud user
    /// connects to OpenProject again.
    OpenprojectOauth,
}

#[derive(clap::Args, Clone)]
pub struct ResetArgs {
    #[arg(value_enum)]
    pub what: ResetWhat,
    #[command(flatten)]
    pub pair: PairArgs,
    /// Apply without asking.
    #[arg(long)]
    pub yes: bool,
    /// Do not open pages in the browser (they are printed either way).
    #[arg(long)]
    pub no_browser: bool,
    /// How long to wait for the replacement in OpenProject's web interface.
    #[arg(long, default_value_t = 900)]
    pub timeout_seconds: u64,
}

fn open_page(url: &str, no_browser: bool) {
    eprintln!("  {url}");
    if !no_browser && open::that_detached(url).is_err() {
        eprintln!("  {}", say!("cli-open_yourself"));
    }
}

pub async fn reset(args: ResetArgs) -> Exit {
    use opnc_core::setup::reset::ResetKind;
    let c = match connect(&args.pair).await {
        Ok(c) => c,
        Err(e) => return e.report(),
    };
    let kind = match args.what {
        ResetWhat::NextcloudOauth => ResetKind::NextcloudOauth,
        ResetWhat::AppPassword => ResetKind::AppPassword,
        ResetWhat::OpenprojectOauth => ResetKind::OpenprojectOauth,
    };
    let impact = match c.pair.reset_impact(kind).await {
        Ok(impact) => impact,
        Err(e) => {
            c.finish().await;
            return Failure::from(e).report();
        }
    };
    eprintln!(
        "{}",
        said!("cli-reset_heading", storage = &impact.storage.name)
            .arg_said("impact", impact.text)
            .in_language(crate::language())
    );
    if let Err(code) = confirm(&say!("cli-confirm_reset"), args.yes) {
        c.finish().await;
        return code;
    }
    let result = match c.pair.reset(kind).await {
        // OpenProject's page could not be used (nothing was sent): the verified hand-off instead.
        Err(e) if e.offers_handoff() => {
            if c.pair.web.is_some() {
                eprintln!("{}", say!("cli-falling_back", reason = e.view().message_in(crate::language())));
            }
            replace_openproject_oauth_by_hand(&c.pair, &args).await
        }
        other => other.map_err(stopped_reset),
    };
    if result.is_ok() {
        c.pair.keep_baseline(&store(&args.pair)).await;
    }
    c.finish().await;
    match result {
        Ok(outcome) => {
            if args.pair.json {
                emit_json(json!({ "reset": outcome }));
            }
            for step in &outcome.steps {
                eprintln!("  ✓ {}", step.in_language(crate::language()));
            }
            eprintln!(
                "{}",
                said!("cli-reset_done", checks = outcome.proof.checks.len())
                    .arg_said("afterwards", kind.afterwards())
                    .in_language(crate::language())
            );
            Exit::SUCCESS
        }
        Err(failure) => failure.report(),
    }
}

/// A reset that stopped: what it had done already, then why.
fn stopped_reset(e: PairError) -> Failure {
    if let PairError::Reset(reset) = &e {
        for step in &reset.done {
            eprintln!("  ✓ {}", step.in_language(crate::language()));
        }
    }
    Failure::from(e)
}

/// The verified hand-off for "Replace OpenProject OAuth": the admin replaces on OpenProject's page, the core
/// watches its API until the new client id shows, then the secret (shown once on that page) is asked for and
/// the core gives both to Nextcloud.
async fn replace_openproject_oauth_by_hand(
    pair: &ConnectedPair,
    args: &ResetArgs,
) -> Result<opnc_core::setup::reset::ResetOutcome, Failure> {
    eprintln!("{}", say!("cli-replace_by_hand"));
    let timeout = Duration::from_secs(args.timeout_seconds);
    let never = AtomicBool::new(false);
    let client_id = pair
        .watch_openproject_replace(|page| open_page(page, args.no_browser), timeout, &never)
        .await
        .map_err(Failure::from)?;
    eprintln!("{}", say!("cli-new_client_id", client_id = &client_id));
    let secret = match std::env::var("OPNC_OPENPROJECT_CLIENT_SECRET").ok().filter(|s| !s.is_empty()) {
        Some(s) => s,
        None if std::io::stdin().is_terminal() => rpassword::prompt_password(format!("{} ", say!("cli-paste_secret")))
            .map(|s| s.trim().to_owned())
            .map_err(|e| Failure::local(say!("cli-secret_not_read", reason = e)))?,
        None => return Err(Failure::missing_credential(say!("cli-secret_needed")).hint(say!("cli-hint-secret_needed"))),
    };
    pair.give_openproject_oauth(&client_id, &opnc_core::SecretString::from(secret)).await.map_err(stopped_reset)
}

#[derive(clap::Args, Clone)]
pub struct EnableProjectsArgs {
    #[command(flatten)]
    pub pair: PairArgs,
    /// A project to enable the storage in: id, identifier or name. Repeat for more.
    #[arg(long = "project", required = true)]
    pub projects: Vec<String>,
    /// Do not open pages in the browser (they are printed either way).
    #[arg(long)]
    pub no_browser: bool,
    /// How long to wait for the projects to appear.
    #[arg(long, default_value_t = 900)]
    pub timeout_seconds: u64,
    /// With --openproject-login: the project folder (default: automatic when the storage has project folders).
    #[arg(long, value_enum)]
    pub folder_mode: Option<FolderModeArg>,
    /// For --folder-mode manual: the Nextcloud folder's link (copied from the Files app) or file id.
    #[arg(long)]
    pub folder: Option<String>,
}

#[derive(clap::ValueEnum, Clone, Copy)]
pub enum FolderModeArg {
    Inactive,
    Automatic,
    Manual,
}

pub async fn enable_projects(args: EnableProjectsArgs) -> Exit {
    use opnc_core::openproject_web::FolderMode;
    let folder_id = args.folder.as_deref().map(opnc_core::openproject_web::folder_id_from_link);
    let mode = match (args.folder_mode, folder_id) {
        (Some(FolderModeArg::Manual), None) => return Failure::usage(say!("cli-folder_needed")).report(),
        (_, Some(None)) => return Failure::usage(say!("cli-folder_unreadable")).report(),
        (Some(FolderModeArg::Manual), Some(Some(folder_id))) => Some(FolderMode::Manual { folder_id }),
        (Some(FolderModeArg::Inactive), _) => Some(FolderMode::Inactive),
        (Some(FolderModeArg::Automatic), _) => Some(FolderMode::Automatic),
        // The core's default: automatic when the storage has project folders.
        (None, _) => None,
    };
    let c = match connect(&args.pair).await {
        Ok(c) => c,
        Err(e) => return e.report(),
    };
    let result = async {
        let (ids, unknown) = c.pair.find_projects(&args.projects).await?;
        let mut outcome = c.pair.enable_projects(&ids, false, mode).await?;
        if !outcome.handoff_pages.is_empty() {
            if c.pair.web.is_some() {
                let reason =
                    outcome.handoff_reason.as_ref().map(|r| r.in_language(crate::language())).unwrap_or_default();
                eprintln!("{}", say!("cli-falling_back", reason = reason));
            }
            let storage = c.pair.storage().await?;
            eprintln!("{}", say!("cli-projects_by_hand", storage = &storage.name));
            for name in &outcome.handoff_projects {
                eprintln!("  - {name}");
            }
            for page in &outcome.handoff_pages {
                open_page(page, args.no_browser);
            }
            eprintln!("{}", say!("cli-projects_waiting"));
            let never = AtomicBool::new(false);
            outcome = c.pair.watch_projects(&ids, Duration::from_secs(args.timeout_seconds), &never).await?;
        }
        Ok::<_, PairError>((outcome, unknown))
    }
    .await;
    c.finish().await;
    let list = |items: &[String]| if items.is_empty() { say!("cli-none") } else { items.join(", ") };
    match result {
        Ok((outcome, unknown)) => {
            if args.pair.json {
                emit_json(json!({ "enabled": outcome, "unknown": unknown }));
            }
            eprintln!("{}", say!("cli-projects-added", projects = list(&outcome.added)));
            eprintln!("{}", say!("cli-projects-already", projects = list(&outcome.already)));
            if !outcome.archived.is_empty() {
                eprintln!("{}", say!("cli-projects-archived", projects = list(&outcome.archived)));
            }
            for r in &outcome.refused {
                eprintln!(
                    "{}",
                    say!(
                        "cli-projects-refused",
                        project = &r.project,
                        reason = r.reason.in_language(crate::language())
                    )
                );
            }
            if !unknown.is_empty() {
                eprintln!("{}", say!("cli-projects-unknown", projects = unknown.join(", ")));
            }
            if outcome.refused.is_empty() && outcome.archived.is_empty() && unknown.is_empty() {
                Exit::SUCCESS
            } else {
                Exit::FAILED
            }
        }
        Err(e) => Failure::from(e).report(),
    }
}
