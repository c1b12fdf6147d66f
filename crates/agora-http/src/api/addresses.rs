//! The buyer's address book: saved delivery addresses to choose at checkout (`address_id` in
//! `POST /checkout`). Another account's address is 404.

use agora_app::addresses::{self, AddressView};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::orders::AddressBody;
use crate::extract::{ApiJson, Auth};
use crate::problem::{ApiResult, Problem};
use crate::AppState;

/// An address to save. Bad fields are named `address.…` (`address.country`).
#[derive(Debug, Deserialize, ToSchema)]
pub struct SaveAddressBody {
    address: AddressBody,
    /// Make it the default address (the first one saved is the default anyway).
    #[serde(default)]
    default: bool,
}

/// A saved address.
#[derive(Debug, Serialize, ToSchema)]
pub struct SavedAddressBody {
    id: String,
    /// `{name, line1, line2, city, postal_code, region, country, phone}`.
    #[schema(value_type = Object)]
    address: serde_json::Value,
    /// Checkout ships here when you give neither an address nor an `address_id`.
    default: bool,
    created_at: String,
}

impl From<AddressView> for SavedAddressBody {
    fn from(a: AddressView) -> Self {
        SavedAddressBody {
            id: a.id,
            address: serde_json::to_value(&a.address).unwrap_or_default(),
            default: a.is_default,
            created_at: a.created_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AddressList {
    /// The default first, then oldest first.
    items: Vec<SavedAddressBody>,
    next_cursor: Option<String>,
}

/// Your saved addresses.
#[utoipa::path(get, path = "/account/addresses", tag = "accounts", security(("bearer" = [])),
    responses((status = 200, body = AddressList), (status = 401, body = Problem)))]
pub async fn list(State(state): State<AppState>, Auth(actor): Auth) -> ApiResult<Json<AddressList>> {
    let items = addresses::list(&state.app, &actor).await?;
    Ok(Json(AddressList {
        items: items.into_iter().map(Into::into).collect(),
        next_cursor: None,
    }))
}

/// Save an address.
#[utoipa::path(post, path = "/account/addresses", tag = "accounts", security(("bearer" = [])),
    request_body = SaveAddressBody,
    responses((status = 201, body = SavedAddressBody), (status = 422, body = Problem)))]
pub async fn create(
    State(state): State<AppState>,
    Auth(actor): Auth,
    ApiJson(body): ApiJson<SaveAddressBody>,
) -> ApiResult<(StatusCode, Json<SavedAddressBody>)> {
    let saved = addresses::create(&state.app, &actor, body.address.input(), body.default).await?;
    Ok((StatusCode::CREATED, Json(saved.into())))
}

/// One of your saved addresses.
#[utoipa::path(get, path = "/account/addresses/{id}", tag = "accounts", security(("bearer" = [])), params(("id" = String, Path)),
    responses((status = 200, body = SavedAddressBody), (status = 404, body = Problem)))]
pub async fn get(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<SavedAddressBody>> {
    Ok(Json(addresses::get(&state.app, &actor, &id).await?.into()))
}

/// Change one of your saved addresses (with `"default": true`, also make it the default).
#[utoipa::path(put, path = "/account/addresses/{id}", tag = "accounts", security(("bearer" = [])), params(("id" = String, Path)),
    request_body = SaveAddressBody,
    responses((status = 200, body = SavedAddressBody), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn update(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<SaveAddressBody>,
) -> ApiResult<Json<SavedAddressBody>> {
    let saved = addresses::update(&state.app, &actor, &id, body.address.input(), body.default).await?;
    Ok(Json(saved.into()))
}

/// Delete one of your saved addresses (orders keep the address they were shipped to).
#[utoipa::path(delete, path = "/account/addresses/{id}", tag = "accounts", security(("bearer" = [])), params(("id" = String, Path)),
    responses((status = 204), (status = 404, body = Problem)))]
pub async fn delete(State(state): State<AppState>, Auth(actor): Auth, Path(id): Path<String>) -> ApiResult<StatusCode> {
    addresses::delete(&state.app, &actor, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}
