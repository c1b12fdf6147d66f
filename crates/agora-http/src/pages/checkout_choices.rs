//! What the checkout page offers beside the typed address: the buyer's saved addresses, each
//! shop's shipping methods with their prices for the chosen destination, and what the orders
//! come to with the chosen methods (refreshed by `checkout.js` as the address changes).

use std::collections::BTreeMap;

use agora_app::orders::checkout;
use agora_app::{addresses, shipping_methods, Actor, AppError, ConflictKind};
use agora_core::country::Country;
use agora_core::money::Money;
use agora_core::tax::PriceMode;

use crate::AppState;

/// The form field of a shop's shipping method: `shipping_method.{shop id}`.
pub const METHOD_FIELD: &str = "shipping_method.";

/// A saved address to pick.
pub struct AddressChoice {
    pub id: String,
    /// "Bea Buyer, Hauptstr. 1, 10115 Berlin, DE".
    pub label: String,
    pub checked: bool,
}

/// One method to pick for a shop.
pub struct MethodChoice {
    /// Empty for a shop's plain rate (nothing to choose).
    pub id: String,
    pub name: String,
    pub price: String,
    pub checked: bool,
}

/// A shop's shipping choices.
pub struct ShopChoices {
    pub shop_name: String,
    pub field: String,
    pub methods: Vec<MethodChoice>,
}

/// What one shop's order comes to, as the review column shows it.
pub struct QuoteRow {
    pub shop_name: String,
    /// "Shipping (Express)", or "Shipping" for a shop's plain rate.
    pub shipping_label: String,
    pub goods: Money,
    pub shipping: Money,
    pub tax: Money,
    /// Whether the shop's prices include the tax (else it is added).
    pub tax_included: bool,
    pub total: Money,
}

/// Everything the page offers for the addresses and shipping.
pub struct Choices {
    pub addresses: Vec<AddressChoice>,
    /// Whether "a new address" (typed below) is picked.
    pub new_address: bool,
    /// The country the prices are for, if one is known.
    pub country: Option<String>,
    pub shops: Vec<ShopChoices>,
    /// Each shop's order with the chosen methods; empty while no country is known.
    pub quotes: Vec<QuoteRow>,
    /// What the buyer pays in all, one amount per currency.
    pub totals: Vec<Money>,
    /// Why the cart has no figures for this address, in words (an item out of stock, a shop that
    /// does not ship there, a country code we do not know); `None` when it has them or no country
    /// was given yet.
    pub problem: Option<String>,
}

/// The methods chosen in a posted form: `(shop id, method id)`, blank choices left out.
pub fn chosen_methods(fields: &BTreeMap<String, String>) -> Vec<(String, String)> {
    fields
        .iter()
        .filter_map(|(k, v)| Some((k.strip_prefix(METHOD_FIELD)?.to_owned(), v.trim().to_owned())))
        .filter(|(_, v)| !v.is_empty())
        .collect()
}

