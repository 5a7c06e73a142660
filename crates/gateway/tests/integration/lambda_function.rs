//! The gateway's Lambda mode with a real function: `examples/echo_function.rs`, built with the
//! `lambda_runtime` crate, run as child processes behind the local Runtime API; real
//! WebSocket clients, and the real `aws-sdk-lambda` client for the Invoke API.

use crate::common::{expect_close, fixture, key_paths, next_text, within, PATIENCE};
use crate::lambda_setup::{refusal, Setup};
use aws_sdk_lambda::primitives::Blob;
use aws_sdk_lambda::types::InvocationType;
use futures::SinkExt as _;
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::Message;

#[tokio::test]
async fn connect_message_and_disconnect_reach_the_function() {
    let mut s = Setup::start(|_| {}).await;

    // A refused $connect: the client sees the function's status (its body is the event).
    let (status, body) = refusal(s.open("deny=1&token=a%2Bb").await);
    assert_eq!(status, 401);
    let connect: Value = serde_json::from_str(&body).expect("the connect event");
    assert_eq!(
        key_paths(&connect),
        key_paths(&fixture("apigw-websocket-connect.json"))
    );
    let ctx = &connect["requestContext"];
    assert_eq!(ctx["routeKey"], "$connect");
    assert_eq!(ctx["eventType"], "CONNECT");
    assert_eq!(ctx["stage"], "dev");
    assert_eq!(ctx["apiId"], "local");
    assert_eq!(ctx["domainName"], s.addr.to_string());
    assert_eq!(ctx["identity"]["sourceIp"], "127.0.0.1");
    assert_eq!(ctx["identity"]["userAgent"], "wsproxy-test/1.0");
    assert_eq!(connect["queryStringParameters"]["token"], "a+b");
    assert_eq!(connect["headers"]["User-Agent"], "wsproxy-test/1.0");

    // An accepted one; a message event, delivered with the keys of a real one.
    let (mut watcher, watcher_id, message) = s.connect("").await;
    assert_eq!(
        key_paths(&message),
        key_paths(&fixture("apigw-websocket-message.json"))
    );
    assert_eq!(message["requestContext"]["eventType"], "MESSAGE");
    assert_eq!(message["requestContext"]["routeKey"], "$default");
    assert_eq!(message["body"], "event");
    assert_eq!(message["isBase64Encoded"], false);
    watcher.send(Message::text("hello")).await.unwrap();
    assert_eq!(next_text(&mut watcher).await, "echo:hello");

    // A $disconnect event, sent by the function to the watcher.
    let (mut client, client_id, _) = s.connect(&format!("watch={watcher_id}")).await;
    client
        .close(Some(CloseFrame {
            code: CloseCode::Normal,
            reason: "done".into(),
        }))
        .await
        .unwrap();
    let disconnect: Value = serde_json::from_str(&next_text(&mut watcher).await).unwrap();
    assert_eq!(
        key_paths(&disconnect),
        key_paths(&fixture("apigw-websocket-disconnect.json"))
    );
    let ctx = &disconnect["requestContext"];
    assert_eq!(ctx["eventType"], "DISCONNECT");
    assert_eq!(ctx["connectionId"], client_id.as_str());
    assert_eq!(ctx["disconnectStatusCode"], 1000);
    assert_eq!(ctx["disconnectReason"], "done");

    s.shutdown().await;
    let stats = s.lambda.stats();
    assert_eq!((stats.crashes, stats.function_errors), (0, 0), "{stats:?}");
    assert!(stats.processes.iter().all(|p| !p.running), "{stats:?}");
}

#[tokio::test]
async fn two_processes_run_two_slow_messages_at_once() {
    let mut s = Setup::start(|c| c.concurrency = 2).await;
    assert!(s.lambda.ready(PATIENCE).await, "{:?}", s.lambda.stats());
    let (mut a, _, _) = s.connect("").await;
    let (mut b, _, _) = s.connect("").await;
    a.send(Message::text("sleep")).await.unwrap();
    b.send(Message::text("sleep")).await.unwrap();
    let ra: Value = serde_json::from_str(&next_text(&mut a).await).unwrap();
    let rb: Value = serde_json::from_str(&next_text(&mut b).await).unwrap();
    assert_ne!(ra["pid"], rb["pid"], "two processes: {ra} {rb}");
    let (sa, ea) = (ra["start"].as_u64().unwrap(), ra["end"].as_u64().unwrap());
    let (sb, eb) = (rb["start"].as_u64().unwrap(), rb["end"].as_u64().unwrap());
    assert!(sa < eb && sb < ea, "the sleeps overlap: {ra} {rb}");
    s.shutdown().await;
}

