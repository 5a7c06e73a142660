//! `Launch::for_function` with real interpreters: each launch runs under the gateway's
//! Lambda host and answers an invocation through the Invoke API; what cannot run is
//! refused with the file, the resource and what to do.
//!
//! The runtime interface clients come from `scripts/function-runtimes.sh`
//! (`.tools/venv-functions`, `.tools/node-functions`).

use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::time::Duration;
use wsproxy_apidef::{Code, FunctionDef, Launch, LaunchOptions};
use wsproxy_lambda_local::{LocalFunction, LocalFunctionConfig};
use wsproxy_test_support::runtimes::{node_modules, venv_python};

fn function(runtime: &str, handler: &str, code: Code) -> FunctionDef {
    FunctionDef {
        name: "hello".into(),
        resource: "HelloFunction".into(),
        file: "template.yaml".into(),
        runtime: runtime.into(),
        handler: handler.into(),
        code,
        environment: BTreeMap::from([("GREETING".to_owned(), "hi".to_owned())]),
        timeout_secs: 10,
        memory_mb: 128,
    }
}

fn options(unpack_dir: &Path) -> LaunchOptions {
    LaunchOptions {
        python: Some(venv_python()),
        node: None,
        unpack_dir: unpack_dir.to_path_buf(),
    }
}

/// Runs `launch` as the gateway runs a function and invokes it once with `payload`.
async fn invoke(f: &FunctionDef, launch: Launch, payload: Value) -> Value {
    let mut config = LocalFunctionConfig::new(&launch.program);
    config.args = launch.args;
    config.working_dir = Some(launch.working_dir);
    config.handler = Some(launch.handler);
    config.function_name = f.name.clone();
    config.env = launch.env;
    config.env.extend(f.environment.clone());
    config.timeout = Duration::from_secs(30);
    let function = LocalFunction::start(config).await.expect("it starts");
    let url = format!(
        "http://{}/2015-03-31/functions/{}/invocations",
        function.runtime_api_addr(),
        f.name
    );
    let answer = reqwest::Client::new()
        .post(url)
        .body(payload.to_string())
        .timeout(Duration::from_secs(60))
        .send()
        .await
        .expect("the Invoke API answers");
    let failed = answer.headers().get("x-amz-function-error").cloned();
    let body: Value = answer.json().await.expect("a JSON answer");
    assert!(failed.is_none(), "the function failed: {body}");
    body
}

#[tokio::test]
async fn a_python_function_runs_under_awslambdaric_from_its_folder() {
    let dir = tempfile::tempdir().unwrap();
    let code = dir.path().join("src");
    std::fs::create_dir_all(code.join("chat")).unwrap();
    std::fs::write(code.join("chat/__init__.py"), "").unwrap();
    std::fs::write(
        code.join("chat/app.py"),
        "import os\n\ndef handler(event, context):\n    \
         return {'got': event, 'greeting': os.environ['GREETING'], \
         'name': context.function_name, 'cwd': os.getcwd()}\n",
    )
    .unwrap();
    let f = function("python3.12", "chat.app.handler", Code::Dir(code.clone()));
    let launch = Launch::for_function(&f, &options(dir.path())).expect("it can run");
    assert_eq!(launch.program, venv_python());
    assert_eq!(launch.args, ["-m", "awslambdaric", "chat.app.handler"]);
    let answer = invoke(&f, launch, json!({"x": 1})).await;
    assert_eq!(answer["got"], json!({"x": 1}));
    assert_eq!(answer["greeting"], "hi");
    assert_eq!(answer["name"], "hello");
    let cwd = PathBuf::from(answer["cwd"].as_str().unwrap());
    assert_eq!(cwd.canonicalize().unwrap(), code.canonicalize().unwrap());
}

#[tokio::test]
async fn python_without_awslambdaric_or_a_handler_file_is_refused_with_what_to_do() {
    let dir = tempfile::tempdir().unwrap();
    let code = dir.path().join("src");
    std::fs::create_dir_all(&code).unwrap();
    std::fs::write(code.join("app.py"), "def handler(e, c):\n    return e\n").unwrap();

    // The handler's module is missing: the error names the file, the resource, the path.
    let f = function("python3.11", "missing.handler", Code::Dir(code.clone()));
    let e = Launch::for_function(&f, &options(dir.path()))
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("template.yaml")
            && e.contains("HelloFunction")
            && e.contains(&code.join("missing.py").display().to_string()),
        "{e}"
    );

    // An interpreter without awslambdaric: named, with the command that installs it.
    let bare = dir.path().join("bare");
    let made = std::process::Command::new(venv_python())
        .args(["-m", "venv", "--without-pip"])
        .arg(&bare)
        .status()
        .unwrap();
    assert!(made.success());
    let python = bare.join("bin/python3");
    let f = function("python3.11", "app.handler", Code::Dir(code.clone()));
    let opts = LaunchOptions {
        python: Some(python.clone()),
        ..options(dir.path())
    };
    let e = Launch::for_function(&f, &opts).unwrap_err().to_string();
    let install = format!("{} -m pip install awslambdaric", python.display());
    assert!(e.contains(&install) && e.contains("HelloFunction"), "{e}");

    // A package that brings its own awslambdaric needs none in the interpreter.
    std::fs::create_dir_all(code.join("awslambdaric")).unwrap();
    std::fs::write(code.join("awslambdaric/__init__.py"), "").unwrap();
    assert!(Launch::for_function(&f, &opts).is_ok());

    // No such interpreter.
    let opts = LaunchOptions {
        python: Some(dir.path().join("no-python")),
        ..options(dir.path())
    };
    let e = Launch::for_function(&f, &opts).unwrap_err().to_string();
    assert!(e.contains("no-python") && e.contains("not found"), "{e}");
}

