//! Signed contracts, each party's acceptance, the order a contract produced, and the platform's
//! signing key.

use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

/// The platform's key as stored: `(id, secret hex, public hex)`.
#[derive(Debug, Clone)]
pub struct KeyRow {
    pub id: String,
    pub secret_key: String,
    pub public_key: String,
}

/// The platform's key: the first one ever stored (there is one).
pub async fn platform_key(conn: &mut AnyConnection) -> sqlx::Result<Option<KeyRow>> {
    let row = sqlx::query("SELECT id, secret_key, public_key FROM platform_keys ORDER BY created_at, id LIMIT 1")
        .fetch_optional(conn)
        .await?;
    row.map(|r| {
        Ok(KeyRow {
            id: r.try_get(0)?,
            secret_key: r.try_get(1)?,
            public_key: r.try_get(2)?,
        })
    })
    .transpose()
}

/// Stores the platform's key under the fixed id `platform`, unless a node stored one first; true
/// when this one was stored.
pub async fn insert_platform_key(conn: &mut AnyConnection, k: &KeyRow, now: i64) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "INSERT INTO platform_keys (id, secret_key, public_key, created_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (id) DO NOTHING",
    )
    .bind(&k.id)
    .bind(&k.secret_key)
    .bind(&k.public_key)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// A contract as stored.
#[derive(Debug, Clone)]
pub struct ContractRow {
    pub id: String,
    /// `negotiation` or `quote`.
    pub source_kind: String,
    pub source_id: String,
    pub buyer_account_id: String,
    pub shop_id: String,
    /// The canonical JSON text that was signed.
    pub document: String,
    pub sha256: String,
    pub platform_signature: String,
    pub platform_key_id: String,
    pub created_at: i64,
}

const COLUMNS: &str = "c.id, c.source_kind, c.source_id, c.buyer_account_id, c.shop_id, c.document, c.sha256, \
     c.platform_signature, c.platform_key_id, c.created_at";

fn contract(r: &AnyRow) -> sqlx::Result<ContractRow> {
    Ok(ContractRow {
        id: r.try_get(0)?,
        source_kind: r.try_get(1)?,
        source_id: r.try_get(2)?,
        buyer_account_id: r.try_get(3)?,
        shop_id: r.try_get(4)?,
        document: r.try_get(5)?,
        sha256: r.try_get(6)?,
        platform_signature: r.try_get(7)?,
        platform_key_id: r.try_get(8)?,
        created_at: r.try_get(9)?,
    })
}

pub async fn insert(conn: &mut AnyConnection, c: &ContractRow) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO contracts (id, source_kind, source_id, buyer_account_id, shop_id, document, sha256, \
         platform_signature, platform_key_id, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(&c.id)
    .bind(&c.source_kind)
    .bind(&c.source_id)
    .bind(&c.buyer_account_id)
    .bind(&c.shop_id)
    .bind(&c.document)
    .bind(&c.sha256)
    .bind(&c.platform_signature)
    .bind(&c.platform_key_id)
    .bind(c.created_at)
    .execute(conn)
    .await?;
    Ok(())
}

/// A contract with the public key that signed it.
pub async fn by_id(conn: &mut AnyConnection, id: &str) -> sqlx::Result<Option<(ContractRow, String)>> {
    let sql = format!(
        "SELECT {COLUMNS}, k.public_key FROM contracts c JOIN platform_keys k ON k.id = c.platform_key_id WHERE c.id = $1"
    );
    let row = sqlx::query(&sql).bind(id).fetch_optional(conn).await?;
    row.map(|r| Ok((contract(&r)?, r.try_get(10)?))).transpose()
}

/// One party's acceptance of a contract.
#[derive(Debug, Clone)]
pub struct AcceptanceRow {
    /// `buyer` or `seller`.
    pub party: String,
    pub account_id: String,
    pub session_id: String,
    pub at: i64,
}

pub async fn insert_acceptance(conn: &mut AnyConnection, contract_id: &str, a: &AcceptanceRow) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO contract_acceptances (contract_id, party, account_id, session_id, at) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(contract_id)
    .bind(&a.party)
    .bind(&a.account_id)
    .bind(&a.session_id)
    .bind(a.at)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn acceptances(conn: &mut AnyConnection, contract_id: &str) -> sqlx::Result<Vec<AcceptanceRow>> {
    sqlx::query(
        "SELECT party, account_id, session_id, at FROM contract_acceptances WHERE contract_id = $1 ORDER BY at, party",
    )
    .bind(contract_id)
    .fetch_all(conn)
    .await?
    .iter()
    .map(|r| {
        Ok(AcceptanceRow {
            party: r.try_get(0)?,
            account_id: r.try_get(1)?,
            session_id: r.try_get(2)?,
            at: r.try_get(3)?,
        })
    })
    .collect()
}

pub async fn link_order(conn: &mut AnyConnection, order_id: &str, contract_id: &str) -> sqlx::Result<()> {
    sqlx::query("INSERT INTO order_contracts (order_id, contract_id) VALUES ($1, $2)")
        .bind(order_id)
        .bind(contract_id)
        .execute(conn)
        .await?;
    Ok(())
}

/// The order a contract produced.
pub async fn order_of(conn: &mut AnyConnection, contract_id: &str) -> sqlx::Result<Option<String>> {
    let row = sqlx::query("SELECT order_id FROM order_contracts WHERE contract_id = $1")
        .bind(contract_id)
        .fetch_optional(conn)
        .await?;
    row.map(|r| r.try_get(0)).transpose()
}

/// The contract an order came from, if any.
pub async fn contract_of_order(conn: &mut AnyConnection, order_id: &str) -> sqlx::Result<Option<String>> {
    let row = sqlx::query("SELECT contract_id FROM order_contracts WHERE order_id = $1")
        .bind(order_id)
        .fetch_optional(conn)
        .await?;
    row.map(|r| r.try_get(0)).transpose()
}
