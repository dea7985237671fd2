//! `opnc diagnose`: the connection doctor on the command line. Changes nothing on either server.

use std::path::PathBuf;

use opnc_core::doctor::{self, Verdict};
use opnc_core::findings::Severity;
use opnc_core::openproject::OpenProjectAuth;
use opnc_core::sso_sign_in::{SignInAnswer, SignInPrompt, SignInRequest};

use crate::credentials;
use crate::exit::{Exit, Failure};

#[derive(clap::Args)]
pub struct DiagnoseArgs {
    #[command(flatten)]
    pub servers: crate::pair::ServerArgs,
    /// The report as JSON on stdout.
    #[arg(long, conflicts_with = "markdown")]
    pub json: bool,
    /// The report as Markdown on stdout (the default is a short summary on stderr).
    #[arg(long)]
    pub markdown: bool,
    /// Also write the report to this file (`.json` for JSON, anything else Markdown).
    #[arg(long)]
    pub output: Option<PathBuf>,
    /// SSO pairs: also sign in once through the identity provider (in a browser; paste the address it ends on) and
    /// check the user's token on both servers. Nothing is stored; the token is dropped afterwards.
    #[arg(long)]
    pub test_sign_in: bool,
    /// For the test sign-in with an external identity provider: OpenProject's client id there (its secret from
    /// OPNC_IDP_OPENPROJECT_CLIENT_SECRET, or asked for).
    #[arg(long, value_name = "ID")]
    pub openproject_client_id: Option<String>,
    /// For the test sign-in: OpenProject's OpenID provider (`oidc-…`) when its sign-in page offers several.
    #[arg(long, value_name = "SLUG")]
    pub openproject_provider: Option<String>,
    /// Compare with an earlier JSON report of this pair (a customer's, or one exported before a change): what
    /// differs leads the summary.
    #[arg(long, value_name = "OLD.json")]
    pub compare: Option<PathBuf>,
    /// Check again every --interval seconds and print each change as it happens (for "try again now" on a call);
    /// Ctrl-C stops.
    #[arg(long, conflicts_with_all = ["json", "markdown", "test_sign_in"])]
    pub watch: bool,
    /// Seconds between the checks of --watch (at least 3: a check is some 30 requests to each server).
    #[arg(long, default_value_t = 10, value_name = "S")]
    pub interval: u64,
    /// With --watch: stop after this many checks.
    #[arg(long, value_name = "N")]
    pub rounds: Option<u32>,
    /// Write a support bundle to this file: this report, the last good state and what changed since, the pair's
    /// setup jobs and the desktop app's recent log lines — no secret. `--compare` and the desktop's "Open a report"
    /// read it.
    #[arg(long, value_name = "FILE")]
    pub bundle: Option<PathBuf>,
    /// The log folder whose newest lines go into the bundle (default: the desktop app's).
    #[arg(long, value_name = "DIR")]
    pub log_folder: Option<PathBuf>,
    /// The folder of the setup jobs, beside which the last good state of each pair is kept (default: the user's
    /// data folder).
    #[arg(long, value_name = "DIR", env = "OPNC_STATE_DIR")]
    pub state_dir: Option<PathBuf>,
    /// Credentials handed over by a batch profile.
    #[arg(skip)]
    pub given: Option<crate::pair::GivenCredentials>,
}

/// The least time between two checks of --watch.
const LEAST_INTERVAL: u64 = 3;

/// Changes as lines under a heading; nothing when there are none.
fn changes_text(heading: String, changes: &[opnc_core::compare::Change]) -> String {
    if changes.is_empty() {
        return String::new();
    }
    let mut text = heading;
    for change in changes {
        text.push('\n');
        text.push_str(&change_line(change));
    }
    text.push('\n');
    text
}

