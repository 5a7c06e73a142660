//! The Lambda Runtime API (`/2018-06-01/runtime/...`) the function's processes poll, served
//! with the Invoke API on loopback listeners: one per process slot (so that an invocation is
//! known to belong to the process that took it) and one shared.

use crate::function::Service;
use crate::invocation::{Next, Outcome};
use crate::invoke_api;
use axum::body::{Body, Bytes};
use axum::extract::{ConnectInfo, DefaultBodyLimit, Path, Request, State};
use axum::middleware;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use bytes::BytesMut;
use http::{HeaderMap, HeaderValue, StatusCode};
use http_body_util::BodyExt as _;
use serde_json::json;
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::net::TcpListener;

/// The largest response or error a function may post (AWS: 6 MB for synchronous invocations).
pub(crate) const MAX_PAYLOAD: usize = 6 * 1024 * 1024;

/// One listener's view: the slot whose process it serves (`None` for the shared listener).
#[derive(Clone)]
pub(crate) struct Api {
    pub service: Arc<Service>,
    pub slot: Option<usize>,
}

/// The Runtime and Invoke APIs for `slot`'s listener.
pub(crate) fn router(service: Arc<Service>, slot: Option<usize>) -> Router {
    Router::new()
        .route("/2018-06-01/runtime/invocation/next", get(next))
        .route(
            "/2018-06-01/runtime/invocation/{id}/response",
            post(response),
        )
        .route("/2018-06-01/runtime/invocation/{id}/error", post(error))
        .route("/2018-06-01/runtime/init/error", post(init_error))
        .merge(invoke_api::routes())
        .fallback(not_found)
        .layer(DefaultBodyLimit::max(MAX_PAYLOAD + 64 * 1024))
        .layer(middleware::from_fn(loopback_only))
        .with_state(Api { service, slot })
}

/// Serves `router` on `listener` until the task is aborted.
pub(crate) fn serve(listener: TcpListener, router: Router) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let app = router.into_make_service_with_connect_info::<SocketAddr>();
        if let Err(e) = axum::serve(listener, app).await {
            tracing::error!(error = %e, "the Lambda Runtime API stopped");
        }
    })
}

/// Binds a loopback port for the Runtime API.
pub(crate) async fn bind() -> std::io::Result<TcpListener> {
    TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0))).await
}

/// Only this machine may call: these APIs accept any signature. Any local process may
/// still poll and answer (docs/LOCAL_GATEWAY.md, "Who may call the local Lambda APIs"): the
/// machine's users are trusted.
async fn loopback_only(
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    req: Request,
    next: middleware::Next,
) -> Response {
    if peer.ip().to_canonical().is_loopback() {
        next.run(req).await
    } else {
        invoke_api::error(
            StatusCode::FORBIDDEN,
            "AccessDeniedException",
            "the local Lambda APIs answer loopback callers only",
        )
    }
}

/// `GET /runtime/invocation/next`: waits for an invocation.
async fn next(State(api): State<Api>) -> Response {
    let d = &api.service.slots;
    let generation = d.generation(api.slot);
    if let Some(slot) = api.slot {
        api.service.processes.polled(slot);
    }
    let inv = match d.next(api.slot, generation).await {
        Next::Invocation(inv) => inv,
        // A poll left by a dead process: nobody reads this, it only closes the connection.
        Next::Stale => {
            return error_json(
                StatusCode::GONE,
                "Runtime.Exited",
                "this runtime process has ended",
            )
        }
        // Like AWS, never answer a runtime that is about to be killed.
        Next::Closed => return std::future::pending().await,
    };
    if let Some(slot) = api.slot {
        api.service.processes.took_invocation(slot);
    }
    let mut r = Response::new(Body::from(inv.payload));
    let h = r.headers_mut();
    let mut set = |name: &'static str, value: &str| {
        if let Ok(v) = HeaderValue::from_str(value) {
            h.insert(name, v);
        }
    };
    set("content-type", "application/json");
    set("lambda-runtime-aws-request-id", &inv.request_id);
    set("lambda-runtime-deadline-ms", &inv.deadline_ms.to_string());
    set("lambda-runtime-invoked-function-arn", &api.service.arn);
    set("lambda-runtime-trace-id", &inv.trace_id);
    r
}

/// `POST /runtime/invocation/{id}/response`. A response over [`MAX_PAYLOAD`] is not read
/// further: the invocation ends at once as `Function.ResponseSizeTooLarge`, as on Lambda.
async fn response(State(api): State<Api>, Path(id): Path<String>, body: Body) -> Response {
    match read_payload(body).await {
        Ok(body) => finish(&api, &id, Outcome::Response(body)),
        Err(TooLarge::Over(size)) => too_large(&api, &id, size),
        Err(TooLarge::Broken(e)) => body_error(&e),
    }
}

/// Why a posted payload was not read whole.
enum TooLarge {
    /// It held more than [`MAX_PAYLOAD`] bytes: at least this many.
    Over(usize),
    /// The connection failed while sending it.
    Broken(String),
}

