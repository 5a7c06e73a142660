//! The service's face: [`LocalFunction::invoke`] and [`LocalFunction::invoke_event`], with a
//! runtime polled by hand (`concurrency: 0`), and what a caller gets when nothing can run.

use crate::common::{http, within};
use serde_json::json;
use std::time::Duration;
use wsproxy_lambda_local::{LocalFunction, LocalFunctionConfig, Outcome};

fn hand_run(timeout: Duration) -> LocalFunctionConfig {
    let mut config = LocalFunctionConfig::new("/no/bootstrap/needed");
    config.concurrency = 0;
    config.timeout = timeout;
    config
}

/// `GET /next` on `function`'s Runtime API: the request id and the payload.
async fn next(function: &LocalFunction) -> (String, serde_json::Value) {
    let url = format!(
        "http://{}/2018-06-01/runtime/invocation/next",
        function.runtime_api_addr()
    );
    let a = http("GET", &url, "").await;
    assert_eq!(a.status, 200, "{a:?}");
    let id = a.headers["lambda-runtime-aws-request-id"]
        .to_str()
        .unwrap()
        .to_owned();
    (id, a.json())
}

async fn answer(function: &LocalFunction, id: &str, kind: &str, body: &str) {
    let url = format!(
        "http://{}/2018-06-01/runtime/invocation/{id}/{kind}",
        function.runtime_api_addr()
    );
    assert_eq!(http("POST", &url, body.to_owned()).await.status, 202);
}

#[tokio::test]
async fn invoke_waits_for_the_answer_and_an_event_is_only_queued() {
    let function = LocalFunction::start(hand_run(Duration::from_secs(20)))
        .await
        .expect("start");
    let call = {
        let function = function.clone();
        tokio::spawn(async move { function.invoke(&json!({"n": 1})).await })
    };
    let (id, payload) = next(&function).await;
    assert_eq!(payload, json!({"n": 1}));
    answer(&function, &id, "response", r#"{"r":2}"#).await;
    let outcome = within("the outcome", call).await.unwrap();
    assert_eq!(outcome, Outcome::Response(br#"{"r":2}"#.to_vec().into()));

    // An error is the function's, with its type.
    let call = {
        let function = function.clone();
        tokio::spawn(async move { function.invoke(&json!(null)).await })
    };
    let (id, _) = next(&function).await;
    answer(&function, &id, "error", r#"{"errorType":"Boom"}"#).await;
    let Outcome::FunctionError { error_type, .. } = within("the error", call).await.unwrap() else {
        panic!("a function error");
    };
    assert_eq!(error_type, "Boom");

    // An event returns its request id at once; the runtime gets it afterwards.
    let queued = within(
        "invoke_event",
        function.invoke_event(&json!({"later": true})),
    )
    .await;
    let (id, payload) = next(&function).await;
    assert_eq!(
        (id.as_str(), payload),
        (queued.as_str(), json!({"later": true}))
    );
    answer(&function, &id, "response", "null").await;

    let stats = function.stats();
    assert_eq!(
        (stats.invocations, stats.responses, stats.function_errors),
        (3, 2, 1)
    );
    assert_eq!(stats.durations.len(), 3);
    function.shutdown().await;
}

#[tokio::test]
async fn an_invocation_nobody_takes_is_unavailable_and_so_is_one_after_shutdown() {
    let function = LocalFunction::start(hand_run(Duration::from_millis(200)))
        .await
        .expect("start");
    let waited = within("the outcome", function.invoke(&json!({}))).await;
    let Outcome::Unavailable(why) = waited else {
        panic!("unavailable, got {waited:?}");
    };
    assert!(
        why.contains("no function process took the invocation"),
        "{why}"
    );

    function.shutdown().await;
    let late = within("the outcome", function.invoke(&json!({}))).await;
    assert_eq!(
        late,
        Outcome::Unavailable("the function is stopping".into())
    );
    assert_eq!(function.stats().invocations, 0);
}

#[tokio::test]
async fn an_answer_over_6_mb_ends_the_invocation_at_once() {
    // A long timeout: the outcome must come from the answer, not from the clock.
    let function = LocalFunction::start(hand_run(Duration::from_secs(120)))
        .await
        .expect("start");
    for kind in ["response", "error"] {
        let call = {
            let function = function.clone();
            tokio::spawn(async move { function.invoke(&json!({"big": kind})).await })
        };
        let (id, _) = next(&function).await;
        let url = format!(
            "http://{}/2018-06-01/runtime/invocation/{id}/{kind}",
            function.runtime_api_addr()
        );
        // Well past the limit, so that no allowance for headers lets it through.
        let a = http("POST", &url, vec![b'x'; 8 * 1024 * 1024]).await;
        assert_eq!(a.status, 413, "{kind}: {a:?}");
        let outcome = tokio::time::timeout(Duration::from_secs(5), call)
            .await
            .unwrap_or_else(|_| panic!("{kind}: no outcome within 5 s"))
            .unwrap();
        let Outcome::FunctionError { error_type, body } = outcome else {
            panic!("{kind}: a function error, got {outcome:?}");
        };
        assert_eq!(error_type, "Function.ResponseSizeTooLarge", "{kind}");
        let doc: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(doc["errorType"], "Function.ResponseSizeTooLarge");
        // The invocation is over: a second answer is refused.
        let again = http("POST", &url, "{}").await;
        assert_eq!(again.status, 400, "{kind}: {again:?}");
    }
    // Exactly 6 MB is still an answer.
    let call = {
        let function = function.clone();
        tokio::spawn(async move { function.invoke(&json!({})).await })
    };
    let (id, _) = next(&function).await;
    let url = format!(
        "http://{}/2018-06-01/runtime/invocation/{id}/response",
        function.runtime_api_addr()
    );
    let a = http("POST", &url, vec![b'7'; 6 * 1024 * 1024]).await;
    assert_eq!(a.status, 202, "{a:?}");
    let Outcome::Response(body) = within("the outcome", call).await.unwrap() else {
        panic!("a response");
    };
    assert_eq!(body.len(), 6 * 1024 * 1024);
    function.shutdown().await;
}
