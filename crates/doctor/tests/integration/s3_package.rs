//! `doctor`'s check of a package taken from S3 (the module's lambda_s3_* inputs) against
//! moto's S3 (`eval "$(scripts/moto.sh start)"`): the object uploaded by
//! `wsproxy package --upload` matches; a replaced object, a wrong version and a missing one
//! fail with the command that fixes them.

use aws_sdk_s3::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_s3::types::{BucketVersioningStatus, VersioningConfiguration};
use std::time::Duration;
use wsproxy_aws::{upload_package, S3Location};
use wsproxy_doctor::checks::{self, AwsClients, Options};
use wsproxy_doctor::{Environment, Finding, Status};

fn endpoint() -> String {
    std::env::var("AWS_ENDPOINT_URL")
        .ok()
        .filter(|s| !s.is_empty())
        .expect("these tests need moto: `scripts/moto.sh install && eval \"$(scripts/moto.sh start)\"` (sets AWS_ENDPOINT_URL)")
}

fn clients() -> AwsClients {
    let credentials = Credentials::new("test", "test", None, None, "moto");
    let region = Region::new("us-east-1");
    let s3 = aws_sdk_s3::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(region.clone())
        .credentials_provider(credentials.clone())
        .endpoint_url(endpoint())
        .force_path_style(true)
        .build();
    let lambda = aws_sdk_lambda::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(region.clone())
        .credentials_provider(credentials.clone())
        .endpoint_url(endpoint())
        .build();
    let dynamodb = aws_sdk_dynamodb::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(region)
        .credentials_provider(credentials)
        .endpoint_url(endpoint())
        .build();
    AwsClients {
        lambda: aws_sdk_lambda::Client::from_conf(lambda),
        dynamodb: aws_sdk_dynamodb::Client::from_conf(dynamodb),
        s3: aws_sdk_s3::Client::from_conf(s3),
        region: "us-east-1".into(),
    }
}

/// The `package.s3` finding of doctor on an environment whose module takes the package from
/// `bucket`/`key` with the optional version and hash.
async fn finding(bucket: &str, key: &str, version: Option<&str>, hash: Option<&str>) -> Finding {
    let dir = tempfile::tempdir().unwrap();
    let optional = |name: &str, value: Option<&str>| {
        value
            .map(|v| format!("  {name} = \"{v}\"\n"))
            .unwrap_or_default()
    };
    let main = format!(
        "provider \"aws\" {{\n  region = \"us-east-1\"\n}}\n\nmodule \"websocket_proxy\" {{\n  source = \"../modules/websocket_proxy\"\n  name = \"wsproxy-s3\"\n  backend_url = \"http://127.0.0.1:9\"\n  lambda_s3_bucket = \"{bucket}\"\n  lambda_s3_key = \"{key}\"\n{}{}}}\n",
        optional("lambda_s3_object_version", version),
        optional("lambda_s3_source_code_hash", hash),
    );
    std::fs::write(dir.path().join("main.tf"), main).unwrap();
    let options = Options {
        sources: None,
        aws: Ok(clients()),
        backend_timeout: Duration::from_secs(1),
    };
    let report = checks::run("s3", Environment::load(dir.path(), &[]), &options).await;
    report
        .finding("package.s3")
        .cloned()
        .unwrap_or_else(|| panic!("no package.s3 finding:\n{}", report.to_text()))
}

async fn versioned_bucket() -> (String, aws_sdk_s3::Client) {
    let s3 = clients().s3;
    let bucket = format!("wsproxy-doctor-{}", fastrand::u32(..));
    s3.create_bucket().bucket(&bucket).send().await.unwrap();
    s3.put_bucket_versioning()
        .bucket(&bucket)
        .versioning_configuration(
            VersioningConfiguration::builder()
                .status(BucketVersioningStatus::Enabled)
                .build(),
        )
        .send()
        .await
        .unwrap();
    (bucket, s3)
}

#[tokio::test]
async fn the_uploaded_object_matches_and_a_replaced_or_missing_one_fails() {
    let (bucket, s3) = versioned_bucket().await;
    let location: S3Location = format!("s3://{bucket}/wsproxy/bootstrap.zip")
        .parse()
        .unwrap();
    let first = upload_package(&s3, &location, b"first".to_vec())
        .await
        .unwrap();
    let v1 = first.version_id.clone().unwrap();
    let key = "wsproxy/bootstrap.zip";

    let ok = finding(&bucket, key, Some(&v1), Some(&first.base64_sha256)).await;
    assert_eq!(ok.status, Status::Ok, "{ok:?}");

    // Someone uploads over it: the latest object is no longer the package the tfvars name.
    let second = upload_package(&s3, &location, b"second".to_vec())
        .await
        .unwrap();
    let replaced = finding(&bucket, key, None, Some(&first.base64_sha256)).await;
    assert_eq!(replaced.status, Status::Fail, "{replaced:?}");
    assert!(
        replaced.message.contains(&second.base64_sha256),
        "{}",
        replaced.message
    );
    assert!(replaced
        .fix
        .unwrap()
        .contains(&format!("wsproxy package --upload {location}")));
    // The pinned version still is.
    let pinned = finding(&bucket, key, Some(&v1), Some(&first.base64_sha256)).await;
    assert_eq!(pinned.status, Status::Ok, "{pinned:?}");

    // No hash in the tfvars: a warning that offers the object's.
    let no_hash = finding(&bucket, key, Some(&v1), None).await;
    assert_eq!(no_hash.status, Status::Warn, "{no_hash:?}");
    assert!(no_hash.fix.unwrap().contains(&first.base64_sha256));

    for (key, version) in [("wsproxy/none.zip", None), (key, Some("no-such-version"))] {
        let missing = finding(&bucket, key, version, Some(&first.base64_sha256)).await;
        assert_eq!(missing.status, Status::Fail, "{missing:?}");
        assert!(
            missing.message.contains("does not exist"),
            "{}",
            missing.message
        );
    }
}
