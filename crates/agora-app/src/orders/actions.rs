//! What the parties do to an order after checkout: the seller ships it, the buyer confirms
//! receipt, either cancels it while that is allowed. Each move is decided by
//! `agora_core::order::transition`, recorded on the timeline and in the audit log, and applied
//! only if nobody moved the order meanwhile.

use agora_core::audit::AuditAction;
use agora_core::catalog::StockMovementKind;
use agora_core::order::{returns_stock, transition, IllegalTransition, OrderAction, OrderState, OrderStatus, Party};
use agora_core::text;
use agora_store::catalog as catalog_store;
use agora_store::now_ms;
use agora_store::orders::{self as store, EventRow};
use agora_store::Conn;

use super::{follow_ups, party_of, state_of, view_of, OrderView};
use crate::{audit, escrow, Actor, App, AppError, AppResult, ConflictKind, Settings};

/// Tracking details of a shipment.
#[derive(Debug, Clone, Copy)]
pub struct Shipment<'a> {
    pub carrier: &'a str,
    pub tracking_number: &'a str,
}

fn refused(err: IllegalTransition) -> AppError {
    match err {
        IllegalTransition::Status { .. } => AppError::conflict(ConflictKind::InvalidTransition, err.to_string()),
        IllegalTransition::Party { .. } => AppError::Forbidden(err.to_string()),
    }
}

/// Who moves an order: a person, as the party they are to it, or the platform itself.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Mover<'a> {
    Person(&'a Actor),
    System,
}

async fn apply(
    app: &App,
    actor: &Actor,
    id: &str,
    action: OrderAction,
    shipment: Option<Shipment<'_>>,
    note: Option<String>,
) -> AppResult<OrderView> {
    apply_as(app, Mover::Person(actor), id, None, action, shipment, note).await
}

/// Moves the order by `action` for `mover`, if its rules allow and (with `expected`) it is still
/// in that status; the cancel, stock and timeline rules live here once for every party.
async fn apply_as(
    app: &App,
    mover: Mover<'_>,
    id: &str,
    expected: Option<OrderStatus>,
    action: OrderAction,
    shipment: Option<Shipment<'_>>,
    note: Option<String>,
) -> AppResult<OrderView> {
    let mut tx = app.db.begin().await?;
    let party = move_in(&mut tx, &app.settings, mover, id, expected, action, shipment, note).await?;
    let order = store::by_id(&mut tx, id).await?.ok_or(AppError::NotFound("order"))?;
    let view = view_of(&mut tx, order, party).await?;
    tx.commit().await?;
    Ok(view)
}

/// [`apply_as`] inside the caller's transaction (a payment settling moves its orders to `paid`
/// in its own): the status, stock, money, timeline, audit entry and follow-up jobs of the move.
/// Returns the party the mover was.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn move_in(
    tx: &mut Conn,
    settings: &Settings,
    mover: Mover<'_>,
    id: &str,
    expected: Option<OrderStatus>,
    action: OrderAction,
    shipment: Option<Shipment<'_>>,
    note: Option<String>,
) -> AppResult<Party> {
    let now = now_ms();
    let order = store::by_id(tx, id).await?.ok_or(AppError::NotFound("order"))?;
    let (party, account_id) = match mover {
        Mover::Person(actor) => {
            let party = party_of(tx, actor, &order).await?.ok_or(AppError::NotFound("order"))?;
            (party, Some(actor.account_id.as_str()))
        }
        Mover::System => (Party::System, None),
    };
    let state = state_of(&order)?;
    if expected.is_some_and(|s| s != state.status) {
        return Err(AppError::conflict(
            ConflictKind::ChangedMeanwhile,
            format!("the order is {} by now", state.status),
        ));
    }
    let to = transition(state, action, party).map_err(refused)?;
    if !store::set_status(tx, id, state.status.as_str(), to.as_str(), now).await? {
        return Err(AppError::conflict(
            ConflictKind::ChangedMeanwhile,
            "the order changed meanwhile; look at it again",
        ));
    }
    if let Some(s) = shipment {
        store::set_tracking(tx, id, s.carrier, s.tracking_number).await?;
    }
    // The money moves with the status: escrow released on completion, returned on cancellation.
    escrow::after_move(tx, settings, &order, state.status, to, now).await?;
    if returns_stock(state.status, to) {
        for l in store::lines(tx, id).await? {
            catalog_store::move_stock(
                tx,
                &l.variant_id,
                l.quantity,
                StockMovementKind::Returned,
                account_id,
                &format!("order {id} cancelled"),
                now,
            )
            .await?;
        }
    }
    if to == OrderStatus::Cancelled {
        // Cancelled or declined: the coupon use goes back once no order it covers is live.
        crate::coupons::give_back(tx, &order.group_id, now).await?;
    }
    let event = EventRow {
        event: action.event_name().into(),
        status: to.as_str().into(),
        actor: account_id.map(str::to_owned),
        party: party.as_str().into(),
        note,
        at: now,
    };
    store::insert_event(tx, id, &event).await?;
    let data = serde_json::json!({"from": state.status.as_str(), "to": to.as_str(), "party": party.as_str()});
    audit::record(tx, account_id, AuditAction::order_moved_by(action), id, data).await?;
    let new_state = OrderState {
        status: to,
        payment: state.payment,
    };
    follow_ups::after_move(tx, settings, id, new_state, action.event_name(), now).await?;
    Ok(party)
}

