//! The benchmark's WebSocket client.

use anyhow::{bail, Context};
use futures::StreamExt;
use std::time::Duration;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

/// One client socket.
pub(crate) type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// Longest wait for any one event before the benchmark gives up.
pub(crate) const WAIT: Duration = Duration::from_secs(30);

/// Opens a socket at `url`.
pub(crate) async fn open(url: &str) -> anyhow::Result<Socket> {
    let config = WebSocketConfig::default()
        .read_buffer_size(4 * 1024)
        .write_buffer_size(0);
    let connecting = tokio_tungstenite::connect_async_with_config(url, Some(config), true);
    let (ws, _) = tokio::time::timeout(WAIT, connecting)
        .await
        .context("connect timed out")?
        .with_context(|| format!("could not connect to {url}"))?;
    Ok(ws)
}

/// Opens a chat socket and waits for its ack.
pub(crate) async fn open_chat(ws_url: &str, booking: &str, user: &str) -> anyhow::Result<Socket> {
    let mut ws = open(&format!(
        "{ws_url}?type=chat&booking_id={booking}&token=user:{user}"
    ))
    .await?;
    next_text(&mut ws).await?;
    Ok(ws)
}

/// The next text message.
pub(crate) async fn next_text<S>(ws: &mut S) -> anyhow::Result<String>
where
    S: futures::Stream<Item = Result<Message, tokio_tungstenite::tungstenite::Error>> + Unpin,
{
    loop {
        match tokio::time::timeout(WAIT, ws.next()).await {
            Err(_) => bail!("no message within {WAIT:?}"),
            Ok(Some(Ok(Message::Text(t)))) => return Ok(t.to_string()),
            Ok(Some(Ok(Message::Close(f)))) => bail!("the gateway closed the socket: {f:?}"),
            Ok(Some(Ok(_))) => continue,
            Ok(Some(Err(e))) => return Err(e.into()),
            Ok(None) => bail!("the socket ended"),
        }
    }
}
