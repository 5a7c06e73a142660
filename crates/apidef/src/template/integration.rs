//! A route's integration (`AWS::ApiGatewayV2::Integration`, Lambda proxy only) and its
//! `$connect` authorizer (`AWS::ApiGatewayV2::Authorizer`, Lambda REQUEST).

use super::eval::{At, Context};
use crate::{AuthorizerDef, LoadError};
use serde_json::Value;

const INTEGRATION: &str = "AWS::ApiGatewayV2::Integration";
const AUTHORIZER: &str = "AWS::ApiGatewayV2::Authorizer";

impl<'t> Context<'t> {
    /// The logical id of the function the route `route` invokes through its `Target`.
    pub(super) fn integration_function(
        &self,
        route: &str,
        target: &str,
    ) -> Result<&'t str, LoadError> {
        let Some(integration) = target.strip_prefix("integrations/") else {
            return Err(self.resource_error(
                route,
                format!("its Target '{target}' is not integrations/<id>: give integrations/<the Integration's id>, e.g. !Join [/, [integrations, !Ref MyIntegration]]"),
            ));
        };
        let Some((id, _)) = self.template.resources.get_key_value(integration) else {
            return Err(self.resource_error(
                route,
                format!("its Target '{target}' names no resource of this template: define an AWS::ApiGatewayV2::Integration {integration} or fix the Target"),
            ));
        };
        let id = id.as_str();
        if self.template.resources[id].kind != INTEGRATION || !self.exists(id)? {
            return Err(self.resource_error(
                route,
                format!("its Target '{target}' is not an AWS::ApiGatewayV2::Integration of this template: point it at one"),
            ));
        }
        let kind = self
            .string_property(id, "IntegrationType")?
            .unwrap_or_default();
        if kind != "AWS_PROXY" {
            return Err(self.resource_error(
                id,
                format!("is an integration of type {}, and wsproxy runs Lambda proxy integrations (AWS_PROXY) only: make it IntegrationType: AWS_PROXY with a Lambda IntegrationUri, or leave its route ({route}) out of the local run",
                    if kind.is_empty() { "(none)" } else { &kind }),
            ));
        }
        let uri = self.string_property(id, "IntegrationUri")?.ok_or_else(|| {
            self.resource_error(
                id,
                "has no IntegrationUri: give the Lambda function's invocation URI".into(),
            )
        })?;
        self.invoked_function(&uri, &At::property(id, "IntegrationUri"))
    }

    /// The route's Lambda REQUEST authorizer with its function's logical id, if it has one
    /// (`AuthorizationType: CUSTOM`); only `$connect` may have one.
    pub(super) fn route_authorizer(
        &self,
        route: &str,
        route_key: &str,
    ) -> Result<Option<(AuthorizerDef, &'t str)>, LoadError> {
        let kind = self.string_property(route, "AuthorizationType")?;
        match kind.as_deref() {
            None | Some("NONE") => return Ok(None),
            Some("CUSTOM") if route_key == "$connect" => {}
            Some("CUSTOM") => {
                return Err(self.resource_error(
                    route,
                    format!("route '{route_key}' has an authorizer, which API Gateway runs on $connect only: move it to the $connect route"),
                ))
            }
            Some(other) => {
                return Err(self.resource_error(
                    route,
                    format!("has AuthorizationType {other}, which wsproxy cannot check locally: use a Lambda REQUEST authorizer (CUSTOM) or NONE"),
                ))
            }
        }
        let id = self.string_property(route, "AuthorizerId")?.ok_or_else(|| {
            self.resource_error(route, "has AuthorizationType CUSTOM and no AuthorizerId: give it !Ref <the Authorizer>".into())
        })?;
        let Some((id, resource)) = self.template.resources.get_key_value(id.as_str()) else {
            return Err(self.resource_error(
                route,
                format!("its AuthorizerId '{id}' names no resource of this template: define an AWS::ApiGatewayV2::Authorizer {id} or fix it"),
            ));
        };
        let id = id.as_str();
        if resource.kind != AUTHORIZER || !self.exists(id)? {
            return Err(self.resource_error(
                route,
                format!("its AuthorizerId '{id}' is not an AWS::ApiGatewayV2::Authorizer of this template: point it at one"),
            ));
        }
        let authorizer_type = self
            .string_property(id, "AuthorizerType")?
            .unwrap_or_default();
        if authorizer_type != "REQUEST" {
            return Err(self.resource_error(
                id,
                format!("is an authorizer of type '{authorizer_type}', and WebSocket APIs run Lambda REQUEST authorizers: make it AuthorizerType: REQUEST"),
            ));
        }
        let uri = self.string_property(id, "AuthorizerUri")?.ok_or_else(|| {
            self.resource_error(
                id,
                "has no AuthorizerUri: give the Lambda function's invocation URI".into(),
            )
        })?;
        let function = self.invoked_function(&uri, &At::property(id, "AuthorizerUri"))?;
        let at = At::property(id, "IdentitySource");
        let identity_sources = match self.property(id, "IdentitySource")? {
            None => Vec::new(),
            Some(Value::Array(items)) => items
                .iter()
                .map(|v| self.scalar_string(v, &at))
                .collect::<Result<_, _>>()?,
            Some(single) => self
                .scalar_string(&single, &at)?
                .split(',')
                .map(|s| s.trim().to_owned())
                .collect(),
        };
        let name = self
            .string_property(id, "Name")?
            .unwrap_or_else(|| id.to_owned());
        let definition = AuthorizerDef {
            name,
            resource: id.to_owned(),
            function: self.function_name(function)?,
            identity_sources,
        };
        Ok(Some((definition, function)))
    }
}