/// Exit codes: 0 healthy, 6 warnings only, 1 problems found, 7 some checks could not run (and nothing broken was
/// found), 2 wrong usage.
pub async fn run(args: DiagnoseArgs) -> Exit {
    let http = match crate::pair::http_client() {
        Ok(h) => h,
        Err(e) => return e.report(),
    };
    let (op_url, nc_url) = match args.servers.resolve(&http).await {
        Ok(urls) => urls,
        Err(e) => return e.report(),
    };
    let (op_token, nc_credentials) = match &args.given {
        Some(g) => (Some(g.openproject_token.clone()), Some(g.nextcloud.clone())),
        None => (credentials::optional_openproject(&op_url), credentials::optional_nextcloud(&nc_url)),
    };
    let ticket = crate::sessions::Ticket::default();
    let told = |session: &opnc_core::nextcloud_session::NextcloudSession| ticket.tell(session);
    let op_auth = op_token.map(OpenProjectAuth::ApiKey);
    let request = SignInRequest {
        openproject_client_id: args.openproject_client_id.clone(),
        openproject_client_secret: std::env::var(credentials::IDP_OPENPROJECT_CLIENT_SECRET)
            .ok()
            .filter(|s| !s.is_empty())
            .map(opnc_core::SecretString::from),
        openproject_provider: args.openproject_provider.clone(),
    };
    let face = |prompt: SignInPrompt| -> SignInAnswer { Box::pin(ask_for_sign_in(prompt)) };
    let sign_in = args.test_sign_in.then_some((&request, &face as &opnc_core::sso_sign_in::SignInFace));
    let compared = match &args.compare {
        Some(path) => {
            match std::fs::read_to_string(path).map_err(|e| e.to_string()).and_then(|t| doctor::ReportFile::read(&t)) {
                Ok(report) => Some(report),
                Err(reason) => {
                    return Failure::usage(say!("cli-compare_unreadable", path = path.display(), reason = reason))
                        .report()
                }
            }
        }
        None => None,
    };
    let store = crate::pair::store_in(&args.state_dir);
    let baselines = opnc_core::compare::Baselines::beside(&store);
    if args.watch {
        // One sign-in for the whole watch: Nextcloud's temporary app password is made once, not per round.
        let session = opnc_core::pair::DiagnosisSession::open(
            &http,
            op_url.clone(),
            op_auth.clone(),
            nc_url.clone(),
            nc_credentials.clone(),
            Some(&told),
        )
        .await;
        let exit = watch(&args, || session.diagnose(None)).await;
        session.close().await;
        crate::sessions::closed(ticket.take());
        return exit;
    }
    let diagnosis =
        opnc_core::pair::diagnose_with(&http, op_url, op_auth, nc_url, nc_credentials, Some(&told), sign_in).await;
    crate::sessions::closed(ticket.take());
    // What differs from the report given, else from the last state that worked (a healthy pair becomes that).
    let (heading, changes) = match &compared {
        Some(old) => (say!("cli-changed_since_report"), opnc_core::compare::compare(&old.diagnosis, &diagnosis)),
        None => (say!("cli-changed_since_it_worked"), opnc_core::compare::since_last_good(&baselines, &diagnosis)),
    };
    let lead = changes_text(heading, &changes);
    if let Some(path) = &args.bundle {
        let logs = args.log_folder.clone().or_else(opnc_core::bundle::desktop_log_folder);
        let bundle =
            opnc_core::bundle::SupportBundle::gather(diagnosis.clone(), &store, logs.as_deref(), crate::language());
        if let Err(e) = std::fs::write(path, bundle.to_json()) {
            return Failure::local(say!("cli-not_written", path = path.display(), reason = e)).report();
        }
        eprintln!(
            "{}",
            say!("cli-bundle_written", path = path.display(), jobs = bundle.jobs.len(), lines = bundle.log_lines.len())
        );
    }
    let markdown = diagnosis.to_markdown_in(crate::language(), &|r| format!("`{}`", crate::pair::remedy_command(r)));
    let json = diagnosis.to_json();
    if let Some(path) = &args.output {
        let text = if path.extension().is_some_and(|e| e == "json") { &json } else { &markdown };
        if let Err(e) = std::fs::write(path, text) {
            return Failure::local(say!("cli-not_written", path = path.display(), reason = e)).report();
        }
    }
    if args.json {
        println!("{json}");
        eprintln!("{}", diagnosis.headline_in(crate::language()));
    } else if args.markdown {
        println!("{markdown}");
        eprintln!("{}", diagnosis.headline_in(crate::language()));
    } else {
        // The summary is the report: on stdout, after what changed.
        print!("{lead}");
        println!("{}", summary(&diagnosis));
    }
    exit_for(diagnosis.verdict())
}

fn exit_for(verdict: Verdict) -> Exit {
    match verdict {
        Verdict::Healthy => Exit::SUCCESS,
        Verdict::WarningsOnly => Exit::WARNINGS,
        Verdict::Problems => Exit::FAILED,
        Verdict::CouldNotCheck => Exit::NOT_CHECKED,
    }
}

