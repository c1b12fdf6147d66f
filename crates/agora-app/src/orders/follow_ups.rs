//! What an order's move leaves for later, added in the transaction of the move itself so that
//! the jobs exist exactly when the move is committed: the reservation's expiry while the order
//! waits for payment or approval, the automatic completion of a shipped prepaid order, and the
//! email telling the buyer.

use agora_core::jobs::JobKind;
use agora_core::order::{auto_complete_at, OrderState, OrderStatus};
use agora_store::Conn;
use serde::{Deserialize, Serialize};

use crate::{jobs, AppResult, Settings};

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

/// Adds the jobs an order that just reached `state` at `now` (by `event`) needs.
pub(crate) async fn after_move(
    conn: &mut Conn,
    settings: &Settings,
    order_id: &str,
    state: OrderState,
    event: &str,
    now: i64,
) -> AppResult<()> {
    if let Some(at) = settings.reservation.expires_at(state, now) {
        let job = OrderJob {
            order_id: order_id.to_owned(),
            status: state.status,
        };
        let key = format!("expire:{order_id}:{}", state.status);
        jobs::enqueue(conn, JobKind::ExpireReservation, &payload(&job), at, Some(&key)).await?;
    }
    if state.status == OrderStatus::Shipped && state.payment.is_prepaid() {
        let job = OrderJob {
            order_id: order_id.to_owned(),
            status: OrderStatus::Shipped,
        };
        let at = auto_complete_at(now, settings.auto_complete_days);
        let key = format!("auto_complete:{order_id}");
        jobs::enqueue(conn, JobKind::AutoComplete, &payload(&job), at, Some(&key)).await?;
    }
    let email = EmailJob {
        order_id: order_id.to_owned(),
        event: event.to_owned(),
    };
    jobs::enqueue(conn, JobKind::SendEmail, &payload(&email), now, None).await?;
    Ok(())
}
