//! `nodejs*` → `<node> <aws-lambda-ric>/bin/index.mjs <handler>`.

use super::{absolute, on_path, probe, resource_error, Launch, LaunchOptions};
use crate::{FunctionDef, LoadError};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// The npm package of the Node.js runtime interface client.
const RIC: &str = "aws-lambda-ric";

/// The launch of a `nodejs*` function whose code is in `dir`.
pub(super) fn launch(
    f: &FunctionDef,
    options: &LaunchOptions,
    dir: PathBuf,
) -> Result<Launch, LoadError> {
    let (root, module) = handler_module(f)?;
    if !module_exists(&dir, &root, &module) {
        let base = dir.join(&root).join(&module);
        return Err(resource_error(
            f,
            format!(
                "its handler '{}' is in module '{module}', and none of {base}.js, \
                 {base}.mjs, {base}.cjs exists: fix Handler, or the code folder",
                f.handler,
                base = base.display()
            ),
        ));
    }
    let node = match &options.node {
        Some(node) => on_path(&node.to_string_lossy()).ok_or_else(|| {
            resource_error(
                f,
                format!(
                    "the node program {} was not found: give the path of node",
                    node.display()
                ),
            )
        })?,
        None => on_path("node").ok_or_else(|| {
            resource_error(
                f,
                format!(
                    "runtime {} needs Node.js, and there is no node on PATH: install Node.js \
                     (https://nodejs.org, or Debian's nodejs), or name the program",
                    f.runtime
                ),
            )
        })?,
    };
    let package = find_ric(&dir).ok_or_else(|| {
        resource_error(
            f,
            format!(
                "the Node.js runtime interface client {RIC} is not installed in {} (nor in a \
                 folder above it, nor globally): install it with `npm install {RIC}` there \
                 (or `npm install -g {RIC}`)",
                dir.display()
            ),
        )
    })?;
    let script = entry_script(&package).map_err(|why| resource_error(f, why))?;
    Ok(Launch {
        program: absolute(&node),
        args: vec![script.display().to_string(), f.handler.clone()],
        working_dir: dir,
        handler: f.handler.clone(),
        env: Vec::new(),
    })
}

/// The handler's module as the client reads it: `app.handler` → (``, `app`),
/// `src/app.nested.fn` → (`src`, `app`).
fn handler_module(f: &FunctionDef) -> Result<(String, String), LoadError> {
    let (root, base) = match f.handler.rsplit_once('/') {
        Some((root, base)) => (root, base),
        None => ("", f.handler.as_str()),
    };
    match base.split_once('.') {
        Some((module, function))
            if !module.is_empty() && !function.is_empty() && !f.handler.contains("..") =>
        {
            Ok((root.to_owned(), module.to_owned()))
        }
        _ => Err(resource_error(
            f,
            format!(
                "Handler '{}' is not FILE.EXPORT (e.g. index.handler for `export const \
                 handler` in index.mjs)",
                f.handler
            ),
        )),
    }
}

/// The module file exists (as the client looks: the name itself, `.js`, `.mjs`, `.cjs`),
/// or a package of that name is in the folder's `node_modules`.
fn module_exists(dir: &Path, root: &str, module: &str) -> bool {
    let base = dir.join(root).join(module);
    ["", ".js", ".mjs", ".cjs"]
        .iter()
        .any(|ext| Path::new(&format!("{}{ext}", base.display())).is_file())
        || dir.join("node_modules").join(module).is_dir()
}

/// The `aws-lambda-ric` package folder: in a `node_modules` of `dir` or a folder above it,
/// else in the global one (`npm root -g`, asked once).
fn find_ric(dir: &Path) -> Option<PathBuf> {
    let local = dir
        .ancestors()
        .map(|d| d.join("node_modules").join(RIC))
        .find(|p| p.join("package.json").is_file());
    local.or_else(|| {
        static GLOBAL: OnceLock<Option<PathBuf>> = OnceLock::new();
        GLOBAL
            .get_or_init(|| {
                let root = probe(Command::new("npm").args(["root", "-g"])).ok()?;
                Some(PathBuf::from(root).join(RIC)).filter(|p| p.join("package.json").is_file())
            })
            .clone()
    })
}

