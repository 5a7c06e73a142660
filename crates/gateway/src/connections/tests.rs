//! The connection table's unit tests.

use super::*;
use crate::budget::{MESSAGE_OVERHEAD, OVER_BUDGET_REASON};
use crate::Quotas;

fn meta(id: &str) -> ConnectionMeta {
    ConnectionMeta {
        connection_id: id.into(),
        connected_at_ms: 1,
        stage: "dev".into(),
        domain_name: "h".into(),
        source_ip: "127.0.0.1".into(),
        user_agent: None,
    }
}

fn table(budget: usize) -> Connections {
    Connections::new(&GatewayConfig {
        quotas: Quotas {
            socket_budget_bytes: budget,
            max_message_bytes: 10,
            ..Quotas::default()
        },
        ..GatewayConfig::default()
    })
}

#[test]
fn the_core_learns_the_gateways_message_quota() {
    assert_eq!(Pusher::max_message_bytes(&table(1024)), 10);
}

#[tokio::test]
async fn first_messages_come_first_and_an_overflowing_push_closes_the_socket() {
    // Room for "hi" and "one" with their overhead, not for "two".
    let c = table(2 * MESSAGE_OVERHEAD + 5);
    let (h, mut ends) = Handle::new(meta("a"), c.socket_budget(), vec![Bytes::from("hi")]);
    assert!(matches!(
        c.send("a", Bytes::from("x")),
        Err(SendError::Gone(_))
    ));
    assert!(c.insert(h.clone()));
    c.send("a", Bytes::from("one")).unwrap();
    assert!(matches!(
        c.send("a", Bytes::from("01234567890")),
        Err(SendError::TooLarge { size: 11, max: 10 })
    ));
    assert_eq!(
        c.send("a", Bytes::from("two")),
        Err(SendError::Gone("a".into()))
    );
    assert!(
        !c.contains("a"),
        "the overflowing push closes the socket at once"
    );
    let req = ends.close.await.unwrap();
    assert_eq!((req.code, req.reason.as_str()), (1008, OVER_BUDGET_REASON));
    assert_eq!(ends.outgoing.recv().await, Some(Bytes::from("hi")));
    assert_eq!(ends.outgoing.recv().await, Some(Bytes::from("one")));
    // Nothing after the overflow was queued: no message is skipped.
    assert!(ends.outgoing.try_recv().is_err());
    let err = c.push("a", Bytes::from("x")).await.unwrap_err();
    assert!(matches!(err, PushError::Gone(_)));
}

#[tokio::test]
async fn after_open_messages_over_the_budget_close_the_socket_as_it_opens() {
    let (_h, ends) = Handle::new(meta("a"), 100, vec![Bytes::from(vec![b'x'; 100])]);
    let req = ends.close.await.unwrap();
    assert_eq!(req.code, 1008);
}

#[tokio::test]
async fn close_removes_at_once_and_signals() {
    let c = table(1024);
    let (h, ends) = Handle::new(meta("a"), 1024, vec![]);
    assert!(c.insert(h.clone()));
    assert!(!c.insert(h.clone()));
    assert!(c.close("a", 1000, "bye"));
    assert!(!c.contains("a"));
    assert!(!c.close("a", 1000, "bye"));
    let req = ends.close.await.unwrap();
    assert_eq!(req.code, 1000);
    assert!(!c.remove(&h));
}

#[test]
fn shut_down_refuses_new_sockets() {
    let c = table(1024);
    let (a, _ea) = Handle::new(meta("a"), 1024, vec![]);
    assert!(c.insert(a));
    assert_eq!(c.shut_down(1001, "Going away"), 1);
    let (b, _eb) = Handle::new(meta("b"), 1024, vec![]);
    assert!(!c.insert(b));
    assert!(c.is_empty());
}
