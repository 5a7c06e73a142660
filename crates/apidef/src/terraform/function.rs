//! An `aws_lambda_function` as the local gateway runs it: name, runtime, handler, where its
//! code is on this machine (an `archive_file`'s folder rather than its zip, so edits are
//! live), environment, timeout and memory.

use super::attributes::{required, resource_error, string};
use super::engine::Engine;
use super::instances::{Instance, InstanceKey};
use super::modules::attr;
use crate::{Code, FunctionDef, LoadError, DEFAULT_MEMORY_MB, DEFAULT_TIMEOUT_SECS};
use hcl::{Expression, Value};
use std::collections::BTreeMap;
use std::path::PathBuf;
use wsproxy_tfeval::paths;

/// Reads the function `inst`.
pub(crate) fn read(engine: &Engine, inst: &Instance) -> Result<FunctionDef, LoadError> {
    let error = |message: String| resource_error(engine, inst, message);
    let name = required(engine, inst, "function_name")?;
    if string(engine, inst, "package_type")?.as_deref() == Some("Image")
        || string(engine, inst, "image_uri")?.is_some()
    {
        return Err(error(
            "the function is a container image (image_uri): the local gateway runs zip \
             packages and folders; run the image's command with --lambda instead"
                .to_owned(),
        ));
    }
    if let Some(bucket) = string(engine, inst, "s3_bucket")? {
        let key = string(engine, inst, "s3_key")?.unwrap_or_default();
        return Err(error(format!(
            "the function's code is in S3 (s3_bucket = \"{bucket}\", s3_key = \"{key}\"), \
             not on this machine: set filename to the local zip (or to an archive_file of \
             its folder) in this configuration, or run your function with --lambda"
        )));
    }
    let filename = string(engine, inst, "filename")?.ok_or_else(|| {
        error(
            "the function has no filename: set it to its zip (e.g. an archive_file's output_path)"
                .to_owned(),
        )
    })?;
    let runtime = required(engine, inst, "runtime")?;
    let handler = match string(engine, inst, "handler")? {
        Some(h) => h,
        None if runtime.starts_with("provided") => "bootstrap".to_owned(),
        None => {
            return Err(error(
                "handler is not set: set it, e.g. app.handler".to_owned(),
            ))
        }
    };
    Ok(FunctionDef {
        name,
        resource: inst.address.clone(),
        file: engine.tree.modules[inst.module].resources[inst.block]
            .file
            .clone(),
        runtime,
        handler,
        code: code(engine, &filename),
        environment: environment(engine, inst)?,
        timeout_secs: number(engine, inst, "timeout", DEFAULT_TIMEOUT_SECS)?,
        memory_mb: number(engine, inst, "memory_size", DEFAULT_MEMORY_MB)?,
    })
}

/// The zip `filename`, or the folder an `archive_file` builds it from.
fn code(engine: &Engine, filename: &str) -> Code {
    let cwd = &engine.scope.cwd;
    let zip = paths::abspath(filename, cwd);
    let archives = engine
        .all_of(true, "archive_file")
        .into_iter()
        .chain(engine.all_of(false, "archive_file"));
    for (_, _, list) in archives {
        let Ok(list) = list.as_ref() else { continue };
        for archive in list {
            let text = |key: &str| archive.object.get(key).and_then(Value::as_str);
            if text("output_path").map(|p| paths::abspath(p, cwd)) != Some(zip.clone()) {
                continue;
            }
            if let Some(dir) = text("source_dir") {
                return Code::Dir(paths::abspath(dir, cwd));
            }
            if let Some(file) = text("source_file") {
                let file = paths::abspath(file, cwd);
                return Code::Dir(file.parent().map(PathBuf::from).unwrap_or(file));
            }
        }
    }
    Code::Zip(zip)
}

fn number(engine: &Engine, inst: &Instance, name: &str, default: u32) -> Result<u32, LoadError> {
    let Some(value) = string(engine, inst, name)? else {
        return Ok(default);
    };
    value
        .parse::<f64>()
        .ok()
        .filter(|n| *n >= 1.0 && n.fract() == 0.0 && *n <= f64::from(u32::MAX))
        .map(|n| n as u32)
        .ok_or_else(|| {
            resource_error(
                engine,
                inst,
                format!("{name} is \"{value}\", not a whole number"),
            )
        })
}

/// `environment { variables = ... }`: each variable that can be known offline; one that
/// can't (e.g. a queue's URL AWS makes up) is left out with a warning.
fn environment(engine: &Engine, inst: &Instance) -> Result<BTreeMap<String, String>, LoadError> {
    let block = &engine.tree.modules[inst.module].resources[inst.block];
    let mut out = BTreeMap::new();
    let Some(env) = block
        .body
        .blocks()
        .find(|b| b.identifier() == "environment")
    else {
        return Ok(out);
    };
    let Some(expr) = attr(env.body(), "variables") else {
        return Ok(out);
    };
    let mut unknown = Vec::new();
    let mut partial = Partial {
        engine,
        out: &mut out,
        unknown: &mut unknown,
    };
    partial.eval(inst.module, expr, &inst.key);
    for (key, why) in unknown {
        tracing::warn!(
            function = %inst.address,
            variable = %key,
            "the environment variable can't be worked out offline ({why}); the function runs without it"
        );
    }
    Ok(out)
}

/// Evaluates an object (or a `merge` of objects, or a variable or local holding one)
/// entry by entry, so one unknown value does not lose the others.
struct Partial<'a> {
    engine: &'a Engine,
    out: &'a mut BTreeMap<String, String>,
    unknown: &'a mut Vec<(String, String)>,
}

impl Partial<'_> {
    fn eval(&mut self, m: usize, expr: &Expression, key: &InstanceKey) {
        let e = match self.engine.eval(m, expr, key) {
            Ok(Value::Object(map)) => {
                for (k, v) in map {
                    self.insert(k, v);
                }
                return;
            }
            Ok(Value::Null) => return,
            Ok(other) => format!("{other} is not a map"),
            Err(e) => e,
        };
        match expr {
            Expression::Object(entries) => {
                for (k, value) in entries {
                    let k = hcl::format::to_string(k).unwrap_or_default();
                    let k = k.trim_matches('"').to_owned();
                    match self.engine.eval(m, value, key) {
                        Ok(v) => self.insert(k, v),
                        Err(e) => self.unknown.push((k, e)),
                    }
                }
            }
            Expression::FuncCall(call) if call.name.name.as_str() == "merge" => {
                for arg in &call.args {
                    self.eval(m, arg, key);
                }
            }
            Expression::Parenthesis(inner) => self.eval(m, inner, key),
            other => match self.engine.definition(m, other) {
                Some((m, defined)) => self.eval(m, &defined, &InstanceKey::none()),
                None => self.unknown.push(("variables".into(), e)),
            },
        }
    }

    fn insert(&mut self, key: String, value: Value) {
        match value {
            Value::Null => {}
            Value::String(s) => {
                self.out.insert(key, s);
            }
            other => {
                self.out.insert(key, other.to_string());
            }
        }
    }
}
