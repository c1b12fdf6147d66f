//! Price comparison across sellers, and the prices one buyer pays: volume tiers, company prices,
//! shipping to the buyer's country.

use agora_core::audit::AuditAction;
use std::cmp::Reverse;

use agora_core::money::{Currency, Money};
use agora_core::pricing::{check_price, PriceRules, PriceTier};
use agora_store::catalog as catalog_store;
use agora_store::products as product_store;
use agora_store::Conn;

use crate::{audit, products, shops, Actor, App, AppError, AppResult};

/// One shop's offer of an item.
#[derive(Debug, Clone)]
pub struct OfferView {
    pub product_id: String,
    pub variant_id: String,
    pub sku: String,
    /// The variant's options as people read them ("Black / 1 kg"), whichever product it belongs
    /// to; `None` when it has none.
    pub options: Option<String>,
    pub shop: ShopRef,
    /// The unit price for the requested quantity.
    pub price: Money,
    /// Shipping to the buyer's country, when the shop set a rate for it.
    pub shipping: Option<Money>,
    /// The goods for the quantity plus shipping: what the buyer pays in the end.
    pub landed_price: Money,
    pub stock: i64,
    /// The shop's average rating, once it has reviews.
    pub rating: Option<f32>,
}

impl OfferView {
    /// What people call the offered variant: its options, or its SKU when it has none.
    pub fn label(&self) -> &str {
        self.options.as_deref().unwrap_or(&self.sku)
    }
}

/// The shop making an offer.
#[derive(Debug, Clone)]
pub struct ShopRef {
    pub id: String,
    pub name: String,
}

fn parse_country(raw: Option<&str>) -> AppResult<String> {
    match raw.map(str::trim) {
        None | Some("") => Ok("*".into()),
        Some(c) => agora_core::country::Country::parse(c)
            .map(|c| c.code().to_owned())
            .map_err(|m| AppError::invalid("country", m)),
    }
}

/// Every shop's offer of the same item (same GTIN) as `product_id`, cheapest landed price first.
/// A product without a GTIN is compared only with itself.
pub async fn for_product(
    app: &App,
    actor: Option<&Actor>,
    product_id: &str,
    quantity: u32,
    country: Option<&str>,
) -> AppResult<Vec<OfferView>> {
    if quantity == 0 || quantity > 1_000_000 {
        return Err(AppError::invalid("quantity", "must be between 1 and 1000000"));
    }
    let country = parse_country(country)?;
    let product = products::get(app, actor, product_id).await?;
    // The buyer's company prices come with the offers (and with the product's own view), so a
    // buyer costs no read of their own here.
    let company = actor.and_then(|a| a.company.as_ref()).map(|(id, _)| id.as_str());
    let mut conn = app.db.conn().await?;
    let mut rows = Vec::new();
    for v in product.variants.iter().filter(|v| !v.archived) {
        match &v.gtin {
            Some(gtin) => rows.extend(catalog_store::offers_by_gtin(&mut conn, gtin, &country, company).await?),
            None => rows.push(catalog_store::OfferRow {
                product_id: product.id.clone(),
                variant_id: v.id.clone(),
                shop_id: product.shop.id.clone(),
                shop_name: product.shop.name.clone(),
                price_amount: v.price.minor,
                currency: v.price.currency.code().to_owned(),
                stock: v.stock,
                shipping_amount: None,
                sku: v.sku.clone(),
                attributes: v.attributes.to_string(),
                category: product.category.clone(),
                company_price_amount: v.company_price.map(|p| p.minor),
            }),
        }
    }
    drop(conn);
    let categories = crate::categories::rows(app).await?;
    let mut conn = app.db.conn().await?;
    let mut offers = Vec::new();
    for row in rows {
        let Ok(currency) = Currency::parse(&row.currency) else {
            continue;
        };
        let company_price = row.company_price_amount.map(|a| Money::new(a, currency));
        let rules = rules_with_company_price(
            &mut conn,
            &row.product_id,
            &row.variant_id,
            Money::new(row.price_amount, currency),
            company_price,
        )
        .await?;
        // Below a seller's minimum order quantity, its offer is priced at that minimum.
        let qty = quantity.max(rules.min_order_qty);
        let shipping = row.shipping_amount.map(|a| Money::new(a, currency));
        // One seller's absurd price (stored before prices were capped) drops that offer only: it
        // never makes the comparison fail for everyone else.
        let Some((unit, landed)) = landed_price(&rules, qty, shipping) else {
            continue;
        };
        let options = variant_options(&categories, &row.category, &row.attributes);
        offers.push(OfferView {
            product_id: row.product_id,
            variant_id: row.variant_id,
            sku: row.sku,
            options,
            shop: ShopRef {
                id: row.shop_id,
                name: row.shop_name,
            },
            price: unit,
            shipping,
            landed_price: landed,
            stock: row.stock,
            rating: None,
        });
    }
    offers.sort_by_key(|o| (o.landed_price.currency.code(), o.landed_price.minor, Reverse(o.stock)));
    offers.dedup_by(|a, b| a.variant_id == b.variant_id);
    Ok(offers)
}

