//! The category tree.

use sqlx::{AnyConnection, Row};

#[derive(Debug, Clone)]
pub struct CategoryRow {
    pub slug: String,
    pub name: String,
    pub parent: Option<String>,
    pub restricted: bool,
    pub licence_kind: Option<String>,
    /// The attributes the category declares, as JSON text.
    pub attributes: String,
    pub position: i64,
}

pub async fn insert(conn: &mut AnyConnection, c: &CategoryRow) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO categories (slug, name, parent, restricted, licence_kind, attributes, position)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(&c.slug)
    .bind(&c.name)
    .bind(c.parent.as_deref())
    .bind(i64::from(c.restricted))
    .bind(c.licence_kind.as_deref())
    .bind(&c.attributes)
    .bind(c.position)
    .execute(conn)
    .await?;
    Ok(())
}

/// Every category, parents before their children's siblings order by position then name.
pub async fn all(conn: &mut AnyConnection) -> sqlx::Result<Vec<CategoryRow>> {
    let rows = sqlx::query(
        "SELECT slug, name, parent, restricted, licence_kind, attributes, position FROM categories ORDER BY position, name",
    )
    .fetch_all(conn)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(CategoryRow {
                slug: r.try_get(0)?,
                name: r.try_get(1)?,
                parent: r.try_get(2)?,
                restricted: crate::flag(r.try_get(3)?),
                licence_kind: r.try_get(4)?,
                attributes: r.try_get(5)?,
                position: r.try_get(6)?,
            })
        })
        .collect()
}

pub async fn exists(conn: &mut AnyConnection, slug: &str) -> sqlx::Result<bool> {
    Ok(sqlx::query("SELECT 1 FROM categories WHERE slug = $1")
        .bind(slug)
        .fetch_optional(conn)
        .await?
        .is_some())
}
