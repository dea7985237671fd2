//! Tauri commands: delegates into `opnc_core::pair`, errors as `{code, message, hint}`, progress through
//! a `Channel`.

use opnc_core::catalogue::Language;
use opnc_core::openproject_web::FolderMode;
use opnc_core::pair::{
    ApplyResult, Cancelled, Confirmation, ConnectedPair, ConnectionState, DemoServers, PairError, PairSummary,
    ProjectChoice, Review, SignIn,
};
use opnc_core::setup::journal::Job;
use opnc_core::setup::projects::EnableOutcome;
use opnc_core::setup::reset::{ResetKind, ResetOutcome};
use opnc_core::setup::SetupOptions;
use opnc_core::{ErrorCode, ErrorView, Server, ServerUrl, UrlPolicy};
use tauri::ipc::Channel;
use tauri::{AppHandle, State};
use tauri_plugin_dialog::{DialogExt, MessageDialogButtons, MessageDialogKind};

use crate::state::AppState;

fn not_signed_in() -> ErrorView {
    PairError::NotSignedIn.view()
}

/// How long the wizard watches OpenProject during a hand-off.
const WATCH: std::time::Duration = std::time::Duration::from_secs(15 * 60);

/// The signed-in pair, copied out of the lock: nothing holds the lock across a dialog or a watch, so signing out
/// or closing the app is never stuck behind one.
async fn signed_in(state: &AppState) -> Result<ConnectedPair, ErrorView> {
    state.pair.lock().await.clone().ok_or_else(not_signed_in)
}

/// The server's base address under what the admin typed or pasted (a page copied from the browser is cut to the
/// address the server's API answers under), so the wizard shows what will be used.
#[tauri::command]
pub async fn check_url(server: Server, input: String, allow_insecure_http: bool) -> Result<String, ErrorView> {
    Ok(opnc_core::pair::resolve_address(server, &input, allow_insecure_http).await?.url.to_string())
}

/// Demo mode: simulated servers on loopback, signed in with their demo accounts.
#[tauri::command]
pub async fn start_demo(state: State<'_, AppState>) -> Result<PairSummary, ErrorView> {
    state.start_demo().await
}

#[tauri::command]
pub async fn sign_in(state: State<'_, AppState>, request: SignIn) -> Result<PairSummary, ErrorView> {
    state.sign_in(request).await
}

/// Nextcloud's browser sign-in: opens the page in the system browser, tells the UI its address, and
/// waits for the grant. The app password stays in the app; the UI gets the login name.
#[tauri::command]
pub async fn nextcloud_browser_sign_in(
    state: State<'_, AppState>,
    url: String,
    allow_insecure_http: bool,
    page: Channel<String>,
) -> Result<String, ErrorView> {
    state.cancel_browser.store(false, std::sync::atomic::Ordering::SeqCst);
    let open_page = |login_url: &str| {
        let _ = page.send(login_url.to_owned());
        let _ = open::that_detached(login_url);
    };
    let credentials =
        opnc_core::pair::nextcloud_browser_sign_in(&url, allow_insecure_http, open_page, &state.cancel_browser).await?;
    let login = credentials.login_name.clone();
    *state.browser_credentials.lock().await = Some(credentials);
    Ok(login)
}

#[tauri::command]
pub fn cancel_browser_sign_in(state: State<'_, AppState>) {
    state.cancel_browser.store(true, std::sync::atomic::Ordering::SeqCst);
}

/// Opens OpenProject's "Access tokens" page, where the admin creates the API token to paste.
#[tauri::command]
pub fn open_openproject_tokens(url: String, allow_insecure_http: bool) -> Result<(), ErrorView> {
    let base = ServerUrl::parse(&url, UrlPolicy { allow_insecure_http })
        .map_err(|e| e.for_server(Server::OpenProject).view())?;
    let _ = open::that_detached(base.join("my/access_tokens").as_str());
    Ok(())
}

/// OpenProject's sign-in page in a window of the app; the session it yields stays in the app. Returns the
/// administrator's name.
#[tauri::command]
pub async fn openproject_window_sign_in(
    app: AppHandle,
    state: State<'_, AppState>,
    url: String,
    allow_insecure_http: bool,
) -> Result<String, ErrorView> {
    let base = opnc_core::pair::resolve_address(Server::OpenProject, &url, allow_insecure_http).await?.url;
    let (session, user) = crate::signin_window::sign_in(&app, &base).await?;
    *state.op_session.lock().await = Some(session);
    Ok(user.name)
}

