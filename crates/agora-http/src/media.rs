//! Product images and thumbnails, served by blob key under `/media/{key}`, and the addresses that
//! name them. The use cases know images by their keys; only this module knows where they are served.

use agora_app::images::ImageView;
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;

use crate::problem::ApiError;
use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new().route("/media/{key}", get(media))
}

/// The address of the blob with `key`.
pub fn url(key: &str) -> String {
    format!("/media/{key}")
}

/// The addresses of an image and of its thumbnail, for the API's bodies and the pages' templates.
pub trait ImageUrls {
    fn url(&self) -> String;
    fn thumbnail_url(&self) -> String;
}

impl ImageUrls for ImageView {
    fn url(&self) -> String {
        url(&self.key)
    }

    fn thumbnail_url(&self) -> String {
        url(&self.thumbnail_key)
    }
}

/// A product image or thumbnail, by content hash: it never changes, so it may be cached for good.
async fn media(State(state): State<AppState>, Path(key): Path<String>) -> Result<Response, ApiError> {
    let (content_type, bytes) = agora_app::images::media(&state.app, &key).await?;
    Ok((
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "public, max-age=31536000, immutable".to_owned()),
        ],
        bytes,
    )
        .into_response())
}
