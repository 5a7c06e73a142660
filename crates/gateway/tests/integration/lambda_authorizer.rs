//! What API Gateway does around the functions, with real function processes
//! (`tests/functions/ws_app.py`, the standard library only) and real WebSocket clients: the
//! `$connect` REQUEST authorizer and `requestContext.authorizer` on every later event.

use crate::common::{next_text, within, ws_request, Ws, PATIENCE};
use crate::lambda_setup::refusal;
use futures::SinkExt as _;
use serde_json::{json, Value};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tokio_tungstenite::tungstenite::{Error as WsError, Message};
use wsproxy_gateway::function_integration::{
    AuthorizerConfig, Functions, FunctionsConfig, FunctionsHandle, LocalFunctionConfig,
};
use wsproxy_gateway::{Gateway, GatewayConfig, ServingGateway};
use wsproxy_test_support::Logs;

/// The functions' timeout: the hanging ones are cut off after it.
pub(crate) const TIMEOUT: Duration = Duration::from_secs(3);
/// What no log line may show: part of every token the tests send.
const SECRET: &str = "s3cr3t";

/// A gateway whose `$connect` is authorized by the `auth` function (identity sources: query
/// `token` and header `Auth`) and whose routes run on the `app` function; `echo` and `big`
/// are two-way routes.
pub(crate) struct App {
    pub addr: SocketAddr,
    pub serving: ServingGateway,
    pub functions: FunctionsHandle,
    pub auth_log: PathBuf,
}

impl App {
    pub(crate) async fn start() -> Self {
        Self::start_with(|_| {}).await
    }

    /// [`App::start`] with changes to its functions' configuration.
    pub(crate) async fn start_with(
        configure: impl FnOnce(&mut FunctionsConfig) + Send + 'static,
    ) -> Self {
        let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/functions/ws_app.py");
        let auth_log = std::env::temp_dir().join(format!(
            "wsproxy-auth-{}-{}.jsonl",
            std::process::id(),
            wsproxy_gateway::new_connection_id().replace(['/', '+', '='], "_")
        ));
        let log = auth_log.display().to_string();
        let function = move |name: &str, endpoint: &str| {
            let mut f = LocalFunctionConfig::new("python3");
            f.args = vec![script.display().to_string()];
            f.function_name = name.to_owned();
            f.timeout = TIMEOUT;
            f.env = vec![
                ("API_GATEWAY_ENDPOINT".into(), endpoint.to_owned()),
                ("AUTH_LOG".into(), log.clone()),
            ];
            f
        };
        let config = GatewayConfig {
            listen: "127.0.0.1:0".parse().unwrap(),
            routes: ["echo", "raise", "hang", "bad", "big"]
                .map(String::from)
                .to_vec(),
            ..GatewayConfig::default()
        };
        let functions = FunctionsHandle::default();
        let serving = Gateway::builder()
            .config(config)
            .functions_into(&functions, move |endpoint| {
                let mut config = FunctionsConfig {
                    functions: vec![function("app", endpoint), function("auth", endpoint)],
                    default_function: Some("app".into()),
                    authorizer: Some(AuthorizerConfig {
                        function: "auth".into(),
                        identity_sources: vec![
                            "route.request.querystring.token".into(),
                            "route.request.header.Auth".into(),
                        ],
                    }),
                    route_responses: ["echo", "big"].map(String::from).into(),
                    ..FunctionsConfig::default()
                };
                configure(&mut config);
                config
            })
            .bind()
            .await
            .expect("the gateway starts")
            .spawn();
        let app = Self {
            addr: serving.local_addr(),
            serving,
            functions,
            auth_log,
        };
        for f in app.functions().all() {
            assert!(f.ready(PATIENCE).await, "{:?}", f.stats());
        }
        app
    }

    pub(crate) fn functions(&self) -> &Arc<Functions> {
        self.functions.get().expect("functions")
    }

    /// Invocations of function `name` so far.
    pub(crate) fn invocations(&self, name: &str) -> u64 {
        self.functions().get(name).expect(name).stats().invocations
    }

    /// Opens a socket with `token` in the query and `auth` as the `Auth` header (each when
    /// given).
    pub(crate) async fn open(
        &self,
        token: Option<&str>,
        auth: Option<&str>,
    ) -> Result<Ws, WsError> {
        let query = token.map(|t| format!("?token={t}")).unwrap_or_default();
        let url = format!("ws://{}/dev{query}", self.addr);
        let headers: Vec<(&str, &str)> = auth.map(|a| ("auth", a)).into_iter().collect();
        within(
            "the handshake",
            tokio_tungstenite::connect_async(ws_request(&url, &headers)),
        )
        .await
        .map(|(ws, _)| ws)
    }

    /// A socket the authorizer allows.
    pub(crate) async fn allowed(&self) -> Ws {
        self.open(Some("good-s3cr3t-q"), Some("good-s3cr3t-h"))
            .await
            .expect("an allowed connect opens")
    }

    /// The authorizer's events so far.
    fn auth_events(&self) -> Vec<Value> {
        std::fs::read_to_string(&self.auth_log)
            .unwrap_or_default()
            .lines()
            .map(|l| serde_json::from_str(l).expect("a JSON line"))
            .collect()
    }

    pub(crate) async fn shutdown(&mut self) {
        within("the gateway to stop", self.serving.shutdown())
            .await
            .expect("serve result");
        let _ = std::fs::remove_file(&self.auth_log);
    }
}

