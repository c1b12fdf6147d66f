//! A shop's shipping methods ("Standard", "Express"): its staff set them, buyers see them, and
//! checkout picks one per shop (the buyer's choice, else the cheapest that can ship the order).
//! The rules of a method — flat or by weight band, free from an amount, destination countries —
//! live in `agora_core::shipping`.
//!
//! A shop that set no methods ships by its per-country shipping rates as before.

use agora_core::audit::AuditAction;
use agora_core::checkout::{goods_subtotal, parcel_weight, CheckoutLine, OrderInput};
use agora_core::country::Country;
use agora_core::money::Money;
use agora_core::shipping::{cheapest, Destinations, ShippingMethod, ShippingRate};
use agora_core::tax::{PriceMode, TaxCategory, TaxTable};
use agora_core::ValidationErrors;
use agora_store::carts::{self as cart_store, Owner};
use agora_store::shipping_methods::{self as store, MethodRow};
use agora_store::{new_id, now_ms, Conn};

use crate::cart::{self, CartLine};
use crate::{audit, shops, Actor, App, AppError, AppResult};

/// The most methods one shop may have.
pub const MAX_METHODS: usize = 20;

/// A method as a shop's staff send it. Without `id` it is a new method; with one, the shop's
/// method of that id keeps its id.
#[derive(Debug, Clone)]
pub struct MethodInput {
    pub id: Option<String>,
    pub name: String,
    pub rate: ShippingRate,
    pub free_from: Option<Money>,
    /// ISO country codes; `None` for everywhere.
    pub countries: Option<Vec<String>>,
}

/// A shop's method.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MethodView {
    pub id: String,
    pub method: ShippingMethod,
}

fn stored(row: &MethodRow) -> AppResult<MethodView> {
    let method = serde_json::from_str(&row.method)
        .map_err(|e| AppError::Internal(anyhow::anyhow!("stored shipping method {}: {e}", row.id)))?;
    Ok(MethodView {
        id: row.id.clone(),
        method,
    })
}

/// The methods of stored rows, in their order.
pub(crate) fn offered(rows: &[MethodRow]) -> AppResult<Vec<MethodView>> {
    rows.iter().map(stored).collect()
}

/// A shop's shipping methods, in the order it lists them; anyone may see them (404 for no shop).
pub async fn list(app: &App, shop_id: &str) -> AppResult<Vec<MethodView>> {
    let mut conn = app.db.conn().await?;
    agora_store::shops::by_id(&mut conn, shop_id)
        .await?
        .ok_or(AppError::NotFound("shop"))?;
    offered(&store::of_shop(&mut conn, shop_id).await?)
}

/// A shop's methods for its staff's page (its owner and managers; 404 for anyone else).
pub async fn list_for_staff(app: &App, actor: &Actor, shop_id: &str) -> AppResult<Vec<MethodView>> {
    let mut conn = app.db.conn().await?;
    shops::managed(&mut conn, actor, shop_id).await?;
    offered(&store::of_shop(&mut conn, shop_id).await?)
}

/// Checks the methods a shop's staff send, naming each bad field as `methods[i].…`.
fn check_inputs(inputs: Vec<MethodInput>, existing: &[MethodRow]) -> AppResult<Vec<MethodView>> {
    let mut errors = ValidationErrors::new();
    if inputs.len() > MAX_METHODS {
        errors.add("methods", format!("must be at most {MAX_METHODS} methods"));
    }
    let mut seen: Vec<String> = Vec::new();
    let mut checked = Vec::new();
    for (i, input) in inputs.into_iter().enumerate() {
        let field = |name: &str| format!("methods[{i}].{name}");
        let id = match input.id {
            Some(id) if existing.iter().any(|m| m.id == id) && !seen.contains(&id) => id,
            Some(_) => {
                errors.add(&field("id"), "is not one of this shop's methods");
                continue;
            }
            None => new_id("shm"),
        };
        seen.push(id.clone());
        let destinations = match input.countries {
            None => Destinations::Everywhere,
            Some(codes) => {
                let mut list = std::collections::BTreeSet::new();
                for (j, code) in codes.iter().enumerate() {
                    if let Some(c) = errors.check(&field(&format!("countries[{j}]")), Country::parse(code)) {
                        list.insert(c);
                    }
                }
                Destinations::Only(list)
            }
        };
        let method = ShippingMethod {
            name: input.name,
            rate: input.rate,
            free_from: input.free_from,
            destinations,
        };
        match method.check() {
            Ok(method) => checked.push(MethodView { id, method }),
            Err(core) => {
                for e in core.0 {
                    let name = if e.field == "destinations" {
                        "countries"
                    } else {
                        &e.field
                    };
                    errors.add(&field(name), e.message);
                }
            }
        }
    }
    errors.into_result()?;
    Ok(checked)
}

