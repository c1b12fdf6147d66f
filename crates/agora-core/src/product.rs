//! A product's life as a listing: its status and the moves between them, and the drafts a seller's
//! input is parsed into once (through the API, the seller pages or a catalog import) before
//! anything is written.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::account::string_enum;
use crate::catalog::{self, Gtin, Sku, MAX_VARIANTS};
use crate::category::AttributeDef;
use crate::money::Money;
use crate::pricing::{check_price, check_tiers, PriceTier};
use crate::text;
use crate::ValidationErrors;

/// Where a product stands as a listing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProductStatus {
    /// For sale: on its page, in listings and in search.
    Active,
    /// Seen only by the shop's staff.
    Draft,
    /// Taken off sale, kept for its history; seen only by the shop's staff.
    Archived,
}

string_enum!(ProductStatus {
    Active = "active",
    Draft = "draft",
    Archived = "archived",
});

/// A status a product may not take.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a product that is {} cannot become {to}", .from.map_or("new", |s| s.as_str()))]
pub struct IllegalProductMove {
    /// `None` for a product being listed.
    pub from: Option<ProductStatus>,
    pub to: ProductStatus,
}

impl ProductStatus {
    /// The statuses a product may be listed with.
    pub const LISTABLE: &'static [ProductStatus] = &[ProductStatus::Active, ProductStatus::Draft];

    /// The status a new listing starts in: active unless the seller asks for a draft. A product
    /// is never listed as archived.
    pub fn listed_as(requested: Option<ProductStatus>) -> Result<ProductStatus, IllegalProductMove> {
        match requested {
            None | Some(ProductStatus::Active) => Ok(ProductStatus::Active),
            Some(ProductStatus::Draft) => Ok(ProductStatus::Draft),
            Some(to @ ProductStatus::Archived) => Err(IllegalProductMove { from: None, to }),
        }
    }

    /// The one place that decides how a listed product's status moves. A seller may take a
    /// product off sale (draft or archived) and put it back at any time; setting the status it
    /// already has changes nothing. Going live is further subject to the listing rules (the
    /// shop approved, the category's licence), which need the database and are checked by the
    /// caller whenever `to` is active.
    pub fn transition(self, to: ProductStatus) -> Result<ProductStatus, IllegalProductMove> {
        use ProductStatus::*;
        match (self, to) {
            (Draft | Active | Archived, Active) => Ok(Active),
            (Draft | Active | Archived, Draft) => Ok(Draft),
            (Draft | Active | Archived, Archived) => Ok(Archived),
        }
    }

    /// Whether buyers see the product.
    pub fn is_public(self) -> bool {
        self == ProductStatus::Active
    }

    fn parse_listable(raw: &str) -> Result<ProductStatus, String> {
        let refused = || {
            format!(
                "must be one of: {}",
                Self::LISTABLE.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ")
            )
        };
        let requested = raw.parse::<ProductStatus>().map_err(|_| refused())?;
        Self::listed_as(Some(requested)).map_err(|_| refused())
    }
}

/// A variant as the seller gives it, before any check.
#[derive(Debug, Clone, PartialEq)]
pub struct VariantInput {
    pub sku: String,
    /// Blank means none.
    pub gtin: Option<String>,
    pub price: Money,
    pub stock: i64,
    pub attributes: Map<String, Value>,
    pub price_tiers: Vec<PriceTier>,
}

/// A variant that keeps every rule that needs no database: its SKU and GTIN parsed, its price and
/// tiers in range (tiers sorted), its stock a count.
#[derive(Debug, Clone, PartialEq)]
pub struct VariantDraft {
    pub sku: Sku,
    pub gtin: Option<Gtin>,
    pub price: Money,
    pub stock: i64,
    pub attributes: Map<String, Value>,
    pub price_tiers: Vec<PriceTier>,
}

