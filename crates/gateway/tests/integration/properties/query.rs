//! Upgrade query strings: any parameters survive percent-encoding into the `$connect`
//! event, and any bytes in the request target get an HTTP answer, never a dropped socket.

use super::{check, runtime};
use crate::common::{within, TestGateway};
use proptest::prelude::*;
use std::collections::HashMap;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;
use wsproxy_gateway::{EventType, GatewayConfig};

/// Names the test integration gives a meaning to (refuse, sleep, echo a header).
const SCRIPTED: [&str; 4] = ["deny", "slow", "race", "echo_protocol"];

fn encode(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string()
}

fn pairs() -> impl Strategy<Value = Vec<(String, String)>> {
    let key = any::<String>().prop_filter("scripted name", |k| !SCRIPTED.contains(&k.as_str()));
    proptest::collection::vec((key, any::<String>()), 0..6)
}

/// Encoded parameters arrive decoded; the last value of a repeated name wins.
pub(super) fn round_trip(cases: u32) {
    let rt = runtime();
    let gw = rt.block_on(TestGateway::start(GatewayConfig::default()));
    check(cases, pairs(), |pairs| {
        let query: Vec<String> = pairs
            .iter()
            .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
            .collect();
        let expected: HashMap<String, String> = pairs.iter().cloned().collect();
        rt.block_on(async {
            let (ws, id) = gw.connect(&query.join("&")).await;
            drop(ws);
            let event = gw
                .recorder
                .wait_for("the $connect event", |e| {
                    e.event_type == EventType::Connect && e.connection_id == id
                })
                .await;
            assert_eq!(event.query, expected, "query {}", query.join("&"));
        });
    });
}

/// Any bytes (but CR and LF) after `?` in an upgrade request: an HTTP status comes back,
/// 101 or a 4xx, and the gateway goes on serving.
pub(super) fn raw_bytes(cases: u32) {
    let rt = runtime();
    let gw = rt.block_on(TestGateway::start(GatewayConfig::default()));
    let bytes = proptest::collection::vec(any::<u8>(), 0..80).prop_map(|b| {
        b.into_iter()
            .filter(|c| *c != b'\r' && *c != b'\n')
            .collect()
    });
    check(cases, bytes, |query: Vec<u8>| {
        let status = rt.block_on(upgrade_status(gw.addr, &query));
        assert!(
            status == 101 || (400..500).contains(&status),
            "query {:?} got HTTP {status}",
            String::from_utf8_lossy(&query)
        );
    });
    let status = rt.block_on(upgrade_status(gw.addr, b"type=feed"));
    assert_eq!(status, 101, "the gateway still accepts sockets");
}

/// Sends a WebSocket upgrade for `/dev?{query}` over raw TCP; returns the answer's status.
async fn upgrade_status(addr: std::net::SocketAddr, query: &[u8]) -> u16 {
    let mut request = b"GET /dev?".to_vec();
    request.extend_from_slice(query);
    request.extend_from_slice(
        format!(
            " HTTP/1.1\r\nHost: {addr}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
             Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
        )
        .as_bytes(),
    );
    let mut tcp = TcpStream::connect(addr).await.expect("connect");
    tcp.write_all(&request).await.expect("send the request");
    let mut head = Vec::new();
    within("the upgrade answer", async {
        let mut buf = [0u8; 1024];
        while !head.windows(4).any(|w| w == b"\r\n\r\n") {
            let n = tcp.read(&mut buf).await.unwrap_or(0);
            assert!(
                n > 0,
                "the gateway closed without an answer: {:?}",
                String::from_utf8_lossy(&head)
            );
            head.extend_from_slice(&buf[..n]);
        }
    })
    .await;
    let line = String::from_utf8_lossy(&head);
    line.strip_prefix("HTTP/1.1 ")
        .and_then(|rest| rest.get(..3))
        .and_then(|code| code.parse().ok())
        .unwrap_or_else(|| panic!("not an HTTP answer: {line}"))
}

#[test]
fn encoded_parameters_arrive_decoded() {
    round_trip(200);
}

#[test]
fn any_query_bytes_get_an_http_answer() {
    raw_bytes(300);
}
