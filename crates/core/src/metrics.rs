//! wsproxy's metrics: the one list of names, units and descriptions that the code records
//! (through the `metrics` facade, so any recorder fits), the Lambda host writes as
//! CloudWatch EMF, the local gateway serves as Prometheus text, and the Terraform alarms
//! and dashboard name (`infra/terraform/modules/websocket_proxy/metrics.json`,
//! [`to_json`]).
//!
//! Labels are low-cardinality only (a route, a connection type, an error kind, a status
//! class): never a connection, booking or user id, and never a value the client chooses:
//! what a client sends is mapped onto a fixed set first ([`method_label`],
//! [`close_code_label`]), so no client can add series.

use serde_json::{json, Value};

/// How a metric is recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A count that only grows.
    Counter,
    /// A distribution of values (latencies, sizes).
    Histogram,
    /// A level that goes up and down.
    Gauge,
}

/// A metric's unit, as CloudWatch names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    /// A number of things.
    Count,
    /// A duration.
    Milliseconds,
    /// A size.
    Bytes,
}

impl Unit {
    /// CloudWatch's name of the unit (EMF's `Unit`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Count => "Count",
            Self::Milliseconds => "Milliseconds",
            Self::Bytes => "Bytes",
        }
    }
}

/// One metric: its name (the same in EMF and, prefixed `wsproxy_`, in Prometheus).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Metric {
    /// The name, snake case.
    pub name: &'static str,
    /// Counter, histogram or gauge.
    pub kind: Kind,
    /// Its unit.
    pub unit: Unit,
    /// The labels it is recorded with (each of low cardinality).
    pub labels: &'static [&'static str],
    /// What it counts.
    pub description: &'static str,
    /// True when only the local gateway records it.
    pub gateway_only: bool,
}

const fn metric(
    name: &'static str,
    kind: Kind,
    unit: Unit,
    labels: &'static [&'static str],
    description: &'static str,
) -> Metric {
    Metric {
        name,
        kind,
        unit,
        labels,
        description,
        gateway_only: false,
    }
}

const fn gateway(metric: Metric) -> Metric {
    Metric {
        gateway_only: true,
        ..metric
    }
}

