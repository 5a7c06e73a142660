//! The `@connections` pusher, whose endpoint is known at init (`API_GATEWAY_ENDPOINT`) or
//! from the first event (`https://{domainName}/{stage}`), and whose retries end before the
//! invocation's time does.

use async_trait::async_trait;
use bytes::Bytes;
use std::future::Future;
use std::sync::OnceLock;
use std::time::{Duration, SystemTime};
use tokio::time::Instant;
use wsproxy_aws::ApiGatewayPusher;
use wsproxy_core::{PushError, Pusher};

/// Time kept back from the invocation's deadline for answering after the pushes.
pub const DEADLINE_MARGIN: Duration = Duration::from_millis(500);

tokio::task_local! {
    /// When the pushes of the invocation being handled must be done.
    static PUSH_DEADLINE: Instant;
}

/// Runs `handling` (one invocation) with its pushes bounded by the invocation's `deadline`
/// (`lambda_runtime::Context::deadline`) less [`DEADLINE_MARGIN`].
pub async fn within_deadline<F: Future>(deadline: SystemTime, handling: F) -> F::Output {
    let until = push_deadline(deadline, SystemTime::now(), Instant::now());
    PUSH_DEADLINE.scope(until, handling).await
}

/// The instant pushes must be done by: the invocation's deadline less the margin, or, with
/// less time than the margin left, the deadline itself (one attempt still has a chance).
fn push_deadline(deadline: SystemTime, now: SystemTime, instant_now: Instant) -> Instant {
    let left = deadline.duration_since(now).unwrap_or_default();
    let usable = match left.checked_sub(DEADLINE_MARGIN) {
        Some(usable) if !usable.is_zero() => usable,
        _ => left,
    };
    instant_now + usable
}

/// Pushes through API Gateway once its endpoint is known.
pub struct EndpointPusher {
    sdk: aws_config::SdkConfig,
    inner: OnceLock<(String, ApiGatewayPusher)>,
}

impl std::fmt::Debug for EndpointPusher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EndpointPusher")
            .field("endpoint", &self.inner.get().map(|(endpoint, _)| endpoint))
            .finish_non_exhaustive()
    }
}

impl EndpointPusher {
    /// A pusher with no endpoint yet.
    pub fn new(sdk: aws_config::SdkConfig) -> Self {
        Self {
            sdk,
            inner: OnceLock::new(),
        }
    }

    /// Sets the endpoint if none is set yet; the first one wins for the process's life.
    pub fn ensure_endpoint(&self, endpoint: &str) {
        self.inner.get_or_init(|| {
            (
                endpoint.to_owned(),
                ApiGatewayPusher::from_sdk(&self.sdk, endpoint),
            )
        });
    }

    /// The endpoint in use, if known.
    pub fn endpoint(&self) -> Option<&str> {
        self.inner.get().map(|(e, _)| e.as_str())
    }
}

#[async_trait]
impl Pusher for EndpointPusher {
    /// Retries end by the invocation's deadline ([`within_deadline`]) or the pusher's own
    /// budget, whichever comes first.
    async fn push(&self, connection_id: &str, data: Bytes) -> Result<(), PushError> {
        let Some((_, pusher)) = self.inner.get() else {
            return Err(PushError::Failed {
                connection_id: connection_id.to_owned(),
                reason: "no @connections endpoint: set API_GATEWAY_ENDPOINT".into(),
            });
        };
        match PUSH_DEADLINE.try_with(|d| *d) {
            Ok(deadline) => pusher.push_before(connection_id, data, deadline).await,
            Err(_) => pusher.push(connection_id, data).await,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pushes_end_a_margin_before_the_invocation() {
        let now = SystemTime::now();
        let at = Instant::now();
        let deadline = |ms| push_deadline(now + Duration::from_millis(ms), now, at) - at;
        assert_eq!(deadline(10_000), Duration::from_millis(9_500));
        // Less than the margin left: the hard deadline, so one attempt can still be made.
        assert_eq!(deadline(300), Duration::from_millis(300));
        assert_eq!(deadline(500), Duration::from_millis(500));
        // Already past: no time.
        assert_eq!(
            push_deadline(now - Duration::from_secs(1), now, at) - at,
            Duration::ZERO
        );
    }

    #[tokio::test]
    async fn the_deadline_is_seen_inside_the_invocation_only() {
        let deadline = SystemTime::now() + Duration::from_secs(10);
        let seen = within_deadline(deadline, async { PUSH_DEADLINE.try_with(|d| *d) }).await;
        let left = seen.unwrap() - Instant::now();
        assert!(left <= Duration::from_millis(9_500) && left > Duration::from_secs(9));
        assert!(PUSH_DEADLINE.try_with(|d| *d).is_err());
    }
}
