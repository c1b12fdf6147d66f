//! Products: listing and editing by approved shops (with the restricted-category rule), product
//! pages, the home page's featured list and shop listings.

use agora_core::audit::AuditAction;
use agora_core::catalog::{StockMovementKind, DEFAULT_LOW_STOCK};
use agora_core::category::AttributeDef;
use agora_core::money::{Currency, Money};
use agora_core::pricing::PriceTier;
use agora_core::product::{ProductDraft, ProductEdit, ProductInput, ProductPatch, ProductStatus, VariantDraft};
use agora_core::{shop, ValidationErrors};
use agora_store::catalog as catalog_store;
use agora_store::products::{self as store, ProductChanges, ProductRow, VariantRow};
use agora_store::shops::ShopRow;
use agora_store::{new_id, now_ms, Conn};
use std::sync::Arc;

use crate::product_cache::CachedProduct;
pub(crate) use crate::product_changes::publish_change;
use crate::product_view::summary;
pub use crate::product_view::{ProductSummary, ProductView, ShopCard, VariantView};
use crate::{audit, categories, rfc3339, shops, Actor, App, AppError, AppResult, ConflictKind};

/// Stock at or below this is "low" for the seller, unless a variant sets its own threshold.
pub const LOW_STOCK: i64 = DEFAULT_LOW_STOCK;

/// Checks that the shop may list in `category` (approved, licensed for restricted categories) and
/// returns the attributes the category declares.
pub(crate) async fn check_listing(conn: &mut Conn, s: &ShopRow, category: &str) -> AppResult<Vec<AttributeDef>> {
    let path = categories::path_to(conn, category)
        .await?
        .ok_or_else(|| AppError::invalid("category", format!("unknown category {category:?}")))?;
    let required = agora_core::category::required_licence(&path);
    let qualifications = shops::listing_qualifications(conn, &s.id).await?;
    shop::may_list(s.status, required.as_deref(), &qualifications, crate::time_fmt::today()).map_err(|denied| {
        match denied {
            shop::ListingDenied::ShopNotApproved => {
                AppError::conflict(ConflictKind::ShopNotApproved, denied.to_string())
            }
            shop::ListingDenied::MissingQualification(_) => AppError::Forbidden(denied.to_string()),
        }
    })?;
    categories::declared_attributes(conn, category).await
}

/// A new variant's row, at `position` among its product's variants (its stock is recorded by
/// [`stock_and_tiers`]).
pub(crate) fn variant_row(product_id: &str, shop_id: &str, position: usize, v: &VariantDraft) -> VariantRow {
    VariantRow {
        id: new_id("var"),
        product_id: product_id.to_owned(),
        shop_id: shop_id.to_owned(),
        sku: v.sku.as_str().to_owned(),
        gtin: v.gtin.as_ref().map(|g| g.as_str().to_owned()),
        price_amount: v.price.minor,
        currency: v.price.currency.code().to_owned(),
        stock: 0,
        attributes: serde_json::Value::Object(v.attributes.clone()).to_string(),
        position: position as i64,
    }
}

/// Writes a new variant's volume tiers and receives its initial stock as a movement.
pub(crate) async fn stock_and_tiers(
    conn: &mut Conn,
    variant_id: &str,
    v: &VariantDraft,
    actor: &Actor,
    now: i64,
) -> AppResult<()> {
    for t in &v.price_tiers {
        catalog_store::insert_tier(conn, variant_id, i64::from(t.min_qty), t.unit_price.minor).await?;
    }
    if v.stock > 0 {
        let received = StockMovementKind::Received;
        catalog_store::move_stock(
            conn,
            variant_id,
            v.stock,
            received,
            Some(&actor.account_id),
            "initial stock",
            now,
        )
        .await?;
    }
    Ok(())
}

