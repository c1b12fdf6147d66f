//! The first step of a checkout's writing transaction, in one round trip: the `Idempotency-Key`
//! claimed, the cart emptied (answering the lines it held), the stock of every line taken at the
//! price it was priced at, and the audit entry's place reserved. On PostgreSQL one statement of
//! `WITH` queries, each gated on the key's claim so that a key used before changes nothing and a
//! retry waiting on the key holds no other lock; on SQLite one string of statements sent to the
//! writer's thread at once. Either way the caller decides on what it answers, and rolls back when
//! the key was used before, the cart changed or some stock was short.

use std::collections::BTreeMap;

use sqlx::Row;

use crate::audit::Slot;
use crate::batch::Arg;
use crate::carts::TakenLine;
use crate::{Engine, Tx};

/// A key to claim with the checkout: as [`crate::idempotency::claim`] takes it.
#[derive(Debug, Clone, Copy)]
pub struct KeyClaim<'a> {
    pub scope: &'a str,
    pub key: &'a str,
    pub request_hash: &'a str,
    pub now: i64,
}

/// What the first step does.
#[derive(Debug, Clone, Copy)]
pub struct Start<'a> {
    pub key: Option<KeyClaim<'a>>,
    pub cart_id: &'a str,
    /// `(variant id, units)` of every line of every order.
    pub takes: &'a [(&'a str, i64)],
    /// `(variant id, base price)` the lines were priced at.
    pub prices: &'a [(&'a str, i64)],
    pub audit_chain: i64,
}

/// What it found.
#[derive(Debug, Clone)]
pub struct Started {
    /// False when the key was used before: nothing else was done on PostgreSQL, and on SQLite
    /// whatever was done must be rolled back.
    pub claimed: bool,
    /// The lines the cart held, sorted.
    pub taken: Vec<TakenLine>,
    /// Units taken per variant.
    pub wanted: BTreeMap<String, i64>,
    /// Each variant's stock after, sorted; the variants missing here were short.
    pub after: Vec<(String, i64)>,
    pub slot: Option<Slot>,
}

impl Started {
    /// The variants that were not taken (out of stock, repriced or archived since).
    pub fn short(&self) -> Vec<String> {
        self.wanted
            .keys()
            .filter(|v| !self.after.iter().any(|(id, _)| id == *v))
            .cloned()
            .collect()
    }
}

