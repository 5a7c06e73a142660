//! The socket's state machine over an in-memory stream (`tokio::io::duplex`), as axum's
//! `testing-websockets` example tests a handler: no TCP, no HTTP upgrade. Each test drives
//! one way a socket ends and checks the close frame the client reads and the code and
//! reason `$disconnect` reports. Timers run on tokio's paused clock, so an idle timeout of
//! ten minutes takes no time.

use super::{run, SocketContext};
use crate::budget::OVER_BUDGET_REASON;
use crate::connections::Handle;
use crate::event::ConnectionMeta;
use crate::{
    Connections, EventType, GatewayConfig, Integration, IntegrationResponse, Quotas, RouteEvent,
};
use crate::{RouteSelector, DEFAULT_ROUTE};
use futures::{SinkExt as _, StreamExt as _};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _, DuplexStream};
use tokio::task::JoinHandle;
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::protocol::frame::coding::{CloseCode, Data, OpCode};
use tokio_tungstenite::tungstenite::protocol::frame::Frame;
use tokio_tungstenite::tungstenite::protocol::{CloseFrame, Role};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::WebSocketStream;

const ID: &str = "c-1";
/// Room in each direction of the in-memory stream.
const PIPE: usize = 64 * 1024;
/// Longest (paused-clock) wait for a socket to end; only keeps a broken test from hanging.
const PATIENCE: Duration = Duration::from_secs(3 * 60 * 60);

/// An integration that records every event and answers 200.
#[derive(Default)]
struct Recording(Mutex<Vec<RouteEvent>>);

#[async_trait::async_trait]
impl Integration for Recording {
    async fn handle(&self, event: RouteEvent) -> IntegrationResponse {
        self.0.lock().unwrap().push(event);
        IntegrationResponse::ok()
    }
}

/// One socket task running on the server end of an in-memory stream.
struct Rig {
    connections: Arc<Connections>,
    events: Arc<Recording>,
    task: JoinHandle<()>,
}

impl Rig {
    /// Starts the socket task with `quotas`; returns it and the client's raw end.
    fn start(quotas: Quotas) -> (Self, DuplexStream) {
        let (client, server) = tokio::io::duplex(PIPE);
        let config = GatewayConfig {
            quotas: quotas.clone(),
            ..GatewayConfig::default()
        };
        let connections = Arc::new(Connections::new(&config));
        let meta = ConnectionMeta {
            connection_id: ID.into(),
            connected_at_ms: 1,
            stage: "dev".into(),
            domain_name: "localhost".into(),
            source_ip: "127.0.0.1".into(),
            user_agent: None,
        };
        let (handle, ends) = Handle::new(meta, quotas.socket_budget_bytes, Vec::new());
        assert!(connections.insert(handle.clone()));
        let events = Arc::new(Recording::default());
        let selector = RouteSelector::new(&config.route_selection_expression, &config.routes)
            .expect("the default route selection");
        let ctx = SocketContext {
            handle,
            ends,
            connections: connections.clone(),
            integration: events.clone(),
            selector: Arc::new(selector),
            quotas,
            started: Instant::now(),
        };
        let task = tokio::spawn(run(server, ctx));
        let rig = Self {
            connections,
            events,
            task,
        };
        (rig, client)
    }

    /// Starts the socket task with a WebSocket client on the other end.
    async fn with_client(quotas: Quotas) -> (Self, WebSocketStream<DuplexStream>) {
        let (rig, io) = Self::start(quotas);
        let client = WebSocketStream::from_raw_socket(io, Role::Client, None).await;
        (rig, client)
    }

    /// Waits for the socket task to end (its `$disconnect` has run by then); returns the
    /// code and reason `$disconnect` reported.
    async fn ended(&mut self) -> (u16, String) {
        tokio::time::timeout(PATIENCE, &mut self.task)
            .await
            .expect("the socket ended")
            .expect("the socket task did not panic");
        assert!(!self.connections.contains(ID), "still in the table");
        let events = self.events.0.lock().unwrap();
        let disconnects: Vec<&RouteEvent> = events
            .iter()
            .filter(|e| e.event_type == EventType::Disconnect)
            .collect();
        assert_eq!(disconnects.len(), 1, "one $disconnect: {events:?}");
        let d = disconnects[0];
        (
            d.disconnect_status_code.expect("a close code"),
            d.disconnect_reason.clone().expect("a close reason"),
        )
    }

    /// The message events so far.
    fn messages(&self) -> Vec<RouteEvent> {
        let events = self.events.0.lock().unwrap();
        events
            .iter()
            .filter(|e| e.event_type == EventType::Message)
            .cloned()
            .collect()
    }
}

/// Reads until the server's close frame; returns its code and reason.
async fn close_frame(client: &mut WebSocketStream<DuplexStream>) -> (u16, String) {
    loop {
        match client.next().await {
            Some(Ok(Message::Close(Some(f)))) => {
                return (f.code.into(), f.reason.as_str().to_owned())
            }
            Some(Ok(Message::Close(None))) => panic!("a close frame without a code"),
            Some(Ok(_)) => continue,
            other => panic!("expected a close frame, got {other:?}"),
        }
    }
}

