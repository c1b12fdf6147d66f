//! The audit log's evidence rules: several hash chains, and anchors that tie their heads together.
//!
//! # Shape
//! Every entry belongs to one of [`CHAINS`] chains, chosen by a stable hash of its subject
//! ([`chain_of`]), so the entries about one shop or product stay in one chain, in order, while
//! writers about different subjects take different chain heads and do not wait for each other.
//! Within its chain an entry has a position (1, 2, … without gaps) and carries the SHA-256 of the
//! entry before it. Each chain's head (position and hash of its newest entry) is kept in a row of
//! its own. Every entry also has a log-wide sequence number `seq`: unique and increasing within a
//! chain, but with gaps (a rolled-back transaction uses one up), so it orders the log for reading
//! and is covered by the hash, but is not itself evidence of a deletion.
//!
//! A periodic anchor is an entry of a chain of its own ([`ANCHOR_CHAIN`]) that records every
//! chain's head at the time ([`Anchor`]). Anchors are written by a background task, never in a
//! request.
//!
//! # What `verify` finds
//! - An edited entry (any field, including `seq`): its content no longer matches its hash
//!   ([`ChainBreak::Edited`]), or, if the forger recomputed the hash, the next entry of its chain
//!   no longer links to it ([`ChainBreak::Unlinked`]), or the chain head or a later anchor no
//!   longer matches.
//! - A deleted entry inside a chain: a gap in its chain's positions ([`ChainBreak::Gap`]).
//! - Reordered entries: renumbering `seq` or positions breaks hashes, positions or links.
//! - A cut-off tail (the newest entries of one chain, or the newest entries of the whole log,
//!   which are the tails of their chains): the chain ends before its recorded head
//!   ([`ChainBreak::Truncated`]); and if the head row was rewound to match, the chain ends
//!   before the position the newest anchor recorded for it, or holds another hash there
//!   ([`ChainBreak::CutBeforeAnchor`], [`ChainBreak::AnchorMismatch`]).
//!
//! # What it cannot find
//! Everything lives in one database, so someone who can rewrite the whole suffix of a chain,
//! its head row and every anchor after the change, recomputing each hash, leaves a consistent
//! log. In particular, entries written after the newest anchor, deleted together with a rewind
//! of their chain's head row, are not detectable; nor are the newest anchors deleted with a
//! rewind of the anchor chain's head. The window is one anchor period. To close it, record the
//! newest anchor's hash outside the database (`agora audit verify` prints it): a log whose
//! anchor chain no longer contains that hash has been rewritten.
//!
//! # Entries from before the chains
//! Databases that kept a single chain carry its entries over as the first positions of chain 0,
//! hashed the old way ([`AuditEntry::legacy_hash`]); the number of such entries is recorded in
//! the schema and checked like any other.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

pub mod action;
mod verify;

pub use action::AuditAction;
pub use verify::{first_break, ChainBreak, ChainVerifier};

/// The `prev_hash` of the first entry of every chain.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// How many chains carry entries. Fixed: the schema holds one head row per chain, and changing
/// it needs a migration adding head rows.
pub const CHAINS: i64 = 16;

/// The chain holding the anchors.
pub const ANCHOR_CHAIN: i64 = -1;

/// The subject of anchor entries.
pub const ANCHOR_SUBJECT: &str = "audit";

/// The chain an entry about `subject` goes to: stable across versions and processes (the first
/// eight bytes of the subject's SHA-256, modulo `chains`).
pub fn chain_of(subject: &str, chains: i64) -> i64 {
    let digest = Sha256::digest(subject.as_bytes());
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    (u64::from_be_bytes(first) % chains.max(1) as u64) as i64
}

/// One audit entry as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    /// Log-wide sequence number: unique, increasing within a chain, possibly with gaps.
    pub seq: i64,
    /// The chain it belongs to.
    pub chain: i64,
    /// Position in its chain, 1 for the first entry, without gaps.
    pub chain_seq: i64,
    /// Unix time in milliseconds.
    pub at_ms: i64,
    /// The account that caused it, if any.
    pub actor: Option<String>,
    /// What happened, e.g. `shop.approved`.
    pub action: String,
    /// What it happened to, e.g. a shop id.
    pub subject: String,
    /// Details as JSON text.
    pub data: String,
    pub prev_hash: String,
    pub hash: String,
}

