//! Ids that reach a backend path or a registry key (defect 4) and numbers that must pass
//! through exactly (defect 7), against the core with a scripted backend.

use async_trait::async_trait;
use bytes::Bytes;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use wsproxy_core::{
    Backend, BackendError, ConnectionItem, ConnectionType, MemoryRegistry, Proxy, PushError,
    Pusher, Registry, Secret,
};

type Script = dyn Fn(&str, &Value) -> Value + Send + Sync;

/// Records each call (path and body as sent) and answers with the script.
struct Scripted {
    calls: Mutex<Vec<(String, String)>>,
    script: Box<Script>,
}

impl Scripted {
    fn new(script: impl Fn(&str, &Value) -> Value + Send + Sync + 'static) -> Arc<Self> {
        Arc::new(Self {
            calls: Mutex::default(),
            script: Box::new(script),
        })
    }

    fn paths(&self) -> Vec<String> {
        self.calls
            .lock()
            .unwrap()
            .iter()
            .map(|c| c.0.clone())
            .collect()
    }
}

#[async_trait]
impl Backend for Scripted {
    async fn post(&self, path: &str, body: &Value) -> Result<Value, BackendError> {
        self.calls
            .lock()
            .unwrap()
            .push((path.to_owned(), body.to_string()));
        Ok((self.script)(path, body))
    }
}

/// Records every push as text.
#[derive(Default)]
struct Sockets(Mutex<Vec<(String, String)>>);

impl Sockets {
    fn to(&self, id: &str) -> Vec<String> {
        let pushes = self.0.lock().unwrap();
        pushes
            .iter()
            .filter(|p| p.0 == id)
            .map(|p| p.1.clone())
            .collect()
    }
}

#[async_trait]
impl Pusher for Sockets {
    async fn push(&self, id: &str, data: Bytes) -> Result<(), PushError> {
        let text = String::from_utf8(data.to_vec()).unwrap();
        self.0.lock().unwrap().push((id.to_owned(), text));
        Ok(())
    }
}

fn query(pairs: &[(&str, &str)]) -> HashMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

struct World {
    registry: Arc<MemoryRegistry>,
    backend: Arc<Scripted>,
    sockets: Arc<Sockets>,
    proxy: Proxy,
}

fn world(script: impl Fn(&str, &Value) -> Value + Send + Sync + 'static) -> World {
    let registry = Arc::new(MemoryRegistry::new());
    let backend = Scripted::new(script);
    let sockets = Arc::new(Sockets::default());
    let proxy = Proxy::new(registry.clone(), backend.clone(), sockets.clone());
    World {
        registry,
        backend,
        sockets,
        proxy,
    }
}

async fn register(w: &World, partition: &str, id: &str) {
    let item = ConnectionItem::new(partition, id, ConnectionType::Chat, None, Secret::new("t"));
    w.registry.put(&item).await.unwrap();
}

#[tokio::test]
async fn dot_and_control_booking_ids_in_the_query_are_refused_before_any_call() {
    let w = world(|_, _| json!({"user_id": "u1"}));
    for kind in ["chat", "booking"] {
        for (bad, why) in [
            (".", "'.' is not an id"),
            ("..", "'..' is not an id"),
            ("a\u{0}", "U+0000"),
            ("feed", "reserved"),
            ("user_alice", "reserved"),
        ] {
            let q = query(&[("type", kind), ("booking_id", bad), ("token", "tok")]);
            let out = w.proxy.connect("c1", &q).await;
            assert_eq!(out.response.status, 400, "{kind} {bad:?}");
            let body: Value = serde_json::from_str(&out.response.body).unwrap();
            let error = body["error"].as_str().unwrap();
            assert!(
                error.contains("booking_id") && error.contains(why),
                "{error}"
            );
        }
        let long = "b".repeat(wsproxy_core::MAX_ID_BYTES + 1);
        let q = query(&[("type", kind), ("booking_id", &long), ("token", "tok")]);
        assert_eq!(w.proxy.connect("c1", &q).await.response.status, 400);
    }
    assert!(w.backend.paths().is_empty(), "{:?}", w.backend.paths());
    assert!(w.registry.is_empty());
}

#[tokio::test]
async fn a_user_id_the_registry_cannot_key_refuses_the_connect() {
    for bad in [json!(".."), json!("."), json!("u\n1"), json!({"id": 1})] {
        let answer = json!({ "user_id": bad });
        let w = world(move |_, _| answer.clone());
        for q in [
            query(&[("type", "chat"), ("token", "tok")]),
            query(&[("type", "notification"), ("token", "tok")]),
            query(&[("type", "chat"), ("booking_id", "b1"), ("token", "tok")]),
        ] {
            let out = w.proxy.connect("c1", &q).await;
            assert_eq!(out.response.status, 502, "{bad} {q:?}");
            assert!(
                out.response.body.contains("invalid user_id"),
                "{}",
                out.response.body
            );
            assert!(out.after_open.is_empty());
        }
        assert!(w.registry.is_empty(), "{bad}: an item was registered");
    }
}