#[tokio::test]
async fn a_crash_answers_502_and_a_fresh_process_takes_over() {
    let mut s = Setup::start(|_| {}).await;
    // The process exits during $connect: the upgrade is refused with 502.
    let (status, _) = refusal(s.open("crash=1").await);
    assert_eq!(status, 502);
    // The next event runs on a new process.
    let (mut ws, _, _) = s.connect("").await;
    // A crash on a message: that event is lost (502), the client gets API Gateway's error
    // frame, the socket stays, the next one works.
    ws.send(Message::text("crash")).await.unwrap();
    ws.send(Message::text("after")).await.unwrap();
    assert_internal_server_error(&next_text(&mut ws).await);
    assert_eq!(next_text(&mut ws).await, "echo:after");
    let stats = s.lambda.stats();
    assert_eq!(stats.crashes, 2, "{stats:?}");
    assert_eq!(stats.processes.len(), 3, "{stats:?}");
    let exits: Vec<_> = stats.processes[..2]
        .iter()
        .map(|p| p.exit.clone())
        .collect();
    assert_eq!(
        exits,
        vec![
            Some("exit status: 3".to_owned()),
            Some("exit status: 3".to_owned())
        ]
    );
    assert!(stats.processes[2].running);
    s.shutdown().await;
}

#[tokio::test]
async fn the_function_error_path_answers_502() {
    let mut s = Setup::start(|_| {}).await;
    let (mut ws, _, _) = s.connect("").await;
    ws.send(Message::text("error")).await.unwrap();
    ws.send(Message::text("still-here")).await.unwrap();
    assert_internal_server_error(&next_text(&mut ws).await);
    assert_eq!(next_text(&mut ws).await, "echo:still-here");
    let stats = s.lambda.stats();
    assert_eq!((stats.function_errors, stats.crashes), (1, 0), "{stats:?}");
    assert_eq!(stats.processes.len(), 1, "the process survives its errors");
    s.shutdown().await;
}

#[tokio::test]
async fn a_timed_out_invocation_answers_502_and_its_process_is_replaced() {
    let mut s = Setup::start(|c| c.timeout = std::time::Duration::from_secs(1)).await;
    assert!(s.lambda.ready(PATIENCE).await, "{:?}", s.lambda.stats());
    let (status, _) = refusal(s.open("hang=1").await);
    assert_eq!(status, 502);
    assert!(s.lambda.ready(PATIENCE).await, "{:?}", s.lambda.stats());
    let (mut ws, _, _) = s.connect("").await;
    ws.send(Message::text("fine")).await.unwrap();
    assert_eq!(next_text(&mut ws).await, "echo:fine");
    let stats = s.lambda.stats();
    assert_eq!(stats.timeouts, 1, "{stats:?}");
    assert!(stats.processes[0]
        .exit
        .as_deref()
        .is_some_and(|e| e.starts_with("killed")));
    s.shutdown().await;
}

