//! The ids API Gateway mints, each by its own function: connection ids, the request and
//! message ids of events, `x-amzn-RequestId` of `@connections` answers, X-Ray trace roots.

use base64::Engine as _;
use rand::RngCore as _;

/// A new random connection id like API Gateway's, e.g. `L0SM9cOFvHcCIhw=`: 16 characters of
/// standard base64 (11 random bytes), so it may contain `+` and `/` and ends with `=`.
pub fn new_connection_id() -> String {
    short_id()
}

/// An event's `requestContext.requestId` (and `extendedRequestId`), the `requestId` of an
/// error frame: shaped as a connection id, as API Gateway's are.
pub(crate) fn new_event_request_id() -> String {
    short_id()
}

/// A message event's `requestContext.messageId`, shaped as a connection id.
pub(crate) fn new_message_id() -> String {
    short_id()
}

/// `x-amzn-RequestId` of an `@connections` answer (UUID-shaped).
pub(crate) fn new_amzn_request_id() -> String {
    let h = hex(16);
    format!(
        "{}-{}-{}-{}-{}",
        &h[..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..]
    )
}

/// An X-Ray trace root, `1-{epoch seconds hex}-{24 hex}` (`X-Amzn-Trace-Id: Root=...`).
pub(crate) fn new_trace_root() -> String {
    format!("1-{:08x}-{}", crate::event::now_ms() / 1000, hex(12))
}

/// 11 random bytes in standard base64.
fn short_id() -> String {
    let mut bytes = [0u8; 11];
    rand::rng().fill_bytes(&mut bytes);
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// `n` random bytes in lowercase hex.
fn hex(n: usize) -> String {
    let mut b = vec![0u8; n];
    rand::rng().fill_bytes(&mut b);
    b.iter().map(|x| format!("{x:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn looks_like_api_gateways() {
        for _ in 0..100 {
            let id = new_connection_id();
            assert_eq!(id.len(), 16);
            assert!(id.ends_with('='));
            assert!(id[..15]
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '+' || c == '/'));
        }
        assert_ne!(new_connection_id(), new_connection_id());
        assert_eq!(new_amzn_request_id().len(), 36);
        assert_eq!(new_event_request_id().len(), 16);
        assert_eq!(new_message_id().len(), 16);
        let root = new_trace_root();
        assert_eq!(root.len(), 2 + 8 + 1 + 24, "{root}");
        assert!(root.starts_with("1-"), "{root}");
    }
}