/// Quotas with a small frame limit and socket budget, for the tests that cross them.
fn small() -> Quotas {
    Quotas {
        max_frame_bytes: 1024,
        max_message_bytes: 4096,
        socket_budget_bytes: 4096,
        ..Quotas::default()
    }
}

#[tokio::test(start_paused = true)]
async fn a_client_close_frame_is_answered_and_reported_with_its_code() {
    let (mut rig, mut client) = Rig::with_client(Quotas::default()).await;
    client
        .close(Some(CloseFrame {
            code: CloseCode::Normal,
            reason: "bye".into(),
        }))
        .await
        .unwrap();
    // The server's reply ends the client's stream.
    match client.next().await {
        Some(Ok(Message::Close(Some(f)))) => assert_eq!(u16::from(f.code), 1000),
        other => panic!("expected the close reply, got {other:?}"),
    }
    assert!(client.next().await.is_none());
    assert_eq!(rig.ended().await, (1000, "bye".into()));
}

#[tokio::test(start_paused = true)]
async fn a_close_frame_without_a_code_is_reported_as_1005() {
    let (mut rig, mut client) = Rig::with_client(Quotas::default()).await;
    client.close(None).await.unwrap();
    while client.next().await.is_some() {}
    assert_eq!(
        rig.ended().await,
        (1005, "Client-side close frame status not set".into())
    );
}

#[tokio::test(start_paused = true)]
async fn an_abrupt_end_of_stream_is_reported_as_1006() {
    let (mut rig, client) = Rig::with_client(Quotas::default()).await;
    drop(client);
    assert_eq!(
        rig.ended().await,
        (1006, "connection closed without a close frame".into())
    );
}

#[tokio::test(start_paused = true)]
async fn a_ping_flood_past_the_budget_closes_with_1008() {
    let (mut rig, mut io) = Rig::start(small());
    // Masked client pings of 125 bytes, written without ever reading a pong; the stream
    // holds PIPE bytes of pongs, the socket's budget 4 KiB more.
    let mask = [0x12, 0x34, 0x56, 0x78];
    let mut ping = vec![0x89, 0x80 | 125];
    ping.extend_from_slice(&mask);
    ping.extend((0..125).map(|i| b'p' ^ mask[i % 4]));
    // Bounded, so that a socket that never closes fails the test instead of hanging it.
    let flood = tokio::spawn(async move {
        let mut sent = 0usize;
        while sent < 20_000 && io.write_all(&ping).await.is_ok() {
            sent += 1;
        }
        sent
    });
    assert_eq!(rig.ended().await, (1008, OVER_BUDGET_REASON.into()));
    let sent = flood.await.unwrap();
    let held = (PIPE + small().socket_budget_bytes) / 127;
    assert!(sent > held, "closed after {sent} pings, fewer than fit");
}

#[tokio::test(start_paused = true)]
async fn a_frame_over_the_frame_quota_closes_with_1009() {
    let (mut rig, mut client) = Rig::with_client(small()).await;
    client.send(Message::text("x".repeat(1025))).await.unwrap();
    assert_eq!(
        close_frame(&mut client).await,
        (1009, "Message too big".into())
    );
    drop(client);
    assert_eq!(rig.ended().await, (1009, "Message too big".into()));
    assert!(rig.messages().is_empty());
}

#[tokio::test(start_paused = true)]
async fn a_message_over_the_message_quota_in_small_frames_closes_with_1009() {
    let (mut rig, mut client) = Rig::with_client(small()).await;
    // Five frames of 1,000 bytes: each within the frame quota, 5,000 bytes in all.
    for i in 0..5 {
        let opcode = if i == 0 {
            OpCode::Data(Data::Text)
        } else {
            OpCode::Data(Data::Continue)
        };
        let frame = Frame::message(vec![b'x'; 1000], opcode, i == 4);
        if client.send(Message::Frame(frame)).await.is_err() {
            break;
        }
    }
    assert_eq!(
        close_frame(&mut client).await,
        (1009, "Message too big".into())
    );
    drop(client);
    assert_eq!(rig.ended().await, (1009, "Message too big".into()));
}

#[tokio::test(start_paused = true)]
async fn text_that_is_not_utf8_closes_with_1007() {
    let (mut rig, mut client) = Rig::with_client(Quotas::default()).await;
    let frame = Frame::message(vec![0xff, 0xfe], OpCode::Data(Data::Text), true);
    client.send(Message::Frame(frame)).await.unwrap();
    let expected = (1007, "Invalid frame payload data".to_owned());
    assert_eq!(close_frame(&mut client).await, expected);
    drop(client);
    assert_eq!(rig.ended().await, expected);
}

