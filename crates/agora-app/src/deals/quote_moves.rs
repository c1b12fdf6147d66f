//! The moves that end a quote or an RFQ without an acceptance: a shop withdraws its quote, a
//! quote expires when its validity runs out (an `expire_quote` job), and the buyer cancels an open
//! RFQ, which closes every submitted quote and tells their shops.

use agora_core::audit::AuditAction;
use agora_core::buyer::still_the_buyer;
use agora_core::events::Event;
use agora_core::jobs::JobKind;
use agora_core::rfq::{may_cancel, transition, QuoteAction, QuoteActor, QuoteClock, QuoteStatus, RfqStatus};
use agora_store::rfqs::{self as store, RfqRow};
use agora_store::{now_ms, outbox, Conn};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::quotes::{quote_view, refused, tell_closed, QuoteView};
use super::rfqs::{view, RfqView};
use crate::stored::word;
use crate::{audit, jobs, Actor, App, AppError, AppResult, ConflictKind};

/// The payload of an `expire_quote` job: the quote, and the revision it must still be at for the
/// job to act (a revision has its own validity and its own job).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct QuoteExpiryJob {
    pub quote_id: String,
    pub revision: i64,
}

/// Queues the expiry of a quote's revision at its `valid_until`, in the caller's transaction.
pub(crate) async fn schedule_expiry(conn: &mut Conn, quote_id: &str, revision: i64, at: i64) -> AppResult<()> {
    let job = QuoteExpiryJob {
        quote_id: quote_id.to_owned(),
        revision,
    };
    let payload = serde_json::to_value(&job).map_err(|e| AppError::Internal(e.into()))?;
    let key = format!("expire_quote:{quote_id}:{revision}");
    jobs::enqueue(conn, JobKind::ExpireQuote, &payload, at, Some(&key)).await?;
    Ok(())
}

/// Whether the actor acts as the RFQ's buyer today (see [`still_the_buyer`]).
pub(crate) fn buys(actor: &Actor, rfq: &RfqRow) -> bool {
    let membership = actor.company.as_ref().map(|(id, role)| (id.as_str(), *role));
    still_the_buyer(
        &actor.account_id,
        membership,
        &rfq.buyer_account_id,
        rfq.company_id.as_deref(),
    )
}

/// Withdraws the shop's quote (its staff; 404 for anyone else) while it is submitted: 409
/// `quote-closed` once it was accepted, rejected, withdrawn or expired. The buyer is told.
pub async fn withdraw(app: &App, actor: &Actor, quote_id: &str) -> AppResult<QuoteView> {
    let now = now_ms();
    let mut tx = app.db.begin().await?;
    let quote = store::quote_by_id(&mut tx, quote_id)
        .await?
        .ok_or(AppError::NotFound("quote"))?;
    let shop = super::shop(&mut tx, &quote.shop_id).await?;
    if !super::runs(actor, &shop) {
        return Err(AppError::NotFound("quote"));
    }
    let rfq = store::by_id(&mut tx, &quote.rfq_id)
        .await?
        .ok_or(AppError::NotFound("quote"))?;
    let clock = QuoteClock {
        now,
        deadline: rfq.deadline,
        valid_until: quote.valid_until,
    };
    transition(
        word("quote status", &quote.status)?,
        QuoteAction::Withdraw,
        QuoteActor::Seller,
        clock,
    )
    .map_err(refused)?;
    if !store::set_quote_status(&mut tx, quote_id, QuoteStatus::Withdrawn.as_str(), now).await? {
        return Err(AppError::conflict(
            ConflictKind::QuoteClosed,
            "the quote is no longer open",
        ));
    }
    let e = Event::QuoteClosed {
        rfq_id: rfq.id.clone(),
        quote_id: quote_id.to_owned(),
        status: QuoteStatus::Withdrawn,
        notify: vec![rfq.buyer_account_id.clone()],
    };
    outbox::publish(&mut tx, &e, now).await?;
    audit::record(
        &mut tx,
        Some(&actor.account_id),
        AuditAction::QuoteWithdrawn,
        quote_id,
        json!({"rfq_id": rfq.id, "shop_id": quote.shop_id, "revision": quote.revision}),
    )
    .await?;
    let mut row = quote;
    row.status = QuoteStatus::Withdrawn.as_str().into();
    row.updated_at = now;
    let v = quote_view(&mut tx, row).await?;
    tx.commit().await?;
    Ok(v)
}

