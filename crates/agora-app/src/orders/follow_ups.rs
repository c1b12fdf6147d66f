//! What an order's move leaves for later, added in the transaction of the move itself so that
//! the jobs exist exactly when the move is committed: the reservation's expiry while the order
//! waits for payment or approval, the automatic completion of a shipped prepaid order, and the
//! email telling the buyer.

use agora_core::jobs::JobKind;
use agora_core::order::{auto_complete_at, OrderState, OrderStatus};
use agora_store::batch::Write;
use agora_store::jobs::{self as job_store, NewJob};
use agora_store::{now_ms, Conn};
use serde::{Deserialize, Serialize};

use crate::{AppResult, Settings};

/// The payload of the jobs that move an order as the system: the order, and the status it must
/// still be in for the job to act (anything else means somebody moved it first).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct OrderJob {
    pub order_id: String,
    pub status: OrderStatus,
}

/// The payload of a `send_email` job: the order, and the event on its timeline the email is about.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct EmailJob {
    pub order_id: String,
    pub event: String,
}

fn payload<T: Serialize>(value: &T) -> serde_json::Value {
    serde_json::to_value(value).unwrap_or_default()
}

/// A job an order's move leaves, not yet added.
#[derive(Debug, Clone)]
pub(crate) struct FollowUp {
    kind: JobKind,
    payload: String,
    run_at: i64,
    dedupe_key: Option<String>,
}

/// The jobs an order that just reached `state` at `now` (by `event`) needs.
pub(crate) fn of_move(settings: &Settings, order_id: &str, state: OrderState, event: &str, now: i64) -> Vec<FollowUp> {
    let mut jobs = Vec::new();
    if let Some(at) = settings.reservation.expires_at(state, now) {
        let job = OrderJob {
            order_id: order_id.to_owned(),
            status: state.status,
        };
        jobs.push(FollowUp {
            kind: JobKind::ExpireReservation,
            payload: payload(&job).to_string(),
            run_at: at,
            dedupe_key: Some(format!("expire:{order_id}:{}", state.status)),
        });
    }
    if state.status == OrderStatus::Shipped && state.payment.is_prepaid() {
        let job = OrderJob {
            order_id: order_id.to_owned(),
            status: OrderStatus::Shipped,
        };
        jobs.push(FollowUp {
            kind: JobKind::AutoComplete,
            payload: payload(&job).to_string(),
            run_at: auto_complete_at(now, settings.auto_complete_days),
            dedupe_key: Some(format!("auto_complete:{order_id}")),
        });
    }
    let email = EmailJob {
        order_id: order_id.to_owned(),
        event: event.to_owned(),
    };
    jobs.push(FollowUp {
        kind: JobKind::SendEmail,
        payload: payload(&email).to_string(),
        run_at: now,
        dedupe_key: None,
    });
    jobs
}

/// Follow-up jobs (of one or several orders) as one insert, to run in a batch of writes; `None`
/// for no job.
pub(crate) fn write(jobs: &[FollowUp]) -> Option<Write> {
    let new: Vec<NewJob<'_>> = jobs
        .iter()
        .map(|j| NewJob {
            kind: j.kind.as_str(),
            payload: &j.payload,
            run_at: j.run_at,
            dedupe_key: j.dedupe_key.as_deref(),
            max_attempts: j.kind.max_attempts(),
        })
        .collect();
    job_store::enqueue_write(&new, now_ms())
}

/// Adds the jobs an order that just reached `state` at `now` (by `event`) needs.
pub(crate) async fn after_move(
    conn: &mut Conn,
    settings: &Settings,
    order_id: &str,
    state: OrderState,
    event: &str,
    now: i64,
) -> AppResult<()> {
    if let Some(write) = write(&of_move(settings, order_id, state, event, now)) {
        write.run(conn).await?;
    }
    Ok(())
}
