//! Orders: placed by checkout ([`checkout`]), one per shop; seen by their buyer (and the buying
//! company's admins), by the shop's staff and by operators; moved on by [`actions`] through the
//! one state machine in `agora_core::order`.

pub mod actions;
pub mod checkout;
pub mod emails;
pub mod follow_ups;
mod place;
pub mod reorder;

use agora_core::account::CompanyRole;
use agora_core::money::Money;
use agora_core::order::{OrderState, OrderStatus, Party, PaymentMethod};
use agora_store::orders::{self as store, OrderRow};
use agora_store::shops as shop_store;
use agora_store::Conn;

use crate::stored::{currency, word};
use crate::{rfc3339, Actor, App, AppError, AppResult};

/// An order as its parties see it: a snapshot of what was bought at checkout, and its timeline.
#[derive(Debug, Clone)]
pub struct OrderView {
    pub id: String,
    pub group_id: String,
    pub status: OrderStatus,
    pub payment_method: PaymentMethod,
    pub buyer_account_id: String,
    pub shop_id: String,
    pub shop_name: String,
    pub lines: Vec<OrderLineView>,
    pub subtotal: Money,
    pub discount: Money,
    pub shipping: Money,
    pub tax: Money,
    pub total: Money,
    /// Whether the prices shown contain tax.
    pub tax_inclusive: bool,
    pub shipping_address: serde_json::Value,
    pub purchase_order: Option<String>,
    pub carrier: Option<String>,
    pub tracking_number: Option<String>,
    /// The shipping method chosen at checkout (`None`: the shop's plain shipping rate).
    pub shipping_method: Option<String>,
    pub created_at: String,
    pub created_at_ms: i64,
    pub events: Vec<OrderEventView>,
    /// How the viewer takes part in the order.
    pub viewer: Party,
}

#[derive(Debug, Clone)]
pub struct OrderLineView {
    pub variant_id: String,
    pub product_id: String,
    pub title: String,
    pub sku: String,
    pub variant_label: String,
    pub quantity: i64,
    /// The price per unit the buyer was shown and charged.
    pub unit_price: Money,
    /// `unit_price × quantity`, less the line's share of any discount.
    pub line_total: Money,
    pub tax: Money,
    /// The tax rate in basis points (1900 = 19 %).
    pub tax_rate_bp: i64,
}

/// One step of an order's timeline: what happened, who did it, when.
#[derive(Debug, Clone)]
pub struct OrderEventView {
    pub event: String,
    pub status: String,
    pub party: String,
    pub actor: Option<String>,
    pub note: Option<String>,
    pub at: String,
}

/// How `actor` takes part in `order`, by their current roles; `None` when it is none of theirs
/// (a 404: an order's existence is private).
pub(crate) async fn party_of(conn: &mut Conn, actor: &Actor, order: &OrderRow) -> AppResult<Option<Party>> {
    if order.buyer_account_id == actor.account_id {
        return Ok(Some(Party::Buyer));
    }
    if let Some(company) = &order.company_id {
        if actor.role_in(company) == Some(CompanyRole::Admin) {
            return Ok(Some(Party::CompanyAdmin));
        }
    }
    let shop = shop_store::by_id(conn, &order.shop_id)
        .await?
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("order {} has no shop", order.id)))?;
    if actor.may_run_shop(&shop.owner_account_id, shop.company_id.as_deref()) {
        return Ok(Some(Party::Seller));
    }
    if actor.is_operator {
        return Ok(Some(Party::Operator));
    }
    Ok(None)
}

pub(crate) async fn view_of(conn: &mut Conn, order: OrderRow, viewer: Party) -> AppResult<OrderView> {
    let shop_name = shop_store::by_id(conn, &order.shop_id)
        .await?
        .map(|s| s.name)
        .unwrap_or_default();
    let lines = store::lines(conn, &order.id).await?;
    let events = store::events(conn, &order.id).await?;
    assemble(order, shop_name, lines, events, viewer)
}

