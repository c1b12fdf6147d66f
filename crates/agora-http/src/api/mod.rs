//! The JSON API under `/api/v1`, described by the OpenAPI document generated from these handlers.

mod accounts;
mod addresses;
mod admin;
mod admin_jobs;
mod bodies;
mod cart;
mod catalog;
mod companies;
mod conversations;
mod coupons;
mod gateway;
mod imports;
mod listing_input;
mod negotiations;
mod orders;
mod payments;
mod payouts;
mod quote_moves;
mod rfqs;
pub(crate) mod search;
mod shipping;
mod shop_ratings;
mod shops;
mod statements;

use axum::Router;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use utoipa_swagger_ui::SwaggerUi;

use crate::AppState;

pub(crate) use payouts::{csv_response as payouts_csv, period as payouts_period};
pub(crate) use rfqs::file_response as contract_file;

#[derive(OpenApi)]
#[openapi(
    info(title = "Agora API", version = "1", description = "The Agora marketplace's JSON API. Errors are RFC 9457 problem details; money is integer minor units with an ISO 4217 currency."),
    components(schemas(crate::problem::Problem)),
    modifiers(&BearerAuth),
    tags(
        (name = "accounts", description = "Registration, login, tokens"),
        (name = "companies", description = "Company members, roles and invitations"),
        (name = "shops", description = "Shops and qualification documents"),
        (name = "admin", description = "The operator's back office"),
        (name = "catalog", description = "Categories and products"),
        (name = "orders", description = "Cart, checkout and orders"),
        (name = "conversations", description = "Conversations between buyers and shops, and the live WebSocket"),
        (name = "negotiation", description = "Offers and counter-offers, RFQs and quotes, signed contracts"),
        (name = "payments", description = "Payments, the wallet, shop balances and the ledger"),
    )
)]
struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// The API's routes and their OpenAPI description.
pub fn routes() -> (Router<AppState>, utoipa::openapi::OpenApi) {
    let v1 = OpenApiRouter::new()
        .routes(routes!(accounts::register))
        .routes(routes!(accounts::login))
        .routes(routes!(accounts::logout))
        .routes(routes!(accounts::me))
        .routes(routes!(accounts::change_password))
        .routes(routes!(accounts::list_tokens, accounts::create_token))
        .routes(routes!(accounts::revoke_token))
        .routes(routes!(companies::get_company))
        .routes(routes!(companies::invite_member))
        .routes(routes!(companies::withdraw_invitation))
        .routes(routes!(companies::my_invitations))
        .routes(routes!(companies::accept_invitation))
        .routes(routes!(companies::decline_invitation))
        .routes(routes!(companies::set_role, companies::remove_member))
        .routes(routes!(companies::set_approval_limit))
        .routes(routes!(shops::apply))
        .routes(routes!(shops::get_shop))
        .routes(routes!(shops::set_price_mode))
        .routes(routes!(shops::upload_qualification))
        .routes(routes!(shops::download_document))
        .routes(routes!(admin::queue))
        .routes(routes!(admin::approve))
        .routes(routes!(admin::reject))
        .routes(routes!(admin::request_info))
        .routes(routes!(admin::approve_document))
        .routes(routes!(admin::reject_document))
        .routes(routes!(admin::create_category))
        .routes(routes!(admin::verify_audit))
        .routes(routes!(admin_jobs::list_jobs))
        .routes(routes!(admin_jobs::retry_job))
        .routes(routes!(catalog::categories))
        .routes(routes!(catalog::get_product, catalog::update_product))
        .routes(routes!(catalog::offers))
        .routes(routes!(catalog::upload_image))
        .routes(routes!(catalog::add_variant))
        .routes(routes!(catalog::set_tiers))
        .routes(routes!(catalog::update_variant))
        .routes(routes!(catalog::delete_image))
        .routes(routes!(search::search))
        .routes(routes!(search::suggest))
        .routes(routes!(catalog::set_stock))
        .routes(routes!(catalog::movements))
        .routes(routes!(catalog::set_company_price))
        .routes(routes!(catalog::set_shipping_rate))
        .routes(routes!(catalog::shop_products, shops::create_product))
        .routes(routes!(cart::get_cart))
        .routes(routes!(cart::add_item))
        .routes(routes!(cart::update_item, cart::remove_item))
        .routes(routes!(orders::checkout))
        .routes(routes!(orders::list))
        .routes(routes!(orders::get))
        .routes(routes!(orders::ship))
        .routes(routes!(orders::confirm_receipt))
        .routes(routes!(orders::cancel))
        .routes(routes!(orders::approve))
        .routes(routes!(orders::decline))
        .routes(routes!(orders::reorder))
        .routes(routes!(orders::set_tax_rates))
        .routes(routes!(coupons::shop_coupons, coupons::create_shop_coupon))
        .routes(routes!(coupons::platform_coupons, coupons::create_platform_coupon))
        .routes(routes!(coupons::deactivate))
        .routes(routes!(coupons::update))
        .routes(routes!(shipping::shipping_methods, shipping::set_shipping_methods))
        .routes(routes!(shipping::shipping_options))
        .routes(routes!(shipping::set_weight))
        .routes(routes!(addresses::list, addresses::create))
        .routes(routes!(addresses::get, addresses::update, addresses::delete))
        .routes(routes!(conversations::list, conversations::open))
        .routes(routes!(conversations::get))
        .routes(routes!(conversations::history, conversations::post_message))
        .routes(routes!(conversations::post_attachment))
        .routes(routes!(conversations::attachment))
        .routes(routes!(conversations::mark_read))
        .routes(routes!(crate::ws::connect))
        .routes(routes!(negotiations::create, negotiations::list))
        .routes(routes!(negotiations::get))
        .routes(routes!(negotiations::counter))
        .routes(routes!(negotiations::reject))
        .routes(routes!(negotiations::withdraw))
        .routes(routes!(negotiations::accept))
        .routes(routes!(negotiations::get_settings, negotiations::set_settings))
        .routes(routes!(rfqs::create, rfqs::list))
        .routes(routes!(rfqs::get))
        .routes(routes!(rfqs::submit_quote, rfqs::list_quotes))
        .routes(routes!(rfqs::accept_quote))
        .routes(routes!(quote_moves::withdraw))
        .routes(routes!(quote_moves::cancel))
        .routes(routes!(quote_moves::conversation))
        .routes(routes!(shop_ratings::rate, shop_ratings::get))
        .routes(routes!(rfqs::get_contract))
        .routes(routes!(rfqs::verify_contract))
        .routes(routes!(rfqs::download_contract))
        .routes(routes!(rfqs::platform_key))
        .routes(routes!(payments::verify_ledger))
        .routes(routes!(payments::get_payment))
        .routes(routes!(payments::confirm_transfer))
        .routes(routes!(payments::resolve_suspense))
        .routes(routes!(statements::import_statement))
        .routes(routes!(imports::upload_import, imports::list_imports))
        .routes(routes!(imports::get_import))
        .routes(routes!(imports::start_import))
        .routes(routes!(payments::get_wallet))
        .routes(routes!(payments::wallet_history))
        .routes(routes!(payments::top_up))
        .routes(routes!(payments::shop_balance))
        .routes(routes!(gateway::gateway_webhook))
        .routes(routes!(gateway::retry_payment))
        .routes(routes!(payouts::refund, payouts::list_refunds))
        .routes(routes!(payouts::collect_cash))
        .routes(routes!(payouts::set_payout_account, payouts::get_payout_account))
        .routes(routes!(payouts::request_payout, payouts::list_payouts))
        .routes(routes!(payouts::settlement_report))
        .routes(routes!(payouts::payout_queue))
        .routes(routes!(payouts::mark_sent))
        .routes(routes!(payouts::mark_failed))
        .routes(routes!(payouts::list_rates))
        .routes(routes!(payouts::set_category_rate, payouts::clear_category_rate))
        .routes(routes!(payouts::set_shop_rate, payouts::clear_shop_rate));
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .nest("/api/v1", v1)
        .split_for_parts()
}

/// The OpenAPI document (`/api/openapi.json`).
pub fn openapi() -> utoipa::openapi::OpenApi {
    routes().1
}

/// The interactive docs at `/api/docs`, served from files built into the binary (no CDN).
pub fn docs() -> Router<AppState> {
    Router::new().merge(SwaggerUi::new("/api/docs").url("/api/openapi.json", openapi()))
}
