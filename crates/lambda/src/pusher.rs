//! The `@connections` pusher, whose endpoint is known at init (`API_GATEWAY_ENDPOINT`) or
//! from the first event (`https://{domainName}/{stage}`).

use async_trait::async_trait;
use bytes::Bytes;
use std::sync::OnceLock;
use wsproxy_aws::ApiGatewayPusher;
use wsproxy_core::{PushError, Pusher};

/// Pushes through API Gateway once its endpoint is known.
pub struct EndpointPusher {
    sdk: aws_config::SdkConfig,
    inner: OnceLock<(String, ApiGatewayPusher)>,
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
            let config = aws_sdk_apigatewaymanagement::config::Builder::from(&self.sdk)
                .endpoint_url(endpoint)
                .build();
            let client = aws_sdk_apigatewaymanagement::Client::from_conf(config);
            (endpoint.to_owned(), ApiGatewayPusher::new(client))
        });
    }

    /// The endpoint in use, if known.
    pub fn endpoint(&self) -> Option<&str> {
        self.inner.get().map(|(e, _)| e.as_str())
    }
}

#[async_trait]
impl Pusher for EndpointPusher {
    async fn push(&self, connection_id: &str, data: Bytes) -> Result<(), PushError> {
        match self.inner.get() {
            Some((_, pusher)) => pusher.push(connection_id, data).await,
            None => Err(PushError::Failed {
                connection_id: connection_id.to_owned(),
                reason: "no @connections endpoint: set API_GATEWAY_ENDPOINT".into(),
            }),
        }
    }
}
