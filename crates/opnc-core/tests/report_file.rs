//! A report written by the assistant opens again as the same diagnosis (support staff open a customer's): with
//! the version and language that made it, from a report of a version before reports said so, and never from a
//! file that is not one.

mod common;

use common::*;
use opnc_core::catalogue::Language;
use opnc_core::doctor::{diagnose, ReportFile};
use opnc_core::picture::{DiagnosisView, LinkKind, LinkStatus};

#[tokio::test]
async fn a_report_opens_again_with_what_made_it_and_its_picture() {
    let pair = connected_pair(opnc_core::setup::SetupOptions::default()).await;
    pair.openproject.sim.lock().nextcloud_unreachable = true;
    let d = diagnose(&op_admin(&pair.openproject.url()), &nc_admin(&pair.nextcloud.url()), true, true).await;
    let text = d.to_json_in(Language::De);
    let opened = ReportFile::read(&text).expect("the report opens");
    let made_by = opened.made_by.clone().expect("it says what made it");
    assert_eq!(made_by.language, Language::De);
    assert_eq!(made_by.version, env!("CARGO_PKG_VERSION"));
    assert_eq!(opened.diagnosis.findings, d.findings);
    assert_eq!(opened.diagnosis.not_run, d.not_run);
    assert_eq!((opened.diagnosis.sso, opened.diagnosis.project_folders), (d.sso, d.project_folders));
    // The same picture as the live diagnosis: OpenProject → Nextcloud red.
    let view = DiagnosisView::from(opened.diagnosis);
    let leg = view.picture.links.iter().find(|l| l.kind == LinkKind::OpenprojectToNextcloud).unwrap();
    assert_eq!(leg.status, LinkStatus::Broken);
    assert!(text.contains("\"headline\": \"Kaputt:"), "the headline in the report's language");
}

#[test]
fn a_report_of_an_older_version_opens_and_other_files_do_not() {
    // As 0.1 wrote it before `made_by`, `sso` and `project_folders`.
    let older = r#"{"verdict":"problems","headline":"Broken: 1 problem found.",
        "openproject":{"url":"https://op.example.com","version":"16.4.0","access":"admin"},
        "nextcloud":{"url":"https://nc.example.com","version":"33.0.2","access":"admin"},
        "integration_version":"2.9.1","storage_id":7,
        "findings":[{"code":"openproject_secret_rejected","severity":"blocker","server":null,"message":"OpenProject rejects the client secret.","evidence":"invalid_client","fix":"Replace the OAuth values.","remedy":null}],
        "not_run":[{"check":"openproject_health_report","reason":"needs the web sign-in"}],
        "some_field_of_a_newer_version":{"x":1}}"#;
    let opened = ReportFile::read(older).expect("an older report opens");
    assert!(opened.made_by.is_none());
    assert_eq!(opened.diagnosis.storage_id, Some(7));
    assert_eq!(opened.diagnosis.findings.len(), 1);
    let view = DiagnosisView::from(opened.diagnosis);
    let app = view.picture.links.iter().find(|l| l.kind == LinkKind::OpenprojectAppInNextcloud).unwrap();
    assert_eq!(app.status, LinkStatus::Broken);

    let markdown = ReportFile::read("# OpenProject ⇄ Nextcloud connection report").unwrap_err();
    assert!(markdown.contains("not a JSON report"), "{markdown}");
    let other = ReportFile::read(r#"{"name":"something else"}"#).unwrap_err();
    assert!(other.contains("not a report"), "{other}");
}
