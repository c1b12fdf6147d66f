//! Invitations to join a company, answered by the invited email's account.

use sqlx::{AnyConnection, Row};

#[derive(Debug, Clone)]
pub struct InvitationRow {
    pub id: String,
    pub company_id: String,
    pub email: String,
    pub role: String,
    pub status: String,
    pub created_at: i64,
}

/// A pending invitation as the invited person sees it.
#[derive(Debug, Clone)]
pub struct ReceivedRow {
    pub id: String,
    pub company_id: String,
    pub company_name: String,
    pub role: String,
    pub invited_by: String,
    pub created_at: i64,
}

const COLUMNS: &str = "id, company_id, email, role, status, created_at";

fn from_row(r: &sqlx::any::AnyRow) -> sqlx::Result<InvitationRow> {
    Ok(InvitationRow {
        id: r.try_get(0)?,
        company_id: r.try_get(1)?,
        email: r.try_get(2)?,
        role: r.try_get(3)?,
        status: r.try_get(4)?,
        created_at: r.try_get(5)?,
    })
}

/// Opens an invitation for `email`, or updates the role of the one already pending; returns the
/// pending invitation's id.
pub async fn open(
    conn: &mut AnyConnection,
    id: &str,
    company_id: &str,
    email: &str,
    role: &str,
    by: &str,
    now: i64,
) -> sqlx::Result<String> {
    sqlx::query(
        "INSERT INTO invitations (id, company_id, email, role, status, invited_by, created_at)
         VALUES ($1, $2, $3, $4, 'pending', $5, $6)
         ON CONFLICT (company_id, email) WHERE status = 'pending'
         DO UPDATE SET role = excluded.role, invited_by = excluded.invited_by
         RETURNING id",
    )
    .bind(id)
    .bind(company_id)
    .bind(email)
    .bind(role)
    .bind(by)
    .bind(now)
    .fetch_one(conn)
    .await?
    .try_get(0)
}

pub async fn by_id(conn: &mut AnyConnection, id: &str) -> sqlx::Result<Option<InvitationRow>> {
    let sql = format!("SELECT {COLUMNS} FROM invitations WHERE id = $1");
    sqlx::query(&sql)
        .bind(id)
        .fetch_optional(conn)
        .await?
        .as_ref()
        .map(from_row)
        .transpose()
}

/// The company's pending invitations, oldest first.
pub async fn pending_of_company(conn: &mut AnyConnection, company_id: &str) -> sqlx::Result<Vec<InvitationRow>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM invitations WHERE company_id = $1 AND status = 'pending' ORDER BY created_at, email"
    );
    let rows = sqlx::query(&sql).bind(company_id).fetch_all(conn).await?;
    rows.iter().map(from_row).collect()
}

/// The pending invitations addressed to `email` (stored and passed lower-cased), oldest first.
pub async fn pending_for_email(conn: &mut AnyConnection, email: &str) -> sqlx::Result<Vec<ReceivedRow>> {
    let rows = sqlx::query(
        "SELECT i.id, c.id, c.name, i.role, a.name, i.created_at FROM invitations i
         JOIN companies c ON c.id = i.company_id JOIN accounts a ON a.id = i.invited_by
         WHERE i.email = $1 AND i.status = 'pending' ORDER BY i.created_at, i.id",
    )
    .bind(email)
    .fetch_all(conn)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(ReceivedRow {
                id: r.try_get(0)?,
                company_id: r.try_get(1)?,
                company_name: r.try_get(2)?,
                role: r.try_get(3)?,
                invited_by: r.try_get(4)?,
                created_at: r.try_get(5)?,
            })
        })
        .collect()
}

/// Moves an invitation from `from` to `to`; false when it is no longer in `from` (someone else
/// answered or withdrew it first). The conditional update is what makes a race answer once.
pub async fn set_status(conn: &mut AnyConnection, id: &str, from: &str, to: &str, now: i64) -> sqlx::Result<bool> {
    let done = sqlx::query("UPDATE invitations SET status = $1, decided_at = $2 WHERE id = $3 AND status = $4")
        .bind(to)
        .bind(now)
        .bind(id)
        .bind(from)
        .execute(conn)
        .await?;
    Ok(done.rows_affected() == 1)
}
