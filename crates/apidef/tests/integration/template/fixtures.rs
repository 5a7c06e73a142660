//! The fixtures: a SAM chat (YAML and JSON) and plain Lambda functions.

use super::{env, fixture, route};
use std::collections::BTreeMap;
use std::path::Path;
use wsproxy_apidef::{
    load_template, ApiDefinition, AuthorizerDef, Code, FunctionDef, LoadError, TemplateOptions,
};

/// A SAM chat function of the fixture: python3.12, 10 s and 256 MB from `Globals`.
fn chat_function(name: &str, resource: &str, dir: &str, template: &Path) -> FunctionDef {
    FunctionDef {
        name: name.into(),
        resource: resource.into(),
        file: template.to_owned(),
        runtime: "python3.12".into(),
        handler: "app.handler".into(),
        code: Code::Dir(fixture("chat").join(dir)),
        environment: env(&[("LOG_LEVEL", "DEBUG"), ("TABLE_NAME", "chat_connections")]),
        timeout_secs: 10,
        memory_mb: 256,
    }
}

fn expected_chat(template: &Path) -> ApiDefinition {
    let connect = chat_function(
        "template-connect",
        "OnConnectFunction",
        "src/connect",
        template,
    );
    let disconnect = chat_function(
        "OnDisconnectFunction",
        "OnDisconnectFunction",
        "src/disconnect",
        template,
    );
    let echo = FunctionDef {
        memory_mb: 128,
        ..chat_function("EchoFunction", "EchoFunction", "src/echo", template)
    };
    let send = FunctionDef {
        timeout_secs: 30,
        environment: env(&[
            ("LOG_LEVEL", "INFO"),
            (
                "TABLE_ARN",
                "arn:aws:dynamodb:us-east-1:123456789012:table/chat_connections",
            ),
            ("TABLE_NAME", "chat_connections"),
        ]),
        ..chat_function(
            "SendMessageFunction",
            "SendMessageFunction",
            "src/sendmessage",
            template,
        )
    };
    // `TABLE_NAME: !Ref AWS::NoValue` removes the global variable, as SAM merges first.
    let authorizer = FunctionDef {
        runtime: "python3.13".into(),
        environment: env(&[("LOG_LEVEL", "DEBUG")]),
        ..chat_function(
            "chat-authorizer",
            "AuthorizerFunction",
            "src/authorizer",
            template,
        )
    };
    ApiDefinition {
        source: template.to_owned(),
        resource: "ChatApi".into(),
        name: "template-chat".into(),
        route_selection_expression: "$request.body.action".into(),
        stage: Some("dev".into()),
        routes: vec![
            route("$connect", "ConnectRoute", "template-connect", false),
            route(
                "$disconnect",
                "DisconnectRoute",
                "OnDisconnectFunction",
                false,
            ),
            route("echo", "EchoRoute", "EchoFunction", true),
            route("sendmessage", "SendRoute", "SendMessageFunction", false),
        ],
        functions: vec![connect, disconnect, echo, send, authorizer],
        authorizer: Some(AuthorizerDef {
            name: "token-authorizer".into(),
            resource: "TokenAuthorizer".into(),
            function: "chat-authorizer".into(),
            identity_sources: vec!["route.request.querystring.token".into()],
        }),
    }
}

#[test]
fn the_sam_chat_template_gives_its_routes_functions_and_authorizer() {
    let path = fixture("chat/template.yaml");
    let api = load_template(&path, &TemplateOptions::default()).unwrap();
    assert_eq!(api, expected_chat(&path));
}

#[test]
fn a_relative_template_path_gives_absolute_code_paths() {
    // Tests run in the crate's folder.
    let path = Path::new("tests/fixtures/template/chat/template.yaml");
    let api = load_template(path, &TemplateOptions::default()).unwrap();
    assert_eq!(api.source, path);
    assert_eq!(
        api.functions[0].code,
        Code::Dir(fixture("chat/src/connect"))
    );
}

#[test]
fn the_same_template_in_json_gives_the_same_api() {
    let path = fixture("chat/template.json");
    let api = load_template(&path, &TemplateOptions::default()).unwrap();
    assert_eq!(api, expected_chat(&path));
}

