//! Invitations to join a company: nobody becomes a member until they accept.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::account::string_enum;

/// Where an invitation stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InvitationStatus {
    /// Waiting for the invited person.
    Pending,
    /// The invited person joined the company.
    Accepted,
    /// The invited person said no.
    Declined,
    /// A company admin took it back.
    Withdrawn,
}

string_enum!(InvitationStatus {
    Pending = "pending",
    Accepted = "accepted",
    Declined = "declined",
    Withdrawn = "withdrawn",
});

/// Something that happens to an invitation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InvitationEvent {
    Accept,
    Decline,
    Withdraw,
}

/// Why an invitation cannot move.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the invitation was already {0}")]
pub struct InvitationClosed(pub InvitationStatus);

impl InvitationStatus {
    /// Only a pending invitation moves, and only once.
    pub fn transition(self, event: InvitationEvent) -> Result<InvitationStatus, InvitationClosed> {
        match (self, event) {
            (InvitationStatus::Pending, InvitationEvent::Accept) => Ok(InvitationStatus::Accepted),
            (InvitationStatus::Pending, InvitationEvent::Decline) => Ok(InvitationStatus::Declined),
            (InvitationStatus::Pending, InvitationEvent::Withdraw) => Ok(InvitationStatus::Withdrawn),
            (closed, _) => Err(InvitationClosed(closed)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pending_invitation_closes_once_and_stays_closed() {
        use InvitationEvent::*;
        use InvitationStatus::*;
        assert_eq!(Pending.transition(Accept), Ok(Accepted));
        assert_eq!(Pending.transition(Decline), Ok(Declined));
        assert_eq!(Pending.transition(Withdraw), Ok(Withdrawn));
        for from in [Accepted, Declined, Withdrawn] {
            for event in [Accept, Decline, Withdraw] {
                assert_eq!(
                    from.transition(event),
                    Err(InvitationClosed(from)),
                    "{from} took {event:?}"
                );
            }
        }
        assert_eq!(
            Withdrawn.transition(Accept).unwrap_err().to_string(),
            "the invitation was already withdrawn"
        );
    }
}
