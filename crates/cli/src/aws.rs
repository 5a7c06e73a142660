//! AWS clients from the standard environment (`AWS_REGION`, `AWS_ENDPOINT_URL_DYNAMODB`, ...).

/// A DynamoDB client configured as the AWS SDKs configure themselves.
pub async fn dynamodb_client() -> aws_sdk_dynamodb::Client {
    let sdk = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
    aws_sdk_dynamodb::Client::new(&sdk)
}
