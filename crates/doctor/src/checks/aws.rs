//! The AWS side, compared with the Terraform state: a function or table that exists but is
//! not in the state makes `terraform apply` fail ("Function already exist", "Table already
//! exists"), and the fix is `terraform import`; a table without the index makes every
//! disconnect scan the table.

use super::{terraform_in, unknown};
use crate::{Environment, Finding, ProxyModule, S3Package, State, Status};
use wsproxy_aws::{check_table, find_function, package_object_sha256, S3Location, S3PackageError};

/// The clients for the AWS-side checks.
#[derive(Debug, Clone)]
pub struct AwsClients {
    /// Lambda, for the function.
    pub lambda: aws_sdk_lambda::Client,
    /// DynamoDB, for the table.
    pub dynamodb: aws_sdk_dynamodb::Client,
    /// S3, for a package taken from S3 (lambda_s3_bucket).
    pub s3: aws_sdk_s3::Client,
    /// The region they talk to.
    pub region: String,
}

/// The function and table findings, or one skip saying why there are none; `package` is
/// the package's hash, to compare with the deployed code.
pub(super) async fn check(
    env: &Environment,
    module: &ProxyModule,
    state: &State,
    package: Option<&str>,
    aws: &Result<AwsClients, String>,
) -> Vec<Finding> {
    let aws = match aws {
        Ok(aws) => aws,
        Err(why) => return vec![Finding::new("aws", Status::Skip, why.clone())],
    };
    let mut out = Vec::new();
    if let State::Unknown(why) = state {
        out.push(Finding::new(
            "state",
            Status::Warn,
            format!("cannot read the Terraform state: {why}; findings below cannot say what Terraform manages"),
        ));
    }
    // A package in S3: the object's hash stands for the package's.
    let s3_hash;
    let package = match &module.lambda_s3 {
        None => package,
        Some(s3) => {
            let (finding, hash) = s3_package(aws, s3).await;
            out.push(finding);
            s3_hash = hash;
            s3_hash.as_deref()
        }
    };
    out.push(match (&module.function_name, &module.create_lambda) {
        (Err(e), _) => unknown("function", "the function's name", e),
        (_, Err(e)) => unknown("function", "create_lambda", e),
        (Ok(name), Ok(true)) => managed_function(env, module, state, aws, name, package).await,
        (Ok(name), Ok(false)) => existing_function(aws, name).await,
    });
    out.push(match &module.table_name {
        Err(e) => unknown("table", "the table's name", e),
        Ok(table) => table_check(env, module, state, aws, table).await,
    });
    out
}

/// The object `wsproxy package --upload` put in S3: it exists (that version) and is the package
/// the tfvars name (lambda_s3_source_code_hash). Also returns its hash.
async fn s3_package(aws: &AwsClients, s3: &S3Package) -> (Finding, Option<String>) {
    let (bucket, key) = match (&s3.bucket, &s3.key) {
        (Err(e), _) => return (unknown("package.s3", "lambda_s3_bucket", e), None),
        (_, Err(e)) => return (unknown("package.s3", "lambda_s3_key", e), None),
        (Ok(bucket), Ok(key)) => (bucket, key),
    };
    let version = match &s3.version {
        Some(Err(e)) => return (unknown("package.s3", "lambda_s3_object_version", e), None),
        Some(Ok(v)) => Some(v.as_str()),
        None => None,
    };
    let location = S3Location {
        bucket: bucket.clone(),
        key: key.clone(),
    };
    let at = match version {
        Some(v) => format!("{location} (version {v})"),
        None => location.to_string(),
    };
    let upload =
        format!("wsproxy package --upload {location}, then set the lambda_s3_* values it prints");
    let actual = match package_object_sha256(&aws.s3, &location, version).await {
        Ok(hash) => hash,
        Err(e @ S3PackageError::NotFound { .. }) => {
            return (
                Finding::new("package.s3", Status::Fail, e.to_string()).fix(upload),
                None,
            )
        }
        Err(e) => {
            return (
                Finding::new("package.s3", Status::Warn, e.to_string()),
                None,
            )
        }
    };
    let finding = match &s3.source_code_hash {
        Some(Ok(expected)) if *expected != actual => Finding::new(
            "package.s3",
            Status::Fail,
            format!("{at} has base64 sha256 {actual}, but lambda_s3_source_code_hash is {expected}: the object is not the package the tfvars name (replaced after the upload?)"),
        )
        .fix(upload),
        Some(Ok(_)) => Finding::new(
            "package.s3",
            Status::Ok,
            format!("{at} exists and matches lambda_s3_source_code_hash ({actual})"),
        ),
        Some(Err(e)) => unknown("package.s3", "lambda_s3_source_code_hash", e),
        None => Finding::new(
            "package.s3",
            Status::Warn,
            format!("{at} exists (base64 sha256 {actual}), but no lambda_s3_source_code_hash says which package it should be"),
        )
        .fix(format!("set lambda_s3_source_code_hash = \"{actual}\" if that is the package you uploaded")),
    };
    (finding, Some(actual))
}

