//! Conversations between a buyer and a shop: who takes part (decided by current roles, never by a
//! list stored when the conversation opened), what a message may hold, which attachments are
//! accepted, and the shop's median first-response time.
//!
//! Who takes part:
//! - the buyer side of a conversation opened by a person is that person; of one opened by a
//!   company member, the company's current admins and purchasers (the conversation belongs to
//!   the company: the member who opened it loses it when removed or moved to sales or finance);
//! - the seller side is whoever runs the shop now (see [`crate::shop::may_run`]): the owner of a
//!   personal shop, the admins and sales members of a company's shop.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::account::{string_enum, CompanyRole};
use crate::negotiation_event::NegotiationEvent;
use crate::text;

/// Which side of a conversation someone is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Side {
    Buyer,
    Seller,
}

string_enum!(Side {
    Buyer = "buyer",
    Seller = "seller",
});

impl Side {
    pub fn other(self) -> Side {
        match self {
            Side::Buyer => Side::Seller,
            Side::Seller => Side::Buyer,
        }
    }
}

/// The longest message body, in characters.
pub const MAX_BODY_CHARS: usize = 4000;
/// The longest subject, in characters.
pub const MAX_SUBJECT_CHARS: usize = 200;
/// The largest attachment, in bytes.
pub const MAX_ATTACHMENT_BYTES: usize = 5 * 1024 * 1024;
/// The longest attachment file name kept, in characters.
const MAX_FILENAME_CHARS: usize = 120;

/// Whether a company member with `role` speaks for the company as a buyer: admins and purchasers.
pub fn speaks_for_buyer(role: CompanyRole) -> bool {
    matches!(role, CompanyRole::Admin | CompanyRole::Purchaser)
}

/// Whether a company member with `role` answers for the company's shop: admins and sales members
/// (the same rule as running the shop).
pub fn answers_for_shop(role: CompanyRole) -> bool {
    role.may_run_shop()
}

/// The two parties of a conversation, as stored.
#[derive(Debug, Clone, Copy)]
pub struct Parties<'a> {
    /// The account that opened it.
    pub buyer_account_id: &'a str,
    /// Set when it was opened for a company: the company's buyers take part, not the opener.
    pub buyer_company_id: Option<&'a str>,
    pub shop_owner_account_id: &'a str,
    pub shop_company_id: Option<&'a str>,
}

/// Someone asking, with their company and role as they are now.
#[derive(Debug, Clone, Copy)]
pub struct Member<'a> {
    pub account_id: &'a str,
    pub company: Option<(&'a str, CompanyRole)>,
}

/// The side `member` takes part on, `None` when the conversation is not theirs.
pub fn side_of(member: Member<'_>, parties: Parties<'_>) -> Option<Side> {
    let buyer = match parties.buyer_company_id {
        Some(company) => member
            .company
            .is_some_and(|(id, role)| id == company && speaks_for_buyer(role)),
        None => member.account_id == parties.buyer_account_id,
    };
    if buyer {
        return Some(Side::Buyer);
    }
    let seller = crate::shop::may_run(
        member.account_id,
        member.company,
        parties.shop_owner_account_id,
        parties.shop_company_id,
    );
    seller.then_some(Side::Seller)
}

/// Why someone may not open a conversation with a shop.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OpenRefusal {
    #[error("only the company's admins and purchasers talk to sellers on its behalf")]
    NotABuyerOfTheCompany,
    #[error("this is your own shop")]
    OwnShop,
}

/// The company a new conversation belongs to (`None`: the opener's own), or why `member` may not
/// open one with a shop run by `shop_owner_account_id` / `shop_company_id`.
pub fn buyer_company_for(
    member: Member<'_>,
    shop_owner_account_id: &str,
    shop_company_id: Option<&str>,
) -> Result<Option<String>, OpenRefusal> {
    let own_shop = match shop_company_id {
        Some(company) => member.company.is_some_and(|(id, _)| id == company),
        None => shop_owner_account_id == member.account_id,
    };
    if own_shop {
        return Err(OpenRefusal::OwnShop);
    }
    match member.company {
        None => Ok(None),
        Some((company, role)) if speaks_for_buyer(role) => Ok(Some(company.to_owned())),
        Some(_) => Err(OpenRefusal::NotABuyerOfTheCompany),
    }
}

