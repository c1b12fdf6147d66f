//! Conversations between buyers and shops: opening one, the inbox, messages with their history
//! and catch-up, attachments, read receipts. Live delivery is the WebSocket (`crate::ws`).

use agora_app::conversations::messages::{self, HistoryQuery, Upload};
use agora_app::conversations::{self, OpenInput};
use agora_core::conversation::MAX_ATTACHMENT_BYTES;
use axum::extract::{Multipart, Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::Json;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use super::bodies::conversations::{ConversationBody, ConversationList, MessageBody, MessageList, ReadBody};
use crate::extract::{ApiJson, Auth, Query};
use crate::problem::{ApiResult, Problem};
use crate::AppState;

/// A new conversation with a shop.
#[derive(Debug, Deserialize, ToSchema)]
pub struct NewConversationBody {
    shop_id: String,
    /// One line, 1 to 200 characters.
    subject: String,
    /// A product of the shop it is about.
    product_id: Option<String>,
    /// One of your orders with the shop it is about.
    order_id: Option<String>,
    /// An RFQ of yours it is about, which the shop quoted on or was invited to (404 otherwise).
    rfq_id: Option<String>,
    /// A first message, posted with the opening.
    body: Option<String>,
}

/// Open a conversation with an approved shop. A company member opens it for the company (admins
/// and purchasers only); the company's admins and purchasers then take part, and on the shop's
/// side whoever runs the shop (its owner, or its company's admins and sales members).
#[utoipa::path(post, path = "/conversations", tag = "conversations", security(("bearer" = [])),
    request_body = NewConversationBody,
    responses((status = 201, body = ConversationBody), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn open(
    State(state): State<AppState>,
    Auth(actor): Auth,
    ApiJson(body): ApiJson<NewConversationBody>,
) -> ApiResult<(StatusCode, Json<ConversationBody>)> {
    let input = OpenInput {
        shop_id: &body.shop_id,
        subject: &body.subject,
        product_id: body.product_id.as_deref(),
        order_id: body.order_id.as_deref(),
        rfq_id: body.rfq_id.as_deref(),
        body: body.body.as_deref(),
    };
    let view = conversations::open(&state.app, &actor, input).await?;
    Ok((StatusCode::CREATED, Json(view.into())))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct ListParams {
    /// 1 to 100 (default 20).
    limit: Option<i64>,
    cursor: Option<String>,
}

/// Your conversations (as a buyer, for your company, for the shops you run), the most recently
/// active first, with your unread counts.
#[utoipa::path(get, path = "/conversations", tag = "conversations", security(("bearer" = [])), params(ListParams),
    responses((status = 200, body = ConversationList), (status = 422, body = Problem)))]
pub async fn list(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Query(q): Query<ListParams>,
) -> ApiResult<Json<ConversationList>> {
    let page = conversations::list(&state.app, &actor, q.cursor.as_deref(), q.limit).await?;
    Ok(Json(page.into()))
}

/// One conversation you take part in, with read receipts (404 for anyone else).
#[utoipa::path(get, path = "/conversations/{id}", tag = "conversations", security(("bearer" = [])), params(("id" = String, Path)),
    responses((status = 200, body = ConversationBody), (status = 404, body = Problem)))]
