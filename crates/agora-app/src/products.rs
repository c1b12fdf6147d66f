//! Products: listing by approved shops (with the restricted-category rule), product pages and the
//! home page's featured list. The catalog issue grows this into the full seller catalog.

use agora_core::money::{Currency, Money};
use agora_core::shop;
use agora_core::{text, ValidationErrors};
use agora_store::products::{self as store, ProductCard, ProductRow, VariantRow};
use agora_store::{new_id, now_ms, outbox, Conn};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::{audit, categories, rfc3339, shops, Actor, App, AppError, AppResult};

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

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct VariantView {
    pub id: String,
    pub sku: String,
    pub gtin: Option<String>,
    #[schema(value_type = Object)]
    pub price: Money,
    pub stock: i64,
    #[schema(value_type = Object)]
    pub attributes: serde_json::Value,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ProductView {
    pub id: String,
    pub shop: ShopCard,
    pub title: String,
    pub description: String,
    pub category: String,
    pub status: String,
    #[schema(value_type = Object)]
    pub attributes: serde_json::Value,
    pub min_order_qty: i64,
    pub variants: Vec<VariantView>,
    pub created_at: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ShopCard {
    pub id: String,
    pub name: String,
    pub slug: String,
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

fn parse_product(input: &NewProduct) -> Result<(), ValidationErrors> {
    let mut errors = ValidationErrors::new();
    errors.check("title", text::bounded(&input.title, 2, 200, false));
    errors.check(
        "description",
        text::bounded(&input.description, 0, 20_000, true),
    );
    if input.variants.is_empty() || input.variants.len() > 100 {
        errors.add("variants", "a product needs 1 to 100 variants");
    }
    for (i, v) in input.variants.iter().enumerate() {
        errors.check(
            &format!("variants[{i}].sku"),
            text::bounded(&v.sku, 1, 64, false),
        );
        if v.price.minor < 0 {
            errors.add(&format!("variants[{i}].price"), "must not be negative");
        }
        if !(0..=1_000_000_000).contains(&v.stock) {
            errors.add(
                &format!("variants[{i}].stock"),
                "must be between 0 and 1000000000",
            );
        }
    }
    if input
        .min_order_qty
        .is_some_and(|q| !(1..=1_000_000).contains(&q))
    {
        errors.add("min_order_qty", "must be between 1 and 1000000");
    }
    if let Some(status) = &input.status {
        if status != "active" && status != "draft" {
            errors.add("status", "must be one of: active, draft");
        }
    }
    errors.into_result()
}

/// Lists a product in one of the actor's shops. The shop must be approved, and a restricted
/// category needs an approved, unexpired qualification of the matching kind.
pub async fn create(
    app: &App,
    actor: &Actor,
    shop_id: &str,
    input: NewProduct,
) -> AppResult<ProductView> {
    parse_product(&input)?;
    let now = now_ms();
    let mut tx = app.db.begin().await?;
    let s = shops::managed(&mut tx, actor, shop_id).await?;
    let path = categories::path_to(&mut tx, &input.category)
        .await?
        .ok_or_else(|| {
            AppError::invalid("category", format!("unknown category {:?}", input.category))
        })?;
    let required = agora_core::category::required_licence(&path);
    let qualifications = shops::listing_qualifications(&mut tx, &s.id).await?;
    shop::may_list(
        shops::status_of(&s)?,
        required.as_deref(),
        &qualifications,
        crate::time_fmt::today(),
    )
    .map_err(|denied| match denied {
        shop::ListingDenied::ShopNotApproved => AppError::Conflict(denied.to_string()),
        shop::ListingDenied::MissingQualification(_) => AppError::Forbidden(denied.to_string()),
    })?;
    let product = ProductRow {
        id: new_id("prd"),
        shop_id: s.id.clone(),
        title: input.title.trim().to_owned(),
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
            gtin: v.gtin.clone(),
            price_amount: v.price.minor,
            currency: v.price.currency.code().to_owned(),
            stock: v.stock,
            attributes: serde_json::Value::Object(v.attributes.clone()).to_string(),
            position: i as i64,
        })
        .collect();
    if let Err(err) = store::insert(&mut tx, &product, &variants).await {
        if agora_store::is_unique_violation(&err) {
            return Err(AppError::Conflict(
                "a variant with one of these SKUs exists in this shop".into(),
            ));
        }
        return Err(err.into());
    }
    let data = serde_json::json!({ "title": product.title, "category": product.category, "variants": variants.len() });
    audit::record(
        &mut tx,
        Some(&actor.account_id),
        "product.created",
        &product.id,
        data,
    )
    .await?;
    outbox::publish(
        &mut tx,
        "product.changed",
        &serde_json::json!({ "product_id": product.id }).to_string(),
        now,
    )
    .await?;
    let view = load(&mut tx, &product.id)
        .await?
        .ok_or(AppError::NotFound("product"))?;
    tx.commit().await?;
    Ok(view)
}

async fn load(conn: &mut Conn, id: &str) -> AppResult<Option<ProductView>> {
    let Some((p, variants)) = store::by_id(conn, id).await? else {
        return Ok(None);
    };
    let s = agora_store::shops::by_id(conn, &p.shop_id)
        .await?
        .ok_or(AppError::NotFound("shop"))?;
    let variants = variants
        .into_iter()
        .filter_map(|v| {
            Some(VariantView {
                price: Money::new(v.price_amount, Currency::parse(&v.currency).ok()?),
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
        created_at: rfc3339(p.created_at),
    }))
}

/// A product page. Drafts and archived products are visible only to their shop's staff.
pub async fn get(app: &App, actor: Option<&Actor>, id: &str) -> AppResult<ProductView> {
    let mut conn = app.db.conn().await?;
    let view = load(&mut conn, id)
        .await?
        .ok_or(AppError::NotFound("product"))?;
    if view.status != "active" {
        let staff = match actor {
            Some(a) => shops::managed(&mut conn, a, &view.shop.id).await.is_ok(),
            None => false,
        };
        if !staff {
            return Err(AppError::NotFound("product"));
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

/// Products whose title contains `q`, in the subtree of `category` when given. A plain stop-gap
/// until the search index (the catalog issue) replaces it.
pub async fn find(
    app: &App,
    q: &str,
    category: Option<&str>,
    limit: i64,
) -> AppResult<Vec<ProductSummary>> {
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