#[tauri::command]
pub fn cancel_openproject_window(app: AppHandle) {
    crate::signin_window::close(&app);
}

/// Demo servers for a trainer who signs in by hand.
#[tauri::command]
pub async fn start_demo_servers(state: State<'_, AppState>) -> Result<DemoServers, ErrorView> {
    state.start_demo_servers().await
}

/// Every OpenProject project, marked where it already uses the storage.
#[tauri::command]
pub async fn list_projects(state: State<'_, AppState>) -> Result<Vec<ProjectChoice>, ErrorView> {
    Ok(signed_in(&state).await?.projects().await?)
}

/// Enables the storage in the chosen projects (OpenProject's forms over the session, or hand-off pages).
#[tauri::command]
pub async fn enable_projects(
    state: State<'_, AppState>,
    project_ids: Vec<i64>,
    include_sub_projects: bool,
    mode: Option<FolderMode>,
) -> Result<EnableOutcome, ErrorView> {
    Ok(signed_in(&state).await?.enable_projects(&project_ids, include_sub_projects, mode).await?)
}

/// A Nextcloud folder's file id from a link the admin pasted (or the id itself).
#[tauri::command]
pub fn folder_id_from_link(link: String) -> Option<String> {
    opnc_core::openproject_web::folder_id_from_link(&link)
}

/// Hand-off for the replace: opens OpenProject's page in the browser and waits for the new client id there.
#[tauri::command]
pub async fn watch_openproject_replace(state: State<'_, AppState>) -> Result<String, ErrorView> {
    state.cancel_watch.store(false, std::sync::atomic::Ordering::SeqCst);
    let pair = signed_in(&state).await?;
    let open_page = |page: &str| drop(open::that_detached(page));
    Ok(pair.watch_openproject_replace(open_page, WATCH, &state.cancel_watch).await?)
}

/// Hand-off for the replace: the secret the admin copied from OpenProject's page goes to Nextcloud, then the proof.
#[tauri::command]
pub async fn give_openproject_oauth(
    app: AppHandle,
    state: State<'_, AppState>,
    client_id: String,
    secret: opnc_core::SecretString,
) -> Result<ResetOutcome, ErrorView> {
    let outcome = signed_in(&state).await?.give_openproject_oauth(&client_id, &secret).await.map_err(ErrorView::from);
    show_reset_result(&app, language(&state), &outcome);
    outcome
}

/// Hand-off for projects: waits until the projects added on OpenProject's pages show in its API.
#[tauri::command]
pub async fn watch_projects(state: State<'_, AppState>, project_ids: Vec<i64>) -> Result<EnableOutcome, ErrorView> {
    state.cancel_watch.store(false, std::sync::atomic::Ordering::SeqCst);
    Ok(signed_in(&state).await?.watch_projects(&project_ids, WATCH, &state.cancel_watch).await?)
}

#[tauri::command]
pub fn cancel_watch(state: State<'_, AppState>) {
    state.cancel_watch.store(true, std::sync::atomic::Ordering::SeqCst);
}

/// Opens a hand-off page in the system browser.
#[tauri::command]
pub fn open_page(url: String) -> Result<(), ErrorView> {
    ServerUrl::parse(&url, UrlPolicy { allow_insecure_http: true })
        .map_err(|e| e.for_server(Server::OpenProject).view())?;
    let _ = open::that_detached(&url);
    Ok(())
}

/// What SSO through an identity provider would need for this pair, instead of two-way OAuth (checked only).
/// The demo's identity provider's discovery address (SSO through an external identity provider), when the demo runs.
#[tauri::command]
pub async fn demo_identity_provider(state: State<'_, AppState>) -> Result<Option<String>, ErrorView> {
    Ok(state.demo_idp.lock().await.as_ref().map(|idp| idp.discovery_url()))
}

/// Watches OpenProject's sign-in page until it offers the OpenID provider `slug` the admin is entering by hand.
#[tauri::command]
pub async fn watch_openproject_provider(state: State<'_, AppState>, slug: String) -> Result<bool, ErrorView> {
    state.cancel_watch.store(false, std::sync::atomic::Ordering::SeqCst);
    let pair = signed_in(&state).await?;
    pair.watch_openproject_provider(&slug, WATCH, &state.cancel_watch).await.map_err(|e| e.view())
}