/// A subject: one line, 1 to [`MAX_SUBJECT_CHARS`] characters.
pub fn parse_subject(raw: &str) -> Result<String, String> {
    text::bounded(raw, 1, MAX_SUBJECT_CHARS, false)
}

/// A message body: up to [`MAX_BODY_CHARS`] characters on several lines; it may be empty only
/// when a file is attached.
pub fn parse_body(raw: &str, has_attachment: bool) -> Result<String, String> {
    let min = if has_attachment { 0 } else { 1 };
    text::bounded(raw, min, MAX_BODY_CHARS, true)
}

/// The attachment types accepted, recognised by their first bytes rather than by what the client
/// says: PDF, PNG, JPEG, GIF and WebP.
pub fn sniff_attachment(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(b"%PDF-") {
        Some("application/pdf")
    } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else if bytes.starts_with(b"\xFF\xD8\xFF") {
        Some("image/jpeg")
    } else if bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a") {
        Some("image/gif")
    } else if bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        Some("image/webp")
    } else {
        None
    }
}

/// An attachment's file name as kept: its last path component, without quotes, control or
/// bidirectional characters, at most [`MAX_FILENAME_CHARS`] characters; "attachment" when
/// nothing is left.
pub fn attachment_name(raw: &str) -> String {
    let last = raw.rsplit(['/', '\\']).next().unwrap_or_default();
    let cleaned: String = last
        .chars()
        .filter(|c| !c.is_control() && !matches!(c, '"' | '\'' | ';') && !text::is_invisible(*c) || *c == ' ')
        .take(MAX_FILENAME_CHARS)
        .collect();
    let cleaned = cleaned.trim();
    if cleaned.is_empty() || cleaned.chars().all(|c| c == '.') {
        "attachment".to_owned()
    } else {
        cleaned.to_owned()
    }
}

/// The median of `values` (the mean of the two middle ones, rounded down, for an even count);
/// `None` for none.
pub fn median(mut values: Vec<i64>) -> Option<i64> {
    if values.is_empty() {
        return None;
    }
    values.sort_unstable();
    let mid = values.len() / 2;
    Some(if values.len() % 2 == 1 {
        values[mid]
    } else {
        values[mid - 1] + (values[mid] - values[mid - 1]) / 2
    })
}

/// A file attached to a message, as participants see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attachment {
    pub filename: String,
    pub content_type: String,
    pub size_bytes: i64,
    /// Where participants download it (the API's address; pages have their own).
    pub url: String,
}

/// What a message is: text someone wrote, or an event of a negotiation between the parties.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MessageKind {
    #[default]
    Text,
    Event,
}

string_enum!(MessageKind {
    Text = "text",
    Event = "event",
});

