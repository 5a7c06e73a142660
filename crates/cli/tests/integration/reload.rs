//! `wsproxy serve --lambda`: editing the function's file takes effect at the next message on
//! the same socket, with a log line saying so; `--no-reload` keeps the running process.

use crate::functions::Served;
use crate::tls::temp_dir;
use futures::{SinkExt as _, StreamExt as _};
use std::time::Duration;
use tokio_tungstenite::tungstenite::Message;

const WAIT: Duration = Duration::from_secs(30);

/// Pushes `ANSWER:BODY` back to the sender of each message.
const FUNCTION: &str = r#"
import json, os, urllib.parse, urllib.request
ANSWER = "v1"
API = "http://" + os.environ["AWS_LAMBDA_RUNTIME_API"] + "/2018-06-01/runtime"
while True:
    with urllib.request.urlopen(API + "/invocation/next") as r:
        request_id = r.headers["Lambda-Runtime-Aws-Request-Id"]
        event = json.loads(r.read())
    ctx = event["requestContext"]
    if ctx["eventType"] == "MESSAGE":
        url = os.environ["API_GATEWAY_ENDPOINT"] + "/@connections/" + urllib.parse.quote(ctx["connectionId"], safe="")
        text = (ANSWER + ":" + event["body"]).encode()
        urllib.request.urlopen(urllib.request.Request(url, data=text, method="POST")).read()
    done = urllib.request.Request(API + f"/invocation/{request_id}/response", data=b'{"statusCode":200}', method="POST")
    urllib.request.urlopen(done).read()
"#;

type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// Sends `body` and returns the function's answer.
async fn ask(ws: &mut Ws, body: &str) -> String {
    ws.send(Message::text(body)).await.unwrap();
    loop {
        let frame = tokio::time::timeout(WAIT, ws.next())
            .await
            .expect("an answer in time")
            .expect("open")
            .expect("a frame");
        if let Message::Text(t) = frame {
            return t.to_string();
        }
    }
}

/// Serves the function of `dir` with `extra` flags, asks, edits it to answer v2, asks again
/// on the same socket; returns both answers and the log.
async fn edit_between_two_messages(
    dir: &std::path::Path,
    extra: &[&str],
) -> (String, String, String) {
    std::fs::write(dir.join("app.py"), FUNCTION).unwrap();
    let function_dir = format!("wsproxy-local={}", dir.display());
    let mut flags = vec![
        "--backend-url",
        "http://127.0.0.1:9",
        "--lambda",
        "python3 app.py",
        "--function-dir",
        &function_dir,
        "--no-tls",
    ];
    flags.extend_from_slice(extra);
    let Served {
        child,
        ws: ws_url,
        log,
        ..
    } = Served::launch(&flags, &[]).await;
    let (mut ws, _) = tokio::time::timeout(WAIT, tokio_tungstenite::connect_async(&ws_url))
        .await
        .expect("the handshake ended")
        .expect("connected");
    let first = ask(&mut ws, "a").await;
    std::fs::write(dir.join("app.py"), FUNCTION.replace("\"v1\"", "\"v2\"")).unwrap();
    let second = ask(&mut ws, "b").await;
    drop((ws, child));
    let log = log.lock().unwrap().clone();
    (first, second, log)
}

#[tokio::test]
async fn an_edited_function_answers_the_next_message() {
    let dir = temp_dir("reload");
    let (first, second, log) = edit_between_two_messages(&dir, &[]).await;
    assert_eq!((first.as_str(), second.as_str()), ("v1:a", "v2:b"), "{log}");
    let reloaded: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("function reloaded"))
        .collect();
    assert_eq!(reloaded.len(), 1, "one line says so: {log}");
    assert!(reloaded[0].contains("wsproxy-local"), "{}", reloaded[0]);

    let (first, second, log) = edit_between_two_messages(&dir, &["--no-reload"]).await;
    assert_eq!((first.as_str(), second.as_str()), ("v1:a", "v1:b"), "{log}");
    assert!(!log.contains("function reloaded"), "{log}");
    let _ = std::fs::remove_dir_all(&dir);
}
