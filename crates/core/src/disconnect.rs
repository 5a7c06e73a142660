//! `$disconnect`: forget every item of the connection.

use crate::{Proxy, RouteResponse};
use tracing::{info, instrument, warn};

impl Proxy {
    /// Handles `$disconnect`: removes every registry item of the connection.
    #[instrument(skip_all, fields(connection_id = %connection_id, request_id = %crate::RequestContext::current_id(), route = "$disconnect"))]
    pub async fn disconnect(&self, connection_id: &str) -> RouteResponse {
        match self.metered_registry.remove_connection(connection_id).await {
            Ok(removed) => {
                info!(removed, "disconnected");
                RouteResponse::ok("disconnected")
            }
            Err(e) => {
                warn!(error = %e, "could not remove the connection's items");
                RouteResponse::error(500, format!("could not remove the connection: {e}"))
            }
        }
    }
}
