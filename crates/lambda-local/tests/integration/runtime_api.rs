//! The local Lambda Runtime and Invoke APIs, driven by hand: no function process runs
//! (`concurrency: 0`), the test polls `/runtime/invocation/next` itself as a runtime would.

use crate::common::{http, within, HttpAnswer};
use aws_sdk_lambda::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_lambda::primitives::Blob;
use aws_sdk_lambda::types::InvocationType;
use serde_json::{json, Value};
use std::sync::Arc;
use wsproxy_lambda_local::{LocalFunction, LocalFunctionConfig, StartError};

async fn start() -> Arc<LocalFunction> {
    let mut config = LocalFunctionConfig::new("/no/bootstrap/needed");
    config.concurrency = 0;
    config.function_name = "hand-run".into();
    LocalFunction::start(config).await.expect("start")
}

fn client(lambda: &LocalFunction) -> aws_sdk_lambda::Client {
    let conf = aws_sdk_lambda::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new("AKID", "secret", None, None, "test"))
        .endpoint_url(format!("http://{}", lambda.runtime_api_addr()))
        .build();
    aws_sdk_lambda::Client::from_conf(conf)
}

fn runtime(lambda: &LocalFunction, path: &str) -> String {
    format!(
        "http://{}/2018-06-01/runtime/{path}",
        lambda.runtime_api_addr()
    )
}

fn header<'a>(a: &'a HttpAnswer, name: &str) -> &'a str {
    a.headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_else(|| panic!("no {name} header in {a:?}"))
}

/// `GET /next`: the invocation's id and payload.
async fn next(lambda: &LocalFunction) -> (String, Value) {
    let a = http("GET", &runtime(lambda, "invocation/next"), "").await;
    assert_eq!(a.status, 200, "{a:?}");
    (
        header(&a, "lambda-runtime-aws-request-id").to_owned(),
        a.json(),
    )
}

