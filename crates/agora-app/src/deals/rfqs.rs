//! Requests for quotation: a buyer publishes what they need (to every shop selling in the
//! category, or to invited shops only), sellers see the RFQs open to their shops, and quotes
//! follow in [`super::quotes`]. A target price the buyer chose to hide never reaches a seller.

use agora_core::address::AddressInput;
use agora_core::audit::AuditAction;
use agora_core::country::Country;
use agora_core::money::Money;
use agora_core::order::PaymentMethod;
use agora_core::rfq::{RfqStatus, Visibility};
use agora_core::shop::ShopStatus;
use agora_core::text;
use agora_store::categories as category_store;
use agora_store::rfqs::{self as store, RfqRow};
use agora_store::shops as shop_store;
use agora_store::{new_id, now_ms, Conn};
use serde_json::json;

use super::negotiations::{parse_address, parse_payment, positive_price};
use crate::stored::{currency, word};
use crate::{audit, rfc3339, Actor, App, AppError, AppResult};

/// What a buyer sends to publish an RFQ.
#[derive(Debug, Clone)]
pub struct RfqInput<'a> {
    pub title: &'a str,
    pub description: &'a str,
    pub category: &'a str,
    pub quantity: i64,
    pub target_price: Option<Money>,
    /// Keep the target price from the sellers.
    pub hide_target_price: bool,
    pub deadline: &'a str,
    pub invited_shops: &'a [String],
    pub delivery_country: Option<&'a str>,
    pub payment_method: Option<&'a str>,
    pub shipping_address: Option<AddressInput<'a>>,
}

/// An RFQ as the viewer may see it.
#[derive(Debug, Clone)]
pub struct RfqView {
    pub id: String,
    pub title: String,
    pub description: String,
    pub category: String,
    pub quantity: i64,
    /// `None` for sellers when the buyer hid it.
    pub target_price: Option<Money>,
    pub target_price_hidden: bool,
    pub delivery_country: Option<String>,
    pub payment_method: PaymentMethod,
    pub deadline: String,
    pub deadline_ms: i64,
    pub visibility: Visibility,
    pub status: RfqStatus,
    /// The invited shops, for the buyer only.
    pub invited_shops: Vec<String>,
    pub accepted_quote_id: Option<String>,
    pub created_at: String,
    /// `buyer` or `seller`.
    pub viewer: &'static str,
    /// For a seller: the shop of theirs the RFQ is open to.
    pub viewer_shop_id: Option<String>,
    /// Whether quotes are still taken.
    pub open_for_quotes: bool,
}

pub(crate) async fn view(
    conn: &mut Conn,
    row: RfqRow,
    buyer: bool,
    viewer_shop_id: Option<String>,
    now: i64,
) -> AppResult<RfqView> {
    let target = match &row.target {
        Some((amount, code)) if buyer || row.target_shown => Some(Money::new(*amount, currency(code)?)),
        _ => None,
    };
    let invited_shops = if buyer {
        store::invited(conn, &row.id).await?
    } else {
        Vec::new()
    };
    let status: RfqStatus = word("rfq status", &row.status)?;
    Ok(RfqView {
        target_price: target,
        target_price_hidden: !row.target_shown,
        payment_method: word("payment method", &row.payment_method)?,
        deadline: rfc3339(row.deadline),
        deadline_ms: row.deadline,
        visibility: word("visibility", &row.visibility)?,
        open_for_quotes: status == RfqStatus::Open && now < row.deadline,
        status,
        invited_shops,
        accepted_quote_id: row.accepted_quote_id,
        created_at: rfc3339(row.created_at),
        viewer: if buyer { "buyer" } else { "seller" },
        viewer_shop_id,
        id: row.id,
        title: row.title,
        description: row.description,
        category: row.category,
        quantity: row.quantity,
        delivery_country: row.delivery_country,
    })
}

