//! `opnc plan | setup | status | delete | recover`: the setup engine on the command line.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;

use opnc_core::findings::{Finding, Severity};
use opnc_core::nextcloud::NextcloudClient;
use opnc_core::openproject::OpenProjectClient;
use opnc_core::setup::apply::{recover, Runner};
use opnc_core::setup::journal::{Job, JobStatus, JobStore};
use opnc_core::setup::preflight::PreflightReport;
use opnc_core::setup::{self, Plan, PlanMode, SetupOptions};
use opnc_core::{HttpClient, HttpConfig, Server, ServerUrl, UrlPolicy};
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
            eprintln!("{note}");
        }
        Ok((op.url, nc.url))
    }
}

/// How long one request may take (`OPNC_REQUEST_TIMEOUT_SECONDS`, default 60). A server goes on with a request
/// whose client gave up or died, so a rollback after a crash also watches this long for such a write to land.
fn request_timeout() -> std::time::Duration {
    std::env::var("OPNC_REQUEST_TIMEOUT_SECONDS")
        .ok()
        .and_then(|s| s.parse::<u64>().ok())
        .filter(|s| *s > 0)
        .map(std::time::Duration::from_secs)
        .unwrap_or_else(|| HttpConfig::default().total_timeout)
}

/// How long after a write began it may still land: the request timeout, and a little more.
pub fn settle() -> std::time::Duration {
    request_timeout() + std::time::Duration::from_secs(5)
}

/// The HTTP client every command uses.
pub fn http_client() -> Result<HttpClient, Failure> {
    let timeout = request_timeout();
    let config = HttpConfig {
        total_timeout: timeout,
        read_timeout: HttpConfig::default().read_timeout.min(timeout),
        ..HttpConfig::default()
    };
    HttpClient::new(config).map_err(|e| Failure::failed(format!("could not set up HTTPS: {e}")).hint("Reinstall opnc."))
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
}

impl SetupArgs {
    fn options(&self) -> SetupOptions {
        SetupOptions {
            storage_name: self.storage_name.clone(),
            project_folders: !self.no_project_folders,
            replace_existing: self.replace,
        }
    }
}

pub struct Connected {
    pub op: OpenProjectClient,
    /// Nextcloud, over the session's app password.
    pub nc: NextcloudClient,
    /// The session behind `nc`: its account password (for `--enable-apps`) and what happens to its app password.
    pub nc_session: opnc_core::nextcloud_session::NextcloudSession,
    /// OpenProject's admin pages, with `--openproject-login`.
    pub web: Option<opnc_core::openproject_web::AdminPages>,
    ticket: Option<u64>,
}

impl Connected {
    /// Ends the Nextcloud session: an app password made for this command (from the account password, or by a
    /// browser sign-in) is revoked; a given or remembered one is kept.
    pub async fn finish(self) {
        self.nc_session.close().await;
        crate::sessions::closed(self.ticket);
    }
}

pub async fn connect(args: &PairArgs) -> Result<Connected, Failure> {
    use opnc_core::nextcloud_session::{AppPasswordOrigin, NextcloudSession};
    let http = http_client()?;
    let (op_url, nc_url) = args.servers.resolve(&http).await?;
    let session = match args.openproject_login {
        true => Some(credentials::openproject_web(&http, &op_url).await?),
        false => None,
    };
    let (op_auth, (nc_credentials, from_browser)) = match (&args.given, &session) {
        (Some(given), _) => (
            opnc_core::openproject::OpenProjectAuth::ApiKey(given.openproject_token.clone()),
            (given.nextcloud.clone(), false),
        ),
        (None, Some(session)) => (
            credentials::optional_openproject(&op_url)
                .map(opnc_core::openproject::OpenProjectAuth::ApiKey)
                .unwrap_or_else(|| session.auth()),
            credentials::nextcloud(&http, &nc_url, args.login_flow).await?,
        ),
        (None, None) => {
            (credentials::openproject(&op_url)?, credentials::nextcloud(&http, &nc_url, args.login_flow).await?)
        }
    };
    let client = NextcloudClient::new(http.clone(), nc_url.clone(), Some(nc_credentials));
    // One password check for the whole command: an account password becomes an app password here.
    let nc_session = if from_browser {
        let origin = if args.remember { AppPasswordOrigin::Kept } else { AppPasswordOrigin::Temporary };
        NextcloudSession::with_app_password(client, origin)
    } else {
        NextcloudSession::open(client, args.remember).await?
    };
    let ticket = crate::sessions::opened(&nc_session);
    let op = OpenProjectClient::new(http.clone(), op_url.clone(), op_auth.clone());
    let connected = async {
        if args.remember {
            remember(&op, &nc_session).await?;
        }
        let web = match session {
            Some(session) => {
                let version = op.root().await?.version();
                Some(opnc_core::openproject_web::AdminPages::new(http.clone(), op_url, session, version))
            }
            None => None,
        };
        Ok::<_, Failure>(web)
    }
    .await;
    match connected {
        Ok(web) => Ok(Connected { op, nc: nc_session.client.clone(), nc_session, web, ticket }),
        Err(failure) => {
            nc_session.discard().await;
            crate::sessions::closed(ticket);
            Err(failure)
        }
    }
}

