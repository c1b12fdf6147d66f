//! A product as pages and clients see it: its shop, variants with their prices, and images.

use agora_core::money::{Currency, Money};
use agora_core::pricing::PriceTier;
use agora_store::products::ProductCard;

use crate::images::ImageView;

/// A variant with its price, volume prices and stock, as its viewer may see them.
#[derive(Debug, Clone)]
pub struct VariantView {
    pub id: String,
    pub sku: String,
    pub gtin: Option<String>,
    pub price: Money,
    /// What can still be sold.
    pub stock: i64,
    pub attributes: serde_json::Value,
    /// Its options as people read them, in the category's order ("Black / 1 kg"); `None` when it
    /// has none.
    pub options: Option<String>,
    /// Taken off sale by the seller: only the shop's staff see it.
    pub archived: bool,
    pub price_tiers: Vec<PriceTier>,
    /// The viewer's company's own unit price, when the shop gave it one.
    pub company_price: Option<Money>,
    /// For the shop's staff: whether the stock is at or below the low-stock threshold.
    pub low_stock: Option<bool>,
    /// For the shop's staff: the stock at or below which the variant counts as low.
    pub low_stock_threshold: Option<i64>,
    /// The weight of one unit in grams, when the seller gave it (shipping by weight counts 0 g
    /// otherwise).
    pub weight_grams: Option<i64>,
}

impl VariantView {
    /// What people call the variant: its options, or its SKU when it has none.
    pub fn label(&self) -> &str {
        self.options.as_deref().unwrap_or(&self.sku)
    }
}

/// A product page: the product, its shop, variants and gallery.
#[derive(Debug, Clone)]
pub struct ProductView {
    pub id: String,
    pub shop: ShopCard,
    pub title: String,
    /// Markdown, as the seller wrote it.
    pub description: String,
    /// The description as safe HTML, rendered when it was saved.
    pub description_html: String,
    /// The description's words without its Markdown (a page's summary), drawn when the view is
    /// loaded into the product cache rather than on every view.
    pub description_text: String,
    pub category: String,
    pub status: String,
    pub attributes: serde_json::Value,
    pub min_order_qty: i64,
    pub variants: Vec<VariantView>,
    /// The gallery, in order.
    pub images: Vec<ImageView>,
    pub created_at: String,
}

/// The shop a product belongs to.
#[derive(Debug, Clone)]
pub struct ShopCard {
    pub id: String,
    pub name: String,
    pub slug: String,
}

/// A product in a listing.
#[derive(Debug, Clone)]
pub struct ProductSummary {
    pub id: String,
    pub title: String,
    pub shop: ShopCard,
    pub category: String,
    /// The lowest price of its variants.
    pub price: Money,
    pub in_stock: bool,
    /// The blob key of its first picture's thumbnail.
    pub thumb_key: Option<String>,
}

pub(crate) fn summary(c: ProductCard) -> Option<ProductSummary> {
    Some(ProductSummary {
        price: Money::new(c.price_amount, Currency::parse(&c.currency).ok()?),
        in_stock: c.stock > 0,
        thumb_key: c.thumb_key,
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