/// Publishes an RFQ: public to the category's shops when no shop is invited, invite-only
/// otherwise. The deadline must be in the future; each invited shop must exist and be approved.
pub async fn create(app: &App, actor: &Actor, input: RfqInput<'_>) -> AppResult<RfqView> {
    let mut errors = agora_core::ValidationErrors::default();
    let title = text::bounded(input.title, 1, 200, false)
        .map_err(|m| errors.add("title", m))
        .ok();
    let description = text::bounded(input.description, 0, 5000, true)
        .map_err(|m| errors.add("description", m))
        .ok();
    if input.quantity < 1 {
        errors.add("quantity", "must be at least 1");
    }
    if let Some(t) = input.target_price {
        if let Err(AppError::Invalid(e)) = positive_price("target_price", t) {
            errors.0.extend(e.0);
        }
    }
    let now = now_ms();
    let deadline = match super::parse_time("deadline", input.deadline) {
        Ok(d) if d <= now => {
            errors.add("deadline", "must be in the future");
            None
        }
        Ok(d) => Some(d),
        Err(AppError::Invalid(e)) => {
            errors.0.extend(e.0);
            None
        }
        Err(e) => return Err(e),
    };
    let delivery_country = match input.delivery_country.map(str::trim).filter(|s| !s.is_empty()) {
        Some(c) => Country::parse(c)
            .map(|c| Some(c.code().to_owned()))
            .map_err(|m| errors.add("delivery_country", m))
            .unwrap_or(None),
        None => None,
    };
    if input.invited_shops.len() > 50 {
        errors.add("invited_shops", "at most 50 shops can be invited");
    }
    if !errors.0.is_empty() {
        return Err(AppError::Invalid(errors));
    }
    let payment = parse_payment(input.payment_method)?;
    let address = parse_address(input.shipping_address)?;
    let delivery_country = delivery_country.or_else(|| address.as_ref().map(|a| a.country.code().to_owned()));
    let mut tx = app.db.begin().await?;
    let category = input.category.trim();
    if !category_store::exists(&mut tx, category).await? {
        return Err(AppError::invalid("category", "there is no such category"));
    }
    let mut invited = Vec::new();
    for (i, shop_id) in input.invited_shops.iter().enumerate() {
        match shop_store::by_id(&mut tx, shop_id).await? {
            Some(s) if s.status == ShopStatus::Approved => {
                if !invited.contains(&s.id) {
                    invited.push(s.id)
                }
            }
            _ => {
                return Err(AppError::invalid(
                    &format!("invited_shops[{i}]"),
                    "there is no such shop",
                ))
            }
        }
    }
    let row = RfqRow {
        id: new_id("rfq"),
        buyer_account_id: actor.account_id.clone(),
        company_id: actor.company.as_ref().map(|(id, _)| id.clone()),
        title: title.unwrap_or_default(),
        description: description.unwrap_or_default(),
        category: category.to_owned(),
        quantity: input.quantity,
        target: input.target_price.map(|t| (t.minor, t.currency.code().to_owned())),
        target_shown: !input.hide_target_price,
        delivery_country,
        payment_method: payment.as_str().into(),
        shipping_address: address.as_ref().map(|a| serde_json::to_string(a).unwrap_or_default()),
        deadline: deadline.unwrap_or(now),
        visibility: if invited.is_empty() {
            Visibility::Public
        } else {
            Visibility::Invited
        }
        .as_str()
        .into(),
        status: RfqStatus::Open.as_str().into(),
        accepted_quote_id: None,
        created_at: now,
        updated_at: now,
    };
    store::insert(&mut tx, &row, &invited).await?;
    audit::record(
        &mut tx,
        Some(&actor.account_id),
        AuditAction::RfqPublished,
        &row.id,
        json!({"category": row.category, "quantity": row.quantity, "visibility": row.visibility, "invited": invited}),
    )
    .await?;
    let v = view(&mut tx, row, true, None, now).await?;
    tx.commit().await?;
    Ok(v)
}

/// The shops the actor runs today.
pub(crate) async fn shops_run_by(conn: &mut Conn, actor: &Actor) -> AppResult<Vec<String>> {
    let mut out = Vec::new();
    for s in shop_store::for_account(conn, &actor.account_id).await? {
        if super::runs(actor, &s) && !out.contains(&s.id) {
            out.push(s.id);
        }
    }
    Ok(out)
}

