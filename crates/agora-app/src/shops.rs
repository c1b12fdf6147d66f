//! Shop applications, qualification documents and the operator's review.

use agora_core::audit::AuditAction;
use agora_core::events::Event;
use agora_core::shop::{self, QualificationStatus, ShopApplication, ShopEvent, ShopStatus};
use agora_core::tax::PriceMode;
use agora_core::text;
use agora_store::qualifications::QualificationRow;
use agora_store::shops::ShopRow;
use agora_store::{categories, new_id, now_ms, outbox, qualifications, shops, Conn};
use serde::Serialize;

use crate::{audit, rfc3339, Actor, App, AppError, AppResult, ConflictKind};

/// A shop as its staff and the operators see it; the public sees the same for approved shops.
#[derive(Debug, Clone, Serialize)]
pub struct ShopView {
    pub id: String,
    pub slug: String,
    pub name: String,
    pub legal_name: String,
    pub registration_number: Option<String>,
    /// `pending`, `info_requested`, `approved` or `rejected`.
    pub status: ShopStatus,
    /// The operator's reason for a rejection or question for more information.
    pub decision_note: Option<String>,
    pub categories: Vec<String>,
    /// The company the shop belongs to, if it was opened on a company's behalf.
    pub company_id: Option<String>,
    /// Average buyer rating in stars, once there are ratings.
    pub rating: Option<f32>,
    /// How many ratings the average is of.
    pub rating_count: i64,
    pub qualifications: Vec<QualificationView>,
    pub created_at: String,
    /// Whether the shop's prices and shipping rates contain tax or get it added.
    pub price_mode: PriceMode,
}

#[derive(Debug, Clone, Serialize)]
pub struct QualificationView {
    pub id: String,
    pub kind: String,
    /// `pending`, `approved` or `rejected`.
    pub status: String,
    /// `YYYY-MM-DD`, inclusive.
    pub expires_on: Option<String>,
    pub filename: String,
    pub content_type: String,
    pub size_bytes: i64,
    pub uploaded_at: String,
}

/// A page of the review queue.
#[derive(Debug, Clone, Serialize)]
pub struct ShopPage {
    pub items: Vec<ShopView>,
    pub next_cursor: Option<String>,
}

/// Raw application input.
#[derive(Debug, Clone, Default)]
pub struct ApplyInput {
    pub name: String,
    pub legal_name: String,
    pub registration_number: Option<String>,
    pub categories: Vec<String>,
    /// Open the shop for the actor's company rather than for the actor.
    pub for_company: bool,
}

/// A document upload.
#[derive(Debug, Clone)]
pub struct Upload {
    pub kind: String,
    pub expires_on: Option<String>,
    pub filename: String,
    pub bytes: Vec<u8>,
}

pub(crate) fn qualification_view(q: QualificationRow) -> QualificationView {
    QualificationView {
        id: q.id,
        kind: q.kind,
        status: q.status,
        expires_on: q.expires_on,
        filename: q.filename,
        content_type: q.content_type,
        size_bytes: q.size_bytes,
        uploaded_at: rfc3339(q.created_at),
    }
}

async fn view_of(conn: &mut Conn, s: ShopRow) -> AppResult<ShopView> {
    let categories = shops::categories(conn, &s.id).await?;
    let price_mode = crate::stored::word("price mode", &shops::price_mode(conn, &s.id).await?)?;
    let qualifications = qualifications::for_shop(conn, &s.id)
        .await?
        .into_iter()
        .map(qualification_view)
        .collect();
    let ratings = crate::shop_ratings::summary(conn, &s.id).await?;
    Ok(ShopView {
        id: s.id,
        slug: s.slug,
        name: s.name,
        legal_name: s.legal_name,
        registration_number: s.registration_number,
        status: s.status,
        decision_note: s.decision_note,
        categories,
        company_id: s.company_id,
        rating: ratings.stars(),
        rating_count: ratings.count,
        qualifications,
        created_at: rfc3339(s.created_at),
        price_mode,
    })
}

