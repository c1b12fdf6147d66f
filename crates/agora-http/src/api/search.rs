//! Catalog search and autocomplete.

use std::collections::HashMap;

use agora_app::search;
use axum::extract::State;
use axum::Json;
use serde::Serialize;
use utoipa::ToSchema;

use super::bodies::search::SearchPage;
use crate::extract::Query;
use crate::problem::{ApiResult, Problem};
use crate::AppState;

/// Search the catalog: relevance-ranked, typo-tolerant, with filters and facet counts.
/// Parameters: `q`, `category` (a slug; its whole subtree), `shop` (an id), `min_price` and
/// `max_price` (minor units), `attr.KEY=VALUE`, `in_stock=true`, `exact=true` (the words as typed,
/// no typo tolerance), `sort` (`relevance`, `price_asc`, `price_desc`, `newest`, `rating`),
/// `cursor`, `limit` (1 to 100).
#[utoipa::path(get, path = "/search", tag = "catalog",
    params(("q" = Option<String>, Query), ("category" = Option<String>, Query), ("shop" = Option<String>, Query),
           ("min_price" = Option<i64>, Query), ("max_price" = Option<i64>, Query), ("sort" = Option<String>, Query),
           ("in_stock" = Option<bool>, Query), ("exact" = Option<bool>, Query), ("cursor" = Option<String>, Query),
           ("limit" = Option<usize>, Query)),
    responses((status = 200, body = SearchPage), (status = 422, body = Problem)))]
pub async fn search(
    State(state): State<AppState>,
    Query(params): Query<HashMap<String, String>>,
) -> ApiResult<Json<SearchPage>> {
    let input = crate::extract::search_input(&params)?;
    Ok(Json(search::search(&state.app, input).await?.into()))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Suggestions {
    items: Vec<String>,
}

/// Autocomplete suggestions for what has been typed so far (`q`).
#[utoipa::path(get, path = "/search/suggest", tag = "catalog", params(("q" = String, Query)),
    responses((status = 200, body = Suggestions)))]
pub async fn suggest(
    State(state): State<AppState>,
    Query(params): Query<HashMap<String, String>>,
) -> ApiResult<Json<Suggestions>> {
    let q = params.get("q").map(String::as_str).unwrap_or_default();
    Ok(Json(Suggestions {
        items: search::suggest(&state.app, q).await?,
    }))
}
