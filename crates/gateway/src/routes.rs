//! Route selection: which route a client message goes to.

use serde_json::Value;
use std::collections::HashSet;

/// The route of messages that match no custom route.
pub const DEFAULT_ROUTE: &str = "$default";
/// The route run when a client connects.
pub const CONNECT_ROUTE: &str = "$connect";
/// The route run after a socket has closed.
pub const DISCONNECT_ROUTE: &str = "$disconnect";

/// Evaluates a route selection expression (`$request.body.<dotted path>`) on messages.
#[derive(Debug, Clone)]
pub struct RouteSelector {
    path: Vec<String>,
    routes: HashSet<String>,
}

impl RouteSelector {
    /// A selector for `expression` (also accepted as `${request.body.x}`) and these route keys.
    pub fn new(expression: &str, routes: &[String]) -> Result<Self, String> {
        let trimmed = expression.trim();
        let inner = trimmed
            .strip_prefix("${")
            .and_then(|s| s.strip_suffix('}'))
            .map(|s| format!("${s}"))
            .unwrap_or_else(|| trimmed.to_owned());
        let Some(path) = inner.strip_prefix("$request.body.") else {
            return Err(format!(
                "route selection expression '{expression}' is not supported: use $request.body.<field>, e.g. $request.body.action"
            ));
        };
        let path: Vec<String> = path.split('.').map(str::to_owned).collect();
        if path.iter().any(String::is_empty) {
            return Err(format!(
                "route selection expression '{expression}' has an empty field name"
            ));
        }
        if let Some(bad) = routes.iter().find(|r| r.is_empty() || r.starts_with('$')) {
            return Err(format!(
                "route key '{bad}' is not a custom route key: $connect, $disconnect and $default are built in"
            ));
        }
        Ok(Self {
            path,
            routes: routes.iter().cloned().collect(),
        })
    }

    /// The route key of a text message: a configured key equal to the expression's value,
    /// else `$default` (non-JSON, value missing, or no such route).
    pub fn select(&self, body: &str) -> String {
        self.custom_route(body)
            .unwrap_or_else(|| DEFAULT_ROUTE.to_owned())
    }

    fn custom_route(&self, body: &str) -> Option<String> {
        if self.routes.is_empty() {
            return None;
        }
        let json: Value = serde_json::from_str(body).ok()?;
        let value = self.path.iter().try_fold(&json, |v, key| v.get(key))?;
        let key = match value {
            Value::String(s) => s.clone(),
            Value::Number(n) => n.to_string(),
            Value::Bool(b) => b.to_string(),
            _ => return None,
        };
        self.routes.contains(&key).then_some(key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn selector(expr: &str) -> RouteSelector {
        RouteSelector::new(expr, &["sendmessage".into(), "42".into()]).unwrap()
    }

    #[test]
    fn selects_custom_routes_exactly() {
        let s = selector("$request.body.action");
        assert_eq!(s.select(r#"{"action":"sendmessage"}"#), "sendmessage");
        assert_eq!(s.select(r#"{"action":"SendMessage"}"#), "$default");
        assert_eq!(s.select(r#"{"action":42}"#), "42");
        assert_eq!(s.select(r#"{"action":{"x":1}}"#), "$default");
        assert_eq!(s.select(r#"{"other":"sendmessage"}"#), "$default");
        assert_eq!(s.select("sendmessage"), "$default");
        assert_eq!(s.select(r#"["sendmessage"]"#), "$default");
    }

    #[test]
    fn follows_dotted_paths() {
        let s = selector("${request.body.meta.kind}");
        assert_eq!(
            s.select(r#"{"meta":{"kind":"sendmessage"}}"#),
            "sendmessage"
        );
        assert_eq!(s.select(r#"{"meta":"sendmessage"}"#), "$default");
    }

    #[test]
    fn rejects_unsupported_expressions() {
        assert!(RouteSelector::new("$request.header.x", &[]).is_err());
        assert!(RouteSelector::new("$request.body.", &[]).is_err());
        assert!(RouteSelector::new("$request.body.action", &["$default".into()]).is_err());
    }
}
