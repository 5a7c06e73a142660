//! A Terraform root module (an environment such as `infra/terraform/envs/dev`) read as
//! Terraform reads it ([`wsproxy_tfeval::RootModule`]: its `*.tf` files, its variables and
//! locals), and the arguments it gives the `websocket_proxy` module.

use hcl::{Block, Expression, Value};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use wsproxy_tfeval::{paths, Error, Evaluator, RootInputs, RootModule, Variables};

/// What an environment says about its deployment.
#[derive(Debug, Clone)]
pub struct Environment {
    /// The folder, absolute and clean: where Terraform runs.
    pub dir: PathBuf,
    /// The `*.tf` files read.
    pub tf_files: Vec<PathBuf>,
    /// Its variables and their values.
    pub variables: Variables,
    /// The locals that could be evaluated.
    pub locals: hcl::Map<String, Value>,
    /// The `websocket_proxy` module block, if there is one.
    pub module: Option<ProxyModule>,
    /// The `aws` provider's `region`, when the environment sets one.
    pub region: Option<String>,
}

/// A setting's value, or why it could not be worked out.
pub type Setting<T> = Result<T, String>;

/// The arguments an environment gives the `websocket_proxy` module.
#[derive(Debug, Clone)]
pub struct ProxyModule {
    /// The block's label (`module "websocket_proxy"`): the resources' address prefix.
    pub label: String,
    /// `create_lambda` (default true): Option 1 when true, Options 2 and 3 when false.
    pub create_lambda: Setting<bool>,
    /// The function's name: `name` in Option 1, `existing_lambda_function_name` otherwise.
    pub function_name: Setting<String>,
    /// The table's name: `connections_table_name`, or `<name>-connections`.
    pub table_name: Setting<String>,
    /// `lambda_package` as the module receives it, when given.
    pub lambda_package: Option<Setting<String>>,
    /// `backend_url`, when given.
    pub backend_url: Option<Setting<String>>,
    /// The package in S3 (`lambda_s3_bucket` and the others), when given.
    pub lambda_s3: Option<S3Package>,
}

/// The module's `lambda_s3_*` arguments: where `wsproxy package --upload` put the package.
#[derive(Debug, Clone)]
pub struct S3Package {
    /// `lambda_s3_bucket`.
    pub bucket: Setting<String>,
    /// `lambda_s3_key`.
    pub key: Setting<String>,
    /// `lambda_s3_object_version`, when given.
    pub version: Option<Setting<String>>,
    /// `lambda_s3_source_code_hash`, when given.
    pub source_code_hash: Option<Setting<String>>,
}

impl ProxyModule {
    /// Terraform's address of the function this module creates (Option 1).
    pub fn function_address(&self) -> String {
        format!("module.{}.aws_lambda_function.this[0]", self.label)
    }

    /// Terraform's address of the connection table.
    pub fn table_address(&self) -> String {
        format!("module.{}.aws_dynamodb_table.this[0]", self.label)
    }
}

impl Environment {
    /// Where Terraform will read the package: the module's `lambda_package` as Terraform
    /// resolves a relative path, against the folder it runs in. `None` when not given.
    pub fn package_path(&self) -> Option<Setting<PathBuf>> {
        let given = self.module.as_ref()?.lambda_package.clone()?;
        Some(given.map(|p| paths::abspath(&p, &self.dir)))
    }

    /// Reads `dir` with this process's environment (`TF_VAR_*`, `HOME`).
    pub fn load(dir: &Path, var_files: &[PathBuf]) -> Result<Self, Error> {
        Self::load_with(dir, var_files, &|name| std::env::var(name).ok())
    }

    /// Reads `dir`, taking environment variables from `env`.
    pub fn load_with(
        dir: &Path,
        var_files: &[PathBuf],
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Self, Error> {
        let root = RootModule::load(
            dir,
            &RootInputs {
                var_files,
                vars: &BTreeMap::new(),
                env,
            },
        )?;
        let locals = root.locals();
        let evaluator = Evaluator::new(root.scope.clone(), root.variables.values(), locals.clone());
        let all_blocks: Vec<&Block> = root.blocks().collect();
        let unset = root.variables.unset();
        let module = find_module(&all_blocks).map(|b| read_module(b, &evaluator, &unset));
        let region = all_blocks
            .iter()
            .filter(|b| b.identifier() == "provider" && label(b) == Some("aws"))
            .find(|b| attr(b, "alias").is_none())
            .and_then(|b| attr(b, "region"))
            .and_then(|e| string(&evaluator, e).ok());
        Ok(Self {
            tf_files: root.tf_files(),
            dir: root.dir,
            variables: root.variables,
            locals,
            module,
            region,
        })
    }
}

fn label(block: &Block) -> Option<&str> {
    block.labels().first().map(|l| l.as_str())
}

fn attr<'a>(block: &'a Block, key: &str) -> Option<&'a Expression> {
    block
        .body()
        .attributes()
        .find(|a| a.key() == key)
        .map(|a| a.expr())
}

