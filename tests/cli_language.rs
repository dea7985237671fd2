//! The command line speaks the locale's language (English or German) or the one `--lang` names: the verdict, the
//! findings' titles, the labels and the setup's phases come from the catalogue.

use opnc_e2e::{opnc, output, state_dir, text};
use opnc_sim::SimPair;

#[tokio::test]
async fn diagnose_speaks_german_by_lang_or_by_locale_and_english_by_default() {
    let pair = SimPair::start_default().await.unwrap();
    let state = state_dir("language");

    let out = output(opnc(&pair, &state, &["diagnose", "--lang", "de"])).await;
    let said = text(&out);
    assert_eq!(out.status.code(), Some(1), "{said}");
    assert!(said.starts_with("Kaputt: "), "the verdict in German: {said}");
    assert!(said.contains("OpenProject hat keinen Speicher für diese Nextcloud"), "a finding's German title: {said}");
    assert!(said.contains("Abhilfe: "), "{said}");
    assert!(said.contains("Der ganze Bericht mit den Belegen"), "{said}");

    let mut by_locale = opnc(&pair, &state, &["diagnose"]);
    by_locale.env("LANG", "de_DE.UTF-8");
    let said = text(&output(by_locale).await);
    assert!(said.starts_with("Kaputt: "), "LANG=de_DE picks German: {said}");

    let said = text(&output(opnc(&pair, &state, &["diagnose"])).await);
    assert!(said.starts_with("Broken: "), "{said}");
    assert!(said.contains("OpenProject has no storage for this Nextcloud") && said.contains("fix: "), "{said}");

    // The setup's phases too.
    let out = output(opnc(&pair, &state, &["setup", "--yes", "--no-project-folders", "--lang", "de"])).await;
    let said = text(&out);
    assert_eq!(out.status.code(), Some(0), "{said}");
    assert!(said.contains("→ Den Dateispeicher in OpenProject anlegen"), "{said}");
}

/// Every line a person reads in a German run is German: the verdict, the plan's frame, each change and its undo,
/// the status, the impact of a reset and a delete, and what they did. A sentence of the English catalogue that
/// reaches a German run fails this.
#[tokio::test]
async fn a_german_run_from_setup_to_delete_has_no_english_sentence() {
    let pair = SimPair::start_default().await.unwrap();
    let state = state_dir("language-all");
    let de = |args: &[&str]| {
        let mut all = args.to_vec();
        all.extend(["--lang", "de"]);
        opnc(&pair, &state, &all)
    };
    let english = [
        "Ready",
        "Cannot be undone",
        "Done:",
        "Next:",
        "Connected:",
        "Every OpenProject user",
        "Go ahead",
        "Not applied",
        "Delete the connection",
        "Deleted",
        "created",
        "seen:",
        "fix:",
        "hint:",
    ];
    let mut seen = String::new();
    for args in [
        vec!["setup", "--yes"],
        vec!["status"],
        vec!["reset", "nextcloud-oauth"],
        vec!["reset", "app-password", "--yes"],
        vec!["delete", "--yes"],
    ] {
        let out = output(de(&args)).await;
        let said = text(&out);
        for word in english {
            assert!(!said.contains(word), "{args:?} says {word:?} in a German run: {said}");
        }
        seen.push_str(&said);
    }
    for german in [
        "Bereit",
        "Lässt sich durch Zurücksetzen nicht rückgängig machen:",
        "Fertig: Der OpenProject-Speicher",
        "Verbunden: Der OpenProject-Speicher „Nextcloud“",
        "Alle OpenProject-Benutzer müssen sich erneut mit Nextcloud verbinden",
        "Nicht angewendet",
        "Nextcloud hat ein neues App-Passwort erzeugt",
        "Kein Benutzer muss etwas tun.",
        "Die Verbindung löschen:",
        "Auf beiden Servern gelöscht",
    ] {
        assert!(seen.contains(german), "{german:?} missing from: {seen}");
    }
}
