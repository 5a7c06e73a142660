//! The ids and clocks of invocations: a request id (`Lambda-Runtime-Aws-Request-Id`), an
//! X-Ray trace header, the time in milliseconds.

use rand::RngCore as _;

/// A new invocation's request id, UUID-shaped as Lambda's.
pub(crate) fn new_invocation_id() -> String {
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

/// `Lambda-Runtime-Trace-Id`: `Root=1-{epoch seconds hex}-{24 hex};Parent={16 hex};Sampled=0`.
pub(crate) fn trace_id() -> String {
    let root = new_invocation_id().replace('-', "");
    let parent = new_invocation_id().replace('-', "");
    format!(
        "Root=1-{:08x}-{};Parent={};Sampled=0",
        now_ms() / 1000,
        &root[..24],
        &parent[..16]
    )
}

/// Milliseconds since the Unix epoch.
pub(crate) fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_shaped_as_lambdas() {
        let id = new_invocation_id();
        assert_eq!(id.len(), 36);
        assert_eq!(id.matches('-').count(), 4);
        assert_ne!(id, new_invocation_id());
        let trace = trace_id();
        assert!(
            trace.starts_with("Root=1-") && trace.ends_with(";Sampled=0"),
            "{trace}"
        );
        assert_eq!(
            trace.len(),
            "Root=1-".len() + 8 + 1 + 24 + ";Parent=".len() + 16 + ";Sampled=0".len()
        );
    }
}
