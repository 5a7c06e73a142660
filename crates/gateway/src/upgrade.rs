//! The `$connect` handshake: the upgrade waits for the integration, and a non-2xx refuses it.

use crate::connections::Handle;
use crate::event::{invoke, now_ms, ConnectionMeta, EventType};
use crate::routes::CONNECT_ROUTE;
use crate::server::{Shared, TaskGuard};
use crate::socket::{self, SocketContext, ABNORMAL};
use crate::RouteAnswer;
use axum::body::Body;
use axum::extract::{ConnectInfo, Request, State};
use axum::response::{IntoResponse, Response};
use http::header::{self, HeaderMap, HeaderName, HeaderValue};
use http::StatusCode;
use hyper::upgrade::OnUpgrade;
use hyper_util::rt::TokioIo;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::sync::oneshot;
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;
use tracing::{info, info_span, warn, Instrument as _};

/// What the connection task needs from the upgrade request.
struct UpgradeRequest {
    key: String,
    offered_protocols: Vec<String>,
    query: HashMap<String, String>,
    headers: HashMap<String, String>,
    meta: ConnectionMeta,
    started: Instant,
}

/// `GET /{stage}` with `Upgrade: websocket`.
pub(crate) async fn handle(
    State(gw): State<Arc<Shared>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    mut req: Request,
) -> Response {
    if let Some(refusal) = handshake_refusal(&req) {
        return refusal;
    }
    let Some(on_upgrade) = req.extensions_mut().remove::<OnUpgrade>() else {
        return plain(
            StatusCode::INTERNAL_SERVER_ERROR,
            "this connection cannot be upgraded",
        );
    };
    let mut connection_id = crate::new_connection_id();
    while gw.connections.contains(&connection_id) {
        connection_id = crate::new_connection_id();
    }
    let request = upgrade_request(&gw, peer, &req, connection_id);
    let span = info_span!("connection", connection_id = %request.meta.connection_id);
    let (reply_tx, reply_rx) = oneshot::channel();
    // The connection lives in its own task, so that a client leaving during `$connect`
    // cannot cancel it halfway: `$disconnect` still runs after a 2xx.
    let guard = gw.tracker.enter();
    tokio::spawn(lifecycle(gw, request, on_upgrade, reply_tx, guard).instrument(span));
    reply_rx.await.unwrap_or_else(|_| {
        plain(
            StatusCode::INTERNAL_SERVER_ERROR,
            "the $connect route failed",
        )
    })
}

/// Runs `$connect`, answers the handshake, then the socket until it closes.
async fn lifecycle(
    gw: Arc<Shared>,
    request: UpgradeRequest,
    on_upgrade: OnUpgrade,
    reply: oneshot::Sender<Response>,
    _guard: TaskGuard,
) {
    let UpgradeRequest {
        key,
        offered_protocols,
        query,
        headers,
        meta,
        started,
    } = request;
    let mut event = meta.event(CONNECT_ROUTE, EventType::Connect);
    event.query = query;
    event.headers = headers;
    let answer = invoke(gw.integration.as_ref(), event).await;
    if !answer.is_success() {
        info!(status = answer.status, "$connect refused the connection");
        let _ = reply.send(refusal(&answer));
        return;
    }
    let protocol = answer.header("sec-websocket-protocol").and_then(|p| {
        let chosen = offered_protocols.iter().find(|o| o.as_str() == p.trim());
        if chosen.is_none() {
            warn!(
                protocol = p,
                "$connect echoed a subprotocol the client did not offer"
            );
        }
        chosen.cloned()
    });
    let budget = gw.connections.socket_budget();
    let (handle, ends) = Handle::new(meta.clone(), budget, answer.after_open);
    if !gw.connections.insert(handle.clone()) {
        let _ = reply.send(plain(
            StatusCode::SERVICE_UNAVAILABLE,
            "the gateway is shutting down",
        ));
        socket::run_disconnect(gw.integration.as_ref(), &meta, 1001, "Going away").await;
        return;
    }
    if reply
        .send(switching_protocols(&key, protocol.as_deref()))
        .is_err()
    {
        gw.connections.remove(&handle);
        socket::run_disconnect(
            gw.integration.as_ref(),
            &meta,
            ABNORMAL,
            "the client left before the upgrade completed",
        )
        .await;
        return;
    }
    match on_upgrade.await {
        Ok(upgraded) => {
            info!(source_ip = %meta.source_ip, "connected");
            let ctx = SocketContext {
                handle,
                ends,
                connections: gw.connections.clone(),
                integration: gw.integration.clone(),
                selector: gw.selector.clone(),
                quotas: gw.config.quotas.clone(),
                started,
            };
            socket::run(TokioIo::new(upgraded), ctx).await;
        }
        Err(e) => {
            warn!(error = %e, "the upgrade failed after $connect accepted it");
            gw.connections.remove(&handle);
            let reason = format!("upgrade failed: {e}");
            socket::run_disconnect(gw.integration.as_ref(), &meta, ABNORMAL, &reason).await;
        }
    }
}

