//! `load_template`: SAM and CloudFormation templates on disk (YAML with short tags, JSON), and
//! the bad ones, each refused with an error naming the file and the resource.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use wsproxy_apidef::{
    load_template, ApiDefinition, AuthorizerDef, Code, FunctionDef, LoadError, RouteDef,
    TemplateOptions,
};

fn fixture(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/template")
        .join(path)
}

fn env(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn route(key: &str, resource: &str, function: &str, route_response: bool) -> RouteDef {
    RouteDef {
        route_key: key.into(),
        resource: resource.into(),
        function: function.into(),
        route_response,
    }
}

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
        file: path.clone(),
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

/// A minimal valid template: one `$default` route to a SAM function in `src/`.
const BASE: &str = r#"
Resources:
  Api:
    Type: AWS::ApiGatewayV2::Api
    Properties: {Name: base, ProtocolType: WEBSOCKET, RouteSelectionExpression: $request.body.action}
  DefaultRoute:
    Type: AWS::ApiGatewayV2::Route
    Properties:
      ApiId: !Ref Api
      RouteKey: $default
      Target: !Join ['/', [integrations, !Ref DefaultInteg]]
  DefaultInteg:
    Type: AWS::ApiGatewayV2::Integration
    Properties:
      ApiId: !Ref Api
      IntegrationType: AWS_PROXY
      IntegrationUri: !Sub arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${ChatFunction.Arn}/invocations
  ChatFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: src/
      Handler: app.handler
      Runtime: python3.12
"#;

/// Writes `text` as `template.yaml` in a new folder that has a `src/` folder.
fn write(text: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("src")).unwrap();
    let path = dir.path().join("template.yaml");
    std::fs::write(&path, text).unwrap();
    (dir, path)
}

/// Loads `text` and returns the error, checking it names the file.
fn refused(text: &str, options: &TemplateOptions) -> (LoadError, String) {
    let (_dir, path) = write(text);
    let e = load_template(&path, options).unwrap_err();
    let message = e.to_string();
    assert!(
        message.starts_with(&path.display().to_string()),
        "{message}"
    );
    (e, message)
}

fn resource_of(e: &LoadError) -> &str {
    match e {
        LoadError::Resource { resource, .. } => resource,
        other => panic!("not a resource error: {other}"),
    }
}

#[test]
fn the_minimal_template_loads() {
    let (dir, path) = write(BASE);
    let api = load_template(&path, &TemplateOptions::default()).unwrap();
    assert_eq!(
        api.routes,
        [route("$default", "DefaultRoute", "ChatFunction", false)]
    );
    assert_eq!(api.functions[0].code, Code::Dir(dir.path().join("src")));
}

#[test]
fn a_two_way_route_needs_the_expression_and_a_default_route_response() {
    let response = "  DefaultResponse:\n    Type: AWS::ApiGatewayV2::RouteResponse\n    Properties: {ApiId: !Ref Api, RouteId: !Ref DefaultRoute, RouteResponseKey: $default}\n";
    let expression = "      RouteResponseSelectionExpression: $default\n";
    let with_expression = BASE.replace(
        "      RouteKey: $default\n",
        &format!("      RouteKey: $default\n{expression}"),
    );
    for (text, two_way) in [
        (format!("{BASE}{response}"), false),
        (with_expression.clone(), false),
        (format!("{with_expression}{response}"), true),
    ] {
        let (_dir, path) = write(&text);
        let api = load_template(&path, &TemplateOptions::default()).unwrap();
        assert_eq!(api.routes[0].route_response, two_way, "{text}");
    }
}

#[test]
fn a_yaml_syntax_error_names_its_line() {
    let text = BASE.replace("      RouteKey: $default\n", "      RouteKey: [$default\n");
    let (e, message) = refused(&text, &TemplateOptions::default());
    assert!(matches!(e, LoadError::Parse { .. }), "{message}");
    // The unclosed flow sequence is found on the line after it.
    assert!(message.contains("invalid YAML at line 11"), "{message}");
}

#[test]
fn a_json_syntax_error_names_its_line() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("template.json");
    std::fs::write(&path, "{\n  \"Resources\": {\n    \"Api\": {,}\n  }\n}\n").unwrap();
    let e = load_template(&path, &TemplateOptions::default()).unwrap_err();
    assert!(matches!(e, LoadError::Parse { .. }), "{e}");
    let message = e.to_string();
    assert!(
        message.starts_with(&path.display().to_string())
            && message.contains("invalid JSON")
            && message.contains("line 3"),
        "{message}"
    );
}