pub async fn get(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<ConversationBody>> {
    Ok(Json(conversations::get(&state.app, &actor, &id).await?.into()))
}

/// A message.
#[derive(Debug, Deserialize, ToSchema)]
pub struct NewMessageBody {
    /// 1 to 4000 characters.
    body: String,
}

/// Post a message. Every participant connected to the WebSocket, on any node, gets it pushed;
/// those who have not read it a while later get an email digest.
#[utoipa::path(post, path = "/conversations/{id}/messages", tag = "conversations", security(("bearer" = [])), params(("id" = String, Path)),
    request_body = NewMessageBody,
    responses((status = 201, body = MessageBody), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn post_message(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<NewMessageBody>,
) -> ApiResult<(StatusCode, Json<MessageBody>)> {
    let message = messages::post(&state.app, &actor, &id, &body.body, None).await?;
    Ok((StatusCode::CREATED, Json(message.into())))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct HistoryParams {
    /// Only the messages after this seq, oldest first: what a client that last saw this seq
    /// missed (its catch-up after a reconnect).
    after: Option<i64>,
    /// A cursor a previous page gave out.
    cursor: Option<String>,
    /// 1 to 100 (default 20).
    limit: Option<i64>,
}

/// A conversation's messages, oldest first: the newest page by default (`next_cursor` then
/// leads to older ones), or those `after` a seq (`next_cursor` then leads to newer ones).
#[utoipa::path(get, path = "/conversations/{id}/messages", tag = "conversations", security(("bearer" = [])),
    params(("id" = String, Path), HistoryParams),
    responses((status = 200, body = MessageList), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn history(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<String>,
    Query(q): Query<HistoryParams>,
) -> ApiResult<Json<MessageList>> {
    let query = HistoryQuery {
        after: q.after,
        cursor: q.cursor.as_deref(),
        limit: q.limit,
    };
    Ok(Json(messages::history(&state.app, &actor, &id, query).await?.into()))
}

/// A message with a file: multipart form data with `file` and an optional `body`.
#[derive(Debug, ToSchema)]
#[allow(dead_code)]
pub struct AttachmentForm {
    /// PDF, PNG, JPEG, GIF or WebP (recognised from the content), at most 5 MiB.
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
    /// Text to go with it, up to 4000 characters.
    body: Option<String>,
}

/// Post a message with a file (415 for another type, 413 above 5 MiB).
#[utoipa::path(post, path = "/conversations/{id}/attachments", tag = "conversations", security(("bearer" = [])), params(("id" = String, Path)),
    request_body(content = AttachmentForm, content_type = "multipart/form-data"),
    responses((status = 201, body = MessageBody), (status = 404, body = Problem), (status = 413, body = Problem), (status = 415, body = Problem), (status = 422, body = Problem)))]
pub async fn post_attachment(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<String>,
    multipart: Multipart,
) -> ApiResult<(StatusCode, Json<MessageBody>)> {
    let form = crate::multipart::read(multipart, MAX_ATTACHMENT_BYTES).await?;
    let Some((filename, bytes)) = form.file.clone() else {
        return Err(agora_app::AppError::invalid("file", "attach a file").into());
    };
    let body = form.text("body").unwrap_or_default();
    let message = messages::post(&state.app, &actor, &id, body, Some(Upload { filename, bytes })).await?;
    Ok((StatusCode::CREATED, Json(message.into())))
}

/// Download a message's file (the conversation's participants only).
#[utoipa::path(get, path = "/conversations/{id}/messages/{message_id}/attachment", tag = "conversations", security(("bearer" = [])),
    params(("id" = String, Path), ("message_id" = String, Path)),
    responses((status = 200, content_type = "application/octet-stream", body = Vec<u8>), (status = 404, body = Problem)))]
pub async fn attachment(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path((id, message_id)): Path<(String, String)>,
) -> ApiResult<Response> {
    let (a, bytes) = messages::attachment(&state.app, &actor, &id, &message_id).await?;
    Ok(crate::frame::file_response(&a.content_type, &a.filename, bytes))
}

/// A read receipt.
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct ReadRequest {
    /// Read up to this message (default: the newest).
    seq: Option<i64>,
}

/// Mark the conversation read up to a message (never back). The other participants see it live.
#[utoipa::path(post, path = "/conversations/{id}/read", tag = "conversations", security(("bearer" = [])), params(("id" = String, Path)),
    request_body = ReadRequest,
    responses((status = 200, body = ReadBody), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn mark_read(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> ApiResult<Json<ReadBody>> {
    // The body is optional: none reads everything.
    let seq = if body.iter().all(u8::is_ascii_whitespace) {
        None
    } else {
        crate::extract::parse_json::<ReadRequest>(&body)?.seq
    };
    let read = messages::mark_read(&state.app, &actor, &id, seq).await?;
    Ok(Json(ReadBody::new(id, read)))
}
