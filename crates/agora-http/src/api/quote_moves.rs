//! The RFQ moves besides quoting and accepting: a shop withdraws its quote, the buyer cancels an
//! open RFQ, and either side opens the conversation about a quote.

use agora_app::deals::{quote_moves, quote_questions};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;

use super::bodies::conversations::ConversationBody;
use super::bodies::deals::{QuoteBody, RfqBody};
use crate::extract::Auth;
use crate::problem::{ApiResult, Problem};
use crate::AppState;

/// Withdraw your shop's quote while it is submitted (its shop's staff). The buyer is told.
#[utoipa::path(post, path = "/quotes/{id}/withdraw", tag = "negotiation", security(("bearer" = [])), params(("id" = String, Path)),
    responses((status = 200, body = QuoteBody), (status = 404, body = Problem),
        (status = 409, body = Problem, description = "quote-closed: accepted, rejected, withdrawn or expired")))]
pub async fn withdraw(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<QuoteBody>> {
    Ok(Json(quote_moves::withdraw(&state.app, &actor, &id).await?.into()))
}

/// Cancel your open RFQ (its buyer, while still buying for the company it was placed for): every
/// submitted quote closes as rejected and its shop is told.
#[utoipa::path(post, path = "/rfqs/{id}/cancel", tag = "negotiation", security(("bearer" = [])), params(("id" = String, Path)),
    responses((status = 200, body = RfqBody), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem, description = "rfq-closed: awarded or cancelled already")))]
pub async fn cancel(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<RfqBody>> {
    Ok(Json(quote_moves::cancel(&state.app, &actor, &id).await?.into()))
}

/// Open (or find) the conversation about a quote, between the RFQ's buyer (and the colleagues who
/// buy for the buyer's company) and the quoting shop's staff: 201 when this opened it, 200 when it
/// existed; 404 for anyone else.
#[utoipa::path(post, path = "/quotes/{id}/conversation", tag = "negotiation", security(("bearer" = [])), params(("id" = String, Path)),
    responses((status = 201, body = ConversationBody), (status = 200, body = ConversationBody), (status = 404, body = Problem)))]
pub async fn conversation(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<String>,
) -> ApiResult<(StatusCode, Json<ConversationBody>)> {
    let opened = quote_questions::open(&state.app, &actor, &id).await?;
    let status = if opened.created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(opened.conversation.into())))
}
