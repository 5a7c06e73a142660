//! The connection edge: header size and read time, the connection cap, the new-connection
//! rate, and handshakes RFC 6455 refuses. Raw TCP and real WebSocket clients against the
//! real gateway.

use crate::common;
use common::{within, TestGateway};
use futures::SinkExt as _;
use std::net::SocketAddr;
use std::time::Duration;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite;
use wsproxy_gateway::{ConnectionLimits, EventType, GatewayConfig};

const KEY: &str = "dGhlIHNhbXBsZSBub25jZQ==";

fn with_limits(limits: ConnectionLimits) -> GatewayConfig {
    GatewayConfig {
        limits,
        ..GatewayConfig::default()
    }
}

/// An upgrade request of `version` (e.g. `HTTP/1.1`) with `key` and `extra` header lines.
fn upgrade(version: &str, key: &str, extra: &str) -> String {
    format!(
        "GET /dev {version}\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n{extra}\r\n"
    )
}

/// A valid upgrade request whose request line and headers are exactly `total` bytes.
fn upgrade_of_size(total: usize) -> String {
    let bare = upgrade("HTTP/1.1", KEY, "X-Pad: \r\n").len();
    upgrade(
        "HTTP/1.1",
        KEY,
        &format!("X-Pad: {}\r\n", "p".repeat(total - bare)),
    )
}

/// Sends `request` on a new connection; the answer's status line and headers.
async fn exchange(addr: SocketAddr, request: &str) -> (u16, String) {
    let mut s = TcpStream::connect(addr).await.unwrap();
    s.write_all(request.as_bytes()).await.unwrap();
    read_head(&mut s).await
}

async fn read_head(s: &mut TcpStream) -> (u16, String) {
    let mut got = Vec::new();
    within("an HTTP answer", async {
        let mut chunk = [0u8; 4096];
        while !got.windows(4).any(|w| w == b"\r\n\r\n") {
            match s.read(&mut chunk).await {
                Ok(0) => break,
                Ok(n) => got.extend_from_slice(&chunk[..n]),
                Err(e) => panic!("reading the answer: {e}"),
            }
        }
    })
    .await;
    let head = String::from_utf8_lossy(&got).into_owned();
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no HTTP status in {head:?}"));
    (status, head)
}

/// Waits until the gateway closes `s` (end of stream or reset), writing `trickle` one byte
/// every 50 ms meanwhile if given; returns how long that took.
async fn closed_by_gateway(s: &mut TcpStream, trickle: Option<&[u8]>) -> Duration {
    let start = tokio::time::Instant::now();
    let mut bytes = trickle.unwrap_or_default().iter().cycle();
    within("the gateway to close the connection", async {
        let mut buf = [0u8; 256];
        loop {
            match tokio::time::timeout(Duration::from_millis(50), s.read(&mut buf)).await {
                Ok(Ok(0) | Err(_)) => return,
                Ok(Ok(n)) => panic!("unexpected answer {:?}", String::from_utf8_lossy(&buf[..n])),
                Err(_) => {}
            }
            if let Some(b) = bytes.next() {
                if s.write_all(&[*b]).await.is_err() {
                    return;
                }
            }
        }
    })
    .await;
    start.elapsed()
}

/// The HTTP status a WebSocket client gets instead of a socket, and the body.
async fn refused(gw: &TestGateway) -> (u16, tungstenite::http::HeaderMap, String) {
    match within(
        "a handshake",
        tokio_tungstenite::connect_async(gw.ws_url("")),
    )
    .await
    {
        Err(tungstenite::Error::Http(r)) => {
            let body = String::from_utf8_lossy(r.body().as_deref().unwrap_or_default()).into();
            (r.status().as_u16(), r.headers().clone(), body)
        }
        Ok(_) => panic!("the handshake was accepted"),
        Err(e) => panic!("the handshake failed without an HTTP answer: {e}"),
    }
}

