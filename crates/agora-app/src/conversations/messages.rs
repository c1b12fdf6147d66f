//! Messages in a conversation: posting one (text, and optionally a file), the history in pages
//! (back from the newest, or on from a seq the client last saw: its catch-up after a
//! reconnect), read receipts, and attachments served to participants only.
//!
//! Posting writes, in one transaction: the message under the conversation's next seq, the
//! sender's read position, the shop's reply time when it answers a question, an outbox event
//! that pushes the message to every participant's live connections on every node, a digest job
//! for each other participant (kept to one per account), and the audit entry.

use agora_core::audit::AuditAction;
use agora_core::conversation::{self as rules, Attachment, Message, MessageKind, Side};
use agora_core::events::Event;
use agora_core::jobs::JobKind;
use agora_core::negotiation_event::NegotiationEvent;
use agora_store::conversations::{self as store, AttachmentRow, ConversationRow, MessageRow, Page};
use agora_store::{new_id, now_ms, outbox, Conn};

use super::{joined, page_limit, participants};
use crate::{audit, jobs, rfc3339, Actor, App, AppError, AppResult};

/// A file sent with a message.
#[derive(Debug, Clone, Default)]
pub struct Upload {
    pub filename: String,
    pub bytes: Vec<u8>,
}

/// Where the API serves a message's attachment.
pub fn attachment_url(conversation_id: &str, message_id: &str) -> String {
    format!("/api/v1/conversations/{conversation_id}/messages/{message_id}/attachment")
}

/// A stored message as participants see it.
pub fn message_of(m: MessageRow) -> Message {
    let attachment = m.attachment.map(|a| Attachment {
        url: attachment_url(&m.conversation_id, &m.id),
        filename: a.filename,
        content_type: a.content_type,
        size_bytes: a.size_bytes,
    });
    Message {
        side: m.side.parse().unwrap_or(Side::Buyer),
        created_at: rfc3339(m.created_at),
        id: m.id,
        conversation_id: m.conversation_id,
        seq: m.seq,
        sender_account_id: m.sender_account_id,
        sender_name: m.sender_name,
        body: m.body,
        attachment,
        kind: m.kind.parse().unwrap_or_default(),
        event: m.event.as_deref().and_then(|e| serde_json::from_str(e).ok()),
    }
}

/// The dedupe key that keeps an account to one waiting digest.
fn digest_key(account_id: &str) -> String {
    format!("chat_digest:{account_id}")
}

/// Who posts a message, and what it holds.
struct Posting<'a> {
    sender_account_id: &'a str,
    sender_name: &'a str,
    side: Side,
    body: String,
    attachment: Option<AttachmentRow>,
    event: Option<NegotiationEvent>,
}

/// Posts a message in the caller's transaction, on `side`, as `actor` (see the module's notes).
#[allow(clippy::too_many_arguments)]
pub(crate) async fn post_in(
    app: &App,
    tx: &mut Conn,
    actor: &Actor,
    row: &ConversationRow,
    side: Side,
    body: String,
    attachment: Option<AttachmentRow>,
    now: i64,
) -> AppResult<Message> {
    let posting = Posting {
        sender_account_id: &actor.account_id,
        sender_name: &actor.name,
        side,
        body,
        attachment,
        event: None,
    };
    write_in(app, tx, row, posting, now).await
}

/// Posts a negotiation's event in the caller's transaction (the move's): its `body` is the
/// event in words, its sender the account that moved (for the platform's moves, the one whose
/// offer it was). Events leave the shop's reply times alone: they are moves, not answers.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn post_event_in(
    app: &App,
    tx: &mut Conn,
    row: &ConversationRow,
    sender_account_id: &str,
    sender_name: &str,
    side: Side,
    event: NegotiationEvent,
    body: String,
    now: i64,
) -> AppResult<Message> {
    let posting = Posting {
        sender_account_id,
        sender_name,
        side,
        body,
        attachment: None,
        event: Some(event),
    };
    write_in(app, tx, row, posting, now).await
}

