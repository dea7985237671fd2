//! `opnc`'s exit codes. Each means one thing for every command (the README's table is this one).

use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};

use opnc_core::pair::PairError;
use opnc_core::{ErrorCode, ErrorView};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Exit(pub u8);

impl Exit {
    /// Done; or: healthy (diagnose), connected and proven (status).
    pub const SUCCESS: Exit = Exit(0);
    /// The command failed (after a failed setup both servers were rolled back); or: problems found (diagnose),
    /// not connected or a check failed (status).
    pub const FAILED: Exit = Exit(1);
    /// Wrong usage: an unknown flag, a malformed URL, a credential missing where there is no terminal to ask.
    pub const USAGE: Exit = Exit(2);
    /// The preflight found blockers; nothing was changed.
    pub const BLOCKED: Exit = Exit(3);
    /// A rollback failed: manual action needed (the message says which); `opnc recover` finishes it.
    pub const ROLLBACK_FAILED: Exit = Exit(4);
    /// Not confirmed; nothing was changed.
    pub const NOT_CONFIRMED: Exit = Exit(5);
    /// Working, with warnings (diagnose): nothing is broken.
    pub const WARNINGS: Exit = Exit(6);
    /// Some checks could not run (missing credentials, a side out of reach) and nothing broken was found: no
    /// clean bill of health (diagnose, status).
    pub const NOT_CHECKED: Exit = Exit(7);

    /// Of several results (a batch over many pairs), the one that needs the most attention.
    pub fn worst(codes: impl IntoIterator<Item = Exit>) -> Exit {
        let rank = |e: &Exit| match e.0 {
            4 => 8,
            1 => 7,
            3 => 6,
            2 => 5,
            5 => 4,
            7 => 3,
            6 => 2,
            0 => 0,
            _ => 7,
        };
        codes.into_iter().max_by_key(rank).unwrap_or(Exit::SUCCESS)
    }
}

impl From<Exit> for ExitCode {
    fn from(e: Exit) -> Self {
        ExitCode::from(e.0)
    }
}

/// Why a command stopped: the exit code and the error code that say so (`--json` carries the code).
#[derive(Debug, Clone)]
pub struct Failure {
    pub exit: Exit,
    pub code: ErrorCode,
    pub message: String,
    pub hint: Option<String>,
}

static JSON: AtomicBool = AtomicBool::new(false);

/// The command was asked for `--json`: a failure is then also reported as `{"error": {code, message, hint}}` on
/// stdout.
pub fn report_failures_as_json(json: bool) {
    JSON.store(json, Ordering::SeqCst);
}

impl Failure {
    pub fn usage(message: impl Into<String>) -> Self {
        Self { exit: Exit::USAGE, code: ErrorCode::InvalidInput, message: message.into(), hint: None }
    }

    /// A credential is missing and there is no terminal to ask for it: wrong usage.
    pub fn missing_credential(message: impl Into<String>) -> Self {
        Self { exit: Exit::USAGE, code: ErrorCode::MissingCredential, message: message.into(), hint: None }
    }

    /// Something on this computer failed (a file, the terminal, a port).
    pub fn local(message: impl Into<String>) -> Self {
        Self { exit: Exit::FAILED, code: ErrorCode::LocalFailure, message: message.into(), hint: None }
    }

    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into()).filter(|h: &String| !h.is_empty());
        self
    }

    /// A server's error: its message and hint; a URL the admin typed wrong is wrong usage.
    pub fn from_client(error: &opnc_core::ClientError) -> Self {
        let exit = match error.kind {
            opnc_core::ErrorKind::InvalidUrl(_) => Exit::USAGE,
            _ => Exit::FAILED,
        };
        let view = error.view();
        let language = crate::language();
        Self { exit, code: view.code, message: view.message_in(language), hint: None }.hint(view.hint_in(language))
    }

    /// Prints it on stderr (and as JSON on stdout with `--json`) and gives the exit code.
    pub fn report(&self) -> Exit {
        if JSON.load(Ordering::SeqCst) {
            let view = ErrorView {
                code: self.code,
                message: self.message.clone(),
                hint: self.hint.clone().unwrap_or_default(),
                said: None,
                hint_said: None,
            };
            println!("{}", serde_json::json!({ "error": view }));
        }
        eprintln!("opnc: {}", self.message);
        if let Some(hint) = &self.hint {
            eprintln!("  {}: {hint}", say!("label-hint"));
        }
        self.exit
    }
}

impl From<opnc_core::ClientError> for Failure {
    fn from(e: opnc_core::ClientError) -> Self {
        Failure::from_client(&e)
    }
}

impl From<PairError> for Failure {
    fn from(e: PairError) -> Self {
        if let PairError::Client(client) = &e {
            return Failure::from_client(client);
        }
        let exit = match &e {
            PairError::MissingCredential { .. } => Exit::USAGE,
            PairError::PreflightBlocked { .. } => Exit::BLOCKED,
            PairError::Cancelled(_) | PairError::Changed { .. } => Exit::NOT_CONFIRMED,
            _ => Exit::FAILED,
        };
        let view = e.view();
        let language = crate::language();
        let hint = match &e {
            // The core's hints are for every face; here they can name the command.
            PairError::NoStorage => opnc_core::said!("cli-hint-no_storage").in_language(language),
            _ => view.hint_in(language),
        };
        Self { exit, code: view.code, message: view.message_in(language), hint: None }.hint(hint)
    }
}
