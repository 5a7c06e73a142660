//! [`LocalFunction`]: one function served locally, its Runtime and Invoke APIs on loopback
//! ports and its processes polling them.

use crate::config::LocalFunctionConfig;
use crate::invocation::Outcome;
use crate::processes::Processes;
use crate::reload::{OwnFiles, Watch};
use crate::runtime_api;
use crate::slots::Slots;
use crate::stats::FunctionStats;
use bytes::Bytes;
use serde_json::Value;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::task::JoinHandle;
use tracing::{info, warn};

/// Why a function could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The configuration is unusable (e.g. no such program); the message says what to fix.
    #[error("{0}")]
    Config(String),
    /// No loopback port could be bound for its APIs.
    #[error("could not listen on 127.0.0.1 for the Runtime API: {0}")]
    Listen(#[source] std::io::Error),
}

/// What the Runtime and Invoke APIs, the processes and [`LocalFunction`] share.
pub(crate) struct Service {
    pub config: LocalFunctionConfig,
    pub arn: String,
    pub slots: Arc<Slots>,
    pub processes: Arc<Processes>,
}

/// A function served as Lambda serves it: [`LocalFunctionConfig::concurrency`] processes
/// of its program poll a local Runtime API for invocations, which come from
/// [`LocalFunction::invoke`] or from the Invoke API beside it.
pub struct LocalFunction {
    service: Arc<Service>,
    runtime_addr: SocketAddr,
    servers: Mutex<Vec<JoinHandle<()>>>,
    supervisors: tokio::sync::Mutex<Vec<JoinHandle<()>>>,
    stopped: AtomicBool,
    /// The function's files, watched for changes when it reloads ([`LocalFunctionConfig::prepare`]).
    watch: Option<Watch>,
    /// The files the function writes in its code folder itself.
    own_files: OwnFiles,
}

impl std::fmt::Debug for LocalFunction {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LocalFunction")
            .field("function", &self.service.arn)
            .field("runtime_api", &self.runtime_addr)
            .finish_non_exhaustive()
    }
}

