//! Categories and product pages.

use agora_app::idempotency::Render;
use agora_app::products;
use agora_app::stock::{self, StockChange};
use agora_app::variants;
use agora_app::{categories, images, price_comparison};
use agora_core::money::Money;
use agora_core::pricing::PriceTier;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::bodies::categories::CategoryNode;
use super::bodies::each;
use super::bodies::money::{MoneySchema, PriceTierSchema};
use super::bodies::offers::OfferView;
use super::bodies::products::{ImageView, ProductSummary, ProductView, VariantView};
use super::bodies::shops::MovementView;
use super::listing_input::{NewVariant, ProductPatch, VariantPatch};
use crate::extract::{ApiJson, Auth, MaybeAuth, Query};
use crate::idempotency::{self, TxKey};
use crate::problem::{ApiResult, Problem};
use crate::AppState;

/// The category tree.
#[utoipa::path(get, path = "/categories", tag = "catalog", responses((status = 200, body = Vec<CategoryNode>)))]
pub async fn categories(State(state): State<AppState>) -> ApiResult<Json<Vec<CategoryNode>>> {
    Ok(Json(each(categories::tree(&state.app).await?)))
}

/// A product with its variants, prices and stock.
#[utoipa::path(get, path = "/products/{id}", tag = "catalog", params(("id" = String, Path)),
    responses((status = 200, body = ProductView), (status = 404, body = Problem)))]
pub async fn get_product(
    State(state): State<AppState>,
    MaybeAuth(actor): MaybeAuth,
    Path(id): Path<String>,
) -> ApiResult<Json<ProductView>> {
    Ok(Json(products::get(&state.app, actor.as_ref(), &id).await?.into()))
}

