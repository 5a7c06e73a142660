//! A CloudFormation or SAM template (YAML with its short tags, or JSON) read into an
//! [`ApiDefinition`]: its WebSocket API, routes, Lambda proxy integrations, `$connect`
//! authorizer, stage and functions, with intrinsic functions evaluated as the deployed
//! stack would have them.
//!
//! Only what wsproxy needs is evaluated: an intrinsic it cannot evaluate (`Fn::ImportValue`,
//! say) fails the load only where a value it reads depends on it, and the error names the
//! resource, the property and what to do.

mod api;
mod conditions;
mod eval;
mod functions;
mod integration;
mod parse;
mod refs;
#[cfg(test)]
mod tests;
mod yaml_limits;

use crate::{ApiDefinition, LoadError};
use std::collections::BTreeMap;
use std::path::Path;

/// How a template is evaluated: what `sam deploy --parameter-overrides`, the region and the
/// choice of API would be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateOptions {
    /// Values of the template's `Parameters`, over their `Default`s.
    pub parameters: BTreeMap<String, String>,
    /// `AWS::Region` (and the region in ARNs). Default `us-east-1`.
    pub region: String,
    /// The WebSocket API to run, by logical id or `Name`, when the template defines several.
    pub api: Option<String>,
}

impl Default for TemplateOptions {
    fn default() -> Self {
        Self {
            parameters: BTreeMap::new(),
            region: "us-east-1".to_owned(),
            api: None,
        }
    }
}

/// Reads the template at `path` into the WebSocket API it defines, checked with
/// [`ApiDefinition::validate`]. Paths in it (`CodeUri`, `Code`) are relative to its folder.
///
/// `AWS::AccountId` is `123456789012`, `AWS::StackName` the file's name without extension;
/// `Ref` to a function gives its `FunctionName` (else its logical id), `Fn::GetAtt F.Arn` its
/// ARN, and `Ref` to an API, route, integration or authorizer its logical id.
pub fn load_template(path: &Path, options: &TemplateOptions) -> Result<ApiDefinition, LoadError> {
    let template = parse::read(path)?;
    if let Some(unknown) = options
        .parameters
        .keys()
        .find(|name| !template.parameters.contains_key(*name))
    {
        let known: Vec<&str> = template.parameters.keys().map(String::as_str).collect();
        return Err(LoadError::Resource {
            file: path.to_owned(),
            resource: format!("Parameters.{unknown}"),
            message: format!(
                "a value was given for {unknown}, which is not a parameter of this template \
                 (its parameters: {}): fix the name",
                if known.is_empty() {
                    "none".to_owned()
                } else {
                    known.join(", ")
                }
            ),
        });
    }
    eval::Context::new(&template, options).api_definition(options.api.as_deref())
}