#[tokio::test]
async fn the_invoke_api_works_with_the_aws_sdk() {
    let mut s = Setup::start(|_| {}).await;
    let (mut ws, id, _) = s.connect("").await;
    let client = s.lambda_client();

    // Event: 202 at once, and the function runs (it pushes "from-self").
    let payload = json!({"internal": true, "connection_id": id});
    let out = within(
        "Invoke (Event)",
        client
            .invoke()
            .function_name("wsproxy-local")
            .invocation_type(InvocationType::Event)
            .payload(Blob::new(payload.to_string()))
            .send(),
    )
    .await
    .expect("Invoke");
    assert_eq!(out.status_code(), 202);
    assert_eq!(next_text(&mut ws).await, "from-self");

    // RequestResponse by ARN: the function's result.
    let out = within(
        "Invoke (RequestResponse)",
        client
            .invoke()
            .function_name(s.lambda.function_arn())
            .payload(Blob::new(payload.to_string()))
            .send(),
    )
    .await
    .expect("Invoke");
    assert_eq!(out.status_code(), 200);
    assert_eq!(out.function_error(), None);
    let result: Value = serde_json::from_slice(out.payload().unwrap().as_ref()).unwrap();
    assert_eq!(result, json!({"ok": true}));
    assert_eq!(next_text(&mut ws).await, "from-self");

    // A function error: 200 with X-Amz-Function-Error.
    let out = within(
        "Invoke (error)",
        client
            .invoke()
            .function_name("wsproxy-local")
            .payload(Blob::new(r#"{"not":"an event"}"#))
            .send(),
    )
    .await
    .expect("Invoke");
    assert_eq!(out.function_error(), Some("Unhandled"));

    // An unknown function.
    let err = within(
        "Invoke (unknown)",
        client.invoke().function_name("nope").send(),
    )
    .await
    .expect_err("unknown function");
    let err = err.into_service_error();
    assert!(err.is_resource_not_found_exception(), "{err:?}");

    // The function invoking itself, as the Lambda host does after $connect.
    ws.send(Message::text("invoke-self")).await.unwrap();
    assert_eq!(next_text(&mut ws).await, "from-self");
    s.shutdown().await;
}

#[tokio::test]
async fn init_time_and_peak_memory_are_reported() {
    let mut s = Setup::start(|_| {}).await;
    assert!(s.lambda.ready(PATIENCE).await, "{:?}", s.lambda.stats());
    let (mut ws, _, _) = s.connect("").await;
    ws.send(Message::text("x")).await.unwrap();
    assert_eq!(next_text(&mut ws).await, "echo:x");
    let stats = s.lambda.stats();
    let p = &stats.processes[0];
    let init = p.init.expect("init time");
    let rss = p.peak_rss_kib.expect("peak RSS");
    assert!(rss > 0);
    assert_eq!(p.invocations, 3, "$connect and two messages: {stats:?}");
    eprintln!(
        "echo_function: init {} ms, peak RSS {} KiB",
        init.as_millis(),
        rss
    );
    s.shutdown().await;
}

#[tokio::test]
async fn a_binary_that_crashes_at_init_is_given_up() {
    let mut s = Setup::start(|c| {
        c.env.push(("ECHO_CRASH_AT_INIT".into(), "1".into()));
    })
    .await;
    within("the slot to give up", async {
        loop {
            let stats = s.lambda.stats();
            if stats.processes.len() >= 5 && stats.processes.iter().all(|p| !p.running) {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
    })
    .await;
    let (status, _) = refusal(s.open("").await);
    assert_eq!(status, 502);
    let stats = s.lambda.stats();
    assert_eq!(stats.processes.len(), 5, "no more restarts: {stats:?}");
    assert!(stats
        .processes
        .iter()
        .all(|p| p.init.is_none() && p.exit.as_deref() == Some("exit status: 1")));
    s.shutdown().await;
}

#[tokio::test]
async fn shutdown_still_delivers_disconnect() {
    let mut s = Setup::start(|_| {}).await;
    let (mut ws, _, _) = s.connect("").await;
    s.serving.stop();
    let frame = expect_close(&mut ws).await.expect("a close frame");
    assert_eq!(frame.code, CloseCode::Away);
    within("serve to return", s.serving.stopped())
        .await
        .unwrap();
    // `serve` returned after `$disconnect` ($connect, the "event" message, then it) ran on
    // the function, which still runs.
    let stats = s.lambda.stats();
    assert_eq!((stats.invocations, stats.responses), (3, 3), "{stats:?}");
    assert!(stats.processes[0].running);
    s.shutdown().await;
    assert!(s.lambda.stats().processes.iter().all(|p| !p.running));
}

#[tokio::test]
async fn a_process_reporting_an_init_error_is_ended_and_given_up() {
    let mut s = Setup::start(|c| {
        c.env.push(("ECHO_INIT_ERROR".into(), "1".into()));
    })
    .await;
    within("the slot to give up", async {
        loop {
            let stats = s.lambda.stats();
            if stats.processes.len() >= 5 && stats.processes.iter().all(|p| !p.running) {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
    })
    .await;
    let stats = s.lambda.stats();
    assert_eq!(stats.processes.len(), 5, "{stats:?}");
    for p in &stats.processes {
        let error = p.init_error.as_deref().unwrap_or_default();
        assert!(error.starts_with("Runtime.InitError"), "{p:?}");
        assert!(
            p.exit.as_deref().is_some_and(|e| e.starts_with("killed")),
            "{p:?}"
        );
    }
    let (status, _) = refusal(s.open("").await);
    assert_eq!(status, 502);
    s.shutdown().await;
}

/// API Gateway's frame for a failed message route.
fn assert_internal_server_error(text: &str) {
    let frame: Value = serde_json::from_str(text).expect(text);
    assert_eq!(frame["message"], "Internal server error", "{text}");
    assert!(frame["connectionId"].is_string() && frame["requestId"].is_string());
}
