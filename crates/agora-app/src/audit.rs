//! Recording state changes in the audit chains, anchoring the chains' heads, and verifying the
//! whole log (what is and is not detectable is set out in `agora_core::audit`).

use std::collections::{BTreeMap, VecDeque};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use agora_core::audit::{
    chain_of, first_break, Anchor, AuditAction, AuditEntry, ChainBreak, ChainVerifier, Head, ANCHOR_CHAIN,
    ANCHOR_SUBJECT, CHAINS, GENESIS_HASH,
};
use agora_store::audit::{self as store, Record};
use agora_store::{new_id, now_ms, Conn};

use crate::{App, AppResult};

/// How often each node anchors the chains' heads: the window in which a cut-off tail with a
/// rewound head could go unseen.
pub const ANCHOR_EVERY: Duration = Duration::from_secs(30);

/// Appends an audit entry inside the caller's transaction, to the chain of `subject`. Call it
/// late in the transaction: the chain's head stays locked until commit.
pub async fn record(
    conn: &mut Conn,
    actor: Option<&str>,
    action: AuditAction,
    subject: &str,
    data: serde_json::Value,
) -> AppResult<i64> {
    let record = Record {
        at_ms: now_ms(),
        actor,
        action: action.as_str(),
        subject,
        data: &data.to_string(),
    };
    let entry = store::append(conn, chain_of(subject, CHAINS), record).await?;
    Ok(entry.seq)
}

/// The chain an entry about `subject` goes to.
pub fn chain_for(subject: &str) -> i64 {
    chain_of(subject, CHAINS)
}

/// How many of this process's checkouts are about to write, or writing, to each chain.
static WRITING: [AtomicU32; CHAINS as usize] = [const { AtomicU32::new(0) }; CHAINS as usize];

/// How many ids [`new_subject_id`] draws at most.
const DRAWS: usize = 32;

/// A chain counted as written to by this process until dropped.
#[derive(Debug)]
pub(crate) struct ChainInUse(usize);

impl Drop for ChainInUse {
    fn drop(&mut self) {
        WRITING[self.0].fetch_sub(1, Ordering::Relaxed);
    }
}

/// A new id with `prefix` for the subject of an entry about to be written, drawn among a few so
/// that its chain is one this process is writing to the least, and counted as written to until
/// the answered guard is dropped (after the transaction ends). On PostgreSQL an entry locks its
/// chain's head until its transaction commits: concurrent checkouts of one node then seldom wait
/// for each other there. Only a hint: two checkouts may still meet on a chain, and then one
/// waits as it would anyway.
pub(crate) fn new_subject_id(prefix: &str) -> (String, ChainInUse) {
    let mut best: Option<(u32, String, usize)> = None;
    for _ in 0..DRAWS {
        let id = new_id(prefix);
        let chain = usize::try_from(chain_of(&id, CHAINS)).unwrap_or(0);
        let writing = WRITING[chain].load(Ordering::Relaxed);
        if best.as_ref().is_none_or(|(least, _, _)| writing < *least) {
            best = Some((writing, id, chain));
        }
        if writing == 0 {
            break;
        }
    }
    let (id, chain) = match best {
        Some((_, id, chain)) => (id, chain),
        None => {
            let id = new_id(prefix);
            let chain = usize::try_from(chain_of(&id, CHAINS)).unwrap_or(0);
            (id, chain)
        }
    };
    WRITING[chain].fetch_add(1, Ordering::Relaxed);
    (id, ChainInUse(chain))
}

/// [`record`] for a transaction that sends its writes together: the writes of an entry at `slot`,
/// a place reserved at the end of [`chain_for`]`(subject)` in the same transaction (which locked
/// the chain's head until the transaction ends).
pub fn entry_writes(
    slot: store::Slot,
    actor: Option<&str>,
    action: AuditAction,
    subject: &str,
    data: &str,
) -> Vec<agora_store::batch::Write> {
    let record = Record {
        at_ms: now_ms(),
        actor,
        action: action.as_str(),
        subject,
        data,
    };
    store::entry_writes(slot, record).1
}

/// Writes an anchor entry recording every chain's head, unless nothing changed since the last
/// one. Returns the anchor's sequence number when one was written.
pub async fn anchor(app: &App) -> AppResult<Option<i64>> {
    let mut tx = app.db.begin().await?;
    tx.leaves_storefront_alone();
    // The anchor chain's head is locked first, so anchors written by several nodes at once record
    // heads that only ever move forward.
    let slot = store::reserve(&mut tx, ANCHOR_CHAIN).await?;
    let heads: Vec<_> = store::heads(&mut tx)
        .await?
        .into_iter()
        .filter(|h| h.chain != ANCHOR_CHAIN)
        .collect();
    let previous = store::at(&mut tx, ANCHOR_CHAIN, slot.chain_seq - 1).await?;
    if previous.is_some_and(|p| Anchor::from_data(&p.data).is_ok_and(|a| a.heads == heads)) {
        tx.rollback().await?;
        return Ok(None);
    }
    let data = Anchor { heads }.to_data();
    let record = Record {
        at_ms: now_ms(),
        actor: None,
        action: AuditAction::AuditAnchored.as_str(),
        subject: ANCHOR_SUBJECT,
        data: &data,
    };
    let entry = store::write(&mut tx, slot, record).await?;
    tx.commit().await?;
    Ok(Some(entry.seq))
}

