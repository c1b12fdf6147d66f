//! A shop's shipping methods. Each row keeps the method's rule as JSON
//! (`agora_core::shipping::ShippingMethod`); checkout reads them with the shop's other terms in
//! one statement (`orders::shop_terms`).

use sqlx::{AnyConnection, Row};

/// A method as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MethodRow {
    pub id: String,
    pub position: i64,
    pub name: String,
    /// The rule as JSON.
    pub method: String,
}

/// A shop's methods in the order it lists them.
pub async fn of_shop(conn: &mut AnyConnection, shop_id: &str) -> sqlx::Result<Vec<MethodRow>> {
    sqlx::query("SELECT id, position, name, method FROM shipping_methods WHERE shop_id = $1 ORDER BY position, id")
        .bind(shop_id)
        .fetch_all(conn)
        .await?
        .iter()
        .map(|r| {
            Ok(MethodRow {
                id: r.try_get(0)?,
                position: r.try_get(1)?,
                name: r.try_get(2)?,
                method: r.try_get(3)?,
            })
        })
        .collect()
}

/// Replaces a shop's methods by `methods` (ids kept as given).
pub async fn replace(conn: &mut AnyConnection, shop_id: &str, methods: &[MethodRow], now: i64) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM shipping_methods WHERE shop_id = $1")
        .bind(shop_id)
        .execute(&mut *conn)
        .await?;
    for m in methods {
        sqlx::query(
            "INSERT INTO shipping_methods (id, shop_id, position, name, method, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $6)",
        )
        .bind(&m.id)
        .bind(shop_id)
        .bind(m.position)
        .bind(&m.name)
        .bind(&m.method)
        .bind(now)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}
