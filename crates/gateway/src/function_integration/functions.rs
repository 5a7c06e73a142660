//! Several functions behind one gateway, each route going to one of them, as API Gateway's
//! route integrations do: [`FunctionsConfig`] says which, [`Functions`] runs them, with what
//! API Gateway does around them: the `$connect` authorizer, whose answer every event of the
//! connection carries as `requestContext.authorizer`; two-way routes, whose function's `body`
//! goes back to the client; and the error frame a client gets when its message route failed.

use super::authorizer::{Authorizer, AuthorizerConfig};
use super::event_json::internal_error;
use super::{FunctionIntegration, LocalFunction, LocalFunctionConfig};
use crate::event::{error_frame, EventType, Integration, IntegrationResponse, RouteEvent};
use crate::GatewayError;
use bytes::Bytes;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Arc, Mutex};

/// The functions and which route runs on which.
#[derive(Debug, Clone, Default)]
pub struct FunctionsConfig {
    /// Every function, by its [`LocalFunctionConfig::function_name`].
    pub functions: Vec<LocalFunctionConfig>,
    /// Route key (`$connect`, `$disconnect`, `$default` or a custom one) → function name.
    pub routes: BTreeMap<String, String>,
    /// The function of every route `routes` does not name; `None`: the one `$default` goes
    /// to, or the only function.
    pub default_function: Option<String>,
    /// The Lambda REQUEST authorizer of `$connect`, if any.
    pub authorizer: Option<AuthorizerConfig>,
    /// Two-way routes (a `$default` route response): their function's returned `body` is sent
    /// back to the client on the same socket. Other routes send nothing back.
    pub route_responses: BTreeSet<String>,
    /// Only the routes `routes` names have an integration, as in an API without a `$default`
    /// route: a connect without a `$connect` route opens with no function run, a
    /// `$disconnect` without one runs nothing, and a message without a route gets API
    /// Gateway's `{"message": "Forbidden", ...}` frame. False: `default_function` takes them.
    pub routes_only: bool,
}

impl FunctionsConfig {
    /// One function for every route.
    pub fn single(function: LocalFunctionConfig) -> Self {
        Self {
            default_function: Some(function.function_name.clone()),
            functions: vec![function],
            ..Self::default()
        }
    }

    /// The name of the function of the routes `routes` does not name.
    fn default_name(&self) -> Result<String, String> {
        if let Some(name) = &self.default_function {
            return Ok(name.clone());
        }
        if let Some(name) = self.routes.get("$default") {
            return Ok(name.clone());
        }
        match self.functions.as_slice() {
            [only] => Ok(only.function_name.clone()),
            [] => Err("no function: give at least one".to_owned()),
            _ => Err(format!(
                "no function for the $default route and the routes not named (routes: {}): \
                 send $default to one of the functions ({})",
                self.routes
                    .iter()
                    .map(|(r, f)| format!("{r}={f}"))
                    .collect::<Vec<_>>()
                    .join(", "),
                self.names().join(", ")
            )),
        }
    }

    fn names(&self) -> Vec<String> {
        self.functions
            .iter()
            .map(|f| f.function_name.clone())
            .collect()
    }

    /// Checks every function and every route's target, before anything starts.
    pub fn validate(&self) -> Result<(), String> {
        let mut seen = std::collections::BTreeSet::new();
        for f in &self.functions {
            f.validate()?;
            if !seen.insert(f.function_name.as_str()) {
                return Err(format!("function '{}' is defined twice", f.function_name));
            }
        }
        let default = if self.routes_only {
            None
        } else {
            Some(self.default_name()?)
        };
        let targets = self
            .routes
            .iter()
            .map(|(route, name)| (format!("route '{route}'"), name))
            .chain(default.iter().map(|d| ("the default route".to_owned(), d)));
        let authorizer = self
            .authorizer
            .as_ref()
            .map(|a| ("the $connect authorizer".to_owned(), &a.function));
        for (what, name) in targets.chain(authorizer) {
            if !seen.contains(name.as_str()) {
                return Err(format!(
                    "{what} goes to function '{name}', which is not defined (functions: {})",
                    self.names().join(", ")
                ));
            }
        }
        if let Some(a) = &self.authorizer {
            a.sources()?;
            if self.routes_only && !self.routes.contains_key("$connect") {
                return Err(format!(
                    "the $connect authorizer '{}' needs a $connect route: route $connect to \
                     a function",
                    a.function
                ));
            }
        }
        if self.routes_only && self.routes.is_empty() {
            return Err("no route goes to a function: route at least one".to_owned());
        }
        if let Some(route) = self
            .route_responses
            .iter()
            .find(|r| *r == "$connect" || *r == "$disconnect")
        {
            return Err(format!(
                "route '{route}' cannot have a route response: only message routes \
                 ($default and custom routes) answer the client"
            ));
        }
        Ok(())
    }
}