/// Stores the credentials in the keyring once both servers accepted them: OpenProject's token, and for Nextcloud
/// always an app password (the session's), never the account password.
async fn remember(op: &OpenProjectClient, nc: &opnc_core::nextcloud_session::NextcloudSession) -> Result<(), Failure> {
    let not_remembered = |e: opnc_core::ClientError| {
        let failure = Failure::from_client(&e);
        Failure { message: format!("not remembered: {}", failure.message), ..failure }
    };
    // Nextcloud accepted the credentials when the session opened.
    op.root().await.map_err(not_remembered)?;
    let keychain = credentials::keychain();
    if let opnc_core::openproject::OpenProjectAuth::ApiKey(token)
    | opnc_core::openproject::OpenProjectAuth::Bearer(token) = op.auth()
    {
        keychain
            .remember_openproject_token(op.base(), token)
            .map_err(|e| Failure::failed(format!("not remembered: {}", e.message)).hint(e.hint.clone()))?;
    }
    if let Some(app_password) = nc.app_password() {
        keychain
            .remember_nextcloud(nc.client.base(), app_password)
            .map_err(|e| Failure::failed(format!("not remembered: {}", e.message)).hint(e.hint.clone()))?;
    }
    eprintln!(
        "Credentials kept in the system keyring for {} and {} (for Nextcloud an app password named after the assistant).",
        op.base(),
        nc.client.base()
    );
    Ok(())
}

/// `opnc forget`: removes the pair's credentials from the keyring.
pub async fn forget(args: PairArgs) -> Exit {
    let (op_url, nc_url) = match args.servers.urls() {
        Ok(urls) => urls,
        Err(e) => return e.report(),
    };
    match credentials::keychain().forget(&op_url, &nc_url) {
        Ok(()) => {
            eprintln!("Forgot the credentials for {op_url} and {nc_url}.");
            Exit::SUCCESS
        }
        Err(e) => Failure::failed(e.message).hint(e.hint).report(),
    }
}

pub fn store(args: &PairArgs) -> JobStore {
    args.state_dir.clone().map(JobStore::new).unwrap_or_else(JobStore::in_user_data_folder)
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
    let plural = |n: usize, one: &str, many: &str| if n == 1 { format!("1 {one}") } else { format!("{n} {many}") };
    let mut text = match (blockers, warnings) {
        (0, 0) => "Ready: every check passed.\n".to_owned(),
        (0, w) => format!("Ready, with {}.\n", plural(w, "warning", "warnings")),
        (b, _) => format!("Blocked: {} must be fixed first; nothing was changed.\n", plural(b, "problem", "problems")),
    };
    for f in findings {
        let side = f.server.map(|s| format!("{s}: ")).unwrap_or_default();
        text.push_str(&format!("  {} {side}{}\n", severity_mark(f.severity), f.message));
        if f.severity != Severity::Info && !f.evidence.is_empty() {
            text.push_str(&format!("      seen: {}\n", f.evidence));
        }
        if let Some(fix) = &f.fix {
            text.push_str(&format!("      fix: {fix}\n"));
        }
    }
    text
}

fn plan_text(plan: &Plan) -> String {
    if plan.mode == PlanMode::ProveOnly {
        return "Plan: nothing to change; the pair is already connected and will be proven.\n".into();
    }
    let mut text = String::from("Plan:\n");
    for server in [Server::OpenProject, Server::Nextcloud] {
        text.push_str(&format!("  {server}:\n"));
        for change in plan.changes.iter().filter(|c| c.server == server) {
            text.push_str(&format!("    - {}\n", change.action));
        }
    }
    text.push_str("  Cannot be undone by a rollback:\n");
    for item in &plan.unrestorable {
        text.push_str(&format!("    - {item}\n"));
    }
    text
}

