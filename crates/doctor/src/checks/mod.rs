//! The checks `wsproxy doctor` runs, in order: the environment, the package, the backend,
//! then (with AWS credentials) the function and the table against the Terraform state, and
//! where the state holds the Python proxy's layout, the migration's next step.

mod aws;
mod backend;
mod env;
mod migration;
mod package;
mod sources;

pub use aws::AwsClients;
pub use sources::newest_source;

use crate::{Environment, Finding, Report, State};
use std::path::PathBuf;
use std::time::Duration;

/// How to run the checks.
#[derive(Debug, Clone)]
pub struct Options {
    /// The wsproxy source tree the package is built from; found near the package or the
    /// environment when `None`.
    pub sources: Option<PathBuf>,
    /// AWS clients for the AWS-side checks, or why they are skipped.
    pub aws: Result<AwsClients, String>,
    /// How long the backend has to answer.
    pub backend_timeout: Duration,
}

/// Runs every check on an environment (or on why it could not be read, as the caller
/// words it) and reports.
pub async fn run(
    env_arg: &str,
    env: Result<Environment, impl std::fmt::Display>,
    options: &Options,
) -> Report {
    let env = match env {
        Ok(env) => env,
        Err(e) => return Report::new(env_arg.to_owned(), vec![env::unreadable(&e)]),
    };
    let mut findings = env::check(&env);
    // Read once, here: a remote state costs a `terraform state pull`.
    let state = State::read(&env.dir).await;
    let migration = migration::check(&state);
    match &env.module {
        // The Python proxy's root, before the migration: its next step, not a failure.
        None if migration.is_some() => findings.extend(migration),
        None => findings.push(env::no_module(&env)),
        Some(module) => {
            findings.extend(migration);
            let package = package::check(&env, module, options.sources.as_deref());
            findings.extend(package.findings);
            findings.push(backend::check(module, options.backend_timeout).await);
            findings.extend(
                aws::check(
                    &env,
                    module,
                    &state,
                    package.sha256.as_deref(),
                    &options.aws,
                )
                .await,
            );
        }
    }
    Report::new(env.dir.display().to_string(), findings)
}

/// The `terraform` command for this environment's folder.
fn terraform_in(env: &Environment) -> String {
    format!("terraform -chdir={}", env.dir.display())
}

/// "1 file", "2 files".
fn count_of(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// The finding for a setting that could not be worked out.
fn unknown(check: &'static str, what: &str, why: &str) -> Finding {
    Finding::new(
        check,
        crate::Status::Skip,
        format!("cannot work out {what}: {why}"),
    )
}
