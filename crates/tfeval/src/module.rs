//! A Terraform module read from disk as Terraform reads it: a folder's `*.tf` files, parsed
//! in name order ([`read_module_files`]); for the root module (the folder Terraform runs
//! in), its variable values ([`Variables`]) and the locals that can be evaluated offline
//! ([`RootModule::locals`]).

use crate::{paths, Error, Evaluator, Scope, Variables};
use hcl::{Block, Body, Expression, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// What Terraform is given besides the root folder, and the environment it runs in.
pub struct RootInputs<'a> {
    /// `-var-file`s, relative to the working directory, applied after `terraform.tfvars`
    /// and `*.auto.tfvars`.
    pub var_files: &'a [PathBuf],
    /// `-var NAME=VALUE`s, applied last.
    pub vars: &'a BTreeMap<String, String>,
    /// The environment: `TF_VAR_*` and `HOME`.
    pub env: &'a dyn Fn(&str) -> Option<String>,
}

impl std::fmt::Debug for RootInputs<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RootInputs")
            .field("var_files", &self.var_files)
            .field("vars", &self.vars.keys().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

/// A root module: its files, its variables with their values, and where it runs.
#[derive(Debug, Clone)]
pub struct RootModule {
    /// The folder, absolute and clean: where Terraform runs.
    pub dir: PathBuf,
    /// Its `*.tf` files, parsed, in name order.
    pub files: Vec<(PathBuf, Body)>,
    /// Its variables and their values.
    pub variables: Variables,
    /// `path.cwd` (the folder) and the home folder, for the path functions.
    pub scope: Scope,
}

impl RootModule {
    /// Reads the root module in `dir` (relative to the working directory): its files, then
    /// its variables' values from `inputs`, lowest precedence first (defaults, `TF_VAR_*`,
    /// `terraform.tfvars`, `*.auto.tfvars`, the `-var-file`s, the `-var`s).
    pub fn load(dir: &Path, inputs: &RootInputs<'_>) -> Result<Self, Error> {
        let cwd = std::env::current_dir().map_err(|source| Error::Read {
            file: PathBuf::from("."),
            source,
        })?;
        let dir = paths::clean(&cwd.join(dir));
        if !dir.is_dir() {
            return Err(Error::NotAFolder(dir));
        }
        let files = read_module_files(&dir)?;
        let mut variables = Variables::default();
        for (file, body) in &files {
            variables.declare(file, &blocks(body, "variable"))?;
        }
        let var_files: Vec<PathBuf> = inputs
            .var_files
            .iter()
            .map(|f| paths::clean(&cwd.join(f)))
            .collect();
        variables.assign(&dir, inputs.env, &var_files)?;
        for (name, value) in inputs.vars {
            variables.set(name, value)?;
        }
        let scope = Scope {
            cwd: dir.clone(),
            home: (inputs.env)("HOME").map(PathBuf::from),
        };
        Ok(Self {
            dir,
            files,
            variables,
            scope,
        })
    }

    /// Every top-level block of its files, in file order.
    pub fn blocks(&self) -> impl Iterator<Item = &Block> {
        self.files.iter().flat_map(|(_, body)| body.blocks())
    }

    /// The `*.tf` files read.
    pub fn tf_files(&self) -> Vec<PathBuf> {
        self.files.iter().map(|(file, _)| file.clone()).collect()
    }

    /// The locals that can be evaluated offline, in dependency order as Terraform does: a
    /// local is evaluated once the locals it refers to are (so `can(local.x)` sees
    /// `local.x`); one that refers to a resource or data source, or to a local that cannot
    /// be evaluated, stays out.
    pub fn locals(&self) -> hcl::Map<String, Value> {
        let exprs: Vec<(String, Expression)> = self
            .files
            .iter()
            .flat_map(|(_, body)| blocks(body, "locals"))
            .flat_map(|b| b.body().attributes())
            .map(|a| (a.key().to_owned(), a.expr().clone()))
            .collect();
        evaluate_locals(&self.scope, &self.variables, &exprs)
    }
}

/// The `*.tf` files of a module's folder, parsed, in name order. A folder with none is an
/// error, as is a file that can't be read or parsed (naming the file and the line).
pub fn read_module_files(dir: &Path) -> Result<Vec<(PathBuf, Body)>, Error> {
    let entries = std::fs::read_dir(dir).map_err(|source| Error::Read {
        file: dir.to_path_buf(),
        source,
    })?;
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "tf") && p.is_file())
        .collect();
    files.sort();
    if files.is_empty() {
        return Err(Error::NoTerraform(dir.to_path_buf()));
    }
    files
        .into_iter()
        .map(|file| {
            let text = std::fs::read_to_string(&file).map_err(|source| Error::Read {
                file: file.clone(),
                source,
            })?;
            let body = hcl::parse(&text).map_err(|e| Error::Parse {
                file: file.clone(),
                message: format!("{e}; fix the file (terraform validate shows the same error)"),
            })?;
            Ok((file, body))
        })
        .collect()
}

/// The blocks of `kind` (`variable`, `locals`, ...) of one file.
fn blocks<'a>(body: &'a Body, kind: &str) -> Vec<&'a Block> {
    body.blocks().filter(|b| b.identifier() == kind).collect()
}

/// Evaluates locals in dependency order ([`RootModule::locals`]).
fn evaluate_locals(
    scope: &Scope,
    variables: &Variables,
    exprs: &[(String, Expression)],
) -> hcl::Map<String, Value> {
    let reference = regex::Regex::new(r"\blocal\.([A-Za-z_][A-Za-z0-9_-]*)").expect("valid");
    let needs: Vec<Vec<String>> = exprs
        .iter()
        .map(|(_, e)| {
            let text = hcl::format::to_string(e).unwrap_or_default();
            reference
                .captures_iter(&text)
                .map(|c| c[1].to_owned())
                .collect()
        })
        .collect();
    let declared = |name: &String| exprs.iter().any(|(n, _)| n == name);
    let mut done = hcl::Map::new();
    let mut failed = BTreeSet::new();
    loop {
        let mut progress = false;
        for ((name, expr), needs) in exprs.iter().zip(&needs) {
            if done.contains_key(name) || failed.contains(name) {
                continue;
            }
            if needs
                .iter()
                .any(|n| declared(n) && !done.contains_key(n) && !failed.contains(n))
            {
                continue;
            }
            // A fresh evaluator, so this local sees the ones evaluated just before it.
            let evaluator = Evaluator::new(scope.clone(), variables.values(), done.clone());
            match evaluator.eval(expr) {
                Ok(value) => {
                    done.insert(name.clone(), value);
                }
                Err(_) => {
                    failed.insert(name.clone());
                }
            }
            progress = true;
        }
        if !progress {
            return done;
        }
    }
}

#[cfg(test)]
mod tests;
