//! Products: listing and editing by approved shops (with the restricted-category rule), product
//! pages, the home page's featured list and shop listings.

use agora_core::audit::AuditAction;
use agora_core::catalog::{check_attributes, parse_gtin, parse_sku};
use agora_core::category::AttributeDef;
use agora_core::money::{Currency, Money};
use agora_core::pricing::{check_price, check_tiers, PriceTier};
use agora_core::shop;
use agora_core::{text, ValidationErrors};
use agora_store::catalog as catalog_store;
use agora_store::products::{self as store, ProductCard, ProductChanges, ProductRow, VariantRow};
use agora_store::shops::ShopRow;
use agora_store::{new_id, now_ms, Conn};
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::product_cache::CachedProduct;
pub(crate) use crate::product_changes::publish_change;
pub use crate::product_view::{ProductView, ShopCard, VariantView};
use crate::{audit, categories, rfc3339, shops, Actor, App, AppError, AppResult, ConflictKind};

/// Stock at or below this is "low" for the seller, unless a variant sets its own threshold.
pub const LOW_STOCK: i64 = 5;

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct NewVariant {
    pub sku: String,
    pub gtin: Option<String>,
    #[schema(value_type = Object, example = json!({"amount": 1250, "currency": "EUR"}))]
    pub price: Money,
    pub stock: i64,
    #[serde(default)]
    #[schema(value_type = Object)]
    pub attributes: serde_json::Map<String, serde_json::Value>,
    /// Volume prices: from `min_qty` units on, each costs `unit_price`.
    #[serde(default)]
    #[schema(value_type = Vec<Object>)]
    pub price_tiers: Vec<PriceTier>,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct NewProduct {
    pub title: String,
    #[serde(default)]
    pub description: String,
    pub category: String,
    #[serde(default)]
    #[schema(value_type = Object)]
    pub attributes: serde_json::Map<String, serde_json::Value>,
    pub variants: Vec<NewVariant>,
    pub min_order_qty: Option<i64>,
    /// `active` (default) or `draft`.
    pub status: Option<String>,
}

/// A product in a listing.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ProductSummary {
    pub id: String,
    pub title: String,
    pub shop: ShopCard,
    pub category: String,
    /// The lowest price of its variants.
    #[schema(value_type = Object)]
    pub price: Money,
    pub in_stock: bool,
}

fn summary(c: ProductCard) -> Option<ProductSummary> {
    Some(ProductSummary {
        price: Money::new(c.price_amount, Currency::parse(&c.currency).ok()?),
        in_stock: c.stock > 0,
        id: c.id,
        title: c.title,
        shop: ShopCard {
            id: c.shop_id,
            name: c.shop_name,
            slug: c.shop_slug,
        },
        category: c.category,
    })
}

/// What [`parse_product`] found valid: the cleaned title and each variant's checked tiers.
#[derive(Debug, Clone)]
pub struct CheckedProduct {
    pub title: String,
    pub tiers: Vec<Vec<PriceTier>>,
}

/// The checks that need no database: text lengths, SKUs, GTINs, prices, stock, tiers.
pub fn parse_product(input: &NewProduct) -> Result<CheckedProduct, ValidationErrors> {
    let mut errors = ValidationErrors::new();
    let title = errors.check("title", text::bounded(&input.title, 2, 200, false));
    errors.check("description", text::bounded(&input.description, 0, 20_000, true));
    if input.variants.is_empty() || input.variants.len() > 100 {
        errors.add("variants", "a product needs 1 to 100 variants");
    }
    let mut tiers = Vec::new();
    let mut skus = Vec::new();
    for (i, v) in input.variants.iter().enumerate() {
        if let Some(sku) = errors.check(&format!("variants[{i}].sku"), parse_sku(&v.sku)) {
            if skus.contains(&sku) {
                errors.add(&format!("variants[{i}].sku"), "is used twice in this product");
            }
            skus.push(sku);
        }
        if let Some(gtin) = &v.gtin {
            errors.check(&format!("variants[{i}].gtin"), parse_gtin(gtin));
        }
        errors.check(&format!("variants[{i}].price"), check_price(v.price));
        if !(0..=1_000_000_000).contains(&v.stock) {
            errors.add(&format!("variants[{i}].stock"), "must be between 0 and 1000000000");
        }
        let checked = errors.check(
            &format!("variants[{i}].price_tiers"),
            check_tiers(v.price, v.price_tiers.clone()),
        );
        tiers.push(checked.unwrap_or_default());
    }
    if input.min_order_qty.is_some_and(|q| !(1..=1_000_000).contains(&q)) {
        errors.add("min_order_qty", "must be between 1 and 1000000");
    }
    if let Some(status) = &input.status {
        if status != "active" && status != "draft" {
            errors.add("status", "must be one of: active, draft");
        }
    }
    errors.into_result().map(|()| CheckedProduct {
        title: title.unwrap_or_default(),
        tiers,
    })
}

