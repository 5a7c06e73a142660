//! How a socket ended, which decides the close frame the gateway sends and the code and
//! reason `$disconnect` reports.

use crate::budget::{OVER_BUDGET_CODE, OVER_BUDGET_REASON};
use crate::close_code::ABNORMAL;
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
    pub(crate) fn code_and_reason(&self) -> (u16, &str) {
        match self {
            Self::ByClient { code, reason }
            | Self::ByServer { code, reason }
            | Self::Violation { code, reason } => (*code, reason),
            Self::Lost { reason } => (ABNORMAL, reason),
        }
    }

    /// The close frame the gateway sends, if any.
    pub(crate) fn frame_to_send(&self) -> Option<CloseFrame> {
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

#[cfg(test)]
mod tests {
    use super::*;
    use tokio_tungstenite::tungstenite::error::{CapacityError, ProtocolError};

    #[test]
    fn read_errors_map_to_api_gateways_close_codes() {
        let cases = [
            (
                WsError::Capacity(CapacityError::MessageTooLong {
                    size: 2,
                    max_size: 1,
                }),
                (1009, "Message too big"),
                true,
            ),
            (WsError::Utf8, (1007, "Invalid frame payload data"), true),
            (
                WsError::Protocol(ProtocolError::UnmaskedFrameFromClient),
                (1002, "Protocol error"),
                true,
            ),
            (
                WsError::Protocol(ProtocolError::ResetWithoutClosingHandshake),
                (1006, "connection closed without a close frame"),
                false,
            ),
        ];
        for (error, expected, sends_a_frame) in cases {
            let ending = classify(error);
            assert_eq!(ending.code_and_reason(), expected, "{ending:?}");
            let frame = ending.frame_to_send();
            assert_eq!(frame.is_some(), sends_a_frame, "{ending:?}");
            if let Some(f) = frame {
                assert_eq!((u16::from(f.code), f.reason.as_str()), expected);
            }
        }
        let io = WsError::Io(std::io::Error::from(std::io::ErrorKind::ConnectionReset));
        let ending = classify(io);
        assert!(matches!(ending, Ending::Lost { .. }), "{ending:?}");
        assert_eq!(ending.code_and_reason().0, 1006);
    }

    #[test]
    fn a_client_close_is_reported_as_sent_and_not_answered_by_the_gateway() {
        let ending = by_client(Some(CloseFrame {
            code: CloseCode::from(4001),
            reason: "bye".into(),
        }));
        assert_eq!(ending.code_and_reason(), (4001, "bye"));
        assert!(
            ending.frame_to_send().is_none(),
            "tungstenite replies itself"
        );
        let ending = by_client(None);
        assert_eq!(
            ending.code_and_reason(),
            (1005, "Client-side close frame status not set")
        );
    }

    #[test]
    fn a_socket_over_its_budget_is_closed_with_1008() {
        let ending = over_budget("pongs");
        let frame = ending
            .frame_to_send()
            .expect("the gateway sends a close frame");
        assert_eq!(u16::from(frame.code), OVER_BUDGET_CODE);
        assert_eq!(ending.code_and_reason(), (1008, OVER_BUDGET_REASON));
    }
}
