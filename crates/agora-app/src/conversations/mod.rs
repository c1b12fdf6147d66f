//! Conversations between a buyer and a shop: opening one (optionally about a product, an order or
//! an RFQ), the inbox with unread counts, and the shop's median first-response time. Who takes
//! part is decided by current roles in `agora_core::conversation`; anyone else gets a 404.
//! Messages, read receipts and attachments are in [`messages`]; the email digest of unread
//! messages in [`digest`].

pub mod digest;
pub mod messages;

use agora_core::account::CompanyRole;
use agora_core::audit::AuditAction;
use agora_core::conversation::{self as rules, Member, OpenRefusal, Parties, Side};
use agora_core::product::ProductStatus;
use agora_store::conversations::{self as store, ConversationRow, NewConversation, Reader};
use agora_store::{companies, new_id, now_ms, products, shops, Conn};

use crate::{audit, rfc3339, Actor, App, AppError, AppResult};

/// The most conversations one page lists.
pub const PAGE_MAX: i64 = 100;
/// The answered questions the median first-response time looks at: the shop's most recent.
const REPLY_SAMPLE: i64 = 200;

/// How far each side of a conversation has read (message seqs; 0: nothing).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReadPositions {
    pub buyer: i64,
    pub seller: i64,
}

/// A conversation as one of its participants sees it.
#[derive(Debug, Clone)]
pub struct ConversationView {
    pub id: String,
    pub shop_id: String,
    pub shop_name: String,
    pub buyer_account_id: String,
    pub buyer_name: String,
    pub buyer_company_id: Option<String>,
    pub buyer_company_name: Option<String>,
    pub subject: String,
    pub product_id: Option<String>,
    pub order_id: Option<String>,
    pub rfq_id: Option<String>,
    /// The side the viewer takes part on.
    pub my_side: Side,
    /// Messages from others the viewer has not read.
    pub unread: i64,
    /// The newest message's seq (0: none yet).
    pub last_seq: i64,
    /// The newest message's text, if any.
    pub preview: Option<String>,
    /// Present on a single conversation, not in lists.
    pub read: Option<ReadPositions>,
    pub last_message_at: String,
    pub created_at: String,
}

fn view_of(row: ConversationRow, my_side: Side, unread: i64, preview: Option<String>) -> ConversationView {
    ConversationView {
        my_side,
        unread,
        preview,
        read: None,
        last_message_at: rfc3339(row.last_message_at),
        created_at: rfc3339(row.created_at),
        id: row.id,
        shop_id: row.shop_id,
        shop_name: row.shop_name,
        buyer_account_id: row.buyer_account_id,
        buyer_name: row.buyer_name,
        buyer_company_id: row.buyer_company_id,
        buyer_company_name: row.buyer_company_name,
        subject: row.subject,
        product_id: row.product_id,
        order_id: row.order_id,
        rfq_id: row.rfq_id,
        last_seq: row.last_seq,
    }
}

fn member(actor: &Actor) -> Member<'_> {
    Member {
        account_id: &actor.account_id,
        company: actor.company.as_ref().map(|(id, role)| (id.as_str(), *role)),
    }
}

fn parties(row: &ConversationRow) -> Parties<'_> {
    Parties {
        buyer_account_id: &row.buyer_account_id,
        buyer_company_id: row.buyer_company_id.as_deref(),
        shop_owner_account_id: &row.shop_owner_account_id,
        shop_company_id: row.shop_company_id.as_deref(),
    }
}