/// Sets whether the shop's prices contain tax (its staff): checkout taxes its orders accordingly
/// from then on; orders already placed keep the mode they were placed under.
pub async fn set_price_mode(app: &App, actor: &Actor, id: &str, mode: &str) -> AppResult<ShopView> {
    let mode: PriceMode = mode.parse().map_err(|m| AppError::invalid("price_mode", m))?;
    let mut tx = app.db.begin().await?;
    let s = managed(&mut tx, actor, id).await?;
    shops::set_price_mode(&mut tx, id, mode.as_str()).await?;
    let data = serde_json::json!({ "price_mode": mode.as_str() });
    audit::record(
        &mut tx,
        Some(&actor.account_id),
        AuditAction::ShopPriceModeSet,
        id,
        data,
    )
    .await?;
    let view = view_of(&mut tx, s).await?;
    crate::checkout_terms::commit_change(app, tx).await?;
    Ok(view)
}

/// Whether the actor runs this shop: for a company's shop, its current admins and sales members;
/// for a personal shop, its owner.
pub fn may_manage(actor: &Actor, s: &ShopRow) -> bool {
    actor.may_run_shop(&s.owner_account_id, s.company_id.as_deref())
}

/// Loads a shop the actor may see: approved shops are public; others only for staff and operators.
async fn visible(conn: &mut Conn, actor: Option<&Actor>, id: &str) -> AppResult<ShopRow> {
    let s = shops::by_id(conn, id).await?.ok_or(AppError::NotFound("shop"))?;
    let public = s.status.is_public();
    let allowed = public || actor.is_some_and(|a| a.is_operator || may_manage(a, &s));
    if allowed {
        Ok(s)
    } else {
        Err(AppError::NotFound("shop"))
    }
}

/// Loads a shop the actor runs (404 otherwise, so that others learn nothing).
pub(crate) async fn managed(conn: &mut Conn, actor: &Actor, id: &str) -> AppResult<ShopRow> {
    let s = shops::by_id(conn, id).await?.ok_or(AppError::NotFound("shop"))?;
    if may_manage(actor, &s) {
        Ok(s)
    } else {
        Err(AppError::NotFound("shop"))
    }
}

/// Applies to open a shop. It starts `pending`, in the operator's queue.
pub async fn apply(app: &App, actor: &Actor, input: ApplyInput) -> AppResult<ShopView> {
    let mut tx = app.db.begin().await?;
    let row = apply_in(&mut tx, actor, input).await?;
    let view = view_of(&mut tx, row).await?;
    tx.commit().await?;
    Ok(view)
}

/// Records an application inside the caller's transaction.
pub(crate) async fn apply_in(tx: &mut Conn, actor: &Actor, input: ApplyInput) -> AppResult<ShopRow> {
    let application = ShopApplication::parse(
        &input.name,
        &input.legal_name,
        input.registration_number.as_deref(),
        &input.categories,
    )?;
    let company_id = if input.for_company {
        match &actor.company {
            Some((id, role)) if role.may_run_shop() => Some(id.clone()),
            Some(_) => {
                return Err(AppError::Forbidden(
                    "only company admins and sales members open shops for a company".into(),
                ))
            }
            None => return Err(AppError::invalid("for_company", "you are not a member of a company")),
        }
    } else {
        None
    };
    let now = now_ms();
    for slug in &application.categories {
        if !categories::exists(tx, slug).await? {
            return Err(AppError::invalid("categories", format!("unknown category {slug:?}")));
        }
    }
    let base = shop::slugify(&application.name);
    let mut row = ShopRow {
        id: new_id("shp"),
        slug: base.clone(),
        name: application.name,
        legal_name: application.legal_name,
        registration_number: application.registration_number,
        owner_account_id: actor.account_id.clone(),
        company_id,
        status: ShopStatus::Pending,
        decision_note: None,
        decided_by: None,
        created_at: now,
        updated_at: now,
    };
    // The first free handle of "name", "name-2", "name-3", …; an insert that loses a race for a
    // handle simply tries the next one.
    let mut n = 1;
    loop {
        if n > 1 {
            row.slug = format!("{base}-{n}");
        }
        if !shops::slug_taken(tx, &row.slug).await? && shops::insert(tx, &row, &application.categories).await? {
            break;
        }
        n += 1;
    }
    let data =
        serde_json::json!({ "name": row.name, "company_id": row.company_id, "categories": application.categories });
    audit::record(tx, Some(&actor.account_id), AuditAction::ShopApplied, &row.id, data).await?;
    Ok(row)
}

