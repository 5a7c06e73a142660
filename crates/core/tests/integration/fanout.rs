//! Fan-out properties that are hard to provoke through real sockets: a slow target and
//! a failing target do not hold back or fail the others.

use async_trait::async_trait;
use bytes::Bytes;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use wsproxy_core::{
    Backend, BackendError, ConnectionItem, ConnectionType, MemoryRegistry, Proxy, ProxyConfig,
    PushError, Pusher, Registry, Secret,
};

/// A feed backend whose every answer is a broadcast.
struct FeedBackend;

#[async_trait]
impl Backend for FeedBackend {
    async fn post(&self, _path: &str, body: &Value) -> Result<Value, BackendError> {
        Ok(json!({"item": body["message"], "broadcast": true}))
    }
}

/// Records deliveries; `slow` never answers, `broken` fails, `gone` is gone.
#[derive(Default)]
struct Sockets {
    delivered: Mutex<Vec<String>>,
    /// Every payload delivered, by target.
    payloads: Mutex<Vec<(String, String)>>,
}

#[async_trait]
impl Pusher for Sockets {
    async fn push(&self, id: &str, data: Bytes) -> Result<(), PushError> {
        match id {
            "slow" => {
                tokio::time::sleep(Duration::from_secs(3600)).await;
                Ok(())
            }
            "broken" => Err(PushError::Failed {
                connection_id: id.into(),
                reason: "throttled".into(),
            }),
            "gone" => Err(PushError::Gone(id.into())),
            _ => {
                self.delivered.lock().unwrap().push(id.to_owned());
                let text = String::from_utf8_lossy(&data).into_owned();
                self.payloads.lock().unwrap().push((id.to_owned(), text));
                Ok(())
            }
        }
    }
}

