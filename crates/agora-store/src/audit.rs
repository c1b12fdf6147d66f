//! The audit log's tables: entries in several hash chains with one head row each, appended in the
//! same transaction as the change they record (the rules are in `agora_core::audit`).

use agora_core::audit::{AuditEntry, Head};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use crate::batch::Write;
use crate::Engine;

/// A reserved place at the end of a chain: the next position, the hash it must link to and the
/// log-wide sequence number. Reserving locks the chain's head row (a row lock on PostgreSQL, the
/// write lock on SQLite) until the transaction ends, so a chain never forks; writers to other
/// chains do not wait.
#[derive(Debug, Clone)]
pub struct Slot {
    pub chain: i64,
    pub chain_seq: i64,
    pub prev_hash: String,
    pub seq: i64,
}

pub async fn reserve(conn: &mut AnyConnection, chain: i64) -> sqlx::Result<Slot> {
    let sql = format!(
        "UPDATE audit_chains SET chain_seq = chain_seq + 1 WHERE chain = $1 RETURNING chain_seq, hash, {}",
        Engine::of(conn).next_audit_seq()
    );
    let row = sqlx::query(&sql).bind(chain).fetch_one(&mut *conn).await?;
    Ok(Slot {
        chain,
        chain_seq: row.try_get(0)?,
        prev_hash: row.try_get(1)?,
        seq: row.try_get(2)?,
    })
}

/// What an entry says, before it has a place in a chain.
#[derive(Debug, Clone, Copy)]
pub struct Record<'a> {
    pub at_ms: i64,
    pub actor: Option<&'a str>,
    pub action: &'a str,
    pub subject: &'a str,
    pub data: &'a str,
}

/// The entry `record` makes at `slot`, with its hash.
fn sealed(slot: Slot, record: Record<'_>) -> AuditEntry {
    let mut entry = AuditEntry {
        seq: slot.seq,
        chain: slot.chain,
        chain_seq: slot.chain_seq,
        at_ms: record.at_ms,
        actor: record.actor.map(str::to_owned),
        action: record.action.to_owned(),
        subject: record.subject.to_owned(),
        data: record.data.to_owned(),
        prev_hash: slot.prev_hash,
        hash: String::new(),
    };
    entry.hash = entry.compute_hash();
    entry
}

/// Writes `record` at `slot` and moves the chain's head to it.
pub async fn write(conn: &mut AnyConnection, slot: Slot, record: Record<'_>) -> sqlx::Result<AuditEntry> {
    let entry = sealed(slot, record);
    for statement in Engine::of(conn).write_audit_entry() {
        sqlx::query(statement)
            .bind(entry.seq)
            .bind(entry.chain)
            .bind(entry.chain_seq)
            .bind(entry.at_ms)
            .bind(entry.actor.as_deref())
            .bind(&entry.action)
            .bind(&entry.subject)
            .bind(&entry.data)
            .bind(&entry.prev_hash)
            .bind(&entry.hash)
            .execute(&mut *conn)
            .await?;
    }
    Ok(entry)
}

/// [`write`] as the writes to run (in a [`Batch`](crate::batch::Batch)): the entry and its
/// chain's new head.
pub fn entry_writes(slot: Slot, record: Record<'_>) -> (AuditEntry, Vec<Write>) {
    let entry = sealed(slot, record);
    let writes = vec![
        Write::new(
            "INSERT INTO audit_log (seq, chain, chain_seq, at, actor, action, subject, data, prev_hash, hash) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
            vec![
                entry.seq.into(),
                entry.chain.into(),
                entry.chain_seq.into(),
                entry.at_ms.into(),
                entry.actor.as_deref().into(),
                (&entry.action).into(),
                (&entry.subject).into(),
                (&entry.data).into(),
                (&entry.prev_hash).into(),
                (&entry.hash).into(),
            ],
        ),
        Write::new(
            "UPDATE audit_chains SET hash = $1 WHERE chain = $2",
            vec![(&entry.hash).into(), entry.chain.into()],
        ),
    ];
    (entry, writes)
}

/// Appends `record` to the end of `chain`.
pub async fn append(conn: &mut AnyConnection, chain: i64, record: Record<'_>) -> sqlx::Result<AuditEntry> {
    let slot = reserve(conn, chain).await?;
    write(conn, slot, record).await
}

/// The fixed facts about the log: how many entity chains, and how many entries of chain 0 were
/// written when the log was a single chain.
pub async fn config(conn: &mut AnyConnection) -> sqlx::Result<(i64, i64)> {
    let row = sqlx::query("SELECT chains, legacy_entries FROM audit_config WHERE id = 1")
        .fetch_one(conn)
        .await?;
    Ok((row.try_get(0)?, row.try_get(1)?))
}

/// Every chain's recorded head (the anchor chain's too), by chain.
pub async fn heads(conn: &mut AnyConnection) -> sqlx::Result<Vec<Head>> {
    let rows = sqlx::query("SELECT chain, chain_seq, hash FROM audit_chains ORDER BY chain")
        .fetch_all(conn)
        .await?;
    rows.iter()
        .map(|r| {
            Ok(Head {
                chain: r.try_get(0)?,
                chain_seq: r.try_get(1)?,
                hash: r.try_get(2)?,
            })
        })
        .collect()
}

const COLUMNS: &str = "seq, chain, chain_seq, at, actor, action, subject, data, prev_hash, hash";

/// Up to `limit` entries of `chain` after position `after`, in order: chains are read in pages
/// when verified.
pub async fn chain_page(conn: &mut AnyConnection, chain: i64, after: i64, limit: i64) -> sqlx::Result<Vec<AuditEntry>> {
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM audit_log WHERE chain = $1 AND chain_seq > $2 ORDER BY chain_seq LIMIT $3"
    ))
    .bind(chain)
    .bind(after)
    .bind(limit)
    .fetch_all(conn)
    .await?;
    rows.iter().map(entry).collect()
}

/// The entry at `chain_seq` of `chain`, if there is one.
pub async fn at(conn: &mut AnyConnection, chain: i64, chain_seq: i64) -> sqlx::Result<Option<AuditEntry>> {
    let row = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM audit_log WHERE chain = $1 AND chain_seq = $2"
    ))
    .bind(chain)
    .bind(chain_seq)
    .fetch_optional(conn)
    .await?;
    row.as_ref().map(entry).transpose()
}

/// The latest entries about `subject`, newest first (for showing a shop's history). Anchors are
/// about the log itself, never about a subject.
pub async fn for_subject(conn: &mut AnyConnection, subject: &str, limit: i64) -> sqlx::Result<Vec<AuditEntry>> {
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM audit_log WHERE subject = $1 AND chain >= 0 ORDER BY seq DESC LIMIT $2"
    ))
    .bind(subject)
    .bind(limit)
    .fetch_all(conn)
    .await?;
    rows.iter().map(entry).collect()
}

fn entry(r: &AnyRow) -> sqlx::Result<AuditEntry> {
    Ok(AuditEntry {
        seq: r.try_get(0)?,
        chain: r.try_get(1)?,
        chain_seq: r.try_get(2)?,
        at_ms: r.try_get(3)?,
        actor: r.try_get(4)?,
        action: r.try_get(5)?,
        subject: r.try_get(6)?,
        data: r.try_get(7)?,
        prev_hash: r.try_get(8)?,
        hash: r.try_get(9)?,
    })
}
