//! How the DynamoDB client retries: one place, chosen on purpose (issue 8).
//!
//! What the SDK does on its own (`aws_config` defaults, standard retry mode): 3 attempts,
//! exponential backoff with full jitter from 1 s up to 20 s (a pause of 0..1 s, then
//! 0..2 s), no timeout per attempt. It retries throttling
//! (`ProvisionedThroughputExceededException`, `ThrottlingException`,
//! `RequestLimitExceeded`, ...), HTTP 500/502/503/504, timeouts and broken connections.
//! A shared retry quota (the token bucket, 500 tokens, 5 per throttled retry) stops the
//! retries when most calls fail.
//!
//! What wsproxy sets instead ([`DynamoDbRetry::default`]): 5 attempts, full jitter from
//! 100 ms up to 1 s, 2 s per attempt. A throttled call is given up after at most
//! 0.1 + 0.2 + 0.4 + 0.8 = 1.5 s of pauses (0.75 s on average), well inside a WebSocket
//! route's time (API Gateway waits 29 s), and a DynamoDB that hangs costs at most 2 s per
//! attempt instead of the function's whole time.
//!
//! Retrying is safe here: every call the registry makes is idempotent (a PutItem replaces
//! the same item, a delete of an absent item is not an error, queries only read), so a
//! timeout after DynamoDB applied a write does no harm when repeated. When the attempts are
//! spent the registry answers [`wsproxy_core::RegistryError::Unavailable`], which the core
//! turns into a 5xx for `$connect` and an error frame for a message.

use aws_sdk_dynamodb::config::retry::RetryConfig;
use aws_sdk_dynamodb::config::timeout::TimeoutConfig;
use aws_sdk_dynamodb::{config, Client};
use std::time::Duration;

/// The retry settings of the registry's DynamoDB client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DynamoDbRetry {
    /// Attempts of one call, the first included.
    pub max_attempts: u32,
    /// The first pause's upper bound; each pause is random in `0..min(initial × 2ⁿ, max)`.
    pub initial_backoff: Duration,
    /// The largest pause between two attempts.
    pub max_backoff: Duration,
    /// How long one attempt may take before it is abandoned (and retried).
    pub attempt_timeout: Duration,
}

impl Default for DynamoDbRetry {
    fn default() -> Self {
        Self {
            max_attempts: 5,
            initial_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_secs(1),
            attempt_timeout: Duration::from_secs(2),
        }
    }
}

impl DynamoDbRetry {
    /// The SDK retry configuration: standard mode with these attempts and backoff.
    pub fn retry_config(&self) -> RetryConfig {
        RetryConfig::standard()
            .with_max_attempts(self.max_attempts.max(1))
            .with_initial_backoff(self.initial_backoff)
            .with_max_backoff(self.max_backoff)
    }

    /// Sets the retries and the attempt timeout on a client configuration, keeping its
    /// other timeouts (the connect timeout).
    pub fn apply(&self, builder: config::Builder) -> config::Builder {
        builder.retry_config(self.retry_config()).timeout_config(
            TimeoutConfig::builder()
                .operation_attempt_timeout(self.attempt_timeout)
                .build(),
        )
    }

    /// A DynamoDB client from the shared configuration (region, endpoint, credentials) with
    /// these retries.
    pub fn client(&self, sdk: &aws_config::SdkConfig) -> Client {
        Client::from_conf(self.apply(config::Builder::from(sdk)).build())
    }
}

/// A DynamoDB client for the registry, with wsproxy's retries ([`DynamoDbRetry::default`]).
pub fn dynamodb_client(sdk: &aws_config::SdkConfig) -> Client {
    DynamoDbRetry::default().client(sdk)
}
