//! A negotiation's moves as they appear in the conversation between the buyer and the shop: what
//! an event message carries (a small structured payload) and the one line of text it reads as.
//!
//! An automatic decline under the shop's floor says only that the offer was declined; neither
//! the payload nor the text ever holds the floor.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::account::string_enum;
use crate::money::Money;
use crate::negotiation::{NegotiationAction, Side};

/// What happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventAction {
    /// The buyer opened the negotiation with an offer.
    Offered,
    Countered,
    Accepted,
    Rejected,
    Withdrawn,
    /// The offer on the table went unanswered until it expired.
    Expired,
    /// A buyer's offer was under the shop's floor and declined automatically (nothing else
    /// changed).
    Declined,
}

string_enum!(EventAction {
    Offered = "offered",
    Countered = "countered",
    Accepted = "accepted",
    Rejected = "rejected",
    Withdrawn = "withdrawn",
    Expired = "expired",
    Declined = "declined",
});

impl From<NegotiationAction> for EventAction {
    fn from(action: NegotiationAction) -> Self {
        match action {
            NegotiationAction::Counter => EventAction::Countered,
            NegotiationAction::Accept => EventAction::Accepted,
            NegotiationAction::Reject => EventAction::Rejected,
            NegotiationAction::Withdraw => EventAction::Withdrawn,
            NegotiationAction::Expire => EventAction::Expired,
        }
    }
}

/// Who made the move: one of the parties, or the platform (expiry, the floor's decline).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventBy {
    Buyer,
    Seller,
    System,
}

string_enum!(EventBy {
    Buyer = "buyer",
    Seller = "seller",
    System = "system",
});

impl From<Side> for EventBy {
    fn from(side: Side) -> Self {
        match side {
            Side::Buyer => EventBy::Buyer,
            Side::Seller => EventBy::Seller,
        }
    }
}

/// The payload of an event message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NegotiationEvent {
    /// The negotiation it belongs to; `None` for an opening offer declined under the floor
    /// (no negotiation was opened).
    pub negotiation_id: Option<String>,
    pub action: EventAction,
    pub by: EventBy,
    /// The terms on the table after the move (for an offer or counter-offer, the new ones; for
    /// an acceptance, the agreed ones); `None` for a decline under the floor.
    pub unit_price: Option<Money>,
    pub quantity: Option<i64>,
    /// The round the move made or answered (1 for the opening offer).
    pub round: Option<i64>,
    /// The contract and order an acceptance produced.
    pub contract_id: Option<String>,
    pub order_id: Option<String>,
}

/// What a declined offer under the floor reads as, for both sides: it says nothing of the floor.
pub const DECLINED_TEXT: &str = "Offer declined automatically: the seller does not accept offers at this price.";

impl NegotiationEvent {
    /// The line the event reads as in the conversation, e.g. "Offer: 12 × 8.50 EUR —
    /// counter-offer by Hanse Kaffee". `by_name` names whoever moved (the buyer's name or the
    /// shop's), unused for the platform's moves.
    pub fn summary(&self, by_name: &str) -> String {
        let terms = match (self.quantity, self.unit_price) {
            (Some(q), Some(p)) => format!("{q} × {p}"),
            _ => String::new(),
        };
        match self.action {
            EventAction::Offered => format!("Offer: {terms} — offer by {by_name}"),
            EventAction::Countered => format!("Offer: {terms} — counter-offer by {by_name}"),
            EventAction::Accepted => format!("Agreed: {terms} — accepted by {by_name}; the contract is signed"),
            EventAction::Rejected => format!("Offer of {terms} declined by {by_name}"),
            EventAction::Withdrawn => format!("Offer of {terms} withdrawn by {by_name}"),
            EventAction::Expired => format!("Offer of {terms} expired unanswered"),
            EventAction::Declined => DECLINED_TEXT.to_owned(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::money::Currency;

    fn event(action: EventAction, by: EventBy) -> NegotiationEvent {
        NegotiationEvent {
            negotiation_id: Some("neg_1".into()),
            action,
            by,
            unit_price: Some(Money::new(850, Currency::EUR)),
            quantity: Some(12),
            round: Some(2),
            contract_id: None,
            order_id: None,
        }
    }

    #[test]
    fn each_move_reads_as_one_line_naming_the_terms_and_who_moved() {
        let e = event(EventAction::Countered, EventBy::Seller);
        assert_eq!(
            e.summary("Hanse Kaffee"),
            "Offer: 12 × 8.50 EUR — counter-offer by Hanse Kaffee"
        );
        assert_eq!(
            event(EventAction::Offered, EventBy::Buyer).summary("Bea"),
            "Offer: 12 × 8.50 EUR — offer by Bea"
        );
        assert!(event(EventAction::Accepted, EventBy::Buyer)
            .summary("Bea")
            .starts_with("Agreed: 12 × 8.50 EUR"));
        assert_eq!(
            event(EventAction::Expired, EventBy::System).summary("ignored"),
            "Offer of 12 × 8.50 EUR expired unanswered"
        );
    }

    #[test]
    fn a_decline_under_the_floor_names_no_amount() {
        let declined = NegotiationEvent {
            unit_price: None,
            quantity: None,
            ..event(EventAction::Declined, EventBy::System)
        };
        let text = declined.summary("Bea");
        assert!(!text.contains(char::is_numeric), "{text}");
        let json = serde_json::to_string(&declined).unwrap();
        assert!(!json.contains("floor"), "{json}");
        assert_eq!(serde_json::from_str::<NegotiationEvent>(&json).unwrap(), declined);
    }

    #[test]
    fn negotiation_actions_map_to_event_actions() {
        for action in NegotiationAction::ALL {
            assert_eq!(EventAction::from(action).as_str(), action.event_name());
        }
    }
}
