//! Evaluating intrinsic functions, only where a value is needed: a property wsproxy reads is
//! evaluated, the rest of the template (IAM policies, tables, events) never is.

use super::parse::Template;
use super::TemplateOptions;
use crate::LoadError;
use serde_json::{Map, Value};
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::fmt::Display;

/// Where a value is, for errors: the resource (or section) and the property path, e.g.
/// `ChatFunction` and `ChatFunction.Properties.Environment.Variables.TABLE`.
#[derive(Debug, Clone)]
pub(super) struct At<'a> {
    pub(super) resource: &'a str,
    pub(super) path: String,
}

impl<'a> At<'a> {
    /// The property `name` of the resource `resource`.
    pub(super) fn property(resource: &'a str, name: &str) -> Self {
        At {
            resource,
            path: format!("{resource}.Properties.{name}"),
        }
    }

    pub(super) fn child(&self, key: impl Display) -> Self {
        At {
            resource: self.resource,
            path: format!("{}.{key}", self.path),
        }
    }

    pub(super) fn index(&self, i: usize) -> Self {
        At {
            resource: self.resource,
            path: format!("{}[{i}]", self.path),
        }
    }
}

/// A template with the values it is evaluated with (parameters, region).
#[derive(Debug)]
pub(super) struct Context<'t> {
    pub(super) template: &'t Template,
    pub(super) region: String,
    pub(super) overrides: &'t BTreeMap<String, String>,
    /// Conditions evaluated so far; `None` while one is being evaluated (a cycle).
    pub(super) conditions: RefCell<BTreeMap<String, Option<bool>>>,
    /// Resources whose name is being evaluated (a cycle if one comes again).
    pub(super) naming: RefCell<Vec<String>>,
}

impl<'t> Context<'t> {
    pub(super) fn new(template: &'t Template, options: &'t TemplateOptions) -> Self {
        Context {
            template,
            region: options.region.clone(),
            overrides: &options.parameters,
            conditions: RefCell::default(),
            naming: RefCell::default(),
        }
    }

    /// An error at `at`: "`what` in `path`: `advice`".
    pub(super) fn fail(&self, at: &At<'_>, what: impl Display, advice: &str) -> LoadError {
        LoadError::Resource {
            file: self.template.file.clone(),
            resource: at.resource.to_owned(),
            message: format!("{what} in {}: {advice}", at.path),
        }
    }

    /// An error about the resource `resource` as a whole.
    pub(super) fn resource_error(&self, resource: &str, message: String) -> LoadError {
        LoadError::Resource {
            file: self.template.file.clone(),
            resource: resource.to_owned(),
            message,
        }
    }

    /// The evaluated property `name` of `resource`; `None` if absent or `AWS::NoValue`.
    pub(super) fn property(&self, resource: &str, name: &str) -> Result<Option<Value>, LoadError> {
        match self.template.resources[resource].properties.get(name) {
            None => Ok(None),
            Some(v) => self.eval(v, &At::property(resource, name)),
        }
    }

    /// The evaluated property `name` of `resource` as a string.
    pub(super) fn string_property(
        &self,
        resource: &str,
        name: &str,
    ) -> Result<Option<String>, LoadError> {
        let at = At::property(resource, name);
        self.property(resource, name)?
            .map(|v| self.scalar_string(&v, &at))
            .transpose()
    }

    /// True if `resource` exists: it has no `Condition`, or its condition holds.
    pub(super) fn exists(&self, resource: &str) -> Result<bool, LoadError> {
        match &self.template.resources[resource].condition {
            None => Ok(true),
            Some(c) => self.condition(
                c,
                &At {
                    resource,
                    path: format!("{resource}.Condition"),
                },
            ),
        }
    }

