//! wsproxy on AWS: the connection registry on DynamoDB ([`DynamoDbRegistry`]), the table's
//! administration ([`create_table`], [`check_table`]), the pusher on API Gateway's
//! `@connections` API ([`ApiGatewayPusher`]) and the Lambda function's code
//! ([`find_function`], [`update_function_code`]: `wsproxy deploy`, Option 2).
//!
//! The table (contract section 5): partition key `booking_id`, sort key `connection_id`,
//! on-demand billing, time to live on `ttl`, and the global secondary index
//! [`CONNECTION_INDEX`] on `connection_id` so that a connection's items are found by a
//! Query, never a Scan.
//!
//! Clients come from the caller. Built from [`sdk_config`] (the `aws_config` defaults, the
//! one loader wsproxy uses) they honour `AWS_REGION`,
//! `AWS_ENDPOINT_URL`, the per-service `AWS_ENDPOINT_URL_DYNAMODB` and
//! `AWS_ENDPOINT_URL_LAMBDA`, and the credentials chain. Retries are chosen on purpose:
//! [`DynamoDbRetry`] for the registry's client ([`dynamodb_client`]), [`PushRetry`] for the
//! pusher (which turns the SDK's own retries off so that no message arrives twice).

mod dynamodb_retry;
mod error;
mod function;
mod in_flight;
mod item_codec;
mod push_retry;
mod pusher;
mod registry;
mod report;
mod requests;
mod s3_package;
mod sdk_config;
mod table;

pub use dynamodb_retry::{dynamodb_client, DynamoDbRetry};
pub use error::{FunctionError, TableError};
pub use function::{
    find_function, update_function_code, CodeUpdate, FunctionInfo, BOOTSTRAP_ARCHITECTURE,
    BOOTSTRAP_RUNTIME, MAX_INLINE_ZIP,
};
pub use in_flight::InFlight;
pub use push_retry::PushRetry;
pub use pusher::ApiGatewayPusher;
pub use registry::DynamoDbRegistry;
pub use report::{IndexState, TableReport, TtlState};
pub use requests::{Request, RequestLog};
pub use s3_package::{
    package_object_sha256, upload_package, S3Location, S3PackageError, UploadedPackage,
};
pub use sdk_config::sdk_config;
pub use table::{check_table, create_table, TableOutcome};

/// The global secondary index on `connection_id` (projection ALL).
pub const CONNECTION_INDEX: &str = "connection_id-index";
