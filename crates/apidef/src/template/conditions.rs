//! `Conditions` and the condition functions (`Fn::Equals`, `Fn::Not`, `Fn::And`, `Fn::Or`),
//! which decide `Fn::If` and whether a resource with a `Condition` exists.

use super::eval::{At, Context};
use crate::LoadError;
use serde_json::Value;

impl Context<'_> {
    /// Whether the condition named `name` holds.
    pub(super) fn condition(&self, name: &str, at: &At<'_>) -> Result<bool, LoadError> {
        match self.conditions.borrow().get(name) {
            Some(Some(known)) => return Ok(*known),
            Some(None) => {
                return Err(self.fail(
                    at,
                    format!("condition {name} depends on itself"),
                    "break the cycle in Conditions",
                ))
            }
            None => {}
        }
        let Some(definition) = self.template.conditions.get(name) else {
            return Err(self.fail(
                at,
                format!("condition {name}, which is not defined in Conditions,"),
                "define it or fix the name",
            ));
        };
        self.conditions.borrow_mut().insert(name.to_owned(), None);
        let path = format!("Conditions.{name}");
        let holds = self.condition_value(
            definition,
            &At {
                resource: &path,
                path: path.clone(),
            },
        )?;
        self.conditions
            .borrow_mut()
            .insert(name.to_owned(), Some(holds));
        Ok(holds)
    }

    /// A condition expression: `{"Condition": name}` or an `Fn::Equals`/`Not`/`And`/`Or`.
    fn condition_value(&self, value: &Value, at: &At<'_>) -> Result<bool, LoadError> {
        if let Some(Value::String(name)) = value
            .as_object()
            .and_then(|m| (m.len() == 1).then(|| m.get("Condition")).flatten())
        {
            return self.condition(name, at);
        }
        match self.eval(value, at)? {
            Some(Value::Bool(b)) => Ok(b),
            Some(Value::String(s)) if s == "true" || s == "false" => Ok(s == "true"),
            _ => Err(self.fail(
                at,
                "a condition that is no Fn::Equals, Fn::Not, Fn::And, Fn::Or or Condition",
                "write it with those",
            )),
        }
    }

    pub(super) fn condition_fn(
        &self,
        name: &str,
        arg: &Value,
        at: &At<'_>,
    ) -> Result<bool, LoadError> {
        let at_fn = at.child(name);
        let Some(args) = arg.as_array() else {
            return Err(self.fail(at, format!("{name} without a list"), "give it a list"));
        };
        match (name, args.as_slice()) {
            ("Fn::Equals", [a, b]) => {
                let a = self.eval_value(a, &at_fn.index(0))?;
                let b = self.eval_value(b, &at_fn.index(1))?;
                Ok(match (&a, &b) {
                    (Value::Array(_) | Value::Object(_), _)
                    | (_, Value::Array(_) | Value::Object(_)) => a == b,
                    _ => self.scalar_string(&a, at)? == self.scalar_string(&b, at)?,
                })
            }
            ("Fn::Not", [c]) => Ok(!self.condition_value(c, &at_fn.index(0))?),
            ("Fn::And", conditions) | ("Fn::Or", conditions) if !conditions.is_empty() => {
                let mut values = Vec::new();
                for (i, c) in conditions.iter().enumerate() {
                    values.push(self.condition_value(c, &at_fn.index(i))?);
                }
                Ok(if name == "Fn::And" {
                    values.iter().all(|v| *v)
                } else {
                    values.iter().any(|v| *v)
                })
            }
            _ => Err(self.fail(
                at,
                format!("malformed {name}"),
                "see the CloudFormation condition functions",
            )),
        }
    }
}
