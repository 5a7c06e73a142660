//! One row of the connection table (contract section 5).

use crate::Secret;
use std::fmt;
use std::str::FromStr;

/// How long an item lives: `ttl` = `created_at` + 24 h.
pub const ITEM_TTL_SECS: i64 = 24 * 60 * 60;

/// The four kinds of connection a client can open (`?type=`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ConnectionType {
    /// Booking status updates.
    Booking,
    /// Chat, per booking or one socket per user.
    Chat,
    /// A user's notifications.
    Notification,
    /// The public item feed.
    Feed,
}

impl ConnectionType {
    /// The name stored in `connection_type` and accepted in `?type=`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Booking => "booking",
            Self::Chat => "chat",
            Self::Notification => "notification",
            Self::Feed => "feed",
        }
    }
}

impl fmt::Display for ConnectionType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ConnectionType {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "booking" => Ok(Self::Booking),
            "chat" => Ok(Self::Chat),
            "notification" => Ok(Self::Notification),
            "feed" => Ok(Self::Feed),
            other => Err(format!(
                "unknown connection type '{other}': use booking, chat, notification or feed"
            )),
        }
    }
}

/// A registered connection, keyed by (`partition`, `connection_id`) as in DynamoDB.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectionItem {
    /// `booking_id` attribute: a booking id, `user_{user_id}`, or `feed`.
    pub partition: String,
    /// API Gateway connection id (sort key).
    pub connection_id: String,
    /// What the client connected as.
    pub connection_type: ConnectionType,
    /// The user, when the backend told us.
    pub user_id: Option<String>,
    /// Epoch seconds of registration.
    pub created_at: i64,
    /// Epoch seconds after which the item is treated as absent.
    pub ttl: i64,
    /// The token given at connect, forwarded with messages.
    pub token: Secret,
}

impl ConnectionItem {
    /// A new item created now, with the standard 24 h ttl.
    pub fn new(
        partition: impl Into<String>,
        connection_id: impl Into<String>,
        connection_type: ConnectionType,
        user_id: Option<String>,
        token: Secret,
    ) -> Self {
        let created_at = crate::now_epoch_secs();
        Self {
            partition: partition.into(),
            connection_id: connection_id.into(),
            connection_type,
            user_id,
            created_at,
            ttl: created_at + ITEM_TTL_SECS,
            token,
        }
    }

    /// True once `ttl` has passed at `now` (epoch seconds).
    pub fn is_expired(&self, now: i64) -> bool {
        self.ttl <= now
    }

    /// The booking this item was registered under, if its partition is a booking id.
    pub fn booking_id(&self) -> Option<&str> {
        match self.partition.as_str() {
            "feed" => None,
            p if p.starts_with("user_") => None,
            p => Some(p),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_round_trip_and_unknown_is_refused() {
        for t in ["booking", "chat", "notification", "feed"] {
            assert_eq!(t.parse::<ConnectionType>().unwrap().as_str(), t);
        }
        assert!("poll".parse::<ConnectionType>().is_err());
    }

    #[test]
    fn ttl_is_a_day_and_expiry_is_inclusive() {
        let item = ConnectionItem::new("b1", "c1", ConnectionType::Chat, None, Secret::default());
        assert_eq!(item.ttl - item.created_at, ITEM_TTL_SECS);
        assert!(!item.is_expired(item.created_at));
        assert!(item.is_expired(item.ttl));
    }

    #[test]
    fn booking_id_only_for_booking_partitions() {
        let mk =
            |p: &str| ConnectionItem::new(p, "c", ConnectionType::Chat, None, Secret::default());
        assert_eq!(mk("b-42").booking_id(), Some("b-42"));
        assert_eq!(mk("user_7").booking_id(), None);
        assert_eq!(mk("feed").booking_id(), None);
    }
}