/// Reads a posted payload, stopping as soon as it holds more than [`MAX_PAYLOAD`] bytes.
async fn read_payload(body: Body) -> Result<Bytes, TooLarge> {
    let mut body = body;
    let mut read = BytesMut::new();
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|e| TooLarge::Broken(e.to_string()))?;
        if let Ok(data) = frame.into_data() {
            if read.len() + data.len() > MAX_PAYLOAD {
                return Err(TooLarge::Over(read.len() + data.len()));
            }
            read.extend_from_slice(&data);
        }
    }
    Ok(read.freeze())
}

/// Ends invocation `id` as `Function.ResponseSizeTooLarge` (its answer held `size` bytes or
/// more) and tells the runtime, as Lambda does, with a 413.
fn too_large(api: &Api, id: &str, size: usize) -> Response {
    let message = format!(
        "Response payload size ({size} bytes or more) exceeded maximum allowed payload size \
         ({MAX_PAYLOAD} bytes)."
    );
    let document = json!({"errorMessage": message, "errorType": "Function.ResponseSizeTooLarge"});
    let known = api.service.slots.complete(
        id,
        Outcome::FunctionError {
            error_type: "Function.ResponseSizeTooLarge".into(),
            body: Bytes::from(document.to_string()),
        },
    );
    if !known {
        return invalid_request_id();
    }
    tracing::warn!(request_id = %id, "the function's answer is over {MAX_PAYLOAD} bytes");
    if let Some(slot) = api.slot {
        api.service.processes.answered(slot);
    }
    error_json(
        StatusCode::PAYLOAD_TOO_LARGE,
        "RequestEntityTooLarge",
        &message,
    )
}

fn body_error(e: &str) -> Response {
    error_json(
        StatusCode::BAD_REQUEST,
        "InvalidRequestContentException",
        &format!("could not read the request body: {e}"),
    )
}

/// `POST /runtime/invocation/{id}/error`; an error document over [`MAX_PAYLOAD`] ends the
/// invocation as a response that is too large does.
async fn error(
    State(api): State<Api>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let body = match read_payload(body).await {
        Ok(body) => body,
        Err(TooLarge::Over(size)) => return too_large(&api, &id, size),
        Err(TooLarge::Broken(e)) => return body_error(&e),
    };
    let error_type = error_type(&headers, &body);
    tracing::warn!(request_id = %id, error_type, "the function answered with an error");
    finish(&api, &id, Outcome::FunctionError { error_type, body })
}

fn finish(api: &Api, id: &str, outcome: Outcome) -> Response {
    if !api.service.slots.complete(id, outcome) {
        return invalid_request_id();
    }
    if let Some(slot) = api.slot {
        api.service.processes.answered(slot);
    }
    accepted()
}

/// `POST /runtime/init/error`: recorded, and the process is ended.
async fn init_error(State(api): State<Api>, headers: HeaderMap, body: Bytes) -> Response {
    let error_type = error_type(&headers, &body);
    let text = String::from_utf8_lossy(&body).into_owned();
    tracing::error!(slot = ?api.slot, error_type, "the function failed to initialize: {text}");
    if let Some(slot) = api.slot {
        api.service
            .processes
            .init_error(slot, format!("{error_type}: {text}"));
        // Lambda ends an environment whose init failed; the slot starts another, with backoff.
        let generation = api.service.slots.generation(Some(slot));
        api.service.processes.kill(slot, generation);
    }
    accepted()
}

/// `Lambda-Runtime-Function-Error-Type`, else the document's `errorType`, else `Unhandled`.
fn error_type(headers: &HeaderMap, body: &[u8]) -> String {
    headers
        .get("lambda-runtime-function-error-type")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
        .or_else(|| {
            serde_json::from_slice::<serde_json::Value>(body)
                .ok()?
                .get("errorType")?
                .as_str()
                .map(str::to_owned)
        })
        .unwrap_or_else(|| "Unhandled".to_owned())
}

fn accepted() -> Response {
    (
        StatusCode::ACCEPTED,
        [("content-type", "application/json")],
        r#"{"status":"OK"}"#,
    )
        .into_response()
}

fn invalid_request_id() -> Response {
    error_json(
        StatusCode::BAD_REQUEST,
        "InvalidRequestID",
        "Invalid request ID: no invocation with this id is running",
    )
}

async fn not_found() -> Response {
    invoke_api::error(
        StatusCode::NOT_FOUND,
        "UnknownOperationException",
        "Unknown operation: this is the local Lambda Runtime API (/2018-06-01/runtime/...) and Invoke API (/2015-03-31/functions/{name}/invocations)",
    )
}

/// The Runtime API's error document `{"errorMessage", "errorType"}`.
fn error_json(status: StatusCode, error_type: &str, message: &str) -> Response {
    let body = json!({"errorMessage": message, "errorType": error_type});
    (
        status,
        [("content-type", "application/json")],
        body.to_string(),
    )
        .into_response()
}
