//! `opnc batch plan|setup|status|diagnose|delete --profile FILE`: the same commands over many pairs, for trainings.
//!
//! The profile (TOML) names the pairs and the environment variables that hold their secrets; secrets are
//! never written into the profile itself:
//!
//! ```toml
//! [[pair]]
//! name = "training-01"
//! openproject = "https://op1.example.com"
//! nextcloud = "https://nc1.example.com"
//! openproject_token_env = "OP1_TOKEN"
//! nextcloud_user = "admin"
//! nextcloud_password_env = "NC1_APP_PASSWORD"
//! # optional: storage_name = "Nextcloud", project_folders = true, allow_insecure_http = false
//! # SSO instead of two-way OAuth: auth = "sso-hub" | "sso-external" (default "oauth"), and for an external
//! # identity provider idp_discovery = "https://…/.well-known/openid-configuration", oidc_provider = "keycloak",
//! # token_exchange = true, openproject_client_id = "openproject", token_exchange_scope = "add-nextcloud-audience";
//! # openproject_provider = "keycloak" (the display name of OpenProject's OpenID provider)
//! ```

use std::path::PathBuf;

use serde::Deserialize;

use crate::exit::{Exit, Failure};
use crate::pair::{self, GivenCredentials, PairArgs, SetupArgs};

#[derive(clap::ValueEnum, Clone, Copy, Debug)]
pub enum BatchAction {
    Plan,
    Setup,
    Status,
    Diagnose,
    Delete,
}

#[derive(clap::Args)]
pub struct BatchArgs {
    #[arg(value_enum)]
    pub action: BatchAction,
    /// The TOML file describing the pairs.
    #[arg(long)]
    pub profile: PathBuf,
    /// Apply without asking (setup and delete).
    #[arg(long)]
    pub yes: bool,
    /// Where setup jobs are recorded.
    #[arg(long, env = "OPNC_STATE_DIR")]
    pub state_dir: Option<PathBuf>,
}

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    #[serde(rename = "pair")]
    pub pairs: Vec<ProfilePair>,
}

#[derive(Deserialize, Debug, Clone)]
#[serde(deny_unknown_fields)]
pub struct ProfilePair {
    pub name: String,
    pub openproject: String,
    pub nextcloud: String,
    pub openproject_token_env: String,
    pub nextcloud_user: String,
    pub nextcloud_password_env: String,
    #[serde(default = "default_storage_name")]
    pub storage_name: String,
    #[serde(default = "yes")]
    pub project_folders: bool,
    #[serde(default)]
    pub allow_insecure_http: bool,
    #[serde(default = "oauth")]
    pub auth: String,
    #[serde(default)]
    pub idp_discovery: Option<String>,
    #[serde(default)]
    pub oidc_provider: Option<String>,
    #[serde(default)]
    pub token_exchange: bool,
    #[serde(default)]
    pub openproject_client_id: Option<String>,
    #[serde(default)]
    pub token_exchange_scope: Option<String>,
    #[serde(default)]
    pub openproject_provider: Option<String>,
}

fn oauth() -> String {
    "oauth".into()
}

impl ProfilePair {
    fn auth(&self) -> Result<crate::pair::AuthArg, String> {
        use crate::pair::AuthArg;
        match self.auth.as_str() {
            "oauth" => Ok(AuthArg::Oauth),
            "sso-hub" => Ok(AuthArg::SsoHub),
            "sso-external" => Ok(AuthArg::SsoExternal),
            other => Err(say!("cli-batch-auth", pair = &self.name, auth = other)),
        }
    }
}

fn default_storage_name() -> String {
    "Nextcloud".into()
}

fn yes() -> bool {
    true
}

pub fn load(path: &PathBuf) -> Result<Profile, String> {
    let text =
        std::fs::read_to_string(path).map_err(|e| say!("cli-batch-not_read", path = path.display(), reason = e))?;
    // The parser's own rendering quotes the offending line, which may hold a secret someone pasted into the
    // file: report the line number and the message only.
    let profile: Profile = toml::from_str(&text).map_err(|e| {
        let line = e.span().map(|s| text[..s.start.min(text.len())].matches('\n').count() + 1).unwrap_or(0);
        say!("cli-batch-invalid", path = path.display(), line = line, reason = e.message())
    })?;
    if profile.pairs.is_empty() {
        return Err(say!("cli-batch-no_pair", path = path.display()));
    }
    Ok(profile)
}

