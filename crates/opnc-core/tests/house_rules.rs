//! Rules of the house that a read of the source can check: version gates live in `compat.rs`, and the core's
//! words for people name no face's commands or flags (each face renders the core's remedies itself).

use std::path::{Path, PathBuf};

fn sources(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap().filter_map(Result::ok) {
        let path = entry.path();
        if path.is_dir() {
            out.extend(sources(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
    out
}

/// The lines of the core's sources outside their `#[cfg(test)]` modules and comments.
fn code_lines() -> Vec<(String, usize, String)> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut lines = Vec::new();
    for path in sources(&src) {
        let name = path.strip_prefix(&src).unwrap().display().to_string();
        let text = std::fs::read_to_string(&path).unwrap();
        for (number, line) in text.lines().enumerate() {
            if line.trim_start().starts_with("#[cfg(test)]") {
                break;
            }
            if !line.trim_start().starts_with("//") {
                lines.push((name.clone(), number + 1, line.to_owned()));
            }
        }
    }
    lines
}

#[test]
fn version_gates_live_in_compat() {
    // `v(14, 5, 0)` and the like: a version built from numbers.
    let literal = |line: &str| {
        line.match_indices("v(").any(|(at, _)| {
            let before = line[..at].chars().last();
            let after = line[at + 2..].chars().next();
            !before.is_some_and(|c| c.is_alphanumeric() || c == '_') && after.is_some_and(|c| c.is_ascii_digit())
        })
    };
    let outside: Vec<_> = code_lines()
        .into_iter()
        .filter(|(file, _, line)| file != "compat.rs" && file != "version.rs" && literal(line))
        .collect();
    assert!(outside.is_empty(), "version literals outside compat.rs: {outside:#?}");
}

#[test]
fn the_cores_words_name_no_faces_commands() {
    // In string literals only: the words people read.
    let face = |line: &str| {
        line.split('"').skip(1).step_by(2).any(|text| {
            ["`opnc ", "run opnc", "--replace", "--storage-name", "--no-project-folders", "--enable-apps"]
                .iter()
                .any(|w| text.contains(w))
        })
    };
    let found: Vec<_> = code_lines().into_iter().filter(|(_, _, line)| face(line)).collect();
    assert!(found.is_empty(), "face-specific words in the core: {found:#?}");
}
