//! The words people read, from one catalogue in English and German (Project Fluent: `locales/en.ftl`,
//! `locales/de.ftl`), keyed by the engine's codes — a finding's code, a check, a phase, a severity, a verdict, a
//! server — so no face ever matches on English text. Fluent brings each language's plural rules, which the verdict
//! lines need ("one warning" / "2 warnings", "einer Warnung" / "2 Warnungen").
//!
//! Both files are compiled in; a key missing in either language, or a placeholder that differs, fails the tests
//! below (every code of every enum is looked up in both).

use std::collections::BTreeMap;
use std::sync::OnceLock;

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource};
use serde::{Deserialize, Serialize};

/// A language the assistant speaks.
#[derive(ts_rs::TS, Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Language {
    #[default]
    En,
    De,
}

impl Language {
    pub const ALL: [Language; 2] = [Language::En, Language::De];

    /// The language for a locale or language tag (`de_DE.UTF-8`, `de-AT`, `en`); English for anything else.
    pub fn from_locale(locale: &str) -> Self {
        let tag = locale.split(['.', '@']).next().unwrap_or_default().replace('_', "-");
        match tag.parse::<unic_langid::LanguageIdentifier>() {
            Ok(id) if id.language.as_str() == "de" => Language::De,
            _ => Language::En,
        }
    }

    /// The language of the environment: `LC_ALL`, `LC_MESSAGES`, then `LANG`, as POSIX orders them.
    pub fn from_environment() -> Self {
        ["LC_ALL", "LC_MESSAGES", "LANG"]
            .iter()
            .filter_map(|v| std::env::var(v).ok())
            .find(|v| !v.is_empty())
            .map(|v| Self::from_locale(&v))
            .unwrap_or_default()
    }

    fn source(self) -> &'static str {
        match self {
            Language::En => include_str!("../locales/en.ftl"),
            Language::De => include_str!("../locales/de.ftl"),
        }
    }

    fn tag(self) -> &'static str {
        match self {
            Language::En => "en",
            Language::De => "de",
        }
    }
}

struct Catalogue {
    bundle: FluentBundle<FluentResource>,
}

fn catalogue(language: Language) -> &'static Catalogue {
    static EN: OnceLock<Catalogue> = OnceLock::new();
    static DE: OnceLock<Catalogue> = OnceLock::new();
    let cell = match language {
        Language::En => &EN,
        Language::De => &DE,
    };
    cell.get_or_init(|| {
        // A syntax error is a test failure (below), never a crash: the entries that parse are used.
        let resource = FluentResource::try_new(language.source().to_owned()).unwrap_or_else(|(partial, _)| partial);
        let lang: unic_langid::LanguageIdentifier = language.tag().parse().unwrap_or_default();
        let mut bundle = FluentBundle::new_concurrent(vec![lang]);
        // Placeholders go into sentences as they are, without Unicode isolation marks around them.
        bundle.set_use_isolating(false);
        let _ = bundle.add_resource(resource);
        Catalogue { bundle }
    })
}

/// The text for `key` with `args`; the key itself where the catalogue has none (the tests make that never happen
/// for the engine's codes).
pub fn text_with(language: Language, key: &str, args: &[(&str, i64)]) -> String {
    let c = catalogue(language);
    let Some(pattern) = c.bundle.get_message(key).and_then(|m| m.value()) else {
        return key.to_owned();
    };
    let mut fluent_args = FluentArgs::new();
    for (name, value) in args {
        fluent_args.set(*name, *value);
    }
    let mut errors = Vec::new();
    c.bundle.format_pattern(pattern, Some(&fluent_args), &mut errors).into_owned()
}

/// A text by its catalogue key and the values of its placeholders, so that each face says it in its own
/// language (the desktop follows its switch, the CLI its locale, a report the language it is exported in).
#[derive(ts_rs::TS, Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Said {
    pub key: String,
    #[serde(default)]
    pub args: BTreeMap<String, SaidArg>,
}

/// A placeholder's value: shown as it is (names, addresses, versions, counts), or itself a text of the catalogue
/// (a server's name, which German says differently).
#[derive(ts_rs::TS, Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum SaidArg {
    Shown(String),
    Said(Said),
}

impl Said {
    pub fn new(key: impl Into<String>) -> Self {
        Self { key: key.into(), args: BTreeMap::new() }
    }

    /// A placeholder's value, as it is shown (names, addresses, versions, counts).
    pub fn arg(mut self, name: &str, value: impl std::fmt::Display) -> Self {
        self.args.insert(name.to_owned(), SaidArg::Shown(value.to_string()));
        self
    }

    /// A placeholder whose value is itself said in the language.
    pub fn arg_said(mut self, name: &str, value: Said) -> Self {
        self.args.insert(name.to_owned(), SaidArg::Said(value));
        self
    }

