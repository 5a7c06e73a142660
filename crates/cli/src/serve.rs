//! `wsproxy serve`: the local API Gateway with the in-process core.

use anyhow::{bail, Context};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use wsproxy_aws::DynamoDbRegistry;
use wsproxy_backend_http::HttpBackend;
use wsproxy_core::{MemoryRegistry, Registry};
use wsproxy_gateway::function_integration::FunctionsHandle;
use wsproxy_gateway::{
    ConnectionLimits, Credentials, Gateway, GatewayConfig, GatewayError, Quotas,
};

/// Flags of `wsproxy serve`; each has the environment variable of the contract or its own.
#[derive(Debug, clap::Args)]
pub(crate) struct ServeArgs {
    /// Base URL of the HTTP backend.
    #[arg(long, env = "BACKEND_URL", required_unless_present_any = ["demo", "template", "terraform"])]
    backend_url: Option<String>,
    /// Also start the built-in demo backend and its browser page at `/` (ignores --backend-url).
    #[arg(long)]
    demo: bool,
    /// Address the gateway listens on (WebSocket and `@connections`).
    #[arg(long, default_value = "127.0.0.1:8080", env = "WSPROXY_LISTEN")]
    listen: SocketAddr,
    /// Stage name: clients connect to ws://HOST:PORT/{stage}. Default: the API's stage with
    /// --template/--terraform, else `dev`.
    #[arg(long, env = "WSPROXY_STAGE")]
    stage: Option<String>,
    /// One backend call's limit, in milliseconds.
    #[arg(long, default_value_t = 3000, env = "BACKEND_TIMEOUT_MS")]
    backend_timeout_ms: u64,
    /// Most bytes of one backend answer that are read; a longer one gives the sender an
    /// error frame (default: API Gateway's 128 KiB message quota).
    #[arg(long, default_value_t = wsproxy_backend_http::DEFAULT_MAX_ANSWER_BYTES, env = "BACKEND_MAX_ANSWER_BYTES")]
    backend_max_answer_bytes: usize,
    /// A custom route key (repeatable); messages whose selected value matches go there.
    #[arg(long = "route")]
    routes: Vec<String>,
    /// Route selection expression.
    #[arg(long, default_value = "$request.body.action")]
    route_selection_expression: String,
    /// Largest message a client may send, in bytes.
    #[arg(long, default_value_t = Quotas::default().max_message_bytes)]
    max_message_bytes: usize,
    /// Largest frame a client may send, in bytes.
    #[arg(long, default_value_t = Quotas::default().max_frame_bytes)]
    max_frame_bytes: usize,
    /// Seconds without a client frame before the socket is closed.
    #[arg(long, default_value_t = Quotas::default().idle_timeout.as_secs())]
    idle_timeout_secs: u64,
    /// Longest a connection may stay open, in seconds.
    #[arg(long, default_value_t = Quotas::default().max_duration.as_secs())]
    max_connection_secs: u64,
    /// Bytes the gateway may hold for one socket (messages and pongs it has not read yet,
    /// its messages waiting for their route); a client that fills it is closed with 1008.
    #[arg(long, default_value_t = Quotas::default().socket_budget_bytes)]
    socket_budget_bytes: usize,
    /// Access key id the `@connections` API requires (SigV4); without it, loopback only. The
    /// local functions' own keys (their `AWS_ACCESS_KEY_ID`) are accepted from loopback too.
    #[arg(long, env = "WSPROXY_ACCESS_KEY_ID", requires = "secret_access_key")]
    access_key_id: Option<String>,
    /// Secret key paired with --access-key-id. Set it through WSPROXY_SECRET_ACCESS_KEY: on
    /// the command line it shows in `ps` to every user of the machine.
    #[arg(long, env = "WSPROXY_SECRET_ACCESS_KEY", hide_env_values = true)]
    secret_access_key: Option<String>,
    /// Largest request line plus headers, in bytes; a larger request gets 431.
    #[arg(long, env = "WSPROXY_MAX_HEADER_BYTES", default_value_t = ConnectionLimits::default().max_header_bytes)]
    max_header_bytes: usize,
    /// Seconds a connection has to send its request line and headers before it is closed.
    #[arg(long, env = "WSPROXY_HEADER_READ_TIMEOUT_SECS", default_value_t = ConnectionLimits::default().header_read_timeout.as_secs())]
    header_read_timeout_secs: u64,
    /// Most TCP connections open at once (WebSockets included); beyond it new ones get 503.
    /// Default: derived from the open-files limit (half of it, less 64).
    #[arg(long, env = "WSPROXY_MAX_CONNECTIONS")]
    max_connections: Option<usize>,
    /// New WebSocket connections accepted per second; beyond the burst they get 429.
    /// 0 turns the rate limit off.
    #[arg(long, env = "WSPROXY_NEW_CONNECTIONS_PER_SECOND", default_value_t = ConnectionLimits::default().new_connections_per_second)]
    new_connections_per_second: u32,
    /// New WebSocket connections accepted at once before the per-second rate applies.
    #[arg(long, env = "WSPROXY_NEW_CONNECTION_BURST", default_value_t = ConnectionLimits::default().new_connection_burst)]
    new_connection_burst: u32,
    /// Address of the admin listener, which serves `GET /metrics` (Prometheus text); off
    /// unless set. Keep it off the clients' network (e.g. 127.0.0.1:9090).
    #[arg(long, env = "WSPROXY_ADMIN_LISTEN")]
    admin_listen: Option<SocketAddr>,
    /// Where the in-process core keeps connections.
    #[arg(long, value_enum, default_value_t = Store::Memory, conflicts_with_all = ["lambda", "functions", "template", "terraform"])]
    store: Store,
    /// DynamoDB table of connections (`--store dynamodb`, and the function's in `--lambda`).
    #[arg(
        long,
        env = "CONNECTIONS_TABLE",
        default_value = "websocket-connections"
    )]
    table: String,
    /// DynamoDB requests the registry sends at once (`--store dynamodb`); more wait for a
    /// turn, at most 30 s. Lower it for a table or stand-in that answers slowly.
    #[arg(long, env = "WSPROXY_DYNAMODB_IN_FLIGHT", default_value_t = wsproxy_aws::InFlight::DEFAULT_LIMIT, conflicts_with_all = ["lambda", "functions", "template", "terraform"])]
    dynamodb_in_flight: usize,
    /// Functions (Lambda mode): see `--lambda` and `--function`.
    #[command(flatten)]
    functions: crate::lambda::FunctionArgs,
    /// The API and functions of a template or Terraform folder: see `--template`.
    #[command(flatten)]
    api: crate::local_api::ApiArgs,
}

