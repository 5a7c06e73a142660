//! `load_terraform` on configurations on disk: a chat app with a local module, an
//! authorizer and a two-way route; this repository's own environment and examples; and
//! bad configurations, each refused naming the file and the resource.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use wsproxy_apidef::{load_terraform, ApiDefinition, Code, LoadError, TerraformOptions};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/terraform")
        .join(name)
}

fn repo() -> PathBuf {
    wsproxy_tfeval::paths::clean(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../.."))
}

fn with_vars(vars: &[(&str, &str)]) -> TerraformOptions {
    TerraformOptions {
        vars: vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        ..TerraformOptions::default()
    }
}

#[test]
fn a_chat_app_with_a_local_module_an_authorizer_and_a_two_way_route() {
    let dir = fixture("chat");
    let api = load_terraform(&dir, &TerraformOptions::default()).unwrap();
    assert_eq!(api.resource, "aws_apigatewayv2_api.chat");
    assert_eq!(api.name, "chat-dev-ws", "env comes from terraform.tfvars");
    assert_eq!(api.route_selection_expression, "$request.body.action");
    assert_eq!(api.stage.as_deref(), Some("dev"));
    let routes: BTreeMap<&str, (&str, &str, bool)> = api
        .routes
        .iter()
        .map(|r| {
            (
                r.route_key.as_str(),
                (r.resource.as_str(), r.function.as_str(), r.route_response),
            )
        })
        .collect();
    assert_eq!(
        routes,
        BTreeMap::from([
            (
                "$connect",
                (
                    "aws_apigatewayv2_route.chat[\"$connect\"]",
                    "chat-dev-chat",
                    false
                )
            ),
            (
                "$disconnect",
                (
                    "aws_apigatewayv2_route.chat[\"$disconnect\"]",
                    "chat-dev-chat",
                    false
                )
            ),
            (
                "echo",
                ("aws_apigatewayv2_route.echo", "chat-dev-chat", true)
            ),
            (
                "sendmessage",
                (
                    "aws_apigatewayv2_route.chat[\"sendmessage\"]",
                    "chat-dev-chat",
                    false
                )
            ),
        ])
    );
    let chat = api.function("chat-dev-chat").unwrap();
    assert_eq!(chat.resource, "module.chat.aws_lambda_function.this[0]");
    assert_eq!(chat.file, dir.join("modules/function/main.tf"));
    assert_eq!(chat.runtime, "python3.12");
    assert_eq!(chat.handler, "app.handler");
    assert_eq!(
        chat.code,
        Code::Dir(dir.join("src")),
        "the archive's folder, so edits are live"
    );
    assert_eq!(chat.timeout_secs, 10, "timeout comes from terraform.tfvars");
    assert_eq!(chat.memory_mb, 128);
    let env: Vec<(&str, &str)> = chat
        .environment
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    assert_eq!(
        env,
        [
            ("ACCOUNT", "123456789012"),
            ("FUNCTION_LABEL", "CHAT-DEV-CHAT/V1"),
            ("REGION", "us-east-1"),
            ("TABLE_NAME", "chat-dev-connections"),
        ],
        "the queue URL AWS makes up is left out"
    );
    let auth = api.authorizer.as_ref().unwrap();
    assert_eq!(auth.resource, "aws_apigatewayv2_authorizer.token");
    assert_eq!(auth.name, "chat-dev-token");
    assert_eq!(auth.identity_sources, ["route.request.querystring.token"]);
    let authorizer = api.function(&auth.function).unwrap();
    assert_eq!(authorizer.name, "chat-dev-authorizer");
    assert_eq!(authorizer.code, Code::Dir(dir.join("auth")));
    assert_eq!(authorizer.timeout_secs, 3);
    assert_eq!(authorizer.memory_mb, 256);
    assert_eq!(
        authorizer.environment["EXPECTED_ISSUER"],
        "https://issuer.dev.example.com"
    );
    assert_eq!(api.functions.len(), 2);
}

#[test]
fn vars_and_var_files_override_tfvars() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("prod.tfvars");
    std::fs::write(&file, "env = \"prod\"\ntimeout = 20\n").unwrap();
    let options = TerraformOptions {
        var_files: vec![file],
        vars: BTreeMap::from([("timeout".to_owned(), "30".to_owned())]),
        region: "eu-west-1".to_owned(),
        api: Some("chat-prod-ws".to_owned()),
    };
    let api = load_terraform(&fixture("chat"), &options).unwrap();
    assert_eq!(api.stage.as_deref(), Some("prod"));
    let undeclared = TerraformOptions {
        vars: BTreeMap::from([("stage".to_owned(), "prod".to_owned())]),
        ..TerraformOptions::default()
    };
    let e = load_terraform(&fixture("chat"), &undeclared)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("-var stage") && e.contains("no variable \"stage\""),
        "{e}"
    );
    let chat = api.function("chat-prod-chat").unwrap();
    assert_eq!(chat.timeout_secs, 30);
    assert_eq!(chat.environment["REGION"], "eu-west-1");
}