impl AuditEntry {
    /// The hash this entry must carry: SHA-256 over every field but `hash`, each length-prefixed
    /// so that no two different entries share an encoding. A leading format tag keeps these
    /// hashes apart from [`AuditEntry::legacy_hash`] ones.
    pub fn compute_hash(&self) -> String {
        let actor = self.actor.as_deref().unwrap_or("");
        hash_fields(&[
            b"agora-audit-v2",
            &self.seq.to_be_bytes(),
            &self.chain.to_be_bytes(),
            &self.chain_seq.to_be_bytes(),
            &self.at_ms.to_be_bytes(),
            actor.as_bytes(),
            self.action.as_bytes(),
            self.subject.as_bytes(),
            self.data.as_bytes(),
            self.prev_hash.as_bytes(),
        ])
    }

    /// The hash of an entry written when the log was a single chain (its `seq` was its position).
    pub fn legacy_hash(&self) -> String {
        let actor = self.actor.as_deref().unwrap_or("");
        hash_fields(&[
            &self.seq.to_be_bytes(),
            &self.at_ms.to_be_bytes(),
            actor.as_bytes(),
            self.action.as_bytes(),
            self.subject.as_bytes(),
            self.data.as_bytes(),
            self.prev_hash.as_bytes(),
        ])
    }
}

fn hash_fields(fields: &[&[u8]]) -> String {
    let mut hasher = Sha256::new();
    for field in fields {
        hasher.update((field.len() as u64).to_be_bytes());
        hasher.update(field);
    }
    hex::encode(hasher.finalize())
}

/// A chain's newest entry: its position and hash (position 0 and [`GENESIS_HASH`] when empty).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Head {
    pub chain: i64,
    pub chain_seq: i64,
    pub hash: String,
}

/// What an anchor entry records (its `data`): every entity chain's head when it was written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Anchor {
    pub heads: Vec<Head>,
}

impl Anchor {
    /// The entry data: JSON text.
    pub fn to_data(&self) -> String {
        serde_json::to_string(self).expect("an anchor serialises")
    }

    /// Reads an anchor entry's data.
    pub fn from_data(data: &str) -> Result<Anchor, serde_json::Error> {
        serde_json::from_str(data)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_subject_always_lands_in_the_same_chain_and_subjects_spread() {
        assert_eq!(chain_of("prod_1", CHAINS), chain_of("prod_1", CHAINS));
        let mut used = std::collections::BTreeSet::new();
        for i in 0..200 {
            let c = chain_of(&format!("prod_{i}"), CHAINS);
            assert!((0..CHAINS).contains(&c));
            used.insert(c);
        }
        assert_eq!(used.len() as i64, CHAINS, "200 subjects reach every chain");
    }

    #[test]
    fn the_two_hash_formats_differ_and_cover_the_chain_position() {
        let e = AuditEntry {
            seq: 1,
            chain: 0,
            chain_seq: 1,
            at_ms: 5,
            actor: None,
            action: "a.b".into(),
            subject: "s".into(),
            data: "{}".into(),
            prev_hash: GENESIS_HASH.into(),
            hash: String::new(),
        };
        assert_ne!(e.compute_hash(), e.legacy_hash());
        let moved = AuditEntry {
            chain_seq: 2,
            ..e.clone()
        };
        assert_ne!(e.compute_hash(), moved.compute_hash());
        let other_chain = AuditEntry { chain: 1, ..e.clone() };
        assert_ne!(e.compute_hash(), other_chain.compute_hash());
    }

    #[test]
    fn an_anchor_reads_back_what_it_wrote() {
        let a = Anchor {
            heads: vec![Head {
                chain: 3,
                chain_seq: 7,
                hash: "ab".into(),
            }],
        };
        assert_eq!(Anchor::from_data(&a.to_data()).unwrap(), a);
        assert!(Anchor::from_data("{}").is_err());
    }
}
