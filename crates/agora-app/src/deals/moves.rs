//! The moves of an open negotiation: counter, reject, withdraw, accept (a signed contract and an
//! order), and expiry by the system. Each checks `agora_core::negotiation::transition` and writes
//! with a conditional update on the round count, so of two moves racing on one negotiation
//! exactly one is written; the other gets 409.

use agora_core::audit::AuditAction;
use agora_core::country::Country;
use agora_core::events::Event;
use agora_core::money::Money;
use agora_core::negotiation::{transition, Mover as By, NegotiationAction, NegotiationError, NegotiationState, Side};
use agora_core::negotiation_event::{EventAction, EventBy};
use agora_store::contracts::AcceptanceRow;
use agora_store::negotiations::{self as store, Move, NegotiationRow, RoundRow};
use agora_store::{new_id, now_ms, outbox, Conn};
use serde_json::json;

use super::chat_events::{self, DeclinedOffer, Mover};
use super::contracts::{self, ContractView, NewContract};
use super::negotiations::{
    announce, assemble, check_buyer_price, check_quantity, listing, only_under_floor, parse_text, positive_price,
    schedule_expiry, side_of, NegotiationView, MESSAGE_MAX, TERMS_MAX,
};
use super::orders::{self, Terms};
use crate::idempotency::{self, Answer, Claimed, Keyed};
use crate::orders::OrderView;
use crate::stored::{currency, word};
use crate::{audit, Actor, App, AppError, AppResult, ConflictKind};

/// A counter-offer: a new price, and optionally a new quantity and delivery terms.
#[derive(Debug, Clone, Copy)]
pub struct CounterInput<'a> {
    pub unit_price: Money,
    pub quantity: Option<i64>,
    pub message: Option<&'a str>,
    pub delivery_terms: Option<&'a str>,
}

/// What accepting produces.
#[derive(Debug, Clone)]
pub struct Accepted {
    pub negotiation: NegotiationView,
    pub contract: ContractView,
    pub order: OrderView,
}

fn refused(err: NegotiationError) -> AppError {
    let kind = match err {
        NegotiationError::Closed(_) => ConflictKind::NegotiationClosed,
        NegotiationError::OutOfTurn { .. } | NegotiationError::NotSystem => ConflictKind::NotYourTurn,
    };
    AppError::conflict(kind, err.to_string())
}

fn state_of(row: &NegotiationRow) -> AppResult<NegotiationState> {
    Ok(NegotiationState {
        status: word("negotiation status", &row.status)?,
        turn: word("turn", &row.turn)?,
    })
}

/// Loads the negotiation in the transaction and checks the move; 404 when it is not the actor's.
async fn load(
    conn: &mut Conn,
    actor: &Actor,
    id: &str,
    action: NegotiationAction,
) -> AppResult<(NegotiationRow, Side, NegotiationState)> {
    let row = store::by_id(conn, id).await?.ok_or(AppError::NotFound("negotiation"))?;
    let side = side_of(conn, actor, &row)
        .await?
        .ok_or(AppError::NotFound("negotiation"))?;
    let to = transition(state_of(&row)?, action, By::Party(side)).map_err(refused)?;
    Ok((row, side, to))
}

/// Writes the move; 409 when another move got there first.
async fn write(
    conn: &mut Conn,
    row: &mut NegotiationRow,
    to: NegotiationState,
    rounds: i64,
    expires_at: i64,
    now: i64,
) -> AppResult<()> {
    let m = Move {
        from_rounds: row.rounds,
        status: to.status.as_str(),
        turn: to.turn.as_str(),
        rounds,
        expires_at,
        now,
    };
    if !store::apply_move(conn, &row.id, m).await? {
        return Err(AppError::conflict(
            ConflictKind::NegotiationClosed,
            "the negotiation moved on meanwhile; reload it",
        ));
    }
    row.status = to.status.as_str().into();
    row.turn = to.turn.as_str().into();
    row.rounds = rounds;
    row.expires_at = expires_at;
    row.updated_at = now;
    Ok(())
}

