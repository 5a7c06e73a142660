//! One invocation's payload, read once: an API Gateway WebSocket event, this function's own
//! delivery event, or neither, with what the handler needs of each.

use crate::delivery::{Delivery, KEY};
use aws_lambda_events::apigw::ApiGatewayWebsocketProxyRequest;
use serde_json::Value;
use std::collections::HashMap;
use tracing::warn;
use wsproxy_core::RouteResponse;

/// What an invocation is, recognised once.
#[derive(Debug)]
pub(crate) enum Invocation {
    /// An API Gateway WebSocket event.
    Event(Event),
    /// The post-connect messages a `$connect` of this function scheduled.
    Delivery(Delivery),
    /// Neither: answered 400 with the reason.
    Malformed(Malformed),
}

/// Which route handler an API Gateway event goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum EventType {
    /// `$connect`.
    Connect,
    /// `$disconnect`.
    Disconnect,
    /// A client message (`$default` or a custom route).
    Message,
}

impl EventType {
    /// API Gateway's `requestContext.eventType`, or, without one, what the route implies.
    /// A type other than `CONNECT` and `DISCONNECT` is a message.
    fn of(event_type: Option<&str>, route: &str) -> Self {
        match (event_type, route) {
            (Some("CONNECT"), _) | (None, "$connect") => Self::Connect,
            (Some("DISCONNECT"), _) | (None, "$disconnect") => Self::Disconnect,
            _ => Self::Message,
        }
    }
}

/// What the handler uses of an API Gateway WebSocket event.
#[derive(Debug)]
pub(crate) struct Event {
    /// `requestContext.connectionId`.
    pub connection_id: String,
    /// `requestContext.routeKey`.
    pub route: String,
    /// Which handler it goes to.
    pub event_type: EventType,
    /// `requestContext.requestId`, when given and not empty.
    pub request_id: Option<String>,
    /// The message body, for a message.
    pub body: Option<String>,
    /// `queryStringParameters`, name → value.
    pub query: HashMap<String, String>,
    /// The `@connections` endpoint the event implies: `https://{domainName}/{stage}`.
    pub endpoint: Option<String>,
}

/// An invocation that is neither an API Gateway event nor a delivery.
#[derive(Debug)]
pub(crate) struct Malformed {
    /// What is wrong with it.
    reason: Reason,
    /// A request id it carries (`requestContext.requestId` or a delivery's), if any.
    request_id: Option<String>,
    /// Its `requestContext.routeKey`, if it is a string.
    route: Option<String>,
}

/// Why an invocation is malformed.
#[derive(Debug)]
enum Reason {
    /// It does not read as an API Gateway WebSocket event.
    NotAnEvent(serde_json::Error),
    /// It reads as one, but without a connection id or a route key.
    NoConnectionOrRoute,
}

impl Malformed {
    /// Logs why, and answers 400 with the reason.
    pub(crate) fn response(&self) -> RouteResponse {
        match &self.reason {
            Reason::NotAnEvent(e) => {
                warn!(error = %e, "malformed event: not an API Gateway WebSocket event");
                RouteResponse::error(400, format!("malformed event: {e}"))
            }
            Reason::NoConnectionOrRoute => {
                warn!("malformed event: requestContext.connectionId or routeKey is missing");
                RouteResponse::error(
                    400,
                    "malformed event: requestContext.connectionId and routeKey are required",
                )
            }
        }
    }
}

impl Invocation {
    /// Reads a payload: a delivery event (a top-level [`KEY`] and no `requestContext`),
    /// else an API Gateway WebSocket event with a connection id and a route key, else
    /// malformed.
    pub(crate) fn parse(payload: Value) -> Self {
        if let Some(delivery) = Delivery::recognise(&payload) {
            return Self::Delivery(delivery);
        }
        // Read before the payload is consumed, for the answer if it turns out malformed.
        let carried_id = non_empty(
            payload
                .pointer("/requestContext/requestId")
                .or_else(|| payload.pointer(&format!("/{KEY}/request_id"))),
        );
        let carried_route = payload
            .pointer("/requestContext/routeKey")
            .and_then(Value::as_str)
            .map(str::to_owned);
        let malformed = |reason| {
            Self::Malformed(Malformed {
                reason,
                request_id: carried_id,
                route: carried_route,
            })
        };
        let query = query_parameters(&payload);
        let event = match parse_event(payload) {
            Ok(event) => event,
            Err(e) => return malformed(Reason::NotAnEvent(e)),
        };
        let ctx = event.request_context;
        let (Some(connection_id), Some(route)) = (ctx.connection_id, ctx.route_key) else {
            return malformed(Reason::NoConnectionOrRoute);
        };
        let endpoint = match (ctx.domain_name, ctx.stage) {
            (Some(domain), Some(stage)) => Some(format!("https://{domain}/{stage}")),
            _ => None,
        };
        Self::Event(Event {
            event_type: EventType::of(ctx.event_type.as_deref(), &route),
            connection_id,
            route,
            request_id: ctx.request_id.filter(|id| !id.is_empty()),
            body: event.body,
            query,
            endpoint,
        })
    }

    /// The request id it carries: API Gateway's `requestContext.requestId`, or the one of
    /// the `$connect` that scheduled a delivery.
    pub(crate) fn request_id(&self) -> Option<&str> {
        match self {
            Self::Event(event) => event.request_id.as_deref(),
            Self::Delivery(delivery) => delivery.request_id.as_deref().filter(|id| !id.is_empty()),
            Self::Malformed(malformed) => malformed.request_id.as_deref(),
        }
    }

    /// The `route` its metrics are recorded under: the route key, `delivery` or `unknown`.
    pub(crate) fn route_label(&self) -> &str {
        match self {
            Self::Event(event) => &event.route,
            Self::Delivery(_) => "delivery",
            Self::Malformed(malformed) => malformed.route.as_deref().unwrap_or("unknown"),
        }
    }
}

/// A string value that is not empty, owned.
fn non_empty(value: Option<&Value>) -> Option<String> {
    value
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

/// Reads an API Gateway WebSocket event. With serde_json's `arbitrary_precision` (on for
/// the whole workspace) numbers arrive as their text; plain integer fields still parse.
fn parse_event(payload: Value) -> Result<ApiGatewayWebsocketProxyRequest, serde_json::Error> {
    serde_json::from_value(payload)
}

/// `queryStringParameters` (name → value), read from the raw event: the parsed event's
/// `QueryMap` iterator panics on a name with an empty list of values (`{"a": []}`).
/// A list gives its last value, as a repeated name does.
fn query_parameters(payload: &Value) -> HashMap<String, String> {
    let Some(params) = payload
        .get("queryStringParameters")
        .and_then(Value::as_object)
    else {
        return HashMap::new();
    };
    params
        .iter()
        .filter_map(|(name, value)| {
            let value = match value {
                Value::String(s) => s.as_str(),
                Value::Array(values) => values.last()?.as_str()?,
                _ => return None,
            };
            Some((name.clone(), value.to_owned()))
        })
        .collect()
}

#[cfg(test)]
mod tests;
