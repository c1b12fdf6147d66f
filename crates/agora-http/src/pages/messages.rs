//! The chat pages: the inbox with unread counts, a conversation (live with `chat.js`, which
//! listens on the WebSocket and posts without reloading; without script, forms post and the page
//! reloads), "Contact the seller", and attachments for the participants.

use agora_app::conversations::messages::{self, HistoryQuery, MessagePage, Upload};
use agora_app::conversations::{self, ConversationView, OpenInput};
use agora_app::AppError;
use agora_core::conversation::{Message, Side, MAX_ATTACHMENT_BYTES, MAX_BODY_CHARS};
use agora_core::ValidationErrors;
use askama::Template;
use axum::extract::{Multipart, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::Json;
use serde::Deserialize;

use super::{render, see_other, CsrfToken, Layout, PageForm, PageResult, PageUser};
use crate::extract::Query;
use crate::AppState;

/// Messages shown at once on a conversation page.
const PAGE_MESSAGES: i64 = 50;

/// A duration as people say it: "5 minutes", "3 hours", "2 days".
pub fn duration_words(ms: i64) -> String {
    let minutes = (ms / 60_000).max(1);
    let plural = |n: i64, unit: &str| {
        if n == 1 {
            format!("1 {unit}")
        } else {
            format!("{n} {unit}s")
        }
    };
    if minutes < 60 {
        plural(minutes, "minute")
    } else if minutes < 48 * 60 {
        plural((minutes + 59) / 60, "hour")
    } else {
        plural((minutes + 24 * 60 - 1) / (24 * 60), "day")
    }
}

/// A side as people say it.
pub fn side_label(side: &Side) -> &'static str {
    match *side {
        Side::Buyer => "Buyer",
        Side::Seller => "Seller",
    }
}

/// Who the other side is, as the viewer names them.
pub fn counterpart_of(c: &ConversationView) -> String {
    match c.my_side {
        Side::Buyer => c.shop_name.clone(),
        Side::Seller => match &c.buyer_company_name {
            Some(company) => format!("{} ({company})", c.buyer_name),
            None => c.buyer_name.clone(),
        },
    }
}

