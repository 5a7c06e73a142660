//! [`LambdaIntegration`]: the gateway's routes run on the function's processes.

use super::event_json::{internal_error, parse_answer, proxy_event};
use super::processes::Processes;
use super::queue::{Dispatcher, Outcome};
use super::reload::Watch;
use super::{runtime_api, LambdaConfig, LambdaStats, Shared};
use crate::event::{Integration, IntegrationResponse, RouteEvent};
use crate::GatewayError;
use bytes::Bytes;
use serde_json::Value;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::task::JoinHandle;
use tracing::{info, warn};

/// Runs every route on a real Lambda `bootstrap`, started as [`LambdaConfig::concurrency`]
/// child processes that poll a local Runtime API; see [the module](super) for the wiring.
pub struct LambdaIntegration {
    shared: Arc<Shared>,
    runtime_addr: SocketAddr,
    servers: Mutex<Vec<JoinHandle<()>>>,
    supervisors: tokio::sync::Mutex<Vec<JoinHandle<()>>>,
    stopped: AtomicBool,
    /// The function's files, watched for changes when it reloads ([`LambdaConfig::prepare`]).
    watch: Option<Watch>,
}

impl std::fmt::Debug for LambdaIntegration {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LambdaIntegration")
            .field("function", &self.shared.arn)
            .field("runtime_api", &self.runtime_addr)
            .finish_non_exhaustive()
    }
}

impl LambdaIntegration {
    /// Serves the Runtime and Invoke APIs on loopback ports and starts the processes (without
    /// waiting for them: see [`Self::ready`]). Fails when the configuration is unusable (e.g.
    /// no such `bootstrap`) or no port can be bound.
    pub async fn start(mut config: LambdaConfig) -> Result<Arc<Self>, GatewayError> {
        config.validate().map_err(GatewayError::Lambda)?;
        let watched = match config.concurrency {
            0 => None,
            _ => Some(config.prepare().map_err(GatewayError::Lambda)?),
        };
        let slots = config.concurrency;
        let (kill_tx, kill_rx) = Processes::channels(slots);
        let kill = kill_tx.clone();
        let dispatcher = Dispatcher::new(slots, config.timeout, move |slot, generation| {
            if let Some(k) = kill.get(slot) {
                let _ = k.send(generation);
            }
        });
        let processes = Processes::new(config.clone(), dispatcher.clone(), kill_tx);
        let shared = Arc::new(Shared {
            arn: config.function_arn(),
            config,
            dispatcher,
            processes,
        });
        let bind_error = |e: std::io::Error| {
            GatewayError::Lambda(format!(
                "could not listen on 127.0.0.1 for the Runtime API: {e}"
            ))
        };
        let main = runtime_api::bind().await.map_err(bind_error)?;
        let runtime_addr = main.local_addr().map_err(bind_error)?;
        let mut servers = vec![runtime_api::serve(
            main,
            runtime_api::router(shared.clone(), None),
        )];
        let mut slot_addrs = Vec::with_capacity(slots);
        for slot in 0..slots {
            let listener = match runtime_api::bind().await {
                Ok(l) => l,
                Err(e) => {
                    servers.iter().for_each(JoinHandle::abort);
                    return Err(bind_error(e));
                }
            };
            slot_addrs.push(listener.local_addr().map_err(bind_error)?);
            servers.push(runtime_api::serve(
                listener,
                runtime_api::router(shared.clone(), Some(slot)),
            ));
        }
        info!(
            function = %shared.arn,
            processes = slots,
            "Lambda Runtime and Invoke APIs on http://{runtime_addr}"
        );
        let watch = watched.filter(|_| shared.config.reload).map(Watch::new);
        let supervisors = shared.processes.start(slot_addrs, runtime_addr, kill_rx);
        Ok(Arc::new(Self {
            watch,
            shared,
            runtime_addr,
            servers: Mutex::new(servers),
            supervisors: tokio::sync::Mutex::new(supervisors),
            stopped: AtomicBool::new(false),
        }))
    }

    /// The shared Runtime and Invoke API listener (`AWS_ENDPOINT_URL_LAMBDA` of the function).
    /// A runtime started by hand with `AWS_LAMBDA_RUNTIME_API` set to it takes invocations too
    /// (with `concurrency: 0`, only it does). Each started process gets a port of its own.
    pub fn runtime_api_addr(&self) -> SocketAddr {
        self.runtime_addr
    }

    /// `AWS_LAMBDA_FUNCTION_NAME` of the function.
    pub fn function_name(&self) -> &str {
        &self.shared.config.function_name
    }

    /// `arn:aws:lambda:{region}:000000000000:function:{name}`.
    pub fn function_arn(&self) -> &str {
        &self.shared.arn
    }

    /// Invocation counts and, per process, init time and peak memory.
    pub fn stats(&self) -> LambdaStats {
        let c = &self.shared.dispatcher.counters;
        let n = |a: &std::sync::atomic::AtomicU64| a.load(Ordering::Relaxed);
        LambdaStats {
            invocations: n(&c.invocations),
            responses: n(&c.responses),
            function_errors: n(&c.function_errors),
            crashes: n(&c.crashes),
            timeouts: n(&c.timeouts),
            processes: self.shared.processes.stats(),
            durations: self.shared.dispatcher.durations(),
        }
    }

