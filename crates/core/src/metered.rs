//! The backend and registry ports with their latency and errors recorded
//! ([`crate::metrics`]); [`crate::Proxy`] wraps the ports it is given in them.

use crate::metrics::{
    ms_since, BACKEND_ERRORS, BACKEND_LATENCY, REGISTRY_ERRORS, REGISTRY_LATENCY,
};
use crate::{Backend, BackendError, ConnectionItem, Registry, RegistryError};
use async_trait::async_trait;
use serde_json::Value;
use std::sync::Arc;
use std::time::Instant;

/// A backend whose calls are timed and whose failures are counted by kind.
pub(crate) struct MeteredBackend(pub Arc<dyn Backend>);

#[async_trait]
impl Backend for MeteredBackend {
    async fn post(&self, path: &str, body: &Value) -> Result<Value, BackendError> {
        let start = Instant::now();
        let result = self.0.post(path, body).await;
        metrics::histogram!(BACKEND_LATENCY.name).record(ms_since(start));
        if let Err(e) = &result {
            let kind = match e {
                BackendError::Unreachable { .. } => "refused",
                BackendError::Timeout { .. } => "timeout",
                BackendError::TooLarge { .. } => "too_large",
                BackendError::Status { .. } => "status",
            };
            metrics::counter!(BACKEND_ERRORS.name, "kind" => kind).increment(1);
        }
        result
    }
}

/// A registry whose calls are timed and whose failures are counted by operation.
pub(crate) struct MeteredRegistry(pub Arc<dyn Registry>);

/// Records one registry call's duration and, if it failed, its error.
fn record<T>(operation: &'static str, start: Instant, result: &Result<T, RegistryError>) {
    metrics::histogram!(REGISTRY_LATENCY.name, "operation" => operation).record(ms_since(start));
    if result.is_err() {
        metrics::counter!(REGISTRY_ERRORS.name, "operation" => operation).increment(1);
    }
}

#[async_trait]
impl Registry for MeteredRegistry {
    async fn put(&self, item: &ConnectionItem) -> Result<(), RegistryError> {
        let start = Instant::now();
        let result = self.0.put(item).await;
        record("put", start, &result);
        result
    }

    async fn by_connection(
        &self,
        connection_id: &str,
    ) -> Result<Vec<ConnectionItem>, RegistryError> {
        let start = Instant::now();
        let result = self.0.by_connection(connection_id).await;
        record("by_connection", start, &result);
        result
    }

    async fn by_partition(&self, partition: &str) -> Result<Vec<ConnectionItem>, RegistryError> {
        let start = Instant::now();
        let result = self.0.by_partition(partition).await;
        record("by_partition", start, &result);
        result
    }

    async fn delete(&self, items: &[ConnectionItem]) -> Result<(), RegistryError> {
        let start = Instant::now();
        let result = self.0.delete(items).await;
        record("delete", start, &result);
        result
    }
}
