//! The accept loop: every TCP connection takes a slot under the connection cap, must send its
//! request line and headers within the size and time limits, and is served by hyper
//! (HTTP/1.1, upgrades included) until graceful shutdown. With TLS on, the port speaks both:
//! a connection opening with a TLS handshake record is served over TLS (`https://`,
//! `wss://`), any other as plain HTTP ([`crate::tls`]).

use crate::served::{serve_connection, until_closed, Accepted, ConnectionSlot, Scheme, Served};
use crate::ConnectionLimits;
use axum::body::Body;
use axum::Router;
use http::{header, HeaderValue, Request, Response, StatusCode};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{watch, OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;
use tracing::{debug, warn};

/// Connections over the cap answered 503 at once; beyond them a new connection is closed
/// unanswered, so a flood cannot use up file descriptors through the refusals either.
const REFUSING: usize = 64;
/// The pause after an accept error such as "too many open files", so it cannot spin.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(100);
/// Least time between two warnings of the same kind (accept errors, cap reached).
const WARN_EVERY: Duration = Duration::from_secs(5);

/// Accepts and serves connections until `stop` resolves, then lets every connection finish
/// its request (an upgraded socket lives on in its own task) and returns.
pub(crate) async fn serve(
    listener: TcpListener,
    router: Router,
    limits: &ConnectionLimits,
    tls: Option<tokio_rustls::TlsAcceptor>,
    stop: impl Future<Output = ()>,
) {
    let max_connections = limits.effective_max_connections();
    let slots = Arc::new(Semaphore::new(max_connections));
    let refusing = Arc::new(Semaphore::new(REFUSING));
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout)
        .max_header_size(limits.max_header_bytes);
    // Every connection task holds a receiver: a value sent asks them to shut down, and
    // `closed` resolves once the last of them is done.
    let (close_tx, close_rx) = watch::channel(());
    let mut accept_warning = Warning::default();
    let mut full_warning = Warning::default();
    tokio::pin!(stop);
    loop {
        let (stream, peer) = tokio::select! {
            biased;
            () = &mut stop => break,
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) if is_connection_error(&e) => continue,
                Err(e) => {
                    if accept_warning.due() {
                        warn!(error = %e, "could not accept a connection; retrying (raise the open-files limit, or lower --max-connections)");
                    }
                    tokio::select! {
                        () = &mut stop => break,
                        () = tokio::time::sleep(ACCEPT_BACKOFF) => continue,
                    }
                }
            },
        };
        if let Ok(permit) = slots.clone().try_acquire_owned() {
            let slot = ConnectionSlot::new(permit);
            match &tls {
                None => {
                    let task = serve_connection(
                        stream,
                        peer,
                        Scheme::Http,
                        router.clone(),
                        &builder,
                        slot,
                    );
                    tokio::spawn(until_closed(task, close_rx.clone()));
                }
                Some(tls) => {
                    let connection = Accepted {
                        stream,
                        peer,
                        slot,
                        deadline: Instant::now() + limits.header_read_timeout,
                    };
                    let (router, builder) = (router.clone(), builder.clone());
                    let (tls, close) = (tls.clone(), close_rx.clone());
                    tokio::spawn(crate::sniff::serve(connection, tls, router, builder, close));
                }
            }
            continue;
        }
        if full_warning.due() {
            warn!(
                max_connections,
                "the connection limit is reached: new connections get 503 (see --max-connections)"
            );
        }
        match refusing.clone().try_acquire_owned() {
            Ok(permit) => {
                let task = refuse(stream, &builder, max_connections, permit);
                tokio::spawn(until_closed(task, close_rx.clone()));
            }
            Err(_) => debug!(%peer, "closed a connection over the limit unanswered"),
        }
    }
    drop(listener);
    drop(close_rx);
    let _ = close_tx.send(());
    close_tx.closed().await;
}

/// Answers the request of a connection over the cap with 503, then closes it.
fn refuse(
    stream: TcpStream,
    builder: &http1::Builder,
    max_connections: usize,
    permit: OwnedSemaphorePermit,
) -> impl Served {
    let mut builder = builder.clone();
    builder.keep_alive(false);
    let service = service_fn(move |_req: Request<Incoming>| {
        // The service owns the refusal's permit, so it frees when the connection ends.
        let _held = &permit;
        async move { Ok::<_, Infallible>(over_capacity(max_connections)) }
    });
    builder.serve_connection(TokioIo::new(stream), service)
}

/// The 503 of a connection over the cap.
fn over_capacity(max_connections: usize) -> Response<Body> {
    let body = serde_json::json!({
        "message": format!(
            "the gateway already has its maximum of {max_connections} connections open; try again later"
        )
    });
    let mut r = Response::new(Body::from(body.to_string()));
    *r.status_mut() = StatusCode::SERVICE_UNAVAILABLE;
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    h.insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
    r
}

/// Errors of one connection that leave the listener healthy.
fn is_connection_error(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::ConnectionRefused
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
    )
}

/// Lets a repeated warning through at most once every [`WARN_EVERY`].
#[derive(Default)]
struct Warning(Option<Instant>);

impl Warning {
    fn due(&mut self) -> bool {
        let now = Instant::now();
        if self
            .0
            .is_some_and(|last| now.duration_since(last) < WARN_EVERY)
        {
            return false;
        }
        self.0 = Some(now);
        true
    }
}