/// This repository's own environment: wsproxy's `bootstrap` from `wsproxy package`'s zip.
fn assert_is_wsproxy(api: &ApiDefinition, name: &str) {
    let keys: Vec<&str> = api.routes.iter().map(|r| r.route_key.as_str()).collect();
    assert_eq!(keys, ["$connect", "$default", "$disconnect"]);
    assert!(api
        .routes
        .iter()
        .all(|r| r.function == name && !r.route_response));
    assert_eq!(api.route_selection_expression, "$request.body.action");
    assert_eq!(api.stage.as_deref(), Some("dev"));
    assert_eq!(api.authorizer, None);
    let f = api.function(name).unwrap();
    assert_eq!(
        f.resource,
        "module.websocket_proxy.aws_lambda_function.this[0]"
    );
    assert_eq!(f.runtime, "provided.al2023");
    assert_eq!(f.handler, "bootstrap");
    assert_eq!(f.code, Code::Zip(repo().join("dist/bootstrap.zip")));
    assert_eq!(f.timeout_secs, 10);
    assert_eq!(f.environment["BACKEND_URL"], "https://api.example.com");
    assert_eq!(f.environment["BACKEND_TIMEOUT_MS"], "3000");
    assert!(f.environment["API_GATEWAY_ENDPOINT"].starts_with("https://"));
    assert!(
        f.environment["API_GATEWAY_ENDPOINT"].ends_with(".execute-api.us-east-1.amazonaws.com/dev")
    );
}

#[test]
fn this_repositorys_dev_environment() {
    let dir = repo().join("infra/terraform/envs/dev");
    let api = load_terraform(
        &dir,
        &with_vars(&[("backend_url", "https://api.example.com")]),
    )
    .unwrap();
    assert_eq!(api.name, "wsproxy-dev");
    assert_eq!(
        api.resource,
        "module.websocket_proxy.aws_apigatewayv2_api.this[0]"
    );
    assert_is_wsproxy(&api, "wsproxy-dev");
    let f = api.function("wsproxy-dev").unwrap();
    assert_eq!(
        f.environment["CONNECTIONS_TABLE"],
        "wsproxy-dev-connections"
    );
    assert_eq!(f.memory_mb, 128);

    let e = load_terraform(&dir, &TerraformOptions::default()).unwrap_err();
    let text = e.to_string();
    assert!(
        matches!(&e, LoadError::Resource { resource, file, .. }
        if resource == "var.backend_url" && file.ends_with("envs/dev/variables.tf")),
        "{text}"
    );
    for needed in [
        "-var backend_url=",
        "terraform.tfvars",
        "TF_VAR_backend_url",
    ] {
        assert!(text.contains(needed), "{text}");
    }
}

#[test]
fn this_repositorys_examples() {
    let examples = repo().join("infra/terraform/modules/websocket_proxy/examples");
    let api = load_terraform(
        &examples.join("managed"),
        &with_vars(&[("backend_url", "https://api.example.com")]),
    )
    .unwrap();
    assert_is_wsproxy(&api, "wsproxy-example");
    for existing in ["existing-function", "hybrid"] {
        let e = load_terraform(&examples.join(existing), &TerraformOptions::default()).unwrap_err();
        let text = e.to_string();
        assert!(
            text.contains("module.websocket_proxy.aws_apigatewayv2_integration.this")
                && text.contains("wsproxy-existing")
                && text.contains("data.aws_lambda_function.existing[0]")
                && text.contains("can't be run locally"),
            "{text}"
        );
    }
}
