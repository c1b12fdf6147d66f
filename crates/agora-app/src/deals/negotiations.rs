//! Offers and counter-offers on a listing: a buyer opens a negotiation on a variant whose product
//! takes offers, the parties alternate counter-offers, and one of them accepts (a contract and an
//! order), rejects or withdraws; an unanswered offer expires. Moves are in [`super::moves`]'s
//! sibling functions below; the rules are `agora_core::negotiation`.

use agora_core::address::{Address, AddressInput};
use agora_core::audit::AuditAction;
use agora_core::events::Event;
use agora_core::jobs::JobKind;
use agora_core::money::Money;
use agora_core::negotiation::{clears_floor, NegotiationStatus, Side, BELOW_FLOOR_MESSAGE, OPENED};
use agora_core::negotiation_event::EventAction;
use agora_core::order::PaymentMethod;
use agora_core::product::ProductStatus;
use agora_core::shop::ShopStatus;
use agora_core::text;
use agora_store::negotiations::{self as store, NegotiationRow, RoundRow};
use agora_store::products as product_store;
use agora_store::{new_id, now_ms, outbox, Conn};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::chat_events::{self, DeclinedOffer, Mover};
use super::offer_settings;
use crate::idempotency::{self, Answer, Claimed, Keyed};
use crate::stored::{currency, word};
use crate::{audit, jobs, rfc3339, Actor, App, AppError, AppResult};

/// The longest message with an offer.
pub const MESSAGE_MAX: usize = 2000;
/// The longest delivery terms of an offer.
pub const TERMS_MAX: usize = 500;

/// A buyer's first offer.
#[derive(Debug, Clone, Copy)]
pub struct OfferInput<'a> {
    pub variant_id: &'a str,
    pub quantity: i64,
    pub unit_price: Money,
    pub message: Option<&'a str>,
    pub delivery_terms: Option<&'a str>,
    /// `card`, `wallet`, `bank_transfer` (the default) or `cod`.
    pub payment_method: Option<&'a str>,
    pub shipping_address: Option<AddressInput<'a>>,
}

/// One offer or counter-offer.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RoundView {
    pub position: i64,
    pub by: Side,
    pub unit_price: Money,
    pub quantity: i64,
    pub delivery_terms: Option<String>,
    pub message: Option<String>,
    pub at: String,
}

/// A negotiation as its parties see it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct NegotiationView {
    pub id: String,
    pub status: NegotiationStatus,
    pub turn: Side,
    pub buyer_account_id: String,
    pub shop_id: String,
    pub shop_name: String,
    pub product_id: String,
    pub product_title: String,
    pub variant_id: String,
    pub sku: String,
    /// The catalog price per unit (for comparison).
    pub list_price: Money,
    pub payment_method: PaymentMethod,
    pub shipping_address: Option<serde_json::Value>,
    pub rounds: Vec<RoundView>,
    pub expires_at: String,
    pub contract_id: Option<String>,
    pub order_id: Option<String>,
    /// The conversation between the buyer and the shop where its moves appear.
    #[serde(default)]
    pub conversation_id: Option<String>,
    pub created_at: String,
    pub updated_at: String,
    /// The viewer's side.
    pub viewer: Side,
}

impl NegotiationView {
    /// The offer on the table: the last round.
    pub fn last(&self) -> &RoundView {
        self.rounds.last().expect("a negotiation has its opening offer")
    }

    /// Whether the viewer may answer now (counter, accept, reject).
    pub fn viewer_answers(&self) -> bool {
        self.status.is_open() && self.turn == self.viewer
    }
}

pub(crate) fn parse_text(field: &str, raw: Option<&str>, max: usize) -> AppResult<Option<String>> {
    match raw.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(s) => text::bounded(s, 1, max, true)
            .map(Some)
            .map_err(|m| AppError::invalid(field, m)),
    }
}

pub(crate) fn parse_payment(raw: Option<&str>) -> AppResult<PaymentMethod> {
    match raw.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(PaymentMethod::BankTransfer),
        Some(s) => s.parse().map_err(|m| AppError::invalid("payment_method", m)),
    }
}

pub(crate) fn parse_address(input: Option<AddressInput<'_>>) -> AppResult<Option<Address>> {
    input
        .map(|a| Address::parse("shipping_address", a))
        .transpose()
        .map_err(Into::into)
}

pub(crate) fn positive_price(field: &str, price: Money) -> AppResult<()> {
    if price.minor <= 0 {
        return Err(AppError::invalid(field, "must be more than zero"));
    }
    Ok(())
}