#[tokio::test]
async fn a_node_function_runs_under_aws_lambda_ric_found_above_its_folder() {
    let dir = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink(node_modules(), dir.path().join("node_modules")).unwrap();
    let code = dir.path().join("functions/hello");
    std::fs::create_dir_all(&code).unwrap();
    std::fs::write(
        code.join("index.mjs"),
        "export const handler = async (event, context) => \
         ({ got: event, greeting: process.env.GREETING, name: context.functionName });\n",
    )
    .unwrap();
    let f = function("nodejs20.x", "index.handler", Code::Dir(code.clone()));
    let launch = Launch::for_function(&f, &options(dir.path())).expect("it can run");
    assert!(launch.program.ends_with("node"), "{launch:?}");
    assert!(
        launch.args[0].contains("node_modules/aws-lambda-ric/"),
        "{launch:?}"
    );
    let answer = invoke(&f, launch, json!({"x": 2})).await;
    assert_eq!(answer["got"], json!({"x": 2}));
    assert_eq!(answer["greeting"], "hi");
    assert_eq!(answer["name"], "hello");
}

#[tokio::test]
async fn node_without_its_handler_file_or_aws_lambda_ric_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let code = dir.path().join("src");
    std::fs::create_dir_all(&code).unwrap();
    std::fs::write(code.join("app.js"), "exports.handler = async () => 1;\n").unwrap();
    let f = function("nodejs22.x", "index.handler", Code::Dir(code.clone()));
    let e = Launch::for_function(&f, &options(dir.path()))
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("HelloFunction") && e.contains(&code.join("index").display().to_string()),
        "{e}"
    );

    // No aws-lambda-ric above the folder (nor globally, on a machine without one).
    let f = function("nodejs22.x", "app.handler", Code::Dir(code));
    let global = std::process::Command::new("npm")
        .args(["root", "-g"])
        .output()
        .map(|o| PathBuf::from(String::from_utf8_lossy(&o.stdout).trim()))
        .ok()
        .filter(|g| g.join("aws-lambda-ric").is_dir());
    if global.is_none() {
        let e = Launch::for_function(&f, &options(dir.path()))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("npm install aws-lambda-ric") && e.contains("HelloFunction"),
            "{e}"
        );
    }
}

/// A zip with a `bootstrap` (a Python script speaking the Runtime API) of unix `mode`.
fn bootstrap_zip(path: &Path, mode: u32) {
    let script = r#"#!/usr/bin/env python3
import json, os, urllib.request
api = "http://" + os.environ["AWS_LAMBDA_RUNTIME_API"] + "/2018-06-01/runtime/invocation/"
while True:
    with urllib.request.urlopen(api + "next") as r:
        request_id = r.headers["Lambda-Runtime-Aws-Request-Id"]
        event = json.load(r)
    body = json.dumps({"bootstrap": event, "handler": os.environ["_HANDLER"]}).encode()
    urllib.request.urlopen(urllib.request.Request(api + request_id + "/response", data=body)).read()
"#;
    let mut w = zip::ZipWriter::new(std::fs::File::create(path).unwrap());
    let options = zip::write::SimpleFileOptions::default().unix_permissions(mode);
    w.start_file("bootstrap", options).unwrap();
    w.write_all(script.as_bytes()).unwrap();
    w.finish().unwrap();
}

#[tokio::test]
async fn a_provided_function_runs_its_bootstrap_from_the_unpacked_zip() {
    let dir = tempfile::tempdir().unwrap();
    let zip = dir.path().join("function.zip");
    bootstrap_zip(&zip, 0o755);
    let unpack = dir.path().join("unpacked");
    let f = function("provided.al2023", "my.handler", Code::Zip(zip.clone()));
    let launch = Launch::for_function(&f, &options(&unpack)).expect("it can run");
    assert!(launch.working_dir.starts_with(&unpack), "{launch:?}");
    assert_eq!(launch.program, launch.working_dir.join("bootstrap"));
    let answer = invoke(&f, launch, json!({"y": 3})).await;
    assert_eq!(
        answer,
        json!({"bootstrap": {"y": 3}, "handler": "my.handler"})
    );

    // A bootstrap that is not executable, and none at all.
    let plain = dir.path().join("plain.zip");
    bootstrap_zip(&plain, 0o644);
    let f = function("provided.al2", "x", Code::Zip(plain));
    let e = Launch::for_function(&f, &options(&unpack))
        .unwrap_err()
        .to_string();
    assert!(e.contains("chmod +x") && e.contains("HelloFunction"), "{e}");
    let empty = dir.path().join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    let f = function("provided.al2023", "x", Code::Dir(empty));
    let e = Launch::for_function(&f, &options(&unpack))
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("bootstrap") && e.contains("does not exist"),
        "{e}"
    );
}

#[test]
fn runtimes_that_cannot_run_here_say_why() {
    let dir = tempfile::tempdir().unwrap();
    for (runtime, why) in [
        ("java21", "Java"),
        ("dotnet8", ".NET"),
        ("ruby3.3", "Ruby"),
        ("go1.x", "provided.al2023"),
        ("cobol", "not a Lambda runtime"),
    ] {
        let f = function(runtime, "x.y", Code::Dir(dir.path().into()));
        let e = Launch::for_function(&f, &options(dir.path()))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains(runtime)
                && e.contains(why)
                && e.contains("can't run locally")
                && e.contains("template.yaml: HelloFunction"),
            "{e}"
        );
    }
    let f = function(
        "python3.12",
        "app.handler",
        Code::Dir(dir.path().join("gone")),
    );
    let e = Launch::for_function(&f, &options(dir.path()))
        .unwrap_err()
        .to_string();
    assert!(e.contains("gone") && e.contains("does not exist"), "{e}");
}
