//! The storefront: home page, search results, product pages.

use agora_app::products::{self, ProductSummary, ProductView};
use askama::Template;
use axum::extract::{Path, Query, State};
use serde::Deserialize;

use super::{render, CsrfToken, Layout, PageResult, PageUser};
use crate::AppState;

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage {
    layout: Layout,
    products: Vec<ProductSummary>,
}

pub async fn home(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    csrf: CsrfToken,
) -> PageResult {
    let layout = Layout::new(&state, user, &csrf, "Agora — trade and negotiate online").await;
    let products = products::featured(&state.app, 12).await?;
    Ok(render(&HomePage { layout, products }))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct SearchQuery {
    q: String,
    category: String,
}

#[derive(Template)]
#[template(path = "search.html")]
struct SearchPage {
    layout: Layout,
    category: String,
    products: Vec<ProductSummary>,
}

pub async fn search(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    csrf: CsrfToken,
    Query(q): Query<SearchQuery>,
) -> PageResult {
    let category = (!q.category.is_empty()).then_some(q.category.as_str());
    let products = products::find(&state.app, &q.q, category, 48).await?;
    let title = if q.q.is_empty() {
        "All products".to_owned()
    } else {
        format!("Results for “{}”", q.q)
    };
    let mut layout = Layout::new(&state, user, &csrf, title).await;
    layout.q = q.q.clone();
    Ok(render(&SearchPage {
        layout,
        category: q.category,
        products,
    }))
}

#[derive(Template)]
#[template(path = "product.html")]
struct ProductPage {
    layout: Layout,
    product: ProductView,
}

pub async fn product(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    csrf: CsrfToken,
    Path(id): Path<String>,
) -> PageResult {
    let product = products::get(&state.app, user.as_ref(), &id).await?;
    let layout = Layout::new(&state, user, &csrf, product.title.clone()).await;
    Ok(render(&ProductPage { layout, product }))
}
