//! The JSON bodies of listing and editing products and variants, and their conversion into the
//! domain's inputs (which the use cases parse into drafts once, after checking who asks).

use agora_core::money::Money;
use agora_core::pricing::PriceTier;
use agora_core::product::{ProductInput, ProductPatch as PatchInput, VariantInput};
use agora_core::variant::VariantPatch as VariantPatchInput;
use serde::Deserialize;
use serde_json::{Map, Value};
use utoipa::ToSchema;

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct NewVariant {
    pub sku: String,
    pub gtin: Option<String>,
    #[schema(value_type = Object, example = json!({"amount": 1250, "currency": "EUR"}))]
    pub price: Money,
    pub stock: i64,
    #[serde(default)]
    #[schema(value_type = Object)]
    pub attributes: Map<String, Value>,
    /// Volume prices: from `min_qty` units on, each costs `unit_price`.
    #[serde(default)]
    #[schema(value_type = Vec<Object>)]
    pub price_tiers: Vec<PriceTier>,
}

impl From<NewVariant> for VariantInput {
    fn from(v: NewVariant) -> Self {
        VariantInput {
            sku: v.sku,
            gtin: v.gtin,
            price: v.price,
            stock: v.stock,
            attributes: v.attributes,
            price_tiers: v.price_tiers,
        }
    }
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct NewProduct {
    pub title: String,
    #[serde(default)]
    pub description: String,
    pub category: String,
    #[serde(default)]
    #[schema(value_type = Object)]
    pub attributes: Map<String, Value>,
    pub variants: Vec<NewVariant>,
    pub min_order_qty: Option<i64>,
    /// `active` (default) or `draft`.
    pub status: Option<String>,
}

impl From<NewProduct> for ProductInput {
    fn from(p: NewProduct) -> Self {
        ProductInput {
            title: p.title,
            description: p.description,
            category: p.category,
            attributes: p.attributes,
            variants: p.variants.into_iter().map(VariantInput::from).collect(),
            min_order_qty: p.min_order_qty,
            status: p.status,
        }
    }
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
    pub attributes: Option<Map<String, Value>>,
    pub min_order_qty: Option<i64>,
}

impl From<ProductPatch> for PatchInput {
    fn from(p: ProductPatch) -> Self {
        PatchInput {
            title: p.title,
            description: p.description,
            category: p.category,
            status: p.status,
            attributes: p.attributes,
            min_order_qty: p.min_order_qty,
        }
    }
}

/// A seller's edit of a variant; only the fields given change.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct VariantPatch {
    /// Unique within the shop.
    pub sku: Option<String>,
    /// An empty string removes the GTIN.
    pub gtin: Option<String>,
    /// In the variant's currency. The change is recorded and announced as a `price.changed` event.
    #[schema(value_type = Option<Object>, example = json!({"amount": 1190, "currency": "EUR"}))]
    pub price: Option<Money>,
    /// The variant's options (the category's attributes), replacing the ones it had.
    #[schema(value_type = Option<Object>, example = json!({"colour": "black"}))]
    pub attributes: Option<Map<String, Value>>,
    /// `true` takes the variant off sale (a product keeps at least one on sale), `false` puts it back.
    pub archived: Option<bool>,
}

impl From<VariantPatch> for VariantPatchInput {
    fn from(p: VariantPatch) -> Self {
        VariantPatchInput {
            sku: p.sku,
            gtin: p.gtin,
            price: p.price,
            attributes: p.attributes,
            archived: p.archived,
        }
    }
}
