//! Conversations, their messages, read positions, the shops' reply times and the email digests'
//! progress. Messages are numbered per conversation by one conditional update of the
//! conversation's row, which also holds that row until the transaction ends: posts to one
//! conversation take turns there, posts to different ones never meet.

use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

/// A new conversation.
#[derive(Debug, Clone)]
pub struct NewConversation<'a> {
    pub id: &'a str,
    pub shop_id: &'a str,
    pub buyer_account_id: &'a str,
    pub buyer_company_id: Option<&'a str>,
    pub subject: &'a str,
    pub product_id: Option<&'a str>,
    pub order_id: Option<&'a str>,
    pub rfq_id: Option<&'a str>,
    pub now: i64,
}

pub async fn insert(conn: &mut AnyConnection, c: &NewConversation<'_>) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO conversations (id, shop_id, buyer_account_id, buyer_company_id, subject, product_id, \
         order_id, rfq_id, last_seq, last_message_at, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 0, $9, $9)",
    )
    .bind(c.id)
    .bind(c.shop_id)
    .bind(c.buyer_account_id)
    .bind(c.buyer_company_id)
    .bind(c.subject)
    .bind(c.product_id)
    .bind(c.order_id)
    .bind(c.rfq_id)
    .bind(c.now)
    .execute(conn)
    .await?;
    Ok(())
}

/// A conversation with what decides who takes part in it and the names it is shown with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConversationRow {
    pub id: String,
    pub shop_id: String,
    pub shop_name: String,
    pub shop_owner_account_id: String,
    pub shop_company_id: Option<String>,
    pub buyer_account_id: String,
    pub buyer_name: String,
    pub buyer_company_id: Option<String>,
    pub buyer_company_name: Option<String>,
    pub subject: String,
    pub product_id: Option<String>,
    pub order_id: Option<String>,
    pub rfq_id: Option<String>,
    pub last_seq: i64,
    pub last_message_at: i64,
    pub created_at: i64,
}

const COLUMNS: &str = "c.id, c.shop_id, s.name, s.owner_account_id, s.company_id, c.buyer_account_id, a.name, \
     c.buyer_company_id, co.name, c.subject, c.product_id, c.order_id, c.rfq_id, c.last_seq, c.last_message_at, \
     c.created_at";

const FROM: &str =
    "FROM conversations c JOIN shops s ON s.id = c.shop_id JOIN accounts a ON a.id = c.buyer_account_id \
     LEFT JOIN companies co ON co.id = c.buyer_company_id";

fn from_row(r: &AnyRow) -> sqlx::Result<ConversationRow> {
    Ok(ConversationRow {
        id: r.try_get(0)?,
        shop_id: r.try_get(1)?,
        shop_name: r.try_get(2)?,
        shop_owner_account_id: r.try_get(3)?,
        shop_company_id: r.try_get(4)?,
        buyer_account_id: r.try_get(5)?,
        buyer_name: r.try_get(6)?,
        buyer_company_id: r.try_get(7)?,
        buyer_company_name: r.try_get(8)?,
        subject: r.try_get(9)?,
        product_id: r.try_get(10)?,
        order_id: r.try_get(11)?,
        rfq_id: r.try_get(12)?,
        last_seq: r.try_get(13)?,
        last_message_at: r.try_get(14)?,
        created_at: r.try_get(15)?,
    })
}

pub async fn by_id(conn: &mut AnyConnection, id: &str) -> sqlx::Result<Option<ConversationRow>> {
    let sql = format!("SELECT {COLUMNS} {FROM} WHERE c.id = $1");
    sqlx::query(&sql)
        .bind(id)
        .fetch_optional(conn)
        .await?
        .as_ref()
        .map(from_row)
        .transpose()
}

