//! The values of variables: the root's as Terraform assigns them (defaults, `TF_VAR_*`,
//! `terraform.tfvars`, `*.auto.tfvars`, `-var-file`s, `-var`s), and a check that every
//! module call gives its module's required variables.

use super::config::{attr, Config};
use super::TerraformOptions;
use crate::LoadError;
use hcl::Value;
use std::path::Path;
use wsproxy_tfeval::{paths, Variables};

/// The root module's variable values; an error naming a variable nothing gives a value.
pub(crate) fn root_values(
    config: &Config,
    cwd: &Path,
    options: &TerraformOptions,
) -> Result<hcl::Map<String, Value>, LoadError> {
    let root = &config.modules[0];
    let mut variables = Variables::default();
    let convert = |e: wsproxy_tfeval::Error| match e {
        wsproxy_tfeval::Error::Read { file, source } => LoadError::Read { file, source },
        wsproxy_tfeval::Error::Parse { file, message } => LoadError::Parse { file, message },
    };
    for (file, body) in &root.bodies {
        let blocks: Vec<&hcl::Block> = body
            .blocks()
            .filter(|b| b.identifier() == "variable")
            .collect();
        variables.declare(file, &blocks).map_err(convert)?;
    }
    let var_files: Vec<_> = options
        .var_files
        .iter()
        .map(|f| paths::clean(&cwd.join(f)))
        .collect();
    variables
        .assign(&root.dir, &|name| std::env::var(name).ok(), &var_files)
        .map_err(convert)?;
    for (name, value) in &options.vars {
        variables.set(name, value).map_err(convert)?;
    }
    let unset = variables.unset();
    if let Some(name) = unset.first() {
        let declared = &variables.declared[name];
        let others = if unset.len() > 1 {
            format!(" (nor do {})", unset[1..].join(", "))
        } else {
            String::new()
        };
        return Err(LoadError::Resource {
            file: declared.file.clone(),
            resource: format!("var.{name}"),
            message: format!(
                "variable {name} has no value and no default{others}: give it with \
                 -var {name}=VALUE, in terraform.tfvars (or a -var-file), or as TF_VAR_{name} \
                 in the environment"
            ),
        });
    }
    Ok(variables.values())
}

/// Every module call gives each variable of its module that has no default, as Terraform
/// requires.
pub(crate) fn check_module_arguments(config: &Config) -> Result<(), LoadError> {
    for module in &config.modules {
        for call in &module.calls {
            let Some(child) = call.child else { continue };
            for (name, decl) in &config.modules[child].variables {
                if decl.default.is_none() && attr(&call.body, name).is_none() {
                    return Err(LoadError::Resource {
                        file: call.file.clone(),
                        resource: format!("{}module.{}", module.prefix, call.name),
                        message: format!(
                            "the module's variable {name} (declared in {}) has no default: \
                             give it in the module block ({name} = ...)",
                            decl.file.display()
                        ),
                    });
                }
            }
        }
    }
    Ok(())
}