/// Makes OpenProject's OpenID provider on its admin page with the setup's values (needs the OpenProject web
/// sign-in); whether its sign-in page offers it afterwards.
#[tauri::command]
pub async fn create_openproject_provider(state: State<'_, AppState>) -> Result<bool, ErrorView> {
    let pair = signed_in(&state).await?;
    let handoff = state.handoff.lock().await.clone().ok_or_else(|| {
        ErrorView::new(
            ErrorCode::MissingCredential,
            opnc_core::said!("error-handoff_gone"),
            opnc_core::said!("hint-handoff_gone"),
        )
    })?;
    let secret = handoff.client_secret.clone().ok_or_else(|| {
        ErrorView::new(
            ErrorCode::MissingCredential,
            opnc_core::said!("error-handoff_secret_unknown"),
            opnc_core::said!("hint-handoff_secret_unknown"),
        )
    })?;
    pair.create_openproject_provider(&handoff, secret).await.map_err(|e| e.view())
}

/// The client secret to enter in OpenProject's OpenID provider form, when the admin reveals it: the one place the
/// app shows a secret (masked until then).
#[tauri::command]
pub async fn reveal_handoff_secret(state: State<'_, AppState>) -> Result<String, ErrorView> {
    let held = state.handoff.lock().await.as_ref().and_then(|h| h.client_secret.as_ref()).map(|s| s.expose().clone());
    held.ok_or_else(|| {
        ErrorView::new(
            ErrorCode::MissingCredential,
            opnc_core::said!("error-secret_not_held"),
            opnc_core::said!("hint-secret_not_held"),
        )
    })
}

#[tauri::command]
pub async fn review(state: State<'_, AppState>, options: SetupOptions) -> Result<Review, ErrorView> {
    Ok(state.pair.lock().await.as_mut().ok_or_else(not_signed_in)?.review(options, &state.jobs).await)
}

/// Applies the plan with live progress; the native dialog tells the result.
#[tauri::command]
pub async fn apply(
    app: AppHandle,
    state: State<'_, AppState>,
    progress: Channel<Job>,
) -> Result<ApplyResult, ErrorView> {
    state.cancel_apply.store(false, std::sync::atomic::Ordering::SeqCst);
    let mut guard = state.pair.lock().await;
    let pair = guard.as_mut().ok_or_else(not_signed_in)?;
    let progress = move |job: &Job| drop(progress.send(job.clone()));
    let result = pair.apply(&state.jobs, Confirmation::Confirmed, &progress, Some(&state.cancel_apply)).await;
    drop(guard);
    if let ApplyResult::Ran { handoff: Some(handoff), .. } = &result {
        *state.handoff.lock().await = Some((**handoff).clone());
    }
    let l = language(&state);
    let say = |key: &str| opnc_core::catalogue::text(l, key);
    // A failure the demo was asked for is said to be one, not given a fix.
    let simulated = state.simulated_failure.swap(false, std::sync::atomic::Ordering::SeqCst);
    let advice = |e: &ErrorView| if simulated { say("dialog-simulated_failure") } else { e.hint_in(l) };
    let (title, kind, text) = match &result {
        ApplyResult::Ran { job, storage_id, .. } => match (&job.error, &job.rollback_error) {
            (None, _) => (
                say("dialog-connected_title"),
                MessageDialogKind::Info,
                format!(
                    "{}{}",
                    opnc_core::said!("dialog-connected", storage = storage_id.unwrap_or_default()).in_language(l),
                    if matches!(&result, ApplyResult::Ran { handoff: Some(_), .. }) {
                        format!("\n\n{}", say("dialog-connected_handoff"))
                    } else {
                        String::new()
                    }
                ),
            ),
            (Some(e), None) => (
                say("dialog-rolled_back_title"),
                MessageDialogKind::Warning,
                format!("{}\n\n{}\n\n{}", e.message_in(l), say("dialog-rolled_back"), advice(e)),
            ),
            (Some(e), Some(r)) => (
                say("dialog-rollback_failed_title"),
                MessageDialogKind::Error,
                format!(
                    "{}\n\n{}\n\n{}",
                    e.message_in(l),
                    opnc_core::said!("dialog-rollback_failed_too", reason = r.message_in(l)).in_language(l),
                    r.hint_in(l)
                ),
            ),
        },
        // Nothing of the plan was written, so nothing was rolled back either.
        ApplyResult::NotApplied { reason, .. } if reason.code == ErrorCode::PlanChanged => (
            say("dialog-plan_changed_title"),
            MessageDialogKind::Info,
            format!("{}\n\n{}", reason.message_in(l), reason.hint_in(l)),
        ),
        ApplyResult::NotApplied { reason, .. } => (
            say("dialog-nothing_changed_title"),
            MessageDialogKind::Warning,
            format!("{}\n\n{}\n\n{}", reason.message_in(l), say("dialog-nothing_written"), reason.hint_in(l)),
        ),
        ApplyResult::RecoveryFailed { job } => (
            say("dialog-rollback_failed_title"),
            MessageDialogKind::Error,
            opnc_core::said!(
                "dialog-recovery_failed",
                reason = job.rollback_error.as_ref().map(|e| e.message_in(l)).unwrap_or_default()
            )
            .in_language(l),
        ),
    };
    app.dialog().message(text).title(title).kind(kind).show(|_| {});
    Ok(result)
}