/// `$connect`s the backend accepted and that were registered.
pub const CONNECTS_ACCEPTED: Metric = metric(
    "connects_accepted",
    Kind::Counter,
    Unit::Count,
    &["connection_type"],
    "Connections accepted (the backend accepted them and they were registered).",
);
/// `$connect`s refused, by status class.
pub const CONNECTS_REFUSED: Metric = metric("connects_refused", Kind::Counter, Unit::Count, &["status_class"], "Connections refused, by the status class of the refusal (4xx: the client or the backend said no; 5xx: wsproxy or the backend failed).");
/// Client messages handled.
pub const MESSAGES: Metric = metric(
    "messages",
    Kind::Counter,
    Unit::Count,
    &[],
    "Client messages received by a message route.",
);
/// How long each backend call took.
pub const BACKEND_LATENCY: Metric = metric(
    "backend_latency",
    Kind::Histogram,
    Unit::Milliseconds,
    &[],
    "Duration of one backend call, answered or failed.",
);
/// Backend calls that failed, by kind.
pub const BACKEND_ERRORS: Metric = metric("backend_errors", Kind::Counter, Unit::Count, &["kind"], "Backend calls that failed, by kind: refused (unreachable), timeout, status (non-2xx), too_large (answer over the limit).");
/// How many connections one answer was pushed to.
pub const FANOUT_TARGETS: Metric = metric(
    "fanout_targets",
    Kind::Histogram,
    Unit::Count,
    &[],
    "Connections one backend answer was pushed to.",
);
/// Pushes, by outcome.
pub const PUSHES: Metric = metric("pushes", Kind::Counter, Unit::Count, &["outcome"], "Pushes to a connection, by outcome: delivered, gone (the socket had closed; its items are removed), failed (throttled, timed out, store error).");
/// How long each registry call took.
pub const REGISTRY_LATENCY: Metric = metric(
    "registry_latency",
    Kind::Histogram,
    Unit::Milliseconds,
    &["operation"],
    "Duration of one connection-table call, by operation: put, by_connection, by_partition, delete.",
);
/// Registry calls that failed.
pub const REGISTRY_ERRORS: Metric = metric(
    "registry_errors",
    Kind::Counter,
    Unit::Count,
    &["operation"],
    "Connection-table calls that failed, by operation.",
);
/// Post-connect messages delivered after the socket opened.
pub const POST_CONNECT_DELIVERIES: Metric = metric(
    "post_connect_deliveries",
    Kind::Counter,
    Unit::Count,
    &["outcome"],
    "Post-connect messages (initial message, chat ack), by outcome: delivered, failed.",
);
/// How long the handling of one event took.
pub const HANDLER_DURATION: Metric = metric(
    "handler_duration",
    Kind::Histogram,
    Unit::Milliseconds,
    &["route"],
    "Duration of handling one event ($connect, message, $disconnect, delivery).",
);
/// Sockets open now (local gateway).
pub const OPEN_SOCKETS: Metric = gateway(metric(
    "open_sockets",
    Kind::Gauge,
    Unit::Count,
    &[],
    "WebSocket connections open now.",
));
/// Sockets closed, by close code (local gateway).
pub const SOCKETS_CLOSED: Metric = gateway(metric(
    "sockets_closed",
    Kind::Counter,
    Unit::Count,
    &["code"],
    "WebSocket connections closed, by close code: 1000 to 1015 (those RFC 6455 and IANA define) each its own, other codes by class (3xxx, 4xxx, other).",
));
/// Bytes received from clients (local gateway).
pub const BYTES_IN: Metric = gateway(metric(
    "bytes_in",
    Kind::Counter,
    Unit::Bytes,
    &[],
    "Bytes of messages received from clients.",
));
/// Bytes sent to clients (local gateway).
pub const BYTES_OUT: Metric = gateway(metric(
    "bytes_out",
    Kind::Counter,
    Unit::Bytes,
    &[],
    "Bytes of messages sent to clients.",
));
/// `@connections` API calls, by method and status (local gateway).
pub const CONNECTIONS_API_CALLS: Metric = gateway(metric(
    "connections_api_calls",
    Kind::Counter,
    Unit::Count,
    &["method", "status"],
    "Calls to the @connections API, by HTTP method (GET, POST, DELETE, other) and status.",
));
/// Function processes running (local gateway, Lambda mode).
pub const FUNCTION_PROCESSES: Metric = gateway(metric(
    "function_processes",
    Kind::Gauge,
    Unit::Count,
    &[],
    "bootstrap processes running (Lambda mode).",
));
/// Function processes restarted (local gateway, Lambda mode).
pub const FUNCTION_RESTARTS: Metric = gateway(metric(
    "function_restarts",
    Kind::Counter,
    Unit::Count,
    &[],
    "bootstrap processes started again after one exited or timed out (Lambda mode).",
));

/// Every metric wsproxy records.
pub const ALL: &[Metric] = &[
    CONNECTS_ACCEPTED,
    CONNECTS_REFUSED,
    MESSAGES,
    BACKEND_LATENCY,
    BACKEND_ERRORS,
    FANOUT_TARGETS,
    PUSHES,
    REGISTRY_LATENCY,
    REGISTRY_ERRORS,
    POST_CONNECT_DELIVERIES,
    HANDLER_DURATION,
    OPEN_SOCKETS,
    SOCKETS_CLOSED,
    BYTES_IN,
    BYTES_OUT,
    CONNECTIONS_API_CALLS,
    FUNCTION_PROCESSES,
    FUNCTION_RESTARTS,
];

/// The metric named `name`, if wsproxy records one.
pub fn find(name: &str) -> Option<&'static Metric> {
    ALL.iter().find(|m| m.name == name)
}

