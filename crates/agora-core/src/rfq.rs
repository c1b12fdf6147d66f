//! Requests for quotation: a buyer asks many shops for a price, shops answer with quotes, the
//! buyer accepts one. The quote's states and the one [`transition`] that moves them, the RFQ's own
//! status, and the order of the buyer's comparison table.
//!
//! ```text
//!  submitted ──revise (its shop, before the deadline)──▶ submitted
//!  submitted ──accept (the RFQ's buyer)──▶ accepted      (every other quote ──close──▶ rejected)
//!  submitted ──withdraw (its shop)──▶ withdrawn
//!  submitted ──expire (system, valid_until passed)──▶ expired
//!  submitted ──close (the buyer cancelled the RFQ)──▶ rejected
//! ```
//!
//! An RFQ is `open` until one quote is accepted (`awarded`) or its buyer cancels it
//! (`cancelled`); see [`may_cancel`].

use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::account::string_enum;

/// Where an RFQ stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RfqStatus {
    /// Taking quotes until its deadline, and open to acceptance of one.
    Open,
    /// One quote was accepted.
    Awarded,
    /// Its buyer called it off before accepting a quote.
    Cancelled,
}

string_enum!(RfqStatus {
    Open = "open",
    Awarded = "awarded",
    Cancelled = "cancelled",
});

/// Why an RFQ cannot be cancelled.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("this request is {0} and can no longer be cancelled")]
pub struct RfqClosed(pub RfqStatus);

/// Only an open RFQ (no quote accepted yet) can be cancelled, before or after its deadline.
pub fn may_cancel(status: RfqStatus) -> Result<(), RfqClosed> {
    match status {
        RfqStatus::Open => Ok(()),
        other => Err(RfqClosed(other)),
    }
}

/// Who sees an RFQ among the sellers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Visibility {
    /// Every shop selling in the RFQ's category.
    Public,
    /// Only the invited shops.
    Invited,
}

string_enum!(Visibility {
    Public = "public",
    Invited = "invited",
});

/// Where a quote stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum QuoteStatus {
    Submitted,
    Accepted,
    Rejected,
    Withdrawn,
    Expired,
}

string_enum!(QuoteStatus {
    Submitted = "submitted",
    Accepted = "accepted",
    Rejected = "rejected",
    Withdrawn = "withdrawn",
    Expired = "expired",
});

/// Something that happens to a quote.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum QuoteAction {
    Revise,
    Accept,
    /// Another quote of the same RFQ was accepted.
    Close,
    Withdraw,
    Expire,
}

/// Who acts on a quote.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum QuoteActor {
    /// The RFQ's buyer.
    Buyer,
    /// The staff of the quoting shop.
    Seller,
    System,
}

/// A move the rules do not allow.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QuoteError {
    #[error("this quote is {0} and can no longer be changed")]
    Closed(QuoteStatus),
    #[error("the deadline for quotes has passed")]
    DeadlinePassed,
    #[error("this quote is no longer valid")]
    NoLongerValid,
    #[error("only the {0} may do this")]
    WrongParty(&'static str),
}

/// The facts a quote's move depends on besides its status (all in milliseconds).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QuoteClock {
    pub now: i64,
    pub deadline: i64,
    pub valid_until: i64,
}

/// The one place that decides how a quote moves:
///
/// | action | from | by | when | to |
/// |---|---|---|---|---|
/// | revise | submitted | seller | before the RFQ's deadline | submitted |
/// | accept | submitted | buyer | while the quote is valid (before or after the deadline) | accepted |
/// | close | submitted | system | another quote was accepted | rejected |
/// | withdraw | submitted | seller | any time | withdrawn |
/// | expire | submitted | system | valid_until passed | expired |
pub fn transition(
    from: QuoteStatus,
    action: QuoteAction,
    by: QuoteActor,
    clock: QuoteClock,
) -> Result<QuoteStatus, QuoteError> {
    use QuoteAction::*;
    if from != QuoteStatus::Submitted {
        return Err(QuoteError::Closed(from));
    }
    let (to, party, who) = match action {
        Revise => (QuoteStatus::Submitted, QuoteActor::Seller, "quoting shop"),
        Accept => (QuoteStatus::Accepted, QuoteActor::Buyer, "buyer"),
        Close => (QuoteStatus::Rejected, QuoteActor::System, "platform"),
        Withdraw => (QuoteStatus::Withdrawn, QuoteActor::Seller, "quoting shop"),
        Expire => (QuoteStatus::Expired, QuoteActor::System, "platform"),
    };
    if by != party {
        return Err(QuoteError::WrongParty(who));
    }
    match action {
        Revise if clock.now >= clock.deadline => Err(QuoteError::DeadlinePassed),
        Accept if clock.now > clock.valid_until => Err(QuoteError::NoLongerValid),
        _ => Ok(to),
    }
}

/// A new quote is accepted only before the RFQ's deadline.
pub fn may_submit(now: i64, deadline: i64, status: RfqStatus) -> Result<(), QuoteError> {
    if status != RfqStatus::Open || now >= deadline {
        return Err(QuoteError::DeadlinePassed);
    }
    Ok(())
}

/// The columns the buyer's comparison table sorts by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum QuoteSort {
    /// Cheapest total (unit price × quantity + shipping) first.
    LandedPrice,
    /// Shortest lead time first.
    LeadTime,
    /// Best-rated seller first; sellers without a rating last.
    Rating,
}

string_enum!(QuoteSort {
    LandedPrice = "landed_price",
    LeadTime = "lead_time",
    Rating = "rating",
});

