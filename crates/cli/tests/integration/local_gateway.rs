//! The local gateway's example chat apps (examples/local-gateway/chat-python, chat-node), run
//! by `wsproxy serve` with their real runtime interface clients (awslambdaric,
//! aws-lambda-ric) and their table on moto: clients connect, chat through `@connections`,
//! and leave; and functions that raise, as API Gateway answers them.
//!
//! The runtimes come from `scripts/function-runtimes.sh`; moto from `scripts/moto.sh`.

use crate::functions::{next_text, status, Served};
use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue, BillingMode, KeySchemaElement, KeyType,
    ScalarAttributeType,
};
use futures::SinkExt as _;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::time::Duration;
use tokio_tungstenite::tungstenite::Message;
use wsproxy_test_support::moto::{dynamodb, unique_name};

/// The repository's root.
fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The Python with awslambdaric and boto3 (`.tools/venv-functions`).
fn venv_python() -> PathBuf {
    let python = std::env::var_os("WSPROXY_FUNCTIONS_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo().join(".tools/venv-functions/bin/python3"));
    assert!(
        python.is_file(),
        "{} is missing: run scripts/function-runtimes.sh",
        python.display()
    );
    python
}

/// The node_modules with aws-lambda-ric and the AWS SDK clients (`.tools/node-functions`).
fn node_modules() -> PathBuf {
    let dir = std::env::var_os("WSPROXY_FUNCTIONS_NODE_MODULES")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo().join(".tools/node-functions/node_modules"));
    assert!(
        dir.join("aws-lambda-ric/package.json").is_file(),
        "{} has no aws-lambda-ric: run scripts/function-runtimes.sh",
        dir.display()
    );
    dir
}

/// The chat's functions, by the suffix of their names, and the route each serves.
const FUNCTIONS: [(&str, &str); 4] = [
    ("connect", "$connect"),
    ("disconnect", "$disconnect"),
    ("sendmessage", "sendmessage"),
    ("echo", "echo"),
];

/// A copy of an example app in a temporary folder (beside the Node runtime interface
/// client and SDK, as after `npm install` in it), with a table of its own on moto.
struct App {
    _dir: tempfile::TempDir,
    root: PathBuf,
    name: &'static str,
    table: String,
}

impl App {
    async fn new(name: &'static str) -> App {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join(name);
        copy_dir(&repo().join("examples/local-gateway").join(name), &root);
        if name.ends_with("node") {
            std::os::unix::fs::symlink(node_modules(), root.join("node_modules")).unwrap();
        }
        let table = unique_name(name);
        create_table(&table).await;
        App {
            _dir: dir,
            root,
            name,
            table,
        }
    }

    /// `wsproxy serve` flags running each function by hand (`--function`), as the
    /// runtime mapping would: `python3 -m awslambdaric` or `node aws-lambda-ric`.
    fn function_flags(&self) -> Vec<String> {
        let src = self.root.join("src");
        let mut flags = vec!["--route".into(), "sendmessage".into(), "--route".into(), "echo".into()];
        for (suffix, route) in FUNCTIONS {
            let name = format!("{}-{suffix}", self.name);
            let handler = format!("{suffix}.handler");
            let command = if self.name.ends_with("python") {
                format!("{} -m awslambdaric {handler}", venv_python().display())
            } else {
                let ric = node_modules().join("aws-lambda-ric/bin/index.mjs");
                format!("node {} {handler}", ric.display())
            };
            flags.extend([
                "--function".into(),
                format!("{name}={command}"),
                "--function-dir".into(),
                format!("{name}={}", src.display()),
                "--function-env".into(),
                format!("{name}:TABLE_NAME={}", self.table),
                "--function-env".into(),
                format!("{name}:_HANDLER={handler}"),
                "--route-function".into(),
                format!("{route}={name}"),
            ]);
        }
        flags.extend(["--route-function".into(), format!("$default={}-echo", self.name)]);
        flags
    }

    /// The connection ids in the table.
    async fn connections(&self) -> Vec<String> {
        let items = dynamodb()
            .await
            .scan()
            .table_name(&self.table)
            .send()
            .await
            .expect("scan the chat's table")
            .items
            .unwrap_or_default();
        let mut ids: Vec<String> = items
            .iter()
            .filter_map(|i| i.get("connectionId")?.as_s().ok().cloned())
            .collect();
        ids.sort();
        ids
    }

    /// Waits until the table holds `n` connections.
    async fn wait_for_connections(&self, n: usize) -> Vec<String> {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        loop {
            let ids = self.connections().await;
            if ids.len() == n || tokio::time::Instant::now() > deadline {
                assert_eq!(ids.len(), n, "connections in the table: {ids:?}");
                return ids;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

/// The chat's table: `connectionId`, a string, as its template and Terraform define it.
async fn create_table(table: &str) {
    dynamodb()
        .await
        .create_table()
        .table_name(table)
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name("connectionId")
                .attribute_type(ScalarAttributeType::S)
                .build()
                .unwrap(),
        )
        .key_schema(
            KeySchemaElement::builder()
                .attribute_name("connectionId")
                .key_type(KeyType::Hash)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .expect("create the chat's table on moto");
}

/// Copies the folder `from` to `to`, leaving out `node_modules`.
fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            if entry.file_name() != "node_modules" {
                copy_dir(&entry.path(), &target);
            }
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

fn chat(data: &str) -> Message {
    Message::text(json!({"action": "sendmessage", "data": data}).to_string())
}

/// Connecting and leaving, run by hand with `--function`: each connection is in the table
/// while it is open.
async fn connect_and_leave(app: &App) {
    let s = Served::start(&app.function_flags().iter().map(String::as_str).collect::<Vec<_>>()).await;
    let alice = s.open("user=alice").await.expect("alice connects");
    let bob = s.open("user=bob").await.expect("bob connects");
    app.wait_for_connections(2).await;
    drop(alice);
    app.wait_for_connections(1).await;
    drop(bob);
    app.wait_for_connections(0).await;
}

#[tokio::test]
async fn the_python_chat_connects_and_leaves_by_hand() {
    let app = App::new("chat-python").await;
    connect_and_leave(&app).await;
}

#[tokio::test]
async fn the_node_chat_connects_and_leaves_by_hand() {
    let app = App::new("chat-node").await;
    connect_and_leave(&app).await;
}
