//! When a `PostToConnection` is tried again, and when it is not (issue 8).
//!
//! A push must never arrive twice, so only an answer that says API Gateway did not deliver
//! is retried: 429 (`LimitExceededException`) and a 5xx other than 504. Everything that
//! leaves it unknown whether the message arrived is not: no answer within the attempt's
//! time, a connection broken while the answer was read, a 504 (something timed out after
//! the request was taken). 410 (`GoneException`) is answered at once: the socket is closed.
//!
//! The SDK's own retries cannot tell these apart (its standard mode retries timeouts and
//! broken connections too), so [`crate::ApiGatewayPusher`] turns them off and retries here,
//! with exponential backoff and full jitter, until a deadline.

use aws_sdk_apigatewaymanagement::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_apigatewaymanagement::operation::post_to_connection::PostToConnectionError;
use std::time::Duration;

/// How a push is retried.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushRetry {
    /// The time one push may take, retries included, when the caller gives no deadline.
    /// Below the core's `ProxyConfig::push_timeout` (5 s), so the pusher gives up with a
    /// reason before the core stops waiting.
    pub budget: Duration,
    /// How long one attempt may wait for its answer; a push without an answer by then is
    /// not retried (it may have arrived).
    pub attempt_timeout: Duration,
    /// The first pause's upper bound; each pause is random in `0..min(initial × 2ⁿ, max)`.
    pub initial_backoff: Duration,
    /// The largest pause between two attempts.
    pub max_backoff: Duration,
}

impl Default for PushRetry {
    fn default() -> Self {
        Self {
            budget: Duration::from_secs(3),
            attempt_timeout: Duration::from_secs(2),
            initial_backoff: Duration::from_millis(50),
            max_backoff: Duration::from_secs(1),
        }
    }
}

impl PushRetry {
    /// The pause before retry number `retry` (1 for the first): full jitter, a random
    /// duration in `0..min(initial_backoff × 2^(retry-1), max_backoff)`.
    pub fn pause(&self, retry: u32) -> Duration {
        let cap = self
            .initial_backoff
            .saturating_mul(2u32.saturating_pow(retry.saturating_sub(1)))
            .min(self.max_backoff);
        cap.mul_f64(fastrand::f64())
    }
}

/// What a failed attempt means.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// 410: the connection is closed.
    Gone,
    /// API Gateway answered that it did not deliver (429, 5xx but 504): try again.
    Retry(String),
    /// Do not try again: the request was wrong, or it is unknown whether it arrived.
    Fail(String),
}

/// Classifies a failed `PostToConnection`.
pub(crate) fn classify(err: &SdkError<PostToConnectionError>) -> Verdict {
    let reason = DisplayErrorContext(err).to_string();
    match err {
        SdkError::ServiceError(service) => {
            let status = service.raw().status().as_u16();
            if service.err().is_gone_exception() || status == 410 {
                return Verdict::Gone;
            }
            let code = err.code().unwrap_or("no error type");
            let what = format!("API Gateway answered HTTP {status} ({code}): {reason}");
            match status {
                429 | 500..=503 | 505..=599 => Verdict::Retry(what),
                _ => Verdict::Fail(what),
            }
        }
        SdkError::TimeoutError(_) | SdkError::ResponseError(_) => Verdict::Fail(format!(
            "{reason}; not retried: the message may have arrived"
        )),
        SdkError::DispatchFailure(_) => Verdict::Fail(format!(
            "could not reach the @connections endpoint: {reason}; not retried: the message may \
             have been sent"
        )),
        _ => Verdict::Fail(reason),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pauses_are_jittered_below_a_doubling_cap() {
        let retry = PushRetry {
            initial_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_millis(300),
            ..PushRetry::default()
        };
        for _ in 0..200 {
            assert!(retry.pause(1) < Duration::from_millis(100));
            assert!(retry.pause(2) < Duration::from_millis(200));
            assert!(retry.pause(3) < Duration::from_millis(300));
            assert!(retry.pause(40) < Duration::from_millis(300));
        }
        let distinct: std::collections::HashSet<_> = (0..50).map(|_| retry.pause(3)).collect();
        assert!(distinct.len() > 10, "pauses are random: {distinct:?}");
    }
}