/// Sends `{"action": ACTION}` and reads the next text message as JSON.
pub(crate) async fn ask(ws: &mut Ws, action: &str) -> Value {
    ws.send(Message::text(json!({ "action": action }).to_string()))
        .await
        .unwrap();
    let text = next_text(ws).await;
    serde_json::from_str(&text).unwrap_or_else(|_| panic!("JSON: {}", &text[..text.len().min(200)]))
}

#[tokio::test]
async fn an_allowed_connect_carries_the_authorizer_context_to_every_later_event() {
    let (logs, _guard) = Logs::capture();
    let mut app = App::start().await;
    let mut first = app.allowed().await;
    let echoed = ask(&mut first, "echo").await;
    let expected = |a: &Value| {
        assert_eq!(a["principalId"], "user-ann", "{a}");
        assert_eq!(
            (&a["user"], &a["n"], &a["admin"]),
            (&json!("ann"), &json!(3), &json!(true))
        );
        assert_eq!(a.as_object().map(|o| o.len()), Some(4), "{a}");
    };
    expected(&echoed["connect"]["requestContext"]["authorizer"]);
    expected(&echoed["event"]["requestContext"]["authorizer"]);
    let first_id = echoed["event"]["requestContext"]["connectionId"].clone();

    // The authorizer's own event, as API Gateway's REQUEST authorizer gets it.
    let events = app.auth_events();
    assert_eq!(events.len(), 1, "{events:?}");
    let a = &events[0];
    assert_eq!(a["type"], "REQUEST");
    assert_eq!(
        a["methodArn"],
        "arn:aws:execute-api:us-east-1:000000000000:local/dev/$connect"
    );
    assert_eq!(a["queryStringParameters"]["token"], "good-s3cr3t-q");
    assert_eq!(
        a["multiValueQueryStringParameters"]["token"],
        json!(["good-s3cr3t-q"])
    );
    assert_eq!(a["headers"]["Auth"], "good-s3cr3t-h");
    assert_eq!(a["multiValueHeaders"]["Auth"], json!(["good-s3cr3t-h"]));
    assert_eq!(a["stageVariables"], json!({}));
    let ctx = &a["requestContext"];
    assert_eq!(
        (&ctx["routeKey"], &ctx["eventType"]),
        (&json!("$connect"), &json!("CONNECT"))
    );
    assert_eq!(ctx["connectionId"], first_id);
    assert!(ctx.get("authorizer").is_none());

    // $disconnect carries it too, and the connection's context is then forgotten.
    assert_eq!(app.functions().authorized_connections(), 1);
    first.close(None).await.unwrap();
    let mut second = app.allowed().await;
    let id = first_id.as_str().unwrap();
    let disconnect = within("the first $disconnect", async {
        loop {
            let echoed = ask(&mut second, "echo").await;
            if let Some(d) = echoed["disconnects"].get(id) {
                return d.clone();
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await;
    expected(&disconnect["requestContext"]["authorizer"]);
    assert_eq!(app.functions().authorized_connections(), 1);
    drop(second);
    app.shutdown().await;
    assert_eq!(app.functions().authorized_connections(), 0);
    let text = logs.text();
    assert!(text.contains("connected"), "{text}");
    assert!(!text.contains(SECRET), "a token reached the log: {text}");
}

#[tokio::test]
async fn refused_connects_never_reach_the_connect_function() {
    let (logs, _guard) = Logs::capture();
    let mut app = App::start().await;
    let status = |r: Result<Ws, WsError>| refusal(r);

    // A missing identity source: 401, the authorizer is not called.
    for (token, auth) in [
        (None, Some("good-s3cr3t-h")),
        (Some("good-s3cr3t-q"), None),
        (Some(""), Some("good-s3cr3t-h")),
        (None, None),
    ] {
        let (code, body) = status(app.open(token, auth).await);
        assert_eq!(
            (code, body.as_str()),
            (401, r#"{"message":"Unauthorized"}"#)
        );
    }
    assert_eq!(app.invocations("auth"), 0);

    // Denied, explicitly or by a policy for another API: 403.
    for token in ["deny-s3cr3t", "other-s3cr3t"] {
        let (code, body) = status(app.open(Some(token), Some("h")).await);
        assert_eq!(
            (code, body.as_str()),
            (403, r#"{"message":"Forbidden"}"#),
            "{token}"
        );
    }
    // An authorizer that raises, crashes, hangs past its timeout, or answers a context
    // value that is an object or a result over 8 KB: 500.
    for token in [
        "raise-s3cr3t",
        "crash-s3cr3t",
        "hang-s3cr3t",
        "nested-s3cr3t",
        "big-s3cr3t",
    ] {
        let (code, _) = status(app.open(Some(token), Some("h")).await);
        assert_eq!(code, 500, "{token}");
    }
    assert_eq!(app.invocations("auth"), 7);
    assert_eq!(app.invocations("app"), 0, "the $connect function ran");
    assert_eq!(app.functions().authorized_connections(), 0);

    // The authorizer still serves after its crash and its timeout.
    let mut ws = app.allowed().await;
    assert_eq!(
        ask(&mut ws, "echo").await["connect"]["requestContext"]["authorizer"]["principalId"],
        "user-ann"
    );
    drop(ws);
    app.shutdown().await;
    let text = logs.text();
    assert!(text.contains("403") && text.contains("401"), "{text}");
    assert!(!text.contains(SECRET), "a token reached the log: {text}");
}
