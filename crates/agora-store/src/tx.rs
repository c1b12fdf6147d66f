//! A writing transaction on either engine.
//!
//! Most transactions are sqlx's own: `BEGIN` when they start, `COMMIT` or `ROLLBACK` when they
//! end. A transaction on SQLite's one writer connection that sends a few large strings of
//! statements (a checkout) can instead carry its `BEGIN` in its first string and its `COMMIT` in
//! its last ([`crate::Db::begin_with_first`], [`Tx::opening`], [`Tx::commit_with`]): each
//! hand-over to the connection's thread costs two thread wake-ups while every other writer waits,
//! and this saves two of a checkout's four.

use std::borrow::Cow;
use std::ops::{Deref, DerefMut};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use sqlx::pool::PoolConnection;
use sqlx::{Any, AnyConnection, Transaction};
use tokio::sync::watch;

use crate::batch::Batch;

/// A writing transaction. It derefs to its connection, so queries run on it as on any
/// connection. Committing it tells this process's outbox follower to look for new events at once
/// (other nodes hear of them from PostgreSQL; see [`crate::outbox::Signal`]), and, unless it was
/// declared [`Tx::leaves_storefront_alone`], that what the storefront shows may have changed.
pub struct Tx {
    inner: Inner,
    commits: Arc<watch::Sender<u64>>,
    storefront_commits: Arc<AtomicU64>,
    /// Whether committing may change what an anonymous storefront page shows.
    storefront: bool,
}

#[derive(Clone, Copy)]
enum End {
    Commit,
    Rollback,
}

enum Inner {
    /// Begun, and ended, by sqlx.
    Sqlx(Transaction<'static, Any>),
    /// A connection whose `BEGIN` goes with the first statement sent through [`Tx::opening`].
    /// `open` from then until it commits or rolls back. Dropped open (an error or a panic on the
    /// way), the connection is closed instead of handed back to the pool, and SQLite rolls the
    /// transaction back as it closes: no other request ever finds it open.
    Deferred {
        conn: PoolConnection<Any>,
        begin: &'static str,
        open: bool,
    },
    /// Committed or rolled back.
    Ended,
}

impl Tx {
    pub(crate) fn begun(
        tx: Transaction<'static, Any>,
        commits: Arc<watch::Sender<u64>>,
        storefront_commits: Arc<AtomicU64>,
    ) -> Tx {
        Tx {
            inner: Inner::Sqlx(tx),
            commits,
            storefront_commits,
            storefront: true,
        }
    }

    pub(crate) fn unopened(
        conn: PoolConnection<Any>,
        begin: &'static str,
        commits: Arc<watch::Sender<u64>>,
        storefront_commits: Arc<AtomicU64>,
    ) -> Tx {
        Tx {
            inner: Inner::Deferred {
                conn,
                begin,
                open: false,
            },
            commits,
            storefront_commits,
            storefront: true,
        }
    }

    /// `sql`, the first string of statements this transaction sends, as it must be sent: after
    /// the `BEGIN` not sent yet, if any. Its statements must not be sent on this transaction
    /// otherwise than as returned here, nor any statement before them.
    pub fn opening<'a>(&mut self, sql: &'a str) -> Cow<'a, str> {
        match &mut self.inner {
            Inner::Deferred { begin, open, .. } if !*open => {
                *open = true;
                Cow::Owned(format!("{begin}; {sql}"))
            }
            _ => Cow::Borrowed(sql),
        }
    }

    /// Runs `last`, then commits: on SQLite's deferred transaction in one string with the
    /// `COMMIT`.
    pub async fn commit_with(mut self, last: Batch) -> sqlx::Result<()> {
        match &mut self.inner {
            Inner::Deferred { conn, open: true, .. } => {
                last.run_then(conn, "COMMIT").await?;
                self.closed();
                self.committed();
                Ok(())
            }
            _ => {
                last.run(&mut self).await?;
                self.commit().await
            }
        }
    }

    pub async fn commit(mut self) -> sqlx::Result<()> {
        self.end(End::Commit).await?;
        self.committed();
        Ok(())
    }

    pub async fn rollback(mut self) -> sqlx::Result<()> {
        self.end(End::Rollback).await
    }

    /// Declares that this transaction changes nothing an anonymous storefront page shows (no
    /// product, price, stock, shop, category or rating): a job's bookkeeping, an audit anchor, a
    /// session, a cart. Its commit leaves this node's cached pages valid. A transaction not
    /// declared so is taken to change the storefront: a forgotten one costs a cache refill, never
    /// a stale page.
    pub fn leaves_storefront_alone(&mut self) {
        self.storefront = false;
    }

    async fn end(&mut self, end: End) -> sqlx::Result<()> {
        match std::mem::replace(&mut self.inner, Inner::Ended) {
            Inner::Sqlx(tx) => match end {
                End::Commit => tx.commit().await,
                End::Rollback => tx.rollback().await,
            },
            Inner::Deferred {
                mut conn,
                begin,
                open: true,
            } => {
                let statement = match end {
                    End::Commit => "COMMIT",
                    End::Rollback => "ROLLBACK",
                };
                // Put back, still open, should the statement fail: the drop then closes the
                // connection.
                sqlx::query(statement).execute(&mut *conn).await.inspect_err(|_| {
                    self.inner = Inner::Deferred {
                        conn,
                        begin,
                        open: true,
                    }
                })?;
                Ok(())
            }
            // Never opened: nothing was sent, nothing to end.
            Inner::Deferred { .. } | Inner::Ended => Ok(()),
        }
    }

    /// Marks a deferred transaction ended by a statement sent with its last string.
    fn closed(&mut self) {
        if let Inner::Deferred { open, .. } = &mut self.inner {
            *open = false;
        }
    }

    fn committed(&self) {
        if self.storefront {
            self.storefront_commits.fetch_add(1, Ordering::SeqCst);
        }
        self.commits.send_modify(|n| *n = n.wrapping_add(1));
    }
}

impl Drop for Tx {
    fn drop(&mut self) {
        if let Inner::Deferred { open: true, .. } = self.inner {
            if let Inner::Deferred { conn, .. } = std::mem::replace(&mut self.inner, Inner::Ended) {
                tracing::warn!("a writing transaction was dropped open: its connection is closed");
                drop(conn.detach());
            }
        }
    }
}

impl Deref for Tx {
    type Target = AnyConnection;

    fn deref(&self) -> &AnyConnection {
        match &self.inner {
            Inner::Sqlx(tx) => tx,
            Inner::Deferred { conn, .. } => conn,
            Inner::Ended => {
                unreachable!("a transaction is not used after it ended")
            }
        }
    }
}

impl DerefMut for Tx {
    fn deref_mut(&mut self) -> &mut AnyConnection {
        match &mut self.inner {
            Inner::Sqlx(tx) => tx,
            // A statement sent before `opening` would run outside the transaction.
            Inner::Deferred { open: false, .. } => {
                panic!("a deferred transaction's first statement goes through Tx::opening")
            }
            Inner::Deferred { conn, .. } => conn,
            Inner::Ended => {
                unreachable!("a transaction is not used after it ended")
            }
        }
    }
}