/// The variant a negotiation is about, with what the rules need of it.
pub(crate) struct Listing {
    pub product_id: String,
    pub title: String,
    pub shop_id: String,
    pub price: Money,
    pub stock: i64,
    pub min_order_qty: i64,
    pub takes_offers: bool,
    pub floor: Option<Money>,
}

pub(crate) async fn listing(conn: &mut Conn, variant_id: &str) -> AppResult<Listing> {
    let (product_id, _, _) = agora_store::catalog::variant_owner(conn, variant_id)
        .await?
        .ok_or_else(|| AppError::invalid("variant_id", "there is no such variant"))?;
    let (product, variants) = product_store::by_id(conn, &product_id)
        .await?
        .ok_or_else(|| AppError::invalid("variant_id", "there is no such variant"))?;
    let v = variants
        .into_iter()
        .find(|v| v.id == variant_id)
        .ok_or_else(|| AppError::invalid("variant_id", "there is no such variant"))?;
    let (takes_offers, floor) = offer_settings::stored(conn, &product_id).await?;
    Ok(Listing {
        shop_id: product.shop_id.clone(),
        price: Money::new(v.price_amount, currency(&v.currency)?),
        stock: v.stock,
        min_order_qty: product.min_order_qty.max(1),
        takes_offers: takes_offers && product.status == ProductStatus::Active,
        floor,
        title: product.title.clone(),
        product_id,
    })
}

/// Checks a quantity against the listing's stock and minimum.
pub(crate) fn check_quantity(l: &Listing, quantity: i64) -> AppResult<()> {
    if quantity < 1 {
        return Err(AppError::invalid("quantity", "must be at least 1"));
    }
    if quantity < l.min_order_qty {
        return Err(AppError::invalid(
            "quantity",
            format!("the minimum order is {} units", l.min_order_qty),
        ));
    }
    if quantity > l.stock {
        return Err(AppError::invalid("quantity", format!("only {} are in stock", l.stock)));
    }
    Ok(())
}

/// Checks a buyer's price: above zero, in the listing's currency, not under the floor (refused
/// with a neutral message that never reveals the floor).
pub(crate) fn check_buyer_price(l: &Listing, price: Money) -> AppResult<()> {
    positive_price("unit_price", price)?;
    if price.currency != l.price.currency {
        return Err(AppError::invalid(
            "unit_price",
            format!("must be in {}", l.price.currency.code()),
        ));
    }
    if !clears_floor(price, l.floor) {
        return Err(AppError::invalid("unit_price", BELOW_FLOOR_MESSAGE));
    }
    Ok(())
}

/// Whether a buyer's price, otherwise fine, is refused only because it is under the floor.
pub(crate) fn only_under_floor(l: &Listing, price: Money) -> bool {
    price.minor > 0 && price.currency == l.price.currency && !clears_floor(price, l.floor)
}

/// The payload of an `expire_negotiation` job: the negotiation, and the round count it must
/// still have for the job to act (a newer offer has its own job).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ExpiryJob {
    pub negotiation_id: String,
    pub rounds: i64,
}

/// Queues the expiry of the offer just made, in the caller's transaction.
pub(crate) async fn schedule_expiry(conn: &mut Conn, id: &str, rounds: i64, at: i64) -> AppResult<()> {
    let job = ExpiryJob {
        negotiation_id: id.to_owned(),
        rounds,
    };
    let payload = serde_json::to_value(&job).map_err(|e| AppError::Internal(e.into()))?;
    let key = format!("expire_negotiation:{id}:{rounds}");
    jobs::enqueue(conn, JobKind::ExpireNegotiation, &payload, at, Some(&key)).await?;
    Ok(())
}

/// Publishes the move to the outbox, naming the buyer and the shop's staff.
pub(crate) async fn announce(conn: &mut Conn, row: &NegotiationRow, event: &str, now: i64) -> AppResult<()> {
    let staff = super::shop_staff(conn, &row.shop_id).await?;
    let e = Event::NegotiationMoved {
        negotiation_id: row.id.clone(),
        event: event.to_owned(),
        status: word("negotiation status", &row.status)?,
        turn: word("turn", &row.turn)?,
        rounds: u32::try_from(row.rounds).unwrap_or(u32::MAX),
        notify: super::both_sides(&row.buyer_account_id, staff),
    };
    outbox::publish(conn, &e, now).await?;
    Ok(())
}

