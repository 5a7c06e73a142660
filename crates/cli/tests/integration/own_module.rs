//! `wsproxy serve --terraform infra/terraform/envs/dev`: this repository's own module run
//! locally. Its function is wsproxy's `bootstrap` from the package zip, its backend the demo
//! backend, its table on moto; the module's AWS `@connections` URL is pointed at the gateway.

use crate::functions::{next_text, Served};
use futures::SinkExt as _;
use std::path::{Path, PathBuf};
use tokio_tungstenite::tungstenite::Message;
use wsproxy_test_support::moto::{dynamodb, unique_name};
use wsproxy_test_support::runtimes::repo;

/// The debug `bootstrap` beside the `wsproxy` under test (the workspace's test run builds it).
fn bootstrap() -> PathBuf {
    let path = PathBuf::from(env!("CARGO_BIN_EXE_wsproxy")).with_file_name("bootstrap");
    assert!(
        path.is_file(),
        "{} is missing: build it with `cargo build -p wsproxy-lambda --bin bootstrap`",
        path.display()
    );
    path
}

/// A package zip holding `bootstrap` (mode 0755), as `wsproxy package` makes it.
fn package(dir: &Path) -> PathBuf {
    let path = dir.join("bootstrap.zip");
    let mut zip = zip::ZipWriter::new(std::fs::File::create(&path).unwrap());
    let options = zip::write::SimpleFileOptions::default().unix_permissions(0o755);
    zip.start_file("bootstrap", options).unwrap();
    std::io::copy(&mut std::fs::File::open(bootstrap()).unwrap(), &mut zip).unwrap();
    zip.finish().unwrap();
    path
}

#[tokio::test]
async fn this_repositorys_dev_environment_runs_locally() {
    let backend = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let backend_url = format!("http://{}", backend.local_addr().unwrap());
    tokio::spawn(wsproxy_demo::serve_backend(
        backend,
        wsproxy_demo::DemoConfig::default(),
    ));
    let name = unique_name("own-module");
    let table = format!("{name}-connections");
    wsproxy_aws::create_table(&dynamodb().await, &table)
        .await
        .expect("the table is created on moto");
    let dir = tempfile::tempdir().unwrap();
    let zip = package(dir.path());
    let env = repo().join("infra/terraform/envs/dev");
    let served = Served::start(&[
        "--no-tls",
        "--terraform",
        &env.display().to_string(),
        "--var",
        &format!("backend_url={backend_url}"),
        "--var",
        &format!("websocket_lambda_package={}", zip.display()),
        "--var",
        &format!("name={name}"),
    ])
    .await;
    served.logged(&["the function process is ready"]).await;

    let mut alice = served
        .open("type=chat&booking_id=b1&token=user:alice")
        .await
        .expect("alice connects through wsproxy's function and the backend");
    // The post-connect delivery, pushed by the function through the local @connections.
    next_text(&mut alice).await;
    alice
        .send(Message::text(r#"{"text":"hello from the module"}"#))
        .await
        .unwrap();
    let echoed = next_text(&mut alice).await;
    assert!(echoed.contains("hello from the module"), "{echoed}");
    let stored = dynamodb()
        .await
        .scan()
        .table_name(&table)
        .send()
        .await
        .unwrap();
    assert_eq!(
        stored.count(),
        1,
        "the function keeps alice in the module's table"
    );
    let _ = dynamodb()
        .await
        .delete_table()
        .table_name(&table)
        .send()
        .await;
}
