//! Bad Terraform configurations: each is refused before any socket is accepted, with an
//! error naming the file, the resource's address, what is wrong and what to do.

use std::path::Path;
use wsproxy_apidef::{load_terraform, LoadError, TerraformOptions};

/// A minimal valid configuration: one WebSocket API, a `$default` route, one function.
const BASE: &str = r#"
resource "aws_apigatewayv2_api" "ws" {
  name                       = "ws"
  protocol_type              = "WEBSOCKET"
  route_selection_expression = "$request.body.action"
}

resource "aws_apigatewayv2_integration" "fn" {
  api_id           = aws_apigatewayv2_api.ws.id
  integration_type = "AWS_PROXY"
  integration_uri  = aws_lambda_function.fn.invoke_arn
}

resource "aws_apigatewayv2_route" "default" {
  api_id    = aws_apigatewayv2_api.ws.id
  route_key = "$default"
  target    = "integrations/${aws_apigatewayv2_integration.fn.id}"
}

resource "aws_lambda_function" "fn" {
  function_name = "fn"
  filename      = "fn.zip"
  handler       = "app.handler"
  runtime       = "python3.12"
  role          = "arn:aws:iam::123456789012:role/fn"
}
"#;

/// Loads `BASE` with `from` replaced by `to` (and `extra` files) from a fresh folder.
fn load_with(from: &str, to: &str, extra: &[(&str, &str)]) -> (Folder, Result<(), LoadError>) {
    assert!(BASE.contains(from), "{from}");
    let folder = Folder(tempfile::tempdir().unwrap());
    let dir = folder.0.path();
    std::fs::write(dir.join("main.tf"), BASE.replace(from, to)).unwrap();
    for (name, text) in extra {
        let path = dir.join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    let result = load_terraform(dir, &TerraformOptions::default()).map(|_| ());
    (folder, result)
}

/// A configuration's folder, removed when dropped.
struct Folder(tempfile::TempDir);

impl std::ops::Deref for Folder {
    type Target = Path;
    fn deref(&self) -> &Path {
        self.0.path()
    }
}

/// The error is about `resource` in `file` and says each of `words`.
fn assert_resource(error: LoadError, dir: &Path, file: &str, resource: &str, words: &[&str]) {
    let text = error.to_string();
    match &error {
        LoadError::Resource {
            file: f,
            resource: r,
            ..
        } => {
            assert_eq!(f, &dir.join(file), "{text}");
            assert_eq!(r, resource, "{text}");
        }
        other => panic!("not a resource error: {other:?}"),
    }
    for word in words {
        assert!(text.contains(word), "{word:?} not in: {text}");
    }
}

#[test]
fn the_base_configuration_loads() {
    load_with("", "", &[]).1.unwrap();
}

#[test]
fn an_hcl_syntax_error_names_the_file_and_line() {
    let (dir, result) = load_with("route_key = \"$default\"", "route_key = ", &[]);
    let e = result.unwrap_err();
    assert!(
        matches!(&e, LoadError::Parse { file, .. } if file == &dir.join("main.tf")),
        "{e:?}"
    );
    assert!(e.to_string().contains("line 16"), "the line: {e}");
}

#[test]
fn no_websocket_api_lists_what_there_is() {
    let (dir, result) = load_with("\"WEBSOCKET\"", "\"HTTP\"", &[]);
    let e = result.unwrap_err();
    let text = e.to_string();
    assert!(
        matches!(&e, LoadError::Api { file, .. } if file == &*dir),
        "{e:?}"
    );
    assert!(
        text.contains("WEBSOCKET") && text.contains("aws_apigatewayv2_api.ws (HTTP)"),
        "{text}"
    );
}

#[test]
fn several_websocket_apis_need_choosing() {
    let second = "resource \"aws_apigatewayv2_api\" \"other\" {\n  name = \"other\"\n  protocol_type = \"WEBSOCKET\"\n  route_selection_expression = \"$request.body.type\"\n}\n";
    let (dir, result) = load_with("", "", &[("other.tf", second)]);
    let text = result.unwrap_err().to_string();
    assert!(
        text.contains("aws_apigatewayv2_api.ws (name \"ws\")")
            && text.contains("aws_apigatewayv2_api.other (name \"other\")")
            && text.contains("--api"),
        "{text}"
    );
    let options = TerraformOptions {
        api: Some("aws_apigatewayv2_api.ws".into()),
        ..TerraformOptions::default()
    };
    let api = load_terraform(&dir, &options).unwrap();
    assert_eq!(api.routes[0].function, "fn");
}

#[test]
fn a_route_to_an_undeclared_integration() {
    let (dir, result) = load_with(
        "aws_apigatewayv2_integration.fn.id}",
        "aws_apigatewayv2_integration.missing.id}",
        &[],
    );
    let e = result.unwrap_err();
    assert_resource(
        e,
        &dir,
        "main.tf",
        "aws_apigatewayv2_route.default",
        &[
            "target",
            "aws_apigatewayv2_integration.missing",
            "no such resource",
        ],
    );
    let (dir, result) = load_with(
        "integrations/${aws_apigatewayv2_integration.fn.id}",
        "integrations/abc1234",
        &[],
    );
    assert_resource(
        result.unwrap_err(),
        &dir,
        "main.tf",
        "aws_apigatewayv2_route.default",
        &[
            "integrations/abc1234",
            "names no aws_apigatewayv2_integration",
        ],
    );
}

#[test]
fn an_integration_to_an_undefined_function() {
    let (dir, result) = load_with(
        "aws_lambda_function.fn.invoke_arn",
        "aws_lambda_function.gone.invoke_arn",
        &[],
    );
    assert_resource(
        result.unwrap_err(),
        &dir,
        "main.tf",
        "aws_apigatewayv2_integration.fn",
        &["integration_uri", "aws_lambda_function.gone"],
    );
    let elsewhere = "\"arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:210987654321:function:elsewhere/invocations\"";
    let (dir, result) = load_with("aws_lambda_function.fn.invoke_arn", elsewhere, &[]);
    assert_resource(
        result.unwrap_err(),
        &dir,
        "main.tf",
        "aws_apigatewayv2_integration.fn",
        &["\"elsewhere\"", "can't be run locally", "--lambda"],
    );
}

#[test]
fn a_non_lambda_integration() {
    let (dir, result) = load_with(
        "integration_type = \"AWS_PROXY\"",
        "integration_type = \"HTTP_PROXY\"",
        &[],
    );
    assert_resource(
        result.unwrap_err(),
        &dir,
        "main.tf",
        "aws_apigatewayv2_integration.fn",
        &["HTTP_PROXY", "AWS_PROXY"],
    );
}

#[test]
fn an_unsupported_function_or_an_unknowable_value_where_one_is_needed() {
    let (dir, result) = load_with("route_key = \"$default\"", "route_key = timestamp()", &[]);
    assert_resource(
        result.unwrap_err(),
        &dir,
        "main.tf",
        "aws_apigatewayv2_route.default",
        &[
            "route_key",
            "undefined function `timestamp`",
            "common functions",
        ],
    );
    let queue = "resource \"aws_sqs_queue\" \"q\" {\n  name = \"q\"\n}\n";
    let (dir, result) = load_with(
        "\"fn\"\n  filename",
        "aws_sqs_queue.q.url\n  filename",
        &[("queue.tf", queue)],
    );
    assert_resource(
        result.unwrap_err(),
        &dir,
        "main.tf",
        "aws_apigatewayv2_integration.fn",
        &[
            "aws_lambda_function.fn.function_name can't be known",
            "aws_sqs_queue.q",
            "url",
        ],
    );
}

#[test]
fn a_required_variable_without_a_value() {
    let variables = "variable \"handler\" {\n  type = string\n}\n";
    let (dir, result) = load_with(
        "\"app.handler\"",
        "var.handler",
        &[("variables.tf", variables)],
    );
    assert_resource(
        result.unwrap_err(),
        &dir,
        "variables.tf",
        "var.handler",
        &["-var handler=", "terraform.tfvars", "TF_VAR_handler"],
    );
    let (_, result) = load_with(
        "\"app.handler\"",
        "var.handler",
        &[
            ("variables.tf", variables),
            ("terraform.tfvars", "handler = \"main.handler\"\n"),
        ],
    );
    result.unwrap();
}

#[test]
fn a_module_call_without_a_required_argument() {
    let module = "variable \"name\" {\n  type = string\n}\n";
    let call = "module \"named\" {\n  source = \"./modules/named\"\n}\n";
    let (dir, result) = load_with(
        "",
        "",
        &[("modules/named/main.tf", module), ("call.tf", call)],
    );
    assert_resource(
        result.unwrap_err(),
        &dir,
        "call.tf",
        "module.named",
        &["name", "no default"],
    );
}

#[test]
fn a_function_in_s3_or_an_existing_one_cannot_run_locally() {
    let (dir, result) = load_with(
        "filename      = \"fn.zip\"",
        "s3_bucket = \"artifacts\"\n  s3_key = \"fn.zip\"",
        &[],
    );
    assert_resource(
        result.unwrap_err(),
        &dir,
        "main.tf",
        "aws_lambda_function.fn",
        &["S3", "artifacts", "filename", "--lambda"],
    );
    let existing = "data \"aws_lambda_function\" \"old\" {\n  function_name = \"legacy\"\n}\n";
    let (dir, result) = load_with(
        "aws_lambda_function.fn.invoke_arn",
        "data.aws_lambda_function.old.invoke_arn",
        &[("data.tf", existing)],
    );
    assert_resource(
        result.unwrap_err(),
        &dir,
        "main.tf",
        "aws_apigatewayv2_integration.fn",
        &[
            "existing function \"legacy\"",
            "data.aws_lambda_function.old",
            "can't be run locally",
        ],
    );
}

#[test]
fn what_cannot_be_known_but_is_not_needed_does_not_fail_the_load() {
    let other = r#"
resource "aws_sqs_queue" "q" {
  name = "q"
}

resource "aws_lambda_function" "worker" {
  count         = length(aws_sqs_queue.q.url) > 0 ? 1 : 0
  function_name = "worker-${aws_sqs_queue.q.arn}"
  s3_bucket     = "artifacts"
  s3_key        = "worker.zip"
}

output "queue" {
  value = aws_sqs_queue.q.url
}
"#;
    let (_dir, result) = load_with("", "", &[("worker.tf", other)]);
    result.unwrap();
}

#[test]
fn a_module_called_with_count_0_is_left_out() {
    let module = "resource \"aws_apigatewayv2_api\" \"spare\" {\n  name = \"spare\"\n  protocol_type = \"WEBSOCKET\"\n  route_selection_expression = \"$request.body.action\"\n}\n";
    let call = |count: &str| {
        format!("module \"spare\" {{\n  source = \"./modules/spare\"\n  count = {count}\n}}\n")
    };
    let off = call("length([]) > 0 ? 1 : 0");
    let (_dir, result) = load_with(
        "",
        "",
        &[("modules/spare/main.tf", module), ("spare.tf", &off)],
    );
    result.unwrap();
    let on = call("1");
    let (_dir, result) = load_with(
        "",
        "",
        &[("modules/spare/main.tf", module), ("spare.tf", &on)],
    );
    let text = result.unwrap_err().to_string();
    assert!(
        text.contains("module.spare[0].aws_apigatewayv2_api.spare"),
        "{text}"
    );
}
