//! Password hashing with Argon2id (the crate's defaults: 19 MiB, 2 passes), off the async threads.

use std::sync::LazyLock;

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;

/// A hash of a password nobody has, verified against when the account does not exist, so that a
/// login for an unknown email takes as long as one for a known email.
static DUMMY_HASH: LazyLock<String> = LazyLock::new(|| hash_now("no account has this password"));

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

pub(crate) async fn hash(password: String) -> anyhow::Result<String> {
    Ok(tokio::task::spawn_blocking(move || hash_now(&password)).await?)
}

/// Verifies `password` against `hash`, or against the dummy hash when there is none.
pub(crate) async fn verify(password: String, hash: Option<String>) -> anyhow::Result<bool> {
    Ok(tokio::task::spawn_blocking(move || match hash {
        Some(hash) => verify_now(&password, &hash),
        None => {
            verify_now(&password, &DUMMY_HASH);
            false
        }
    })
    .await?)
}

/// Computes the dummy hash ahead of the first login, so that first login is not slower.
pub(crate) fn warm_up() {
    LazyLock::force(&DUMMY_HASH);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_hash_verifies_only_its_password() {
        let h = hash("correct horse".into()).await.unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify("correct horse".into(), Some(h.clone())).await.unwrap());
        assert!(!verify("wrong horse".into(), Some(h)).await.unwrap());
        assert!(!verify("correct horse".into(), None).await.unwrap());
    }
}
