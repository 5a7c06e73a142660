//! What can go wrong when starting or running the gateway.

use std::io;
use std::net::SocketAddr;

/// A gateway failure; each message says what to do about it.
#[derive(Debug, thiserror::Error)]
pub enum GatewayError {
    /// The listen address is taken.
    #[error("could not listen on {addr}: address in use; choose another port")]
    AddrInUse {
        /// The address asked for.
        addr: SocketAddr,
    },
    /// The listen address may not be used by this user.
    #[error(
        "could not listen on {addr}: permission denied; use a port above 1023 or another address"
    )]
    PermissionDenied {
        /// The address asked for.
        addr: SocketAddr,
    },
    /// Any other failure to listen.
    #[error("could not listen on {addr}: {source}; check the address")]
    Listen {
        /// The address asked for.
        addr: SocketAddr,
        /// What the OS said.
        source: io::Error,
    },
    /// The configuration is not usable.
    #[error("invalid gateway configuration: {0}")]
    Config(String),
    /// The Lambda function could not be started (Lambda mode).
    #[error("the Lambda function could not start: {0}")]
    Lambda(String),
    /// The local certificate could not be made or loaded.
    #[error("TLS: {0}")]
    Tls(#[from] crate::TlsError),
    /// The server stopped with an I/O error.
    #[error("the gateway stopped: {0}; restart it")]
    Serve(#[source] io::Error),
}

impl GatewayError {
    /// Classifies a bind failure.
    pub(crate) fn listen(addr: SocketAddr, source: io::Error) -> Self {
        match source.kind() {
            io::ErrorKind::AddrInUse => Self::AddrInUse { addr },
            io::ErrorKind::PermissionDenied => Self::PermissionDenied { addr },
            _ => Self::Listen { addr, source },
        }
    }
}
