//! The `@connections` API (API Gateway's management API) over the open sockets of
//! [`crate::Connections`]: POST (send), GET (describe), DELETE (close).

use crate::ids::new_amzn_request_id;
use crate::sigv4;
use crate::state::Shared;
use crate::{ConnectionInfo, Credentials, SendError};
use axum::body::Body;
use axum::extract::{ConnectInfo, Request, State};
use axum::response::Response;
use http::header::{self, HeaderValue};
use http::{Method, StatusCode};
use serde_json::json;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::SystemTime;
use time::macros::format_description;
use time::OffsetDateTime;
use tracing::{debug, info, info_span, Instrument as _};
use wsproxy_core::metrics::{method_label, CONNECTIONS_API_CALLS};

/// The close code and reason of a socket closed by `DeleteConnection` (as API Gateway reports it).
const DELETED: (u16, &str) = (1000, "Connection Closed Normally");

/// `/{stage}/@connections/{id}` and `/{stage}/%40connections/{id}` (id URL-encoded).
pub(crate) async fn handle(
    State(gw): State<Arc<Shared>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    req: Request,
) -> Response {
    let request_id = new_amzn_request_id();
    let Some(connection_id) = connection_id(req.uri().path(), &gw.config.stage) else {
        return with_request_id(
            error(
                StatusCode::NOT_FOUND,
                "NotFoundException",
                "No such resource: use /{stage}/@connections/{connection_id}",
            ),
            &request_id,
        );
    };
    // The label is one of a fixed set: a client inventing methods cannot add series.
    let method = method_label(req.method().as_str());
    let span =
        info_span!("connections_api", connection_id = %connection_id, method = %req.method());
    let response = serve(&gw, peer, req, &connection_id)
        .instrument(span.clone())
        .await;
    span.in_scope(|| info!(status = response.status().as_u16(), "@connections answered"));
    metrics::counter!(CONNECTIONS_API_CALLS.name, "method" => method, "status" => response.status().as_u16().to_string())
        .increment(1);
    with_request_id(response, &request_id)
}

async fn serve(gw: &Shared, peer: SocketAddr, req: Request, connection_id: &str) -> Response {
    let (parts, body) = req.into_parts();
    let auth = match &gw.config.credentials {
        None if !is_local(peer) => {
            return forbidden(&format!(
                "the @connections API answers only this machine ({} is not loopback) unless credentials are configured",
                peer.ip()
            ));
        }
        None => None,
        Some(credentials) => {
            let keys = accepted_keys(credentials, &gw.config.function_keys, peer);
            match sigv4::check_headers(&keys, &parts.headers, SystemTime::now()) {
                Ok((auth, credentials)) => Some((credentials, auth)),
                Err(e) => {
                    debug!(error = %e, "signature refused");
                    return forbidden(&e.to_string());
                }
            }
        }
    };
    let limit = gw.config.quotas.max_message_bytes;
    let declared = parts
        .headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > limit) {
        return too_large(limit);
    }
    let Ok(body) = axum::body::to_bytes(body, limit).await else {
        return too_large(limit);
    };
    if let Some((credentials, auth)) = auth {
        if let Err(e) = sigv4::verify(
            credentials,
            &auth,
            &parts.method,
            &parts.uri,
            &parts.headers,
            &body,
        ) {
            debug!(error = %e, "signature refused");
            return forbidden(&e.to_string());
        }
    }
    match parts.method {
        Method::POST => match gw.connections.send(connection_id, body) {
            Ok(()) => status(StatusCode::OK),
            Err(SendError::Gone(_)) => gone(),
            Err(SendError::TooLarge { .. }) => too_large(limit),
        },
        Method::GET => match gw.connections.info(connection_id) {
            Some(info) => describe(&info),
            None => gone(),
        },
        Method::DELETE => {
            if gw.connections.close(connection_id, DELETED.0, DELETED.1) {
                status(StatusCode::NO_CONTENT)
            } else {
                gone()
            }
        }
        _ => {
            let mut r = error(
                StatusCode::METHOD_NOT_ALLOWED,
                "MethodNotAllowedException",
                "use POST, GET or DELETE",
            );
            r.headers_mut()
                .insert(header::ALLOW, HeaderValue::from_static("POST, GET, DELETE"));
            r
        }
    }
}

/// The keys a caller at `peer` may sign with: the configured ones, and from this machine
/// those the gateway gave its functions (which may be placeholders such as `local`, so they
/// open nothing to other machines).
fn accepted_keys<'a>(
    configured: &'a Credentials,
    functions: &'a [Credentials],
    peer: SocketAddr,
) -> Vec<&'a Credentials> {
    let mut keys = vec![configured];
    if is_local(peer) {
        keys.extend(functions);
    }
    keys
}

/// True for callers on this machine (loopback, IPv4-mapped included).
fn is_local(peer: SocketAddr) -> bool {
    peer.ip().to_canonical().is_loopback()
}

