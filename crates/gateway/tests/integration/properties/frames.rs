//! Frame and message quotas on a real socket: any sequence of fragmented text messages is
//! delivered in order up to the first one with a frame or a total over the quota, which
//! closes the socket with 1009; nothing after it is delivered.

use super::{check, runtime};
use crate::common::{expect_close, within, TestGateway, Ws};
use bytes::Bytes;
use futures::SinkExt as _;
use proptest::prelude::*;
use tokio_tungstenite::tungstenite::protocol::frame::coding::{Data, OpCode};
use tokio_tungstenite::tungstenite::protocol::frame::Frame;
use tokio_tungstenite::tungstenite::Message;
use wsproxy_gateway::{EventType, GatewayConfig, Quotas};

const MAX_FRAME: usize = 64;
const MAX_MESSAGE: usize = 256;

/// Sends one message as frames of the given sizes; errors (a closed socket) are ignored.
async fn send_frames(ws: &mut Ws, sizes: &[usize], fill: u8) {
    for (i, size) in sizes.iter().enumerate() {
        let opcode = if i == 0 {
            OpCode::Data(Data::Text)
        } else {
            OpCode::Data(Data::Continue)
        };
        let payload = Bytes::from(vec![fill; *size]);
        let frame = Frame::message(payload, opcode, i + 1 == sizes.len());
        if ws.feed(Message::Frame(frame)).await.is_err() {
            return;
        }
    }
    let _ = ws.flush().await;
}

fn over_quota(sizes: &[usize]) -> bool {
    sizes.iter().any(|s| *s > MAX_FRAME) || sizes.iter().sum::<usize>() > MAX_MESSAGE
}

pub(super) fn sequences(cases: u32) {
    let rt = runtime();
    let quotas = Quotas {
        max_frame_bytes: MAX_FRAME,
        max_message_bytes: MAX_MESSAGE,
        ..Quotas::default()
    };
    let gw = rt.block_on(TestGateway::start(GatewayConfig {
        quotas,
        ..GatewayConfig::default()
    }));
    // Sizes cluster around the limits: small, just under, at and just over.
    let size = prop_oneof![
        1..8usize,
        (MAX_FRAME - 2)..=(MAX_FRAME + 2),
        1..=(MAX_FRAME * 2),
    ];
    let message = proptest::collection::vec(size, 1..7);
    let messages = proptest::collection::vec(message, 1..5);
    check(cases, messages, |messages| {
        rt.block_on(async {
            let (mut ws, id) = gw.connect("").await;
            for (i, sizes) in messages.iter().enumerate() {
                send_frames(&mut ws, sizes, b'a' + (i as u8)).await;
            }
            let delivered: Vec<&Vec<usize>> =
                messages.iter().take_while(|m| !over_quota(m)).collect();
            let expected: Vec<String> = delivered
                .iter()
                .enumerate()
                .map(|(i, sizes)| {
                    String::from_utf8(vec![b'a' + i as u8; sizes.iter().sum()]).unwrap()
                })
                .collect();
            if delivered.len() < messages.len() {
                let frame = expect_close(&mut ws).await.expect("a close frame");
                assert_eq!(u16::from(frame.code), 1009, "{messages:?}");
                // The gateway discards what follows until the client closes its end.
                drop(ws);
                let gone = gw.recorder.disconnect_of(&id).await;
                assert_eq!(gone.disconnect_status_code, Some(1009));
            } else {
                within("the close", ws.close(None)).await.ok();
                drop(ws);
                gw.recorder.disconnect_of(&id).await;
            }
            let got: Vec<String> = if expected.is_empty() {
                Vec::new()
            } else {
                gw.recorder
                    .messages_of(&id, expected.len())
                    .await
                    .into_iter()
                    .filter_map(|e| e.body)
                    .collect()
            };
            let all = gw
                .recorder
                .events()
                .into_iter()
                .filter(|e| e.event_type == EventType::Message && e.connection_id == id)
                .count();
            assert_eq!(got, expected, "{messages:?}");
            assert_eq!(all, expected.len(), "{messages:?}");
        });
    });
}

#[test]
fn oversize_frames_and_messages_close_with_1009() {
    sequences(300);
}
