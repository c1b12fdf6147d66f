//! The card gateway's rules that need no IO: the `Agora-Signature` header of a callback
//! (`t=<unix seconds>,v1=<hex HMAC-SHA256 of "t.body">`), its verification in constant time and
//! its freshness, and the checks a hosted payment page makes on a test card (Luhn, brand, expiry).

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// The header a gateway callback carries its signature in.
pub const SIGNATURE_HEADER: &str = "Agora-Signature";

/// A callback older (or further in the future) than this is refused as stale.
pub const TOLERANCE_SECS: i64 = 5 * 60;

/// Why a callback's signature is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("the Agora-Signature header is missing")]
    Missing,
    #[error("the Agora-Signature header is malformed: {0}")]
    Malformed(&'static str),
    #[error("the signature does not match the body")]
    Mismatch,
    #[error("the signature's timestamp is more than five minutes away from now")]
    Stale,
}

/// A parsed `Agora-Signature` header: the timestamp and every `v1` signature it names (a sender
/// rotating its secret may send two).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignatureHeader {
    pub timestamp: i64,
    pub signatures: Vec<Vec<u8>>,
}

impl SignatureHeader {
    /// Reads `t=…,v1=…[,v1=…]`; unknown schemes (`v0=…`) are ignored, as a newer sender may add them.
    pub fn parse(header: &str) -> Result<Self, SignatureError> {
        let mut timestamp = None;
        let mut signatures = Vec::new();
        for part in header.split(',') {
            let (key, value) = part
                .trim()
                .split_once('=')
                .ok_or(SignatureError::Malformed("each part is key=value"))?;
            match key {
                "t" => {
                    if timestamp.is_some() {
                        return Err(SignatureError::Malformed("t appears twice"));
                    }
                    let t = value
                        .parse::<i64>()
                        .map_err(|_| SignatureError::Malformed("t is not a whole number of seconds"))?;
                    timestamp = Some(t);
                }
                "v1" => {
                    let sig = hex::decode(value).map_err(|_| SignatureError::Malformed("v1 is not hex"))?;
                    if sig.len() != 32 {
                        return Err(SignatureError::Malformed("v1 is not a SHA-256 HMAC"));
                    }
                    signatures.push(sig);
                }
                _ => {}
            }
        }
        let timestamp = timestamp.ok_or(SignatureError::Malformed("t is missing"))?;
        if signatures.is_empty() {
            return Err(SignatureError::Malformed("v1 is missing"));
        }
        Ok(SignatureHeader { timestamp, signatures })
    }
}

fn mac(secret: &[u8], timestamp: i64, body: &[u8]) -> Hmac<Sha256> {
    // HMAC takes keys of any length; `new_from_slice` cannot fail for it.
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC accepts any key length");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    mac
}

/// The hex HMAC-SHA256 of `"{timestamp}.{body}"` under `secret`.
pub fn sign(secret: &[u8], timestamp: i64, body: &[u8]) -> String {
    hex::encode(mac(secret, timestamp, body).finalize().into_bytes())
}

/// The whole header value for a body sent at `timestamp`.
pub fn header_value(secret: &[u8], timestamp: i64, body: &[u8]) -> String {
    format!("t={timestamp},v1={}", sign(secret, timestamp, body))
}

/// Checks a callback: the header parses, one of its `v1` signatures is the HMAC of
/// `"t.body"` (compared in constant time), and `t` is within [`TOLERANCE_SECS`] of `now_secs`.
/// The signature is checked before the time, so that a forger learns nothing from the answer.
pub fn verify(secret: &[u8], header: Option<&str>, body: &[u8], now_secs: i64) -> Result<i64, SignatureError> {
    let header = SignatureHeader::parse(header.ok_or(SignatureError::Missing)?)?;
    let expected = mac(secret, header.timestamp, body);
    let matches = header
        .signatures
        .iter()
        .any(|sig| expected.clone().verify_slice(sig).is_ok());
    if !matches {
        return Err(SignatureError::Mismatch);
    }
    if is_stale(header.timestamp, now_secs) {
        return Err(SignatureError::Stale);
    }
    Ok(header.timestamp)
}

/// Whether a timestamp is too far from now to be accepted (either way: a clock far ahead is as
/// suspect as a replay from long ago).
pub fn is_stale(timestamp: i64, now_secs: i64) -> bool {
    now_secs.saturating_sub(timestamp).saturating_abs() > TOLERANCE_SECS
}

/// What a card entered on the hosted page may be refused for.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CardError {
    #[error("enter the 12 to 19 digits of the card number")]
    NumberShape,
    #[error("this card number is not valid; check the digits")]
    Checksum,
    #[error("enter the expiry as MM/YY")]
    ExpiryShape,
    #[error("this card has expired")]
    Expired,
    #[error("enter the 3 or 4 digits of the security code")]
    Cvc,
}

/// A card as a hosted page keeps it after the checks: never the number, only what may be shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CardSummary {
    pub brand: &'static str,
    pub last4: String,
}