#[tokio::test]
async fn dot_booking_ids_in_a_message_body_get_an_error_frame_and_no_call() {
    let w = world(|_, _| json!({"broadcast": true}));
    register(&w, "b1", "c1").await;
    for bad in [r#"".""#, r#""..""#, r#""\u0007""#, "true", r#""user_bob""#] {
        let body = format!(r#"{{"booking_id":{bad},"token":"tok-x","text":"hi"}}"#);
        // From a known connection, and from an unknown one that names a booking and a token.
        for sender in ["c1", "stranger"] {
            let answer = w.proxy.message(sender, &body).await;
            assert_eq!(answer.status, 400, "{bad}");
            let frames = w.sockets.to(sender);
            let frame: Value = serde_json::from_str(frames.last().unwrap()).unwrap();
            assert_eq!(frame["type"], "error");
            assert!(
                frame["error"]
                    .as_str()
                    .unwrap()
                    .contains("invalid booking_id"),
                "{frame}"
            );
        }
    }
    assert!(w.backend.paths().is_empty(), "{:?}", w.backend.paths());
}

#[tokio::test]
async fn a_dot_booking_id_in_a_backend_answer_is_an_error_frame_not_a_participants_call() {
    let w = world(|path, _| {
        assert!(!path.ends_with("/participants"), "{path}");
        json!({"booking_id": "..", "broadcast": true})
    });
    register(&w, "b1", "c1").await;
    register(&w, "b1", "peer").await;
    let answer = w.proxy.message("c1", r#"{"text":"hi"}"#).await;
    assert_eq!(answer.status, 502);
    assert_eq!(w.backend.paths(), ["/api/chat/ws/b1/message"]);
    let frame: Value = serde_json::from_str(&w.sockets.to("c1")[0]).unwrap();
    assert_eq!(frame["type"], "error");
    assert!(frame["error"]
        .as_str()
        .unwrap()
        .contains("invalid booking_id"));
    assert!(w.sockets.to("peer").is_empty());
}

#[tokio::test]
async fn bad_participant_ids_are_left_out_and_the_booking_still_gets_the_message() {
    let w = world(|path, _| {
        if path.ends_with("/participants") {
            json!({"owner_id": "..", "renter_id": "r1"})
        } else {
            json!({"text": "hi", "broadcast": true})
        }
    });
    register(&w, "b1", "c1").await;
    register(&w, "user_..", "dots").await;
    register(&w, "user_r1", "renter").await;
    assert_eq!(w.proxy.message("c1", r#"{"text":"hi"}"#).await.status, 200);
    assert_eq!(w.sockets.to("c1").len(), 1);
    assert_eq!(w.sockets.to("renter").len(), 1);
    assert!(w.sockets.to("dots").is_empty());
}

#[tokio::test]
async fn a_bad_notification_user_id_in_an_answer_is_an_error_frame() {
    let w = world(|_, _| json!({"user_id": "..", "broadcast": true}));
    let item = ConnectionItem::new(
        "user_u1",
        "n1",
        ConnectionType::Notification,
        Some("u1".into()),
        Secret::new("t"),
    );
    w.registry.put(&item).await.unwrap();
    assert_eq!(w.proxy.message("n1", r#"{"text":"hi"}"#).await.status, 502);
    let frame: Value = serde_json::from_str(&w.sockets.to("n1")[0]).unwrap();
    assert!(frame["error"].as_str().unwrap().contains("invalid user_id"));
}

const BIG: &str = "123456789012345678901234567890";

#[tokio::test]
async fn numbers_reach_the_backend_and_the_client_as_written() {
    let w = world(|_, _| {
        serde_json::from_str(&format!(r#"{{"n":{BIG},"f":1.10,"e":1e400}}"#)).unwrap()
    });
    register(&w, "b1", "c1").await;
    let body = format!(r#"{{"booking_id":{BIG}0,"n":{BIG},"f":0.10,"e":-1E-400}}"#);
    assert_eq!(w.proxy.message("c1", &body).await.status, 200);
    let calls = w.backend.calls.lock().unwrap().clone();
    assert_eq!(calls[0].0, format!("/api/chat/ws/{BIG}0/message"));
    let sent = &calls[0].1;
    for exact in [
        format!(r#""booking_id":{BIG}0"#),
        format!(r#""n":{BIG}"#),
        r#""f":0.10"#.to_owned(),
        // serde_json writes the exponent's letter in lower case; the value is the same.
        r#""e":-1e-400"#.to_owned(),
    ] {
        assert!(sent.contains(&exact), "{exact} not in {sent}");
    }
    // Out of f64's range and still exact (only the exponent is spelled `e+`).
    assert_eq!(
        w.sockets.to("c1"),
        [format!(r#"{{"e":1e+400,"f":1.10,"n":{BIG}}}"#)]
    );
}

#[tokio::test]
async fn a_numeric_user_id_forms_its_partition_exactly() {
    let w = world(|_, _| serde_json::from_str(&format!(r#"{{"user_id":{BIG}}}"#)).unwrap());
    let out = w
        .proxy
        .connect("c1", &query(&[("type", "chat"), ("token", "tok")]))
        .await;
    assert_eq!(out.response.status, 200);
    let items = w.registry.by_connection("c1").await.unwrap();
    assert_eq!(items[0].partition, format!("user_{BIG}"));
}
