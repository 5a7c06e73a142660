//! Route responses and failed message routes, with real function processes and real
//! WebSocket clients: a two-way route's `body` comes back on the socket, a one-way route's
//! does not, and a route whose function raises, hangs, answers garbage or answers more than
//! the message quota gets API Gateway's error frame while the socket stays usable.

use crate::common::within;
use crate::lambda_authorizer::{ask, App, TIMEOUT};
use futures::SinkExt as _;
use serde_json::Value;
use std::time::Instant;
use tokio_tungstenite::tungstenite::Message;

/// Checks API Gateway's error frame for `connection_id`.
fn assert_error_frame(frame: &Value, connection_id: &Value) {
    assert_eq!(frame["message"], "Internal server error", "{frame}");
    assert_eq!(&frame["connectionId"], connection_id, "{frame}");
    assert!(
        frame["requestId"].as_str().is_some_and(|r| !r.is_empty()),
        "{frame}"
    );
    assert_eq!(frame.as_object().map(|o| o.len()), Some(3), "{frame}");
}

#[tokio::test]
async fn a_two_way_route_answers_the_client_and_a_one_way_route_does_not() {
    let mut app = App::start().await;
    let mut ws = app.allowed().await;
    // The one-way $default route answers a body; the client gets nothing from it, so the
    // next message it reads is the two-way echo's.
    ws.send(Message::text(r#"{"action":"nothing-back"}"#))
        .await
        .unwrap();
    let echoed = ask(&mut ws, "echo").await;
    assert_eq!(echoed["event"]["requestContext"]["routeKey"], "echo");
    assert_eq!(app.invocations("app"), 3, "$connect, $default, echo");
    drop(ws);
    app.shutdown().await;
}

#[tokio::test]
async fn failed_message_routes_get_the_error_frame_and_the_socket_stays_usable() {
    let mut app = App::start().await;
    let mut ws = app.allowed().await;
    let id = ask(&mut ws, "echo").await["event"]["requestContext"]["connectionId"].clone();

    // The handler raises; it answers something that is not a proxy answer; its body is
    // over the 128 KB message quota: each gets the error frame.
    // The frame's requestId is that of the event the function got.
    for action in ["raise", "bad", "big"] {
        let frame = ask(&mut ws, action).await;
        assert_error_frame(&frame, &id);
        if action != "big" {
            let previous = &ask(&mut ws, "echo").await["previous"];
            assert_eq!(previous["requestContext"]["requestId"], frame["requestId"]);
        }
    }
    // It hangs: the error frame comes once its timeout has passed.
    let sent = Instant::now();
    let frame = ask(&mut ws, "hang").await;
    assert_error_frame(&frame, &id);
    assert!(sent.elapsed() >= TIMEOUT, "{:?}", sent.elapsed());

    // The socket still works, on a fresh process.
    let echoed = within("the echo after the failures", ask(&mut ws, "echo")).await;
    assert_eq!(echoed["event"]["requestContext"]["connectionId"], id);
    let stats = app.functions().get("app").unwrap().stats();
    assert_eq!((stats.function_errors, stats.timeouts), (1, 1), "{stats:?}");
    drop(ws);
    app.shutdown().await;
}

#[tokio::test]
async fn a_message_route_without_an_integration_gets_forbidden() {
    // An API without a $default route: only $connect and echo have a function.
    let mut app = App::start_with(|c| {
        c.routes_only = true;
        c.default_function = None;
        for route in ["$connect", "echo"] {
            c.routes.insert(route.into(), "app".into());
        }
    })
    .await;
    let mut ws = app.allowed().await;
    let frame = ask(&mut ws, "nothing-back").await;
    assert_eq!(frame["message"], "Forbidden", "{frame}");
    assert!(frame["connectionId"].is_string() && frame["requestId"].is_string());
    let echoed = ask(&mut ws, "echo").await;
    assert_eq!(
        echoed["event"]["requestContext"]["connectionId"],
        frame["connectionId"]
    );
    // $connect and echo ran; neither $default nor, once closed, $disconnect.
    drop(ws);
    app.shutdown().await;
    assert_eq!(app.invocations("app"), 2);
    assert_eq!(app.functions().authorized_connections(), 0);
}
