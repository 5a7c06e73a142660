//! `wsproxy deploy`: uploads `bootstrap.zip` to an existing function (Option 2, the manual
//! update), waits until Lambda has applied it, and prints the old and new code hashes.

use anyhow::{ensure, Context};
use std::path::PathBuf;
use std::time::Duration;
use wsproxy_aws::update_function_code;

/// Flags of `wsproxy deploy`.
#[derive(Debug, clap::Args)]
pub(crate) struct DeployArgs {
    /// Name or ARN of the existing function to update.
    #[arg(long, value_name = "NAME", env = "WSPROXY_FUNCTION_NAME")]
    function_name: String,
    /// The package to upload, as `wsproxy package` writes it.
    #[arg(long, value_name = "ZIP", default_value = "dist/bootstrap.zip")]
    package: PathBuf,
    /// How long to wait, in seconds, for Lambda to apply the new code (and any change
    /// still in progress before it).
    #[arg(long, value_name = "SECS", default_value_t = 300)]
    wait_secs: u64,
}

/// Checks the package, uploads it and waits; every AWS call comes after the checks.
pub(crate) async fn run(args: DeployArgs) -> anyhow::Result<()> {
    let path = std::path::absolute(&args.package)
        .with_context(|| format!("--package {}", args.package.display()))?;
    ensure!(
        path.exists(),
        "{} does not exist: build the package with `wsproxy package` (it writes dist/bootstrap.zip), or name it with --package ZIP",
        path.display()
    );
    let bytes = std::fs::read(&path).with_context(|| format!("cannot read {}", path.display()))?;
    wsproxy_package::check_zip_bytes(&path, &bytes)?;
    let local_sha = wsproxy_package::base64_sha256_of(&bytes);
    let name = &args.function_name;
    println!("function: {name}");
    println!("package: {}", path.display());
    println!("package sha256: {local_sha}");

    let client = crate::aws::lambda_client().await;
    let update = update_function_code(&client, name, bytes, Duration::from_secs(args.wait_secs))
        .await
        .with_context(|| format!("could not deploy {} to function '{name}'", path.display()))?;

    let new = &update.new;
    println!("old code sha256: {}", update.old.code_sha256);
    println!("new code sha256: {}", new.code_sha256);
    println!(
        "status: {}",
        new.last_update_status
            .as_deref()
            .unwrap_or("(not reported)")
    );
    if !update.changed() {
        println!("unchanged: the function already had this package's code");
    }
    ensure!(
        new.code_sha256 == local_sha,
        "function '{name}' now reports code sha256 {}, not {local_sha} of {}: another deployment may have replaced the code meanwhile; run `wsproxy deploy` again",
        new.code_sha256,
        path.display()
    );
    Ok(())
}
