//! `opnc`: the headless face of the OpenProject ⇄ Nextcloud setup assistant.

/// A catalogue text in the language of this run: `say!(key, name = value, …)`, as `said!` takes them.
macro_rules! say {
    ($($arg:tt)*) => {
        opnc_core::said!($($arg)*).in_language(crate::language())
    };
}

mod batch;
mod credentials;
mod diagnose;
mod exit;
mod pair;
mod sessions;

use std::io::{BufRead, IsTerminal, Write};
use std::process::ExitCode;

use exit::{Exit, Failure};

use clap::{Parser, Subcommand, ValueEnum};
use opnc_sim::nextcloud::demo as nc_demo;
use opnc_sim::openproject::demo as op_demo;
use opnc_sim::{loopback, NextcloudProfile, OpenProjectProfile, SimPair};

/// Exit codes (each means one thing for every command): 0 success, healthy or connected; 1 failed, problems
/// found or not connected; 2 wrong usage; 3 preflight blockers, nothing changed; 4 a rollback failed; 5 not
/// confirmed, nothing changed; 6 working, with warnings; 7 some checks could not run.
#[derive(Parser)]
#[command(
    name = "opnc",
    version,
    about = "Connect OpenProject and Nextcloud, diagnose the connection, and run simulated servers",
    after_help = "Exit codes: 0 success, healthy or connected; 1 failed, problems found or not connected; 2 wrong \
                  usage; 3 preflight blockers, nothing changed; 4 a rollback failed; 5 not confirmed, nothing \
                  changed; 6 working, with warnings; 7 some checks could not run."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
    /// The language of what opnc says: en or de (default: the locale, LC_ALL / LC_MESSAGES / LANG).
    #[arg(long, global = true, value_name = "LANG")]
    lang: Option<String>,
}

/// The language of this run, set once at start.
static LANGUAGE: std::sync::OnceLock<opnc_core::catalogue::Language> = std::sync::OnceLock::new();

/// The language what opnc prints is in.
pub fn language() -> opnc_core::catalogue::Language {
    LANGUAGE.get().copied().unwrap_or_default()
}

#[derive(Subcommand)]
enum Command {
    /// Check both servers and show exactly what a setup would change on each side. Changes nothing.
    Plan(pair::SetupArgs),
    /// Connect OpenProject and Nextcloud: preflight, plan, confirm, apply with rollback, prove.
    Setup(pair::SetupArgs),
    /// Diagnose a broken connection and write a redacted report (Markdown or JSON). Changes nothing.
    /// Works with partial access: without credentials for a side, its public checks only.
    Diagnose(diagnose::DiagnoseArgs),
    /// Show whether the pair is connected, proven from both sides. Changes nothing.
    Status(pair::PairArgs),
    /// Delete the connection on both servers, after showing the impact.
    Delete(pair::SetupArgs),
    /// Replace OAuth values or rotate the project-folder app password on a connected pair, then prove it.
    Reset(pair::ResetArgs),
    /// Enable the storage in projects: opens OpenProject's page and waits until the projects use it.
    EnableProjects(pair::EnableProjectsArgs),
    /// Run plan, setup, status or delete over every pair of a TOML profile (trainings).
    Batch(batch::BatchArgs),
    /// Remove a pair's credentials from the system keyring.
    Forget(pair::PairArgs),
    /// Roll back setups that were interrupted (a crash, a kill, a closed terminal).
    Recover(pair::RecoverArgs),
    /// Start a simulated OpenProject and Nextcloud on loopback (fresh, unconfigured) and print the
    /// environment the other commands read (`export OPNC_…=…` lines: URLs and demo credentials). Runs until
    /// interrupted; with --env in the background, for `eval "$(opnc sim --env)"`.
    Sim(SimArgs),
}

#[derive(clap::Args)]
struct SimArgs {
    /// Port of the simulated OpenProject (0: any free port).
    #[arg(long, default_value_t = 0)]
    openproject_port: u16,
    /// Port of the simulated Nextcloud (0: any free port).
    #[arg(long, default_value_t = 0)]
    nextcloud_port: u16,
    #[arg(long, value_enum, default_value_t = OpenProjectVersion::V17)]
    openproject_version: OpenProjectVersion,
    #[arg(long, value_enum, default_value_t = NextcloudVersion::V34)]
    nextcloud_version: NextcloudVersion,
    /// Keep Nextcloud's default that refuses to contact local servers (a loopback OpenProject then fails
    /// Nextcloud's reachability check, as on a fresh real server).
    #[arg(long)]
    refuse_local_remote_servers: bool,
    /// Simulate a web server in front of Nextcloud that strips the `Authorization: Bearer` header.
    #[arg(long)]
    strip_bearer_header: bool,
    /// An SSO pair: OpenProject with the Enterprise feature `nextcloud_sso`, Nextcloud with the oidc and user_oidc
    /// apps, and an external identity provider with token exchange (its discovery address in OPNC_IDP_DISCOVERY).
    #[arg(long)]
    sso: bool,
    /// Run in the background and print only the `export` lines, for `eval "$(opnc sim --env)"`; they include
    /// OPNC_SIM_PID: `kill "$OPNC_SIM_PID"` stops the servers.
    #[arg(long)]
    env: bool,
    /// The background servers of `--env` (started by it).
    #[arg(long, hide = true)]
    background: bool,
}

