//! The desktop shell: wiring only. Every command is a one- or two-line delegate into `opnc-core`.

mod commands;

pub fn run() {
    tauri::Builder::default()
        .invoke_handler(tauri::generate_handler![commands::check_url])
        .run(tauri::generate_context!())
        .unwrap_or_else(|error| {
            eprintln!("the desktop app could not start: {error}");
            std::process::exit(1);
        });
}