/// Signs out of both servers (revoking a browser sign-in's app password that was not remembered).
#[tauri::command]
pub async fn sign_out(state: State<'_, AppState>) -> Result<bool, ErrorView> {
    Ok(state.sign_out().await)
}

/// Setups that a crash or a closed app left half done (of any pair), for the banner at start-up.
#[tauri::command]
pub fn interrupted_jobs(state: State<'_, AppState>) -> Vec<Job> {
    state.jobs.interrupted()
}

#[tauri::command]
pub async fn diagnose(state: State<'_, AppState>) -> Result<opnc_core::picture::DiagnosisView, ErrorView> {
    let diagnosis = signed_in(&state).await?.diagnose().await;
    *state.last_diagnosis.lock().await = Some(diagnosis.clone());
    *state.opened_report.lock().await = None;
    let baselines = opnc_core::compare::Baselines::beside(&state.jobs);
    let changed = opnc_core::compare::since_last_good(&baselines, &diagnosis);
    Ok(opnc_core::picture::DiagnosisView { changed, ..diagnosis.into() })
}

/// One round of the desktop's Watch: the diagnosis again, and what changed since the one before (the window
/// calls it again only after an answer and a pause, so the servers see a bounded rate).
#[tauri::command]
pub async fn watch_round(state: State<'_, AppState>) -> Result<opnc_core::picture::WatchRound, ErrorView> {
    let before = state.last_diagnosis.lock().await.clone();
    let view = diagnose(state).await?;
    let changes = before.map(|b| opnc_core::compare::compare(&b, &view.diagnosis)).unwrap_or_default();
    Ok(opnc_core::picture::WatchRound { view, changes })
}

/// Compares the report or diagnosis shown with an earlier report the admin picks in the native open dialog (a
/// report or a support bundle). `None` when the dialog was cancelled.
#[tauri::command]
pub async fn compare_report(
    app: AppHandle,
    state: State<'_, AppState>,
) -> Result<Option<opnc_core::picture::ComparedReport>, ErrorView> {
    use opnc_core::said;
    let shown = match state.opened_report.lock().await.clone() {
        Some(opened) => Some(opened),
        None => state.last_diagnosis.lock().await.clone(),
    };
    let Some(shown) = shown else {
        return Err(local_failure(said!("error-no_diagnosis"), said!("hint-no_diagnosis")));
    };
    let Some((path, earlier)) = pick_report(&app, &state, said!("dialog-compare_title")).await? else {
        return Ok(None);
    };
    let changes = opnc_core::compare::compare(&earlier.diagnosis, &shown);
    Ok(Some(opnc_core::picture::ComparedReport { path: path.display().to_string(), changes }))
}

/// Saves a support bundle (this diagnosis, the last good state and what changed since, the pair's jobs, the
/// app's newest log lines, all redacted) where the admin chooses. `None` when the dialog was cancelled.
#[tauri::command]
pub async fn export_bundle(
    app: AppHandle,
    state: State<'_, AppState>,
    language: opnc_core::catalogue::Language,
) -> Result<Option<String>, ErrorView> {
    use opnc_core::said;
    let Some(diagnosis) = state.last_diagnosis.lock().await.clone() else {
        return Err(local_failure(said!("error-no_diagnosis"), said!("hint-no_diagnosis")));
    };
    let file =
        SaveAs { title: said!("dialog-bundle_title"), name: "opnc-support-bundle.json", kind: "JSON", ext: "json" };
    save_as(&app, &state, language, file, || {
        let logs = opnc_core::bundle::desktop_log_folder();
        opnc_core::bundle::SupportBundle::gather(diagnosis, &state.jobs, logs.as_deref(), language).to_json()
    })
    .await
}

