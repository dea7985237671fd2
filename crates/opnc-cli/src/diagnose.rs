//! `opnc diagnose`: the connection doctor on the command line. Changes nothing on either server.

use std::path::PathBuf;
use std::process::ExitCode;

use opnc_core::doctor;
use opnc_core::nextcloud::NextcloudClient;
use opnc_core::openproject::{OpenProjectAuth, OpenProjectClient};
use opnc_core::{HttpClient, HttpConfig};

use crate::credentials;

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

/// Exit codes: 0 no problem found, 1 problems found, 2 wrong usage.
pub async fn run(args: DiagnoseArgs) -> ExitCode {
    let (op_url, nc_url) = match args.servers.urls() {
        Ok(urls) => urls,
        Err(message) => return usage(&message),
    };
    let http = match HttpClient::new(HttpConfig::default()) {
        Ok(h) => h,
        Err(e) => return usage(&e),
    };
    let (op_token, nc_credentials) = match &args.given {
        Some(g) => (Some(g.openproject_token.clone()), Some(g.nextcloud.clone())),
        None => (credentials::optional_openproject(&op_url), credentials::optional_nextcloud(&nc_url)),
    };
    let has_op = op_token.is_some();
    let has_nc = nc_credentials.is_some();
    let op = OpenProjectClient::new(
        http.clone(),
        op_url,
        op_token.map(OpenProjectAuth::ApiKey).unwrap_or(OpenProjectAuth::Anonymous),
    );
    let nc = NextcloudClient::new(http, nc_url, nc_credentials);
    let diagnosis = doctor::diagnose(&op, &nc, has_op, has_nc).await;
    let markdown = diagnosis.to_markdown();
    let json = diagnosis.to_json();
    if let Some(path) = &args.output {
        let text = if path.extension().is_some_and(|e| e == "json") { &json } else { &markdown };
        if let Err(e) = std::fs::write(path, text) {
            eprintln!("opnc: could not write {}: {e}", path.display());
            return ExitCode::from(1);
        }
    }
    if args.json {
        println!("{json}");
    } else if args.markdown {
        println!("{markdown}");
    } else {
        match diagnosis.primary() {
            None => eprintln!(
                "No problem found ({} findings, {} checks could not run).",
                diagnosis.findings.len(),
                diagnosis.not_run.len()
            ),
            Some(p) => {
                eprintln!(
                    "{} problem(s) found. First: {}",
                    diagnosis.findings.iter().filter(|f| f.severity != opnc_core::findings::Severity::Info).count(),
                    p.message
                );
                if let Some(fix) = &p.fix {
                    eprintln!("  fix: {fix}");
                }
                eprintln!("Run with --markdown or --json for the whole report.");
            }
        }
        for n in &diagnosis.not_run {
            eprintln!("  not checked: {} ({})", n.check, n.reason);
        }
    }
    if diagnosis.healthy() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

fn usage(message: &str) -> ExitCode {
    eprintln!("opnc: {message}");
    ExitCode::from(2)
}
