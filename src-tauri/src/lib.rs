//! The desktop shell: wiring only. Every command delegates into `opnc-core`.

mod commands;
mod state;

pub fn run() {
    tauri::Builder::default()
        .plugin(tauri_plugin_dialog::init())
        .manage(state::AppState::new())
        .invoke_handler(tauri::generate_handler![
            commands::check_url,
            commands::start_demo,
            commands::sign_in,
            commands::nextcloud_browser_sign_in,
            commands::cancel_browser_sign_in,
            commands::open_openproject_tokens,
            commands::review,
            commands::apply,
            commands::diagnose,
            commands::connection_state,
            commands::reset,
            commands::delete_connection,
            commands::demo_fail_next_apply,
        ])
        .run(tauri::generate_context!())
        .unwrap_or_else(|error| {
            eprintln!("the desktop app could not start: {error}");
            std::process::exit(1);
        });
}