/// Edit a product (its shop's staff): title, description, category, status, attributes, minimum order quantity.
#[utoipa::path(patch, path = "/products/{id}", tag = "catalog", security(("bearer" = [])), params(("id" = String, Path)),
    request_body = ProductPatch,
    responses((status = 200, body = ProductView), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn update_product(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<ProductPatch>,
) -> ApiResult<Json<ProductView>> {
    Ok(Json(
        products::update(&state.app, &actor, &id, body.into()).await?.into(),
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct StockBody {
    /// The new count of sellable units.
    stock: i64,
    /// Why, for the movement history (default "stock count").
    reason: Option<String>,
    /// Optionally, the stock at or below which the seller sees the variant as low (default 5).
    low_stock_threshold: Option<i64>,
}

/// Set a variant's stock (its shop's staff); the change is recorded as a stock movement.
#[utoipa::path(put, path = "/variants/{id}/stock", tag = "catalog", security(("bearer" = [])), params(("id" = String, Path)),
    request_body = StockBody,
    responses((status = 200, body = VariantView), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn set_stock(
    State(state): State<AppState>,
    Auth(actor): Auth,
    key: TxKey,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<StockBody>,
) -> ApiResult<Response> {
    let change = StockChange {
        stock: body.stock,
        reason: body.reason.as_deref(),
        low_stock_threshold: body.low_stock_threshold,
    };
    // It moves stock: the Idempotency-Key is claimed in the use case's transaction.
    let render: Render<agora_app::products::VariantView> = &|v| idempotency::json_ok(&VariantView::from(v.clone()));
    let answer = stock::set(&state.app, &actor, &id, change, key.rendered_by(render)).await?;
    idempotency::respond(answer, render)
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MovementList {
    items: Vec<MovementView>,
    next_cursor: Option<String>,
}

/// A variant's stock movements, newest first (its shop's staff).
#[utoipa::path(get, path = "/variants/{id}/movements", tag = "catalog", security(("bearer" = [])), params(("id" = String, Path)),
    responses((status = 200, body = MovementList), (status = 404, body = Problem)))]
pub async fn movements(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<MovementList>> {
    Ok(Json(MovementList {
        items: each(stock::movements(&state.app, &actor, &id).await?),
        next_cursor: None,
    }))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct OfferParams {
    /// Units to price (default 1): volume tiers apply.
    quantity: Option<u32>,
    /// The buyer's country (ISO 3166 alpha-2) for shipping.
    country: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OfferList {
    items: Vec<OfferView>,
}

/// The same item (same GTIN) from every shop that sells it, cheapest landed price first.
#[utoipa::path(get, path = "/products/{id}/offers", tag = "catalog", params(("id" = String, Path), OfferParams),
    responses((status = 200, body = OfferList), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn offers(
    State(state): State<AppState>,
    MaybeAuth(actor): MaybeAuth,
    Path(id): Path<String>,
    Query(q): Query<OfferParams>,
) -> ApiResult<Json<OfferList>> {
    let items = price_comparison::for_product(
        &state.app,
        actor.as_ref(),
        &id,
        q.quantity.unwrap_or(1),
        q.country.as_deref(),
    )
    .await?;
    Ok(Json(OfferList { items: each(items) }))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct CompanyPriceBody {
    #[schema(value_type = MoneySchema)]
    unit_price: Money,
}

/// Give a buyer company its own unit price for a variant (the shop's staff).
#[utoipa::path(put, path = "/variants/{id}/company-prices/{company_id}", tag = "catalog", security(("bearer" = [])),
    params(("id" = String, Path), ("company_id" = String, Path)), request_body = CompanyPriceBody,
    responses((status = 204), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn set_company_price(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path((id, company_id)): Path<(String, String)>,
    ApiJson(body): ApiJson<CompanyPriceBody>,
) -> ApiResult<StatusCode> {
    price_comparison::set_company_price(&state.app, &actor, &id, &company_id, body.unit_price).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct ShippingBody {
    #[schema(value_type = MoneySchema)]
    amount: Money,
}

/// Set the shop's shipping charge to a country (`*` for everywhere else).
#[utoipa::path(put, path = "/shops/{id}/shipping-rates/{country}", tag = "shops", security(("bearer" = [])),
    params(("id" = String, Path), ("country" = String, Path)), request_body = ShippingBody,
    responses((status = 204), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn set_shipping_rate(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path((id, country)): Path<(String, String)>,
    ApiJson(body): ApiJson<ShippingBody>,
) -> ApiResult<StatusCode> {
    price_comparison::set_shipping_rate(&state.app, &actor, &id, &country, body.amount).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ProductList {
    items: Vec<ProductSummary>,
    next_cursor: Option<String>,
}

/// A shop's products: the active ones, or all of them for the shop's staff.
#[utoipa::path(get, path = "/shops/{id}/products", tag = "catalog", params(("id" = String, Path)),
    responses((status = 200, body = ProductList), (status = 404, body = Problem)))]
pub async fn shop_products(
    State(state): State<AppState>,
    MaybeAuth(actor): MaybeAuth,
    Path(id): Path<String>,
) -> ApiResult<Json<ProductList>> {
    Ok(Json(ProductList {
        items: each(products::of_shop(&state.app, actor.as_ref(), &id).await?),
        next_cursor: None,
    }))
}

/// Add an image to a product (multipart field `file`: PNG, JPEG or WebP, at most 8 MiB); a
/// thumbnail is made for listings.
#[utoipa::path(post, path = "/products/{id}/images", tag = "catalog", security(("bearer" = [])), params(("id" = String, Path)),
    request_body(content_type = "multipart/form-data", content = Object),
    responses((status = 201, body = ImageView), (status = 404, body = Problem), (status = 413, body = Problem), (status = 415, body = Problem), (status = 422, body = Problem)))]
pub async fn upload_image(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<String>,
    multipart: axum::extract::Multipart,
) -> ApiResult<(StatusCode, Json<ImageView>)> {
    let form = crate::multipart::read(multipart, images::MAX_IMAGE_BYTES).await?;
    let (_, bytes) = form
        .file
        .ok_or_else(|| agora_app::AppError::invalid("file", "attach the image"))?;
    Ok((
        StatusCode::CREATED,
        Json(ImageView::from(&images::upload(&state.app, &actor, &id, bytes).await?)),
    ))
}

/// Remove an image from a product.
#[utoipa::path(delete, path = "/products/{id}/images/{image_id}", tag = "catalog", security(("bearer" = [])),
    params(("id" = String, Path), ("image_id" = String, Path)), responses((status = 204), (status = 404, body = Problem)))]
pub async fn delete_image(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path((id, image_id)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    images::delete(&state.app, &actor, &id, &image_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Add a variant to a product (its shop's staff).
#[utoipa::path(post, path = "/products/{id}/variants", tag = "catalog", security(("bearer" = [])), params(("id" = String, Path)),
    request_body = NewVariant,
    responses((status = 201, body = ProductView), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn add_variant(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<NewVariant>,
) -> ApiResult<(StatusCode, Json<ProductView>)> {
    Ok((
        StatusCode::CREATED,
        Json(variants::add(&state.app, &actor, &id, body.into()).await?.into()),
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct TiersBody {
    /// From `min_qty` units on, each costs `unit_price`; an empty list removes the tiers.
    #[schema(value_type = Vec<PriceTierSchema>)]
    price_tiers: Vec<PriceTier>,
}

/// Replace a variant's volume prices (its shop's staff).
#[utoipa::path(put, path = "/variants/{id}/price-tiers", tag = "catalog", security(("bearer" = [])), params(("id" = String, Path)),
    request_body = TiersBody,
    responses((status = 200, body = VariantView), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn set_tiers(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<TiersBody>,
) -> ApiResult<Json<VariantView>> {
    Ok(Json(
        variants::set_tiers(&state.app, &actor, &id, body.price_tiers)
            .await?
            .into(),
    ))
}

/// Change a variant (its shop's staff): price, SKU, GTIN, options, or archive it (`archived: true`
/// takes it off sale; a product keeps at least one variant on sale). A new price must be in the
/// variant's currency and fit its volume prices; it shows on the product page and in the
/// comparison at once and in search within a moment.
#[utoipa::path(patch, path = "/variants/{id}", tag = "catalog", security(("bearer" = [])), params(("id" = String, Path)),
    request_body = VariantPatch,
    responses((status = 200, body = VariantView), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn update_variant(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<VariantPatch>,
) -> ApiResult<Json<VariantView>> {
    Ok(Json(
        variants::update(&state.app, &actor, &id, body.into()).await?.into(),
    ))
}
