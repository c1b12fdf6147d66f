//! A product as pages and clients see it: its shop, variants with their prices, and images.

use agora_core::money::Money;
use agora_core::pricing::PriceTier;
use serde::Serialize;
use utoipa::ToSchema;

use crate::images::ImageView;

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct VariantView {
    pub id: String,
    pub sku: String,
    pub gtin: Option<String>,
    #[schema(value_type = Object)]
    pub price: Money,
    /// What can still be sold.
    pub stock: i64,
    #[schema(value_type = Object)]
    pub attributes: serde_json::Value,
    #[schema(value_type = Vec<Object>)]
    pub price_tiers: Vec<PriceTier>,
    /// The viewer's company's own unit price, when the shop gave it one.
    #[schema(value_type = Option<Object>)]
    pub company_price: Option<Money>,
    /// For the shop's staff: whether the stock is at or below the low-stock threshold.
    pub low_stock: Option<bool>,
    /// For the shop's staff: the stock at or below which the variant counts as low.
    pub low_stock_threshold: Option<i64>,
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
    /// The gallery, in order.
    pub images: Vec<ImageView>,
    pub created_at: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ShopCard {
    pub id: String,
    pub name: String,
    pub slug: String,
}
