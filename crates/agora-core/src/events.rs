//! Outbox events: what a committed change announces to whatever reacts later (the search index,
//! the product-page cache, notifications). Stored as a topic and a JSON payload; each event is
//! one variant with typed fields, so a writer cannot misspell a topic or forget a field, and a
//! reader gets either a whole event or an error it must deal with, never empty defaults.

use serde::{Deserialize, Serialize};

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
    /// Someone tried to register with an email that already has an account (the owner may be
    /// told).
    #[serde(rename = "account.registration_attempted")]
    RegistrationAttempted { email: String },
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
            Event::ShopStatusChanged { .. } => "shop.status_changed",
            Event::RegistrationAttempted { .. } => "account.registration_attempted",
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
        round_trip(Event::RegistrationAttempted {
            email: "a@example.com".into(),
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