/// Replaces a shop's shipping methods by `inputs`, in that order (the shop's owner and managers,
/// by their current role; 404 for anyone else). An empty list removes them all: the shop then
/// ships by its shipping rates.
pub async fn replace(app: &App, actor: &Actor, shop_id: &str, inputs: Vec<MethodInput>) -> AppResult<Vec<MethodView>> {
    let now = now_ms();
    let mut tx = app.db.begin().await?;
    shops::managed(&mut tx, actor, shop_id).await?;
    let existing = store::of_shop(&mut tx, shop_id).await?;
    let methods = check_inputs(inputs, &existing)?;
    let mut rows = Vec::with_capacity(methods.len());
    for (position, m) in methods.iter().enumerate() {
        rows.push(MethodRow {
            id: m.id.clone(),
            position: position as i64,
            name: m.method.name.clone(),
            method: serde_json::to_string(&m.method).map_err(|e| AppError::Internal(e.into()))?,
        });
    }
    store::replace(&mut tx, shop_id, &rows, now).await?;
    let data = serde_json::json!({
        "methods": methods.iter().map(|m| serde_json::json!({"id": m.id, "method": m.method})).collect::<Vec<_>>()
    });
    audit::record(
        &mut tx,
        Some(&actor.account_id),
        AuditAction::ShopShippingMethodsSet,
        shop_id,
        data,
    )
    .await?;
    crate::checkout_terms::commit_change(app, tx).await?;
    Ok(methods)
}

/// The method checkout ships a shop's order by: the one the buyer chose (`chosen`, its id), which
/// must be the shop's and able to ship this parcel to `country`; else the cheapest that can.
/// Errors name `field` (`shipping_method.{shop id}`), or the country when no method goes there.
pub(crate) fn choose<'m>(
    methods: &'m [MethodView],
    chosen: Option<&str>,
    field: &str,
    parcel: Parcel,
    shop_name: &str,
) -> AppResult<&'m MethodView> {
    match chosen {
        Some(id) => {
            let m = methods
                .iter()
                .find(|m| m.id == id)
                .ok_or_else(|| AppError::invalid(field, format!("{shop_name} has no shipping method {id}")))?;
            m.method
                .quote(parcel.weight_grams, parcel.goods, parcel.country)
                .map_err(|e| AppError::invalid(field, format!("{}: {e}", m.method.name)))?;
            Ok(m)
        }
        None => cheapest(
            methods.iter().map(|m| &m.method),
            parcel.weight_grams,
            parcel.goods,
            parcel.country,
        )
        .map(|(i, _)| &methods[i])
        .ok_or_else(|| {
            AppError::invalid(
                "shipping_address.country",
                format!(
                    "{shop_name} has no shipping method for this order to {}",
                    parcel.country.code()
                ),
            )
        }),
    }
}

/// What a shop's order weighs and is worth (before any coupon), and where it goes.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Parcel {
    pub weight_grams: u64,
    pub goods: Money,
    pub country: Country,
}

/// The checkout lines of a shop's cart lines (prices in the shop's mode, weights per unit).
pub(crate) fn checkout_lines(lines: &[CartLine]) -> Vec<CheckoutLine> {
    lines
        .iter()
        .map(|l| CheckoutLine {
            unit_price: l.unit_price,
            quantity: u32::try_from(l.quantity).unwrap_or(u32::MAX),
            tax_category: TaxCategory::standard(),
            weight_grams: u32::try_from(l.weight_grams).unwrap_or(0),
        })
        .collect()
}

/// The parcel of `lines` to `country`.
pub(crate) fn parcel_of(lines: &[CheckoutLine], country: Country) -> AppResult<Parcel> {
    let currency = lines
        .first()
        .map(|l| l.unit_price.currency)
        .ok_or_else(|| AppError::invalid("cart", "is empty: add something first"))?;
    let taxes = TaxTable::new();
    let input = OrderInput {
        shop_id: "",
        currency,
        lines,
        price_mode: PriceMode::TaxInclusive,
        taxes: &taxes,
        destination: country,
        shipping: None,
    };
    let overflow = |_| AppError::invalid("cart", "the amounts are out of range");
    Ok(Parcel {
        weight_grams: parcel_weight(lines).map_err(overflow)?,
        goods: goods_subtotal(&input).map_err(overflow)?,
        country,
    })
}