/// The most recently active conversation between a buyer and a shop about a product: the
/// company's when `buyer_company_id` is given, else the buyer's own.
pub async fn about_product(
    conn: &mut AnyConnection,
    shop_id: &str,
    product_id: &str,
    buyer_account_id: &str,
    buyer_company_id: Option<&str>,
) -> sqlx::Result<Option<ConversationRow>> {
    let sql = format!(
        "SELECT {COLUMNS} {FROM} WHERE c.product_id = $1 AND c.shop_id = $2 AND \
         ((c.buyer_company_id IS NULL AND $4 = '' AND c.buyer_account_id = $3) OR c.buyer_company_id = $4) \
         ORDER BY c.last_message_at DESC, c.id DESC LIMIT 1"
    );
    sqlx::query(&sql)
        .bind(product_id)
        .bind(shop_id)
        .bind(buyer_account_id)
        .bind(buyer_company_id.unwrap_or(""))
        .fetch_optional(conn)
        .await?
        .as_ref()
        .map(from_row)
        .transpose()
}

/// Whose conversations a list shows: the account's own as a buyer, its company's when it speaks
/// for the company as a buyer, and those of the shops it runs (its personal shops, and its
/// company's when it answers for the company's shop).
#[derive(Debug, Clone, Copy)]
pub struct Reader<'a> {
    pub account_id: &'a str,
    pub buyer_company_id: Option<&'a str>,
    pub shop_company_id: Option<&'a str>,
}

/// The conditions that select a reader's conversations, with `$1` the account, `$2` the buyer
/// company and `$3` the shop company ('' when none: no id is empty).
const READER_FILTER: &str = "((c.buyer_company_id IS NULL AND c.buyer_account_id = $1) OR c.buyer_company_id = $2 \
     OR (s.company_id IS NULL AND s.owner_account_id = $1) OR s.company_id = $3)";

/// A conversation in a reader's list, with the reader's unread count and the newest message.
#[derive(Debug, Clone)]
pub struct ListedRow {
    pub conversation: ConversationRow,
    pub unread: i64,
    pub preview: Option<String>,
}

/// A page of the reader's conversations, the most recently active first, after the cursor
/// `(last_message_at, id)` of the previous page's last one.
pub async fn list(
    conn: &mut AnyConnection,
    reader: Reader<'_>,
    after: Option<(i64, &str)>,
    limit: i64,
) -> sqlx::Result<Vec<ListedRow>> {
    let (at, id) = after.unwrap_or((i64::MAX, ""));
    let sql = format!(
        "SELECT {COLUMNS}, \
         (SELECT COUNT(*) FROM conversation_messages m WHERE m.conversation_id = c.id \
            AND m.seq > COALESCE(r.last_read_seq, 0) AND m.sender_account_id <> $1), \
         (SELECT m.body FROM conversation_messages m WHERE m.conversation_id = c.id AND m.seq = c.last_seq) \
         {FROM} LEFT JOIN conversation_reads r ON r.conversation_id = c.id AND r.account_id = $1 \
         WHERE {READER_FILTER} AND (c.last_message_at < $4 OR (c.last_message_at = $4 AND c.id < $5)) \
         ORDER BY c.last_message_at DESC, c.id DESC LIMIT $6"
    );
    let unset = |v: Option<&str>| v.unwrap_or("").to_owned();
    let rows = sqlx::query(&sql)
        .bind(reader.account_id)
        .bind(unset(reader.buyer_company_id))
        .bind(unset(reader.shop_company_id))
        .bind(at)
        .bind(id)
        .bind(limit)
        .fetch_all(conn)
        .await?;
    rows.iter()
        .map(|r| {
            Ok(ListedRow {
                conversation: from_row(r)?,
                unread: r.try_get(16)?,
                preview: r.try_get(17)?,
            })
        })
        .collect()
}

/// How many messages from others the reader has not read, over all their conversations.
pub async fn unread_total(conn: &mut AnyConnection, reader: Reader<'_>) -> sqlx::Result<i64> {
    let sql = format!(
        "SELECT COUNT(*) FROM conversation_messages m JOIN conversations c ON c.id = m.conversation_id \
         JOIN shops s ON s.id = c.shop_id \
         LEFT JOIN conversation_reads r ON r.conversation_id = c.id AND r.account_id = $1 \
         WHERE {READER_FILTER} AND m.seq > COALESCE(r.last_read_seq, 0) AND m.sender_account_id <> $1"
    );
    sqlx::query(&sql)
        .bind(reader.account_id)
        .bind(reader.buyer_company_id.unwrap_or(""))
        .bind(reader.shop_company_id.unwrap_or(""))
        .fetch_one(conn)
        .await?
        .try_get(0)
}

