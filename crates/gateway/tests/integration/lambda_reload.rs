//! The fast loop: a real function (a Python script speaking the Runtime API with the standard
//! library only) is edited while a client stays connected; the next message runs on the new
//! code, and a process busy with an event finishes it first.

use crate::common::{next_text, within};
use futures::SinkExt as _;
use std::path::{Path, PathBuf};
use tokio_tungstenite::tungstenite::Message;
use wsproxy_gateway::function_integration::{
    FunctionsConfig, FunctionsHandle, LocalFunctionConfig,
};
use wsproxy_gateway::Gateway;

/// The function: pushes `ANSWER:BODY` to the sender; a body "slow" first pushes "started",
/// then waits a second.
const FUNCTION: &str = r#"
import json, os, time, urllib.parse, urllib.request
ANSWER = "v1"
API = "http://" + os.environ["AWS_LAMBDA_RUNTIME_API"] + "/2018-06-01/runtime"

def push(ctx, text):
    url = os.environ["API_GATEWAY_ENDPOINT"] + "/@connections/" + urllib.parse.quote(ctx["connectionId"], safe="")
    urllib.request.urlopen(urllib.request.Request(url, data=text.encode(), method="POST")).read()

while True:
    with urllib.request.urlopen(API + "/invocation/next") as r:
        request_id = r.headers["Lambda-Runtime-Aws-Request-Id"]
        event = json.loads(r.read())
    ctx = event["requestContext"]
    if ctx["eventType"] == "MESSAGE":
        if event["body"] == "slow":
            push(ctx, "started")
            time.sleep(1)
        push(ctx, ANSWER + ":" + event["body"])
    done = urllib.request.Request(API + f"/invocation/{request_id}/response", data=b'{"statusCode":200}', method="POST")
    urllib.request.urlopen(done).read()
"#;

/// A fresh folder holding the function as `app.py`.
fn function_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("wsproxy-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("app.py"), FUNCTION).unwrap();
    dir
}

/// Rewrites the function to answer `answer`.
fn edit(dir: &Path, answer: &str) {
    let code = FUNCTION.replace("ANSWER = \"v1\"", &format!("ANSWER = \"{answer}\""));
    std::fs::write(dir.join("app.py"), code).unwrap();
}

#[tokio::test]
async fn an_edited_function_answers_the_next_message_on_the_same_socket() {
    let dir = function_dir("reload");
    let function_dir = dir.clone();
    let functions = FunctionsHandle::default();
    let mut serving = Gateway::builder()
        .listen("127.0.0.1:0".parse().unwrap())
        .functions_into(&functions, move |endpoint| {
            let mut f = LocalFunctionConfig::new("python3");
            f.args = vec!["app.py".into()];
            f.working_dir = Some(function_dir);
            f.env = vec![("API_GATEWAY_ENDPOINT".into(), endpoint.to_owned())];
            FunctionsConfig::single(f)
        })
        .bind()
        .await
        .expect("the gateway starts")
        .spawn();
    let url = format!("ws://{}/dev", serving.local_addr());
    let (mut ws, _) = within("the handshake", tokio_tungstenite::connect_async(&url))
        .await
        .expect("connected");
    let (mut other, _) = within("the handshake", tokio_tungstenite::connect_async(&url))
        .await
        .expect("connected");

    ws.send(Message::text("a")).await.unwrap();
    assert_eq!(next_text(&mut ws).await, "v1:a");
    edit(&dir, "v2");
    ws.send(Message::text("b")).await.unwrap();
    assert_eq!(
        next_text(&mut ws).await,
        "v2:b",
        "an idle process is replaced"
    );

    // A busy process finishes its event on the old code; the next event (another socket's,
    // which waits for the one process) runs on the new.
    ws.send(Message::text("slow")).await.unwrap();
    assert_eq!(next_text(&mut ws).await, "started");
    edit(&dir, "v3");
    other.send(Message::text("c")).await.unwrap();
    assert_eq!(next_text(&mut ws).await, "v2:slow", "not killed mid-event");
    assert_eq!(next_text(&mut other).await, "v3:c");

    let stats = functions.default_function().expect("a function").stats();
    assert_eq!(stats.crashes, 0, "{stats:?}");
    assert_eq!(
        stats.processes.len(),
        3,
        "one process per version: {stats:?}"
    );
    drop((ws, other));
    within("shutdown", serving.shutdown()).await.unwrap();
    let _ = std::fs::remove_dir_all(&dir);
}