/// The decoded connection id of a management path, if it is one.
pub(crate) fn connection_id(raw_path: &str, stage: &str) -> Option<String> {
    let rest = raw_path
        .strip_prefix('/')?
        .strip_prefix(stage)?
        .strip_prefix('/')?;
    let (resource, id) = rest.split_once('/')?;
    if resource != "@connections" && resource != "%40connections" {
        return None;
    }
    let id = percent_encoding::percent_decode_str(id)
        .decode_utf8()
        .ok()?;
    (!id.is_empty()).then(|| id.into_owned())
}

fn describe(info: &ConnectionInfo) -> Response {
    let body = json!({
        "connectedAt": iso8601(info.connected_at_ms),
        "identity": {
            "sourceIp": info.source_ip,
            "userAgent": info.user_agent,
        },
        "lastActiveAt": iso8601(info.last_active_at_ms),
    });
    json_response(StatusCode::OK, body.to_string())
}

/// `2024-01-31T12:00:00.123Z`.
pub(crate) fn iso8601(ms: i64) -> String {
    let format =
        format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z");
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .ok()
        .and_then(|t| t.format(format).ok())
        .unwrap_or_else(|| "1970-01-01T00:00:00.000Z".to_owned())
}

fn gone() -> Response {
    error(
        StatusCode::GONE,
        "GoneException",
        "The connection is not connected",
    )
}

fn too_large(limit: usize) -> Response {
    error(
        StatusCode::PAYLOAD_TOO_LARGE,
        "PayloadTooLargeException",
        &format!("Message too long: the limit is {limit} bytes"),
    )
}

fn forbidden(message: &str) -> Response {
    error(StatusCode::FORBIDDEN, "ForbiddenException", message)
}

/// An AWS-style error: `x-amzn-ErrorType` and `{"message": ...}`.
fn error(status: StatusCode, kind: &'static str, message: &str) -> Response {
    let mut r = json_response(status, json!({ "message": message }).to_string());
    r.headers_mut()
        .insert("x-amzn-ErrorType", HeaderValue::from_static(kind));
    r
}

fn json_response(status: StatusCode, body: String) -> Response {
    let mut r = Response::new(Body::from(body));
    *r.status_mut() = status;
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    r
}

fn status(status: StatusCode) -> Response {
    let mut r = Response::new(Body::empty());
    *r.status_mut() = status;
    r
}

fn with_request_id(mut r: Response, request_id: &str) -> Response {
    if let Ok(v) = HeaderValue::from_str(request_id) {
        r.headers_mut().insert("x-amzn-RequestId", v);
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_plain_and_encoded_paths() {
        assert_eq!(
            connection_id("/dev/@connections/abc%3D", "dev").as_deref(),
            Some("abc=")
        );
        assert_eq!(
            connection_id("/dev/%40connections/a%2Bb%2Fc%3D", "dev").as_deref(),
            Some("a+b/c=")
        );
        assert_eq!(
            connection_id("/dev/%40Connections/x", "dev").as_deref(),
            None
        );
        assert_eq!(connection_id("/prod/@connections/x", "dev"), None);
        assert_eq!(connection_id("/dev/@connections/", "dev"), None);
        assert_eq!(connection_id("/dev/other/x", "dev"), None);
        assert_eq!(connection_id("/devx/@connections/x", "dev"), None);
    }

    #[test]
    fn without_credentials_only_local_callers_pass() {
        for local in [
            "127.0.0.1:1",
            "127.9.9.9:1",
            "[::1]:1",
            "[::ffff:127.0.0.1]:1",
        ] {
            assert!(is_local(local.parse().unwrap()), "{local}");
        }
        for remote in [
            "10.0.0.1:1",
            "192.168.1.2:1",
            "[2001:db8::1]:1",
            "[::ffff:10.0.0.1]:1",
        ] {
            assert!(!is_local(remote.parse().unwrap()), "{remote}");
        }
    }

    #[test]
    fn formats_iso8601_with_millis() {
        assert_eq!(iso8601(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(iso8601(1_700_000_000_123), "2023-11-14T22:13:20.123Z");
    }

    #[test]
    fn the_functions_keys_are_accepted_from_this_machine_only() {
        let key = |id: &str| Credentials {
            access_key_id: id.into(),
            secret_access_key: "s".into(),
        };
        let (configured, functions) = (key("AKIDGW"), vec![key("local")]);
        let ids = |peer: &str| -> Vec<String> {
            accepted_keys(&configured, &functions, peer.parse().unwrap())
                .iter()
                .map(|k| k.access_key_id.clone())
                .collect()
        };
        assert_eq!(ids("127.0.0.1:1"), ["AKIDGW", "local"]);
        assert_eq!(ids("[::ffff:127.0.0.1]:1"), ["AKIDGW", "local"]);
        assert_eq!(ids("192.168.1.2:1"), ["AKIDGW"]);
        assert_eq!(ids("[2001:db8::1]:1"), ["AKIDGW"]);
    }
}