#[test]
fn parameters_region_and_conditions_change_what_is_read() {
    let options = TemplateOptions {
        parameters: env(&[("StageName", "prod"), ("TableName", "prod_connections")]),
        region: "eu-west-1".into(),
        api: None,
    };
    let api = load_template(&fixture("chat/template.yaml"), &options).unwrap();
    assert_eq!(api.stage.as_deref(), Some("prod"));
    let send = api.function("SendMessageFunction").unwrap();
    assert_eq!(
        send.environment["TABLE_ARN"],
        "arn:aws:dynamodb:eu-west-1:123456789012:table/prod_connections"
    );
    let connect = api.function("template-connect").unwrap();
    assert_eq!(connect.environment["LOG_LEVEL"], "INFO", "IsProd holds");

    let wrong = TemplateOptions {
        parameters: env(&[("StageName", "qa")]),
        ..TemplateOptions::default()
    };
    let e = load_template(&fixture("chat/template.yaml"), &wrong)
        .unwrap_err()
        .to_string();
    assert!(e.contains("StageName") && e.contains("dev, prod"), "{e}");

    let unknown = TemplateOptions {
        parameters: env(&[("Stage", "dev")]),
        ..TemplateOptions::default()
    };
    let e = load_template(&fixture("chat/template.yaml"), &unknown)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("Stage,") || e.contains("for Stage") && e.contains("StageName, TableName"),
        "{e}"
    );
}

#[test]
fn plain_lambda_functions_with_code_as_a_folder_or_a_zip() {
    let path = fixture("lambda/template.yaml");
    let api = load_template(&path, &TemplateOptions::default()).unwrap();
    assert_eq!(api.resource, "Api", "the HTTP API is not a WebSocket API");
    assert_eq!(api.name, "lambda-dev");
    assert_eq!(api.route_selection_expression, "$request.body.type");
    assert_eq!(api.stage, None);
    assert_eq!(
        api.routes,
        [
            route("$connect", "ConnectRoute", "dev-connect", false),
            route("$default", "DefaultRoute", "DefaultFunction", false),
        ]
    );
    assert_eq!(api.authorizer, None);
    let connect = FunctionDef {
        name: "dev-connect".into(),
        resource: "ConnectFunction".into(),
        file: path.clone(),
        runtime: "nodejs20.x".into(),
        handler: "index.handler".into(),
        code: Code::Dir(fixture("lambda/src")),
        environment: env(&[
            ("DEBUG", "true"),
            ("FIRST_SUBNET", "subnet-a"),
            ("ROLE", "arn:aws:iam::123456789012:role/Role"),
            ("ZONE", "b"),
        ]),
        timeout_secs: 3,
        memory_mb: 128,
    };
    let default = FunctionDef {
        name: "DefaultFunction".into(),
        resource: "DefaultFunction".into(),
        file: path,
        runtime: "nodejs22.x".into(),
        handler: "index.handler".into(),
        code: Code::Zip(fixture("lambda/dist/default.zip")),
        environment: BTreeMap::new(),
        timeout_secs: 20,
        memory_mb: 512,
    };
    assert_eq!(api.functions, [connect, default]);
}

#[test]
fn an_http_integration_is_refused_with_its_name() {
    // Env=prod creates the audit route (Condition WithAudit), an HTTP_PROXY integration.
    let path = fixture("lambda/template.yaml");
    let prod = TemplateOptions {
        parameters: env(&[("Env", "prod")]),
        ..TemplateOptions::default()
    };
    let e = load_template(&path, &prod).unwrap_err();
    assert!(matches!(&e, LoadError::Resource { resource, .. } if resource == "AuditIntegration"));
    let e = e.to_string();
    assert!(
        e.starts_with(&path.display().to_string())
            && e.contains("HTTP_PROXY")
            && e.contains("Lambda proxy integrations (AWS_PROXY) only")
            && e.contains("AuditRoute"),
        "{e}"
    );
    // In us-west-2 the condition does not hold: the route is not there.
    let west = TemplateOptions {
        region: "us-west-2".into(),
        ..prod
    };
    let api = load_template(&path, &west).unwrap();
    assert_eq!(api.function("prod-connect").unwrap().memory_mb, 128);
    assert_eq!(api.function("DefaultFunction").unwrap().memory_mb, 1024);
}
