//! The README's two commands on a machine that has none of the packages they need: `scripts/test` must set the
//! machine up itself before it uses anything (a fresh machine once failed with `gnome-keyring-daemon: command
//! not found`), and `scripts/run` must build only what the chosen way needs, and only what changed.
//!
//! The scripts run for real, from a copy of `scripts/` and `ui/` in a folder of their own, with a PATH that
//! holds the machine's ordinary tools but none of the packages' programs. Stand-ins for `apt-get`,
//! `dpkg-query`, `cargo` and `npm` write what they were asked to a log; the `apt-get` stand-in "installs" a
//! package by putting stand-ins for its programs on the PATH, so a script that uses a program before it set the
//! machine up fails as it would on a fresh machine.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// Programs that the packages of `scripts/setup` (and rustup, Node.js) provide: hidden from the PATH.
const HIDDEN: &[&str] = &[
    "gnome-keyring-daemon",
    "gnome-keyring",
    "dbus-run-session",
    "dbus-daemon",
    "dbus-launch",
    "xvfb-run",
    "Xvfb",
    "xauth",
    "xdotool",
    "WebKitWebDriver",
    "convert",
    "magick",
    "pkg-config",
    "tauri-driver",
    "cargo",
    "rustc",
    "rustup",
    "npm",
    "npx",
    "node",
    "opnc",
];

/// The stand-ins `apt-get install` puts on the PATH, per package.
const PROVIDES: &[(&str, &str)] = &[
    ("gnome-keyring", "gnome-keyring-daemon"),
    ("dbus-x11", "dbus-launch"),
    ("xvfb", "xvfb-run"),
    ("xdotool", "xdotool"),
    ("webkit2gtk-driver", "WebKitWebDriver"),
    ("pkg-config", "pkg-config"),
];

struct Machine {
    root: PathBuf,
    /// The copy of the project the scripts run in.
    project: PathBuf,
    home: PathBuf,
    installed: PathBuf,
    log: PathBuf,
    path: String,
}

fn write_program(path: &Path, body: &str) {
    fs::write(path, format!("#!/bin/bash\n{body}\n")).unwrap();
    fs::set_permissions(path, fs::Permissions::from_mode(0o755)).unwrap();
}

fn copy_tree(from: &Path, to: &Path, skip: &[&str]) {
    fs::create_dir_all(to).unwrap();
    for entry in fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let name = entry.file_name();
        if skip.iter().any(|s| name == *s) {
            continue;
        }
        let target = to.join(&name);
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &target, skip);
        } else {
            fs::copy(entry.path(), &target).unwrap();
        }
    }
}

impl Machine {
    /// A machine without the packages: ordinary tools only, and the logging stand-ins.
    fn fresh(name: &str) -> Self {
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos();
        let root = std::env::temp_dir().join(format!("opnc-fresh-{name}-{}-{nanos:x}", std::process::id()));
        let repo = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf();
        let project = root.join("project");
        copy_tree(&repo.join("scripts"), &project.join("scripts"), &[]);
        copy_tree(&repo.join("ui"), &project.join("ui"), &["node_modules", "dist", ".dist-inputs.sha256"]);
        let (tools, stand_ins, installed, home) =
            (root.join("tools"), root.join("stand-ins"), root.join("installed"), root.join("home"));
        for dir in [&tools, &stand_ins, &installed.join("bin"), &installed.join("packages"), &home] {
            fs::create_dir_all(dir).unwrap();
        }
        // The machine's ordinary tools, without the packages' programs.
        for dir in ["/usr/local/bin", "/usr/bin", "/bin"] {
            let Ok(entries) = fs::read_dir(dir) else { continue };
            for entry in entries.flatten() {
                let name = entry.file_name();
                let link = tools.join(&name);
                if HIDDEN.iter().any(|h| name == *h) || link.exists() {
                    continue;
                }
                let _ = std::os::unix::fs::symlink(entry.path(), link);
            }
        }
        let log = root.join("log");
        fs::write(&log, "").unwrap();
        let record = format!("echo \"$(basename \"$0\") $*\" >>{}", log.display());
        write_program(&stand_ins.join("sudo"), &format!("{record}\nexec \"$@\""));
        write_program(
            &stand_ins.join("dpkg-query"),
            &format!(
                "[ -e {}/packages/\"${{@: -1}}\" ] && echo -n 'install ok installed' || exit 1",
                installed.display()
            ),
        );
        let provides: String =
            PROVIDES.iter().map(|(package, program)| format!("  {package}) make {program} ;;\n")).collect();
        write_program(
            &stand_ins.join("apt-get"),
            &format!(
                r#"{record}
bin={bin}
make() {{
  case "$1" in
    dbus-run-session) printf '#!/bin/bash\nwhile [ "$1" != "--" ]; do shift; done; shift; exec "$@"\n' >"$bin/$1" ;;
    xvfb-run) printf '#!/bin/bash\necho "xvfb-run $*" >>{log}\nwhile [ "${{1#-}}" != "$1" ]; do [ "$1" = -s ] && shift; shift; done; exec "$@"\n' >"$bin/$1" ;;
    *) printf '#!/bin/bash\necho "%s $*" >>{log}\ncat >/dev/null\n' "$1" >"$bin/$1" ;;
  esac
  chmod +x "$bin/$1"
}}
[ "$1" = update ] && exit 0
for package in "$@"; do
  case "$package" in -*|install) continue ;; esac
  touch {installed}/packages/"$package"
  case "$package" in
{provides}    dbus) make dbus-run-session; make dbus-daemon ;;
  esac