/// A change as its line of the summary and of --watch.
fn change_line(change: &opnc_core::compare::Change) -> String {
    format!("  ~ {}", change.said.in_language(crate::language()))
}

/// `--watch`: the diagnosis again and again, each change printed as it happens with the time it was seen.
async fn watch<F, Fut>(args: &DiagnoseArgs, again: F) -> Exit
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = doctor::Diagnosis>,
{
    let interval = std::time::Duration::from_secs(args.interval.max(LEAST_INTERVAL));
    let clock = || {
        let secs = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
        format!("{:02}:{:02}:{:02}", secs / 3600 % 24, secs / 60 % 60, secs % 60)
    };
    let mut last = again().await;
    println!("{} {}", clock(), last.headline_in(crate::language()));
    eprintln!("{}", say!("cli-watching", seconds = interval.as_secs()));
    let mut round = 1;
    while args.rounds.is_none_or(|n| round < n) {
        tokio::time::sleep(interval).await;
        let now = again().await;
        round += 1;
        let changes = opnc_core::compare::compare(&last, &now);
        if !changes.is_empty() || now.verdict() != last.verdict() {
            println!("{} {}", clock(), now.headline_in(crate::language()));
            for change in &changes {
                println!("{}", change_line(change));
            }
        }
        last = now;
    }
    exit_for(last.verdict())
}

/// The test sign-in on the command line: the address to open (opened in the browser where there is one), then
/// the address the browser ended on, read without echo at a terminal (it carries a one-time code).
async fn ask_for_sign_in(prompt: SignInPrompt) -> Option<opnc_core::SecretString> {
    eprintln!("{}", say!("cli-test_sign_in"));
    eprintln!("  {}", prompt.authorize_url);
    eprintln!("{}", say!("cli-test_sign_in_callback", callback = &prompt.redirect_uri));
    let interactive = credentials::interactive();
    if interactive {
        let _ = open::that_detached(&prompt.authorize_url);
    }
    let line = tokio::task::spawn_blocking(move || {
        if interactive {
            rpassword::prompt_password(format!("{} ", say!("cli-prompt_callback_hidden"))).ok()
        } else {
            eprintln!("{}", say!("cli-prompt_callback"));
            let mut line = String::new();
            std::io::stdin().read_line(&mut line).ok().map(|_| line)
        }
    })
    .await
    .ok()
    .flatten()?;
    let line = line.trim().to_owned();
    (!line.is_empty()).then(|| opnc_core::SecretString::from(line))
}

/// The verdict, each problem and warning with its fix, and what could not be checked, in plain words.
fn summary(diagnosis: &doctor::Diagnosis) -> String {
    use opnc_core::catalogue::{key, text as said};
    let language = crate::language();
    let mut text = diagnosis.headline_in(language);
    for f in diagnosis.findings.iter().filter(|f| f.severity != Severity::Info) {
        let mark = if f.severity == Severity::Blocker { "✗" } else { "!" };
        let side = f.server.map(|s| format!("{}: ", said(language, &key("server", &s)))).unwrap_or_default();
        text.push_str(&format!("\n  {mark} {side}{}", said(language, &key("finding", &f.code))));
        text.push_str(&format!("\n      {}", f.message_in(language)));
        if let Some(fix) = &f.fix_in(language) {
            text.push_str(&format!("\n      {}: {fix}", said(language, "label-fix")));
        }
        if let Some(remedy) = &f.remedy {
            text.push_str(&format!("\n      {}: {}", said(language, "label-run"), crate::pair::remedy_command(remedy)));
        }
    }
    // The one piece of good news worth a line: a test sign-in that went through.
    for f in diagnosis.findings.iter().filter(|f| f.code == opnc_core::findings::FindingCode::SsoTestSignInPassed) {
        text.push_str(&format!("\n  ✓ {}", f.message_in(language)));
    }
    if !diagnosis.not_run.is_empty() {
        text.push_str(&format!("\n  {}", said(language, "label-could_not_check")));
        for n in &diagnosis.not_run {
            text.push_str(&format!("\n    - {} ({})", n.describe_in(language), n.reason_in(language)));
        }
    }
    text.push_str(&format!("\n{}", said(language, "label-whole_report")));
    text
}
