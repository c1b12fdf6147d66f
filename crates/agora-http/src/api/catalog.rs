//! Categories and product pages.

use agora_app::categories::{self, CategoryNode};
use agora_app::products::{self, ProductView};
use axum::extract::{Path, State};
use axum::Json;

use crate::extract::MaybeAuth;
use crate::problem::{ApiResult, Problem};
use crate::AppState;

/// The category tree.
#[utoipa::path(get, path = "/categories", tag = "catalog", responses((status = 200, body = Vec<CategoryNode>)))]
pub async fn categories(State(state): State<AppState>) -> ApiResult<Json<Vec<CategoryNode>>> {
    Ok(Json(categories::tree(&state.app).await?))
}

/// A product with its variants, prices and stock.
#[utoipa::path(get, path = "/products/{id}", tag = "catalog", params(("id" = String, Path)),
    responses((status = 200, body = ProductView), (status = 404, body = Problem)))]
pub async fn get_product(
    State(state): State<AppState>,
    MaybeAuth(actor): MaybeAuth,
    Path(id): Path<String>,
) -> ApiResult<Json<ProductView>> {
    Ok(Json(products::get(&state.app, actor.as_ref(), &id).await?))
}
