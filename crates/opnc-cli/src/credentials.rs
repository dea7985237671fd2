//! Where the CLI gets credentials: the environment, an interactive prompt, or Nextcloud Login Flow v2 —
//! never the command line (argv is visible to every user of the machine).

use std::io::{IsTerminal, Write};

use std::sync::atomic::{AtomicBool, Ordering};

use opnc_core::nextcloud::NextcloudCredentials;
use opnc_core::openproject::OpenProjectAuth;
use opnc_core::{HttpClient, SecretString, ServerUrl};

use crate::exit::Failure;

pub const OPENPROJECT_TOKEN: &str = "OPNC_OPENPROJECT_TOKEN";
pub const NEXTCLOUD_USER: &str = "OPNC_NEXTCLOUD_USER";
pub const NEXTCLOUD_PASSWORD: &str = "OPNC_NEXTCLOUD_PASSWORD";
pub const OPENPROJECT_USER: &str = "OPNC_OPENPROJECT_USER";
pub const OPENPROJECT_PASSWORD: &str = "OPNC_OPENPROJECT_PASSWORD";

/// The keyring entries of this installation (`OPNC_KEYCHAIN_SERVICE` keeps test runs apart).
pub fn keychain() -> opnc_core::keychain::Keychain {
    match env("OPNC_KEYCHAIN_SERVICE") {
        Some(service) => opnc_core::keychain::Keychain::new(service),
        None => opnc_core::keychain::Keychain::default(),
    }
}

static KEYRING_UNAVAILABLE_SAID: AtomicBool = AtomicBool::new(false);