#[derive(Clone, Copy, ValueEnum)]
enum OpenProjectVersion {
    #[value(name = "14")]
    V14,
    #[value(name = "16")]
    V16,
    #[value(name = "17")]
    V17,
}

#[derive(Clone, Copy, ValueEnum)]
enum NextcloudVersion {
    #[value(name = "30")]
    V30,
    #[value(name = "31")]
    V31,
    #[value(name = "32")]
    V32,
    #[value(name = "33")]
    V33,
    #[value(name = "34")]
    V34,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let language = match cli.lang.as_deref() {
        Some(tag) => opnc_core::catalogue::Language::from_locale(tag),
        None => opnc_core::catalogue::Language::from_environment(),
    };
    let _ = LANGUAGE.set(language);
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(r) => r,
        Err(e) => return Failure::local(say!("cli-no_runtime", reason = e)).report().into(),
    };
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_new(opnc_core::log_directives(
                &std::env::var("OPNC_LOG").unwrap_or_else(|_| "warn".into()),
            ))
            .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(opnc_core::log_directives("warn"))),
        )
        .with_writer(std::io::stderr)
        // Colour codes only for a person at a terminal, never into a file or a pipe.
        .with_ansi(std::io::stderr().is_terminal())
        .init();
    let json = match &cli.command {
        Command::Plan(a) | Command::Setup(a) | Command::Delete(a) => a.pair.json,
        Command::Status(a) | Command::Forget(a) => a.json,
        Command::Diagnose(a) => a.json,
        Command::Recover(a) => a.pair.json,
        Command::Reset(a) => a.pair.json,
        Command::EnableProjects(a) => a.pair.json,
        Command::Batch(_) | Command::Sim(_) => false,
    };
    exit::report_failures_as_json(json);
    let exit: Exit = match cli.command {
        Command::Plan(args) => runtime.block_on(pair::plan(args)),
        Command::Setup(args) => runtime.block_on(pair::setup(args)),
        Command::Status(args) => runtime.block_on(pair::status(args)),
        Command::Diagnose(args) => runtime.block_on(diagnose::run(args)),
        Command::Delete(args) => runtime.block_on(pair::delete(args)),
        Command::Recover(args) => runtime.block_on(pair::recover_jobs(args)),
        Command::Reset(args) => runtime.block_on(pair::reset(args)),
        Command::Batch(args) => runtime.block_on(batch::run(args)),
        Command::Forget(args) => runtime.block_on(pair::forget(args)),
        Command::EnableProjects(args) => runtime.block_on(pair::enable_projects(args)),
        Command::Sim(args) => runtime.block_on(sim(args)),
    };
    exit.into()
}

/// The environment the other commands read, for a simulated pair. The values are the demo accounts' (public,
/// printed in the README), never real credentials.
fn sim_environment(pair: &SimPair) -> Vec<(&'static str, String)> {
    vec![
        ("OPNC_OPENPROJECT_URL", pair.openproject.url()),
        ("OPNC_OPENPROJECT_TOKEN", op_demo::ADMIN_TOKEN.into()),
        ("OPNC_OPENPROJECT_USER", "admin".into()),
        ("OPNC_OPENPROJECT_PASSWORD", op_demo::PASSWORD.into()),
        ("OPNC_NEXTCLOUD_URL", pair.nextcloud.url()),
        ("OPNC_NEXTCLOUD_USER", nc_demo::ADMIN_LOGIN.into()),
        ("OPNC_NEXTCLOUD_PASSWORD", nc_demo::ADMIN_PASSWORD.into()),
    ]
}

/// `export NAME='value'`, safe for `eval` (the values hold no single quote; one would be escaped).
fn export_line(name: &str, value: &str) -> String {
    format!("export {name}='{}'", value.replace('\'', "'\\''"))
}