#[tokio::test(start_paused = true)]
async fn slow_broken_and_gone_targets_do_not_hold_back_the_others() {
    let registry = Arc::new(MemoryRegistry::new());
    let mut ids: Vec<String> = (0..200).map(|i| format!("c{i}")).collect();
    ids.extend(["slow", "broken", "gone"].map(String::from));
    for id in &ids {
        let mut item =
            ConnectionItem::new("feed", id, ConnectionType::Feed, None, Secret::default());
        // Older than the grace a Gone push gives a connection whose $connect may be running.
        item.created_at -= wsproxy_core::GONE_GRACE_SECS;
        registry.put(&item).await.unwrap();
    }
    let sockets = Arc::new(Sockets::default());
    let config = ProxyConfig {
        fanout_concurrency: 8,
        push_timeout: Duration::from_secs(1),
    };
    let proxy = Proxy::with_config(
        registry.clone(),
        Arc::new(FeedBackend),
        sockets.clone(),
        config,
    );
    let answer = proxy.message("c0", r#"{"title":"x"}"#).await;
    assert_eq!(answer.status, 200);
    let mut delivered = sockets.delivered.lock().unwrap().clone();
    delivered.sort();
    let mut want: Vec<String> = (0..200).map(|i| format!("c{i}")).collect();
    want.sort();
    assert_eq!(delivered, want);
    assert!(
        registry.by_connection("gone").await.unwrap().is_empty(),
        "gone target kept"
    );
    assert_eq!(
        registry.by_connection("broken").await.unwrap().len(),
        1,
        "a failed push is not Gone"
    );
    assert_eq!(registry.by_connection("slow").await.unwrap().len(), 1);
}

#[tokio::test]
async fn a_registry_answering_with_an_error_gives_the_sender_an_error_frame() {
    struct Down;
    #[async_trait]
    impl Registry for Down {
        async fn put(&self, _: &ConnectionItem) -> Result<(), wsproxy_core::RegistryError> {
            Err(wsproxy_core::RegistryError::Unavailable(
                "store down".into(),
            ))
        }
        async fn by_connection(
            &self,
            _: &str,
        ) -> Result<Vec<ConnectionItem>, wsproxy_core::RegistryError> {
            Err(wsproxy_core::RegistryError::Unavailable(
                "store down".into(),
            ))
        }
        async fn by_partition(
            &self,
            _: &str,
        ) -> Result<Vec<ConnectionItem>, wsproxy_core::RegistryError> {
            Err(wsproxy_core::RegistryError::Unavailable(
                "store down".into(),
            ))
        }
        async fn delete(&self, _: &[ConnectionItem]) -> Result<(), wsproxy_core::RegistryError> {
            Err(wsproxy_core::RegistryError::Unavailable(
                "store down".into(),
            ))
        }
    }
    let sockets = Arc::new(Sockets::default());
    let proxy = Proxy::new(Arc::new(Down), Arc::new(FeedBackend), sockets.clone());
    let refused = proxy
        .connect("c1", &HashMap::from([("type".into(), "feed".into())]))
        .await;
    assert_eq!(refused.response.status, 500);
    assert!(refused.response.body.contains("store down"));
    assert_eq!(proxy.message("c1", "hi").await.status, 500);
    assert_eq!(
        sockets.delivered.lock().unwrap().as_slice(),
        ["c1"],
        "the error frame"
    );
    assert_eq!(proxy.disconnect("c1").await.status, 500);
}

#[tokio::test]
async fn a_registry_error_on_one_partition_does_not_stop_the_broadcast_to_the_others_and_the_sender_is_told(
) {
    /// Memory registry whose lookups of one partition fail, as a throttled or broken store would.
    struct Flaky(MemoryRegistry);
    #[async_trait]
    impl Registry for Flaky {
        async fn put(&self, i: &ConnectionItem) -> Result<(), wsproxy_core::RegistryError> {
            self.0.put(i).await
        }
        async fn by_connection(
            &self,
            c: &str,
        ) -> Result<Vec<ConnectionItem>, wsproxy_core::RegistryError> {
            self.0.by_connection(c).await
        }
        async fn by_partition(
            &self,
            p: &str,
        ) -> Result<Vec<ConnectionItem>, wsproxy_core::RegistryError> {
            if p == "user_owner" {
                return Err(wsproxy_core::RegistryError::Unavailable("throttled".into()));
            }
            self.0.by_partition(p).await
        }
        async fn delete(&self, i: &[ConnectionItem]) -> Result<(), wsproxy_core::RegistryError> {
            self.0.delete(i).await
        }
    }
    /// A chat backend: every message is broadcast; the booking's owner and renter are named.
    struct Chat;
    #[async_trait]
    impl Backend for Chat {
        async fn post(&self, path: &str, body: &Value) -> Result<Value, BackendError> {
            if path.ends_with("/participants") {
                return Ok(json!({"owner_id": "owner", "renter_id": "renter"}));
            }
            Ok(json!({"text": body["message"]["text"], "broadcast": true}))
        }
    }
    let registry = Flaky(MemoryRegistry::new());
    for (partition, id) in [
        ("b1", "sender"),
        ("b1", "peer"),
        ("user_owner", "owner"),
        ("user_renter", "renter"),
    ] {
        let item = ConnectionItem::new(partition, id, ConnectionType::Chat, None, Secret::new("t"));
        registry.put(&item).await.unwrap();
    }
    let sockets = Arc::new(Sockets::default());
    let proxy = Proxy::new(Arc::new(registry), Arc::new(Chat), sockets.clone());
    let answer = proxy.message("sender", r#"{"text":"hi"}"#).await;
    assert_eq!(answer.status, 500, "{answer:?}");
    let mut delivered = sockets.delivered.lock().unwrap().clone();
    delivered.sort();
    assert_eq!(delivered, ["peer", "renter", "sender", "sender"]);
    // The answer first, then an error frame: a partial broadcast is never silent.
    let payloads = sockets.payloads.lock().unwrap().clone();
    let to_sender: Vec<&String> = payloads
        .iter()
        .filter(|(id, _)| id == "sender")
        .map(|(_, p)| p)
        .collect();
    assert!(to_sender[0].contains(r#""text":"hi""#), "{to_sender:?}");
    let error: Value = serde_json::from_str(to_sender[1]).unwrap();
    assert_eq!(error["type"], "error");
    let text = error["error"].as_str().unwrap();
    assert!(
        text.contains("may not have reached everyone") && text.contains("throttled"),
        "{text}"
    );
}

/// A push answers Gone while the target's `$connect` is still running (its socket opens
/// after): the item that `$connect` has just written is kept, or the socket would open with
/// no item and miss every broadcast. An item older than the grace is removed.
#[tokio::test]
async fn a_gone_push_keeps_an_item_written_within_the_grace_and_removes_an_older_one() {
    let registry = Arc::new(MemoryRegistry::new());
    let sender = ConnectionItem::new("feed", "c0", ConnectionType::Feed, None, Secret::default());
    registry.put(&sender).await.unwrap();
    // "gone" answers Gone: once as a connection in its $connect, once as a dead one.
    let connecting = ConnectionItem::new(
        "feed",
        "gone",
        ConnectionType::Feed,
        None,
        Secret::default(),
    );
    registry.put(&connecting).await.unwrap();
    let proxy = Proxy::new(
        registry.clone(),
        Arc::new(FeedBackend),
        Arc::new(Sockets::default()),
    );
    assert_eq!(proxy.message("c0", r#"{"title":"x"}"#).await.status, 200);
    assert_eq!(
        registry.by_connection("gone").await.unwrap().len(),
        1,
        "an item written just now is kept"
    );

    let mut dead = connecting.clone();
    dead.created_at -= wsproxy_core::GONE_GRACE_SECS;
    registry.put(&dead).await.unwrap();
    assert_eq!(proxy.message("c0", r#"{"title":"y"}"#).await.status, 200);
    assert!(
        registry.by_connection("gone").await.unwrap().is_empty(),
        "an item older than the grace is removed"
    );
}