/// Connection registries of the in-process core.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum Store {
    /// In memory: nothing to set up, gone on restart.
    Memory,
    /// The DynamoDB table of `--table` (endpoint and credentials from the standard AWS variables).
    Dynamodb,
}

/// Runs the gateway until Ctrl-C or SIGTERM, then closes every socket gracefully.
pub(crate) async fn run(args: ServeArgs) -> anyhow::Result<()> {
    crate::limits::raise_fd_limit();
    let admin = match args.admin_listen {
        Some(addr) => {
            let handle = wsproxy_gateway::admin::install_prometheus()?;
            let listener = tokio::net::TcpListener::bind(addr).await.with_context(|| {
                format!("could not listen on {addr} for --admin-listen: is the port free?")
            })?;
            Some((listener, handle))
        }
        None => None,
    };
    let demo_listener = if args.demo {
        Some(
            tokio::net::TcpListener::bind("127.0.0.1:0")
                .await
                .context("could not open a port for the demo backend")?,
        )
    } else {
        None
    };
    let local_api = match args.api.any() {
        true => Some(args.api.load()?),
        false => None,
    };
    let backend_url = match (&demo_listener, &args.backend_url) {
        (Some(l), _) => format!("http://{}", l.local_addr()?),
        (None, Some(url)) => url.clone(),
        (None, None) if local_api.is_some() => String::new(),
        (None, None) => bail!("no backend: pass --backend-url URL (or set BACKEND_URL), or --demo"),
    };
    let mut config = gateway_config(&args);
    let admin_limits = config.limits.admin();
    if let Some(api) = &local_api {
        let api = api.definition();
        if args.stage.is_none() {
            if let Some(stage) = &api.stage {
                config.stage = stage.trim_matches('/').to_owned();
            }
        }
        config.route_selection_expression = api.route_selection_expression.clone();
        config.routes = api.custom_routes();
        println!(
            "API {} ({}) from {}: {} routes, functions {}",
            api.name,
            api.resource,
            api.source.display(),
            api.routes.len(),
            api.functions
                .iter()
                .map(|f| format!("{} ({})", f.name, f.runtime))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    let stage = config.stage.clone();
    let mut builder = Gateway::builder().config(config);
    let functions = FunctionsHandle::default();
    let concurrency = args.functions.lambda_concurrency;
    builder = match (local_api, args.functions.any()) {
        (Some(api), _) => {
            let reload = !args.functions.no_reload;
            builder.functions_into(&functions, move |endpoint: &str| {
                api.functions(endpoint, concurrency, reload)
            })
        }
        (None, true) => {
            let base = crate::lambda::Base {
                config: wsproxy_lambda::Config {
                    table: args.table.clone(),
                    backend_timeout: Duration::from_millis(args.backend_timeout_ms),
                    backend_max_answer_bytes: args.backend_max_answer_bytes,
                    ..wsproxy_lambda::Config::new(&backend_url)
                },
            };
            builder.functions_into(&functions, base.setup(&args.functions)?)
        }
        (None, false) => {
            let timeout = Duration::from_millis(args.backend_timeout_ms);
            let backend = HttpBackend::new(&backend_url, timeout)?
                .with_max_answer_bytes(args.backend_max_answer_bytes);
            builder.core(registry(&args).await?, Arc::new(backend))
        }
    };
    if args.demo {
        builder = builder.fallback(wsproxy_demo::page_router(&format!("/{stage}")));
    }
    if let Some(dir) = args
        .functions
        .tls_dir(args.functions.any() || args.api.any())?
    {
        builder = builder.tls_dir(dir);
    }
    let bound = builder.bind().await.map_err(|e| match e {
        // The library names no flag; the CLI says which one sets the address.
        GatewayError::AddrInUse { .. } => anyhow::anyhow!("{e}: pass --listen with another one"),
        GatewayError::Listen { .. } => anyhow::anyhow!("{e} given to --listen"),
        e => e.into(),
    })?;
    let addr = bound.local_addr();
    if let Some(functions) = functions.get() {
        for f in functions.all() {
            println!(
                "function {}: Runtime and Invoke APIs on {}",
                f.function_name(),
                f.runtime_api_addr()
            );
        }
    }
    if let Some(listener) = demo_listener {
        let demo = wsproxy_demo::DemoConfig {
            gateway_url: Some(format!("http://{addr}/{stage}")),
            ..Default::default()
        };
        tokio::spawn(async move {
            if let Err(e) = wsproxy_demo::serve_backend(listener, demo).await {
                tracing::error!(error = %e, "the demo backend stopped");
            }
        });
        println!("demo page: http://{addr}/  (open it twice, as alice and as bob)");
    }
    println!("wsproxy listening on ws://{addr}/{stage}");
    println!("@connections API: http://{addr}/{stage}/@connections/{{connection_id}}");
    if let (Some(https), Some(tls)) = (bound.https_endpoint(), bound.tls()) {
        let ca = tls.ca_file();
        println!(
            "@connections API over TLS: {https}/@connections/{{connection_id}} (wss:// too; CA: {})",
            ca.display()
        );
    }
    if !backend_url.is_empty() {
        println!("backend: {backend_url}");
    }
    if let Some((listener, handle)) = admin {
        println!("metrics: http://{}/metrics", listener.local_addr()?);
        tokio::spawn(async move {
            if let Err(e) = wsproxy_gateway::admin::serve(listener, handle, &admin_limits).await {
                tracing::error!(error = %e, "the admin listener stopped");
            }
        });
    }
    bound.serve(shutdown_signal()).await?;
    Ok(())
}

/// The registry of `--store`; a DynamoDB table must exist (its index is checked too).
async fn registry(args: &ServeArgs) -> anyhow::Result<Arc<dyn Registry>> {
    match args.store {
        Store::Memory => Ok(Arc::new(MemoryRegistry::new())),
        Store::Dynamodb => {
            let client = wsproxy_aws::dynamodb_client(&wsproxy_aws::sdk_config(None).await);
            let report = wsproxy_aws::check_table(&client, &args.table).await?;
            if !report.exists {
                bail!(
                    "the connection table '{}' does not exist: create it with `wsproxy table create --table {}`",
                    args.table,
                    args.table
                );
            }
            for problem in report.problems() {
                tracing::warn!(table = %args.table, "{problem}");
            }
            let in_flight = wsproxy_aws::InFlight::new(
                args.dynamodb_in_flight,
                wsproxy_aws::InFlight::DEFAULT_WAIT,
            );
            Ok(Arc::new(
                DynamoDbRegistry::new(client, args.table.clone()).with_in_flight(in_flight),
            ))
        }
    }
}

fn gateway_config(args: &ServeArgs) -> GatewayConfig {
    let credentials = match (&args.access_key_id, &args.secret_access_key) {
        (Some(id), Some(secret)) => Some(Credentials {
            access_key_id: id.clone(),
            secret_access_key: secret.clone(),
        }),
        _ => None,
    };
    GatewayConfig {
        listen: args.listen,
        stage: args
            .stage
            .as_deref()
            .unwrap_or("dev")
            .trim_matches('/')
            .to_owned(),
        route_selection_expression: args.route_selection_expression.clone(),
        routes: args.routes.clone(),
        quotas: Quotas {
            max_message_bytes: args.max_message_bytes,
            max_frame_bytes: args.max_frame_bytes,
            idle_timeout: Duration::from_secs(args.idle_timeout_secs),
            max_duration: Duration::from_secs(args.max_connection_secs),
            socket_budget_bytes: args.socket_budget_bytes,
        },
        credentials,
        limits: ConnectionLimits {
            max_header_bytes: args.max_header_bytes,
            header_read_timeout: Duration::from_secs(args.header_read_timeout_secs),
            max_connections: args.max_connections,
            new_connections_per_second: args.new_connections_per_second,
            new_connection_burst: args.new_connection_burst,
        },
        ..GatewayConfig::default()
    }
}

/// Resolves on Ctrl-C, SIGTERM or SIGHUP (the terminal closed): each stops the gateway
/// gracefully, functions included.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        use tokio::signal::unix::{signal, SignalKind};
        match (
            signal(SignalKind::terminate()),
            signal(SignalKind::hangup()),
        ) {
            (Ok(mut term), Ok(mut hup)) => {
                tokio::select! {
                    _ = term.recv() => {},
                    _ = hup.recv() => {},
                }
            }
            _ => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    tracing::info!("shutting down: closing every socket");
}
