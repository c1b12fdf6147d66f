//! Offers and counter-offers on a listing: where a negotiation stands, whose turn it is, and the
//! one [`transition`] that moves it.
//!
//! ```text
//!  buyer offers ──▶ open (turn: seller) ──counter──▶ open (turn: buyer) ──counter──▶ …
//!        open ──accept (party whose turn it is)──▶ accepted
//!        open ──reject (party whose turn it is)──▶ rejected
//!        open ──withdraw (party who made the last offer)──▶ withdrawn
//!        open ──expire (system, the last offer went unanswered)──▶ expired
//! ```

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::account::string_enum;
use crate::money::Money;

/// Where a negotiation stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NegotiationStatus {
    Open,
    Accepted,
    Rejected,
    Withdrawn,
    Expired,
}

string_enum!(NegotiationStatus {
    Open = "open",
    Accepted = "accepted",
    Rejected = "rejected",
    Withdrawn = "withdrawn",
    Expired = "expired",
});

impl NegotiationStatus {
    pub fn is_open(self) -> bool {
        self == NegotiationStatus::Open
    }
}

/// A side of a negotiation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
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

/// Who moves a negotiation: one of its sides, or the platform (expiry).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Mover {
    Party(Side),
    System,
}

/// Something that happens to a negotiation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NegotiationAction {
    Counter,
    Accept,
    Reject,
    Withdraw,
    Expire,
}

impl NegotiationAction {
    pub const ALL: [NegotiationAction; 5] = [
        NegotiationAction::Counter,
        NegotiationAction::Accept,
        NegotiationAction::Reject,
        NegotiationAction::Withdraw,
        NegotiationAction::Expire,
    ];

    /// The word recorded for it on the negotiation's events.
    pub fn event_name(self) -> &'static str {
        match self {
            NegotiationAction::Counter => "countered",
            NegotiationAction::Accept => "accepted",
            NegotiationAction::Reject => "rejected",
            NegotiationAction::Withdraw => "withdrawn",
            NegotiationAction::Expire => "expired",
        }
    }
}

impl fmt::Display for NegotiationAction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            NegotiationAction::Counter => "countered",
            NegotiationAction::Accept => "accepted",
            NegotiationAction::Reject => "rejected",
            NegotiationAction::Withdraw => "withdrawn",
            NegotiationAction::Expire => "expired",
        })
    }
}

/// What the state machine needs of a negotiation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct NegotiationState {
    pub status: NegotiationStatus,
    /// The side expected to answer the last offer.
    pub turn: Side,
}

/// A move the rules do not allow (each is a 409 with its own problem type).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NegotiationError {
    #[error("this negotiation is {0} and can no longer be changed")]
    Closed(NegotiationStatus),
    #[error("it is the {turn}'s turn: the {mover} cannot have it {action} now")]
    OutOfTurn {
        turn: Side,
        mover: Side,
        action: NegotiationAction,
    },
    #[error("only the platform lets an offer expire")]
    NotSystem,
}

/// The one place that decides how a negotiation moves:
///
/// | action | from | by | to |
/// |---|---|---|---|
/// | counter | open | the side whose turn it is | open, the other side's turn |
/// | accept | open | the side whose turn it is | accepted |
/// | reject | open | the side whose turn it is | rejected |
/// | withdraw | open | the side that made the last offer | withdrawn |
/// | expire | open | the system | expired |
///
/// A closed negotiation refuses everything ([`NegotiationError::Closed`]); a party moving out of
/// turn gets [`NegotiationError::OutOfTurn`] (accepting one's own offer is out of turn too).
pub fn transition(
    from: NegotiationState,
    action: NegotiationAction,
    by: Mover,
) -> Result<NegotiationState, NegotiationError> {
    use NegotiationAction::*;
    if !from.status.is_open() {
        return Err(NegotiationError::Closed(from.status));
    }
    let side = match (action, by) {
        (Expire, Mover::System) => {
            return Ok(NegotiationState {
                status: NegotiationStatus::Expired,
                turn: from.turn,
            })
        }
        (_, Mover::System) | (Expire, Mover::Party(_)) => return Err(NegotiationError::NotSystem),
        (_, Mover::Party(side)) => side,
    };
    let allowed = match action {
        Withdraw => side != from.turn,
        _ => side == from.turn,
    };
    if !allowed {
        return Err(NegotiationError::OutOfTurn {
            turn: from.turn,
            mover: side,
            action,
        });
    }
    let (status, turn) = match action {
        Counter => (NegotiationStatus::Open, from.turn.other()),
        Accept => (NegotiationStatus::Accepted, from.turn),
        Reject => (NegotiationStatus::Rejected, from.turn),
        Withdraw => (NegotiationStatus::Withdrawn, from.turn),
        Expire => unreachable!("handled above"),
    };
    Ok(NegotiationState { status, turn })
}