/// The choices for the page: `address_id` is the picked saved address ("" for a new one, `None`
/// on first view: the default), `typed_country` the new address's country, `chosen` the methods.
pub async fn load(
    state: &AppState,
    actor: &Actor,
    address_id: Option<&str>,
    typed_country: &str,
    chosen: &[(String, String)],
) -> Result<Choices, AppError> {
    let saved = addresses::list(&state.app, actor).await?;
    let picked = match address_id {
        Some(id) => saved.iter().find(|a| a.id == id),
        None => saved.iter().find(|a| a.is_default),
    };
    let country = match picked {
        Some(a) => Some(a.address.country),
        None => Country::parse(typed_country).ok(),
    };
    let addresses = saved
        .iter()
        .map(|a| {
            let x = &a.address;
            AddressChoice {
                id: a.id.clone(),
                label: format!(
                    "{}, {}, {} {}, {}",
                    x.name,
                    x.line1,
                    x.postal_code,
                    x.city,
                    x.country.code()
                ),
                checked: picked.is_some_and(|p| p.id == a.id),
            }
        })
        .collect();
    let mut shops = Vec::new();
    // The method each shop ships by: the buyer's choice while the shop offers it there, else its
    // default.
    let mut picks = Vec::new();
    if let Some(country) = country {
        for s in shipping_methods::options_for_cart(&state.app, actor, country).await? {
            let mine = chosen
                .iter()
                .find(|(shop, m)| *shop == s.shop_id && s.options.iter().any(|o| o.id.as_deref() == Some(m)))
                .map(|(_, m)| m.as_str());
            let pick = mine.or(s.default_id.as_deref());
            if let Some(p) = pick {
                picks.push((s.shop_id.clone(), p.to_owned()));
            }
            let methods = s
                .options
                .into_iter()
                .map(|o| {
                    let id = o.id.unwrap_or_default();
                    MethodChoice {
                        checked: id.is_empty() || pick == Some(id.as_str()),
                        name: o.name,
                        price: if o.price.minor == 0 {
                            "free".into()
                        } else {
                            o.price.to_string()
                        },
                        id,
                    }
                })
                .collect();
            shops.push(ShopChoices {
                field: format!("{METHOD_FIELD}{}", s.shop_id),
                shop_name: s.shop_name,
                methods,
            });
        }
    }
    // A cart that cannot be checked out as it is (a line out of stock, a shop that does not ship
    // there) shows no figures, but says why.
    let (quotes, problem) = match country {
        Some(country) => match checkout::quote(&state.app, actor, country, &picks).await {
            Ok(quoted) => (quoted.into_iter().map(quote_row).collect(), None),
            Err(err @ (AppError::Invalid(_) | AppError::Conflict { .. })) => (vec![], Some(unquotable(&err))),
            Err(err) => return Err(err),
        },
        None if picked.is_none() && !typed_country.trim().is_empty() => (
            vec![],
            Some(format!(
                "We do not know the country “{}”: enter its two-letter code, such as DE for Germany or FR for France.",
                typed_country.trim()
            )),
        ),
        None => (vec![], None),
    };
    let totals = sum_by_currency(quotes.iter().map(|q| q.total))?;
    Ok(Choices {
        new_address: picked.is_none(),
        addresses,
        country: country.map(|c| c.code().to_owned()),
        shops,
        quotes,
        totals,
        problem,
    })
}

/// Why a cart cannot be priced for the chosen address, and what the buyer can do about it.
fn unquotable(err: &AppError) -> String {
    // Each rule's own words, as sentences: they name the item or the shop already.
    let reason = match err {
        AppError::Invalid(errors) => errors
            .0
            .iter()
            .map(|e| crate::words::closed(&e.message))
            .collect::<Vec<_>>()
            .join(" "),
        other => crate::words::message(other),
    };
    let fix = match err {
        AppError::Conflict {
            kind: ConflictKind::OutOfStock,
            ..
        } => "Lower the quantity in your cart, or remove the item.",
        AppError::Invalid(errors) if errors.0.iter().any(|e| e.field.starts_with("lines[")) => {
            "Change it in your cart."
        }
        AppError::Invalid(errors)
            if errors
                .0
                .iter()
                .any(|e| e.field == "shipping_address.country" || e.field.starts_with(METHOD_FIELD)) =>
        {
            "Choose another address or shipping method, or remove those items from your cart."
        }
        _ => "",
    };
    let lead = "We cannot work out the totals yet:";
    match fix {
        "" => format!("{lead} {reason}"),
        fix => format!("{lead} {reason} {fix}"),
    }
}

fn quote_row(q: checkout::QuotedOrder) -> QuoteRow {
    QuoteRow {
        shop_name: q.shop_name,
        shipping_label: match q.shipping_name {
            Some(name) => format!("Shipping ({name})"),
            None => "Shipping".into(),
        },
        goods: q.totals.subtotal,
        shipping: q.totals.shipping_in_mode(),
        tax: q.totals.tax,
        tax_included: q.totals.price_mode == PriceMode::TaxInclusive,
        total: q.totals.total,
    }
}

/// Amounts added up per currency, in the order the currencies first appear.
fn sum_by_currency(amounts: impl Iterator<Item = Money>) -> Result<Vec<Money>, AppError> {
    let mut sums: Vec<Money> = Vec::new();
    for amount in amounts {
        match sums.iter_mut().find(|s| s.currency == amount.currency) {
            Some(sum) => {
                *sum = sum
                    .checked_add(amount)
                    .map_err(|e| AppError::Internal(anyhow::anyhow!("adding up the checkout's totals: {e}")))?
            }
            None => sums.push(amount),
        }
    }
    Ok(sums)
}
