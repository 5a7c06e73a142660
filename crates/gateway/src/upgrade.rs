//! The `$connect` handshake: the upgrade waits for the integration, and a non-2xx refuses it.

use crate::close_code::ABNORMAL;
use crate::connections::{Handle, HandleEnds};
use crate::event::{invoke, now_ms, ConnectionMeta, EventType};
use crate::handshake::{self, plain};
use crate::routes::CONNECT_ROUTE;
use crate::served::{ConnectionSlot, Scheme};
use crate::socket::{self, SocketContext};
use crate::state::{Shared, TaskGuard};
use crate::IntegrationResponse;
use axum::body::Body;
use axum::extract::{ConnectInfo, Request, State};
use axum::response::Response;
use http::header::{self, HeaderMap, HeaderName, HeaderValue};
use http::StatusCode;
use hyper::upgrade::OnUpgrade;
use hyper_util::rt::TokioIo;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::sync::oneshot;
use tokio::time::Instant;
use tracing::{debug, info, info_span, warn, Instrument as _};

/// Longest `User-Agent` kept for the socket's life (its events' `identity.userAgent`);
/// `$connect`'s `headers` carry it whole.
const MAX_KEPT_HEADER_BYTES: usize = 1024;

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
    if let Some(refusal) = handshake::refusal(&req) {
        return refusal;
    }
    if !gw.new_connections.try_take() {
        debug!(%peer, "throttled a new connection (new-connection rate limit)");
        return handshake::throttled();
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
    // The connection's slot under the cap lives as long as its socket.
    let slot = req.extensions().get::<ConnectionSlot>().cloned();
    drop(req);
    let span = info_span!("connection", connection_id = %request.meta.connection_id);
    let (reply_tx, reply_rx) = oneshot::channel();
    // The connection lives in its own task, so that a client leaving during `$connect`
    // cannot cancel it halfway: `$disconnect` still runs after a 2xx.
    let guard = gw.tracker.enter();
    tokio::spawn(lifecycle(gw, request, on_upgrade, reply_tx, (guard, slot)).instrument(span));
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
    _held: (TaskGuard, Option<ConnectionSlot>),
) {
    let started = request.started;
    // Of the upgrade request and `$connect`'s answer, only the handle's bounded fields
    // outlive `open`.
    let Some((handle, ends)) = open(&gw, request, reply).await else {
        return;
    };
    match on_upgrade.await {
        Ok(upgraded) => {
            info!(source_ip = %handle.meta.source_ip, "connected");
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
            socket::run_disconnect(gw.integration.as_ref(), &handle.meta, ABNORMAL, &reason).await;
        }
    }
}

/// Runs `$connect` and answers the handshake; the socket's handle once its 101 is on the way.
async fn open(
    gw: &Shared,
    request: UpgradeRequest,
    reply: oneshot::Sender<Response>,
) -> Option<(Arc<Handle>, HandleEnds)> {
    let UpgradeRequest {
        key,
        offered_protocols,
        query,
        headers,
        meta,
        started: _,
    } = request;
    let mut event = meta.event(CONNECT_ROUTE, EventType::Connect);
    event.query = query;
    event.headers = headers;
    let answer = invoke(gw.integration.as_ref(), event).await;
    if !answer.is_success() {
        info!(status = answer.status, "$connect refused the connection");
        let _ = reply.send(refusal(&answer));
        return None;
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
        return None;
    }
    if reply
        .send(handshake::switching_protocols(&key, protocol.as_deref()))
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
        return None;
    }
    Some((handle, ends))
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
    let scheme = req
        .extensions()
        .get::<Scheme>()
        .copied()
        .unwrap_or(Scheme::Http);
    let mut headers = header_map(h);
    forwarded(&mut headers, peer, gw.local_addr.port(), scheme);
    let domain_name = domain_name(gw, text(header::HOST).as_deref());
    UpgradeRequest {
        key: text(header::SEC_WEBSOCKET_KEY).unwrap_or_default(),
        offered_protocols,
        query: parse_query(req.uri().query().unwrap_or("")),
        headers,
        started: Instant::now(),
        meta: ConnectionMeta {
            connection_id,
            connected_at_ms: now_ms(),
            stage: gw.config.stage.clone(),
            domain_name,
            source_ip: peer.ip().to_canonical().to_string(),
            user_agent: text(header::USER_AGENT).map(bounded),
        },
    }
}

