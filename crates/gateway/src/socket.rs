//! One open socket: its read and write loops, its quotas, its close, its `$disconnect`.

use crate::budget::{BacklogSlot, Budget, Metered};
use crate::connections::{to_message, CloseRequest, Handle, HandleEnds};
use crate::ending::{by_client, classify, over_budget, Ending};
use crate::event::{error_frame, invoke, ConnectionMeta, EventType, Integration, RouteEvent};
use crate::routes::{RouteSelector, DEFAULT_ROUTE, DISCONNECT_ROUTE};
use crate::{Connections, Quotas, SendError};
use base64::Engine as _;
use bytes::Bytes;
use futures::stream::{SplitSink, SplitStream};
use futures::{SinkExt as _, StreamExt as _};
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt as _, AsyncWrite, AsyncWriteExt as _};
use tokio::sync::{mpsc, oneshot};
use tokio::time::{sleep_until, timeout, Instant};
use tokio_tungstenite::tungstenite::protocol::{CloseFrame, Role, WebSocketConfig};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::WebSocketStream;
use tracing::{debug, info, warn, Instrument as _};
use wsproxy_core::metrics::{close_code_label, BYTES_IN, BYTES_OUT, OPEN_SOCKETS, SOCKETS_CLOSED};

/// How long a closing socket waits for its peer (close reply, queued writes) before dropping it.
const CLOSE_GRACE: Duration = Duration::from_secs(2);
/// Client messages waiting for their route, per socket, besides their bytes counting against
/// the socket's budget: each is a backend call, and `$disconnect` waits for them.
const MESSAGE_BACKLOG: usize = 32;
/// Room in tungstenite's write buffer beyond the budget, for the control frame that finds
/// the budget full and the close frame.
const WRITE_BUFFER_SLACK: usize = 4 * 1024;

/// A client message waiting for its route, with its place in the socket's budget.
type Job = (Box<RouteEvent>, BacklogSlot);

/// The tungstenite settings that enforce the frame and message quotas.
///
/// Buffers start small (1 KiB read, eager writes) so an idle socket costs little; they
/// grow only while a large message passes. The socket's [`Budget`] counts what tungstenite
/// holds for writing and closes the socket before it holds more than the budget; the write
/// buffer's own cap is a backstop past that (over it tungstenite refuses a data frame and
/// keeps one pong instead of one per ping).
fn ws_config(quotas: &Quotas) -> WebSocketConfig {
    WebSocketConfig::default()
        .read_buffer_size(1024)
        .write_buffer_size(0)
        .max_write_buffer_size(quotas.socket_budget_bytes + WRITE_BUFFER_SLACK)
        .max_frame_size(Some(quotas.max_frame_bytes))
        .max_message_size(Some(quotas.max_message_bytes))
}

/// The cost of a client message waiting for its route: the event and every string in it.
fn event_cost(event: &RouteEvent) -> usize {
    std::mem::size_of::<RouteEvent>()
        + event.route_key.len()
        + event.connection_id.len()
        + event.stage.len()
        + event.domain_name.len()
        + event.source_ip.len()
        + event.user_agent.as_ref().map_or(0, String::len)
        + event.body.as_ref().map_or(0, String::len)
}

/// Everything a socket task needs.
pub(crate) struct SocketContext {
    pub handle: Arc<Handle>,
    pub ends: HandleEnds,
    pub connections: Arc<Connections>,
    pub integration: Arc<dyn Integration>,
    pub selector: Arc<RouteSelector>,
    pub quotas: Quotas,
    /// When the connection was accepted (start of the maximum duration).
    pub started: Instant,
}

