//! DynamoDB throttling through the whole core: `DynamoDbRegistry` behind the fault proxy in
//! front of moto, a real HTTP backend, a recording pusher. Throttling is retried with
//! backoff; once the retries are spent `$connect` answers 5xx and a message gets an error
//! frame, never a silent loss.

use crate::fault_proxy::{Fault, FaultProxy};
use crate::rig::{backend, chat_query, Recorder};
use crate::util::{dynamodb_endpoint, unique_table, Calls, Logs};
use aws_sdk_dynamodb::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_dynamodb::Client;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use wsproxy_aws::{create_table, DynamoDbRegistry, DynamoDbRetry};
use wsproxy_core::{Proxy, Registry};

const ACCESS_KEY: &str = "AKIDFAULTSTEST";
const SECRET_KEY: &str = "secret-key-never-logged";
const SESSION_TOKEN: &str = "session-token-never-logged";
const CLIENT_TOKEN: &str = "client-token-never-logged";

/// A DynamoDB client on `endpoint` with `retry`, recognisable credentials and a request log.
fn client(endpoint: &str, retry: &DynamoDbRetry) -> (Client, Calls) {
    let calls = Calls::default();
    let builder = aws_sdk_dynamodb::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .endpoint_url(endpoint)
        .credentials_provider(Credentials::new(
            ACCESS_KEY,
            SECRET_KEY,
            Some(SESSION_TOKEN.into()),
            None,
            "tests",
        ))
        .interceptor(calls.clone());
    (Client::from_conf(retry.apply(builder).build()), calls)
}

struct Rig {
    proxy: Proxy,
    faults: FaultProxy,
    calls: Calls,
    pushed: Arc<Recorder>,
    backend_paths: Arc<Mutex<Vec<String>>>,
    registry: Arc<DynamoDbRegistry>,
}

/// A table on moto, a fault proxy in front of it, and the core over a registry through it.
async fn rig(what: &str, retry: DynamoDbRetry) -> Rig {
    let moto = dynamodb_endpoint();
    let table = unique_table(what);
    let (direct, _) = crate::util::client();
    create_table(&direct, &table).await.unwrap();
    let (faults, url) = FaultProxy::start(&moto).await;
    let (client, calls) = client(&url, &retry);
    let registry = Arc::new(DynamoDbRegistry::new(client, table));
    let (backend, backend_paths) = backend().await;
    let pushed = Recorder::new();
    let proxy = Proxy::new(registry.clone(), Arc::new(backend), pushed.clone());
    Rig {
        proxy,
        faults,
        calls,
        pushed,
        backend_paths,
        registry,
    }
}

#[tokio::test]
async fn throttling_that_passes_is_retried_and_the_connection_registered() {
    let rig = rig("throttle-passes", DynamoDbRetry::default()).await;
    rig.faults.fail_next(
        "PutItem",
        2,
        Fault::dynamodb("ProvisionedThroughputExceededException"),
    );
    let outcome = rig.proxy.connect("c-1", &chat_query(CLIENT_TOKEN)).await;
    assert_eq!(outcome.response.status, 200, "{:?}", outcome.response);
    let sent = rig.calls.take();
    assert_eq!(
        Calls::count(&sent, "PutItem"),
        3,
        "two throttled, one stored"
    );
    assert_eq!(rig.faults.forwarded("PutItem"), 1);
    assert_eq!(rig.registry.by_connection("c-1").await.unwrap().len(), 1);
}

