//! Shops and their review.

use agora_core::shop::ShopStatus;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

#[derive(Debug, Clone)]
pub struct ShopRow {
    pub id: String,
    pub slug: String,
    pub name: String,
    pub legal_name: String,
    pub registration_number: Option<String>,
    pub owner_account_id: String,
    pub company_id: Option<String>,
    pub status: ShopStatus,
    pub decision_note: Option<String>,
    pub decided_by: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

const COLUMNS: &str = "id, slug, name, legal_name, registration_number, owner_account_id, company_id, status, \
                       decision_note, decided_by, created_at, updated_at";

fn from_row(r: &AnyRow) -> sqlx::Result<ShopRow> {
    Ok(ShopRow {
        id: r.try_get(0)?,
        slug: r.try_get(1)?,
        name: r.try_get(2)?,
        legal_name: r.try_get(3)?,
        registration_number: r.try_get(4)?,
        owner_account_id: r.try_get(5)?,
        company_id: r.try_get(6)?,
        status: crate::word(r, 7)?,
        decision_note: r.try_get(8)?,
        decided_by: r.try_get(9)?,
        created_at: r.try_get(10)?,
        updated_at: r.try_get(11)?,
    })
}

/// Inserts a shop and its categories; false (and nothing written) when its slug is taken, which
/// may happen between checking and inserting when two shops of one name are opened at once.
pub async fn insert(conn: &mut AnyConnection, s: &ShopRow, categories: &[String]) -> sqlx::Result<bool> {
    let inserted = sqlx::query(
        "INSERT INTO shops (id, slug, name, legal_name, registration_number, owner_account_id, company_id, status,
                            decision_note, decided_by, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
         ON CONFLICT (slug) DO NOTHING",
    )
    .bind(&s.id)
    .bind(&s.slug)
    .bind(&s.name)
    .bind(&s.legal_name)
    .bind(s.registration_number.as_deref())
    .bind(&s.owner_account_id)
    .bind(s.company_id.as_deref())
    .bind(s.status.as_str())
    .bind(s.decision_note.as_deref())
    .bind(s.decided_by.as_deref())
    .bind(s.created_at)
    .bind(s.updated_at)
    .execute(&mut *conn)
    .await?;
    if inserted.rows_affected() == 0 {
        return Ok(false);
    }
    for slug in categories {
        sqlx::query("INSERT INTO shop_categories (shop_id, category_slug) VALUES ($1, $2)")
            .bind(&s.id)
            .bind(slug)
            .execute(&mut *conn)
            .await?;
    }
    Ok(true)
}

pub async fn by_id(conn: &mut AnyConnection, id: &str) -> sqlx::Result<Option<ShopRow>> {
    let sql = format!("SELECT {COLUMNS} FROM shops WHERE id = $1");
    sqlx::query(&sql)
        .bind(id)
        .fetch_optional(conn)
        .await?
        .as_ref()
        .map(from_row)
        .transpose()
}

pub async fn by_slug(conn: &mut AnyConnection, slug: &str) -> sqlx::Result<Option<ShopRow>> {
    let sql = format!("SELECT {COLUMNS} FROM shops WHERE slug = $1");
    sqlx::query(&sql)
        .bind(slug)
        .fetch_optional(conn)
        .await?
        .as_ref()
        .map(from_row)
        .transpose()
}

pub async fn slug_taken(conn: &mut AnyConnection, slug: &str) -> sqlx::Result<bool> {
    Ok(sqlx::query("SELECT 1 FROM shops WHERE slug = $1")
        .bind(slug)
        .fetch_optional(conn)
        .await?
        .is_some())
}

/// Shops the account may run: its own and its company's (a superset; the app decides by role).
pub async fn for_account(conn: &mut AnyConnection, account_id: &str) -> sqlx::Result<Vec<ShopRow>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM shops WHERE owner_account_id = $1
            OR company_id IN (SELECT company_id FROM company_members WHERE account_id = $1)
         ORDER BY created_at"
    );
    let rows = sqlx::query(&sql).bind(account_id).fetch_all(conn).await?;
    rows.iter().map(from_row).collect()
}

/// A page of shops with `status`, oldest first (the review queue is first come, first served).
pub async fn by_status(
    conn: &mut AnyConnection,
    status: ShopStatus,
    after: Option<(i64, &str)>,
    limit: i64,
) -> sqlx::Result<Vec<ShopRow>> {
    let (after_at, after_id) = after.unwrap_or((i64::MIN, ""));
    let sql = format!(
        "SELECT {COLUMNS} FROM shops WHERE status = $1 AND (created_at > $2 OR (created_at = $2 AND id > $3))
         ORDER BY created_at, id LIMIT $4"
    );
    let rows = sqlx::query(&sql)
        .bind(status.as_str())
        .bind(after_at)
        .bind(after_id)
        .bind(limit)
        .fetch_all(conn)
        .await?;
    rows.iter().map(from_row).collect()
}

pub async fn categories(conn: &mut AnyConnection, shop_id: &str) -> sqlx::Result<Vec<String>> {
    let rows = sqlx::query("SELECT category_slug FROM shop_categories WHERE shop_id = $1 ORDER BY category_slug")
        .bind(shop_id)
        .fetch_all(conn)
        .await?;
    rows.iter().map(|r| r.try_get(0)).collect()
}

/// Moves a shop from `from` to `to` only if it is still in `from`: two operators deciding at once
/// cannot both win. False when the status had already changed.
pub async fn set_status(
    conn: &mut AnyConnection,
    id: &str,
    from: ShopStatus,
    to: ShopStatus,
    note: Option<&str>,
    decided_by: Option<&str>,
    now: i64,
) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "UPDATE shops SET status = $1, decision_note = $2, decided_by = $3, updated_at = $4 WHERE id = $5 AND status = $6",
    )
    .bind(to.as_str())
    .bind(note)
    .bind(decided_by)
    .bind(now)
    .bind(id)
    .bind(from.as_str())
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Whether the shop's prices contain tax (`tax_inclusive`) or get it added (`tax_exclusive`).
pub async fn price_mode(conn: &mut AnyConnection, id: &str) -> sqlx::Result<String> {
    sqlx::query("SELECT price_mode FROM shops WHERE id = $1")
        .bind(id)
        .fetch_one(conn)
        .await?
        .try_get(0)
}

pub async fn set_price_mode(conn: &mut AnyConnection, id: &str, mode: &str) -> sqlx::Result<()> {
    sqlx::query("UPDATE shops SET price_mode = $1 WHERE id = $2")
        .bind(mode)
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}
