//! `ApiGatewayPusher` behind the fault proxy in front of the local gateway's `@connections`:
//! 429 and 5xx are retried within the deadline, 410 is Gone at once, and nothing whose
//! outcome is unknown (a late or broken answer) is sent twice. Deliveries are counted on a
//! real WebSocket client.

use crate::fault_proxy::{Fault, FaultProxy};
use crate::pusher::{gateway, next_text, Ws};
use crate::rig::backend;
use aws_sdk_apigatewaymanagement as mgmt;
use bytes::Bytes;
use std::sync::Arc;
use std::time::Duration;
use tokio::time::Instant;
use wsproxy_aws::{ApiGatewayPusher, PushRetry};
use wsproxy_core::{
    ConnectionItem, ConnectionType, MemoryRegistry, Proxy, PushError, Pusher, Registry, Secret,
};

const OP: &str = "PostToConnection";

/// Short retries, so that a test takes well under a second.
fn quick() -> PushRetry {
    PushRetry {
        budget: Duration::from_secs(2),
        attempt_timeout: Duration::from_millis(500),
        initial_backoff: Duration::from_millis(20),
        max_backoff: Duration::from_millis(200),
    }
}

/// A gateway with one open socket, a fault proxy in front of its `@connections`, and a
/// client for the proxy with `retry` as the SDK's retry configuration.
async fn rig(retry: mgmt::config::retry::RetryConfig) -> (FaultProxy, mgmt::Client, Ws, String) {
    let (endpoint, ws_url) = gateway().await;
    let base = endpoint.trim_end_matches("/dev");
    let (faults, url) = FaultProxy::start(base).await;
    let (mut ws, _) = tokio_tungstenite::connect_async(&ws_url).await.unwrap();
    let id = next_text(&mut ws).await;
    let conf = mgmt::Config::builder()
        .behavior_version(mgmt::config::BehaviorVersion::latest())
        .region(mgmt::config::Region::new("us-east-1"))
        .endpoint_url(format!("{url}/dev"))
        .credentials_provider(mgmt::config::Credentials::new(
            "testing", "testing", None, None, "tests",
        ))
        .retry_config(retry)
        .build();
    (faults, mgmt::Client::from_conf(conf), ws, id)
}

/// A client's own retries: the standard mode (as `aws_config` builds it), with short pauses.
fn sdk_standard() -> mgmt::config::retry::RetryConfig {
    mgmt::config::retry::RetryConfig::standard().with_initial_backoff(Duration::from_millis(10))
}

/// Our pusher, built on a client that would retry on its own.
async fn pusher_rig() -> (FaultProxy, ApiGatewayPusher, Ws, String) {
    let (faults, client, ws, id) = rig(sdk_standard()).await;
    (
        faults,
        ApiGatewayPusher::new(client).with_retry(quick()),
        ws,
        id,
    )
}

/// The next message is `expected`: nothing arrived in between (no second copy).
async fn next_is(ws: &mut Ws, expected: &str) {
    assert_eq!(next_text(ws).await, expected);
}

#[tokio::test]
async fn refusals_are_retried_and_the_message_arrives_once() {
    let (faults, pusher, mut ws, id) = pusher_rig().await;
    faults.fail_next(OP, 1, Fault::apigw(429, "LimitExceededException"));
    faults.fail_next(OP, 1, Fault::apigw(503, "ServiceUnavailableException"));
    faults.fail_next(OP, 1, Fault::apigw(500, "InternalServerErrorException"));
    pusher.push(&id, Bytes::from("one")).await.unwrap();
    assert_eq!(faults.seen(OP), 4, "three refused, one delivered");
    assert_eq!(faults.forwarded(OP), 1);
    pusher.push(&id, Bytes::from("marker")).await.unwrap();
    next_is(&mut ws, "one").await;
    next_is(&mut ws, "marker").await;
}

#[tokio::test]
async fn refusals_past_the_deadline_fail_within_it() {
    let (faults, pusher, _ws, id) = pusher_rig().await;
    faults.fail_always(OP, Fault::apigw(503, "ServiceUnavailableException"));
    let budget = Duration::from_millis(600);
    let started = Instant::now();
    let result = pusher
        .push_before(&id, Bytes::from("x"), started + budget)
        .await;
    let took = started.elapsed();
    match result {
        Err(PushError::Failed { reason, .. }) => {
            assert!(reason.contains("HTTP 503"), "{reason}");
            assert!(reason.contains("gave up after"), "{reason}");
        }
        other => panic!("expected Failed, got {other:?}"),
    }
    assert!(took <= budget, "gave up after {took:?}, past the deadline");
    assert!(
        faults.seen(OP) >= 3,
        "retried: {} attempts",
        faults.seen(OP)
    );
    assert_eq!(faults.forwarded(OP), 0);
}

