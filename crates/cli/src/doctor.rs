//! `wsproxy doctor`: diagnoses a Terraform environment of the proxy (see the
//! `wsproxy-doctor` crate) and exits 1 when a check fails.

use anyhow::Context as _;
use aws_credential_types::provider::ProvideCredentials;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;
use wsproxy_doctor::checks::{self, AwsClients, Options};
use wsproxy_doctor::Environment;

/// Flags of `wsproxy doctor`.
#[derive(Debug, clap::Args)]
pub(crate) struct DoctorArgs {
    /// The environment: the folder terraform runs in.
    #[arg(long, default_value = "infra/terraform/envs/dev")]
    env: PathBuf,
    /// A variable definitions file, as terraform's -var-file (repeatable, applied in order).
    #[arg(long = "var-file", value_name = "FILE")]
    var_files: Vec<PathBuf>,
    /// The wsproxy source tree the package is built from (default: found above the package).
    #[arg(long, value_name = "DIR")]
    sources: Option<PathBuf>,
    /// Skip the checks that ask AWS (function, table).
    #[arg(long)]
    no_aws: bool,
    /// How long the backend has to answer, in seconds.
    #[arg(long, default_value_t = 5)]
    backend_timeout_secs: u64,
    /// Print the report as JSON (for CI) instead of text.
    #[arg(long)]
    json: bool,
}

/// Runs the checks, prints the report and answers exit code 1 if any check failed.
pub(crate) async fn run(args: DoctorArgs) -> anyhow::Result<ExitCode> {
    // The library's error says what is wrong; the flag that gave the folder is ours to name.
    let env = Environment::load(&args.env, &args.var_files)
        .with_context(|| format!("--env {}", args.env.display()))
        .map_err(|e| format!("{e:#}"));
    let region = env.as_ref().ok().and_then(|e| e.region.clone());
    let aws = if args.no_aws {
        Err("--no-aws: AWS not asked".to_owned())
    } else {
        clients(region.as_deref()).await
    };
    let options = Options {
        sources: args.sources,
        aws,
        backend_timeout: Duration::from_secs(args.backend_timeout_secs),
    };
    let report = checks::run(&args.env.display().to_string(), env, &options).await;
    if args.json {
        println!("{}", report.to_json());
    } else {
        print!("{}", report.to_text());
    }
    Ok(if report.ok() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// Clients in the environment's region, when credentials are there.
async fn clients(region: Option<&str>) -> Result<AwsClients, String> {
    let sdk = wsproxy_aws::sdk_config(region).await;
    let Some(region) = sdk.region().map(|r| r.to_string()) else {
        return Err("no AWS region: set the aws provider's region or AWS_REGION".into());
    };
    let Some(provider) = sdk.credentials_provider() else {
        return Err("no AWS credentials provider configured".into());
    };
    let found = tokio::time::timeout(Duration::from_secs(10), provider.provide_credentials()).await;
    match found {
        Ok(Ok(_)) => Ok(AwsClients {
            lambda: aws_sdk_lambda::Client::new(&sdk),
            dynamodb: aws_sdk_dynamodb::Client::new(&sdk),
            // Path-style with an endpoint override (a local S3 expects it).
            s3: aws_sdk_s3::Client::from_conf(
                aws_sdk_s3::config::Builder::from(&sdk)
                    .force_path_style(sdk.endpoint_url().is_some())
                    .build(),
            ),
            region,
        }),
        Ok(Err(_)) | Err(_) => Err(
            "no AWS credentials found (set AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY): function and table not checked".into(),
        ),
    }
}
