//! The API, its routes, functions and authorizer, as read from a template or Terraform.

use crate::LoadError;
use std::collections::BTreeMap;
use std::path::PathBuf;

/// A WebSocket API (`AWS::ApiGatewayV2::Api` / `aws_apigatewayv2_api` with protocol
/// `WEBSOCKET`) and everything the local gateway needs to run it.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiDefinition {
    /// The template file or Terraform folder it was read from.
    pub source: PathBuf,
    /// The API's logical id (template) or address (Terraform).
    pub resource: String,
    /// The API's name.
    pub name: String,
    /// `RouteSelectionExpression`, e.g. `$request.body.action`.
    pub route_selection_expression: String,
    /// The stage's name, if the API has a stage.
    pub stage: Option<String>,
    /// Every route with a Lambda proxy integration.
    pub routes: Vec<RouteDef>,
    /// Every function a route or the authorizer runs on.
    pub functions: Vec<FunctionDef>,
    /// The Lambda REQUEST authorizer of `$connect`, if that route uses one
    /// (`AuthorizationType: CUSTOM`).
    pub authorizer: Option<AuthorizerDef>,
}

/// One route and the function its integration invokes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteDef {
    /// `$connect`, `$disconnect`, `$default` or a custom route key.
    pub route_key: String,
    /// The route's logical id or address.
    pub resource: String,
    /// The [`FunctionDef::name`] its integration invokes.
    pub function: String,
    /// True for a two-way route: a `$default` route response, so the function's returned
    /// `body` is sent back to the client.
    pub route_response: bool,
}

/// A Lambda function (`AWS::Serverless::Function`, `AWS::Lambda::Function`,
/// `aws_lambda_function`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FunctionDef {
    /// `AWS_LAMBDA_FUNCTION_NAME`: its `FunctionName`/`function_name`, else its logical id.
    pub name: String,
    /// Its logical id or address.
    pub resource: String,
    /// The file that defines it (errors name it).
    pub file: PathBuf,
    /// `Runtime`, e.g. `python3.12`, `nodejs20.x`, `provided.al2023`.
    pub runtime: String,
    /// `Handler`, e.g. `app.handler` (for `provided.*` runtimes, informative).
    pub handler: String,
    /// Where its code is on this machine.
    pub code: Code,
    /// Its own environment variables.
    pub environment: BTreeMap<String, String>,
    /// Its timeout in seconds (Lambda's default: 3).
    pub timeout_secs: u32,
    /// Its memory in MB (Lambda's default: 128).
    pub memory_mb: u32,
}

/// Where a function's code is: a folder, or a zip package to unpack first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Code {
    /// A folder (SAM's `CodeUri: src/`, Terraform's `archive_file` `source_dir`).
    Dir(PathBuf),
    /// A zip package (`filename`, `CodeUri: app.zip`).
    Zip(PathBuf),
}

/// A Lambda REQUEST authorizer on `$connect`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthorizerDef {
    /// The authorizer's name.
    pub name: String,
    /// Its logical id or address.
    pub resource: String,
    /// The [`FunctionDef::name`] it invokes.
    pub function: String,
    /// Its identity sources as written, e.g. `route.request.querystring.token`,
    /// `route.request.header.Auth`; a connect missing one is refused with 401.
    pub identity_sources: Vec<String>,
}

/// Lambda's default timeout, in seconds.
pub const DEFAULT_TIMEOUT_SECS: u32 = 3;
/// Lambda's default memory, in MB.
pub const DEFAULT_MEMORY_MB: u32 = 128;

impl ApiDefinition {
    /// The function named `name`.
    pub fn function(&self, name: &str) -> Option<&FunctionDef> {
        self.functions.iter().find(|f| f.name == name)
    }

    /// The custom route keys (every route key not starting with `$`).
    pub fn custom_routes(&self) -> Vec<String> {
        self.routes
            .iter()
            .filter(|r| !r.route_key.starts_with('$'))
            .map(|r| r.route_key.clone())
            .collect()
    }