pub(crate) async fn view_in(conn: &mut Conn, row: ShopRow) -> AppResult<ShopView> {
    view_of(conn, row).await
}

pub async fn get(app: &App, actor: Option<&Actor>, id: &str) -> AppResult<ShopView> {
    let mut conn = app.db.conn().await?;
    let s = visible(&mut conn, actor, id).await?;
    let staff = actor.is_some_and(|a| a.is_operator || may_manage(a, &s));
    let mut view = view_of(&mut conn, s).await?;
    if !staff {
        // The public sees the shop, not its paperwork.
        view.qualifications.clear();
        view.decision_note = None;
    }
    Ok(view)
}

/// A shop by its URL handle, with the same visibility as [`get`].
pub async fn by_slug(app: &App, actor: Option<&Actor>, slug: &str) -> AppResult<ShopView> {
    let mut conn = app.db.conn().await?;
    let s = shops::by_slug(&mut conn, slug)
        .await?
        .ok_or(AppError::NotFound("shop"))?;
    drop(conn);
    get(app, actor, &s.id).await
}

/// The shops the actor runs.
pub async fn mine(app: &App, actor: &Actor) -> AppResult<Vec<ShopView>> {
    let mut conn = app.db.conn().await?;
    let rows = shops::for_account(&mut conn, &actor.account_id).await?;
    let mut views = Vec::with_capacity(rows.len());
    for row in rows.into_iter().filter(|s| may_manage(actor, s)) {
        views.push(view_of(&mut conn, row).await?);
    }
    Ok(views)
}

/// Uploads a qualification document (a licence) for review. Answering a request for information
/// with a document puts the shop back in the queue.
pub async fn upload_qualification(
    app: &App,
    actor: &Actor,
    shop_id: &str,
    upload: Upload,
) -> AppResult<QualificationView> {
    {
        let mut conn = app.db.conn().await?;
        takes_documents(&managed(&mut conn, actor, shop_id).await?)?;
    }
    let checked = crate::shop_applications::check_upload(app, upload)?;
    let blob_key = app.blobs.put(&checked.bytes).await.map_err(anyhow::Error::from)?;
    let now = now_ms();
    let mut tx = app.db.begin().await?;
    let s = managed(&mut tx, actor, shop_id).await?;
    // Checked again in the transaction: the operator may have rejected the shop meanwhile.
    takes_documents(&s)?;
    let row = crate::shop_applications::qualification_row(&s.id, actor, checked, blob_key, now);
    qualifications::insert(&mut tx, &row).await?;
    if let Ok(next) = s.status.transition(&ShopEvent::Resubmit) {
        shops::set_status(&mut tx, &s.id, s.status, next, None, None, now).await?;
    }
    let data = serde_json::json!({ "qualification_id": row.id, "kind": row.kind, "expires_on": row.expires_on, "size": row.size_bytes });
    audit::record(
        &mut tx,
        Some(&actor.account_id),
        AuditAction::ShopDocumentUploaded,
        &s.id,
        data,
    )
    .await?;
    tx.commit().await?;
    Ok(qualification_view(row))
}

