//! One socket's byte budget: every byte the gateway holds for a socket counts against it.
//!
//! Three things hold bytes for a socket:
//! - its outgoing queue (pushes and `$connect`'s after-open messages), counted when queued;
//! - tungstenite's write buffer (data frames, the pong it queues for every ping, the close
//!   frame), counted as the frame bytes handed to tungstenite minus the bytes the socket
//!   actually wrote, which [`Metered`] counts under tungstenite;
//! - the client's messages waiting for their route, which may use at most half the budget:
//!   past that the gateway stops reading the socket until the route catches up.
//!
//! A push, a ping or a client message that would take the total past the budget means the
//! client is not reading what it is sent: the socket is closed with 1008.

use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// The close code of a socket over its budget.
pub(crate) const OVER_BUDGET_CODE: u16 = 1008;
/// The close reason of a socket over its budget.
pub(crate) const OVER_BUDGET_REASON: &str =
    "Policy Violation: the client is not reading its messages";
/// What one queued outgoing message costs besides its payload (its `Bytes` and queue slot).
pub(crate) const MESSAGE_OVERHEAD: usize = 64;

/// Pushing would take the socket past its budget, or it already went past it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Refused {
    /// This message overflowed the budget: the caller closes the socket with 1008.
    Overflow,
    /// The budget overflowed earlier; the socket is closing.
    Closed,
}

/// The bytes one socket holds, and its limit.
#[derive(Debug)]
pub(crate) struct Budget {
    limit: usize,
    usage: Mutex<Usage>,
    /// Bytes the socket wrote to the network, counted by [`Metered`].
    written: AtomicU64,
    /// Client messages waiting for their route; one permit per byte, half the budget.
    backlog: Arc<Semaphore>,
    backlog_limit: usize,
}

#[derive(Debug, Default)]
struct Usage {
    /// Outgoing messages not yet handed to tungstenite, overhead included.
    queued: usize,
    /// Frame bytes ever handed to tungstenite for writing.
    handed: u64,
    overflowed: bool,
}

/// A client message's place in the route backlog; dropping it frees the place.
#[derive(Debug)]
pub(crate) struct BacklogSlot {
    _permit: OwnedSemaphorePermit,
}

impl Budget {
    /// An empty budget of `limit` bytes.
    pub(crate) fn new(limit: usize) -> Self {
        let backlog_limit = (limit / 2).clamp(1, u32::MAX as usize);
        Self {
            limit,
            usage: Mutex::new(Usage::default()),
            written: AtomicU64::new(0),
            backlog: Arc::new(Semaphore::new(backlog_limit)),
            backlog_limit,
        }
    }

    /// Bytes held for the socket now.
    #[cfg(test)]
    pub(crate) fn held(&self) -> usize {
        self.held_with(&self.lock())
    }

    /// Counts an outgoing message of `len` bytes, or refuses it when it does not fit; the
    /// first refusal marks the budget overflowed, and every later message is refused too.
    pub(crate) fn queue(&self, len: usize) -> Result<(), Refused> {
        let mut usage = self.lock();
        if usage.overflowed {
            return Err(Refused::Closed);
        }
        if self.held_with(&usage) + len + MESSAGE_OVERHEAD > self.limit {
            usage.overflowed = true;
            return Err(Refused::Overflow);
        }
        usage.queued += len + MESSAGE_OVERHEAD;
        Ok(())
    }

    /// A queued message of `len` bytes leaves the queue for tungstenite, as one data frame.
    pub(crate) fn hand_message(&self, len: usize) {
        let mut usage = self.lock();
        usage.queued = usage.queued.saturating_sub(len + MESSAGE_OVERHEAD);
        usage.handed += frame_len(len);
    }

    /// tungstenite queued a control frame (pong or close) with `payload` bytes; false when
    /// that takes the socket past its budget (the budget is then marked overflowed).
    pub(crate) fn hand_control(&self, payload: usize) -> bool {
        let mut usage = self.lock();
        usage.handed += frame_len(payload);
        if self.held_with(&usage) > self.limit {
            usage.overflowed = true;
        }
        !usage.overflowed
    }

    /// Waits for room for a client message costing `cost` bytes in the route backlog.
    /// Cancel-safe: nothing is taken until it returns.
    pub(crate) async fn backlog_slot(&self, cost: usize) -> BacklogSlot {
        let permits = cost.clamp(1, self.backlog_limit) as u32;
        let permit = self
            .backlog
            .clone()
            .acquire_many_owned(permits)
            .await
            .expect("the backlog semaphore is never closed");
        BacklogSlot { _permit: permit }
    }

