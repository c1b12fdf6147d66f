//! Negotiation moves in the conversation between the buyer and the shop: every offer,
//! counter-offer, acceptance, rejection, withdrawal, expiry and automatic decline under the
//! floor becomes an `event` message there, written in the move's own transaction and pushed
//! live like any message (through the outbox).
//!
//! A negotiation's events go to the conversation its buyer has with the shop about the product
//! (reused when there is one, opened otherwise) and the negotiation remembers it. The
//! conversation follows the chat's rules of who takes part: a company buyer's goes to the
//! company when the buyer speaks for it, else it is the buyer's own.

use agora_core::audit::AuditAction;
use agora_core::conversation::{self as chat_rules, Member, Side as ChatSide};
use agora_core::money::Money;
use agora_core::negotiation::Side;
use agora_core::negotiation_event::{EventAction, EventBy, NegotiationEvent};
use agora_store::conversations::{self as chat_store, ConversationRow, NewConversation};
use agora_store::negotiations::{self as store, NegotiationRow, RoundRow};
use agora_store::shops::ShopRow;
use agora_store::{new_id, Conn};

use crate::conversations::messages;
use crate::stored::currency;
use crate::{audit, Actor, App, AppError, AppResult};

/// Who made a move, as its event message names them.
pub(crate) struct Mover<'a> {
    /// The account the message is sent as.
    pub account_id: &'a str,
    pub account_name: String,
    pub side: Side,
    pub by: EventBy,
    /// How the event names who moved: the buyer's name, or the shop's.
    pub by_name: String,
}

impl<'a> Mover<'a> {
    /// A party's own move.
    pub fn party(actor: &'a Actor, side: Side, shop_name: &str) -> Self {
        Mover {
            account_id: &actor.account_id,
            account_name: actor.name.clone(),
            side,
            by: side.into(),
            by_name: match side {
                Side::Buyer => actor.name.clone(),
                Side::Seller => shop_name.to_owned(),
            },
        }
    }

    /// The platform's decline of the buyer's offer under the floor.
    pub fn floor(actor: &'a Actor) -> Self {
        Mover {
            account_id: &actor.account_id,
            account_name: actor.name.clone(),
            side: Side::Buyer,
            by: EventBy::System,
            by_name: String::new(),
        }
    }
}

/// The terms of a round, as an event carries them.
pub(crate) fn terms_of(row: &NegotiationRow, round: &RoundRow, action: EventAction) -> AppResult<NegotiationEvent> {
    Ok(NegotiationEvent {
        negotiation_id: Some(row.id.clone()),
        action,
        by: EventBy::System,
        unit_price: Some(Money::new(round.unit_price, currency(&row.currency)?)),
        quantity: Some(round.quantity),
        round: Some(round.position),
        contract_id: None,
        order_id: None,
    })
}

/// What an automatic decline under the floor carries: nothing of the floor, nor of the price.
pub(crate) fn declined(negotiation_id: Option<&str>) -> NegotiationEvent {
    NegotiationEvent {
        negotiation_id: negotiation_id.map(str::to_owned),
        action: EventAction::Declined,
        by: EventBy::System,
        unit_price: None,
        quantity: None,
        round: None,
        contract_id: None,
        order_id: None,
    }
}

fn chat_side(side: Side) -> ChatSide {
    match side {
        Side::Buyer => ChatSide::Buyer,
        Side::Seller => ChatSide::Seller,
    }
}

/// The conversation between the buyer and the shop about the product: the most recent one, or a
/// new one "Offer on <title>".
async fn find_or_open(
    conn: &mut Conn,
    buyer_account_id: &str,
    buyer_company_id: Option<&str>,
    shop: &ShopRow,
    product_id: &str,
    product_title: &str,
    now: i64,
) -> AppResult<ConversationRow> {
    if let Some(found) =
        chat_store::about_product(conn, &shop.id, product_id, buyer_account_id, buyer_company_id).await?
    {
        return Ok(found);
    }
    let id = new_id("cnv");
    let subject: String = format!("Offer on {product_title}")
        .chars()
        .take(chat_rules::MAX_SUBJECT_CHARS)
        .collect();
    let subject = chat_rules::parse_subject(&subject).unwrap_or_else(|_| "Offer".to_owned());
    let new = NewConversation {
        id: &id,
        shop_id: &shop.id,
        buyer_account_id,
        buyer_company_id,
        subject: &subject,
        product_id: Some(product_id),
        order_id: None,
        rfq_id: None,
        now,
    };
    chat_store::insert(conn, &new).await?;
    let data = serde_json::json!({"shop_id": shop.id, "company_id": buyer_company_id, "product_id": product_id});
    audit::record(conn, Some(buyer_account_id), AuditAction::ConversationOpened, &id, data).await?;
    chat_store::by_id(conn, &id)
        .await?
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("conversation {id} vanished")))
}

