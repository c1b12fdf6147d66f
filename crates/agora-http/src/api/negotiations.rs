//! Offers and counter-offers on a listing, and each product's offer settings.

use agora_app::deals::moves::{self, Accepted, CounterInput};
use agora_app::deals::negotiations::{self, NegotiationView, OfferInput};
use agora_app::deals::offer_settings;
use agora_app::idempotency::Render;
use agora_app::AppError;
use agora_core::money::Money;
use agora_core::negotiation::{NegotiationAction, Side};
use axum::extract::{Path, State};
use axum::response::Response;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::bodies::deals::{ContractBody, NegotiationBody, OfferSettingsBody};
use super::bodies::money::MoneySchema;
use super::orders::{AddressBody, OrderBody};
use crate::extract::{ApiJson, Auth, MaybeAuth, Query};
use crate::idempotency::{self, TxKey};
use crate::problem::{ApiResult, Problem};
use crate::AppState;

#[derive(Debug, Deserialize, ToSchema)]
pub struct OfferBody {
    variant_id: String,
    quantity: i64,
    /// The price per unit offered, in the listing's currency.
    #[schema(value_type = MoneySchema)]
    unit_price: Money,
    message: Option<String>,
    /// Delivery terms proposed (free text, like "delivery within 2 weeks, DAP Berlin").
    delivery_terms: Option<String>,
    /// How the order will be paid once agreed: `card`, `wallet`, `bank_transfer` (default) or `cod`.
    payment_method: Option<String>,
    /// Where the goods go; without it the order's tax split is settled on the invoice.
    shipping_address: Option<AddressBody>,
}

/// Make an offer on a variant whose product takes offers (the buyer): opens a negotiation in which
/// the seller answers next. An offer below the shop's floor is refused with 422 and a neutral
/// message (the floor is never revealed), and nothing is stored.
#[utoipa::path(post, path = "/negotiations", tag = "negotiation", security(("bearer" = [])), request_body = OfferBody,
    responses((status = 201, body = NegotiationBody), (status = 422, body = Problem, description = "bad input, an offer under the floor, a product that takes no offers")))]
pub async fn create(
    State(state): State<AppState>,
    Auth(actor): Auth,
    key: TxKey,
    ApiJson(body): ApiJson<OfferBody>,
) -> ApiResult<Response> {
    let input = OfferInput {
        variant_id: &body.variant_id,
        quantity: body.quantity,
        unit_price: body.unit_price,
        message: body.message.as_deref(),
        delivery_terms: body.delivery_terms.as_deref(),
        payment_method: body.payment_method.as_deref(),
        shipping_address: body.shipping_address.as_ref().map(AddressBody::input),
    };
    let render: Render<NegotiationView> = &|n| idempotency::json_created(&NegotiationBody::from(n.clone()));
    let answer = negotiations::open(&state.app, &actor, input, key.rendered_by(render)).await?;
    idempotency::respond(answer, render)
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct ListParams {
    /// `buyer` (default): the negotiations you opened; `seller`: those of the shops you run.
    role: Option<String>,
    /// Only negotiations in this status.
    status: Option<String>,
    limit: Option<u32>,
    cursor: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct NegotiationList {
    items: Vec<NegotiationBody>,
    next_cursor: Option<String>,
}

/// Your negotiations, newest first.
#[utoipa::path(get, path = "/negotiations", tag = "negotiation", security(("bearer" = [])), params(ListParams),
    responses((status = 200, body = NegotiationList), (status = 422, body = Problem)))]
pub async fn list(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Query(q): Query<ListParams>,
) -> ApiResult<Json<NegotiationList>> {
    let side = match q.role.as_deref() {
        None | Some("buyer") => Side::Buyer,
        Some("seller") => Side::Seller,
        Some(_) => return Err(AppError::invalid("role", "must be buyer or seller").into()),
    };
    let page = negotiations::list(
        &state.app,
        &actor,
        side,
        q.status.as_deref(),
        q.cursor.as_deref(),
        q.limit.unwrap_or(20),
    )
    .await?;
    Ok(Json(NegotiationList {
        items: page.items.into_iter().map(Into::into).collect(),
        next_cursor: page.next_cursor,
    }))
}

/// One negotiation (its buyer, the shop's staff).
#[utoipa::path(get, path = "/negotiations/{id}", tag = "negotiation", security(("bearer" = [])), params(("id" = String, Path)),
    responses((status = 200, body = NegotiationBody), (status = 404, body = Problem)))]
