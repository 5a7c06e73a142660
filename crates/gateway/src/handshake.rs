//! The HTTP side of the WebSocket handshake (RFC 6455 §4.2): which upgrade requests are
//! valid, and the gateway's own answers to them (101, 4xx, 429).

use axum::body::Body;
use axum::extract::Request;
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use http::header::{self, HeaderName, HeaderValue};
use http::{StatusCode, Version};
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;

/// The answer to a request that is not a valid WebSocket (version 13) handshake.
pub(crate) fn refusal(req: &Request) -> Option<Response> {
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
    if req.version() < Version::HTTP_11 {
        return Some(plain(
            StatusCode::BAD_REQUEST,
            "a WebSocket handshake needs HTTP/1.1 or later (RFC 6455 section 4.1); this request is HTTP/1.0",
        ));
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
    let keys: Vec<&HeaderValue> = h.get_all(header::SEC_WEBSOCKET_KEY).iter().collect();
    match keys[..] {
        [] => Some(plain(StatusCode::BAD_REQUEST, "missing Sec-WebSocket-Key")),
        [key] if is_valid_key(key) => None,
        _ => Some(plain(
            StatusCode::BAD_REQUEST,
            "Sec-WebSocket-Key must be one base64 value of 16 bytes (RFC 6455 section 4.1)",
        )),
    }
}

/// True for the base64 (with padding) of exactly 16 bytes, as RFC 6455 requires.
fn is_valid_key(key: &HeaderValue) -> bool {
    base64::engine::general_purpose::STANDARD
        .decode(key.as_bytes())
        .is_ok_and(|nonce| nonce.len() == 16)
}

/// The 101 answer.
pub(crate) fn switching_protocols(key: &str, protocol: Option<&str>) -> Response {
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

/// API Gateway's answer to a throttled request: 429, `TooManyRequestsException`,
/// `{"message":"Too Many Requests"}`.
pub(crate) fn throttled() -> Response {
    let mut r = Response::new(Body::from(r#"{"message":"Too Many Requests"}"#));
    *r.status_mut() = StatusCode::TOO_MANY_REQUESTS;
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    h.insert(
        HeaderName::from_static("x-amzn-errortype"),
        HeaderValue::from_static("TooManyRequestsException"),
    );
    r
}

/// A plain-text answer ending with a newline.
pub(crate) fn plain(status: StatusCode, message: &str) -> Response {
    (status, format!("{message}\n")).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_must_be_base64_of_16_bytes() {
        let valid = |k: &str| is_valid_key(&HeaderValue::from_str(k).unwrap());
        assert!(valid("dGhlIHNhbXBsZSBub25jZQ=="));
        assert!(!valid("dGhlIHNhbXBsZSBub25jZQ"), "padding is required");
        assert!(!valid("not base64 at all!"));
        assert!(!valid("c2hvcnQ="), "5 bytes");
        assert!(!valid("dGhlIHNhbXBsZSBub25jZSE="), "17 bytes");
    }
}