/// The answer to a request that is not a WebSocket (version 13) handshake.
fn handshake_refusal(req: &Request) -> Option<Response> {
    let h = req.headers();
    let has_token = |name: HeaderName, token: &str| {
        h.get_all(name).iter().any(|v| {
            v.to_str()
                .map(|s| s.split(',').any(|t| t.trim().eq_ignore_ascii_case(token)))
                .unwrap_or(false)
        })
    };
    if req.method() != http::Method::GET
        || !has_token(header::CONNECTION, "upgrade")
        || !has_token(header::UPGRADE, "websocket")
    {
        let mut r = plain(
            StatusCode::UPGRADE_REQUIRED,
            "this is a WebSocket endpoint: connect with a WebSocket client, e.g. ws://HOST:PORT/STAGE",
        );
        r.headers_mut()
            .insert(header::UPGRADE, HeaderValue::from_static("websocket"));
        return Some(r);
    }
    if h.get(header::SEC_WEBSOCKET_VERSION).map(|v| v.as_bytes()) != Some(b"13") {
        let mut r = plain(
            StatusCode::BAD_REQUEST,
            "unsupported Sec-WebSocket-Version: use 13",
        );
        r.headers_mut().insert(
            header::SEC_WEBSOCKET_VERSION,
            HeaderValue::from_static("13"),
        );
        return Some(r);
    }
    if h.get(header::SEC_WEBSOCKET_KEY).is_none() {
        return Some(plain(StatusCode::BAD_REQUEST, "missing Sec-WebSocket-Key"));
    }
    None
}

fn upgrade_request(
    gw: &Shared,
    peer: SocketAddr,
    req: &Request,
    connection_id: String,
) -> UpgradeRequest {
    let h = req.headers();
    let text = |name: HeaderName| {
        h.get(name)
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
    };
    let offered_protocols = h
        .get_all(header::SEC_WEBSOCKET_PROTOCOL)
        .iter()
        .flat_map(|v| {
            String::from_utf8_lossy(v.as_bytes())
                .split(',')
                .map(|p| p.trim().to_owned())
                .filter(|p| !p.is_empty())
                .collect::<Vec<_>>()
        })
        .collect();
    UpgradeRequest {
        key: text(header::SEC_WEBSOCKET_KEY).unwrap_or_default(),
        offered_protocols,
        query: parse_query(req.uri().query().unwrap_or("")),
        headers: header_map(h),
        started: Instant::now(),
        meta: ConnectionMeta {
            connection_id,
            connected_at_ms: now_ms(),
            stage: gw.config.stage.clone(),
            domain_name: text(header::HOST).unwrap_or_else(|| gw.local_addr.to_string()),
            source_ip: peer.ip().to_canonical().to_string(),
            user_agent: text(header::USER_AGENT),
        },
    }
}

/// Query parameters, percent-decoded; the last value of a repeated name wins.
pub(crate) fn parse_query(query: &str) -> HashMap<String, String> {
    let decode = |s: &str| {
        percent_encoding::percent_decode_str(s)
            .decode_utf8_lossy()
            .into_owned()
    };
    query
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (decode(k), decode(v))
        })
        .collect()
}

/// Request headers by lower-case name; repeated headers are joined with `,`.
fn header_map(headers: &HeaderMap) -> HashMap<String, String> {
    let mut out: HashMap<String, String> = HashMap::new();
    for (name, value) in headers {
        let value = String::from_utf8_lossy(value.as_bytes()).into_owned();
        out.entry(name.as_str().to_owned())
            .and_modify(|v| {
                v.push(',');
                v.push_str(&value);
            })
            .or_insert(value);
    }
    out
}

/// The 101 answer.
fn switching_protocols(key: &str, protocol: Option<&str>) -> Response {
    let mut r = Response::new(Body::empty());
    *r.status_mut() = StatusCode::SWITCHING_PROTOCOLS;
    let h = r.headers_mut();
    h.insert(header::CONNECTION, HeaderValue::from_static("upgrade"));
    h.insert(header::UPGRADE, HeaderValue::from_static("websocket"));
    if let Ok(accept) = HeaderValue::from_str(&derive_accept_key(key.as_bytes())) {
        h.insert(header::SEC_WEBSOCKET_ACCEPT, accept);
    }
    if let Some(p) = protocol.and_then(|p| HeaderValue::from_str(p).ok()) {
        h.insert(header::SEC_WEBSOCKET_PROTOCOL, p);
    }
    r
}

/// The HTTP answer of a refused `$connect`: its status, headers and body.
fn refusal(answer: &RouteAnswer) -> Response {
    let status = StatusCode::from_u16(answer.status)
        .ok()
        .filter(|s| s.as_u16() >= 200)
        .unwrap_or(StatusCode::BAD_GATEWAY);
    let mut r = Response::new(Body::from(answer.body.clone()));
    *r.status_mut() = status;
    for (name, value) in &answer.headers {
        let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(value),
        ) else {
            continue;
        };
        if name != header::CONTENT_LENGTH
            && name != header::TRANSFER_ENCODING
            && name != header::CONNECTION
        {
            r.headers_mut().append(name, value);
        }
    }
    if !r.headers().contains_key(header::CONTENT_TYPE) {
        let json = serde_json::from_str::<serde_json::Value>(&answer.body).is_ok();
        let ct = if json {
            "application/json"
        } else {
            "text/plain; charset=utf-8"
        };
        r.headers_mut()
            .insert(header::CONTENT_TYPE, HeaderValue::from_static(ct));
    }
    r
}

fn plain(status: StatusCode, message: &str) -> Response {
    (status, format!("{message}\n")).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_is_percent_decoded() {
        let q = parse_query("type=chat&token=a%2Bb%3D&x&booking_id=1&booking_id=2&&e=");
        assert_eq!(q["type"], "chat");
        assert_eq!(q["token"], "a+b=");
        assert_eq!(q["x"], "");
        assert_eq!(q["booking_id"], "2");
        assert_eq!(q["e"], "");
    }

    #[test]
    fn refusal_keeps_status_and_body() {
        let r = refusal(&RouteAnswer::new(401, r#"{"error":"nope"}"#));
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(r.headers()[header::CONTENT_TYPE], "application/json");
        assert_eq!(
            refusal(&RouteAnswer::new(42, "")).status(),
            StatusCode::BAD_GATEWAY
        );
    }
}