impl VariantDraft {
    /// Parses a variant, reporting every problem at once under the variant's own field names
    /// (`sku`, `gtin`, `price`, `stock`, `price_tiers`).
    pub fn parse(input: VariantInput) -> Result<VariantDraft, ValidationErrors> {
        let mut errors = ValidationErrors::new();
        let sku = errors.check("sku", Sku::parse(&input.sku));
        let gtin = errors.check("gtin", Gtin::parse_optional(input.gtin.as_deref()));
        errors.check("price", check_price(input.price));
        let stock = errors.check("stock", catalog::check_stock(input.stock));
        let tiers = errors.check("price_tiers", check_tiers(input.price, input.price_tiers));
        match (sku, gtin, stock, tiers) {
            (Some(sku), Some(gtin), Some(stock), Some(price_tiers)) if errors.is_empty() => Ok(VariantDraft {
                sku,
                gtin,
                price: input.price,
                stock,
                attributes: input.attributes,
                price_tiers,
            }),
            _ => Err(errors),
        }
    }

    /// Checks the variant's attributes against what its category declares.
    pub fn check_attributes(&self, declared: &[AttributeDef]) -> Result<(), ValidationErrors> {
        catalog::check_attributes(declared, &self.attributes).map_err(|m| ValidationErrors::single("attributes", m))
    }
}

/// A product as the seller lists it, before any check.
#[derive(Debug, Clone, PartialEq)]
pub struct ProductInput {
    pub title: String,
    pub description: String,
    /// A category slug.
    pub category: String,
    pub attributes: Map<String, Value>,
    pub variants: Vec<VariantInput>,
    pub min_order_qty: Option<i64>,
    /// `active` (the default) or `draft`.
    pub status: Option<String>,
}

/// A product listing that keeps every rule that needs no database. Whether the shop may list in
/// the category, and the attributes the category declares, are checked against the database.
#[derive(Debug, Clone, PartialEq)]
pub struct ProductDraft {
    pub title: String,
    pub description: String,
    pub category: String,
    pub attributes: Map<String, Value>,
    /// 1 to [`MAX_VARIANTS`], their SKUs distinct.
    pub variants: Vec<VariantDraft>,
    pub min_order_qty: i64,
    pub status: ProductStatus,
}

/// Where a problem with a product draft lies: on the product or on one of its variants, by index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DraftError {
    pub variant: Option<usize>,
    pub field: String,
    pub message: String,
}

/// Every problem with one product draft. As [`ValidationErrors`], a variant's fields are named by
/// their index: `variants[2].sku`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DraftErrors(pub Vec<DraftError>);

impl DraftErrors {
    fn add(&mut self, variant: Option<usize>, field: &str, message: String) {
        self.0.push(DraftError {
            variant,
            field: field.to_owned(),
            message,
        });
    }

    fn check<T>(&mut self, field: &str, parsed: Result<T, String>) -> Option<T> {
        parsed.map_err(|message| self.add(None, field, message)).ok()
    }

