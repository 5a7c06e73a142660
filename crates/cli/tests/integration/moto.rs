//! What the CLI tests that talk to moto share: its endpoint, unique names and SDK clients
//! (from `wsproxy-test-support`), and functions made there.
//!
//! moto creates Zip functions without docker, but only with an IAM role that exists in its
//! IAM; [`create_role`] makes one with a plain CreateRole request (moto checks no signature).

use aws_sdk_lambda::primitives::Blob;
use aws_sdk_lambda::types::{Architecture, FunctionCode, Runtime};
use std::path::Path;

pub(crate) use wsproxy_test_support::moto::{dynamodb, endpoint, unique_name};

/// A Lambda client on moto.
pub(crate) async fn lambda() -> aws_sdk_lambda::Client {
    aws_sdk_lambda::Client::new(&wsproxy_test_support::moto::sdk_config().await)
}

/// CreateRole on moto's IAM; returns the role's ARN.
pub(crate) async fn create_role(name: &str) -> String {
    let policy = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;
    let answer = reqwest::Client::new()
        .post(format!("{}/", endpoint()))
        // moto routes an unsigned-looking request by the credential scope's service.
        .header(
            "authorization",
            "AWS4-HMAC-SHA256 Credential=testing/20240101/us-east-1/iam/aws4_request, SignedHeaders=host, Signature=0",
        )
        .form(&[
            ("Action", "CreateRole"),
            ("Version", "2010-05-08"),
            ("RoleName", name),
            ("AssumeRolePolicyDocument", policy),
        ])
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    answer
        .split_once("<Arn>")
        .and_then(|(_, rest)| rest.split_once("</Arn>"))
        .map(|(arn, _)| arn.to_owned())
        .unwrap_or_else(|| panic!("no role ARN in moto's answer: {answer}"))
}

/// Creates the Zip function `name` with `zip` as its code.
pub(crate) async fn create_function(name: &str, zip: &Path, runtime: Runtime, arch: Architecture) {
    let role = create_role(name).await;
    lambda()
        .await
        .create_function()
        .function_name(name)
        .role(role)
        .runtime(runtime)
        .handler("bootstrap")
        .architectures(arch)
        .code(
            FunctionCode::builder()
                .zip_file(Blob::new(std::fs::read(zip).unwrap()))
                .build(),
        )
        .send()
        .await
        .unwrap();
}
