//! A Terraform configuration's tree of modules: the root module's files (read by
//! [`wsproxy_tfeval::RootModule`]) and, descending into module calls with a local `source`
//! ([`wsproxy_tfeval::read_module_files`]), each module's variables, locals, resources,
//! data sources, module calls and outputs.

use crate::LoadError;
use hcl::{Body, Expression};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use wsproxy_tfeval::{paths, read_module_files};

/// How deep module calls may nest (a module calling itself would never end).
const MAX_DEPTH: usize = 16;

/// A `resource` or `data` block.
#[derive(Debug)]
pub(crate) struct ResourceBlock {
    /// True for a `data` block.
    pub data: bool,
    /// Its type, e.g. `aws_lambda_function`.
    pub rtype: String,
    /// Its name.
    pub name: String,
    /// The file that holds it.
    pub file: PathBuf,
    /// Its body.
    pub body: Body,
}

impl ResourceBlock {
    /// Its address in its module, without an instance key: `aws_x.y`, `data.aws_x.y`.
    pub(super) fn local_address(&self) -> String {
        let data = if self.data { "data." } else { "" };
        format!("{data}{}.{}", self.rtype, self.name)
    }
}

/// A `module` block whose source is a local folder.
#[derive(Debug)]
pub(crate) struct ModuleCall {
    /// Its label.
    pub name: String,
    /// The file that holds it.
    pub file: PathBuf,
    /// Its body (the child's variables, `count`, ...).
    pub body: Body,
    /// The index of the child module in [`ModuleTree::modules`]; `None` when not read.
    pub child: Option<usize>,
}

/// A declared variable of a (child) module.
#[derive(Debug)]
pub(crate) struct VariableDecl {
    /// The file that declares it.
    pub file: PathBuf,
    /// Its `default`.
    pub default: Option<Expression>,
}

/// One module: the root folder or a called local module.
#[derive(Debug)]
pub(crate) struct Module {
    /// Its folder, absolute.
    pub dir: PathBuf,
    /// `path.module`: its folder relative to the root, as Terraform gives it.
    pub path_module: String,
    /// Its resources' address prefix: "" or `module.NAME.`.
    pub prefix: String,
    /// The call that made it: (the caller's index, the call's index in its `calls`).
    pub parent: Option<(usize, usize)>,
    /// Its variables (for the root, [`wsproxy_tfeval::Variables`] holds the values).
    pub variables: BTreeMap<String, VariableDecl>,
    /// Its locals, with the file that holds each.
    pub locals: BTreeMap<String, (PathBuf, Expression)>,
    /// Its resources and data sources.
    pub resources: Vec<ResourceBlock>,
    /// Its module calls.
    pub calls: Vec<ModuleCall>,
    /// Its outputs' values.
    pub outputs: BTreeMap<String, Expression>,
}

/// Every module of a configuration, the root first.
#[derive(Debug, Default)]
pub(crate) struct ModuleTree {
    /// The modules; index 0 is the root.
    pub modules: Vec<Module>,
    /// Module calls not read (a registry or Git source), as `address (source)`.
    pub skipped: Vec<String>,
}

impl ModuleTree {
    /// The root module in `dir` (absolute), from its parsed `files`, and every local module
    /// it calls, read from disk.
    pub(super) fn read(dir: &Path, files: &[(PathBuf, Body)]) -> Result<Self, LoadError> {
        let mut tree = Self::default();
        tree.add_module(dir, files, ".".to_owned(), String::new(), None, 0)?;
        Ok(tree)
    }

