//! Outbox events: what a committed change announces to whatever reacts later (the search index,
//! the product-page cache, notifications). Stored as a topic and a JSON payload; each event is
//! one variant with typed fields, so a writer cannot misspell a topic or forget a field, and a
//! reader gets either a whole event or an error it must deal with, never empty defaults.

use serde::{Deserialize, Serialize};

use crate::conversation::{Message, Side};
use crate::negotiation::{NegotiationStatus, Side as NegotiationSide};
use crate::rfq::QuoteStatus;
use crate::shop::ShopStatus;

/// One outbox event. The serde tag is the stored topic, the content the stored payload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "topic", content = "payload")]
pub enum Event {
    /// A product's listing changed (created, edited, priced, stocked, imported).
    #[serde(rename = "product.changed")]
    ProductChanged { product_id: String },
    /// A seller changed a variant's price (amounts in minor units of the variant's currency).
    #[serde(rename = "price.changed")]
    PriceChanged {
        product_id: String,
        variant_id: String,
        currency: String,
        from: i64,
        to: i64,
    },
    /// An operator moved a shop through its review; its products may appear or disappear.
    #[serde(rename = "shop.status_changed")]
    ShopStatusChanged {
        shop_id: String,
        from: ShopStatus,
        to: ShopStatus,
    },
    /// An operator changed the category tree (every node drops its cached copy).
    #[serde(rename = "categories.changed")]
    CategoriesChanged {},
    /// A shop's price mode, shipping rates or methods, or the operator's tax rates changed
    /// (every node drops its cached checkout terms).
    #[serde(rename = "checkout_terms.changed")]
    CheckoutTermsChanged {},
    /// Someone tried to register with an email that already has an account (the owner may be
    /// told).
    #[serde(rename = "account.registration_attempted")]
    RegistrationAttempted { email: String },
    /// A message was posted in a conversation; `recipients` are the accounts taking part when it
    /// was posted (the sender too, for their other windows).
    #[serde(rename = "chat.message_posted")]
    ChatMessagePosted {
        conversation_id: String,
        recipients: Vec<String>,
        message: Box<Message>,
    },
    /// Someone read a conversation up to message `seq`.
    #[serde(rename = "chat.read")]
    ChatRead {
        conversation_id: String,
        recipients: Vec<String>,
        account_id: String,
        side: Side,
        seq: i64,
    },
    /// A negotiation was opened or moved (`event`: opened, countered, accepted, rejected,
    /// withdrawn, expired). `notify` names the accounts to tell: the buyer and the shop's staff.
    #[serde(rename = "negotiation.moved")]
    NegotiationMoved {
        negotiation_id: String,
        event: String,
        status: NegotiationStatus,
        turn: NegotiationSide,
        rounds: u32,
        notify: Vec<String>,
    },
    /// A shop submitted or revised a quote on an RFQ; `notify` names the RFQ's buyer.
    #[serde(rename = "rfq.quote_submitted")]
    QuoteSubmitted {
        rfq_id: String,
        quote_id: String,
        revision: u32,
        notify: Vec<String>,
    },
    /// A quote's status changed: accepted, closed because another was or the request was
    /// cancelled, withdrawn or expired; `notify` names who hears of it (the quoting shop's staff,
    /// and the buyer when the quote was withdrawn or expired).
    #[serde(rename = "rfq.quote_closed")]
    QuoteClosed {
        rfq_id: String,
        quote_id: String,
        status: QuoteStatus,
        notify: Vec<String>,
    },
    /// An accepted negotiation or quote became a signed contract and an order; `notify` names
    /// both parties.
    #[serde(rename = "contract.signed")]
    ContractSigned {
        contract_id: String,
        order_id: String,
        /// `negotiation` or `quote`.
        source: String,
        source_id: String,
        notify: Vec<String>,
    },
}

/// What live clients (WebSocket connections, on whichever node they are) are sent for an event,
/// and which accounts' connections get it.
#[derive(Debug, Clone, PartialEq)]
pub struct LivePush {
    pub accounts: Vec<String>,
    /// A JSON object with a `type`.
    pub frame: serde_json::Value,
}

/// Why a stored event could not be read.
#[derive(Debug, thiserror::Error)]
pub enum EventError {
    #[error("the payload is not JSON: {0}")]
    NotJson(serde_json::Error),
    #[error("unknown topic or a payload that does not fit it: {0}")]
    Unreadable(serde_json::Error),
}

