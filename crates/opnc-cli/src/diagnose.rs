//! `opnc diagnose`: the connection doctor on the command line. Changes nothing on either server.

use std::path::PathBuf;

use opnc_core::doctor::{self, Verdict};
use opnc_core::findings::Severity;
use opnc_core::openproject::OpenProjectAuth;

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
    /// Credentials handed over by a batch profile.
    #[arg(skip)]
    pub given: Option<crate::pair::GivenCredentials>,
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
    let diagnosis = opnc_core::pair::diagnose_with(&http, op_url, op_auth, nc_url, nc_credentials, Some(&told)).await;
    crate::sessions::closed(ticket.take());
    let markdown = diagnosis.to_markdown_with(&|r| format!("`{}`", crate::pair::remedy_command(r)));
    let json = diagnosis.to_json();
    if let Some(path) = &args.output {
        let text = if path.extension().is_some_and(|e| e == "json") { &json } else { &markdown };
        if let Err(e) = std::fs::write(path, text) {
            return Failure::local(format!("could not write {}: {e}", path.display())).report();
        }
    }
    if args.json {
        println!("{json}");
        eprintln!("{}", diagnosis.headline());
    } else if args.markdown {
        println!("{markdown}");
        eprintln!("{}", diagnosis.headline());
    } else {
        // The summary is the report: on stdout.
        println!("{}", summary(&diagnosis));
    }
    match diagnosis.verdict() {
        Verdict::Healthy => Exit::SUCCESS,
        Verdict::WarningsOnly => Exit::WARNINGS,
        Verdict::Problems => Exit::FAILED,
        Verdict::CouldNotCheck => Exit::NOT_CHECKED,
    }
}

/// The verdict, each problem and warning with its fix, and what could not be checked, in plain words.
fn summary(diagnosis: &doctor::Diagnosis) -> String {
    let mut text = diagnosis.headline();
    for f in diagnosis.findings.iter().filter(|f| f.severity != Severity::Info) {
        let mark = if f.severity == Severity::Blocker { "✗" } else { "!" };
        let side = f.server.map(|s| format!("{s}: ")).unwrap_or_default();
        text.push_str(&format!("\n  {mark} {side}{}", f.message));
        if let Some(fix) = &f.fix {
            text.push_str(&format!("\n      fix: {fix}"));
        }
        if let Some(remedy) = &f.remedy {
            text.push_str(&format!("\n      run: {}", crate::pair::remedy_command(remedy)));
        }
    }
    if !diagnosis.not_run.is_empty() {
        text.push_str("\n  Could not check:");
        for n in &diagnosis.not_run {
            text.push_str(&format!("\n    - {} ({})", n.describe(), n.reason));
        }
    }
    text.push_str("\nThe whole report with the evidence: --markdown, or --json.");
    text
}
