//! Tauri commands: delegates into the core, errors as `{code, message, hint}`.

use opnc_core::{ErrorView, Server, ServerUrl, UrlPolicy};

/// Normalises a server URL the way every client does, so the wizard shows what will be used.
#[tauri::command]
pub fn check_url(server: Server, input: String, allow_insecure_http: bool) -> Result<String, ErrorView> {
    ServerUrl::parse(&input, UrlPolicy { allow_insecure_http })
        .map(|u| u.to_string())
        .map_err(|e| e.for_server(server).view())
}
