//! A connection store that fails under a running gateway (DynamoDB setups): the table is
//! deleted while clients are connected. Nothing crashes, the sender is told why and how
//! to fix it, and its socket stays usable.

use crate::setup;
use serde_json::json;
use wsproxy_e2e::{Client, Setup};

#[tokio::test]
async fn a_missing_table_gives_the_sender_an_error_that_names_the_fix() {
    let (backend, gw) = setup().await;
    if gw.setup == Setup::Memory {
        eprintln!("not applicable: the memory setup has no table (runs under WSPROXY_E2E_SETUP=dynamodb|lambda)");
        return;
    }
    let mut alice = Client::open(&gw.ws_url("type=chat&booking_id=b1&token=tok-alice")).await;
    alice.recv_json().await;
    let id = backend.connection_id_of("tok-alice");
    gw.delete_table().await;

    alice.send_json(&json!({"text": "anyone?"})).await;
    let err = alice.recv_json().await;
    assert_eq!(err["type"], "error", "{err}");
    let text = err["error"].as_str().unwrap();
    assert!(
        text.contains("does not exist") && text.contains("wsproxy table create"),
        "{text}"
    );
    assert!(!text.contains("tok-alice"), "the token leaked: {text}");
    assert!(
        backend.calls_to("/message").is_empty(),
        "no backend call without the connection's metadata"
    );

    // The socket is still open and reachable.
    assert_eq!(gw.push(&id, r#"{"still":"here"}"#).await, 200);
    assert_eq!(alice.recv_json().await, json!({"still": "here"}));
    // New connections are refused (they cannot be registered), with the reason.
    let refusal = Client::connect(&gw.ws_url("type=feed"))
        .await
        .expect_err("refused");
    assert_eq!(refusal.status, 500);
}
