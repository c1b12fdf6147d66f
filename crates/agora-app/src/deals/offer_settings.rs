//! Whether a product takes offers, and its floor price. The shop's staff set both; everyone else
//! learns only whether offers are taken — the floor is never shown outside the shop.

use agora_core::audit::AuditAction;
use agora_core::money::Money;
use agora_store::negotiations::{self as store, OfferSettingsRow};
use agora_store::products as product_store;
use agora_store::{now_ms, Conn};
use serde_json::json;

use crate::stored::currency;
use crate::{audit, Actor, App, AppError, AppResult};

/// A product's offer settings. `floor` is `None` for anyone but the shop's staff.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OfferSettings {
    pub product_id: String,
    pub enabled: bool,
    pub floor: Option<Money>,
    /// Whether the viewer runs the product's shop (and so sees the floor).
    pub staff: bool,
}

/// The stored settings (off, no floor, when never set).
pub(crate) async fn stored(conn: &mut Conn, product_id: &str) -> AppResult<(bool, Option<Money>)> {
    match store::offer_settings(conn, product_id).await? {
        None => Ok((false, None)),
        Some(s) => {
            let floor = match s.floor {
                Some((amount, code)) => Some(Money::new(amount, currency(&code)?)),
                None => None,
            };
            Ok((s.enabled, floor))
        }
    }
}

/// The product's settings as the actor may see them; 404 for a product that is not listed.
pub async fn get(app: &App, actor: Option<&Actor>, product_id: &str) -> AppResult<OfferSettings> {
    let mut conn = app.db.conn().await?;
    let (product, _) = product_store::by_id(&mut conn, product_id)
        .await?
        .ok_or(AppError::NotFound("product"))?;
    let shop = super::shop(&mut conn, &product.shop_id).await?;
    let staff = actor.is_some_and(|a| super::runs(a, &shop));
    let (enabled, floor) = stored(&mut conn, product_id).await?;
    Ok(OfferSettings {
        product_id: product_id.to_owned(),
        enabled,
        floor: floor.filter(|_| staff),
        staff,
    })
}

/// Switches offers on or off for a product and sets (or clears) its floor: the shop's staff
/// only (404 for anyone else). The floor must be above zero and in the product's currency.
pub async fn set(
    app: &App,
    actor: &Actor,
    product_id: &str,
    enabled: bool,
    floor: Option<Money>,
) -> AppResult<OfferSettings> {
    let mut tx = app.db.begin().await?;
    let (product, variants) = product_store::by_id(&mut tx, product_id)
        .await?
        .ok_or(AppError::NotFound("product"))?;
    let shop = super::shop(&mut tx, &product.shop_id).await?;
    if !super::runs(actor, &shop) {
        return Err(AppError::NotFound("product"));
    }
    if let Some(f) = floor {
        if f.minor <= 0 {
            return Err(AppError::invalid("floor_price", "must be more than zero"));
        }
        if variants.iter().any(|v| v.currency != f.currency.code()) {
            return Err(AppError::invalid("floor_price", "must be in the product's currency"));
        }
    }
    let row = OfferSettingsRow {
        enabled,
        floor: floor.map(|f| (f.minor, f.currency.code().to_owned())),
    };
    store::set_offer_settings(&mut tx, product_id, &row, now_ms()).await?;
    // The floor itself stays out of the audit log's data, which more people read than the shop.
    audit::record(
        &mut tx,
        Some(&actor.account_id),
        AuditAction::OfferSettingsSet,
        product_id,
        json!({"enabled": enabled, "floor_set": floor.is_some()}),
    )
    .await?;
    tx.commit().await?;
    Ok(OfferSettings {
        product_id: product_id.to_owned(),
        enabled,
        floor,
        staff: true,
    })
}
