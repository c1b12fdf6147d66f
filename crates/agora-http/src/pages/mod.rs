//! The server-rendered web pages: storefront, account, seller centre and back office. Each page is a
//! typed template struct; forms post back, show errors next to their fields and keep what was typed.

mod account;
mod addresses;
mod admin;
mod admin_jobs;
mod auth;
mod cart;
mod catalog;
mod checkout_choices;
mod csrf;
mod finance;
pub(crate) mod messages;
pub(crate) mod negotiations;
pub(crate) mod orders;
mod pay;
pub(crate) mod payments;
mod quote_moves;
pub(crate) mod rfqs;
mod search_results;
mod sell;
mod seller_catalog;
mod seller_coupons;
mod seller_home;
pub(crate) mod seller_imports;
mod seller_shipping;
mod seller_variants;
mod shop_ratings;
mod statements;
mod text_summary;
mod variant_picker;

use agora_app::{Actor, AppError};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use serde::de::DeserializeOwned;

use crate::AppState;

pub use crate::cookies::{clear_session_cookie, login_cookies, SESSION_COOKIE};
pub use crate::frame::document_response;
use crate::frame::render_error;
pub use crate::frame::{render, CategoryLink, Layout, SITE_DESCRIPTION};
pub use csrf::CsrfToken;

