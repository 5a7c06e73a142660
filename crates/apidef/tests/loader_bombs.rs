//! Templates and Terraform configurations built to blow up the loader: each is refused
//! promptly with an error naming the file and the limit, and the process's peak memory grows
//! by less than 64 MB. Its own test binary, so that the peak (`VmHWM`) is this test's alone.

use std::path::Path;
use std::time::{Duration, Instant};
use wsproxy_apidef::{load_template, load_terraform, TemplateOptions, TerraformOptions};

/// A field of `/proc/self/status` in kB (`VmHWM`: the peak resident size, `VmRSS`: now).
fn status_kb(field: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status
        .lines()
        .find(|l| l.starts_with(field))
        .unwrap_or_else(|| panic!("{field} in /proc/self/status"));
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

/// Runs `load`, expecting an error holding every one of `words`, within 10 s, and returns it.
fn refused(what: &str, load: impl FnOnce() -> Result<(), String>, words: &[&str]) -> String {
    let started = Instant::now();
    let e = load().expect_err(what);
    let took = started.elapsed();
    assert!(took < Duration::from_secs(10), "{what}: took {took:?}");
    for w in words {
        assert!(e.contains(w), "{what}: {w:?} not in: {e}");
    }
    eprintln!("{what}: refused in {took:?}: {e}");
    e
}

fn template(dir: &Path, name: &str, text: &str) -> Result<(), String> {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    load_template(&path, &TemplateOptions::default())
        .map(|_| ())
        .map_err(|e| e.to_string())
}

/// A WebSocket API whose function's `handler` is `handler`, with `extra` HCL beside it.
fn terraform(dir: &Path, handler: &str, extra: &str) -> Result<(), String> {
    let main = format!(
        r#"
resource "aws_apigatewayv2_api" "ws" {{
  name                       = "ws"
  protocol_type              = "WEBSOCKET"
  route_selection_expression = "$request.body.action"
}}
resource "aws_apigatewayv2_integration" "fn" {{
  api_id           = aws_apigatewayv2_api.ws.id
  integration_type = "AWS_PROXY"
  integration_uri  = aws_lambda_function.fn.invoke_arn
}}
resource "aws_apigatewayv2_route" "default" {{
  api_id    = aws_apigatewayv2_api.ws.id
  route_key = "$default"
  target    = "integrations/${{aws_apigatewayv2_integration.fn.id}}"
}}
resource "aws_lambda_function" "fn" {{
  function_name = "fn"
  filename      = "fn.zip"
  handler       = {handler}
  runtime       = "python3.12"
  role          = "arn:aws:iam::123456789012:role/fn"
}}
{extra}
"#
    );
    std::fs::write(dir.join("main.tf"), main).unwrap();
    load_terraform(dir, &TerraformOptions::default())
        .map(|_| ())
        .map_err(|e| e.to_string())
}

#[test]
fn loader_bombs_are_refused_promptly_in_bounded_memory() {
    let dir = tempfile::tempdir().unwrap();
    let peak_before = status_kb("VmHWM:");

    // M3: one 1 MiB anchor aliased 3,000 times (about 1 MB of text, 3 GB expanded).
    let mut text = format!(
        "Resources:\n  A:\n    Type: X\n    Properties:\n      Big: &big {}\n      Copies:\n",
        "x".repeat(1 << 20)
    );
    for _ in 0..3_000 {
        text.push_str("        - *big\n");
    }
    refused(
        "aliases",
        || template(dir.path(), "aliases.yaml", &text),
        &[
            "aliases.yaml",
            "aliases expand to more than 16 MiB",
            "at line 22",
        ],
    );

    // L1: 20,000 nested block sequences (about 40 KB) and as many flow ones.
    let block = format!("{}x\n", "- ".repeat(20_000));
    refused(
        "block nesting",
        || template(dir.path(), "deep.yaml", &block),
        &["deep.yaml", "more than 128 deep", "line 1"],
    );
    let flow = format!("Resources:\n  A: {}x\n", "[".repeat(20_000));
    refused(
        "flow nesting",
        || template(dir.path(), "flow.yaml", &flow),
        &["flow.yaml", "more than 128 deep", "line 2"],
    );
    let json = format!("{{\"Resources\": {}1", "[".repeat(20_000));
    refused(
        "JSON nesting",
        || template(dir.path(), "deep.json", &json),
        &["deep.json", "more than 128 deep", "line 1"],
    );

    // L2: a kilobyte of locals, each joining its predecessor ten times.
    let tf = tempfile::tempdir().unwrap();
    let mut locals = String::from("locals {\n  l0 = \"xxxxxxxxxx\"\n");
    for i in 1..30 {
        let p = format!("local.l{}", i - 1);
        locals.push_str(&format!(
            "  l{i} = join(\"\", [{}])\n",
            vec![p; 10].join(",")
        ));
    }
    locals.push_str("}\n");
    refused(
        "locals",
        || terraform(tf.path(), "local.l29", &locals),
        &["main.tf", "line 20: handler", "join()", "2 MiB"],
    );
    // ... and many locals each under the value limit, together far over any sane total.
    let mut many = String::from("locals {\n  b0 = \"xxxxxxxxxx\"\n");
    for i in 1..6 {
        let p = format!("local.b{}", i - 1);
        many.push_str(&format!(
            "  b{i} = join(\"\", [{}])\n",
            vec![p; 10].join(",")
        ));
    }
    let names: Vec<String> = (0..200).map(|i| format!("local.m{i}")).collect();
    for i in 0..200 {
        many.push_str(&format!("  m{i} = join(\"\", [local.b5, \"{i}\"])\n"));
    }
    many.push_str("}\n");
    refused(
        "many locals",
        || terraform(tf.path(), &format!("length([{}])", names.join(",")), &many),
        &["main.tf", "MiB together"],
    );
    // ... and `file()` of a device that never ends.
    refused(
        "file",
        || terraform(tf.path(), "file(\"/dev/zero\")", ""),
        &[
            "main.tf",
            "line 20: handler",
            "/dev/zero",
            "not a regular file",
        ],
    );
    // ... and of a regular file over the limit.
    std::fs::write(tf.path().join("big.txt"), vec![b'x'; 3 << 20]).unwrap();
    refused(
        "big file",
        || terraform(tf.path(), "file(\"big.txt\")", ""),
        &["main.tf", "big.txt", "2 MiB"],
    );
    // ... and an empty pattern replaced by a long text, nested.
    let replace = "replace(replace(local.k, \"\", local.k), \"\", local.k)";
    let k = format!("locals {{\n  k = \"{}\"\n}}\n", "y".repeat(4_000));
    refused(
        "replace",
        || terraform(tf.path(), replace, &k),
        &["main.tf", "replace()", "2 MiB"],
    );

    let grew_mb = (status_kb("VmHWM:") - peak_before) / 1024;
    eprintln!(
        "peak resident size grew by {grew_mb} MB (VmRSS now {} MB)",
        status_kb("VmRSS:") / 1024
    );
    assert!(grew_mb < 64, "the peak grew by {grew_mb} MB");
}
