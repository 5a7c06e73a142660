//! Log setup: `RUST_LOG` filters (the AWS SDK quiet by default), text or JSON lines,
//! rate-limited warnings.

/// How log lines are written.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub(crate) enum Format {
    /// Human-readable lines.
    Text,
    /// One JSON object a line.
    Json,
}

/// Installs the global subscriber (stderr; `RUST_LOG` or `info`, the AWS SDK's own crates
/// at `error` unless `RUST_LOG` names them).
pub(crate) fn init(format: Format) {
    let format = match format {
        Format::Text => wsproxy_telemetry::Format::Text,
        Format::Json => wsproxy_telemetry::Format::Json,
    };
    wsproxy_telemetry::init(format, wsproxy_telemetry::env_filter_quiet_sdk("info"));
}
