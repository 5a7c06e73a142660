//! `wsproxy package`: builds `bootstrap` for provided.al2023 (x86_64, glibc 2.34) with
//! cargo-lambda and zig, and writes a deterministic `bootstrap.zip` with its Terraform hash;
//! with `--upload s3://BUCKET/KEY` puts it in S3 and prints the module's `lambda_s3_*` values.

use anyhow::{bail, ensure, Context};
use aws_credential_types::provider::error::CredentialsError;
use aws_credential_types::provider::ProvideCredentials;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;
use wsproxy_aws::{upload_package, S3Location};

/// Flags of `wsproxy package`.
#[derive(Debug, clap::Args)]
pub(crate) struct PackageArgs {
    /// Folder that receives `bootstrap.zip`.
    #[arg(long, default_value = "dist")]
    out: PathBuf,
    /// Package this already built `bootstrap` instead of building one.
    #[arg(long, value_name = "PATH")]
    bootstrap: Option<PathBuf>,
    /// Newest glibc the binary may need (provided.al2023 has 2.34).
    #[arg(long, default_value = "2.34")]
    glibc: String,
    /// Also upload the zip to this S3 object (s3://BUCKET/KEY, in the function's region) and
    /// print the tfvars lines for it: lambda_s3_bucket, lambda_s3_key, lambda_s3_object_version
    /// (a versioned bucket), lambda_s3_source_code_hash.
    #[arg(long, value_name = "s3://BUCKET/KEY")]
    upload: Option<String>,
}

/// Builds (unless `--bootstrap`), checks and zips the function.
pub(crate) fn run(args: PackageArgs) -> anyhow::Result<()> {
    let limit = parse_version(&args.glibc)
        .with_context(|| format!("--glibc {}: give a version such as 2.34", args.glibc))?;
    // Checked before a build of minutes.
    let upload: Option<S3Location> = args
        .upload
        .as_deref()
        .map(str::parse)
        .transpose()
        .context("--upload")?;
    // The region and the credentials too: an upload that cannot happen fails now.
    let s3 = match &upload {
        Some(location) => Some(block_on(s3_client(location))?),
        None => None,
    };
    let binary = match &args.bootstrap {
        Some(path) => path.clone(),
        None => build(&args.glibc)?,
    };
    let bytes =
        std::fs::read(&binary).with_context(|| format!("cannot read {}", binary.display()))?;
    if let Some(needed) = wsproxy_package::required_glibc(&bytes) {
        ensure!(
            needed <= limit,
            "{} needs glibc {}.{}, newer than {} (provided.al2023): build it with `wsproxy package` (cargo lambda, zig) instead of a plain cargo build",
            binary.display(),
            needed.0,
            needed.1,
            args.glibc
        );
    }
    let package = wsproxy_package::write_zip(&binary, &args.out)?;
    println!("package: {}", package.path.display());
    println!("size: {} bytes", package.size);
    println!("base64 sha256: {}", package.base64_sha256);
    println!("(equal to Terraform's filebase64sha256() of the file: use it as source_code_hash)");
    if let (Some(location), Some(s3)) = (upload, s3) {
        let bytes = std::fs::read(&package.path)
            .with_context(|| format!("cannot read {}", package.path.display()))?;
        let uploaded = block_on(upload_package(&s3, &location, bytes))?;
        println!(
            "uploaded: {}{}",
            uploaded.location,
            uploaded
                .version_id
                .as_deref()
                .map(|v| format!(" (version {v})"))
                .unwrap_or_default()
        );
        println!("terraform.tfvars (instead of lambda_package):");
        print!("{}", uploaded.tfvars());
    }
    Ok(())
}

/// `run` is called outside async code by main; the upload's steps are its async ones.
fn block_on<F: std::future::Future>(future: F) -> F::Output {
    tokio::task::block_in_place(|| tokio::runtime::Handle::current().block_on(future))
}

/// An S3 client with the SDK's usual configuration (AWS_PROFILE, AWS_REGION...), once a region
/// and credentials are found; with an endpoint override (AWS_ENDPOINT_URL, e.g. a local S3) in
/// path-style addressing, as local servers expect.
async fn s3_client(location: &S3Location) -> anyhow::Result<aws_sdk_s3::Client> {
    let sdk = wsproxy_aws::sdk_config(None).await;
    ensure!(
        sdk.region().is_some(),
        "no AWS region to upload to {location}: set AWS_REGION (the function's region, where the bucket is) or a region in your AWS profile"
    );
    let found = match sdk.credentials_provider() {
        Some(provider) => {
            tokio::time::timeout(Duration::from_secs(10), provider.provide_credentials()).await
        }
        None => Ok(Err(CredentialsError::not_loaded("no credentials provider"))),
    };
    ensure!(
        matches!(found, Ok(Ok(_))),
        "no AWS credentials found to upload to {location}: set AWS_PROFILE (after `aws sso login` or `aws configure`), or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"
    );
    let s3 = aws_sdk_s3::config::Builder::from(&sdk)
        .force_path_style(sdk.endpoint_url().is_some())
        .build();
    Ok(aws_sdk_s3::Client::from_conf(s3))
}

/// `cargo lambda build --release --target x86_64-unknown-linux-gnu.{glibc}`.
fn build(glibc: &str) -> anyhow::Result<PathBuf> {
    ensure!(
        Path::new("crates/lambda/Cargo.toml").is_file(),
        "run `wsproxy package` from the wsproxy repository (or pass --bootstrap PATH)"
    );
    let venv = std::env::current_dir()?.join(".tools/venv-lambda/bin");
    let path = match std::env::var_os("PATH") {
        Some(p) => std::env::join_paths(std::iter::once(venv).chain(std::env::split_paths(&p)))?,
        None => venv.into_os_string(),
    };
    let found = std::env::split_paths(&path).any(|dir| dir.join("cargo-lambda").is_file());
    ensure!(
        found,
        "cargo-lambda is not installed: run scripts/install-package-deps.sh (cargo-lambda and zig, from PyPI)"
    );
    let target = format!("x86_64-unknown-linux-gnu.{glibc}");
    eprintln!("building bootstrap for {target} with cargo lambda (release)...");
    let status = Command::new("cargo-lambda")
        .args(["lambda", "build", "--release", "--target", &target])
        .args(["-p", "wsproxy-lambda", "--bin", "bootstrap"])
        .env("PATH", &path)
        .status()
        .context("could not run cargo-lambda")?;
    if !status.success() {
        bail!("cargo lambda build failed ({status}); its output is above");
    }
    Ok(PathBuf::from("target/lambda/bootstrap/bootstrap"))
}

fn parse_version(v: &str) -> Option<(u32, u32)> {
    let (major, minor) = v.split_once('.')?;
    Some((major.parse().ok()?, minor.parse().ok()?))
}
