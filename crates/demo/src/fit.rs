//! Answers that list many items (chat history, unread notifications) kept under the
//! proxy's message limit: the most recent items that fit, and how many were left out.

use serde_json::{json, Map, Value};

/// API Gateway's message quota, 128 KiB: the largest answer the proxy can deliver.
pub(crate) const MAX_ANSWER_BYTES: usize = 128 * 1024;

/// `envelope` plus `field`: the newest `items` (oldest first, as given) whose answer fits in
/// `limit` bytes, and `"omitted"`: how many older ones were left out.
pub(crate) fn newest_that_fit(
    mut envelope: Map<String, Value>,
    field: &str,
    items: Vec<Value>,
    limit: usize,
) -> Value {
    envelope.insert(field.to_owned(), json!([]));
    envelope.insert("omitted".to_owned(), json!(items.len()));
    // The envelope with an empty list and the largest possible count; each item then
    // costs its JSON and a comma.
    let mut left = limit.saturating_sub(Value::Object(envelope.clone()).to_string().len());
    let mut kept = 0;
    for item in items.iter().rev() {
        let cost = item.to_string().len() + usize::from(kept > 0);
        if cost > left {
            break;
        }
        left -= cost;
        kept += 1;
    }
    let omitted = items.len() - kept;
    envelope.insert("omitted".to_owned(), json!(omitted));
    envelope.insert(
        field.to_owned(),
        Value::Array(items.into_iter().skip(omitted).collect()),
    );
    Value::Object(envelope)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn envelope() -> Map<String, Value> {
        match json!({"type": "chat_history", "booking_id": "b1"}) {
            Value::Object(m) => m,
            _ => unreachable!(),
        }
    }

    #[test]
    fn keeps_the_newest_that_fit_and_counts_the_rest() {
        let items: Vec<Value> = (0..100)
            .map(|i| json!({"id": i, "text": "é".repeat(2000)}))
            .collect();
        let all: usize = items.iter().map(|i| i.to_string().len()).sum();
        assert!(all > MAX_ANSWER_BYTES, "the history must not fit: {all}");
        let answer = newest_that_fit(envelope(), "messages", items, MAX_ANSWER_BYTES);
        let size = answer.to_string().len();
        assert!(size <= MAX_ANSWER_BYTES, "{size}");
        let kept = answer["messages"].as_array().unwrap();
        let omitted = answer["omitted"].as_u64().unwrap() as usize;
        assert_eq!(kept.len() + omitted, 100);
        assert_eq!(kept.last().unwrap()["id"], 99, "the newest is kept");
        assert_eq!(kept[0]["id"], omitted, "oldest first, contiguous");
        // One more would not have fitted.
        assert!(size + kept[0].to_string().len() + 1 > MAX_ANSWER_BYTES);
    }

    #[test]
    fn a_small_history_is_whole() {
        let items = vec![json!({"text": "a"}), json!({"text": "b"})];
        let answer = newest_that_fit(envelope(), "messages", items.clone(), MAX_ANSWER_BYTES);
        assert_eq!(answer["messages"], Value::Array(items));
        assert_eq!(answer["omitted"], 0);
        let none = newest_that_fit(envelope(), "messages", vec![json!("x")], 10);
        assert_eq!(
            (none["messages"].clone(), none["omitted"].clone()),
            (json!([]), json!(1))
        );
    }
}