/// The started functions; each route runs on its own ([`FunctionsConfig::routes`]).
#[derive(Debug)]
pub struct Functions {
    functions: Vec<FunctionIntegration>,
    routes: BTreeMap<String, usize>,
    /// `None`: the routes `routes` does not name have no integration.
    default: Option<usize>,
    authorizer: Option<Authorizer>,
    route_responses: BTreeSet<String>,
    /// `requestContext.authorizer` of each open connection the authorizer allowed, as JSON
    /// (at most 8 KB each): added on `$connect`, removed on its `$disconnect` or refusal.
    authorized: Mutex<HashMap<String, Arc<str>>>,
}

impl Functions {
    /// Checks the whole configuration, then starts each function (see
    /// [`LocalFunction::start`]); if one fails to start, those started are stopped.
    pub async fn start(config: FunctionsConfig) -> Result<Arc<Self>, GatewayError> {
        config.validate().map_err(GatewayError::Lambda)?;
        let default = if config.routes_only {
            None
        } else {
            Some(config.default_name().map_err(GatewayError::Lambda)?)
        };
        let names = config.names();
        let index = |name: &str| names.iter().position(|n| n == name).unwrap_or(0);
        let routes = config
            .routes
            .iter()
            .map(|(route, name)| (route.clone(), index(name)))
            .collect();
        let default = default.map(|d| index(&d));
        let authorizer = match &config.authorizer {
            Some(a) => Some((
                index(&a.function),
                a.sources().map_err(GatewayError::Lambda)?,
            )),
            None => None,
        };
        let route_responses = config.route_responses.clone();
        let mut functions = Vec::with_capacity(config.functions.len());
        for f in config.functions {
            match FunctionIntegration::start(f).await {
                Ok(started) => functions.push(started),
                Err(e) => {
                    for started in &functions {
                        started.function().shutdown().await;
                    }
                    return Err(e);
                }
            }
        }
        let authorizer = authorizer.map(|(at, sources)| Authorizer {
            function: functions[at].clone(),
            sources,
        });
        Ok(Arc::new(Self {
            functions,
            routes,
            default,
            authorizer,
            route_responses,
            authorized: Mutex::new(HashMap::new()),
        }))
    }

    /// The function of the routes no route mapping names (the first function when they
    /// have none: [`FunctionsConfig::routes_only`]).
    pub fn default_function(&self) -> &Arc<LocalFunction> {
        self.functions[self.default.unwrap_or(0)].function()
    }

    /// Every function, in the configuration's order.
    pub fn all(&self) -> impl Iterator<Item = &Arc<LocalFunction>> {
        self.functions.iter().map(FunctionIntegration::function)
    }

    /// The function named `name`.
    pub fn get(&self, name: &str) -> Option<&Arc<LocalFunction>> {
        self.all().find(|f| f.function_name() == name)
    }

    /// The integration `route_key` runs on; `None` when the route has no integration
    /// ([`FunctionsConfig::routes_only`]).
    fn for_route(&self, route_key: &str) -> Option<&FunctionIntegration> {
        let at = self.routes.get(route_key).copied().or(self.default)?;
        self.functions.get(at)
    }

    /// Stops every function ([`LocalFunction::shutdown`]).
    pub async fn shutdown(&self) {
        for f in self.all() {
            f.shutdown().await;
        }
    }
}

impl Functions {
    /// How many open connections carry an authorizer's context (for tests and stats).
    pub fn authorized_connections(&self) -> usize {
        self.lock_authorized().len()
    }

    fn lock_authorized(&self) -> std::sync::MutexGuard<'_, HashMap<String, Arc<str>>> {
        self.authorized.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The connection's `requestContext.authorizer`; `forget` removes it (its last event).
    fn authorizer_of(&self, connection_id: &str, forget: bool) -> Option<Value> {
        let kept = if forget {
            self.lock_authorized().remove(connection_id)
        } else {
            self.lock_authorized().get(connection_id).cloned()
        };
        kept.and_then(|json| serde_json::from_str(&json).ok())
    }