/// The offer on the table: a negotiation's last round.
fn last_of<'a>(id: &str, rounds: &'a [RoundRow]) -> AppResult<&'a RoundRow> {
    rounds
        .last()
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("negotiation {id} has no rounds")))
}

fn audit_action(action: NegotiationAction) -> AuditAction {
    match action {
        NegotiationAction::Counter => AuditAction::NegotiationCountered,
        NegotiationAction::Accept => AuditAction::NegotiationAccepted,
        NegotiationAction::Reject => AuditAction::NegotiationRejected,
        NegotiationAction::Withdraw => AuditAction::NegotiationWithdrawn,
        NegotiationAction::Expire => AuditAction::NegotiationExpired,
    }
}

/// Answers the offer on the table with another (the party whose turn it is). A buyer's price
/// under the floor is refused like an opening offer (422, nothing stored).
pub async fn counter(app: &App, actor: &Actor, id: &str, input: CounterInput<'_>) -> AppResult<NegotiationView> {
    let message = parse_text("message", input.message, MESSAGE_MAX)?;
    let delivery_terms = parse_text("delivery_terms", input.delivery_terms, TERMS_MAX)?;
    positive_price("unit_price", input.unit_price)?;
    let now = now_ms();
    let mut tx = app.db.begin().await?;
    let (mut row, side, to) = load(&mut tx, actor, id, NegotiationAction::Counter).await?;
    let mut rounds = store::rounds(&mut tx, id).await?;
    let last = rounds
        .last()
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("negotiation {id} has no rounds")))?;
    let quantity = input.quantity.unwrap_or(last.quantity);
    let l = listing(&mut tx, &row.variant_id).await?;
    if input.unit_price.currency != currency(&row.currency)? {
        return Err(AppError::invalid("unit_price", format!("must be in {}", row.currency)));
    }
    check_quantity(&l, quantity)?;
    if side == Side::Buyer {
        if let Err(refusal) = check_buyer_price(&l, input.unit_price) {
            if only_under_floor(&l, input.unit_price) {
                tx.rollback().await?;
                chat_events::record_decline(app, actor, DeclinedOffer::Counter(&row)).await;
            }
            return Err(refusal);
        }
    }
    let delivery_terms = delivery_terms.or_else(|| last.delivery_terms.clone());
    let position = row.rounds + 1;
    let expires_at = now + app.settings.offer_ttl_ms;
    write(&mut tx, &mut row, to, position, expires_at, now).await?;
    let round = RoundRow {
        position,
        by_side: side.as_str().into(),
        account_id: actor.account_id.clone(),
        session_id: actor.token_id.clone(),
        unit_price: input.unit_price.minor,
        quantity,
        delivery_terms,
        message,
        at: now,
    };
    store::insert_round(&mut tx, id, &round).await?;
    schedule_expiry(&mut tx, id, position, expires_at).await?;
    announce(&mut tx, &row, "countered", now).await?;
    let shop = super::shop(&mut tx, &row.shop_id).await?;
    let event = chat_events::terms_of(&row, &round, EventAction::Countered)?;
    chat_events::post_move(app, &mut tx, &row, Mover::party(actor, side, &shop.name), event, now).await?;
    audit::record(
        &mut tx,
        Some(&actor.account_id),
        AuditAction::NegotiationCountered,
        id,
        json!({"by": side.as_str(), "unit_price": input.unit_price, "quantity": quantity}),
    )
    .await?;
    rounds.push(round);
    let view = assemble(&mut tx, row, rounds, side).await?;
    tx.commit().await?;
    Ok(view)
}

