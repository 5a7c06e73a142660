//! [`ConnectionItem`] to and from a DynamoDB attribute map (contract section 5).

use aws_sdk_dynamodb::types::AttributeValue;
use std::collections::HashMap;
use wsproxy_core::{ConnectionItem, ConnectionType, Secret, ITEM_TTL_SECS};

/// Partition key: a booking id, `user_{user_id}` or `feed`.
pub(crate) const BOOKING_ID: &str = "booking_id";
/// Sort key, and the key of the [`crate::CONNECTION_INDEX`].
pub(crate) const CONNECTION_ID: &str = "connection_id";
const CONNECTION_TYPE: &str = "connection_type";
const USER_ID: &str = "user_id";
const CREATED_AT: &str = "created_at";
/// The table's time to live attribute (epoch seconds).
pub(crate) const TTL: &str = "ttl";
const TOKEN: &str = "token";

/// One attribute map, as DynamoDB sends and takes it.
pub(crate) type Item = HashMap<String, AttributeValue>;

/// Why a stored item could not be read. Names attributes, never values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum DecodeError {
    Missing(&'static str),
    WrongType(&'static str, &'static str),
    Invalid(&'static str),
}

impl std::fmt::Display for DecodeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Missing(a) => write!(f, "attribute '{a}' is missing"),
            Self::WrongType(a, want) => write!(f, "attribute '{a}' is not of type {want}"),
            Self::Invalid(a) => write!(f, "attribute '{a}' has an invalid value"),
        }
    }
}

/// The full attribute map of an item. `user_id` is written only when known, `token` only
/// when not empty (a feed connection has none); both read back the same.
pub(crate) fn encode(item: &ConnectionItem) -> Item {
    let mut map = key(&item.partition, &item.connection_id);
    map.insert(
        CONNECTION_TYPE.into(),
        AttributeValue::S(item.connection_type.as_str().into()),
    );
    if let Some(user) = &item.user_id {
        map.insert(USER_ID.into(), AttributeValue::S(user.clone()));
    }
    map.insert(
        CREATED_AT.into(),
        AttributeValue::N(item.created_at.to_string()),
    );
    map.insert(TTL.into(), AttributeValue::N(item.ttl.to_string()));
    if !item.token.is_empty() {
        map.insert(TOKEN.into(), AttributeValue::S(item.token.expose().into()));
    }
    map
}

/// The primary key of an item.
pub(crate) fn key(partition: &str, connection_id: &str) -> Item {
    HashMap::from([
        (BOOKING_ID.into(), AttributeValue::S(partition.into())),
        (
            CONNECTION_ID.into(),
            AttributeValue::S(connection_id.into()),
        ),
    ])
}

/// Reads an item. A missing `ttl` (an item written by hand) counts from `created_at`.
pub(crate) fn decode(map: &Item) -> Result<ConnectionItem, DecodeError> {
    let created_at = number(map, CREATED_AT)?.ok_or(DecodeError::Missing(CREATED_AT))?;
    Ok(ConnectionItem {
        partition: string(map, BOOKING_ID)?.ok_or(DecodeError::Missing(BOOKING_ID))?,
        connection_id: string(map, CONNECTION_ID)?.ok_or(DecodeError::Missing(CONNECTION_ID))?,
        connection_type: string(map, CONNECTION_TYPE)?
            .ok_or(DecodeError::Missing(CONNECTION_TYPE))?
            .parse::<ConnectionType>()
            .map_err(|_| DecodeError::Invalid(CONNECTION_TYPE))?,
        user_id: string(map, USER_ID)?,
        created_at,
        ttl: number(map, TTL)?.unwrap_or(created_at + ITEM_TTL_SECS),
        token: Secret::new(string(map, TOKEN)?.unwrap_or_default()),
    })
}

