//! The seller's home: the shops they run with their listings counted by status, the variants
//! running low, the orders waiting for them; and a shop's product list with each variant's stock.

use std::collections::HashMap;

use agora_core::category::AttributeDef;
use agora_core::money::Money;
use agora_core::product::ProductStatus;
use agora_core::variant::option_label;
use agora_store::seller_home as store;

use crate::orders::{self, OrderView, Role};
use crate::shops::{self, ShopView};
use crate::{Actor, App, AppResult};

/// A shop with its listings counted by status.
#[derive(Debug, Clone)]
pub struct ShopSummary {
    pub shop: ShopView,
    pub on_sale: i64,
    pub drafts: i64,
    pub archived: i64,
}

/// A variant whose stock is at or below its low-stock threshold.
#[derive(Debug, Clone)]
pub struct LowStock {
    pub product_id: String,
    pub title: String,
    pub variant_id: String,
    /// Its options, or its SKU.
    pub label: String,
    pub stock: i64,
    pub threshold: i64,
    pub shop_name: String,
}

/// What a seller's home shows.
#[derive(Debug, Clone)]
pub struct SellerHome {
    pub shops: Vec<ShopSummary>,
    pub low_stock: Vec<LowStock>,
    /// Orders paid (or on cash on delivery) that the seller has to ship, oldest first.
    pub to_ship: Vec<OrderView>,
}

impl SellerHome {
    /// Whether any of the shops may list products.
    pub fn may_list(&self) -> bool {
        self.shops.iter().any(|s| s.shop.status.is_public())
    }
}

/// The attributes every category declares, by slug: what names a variant by its options.
async fn declared_by_category(app: &App) -> AppResult<HashMap<String, Vec<AttributeDef>>> {
    Ok(crate::categories::rows(app)
        .await?
        .iter()
        .map(|c| (c.slug.clone(), serde_json::from_str(&c.attributes).unwrap_or_default()))
        .collect())
}

fn label(declared: &HashMap<String, Vec<AttributeDef>>, category: &str, attributes: &str, sku: &str) -> String {
    let attributes: serde_json::Value = serde_json::from_str(attributes).unwrap_or_default();
    let defs = declared.get(category).map_or(&[][..], Vec::as_slice);
    option_label(defs, &attributes).unwrap_or_else(|| sku.to_owned())
}

/// The seller's home: every shop the actor runs (by their current role), with counts, the
/// variants running low and the orders to ship.
pub async fn home(app: &App, actor: &Actor) -> AppResult<SellerHome> {
    let mine = shops::mine(app, actor).await?;
    let ids: Vec<String> = mine.iter().map(|s| s.id.clone()).collect();
    let mut conn = app.db.conn().await?;
    let counts = store::listing_counts(&mut conn, &ids).await?;
    let low = store::low_stock(&mut conn, &ids, 50).await?;
    let declared = declared_by_category(app).await?;
    drop(conn);
    let count = |shop: &str, status: ProductStatus| {
        counts
            .iter()
            .filter(|(s, st, _)| s == shop && st == status.as_str())
            .map(|(_, _, n)| *n)
            .sum()
    };
    let low_stock = low
        .into_iter()
        .map(|r| LowStock {
            label: label(&declared, &r.category, &r.attributes, &r.sku),
            shop_name: mine
                .iter()
                .find(|s| s.id == r.shop_id)
                .map(|s| s.name.clone())
                .unwrap_or_default(),
            product_id: r.product_id,
            title: r.title,
            variant_id: r.variant_id,
            stock: r.stock,
            threshold: r.threshold,
        })
        .collect();
    let shops = mine
        .into_iter()
        .map(|shop| ShopSummary {
            on_sale: count(&shop.id, ProductStatus::Active),
            drafts: count(&shop.id, ProductStatus::Draft),
            archived: count(&shop.id, ProductStatus::Archived),
            shop,
        })
        .collect::<Vec<_>>();
    let mut to_ship = Vec::new();
    if !shops.is_empty() {
        for status in ["paid", "confirmed"] {
            to_ship.extend(
                orders::list(app, actor, Role::Seller, Some(status), None, 50)
                    .await?
                    .items,
            );
        }
        to_ship.sort_by_key(|o| o.created_at_ms);
    }
    Ok(SellerHome {
        shops,
        low_stock,
        to_ship,
    })
}

/// A variant in the seller's product list.
#[derive(Debug, Clone)]
pub struct ListedVariant {
    pub id: String,
    pub label: String,
    pub sku: String,
    pub price: Money,
    pub stock: i64,
    pub low_stock: bool,
    pub archived: bool,
}

/// A product in the seller's list, with its status and every variant's stock.
#[derive(Debug, Clone)]
pub struct ListedProduct {
    pub id: String,
    pub title: String,
    pub category: String,
    pub status: ProductStatus,
    pub thumb_key: Option<String>,
    pub variants: Vec<ListedVariant>,
}

impl ListedProduct {
    /// Whether a variant on sale is at or below its low-stock threshold.
    pub fn low_stock(&self) -> bool {
        self.variants.iter().any(|v| v.low_stock && !v.archived)
    }
}

/// A shop's products with status and stock per variant, for the shop's staff (404 for anyone else).
pub async fn products(app: &App, actor: &Actor, shop_id: &str) -> AppResult<Vec<ListedProduct>> {
    let mut conn = app.db.conn().await?;
    shops::managed(&mut conn, actor, shop_id).await?;
    let products = store::products_of_shop(&mut conn, shop_id, 500).await?;
    let variants = store::variants_of_shop(&mut conn, shop_id).await?;
    let declared = declared_by_category(app).await?;
    let mut by_product: HashMap<&str, Vec<&store::ListedVariant>> = HashMap::new();
    for v in &variants {
        by_product.entry(v.product_id.as_str()).or_default().push(v);
    }
    products
        .into_iter()
        .map(|p| {
            let variants = by_product
                .get(p.id.as_str())
                .map_or(&[][..], Vec::as_slice)
                .iter()
                .map(|v| {
                    let currency = crate::stored::currency(&v.currency)?;
                    Ok(ListedVariant {
                        id: v.id.clone(),
                        label: label(&declared, &p.category, &v.attributes, &v.sku),
                        sku: v.sku.clone(),
                        price: Money::new(v.price_amount, currency),
                        stock: v.stock,
                        low_stock: v.stock <= v.threshold,
                        archived: v.archived,
                    })
                })
                .collect::<AppResult<Vec<_>>>()?;
            Ok(ListedProduct {
                status: crate::stored::word("product status", &p.status)?,
                id: p.id,
                title: p.title,
                category: p.category,
                thumb_key: p.thumb_key,
                variants,
            })
        })
        .collect()
}
