//! The app's configuration lives once, at the top of the repository (`tauri.conf.json`). Tauri's build and its
//! CLI read it from the shell's folder, so it is copied there (gitignored) before they run; edit the top one.

fn main() {
    let top = std::path::Path::new("../tauri.conf.json");
    println!("cargo:rerun-if-changed=../tauri.conf.json");
    let config = std::fs::read(top).expect("the app's tauri.conf.json at the top of the repository");
    let here = std::path::Path::new("tauri.conf.json");
    if std::fs::read(here).ok().as_deref() != Some(config.as_slice()) {
        std::fs::write(here, &config).expect("src-tauri/tauri.conf.json could not be written");
    }
    tauri_build::build()
}
