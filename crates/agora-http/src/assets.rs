//! Static assets, built into the binary: the stylesheet, htmx, our small scripts and the favicon.
//!
//! Each asset is served under a name that holds a hash of its content (`/assets/app.3f2a9c1d0b.css`),
//! cached for a year as immutable: a new release changes the name, never the content behind one.
//! Pages get these names from [`urls`]. The plain names (`/assets/app.css`) keep working with a
//! short cache, for anything that still links them.

use std::sync::LazyLock;

use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;
use sha2::{Digest, Sha256};

use crate::AppState;

/// How long a response under a content-hashed name may be cached: it never changes.
pub const IMMUTABLE: &str = "public, max-age=31536000, immutable";
/// How long a response under a plain name may be cached: it changes with each release.
const SHORT: &str = "public, max-age=3600";

/// One embedded asset.
struct Asset {
    /// The plain file name, such as `app.css`.
    name: &'static str,
    content_type: &'static str,
    body: &'static [u8],
}

const ASSETS: [Asset; 9] = [
    Asset {
        name: "app.css",
        content_type: "text/css; charset=utf-8",
        body: include_bytes!("../assets/app.css"),
    },
    Asset {
        name: "htmx.min.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_bytes!("../assets/htmx.min.js"),
    },
    Asset {
        name: "app.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_bytes!("../assets/app.js"),
    },
    Asset {
        name: "chat.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_bytes!("../assets/chat.js"),
    },
    Asset {
        name: "negotiation.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_bytes!("../assets/negotiation.js"),
    },
    Asset {
        name: "import.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_bytes!("../assets/import.js"),
    },
    Asset {
        name: "checkout.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_bytes!("../assets/checkout.js"),
    },
    Asset {
        name: "favicon.svg",
        content_type: "image/svg+xml",
        body: include_bytes!("../assets/favicon.svg"),
    },
    Asset {
        name: "search.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_bytes!("../assets/search.js"),
    },
];

/// The addresses pages link, each naming its asset's content.
#[derive(Debug)]
pub struct Urls {
    pub css: String,
    pub htmx: String,
    pub app_js: String,
    /// Live updates of a conversation page.
    pub chat_js: String,
    /// Live updates of a negotiation page.
    pub negotiation_js: String,
    /// The progress bar of a running catalog import.
    pub import_js: String,
    /// Live shipping prices and totals on the checkout page.
    pub checkout_js: String,
    pub favicon: String,
    /// The search box's suggestions and the results page's auto-applied sort: on every page,
    /// since every page has the search box.
    pub search_js: String,
}

/// `/assets/<stem>.<first 10 hex digits of the SHA-256 of the body>.<extension>`.
fn hashed_path(asset: &Asset) -> String {
    let digest = Sha256::digest(asset.body);
    let hash: String = digest[..5].iter().map(|b| format!("{b:02x}")).collect();
    let (stem, ext) = asset.name.split_once('.').unwrap_or((asset.name, ""));
    format!("/assets/{stem}.{hash}.{ext}")
}

static URLS: LazyLock<Urls> = LazyLock::new(|| {
    let [css, htmx, app_js, chat_js, negotiation_js, import_js, checkout_js, favicon, search_js] = &ASSETS;
    Urls {
        css: hashed_path(css),
        htmx: hashed_path(htmx),
        app_js: hashed_path(app_js),
        chat_js: hashed_path(chat_js),
        negotiation_js: hashed_path(negotiation_js),
        import_js: hashed_path(import_js),
        checkout_js: hashed_path(checkout_js),
        favicon: hashed_path(favicon),
        search_js: hashed_path(search_js),
    }
});

/// The content-hashed addresses of the assets, computed once.
pub fn urls() -> &'static Urls {
    &URLS
}

fn serve(asset: &'static Asset, cache: &'static str) -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, asset.content_type),
            (header::CACHE_CONTROL, cache),
        ],
        asset.body,
    )
}

pub fn routes() -> Router<AppState> {
    let mut router = Router::new();
    for asset in &ASSETS {
        router = router
            .route(&hashed_path(asset), get(move || async move { serve(asset, IMMUTABLE) }))
            .route(
                &format!("/assets/{}", asset.name),
                get(move || async move { serve(asset, SHORT) }),
            );
    }
    let favicon = ASSETS
        .iter()
        .find(|asset| asset.name == "favicon.svg")
        .expect("the favicon is one of the assets");
    router
        .route("/favicon.ico", get(move || async move { serve(favicon, SHORT) }))
        .route("/robots.txt", get(robots))
}

/// Crawlers may index the storefront; the account, seller and back-office pages and the API are
/// nobody's search result.
async fn robots() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/plain; charset=utf-8"),
            (header::CACHE_CONTROL, SHORT),
        ],
        "User-agent: *\nDisallow: /account\nDisallow: /sell/\nDisallow: /admin/\nDisallow: /api/\nDisallow: /documents/\nDisallow: /cart\nDisallow: /checkout\nDisallow: /orders\n",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashed_names_keep_the_extension_and_follow_the_content() {
        let u = urls();
        assert!(
            u.css.starts_with("/assets/app.") && u.css.ends_with(".css"),
            "{}",
            u.css
        );
        assert_eq!(u.css.len(), "/assets/app..css".len() + 10);
        assert!(u.htmx.ends_with(".min.js") || u.htmx.ends_with(".js"), "{}", u.htmx);
        let other = Asset {
            name: "app.css",
            content_type: "text/css",
            body: b"body{}",
        };
        assert_ne!(hashed_path(&other), u.css);
    }
}