/// A keyring that cannot be reached is not an error here: the next source is asked. It is said once per run,
/// in plain words (a machine without a desktop session has no Secret Service, which is normal on a server).
fn from_keychain<T>(lookup: Result<Option<T>, opnc_core::keychain::KeychainError>) -> Option<T> {
    match lookup {
        Ok(value) => value,
        Err(e) => {
            if !KEYRING_UNAVAILABLE_SAID.swap(true, Ordering::SeqCst) {
                eprintln!(
                    "opnc: {}",
                    say!(
                        "cli-keyring_unavailable",
                        token = OPENPROJECT_TOKEN,
                        user = NEXTCLOUD_USER,
                        password = NEXTCLOUD_PASSWORD
                    )
                );
            }
            tracing::debug!("keyring: {e}");
            None
        }
    }
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

pub fn interactive() -> bool {
    std::io::stdin().is_terminal() && std::io::stderr().is_terminal()
}

fn ask(prompt: &str) -> Option<String> {
    eprint!("{prompt}");
    let _ = std::io::stderr().flush();
    let mut line = String::new();
    std::io::stdin().read_line(&mut line).ok()?;
    Some(line.trim().to_owned()).filter(|l| !l.is_empty())
}

pub fn openproject(url: &ServerUrl) -> Result<OpenProjectAuth, Failure> {
    if let Some(token) = env(OPENPROJECT_TOKEN) {
        return Ok(OpenProjectAuth::ApiKey(SecretString::from(token)));
    }
    if let Some(token) = from_keychain(keychain().openproject_token(url)) {
        return Ok(OpenProjectAuth::ApiKey(token));
    }
    if !interactive() {
        return Err(Failure::missing_credential(say!("cli-no_token", variable = OPENPROJECT_TOKEN))
            .hint(say!("cli-hint-create_token", url = url)));
    }
    eprintln!("{}", say!("cli-ask_token", url = url));
    let token = rpassword::prompt_password(format!("{} ", say!("cli-prompt_token")))
        .map_err(|e| Failure::local(say!("cli-token_not_read", reason = e)))?;
    if token.trim().is_empty() {
        return Err(Failure::usage(say!("cli-no_token_given")));
    }
    Ok(OpenProjectAuth::ApiKey(SecretString::from(token.trim())))
}

/// The opt-in sign-in to OpenProject's web interface (`--openproject-login`): user and password from the
/// environment or a prompt, the login form, a session in memory. Two-factor and SSO-only accounts are refused
/// with what to do instead; a wrong password is tried once (OpenProject blocks an account after 20 failures).
pub async fn openproject_web(
    http: &HttpClient,
    url: &ServerUrl,
) -> Result<opnc_core::openproject_web::WebSession, Failure> {
    let (user, password) = match (env(OPENPROJECT_USER), env(OPENPROJECT_PASSWORD)) {
        (Some(user), Some(password)) => (user, SecretString::from(password)),
        _ if interactive() => {
            let user = env(OPENPROJECT_USER)
                .or_else(|| ask(&format!("{} ", say!("cli-prompt_openproject_user"))))
                .ok_or_else(|| Failure::usage(say!("cli-no_openproject_user")))?;
            let password = rpassword::prompt_password(format!("{} ", say!("cli-prompt_openproject_password")))
                .map_err(|e| Failure::local(say!("cli-password_not_read", reason = e)))?;
            (user, SecretString::from(password))
        }
        _ => {
            return Err(Failure::missing_credential(say!(
                "cli-web_login_needs",
                user = OPENPROJECT_USER,
                password = OPENPROJECT_PASSWORD
            )))
        }
    };
    Ok(opnc_core::openproject_web::password_sign_in(http, url, &user, &password).await?)
}

/// The Nextcloud credentials: from the environment, a prompt, or (with `login_flow`, or an empty password at
/// the prompt) Login Flow v2 in the browser. Returns whether the app password came from Login Flow, so it
/// can be revoked when the command ends.
pub async fn nextcloud(
    url: &ServerUrl,
    login_flow: bool,
    allow_insecure_http: bool,
) -> Result<(NextcloudCredentials, bool), Failure> {
    if !login_flow {
        if let (Some(user), Some(password)) = (env(NEXTCLOUD_USER), env(NEXTCLOUD_PASSWORD)) {
            return Ok((NextcloudCredentials { login_name: user, password: SecretString::from(password) }, false));
        }
        if let Some(credentials) = from_keychain(keychain().nextcloud(url)) {
            return Ok((credentials, false));
        }
        if !interactive() {
            return Err(Failure::missing_credential(say!(
                "cli-no_nextcloud_credentials",
                user = NEXTCLOUD_USER,
                password = NEXTCLOUD_PASSWORD
            ))
            .hint(say!("cli-hint-nextcloud_credentials")));
        }
        let user = env(NEXTCLOUD_USER)
            .or_else(|| ask(&format!("{} ", say!("cli-prompt_nextcloud_user"))))
            .ok_or_else(|| Failure::usage(say!("cli-no_nextcloud_user")))?;
        let password = rpassword::prompt_password(format!("{} ", say!("cli-prompt_nextcloud_password")))
            .map_err(|e| Failure::local(say!("cli-password_not_read", reason = e)))?;
        if !password.is_empty() {
            return Ok((NextcloudCredentials { login_name: user, password: SecretString::from(password) }, false));
        }
    }
    // Login Flow v2, polled by the core as for the desktop app; the page is printed and opened.
    let open_page = |login_url: &str| {
        eprintln!("{}\n  {login_url}", say!("cli-login_flow"));
        if open::that_detached(login_url).is_err() {
            eprintln!("{}", say!("cli-open_yourself"));
        }
    };
    let never = AtomicBool::new(false);
    let granted = opnc_core::pair::nextcloud_browser_sign_in(url.as_str(), allow_insecure_http, open_page, &never)
        .await
        .map_err(|e| {
            let failure = Failure::from(e);
            let hint = failure.hint.clone().map(|_| say!("cli-hint-run_again")).unwrap_or_default();
            failure.hint(hint)
        })?;
    eprintln!("{}", say!("cli-signed_in_nextcloud", user = &granted.login_name));
    Ok((granted, true))
}

/// For the doctor: credentials when the environment or the keyring has them, otherwise none (the doctor
/// then runs the public checks and says what it could not check). Never prompts.
pub fn optional_openproject(url: &ServerUrl) -> Option<SecretString> {
    env(OPENPROJECT_TOKEN).map(SecretString::from).or_else(|| from_keychain(keychain().openproject_token(url)))
}

pub fn optional_nextcloud(url: &ServerUrl) -> Option<NextcloudCredentials> {
    match (env(NEXTCLOUD_USER), env(NEXTCLOUD_PASSWORD)) {
        (Some(user), Some(password)) => {
            Some(NextcloudCredentials { login_name: user, password: SecretString::from(password) })
        }
        _ => from_keychain(keychain().nextcloud(url)),
    }
}

/// OpenProject's client secret at an external identity provider: with `--openproject-login`, the setup makes
/// OpenProject's OpenID provider with it on its admin page.
pub const IDP_OPENPROJECT_CLIENT_SECRET: &str = "OPNC_IDP_OPENPROJECT_CLIENT_SECRET";

/// The environment variable for Nextcloud's client secret at an external identity provider (a new user_oidc
/// provider): never on the command line.
pub const IDP_NEXTCLOUD_CLIENT_SECRET: &str = "OPNC_IDP_NEXTCLOUD_CLIENT_SECRET";

/// Nextcloud's client secret at the identity provider: the environment, else asked for.
pub fn idp_nextcloud_client_secret() -> Result<SecretString, Failure> {
    if let Some(secret) = env(IDP_NEXTCLOUD_CLIENT_SECRET) {
        return Ok(SecretString::from(secret));
    }
    if !interactive() {
        return Err(Failure::missing_credential(say!("cli-no_idp_secret", variable = IDP_NEXTCLOUD_CLIENT_SECRET)));
    }
    let secret = rpassword::prompt_password(format!("{} ", say!("cli-prompt_idp_secret")))
        .map_err(|e| Failure::local(say!("cli-secret_not_read", reason = e)))?;
    if secret.trim().is_empty() {
        return Err(Failure::usage(say!("cli-no_secret_given")));
    }
    Ok(SecretString::from(secret.trim()))
}