/// Runs an upgraded connection as a WebSocket to its end, then `$disconnect`.
pub(crate) async fn run<S>(io: S, ctx: SocketContext)
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let budget = ctx.handle.budget().clone();
    let io = Metered::new(io, budget.clone());
    let config = ws_config(&ctx.quotas);
    let ws = WebSocketStream::from_raw_socket(io, Role::Server, Some(config)).await;
    let SocketContext {
        handle,
        ends: HandleEnds { outgoing, close },
        connections,
        integration,
        selector,
        quotas,
        started,
    } = ctx;
    let (sink, mut stream) = ws.split();
    let (close_tx, close_rx) = oneshot::channel();
    let (failed_tx, failed_rx) = oneshot::channel();
    let mut writer = tokio::spawn(
        write_loop(sink, outgoing, budget.clone(), close_rx, failed_tx).in_current_span(),
    );
    let (messages, backlog) = mpsc::channel(MESSAGE_BACKLOG);
    let dispatcher = tokio::spawn(
        dispatch_loop(
            integration.clone(),
            connections.clone(),
            handle.meta.connection_id.clone(),
            backlog,
        )
        .in_current_span(),
    );

    let reader = Reader {
        handle: &handle,
        budget: &budget,
        selector: &selector,
        messages: &messages,
        idle: quotas.idle_timeout,
        ends_at: started + quotas.max_duration,
    };
    metrics::gauge!(OPEN_SOCKETS.name).increment(1.0);
    let ending = reader.run(&mut stream, close, failed_rx).await;
    metrics::gauge!(OPEN_SOCKETS.name).decrement(1.0);
    // Gone from the table at once: pushes from now on are 410.
    connections.remove(&handle);
    drop(messages);
    let (code, reason) = ending.code_and_reason();
    metrics::counter!(SOCKETS_CLOSED.name, "code" => close_code_label(code)).increment(1);
    debug!(code, reason, "closing");

    let _ = close_tx.send(ending.frame_to_send());
    let sink = match timeout(CLOSE_GRACE, &mut writer).await {
        Ok(Ok(sink)) => Some(sink),
        Ok(Err(e)) => {
            warn!(error = %e, "the socket's writer failed");
            None
        }
        Err(_) => {
            debug!("the client is not reading; dropping the socket");
            writer.abort();
            None
        }
    };
    if let Some(sink) = sink {
        if let Ok(ws) = stream.reunite(sink) {
            finish_close(ws, &ending).await;
        }
    }

    if dispatcher.await.is_err() {
        warn!("the message dispatcher failed");
    }
    run_disconnect(integration.as_ref(), &handle.meta, code, reason).await;
}

/// Completes the closing handshake, then drops the connection.
async fn finish_close<S>(mut ws: WebSocketStream<S>, ending: &Ending)
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    match ending {
        Ending::ByClient { .. } | Ending::ByServer { .. } => {
            // Read until the peer's close reply (or EOF): tungstenite then ends the stream.
            let _ = timeout(CLOSE_GRACE, async {
                while let Some(Ok(_)) = ws.next().await {}
            })
            .await;
        }
        Ending::Violation { .. } => {
            // The reader is mid-frame and unusable: half-close, then discard whatever the
            // client still sends until it closes, so it reads our close frame, not a reset.
            let io = ws.get_mut();
            let _ = io.shutdown().await;
            let _ = timeout(CLOSE_GRACE, async {
                let mut buf = vec![0u8; 16 * 1024];
                while matches!(io.read(&mut buf).await, Ok(n) if n > 0) {}
            })
            .await;
        }
        Ending::Lost { .. } => {}
    }
}

/// Runs `$disconnect` for a connection with the given close code and reason.
pub(crate) async fn run_disconnect(
    integration: &dyn Integration,
    meta: &ConnectionMeta,
    code: u16,
    reason: &str,
) {
    let mut event = meta.event(DISCONNECT_ROUTE, EventType::Disconnect);
    event.disconnect_status_code = Some(code);
    event.disconnect_reason = Some(reason.to_owned());
    let answer = invoke(integration, event).await;
    info!(code, reason, status = answer.status, "disconnected");
}

/// The reading side of a socket and its timers.
struct Reader<'a> {
    handle: &'a Handle,
    budget: &'a Budget,
    selector: &'a RouteSelector,
    messages: &'a mpsc::Sender<Job>,
    idle: Duration,
    ends_at: Instant,
}