    /// Waits until every process slot has a process that asked for an invocation; false when
    /// that did not happen `within` (e.g. the binary keeps crashing at init).
    pub async fn ready(&self, within: Duration) -> bool {
        let slots = self.shared.config.concurrency;
        let all_ready = || {
            let stats = self.shared.processes.stats();
            (0..slots).all(|slot| {
                stats
                    .iter()
                    .any(|p| p.slot == slot && p.running && p.init.is_some())
            })
        };
        tokio::time::timeout(within, async {
            while !all_ready() {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        })
        .await
        .is_ok()
    }

    /// Stops taking events (they answer 502), kills the processes and closes the APIs.
    /// Call it after [`crate::BoundGateway::serve`] returned, so that the `$disconnect` of
    /// every socket closed by the gateway's shutdown still reached the function.
    pub async fn shutdown(&self) {
        if self.stopped.swap(true, Ordering::SeqCst) {
            return;
        }
        self.shared.processes.stop();
        self.shared.dispatcher.close("the function is stopping");
        let supervisors: Vec<JoinHandle<()>> = self.supervisors.lock().await.drain(..).collect();
        for s in supervisors {
            if tokio::time::timeout(Duration::from_secs(10), s)
                .await
                .is_err()
            {
                warn!("a function process did not stop within 10 s");
            }
        }
        self.shared
            .dispatcher
            .abandon_running("the function stopped");
        for server in self.lock_servers().drain(..) {
            server.abort();
        }
        let stats = self.stats();
        info!(
            invocations = stats.invocations,
            crashes = stats.crashes,
            timeouts = stats.timeouts,
            "the function stopped"
        );
    }

    fn lock_servers(&self) -> std::sync::MutexGuard<'_, Vec<JoinHandle<()>>> {
        self.servers.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Runs `payload` on the function and waits for its outcome, at most twice its timeout.
    async fn run(&self, payload: Bytes) -> Outcome {
        if let Some(watch) = &self.watch {
            if watch.changed().await {
                let replaced = self.shared.dispatcher.retire();
                info!(
                    function = %self.shared.config.function_name,
                    processes = replaced,
                    "function reloaded: its files changed; the next events run on fresh processes"
                );
            }
        }
        let (_, rx) = self.shared.dispatcher.submit(payload, true);
        let Some(rx) = rx else {
            return Outcome::Unavailable("no reply".to_owned());
        };
        let limit = self.shared.config.timeout * 2 + Duration::from_secs(5);
        match tokio::time::timeout(limit, rx).await {
            Ok(Ok(outcome)) => outcome,
            Ok(Err(_)) => Outcome::Unavailable("the invocation was dropped".to_owned()),
            Err(_) => Outcome::Unavailable(format!("no outcome within {limit:?}")),
        }
    }
}

impl Drop for LambdaIntegration {
    fn drop(&mut self) {
        self.shared.processes.stop();
        self.shared.dispatcher.close("the function is stopping");
        for server in self.lock_servers().drain(..) {
            server.abort();
        }
    }
}

impl LambdaIntegration {
    /// Runs `payload` and gives the function's answer, or `None` when it failed (an error, a
    /// crash, a timeout, no process), logged with `what`. `quiet` leaves the function's error
    /// message out of the log (an authorizer's may quote the token it refused).
    pub(crate) async fn answer(&self, payload: Value, what: &str, quiet: bool) -> Option<Bytes> {
        match self.run(Bytes::from(payload.to_string())).await {
            Outcome::Response(body) => Some(body),
            Outcome::FunctionError { error_type, body } => {
                if quiet {
                    warn!(what, error_type, "the function failed");
                } else {
                    let text = String::from_utf8_lossy(&body);
                    warn!(what, error_type, "the function failed: {text}");
                }
                None
            }
            Outcome::Crashed(reason) => {
                warn!(what, "the function process crashed ({reason})");
                None
            }
            Outcome::TimedOut(after) => {
                warn!(what, "the function timed out after {after:?}");
                None
            }
            Outcome::Unavailable(why) => {
                warn!(what, "the function did not run: {why}");
                None
            }
        }
    }

    /// Runs `event` (with `requestContext.authorizer` when given) and gives the function's
    /// Lambda proxy answer; when the integration failed, malformed answers included, the
    /// event's `requestContext.requestId`.
    pub(crate) async fn call(
        &self,
        event: &RouteEvent,
        authorizer: Option<Value>,
    ) -> Result<IntegrationResponse, String> {
        let payload = proxy_event(event, &self.shared.config.api_id, authorizer);
        let request_id = payload["requestContext"]["requestId"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        let route = event.route_key.as_str();
        let Some(body) = self.answer(payload, route, false).await else {
            return Err(request_id);
        };
        parse_answer(&body).map_err(|why| {
            warn!(
                route,
                "{why} (a Lambda proxy answer is {{\"statusCode\": N, \"body\": \"...\"}})"
            );
            request_id
        })
    }

    /// The function's configuration.
    pub(crate) fn config(&self) -> &LambdaConfig {
        &self.shared.config
    }
}

#[async_trait::async_trait]
impl Integration for LambdaIntegration {
    async fn handle(&self, event: RouteEvent) -> IntegrationResponse {
        match self.call(&event, None).await {
            Ok(answer) => answer,
            Err(_) => {
                warn!(route = %event.route_key, "answering 502");
                internal_error()
            }
        }
    }
}