/// A file the native save dialog proposes.
struct SaveAs {
    title: opnc_core::catalogue::Said,
    name: &'static str,
    /// The filter's label and extension.
    kind: &'static str,
    ext: &'static str,
}

/// Asks where to save in the native dialog (starting where the reports went), then writes what `text` makes there.
/// `None` when the dialog was cancelled (nothing is made then).
async fn save_as(
    app: &AppHandle,
    state: &State<'_, AppState>,
    language: opnc_core::catalogue::Language,
    file: SaveAs,
    text: impl FnOnce() -> String,
) -> Result<Option<String>, ErrorView> {
    use opnc_core::said;
    let (tx, rx) = tokio::sync::oneshot::channel();
    app.dialog()
        .file()
        .set_title(file.title.in_language(language))
        .set_directory(report_folder(app, state))
        .set_file_name(file.name)
        .add_filter(file.kind, &[file.ext])
        .save_file(move |path| {
            let _ = tx.send(path.and_then(|p| p.into_path().ok()));
        });
    let Some(path) = rx.await.ok().flatten() else { return Ok(None) };
    std::fs::write(&path, text()).map_err(|e| {
        local_failure(
            said!("error-report_not_written", path = path.display(), reason = e),
            said!("hint-report_not_written"),
        )
    })?;
    remember_report_folder(state, &path);
    Ok(Some(path.display().to_string()))
}

/// Saves the last diagnosis as a report where the admin chooses in the native save dialog: Markdown to read,
/// JSON to open again (`open_report`). `None` when the dialog was cancelled.
#[tauri::command]
pub async fn export_report(
    app: AppHandle,
    state: State<'_, AppState>,
    json: bool,
    language: opnc_core::catalogue::Language,
) -> Result<Option<String>, ErrorView> {
    use opnc_core::said;
    let Some(diagnosis) = state.last_diagnosis.lock().await.clone() else {
        return Err(local_failure(said!("error-no_diagnosis"), said!("hint-no_diagnosis")));
    };
    let file = if json {
        SaveAs { title: said!("dialog-export_title"), name: "opnc-report.json", kind: "JSON", ext: "json" }
    } else {
        SaveAs { title: said!("dialog-export_title"), name: "opnc-report.md", kind: "Markdown", ext: "md" }
    };
    save_as(&app, &state, language, file, || {
        if json {
            diagnosis.to_json_in(language)
        } else {
            diagnosis.to_markdown_in(language, &|r| r.describe_in(language))
        }
    })
    .await
}

/// A failure on this computer, by its catalogue keys: the window says it in its language, also after a switch.
fn local_failure(message: opnc_core::catalogue::Said, hint: opnc_core::catalogue::Said) -> ErrorView {
    ErrorView::new(ErrorCode::LocalFailure, message, hint)
}

/// Where the report dialogs start: the folder of the last report saved or opened, else the documents folder.
fn report_folder(app: &AppHandle, state: &State<'_, AppState>) -> std::path::PathBuf {
    use tauri::Manager;
    let last = state.report_folder.lock().unwrap_or_else(|p| p.into_inner()).clone();
    last.or_else(|| app.path().document_dir().ok().filter(|d| d.is_dir()))
        .or_else(|| app.path().home_dir().ok())
        .unwrap_or_else(std::env::temp_dir)
}

fn remember_report_folder(state: &State<'_, AppState>, path: &std::path::Path) {
    if let Some(folder) = path.parent() {
        *state.report_folder.lock().unwrap_or_else(|p| p.into_inner()) = Some(folder.to_owned());
    }
}

/// Opens a customer's exported report (JSON) in the same two-pane view, without signing in anywhere.
#[tauri::command]
pub async fn open_report(
    app: AppHandle,
    state: State<'_, AppState>,
) -> Result<Option<opnc_core::picture::OpenedReport>, ErrorView> {
    use opnc_core::picture::OpenedReport;
    use opnc_core::said;
    let Some((path, report)) = pick_report(&app, &state, said!("dialog-open_title")).await? else {
        return Ok(None);
    };
    *state.opened_report.lock().await = Some(report.diagnosis.clone());
    Ok(Some(OpenedReport { path: path.display().to_string(), made_by: report.made_by, view: report.diagnosis.into() }))
}