/// Checks that the shop may list in `category` (approved, licensed for restricted categories) and
/// returns the attributes the category declares.
pub(crate) async fn check_listing(conn: &mut Conn, s: &ShopRow, category: &str) -> AppResult<Vec<AttributeDef>> {
    let path = categories::path_to(conn, category)
        .await?
        .ok_or_else(|| AppError::invalid("category", format!("unknown category {category:?}")))?;
    let required = agora_core::category::required_licence(&path);
    let qualifications = shops::listing_qualifications(conn, &s.id).await?;
    shop::may_list(
        shops::status_of(s)?,
        required.as_deref(),
        &qualifications,
        crate::time_fmt::today(),
    )
    .map_err(|denied| match denied {
        shop::ListingDenied::ShopNotApproved => AppError::conflict(ConflictKind::ShopNotApproved, denied.to_string()),
        shop::ListingDenied::MissingQualification(_) => AppError::Forbidden(denied.to_string()),
    })?;
    categories::declared_attributes(conn, category).await
}

/// Lists a product in one of the actor's shops. The shop must be approved, a restricted category
/// needs an approved, unexpired qualification of the matching kind, and attributes must be the
/// ones the category declares.
pub async fn create(app: &App, actor: &Actor, shop_id: &str, input: NewProduct) -> AppResult<ProductView> {
    let now = now_ms();
    let mut tx = app.db.begin().await?;
    let s = shops::managed(&mut tx, actor, shop_id).await?;
    // Only the shop's staff learn what is wrong with a listing.
    let CheckedProduct { title, tiers } = parse_product(&input)?;
    let declared = check_listing(&mut tx, &s, &input.category).await?;
    check_attributes(&declared, &input.attributes).map_err(|m| AppError::invalid("attributes", m))?;
    for (i, v) in input.variants.iter().enumerate() {
        check_attributes(&declared, &v.attributes)
            .map_err(|m| AppError::invalid(&format!("variants[{i}].attributes"), m))?;
    }
    let product = ProductRow {
        id: new_id("prd"),
        shop_id: s.id.clone(),
        title,
        description: input.description.trim().to_owned(),
        category: input.category.clone(),
        status: input.status.clone().unwrap_or_else(|| "active".into()),
        attributes: serde_json::Value::Object(input.attributes.clone()).to_string(),
        min_order_qty: input.min_order_qty.unwrap_or(1),
        featured: false,
        created_at: now,
        updated_at: now,
    };
    let variants: Vec<VariantRow> = input
        .variants
        .iter()
        .enumerate()
        .map(|(i, v)| VariantRow {
            id: new_id("var"),
            product_id: product.id.clone(),
            shop_id: s.id.clone(),
            sku: v.sku.trim().to_owned(),
            gtin: v.gtin.as_deref().map(|g| g.trim().to_owned()),
            price_amount: v.price.minor,
            currency: v.price.currency.code().to_owned(),
            stock: 0,
            attributes: serde_json::Value::Object(v.attributes.clone()).to_string(),
            position: i as i64,
        })
        .collect();
    if let Err(err) = store::insert(&mut tx, &product, &variants).await {
        if agora_store::is_unique_violation(&err) {
            return Err(AppError::conflict(
                ConflictKind::DuplicateSku,
                "a variant with one of these SKUs exists in this shop",
            ));
        }
        return Err(err.into());
    }
    for ((row, v), tiers) in variants.iter().zip(&input.variants).zip(&tiers) {
        for t in tiers {
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
    }
    let data = serde_json::json!({ "title": product.title, "category": product.category, "variants": variants.len() });
    audit::record(
        &mut tx,
        Some(&actor.account_id),
        AuditAction::ProductCreated,
        &product.id,
        data,
    )
    .await?;
    publish_change(&mut tx, &product.id, now).await?;
    let view = load(&mut tx, &product.id, Some(actor))
        .await?
        .ok_or(AppError::NotFound("product"))?;
    tx.commit().await?;
    app.products.invalidate(&product.id);
    Ok(view)
}

/// A seller's edit of a product; only the fields given change.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct ProductPatch {
    pub title: Option<String>,
    pub description: Option<String>,
    pub category: Option<String>,
    /// `draft`, `active` or `archived`.
    pub status: Option<String>,
    #[schema(value_type = Option<Object>)]
    pub attributes: Option<serde_json::Map<String, serde_json::Value>>,
    pub min_order_qty: Option<i64>,
}