done"#,
                bin = installed.join("bin").display(),
                log = log.display(),
                installed = installed.display(),
            ),
        );
        // cargo: `install` leaves the program where cargo installs programs; `build --release -p X` leaves X.
        write_program(
            &stand_ins.join("cargo"),
            &format!(
                r#"{record}
case "$1" in
  install)
    for a in "$@"; do [ "$a" = tauri-driver ] && make=tauri-driver; [ "$a" = crates/opnc-cli ] && make=opnc; done
    mkdir -p "$HOME/.cargo/bin"
    printf '#!/bin/bash\necho "%s $*" >>{log}\n' "$make" >"$HOME/.cargo/bin/$make"
    chmod +x "$HOME/.cargo/bin/$make" ;;
  build)
    mkdir -p target/release
    printf '#!/bin/bash\necho "opnc-desktop started" >>{log}\n' >target/release/opnc-desktop
    chmod +x target/release/opnc-desktop ;;
esac"#,
                log = log.display()
            ),
        );
        write_program(
            &stand_ins.join("npm"),
            &format!("{record}\ncase \"$*\" in *build*) mkdir -p dist && echo built >dist/index.html ;; *ci*) mkdir -p node_modules ;; esac"),
        );
        let path = format!("{}:{}:{}", stand_ins.display(), installed.join("bin").display(), tools.display());
        Machine { root, project, home, installed, log, path }
    }

    /// As if `scripts/setup` had run before: every package present.
    fn with_packages(self) -> Self {
        let setup = fs::read_to_string(self.project.join("scripts/setup")).unwrap();
        let list = setup.split("packages=(").nth(1).and_then(|s| s.split(')').next()).unwrap().to_owned();
        let out = self.run("apt-get", &["install", "-y"], &list.split_whitespace().collect::<Vec<_>>(), &[]);
        assert!(out.status.success());
        fs::write(&self.log, "").unwrap();
        self
    }

    fn run(&self, program: &str, args: &[&str], more: &[&str], env: &[(&str, &str)]) -> Output {
        let program = if program.starts_with("scripts/") { self.project.join(program) } else { program.into() };
        let mut cmd = Command::new(program);
        cmd.args(args)
            .args(more)
            .current_dir(&self.project)
            .env_clear()
            .env("PATH", &self.path)
            .env("HOME", &self.home)
            .env("TMPDIR", self.root.join("tmp"));
        fs::create_dir_all(self.root.join("tmp")).unwrap();
        for (k, v) in env {
            cmd.env(k, v);
        }
        cmd.output().expect("the script runs")
    }

    fn script(&self, name: &str, env: &[(&str, &str)]) -> Output {
        self.run(&format!("scripts/{name}"), &[], &[], env)
    }

    fn log(&self) -> Vec<String> {
        fs::read_to_string(&self.log).unwrap().lines().map(str::to_owned).collect()
    }
}

impl Drop for Machine {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.root);
    }
}

