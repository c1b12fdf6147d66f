//! Checkout and orders.

use std::collections::BTreeMap;

use agora_app::idempotency::Render;
use agora_app::orders::actions::{self, Shipment};
use agora_app::orders::checkout::{self, CheckoutInput, Placed};
use agora_app::orders::{self, reorder, OrderEventView, OrderLineView, OrderView, Role};
use agora_app::tax_rates;
use agora_core::address::AddressInput;
use agora_core::money::Money;
use axum::extract::{Path, State};
use axum::response::Response;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::bodies::money::MoneySchema;
use super::bodies::payments::PaymentBrief;
use super::cart::CartBody;
use crate::extract::{ApiJson, Auth, Query};
use crate::idempotency::{self, TxKey};
use crate::problem::{ApiResult, Problem};
use crate::AppState;

/// A postal address. Missing fields are read as empty, so that each is named in the errors.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(default)]
pub struct AddressBody {
    name: String,
    line1: String,
    line2: Option<String>,
    city: String,
    postal_code: String,
    region: Option<String>,
    /// ISO 3166-1 alpha-2, like `DE`.
    country: String,
    phone: Option<String>,
}

impl AddressBody {
    pub(crate) fn input(&self) -> AddressInput<'_> {
        AddressInput {
            name: &self.name,
            line1: &self.line1,
            line2: self.line2.as_deref(),
            city: &self.city,
            postal_code: &self.postal_code,
            region: self.region.as_deref(),
            country: &self.country,
            phone: self.phone.as_deref(),
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct CheckoutBody {
    /// Where to ship. Leave it out to ship to `address_id`, else to your default saved address.
    shipping_address: Option<AddressBody>,
    /// One of your saved addresses (`/account/addresses`) instead of `shipping_address`; another
    /// account's is 404.
    address_id: Option<String>,
    /// The shipping method per shop: shop id → method id (`GET /shops/{id}/shipping-methods`,
    /// or `GET /checkout/shipping-options` for prices). A shop left out ships by its cheapest
    /// method that can ship its goods to the address. A method that is not the shop's, cannot
    /// ship there (country, weight) or a shop not in the cart is a 422 naming
    /// `shipping_method.{shop id}`, and nothing is reserved or created.
    #[schema(value_type = Option<BTreeMap<String, String>>)]
    shipping_method: Option<BTreeMap<String, String>>,
    /// `card`, `wallet`, `bank_transfer` or `cod` (cash on delivery).
    payment_method: String,
    /// The buyer's purchase-order reference, printed on the order.
    purchase_order: Option<String>,
    /// A coupon code (case-insensitive). A shop's coupon discounts that shop's order, an
    /// operator's the whole checkout. One that cannot be used here (unknown, expired, not yet
    /// valid, used up — also when another checkout took its last use at the same moment —, used
    /// by you as often as allowed, another shop's, below its minimum spend) is a 422 naming the
    /// field `coupon`, and nothing is reserved or created.
    coupon: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CheckoutReply {
    /// The purchase as one: the orders of one checkout.
    group_id: String,
    /// One order per shop.
    orders: Vec<OrderBody>,
    /// The checkout's one payment; absent for cash on delivery. A wallet payment has succeeded
    /// (the orders are `paid`); a card payment is `pending` with a `redirect_url` to pay at; a bank
    /// transfer is `pending` with the `reference` the transfer must carry.
    #[serde(skip_serializing_if = "Option::is_none")]
    payment: Option<PaymentBrief>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ShopRefBody {
    id: String,
    name: String,
}

impl ShopRefBody {
    pub(crate) fn new(id: String, name: String) -> Self {
        ShopRefBody { id, name }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BuyerBody {
    id: String,
}

impl BuyerBody {
    pub(crate) fn new(id: String) -> Self {
        BuyerBody { id }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OrderLineBody {
    variant_id: String,
    product_id: String,
    title: String,
    sku: String,
    variant_label: String,
    quantity: i64,
    /// The price per unit the buyer was shown and charged (tax-inclusive when the shop's prices are).
    #[schema(value_type = MoneySchema)]
    unit_price: Money,
    #[schema(value_type = MoneySchema)]
    line_total: Money,
    #[schema(value_type = MoneySchema)]
    tax: Money,
    /// Basis points: 1900 is 19 %.
    tax_rate_bp: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OrderEventBody {
    /// `placed`, `shipped`, `receipt_confirmed`, `cancelled`, …
    event: String,
    /// The order's status after it.
    status: String,
    /// Who did it: `buyer`, `company_admin`, `seller`, `operator` or `system`.
    party: String,
    actor: Option<String>,
    note: Option<String>,
    at: String,
}

/// An order: a snapshot of what was bought at checkout, and its timeline.
#[derive(Debug, Serialize, ToSchema)]
pub struct OrderBody {
    id: String,
    group_id: String,
    /// `awaiting_approval`, `pending_payment`, `paid`, `confirmed`, `shipped`, `completed`, `cancelled`, `refunded` or `partially_refunded`.
    status: String,
    payment_method: String,
    buyer: BuyerBody,
    shop: ShopRefBody,
    lines: Vec<OrderLineBody>,
    #[schema(value_type = MoneySchema)]
    subtotal: Money,
    #[schema(value_type = MoneySchema)]
    discount: Money,
    #[schema(value_type = MoneySchema)]
    shipping: Money,
    #[schema(value_type = MoneySchema)]
    tax: Money,
    #[schema(value_type = MoneySchema)]
    total: Money,
    /// Whether the amounts contain tax (`subtotal + shipping - discount = total`) or tax is added
    /// (`subtotal + shipping + tax - discount = total`).
    tax_inclusive: bool,
    #[schema(value_type = Object)]
    shipping_address: serde_json::Value,
    purchase_order: Option<String>,
    carrier: Option<String>,
    tracking_number: Option<String>,
    /// The name of the shipping method chosen at checkout; `null` for a shop's plain shipping rate.
    shipping_method: Option<String>,
    created_at: String,
    events: Vec<OrderEventBody>,
}

impl From<OrderLineView> for OrderLineBody {
    fn from(l: OrderLineView) -> Self {
        OrderLineBody {
            variant_id: l.variant_id,
            product_id: l.product_id,
            title: l.title,
            sku: l.sku,
            variant_label: l.variant_label,
            quantity: l.quantity,
            unit_price: l.unit_price,
            line_total: l.line_total,
            tax: l.tax,
            tax_rate_bp: l.tax_rate_bp,
        }
    }
}

impl From<OrderEventView> for OrderEventBody {
    fn from(e: OrderEventView) -> Self {
        OrderEventBody {
            event: e.event,
            status: e.status,
            party: e.party,
            actor: e.actor,
            note: e.note,
            at: e.at,
        }
    }
}

impl From<OrderView> for OrderBody {
    fn from(o: OrderView) -> Self {
        OrderBody {
            id: o.id,
            group_id: o.group_id,
            status: o.status.as_str().into(),
            payment_method: o.payment_method.as_str().into(),
            buyer: BuyerBody { id: o.buyer_account_id },
            shop: ShopRefBody {
                id: o.shop_id,
                name: o.shop_name,
            },
            lines: o.lines.into_iter().map(Into::into).collect(),
            subtotal: o.subtotal,
            discount: o.discount,
            shipping: o.shipping,
            tax: o.tax,
            total: o.total,
            tax_inclusive: o.tax_inclusive,
            shipping_address: o.shipping_address,
            purchase_order: o.purchase_order,
            carrier: o.carrier,
            tracking_number: o.tracking_number,
            shipping_method: o.shipping_method,
            created_at: o.created_at,
            events: o.events.into_iter().map(Into::into).collect(),
        }
    }
}

/// Check out the cart: one order per shop, stock reserved for every line, or nothing at all.
#[utoipa::path(post, path = "/checkout", tag = "orders", security(("bearer" = [])), request_body = CheckoutBody,
    responses((status = 201, body = CheckoutReply), (status = 409, body = Problem, description = "out of stock, or (`/problems/insufficient-funds`) the wallet holds less than the total; nothing is created"),
        (status = 422, body = Problem, description = "bad input, naming the field (`coupon` for a coupon that cannot be used)")))]
pub async fn checkout(
    State(state): State<AppState>,
    Auth(actor): Auth,
    key: TxKey,
    ApiJson(body): ApiJson<CheckoutBody>,
) -> ApiResult<Response> {
    let methods: Vec<(String, String)> = body.shipping_method.clone().unwrap_or_default().into_iter().collect();
    let input = CheckoutInput {
        shipping_address: body
            .shipping_address
            .as_ref()
            .map(AddressBody::input)
            .unwrap_or_default(),
        address_id: body.address_id.as_deref(),
        shipping_methods: &methods,
        payment_method: &body.payment_method,
        purchase_order: body.purchase_order.as_deref(),
        coupon: body.coupon.as_deref(),
    };
    // It creates orders and moves stock: the Idempotency-Key is claimed in the checkout's own
    // transaction, so a retried or double-clicked checkout places one order group.
    let render: Render<Placed> = &|placed| {
        idempotency::json_created(&CheckoutReply {
            group_id: placed.group_id.clone(),
            orders: placed.orders.iter().cloned().map(Into::into).collect(),
            payment: placed.payment.clone().map(Into::into),
        })
    };
    let answer = checkout::checkout(&state.app, &actor, input, key.rendered_by(render)).await?;
    idempotency::respond(answer, render)
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct ListParams {
    /// `buyer` (default): the orders you placed; `seller`: the orders of the shops you run;
    /// `company`: your company's orders, all of them for a company admin and only your own for
    /// any other member (403 when you belong to no company).
    role: Option<String>,
    /// Only orders in this status.
    status: Option<String>,
    limit: Option<u32>,
    cursor: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OrderList {
    items: Vec<OrderBody>,
    next_cursor: Option<String>,
}

/// Your orders, newest first.
#[utoipa::path(get, path = "/orders", tag = "orders", security(("bearer" = [])), params(ListParams),
    responses((status = 200, body = OrderList), (status = 422, body = Problem)))]
pub async fn list(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Query(q): Query<ListParams>,
) -> ApiResult<Json<OrderList>> {
    let role = match q.role.as_deref() {
        None | Some("buyer") => Role::Buyer,
        Some("seller") => Role::Seller,
        Some("company") => Role::Company,
        Some(_) => return Err(agora_app::AppError::invalid("role", "must be buyer, seller or company").into()),
    };
    let page = orders::list(
        &state.app,
        &actor,
        role,
        q.status.as_deref(),
        q.cursor.as_deref(),
        q.limit.unwrap_or(20),
    )
    .await?;
    Ok(Json(OrderList {
        items: page.items.into_iter().map(Into::into).collect(),
        next_cursor: page.next_cursor,
    }))
}

/// One order (its buyer, the buying company's admins, the shop's staff, operators).
#[utoipa::path(get, path = "/orders/{id}", tag = "orders", security(("bearer" = [])), params(("id" = String, Path)),
    responses((status = 200, body = OrderBody), (status = 404, body = Problem)))]
pub async fn get(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<OrderBody>> {
    Ok(Json(orders::get(&state.app, &actor, &id).await?.into()))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct ShipBody {
    carrier: String,
    tracking_number: String,
}

/// Mark the order shipped (the shop's staff).
#[utoipa::path(post, path = "/orders/{id}/ship", tag = "orders", security(("bearer" = [])), params(("id" = String, Path)),
    request_body = ShipBody,
    responses((status = 200, body = OrderBody), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn ship(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<ShipBody>,
) -> ApiResult<Json<OrderBody>> {
    let shipment = Shipment {
        carrier: &body.carrier,
        tracking_number: &body.tracking_number,
    };
    Ok(Json(actions::ship(&state.app, &actor, &id, shipment).await?.into()))
}

/// Confirm the goods arrived (the buyer).
#[utoipa::path(post, path = "/orders/{id}/confirm-receipt", tag = "orders", security(("bearer" = [])), params(("id" = String, Path)),
    responses((status = 200, body = OrderBody), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn confirm_receipt(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<OrderBody>> {
    Ok(Json(actions::confirm_receipt(&state.app, &actor, &id).await?.into()))
}

#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct CancelBody {
    reason: Option<String>,
}

/// The reason of an optional `{"reason": …}` body: no body means no reason.
fn optional_reason(body: &[u8]) -> Result<Option<String>, agora_app::AppError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(None);
    }
    serde_json::from_slice::<CancelBody>(body)
        .map(|b| b.reason)
        .map_err(|e| agora_app::AppError::BadRequest(format!("the body is not a cancellation: {e}")))
}

/// Cancel the order while its status allows (buyer or seller); its stock goes back on sale.
#[utoipa::path(post, path = "/orders/{id}/cancel", tag = "orders", security(("bearer" = [])), params(("id" = String, Path)),
    request_body = CancelBody,
    responses((status = 200, body = OrderBody), (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn cancel(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> ApiResult<Json<OrderBody>> {
    let reason = optional_reason(&body)?;
    Ok(Json(
        actions::cancel(&state.app, &actor, &id, reason.as_deref())
            .await?
            .into(),
    ))
}

/// Approve an order awaiting approval (an admin of the buying company): it goes on to
/// `pending_payment`, or `confirmed` for cash on delivery.
#[utoipa::path(post, path = "/orders/{id}/approve", tag = "orders", security(("bearer" = [])), params(("id" = String, Path)),
    responses((status = 200, body = OrderBody), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn approve(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<OrderBody>> {
    Ok(Json(actions::approve(&state.app, &actor, &id).await?.into()))
}

/// Decline an order awaiting approval (an admin of the buying company): it is cancelled and its
/// stock goes back on sale. The body (`{"reason": …}`) is optional.
#[utoipa::path(post, path = "/orders/{id}/decline", tag = "orders", security(("bearer" = [])), params(("id" = String, Path)),
    request_body = CancelBody,
    responses((status = 200, body = OrderBody), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn decline(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> ApiResult<Json<OrderBody>> {
    let reason = optional_reason(&body)?;
    Ok(Json(
        actions::decline(&state.app, &actor, &id, reason.as_deref())
            .await?
            .into(),
    ))
}

/// A line of the old order that did not go back into the cart.
#[derive(Debug, Serialize, ToSchema)]
pub struct SkippedLineBody {
    variant_id: String,
    title: String,
    sku: String,
    quantity: i64,
    /// Why, like "this product is not for sale".
    reason: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ReorderReply {
    /// The cart, with the order's lines added at today's prices.
    cart: CartBody,
    /// The lines that could not be added.
    skipped: Vec<SkippedLineBody>,
}

/// Order again (the order's buyer): each line's variant and quantity goes into the cart, priced as
/// it is today; lines no longer for sale (or out of stock) are skipped and listed.
#[utoipa::path(post, path = "/orders/{id}/reorder", tag = "orders", security(("bearer" = [])), params(("id" = String, Path)),
    responses((status = 200, body = ReorderReply), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn reorder(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<ReorderReply>> {
    let done = reorder::reorder(&state.app, &actor, &id).await?;
    Ok(Json(ReorderReply {
        cart: done.cart.into(),
        skipped: done
            .skipped
            .into_iter()
            .map(|s| SkippedLineBody {
                variant_id: s.variant_id,
                title: s.title,
                sku: s.sku,
                quantity: s.quantity,
                reason: s.reason,
            })
            .collect(),
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct TaxRatesBody {
    /// Rates by tax category in basis points, e.g. `{"standard": 1900, "shipping": 1900}`.
    rates: BTreeMap<String, i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TaxRatesReply {
    country: String,
    rates: BTreeMap<String, u32>,
}

/// Set a country's tax rates (operators).
#[utoipa::path(put, path = "/admin/tax-rates/{country}", tag = "admin", security(("bearer" = [])), params(("country" = String, Path)),
    request_body = TaxRatesBody,
    responses((status = 200, body = TaxRatesReply), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn set_tax_rates(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(country): Path<String>,
    ApiJson(body): ApiJson<TaxRatesBody>,
) -> ApiResult<Json<TaxRatesReply>> {
    let rates: Vec<(String, i64)> = body.rates.into_iter().collect();
    let set = tax_rates::set(&state.app, &actor, &country, &rates).await?;
    Ok(Json(TaxRatesReply {
        country: country.trim().to_ascii_uppercase(),
        rates: set.into_iter().collect(),
    }))
}
