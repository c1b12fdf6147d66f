//! Coupons: a shop's staff create them for their shop's goods, operators for every shop's. The
//! rules of what a coupon takes off live in `agora_core::coupon` and `agora_core::checkout`; here
//! they are created, listed, deactivated, and found and consumed for a checkout.
//!
//! A coupon that cannot be used at checkout (unknown, expired, not yet valid, used up, used by
//! this buyer as often as allowed, another shop's, below its minimum spend) is a 422 naming the
//! field `coupon`; so is the loser of a race for the last use: its whole checkout rolls back, so
//! nothing is reserved or created.

use agora_core::audit::AuditAction;
use agora_core::coupon::{parse_code, Coupon, CouponError, CouponScope, CouponUsage, CouponValue};
use agora_core::money::{Currency, Money};
use agora_core::rate::BasisPoints;
use agora_core::ValidationErrors;
use agora_store::coupons::{self as store, CouponRow, NotConsumed, Redemption, Updated};
use agora_store::{new_id, now_ms, Conn};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use crate::{audit, rfc3339, shops, Actor, App, AppError, AppResult};

/// What a shop's staff or an operator sends to create a coupon.
#[derive(Debug, Clone, Copy, Default)]
pub struct CouponInput<'a> {
    pub code: &'a str,
    /// `percentage` (with `percentage_bp`) or `fixed` (with `amount`).
    pub kind: &'a str,
    pub percentage_bp: Option<i64>,
    pub amount: Option<Money>,
    pub min_spend: Option<Money>,
    /// RFC 3339; usable from then on.
    pub valid_from: Option<&'a str>,
    /// RFC 3339; usable until just before then.
    pub valid_until: Option<&'a str>,
    pub max_uses: Option<i64>,
    pub max_uses_per_buyer: Option<i64>,
}

/// A coupon as its creators see it.
#[derive(Debug, Clone)]
pub struct CouponView {
    pub id: String,
    /// `None` for the operator's coupons.
    pub shop_id: Option<String>,
    pub code: String,
    pub kind: String,
    pub percentage_bp: Option<i64>,
    pub amount: Option<Money>,
    pub min_spend: Option<Money>,
    pub valid_from: Option<String>,
    pub valid_until: Option<String>,
    pub max_uses: Option<i64>,
    pub max_uses_per_buyer: Option<i64>,
    pub used_count: i64,
    pub active: bool,
    pub created_at: String,
}

fn internal(what: &str, id: &str) -> AppError {
    AppError::Internal(anyhow::anyhow!("stored coupon {id}: bad {what}"))
}

fn money_of(minor: Option<i64>, currency: Option<Currency>) -> Option<Money> {
    Some(Money::new(minor?, currency?))
}

fn view_of(r: CouponRow) -> CouponView {
    let currency = r.currency.as_deref().and_then(|c| Currency::parse(c).ok());
    CouponView {
        amount: money_of(r.amount, currency),
        min_spend: money_of(r.min_spend, currency),
        valid_from: r.valid_from.map(rfc3339),
        valid_until: r.valid_until.map(rfc3339),
        created_at: rfc3339(r.created_at),
        id: r.id,
        shop_id: r.shop_id,
        code: r.code,
        kind: r.kind,
        percentage_bp: r.percentage_bp,
        max_uses: r.total_limit,
        max_uses_per_buyer: r.per_buyer_limit,
        used_count: r.used_count,
        active: r.active,
    }
}

/// The core's coupon of a stored row.
fn coupon_of(r: &CouponRow) -> AppResult<Coupon> {
    let currency = r
        .currency
        .as_deref()
        .map(|c| Currency::parse(c).map_err(|_| internal("currency", &r.id)))
        .transpose()?;
    let value = match (r.kind.as_str(), r.percentage_bp, money_of(r.amount, currency)) {
        ("percentage", Some(bp), _) => CouponValue::Percentage(
            u32::try_from(bp)
                .ok()
                .and_then(|bp| BasisPoints::new(bp).ok())
                .ok_or_else(|| internal("percentage", &r.id))?,
        ),
        ("fixed", _, Some(amount)) => CouponValue::Fixed(amount),
        _ => return Err(internal("kind", &r.id)),
    };
    let limit = |n: Option<i64>| n.map(|n| u32::try_from(n).unwrap_or(u32::MAX));
    Ok(Coupon {
        code: r.code.clone(),
        value,
        min_spend: money_of(r.min_spend, currency),
        valid_from_ms: r.valid_from,
        valid_until_ms: r.valid_until,
        max_uses: limit(r.total_limit),
        max_uses_per_buyer: limit(r.per_buyer_limit),
        scope: match &r.shop_id {
            Some(shop) => CouponScope::Shop(shop.clone()),
            None => CouponScope::Operator,
        },
    })
}

