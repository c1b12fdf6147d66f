//! Checkout totals: from priced lines, the shop's price mode, the tax table, the shipping method and
//! a coupon, every figure of an order — per line and in total — in integer minor units that add up
//! exactly. Also the split of a cart over its shops (one order per shop).
//!
//! How an order is computed, in this order:
//! 1. each line's amount is `unit_price × quantity`, in the shop's price mode;
//! 2. the discount is spread over the lines in proportion to their amounts by the largest-remainder
//!    rule ([`crate::allocation::allocate`]), so the line discounts add up to the discount;
//! 3. each line's amount after its discount is split into net, tax and gross at the line's rate
//!    ([`TaxSplit::of`]: per line, half up);
//! 4. shipping is quoted on the goods amount after the discount and split the same way, taxed as
//!    the category [`TaxCategory::shipping`];
//! 5. totals are sums of these parts: `tax` is all line taxes plus the shipping tax, `total` is all
//!    line grosses plus the shipping gross.
//!
//! So, as shared/API.md states: `subtotal + shipping + tax − discount = total` for tax-exclusive
//! shops and `subtotal + shipping − discount = total` for tax-inclusive ones, where `subtotal` and
//! `shipping` are in the shop's price mode. Every sum is checked: an overflow is an error.

use serde::Serialize;

use crate::allocation::allocate;
use crate::country::Country;
use crate::coupon::{Coupon, CouponError, CouponUsage};
use crate::money::{Currency, Money, MoneyError};
use crate::rate::BasisPoints;
use crate::shipping::{NotAvailable, ShippingMethod};
use crate::tax::{NoTaxRate, PriceMode, TaxCategory, TaxSplit, TaxTable};

#[cfg(test)]
mod random_carts;
#[cfg(test)]
mod tests;

/// One line as the checkout receives it: already priced from the catalog (see [`crate::cart`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckoutLine {
    /// The price of one unit, in the shop's price mode.
    pub unit_price: Money,
    pub quantity: u32,
    pub tax_category: TaxCategory,
    /// The weight of one unit.
    pub weight_grams: u32,
}

/// Everything one shop's order is computed from.
#[derive(Debug, Clone, Copy)]
pub struct OrderInput<'a> {
    pub shop_id: &'a str,
    pub currency: Currency,
    pub lines: &'a [CheckoutLine],
    pub price_mode: PriceMode,
    pub taxes: &'a TaxTable,
    pub destination: Country,
    /// `None` when nothing is shipped (no charge).
    pub shipping: Option<&'a ShippingMethod>,
}

/// One line's figures.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LineTotals {
    /// `unit_price × quantity`, in the shop's price mode, before the discount.
    pub amount: Money,
    /// This line's share of the order's discount, in the shop's price mode.
    pub discount: Money,
    pub tax_rate: BasisPoints,
    /// The amount after the discount, split: `net + tax = gross`.
    pub net: Money,
    pub tax: Money,
    pub gross: Money,
}

/// An order's figures. Each total is the exact sum of its parts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OrderTotals {
    pub lines: Vec<LineTotals>,
    /// Σ line amounts: the goods before the discount, in the shop's price mode.
    pub subtotal: Money,
    /// Σ line discounts.
    pub discount: Money,
    pub shipping_tax_rate: BasisPoints,
    /// The shipping charge split: the API's `shipping` is its net part for tax-exclusive shops and
    /// its gross part for tax-inclusive ones (see [`OrderTotals::shipping_in_mode`]).
    pub shipping: TaxSplit,
    /// Σ line taxes + shipping tax.
    pub tax: Money,
    /// Σ line grosses + shipping gross: what the buyer pays.
    pub total: Money,
    /// Σ unit weight × quantity.
    pub weight_grams: u64,
    pub price_mode: PriceMode,
}

impl OrderTotals {
    /// The shipping charge as the shop writes its prices.
    pub fn shipping_in_mode(&self) -> Money {
        self.shipping.in_mode(self.price_mode)
    }

    /// The order's tax by rate, as an invoice lists it: for each rate (lowest first), the net
    /// amount taxed at it and the tax, lines and shipping together. The taxes add up to
    /// [`OrderTotals::tax`] exactly, because they are the same per-line figures regrouped.
    pub fn tax_by_rate(&self) -> Result<Vec<TaxAtRate>, CheckoutError> {
        let currency = self.total.currency;
        let mut rates: Vec<TaxAtRate> = Vec::new();
        let parts = self.lines.iter().map(|l| (l.tax_rate, l.net, l.tax));
        let shipping =
            (self.shipping.gross.minor > 0).then_some((self.shipping_tax_rate, self.shipping.net, self.shipping.tax));
        for (rate, net, tax) in parts.chain(shipping) {
            let i = rates.iter().position(|r| r.rate == rate).unwrap_or_else(|| {
                rates.push(TaxAtRate {
                    rate,
                    net: Money::zero(currency),
                    tax: Money::zero(currency),
                });
                rates.len() - 1
            });
            let at = &mut rates[i];
            at.net = at.net.checked_add(net)?;
            at.tax = at.tax.checked_add(tax)?;
        }
        rates.sort_by_key(|r| r.rate);
        Ok(rates)
    }
}

