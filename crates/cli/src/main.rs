//! The `wsproxy` command: glue between the command line and the library crates.

mod aws;
mod bench;
mod deploy;
mod doctor;
mod lambda;
mod limits;
mod logging;
mod package;
mod serve;
mod table;

use clap::{Parser, Subcommand};

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
    Bench(bench::BenchArgs),
    /// Administer the DynamoDB connection table.
    Table(table::TableArgs),
    /// Build the Lambda `bootstrap` for provided.al2023 and write a deterministic bootstrap.zip.
    Package(package::PackageArgs),
    /// Upload bootstrap.zip to an existing function (Option 2) and wait until it is active.
    Deploy(deploy::DeployArgs),
    /// Check a Terraform environment for what makes deployments fail, each finding with its fix.
    Doctor(doctor::DoctorArgs),
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    logging::init(cli.log_format);
    match cli.command {
        Command::Serve(args) => serve::run(*args).await,
        Command::Bench(args) => bench::run(args).await,
        Command::Table(args) => table::run(args).await,
        Command::Package(args) => package::run(args),
        Command::Deploy(args) => deploy::run(args).await,
        Command::Doctor(args) => doctor::run(args).await,
    }
}
