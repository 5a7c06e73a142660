//! A request log for a DynamoDB client: what it sent and how many items each answer read.
//! For measuring (`wsproxy bench registry`) and for tests that prove a lookup is a Query.

use aws_sdk_dynamodb::config::interceptors::{
    AfterDeserializationInterceptorContextRef, BeforeTransmitInterceptorContextRef,
};
use aws_sdk_dynamodb::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_sdk_dynamodb::error::BoxError;
use aws_sdk_dynamodb::operation::query::QueryOutput;
use aws_sdk_dynamodb::operation::scan::ScanOutput;
use std::sync::{Arc, Mutex};

/// One request a client sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// The operation, from `X-Amz-Target` (`Query`, `Scan`, `BatchWriteItem`, ...).
    pub operation: String,
    /// The JSON body sent.
    pub body: String,
    /// Items the answer read (`ScannedCount` of a Query or Scan; 0 otherwise).
    pub items_read: u64,
}

/// Records every request of the clients it is installed in (retries included), in order.
/// Install it with `aws_sdk_dynamodb::config::Builder::interceptor`.
#[derive(Debug, Clone, Default)]
pub struct RequestLog(Arc<Mutex<Vec<Request>>>);

impl RequestLog {
    /// The requests recorded since the last call, and forgets them.
    pub fn take(&self) -> Vec<Request> {
        std::mem::take(&mut *self.lock())
    }

    /// How many of `requests` were `operation`.
    pub fn count(requests: &[Request], operation: &str) -> usize {
        requests.iter().filter(|r| r.operation == operation).count()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Request>> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Intercept for RequestLog {
    fn name(&self) -> &'static str {
        "RequestLog"
    }

    fn read_before_transmit(
        &self,
        context: &BeforeTransmitInterceptorContextRef<'_>,
        _: &RuntimeComponents,
        _: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let request = context.request();
        let target = request.headers().get("x-amz-target").unwrap_or_default();
        let operation = target.rsplit('.').next().unwrap_or_default().to_owned();
        let body = String::from_utf8_lossy(request.body().bytes().unwrap_or_default()).into_owned();
        self.lock().push(Request {
            operation,
            body,
            items_read: 0,
        });
        Ok(())
    }

    fn read_after_deserialization(
        &self,
        context: &AfterDeserializationInterceptorContextRef<'_>,
        _: &RuntimeComponents,
        _: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let read = match context.output_or_error() {
            Ok(out) => out
                .downcast_ref::<QueryOutput>()
                .map(QueryOutput::scanned_count)
                .or_else(|| {
                    out.downcast_ref::<ScanOutput>()
                        .map(ScanOutput::scanned_count)
                })
                .unwrap_or(0),
            Err(_) => 0,
        };
        if let Some(last) = self.lock().last_mut() {
            last.items_read = read.max(0) as u64;
        }
        Ok(())
    }
}