async fn write_in(app: &App, tx: &mut Conn, row: &ConversationRow, p: Posting<'_>, now: i64) -> AppResult<Message> {
    let (seq, awaiting) = store::next_seq(tx, &row.id, now)
        .await?
        .ok_or(AppError::NotFound("conversation"))?;
    let kind = if p.event.is_some() {
        MessageKind::Event
    } else {
        MessageKind::Text
    };
    let event = p
        .event
        .as_ref()
        .map(serde_json::to_string)
        .transpose()
        .map_err(|e| AppError::Internal(e.into()))?;
    let stored = MessageRow {
        id: new_id("msg"),
        conversation_id: row.id.clone(),
        seq,
        sender_account_id: p.sender_account_id.to_owned(),
        sender_name: p.sender_name.to_owned(),
        side: p.side.as_str().to_owned(),
        body: p.body,
        attachment: p.attachment,
        created_at: now,
        kind: kind.as_str().to_owned(),
        event,
    };
    store::insert_message(tx, &stored).await?;
    match (kind, p.side, awaiting) {
        (MessageKind::Event, _, _) => {}
        (_, Side::Seller, Some(asked_at)) => {
            store::insert_reply_time(tx, &row.shop_id, &row.id, asked_at, now).await?;
            store::set_awaiting(tx, &row.id, None).await?;
        }
        (_, Side::Buyer, None) => store::set_awaiting(tx, &row.id, Some(now)).await?,
        _ => {}
    }
    store::mark_read(tx, &row.id, p.sender_account_id, p.side.as_str(), seq, now).await?;
    let recipients = participants(tx, row).await?;
    let run_at = now + app.settings.chat_digest_delay_ms;
    for account in recipients.iter().filter(|a| a.as_str() != p.sender_account_id) {
        let payload = serde_json::json!({ "account_id": account });
        jobs::enqueue(tx, JobKind::ChatDigest, &payload, run_at, Some(&digest_key(account))).await?;
    }
    let data = serde_json::json!({
        "message_id": stored.id,
        "seq": seq,
        "side": p.side,
        "kind": kind,
        "attachment": stored.attachment.as_ref().map(|a| &a.blob_key),
    });
    let message = message_of(stored);
    let event = Event::ChatMessagePosted {
        conversation_id: row.id.clone(),
        recipients,
        message: Box::new(message.clone()),
    };
    outbox::publish(tx, &event, now).await?;
    audit::record(
        tx,
        Some(p.sender_account_id),
        AuditAction::ConversationMessagePosted,
        &row.id,
        data,
    )
    .await?;
    Ok(message)
}

/// Checks an attachment (size, then type by content) and stores its bytes.
async fn store_attachment(app: &App, upload: Upload) -> AppResult<AttachmentRow> {
    if upload.bytes.len() > rules::MAX_ATTACHMENT_BYTES {
        return Err(AppError::TooLarge {
            max_bytes: rules::MAX_ATTACHMENT_BYTES,
        });
    }
    let content_type = rules::sniff_attachment(&upload.bytes).ok_or_else(|| {
        AppError::UnsupportedMediaType("attachments must be PDF, PNG, JPEG, GIF or WebP files".into())
    })?;
    let blob_key = app.blobs.put(&upload.bytes).await.map_err(anyhow::Error::from)?;
    Ok(AttachmentRow {
        blob_key,
        filename: rules::attachment_name(&upload.filename),
        content_type: content_type.to_owned(),
        size_bytes: upload.bytes.len() as i64,
    })
}

/// Posts a message in a conversation the actor takes part in (404 otherwise), with an optional
/// file.
pub async fn post(
    app: &App,
    actor: &Actor,
    conversation_id: &str,
    body: &str,
    upload: Option<Upload>,
) -> AppResult<Message> {
    {
        let mut conn = app.db.conn().await?;
        joined(&mut conn, actor, conversation_id).await?;
    }
    let upload = upload.filter(|u| !u.bytes.is_empty());
    let body = rules::parse_body(body, upload.is_some()).map_err(|m| AppError::invalid("body", m))?;
    let attachment = match upload {
        Some(upload) => Some(store_attachment(app, upload).await?),
        None => None,
    };
    let now = now_ms();
    let mut tx = app.db.begin().await?;
    // Decided again in the writing transaction: a member removed meanwhile is refused.
    let (row, side) = joined(&mut tx, actor, conversation_id).await?;
    let message = post_in(app, &mut tx, actor, &row, side, body, attachment, now).await?;
    tx.commit().await?;
    Ok(message)
}

/// A page of a conversation's messages, oldest first.
#[derive(Debug, Clone)]
pub struct MessagePage {
    pub items: Vec<Message>,
    /// Older messages (for a page back from the newest) or newer ones (for a page after a seq).
    pub next_cursor: Option<String>,
}

