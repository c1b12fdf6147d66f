//! The operator's back office: the shop review queue and the decision page.

use agora_app::shop_review::{self, Review};
use agora_app::shops::{self, Decision, ShopView};
use agora_app::AppError;
use agora_core::shop::ShopStatus;
use agora_core::ValidationErrors;
use askama::Template;
use axum::extract::{Path, State};
use axum::response::IntoResponse;
use serde::Deserialize;

use super::{render, see_other, CsrfToken, Layout, PageError, PageForm, PageResult, PageUser};
use crate::extract::Query;
use crate::AppState;

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct QueueQuery {
    status: String,
    cursor: String,
    done: String,
}

pub struct Tab {
    pub status: &'static str,
    pub label: &'static str,
    pub current: bool,
}

#[derive(Template)]
#[template(path = "admin_queue.html")]
struct QueuePage {
    layout: Layout,
    tabs: Vec<Tab>,
    status: String,
    shops: Vec<ShopView>,
    next_cursor: Option<String>,
}

pub async fn queue(
    State(state): State<AppState>,
    user: PageUser,
    csrf: CsrfToken,
    Query(q): Query<QueueQuery>,
) -> PageResult {
    let actor = user.require("/admin/shops")?;
    let status = if q.status.is_empty() {
        ShopStatus::Pending.to_string()
    } else {
        q.status
    };
    let cursor = (!q.cursor.is_empty()).then_some(q.cursor.as_str());
    let page = shops::queue(&state.app, &actor, &status, cursor, Some(50)).await?;
    let tabs = ShopStatus::ALL
        .iter()
        .map(|s| Tab {
            status: s.as_str(),
            label: match s {
                ShopStatus::Pending => "Waiting",
                ShopStatus::InfoRequested => "Asked for information",
                ShopStatus::Approved => "Approved",
                ShopStatus::Rejected => "Rejected",
            },
            current: s.as_str() == status,
        })
        .collect();
    let notice = match q.done.parse() {
        Ok(ShopStatus::Approved) => Some("The shop was approved.".to_owned()),
        Ok(ShopStatus::Rejected) => Some("The shop was rejected.".to_owned()),
        Ok(ShopStatus::InfoRequested) => Some("The applicant was asked for more information.".to_owned()),
        Ok(ShopStatus::Pending) | Err(_) => None,
    };
    let layout = Layout::new(&state, Some(actor), &csrf, "Shop review queue")
        .await
        .with_notice(notice);
    Ok(render(&QueuePage {
        layout,
        tabs,
        status,
        shops: page.items,
        next_cursor: page.next_cursor,
    }))
}

#[derive(Template)]
#[template(path = "admin_shop.html")]
struct ShopPage {
    layout: Layout,
    shop: ShopView,
    review: Review,
    /// Set when a rejection waits for the operator's confirmation.
    confirm_reject: bool,
    decidable: bool,
    reason: String,
    message: String,
    errors: ValidationErrors,
    error: Option<String>,
}

async fn shop_page(
    state: &AppState,
    actor: agora_app::Actor,
    csrf: &CsrfToken,
    id: &str,
) -> Result<ShopPage, PageError> {
    actor.require_operator()?;
    let shop = shops::get(&state.app, Some(&actor), id).await?;
    let decidable = shop.status.awaits_decision();
    let review = shop_review::review(&state.app, &actor, id).await?;
    let layout = Layout::new(state, Some(actor), csrf, format!("Review: {}", shop.name)).await;
    Ok(ShopPage {
        layout,
        shop,
        review,
        confirm_reject: false,
        decidable,
        reason: String::new(),
        message: String::new(),
        errors: ValidationErrors::new(),
        error: None,
    })
}

pub async fn shop(
    State(state): State<AppState>,
    user: PageUser,
    csrf: CsrfToken,
    Path(id): Path<String>,
) -> PageResult {
    let actor = user.require(&format!("/admin/shops/{id}"))?;
    Ok(render(&shop_page(&state, actor, &csrf, &id).await?))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct DecisionForm {
    csrf: String,
    decision: String,
    reason: String,
    message: String,
    /// "yes" once the operator confirmed a rejection.
    confirmed: String,
}

pub async fn decide(
    State(state): State<AppState>,
    user: PageUser,
    csrf: CsrfToken,
    Path(id): Path<String>,
    PageForm(form): PageForm<DecisionForm>,
) -> PageResult {
    let actor = user.require(&format!("/admin/shops/{id}"))?;
    csrf.check(&form.csrf)?;
    let decision = match form.decision.as_str() {
        "approve" => Decision::Approve,
        "reject" => Decision::Reject {
            reason: form.reason.clone(),
        },
        "request_info" => Decision::RequestInfo {
            message: form.message.clone(),
        },
        _ => return Err(AppError::BadRequest("unknown decision".into()).into()),
    };
    // A rejection is final: it is asked again, on a page of its own, before it is done.
    if matches!(decision, Decision::Reject { .. }) && form.confirmed != "yes" && !form.reason.trim().is_empty() {
        let mut page = shop_page(&state, actor, &csrf, &id).await?;
        page.reason = form.reason;
        page.confirm_reject = true;
        return Ok(render(&page));
    }
    match shops::decide(&state.app, &actor, &id, decision).await {
        Ok(shop) => Ok(see_other(&format!("/admin/shops?done={}", shop.status))),
        Err(err @ (AppError::Invalid(_) | AppError::Conflict { .. })) => {
            let status = crate::problem::problem_of(&err).status();
            let mut page = shop_page(&state, actor, &csrf, &id).await?;
            page.reason = form.reason;
            page.message = form.message;
            match err {
                AppError::Invalid(errors) => page.errors = errors,
                other => page.error = Some(crate::words::message(&other)),
            }
            Ok((status, render(&page)).into_response())
        }
        Err(err) => Err(err.into()),
    }
}
