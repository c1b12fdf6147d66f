//! Payments: what one is for, where it stands, and the reference a bank transfer carries.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::account::string_enum;

/// What a payment pays for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PaymentPurpose {
    /// The orders of one checkout (an order group).
    OrderGroup,
    /// Money into the payer's wallet.
    TopUp,
}

string_enum!(PaymentPurpose {
    OrderGroup = "order_group",
    TopUp = "top_up",
});

/// Where a payment stands. `pending` → `succeeded` or `failed`, once.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PaymentStatus {
    Pending,
    Succeeded,
    Failed,
}

string_enum!(PaymentStatus {
    Pending = "pending",
    Succeeded = "succeeded",
    Failed = "failed",
});

/// The letters of a bank-transfer reference: no 0/O, 1/I/L look-alikes.
const REFERENCE_ALPHABET: &[u8] = b"23456789ABCDEFGHJKMNPQRSTUVWXYZ";

/// A bank-transfer reference such as `AG-7KQ2-M9XD` from random bytes (8 letters from a 31-letter
/// alphabet: about 8.5 × 10^11 references). Easy to read out and type on a bank's form.
pub fn bank_reference(random: [u8; 8]) -> String {
    let letters: String = random
        .iter()
        .map(|b| REFERENCE_ALPHABET[usize::from(*b) % REFERENCE_ALPHABET.len()] as char)
        .collect();
    format!("AG-{}-{}", &letters[..4], &letters[4..])
}

/// A reference as a person typed it (any case, spaces or dashes anywhere), in the stored form;
/// `None` when it cannot be one.
pub fn normalize_reference(typed: &str) -> Option<String> {
    let letters: String = typed
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .collect::<String>()
        .to_uppercase();
    let body = letters.strip_prefix("AG")?;
    if body.len() != 8 || !body.bytes().all(|b| REFERENCE_ALPHABET.contains(&b)) {
        return None;
    }
    Some(format!("AG-{}-{}", &body[..4], &body[4..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_are_readable_and_read_back_however_typed() {
        let r = bank_reference([0, 1, 2, 3, 30, 31, 200, 255]);
        assert_eq!(r.len(), 12);
        assert!(r.starts_with("AG-"));
        assert_eq!(normalize_reference(&r), Some(r.clone()));
        assert_eq!(
            normalize_reference(&r.to_lowercase().replace('-', " ")),
            Some(r.clone())
        );
        assert_eq!(normalize_reference("AG-0000-0000"), None);
        assert_eq!(normalize_reference("hello"), None);
        assert_eq!(PaymentStatus::Pending.as_str(), "pending");
        assert_eq!("top_up".parse::<PaymentPurpose>(), Ok(PaymentPurpose::TopUp));
    }
}
