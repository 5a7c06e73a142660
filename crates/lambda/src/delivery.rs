//! Post-connect delivery (contract section 2). API Gateway opens the socket only after
//! `$connect` returns, so a push made inside it is refused (410). `$connect` therefore
//! invokes this function asynchronously with a delivery event, which pushes the
//! messages, retrying a 410 for about two seconds while the socket opens.
//!
//! A delivery event has no `requestContext`, so no client can forge one through API
//! Gateway: every event API Gateway sends carries one, and a client controls only its body.

use crate::pusher::EndpointPusher;
use aws_sdk_lambda::primitives::Blob;
use aws_sdk_lambda::types::InvocationType;
use bytes::Bytes;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::Duration;
use tokio::time::Instant;
use tracing::{error, info, warn};
use wsproxy_core::metrics::POST_CONNECT_DELIVERIES;
use wsproxy_core::{PushError, Pusher};

/// The top-level key of a delivery event.
pub(crate) const KEY: &str = "wsproxy_deliver";

/// How long a 410 is retried while the socket opens.
const OPEN_WAIT: Duration = Duration::from_secs(2);

/// Messages for a socket that has just opened.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Delivery {
    /// The new connection.
    pub connection_id: String,
    /// The `@connections` endpoint the `$connect` event implied.
    pub endpoint: Option<String>,
    /// The messages, in order.
    pub messages: Vec<Value>,
    /// The request id of the `$connect` that scheduled it, so its log lines carry it too.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
}

impl Delivery {
    /// A delivery event, if `payload` is one (and not an API Gateway event).
    pub fn recognise(payload: &Value) -> Option<Self> {
        if payload.get("requestContext").is_some() {
            return None;
        }
        serde_json::from_value(payload.get(KEY)?.clone()).ok()
    }

    /// The invocation payload.
    pub fn to_event(&self) -> Value {
        json!({ KEY: self })
    }
}

/// Post-connect delivery: what scheduling it needs (this function, through the Lambda
/// client) and pushing it needs (the `@connections` pusher).
pub(crate) struct PostConnect {
    lambda: aws_sdk_lambda::Client,
    /// `AWS_LAMBDA_FUNCTION_NAME`: the function to invoke, this one.
    function_name: Option<String>,
    pusher: Arc<EndpointPusher>,
}

impl std::fmt::Debug for PostConnect {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PostConnect")
            .field("function_name", &self.function_name)
            .finish_non_exhaustive()
    }
}

impl PostConnect {
    /// Deliveries invoking `function_name` through `lambda`, pushed through `pusher`.
    pub(crate) fn new(
        lambda: aws_sdk_lambda::Client,
        function_name: Option<String>,
        pusher: Arc<EndpointPusher>,
    ) -> Self {
        Self {
            lambda,
            function_name,
            pusher,
        }
    }

    /// Invokes this function asynchronously with the post-connect messages.
    pub(crate) async fn schedule(&self, connection_id: &str, messages: Vec<Value>) {
        let Some(function) = self.function_name.as_deref() else {
            error!(
                "AWS_LAMBDA_FUNCTION_NAME is not set, so post-connect messages cannot be delivered"
            );
            return;
        };
        let delivery = Delivery {
            connection_id: connection_id.to_owned(),
            endpoint: self.pusher.endpoint().map(str::to_owned),
            messages,
            request_id: Some(wsproxy_core::RequestContext::current_id())
                .filter(|id| !id.is_empty()),
        };
        let sent = self
            .lambda
            .invoke()
            .function_name(function)
            .invocation_type(InvocationType::Event)
            .payload(Blob::new(delivery.to_event().to_string()))
            .send()
            .await;
        if let Err(e) = sent {
            error!(
                error = %aws_sdk_lambda::error::DisplayErrorContext(&e),
                "could not invoke this function for post-connect delivery; check lambda:InvokeFunction on itself"
            );
        }
    }

    /// Pushes a delivery's messages, waiting for the socket to open.
    pub(crate) async fn deliver(&self, delivery: Delivery) -> Value {
        if let Some(endpoint) = &delivery.endpoint {
            self.pusher.ensure_endpoint(endpoint);
        }
        let deadline = Instant::now() + OPEN_WAIT;
        let mut delivered = 0;
        for message in delivery.messages {
            let data = Bytes::from(message.to_string());
            let mut pause = Duration::from_millis(25);
            loop {
                match self
                    .pusher
                    .push(&delivery.connection_id, data.clone())
                    .await
                {
                    Ok(()) => {
                        delivered += 1;
                        metrics::counter!(POST_CONNECT_DELIVERIES.name, "outcome" => "delivered")
                            .increment(1);
                        break;
                    }
                    Err(PushError::Gone(_)) if Instant::now() + pause < deadline => {
                        tokio::time::sleep(pause).await;
                        pause = (pause * 2).min(Duration::from_millis(400));
                    }
                    Err(e) => {
                        metrics::counter!(POST_CONNECT_DELIVERIES.name, "outcome" => "failed")
                            .increment(1);
                        warn!(error = %e, "post-connect message not delivered");
                        return json!({"delivered": delivered, "error": e.to_string()});
                    }
                }
            }
        }
        info!(delivered, "post-connect messages delivered");
        json!({"delivered": delivered})
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_top_level_delivery_events_are_recognised() {
        let d = Delivery {
            connection_id: "c1".into(),
            endpoint: None,
            messages: vec![json!({"a": 1})],
            request_id: Some("Fx=".into()),
        };
        assert_eq!(Delivery::recognise(&d.to_event()), Some(d.clone()));
        let forged = json!({"requestContext": {"routeKey": "$default"}, "body": d.to_event().to_string(), KEY: d});
        assert_eq!(Delivery::recognise(&forged), None);
        assert_eq!(Delivery::recognise(&json!({"other": 1})), None);
    }
}
