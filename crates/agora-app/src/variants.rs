//! Editing a product's variants after it is listed: adding a variant, setting volume prices.

use agora_core::audit::AuditAction;
use agora_core::catalog::{check_attributes, parse_gtin, parse_sku};
use agora_core::money::{Currency, Money};
use agora_core::pricing::{check_price, check_tiers, PriceTier};
use agora_core::ValidationErrors;
use agora_store::catalog as catalog_store;
use agora_store::products::{self as product_store, VariantRow};
use agora_store::{new_id, now_ms};

use crate::products::{load, publish_change, NewVariant, ProductView, VariantView};
use crate::{audit, categories, shops, Actor, App, AppError, AppResult, ConflictKind};

/// Adds a variant to a product of one of the actor's shops.
pub async fn add(app: &App, actor: &Actor, product_id: &str, v: NewVariant) -> AppResult<ProductView> {
    let now = now_ms();
    let mut tx = app.db.begin().await?;
    let (product, existing) = product_store::by_id(&mut tx, product_id)
        .await?
        .ok_or(AppError::NotFound("product"))?;
    shops::managed(&mut tx, actor, &product.shop_id)
        .await
        .map_err(|e| e.not_found_as("product"))?;
    let mut errors = ValidationErrors::new();
    let sku = errors.check("sku", parse_sku(&v.sku));
    if let Some(gtin) = v.gtin.as_deref().filter(|g| !g.trim().is_empty()) {
        errors.check("gtin", parse_gtin(gtin));
    }
    errors.check("price", check_price(v.price));
    if !(0..=1_000_000_000).contains(&v.stock) {
        errors.add("stock", "must be between 0 and 1000000000");
    }
    let tiers = errors.check("price_tiers", check_tiers(v.price, v.price_tiers.clone()));
    errors.into_result()?;
    let declared = categories::declared_attributes(&mut tx, &product.category).await?;
    check_attributes(&declared, &v.attributes).map_err(|m| AppError::invalid("attributes", m))?;
    if existing.len() >= 100 {
        return Err(AppError::conflict(
            ConflictKind::LimitReached,
            "a product has at most 100 variants",
        ));
    }
    let row = VariantRow {
        id: new_id("var"),
        product_id: product_id.to_owned(),
        shop_id: product.shop_id.clone(),
        sku: sku.expect("checked"),
        gtin: v
            .gtin
            .as_deref()
            .map(str::trim)
            .filter(|g| !g.is_empty())
            .map(str::to_owned),
        price_amount: v.price.minor,
        currency: v.price.currency.code().to_owned(),
        stock: 0,
        attributes: serde_json::Value::Object(v.attributes.clone()).to_string(),
        position: existing.len() as i64,
    };
    if let Err(err) = product_store::insert_variants(&mut tx, &[&row]).await {
        if agora_store::is_unique_violation(&err) {
            return Err(AppError::invalid(
                "sku",
                "is already used by another variant of this shop",
            ));
        }
        return Err(err.into());
    }
    for t in tiers.unwrap_or_default() {
        catalog_store::insert_tier(&mut tx, &row.id, i64::from(t.min_qty), t.unit_price.minor).await?;
    }
    if v.stock > 0 {
        catalog_store::move_stock(
            &mut tx,
            &row.id,
            v.stock,
            "received",
            Some(&actor.account_id),
            "initial stock",
            now,
        )
        .await?;
    }
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