#[test]
fn no_websocket_api_is_said() {
    let text = BASE.replace("ProtocolType: WEBSOCKET", "ProtocolType: HTTP");
    let (e, message) = refused(&text, &TemplateOptions::default());
    assert!(matches!(e, LoadError::Api { .. }), "{message}");
    assert!(message.contains("defines no WebSocket API"), "{message}");
}

#[test]
fn two_apis_need_a_choice() {
    let second = "  Admin:\n    Type: AWS::ApiGatewayV2::Api\n    Properties: {Name: admin, ProtocolType: WEBSOCKET, RouteSelectionExpression: $request.body.op}\n";
    let text = format!("{BASE}{second}");
    let (e, message) = refused(&text, &TemplateOptions::default());
    assert!(matches!(e, LoadError::Api { .. }), "{message}");
    assert!(
        message.contains("2 WebSocket APIs")
            && message.contains("Admin (Name: admin)")
            && message.contains("Api (Name: base)"),
        "{message}"
    );
    let (_dir, path) = write(&text);
    for choice in ["Api", "base"] {
        let options = TemplateOptions {
            api: Some(choice.into()),
            ..TemplateOptions::default()
        };
        assert_eq!(load_template(&path, &options).unwrap().resource, "Api");
    }
    // Admin has no route: the choice is honoured, then refused for that.
    let admin = TemplateOptions {
        api: Some("admin".into()),
        ..TemplateOptions::default()
    };
    let e = load_template(&path, &admin).unwrap_err().to_string();
    assert!(e.contains("Admin has no route"), "{e}");
    let none = TemplateOptions {
        api: Some("chat".into()),
        ..TemplateOptions::default()
    };
    let e = load_template(&path, &none).unwrap_err().to_string();
    assert!(
        e.contains("no WebSocket API 'chat'") && e.contains("Admin"),
        "{e}"
    );
}

#[test]
fn a_route_to_an_undefined_integration_or_function_is_named() {
    let text = BASE.replace("!Ref DefaultInteg]]", "MissingInteg]]");
    let (e, message) = refused(&text, &TemplateOptions::default());
    assert_eq!(resource_of(&e), "DefaultRoute");
    assert!(message.contains("integrations/MissingInteg"), "{message}");

    let text = BASE.replace("${ChatFunction.Arn}", "${GoneFunction.Arn}");
    let (e, message) = refused(&text, &TemplateOptions::default());
    assert_eq!(resource_of(&e), "DefaultInteg");
    assert!(
        message.contains("GoneFunction, which is not defined in this template")
            && message.contains("DefaultInteg.Properties.IntegrationUri"),
        "{message}"
    );

    let arn = "arn:aws:lambda:us-east-1:123456789012:function:elsewhere";
    let text = BASE.replace("${ChatFunction.Arn}", arn);
    let (e, message) = refused(&text, &TemplateOptions::default());
    assert_eq!(resource_of(&e), "DefaultInteg");
    assert!(
        message.contains(
            "function 'elsewhere', which is not defined in this template (functions: ChatFunction)"
        ),
        "{message}"
    );
}

#[test]
fn an_unsupported_intrinsic_names_where_it_is_needed() {
    let text = format!(
        "{BASE}      Environment:\n        Variables:\n          TABLE: !ImportValue shared-table\n"
    );
    let (e, message) = refused(&text, &TemplateOptions::default());
    assert_eq!(resource_of(&e), "ChatFunction");
    assert!(
        message.contains(
            "unsupported intrinsic Fn::ImportValue in ChatFunction.Properties.Environment.Variables.TABLE: give the value as a parameter"
        ),
        "{message}"
    );
    // Where wsproxy reads nothing, it does not matter.
    let (_dir, path) = write(&format!(
        "{BASE}      Policies:\n        - Statement:\n            - Resource: !ImportValue shared-table\n"
    ));
    load_template(&path, &TemplateOptions::default()).unwrap();
}

#[test]
fn a_parameter_without_a_value_is_named() {
    let text = format!(
        "Parameters:\n  TableName:\n    Type: String\n{BASE}      Environment:\n        Variables:\n          TABLE: !Ref TableName\n"
    );
    let (e, message) = refused(&text, &TemplateOptions::default());
    assert_eq!(resource_of(&e), "ChatFunction");
    assert!(
        message.contains("parameter TableName has no Default and no value was given")
            && message.contains("TableName=..."),
        "{message}"
    );
    let (_dir, path) = write(&text);
    let given = TemplateOptions {
        parameters: env(&[("TableName", "chats")]),
        ..TemplateOptions::default()
    };
    let api = load_template(&path, &given).unwrap();
    assert_eq!(api.functions[0].environment["TABLE"], "chats");
}