#[tokio::test]
async fn gone_and_refused_requests_are_not_retried() {
    let (faults, pusher, _ws, id) = pusher_rig().await;
    faults.fail_next(OP, 1, Fault::apigw(410, "GoneException"));
    match pusher.push(&id, Bytes::from("x")).await {
        Err(PushError::Gone(gone)) => assert_eq!(gone, id),
        other => panic!("expected Gone, got {other:?}"),
    }
    assert_eq!(faults.seen(OP), 1);

    faults.fail_next(OP, 1, Fault::apigw(403, "ForbiddenException"));
    match pusher.push(&id, Bytes::from("x")).await {
        Err(PushError::Failed { reason, .. }) => assert!(reason.contains("HTTP 403"), "{reason}"),
        other => panic!("expected Failed, got {other:?}"),
    }
    assert_eq!(faults.seen(OP), 2);
    assert_eq!(faults.forwarded(OP), 0);
}

#[tokio::test]
async fn a_late_answer_is_not_retried() {
    let (faults, pusher, mut ws, id) = pusher_rig().await;
    faults.fail_next(OP, 1, Fault::Late(Duration::from_secs(3)));
    match pusher.push(&id, Bytes::from("late")).await {
        Err(PushError::Failed { reason, .. }) => {
            assert!(reason.contains("may have arrived"), "{reason}")
        }
        other => panic!("expected Failed, got {other:?}"),
    }
    assert_eq!(faults.seen(OP), 1);
    assert_eq!(faults.forwarded(OP), 1);
    pusher.push(&id, Bytes::from("marker")).await.unwrap();
    next_is(&mut ws, "late").await;
    next_is(&mut ws, "marker").await;
}

#[tokio::test]
async fn a_broken_answer_is_not_retried() {
    let (faults, pusher, mut ws, id) = pusher_rig().await;
    faults.fail_next(OP, 1, Fault::Cut);
    match pusher.push(&id, Bytes::from("cut")).await {
        Err(PushError::Failed { reason, .. }) => {
            assert!(reason.contains("not retried"), "{reason}")
        }
        other => panic!("expected Failed, got {other:?}"),
    }
    assert_eq!(faults.seen(OP), 1);
    assert_eq!(faults.forwarded(OP), 1);
    pusher.push(&id, Bytes::from("marker")).await.unwrap();
    next_is(&mut ws, "cut").await;
    next_is(&mut ws, "marker").await;
}

/// Why the pusher turns the SDK's retries off: its standard mode retries a broken answer,
/// and the socket gets the message once per attempt.
#[tokio::test]
async fn the_sdk_alone_would_deliver_a_message_three_times() {
    let (faults, client, mut ws, id) = rig(sdk_standard()).await;
    faults.fail_next(OP, 2, Fault::Cut);
    client
        .post_to_connection()
        .connection_id(&id)
        .data(mgmt::primitives::Blob::new("twice?"))
        .send()
        .await
        .unwrap();
    assert_eq!(faults.forwarded(OP), 3);
    for _ in 0..3 {
        next_is(&mut ws, "twice?").await;
    }
}

#[tokio::test]
async fn gone_through_the_core_removes_the_connection() {
    let (faults, pusher, _ws, id) = pusher_rig().await;
    faults.fail_always(OP, Fault::apigw(410, "GoneException"));
    let registry = Arc::new(MemoryRegistry::new());
    let mut item = ConnectionItem::new(
        "b-1",
        &id,
        ConnectionType::Chat,
        Some("u-1".into()),
        Secret::new("t"),
    );
    // Older than the grace a Gone push gives a connection whose $connect may be running.
    item.created_at -= wsproxy_core::GONE_GRACE_SECS;
    registry.put(&item).await.unwrap();
    let (backend, _) = backend().await;
    let proxy = Proxy::new(registry.clone(), Arc::new(backend), Arc::new(pusher));
    let answer = proxy.message(&id, r#"{"message":"hi"}"#).await;
    assert_eq!(answer.status, 200, "{answer:?}");
    assert_eq!(faults.seen(OP), 1, "a 410 is not retried");
    assert!(registry.by_connection(&id).await.unwrap().is_empty());
}