/// Whose conversations the actor reads, by their current role.
pub(crate) fn reader_of<'a>(account_id: &'a str, company: Option<(&'a str, CompanyRole)>) -> Reader<'a> {
    Reader {
        account_id,
        buyer_company_id: company
            .filter(|(_, role)| rules::speaks_for_buyer(*role))
            .map(|(id, _)| id),
        shop_company_id: company
            .filter(|(_, role)| rules::answers_for_shop(*role))
            .map(|(id, _)| id),
    }
}

/// A conversation the actor takes part in, and on which side; 404 for anyone else.
pub(crate) async fn joined(conn: &mut Conn, actor: &Actor, id: &str) -> AppResult<(ConversationRow, Side)> {
    let row = store::by_id(conn, id)
        .await?
        .ok_or(AppError::NotFound("conversation"))?;
    let side = rules::side_of(member(actor), parties(&row)).ok_or(AppError::NotFound("conversation"))?;
    Ok((row, side))
}

/// The members of `company` whose role passes `rule`.
async fn members_with(conn: &mut Conn, company: &str, rule: fn(CompanyRole) -> bool) -> AppResult<Vec<String>> {
    Ok(companies::members(conn, company)
        .await?
        .into_iter()
        .filter(|m| m.role.parse::<CompanyRole>().is_ok_and(rule))
        .map(|m| m.account_id)
        .collect())
}

/// Every account taking part in a conversation now: the pushes and digests go to them.
pub(crate) async fn participants(conn: &mut Conn, row: &ConversationRow) -> AppResult<Vec<String>> {
    let mut accounts = match &row.buyer_company_id {
        Some(company) => members_with(conn, company, rules::speaks_for_buyer).await?,
        None => vec![row.buyer_account_id.clone()],
    };
    match &row.shop_company_id {
        Some(company) => accounts.extend(members_with(conn, company, rules::answers_for_shop).await?),
        None => accounts.push(row.shop_owner_account_id.clone()),
    }
    accounts.sort();
    accounts.dedup();
    Ok(accounts)
}

/// A page size: 20 unless given, 1 to [`PAGE_MAX`].
pub(crate) fn page_limit(limit: Option<i64>) -> AppResult<i64> {
    match limit {
        None => Ok(20),
        Some(n) if (1..=PAGE_MAX).contains(&n) => Ok(n),
        Some(_) => Err(AppError::invalid("limit", format!("must be from 1 to {PAGE_MAX}"))),
    }
}

/// What a buyer sends to open a conversation.
#[derive(Debug, Clone, Copy, Default)]
pub struct OpenInput<'a> {
    pub shop_id: &'a str,
    pub subject: &'a str,
    pub product_id: Option<&'a str>,
    pub order_id: Option<&'a str>,
    pub rfq_id: Option<&'a str>,
    /// A first message, posted with the opening.
    pub body: Option<&'a str>,
}

fn given(v: Option<&str>) -> Option<&str> {
    v.map(str::trim).filter(|s| !s.is_empty())
}

/// Checks what the conversation is about: a product of the shop that the public sees, an order
/// of the actor's with the shop, an RFQ of the actor's that the shop quoted on or was invited to.
async fn check_topic(conn: &mut Conn, actor: &Actor, shop_id: &str, input: &OpenInput<'_>) -> AppResult<()> {
    if let Some(product_id) = given(input.product_id) {
        let listed = products::by_id(conn, product_id)
            .await?
            .is_some_and(|(p, _)| p.shop_id == shop_id && p.status != ProductStatus::Draft);
        if !listed {
            return Err(AppError::invalid("product_id", "is not a product of this shop"));
        }
    }
    if let Some(order_id) = given(input.order_id) {
        let order = agora_store::orders::by_id(conn, order_id).await?;
        let mine = match &order {
            Some(o) if o.shop_id == shop_id => matches!(
                crate::orders::party_of(conn, actor, o).await?,
                Some(agora_core::order::Party::Buyer | agora_core::order::Party::CompanyAdmin)
            ),
            _ => false,
        };
        if !mine {
            return Err(AppError::invalid(
                "order_id",
                "is not one of your orders with this shop",
            ));
        }
    }
    if let Some(rfq_id) = given(input.rfq_id) {
        agora_core::text::slug(rfq_id, 64).map_err(|m| AppError::invalid("rfq_id", m))?;
        crate::deals::quote_questions::check_topic(conn, actor, rfq_id, shop_id).await?;
    }
    Ok(())
}