fn confirm(question: &str, yes: bool) -> Result<(), Exit> {
    if yes {
        return Ok(());
    }
    if !std::io::stdin().is_terminal() {
        eprintln!("Not applied: there is no terminal to ask, and --yes was not given.");
        return Err(Exit::NOT_CONFIRMED);
    }
    eprint!("{question} [y/N] ");
    let _ = std::io::stderr().flush();
    let mut answer = String::new();
    let _ = std::io::stdin().read_line(&mut answer);
    if matches!(answer.trim(), "y" | "Y" | "yes") {
        Ok(())
    } else {
        eprintln!("Not applied.");
        Err(Exit::NOT_CONFIRMED)
    }
}

fn emit_json(value: serde_json::Value) {
    println!("{}", serde_json::to_string_pretty(&value).unwrap_or_default());
}

async fn preflight_and_plan(c: &mut Connected, args: &SetupArgs) -> (PreflightReport, Result<Plan, Vec<Finding>>) {
    let options = args.options();
    let mut report = setup::preflight::run(&c.op, &c.nc, &options).await;
    if args.enable_apps {
        // Enabling an app needs password confirmation: the account password, in this call only.
        let account = c.nc_session.account().unwrap_or(&c.nc);
        match setup::preflight::enable_disabled_apps(account, &report).await {
            Ok(apps) if !apps.is_empty() => {
                eprintln!("Enabled in Nextcloud: {}. Checking again…", apps.join(", "));
                report = setup::preflight::run(&c.op, &c.nc, &options).await;
            }
            Ok(_) => {}
            Err(e) => eprintln!("Could not enable the apps: {}\n  hint: {}", e.message(), e.hint()),
        }
    }
    // Nothing after this needs password confirmation.
    c.nc_session.forget_account_password();
    let plan = setup::plan(&report, c.op.base(), c.nc.base(), &options);
    (report, plan)
}

pub async fn plan(args: SetupArgs) -> Exit {
    let mut c = match connect(&args.pair).await {
        Ok(c) => c,
        Err(e) => return e.report(),
    };
    let (report, plan) = preflight_and_plan(&mut c, &args).await;
    c.finish().await;
    if args.pair.json {
        emit_json(json!({ "findings": report.findings, "facts": report.facts, "plan": plan.as_ref().ok() }));
    } else {
        print!("{}", findings_text(&report.findings));
        if let Ok(p) = &plan {
            print!("{}", plan_text(p));
        }
    }
    if plan.is_ok() {
        Exit::SUCCESS
    } else {
        Exit::BLOCKED
    }
}

