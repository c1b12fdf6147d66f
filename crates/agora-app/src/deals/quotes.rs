//! Quotes on an RFQ: a shop submits one and may revise it until the deadline; sellers see only
//! their own; the buyer compares all of them and accepts one, which becomes a signed contract and
//! an order while every other quote closes as rejected and its shop is told.

use agora_core::audit::AuditAction;
use agora_core::country::Country;
use agora_core::events::Event;
use agora_core::money::Money;
use agora_core::rfq::{
    compare, may_submit, transition, QuoteAction, QuoteActor, QuoteClock, QuoteError, QuoteKey, QuoteSort, QuoteStatus,
    RfqStatus,
};
use agora_store::contracts::AcceptanceRow;
use agora_store::rfqs::{self as store, QuoteRow, RfqRow};
use agora_store::{new_id, now_ms, outbox, Conn};
use serde_json::json;

use super::contracts::{self, ContractView, NewContract};
use super::negotiations::{parse_text, positive_price};
use super::orders::{self, Terms};
use super::rfqs::seller_shop;
use crate::idempotency::{self, Answer, Claimed, Keyed};
use crate::orders::OrderView;
use crate::stored::{currency, word};
use crate::{audit, rfc3339, Actor, App, AppError, AppResult, ConflictKind};

/// What a seller sends to quote (or revise their quote).
#[derive(Debug, Clone, Copy)]
pub struct QuoteInput<'a> {
    /// The listing that fulfils the RFQ: its stock is reserved when the quote is accepted.
    pub variant_id: Option<&'a str>,
    pub unit_price: Money,
    pub quantity: i64,
    /// Delivery charged on top; zero when not given.
    pub shipping: Option<Money>,
    pub lead_time_days: i64,
    pub valid_until: &'a str,
    pub note: Option<&'a str>,
}

/// A quote as the viewer may see it.
#[derive(Debug, Clone)]
pub struct QuoteView {
    pub id: String,
    pub rfq_id: String,
    pub shop_id: String,
    pub shop_name: String,
    pub variant_id: Option<String>,
    pub unit_price: Money,
    pub quantity: i64,
    pub shipping: Money,
    /// Unit price × quantity + shipping.
    pub landed_total: Money,
    pub lead_time_days: i64,
    pub valid_until: String,
    pub note: Option<String>,
    pub status: QuoteStatus,
    pub revision: i64,
    /// The shop's average rating in hundredths of a star; `None` before its first rating.
    pub seller_rating: Option<i64>,
    /// How many ratings the average is of.
    pub seller_rating_count: i64,
    pub updated_at: String,
}

pub(crate) fn refused(err: QuoteError) -> AppError {
    match err {
        QuoteError::DeadlinePassed => AppError::conflict(ConflictKind::DeadlinePassed, err.to_string()),
        QuoteError::Closed(_) | QuoteError::NoLongerValid => {
            AppError::conflict(ConflictKind::QuoteClosed, err.to_string())
        }
        QuoteError::WrongParty(_) => AppError::NotFound("quote"),
    }
}

pub(crate) async fn quote_view(conn: &mut Conn, q: QuoteRow) -> AppResult<QuoteView> {
    let cur = currency(&q.currency)?;
    let unit_price = Money::new(q.unit_price, cur);
    let shipping = Money::new(q.shipping, cur);
    let landed_total = unit_price
        .times(u32::try_from(q.quantity).unwrap_or(u32::MAX))
        .and_then(|g| g.checked_add(shipping))
        .map_err(|e| AppError::Internal(e.into()))?;
    let shop = super::shop(conn, &q.shop_id).await?;
    let rating = crate::shop_ratings::summary(conn, &q.shop_id).await?;
    Ok(QuoteView {
        status: word("quote status", &q.status)?,
        valid_until: rfc3339(q.valid_until),
        updated_at: rfc3339(q.updated_at),
        shop_name: shop.name,
        seller_rating: rating.average_hundredths,
        seller_rating_count: rating.count,
        id: q.id,
        rfq_id: q.rfq_id,
        shop_id: q.shop_id,
        variant_id: q.variant_id,
        unit_price,
        quantity: q.quantity,
        shipping,
        landed_total,
        lead_time_days: q.lead_time_days,
        note: q.note,
        revision: q.revision,
    })
}