    /// Checks that every route and the authorizer invoke a defined function, that no route
    /// key or function name repeats, and that the API has routes.
    pub fn validate(&self) -> Result<(), LoadError> {
        let api_error = |message: String| LoadError::Api {
            file: self.source.clone(),
            message,
        };
        if self.routes.is_empty() {
            return Err(api_error(format!(
                "the WebSocket API {} has no route with a Lambda integration: add a $default \
                 route (or $connect and custom routes) to run",
                self.resource
            )));
        }
        let mut names = std::collections::BTreeSet::new();
        for f in &self.functions {
            if !names.insert(f.name.as_str()) {
                return Err(LoadError::Resource {
                    file: f.file.clone(),
                    resource: f.resource.clone(),
                    message: format!(
                        "a second function is named '{}': give each its own FunctionName",
                        f.name
                    ),
                });
            }
        }
        let mut keys = std::collections::BTreeSet::new();
        for r in &self.routes {
            if !keys.insert(r.route_key.as_str()) {
                return Err(api_error(format!(
                    "{}: route key '{}' is defined twice",
                    r.resource, r.route_key
                )));
            }
            if !names.contains(r.function.as_str()) {
                return Err(api_error(format!(
                    "{}: route '{}' invokes function '{}', which is not defined here (functions: {})",
                    r.resource,
                    r.route_key,
                    r.function,
                    names.iter().copied().collect::<Vec<_>>().join(", ")
                )));
            }
        }
        if let Some(a) = &self.authorizer {
            if !names.contains(a.function.as_str()) {
                return Err(api_error(format!(
                    "{}: authorizer '{}' invokes function '{}', which is not defined here",
                    a.resource, a.name, a.function
                )));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn function(name: &str) -> FunctionDef {
        FunctionDef {
            name: name.to_owned(),
            resource: format!("Fn{name}"),
            file: "template.yaml".into(),
            runtime: "python3.12".into(),
            handler: "app.handler".into(),
            code: Code::Dir("src".into()),
            environment: BTreeMap::new(),
            timeout_secs: DEFAULT_TIMEOUT_SECS,
            memory_mb: DEFAULT_MEMORY_MB,
        }
    }

    fn route(key: &str, function: &str) -> RouteDef {
        RouteDef {
            route_key: key.to_owned(),
            resource: format!("Route{key}"),
            function: function.to_owned(),
            route_response: false,
        }
    }

    fn api(routes: Vec<RouteDef>, functions: Vec<FunctionDef>) -> ApiDefinition {
        ApiDefinition {
            source: "template.yaml".into(),
            resource: "ChatApi".into(),
            name: "chat".into(),
            route_selection_expression: "$request.body.action".into(),
            stage: Some("dev".into()),
            routes,
            functions,
            authorizer: None,
        }
    }

    #[test]
    fn a_route_to_an_undefined_function_is_named() {
        let a = api(
            vec![route("$default", "chat"), route("send", "gone")],
            vec![function("chat")],
        );
        let e = a.validate().unwrap_err().to_string();
        assert!(
            e.contains("Routesend") && e.contains("'gone'") && e.contains("chat"),
            "{e}"
        );
        assert_eq!(a.custom_routes(), ["send"]);
    }

    #[test]
    fn repeats_and_an_empty_api_are_refused() {
        let e = api(vec![], vec![]).validate().unwrap_err().to_string();
        assert!(e.contains("no route"), "{e}");
        let twice = api(
            vec![route("$default", "a")],
            vec![function("a"), function("a")],
        );
        assert!(twice
            .validate()
            .unwrap_err()
            .to_string()
            .contains("second function"));
        let keys = api(vec![route("x", "a"), route("x", "a")], vec![function("a")]);
        assert!(keys.validate().unwrap_err().to_string().contains("twice"));
    }
}
