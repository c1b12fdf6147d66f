//! The buyer's cart. Prices come only from the catalog: a price a client sends is ignored.

use agora_app::cart::{self, Cart, CartLine, CartOf, LineIssue};
use agora_core::money::Money;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::bodies::money::MoneySchema;
use crate::extract::{ApiJson, Auth};
use crate::problem::{ApiResult, Problem};
use crate::AppState;

/// A cart, priced now.
#[derive(Debug, Serialize, ToSchema)]
pub struct CartBody {
    lines: Vec<CartLineBody>,
    /// The goods' total per currency.
    #[schema(value_type = Vec<MoneySchema>)]
    subtotals: Vec<Money>,
    /// Units in the cart.
    item_count: i64,
    /// Whether every line can be ordered as it is.
    orderable: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CartShop {
    id: String,
    name: String,
}

/// A cart line, priced now from the catalog, its volume tiers and the buyer's company price.
#[derive(Debug, Serialize, ToSchema)]
pub struct CartLineBody {
    id: String,
    variant_id: String,
    product_id: String,
    title: String,
    /// The variant's options ("Black / 1 kg"), or its SKU.
    variant_label: String,
    sku: String,
    shop: CartShop,
    quantity: i64,
    #[schema(value_type = MoneySchema)]
    unit_price: Money,
    #[schema(value_type = MoneySchema)]
    line_total: Money,
    /// The unit price when the line was added or last changed, when today's differs.
    #[schema(value_type = Option<MoneySchema>)]
    previous_unit_price: Option<Money>,
    stock: i64,
    min_order_qty: i64,
    thumbnail_url: Option<String>,
    /// Why the line cannot be ordered as it is.
    issue: Option<IssueBody>,
}

/// `unavailable`, `out_of_stock` (with `available`) or `below_minimum` (with `minimum`).
#[derive(Debug, Serialize, ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum IssueBody {
    Unavailable,
    OutOfStock { available: i64 },
    BelowMinimum { minimum: i64 },
}

impl From<CartLine> for CartLineBody {
    fn from(l: CartLine) -> Self {
        CartLineBody {
            id: l.id,
            variant_id: l.variant_id,
            product_id: l.product_id,
            title: l.title,
            variant_label: l.variant_label,
            sku: l.sku,
            shop: CartShop {
                id: l.shop_id,
                name: l.shop_name,
            },
            quantity: l.quantity,
            unit_price: l.unit_price,
            line_total: l.line_total,
            previous_unit_price: l.previous_unit_price,
            stock: l.stock,
            min_order_qty: l.min_order_qty,
            thumbnail_url: l.thumb_key.as_deref().map(crate::media::url),
            issue: l.issue.map(|i| match i {
                LineIssue::Unavailable => IssueBody::Unavailable,
                LineIssue::OutOfStock { available } => IssueBody::OutOfStock { available },
                LineIssue::BelowMinimum { minimum } => IssueBody::BelowMinimum { minimum },
            }),
        }
    }
}

impl From<Cart> for CartBody {
    fn from(c: Cart) -> Self {
        CartBody {
            orderable: c.is_orderable(),
            item_count: c.item_count,
            subtotals: c.subtotals,
            lines: c.lines.into_iter().map(Into::into).collect(),
        }
    }
}

/// The buyer's cart, every line priced now.
#[utoipa::path(get, path = "/cart", tag = "orders", security(("bearer" = [])),
    responses((status = 200, body = CartBody), (status = 401, body = Problem)))]
pub async fn get_cart(State(state): State<AppState>, Auth(actor): Auth) -> ApiResult<Json<CartBody>> {
    Ok(Json(cart::view(&state.app, CartOf::Buyer(&actor)).await?.into()))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct AddItemBody {
    variant_id: String,
    /// Whole units, at least the product's minimum order quantity.
    quantity: i64,
}

/// Put units of a variant into the cart (added to its line when it is there already).
#[utoipa::path(post, path = "/cart/items", tag = "orders", security(("bearer" = [])), request_body = AddItemBody,
    responses((status = 201, body = CartBody), (status = 409, body = Problem, description = "out of stock, or the cart is full"),
        (status = 422, body = Problem)))]
pub async fn add_item(
    State(state): State<AppState>,
    Auth(actor): Auth,
    ApiJson(body): ApiJson<AddItemBody>,
) -> ApiResult<(StatusCode, Json<CartBody>)> {
    let cart = cart::add(&state.app, CartOf::Buyer(&actor), &body.variant_id, body.quantity).await?;
    Ok((StatusCode::CREATED, Json(cart.into())))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct QuantityBody {
    quantity: i64,
}

/// Change a line's quantity.
#[utoipa::path(patch, path = "/cart/items/{id}", tag = "orders", security(("bearer" = [])), params(("id" = String, Path)),
    request_body = QuantityBody,
    responses((status = 200, body = CartBody), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn update_item(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<QuantityBody>,
) -> ApiResult<Json<CartBody>> {
    Ok(Json(
        cart::set_quantity(&state.app, CartOf::Buyer(&actor), &id, body.quantity)
            .await?
            .into(),
    ))
}

/// Remove a line.
#[utoipa::path(delete, path = "/cart/items/{id}", tag = "orders", security(("bearer" = [])), params(("id" = String, Path)),
    responses((status = 200, body = CartBody), (status = 404, body = Problem)))]
pub async fn remove_item(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<CartBody>> {
    Ok(Json(cart::remove(&state.app, CartOf::Buyer(&actor), &id).await?.into()))
}