pub fn routes(state: &AppState) -> Router<AppState> {
    // The storefront as anonymous visitors see it is the same for all of them: kept whole.
    let storefront = Router::new()
        .route("/", get(catalog::home))
        .route("/search", get(catalog::search))
        .route("/p/{id}", get(catalog::product))
        .route("/s/{slug}", get(catalog::storefront))
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            crate::public_cache::serve,
        ));
    Router::new()
        .merge(storefront)
        .route("/cart", get(cart::show))
        .route("/cart/items", post(cart::add))
        .route("/cart/items/{line}", post(cart::update))
        .route("/cart/items/{line}/remove", post(cart::remove))
        .route("/checkout", get(orders::checkout_form).post(orders::checkout))
        .route("/orders", get(orders::buyer_list))
        .route("/orders/{id}", get(orders::detail))
        .route("/orders/{id}/reorder", post(orders::reorder))
        .route("/orders/{id}/rating", post(shop_ratings::rate))
        .route("/orders/{id}/{action}", post(orders::action))
        .route("/sell/orders", get(orders::seller_list))
        .route("/messages", get(messages::inbox).post(messages::create))
        .route("/messages/new", get(messages::new_form))
        .route("/messages/{id}", get(messages::show).post(messages::post))
        .route("/messages/{id}/read", post(messages::read))
        .route("/messages/{id}/files/{message_id}", get(messages::file))
        .route("/pay/{id}", get(pay::start))
        .route("/pay/{id}/return", get(pay::result))
        .route("/pay/{id}/retry", post(pay::retry))
        .route(
            "/negotiations",
            get(negotiations::buyer_list).post(negotiations::create),
        )
        .route("/negotiations/{id}", get(negotiations::detail))
        .route("/negotiations/{id}/{action}", post(negotiations::act))
        .route("/sell/negotiations", get(negotiations::seller_list))
        .route("/rfqs", get(rfqs::buyer_list).post(rfqs::create))
        .route("/rfqs/new", get(rfqs::new_form))
        .route("/rfqs/{id}", get(rfqs::detail))
        .route("/rfqs/{id}/quotes", post(rfqs::submit_quote))
        .route("/quotes/{id}/accept", post(rfqs::accept_quote))
        .route("/quotes/{id}/withdraw", post(quote_moves::withdraw))
        .route("/quotes/{id}/conversation", post(quote_moves::ask))
        .route("/rfqs/{id}/cancel", post(quote_moves::cancel))
        .route("/sell/rfqs", get(rfqs::marketplace))
        .route("/contracts/{id}", get(rfqs::contract))
        .route("/contracts/{id}/download", get(rfqs::download))
        .route("/sell/products/{id}/offer-settings", post(negotiations::set_settings))
        .route("/register", get(auth::register_form).post(auth::register))
        .route("/login", get(auth::login_form).post(auth::login))
        .route("/logout", post(auth::logout))
        .route("/account", get(account::overview))
        .route("/account/password", post(account::change_password))
        .route("/account/tokens", post(account::create_token))
        .route("/account/tokens/{id}/revoke", post(account::revoke_token))
        .route("/account/invitations/{id}/accept", post(account::accept_invitation))
        .route("/account/invitations/{id}/decline", post(account::decline_invitation))
        .route("/account/company", get(account::company))
        .route("/account/company/orders", get(orders::company_list))
        .route("/account/company/approval-limit", post(account::set_approval_limit))
        .route("/account/company/members", post(account::invite_member))
        .route("/account/company/members/{id}/role", post(account::set_role))
        .route("/account/company/members/{id}/remove", post(account::remove_member))
        .route(
            "/account/company/invitations/{id}/withdraw",
            post(account::withdraw_invitation),
        )
        .route("/sell/apply", get(sell::apply_form).post(sell::apply))
        .route("/sell/shops/{id}", get(sell::shop))
        .route("/sell/shops/{id}/price-mode", post(sell::set_price_mode))
        .route("/sell/shops/{id}/documents", post(sell::upload))
        .route("/sell", get(seller_home::home))
        .route("/sell/shops/{id}/products", get(seller_home::products))
        .route(
            "/sell/shops/{id}/imports",
            get(seller_imports::list).post(seller_imports::upload),
        )
        .route("/sell/shops/{id}/imports/{import}", get(seller_imports::show))
        .route("/sell/shops/{id}/imports/{import}/start", post(seller_imports::start))
        .route(
            "/sell/shops/{id}/imports/{import}/progress",
            get(seller_imports::progress),
        )
        .route(
            "/sell/shops/{id}/coupons",
            get(seller_coupons::list).post(seller_coupons::create),
        )
        .route("/sell/coupons/{id}/deactivate", post(seller_coupons::deactivate))
        .route(
            "/sell/coupons/{id}/edit",
            get(seller_coupons::edit_form).post(seller_coupons::edit),
        )
        .route(
            "/admin/coupons",
            get(seller_coupons::platform_list).post(seller_coupons::platform_create),
        )
        .route(
            "/sell/shops/{id}/shipping",
            get(seller_shipping::list).post(seller_shipping::create),
        )
        .route(
            "/sell/shops/{id}/shipping/{method}/remove",
            post(seller_shipping::remove),
        )
        .route("/account/addresses", get(addresses::list).post(addresses::create))
        .route("/account/addresses/{id}/default", post(addresses::make_default))
        .route("/account/addresses/{id}/delete", post(addresses::delete))
        .route(
            "/sell/shops/{id}/products/new",
            get(seller_catalog::new_form).post(seller_catalog::create),
        )
        .route(
            "/sell/products/{id}",
            get(seller_catalog::edit).post(seller_catalog::save),
        )
        .route(
            "/sell/products/{id}/variants/{variant}/stock",
            post(seller_variants::set_stock),
        )
        .route("/sell/products/{id}/images", post(seller_catalog::upload_image))
        .route("/sell/products/{id}/variants", post(seller_variants::add))
        .route("/sell/products/{id}/variants/{variant}", post(seller_variants::update))
        .route(
            "/sell/products/{id}/variants/{variant}/archive",
            post(seller_variants::archive),
        )
        .route(
            "/sell/products/{id}/variants/{variant}/tiers",
            post(seller_variants::set_tiers),
        )
        .route(
            "/sell/products/{id}/variants/{variant}/weight",
            post(seller_catalog::set_weight),
        )
        .route(
            "/sell/products/{id}/images/{image}/delete",
            post(seller_catalog::delete_image),
        )
        .route("/sell/shops/{id}/finance", get(finance::finance))
        .route("/sell/shops/{id}/payout-account", post(finance::set_account))
        .route("/sell/shops/{id}/payouts", post(finance::request_payout))
        .route("/sell/shops/{id}/settlement", get(finance::settlement_csv))
        .route("/admin/payouts", get(finance::admin_payouts))
        .route("/admin/payouts/{id}/sent", post(finance::mark_sent))
        .route("/admin/payouts/{id}/failed", post(finance::mark_failed))
        .route(
            "/admin/commission",
            get(finance::admin_commission).post(finance::set_rate),
        )
        .route("/documents/{id}", get(sell::document))
        .route("/admin/shops", get(admin::queue))
        .route("/admin/shops/{id}", get(admin::shop))
        .route("/admin/shops/{id}/decision", post(admin::decide))
        .route("/admin/jobs", get(admin_jobs::list))
        .route("/admin/jobs/{id}/retry", post(admin_jobs::retry))
        .route("/admin/finance", get(payments::finance))
        .route("/admin/finance/payments/{id}/confirm", post(payments::confirm))
        .route("/admin/finance/payments/{id}/resolve", post(payments::resolve))
        .route("/admin/finance/statements", post(statements::import))
        .route("/admin/finance/statement-lines/{id}/assign", post(statements::assign))
        .route("/account/wallet", get(payments::wallet))
        .route("/account/wallet/top-ups", post(payments::top_up))
        .layer(axum::middleware::from_fn_with_state(state.clone(), csrf::ensure_cookie))
}

