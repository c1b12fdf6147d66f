//! Account rows.

use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

/// An account as stored.
#[derive(Debug, Clone)]
pub struct AccountRow {
    pub id: String,
    pub email: String,
    pub name: String,
    pub kind: String,
    pub password_hash: String,
    pub is_operator: bool,
    pub created_at: i64,
}

const COLUMNS: &str = "id, email, name, kind, password_hash, is_operator, created_at";

fn from_row(row: &AnyRow) -> sqlx::Result<AccountRow> {
    Ok(AccountRow {
        id: row.try_get(0)?,
        email: row.try_get(1)?,
        name: row.try_get(2)?,
        kind: row.try_get(3)?,
        password_hash: row.try_get(4)?,
        is_operator: crate::flag(row.try_get(5)?),
        created_at: row.try_get(6)?,
    })
}

/// Inserts an account; a duplicate email is a unique violation (see [`crate::is_unique_violation`]).
pub async fn insert(conn: &mut AnyConnection, a: &AccountRow) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO accounts (id, email, name, kind, password_hash, is_operator, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(&a.id)
    .bind(&a.email)
    .bind(&a.name)
    .bind(&a.kind)
    .bind(&a.password_hash)
    .bind(i64::from(a.is_operator))
    .bind(a.created_at)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn by_email(conn: &mut AnyConnection, email: &str) -> sqlx::Result<Option<AccountRow>> {
    let sql = format!("SELECT {COLUMNS} FROM accounts WHERE email = $1");
    sqlx::query(&sql)
        .bind(email)
        .fetch_optional(conn)
        .await?
        .as_ref()
        .map(from_row)
        .transpose()
}

pub async fn by_id(conn: &mut AnyConnection, id: &str) -> sqlx::Result<Option<AccountRow>> {
    let sql = format!("SELECT {COLUMNS} FROM accounts WHERE id = $1");
    sqlx::query(&sql)
        .bind(id)
        .fetch_optional(conn)
        .await?
        .as_ref()
        .map(from_row)
        .transpose()
}

pub async fn set_password_hash(conn: &mut AnyConnection, id: &str, hash: &str) -> sqlx::Result<()> {
    sqlx::query("UPDATE accounts SET password_hash = $1 WHERE id = $2")
        .bind(hash)
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn set_operator(conn: &mut AnyConnection, id: &str) -> sqlx::Result<()> {
    sqlx::query("UPDATE accounts SET is_operator = 1 WHERE id = $1")
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn count(conn: &mut AnyConnection) -> sqlx::Result<i64> {
    sqlx::query("SELECT COUNT(*) FROM accounts")
        .fetch_one(conn)
        .await?
        .try_get(0)
}