/// Submits the shop's quote on an RFQ, or revises it: before the deadline only (409
/// deadline-passed after), for at most the RFQ's quantity, valid until a future time. 404 when no
/// shop of the actor may see the RFQ.
pub async fn submit(app: &App, actor: &Actor, rfq_id: &str, input: QuoteInput<'_>) -> AppResult<QuoteView> {
    let note = parse_text("note", input.note, 2000)?;
    positive_price("unit_price", input.unit_price)?;
    let shipping = input.shipping.unwrap_or(Money::zero(input.unit_price.currency));
    if shipping.minor < 0 || shipping.currency != input.unit_price.currency {
        return Err(AppError::invalid(
            "shipping",
            "must be zero or more, in the quote's currency",
        ));
    }
    if !(0..=3650).contains(&input.lead_time_days) {
        return Err(AppError::invalid("lead_time_days", "must be between 0 and 3650 days"));
    }
    let valid_until = super::parse_time("valid_until", input.valid_until)?;
    let now = now_ms();
    if valid_until <= now {
        return Err(AppError::invalid("valid_until", "must be in the future"));
    }
    let mut tx = app.db.begin().await?;
    let rfq = store::by_id(&mut tx, rfq_id).await?.ok_or(AppError::NotFound("rfq"))?;
    let shop_id = seller_shop(&mut tx, actor, rfq_id)
        .await?
        .ok_or(AppError::NotFound("rfq"))?;
    if input.quantity < 1 || input.quantity > rfq.quantity {
        return Err(AppError::invalid(
            "quantity",
            format!("must be between 1 and the {} units asked for", rfq.quantity),
        ));
    }
    let variant_id = input
        .variant_id
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .ok_or_else(|| AppError::invalid("variant_id", "choose the listing of yours this quote sells"))?;
    match agora_store::catalog::variant_owner(&mut tx, variant_id).await? {
        Some((_, owner, _)) if owner == shop_id => {}
        _ => return Err(AppError::invalid("variant_id", "is not a listing of your shop")),
    }
    let l = super::negotiations::listing(&mut tx, variant_id).await?;
    if l.price.currency != input.unit_price.currency {
        return Err(AppError::invalid(
            "unit_price",
            format!("must be in {}", l.price.currency.code()),
        ));
    }
    let status: RfqStatus = word("rfq status", &rfq.status)?;
    if status != RfqStatus::Open {
        return Err(AppError::conflict(
            ConflictKind::RfqClosed,
            format!("this request is {status} and takes no more quotes"),
        ));
    }
    let existing = store::quote_of_shop(&mut tx, rfq_id, &shop_id).await?;
    let mut row = QuoteRow {
        id: existing.as_ref().map_or_else(|| new_id("quo"), |q| q.id.clone()),
        rfq_id: rfq_id.to_owned(),
        shop_id: shop_id.clone(),
        account_id: actor.account_id.clone(),
        session_id: actor.token_id.clone(),
        variant_id: Some(variant_id.to_owned()),
        unit_price: input.unit_price.minor,
        currency: input.unit_price.currency.code().into(),
        quantity: input.quantity,
        shipping: shipping.minor,
        lead_time_days: input.lead_time_days,
        valid_until,
        note,
        status: QuoteStatus::Submitted.as_str().into(),
        revision: 1,
        created_at: now,
        updated_at: now,
    };
    match &existing {
        None => {
            may_submit(now, rfq.deadline, status).map_err(refused)?;
            if !store::insert_quote(&mut tx, &row).await? {
                return Err(AppError::conflict(
                    ConflictKind::ChangedMeanwhile,
                    "your shop quoted meanwhile; reload",
                ));
            }
        }
        Some(old) => {
            let clock = QuoteClock {
                now,
                deadline: rfq.deadline,
                valid_until: old.valid_until,
            };
            may_submit(now, rfq.deadline, status).map_err(refused)?;
            transition(
                word("quote status", &old.status)?,
                QuoteAction::Revise,
                QuoteActor::Seller,
                clock,
            )
            .map_err(refused)?;
            row.revision = old.revision + 1;
            row.created_at = old.created_at;
            if !store::revise_quote(&mut tx, &row).await? {
                return Err(AppError::conflict(
                    ConflictKind::ChangedMeanwhile,
                    "the quote changed meanwhile; reload",
                ));
            }
        }
    }
    let e = Event::QuoteSubmitted {
        rfq_id: rfq_id.to_owned(),
        quote_id: row.id.clone(),
        revision: u32::try_from(row.revision).unwrap_or(u32::MAX),
        notify: vec![rfq.buyer_account_id.clone()],
    };
    outbox::publish(&mut tx, &e, now).await?;
    super::quote_moves::schedule_expiry(&mut tx, &row.id, row.revision, valid_until).await?;
    audit::record(
        &mut tx,
        Some(&actor.account_id),
        AuditAction::QuoteSubmitted,
        &row.id,
        json!({"rfq_id": rfq_id, "shop_id": shop_id, "revision": row.revision, "unit_price": input.unit_price, "quantity": input.quantity}),
    )
    .await?;
    let v = quote_view(&mut tx, row).await?;
    tx.commit().await?;
    Ok(v)
}

