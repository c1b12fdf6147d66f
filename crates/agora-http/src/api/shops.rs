//! Shop applications, their documents, and listing products.

use agora_app::products;
use agora_app::shops::{self, ApplyInput, Upload};
use axum::extract::{Multipart, Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::Json;
use serde::Deserialize;
use utoipa::ToSchema;

use super::bodies::products::ProductView;
use super::bodies::shops::{QualificationView, ShopView};
use super::listing_input::NewProduct;
use crate::extract::{ApiJson, Auth, MaybeAuth};
use crate::problem::{ApiResult, Problem};
use crate::AppState;

#[derive(Debug, Deserialize, ToSchema)]
pub struct ApplyBody {
    name: String,
    legal_name: String,
    registration_number: Option<String>,
    /// Category slugs the shop wants to sell in.
    #[serde(default)]
    categories: Vec<String>,
    /// Open the shop for the caller's company (company admins and sales members).
    #[serde(default)]
    for_company: bool,
}

/// Apply to open a shop; it waits in the operator's review queue as `pending`.
#[utoipa::path(post, path = "/shops", tag = "shops", security(("bearer" = [])), request_body = ApplyBody,
    responses((status = 201, body = ShopView), (status = 422, body = Problem)))]
pub async fn apply(
    State(state): State<AppState>,
    Auth(actor): Auth,
    ApiJson(body): ApiJson<ApplyBody>,
) -> ApiResult<(StatusCode, Json<ShopView>)> {
    let input = ApplyInput {
        name: body.name,
        legal_name: body.legal_name,
        registration_number: body.registration_number,
        categories: body.categories,
        for_company: body.for_company,
    };
    Ok((
        StatusCode::CREATED,
        Json(shops::apply(&state.app, &actor, input).await?.into()),
    ))
}

/// A shop's profile. Shops not yet approved are visible only to their staff and operators (404 otherwise).
#[utoipa::path(get, path = "/shops/{id}", tag = "shops", params(("id" = String, Path)),
    responses((status = 200, body = ShopView), (status = 404, body = Problem)))]
pub async fn get_shop(
    State(state): State<AppState>,
    MaybeAuth(actor): MaybeAuth,
    Path(id): Path<String>,
) -> ApiResult<Json<ShopView>> {
    Ok(Json(shops::get(&state.app, actor.as_ref(), &id).await?.into()))
}

/// Upload a qualification document (PDF, PNG or JPEG, at most 10 MiB) as multipart fields
/// `file`, `kind` and optionally `expires_on` (`YYYY-MM-DD`).
#[utoipa::path(post, path = "/shops/{id}/qualifications", tag = "shops", security(("bearer" = [])), params(("id" = String, Path)),
    request_body(content_type = "multipart/form-data", content = Object),
    responses((status = 201, body = QualificationView), (status = 404, body = Problem), (status = 409, body = Problem), (status = 413, body = Problem), (status = 415, body = Problem), (status = 422, body = Problem)))]
pub async fn upload_qualification(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<String>,
    multipart: Multipart,
) -> ApiResult<(StatusCode, Json<QualificationView>)> {
    let max = state.app.settings.max_upload_bytes;
    let form = crate::multipart::read(multipart, max).await?;
    // A missing file is reported by the use case, once it knows the shop is the actor's.
    let (filename, bytes) = form.file.clone().unwrap_or_default();
    let upload = Upload {
        kind: form.text("kind").unwrap_or_default().to_owned(),
        expires_on: form.text("expires_on").map(str::to_owned),
        filename,
        bytes,
    };
    Ok((
        StatusCode::CREATED,
        Json(
            shops::upload_qualification(&state.app, &actor, &id, upload)
                .await?
                .into(),
        ),
    ))
}

/// Download a qualification document (its shop's staff and operators).
#[utoipa::path(get, path = "/qualifications/{id}/document", tag = "shops", security(("bearer" = [])), params(("id" = String, Path)),
    responses((status = 200, content_type = "application/octet-stream", body = Vec<u8>), (status = 404, body = Problem)))]
pub async fn download_document(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<String>,
) -> ApiResult<impl IntoResponse> {
    let (doc, bytes) = shops::document(&state.app, &actor, &id).await?;
    Ok(crate::frame::document_response(doc, bytes))
}

/// List a product in the shop (approved shops; restricted categories need a valid licence).
#[utoipa::path(post, path = "/shops/{id}/products", tag = "catalog", security(("bearer" = [])), params(("id" = String, Path)),
    request_body = NewProduct,
    responses((status = 201, body = ProductView), (status = 403, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn create_product(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<NewProduct>,
) -> ApiResult<(StatusCode, Json<ProductView>)> {
    Ok((
        StatusCode::CREATED,
        Json(products::create(&state.app, &actor, &id, body.into()).await?.into()),
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct PriceModeBody {
    /// `tax_inclusive` or `tax_exclusive`.
    price_mode: String,
}

/// Set whether the shop's prices contain tax (its staff). Orders already placed keep their mode.
#[utoipa::path(put, path = "/shops/{id}/price-mode", tag = "shops", security(("bearer" = [])), params(("id" = String, Path)),
    request_body = PriceModeBody,
    responses((status = 200, body = ShopView), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn set_price_mode(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<PriceModeBody>,
) -> ApiResult<Json<ShopView>> {
    Ok(Json(
        shops::set_price_mode(&state.app, &actor, &id, &body.price_mode)
            .await?
            .into(),
    ))
}
