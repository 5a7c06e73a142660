//! `wsproxy table create`: the connection table of the contract, with its index and TTL.

use anyhow::Context;
use wsproxy_aws::{create_table, TableOutcome};

/// Flags of `wsproxy table`.
#[derive(Debug, clap::Args)]
pub(crate) struct TableArgs {
    #[command(subcommand)]
    command: TableCommand,
}

#[derive(Debug, clap::Subcommand)]
enum TableCommand {
    /// Create the table (or add its missing index and TTL); safe to run again.
    Create {
        /// Table name.
        #[arg(
            long,
            env = "CONNECTIONS_TABLE",
            default_value = "websocket-connections"
        )]
        table: String,
    },
}

/// Runs `wsproxy table ...` against the DynamoDB the standard AWS variables point at.
pub(crate) async fn run(args: TableArgs) -> anyhow::Result<()> {
    match args.command {
        TableCommand::Create { table } => {
            let client = crate::aws::dynamodb_client().await;
            let outcome = create_table(&client, &table)
                .await
                .with_context(|| format!("could not create the table '{table}'"))?;
            let what = match outcome {
                TableOutcome::Created => "created",
                TableOutcome::AlreadyExisted => "already existed with its index and TTL",
                TableOutcome::Updated => "existed; its missing index or TTL was added",
            };
            println!("table {table}: {what}");
            Ok(())
        }
    }
}
