//! Connection ids in API Gateway's style.

use base64::Engine as _;
use rand::RngCore as _;

/// A new random connection id like API Gateway's, e.g. `L0SM9cOFvHcCIhw=`: 16 characters of
/// standard base64 (11 random bytes), so it may contain `+` and `/` and ends with `=`.
pub fn new_connection_id() -> String {
    let mut bytes = [0u8; 11];
    rand::rng().fill_bytes(&mut bytes);
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// A random request id for `x-amzn-RequestId` and the like (UUID-shaped).
pub(crate) fn new_request_id() -> String {
    let mut b = [0u8; 16];
    rand::rng().fill_bytes(&mut b);
    let h: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &h[..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..]
    )
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
        assert_eq!(new_request_id().len(), 36);
    }
}
