//! `wsproxy serve --terraform DIR`: the WebSocket API of a Terraform configuration,
//! evaluated offline as `terraform plan` would (and as `wsproxy doctor` does): variables
//! and tfvars, locals, local modules, `count`/`for_each`, Terraform's common functions, and
//! the attributes AWS gives resources (ids, ARNs, endpoints) made up from their arguments.

mod api;
mod attributes;
mod computed;
mod engine;
mod function;
mod inputs;
mod instances;
mod modules;

use crate::{ApiDefinition, LoadError};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use wsproxy_tfeval::{RootInputs, RootModule};

/// What `terraform plan` would be given besides the folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TerraformOptions {
    /// `-var-file`s, applied after `terraform.tfvars` and `*.auto.tfvars`.
    pub var_files: Vec<PathBuf>,
    /// `-var NAME=VALUE`s, applied last.
    pub vars: BTreeMap<String, String>,
    /// The region of the ARNs and endpoints (`data.aws_region`), `us-east-1` by default.
    pub region: String,
    /// Which WebSocket API, by address or name, when the configuration has several.
    pub api: Option<String>,
}

impl Default for TerraformOptions {
    fn default() -> Self {
        Self {
            var_files: Vec::new(),
            vars: BTreeMap::new(),
            region: "us-east-1".to_owned(),
            api: None,
        }
    }
}

/// Reads the WebSocket API defined by the Terraform configuration in `dir` (the folder
/// `terraform` runs in) and its local modules, and checks it ([`ApiDefinition::validate`]).
pub fn load_terraform(dir: &Path, options: &TerraformOptions) -> Result<ApiDefinition, LoadError> {
    let env = |name: &str| std::env::var(name).ok();
    let root = RootModule::load(
        dir,
        &RootInputs {
            var_files: &options.var_files,
            vars: &options.vars,
            env: &env,
        },
    )?;
    let tree = modules::ModuleTree::read(&root.dir, &root.files)?;
    let root_vars = inputs::root_values(&root.variables)?;
    inputs::check_module_arguments(&tree)?;
    let account = computed::Account {
        region: options.region.clone(),
    };
    let engine = engine::Engine::new(tree, root.scope, root_vars, account);
    let api = api::read(&engine, options, &root.dir)?;
    api.validate()?;
    Ok(api)
}
