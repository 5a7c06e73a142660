//! The backend's eight endpoints (`docs/contract.md`, sections 2 and 3): every path the core
//! POSTs to is built here. An id goes in as one percent-encoded segment ([`Id::segment`]).

use crate::Id;

/// `$connect` of a booking connection (contract section 2, the `booking` row).
pub(crate) fn booking_connect(booking: &Id) -> String {
    format!("/api/ws/bookings/{}/connect", booking.segment())
}

/// `$connect` of a chat connection about one booking (contract section 2, `chat, with booking_id`).
pub(crate) fn chat_connect(booking: &Id) -> String {
    format!("/api/chat/ws/{}/connect", booking.segment())
}

/// `$connect` of a per-user chat connection (contract section 2, `chat, without booking_id`).
pub(crate) const USER_CHAT_CONNECT: &str = "/api/chat/ws/connect";

/// `$connect` of a notification connection (contract section 2, the `notification` row).
pub(crate) const NOTIFICATION_CONNECT: &str = "/api/notifications/ws/connect";

/// A chat message about one booking (contract section 3, the `chat` row).
pub(crate) fn chat_message(booking: &Id) -> String {
    format!("/api/chat/ws/{}/message", booking.segment())
}

/// A notification connection's message (contract section 3, the `notification` row).
pub(crate) const NOTIFICATION_MESSAGE: &str = "/api/notifications/ws/message";

/// A feed connection's message (contract section 3, the `feed` row).
pub(crate) const FEED_MESSAGE: &str = "/api/ws/items-feed/message";

/// A booking's owner and renter, asked before a chat broadcast (contract section 3, "Who
/// gets the backend's answer").
pub(crate) fn chat_participants(booking: &Id) -> String {
    format!("/api/chat/ws/{}/participants", booking.segment())
}
