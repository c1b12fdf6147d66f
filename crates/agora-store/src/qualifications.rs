//! Qualification documents (licences) uploaded by shops.

use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

#[derive(Debug, Clone)]
pub struct QualificationRow {
    pub id: String,
    pub shop_id: String,
    pub kind: String,
    pub status: String,
    /// `YYYY-MM-DD`.
    pub expires_on: Option<String>,
    pub blob_key: String,
    pub filename: String,
    pub content_type: String,
    pub size_bytes: i64,
    pub uploaded_by: String,
    pub decision_note: Option<String>,
    pub created_at: i64,
}

const COLUMNS: &str = "id, shop_id, kind, status, expires_on, blob_key, filename, content_type, size_bytes, \
                       uploaded_by, decision_note, created_at";

fn from_row(r: &AnyRow) -> sqlx::Result<QualificationRow> {
    Ok(QualificationRow {
        id: r.try_get(0)?,
        shop_id: r.try_get(1)?,
        kind: r.try_get(2)?,
        status: r.try_get(3)?,
        expires_on: r.try_get(4)?,
        blob_key: r.try_get(5)?,
        filename: r.try_get(6)?,
        content_type: r.try_get(7)?,
        size_bytes: r.try_get(8)?,
        uploaded_by: r.try_get(9)?,
        decision_note: r.try_get(10)?,
        created_at: r.try_get(11)?,
    })
}

pub async fn insert(conn: &mut AnyConnection, q: &QualificationRow) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO qualifications (id, shop_id, kind, status, expires_on, blob_key, filename, content_type, size_bytes,
                                     uploaded_by, decision_note, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
    )
    .bind(&q.id)
    .bind(&q.shop_id)
    .bind(&q.kind)
    .bind(&q.status)
    .bind(q.expires_on.as_deref())
    .bind(&q.blob_key)
    .bind(&q.filename)
    .bind(&q.content_type)
    .bind(q.size_bytes)
    .bind(&q.uploaded_by)
    .bind(q.decision_note.as_deref())
    .bind(q.created_at)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn for_shop(conn: &mut AnyConnection, shop_id: &str) -> sqlx::Result<Vec<QualificationRow>> {
    let sql = format!("SELECT {COLUMNS} FROM qualifications WHERE shop_id = $1 ORDER BY created_at, id");
    let rows = sqlx::query(&sql).bind(shop_id).fetch_all(conn).await?;
    rows.iter().map(from_row).collect()
}

pub async fn by_id(conn: &mut AnyConnection, id: &str) -> sqlx::Result<Option<QualificationRow>> {
    let sql = format!("SELECT {COLUMNS} FROM qualifications WHERE id = $1");
    sqlx::query(&sql)
        .bind(id)
        .fetch_optional(conn)
        .await?
        .as_ref()
        .map(from_row)
        .transpose()
}

/// Decides every still-pending document of a shop (when the shop itself is decided).
pub async fn decide_pending(conn: &mut AnyConnection, shop_id: &str, status: &str) -> sqlx::Result<u64> {
    let done = sqlx::query("UPDATE qualifications SET status = $1 WHERE shop_id = $2 AND status = 'pending'")
        .bind(status)
        .bind(shop_id)
        .execute(conn)
        .await?;
    Ok(done.rows_affected())
}

/// Decides one document; false when it was no longer pending.
pub async fn decide(conn: &mut AnyConnection, id: &str, status: &str, note: Option<&str>) -> sqlx::Result<bool> {
    let done =
        sqlx::query("UPDATE qualifications SET status = $1, decision_note = $2 WHERE id = $3 AND status = 'pending'")
            .bind(status)
            .bind(note)
            .bind(id)
            .execute(conn)
            .await?;
    Ok(done.rows_affected() == 1)
}