/// What the comparison sorts on, for one quote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QuoteKey<'a> {
    pub landed_minor: i64,
    pub lead_time_days: i64,
    /// The seller's rating in hundredths of a star, when it has one.
    pub rating: Option<i64>,
    /// The quote's id: ties are broken by it, so the order is stable.
    pub id: &'a str,
}

/// The order of two quotes in the comparison table by `sort` (see [`QuoteSort`]).
pub fn compare(sort: QuoteSort, a: &QuoteKey<'_>, b: &QuoteKey<'_>) -> Ordering {
    let primary = match sort {
        QuoteSort::LandedPrice => a.landed_minor.cmp(&b.landed_minor),
        QuoteSort::LeadTime => a.lead_time_days.cmp(&b.lead_time_days),
        QuoteSort::Rating => match (a.rating, b.rating) {
            (Some(x), Some(y)) => y.cmp(&x),
            (Some(_), None) => Ordering::Less,
            (None, Some(_)) => Ordering::Greater,
            (None, None) => Ordering::Equal,
        },
    };
    primary.then(a.landed_minor.cmp(&b.landed_minor)).then(a.id.cmp(b.id))
}

#[cfg(test)]
mod tests {
    use super::*;

    const CLOCK: QuoteClock = QuoteClock {
        now: 100,
        deadline: 200,
        valid_until: 300,
    };

    #[test]
    fn a_quote_is_revised_before_the_deadline_and_accepted_while_valid() {
        use QuoteAction::*;
        let s = QuoteStatus::Submitted;
        assert_eq!(transition(s, Revise, QuoteActor::Seller, CLOCK), Ok(s));
        let late = QuoteClock { now: 200, ..CLOCK };
        assert_eq!(
            transition(s, Revise, QuoteActor::Seller, late),
            Err(QuoteError::DeadlinePassed)
        );
        assert_eq!(
            transition(s, Accept, QuoteActor::Buyer, late),
            Ok(QuoteStatus::Accepted)
        );
        let stale = QuoteClock { now: 301, ..CLOCK };
        assert_eq!(
            transition(s, Accept, QuoteActor::Buyer, stale),
            Err(QuoteError::NoLongerValid)
        );
        assert_eq!(
            transition(s, Accept, QuoteActor::Seller, CLOCK),
            Err(QuoteError::WrongParty("buyer"))
        );
        assert_eq!(
            transition(s, Close, QuoteActor::System, CLOCK),
            Ok(QuoteStatus::Rejected)
        );
        for closed in [
            QuoteStatus::Accepted,
            QuoteStatus::Rejected,
            QuoteStatus::Withdrawn,
            QuoteStatus::Expired,
        ] {
            assert_eq!(
                transition(closed, Revise, QuoteActor::Seller, CLOCK),
                Err(QuoteError::Closed(closed))
            );
        }
        assert_eq!(may_submit(200, 200, RfqStatus::Open), Err(QuoteError::DeadlinePassed));
        assert_eq!(may_submit(199, 200, RfqStatus::Open), Ok(()));
        assert_eq!(
            may_submit(100, 200, RfqStatus::Cancelled),
            Err(QuoteError::DeadlinePassed)
        );
    }

    #[test]
    fn a_quote_is_withdrawn_by_its_shop_and_expires_by_the_platform_only_while_submitted() {
        use QuoteAction::*;
        let s = QuoteStatus::Submitted;
        assert_eq!(
            transition(s, Withdraw, QuoteActor::Seller, CLOCK),
            Ok(QuoteStatus::Withdrawn)
        );
        assert_eq!(
            transition(s, Withdraw, QuoteActor::Buyer, CLOCK),
            Err(QuoteError::WrongParty("quoting shop"))
        );
        assert_eq!(
            transition(s, Expire, QuoteActor::System, CLOCK),
            Ok(QuoteStatus::Expired)
        );
        assert_eq!(
            transition(QuoteStatus::Withdrawn, Withdraw, QuoteActor::Seller, CLOCK),
            Err(QuoteError::Closed(QuoteStatus::Withdrawn))
        );
        assert_eq!(
            transition(QuoteStatus::Accepted, Withdraw, QuoteActor::Seller, CLOCK),
            Err(QuoteError::Closed(QuoteStatus::Accepted))
        );
    }

    #[test]
    fn only_an_open_rfq_is_cancelled() {
        assert_eq!(may_cancel(RfqStatus::Open), Ok(()));
        assert_eq!(may_cancel(RfqStatus::Awarded), Err(RfqClosed(RfqStatus::Awarded)));
        assert_eq!(may_cancel(RfqStatus::Cancelled), Err(RfqClosed(RfqStatus::Cancelled)));
    }

    #[test]
    fn sorting_by_rating_puts_unrated_sellers_last() {
        let q = |landed, lead, rating, id| QuoteKey {
            landed_minor: landed,
            lead_time_days: lead,
            rating,
            id,
        };
        let mut quotes = [
            q(300, 5, None, "a"),
            q(100, 9, Some(350), "b"),
            q(200, 1, Some(480), "c"),
        ];
        quotes.sort_by(|a, b| compare(QuoteSort::Rating, a, b));
        assert_eq!(quotes.map(|q| q.id), ["c", "b", "a"]);
        quotes.sort_by(|a, b| compare(QuoteSort::LandedPrice, a, b));
        assert_eq!(quotes.map(|q| q.id), ["b", "c", "a"]);
        quotes.sort_by(|a, b| compare(QuoteSort::LeadTime, a, b));
        assert_eq!(quotes.map(|q| q.id), ["c", "a", "b"]);
    }
}
