//! Reading one argument of a resource instance as a value the loader needs, or an error
//! naming the file, the address, why it has no value and what to do.

use super::engine::Engine;
use super::instances::Instance;
use crate::LoadError;
use hcl::Value;

/// An error about one instance: its file, its address, what is wrong and what to do.
pub(crate) fn resource_error(engine: &Engine, inst: &Instance, message: String) -> LoadError {
    LoadError::Resource {
        file: engine.tree.modules[inst.module].resources[inst.block]
            .file
            .clone(),
        resource: inst.address.clone(),
        message,
    }
}

/// The attribute `name` as a string; an error when it is set but can't be known offline.
pub(crate) fn string(
    engine: &Engine,
    inst: &Instance,
    name: &str,
) -> Result<Option<String>, LoadError> {
    match engine.attribute(inst, name) {
        Ok(None) => Ok(None),
        Ok(Some(Value::String(s))) => Ok(Some(s)),
        Ok(Some(Value::Number(n))) => Ok(Some(n.to_string())),
        Ok(Some(Value::Bool(b))) => Ok(Some(b.to_string())),
        Ok(Some(other)) => Err(resource_error(
            engine,
            inst,
            format!("{name} is {other}, not a string"),
        )),
        Err(e) if e.contains("undefined function") => Err(resource_error(
            engine,
            inst,
            format!(
                "{name}: {e}: wsproxy evaluates Terraform's common functions offline (format, \
                 join, lookup, merge, coalesce, try, length, abspath, file, ...), not this \
                 one: give {name} a literal, a variable or a local instead"
            ),
        )),
        Err(e) => Err(resource_error(
            engine,
            inst,
            format!(
                "{name} can't be worked out offline: {e}. wsproxy evaluates the configuration \
                 as `terraform plan` would, without AWS: give {name} a value made of \
                 variables, locals and other resources' arguments"
            ),
        )),
    }
}

/// The attribute `name`, which must be set.
pub(crate) fn required(engine: &Engine, inst: &Instance, name: &str) -> Result<String, LoadError> {
    string(engine, inst, name)?
        .ok_or_else(|| resource_error(engine, inst, format!("{name} is not set: set it")))
}