/// The block of the `websocket_proxy` module: by its source, else by its arguments.
fn find_module<'a>(all: &[&'a Block]) -> Option<&'a Block> {
    let modules: Vec<&Block> = all
        .iter()
        .copied()
        .filter(|b| b.identifier() == "module")
        .collect();
    let source_is_ours = |b: &&Block| matches!(attr(b, "source"), Some(Expression::String(s)) if s.trim_end_matches('/').ends_with("websocket_proxy"));
    let looks_like_ours = |b: &&Block| {
        attr(b, "lambda_package").is_some()
            || attr(b, "lambda_s3_bucket").is_some()
            || attr(b, "existing_lambda_function_name").is_some()
    };
    modules
        .iter()
        .copied()
        .find(source_is_ours)
        .or_else(|| modules.iter().copied().find(looks_like_ours))
}

fn read_module(block: &Block, evaluator: &Evaluator, unset: &[String]) -> ProxyModule {
    // "no such key: `backend_url` in expression `var.backend_url`" says less than this.
    let explain = |e: String| match unset.iter().find(|n| e.contains(&format!("var.{n}"))) {
        Some(name) => format!("variable {name} has no value"),
        None => e,
    };
    let get = |key: &str| attr(block, key).map(|e| optional_string(evaluator, e).map_err(explain));
    let create_lambda = match attr(block, "create_lambda") {
        None => Ok(true),
        Some(e) => evaluator.eval(e).and_then(|v| match v {
            Value::Bool(b) => Ok(b),
            other => Err(format!("create_lambda is {other}, not a bool")),
        }),
    };
    let name = required(get("name"), "name");
    let function_name = match &create_lambda {
        Ok(true) => match get("lambda_function_name") {
            Some(Ok(Some(function))) => Ok(function),
            Some(Err(e)) => Err(format!("lambda_function_name: {e}")),
            _ => name.clone(),
        },
        Ok(false) => required(
            get("existing_lambda_function_name"),
            "existing_lambda_function_name",
        ),
        Err(e) => Err(format!("create_lambda: {e}")),
    };
    let table_name = match get("connections_table_name") {
        Some(Ok(Some(table))) => Ok(table),
        Some(Err(e)) => Err(format!("connections_table_name: {e}")),
        _ => name.map(|n| format!("{n}-connections")),
    };
    let some = |s: Option<Setting<Option<String>>>| s.and_then(Result::transpose);
    ProxyModule {
        label: label(block).unwrap_or("websocket_proxy").to_owned(),
        create_lambda,
        function_name,
        table_name,
        lambda_package: some(get("lambda_package")),
        backend_url: some(get("backend_url")),
        lambda_s3: some(get("lambda_s3_bucket")).map(|bucket| S3Package {
            bucket,
            key: required(get("lambda_s3_key"), "lambda_s3_key"),
            version: some(get("lambda_s3_object_version")),
            source_code_hash: some(get("lambda_s3_source_code_hash")),
        }),
    }
}

fn required(value: Option<Setting<Option<String>>>, key: &str) -> Setting<String> {
    match value {
        Some(Ok(Some(v))) => Ok(v),
        Some(Ok(None)) | None => Err(format!("the module is given no {key}")),
        Some(Err(e)) => Err(format!("{key}: {e}")),
    }
}

fn optional_string(evaluator: &Evaluator, expr: &Expression) -> Setting<Option<String>> {
    match evaluator.eval(expr)? {
        Value::Null => Ok(None),
        Value::String(s) => Ok(Some(s)),
        Value::Number(n) => Ok(Some(n.to_string())),
        Value::Bool(b) => Ok(Some(b.to_string())),
        other => Err(format!("{other} is not a string")),
    }
}

fn string(evaluator: &Evaluator, expr: &Expression) -> Setting<String> {
    optional_string(evaluator, expr)?.ok_or_else(|| "null".to_owned())
}
