//! The gateway over the real wsproxy core: MemoryRegistry, an in-test backend, Connections
//! as the pusher.

use crate::common::{expect_close, next_text, within, Ws};
use futures::SinkExt as _;
use serde_json::{json, Value};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio_tungstenite::tungstenite::{Error as WsError, Message};
use wsproxy_core::{Backend, BackendError, MemoryRegistry, Registry};
use wsproxy_gateway::{Connections, Gateway, GatewayConfig};

/// A backend: booking connects send an initial payload unless the token is "bad" (403);
/// feed messages are broadcast.
struct FakeBackend;

#[async_trait::async_trait]
impl Backend for FakeBackend {
    async fn post(&self, path: &str, body: &Value) -> Result<Value, BackendError> {
        if body["token"] == "bad" {
            return Err(BackendError::Status {
                path: path.into(),
                status: 403,
            });
        }
        match path {
            p if p.starts_with("/api/ws/bookings/") => {
                Ok(json!({"initial": {"type": "initial", "n": 1}}))
            }
            "/api/ws/items-feed/message" => Ok(json!({"broadcast": true, "echo": body["message"]})),
            _ => Ok(json!({})),
        }
    }
}

struct Setup {
    addr: SocketAddr,
    registry: Arc<MemoryRegistry>,
    connections: Arc<Connections>,
}

async fn start() -> Setup {
    let config = GatewayConfig {
        listen: "127.0.0.1:0".parse().unwrap(),
        ..GatewayConfig::default()
    };
    let registry = Arc::new(MemoryRegistry::new());
    let bound = Gateway::builder()
        .config(config)
        .core(registry.clone(), Arc::new(FakeBackend))
        .bind()
        .await
        .unwrap();
    let addr = bound.local_addr();
    let connections = bound.connections().clone();
    tokio::spawn(bound.serve(futures::future::pending()));
    Setup {
        addr,
        registry,
        connections,
    }
}

async fn open(addr: SocketAddr, query: &str) -> Result<Ws, WsError> {
    within(
        "connect",
        tokio_tungstenite::connect_async(format!("ws://{addr}/dev?{query}")),
    )
    .await
    .map(|(ws, _)| ws)
}

async fn json_message(ws: &mut Ws) -> Value {
    serde_json::from_str(&next_text(ws).await).unwrap()
}

/// Waits until the registry holds `n` items.
async fn registry_len(registry: &MemoryRegistry, n: usize) {
    within("the registry", async {
        while registry.len() != n {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await
}

#[tokio::test]
async fn booking_connect_message_and_disconnect() {
    let s = start().await;
    let mut ws = open(s.addr, "type=booking&booking_id=b1&token=good")
        .await
        .unwrap();
    assert_eq!(
        json_message(&mut ws).await,
        json!({"type": "initial", "n": 1})
    );
    let items = s.registry.by_partition("b1").await.unwrap();
    assert_eq!(items.len(), 1);
    let id = items[0].connection_id.clone();
    assert!(s.connections.contains(&id));

    ws.send(Message::text(r#"{"hello":"there"}"#))
        .await
        .unwrap();
    assert_eq!(
        json_message(&mut ws).await,
        json!({"type": "ack", "message": "Received"})
    );

    ws.close(None).await.unwrap();
    let _ = expect_close(&mut ws).await;
    registry_len(&s.registry, 0).await;
    assert!(!s.connections.contains(&id));
}

#[tokio::test]
async fn backend_refusals_fail_the_upgrade() {
    let s = start().await;
    let err = open(s.addr, "type=booking&booking_id=b1&token=bad")
        .await
        .unwrap_err();
    let WsError::Http(response) = err else {
        panic!("expected HTTP error: {err}")
    };
    assert_eq!(response.status(), 403);
    let body: Value = serde_json::from_slice(response.body().as_deref().unwrap()).unwrap();
    assert!(body["error"]
        .as_str()
        .unwrap()
        .contains("connection refused"));

    let err = open(s.addr, "type=booking&token=x").await.unwrap_err();
    let WsError::Http(response) = err else {
        panic!("expected HTTP error: {err}")
    };
    assert_eq!(response.status(), 400);
    assert!(s.registry.is_empty());
    assert!(s.connections.is_empty());
}

#[tokio::test]
async fn feed_broadcasts_reach_every_feed_socket() {
    let s = start().await;
    let mut a = open(s.addr, "type=feed").await.unwrap();
    let mut b = open(s.addr, "type=feed").await.unwrap();
    registry_len(&s.registry, 2).await;
    a.send(Message::text(r#"{"item":7}"#)).await.unwrap();
    let expected = json!({"broadcast": true, "echo": {"item": 7}});
    assert_eq!(json_message(&mut a).await, expected);
    assert_eq!(json_message(&mut b).await, expected);
    drop(b); // vanishes without a close frame: $disconnect still removes it
    registry_len(&s.registry, 1).await;
}
