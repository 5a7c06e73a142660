//! `wsproxy package --upload s3://BUCKET/KEY` against moto's S3, through the real binary: the
//! object version and hash it prints for tfvars are the object's; a missing bucket, a
//! malformed URL, no credentials and no region fail with errors that say what to do; no
//! credential appears in any output.

use super::moto;
use aws_sdk_s3::types::{BucketVersioningStatus, VersioningConfiguration};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// A small real x86_64 executable to package.
const EXE: &str = "/bin/true";
/// The credentials the runs get: moto takes any; none may be printed.
const KEY_ID: &str = "AKIATF9UPLOADTESTKEY";
const SECRET: &str = "tf9-upload-secret-0123456789abcdefSECRET";
const SESSION_TOKEN: &str = "tf9-upload-session-token-SESSION";

fn s3_client(config: &aws_config::SdkConfig) -> aws_sdk_s3::Client {
    aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(config)
            .force_path_style(true)
            .build(),
    )
}

async fn s3() -> aws_sdk_s3::Client {
    s3_client(&wsproxy_test_support::moto::sdk_config().await)
}

async fn versioned_bucket(client: &aws_sdk_s3::Client) -> String {
    let name = moto::unique_name("wsproxy-upload");
    client.create_bucket().bucket(&name).send().await.unwrap();
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
    name
}

