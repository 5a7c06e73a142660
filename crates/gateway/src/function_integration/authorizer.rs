//! The Lambda REQUEST authorizer of `$connect`: its identity sources, its event, and what
//! its answer does to the handshake (401, 403, 500, or the connection's
//! `requestContext.authorizer`).

use super::event_json::proxy_event;
use super::policy::{evaluate, Verdict};
use super::{FunctionIntegration, API_ID};
use crate::event::{IntegrationResponse, RouteEvent};
use serde_json::{json, Map, Value};
use std::time::Instant;
use tracing::{debug, info, warn};
use wsproxy_lambda_local::ACCOUNT_ID;

/// Which function authorizes `$connect`, and what a connect must carry to be put to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthorizerConfig {
    /// The [`super::LocalFunctionConfig::function_name`] of the authorizer function.
    pub function: String,
    /// API Gateway's identity sources: `route.request.querystring.NAME` or
    /// `route.request.header.NAME`. A connect missing one (or with it empty) is refused with
    /// 401 without calling the function.
    pub identity_sources: Vec<String>,
}

/// An identity source the gateway can check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum IdentitySource {
    /// `route.request.querystring.NAME`.
    Query(String),
    /// `route.request.header.NAME` (matched without regard to case).
    Header(String),
}

impl IdentitySource {
    /// Reads `route.request.querystring.NAME` or `route.request.header.NAME`.
    pub(crate) fn parse(source: &str) -> Result<Self, String> {
        let valid = |name: &str| {
            !name.is_empty()
                && name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
        };
        if let Some(name) = source.strip_prefix("route.request.querystring.") {
            if valid(name) {
                return Ok(Self::Query(name.to_owned()));
            }
        }
        if let Some(name) = source.strip_prefix("route.request.header.") {
            if valid(name) {
                return Ok(Self::Header(name.to_ascii_lowercase()));
            }
        }
        Err(format!(
            "authorizer identity source '{source}' is not supported: give \
             route.request.querystring.NAME or route.request.header.NAME"
        ))
    }

    /// True when the connect carries it, not empty.
    fn present(&self, event: &RouteEvent) -> bool {
        let value = match self {
            Self::Query(name) => event.query.get(name),
            Self::Header(name) => event
                .headers
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
                .map(|(_, v)| v),
        };
        value.is_some_and(|v| !v.trim().is_empty())
    }
}

impl AuthorizerConfig {
    /// The parsed identity sources, or what is wrong with one.
    pub(crate) fn sources(&self) -> Result<Vec<IdentitySource>, String> {
        self.identity_sources
            .iter()
            .map(|s| IdentitySource::parse(s))
            .collect()
    }
}

/// A started authorizer: its function and identity sources.
#[derive(Debug)]
pub(crate) struct Authorizer {
    pub function: FunctionIntegration,
    pub sources: Vec<IdentitySource>,
}

impl Authorizer {
    /// Puts the connect to the authorizer: `Ok` with `requestContext.authorizer` when it
    /// allows it, else the handshake's refusal (401 missing identity, 403 denied, 500 failed).
    pub(crate) async fn authorize(
        &self,
        event: &RouteEvent,
    ) -> Result<Map<String, Value>, IntegrationResponse> {
        if self.sources.iter().any(|s| !s.present(event)) {
            info!("$connect lacks an identity source of the authorizer: 401");
            return Err(IntegrationResponse::new(
                401,
                r#"{"message":"Unauthorized"}"#,
            ));
        }
        let region = &self.function.function().config().region;
        let method_arn = format!(
            "arn:aws:execute-api:{region}:{ACCOUNT_ID}:{API_ID}/{}/$connect",
            event.stage
        );
        let started = Instant::now();
        let request = request_event(event, API_ID, &method_arn);
        let failed = || IntegrationResponse::new(500, r#"{"message":"Internal server error"}"#);
        let Some(answer) = self.function.answer(request, "authorizer", true).await else {
            warn!("the authorizer failed: 500");
            return Err(failed());
        };
        match evaluate(&answer, &method_arn) {
            Ok(Verdict::Allow(context)) => {
                debug!(
                    took_ms = started.elapsed().as_millis() as u64,
                    "the authorizer allowed $connect"
                );
                Ok(context)
            }
            Ok(Verdict::Deny) => {
                info!("the authorizer denied $connect: 403");
                Err(IntegrationResponse::new(403, r#"{"message":"Forbidden"}"#))
            }
            Err(why) => {
                warn!("{why}: 500");
                Err(failed())
            }
        }
    }
}

/// API Gateway's REQUEST authorizer event for a WebSocket `$connect`: `type`, `methodArn`,
/// the connect's headers, query and `requestContext`, and `stageVariables`.
fn request_event(event: &RouteEvent, api_id: &str, method_arn: &str) -> Value {
    let mut connect = proxy_event(event, api_id, None);
    let mut out = Map::new();
    out.insert("type".into(), json!("REQUEST"));
    out.insert("methodArn".into(), json!(method_arn));
    if let Value::Object(fields) = &mut connect {
        for key in [
            "headers",
            "multiValueHeaders",
            "queryStringParameters",
            "multiValueQueryStringParameters",
        ] {
            out.insert(key.into(), fields.remove(key).unwrap_or(Value::Null));
        }
        out.insert("stageVariables".into(), json!({}));
        if let Some(context) = fields.remove("requestContext") {
            out.insert("requestContext".into(), context);
        }
    }
    Value::Object(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identity_sources_are_query_or_header() {
        assert_eq!(
            IdentitySource::parse("route.request.querystring.token"),
            Ok(IdentitySource::Query("token".into()))
        );
        assert_eq!(
            IdentitySource::parse("route.request.header.Auth"),
            Ok(IdentitySource::Header("auth".into()))
        );
        for bad in [
            "route.request.querystring.",
            "stageVariables.x",
            "context.requestId",
            "$request.header.Auth",
            "route.request.header.a b",
        ] {
            let e = IdentitySource::parse(bad).unwrap_err();
            assert!(e.contains(bad) && e.contains("route.request.header"), "{e}");
        }
    }
}