async fn sim(args: SimArgs) -> Exit {
    if args.env && !args.background {
        return sim_in_background();
    }
    let op = match args.openproject_version {
        OpenProjectVersion::V14 => OpenProjectProfile::v14(),
        OpenProjectVersion::V16 => OpenProjectProfile::v16(),
        OpenProjectVersion::V17 => OpenProjectProfile::v17(),
    };
    let mut nc = match args.nextcloud_version {
        NextcloudVersion::V30 => NextcloudProfile::nc30(),
        NextcloudVersion::V31 => NextcloudProfile::nc31(),
        NextcloudVersion::V32 => NextcloudProfile::nc32(),
        NextcloudVersion::V33 => NextcloudProfile::nc33(),
        NextcloudVersion::V34 => NextcloudProfile::nc34(),
    };
    nc.allow_local_remote_servers = !args.refuse_local_remote_servers;
    nc.strips_bearer_header = args.strip_bearer_header;
    let mut op = op;
    if args.sso {
        op.available_features.extend(["nextcloud_sso".into(), "sso_auth_providers".into()]);
        nc = nc.with_sso_apps();
    }
    let pair = match SimPair::start(op, nc, loopback(args.openproject_port), loopback(args.nextcloud_port)).await {
        Ok(p) => p,
        Err(e) => {
            let failure = Failure::local(say!("cli-sim-no_listen", reason = e)).hint(say!("cli-hint-port_in_use"));
            if args.background {
                // The parent reads stdout only.
                println!("ERROR {}", failure.message);
            }
            return failure.report();
        }
    };
    let versions = format!(
        "# {}",
        say!(
            "cli-sim-versions",
            openproject = &pair.openproject.sim.lock().profile.version,
            nextcloud = pair.nextcloud.sim.lock().profile.version_string()
        )
    );
    let idp = if args.sso {
        match opnc_sim::idp::RunningIdp::start(Default::default(), loopback(0)).await {
            Ok(idp) => Some(idp),
            Err(e) => return Failure::local(say!("cli-sim-no_listen", reason = e)).report(),
        }
    } else {
        None
    };
    let mut out = std::io::stdout().lock();
    for (name, value) in sim_environment(&pair) {
        let _ = writeln!(out, "{}", export_line(name, &value));
    }
    if let Some(idp) = &idp {
        let _ = writeln!(out, "{}", export_line("OPNC_IDP_DISCOVERY", &idp.discovery_url()));
    }
    let _ = writeln!(out, "{versions}");
    if args.background {
        let _ = writeln!(out, "READY");
    }
    let _ = out.flush();
    drop(out);
    if !args.background {
        eprintln!("opnc sim: {}", say!("cli-sim-running"));
    }
    let _ = tokio::signal::ctrl_c().await;
    Exit::SUCCESS
}

/// `opnc sim --env`: starts the servers as a background process of their own (its own process group, so Ctrl-C
/// in this shell does not stop it) and prints what it printed, with OPNC_SIM_PID to stop it.
fn sim_in_background() -> Exit {
    use std::os::unix::process::CommandExt;
    use std::process::{Command, Stdio};
    let exe = match std::env::current_exe() {
        Ok(e) => e,
        Err(e) => return Failure::local(say!("cli-sim-no_program", reason = e)).report(),
    };
    // The same flags, without --env, plus --background.
    let args: Vec<String> = std::env::args().skip(1).filter(|a| a != "--env").collect();
    let child = Command::new(exe)
        .args(&args)
        .arg("--background")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .process_group(0)
        .spawn();
    let mut child = match child {
        Ok(c) => c,
        Err(e) => return Failure::local(say!("cli-sim-not_started", reason = e)).report(),
    };
    let Some(stdout) = child.stdout.take() else {
        return Failure::local(say!("cli-sim-not_read")).report();
    };
    let mut lines = Vec::new();
    for line in std::io::BufReader::new(stdout).lines() {
        let Ok(line) = line else { break };
        if line == "READY" {
            let mut out = std::io::stdout().lock();
            for line in &lines {
                let _ = writeln!(out, "{line}");
            }
            let _ = writeln!(out, "{}", export_line("OPNC_SIM_PID", &child.id().to_string()));
            let _ = writeln!(out, "# {}", say!("cli-sim-stop"));
            let _ = out.flush();
            eprintln!("opnc sim: {}", say!("cli-sim-background", process = child.id()));
            return Exit::SUCCESS;
        }
        if let Some(message) = line.strip_prefix("ERROR ") {
            let _ = child.wait();
            return Failure::local(message.to_owned()).hint(say!("cli-hint-port_in_use")).report();
        }
        lines.push(line);
    }
    let _ = child.kill();
    let _ = child.wait();
    Failure::local(say!("cli-sim-stopped_early")).report()
}