/// A report (or support bundle) the admin picks in the native open dialog, read.
async fn pick_report(
    app: &AppHandle,
    state: &State<'_, AppState>,
    title: opnc_core::catalogue::Said,
) -> Result<Option<(std::path::PathBuf, opnc_core::doctor::ReportFile)>, ErrorView> {
    use opnc_core::said;
    let l = language(state);
    let (tx, rx) = tokio::sync::oneshot::channel();
    app.dialog()
        .file()
        .set_title(title.in_language(l))
        .set_directory(report_folder(app, state))
        .add_filter(said!("dialog-json_report").in_language(l), &["json"])
        .pick_file(move |path| {
            let _ = tx.send(path.and_then(|p| p.into_path().ok()));
        });
    let Some(path) = rx.await.ok().flatten() else { return Ok(None) };
    let text = std::fs::read_to_string(&path).map_err(|e| {
        local_failure(said!("error-report_not_read", path = path.display(), reason = e), said!("hint-report_not_read"))
    })?;
    let report = opnc_core::doctor::ReportFile::read(&text).map_err(|e| {
        local_failure(
            said!("error-report_not_a_report", path = path.display(), reason = e),
            said!("hint-report_not_a_report"),
        )
    })?;
    remember_report_folder(state, &path);
    Ok(Some((path, report)))
}

/// The diagnosis with a test sign-in through the identity provider in a window (SSO pairs). For an external
/// provider, OpenProject's client there: its id and secret, held for this sign-in only.
#[tauri::command]
pub async fn test_sign_in(
    app: AppHandle,
    state: State<'_, AppState>,
    openproject_client_id: Option<String>,
    openproject_client_secret: Option<String>,
) -> Result<opnc_core::picture::DiagnosisView, ErrorView> {
    let pair = signed_in(&state).await?;
    let request = opnc_core::sso_sign_in::SignInRequest {
        openproject_client_id: openproject_client_id.filter(|s| !s.trim().is_empty()),
        openproject_client_secret: openproject_client_secret
            .filter(|s| !s.is_empty())
            .map(opnc_core::SecretString::from),
        openproject_provider: None,
    };
    let face = move |prompt: opnc_core::sso_sign_in::SignInPrompt| -> opnc_core::sso_sign_in::SignInAnswer {
        let app = app.clone();
        Box::pin(async move { crate::signin_window::test_sign_in(&app, prompt).await })
    };
    let diagnosis = pair.diagnose_with_sign_in(&request, &face).await;
    *state.last_diagnosis.lock().await = Some(diagnosis.clone());
    Ok(diagnosis.into())
}

/// Asks in a native dialog whose buttons name the action (`action`) and Cancel; `true` when the admin chose the
/// action. On Linux the action's first letter is its keyboard shortcut (Alt+letter), as GTK marks it.
async fn confirm(app: &AppHandle, l: Language, title: &str, text: String, action: &str) -> bool {
    let label = if cfg!(target_os = "linux") { format!("_{action}") } else { action.to_owned() };
    let cancel = opnc_core::catalogue::text(l, "dialog-cancel");
    let (tx, rx) = tokio::sync::oneshot::channel();
    app.dialog()
        .message(text)
        .title(title)
        .kind(MessageDialogKind::Warning)
        .buttons(MessageDialogButtons::OkCancelCustom(label, cancel))
        .show(move |ok| {
            let _ = tx.send(ok);
        });
    rx.await.unwrap_or(false)
}

fn cancelled() -> ErrorView {
    PairError::Cancelled(Cancelled::Confirmation).view()
}

/// The existing connection, proven from both sides.
#[tauri::command]
pub async fn connection_state(state: State<'_, AppState>) -> Result<ConnectionState, ErrorView> {
    Ok(signed_in(&state).await?.state().await?)
}