/// Which messages a client asks for.
#[derive(Debug, Clone, Copy, Default)]
pub struct HistoryQuery<'a> {
    /// Only those after this seq (what the client last saw), oldest first.
    pub after: Option<i64>,
    /// A cursor a previous page gave out.
    pub cursor: Option<&'a str>,
    pub limit: Option<i64>,
}

fn parse_page(q: &HistoryQuery<'_>) -> AppResult<Page> {
    if let Some(cursor) = q.cursor.filter(|c| !c.is_empty()) {
        let bad = || AppError::invalid("cursor", "is not a cursor this list gave out");
        let (kind, seq) = cursor.split_at_checked(1).ok_or_else(bad)?;
        let seq: i64 = seq.parse().map_err(|_| bad())?;
        return match kind {
            "b" => Ok(Page::Before(seq)),
            "a" => Ok(Page::After(seq)),
            _ => Err(bad()),
        };
    }
    match q.after {
        Some(seq) if seq < 0 => Err(AppError::invalid("after", "must be a message seq, 0 or more")),
        Some(seq) => Ok(Page::After(seq)),
        None => Ok(Page::Before(i64::MAX)),
    }
}

/// Messages of a conversation the actor takes part in: by default the newest page; with
/// `after`, what came after the seq the client last saw.
pub async fn history(app: &App, actor: &Actor, conversation_id: &str, q: HistoryQuery<'_>) -> AppResult<MessagePage> {
    let limit = page_limit(q.limit)?;
    let page = parse_page(&q)?;
    let mut conn = app.db.conn().await?;
    joined(&mut conn, actor, conversation_id).await?;
    let mut rows = store::messages(&mut conn, conversation_id, page, limit + 1).await?;
    let more = rows.len() as i64 > limit;
    let next_cursor = match page {
        Page::Before(_) if more => {
            rows.remove(0);
            rows.first().map(|m| format!("b{}", m.seq))
        }
        Page::After(_) if more => {
            rows.pop();
            rows.last().map(|m| format!("a{}", m.seq))
        }
        _ => None,
    };
    Ok(MessagePage {
        items: rows.into_iter().map(message_of).collect(),
        next_cursor,
    })
}

/// Where the actor's reading stands after a read receipt.
#[derive(Debug, Clone, Copy)]
pub struct ReadView {
    pub last_read_seq: i64,
    pub unread: i64,
}

/// Records that the actor read the conversation up to `up_to` (the newest message when not
/// given; never past it, never back). The other participants are told, live.
pub async fn mark_read(app: &App, actor: &Actor, conversation_id: &str, up_to: Option<i64>) -> AppResult<ReadView> {
    if up_to.is_some_and(|s| s < 0) {
        return Err(AppError::invalid("seq", "must be a message seq, 0 or more"));
    }
    let now = now_ms();
    let mut tx = app.db.begin().await?;
    let (row, side) = joined(&mut tx, actor, conversation_id).await?;
    let seq = up_to.unwrap_or(row.last_seq).min(row.last_seq);
    if store::mark_read(&mut tx, &row.id, &actor.account_id, side.as_str(), seq, now).await? {
        let event = Event::ChatRead {
            conversation_id: row.id.clone(),
            recipients: participants(&mut tx, &row).await?,
            account_id: actor.account_id.clone(),
            side,
            seq,
        };
        outbox::publish(&mut tx, &event, now).await?;
    }
    let last_read_seq = store::read_position(&mut tx, &row.id, &actor.account_id).await?;
    let unread = store::unread_in(&mut tx, &row.id, &actor.account_id).await?;
    tx.commit().await?;
    Ok(ReadView { last_read_seq, unread })
}

/// A message's attachment and its bytes, for the conversation's participants (404 otherwise).
pub async fn attachment(
    app: &App,
    actor: &Actor,
    conversation_id: &str,
    message_id: &str,
) -> AppResult<(AttachmentRow, Vec<u8>)> {
    let mut conn = app.db.conn().await?;
    joined(&mut conn, actor, conversation_id).await?;
    let a = store::message(&mut conn, conversation_id, message_id)
        .await?
        .and_then(|m| m.attachment)
        .ok_or(AppError::NotFound("attachment"))?;
    drop(conn);
    let bytes = app
        .blobs
        .get(&a.blob_key)
        .await
        .map_err(|e| AppError::from_io(e, "attachment"))?;
    Ok((a, bytes))
}
