//! `Ref`, `Fn::GetAtt` and `Fn::Sub`: the values of parameters, pseudo parameters and
//! resources as they would be in the deployed stack, with the local account.

use super::eval::{At, Context};
use crate::LoadError;
use serde_json::Value;

/// The account id pseudo parameter (`AWS::AccountId`) and the ARNs carry.
pub(super) const ACCOUNT_ID: &str = "123456789012";

/// Lambda functions: `Ref` gives the name, `Fn::GetAtt .Arn` the ARN.
pub(super) const FUNCTION_TYPES: [&str; 2] = ["AWS::Serverless::Function", "AWS::Lambda::Function"];

const TABLE_TYPES: [&str; 2] = ["AWS::DynamoDB::Table", "AWS::Serverless::SimpleTable"];

impl Context<'_> {
    /// `Ref name`: a pseudo parameter, a parameter or a resource; `None` for `AWS::NoValue`.
    pub(super) fn reference(&self, name: &str, at: &At<'_>) -> Result<Option<Value>, LoadError> {
        let region = &self.region;
        let stack = &self.template.stack_name;
        let pseudo = match name {
            "AWS::NoValue" => return Ok(None),
            "AWS::NotificationARNs" => return Ok(Some(Value::Array(Vec::new()))),
            "AWS::Region" => region.clone(),
            "AWS::AccountId" => ACCOUNT_ID.to_owned(),
            "AWS::StackName" => stack.clone(),
            "AWS::StackId" => format!(
                "arn:aws:cloudformation:{region}:{ACCOUNT_ID}:stack/{stack}/00000000-0000-0000-0000-000000000000"
            ),
            "AWS::Partition" => "aws".to_owned(),
            "AWS::URLSuffix" => "amazonaws.com".to_owned(),
            _ if self.template.parameters.contains_key(name) => {
                return self.parameter(name, at).map(Some)
            }
            _ if self.template.resources.contains_key(name) => {
                return self.resource_ref(name, at).map(|s| Some(Value::String(s)))
            }
            _ => {
                return Err(self.fail(
                    at,
                    format!("Ref to {name}, which is no parameter or resource of this template,"),
                    "define it or fix the name",
                ))
            }
        };
        Ok(Some(Value::String(pseudo)))
    }

    /// A parameter's value: the one given, else its `Default`; a list for list types.
    fn parameter(&self, name: &str, at: &At<'_>) -> Result<Value, LoadError> {
        let declaration = &self.template.parameters[name];
        let kind = declaration
            .get("Type")
            .and_then(Value::as_str)
            .unwrap_or("String");
        let value = match (self.overrides.get(name), declaration.get("Default")) {
            (Some(given), _) => given.clone(),
            (None, _) if kind.starts_with("AWS::SSM::Parameter::Value") => {
                return Err(self.fail(
                    at,
                    format!("parameter {name} (read from SSM Parameter Store on AWS), needed"),
                    &format!("give its value ({name}=...)"),
                ))
            }
            (None, Some(default)) => self.scalar_string(default, at)?,
            (None, None) => {
                return Err(self.fail(
                    at,
                    format!("parameter {name} has no Default and no value was given; it is needed"),
                    &format!("give its value ({name}=...) or a Default in the template"),
                ))
            }
        };
        if let Some(Value::Array(allowed)) = declaration.get("AllowedValues") {
            let allowed: Vec<String> = allowed
                .iter()
                .map(|v| self.scalar_string(v, at))
                .collect::<Result<_, _>>()?;
            if !allowed.contains(&value) {
                // A NoEcho parameter's value is a secret: it is not repeated.
                let no_echo = declaration
                    .get("NoEcho")
                    .is_some_and(|v| v == &Value::Bool(true) || v == "true");
                let shown = if no_echo {
                    "(NoEcho)".to_owned()
                } else {
                    format!("'{value}'")
                };
                return Err(self.fail(
                    at,
                    format!("parameter {name} is {shown}, which is not one of its AllowedValues,"),
                    &format!("give one of {}", allowed.join(", ")),
                ));
            }
        }
        Ok(
            if kind == "CommaDelimitedList" || kind.starts_with("List<") {
                Value::Array(value.split(',').map(|s| Value::from(s.trim())).collect())
            } else {
                Value::String(value)
            },
        )
    }

    /// `Ref` to a resource: a function's or table's name, a queue's URL, else its logical id
    /// (which is also the id an API, route, integration or authorizer is known by here).
    fn resource_ref(&self, id: &str, at: &At<'_>) -> Result<String, LoadError> {
        self.require(id, at)?;
        let kind = self.template.resources[id].kind.as_str();
        Ok(match kind {
            k if FUNCTION_TYPES.contains(&k) => self.name_of(id, "FunctionName")?,
            k if TABLE_TYPES.contains(&k) => self.name_of(id, "TableName")?,
            "AWS::S3::Bucket" => self.name_of(id, "BucketName")?,
            "AWS::IAM::Role" => self.name_of(id, "RoleName")?,
            "AWS::SQS::Queue" => format!(
                "https://sqs.{}.amazonaws.com/{ACCOUNT_ID}/{}",
                self.region,
                self.name_of(id, "QueueName")?
            ),
            _ => id.to_owned(),
        })
    }

    /// A function's name: its `FunctionName`, else its logical id.
    pub(super) fn function_name(&self, id: &str) -> Result<String, LoadError> {
        self.name_of(id, "FunctionName")
    }

    /// The name property `property` of `id`, else its logical id.
    fn name_of(&self, id: &str, property: &str) -> Result<String, LoadError> {
        if self.naming.borrow().iter().any(|n| n == id) {
            return Err(self.fail(
                &At::property(id, property),
                format!("a reference to {id} itself"),
                "give a name that does not depend on the resource",
            ));
        }
        self.naming.borrow_mut().push(id.to_owned());
        let name = self.string_property(id, property);
        self.naming.borrow_mut().pop();
        Ok(name?.unwrap_or_else(|| id.to_owned()))
    }

    /// Fails unless the resource `id` is defined and its condition holds.
    fn require(&self, id: &str, at: &At<'_>) -> Result<(), LoadError> {
        if !self.template.resources.contains_key(id) {
            return Err(self.fail(
                at,
                format!("a reference to {id}, which is not defined in this template,"),
                "define it or fix the name",
            ));
        }
        if !self.exists(id)? {
            return Err(self.fail(
                at,
                format!("a reference to {id}, whose Condition does not hold here,"),
                "give the parameters that create it",
            ));
        }
        Ok(())
    }

    /// `Fn::GetAtt [resource, attribute]` (the attribute may itself be a `Ref`), or
    /// `"resource.attribute"`.
    pub(super) fn get_att_value(&self, arg: &Value, at: &At<'_>) -> Result<Value, LoadError> {
        let at_fn = at.child("Fn::GetAtt");
        if let Some((resource, attribute)) = arg.as_str().and_then(|s| s.split_once('.')) {
            return self.get_att(resource, attribute, at).map(Value::String);
        }
        let Some([resource, attribute]) = arg.as_array().map(Vec::as_slice) else {
            return Err(self.fail(at, "malformed Fn::GetAtt", "write [LogicalId, Attribute]"));
        };
        let Value::String(resource) = resource else {
            return Err(self.fail(
                at,
                "Fn::GetAtt of a non-name",
                "write [LogicalId, Attribute]",
            ));
        };
        let attribute = self.eval_value(attribute, &at_fn)?;
        let attribute = self.scalar_string(&attribute, &at_fn)?;
        self.get_att(resource, &attribute, at).map(Value::String)
    }

    /// The attributes functions, APIs, tables, roles and queues have.
    fn get_att(&self, id: &str, attribute: &str, at: &At<'_>) -> Result<String, LoadError> {
        self.require(id, at)?;
        let kind = self.template.resources[id].kind.as_str();
        let region = &self.region;
        let value = match (kind, attribute) {
            (k, "Arn") if FUNCTION_TYPES.contains(&k) => format!(
                "arn:aws:lambda:{region}:{ACCOUNT_ID}:function:{}",
                self.function_name(id)?
            ),
            ("AWS::ApiGatewayV2::Api", "ApiEndpoint") => {
                format!("wss://{id}.execute-api.{region}.amazonaws.com")
            }
            ("AWS::ApiGatewayV2::Api", "ApiId")
            | ("AWS::ApiGatewayV2::Authorizer", "AuthorizerId")
            | ("AWS::ApiGatewayV2::Integration", "IntegrationId")
            | ("AWS::ApiGatewayV2::Route", "RouteId") => id.to_owned(),
            (k, "Arn") if TABLE_TYPES.contains(&k) => format!(
                "arn:aws:dynamodb:{region}:{ACCOUNT_ID}:table/{}",
                self.name_of(id, "TableName")?
            ),
            ("AWS::IAM::Role", "Arn") => format!(
                "arn:aws:iam::{ACCOUNT_ID}:role/{}",
                self.name_of(id, "RoleName")?
            ),
            ("AWS::SQS::Queue", "Arn") => format!(
                "arn:aws:sqs:{region}:{ACCOUNT_ID}:{}",
                self.name_of(id, "QueueName")?
            ),
            ("AWS::SQS::Queue", "QueueName") => self.name_of(id, "QueueName")?,
            ("AWS::SQS::Queue", "QueueUrl") => self.resource_ref(id, at)?,
            _ => {
                return Err(self.fail(
                    at,
                    format!("Fn::GetAtt {id}.{attribute} ({kind}), which has no local value,"),
                    "give the value as a parameter",
                ))
            }
        };
        Ok(value)
    }

    /// `Fn::Sub "text"` or `Fn::Sub ["text", {variables}]`.
    pub(super) fn sub(&self, arg: &Value, at: &At<'_>) -> Result<String, LoadError> {
        let at_fn = at.child("Fn::Sub");
        let (text, variables) = match arg {
            Value::String(text) => (text, None),
            Value::Array(a) => match a.as_slice() {
                [Value::String(text), Value::Object(vars)] => (text, Some(vars)),
                _ => return Err(self.fail(at, "malformed Fn::Sub", "write [text, {Name: value}]")),
            },
            _ => return Err(self.fail(at, "malformed Fn::Sub", "write a string")),
        };
        let mut out = String::with_capacity(text.len());
        let mut rest = text.as_str();
        while let Some(start) = rest.find("${") {
            out.push_str(&rest[..start]);
            let after = &rest[start + 2..];
            if let Some(literal) = after.strip_prefix('!') {
                out.push_str("${");
                rest = literal;
                continue;
            }
            let Some(end) = after.find('}') else {
                return Err(self.fail(at, "an unclosed ${ in Fn::Sub", "close it with }"));
            };
            let name = after[..end].trim();
            let value = match variables.and_then(|v| v.get(name)) {
                Some(v) => self.eval_value(v, &at_fn.child(name))?,
                None => match name.split_once('.') {
                    Some((resource, attribute)) => {
                        Value::String(self.get_att(resource, attribute, at)?)
                    }
                    None => self
                        .reference(name, at)?
                        .ok_or_else(|| self.fail(at, "${AWS::NoValue} in Fn::Sub", "remove it"))?,
                },
            };
            out.push_str(&self.scalar_string(&value, &at_fn)?);
            rest = &after[end + 1..];
        }
        out.push_str(rest);
        Ok(out)
    }
}
