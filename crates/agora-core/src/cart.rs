//! Cart line rules: a quantity is a whole number of at least the product's minimum order quantity
//! and at most its stock; lines of one cart that draw on the same variant count together; each
//! variant's unit price comes from the catalog's tier for the cart's whole quantity of it.
//!
//! These rules run when a line is added and again at checkout; the prices a client sends are never
//! read (there is no field for them here).

use serde::Serialize;

use crate::money::Money;
use crate::pricing::{PriceError, PriceRules};
use crate::ValidationErrors;

/// The most units one cart may hold of one variant: far beyond any real order, and small enough
/// that any price times it stays in range (see [`crate::pricing::MAX_PRICE_MINOR`]).
pub const MAX_QUANTITY: u32 = 1_000_000;

/// A number of units: a whole number from 1 to [`MAX_QUANTITY`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Quantity(u32);

impl Quantity {
    pub fn new(raw: i64) -> Result<Self, String> {
        if raw < 1 {
            return Err("must be at least 1".to_owned());
        }
        if raw > i64::from(MAX_QUANTITY) {
            return Err(format!("must be at most {MAX_QUANTITY}"));
        }
        Ok(Self(raw as u32))
    }

    /// A quantity sent as JSON: a whole number, not a fraction (`1.5`), text or anything else.
    pub fn from_json(value: &serde_json::Value) -> Result<Self, String> {
        match value.as_i64() {
            Some(n) => Self::new(n),
            None if value.is_u64() => Self::new(i64::MAX),
            None => Err("must be a whole number".to_owned()),
        }
    }

    /// A quantity typed into a form.
    pub fn parse(raw: &str) -> Result<Self, String> {
        match raw.trim().parse::<i64>() {
            Ok(n) => Self::new(n),
            Err(_) => Err("must be a whole number".to_owned()),
        }
    }

    pub fn get(self) -> u32 {
        self.0
    }
}

/// One line of a cart as stored or sent: a variant and how many of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestedLine {
    pub variant_id: String,
    pub quantity: i64,
}

/// What the catalog says of a variant now. A variant that cannot be bought (archived product,
/// suspended shop, unknown id) has no offer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VariantOffer {
    pub shop_id: String,
    pub price: PriceRules,
    /// Units in stock and not reserved by other orders.
    pub available: u32,
}

/// All the cart's lines drawing on one variant, counted together.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MergedLine {
    pub variant_id: String,
    /// The sum of the lines' quantities (saturating: an absurd sum is refused later anyway).
    pub quantity: i64,
    /// The indexes of the cart lines merged here, in cart order.
    pub lines: Vec<usize>,
}

/// Merges lines that draw on the same variant, keeping the order in which variants first appear.
pub fn merge_by_variant(lines: &[RequestedLine]) -> Vec<MergedLine> {
    let mut merged: Vec<MergedLine> = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        match merged.iter_mut().find(|m| m.variant_id == line.variant_id) {
            Some(m) => {
                m.quantity = m.quantity.saturating_add(line.quantity);
                m.lines.push(i);
            }
            None => merged.push(MergedLine {
                variant_id: line.variant_id.clone(),
                quantity: line.quantity,
                lines: vec![i],
            }),
        }
    }
    merged
}

/// A variant the cart may buy, at the catalog's price for the cart's whole quantity of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PricedLine {
    pub variant_id: String,
    pub shop_id: String,
    pub quantity: Quantity,
    pub unit_price: Money,
    pub line_total: Money,
    /// The cart lines this one merges.
    pub lines: Vec<usize>,
}

/// Checks and prices a cart's lines against the catalog (`offer_of` gives a variant's offer).
/// Each line needs a quantity from 1 to [`MAX_QUANTITY`] and a variant on sale; then the lines of
/// one variant are counted together: their sum must reach the minimum order quantity, must not
/// exceed the stock, and picks the price tier. Every problem is reported, under the field of each
/// line concerned, named `{prefix}[{index}].quantity` or `{prefix}[{index}].variant_id`.
pub fn price_lines<'a>(
    prefix: &str,
    lines: &[RequestedLine],
    offer_of: impl Fn(&str) -> Option<&'a VariantOffer>,
) -> Result<Vec<PricedLine>, ValidationErrors> {
    let mut errors = ValidationErrors::new();
    let mut usable = vec![true; lines.len()];
    for (i, line) in lines.iter().enumerate() {
        if let Err(message) = Quantity::new(line.quantity) {
            errors.add(&format!("{prefix}[{i}].quantity"), message);
            usable[i] = false;
        }
        if offer_of(&line.variant_id).is_none() {
            errors.add(&format!("{prefix}[{i}].variant_id"), "is not on sale");
            usable[i] = false;
        }
    }
    let kept: Vec<RequestedLine> = lines
        .iter()
        .zip(&usable)
        .filter(|(_, ok)| **ok)
        .map(|(l, _)| l.clone())
        .collect();
    // Indexes in `kept` map back to cart indexes through this.
    let cart_index: Vec<usize> = (0..lines.len()).filter(|&i| usable[i]).collect();
    let mut priced = Vec::new();
    for group in merge_by_variant(&kept) {
        let indexes: Vec<usize> = group.lines.iter().map(|&k| cart_index[k]).collect();
        let Some(offer) = offer_of(&group.variant_id) else {
            continue;
        };
        match check_group(&group, offer, indexes.len()) {
            Ok((quantity, unit_price, line_total)) => priced.push(PricedLine {
                variant_id: group.variant_id,
                shop_id: offer.shop_id.clone(),
                quantity,
                unit_price,
                line_total,
                lines: indexes,
            }),
            Err(message) => {
                for i in indexes {
                    errors.add(&format!("{prefix}[{i}].quantity"), message.clone());
                }
            }
        }
    }
    errors.into_result().map(|()| priced)
}

/// The merged quantity of one variant against its offer: quantity, unit price and line total.
fn check_group(
    group: &MergedLine,
    offer: &VariantOffer,
    line_count: usize,
) -> Result<(Quantity, Money, Money), String> {
    let together = if line_count > 1 {
        format!(" (the cart asks for {} across {line_count} lines)", group.quantity)
    } else {
        String::new()
    };
    let quantity = Quantity::new(group.quantity).map_err(|m| format!("{m}{together}"))?;
    if quantity.get() > offer.available {
        return Err(match offer.available {
            0 => "is out of stock".to_owned(),
            n => format!("only {n} left in stock{together}"),
        });
    }
    let priced = offer
        .price
        .unit_price(quantity.get())
        .and_then(|unit| Ok((unit, offer.price.line_total(quantity.get())?)));
    match priced {
        Ok((unit, total)) => Ok((quantity, unit, total)),
        Err(PriceError::BelowMinimum(min)) => Err(format!("the minimum order quantity is {min}{together}")),
        Err(PriceError::ZeroQuantity) => Err("must be at least 1".to_owned()),
        Err(PriceError::Money(_)) => Err("is too large for the price".to_owned()),
    }
}

/// How a cart line's unit price moved since the buyer added it, so the cart can say so.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct PriceChange {
    pub was: Money,
    pub now: Money,
}

impl PriceChange {
    /// `None` when the price is the same as when the line was added.
    pub fn between(was: Money, now: Money) -> Option<PriceChange> {
        (was != now).then_some(PriceChange { was, now })
    }

    /// Whether the buyer now pays more per unit (a change of currency counts as more: it needs a look).
    pub fn rose(&self) -> bool {
        self.was.currency != self.now.currency || self.now.minor > self.was.minor
    }
}

#[cfg(test)]
mod tests;
