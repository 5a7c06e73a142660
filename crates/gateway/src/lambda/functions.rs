//! Several functions behind one gateway, each route going to one of them, as API Gateway's
//! route integrations do: [`FunctionsConfig`] says which, [`Functions`] runs them.

use super::{LambdaConfig, LambdaIntegration};
use crate::event::{Integration, IntegrationResponse, RouteEvent};
use crate::GatewayError;
use std::collections::BTreeMap;
use std::sync::Arc;

/// The functions and which route runs on which.
#[derive(Debug, Clone, Default)]
pub struct FunctionsConfig {
    /// Every function, by its [`LambdaConfig::function_name`].
    pub functions: Vec<LambdaConfig>,
    /// Route key (`$connect`, `$disconnect`, `$default` or a custom one) → function name.
    pub routes: BTreeMap<String, String>,
    /// The function of every route `routes` does not name; `None`: the one `$default` goes
    /// to, or the only function.
    pub default_function: Option<String>,
}

impl FunctionsConfig {
    /// One function for every route.
    pub fn single(function: LambdaConfig) -> Self {
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
        let default = self.default_name()?;
        let targets = self
            .routes
            .iter()
            .map(|(route, name)| (format!("route '{route}'"), name))
            .chain(std::iter::once(("the default route".to_owned(), &default)));
        for (what, name) in targets {
            if !seen.contains(name.as_str()) {
                return Err(format!(
                    "{what} goes to function '{name}', which is not defined (functions: {})",
                    self.names().join(", ")
                ));
            }
        }
        Ok(())
    }
}

/// The started functions; each route runs on its own ([`FunctionsConfig::routes`]).
#[derive(Debug)]
pub struct Functions {
    functions: Vec<Arc<LambdaIntegration>>,
    routes: BTreeMap<String, usize>,
    default: usize,
}

impl Functions {
    /// Checks the whole configuration, then starts each function (see
    /// [`LambdaIntegration::start`]); if one fails to start, those started are stopped.
    pub async fn start(config: FunctionsConfig) -> Result<Arc<Self>, GatewayError> {
        config.validate().map_err(GatewayError::Lambda)?;
        let default = config.default_name().map_err(GatewayError::Lambda)?;
        let names = config.names();
        let index = |name: &str| names.iter().position(|n| n == name).unwrap_or(0);
        let routes = config
            .routes
            .iter()
            .map(|(route, name)| (route.clone(), index(name)))
            .collect();
        let default = index(&default);
        let mut functions = Vec::with_capacity(config.functions.len());
        for f in config.functions {
            match LambdaIntegration::start(f).await {
                Ok(started) => functions.push(started),
                Err(e) => {
                    for started in &functions {
                        started.shutdown().await;
                    }
                    return Err(e);
                }
            }
        }
        Ok(Arc::new(Self {
            functions,
            routes,
            default,
        }))
    }

    /// The function of the routes no route mapping names.
    pub fn default_function(&self) -> &Arc<LambdaIntegration> {
        &self.functions[self.default]
    }

    /// Every function, in the configuration's order.
    pub fn all(&self) -> &[Arc<LambdaIntegration>] {
        &self.functions
    }

    /// The function named `name`.
    pub fn get(&self, name: &str) -> Option<&Arc<LambdaIntegration>> {
        self.functions.iter().find(|f| f.function_name() == name)
    }

    /// The function `route_key` runs on.
    pub fn for_route(&self, route_key: &str) -> &Arc<LambdaIntegration> {
        let at = self.routes.get(route_key).copied().unwrap_or(self.default);
        &self.functions[at]
    }

    /// Stops every function ([`LambdaIntegration::shutdown`]).
    pub async fn shutdown(&self) {
        for f in &self.functions {
            f.shutdown().await;
        }
    }
}

#[async_trait::async_trait]
impl Integration for Functions {
    async fn handle(&self, event: RouteEvent) -> IntegrationResponse {
        let function = self.for_route(event.route_key.as_str()).clone();
        function.handle(event).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn named(name: &str) -> LambdaConfig {
        let mut f = LambdaConfig::new("/bin/true");
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
}
