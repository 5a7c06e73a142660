//! The demo's toy token scheme: `user:<user_id>` or `user:<user_id>:<booking>,<booking>`.
//!
//! There is no secret in such a token: it only names who the client claims to be. It
//! exists so the demo can show refusals (401 for a malformed token, 403 for a user who
//! is not a participant of a booking) without an identity provider.

use crate::error::DemoError;
use crate::Participants;

/// Longest user or booking id the scheme accepts.
const MAX_ID_LEN: usize = 64;

/// Who a valid token names, and which bookings it may reach.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct User {
    /// The user id.
    pub id: String,
    /// `None`: every booking the user takes part in; `Some`: only these.
    pub bookings: Option<Vec<String>>,
}

impl User {
    /// Parses a token; anything outside the scheme is [`DemoError::InvalidToken`].
    pub(crate) fn from_token(token: Option<&str>) -> Result<Self, DemoError> {
        let rest = token
            .and_then(|t| t.strip_prefix("user:"))
            .ok_or(DemoError::InvalidToken)?;
        let (id, bookings) = match rest.split_once(':') {
            None => (rest, None),
            Some((id, list)) => {
                let bookings: Vec<String> = list.split(',').map(str::to_owned).collect();
                if !bookings.iter().all(|b| valid_id(b)) {
                    return Err(DemoError::InvalidToken);
                }
                (id, Some(bookings))
            }
        };
        if !valid_id(id) {
            return Err(DemoError::InvalidToken);
        }
        Ok(Self {
            id: id.to_owned(),
            bookings,
        })
    }

    /// Whether this user may reach `booking`, whose participants are `participants`:
    /// the user must be its owner or renter, and the token must not exclude it.
    pub(crate) fn check_booking(
        &self,
        booking: &str,
        participants: &Participants,
    ) -> Result<(), DemoError> {
        let listed = self
            .bookings
            .as_ref()
            .is_none_or(|list| list.iter().any(|b| b == booking));
        if listed && participants.includes(&self.id) {
            Ok(())
        } else {
            Err(DemoError::NotParticipant {
                user_id: self.id.clone(),
                booking_id: booking.to_owned(),
            })
        }
    }
}

/// Ids are 1 to 64 characters among `A-Z a-z 0-9 _ - .`.
pub(crate) fn valid_id(id: &str) -> bool {
    (1..=MAX_ID_LEN).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn alice_bob() -> Participants {
        Participants::new("alice", "bob")
    }

    #[test]
    fn plain_tokens_name_a_user() {
        let user = User::from_token(Some("user:alice")).unwrap();
        assert_eq!(user.id, "alice");
        assert_eq!(user.bookings, None);
        assert!(user.check_booking("b1", &alice_bob()).is_ok());
        assert!(user.check_booking("any", &alice_bob()).is_ok());
    }

    #[test]
    fn booking_lists_restrict() {
        let user = User::from_token(Some("user:bob:b1,b2")).unwrap();
        assert_eq!(user.bookings, Some(vec!["b1".into(), "b2".into()]));
        assert!(user.check_booking("b2", &alice_bob()).is_ok());
        assert!(matches!(
            user.check_booking("b3", &alice_bob()),
            Err(DemoError::NotParticipant { .. })
        ));
    }

    #[test]
    fn strangers_are_forbidden() {
        let carol = User::from_token(Some("user:carol")).unwrap();
        assert!(matches!(
            carol.check_booking("b1", &alice_bob()),
            Err(DemoError::NotParticipant { .. })
        ));
    }

    #[test]
    fn malformed_tokens_are_invalid() {
        for token in [
            None,
            Some(""),
            Some("alice"),
            Some("user:"),
            Some("user: alice"),
            Some("user:alice:"),
            Some("user:alice:b1,,b2"),
            Some("user:a/b"),
            Some("Bearer xyz"),
        ] {
            assert!(
                matches!(User::from_token(token), Err(DemoError::InvalidToken)),
                "{token:?}"
            );
        }
        let long = format!("user:{}", "a".repeat(MAX_ID_LEN + 1));
        assert!(User::from_token(Some(&long)).is_err());
    }
}