/// The first of the actor's shops that may see the RFQ.
pub(crate) async fn seller_shop(conn: &mut Conn, actor: &Actor, rfq_id: &str) -> AppResult<Option<String>> {
    for shop in shops_run_by(conn, actor).await? {
        if store::visible_to_shop(conn, rfq_id, &shop).await? {
            return Ok(Some(shop));
        }
    }
    Ok(None)
}

/// Which RFQs a list shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListRole {
    /// The actor's own RFQs.
    Buyer,
    /// The RFQs open to the shops the actor runs.
    Seller,
}

/// The actor's RFQs as buyer, or the marketplace of RFQs open to their shops as seller.
pub async fn list(app: &App, actor: &Actor, role: ListRole, limit: u32) -> AppResult<Vec<RfqView>> {
    let limit = i64::from(limit.clamp(1, 100));
    let now = now_ms();
    let mut conn = app.db.conn().await?;
    let mut out = Vec::new();
    match role {
        ListRole::Buyer => {
            for row in store::of_buyer(&mut conn, &actor.account_id, limit).await? {
                out.push(view(&mut conn, row, true, None, now).await?);
            }
        }
        ListRole::Seller => {
            for shop in shops_run_by(&mut conn, actor).await? {
                for row in store::for_shop(&mut conn, &shop, now, limit).await? {
                    if row.buyer_account_id == actor.account_id || out.iter().any(|v: &RfqView| v.id == row.id) {
                        continue;
                    }
                    out.push(view(&mut conn, row, false, Some(shop.clone()), now).await?);
                }
            }
            out.sort_by(|a, b| a.deadline_ms.cmp(&b.deadline_ms).then(a.id.cmp(&b.id)));
            out.truncate(limit as usize);
        }
    }
    Ok(out)
}

/// One RFQ: for its buyer in full, for the staff of a shop it is open to without a hidden target
/// price; anyone else gets 404.
pub async fn get(app: &App, actor: &Actor, id: &str) -> AppResult<RfqView> {
    let now = now_ms();
    let mut conn = app.db.conn().await?;
    let row = store::by_id(&mut conn, id).await?.ok_or(AppError::NotFound("rfq"))?;
    if row.buyer_account_id == actor.account_id {
        return view(&mut conn, row, true, None, now).await;
    }
    let shop = seller_shop(&mut conn, actor, id)
        .await?
        .ok_or(AppError::NotFound("rfq"))?;
    view(&mut conn, row, false, Some(shop), now).await
}

/// A listing of the seller's shop that a quote can sell.
#[derive(Debug, Clone)]
pub struct Listing {
    pub variant_id: String,
    /// "Brass desk lamp · LAMP".
    pub label: String,
    pub price: Money,
    pub stock: i64,
}

/// The active listings of the actor's shop that may quote on the RFQ (for the quote form); 404
/// when no shop of theirs may see it.
pub async fn listings_for_quote(app: &App, actor: &Actor, rfq_id: &str) -> AppResult<Vec<Listing>> {
    let mut conn = app.db.conn().await?;
    let shop = seller_shop(&mut conn, actor, rfq_id)
        .await?
        .ok_or(AppError::NotFound("rfq"))?;
    let mut out = Vec::new();
    for card in agora_store::products::of_shop(&mut conn, &shop, true, 200).await? {
        if let Some((product, variants)) = agora_store::products::by_id(&mut conn, &card.id).await? {
            for v in variants {
                let title: String = product.title.chars().take(40).collect();
                let title = if title.len() < product.title.len() {
                    format!("{title}…")
                } else {
                    title
                };
                out.push(Listing {
                    label: format!("{title} · {}", v.sku),
                    price: Money::new(v.price_amount, currency(&v.currency)?),
                    stock: v.stock,
                    variant_id: v.id,
                });
            }
        }
    }
    Ok(out)
}