/// Edits a product of one of the actor's shops (404 for anyone else's).
pub async fn update(app: &App, actor: &Actor, product_id: &str, patch: ProductPatch) -> AppResult<ProductView> {
    let now = now_ms();
    let mut tx = app.db.begin().await?;
    let (product, _) = store::by_id(&mut tx, product_id)
        .await?
        .ok_or(AppError::NotFound("product"))?;
    let s = shops::managed(&mut tx, actor, &product.shop_id)
        .await
        .map_err(|e| e.not_found_as("product"))?;
    let mut errors = ValidationErrors::new();
    let title = patch
        .title
        .as_deref()
        .and_then(|t| errors.check("title", text::bounded(t, 2, 200, false)));
    let description = patch
        .description
        .as_deref()
        .and_then(|d| errors.check("description", text::bounded(d, 0, 20_000, true)));
    if let Some(status) = &patch.status {
        if !["draft", "active", "archived"].contains(&status.as_str()) {
            errors.add("status", "must be one of: draft, active, archived");
        }
    }
    if patch.min_order_qty.is_some_and(|q| !(1..=1_000_000).contains(&q)) {
        errors.add("min_order_qty", "must be between 1 and 1000000");
    }
    errors.into_result()?;
    let category = patch.category.clone().unwrap_or_else(|| product.category.clone());
    if patch.category.is_some() || patch.status.as_deref() == Some("active") {
        check_listing(&mut tx, &s, &category).await?;
    }
    if let Some(attributes) = &patch.attributes {
        let declared = categories::declared_attributes(&mut tx, &category).await?;
        check_attributes(&declared, attributes).map_err(|m| AppError::invalid("attributes", m))?;
    }
    let changes = ProductChanges {
        title,
        description,
        category: patch.category.clone(),
        status: patch.status.clone(),
        attributes: patch.attributes.map(|a| serde_json::Value::Object(a).to_string()),
        min_order_qty: patch.min_order_qty,
    };
    store::update(&mut tx, product_id, &changes, now).await?;
    let data = serde_json::json!({ "status": changes.status, "category": changes.category, "title": changes.title });
    audit::record(
        &mut tx,
        Some(&actor.account_id),
        AuditAction::ProductUpdated,
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

pub(crate) async fn load(conn: &mut Conn, id: &str, actor: Option<&Actor>) -> AppResult<Option<ProductView>> {
    let Some((p, variants)) = store::by_id(conn, id).await? else {
        return Ok(None);
    };
    let s = agora_store::shops::by_id(conn, &p.shop_id)
        .await?
        .ok_or(AppError::NotFound("shop"))?;
    let staff = actor.is_some_and(|a| shops::may_manage(a, &s));
    let tiers = catalog_store::tiers_of_product(conn, id).await?;
    let thresholds = catalog_store::low_stock_thresholds(conn, id).await?;
    let company_prices = match actor.and_then(|a| a.company.as_ref()) {
        Some((company_id, _)) => catalog_store::company_prices_of_product(conn, id, company_id).await?,
        None => vec![],
    };
    let variants = variants
        .into_iter()
        .filter_map(|v| {
            let threshold = thresholds
                .iter()
                .find(|(vid, _)| *vid == v.id)
                .map_or(LOW_STOCK, |(_, t)| *t);
            let currency = Currency::parse(&v.currency).ok()?;
            Some(VariantView {
                price: Money::new(v.price_amount, currency),
                price_tiers: tiers
                    .iter()
                    .filter(|(vid, _, _)| *vid == v.id)
                    .map(|(_, q, a)| PriceTier {
                        min_qty: *q as u32,
                        unit_price: Money::new(*a, currency),
                    })
                    .collect(),
                company_price: company_prices
                    .iter()
                    .find(|(vid, _)| *vid == v.id)
                    .map(|(_, a)| Money::new(*a, currency)),
                low_stock_threshold: Some(threshold),
                low_stock: staff.then_some(v.stock <= threshold),
                id: v.id,
                sku: v.sku,
                gtin: v.gtin,
                stock: v.stock,
                attributes: serde_json::from_str(&v.attributes).unwrap_or_default(),
            })
        })
        .collect();
    Ok(Some(ProductView {
        id: p.id,
        shop: ShopCard {
            id: s.id,
            name: s.name,
            slug: s.slug,
        },
        title: p.title,
        description: p.description,
        category: p.category,
        status: p.status,
        attributes: serde_json::from_str(&p.attributes).unwrap_or_default(),
        min_order_qty: p.min_order_qty,
        variants,
        images: catalog_store::images_of_product(conn, id)
            .await?
            .iter()
            .map(crate::images::view)
            .collect(),
        created_at: rfc3339(p.created_at),
    }))
}

/// The public view of a product, from the cache or loaded into it.
async fn cached(app: &App, id: &str) -> AppResult<Option<Arc<CachedProduct>>> {
    if let Some(hit) = app.products.get(id) {
        return Ok(Some(hit));
    }
    let mut conn = app.db.conn().await?;
    let Some(view) = load(&mut conn, id, None).await? else {
        return Ok(None);
    };
    let shop = agora_store::shops::by_id(&mut conn, &view.shop.id)
        .await?
        .ok_or(AppError::NotFound("shop"))?;
    let entry = CachedProduct {
        view,
        shop_owner: shop.owner_account_id,
        shop_company: shop.company_id,
    };
    app.products.insert(id.to_owned(), entry.clone());
    Ok(Some(Arc::new(entry)))
}

/// A product page. Drafts and archived products are visible only to their shop's staff, who also
/// see low-stock flags; a buyer whose company has its own prices sees them.
pub async fn get(app: &App, actor: Option<&Actor>, id: &str) -> AppResult<ProductView> {
    let entry = cached(app, id).await?.ok_or(AppError::NotFound("product"))?;
    let staff = actor.is_some_and(|a| a.may_run_shop(&entry.shop_owner, entry.shop_company.as_deref()));
    if entry.view.status != "active" && !staff {
        return Err(AppError::NotFound("product"));
    }
    let mut view = entry.view.clone();
    if staff {
        view.variants
            .iter_mut()
            .for_each(|v| v.low_stock = Some(v.stock <= v.low_stock_threshold.unwrap_or(LOW_STOCK)));
    } else {
        // The seller's thresholds are not the public's business.
        view.variants.iter_mut().for_each(|v| v.low_stock_threshold = None);
    }
    if let Some((company_id, _)) = actor.and_then(|a| a.company.as_ref()) {
        let mut conn = app.db.conn().await?;
        let prices = catalog_store::company_prices_of_product(&mut conn, id, company_id).await?;
        for v in &mut view.variants {
            v.company_price = prices
                .iter()
                .find(|(vid, _)| *vid == v.id)
                .map(|(_, a)| Money::new(*a, v.price.currency));
        }
    }
    Ok(view)
}

/// The home page's products: featured first, then the newest.
pub async fn featured(app: &App, limit: i64) -> AppResult<Vec<ProductSummary>> {
    let mut conn = app.db.conn().await?;
    Ok(store::featured(&mut conn, limit)
        .await?
        .into_iter()
        .filter_map(summary)
        .collect())
}

/// Products whose title contains `q`, in the subtree of `category` when given: the listing used
/// where the search index is not running (e.g. in tools).
pub async fn find(app: &App, q: &str, category: Option<&str>, limit: i64) -> AppResult<Vec<ProductSummary>> {
    let q = q.trim();
    if q.chars().count() > 200 {
        return Err(AppError::invalid("q", "must be at most 200 characters"));
    }
    let mut conn = app.db.conn().await?;
    let within = match category {
        Some(slug) => Some(categories::subtree(
            &agora_store::categories::all(&mut conn).await?,
            slug,
        )),
        None => None,
    };
    Ok(store::matching(&mut conn, q, within.as_deref(), limit)
        .await?
        .into_iter()
        .filter_map(summary)
        .collect())
}

/// The products of a shop: all of them for its staff, the active ones for everyone else.
pub async fn of_shop(app: &App, actor: Option<&Actor>, shop_id: &str) -> AppResult<Vec<ProductSummary>> {
    let mut conn = app.db.conn().await?;
    let s = agora_store::shops::by_id(&mut conn, shop_id)
        .await?
        .ok_or(AppError::NotFound("shop"))?;
    let staff = actor.is_some_and(|a| shops::may_manage(a, &s));
    if !staff && s.status != "approved" {
        return Err(AppError::NotFound("shop"));
    }
    Ok(store::of_shop(&mut conn, shop_id, !staff, 500)
        .await?
        .into_iter()
        .filter_map(summary)
        .collect())
}
