//! The card gateway's side of the API: its signed callback (`/webhooks/gateway`) and trying a
//! failed card payment again (`/payments/{id}/retry`).

use agora_app::gateway::{pay, webhook};
use agora_app::payments;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;
use utoipa::ToSchema;

use super::bodies::payments::PaymentBody;
use crate::extract::Auth;
use crate::problem::{ApiResult, Problem};
use crate::AppState;

/// What the webhook did with a callback.
#[derive(Debug, Serialize, ToSchema)]
pub struct WebhookReply {
    /// The payment's id.
    payment_id: String,
    /// Where the payment stands now: `succeeded` or `failed`.
    status: String,
    /// False when the payment had been settled before and the callback changed nothing.
    changed: bool,
}

/// The card gateway's callback. The raw body is signed: header
/// `Agora-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "t.body">` with the shared secret.
/// A missing or bad signature, a timestamp more than five minutes away, an unreadable body or an
/// event processed before (`/problems/webhook-replayed`) is a 400 and changes nothing; an unknown
/// payment is a 404. A second event for a payment settled already changes nothing (200,
/// `changed: false`).
#[utoipa::path(post, path = "/webhooks/gateway", tag = "payments",
    params(("Agora-Signature" = String, Header, description = "t=<unix seconds>,v1=<hex HMAC-SHA256 of \"t.body\">")),
    request_body(content = String, content_type = "application/json", description = "the gateway's event, signed as it was sent"),
    responses((status = 200, body = WebhookReply), (status = 400, body = Problem), (status = 404, body = Problem)))]
pub async fn gateway_webhook(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> ApiResult<Response> {
    let signature = headers
        .get(agora_core::gateway::SIGNATURE_HEADER)
        .and_then(|v| v.to_str().ok());
    match webhook::receive(&state.app, signature, &body).await? {
        webhook::Received::Processed { payment, changed } => Ok(Json(WebhookReply {
            payment_id: payment.summary.id,
            status: payment.summary.status.as_str().into(),
            changed,
        })
        .into_response()),
        webhook::Received::Replayed => Ok(Problem::new(
            StatusCode::BAD_REQUEST,
            "webhook-replayed",
            "Replayed callback",
            "this event was processed already; nothing was done",
        )
        .into_response()),
    }
}

/// Try a failed card payment again (its payer): a new pending card payment for the orders that
/// still wait for payment (or the same top-up), with its `redirect_url`. While that new payment
/// waits, asking again returns it.
#[utoipa::path(post, path = "/payments/{id}/retry", tag = "payments", security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 201, body = PaymentBody), (status = 404, body = Problem),
        (status = 409, body = Problem, description = "not a failed card payment, or nothing waits for payment")))]
pub async fn retry_payment(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<String>,
) -> ApiResult<(StatusCode, Json<PaymentBody>)> {
    let fresh = pay::retry(&state.app, &actor, &id).await?;
    let view = payments::get(&state.app, &actor, &fresh.id).await?;
    Ok((
        StatusCode::CREATED,
        Json(PaymentBody::new(view, &state.app.settings.bank_details)),
    ))
}
