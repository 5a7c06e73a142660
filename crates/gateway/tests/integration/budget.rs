//! Per-socket byte budgets: clients that do not read are closed with 1008, readers are not.

use crate::common::*;
use bytes::Bytes;
use futures::{SinkExt as _, StreamExt as _};
use std::sync::Arc;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use wsproxy_gateway::{
    EventType, Gateway, GatewayConfig, Integration, IntegrationResponse, RouteEvent, SendError,
};

const REASON: &str = "Policy Violation: the client is not reading its messages";

/// Opens a WebSocket with a raw TCP client; returns the stream (the 101 answer read, nothing
/// after it) and the connection's id.
async fn raw_socket(gw: &TestGateway) -> (TcpStream, String) {
    let mut tcp = TcpStream::connect(gw.addr).await.unwrap();
    let request = "GET /dev HTTP/1.1\r\nHost: gw\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\
                   Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n";
    tcp.write_all(request.as_bytes()).await.unwrap();
    // Read the answer's head byte by byte, so not one byte of the socket's data is consumed.
    let mut head = Vec::new();
    while !head.ends_with(b"\r\n\r\n") {
        let mut byte = [0u8; 1];
        within("the 101 answer", tcp.read_exact(&mut byte))
            .await
            .unwrap();
        head.push(byte[0]);
    }
    let head = String::from_utf8_lossy(&head);
    assert!(head.starts_with("HTTP/1.1 101"), "{head}");
    let connect = gw
        .recorder
        .wait_for("$connect", |e| e.event_type == EventType::Connect)
        .await;
    (tcp, connect.connection_id)
}

/// A masked client ping frame carrying 125 bytes.
fn ping_frame() -> Vec<u8> {
    let mask = [0x12, 0x34, 0x56, 0x78];
    let mut frame = vec![0x89, 0x80 | 125];
    frame.extend_from_slice(&mask);
    frame.extend((0..125).map(|i| b'p' ^ mask[i % 4]));
    frame
}

#[tokio::test]
async fn a_client_flooding_pings_without_reading_is_closed_with_1008() {
    let gw = TestGateway::start(GatewayConfig::default()).await;
    let (mut tcp, id) = raw_socket(&gw).await;
    let burst: Vec<u8> = (0..256).flat_map(|_| ping_frame()).collect();
    // Pings as fast as the gateway takes them, never reading a pong.
    let flood = tokio::spawn(async move {
        let mut sent = 0usize;
        while tcp.write_all(&burst).await.is_ok() {
            sent += 256;
        }
        sent
    });
    let d = gw.recorder.disconnect_of(&id).await;
    assert_eq!(d.disconnect_status_code, Some(1008));
    assert_eq!(d.disconnect_reason.as_deref(), Some(REASON));
    assert!(!gw.connections.contains(&id));
    let sent = within("the flood to stop", flood).await.unwrap();
    assert!(sent > 0);
}

#[tokio::test]
async fn a_client_reading_its_pongs_is_never_closed() {
    let gw = TestGateway::start(GatewayConfig::default()).await;
    let (ws, id) = gw.connect("").await;
    let (mut tx, mut rx) = ws.split();
    // 10,000 pongs of 127 bytes: more than the budget in all, never more than it at once.
    let pings = 10_000;
    let reading = tokio::spawn(async move {
        let mut pongs = 0;
        while pongs < pings {
            match rx.next().await {
                Some(Ok(Message::Pong(_))) => pongs += 1,
                Some(Ok(_)) => {}
                other => panic!("expected pongs, got {other:?}"),
            }
        }
        rx
    });
    for _ in 0..pings {
        tx.send(Message::Ping(Bytes::from(vec![b'p'; 125])))
            .await
            .unwrap();
    }
    let rx = within("every pong", reading).await.unwrap();
    gw.connections.send(&id, Bytes::from("still here")).unwrap();
    let mut ws = tx.reunite(rx).expect("the halves of one socket");
    assert_eq!(next_text(&mut ws).await, "still here");
    assert!(gw.connections.contains(&id));
}

#[tokio::test]
async fn a_client_that_does_not_read_pushes_is_closed_and_later_pushes_are_gone() {
    let gw = TestGateway::start(GatewayConfig::default()).await;
    let (_ws, id) = gw.connect("").await; // never read from again
    let url = connections_url(gw.addr, &id, true);
    let payload = vec![b'p'; 120 * 1024];
    let mut accepted = 0;
    loop {
        let r = http("POST", &url, payload.clone()).await;
        if r.status == 410 {
            assert_eq!(r.error_type(), Some("GoneException"));
            break;
        }
        assert_eq!(r.status, 200, "{r:?}");
        accepted += 1;
        assert!(accepted < 5_000, "the socket was never closed");
    }
    assert!(
        !gw.connections.contains(&id),
        "the overflowing push closes the socket"
    );
    let d = gw.recorder.disconnect_of(&id).await;
    assert_eq!(d.disconnect_status_code, Some(1008));
    assert_eq!(d.disconnect_reason.as_deref(), Some(REASON));
    for method in ["POST", "GET"] {
        assert_eq!(http(method, &url, "late").await.status, 410, "{method}");
    }
}