/// The net amount an order taxes at one rate, and that tax.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct TaxAtRate {
    pub rate: BasisPoints,
    pub net: Money,
    pub tax: Money,
}

/// Why an order's totals cannot be computed. [`CheckoutError::field`] names the input to blame.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CheckoutError {
    #[error("the order has no lines")]
    NoLines,
    #[error("line {line}: the quantity must be at least 1")]
    ZeroQuantity { line: usize },
    #[error("line {line}: the price must not be negative")]
    NegativePrice { line: usize },
    #[error("line {line}: the price is not in the order's currency {currency}")]
    LineCurrency { line: usize, currency: &'static str },
    #[error("the discount must be from zero up to the goods amount, in the order's currency")]
    BadDiscount,
    #[error(transparent)]
    Tax(#[from] NoTaxRate),
    #[error(transparent)]
    Shipping(#[from] NotAvailable),
    #[error(transparent)]
    Coupon(#[from] CouponError),
    #[error("an amount is out of range")]
    Overflow,
}

impl From<MoneyError> for CheckoutError {
    fn from(_: MoneyError) -> Self {
        // Currencies are checked up front, so the only money error left is an overflow.
        CheckoutError::Overflow
    }
}

impl CheckoutError {
    /// The checkout input field this error is about, in the API's terms (`lines[1].quantity`),
    /// `None` when it is no single field's fault. Line indexes count within the order; lines are
    /// checked against the cart's own indexes before, by [`crate::cart::price_lines`].
    pub fn field(&self) -> Option<String> {
        match self {
            CheckoutError::NoLines => Some("lines".into()),
            CheckoutError::ZeroQuantity { line } => Some(format!("lines[{line}].quantity")),
            CheckoutError::NegativePrice { line } | CheckoutError::LineCurrency { line, .. } => {
                Some(format!("lines[{line}].unit_price"))
            }
            CheckoutError::Tax(_) | CheckoutError::Shipping(NotAvailable::Country(_)) => {
                Some("shipping_address.country".into())
            }
            CheckoutError::Shipping(_) => Some("shipping_method".into()),
            CheckoutError::Coupon(_) => Some("coupon".into()),
            CheckoutError::BadDiscount | CheckoutError::Overflow => None,
        }
    }
}

fn sum(currency: Currency, amounts: impl IntoIterator<Item = Money>) -> Result<Money, CheckoutError> {
    amounts
        .into_iter()
        .try_fold(Money::zero(currency), |acc, m| acc.checked_add(m))
        .map_err(CheckoutError::from)
}

/// Checks the lines and returns each line's amount (`unit_price × quantity`) in minor units.
fn line_amounts(input: &OrderInput<'_>) -> Result<Vec<i64>, CheckoutError> {
    if input.lines.is_empty() {
        return Err(CheckoutError::NoLines);
    }
    let mut amounts = Vec::with_capacity(input.lines.len());
    for (line, l) in input.lines.iter().enumerate() {
        if l.quantity == 0 {
            return Err(CheckoutError::ZeroQuantity { line });
        }
        if l.unit_price.currency != input.currency {
            return Err(CheckoutError::LineCurrency {
                line,
                currency: input.currency.code(),
            });
        }
        if l.unit_price.minor < 0 {
            return Err(CheckoutError::NegativePrice { line });
        }
        amounts.push(l.unit_price.times(l.quantity)?.minor);
    }
    Ok(amounts)
}

/// The goods amount of one order before any discount: Σ `unit_price × quantity`, after checking
/// every line (at least one line, quantities of 1 or more, prices of zero or more in the order's
/// currency).
pub fn goods_subtotal(input: &OrderInput<'_>) -> Result<Money, CheckoutError> {
    let amounts = line_amounts(input)?;
    let minor = amounts
        .iter()
        .try_fold(0i64, |acc, a| acc.checked_add(*a))
        .ok_or(CheckoutError::Overflow)?;
    Ok(Money::new(minor, input.currency))
}

/// What the goods of one order weigh together: Σ unit weight × quantity.
pub fn parcel_weight(lines: &[CheckoutLine]) -> Result<u64, CheckoutError> {
    lines.iter().try_fold(0u64, |sum, l| {
        u64::from(l.weight_grams)
            .checked_mul(u64::from(l.quantity))
            .and_then(|w| sum.checked_add(w))
            .ok_or(CheckoutError::Overflow)
    })
}

/// Computes one order's figures with `discount` (in the shop's price mode, from zero up to the
/// goods subtotal) taken off its goods. See the module comment for the steps.
pub fn order_totals(input: &OrderInput<'_>, discount: Money) -> Result<OrderTotals, CheckoutError> {
    let currency = input.currency;
    let amounts = line_amounts(input)?;
    let subtotal = sum(currency, amounts.iter().map(|a| Money::new(*a, currency)))?;
    if discount.currency != currency || discount.minor < 0 || discount.minor > subtotal.minor {
        return Err(CheckoutError::BadDiscount);
    }
    let shares = allocate(discount.minor, &amounts).map_err(|_| CheckoutError::BadDiscount)?;
    let mut lines = Vec::with_capacity(amounts.len());
    for ((l, amount), share) in input.lines.iter().zip(&amounts).zip(shares) {
        let tax_rate = input.taxes.rate(input.destination, &l.tax_category)?;
        // A share never exceeds its line's amount (see `allocate`), so this stays non-negative.
        let split = TaxSplit::of(Money::new(amount - share, currency), input.price_mode, tax_rate)?;
        lines.push(LineTotals {
            amount: Money::new(*amount, currency),
            discount: Money::new(share, currency),
            tax_rate,
            net: split.net,
            tax: split.tax,
            gross: split.gross,
        });
    }
    let weight_grams = parcel_weight(input.lines)?;
    let goods_after_discount = subtotal.checked_sub(discount)?;
    let shipping_amount = match input.shipping {
        Some(method) => method.quote(weight_grams, goods_after_discount, input.destination)?,
        None => Money::zero(currency),
    };
    // A free or absent shipping charge needs no rate: it has no tax to compute.
    let shipping_tax_rate = if shipping_amount.minor == 0 {
        BasisPoints::ZERO
    } else {
        input.taxes.rate(input.destination, &TaxCategory::shipping())?
    };
    let shipping = TaxSplit::of(shipping_amount, input.price_mode, shipping_tax_rate)?;
    let tax = sum(currency, lines.iter().map(|l| l.tax).chain([shipping.tax]))?;
    let total = sum(currency, lines.iter().map(|l| l.gross).chain([shipping.gross]))?;
    Ok(OrderTotals {
        lines,
        subtotal,
        discount,
        shipping_tax_rate,
        shipping,
        tax,
        total,
        weight_grams,
        price_mode: input.price_mode,
    })
}

/// A coupon the buyer entered at checkout, with the facts of its use.
#[derive(Debug, Clone, Copy)]
pub struct CouponAtCheckout<'a> {
    pub coupon: &'a Coupon,
    pub usage: CouponUsage,
}

/// Computes the orders of one checkout (one per shop, see [`split_by_shop`]), with an optional
/// coupon used once for the whole checkout: it applies to the goods of the orders it covers (one
/// shop's, or every shop's for an operator coupon), its minimum spend counts their goods together,
/// and its discount is spread over those orders by their goods amounts (largest remainder), then
/// over each order's lines. Covered orders must share one currency; their goods amounts are taken
/// as each shop writes its prices (gross or net, see [`PriceMode`]).
pub fn checkout_totals(
    orders: &[OrderInput<'_>],
    coupon: Option<CouponAtCheckout<'_>>,
) -> Result<Vec<OrderTotals>, CheckoutError> {
    let mut discounts: Vec<Money> = orders.iter().map(|o| Money::zero(o.currency)).collect();
    if let Some(CouponAtCheckout { coupon, usage }) = coupon {
        let covered: Vec<usize> = (0..orders.len())
            .filter(|&i| coupon.covers_shop(orders[i].shop_id))
            .collect();
        let Some(&first) = covered.first() else {
            coupon.check_usable(&usage)?;
            return Err(CouponError::OtherShop.into());
        };
        let currency = orders[first].currency;
        if covered.iter().any(|&i| orders[i].currency != currency) {
            return Err(CouponError::CurrencyMismatch(currency.code()).into());
        }
        let subtotals = covered
            .iter()
            .map(|&i| goods_subtotal(&orders[i]).map(|m| m.minor))
            .collect::<Result<Vec<i64>, _>>()?;
        let eligible = sum(currency, subtotals.iter().map(|s| Money::new(*s, currency)))?;
        let discount = coupon.discount_on(&usage, eligible)?;
        let shares = allocate(discount.minor, &subtotals).map_err(|_| CheckoutError::BadDiscount)?;
        for (&i, share) in covered.iter().zip(shares) {
            discounts[i] = Money::new(share, currency);
        }
    }
    orders
        .iter()
        .zip(discounts)
        .map(|(order, discount)| order_totals(order, discount))
        .collect()
}

/// Splits a cart's lines into one group per shop, shops in the order they first appear and lines
/// in their cart order within each: one group becomes one order.
pub fn split_by_shop<T, F>(lines: impl IntoIterator<Item = T>, shop_of: F) -> Vec<(String, Vec<T>)>
where
    F: Fn(&T) -> &str,
{
    let mut groups: Vec<(String, Vec<T>)> = Vec::new();
    for line in lines {
        let shop = shop_of(&line).to_owned();
        match groups.iter_mut().find(|(id, _)| *id == shop) {
            Some((_, group)) => group.push(line),
            None => groups.push((shop, vec![line])),
        }
    }
    groups
}