/// `value` cut to at most [`MAX_KEPT_HEADER_BYTES`], on a character boundary.
fn bounded(mut value: String) -> String {
    if value.len() > MAX_KEPT_HEADER_BYTES {
        let mut end = MAX_KEPT_HEADER_BYTES;
        while !value.is_char_boundary(end) {
            end -= 1;
        }
        value.truncate(end);
        value.shrink_to_fit();
    }
    value
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
/// The events' `domainName`: the client's `Host` when it names this gateway (one of its
/// certificate's names, `localhost`, a loopback address or the listen address, with the
/// gateway's port), else the gateway's own address. Never a host the client chose: a function
/// that builds its `@connections` endpoint from `domainName` (as AWS's examples do) must not
/// be sent elsewhere, with the developer's credentials.
fn domain_name(gw: &Shared, host: Option<&str>) -> String {
    let own = crate::state::reachable(gw.local_addr);
    let names_us = |host: &str| {
        let Ok(uri) = format!("http://{host}/").parse::<http::Uri>() else {
            return false;
        };
        let (Some(name), Some(port)) = (uri.host(), uri.port_u16()) else {
            return false;
        };
        let name = name.trim_start_matches('[').trim_end_matches(']');
        let ip = name.parse::<std::net::IpAddr>().ok();
        port == own.port()
            && (name.eq_ignore_ascii_case("localhost")
                || ip.is_some_and(|ip| ip.is_loopback() || ip == gw.local_addr.ip())
                || gw
                    .tls
                    .as_ref()
                    .is_some_and(|tls| tls.names().iter().any(|n| n.eq_ignore_ascii_case(name))))
    };
    match host {
        Some(host) if host.len() <= MAX_KEPT_HEADER_BYTES && names_us(host) => host.to_owned(),
        _ => own.to_string(),
    }
}

/// API Gateway's `X-Forwarded-*` headers, whatever the client sent: the client's address
/// appended to its `X-Forwarded-For`, and the gateway's own port and scheme.
fn forwarded(headers: &mut HashMap<String, String>, peer: SocketAddr, port: u16, scheme: Scheme) {
    let ip = peer.ip().to_canonical().to_string();
    let chain = match headers.remove("x-forwarded-for") {
        Some(given) if !given.trim().is_empty() => format!("{}, {ip}", given.trim()),
        _ => ip,
    };
    headers.insert("x-forwarded-for".to_owned(), chain);
    headers.insert("x-forwarded-port".to_owned(), port.to_string());
    headers.insert("x-forwarded-proto".to_owned(), scheme.as_str().to_owned());
}

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

/// The HTTP answer of a refused `$connect`: its status, headers and body.
fn refusal(answer: &IntegrationResponse) -> Response {
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
    fn kept_headers_are_bounded_on_a_char_boundary() {
        assert_eq!(bounded("curl/8".into()), "curl/8");
        let long = bounded("é".repeat(MAX_KEPT_HEADER_BYTES));
        assert_eq!(long.len(), MAX_KEPT_HEADER_BYTES);
        let odd = bounded(format!("x{}", "é".repeat(MAX_KEPT_HEADER_BYTES)));
        assert_eq!(odd.len(), MAX_KEPT_HEADER_BYTES - 1);
        assert!(odd.capacity() < 2 * MAX_KEPT_HEADER_BYTES);
    }

    #[test]
    fn refusal_keeps_status_and_body() {
        let r = refusal(&IntegrationResponse::new(401, r#"{"error":"nope"}"#));
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(r.headers()[header::CONTENT_TYPE], "application/json");
        assert_eq!(
            refusal(&IntegrationResponse::new(42, "")).status(),
            StatusCode::BAD_GATEWAY
        );
    }
}
