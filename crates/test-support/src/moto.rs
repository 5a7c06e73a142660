//! moto, the local AWS the tests use (`eval "$(scripts/moto.sh start)"`, which
//! `scripts/test.sh` does): its endpoints, SDK clients on it, and names no other test uses.

use std::sync::atomic::{AtomicU32, Ordering};

const HOW: &str = "run scripts/test.sh, or `eval \"$(scripts/moto.sh start)\"` first \
                   (it sets AWS_ENDPOINT_URL and test credentials)";

/// moto's endpoint for every service (`AWS_ENDPOINT_URL`); panics saying how to start it.
pub fn endpoint() -> String {
    std::env::var("AWS_ENDPOINT_URL")
        .ok()
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| panic!("these tests need moto's server: {HOW}"))
}

/// The DynamoDB endpoint: `AWS_ENDPOINT_URL_DYNAMODB`, else `AWS_ENDPOINT_URL`; panics
/// saying how to start one.
pub fn dynamodb_endpoint() -> String {
    ["AWS_ENDPOINT_URL_DYNAMODB", "AWS_ENDPOINT_URL"]
        .iter()
        .find_map(|v| std::env::var(v).ok().filter(|s| !s.is_empty()))
        .unwrap_or_else(|| panic!("these tests need a DynamoDB-compatible server: {HOW}"))
}

/// A name no other test, process or earlier run against the same server uses:
/// `{prefix}-{pid}-{nanos since the epoch}-{n}`.
pub fn unique_name(prefix: &str) -> String {
    static N: AtomicU32 = AtomicU32::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("a clock after 1970")
        .as_nanos();
    format!(
        "{prefix}-{}-{nanos}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    )
}

/// The SDK's configuration from the environment (moto's endpoint and test credentials),
/// in us-east-1; panics when moto's endpoint is not set.
pub async fn sdk_config() -> aws_config::SdkConfig {
    endpoint();
    aws_config::defaults(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new("us-east-1"))
        .load()
        .await
}

/// A DynamoDB client on moto.
pub async fn dynamodb() -> aws_sdk_dynamodb::Client {
    aws_sdk_dynamodb::Client::new(&sdk_config().await)
}
