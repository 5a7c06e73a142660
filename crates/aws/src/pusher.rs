//! Pushing to sockets through API Gateway's `@connections` API (`PostToConnection`).

use async_trait::async_trait;
use aws_sdk_apigatewaymanagement::error::{DisplayErrorContext, ProvideErrorMetadata};
use aws_sdk_apigatewaymanagement::primitives::Blob;
use aws_sdk_apigatewaymanagement::{config, Client};
use bytes::Bytes;
use tracing::warn;
use wsproxy_core::{PushError, Pusher};

/// A [`Pusher`] on the `@connections` API of an API Gateway WebSocket stage, or of the local
/// gateway (which implements the same API).
#[derive(Debug, Clone)]
pub struct ApiGatewayPusher {
    client: Client,
}

impl ApiGatewayPusher {
    /// A pusher through `client`, whose endpoint must be the stage's `@connections` base URL.
    pub fn new(client: Client) -> Self {
        Self { client }
    }

    /// A pusher on `endpoint`, e.g. `https://{api_id}.execute-api.{region}.amazonaws.com/{stage}`
    /// or `http://127.0.0.1:8080/dev`, with region, credentials and retries from the
    /// environment (`aws_config` defaults).
    pub async fn from_endpoint(endpoint: &str) -> Self {
        let shared = aws_config::load_from_env().await;
        let conf = config::Builder::from(&shared)
            .endpoint_url(endpoint.trim_end_matches('/'))
            .build();
        Self::new(Client::from_conf(conf))
    }
}

#[async_trait]
impl Pusher for ApiGatewayPusher {
    async fn push(&self, connection_id: &str, data: Bytes) -> Result<(), PushError> {
        let err = match self
            .client
            .post_to_connection()
            .connection_id(connection_id)
            .data(Blob::new(data))
            .send()
            .await
        {
            Ok(_) => return Ok(()),
            Err(err) => err,
        };
        if err
            .as_service_error()
            .is_some_and(|e| e.is_gone_exception())
        {
            return Err(PushError::Gone(connection_id.to_owned()));
        }
        let reason = DisplayErrorContext(&err).to_string();
        warn!(
            connection_id,
            code = err.code().unwrap_or("none"),
            reason = %reason,
            "push to connection failed"
        );
        Err(PushError::Failed {
            connection_id: connection_id.to_owned(),
            reason,
        })
    }
}