    /// A placeholder naming a server.
    pub fn server(self, name: &str, server: crate::error::Server) -> Self {
        self.arg_said(name, Said::new(key("server", &server)))
    }

    /// The text in `language`.
    pub fn in_language(&self, language: Language) -> String {
        let c = catalogue(language);
        let Some(pattern) = c.bundle.get_message(&self.key).and_then(|m| m.value()) else {
            return self.key.clone();
        };
        let mut fluent_args = FluentArgs::new();
        for (name, value) in &self.args {
            match value {
                // Counts stay numbers, so that plural rules apply to them.
                SaidArg::Shown(v) => match v.parse::<i64>() {
                    Ok(n) => fluent_args.set(name.as_str(), n),
                    Err(_) => fluent_args.set(name.as_str(), v.clone()),
                },
                SaidArg::Said(inner) => fluent_args.set(name.as_str(), inner.in_language(language)),
            }
        }
        let mut errors = Vec::new();
        c.bundle.format_pattern(pattern, Some(&fluent_args), &mut errors).into_owned()
    }

    /// Texts in a row, "first; second; third" (`None` for none).
    pub fn list(items: &[Said]) -> Option<Said> {
        let (last, rest) = items.split_last()?;
        Some(rest.iter().rev().fold(last.clone(), |tail, item| {
            Said::new("list-next").arg_said("item", item.clone()).arg_said("rest", tail)
        }))
    }

    /// Sentences one after the other, separated by a space.
    pub fn sentences(items: &[Said]) -> Said {
        match items.split_first() {
            None => Said::new("plain").arg("text", ""),
            Some((first, [])) => first.clone(),
            Some((first, rest)) => {
                Said::new("list-sentences").arg_said("item", first.clone()).arg_said("rest", Self::sentences(rest))
            }
        }
    }

    /// The text in English, the language of logs and of the fields older reports have.
    pub fn english(&self) -> String {
        self.in_language(Language::En)
    }
}

/// A [`Said`]: `said!("finding-host-name-mismatch", setting = host_name, reached = reached_as)`.
#[macro_export]
macro_rules! said {
    ($key:literal $(, $name:ident = $value:expr)* $(,)?) => {
        $crate::catalogue::Said::new($key)$(.arg(stringify!($name), $value))*
    };
}

/// The text for a key without placeholders.
pub fn text(language: Language, key: &str) -> String {
    text_with(language, key, &[])
}