fn parse_time(errors: &mut ValidationErrors, field: &str, raw: Option<&str>) -> Option<i64> {
    let raw = raw.map(str::trim).filter(|s| !s.is_empty())?;
    match OffsetDateTime::parse(raw, &Rfc3339) {
        Ok(t) => i64::try_from(t.unix_timestamp_nanos() / 1_000_000).ok(),
        Err(_) => {
            errors.add(field, "must be a time like 2027-01-31T00:00:00Z");
            None
        }
    }
}

fn parse_limit(errors: &mut ValidationErrors, field: &str, n: Option<i64>) -> Option<u32> {
    match n.map(u32::try_from) {
        None => None,
        Some(Ok(n)) => Some(n),
        Some(Err(_)) => {
            errors.add(field, "must be from 1 to 4294967295");
            Some(0)
        }
    }
}

/// Checks the input with the core's rules, naming the API's fields.
fn parse_input(input: &CouponInput<'_>, scope: CouponScope) -> AppResult<Coupon> {
    let mut errors = ValidationErrors::new();
    let value_field = match input.kind {
        "fixed" => "amount",
        _ => "percentage_bp",
    };
    let value = match input.kind {
        "percentage" => {
            if input.amount.is_some() {
                errors.add("amount", "must be left out of a percentage coupon");
            }
            match input.percentage_bp {
                None => {
                    errors.add("percentage_bp", "is required for a percentage coupon");
                    None
                }
                Some(bp) => errors.check(
                    "percentage_bp",
                    u32::try_from(bp)
                        .map_err(|_| "must be from 1 to 10000 basis points".to_owned())
                        .and_then(BasisPoints::new)
                        .map(CouponValue::Percentage),
                ),
            }
        }
        "fixed" => {
            if input.percentage_bp.is_some() {
                errors.add("percentage_bp", "must be left out of a fixed coupon");
            }
            if input.amount.is_none() {
                errors.add("amount", "is required for a fixed coupon");
            }
            input.amount.map(CouponValue::Fixed)
        }
        _ => {
            errors.add("kind", "must be percentage or fixed");
            None
        }
    };
    let valid_from_ms = parse_time(&mut errors, "valid_from", input.valid_from);
    let valid_until_ms = parse_time(&mut errors, "valid_until", input.valid_until);
    let max_uses = parse_limit(&mut errors, "max_uses", input.max_uses);
    let max_uses_per_buyer = parse_limit(&mut errors, "max_uses_per_buyer", input.max_uses_per_buyer);
    let checked = Coupon {
        code: input.code.to_owned(),
        // A placeholder when the value is missing: its error is recorded already.
        value: value.unwrap_or(CouponValue::Percentage(BasisPoints::ZERO)),
        min_spend: input.min_spend,
        valid_from_ms,
        valid_until_ms,
        max_uses,
        max_uses_per_buyer,
        scope,
    }
    .check();
    if let Err(core) = &checked {
        for e in &core.0 {
            if e.field == "value" && value.is_none() {
                continue;
            }
            let field = if e.field == "value" {
                value_field
            } else {
                e.field.as_str()
            };
            if errors.message_for(field).is_none() {
                errors.add(field, e.message.clone());
            }
        }
    }
    errors.into_result()?;
    checked.map_err(AppError::Invalid)
}

async fn create(app: &App, actor: &Actor, shop_id: Option<&str>, input: CouponInput<'_>) -> AppResult<CouponView> {
    let scope = match shop_id {
        Some(shop) => CouponScope::Shop(shop.to_owned()),
        None => CouponScope::Operator,
    };
    let coupon = parse_input(&input, scope)?;
    let (kind, percentage_bp, amount) = match coupon.value {
        CouponValue::Percentage(bp) => ("percentage", Some(i64::from(bp.get())), None),
        CouponValue::Fixed(m) => ("fixed", None, Some(m)),
    };
    let currency = amount.or(coupon.min_spend).map(|m| m.currency.code().to_owned());
    let now = now_ms();
    let row = CouponRow {
        id: new_id("cpn"),
        shop_id: shop_id.map(str::to_owned),
        code: coupon.code.clone(),
        kind: kind.into(),
        percentage_bp,
        amount: amount.map(|m| m.minor),
        currency,
        min_spend: coupon.min_spend.map(|m| m.minor),
        valid_from: coupon.valid_from_ms,
        valid_until: coupon.valid_until_ms,
        total_limit: coupon.max_uses.map(i64::from),
        per_buyer_limit: coupon.max_uses_per_buyer.map(i64::from),
        used_count: 0,
        active: true,
        created_by: actor.account_id.clone(),
        created_at: now,
    };
    let mut tx = app.db.begin().await?;
    if let Some(shop) = shop_id {
        // Checked again in the writing transaction: a member demoted meanwhile is refused.
        shops::managed(&mut tx, actor, shop).await?;
    }
    if !store::insert(&mut tx, &row).await? {
        return Err(AppError::invalid(
            "code",
            format!("a coupon with the code {} exists already", row.code),
        ));
    }
    let data = serde_json::json!({"code": row.code, "shop_id": row.shop_id, "kind": kind});
    audit::record(
        &mut tx,
        Some(&actor.account_id),
        AuditAction::CouponCreated,
        &row.id,
        data,
    )
    .await?;
    tx.commit().await?;
    Ok(view_of(row))
}