    /// The logical ids of the existing resources of type `kind`.
    pub(super) fn resources_of(&self, kind: &str) -> Result<Vec<&'t str>, LoadError> {
        let mut ids = Vec::new();
        for (id, r) in &self.template.resources {
            if r.kind == kind && self.exists(id)? {
                ids.push(id.as_str());
            }
        }
        Ok(ids)
    }

    /// Evaluates every intrinsic in `value`; `None` is `AWS::NoValue` (the property is absent).
    pub(super) fn eval(&self, value: &Value, at: &At<'_>) -> Result<Option<Value>, LoadError> {
        match value {
            Value::Object(map) => match intrinsic(map) {
                Some((name, arg)) => self.intrinsic(name, arg, at),
                None => {
                    let mut out = Map::new();
                    for (k, v) in map {
                        if let Some(v) = self.eval(v, &at.child(k))? {
                            out.insert(k.clone(), v);
                        }
                    }
                    Ok(Some(Value::Object(out)))
                }
            },
            Value::Array(items) => {
                let mut out = Vec::new();
                for (i, v) in items.iter().enumerate() {
                    out.extend(self.eval(v, &at.index(i))?);
                }
                Ok(Some(Value::Array(out)))
            }
            scalar => Ok(Some(scalar.clone())),
        }
    }

    /// Like [`Self::eval`], where `AWS::NoValue` is not allowed.
    pub(super) fn eval_value(&self, value: &Value, at: &At<'_>) -> Result<Value, LoadError> {
        self.eval(value, at)?.ok_or_else(|| {
            self.fail(
                at,
                "AWS::NoValue where a value is needed",
                "give it a value",
            )
        })
    }

    /// A scalar as the string CloudFormation would pass on.
    pub(super) fn scalar_string(&self, value: &Value, at: &At<'_>) -> Result<String, LoadError> {
        match value {
            Value::String(s) => Ok(s.clone()),
            Value::Number(n) => Ok(n.to_string()),
            Value::Bool(b) => Ok(b.to_string()),
            Value::Null => Ok(String::new()),
            Value::Array(_) | Value::Object(_) => Err(self.fail(
                at,
                "a list or mapping where a string is needed",
                "give a string",
            )),
        }
    }

    fn intrinsic(&self, name: &str, arg: &Value, at: &At<'_>) -> Result<Option<Value>, LoadError> {
        let at_fn = at.child(name);
        match name {
            "Ref" => match arg {
                Value::String(target) => self.reference(target, at),
                _ => Err(self.fail(at, "Ref to a non-name", "write Ref: LogicalId")),
            },
            "Fn::GetAtt" => self.get_att_value(arg, at).map(Some),
            "Fn::Sub" => self.sub(arg, at).map(|s| Some(Value::String(s))),
            "Fn::If" => {
                let Some([Value::String(cond), yes, no]) = arg.as_array().map(Vec::as_slice) else {
                    return Err(self.fail(at, "malformed Fn::If", "write [Condition, then, else]"));
                };
                if self.condition(cond, at)? {
                    self.eval(yes, &at_fn.index(1))
                } else {
                    self.eval(no, &at_fn.index(2))
                }
            }
            "Fn::Equals" | "Fn::Not" | "Fn::And" | "Fn::Or" => self
                .condition_fn(name, arg, at)
                .map(|b| Some(Value::Bool(b))),
            "Fn::Join" => {
                let Some([Value::String(delimiter), list]) = arg.as_array().map(Vec::as_slice)
                else {
                    return Err(self.fail(at, "malformed Fn::Join", "write [delimiter, [values]]"));
                };
                let items = self.list(list, &at_fn.index(1))?;
                let parts = items
                    .iter()
                    .map(|v| self.scalar_string(v, &at_fn))
                    .collect::<Result<Vec<_>, _>>()?;
                Ok(Some(Value::String(parts.join(delimiter))))
            }
            "Fn::Select" => {
                let Some([index, list]) = arg.as_array().map(Vec::as_slice) else {
                    return Err(self.fail(at, "malformed Fn::Select", "write [index, [values]]"));
                };
                let index = self.eval_value(index, &at_fn.index(0))?;
                let items = self.list(list, &at_fn.index(1))?;
                let i = self.scalar_string(&index, &at_fn)?.parse::<usize>().ok();
                match i.and_then(|i| items.get(i)) {
                    Some(v) => Ok(Some(v.clone())),
                    None => Err(self.fail(
                        at,
                        format!("Fn::Select index {index} out of a list of {}", items.len()),
                        "fix the index",
                    )),
                }
            }
            "Fn::Split" => {
                let (delimiter, text) = match arg.as_array().map(Vec::as_slice) {
                    Some([Value::String(d), text]) if !d.is_empty() => (d, text),
                    _ => {
                        return Err(self.fail(
                            at,
                            "malformed Fn::Split",
                            "write [delimiter, string]",
                        ))
                    }
                };
                let text = self.eval_value(text, &at_fn.index(1))?;
                let text = self.scalar_string(&text, &at_fn)?;
                Ok(Some(Value::Array(
                    text.split(delimiter.as_str()).map(Value::from).collect(),
                )))
            }
            "Fn::FindInMap" => self.find_in_map(arg, at).map(Some),
            other => Err(self.fail(
                at,
                format!("unsupported intrinsic {other}"),
                "give the value as a parameter",
            )),
        }
    }

    /// A value that must evaluate to a list.
    fn list(&self, value: &Value, at: &At<'_>) -> Result<Vec<Value>, LoadError> {
        match self.eval_value(value, at)? {
            Value::Array(items) => Ok(items),
            _ => Err(self.fail(at, "a single value where a list is needed", "give a list")),
        }
    }

    fn find_in_map(&self, arg: &Value, at: &At<'_>) -> Result<Value, LoadError> {
        let at_fn = at.child("Fn::FindInMap");
        let Some([map, top, second]) = arg.as_array().map(Vec::as_slice) else {
            return Err(self.fail(
                at,
                "malformed Fn::FindInMap",
                "write [MapName, TopLevelKey, SecondLevelKey]",
            ));
        };
        let mut keys = Vec::new();
        for (i, k) in [map, top, second].into_iter().enumerate() {
            let k = self.eval_value(k, &at_fn.index(i))?;
            keys.push(self.scalar_string(&k, &at_fn)?);
        }
        self.template
            .mappings
            .get(&keys[0])
            .and_then(|m| m.get(&keys[1]))
            .and_then(|m| m.get(&keys[2]))
            .cloned()
            .ok_or_else(|| {
                self.fail(
                    at,
                    format!("Fn::FindInMap [{}] finds nothing", keys.join(", ")),
                    "add it to Mappings or fix the keys",
                )
            })
    }
}

/// `{"Ref": ...}` or `{"Fn::...": ...}`: the intrinsic's name and argument.
pub(super) fn intrinsic(map: &Map<String, Value>) -> Option<(&str, &Value)> {
    if map.len() != 1 {
        return None;
    }
    let (name, arg) = map.iter().next()?;
    (name == "Ref" || name.starts_with("Fn::")).then_some((name.as_str(), arg))
}