#[tokio::test]
async fn throttled_connect_answers_5xx_once_the_retries_are_spent() {
    let (logs, _guard) = Logs::capture_at(tracing::Level::DEBUG);
    let rig = rig("throttle-connect", DynamoDbRetry::default()).await;
    rig.faults.fail_always(
        "PutItem",
        Fault::dynamodb("ProvisionedThroughputExceededException"),
    );
    let outcome = rig.proxy.connect("c-1", &chat_query(CLIENT_TOKEN)).await;

    assert_eq!(outcome.response.status, 500, "{:?}", outcome.response);
    let body = &outcome.response.body;
    assert!(body.contains("throttled PutItem"), "{body}");
    assert!(
        body.contains("ProvisionedThroughputExceededException"),
        "{body}"
    );
    assert!(body.contains("up to 5 attempts"), "{body}");
    assert!(outcome.after_open.is_empty());
    let sent = rig.calls.take();
    assert_eq!(Calls::count(&sent, "PutItem"), 5, "{sent:?}");
    assert_eq!(rig.faults.seen("PutItem"), 5);
    assert_eq!(rig.faults.forwarded("PutItem"), 0);

    rig.faults.heal();
    assert!(rig.registry.by_connection("c-1").await.unwrap().is_empty());
    assert_no_secret(&format!("{body}\n{}", logs.text()));
}

#[tokio::test]
async fn throttled_message_gets_an_error_frame_once_the_retries_are_spent() {
    let rig = rig("throttle-message", DynamoDbRetry::default()).await;
    let outcome = rig.proxy.connect("c-1", &chat_query(CLIENT_TOKEN)).await;
    assert_eq!(outcome.response.status, 200, "{:?}", outcome.response);
    rig.calls.take();

    rig.faults
        .fail_always("Query", Fault::dynamodb("ThrottlingException"));
    let answer = rig.proxy.message("c-1", r#"{"message":"hi"}"#).await;

    assert_eq!(answer.status, 500, "{answer:?}");
    let pushed = rig.pushed.sent();
    assert_eq!(pushed.len(), 1, "{pushed:?}");
    let (to, frame) = &pushed[0];
    assert_eq!(to, "c-1");
    assert_eq!(frame["type"], "error", "{frame}");
    let error = frame["error"].as_str().unwrap_or_default();
    assert!(
        error.contains("throttled Query") && error.contains("ThrottlingException"),
        "{error}"
    );
    assert_no_secret(&format!("{answer:?}\n{frame}"));
    let sent = rig.calls.take();
    assert_eq!(Calls::count(&sent, "Query"), 5, "{sent:?}");
    let paths = rig.backend_paths.lock().unwrap().clone();
    assert!(
        !paths.iter().any(|p| p.ends_with("/message")),
        "the backend was not asked: {paths:?}"
    );
}

#[tokio::test]
async fn a_slow_dynamodb_is_abandoned_and_retried() {
    let retry = DynamoDbRetry {
        attempt_timeout: Duration::from_millis(300),
        ..DynamoDbRetry::default()
    };
    let rig = rig("slow", retry).await;
    rig.faults
        .fail_next("PutItem", 1, Fault::Late(Duration::from_secs(2)));
    let outcome = rig.proxy.connect("c-1", &chat_query(CLIENT_TOKEN)).await;
    assert_eq!(outcome.response.status, 200, "{:?}", outcome.response);
    // Both reached DynamoDB: a PutItem is idempotent, so the repeat is harmless.
    assert_eq!(rig.faults.forwarded("PutItem"), 2);
    assert_eq!(Calls::count(&rig.calls.take(), "PutItem"), 2);
    assert_eq!(rig.registry.by_connection("c-1").await.unwrap().len(), 1);
}

/// What the SDK does without wsproxy's settings (standard mode as `aws_config` builds it):
/// three attempts, then the error.
#[tokio::test]
async fn the_sdk_default_gives_up_after_three_attempts() {
    let (faults, url) = FaultProxy::start(&dynamodb_endpoint()).await;
    let (client, calls) = crate::util::client_for(&url);
    let registry = DynamoDbRegistry::new(client, unique_table("sdk-default"));
    faults.fail_always("Query", Fault::dynamodb("ThrottlingException"));
    let err = registry.by_partition("b-1").await.unwrap_err();
    assert!(err.to_string().contains("up to 3 attempts"), "{err}");
    assert_eq!(Calls::count(&calls.take(), "Query"), 3);
}

fn assert_no_secret(text: &str) {
    for secret in [SECRET_KEY, SESSION_TOKEN, CLIENT_TOKEN] {
        assert!(!text.contains(secret), "{secret} leaked into: {text}");
    }
}