pub async fn setup(args: SetupArgs) -> Exit {
    let store = store(&args.pair);
    let mut c = match connect(&args.pair).await {
        Ok(c) => c,
        Err(e) => return e.report(),
    };
    let progress = progress_printer();
    // An earlier run of this pair that was interrupted is rolled back first, so this run starts clean.
    for mut job in store.interrupted().into_iter().filter(|j| same_pair(j, &c)) {
        eprintln!("An interrupted setup ({}) of this pair is rolled back first.", job.id);
        let runner =
            Runner { op: &c.op, nc: &c.nc, store: &store, progress: &progress, settle: settle(), cancel: None };
        recover(&runner, &mut job).await;
        if job.status == JobStatus::RollbackFailed {
            eprintln!(
                "The interrupted setup could not be rolled back: {}",
                job.rollback_error.map(|e| e.message).unwrap_or_default()
            );
            c.finish().await;
            return Exit::ROLLBACK_FAILED;
        }
    }
    let (report, plan) = preflight_and_plan(&mut c, &args).await;
    if !args.pair.json {
        eprint!("{}", findings_text(&report.findings));
    }
    let plan = match plan {
        Ok(p) => p,
        Err(_) => {
            if args.pair.json {
                emit_json(json!({ "findings": report.findings, "outcome": null }));
            }
            eprintln!("Nothing was changed: fix the problems above and run again.");
            c.finish().await;
            return Exit::BLOCKED;
        }
    };
    if !args.pair.json {
        eprint!("{}", plan_text(&plan));
    }
    let mut report = report;
    if plan.mode == PlanMode::Create {
        if let Err(code) = confirm("Apply these changes to both servers?", args.yes) {
            c.finish().await;
            return code;
        }
        if !args.yes {
            // The admin took their time: what the plan rests on is read again, and a changed plan is not applied.
            let again = setup::preflight::recheck(&c.op, &c.nc, &args.options(), &report).await;
            let replanned = setup::plan(&again, c.op.base(), c.nc.base(), &args.options());
            let same =
                replanned.as_ref().ok().and_then(|p| serde_json::to_value(p).ok()) == serde_json::to_value(&plan).ok();
            if !same {
                eprintln!("The servers changed while you decided; nothing was written. Now:");
                eprint!("{}", findings_text(&again.findings));
                if let Ok(p) = &replanned {
                    eprint!("{}", plan_text(p));
                }
                eprintln!("Run the setup again to apply this plan.");
                c.finish().await;
                return Exit::NOT_CONFIRMED;
            }
            report = again;
        }
    }
    let runner = Runner { op: &c.op, nc: &c.nc, store: &store, progress: &progress, settle: settle(), cancel: None };
    let outcome = runner.apply(&plan, &report.facts).await;
    c.finish().await;
    if args.pair.json {
        emit_json(json!({ "findings": report.findings, "plan": plan, "outcome": outcome }));
    }
    match outcome.job.status {
        JobStatus::Succeeded => {
            let id = outcome.storage.as_ref().map(|s| s.id).unwrap_or_default();
            eprintln!(
                "Done: OpenProject storage {id} and Nextcloud are connected, proven from both sides ({} checks).",
                outcome.proof.map(|p| p.checks.len()).unwrap_or(0)
            );
            eprintln!("Next: enable the storage in projects: opnc enable-projects --project NAME (or OpenProject → Administration → Files → the storage → Projects).");
            Exit::SUCCESS
        }
        JobStatus::RolledBack => {
            let error = outcome.job.error.unwrap_or_else(missing_view);
            eprintln!(
                "Failed: {}\n  hint: {}\nBoth servers were rolled back to the state before.",
                error.message, error.hint
            );
            Exit::FAILED
        }
        JobStatus::RollbackFailed | JobStatus::Running => {
            let error = outcome.job.error.unwrap_or_else(missing_view);
            let rollback = outcome.job.rollback_error.unwrap_or_else(missing_view);
            eprintln!(
                "Failed: {}\nThe rollback failed too: {}\n  hint: {}",
                error.message, rollback.message, rollback.hint
            );
            Exit::ROLLBACK_FAILED
        }
    }
}

fn missing_view() -> opnc_core::ErrorView {
    opnc_core::ErrorView {
        code: opnc_core::ErrorCode::Interrupted,
        message: "no details were recorded".into(),
        hint: "See the job file.".into(),
    }
}

