//! The Lambda Invoke API (`POST /2015-03-31/functions/{name}/invocations`), enough for the
//! AWS SDKs' `Invoke`: `Event` (queued, 202), `RequestResponse` (the result, 200) and `DryRun`.

use crate::config::{LocalFunctionConfig, ACCOUNT_ID};
use crate::invocation::Outcome;
use crate::runtime_api::{Api, MAX_PAYLOAD};
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Router;
use http::{HeaderMap, HeaderValue, StatusCode};
use serde_json::json;
use std::collections::HashMap;

/// AWS's limit for an asynchronous (`Event`) invocation's payload.
const MAX_EVENT_PAYLOAD: usize = 256 * 1024;

pub(crate) fn routes() -> Router<Api> {
    Router::new().route("/2015-03-31/functions/{function}/invocations", post(invoke))
}

async fn invoke(
    State(api): State<Api>,
    Path(function): Path<String>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let config = &api.service.config;
    let qualifier = query.get("Qualifier").map(String::as_str);
    if !names_this_function(config, &function, qualifier) {
        let shown = if function.starts_with("arn:") {
            function.clone()
        } else {
            format!(
                "arn:aws:lambda:{}:{}:function:{function}",
                config.region, ACCOUNT_ID
            )
        };
        return error(
            StatusCode::NOT_FOUND,
            "ResourceNotFoundException",
            &format!("Function not found: {shown}"),
        );
    }
    let kind = headers
        .get("x-amz-invocation-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("RequestResponse");
    let payload = if body.is_empty() {
        Bytes::from_static(b"{}")
    } else {
        body
    };
    let slots = &api.service.slots;
    match kind {
        "DryRun" => StatusCode::NO_CONTENT.into_response(),
        "Event" => {
            if payload.len() > MAX_EVENT_PAYLOAD {
                return too_large(payload.len(), MAX_EVENT_PAYLOAD);
            }
            let (request_id, _) = slots.submit(payload, false);
            tracing::debug!(%request_id, "queued an asynchronous invocation");
            with_request_id(StatusCode::ACCEPTED.into_response(), &request_id)
        }
        "RequestResponse" => {
            if payload.len() > MAX_PAYLOAD {
                return too_large(payload.len(), MAX_PAYLOAD);
            }
            let (request_id, rx) = slots.submit(payload, true);
            let outcome = match rx {
                Some(rx) => rx.await.unwrap_or_else(|_| {
                    Outcome::Unavailable("the invocation was dropped".to_owned())
                }),
                None => Outcome::Unavailable("the invocation was dropped".to_owned()),
            };
            with_request_id(result(outcome, &request_id), &request_id)
        }
        other => error(
            StatusCode::BAD_REQUEST,
            "InvalidParameterValueException",
            &format!(
                "invalid X-Amz-Invocation-Type '{other}': use RequestResponse, Event or DryRun"
            ),
        ),
    }
}

/// A synchronous invocation's answer: 200 with the result, or 200 with
/// `X-Amz-Function-Error: Unhandled` and an error document, as AWS answers.
fn result(outcome: Outcome, request_id: &str) -> Response {
    let unhandled = |body: String| {
        let mut r = ok(Bytes::from(body));
        r.headers_mut().insert(
            "x-amz-function-error",
            HeaderValue::from_static("Unhandled"),
        );
        r
    };
    match outcome {
        Outcome::Response(body) => ok(body),
        Outcome::FunctionError { body, .. } => {
            let mut r = ok(body);
            r.headers_mut()
                .insert("x-amz-function-error", HeaderValue::from_static("Unhandled"));
            r
        }
        Outcome::Crashed(reason) => unhandled(
            json!({
                "errorType": "Runtime.ExitError",
                "errorMessage": format!("RequestId: {request_id} Error: Runtime exited with error: {reason}"),
            })
            .to_string(),
        ),
        Outcome::TimedOut(after) => unhandled(
            json!({
                "errorMessage": format!(
                    "{request_id} Task timed out after {:.2} seconds",
                    after.as_secs_f64()
                ),
            })
            .to_string(),
        ),
        Outcome::Unavailable(why) => error(StatusCode::INTERNAL_SERVER_ERROR, "ServiceException", &why),
    }
}

fn ok(body: Bytes) -> Response {
    let mut r = (StatusCode::OK, body).into_response();
    let h = r.headers_mut();
    h.insert("content-type", HeaderValue::from_static("application/json"));
    h.insert(
        "x-amz-executed-version",
        HeaderValue::from_static("$LATEST"),
    );
    r
}

fn with_request_id(mut r: Response, request_id: &str) -> Response {
    if let Ok(v) = HeaderValue::from_str(request_id) {
        r.headers_mut().insert("x-amzn-requestid", v);
    }
    r
}

fn too_large(size: usize, max: usize) -> Response {
    error(
        StatusCode::PAYLOAD_TOO_LARGE,
        "RequestTooLargeException",
        &format!("Request must be smaller than {max} bytes for the Invoke operation (got {size})"),
    )
}

/// True when `function` (a name, `name:qualifier`, `account:function:name` or a full ARN)
/// names this function, at `$LATEST`.
pub(crate) fn names_this_function(
    config: &LocalFunctionConfig,
    function: &str,
    qualifier: Option<&str>,
) -> bool {
    let parts: Vec<&str> = function.split(':').collect();
    let (name, inline_qualifier) = match parts.as_slice() {
        [name] | [_, "function", name] | ["arn", _, "lambda", _, _, "function", name] => {
            (*name, None)
        }
        [name, q] | [_, "function", name, q] | ["arn", _, "lambda", _, _, "function", name, q] => {
            (*name, Some(*q))
        }
        _ => return false,
    };
    name == config.function_name
        && inline_qualifier
            .or(qualifier)
            .is_none_or(|q| q == "$LATEST")
}

/// An AWS JSON error: `x-amzn-ErrorType: {error_type}` and `{"Type": "User", "message": ...}`,
/// which is how the AWS SDKs tell one error from another.
pub(crate) fn error(status: StatusCode, error_type: &str, message: &str) -> Response {
    let kind = if status.is_server_error() {
        "Service"
    } else {
        "User"
    };
    let body = json!({"Type": kind, "message": message});
    let mut r = (
        status,
        [("content-type", "application/json")],
        body.to_string(),
    )
        .into_response();
    if let Ok(v) = HeaderValue::from_str(error_type) {
        r.headers_mut().insert("x-amzn-errortype", v);
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn function_names() {
        let c = LocalFunctionConfig::new("/bin/true");
        let ok = |f: &str, q: Option<&str>| names_this_function(&c, f, q);
        assert!(ok("wsproxy-local", None));
        assert!(ok("wsproxy-local:$LATEST", None));
        assert!(ok("wsproxy-local", Some("$LATEST")));
        assert!(ok("000000000000:function:wsproxy-local", None));
        assert!(ok(
            "arn:aws:lambda:us-east-1:000000000000:function:wsproxy-local",
            None
        ));
        assert!(ok(
            "arn:aws:lambda:eu-west-1:123456789012:function:wsproxy-local:$LATEST",
            None
        ));
        assert!(!ok("other", None));
        assert!(!ok("wsproxy-local:prod", None));
        assert!(!ok("wsproxy-local", Some("1")));
        assert!(!ok(
            "arn:aws:lambda:us-east-1:000000000000:function:other",
            None
        ));
    }
}