/// Opens a negotiation with the buyer's offer. Refused with 422 (and nothing stored) for a
/// product that takes no offers, the buyer's own shop's product, a price of zero or less or
/// under the floor, a quantity outside the stock.
pub async fn open(
    app: &App,
    actor: &Actor,
    input: OfferInput<'_>,
    key: Option<Keyed<'_, NegotiationView>>,
) -> AppResult<Answer<NegotiationView>> {
    let message = parse_text("message", input.message, MESSAGE_MAX)?;
    let delivery_terms = parse_text("delivery_terms", input.delivery_terms, TERMS_MAX)?;
    let payment = parse_payment(input.payment_method)?;
    let address = parse_address(input.shipping_address)?;
    positive_price("unit_price", input.unit_price)?;
    let now = now_ms();
    let mut tx = app.db.begin().await?;
    let pending = match idempotency::claim_in(&mut tx, key).await? {
        Claimed::Proceed(pending) => pending,
        Claimed::Replay(response) => return Ok(Answer::Replayed(response)),
    };
    let l = listing(&mut tx, input.variant_id).await?;
    let shop = super::shop(&mut tx, &l.shop_id).await?;
    if shop.status != ShopStatus::Approved || !l.takes_offers {
        return Err(AppError::invalid("variant_id", "this product does not take offers"));
    }
    if super::runs(actor, &shop) {
        return Err(AppError::invalid(
            "variant_id",
            "you cannot make an offer to your own shop",
        ));
    }
    check_quantity(&l, input.quantity)?;
    if let Err(refusal) = check_buyer_price(&l, input.unit_price) {
        if only_under_floor(&l, input.unit_price) {
            tx.rollback().await?;
            let offer = DeclinedOffer::Opening {
                shop: &shop,
                product_id: &l.product_id,
                product_title: &l.title,
            };
            chat_events::record_decline(app, actor, offer).await;
        }
        return Err(refusal);
    }
    let row = NegotiationRow {
        id: new_id("neg"),
        buyer_account_id: actor.account_id.clone(),
        company_id: actor.company.as_ref().map(|(id, _)| id.clone()),
        shop_id: l.shop_id.clone(),
        product_id: l.product_id.clone(),
        variant_id: input.variant_id.to_owned(),
        currency: l.price.currency.code().into(),
        status: OPENED.status.as_str().into(),
        turn: OPENED.turn.as_str().into(),
        rounds: 1,
        payment_method: payment.as_str().into(),
        shipping_address: address.as_ref().map(|a| serde_json::to_string(a).unwrap_or_default()),
        expires_at: now + app.settings.offer_ttl_ms,
        contract_id: None,
        order_id: None,
        created_at: now,
        updated_at: now,
    };
    store::insert(&mut tx, &row).await?;
    let round = RoundRow {
        position: 1,
        by_side: Side::Buyer.as_str().into(),
        account_id: actor.account_id.clone(),
        session_id: actor.token_id.clone(),
        unit_price: input.unit_price.minor,
        quantity: input.quantity,
        delivery_terms,
        message,
        at: now,
    };
    store::insert_round(&mut tx, &row.id, &round).await?;
    schedule_expiry(&mut tx, &row.id, 1, row.expires_at).await?;
    announce(&mut tx, &row, "opened", now).await?;
    let conversation = chat_events::for_buyer(&mut tx, actor, &shop, &l.product_id, &l.title, now).await?;
    store::set_conversation(&mut tx, &row.id, &conversation.id).await?;
    let event = chat_events::terms_of(&row, &round, EventAction::Offered)?;
    let mover = Mover::party(actor, Side::Buyer, &shop.name);
    chat_events::post(app, &mut tx, &conversation, mover, event, now).await?;
    audit::record(
        &mut tx,
        Some(&actor.account_id),
        AuditAction::NegotiationOpened,
        &row.id,
        json!({"variant_id": row.variant_id, "quantity": input.quantity, "unit_price": input.unit_price}),
    )
    .await?;
    let view = assemble(&mut tx, row, vec![round], Side::Buyer).await?;
    pending.save_in(&mut tx, &view).await?;
    tx.commit().await?;
    Ok(Answer::Done(view))
}

