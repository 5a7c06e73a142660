//! Identifiers that become a backend path segment or a registry key, checked in one place.
//!
//! A booking id from the client (query or message body), a user id from the backend
//! (it forms the `user_{id}` partition) and a booking's owner and renter ids are all
//! an [`Id`] before they are used. Refused: empty, `.` and `..` (an HTTP client resolves
//! them as dot segments, so `/api/chat/ws/../connect` would reach another endpoint),
//! `/`, `\` and `%` (a backend or proxy that decodes or normalises paths would read
//! `x%2F..%2F..%2Fnotifications%2Fws` as another endpoint), control characters, and
//! anything over [`MAX_ID_BYTES`].
//!
//! Ids are checked as the caller received them, after the one percent-decoding of a query
//! parameter: `booking_id=x%2F..` arrives as `x/..` (refused for its `/`), and
//! `booking_id=x%252F` as `x%2F` (refused for its `%`).

use serde_json::Value;
use std::fmt;

/// The longest id accepted, in UTF-8 bytes.
///
/// Real ids are far shorter (a UUID is 36 bytes, a 64-bit number at most 20 digits).
/// 256 keeps `user_{id}` well inside DynamoDB's 2048-byte partition key, and the id
/// percent-encoded (at most 3 × 256 = 768 characters) keeps a backend URL under the
/// roughly 2000 characters that the strictest proxies and CDNs accept.
pub const MAX_ID_BYTES: usize = 256;

/// What an id names, for error messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdKind {
    /// A booking id, from the client or from a backend answer.
    Booking,
    /// A user id from a backend answer.
    User,
    /// A booking's owner, from the participants answer.
    Owner,
    /// A booking's renter, from the participants answer.
    Renter,
}

impl IdKind {
    /// The JSON field / query parameter the id comes from.
    pub fn field(self) -> &'static str {
        match self {
            Self::Booking => "booking_id",
            Self::User => "user_id",
            Self::Owner => "owner_id",
            Self::Renter => "renter_id",
        }
    }
}

/// An id that was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdError {
    /// The empty string.
    #[error("invalid {}: it is empty", .0.field())]
    Empty(IdKind),
    /// `.` or `..`.
    #[error("invalid {}: '{dots}' is not an id (it would change the backend path)", kind.field())]
    DotSegment {
        /// What the id names.
        kind: IdKind,
        /// `.` or `..`.
        dots: &'static str,
    },
    /// `/`, `\` or `%`: a path separator, or an escape a backend could decode into one.
    #[error("invalid {}: it contains '{character}', which a backend could read as another path (ids may not contain '/', '\\' or '%')", kind.field())]
    Separator {
        /// What the id names.
        kind: IdKind,
        /// The character found.
        character: char,
    },
    /// A control character (U+0000 to U+001F, U+007F to U+009F).
    #[error("invalid {}: it contains the control character U+{code:04X}", kind.field())]
    Control {
        /// What the id names.
        kind: IdKind,
        /// The character's code point.
        code: u32,
    },
    /// Longer than [`MAX_ID_BYTES`].
    #[error("invalid {}: it is {len} bytes long; ids may have at most {MAX_ID_BYTES} bytes", kind.field())]
    TooLong {
        /// What the id names.
        kind: IdKind,
        /// Its length in bytes.
        len: usize,
    },
    /// Neither a JSON string nor a JSON number.
    #[error("invalid {}: it must be a string or a number, not {found}", kind.field())]
    NotAnId {
        /// What the id names.
        kind: IdKind,
        /// The JSON type found.
        found: &'static str,
    },
    /// A booking id that names one of the registry's own partitions.
    #[error("invalid booking_id: '{0}' is reserved for the proxy's own connection partitions (`feed`, `user_...`)")]
    Reserved(String),
}

/// A checked identifier: safe as one path segment and as (part of) a registry key.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Id(String);

impl Id {
    /// Checks `raw` as an id of `kind`.
    pub fn new(kind: IdKind, raw: &str) -> Result<Self, IdError> {
        match raw {
            "" => return Err(IdError::Empty(kind)),
            "." => return Err(IdError::DotSegment { kind, dots: "." }),
            ".." => return Err(IdError::DotSegment { kind, dots: ".." }),
            _ => {}
        }
        if raw.len() > MAX_ID_BYTES {
            return Err(IdError::TooLong {
                kind,
                len: raw.len(),
            });
        }
        if let Some(character) = raw.chars().find(|c| FORBIDDEN.contains(c)) {
            return Err(IdError::Separator { kind, character });
        }
        if let Some(c) = raw.chars().find(|c| c.is_control()) {
            return Err(IdError::Control {
                kind,
                code: u32::from(c),
            });
        }
        if kind == IdKind::Booking && (raw == "feed" || raw.starts_with("user_")) {
            return Err(IdError::Reserved(raw.to_owned()));
        }
        Ok(Self(raw.to_owned()))
    }

