//! The `Idempotency-Key` middleware for every API POST (see `agora_app::idempotency`).
//!
//! For most routes the middleware holds the key around the handler. Routes whose use case moves
//! stock or money are listed in [`IN_TRANSACTION`]: for them the middleware only reads the key and
//! hands it to the handler ([`TxKey`]), whose use case claims it and keeps the response in its own
//! transaction; [`respond`] then sends the answer.

use std::convert::Infallible;

use agora_app::idempotency::{self, Answer, Keyed, Outcome, Render, RequestKey, Stored};
use agora_app::{AppError, AppResult};
use axum::body::{to_bytes, Body};
use axum::extract::{FromRequestParts, MatchedPath, Request, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderName, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::problem::{ApiError, ApiResult};
use crate::AppState;

pub const HEADER: HeaderName = HeaderName::from_static("idempotency-key");
const REPLAYED: HeaderName = HeaderName::from_static("idempotent-replayed");
/// Stored responses are JSON documents; anything larger is not worth replaying.
const MAX_STORED_RESPONSE: usize = 1024 * 1024;

/// The routes whose use case claims the key in its own transaction. Their handlers take the key
/// with [`TxKey`]; the middleware does not claim it for them.
pub(crate) const IN_TRANSACTION: &[(Method, &str)] = &[
    (Method::PUT, "/api/v1/variants/{id}/stock"),
    (Method::POST, "/api/v1/checkout"),
    (Method::POST, "/api/v1/negotiations"),
    (Method::POST, "/api/v1/negotiations/{id}/accept"),
    (Method::POST, "/api/v1/quotes/{id}/accept"),
    (Method::POST, "/api/v1/payments/{id}/confirm-transfer"),
    (Method::POST, "/api/v1/payments/{id}/resolve-suspense"),
    (Method::POST, "/api/v1/wallet/top-ups"),
    (Method::POST, "/api/v1/orders/{id}/refunds"),
    (Method::POST, "/api/v1/orders/{id}/collect-cash"),
    (Method::POST, "/api/v1/shops/{id}/payouts"),
    (Method::POST, "/api/v1/admin/payouts/{id}/mark-sent"),
    (Method::POST, "/api/v1/admin/payouts/{id}/mark-failed"),
];

fn in_transaction(req: &Request) -> bool {
    let Some(route) = req.extensions().get::<MatchedPath>() else {
        return false;
    };
    IN_TRANSACTION
        .iter()
        .any(|(method, path)| req.method() == method && route.as_str() == *path)
}

pub async fn layer(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let in_tx = in_transaction(&req);
    if !in_tx && (req.method() != Method::POST || !req.uri().path().starts_with("/api/")) {
        return next.run(req).await;
    }
    let Some(raw_key) = req.headers().get(&HEADER).map(|v| v.to_str().unwrap_or("").to_owned()) else {
        return next.run(req).await;
    };
    match run(&state, &raw_key, in_tx, req, next).await {
        Ok(res) => res,
        Err(err) => err.into_response(),
    }
}

async fn run(state: &AppState, raw_key: &str, in_tx: bool, req: Request, next: Next) -> Result<Response, ApiError> {
    let app = &state.app;
    let (mut parts, body) = req.into_parts();
    let actor = match crate::extract::bearer(&parts) {
        Some(token) => {
            let actor = agora_app::accounts::authenticate(app, token).await?;
            // The handler's extractor takes it from here rather than reading it again.
            parts.extensions.insert(crate::extract::ResolvedBearer(actor.clone()));
            actor
        }
        None => None,
    };
    let scope = actor.map_or_else(|| "anonymous".into(), |a| a.account_id);
    let bytes = to_bytes(body, crate::MAX_BODY_BYTES)
        .await
        .map_err(|_| AppError::TooLarge {
            max_bytes: crate::MAX_BODY_BYTES,
        })?;
    let key = RequestKey::new(&scope, raw_key, parts.method.as_str(), parts.uri.path(), &bytes)?;
    parts.headers.remove(header::CONTENT_LENGTH);
    if in_tx {
        parts.extensions.insert(key);
        return Ok(next.run(Request::from_parts(parts, Body::from(bytes))).await);
    }
    let lease = match idempotency::begin(app, &key).await? {
        Outcome::Replay(stored) => return Ok(stored_response(stored, true)),
        Outcome::Proceed(lease) => lease,
    };
    let res = next.run(Request::from_parts(parts, Body::from(bytes))).await;
    let status = res.status();
    // Transient answers are not remembered: a retry should get a fresh chance.
    let transient = status.is_server_error() || status.as_u16() == 409 || status.as_u16() == 429;
    let (parts, body) = res.into_parts();
    let body = match to_bytes(body, MAX_STORED_RESPONSE).await {
        Ok(body) => body,
        Err(_) => {
            lease.abandon(app).await?;
            return Err(AppError::Internal(anyhow::anyhow!("response too large to store for idempotency")).into());
        }
    };
    if transient {
        lease.abandon(app).await?;
    } else if crate::carries_secret(&parts.headers) {
        lease.withhold(app).await?;
    } else {
        let stored = Stored {
            status: status.as_u16(),
            content_type: parts
                .headers
                .get(header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned),
            body: String::from_utf8_lossy(&body).into_owned(),
        };
        lease.finish(app, &stored).await?;
    }
    Ok(Response::from_parts(parts, Body::from(body)))
}

fn stored_response(stored: Stored, replayed: bool) -> Response {
    let mut res = Response::new(Body::from(stored.body));
    *res.status_mut() = StatusCode::from_u16(stored.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    if let Some(ct) = stored.content_type.and_then(|c| HeaderValue::from_str(&c).ok()) {
        res.headers_mut().insert(header::CONTENT_TYPE, ct);
    }
    if replayed {
        res.headers_mut().insert(REPLAYED, HeaderValue::from_static("true"));
    }
    res
}

/// The `Idempotency-Key` of a request to a route listed in [`IN_TRANSACTION`] (none without the
/// header), for its use case to claim in its own transaction.
#[derive(Debug)]
pub struct TxKey(Option<RequestKey>);

impl<S: Send + Sync> FromRequestParts<S> for TxKey {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(TxKey(parts.extensions.remove::<RequestKey>()))
    }
}

impl TxKey {
    /// The key for the use case, with how its result is shown.
    pub fn rendered_by<'a, T>(&'a self, render: Render<'a, T>) -> Option<Keyed<'a, T>> {
        self.0.as_ref().map(|key| key.rendered_by(render))
    }
}

/// The response to a use case run with a [`TxKey`]: what it did now, shown by `render` (the
/// same function it kept the response with), or the response it kept the first time.
pub fn respond<T>(answer: Answer<T>, render: Render<'_, T>) -> ApiResult<Response> {
    Ok(match answer {
        Answer::Done(result) => stored_response(render(&result)?, false),
        Answer::Replayed(stored) => stored_response(stored, true),
    })
}

/// Shows a result as a JSON body with `200 OK`.
pub fn json_ok<T: Serialize>(result: &T) -> AppResult<Stored> {
    json_with(StatusCode::OK, result)
}

/// Shows a result as a JSON body with `201 Created`.
pub fn json_created<T: Serialize>(result: &T) -> AppResult<Stored> {
    json_with(StatusCode::CREATED, result)
}

fn json_with<T: Serialize>(status: StatusCode, result: &T) -> AppResult<Stored> {
    Ok(Stored {
        status: status.as_u16(),
        content_type: Some("application/json".into()),
        body: serde_json::to_string(result).map_err(|e| AppError::Internal(e.into()))?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_route_that_claims_in_its_transaction_exists() {
        let doc = crate::openapi();
        for (method, path) in IN_TRANSACTION {
            let item = doc
                .paths
                .paths
                .get(*path)
                .unwrap_or_else(|| panic!("{path} is no route"));
            let operation = match *method {
                Method::POST => &item.post,
                Method::PUT => &item.put,
                Method::PATCH => &item.patch,
                Method::DELETE => &item.delete,
                _ => &None,
            };
            assert!(operation.is_some(), "{method} {path} is no route");
        }
    }
}