/// Creates a coupon for the goods of a shop the actor runs (404 for anyone else).
pub async fn create_for_shop(app: &App, actor: &Actor, shop_id: &str, input: CouponInput<'_>) -> AppResult<CouponView> {
    let mut conn = app.db.conn().await?;
    shops::managed(&mut conn, actor, shop_id).await?;
    drop(conn);
    create(app, actor, Some(shop_id), input).await
}

/// Creates a coupon for every shop's goods (operators only).
pub async fn create_for_platform(app: &App, actor: &Actor, input: CouponInput<'_>) -> AppResult<CouponView> {
    actor.require_operator()?;
    create(app, actor, None, input).await
}

/// The coupons of a shop the actor runs, newest first.
pub async fn list_for_shop(app: &App, actor: &Actor, shop_id: &str) -> AppResult<Vec<CouponView>> {
    let mut conn = app.db.conn().await?;
    shops::managed(&mut conn, actor, shop_id).await?;
    Ok(store::list(&mut conn, Some(shop_id))
        .await?
        .into_iter()
        .map(view_of)
        .collect())
}

/// The operator's coupons, newest first (operators only).
pub async fn list_for_platform(app: &App, actor: &Actor) -> AppResult<Vec<CouponView>> {
    actor.require_operator()?;
    let mut conn = app.db.conn().await?;
    Ok(store::list(&mut conn, None).await?.into_iter().map(view_of).collect())
}

/// Stops a coupon from being used: a shop's by its staff, the operator's by operators; anyone
/// else gets 404. Its code stays taken, and orders that used it keep their discount.
pub async fn deactivate(app: &App, actor: &Actor, id: &str) -> AppResult<CouponView> {
    let mut tx = app.db.begin().await?;
    let row = store::by_id(&mut tx, id).await?.ok_or(AppError::NotFound("coupon"))?;
    match &row.shop_id {
        Some(shop) => {
            shops::managed(&mut tx, actor, shop)
                .await
                .map_err(|e| e.not_found_as("coupon"))?;
        }
        None if actor.is_operator => {}
        None => return Err(AppError::NotFound("coupon")),
    }
    store::deactivate(&mut tx, id).await?;
    audit::record(
        &mut tx,
        Some(&actor.account_id),
        AuditAction::CouponDeactivated,
        id,
        serde_json::json!({"code": row.code}),
    )
    .await?;
    tx.commit().await?;
    Ok(view_of(CouponRow { active: false, ..row }))
}

/// Gives back the coupon use of an order group whose covered orders are all cancelled, in the
/// transaction that cancelled the last of them (see `agora_store::coupons::give_back`).
pub(crate) async fn give_back(conn: &mut Conn, group_id: &str, now: i64) -> AppResult<()> {
    // The order's own audit entry records the cancellation this follows from.
    let cancelled = agora_core::order::OrderStatus::Cancelled.as_str();
    store::give_back(conn, group_id, cancelled, now).await?;
    Ok(())
}

/// One coupon, for whoever may edit it: a shop's for its staff, the operator's for operators
/// (404 for anyone else).
pub async fn get(app: &App, actor: &Actor, id: &str) -> AppResult<CouponView> {
    let mut conn = app.db.conn().await?;
    let row = store::by_id(&mut conn, id).await?.ok_or(AppError::NotFound("coupon"))?;
    match &row.shop_id {
        Some(shop) => {
            shops::managed(&mut conn, actor, shop)
                .await
                .map_err(|e| e.not_found_as("coupon"))?;
        }
        None if actor.is_operator => {}
        None => return Err(AppError::NotFound("coupon")),
    }
    Ok(view_of(row))
}