/// Takes the next message number of a conversation, at `now`, and holds its row until the
/// transaction ends. Returns the number and since when the buyer awaits a reply, if they do;
/// `None` when there is no such conversation.
pub async fn next_seq(conn: &mut AnyConnection, id: &str, now: i64) -> sqlx::Result<Option<(i64, Option<i64>)>> {
    let row = sqlx::query(
        "UPDATE conversations SET last_seq = last_seq + 1, last_message_at = $2 WHERE id = $1 \
         RETURNING last_seq, awaiting_reply_since",
    )
    .bind(id)
    .bind(now)
    .fetch_optional(conn)
    .await?;
    row.map(|r| Ok((r.try_get(0)?, r.try_get(1)?))).transpose()
}

/// Records when the buyer started waiting for a reply (`None`: they no longer do).
pub async fn set_awaiting(conn: &mut AnyConnection, id: &str, since: Option<i64>) -> sqlx::Result<()> {
    sqlx::query("UPDATE conversations SET awaiting_reply_since = $2 WHERE id = $1")
        .bind(id)
        .bind(since)
        .execute(conn)
        .await?;
    Ok(())
}

/// Records that the shop answered a question asked at `asked_at` at `replied_at`.
pub async fn insert_reply_time(
    conn: &mut AnyConnection,
    shop_id: &str,
    conversation_id: &str,
    asked_at: i64,
    replied_at: i64,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO shop_reply_times (shop_id, conversation_id, asked_at, replied_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (conversation_id, asked_at) DO NOTHING",
    )
    .bind(shop_id)
    .bind(conversation_id)
    .bind(asked_at)
    .bind(replied_at)
    .execute(conn)
    .await?;
    Ok(())
}

/// How long (ms) the shop took to answer its `limit` most recently answered questions.
pub async fn reply_times(conn: &mut AnyConnection, shop_id: &str, limit: i64) -> sqlx::Result<Vec<i64>> {
    let rows = sqlx::query(
        "SELECT replied_at - asked_at FROM shop_reply_times WHERE shop_id = $1 ORDER BY replied_at DESC LIMIT $2",
    )
    .bind(shop_id)
    .bind(limit)
    .fetch_all(conn)
    .await?;
    rows.iter().map(|r| r.try_get(0)).collect()
}

/// A file attached to a message, as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttachmentRow {
    pub blob_key: String,
    pub filename: String,
    pub content_type: String,
    pub size_bytes: i64,
}

/// A message as stored, with its sender's name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageRow {
    pub id: String,
    pub conversation_id: String,
    pub seq: i64,
    pub sender_account_id: String,
    pub sender_name: String,
    pub side: String,
    pub body: String,
    pub attachment: Option<AttachmentRow>,
    pub created_at: i64,
    /// `text` or `event`.
    pub kind: String,
    /// An event's payload, JSON text.
    pub event: Option<String>,
}

const MESSAGE_COLUMNS: &str = "m.id, m.conversation_id, m.seq, m.sender_account_id, a.name, m.side, m.body, \
     m.attachment_key, m.attachment_name, m.attachment_type, m.attachment_size, m.created_at, m.kind, m.event";

fn message_from_row(r: &AnyRow) -> sqlx::Result<MessageRow> {
    let key: Option<String> = r.try_get(7)?;
    let attachment = match key {
        Some(blob_key) => Some(AttachmentRow {
            blob_key,
            filename: r.try_get::<Option<String>, _>(8)?.unwrap_or_default(),
            content_type: r.try_get::<Option<String>, _>(9)?.unwrap_or_default(),
            size_bytes: r.try_get::<Option<i64>, _>(10)?.unwrap_or_default(),
        }),
        None => None,
    };
    Ok(MessageRow {
        id: r.try_get(0)?,
        conversation_id: r.try_get(1)?,
        seq: r.try_get(2)?,
        sender_account_id: r.try_get(3)?,
        sender_name: r.try_get(4)?,
        side: r.try_get(5)?,
        body: r.try_get(6)?,
        attachment,
        created_at: r.try_get(11)?,
        kind: r.try_get(12)?,
        event: r.try_get(13)?,
    })
}

