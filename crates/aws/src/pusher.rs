//! Pushing to sockets through API Gateway's `@connections` API (`PostToConnection`).

use crate::push_retry::{classify, PushRetry, Verdict};
use async_trait::async_trait;
use aws_sdk_apigatewaymanagement::config::retry::RetryConfig;
use aws_sdk_apigatewaymanagement::primitives::Blob;
use aws_sdk_apigatewaymanagement::{config, Client};
use bytes::Bytes;
use tokio::time::Instant;
use tracing::{debug, warn};
use wsproxy_core::{PushError, Pusher};

/// A [`Pusher`] on the `@connections` API of an API Gateway WebSocket stage, or of the local
/// gateway (which implements the same API).
///
/// A push is retried only when API Gateway answered that it did not deliver (429, 5xx but
/// 504), with exponential backoff and full jitter, until a deadline; 410 is
/// [`PushError::Gone`] at once; a push whose outcome is unknown (timeout, broken connection)
/// is never retried, so no message arrives twice. The SDK's own retries are turned off.
#[derive(Debug, Clone)]
pub struct ApiGatewayPusher {
    client: Client,
    retry: PushRetry,
}

impl ApiGatewayPusher {
    /// A pusher through `client`, whose endpoint must be the stage's `@connections` base URL.
    /// The client's own retries are turned off (see the type's documentation).
    pub fn new(client: Client) -> Self {
        let conf = client
            .config()
            .to_builder()
            .retry_config(RetryConfig::disabled())
            .build();
        Self {
            client: Client::from_conf(conf),
            retry: PushRetry::default(),
        }
    }

    /// A pusher on `endpoint`, e.g. `https://{api_id}.execute-api.{region}.amazonaws.com/{stage}`
    /// or `http://127.0.0.1:8080/dev`, with region and credentials from `sdk`.
    pub fn from_sdk(sdk: &aws_config::SdkConfig, endpoint: &str) -> Self {
        let conf = config::Builder::from(sdk)
            .endpoint_url(endpoint.trim_end_matches('/'))
            .build();
        Self::new(Client::from_conf(conf))
    }

    /// The same pusher with other retry settings.
    pub fn with_retry(mut self, retry: PushRetry) -> Self {
        self.retry = retry;
        self
    }

    /// The retry settings.
    pub fn retry(&self) -> &PushRetry {
        &self.retry
    }

    /// Pushes `data` to `connection_id`, retrying what may be retried until `deadline`
    /// (or the settings' budget, whichever comes first).
    pub async fn push_before(
        &self,
        connection_id: &str,
        data: Bytes,
        deadline: Instant,
    ) -> Result<(), PushError> {
        let deadline = deadline.min(Instant::now() + self.retry.budget);
        let failed = |reason: String| PushError::Failed {
            connection_id: connection_id.to_owned(),
            reason,
        };
        let mut attempt = 0u32;
        loop {
            attempt += 1;
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(failed(format!(
                    "no time left before the deadline after {} attempt(s); the message was not sent",
                    attempt - 1
                )));
            }
            let wait = left.min(self.retry.attempt_timeout);
            let sent = self
                .client
                .post_to_connection()
                .connection_id(connection_id)
                .data(Blob::new(data.clone()))
                .send();
            let reason = match tokio::time::timeout(wait, sent).await {
                Ok(Ok(_)) => return Ok(()),
                Ok(Err(err)) => match classify(&err) {
                    Verdict::Gone => return Err(PushError::Gone(connection_id.to_owned())),
                    Verdict::Retry(reason) => reason,
                    Verdict::Fail(reason) => {
                        warn!(connection_id, attempt, reason = %reason, "push to connection failed");
                        return Err(failed(reason));
                    }
                },
                Err(_) => {
                    let reason = format!(
                        "no answer from the @connections endpoint within {} ms; not retried: \
                         the message may have arrived",
                        wait.as_millis()
                    );
                    warn!(connection_id, attempt, reason = %reason, "push to connection failed");
                    return Err(failed(reason));
                }
            };
            let pause = self.retry.pause(attempt);
            if Instant::now() + pause >= deadline {
                let reason = format!(
                    "{reason}; gave up after {attempt} attempt(s): no time left to retry; the \
                     message was not delivered"
                );
                warn!(connection_id, attempt, reason = %reason, "push to connection failed");
                return Err(failed(reason));
            }
            debug!(connection_id, attempt, pause_ms = pause.as_millis() as u64, reason = %reason, "push refused; retrying");
            tokio::time::sleep(pause).await;
        }
    }
}

#[async_trait]
impl Pusher for ApiGatewayPusher {
    async fn push(&self, connection_id: &str, data: Bytes) -> Result<(), PushError> {
        self.push_before(connection_id, data, Instant::now() + self.retry.budget)
            .await
    }
}