/// The conversation a buyer's new offer on a product goes to: the company's when the buyer
/// speaks for their company, else their own.
pub(crate) async fn for_buyer(
    conn: &mut Conn,
    actor: &Actor,
    shop: &ShopRow,
    product_id: &str,
    product_title: &str,
    now: i64,
) -> AppResult<ConversationRow> {
    let member = Member {
        account_id: &actor.account_id,
        company: actor.company.as_ref().map(|(id, role)| (id.as_str(), *role)),
    };
    let company = chat_rules::buyer_company_for(member, &shop.owner_account_id, shop.company_id.as_deref())
        .ok()
        .flatten();
    find_or_open(
        conn,
        &actor.account_id,
        company.as_deref(),
        shop,
        product_id,
        product_title,
        now,
    )
    .await
}

/// The conversation of a negotiation; one opened before negotiations had one gets the buyer's
/// own conversation about the product.
pub(crate) async fn of_negotiation(conn: &mut Conn, row: &NegotiationRow, now: i64) -> AppResult<ConversationRow> {
    if let Some(id) = store::conversation_of(conn, &row.id).await? {
        if let Some(found) = chat_store::by_id(conn, &id).await? {
            return Ok(found);
        }
    }
    let shop = super::shop(conn, &row.shop_id).await?;
    let title = agora_store::products::by_id(conn, &row.product_id)
        .await?
        .map(|(p, _)| p.title)
        .unwrap_or_default();
    let found = find_or_open(conn, &row.buyer_account_id, None, &shop, &row.product_id, &title, now).await?;
    store::set_conversation(conn, &row.id, &found.id).await?;
    Ok(found)
}

/// Posts the event of a move in `conversation`, in the move's transaction.
pub(crate) async fn post(
    app: &App,
    conn: &mut Conn,
    conversation: &ConversationRow,
    mover: Mover<'_>,
    mut event: NegotiationEvent,
    now: i64,
) -> AppResult<()> {
    event.by = mover.by;
    let body = event.summary(&mover.by_name);
    messages::post_event_in(
        app,
        conn,
        conversation,
        mover.account_id,
        &mover.account_name,
        chat_side(mover.side),
        event,
        body,
        now,
    )
    .await?;
    Ok(())
}

/// Posts the event of a move of a negotiation that already has its conversation.
pub(crate) async fn post_move(
    app: &App,
    conn: &mut Conn,
    row: &NegotiationRow,
    mover: Mover<'_>,
    event: NegotiationEvent,
    now: i64,
) -> AppResult<()> {
    let conversation = of_negotiation(conn, row, now).await?;
    post(app, conn, &conversation, mover, event, now).await
}

/// Where a declined offer was made: a new negotiation (none is opened) or an open one.
pub(crate) enum DeclinedOffer<'a> {
    Opening {
        shop: &'a ShopRow,
        product_id: &'a str,
        product_title: &'a str,
    },
    Counter(&'a NegotiationRow),
}

/// Records, in a transaction of its own, that the buyer's offer under the floor was declined
/// automatically: the offer itself was refused and is stored nowhere, but both sides see that
/// one came and was declined (in neutral words). The buyer's answer is the refusal whatever
/// happens here, so a failure is logged, not returned.
pub(crate) async fn record_decline(app: &App, actor: &Actor, offer: DeclinedOffer<'_>) {
    if let Err(err) = write_decline(app, actor, offer).await {
        tracing::warn!(error = %err, "recording a declined offer in the conversation failed");
    }
}

async fn write_decline(app: &App, actor: &Actor, offer: DeclinedOffer<'_>) -> AppResult<()> {
    let now = agora_store::now_ms();
    let mut tx = app.db.begin().await?;
    let (conversation, negotiation_id) = match offer {
        DeclinedOffer::Opening {
            shop,
            product_id,
            product_title,
        } => (
            for_buyer(&mut tx, actor, shop, product_id, product_title, now).await?,
            None,
        ),
        DeclinedOffer::Counter(row) => (of_negotiation(&mut tx, row, now).await?, Some(row.id.as_str())),
    };
    post(
        app,
        &mut tx,
        &conversation,
        Mover::floor(actor),
        declined(negotiation_id),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
