//! Helpers shared by the gateway's integration tests: a recording integration, a gateway on
//! 127.0.0.1:0, WebSocket clients and a tiny HTTP client.
#![allow(dead_code, missing_docs)]

use bytes::Bytes;
use futures::{SinkExt as _, StreamExt as _};
use http_body_util::{BodyExt as _, Full};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use std::collections::HashMap;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;
use tokio::net::TcpStream;
use tokio::sync::Notify;
use tokio_tungstenite::tungstenite::client::IntoClientRequest as _;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};
use wsproxy_gateway::{
    Connections, EventType, Gateway, GatewayConfig, Integration, IntegrationResponse, RouteEvent,
    SendError, ServingGateway,
};

/// Generous limit that only keeps a broken test from hanging.
pub(crate) const PATIENCE: Duration = Duration::from_secs(20);

pub(crate) type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// Awaits `f`, panicking after [`PATIENCE`] with `what`.
pub(crate) async fn within<T>(what: &str, f: impl Future<Output = T>) -> T {
    tokio::time::timeout(PATIENCE, f)
        .await
        .unwrap_or_else(|_| panic!("timed out waiting for {what}"))
}

/// An integration that records every event. `$connect` with `deny=1` is refused with 401
/// `{"error":"nope"}`; with `slow=1` it takes 300 ms; otherwise it answers 200 with after_open
/// `{"hello":"<id>"}`, echoes
/// `echo_protocol`, and with `race=1` pushes "early" while `$connect` runs (recorded in
/// `pushes_during_connect`) and keeps pushing "early" until a push succeeds.
#[derive(Default)]
pub(crate) struct Recorder {
    events: Mutex<Vec<RouteEvent>>,
    changed: Notify,
    pub connections: OnceLock<Arc<Connections>>,
    pub pushes_during_connect: Mutex<Vec<Result<(), SendError>>>,
}

impl Recorder {
    pub(crate) fn events(&self) -> Vec<RouteEvent> {
        self.events.lock().unwrap().clone()
    }

    /// Waits for an event matching `pred` and returns it.
    pub(crate) async fn wait_for(
        &self,
        what: &str,
        pred: impl Fn(&RouteEvent) -> bool,
    ) -> RouteEvent {
        within(what, async {
            loop {
                let changed = self.changed.notified();
                tokio::pin!(changed);
                changed.as_mut().enable();
                if let Some(e) = self.events().into_iter().find(|e| pred(e)) {
                    return e;
                }
                changed.await;
            }
        })
        .await
    }

    /// Waits for the `$disconnect` of `id`.
    pub(crate) async fn disconnect_of(&self, id: &str) -> RouteEvent {
        self.wait_for(&format!("$disconnect of {id}"), |e| {
            e.event_type == EventType::Disconnect && e.connection_id == id
        })
        .await
    }

    /// Waits until `n` message events of `id` arrived; returns them in order.
    pub(crate) async fn messages_of(&self, id: &str, n: usize) -> Vec<RouteEvent> {
        let of = |e: &RouteEvent| e.event_type == EventType::Message && e.connection_id == id;
        within("messages", async {
            loop {
                let changed = self.changed.notified();
                tokio::pin!(changed);
                changed.as_mut().enable();
                let got: Vec<RouteEvent> = self.events().into_iter().filter(|e| of(e)).collect();
                if got.len() >= n {
                    return got;
                }
                changed.await;
            }
        })
        .await
    }
}

