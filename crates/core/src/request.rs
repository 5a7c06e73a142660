//! The event being handled: its request id and W3C trace context (contract section 9).
//!
//! A host runs each event inside [`RequestContext::scope`]; the core then puts the request
//! id on its spans (so every log line of the event carries it) and in the error frames it
//! sends, and a [`crate::Backend`] reads [`RequestContext::current`] to send `X-Request-Id`
//! and `traceparent` with each call.

use std::future::Future;

tokio::task_local! {
    static CURRENT: RequestContext;
}

/// The ids of one event: API Gateway's `requestContext.requestId` and a W3C trace id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestContext {
    request_id: String,
    trace_id: String,
    sampled: bool,
}

impl RequestContext {
    /// The context of an event whose request id is `request_id`, with a new random trace id.
    pub fn new(request_id: impl Into<String>) -> Self {
        Self {
            request_id: request_id.into(),
            trace_id: random_hex(16),
            sampled: false,
        }
    }

    /// The same event, in the trace of an AWS X-Ray header
    /// (`Root=1-5759e988-bd862e3fe1be46a994272793;Parent=...;Sampled=1`); a header without
    /// a usable `Root` leaves the random trace id.
    pub fn with_xray_trace(mut self, header: &str) -> Self {
        for part in header.split(';') {
            match part.trim().split_once('=') {
                Some(("Root", root)) => {
                    let hex = root
                        .split_once('-')
                        .map_or(String::new(), |(_, r)| r.replace('-', ""));
                    if is_trace_id(&hex) {
                        self.trace_id = hex.to_ascii_lowercase();
                    }
                }
                Some(("Sampled", flag)) => self.sampled = flag == "1",
                _ => {}
            }
        }
        self
    }

    /// The request id (API Gateway's `requestContext.requestId`).
    pub fn request_id(&self) -> &str {
        &self.request_id
    }

    /// The W3C trace id: 32 lower-case hex digits, never all zeros.
    pub fn trace_id(&self) -> &str {
        &self.trace_id
    }

    /// A W3C `traceparent` for one outgoing call: this trace, a new random span id.
    pub fn traceparent(&self) -> String {
        let flags = if self.sampled { "01" } else { "00" };
        format!("00-{}-{}-{flags}", self.trace_id, random_hex(8))
    }

    /// Runs `future` with this context as [`RequestContext::current`].
    pub fn scope<F: Future>(self, future: F) -> impl Future<Output = F::Output> {
        CURRENT.scope(self, future)
    }

    /// The context of the event being handled by this task, if its host gave one.
    pub fn current() -> Option<Self> {
        CURRENT.try_with(Clone::clone).ok()
    }

    /// The current request id, or `""` outside a [`RequestContext::scope`].
    pub fn current_id() -> String {
        CURRENT
            .try_with(|c| c.request_id.clone())
            .unwrap_or_default()
    }
}

/// True for 32 hex digits that are not all zeros (W3C's invalid trace id).
fn is_trace_id(hex: &str) -> bool {
    hex.len() == 32 && hex.bytes().all(|b| b.is_ascii_hexdigit()) && hex.bytes().any(|b| b != b'0')
}

/// `bytes` random bytes as lower-case hex, never all zeros.
fn random_hex(bytes: usize) -> String {
    loop {
        let hex: String = (0..bytes)
            .map(|_| format!("{:02x}", fastrand::u8(..)))
            .collect();
        if hex.bytes().any(|b| b != b'0') {
            return hex;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn traceparent_is_w3c() {
        let ctx = RequestContext::new("Fx=");
        let tp = ctx.traceparent();
        let parts: Vec<&str> = tp.split('-').collect();
        assert_eq!(parts.len(), 4, "{tp}");
        assert_eq!(parts[0], "00");
        assert_eq!(parts[1], ctx.trace_id());
        assert!(is_trace_id(parts[1]));
        assert_eq!(parts[2].len(), 16);
        assert_eq!(parts[3], "00");
        assert_ne!(ctx.traceparent(), tp, "each call has its own span id");
    }

    #[test]
    fn xray_roots_become_the_trace_id() {
        let ctx = RequestContext::new("r").with_xray_trace(
            "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1",
        );
        assert_eq!(ctx.trace_id(), "5759e988bd862e3fe1be46a994272793");
        assert!(ctx.traceparent().ends_with("-01"));
        for bad in [
            "",
            "Root=",
            "Root=1-zz",
            "Root=1-00000000-000000000000000000000000",
        ] {
            let ctx = RequestContext::new("r").with_xray_trace(bad);
            assert!(is_trace_id(ctx.trace_id()), "{bad}");
        }
    }

    #[tokio::test]
    async fn current_is_the_scope() {
        assert_eq!(RequestContext::current(), None);
        assert_eq!(RequestContext::current_id(), "");
        let ctx = RequestContext::new("abc=");
        let seen = ctx.clone().scope(async { RequestContext::current() }).await;
        assert_eq!(seen, Some(ctx));
    }
}
