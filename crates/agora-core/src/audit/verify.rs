//! Checking one chain, entry by entry, against its links, its head and the anchors.

use super::{AuditEntry, Head, GENESIS_HASH};

/// Where and why the log is broken.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChainBreak {
    #[error("entry {seq}: its content does not match its hash (edited)")]
    Edited { seq: i64 },
    #[error(
        "entry {seq}: it is at position {found} of chain {chain} where position {expected} was expected \
         (an entry before it was deleted or moved)"
    )]
    Gap {
        seq: i64,
        chain: i64,
        found: i64,
        expected: i64,
    },
    #[error("entry {seq}: does not follow the entry before it in its chain (deleted, replaced or reordered)")]
    Unlinked { seq: i64 },
    #[error("entry {seq}: its sequence number is not after the one before it in its chain (renumbered)")]
    OutOfOrder { seq: i64 },
    #[error("chain {chain} ends at position {last} but its head says {head} (entries at its end were deleted)")]
    Truncated { chain: i64, last: i64, head: i64 },
    #[error(
        "anchor entry {anchor} records chain {chain} up to position {anchored}, but the chain ends at \
         position {last} (entries at its end were deleted)"
    )]
    CutBeforeAnchor {
        anchor: i64,
        chain: i64,
        anchored: i64,
        last: i64,
    },
    #[error(
        "anchor entry {anchor} records another entry at position {chain_seq} of chain {chain} \
         (the chain was rewritten after it was anchored)"
    )]
    AnchorMismatch { anchor: i64, chain: i64, chain_seq: i64 },
    #[error("anchor entry {seq}: its record of the chain heads cannot be read")]
    AnchorUnreadable { seq: i64 },
}

impl ChainBreak {
    /// The sequence number of the entry that shows the break, if one does (a cut-off tail has
    /// no entry left to name).
    pub fn entry(&self) -> Option<i64> {
        match self {
            ChainBreak::Edited { seq }
            | ChainBreak::Gap { seq, .. }
            | ChainBreak::Unlinked { seq }
            | ChainBreak::OutOfOrder { seq }
            | ChainBreak::AnchorUnreadable { seq } => Some(*seq),
            ChainBreak::AnchorMismatch { anchor, .. } => Some(*anchor),
            ChainBreak::Truncated { .. } | ChainBreak::CutBeforeAnchor { .. } => None,
        }
    }
}

/// The break to report first: the one at the lowest sequence number; cut-off tails last.
pub fn first_break(breaks: &[ChainBreak]) -> Option<&ChainBreak> {
    breaks.iter().min_by_key(|b| b.entry().unwrap_or(i64::MAX))
}

/// Checks the entries of one chain fed in position order, one at a time, so a long log never has
/// to fit in memory. It keeps going after a break (taking the bad entry as given), so every
/// damaged place is found, not only the first.
#[derive(Debug)]
pub struct ChainVerifier {
    chain: i64,
    /// Positions up to this one are hashed the single-chain way.
    legacy: i64,
    position: i64,
    prev_hash: String,
    last_seq: i64,
    breaks: Vec<ChainBreak>,
}

impl ChainVerifier {
    /// A verifier for `chain`, whose first `legacy` positions predate the chains.
    pub fn new(chain: i64, legacy: i64) -> Self {
        Self {
            chain,
            legacy,
            position: 0,
            prev_hash: GENESIS_HASH.to_owned(),
            last_seq: i64::MIN,
            breaks: Vec::new(),
        }
    }

    /// The position of the last entry fed (0 before any).
    pub fn position(&self) -> i64 {
        self.position
    }

    /// Whether anything is wrong so far.
    pub fn is_broken(&self) -> bool {
        !self.breaks.is_empty()
    }

    pub fn push(&mut self, entry: &AuditEntry) {
        if let Some(b) = self.check(entry) {
            self.breaks.push(b);
        }
        self.position = entry.chain_seq;
        self.prev_hash = entry.hash.clone();
        self.last_seq = entry.seq;
    }