/// Refuses a document for a shop whose application is closed.
fn takes_documents(s: &ShopRow) -> AppResult<()> {
    if s.status.takes_documents() {
        Ok(())
    } else {
        Err(AppError::Conflict {
            kind: crate::ConflictKind::InvalidTransition,
            detail:
                "this shop's application was rejected, so it takes no more documents; apply again to open a new shop"
                    .into(),
        })
    }
}

/// A qualification document's bytes, for its shop's staff and operators.
pub async fn document(app: &App, actor: &Actor, qualification_id: &str) -> AppResult<(QualificationView, Vec<u8>)> {
    let mut conn = app.db.conn().await?;
    let q = qualifications::by_id(&mut conn, qualification_id)
        .await?
        .ok_or(AppError::NotFound("document"))?;
    if !actor.is_operator {
        managed(&mut conn, actor, &q.shop_id)
            .await
            .map_err(|e| e.not_found_as("document"))?;
    }
    let bytes = app.blobs.get(&q.blob_key).await.map_err(anyhow::Error::from)?;
    Ok((qualification_view(q), bytes))
}

const QUEUE_PAGE_MAX: i64 = 100;

/// The operator's queue: shops with `status`, oldest first.
pub async fn queue(
    app: &App,
    actor: &Actor,
    status: &str,
    cursor: Option<&str>,
    limit: Option<i64>,
) -> AppResult<ShopPage> {
    actor.require_operator()?;
    let status: ShopStatus = status.parse().map_err(|m| AppError::invalid("status", m))?;
    let limit = limit.unwrap_or(20);
    if !(1..=QUEUE_PAGE_MAX).contains(&limit) {
        return Err(AppError::invalid(
            "limit",
            format!("must be between 1 and {QUEUE_PAGE_MAX}"),
        ));
    }
    let after = cursor.map(parse_cursor).transpose()?;
    let mut conn = app.db.conn().await?;
    let rows = shops::by_status(
        &mut conn,
        status,
        after.as_ref().map(|(t, id)| (*t, id.as_str())),
        limit + 1,
    )
    .await?;
    let more = rows.len() as i64 > limit;
    let mut items = Vec::new();
    for row in rows.into_iter().take(limit as usize) {
        items.push(view_of(&mut conn, row).await?);
    }
    let next_cursor = more.then(|| items.last().map(|v: &ShopView| v.id.clone())).flatten();
    let next_cursor = match next_cursor {
        Some(id) => {
            let created = shops::by_id(&mut conn, &id)
                .await?
                .map(|s| s.created_at)
                .unwrap_or_default();
            Some(format!("{created}.{id}"))
        }
        None => None,
    };
    Ok(ShopPage { items, next_cursor })
}

fn parse_cursor(raw: &str) -> AppResult<(i64, String)> {
    let bad = || AppError::invalid("cursor", "is not a cursor this list gave out");
    let (at, id) = raw.split_once('.').ok_or_else(bad)?;
    Ok((at.parse().map_err(|_| bad())?, id.to_owned()))
}

/// An operator's decision on a shop.
#[derive(Debug, Clone)]
pub enum Decision {
    Approve,
    Reject { reason: String },
    RequestInfo { message: String },
}

