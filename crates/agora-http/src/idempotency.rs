//! The `Idempotency-Key` middleware for every API POST (see `agora_app::idempotency`).

use agora_app::idempotency::{self, Outcome};
use agora_app::AppError;
use axum::body::{to_bytes, Body};
use axum::extract::{Request, State};
use axum::http::{header, HeaderName, HeaderValue, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::problem::ApiError;
use crate::AppState;

pub const HEADER: HeaderName = HeaderName::from_static("idempotency-key");
const REPLAYED: HeaderName = HeaderName::from_static("idempotent-replayed");
/// Stored responses are JSON documents; anything larger is not worth replaying.
const MAX_STORED_RESPONSE: usize = 1024 * 1024;

pub async fn layer(State(state): State<AppState>, req: Request, next: Next) -> Response {
    if req.method() != Method::POST || !req.uri().path().starts_with("/api/") {
        return next.run(req).await;
    }
    let Some(raw_key) = req.headers().get(&HEADER).map(|v| v.to_str().unwrap_or("").to_owned()) else {
        return next.run(req).await;
    };
    match run(&state, &raw_key, req, next).await {
        Ok(res) => res,
        Err(err) => err.into_response(),
    }
}

async fn run(state: &AppState, raw_key: &str, req: Request, next: Next) -> Result<Response, ApiError> {
    let key = idempotency::parse_key(raw_key)?;
    let app = &state.app;
    let (mut parts, body) = req.into_parts();
    let scope = match crate::extract::bearer(&parts) {
        Some(token) => agora_app::accounts::authenticate(app, token)
            .await?
            .map(|a| a.account_id)
            .unwrap_or_else(|| "anonymous".into()),
        None => "anonymous".into(),
    };
    let bytes = to_bytes(body, crate::MAX_BODY_BYTES)
        .await
        .map_err(|_| AppError::TooLarge {
            max_bytes: crate::MAX_BODY_BYTES,
        })?;
    let path = parts.uri.path().to_owned();
    match idempotency::begin(app, &scope, &key, parts.method.as_str(), &path, &bytes).await? {
        Outcome::Replay {
            status,
            content_type,
            body,
        } => {
            let mut res = Response::new(Body::from(body));
            *res.status_mut() = axum::http::StatusCode::from_u16(status).unwrap_or_default();
            if let Some(ct) = content_type.and_then(|c| HeaderValue::from_str(&c).ok()) {
                res.headers_mut().insert(header::CONTENT_TYPE, ct);
            }
            res.headers_mut().insert(REPLAYED, HeaderValue::from_static("true"));
            Ok(res)
        }
        Outcome::Proceed => {
            parts.headers.remove(header::CONTENT_LENGTH);
            let res = next.run(Request::from_parts(parts, Body::from(bytes))).await;
            let status = res.status();
            // Transient answers are not remembered: a retry should get a fresh chance.
            let transient = status.is_server_error() || status.as_u16() == 409 || status.as_u16() == 429;
            let (parts, body) = res.into_parts();
            let body = match to_bytes(body, MAX_STORED_RESPONSE).await {
                Ok(body) => body,
                Err(_) => {
                    idempotency::abandon(app, &scope, &key).await?;
                    return Err(
                        AppError::Internal(anyhow::anyhow!("response too large to store for idempotency")).into(),
                    );
                }
            };
            if transient {
                idempotency::abandon(app, &scope, &key).await?;
            } else if crate::carries_secret(&parts.headers) {
                idempotency::withhold(app, &scope, &key).await?;
            } else {
                let content_type = parts.headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok());
                idempotency::finish(
                    app,
                    &scope,
                    &key,
                    status.as_u16(),
                    content_type,
                    &String::from_utf8_lossy(&body),
                )
                .await?;
            }
            Ok(Response::from_parts(parts, Body::from(body)))
        }
    }
}
