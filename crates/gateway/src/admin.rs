//! The admin listener (`wsproxy serve --admin-listen ADDR`): `GET /metrics` in Prometheus
//! text format, every metric of [`wsproxy_core::metrics::ALL`] prefixed `wsproxy_`. It is
//! a separate listener so that the clients' port never shows it. It is served by the
//! gateway's accept loop with [`ConnectionLimits::admin`]'s limits: a header read timeout,
//! a small header limit and a cap on connections, so silent connections to it are closed
//! and cannot use up the process's descriptors.

use crate::ConnectionLimits;
use axum::routing::get;
use axum::Router;
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use metrics_util::layers::{Layer as _, PrefixLayer};
use std::sync::OnceLock;
use tokio::net::TcpListener;
use wsproxy_core::metrics::{Kind, ALL};

static HANDLE: OnceLock<Result<PrometheusHandle, String>> = OnceLock::new();

/// Why the admin listener cannot serve metrics.
#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    /// Another metrics recorder was installed in this process first.
    #[error("cannot serve /metrics: {0}")]
    Recorder(String),
    /// The limits it was given cannot be used.
    #[error("the admin listener's limits: {0}")]
    Limits(String),
    /// The listener failed.
    #[error("the admin listener failed: {0}")]
    Serve(#[from] std::io::Error),
}

/// Installs the Prometheus recorder as the process's metrics recorder (once; later calls
/// return the same handle) and describes every metric of the list.
pub fn install_prometheus() -> Result<PrometheusHandle, AdminError> {
    HANDLE
        .get_or_init(|| {
            let recorder = PrometheusBuilder::new().build_recorder();
            let handle = recorder.handle();
            metrics::set_global_recorder(PrefixLayer::new("wsproxy").layer(recorder))
                .map_err(|e| e.to_string())?;
            for m in ALL {
                let name = m.name;
                let unit = match m.unit {
                    wsproxy_core::metrics::Unit::Count => metrics::Unit::Count,
                    wsproxy_core::metrics::Unit::Milliseconds => metrics::Unit::Milliseconds,
                    wsproxy_core::metrics::Unit::Bytes => metrics::Unit::Bytes,
                };
                match m.kind {
                    Kind::Counter => metrics::describe_counter!(name, unit, m.description),
                    Kind::Histogram => metrics::describe_histogram!(name, unit, m.description),
                    Kind::Gauge => metrics::describe_gauge!(name, unit, m.description),
                }
            }
            Ok(handle)
        })
        .clone()
        .map_err(AdminError::Recorder)
}

/// The admin routes: `GET /metrics`.
pub fn router(handle: PrometheusHandle) -> Router {
    Router::new().route(
        "/metrics",
        get(move || {
            let handle = handle.clone();
            async move {
                (
                    [("content-type", "text/plain; version=0.0.4")],
                    handle.render(),
                )
            }
        }),
    )
}

/// Serves the admin routes on `listener` under `limits` (see [`ConnectionLimits::admin`])
/// until the task is dropped.
pub async fn serve(
    listener: TcpListener,
    handle: PrometheusHandle,
    limits: &ConnectionLimits,
) -> Result<(), AdminError> {
    limits.validate().map_err(AdminError::Limits)?;
    crate::accept::serve(
        listener,
        router(handle),
        limits,
        None,
        std::future::pending(),
    )
    .await;
    Ok(())
}