/// Lists a product in one of the actor's shops. The shop must be approved, a restricted category
/// needs an approved, unexpired qualification of the matching kind, and attributes must be the
/// ones the category declares.
pub async fn create(app: &App, actor: &Actor, shop_id: &str, input: ProductInput) -> AppResult<ProductView> {
    let now = now_ms();
    let mut tx = app.db.begin().await?;
    let s = shops::managed(&mut tx, actor, shop_id).await?;
    // Only the shop's staff learn what is wrong with a listing.
    let draft = ProductDraft::parse(input).map_err(ValidationErrors::from)?;
    let declared = check_listing(&mut tx, &s, &draft.category).await?;
    draft.check_attributes(&declared).map_err(ValidationErrors::from)?;
    let product = ProductRow {
        id: new_id("prd"),
        shop_id: s.id.clone(),
        title: draft.title.clone(),
        description: draft.description.clone(),
        description_html: Some(crate::descriptions::html(&draft.description)),
        category: draft.category.clone(),
        status: draft.status,
        attributes: serde_json::Value::Object(draft.attributes.clone()).to_string(),
        min_order_qty: draft.min_order_qty,
        featured: false,
        created_at: now,
        updated_at: now,
    };
    let variants: Vec<VariantRow> = draft
        .variants
        .iter()
        .enumerate()
        .map(|(i, v)| variant_row(&product.id, &s.id, i, v))
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
    for (row, v) in variants.iter().zip(&draft.variants) {
        stock_and_tiers(&mut tx, &row.id, v, actor, now).await?;
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
    let edit = ProductEdit::parse(patch)?;
    if let Some(to) = edit.status {
        product
            .status
            .transition(to)
            .map_err(|e| AppError::conflict(ConflictKind::InvalidTransition, e.to_string()))?;
    }
    let category = edit.category.clone().unwrap_or_else(|| product.category.clone());
    if edit.category.is_some() || edit.status == Some(ProductStatus::Active) {
        check_listing(&mut tx, &s, &category).await?;
    }
    if let Some(attributes) = &edit.attributes {
        let declared = categories::declared_attributes(&mut tx, &category).await?;
        agora_core::catalog::check_attributes(&declared, attributes).map_err(|m| AppError::invalid("attributes", m))?;
    }
    let changes = ProductChanges {
        title: edit.title,
        description_html: edit.description.as_deref().map(crate::descriptions::html),
        description: edit.description,
        category: edit.category,
        status: edit.status,
        attributes: edit.attributes.map(|a| serde_json::Value::Object(a).to_string()),
        min_order_qty: edit.min_order_qty,
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
    Ok(load_entry(conn, id, actor).await?.map(|entry| entry.view))
}

/// A product's view as `actor` sees it, with what tells its shop's staff from everyone else.
async fn load_entry(conn: &mut Conn, id: &str, actor: Option<&Actor>) -> AppResult<Option<CachedProduct>> {
    let Some((p, variants)) = store::by_id(conn, id).await? else {
        return Ok(None);
    };
    let s = agora_store::shops::by_id(conn, &p.shop_id)
        .await?
        .ok_or(AppError::NotFound("shop"))?;
    let staff = actor.is_some_and(|a| shops::may_manage(a, &s));
    let tiers = catalog_store::tiers_of_product(conn, id).await?;
    let flags = catalog_store::variant_flags(conn, id).await?;
    let declared = categories::declared_attributes(conn, &p.category).await?;
    // Every company's prices are kept with the product, so that a buyer's own is found without
    // a read of its own on every view.
    let company_prices = catalog_store::all_company_prices_of_product(conn, id).await?;
    let variants = variants
        .into_iter()
        .filter_map(|v| {
            let (threshold, archived, weight_grams) = flags
                .iter()
                .find(|(vid, _, _, _)| *vid == v.id)
                .map_or((LOW_STOCK, false, None), |(_, t, a, w)| (*t, *a, *w));
            let attributes: serde_json::Value = serde_json::from_str(&v.attributes).unwrap_or_default();
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
                company_price: None,
                low_stock_threshold: Some(threshold),
                low_stock: staff.then_some(v.stock <= threshold),
                weight_grams,
                id: v.id,
                sku: v.sku,
                gtin: v.gtin,
                stock: v.stock,
                options: agora_core::variant::option_label(&declared, &attributes),
                attributes,
                archived,
            })
        })
        .collect();
    let description_html = crate::descriptions::html_of(&p);
    let description_text = crate::markdown_text::plain(&p.description);
    let view = ProductView {
        id: p.id,
        shop: ShopCard {
            id: s.id,
            name: s.name,
            slug: s.slug,
        },
        description_html,
        description_text,
        title: p.title,
        description: p.description,
        category: p.category,
        status: p.status.to_string(),
        attributes: serde_json::from_str(&p.attributes).unwrap_or_default(),
        min_order_qty: p.min_order_qty,
        variants,
        images: catalog_store::images_of_product(conn, id)
            .await?
            .iter()
            .map(crate::images::view)
            .collect(),
        created_at: rfc3339(p.created_at),
    };
    let mut entry = CachedProduct {
        view,
        status: p.status,
        shop_owner: s.owner_account_id,
        shop_company: s.company_id,
        company_prices,
    };
    entry.view = entry.priced_for(actor);
    Ok(Some(entry))
}

/// The public view of a product, from the cache or loaded into it.
async fn cached(app: &App, id: &str) -> AppResult<Option<Arc<CachedProduct>>> {
    if let Some(hit) = app.products.get(id) {
        return Ok(Some(hit));
    }
    let mut conn = app.db.conn().await?;
    let Some(entry) = load_entry(&mut conn, id, None).await? else {
        return Ok(None);
    };
    app.products.insert(id.to_owned(), entry.clone());
    Ok(Some(Arc::new(entry)))
}

/// A product page. Drafts and archived products are visible only to their shop's staff, who also
/// see low-stock flags; a buyer whose company has its own prices sees them.
pub async fn get(app: &App, actor: Option<&Actor>, id: &str) -> AppResult<ProductView> {
    let entry = cached(app, id).await?.ok_or(AppError::NotFound("product"))?;
    let staff = actor.is_some_and(|a| a.may_run_shop(&entry.shop_owner, entry.shop_company.as_deref()));
    if !entry.status.is_public() && !staff {
        return Err(AppError::NotFound("product"));
    }
    let mut view = entry.priced_for(actor);
    if !staff {
        // A variant taken off sale is the seller's business only.
        view.variants.retain(|v| !v.archived);
    }
    if staff {
        view.variants
            .iter_mut()
            .for_each(|v| v.low_stock = Some(v.stock <= v.low_stock_threshold.unwrap_or(LOW_STOCK)));
    } else {
        // The seller's thresholds are not the public's business.
        view.variants.iter_mut().for_each(|v| v.low_stock_threshold = None);
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
    if !staff && !s.status.is_public() {
        return Err(AppError::NotFound("shop"));
    }
    Ok(store::of_shop(&mut conn, shop_id, !staff, 500)
        .await?
        .into_iter()
        .filter_map(summary)
        .collect())
}

/// The first picture's thumbnail of each of these products that has pictures:
/// `(product id, blob key)`.
pub async fn thumbnails(app: &App, ids: &[String]) -> AppResult<Vec<(String, String)>> {
    let mut conn = app.db.conn().await?;
    Ok(store::thumbnails(&mut conn, ids).await?)
}
