//! What each kind of job does: the handlers every node's worker runs.

use agora_core::jobs::JobKind;
use agora_core::order::OrderAction;
use agora_store::{jobs, now_ms, rate_limits};

use crate::deals::emails as deal_emails;
use crate::deals::moves;
use crate::deals::negotiations::ExpiryJob;
use crate::deals::quote_moves::{self, QuoteExpiryJob};
use crate::job_runner::{Handlers, Job, Outcome};
use crate::orders::follow_ups::OrderJob;
use crate::orders::{actions, emails};
use crate::{App, AppError, AppResult};

/// Rows deleted per statement, so that a large backlog never holds SQLite's write lock long.
const PRUNE_BATCH: i64 = 5_000;
/// Finished jobs are kept this long, for an operator looking into what ran.
pub const KEEP_DONE_MS: i64 = 7 * 24 * 60 * 60 * 1000;

/// The handlers of every job kind, with the recurring kinds kept scheduled.
pub fn standard() -> Handlers {
    JobKind::ALL.iter().fold(Handlers::new(), |handlers, &kind| {
        let handlers = handlers.on(kind.as_str(), move |app, job| run(kind, app, job));
        match kind.recurring_key() {
            Some(_) => handlers.recurring(kind.as_str(), kind.max_attempts()),
            None => handlers,
        }
    })
}

async fn run(kind: JobKind, app: App, job: Job) -> AppResult<Outcome> {
    let removed = match kind {
        JobKind::PruneRateLimits => prune_rate_limits(&app).await?,
        JobKind::PruneJobs => prune_done_jobs(&app).await?,
        JobKind::ExpireReservation => {
            move_order(&app, &job, OrderAction::Cancel, "the reservation ran out").await?;
            0
        }
        JobKind::AutoComplete => {
            move_order(&app, &job, OrderAction::AutoComplete, "receipt not confirmed in time").await?;
            0
        }
        JobKind::SendEmail => {
            emails::send(&app, &job).await?;
            0
        }
        JobKind::ChatDigest => {
            crate::conversations::digest::send(&app, &job).await?;
            0
        }
        JobKind::ExpireNegotiation => {
            let target: ExpiryJob = serde_json::from_str(&job.payload)
                .map_err(|e| AppError::Internal(anyhow::anyhow!("job {} has a bad payload: {e}", job.id)))?;
            if moves::expire(&app, &target.negotiation_id, target.rounds).await? {
                tracing::info!(negotiation = %target.negotiation_id, "negotiation expired");
            }
            0
        }
        JobKind::ExpireQuote => {
            let target: QuoteExpiryJob = serde_json::from_str(&job.payload)
                .map_err(|e| AppError::Internal(anyhow::anyhow!("job {} has a bad payload: {e}", job.id)))?;
            if quote_moves::expire(&app, &target.quote_id, target.revision).await? {
                tracing::info!(quote = %target.quote_id, "quote expired");
            }
            0
        }
        JobKind::DealEmail => {
            deal_emails::send(&app, &job).await?;
            0
        }
        JobKind::GatewayRefund => {
            gateway_refund(&app, &job).await?;
            0
        }
        JobKind::GatewayCallback => {
            gateway_callback(&app, &job).await?;
            0
        }
        JobKind::ImportProducts => {
            crate::product_imports::run(&app, &job).await?;
            0
        }
    };
    if removed > 0 {
        tracing::debug!(kind = %kind, removed, "pruned");
    }
    Ok(match kind.every_ms() {
        Some(every) => Outcome::Again { at: now_ms() + every },
        None => Outcome::Done,
    })
}

/// Moves the job's order by `action` as the system, if it is still in the status the job expects.
async fn move_order(app: &App, job: &Job, action: OrderAction, note: &str) -> AppResult<()> {
    let target: OrderJob = serde_json::from_str(&job.payload)
        .map_err(|e| AppError::Internal(anyhow::anyhow!("job {} has a bad payload: {e}", job.id)))?;
    match actions::by_system(app, &target.order_id, target.status, action, note).await? {
        Some(order) => tracing::info!(order = %order.id, status = %order.status, "order moved by the system"),
        None => tracing::debug!(order = %target.order_id, "the order moved on first; nothing to do"),
    }
    Ok(())
}

/// Gives a cancelled card payment's money back to the card: asks the gateway to refund `amount`
/// on `payment_id` with a provider idempotency key derived from `refund_id` (the same on every
/// retry, so that the card is refunded once) and records the provider's reference. The ledger
/// moved the escrow to gateway clearing when the order was cancelled (see `gateway::refunds`).
async fn gateway_refund(app: &App, job: &Job) -> AppResult<()> {
    let refund: crate::escrow::GatewayRefundJob = serde_json::from_str(&job.payload)
        .map_err(|e| AppError::Internal(anyhow::anyhow!("job {} has a bad payload: {e}", job.id)))?;
    crate::gateway::refunds::send(app, &refund).await?;
    Ok(())
}

/// Delivers one of the sandbox gateway's callbacks to the webhook.
async fn gateway_callback(app: &App, job: &Job) -> AppResult<()> {
    let callback: crate::gateway::sandbox::CallbackJob = serde_json::from_str(&job.payload)
        .map_err(|e| AppError::Internal(anyhow::anyhow!("job {} has a bad payload: {e}", job.id)))?;
    crate::gateway::sandbox::deliver(app, &callback).await
}

/// Deletes the rate-limit buckets whose window has ended; returns how many.
pub async fn prune_rate_limits(app: &App) -> AppResult<u64> {
    // Every limit counts in the login window; a bucket older than that starts afresh anyway.
    let ended_before = now_ms() - app.settings.login_window_ms;
    let mut total = 0;
    loop {
        let mut conn = app.db.conn().await?;
        let n = rate_limits::prune(&mut conn, ended_before, PRUNE_BATCH).await?;
        total += n;
        if n < PRUNE_BATCH as u64 {
            return Ok(total);
        }
    }
}

/// Deletes the jobs that finished more than [`KEEP_DONE_MS`] ago; returns how many.
pub async fn prune_done_jobs(app: &App) -> AppResult<u64> {
    let before = now_ms() - KEEP_DONE_MS;
    let mut total = 0;
    loop {
        let mut conn = app.db.conn().await?;
        let n = jobs::prune_done(&mut conn, before, PRUNE_BATCH).await?;
        total += n;
        if n < PRUNE_BATCH as u64 {
            return Ok(total);
        }
    }
}
