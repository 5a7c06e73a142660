//! A gateway whose routes run on `examples/echo_function.rs`, for the Lambda-mode tests.
#![allow(dead_code, missing_docs)]

use crate::common::{next_text, within, ws_request, Ws, PATIENCE};
use aws_sdk_lambda::config::{BehaviorVersion, Credentials, Region};
use futures::SinkExt as _;
use serde_json::Value;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use tokio_tungstenite::tungstenite::{Error as WsError, Message};
use wsproxy_gateway::function_integration::{
    FunctionsConfig, FunctionsHandle, LocalFunction, LocalFunctionConfig,
};
use wsproxy_gateway::{Gateway, ServingGateway};

/// `target/debug/examples/echo_function`, which `cargo test` builds with the tests.
pub(crate) fn echo_function() -> PathBuf {
    let exe = std::env::current_exe().expect("test binary path");
    let profile_dir = exe
        .parent()
        .and_then(|deps| deps.parent())
        .expect("target/<profile>/deps");
    let path = profile_dir.join("examples").join("echo_function");
    assert!(
        path.is_file(),
        "{} is missing: `cargo test -p wsproxy-gateway` builds it, or run \
         `cargo build -p wsproxy-gateway --example echo_function`",
        path.display()
    );
    let modified = |p: &std::path::Path| std::fs::metadata(p).and_then(|m| m.modified()).ok();
    let source = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("examples/echo_function.rs");
    assert!(
        modified(&path) >= modified(&source),
        "{} is older than its source: `cargo test --test ...` alone does not rebuild examples; \
         run `cargo build -p wsproxy-gateway --example echo_function`",
        path.display()
    );
    path
}

/// A gateway on 127.0.0.1:0 whose routes run on the echo function.
pub(crate) struct Setup {
    pub addr: SocketAddr,
    pub lambda: Arc<LocalFunction>,
    pub serving: ServingGateway,
}

impl Setup {
    pub(crate) async fn start(
        configure: impl FnOnce(&mut LocalFunctionConfig) + Send + 'static,
    ) -> Self {
        let functions = FunctionsHandle::default();
        let serving = Gateway::builder()
            .listen("127.0.0.1:0".parse().unwrap())
            .functions_into(&functions, |endpoint| {
                let mut lambda = LocalFunctionConfig::new(echo_function());
                lambda.timeout = PATIENCE;
                lambda.env = vec![
                    ("API_GATEWAY_ENDPOINT".into(), endpoint.to_owned()),
                    ("AWS_ACCESS_KEY_ID".into(), "AKIDLOCAL".into()),
                    ("AWS_SECRET_ACCESS_KEY".into(), "local-secret".into()),
                ];
                configure(&mut lambda);
                FunctionsConfig::single(lambda)
            })
            .bind()
            .await
            .expect("start")
            .spawn();
        Self {
            addr: serving.local_addr(),
            lambda: functions.default_function().expect("a function").clone(),
            serving,
        }
    }

    pub(crate) async fn open(&self, query: &str) -> Result<Ws, WsError> {
        let url = format!("ws://{}/dev?{query}", self.addr);
        let req = ws_request(&url, &[("user-agent", "wsproxy-test/1.0")]);
        within("connect", tokio_tungstenite::connect_async(req))
            .await
            .map(|(ws, _)| ws)
    }

    /// Opens a socket; returns it and its connection id (from the event the function echoes).
    pub(crate) async fn connect(&self, query: &str) -> (Ws, String, Value) {
        let mut ws = self.open(query).await.expect("handshake");
        ws.send(Message::text("event")).await.unwrap();
        let event: Value = serde_json::from_str(&next_text(&mut ws).await).unwrap();
        let id = event["requestContext"]["connectionId"]
            .as_str()
            .expect("connectionId")
            .to_owned();
        (ws, id, event)
    }

    /// Stops the gateway (running `$disconnect` for every socket), then the function.
    pub(crate) async fn shutdown(&mut self) {
        within(
            "serve to return and the function to stop",
            self.serving.shutdown(),
        )
        .await
        .expect("serve result");
    }

    pub(crate) fn lambda_client(&self) -> aws_sdk_lambda::Client {
        let conf = aws_sdk_lambda::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new("us-east-1"))
            .credentials_provider(Credentials::new(
                "AKIDLOCAL",
                "local-secret",
                None,
                None,
                "test",
            ))
            .endpoint_url(format!("http://{}", self.lambda.runtime_api_addr()))
            .build();
        aws_sdk_lambda::Client::from_conf(conf)
    }
}

/// The HTTP status of a refused handshake, and its body.
pub(crate) fn refusal(result: Result<Ws, WsError>) -> (u16, String) {
    match result {
        Err(WsError::Http(response)) => {
            let body = response.body().clone().unwrap_or_default();
            (
                response.status().as_u16(),
                String::from_utf8_lossy(&body).into_owned(),
            )
        }
        Err(e) => panic!("expected an HTTP refusal, got {e}"),
        Ok(_) => panic!("expected a refusal, the socket opened"),
    }
}
