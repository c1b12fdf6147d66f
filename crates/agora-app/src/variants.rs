//! Editing a product's variants after it is listed: adding a variant, changing one (price, SKU,
//! GTIN, options, archiving), setting volume prices.

use agora_core::audit::AuditAction;
use agora_core::catalog::MAX_VARIANTS;
use agora_core::events::Event;
use agora_core::money::{Currency, Money};
use agora_core::pricing::{check_tiers, PriceTier};
use agora_core::product::{VariantDraft, VariantInput};
use agora_core::variant::{VariantEdit, VariantPatch};
use agora_store::catalog as catalog_store;
use agora_store::products::{self as product_store, VariantChanges};
use agora_store::{now_ms, outbox};

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

/// Changes a variant of a product of one of the actor's shops (404 for anyone else's): its price,
/// SKU, GTIN, options, or whether it is on sale. A new price is checked against the variant's
/// volume prices, recorded in the audit log and announced as a `price.changed` event, which
/// refreshes the search index on every node; the product page and the comparison read it at once.
/// A product keeps at least one variant on sale: to take all of them off, archive the product.
pub async fn update(app: &App, actor: &Actor, variant_id: &str, patch: VariantPatch) -> AppResult<VariantView> {
    let now = now_ms();
    let mut tx = app.db.begin().await?;
    let (product_id, shop_id, _) = catalog_store::variant_owner(&mut tx, variant_id)
        .await?
        .ok_or(AppError::NotFound("variant"))?;
    shops::managed(&mut tx, actor, &shop_id)
        .await
        .map_err(|e| e.not_found_as("variant"))?;
    let (product, _) = product_store::by_id(&mut tx, &product_id)
        .await?
        .ok_or(AppError::NotFound("variant"))?;
    let before = load(&mut tx, &product_id, Some(actor))
        .await?
        .ok_or(AppError::NotFound("variant"))?;
    let current = before
        .variants
        .iter()
        .find(|v| v.id == variant_id)
        .ok_or(AppError::NotFound("variant"))?;
    let edit = VariantEdit::parse(patch, current.price.currency)?;
    if let Some(attributes) = &edit.attributes {
        let declared = categories::declared_attributes(&mut tx, &product.category).await?;
        agora_core::catalog::check_attributes(&declared, attributes).map_err(|m| AppError::invalid("attributes", m))?;
    }
    if let Some(price) = edit.price {
        check_tiers(price, current.price_tiers.clone()).map_err(|m| {
            AppError::invalid(
                "price",
                format!("does not fit the volume prices ({m}); change those first"),
            )
        })?;
    }
    if edit.archived == Some(true) && !current.archived && before.variants.iter().filter(|v| !v.archived).count() <= 1 {
        return Err(AppError::conflict(
            ConflictKind::InvalidTransition,
            "a product keeps at least one variant on sale; archive the product instead",
        ));
    }
    let archive_moves = edit.archived.filter(|a| *a != current.archived);
    let changes = VariantChanges {
        sku: edit.sku.as_ref().map(|s| s.as_str().to_owned()),
        gtin: edit.gtin.as_ref().map(|g| g.as_ref().map(|g| g.as_str().to_owned())),
        price_amount: edit.price.map(|p| p.minor),
        attributes: edit
            .attributes
            .as_ref()
            .map(|a| serde_json::Value::Object(a.clone()).to_string()),
        archived_at: archive_moves.map(|archived| archived.then_some(now)),
    };
    if let Err(err) = product_store::update_variant(&mut tx, variant_id, &changes).await {
        if agora_store::is_unique_violation(&err) {
            return Err(AppError::conflict(
                ConflictKind::DuplicateSku,
                "another variant of this shop has this SKU",
            ));
        }
        return Err(err.into());
    }
    let price_moves = edit.price.filter(|p| *p != current.price);
    if let Some(to) = price_moves {
        let data = serde_json::json!({ "variant_id": variant_id, "from": current.price, "to": to });
        audit::record(
            &mut tx,
            Some(&actor.account_id),
            AuditAction::PriceChanged,
            &product_id,
            data,
        )
        .await?;
    }
    let other_fields = edit.sku.is_some() || edit.gtin.is_some() || edit.attributes.is_some();
    if other_fields {
        let data = serde_json::json!({
            "variant_id": variant_id,
            "sku": changes.sku,
            "gtin": changes.gtin,
            "attributes": edit.attributes,
        });
        audit::record(
            &mut tx,
            Some(&actor.account_id),
            AuditAction::ProductVariantUpdated,
            &product_id,
            data,
        )
        .await?;
    }
    if let Some(archived) = archive_moves {
        let action = if archived {
            AuditAction::ProductVariantArchived
        } else {
            AuditAction::ProductVariantRestored
        };
        let data = serde_json::json!({ "variant_id": variant_id, "sku": current.sku });
        audit::record(&mut tx, Some(&actor.account_id), action, &product_id, data).await?;
    }
    match price_moves {
        Some(to) => {
            let event = Event::PriceChanged {
                product_id: product_id.clone(),
                variant_id: variant_id.to_owned(),
                currency: to.currency.code().to_owned(),
                from: current.price.minor,
                to: to.minor,
            };
            outbox::publish(&mut tx, &event, now).await?;
        }
        None if other_fields || archive_moves.is_some() => publish_change(&mut tx, &product_id, now).await?,
        None => {}
    }
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
