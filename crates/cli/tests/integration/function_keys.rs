//! `wsproxy serve` with `WSPROXY_ACCESS_KEY_ID`/`WSPROXY_SECRET_ACCESS_KEY`: a boto3 function
//! signs its `@connections` calls with the keys it was given (the developer's AWS keys) and
//! works unchanged; a stranger's keys still get 403; no secret reaches the log.

use crate::functions::{next_text, Served};
use crate::tls::temp_dir;
use futures::SinkExt as _;
use std::path::PathBuf;
use tokio_tungstenite::tungstenite::Message;

/// Posts back through `@connections` with boto3: `echo:BODY`, or the connection id for `id`.
const BOTO3_FUNCTION: &str = r#"
import json, os, urllib.request, boto3
API = "http://" + os.environ["AWS_LAMBDA_RUNTIME_API"] + "/2018-06-01/runtime"
client = boto3.client("apigatewaymanagementapi", endpoint_url=os.environ["API_GATEWAY_ENDPOINT"])
while True:
    with urllib.request.urlopen(API + "/invocation/next") as r:
        rid = r.headers["Lambda-Runtime-Aws-Request-Id"]
        event = json.loads(r.read())
    ctx = event["requestContext"]
    if ctx["eventType"] == "MESSAGE":
        body = event["body"]
        data = ctx["connectionId"] if body == "id" else "echo:" + body
        client.post_to_connection(ConnectionId=ctx["connectionId"], Data=data.encode())
    done = urllib.request.Request(API + f"/invocation/{rid}/response", data=b'{"statusCode":200}', method="POST")
    urllib.request.urlopen(done).read()
"#;

/// Posts to `@connections` signed with a key; prints the HTTP status.
const SIGNED_POST: &str = r#"
import sys, boto3, botocore
endpoint, key, secret, connection = sys.argv[1:5]
c = boto3.client("apigatewaymanagementapi", endpoint_url=endpoint, region_name="us-east-1",
                 aws_access_key_id=key, aws_secret_access_key=secret)
try:
    c.post_to_connection(ConnectionId=connection, Data=b"x")
    print(200)
except botocore.exceptions.ClientError as e:
    print(e.response["ResponseMetadata"]["HTTPStatusCode"])
"#;

/// The functions' Python, which has boto3 (`.tools/venv-functions`, or `WSPROXY_FUNCTIONS_PYTHON`).
fn python_with_boto3() -> PathBuf {
    let python = std::env::var_os("WSPROXY_FUNCTIONS_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                .join("../../.tools/venv-functions/bin/python3")
        });
    let ok = std::process::Command::new(&python)
        .args(["-c", "import boto3"])
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        ok,
        "{} has no boto3: run scripts/install-function-deps.sh (or set WSPROXY_FUNCTIONS_PYTHON \
         to a python3 that has boto3)",
        python.display()
    );
    python
}

#[tokio::test]
async fn functions_keep_their_own_keys_when_the_gateway_has_its_own() {
    let python = python_with_boto3();
    let dir = temp_dir("function-keys");
    std::fs::write(dir.join("app.py"), BOTO3_FUNCTION).unwrap();
    let command = format!("{} {}", python.display(), dir.join("app.py").display());
    let served = Served::launch(
        &[
            "--backend-url",
            "http://127.0.0.1:9",
            "--lambda",
            &command,
            "--no-tls",
            "--no-reload",
        ],
        &[
            ("WSPROXY_ACCESS_KEY_ID", "AKIDGATEWAY"),
            ("WSPROXY_SECRET_ACCESS_KEY", "gateway-secret-0001"),
            ("AWS_ACCESS_KEY_ID", "AKIDDEVELOPER"),
            ("AWS_SECRET_ACCESS_KEY", "developer-secret-0002"),
        ],
    )
    .await;
    let mut ws = served.open("").await.expect("connected");
    ws.send(Message::text("hello")).await.unwrap();
    assert_eq!(next_text(&mut ws).await, "echo:hello");
    ws.send(Message::text("id")).await.unwrap();
    let id = next_text(&mut ws).await;

    let endpoint = served.ws.replacen("ws://", "http://", 1);
    let post = |key: &str, secret: &str| {
        let out = std::process::Command::new(&python)
            .args(["-c", SIGNED_POST, &endpoint, key, secret, &id])
            .output()
            .expect("python runs");
        String::from_utf8_lossy(&out.stdout).trim().to_owned()
    };
    assert_eq!(post("AKIDGATEWAY", "gateway-secret-0001"), "200");
    assert_eq!(post("AKIDSTRANGER", "stranger-secret"), "403");
    assert_eq!(post("AKIDDEVELOPER", "not-the-secret"), "403");
    let log = served.log.lock().unwrap().clone();
    for secret in ["gateway-secret-0001", "developer-secret-0002"] {
        assert!(!log.contains(secret), "a secret was logged:\n{log}");
    }
    drop(ws);
    drop(served);
    let _ = std::fs::remove_dir_all(&dir);
}