    /// False, and the budget marked overflowed, when what the socket holds is past its limit
    /// (checked once a client message has its place in the backlog).
    pub(crate) fn check(&self) -> bool {
        let mut usage = self.lock();
        if self.held_with(&usage) > self.limit {
            usage.overflowed = true;
        }
        !usage.overflowed
    }

    fn held_with(&self, usage: &Usage) -> usize {
        let unwritten = usage
            .handed
            .saturating_sub(self.written.load(Ordering::Relaxed));
        let backlog = self.backlog_limit - self.backlog.available_permits();
        usage.queued + usize::try_from(unwritten).unwrap_or(usize::MAX) + backlog
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Usage> {
        self.usage.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Size of a server (unmasked) frame with `payload` bytes.
fn frame_len(payload: usize) -> u64 {
    let header = match payload {
        0..=125 => 2,
        126..=65_535 => 4,
        _ => 10,
    };
    (header + payload) as u64
}

/// The socket under tungstenite, counting the bytes written to the network into a [`Budget`].
#[derive(Debug)]
pub(crate) struct Metered<S> {
    inner: S,
    budget: Arc<Budget>,
}

impl<S> Metered<S> {
    /// Wraps `inner`; its writes are credited to `budget`.
    pub(crate) fn new(inner: S, budget: Arc<Budget>) -> Self {
        Self { inner, budget }
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Metered<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Metered<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        let result = Pin::new(&mut self.inner).poll_write(cx, buf);
        if let Poll::Ready(Ok(n)) = result {
            self.budget.written.fetch_add(n as u64, Ordering::Relaxed);
        }
        result
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::AsyncWriteExt as _;

    #[test]
    fn frames_are_counted_with_their_header() {
        assert_eq!(frame_len(0), 2);
        assert_eq!(frame_len(125), 127);
        assert_eq!(frame_len(126), 130);
        assert_eq!(frame_len(65_535), 65_539);
        assert_eq!(frame_len(65_536), 65_546);
    }

    #[test]
    fn a_message_that_does_not_fit_overflows_and_every_later_one_is_refused() {
        let b = Budget::new(1000);
        assert_eq!(b.queue(400), Ok(()));
        assert_eq!(b.held(), 400 + MESSAGE_OVERHEAD);
        assert_eq!(b.queue(400), Ok(()));
        assert_eq!(b.queue(100), Err(Refused::Overflow));
        assert_eq!(b.queue(1), Err(Refused::Closed));
        assert!(!b.check());
    }

    #[tokio::test]
    async fn bytes_count_until_the_socket_writes_them() {
        let b = Arc::new(Budget::new(1000));
        b.queue(300).unwrap();
        b.hand_message(300);
        // Handed to tungstenite, not yet written: still held, header included.
        assert_eq!(b.held(), 304);
        let mut io = Metered::new(Vec::new(), b.clone());
        io.write_all(&[0; 200]).await.unwrap();
        assert_eq!(b.held(), 104);
        io.write_all(&[0; 104]).await.unwrap();
        assert_eq!(b.held(), 0);
        // Once everything is written, the whole budget is free again.
        assert_eq!(b.queue(1000 - MESSAGE_OVERHEAD), Ok(()));
    }

    #[test]
    fn unwritten_pongs_overflow_the_budget() {
        let b = Budget::new(1000);
        let mut pongs = 0;
        while b.hand_control(125) {
            pongs += 1;
        }
        // 7 pongs of 127 bytes fit in 1000, the 8th does not.
        assert_eq!(pongs, 7);
        assert_eq!(b.queue(0), Err(Refused::Closed));
    }

    #[tokio::test]
    async fn the_backlog_takes_half_the_budget_and_waits_for_room() {
        let b = Arc::new(Budget::new(1000));
        let first = b.backlog_slot(300).await;
        assert_eq!(b.held(), 300);
        let waiting = tokio::spawn({
            let b = b.clone();
            async move { b.backlog_slot(300).await }
        });
        tokio::task::yield_now().await;
        assert!(!waiting.is_finished(), "500 bytes of backlog at most");
        // Outgoing data still has the other half.
        assert_eq!(b.queue(500 - MESSAGE_OVERHEAD), Ok(()));
        drop(first);
        let _second = waiting.await.unwrap();
        assert_eq!(b.held(), 800);
        assert!(b.check());
        // A pong fits, the next one takes the socket past its budget.
        assert!(b.hand_control(125));
        assert!(!b.hand_control(125));
        assert!(!b.check());
    }
}
