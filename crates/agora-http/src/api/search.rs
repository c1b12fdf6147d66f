//! Catalog search and autocomplete.

use std::collections::HashMap;

use agora_app::search::{self, SearchInput};
use axum::extract::State;
use axum::Json;
use serde::Serialize;
use utoipa::ToSchema;

use super::bodies::search::SearchPage;
use crate::extract::Query;
use crate::problem::{ApiResult, Problem};
use crate::AppState;

/// Reads the search parameters from a query string. Attribute filters are `attr.KEY=VALUE`.
pub fn input_of(params: &HashMap<String, String>) -> Result<SearchInput, agora_app::AppError> {
    let price = |name: &str| -> Result<Option<i64>, agora_app::AppError> {
        match params.get(name).map(|v| v.trim()).filter(|v| !v.is_empty()) {
            None => Ok(None),
            Some(v) => v.parse::<i64>().ok().filter(|p| *p >= 0).map(Some).ok_or_else(|| {
                agora_app::AppError::invalid(name, "must be a whole number of minor units (cents), 0 or more")
            }),
        }
    };
    let limit = match params.get("limit").filter(|v| !v.is_empty()) {
        None => None,
        Some(v) => Some(
            v.parse::<usize>()
                .map_err(|_| agora_app::AppError::invalid("limit", "must be between 1 and 100"))?,
        ),
    };
    let mut attributes: Vec<(String, String)> = params
        .iter()
        .filter_map(|(k, v)| k.strip_prefix("attr.").map(|key| (key.to_owned(), v.clone())))
        .filter(|(_, v)| !v.is_empty())
        .collect();
    attributes.sort();
    Ok(SearchInput {
        q: params.get("q").cloned().unwrap_or_default(),
        category: params.get("category").cloned(),
        shop: params.get("shop").cloned(),
        min_price: price("min_price")?,
        max_price: price("max_price")?,
        attributes,
        in_stock: params
            .get("in_stock")
            .is_some_and(|v| v == "true" || v == "1" || v == "on"),
        sort: params.get("sort").cloned(),
        cursor: params.get("cursor").cloned(),
        limit,
    })
}

/// Search the catalog: relevance-ranked, typo-tolerant, with filters and facet counts.
/// Parameters: `q`, `category` (a slug; its whole subtree), `shop` (an id), `min_price` and
/// `max_price` (minor units), `attr.KEY=VALUE`, `in_stock=true`, `sort` (`relevance`, `price_asc`,
/// `price_desc`, `newest`, `rating`), `cursor`, `limit` (1 to 100).
#[utoipa::path(get, path = "/search", tag = "catalog",
    params(("q" = Option<String>, Query), ("category" = Option<String>, Query), ("shop" = Option<String>, Query),
           ("min_price" = Option<i64>, Query), ("max_price" = Option<i64>, Query), ("sort" = Option<String>, Query),
           ("in_stock" = Option<bool>, Query), ("cursor" = Option<String>, Query), ("limit" = Option<usize>, Query)),
    responses((status = 200, body = SearchPage), (status = 422, body = Problem)))]
pub async fn search(
    State(state): State<AppState>,
    Query(params): Query<HashMap<String, String>>,
) -> ApiResult<Json<SearchPage>> {
    let input = input_of(&params)?;
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
