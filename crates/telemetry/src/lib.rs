//! Log setup shared by wsproxy's hosts (the `wsproxy` binary and the Lambda `bootstrap`).
//!
//! Lines are text or JSON (one object a line, as CloudWatch Logs Insights queries them),
//! filtered by `RUST_LOG` (default `info`), and warnings and errors are rate-limited per
//! call site ([`RateLimit`], with a count of what it dropped) so that one hostile client cannot flood the log.

mod rate_limit;

pub use rate_limit::RateLimit;

use tracing_subscriber::layer::SubscriberExt as _;
use tracing_subscriber::util::SubscriberInitExt as _;
use tracing_subscriber::{fmt, EnvFilter, Layer as _};

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Human-readable lines with a timestamp.
    Text,
    /// One JSON object a line, with the event's fields and the current span's.
    Json,
    /// JSON lines without a timestamp, for AWS Lambda (CloudWatch adds its own).
    LambdaJson,
}

/// The filter of `RUST_LOG`, or `default` when it is unset or invalid.
pub fn env_filter(default: &str) -> EnvFilter {
    EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default))
}

/// Installs the global subscriber: stderr (stdout for [`Format::LambdaJson`], where Lambda
/// collects it), `filter`, and the default [`RateLimit`] on warnings and errors.
pub fn init(format: Format, filter: EnvFilter) {
    let limit = RateLimit::default();
    limit.spawn_reporter();
    let registry = tracing_subscriber::registry();
    match format {
        Format::Text => registry
            .with(
                fmt::layer()
                    .with_writer(std::io::stderr)
                    .with_filter(filter)
                    .with_filter(limit),
            )
            .init(),
        Format::Json => registry
            .with(
                fmt::layer()
                    .json()
                    .flatten_event(true)
                    .with_writer(std::io::stderr)
                    .with_filter(filter)
                    .with_filter(limit),
            )
            .init(),
        Format::LambdaJson => registry
            .with(
                fmt::layer()
                    .json()
                    .flatten_event(true)
                    .with_current_span(true)
                    .with_span_list(false)
                    .with_ansi(false)
                    .without_time()
                    .with_filter(filter)
                    .with_filter(limit),
            )
            .init(),
    }
}
