//! `Idempotency-Key`: one mechanism for every POST. The first request with a key runs and its
//! response is stored; the same key with the same request replays that response; the same key with
//! another request is refused (422); a retry while the first still runs gets 409. A response that
//! carries a secret (a new token) is never stored: its retry gets 409.
//!
//! Two ways to hold a key:
//! - around a request ([`begin`]): the key is claimed before the request runs and its response
//!   kept after. The claim is a lease of a few seconds that a running request renews, so the key
//!   of a request that died is free again soon.
//! - inside a use case's transaction ([`claim_in`], then [`Pending::save_in`] before commit): for
//!   use cases that move stock or money. The key, the work and the response commit together or
//!   not at all, so a crash never leaves the work done and the key unrecorded, or the reverse.
//!   The use case takes an `Option<Keyed<T>>` (the caller's key and how it shows a `T`) and
//!   answers an [`Answer<T>`]:
//!
//! ```ignore
//! let mut tx = app.db.begin().await?;
//! let pending = match idempotency::claim_in(&mut tx, key).await? {
//!     Claimed::Proceed(pending) => pending,
//!     Claimed::Replay(response) => return Ok(Answer::Replayed(response)),
//! };
//! let order = /* the work, on tx */;
//! pending.save_in(&mut tx, &order).await?;
//! tx.commit().await?;
//! Ok(Answer::Done(order))
//! ```

use std::time::Duration;

use agora_store::idempotency::{self as store, Claim};
use agora_store::{now_ms, Conn};
use sha2::{Digest, Sha256};
use tokio::sync::oneshot;

use crate::{App, AppError, AppResult, ConflictKind};

/// A request's `Idempotency-Key`, with whose it is and what the request asked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestKey {
    scope: String,
    key: String,
    fingerprint: String,
}

impl RequestKey {
    /// `scope` is whose key it is (an account id, or `anonymous`); the method, path and body are
    /// the request, which a retry must repeat exactly. Refuses a malformed key.
    pub fn new(scope: &str, raw_key: &str, method: &str, path: &str, body: &[u8]) -> AppResult<RequestKey> {
        Ok(RequestKey {
            scope: scope.to_owned(),
            key: parse_key(raw_key)?,
            fingerprint: fingerprint(method, path, body),
        })
    }

    /// Pairs the key with how the use case's result is shown, for a use case that keeps its
    /// response in its own transaction.
    pub fn rendered_by<'a, T>(&'a self, render: Render<'a, T>) -> Keyed<'a, T> {
        Keyed { key: self, render }
    }

    async fn claim(&self, conn: &mut Conn, now: i64, lease_until: i64) -> AppResult<Option<Stored>> {
        let claim = store::claim(conn, &self.scope, &self.key, &self.fingerprint, now, lease_until).await?;
        match claim {
            Claim::New => Ok(None),
            Claim::InFlight => Err(AppError::conflict(
                ConflictKind::InProgress,
                "a request with this Idempotency-Key is still being processed",
            )),
            Claim::Mismatch => Err(AppError::invalid(
                "Idempotency-Key",
                "was already used with a different request",
            )),
            Claim::Withheld => Err(AppError::conflict(
                ConflictKind::SecretShownOnce,
                "the request with this Idempotency-Key already ran; its response carried a secret, which is shown \
                 only once and was not kept",
            )),
            Claim::Done {
                status,
                content_type,
                body,
            } => Ok(Some(Stored {
                status: u16::try_from(status).unwrap_or(500),
                content_type,
                body,
            })),
        }
    }

    async fn complete(&self, conn: &mut Conn, response: &Stored) -> AppResult<()> {
        let Stored {
            status,
            content_type,
            body,
        } = response;
        store::complete(
            conn,
            &self.scope,
            &self.key,
            i64::from(*status),
            content_type.as_deref(),
            body,
        )
        .await?;
        Ok(())
    }
}

/// A response as the client got it, kept to answer a retry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stored {
    pub status: u16,
    pub content_type: Option<String>,
    pub body: String,
}

/// Checks a key's syntax: 1 to 255 visible ASCII characters.
pub fn parse_key(raw: &str) -> AppResult<String> {
    if raw.is_empty() || raw.len() > 255 || !raw.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(AppError::BadRequest(
            "Idempotency-Key must be 1 to 255 visible ASCII characters".into(),
        ));
    }
    Ok(raw.to_owned())
}

