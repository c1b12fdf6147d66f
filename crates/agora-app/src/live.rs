//! Live delivery to connected clients: the WebSocket connections this node holds, by account,
//! and the hand-off of frames addressed to accounts.
//!
//! Nothing is pushed from a request: a use case writes an outbox event that names its accounts
//! (see [`agora_core::events::Event::live_push`]); every node's outbox follower reads it after
//! the commit (at once on this node, on the others when PostgreSQL notifies them) and calls
//! [`dispatch`], which hands the frame to the connections of those accounts it holds. So a
//! client gets a push whichever node it is connected to, and never before the change is
//! committed.
//!
//! Each connection has a bounded queue. A client that does not keep up is dropped rather than
//! buffered without limit: its queue is closed and its socket told to reconnect and catch up
//! (the history API gives what it missed). Each account holds a bounded number of connections
//! per node, and the node a bounded number in all (past it, new ones are turned away so that a
//! flood of sockets cannot take the node's memory and file descriptors).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use agora_core::events::Event;
use tokio::sync::mpsc;

/// A frame as sent: JSON text, serialised once for every connection that gets it.
pub type Frame = Arc<str>;

/// Counts the connections dropped because their client did not keep up.
pub const DROPPED_SLOW: &str = "agora_ws_dropped_slow_total";
/// The WebSocket connections this node holds.
pub const CONNECTIONS: &str = "agora_ws_connections";

/// The limits of live delivery.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Frames queued for one connection before its client counts as too slow.
    pub queue: usize,
    /// Connections one account may hold on one node.
    pub per_account: usize,
    /// Connections this node holds in all.
    pub total: usize,
}

/// The connections a node holds in all unless told otherwise.
pub const DEFAULT_MAX_CONNECTIONS: usize = 10_000;

impl Default for Limits {
    fn default() -> Self {
        Limits {
            queue: 64,
            per_account: 8,
            total: DEFAULT_MAX_CONNECTIONS,
        }
    }
}

/// This node's live connections. Cheap to clone.
#[derive(Debug, Clone, Default)]
pub struct Hub {
    inner: Arc<Mutex<Inner>>,
    limits: Limits,
}

#[derive(Debug, Default)]
struct Inner {
    next_id: u64,
    by_account: HashMap<String, Vec<Registered>>,
    /// How many connections `by_account` holds.
    held: usize,
    closing: bool,
}

#[derive(Debug)]
struct Registered {
    id: u64,
    frames: mpsc::Sender<Frame>,
}

/// Why a connection was not taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Refused {
    #[error("this account has too many live connections open")]
    TooMany,
    #[error("this server holds as many live connections as it takes; try again shortly")]
    Full,
    #[error("the server is shutting down")]
    ShuttingDown,
}

/// Why a connection's queue ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ended {
    /// The client did not keep up and was dropped: reconnect and catch up.
    TooSlow,
    /// The node is shutting down: reconnect (to any node).
    ShuttingDown,
}

/// One live connection: the frames addressed to its account. It leaves the hub when dropped.
#[derive(Debug)]
pub struct Connection {
    id: u64,
    account_id: String,
    frames: mpsc::Receiver<Frame>,
    hub: Hub,
}

impl Connection {
    /// The next frame for this connection, or why there will be none.
    pub async fn next(&mut self) -> Result<Frame, Ended> {
        match self.frames.recv().await {
            Some(frame) => Ok(frame),
            None if self.hub.is_closing() => Err(Ended::ShuttingDown),
            None => Err(Ended::TooSlow),
        }
    }

    pub fn account_id(&self) -> &str {
        &self.account_id
    }
}

impl Drop for Connection {
    fn drop(&mut self) {
        self.hub.remove(&self.account_id, self.id);
    }
}

