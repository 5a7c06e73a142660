//! `ApiGatewayPusher` against the local gateway's `@connections` API (no moto needed).

use aws_sdk_apigatewaymanagement as mgmt;
use bytes::Bytes;
use futures::StreamExt as _;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};
use wsproxy_aws::ApiGatewayPusher;
use wsproxy_core::{PushError, Pusher};
use wsproxy_gateway::{
    EventType, Gateway, GatewayConfig, Integration, IntegrationResponse, RouteEvent,
};

pub(crate) type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// Accepts every connection and tells the client its id as the first message.
struct TellId;

#[async_trait::async_trait]
impl Integration for TellId {
    async fn handle(&self, event: RouteEvent) -> IntegrationResponse {
        let mut answer = IntegrationResponse::ok();
        if event.event_type == EventType::Connect {
            answer.after_open = vec![Bytes::from(event.connection_id)];
        }
        answer
    }
}

/// Starts a gateway on 127.0.0.1:0; returns its `@connections` base URL and WebSocket URL.
pub(crate) async fn gateway() -> (String, String) {
    let config = GatewayConfig {
        listen: "127.0.0.1:0".parse().unwrap(),
        stage: "dev".into(),
        ..GatewayConfig::default()
    };
    let bound = Gateway::builder()
        .config(config)
        .integration(Arc::new(TellId))
        .bind()
        .await
        .unwrap();
    let addr = bound.local_addr();
    tokio::spawn(bound.serve(std::future::pending()));
    (format!("http://{addr}/dev"), format!("ws://{addr}/dev"))
}

pub(crate) async fn next_text(ws: &mut Ws) -> String {
    loop {
        match tokio::time::timeout(Duration::from_secs(10), ws.next()).await {
            Ok(Some(Ok(Message::Text(t)))) => return t.as_str().to_owned(),
            Ok(Some(Ok(Message::Ping(_) | Message::Pong(_)))) => continue,
            other => panic!("expected a text message, got {other:?}"),
        }
    }
}

pub(crate) fn pusher(endpoint: &str) -> ApiGatewayPusher {
    let conf = mgmt::Config::builder()
        .behavior_version(mgmt::config::BehaviorVersion::latest())
        .region(mgmt::config::Region::new("us-east-1"))
        .endpoint_url(endpoint)
        .credentials_provider(mgmt::config::Credentials::new(
            "testing", "testing", None, None, "tests",
        ))
        .build();
    ApiGatewayPusher::new(mgmt::Client::from_conf(conf))
}

#[tokio::test]
async fn pushes_reach_an_open_socket_and_unknown_ids_are_gone() {
    let (endpoint, ws_url) = gateway().await;
    let (mut ws, _) = tokio_tungstenite::connect_async(&ws_url).await.unwrap();
    let id = next_text(&mut ws).await;
    let pusher = pusher(&endpoint);

    pusher
        .push(&id, Bytes::from_static(br#"{"type":"hello"}"#))
        .await
        .unwrap();
    assert_eq!(next_text(&mut ws).await, r#"{"type":"hello"}"#);

    match pusher.push("L0SM9cOFvHcCIhw=", Bytes::from("x")).await {
        Err(PushError::Gone(gone)) => assert_eq!(gone, "L0SM9cOFvHcCIhw="),
        other => panic!("expected Gone, got {other:?}"),
    }

    // Over 128 KB: refused with 413, which is a failure, not Gone.
    match pusher
        .push(&id, Bytes::from(vec![b'a'; 128 * 1024 + 1]))
        .await
    {
        Err(PushError::Failed {
            connection_id,
            reason,
        }) => {
            assert_eq!(connection_id, id);
            assert!(reason.contains("PayloadTooLargeException"), "{reason}");
        }
        other => panic!("expected Failed, got {other:?}"),
    }

    // Once the client has gone, so has the connection.
    ws.close(None).await.unwrap();
    drop(ws);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        match pusher.push(&id, Bytes::from("late")).await {
            Err(PushError::Gone(_)) => break,
            other => assert!(
                tokio::time::Instant::now() < deadline,
                "still not gone: {other:?}"
            ),
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn nothing_listening_is_a_failure_not_gone() {
    let pusher = pusher("http://127.0.0.1:1/dev");
    match pusher.push("abc", Bytes::from("x")).await {
        Err(PushError::Failed { connection_id, .. }) => assert_eq!(connection_id, "abc"),
        other => panic!("expected Failed, got {other:?}"),
    }
}
