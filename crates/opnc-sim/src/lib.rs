//! Simulated OpenProject and Nextcloud servers, as strict as the real ones: same status codes, bodies and
//! quirks, version profiles, demo users, fault injection and injected latency. Tests start them
//! in-process on port 0; `opnc sim` starts them for people.

// Handlers stop early with the HTTP answer itself (`Result<_, Response>`), the axum idiom; the size of a
// `Response` on that path does not matter for a simulator.
#![allow(clippy::result_large_err)]

mod common;
pub mod idp;
pub mod nextcloud;
pub mod nextcloud_sso;
pub mod oidc_issuer;
pub mod openproject;
mod openproject_session;
pub mod openproject_web;
pub mod runner;

use std::net::SocketAddr;

pub use nextcloud::{NextcloudProfile, NextcloudSim};
pub use openproject::{OpenProjectProfile, OpenProjectSim};
pub use runner::{Control, Fault, FaultAction, RequestRecord, Running};

/// A running simulated OpenProject.
#[derive(Debug)]
pub struct RunningOpenProject {
    pub sim: OpenProjectSim,
    pub server: Running,
}

impl RunningOpenProject {
    pub async fn start(profile: OpenProjectProfile, addr: SocketAddr) -> std::io::Result<Self> {
        let sim = OpenProjectSim::new(profile);
        let server = runner::serve(openproject_web::app(&sim), addr).await?;
        sim.set_self_host(&server.addr.to_string());
        server.control.set_request_cost(sim.request_cost());
        Ok(Self { sim, server })
    }

    pub fn url(&self) -> String {
        self.server.url()
    }
}

/// A running simulated Nextcloud.
#[derive(Debug)]
pub struct RunningNextcloud {
    pub sim: NextcloudSim,
    pub server: Running,
}

impl RunningNextcloud {
    pub async fn start(profile: NextcloudProfile, addr: SocketAddr) -> std::io::Result<Self> {
        let sim = NextcloudSim::new(profile);
        let server = runner::serve(nextcloud_sso::app(&sim), addr).await?;
        server.control.set_request_cost(sim.request_cost());
        Ok(Self { sim, server })
    }

    /// The base URL, including the sub-path Nextcloud is installed under.
    pub fn url(&self) -> String {
        format!("{}{}", self.server.url(), self.sim.lock().profile.base_path)
    }
}

/// Both simulators, ready for a setup: the newest versions, fresh and unconfigured, and (as an admin of a
/// local test pair would set it) Nextcloud allowed to reach the loopback OpenProject.
#[derive(Debug)]
pub struct SimPair {
    pub openproject: RunningOpenProject,
    pub nextcloud: RunningNextcloud,
}

impl SimPair {
    /// Both servers spend what real ones do (see `NextcloudSim::request_cost`, `OpenProjectSim::request_cost`):
    /// 4 workers each, server time per request, and writes that land after the client is gone.
    pub fn charge_like_real_servers(&self) {
        self.openproject.server.control.set_cost_model(Some(4));
        self.nextcloud.server.control.set_cost_model(Some(4));
    }

    pub async fn start_default() -> std::io::Result<Self> {
        let mut nc = NextcloudProfile::nc34();
        nc.allow_local_remote_servers = true;
        Self::start(OpenProjectProfile::v17(), nc, loopback(0), loopback(0)).await
    }

    pub async fn start(
        op: OpenProjectProfile,
        nc: NextcloudProfile,
        op_addr: SocketAddr,
        nc_addr: SocketAddr,
    ) -> std::io::Result<Self> {
        Ok(Self {
            openproject: RunningOpenProject::start(op, op_addr).await?,
            nextcloud: RunningNextcloud::start(nc, nc_addr).await?,
        })
    }
}

impl SimPair {
    /// The state a rollback must restore on both servers, as one comparable text: OpenProject's storages
    /// and their project links, and Nextcloud's integration settings and OAuth clients. Left out is what no
    /// API can restore: Nextcloud's "OpenProject" user, group, team folder and app password.
    pub fn restorable_state(&self) -> String {
        let op = self.openproject.sim.state();
        let nc = self.nextcloud.sim.state();
        let storages: Vec<String> = op.storages.iter().map(|s| format!("{}@{}", s.name, s.host)).collect();
        let config = |k: &str| nc.app_config.get(k).cloned().unwrap_or_default();
        format!(
            "openproject storages {storages:?}, project links {}; nextcloud url {:?}, client id {:?}, secret set {}, method {:?}, sso {:?} {:?} {:?}, oauth clients {}, oidc clients {}, user_oidc providers {:?}",
            op.project_storages.len(),
            config("openproject_instance_url"),
            config("openproject_client_id"),
            !config("openproject_client_secret").is_empty(),
            config("authorization_method"),
            config("sso_provider_type"),
            config("oidc_provider"),
            config("targeted_audience_client_id"),
            nc.oauth_clients.len(),
            nc.oidc_clients.len(),
            nc.user_oidc_providers.iter().map(|p| p["identifier"].to_string()).collect::<Vec<_>>()
        )
    }
}

pub fn loopback(port: u16) -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], port))
}
