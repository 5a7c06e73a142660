//! Functions wired into a gateway by its builder: [`crate::GatewayBuilder::lambda`],
//! [`crate::GatewayBuilder::functions`] and [`crate::GatewayBuilder::functions_into`] start
//! them once the port is bound (their environment then knows the gateway's address), and a
//! [`FunctionsHandle`] reads them afterwards.

use super::{Functions, FunctionsConfig, LocalFunction, LocalFunctionConfig};
use crate::builder::{Endpoints, Started};
use crate::event::Integration;
use crate::Credentials;
use crate::GatewayBuilder;
use std::sync::{Arc, OnceLock};

/// Where the functions a builder starts can be read once [`GatewayBuilder::bind`] started
/// them (their statistics, their Runtime API addresses); cheap to clone.
#[derive(Debug, Clone, Default)]
pub struct FunctionsHandle(Arc<OnceLock<Arc<Functions>>>);

impl FunctionsHandle {
    /// The started functions; `None` before the gateway is bound (or when binding failed
    /// before they started).
    pub fn get(&self) -> Option<&Arc<Functions>> {
        self.0.get()
    }

    /// The function of the routes not mapped to another ([`Functions::default_function`]),
    /// once started.
    pub fn default_function(&self) -> Option<&Arc<LocalFunction>> {
        self.get().map(|f| f.default_function())
    }
}

impl GatewayBuilder {
    /// Runs the routes on a local function ([`super::FunctionIntegration`]), whose
    /// configuration `setup` makes from the gateway's `@connections` base URL
    /// (`http://127.0.0.1:PORT/{stage}`, known once the port is bound), e.g. for its
    /// `API_GATEWAY_ENDPOINT`. The function starts in [`GatewayBuilder::bind`] and stops when
    /// [`crate::BoundGateway::serve`] ends.
    pub fn lambda(self, setup: impl FnOnce(&str) -> LocalFunctionConfig + Send + 'static) -> Self {
        self.functions(move |endpoint| FunctionsConfig::single(setup(endpoint)))
    }

    /// Runs the routes on several functions ([`Functions`]), each route on the one
    /// [`FunctionsConfig::routes`] names, as [`GatewayBuilder::lambda`] does for one. Every
    /// function is checked before any starts.
    pub fn functions(self, setup: impl FnOnce(&str) -> FunctionsConfig + Send + 'static) -> Self {
        self.functions_into(&FunctionsHandle::default(), setup)
    }

    /// [`GatewayBuilder::functions`], handing the started functions to `handle`.
    pub fn functions_into(
        self,
        handle: &FunctionsHandle,
        setup: impl FnOnce(&str) -> FunctionsConfig + Send + 'static,
    ) -> Self {
        let handle = handle.clone();
        self.start_later(Box::new(move |endpoints: Endpoints| {
            Box::pin(async move {
                let mut config = setup(&endpoints.http);
                if let Some(https) = &endpoints.https {
                    trust(&mut config, endpoints.trust_env, https);
                }
                let function_keys = given_keys(&config);
                let functions = Functions::start(config).await?;
                let _ = handle.0.set(functions.clone());
                Ok(Started {
                    integration: functions as Arc<dyn Integration>,
                    function_keys,
                })
            })
        }))
    }
}

/// The AWS keys each function's environment gives it (the last value of a variable wins, as
/// in its process), each pair once.
fn given_keys(functions: &FunctionsConfig) -> Vec<Credentials> {
    let mut keys: Vec<Credentials> = Vec::new();
    for f in &functions.functions {
        let var = |name: &str| {
            f.env
                .iter()
                .rev()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
                .filter(|v| !v.is_empty())
        };
        if let (Some(access_key_id), Some(secret_access_key)) =
            (var("AWS_ACCESS_KEY_ID"), var("AWS_SECRET_ACCESS_KEY"))
        {
            let key = Credentials {
                access_key_id,
                secret_access_key,
            };
            if !keys.contains(&key) {
                keys.push(key);
            }
        }
    }
    keys
}

/// Adds to every function's environment `trust_env` (the variables that make it trust the
/// local CA) and the SDKs' `@connections` endpoint variable, `https`; a variable the
/// function sets wins.
fn trust(functions: &mut FunctionsConfig, mut vars: Vec<(String, String)>, https: &str) {
    vars.push((
        "AWS_ENDPOINT_URL_APIGATEWAYMANAGEMENTAPI".to_owned(),
        https.to_owned(),
    ));
    for f in &mut functions.functions {
        let own: Vec<(String, String)> = vars
            .iter()
            .filter(|(k, _)| !f.env.iter().any(|(set, _)| set == k))
            .cloned()
            .collect();
        f.env.splice(0..0, own);
    }
}
