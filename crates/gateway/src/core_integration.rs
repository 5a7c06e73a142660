//! The in-process integration: routes run on [`wsproxy_core::Proxy`] directly.

use crate::event::{EventType, Integration, IntegrationResponse, RouteEvent};
use bytes::Bytes;
use wsproxy_core::metrics::HANDLER_DURATION;
use wsproxy_core::{Proxy, RequestContext, RouteResponse};

/// Runs every route on a [`Proxy`] in this process, as the Lambda would.
#[derive(Clone)]
pub struct CoreIntegration {
    proxy: Proxy,
}

impl CoreIntegration {
    /// An integration over `proxy` (whose pusher is normally the gateway's [`crate::Connections`]).
    pub fn new(proxy: Proxy) -> Self {
        Self { proxy }
    }
}

impl std::fmt::Debug for CoreIntegration {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CoreIntegration").finish_non_exhaustive()
    }
}

fn integration_response(response: RouteResponse) -> IntegrationResponse {
    IntegrationResponse::new(response.status, response.body)
}

#[async_trait::async_trait]
impl Integration for CoreIntegration {
    async fn handle(&self, event: RouteEvent) -> IntegrationResponse {
        let route = event.route_key.clone();
        let start = std::time::Instant::now();
        // A request id as API Gateway makes one (and as the Lambda mode's event carries).
        let response = RequestContext::new(crate::ids::new_event_request_id())
            .scope(self.route(event))
            .await;
        metrics::histogram!(HANDLER_DURATION.name, "route" => route)
            .record(start.elapsed().as_secs_f64() * 1000.0);
        response
    }
}

impl CoreIntegration {
    async fn route(&self, event: RouteEvent) -> IntegrationResponse {
        let id = event.connection_id.as_str();
        match event.event_type {
            EventType::Connect => {
                let outcome = self.proxy.connect(id, &event.query).await;
                let mut a = integration_response(outcome.response);
                a.after_open = outcome
                    .after_open
                    .iter()
                    .map(|v| Bytes::from(v.to_string()))
                    .collect();
                a
            }
            // The body as the Lambda would see it (base64 for binary frames).
            EventType::Message => integration_response(
                self.proxy
                    .message(id, event.body.as_deref().unwrap_or(""))
                    .await,
            ),
            EventType::Disconnect => integration_response(self.proxy.disconnect(id).await),
        }
    }
}
