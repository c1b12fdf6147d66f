//! The RFQ page's other buttons: "Withdraw quote" (the seller), "Cancel request" (the buyer) and
//! "Ask a question" (either side of a quote), which opens the quote's conversation.

use agora_app::deals::{quote_moves, quote_questions};
use agora_app::AppError;
use axum::extract::{Path, State};
use serde::Deserialize;

use super::rfqs::failed;
use super::{see_other, CsrfToken, PageForm, PageResult, PageUser};
use crate::AppState;

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct QuoteForm {
    csrf: String,
    /// The RFQ page to come back to.
    rfq_id: String,
}

pub async fn withdraw(
    State(state): State<AppState>,
    user: PageUser,
    csrf: CsrfToken,
    Path(quote_id): Path<String>,
    PageForm(form): PageForm<QuoteForm>,
) -> PageResult {
    csrf.check(&form.csrf)?;
    let actor = user.require(&format!("/rfqs/{}", form.rfq_id))?;
    match quote_moves::withdraw(&state.app, &actor, &quote_id).await {
        Ok(q) => Ok(see_other(&format!("/rfqs/{}?withdrawn=1", q.rfq_id))),
        Err(err @ AppError::Conflict { .. }) => failed(&state, actor, &csrf, &form.rfq_id, err).await,
        Err(err) => Err(err.into()),
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct CsrfForm {
    csrf: String,
}

pub async fn cancel(
    State(state): State<AppState>,
    user: PageUser,
    csrf: CsrfToken,
    Path(rfq_id): Path<String>,
    PageForm(form): PageForm<CsrfForm>,
) -> PageResult {
    csrf.check(&form.csrf)?;
    let actor = user.require(&format!("/rfqs/{rfq_id}"))?;
    match quote_moves::cancel(&state.app, &actor, &rfq_id).await {
        Ok(_) => Ok(see_other(&format!("/rfqs/{rfq_id}?cancelled=1"))),
        Err(err @ (AppError::Conflict { .. } | AppError::Forbidden(_))) => {
            failed(&state, actor, &csrf, &rfq_id, err).await
        }
        Err(err) => Err(err.into()),
    }
}

pub async fn ask(
    State(state): State<AppState>,
    user: PageUser,
    csrf: CsrfToken,
    Path(quote_id): Path<String>,
    PageForm(form): PageForm<QuoteForm>,
) -> PageResult {
    csrf.check(&form.csrf)?;
    let actor = user.require(&format!("/rfqs/{}", form.rfq_id))?;
    let opened = quote_questions::open(&state.app, &actor, &quote_id).await?;
    Ok(see_other(&format!("/messages/{}", opened.conversation.id)))
}
