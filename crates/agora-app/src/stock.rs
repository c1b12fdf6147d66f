//! Inventory: stock per variant changes only through recorded movements (received, sold, returned,
//! adjusted), applied atomically in the database so that it never goes below zero.

use agora_core::audit::AuditAction;
use agora_core::catalog::{check_stock, StockMovementKind};
use agora_core::text;
use agora_store::catalog as catalog_store;
use agora_store::{now_ms, Conn};
use serde::Serialize;

use crate::idempotency::{self, Answer, Claimed, Keyed};
use crate::products::{load, publish_change, VariantView};
use crate::{audit, rfc3339, shops, Actor, App, AppError, AppResult, ConflictKind};

/// A change a seller makes to a variant's stock.
#[derive(Debug, Clone, Copy, Default)]
pub struct StockChange<'a> {
    /// The new count of sellable units.
    pub stock: i64,
    /// Why, for the movement history (default "stock count").
    pub reason: Option<&'a str>,
    /// Optionally, the stock at or below which the seller sees the variant as low.
    pub low_stock_threshold: Option<i64>,
}

/// Sets a variant's stock (a count after receiving goods, or a stocktake) and optionally its
/// low-stock threshold, in one transaction: either both change or neither does. The stock change
/// is recorded as a movement and applied as a difference, so a sale that happens meanwhile is
/// never lost; a count that such a sale overtook is refused with 409.
///
/// With a `key`, the key is claimed, and the response kept, in the same transaction: a retry
/// answers what the first request answered and moves nothing.
pub async fn set(
    app: &App,
    actor: &Actor,
    variant_id: &str,
    change: StockChange<'_>,
    key: Option<Keyed<'_, VariantView>>,
) -> AppResult<Answer<VariantView>> {
    let StockChange {
        stock,
        reason,
        low_stock_threshold,
    } = change;
    let now = now_ms();
    let mut tx = app.db.begin().await?;
    let pending = match idempotency::claim_in(&mut tx, key).await? {
        Claimed::Proceed(pending) => pending,
        Claimed::Replay(response) => return Ok(Answer::Replayed(response)),
    };
    let (product_id, shop_id, current) = catalog_store::variant_owner(&mut tx, variant_id)
        .await?
        .ok_or(AppError::NotFound("variant"))?;
    shops::managed(&mut tx, actor, &shop_id)
        .await
        .map_err(|e| e.not_found_as("variant"))?;
    let stock = check_stock(stock).map_err(|m| AppError::invalid("stock", m))?;
    let low_stock_threshold = low_stock_threshold
        .map(check_stock)
        .transpose()
        .map_err(|m| AppError::invalid("low_stock_threshold", m))?;
    let reason =
        text::bounded(reason.unwrap_or("stock count"), 1, 200, false).map_err(|m| AppError::invalid("reason", m))?;
    if let Some(threshold) = low_stock_threshold {
        catalog_store::set_low_stock_threshold(&mut tx, variant_id, threshold).await?;
        let data = serde_json::json!({ "variant_id": variant_id, "low_stock_threshold": threshold });
        audit::record(
            &mut tx,
            Some(&actor.account_id),
            AuditAction::StockThresholdSet,
            &product_id,
            data,
        )
        .await?;
    }
    let delta = stock - current;
    if let Some(kind) = StockMovementKind::for_count(delta) {
        let changed = || {
            AppError::conflict(
                ConflictKind::ChangedMeanwhile,
                "the stock changed meanwhile; count again",
            )
        };
        let after = catalog_store::move_stock(&mut tx, variant_id, delta, kind, Some(&actor.account_id), &reason, now)
            .await?
            .ok_or_else(changed)?;
        if after != stock {
            return Err(changed());
        }
        let data = serde_json::json!({ "variant_id": variant_id, "from": current, "to": stock, "reason": reason });
        audit::record(
            &mut tx,
            Some(&actor.account_id),
            AuditAction::StockSet,
            &product_id,
            data,
        )
        .await?;
        publish_change(&mut tx, &product_id, now).await?;
    }
    let view = load(&mut tx, &product_id, Some(actor))
        .await?
        .ok_or(AppError::NotFound("product"))?;
    let variant = view
        .variants
        .into_iter()
        .find(|v| v.id == variant_id)
        .ok_or(AppError::NotFound("variant"))?;
    pending.save_in(&mut tx, &variant).await?;
    tx.commit().await?;
    app.products.invalidate(&product_id);
    Ok(Answer::Done(variant))
}

/// Takes `qty` units out of stock as sold, inside the caller's transaction. It never goes below
/// zero, however many buyers race for the last units: false (and nothing changes) when too few
/// are left.
pub async fn take(conn: &mut Conn, variant_id: &str, qty: i64, actor: Option<&str>, reason: &str) -> AppResult<bool> {
    if qty <= 0 {
        return Err(AppError::invalid("quantity", "must be at least 1"));
    }
    Ok(
        catalog_store::move_stock(conn, variant_id, -qty, StockMovementKind::Sold, actor, reason, now_ms())
            .await?
            .is_some(),
    )
}

/// A stock movement as the seller sees it.
#[derive(Debug, Clone, Serialize)]
pub struct MovementView {
    /// `received`, `sold`, `returned` or `adjusted`.
    pub kind: StockMovementKind,
    pub delta: i64,
    pub stock_after: i64,
    /// The account that moved it.
    pub actor: Option<String>,
    pub reason: String,
    pub at: String,
}

/// The latest movements of a variant, newest first (its shop's staff only).
pub async fn movements(app: &App, actor: &Actor, variant_id: &str) -> AppResult<Vec<MovementView>> {
    let mut conn = app.db.conn().await?;
    let (_, shop_id, _) = catalog_store::variant_owner(&mut conn, variant_id)
        .await?
        .ok_or(AppError::NotFound("variant"))?;
    shops::managed(&mut conn, actor, &shop_id)
        .await
        .map_err(|e| e.not_found_as("variant"))?;
    Ok(catalog_store::movements(&mut conn, variant_id, 100)
        .await?
        .into_iter()
        .map(|m| MovementView {
            kind: m.kind,
            delta: m.delta,
            stock_after: m.stock_after,
            actor: m.actor,
            reason: m.reason,
            at: rfc3339(m.at),
        })
        .collect())
}
