//! A real Lambda function (`bootstrap`) for API Gateway WebSocket routes, used by the gateway's
//! Lambda-mode tests: `wsproxy serve --lambda target/debug/examples/echo_function`.
//!
//! - `$connect`: 401 with the event itself as body when the query has `deny=1`; exits the
//!   process (status 3) with `crash=1`; sleeps 2 minutes with `hang=1`; otherwise 200.
//!   With `watch=ID`, this process remembers to send the connection's `$disconnect` event to
//!   connection `ID`.
//! - A message answers 200 after, depending on its body:
//!   `crash` exits the process (status 3); `error` fails the invocation; `sleep` sleeps 1 s and
//!   sends `{"pid","start","end"}` back; `event` sends the event back; `invoke-self` invokes
//!   this function asynchronously (Invoke API, `Event`) with `{"internal":true,
//!   "connection_id":ID}`, on which it sends `from-self` to that connection; anything else is
//!   sent back as `echo:BODY`.
//! - Messages go back through `@connections` at `API_GATEWAY_ENDPOINT`.
//! - `ECHO_CRASH_AT_INIT=1` makes the process exit (status 1) before polling for events;
//!   `ECHO_INIT_ERROR=1` makes it report an init error to the Runtime API, then wait.

use aws_config::BehaviorVersion;
use aws_lambda_events::apigw::ApiGatewayWebsocketProxyRequest;
use aws_sdk_lambda::primitives::Blob;
use aws_sdk_lambda::types::InvocationType;
use lambda_runtime::{service_fn, Error, LambdaEvent};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

struct Function {
    lambda: aws_sdk_lambda::Client,
    connections: Option<aws_sdk_apigatewaymanagement::Client>,
    /// Connection → the connection that wants its `$disconnect` event.
    watchers: Mutex<HashMap<String, String>>,
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    if std::env::var("ECHO_CRASH_AT_INIT").as_deref() == Ok("1") {
        eprintln!("echo_function: crashing at init as asked");
        std::process::exit(1);
    }
    if std::env::var("ECHO_INIT_ERROR").as_deref() == Ok("1") {
        report_init_error()?;
        // Lambda ends the process after an init error; wait for that.
        tokio::time::sleep(Duration::from_secs(120)).await;
    }
    let sdk = aws_config::load_defaults(BehaviorVersion::latest()).await;
    let connections = std::env::var("API_GATEWAY_ENDPOINT").ok().map(|endpoint| {
        let conf = aws_sdk_apigatewaymanagement::config::Builder::from(&sdk)
            .endpoint_url(endpoint)
            .build();
        aws_sdk_apigatewaymanagement::Client::from_conf(conf)
    });
    let function = Arc::new(Function {
        lambda: aws_sdk_lambda::Client::new(&sdk),
        connections,
        watchers: Mutex::new(HashMap::new()),
    });
    println!("echo_function: ready (pid {})", std::process::id());
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| {
        let function = function.clone();
        async move { function.handle(event.payload).await }
    }))
    .await
}

/// `POST /runtime/init/error`, by hand, as a runtime whose init failed does.
fn report_init_error() -> Result<(), Error> {
    use std::io::{Read as _, Write as _};
    let api = std::env::var("AWS_LAMBDA_RUNTIME_API")?;
    let body = r#"{"errorMessage":"asked to fail at init","errorType":"Runtime.InitError"}"#;
    let mut stream = std::net::TcpStream::connect(&api)?;
    write!(
        stream,
        "POST /2018-06-01/runtime/init/error HTTP/1.1\r\nHost: {api}\r\n\
         Lambda-Runtime-Function-Error-Type: Runtime.InitError\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )?;
    let mut answer = String::new();
    stream.read_to_string(&mut answer)?;
    eprintln!(
        "echo_function: init error reported: {}",
        answer.lines().next().unwrap_or("")
    );
    Ok(())
}

fn now_ms() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis())
        .unwrap_or(0)
}

fn answer(status: u16, body: impl Into<String>) -> Value {
    json!({"statusCode": status, "body": body.into()})
}

impl Function {
    async fn handle(&self, payload: Value) -> Result<Value, Error> {
        if payload.get("internal") == Some(&Value::Bool(true)) {
            let id = payload["connection_id"].as_str().unwrap_or_default();
            self.push(id, "from-self").await?;
            return Ok(json!({"ok": true}));
        }
        let request: ApiGatewayWebsocketProxyRequest = serde_json::from_value(payload.clone())?;
        let context = &request.request_context;
        let id = context.connection_id.clone().unwrap_or_default();
        match context.event_type.as_deref() {
            Some("CONNECT") => {
                let query = &request.query_string_parameters;
                if query.first("deny") == Some("1") {
                    return Ok(answer(401, payload.to_string()));
                }
                if query.first("crash") == Some("1") {
                    std::process::exit(3);
                }
                if query.first("hang") == Some("1") {
                    tokio::time::sleep(Duration::from_secs(120)).await;
                }
                if let Some(watcher) = query.first("watch") {
                    let mut watchers = self.watchers.lock().unwrap();
                    watchers.insert(id, watcher.to_owned());
                }
                Ok(answer(200, "connected"))
            }
            Some("MESSAGE") => {
                let body = request.body.clone().unwrap_or_default();
                match body.as_str() {
                    "crash" => std::process::exit(3),
                    "error" => return Err("asked to fail".into()),
                    "sleep" => {
                        let start = now_ms();
                        tokio::time::sleep(Duration::from_secs(1)).await;
                        let report =
                            json!({"pid": std::process::id(), "start": start, "end": now_ms()});
                        self.push(&id, &report.to_string()).await?;
                    }
                    "event" => self.push(&id, &payload.to_string()).await?,
                    "invoke-self" => {
                        let name = std::env::var("AWS_LAMBDA_FUNCTION_NAME")?;
                        let internal = json!({"internal": true, "connection_id": id});
                        let out = self
                            .lambda
                            .invoke()
                            .function_name(name)
                            .invocation_type(InvocationType::Event)
                            .payload(Blob::new(internal.to_string()))
                            .send()
                            .await?;
                        if out.status_code() != 202 {
                            return Err(format!("Invoke answered {}", out.status_code()).into());
                        }
                    }
                    other => self.push(&id, &format!("echo:{other}")).await?,
                }
                Ok(answer(200, "ok"))
            }
            Some("DISCONNECT") => {
                let watcher = self.watchers.lock().unwrap().remove(&id);
                if let Some(watcher) = watcher {
                    self.push(&watcher, &payload.to_string()).await?;
                }
                Ok(answer(200, "bye"))
            }
            other => Err(format!("unexpected eventType {other:?}").into()),
        }
    }

    async fn push(&self, connection_id: &str, data: &str) -> Result<(), Error> {
        let Some(client) = &self.connections else {
            return Err("API_GATEWAY_ENDPOINT is not set".into());
        };
        client
            .post_to_connection()
            .connection_id(connection_id)
            .data(aws_sdk_apigatewaymanagement::primitives::Blob::new(
                data.as_bytes(),
            ))
            .send()
            .await?;
        Ok(())
    }
}
