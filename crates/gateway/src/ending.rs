//! How a socket ended, which decides the close frame the gateway sends and the code and
//! reason `$disconnect` reports.

use crate::budget::{OVER_BUDGET_CODE, OVER_BUDGET_REASON};
use crate::socket::ABNORMAL;
use tokio_tungstenite::tungstenite::error::Error as WsError;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tracing::{debug, info, warn};

/// How a socket ended, which decides the closing handshake and `$disconnect`'s fields.
#[derive(Debug)]
pub(crate) enum Ending {
    /// The client sent a close frame; tungstenite has queued the reply.
    ByClient { code: u16, reason: String },
    /// The gateway closes a socket that broke no frame rule (idle, max duration, DELETE,
    /// shutdown, over its byte budget).
    ByServer { code: u16, reason: String },
    /// The client broke a rule (frame or message too big, bad data): the reader is unusable.
    Violation { code: u16, reason: String },
    /// The connection dropped without a close frame.
    Lost { reason: String },
}

impl Ending {
    /// The close code and reason `$disconnect` reports.
    pub fn code_and_reason(&self) -> (u16, &str) {
        match self {
            Self::ByClient { code, reason }
            | Self::ByServer { code, reason }
            | Self::Violation { code, reason } => (*code, reason),
            Self::Lost { reason } => (ABNORMAL, reason),
        }
    }

    /// The close frame the gateway sends, if any.
    pub fn frame_to_send(&self) -> Option<CloseFrame> {
        match self {
            Self::ByServer { code, reason } | Self::Violation { code, reason } => {
                Some(CloseFrame {
                    code: CloseCode::from(*code),
                    reason: reason.as_str().into(),
                })
            }
            Self::ByClient { .. } | Self::Lost { .. } => None,
        }
    }
}

/// The ending of a socket whose budget `what` filled.
pub(crate) fn over_budget(what: &str) -> Ending {
    warn!(
        filled_by = what,
        "the client is not reading its messages: closing it"
    );
    Ending::ByServer {
        code: OVER_BUDGET_CODE,
        reason: OVER_BUDGET_REASON.into(),
    }
}

/// The ending of a client's close frame (1005 when it carries no code, as API Gateway says).
pub(crate) fn by_client(frame: Option<CloseFrame>) -> Ending {
    match frame {
        Some(f) => Ending::ByClient {
            code: u16::from(f.code),
            reason: f.reason.as_str().to_owned(),
        },
        None => Ending::ByClient {
            code: 1005,
            reason: "Client-side close frame status not set".into(),
        },
    }
}

/// The ending of a read error: quota breaches close with 1009, bad data with 1007/1002.
pub(crate) fn classify(e: WsError) -> Ending {
    match e {
        WsError::Capacity(c) => {
            info!(error = %c, "frame or message over quota");
            Ending::Violation {
                code: 1009,
                reason: "Message too big".into(),
            }
        }
        WsError::Utf8 => Ending::Violation {
            code: 1007,
            reason: "Invalid frame payload data".into(),
        },
        WsError::Protocol(p) => {
            use tokio_tungstenite::tungstenite::error::ProtocolError as P;
            match p {
                P::ResetWithoutClosingHandshake => Ending::Lost {
                    reason: "connection closed without a close frame".into(),
                },
                p => {
                    debug!(error = %p, "protocol error");
                    Ending::Violation {
                        code: 1002,
                        reason: "Protocol error".into(),
                    }
                }
            }
        }
        e => Ending::Lost {
            reason: format!("connection lost: {e}"),
        },
    }
}