/// Option 1: Terraform creates the function, so one it does not manage is in the way.
async fn managed_function(
    env: &Environment,
    module: &ProxyModule,
    state: &State,
    aws: &AwsClients,
    name: &str,
    package: Option<&str>,
) -> Finding {
    let found = match find_function(&aws.lambda, name).await {
        Ok(found) => found,
        Err(e) => return Finding::new("function", Status::Fail, e.to_string()),
    };
    let managed = state.manages("aws_lambda_function", "function_name", name);
    let import = format!(
        "{} import '{}' {name}",
        terraform_in(env),
        module.function_address()
    );
    let region = &aws.region;
    match (found, managed) {
        (Some(f), Some(true)) => Finding::new(
            "function",
            Status::Ok,
            format!(
                "{name} exists in {region} and is in the Terraform state (code sha256 {}{})",
                f.code_sha256,
                code_versus_package(package, &f.code_sha256)
            ),
        ),
        (Some(_), Some(false)) => Finding::new(
            "function",
            Status::Fail,
            format!("function {name} already exists in {region} but is not in this environment's Terraform state: terraform apply would fail with \"Function already exist\""),
        )
        .fix(format!("adopt it: {import}\n{}\nor give this environment another name (variable name), or wire the existing function in with create_lambda = false (Option 2)", log_group_import(env, module, name))),
        (Some(_), None) => Finding::new(
            "function",
            Status::Warn,
            format!("function {name} exists in {region}; whether Terraform manages it is unknown"),
        )
        .fix(format!("if `terraform state list` does not show it: {import}")),
        (None, Some(true)) => Finding::new(
            "function",
            Status::Fail,
            format!("function {name} is in the Terraform state but not in {region}: it was deleted outside Terraform"),
        )
        .fix(format!("{} apply creates it again", terraform_in(env))),
        (None, _) => Finding::new(
            "function",
            Status::Ok,
            format!("{name} does not exist in {region} yet: terraform apply creates it"),
        ),
    }
}

/// Whether the deployed code is the package's, when there is a package.
fn code_versus_package(package: Option<&str>, deployed: &str) -> String {
    match package {
        Some(local) if local == deployed => ", the package's too".into(),
        Some(local) => format!("; the package's is {local}: terraform apply uploads it"),
        None => String::new(),
    }
}

/// The import of the function's log group, which exists once the function has run.
fn log_group_import(env: &Environment, module: &ProxyModule, name: &str) -> String {
    format!(
        "and if apply then says \"log group already exists\": {} import 'module.{}.aws_cloudwatch_log_group.lambda[0]' /aws/lambda/{name}",
        terraform_in(env),
        module.label
    )
}

/// Options 2 and 3: the function must already exist, and run the package's platform.
async fn existing_function(aws: &AwsClients, name: &str) -> Finding {
    let region = &aws.region;
    match find_function(&aws.lambda, name).await {
        Err(e) => Finding::new("function", Status::Fail, e.to_string()),
        Ok(None) => Finding::new(
            "function",
            Status::Fail,
            format!("existing_lambda_function_name is {name}, but {region} has no such function: terraform plan would fail reading it"),
        )
        .fix(format!("create it first (runtime provided.al2023, x86_64, handler bootstrap), then `wsproxy deploy --function-name {name}`; or let Terraform create it with create_lambda = true (Option 1)")),
        Ok(Some(f)) => match f.check_runs_bootstrap() {
            Err(e) => Finding::new("function", Status::Fail, e.to_string()),
            Ok(()) => Finding::new(
            "function",
            Status::Ok,
            format!(
                "{} exists ({}, code sha256 {})",
                f.name,
                f.runtime.as_deref().unwrap_or_default(),
                f.code_sha256
            ),
        ),
        },
    }
}

async fn table_check(
    env: &Environment,
    module: &ProxyModule,
    state: &State,
    aws: &AwsClients,
    table: &str,
) -> Finding {
    let report = match check_table(&aws.dynamodb, table).await {
        Ok(report) => report,
        Err(e) => return Finding::new("table", Status::Fail, e.to_string()),
    };
    let managed = state.manages("aws_dynamodb_table", "name", table);
    let region = &aws.region;
    let apply = format!("{} apply", terraform_in(env));
    if !report.exists {
        return match managed {
            // Never applied, or applied without it: the next apply creates it.
            Some(false) => Finding::new(
                "table",
                Status::Ok,
                format!("table {table} does not exist in {region} yet: terraform apply creates it"),
            ),
            _ => Finding::new(
                "table",
                Status::Fail,
                format!("table {table} does not exist in {region}: the function cannot register a connection"),
            )
            .fix(format!("{apply} creates it (it was deleted outside Terraform), or `wsproxy table create --table {table}`")),
        };
    }
    if managed == Some(false) {
        return Finding::new(
            "table",
            Status::Fail,
            format!("table {table} already exists in {region} but is not in this environment's Terraform state: terraform apply would fail with \"Table already exists\""),
        )
        .fix(format!(
            "adopt it: {} import '{}' {table}\nor set connections_table_name to another name",
            terraform_in(env),
            module.table_address()
        ));
    }
    let problems = report.problems();
    if problems.is_empty() {
        return Finding::new(
            "table",
            Status::Ok,
            format!("table {table} is ACTIVE with the connection_id-index and TTL on ttl"),
        );
    }
    Finding::new("table", Status::Fail, problems.join("; "))
        .fix(format!("{apply} puts the module's index and TTL back; outside Terraform: wsproxy table create --table {table}"))
}