    fn check(&self, e: &AuditEntry) -> Option<ChainBreak> {
        let expected = self.position + 1;
        if e.chain != self.chain || e.chain_seq != expected {
            return Some(ChainBreak::Gap {
                seq: e.seq,
                chain: self.chain,
                found: e.chain_seq,
                expected,
            });
        }
        let legacy = e.chain_seq <= self.legacy;
        let hash = if legacy { e.legacy_hash() } else { e.compute_hash() };
        if hash != e.hash || (legacy && e.seq != e.chain_seq) {
            return Some(ChainBreak::Edited { seq: e.seq });
        }
        if e.prev_hash != self.prev_hash {
            return Some(ChainBreak::Unlinked { seq: e.seq });
        }
        if e.seq <= self.last_seq {
            return Some(ChainBreak::OutOfOrder { seq: e.seq });
        }
        None
    }

    /// Checks what the anchor entry `anchor` records for this chain. The caller has fed every
    /// entry up to the anchored position (or all there are, if fewer).
    pub fn check_anchor(&mut self, anchor: i64, head: &Head) {
        if self.position < head.chain_seq {
            self.breaks.push(ChainBreak::CutBeforeAnchor {
                anchor,
                chain: self.chain,
                anchored: head.chain_seq,
                last: self.position,
            });
        } else if self.position > head.chain_seq || self.prev_hash != head.hash {
            self.breaks.push(ChainBreak::AnchorMismatch {
                anchor,
                chain: self.chain,
                chain_seq: head.chain_seq,
            });
        }
    }