/// The list as JSON (`metrics.json`): namespace, the EMF dimensions, and each metric's
/// name, kind, unit, labels, description and hosts.
pub fn to_json() -> Value {
    let metrics: Vec<Value> = ALL
        .iter()
        .map(|m| {
            json!({
                "name": m.name,
                "kind": format!("{:?}", m.kind).to_lowercase(),
                "unit": m.unit.as_str(),
                "labels": m.labels,
                "description": m.description,
                "hosts": if m.gateway_only { json!(["gateway"]) } else { json!(["lambda", "gateway"]) },
            })
        })
        .collect();
    json!({
        "namespace": NAMESPACE,
        "emf_dimensions": [["FunctionName", "Route"]],
        "emf_names": "the label route is the Route dimension; any other label's value is part of the EMF name: backend_errors with kind=timeout is backend_errors.timeout",
        "prometheus_prefix": "wsproxy_",
        "metrics": metrics,
    })
}

/// The CloudWatch namespace of the EMF metrics.
pub const NAMESPACE: &str = "wsproxy";

/// `4xx` or `5xx` (or `2xx`...): a status's class, a low-cardinality label.
pub(crate) fn status_class(status: u16) -> &'static str {
    match status / 100 {
        1 => "1xx",
        2 => "2xx",
        3 => "3xx",
        4 => "4xx",
        _ => "5xx",
    }
}

/// The `method` label of [`CONNECTIONS_API_CALLS`]: `GET`, `POST` or `DELETE` (the methods
/// the API answers), any other method `other`.
pub fn method_label(method: &str) -> &'static str {
    match method {
        "GET" => "GET",
        "POST" => "POST",
        "DELETE" => "DELETE",
        _ => "other",
    }
}

/// The `code` label of [`SOCKETS_CLOSED`]: each close code RFC 6455 and IANA's registry define
/// (1000 to 1015 but the reserved 1004) is its own value, codes registered for libraries
/// and frameworks are `3xxx`, private ones `4xxx`, and anything else `other`.
pub fn close_code_label(code: u16) -> &'static str {
    match code {
        1000 => "1000",
        1001 => "1001",
        1002 => "1002",
        1003 => "1003",
        1005 => "1005",
        1006 => "1006",
        1007 => "1007",
        1008 => "1008",
        1009 => "1009",
        1010 => "1010",
        1011 => "1011",
        1012 => "1012",
        1013 => "1013",
        1014 => "1014",
        1015 => "1015",
        3000..=3999 => "3xxx",
        4000..=4999 => "4xxx",
        _ => "other",
    }
}

/// Milliseconds since `start`, as a float.
pub(crate) fn ms_since(start: std::time::Instant) -> f64 {
    start.elapsed().as_secs_f64() * 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_described() {
        let mut names: Vec<&str> = ALL.iter().map(|m| m.name).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), ALL.len());
        for m in ALL {
            assert!(
                !m.description.is_empty()
                    && m.name.chars().all(|c| c.is_ascii_lowercase() || c == '_'),
                "{m:?}"
            );
        }
        assert_eq!(find("pushes"), Some(&PUSHES));
        assert_eq!(status_class(403), "4xx");
        assert_eq!(status_class(502), "5xx");
    }

    #[test]
    fn client_chosen_values_map_onto_a_fixed_set() {
        let methods: std::collections::HashSet<&str> =
            ["GET", "POST", "DELETE", "get", "PUT", "X-1", ""]
                .into_iter()
                .map(method_label)
                .collect();
        assert_eq!(methods.len(), 4, "{methods:?}");
        assert_eq!(method_label("PATCH"), "other");
        let codes: std::collections::HashSet<&str> = (0..=u16::MAX).map(close_code_label).collect();
        assert_eq!(codes.len(), 18, "{codes:?}");
        assert_eq!(close_code_label(1005), "1005");
        assert_eq!(close_code_label(1004), "other");
        assert_eq!(close_code_label(3001), "3xxx");
        assert_eq!(close_code_label(4999), "4xxx");
        assert_eq!(close_code_label(5000), "other");
        assert_eq!(close_code_label(1016), "other");
    }
}
