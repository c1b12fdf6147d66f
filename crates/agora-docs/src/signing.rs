//! The platform's Ed25519 key, and signing and verifying canonical documents.
//!
//! What is signed is the document's canonical bytes themselves (see [`crate::canonical`]); the
//! SHA-256 of the same bytes is published beside the signature, so a reader can name the document
//! by its hash. A contract file is `{"document": {...}, "sha256": hex, "platform_signature": hex,
//! "platform_public_key": hex, ...}`; [`verify`] needs nothing else.

use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::canonical::{canonical, CanonicalError};

/// The platform's signing key. Its secret never leaves the platform's storage.
#[derive(Clone)]
pub struct PlatformKey(SigningKey);

impl std::fmt::Debug for PlatformKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PlatformKey({})", self.public_hex())
    }
}

/// A document with its hash and the platform's signature.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signed {
    /// The canonical bytes, as text.
    pub canonical: String,
    /// Lowercase hex of the SHA-256 of the canonical bytes.
    pub sha256: String,
    /// Lowercase hex of the 64-byte Ed25519 signature of the canonical bytes.
    pub signature: String,
}

impl PlatformKey {
    /// The key with this 32-byte secret (random bytes make a new key).
    pub fn from_secret(secret: [u8; 32]) -> Self {
        PlatformKey(SigningKey::from_bytes(&secret))
    }

    /// The key stored as lowercase hex of its secret.
    pub fn from_secret_hex(hex_secret: &str) -> Result<Self, VerifyError> {
        let bytes: [u8; 32] = hex::decode(hex_secret.trim())
            .ok()
            .and_then(|b| b.try_into().ok())
            .ok_or(VerifyError::BadKey)?;
        Ok(Self::from_secret(bytes))
    }

    pub fn secret_hex(&self) -> String {
        hex::encode(self.0.to_bytes())
    }

    /// Lowercase hex of the 32-byte public key.
    pub fn public_hex(&self) -> String {
        hex::encode(self.0.verifying_key().to_bytes())
    }

    /// Signs `document` in its canonical form.
    pub fn sign(&self, document: &Value) -> Result<Signed, CanonicalError> {
        let bytes = canonical(document)?;
        let signature = self.0.sign(&bytes);
        Ok(Signed {
            sha256: sha256_hex(&bytes),
            signature: hex::encode(signature.to_bytes()),
            canonical: String::from_utf8(bytes).expect("canonical JSON is UTF-8"),
        })
    }
}

/// Lowercase hex of the SHA-256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Why a contract does not verify.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    #[error("the file lacks `{0}` or it is not a string of hex digits")]
    Missing(&'static str),
    #[error("the document cannot be put in canonical form: {0}")]
    NotCanonical(#[from] CanonicalError),
    #[error("the document's SHA-256 is {actual}, not the {claimed} the file states")]
    HashMismatch { claimed: String, actual: String },
    #[error("the public key is not an Ed25519 key")]
    BadKey,
    #[error("the file was signed with key {in_file}, not the platform's key {expected}")]
    OtherKey { in_file: String, expected: String },
    #[error("the platform's signature does not match the document")]
    BadSignature,
}

fn hex_field<'a>(file: &'a Value, name: &'static str) -> Result<&'a str, VerifyError> {
    file.get(name)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty() && s.bytes().all(|b| b.is_ascii_hexdigit()))
        .ok_or(VerifyError::Missing(name))
}

/// Checks a contract file: the document's canonical SHA-256 equals `sha256`, and
/// `platform_signature` is a valid signature of the document by `platform_public_key` — which
/// must be `expected_key` (hex) when given, the key the verifier trusts.
pub fn verify(file: &Value, expected_key: Option<&str>) -> Result<(), VerifyError> {
    let document = file.get("document").ok_or(VerifyError::Missing("document"))?;
    let claimed = hex_field(file, "sha256")?;
    let signature = hex_field(file, "platform_signature")?;
    let key = hex_field(file, "platform_public_key")?;
    if let Some(expected) = expected_key {
        if !expected.trim().eq_ignore_ascii_case(key) {
            return Err(VerifyError::OtherKey {
                in_file: key.to_owned(),
                expected: expected.trim().to_owned(),
            });
        }
    }
    let bytes = canonical(document)?;
    let actual = sha256_hex(&bytes);
    if !actual.eq_ignore_ascii_case(claimed) {
        return Err(VerifyError::HashMismatch {
            claimed: claimed.to_owned(),
            actual,
        });
    }
    let key: [u8; 32] = hex::decode(key)
        .ok()
        .and_then(|b| b.try_into().ok())
        .ok_or(VerifyError::BadKey)?;
    let key = VerifyingKey::from_bytes(&key).map_err(|_| VerifyError::BadKey)?;
    let signature: [u8; 64] = hex::decode(signature)
        .ok()
        .and_then(|b| b.try_into().ok())
        .ok_or(VerifyError::BadSignature)?;
    key.verify(&bytes, &Signature::from_bytes(&signature))
        .map_err(|_| VerifyError::BadSignature)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn file(key: &PlatformKey, document: Value) -> Value {
        let signed = key.sign(&document).unwrap();
        json!({"id": "ctr_1", "document": document, "sha256": signed.sha256,
               "platform_signature": signed.signature, "platform_public_key": key.public_hex()})
    }

    #[test]
    fn a_signed_document_verifies_and_any_change_fails() {
        let key = PlatformKey::from_secret([7; 32]);
        let doc = json!({"items": [{"sku": "LAMP", "quantity": 3, "unit_price": {"amount": 900, "currency": "EUR"}}]});
        let good = file(&key, doc);
        assert_eq!(verify(&good, None), Ok(()));
        assert_eq!(verify(&good, Some(&key.public_hex())), Ok(()));

        // One byte of the file's text changed: 900 → 901.
        let text = serde_json::to_string(&good).unwrap().replacen("900", "901", 1);
        let edited: Value = serde_json::from_str(&text).unwrap();
        assert!(matches!(verify(&edited, None), Err(VerifyError::HashMismatch { .. })));

        // The hash recomputed to match, but the signature no longer does.
        let mut forged = edited.clone();
        forged["sha256"] = json!(sha256_hex(&canonical(&edited["document"]).unwrap()));
        assert_eq!(verify(&forged, None), Err(VerifyError::BadSignature));

        // Signed again with another key: fine on its own, refused against the platform's key.
        let other = PlatformKey::from_secret([8; 32]);
        let resigned = file(&other, edited["document"].clone());
        assert_eq!(verify(&resigned, None), Ok(()));
        assert!(matches!(
            verify(&resigned, Some(&key.public_hex())),
            Err(VerifyError::OtherKey { .. })
        ));
    }

    #[test]
    fn a_key_reads_back_from_its_hex() {
        let key = PlatformKey::from_secret([9; 32]);
        let again = PlatformKey::from_secret_hex(&key.secret_hex()).unwrap();
        assert_eq!(again.public_hex(), key.public_hex());
        assert!(PlatformKey::from_secret_hex("zz").is_err());
    }
}
