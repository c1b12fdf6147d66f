//! `Idempotency-Key`: one mechanism for every POST. The first request with a key runs and its
//! response is stored; the same key with the same request replays that response; the same key with
//! another request is refused (422); a retry while the first still runs gets 409. A response that
//! carries a secret (a new token) is never stored: its retry gets 409.

use agora_store::idempotency::{self as store, Claim};
use agora_store::now_ms;
use sha2::{Digest, Sha256};

use crate::{App, AppError, AppResult, ConflictKind};

/// What to do with a request that carries a key.
#[derive(Debug)]
pub enum Outcome {
    /// Run it, then call [`finish`] (or [`abandon`] if it failed unexpectedly).
    Proceed,
    /// Answer with the stored response.
    Replay {
        status: u16,
        content_type: Option<String>,
        body: String,
    },
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

fn fingerprint(method: &str, path: &str, body: &[u8]) -> String {
    let mut h = Sha256::new();
    for part in [method.as_bytes(), path.as_bytes(), body] {
        h.update((part.len() as u64).to_be_bytes());
        h.update(part);
    }
    hex::encode(h.finalize())
}

/// Claims `key` for this request within `scope` (an account id, or `anonymous`).
pub async fn begin(app: &App, scope: &str, key: &str, method: &str, path: &str, body: &[u8]) -> AppResult<Outcome> {
    let mut conn = app.db.conn().await?;
    match store::claim(&mut conn, scope, key, &fingerprint(method, path, body), now_ms()).await? {
        Claim::New => Ok(Outcome::Proceed),
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
        } => Ok(Outcome::Replay {
            status: u16::try_from(status).unwrap_or(500),
            content_type,
            body,
        }),
    }
}

/// Stores the response of a request that ran.
pub async fn finish(
    app: &App,
    scope: &str,
    key: &str,
    status: u16,
    content_type: Option<&str>,
    body: &str,
) -> AppResult<()> {
    let mut conn = app.db.conn().await?;
    store::complete(&mut conn, scope, key, i64::from(status), content_type, body).await?;
    Ok(())
}

/// Records that a request ran without storing its response, which carried a secret: a retry gets
/// 409 rather than the secret again.
pub async fn withhold(app: &App, scope: &str, key: &str) -> AppResult<()> {
    let mut conn = app.db.conn().await?;
    store::withhold(&mut conn, scope, key).await?;
    Ok(())
}

/// Forgets the claim, so that a retry runs the request again.
pub async fn abandon(app: &App, scope: &str, key: &str) -> AppResult<()> {
    let mut conn = app.db.conn().await?;
    store::release(&mut conn, scope, key).await?;
    Ok(())
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
}
