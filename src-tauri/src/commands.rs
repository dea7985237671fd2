//! Tauri commands: delegates into `opnc_core::pair`, errors as `{code, message, hint}`, progress through
//! a `Channel`.

use opnc_core::doctor::Diagnosis;
use opnc_core::pair::{ApplyResult, ConnectedPair, PairSummary, Review, SignIn};
use opnc_core::setup::journal::Job;
use opnc_core::setup::SetupOptions;
use opnc_core::{ErrorCode, ErrorView, Server, ServerUrl, UrlPolicy};
use tauri::ipc::Channel;
use tauri::{AppHandle, State};
use tauri_plugin_dialog::{DialogExt, MessageDialogKind};

use crate::state::AppState;

fn not_signed_in() -> ErrorView {
    ErrorView {
        code: ErrorCode::CredentialsRejected,
        message: "Not signed in to both servers yet.".into(),
        hint: "Sign in first.".into(),
    }
}

/// Normalises a server URL the way every client does, so the wizard shows what will be used.
#[tauri::command]
pub fn check_url(server: Server, input: String, allow_insecure_http: bool) -> Result<String, ErrorView> {
    ServerUrl::parse(&input, UrlPolicy { allow_insecure_http })
        .map(|u| u.to_string())
        .map_err(|e| e.for_server(server).view())
}

/// Demo mode: simulated servers on loopback, signed in with their demo accounts.
#[tauri::command]
pub async fn start_demo(state: State<'_, AppState>) -> Result<PairSummary, ErrorView> {
    state.start_demo().await
}

#[tauri::command]
pub async fn sign_in(state: State<'_, AppState>, request: SignIn) -> Result<PairSummary, ErrorView> {
    let pair = ConnectedPair::sign_in(request, false).await?;
    Ok(state.keep(pair).await)
}

#[tauri::command]
pub async fn review(state: State<'_, AppState>, options: SetupOptions) -> Result<Review, ErrorView> {
    Ok(state.pair.lock().await.as_mut().ok_or_else(not_signed_in)?.review(options).await)
}

/// Applies the plan with live progress; the native dialog tells the result.
#[tauri::command]
pub async fn apply(
    app: AppHandle,
    state: State<'_, AppState>,
    progress: Channel<Job>,
) -> Result<ApplyResult, ErrorView> {
    let mut guard = state.pair.lock().await;
    let pair = guard.as_mut().ok_or_else(not_signed_in)?;
    let result = pair.apply(&state.jobs, &move |job: &Job| drop(progress.send(job.clone()))).await;
    let (title, kind, text) = match (&result.job.error, &result.job.rollback_error) {
        (None, _) => (
            "Connected",
            MessageDialogKind::Info,
            format!(
                "OpenProject and Nextcloud are connected and proven from both sides (storage {}).",
                result.storage_id.unwrap_or_default()
            ),
        ),
        (Some(e), None) => (
            "Setup rolled back",
            MessageDialogKind::Warning,
            format!("{}\n\nBoth servers were rolled back.\n\n{}", e.message, e.hint),
        ),
        (Some(e), Some(r)) => (
            "Rollback failed",
            MessageDialogKind::Error,
            format!("{}\n\nThe rollback failed too: {}\n\n{}", e.message, r.message, r.hint),
        ),
    };
    app.dialog().message(text).title(title).kind(kind).show(|_| {});
    Ok(result)
}

#[tauri::command]
pub async fn diagnose(state: State<'_, AppState>) -> Result<Diagnosis, ErrorView> {
    Ok(state.pair.lock().await.as_ref().ok_or_else(not_signed_in)?.diagnose().await)
}
