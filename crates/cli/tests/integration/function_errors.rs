//! Functions that fail under their real runtime interface clients (awslambdaric,
//! aws-lambda-ric): a handler that raises on `$connect` or on a message, and one whose
//! module raises at import. Each is answered as API Gateway does (502 on `$connect`, the
//! `Internal server error` frame on a message route) and the gateway keeps serving.
//! (A process that hangs or exits at init: functions.rs.)

use crate::functions::{next_text, status, Served};
use crate::local_gateway::runtime_command;
use futures::SinkExt as _;
use serde_json::Value;
use std::path::Path;
use tokio_tungstenite::tungstenite::Message;

/// Serves tests/functions/raising.{py,js} as the app's `$default` (two-way) and `$connect`,
/// and again, raising at import, as the `broken` route's function.
async fn serve(runtime: &str) -> Served {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/functions");
    let command = runtime_command(runtime, "raising.handler");
    let dir_of = |name: &str| format!("{name}={}", dir.display());
    let flags = [
        "--route".to_owned(),
        "broken".into(),
        "--route-response".into(),
        "$default".into(),
        "--lambda".into(),
        command.clone(),
        "--function-dir".into(),
        dir_of("wsproxy-local"),
        "--function".into(),
        format!("broken={command}"),
        "--function-dir".into(),
        dir_of("broken"),
        "--function-env".into(),
        "broken:RAISE_AT_INIT=1".into(),
        "--route-function".into(),
        "broken=broken".into(),
    ];
    Served::start(&flags.iter().map(String::as_str).collect::<Vec<_>>()).await
}

/// The frame API Gateway sends when a message route's integration failed.
async fn error_frame(ws: &mut crate::functions::Ws) -> Value {
    let text = next_text(ws).await;
    let frame: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"));
    assert_eq!(frame["message"], "Internal server error", "{frame}");
    assert!(frame["requestId"].is_string(), "{frame}");
    frame
}

async fn failures_are_answered_and_the_gateway_keeps_serving(runtime: &str, raised: &str) {
    let s = serve(runtime).await;
    assert_eq!(status(s.open("raise=1").await), 502);
    s.logged(&["[wsproxy-local#0]", raised]).await;

    let mut ws = s.open("").await.expect("a $connect that does not raise");
    ws.send(Message::text("please raise")).await.unwrap();
    error_frame(&mut ws).await;
    ws.send(Message::text("hello")).await.unwrap();
    assert_eq!(next_text(&mut ws).await, "ok:hello");

    // A module that raises at import: each of its events fails; the others still run.
    ws.send(Message::text(r#"{"action":"broken"}"#))
        .await
        .unwrap();
    error_frame(&mut ws).await;
    s.logged(&["[broken#0]", "at "]).await;
    ws.send(Message::text("still")).await.unwrap();
    assert_eq!(next_text(&mut ws).await, "ok:still");
    let mut again = s.open("").await.expect("new connections still open");
    again.send(Message::text("again")).await.unwrap();
    assert_eq!(next_text(&mut again).await, "ok:again");
}

#[tokio::test]
async fn python_functions_that_raise_are_answered_as_api_gateway_does() {
    failures_are_answered_and_the_gateway_keeps_serving("python", "raised on $connect on purpose")
        .await;
}

#[tokio::test]
async fn node_functions_that_throw_are_answered_as_api_gateway_does() {
    failures_are_answered_and_the_gateway_keeps_serving("node", "thrown on $connect on purpose")
        .await;
}
