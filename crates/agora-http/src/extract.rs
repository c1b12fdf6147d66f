//! Request extractors: JSON bodies, query strings and forms parsed into typed input with clear
//! errors, the authenticated actor from a bearer token, the client's address.
//!
//! Every text that comes in through them is screened once, here: a NUL character (which
//! PostgreSQL refuses in text) or a key named twice in JSON is a 400 before any handler runs.

use std::net::SocketAddr;

use agora_app::AppError;
use agora_core::ValidationErrors;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, FromRequest, FromRequestParts, OriginalUri, Request};
use axum::http::header;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;

use crate::problem::ApiError;
use crate::strict_json::StrictValue;
use crate::AppState;

/// Field names that would carry card data, which never enters Agora.
const CARD_FIELDS: &[&str] = &["card_number", "pan", "cvc", "cvv", "cvv2"];

pub(crate) fn card_field(value: &serde_json::Value) -> Option<&str> {
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

/// The card field a form names, at any depth (`card_number`, `payment[cvv]`, `card.cvc`): form
/// keys are split at brackets and dots, and each part is compared without regard to case.
pub(crate) fn card_form_field(body: &[u8]) -> Option<&'static str> {
    form_urlencoded::parse(body).find_map(|(key, _)| {
        let key = key.to_ascii_lowercase();
        key.split(['[', ']', '.'])
            .find_map(|part| CARD_FIELDS.iter().find(|f| **f == part).copied())
    })
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
    let StrictValue(value) = serde_json::from_slice(bytes).map_err(|e| {
        AppError::BadRequest(if e.is_data() {
            format!("the body is refused: {e}")
        } else {
            format!("the body is not valid JSON: {e}")
        })
    })?;
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

/// Bad input, answered the way its sender reads: problem+json on the API, a page elsewhere.
pub struct InputRejection {
    page: bool,
    error: AppError,
}

impl InputRejection {
    pub fn new(path: &str, error: AppError) -> Self {
        InputRejection {
            page: !path.starts_with("/api/"),
            error,
        }
    }
}

impl IntoResponse for InputRejection {
    fn into_response(self) -> Response {
        if self.page {
            crate::frame::error_response(self.error)
        } else {
            ApiError(self.error).into_response()
        }
    }
}

/// Parses `application/x-www-form-urlencoded` text (a query string or a form body) into `T`:
/// 400 naming the parameter when a value does not parse or holds a NUL character.
pub fn parse_urlencoded<T: DeserializeOwned>(input: &[u8]) -> Result<T, AppError> {
    let pairs = form_urlencoded::parse(input);
    if let Some((key, _)) = pairs.clone().find(|(k, v)| k.contains('\0') || v.contains('\0')) {
        return Err(AppError::BadRequest(format!(
            "the parameter `{}` holds a NUL character",
            key.escape_default()
        )));
    }
    serde_path_to_error::deserialize(serde_urlencoded::Deserializer::new(pairs)).map_err(|e| {
        let field = e.path().to_string();
        let reason = e.into_inner();
        AppError::BadRequest(if field == "." {
            format!("the parameters are not valid: {reason}")
        } else {
            format!("the parameter `{field}` is not valid: {reason}")
        })
    })
}

/// A query string parsed into `T` (see [`parse_urlencoded`]).
pub struct Query<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for Query<T> {
    type Rejection = InputRejection;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, InputRejection> {
        let query = parts.uri.query().unwrap_or_default();
        parse_urlencoded(query.as_bytes()).map(Query).map_err(|e| {
            // Inside a nested router the URI has lost its prefix; the original keeps `/api/`.
            let uri = parts.extensions.get::<OriginalUri>().map_or(&parts.uri, |o| &o.0);
            InputRejection::new(uri.path(), e)
        })
    }
}

/// Reads a form body (`application/x-www-form-urlencoded`) into `T` (see [`parse_urlencoded`]).
pub async fn read_form<T: DeserializeOwned, S: Send + Sync>(req: Request, state: &S) -> Result<T, AppError> {
    let is_form = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| v.trim() == "application/x-www-form-urlencoded");
    if !is_form {
        return Err(AppError::BadRequest(
            "send the form as application/x-www-form-urlencoded".into(),
        ));
    }
    let bytes = Bytes::from_request(req, state)
        .await
        .map_err(|e| AppError::BadRequest(format!("could not read the form: {e}")))?;
    if let Some(field) = card_form_field(&bytes) {
        return Err(AppError::BadRequest(format!(
            "card data ({field}) must never be sent to Agora; pay through the payment page instead"
        )));
    }
    parse_urlencoded(&bytes)
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

/// The bearer token's actor as a layer already resolved it for this request (the idempotency
/// layer does, to scope the key): read once per request, never kept beyond it.
#[derive(Clone)]
pub(crate) struct ResolvedBearer(pub Option<agora_app::Actor>);

impl FromRequestParts<AppState> for MaybeAuth {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        if let Some(ResolvedBearer(actor)) = parts.extensions.get::<ResolvedBearer>() {
            return Ok(MaybeAuth(actor.clone()));
        }
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

/// Reads the search parameters from a query string. Attribute filters are `attr.KEY=VALUE`.
pub fn search_input(
    params: &std::collections::HashMap<String, String>,
) -> Result<agora_app::search::SearchInput, agora_app::AppError> {
    let price = |name: &str| -> Result<Option<i64>, agora_app::AppError> {
        match params.get(name).map(|v| v.trim()).filter(|v| !v.is_empty()) {
            None => Ok(None),
            Some(v) => v.parse::<i64>().ok().filter(|p| *p >= 0).map(Some).ok_or_else(|| {
                agora_app::AppError::invalid(name, "must be a whole number of minor units (cents), 0 or more")
            }),
        }
    };
    let limit = match params.get("limit").filter(|v| !v.is_empty()) {
        None => None,
        Some(v) => Some(
            v.parse::<usize>()
                .map_err(|_| agora_app::AppError::invalid("limit", "must be between 1 and 100"))?,
        ),
    };
    let mut attributes: Vec<(String, String)> = params
        .iter()
        .filter_map(|(k, v)| k.strip_prefix("attr.").map(|key| (key.to_owned(), v.clone())))
        .filter(|(_, v)| !v.is_empty())
        .collect();
    attributes.sort();
    Ok(agora_app::search::SearchInput {
        q: params.get("q").cloned().unwrap_or_default(),
        category: params.get("category").cloned(),
        shop: params.get("shop").cloned(),
        min_price: price("min_price")?,
        max_price: price("max_price")?,
        attributes,
        in_stock: params
            .get("in_stock")
            .is_some_and(|v| v == "true" || v == "1" || v == "on"),
        exact_words: params
            .get("exact")
            .is_some_and(|v| v == "true" || v == "1" || v == "on"),
        sort: params.get("sort").cloned(),
        cursor: params.get("cursor").cloned(),
        limit,
    })
}