#[async_trait::async_trait]
impl Integration for Recorder {
    async fn handle(&self, event: RouteEvent) -> IntegrationResponse {
        self.events.lock().unwrap().push(event.clone());
        self.changed.notify_waiters();
        if event.event_type != EventType::Connect {
            return IntegrationResponse::ok();
        }
        if event.query.get("deny").map(String::as_str) == Some("1") {
            return IntegrationResponse::new(401, r#"{"error":"nope"}"#);
        }
        let id = event.connection_id.clone();
        if event.query.contains_key("slow") {
            tokio::time::sleep(Duration::from_millis(300)).await;
        }
        if event.query.contains_key("race") {
            let conns = self.connections.get().expect("connections set").clone();
            let during = conns.send(&id, Bytes::from("early"));
            self.pushes_during_connect.lock().unwrap().push(during);
            let conns = conns;
            let id = id.clone();
            tokio::spawn(async move {
                for _ in 0..100_000 {
                    if conns.send(&id, Bytes::from("early")).is_ok() {
                        return;
                    }
                    tokio::task::yield_now().await;
                }
            });
        }
        let mut answer = IntegrationResponse::ok();
        answer.after_open = vec![Bytes::from(format!(r#"{{"hello":"{id}"}}"#))];
        if let Some(p) = event.query.get("echo_protocol") {
            answer
                .headers
                .push(("Sec-WebSocket-Protocol".into(), p.clone()));
        }
        answer
    }
}

/// A gateway serving on 127.0.0.1:0 with a [`Recorder`].
pub(crate) struct TestGateway {
    pub addr: SocketAddr,
    pub connections: Arc<Connections>,
    pub recorder: Arc<Recorder>,
    serving: ServingGateway,
}

impl TestGateway {
    pub(crate) async fn start(config: GatewayConfig) -> Self {
        Self::start_with(config, None).await
    }

    pub(crate) async fn start_with(
        mut config: GatewayConfig,
        fallback: Option<axum::Router>,
    ) -> Self {
        config.listen = "127.0.0.1:0".parse().unwrap();
        let recorder = Arc::new(Recorder::default());
        let mut gateway = Gateway::builder()
            .config(config)
            .integration(recorder.clone());
        if let Some(f) = fallback {
            gateway = gateway.fallback(f);
        }
        let serving = gateway.bind().await.expect("bind").spawn();
        let connections = serving.connections().clone();
        let _ = recorder.connections.set(connections.clone());
        Self {
            addr: serving.local_addr(),
            connections,
            recorder,
            serving,
        }
    }

    pub(crate) fn ws_url(&self, query: &str) -> String {
        format!("ws://{}/dev?{query}", self.addr)
    }

    /// Connects; returns the socket and its id (read from the hello after_open message).
    pub(crate) async fn connect(&self, query: &str) -> (Ws, String) {
        let (mut ws, _) = within(
            "connect",
            tokio_tungstenite::connect_async(self.ws_url(query)),
        )
        .await
        .expect("handshake");
        let hello: serde_json::Value = serde_json::from_str(&next_text(&mut ws).await).unwrap();
        let id = hello["hello"]
            .as_str()
            .expect("hello carries the id")
            .to_owned();
        (ws, id)
    }

    /// Triggers graceful shutdown and waits for `serve` to return.
    pub(crate) async fn shutdown(&mut self) {
        within("serve to return", self.serving.shutdown())
            .await
            .expect("serve result");
    }
}

/// The next text message (pings and pongs skipped).
pub(crate) async fn next_text(ws: &mut Ws) -> String {
    loop {
        match within("a text message", ws.next()).await {
            Some(Ok(Message::Text(t))) => return t.as_str().to_owned(),
            Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
            other => panic!("expected a text message, got {other:?}"),
        }
    }
}

/// Reads until the server's close frame, then finishes the closing handshake.
pub(crate) async fn expect_close(ws: &mut Ws) -> Option<CloseFrame> {
    let frame = loop {
        match within("a close frame", ws.next()).await {
            Some(Ok(Message::Close(frame))) => break frame,
            Some(Ok(_)) => continue,
            other => panic!("expected a close frame, got {other:?}"),
        }
    };
    // Let tungstenite send its reply and see the end of the stream.
    let _ = within("the end of the stream", async {
        while ws.next().await.is_some() {}
    })
    .await;
    frame
}

/// Sends a message as several frames of `chunk` bytes.
pub(crate) async fn send_fragmented(ws: &mut Ws, data: &[u8], chunk: usize) {
    use tokio_tungstenite::tungstenite::protocol::frame::coding::{Data, OpCode};
    use tokio_tungstenite::tungstenite::protocol::frame::Frame;
    let parts: Vec<&[u8]> = data.chunks(chunk).collect();
    for (i, part) in parts.iter().enumerate() {
        let opcode = if i == 0 {
            OpCode::Data(Data::Text)
        } else {
            OpCode::Data(Data::Continue)
        };
        let frame = Frame::message(Bytes::copy_from_slice(part), opcode, i + 1 == parts.len());
        if ws.feed(Message::Frame(frame)).await.is_err() {
            break;
        }
    }
    let _ = ws.flush().await;
}

/// A WebSocket request with extra headers.
pub(crate) fn ws_request(url: &str, headers: &[(&str, &str)]) -> http::Request<()> {
    let mut req = url.into_client_request().unwrap();
    for (k, v) in headers {
        req.headers_mut().insert(
            http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
            http::HeaderValue::from_str(v).unwrap(),
        );
    }
    req
}

/// An HTTP answer.
#[derive(Debug)]
pub(crate) struct HttpAnswer {
    pub status: u16,
    pub headers: http::HeaderMap,
    pub body: Bytes,
}

impl HttpAnswer {
    pub(crate) fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).expect("JSON body")
    }

    pub(crate) fn error_type(&self) -> Option<&str> {
        self.headers
            .get("x-amzn-errortype")
            .and_then(|v| v.to_str().ok())
    }
}

/// One unsigned HTTP request.
pub(crate) async fn http(method: &str, url: &str, body: impl Into<Bytes>) -> HttpAnswer {
    let client = Client::builder(TokioExecutor::new()).build_http::<Full<Bytes>>();
    let req = http::Request::builder()
        .method(method)
        .uri(url)
        .body(Full::new(body.into()))
        .unwrap();
    let res = within("an HTTP answer", client.request(req))
        .await
        .expect("HTTP request");
    let (parts, body) = res.into_parts();
    let body = body.collect().await.expect("HTTP body").to_bytes();
    HttpAnswer {
        status: parts.status.as_u16(),
        headers: parts.headers,
        body,
    }
}

/// `/{stage}/@connections/{id}` with the id URL-encoded as the SDKs do.
pub(crate) fn connections_url(addr: SocketAddr, id: &str, encoded_at: bool) -> String {
    let id: String =
        percent_encoding::utf8_percent_encode(id, percent_encoding::NON_ALPHANUMERIC).to_string();
    let at = if encoded_at {
        "%40connections"
    } else {
        "@connections"
    };
    format!("http://{addr}/dev/{at}/{id}")
}

/// Query map helper.
pub(crate) fn query(pairs: &[(&str, &str)]) -> HashMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// An API Gateway event fixture by file name ([`wsproxy_test_support::fixtures`]), as JSON.
pub(crate) fn fixture(name: &str) -> serde_json::Value {
    wsproxy_test_support::fixtures::apigw_event(name)
        .unwrap_or_else(|| panic!("no fixture named {name}"))
}

/// Every key path of a JSON event (`requestContext.identity.sourceIp`...), not descending
/// into the header and query maps, whose keys are data.
pub(crate) fn key_paths(v: &serde_json::Value) -> std::collections::BTreeSet<String> {
    fn walk(v: &serde_json::Value, prefix: &str, out: &mut std::collections::BTreeSet<String>) {
        let serde_json::Value::Object(map) = v else {
            return;
        };
        for (k, child) in map {
            let path = if prefix.is_empty() {
                k.clone()
            } else {
                format!("{prefix}.{k}")
            };
            out.insert(path.clone());
            let is_data = matches!(
                k.as_str(),
                "headers"
                    | "multiValueHeaders"
                    | "queryStringParameters"
                    | "multiValueQueryStringParameters"
            );
            if !is_data {
                walk(child, &path, out);
            }
        }
    }
    let mut out = std::collections::BTreeSet::new();
    walk(v, "", &mut out);
    out
}