/// The view of a negotiation from its rows.
pub(crate) async fn assemble(
    conn: &mut Conn,
    row: NegotiationRow,
    rounds: Vec<RoundRow>,
    viewer: Side,
) -> AppResult<NegotiationView> {
    let cur = currency(&row.currency)?;
    let shop = super::shop(conn, &row.shop_id).await?;
    let (product, variants) = product_store::by_id(conn, &row.product_id)
        .await?
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("negotiation {} lost its product", row.id)))?;
    let variant = variants.iter().find(|v| v.id == row.variant_id);
    let conversation_id = store::conversation_of(conn, &row.id).await?;
    let rounds = rounds
        .into_iter()
        .map(|r| {
            Ok(RoundView {
                position: r.position,
                by: word("side", &r.by_side)?,
                unit_price: Money::new(r.unit_price, cur),
                quantity: r.quantity,
                delivery_terms: r.delivery_terms,
                message: r.message,
                at: rfc3339(r.at),
            })
        })
        .collect::<AppResult<Vec<_>>>()?;
    Ok(NegotiationView {
        status: word("negotiation status", &row.status)?,
        turn: word("turn", &row.turn)?,
        payment_method: word("payment method", &row.payment_method)?,
        shipping_address: row
            .shipping_address
            .as_deref()
            .and_then(|a| serde_json::from_str(a).ok()),
        shop_name: shop.name,
        product_title: product.title,
        sku: variant.map(|v| v.sku.clone()).unwrap_or_default(),
        list_price: Money::new(variant.map_or(0, |v| v.price_amount), cur),
        expires_at: rfc3339(row.expires_at),
        created_at: rfc3339(row.created_at),
        updated_at: rfc3339(row.updated_at),
        id: row.id,
        buyer_account_id: row.buyer_account_id,
        shop_id: row.shop_id,
        product_id: row.product_id,
        variant_id: row.variant_id,
        rounds,
        contract_id: row.contract_id,
        order_id: row.order_id,
        conversation_id,
        viewer,
    })
}

/// The actor's side in a negotiation, by their current roles; `None` when it is not theirs.
pub(crate) async fn side_of(conn: &mut Conn, actor: &Actor, row: &NegotiationRow) -> AppResult<Option<Side>> {
    if row.buyer_account_id == actor.account_id {
        return Ok(Some(Side::Buyer));
    }
    let shop = super::shop(conn, &row.shop_id).await?;
    Ok(super::runs(actor, &shop).then_some(Side::Seller))
}

/// One negotiation, for its buyer or the shop's staff; anyone else gets 404.
pub async fn get(app: &App, actor: &Actor, id: &str) -> AppResult<NegotiationView> {
    let mut conn = app.db.conn().await?;
    let row = store::by_id(&mut conn, id)
        .await?
        .ok_or(AppError::NotFound("negotiation"))?;
    let side = side_of(&mut conn, actor, &row)
        .await?
        .ok_or(AppError::NotFound("negotiation"))?;
    let rounds = store::rounds(&mut conn, id).await?;
    assemble(&mut conn, row, rounds, side).await
}

/// A page of negotiations, newest first.
#[derive(Debug, Clone)]
pub struct NegotiationPage {
    pub items: Vec<NegotiationView>,
    pub next_cursor: Option<String>,
}

/// The actor's negotiations as buyer, or those of the shops they run as seller; optionally only
/// those in `status`.
pub async fn list(
    app: &App,
    actor: &Actor,
    side: Side,
    status: Option<&str>,
    cursor: Option<&str>,
    limit: u32,
) -> AppResult<NegotiationPage> {
    let status = match status.filter(|s| !s.is_empty()) {
        Some(s) => Some(
            s.parse::<NegotiationStatus>()
                .map_err(|m| AppError::invalid("status", m))?,
        ),
        None => None,
    };
    let limit = limit.clamp(1, 100);
    let after = match cursor {
        Some(raw) => Some(
            raw.split_once('.')
                .and_then(|(at, id)| Some((at.parse::<i64>().ok()?, id.to_owned())))
                .ok_or_else(|| AppError::invalid("cursor", "is not a cursor this list gave out"))?,
        ),
        None => None,
    };
    let who = match side {
        Side::Buyer => store::Side::Buyer(&actor.account_id),
        Side::Seller => store::Side::ShopsOf {
            account_id: &actor.account_id,
            company_id: actor
                .company
                .as_ref()
                .filter(|(_, role)| role.may_run_shop())
                .map(|(id, _)| id.as_str()),
        },
    };
    let mut conn = app.db.conn().await?;
    let rows = store::list(
        &mut conn,
        who,
        status.map(NegotiationStatus::as_str),
        after.as_ref().map(|(at, id)| (*at, id.as_str())),
        i64::from(limit) + 1,
    )
    .await?;
    let more = rows.len() > limit as usize;
    let mut items = Vec::new();
    let mut last = None;
    for row in rows.into_iter().take(limit as usize) {
        last = Some(format!("{}.{}", row.created_at, row.id));
        let rounds = store::rounds(&mut conn, &row.id).await?;
        items.push(assemble(&mut conn, row, rounds, side).await?);
    }
    Ok(NegotiationPage {
        items,
        next_cursor: if more { last } else { None },
    })
}