/// A code's key: its serialized name under a prefix (`finding-storage_missing`, `phase-proof`).
pub fn key<T: Serialize>(prefix: &str, code: &T) -> String {
    let name = serde_json::to_value(code).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default();
    format!("{prefix}-{name}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::doctor::{Check, Verdict};
    use crate::findings::Severity;
    use crate::setup::journal::Phase;

    /// The catalogue's keys in `language`, in file order.
    fn ids(language: Language) -> Vec<String> {
        let resource = FluentResource::try_new(language.source().to_owned()).unwrap_or_else(|(partial, _)| partial);
        resource
            .entries()
            .filter_map(|e| match e {
                fluent_syntax::ast::Entry::Message(m) => Some(m.id.name.to_owned()),
                _ => None,
            })
            .collect()
    }

    /// Every code of the enums the faces show, from the TypeScript bindings generated from them (drift-checked).
    fn codes(type_name: &str) -> Vec<String> {
        let bindings = include_str!("../../../ui/src/bindings.ts");
        let start = format!("export type {type_name} = ");
        let line = bindings.lines().find(|l| l.starts_with(&start)).unwrap_or_default();
        line[start.len()..].trim_end_matches(';').split('|').map(|c| c.trim().trim_matches('"').to_owned()).collect()
    }

    fn placeholders(language: Language, id: &str) -> Vec<String> {
        let source = language.source();
        let mut found = Vec::new();
        let mut in_message = false;
        for line in source.lines() {
            if line.starts_with(&format!("{id} =")) {
                in_message = true;
            } else if in_message && !line.starts_with(' ') {
                break;
            }
            if in_message {
                // A placeholder is `{ $name` (or a selector `{ $name ->`); a `$` in the text itself is text.
                for part in line.replace("{$", "{ $").split("{ $").skip(1) {
                    let name: String = part.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
                    if !found.contains(&name) {
                        found.push(name);
                    }
                }
            }
        }
        found.sort();
        found
    }

    #[test]
    fn both_files_parse_without_errors() {
        for language in Language::ALL {
            if let Err((_, errors)) = FluentResource::try_new(language.source().to_owned()) {
                panic!("{language:?}: {errors:?}");
            }
        }
    }

    #[test]
    fn every_code_has_a_text_in_both_languages_and_both_have_the_same_keys_and_placeholders() {
        let mut required = Vec::new();
        for (prefix, type_name) in [
            ("finding", "FindingCode"),
            ("check", "Check"),
            ("phase", "Phase"),
            ("severity", "Severity"),
            ("verdict", "Verdict"),
            ("server", "Server"),
            ("link", "LinkKind"),
            ("linkstatus", "LinkStatus"),
            ("access", "Access"),
            ("change", "ChangeKind"),
        ] {
            let list = codes(type_name);
            assert!(list.len() > 2, "{type_name} not found in the bindings");
            required.extend(list.into_iter().map(|c| format!("{prefix}-{c}")));
        }
        for (name, _) in crate::setup::proof::CHECKS {
            required.extend([format!("proof-{name}-ok"), format!("proof-{name}-failed")]);
        }
        for language in Language::ALL {
            let ids = &ids(language);
            let missing: Vec<&String> = required.iter().filter(|k| !ids.contains(k)).collect();
            assert!(missing.is_empty(), "{language:?} lacks {missing:?}");
        }
        let (en, de) = (&ids(Language::En), &ids(Language::De));
        assert_eq!(en, de, "the two languages have different keys (or orders)");
        for id in en {
            assert_eq!(placeholders(Language::En, id), placeholders(Language::De, id), "placeholders of {id}");
        }
        println!("catalogue: {} keys in each of {} languages", en.len(), Language::ALL.len());
    }

    /// The Rust and TypeScript sources of every face, to find the keys they name.
    fn sources(extension: &str) -> Vec<(std::path::PathBuf, String)> {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let mut found = Vec::new();
        let mut stack: Vec<std::path::PathBuf> =
            ["crates/opnc-core/src", "crates/opnc-cli/src", "src-tauri/src", "ui/src"]
                .iter()
                .map(|d| root.join(d))
                .collect();
        while let Some(dir) = stack.pop() {
            for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
                let path = entry.path();
                if path.is_dir() {
                    stack.push(path);
                } else if path.extension().is_some_and(|e| e == extension) {
                    found.push((path.clone(), std::fs::read_to_string(&path).unwrap_or_default()));
                }
            }
        }
        found
    }

    /// The string literals of a source that look like catalogue keys.
    fn key_literals(source: &str) -> Vec<String> {
        let prefixes = [
            "fm-",
            "ff-",
            "notrun-",
            "error-",
            "hint-",
            "url-",
            "tls-",
            "cli-",
            "dialog-",
            "plan-",
            "report-",
            "remedy-",
            "job-",
            "undone-",
            "reset-",
            "list-",
            "delete-",
            "deleted-",
            "label-",
            "signin-",
            "age-",
            "proof-failed",
            "projects-not",
            "projects-version",
            "projects-other",
        ];
        source
            .split('"')
            .skip(1)
            .step_by(2)
            .filter(|s| prefixes.iter().any(|p| s.starts_with(p)))
            .filter(|s| s.len() > 4 && s.chars().all(|c| c.is_ascii_lowercase() || c == '_' || c == '-'))
            .map(str::to_owned)
            .collect()
    }

    /// The placeholders a `said!("key", a = …, b = …)` gives, with the key.
    fn said_macros(source: &str) -> Vec<(String, Vec<String>)> {
        let mut found = Vec::new();
        // The CLI's `say!` takes the same arguments.
        for part in source.replace("say!(\"", "said!(\"").split("said!(\"").skip(1) {
            let Some((key, rest)) = part.split_once('"') else { continue };
            let (mut depth, mut names, mut current) = (0i32, Vec::new(), String::new());
            for c in rest.chars() {
                match c {
                    '(' | '[' | '{' => depth += 1,
                    ')' | ']' | '}' if depth == 0 => break,
                    ')' | ']' | '}' => depth -= 1,
                    ',' if depth == 0 => {
                        if let Some((name, _)) = current.split_once('=') {
                            names.push(name.trim().to_owned());
                        }
                        current.clear();
                        continue;
                    }
                    _ => {}
                }
                if depth == 0 {
                    current.push(c);
                }
            }
            if let Some((name, _)) = current.split_once('=') {
                names.push(name.trim().to_owned());
            }
            names.retain(|n| !n.is_empty() && n.chars().all(|c| c.is_alphanumeric() || c == '_'));
            found.push((key.to_owned(), names));
        }
        found
    }

    #[test]
    fn every_key_the_code_names_is_in_the_catalogue_with_the_placeholders_it_gives() {
        let ids = &ids(Language::En);
        let mut named = 0;
        // This file's own examples of keys that are not there are left out.
        for (path, source) in sources("rs").into_iter().filter(|(p, _)| !p.ends_with("catalogue.rs")) {
            for key in key_literals(&source) {
                named += 1;
                assert!(ids.contains(&key), "{} names {key:?}, which the catalogue lacks", path.display());
            }
            for (key, given) in said_macros(&source) {
                assert!(ids.contains(&key), "{} says {key:?}, which the catalogue lacks", path.display());
                for needed in placeholders(Language::En, &key) {
                    // Values the caller adds after the macro (`.server(…)`, `.arg_said(…)`) are chained on it.
                    let chained = source.contains(&format!("(\"{needed}\""));
                    assert!(
                        given.contains(&needed) || chained,
                        "{}: {key:?} needs ${needed}, given {given:?}",
                        path.display()
                    );
                }
            }
        }
        for (path, source) in sources("ts") {
            let parts: Vec<&str> = source.split("t(\"").collect();
            for (before, part) in parts.iter().zip(parts.iter().skip(1)) {
                // `t("…")` itself, not `createElement("…")`.
                let called = before.chars().last().is_none_or(|c| !(c.is_alphanumeric() || c == '_' || c == '.'));
                let word: String = part.chars().take_while(|c| c.is_alphanumeric()).collect();
                if called && part[word.len()..].starts_with('"') && !word.is_empty() {
                    named += 1;
                    let key = format!("ui-{word}");
                    assert!(ids.contains(&key), "{} uses t({word:?}), which the catalogue lacks", path.display());
                }
            }
        }
        assert!(named > 300, "only {named} keys found in the sources: the scan is broken");
    }

    #[test]
    fn a_key_the_code_names_but_the_catalogue_lacks_is_found() {
        let source = "let m = said!(\"fm-no_such_message\", name = x); t(\"noSuchWord\")";
        assert_eq!(said_macros(source), vec![("fm-no_such_message".to_owned(), vec!["name".to_owned()])]);
        assert_eq!(key_literals(source), vec!["fm-no_such_message".to_owned()]);
        assert!(!ids(Language::En).contains(&"fm-no_such_message".to_owned()));
        let nested = "said!(\"fm-host_name_mismatch\", setting = f(a, b), reached = &r)";
        assert_eq!(said_macros(nested)[0].1, vec!["setting".to_owned(), "reached".to_owned()]);
    }

    #[test]
    fn a_said_text_renders_its_placeholders_and_nested_texts_in_each_language() {
        let s = Said::new("error-timeout").server("server", crate::error::Server::IdentityProvider).arg("at", "GET /x");
        assert_eq!(s.in_language(Language::En), "Identity provider did not answer in time (GET /x).");
        assert_eq!(s.in_language(Language::De), "Identitätsanbieter hat nicht rechtzeitig geantwortet (GET /x).");
        let json = serde_json::to_string(&s).unwrap_or_default();
        let back: Said = serde_json::from_str(&json).unwrap_or_else(|_| Said::new("x"));
        assert_eq!(back, s);
    }

    #[test]
    fn a_missing_key_is_found() {
        // The check above would fail: a key German lacks is reported by name.
        let ids = &ids(Language::De);
        assert!(!ids.contains(&"finding-no_such_code".to_owned()));
        assert_eq!(text(Language::De, "finding-no_such_code"), "finding-no_such_code");
    }

    #[test]
    fn codes_find_their_texts_and_plurals_follow_the_language() {
        assert_eq!(text(Language::De, &key("severity", &Severity::Warning)), "Warnung");
        assert_eq!(text(Language::En, &key("phase", &Phase::Proof)), "Proving the connection from both sides");
        let check = key("check", &Check::SsoTokenAccepted);
        assert_eq!(
            text(Language::De, &check),
            "Ob beide Seiten das Token eines Benutzers vom Identitätsanbieter annehmen"
        );
        let verdict = key("verdict", &Verdict::WarningsOnly);
        assert_eq!(
            text_with(Language::En, &verdict, &[("warnings", 1)]),
            "Working, with 1 warning: nothing is broken."
        );
        assert_eq!(
            text_with(Language::De, &verdict, &[("warnings", 2)]),
            "Funktioniert, mit 2 Warnungen: Nichts ist kaputt."
        );
        let problems = key("verdict", &Verdict::Problems);
        assert_eq!(
            text_with(Language::En, &problems, &[("problems", 2), ("warnings", 0)]),
            "Broken: 2 problems found."
        );
        assert_eq!(
            text_with(Language::De, &problems, &[("problems", 1), ("warnings", 1)]),
            "Kaputt: ein Problem gefunden, dazu eine Warnung."
        );
    }

    #[test]
    fn locales_pick_the_language() {
        assert_eq!(Language::from_locale("de_DE.UTF-8"), Language::De);
        assert_eq!(Language::from_locale("de-AT"), Language::De);
        assert_eq!(Language::from_locale("en_GB.UTF-8"), Language::En);
        assert_eq!(Language::from_locale("C"), Language::En);
        assert_eq!(Language::from_locale("fr_FR"), Language::En);
    }
}