/// Runs the first step on the writing transaction `tx`, as its first statement (see
/// [`Tx::opening`]).
pub async fn start(tx: &mut Tx, s: Start<'_>) -> sqlx::Result<Started> {
    let engine = Engine::of(tx);
    let mut wanted: BTreeMap<String, i64> = BTreeMap::new();
    for (variant, quantity) in s.takes {
        *wanted.entry((*variant).to_owned()).or_default() += quantity;
    }
    let mut args: Vec<Arg> = Vec::new();
    let next = |args: &mut Vec<Arg>, arg: Arg| {
        args.push(arg);
        format!("${}", args.len())
    };
    let claim = s.key.map(|k| {
        let p: Vec<String> = [
            Arg::from(k.scope),
            k.key.into(),
            k.request_hash.into(),
            k.now.into(),
            k.now.into(),
            (k.now - crate::idempotency::TTL_MS).into(),
        ]
        .into_iter()
        .map(|a| next(&mut args, a))
        .collect();
        crate::idempotency::claim_sql(&p)
    });
    let cart = next(&mut args, s.cart_id.into());
    let rows: Vec<String> = wanted
        .iter()
        .map(|(variant, quantity)| {
            let price = s.prices.iter().find(|(v, _)| v == variant).map_or(-1, |(_, p)| *p);
            let v = next(&mut args, variant.into());
            let q = next(&mut args, (*quantity).into());
            let p = next(&mut args, price.into());
            format!("({v}, CAST({q} AS BIGINT), CAST({p} AS BIGINT))")
        })
        .collect();
    let chain = next(&mut args, s.audit_chain.into());
    // Each part answers rows of one shape: (part, text, text, number, number).
    let sql = match engine {
        Engine::Postgres => {
            let (with_claim, gate) = match &claim {
                Some(c) => (
                    format!("claim AS ({c} RETURNING 1), "),
                    " AND EXISTS (SELECT 1 FROM claim)",
                ),
                None => (String::new(), ""),
            };
            let stock = if rows.is_empty() {
                String::new()
            } else {
                format!(
                    "d(vid, qty, price) AS (VALUES {}), \
                     locked AS (SELECT id FROM variants WHERE id IN (SELECT vid FROM d){gate} ORDER BY id FOR NO KEY UPDATE), \
                     stock AS (UPDATE variants SET stock = stock - d.qty FROM d \
                       WHERE variants.id = d.vid AND variants.id IN (SELECT id FROM locked) AND variants.stock >= d.qty \
                       AND variants.price_amount = d.price AND variants.archived_at IS NULL \
                       RETURNING variants.id, variants.stock), ",
                    rows.join(", ")
                )
            };
            let stock_rows = if rows.is_empty() {
                ""
            } else {
                " UNION ALL SELECT CAST(1 AS BIGINT), id, CAST(NULL AS TEXT), stock, CAST(0 AS BIGINT) FROM stock"
            };
            let claim_rows = if claim.is_some() {
                " UNION ALL SELECT CAST(3 AS BIGINT), CAST(NULL AS TEXT), CAST(NULL AS TEXT), CAST(0 AS BIGINT), \
                 CAST(0 AS BIGINT) FROM claim"
            } else {
                ""
            };
            format!(
                "WITH {with_claim}\
                 taken AS (DELETE FROM cart_lines WHERE cart_id = {cart}{gate} RETURNING id, variant_id, quantity), \
                 {stock}\
                 slot AS (UPDATE audit_chains SET chain_seq = chain_seq + 1 WHERE chain = {chain}{gate} \
                   RETURNING chain_seq, hash, {seq} AS seq) \
                 SELECT CAST(0 AS BIGINT), id, variant_id, quantity, CAST(0 AS BIGINT) FROM taken{stock_rows} \
                 UNION ALL SELECT CAST(2 AS BIGINT), hash, CAST(NULL AS TEXT), chain_seq, seq FROM slot{claim_rows}",
                seq = engine.next_audit_seq(),
            )
        }
        Engine::Sqlite => {
            let mut parts = Vec::new();
            if let Some(c) = claim {
                parts.push(format!("{c} RETURNING 3, NULL, NULL, 0, 0"));
            }
            parts.push(format!(
                "DELETE FROM cart_lines WHERE cart_id = {cart} RETURNING 0, id, variant_id, quantity, 0"
            ));
            if !rows.is_empty() {
                parts.push(format!(
                    "WITH d(vid, qty, price) AS (VALUES {}) \
                     UPDATE variants SET stock = stock - d.qty FROM d \
                     WHERE variants.id = d.vid AND variants.stock >= d.qty \
                     AND variants.price_amount = d.price AND variants.archived_at IS NULL \
                     RETURNING 1, id, NULL, stock, 0",
                    rows.join(", ")
                ));
            }
            parts.push(format!(
                "UPDATE audit_chains SET chain_seq = chain_seq + 1 WHERE chain = {chain} \
                 RETURNING 2, hash, NULL, chain_seq, {}",
                engine.next_audit_seq()
            ));
            parts.join("; ")
        }
    };
    let sql = tx.opening(&sql);
    let query = crate::batch::bind(sqlx::query(&sql), args);
    let mut started = Started {
        claimed: s.key.is_none(),
        taken: Vec::new(),
        wanted,
        after: Vec::new(),
        slot: None,
    };
    for r in query.fetch_all(&mut **tx).await? {
        let part: i64 = r.try_get(0)?;
        match part {
            0 => started.taken.push((r.try_get(1)?, r.try_get(2)?, r.try_get(3)?)),
            1 => started.after.push((r.try_get(1)?, r.try_get(3)?)),
            2 => {
                started.slot = Some(Slot {
                    chain: s.audit_chain,
                    chain_seq: r.try_get(3)?,
                    prev_hash: r.try_get(1)?,
                    seq: r.try_get(4)?,
                })
            }
            _ => started.claimed = true,
        }
    }
    started.taken.sort();
    started.after.sort();
    Ok(started)
}
