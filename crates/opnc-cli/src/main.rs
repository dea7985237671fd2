//! `opnc`: the headless face of the OpenProject ⇄ Nextcloud setup assistant.

mod batch;
mod credentials;
mod diagnose;
mod pair;

use std::io::Write;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use opnc_sim::nextcloud::demo as nc_demo;
use opnc_sim::openproject::demo as op_demo;
use opnc_sim::{loopback, NextcloudProfile, OpenProjectProfile, SimPair};

/// Exit codes: 0 success, 1 the command failed, 2 wrong usage.
#[derive(Parser)]
#[command(
    name = "opnc",
    version,
    about = "Connect OpenProject and Nextcloud, diagnose the connection, and run simulated servers"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
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
    /// Start a simulated OpenProject and Nextcloud on loopback (fresh, unconfigured) and print their URLs
    /// and demo credentials as KEY=value lines. Runs until interrupted.
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
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("opnc: could not start the async runtime: {e}");
            return ExitCode::from(1);
        }
    };
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("OPNC_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .init();
    match cli.command {
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
    }
}

async fn sim(args: SimArgs) -> ExitCode {
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
    let pair = match SimPair::start(op, nc, loopback(args.openproject_port), loopback(args.nextcloud_port)).await {
        Ok(p) => p,
        Err(e) => {
            eprintln!("opnc sim: could not listen on loopback: {e} (is the port in use? use 0 for any free port)");
            return ExitCode::from(1);
        }
    };
    let lines = [
        format!("OPENPROJECT_URL={}", pair.openproject.url()),
        format!("OPENPROJECT_VERSION={}", pair.openproject.sim.lock().profile.version),
        format!("OPENPROJECT_API_TOKEN={}", op_demo::ADMIN_TOKEN),
        format!("NEXTCLOUD_URL={}", pair.nextcloud.url()),
        format!("NEXTCLOUD_VERSION={}", pair.nextcloud.sim.lock().profile.version_string()),
        format!("NEXTCLOUD_USER={}", nc_demo::ADMIN_LOGIN),
        format!("NEXTCLOUD_PASSWORD={}", nc_demo::ADMIN_PASSWORD),
    ];
    let mut out = std::io::stdout().lock();
    for line in lines {
        let _ = writeln!(out, "{line}");
    }
    let _ = out.flush();
    drop(out);
    eprintln!("opnc sim: simulated servers with demo credentials (not real servers); Ctrl-C stops them.");
    let _ = tokio::signal::ctrl_c().await;
    ExitCode::SUCCESS
}