fn same_pair(job: &Job, c: &Connected) -> bool {
    c.op.base().same_server(&job.openproject_url) && c.nc.base().same_server(&job.nextcloud_url)
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
                    eprintln!("→ {}", phase.describe())
                }
                EventKind::Changed { what } => eprintln!("  ✓ {what}"),
                EventKind::Undone { what } => eprintln!("  ↶ {what}"),
                EventKind::RollbackStarted => eprintln!("Rolling back both servers…"),
                EventKind::WatchingForLateChanges { until } => {
                    let now = std::time::SystemTime::now()
                        .duration_since(std::time::UNIX_EPOCH)
                        .map(|d| d.as_secs())
                        .unwrap_or(*until);
                    eprintln!(
                        "  … a write was still under way when the setup stopped: watching both servers for up to {} s, and undoing what lands late",
                        until.saturating_sub(now)
                    )
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
    let state = opnc_core::setup::connection::state(&c.op, &c.nc).await;
    c.finish().await;
    let state = match state {
        Ok(state) => state,
        Err(e) => {
            let failure = Failure::from_client(&e);
            if args.json {
                emit_json(json!({ "verdict": "could_not_check", "error": e.view() }));
            } else {
                println!("Could not check the connection: {}", failure.message);
                if let Some(hint) = &failure.hint {
                    println!("  hint: {hint}");
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
            println!("Not connected: OpenProject has no storage for this Nextcloud.");
            println!("  Connect them with: opnc setup");
        }
        Some(proof) => {
            let failed = proof.failed().len();
            let total = proof.checks.len();
            if failed == 0 {
                println!(
                    "Connected: OpenProject's storage \"{name}\" (id {}) and Nextcloud work together, proven from both sides ({total} of {total} checks passed).",
                    proof.storage_id
                );
            } else {
                println!(
                    "Not working: {failed} of {total} checks failed for OpenProject's storage \"{name}\" (id {}).",
                    proof.storage_id
                );
            }
            for check in &proof.checks {
                println!("  {} {}", if check.ok { "✓" } else { "✗" }, check.summary);
            }
            if failed > 0 {
                println!("  What to fix, with the evidence: opnc diagnose");
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
    let impact = match connection::delete_impact(&c.op, &c.nc).await {
        Ok(i) => i,
        Err(e) => {
            c.finish().await;
            return Failure::from_client(&e).report();
        }
    };
    if impact.nothing_to_delete() {
        c.finish().await;
        if args.pair.json {
            emit_json(json!({ "deleted": null, "impact": impact }));
        }
        eprintln!("{}", connection::describe_nothing(&impact));
        return Exit::SUCCESS;
    }
    eprintln!("Delete the connection:\n{}", connection::describe_impact(&impact));
    if let Err(code) = confirm("Delete on both servers?", args.yes) {
        c.finish().await;
        return code;
    }
    let result = connection::delete(&c.op, &c.nc, &impact).await;
    c.finish().await;
    match result {
        Ok(deleted) => {
            if args.pair.json {
                emit_json(json!({ "deleted": deleted, "impact": impact }));
            }
            eprintln!("{}", connection::describe_deleted(&deleted));
            Exit::SUCCESS
        }
        Err(e) => Failure::from_client(&e).report(),
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
    let jobs: Vec<Job> = store.interrupted().into_iter().filter(|j| same_pair(j, &c)).collect();
    if jobs.is_empty() {
        eprintln!("No interrupted setup of this pair.");
        c.finish().await;
        return Exit::SUCCESS;
    }
    for job in &jobs {
        let how = match job.status {
            JobStatus::RollbackFailed => "its rollback failed".to_owned(),
            _ => format!("it was interrupted during \"{}\"", job.phase.describe()),
        };
        eprintln!("Setup {}: {how}; {} change(s) recorded to undo.", job.id, job.compensations.len());
    }
    if let Err(code) = confirm("Roll these back on both servers?", args.yes) {
        c.finish().await;
        return code;
    }
    let progress = progress_printer();
    let runner = Runner { op: &c.op, nc: &c.nc, store: &store, progress: &progress, settle: settle(), cancel: None };
    let mut worst = Exit::SUCCESS;
    for mut job in jobs {
        recover(&runner, &mut job).await;
        match job.status {
            JobStatus::RolledBack => eprintln!("Rolled back {}: both servers are as before.", job.id),
            _ => {
                eprintln!(
                    "Could not roll back {}: {}",
                    job.id,
                    job.rollback_error.as_ref().map(|e| e.message.clone()).unwrap_or_default()
                );
                worst = Exit::ROLLBACK_FAILED;
            }
        }
    }
    c.finish().await;
    worst
}

fn no_storage() -> Failure {
    Failure::failed("OpenProject has no storage for this Nextcloud.").hint("Connect them first: opnc setup")
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
        eprintln!("  (open the address above yourself)");
    }
}

pub async fn reset(args: ResetArgs) -> Exit {
    use opnc_core::setup::reset::{self as resets, ResetKind};
    let c = match connect(&args.pair).await {
        Ok(c) => c,
        Err(e) => return e.report(),
    };
    let storage = match opnc_core::setup::connection::storage(&c.op, &c.nc).await {
        Ok(found) => found,
        Err(e) => {
            c.finish().await;
            return Failure::from_client(&e).report();
        }
    };
    let Some(storage) = storage else {
        c.finish().await;
        return no_storage().report();
    };
    let kind = match args.what {
        ResetWhat::NextcloudOauth => ResetKind::NextcloudOauth,
        ResetWhat::AppPassword => ResetKind::AppPassword,
        ResetWhat::OpenprojectOauth => ResetKind::OpenprojectOauth,
    };
    eprintln!(
        "Reset of OpenProject's storage \"{}\": {}",
        storage.name,
        kind.impact(storage.has_application_password == Some(true))
    );
    if let Err(code) = confirm("Go ahead?", args.yes) {
        c.finish().await;
        return code;
    }
    let result = match kind {
        ResetKind::NextcloudOauth => resets::replace_nextcloud_oauth(&c.op, &c.nc, &storage).await,
        ResetKind::AppPassword => resets::rotate_app_password(&c.op, &c.nc, &storage).await,
        ResetKind::OpenprojectOauth => {
            // Through OpenProject's page with the session; where the page is not what this version should show
            // (nothing was sent then), the verified hand-off instead.
            let automatic = match &c.web {
                Some(web) => match resets::replace_openproject_oauth(&c.op, &c.nc, web, &storage).await {
                    Err(e) if e.error.code == opnc_core::ErrorCode::PageNotRecognized => {
                        eprintln!("{} Falling back to the hand-off.", e.error.message);
                        None
                    }
                    other => Some(other),
                },
                None => None,
            };
            match automatic {
                Some(result) => result,
                None => match replace_openproject_oauth_by_hand(&c, &storage, &args).await {
                    Ok(result) => result,
                    Err(failure) => {
                        c.finish().await;
                        return failure.report();
                    }
                },
            }
        }
    };
    c.finish().await;
    match result {
        Ok(outcome) => {
            if args.pair.json {
                emit_json(json!({ "reset": outcome }));
            }
            for step in &outcome.steps {
                eprintln!("  ✓ {step}");
            }
            eprintln!("Done, proven from both sides ({} checks). {}", outcome.proof.checks.len(), kind.afterwards());
            Exit::SUCCESS
        }
        Err(e) => {
            for step in &e.done {
                eprintln!("  ✓ {step}");
            }
            Failure::failed(e.error.message).hint(e.error.hint).report()
        }
    }
}

/// The verified hand-off for "Replace OpenProject OAuth": the admin replaces on OpenProject's page, the assistant
/// polls the API until the new client id shows, then asks for the secret (shown once on that page) and gives both
/// to Nextcloud. `Err` is a message to stop with.
async fn replace_openproject_oauth_by_hand(
    c: &Connected,
    storage: &opnc_core::openproject::Storage,
    args: &ResetArgs,
) -> Result<Result<opnc_core::setup::reset::ResetOutcome, opnc_core::setup::reset::ResetError>, Failure> {
    use opnc_core::setup::reset as resets;
    let old_client = storage.oauth_application.as_ref().map(|a| a.client_id.clone()).unwrap_or_default();
    eprintln!("On this page, choose \"Replace OpenProject OAuth\" and keep the page open (with --openproject-login the assistant does it itself):");
    open_page(&resets::openproject_oauth_page(&c.op, storage.id), args.no_browser);
    let timeout = std::time::Duration::from_secs(args.timeout_seconds);
    let never = std::sync::atomic::AtomicBool::new(false);
    let client_id = resets::wait_for_new_openproject_client(&c.op, storage.id, &old_client, timeout, &never)
        .await?
        .ok_or_else(|| {
            Failure::failed(
                "OpenProject's OAuth application was not replaced in time; nothing was changed in Nextcloud.",
            )
        })?;
    eprintln!("OpenProject shows the new client id {client_id}.");
    let secret = match std::env::var("OPNC_OPENPROJECT_CLIENT_SECRET").ok().filter(|s| !s.is_empty()) {
        Some(s) => s,
        None if std::io::stdin().is_terminal() => {
            rpassword::prompt_password("Paste the new client secret shown on that page: ")
                .map(|s| s.trim().to_owned())
                .map_err(|e| Failure::failed(format!("could not read the secret: {e}")))?
        }
        None => {
            return Err(Failure::usage(
                "the new client secret is needed: paste it at the prompt, or set OPNC_OPENPROJECT_CLIENT_SECRET",
            )
            .hint("Nextcloud still holds the old values, so the pair is broken until then."))
        }
    };
    Ok(resets::push_openproject_oauth(&c.op, &c.nc, storage, &client_id, &opnc_core::SecretString::from(secret)).await)
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

enum Enabled {
    Automatically(opnc_core::setup::projects::EnableOutcome, Vec<String>),
    ByHand(opnc_core::setup::projects::EnableReport, Vec<String>),
}

pub async fn enable_projects(args: EnableProjectsArgs) -> Exit {
    use opnc_core::setup::projects;
    let folder_id = args.folder.as_deref().map(opnc_core::openproject_web::folder_id_from_link);
    let folder_id = match (args.folder_mode, folder_id) {
        (Some(FolderModeArg::Manual), None) => {
            return Failure::usage("--folder-mode manual needs --folder (a Nextcloud folder link or file id)").report()
        }
        (_, Some(None)) => {
            return Failure::usage(
                "--folder is neither a file id nor a Nextcloud Files link with one (…/f/123 or …?fileid=123)",
            )
            .report()
        }
        (_, Some(Some(id))) => Some(id),
        (_, None) => None,
    };
    let c = match connect(&args.pair).await {
        Ok(c) => c,
        Err(e) => return e.report(),
    };
    let result = async {
        let storage = opnc_core::setup::connection::storage(&c.op, &c.nc).await?;
        let Some(storage) = storage else { return Ok(None) };
        let version = c.op.root().await?.version();
        let (found, unknown) = projects::resolve(&c.op, &args.projects).await?;
        if let Some(web) = &c.web {
            use opnc_core::openproject_web::FolderMode;
            let mode = match (args.folder_mode, &folder_id) {
                (Some(FolderModeArg::Manual), Some(id)) => FolderMode::Manual { folder_id: id.clone() },
                (Some(FolderModeArg::Inactive), _) => FolderMode::Inactive,
                (Some(FolderModeArg::Automatic), _) => FolderMode::Automatic,
                _ if storage.has_application_password == Some(true) => FolderMode::Automatic,
                _ => FolderMode::Inactive,
            };
            let outcome = projects::enable(&c.op, Some(web), storage.id, &found, &mode).await?;
            if outcome.handoff_pages.is_empty() {
                return Ok(Some(Enabled::Automatically(outcome, unknown)));
            }
            eprintln!("{}: falling back to the hand-off.", outcome.handoff_reason.unwrap_or_default());
        }
        let (already, todo) = projects::already_enabled(&c.op, storage.id, &found).await?;
        if !todo.is_empty() {
            eprintln!(
                "OpenProject has no API for this. Add these projects to storage {:?} on this page:",
                storage.name
            );
            for p in &todo {
                eprintln!("  - {} ({})", p.name, p.identifier);
            }
            for page in projects::pages(&c.op, storage.id, version.as_ref(), &todo) {
                open_page(&page, args.no_browser);
            }
            eprintln!("Waiting for them to appear…");
        }
        let timeout = std::time::Duration::from_secs(args.timeout_seconds);
        let report =
            projects::wait_for(&c.op, storage.id, already, todo, timeout, std::time::Duration::from_secs(2)).await?;
        Ok::<_, opnc_core::ClientError>(Some(Enabled::ByHand(report, unknown)))
    }
    .await;
    c.finish().await;
    let list = |items: &[String]| if items.is_empty() { "none".to_owned() } else { items.join(", ") };
    match result {
        Ok(None) => no_storage().report(),
        Ok(Some(Enabled::Automatically(outcome, unknown))) => {
            if args.pair.json {
                emit_json(json!({ "enabled": outcome, "unknown": unknown }));
            }
            eprintln!("Added: {}", list(&outcome.added));
            eprintln!("Already enabled: {}", list(&outcome.already));
            if !outcome.archived.is_empty() {
                eprintln!("Archived, skipped (unarchive them first): {}", list(&outcome.archived));
            }
            for r in &outcome.refused {
                eprintln!("Refused: {} — {}", r.project, r.reason);
            }
            if !unknown.is_empty() {
                eprintln!("Unknown projects: {}", unknown.join(", "));
            }
            if outcome.refused.is_empty() && outcome.archived.is_empty() && unknown.is_empty() {
                Exit::SUCCESS
            } else {
                Exit::FAILED
            }
        }
        Ok(Some(Enabled::ByHand(report, unknown))) => {
            if args.pair.json {
                emit_json(json!({ "enabled": report, "unknown": unknown }));
            }
            let names = |list: &[opnc_core::openproject::Project]| {
                list.iter().map(|p| p.name.clone()).collect::<Vec<_>>().join(", ")
            };
            eprintln!("Added: {}", if report.added.is_empty() { "none".into() } else { names(&report.added) });
            eprintln!(
                "Already enabled: {}",
                if report.already.is_empty() { "none".into() } else { names(&report.already) }
            );
            if !report.missing.is_empty() || !unknown.is_empty() {
                eprintln!("Not enabled: {}", names(&report.missing));
                if !unknown.is_empty() {
                    eprintln!("Unknown projects: {}", unknown.join(", "));
                }
                return Exit::FAILED;
            }
            Exit::SUCCESS
        }
        Err(e) => Failure::from_client(&e).report(),
    }
}