#[tokio::test]
async fn a_runtime_takes_invocations_and_answers_them() {
    let lambda = start().await;
    let sdk = client(&lambda);

    // RequestResponse: the runtime sees the payload and the AWS headers; the caller gets the
    // response.
    let call = {
        let sdk = sdk.clone();
        tokio::spawn(async move {
            sdk.invoke()
                .function_name("hand-run")
                .payload(Blob::new(r#"{"n":1}"#))
                .send()
                .await
        })
    };
    let a = http("GET", &runtime(&lambda, "invocation/next"), "").await;
    assert_eq!(a.status, 200);
    assert_eq!(a.json(), json!({"n": 1}));
    let id = header(&a, "lambda-runtime-aws-request-id").to_owned();
    assert_eq!(id.len(), 36);
    let deadline: i64 = header(&a, "lambda-runtime-deadline-ms").parse().unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    assert!(deadline > now);
    assert_eq!(
        header(&a, "lambda-runtime-invoked-function-arn"),
        "arn:aws:lambda:us-east-1:000000000000:function:hand-run"
    );
    assert!(header(&a, "lambda-runtime-trace-id").starts_with("Root=1-"));
    let done = http(
        "POST",
        &runtime(&lambda, &format!("invocation/{id}/response")),
        r#"{"r":2}"#,
    )
    .await;
    assert_eq!(done.status, 202);
    let out = within("Invoke", call).await.unwrap().expect("Invoke");
    assert_eq!(out.status_code(), 200);
    assert_eq!(out.payload().unwrap().as_ref(), br#"{"r":2}"#);

    // Answering twice, or an unknown id: 400 InvalidRequestID.
    for id in [id.as_str(), "not-an-id"] {
        let again = http(
            "POST",
            &runtime(&lambda, &format!("invocation/{id}/response")),
            "{}",
        )
        .await;
        assert_eq!(again.status, 400);
        assert_eq!(again.json()["errorType"], "InvalidRequestID");
    }

    // An error: 200 with X-Amz-Function-Error and the error document.
    let call = {
        let sdk = sdk.clone();
        tokio::spawn(async move { sdk.invoke().function_name("hand-run").send().await })
    };
    let (id, payload) = next(&lambda).await;
    assert_eq!(payload, json!({}), "an empty payload is {{}}");
    let error = json!({"errorMessage": "boom", "errorType": "Boom"});
    let a = http(
        "POST",
        &runtime(&lambda, &format!("invocation/{id}/error")),
        error.to_string(),
    )
    .await;
    assert_eq!(a.status, 202);
    let out = within("Invoke", call).await.unwrap().expect("Invoke");
    assert_eq!(out.function_error(), Some("Unhandled"));
    let body: Value = serde_json::from_slice(out.payload().unwrap().as_ref()).unwrap();
    assert_eq!(body, error);

    // Event: 202 before anything runs; the runtime gets it afterwards.
    let out = within(
        "Invoke (Event)",
        sdk.invoke()
            .function_name("hand-run")
            .invocation_type(InvocationType::Event)
            .payload(Blob::new(r#"{"later":true}"#))
            .send(),
    )
    .await
    .expect("Invoke");
    assert_eq!(out.status_code(), 202);
    let (id, payload) = next(&lambda).await;
    assert_eq!(payload, json!({"later": true}));
    let a = http(
        "POST",
        &runtime(&lambda, &format!("invocation/{id}/response")),
        "null",
    )
    .await;
    assert_eq!(a.status, 202);

    // DryRun.
    let out = within(
        "Invoke (DryRun)",
        sdk.invoke()
            .function_name("hand-run")
            .invocation_type(InvocationType::DryRun)
            .send(),
    )
    .await
    .expect("Invoke");
    assert_eq!(out.status_code(), 204);

    let stats = lambda.stats();
    assert_eq!(
        (stats.invocations, stats.responses, stats.function_errors),
        (3, 2, 1)
    );
    lambda.shutdown().await;
}

#[tokio::test]
async fn unknown_functions_and_paths_are_refused_as_aws_does() {
    let lambda = start().await;
    let err = within(
        "Invoke",
        client(&lambda)
            .invoke()
            .function_name("someone-else")
            .send(),
    )
    .await
    .expect_err("unknown function");
    let err = err.into_service_error();
    assert!(err.is_resource_not_found_exception(), "{err:?}");
    assert!(format!("{err:?}").contains("function:someone-else"));

    let a = http(
        "POST",
        &format!(
            "http://{}/2015-03-31/functions/someone-else/invocations",
            lambda.runtime_api_addr()
        ),
        "{}",
    )
    .await;
    assert_eq!(a.status, 404);
    assert_eq!(a.error_type(), Some("ResourceNotFoundException"));

    let a = http("GET", &runtime(&lambda, "nothing-here"), "").await;
    assert_eq!(a.status, 404);
    let a = http(
        "POST",
        &runtime(&lambda, "init/error"),
        r#"{"errorMessage":"x"}"#,
    )
    .await;
    assert_eq!(a.status, 202);
    lambda.shutdown().await;
}

#[tokio::test]
async fn a_missing_or_unusable_bootstrap_is_refused_at_start() {
    let missing = LocalFunctionConfig::new("/no/such/bootstrap");
    let err = LocalFunction::start(missing).await.unwrap_err();
    assert!(matches!(err, StartError::Config(_)), "{err}");
    assert!(err.to_string().contains("no such file"), "{err}");

    let dir = std::env::temp_dir().join(format!("wsproxy-lambda-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let plain = dir.join("bootstrap");
    std::fs::write(&plain, "not a program").unwrap();
    let err = LocalFunction::start(LocalFunctionConfig::new(&plain))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("not executable"), "{err}");
    std::fs::remove_dir_all(&dir).unwrap();

    let mut bad_name = LocalFunctionConfig::new("/bin/true");
    bad_name.function_name = "a b".into();
    assert!(LocalFunction::start(bad_name).await.is_err());
}
