//! The registry's bound on requests in flight, against a slow fake DynamoDB that counts how
//! many requests it holds at once: a burst of 40 deletes never has more than the bound at
//! the server, every one of them completes, and a call that cannot get a turn in time
//! answers `Unavailable` naming the bound.

use axum::extract::State;
use serde_json::json;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;
use wsproxy_aws::{DynamoDbRegistry, InFlight};
use wsproxy_core::{ConnectionItem, ConnectionType, Registry, RegistryError, Secret};

/// A DynamoDB that answers every BatchWriteItem after `delay`, recording the most requests
/// it held at once.
#[derive(Default)]
struct Slow {
    delay: Duration,
    now: AtomicUsize,
    most: AtomicUsize,
    served: AtomicUsize,
}

async fn handle(State(slow): State<Arc<Slow>>) -> ([(&'static str, &'static str); 1], String) {
    let now = slow.now.fetch_add(1, Ordering::SeqCst) + 1;
    slow.most.fetch_max(now, Ordering::SeqCst);
    tokio::time::sleep(slow.delay).await;
    slow.now.fetch_sub(1, Ordering::SeqCst);
    slow.served.fetch_add(1, Ordering::SeqCst);
    (
        [("content-type", "application/x-amz-json-1.0")],
        json!({ "UnprocessedItems": {} }).to_string(),
    )
}

async fn start(slow: Arc<Slow>) -> String {
    let app = axum::Router::new()
        .route("/", axum::routing::post(handle))
        .with_state(slow);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{addr}")
}

fn item(n: usize) -> ConnectionItem {
    ConnectionItem::new(
        format!("b-{n}"),
        format!("c-{n}"),
        ConnectionType::Feed,
        None,
        Secret::new("tok"),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_queues_behind_the_bound_and_every_call_completes() {
    let slow = Arc::new(Slow {
        delay: Duration::from_millis(40),
        ..Slow::default()
    });
    let (client, _) = crate::util::client_for(&start(slow.clone()).await);
    let registry = Arc::new(
        DynamoDbRegistry::new(client, "t")
            .with_in_flight(InFlight::new(4, Duration::from_secs(30))),
    );
    let calls = (0..40).map(|n| {
        let registry = registry.clone();
        tokio::spawn(async move { registry.delete(&[item(n)]).await })
    });
    for call in futures::future::join_all(calls).await {
        call.unwrap().expect("every delete of the burst completes");
    }
    assert_eq!(slow.served.load(Ordering::SeqCst), 40);
    let most = slow.most.load(Ordering::SeqCst);
    assert!(
        (1..=4).contains(&most),
        "{most} requests at once at the server"
    );
}

#[tokio::test]
async fn a_call_that_gets_no_turn_in_time_is_unavailable_and_says_why() {
    let slow = Arc::new(Slow {
        delay: Duration::from_millis(500),
        ..Slow::default()
    });
    let (client, _) = crate::util::client_for(&start(slow.clone()).await);
    let registry = Arc::new(
        DynamoDbRegistry::new(client, "t")
            .with_in_flight(InFlight::new(1, Duration::from_millis(100))),
    );
    let first = {
        let registry = registry.clone();
        tokio::spawn(async move { registry.delete(&[item(1)]).await })
    };
    // The first call holds the one turn for 500 ms.
    while slow.now.load(Ordering::SeqCst) == 0 {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let err = registry.delete(&[item(2)]).await.unwrap_err();
    assert!(matches!(err, RegistryError::Unavailable(_)), "{err:?}");
    let text = err.to_string();
    assert!(
        text.contains("BatchWriteItem on table 't'") && text.contains("one of 1 request slots"),
        "{text}"
    );
    first
        .await
        .unwrap()
        .expect("the call with the turn completes");
    assert_eq!(slow.served.load(Ordering::SeqCst), 1);
}
