//! API Gateway's WebSocket proxy events, as recorded fixtures (`fixtures/`): what a Lambda
//! proxy integration receives for `$connect`, a message (`$default`) and `$disconnect`.
//! Several crates' tests read them: the gateway checks the events it generates against them,
//! the Lambda host handles them.

/// The `$connect` event.
pub const APIGW_CONNECT: &str = include_str!("../fixtures/apigw-websocket-connect.json");
/// A message event (`$default`).
pub const APIGW_MESSAGE: &str = include_str!("../fixtures/apigw-websocket-message.json");
/// The `$disconnect` event.
pub const APIGW_DISCONNECT: &str = include_str!("../fixtures/apigw-websocket-disconnect.json");

/// The three events, in the order connect, message, disconnect.
pub const APIGW_EVENTS: [&str; 3] = [APIGW_CONNECT, APIGW_MESSAGE, APIGW_DISCONNECT];

/// A fixture by its file name (`apigw-websocket-connect.json`), as JSON; `None` for a name
/// that is not one of them.
pub fn apigw_event(file_name: &str) -> Option<serde_json::Value> {
    let text = match file_name {
        "apigw-websocket-connect.json" => APIGW_CONNECT,
        "apigw-websocket-message.json" => APIGW_MESSAGE,
        "apigw-websocket-disconnect.json" => APIGW_DISCONNECT,
        _ => return None,
    };
    Some(serde_json::from_str(text).expect("the fixtures are JSON"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_fixture_is_its_event_type() {
        for (name, kind) in [
            ("apigw-websocket-connect.json", "CONNECT"),
            ("apigw-websocket-message.json", "MESSAGE"),
            ("apigw-websocket-disconnect.json", "DISCONNECT"),
        ] {
            let event = apigw_event(name).expect(name);
            assert_eq!(event["requestContext"]["eventType"], kind, "{name}");
        }
        assert_eq!(apigw_event("apigw-websocket-other.json"), None);
        assert_eq!(apigw_event("../Cargo.toml"), None);
    }
}