pub async fn get(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<NegotiationBody>> {
    Ok(Json(negotiations::get(&state.app, &actor, &id).await?.into()))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct CounterBody {
    #[schema(value_type = MoneySchema)]
    unit_price: Money,
    /// The quantity proposed; the last round's when absent.
    quantity: Option<i64>,
    message: Option<String>,
    /// The last round's when absent.
    delivery_terms: Option<String>,
}

/// Answer the offer on the table with a counter-offer (the party whose turn it is). 409
/// `not-your-turn` out of turn, `negotiation-closed` after it ended.
#[utoipa::path(post, path = "/negotiations/{id}/counter", tag = "negotiation", security(("bearer" = [])), params(("id" = String, Path)),
    request_body = CounterBody,
    responses((status = 200, body = NegotiationBody), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn counter(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<CounterBody>,
) -> ApiResult<Json<NegotiationBody>> {
    let input = CounterInput {
        unit_price: body.unit_price,
        quantity: body.quantity,
        message: body.message.as_deref(),
        delivery_terms: body.delivery_terms.as_deref(),
    };
    Ok(Json(moves::counter(&state.app, &actor, &id, input).await?.into()))
}

/// Reject the offer on the table (the party whose turn it is); the negotiation ends.
#[utoipa::path(post, path = "/negotiations/{id}/reject", tag = "negotiation", security(("bearer" = [])), params(("id" = String, Path)),
    responses((status = 200, body = NegotiationBody), (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn reject(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<NegotiationBody>> {
    Ok(Json(
        moves::close(&state.app, &actor, &id, NegotiationAction::Reject)
            .await?
            .into(),
    ))
}

/// Withdraw your offer on the table (the party who made it); the negotiation ends.
#[utoipa::path(post, path = "/negotiations/{id}/withdraw", tag = "negotiation", security(("bearer" = [])), params(("id" = String, Path)),
    responses((status = 200, body = NegotiationBody), (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn withdraw(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<NegotiationBody>> {
    Ok(Json(
        moves::close(&state.app, &actor, &id, NegotiationAction::Withdraw)
            .await?
            .into(),
    ))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AcceptedBody {
    negotiation: NegotiationBody,
    contract: ContractBody,
    order: OrderBody,
}

/// Accept the offer on the table (the party whose turn it is): the platform signs a contract of
/// its terms and an order at the agreed price reserves the stock, to be paid like any order.
#[utoipa::path(post, path = "/negotiations/{id}/accept", tag = "negotiation", security(("bearer" = [])), params(("id" = String, Path)),
    responses((status = 200, body = AcceptedBody), (status = 404, body = Problem),
        (status = 409, body = Problem, description = "not-your-turn, negotiation-closed, out-of-stock")))]
pub async fn accept(
    State(state): State<AppState>,
    Auth(actor): Auth,
    key: TxKey,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let render: Render<Accepted> = &|a| {
        idempotency::json_ok(&AcceptedBody {
            negotiation: a.negotiation.clone().into(),
            contract: a.contract.clone().into(),
            order: a.order.clone().into(),
        })
    };
    let answer = moves::accept(&state.app, &actor, &id, key.rendered_by(render)).await?;
    idempotency::respond(answer, render)
}

/// Whether a product takes offers; the shop's staff also see the floor price.
#[utoipa::path(get, path = "/products/{id}/offer-settings", tag = "negotiation", params(("id" = String, Path)),
    responses((status = 200, body = OfferSettingsBody), (status = 404, body = Problem)))]
pub async fn get_settings(
    State(state): State<AppState>,
    MaybeAuth(actor): MaybeAuth,
    Path(id): Path<String>,
) -> ApiResult<Json<OfferSettingsBody>> {
    Ok(Json(offer_settings::get(&state.app, actor.as_ref(), &id).await?.into()))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct OfferSettingsInput {
    /// Whether buyers may make offers on this product.
    enabled: bool,
    /// Offers under this unit price are declined automatically; never shown to buyers.
    #[schema(value_type = Option<MoneySchema>)]
    floor_price: Option<Money>,
}

/// Switch offers on or off for a product and set its floor price (the shop's staff).
#[utoipa::path(put, path = "/products/{id}/offer-settings", tag = "negotiation", security(("bearer" = [])), params(("id" = String, Path)),
    request_body = OfferSettingsInput,
    responses((status = 200, body = OfferSettingsBody), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn set_settings(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<OfferSettingsInput>,
) -> ApiResult<Json<OfferSettingsBody>> {
    Ok(Json(
        offer_settings::set(&state.app, &actor, &id, body.enabled, body.floor_price)
            .await?
            .into(),
    ))
}
