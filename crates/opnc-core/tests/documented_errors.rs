//! Every documented error answer of both servers, injected with the exact status and body the contracts
//! give, ends as the typed error the UI acts on.

mod common;

use common::*;
use http::Method;
use opnc_core::nextcloud::SetupValues;
use opnc_core::openproject::{NewStorage, StoragePatch};
use opnc_core::version::v;
use opnc_core::{ClientError, ErrorCode, SecretString};
use opnc_sim::{Fault, FaultAction, SimPair};

fn op_error(identifier: &str, message: &str, attribute: Option<&str>) -> String {
    let mut e = serde_json::json!({ "_type": "Error", "errorIdentifier": format!("urn:openproject-org:api:v3:errors:{identifier}"), "message": message });
    if let Some(a) = attribute {
        e["_embedded"] = serde_json::json!({ "details": { "attribute": a } });
    }
    e.to_string()
}

fn inject(pair: &SimPair, nextcloud: bool, method: Method, path: &str, status: u16, body: String) {
    let control = if nextcloud { &pair.nextcloud.server.control } else { &pair.openproject.server.control };
    control.clear_faults();
    control.add_fault(Fault::on(method, path, 1, FaultAction::Status { status, body }));
}

fn expect(err: ClientError, code: ErrorCode, what: &str) -> ClientError {
    assert_eq!(err.code(), code, "{what}: {err:?}");
    assert!(!err.message().is_empty() && !err.hint().is_empty(), "{what}: message and hint");
    err
}

#[tokio::test]
async fn openproject_documented_errors() {
    let pair = SimPair::start_default().await.unwrap();
    let client = op_admin(&pair.openproject.url());
    let new = NewStorage { name: "N".into(), nextcloud_url: url(&pair.nextcloud.url()), application_password: None };
    let table: Vec<(u16, &str, Option<&str>, ErrorCode)> = vec![
        (401, "Unauthenticated", None, ErrorCode::CredentialsRejected),
        (403, "MissingPermission", None, ErrorCode::NotAdmin),
        (404, "NotFound", None, ErrorCode::OpenprojectApiError),
        (422, "PropertyConstraintViolation", Some("host"), ErrorCode::OpenprojectApiError),
        (422, "PropertyIsReadOnly", Some("configured"), ErrorCode::OpenprojectApiError),
        (400, "InvalidRequestBody", None, ErrorCode::OpenprojectApiError),
        (415, "TypeNotSupported", None, ErrorCode::OpenprojectApiError),
        (429, "TooManyRequests", None, ErrorCode::OpenprojectApiError),
        (500, "InternalServerError", None, ErrorCode::OpenprojectApiError),
        (500, "MissingEnterpriseToken", None, ErrorCode::OpenprojectApiError),
    ];
    for (status, identifier, attribute, code) in table {
        inject(
            &pair,
            false,
            Method::POST,
            "/api/v3/storages",
            status,
            op_error(identifier, "Lokalisierte Meldung", attribute),
        );
        let err = expect(client.create_storage(&new).await.unwrap_err(), code, identifier);
        if let Some(api) = err.openproject_api() {
            assert_eq!(api.identifier, identifier);
            assert_eq!(api.attribute.as_deref(), attribute);
            assert_eq!(api.status, status);
        }
    }
    // A 403 on a read is not "not an admin": it stays the documented error.
    inject(&pair, false, Method::GET, "/api/v3/projects", 403, op_error("MissingPermission", "x", None));
    expect(client.projects(&[], 20, 1).await.unwrap_err(), ErrorCode::OpenprojectApiError, "403 on read");
    inject(&pair, false, Method::PATCH, "/api/v3/storages/", 409, op_error("UpdateConflict", "x", None));
    expect(
        client.update_storage(1, &StoragePatch::default()).await.unwrap_err(),
        ErrorCode::OpenprojectApiError,
        "409",
    );
}

#[tokio::test]
async fn nextcloud_documented_errors() {
    let pair = SimPair::start_default().await.unwrap();
    let client = nc_admin(&pair.nextcloud.url());
    let values = SetupValues::oauth2(url(&pair.openproject.url()), "id".into(), SecretString::from("secret"), true);
    let setup_table: Vec<(u16, &str, ErrorCode)> = vec![
        (400, r#"{"error":"invalid key"}"#, ErrorCode::NextcloudApiError),
        (400, r#"{"error":"invalid data"}"#, ErrorCode::NextcloudApiError),
        (401, r#"{"message":""}"#, ErrorCode::CredentialsRejected),
        (401, r#"{"message":"Current user is not logged in"}"#, ErrorCode::CredentialsRejected),
        (403, r#"{"message":"Logged in account must be an admin"}"#, ErrorCode::NotAdmin),
        (
            403,
            r#"{"message":"Your current IP address doesn't allow you to perform admin actions"}"#,
            ErrorCode::NotAdmin,
        ),
        (
            404,
            r#"{"error":"User \"OpenProject\" does not exists to create application password"}"#,
            ErrorCode::NextcloudApiError,
        ),
        (409, r#"{"error":"The user \"OpenProject\" already exists"}"#, ErrorCode::NextcloudApiError),
        (409, r#"{"error":"The group \"OpenProject\" already exists"}"#, ErrorCode::NextcloudApiError),
        (409, r#"{"error":"The team folder name \"OpenProject\" already exists"}"#, ErrorCode::NextcloudApiError),
        (412, r#"{"message":"CSRF check failed"}"#, ErrorCode::NextcloudApiError),
        (500, r#"{"error":"The \"groupfolders\" app is not installed"}"#, ErrorCode::NextcloudApiError),
    ];
    for (status, body, code) in setup_table {
        inject(&pair, true, Method::POST, "/setup", status, body.into());
        let err = expect(client.create_setup(&values, &v(3, 1, 1)).await.unwrap_err(), code, body);
        if let Some(api) = err.nextcloud_api() {
            assert_eq!(api.status, status);
            let sent: serde_json::Value = serde_json::from_str(body).unwrap();
            let text = sent.get("error").or(sent.get("message")).and_then(|t| t.as_str()).unwrap();
            assert_eq!(api.text(), text);
        }
    }
    let ocs_table: Vec<(u16, &str, ErrorCode)> = vec![
        (
            401,
            r#"{"ocs":{"meta":{"status":"failure","statuscode":997,"message":"Current user is not logged in"},"data":[]}}"#,
            ErrorCode::CredentialsRejected,
        ),
        (
            403,
            r#"{"ocs":{"meta":{"status":"failure","statuscode":403,"message":"Password confirmation is required"},"data":[]}}"#,
            ErrorCode::PasswordConfirmationRequired,
        ),
        (
            500,
            r#"{"ocs":{"meta":{"status":"failure","statuscode":996,"message":"Server error"},"data":[]}}"#,
            ErrorCode::NextcloudApiError,
        ),
    ];
    for (status, body, code) in ocs_table {
        inject(&pair, true, Method::POST, "/ocs/v2.php/cloud/apps/", status, body.into());
        let err = expect(client.enable_app("groupfolders").await.unwrap_err(), code, body);
        if let Some(api) = err.nextcloud_api() {
            assert!(api.ocs_status.is_some());
        }
    }
    inject(&pair, true, Method::GET, "/check-config", 302, "".into());
    let err = nc_anonymous(&pair.nextcloud.url()).check_config().await.unwrap_err();
    assert_eq!(err.status(), Some(302), "a redirect on check-config is what OpenProject reports as app not installed");
}
