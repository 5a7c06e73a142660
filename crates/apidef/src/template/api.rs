//! The WebSocket API (`AWS::ApiGatewayV2::Api`), its stage, routes and route responses.

use super::eval::{At, Context};
use crate::{ApiDefinition, LoadError, RouteDef};

const API: &str = "AWS::ApiGatewayV2::Api";
const ROUTE: &str = "AWS::ApiGatewayV2::Route";
const ROUTE_RESPONSE: &str = "AWS::ApiGatewayV2::RouteResponse";
const STAGE: &str = "AWS::ApiGatewayV2::Stage";

/// A WebSocket API of the template.
#[derive(Debug)]
struct Api<'t> {
    id: &'t str,
    name: String,
}

impl<'t> Context<'t> {
    /// The chosen WebSocket API with everything it runs.
    pub(super) fn api_definition(&self, choice: Option<&str>) -> Result<ApiDefinition, LoadError> {
        let api = self.choose_api(choice)?;
        let route_selection_expression = self
            .string_property(api.id, "RouteSelectionExpression")?
            .ok_or_else(|| {
                self.resource_error(
                    api.id,
                    "has no RouteSelectionExpression: give it one, e.g. $request.body.action"
                        .into(),
                )
            })?;
        let mut routes = Vec::new();
        let mut function_ids: Vec<&'t str> = Vec::new();
        let mut authorizer = None;
        for id in self.resources_of(ROUTE)? {
            if !self.belongs(id, api.id)? {
                continue;
            }
            let route_key = self.string_property(id, "RouteKey")?.ok_or_else(|| {
                self.resource_error(id, "has no RouteKey: give it one, e.g. $default".into())
            })?;
            let target = self.string_property(id, "Target")?.ok_or_else(|| {
                self.resource_error(
                    id,
                    format!("(route '{route_key}') has no Target: give it integrations/<the Integration's id>, e.g. !Join [/, [integrations, !Ref MyIntegration]]"),
                )
            })?;
            let function = self.integration_function(id, &target)?;
            if let Some(a) = self.route_authorizer(id, &route_key)? {
                authorizer = Some(a);
            }
            push_once(&mut function_ids, function);
            routes.push(RouteDef {
                route_key,
                resource: id.to_owned(),
                function: self.function_name(function)?,
                route_response: self.has_route_response(id)?,
            });
        }
        if let Some((_, function)) = &authorizer {
            push_once(&mut function_ids, function);
        }
        let functions = function_ids
            .iter()
            .map(|id| self.function_def(id))
            .collect::<Result<Vec<_>, _>>()?;
        let definition = ApiDefinition {
            source: self.template.file.clone(),
            resource: api.id.to_owned(),
            name: api.name,
            route_selection_expression,
            stage: self.stage(api.id)?,
            routes,
            functions,
            authorizer: authorizer.map(|(a, _)| a),
        };
        definition.validate()?;
        Ok(definition)
    }