impl Reader<'_> {
    /// Reads frames until the socket ends. A client message waits for room in the route
    /// backlog before the next frame is read (so a client sending faster than its route
    /// answers is slowed down, not closed); a ping, whose pong tungstenite queues, or a
    /// message that takes the socket past its budget closes it with 1008.
    async fn run<S>(
        &self,
        stream: &mut SplitStream<WebSocketStream<S>>,
        mut close: oneshot::Receiver<CloseRequest>,
        mut write_failed: oneshot::Receiver<String>,
    ) -> Ending
    where
        S: AsyncRead + AsyncWrite + Unpin,
    {
        let mut last_frame = Instant::now();
        let mut waiting: Option<(Box<RouteEvent>, usize)> = None;
        loop {
            let cost = waiting.as_ref().map_or(0, |(_, cost)| *cost);
            tokio::select! {
                frame = stream.next(), if waiting.is_none() => {
                    let message = match frame {
                        Some(Ok(message)) => message,
                        Some(Err(e)) => return classify(e),
                        None => return Ending::Lost { reason: "connection closed without a close frame".into() },
                    };
                    last_frame = Instant::now();
                    self.handle.touch();
                    metrics::counter!(BYTES_IN.name).increment(message.len() as u64);
                    let (body, binary) = match message {
                        Message::Text(text) => (text.as_str().to_owned(), false),
                        Message::Binary(data) => (base64::engine::general_purpose::STANDARD.encode(&data), true),
                        Message::Close(frame) => return by_client(frame),
                        Message::Ping(data) => {
                            // tungstenite has queued the pong: it counts until written.
                            if !self.budget.hand_control(data.len()) {
                                return over_budget("pongs");
                            }
                            continue;
                        }
                        Message::Pong(_) | Message::Frame(_) => continue,
                    };
                    let route = if binary { DEFAULT_ROUTE.to_owned() } else { self.selector.select(&body) };
                    let mut event = self.handle.meta.event(&route, EventType::Message);
                    event.body = Some(body);
                    event.is_base64_encoded = binary;
                    let cost = event_cost(&event);
                    waiting = Some((Box::new(event), cost));
                }
                room = self.room(cost), if waiting.is_some() => {
                    let Some((permit, slot)) = room else {
                        return Ending::ByServer { code: 1011, reason: "Internal server error".into() };
                    };
                    if !self.budget.check() {
                        return over_budget("messages waiting for their route");
                    }
                    if let Some((event, _)) = waiting.take() {
                        permit.send((event, slot));
                    }
                }
                _ = sleep_until(last_frame + self.idle), if waiting.is_none() => {
                    info!(idle_ms = self.idle.as_millis() as u64, "idle timeout");
                    return Ending::ByServer { code: 1001, reason: "Going away".into() };
                }
                _ = sleep_until(self.ends_at) => {
                    info!("maximum connection duration reached");
                    return Ending::ByServer { code: 1001, reason: "Going away".into() };
                }
                request = &mut close => {
                    let CloseRequest { code, reason } = request.unwrap_or(CloseRequest { code: 1001, reason: "Going away".into() });
                    return Ending::ByServer { code, reason };
                }
                failure = &mut write_failed => {
                    let reason = failure.unwrap_or_else(|_| "the writer stopped".into());
                    return Ending::Lost { reason: format!("write failed: {reason}") };
                }
            }
        }
    }

    /// Waits for a place in the route backlog for a message costing `cost` bytes; `None`
    /// when the dispatcher is gone.
    async fn room(&self, cost: usize) -> Option<(mpsc::Permit<'_, Job>, BacklogSlot)> {
        let permit = self.messages.reserve().await.ok()?;
        let slot = self.budget.backlog_slot(cost).await;
        Some((permit, slot))
    }
}

/// Writes queued messages in order; on request, sends the close frame and gives the sink back.
async fn write_loop<S>(
    mut sink: SplitSink<WebSocketStream<S>, Message>,
    mut outgoing: mpsc::UnboundedReceiver<Bytes>,
    budget: Arc<Budget>,
    mut close: oneshot::Receiver<Option<CloseFrame>>,
    failed: oneshot::Sender<String>,
) -> SplitSink<WebSocketStream<S>, Message>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let mut failed = Some(failed);
    let mut writing = true;
    loop {
        tokio::select! {
            biased;
            request = &mut close => {
                let _ = match request.ok().flatten() {
                    Some(frame) => sink.send(Message::Close(Some(frame))).await,
                    // Flushes a close reply tungstenite may have queued.
                    None => sink.flush().await,
                };
                return sink;
            }
            message = outgoing.recv(), if writing => match message {
                Some(data) => {
                    metrics::counter!(BYTES_OUT.name).increment(data.len() as u64);
                    budget.hand_message(data.len());
                    if let Err(e) = sink.send(to_message(data)).await {
                        writing = false;
                        if let Some(f) = failed.take() {
                            let _ = f.send(e.to_string());
                        }
                    }
                }
                None => writing = false,
            },
        }
    }
}

/// Hands client messages to the integration one at a time, in order, and sends the client
/// what the integration answers it ([`crate::IntegrationResponse::reply`]) like a push: a
/// reply over the message quota is not sent, the client gets API Gateway's error frame.
async fn dispatch_loop(
    integration: Arc<dyn Integration>,
    connections: Arc<Connections>,
    connection_id: String,
    mut backlog: mpsc::Receiver<Job>,
) {
    while let Some((event, slot)) = backlog.recv().await {
        let route = event.route_key.clone();
        let answer = invoke(integration.as_ref(), *event).await;
        drop(slot);
        debug!(route = %route, status = answer.status, "route answered");
        let Some(reply) = answer.reply else {
            continue;
        };
        match connections.send(&connection_id, reply) {
            Ok(()) | Err(SendError::Gone(_)) => {}
            Err(e @ SendError::TooLarge { .. }) => {
                warn!(route = %route, "the route's response is not sent: {e}");
                let frame = error_frame("Internal server error", &connection_id, None);
                let _ = connections.send(&connection_id, frame);
            }
        }
    }
}

#[cfg(test)]
mod tests;