/// Ends the negotiation without a deal: `Reject` (the party whose turn it is) or `Withdraw` (the
/// party who made the last offer).
pub async fn close(app: &App, actor: &Actor, id: &str, action: NegotiationAction) -> AppResult<NegotiationView> {
    if !matches!(action, NegotiationAction::Reject | NegotiationAction::Withdraw) {
        return Err(AppError::Internal(anyhow::anyhow!("close is for reject and withdraw")));
    }
    let now = now_ms();
    let mut tx = app.db.begin().await?;
    let (mut row, side, to) = load(&mut tx, actor, id, action).await?;
    let (rounds_n, expires) = (row.rounds, row.expires_at);
    write(&mut tx, &mut row, to, rounds_n, expires, now).await?;
    announce(&mut tx, &row, action.event_name(), now).await?;
    audit::record(
        &mut tx,
        Some(&actor.account_id),
        audit_action(action),
        id,
        json!({"by": side.as_str()}),
    )
    .await?;
    let rounds = store::rounds(&mut tx, id).await?;
    let last = last_of(id, &rounds)?;
    let shop = super::shop(&mut tx, &row.shop_id).await?;
    let event = chat_events::terms_of(&row, last, action.into())?;
    chat_events::post_move(app, &mut tx, &row, Mover::party(actor, side, &shop.name), event, now).await?;
    let view = assemble(&mut tx, row, rounds, side).await?;
    tx.commit().await?;
    Ok(view)
}

/// Accepts the offer on the table (the party whose turn it is): the negotiation closes as
/// accepted, the platform signs a contract of the last round's terms, and an order at the agreed
/// price reserves the stock — all in one transaction. Of two acceptances at once, one wins; the
/// other gets 409 and creates nothing.
pub async fn accept(
    app: &App,
    actor: &Actor,
    id: &str,
    key: Option<Keyed<'_, Accepted>>,
) -> AppResult<Answer<Accepted>> {
    let now = now_ms();
    let mut tx = app.db.begin().await?;
    let pending = match idempotency::claim_in(&mut tx, key).await? {
        Claimed::Proceed(pending) => pending,
        Claimed::Replay(response) => return Ok(Answer::Replayed(response)),
    };
    let (mut row, side, to) = load(&mut tx, actor, id, NegotiationAction::Accept).await?;
    let (rounds_n, expires) = (row.rounds, row.expires_at);
    // The conditional update first: it holds the negotiation for this transaction.
    write(&mut tx, &mut row, to, rounds_n, expires, now).await?;
    let rounds = store::rounds(&mut tx, id).await?;
    let last = rounds
        .last()
        .cloned()
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("negotiation {id} has no rounds")))?;
    let shop = super::shop(&mut tx, &row.shop_id).await?;
    let cur = currency(&row.currency)?;
    let unit_price = Money::new(last.unit_price, cur);
    let address: Option<serde_json::Value> = row
        .shipping_address
        .as_deref()
        .and_then(|a| serde_json::from_str(a).ok());
    let destination = address
        .as_ref()
        .and_then(|a| a.get("country"))
        .and_then(|c| c.as_str())
        .and_then(|c| Country::parse(c).ok());
    let payment = word("payment method", &row.payment_method)?;
    let contract_id = new_id("ctr");
    let order_id = new_id("ord");
    let terms = Terms {
        order_id: order_id.clone(),
        contract_id: contract_id.clone(),
        buyer_account_id: row.buyer_account_id.clone(),
        shop_id: row.shop_id.clone(),
        shop_name: shop.name.clone(),
        variant_id: row.variant_id.clone(),
        quantity: last.quantity,
        unit_price,
        shipping: Money::zero(cur),
        payment,
        shipping_address: address.clone(),
        destination,
        accepted_by: actor.account_id.clone(),
    };
    let order = orders::place(&mut tx, &app.settings, &terms, now).await?;
    let item = orders::item(&mut tx, &row.variant_id).await?;
    let references = json!({
        "negotiation_id": row.id,
        "rounds": rounds.iter().map(|r| json!({
            "position": r.position, "by": r.by_side, "unit_price": Money::new(r.unit_price, cur),
            "quantity": r.quantity, "delivery_terms": r.delivery_terms, "at": crate::rfc3339(r.at),
        })).collect::<Vec<_>>(),
    });
    let acceptances = vec![
        AcceptanceRow {
            party: last.by_side.clone(),
            account_id: last.account_id.clone(),
            session_id: last.session_id.clone(),
            at: last.at,
        },
        AcceptanceRow {
            party: side.as_str().into(),
            account_id: actor.account_id.clone(),
            session_id: actor.token_id.clone(),
            at: now,
        },
    ];
    let contract = contracts::sign(
        &mut tx,
        &shop,
        NewContract {
            id: contract_id.clone(),
            source_kind: "negotiation",
            source_id: row.id.clone(),
            buyer_account_id: row.buyer_account_id.clone(),
            item,
            variant_id: row.variant_id.clone(),
            quantity: last.quantity,
            unit_price,
            shipping: Money::zero(cur),
            delivery_terms: last.delivery_terms.clone(),
            lead_time_days: None,
            payment,
            shipping_address: address,
            order_id: order_id.clone(),
            references,
            acceptances,
            now,
        },
    )
    .await?;
    agora_store::contracts::link_order(&mut tx, &order_id, &contract_id).await?;
    store::set_outcome(&mut tx, id, &contract_id, &order_id).await?;
    row.contract_id = Some(contract_id.clone());
    row.order_id = Some(order_id.clone());
    announce(&mut tx, &row, "accepted", now).await?;
    let mut event = chat_events::terms_of(&row, &last, EventAction::Accepted)?;
    event.contract_id = Some(contract_id.clone());
    event.order_id = Some(order_id.clone());
    chat_events::post_move(app, &mut tx, &row, Mover::party(actor, side, &shop.name), event, now).await?;
    let staff = super::shop_staff(&mut tx, &row.shop_id).await?;
    let signed = Event::ContractSigned {
        contract_id: contract_id.clone(),
        order_id: order_id.clone(),
        source: "negotiation".into(),
        source_id: row.id.clone(),
        notify: super::both_sides(&row.buyer_account_id, staff),
    };
    outbox::publish(&mut tx, &signed, now).await?;
    audit::record(
        &mut tx,
        Some(&actor.account_id),
        AuditAction::NegotiationAccepted,
        id,
        json!({"by": side.as_str(), "contract_id": contract_id, "order_id": order_id,
               "sha256": contract.sha256, "unit_price": unit_price, "quantity": last.quantity}),
    )
    .await?;
    let negotiation = assemble(&mut tx, row, rounds, side).await?;
    let accepted = Accepted {
        negotiation,
        contract,
        order,
    };
    pending.save_in(&mut tx, &accepted).await?;
    tx.commit().await?;
    Ok(Answer::Done(accepted))
}

