//! Reading one argument of a resource instance as a value the loader needs, or an error
//! naming the file, the address, why it has no value and what to do.

use super::engine::Engine;
use super::instances::Instance;
use super::modules::ResourceBlock;
use crate::LoadError;
use hcl::Value;

/// An error about one instance: its file, its address, the line of its block, what is wrong
/// and what to do.
pub(crate) fn resource_error(engine: &Engine, inst: &Instance, message: String) -> LoadError {
    located_error(engine, inst, None, message)
}

/// An error about the argument `name` of one instance, at the argument's line.
fn argument_error(engine: &Engine, inst: &Instance, name: &str, message: String) -> LoadError {
    located_error(engine, inst, Some(name), message)
}

fn located_error(
    engine: &Engine,
    inst: &Instance,
    argument: Option<&str>,
    message: String,
) -> LoadError {
    let block = &engine.tree.modules[inst.module].resources[inst.block];
    let message = match line_of(block, argument) {
        Some(line) => format!("line {line}: {message}"),
        None => message,
    };
    LoadError::Resource {
        file: block.file.clone(),
        resource: inst.address.clone(),
        message,
    }
}

/// The line (from 1) of `block`'s header in its file, or of its argument `argument` when
/// that is found inside the block; `None` when the file can't be read or holds neither as
/// written (a block built by a module, a header split over lines).
fn line_of(block: &ResourceBlock, argument: Option<&str>) -> Option<usize> {
    let text = std::fs::read_to_string(&block.file).ok()?;
    let kind = if block.data { "data" } else { "resource" };
    let words = |line: &str| -> Vec<String> {
        line.split(|c: char| c.is_whitespace() || c == '{')
            .filter(|w| !w.is_empty())
            .map(|w| w.trim_matches('"').to_owned())
            .collect()
    };
    let header = text.lines().position(|line| {
        let w = words(line);
        w.len() >= 3 && w[0] == kind && w[1] == block.rtype && w[2] == block.name
    })?;
    let Some(argument) = argument else {
        return Some(header + 1);
    };
    let inside = text
        .lines()
        .enumerate()
        .skip(header + 1)
        .take_while(|(_, line)| !line.starts_with('}'))
        .find(|(_, line)| {
            line.trim_start()
                .strip_prefix(argument)
                .is_some_and(|rest| rest.trim_start().starts_with('='))
        });
    Some(inside.map_or(header, |(i, _)| i) + 1)
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
        Err(e) if e.contains("undefined function") => Err(argument_error(
            engine,
            inst,
            name,
            format!(
                "{name}: {e}: wsproxy evaluates Terraform's common functions offline (format, \
                 join, lookup, merge, coalesce, try, length, abspath, file, ...), not this \
                 one: give {name} a literal, a variable or a local instead"
            ),
        )),
        Err(e) => Err(argument_error(
            engine,
            inst,
            name,
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