#[tokio::test(start_paused = true)]
async fn an_unmasked_client_frame_closes_with_1002() {
    let (mut rig, mut io) = Rig::start(Quotas::default());
    io.write_all(&[0x81, 0x02, b'h', b'i']).await.unwrap();
    // The server's close frame, unmasked: FIN + close, length, code 1002, reason.
    let reason = b"Protocol error";
    let mut frame = vec![0u8; 4 + reason.len()];
    io.read_exact(&mut frame).await.unwrap();
    assert_eq!(frame[..2], [0x88, 2 + reason.len() as u8]);
    assert_eq!(u16::from_be_bytes([frame[2], frame[3]]), 1002);
    assert_eq!(&frame[4..], reason);
    // The server half-closed its side: the client reads the end of the stream.
    assert_eq!(io.read(&mut [0u8; 16]).await.unwrap(), 0);
    drop(io);
    assert_eq!(rig.ended().await, (1002, "Protocol error".into()));
}

#[tokio::test(start_paused = true)]
async fn an_idle_socket_closes_with_1001_counting_from_its_last_frame() {
    let idle = Duration::from_secs(10 * 60);
    let (mut rig, mut client) = Rig::with_client(Quotas::default()).await;
    let started = Instant::now();
    tokio::time::sleep(idle / 2).await;
    client.send(Message::text("still here")).await.unwrap();
    let sent = Instant::now();
    assert_eq!(close_frame(&mut client).await, (1001, "Going away".into()));
    let closed = Instant::now();
    assert!(
        closed - sent >= idle,
        "closed {:?} after the last frame",
        closed - sent
    );
    assert!(closed - started < idle * 2);
    while client.next().await.is_some() {}
    assert_eq!(rig.ended().await, (1001, "Going away".into()));
    assert_eq!(rig.messages().len(), 1);
}

#[tokio::test(start_paused = true)]
async fn a_busy_socket_closes_with_1001_at_its_maximum_duration() {
    let quotas = Quotas {
        idle_timeout: Duration::from_secs(60),
        max_duration: Duration::from_secs(300),
        ..Quotas::default()
    };
    let (mut rig, client) = Rig::with_client(quotas).await;
    let started = Instant::now();
    let (mut tx, mut rx) = client.split();
    // A ping every 30 s keeps the socket from idling out.
    let pinging = tokio::spawn(async move {
        while tx.send(Message::Ping(Vec::new().into())).await.is_ok() {
            tokio::time::sleep(Duration::from_secs(30)).await;
        }
    });
    let frame = loop {
        match rx.next().await {
            Some(Ok(Message::Close(Some(f)))) => break f,
            Some(Ok(_)) => continue,
            other => panic!("expected a close frame, got {other:?}"),
        }
    };
    assert_eq!(
        (u16::from(frame.code), frame.reason.as_str()),
        (1001, "Going away")
    );
    let lived = started.elapsed();
    assert!(
        lived >= Duration::from_secs(300) && lived < Duration::from_secs(301),
        "{lived:?}"
    );
    pinging.abort();
    drop(rx);
    assert_eq!(rig.ended().await, (1001, "Going away".into()));
}

#[tokio::test(start_paused = true)]
async fn a_close_requested_by_the_server_sends_its_code_and_reports_it() {
    let (mut rig, mut client) = Rig::with_client(Quotas::default()).await;
    assert!(rig.connections.close(ID, 1000, "done"));
    assert_eq!(close_frame(&mut client).await, (1000, "done".into()));
    // The client's reply completes the closing handshake.
    while client.next().await.is_some() {}
    assert_eq!(rig.ended().await, (1000, "done".into()));
}

#[tokio::test(start_paused = true)]
async fn messages_reach_their_route_and_pushes_reach_the_client() {
    let (mut rig, mut client) = Rig::with_client(Quotas::default()).await;
    client
        .send(Message::text(r#"{"action":"x"}"#))
        .await
        .unwrap();
    client.send(Message::binary(vec![0u8, 255])).await.unwrap();
    rig.connections.send(ID, "hello".into()).unwrap();
    rig.connections
        .send(ID, vec![0xffu8, 0].into())
        .expect("binary pushes are queued");
    match client.next().await {
        Some(Ok(Message::Text(t))) => assert_eq!(t.as_str(), "hello"),
        other => panic!("expected the text push, got {other:?}"),
    }
    match client.next().await {
        Some(Ok(Message::Binary(b))) => assert_eq!(&b[..], [0xff, 0]),
        other => panic!("expected the binary push, got {other:?}"),
    }
    client.close(None).await.unwrap();
    while client.next().await.is_some() {}
    assert_eq!(rig.ended().await.0, 1005);
    let messages = rig.messages();
    let routes: Vec<(&str, Option<&str>, bool)> = messages
        .iter()
        .map(|e| (e.route_key.as_str(), e.body.as_deref(), e.is_base64_encoded))
        .collect();
    assert_eq!(
        routes,
        [
            (DEFAULT_ROUTE, Some(r#"{"action":"x"}"#), false),
            (DEFAULT_ROUTE, Some("AP8="), true),
        ]
    );
}
