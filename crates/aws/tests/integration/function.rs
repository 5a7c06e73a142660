//! `update_function_code` against a fake Lambda that answers as AWS does while an update
//! runs (moto reports every update `Successful` at once): earlier updates still
//! `InProgress`, ResourceConflictException, `Failed`, and updates that never finish.

use aws_sdk_lambda::config::{BehaviorVersion, Credentials, Region};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use wsproxy_aws::{update_function_code, FunctionError};

/// What the fake answers, and what it was sent.
struct Script {
    /// Statuses of GetFunctionConfiguration before the upload; the last one repeats.
    before: VecDeque<&'static str>,
    /// How many uploads are refused with ResourceConflictException.
    conflicts: usize,
    /// Statuses of GetFunctionConfiguration after the upload; the last one repeats.
    after: VecDeque<&'static str>,
    architecture: &'static str,
    /// Uploads received, refused ones included.
    uploads: usize,
    uploaded: bool,
}

impl Script {
    fn new(before: &[&'static str], conflicts: usize, after: &[&'static str]) -> Self {
        Self {
            before: before.iter().copied().collect(),
            conflicts,
            after: after.iter().copied().collect(),
            architecture: "x86_64",
            uploads: 0,
            uploaded: false,
        }
    }
}

type Fake = Arc<Mutex<Script>>;

fn next(queue: &mut VecDeque<&'static str>) -> &'static str {
    if queue.len() > 1 {
        queue.pop_front().unwrap()
    } else {
        queue[0]
    }
}

fn config(name: &str, script: &Script, status: &str) -> Response {
    let mut body = json!({
        "FunctionName": name,
        "FunctionArn": format!("arn:aws:lambda:us-east-1:123456789012:function:{name}"),
        "Runtime": "provided.al2023",
        "Architectures": [script.architecture],
        "PackageType": "Zip",
        "State": "Active",
        "CodeSha256": if script.uploaded { "new-sha=" } else { "old-sha=" },
        "LastUpdateStatus": status,
    });
    if status == "Failed" {
        body["LastUpdateStatusReason"] = json!("bootstrap is too big to unpack");
        body["LastUpdateStatusReasonCode"] = json!("InvalidZipFileException");
    }
    ([("content-type", "application/json")], body.to_string()).into_response()
}

async fn get_configuration(State(fake): State<Fake>, Path(name): Path<String>) -> Response {
    let mut script = fake.lock().unwrap();
    let status = if script.uploaded {
        next(&mut script.after)
    } else {
        next(&mut script.before)
    };
    config(&name, &script, status)
}

async fn put_code(State(fake): State<Fake>, Path(name): Path<String>) -> Response {
    let mut script = fake.lock().unwrap();
    script.uploads += 1;
    if script.conflicts > 0 {
        script.conflicts -= 1;
        return (
            StatusCode::CONFLICT,
            [
                ("content-type", "application/json"),
                ("x-amzn-errortype", "ResourceConflictException"),
            ],
            json!({ "Type": "User", "message": "An update is in progress" }).to_string(),
        )
            .into_response();
    }
    script.uploaded = true;
    config(&name, &script, "InProgress")
}

/// Serves the script on 127.0.0.1:0; returns a Lambda client for it.
async fn fake(script: Script) -> (aws_sdk_lambda::Client, Fake) {
    let fake = Arc::new(Mutex::new(script));
    let app = axum::Router::new()
        .route(
            "/2015-03-31/functions/{name}/configuration",
            axum::routing::get(get_configuration),
        )
        .route(
            "/2015-03-31/functions/{name}/code",
            axum::routing::put(put_code),
        )
        .with_state(fake.clone());
    let url = wsproxy_test_support::http::serve(app).await;
    let conf = aws_sdk_lambda::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .endpoint_url(url)
        .credentials_provider(Credentials::new("testing", "testing", None, None, "tests"))
        .build();
    (aws_sdk_lambda::Client::from_conf(conf), fake)
}

const ZIP: &[u8] = b"PK not really a zip: the fake does not look";

#[tokio::test]
async fn waits_for_an_earlier_update_retries_conflicts_then_waits_for_its_own() {
    let (client, fake) = fake(Script::new(
        &["InProgress", "InProgress", "Successful"],
        2,
        &["InProgress", "InProgress", "Successful"],
    ))
    .await;
    let update = update_function_code(&client, "f", ZIP.to_vec(), Duration::from_secs(30))
        .await
        .unwrap();
    assert_eq!(update.old.code_sha256, "old-sha=");
    assert_eq!(update.new.code_sha256, "new-sha=");
    assert_eq!(update.new.last_update_status.as_deref(), Some("Successful"));
    assert!(update.changed());
    assert_eq!(fake.lock().unwrap().uploads, 3);
}

#[tokio::test]
async fn a_failed_update_is_an_error_with_lambdas_reason() {
    let (client, _) = fake(Script::new(&["Successful"], 0, &["InProgress", "Failed"])).await;
    let err = update_function_code(&client, "f", ZIP.to_vec(), Duration::from_secs(30))
        .await
        .unwrap_err();
    assert!(matches!(err, FunctionError::UpdateFailed { .. }), "{err}");
    let text = err.to_string();
    assert!(
        text.contains("bootstrap is too big to unpack (InvalidZipFileException)"),
        "{text}"
    );
}

#[tokio::test]
async fn an_update_still_in_progress_at_the_limit_says_so() {
    let (client, _) = fake(Script::new(&["Successful"], 0, &["InProgress"])).await;
    let err = update_function_code(&client, "f", ZIP.to_vec(), Duration::from_secs(1))
        .await
        .unwrap_err();
    let text = err.to_string();
    assert!(
        matches!(
            err,
            FunctionError::NotReady {
                what: "the update",
                ..
            }
        ) && text.contains("still InProgress")
            && text.contains("--wait-secs"),
        "{text}"
    );
}

#[tokio::test]
async fn an_earlier_update_that_does_not_finish_stops_before_the_upload() {
    let (client, fake) = fake(Script::new(&["InProgress"], 0, &["Successful"])).await;
    let err = update_function_code(&client, "f", ZIP.to_vec(), Duration::from_secs(1))
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            FunctionError::NotReady {
                what: "an earlier update",
                ..
            }
        ),
        "{err}"
    );
    assert_eq!(fake.lock().unwrap().uploads, 0);
}

#[tokio::test]
async fn endless_conflicts_end_in_a_busy_error() {
    let (client, _) = fake(Script::new(&["Successful"], usize::MAX, &["Successful"])).await;
    let err = update_function_code(&client, "f", ZIP.to_vec(), Duration::from_secs(1))
        .await
        .unwrap_err();
    let text = err.to_string();
    assert!(
        matches!(err, FunctionError::Busy { .. }) && text.contains("ResourceConflictException"),
        "{text}"
    );
}

#[tokio::test]
async fn an_arm64_function_gets_no_upload() {
    let mut script = Script::new(&["Successful"], 0, &["Successful"]);
    script.architecture = "arm64";
    let (client, fake) = fake(script).await;
    let err = update_function_code(&client, "f", ZIP.to_vec(), Duration::from_secs(5))
        .await
        .unwrap_err();
    assert!(
        matches!(err, FunctionError::WrongArchitecture { .. }),
        "{err}"
    );
    assert_eq!(fake.lock().unwrap().uploads, 0);
}