impl LocalFunction {
    /// Serves the Runtime and Invoke APIs on loopback ports and starts the processes (without
    /// waiting for them: see [`Self::ready`]). Fails when the configuration is unusable (e.g.
    /// no such `bootstrap`) or no port can be bound.
    pub async fn start(mut config: LocalFunctionConfig) -> Result<Arc<Self>, StartError> {
        config.validate().map_err(StartError::Config)?;
        let watched = match config.concurrency {
            0 => None,
            _ => Some(config.prepare().map_err(StartError::Config)?),
        };
        let count = config.concurrency;
        let (kill_tx, kill_rx) = Processes::channels(count);
        let kill = kill_tx.clone();
        let slots = Slots::new(count, config.timeout, move |slot, generation| {
            if let Some(k) = kill.get(slot) {
                let _ = k.send(generation);
            }
        });
        let processes = Processes::new(config.clone(), slots.clone(), kill_tx);
        let service = Arc::new(Service {
            arn: config.function_arn(),
            config,
            slots,
            processes,
        });
        let bind_error = StartError::Listen;
        let main = runtime_api::bind().await.map_err(bind_error)?;
        let runtime_addr = main.local_addr().map_err(bind_error)?;
        let mut servers = vec![runtime_api::serve(
            main,
            runtime_api::router(service.clone(), None),
        )];
        let mut slot_addrs = Vec::with_capacity(count);
        for slot in 0..count {
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
                runtime_api::router(service.clone(), Some(slot)),
            ));
        }
        info!(
            function = %service.arn,
            processes = count,
            "Lambda Runtime and Invoke APIs on http://{runtime_addr}"
        );
        let watch = watched.filter(|_| service.config.reload).map(Watch::new);
        let supervisors = service.processes.start(slot_addrs, runtime_addr, kill_rx);
        Ok(Arc::new(Self {
            watch,
            own_files: OwnFiles::default(),
            service,
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
        &self.service.config.function_name
    }

    /// `arn:aws:lambda:{region}:000000000000:function:{name}`.
    pub fn function_arn(&self) -> &str {
        &self.service.arn
    }

    /// Invocation counts and, per process, init time and peak memory.
    pub fn stats(&self) -> FunctionStats {
        let c = &self.service.slots.counters;
        let n = |a: &std::sync::atomic::AtomicU64| a.load(Ordering::Relaxed);
        FunctionStats {
            invocations: n(&c.invocations),
            responses: n(&c.responses),
            function_errors: n(&c.function_errors),
            crashes: n(&c.crashes),
            timeouts: n(&c.timeouts),
            processes: self.service.processes.stats(),
            durations: self.service.slots.durations.all(),
        }
    }

    /// Waits until every process slot has a process that asked for an invocation; false when
    /// that did not happen `within` (e.g. the binary keeps crashing at init).
    pub async fn ready(&self, within: Duration) -> bool {
        let slots = self.service.config.concurrency;
        let all_ready = || {
            let stats = self.service.processes.stats();
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

    /// Stops taking invocations (they end [`Outcome::Unavailable`]), kills the processes and
    /// closes the APIs. Call it once its callers are done: what they invoke afterwards does
    /// not run.
    pub async fn shutdown(&self) {
        if self.stopped.swap(true, Ordering::SeqCst) {
            return;
        }
        self.service.processes.stop();
        self.service.slots.close("the function is stopping");
        let supervisors: Vec<JoinHandle<()>> = self.supervisors.lock().await.drain(..).collect();
        for s in supervisors {
            if tokio::time::timeout(Duration::from_secs(10), s)
                .await
                .is_err()
            {
                warn!("a function process did not stop within 10 s");
            }
        }
        self.service.slots.abandon_running("the function stopped");
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

    /// Invokes the function synchronously (`RequestResponse`) with the JSON `payload` and
    /// waits for its outcome, at most twice its timeout. When its files changed since the
    /// last invocation ([`LocalFunctionConfig::reload`]), fresh processes run it.
    pub async fn invoke(&self, payload: &Value) -> Outcome {
        self.reload_if_changed().await;
        let (_, rx) = self
            .service
            .slots
            .submit(Bytes::from(payload.to_string()), true);
        let Some(rx) = rx else {
            return Outcome::Unavailable("no reply".to_owned());
        };
        let limit = self.service.config.timeout * 2 + Duration::from_secs(5);
        match tokio::time::timeout(limit, rx).await {
            Ok(Ok(outcome)) => outcome,
            Ok(Err(_)) => Outcome::Unavailable("the invocation was dropped".to_owned()),
            Err(_) => Outcome::Unavailable(format!("no outcome within {limit:?}")),
        }
    }

    /// Invokes the function asynchronously (`Event`) with the JSON `payload`: queued, not
    /// waited for (a failure is logged). Returns the invocation's request id.
    pub async fn invoke_event(&self, payload: &Value) -> String {
        self.reload_if_changed().await;
        let (request_id, _) = self
            .service
            .slots
            .submit(Bytes::from(payload.to_string()), false);
        request_id
    }

    /// Replaces the processes when the function's files changed since the last call. A
    /// file the function writes itself ([`OwnFiles`]) reloads nothing and is said once: on
    /// Lambda its code folder is read-only.
    async fn reload_if_changed(&self) {
        let Some(watch) = &self.watch else { return };
        let changes = watch.changes().await;
        if changes.is_empty() {
            return;
        }
        let slots = &self.service.slots;
        let (written, edits) = self.own_files.sort(changes, |at| slots.ran_at(at));
        let name = &self.service.config.function_name;
        for path in written {
            warn!(
                function = %name,
                "the function wrote {} in its code folder: it does not reload the function. On \
                 Lambda that folder is read-only: write to /tmp",
                path.display()
            );
        }
        if edits.is_empty() {
            return;
        }
        let replaced = slots.retire();
        info!(
            function = %name,
            processes = replaced,
            "function reloaded: its files changed; the next events run on fresh processes"
        );
    }

    /// The function's configuration (its program and directory resolved when it has
    /// processes).
    pub fn config(&self) -> &LocalFunctionConfig {
        &self.service.config
    }
}

impl Drop for LocalFunction {
    fn drop(&mut self) {
        self.service.processes.stop();
        self.service.slots.close("the function is stopping");
        for server in self.lock_servers().drain(..) {
            server.abort();
        }
    }
}