    /// Checks the end of the chain against its recorded head; returns how many entries it holds
    /// and everything found wrong.
    pub fn finish(mut self, head: &Head) -> (i64, Vec<ChainBreak>) {
        if self.position != head.chain_seq || self.prev_hash != head.hash {
            self.breaks.push(ChainBreak::Truncated {
                chain: self.chain,
                last: self.position,
                head: head.chain_seq,
            });
        }
        (self.position, self.breaks)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chain(n: i64) -> Vec<AuditEntry> {
        let mut prev = GENESIS_HASH.to_owned();
        (1..=n)
            .map(|i| {
                let mut e = AuditEntry {
                    seq: 10 * i,
                    chain: 2,
                    chain_seq: i,
                    at_ms: 1_700_000_000_000 + i,
                    actor: Some("acc_1".into()),
                    action: "test.happened".into(),
                    subject: format!("thing_{i}"),
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

    fn head_of(entries: &[AuditEntry]) -> Head {
        match entries.last() {
            Some(e) => Head {
                chain: 2,
                chain_seq: e.chain_seq,
                hash: e.hash.clone(),
            },
            None => Head {
                chain: 2,
                chain_seq: 0,
                hash: GENESIS_HASH.into(),
            },
        }
    }

    fn verify(entries: &[AuditEntry], head: &Head) -> Result<i64, Vec<ChainBreak>> {
        let mut v = ChainVerifier::new(2, 0);
        for e in entries {
            v.push(e);
        }
        match v.finish(head) {
            (n, breaks) if breaks.is_empty() => Ok(n),
            (_, breaks) => Err(breaks),
        }
    }

    #[test]
    fn an_intact_chain_verifies() {
        let c = chain(5);
        assert_eq!(verify(&c, &head_of(&c)), Ok(5));
        assert_eq!(verify(&[], &head_of(&[])), Ok(0));
    }

    #[test]
    fn an_edited_entry_is_named_and_nothing_else_is_blamed() {
        let mut c = chain(5);
        let head = head_of(&c);
        c[2].data = r#"{"amount": 1}"#.into();
        assert_eq!(verify(&c, &head), Err(vec![ChainBreak::Edited { seq: 30 }]));
    }

    #[test]
    fn a_deleted_entry_is_named() {
        let mut c = chain(5);
        let head = head_of(&c);
        c.remove(1);
        let gap = ChainBreak::Gap {
            seq: 30,
            chain: 2,
            found: 3,
            expected: 2,
        };
        assert_eq!(verify(&c, &head), Err(vec![gap]));
    }

    #[test]
    fn swapped_entries_are_named() {
        let mut c = chain(5);
        let head = head_of(&c);
        let (a, b) = (c[1].clone(), c[2].clone());
        c[1] = AuditEntry { chain_seq: 2, ..b };
        c[2] = AuditEntry { chain_seq: 3, ..a };
        let breaks = verify(&c, &head).unwrap_err();
        assert_eq!(first_break(&breaks), Some(&ChainBreak::Edited { seq: 20 }));
    }

    #[test]
    fn a_renumbered_entry_is_named() {
        let mut c = chain(3);
        let head = head_of(&c);
        c[1].seq = 5;
        assert_eq!(verify(&c, &head), Err(vec![ChainBreak::Edited { seq: 5 }]));
        // Rehashed too: the next entry no longer links to it.
        c[1].hash = c[1].compute_hash();
        c[2].prev_hash = c[1].hash.clone();
        c[2].hash = c[2].compute_hash();
        let mut v = ChainVerifier::new(2, 0);
        c.iter().for_each(|e| v.push(e));
        assert_eq!(v.finish(&head_of(&c)).1, vec![ChainBreak::OutOfOrder { seq: 5 }]);
    }

    #[test]
    fn a_rehashed_forgery_still_breaks_the_link() {
        let mut c = chain(5);
        let head = head_of(&c);
        c[2].data = r#"{"forged": true}"#.into();
        c[2].hash = c[2].compute_hash();
        assert_eq!(verify(&c, &head), Err(vec![ChainBreak::Unlinked { seq: 40 }]));
    }

    #[test]
    fn a_cut_off_tail_is_found_by_the_head() {
        let c = chain(5);
        let head = head_of(&c);
        assert_eq!(
            verify(&c[..4], &head),
            Err(vec![ChainBreak::Truncated {
                chain: 2,
                last: 4,
                head: 5
            }])
        );
    }

    #[test]
    fn a_cut_off_tail_with_a_rewound_head_is_found_by_an_anchor() {
        let c = chain(5);
        let anchored = head_of(&c[..4]);
        let mut v = ChainVerifier::new(2, 0);
        c[..3].iter().for_each(|e| v.push(e));
        v.check_anchor(99, &anchored);
        let cut = ChainBreak::CutBeforeAnchor {
            anchor: 99,
            chain: 2,
            anchored: 4,
            last: 3,
        };
        assert_eq!(v.finish(&head_of(&c[..3])).1, vec![cut]);
    }

    #[test]
    fn a_rewritten_anchored_entry_is_found() {
        let mut c = chain(3);
        let anchored = head_of(&c);
        c[2].data = r#"{"forged": true}"#.into();
        c[2].hash = c[2].compute_hash();
        let mut v = ChainVerifier::new(2, 0);
        c.iter().for_each(|e| v.push(e));
        v.check_anchor(99, &anchored);
        let mismatch = ChainBreak::AnchorMismatch {
            anchor: 99,
            chain: 2,
            chain_seq: 3,
        };
        assert_eq!(v.finish(&head_of(&c)).1, vec![mismatch]);
    }

    #[test]
    fn legacy_entries_verify_with_the_old_hash_and_the_chain_continues() {
        let mut prev = GENESIS_HASH.to_owned();
        let mut entries = Vec::new();
        for i in 1..=3 {
            let mut e = AuditEntry {
                seq: i,
                chain: 0,
                chain_seq: i,
                at_ms: i,
                actor: None,
                action: "old.thing".into(),
                subject: "s".into(),
                data: "{}".into(),
                prev_hash: prev.clone(),
                hash: String::new(),
            };
            e.hash = if i <= 2 { e.legacy_hash() } else { e.compute_hash() };
            prev = e.hash.clone();
            entries.push(e);
        }
        let head = Head {
            chain: 0,
            chain_seq: 3,
            hash: prev,
        };
        let mut v = ChainVerifier::new(0, 2);
        entries.iter().for_each(|e| v.push(e));
        assert_eq!(v.finish(&head), (3, vec![]));
        // The new format is not accepted for a legacy position, nor the reverse.
        let mut v = ChainVerifier::new(0, 3);
        entries.iter().for_each(|e| v.push(e));
        assert_eq!(v.finish(&head).1, vec![ChainBreak::Edited { seq: 3 }]);
    }
}
