//! Agora's documents: what the platform signs and what anyone can verify offline.
//!
//! A contract is a JSON document written in [`canonical`] form (object keys sorted by their UTF-8
//! bytes, no whitespace, integers only), its SHA-256 over those bytes, and the platform's Ed25519
//! signature over the same bytes. [`verify`] checks a downloaded contract with nothing but the
//! file itself and the platform's public key.

pub mod canonical;
pub mod signing;

pub use canonical::{canonical, CanonicalError};
pub use signing::{sha256_hex, verify, PlatformKey, Signed, VerifyError};