impl Layout {
    pub async fn new(state: &AppState, user: Option<Actor>, csrf: &CsrfToken, title: impl Into<String>) -> Layout {
        let categories = agora_app::categories::tree(&state.app)
            .await
            .map(|tree| {
                tree.into_iter()
                    .map(|c| CategoryLink {
                        slug: c.slug,
                        name: c.name,
                    })
                    .collect()
            })
            .unwrap_or_default();
        Layout {
            title: title.into(),
            user,
            csrf: csrf.0.clone(),
            categories,
            q: String::new(),
            notice: None,
            description: SITE_DESCRIPTION.to_owned(),
            og_type: "website",
            assets: crate::assets::urls(),
        }
    }

    /// The page's own meta description.
    pub fn describe(mut self, description: impl Into<String>) -> Self {
        self.description = description.into();
        self
    }

    /// The notice after an action, always a sentence ("Saved.").
    pub fn with_notice(mut self, notice: Option<String>) -> Self {
        self.notice = notice.map(|n| crate::words::closed(&n));
        self
    }
}

/// The logged-in account of a page request, from the session cookie.
pub struct PageUser(pub Option<Actor>);

pub(crate) fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

impl FromRequestParts<AppState> for PageUser {
    type Rejection = PageError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, PageError> {
        match cookie(&parts.headers, SESSION_COOKIE) {
            Some(secret) => Ok(PageUser(agora_app::accounts::authenticate(&state.app, secret).await?)),
            None => Ok(PageUser(None)),
        }
    }
}

impl PageUser {
    /// The account, or a redirect to the login page that comes back here.
    pub fn require(self, back_to: &str) -> Result<Actor, PageError> {
        self.0.ok_or_else(|| PageError::Login(back_to.to_owned()))
    }
}

/// A page that failed: a friendly page with the right status, or a trip to the login page.
#[derive(Debug)]
pub enum PageError {
    App(AppError),
    Login(String),
}

impl<E: Into<AppError>> From<E> for PageError {
    fn from(err: E) -> Self {
        PageError::App(err.into())
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        match self {
            PageError::Login(back_to) => Redirect::to(&format!("/login?next={}", urlencode(&back_to))).into_response(),
            PageError::App(err) => crate::frame::error_response(err),
        }
    }
}

pub async fn not_found_page(_req: Request) -> Response {
    render_error(
        StatusCode::NOT_FOUND,
        "Page not found",
        "There is nothing at this address.".into(),
    )
}

pub type PageResult = Result<Response, PageError>;

/// A form body; a body that is not a form, or holds a NUL character, gets a friendly error page.
pub struct PageForm<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for PageForm<T> {
    type Rejection = PageError;

    async fn from_request(req: Request, state: &S) -> Result<Self, PageError> {
        crate::extract::read_form(req, state)
            .await
            .map(PageForm)
            .map_err(PageError::App)
    }
}

/// Percent-encodes a query value.
pub fn urlencode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~/".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// A redirect after a successful form post, with a notice for the next page. Control characters
/// (which a header cannot carry) are percent-encoded, so an address someone typed, such as a
/// login's `next`, never breaks the response.
pub fn see_other(to: &str) -> Response {
    let location: String = to
        .chars()
        .map(|c| {
            if c.is_ascii_control() {
                format!("%{:02X}", c as u32)
            } else {
                c.to_string()
            }
        })
        .collect();
    Redirect::to(&location).into_response()
}
