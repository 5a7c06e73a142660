//! The `wsproxy` command: glue between the command line and the library crates.

mod aws;
mod cache;
mod deploy;
mod doctor;
mod lambda;
mod limits;
mod local_api;
mod logging;
mod package;
mod serve;
mod table;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// jemalloc instead of glibc's malloc: under socket churn glibc's per-thread arenas keep
/// growing (+11% RSS over two minutes of the soak, +2.5% with jemalloc: BENCHMARKS.md).
/// `--no-default-features` builds with glibc's malloc.
#[cfg(feature = "jemalloc")]
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

/// wsproxy: a WebSocket proxy in front of an HTTP backend, on AWS or on one machine.
#[derive(Debug, Parser)]
#[command(name = "wsproxy", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
    /// Log format: text for terminals, json for log collectors.
    #[arg(long, global = true, value_enum, default_value_t = logging::Format::Text, env = "WSPROXY_LOG_FORMAT")]
    log_format: logging::Format,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the local API Gateway with the proxy core in front of a backend.
    Serve(Box<serve::ServeArgs>),
    /// Measure a local gateway (connect rate, round trip, broadcast, memory) over loopback.
    Bench(wsproxy_bench::BenchArgs),
    /// Administer the DynamoDB connection table.
    Table(table::TableArgs),
    /// Build the Lambda `bootstrap` for provided.al2023 and write a deterministic bootstrap.zip.
    Package(package::PackageArgs),
    /// Upload bootstrap.zip to an existing function (Option 2) and wait until it is active.
    Deploy(deploy::DeployArgs),
    /// Check a Terraform environment for what makes deployments fail, each finding with its fix.
    Doctor(doctor::DoctorArgs),
}

/// Runs the command; on an error prints its chain (never a backtrace, even with
/// `RUST_BACKTRACE` set: the message says what to do) and exits 1.
#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    logging::init(cli.log_format);
    match run(cli.command).await {
        Ok(code) => code,
        Err(err) => {
            eprint!("{}", error_report(&err));
            ExitCode::FAILURE
        }
    }
}

async fn run(command: Command) -> anyhow::Result<ExitCode> {
    match command {
        Command::Serve(args) => serve::run(*args).await?,
        Command::Bench(args) => wsproxy_bench::run(args).await?,
        Command::Table(args) => table::run(args).await?,
        Command::Package(args) => package::run(args)?,
        Command::Deploy(args) => deploy::run(args).await?,
        Command::Doctor(args) => return doctor::run(args).await,
    }
    Ok(ExitCode::SUCCESS)
}

/// `error: …` and a `  caused by: …` line for each cause under it.
fn error_report(err: &anyhow::Error) -> String {
    let mut text = format!("error: {err}\n");
    for cause in err.chain().skip(1) {
        text.push_str(&format!("  caused by: {cause}\n"));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_report_is_the_chain_one_line_each() {
        let err = anyhow::anyhow!("Is a directory")
            .context("cannot read /etc")
            .context("could not deploy");
        assert_eq!(
            error_report(&err),
            "error: could not deploy\n  caused by: cannot read /etc\n  caused by: Is a directory\n"
        );
        assert_eq!(error_report(&anyhow::anyhow!("alone")), "error: alone\n");
    }
}
