//! The local CA's folder under `wsproxy serve`: four servers started at once on one empty
//! cache folder end with one CA, and each one's function reaches its `@connections` over
//! HTTPS trusting it; a truncated key found at start is replaced, said in one log line
//! naming the folder.

use crate::functions::{Served, WAIT};
use futures::{SinkExt as _, StreamExt as _};
use std::path::Path;
use tokio_tungstenite::tungstenite::Message;

/// A function that answers every message by posting `https ok` back to its caller through
/// the gateway's HTTPS `@connections` endpoint, trusting what the gateway told it to.
const HTTPS_FUNCTION: &str = r#"
import json, os, urllib.parse, urllib.request
API = "http://" + os.environ["AWS_LAMBDA_RUNTIME_API"] + "/2018-06-01/runtime"
HTTPS = os.environ["AWS_ENDPOINT_URL_APIGATEWAYMANAGEMENTAPI"]
assert HTTPS.startswith("https://"), HTTPS
while True:
    with urllib.request.urlopen(API + "/invocation/next") as r:
        request_id = r.headers["Lambda-Runtime-Aws-Request-Id"]
        event = json.loads(r.read())
    ctx = event["requestContext"]
    if ctx["eventType"] == "MESSAGE":
        url = HTTPS + "/@connections/" + urllib.parse.quote(ctx["connectionId"], safe="")
        urllib.request.urlopen(urllib.request.Request(url, data=b"https ok", method="POST")).read()
    done = urllib.request.Request(API + f"/invocation/{request_id}/response", data=b'{"statusCode":200}', method="POST")
    urllib.request.urlopen(done).read()
"#;

/// `wsproxy serve` running [`HTTPS_FUNCTION`] (written into `dir`) with `flags` and `env`.
async fn serve(dir: &Path, flags: &[&str], env: &[(&str, &str)]) -> Served {
    let app = dir.join("app.py");
    std::fs::write(&app, HTTPS_FUNCTION).unwrap();
    let command = format!("python3 {}", app.display());
    let mut all = vec!["--backend-url", "http://127.0.0.1:9", "--lambda", &command];
    all.extend_from_slice(flags);
    Served::launch(&all, env).await
}

/// Sends a message and waits for the function's answer, which it posted over HTTPS.
async fn posted_over_https(served: &Served) -> String {
    let mut ws = served.open("").await.expect("connected");
    ws.send(Message::text("hi")).await.unwrap();
    let answer = tokio::time::timeout(WAIT, async {
        loop {
            match ws.next().await {
                Some(Ok(Message::Text(t))) => return t.to_string(),
                Some(Ok(_)) => continue,
                other => return format!("no answer: {other:?}"),
            }
        }
    })
    .await
    .unwrap_or_else(|_| "no answer in time".to_owned());
    format!("{answer}\n{}", served.log.lock().unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn four_servers_started_at_once_on_an_empty_cache_share_one_ca_their_functions_trust() {
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("cache");
    let cache_var = cache.display().to_string();
    let env = [("XDG_CACHE_HOME", cache_var.as_str())];
    let starts = (0..4).map(|_| serve(dir.path(), &[], &env));
    let servers = futures::future::join_all(starts).await;
    let tls = cache.join("wsproxy/tls");
    for served in &servers {
        let answer = posted_over_https(served).await;
        assert!(
            answer.starts_with("https ok"),
            "the function of {} could not post over HTTPS: {answer}",
            served.ws
        );
    }
    let ca = std::fs::read_to_string(tls.join("ca.pem")).unwrap();
    let bundle = std::fs::read_to_string(tls.join("bundle.pem")).unwrap();
    assert!(bundle.ends_with(&ca), "bundle.pem closes with ca.pem");
}

#[tokio::test]
async fn a_truncated_key_is_replaced_and_said_so() {
    let dir = tempfile::tempdir().unwrap();
    let tls = dir.path().join("tls");
    let flags = ["--tls-dir", tls.to_str().unwrap()];
    let first = serve(dir.path(), &flags, &[]).await;
    drop(first);
    let key = tls.join("ca-key.pem");
    let text = std::fs::read_to_string(&key).unwrap();
    std::fs::write(&key, &text[..text.len() / 2]).unwrap();
    let served = serve(dir.path(), &flags, &[]).await;
    let line = served
        .logged(&["the local CA in", tls.to_str().unwrap(), "was broken"])
        .await;
    assert!(line.contains("ca-key.pem"), "{line}");
    let answer = posted_over_https(&served).await;
    assert!(answer.starts_with("https ok"), "{answer}");
    assert!(tls.join("ca-key.pem.broken").is_file());
}