#[tokio::test]
async fn a_slow_reader_under_the_budget_gets_every_message_in_order() {
    let gw = TestGateway::start(GatewayConfig::default()).await;
    let (mut ws, id) = gw.connect("").await;
    // Each round queues ~900 KB at once (more than 256 messages, under the 1 MiB budget),
    // then reads it slowly; the rounds together are several budgets.
    let (rounds, per_round) = (4, 2_000);
    for round in 0..rounds {
        for i in 0..per_round {
            let body = format!("{round}:{i:05}:{}", "x".repeat(400));
            gw.connections
                .send(&id, Bytes::from(body))
                .unwrap_or_else(|e| panic!("push {i} of round {round}: {e}"));
        }
        for i in 0..per_round {
            let text = next_text(&mut ws).await;
            assert!(
                text.starts_with(&format!("{round}:{i:05}:")),
                "message {i} of round {round}"
            );
            if i % 100 == 0 {
                tokio::time::sleep(std::time::Duration::from_millis(5)).await;
            }
        }
    }
    assert!(gw.connections.contains(&id));
    assert!(!matches!(
        gw.connections.send(&id, Bytes::from("one more")),
        Err(SendError::Gone(_))
    ));
}

/// Routes that take 10 ms per message and record each message's first bytes.
#[derive(Default)]
struct SlowRoute {
    seen: std::sync::Mutex<Vec<String>>,
    disconnects: std::sync::Mutex<Vec<Option<u16>>>,
}

#[async_trait::async_trait]
impl Integration for SlowRoute {
    async fn handle(&self, event: RouteEvent) -> IntegrationResponse {
        match event.event_type {
            EventType::Message => {
                tokio::time::sleep(std::time::Duration::from_millis(10)).await;
                let body = event.body.unwrap_or_default();
                self.seen.lock().unwrap().push(body[..8].to_owned());
            }
            EventType::Disconnect => {
                let code = event.disconnect_status_code;
                self.disconnects.lock().unwrap().push(code);
            }
            EventType::Connect => {}
        }
        IntegrationResponse::ok()
    }
}

#[tokio::test]
async fn a_client_sending_faster_than_its_route_is_slowed_down_not_closed() {
    let config = GatewayConfig {
        listen: "127.0.0.1:0".parse().unwrap(),
        ..GatewayConfig::default()
    };
    let route = Arc::new(SlowRoute::default());
    let gw = Gateway::builder()
        .config(config)
        .integration(route.clone())
        .bind()
        .await
        .unwrap();
    let connections = gw.connections().clone();
    let addr = gw.local_addr();
    tokio::spawn(gw.serve(std::future::pending()));
    let (mut ws, _) = within(
        "connect",
        tokio_tungstenite::connect_async(format!("ws://{addr}/dev")),
    )
    .await
    .unwrap();
    // 40 messages of 100 KB (4 MB): the route backlog holds half the budget, the gateway
    // stops reading past that, and the client's writes wait.
    let count = 40;
    for i in 0..count {
        let mut body = format!("m{i:06}:").into_bytes();
        body.resize(100 * 1024, b'x');
        send_fragmented(&mut ws, &body, 32 * 1024).await;
    }
    within("every message to reach its route", async {
        while route.seen.lock().unwrap().len() < count {
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
    })
    .await;
    let expected: Vec<String> = (0..count).map(|i| format!("m{i:06}:")).collect();
    assert_eq!(*route.seen.lock().unwrap(), expected);
    assert_eq!(connections.len(), 1, "the socket is still open");
    assert!(route.disconnects.lock().unwrap().is_empty());
}

/// Routes that never answer a message (each waits for a permit that never comes).
struct StuckRoute {
    gate: tokio::sync::Semaphore,
}

#[async_trait::async_trait]
impl Integration for StuckRoute {
    async fn handle(&self, event: RouteEvent) -> IntegrationResponse {
        if event.event_type == EventType::Message {
            let _never = self.gate.acquire().await;
        }
        IntegrationResponse::ok()
    }
}

#[tokio::test]
async fn the_route_backlog_is_bounded_in_bytes() {
    // Small socket buffers on both sides, so what the client manages to write is what the
    // gateway took in, give or take a few KB.
    let listener = tokio::net::TcpSocket::new_v4().unwrap();
    listener.set_recv_buffer_size(16 * 1024).unwrap();
    listener.bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let listener = listener.listen(16).unwrap().into_std().unwrap();
    let config = GatewayConfig::default();
    let route = Arc::new(StuckRoute {
        gate: tokio::sync::Semaphore::new(0),
    });
    let gw = Gateway::builder()
        .config(config)
        .listener(listener)
        .integration(route)
        .bind()
        .await
        .unwrap();
    let addr = gw.local_addr();
    tokio::spawn(gw.serve(std::future::pending()));
    let client = tokio::net::TcpSocket::new_v4().unwrap();
    client.set_send_buffer_size(16 * 1024).unwrap();
    let tcp = client.connect(addr).await.unwrap();
    let (mut ws, _) = within(
        "connect",
        tokio_tungstenite::client_async(
            format!("ws://{addr}/dev"),
            tokio_tungstenite::MaybeTlsStream::Plain(tcp),
        ),
    )
    .await
    .unwrap();
    let sent = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let writer = tokio::spawn({
        let sent = sent.clone();
        async move {
            loop {
                send_fragmented(&mut ws, &vec![b'x'; 100 * 1024], 32 * 1024).await;
                sent.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            }
        }
    });
    // Wait until the client's writes stall: the gateway stopped reading.
    let mut last = usize::MAX;
    within("the client's writes to stall", async {
        loop {
            let now = sent.load(std::sync::atomic::Ordering::SeqCst);
            if now == last {
                return;
            }
            last = now;
            tokio::time::sleep(std::time::Duration::from_secs(1)).await;
        }
    })
    .await;
    writer.abort();
    // Half the 1 MiB budget waits for the route, one message more waits for room, and one
    // is half read: about 8 messages of 100 KB, never the 34 of a 32-message backlog.
    let messages = sent.load(std::sync::atomic::Ordering::SeqCst);
    assert!(
        (4..=12).contains(&messages),
        "the gateway took {messages} messages of 100 KB while the route answered none"
    );
}
