//! What the demo backend is started with.

use std::collections::BTreeMap;

/// The two users of a booking: who may connect to it, chat in it, and be told of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Participants {
    /// The owner's user id.
    pub owner_id: String,
    /// The renter's user id.
    pub renter_id: String,
}

impl Participants {
    /// Owner and renter by user id.
    pub fn new(owner_id: impl Into<String>, renter_id: impl Into<String>) -> Self {
        Self {
            owner_id: owner_id.into(),
            renter_id: renter_id.into(),
        }
    }

    /// Whether `user_id` is the owner or the renter.
    pub fn includes(&self, user_id: &str) -> bool {
        self.owner_id == user_id || self.renter_id == user_id
    }
}

/// Settings of the demo backend.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoConfig {
    /// Base URL of the gateway's `@connections` API, stage included, e.g.
    /// `http://127.0.0.1:8080/dev`; `None` disables the `/demo/...` push endpoint (503).
    pub gateway_url: Option<String>,
    /// The participants of every booking not listed in [`DemoConfig::bookings`]
    /// (default: owner `alice`, renter `bob`).
    pub default_participants: Participants,
    /// Bookings with other participants than the default.
    pub bookings: BTreeMap<String, Participants>,
    /// The status a booking has until `/demo/bookings/{id}/status` changes it
    /// (default `confirmed`).
    pub initial_status: String,
}

impl Default for DemoConfig {
    fn default() -> Self {
        Self {
            gateway_url: None,
            default_participants: Participants::new("alice", "bob"),
            bookings: BTreeMap::new(),
            initial_status: "confirmed".to_owned(),
        }
    }
}

impl DemoConfig {
    /// The default configuration, pushing through the gateway at `gateway_url`
    /// (`http://HOST:PORT/{stage}`).
    pub fn with_gateway(gateway_url: impl Into<String>) -> Self {
        Self {
            gateway_url: Some(gateway_url.into()),
            ..Self::default()
        }
    }

    /// The participants of `booking_id`.
    pub fn participants(&self, booking_id: &str) -> &Participants {
        self.bookings
            .get(booking_id)
            .unwrap_or(&self.default_participants)
    }
}
