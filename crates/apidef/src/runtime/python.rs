//! `python3.x` → `<python> -m awslambdaric <handler>`.

use super::{absolute, on_path, probe, resource_error, Launch, LaunchOptions};
use crate::{FunctionDef, LoadError};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Mutex, OnceLock};

/// The launch of a `python3.x` function whose code is in `dir`.
pub(super) fn launch(
    f: &FunctionDef,
    options: &LaunchOptions,
    dir: PathBuf,
) -> Result<Launch, LoadError> {
    let module = handler_module(f)?;
    if module_file(&dir, &module).is_none() {
        let rel = module.join("/");
        return Err(resource_error(
            f,
            format!(
                "its handler '{}' is in module '{}', and neither {} nor {} exists: fix \
                 Handler, or the code folder",
                f.handler,
                module.join("."),
                dir.join(format!("{rel}.py")).display(),
                dir.join(&rel).join("__init__.py").display()
            ),
        ));
    }
    let python = interpreter(f, options)?;
    // A package may bring its own copy (`pip install -t`), as deployment packages do.
    if !dir.join("awslambdaric").join("__init__.py").is_file() {
        awslambdaric_importable(&python).map_err(|message| resource_error(f, message))?;
    }
    Ok(Launch {
        program: python,
        args: vec!["-m".into(), "awslambdaric".into(), f.handler.clone()],
        working_dir: dir,
        handler: f.handler.clone(),
        env: Vec::new(),
    })
}

/// The module path of the handler: `app.handler` → `["app"]`, `pkg.sub.app.handler` and
/// `pkg/sub/app.handler` → `["pkg", "sub", "app"]` (as awslambdaric reads it).
fn handler_module(f: &FunctionDef) -> Result<Vec<String>, LoadError> {
    let parsed = f
        .handler
        .rsplit_once('.')
        .filter(|(module, function)| !module.is_empty() && !function.is_empty())
        .map(|(module, _)| {
            module
                .split(['.', '/'])
                .map(str::to_owned)
                .collect::<Vec<_>>()
        })
        .filter(|parts| parts.iter().all(|p| !p.is_empty() && p != ".."));
    parsed.ok_or_else(|| {
        resource_error(
            f,
            format!(
                "Handler '{}' is not MODULE.FUNCTION (e.g. app.handler for def handler in \
                 app.py)",
                f.handler
            ),
        )
    })
}

/// The file that defines `module` under `dir`: `a/b.py` or `a/b/__init__.py`.
fn module_file(dir: &Path, module: &[String]) -> Option<PathBuf> {
    let rel = module.join("/");
    [
        dir.join(format!("{rel}.py")),
        dir.join(&rel).join("__init__.py"),
    ]
    .into_iter()
    .find(|p| p.is_file())
}

/// The interpreter: [`LaunchOptions::python`], else the active virtualenv's `python3`,
/// else `python3` on `PATH`.
fn interpreter(f: &FunctionDef, options: &LaunchOptions) -> Result<PathBuf, LoadError> {
    if let Some(python) = &options.python {
        return match on_path(&python.to_string_lossy()) {
            Some(found) => Ok(absolute(&found)),
            None => Err(resource_error(
                f,
                format!(
                    "the Python interpreter {} was not found: give the path of a python3",
                    python.display()
                ),
            )),
        };
    }
    if let Some(venv) = std::env::var_os("VIRTUAL_ENV").filter(|v| !v.is_empty()) {
        let python = Path::new(&venv).join("bin").join("python3");
        if python.is_file() {
            return Ok(absolute(&python));
        }
    }
    on_path("python3").map(|p| absolute(&p)).ok_or_else(|| {
        resource_error(
            f,
            format!(
                "runtime {} needs a Python 3 interpreter, and there is no python3 on PATH: \
                 install Python 3, activate the virtualenv that holds the function's \
                 dependencies, or name the interpreter",
                f.runtime
            ),
        )
    })
}

/// Checks once per interpreter (one subprocess) that it can import awslambdaric; the error
/// names the interpreter and the command that installs it.
fn awslambdaric_importable(python: &Path) -> Result<(), String> {
    static CHECKED: OnceLock<Mutex<HashMap<PathBuf, Result<(), String>>>> = OnceLock::new();
    let checked = CHECKED.get_or_init(Default::default);
    if let Some(known) = checked.lock().map_or(None, |c| c.get(python).cloned()) {
        return known;
    }
    let result = probe(Command::new(python).args(["-c", "import awslambdaric"]))
        .map(drop)
        .map_err(|why| {
            format!(
                "the Python runtime interface client awslambdaric is not importable by {} \
                 ({why}): install it with `{} -m pip install awslambdaric`",
                python.display(),
                python.display()
            )
        });
    if let Ok(mut c) = checked.lock() {
        c.insert(python.to_path_buf(), result.clone());
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    fn function(handler: &str) -> FunctionDef {
        FunctionDef {
            name: "chat".into(),
            resource: "ChatFunction".into(),
            file: "template.yaml".into(),
            runtime: "python3.12".into(),
            handler: handler.into(),
            code: crate::Code::Dir("src".into()),
            environment: Default::default(),
            timeout_secs: 3,
            memory_mb: 128,
        }
    }

    #[test]
    fn handler_modules_are_read_as_awslambdaric_reads_them() {
        let m = |h: &str| handler_module(&function(h)).ok();
        assert_eq!(m("app.handler"), Some(vec!["app".to_owned()]));
        assert_eq!(
            m("pkg.sub.app.handler"),
            Some(vec!["pkg".into(), "sub".into(), "app".into()])
        );
        assert_eq!(m("pkg/app.handler"), Some(vec!["pkg".into(), "app".into()]));
        for bad in [
            "handler",
            ".handler",
            "app.",
            "../app.handler",
            "a..b.handler",
        ] {
            assert_eq!(m(bad), None, "{bad}");
        }
        let e = handler_module(&function("nodot")).unwrap_err().to_string();
        assert!(
            e.contains("template.yaml") && e.contains("ChatFunction") && e.contains("MODULE"),
            "{e}"
        );
    }

    #[test]
    fn a_module_is_a_file_or_a_package() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("app.py"), "").unwrap();
        std::fs::create_dir_all(dir.path().join("pkg/sub")).unwrap();
        std::fs::write(dir.path().join("pkg/sub/__init__.py"), "").unwrap();
        let m = |parts: &[&str]| {
            let parts: Vec<String> = parts.iter().map(|p| (*p).to_owned()).collect();
            module_file(dir.path(), &parts).is_some()
        };
        assert!(m(&["app"]));
        assert!(m(&["pkg", "sub"]));
        assert!(!m(&["pkg"]));
        assert!(!m(&["other"]));
    }
}