fn shown(out: &Output) -> String {
    format!(
        "rc {:?}\n{}{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn position(log: &[String], wanted: impl Fn(&str) -> bool) -> Option<usize> {
    log.iter().position(|l| wanted(l))
}

#[test]
fn the_test_command_sets_up_a_fresh_machine_before_it_uses_anything() {
    let machine = Machine::fresh("test");
    assert!(!machine.installed.join("bin/gnome-keyring-daemon").exists());
    let out = machine.script("test", &[]);
    let log = machine.log();
    assert!(out.status.success(), "scripts/test on a fresh machine: {}\nlog:\n{}", shown(&out), log.join("\n"));
    let install =
        position(&log, |l| l.starts_with("apt-get") && l.contains(" install ") && l.contains("gnome-keyring"))
            .unwrap_or_else(|| panic!("the packages are installed: {log:#?}"));
    let keyring = position(&log, |l| l.starts_with("gnome-keyring-daemon --unlock"))
        .unwrap_or_else(|| panic!("the keyring is started: {log:#?}"));
    assert!(install < keyring, "installed before use: {log:#?}");
    for wanted in ["cargo fmt --all -- --check", "cargo clippy --workspace", "cargo test --workspace"] {
        let at = position(&log, |l| l.starts_with(wanted)).unwrap_or_else(|| panic!("{wanted} runs: {log:#?}"));
        assert!(install < at);
    }
    assert!(position(&log, |l| l.starts_with("xvfb-run")).is_some(), "the GUI test gets a display: {log:#?}");
    assert!(position(&log, |l| l.starts_with("cargo install") && l.contains("tauri-driver")).is_some());
}

#[test]
fn ci_runs_exactly_the_readme_test_command() {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let readme = fs::read_to_string(repo.join("README.md")).unwrap();
    let ci = fs::read_to_string(repo.join(".ci/run")).unwrap();
    let commands: Vec<&str> =
        ci.lines().map(str::trim).filter(|l| l.starts_with("scripts/") || l.starts_with("bash ")).collect();
    assert_eq!(commands.first(), Some(&"scripts/test"), ".ci/run starts with the README's test command: {commands:?}");
    assert!(readme.contains("\n    scripts/test\n"), "the README names scripts/test as its test command");
    assert!(!commands.contains(&"scripts/setup"), "the test command sets up by itself: {commands:?}");
}

#[test]
fn run_without_a_display_installs_and_starts_the_command_line_without_building_the_front_end() {
    let machine = Machine::fresh("run-cli").with_packages();
    let out = machine.script("run", &[]);
    let log = machine.log();
    assert!(out.status.success(), "{}\nlog: {log:#?}", shown(&out));
    assert!(!log.iter().any(|l| l.starts_with("npm")), "the command line needs no front end: {log:#?}");
    let install = position(&log, |l| l.starts_with("cargo install --locked --path crates/opnc-cli"))
        .unwrap_or_else(|| panic!("opnc is installed: {log:#?}"));
    assert!(!log[install].contains("--quiet"), "the build shows its progress: {}", log[install]);
    let started = position(&log, |l| l == "opnc sim").unwrap_or_else(|| panic!("opnc sim runs: {log:#?}"));
    assert!(install < started);
    let text = shown(&out);
    assert!(text.contains("first build of opnc takes about"), "says how long the first build takes: {text}");
    assert!(text.contains("no display"), "says which way it took: {text}");
}

#[test]
fn run_with_a_display_builds_the_front_end_once_and_never_rewrites_it_unchanged() {
    let machine = Machine::fresh("run-gui").with_packages();
    let display = [("DISPLAY", ":99")];
    let out = machine.script("run", &display);
    let log = machine.log();
    assert!(out.status.success(), "{}\nlog: {log:#?}", shown(&out));
    assert!(position(&log, |l| l.starts_with("npm ci")).is_some(), "{log:#?}");
    assert!(position(&log, |l| l.starts_with("npm run") && l.contains("build")).is_some(), "{log:#?}");
    let build = position(&log, |l| l.starts_with("cargo build --locked --release -p opnc-desktop")).unwrap();
    assert!(!log[build].contains("--quiet"));
    assert!(position(&log, |l| l == "opnc-desktop started").is_some(), "{log:#?}");
    assert!(shown(&out).contains("first build of the desktop app takes about"));
    assert!(!log.iter().any(|l| l.contains("opnc-cli")), "the desktop way does not build the CLI: {log:#?}");

    let dist = machine.project.join("ui/dist/index.html");
    let written = fs::metadata(&dist).unwrap().modified().unwrap();
    fs::write(&machine.log, "").unwrap();
    std::thread::sleep(std::time::Duration::from_millis(20));
    let out = machine.script("run", &display);
    let log = machine.log();
    assert!(out.status.success(), "{}", shown(&out));
    assert!(!log.iter().any(|l| l.starts_with("npm")), "nothing changed, nothing rebuilt: {log:#?}");
    assert_eq!(fs::metadata(&dist).unwrap().modified().unwrap(), written, "ui/dist untouched");
    assert!(!shown(&out).contains("first build"), "no first-build warning once built: {}", shown(&out));

    // A changed source is built again (but npm ci only when the lock file changes).
    fs::write(machine.project.join("ui/src/extra.ts"), "export const x = 1;\n").unwrap();
    fs::write(&machine.log, "").unwrap();
    let out = machine.script("run", &display);
    let log = machine.log();
    assert!(out.status.success(), "{}", shown(&out));
    assert!(position(&log, |l| l.starts_with("npm run") && l.contains("build")).is_some(), "{log:#?}");
    assert!(!log.iter().any(|l| l.starts_with("npm ci")), "{log:#?}");
}
