//! WebSocket close codes shared by the socket task, its endings and the upgrade.

/// The close code of a connection that ended without a close frame (RFC 6455 §7.4.1).
pub(crate) const ABNORMAL: u16 = 1006;