    /// `$connect`: the authorizer first, if any, then the route's function with its context.
    async fn connect(&self, event: RouteEvent) -> IntegrationResponse {
        let id = event.connection_id.clone();
        let mut context = None;
        if let Some(authorizer) = &self.authorizer {
            match authorizer.authorize(&event).await {
                Ok(allowed) => {
                    let allowed = Value::Object(allowed);
                    self.lock_authorized()
                        .insert(id.clone(), Arc::from(allowed.to_string()));
                    context = Some(allowed);
                }
                Err(refusal) => return refusal,
            }
        }
        let answer = match self.for_route(&event.route_key) {
            Some(function) => function
                .call(&event, context)
                .await
                .unwrap_or_else(|_| internal_error()),
            // No $connect route: API Gateway opens the socket.
            None => IntegrationResponse::ok(),
        };
        if !answer.is_success() {
            // No socket, so no `$disconnect` to forget it.
            self.lock_authorized().remove(&id);
        }
        answer
    }

    /// A message: the function's answer, and what the client gets back (a two-way route's
    /// `body`; API Gateway's error frame when the integration failed).
    async fn message(&self, event: RouteEvent) -> IntegrationResponse {
        let Some(function) = self.for_route(&event.route_key) else {
            let mut answer = IntegrationResponse::new(403, r#"{"message": "Forbidden"}"#);
            answer.reply = Some(error_frame("Forbidden", &event.connection_id, None));
            return answer;
        };
        let context = self.authorizer_of(&event.connection_id, false);
        match function.call(&event, context).await {
            Ok(mut answer) => {
                if self.route_responses.contains(&event.route_key) && !answer.body.is_empty() {
                    answer.reply = Some(Bytes::from(answer.body.clone()));
                }
                answer
            }
            Err(request_id) => {
                let mut answer = internal_error();
                let id = &event.connection_id;
                let frame = error_frame("Internal server error", id, Some(&request_id));
                answer.reply = Some(frame);
                answer
            }
        }
    }
}

#[async_trait::async_trait]
impl Integration for Functions {
    async fn handle(&self, event: RouteEvent) -> IntegrationResponse {
        match event.event_type {
            EventType::Connect => self.connect(event).await,
            EventType::Message => self.message(event).await,
            EventType::Disconnect => {
                let context = self.authorizer_of(&event.connection_id, true);
                match self.for_route(&event.route_key) {
                    Some(function) => function
                        .call(&event, context)
                        .await
                        .unwrap_or_else(|_| internal_error()),
                    None => IntegrationResponse::ok(),
                }
            }
        }
    }

    async fn shutdown(&self) {
        Self::shutdown(self).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn named(name: &str) -> LocalFunctionConfig {
        let mut f = LocalFunctionConfig::new("/bin/true");
        f.function_name = name.to_owned();
        f.concurrency = 0;
        f
    }

    #[test]
    fn a_route_to_an_unknown_function_is_refused() {
        let mut c = FunctionsConfig::single(named("app"));
        c.routes.insert("$connect".into(), "auth".into());
        let err = c.validate().unwrap_err();
        assert!(
            err.contains("'$connect'") && err.contains("'auth'") && err.contains("app"),
            "{err}"
        );
    }

    #[test]
    fn several_functions_need_a_default() {
        let mut c = FunctionsConfig {
            functions: vec![named("a"), named("b")],
            ..FunctionsConfig::default()
        };
        c.routes.insert("$connect".into(), "a".into());
        assert!(c.validate().unwrap_err().contains("$default"));
        c.routes.insert("$default".into(), "b".into());
        c.validate().expect("$default names the default");
        c.functions.push(named("a"));
        assert!(c.validate().unwrap_err().contains("twice"));
    }

    #[test]
    fn routes_only_needs_no_default_but_a_connect_route_for_its_authorizer() {
        let mut c = FunctionsConfig {
            functions: vec![named("a"), named("b")],
            routes_only: true,
            ..FunctionsConfig::default()
        };
        assert!(c.validate().unwrap_err().contains("no route"));
        c.routes.insert("send".into(), "a".into());
        c.validate().expect("no $default needed");
        c.authorizer = Some(AuthorizerConfig {
            function: "b".into(),
            identity_sources: vec!["route.request.querystring.token".into()],
        });
        assert!(c.validate().unwrap_err().contains("$connect route"));
        c.routes.insert("$connect".into(), "a".into());
        c.validate().expect("the authorizer has its route");
        c.authorizer = Some(AuthorizerConfig {
            function: "nobody".into(),
            identity_sources: Vec::new(),
        });
        assert!(c.validate().unwrap_err().contains("'nobody'"));
        c.authorizer = None;
        c.route_responses.insert("$disconnect".into());
        assert!(c.validate().unwrap_err().contains("route response"));
    }
}
