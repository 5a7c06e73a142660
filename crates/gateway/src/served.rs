//! One accepted connection served by hyper: its place under the connection cap
//! ([`ConnectionSlot`]), the gateway's router on it, and its graceful end when the server
//! stops. The accept loop ([`crate::accept`]) and the plain/TLS sniffing
//! ([`crate::sniff`]) both serve connections this way.

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::Router;
use http::Request;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio::sync::{watch, OwnedSemaphorePermit};
use tokio::time::Instant;
use tower::ServiceExt as _;
use tracing::debug;

/// A connection's place under the cap: held by its HTTP task and, after an upgrade, by its
/// socket task (taken from the request's extensions), so the slot frees when both are done.
#[derive(Debug, Clone)]
pub(crate) struct ConnectionSlot {
    _permit: Arc<OwnedSemaphorePermit>,
}

impl ConnectionSlot {
    /// The slot `permit` holds.
    pub(crate) fn new(permit: OwnedSemaphorePermit) -> Self {
        Self {
            _permit: Arc::new(permit),
        }
    }
}

/// A connection served by hyper, which may shut down gracefully.
pub(crate) trait Served: Future<Output = Result<(), hyper::Error>> + Send {
    fn shut_down(self: std::pin::Pin<&mut Self>);
}

impl<I, S> Served for http1::UpgradeableConnection<TokioIo<I>, S>
where
    I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    S: hyper::service::HttpService<Incoming, ResBody = Body> + Send,
    S::Future: Send,
    S::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    fn shut_down(self: std::pin::Pin<&mut Self>) {
        self.graceful_shutdown();
    }
}

impl<I, S> Served for http1::Connection<TokioIo<I>, S>
where
    I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    S: hyper::service::HttpService<Incoming, ResBody = Body> + Send,
    S::Future: Send,
    S::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    fn shut_down(self: std::pin::Pin<&mut Self>) {
        self.graceful_shutdown();
    }
}

/// A connection given a slot, not yet read from; its first request's headers are due by
/// `deadline`, whether it speaks TLS or not.
pub(crate) struct Accepted {
    pub stream: TcpStream,
    pub peer: SocketAddr,
    pub slot: ConnectionSlot,
    pub deadline: Instant,
}

/// Runs `conn`; when the server stops, lets its request finish and closes it.
pub(crate) async fn until_closed(conn: impl Served, mut close: watch::Receiver<()>) {
    tokio::pin!(conn);
    let result = tokio::select! {
        result = conn.as_mut() => result,
        _ = close.changed() => {
            conn.as_mut().shut_down();
            conn.await
        }
    };
    if let Err(e) = result {
        // Header timeouts, 431s, clients leaving: the client's doing, not the gateway's.
        debug!(error = %e, "connection ended with an error");
    }
}

/// What a connection speaks under HTTP: the gateway's `X-Forwarded-Proto` for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Scheme {
    /// Plain HTTP (`ws://`, `http://`).
    Http,
    /// TLS (`wss://`, `https://`).
    Https,
}

impl Scheme {
    /// `http` or `https`.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::Http => "http",
            Self::Https => "https",
        }
    }
}

/// The gateway's router on one connection, which knows its peer and scheme and holds its
/// slot.
pub(crate) fn serve_connection<I>(
    stream: I,
    peer: SocketAddr,
    scheme: Scheme,
    router: Router,
    builder: &http1::Builder,
    slot: ConnectionSlot,
) -> impl Served
where
    I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let service = service_fn(move |mut req: Request<Incoming>| {
        req.extensions_mut().insert(ConnectInfo(peer));
        req.extensions_mut().insert(scheme);
        req.extensions_mut().insert(slot.clone());
        router.clone().oneshot(req)
    });
    builder
        .serve_connection(TokioIo::new(stream), service)
        .with_upgrades()
}