/// Changes a coupon's terms: a shop's by its owner and managers (by their current role), the
/// operator's by operators; anyone else gets 404. The input is the whole coupon, as at creation;
/// its scope and uses stay. A total limit below the uses already counted is refused.
pub async fn update(app: &App, actor: &Actor, id: &str, input: CouponInput<'_>) -> AppResult<CouponView> {
    let mut tx = app.db.begin().await?;
    let row = store::by_id(&mut tx, id).await?.ok_or(AppError::NotFound("coupon"))?;
    let scope = match &row.shop_id {
        Some(shop) => {
            shops::managed(&mut tx, actor, shop)
                .await
                .map_err(|e| e.not_found_as("coupon"))?;
            CouponScope::Shop(shop.clone())
        }
        None if actor.is_operator => CouponScope::Operator,
        None => return Err(AppError::NotFound("coupon")),
    };
    let coupon = parse_input(&input, scope)?;
    let (kind, percentage_bp, amount) = match coupon.value {
        CouponValue::Percentage(bp) => ("percentage", Some(i64::from(bp.get())), None),
        CouponValue::Fixed(m) => ("fixed", None, Some(m)),
    };
    let updated = CouponRow {
        code: coupon.code.clone(),
        kind: kind.into(),
        percentage_bp,
        amount: amount.map(|m| m.minor),
        currency: amount.or(coupon.min_spend).map(|m| m.currency.code().to_owned()),
        min_spend: coupon.min_spend.map(|m| m.minor),
        valid_from: coupon.valid_from_ms,
        valid_until: coupon.valid_until_ms,
        total_limit: coupon.max_uses.map(i64::from),
        per_buyer_limit: coupon.max_uses_per_buyer.map(i64::from),
        ..row
    };
    match store::update(&mut tx, &updated).await? {
        Updated::Done => {}
        Updated::CodeTaken => {
            return Err(AppError::invalid(
                "code",
                format!("a coupon with the code {} exists already", updated.code),
            ))
        }
        Updated::BelowUses => {
            return Err(AppError::invalid(
                "max_uses",
                "must not be below the uses the coupon already has",
            ))
        }
    }
    // The count as it is now (a checkout may have used the coupon meanwhile).
    let saved = store::by_id(&mut tx, id).await?.ok_or(AppError::NotFound("coupon"))?;
    let data = serde_json::json!({"code": saved.code, "shop_id": saved.shop_id, "kind": kind});
    audit::record(&mut tx, Some(&actor.account_id), AuditAction::CouponUpdated, id, data).await?;
    tx.commit().await?;
    Ok(view_of(saved))
}

/// The code a buyer typed at checkout, normalised; `None` when left blank.
pub(crate) fn entered_code(raw: Option<&str>) -> AppResult<Option<String>> {
    match raw.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(code) => parse_code(code)
            .map(Some)
            .map_err(|_| AppError::invalid("coupon", "there is no coupon with this code")),
    }
}

/// A coupon found for a checkout, with the facts of this buyer's use of it.
#[derive(Debug, Clone)]
pub(crate) struct Entered {
    pub coupon: Coupon,
    pub usage: CouponUsage,
    id: String,
}

/// Finds the coupon with `code` for a checkout of the goods of `shop_ids`: one of these shops'
/// own first, else the operator's, else another shop's (which the core's rules then refuse,
/// saying so).
pub(crate) async fn find_entered(
    conn: &mut Conn,
    code: &str,
    shop_ids: &[&str],
    buyer: &str,
    now: i64,
) -> AppResult<Entered> {
    let found = store::active_by_code(conn, code, buyer).await?;
    let rank = |r: &CouponRow| match &r.shop_id {
        Some(shop) => shop_ids.iter().position(|s| s == shop).unwrap_or(usize::MAX),
        None => shop_ids.len(),
    };
    let (row, by_buyer) = found
        .into_iter()
        .min_by_key(|(r, _)| rank(r))
        .ok_or_else(|| AppError::invalid("coupon", "there is no coupon with this code"))?;
    let count = |n: i64| u32::try_from(n).unwrap_or(u32::MAX);
    Ok(Entered {
        coupon: coupon_of(&row)?,
        usage: CouponUsage {
            now_ms: now,
            uses_total: count(row.used_count),
            uses_by_buyer: count(by_buyer),
        },
        id: row.id,
    })
}

/// Consumes one use of the coupon in the checkout's transaction, recording the discount it gave
/// to the order group. The last use goes to one checkout only: the others get a 422 on `coupon`
/// and must roll back.
pub(crate) async fn redeem(
    conn: &mut Conn,
    entered: &Entered,
    buyer: &str,
    group_id: &str,
    discount: Money,
    now: i64,
) -> AppResult<()> {
    let redemption = Redemption {
        coupon_id: &entered.id,
        buyer_account_id: buyer,
        group_id,
        per_buyer_limit: entered.coupon.max_uses_per_buyer.map(i64::from),
        amount: discount.minor,
        currency: discount.currency.code(),
        at: now,
    };
    match store::consume(conn, &redemption).await? {
        Ok(()) => Ok(()),
        Err(NotConsumed::UsedUp) => Err(AppError::invalid("coupon", CouponError::UsedUp.to_string())),
        Err(NotConsumed::BuyerLimit) => Err(AppError::invalid("coupon", CouponError::AlreadyUsed.to_string())),
    }
}