/// Retries a connect until the gateway accepts one again.
async fn connects_again(gw: &TestGateway) {
    within("a connect to succeed again", async {
        while tokio_tungstenite::connect_async(gw.ws_url(""))
            .await
            .is_err()
        {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await;
}

#[tokio::test]
async fn headers_over_10_kib_get_431_and_under_pass() {
    let gw = TestGateway::start(GatewayConfig::default()).await;
    let (status, _) = exchange(gw.addr, &upgrade_of_size(11 * 1024)).await;
    assert_eq!(status, 431, "11 KiB of request line and headers");
    let (status, _) = exchange(gw.addr, &upgrade_of_size(10_241)).await;
    assert_eq!(status, 431, "one byte over API Gateway's 10,240");
    for size in [9 * 1024, 10_240] {
        let (status, head) = exchange(gw.addr, &upgrade_of_size(size)).await;
        assert_eq!(status, 101, "{size} bytes: {head}");
    }
}

#[tokio::test]
async fn a_silent_connection_is_closed_after_the_header_timeout() {
    let timeout = Duration::from_millis(300);
    let gw = TestGateway::start(with_limits(ConnectionLimits {
        header_read_timeout: timeout,
        ..Default::default()
    }))
    .await;
    let mut silent = TcpStream::connect(gw.addr).await.unwrap();
    let took = closed_by_gateway(&mut silent, None).await;
    assert!(
        took >= timeout / 2,
        "closed after {took:?}, well before the timeout"
    );
}

#[tokio::test]
async fn a_slowloris_is_closed_after_the_header_timeout() {
    let timeout = Duration::from_millis(500);
    let gw = TestGateway::start(with_limits(ConnectionLimits {
        header_read_timeout: timeout,
        ..Default::default()
    }))
    .await;
    let mut slow = TcpStream::connect(gw.addr).await.unwrap();
    slow.write_all(b"GET /dev HTTP/1.1\r\nHost: localhost\r\nX-Slow: ")
        .await
        .unwrap();
    let took = closed_by_gateway(&mut slow, Some(b"abcdefgh")).await;
    assert!(took >= timeout / 2, "closed after {took:?}");
}

#[tokio::test]
async fn over_the_connection_cap_a_new_connection_gets_503_until_one_leaves() {
    let gw = TestGateway::start(with_limits(ConnectionLimits {
        max_connections: Some(2),
        ..Default::default()
    }))
    .await;
    // A WebSocket and a bare TCP connection fill the two slots.
    let (mut ws, id) = gw.connect("").await;
    let _tcp = TcpStream::connect(gw.addr).await.unwrap();
    let (status, headers, body) = refused(&gw).await;
    assert_eq!(status, 503, "{body}");
    assert_eq!(headers["content-type"], "application/json");
    assert!(body.contains("maximum of 2 connections"), "{body}");

    ws.close(None).await.unwrap();
    gw.recorder.disconnect_of(&id).await;
    connects_again(&gw).await;
}

#[tokio::test]
async fn a_burst_over_the_rate_gets_429_then_is_allowed_again() {
    let gw = TestGateway::start(with_limits(ConnectionLimits {
        new_connections_per_second: 2,
        new_connection_burst: 3,
        ..Default::default()
    }))
    .await;
    let mut open = Vec::new();
    for _ in 0..3 {
        open.push(gw.connect("").await);
    }
    let (status, headers, body) = refused(&gw).await;
    assert_eq!(status, 429);
    assert_eq!(headers["x-amzn-errortype"], "TooManyRequestsException");
    let json: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(json, serde_json::json!({"message": "Too Many Requests"}));
    let connects = |events: &[wsproxy_gateway::RouteEvent]| {
        events
            .iter()
            .filter(|e| e.event_type == EventType::Connect)
            .count()
    };
    assert_eq!(
        connects(&gw.recorder.events()),
        3,
        "no $connect when throttled"
    );
    connects_again(&gw).await;
}

#[tokio::test]
async fn an_http_1_0_upgrade_is_refused_with_400() {
    let gw = TestGateway::start(GatewayConfig::default()).await;
    let (status, head) = exchange(gw.addr, &upgrade("HTTP/1.0", KEY, "")).await;
    assert_eq!(status, 400, "{head}");
    assert!(gw.recorder.events().is_empty(), "no $connect");
}

#[tokio::test]
async fn a_key_that_is_not_the_base64_of_16_bytes_is_refused_with_400() {
    let gw = TestGateway::start(GatewayConfig::default()).await;
    let short = "c2hvcnQ="; // "short"
    let two_keys = format!("Sec-WebSocket-Key: {KEY}\r\n");
    for (key, extra) in [
        ("not base64!", ""),
        (short, ""),
        ("dGhlIHNhbXBsZSBub25jZQ", ""),
        (KEY, two_keys.as_str()),
    ] {
        let (status, head) = exchange(gw.addr, &upgrade("HTTP/1.1", key, extra)).await;
        assert_eq!(status, 400, "key {key:?} {extra:?}: {head}");
    }
    assert!(gw.recorder.events().is_empty(), "no $connect");
    let (status, _) = exchange(gw.addr, &upgrade("HTTP/1.1", KEY, "")).await;
    assert_eq!(status, 101);
}

#[tokio::test]
async fn only_a_bounded_user_agent_is_kept_for_the_sockets_life() {
    let gw = TestGateway::start(GatewayConfig::default()).await;
    let agent = "a".repeat(8 * 1024);
    let req = common::ws_request(&gw.ws_url(""), &[("User-Agent", agent.as_str())]);
    let (mut ws, _) = within("connect", tokio_tungstenite::connect_async(req))
        .await
        .unwrap();
    let hello = common::next_text(&mut ws).await;
    let id = serde_json::from_str::<serde_json::Value>(&hello).unwrap()["hello"]
        .as_str()
        .unwrap()
        .to_owned();
    let connect = gw
        .recorder
        .wait_for("$connect", |e| e.event_type == EventType::Connect)
        .await;
    assert_eq!(
        connect.headers["user-agent"], agent,
        "$connect sees it whole"
    );
    ws.send(tungstenite::Message::text("hi")).await.unwrap();
    let message = &gw.recorder.messages_of(&id, 1).await[0];
    let kept = message.user_agent.as_deref().unwrap();
    assert!(
        kept.len() <= 1024 && agent.starts_with(kept),
        "{}",
        kept.len()
    );
}
