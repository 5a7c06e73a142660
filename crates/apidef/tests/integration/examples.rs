//! The local gateway's example chat apps (examples/local-gateway): each SAM template and
//! each Terraform configuration loads into the API it describes, and every function of it
//! can run here.

use std::path::{Path, PathBuf};
use wsproxy_apidef::{
    load_template, load_terraform, ApiDefinition, Code, Launch, LaunchOptions, TemplateOptions,
    TerraformOptions,
};

fn example(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../examples/local-gateway")
        .join(name)
}

/// The chat's routes, functions and authorizer, as both apps define them.
fn check_chat(api: &ApiDefinition, prefix: &str, runtime: &str) {
    assert_eq!(api.route_selection_expression, "$request.body.action");
    assert_eq!(api.stage.as_deref(), Some("dev"));
    let mut routes: Vec<_> = api
        .routes
        .iter()
        .map(|r| (r.route_key.as_str(), r.function.as_str(), r.route_response))
        .collect();
    routes.sort();
    let f = |s: &str| format!("{prefix}-{s}");
    let (connect, disconnect, echo, send) =
        (f("connect"), f("disconnect"), f("echo"), f("sendmessage"));
    assert_eq!(
        routes,
        [
            ("$connect", connect.as_str(), false),
            ("$disconnect", disconnect.as_str(), false),
            ("echo", echo.as_str(), true),
            ("sendmessage", send.as_str(), false),
        ]
    );
    let auth = api.authorizer.as_ref().expect("a $connect authorizer");
    assert_eq!(auth.function, f("authorizer"));
    assert_eq!(auth.identity_sources, ["route.request.querystring.token"]);
    assert_eq!(api.functions.len(), 5);
    for function in &api.functions {
        assert_eq!(function.runtime, runtime, "{function:?}");
        let table = function.environment.get("TABLE_NAME").map(String::as_str);
        if function.name == f("authorizer") {
            assert_eq!(
                function.environment.get("CHAT_TOKEN").map(String::as_str),
                Some("let-me-in")
            );
        } else if function.name != f("echo") {
            // (echo needs no table; the template's Globals give it the variable anyway.)
            let expected = format!("{prefix}-connections");
            assert_eq!(table, Some(expected.as_str()), "{function:?}");
        }
    }
}

#[test]
fn the_python_chat_template_loads_and_its_functions_can_run() {
    let api = load_template(
        &example("chat-python/template.yaml"),
        &TemplateOptions::default(),
    )
    .expect("the template loads");
    check_chat(&api, "chat-python", "python3.12");
    let dir = tempfile::tempdir().unwrap();
    let options = LaunchOptions {
        python: Some(wsproxy_test_support::runtimes::venv_python()),
        node: None,
        unpack_dir: dir.path().to_path_buf(),
    };
    for f in &api.functions {
        let launch = Launch::for_function(f, &options).expect("it can run");
        assert_eq!(
            launch.working_dir.canonicalize().unwrap(),
            example("chat-python/src").canonicalize().unwrap()
        );
    }
}

#[test]
fn the_python_chat_terraform_loads_and_its_functions_can_run() {
    let dir = tempfile::tempdir().unwrap();
    let app = dir.path().join("chat-python");
    copy_dir(&example("chat-python"), &app);
    let api = load_terraform(&app, &TerraformOptions::default()).expect("it loads");
    check_chat(&api, "chat-python", "python3.12");
    let options = LaunchOptions {
        python: Some(wsproxy_test_support::runtimes::venv_python()),
        node: None,
        unpack_dir: dir.path().join("unpacked"),
    };
    for f in &api.functions {
        // archive_file's source_dir: the folder itself, not the zip Terraform would make.
        assert_eq!(f.code, Code::Dir(app.join("src")), "{f:?}");
        Launch::for_function(f, &options).expect("it can run");
    }
}

#[test]
fn the_node_chat_terraform_loads_and_its_functions_can_run() {
    let dir = tempfile::tempdir().unwrap();
    let app = dir.path().join("chat-node");
    copy_dir(&example("chat-node"), &app);
    std::os::unix::fs::symlink(
        wsproxy_test_support::runtimes::node_modules(),
        app.join("node_modules"),
    )
    .unwrap();
    let api = load_terraform(&app, &TerraformOptions::default()).expect("it loads");
    check_chat(&api, "chat-node", "nodejs20.x");
    let options = LaunchOptions {
        python: None,
        node: None,
        unpack_dir: dir.path().join("unpacked"),
    };
    for f in &api.functions {
        Launch::for_function(f, &options).expect("it can run");
    }
}

#[test]
fn the_node_chat_template_loads_and_its_functions_can_run() {
    // A copy beside the runtime interface client, as after `npm install` in the app.
    let dir = tempfile::tempdir().unwrap();
    let app = dir.path().join("chat-node");
    copy_dir(&example("chat-node"), &app);
    std::os::unix::fs::symlink(
        wsproxy_test_support::runtimes::node_modules(),
        app.join("node_modules"),
    )
    .unwrap();
    let api = load_template(&app.join("template.yaml"), &TemplateOptions::default())
        .expect("the template loads");
    check_chat(&api, "chat-node", "nodejs20.x");
    let options = LaunchOptions {
        python: None,
        node: None,
        unpack_dir: dir.path().to_path_buf(),
    };
    for f in &api.functions {
        Launch::for_function(f, &options).expect("it can run");
    }
}

/// Copies the folder `from` to `to` (files and folders only).
pub(crate) fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            if entry.file_name() != "node_modules" {
                copy_dir(&entry.path(), &target);
            }
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}