/// Expires a quote still at `revision` whose validity ran out, as the system (run by its
/// `expire_quote` job); `false` when it moved on first. Both sides are told.
pub async fn expire(app: &App, quote_id: &str, revision: i64) -> AppResult<bool> {
    let now = now_ms();
    let mut tx = app.db.begin().await?;
    let Some(quote) = store::quote_by_id(&mut tx, quote_id).await? else {
        return Ok(false);
    };
    if !store::expire_quote(&mut tx, quote_id, revision, now).await? {
        return Ok(false);
    }
    let staff = super::shop_staff(&mut tx, &quote.shop_id).await?;
    let buyer = store::by_id(&mut tx, &quote.rfq_id)
        .await?
        .map(|r| r.buyer_account_id)
        .unwrap_or_default();
    let e = Event::QuoteClosed {
        rfq_id: quote.rfq_id.clone(),
        quote_id: quote_id.to_owned(),
        status: QuoteStatus::Expired,
        notify: super::both_sides(&buyer, staff),
    };
    outbox::publish(&mut tx, &e, now).await?;
    audit::record(
        &mut tx,
        None,
        AuditAction::QuoteExpired,
        quote_id,
        json!({"rfq_id": quote.rfq_id, "revision": revision}),
    )
    .await?;
    tx.commit().await?;
    Ok(true)
}

/// Cancels an open RFQ (its buyer while still buying for the company it was placed for; 404 for
/// anyone else, 403 for the buyer who no longer may): 409 `rfq-closed` once it was awarded or
/// cancelled. Every submitted quote closes as rejected and its shop is told (live and by email).
pub async fn cancel(app: &App, actor: &Actor, rfq_id: &str) -> AppResult<RfqView> {
    let now = now_ms();
    let mut tx = app.db.begin().await?;
    let rfq = store::by_id(&mut tx, rfq_id).await?.ok_or(AppError::NotFound("rfq"))?;
    if rfq.buyer_account_id != actor.account_id {
        return Err(AppError::NotFound("rfq"));
    }
    if !buys(actor, &rfq) {
        return Err(AppError::Forbidden(
            "only a company's admins and purchasers act for it; you no longer do".into(),
        ));
    }
    let status: RfqStatus = word("rfq status", &rfq.status)?;
    may_cancel(status).map_err(|e| AppError::conflict(ConflictKind::RfqClosed, e.to_string()))?;
    if !store::cancel(&mut tx, rfq_id, now).await? {
        return Err(AppError::conflict(
            ConflictKind::RfqClosed,
            "the request was closed meanwhile",
        ));
    }
    let closed = store::reject_all(&mut tx, rfq_id, now).await?;
    let subject = format!("The request \"{}\" was cancelled", rfq.title);
    tell_closed(&mut tx, &rfq, &closed, "cancelled the request", &subject, now).await?;
    audit::record(
        &mut tx,
        Some(&actor.account_id),
        AuditAction::RfqCancelled,
        rfq_id,
        json!({"closed_quotes": closed.iter().map(|c| &c.0).collect::<Vec<_>>()}),
    )
    .await?;
    let mut row = rfq;
    row.status = RfqStatus::Cancelled.as_str().into();
    row.updated_at = now;
    let v = view(&mut tx, row, true, None, now).await?;
    tx.commit().await?;
    Ok(v)
}
