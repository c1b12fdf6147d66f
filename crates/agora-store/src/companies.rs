//! Companies and their members.

use sqlx::{AnyConnection, Row};

#[derive(Debug, Clone)]
pub struct MemberRow {
    pub account_id: String,
    pub email: String,
    pub name: String,
    pub role: String,
    pub created_at: i64,
}

pub async fn insert(conn: &mut AnyConnection, id: &str, name: &str, now: i64) -> sqlx::Result<()> {
    sqlx::query("INSERT INTO companies (id, name, created_at) VALUES ($1, $2, $3)")
        .bind(id)
        .bind(name)
        .bind(now)
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn name(conn: &mut AnyConnection, id: &str) -> sqlx::Result<Option<String>> {
    sqlx::query("SELECT name FROM companies WHERE id = $1")
        .bind(id)
        .fetch_optional(conn)
        .await?
        .map(|r| r.try_get(0))
        .transpose()
}

pub async fn add_member(
    conn: &mut AnyConnection,
    company_id: &str,
    account_id: &str,
    role: &str,
    now: i64,
) -> sqlx::Result<()> {
    sqlx::query("INSERT INTO company_members (company_id, account_id, role, created_at) VALUES ($1, $2, $3, $4)")
        .bind(company_id)
        .bind(account_id)
        .bind(role)
        .bind(now)
        .execute(conn)
        .await?;
    Ok(())
}

/// The account's company and role: `(company id, company name, role)`.
pub async fn membership(conn: &mut AnyConnection, account_id: &str) -> sqlx::Result<Option<(String, String, String)>> {
    let row = sqlx::query(
        "SELECT c.id, c.name, m.role FROM company_members m JOIN companies c ON c.id = m.company_id
         WHERE m.account_id = $1",
    )
    .bind(account_id)
    .fetch_optional(conn)
    .await?;
    row.map(|r| Ok((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?)))
        .transpose()
}

pub async fn members(conn: &mut AnyConnection, company_id: &str) -> sqlx::Result<Vec<MemberRow>> {
    let rows = sqlx::query(
        "SELECT a.id, a.email, a.name, m.role, m.created_at FROM company_members m
         JOIN accounts a ON a.id = m.account_id WHERE m.company_id = $1 ORDER BY m.created_at, a.email",
    )
    .bind(company_id)
    .fetch_all(conn)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(MemberRow {
                account_id: r.try_get(0)?,
                email: r.try_get(1)?,
                name: r.try_get(2)?,
                role: r.try_get(3)?,
                created_at: r.try_get(4)?,
            })
        })
        .collect()
}

/// Changes a member's role; false when the account is not a member.
pub async fn set_role(conn: &mut AnyConnection, company_id: &str, account_id: &str, role: &str) -> sqlx::Result<bool> {
    let done = sqlx::query("UPDATE company_members SET role = $1 WHERE company_id = $2 AND account_id = $3")
        .bind(role)
        .bind(company_id)
        .bind(account_id)
        .execute(conn)
        .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn remove_member(conn: &mut AnyConnection, company_id: &str, account_id: &str) -> sqlx::Result<bool> {
    let done = sqlx::query("DELETE FROM company_members WHERE company_id = $1 AND account_id = $2")
        .bind(company_id)
        .bind(account_id)
        .execute(conn)
        .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn admin_count(conn: &mut AnyConnection, company_id: &str) -> sqlx::Result<i64> {
    sqlx::query("SELECT COUNT(*) FROM company_members WHERE company_id = $1 AND role = 'admin'")
        .bind(company_id)
        .fetch_one(conn)
        .await?
        .try_get(0)
}

/// Locks the company's row until the transaction ends, so that checks across its members (such as
/// "one admin must remain") are not raced by another transaction. Portable: an update takes the row
/// lock on PostgreSQL, and SQLite's writers hold the database lock anyway.
pub async fn lock(conn: &mut AnyConnection, company_id: &str) -> sqlx::Result<bool> {
    let done = sqlx::query("UPDATE companies SET name = name WHERE id = $1")
        .bind(company_id)
        .execute(conn)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// The company's approval limit: `(amount in minor units, currency)`, or `None` when it set none.
pub async fn approval_limit(conn: &mut AnyConnection, company_id: &str) -> sqlx::Result<Option<(i64, String)>> {
    let row = sqlx::query("SELECT amount, currency FROM company_approval_limits WHERE company_id = $1")
        .bind(company_id)
        .fetch_optional(conn)
        .await?;
    row.map(|r| Ok((r.try_get(0)?, r.try_get(1)?))).transpose()
}

/// Sets the company's approval limit, or removes it with `None`.
pub async fn set_approval_limit(
    conn: &mut AnyConnection,
    company_id: &str,
    limit: Option<(i64, &str)>,
    now: i64,
) -> sqlx::Result<()> {
    match limit {
        Some((amount, currency)) => {
            sqlx::query(
                "INSERT INTO company_approval_limits (company_id, amount, currency, updated_at) VALUES ($1, $2, $3, $4)
                 ON CONFLICT (company_id) DO UPDATE SET amount = excluded.amount, currency = excluded.currency,
                 updated_at = excluded.updated_at",
            )
            .bind(company_id)
            .bind(amount)
            .bind(currency)
            .bind(now)
            .execute(conn)
            .await?;
        }
        None => {
            sqlx::query("DELETE FROM company_approval_limits WHERE company_id = $1")
                .bind(company_id)
                .execute(conn)
                .await?;
        }
    }
    Ok(())
}
