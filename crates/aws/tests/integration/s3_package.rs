//! The function's package in S3 (`wsproxy package --upload`, `wsproxy doctor`) against moto's
//! S3: upload, version and hash to put in tfvars, the object read back by version, a missing
//! object, an unversioned bucket.

use aws_sdk_s3::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_s3::types::{BucketVersioningStatus, VersioningConfiguration};
use wsproxy_aws::{package_object_sha256, upload_package, S3Location, S3PackageError};
use wsproxy_test_support::moto::endpoint;

fn s3() -> aws_sdk_s3::Client {
    let config = aws_sdk_s3::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new("test", "test", None, None, "moto"))
        .endpoint_url(endpoint())
        // moto serves every bucket at one host: path-style addressing.
        .force_path_style(true)
        .build();
    aws_sdk_s3::Client::from_conf(config)
}

async fn bucket(client: &aws_sdk_s3::Client, what: &str, versioned: bool) -> String {
    let name = format!("wsproxy-{what}-{}", fastrand::u32(..));
    client.create_bucket().bucket(&name).send().await.unwrap();
    if versioned {
        client
            .put_bucket_versioning()
            .bucket(&name)
            .versioning_configuration(
                VersioningConfiguration::builder()
                    .status(BucketVersioningStatus::Enabled)
                    .build(),
            )
            .send()
            .await
            .unwrap();
    }
    name
}

#[tokio::test]
async fn an_upload_prints_its_version_and_hash_and_each_version_reads_back() {
    let client = s3();
    let bucket = bucket(&client, "versioned", true).await;
    let location: S3Location = format!("s3://{bucket}/wsproxy/bootstrap.zip")
        .parse()
        .unwrap();

    let first = upload_package(&client, &location, b"first package".to_vec())
        .await
        .unwrap();
    assert_eq!(
        first.base64_sha256,
        wsproxy_package::base64_sha256_of(b"first package")
    );
    let v1 = first
        .version_id
        .clone()
        .expect("a versioned bucket gives a version");
    let tfvars = first.tfvars();
    for line in [
        format!("lambda_s3_bucket           = \"{bucket}\""),
        "lambda_s3_key              = \"wsproxy/bootstrap.zip\"".to_owned(),
        format!("lambda_s3_object_version   = \"{v1}\""),
        format!("lambda_s3_source_code_hash = \"{}\"", first.base64_sha256),
    ] {
        assert!(tfvars.contains(&line), "{line:?} not in\n{tfvars}");
    }

    let second = upload_package(&client, &location, b"second package".to_vec())
        .await
        .unwrap();
    assert_ne!(second.version_id, first.version_id);
    // The pinned version still holds the first package; the latest is the second.
    assert_eq!(
        package_object_sha256(&client, &location, Some(&v1))
            .await
            .unwrap(),
        first.base64_sha256
    );
    assert_eq!(
        package_object_sha256(&client, &location, None)
            .await
            .unwrap(),
        second.base64_sha256
    );
}

#[tokio::test]
async fn a_missing_object_or_bucket_says_how_to_upload_it() {
    let client = s3();
    let bucket = bucket(&client, "missing", true).await;
    for url in [
        format!("s3://{bucket}/wsproxy/none.zip"),
        format!("s3://{bucket}-absent/wsproxy/bootstrap.zip"),
    ] {
        let location: S3Location = url.parse().unwrap();
        let err = package_object_sha256(&client, &location, None)
            .await
            .unwrap_err();
        assert!(matches!(err, S3PackageError::NotFound { .. }), "{err:?}");
        assert!(
            err.to_string()
                .contains(&format!("wsproxy package --upload {url}")),
            "{err}"
        );
    }
    let err = upload_package(
        &client,
        &format!("s3://{bucket}-absent/k.zip").parse().unwrap(),
        b"x".to_vec(),
    )
    .await
    .unwrap_err();
    assert!(
        matches!(err, S3PackageError::NoSuchBucket { .. }),
        "{err:?}"
    );
    assert!(
        err.to_string()
            .contains(&format!("bucket \"{bucket}-absent\" does not exist")),
        "{err}"
    );
}

#[tokio::test]
async fn an_unversioned_bucket_gives_no_version_and_says_so() {
    let client = s3();
    let bucket = bucket(&client, "unversioned", false).await;
    let location: S3Location = format!("s3://{bucket}/bootstrap.zip").parse().unwrap();
    let uploaded = upload_package(&client, &location, b"package".to_vec())
        .await
        .unwrap();
    assert_eq!(uploaded.version_id, None);
    assert!(
        uploaded
            .tfvars()
            .contains("# lambda_s3_object_version: none"),
        "{}",
        uploaded.tfvars()
    );
}