/// What identifies a request for its key: a retry must repeat method, path and body exactly.
pub fn fingerprint(method: &str, path: &str, body: &[u8]) -> String {
    let mut h = Sha256::new();
    for part in [method.as_bytes(), path.as_bytes(), body] {
        h.update((part.len() as u64).to_be_bytes());
        h.update(part);
    }
    hex::encode(h.finalize())
}

// ---- Around a request ----

/// What to do with a request that carries a key.
#[derive(Debug)]
pub enum Outcome {
    /// Run it, then [`Lease::finish`] it (or [`Lease::abandon`] if it failed unexpectedly).
    Proceed(Lease),
    /// Answer with the stored response.
    Replay(Stored),
}

/// Claims `key` for a request about to run. The claim lasts `Settings::idempotency_lease_ms` and
/// is renewed while the returned [`Lease`] lives.
pub async fn begin(app: &App, key: &RequestKey) -> AppResult<Outcome> {
    let lease_ms = app.settings.idempotency_lease_ms.max(1);
    let now = now_ms();
    let mut conn = app.db.conn().await?;
    Ok(match key.claim(&mut conn, now, now + lease_ms).await? {
        Some(stored) => Outcome::Replay(stored),
        None => Outcome::Proceed(Lease::hold(app, key, lease_ms)),
    })
}

/// A claimed key whose request is running. Until it is finished, withheld, abandoned or dropped,
/// a task renews the claim a few times per lease, so that only a request that died loses it.
#[derive(Debug)]
pub struct Lease {
    key: RequestKey,
    /// Dropping it stops the renewals.
    _renewing: oneshot::Sender<()>,
}

impl Lease {
    fn hold(app: &App, key: &RequestKey, lease_ms: i64) -> Lease {
        let (stop_tx, mut stop) = oneshot::channel::<()>();
        let every = Duration::from_millis(u64::try_from(lease_ms / 3).unwrap_or(1).max(1));
        let (app, renewed) = (app.clone(), key.clone());
        tokio::spawn(async move {
            loop {
                tokio::select! {
                    _ = &mut stop => break,
                    _ = tokio::time::sleep(every) => {}
                }
                // Outside the select: a renewal under way is never cut off halfway.
                let renewal = async {
                    let mut conn = app.db.conn().await?;
                    store::renew(&mut conn, &renewed.scope, &renewed.key, now_ms() + lease_ms).await
                };
                if let Err(err) = renewal.await {
                    tracing::warn!(error = %err, "could not renew an idempotency lease");
                }
            }
        });
        Lease {
            key: key.clone(),
            _renewing: stop_tx,
        }
    }

    /// Stores the response of the request that ran.
    pub async fn finish(self, app: &App, response: &Stored) -> AppResult<()> {
        let mut conn = app.db.conn().await?;
        self.key.complete(&mut conn, response).await
    }

    /// Records that the request ran without storing its response, which carried a secret: a retry
    /// gets 409 rather than the secret again.
    pub async fn withhold(self, app: &App) -> AppResult<()> {
        let mut conn = app.db.conn().await?;
        store::withhold(&mut conn, &self.key.scope, &self.key.key).await?;
        Ok(())
    }

    /// Forgets the claim, so that a retry runs the request again.
    pub async fn abandon(self, app: &App) -> AppResult<()> {
        let mut conn = app.db.conn().await?;
        store::release(&mut conn, &self.key.scope, &self.key.key).await?;
        Ok(())
    }
}

// ---- Inside a use case's transaction ----

/// How the caller (the HTTP layer) shows a use case's result: the status, type and body that the
/// client gets, and that a retry gets again.
pub type Render<'a, T> = &'a (dyn Fn(&T) -> AppResult<Stored> + Send + Sync);

/// A key handed to a use case that claims it in its own transaction.
pub struct Keyed<'a, T> {
    key: &'a RequestKey,
    render: Render<'a, T>,
}

// Two references: copied whatever `T` is (a use case that tries again claims the key again).
impl<T> Clone for Keyed<'_, T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T> Copy for Keyed<'_, T> {}

impl<T> Keyed<'_, T> {
    /// The key as a use case's first statement claims it in its transaction (see
    /// `agora_store::checkout`), as [`claim_in`] would: the claim's row becomes visible only at
    /// commit, by then done, so it holds no lease. When that statement finds the key used before,
    /// the use case rolls back and asks [`claim_in`] what to answer.
    pub(crate) fn claim_at(&self, now: i64) -> agora_store::checkout::KeyClaim<'_> {
        agora_store::checkout::KeyClaim {
            scope: &self.key.scope,
            key: &self.key.key,
            request_hash: &self.key.fingerprint,
            now,
        }
    }
}

