//! AWS clients from the standard environment (`AWS_REGION`, `AWS_ENDPOINT_URL`,
//! `AWS_ENDPOINT_URL_DYNAMODB`, `AWS_ENDPOINT_URL_LAMBDA`, the credentials chain), loaded
//! by [`wsproxy_aws::sdk_config`].

/// A DynamoDB client configured as the AWS SDKs configure themselves.
pub(crate) async fn dynamodb_client() -> aws_sdk_dynamodb::Client {
    aws_sdk_dynamodb::Client::new(&wsproxy_aws::sdk_config(None).await)
}

/// A Lambda client configured as the AWS SDKs configure themselves.
pub(crate) async fn lambda_client() -> aws_sdk_lambda::Client {
    aws_sdk_lambda::Client::new(&wsproxy_aws::sdk_config(None).await)
}
