//! The values of variables: the root's, as [`wsproxy_tfeval::RootModule`] assigned them,
//! each with a value, and a check that every module call gives its module's required
//! variables.

use super::modules::{attr, ModuleTree};
use crate::LoadError;
use hcl::Value;
use wsproxy_tfeval::Variables;

/// The root module's variable values; an error naming a variable nothing gives a value.
pub(crate) fn root_values(variables: &Variables) -> Result<hcl::Map<String, Value>, LoadError> {
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
pub(crate) fn check_module_arguments(tree: &ModuleTree) -> Result<(), LoadError> {
    for module in &tree.modules {
        for call in &module.calls {
            let Some(child) = call.child else { continue };
            for (name, decl) in &tree.modules[child].variables {
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
