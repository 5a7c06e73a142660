//! The crate's errors, and turning AWS SDK errors into them without ever carrying a token.

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

/// What went wrong in [`crate::find_function`] or [`crate::update_function_code`], and
/// what to do. No message holds the package's bytes or any credential.
#[derive(Debug, thiserror::Error)]
pub enum FunctionError {
    /// Lambda answered with an error or could not be reached.
    #[error("Lambda {operation} on function '{function}' failed: {detail}; check the credentials (they must allow lambda:{operation}), AWS_REGION and AWS_ENDPOINT_URL")]
    Aws {
        /// The Lambda operation, e.g. `UpdateFunctionCode`.
        operation: &'static str,
        /// The function's name.
        function: String,
        /// The service error's code and message, or the transport's error.
        detail: String,
    },
    /// No function of that name in this account and region.
    #[error("function '{function}' does not exist in this account and AWS_REGION: `wsproxy deploy` only updates an existing function (Option 2); create it first (Terraform Option 1 creates it and uploads the zip), or check the name and AWS_REGION")]
    NotFound {
        /// The function's name.
        function: String,
    },
    /// The function is a container image function; a zip cannot be uploaded to it.
    #[error("function '{function}' is packaged as {package_type}, not Zip: bootstrap.zip can only be uploaded to a Zip function; create one with runtime provided.al2023 and architecture x86_64 (Terraform Option 1) and deploy to it")]
    NotZip {
        /// The function's name.
        function: String,
        /// The package type found, e.g. `Image`.
        package_type: String,
    },
    /// The function does not run on x86_64, the only architecture of the package.
    #[error("function '{function}' runs on {found}, but bootstrap.zip holds an x86_64 executable that cannot run there: set the function's architecture to x86_64 (Terraform: architectures = [\"x86_64\"]), then deploy again")]
    WrongArchitecture {
        /// The function's name.
        function: String,
        /// The architectures found, e.g. `arm64`.
        found: String,
    },
    /// The function's runtime is not an OS-only runtime, so Lambda would not run `bootstrap`.
    #[error("function '{function}' has runtime {found}, but wsproxy's bootstrap.zip is built for provided.al2023 (glibc 2.34; provided.al2 has glibc 2.26 and cannot start it): set it with `aws lambda update-function-configuration --function-name {function} --runtime provided.al2023 --handler bootstrap`, then deploy again")]
    WrongRuntime {
        /// The function's name.
        function: String,
        /// The runtime found, or `none`.
        found: String,
    },
    /// The zip is larger than UpdateFunctionCode accepts inline.
    #[error("the package is {size} bytes, more than the {limit} bytes Lambda accepts in UpdateFunctionCode for function '{function}': build it with `wsproxy package` (release, stripped), or upload it through S3 with Terraform")]
    TooLarge {
        /// The function's name.
        function: String,
        /// The zip's size.
        size: usize,
        /// The limit.
        limit: usize,
    },
    /// Lambda finished the update with LastUpdateStatus `Failed`.
    #[error("Lambda could not apply the new code to function '{function}' (LastUpdateStatus Failed): {reason}; fix the cause, then deploy again")]
    UpdateFailed {
        /// The function's name.
        function: String,
        /// LastUpdateStatusReason and its code, as Lambda gave them.
        reason: String,
    },
    /// An update (ours, or an earlier one) was still not finished when the wait ended.
    #[error("{what} of function '{function}' is still {status} after {waited_secs} s: Lambda is still working on it; watch LastUpdateStatus with `aws lambda get-function-configuration --function-name {function}`, then deploy again (or wait longer: --wait-secs)")]
    NotReady {
        /// The function's name.
        function: String,
        /// `the update` or `an earlier update`.
        what: &'static str,
        /// The last status seen, e.g. `InProgress`.
        status: String,
        /// How long we waited.
        waited_secs: u64,
    },
    /// Lambda kept refusing the update because another change of the function was running.
    #[error("function '{function}' kept refusing new code for {waited_secs} s because another change of it is in progress (ResourceConflictException): wait until that change is done, then deploy again (or wait longer: --wait-secs)")]
    Busy {
        /// The function's name.
        function: String,
        /// How long we retried.
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

/// DynamoDB's answers to too many requests (the SDK retries them as throttling).
const THROTTLING: &[&str] = &[
    "ProvisionedThroughputExceededException",
    "ThrottlingException",
    "RequestLimitExceeded",
];

/// Maps a failed registry call: a missing table is [`RegistryError::TableMissing`] (its fix
/// the `wsproxy table create` command), the rest [`RegistryError::Unavailable`] naming the
/// operation, the table and the service's error; throttling says that the client's
/// `attempts` (when known) are spent and what to do.
pub(crate) fn registry_error<E, R>(
    operation: &str,
    table: &str,
    err: &SdkError<E, R>,
    scrub: Option<&str>,
    attempts: Option<u32>,
) -> RegistryError
where
    E: ProvideErrorMetadata + StdError + 'static,
    R: std::fmt::Debug,
{
    match code(err) {
        Some("ResourceNotFoundException") => {
            return RegistryError::TableMissing {
                table: table.to_owned(),
                fix: format!("create it with `wsproxy table create --table {table}`"),
            }
        }
        Some(throttled) if THROTTLING.contains(&throttled) => {
            let attempts = attempts.map_or("the client's retries".to_owned(), |n| {
                format!("up to {n} attempts with backoff")
            });
            return RegistryError::Unavailable(format!(
                "DynamoDB throttled {operation} on table '{table}' ({throttled}) and the \
                 retries are spent ({attempts}): the table's throughput or the account's \
                 request rate is exhausted; try again shortly, and if it persists raise the \
                 table's capacity or switch it to on-demand"
            ));
        }
        _ => {}
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