    fn extend(&mut self, variant: Option<usize>, errors: ValidationErrors) {
        self.0.extend(errors.0.into_iter().map(|e| DraftError {
            variant,
            field: e.field,
            message: e.message,
        }));
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl From<DraftErrors> for ValidationErrors {
    fn from(errors: DraftErrors) -> Self {
        let mut flat = ValidationErrors::new();
        for e in errors.0 {
            match e.variant {
                Some(i) => flat.add(&format!("variants[{i}].{}", e.field), e.message),
                None => flat.add(&e.field, e.message),
            }
        }
        flat
    }
}

/// How many variants a product may have, as a message.
pub fn variant_count_rule() -> String {
    format!("a product needs 1 to {MAX_VARIANTS} variants")
}

fn title(raw: &str) -> Result<String, String> {
    text::bounded(raw, 2, 200, false)
}

fn description(raw: &str) -> Result<String, String> {
    text::bounded(raw, 0, 20_000, true)
}

impl ProductDraft {
    /// Parses a listing, reporting every problem at once: the product's fields by name, its
    /// variants' by index.
    pub fn parse(input: ProductInput) -> Result<ProductDraft, DraftErrors> {
        let mut errors = DraftErrors::default();
        let title = errors.check("title", title(&input.title));
        let description = errors.check("description", description(&input.description));
        if input.variants.is_empty() || input.variants.len() > MAX_VARIANTS {
            errors.add(None, "variants", variant_count_rule());
        }
        let mut variants = Vec::with_capacity(input.variants.len());
        let mut skus = Vec::with_capacity(input.variants.len());
        for (i, v) in input.variants.into_iter().enumerate() {
            let sku = Sku::parse(&v.sku).ok();
            let parsed = VariantDraft::parse(v);
            if let Err(e) = &parsed {
                errors.extend(Some(i), e.clone());
            }
            if let Some(sku) = sku {
                if skus.contains(&sku) {
                    errors.add(Some(i), "sku", "is used twice in this product".into());
                }
                skus.push(sku);
            }
            variants.extend(parsed.ok());
        }
        let min_order_qty = errors.check(
            "min_order_qty",
            input.min_order_qty.map_or(Ok(1), catalog::check_min_order_qty),
        );
        let status = errors.check(
            "status",
            input
                .status
                .as_deref()
                .map_or(Ok(ProductStatus::Active), ProductStatus::parse_listable),
        );
        match (title, description, min_order_qty, status) {
            (Some(title), Some(description), Some(min_order_qty), Some(status)) if errors.is_empty() => {
                Ok(ProductDraft {
                    title,
                    description,
                    category: input.category,
                    attributes: input.attributes,
                    variants,
                    min_order_qty,
                    status,
                })
            }
            _ => Err(errors),
        }
    }

    /// Checks the product's and each variant's attributes against what the category declares.
    pub fn check_attributes(&self, declared: &[AttributeDef]) -> Result<(), DraftErrors> {
        let mut errors = DraftErrors::default();
        if let Err(message) = catalog::check_attributes(declared, &self.attributes) {
            errors.add(None, "attributes", message);
        }
        for (i, v) in self.variants.iter().enumerate() {
            if let Err(e) = v.check_attributes(declared) {
                errors.extend(Some(i), e);
            }
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }
}

/// A seller's edit of a product, before any check; only the fields given change.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ProductPatch {
    pub title: Option<String>,
    pub description: Option<String>,
    pub category: Option<String>,
    /// `draft`, `active` or `archived`.
    pub status: Option<String>,
    pub attributes: Option<Map<String, Value>>,
    pub min_order_qty: Option<i64>,
}

/// A checked edit of a product.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ProductEdit {
    pub title: Option<String>,
    pub description: Option<String>,
    pub category: Option<String>,
    pub status: Option<ProductStatus>,
    pub attributes: Option<Map<String, Value>>,
    pub min_order_qty: Option<i64>,
}

impl ProductEdit {
    /// Parses an edit, reporting every problem at once.
    pub fn parse(patch: ProductPatch) -> Result<ProductEdit, ValidationErrors> {
        let mut errors = ValidationErrors::new();
        let mut field = |name: &str, parsed: Option<Result<_, String>>| parsed.and_then(|p| errors.check(name, p));
        let title = field("title", patch.title.as_deref().map(title));
        let description = field("description", patch.description.as_deref().map(description));
        let status = patch
            .status
            .as_deref()
            .and_then(|s| errors.check("status", s.parse::<ProductStatus>()));
        let min_order_qty = patch
            .min_order_qty
            .and_then(|q| errors.check("min_order_qty", catalog::check_min_order_qty(q)));
        errors.into_result().map(|()| ProductEdit {
            title,
            description,
            category: patch.category,
            status,
            attributes: patch.attributes,
            min_order_qty,
        })
    }
}

#[cfg(test)]
#[path = "product_tests.rs"]
mod tests;