fn credentials(pair: &ProfilePair) -> Result<GivenCredentials, String> {
    let env = |name: &str| {
        std::env::var(name)
            .ok()
            .filter(|v| !v.is_empty())
            .ok_or_else(|| say!("cli-batch-variable_unset", pair = &pair.name, variable = name))
    };
    Ok(GivenCredentials {
        openproject_token: opnc_core::SecretString::from(env(&pair.openproject_token_env)?),
        nextcloud: opnc_core::nextcloud::NextcloudCredentials {
            login_name: pair.nextcloud_user.clone(),
            password: opnc_core::SecretString::from(env(&pair.nextcloud_password_env)?),
        },
    })
}

pub async fn run(args: BatchArgs) -> Exit {
    let profile = match load(&args.profile) {
        Ok(p) => p,
        Err(e) => return Failure::usage(e).report(),
    };
    let mut results = Vec::new();
    for pair in &profile.pairs {
        eprintln!("== {} ==", pair.name);
        let given = match credentials(pair) {
            Ok(c) => c,
            Err(e) => {
                results.push((pair.name.clone(), Failure::usage(e).report()));
                continue;
            }
        };
        let servers = crate::pair::ServerArgs {
            openproject: pair.openproject.clone(),
            nextcloud: pair.nextcloud.clone(),
            allow_insecure_http: pair.allow_insecure_http,
        };
        let pair_args = PairArgs {
            servers: servers.clone(),
            login_flow: false,
            openproject_login: false,
            remember: false,
            json: false,
            state_dir: args.state_dir.clone(),
            given: Some(given),
        };
        let auth = match pair.auth() {
            Ok(auth) => auth,
            Err(e) => {
                results.push((pair.name.clone(), Failure::usage(e).report()));
                continue;
            }
        };
        let setup_args = SetupArgs {
            pair: pair_args.clone(),
            storage_name: pair.storage_name.clone(),
            no_project_folders: !pair.project_folders,
            replace: false,
            yes: args.yes,
            enable_apps: false,
            auth,
            idp_discovery: pair.idp_discovery.clone(),
            token_exchange: pair.token_exchange,
            oidc_provider: pair.oidc_provider.clone(),
            new_oidc_provider: None,
            nextcloud_client_id: None,
            openproject_client_id: pair.openproject_client_id.clone(),
            token_exchange_scope: pair.token_exchange_scope.clone(),
            openproject_provider: pair.openproject_provider.clone(),
            watch_provider_seconds: 0,
        };
        let code = match args.action {
            BatchAction::Plan => pair::plan(setup_args).await,
            BatchAction::Setup => pair::setup(setup_args).await,
            BatchAction::Status => pair::status(pair_args.clone()).await,
            BatchAction::Diagnose => {
                crate::diagnose::run(crate::diagnose::DiagnoseArgs {
                    servers: servers.clone(),
                    json: false,
                    markdown: false,
                    output: None,
                    // A batch runs unattended: nobody is there to sign in.
                    test_sign_in: false,
                    openproject_client_id: None,
                    openproject_provider: None,
                    compare: None,
                    watch: false,
                    interval: 10,
                    rounds: None,
                    state_dir: args.state_dir.clone(),
                    bundle: None,
                    log_folder: None,
                    given: pair_args.given.clone(),
                })
                .await
            }
            BatchAction::Delete => pair::delete(setup_args).await,
        };
        results.push((pair.name.clone(), code));
    }
    eprintln!("== {} ({:?}) ==", say!("cli-batch-summary"), args.action);
    for (name, code) in &results {
        let mark = match *code {
            Exit::SUCCESS => "✓",
            Exit::WARNINGS => "!",
            _ => "✗",
        };
        eprintln!("  {mark} {name} (exit {})", code.0);
    }
    let done = results.iter().filter(|(_, c)| *c == Exit::SUCCESS).count();
    eprintln!("{}", say!("cli-batch-succeeded", done = done, total = results.len()));
    Exit::worst(results.into_iter().map(|(_, c)| c))
}
