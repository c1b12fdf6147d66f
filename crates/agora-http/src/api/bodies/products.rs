//! Products, their variants and images as the API shows them. Image addresses are built here from
//! the blob keys the use cases return.

use agora_app::images::ImageView as AppImage;
use agora_app::product_view as app;
use agora_core::money::Money;
use agora_core::pricing::PriceTier;
use serde::Serialize;
use utoipa::ToSchema;

use super::each;
use super::money::{MoneySchema, PriceTierSchema};
use crate::media::ImageUrls;

#[derive(Debug, Serialize, ToSchema)]
pub struct VariantView {
    pub id: String,
    pub sku: String,
    pub gtin: Option<String>,
    #[schema(value_type = MoneySchema)]
    pub price: Money,
    /// What can still be sold.
    pub stock: i64,
    #[schema(value_type = Object)]
    pub attributes: serde_json::Value,
    /// The variant's options as people read them, in the category's order ("Black / 1 kg"); null
    /// when it has none (then its SKU names it).
    pub options: Option<String>,
    /// Taken off sale by the seller (only the shop's staff see archived variants).
    pub archived: bool,
    #[schema(value_type = Vec<PriceTierSchema>)]
    pub price_tiers: Vec<PriceTier>,
    /// The viewer's company's own unit price, when the shop gave it one.
    #[schema(value_type = Option<MoneySchema>)]
    pub company_price: Option<Money>,
    /// For the shop's staff: whether the stock is at or below the low-stock threshold.
    pub low_stock: Option<bool>,
    /// For the shop's staff: the stock at or below which the variant counts as low.
    pub low_stock_threshold: Option<i64>,
    /// The weight of one unit in grams, when the seller gave it (`PUT /variants/{id}/weight`).
    pub weight_grams: Option<i64>,
}

impl From<app::VariantView> for VariantView {
    fn from(v: app::VariantView) -> Self {
        Self {
            id: v.id,
            sku: v.sku,
            gtin: v.gtin,
            price: v.price,
            stock: v.stock,
            attributes: v.attributes,
            options: v.options,
            archived: v.archived,
            price_tiers: v.price_tiers,
            company_price: v.company_price,
            low_stock: v.low_stock,
            low_stock_threshold: v.low_stock_threshold,
            weight_grams: v.weight_grams,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
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
    /// The gallery, in order.
    pub images: Vec<ImageView>,
    pub created_at: String,
}

impl From<app::ProductView> for ProductView {
    fn from(p: app::ProductView) -> Self {
        Self {
            id: p.id,
            shop: p.shop.into(),
            title: p.title,
            description: p.description,
            category: p.category,
            status: p.status,
            attributes: p.attributes,
            min_order_qty: p.min_order_qty,
            variants: each(p.variants),
            images: p.images.iter().map(ImageView::from).collect(),
            created_at: p.created_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ShopCard {
    pub id: String,
    pub name: String,
    pub slug: String,
}

impl From<app::ShopCard> for ShopCard {
    fn from(s: app::ShopCard) -> Self {
        Self {
            id: s.id,
            name: s.name,
            slug: s.slug,
        }
    }
}

// A shop as a search hit or a price comparison names it. (No doc comment: it would become the
// schema's description, and the document keeps the one it had.)
#[derive(Debug, Serialize, ToSchema)]
pub struct ShopRef {
    pub id: String,
    pub name: String,
}

/// An image as pages and clients see it.
#[derive(Debug, Serialize, ToSchema)]
pub struct ImageView {
    pub id: String,
    pub url: String,
    pub thumbnail_url: String,
    pub width: i64,
    pub height: i64,
}

impl From<&AppImage> for ImageView {
    fn from(i: &AppImage) -> Self {
        Self {
            id: i.id.clone(),
            url: i.url(),
            thumbnail_url: i.thumbnail_url(),
            width: i.width,
            height: i.height,
        }
    }
}

/// A product in a listing.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProductSummary {
    pub id: String,
    pub title: String,
    pub shop: ShopCard,
    pub category: String,
    /// The lowest price of its variants.
    #[schema(value_type = MoneySchema)]
    pub price: Money,
    pub in_stock: bool,
    /// The first picture's thumbnail, if it has pictures.
    pub thumbnail_url: Option<String>,
}

impl From<app::ProductSummary> for ProductSummary {
    fn from(p: app::ProductSummary) -> Self {
        Self {
            id: p.id,
            title: p.title,
            shop: p.shop.into(),
            category: p.category,
            price: p.price,
            in_stock: p.in_stock,
            thumbnail_url: p.thumb_key.as_deref().map(crate::media::url),
        }
    }
}
