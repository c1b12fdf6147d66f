//! Agora's HTTP surface: the JSON API under `/api/v1`, the server-rendered pages, static assets
//! and the operational endpoints, on one axum router. Handlers parse, call one use case, and
//! render; no business rule lives here.

mod api;
mod assets;
mod card_screen;
mod cookies;
mod country_names;
mod extract;
mod frame;
mod idempotency;
mod layers;
mod media;
mod multipart;
mod ops;
mod pages;
mod problem;
mod public_cache;
mod sandbox_gateway;
mod strict_json;
mod words;
mod ws;

use std::sync::Arc;

use agora_app::App;
use axum::extract::DefaultBodyLimit;
use axum::Router;

pub use api::openapi;

/// HTTP settings.
#[derive(Debug, Clone, Default)]
pub struct HttpSettings {
    /// Mark cookies `Secure` (serve over HTTPS, or behind a proxy that does).
    pub secure_cookies: bool,
}

/// What every handler gets. Axum clones it for every middleware and extractor of every request,
/// so it is one reference count: a clone of the whole state (the application's database pools,
/// settings and caches) measured as a third of the CPU a cached page costs.
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

/// The state behind [`AppState`].
pub struct Shared {
    pub app: App,
    pub settings: Arc<HttpSettings>,
    /// Whole responses kept for anonymous visitors.
    pub(crate) public: public_cache::PublicCache,
}

impl std::ops::Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}

/// `Cache-Control` for a response that shows a secret or a private document: kept by no cache, and
/// never stored for an `Idempotency-Key` replay either.
pub(crate) const NO_STORE: (axum::http::HeaderName, &str) = (axum::http::header::CACHE_CONTROL, "no-store");

/// Whether a response was marked [`NO_STORE`].
pub(crate) fn carries_secret(headers: &axum::http::HeaderMap) -> bool {
    headers
        .get_all(axum::http::header::CACHE_CONTROL)
        .iter()
        .any(|v| v.to_str().is_ok_and(|v| v.contains("no-store")))
}

/// The largest request body: a qualification document plus its form fields.
pub(crate) const MAX_BODY_BYTES: usize = 12 * 1024 * 1024;

/// The whole platform's router.
pub fn router(app: App, settings: HttpSettings) -> Router {
    let state = AppState(Arc::new(Shared {
        app,
        settings: Arc::new(settings),
        public: public_cache::PublicCache::default(),
    }));
    let (api_router, _) = api::routes();
    let router = Router::new()
        .merge(api_router)
        .merge(api::docs())
        .merge(pages::routes(&state))
        .merge(sandbox_gateway::routes())
        .merge(assets::routes())
        .merge(media::routes())
        .merge(ops::routes())
        .fallback(layers::not_found)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            public_cache::serve_search_api,
        ))
        .layer(axum::middleware::from_fn_with_state(state.clone(), idempotency::layer))
        .layer(axum::middleware::from_fn(card_screen::refuse_card_data))
        .layer(axum::middleware::from_fn(layers::problem_for_bare_errors))
        .layer(axum::middleware::from_fn(layers::security_headers))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(axum::middleware::from_fn(layers::refuse_nul_in_path))
        .layer(axum::middleware::from_fn(ops::track))
        .layer(layers::compression())
        .with_state(state);
    layers::with_request_ids(router)
}

/// Prometheus metrics (`GET /metrics`), for operators only: serve it on a private address, never
/// beside the platform's public router.
pub fn metrics_router() -> Router {
    ops::metrics_routes()
}
