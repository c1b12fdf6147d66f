//! The storefront: home page, search results, product pages.

use agora_app::offers::{self, OfferView};
use agora_app::products::{self, ProductSummary, ProductView};
use agora_app::shops::{self, ShopView};
use agora_app::AppError;
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

pub async fn home(State(state): State<AppState>, PageUser(user): PageUser, csrf: CsrfToken) -> PageResult {
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

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ProductQuery {
    quantity: Option<u32>,
    country: String,
}

#[derive(Template)]
#[template(path = "product.html")]
struct ProductPage {
    layout: Layout,
    product: ProductView,
    /// Attribute rows: product attributes, then each variant's.
    attributes: Vec<(String, String)>,
    offers: Vec<OfferView>,
    quantity: u32,
    country: String,
    offers_error: Option<String>,
}

fn attribute_rows(value: &serde_json::Value) -> Vec<(String, String)> {
    value
        .as_object()
        .map(|m| {
            m.iter()
                .map(|(k, v)| {
                    let text = match v {
                        serde_json::Value::String(s) => s.clone(),
                        serde_json::Value::Bool(true) => "yes".into(),
                        serde_json::Value::Bool(false) => "no".into(),
                        other => other.to_string(),
                    };
                    (k.replace('_', " "), text)
                })
                .collect()
        })
        .unwrap_or_default()
}

pub async fn product(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    csrf: CsrfToken,
    Path(id): Path<String>,
    Query(q): Query<ProductQuery>,
) -> PageResult {
    let product = products::get(&state.app, user.as_ref(), &id).await?;
    let quantity = q.quantity.unwrap_or(1).clamp(1, 1_000_000);
    let country = q.country.trim().to_uppercase();
    let (offers, offers_error) =
        match offers::for_product(&state.app, user.as_ref(), &id, quantity, Some(country.as_str())).await {
            Ok(offers) => (offers, None),
            Err(AppError::Invalid(e)) => (vec![], Some(e.to_string())),
            Err(err) => return Err(err.into()),
        };
    let attributes = attribute_rows(&product.attributes);
    let layout = Layout::new(&state, user, &csrf, product.title.clone()).await;
    Ok(render(&ProductPage {
        layout,
        product,
        attributes,
        offers,
        quantity,
        country,
        offers_error,
    }))
}

#[derive(Template)]
#[template(path = "storefront.html")]
struct StorefrontPage {
    layout: Layout,
    shop: ShopView,
    products: Vec<ProductSummary>,
}

/// A seller's storefront: its profile and its active products.
pub async fn storefront(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    csrf: CsrfToken,
    Path(slug): Path<String>,
) -> PageResult {
    let shop = shops::by_slug(&state.app, user.as_ref(), &slug).await?;
    let products = products::of_shop(&state.app, None, &shop.id).await?;
    let layout = Layout::new(&state, user, &csrf, shop.name.clone()).await;
    Ok(render(&StorefrontPage { layout, shop, products }))
}