impl Hub {
    pub fn new(limits: Limits) -> Self {
        Hub {
            inner: Arc::default(),
            limits,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // A panic while holding the lock leaves plain data behind; carry on with it.
        self.inner.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Takes a new connection for `account_id`.
    pub fn connect(&self, account_id: &str) -> Result<Connection, Refused> {
        let (tx, rx) = mpsc::channel(self.limits.queue.max(1));
        let mut inner = self.lock();
        if inner.closing {
            return Err(Refused::ShuttingDown);
        }
        let held = inner.by_account.get(account_id).map_or(0, Vec::len);
        if held >= self.limits.per_account {
            return Err(Refused::TooMany);
        }
        if inner.held >= self.limits.total {
            return Err(Refused::Full);
        }
        inner.held += 1;
        inner.next_id += 1;
        let id = inner.next_id;
        inner
            .by_account
            .entry(account_id.to_owned())
            .or_default()
            .push(Registered { id, frames: tx });
        drop(inner);
        metrics::gauge!(CONNECTIONS).increment(1.0);
        Ok(Connection {
            id,
            account_id: account_id.to_owned(),
            frames: rx,
            hub: self.clone(),
        })
    }

    fn remove(&self, account_id: &str, id: u64) {
        let mut inner = self.lock();
        // Counted down once, when the connection goes: a connection dropped for being slow has
        // already left `by_account` but still holds its place until its socket closes.
        inner.held = inner.held.saturating_sub(1);
        if let Some(list) = inner.by_account.get_mut(account_id) {
            list.retain(|r| r.id != id);
            if list.is_empty() {
                inner.by_account.remove(account_id);
            }
        }
        drop(inner);
        metrics::gauge!(CONNECTIONS).decrement(1.0);
    }

    /// Queues `frame` for every connection of `accounts` on this node; a connection whose queue
    /// is full is dropped. Returns how many connections got it.
    pub fn publish(&self, accounts: &[String], frame: &serde_json::Value) -> usize {
        let text: Frame = frame.to_string().into();
        let mut sent = 0;
        let mut inner = self.lock();
        let mut seen: Vec<&String> = Vec::with_capacity(accounts.len());
        for account in accounts {
            if seen.contains(&account) {
                continue;
            }
            seen.push(account);
            let Some(list) = inner.by_account.get_mut(account.as_str()) else {
                continue;
            };
            list.retain(|r| match r.frames.try_send(text.clone()) {
                Ok(()) => {
                    sent += 1;
                    true
                }
                Err(mpsc::error::TrySendError::Full(_)) => {
                    // Dropping the sender ends the connection's queue once it has drained.
                    metrics::counter!(DROPPED_SLOW).increment(1);
                    tracing::info!(account = %account, "dropping a live connection that does not keep up");
                    false
                }
                Err(mpsc::error::TrySendError::Closed(_)) => false,
            });
            if list.is_empty() {
                inner.by_account.remove(account.as_str());
            }
        }
        sent
    }

    /// How many connections this node holds in all.
    pub fn connections(&self) -> usize {
        self.lock().held
    }

    /// How many connections this node holds for `account_id`.
    pub fn connections_of(&self, account_id: &str) -> usize {
        self.lock().by_account.get(account_id).map_or(0, Vec::len)
    }

    fn is_closing(&self) -> bool {
        self.lock().closing
    }

    /// Ends every connection and takes no more: for a node shutting down.
    pub fn close_all(&self) {
        let mut inner = self.lock();
        inner.closing = true;
        inner.by_account.clear();
    }
}

/// Hands what `event` pushes, if anything, to this node's connections of its accounts.
pub fn dispatch(hub: &Hub, event: &Event) {
    if let Some(push) = event.live_push() {
        hub.publish(&push.accounts, &push.frame);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn accounts(ids: &[&str]) -> Vec<String> {
        ids.iter().map(|s| (*s).to_owned()).collect()
    }

    #[tokio::test]
    async fn frames_reach_every_connection_of_the_accounts_named() {
        let hub = Hub::default();
        let mut a1 = hub.connect("acc_a").unwrap();
        let mut a2 = hub.connect("acc_a").unwrap();
        let mut b = hub.connect("acc_b").unwrap();
        let sent = hub.publish(
            &accounts(&["acc_a", "acc_a", "acc_c"]),
            &serde_json::json!({"type": "x"}),
        );
        assert_eq!(sent, 2);
        assert_eq!(&*a1.next().await.unwrap(), r#"{"type":"x"}"#);
        assert_eq!(&*a2.next().await.unwrap(), r#"{"type":"x"}"#);
        assert!(b.frames.try_recv().is_err());
    }

    #[tokio::test]
    async fn a_client_that_does_not_keep_up_is_dropped_not_buffered() {
        let hub = Hub::new(Limits {
            queue: 2,
            per_account: 8,
            total: 100,
        });
        let mut slow = hub.connect("acc_a").unwrap();
        for _ in 0..3 {
            hub.publish(&accounts(&["acc_a"]), &serde_json::json!({"type": "x"}));
        }
        assert_eq!(hub.connections_of("acc_a"), 0);
        // What was queued drains, then the connection learns why it ended.
        assert!(slow.next().await.is_ok());
        assert!(slow.next().await.is_ok());
        assert_eq!(slow.next().await, Err(Ended::TooSlow));
    }

    #[tokio::test]
    async fn an_account_holds_a_bounded_number_of_connections() {
        let hub = Hub::new(Limits {
            queue: 4,
            per_account: 2,
            total: 100,
        });
        let first = hub.connect("acc_a").unwrap();
        let _second = hub.connect("acc_a").unwrap();
        assert_eq!(hub.connect("acc_a").unwrap_err(), Refused::TooMany);
        drop(first);
        assert!(hub.connect("acc_a").is_ok());
        hub.close_all();
        assert_eq!(hub.connect("acc_b").unwrap_err(), Refused::ShuttingDown);
    }

    #[tokio::test]
    async fn a_node_holds_a_bounded_number_of_connections_in_all() {
        let hub = Hub::new(Limits {
            queue: 1,
            per_account: 8,
            total: 3,
        });
        let a = hub.connect("acc_a").unwrap();
        let _b = hub.connect("acc_b").unwrap();
        let mut slow = hub.connect("acc_c").unwrap();
        assert_eq!(hub.connect("acc_d").unwrap_err(), Refused::Full);
        // A client dropped for being slow holds its place until its connection ends.
        for _ in 0..2 {
            hub.publish(&["acc_c".to_owned()], &serde_json::json!({"type": "x"}));
        }
        assert!(slow.next().await.is_ok());
        assert_eq!(slow.next().await, Err(Ended::TooSlow));
        assert_eq!(hub.connections(), 3);
        assert_eq!(hub.connect("acc_d").unwrap_err(), Refused::Full);
        drop(slow);
        drop(a);
        assert_eq!(hub.connections(), 1);
        let _d = hub.connect("acc_d").unwrap();
        let _e = hub.connect("acc_e").unwrap();
        assert_eq!(hub.connect("acc_f").unwrap_err(), Refused::Full);
    }
}