/// Inserts a message (its sender's name is not stored: it is read with the message).
pub async fn insert_message(conn: &mut AnyConnection, m: &MessageRow) -> sqlx::Result<()> {
    let a = m.attachment.as_ref();
    sqlx::query(
        "INSERT INTO conversation_messages (id, conversation_id, seq, sender_account_id, side, body, \
         attachment_key, attachment_name, attachment_type, attachment_size, created_at, kind, event) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
    )
    .bind(&m.id)
    .bind(&m.conversation_id)
    .bind(m.seq)
    .bind(&m.sender_account_id)
    .bind(&m.side)
    .bind(&m.body)
    .bind(a.map(|a| a.blob_key.as_str()))
    .bind(a.map(|a| a.filename.as_str()))
    .bind(a.map(|a| a.content_type.as_str()))
    .bind(a.map(|a| a.size_bytes))
    .bind(m.created_at)
    .bind(&m.kind)
    .bind(m.event.as_deref())
    .execute(conn)
    .await?;
    Ok(())
}

/// Which way a page of messages goes from its cursor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Page {
    /// The newest messages before this seq (`i64::MAX`: the newest of all).
    Before(i64),
    /// The oldest messages after this seq.
    After(i64),
}

/// Up to `limit` messages of a conversation, oldest first, on the given side of a seq.
pub async fn messages(
    conn: &mut AnyConnection,
    conversation_id: &str,
    page: Page,
    limit: i64,
) -> sqlx::Result<Vec<MessageRow>> {
    let (condition, order, seq) = match page {
        Page::Before(seq) => ("m.seq < $2", "DESC", seq),
        Page::After(seq) => ("m.seq > $2", "ASC", seq),
    };
    let sql = format!(
        "SELECT {MESSAGE_COLUMNS} FROM conversation_messages m JOIN accounts a ON a.id = m.sender_account_id \
         WHERE m.conversation_id = $1 AND {condition} ORDER BY m.seq {order} LIMIT $3"
    );
    let rows = sqlx::query(&sql)
        .bind(conversation_id)
        .bind(seq)
        .bind(limit)
        .fetch_all(conn)
        .await?;
    let mut messages = rows.iter().map(message_from_row).collect::<sqlx::Result<Vec<_>>>()?;
    if matches!(page, Page::Before(_)) {
        messages.reverse();
    }
    Ok(messages)
}

pub async fn message(conn: &mut AnyConnection, conversation_id: &str, id: &str) -> sqlx::Result<Option<MessageRow>> {
    let sql = format!(
        "SELECT {MESSAGE_COLUMNS} FROM conversation_messages m JOIN accounts a ON a.id = m.sender_account_id \
         WHERE m.conversation_id = $1 AND m.id = $2"
    );
    sqlx::query(&sql)
        .bind(conversation_id)
        .bind(id)
        .fetch_optional(conn)
        .await?
        .as_ref()
        .map(message_from_row)
        .transpose()
}

/// Moves the account's read position forward to `seq` (never back). Returns whether it moved.
pub async fn mark_read(
    conn: &mut AnyConnection,
    conversation_id: &str,
    account_id: &str,
    side: &str,
    seq: i64,
    now: i64,
) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "INSERT INTO conversation_reads (conversation_id, account_id, side, last_read_seq, read_at) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (conversation_id, account_id) DO UPDATE \
         SET last_read_seq = excluded.last_read_seq, side = excluded.side, read_at = excluded.read_at \
         WHERE conversation_reads.last_read_seq < excluded.last_read_seq",
    )
    .bind(conversation_id)
    .bind(account_id)
    .bind(side)
    .bind(seq)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() > 0)
}

/// The account's read position in a conversation (0: nothing read).
pub async fn read_position(conn: &mut AnyConnection, conversation_id: &str, account_id: &str) -> sqlx::Result<i64> {
    let row =
        sqlx::query("SELECT last_read_seq FROM conversation_reads WHERE conversation_id = $1 AND account_id = $2")
            .bind(conversation_id)
            .bind(account_id)
            .fetch_optional(conn)
            .await?;
    Ok(row.map(|r| r.try_get(0)).transpose()?.unwrap_or(0))
}

