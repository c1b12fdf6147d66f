//! Buyers rate the shop of a completed order once, 1 to 5 stars with an optional comment; a shop's
//! average and count show on its storefront and in the buyer's quote comparison.

use agora_core::audit::AuditAction;
use agora_core::buyer::still_the_buyer;
use agora_core::order::OrderStatus;
use agora_core::shop_rating::{average_hundredths, may_rate, Rating};
use agora_store::orders as order_store;
use agora_store::shop_ratings::{self as store, RatingRow};
use agora_store::{now_ms, Conn};
use serde_json::json;

use crate::orders::party_of;
use crate::stored::word;
use crate::{audit, rfc3339, Actor, App, AppError, AppResult, ConflictKind};

/// A shop's ratings in short.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RatingSummary {
    /// The average in hundredths of a star; `None` before the first rating.
    pub average_hundredths: Option<i64>,
    pub count: i64,
}

impl RatingSummary {
    /// The average in stars, for display and the shop profile.
    pub fn stars(&self) -> Option<f32> {
        self.average_hundredths.map(|h| h as f32 / 100.0)
    }
}

/// One order's rating.
#[derive(Debug, Clone)]
pub struct RatingView {
    pub order_id: String,
    pub shop_id: String,
    pub score: i64,
    pub comment: Option<String>,
    pub created_at: String,
}

fn view_of(r: RatingRow) -> RatingView {
    RatingView {
        created_at: rfc3339(r.created_at),
        order_id: r.order_id,
        shop_id: r.shop_id,
        score: r.score,
        comment: r.comment,
    }
}

/// The shop's average and count.
pub(crate) async fn summary(conn: &mut Conn, shop_id: &str) -> AppResult<RatingSummary> {
    let (count, sum) = store::summary(conn, shop_id).await?;
    Ok(RatingSummary {
        average_hundredths: average_hundredths(sum, count),
        count,
    })
}

/// The shop's average and count, for its storefront.
pub async fn of_shop(app: &App, shop_id: &str) -> AppResult<RatingSummary> {
    let mut conn = app.db.conn().await?;
    summary(&mut conn, shop_id).await
}

/// Rates the shop of a completed order, once: the order's buyer only, and for a company's order
/// only while they still buy for the company (403 for them otherwise and for the order's other
/// parties; 404 for anyone else). 422 for a score outside 1 to 5, 409 `order-not-completed`
/// before completion and `already-rated` the second time.
pub async fn rate(
    app: &App,
    actor: &Actor,
    order_id: &str,
    score: i64,
    comment: Option<&str>,
) -> AppResult<RatingView> {
    let now = now_ms();
    let mut tx = app.db.begin().await?;
    let order = order_store::by_id(&mut tx, order_id)
        .await?
        .ok_or(AppError::NotFound("order"))?;
    if party_of(&mut tx, actor, &order).await?.is_none() {
        return Err(AppError::NotFound("order"));
    }
    let membership = actor.company.as_ref().map(|(id, role)| (id.as_str(), *role));
    if !still_the_buyer(
        &actor.account_id,
        membership,
        &order.buyer_account_id,
        order.company_id.as_deref(),
    ) {
        return Err(AppError::Forbidden(
            "only the buyer who placed the order, while buying for its company, rates the shop".into(),
        ));
    }
    let rating = Rating::parse(score, comment)?;
    let status: OrderStatus = word("order status", &order.status)?;
    may_rate(status).map_err(|e| AppError::conflict(ConflictKind::OrderNotCompleted, e.to_string()))?;
    let row = RatingRow {
        order_id: order.id.clone(),
        shop_id: order.shop_id.clone(),
        account_id: actor.account_id.clone(),
        score: rating.score,
        comment: rating.comment,
        created_at: now,
    };
    if !store::insert(&mut tx, &row).await? {
        return Err(AppError::conflict(
            ConflictKind::AlreadyRated,
            "this order's shop was rated already",
        ));
    }
    audit::record(
        &mut tx,
        Some(&actor.account_id),
        AuditAction::ShopRated,
        &order.shop_id,
        json!({"order_id": order.id, "score": row.score}),
    )
    .await?;
    tx.commit().await?;
    Ok(view_of(row))
}

/// The rating of an order, for anyone who may see the order (404 for anyone else); `None` while
/// it is not rated.
pub async fn of_order(app: &App, actor: &Actor, order_id: &str) -> AppResult<Option<RatingView>> {
    let mut conn = app.db.conn().await?;
    let order = order_store::by_id(&mut conn, order_id)
        .await?
        .ok_or(AppError::NotFound("order"))?;
    if party_of(&mut conn, actor, &order).await?.is_none() {
        return Err(AppError::NotFound("order"));
    }
    Ok(store::of_order(&mut conn, order_id).await?.map(view_of))
}

/// Whether the actor may rate the order now (for showing the form).
pub async fn may_rate_now(app: &App, actor: &Actor, order_id: &str) -> AppResult<bool> {
    let mut conn = app.db.conn().await?;
    let Some(order) = order_store::by_id(&mut conn, order_id).await? else {
        return Ok(false);
    };
    let membership = actor.company.as_ref().map(|(id, role)| (id.as_str(), *role));
    Ok(order.status == OrderStatus::Completed.as_str()
        && still_the_buyer(
            &actor.account_id,
            membership,
            &order.buyer_account_id,
            order.company_id.as_deref(),
        )
        && store::of_order(&mut conn, order_id).await?.is_none())
}