    /// The WebSocket API named by `choice` (logical id or Name), or the only one.
    fn choose_api(&self, choice: Option<&str>) -> Result<Api<'t>, LoadError> {
        let mut apis = Vec::new();
        for id in self.resources_of(API)? {
            if self.string_property(id, "ProtocolType")?.as_deref() == Some("WEBSOCKET") {
                let name = self
                    .string_property(id, "Name")?
                    .unwrap_or_else(|| id.to_owned());
                apis.push(Api { id, name });
            }
        }
        let api_error = |message: String| LoadError::Api {
            file: self.template.file.clone(),
            message,
        };
        let listed = || {
            apis.iter()
                .map(|a| format!("{} (Name: {})", a.id, a.name))
                .collect::<Vec<_>>()
                .join(", ")
        };
        if let Some(choice) = choice {
            let listing = listed();
            return apis
                .into_iter()
                .find(|a| a.id == choice || a.name == choice)
                .ok_or_else(|| {
                    api_error(format!(
                        "has no WebSocket API '{choice}' (its WebSocket APIs: {}): name one by its logical id or Name",
                        if listing.is_empty() { "none" } else { &listing }
                    ))
                });
        }
        match apis.len() {
            0 => Err(api_error(
                "defines no WebSocket API (an AWS::ApiGatewayV2::Api with ProtocolType: WEBSOCKET): \
                 give a template that defines one"
                    .into(),
            )),
            1 => Ok(apis.remove(0)),
            n => Err(api_error(format!(
                "defines {n} WebSocket APIs: {}: choose the one to run by its logical id or Name",
                listed()
            ))),
        }
    }

    /// True if the resource's `ApiId` is the API `api`.
    fn belongs(&self, id: &str, api: &str) -> Result<bool, LoadError> {
        Ok(self.string_property(id, "ApiId")?.as_deref() == Some(api))
    }

    /// True for a two-way route: `RouteResponseSelectionExpression: $default` and a
    /// `$default` route response (API Gateway sends nothing back without either).
    fn has_route_response(&self, route: &str) -> Result<bool, LoadError> {
        let expression = self.string_property(route, "RouteResponseSelectionExpression")?;
        if expression.as_deref() != Some("$default") {
            return Ok(false);
        }
        for id in self.resources_of(ROUTE_RESPONSE)? {
            if self.string_property(id, "RouteId")?.as_deref() == Some(route)
                && self.string_property(id, "RouteResponseKey")?.as_deref() == Some("$default")
            {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// The API's stage name (the first stage if it has several).
    fn stage(&self, api: &str) -> Result<Option<String>, LoadError> {
        for id in self.resources_of(STAGE)? {
            if self.belongs(id, api)? {
                return self.string_property(id, "StageName");
            }
        }
        Ok(None)
    }

    /// The logical id of the function invoked by a Lambda invocation URI or ARN.
    pub(super) fn invoked_function(&self, uri: &str, at: &At<'_>) -> Result<&'t str, LoadError> {
        let Some(name) = lambda_function_name(uri) else {
            return Err(self.fail(
                at,
                format!("'{uri}', which is not a Lambda function's ARN or invocation URI,"),
                "give arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${Function.Arn}/invocations",
            ));
        };
        let mut names = Vec::new();
        let mut failed = None;
        for kind in super::refs::FUNCTION_TYPES {
            for id in self.resources_of(kind)? {
                match self.function_name(id) {
                    Ok(n) if n == name => return Ok(id),
                    Ok(n) => names.push(n),
                    Err(e) => failed = failed.or(Some(e)),
                }
            }
        }
        if let Some(e) = failed {
            return Err(e);
        }
        Err(self.fail(
            at,
            format!(
                "a call of function '{name}', which is not defined in this template (functions: {}),",
                if names.is_empty() { "none".to_owned() } else { names.join(", ") }
            ),
            "define it as an AWS::Serverless::Function or AWS::Lambda::Function, or fix the name",
        ))
    }
}

fn push_once<'a>(ids: &mut Vec<&'a str>, id: &'a str) {
    if !ids.contains(&id) {
        ids.push(id);
    }
}

/// The function name in `arn:aws:apigateway:R:lambda:path/2015-03-31/functions/<ARN>/invocations`
/// or in a bare function ARN `arn:aws:lambda:R:A:function:NAME[:qualifier]`.
pub(super) fn lambda_function_name(uri: &str) -> Option<String> {
    let arn = match uri.split_once("/functions/") {
        Some((_, rest)) => rest.strip_suffix("/invocations")?,
        None => uri,
    };
    let parts: Vec<&str> = arn.split(':').collect();
    match parts.as_slice() {
        ["arn", _, "lambda", _, _, "function", name, ..] if !name.is_empty() => {
            Some((*name).to_owned())
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::lambda_function_name;

    #[test]
    fn function_names_from_invocation_uris_and_arns() {
        let arn = "arn:aws:lambda:us-east-1:123456789012:function:chat-connect";
        let uri = format!(
            "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/{arn}/invocations"
        );
        assert_eq!(lambda_function_name(&uri).as_deref(), Some("chat-connect"));
        assert_eq!(lambda_function_name(arn).as_deref(), Some("chat-connect"));
        let alias = format!(
            "arn:aws:apigateway:eu-west-1:lambda:path/2015-03-31/functions/{arn}:live/invocations"
        );
        assert_eq!(
            lambda_function_name(&alias).as_deref(),
            Some("chat-connect")
        );
        assert_eq!(lambda_function_name("https://example.com/chat"), None);
        assert_eq!(
            lambda_function_name("arn:aws:apigateway:r:lambda:path/2015-03-31/functions/x"),
            None
        );
    }
}
