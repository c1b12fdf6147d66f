//! The payer's side of a card payment: `/pay/{id}` sends them to the gateway's hosted page,
//! `/pay/{id}/return` (where the gateway sends them back) shows where the payment stands, and a
//! failed payment can be tried again.

use agora_app::gateway::pay::{self, PayStatus, Start};
use agora_core::payment::{PaymentPurpose, PaymentStatus};
use askama::Template;
use axum::extract::{Path, State};
use serde::Deserialize;

use super::{see_other, CsrfToken, Layout, PageForm, PageResult, PageUser};
use crate::frame::render;
use crate::AppState;

/// Sends the payer to the gateway's page for their pending card payment (or to the return page
/// when it is not waiting for a card any more).
pub async fn start(State(state): State<AppState>, user: PageUser, Path(id): Path<String>) -> PageResult {
    let actor = user.require(&format!("/pay/{id}"))?;
    Ok(match pay::start(&state.app, &actor, &id).await? {
        Start::Gateway(url) => see_other(&url),
        Start::Settled => see_other(&format!("/pay/{id}/return")),
    })
}

#[derive(Template)]
#[template(path = "pay_return.html")]
struct ReturnPage {
    layout: Layout,
    status: PayStatus,
    pending: bool,
    succeeded: bool,
    top_up: bool,
}

/// Where the gateway sends the payer back: pending (the page refreshes itself until the
/// gateway's callback arrives), paid, or failed with a way to try again.
pub async fn result(
    State(state): State<AppState>,
    user: PageUser,
    csrf: CsrfToken,
    Path(id): Path<String>,
) -> PageResult {
    let actor = user.require(&format!("/pay/{id}/return"))?;
    let status = pay::status(&state.app, &actor, &id).await?;
    let s = status.payment.summary.status;
    let title = match s {
        PaymentStatus::Pending => "Waiting for your payment",
        PaymentStatus::Succeeded => "Payment received",
        PaymentStatus::Failed => "Payment failed",
    };
    let layout = Layout::new(&state, Some(actor), &csrf, title).await;
    Ok(render(&ReturnPage {
        layout,
        pending: s == PaymentStatus::Pending,
        succeeded: s == PaymentStatus::Succeeded,
        top_up: status.payment.purpose == PaymentPurpose::TopUp,
        status,
    }))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct RetryForm {
    csrf: String,
}

/// Tries a failed card payment again: a new payment, and off to the gateway's page with it.
pub async fn retry(
    State(state): State<AppState>,
    user: PageUser,
    csrf: CsrfToken,
    Path(id): Path<String>,
    PageForm(form): PageForm<RetryForm>,
) -> PageResult {
    csrf.check(&form.csrf)?;
    let actor = user.require(&format!("/pay/{id}/return"))?;
    let fresh = pay::retry(&state.app, &actor, &id).await?;
    Ok(see_other(&format!("/pay/{}", fresh.id)))
}
