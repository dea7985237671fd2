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
    ids: Vec<String>,
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
        let ids = resource
            .entries()
            .filter_map(|e| match e {
                fluent_syntax::ast::Entry::Message(m) => Some(m.id.name.to_owned()),
                _ => None,
            })
            .collect();
        let lang: unic_langid::LanguageIdentifier = language.tag().parse().unwrap_or_default();
        let mut bundle = FluentBundle::new_concurrent(vec![lang]);
        // Placeholders go into sentences as they are, without Unicode isolation marks around them.
        bundle.set_use_isolating(false);
        let _ = bundle.add_resource(resource);
        Catalogue { bundle, ids }
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

/// The text for a key without placeholders.
pub fn text(language: Language, key: &str) -> String {
    text_with(language, key, &[])
}

/// A code's key: its serialized name under a prefix (`finding-storage_missing`, `phase-proof`).
pub fn key<T: Serialize>(prefix: &str, code: &T) -> String {
    let name = serde_json::to_value(code).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default();
    format!("{prefix}-{name}")
}

/// Every text without placeholders, for a face that renders them itself (the desktop, on a language switch).
pub fn all(language: Language) -> BTreeMap<String, String> {
    catalogue(language).ids.iter().map(|id| (id.clone(), text(language, id))).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::doctor::{Check, Verdict};
    use crate::findings::Severity;
    use crate::setup::journal::Phase;

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
                for part in line.split('$').skip(1) {
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
        ] {
            let list = codes(type_name);
            assert!(list.len() > 2, "{type_name} not found in the bindings");
            required.extend(list.into_iter().map(|c| format!("{prefix}-{c}")));
        }
        for (name, _) in crate::setup::proof::CHECKS {
            required.extend([format!("proof-{name}-ok"), format!("proof-{name}-failed")]);
        }
        for language in Language::ALL {
            let ids = &catalogue(language).ids;
            let missing: Vec<&String> = required.iter().filter(|k| !ids.contains(k)).collect();
            assert!(missing.is_empty(), "{language:?} lacks {missing:?}");
        }
        let (en, de) = (&catalogue(Language::En).ids, &catalogue(Language::De).ids);
        assert_eq!(en, de, "the two languages have different keys (or orders)");
        for id in en {
            assert_eq!(placeholders(Language::En, id), placeholders(Language::De, id), "placeholders of {id}");
        }
        println!("catalogue: {} keys in each of {} languages", en.len(), Language::ALL.len());
    }

    #[test]
    fn a_missing_key_is_found() {
        // The check above would fail: a key German lacks is reported by name.
        let ids = &catalogue(Language::De).ids;
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
