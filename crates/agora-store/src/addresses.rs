//! A buyer's address book. An address is kept as the JSON of `agora_core::address::Address`;
//! every query names the owning account, so another account's address is simply not found.

use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

/// A saved address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddressRow {
    pub id: String,
    pub account_id: String,
    /// The address as JSON.
    pub address: String,
    pub is_default: bool,
    pub created_at: i64,
    pub updated_at: i64,
}

const COLUMNS: &str = "id, account_id, address, is_default, created_at, updated_at";

fn from_row(r: &AnyRow) -> sqlx::Result<AddressRow> {
    Ok(AddressRow {
        id: r.try_get(0)?,
        account_id: r.try_get(1)?,
        address: r.try_get(2)?,
        is_default: crate::flag(r.try_get(3)?),
        created_at: r.try_get(4)?,
        updated_at: r.try_get(5)?,
    })
}

/// The account's addresses: the default first, then oldest first.
pub async fn of_account(conn: &mut AnyConnection, account_id: &str) -> sqlx::Result<Vec<AddressRow>> {
    let sql = format!("SELECT {COLUMNS} FROM addresses WHERE account_id = $1 ORDER BY is_default DESC, created_at, id");
    sqlx::query(&sql)
        .bind(account_id)
        .fetch_all(conn)
        .await?
        .iter()
        .map(from_row)
        .collect()
}

/// One of the account's addresses; `None` for another account's or none.
pub async fn by_id(conn: &mut AnyConnection, account_id: &str, id: &str) -> sqlx::Result<Option<AddressRow>> {
    let sql = format!("SELECT {COLUMNS} FROM addresses WHERE account_id = $1 AND id = $2");
    sqlx::query(&sql)
        .bind(account_id)
        .bind(id)
        .fetch_optional(conn)
        .await?
        .as_ref()
        .map(from_row)
        .transpose()
}

/// The account's default address, if it has one.
pub async fn default_of(conn: &mut AnyConnection, account_id: &str) -> sqlx::Result<Option<AddressRow>> {
    let sql = format!("SELECT {COLUMNS} FROM addresses WHERE account_id = $1 AND is_default = 1");
    sqlx::query(&sql)
        .bind(account_id)
        .fetch_optional(conn)
        .await?
        .as_ref()
        .map(from_row)
        .transpose()
}

pub async fn insert(conn: &mut AnyConnection, a: &AddressRow) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO addresses (id, account_id, address, is_default, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(&a.id)
    .bind(&a.account_id)
    .bind(&a.address)
    .bind(i64::from(a.is_default))
    .bind(a.created_at)
    .bind(a.updated_at)
    .execute(conn)
    .await?;
    Ok(())
}

/// Changes one of the account's addresses; false when it has no such address.
pub async fn update(
    conn: &mut AnyConnection,
    account_id: &str,
    id: &str,
    address: &str,
    now: i64,
) -> sqlx::Result<bool> {
    let done = sqlx::query("UPDATE addresses SET address = $3, updated_at = $4 WHERE account_id = $1 AND id = $2")
        .bind(account_id)
        .bind(id)
        .bind(address)
        .bind(now)
        .execute(conn)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Makes `id` the account's only default address (none when `id` is not one of its addresses).
pub async fn set_default(conn: &mut AnyConnection, account_id: &str, id: &str) -> sqlx::Result<()> {
    sqlx::query("UPDATE addresses SET is_default = CASE WHEN id = $2 THEN 1 ELSE 0 END WHERE account_id = $1")
        .bind(account_id)
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}

/// Deletes one of the account's addresses; false when it has no such address.
pub async fn delete(conn: &mut AnyConnection, account_id: &str, id: &str) -> sqlx::Result<bool> {
    let done = sqlx::query("DELETE FROM addresses WHERE account_id = $1 AND id = $2")
        .bind(account_id)
        .bind(id)
        .execute(conn)
        .await?;
    Ok(done.rows_affected() == 1)
}
