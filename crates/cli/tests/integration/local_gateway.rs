//! The local gateway's example chat apps (examples/local-gateway/chat-python, chat-node), run
//! by `wsproxy serve --template` and `--terraform` with their real runtime interface clients
//! (awslambdaric, aws-lambda-ric) and their table on moto: a wrong token gets no socket,
//! clients chat through `@connections` (over the gateway's local TLS, the endpoint built
//! from the event as the apps do), the two-way route answers, and leaving empties the table.
//!
//! The runtimes come from `scripts/function-runtimes.sh`; moto from `scripts/moto.sh`.

use crate::functions::{next_text, refused, status, Served};
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
use wsproxy_test_support::runtimes::{node_modules, repo, venv_python};

/// The chat's token (the default of its `ChatToken` / `chat_token`).
const TOKEN: &str = "let-me-in";

/// The command that runs `handler` with the runtime interface client of `runtime`
/// (`python` or `node`), as the runtime mapping would.
pub(crate) fn runtime_command(runtime: &str, handler: &str) -> String {
    if runtime == "python" {
        format!("{} -m awslambdaric {handler}", venv_python().display())
    } else {
        let ric = node_modules().join("aws-lambda-ric/bin/index.mjs");
        format!("node {} {handler}", ric.display())
    }
}

/// A copy of an example app in a temporary folder (beside the Node runtime interface
/// client and SDK, as after `npm install` in it), with a table of its own on moto.
struct App {
    _dir: tempfile::TempDir,
    root: PathBuf,
    table: String,
}

impl App {
    /// The app with its table created on moto.
    async fn new(name: &str) -> Self {
        let app = Self::copy(name);
        create_table(&app.table).await;
        app
    }

    /// The app, its table named but not created.
    fn copy(name: &str) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join(name);
        copy_dir(&repo().join("examples/local-gateway").join(name), &root);
        if name.ends_with("node") {
            std::os::unix::fs::symlink(node_modules(), root.join("node_modules")).unwrap();
        }
        Self {
            _dir: dir,
            root,
            table: unique_name(name),
        }
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

async fn next_json(ws: &mut crate::functions::Ws) -> Value {
    let text = next_text(ws).await;
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"))
}

/// The chat as a user sees it: a wrong or missing token gets no socket; two users chat
/// through `@connections` (a connection gone without `$disconnect` is dropped from the
/// table when its post answers 410); the two-way echo route answers; leaving empties the
/// table.
async fn chat_session(s: &Served, app: &App) {
    assert_eq!(status(s.open("token=wrong&user=eve").await), 403);
    assert_eq!(status(s.open("user=eve").await), 401);
    assert!(app.connections().await.is_empty());

    let mut alice = s
        .open(&format!("token={TOKEN}&user=alice"))
        .await
        .expect("alice connects");
    let mut bob = s
        .open(&format!("token={TOKEN}&user=bob"))
        .await
        .expect("bob connects");
    app.wait_for_connections(2).await;
    let stale = "c3RhbGUtY29ubmVjdGlvbg=";
    dynamodb()
        .await
        .put_item()
        .table_name(&app.table)
        .item("connectionId", AttributeValue::S(stale.into()))
        .send()
        .await
        .expect("a stale connection in the table");

    alice.send(chat("hello bob")).await.unwrap();
    let said = json!({"from": "alice", "data": "hello bob"});
    assert_eq!(next_json(&mut alice).await, said);
    assert_eq!(next_json(&mut bob).await, said);
    let left = app.wait_for_connections(2).await;
    assert!(!left.contains(&stale.to_owned()), "{left:?}");

    let echo = json!({"action": "echo", "data": "ping"}).to_string();
    bob.send(Message::text(echo)).await.unwrap();
    assert_eq!(next_json(&mut bob).await, json!({"echo": "ping"}));

    drop(bob);
    app.wait_for_connections(1).await;
    drop(alice);
    app.wait_for_connections(0).await;
}

/// `wsproxy serve --template` of the app, its table given as `--parameter`.
async fn serve_template(app: &App) -> Served {
    let template = app.root.join("template.yaml");
    let python = venv_python();
    Served::start(&[
        "--template",
        template.to_str().unwrap(),
        "--parameter",
        &format!("TableName={}", app.table),
        "--python",
        python.to_str().unwrap(),
    ])
    .await
}

/// `wsproxy serve --terraform` of the app, its table given as `--var`.
async fn serve_terraform(app: &App) -> Served {
    let python = venv_python();
    Served::start(&[
        "--terraform",
        app.root.to_str().unwrap(),
        "--var",
        &format!("table_name={}", app.table),
        "--python",
        python.to_str().unwrap(),
    ])
    .await
}

#[tokio::test]
async fn the_python_chat_from_its_template() {
    let app = App::new("chat-python").await;
    chat_session(&serve_template(&app).await, &app).await;
}

#[tokio::test]
async fn the_python_chat_from_its_terraform() {
    let app = App::new("chat-python").await;
    chat_session(&serve_terraform(&app).await, &app).await;
}

#[tokio::test]
async fn the_node_chat_from_its_template() {
    let app = App::new("chat-node").await;
    chat_session(&serve_template(&app).await, &app).await;
}

#[tokio::test]
async fn the_node_chat_from_its_terraform() {
    let app = App::new("chat-node").await;
    chat_session(&serve_terraform(&app).await, &app).await;
}

#[tokio::test]
async fn an_app_that_cannot_run_is_refused_before_listening() {
    // A handler's file is missing: the template, the function and the file are named.
    let app = App::copy("chat-python");
    std::fs::remove_file(app.root.join("src/echo.py")).unwrap();
    let template = app.root.join("template.yaml");
    let python = venv_python();
    let err = refused(&[
        "--template",
        template.to_str().unwrap(),
        "--python",
        python.to_str().unwrap(),
    ])
    .await;
    assert!(
        err.contains("template.yaml") && err.contains("EchoFunction") && err.contains("echo.py"),
        "{err}"
    );

    // No aws-lambda-ric beside the Node app (nor globally): the command that installs it.
    let app = App::copy("chat-node");
    std::fs::remove_file(app.root.join("node_modules")).unwrap();
    let global = std::process::Command::new("npm")
        .args(["root", "-g"])
        .output()
        .map(|o| PathBuf::from(String::from_utf8_lossy(&o.stdout).trim()))
        .is_ok_and(|g| g.join("aws-lambda-ric").is_dir());
    if !global {
        let err = refused(&["--terraform", app.root.to_str().unwrap()]).await;
        assert!(
            err.contains("main.tf")
                && err.contains("aws_lambda_function.")
                && err.contains("npm install aws-lambda-ric"),
            "{err}"
        );
    }
}
