//! Cash on delivery: the seller (or an operator) records the cash the carrier collected; the order
//! completes, and the platform's commission on it (`fees::fee_for`, the same as for a released
//! escrow) is then owed by the shop. It is booked on the shop's cash-on-delivery receivable
//! (`cod_receivable`, a platform-side account that may go below zero: −1.50 means the shop owes
//! 1.50), never as a negative shop balance; the shop's next payout settles it out of the
//! available balance (`payouts::request`), and what the shop may have paid out is its available
//! balance less what it owes.

use agora_core::ledger::seller;
use agora_core::money::Money;
use agora_core::order::{OrderAction, OrderStatus};
use agora_store::orders as order_store;
use agora_store::payouts as store;

use crate::idempotency::{self, Answer, Claimed, Keyed};
use crate::orders::actions::{move_in, Mover};
use crate::orders::{view_of, OrderView};
use crate::{fees, ledger, Actor, App, AppError, AppResult};

/// Records the cash of a shipped cash-on-delivery order as collected: it completes, and the
/// commission is owed (see the module). 409 when the order is not a shipped cash-on-delivery
/// order; 403 for the buyer; 404 for strangers. The `Idempotency-Key` is claimed in the same
/// transaction.
pub async fn collect_cash(
    app: &App,
    actor: &Actor,
    order_id: &str,
    key: Option<Keyed<'_, OrderView>>,
) -> AppResult<Answer<OrderView>> {
    let mut tx = app.db.begin().await?;
    let pending = match idempotency::claim_in(&mut tx, key).await? {
        Claimed::Proceed(pending) => pending,
        Claimed::Replay(response) => return Ok(Answer::Replayed(response)),
    };
    if !store::lock_order(&mut tx, order_id).await? {
        return Err(AppError::NotFound("order"));
    }
    let party = move_in(
        &mut tx,
        &app.settings,
        Mover::Person(actor),
        order_id,
        Some(OrderStatus::Shipped),
        OrderAction::CollectCash,
        None,
        Some("cash collected on delivery".into()),
    )
    .await?;
    let order = order_store::by_id(&mut tx, order_id)
        .await?
        .ok_or(AppError::NotFound("order"))?;
    let fee: Money = fees::fee_for(&mut tx, &app.settings, &order).await?;
    let posting = seller::cash_collected(&order.id, &order.shop_id, fee)
        .map_err(|e| AppError::Internal(anyhow::anyhow!("commission of {order_id}: {e}")))?;
    if let Some(posting) = posting {
        ledger::post(&mut tx, &posting).await?;
    }
    let view = view_of(&mut tx, order, party).await?;
    pending.save_in(&mut tx, &view).await?;
    tx.commit().await?;
    Ok(Answer::Done(view))
}
