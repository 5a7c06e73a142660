//! How many DynamoDB requests one registry has in flight at once (issue 8, churn).
//!
//! A burst of disconnects (a gateway shutting down, a mobile network dropping thousands of
//! sockets at once) would otherwise send every lookup and delete at the same moment: one
//! HTTP connection each, and on a store that answers slower than they arrive, every one of
//! them waits past its attempt timeout, is retried into the same queue, and is lost. With a
//! bound the burst queues here instead, the store sees a steady stream, and each request's
//! attempt timeout measures the store, not the queue in front of it.
//!
//! The wait for a turn is itself bounded ([`InFlight::wait`]): past it the call answers
//! [`RegistryError::Unavailable`], as a store that is down does.

use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use wsproxy_core::RegistryError;

/// The bound on one registry's requests in flight, and how long a call waits for a turn.
#[derive(Debug, Clone)]
pub struct InFlight {
    permits: Arc<Semaphore>,
    limit: usize,
    wait: Duration,
}

impl InFlight {
    /// Requests in flight by default: a few thousand a second at DynamoDB's usual latency.
    pub const DEFAULT_LIMIT: usize = 64;
    /// How long a call waits for its turn by default.
    pub const DEFAULT_WAIT: Duration = Duration::from_secs(30);

    /// At most `limit` requests at once (at least one); a call waits at most `wait`.
    pub fn new(limit: usize, wait: Duration) -> Self {
        let limit = limit.max(1);
        Self {
            permits: Arc::new(Semaphore::new(limit)),
            limit,
            wait,
        }
    }

    /// The bound.
    pub fn limit(&self) -> usize {
        self.limit
    }

    /// Waits for a turn to send `operation`; the turn ends when the permit is dropped.
    pub(crate) async fn turn(
        &self,
        operation: &str,
        table: &str,
    ) -> Result<OwnedSemaphorePermit, RegistryError> {
        match tokio::time::timeout(self.wait, self.permits.clone().acquire_owned()).await {
            Ok(Ok(permit)) => Ok(permit),
            // The semaphore is never closed; treat it as saturated all the same.
            Ok(Err(_)) | Err(_) => Err(RegistryError::Unavailable(format!(
                "DynamoDB {operation} on table '{table}' waited {}s for one of {} request slots: \
                 the table answers slower than requests arrive; give it more capacity, or \
                 raise the bound on requests in flight",
                self.wait.as_secs(),
                self.limit
            ))),
        }
    }
}

impl Default for InFlight {
    fn default() -> Self {
        Self::new(Self::DEFAULT_LIMIT, Self::DEFAULT_WAIT)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_call_waits_for_a_turn_and_then_gives_up_with_a_clear_error() {
        let bound = InFlight::new(1, Duration::from_millis(50));
        let held = bound.turn("Query", "t").await.expect("the first turn");
        let err = bound
            .turn("PutItem", "t")
            .await
            .expect_err("no second turn");
        let text = err.to_string();
        assert!(text.contains("PutItem on table 't'"), "{text}");
        assert!(text.contains("one of 1 request slots"), "{text}");
        drop(held);
        let _turn = bound.turn("PutItem", "t").await.expect("a turn once freed");
    }

    #[test]
    fn a_bound_of_zero_still_lets_one_request_through() {
        assert_eq!(InFlight::new(0, Duration::from_secs(1)).limit(), 1);
    }
}
