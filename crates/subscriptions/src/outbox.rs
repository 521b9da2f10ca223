//! A connection's outgoing messages, bounded in bytes: operations queue their messages here and
//! the connection's loop writes them out. A client that stops reading lets the queue fill; past
//! the bound nothing more is queued and the connection is closed, so a slow reader costs at most
//! the bound, never the server's memory.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;

use axum::extract::ws::Message;
use tokio::sync::{mpsc, Notify};

/// Bytes queued for one connection before it counts as left behind.
pub const MAX_QUEUED_BYTES: usize = 16 << 20;

/// The sending side, cloned into every operation of a connection.
#[derive(Clone)]
pub struct Outbox {
    tx: mpsc::UnboundedSender<Message>,
    shared: Arc<Shared>,
}

struct Shared {
    queued: AtomicUsize,
    overflowed: AtomicBool,
    overflow: Notify,
    limit: usize,
}

/// The receiving side, owned by the connection's loop.
pub struct Inbox {
    rx: mpsc::UnboundedReceiver<Message>,
    shared: Arc<Shared>,
}

/// A new queue holding at most `limit` bytes.
pub fn channel(limit: usize) -> (Outbox, Inbox) {
    let (tx, rx) = mpsc::unbounded_channel();
    let shared = Arc::new(Shared {
        queued: AtomicUsize::new(0),
        overflowed: AtomicBool::new(false),
        overflow: Notify::new(),
        limit,
    });
    (
        Outbox {
            tx,
            shared: shared.clone(),
        },
        Inbox { rx, shared },
    )
}

fn size(m: &Message) -> usize {
    match m {
        Message::Text(t) => t.len(),
        Message::Binary(b) => b.len(),
        _ => 16,
    }
}

impl Outbox {
    /// Queues `m`, unless the queue is over its bound (then the connection is told to close).
    pub fn send(&self, m: Message) {
        let n = size(&m);
        let before = self.shared.queued.fetch_add(n, Ordering::AcqRel);
        if before + n > self.shared.limit || self.shared.overflowed.load(Ordering::Acquire) {
            self.shared.queued.fetch_sub(n, Ordering::AcqRel);
            if !self.shared.overflowed.swap(true, Ordering::AcqRel) {
                self.shared.overflow.notify_one();
            }
            return;
        }
        if self.tx.send(m).is_err() {
            self.shared.queued.fetch_sub(n, Ordering::AcqRel);
        }
    }
}

impl Inbox {
    /// The next queued message.
    pub async fn recv(&mut self) -> Option<Message> {
        let m = self.rx.recv().await?;
        self.shared.queued.fetch_sub(size(&m), Ordering::AcqRel);
        Some(m)
    }

    /// A queued message, if one is ready.
    pub fn try_recv(&mut self) -> Option<Message> {
        let m = self.rx.try_recv().ok()?;
        self.shared.queued.fetch_sub(size(&m), Ordering::AcqRel);
        Some(m)
    }

    /// Bytes queued now.
    pub fn queued(&self) -> usize {
        self.shared.queued.load(Ordering::Acquire)
    }

    /// What tells the loop that the queue went over its bound.
    pub fn overflow(&self) -> Overflow {
        Overflow(self.shared.clone())
    }
}

/// Says when a queue went over its bound.
pub struct Overflow(Arc<Shared>);

impl Overflow {
    /// Resolves once the queue went over its bound.
    pub async fn wait(&self) {
        if self.0.overflowed.load(Ordering::Acquire) {
            return;
        }
        self.0.overflow.notified().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn refuses_past_its_bound_and_says_so() {
        let (out, mut inbox) = channel(10);
        out.send(Message::Text("12345".into()));
        out.send(Message::Text("12345".into()));
        assert_eq!(inbox.queued(), 10);
        out.send(Message::Text("1".into()));
        // The third did not fit: the connection is told, and nothing more is queued.
        tokio::time::timeout(std::time::Duration::from_secs(1), inbox.overflow().wait())
            .await
            .expect("overflow noticed");
        assert_eq!(inbox.queued(), 10);
        assert!(inbox.recv().await.is_some());
        assert_eq!(inbox.queued(), 5);
        out.send(Message::Text("1".into()));
        assert_eq!(inbox.queued(), 5, "an overflowed queue takes nothing more");
    }
}
