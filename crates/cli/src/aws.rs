//! AWS clients from the standard environment (`AWS_REGION`, `AWS_ENDPOINT_URL`,
//! `AWS_ENDPOINT_URL_DYNAMODB`, `AWS_ENDPOINT_URL_LAMBDA`, the credentials chain).

/// A DynamoDB client configured as the AWS SDKs configure themselves.
pub async fn dynamodb_client() -> aws_sdk_dynamodb::Client {
    aws_sdk_dynamodb::Client::new(&sdk_config_in(None).await)
}

/// A Lambda client configured as the AWS SDKs configure themselves.
pub async fn lambda_client() -> aws_sdk_lambda::Client {
    aws_sdk_lambda::Client::new(&sdk_config_in(None).await)
}

/// The SDK configuration, loaded as the AWS SDKs load it, with `region` (e.g. a Terraform
/// provider's) in place of the environment's when given.
pub async fn sdk_config_in(region: Option<&str>) -> aws_config::SdkConfig {
    let mut loader = aws_config::defaults(aws_config::BehaviorVersion::latest());
    if let Some(region) = region {
        loader = loader.region(aws_config::Region::new(region.to_owned()));
    }
    loader.load().await
}