/// The platform moves the order by `action` (a timeout ran out) if it is still `expected`;
/// `None` when it moved on meanwhile, which leaves nothing to do.
pub async fn by_system(
    app: &App,
    id: &str,
    expected: OrderStatus,
    action: OrderAction,
    note: &str,
) -> AppResult<Option<OrderView>> {
    match apply_as(
        app,
        Mover::System,
        id,
        Some(expected),
        action,
        None,
        Some(note.to_owned()),
    )
    .await
    {
        Ok(view) => Ok(Some(view)),
        Err(AppError::Conflict { .. }) | Err(AppError::NotFound(_)) => Ok(None),
        Err(err) => Err(err),
    }
}

/// The seller hands the order to a carrier.
pub async fn ship(app: &App, actor: &Actor, id: &str, shipment: Shipment<'_>) -> AppResult<OrderView> {
    let carrier = text::bounded(shipment.carrier, 1, 100, false).map_err(|m| AppError::invalid("carrier", m))?;
    let tracking =
        text::bounded(shipment.tracking_number, 1, 100, false).map_err(|m| AppError::invalid("tracking_number", m))?;
    let note = format!("{carrier}, tracking number {tracking}");
    let shipment = Shipment {
        carrier: &carrier,
        tracking_number: &tracking,
    };
    apply(app, actor, id, OrderAction::Ship, Some(shipment), Some(note)).await
}

/// The buyer (or their company's admin) says the goods arrived.
pub async fn confirm_receipt(app: &App, actor: &Actor, id: &str) -> AppResult<OrderView> {
    apply(app, actor, id, OrderAction::ConfirmReceipt, None, None).await
}

/// Cancels the order while its status allows; the reserved stock goes back on sale.
pub async fn cancel(app: &App, actor: &Actor, id: &str, reason: Option<&str>) -> AppResult<OrderView> {
    let reason = text::optional(reason, 500).map_err(|m| AppError::invalid("reason", m))?;
    apply(app, actor, id, OrderAction::Cancel, None, reason).await
}

/// A company admin approves an order awaiting approval: it goes on to `pending_payment`, or to
/// `confirmed` for cash on delivery. Only an admin of the buying company, by their current role.
/// An order the purchaser chose to pay from the wallet is paid from it at once, in the same
/// transaction: 409 `insufficient-funds` (and nothing approved) when the wallet is short.
pub async fn approve(app: &App, actor: &Actor, id: &str) -> AppResult<OrderView> {
    let mut tx = app.db.begin().await?;
    let mover = Mover::Person(actor);
    let party = move_in(
        &mut tx,
        &app.settings,
        mover,
        id,
        None,
        OrderAction::Approve,
        None,
        None,
    )
    .await?;
    let order = store::by_id(&mut tx, id).await?.ok_or(AppError::NotFound("order"))?;
    if escrow::pay_approved_from_wallet(&mut tx, &order).await? {
        let note = Some("paid from the wallet".to_owned());
        let expected = Some(OrderStatus::PendingPayment);
        move_in(
            &mut tx,
            &app.settings,
            mover,
            id,
            expected,
            OrderAction::Pay,
            None,
            note,
        )
        .await?;
    }
    let order = store::by_id(&mut tx, id).await?.ok_or(AppError::NotFound("order"))?;
    let view = view_of(&mut tx, order, party).await?;
    tx.commit().await?;
    Ok(view)
}

/// A company admin declines an order awaiting approval: it is cancelled and its reserved stock
/// goes back on sale.
pub async fn decline(app: &App, actor: &Actor, id: &str, reason: Option<&str>) -> AppResult<OrderView> {
    let reason = text::optional(reason, 500).map_err(|m| AppError::invalid("reason", m))?;
    apply(app, actor, id, OrderAction::Decline, None, reason).await
}

/// Whether `party` may take `action` on an order in its current state (for showing buttons).
pub fn may(view: &OrderView, action: OrderAction) -> bool {
    let state = agora_core::order::OrderState {
        status: view.status,
        payment: view.payment_method,
    };
    transition(state, action, view.viewer).is_ok()
}