/// One message as the API returns it and the WebSocket pushes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Message {
    pub id: String,
    pub conversation_id: String,
    /// Its place in the conversation: 1 for the first message, then one more for each.
    pub seq: i64,
    pub sender_account_id: String,
    pub sender_name: String,
    pub side: Side,
    pub body: String,
    pub attachment: Option<Attachment>,
    /// RFC 3339.
    pub created_at: String,
    /// `text` (absent from events written before kinds existed) or `event`.
    #[serde(default)]
    pub kind: MessageKind,
    /// What an `event` message is about; its `body` is the same in words.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event: Option<NegotiationEvent>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parties<'a>(buyer_company: Option<&'a str>, shop_company: Option<&'a str>) -> Parties<'a> {
        Parties {
            buyer_account_id: "acc_buyer",
            buyer_company_id: buyer_company,
            shop_owner_account_id: "acc_owner",
            shop_company_id: shop_company,
        }
    }

    fn member<'a>(id: &'a str, company: Option<(&'a str, CompanyRole)>) -> Member<'a> {
        Member {
            account_id: id,
            company,
        }
    }

    #[test]
    fn a_personal_conversation_is_its_buyers_and_the_shop_owners() {
        let p = parties(None, None);
        assert_eq!(side_of(member("acc_buyer", None), p), Some(Side::Buyer));
        assert_eq!(side_of(member("acc_owner", None), p), Some(Side::Seller));
        assert_eq!(side_of(member("acc_other", None), p), None);
    }

    #[test]
    fn a_company_conversation_follows_the_members_current_roles() {
        use CompanyRole::*;
        let p = parties(Some("com_b"), Some("com_s"));
        assert_eq!(
            side_of(member("acc_x", Some(("com_b", Purchaser))), p),
            Some(Side::Buyer)
        );
        assert_eq!(side_of(member("acc_x", Some(("com_b", Admin))), p), Some(Side::Buyer));
        assert_eq!(side_of(member("acc_x", Some(("com_b", Finance))), p), None);
        assert_eq!(side_of(member("acc_x", Some(("com_b", Sales))), p), None);
        // The opener, removed from the company, no longer takes part.
        assert_eq!(side_of(member("acc_buyer", None), p), None);
        assert_eq!(side_of(member("acc_y", Some(("com_s", Sales))), p), Some(Side::Seller));
        assert_eq!(side_of(member("acc_y", Some(("com_s", Admin))), p), Some(Side::Seller));
        assert_eq!(side_of(member("acc_y", Some(("com_s", Purchaser))), p), None);
        assert_eq!(side_of(member("acc_owner", None), p), None);
    }

    #[test]
    fn nobody_opens_a_conversation_with_their_own_shop() {
        use CompanyRole::*;
        assert_eq!(
            buyer_company_for(member("acc_owner", None), "acc_owner", None),
            Err(OpenRefusal::OwnShop)
        );
        assert_eq!(
            buyer_company_for(member("acc_x", Some(("com_s", Purchaser))), "acc_o", Some("com_s")),
            Err(OpenRefusal::OwnShop)
        );
        assert_eq!(buyer_company_for(member("acc_x", None), "acc_o", None), Ok(None));
        assert_eq!(
            buyer_company_for(member("acc_x", Some(("com_b", Purchaser))), "acc_o", None),
            Ok(Some("com_b".into()))
        );
        assert_eq!(
            buyer_company_for(member("acc_x", Some(("com_b", Finance))), "acc_o", None),
            Err(OpenRefusal::NotABuyerOfTheCompany)
        );
    }

    #[test]
    fn bodies_are_bounded_and_may_be_empty_only_beside_a_file() {
        assert!(parse_body("", false).is_err());
        assert!(parse_body("  ", false).is_err());
        assert_eq!(parse_body("", true).unwrap(), "");
        assert_eq!(parse_body(" hi\nthere ", false).unwrap(), "hi\nthere");
        assert!(parse_body(&"x".repeat(MAX_BODY_CHARS), false).is_ok());
        assert!(parse_body(&"x".repeat(MAX_BODY_CHARS + 1), false).is_err());
        assert!(parse_body("a\u{7}b", false).is_err());
    }

    #[test]
    fn attachments_are_known_by_their_content() {
        assert_eq!(sniff_attachment(b"%PDF-1.7 ..."), Some("application/pdf"));
        assert_eq!(sniff_attachment(b"\x89PNG\r\n\x1a\n...."), Some("image/png"));
        assert_eq!(sniff_attachment(b"RIFF\0\0\0\0WEBPVP8 "), Some("image/webp"));
        assert_eq!(sniff_attachment(b"<html><script>"), None);
        assert_eq!(sniff_attachment(b"MZ\x90\0"), None);
    }

    #[test]
    fn attachment_names_lose_paths_and_tricks() {
        assert_eq!(attachment_name("../../etc/passwd"), "passwd");
        assert_eq!(attachment_name("C:\\x\\spec sheet.pdf"), "spec sheet.pdf");
        assert_eq!(attachment_name("a\"b;\u{202E}fdp.exe"), "abfdp.exe");
        assert_eq!(attachment_name(".."), "attachment");
        assert_eq!(attachment_name(""), "attachment");
    }

    #[test]
    fn the_median_is_the_middle_value() {
        assert_eq!(median(vec![]), None);
        assert_eq!(median(vec![5]), Some(5));
        assert_eq!(median(vec![9, 1, 5]), Some(5));
        assert_eq!(median(vec![1, 2, 3, 10]), Some(2));
        assert_eq!(median(vec![i64::MAX, i64::MAX]), Some(i64::MAX));
    }
}
