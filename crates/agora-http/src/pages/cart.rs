//! The cart page. Guests get a cart too, kept by a cookie; it joins the account's cart at login.

use agora_app::cart::{self, Cart, CartOf};
use agora_app::{Actor, AppError};
use askama::Template;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{AppendHeaders, IntoResponse};
use serde::Deserialize;

use super::{cookie, render, see_other, CsrfToken, Layout, PageError, PageForm, PageResult, PageUser};
use crate::extract::Query;
use crate::AppState;

pub const CART_COOKIE: &str = "agora_cart";

/// The cookie that keeps a guest's cart (30 days).
fn guest_cookie(state: &AppState, secret: &str) -> String {
    let secure = if state.settings.secure_cookies { "; Secure" } else { "" };
    format!("{CART_COOKIE}={secret}; Path=/; HttpOnly; SameSite=Lax; Max-Age=2592000{secure}")
}

/// Removes the guest cart cookie (after its cart joined the account's).
pub fn clear_guest_cookie() -> String {
    format!("{CART_COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0")
}

/// The guest cart's secret in the request, if it looks like one of ours.
pub fn guest_secret(headers: &HeaderMap) -> Option<&str> {
    cookie(headers, CART_COOKIE).filter(|s| s.len() == 43)
}

#[derive(Template)]
#[template(path = "cart.html")]
struct CartPage {
    layout: Layout,
    cart: Cart,
    error: Option<String>,
}

async fn page(
    state: &AppState,
    user: Option<Actor>,
    csrf: &CsrfToken,
    headers: &HeaderMap,
    error: Option<String>,
) -> Result<CartPage, PageError> {
    let cart = match (&user, guest_secret(headers)) {
        (Some(actor), _) => cart::view(&state.app, CartOf::Buyer(actor)).await?,
        (None, Some(secret)) => cart::view(&state.app, CartOf::Guest(secret)).await?,
        (None, None) => Cart::default(),
    };
    let layout = Layout::new(state, user, csrf, "Your cart").await;
    Ok(CartPage { layout, cart, error })
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ShowQuery {
    added: Option<String>,
}

pub async fn show(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    csrf: CsrfToken,
    headers: HeaderMap,
    Query(q): Query<ShowQuery>,
) -> PageResult {
    let mut page = page(&state, user, &csrf, &headers, None).await?;
    if q.added.is_some() {
        page.layout.notice = Some("Added to your cart.".into());
    }
    Ok(render(&page))
}

/// A refused change shows the cart again with the reason; anything else is an error page.
async fn refused(
    state: &AppState,
    user: Option<Actor>,
    csrf: &CsrfToken,
    headers: &HeaderMap,
    err: AppError,
) -> PageResult {
    let status = match &err {
        AppError::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
        AppError::Conflict { .. } => StatusCode::CONFLICT,
        _ => return Err(err.into()),
    };
    let message = format!("That did not work. {}", crate::words::message(&err));
    Ok((status, render(&page(state, user, csrf, headers, Some(message)).await?)).into_response())
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct AddForm {
    csrf: String,
    variant_id: String,
    quantity: String,
}

fn quantity_of(raw: &str) -> Result<i64, AppError> {
    raw.trim()
        .parse::<i64>()
        .map_err(|_| AppError::invalid("quantity", "enter a whole number of units"))
}

pub async fn add(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    csrf: CsrfToken,
    headers: HeaderMap,
    PageForm(form): PageForm<AddForm>,
) -> PageResult {
    csrf.check(&form.csrf)?;
    let mut new_secret = None;
    let result = match quantity_of(&form.quantity) {
        Err(err) => Err(err),
        Ok(quantity) => match (&user, guest_secret(&headers)) {
            (Some(actor), _) => cart::add(&state.app, CartOf::Buyer(actor), &form.variant_id, quantity).await,
            (None, existing) => {
                let secret = existing.map(str::to_owned).unwrap_or_else(cart::new_guest_secret);
                let result = cart::add(&state.app, CartOf::Guest(&secret), &form.variant_id, quantity).await;
                if existing.is_none() && result.is_ok() {
                    new_secret = Some(secret);
                }
                result
            }
        },
    };
    match result {
        Ok(_) => {
            let cookies: Vec<_> = new_secret
                .map(|s| (header::SET_COOKIE, guest_cookie(&state, &s)))
                .into_iter()
                .collect();
            Ok((AppendHeaders(cookies), see_other("/cart?added=1")).into_response())
        }
        Err(err) => refused(&state, user, &csrf, &headers, err).await,
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct QuantityForm {
    csrf: String,
    quantity: String,
}

fn cart_of<'a>(user: &'a Option<Actor>, headers: &'a HeaderMap) -> Result<CartOf<'a>, PageError> {
    match (user, guest_secret(headers)) {
        (Some(actor), _) => Ok(CartOf::Buyer(actor)),
        (None, Some(secret)) => Ok(CartOf::Guest(secret)),
        (None, None) => Err(AppError::NotFound("cart line").into()),
    }
}

pub async fn update(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    csrf: CsrfToken,
    headers: HeaderMap,
    Path(line): Path<String>,
    PageForm(form): PageForm<QuantityForm>,
) -> PageResult {
    csrf.check(&form.csrf)?;
    let of = cart_of(&user, &headers)?;
    let result = match quantity_of(&form.quantity) {
        Ok(quantity) => cart::set_quantity(&state.app, of, &line, quantity).await,
        Err(err) => Err(err),
    };
    match result {
        Ok(_) => Ok(see_other("/cart")),
        Err(err) => refused(&state, user, &csrf, &headers, err).await,
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct CsrfForm {
    csrf: String,
}

pub async fn remove(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    csrf: CsrfToken,
    headers: HeaderMap,
    Path(line): Path<String>,
    PageForm(form): PageForm<CsrfForm>,
) -> PageResult {
    csrf.check(&form.csrf)?;
    cart::remove(&state.app, cart_of(&user, &headers)?, &line).await?;
    Ok(see_other("/cart"))
}
