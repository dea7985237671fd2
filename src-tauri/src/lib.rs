//! The desktop shell: wiring only. Every command delegates into `opnc-core`.

mod commands;
mod signin_window;
mod state;

/// Keeps the log writer alive for the app's lifetime.
struct LogGuard(#[allow(dead_code)] tracing_appender::non_blocking::WorkerGuard);

/// Logs go to a daily file in the OS log folder, the newest seven kept. Nothing secret is logged: secrets
/// live in `Sensitive` values that print as `<redacted>`, and requests are logged by method and path only.
fn start_logging(dir: &std::path::Path) -> Option<tracing_appender::non_blocking::WorkerGuard> {
    let appender = tracing_appender::rolling::Builder::new()
        .rotation(tracing_appender::rolling::Rotation::DAILY)
        .filename_prefix("opnc-desktop")
        .filename_suffix("log")
        .max_log_files(7)
        .build(dir)
        .ok()?;
    let (writer, guard) = tracing_appender::non_blocking(appender);
    let requested = std::env::var("OPNC_LOG").unwrap_or_else(|_| "info".into());
    let filter = tracing_subscriber::EnvFilter::try_new(opnc_core::log_directives(&requested))
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(opnc_core::log_directives("info")));
    tracing_subscriber::fmt().with_env_filter(filter).with_writer(writer).with_ansi(false).try_init().ok()?;
    Some(guard)
}

/// WebKitGTK draws the wizard in software, without its GPU compositing: a page of forms and lists gains nothing
/// from it, and it costs about 100 MB (the GL stack, llvmpipe's LLVM among it, mapped into both processes, and the
/// layers' backing stores) — a third of the app's memory. It also avoids the blank windows some GPU drivers give
/// WebKitGTK. An admin's own setting of the variable wins. Set before any thread or web process starts.
fn render_without_compositing() {
    #[cfg(target_os = "linux")]
    if std::env::var_os("WEBKIT_DISABLE_COMPOSITING_MODE").is_none() {
        std::env::set_var("WEBKIT_DISABLE_COMPOSITING_MODE", "1");
    }
}

pub fn run() {
    render_without_compositing();
    tauri::Builder::default()
        .plugin(tauri_plugin_dialog::init())
        .setup(|app| {
            use tauri::Manager;
            if let Ok(dir) = app.path().app_log_dir() {
                let _ = std::fs::create_dir_all(&dir);
                if let Some(guard) = start_logging(&dir) {
                    app.manage(LogGuard(guard));
                }
                app.manage(state::LogFolder(dir));
            }
            tracing::info!("desktop app started");
            Ok(())
        })
        .manage(state::AppState::new())
        .invoke_handler(tauri::generate_handler![
            commands::check_url,
            commands::set_language,
            commands::start_demo,
            commands::sign_in,
            commands::nextcloud_browser_sign_in,
            commands::cancel_browser_sign_in,
            commands::open_openproject_tokens,
            commands::openproject_window_sign_in,
            commands::cancel_openproject_window,
            commands::start_demo_servers,
            commands::list_projects,
            commands::enable_projects,
            commands::open_page,
            commands::interrupted_jobs,
            commands::sign_out,
            commands::folder_id_from_link,
            commands::watch_openproject_replace,
            commands::give_openproject_oauth,
            commands::watch_projects,
            commands::cancel_watch,
            commands::review,
            commands::demo_identity_provider,
            commands::reveal_handoff_secret,
            commands::watch_openproject_provider,
            commands::create_openproject_provider,
            commands::apply,
            commands::cancel_apply,
            commands::diagnose,
            commands::test_sign_in,
            commands::export_report,
            commands::open_report,
            commands::compare_report,
            commands::watch_round,
            commands::export_bundle,
            commands::connection_state,
            commands::reset,
            commands::delete_connection,
            commands::demo_fail_next_apply,
            commands::open_logs_folder,
        ])
        .build(tauri::generate_context!())
        .unwrap_or_else(|error| {
            eprintln!("the desktop app could not start: {error}");
            std::process::exit(1);
        })
        .run(|app, event| {
            // Closing the app ends what waits for the admin (watches, the browser sign-in), stops a running apply
            // (which rolls back what it changed), then signs out: a browser sign-in's app password that was not
            // remembered is revoked. Bounded, so that closing never hangs.
            if let tauri::RunEvent::Exit = event {
                use std::sync::atomic::Ordering;
                use tauri::Manager;
                let state = app.state::<state::AppState>();
                state.cancel_watch.store(true, Ordering::SeqCst);
                state.cancel_browser.store(true, Ordering::SeqCst);
                state.cancel_apply.store(true, Ordering::SeqCst);
                let signed_out = tokio::time::timeout(std::time::Duration::from_secs(20), state.sign_out());
                if tauri::async_runtime::block_on(signed_out).is_err() {
                    tracing::warn!("sign-out at exit did not finish in 20 s");
                }
            }
        });
}
