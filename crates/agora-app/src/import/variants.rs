//! The variants of a product group: read from the rows, then compared with the existing ones.

use super::*;

/// One row's variant, its empty cells filled from the existing variant `ev`.
pub(super) fn variant(
    columns: &Columns,
    r: &Record,
    ev: Option<&VariantRow>,
    declared: &[AttributeDef],
    catalog: &Catalog,
    options: &ImportOptions,
    problems: &mut Problems,
) -> AppResult<VariantInput> {
    let sku = r.cell(columns, Field::Sku).unwrap_or_default().to_owned();
    let currency = match r.given(columns, Field::Currency) {
        Some(code) => match Currency::parse(&code.to_ascii_uppercase()) {
            Ok(c) => Some(c),
            Err(message) => {
                problems.add(r.line, "currency", message);
                None
            }
        },
        None => match ev {
            Some(v) => Some(Currency::parse(&v.currency).map_err(|e| AppError::Internal(anyhow::anyhow!(e)))?),
            None => Some(options.currency),
        },
    };
    let price = match (r.given(columns, Field::Price), currency) {
        (Some(raw), Some(currency)) => match Money::parse_major(raw, currency) {
            Ok(price) => Some(price),
            Err(message) => {
                problems.add(r.line, "price", message);
                None
            }
        },
        (Some(_), None) => None,
        (None, Some(currency)) => match ev {
            Some(v) => Some(Money::new(v.price_amount, currency)),
            None => {
                problems.add(r.line, "price", "must not be empty");
                None
            }
        },
        (None, None) => None,
    };
    let gtin = match r.cell(columns, Field::Gtin) {
        Some("") => None,
        Some(g) => Some(g.to_owned()),
        None => ev.and_then(|v| v.gtin.clone()),
    };
    let stock = match r.given(columns, Field::Stock) {
        Some(raw) => raw.parse::<i64>().unwrap_or_else(|_| {
            problems.add(r.line, "stock", "must be a whole number");
            0
        }),
        None => ev.map_or(0, |v| v.stock),
    };
    let mut attributes = ev.map(|v| json_map(&v.attributes)).unwrap_or_default();
    merge_attributes(&mut attributes, &columns.attrs, r);
    check_typed(&mut attributes, declared, &columns.attrs, "attr:", r.line, problems);
    let price = price.unwrap_or_else(|| Money::zero(options.currency));
    // An existing variant's volume tiers must still fit under its new price.
    let price_tiers = match ev {
        Some(v) => catalog
            .tiers
            .get(&v.id)
            .into_iter()
            .flatten()
            .map(|&(min_qty, amount)| PriceTier {
                min_qty: u32::try_from(min_qty).unwrap_or(u32::MAX),
                unit_price: Money::new(amount, Currency::parse(&v.currency).unwrap_or(price.currency)),
            })
            .collect(),
        None => Vec::new(),
    };
    Ok(VariantInput {
        sku,
        gtin,
        price,
        stock,
        attributes,
        price_tiers,
    })
}

/// Adds the variants to `plan`: new ones from position `next_position` on, and what changes in
/// existing ones. Keeps `catalog`'s variants current and returns the next free position.
pub(super) fn plan_variants(
    plan: &mut Plan,
    catalog: &mut Catalog,
    shop: &ShopRow,
    input: &ProductDraft,
    existing: Vec<Option<VariantRow>>,
    mut next_position: i64,
) -> i64 {
    let product_changed = plan.new_product.is_some() || plan.product_changes.is_some();
    for (v, ev) in input.variants.iter().zip(existing) {
        let sku = v.sku.as_str().to_owned();
        let gtin = v.gtin.as_ref().map(|g| g.as_str().to_owned());
        let attributes = Value::Object(v.attributes.clone()).to_string();
        let outcome = match ev {
            None => {
                let row = VariantRow {
                    id: new_id("var"),
                    product_id: plan.product_id.clone(),
                    shop_id: shop.id.clone(),
                    sku: sku.clone(),
                    gtin,
                    price_amount: v.price.minor,
                    currency: v.price.currency.code().to_owned(),
                    stock: v.stock,
                    attributes,
                    position: next_position,
                };
                next_position += 1;
                catalog.variants.insert(sku.clone(), row.clone());
                plan.new_variants.push(row);
                Outcome::Created
            }
            Some(old) => {
                let mut changed = false;
                if old.price_amount != v.price.minor
                    || old.currency != v.price.currency.code()
                    || old.gtin != gtin
                    || json_map(&old.attributes) != v.attributes
                {
                    plan.variant_updates.push(VariantUpdate {
                        variant_id: old.id.clone(),
                        price_amount: v.price.minor,
                        currency: v.price.currency.code().to_owned(),
                        gtin: gtin.clone(),
                        attributes: attributes.clone(),
                    });
                    changed = true;
                }
                if old.stock != v.stock {
                    plan.stock_moves.push(StockMove {
                        variant_id: old.id.clone(),
                        from: old.stock,
                        to: v.stock,
                    });
                    changed = true;
                }
                if changed {
                    catalog.variants.insert(
                        sku.clone(),
                        VariantRow {
                            gtin,
                            price_amount: v.price.minor,
                            currency: v.price.currency.code().to_owned(),
                            stock: v.stock,
                            attributes,
                            ..old
                        },
                    );
                }
                if changed || product_changed {
                    Outcome::Updated
                } else {
                    Outcome::Unchanged
                }
            }
        };
        if outcome != Outcome::Unchanged {
            plan.changed_skus.push(sku);
        }
        plan.outcomes.push(outcome);
    }
    next_position
}