/// How many messages from others the account has not read in one conversation.
pub async fn unread_in(conn: &mut AnyConnection, conversation_id: &str, account_id: &str) -> sqlx::Result<i64> {
    sqlx::query(
        "SELECT COUNT(*) FROM conversation_messages m WHERE m.conversation_id = $1 AND m.sender_account_id <> $2 \
         AND m.seq > COALESCE((SELECT r.last_read_seq FROM conversation_reads r \
         WHERE r.conversation_id = $1 AND r.account_id = $2), 0)",
    )
    .bind(conversation_id)
    .bind(account_id)
    .fetch_one(conn)
    .await?
    .try_get(0)
}

/// How far each side has read: the furthest position of anyone on it, `(side, seq)`.
pub async fn read_by_side(conn: &mut AnyConnection, conversation_id: &str) -> sqlx::Result<Vec<(String, i64)>> {
    let rows =
        sqlx::query("SELECT side, MAX(last_read_seq) FROM conversation_reads WHERE conversation_id = $1 GROUP BY side")
            .bind(conversation_id)
            .fetch_all(conn)
            .await?;
    rows.iter().map(|r| Ok((r.try_get(0)?, r.try_get(1)?))).collect()
}

/// An unread message for an email digest, with the names it is shown with.
#[derive(Debug, Clone)]
pub struct DigestRow {
    pub conversation_id: String,
    pub subject: String,
    pub shop_name: String,
    pub sender_name: String,
    pub body: String,
    pub created_at: i64,
}

/// The reader's unread messages from others created after `since` and up to `until`, oldest
/// first, at most `limit`.
pub async fn unread_between(
    conn: &mut AnyConnection,
    reader: Reader<'_>,
    since: i64,
    until: i64,
    limit: i64,
) -> sqlx::Result<Vec<DigestRow>> {
    let sql = format!(
        "SELECT c.id, c.subject, s.name, a.name, m.body, m.created_at FROM conversation_messages m \
         JOIN conversations c ON c.id = m.conversation_id JOIN shops s ON s.id = c.shop_id \
         JOIN accounts a ON a.id = m.sender_account_id \
         LEFT JOIN conversation_reads r ON r.conversation_id = c.id AND r.account_id = $1 \
         WHERE {READER_FILTER} AND m.seq > COALESCE(r.last_read_seq, 0) AND m.sender_account_id <> $1 \
         AND m.created_at > $4 AND m.created_at <= $5 ORDER BY m.created_at, m.id LIMIT $6"
    );
    let rows = sqlx::query(&sql)
        .bind(reader.account_id)
        .bind(reader.buyer_company_id.unwrap_or(""))
        .bind(reader.shop_company_id.unwrap_or(""))
        .bind(since)
        .bind(until)
        .bind(limit)
        .fetch_all(conn)
        .await?;
    rows.iter()
        .map(|r| {
            Ok(DigestRow {
                conversation_id: r.try_get(0)?,
                subject: r.try_get(1)?,
                shop_name: r.try_get(2)?,
                sender_name: r.try_get(3)?,
                body: r.try_get(4)?,
                created_at: r.try_get(5)?,
            })
        })
        .collect()
}

/// Up to when the account's digests have covered messages (0: never).
pub async fn digest_mark(conn: &mut AnyConnection, account_id: &str) -> sqlx::Result<i64> {
    let row = sqlx::query("SELECT up_to FROM chat_digests WHERE account_id = $1")
        .bind(account_id)
        .fetch_optional(conn)
        .await?;
    Ok(row.map(|r| r.try_get(0)).transpose()?.unwrap_or(0))
}

/// Records that the account's digests have covered messages up to `up_to`.
pub async fn set_digest_mark(conn: &mut AnyConnection, account_id: &str, up_to: i64) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO chat_digests (account_id, up_to) VALUES ($1, $2) \
         ON CONFLICT (account_id) DO UPDATE SET up_to = excluded.up_to WHERE chat_digests.up_to < excluded.up_to",
    )
    .bind(account_id)
    .bind(up_to)
    .execute(conn)
    .await?;
    Ok(())
}