/// Opens a conversation with an approved shop (404 for a shop the public does not see). A
/// company member opens it for the company, which needs a buying role (403 otherwise); nobody
/// opens one with their own shop (422).
pub async fn open(app: &App, actor: &Actor, input: OpenInput<'_>) -> AppResult<ConversationView> {
    let subject = rules::parse_subject(input.subject).map_err(|m| AppError::invalid("subject", m))?;
    let body = match given(input.body) {
        Some(raw) => Some(rules::parse_body(raw, false).map_err(|m| AppError::invalid("body", m))?),
        None => None,
    };
    let mut conn = app.db.conn().await?;
    let shop = shops::by_id(&mut conn, input.shop_id)
        .await?
        .filter(|s| s.status.is_public())
        .ok_or(AppError::NotFound("shop"))?;
    let buyer_company = rules::buyer_company_for(member(actor), &shop.owner_account_id, shop.company_id.as_deref())
        .map_err(|refusal| match refusal {
            OpenRefusal::OwnShop => AppError::invalid("shop_id", refusal.to_string()),
            OpenRefusal::NotABuyerOfTheCompany => AppError::Forbidden(refusal.to_string()),
        })?;
    check_topic(&mut conn, actor, &shop.id, &input).await?;
    drop(conn);
    let id = new_id("cnv");
    let now = now_ms();
    let mut tx = app.db.begin().await?;
    store::insert(
        &mut tx,
        &NewConversation {
            id: &id,
            shop_id: &shop.id,
            buyer_account_id: &actor.account_id,
            buyer_company_id: buyer_company.as_deref(),
            subject: &subject,
            product_id: given(input.product_id),
            order_id: given(input.order_id),
            rfq_id: given(input.rfq_id),
            now,
        },
    )
    .await?;
    let data = serde_json::json!({"shop_id": shop.id, "company_id": buyer_company});
    audit::record(
        &mut tx,
        Some(&actor.account_id),
        AuditAction::ConversationOpened,
        &id,
        data,
    )
    .await?;
    let row = store::by_id(&mut tx, &id)
        .await?
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("conversation {id} vanished")))?;
    let row = match body {
        Some(body) => {
            let posted = messages::post_in(app, &mut tx, actor, &row, Side::Buyer, body, None, now).await?;
            ConversationRow {
                last_seq: posted.seq,
                ..row
            }
        }
        None => row,
    };
    tx.commit().await?;
    Ok(view_of(row, Side::Buyer, 0, None))
}

/// A page of the actor's conversations, the most recently active first.
#[derive(Debug, Clone)]
pub struct ConversationPage {
    pub items: Vec<ConversationView>,
    pub next_cursor: Option<String>,
}

fn parse_cursor(raw: &str) -> AppResult<(i64, String)> {
    let bad = || AppError::invalid("cursor", "is not a cursor this list gave out");
    let (at, id) = raw.split_once('.').ok_or_else(bad)?;
    Ok((at.parse().map_err(|_| bad())?, id.to_owned()))
}

/// The conversations the actor takes part in now, with their unread counts.
pub async fn list(app: &App, actor: &Actor, cursor: Option<&str>, limit: Option<i64>) -> AppResult<ConversationPage> {
    let limit = page_limit(limit)?;
    let after = cursor.filter(|c| !c.is_empty()).map(parse_cursor).transpose()?;
    let mut conn = app.db.conn().await?;
    let company = actor.company.as_ref().map(|(id, role)| (id.as_str(), *role));
    let reader = reader_of(&actor.account_id, company);
    let mut rows = store::list(
        &mut conn,
        reader,
        after.as_ref().map(|(at, id)| (*at, id.as_str())),
        limit + 1,
    )
    .await?;
    let next_cursor = if rows.len() as i64 > limit {
        rows.truncate(limit as usize);
        rows.last()
            .map(|r| format!("{}.{}", r.conversation.last_message_at, r.conversation.id))
    } else {
        None
    };
    let items = rows
        .into_iter()
        .filter_map(|r| {
            let side = rules::side_of(member(actor), parties(&r.conversation))?;
            Some(view_of(r.conversation, side, r.unread, r.preview))
        })
        .collect();
    Ok(ConversationPage { items, next_cursor })
}

/// How many messages from others the actor has not read, in all their conversations.
pub async fn unread_total(app: &App, actor: &Actor) -> AppResult<i64> {
    let mut conn = app.db.conn().await?;
    let company = actor.company.as_ref().map(|(id, role)| (id.as_str(), *role));
    Ok(store::unread_total(&mut conn, reader_of(&actor.account_id, company)).await?)
}

/// One conversation the actor takes part in, with how far each side has read.
pub async fn get(app: &App, actor: &Actor, id: &str) -> AppResult<ConversationView> {
    let mut conn = app.db.conn().await?;
    let (row, side) = joined(&mut conn, actor, id).await?;
    let unread = store::unread_in(&mut conn, id, &actor.account_id).await?;
    let mut read = ReadPositions::default();
    for (side, seq) in store::read_by_side(&mut conn, id).await? {
        match side.parse::<Side>() {
            Ok(Side::Buyer) => read.buyer = seq,
            Ok(Side::Seller) => read.seller = seq,
            Err(_) => {}
        }
    }
    let mut view = view_of(row, side, unread, None);
    view.read = Some(read);
    Ok(view)
}

/// The median time (ms) the shop took to first answer a buyer's question, over its most recently
/// answered ones; `None` before it answered any. Questions never answered do not count.
pub async fn median_reply_ms(app: &App, shop_id: &str) -> AppResult<Option<i64>> {
    let mut conn = app.db.conn().await?;
    Ok(rules::median(
        store::reply_times(&mut conn, shop_id, REPLY_SAMPLE).await?,
    ))
}