/// Anchors the chains every `every` until the process ends.
pub async fn anchor_periodically(app: App, every: Duration) {
    loop {
        tokio::time::sleep(every).await;
        if let Err(err) = anchor(&app).await {
            tracing::warn!(error = %err, "anchoring the audit chains failed; will retry");
        }
    }
}

/// The outcome of checking the whole log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Every entry is intact; this many were checked (anchors included).
    Intact { entries: i64 },
    /// The first thing found wrong (see [`report`] for all of them).
    Broken(ChainBreak),
}

/// Everything a check of the log found.
#[derive(Debug, Clone)]
pub struct Report {
    /// Entries checked, anchors included.
    pub entries: i64,
    /// Every break found, in no particular order.
    pub breaks: Vec<ChainBreak>,
    /// The newest anchor's sequence number and hash: worth keeping outside the database.
    pub newest_anchor: Option<(i64, String)>,
}

/// Checks the whole log and names the first break.
pub async fn verify(app: &App) -> AppResult<Verdict> {
    let report = report(app).await?;
    Ok(match first_break(&report.breaks) {
        None => Verdict::Intact {
            entries: report.entries,
        },
        Some(b) => Verdict::Broken(b.clone()),
    })
}

/// Checks every chain against its links and head, and every anchor against the chains: the
/// anchor chain is read in order, and each chain is read along with it up to the position the
/// anchor records, so the whole log is read once, a page per chain at a time.
pub async fn report(app: &App) -> AppResult<Report> {
    let mut conn = app.db.conn().await?;
    let (chain_count, legacy) = store::config(&mut conn).await?;
    let recorded = store::heads(&mut conn).await?;
    // Every chain the schema has, whether or not its head row is still there (a missing one
    // reads as empty, so whatever the chain holds shows up as a mismatch).
    let heads: Vec<Head> = std::iter::once(ANCHOR_CHAIN)
        .chain(0..chain_count)
        .map(|chain| {
            recorded.iter().find(|h| h.chain == chain).cloned().unwrap_or(Head {
                chain,
                chain_seq: 0,
                hash: GENESIS_HASH.to_owned(),
            })
        })
        .collect();
    let mut chains: BTreeMap<i64, Cursor> = heads
        .iter()
        .map(|h| (h.chain, Cursor::new(h.chain, if h.chain == 0 { legacy } else { 0 })))
        .collect();
    let mut anchors = chains
        .remove(&ANCHOR_CHAIN)
        .unwrap_or_else(|| Cursor::new(ANCHOR_CHAIN, 0));
    let mut breaks = Vec::new();
    let mut newest_anchor = None;
    while let Some(a) = anchors.next(&mut conn).await? {
        anchors.verifier.push(&a);
        newest_anchor = Some((a.seq, a.hash.clone()));
        let Ok(anchor) = Anchor::from_data(&a.data) else {
            breaks.push(ChainBreak::AnchorUnreadable { seq: a.seq });
            continue;
        };
        for head in &anchor.heads {
            match chains.get_mut(&head.chain) {
                Some(chain) => {
                    chain.advance_to(&mut conn, head.chain_seq).await?;
                    chain.verifier.check_anchor(a.seq, head);
                }
                None => breaks.push(ChainBreak::AnchorUnreadable { seq: a.seq }),
            }
        }
    }
    let mut anchors = Some(anchors);
    let mut entries = 0;
    for head in &heads {
        let chain = match head.chain {
            ANCHOR_CHAIN => anchors.take(),
            chain => chains.remove(&chain),
        };
        let Some(mut chain) = chain else { continue };
        chain.advance_to(&mut conn, i64::MAX).await?;
        let (n, found) = chain.verifier.finish(head);
        entries += n;
        breaks.extend(found);
    }
    Ok(Report {
        entries,
        breaks,
        newest_anchor,
    })
}

/// Reads one chain in pages and feeds its verifier.
struct Cursor {
    chain: i64,
    verifier: ChainVerifier,
    buffer: VecDeque<AuditEntry>,
    /// The position of the last entry read from the database.
    read_up_to: i64,
    exhausted: bool,
}

const PAGE: i64 = 500;

impl Cursor {
    fn new(chain: i64, legacy: i64) -> Self {
        Self {
            chain,
            verifier: ChainVerifier::new(chain, legacy),
            buffer: VecDeque::new(),
            read_up_to: 0,
            exhausted: false,
        }
    }

    async fn next(&mut self, conn: &mut Conn) -> AppResult<Option<AuditEntry>> {
        if self.buffer.is_empty() && !self.exhausted {
            let page = store::chain_page(conn, self.chain, self.read_up_to, PAGE).await?;
            self.exhausted = (page.len() as i64) < PAGE;
            if let Some(last) = page.last() {
                self.read_up_to = last.chain_seq;
            }
            self.buffer.extend(page);
        }
        Ok(self.buffer.pop_front())
    }

    /// Feeds the verifier every entry up to `position` (or to the end, if the chain is shorter).
    async fn advance_to(&mut self, conn: &mut Conn, position: i64) -> AppResult<()> {
        while self.verifier.position() < position {
            match self.next(conn).await? {
                Some(e) => self.verifier.push(&e),
                None => break,
            }
        }
        Ok(())
    }
}