#[derive(Template)]
#[template(path = "messages.html")]
struct InboxPage {
    layout: Layout,
    conversations: Vec<ConversationView>,
    unread_total: i64,
    next_cursor: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct InboxQuery {
    cursor: String,
}

pub async fn inbox(
    State(state): State<AppState>,
    user: PageUser,
    csrf: CsrfToken,
    Query(q): Query<InboxQuery>,
) -> PageResult {
    let actor = user.require("/messages")?;
    let page = conversations::list(&state.app, &actor, Some(q.cursor.as_str()), Some(30)).await?;
    let unread_total = conversations::unread_total(&state.app, &actor).await?;
    let layout = Layout::new(&state, Some(actor), &csrf, "Messages").await;
    Ok(render(&InboxPage {
        layout,
        conversations: page.items,
        unread_total,
        next_cursor: page.next_cursor,
    }))
}

#[derive(Template)]
#[template(path = "conversation.html")]
struct ConversationPage {
    layout: Layout,
    conversation: ConversationView,
    my_account: String,
    messages: Vec<Message>,
    older: Option<String>,
    last_seq: i64,
    /// The other side has read up to here.
    their_read: i64,
    max_body: usize,
    error: Option<String>,
    body: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ConversationQuery {
    cursor: String,
}

async fn conversation_page(
    state: &AppState,
    actor: agora_app::Actor,
    csrf: &CsrfToken,
    id: &str,
    cursor: &str,
    error: Option<String>,
    body: String,
) -> PageResult {
    let query = HistoryQuery {
        after: None,
        cursor: Some(cursor),
        limit: Some(PAGE_MESSAGES),
    };
    let MessagePage { items, next_cursor } = messages::history(&state.app, &actor, id, query).await?;
    if cursor.is_empty() {
        // Seeing the newest messages reads them.
        messages::mark_read(&state.app, &actor, id, None).await?;
    }
    let conversation = conversations::get(&state.app, &actor, id).await?;
    let read = conversation.read.unwrap_or_default();
    let their_read = match conversation.my_side {
        Side::Buyer => read.seller,
        Side::Seller => read.buyer,
    };
    let title = format!("{} · {}", conversation.subject, counterpart_of(&conversation));
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let my_account = actor.account_id.clone();
    let layout = Layout::new(state, Some(actor), csrf, title).await;
    let page = ConversationPage {
        layout,
        my_account,
        last_seq: conversation.last_seq,
        conversation,
        messages: items,
        older: next_cursor,
        their_read,
        max_body: MAX_BODY_CHARS,
        error,
        body,
    };
    Ok((status, render(&page)).into_response())
}

pub async fn show(
    State(state): State<AppState>,
    user: PageUser,
    csrf: CsrfToken,
    Path(id): Path<String>,
    Query(q): Query<ConversationQuery>,
) -> PageResult {
    let actor = user.require(&format!("/messages/{id}"))?;
    conversation_page(&state, actor, &csrf, &id, &q.cursor, None, String::new()).await
}

/// Whether the request came from `chat.js` (which wants JSON, not a redirect).
fn from_script(headers: &HeaderMap) -> bool {
    headers.get("x-agora-fetch").is_some()
}

/// Posts a message from the conversation's form (multipart: `csrf`, `body`, optional `file`).
pub async fn post(
    State(state): State<AppState>,
    user: PageUser,
    csrf: CsrfToken,
    headers: HeaderMap,
    Path(id): Path<String>,
    multipart: Multipart,
) -> PageResult {
    let actor = user.require(&format!("/messages/{id}"))?;
    let script = from_script(&headers);
    let form = crate::multipart::read(multipart, MAX_ATTACHMENT_BYTES).await;
    let (body, result) = match form {
        Ok(form) => {
            csrf.check(form.text("csrf").unwrap_or_default())?;
            let body = form.text("body").unwrap_or_default().to_owned();
            let upload = form.file.map(|(filename, bytes)| Upload { filename, bytes });
            let result = messages::post(&state.app, &actor, &id, &body, upload).await;
            (body, result)
        }
        Err(err) => (String::new(), Err(err)),
    };
    match result {
        Ok(message) if script => Ok((StatusCode::CREATED, Json(message)).into_response()),
        Ok(message) => Ok(see_other(&format!("/messages/{id}#m{}", message.seq))),
        Err(err @ (AppError::Invalid(_) | AppError::TooLarge { .. } | AppError::UnsupportedMediaType(_))) => {
            let text = match &err {
                AppError::Invalid(e) => e.message_for("body").unwrap_or("the message is not valid").to_owned(),
                other => other.to_string(),
            };
            let text = crate::words::closed(&text);
            if script {
                let status = crate::problem::ApiError(err).into_response().status();
                return Ok((status, Json(serde_json::json!({"error": text}))).into_response());
            }
            conversation_page(&state, actor, &csrf, &id, "", Some(text), body).await
        }
        Err(err) => Err(err.into()),
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ReadForm {
    csrf: String,
    seq: Option<i64>,
}

/// A read receipt from `chat.js` while the page is open.
pub async fn read(
    State(state): State<AppState>,
    user: PageUser,
    csrf: CsrfToken,
    Path(id): Path<String>,
    PageForm(form): PageForm<ReadForm>,
) -> PageResult {
    csrf.check(&form.csrf)?;
    let actor = user.require(&format!("/messages/{id}"))?;
    messages::mark_read(&state.app, &actor, &id, form.seq).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// A message's file, for the conversation's participants.
pub async fn file(
    State(state): State<AppState>,
    user: PageUser,
    Path((id, message_id)): Path<(String, String)>,
) -> PageResult {
    let actor = user.require(&format!("/messages/{id}"))?;
    let (a, bytes) = messages::attachment(&state.app, &actor, &id, &message_id).await?;
    Ok(crate::frame::file_response(&a.content_type, &a.filename, bytes))
}

#[derive(Template)]
#[template(path = "conversation_new.html")]
struct NewConversationPage {
    layout: Layout,
    form: NewForm,
    shop_name: String,
    errors: ValidationErrors,
    error: Option<String>,
    max_body: usize,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct NewForm {
    csrf: String,
    shop: String,
    product: String,
    order: String,
    subject: String,
    body: String,
}

async fn new_page(
    state: &AppState,
    actor: agora_app::Actor,
    csrf: &CsrfToken,
    mut form: NewForm,
    errors: ValidationErrors,
    error: Option<String>,
) -> PageResult {
    let shop = agora_app::shops::get(&state.app, Some(&actor), &form.shop).await?;
    if form.subject.is_empty() && !form.product.is_empty() {
        if let Ok(p) = agora_app::products::get(&state.app, Some(&actor), &form.product).await {
            form.subject = format!("About {}", p.title);
        }
    }
    if form.subject.is_empty() && !form.order.is_empty() {
        form.subject = format!("About order {}", form.order);
    }
    let status = if errors.is_empty() && error.is_none() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let layout = Layout::new(state, Some(actor), csrf, format!("Contact {}", shop.name)).await;
    let page = NewConversationPage {
        layout,
        form,
        shop_name: shop.name,
        errors,
        error,
        max_body: MAX_BODY_CHARS,
    };
    Ok((status, render(&page)).into_response())
}

pub async fn new_form(
    State(state): State<AppState>,
    user: PageUser,
    csrf: CsrfToken,
    Query(form): Query<NewForm>,
) -> PageResult {
    let back = format!(
        "/messages/new?shop={}&product={}&order={}",
        super::urlencode(&form.shop),
        super::urlencode(&form.product),
        super::urlencode(&form.order)
    );
    let actor = user.require(&back)?;
    new_page(&state, actor, &csrf, form, ValidationErrors::new(), None).await
}

pub async fn create(
    State(state): State<AppState>,
    user: PageUser,
    csrf: CsrfToken,
    PageForm(form): PageForm<NewForm>,
) -> PageResult {
    csrf.check(&form.csrf)?;
    let actor = user.require("/messages")?;
    let given = |s: &str| Some(s.to_owned()).filter(|s| !s.trim().is_empty());
    let (product, order) = (given(&form.product), given(&form.order));
    let input = OpenInput {
        shop_id: &form.shop,
        subject: &form.subject,
        product_id: product.as_deref(),
        order_id: order.as_deref(),
        rfq_id: None,
        body: Some(&form.body),
    };
    if form.body.trim().is_empty() {
        let errors = ValidationErrors::single("body", "write your message");
        return new_page(&state, actor, &csrf, form, errors, None).await;
    }
    match conversations::open(&state.app, &actor, input).await {
        Ok(c) => Ok(see_other(&format!("/messages/{}", c.id))),
        Err(AppError::Invalid(errors)) => new_page(&state, actor, &csrf, form, errors, None).await,
        Err(AppError::Forbidden(message)) => {
            new_page(&state, actor, &csrf, form, ValidationErrors::new(), Some(message)).await
        }
        Err(err) => Err(err.into()),
    }
}
