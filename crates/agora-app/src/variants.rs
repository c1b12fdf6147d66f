//! Editing a product's variants after it is listed: adding a variant, setting volume prices.

use agora_core::audit::AuditAction;
use agora_core::catalog::MAX_VARIANTS;
use agora_core::money::{Currency, Money};
use agora_core::pricing::{check_tiers, PriceTier};
use agora_core::product::{VariantDraft, VariantInput};
use agora_store::catalog as catalog_store;
use agora_store::now_ms;
use agora_store::products as product_store;

use crate::products::{load, publish_change, stock_and_tiers, variant_row, ProductView, VariantView};
use crate::{audit, categories, shops, Actor, App, AppError, AppResult, ConflictKind};

/// Adds a variant to a product of one of the actor's shops.
pub async fn add(app: &App, actor: &Actor, product_id: &str, input: VariantInput) -> AppResult<ProductView> {
    let now = now_ms();
    let mut tx = app.db.begin().await?;
    let (product, existing) = product_store::by_id(&mut tx, product_id)
        .await?
        .ok_or(AppError::NotFound("product"))?;
    shops::managed(&mut tx, actor, &product.shop_id)
        .await
        .map_err(|e| e.not_found_as("product"))?;
    let draft = VariantDraft::parse(input)?;
    let declared = categories::declared_attributes(&mut tx, &product.category).await?;
    draft.check_attributes(&declared)?;
    if existing.len() >= MAX_VARIANTS {
        return Err(AppError::conflict(
            ConflictKind::LimitReached,
            format!("a product has at most {MAX_VARIANTS} variants"),
        ));
    }
    let row = variant_row(product_id, &product.shop_id, existing.len(), &draft);
    if let Err(err) = product_store::insert_variants(&mut tx, &[&row]).await {
        if agora_store::is_unique_violation(&err) {
            return Err(AppError::invalid(
                "sku",
                "is already used by another variant of this shop",
            ));
        }
        return Err(err.into());
    }
    stock_and_tiers(&mut tx, &row.id, &draft, actor, now).await?;
    let data = serde_json::json!({ "variant_id": row.id, "sku": row.sku });
    audit::record(
        &mut tx,
        Some(&actor.account_id),
        AuditAction::ProductVariantAdded,
        product_id,
        data,
    )
    .await?;
    publish_change(&mut tx, product_id, now).await?;
    let view = load(&mut tx, product_id, Some(actor))
        .await?
        .ok_or(AppError::NotFound("product"))?;
    tx.commit().await?;
    app.products.invalidate(product_id);
    Ok(view)
}

/// Replaces a variant's volume prices (an empty list removes them).
pub async fn set_tiers(app: &App, actor: &Actor, variant_id: &str, tiers: Vec<PriceTier>) -> AppResult<VariantView> {
    let now = now_ms();
    let mut tx = app.db.begin().await?;
    let (product_id, shop_id, _) = catalog_store::variant_owner(&mut tx, variant_id)
        .await?
        .ok_or(AppError::NotFound("variant"))?;
    shops::managed(&mut tx, actor, &shop_id)
        .await
        .map_err(|e| e.not_found_as("variant"))?;
    let (amount, currency) = catalog_store::variant_price(&mut tx, variant_id)
        .await?
        .ok_or(AppError::NotFound("variant"))?;
    let base = Money::new(
        amount,
        Currency::parse(&currency).map_err(|e| AppError::Internal(anyhow::anyhow!(e)))?,
    );
    let tiers = check_tiers(base, tiers).map_err(|m| AppError::invalid("price_tiers", m))?;
    catalog_store::clear_tiers(&mut tx, variant_id).await?;
    for t in &tiers {
        catalog_store::insert_tier(&mut tx, variant_id, i64::from(t.min_qty), t.unit_price.minor).await?;
    }
    let data = serde_json::json!({ "variant_id": variant_id, "price_tiers": tiers });
    audit::record(
        &mut tx,
        Some(&actor.account_id),
        AuditAction::PriceTiersSet,
        &product_id,
        data,
    )
    .await?;
    publish_change(&mut tx, &product_id, now).await?;
    let view = load(&mut tx, &product_id, Some(actor))
        .await?
        .ok_or(AppError::NotFound("product"))?;
    tx.commit().await?;
    app.products.invalidate(&product_id);
    view.variants
        .into_iter()
        .find(|v| v.id == variant_id)
        .ok_or(AppError::NotFound("variant"))
}

/// Sets the weight of one unit of a variant (its shop's staff), which shipping by weight counts.
pub async fn set_weight(app: &App, actor: &Actor, variant_id: &str, grams: i64) -> AppResult<VariantView> {
    let grams = agora_core::shipping::check_weight(grams).map_err(|m| AppError::invalid("weight_grams", m))?;
    let now = now_ms();
    let mut tx = app.db.begin().await?;
    let (product_id, shop_id, _) = catalog_store::variant_owner(&mut tx, variant_id)
        .await?
        .ok_or(AppError::NotFound("variant"))?;
    shops::managed(&mut tx, actor, &shop_id)
        .await
        .map_err(|e| e.not_found_as("variant"))?;
    catalog_store::set_weight(&mut tx, variant_id, i64::from(grams)).await?;
    let data = serde_json::json!({ "variant_id": variant_id, "weight_grams": grams });
    audit::record(
        &mut tx,
        Some(&actor.account_id),
        AuditAction::VariantWeightSet,
        &product_id,
        data,
    )
    .await?;
    publish_change(&mut tx, &product_id, now).await?;
    let view = load(&mut tx, &product_id, Some(actor))
        .await?
        .ok_or(AppError::NotFound("product"))?;
    tx.commit().await?;
    app.products.invalidate(&product_id);
    view.variants
        .into_iter()
        .find(|v| v.id == variant_id)
        .ok_or(AppError::NotFound("variant"))
}

/// Reads volume prices typed one per line as `QUANTITY: PRICE`, e.g. `10: 10.50`.
pub fn parse_tier_lines(text: &str, currency: Currency) -> Result<Vec<PriceTier>, String> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .enumerate()
        .map(|(i, line)| {
            let (qty, price) = line
                .split_once(':')
                .ok_or_else(|| format!("line {}: write it as QUANTITY: PRICE", i + 1))?;
            let min_qty = qty
                .trim()
                .parse::<u32>()
                .map_err(|_| format!("line {}: the quantity must be a whole number", i + 1))?;
            let unit_price =
                Money::parse_major(price, currency).map_err(|m| format!("line {}: the price {m}", i + 1))?;
            Ok(PriceTier { min_qty, unit_price })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tier_lines_parse_exactly() {
        let tiers = parse_tier_lines("10: 10.50\n\n 100 : 9,00 ", Currency::EUR).unwrap();
        assert_eq!(
            tiers,
            vec![
                PriceTier {
                    min_qty: 10,
                    unit_price: Money::new(1050, Currency::EUR)
                },
                PriceTier {
                    min_qty: 100,
                    unit_price: Money::new(900, Currency::EUR)
                },
            ]
        );
        assert!(parse_tier_lines("ten: 1.00", Currency::EUR).is_err());
        assert!(parse_tier_lines("10 1.00", Currency::EUR).is_err());
        assert!(parse_tier_lines("10: 1.005", Currency::EUR).is_err());
    }
}
