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

/// The AWS SDK's crates, as target prefixes (`aws_smithy` covers every `aws_smithy_*`).
const AWS_SDK_TARGETS: [&str; 4] = ["aws_config", "aws_runtime", "aws_sdk", "aws_smithy"];

/// [`env_filter`] with the AWS SDK's own crates at `error` unless `RUST_LOG` names one of
/// them: their warnings (a many-line IMDS error when no credentials are set) are not a
/// command-line user's business. `RUST_LOG=info,aws_config=debug` shows them.
pub fn env_filter_quiet_sdk(default: &str) -> EnvFilter {
    let rust_log = std::env::var("RUST_LOG").ok();
    EnvFilter::try_new(quiet_sdk_directives(rust_log.as_deref(), default))
        .unwrap_or_else(|_| EnvFilter::new(quiet_sdk_directives(None, default)))
}

/// `RUST_LOG` (or `default` when unset or blank) and `TARGET=error` for each SDK target it
/// does not name.
fn quiet_sdk_directives(rust_log: Option<&str>, default: &str) -> String {
    let asked = rust_log.filter(|s| !s.trim().is_empty()).unwrap_or(default);
    let mut directives = asked.to_owned();
    for target in AWS_SDK_TARGETS.iter().filter(|t| !asked.contains(*t)) {
        directives.push_str(&format!(",{target}=error"));
    }
    directives
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sdk_stays_at_error_unless_rust_log_names_it() {
        let quiet = ",aws_config=error,aws_runtime=error,aws_sdk=error,aws_smithy=error";
        assert_eq!(quiet_sdk_directives(None, "info"), format!("info{quiet}"));
        assert_eq!(
            quiet_sdk_directives(Some(" "), "info"),
            format!("info{quiet}")
        );
        assert_eq!(
            quiet_sdk_directives(Some("debug"), "info"),
            format!("debug{quiet}")
        );
        assert_eq!(
            quiet_sdk_directives(
                Some("info,aws_config=debug,aws_smithy_runtime=trace"),
                "info"
            ),
            "info,aws_config=debug,aws_smithy_runtime=trace,aws_runtime=error,aws_sdk=error"
        );
    }

    #[test]
    fn an_sdk_warning_is_dropped_and_an_error_kept() {
        use tracing_subscriber::layer::SubscriberExt as _;
        let filter = EnvFilter::new(quiet_sdk_directives(None, "info"));
        let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::<u8>::new()));
        let writer = seen.clone();
        let subscriber = tracing_subscriber::registry().with(
            fmt::layer()
                .with_ansi(false)
                .with_writer(move || Writer(writer.clone()))
                .with_filter(filter),
        );
        tracing::subscriber::with_default(subscriber, || {
            tracing::warn!(target: "aws_config::meta::credentials::chain", "imds dump");
            tracing::warn!(target: "aws_smithy_runtime::client", "smithy dump");
            tracing::error!(target: "aws_sdk_dynamodb::client", "sdk error");
            tracing::info!(target: "wsproxy_aws::table", "created");
        });
        let text = String::from_utf8(seen.lock().unwrap().clone()).unwrap();
        assert!(!text.contains("dump"), "{text}");
        assert!(
            text.contains("sdk error") && text.contains("created"),
            "{text}"
        );
    }

    /// Collects what the layer writes.
    struct Writer(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

    impl std::io::Write for Writer {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
}
