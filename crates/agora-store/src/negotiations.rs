//! Offers on listings: each product's offer settings (switch and floor), negotiations and their
//! rounds. A move is a conditional update on the negotiation's status and round count, so two
//! moves racing on one negotiation cannot both succeed.

use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

/// Whether a product takes offers, and its floor `(amount, currency)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OfferSettingsRow {
    pub enabled: bool,
    pub floor: Option<(i64, String)>,
}

pub async fn offer_settings(conn: &mut AnyConnection, product_id: &str) -> sqlx::Result<Option<OfferSettingsRow>> {
    let row =
        sqlx::query("SELECT enabled, floor_amount, floor_currency FROM product_offer_settings WHERE product_id = $1")
            .bind(product_id)
            .fetch_optional(conn)
            .await?;
    row.map(|r| {
        let amount: Option<i64> = r.try_get(1)?;
        let currency: Option<String> = r.try_get(2)?;
        Ok(OfferSettingsRow {
            enabled: crate::flag(r.try_get(0)?),
            floor: amount.zip(currency),
        })
    })
    .transpose()
}

pub async fn set_offer_settings(
    conn: &mut AnyConnection,
    product_id: &str,
    s: &OfferSettingsRow,
    now: i64,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO product_offer_settings (product_id, enabled, floor_amount, floor_currency, updated_at) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (product_id) DO UPDATE SET enabled = excluded.enabled, \
         floor_amount = excluded.floor_amount, floor_currency = excluded.floor_currency, updated_at = excluded.updated_at",
    )
    .bind(product_id)
    .bind(i64::from(s.enabled))
    .bind(s.floor.as_ref().map(|f| f.0))
    .bind(s.floor.as_ref().map(|f| f.1.clone()))
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// A negotiation as stored.
#[derive(Debug, Clone)]
pub struct NegotiationRow {
    pub id: String,
    pub buyer_account_id: String,
    pub company_id: Option<String>,
    pub shop_id: String,
    pub product_id: String,
    pub variant_id: String,
    pub currency: String,
    pub status: String,
    pub turn: String,
    pub rounds: i64,
    pub payment_method: String,
    /// The buyer's address as JSON, when given.
    pub shipping_address: Option<String>,
    pub expires_at: i64,
    pub contract_id: Option<String>,
    pub order_id: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

const COLUMNS: &str = "id, buyer_account_id, company_id, shop_id, product_id, variant_id, currency, status, turn, \
     rounds, payment_method, shipping_address, expires_at, contract_id, order_id, created_at, updated_at";

fn negotiation(r: &AnyRow) -> sqlx::Result<NegotiationRow> {
    Ok(NegotiationRow {
        id: r.try_get(0)?,
        buyer_account_id: r.try_get(1)?,
        company_id: r.try_get(2)?,
        shop_id: r.try_get(3)?,
        product_id: r.try_get(4)?,
        variant_id: r.try_get(5)?,
        currency: r.try_get(6)?,
        status: r.try_get(7)?,
        turn: r.try_get(8)?,
        rounds: r.try_get(9)?,
        payment_method: r.try_get(10)?,
        shipping_address: r.try_get(11)?,
        expires_at: r.try_get(12)?,
        contract_id: r.try_get(13)?,
        order_id: r.try_get(14)?,
        created_at: r.try_get(15)?,
        updated_at: r.try_get(16)?,
    })
}

pub async fn insert(conn: &mut AnyConnection, n: &NegotiationRow) -> sqlx::Result<()> {
    let sql = format!(
        "INSERT INTO negotiations ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)"
    );
    sqlx::query(&sql)
        .bind(&n.id)
        .bind(&n.buyer_account_id)
        .bind(&n.company_id)
        .bind(&n.shop_id)
        .bind(&n.product_id)
        .bind(&n.variant_id)
        .bind(&n.currency)
        .bind(&n.status)
        .bind(&n.turn)
        .bind(n.rounds)
        .bind(&n.payment_method)
        .bind(&n.shipping_address)
        .bind(n.expires_at)
        .bind(&n.contract_id)
        .bind(&n.order_id)
        .bind(n.created_at)
        .bind(n.updated_at)
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn by_id(conn: &mut AnyConnection, id: &str) -> sqlx::Result<Option<NegotiationRow>> {
    let sql = format!("SELECT {COLUMNS} FROM negotiations WHERE id = $1");
    sqlx::query(&sql)
        .bind(id)
        .fetch_optional(conn)
        .await?
        .as_ref()
        .map(negotiation)
        .transpose()
}

/// Whose negotiations a list shows.
#[derive(Debug, Clone, Copy)]
pub enum Side<'a> {
    Buyer(&'a str),
    /// The negotiations of every shop the account runs (as owner, or for its company).
    ShopsOf {
        account_id: &'a str,
        company_id: Option<&'a str>,
    },
}

/// A page of negotiations, newest first, after the cursor `(created_at, id)`.
pub async fn list(
    conn: &mut AnyConnection,
    side: Side<'_>,
    status: Option<&str>,
    after: Option<(i64, &str)>,
    limit: i64,
) -> sqlx::Result<Vec<NegotiationRow>> {
    let (who, a, b) = match side {
        Side::Buyer(id) => ("buyer_account_id = $1 AND $2 = ''", id, ""),
        Side::ShopsOf { account_id, company_id } => (
            "shop_id IN (SELECT s.id FROM shops s WHERE (s.company_id IS NULL AND s.owner_account_id = $1) \
             OR (s.company_id IS NOT NULL AND s.company_id = $2))",
            account_id,
            company_id.unwrap_or(""),
        ),
    };
    let (at, id) = after.unwrap_or((i64::MAX, ""));
    let sql = format!(
        "SELECT {COLUMNS} FROM negotiations WHERE {who} AND ($3 = '' OR status = $3) \
         AND (created_at < $4 OR (created_at = $4 AND id < $5)) ORDER BY created_at DESC, id DESC LIMIT $6"
    );
    sqlx::query(&sql)
        .bind(a)
        .bind(b)
        .bind(status.unwrap_or(""))
        .bind(at)
        .bind(id)
        .bind(limit)
        .fetch_all(conn)
        .await?
        .iter()
        .map(negotiation)
        .collect()
}

/// What a move writes: the new status, turn, round count and expiry.
#[derive(Debug, Clone, Copy)]
pub struct Move<'a> {
    pub from_rounds: i64,
    pub status: &'a str,
    pub turn: &'a str,
    pub rounds: i64,
    pub expires_at: i64,
    pub now: i64,
}

/// Moves an open negotiation that still has `from_rounds` rounds; false when someone moved it
/// first (then nothing changed).
pub async fn apply_move(conn: &mut AnyConnection, id: &str, m: Move<'_>) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "UPDATE negotiations SET status = $1, turn = $2, rounds = $3, expires_at = $4, updated_at = $5 \
         WHERE id = $6 AND status = 'open' AND rounds = $7",
    )
    .bind(m.status)
    .bind(m.turn)
    .bind(m.rounds)
    .bind(m.expires_at)
    .bind(m.now)
    .bind(id)
    .bind(m.from_rounds)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn set_outcome(conn: &mut AnyConnection, id: &str, contract_id: &str, order_id: &str) -> sqlx::Result<()> {
    sqlx::query("UPDATE negotiations SET contract_id = $1, order_id = $2 WHERE id = $3")
        .bind(contract_id)
        .bind(order_id)
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}

/// One offer or counter-offer.
#[derive(Debug, Clone)]
pub struct RoundRow {
    pub position: i64,
    pub by_side: String,
    pub account_id: String,
    pub session_id: String,
    pub unit_price: i64,
    pub quantity: i64,
    pub delivery_terms: Option<String>,
    pub message: Option<String>,
    pub at: i64,
}

pub async fn insert_round(conn: &mut AnyConnection, negotiation_id: &str, r: &RoundRow) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO negotiation_rounds (negotiation_id, position, by_side, account_id, session_id, unit_price, quantity, \
         delivery_terms, message, at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(negotiation_id)
    .bind(r.position)
    .bind(&r.by_side)
    .bind(&r.account_id)
    .bind(&r.session_id)
    .bind(r.unit_price)
    .bind(r.quantity)
    .bind(&r.delivery_terms)
    .bind(&r.message)
    .bind(r.at)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn rounds(conn: &mut AnyConnection, negotiation_id: &str) -> sqlx::Result<Vec<RoundRow>> {
    sqlx::query(
        "SELECT position, by_side, account_id, session_id, unit_price, quantity, delivery_terms, message, at \
         FROM negotiation_rounds WHERE negotiation_id = $1 ORDER BY position",
    )
    .bind(negotiation_id)
    .fetch_all(conn)
    .await?
    .iter()
    .map(|r| {
        Ok(RoundRow {
            position: r.try_get(0)?,
            by_side: r.try_get(1)?,
            account_id: r.try_get(2)?,
            session_id: r.try_get(3)?,
            unit_price: r.try_get(4)?,
            quantity: r.try_get(5)?,
            delivery_terms: r.try_get(6)?,
            message: r.try_get(7)?,
            at: r.try_get(8)?,
        })
    })
    .collect()
}

/// The accounts that run a shop today: its owner (a shop without a company), or the members of
/// its company whose role may run a shop (`roles`).
pub async fn shop_staff(conn: &mut AnyConnection, shop_id: &str, roles: &[&str]) -> sqlx::Result<Vec<String>> {
    let rows = sqlx::query(
        "SELECT s.owner_account_id, m.account_id, m.role FROM shops s \
         LEFT JOIN company_members m ON m.company_id = s.company_id WHERE s.id = $1",
    )
    .bind(shop_id)
    .fetch_all(conn)
    .await?;
    let mut out = Vec::new();
    for r in &rows {
        let member: Option<String> = r.try_get(1)?;
        let role: Option<String> = r.try_get(2)?;
        match (member, role) {
            (Some(m), Some(role)) => {
                if roles.contains(&role.as_str()) && !out.contains(&m) {
                    out.push(m);
                }
            }
            _ => {
                let owner: String = r.try_get(0)?;
                if !out.contains(&owner) {
                    out.push(owner);
                }
            }
        }
    }
    Ok(out)
}

/// The conversation a negotiation's events go to, once it has one.
pub async fn conversation_of(conn: &mut AnyConnection, id: &str) -> sqlx::Result<Option<String>> {
    let row = sqlx::query("SELECT conversation_id FROM negotiations WHERE id = $1")
        .bind(id)
        .fetch_optional(conn)
        .await?;
    Ok(row.map(|r| r.try_get(0)).transpose()?.flatten())
}

/// Records the conversation a negotiation's events go to.
pub async fn set_conversation(conn: &mut AnyConnection, id: &str, conversation_id: &str) -> sqlx::Result<()> {
    sqlx::query("UPDATE negotiations SET conversation_id = $2 WHERE id = $1")
        .bind(id)
        .bind(conversation_id)
        .execute(conn)
        .await?;
    Ok(())
}
