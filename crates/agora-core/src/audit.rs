//! The audit chain: each entry carries the SHA-256 of the one before, so an edited, deleted or
//! reordered entry breaks the chain at a point we can name.

use sha2::{Digest, Sha256};

/// The `prev_hash` of the first entry.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// One audit entry as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    /// Position in the chain, 1 for the first entry, without gaps.
    pub seq: i64,
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
    /// The hash this entry must carry: SHA-256 over every field but `hash`, each length-prefixed so
    /// that no two different entries share an encoding.
    pub fn compute_hash(&self) -> String {
        let mut hasher = Sha256::new();
        let actor = self.actor.as_deref().unwrap_or("");
        let fields: [&[u8]; 7] = [
            &self.seq.to_be_bytes(),
            &self.at_ms.to_be_bytes(),
            actor.as_bytes(),
            self.action.as_bytes(),
            self.subject.as_bytes(),
            self.data.as_bytes(),
            self.prev_hash.as_bytes(),
        ];
        for field in fields {
            hasher.update((field.len() as u64).to_be_bytes());
            hasher.update(field);
        }
        hex::encode(hasher.finalize())
    }
}

/// Where and why a chain is broken.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChainBreak {
    #[error("entry {seq}: its content does not match its hash (edited)")]
    Edited { seq: i64 },
    #[error("entry {seq}: expected sequence number {expected} (an entry before it was deleted or moved)")]
    Gap { seq: i64, expected: i64 },
    #[error("entry {seq}: does not follow the entry before it (deleted or reordered)")]
    Unlinked { seq: i64 },
    #[error("the log ends at entry {last} but the chain head says {head} (entries at the end were deleted)")]
    Truncated { last: i64, head: i64 },
}

impl ChainBreak {
    /// The sequence number of the first bad entry.
    pub fn seq(&self) -> i64 {
        match self {
            ChainBreak::Edited { seq } | ChainBreak::Gap { seq, .. } | ChainBreak::Unlinked { seq } => *seq,
            ChainBreak::Truncated { last, .. } => last + 1,
        }
    }
}

/// Checks entries fed in `seq` order, one at a time, so a long log never has to fit in memory.
#[derive(Debug)]
pub struct ChainVerifier {
    expected_seq: i64,
    prev_hash: String,
}

impl Default for ChainVerifier {
    fn default() -> Self {
        Self {
            expected_seq: 1,
            prev_hash: GENESIS_HASH.to_owned(),
        }
    }
}

impl ChainVerifier {
    pub fn push(&mut self, entry: &AuditEntry) -> Result<(), ChainBreak> {
        if entry.seq != self.expected_seq {
            return Err(ChainBreak::Gap {
                seq: entry.seq,
                expected: self.expected_seq,
            });
        }
        if entry.compute_hash() != entry.hash {
            return Err(ChainBreak::Edited { seq: entry.seq });
        }
        if entry.prev_hash != self.prev_hash {
            return Err(ChainBreak::Unlinked { seq: entry.seq });
        }
        self.expected_seq += 1;
        self.prev_hash = entry.hash.clone();
        Ok(())
    }

    /// Checks the end of the log against the recorded chain head; returns the number of entries.
    pub fn finish(self, head_seq: i64, head_hash: &str) -> Result<i64, ChainBreak> {
        let last = self.expected_seq - 1;
        if last != head_seq || self.prev_hash != head_hash {
            return Err(ChainBreak::Truncated { last, head: head_seq });
        }
        Ok(last)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chain(n: i64) -> Vec<AuditEntry> {
        let mut prev = GENESIS_HASH.to_owned();
        (1..=n)
            .map(|seq| {
                let mut e = AuditEntry {
                    seq,
                    at_ms: 1_700_000_000_000 + seq,
                    actor: Some("acc_1".into()),
                    action: "test.happened".into(),
                    subject: format!("thing_{seq}"),
                    data: "{}".into(),
                    prev_hash: prev.clone(),
                    hash: String::new(),
                };
                e.hash = e.compute_hash();
                prev = e.hash.clone();
                e
            })
            .collect()
    }

    fn verify(entries: &[AuditEntry], head: (i64, &str)) -> Result<i64, ChainBreak> {
        let mut v = ChainVerifier::default();
        for e in entries {
            v.push(e)?;
        }
        v.finish(head.0, head.1)
    }

    #[test]
    fn an_intact_chain_verifies() {
        let c = chain(5);
        assert_eq!(verify(&c, (5, &c[4].hash)), Ok(5));
        assert_eq!(verify(&[], (0, GENESIS_HASH)), Ok(0));
    }

    #[test]
    fn an_edited_entry_is_named() {
        let mut c = chain(5);
        let head = c[4].hash.clone();
        c[2].data = r#"{"amount": 1}"#.into();
        assert_eq!(verify(&c, (5, &head)), Err(ChainBreak::Edited { seq: 3 }));
    }

    #[test]
    fn a_deleted_entry_is_named() {
        let mut c = chain(5);
        let head = c[4].hash.clone();
        c.remove(1);
        assert_eq!(verify(&c, (5, &head)), Err(ChainBreak::Gap { seq: 3, expected: 2 }));
    }

    #[test]
    fn swapped_entries_are_named() {
        let mut c = chain(5);
        let head = c[4].hash.clone();
        // Swap the contents of entries 2 and 3 but keep the sequence numbers in place.
        let (a, b) = (c[1].clone(), c[2].clone());
        c[1] = AuditEntry { seq: 2, ..b };
        c[2] = AuditEntry { seq: 3, ..a };
        assert_eq!(verify(&c, (5, &head)), Err(ChainBreak::Edited { seq: 2 }));
    }

    #[test]
    fn a_rehashed_forgery_still_breaks_the_link() {
        let mut c = chain(5);
        let head = c[4].hash.clone();
        c[2].data = r#"{"forged": true}"#.into();
        c[2].hash = c[2].compute_hash();
        assert_eq!(verify(&c, (5, &head)), Err(ChainBreak::Unlinked { seq: 4 }));
    }

    #[test]
    fn a_cut_off_tail_is_found_by_the_head() {
        let c = chain(5);
        let head = c[4].hash.clone();
        assert_eq!(
            verify(&c[..4], (5, &head)),
            Err(ChainBreak::Truncated { last: 4, head: 5 })
        );
    }
}
