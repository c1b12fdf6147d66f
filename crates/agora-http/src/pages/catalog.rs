//! The storefront: home page, search results, product pages.

use agora_app::price_comparison::{self, OfferView};
use agora_app::products::{self, ProductSummary, ProductView, VariantView};
use agora_app::search::SearchPage;
use agora_app::shops::{self, ShopView};
use agora_app::AppError;
use askama::Template;
use axum::extract::{Path, State};
use serde::Deserialize;
use std::collections::HashMap;

use super::search_results;
use super::variant_picker::{self, OptionGroup};
use super::{render, CsrfToken, Layout, PageResult, PageUser};
use crate::extract::Query;
use crate::media::ImageUrls;
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

pub async fn search(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    csrf: CsrfToken,
    Query(raw): Query<HashMap<String, String>>,
) -> PageResult {
    let params = search_results::params(&raw);
    let (page, error) = match crate::extract::search_input(&raw) {
        Ok(input) => match agora_app::search::search(&state.app, input).await {
            Ok(page) => (page, None),
            Err(err @ AppError::Invalid(_)) => (SearchPage::default(), Some(crate::words::message(&err))),
            Err(err) => return Err(err.into()),
        },
        Err(err) => (SearchPage::default(), Some(crate::words::message(&err))),
    };
    let q = params.get("q").cloned().unwrap_or_default();
    let category_name = match params.get("category") {
        Some(slug) => category_trail(&state, slug).await?.pop().map(|(_, name)| name),
        None => None,
    };
    let title = search_results::title(&q, category_name.as_deref());
    let mut layout = Layout::new(&state, user, &csrf, title)
        .await
        .describe(search_results::description(&q));
    layout.q = q;
    Ok(search_results::respond(layout, page, params, category_name, error))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ProductQuery {
    quantity: Option<u32>,
    country: String,
    /// The variant chosen with the picker.
    variant: Option<String>,
    /// Why the last offer (or offer settings change) was refused.
    offer_error: Option<String>,
    offers_saved: Option<String>,
}

#[derive(Template)]
#[template(path = "product.html")]
struct ProductPage {
    layout: Layout,
    /// With its description's HTML, rendered safely when it was saved.
    product: ProductView,
    /// Attribute rows: product attributes, then each variant's.
    attributes: Vec<(String, String)>,
    offers: Vec<OfferView>,
    /// The offers' products' thumbnails: `(product id, blob key)`.
    offer_thumbs: Vec<(String, String)>,
    quantity: u32,
    country: String,
    offers_error: Option<String>,
    /// The variant the buy box shows: the one picked, or the first in stock.
    selected: Option<VariantView>,
    picker: Vec<OptionGroup>,
    /// Whether the product takes offers (and, for the shop's staff, its floor).
    offer_settings: Option<agora_app::deals::offer_settings::OfferSettings>,
    offer_error: Option<String>,
    /// The floor price in a form's notation, for the shop's staff.
    floor_text: String,
    /// The category and its parents, root first: `(slug, name)`.
    trail: Vec<(String, String)>,
    /// The quantity asked for, to compare with each seller's stock.
    wanted: i64,
    /// Whether some seller has fewer than that in stock.
    short_stock: bool,
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

/// A product page's meta description: the start of the product's own description, or what it is
/// and who sells it when it has none.
fn product_description(product: &ProductView) -> String {
    let own = super::text_summary::shorten(&product.description_text, 160);
    if own.is_empty() {
        format!("{}, sold by {} on Agora.", product.title, product.shop.name)
    } else {
        own
    }
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
    let country = match (q.country.trim(), user.as_ref()) {
        // The default address's country came with the session: no read of its own.
        ("", Some(actor)) => actor.default_country.map(|c| c.code().to_owned()).unwrap_or_default(),
        (typed, _) => typed.to_uppercase(),
    };
    let (offers, offers_error) =
        match price_comparison::for_product(&state.app, user.as_ref(), &id, quantity, Some(country.as_str())).await {
            Ok(offers) => (offers, None),
            Err(err @ AppError::Invalid(_)) => (vec![], Some(crate::words::message(&err))),
            Err(err) => return Err(err.into()),
        };
    let offer_ids: Vec<String> = offers.iter().map(|o| o.product_id.clone()).collect();
    let offer_thumbs = products::thumbnails(&state.app, &offer_ids).await?;
    let attributes = attribute_rows(&product.attributes);
    let on_sale: Vec<VariantView> = product.variants.iter().filter(|v| !v.archived).cloned().collect();
    let selected = q
        .variant
        .as_deref()
        .and_then(|id| on_sale.iter().find(|v| v.id == id))
        .or_else(|| on_sale.iter().find(|v| v.stock > 0))
        .or_else(|| on_sale.first())
        .cloned();
    let picker = match &selected {
        Some(s) => {
            let declared = agora_app::categories::attributes_of(&state.app, &product.category).await?;
            variant_picker::groups(&on_sale, &declared, s)
        }
        None => vec![],
    };
    let offer_settings = agora_app::deals::offer_settings::get(&state.app, user.as_ref(), &id)
        .await
        .ok();
    let floor_text = offer_settings
        .as_ref()
        .and_then(|s| s.floor)
        .map(|f| format!("{}.{:02}", f.minor / 100, f.minor % 100))
        .unwrap_or_default();
    let notice = q.offers_saved.as_ref().map(|_| "Offer settings saved.".to_owned());
    let trail = category_trail(&state, &product.category).await?;
    let wanted = i64::from(quantity);
    let short_stock = offers.iter().any(|o| o.stock < wanted);
    let mut layout = Layout::new(&state, user, &csrf, product.title.clone())
        .await
        .describe(product_description(&product))
        .with_notice(notice);
    layout.og_type = "product";
    Ok(render(&ProductPage {
        layout,
        product,
        attributes,
        offers,
        offer_thumbs,
        quantity,
        country,
        offers_error,
        selected,
        picker,
        offer_settings,
        offer_error: q.offer_error,
        floor_text,
        trail,
        wanted,
        short_stock,
    }))
}

/// A category and its parents, root first, as `(slug, name)` for the breadcrumbs.
async fn category_trail(state: &AppState, slug: &str) -> Result<Vec<(String, String)>, AppError> {
    let rows = agora_app::categories::rows(&state.app).await?;
    let mut trail = Vec::new();
    let mut next = Some(slug.to_owned());
    while let Some(current) = next.take() {
        let Some(row) = rows.iter().find(|r| r.slug == current) else {
            break;
        };
        if trail.len() > 16 {
            break;
        }
        trail.push((row.slug.clone(), row.name.clone()));
        next = row.parent.clone();
    }
    trail.reverse();
    Ok(trail)
}

#[derive(Template)]
#[template(path = "storefront.html")]
struct StorefrontPage {
    layout: Layout,
    shop: ShopView,
    products: Vec<ProductSummary>,
    /// The shop's median first-response time, in words.
    reply_time: Option<String>,
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
    let description = format!(
        "{}: products from {}, a shop verified by Agora.",
        shop.name, shop.legal_name
    );
    let reply_time = agora_app::conversations::median_reply_ms(&state.app, &shop.id)
        .await?
        .map(super::messages::duration_words);
    let layout = Layout::new(&state, user, &csrf, shop.name.clone())
        .await
        .describe(description);
    Ok(render(&StorefrontPage {
        layout,
        shop,
        products,
        reply_time,
    }))
}

/// Up to two initials of a title, for the picture placeholder of a product without pictures.
pub fn initials(title: &str) -> String {
    title
        .split_whitespace()
        .filter_map(|w| w.chars().find(|c| c.is_alphanumeric()))
        .take(2)
        .flat_map(char::to_uppercase)
        .collect()
}