/// A variant's options in the order its own product's category declares them: offers from other
/// products of the same GTIN are named as their own pages name them.
fn variant_options(
    categories: &[agora_store::categories::CategoryRow],
    category: &str,
    attributes: &str,
) -> Option<String> {
    let attributes: serde_json::Value = serde_json::from_str(attributes).ok()?;
    let declared: Vec<agora_core::category::AttributeDef> = categories
        .iter()
        .find(|c| c.slug == category)
        .and_then(|c| serde_json::from_str(&c.attributes).ok())
        .unwrap_or_default();
    agora_core::variant::option_label(&declared, &attributes)
}

/// The unit price for `qty` units and what the buyer pays in the end with `shipping`, or `None`
/// when the amounts are out of range.
fn landed_price(rules: &PriceRules, qty: u32, shipping: Option<Money>) -> Option<(Money, Money)> {
    let unit = rules.unit_price(qty).ok()?;
    let goods = unit.times(qty).ok()?;
    let landed = match shipping {
        Some(s) => goods.checked_add(s).ok()?,
        None => goods,
    };
    Some((unit, landed))
}

/// The pricing rules of one variant for one buyer: base price, tiers, minimum order quantity and
/// the buyer's company price. The price itself is computed by `agora_core::pricing`.
pub async fn price_rules(
    conn: &mut Conn,
    actor: Option<&Actor>,
    product_id: &str,
    variant_id: &str,
    base: Money,
) -> AppResult<PriceRules> {
    let company_price = match actor.and_then(|a| a.company.as_ref()) {
        Some((company_id, _)) => catalog_store::company_prices_of_product(conn, product_id, company_id)
            .await?
            .into_iter()
            .find(|(v, _)| v == variant_id)
            .map(|(_, a)| Money::new(a, base.currency)),
        None => None,
    };
    rules_with_company_price(conn, product_id, variant_id, base, company_price).await
}

/// [`price_rules`] with the buyer's company price already known.
async fn rules_with_company_price(
    conn: &mut Conn,
    product_id: &str,
    variant_id: &str,
    base: Money,
    company_price: Option<Money>,
) -> AppResult<PriceRules> {
    let (product, _) = product_store::by_id(conn, product_id)
        .await?
        .ok_or(AppError::NotFound("product"))?;
    let tiers = catalog_store::tiers_of_product(conn, product_id)
        .await?
        .into_iter()
        .filter(|(v, _, _)| v == variant_id)
        .map(|(_, q, a)| PriceTier {
            min_qty: q as u32,
            unit_price: Money::new(a, base.currency),
        })
        .collect();
    Ok(PriceRules {
        base,
        tiers,
        min_order_qty: product.min_order_qty.max(1) as u32,
        company_price,
    })
}

/// Gives a buyer company its own unit price for a variant (the variant's shop staff).
pub async fn set_company_price(
    app: &App,
    actor: &Actor,
    variant_id: &str,
    company_id: &str,
    price: Money,
) -> AppResult<()> {
    let now = agora_store::now_ms();
    let mut tx = app.db.begin().await?;
    let (product_id, shop_id, _) = catalog_store::variant_owner(&mut tx, variant_id)
        .await?
        .ok_or(AppError::NotFound("variant"))?;
    shops::managed(&mut tx, actor, &shop_id)
        .await
        .map_err(|e| e.not_found_as("variant"))?;
    check_price(price).map_err(|m| AppError::invalid("unit_price", m))?;
    if agora_store::companies::name(&mut tx, company_id).await?.is_none() {
        return Err(AppError::invalid("company_id", "no such company"));
    }
    catalog_store::set_company_price(&mut tx, variant_id, company_id, price.minor).await?;
    let data = serde_json::json!({ "variant_id": variant_id, "company_id": company_id, "unit_price": price });
    audit::record(
        &mut tx,
        Some(&actor.account_id),
        AuditAction::PriceCompanySet,
        &product_id,
        data,
    )
    .await?;
    products::publish_change(&mut tx, &product_id, now).await?;
    tx.commit().await?;
    app.products.invalidate(&product_id);
    Ok(())
}

/// Sets what a shop charges to ship an order to `country` (`*`: everywhere else).
pub async fn set_shipping_rate(app: &App, actor: &Actor, shop_id: &str, country: &str, amount: Money) -> AppResult<()> {
    let mut tx = app.db.begin().await?;
    let s = shops::managed(&mut tx, actor, shop_id).await?;
    if country != "*" {
        parse_country(Some(country))?;
    }
    check_price(amount).map_err(|m| AppError::invalid("amount", m))?;
    catalog_store::set_shipping_rate(&mut tx, &s.id, country, amount.minor, amount.currency.code()).await?;
    let data = serde_json::json!({ "country": country, "amount": amount });
    audit::record(
        &mut tx,
        Some(&actor.account_id),
        AuditAction::ShopShippingRateSet,
        &s.id,
        data,
    )
    .await?;
    crate::checkout_terms::commit_change(app, tx).await?;
    Ok(())
}