/// Records the operator's decision. Approving also approves the documents still pending;
/// rejecting rejects them. Two operators deciding at once: the second gets 409.
pub async fn decide(app: &App, actor: &Actor, shop_id: &str, decision: Decision) -> AppResult<ShopView> {
    actor.require_operator()?;
    let (event, note, field) = match &decision {
        Decision::Approve => (ShopEvent::Approve, None, ""),
        Decision::Reject { reason } => (ShopEvent::Reject, Some(reason.as_str()), "reason"),
        Decision::RequestInfo { message } => (ShopEvent::RequestInfo, Some(message.as_str()), "message"),
    };
    let note = note
        .map(|n| text::bounded(n, 1, 2000, true).map_err(|m| AppError::invalid(field, m)))
        .transpose()?;
    let now = now_ms();
    let mut tx = app.db.begin().await?;
    let s = shops::by_id(&mut tx, shop_id)
        .await?
        .ok_or(AppError::NotFound("shop"))?;
    let from = s.status;
    let to = from
        .transition(&event)
        .map_err(|e| AppError::conflict(ConflictKind::InvalidTransition, e.to_string()))?;
    if !shops::set_status(&mut tx, &s.id, from, to, note.as_deref(), Some(&actor.account_id), now).await? {
        return Err(AppError::conflict(
            ConflictKind::InvalidTransition,
            "the shop was decided by someone else meanwhile",
        ));
    }
    match to {
        ShopStatus::Approved => {
            qualifications::decide_pending(&mut tx, &s.id, QualificationStatus::Approved.as_str()).await?;
        }
        ShopStatus::Rejected => {
            qualifications::decide_pending(&mut tx, &s.id, QualificationStatus::Rejected.as_str()).await?;
        }
        _ => {}
    }
    let action = AuditAction::shop_moved_to(to);
    let data = serde_json::json!({ "from": from, "to": to, "note": note });
    audit::record(&mut tx, Some(&actor.account_id), action, &s.id, data.clone()).await?;
    let event = Event::ShopStatusChanged {
        shop_id: s.id.clone(),
        from,
        to,
    };
    outbox::publish(&mut tx, &event, now).await?;
    let reloaded = shops::by_id(&mut tx, &s.id).await?.ok_or(AppError::NotFound("shop"))?;
    let view = view_of(&mut tx, reloaded).await?;
    tx.commit().await?;
    Ok(view)
}

/// An operator's decision on one document uploaded after the shop was decided.
pub async fn decide_document(
    app: &App,
    actor: &Actor,
    qualification_id: &str,
    approve: bool,
    note: Option<&str>,
) -> AppResult<QualificationView> {
    actor.require_operator()?;
    let note = note
        .map(|n| text::bounded(n, 1, 2000, true).map_err(|m| AppError::invalid("reason", m)))
        .transpose()?;
    let status = if approve {
        QualificationStatus::Approved
    } else {
        QualificationStatus::Rejected
    };
    let mut tx = app.db.begin().await?;
    let q = qualifications::by_id(&mut tx, qualification_id)
        .await?
        .ok_or(AppError::NotFound("document"))?;
    if !qualifications::decide(&mut tx, &q.id, status.as_str(), note.as_deref()).await? {
        return Err(AppError::conflict(
            ConflictKind::InvalidTransition,
            format!("the document is already {}", q.status),
        ));
    }
    let data = serde_json::json!({ "qualification_id": q.id, "status": status, "note": note });
    audit::record(
        &mut tx,
        Some(&actor.account_id),
        AuditAction::ShopDocumentDecided,
        &q.shop_id,
        data,
    )
    .await?;
    let updated = qualifications::by_id(&mut tx, &q.id)
        .await?
        .ok_or(AppError::NotFound("document"))?;
    tx.commit().await?;
    Ok(qualification_view(updated))
}

/// The shop's qualifications as the listing rule sees them.
pub(crate) async fn listing_qualifications(conn: &mut Conn, shop_id: &str) -> AppResult<Vec<shop::Qualification>> {
    Ok(qualifications::for_shop(conn, shop_id)
        .await?
        .into_iter()
        .filter_map(|q| {
            Some(shop::Qualification {
                kind: q.kind,
                status: q.status.parse().ok()?,
                expires_on: q
                    .expires_on
                    .as_deref()
                    .and_then(|d| crate::shop_applications::parse_date(d).ok()),
            })
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_reject_garbage() {
        assert_eq!(parse_cursor("123.shp_ab").unwrap(), (123, "shp_ab".into()));
        assert!(parse_cursor("nope").is_err());
        assert!(parse_cursor("x.shp").is_err());
    }
}