/// The quotes on an RFQ: every one for its buyer (sorted by `sort`), only the own shop's for a
/// seller; 404 for anyone else.
pub async fn list(app: &App, actor: &Actor, rfq_id: &str, sort: QuoteSort) -> AppResult<Vec<QuoteView>> {
    let mut conn = app.db.conn().await?;
    let rfq = store::by_id(&mut conn, rfq_id)
        .await?
        .ok_or(AppError::NotFound("rfq"))?;
    let rows = if rfq.buyer_account_id == actor.account_id {
        store::quotes_of(&mut conn, rfq_id).await?
    } else {
        let shop = seller_shop(&mut conn, actor, rfq_id)
            .await?
            .ok_or(AppError::NotFound("rfq"))?;
        store::quote_of_shop(&mut conn, rfq_id, &shop)
            .await?
            .into_iter()
            .collect()
    };
    let mut out = Vec::new();
    for q in rows {
        out.push(quote_view(&mut conn, q).await?);
    }
    out.sort_by(|a, b| {
        let key = |q: &QuoteView| (q.landed_total.minor, q.lead_time_days, q.seller_rating);
        let (ka, kb) = (key(a), key(b));
        compare(
            sort,
            &QuoteKey {
                landed_minor: ka.0,
                lead_time_days: ka.1,
                rating: ka.2,
                id: &a.id,
            },
            &QuoteKey {
                landed_minor: kb.0,
                lead_time_days: kb.1,
                rating: kb.2,
                id: &b.id,
            },
        )
    });
    Ok(out)
}

/// What accepting a quote produces.
#[derive(Debug, Clone)]
pub struct QuoteAccepted {
    pub quote: QuoteView,
    pub contract: ContractView,
    pub order: OrderView,
}

/// Accepts a quote (the RFQ's buyer only; 404 for anyone else): the RFQ is awarded, the quote
/// accepted and every other one rejected (their shops are told), and a signed contract and an
/// order at the quoted price are created — in one transaction. A company purchaser's order above
/// the company's approval limit waits for a company admin (`awaiting_approval`).
pub async fn accept(
    app: &App,
    actor: &Actor,
    quote_id: &str,
    key: Option<Keyed<'_, QuoteAccepted>>,
) -> AppResult<Answer<QuoteAccepted>> {
    let now = now_ms();
    let mut tx = app.db.begin().await?;
    let pending = match idempotency::claim_in(&mut tx, key).await? {
        Claimed::Proceed(pending) => pending,
        Claimed::Replay(response) => return Ok(Answer::Replayed(response)),
    };
    let quote = store::quote_by_id(&mut tx, quote_id)
        .await?
        .ok_or(AppError::NotFound("quote"))?;
    let rfq = store::by_id(&mut tx, &quote.rfq_id)
        .await?
        .ok_or(AppError::NotFound("quote"))?;
    if rfq.buyer_account_id != actor.account_id {
        return Err(AppError::NotFound("quote"));
    }
    let clock = QuoteClock {
        now,
        deadline: rfq.deadline,
        valid_until: quote.valid_until,
    };
    transition(
        word("quote status", &quote.status)?,
        QuoteAction::Accept,
        QuoteActor::Buyer,
        clock,
    )
    .map_err(refused)?;
    // The RFQ first: of two acceptances on one RFQ, one is awarded, the other stops here.
    if !store::award(&mut tx, &rfq.id, quote_id, now).await? {
        return Err(AppError::conflict(
            ConflictKind::QuoteClosed,
            "another quote of this RFQ was accepted",
        ));
    }
    if !store::set_quote_status(&mut tx, quote_id, QuoteStatus::Accepted.as_str(), now).await? {
        return Err(AppError::conflict(
            ConflictKind::QuoteClosed,
            "the quote is no longer open",
        ));
    }
    let outcome = sign_and_order(app, &mut tx, actor, &rfq, &quote, now).await?;
    let others = store::reject_others(&mut tx, &rfq.id, quote_id, now).await?;
    let subject = format!("Your quote on \"{}\" was not chosen", rfq.title);
    tell_closed(&mut tx, &rfq, &others, "accepted another quote", &subject, now).await?;
    let staff = super::shop_staff(&mut tx, &quote.shop_id).await?;
    let won = Event::QuoteClosed {
        rfq_id: rfq.id.clone(),
        quote_id: quote_id.to_owned(),
        status: QuoteStatus::Accepted,
        notify: staff.clone(),
    };
    outbox::publish(&mut tx, &won, now).await?;
    let signed = Event::ContractSigned {
        contract_id: outcome.0.id.clone(),
        order_id: outcome.1.id.clone(),
        source: "quote".into(),
        source_id: quote_id.to_owned(),
        notify: super::both_sides(&rfq.buyer_account_id, staff),
    };
    outbox::publish(&mut tx, &signed, now).await?;
    audit::record(
        &mut tx,
        Some(&actor.account_id),
        AuditAction::QuoteAccepted,
        quote_id,
        json!({"rfq_id": rfq.id, "contract_id": outcome.0.id, "order_id": outcome.1.id,
               "sha256": outcome.0.sha256, "rejected": others.iter().map(|o| &o.0).collect::<Vec<_>>()}),
    )
    .await?;
    let mut accepted_row = quote.clone();
    accepted_row.status = QuoteStatus::Accepted.as_str().into();
    let result = QuoteAccepted {
        quote: quote_view(&mut tx, accepted_row).await?,
        contract: outcome.0,
        order: outcome.1,
    };
    pending.save_in(&mut tx, &result).await?;
    tx.commit().await?;
    Ok(Answer::Done(result))
}

