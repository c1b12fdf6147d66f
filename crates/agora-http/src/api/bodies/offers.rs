//! Price comparison across shops as the API shows it.

use agora_app::price_comparison as app;
use agora_core::money::Money;
use serde::Serialize;
use utoipa::ToSchema;

use super::money::MoneySchema;
use super::products::ShopRef;

/// One shop's offer of an item.
#[derive(Debug, Serialize, ToSchema)]
pub struct OfferView {
    pub product_id: String,
    pub variant_id: String,
    pub sku: String,
    /// The variant's options as people read them ("Black / 1 kg"); null when it has none.
    pub options: Option<String>,
    pub shop: ShopRef,
    /// The unit price for the requested quantity.
    #[schema(value_type = MoneySchema)]
    pub price: Money,
    /// Shipping to the buyer's country, when the shop set a rate for it.
    #[schema(value_type = Option<MoneySchema>)]
    pub shipping: Option<Money>,
    /// The goods for the quantity plus shipping: what the buyer pays in the end.
    #[schema(value_type = MoneySchema)]
    pub landed_price: Money,
    pub stock: i64,
    /// The shop's average rating, once it has reviews.
    pub rating: Option<f32>,
}

impl From<app::OfferView> for OfferView {
    fn from(o: app::OfferView) -> Self {
        Self {
            product_id: o.product_id,
            variant_id: o.variant_id,
            sku: o.sku,
            options: o.options,
            shop: ShopRef {
                id: o.shop.id,
                name: o.shop.name,
            },
            price: o.price,
            shipping: o.shipping,
            landed_price: o.landed_price,
            stock: o.stock,
            rating: o.rating,
        }
    }
}