/// Expires a negotiation whose offer number `rounds` went unanswered, as the system (run by its
/// `expire_negotiation` job when the offer's time is up); `false` when it moved on first.
pub async fn expire(app: &App, id: &str, rounds: i64) -> AppResult<bool> {
    let now = now_ms();
    let mut tx = app.db.begin().await?;
    let Some(mut row) = store::by_id(&mut tx, id).await? else {
        return Ok(false);
    };
    // The job runs when the offer's time is up (its due time is the expiry); a newer offer has a
    // job of its own, so only the round count is checked here.
    if row.rounds != rounds {
        return Ok(false);
    }
    let Ok(to) = transition(state_of(&row)?, NegotiationAction::Expire, By::System) else {
        return Ok(false);
    };
    let expires = row.expires_at;
    match write(&mut tx, &mut row, to, rounds, expires, now).await {
        Ok(()) => {}
        Err(AppError::Conflict { .. }) => return Ok(false),
        Err(e) => return Err(e),
    }
    announce(&mut tx, &row, "expired", now).await?;
    let rounds_kept = store::rounds(&mut tx, id).await?;
    let last = last_of(id, &rounds_kept)?;
    let name = agora_store::accounts::by_id(&mut tx, &last.account_id)
        .await?
        .map(|a| a.name)
        .unwrap_or_default();
    let mover = Mover {
        account_id: &last.account_id,
        account_name: name,
        side: word("side", &last.by_side)?,
        by: EventBy::System,
        by_name: String::new(),
    };
    let event = chat_events::terms_of(&row, last, EventAction::Expired)?;
    chat_events::post_move(app, &mut tx, &row, mover, event, now).await?;
    audit::record(
        &mut tx,
        None,
        AuditAction::NegotiationExpired,
        id,
        json!({"rounds": rounds}),
    )
    .await?;
    tx.commit().await?;
    Ok(true)
}