    fn add_module(
        &mut self,
        dir: &Path,
        bodies: &[(PathBuf, Body)],
        path_module: String,
        prefix: String,
        parent: Option<(usize, usize)>,
        depth: usize,
    ) -> Result<usize, LoadError> {
        let mut module = Module {
            dir: dir.to_path_buf(),
            path_module,
            prefix,
            parent,
            variables: BTreeMap::new(),
            locals: BTreeMap::new(),
            resources: Vec::new(),
            calls: Vec::new(),
            outputs: BTreeMap::new(),
        };
        let mut sources = Vec::new();
        for (file, body) in bodies {
            for block in body.blocks() {
                let labels: Vec<&str> = block.labels().iter().map(|l| l.as_str()).collect();
                match (block.identifier(), labels.as_slice()) {
                    ("variable", [name]) => {
                        let default = attr(block.body(), "default").cloned();
                        module.variables.insert(
                            (*name).to_owned(),
                            VariableDecl {
                                file: file.clone(),
                                default,
                            },
                        );
                    }
                    ("locals", []) => {
                        for a in block.body().attributes() {
                            module
                                .locals
                                .insert(a.key().to_owned(), (file.clone(), a.expr().clone()));
                        }
                    }
                    (kind @ ("resource" | "data"), [rtype, name]) => {
                        module.resources.push(ResourceBlock {
                            data: kind == "data",
                            rtype: (*rtype).to_owned(),
                            name: (*name).to_owned(),
                            file: file.clone(),
                            body: block.body().clone(),
                        });
                    }
                    ("module", [name]) => {
                        let source = match attr(block.body(), "source") {
                            Some(Expression::String(s)) => s.clone(),
                            _ => String::new(),
                        };
                        sources.push(source);
                        module.calls.push(ModuleCall {
                            name: (*name).to_owned(),
                            file: file.clone(),
                            body: block.body().clone(),
                            child: None,
                        });
                    }
                    ("output", [name]) => {
                        if let Some(value) = attr(block.body(), "value") {
                            module.outputs.insert((*name).to_owned(), value.clone());
                        }
                    }
                    _ => {}
                }
            }
        }
        let index = self.modules.len();
        let (dir, path_module, prefix) = (
            module.dir.clone(),
            module.path_module.clone(),
            module.prefix.clone(),
        );
        self.modules.push(module);
        for (call_index, source) in sources.into_iter().enumerate() {
            let call = &self.modules[index].calls[call_index];
            let address = format!("{prefix}module.{}", call.name);
            if !(source.starts_with("./") || source.starts_with("../")) {
                self.skipped
                    .push(format!("{address} (source \"{source}\")"));
                continue;
            }
            if attr(&call.body, "for_each").is_some() {
                self.skipped
                    .push(format!("{address} (for_each on a module call)"));
                continue;
            }
            if depth >= MAX_DEPTH {
                return Err(LoadError::Resource {
                    file: call.file.clone(),
                    resource: address,
                    message: format!(
                        "modules nest more than {MAX_DEPTH} deep: does a module call itself?"
                    ),
                });
            }
            let child_dir = paths::clean(&dir.join(&source));
            let child_path = clean_relative(&format!("{path_module}/{source}"));
            // A module with count = 1 gets addresses `module.NAME[0].`.
            let key = if attr(&call.body, "count").is_some() {
                "[0]"
            } else {
                ""
            };
            let child_prefix = format!("{address}{key}.");
            let child_files = read_module_files(&child_dir)?;
            let child = self.add_module(
                &child_dir,
                &child_files,
                child_path,
                child_prefix,
                Some((index, call_index)),
                depth + 1,
            )?;
            self.modules[index].calls[call_index].child = Some(child);
        }
        Ok(index)
    }
}

/// The attribute `key` of a body.
pub(crate) fn attr<'a>(body: &'a Body, key: &str) -> Option<&'a Expression> {
    body.attributes().find(|a| a.key() == key).map(|a| a.expr())
}

/// A relative path cleaned as Terraform writes `path.module`: `./a/../b` → `b`, keeping
/// leading `..`.
fn clean_relative(path: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." if parts.last().is_some_and(|p| *p != "..") => {
                parts.pop();
            }
            other => parts.push(other),
        }
    }
    if parts.is_empty() {
        ".".to_owned()
    } else {
        parts.join("/")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_module_is_relative_and_clean() {
        assert_eq!(
            clean_relative("./../../modules/websocket_proxy"),
            "../../modules/websocket_proxy"
        );
        assert_eq!(clean_relative("./modules/chat/../api"), "modules/api");
        assert_eq!(clean_relative("./."), ".");
    }
}