/// The state of a negotiation the buyer just opened: the seller answers.
pub const OPENED: NegotiationState = NegotiationState {
    status: NegotiationStatus::Open,
    turn: Side::Seller,
};

/// Whether a buyer's offer of `unit_price` clears the shop's floor. The floor is never shown: a
/// refused offer gets [`BELOW_FLOOR_MESSAGE`], the same whatever the distance to the floor. An
/// offer in another currency than the floor never clears it.
pub fn clears_floor(unit_price: Money, floor: Option<Money>) -> bool {
    match floor {
        None => true,
        Some(floor) => unit_price.currency == floor.currency && unit_price.minor >= floor.minor,
    }
}

/// What a buyer whose offer is under the floor is told.
pub const BELOW_FLOOR_MESSAGE: &str = "the seller does not accept offers at this price; try a higher one";

/// How long an offer waits for an answer before it expires, by default: three days.
pub const DEFAULT_OFFER_TTL_MS: i64 = 3 * 24 * 60 * 60 * 1000;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::money::Currency;
    use NegotiationAction::*;

    fn open(turn: Side) -> NegotiationState {
        NegotiationState {
            status: NegotiationStatus::Open,
            turn,
        }
    }

    #[test]
    fn parties_alternate_until_one_accepts() {
        let s = transition(OPENED, Counter, Mover::Party(Side::Seller)).unwrap();
        assert_eq!(s, open(Side::Buyer));
        let s = transition(s, Counter, Mover::Party(Side::Buyer)).unwrap();
        assert_eq!(s, open(Side::Seller));
        let s = transition(s, Accept, Mover::Party(Side::Seller)).unwrap();
        assert_eq!(s.status, NegotiationStatus::Accepted);
    }

    #[test]
    fn moving_out_of_turn_is_refused_and_withdrawing_is_for_the_waiting_side() {
        for action in [Counter, Accept, Reject] {
            assert!(matches!(
                transition(OPENED, action, Mover::Party(Side::Buyer)),
                Err(NegotiationError::OutOfTurn { .. })
            ));
        }
        assert!(matches!(
            transition(OPENED, Withdraw, Mover::Party(Side::Seller)),
            Err(NegotiationError::OutOfTurn { .. })
        ));
        assert_eq!(
            transition(OPENED, Withdraw, Mover::Party(Side::Buyer)).unwrap().status,
            NegotiationStatus::Withdrawn
        );
        assert_eq!(
            transition(OPENED, Reject, Mover::Party(Side::Seller)).unwrap().status,
            NegotiationStatus::Rejected
        );
    }

    #[test]
    fn a_closed_negotiation_refuses_every_move_and_only_the_system_expires() {
        for status in NegotiationStatus::ALL.iter().copied().filter(|s| !s.is_open()) {
            for action in NegotiationAction::ALL {
                for by in [Mover::Party(Side::Buyer), Mover::Party(Side::Seller), Mover::System] {
                    let from = NegotiationState {
                        status,
                        turn: Side::Buyer,
                    };
                    assert_eq!(transition(from, action, by), Err(NegotiationError::Closed(status)));
                }
            }
        }
        assert_eq!(
            transition(OPENED, Expire, Mover::System).unwrap().status,
            NegotiationStatus::Expired
        );
        assert_eq!(
            transition(OPENED, Expire, Mover::Party(Side::Seller)),
            Err(NegotiationError::NotSystem)
        );
        assert_eq!(
            transition(OPENED, Accept, Mover::System),
            Err(NegotiationError::NotSystem)
        );
    }

    #[test]
    fn the_floor_refuses_lower_offers_and_other_currencies() {
        let eur = |m| Money::new(m, Currency::EUR);
        assert!(clears_floor(eur(100), None));
        assert!(clears_floor(eur(100), Some(eur(100))));
        assert!(!clears_floor(eur(99), Some(eur(100))));
        assert!(!BELOW_FLOOR_MESSAGE.contains(char::is_numeric));
    }
}
