//! The simulator's modules import each other in one direction (no cycle), so each can be read and changed on
//! its own: `common`/`runner` ← `openproject_session` ← `openproject` ← `openproject_web` ← `lib`.
//! The graph is read from the sources (`crate::module` paths); anyone can print it with
//! `grep -o 'crate::[a-z_]*' crates/opnc-sim/src/*.rs | sort -u`.

use std::collections::{BTreeMap, BTreeSet};

fn graph() -> BTreeMap<String, BTreeSet<String>> {
    let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut modules = BTreeMap::new();
    for entry in std::fs::read_dir(&src).unwrap().filter_map(Result::ok) {
        let path = entry.path();
        let Some(name) = path.file_stem().and_then(|n| n.to_str()).map(str::to_owned) else { continue };
        if path.extension().is_none_or(|e| e != "rs") || name == "lib" {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        // Without the file's own tests.
        let code = text.split("#[cfg(test)]").next().unwrap_or_default();
        let uses: BTreeSet<String> = code
            .match_indices("crate::")
            .map(|(at, _)| {
                code[at + 7..].chars().take_while(|c| c.is_ascii_lowercase() || *c == '_').collect::<String>()
            })
            .filter(|m| !m.is_empty() && *m != name)
            .collect();
        modules.insert(name, uses);
    }
    modules
}

fn reaches(graph: &BTreeMap<String, BTreeSet<String>>, from: &str, to: &str, seen: &mut BTreeSet<String>) -> bool {
    let Some(next) = graph.get(from) else { return false };
    next.iter().any(|n| n == to || (seen.insert(n.clone()) && reaches(graph, n, to, seen)))
}

#[test]
fn no_module_of_the_simulator_imports_one_that_imports_it() {
    let graph = graph();
    assert!(graph.contains_key("openproject") && graph.contains_key("openproject_web"), "{graph:?}");
    let cycles: Vec<_> = graph.keys().filter(|m| reaches(&graph, m, m, &mut BTreeSet::new())).cloned().collect();
    assert!(cycles.is_empty(), "modules in an import cycle: {cycles:?}; the graph: {graph:#?}");
    assert!(graph["openproject_web"].contains("openproject"), "the pages build on the API's state");
}
