//! `AWS::Serverless::Function` (with SAM's `Globals`) and `AWS::Lambda::Function` as
//! [`FunctionDef`]s whose code is on this machine.

use super::eval::{At, Context};
use crate::{Code, FunctionDef, LoadError, DEFAULT_MEMORY_MB, DEFAULT_TIMEOUT_SECS};
use serde_json::Value;
use std::collections::BTreeMap;

const SERVERLESS: &str = "AWS::Serverless::Function";

impl Context<'_> {
    /// The function resource `id`, read and checked.
    pub(super) fn function_def(&self, id: &str) -> Result<FunctionDef, LoadError> {
        let serverless = self.template.resources[id].kind == SERVERLESS;
        if self.setting(id, "PackageType", serverless)?.as_deref() == Some("Image") {
            return Err(self.resource_error(
                id,
                "is a container image function (PackageType: Image), which wsproxy does not run: \
                 give it a Runtime and its code as a folder or .zip"
                    .into(),
            ));
        }
        let runtime = self.setting(id, "Runtime", serverless)?.ok_or_else(|| {
            self.resource_error(
                id,
                format!(
                    "has no Runtime{}: give it one, e.g. Runtime: python3.12",
                    if serverless {
                        " (nor Globals.Function.Runtime)"
                    } else {
                        ""
                    }
                ),
            )
        })?;
        let handler = match self.setting(id, "Handler", serverless)? {
            Some(h) => h,
            None if runtime.starts_with("provided") => "bootstrap".to_owned(),
            None => {
                return Err(self.resource_error(
                    id,
                    "has no Handler: give it one, e.g. Handler: app.handler".into(),
                ))
            }
        };
        let code = if serverless {
            self.serverless_code(id)?
        } else {
            self.lambda_code(id)?
        };
        Ok(FunctionDef {
            name: self.function_name(id)?,
            resource: id.to_owned(),
            file: self.template.file.clone(),
            runtime,
            handler,
            code,
            environment: self.environment(id, serverless)?,
            timeout_secs: self
                .number(id, "Timeout", serverless)?
                .unwrap_or(DEFAULT_TIMEOUT_SECS),
            memory_mb: self
                .number(id, "MemorySize", serverless)?
                .unwrap_or(DEFAULT_MEMORY_MB),
        })
    }

    /// A property of the function, else (for SAM) its `Globals.Function` default, with where
    /// it was found.
    fn raw_setting<'v>(
        &'v self,
        id: &'v str,
        name: &str,
        globals: bool,
    ) -> Option<(&'v Value, At<'v>)> {
        if let Some(v) = self.template.resources[id].properties.get(name) {
            return Some((v, At::property(id, name)));
        }
        let v = self
            .template
            .function_globals
            .get(name)
            .filter(|_| globals)?;
        Some((
            v,
            At {
                resource: id,
                path: format!("Globals.Function.{name}"),
            },
        ))
    }

    /// A string setting, evaluated.
    fn setting(&self, id: &str, name: &str, globals: bool) -> Result<Option<String>, LoadError> {
        let Some((raw, at)) = self.raw_setting(id, name, globals) else {
            return Ok(None);
        };
        self.eval(raw, &at)?
            .map(|v| self.scalar_string(&v, &at))
            .transpose()
    }

    /// `Timeout` or `MemorySize`.
    fn number(&self, id: &str, name: &str, globals: bool) -> Result<Option<u32>, LoadError> {
        let Some((raw, at)) = self.raw_setting(id, name, globals) else {
            return Ok(None);
        };
        let Some(value) = self.eval(raw, &at)? else {
            return Ok(None);
        };
        let text = self.scalar_string(&value, &at)?;
        text.trim().parse().map(Some).map_err(|_| {
            self.fail(
                &at,
                format!("'{text}', which is not a whole number,"),
                "give a number",
            )
        })
    }

    /// `Environment.Variables`: SAM's globals merged under the function's own (before they are
    /// evaluated, as SAM does, so `!Ref AWS::NoValue` in the function removes a global one).
    fn environment(
        &self,
        id: &str,
        serverless: bool,
    ) -> Result<BTreeMap<String, String>, LoadError> {
        let mut merged: BTreeMap<String, (Value, At<'_>)> = BTreeMap::new();
        let mut sources = Vec::new();
        if serverless {
            if let Some(v) = self.template.function_globals.get("Environment") {
                let at = At {
                    resource: id,
                    path: "Globals.Function.Environment".into(),
                };
                sources.push((v, at));
            }
        }
        if let Some(v) = self.template.resources[id].properties.get("Environment") {
            sources.push((v, At::property(id, "Environment")));
        }
        for (environment, at) in sources {
            // Written out, the variables merge before evaluation; built by an intrinsic
            // (`Environment: !If ...`), they are evaluated first.
            let environment = if is_intrinsic(environment) {
                self.eval(environment, &at)?.unwrap_or_default()
            } else {
                environment.clone()
            };
            let at = at.child("Variables");
            let variables = match environment.get("Variables") {
                Some(v) if is_intrinsic(v) => self.eval(v, &at)?.unwrap_or_default(),
                Some(v) => v.clone(),
                None => Value::Null,
            };
            match variables {
                Value::Null => {}
                Value::Object(vars) => {
                    for (name, value) in vars {
                        let at = at.child(&name);
                        merged.insert(name, (value, at));
                    }
                }
                _ => {
                    return Err(self.fail(
                        &at,
                        "Variables that are not a mapping of names to values",
                        "give NAME: value pairs",
                    ))
                }
            }
        }
        let mut variables = BTreeMap::new();
        for (name, (value, at)) in merged {
            if let Some(value) = self.eval(&value, &at)? {
                variables.insert(name, self.scalar_string(&value, &at)?);
            }
        }
        Ok(variables)
    }

    /// SAM's `CodeUri` (a local folder or .zip; the template's folder when absent).
    fn serverless_code(&self, id: &str) -> Result<Code, LoadError> {
        for unsupported in ["InlineCode", "ImageUri"] {
            if self.raw_setting(id, unsupported, true).is_some() {
                return Err(self.resource_error(
                    id,
                    format!("has {unsupported}, which wsproxy does not run: put the code in a folder and set CodeUri to it"),
                ));
            }
        }
        let Some((raw, at)) = self.raw_setting(id, "CodeUri", true) else {
            return self.local_code(id, ".", "CodeUri");
        };
        match self.eval(raw, &at)? {
            None => self.local_code(id, ".", "CodeUri"),
            Some(Value::String(path)) => self.local_code(id, &path, "CodeUri"),
            Some(_) => Err(self.s3_error(
                id,
                "CodeUri (an S3 Bucket and Key)",
                "set CodeUri to the function's local folder or .zip",
            )),
        }
    }

    /// `AWS::Lambda::Function`'s `Code` as a local path (what `aws cloudformation package`
    /// takes).
    fn lambda_code(&self, id: &str) -> Result<Code, LoadError> {
        let advice = "set Code to the function's local folder or .zip, as `aws cloudformation package` takes it";
        match self.property(id, "Code")? {
            Some(Value::String(path)) => self.local_code(id, &path, "Code"),
            Some(Value::Object(code)) if code.contains_key("ZipFile") => Err(self.resource_error(
                id,
                "has its code inline (Code.ZipFile), which wsproxy does not run: put it in a file in a folder and set Code to that folder".into(),
            )),
            Some(Value::Object(code)) if code.contains_key("ImageUri") => Err(self.resource_error(
                id,
                "is a container image function (Code.ImageUri), which wsproxy does not run: give it a Runtime and its code as a folder or .zip".into(),
            )),
            Some(Value::Object(code)) if code.contains_key("S3Bucket") => {
                Err(self.s3_error(id, "Code.S3Bucket", advice))
            }
            _ => Err(self.resource_error(id, format!("has no local Code: {advice}"))),
        }
    }

    fn s3_error(&self, id: &str, what: &str, advice: &str) -> LoadError {
        self.resource_error(
            id,
            format!(
                "its code is in S3 ({what}), and wsproxy runs code from this machine: {advice}"
            ),
        )
    }

    /// `written` (relative to the template's folder): a folder, or a file (a .zip package).
    fn local_code(&self, id: &str, written: &str, property: &str) -> Result<Code, LoadError> {
        if written.starts_with("s3://") || written.starts_with("https://") {
            return Err(self.s3_error(
                id,
                &format!("{property}: {written}"),
                &format!("set {property} to the function's local folder or .zip"),
            ));
        }
        let path = self.template.dir.join(written);
        match std::fs::metadata(&path) {
            Ok(m) if m.is_dir() => Ok(Code::Dir(path)),
            Ok(_) => Ok(Code::Zip(path)),
            Err(e) => Err(self.resource_error(
                id,
                format!(
                    "its {property} '{written}' cannot be read ({}: {e}): fix the path (relative to the template's folder) or build the package first",
                    path.display()
                ),
            )),
        }
    }
}

fn is_intrinsic(value: &Value) -> bool {
    value.as_object().and_then(super::eval::intrinsic).is_some()
}
