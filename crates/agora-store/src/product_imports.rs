//! Catalog imports run as jobs: the uploaded file's blob, the chosen column map, and the
//! progress and report the job writes as it goes.

use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

#[derive(Debug, Clone)]
pub struct ImportRow {
    pub id: String,
    pub shop_id: String,
    pub account_id: String,
    pub file_name: String,
    pub blob_key: String,
    pub size_bytes: i64,
    pub status: String,
    /// JSON.
    pub column_map: Option<String>,
    pub rows_total: i64,
    pub rows_done: i64,
    /// JSON.
    pub report: Option<String>,
    pub message: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

const COLUMNS: &str = "id, shop_id, account_id, file_name, blob_key, size_bytes, status, column_map, \
                       rows_total, rows_done, report, message, created_at, updated_at";

fn import(r: &AnyRow) -> sqlx::Result<ImportRow> {
    Ok(ImportRow {
        id: r.try_get(0)?,
        shop_id: r.try_get(1)?,
        account_id: r.try_get(2)?,
        file_name: r.try_get(3)?,
        blob_key: r.try_get(4)?,
        size_bytes: r.try_get(5)?,
        status: r.try_get(6)?,
        column_map: r.try_get(7)?,
        rows_total: r.try_get(8)?,
        rows_done: r.try_get(9)?,
        report: r.try_get(10)?,
        message: r.try_get(11)?,
        created_at: r.try_get(12)?,
        updated_at: r.try_get(13)?,
    })
}

pub async fn insert(conn: &mut AnyConnection, r: &ImportRow) -> sqlx::Result<()> {
    sqlx::query(&format!(
        "INSERT INTO product_imports ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)"
    ))
    .bind(&r.id)
    .bind(&r.shop_id)
    .bind(&r.account_id)
    .bind(&r.file_name)
    .bind(&r.blob_key)
    .bind(r.size_bytes)
    .bind(&r.status)
    .bind(&r.column_map)
    .bind(r.rows_total)
    .bind(r.rows_done)
    .bind(&r.report)
    .bind(&r.message)
    .bind(r.created_at)
    .bind(r.updated_at)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn get(conn: &mut AnyConnection, id: &str) -> sqlx::Result<Option<ImportRow>> {
    sqlx::query(&format!("SELECT {COLUMNS} FROM product_imports WHERE id = $1"))
        .bind(id)
        .fetch_optional(conn)
        .await?
        .as_ref()
        .map(import)
        .transpose()
}

/// The shop's most recent imports, newest first.
pub async fn of_shop(conn: &mut AnyConnection, shop_id: &str, limit: i64) -> sqlx::Result<Vec<ImportRow>> {
    sqlx::query(&format!(
        "SELECT {COLUMNS} FROM product_imports WHERE shop_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2"
    ))
    .bind(shop_id)
    .bind(limit)
    .fetch_all(conn)
    .await?
    .iter()
    .map(import)
    .collect()
}

/// Moves an uploaded import to `queued` with its column map; false when it was started already.
pub async fn queue(conn: &mut AnyConnection, id: &str, column_map: &str, now: i64) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "UPDATE product_imports SET status = 'queued', column_map = $2, updated_at = $3 \
         WHERE id = $1 AND status = 'uploaded'",
    )
    .bind(id)
    .bind(column_map)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Records how far a running import got (and that it runs).
pub async fn progress(conn: &mut AnyConnection, id: &str, done: i64, total: i64, now: i64) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE product_imports SET status = 'running', rows_done = $2, rows_total = $3, updated_at = $4 \
         WHERE id = $1 AND status IN ('queued', 'running')",
    )
    .bind(id)
    .bind(done)
    .bind(total)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// Records the end of an import: `done` with its report, or `failed` with a message.
pub async fn finish(
    conn: &mut AnyConnection,
    id: &str,
    status: &str,
    report: Option<&str>,
    message: Option<&str>,
    rows: Option<i64>,
    now: i64,
) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE product_imports SET status = $2, report = $3, message = $4, \
         rows_total = COALESCE($5, rows_total), rows_done = COALESCE($5, rows_done), updated_at = $6 \
         WHERE id = $1 AND status IN ('queued', 'running')",
    )
    .bind(id)
    .bind(status)
    .bind(report)
    .bind(message)
    .bind(rows)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}