/// One way a shop can ship the buyer's cart, with its price (before any coupon).
#[derive(Debug, Clone)]
pub struct ShippingOption {
    /// `None` for a shop's plain shipping rate (nothing to choose).
    pub id: Option<String>,
    pub name: String,
    pub price: Money,
}

/// A shop's part of the cart and how it can ship it.
#[derive(Debug, Clone)]
pub struct ShopShipping {
    pub shop_id: String,
    pub shop_name: String,
    /// Cheapest first; empty when the shop cannot ship to the country.
    pub options: Vec<ShippingOption>,
    /// What checkout picks when the buyer does not choose.
    pub default_id: Option<String>,
}

/// How each shop in the buyer's cart can ship it to `country`, for the checkout page.
pub async fn options_for_cart(app: &App, actor: &Actor, country: Country) -> AppResult<Vec<ShopShipping>> {
    let mut conn = app.db.conn().await?;
    let Some(cart_id) = cart_store::find(&mut conn, Owner::Account(&actor.account_id)).await? else {
        return Ok(vec![]);
    };
    let priced = cart::priced(&mut conn, Some(actor), Some(&cart_id)).await?;
    let mut shops = Vec::new();
    for (shop_id, lines) in agora_core::checkout::split_by_shop(priced.lines, |l: &CartLine| l.shop_id.as_str()) {
        shops.push(shop_options(&mut conn, app, shop_id, &lines, country).await?);
    }
    Ok(shops)
}

async fn shop_options(
    conn: &mut Conn,
    app: &App,
    shop_id: String,
    lines: &[CartLine],
    country: Country,
) -> AppResult<ShopShipping> {
    let shop_name = lines.first().map(|l| l.shop_name.clone()).unwrap_or_default();
    let terms = app.checkout_terms.shop(conn, &shop_id, country.code()).await?;
    let parcel = parcel_of(&checkout_lines(lines), country)?;
    let mut options = Vec::new();
    let mut default_id = None;
    if terms.methods.is_empty() {
        let price = match (&terms.shipping, terms.has_rates) {
            (_, false) => Some(Money::zero(parcel.goods.currency)),
            (None, true) => None,
            (Some((amount, _)), true) => Some(Money::new(*amount, parcel.goods.currency)),
        };
        options.extend(price.map(|price| ShippingOption {
            id: None,
            name: "Standard shipping".into(),
            price,
        }));
    } else {
        let methods = offered(&terms.methods)?;
        for m in &methods {
            if let Ok(price) = m.method.quote(parcel.weight_grams, parcel.goods, country) {
                options.push(ShippingOption {
                    id: Some(m.id.clone()),
                    name: m.method.name.clone(),
                    price,
                });
            }
        }
        default_id = cheapest(
            methods.iter().map(|m| &m.method),
            parcel.weight_grams,
            parcel.goods,
            country,
        )
        .map(|(i, _)| methods[i].id.clone());
        // Stable: equally cheap methods stay in the shop's order.
        options.sort_by_key(|o| o.price.minor);
    }
    Ok(ShopShipping {
        shop_id,
        shop_name,
        options,
        default_id,
    })
}

fn input_of(m: MethodView) -> MethodInput {
    MethodInput {
        id: Some(m.id),
        name: m.method.name,
        rate: m.method.rate,
        free_from: m.method.free_from,
        countries: match m.method.destinations {
            Destinations::Everywhere => None,
            Destinations::Only(list) => Some(list.iter().map(|c| c.code().to_owned()).collect()),
        },
    }
}

/// Adds one method after a shop's others (its staff; see [`replace`]); errors name `methods[i].…`.
pub async fn add(app: &App, actor: &Actor, shop_id: &str, input: MethodInput) -> AppResult<Vec<MethodView>> {
    let mut inputs: Vec<MethodInput> = list(app, shop_id).await?.into_iter().map(input_of).collect();
    inputs.push(input);
    replace(app, actor, shop_id, inputs).await
}

/// Removes one of a shop's methods (its staff; see [`replace`]); 404 for a method not the shop's.
pub async fn remove(app: &App, actor: &Actor, shop_id: &str, method_id: &str) -> AppResult<Vec<MethodView>> {
    let methods = list(app, shop_id).await?;
    if !methods.iter().any(|m| m.id == method_id) {
        return Err(AppError::NotFound("shipping method"));
    }
    let inputs = methods
        .into_iter()
        .filter(|m| m.id != method_id)
        .map(input_of)
        .collect();
    replace(app, actor, shop_id, inputs).await
}