/// Checks a card number (spaces and dashes allowed), its expiry `MM/YY` against `(year, month)`
/// today, and its security code; returns its brand and last four digits.
pub fn check_card(number: &str, expiry: &str, cvc: &str, today: (i32, u8)) -> Result<CardSummary, CardError> {
    let digits: String = number.chars().filter(|c| !c.is_whitespace() && *c != '-').collect();
    if !(12..=19).contains(&digits.len()) || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(CardError::NumberShape);
    }
    if !luhn(&digits) {
        return Err(CardError::Checksum);
    }
    let (mm, yy) = expiry.trim().split_once('/').ok_or(CardError::ExpiryShape)?;
    let month: u8 = mm.trim().parse().map_err(|_| CardError::ExpiryShape)?;
    let year: i32 = yy.trim().parse().map_err(|_| CardError::ExpiryShape)?;
    if !(1..=12).contains(&month) || !(0..=99).contains(&year) {
        return Err(CardError::ExpiryShape);
    }
    if (2000 + year, month) < today {
        return Err(CardError::Expired);
    }
    let cvc = cvc.trim();
    if !(3..=4).contains(&cvc.len()) || !cvc.bytes().all(|b| b.is_ascii_digit()) {
        return Err(CardError::Cvc);
    }
    Ok(CardSummary {
        brand: brand(&digits),
        last4: digits[digits.len() - 4..].to_owned(),
    })
}

/// The Luhn check digit test.
pub fn luhn(digits: &str) -> bool {
    let mut sum = 0u32;
    for (i, b) in digits.bytes().rev().enumerate() {
        let mut d = u32::from(b - b'0');
        if !i.is_multiple_of(2) {
            d *= 2;
            if d > 9 {
                d -= 9;
            }
        }
        sum += d;
    }
    sum.is_multiple_of(10)
}

/// The card network of a number, from its first digits.
pub fn brand(digits: &str) -> &'static str {
    let two: u32 = digits.get(..2).and_then(|d| d.parse().ok()).unwrap_or(0);
    let four: u32 = digits.get(..4).and_then(|d| d.parse().ok()).unwrap_or(0);
    match () {
        _ if digits.starts_with('4') => "visa",
        _ if (51..=55).contains(&two) || (2221..=2720).contains(&four) => "mastercard",
        _ if two == 34 || two == 37 => "amex",
        _ => "card",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &[u8] = b"whsec_test";
    const BODY: &[u8] = br#"{"id":"evt_1","type":"payment.succeeded"}"#;

    #[test]
    fn a_signed_body_verifies_and_returns_its_timestamp() {
        let header = header_value(SECRET, 1_700_000_000, BODY);
        assert_eq!(verify(SECRET, Some(&header), BODY, 1_700_000_010), Ok(1_700_000_000));
    }

    #[test]
    fn a_changed_body_a_changed_timestamp_or_another_secret_is_a_mismatch() {
        let header = header_value(SECRET, 1_700_000_000, BODY);
        let other_body = br#"{"id":"evt_1","type":"payment.failed"}"#;
        assert_eq!(
            verify(SECRET, Some(&header), other_body, 1_700_000_000),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify(b"another", Some(&header), BODY, 1_700_000_000),
            Err(SignatureError::Mismatch)
        );
        let moved = header.replace("t=1700000000", "t=1700000001");
        assert_eq!(
            verify(SECRET, Some(&moved), BODY, 1_700_000_000),
            Err(SignatureError::Mismatch)
        );
    }

    #[test]
    fn stale_and_future_timestamps_are_refused_beyond_five_minutes() {
        let t = 1_700_000_000;
        let header = header_value(SECRET, t, BODY);
        assert!(verify(SECRET, Some(&header), BODY, t + 300).is_ok());
        assert_eq!(verify(SECRET, Some(&header), BODY, t + 301), Err(SignatureError::Stale));
        assert!(verify(SECRET, Some(&header), BODY, t - 300).is_ok());
        assert_eq!(verify(SECRET, Some(&header), BODY, t - 301), Err(SignatureError::Stale));
        assert!(is_stale(i64::MIN, i64::MAX));
    }

    #[test]
    fn a_stale_forgery_is_told_mismatch_not_stale() {
        let header = format!("t=1,v1={}", "00".repeat(32));
        assert_eq!(
            verify(SECRET, Some(&header), BODY, 1_700_000_000),
            Err(SignatureError::Mismatch)
        );
    }

    #[test]
    fn malformed_headers_are_named() {
        assert_eq!(verify(SECRET, None, BODY, 0), Err(SignatureError::Missing));
        for bad in [
            "",
            "t=1",
            "v1=00",
            "t=x,v1=00",
            "t=1,v1=zz",
            "t=1,v1=0011",
            "t=1,t=2,v1=00",
            "nonsense",
        ] {
            assert!(
                matches!(SignatureHeader::parse(bad), Err(SignatureError::Malformed(_))),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn a_second_signature_and_unknown_schemes_are_accepted() {
        let t = 1_700_000_000;
        let good = sign(SECRET, t, BODY);
        let header = format!("t={t},v0=abc,v1={},v1={good}", "11".repeat(32));
        assert_eq!(verify(SECRET, Some(&header), BODY, t), Ok(t));
    }

    #[test]
    fn test_cards_are_checked_and_summarised() {
        let today = (2026, 11);
        let visa = check_card("4242 4242 4242 4242", "12/30", "123", today).unwrap();
        assert_eq!(
            visa,
            CardSummary {
                brand: "visa",
                last4: "4242".into()
            }
        );
        assert_eq!(
            check_card("5555-5555-5555-4444", "11/26", "1234", today).unwrap().brand,
            "mastercard"
        );
        assert_eq!(
            check_card("4242 4242 4242 4241", "12/30", "123", today),
            Err(CardError::Checksum)
        );
        assert_eq!(check_card("4242", "12/30", "123", today), Err(CardError::NumberShape));
        assert_eq!(
            check_card("4242424242424242", "10/26", "123", today),
            Err(CardError::Expired)
        );
        assert_eq!(
            check_card("4242424242424242", "13/30", "123", today),
            Err(CardError::ExpiryShape)
        );
        assert_eq!(
            check_card("4242424242424242", "12/30", "12", today),
            Err(CardError::Cvc)
        );
    }
}
