//! Conversations and messages on the wire. A message here has the very shape the WebSocket
//! pushes (`agora_core::conversation::Message`), so a client renders both with one function.

use agora_app::conversations::messages::{MessagePage, ReadView};
use agora_app::conversations::{ConversationPage, ConversationView};
use agora_core::conversation::{Attachment, Message};
use agora_core::money::Money;
use agora_core::negotiation_event::NegotiationEvent;
use serde::Serialize;
use utoipa::ToSchema;

use super::each;
use super::money::MoneySchema;
use super::products::ShopRef;

/// A file attached to a message.
#[derive(Debug, Serialize, ToSchema)]
pub struct AttachmentBody {
    /// Cleaned of paths and odd characters.
    filename: String,
    /// Recognised from the content: `application/pdf`, `image/png`, `image/jpeg`, `image/gif`
    /// or `image/webp`.
    content_type: String,
    size_bytes: i64,
    /// Where participants download it (with their bearer token).
    url: String,
}

impl From<Attachment> for AttachmentBody {
    fn from(a: Attachment) -> Self {
        AttachmentBody {
            filename: a.filename,
            content_type: a.content_type,
            size_bytes: a.size_bytes,
            url: a.url,
        }
    }
}

/// What a negotiation event message is about (`kind: "event"`). An automatic decline under the
/// shop's floor carries no amount at all.
#[derive(Debug, Serialize, ToSchema)]
pub struct MessageEventBody {
    /// The negotiation; absent for an opening offer declined under the floor (none was opened).
    negotiation_id: Option<String>,
    /// `offered`, `countered`, `accepted`, `rejected`, `withdrawn`, `expired` or `declined`
    /// (under the floor, automatically).
    action: String,
    /// `buyer`, `seller` or `system` (expiry, the floor's decline).
    by: String,
    /// The terms on the table after the move.
    #[schema(value_type = Option<MoneySchema>)]
    unit_price: Option<Money>,
    quantity: Option<i64>,
    /// The round the move made or answered.
    round: Option<i64>,
    /// Set on an acceptance.
    contract_id: Option<String>,
    order_id: Option<String>,
}

impl From<NegotiationEvent> for MessageEventBody {
    fn from(e: NegotiationEvent) -> Self {
        MessageEventBody {
            negotiation_id: e.negotiation_id,
            action: e.action.as_str().to_owned(),
            by: e.by.as_str().to_owned(),
            unit_price: e.unit_price,
            quantity: e.quantity,
            round: e.round,
            contract_id: e.contract_id,
            order_id: e.order_id,
        }
    }
}

/// One message: the same object the WebSocket's `message` frames carry.
#[derive(Debug, Serialize, ToSchema)]
pub struct MessageBody {
    id: String,
    conversation_id: String,
    /// Its place in the conversation: 1, 2, 3, ... Pass the last one seen as `after` to catch up.
    seq: i64,
    sender_account_id: String,
    sender_name: String,
    /// `buyer` or `seller`.
    side: String,
    /// Plain text (may be empty beside an attachment).
    body: String,
    attachment: Option<AttachmentBody>,
    created_at: String,
    /// `text` (someone wrote it) or `event` (a negotiation move; `body` says it in words).
    kind: String,
    /// Only on `event` messages.
    #[serde(skip_serializing_if = "Option::is_none")]
    event: Option<MessageEventBody>,
}

impl From<Message> for MessageBody {
    fn from(m: Message) -> Self {
        MessageBody {
            side: m.side.as_str().to_owned(),
            attachment: m.attachment.map(Into::into),
            id: m.id,
            conversation_id: m.conversation_id,
            seq: m.seq,
            sender_account_id: m.sender_account_id,
            sender_name: m.sender_name,
            body: m.body,
            created_at: m.created_at,
            kind: m.kind.as_str().to_owned(),
            event: m.event.map(Into::into),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MessageList {
    /// Oldest first.
    items: Vec<MessageBody>,
    /// For a page back from the newest: older messages; for a page `after` a seq: newer ones.
    next_cursor: Option<String>,
}

impl From<MessagePage> for MessageList {
    fn from(p: MessagePage) -> Self {
        MessageList {
            items: each(p.items),
            next_cursor: p.next_cursor,
        }
    }
}

/// How far each side has read, in message seqs (0: nothing yet).
#[derive(Debug, Serialize, ToSchema)]
pub struct ReadPositionsBody {
    buyer: i64,
    seller: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ConversationBuyer {
    account_id: String,
    name: String,
    /// Set when the conversation is the company's: its admins and purchasers take part.
    company: Option<BuyerCompany>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BuyerCompany {
    id: String,
    name: String,
}

/// A conversation as one of its participants sees it.
#[derive(Debug, Serialize, ToSchema)]
pub struct ConversationBody {
    id: String,
    shop: ShopRef,
    buyer: ConversationBuyer,
    subject: String,
    product_id: Option<String>,
    order_id: Option<String>,
    rfq_id: Option<String>,
    /// `buyer` or `seller`: the side you take part on.
    my_side: String,
    /// Messages from others you have not read.
    unread_count: i64,
    /// The newest message's seq (0: none yet).
    last_seq: i64,
    /// The newest message's text (in lists).
    last_message: Option<String>,
    /// On a single conversation: how far each side has read (read receipts).
    read: Option<ReadPositionsBody>,
    last_message_at: String,
    created_at: String,
}

impl From<ConversationView> for ConversationBody {
    fn from(c: ConversationView) -> Self {
        let company = match (c.buyer_company_id, c.buyer_company_name) {
            (Some(id), name) => Some(BuyerCompany {
                id,
                name: name.unwrap_or_default(),
            }),
            _ => None,
        };
        ConversationBody {
            id: c.id,
            shop: ShopRef {
                id: c.shop_id,
                name: c.shop_name,
            },
            buyer: ConversationBuyer {
                account_id: c.buyer_account_id,
                name: c.buyer_name,
                company,
            },
            subject: c.subject,
            product_id: c.product_id,
            order_id: c.order_id,
            rfq_id: c.rfq_id,
            my_side: c.my_side.as_str().to_owned(),
            unread_count: c.unread,
            last_seq: c.last_seq,
            last_message: c.preview,
            read: c.read.map(|r| ReadPositionsBody {
                buyer: r.buyer,
                seller: r.seller,
            }),
            last_message_at: c.last_message_at,
            created_at: c.created_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ConversationList {
    /// The most recently active first.
    items: Vec<ConversationBody>,
    next_cursor: Option<String>,
}

impl From<ConversationPage> for ConversationList {
    fn from(p: ConversationPage) -> Self {
        ConversationList {
            items: each(p.items),
            next_cursor: p.next_cursor,
        }
    }
}

/// Where your reading stands.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReadBody {
    conversation_id: String,
    last_read_seq: i64,
    unread_count: i64,
}

impl ReadBody {
    pub fn new(conversation_id: String, r: ReadView) -> Self {
        ReadBody {
            conversation_id,
            last_read_seq: r.last_read_seq,
            unread_count: r.unread,
        }
    }
}