async fn sign_and_order(
    app: &App,
    tx: &mut Conn,
    actor: &Actor,
    rfq: &RfqRow,
    quote: &QuoteRow,
    now: i64,
) -> AppResult<(ContractView, OrderView)> {
    let shop = super::shop(tx, &quote.shop_id).await?;
    let cur = currency(&quote.currency)?;
    let unit_price = Money::new(quote.unit_price, cur);
    let shipping = Money::new(quote.shipping, cur);
    let variant_id = quote
        .variant_id
        .clone()
        .ok_or_else(|| AppError::conflict(ConflictKind::QuoteClosed, "this quote names no listing to order"))?;
    let address: Option<serde_json::Value> = rfq
        .shipping_address
        .as_deref()
        .and_then(|a| serde_json::from_str(a).ok());
    let destination = address
        .as_ref()
        .and_then(|a| a.get("country"))
        .and_then(|c| c.as_str())
        .or(rfq.delivery_country.as_deref())
        .and_then(|c| Country::parse(c).ok());
    let payment = word("payment method", &rfq.payment_method)?;
    let contract_id = new_id("ctr");
    let order_id = new_id("ord");
    let terms = Terms {
        order_id: order_id.clone(),
        contract_id: contract_id.clone(),
        buyer_account_id: rfq.buyer_account_id.clone(),
        shop_id: quote.shop_id.clone(),
        shop_name: shop.name.clone(),
        variant_id: variant_id.clone(),
        quantity: quote.quantity,
        unit_price,
        shipping,
        payment,
        shipping_address: address.clone(),
        destination,
        accepted_by: actor.account_id.clone(),
    };
    let order = orders::place(tx, &app.settings, &terms, now).await?;
    let item = orders::item(tx, &variant_id).await?;
    let references = json!({
        "rfq_id": rfq.id, "rfq_title": rfq.title, "quote_id": quote.id, "quote_revision": quote.revision,
        "quoted_at": rfc3339(quote.updated_at), "valid_until": rfc3339(quote.valid_until), "note": quote.note,
    });
    let acceptances = vec![
        AcceptanceRow {
            party: "seller".into(),
            account_id: quote.account_id.clone(),
            session_id: quote.session_id.clone(),
            at: quote.updated_at,
        },
        AcceptanceRow {
            party: "buyer".into(),
            account_id: actor.account_id.clone(),
            session_id: actor.token_id.clone(),
            at: now,
        },
    ];
    let contract = contracts::sign(
        tx,
        &shop,
        NewContract {
            id: contract_id,
            source_kind: "quote",
            source_id: quote.id.clone(),
            buyer_account_id: rfq.buyer_account_id.clone(),
            item,
            variant_id,
            quantity: quote.quantity,
            unit_price,
            shipping,
            delivery_terms: quote.note.clone(),
            lead_time_days: Some(quote.lead_time_days),
            payment,
            shipping_address: address,
            order_id,
            references,
            acceptances,
            now,
        },
    )
    .await?;
    agora_store::contracts::link_order(tx, &order.id, &contract.id).await?;
    Ok((contract, order))
}

/// Tells each shop of `closed` (quote id, shop id) that its quote on `rfq` closed as rejected
/// because the buyer `why` (e.g. "cancelled the request"): a live event and an email to its staff.
pub(super) async fn tell_closed(
    conn: &mut Conn,
    rfq: &RfqRow,
    closed: &[(String, String)],
    why: &str,
    subject: &str,
    now: i64,
) -> AppResult<()> {
    for (quote_id, shop_id) in closed {
        let staff = super::shop_staff(conn, shop_id).await?;
        let e = Event::QuoteClosed {
            rfq_id: rfq.id.clone(),
            quote_id: quote_id.clone(),
            status: QuoteStatus::Rejected,
            notify: staff.clone(),
        };
        outbox::publish(conn, &e, now).await?;
        let body = format!(
            "The buyer of \"{}\" {why}. Your quote {quote_id} is closed.\n\nSee it at /rfqs/{}\n",
            rfq.title, rfq.id
        );
        super::emails::queue(conn, &staff, subject, &body, now).await?;
    }
    Ok(())
}