/// The script the package's `bin` names (`bin/index.mjs` in 3.x, `index.mjs` in 4.x),
/// after checking that its native client is there (the package loads it at start).
fn entry_script(package: &Path) -> Result<PathBuf, String> {
    let manifest = package.join("package.json");
    let text = std::fs::read_to_string(&manifest)
        .map_err(|e| format!("cannot read {}: {e}", manifest.display()))?;
    let json: serde_json::Value = serde_json::from_str(&text)
        .map_err(|e| format!("{} is not valid JSON: {e}", manifest.display()))?;
    let bin = match &json["bin"] {
        serde_json::Value::String(s) => Some(s.as_str()),
        serde_json::Value::Object(map) => map.get(RIC).and_then(|v| v.as_str()),
        _ => None,
    };
    let script = package.join(bin.unwrap_or("bin/index.mjs"));
    if !script.is_file() {
        return Err(format!(
            "{RIC} in {} has no {}: reinstall it with `npm install {RIC}`",
            package.display(),
            script.display()
        ));
    }
    let native = [
        "rapid-client.node",
        "dist/rapid-client.node",
        "build/Release/rapid-client.node",
    ]
    .iter()
    .any(|p| package.join(p).is_file());
    if !native {
        return Err(format!(
            "{RIC} in {} has no native client (rapid-client.node), which it loads at start: \
             it was installed without its install scripts (--ignore-scripts), which build \
             it. Reinstall it with `npm install {RIC}` (the build needs cmake, make, g++, \
             autoconf and libtool)",
            package.display()
        ));
    }
    Ok(script)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn function(handler: &str) -> FunctionDef {
        FunctionDef {
            name: "chat".into(),
            resource: "aws_lambda_function.chat".into(),
            file: "main.tf".into(),
            runtime: "nodejs20.x".into(),
            handler: handler.into(),
            code: crate::Code::Dir("src".into()),
            environment: Default::default(),
            timeout_secs: 3,
            memory_mb: 128,
        }
    }

    #[test]
    fn handler_modules_are_read_as_the_client_reads_them() {
        let m = |h: &str| handler_module(&function(h)).ok();
        assert_eq!(m("app.handler"), Some((String::new(), "app".into())));
        assert_eq!(m("src/app.a.b"), Some(("src".into(), "app".into())));
        for bad in ["handler", ".handler", "app.", "../app.handler"] {
            assert_eq!(m(bad), None, "{bad}");
        }
        let e = handler_module(&function("x")).unwrap_err().to_string();
        assert!(
            e.contains("main.tf") && e.contains("aws_lambda_function.chat"),
            "{e}"
        );
    }

    #[test]
    fn the_entry_script_is_the_packages_bin_and_needs_the_native_client() {
        let dir = tempfile::tempdir().unwrap();
        let package = dir.path().join("node_modules").join(RIC);
        std::fs::create_dir_all(package.join("bin")).unwrap();
        std::fs::write(package.join("bin/index.mjs"), "").unwrap();
        std::fs::write(
            package.join("package.json"),
            r#"{"bin":{"aws-lambda-ric":"bin/index.mjs"}}"#,
        )
        .unwrap();
        let nested = dir.path().join("src/deep");
        std::fs::create_dir_all(&nested).unwrap();
        assert_eq!(find_ric(&nested), Some(package.clone()));
        let e = entry_script(&package).unwrap_err();
        assert!(
            e.contains("rapid-client.node") && e.contains("npm install"),
            "{e}"
        );
        std::fs::create_dir_all(package.join("dist")).unwrap();
        std::fs::write(package.join("dist/rapid-client.node"), "").unwrap();
        assert_eq!(
            entry_script(&package).unwrap(),
            package.join("bin/index.mjs")
        );
        // 4.x: `bin` is a string and the script is at the root.
        std::fs::write(package.join("package.json"), r#"{"bin":"./index.mjs"}"#).unwrap();
        assert!(entry_script(&package).unwrap_err().contains("index.mjs"));
        std::fs::write(package.join("index.mjs"), "").unwrap();
        assert_eq!(entry_script(&package).unwrap(), package.join("./index.mjs"));
    }
}
