//! Variable values as Terraform assigns them, lowest precedence first: `default`s in the
//! `variable` blocks, `TF_VAR_<name>` environment variables, `terraform.tfvars`,
//! `terraform.tfvars.json`, `*.auto.tfvars` and `*.auto.tfvars.json` in lexical order, then
//! the `-var-file`s given, in order, then the `-var`s ([`Variables::set`]). Other `*.tfvars` files (an `.example`, a `prod.tfvars`)
//! are not read, because Terraform does not read them either.

use crate::Error;
use hcl::eval::{Context, Evaluate};
use hcl::{Block, Body, Value};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Where a variable's value came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// The `default` of its `variable` block.
    Default,
    /// The environment variable `TF_VAR_<name>`.
    Environment,
    /// A `-var name=value` on the command line.
    CommandLine,
    /// A variable definitions file.
    File(PathBuf),
}

impl std::fmt::Display for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Default => f.write_str("its default"),
            Self::Environment => f.write_str("TF_VAR_ in the environment"),
            Self::CommandLine => f.write_str("-var"),
            Self::File(p) => write!(f, "{}", p.display()),
        }
    }
}

/// A declared variable.
#[derive(Debug, Clone)]
pub struct Declared {
    /// Its value and where that came from; `None` when nothing sets it.
    pub value: Option<(Value, Source)>,
    /// True when its type is a string, number or bool (a `TF_VAR_` is then taken verbatim).
    pub primitive: bool,
    /// The file that declares it.
    pub file: PathBuf,
}

/// The variables of a root module and their values.
#[derive(Debug, Clone, Default)]
pub struct Variables {
    /// By name.
    pub declared: BTreeMap<String, Declared>,
    /// The definitions files read, in the order they were applied.
    pub files: Vec<PathBuf>,
}

impl Variables {
    /// Declares the `variable` blocks of the module's files, with their defaults.
    pub fn declare(&mut self, file: &Path, blocks: &[&Block]) -> Result<(), Error> {
        for block in blocks {
            let Some(name) = block.labels().first().map(|l| l.as_str().to_owned()) else {
                continue;
            };
            let mut declared = Declared {
                value: None,
                primitive: true,
                file: file.to_path_buf(),
            };
            for attr in block.body().attributes() {
                match attr.key() {
                    "default" => {
                        let value = literal(attr.expr(), file, &name)?;
                        declared.value = Some((value, Source::Default));
                    }
                    "type" => {
                        declared.primitive = matches!(attr.expr(),
                            hcl::Expression::Variable(v) if ["string", "number", "bool"].contains(&v.as_str()));
                    }
                    _ => {}
                }
            }
            self.declared.insert(name, declared);
        }
        Ok(())
    }

    /// Applies `TF_VAR_*`, the files Terraform loads from `dir` by itself, then `var_files`.
    pub fn assign(
        &mut self,
        dir: &Path,
        env: &dyn Fn(&str) -> Option<String>,
        var_files: &[PathBuf],
    ) -> Result<(), Error> {
        let names: Vec<String> = self.declared.keys().cloned().collect();
        for name in names {
            let Some(raw) = env(&format!("TF_VAR_{name}")) else {
                continue;
            };
            self.assign_raw(&name, &raw, Source::Environment)?;
        }
        let mut files = Vec::new();
        for name in ["terraform.tfvars", "terraform.tfvars.json"] {
            let path = dir.join(name);
            if path.is_file() {
                files.push(path);
            }
        }
        let mut auto: Vec<PathBuf> = std::fs::read_dir(dir)
            .map_err(|source| Error::Read {
                file: dir.to_path_buf(),
                source,
            })?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| {
                let n = p.file_name().unwrap_or_default().to_string_lossy();
                n.ends_with(".auto.tfvars") || n.ends_with(".auto.tfvars.json")
            })
            .collect();
        auto.sort();
        files.extend(auto);
        files.extend(var_files.iter().cloned());
        for file in files {
            self.apply_file(&file)?;
        }
        Ok(())
    }

    /// Applies `-var name=value`: taken verbatim for a string, number or bool variable,
    /// parsed as an HCL value otherwise. A name that is not declared is an error, as in
    /// Terraform.
    pub fn set(&mut self, name: &str, raw: &str) -> Result<(), Error> {
        if !self.declared.contains_key(name) {
            return Err(Error::Parse {
                file: PathBuf::from(format!("-var {name}")),
                message: format!(
                    "no variable \"{name}\" is declared (declared: {}): check the name",
                    self.declared.keys().cloned().collect::<Vec<_>>().join(", ")
                ),
            });
        }
        self.assign_raw(name, raw, Source::CommandLine)
    }

    fn assign_raw(&mut self, name: &str, raw: &str, source: Source) -> Result<(), Error> {
        let origin = match source {
            Source::CommandLine => format!("-var {name}"),
            _ => format!("TF_VAR_{name}"),
        };
        let declared = self.declared.get_mut(name).expect("declared");
        let value = if declared.primitive {
            Value::from(raw)
        } else {
            let expr: hcl::Expression = raw.parse().map_err(|e: hcl::Error| Error::Parse {
                file: PathBuf::from(&origin),
                message: e.to_string(),
            })?;
            literal(&expr, Path::new(&origin), name)?
        };
        declared.value = Some((value, source));
        Ok(())
    }

    fn apply_file(&mut self, file: &Path) -> Result<(), Error> {
        let text = std::fs::read_to_string(file).map_err(|source| Error::Read {
            file: file.to_path_buf(),
            source,
        })?;
        let parse_error = |message: String| Error::Parse {
            file: file.to_path_buf(),
            message,
        };
        let values: Vec<(String, Value)> = if file.extension().is_some_and(|e| e == "json") {
            let json: serde_json::Map<String, serde_json::Value> =
                serde_json::from_str(&text).map_err(|e| parse_error(e.to_string()))?;
            json.into_iter()
                .map(|(k, v)| hcl::to_value(v).map(|v| (k, v)))
                .collect::<Result<_, _>>()
                .map_err(|e| parse_error(e.to_string()))?
        } else {
            let body: Body = hcl::parse(&text).map_err(|e| parse_error(e.to_string()))?;
            body.attributes()
                .map(|a| Ok((a.key().to_owned(), literal(a.expr(), file, a.key())?)))
                .collect::<Result<_, Error>>()?
        };
        for (name, value) in values {
            // Terraform warns about a value for an undeclared variable and ignores it.
            if let Some(declared) = self.declared.get_mut(&name) {
                declared.value = Some((value, Source::File(file.to_path_buf())));
            }
        }
        self.files.push(file.to_path_buf());
        Ok(())
    }

    /// The values, as the object `var` in expressions.
    pub fn values(&self) -> hcl::Map<String, Value> {
        self.declared
            .iter()
            .filter_map(|(k, d)| d.value.as_ref().map(|(v, _)| (k.clone(), v.clone())))
            .collect()
    }

    /// Declared variables that nothing gives a value (Terraform would ask for them).
    pub fn unset(&self) -> Vec<String> {
        self.declared
            .iter()
            .filter(|(_, d)| d.value.is_none())
            .map(|(k, _)| k.clone())
            .collect()
    }
}

/// A value that needs no reference to anything, as defaults and `.tfvars` must be.
fn literal(expr: &hcl::Expression, file: &Path, name: &str) -> Result<Value, Error> {
    expr.evaluate(&Context::new()).map_err(|e| Error::Parse {
        file: file.to_path_buf(),
        message: format!("the value of {name} must be a literal: {e}"),
    })
}
