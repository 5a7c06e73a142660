//! Turning AWS SDK errors into the crate's errors, without ever carrying a token.

use aws_sdk_dynamodb::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use std::error::Error as StdError;
use wsproxy_core::RegistryError;

/// What went wrong in [`crate::create_table`] or [`crate::check_table`], and what to do.
#[derive(Debug, thiserror::Error)]
pub enum TableError {
    /// DynamoDB answered with an error or could not be reached.
    #[error("DynamoDB {operation} on table '{table}' failed: {detail}; check the credentials, AWS_REGION and AWS_ENDPOINT_URL")]
    Aws {
        /// The DynamoDB operation, e.g. `CreateTable`.
        operation: &'static str,
        /// The table's name.
        table: String,
        /// The service error's code and message, or the transport's error.
        detail: String,
    },
    /// The table exists with another key than `booking_id` (HASH) + `connection_id` (RANGE).
    #[error("table '{table}' exists with key {found}, not booking_id (HASH) + connection_id (RANGE): wsproxy cannot use it; choose another name with --table or CONNECTIONS_TABLE")]
    WrongKeySchema {
        /// The table's name.
        table: String,
        /// The key schema found, e.g. `id (HASH)`.
        found: String,
    },
    /// An index named `connection_id-index` exists but is not keyed on `connection_id`.
    #[error("table '{table}' has an index 'connection_id-index' keyed on {found}, not connection_id (HASH): delete that index, then run `wsproxy table create --table {table}` again")]
    WrongIndex {
        /// The table's name.
        table: String,
        /// The index key schema found.
        found: String,
    },
    /// Time to live is enabled on another attribute than `ttl`.
    #[error("table '{table}' has time to live on attribute '{attribute}', but wsproxy items expire by 'ttl': disable it (aws dynamodb update-time-to-live --table-name {table} --time-to-live-specification Enabled=false,AttributeName={attribute}), then run `wsproxy table create --table {table}` again")]
    TtlOnOtherAttribute {
        /// The table's name.
        table: String,
        /// The attribute time to live is enabled on.
        attribute: String,
    },
    /// The table or its index did not become ACTIVE in time.
    #[error("{what} of table '{table}' is still {status} after {waited_secs} s: DynamoDB is still working on it; run `wsproxy table create --table {table}` again later")]
    NotActive {
        /// The table's name.
        table: String,
        /// `the table` or `index connection_id-index`.
        what: String,
        /// The last status seen, e.g. `CREATING`.
        status: String,
        /// How long we waited.
        waited_secs: u64,
    },
}

/// The error code of a failed call (`ResourceNotFoundException`, ...), if the service sent one.
pub(crate) fn code<E: ProvideErrorMetadata, R>(err: &SdkError<E, R>) -> Option<&str> {
    err.code()
}

/// The code, message and cause chain of a failed call, as one line.
///
/// The SDK's errors hold the service's answer, never the request, so no token or item value
/// is in it; `scrub` is removed anyway in case a service message quoted it.
pub(crate) fn describe<E, R>(err: &SdkError<E, R>, scrub: Option<&str>) -> String
where
    E: StdError + 'static,
    R: std::fmt::Debug,
{
    let text = DisplayErrorContext(err).to_string();
    match scrub {
        Some(secret) if !secret.is_empty() => text.replace(secret, "***"),
        _ => text,
    }
}

/// Maps a failed registry call: a missing table is [`RegistryError::TableMissing`], the
/// rest [`RegistryError::Unavailable`] naming the operation, the table and the service's error.
pub(crate) fn registry_error<E, R>(
    operation: &str,
    table: &str,
    err: &SdkError<E, R>,
    scrub: Option<&str>,
) -> RegistryError
where
    E: ProvideErrorMetadata + StdError + 'static,
    R: std::fmt::Debug,
{
    if code(err) == Some("ResourceNotFoundException") {
        return RegistryError::TableMissing {
            table: table.to_owned(),
        };
    }
    RegistryError::Unavailable(format!(
        "DynamoDB {operation} on table '{table}' failed: {}",
        describe(err, scrub)
    ))
}

/// Maps a failed table administration call.
pub(crate) fn table_error<E, R>(
    operation: &'static str,
    table: &str,
    err: &SdkError<E, R>,
) -> TableError
where
    E: StdError + 'static,
    R: std::fmt::Debug,
{
    TableError::Aws {
        operation,
        table: table.to_owned(),
        detail: describe(err, None),
    }
}
