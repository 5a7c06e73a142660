//! Variations of a minimal template written to a temporary folder: what loads and what is
//! refused, with an error naming the file and the resource.

use super::{env, route};
use std::path::PathBuf;
use wsproxy_apidef::{load_template, Code, LoadError, TemplateOptions};

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
