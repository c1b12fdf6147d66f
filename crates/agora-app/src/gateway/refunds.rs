//! Card refunds: the `gateway_refund` job a cancelled card-paid order leaves asks the gateway to
//! give the money back to the card, and records the provider's reference.
//!
//! The ledger: the cancellation already posted the order's escrow → `gateway_clearing` in its own
//! transaction (`escrow::after_move`). Gateway clearing is the ledger's edge towards the card
//! network (its balance is what the gateway holds for the platform, negated): a card payment came
//! in through it, the refund goes out through it. The refund call therefore posts nothing more:
//! a second posting "out of clearing" would take the same money out twice. What the refund adds is
//! the provider's confirmation, kept in `gateway_refunds` (one row per refund id).

use agora_store::gateway::{self as store, GatewayRefundRow};
use agora_store::now_ms;
use agora_store::payments as payments_store;

use super::RefundRequest;
use crate::escrow::GatewayRefundJob;
use crate::{App, AppError, AppResult};

/// The provider idempotency key of a refund: derived from the refund id alone, so that every
/// retry of the job (on any node, after any crash) sends the same key.
pub fn idempotency_key(refund_id: &str) -> String {
    format!("agora-refund-{refund_id}")
}

/// Sends one refund to the gateway and records its reference; a refund recorded already is done.
pub async fn send(app: &App, job: &GatewayRefundJob) -> AppResult<GatewayRefundRow> {
    let mut conn = app.db.conn().await?;
    if let Some(done) = store::refund_by_id(&mut conn, &job.refund_id).await? {
        return Ok(done);
    }
    let payment = payments_store::by_id(&mut conn, &job.payment_id)
        .await?
        .ok_or(AppError::NotFound("payment"))?;
    drop(conn);
    let charge = payment.provider_reference.as_deref().ok_or_else(|| {
        AppError::Internal(anyhow::anyhow!(
            "card payment {} has no provider reference to refund",
            payment.id
        ))
    })?;
    let gateway = super::current(app);
    let key = idempotency_key(&job.refund_id);
    let receipt = gateway
        .refund(
            app,
            RefundRequest {
                provider_reference: charge,
                amount: job.amount,
                idempotency_key: &key,
            },
        )
        .await?;
    let row = GatewayRefundRow {
        id: job.refund_id.clone(),
        payment_id: payment.id.clone(),
        order_id: job.order_id.clone(),
        amount: job.amount.minor,
        currency: job.amount.currency.code().to_owned(),
        provider: gateway.name().to_owned(),
        idempotency_key: key,
        provider_reference: receipt.provider_reference,
        created_at: now_ms(),
    };
    let mut conn = app.db.conn().await?;
    store::insert_refund(&mut conn, &row).await?;
    tracing::info!(payment = %row.payment_id, order = %row.order_id, refund = %row.id,
        provider_reference = %row.provider_reference, "card refund confirmed by the gateway");
    Ok(store::refund_by_id(&mut conn, &row.id).await?.unwrap_or(row))
}
