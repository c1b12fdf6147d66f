//! Request extractors: JSON bodies parsed into typed input with clear errors, the authenticated
//! actor from a bearer token, the client's address.

use std::net::SocketAddr;

use agora_app::AppError;
use agora_core::ValidationErrors;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, FromRequest, FromRequestParts, Request};
use axum::http::header;
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

use crate::problem::ApiError;
use crate::AppState;

/// Field names that would carry card data, which never enters Agora.
const CARD_FIELDS: &[&str] = &["card_number", "pan", "cvc", "cvv", "cvv2"];

fn card_field(value: &serde_json::Value) -> Option<&str> {
    match value {
        serde_json::Value::Object(map) => map.iter().find_map(|(k, v)| {
            let key = k.to_ascii_lowercase();
            CARD_FIELDS
                .iter()
                .find(|f| **f == key)
                .copied()
                .or_else(|| card_field(v))
        }),
        serde_json::Value::Array(items) => items.iter().find_map(card_field),
        _ => None,
    }
}

/// A JSON body: 400 when it is not JSON (or carries card data), 422 naming the field when it does
/// not fit the expected shape, 415 without a JSON content type.
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let is_json = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .is_some_and(|v| {
                let v = v.trim();
                v == "application/json" || (v.starts_with("application/") && v.ends_with("+json"))
            });
        if !is_json {
            return Err(AppError::UnsupportedMediaType("send the body as application/json".into()).into());
        }
        let bytes = Bytes::from_request(req, state)
            .await
            .map_err(|e| AppError::BadRequest(format!("could not read the body: {e}")))?;
        parse_json(&bytes).map(ApiJson)
    }
}

/// Parses a JSON body in two steps, so that malformed JSON (400) and a wrong shape (422) differ.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let value: serde_json::Value =
        serde_json::from_slice(bytes).map_err(|e| AppError::BadRequest(format!("the body is not valid JSON: {e}")))?;
    if let Some(field) = card_field(&value) {
        return Err(AppError::BadRequest(format!(
            "card data ({field}) must never be sent to Agora; pay through the payment page instead"
        ))
        .into());
    }
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        let field = if path == "." { "body".to_owned() } else { path };
        ApiError(AppError::Invalid(ValidationErrors::single(
            &field,
            e.into_inner().to_string(),
        )))
    })
}

/// The authenticated actor of an API request (401 without a valid bearer token).
pub struct Auth(pub agora_app::Actor);

/// The actor if the request is authenticated.
pub struct MaybeAuth(pub Option<agora_app::Actor>);

pub(crate) fn bearer(parts: &Parts) -> Option<&str> {
    let value = parts.headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

impl FromRequestParts<AppState> for MaybeAuth {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        match bearer(parts) {
            Some(token) => Ok(MaybeAuth(agora_app::accounts::authenticate(&state.app, token).await?)),
            None => Ok(MaybeAuth(None)),
        }
    }
}

impl FromRequestParts<AppState> for Auth {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let MaybeAuth(actor) = MaybeAuth::from_request_parts(parts, state).await?;
        actor.map(Auth).ok_or(ApiError(AppError::Unauthenticated))
    }
}

/// The client's address, for rate limiting.
pub struct ClientAddr(pub String);

impl<S: Send + Sync> FromRequestParts<S> for ClientAddr {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let addr = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|ConnectInfo(a)| a.ip().to_string())
            .unwrap_or_else(|| "unknown".into());
        Ok(ClientAddr(addr))
    }
}
