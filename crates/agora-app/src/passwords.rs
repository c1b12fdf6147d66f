//! Password hashing with Argon2id (the crate's defaults: 19 MiB, 2 passes), off the async threads
//! and bounded: at most `hash_threads` hashes run at once, `hash_queue` more wait, and any beyond
//! that get [`AppError::Busy`] at once rather than piling up memory and latency.

use std::sync::{Arc, LazyLock};

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use tokio::sync::Semaphore;

use crate::{App, AppError, AppResult};

/// A hash of a password nobody has, verified against when the account does not exist, so that a
/// login for an unknown email takes as long as one for a known email.
static DUMMY_HASH: LazyLock<String> = LazyLock::new(|| hash_now("no account has this password"));

/// How long a client that found the queue full should wait.
const RETRY_AFTER_S: u64 = 1;

/// Admits hashing work: `running` permits compute, `admitted` bounds those running plus waiting.
#[derive(Debug, Clone)]
pub(crate) struct Hasher {
    running: Arc<Semaphore>,
    admitted: Arc<Semaphore>,
}

impl Hasher {
    pub(crate) fn new(threads: usize, queue: usize) -> Self {
        let threads = threads.max(1);
        Self {
            running: Arc::new(Semaphore::new(threads)),
            admitted: Arc::new(Semaphore::new(threads + queue)),
        }
    }

    /// Runs `work` on a blocking thread once a permit is free; Busy when the queue is full.
    async fn run<T: Send + 'static>(&self, work: impl FnOnce() -> T + Send + 'static) -> AppResult<T> {
        let admitted = Arc::clone(&self.admitted)
            .try_acquire_owned()
            .map_err(|_| AppError::Busy {
                retry_after_s: RETRY_AFTER_S,
            })?;
        let running = Arc::clone(&self.running)
            .acquire_owned()
            .await
            .map_err(|e| AppError::Internal(e.into()))?;
        // The permits move into the thread: a request abandoned by its client still holds them
        // until its hash is done, so the bound holds.
        let out = tokio::task::spawn_blocking(move || {
            let _permits = (admitted, running);
            let out = work();
            give_memory_back();
            out
        })
        .await
        .map_err(|e| AppError::Internal(e.into()))?;
        Ok(out)
    }
}

/// Returns the memory a hash freed (19 MiB) to the system. glibc keeps a freed block that size in
/// the arena of the thread that hashed (after the first such free it raises its mmap threshold
/// above it), so without this every thread that ever hashed would hold on to 19 MiB or more.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn give_memory_back() {
    // SAFETY: malloc_trim only hands free memory back to the system; any thread may call it.
    unsafe {
        libc::malloc_trim(0);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn give_memory_back() {}

fn hash_now(password: &str) -> String {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .expect("Argon2 with default parameters hashes any password")
        .to_string()
}

fn verify_now(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash)
        .map(|parsed| Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok())
        .unwrap_or(false)
}

pub(crate) async fn hash(app: &App, password: String) -> AppResult<String> {
    app.hasher.run(move || hash_now(&password)).await
}

/// Verifies `password` against `hash`, or against the dummy hash when there is none.
pub(crate) async fn verify(app: &App, password: String, hash: Option<String>) -> AppResult<bool> {
    app.hasher
        .run(move || match hash {
            Some(hash) => verify_now(&password, &hash),
            None => {
                verify_now(&password, &DUMMY_HASH);
                false
            }
        })
        .await
}

/// Computes the dummy hash ahead of the first login, so that first login is not slower.
pub(crate) fn warm_up() {
    LazyLock::force(&DUMMY_HASH);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hash_verifies_only_its_password() {
        let h = hash_now("correct horse");
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_now("correct horse", &h));
        assert!(!verify_now("wrong horse", &h));
        assert!(!verify_now("correct horse", "not a hash"));
    }

    #[tokio::test]
    async fn work_beyond_the_queue_is_refused_at_once() {
        let hasher = Hasher::new(1, 1);
        let (release, hold) = std::sync::mpsc::channel::<()>();
        let first = {
            let hasher = hasher.clone();
            tokio::spawn(async move { hasher.run(move || hold.recv().ok()).await })
        };
        while hasher.admitted.available_permits() > 1 {
            tokio::task::yield_now().await;
        }
        let second = {
            let hasher = hasher.clone();
            tokio::spawn(async move { hasher.run(|| ()).await })
        };
        while hasher.admitted.available_permits() > 0 {
            tokio::task::yield_now().await;
        }
        let third = hasher.run(|| ()).await;
        assert!(matches!(third, Err(AppError::Busy { retry_after_s: 1 })), "{third:?}");
        release.send(()).unwrap();
        assert!(first.await.unwrap().is_ok());
        assert!(second.await.unwrap().is_ok());
        assert!(hasher.run(|| ()).await.is_ok(), "room again once the work is done");
    }
}