/// The view of an order from its rows: what [`view_of`] reads, or what checkout just wrote.
pub(crate) fn assemble(
    order: OrderRow,
    shop_name: String,
    lines: Vec<store::LineRow>,
    events: Vec<store::EventRow>,
    viewer: Party,
) -> AppResult<OrderView> {
    let cur = currency(&order.currency)?;
    let money = |minor| Money::new(minor, cur);
    let lines = lines
        .into_iter()
        .map(|l| OrderLineView {
            variant_id: l.variant_id,
            product_id: l.product_id,
            title: l.title,
            sku: l.sku,
            variant_label: l.variant_label,
            quantity: l.quantity,
            unit_price: money(l.unit_price),
            line_total: money(l.gross.max(l.net)),
            tax: money(l.tax),
            tax_rate_bp: l.tax_rate_bp,
        })
        .collect();
    let events = events
        .into_iter()
        .map(|e| OrderEventView {
            event: e.event,
            status: e.status,
            party: e.party,
            actor: e.actor,
            note: e.note,
            at: rfc3339(e.at),
        })
        .collect();
    Ok(OrderView {
        status: word("order status", &order.status)?,
        payment_method: word("payment method", &order.payment_method)?,
        tax_inclusive: order.price_mode == "tax_inclusive",
        shipping_address: serde_json::from_str(&order.shipping_address).unwrap_or(serde_json::Value::Null),
        subtotal: money(order.subtotal),
        discount: money(order.discount),
        shipping: money(order.shipping),
        tax: money(order.tax),
        total: money(order.total),
        created_at: rfc3339(order.created_at),
        created_at_ms: order.created_at,
        id: order.id,
        group_id: order.group_id,
        buyer_account_id: order.buyer_account_id,
        shop_id: order.shop_id,
        shop_name,
        purchase_order: order.purchase_order,
        carrier: order.carrier,
        tracking_number: order.tracking_number,
        shipping_method: order.shipping_method,
        lines,
        events,
        viewer,
    })
}

pub(crate) fn state_of(order: &OrderRow) -> AppResult<OrderState> {
    Ok(OrderState {
        status: word("order status", &order.status)?,
        payment: word("payment method", &order.payment_method)?,
    })
}

/// One order, for one of its parties; anyone else gets 404.
pub async fn get(app: &App, actor: &Actor, id: &str) -> AppResult<OrderView> {
    let mut conn = app.db.conn().await?;
    let order = store::by_id(&mut conn, id).await?.ok_or(AppError::NotFound("order"))?;
    let party = party_of(&mut conn, actor, &order)
        .await?
        .ok_or(AppError::NotFound("order"))?;
    view_of(&mut conn, order, party).await
}

/// Which side's orders a list shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Buyer,
    Seller,
    /// The orders placed for the actor's company: all of them for a company admin, only their own
    /// for any other member (by their current role). Not a member: 403.
    Company,
}

/// A page of orders, newest first.
#[derive(Debug, Clone)]
pub struct OrderPage {
    pub items: Vec<OrderView>,
    pub next_cursor: Option<String>,
}

fn parse_cursor(raw: &str) -> AppResult<(i64, String)> {
    raw.split_once('.')
        .and_then(|(at, id)| Some((at.parse().ok()?, id.to_owned())))
        .ok_or_else(|| AppError::invalid("cursor", "is not a cursor this list gave out"))
}

/// The actor's orders as buyer, the orders of the shops they run as seller, or their company's
/// orders as its role allows (see [`Role::Company`]); optionally only those in `status`.
pub async fn list(
    app: &App,
    actor: &Actor,
    role: Role,
    status: Option<&str>,
    cursor: Option<&str>,
    limit: u32,
) -> AppResult<OrderPage> {
    let status = match status.filter(|s| !s.is_empty()) {
        Some(s) => Some(s.parse::<OrderStatus>().map_err(|m| AppError::invalid("status", m))?),
        None => None,
    };
    let limit = limit.clamp(1, 100);
    let after = cursor.map(parse_cursor).transpose()?;
    let company = match role {
        Role::Company => Some(
            actor
                .company
                .as_ref()
                .ok_or_else(|| AppError::Forbidden("only members of a company see its orders".into()))?,
        ),
        _ => None,
    };
    let company_admin = matches!(company, Some((_, CompanyRole::Admin)));
    let party = match role {
        Role::Buyer => store::Party::Buyer(&actor.account_id),
        Role::Company => store::Party::Company {
            company_id: company.map(|(id, _)| id.as_str()).unwrap_or_default(),
            buyer: (!company_admin).then_some(actor.account_id.as_str()),
        },
        Role::Seller => store::Party::ShopsOf {
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
        party,
        status.map(OrderStatus::as_str),
        after.as_ref().map(|(at, id)| (*at, id.as_str())),
        i64::from(limit) + 1,
    )
    .await?;
    let more = rows.len() > limit as usize;
    let mut items = Vec::new();
    for row in rows.into_iter().take(limit as usize) {
        let viewer = match role {
            Role::Buyer => Party::Buyer,
            Role::Seller => Party::Seller,
            // An admin's own orders are theirs as buyer, as `get` shows them.
            Role::Company if company_admin && row.buyer_account_id != actor.account_id => Party::CompanyAdmin,
            Role::Company => Party::Buyer,
        };
        items.push(view_of(&mut conn, row, viewer).await?);
    }
    let next_cursor = if more {
        items.last().map(|o| format!("{}.{}", o.created_at_ms, o.id))
    } else {
        None
    };
    Ok(OrderPage { items, next_cursor })
}
