//! `POST /api/v1/webhooks/gateway`: a provider's callback, verified over its raw body and
//! timestamp, processed once per event id. All the money moves in `payments::settle`, which acts
//! once per payment: a second callback for the same payment (repeated, or a late `failed` after a
//! `succeeded`) changes nothing.

use agora_store::gateway as store;
use agora_store::now_ms;

use super::CallbackError;
use crate::payments::{self, Outcome, PaymentView, Settled};
use crate::{App, AppError, AppResult};

/// What became of a callback.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Received {
    /// Processed: `changed` when it settled the payment now, false when the payment had been
    /// settled before (by another event, or a delivery of this one racing with it).
    Processed { payment: Box<PaymentView>, changed: bool },
    /// An event processed before: nothing done (the API answers 400, as API.md fixes).
    Replayed,
}

/// Checks and processes one callback. A bad or missing signature, a stale timestamp or a body
/// that is not understood: 400 (`BadRequest`). An unknown payment: 404.
pub async fn receive(app: &App, signature: Option<&str>, body: &[u8]) -> AppResult<Received> {
    let gateway = super::current(app);
    let secret = super::secret(app).await?;
    let event = gateway
        .parse_callback(&secret, signature, body, now_ms() / 1000)
        .map_err(|e| match e {
            CallbackError::Signature(s) => AppError::BadRequest(s.to_string()),
            body @ CallbackError::Body(_) => AppError::BadRequest(body.to_string()),
        })?;
    {
        let mut conn = app.db.conn().await?;
        if store::event_processed(&mut conn, &event.event_id).await? {
            return Ok(Received::Replayed);
        }
    }
    let kind = match &event.outcome {
        Outcome::Succeeded { .. } => "payment.succeeded",
        Outcome::Failed { .. } => "payment.failed",
    };
    // Settling first and recording the event after keeps a callback whose settlement failed (a
    // busy database) retryable; a delivery racing with this one settles nothing (the payment's
    // row lock and status decide), so recording second never lets money move twice.
    let settled = payments::settle(app, &event.payment_id, event.outcome).await?;
    let mut conn = app.db.conn().await?;
    store::record_event(
        &mut conn,
        &event.event_id,
        gateway.name(),
        &event.payment_id,
        kind,
        now_ms(),
    )
    .await?;
    let (payment, changed) = match settled {
        Settled::Now(p) => (p, true),
        Settled::Already(p) => (p, false),
    };
    tracing::info!(payment = %payment.summary.id, event = %event.event_id, changed, "gateway callback processed");
    Ok(Received::Processed {
        payment: Box::new(payment),
        changed,
    })
}