impl<T> std::fmt::Debug for Keyed<'_, T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Keyed").field("key", self.key).finish_non_exhaustive()
    }
}

/// What a use case run with a key answers.
#[derive(Debug)]
#[must_use]
pub enum Answer<T> {
    /// It ran now.
    Done(T),
    /// It had run before with this key: the response the client got then.
    Replayed(Stored),
}

impl<T> Answer<T> {
    /// The result of a use case run without a key, which always runs.
    pub fn ran(self) -> AppResult<T> {
        match self {
            Answer::Done(result) => Ok(result),
            Answer::Replayed(_) => Err(AppError::Internal(anyhow::anyhow!(
                "a replay of a request without a key"
            ))),
        }
    }
}

/// What [`claim_in`] found.
#[derive(Debug)]
#[must_use]
pub enum Claimed<'a, T> {
    /// Do the work, then [`Pending::save_in`] before committing.
    Proceed(Pending<'a, T>),
    /// The key's request already ran: answer with its response and do nothing (drop the
    /// transaction).
    Replay(Stored),
}

/// A key claimed inside a transaction whose work has yet to be saved with it.
#[derive(Debug)]
#[must_use = "save the response in the transaction before committing"]
pub struct Pending<'a, T>(Option<Keyed<'a, T>>);

/// Claims `keyed` (if the request has a key) inside `tx`, the transaction that will do the work.
/// Call it first, before the work takes any lock, so that a retry waiting here holds none.
/// On PostgreSQL a concurrent request with the same key waits here until this transaction ends,
/// then replays its response (committed) or runs itself (rolled back); on SQLite writers run one
/// at a time anyway. Errors: 409 while a request holding the key around it still runs, 422 for a
/// key used with another request.
pub async fn claim_in<'a, T>(tx: &mut Conn, keyed: Option<Keyed<'a, T>>) -> AppResult<Claimed<'a, T>> {
    let Some(keyed) = keyed else {
        return Ok(Claimed::Proceed(Pending(None)));
    };
    // The row becomes visible only at commit, by then done: no lease to hold. Should it ever
    // commit unsaved, it counts as a request that died.
    let now = now_ms();
    Ok(match keyed.key.claim(tx, now, now).await? {
        Some(stored) => Claimed::Replay(stored),
        None => Claimed::Proceed(Pending(Some(keyed))),
    })
}

impl<'a, T> Pending<'a, T> {
    /// The key a use case claims with its first statement ([`Keyed::claim_at`]), to save the
    /// response with in that same transaction.
    pub(crate) fn claimed_with(keyed: Option<Keyed<'a, T>>) -> Pending<'a, T> {
        Pending(keyed)
    }
}

impl<T> Pending<'_, T> {
    /// [`Pending::save_in`] as a write to send with the use case's others (`None` without a key).
    pub fn save_write(self, result: &T) -> AppResult<Option<agora_store::batch::Write>> {
        let Some(Keyed { key, render }) = self.0 else {
            return Ok(None);
        };
        let Stored {
            status,
            content_type,
            body,
        } = render(result)?;
        Ok(Some(store::complete_write(
            &key.scope,
            &key.key,
            i64::from(status),
            content_type.as_deref(),
            &body,
        )))
    }

    /// Keeps the response to `result` with the key, in `tx`: the last step before committing.
    pub async fn save_in(self, tx: &mut Conn, result: &T) -> AppResult<()> {
        if let Some(Keyed { key, render }) = self.0 {
            let response = render(result)?;
            key.complete(tx, &response).await?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_visible_ascii() {
        assert!(parse_key("order-2026-11-25-0001").is_ok());
        assert!(parse_key("").is_err());
        assert!(parse_key("has space").is_err());
        assert!(parse_key(&"k".repeat(256)).is_err());
    }

    #[test]
    fn fingerprints_separate_method_path_and_body() {
        assert_ne!(fingerprint("POST", "/a", b"b"), fingerprint("POST", "/ab", b""));
        assert_eq!(fingerprint("POST", "/a", b"{}"), fingerprint("POST", "/a", b"{}"));
    }

    #[test]
    fn a_use_case_run_without_a_key_answers_its_result() {
        assert_eq!(Answer::Done(7).ran().unwrap(), 7);
        let replay = Answer::<i32>::Replayed(Stored {
            status: 200,
            content_type: None,
            body: String::new(),
        });
        assert!(replay.ran().is_err());
    }
}