#[test]
fn a_missing_code_folder_is_named() {
    let text = BASE.replace("CodeUri: src/", "CodeUri: build/chat/");
    let (e, message) = refused(&text, &TemplateOptions::default());
    assert_eq!(resource_of(&e), "ChatFunction");
    assert!(
        message.contains("CodeUri 'build/chat/'") && message.contains("build the package first"),
        "{message}"
    );
}

#[test]
fn code_in_s3_inline_or_in_an_image_is_refused() {
    let lambda = BASE.replace(
        "Type: AWS::Serverless::Function\n    Properties:\n      CodeUri: src/",
        "Type: AWS::Lambda::Function\n    Properties:\n      Code: {S3Bucket: artifacts, S3Key: chat.zip}",
    );
    let (e, message) = refused(&lambda, &TemplateOptions::default());
    assert_eq!(resource_of(&e), "ChatFunction");
    assert!(
        message.contains("Code.S3Bucket")
            && message.contains("set Code to the function's local folder or .zip"),
        "{message}"
    );
    let cases = [
        (
            "CodeUri: src/",
            "CodeUri: s3://artifacts/chat.zip",
            "CodeUri: s3://artifacts/chat.zip",
        ),
        (
            "CodeUri: src/",
            "InlineCode: 'def handler(e, c): pass'",
            "InlineCode",
        ),
        ("CodeUri: src/", "PackageType: Image", "PackageType: Image"),
    ];
    for (from, to, expected) in cases {
        let (e, message) = refused(&BASE.replace(from, to), &TemplateOptions::default());
        assert_eq!(resource_of(&e), "ChatFunction");
        assert!(message.contains(expected), "{message}");
    }
    let inline = lambda.replace("{S3Bucket: artifacts, S3Key: chat.zip}", "{ZipFile: 'x'}");
    let (_, message) = refused(&inline, &TemplateOptions::default());
    assert!(message.contains("Code.ZipFile"), "{message}");
}

#[test]
fn an_authorizer_off_connect_and_a_cycle_are_refused() {
    let text = BASE.replace(
        "      RouteKey: $default\n",
        "      RouteKey: $default\n      AuthorizationType: CUSTOM\n      AuthorizerId: Auth\n",
    );
    let (e, message) = refused(&text, &TemplateOptions::default());
    assert_eq!(resource_of(&e), "DefaultRoute");
    assert!(message.contains("$connect only"), "{message}");

    let text = BASE.replace(
        "      Handler: app.handler\n",
        "      Handler: app.handler\n      FunctionName: !Sub '${ChatFunction.Arn}-x'\n",
    );
    let (e, message) = refused(&text, &TemplateOptions::default());
    assert_eq!(resource_of(&e), "ChatFunction");
    assert!(message.contains("ChatFunction itself"), "{message}");
}

#[test]
fn a_function_without_runtime_or_handler_is_named() {
    let (e, message) = refused(
        &BASE.replace("      Runtime: python3.12\n", ""),
        &TemplateOptions::default(),
    );
    assert_eq!(resource_of(&e), "ChatFunction");
    assert!(
        message.contains("has no Runtime (nor Globals.Function.Runtime)"),
        "{message}"
    );
    let (e, message) = refused(
        &BASE.replace("      Handler: app.handler\n", ""),
        &TemplateOptions::default(),
    );
    assert_eq!(resource_of(&e), "ChatFunction");
    assert!(message.contains("has no Handler"), "{message}");
    // A custom runtime runs its package's bootstrap; SAM's Globals give what is left out.
    let globals = "Globals:\n  Function:\n    Timeout: 9\n    CodeUri: src\n";
    let text = BASE
        .replace("      Handler: app.handler\n", "")
        .replace("      CodeUri: src/\n", "")
        .replace("python3.12", "provided.al2023");
    let (dir, path) = write(&format!("{globals}{text}"));
    let api = load_template(&path, &TemplateOptions::default()).unwrap();
    let f = &api.functions[0];
    assert_eq!(
        (f.handler.as_str(), f.timeout_secs, &f.code),
        ("bootstrap", 9, &Code::Dir(dir.path().join("src")))
    );
}
