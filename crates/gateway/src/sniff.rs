//! One port for plain and TLS connections: the first byte of a connection tells them apart
//! (a TLS handshake record starts with 0x16; an HTTP request line with a letter), so `ws://`,
//! `wss://`, `http://` and `https://` all reach the gateway on one address, the events'
//! `domainName`; the scheme becomes `X-Forwarded-Proto`.
//!
//! The wait for that byte, the TLS handshake and the first request's headers share one
//! deadline, the header read timeout counted from the accept: a client that stalls its
//! handshake is closed as one that stalls its headers is, no later.

use crate::served::{serve_connection, until_closed, Accepted, Scheme};
use axum::Router;
use hyper::server::conn::http1;
use std::time::Duration;
use tokio::net::TcpStream;
use tokio::sync::watch;
use tokio::time::Instant;
use tokio_rustls::server::TlsStream;
use tokio_rustls::TlsAcceptor;
use tracing::debug;

/// The first byte of a TLS handshake record (RFC 8446 §5.1, `ContentType.handshake`).
const TLS_HANDSHAKE: u8 = 0x16;

/// What a connection turned out to speak.
enum Opened {
    Plain(TcpStream),
    Tls(Box<TlsStream<TcpStream>>),
}

/// Serves `conn` as plain HTTP or over TLS, as its first byte says, until it ends or the
/// server stops.
pub(crate) async fn serve(
    conn: Accepted,
    tls: TlsAcceptor,
    router: Router,
    mut builder: http1::Builder,
    mut close: watch::Receiver<()>,
) {
    let Accepted {
        stream,
        peer,
        slot,
        deadline,
    } = conn;
    let opened = tokio::select! {
        opened = tokio::time::timeout_at(deadline, open(stream, &tls)) => opened,
        _ = close.changed() => return,
    };
    let stream = match opened {
        Ok(Ok(stream)) => stream,
        Ok(Err(e)) => {
            debug!(%peer, error = %e, "the connection ended before its first request");
            return;
        }
        Err(_) => {
            debug!(%peer, "closed a connection that sent no request within the header read timeout");
            return;
        }
    };
    // What is left of the deadline for the headers (hyper's timer starts now).
    let left = deadline.saturating_duration_since(Instant::now());
    builder.header_read_timeout(left.max(Duration::from_millis(1)));
    match stream {
        Opened::Plain(s) => {
            let task = serve_connection(s, peer, Scheme::Http, router, &builder, slot);
            until_closed(task, close).await;
        }
        Opened::Tls(s) => {
            let task = serve_connection(*s, peer, Scheme::Https, router, &builder, slot);
            until_closed(task, close).await;
        }
    }
}

/// Waits for the first byte; completes the TLS handshake when it opens one.
async fn open(stream: TcpStream, tls: &TlsAcceptor) -> std::io::Result<Opened> {
    let mut first = [0u8; 1];
    let n = stream.peek(&mut first).await?;
    if n == 1 && first[0] == TLS_HANDSHAKE {
        let stream = tls.accept(stream).await?;
        return Ok(Opened::Tls(Box::new(stream)));
    }
    Ok(Opened::Plain(stream))
}