    /// Reads an id from JSON: a string, or a number exactly as written.
    ///
    /// Absent (`None`), `null` and `""` are `Ok(None)`: no id given, as the system being
    /// replaced treated them. Any other type is refused.
    pub fn from_json(kind: IdKind, value: Option<&Value>) -> Result<Option<Self>, IdError> {
        match value {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) if s.is_empty() => Ok(None),
            Some(Value::String(s)) => Self::new(kind, s).map(Some),
            Some(Value::Number(n)) => Self::new(kind, &n.to_string()).map(Some),
            Some(other) => Err(IdError::NotAnId {
                kind,
                found: json_type(other),
            }),
        }
    }

    /// The id as given.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The id as one percent-encoded path segment (all but RFC 3986's unreserved
    /// characters escaped; `.` and `..` cannot occur).
    pub fn segment(&self) -> String {
        percent_encoding::utf8_percent_encode(&self.0, SEGMENT).to_string()
    }

    /// The partition of this user's per-user connections: `user_{id}`.
    pub fn user_partition(&self) -> String {
        format!("user_{}", self.0)
    }
}

impl fmt::Display for Id {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<Id> for String {
    fn from(id: Id) -> Self {
        id.0
    }
}

/// Characters refused in an id: path separators and the escape character.
const FORBIDDEN: [char; 3] = ['/', '\\', '%'];

/// Characters escaped in a path segment: all but RFC 3986's unreserved ones.
const SEGMENT: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

fn json_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn ordinary_ids_pass_and_encode_as_one_segment() {
        for raw in ["b1", "42", "a.b", "...", "é-ü", "x y", "a:b", "2e2e"] {
            assert_eq!(Id::new(IdKind::Booking, raw).unwrap().as_str(), raw);
        }
        let id = Id::new(IdKind::Booking, "a b ?#&+").unwrap();
        assert_eq!(id.segment(), "a%20b%20%3F%23%26%2B");
        let max = "x".repeat(MAX_ID_BYTES);
        assert!(Id::new(IdKind::User, &max).is_ok());
    }

    #[test]
    fn dots_empty_control_and_long_ids_are_refused() {
        let refused = [
            ("", "it is empty"),
            (".", "'.' is not an id"),
            ("..", "'..' is not an id"),
            ("a\u{0}b", "U+0000"),
            ("a\nb", "U+000A"),
            ("\u{7f}", "U+007F"),
            ("a\u{85}", "U+0085"),
            ("a/b", "contains '/'"),
            ("../x", "contains '/'"),
            ("x/../../notifications/ws", "contains '/'"),
            ("a\\b", "contains '\\'"),
            ("..\\x", "contains '\\'"),
            ("%2e%2e", "contains '%'"),
            ("x%2F..%2F..%2Fnotifications%2Fws", "contains '%'"),
            ("%", "contains '%'"),
        ];
        for kind in [IdKind::Booking, IdKind::User, IdKind::Owner, IdKind::Renter] {
            for (raw, why) in refused {
                let e = Id::new(kind, raw).unwrap_err().to_string();
                assert!(e.contains(why) && e.contains(kind.field()), "{raw:?}: {e}");
            }
        }
        let long = "é".repeat(MAX_ID_BYTES / 2 + 1);
        let e = Id::new(IdKind::Booking, &long).unwrap_err();
        assert_eq!(
            e,
            IdError::TooLong {
                kind: IdKind::Booking,
                len: MAX_ID_BYTES + 2
            }
        );
    }

    #[test]
    fn booking_ids_may_not_name_the_proxys_partitions() {
        for raw in ["feed", "user_alice", "user_"] {
            assert!(matches!(
                Id::new(IdKind::Booking, raw),
                Err(IdError::Reserved(_))
            ));
        }
        assert!(Id::new(IdKind::User, "feed").is_ok());
        assert!(Id::new(IdKind::Booking, "users").is_ok());
    }

    #[test]
    fn json_ids_are_strings_or_numbers_as_written() {
        let big = serde_json::from_str::<Value>("123456789012345678901234567890").unwrap();
        let id = Id::from_json(IdKind::Booking, Some(&big)).unwrap().unwrap();
        assert_eq!(id.as_str(), "123456789012345678901234567890");
        let exp = serde_json::from_str::<Value>("1.5e+38").unwrap();
        let id = Id::from_json(IdKind::Booking, Some(&exp)).unwrap().unwrap();
        assert_eq!(id.segment(), "1.5e%2B38");
        assert_eq!(Id::from_json(IdKind::Booking, None), Ok(None));
        assert_eq!(Id::from_json(IdKind::Booking, Some(&json!(null))), Ok(None));
        assert_eq!(Id::from_json(IdKind::Booking, Some(&json!(""))), Ok(None));
        assert!(Id::from_json(IdKind::Booking, Some(&json!(".."))).is_err());
        for v in [json!(true), json!([1]), json!({"a": 1})] {
            let e = Id::from_json(IdKind::Booking, Some(&v)).unwrap_err();
            assert!(matches!(e, IdError::NotAnId { .. }), "{v}");
        }
    }
}
