//! The one way wsproxy loads the AWS SDK's configuration.

/// The SDK configuration, loaded as the AWS SDKs load it (`AWS_REGION`, `AWS_ENDPOINT_URL`,
/// the per-service `AWS_ENDPOINT_URL_*`, the credentials chain), with `region` (e.g. a
/// Terraform provider's) in place of the environment's when given.
pub async fn sdk_config(region: Option<&str>) -> aws_config::SdkConfig {
    let mut loader = aws_config::defaults(aws_config::BehaviorVersion::latest());
    if let Some(region) = region {
        loader = loader.region(aws_config::Region::new(region.to_owned()));
    }
    loader.load().await
}