/// How to name an item in a warning: its key attributes as far as they are strings.
pub(crate) fn describe_key(map: &Item) -> String {
    let part = |name| match map.get(name) {
        Some(AttributeValue::S(s)) => s.as_str(),
        Some(_) => "(not a string)",
        None => "(missing)",
    };
    format!(
        "{BOOKING_ID}={} {CONNECTION_ID}={}",
        part(BOOKING_ID),
        part(CONNECTION_ID)
    )
}

fn string(map: &Item, name: &'static str) -> Result<Option<String>, DecodeError> {
    match map.get(name) {
        None | Some(AttributeValue::Null(_)) => Ok(None),
        Some(AttributeValue::S(s)) => Ok(Some(s.clone())),
        Some(_) => Err(DecodeError::WrongType(name, "S")),
    }
}

/// An epoch-seconds number; a fraction (written by another client) is cut off.
fn number(map: &Item, name: &'static str) -> Result<Option<i64>, DecodeError> {
    match map.get(name) {
        None | Some(AttributeValue::Null(_)) => Ok(None),
        Some(AttributeValue::N(n)) => n
            .parse::<i64>()
            .ok()
            .or_else(|| {
                n.parse::<f64>()
                    .ok()
                    .filter(|f| f.is_finite())
                    .map(|f| f as i64)
            })
            .map(Some)
            .ok_or(DecodeError::Invalid(name)),
        Some(_) => Err(DecodeError::WrongType(name, "N")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(user: Option<&str>, token: &str) -> ConnectionItem {
        ConnectionItem::new(
            "b-1",
            "c-1",
            ConnectionType::Chat,
            user.map(Into::into),
            Secret::new(token),
        )
    }

    #[test]
    fn round_trips_with_and_without_optional_attributes() {
        for it in [item(Some("u-7"), "tok"), item(None, "")] {
            let map = encode(&it);
            assert_eq!(decode(&map).unwrap(), it);
            assert_eq!(map.contains_key(USER_ID), it.user_id.is_some());
            assert_eq!(map.contains_key(TOKEN), !it.token.is_empty());
        }
        let map = encode(&item(Some("u-7"), "tok"));
        assert_eq!(map[TTL], AttributeValue::N(item(None, "").ttl.to_string()));
        assert_eq!(map[CONNECTION_TYPE], AttributeValue::S("chat".into()));
    }

    #[test]
    fn bad_items_are_errors_that_name_the_attribute_not_the_value() {
        let good = encode(&item(None, "secret-token"));

        let mut m = good.clone();
        m.remove(CREATED_AT);
        assert_eq!(decode(&m), Err(DecodeError::Missing(CREATED_AT)));

        let mut m = good.clone();
        m.insert(CONNECTION_TYPE.into(), AttributeValue::N("1".into()));
        assert_eq!(
            decode(&m),
            Err(DecodeError::WrongType(CONNECTION_TYPE, "S"))
        );

        let mut m = good.clone();
        m.insert(CONNECTION_TYPE.into(), AttributeValue::S("poll".into()));
        assert_eq!(decode(&m), Err(DecodeError::Invalid(CONNECTION_TYPE)));

        let mut m = good;
        m.insert(TOKEN.into(), AttributeValue::N("1".into()));
        let err = decode(&m).unwrap_err().to_string();
        assert!(
            err.contains("token") && !err.contains("secret-token"),
            "{err}"
        );

        m.insert(CONNECTION_ID.into(), AttributeValue::N("1".into()));
        assert_eq!(
            describe_key(&m),
            "booking_id=b-1 connection_id=(not a string)"
        );
    }

    #[test]
    fn tolerates_fractional_numbers_and_a_missing_ttl() {
        let mut m = encode(&item(None, "t"));
        m.insert(CREATED_AT.into(), AttributeValue::N("1700000000.75".into()));
        m.remove(TTL);
        let it = decode(&m).unwrap();
        assert_eq!(it.created_at, 1_700_000_000);
        assert_eq!(it.ttl, 1_700_000_000 + ITEM_TTL_SECS);
    }
}