impl Event {
    /// The topic it is stored under.
    pub fn topic(&self) -> &'static str {
        match self {
            Event::ProductChanged { .. } => "product.changed",
            Event::PriceChanged { .. } => "price.changed",
            Event::CategoriesChanged {} => "categories.changed",
            Event::CheckoutTermsChanged {} => "checkout_terms.changed",
            Event::ShopStatusChanged { .. } => "shop.status_changed",
            Event::RegistrationAttempted { .. } => "account.registration_attempted",
            Event::ChatMessagePosted { .. } => "chat.message_posted",
            Event::ChatRead { .. } => "chat.read",
            Event::NegotiationMoved { .. } => "negotiation.moved",
            Event::QuoteSubmitted { .. } => "rfq.quote_submitted",
            Event::QuoteClosed { .. } => "rfq.quote_closed",
            Event::ContractSigned { .. } => "contract.signed",
        }
    }

    /// What this event pushes to live clients, if anything. An event addressed to people (a
    /// message, a negotiation move) names its accounts and its frame here; every node's outbox
    /// follower hands the frame to the connections of those accounts it holds.
    pub fn live_push(&self) -> Option<LivePush> {
        match self {
            Event::ChatMessagePosted {
                conversation_id,
                recipients,
                message,
            } => Some(LivePush {
                accounts: recipients.clone(),
                frame: serde_json::json!({
                    "type": "message",
                    "conversation_id": conversation_id,
                    "message": message,
                }),
            }),
            Event::ChatRead {
                conversation_id,
                recipients,
                account_id,
                side,
                seq,
            } => Some(LivePush {
                accounts: recipients.clone(),
                frame: serde_json::json!({
                    "type": "read",
                    "conversation_id": conversation_id,
                    "account_id": account_id,
                    "side": side,
                    "seq": seq,
                }),
            }),
            Event::NegotiationMoved {
                negotiation_id,
                event,
                status,
                turn,
                rounds,
                notify,
            } => Some(LivePush {
                accounts: notify.clone(),
                frame: serde_json::json!({
                    "type": "negotiation",
                    "negotiation_id": negotiation_id,
                    "event": event,
                    "status": status,
                    "turn": turn,
                    "rounds": rounds,
                }),
            }),
            Event::QuoteSubmitted {
                rfq_id,
                quote_id,
                revision,
                notify,
            } => Some(LivePush {
                accounts: notify.clone(),
                frame: serde_json::json!({
                    "type": "quote_submitted",
                    "rfq_id": rfq_id,
                    "quote_id": quote_id,
                    "revision": revision,
                }),
            }),
            Event::QuoteClosed {
                rfq_id,
                quote_id,
                status,
                notify,
            } => Some(LivePush {
                accounts: notify.clone(),
                frame: serde_json::json!({
                    "type": "quote_closed",
                    "rfq_id": rfq_id,
                    "quote_id": quote_id,
                    "status": status,
                }),
            }),
            Event::ContractSigned {
                contract_id,
                order_id,
                source,
                source_id,
                notify,
            } => Some(LivePush {
                accounts: notify.clone(),
                frame: serde_json::json!({
                    "type": "contract_signed",
                    "contract_id": contract_id,
                    "order_id": order_id,
                    "source": source,
                    "source_id": source_id,
                }),
            }),
            Event::ProductChanged { .. }
            | Event::PriceChanged { .. }
            | Event::CategoriesChanged {}
            | Event::CheckoutTermsChanged {}
            | Event::ShopStatusChanged { .. }
            | Event::RegistrationAttempted { .. } => None,
        }
    }

    /// The payload it is stored with: JSON text of its fields.
    pub fn payload(&self) -> String {
        let mut tagged = serde_json::to_value(self).expect("an event serialises");
        tagged["payload"].take().to_string()
    }

    /// Reads a stored event back.
    pub fn decode(topic: &str, payload: &str) -> Result<Event, EventError> {
        let payload: serde_json::Value = serde_json::from_str(payload).map_err(EventError::NotJson)?;
        let tagged = serde_json::json!({ "topic": topic, "payload": payload });
        serde_json::from_value(tagged).map_err(EventError::Unreadable)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(e: Event) {
        assert_eq!(Event::decode(e.topic(), &e.payload()).unwrap(), e);
    }

    #[test]
    fn every_event_reads_back_what_was_written() {
        round_trip(Event::ProductChanged {
            product_id: "prod_1".into(),
        });
        round_trip(Event::ShopStatusChanged {
            shop_id: "shop_1".into(),
            from: ShopStatus::Pending,
            to: ShopStatus::Approved,
        });
        round_trip(Event::PriceChanged {
            product_id: "prod_1".into(),
            variant_id: "var_1".into(),
            currency: "EUR".into(),
            from: 1000,
            to: 900,
        });
        round_trip(Event::CategoriesChanged {});
        round_trip(Event::CheckoutTermsChanged {});
        round_trip(Event::RegistrationAttempted {
            email: "a@example.com".into(),
        });
        round_trip(chat_message());
        round_trip(Event::ChatRead {
            conversation_id: "cnv_1".into(),
            recipients: vec!["acc_1".into()],
            account_id: "acc_1".into(),
            side: Side::Seller,
            seq: 4,
        });
    }

    fn chat_message() -> Event {
        Event::ChatMessagePosted {
            conversation_id: "cnv_1".into(),
            recipients: vec!["acc_1".into(), "acc_2".into()],
            message: Box::new(Message {
                id: "msg_1".into(),
                conversation_id: "cnv_1".into(),
                seq: 3,
                sender_account_id: "acc_1".into(),
                sender_name: "Ann".into(),
                side: Side::Buyer,
                body: "Hello".into(),
                attachment: None,
                created_at: "2026-11-30T12:00:00Z".into(),
                kind: crate::conversation::MessageKind::Text,
                event: None,
            }),
        }
    }

    #[test]
    fn a_message_is_pushed_to_its_recipients_as_a_message_frame() {
        let push = chat_message().live_push().unwrap();
        assert_eq!(push.accounts, vec!["acc_1".to_owned(), "acc_2".to_owned()]);
        assert_eq!(push.frame["type"], "message");
        assert_eq!(push.frame["conversation_id"], "cnv_1");
        assert_eq!(push.frame["message"]["body"], "Hello");
        assert_eq!(push.frame["message"]["side"], "buyer");
        assert!(Event::ProductChanged { product_id: "p".into() }.live_push().is_none());
        round_trip(Event::NegotiationMoved {
            negotiation_id: "neg_1".into(),
            event: "countered".into(),
            status: NegotiationStatus::Open,
            turn: NegotiationSide::Buyer,
            rounds: 2,
            notify: vec!["acc_1".into(), "acc_2".into()],
        });
        round_trip(Event::QuoteSubmitted {
            rfq_id: "rfq_1".into(),
            quote_id: "quo_1".into(),
            revision: 1,
            notify: vec!["acc_1".into()],
        });
        round_trip(Event::QuoteClosed {
            rfq_id: "rfq_1".into(),
            quote_id: "quo_1".into(),
            status: QuoteStatus::Rejected,
            notify: vec!["acc_2".into()],
        });
        round_trip(Event::ContractSigned {
            contract_id: "ctr_1".into(),
            order_id: "ord_1".into(),
            source: "quote".into(),
            source_id: "quo_1".into(),
            notify: vec!["acc_1".into(), "acc_2".into()],
        });
    }

    #[test]
    fn the_stored_form_is_the_one_written_before_events_were_typed() {
        let e = Event::ShopStatusChanged {
            shop_id: "shop_1".into(),
            from: ShopStatus::Pending,
            to: ShopStatus::InfoRequested,
        };
        assert_eq!(e.topic(), "shop.status_changed");
        let old = r#"{"shop_id":"shop_1","from":"pending","to":"info_requested"}"#;
        assert_eq!(Event::decode("shop.status_changed", old).unwrap(), e);
        let p = Event::ProductChanged { product_id: "p".into() };
        assert_eq!(p.payload(), r#"{"product_id":"p"}"#);
    }

    #[test]
    fn a_payload_that_does_not_fit_is_an_error_not_a_default() {
        assert!(matches!(
            Event::decode("product.changed", "{}"),
            Err(EventError::Unreadable(_))
        ));
        assert!(matches!(
            Event::decode("product.changed", r#"{"product_id": 7}"#),
            Err(EventError::Unreadable(_))
        ));
        assert!(matches!(
            Event::decode("product.changed", "not json"),
            Err(EventError::NotJson(_))
        ));
        assert!(matches!(
            Event::decode("product.exploded", r#"{"product_id": "p"}"#),
            Err(EventError::Unreadable(_))
        ));
    }
}