/// A reset, after a native confirmation that says exactly what it invalidates.
#[tauri::command]
pub async fn reset(app: AppHandle, state: State<'_, AppState>, kind: ResetKind) -> Result<ResetOutcome, ErrorView> {
    let pair = signed_in(&state).await?;
    let impact = pair.reset_impact(kind).await?;
    let l = language(&state);
    let (title, action) = match kind {
        ResetKind::NextcloudOauth => ("dialog-reset_nextcloud_title", "dialog-replace"),
        ResetKind::AppPassword => ("dialog-rotate_title", "dialog-rotate"),
        ResetKind::OpenprojectOauth => ("dialog-reset_openproject_title", "dialog-replace"),
    };
    let (title, action) = (opnc_core::catalogue::text(l, title), opnc_core::catalogue::text(l, action));
    if !confirm(&app, l, &title, impact.text.in_language(l), &action).await {
        return Err(cancelled());
    }
    let outcome = pair.reset(kind).await;
    if outcome.is_ok() {
        pair.keep_baseline(&state.jobs).await;
    }
    // Where the hand-off is offered instead, the wizard shows it; there is no result to tell yet.
    if !outcome.as_ref().is_err_and(PairError::offers_handoff) {
        show_reset_result(&app, l, &outcome.clone().map_err(ErrorView::from));
    }
    Ok(outcome?)
}

fn show_reset_result(app: &AppHandle, l: Language, outcome: &Result<ResetOutcome, ErrorView>) {
    let text = match outcome {
        Ok(o) => format!(
            "{} {}",
            opnc_core::said!("dialog-reset_done", checks = o.proof.checks.len()).in_language(l),
            o.kind.afterwards().in_language(l)
        ),
        Err(e) => format!("{}\n\n{}", e.message_in(l), e.hint_in(l)),
    };
    let title = opnc_core::catalogue::text(
        l,
        if outcome.is_ok() { "dialog-reset_done_title" } else { "dialog-reset_failed_title" },
    );
    app.dialog().message(text).title(title).show(|_| {});
}

/// The window's language, which its dialogs speak.
fn language(state: &State<'_, AppState>) -> Language {
    *state.language.lock().unwrap_or_else(|p| p.into_inner())
}

/// The window switched its language (and says it at start): the native dialogs follow.
#[tauri::command]
pub fn set_language(state: State<'_, AppState>, language: Language) {
    *state.language.lock().unwrap_or_else(|p| p.into_inner()) = language;
}

/// Deletes the connection on both servers after a native confirmation that states the impact; says so, without
/// asking, when there is nothing to delete.
#[tauri::command]
pub async fn delete_connection(app: AppHandle, state: State<'_, AppState>) -> Result<(), ErrorView> {
    let l = language(&state);
    let pair = signed_in(&state).await?;
    let impact = pair.delete_impact().await?;
    let text = |key: &str| opnc_core::catalogue::text(l, key);
    if impact.nothing_to_delete() {
        app.dialog()
            .message(opnc_core::setup::connection::describe_nothing(&impact).in_language(l))
            .title(text("dialog-nothing_to_delete_title"))
            .show(|_| {});
        return Ok(());
    }
    let impact_text = opnc_core::setup::connection::describe_impact(&impact).in_language(l);
    if !confirm(&app, l, &text("dialog-delete_title"), impact_text, &text("dialog-delete")).await {
        return Err(cancelled());
    }
    let result = pair.delete(&impact).await.map_err(ErrorView::from);
    let body = match &result {
        Ok(deleted) => opnc_core::setup::connection::describe_deleted(deleted).in_language(l),
        Err(e) => format!("{}\n\n{}", e.message_in(l), e.hint_in(l)),
    };
    let title = text(if result.is_ok() { "dialog-deleted_title" } else { "dialog-delete_failed_title" });
    app.dialog().message(body).title(title).show(|_| {});
    result.map(drop)
}

/// Demo mode only: the next apply fails at Nextcloud, so a training can show the rollback of both sides.
#[tauri::command]
pub async fn demo_fail_next_apply(state: State<'_, AppState>) -> Result<(), ErrorView> {
    state.fail_next_apply().await
}

/// Opens the folder with the app's log files (for support: secrets are never in them).
#[tauri::command]
pub fn open_logs_folder(folder: State<'_, crate::state::LogFolder>) -> Result<String, ErrorView> {
    let _ = open::that_detached(&folder.0);
    Ok(folder.0.display().to_string())
}

/// Cancels a running apply: before its first change nothing happens; after it, it rolls back.
#[tauri::command]
pub fn cancel_apply(state: State<'_, AppState>) {
    state.cancel_apply.store(true, std::sync::atomic::Ordering::SeqCst);
}