fn out_dir(name: &str) -> PathBuf {
    let dir =
        std::env::temp_dir().join(format!("wsproxy-cli-upload-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

/// `wsproxy package --bootstrap /bin/true --out OUT --upload URL` with moto's endpoint, the
/// test credentials above and `RUST_LOG=debug`; `env` changes that environment (None removes).
fn package_upload(out: &Path, url: &str, env: &[(&str, Option<&str>)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_wsproxy"));
    cmd.args(["package", "--bootstrap", EXE, "--glibc", "2.99", "--out"])
        .arg(out)
        .args(["--upload", url])
        .env("AWS_ENDPOINT_URL", moto::endpoint())
        .env("AWS_REGION", "us-east-1")
        .env("AWS_ACCESS_KEY_ID", KEY_ID)
        .env("AWS_SECRET_ACCESS_KEY", SECRET)
        .env("AWS_SESSION_TOKEN", SESSION_TOKEN)
        .env("RUST_LOG", "debug")
        // No profile or instance role of this machine may stand in for missing credentials.
        .env(
            "HOME",
            std::env::temp_dir().join("wsproxy-cli-upload-no-home"),
        )
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env_remove("AWS_PROFILE")
        .env_remove("AWS_DEFAULT_REGION");
    for (name, value) in env {
        match value {
            Some(v) => cmd.env(name, v),
            None => cmd.env_remove(name),
        };
    }
    let output = cmd.output().expect("wsproxy runs");
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    for secret in [SECRET, SESSION_TOKEN] {
        assert!(!all.contains(secret), "a credential was printed:\n{all}");
    }
    output
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// The value of the tfvars line `NAME = "VALUE"` printed.
fn tfvar(stdout: &str, name: &str) -> String {
    stdout
        .lines()
        .filter_map(|l| l.split_once('='))
        .find(|(k, _)| k.trim() == name)
        .map(|(_, v)| v.trim().trim_matches('"').to_owned())
        .unwrap_or_else(|| panic!("no {name} line printed:\n{stdout}"))
}

#[tokio::test(flavor = "multi_thread")]
async fn the_upload_prints_the_objects_version_and_hash_for_tfvars() {
    let client = s3().await;
    let bucket = versioned_bucket(&client).await;
    let out = out_dir("ok");
    let url = format!("s3://{bucket}/wsproxy/bootstrap.zip");

    let run = package_upload(&out, &url, &[]);
    assert!(run.status.success(), "{}", stderr(&run));
    let printed = stdout(&run);
    let zip = std::fs::read(out.join("bootstrap.zip")).unwrap();
    let hash = wsproxy_package::base64_sha256_of(&zip);
    assert!(
        printed.contains(&format!("base64 sha256: {hash}")),
        "{printed}"
    );
    assert_eq!(tfvar(&printed, "lambda_s3_bucket"), bucket);
    assert_eq!(tfvar(&printed, "lambda_s3_key"), "wsproxy/bootstrap.zip");
    assert_eq!(tfvar(&printed, "lambda_s3_source_code_hash"), hash);
    let version = tfvar(&printed, "lambda_s3_object_version");
    assert!(
        printed.contains(&format!("uploaded: {url} (version {version})")),
        "{printed}"
    );

    // That version of the object holds exactly the zip.
    let object = client
        .get_object()
        .bucket(&bucket)
        .key("wsproxy/bootstrap.zip")
        .version_id(&version)
        .send()
        .await
        .expect("the printed version exists");
    let body = object.body.collect().await.unwrap().into_bytes();
    assert_eq!(wsproxy_package::base64_sha256_of(&body), hash);
    let _ = std::fs::remove_dir_all(&out);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_missing_bucket_is_named_with_how_to_create_it() {
    let missing = moto::unique_name("wsproxy-no-bucket");
    let out = out_dir("nobucket");
    let run = package_upload(&out, &format!("s3://{missing}/bootstrap.zip"), &[]);
    assert!(!run.status.success());
    let err = stderr(&run);
    assert!(
        err.contains(&format!("bucket \"{missing}\" does not exist"))
            && err.contains(&format!("aws s3 mb s3://{missing}")),
        "{err}"
    );
    // One clear line, not the SDK's dump of the HTTP answer.
    assert!(
        !err.contains("raw: Response") && !err.contains("caused by"),
        "{err}"
    );
    let _ = std::fs::remove_dir_all(&out);
}

#[test]
fn a_malformed_url_fails_before_anything_is_written() {
    for bad in [
        "my-artifacts/bootstrap.zip",
        "s3://my-artifacts",
        "s3://my-artifacts/folder/",
        "https://my-artifacts.s3.amazonaws.com/bootstrap.zip",
    ] {
        let out = out_dir("badurl");
        let run = package_upload(&out, bad, &[]);
        assert!(!run.status.success(), "{bad} was accepted");
        let err = stderr(&run);
        assert!(
            err.contains(&format!("{bad:?} is not an S3 object URL"))
                && err.contains("give s3://BUCKET/KEY"),
            "{bad}: {err}"
        );
        assert!(
            !out.exists(),
            "{bad}: a package was written before the URL was checked"
        );
    }
}

#[test]
fn no_credentials_or_no_region_fail_before_the_package_is_made() {
    let out = out_dir("nocreds");
    let no_credentials = [
        ("AWS_ACCESS_KEY_ID", None),
        ("AWS_SECRET_ACCESS_KEY", None),
        ("AWS_SESSION_TOKEN", None),
    ];
    // With moto's endpoint, and with none (real AWS): the credentials are missing either way.
    for endpoint in [None, Some(("AWS_ENDPOINT_URL", None))] {
        let env: Vec<_> = no_credentials.iter().copied().chain(endpoint).collect();
        let run = package_upload(&out, "s3://my-artifacts/bootstrap.zip", &env);
        assert!(!run.status.success());
        let err = stderr(&run);
        assert!(
            err.contains("no AWS credentials found to upload to s3://my-artifacts/bootstrap.zip")
                && err.contains("AWS_PROFILE")
                && err.contains("AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"),
            "{err}"
        );
        assert!(!out.exists(), "a package was written without credentials");
    }

    let run = package_upload(
        &out,
        "s3://my-artifacts/bootstrap.zip",
        &[("AWS_REGION", None)],
    );
    assert!(!run.status.success());
    let err = stderr(&run);
    assert!(
        err.contains("no AWS region to upload to s3://my-artifacts/bootstrap.zip")
            && err.contains("set AWS_REGION"),
        "{err}"
    );
    assert!(!out.exists(), "a package was written without a region");
}
