//! A real Python function using boto3 as AWS's own examples do,
//! `boto3.client("apigatewaymanagementapi", endpoint_url=f"https://{domainName}/{stage}")`,
//! unedited, under the gateway with TLS on: it trusts the local CA through the variables the
//! gateway sets, and signs with SigV4 as on AWS. boto3 comes from PyPI, in
//! `.tools/venv-functions` (`scripts/function-runtimes.sh`), or `WSPROXY_FUNCTIONS_PYTHON`.

use crate::common::{next_text, within};
use futures::SinkExt as _;
use std::path::{Path, PathBuf};
use tokio_tungstenite::tungstenite::Message;
use wsproxy_gateway::function_integration::{
    FunctionsConfig, FunctionsHandle, LocalFunctionConfig,
};
use wsproxy_gateway::{Credentials, Gateway, GatewayConfig};

/// The function: on a message, posts back to its caller through the endpoint built from the
/// event, then through the SDK's endpoint variable (no `endpoint_url`).
const FUNCTION: &str = r#"
import json, os, urllib.request
import boto3

API = "http://" + os.environ["AWS_LAMBDA_RUNTIME_API"] + "/2018-06-01/runtime"

def handle(event):
    ctx = event["requestContext"]
    if ctx["eventType"] != "MESSAGE":
        return
    endpoint = f"https://{ctx['domainName']}/{ctx['stage']}"
    client = boto3.client("apigatewaymanagementapi", endpoint_url=endpoint)
    client.post_to_connection(ConnectionId=ctx["connectionId"], Data=f"{endpoint}:{event['body']}".encode())
    by_variable = boto3.client("apigatewaymanagementapi")
    info = by_variable.get_connection(ConnectionId=ctx["connectionId"])
    by_variable.post_to_connection(ConnectionId=ctx["connectionId"], Data=b"variable:" + info["ConnectedAt"].isoformat()[:4].encode())

while True:
    with urllib.request.urlopen(API + "/invocation/next") as r:
        request_id = r.headers["Lambda-Runtime-Aws-Request-Id"]
        event = json.loads(r.read())
    handle(event)
    done = urllib.request.Request(API + f"/invocation/{request_id}/response", data=b'{"statusCode":200}', method="POST")
    urllib.request.urlopen(done).read()
"#;

/// The Node function: the same two posts with the AWS SDK v3.
const NODE_FUNCTION: &str = r#"
const { ApiGatewayManagementApiClient, PostToConnectionCommand, GetConnectionCommand } =
  require("@aws-sdk/client-apigatewaymanagementapi");
const API = `http://${process.env.AWS_LAMBDA_RUNTIME_API}/2018-06-01/runtime`;

async function handle(event) {
  const ctx = event.requestContext;
  if (ctx.eventType !== "MESSAGE") return;
  const endpoint = "https://" + ctx.domainName + "/" + ctx.stage;
  const client = new ApiGatewayManagementApiClient({ endpoint });
  await client.send(new PostToConnectionCommand({ ConnectionId: ctx.connectionId, Data: `${endpoint}:${event.body}` }));
  const byVariable = new ApiGatewayManagementApiClient({});
  const info = await byVariable.send(new GetConnectionCommand({ ConnectionId: ctx.connectionId }));
  const year = String(info.ConnectedAt.getUTCFullYear());
  await byVariable.send(new PostToConnectionCommand({ ConnectionId: ctx.connectionId, Data: "variable:" + year }));
}

(async () => {
  for (;;) {
    const r = await fetch(`${API}/invocation/next`);
    const id = r.headers.get("lambda-runtime-aws-request-id");
    await handle(await r.json());
    await fetch(`${API}/invocation/${id}/response`, { method: "POST", body: '{"statusCode":200}' });
  }
})().catch((e) => { console.error(e); process.exit(1); });
"#;

/// The repository's `.tools` folder.
fn tools() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../.tools")
}

/// A Python with boto3: `WSPROXY_FUNCTIONS_PYTHON`, else `.tools/venv-functions/bin/python3`.
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
        "{} cannot import boto3: run scripts/function-runtimes.sh (or set WSPROXY_FUNCTIONS_PYTHON \
         to a python3 that has boto3)",
        python.display()
    );
    python
}

/// Runs `program args` from a folder holding `file` = `code` under a gateway with TLS on and
/// SigV4 required; clients connected as 127.0.0.1 and as localhost get both posts back.
async fn posts_back_over_https(
    name: &str,
    program: &Path,
    args: &[&str],
    file: &str,
    code: &str,
    env: Vec<(String, String)>,
) {
    let dir = std::env::temp_dir().join(format!("wsproxy-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("app")).unwrap();
    std::fs::write(dir.join("app").join(file), code).unwrap();
    let app = dir.join("app");
    let program = program.to_path_buf();
    let args: Vec<String> = args.iter().map(|a| (*a).to_owned()).collect();
    let functions = FunctionsHandle::default();
    let mut serving = Gateway::builder()
        .config(GatewayConfig {
            listen: "127.0.0.1:0".parse().unwrap(),
            credentials: Some(Credentials {
                access_key_id: "AKIDLOCAL".into(),
                secret_access_key: "local-secret".into(),
            }),
            ..GatewayConfig::default()
        })
        .tls_dir(dir.join("tls"))
        .functions_into(&functions, move |_| {
            let mut f = LocalFunctionConfig::new(program);
            f.args = args;
            f.working_dir = Some(app);
            f.env = vec![
                ("AWS_ACCESS_KEY_ID".into(), "AKIDLOCAL".into()),
                ("AWS_SECRET_ACCESS_KEY".into(), "local-secret".into()),
            ];
            f.env.extend(env);
            FunctionsConfig::single(f)
        })
        .bind()
        .await
        .expect("the gateway starts")
        .spawn();
    let port = serving.local_addr().port();
    for host in ["127.0.0.1", "localhost"] {
        let url = format!("ws://{host}:{port}/dev");
        let (mut ws, _) = within("the handshake", tokio_tungstenite::connect_async(&url))
            .await
            .expect("connected");
        ws.send(Message::text("hi")).await.unwrap();
        let endpoint = format!("https://{host}:{port}/dev");
        assert_eq!(next_text(&mut ws).await, format!("{endpoint}:hi"));
        let year = time::OffsetDateTime::now_utc().year().to_string();
        assert_eq!(next_text(&mut ws).await, format!("variable:{year}"));
    }
    let stats = functions.default_function().expect("a function").stats();
    assert_eq!(stats.function_errors + stats.crashes, 0, "{stats:?}");
    within("shutdown", serving.shutdown()).await.unwrap();
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn a_boto3_function_posts_back_through_https_domain_name() {
    let python = python_with_boto3();
    posts_back_over_https(
        "boto3",
        &python,
        &["app.py"],
        "app.py",
        FUNCTION,
        Vec::new(),
    )
    .await;
}

#[tokio::test]
async fn a_node_sdk_function_posts_back_through_https_domain_name() {
    let modules = tools().join("node-functions/node_modules");
    assert!(
        modules
            .join("@aws-sdk/client-apigatewaymanagementapi")
            .is_dir(),
        "{} has no @aws-sdk/client-apigatewaymanagementapi: run scripts/function-runtimes.sh",
        modules.display()
    );
    let node_path = ("NODE_PATH".to_owned(), modules.display().to_string());
    let node = Path::new("node");
    posts_back_over_https(
        "node-sdk",
        node,
        &["app.js"],
        "app.js",
        NODE_FUNCTION,
        vec![node_path],
    )
    .await;
}
