//! The WebSocket side of the gateway, with real tokio-tungstenite clients.

use crate::common::*;
use futures::{SinkExt as _, StreamExt as _};
use std::time::Duration;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::{Error as WsError, Message};
use wsproxy_gateway::{EventType, GatewayConfig, GatewayError, Quotas, SendError};

fn config() -> GatewayConfig {
    GatewayConfig {
        routes: vec!["sendmessage".into()],
        ..GatewayConfig::default()
    }
}

#[tokio::test]
async fn refused_connect_fails_the_upgrade_with_its_status_and_body() {
    let gw = TestGateway::start(config()).await;
    let err = tokio_tungstenite::connect_async(gw.ws_url("deny=1&token=x"))
        .await
        .expect_err("the upgrade must fail");
    let WsError::Http(response) = err else {
        panic!("expected an HTTP error, got {err}")
    };
    assert_eq!(response.status(), 401);
    assert_eq!(
        response.body().as_deref(),
        Some(&br#"{"error":"nope"}"#[..])
    );
    assert!(gw.connections.is_empty());
    let events = gw.recorder.events();
    assert_eq!(events.len(), 1, "only $connect ran: {events:?}");
    assert_eq!(events[0].route_key, "$connect");
    assert!(!gw.connections.contains(&events[0].connection_id));
}

#[tokio::test]
async fn the_domain_name_and_forwarded_headers_are_the_gateways_not_the_clients() {
    let gw = TestGateway::start(config()).await;
    // The gateway's port with a name of the attacker's.
    let attacker = format!("attacker.example:{}", gw.addr.port());
    let req = ws_request(
        &gw.ws_url("type=chat&booking_id=b1&token=t"),
        &[
            ("host", attacker.as_str()),
            ("x-forwarded-for", "10.9.8.7"),
            ("x-forwarded-proto", "https"),
            ("x-forwarded-port", "443"),
        ],
    );
    let (_ws, _) = within("connect", tokio_tungstenite::connect_async(req))
        .await
        .unwrap();
    let e = gw
        .recorder
        .wait_for("$connect", |e| e.event_type == EventType::Connect)
        .await;
    assert_eq!(
        e.domain_name,
        gw.addr.to_string(),
        "never the client's Host"
    );
    assert_eq!(e.headers["host"], attacker, "the header itself is kept");
    assert_eq!(e.headers["x-forwarded-for"], "10.9.8.7, 127.0.0.1");
    assert_eq!(e.headers["x-forwarded-proto"], "http");
    assert_eq!(e.headers["x-forwarded-port"], gw.addr.port().to_string());
}

#[tokio::test]
async fn connect_event_carries_the_request() {
    let gw = TestGateway::start(config()).await;
    let req = ws_request(
        &gw.ws_url("type=chat&booking_id=b%201&token=a%2Bb%3D"),
        &[("user-agent", "test-agent/1.0"), ("x-custom", "yes")],
    );
    let (mut ws, _) = within("connect", tokio_tungstenite::connect_async(req))
        .await
        .unwrap();
    let hello = next_text(&mut ws).await;
    let e = gw
        .recorder
        .wait_for("$connect", |e| e.event_type == EventType::Connect)
        .await;
    assert!(hello.contains(&e.connection_id));
    assert_eq!(e.route_key, "$connect");
    assert_eq!(e.stage, "dev");
    assert_eq!(e.domain_name, gw.addr.to_string());
    assert_eq!(e.source_ip, "127.0.0.1");
    assert_eq!(e.user_agent.as_deref(), Some("test-agent/1.0"));
    assert_eq!(
        e.query,
        query(&[("type", "chat"), ("booking_id", "b 1"), ("token", "a+b=")])
    );
    assert_eq!(e.headers.get("x-custom").map(String::as_str), Some("yes"));
    assert_eq!(e.body, None);
    assert!(e.connected_at_ms > 0 && e.request_time_ms >= e.connected_at_ms);
    assert_eq!(e.connection_id.len(), 16);
    assert!(gw.connections.contains(&e.connection_id));
    let info = gw.connections.info(&e.connection_id).unwrap();
    assert_eq!(info.user_agent.as_deref(), Some("test-agent/1.0"));
    assert_eq!(info.source_ip, "127.0.0.1");
}

#[tokio::test]
async fn pushes_during_connect_are_gone_and_after_open_comes_first() {
    let gw = TestGateway::start(config()).await;
    let (mut ws, id) = gw.connect("race=1").await; // the hello is read first by connect()
    assert_eq!(next_text(&mut ws).await, "early");
    let during = gw.recorder.pushes_during_connect.lock().unwrap().clone();
    assert_eq!(during, vec![Err(SendError::Gone(id.clone()))]);
}

#[tokio::test]
async fn subprotocol_is_selected_only_when_echoed() {
    let gw = TestGateway::start(config()).await;
    let req = ws_request(
        &gw.ws_url("echo_protocol=chat.v1"),
        &[("sec-websocket-protocol", "chat.v1, other")],
    );
    let (_ws, response) = within("connect", tokio_tungstenite::connect_async(req))
        .await
        .unwrap();
    assert_eq!(response.headers()["sec-websocket-protocol"], "chat.v1");

    let req = ws_request(&gw.ws_url(""), &[("sec-websocket-protocol", "chat.v1")]);
    let err = within("connect", tokio_tungstenite::connect_async(req))
        .await
        .expect_err("no protocol selected");
    assert!(matches!(err, WsError::Protocol(_)), "{err}");
}

#[tokio::test]
async fn messages_are_routed_by_the_selection_expression() {
    let gw = TestGateway::start(config()).await;
    let (mut ws, id) = gw.connect("").await;
    ws.send(Message::text(r#"{"action":"sendmessage","x":1}"#))
        .await
        .unwrap();
    ws.send(Message::text(r#"{"action":"unknown"}"#))
        .await
        .unwrap();
    ws.send(Message::text("not json")).await.unwrap();
    ws.send(Message::binary(vec![0u8, 159, 146, 150]))
        .await
        .unwrap();
    let got = gw.recorder.messages_of(&id, 4).await;
    let routes: Vec<&str> = got.iter().map(|e| e.route_key.as_str()).collect();
    assert_eq!(routes, ["sendmessage", "$default", "$default", "$default"]);
    assert_eq!(
        got[0].body.as_deref(),
        Some(r#"{"action":"sendmessage","x":1}"#)
    );
    assert!(!got[0].is_base64_encoded);
    assert_eq!(got[2].body.as_deref(), Some("not json"));
    assert_eq!(got[3].body.as_deref(), Some("AJ+Slg=="));
    assert!(got[3].is_base64_encoded);
    assert!(got
        .iter()
        .all(|e| e.query.is_empty() && e.headers.is_empty()));
}

#[tokio::test]
async fn default_quotas_close_oversize_frames_with_1009() {
    let gw = TestGateway::start(config()).await;
    assert_eq!(Quotas::default().max_frame_bytes, 32 * 1024);
    let (mut ws, id) = gw.connect("").await;
    // Exactly at the limit is fine.
    ws.send(Message::text("a".repeat(32 * 1024))).await.unwrap();
    gw.recorder.messages_of(&id, 1).await;
    ws.send(Message::text("b".repeat(32 * 1024 + 1)))
        .await
        .unwrap();
    let frame = expect_close(&mut ws)
        .await
        .expect("a close frame with a code");
    drop(ws);
    assert_eq!(frame.code, CloseCode::Size);
    let d = gw.recorder.disconnect_of(&id).await;
    assert_eq!(d.disconnect_status_code, Some(1009));
    assert!(!gw.connections.contains(&id));
}

#[tokio::test]
async fn default_quotas_close_oversize_messages_with_1009() {
    let gw = TestGateway::start(config()).await;
    let (mut ws, id) = gw.connect("").await;
    // 128 KB in frames of at most 32 KB is one message.
    send_fragmented(&mut ws, &vec![b'x'; 128 * 1024], 32 * 1024).await;
    let got = gw.recorder.messages_of(&id, 1).await;
    assert_eq!(got[0].body.as_ref().map(String::len), Some(128 * 1024));
    send_fragmented(&mut ws, &vec![b'y'; 128 * 1024 + 1], 32 * 1024).await;
    let frame = expect_close(&mut ws)
        .await
        .expect("a close frame with a code");
    drop(ws);
    assert_eq!(frame.code, CloseCode::Size);
    let d = gw.recorder.disconnect_of(&id).await;
    assert_eq!(d.disconnect_status_code, Some(1009));
}

#[tokio::test]
async fn configured_quotas_apply() {
    let gw = TestGateway::start(GatewayConfig {
        quotas: Quotas {
            max_frame_bytes: 100,
            max_message_bytes: 250,
            ..Quotas::default()
        },
        ..config()
    })
    .await;
    let (mut ws, id) = gw.connect("").await;
    send_fragmented(&mut ws, &[b'z'; 300], 100).await;
    assert_eq!(expect_close(&mut ws).await.unwrap().code, CloseCode::Size);
    drop(ws);
    assert_eq!(
        gw.recorder.disconnect_of(&id).await.disconnect_status_code,
        Some(1009)
    );
}

#[tokio::test]
async fn idle_sockets_are_closed_with_1001() {
    let gw = TestGateway::start(GatewayConfig {
        quotas: Quotas {
            idle_timeout: Duration::from_millis(300),
            ..Quotas::default()
        },
        ..config()
    })
    .await;
    let (mut ws, id) = gw.connect("").await;
    let frame = expect_close(&mut ws).await.unwrap();
    assert_eq!(frame.code, CloseCode::Away);
    assert_eq!(frame.reason.as_str(), "Going away");
    let d = gw.recorder.disconnect_of(&id).await;
    assert_eq!(d.disconnect_status_code, Some(1001));
    assert_eq!(d.disconnect_reason.as_deref(), Some("Going away"));
}

#[tokio::test]
async fn sockets_are_closed_after_the_maximum_duration() {
    let gw = TestGateway::start(GatewayConfig {
        quotas: Quotas {
            max_duration: Duration::from_millis(500),
            ..Quotas::default()
        },
        ..config()
    })
    .await;
    let (mut ws, id) = gw.connect("").await;
    // Keep the socket busy; it is closed anyway.
    let frame = within("the close", async {
        loop {
            tokio::select! {
                m = ws.next() => match m {
                    Some(Ok(Message::Close(f))) => break f,
                    Some(Ok(_)) => {}
                    other => panic!("unexpected {other:?}"),
                },
                _ = tokio::time::sleep(Duration::from_millis(50)) => {
                    let _ = ws.send(Message::Ping(vec![1].into())).await;
                }
            }
        }
    })
    .await;
    while within("the end", ws.next()).await.is_some() {}
    assert_eq!(frame.unwrap().code, CloseCode::Away);
    assert_eq!(
        gw.recorder.disconnect_of(&id).await.disconnect_status_code,
        Some(1001)
    );
}

#[tokio::test]
async fn client_close_codes_reach_disconnect() {
    let gw = TestGateway::start(config()).await;
    let (mut ws, id) = gw.connect("").await;
    ws.close(Some(CloseFrame {
        code: CloseCode::from(4000),
        reason: "bye".into(),
    }))
    .await
    .unwrap();
    while within("the end", ws.next()).await.is_some() {}
    let d = gw.recorder.disconnect_of(&id).await;
    assert_eq!(
        (d.disconnect_status_code, d.disconnect_reason.as_deref()),
        (Some(4000), Some("bye"))
    );
    assert!(!gw.connections.contains(&id));

    let (mut ws, id) = gw.connect("").await;
    ws.close(None).await.unwrap();
    while within("the end", ws.next()).await.is_some() {}
    assert_eq!(
        gw.recorder.disconnect_of(&id).await.disconnect_status_code,
        Some(1005)
    );
}

#[tokio::test]
async fn a_client_that_vanishes_is_disconnected() {
    let gw = TestGateway::start(config()).await;
    let (ws, id) = gw.connect("").await;
    drop(ws); // TCP closed without a close frame
    let d = gw.recorder.disconnect_of(&id).await;
    assert_eq!(d.disconnect_status_code, Some(1006));
    assert!(!gw.connections.contains(&id));
}

#[tokio::test]
async fn a_client_leaving_during_connect_still_gets_disconnect() {
    use tokio::io::AsyncWriteExt as _;
    let gw = TestGateway::start(config()).await;
    let mut tcp = tokio::net::TcpStream::connect(gw.addr).await.unwrap();
    let request = "GET /dev?slow=1 HTTP/1.1\r\nHost: gw\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\
                   Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n";
    tcp.write_all(request.as_bytes()).await.unwrap();
    let connect = gw
        .recorder
        .wait_for("$connect", |e| e.event_type == EventType::Connect)
        .await;
    drop(tcp); // gone while $connect runs; $connect then answers 200
    let d = gw.recorder.disconnect_of(&connect.connection_id).await;
    assert_eq!(d.disconnect_status_code, Some(1006));
    assert!(gw.connections.is_empty());
}

#[tokio::test]
async fn graceful_shutdown_closes_every_socket_and_runs_disconnect() {
    let mut gw = TestGateway::start(config()).await;
    let (mut a, id_a) = gw.connect("").await;
    let (mut b, id_b) = gw.connect("").await;
    let closing = tokio::spawn(async move {
        let fa = expect_close(&mut a).await;
        let fb = expect_close(&mut b).await;
        (fa, fb)
    });
    gw.shutdown().await;
    let (fa, fb) = within("the clients", closing).await.unwrap();
    assert_eq!(fa.unwrap().code, CloseCode::Away);
    assert_eq!(fb.unwrap().code, CloseCode::Away);
    // serve() returned only after every $disconnect ran.
    let events = gw.recorder.events();
    for id in [&id_a, &id_b] {
        let d = events
            .iter()
            .find(|e| e.event_type == EventType::Disconnect && &e.connection_id == id)
            .expect("$disconnect ran before serve returned");
        assert_eq!(d.disconnect_status_code, Some(1001));
    }
    assert!(gw.connections.is_empty());
}

#[tokio::test]
async fn plain_http_gets_426_and_other_paths_go_to_the_fallback() {
    let page = axum::Router::new().route("/", axum::routing::get(|| async { "demo page" }));
    let gw = TestGateway::start_with(config(), Some(page)).await;
    let r = http("GET", &format!("http://{}/dev", gw.addr), "").await;
    assert_eq!(r.status, 426);
    let r = http("GET", &format!("http://{}/", gw.addr), "").await;
    assert_eq!((r.status, &r.body[..]), (200, &b"demo page"[..]));
    let r = http("GET", &format!("http://{}/nothing", gw.addr), "").await;
    assert_eq!(r.status, 404);
}

#[tokio::test]
async fn a_taken_port_is_a_clear_error() {
    let gw = TestGateway::start(config()).await;
    let cfg = GatewayConfig {
        listen: gw.addr,
        ..config()
    };
    let err = wsproxy_gateway::Gateway::builder()
        .config(cfg)
        .integration(gw.recorder.clone())
        .bind()
        .await
        .expect_err("the port is taken");
    assert!(matches!(err, GatewayError::AddrInUse { .. }));
    assert!(
        err.to_string()
            .contains("address in use; choose another port"),
        "{err}"
    );
    assert!(
        !err.to_string().contains("--"),
        "a library names no CLI flag: {err}"
    );
}
