//! A real WebSocket client (tokio-tungstenite) with assertions that wait for events,
//! never for the clock: every wait has a generous limit only so a broken build cannot hang.

use futures::{SinkExt, StreamExt};
use serde_json::Value;
use std::time::Duration;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::{self, protocol::frame::coding::CloseCode, Message};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

/// How long any single wait may take before the test fails.
pub const WAIT: Duration = Duration::from_secs(10);

/// A refused upgrade: the HTTP status and body the client saw.
#[derive(Debug, Clone)]
pub struct Refusal {
    /// HTTP status of the refused handshake.
    pub status: u16,
    /// Body of the refusal, as text.
    pub body: String,
}

/// An open WebSocket.
pub struct Client {
    ws: WebSocketStream<MaybeTlsStream<TcpStream>>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client").finish_non_exhaustive()
    }
}

impl Client {
    /// Opens a socket, or returns the refusal.
    pub async fn connect(url: &str) -> Result<Self, Refusal> {
        let attempt = tokio::time::timeout(WAIT, tokio_tungstenite::connect_async(url))
            .await
            .expect("the handshake did not finish");
        match attempt {
            Ok((ws, _)) => Ok(Self { ws }),
            Err(tungstenite::Error::Http(response)) => Err(Refusal {
                status: response.status().as_u16(),
                body: response
                    .body()
                    .as_ref()
                    .map(|b| String::from_utf8_lossy(b).into_owned())
                    .unwrap_or_default(),
            }),
            Err(e) => panic!("connect to {url} failed: {e}"),
        }
    }

    /// Opens a socket that must be accepted.
    pub async fn open(url: &str) -> Self {
        match Self::connect(url).await {
            Ok(c) => c,
            Err(r) => panic!("connect to {url} refused: {} {}", r.status, r.body),
        }
    }

    /// Sends a text frame.
    pub async fn send(&mut self, text: impl Into<String>) {
        self.ws
            .send(Message::text(text.into()))
            .await
            .expect("send failed");
    }

    /// Sends a JSON value as text.
    pub async fn send_json(&mut self, value: &Value) {
        self.send(value.to_string()).await;
    }

    /// Sends a raw message (binary, or a large one).
    pub async fn send_message(&mut self, message: Message) -> Result<(), tungstenite::Error> {
        self.ws.send(message).await
    }

    /// The next text message, parsed as JSON.
    pub async fn recv_json(&mut self) -> Value {
        let text = self.recv_text().await;
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
    }

    /// The next text message.
    pub async fn recv_text(&mut self) -> String {
        loop {
            let next = tokio::time::timeout(WAIT, self.ws.next())
                .await
                .expect("no message arrived");
            match next {
                Some(Ok(Message::Text(t))) => return t.to_string(),
                Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
                other => panic!("expected a text message, got {other:?}"),
            }
        }
    }

    /// Waits for the server's close frame and returns its code (or `None` for a bare close).
    pub async fn closed(&mut self) -> Option<u16> {
        loop {
            let next = tokio::time::timeout(WAIT, self.ws.next())
                .await
                .expect("the socket was not closed");
            match next {
                Some(Ok(Message::Close(frame))) => return frame.map(|f| u16::from(f.code)),
                Some(Ok(_)) => continue,
                Some(Err(_)) | None => return None,
            }
        }
    }

    /// Closes the socket with a normal close frame.
    pub async fn close(mut self) {
        let _ = self
            .ws
            .close(Some(tungstenite::protocol::CloseFrame {
                code: CloseCode::Normal,
                reason: "bye".into(),
            }))
            .await;
        let _ = tokio::time::timeout(WAIT, async { while self.ws.next().await.is_some() {} }).await;
    }

    /// Drops the TCP connection without a close frame.
    pub fn vanish(self) {
        drop(self.ws);
    }

    /// Resets the TCP connection (SO_LINGER 0, then close: the peer gets an RST), as a
    /// client that loses power or network does; no close frame is sent.
    pub fn reset(self) {
        if let MaybeTlsStream::Plain(tcp) = self.ws.get_ref() {
            tcp.set_zero_linger()
                .expect("SO_LINGER 0 on the client socket");
        }
        drop(self.ws);
    }
}
