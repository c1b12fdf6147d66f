//! Background jobs: the kinds there are, the states a job moves through, and when a failed job
//! runs again.

use std::fmt;
use std::str::FromStr;

use crate::account::string_enum;

/// The first retry's delay.
pub const FIRST_RETRY_MS: i64 = 1_000;
/// The longest delay between two attempts.
pub const MAX_RETRY_MS: i64 = 60 * 60 * 1000;

/// When a job that failed its `attempts`th attempt (1 for the first) runs again, `None` when it
/// has had its `max_attempts`: the delay doubles from [`FIRST_RETRY_MS`] up to [`MAX_RETRY_MS`].
pub fn retry_at(now: i64, attempts: i64, max_attempts: i64) -> Option<i64> {
    if attempts >= max_attempts {
        return None;
    }
    let doublings = attempts.clamp(1, 32) - 1;
    Some(now + FIRST_RETRY_MS.saturating_mul(1 << doublings).min(MAX_RETRY_MS))
}

/// What a job does. Each kind has one handler; its payload is JSON the handler reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum JobKind {
    /// Deletes the rate-limit buckets whose window has ended (recurring).
    PruneRateLimits,
    /// Deletes finished jobs once they are old (recurring).
    PruneJobs,
    /// Cancels an order, as the system, that still waits for payment or approval when its
    /// reservation runs out, so its stock goes back on sale.
    ExpireReservation,
    /// Completes a shipped prepaid order, as the system, that its buyer did not confirm in time.
    AutoComplete,
    /// Renders one email about an order and hands it to the mailer.
    SendEmail,
    /// Emails an account the conversation messages it has not read (one job per account at a
    /// time, so messages arriving meanwhile share one email).
    ChatDigest,
    /// Expires a negotiation, as the system, whose last offer went unanswered in time.
    ExpireNegotiation,
    /// Expires a quote, as the system, whose validity ran out before the buyer accepted it.
    ExpireQuote,
    /// Hands one email about a negotiation, an RFQ or a contract (written when it was queued) to
    /// the mailer.
    DealEmail,
    /// Gives money back to a card through the payment gateway (an order paid by card was
    /// cancelled; the ledger already moved the escrow to gateway clearing). The payload is a
    /// `GatewayRefundJob`: payment id, order id, amount and a refund id to send as the provider's
    /// idempotency key.
    GatewayRefund,
    /// Delivers one callback of the built-in sandbox gateway to Agora's webhook, signed afresh at
    /// each attempt, until it is accepted (or recognised as delivered already).
    GatewayCallback,
    /// Runs a catalog import a seller started from the seller centre or the API (the payload
    /// names the `product_imports` row), writing its progress and report there.
    ImportProducts,
}

string_enum!(JobKind {
    PruneRateLimits = "prune_rate_limits",
    PruneJobs = "prune_jobs",
    ExpireReservation = "expire_reservation",
    AutoComplete = "auto_complete",
    SendEmail = "send_email",
    ChatDigest = "chat_digest",
    ExpireNegotiation = "expire_negotiation",
    ExpireQuote = "expire_quote",
    DealEmail = "deal_email",
    GatewayRefund = "gateway_refund",
    GatewayCallback = "gateway_callback",
    ImportProducts = "import_products",
});

impl JobKind {
    /// Attempts before a job of this kind is given up as dead.
    pub fn max_attempts(self) -> i64 {
        match self {
            JobKind::PruneRateLimits | JobKind::PruneJobs => 10,
            // An attempt that died part-way is safe to run again (re-importing updates by SKU).
            JobKind::ImportProducts => 5,
            JobKind::ExpireReservation | JobKind::AutoComplete | JobKind::ExpireNegotiation | JobKind::ExpireQuote => {
                10
            }
            // About a day of retries (the delay doubles up to an hour) before a message is dead.
            JobKind::SendEmail
            | JobKind::ChatDigest
            | JobKind::DealEmail
            | JobKind::GatewayRefund
            | JobKind::GatewayCallback => 30,
        }
    }

    /// For a recurring kind, the pause between one run's end and the next run.
    pub fn every_ms(self) -> Option<i64> {
        match self {
            JobKind::PruneRateLimits => Some(10 * 60 * 1000),
            JobKind::PruneJobs => Some(60 * 60 * 1000),
            JobKind::ExpireReservation
            | JobKind::AutoComplete
            | JobKind::SendEmail
            | JobKind::ChatDigest
            | JobKind::ExpireNegotiation
            | JobKind::ExpireQuote
            | JobKind::DealEmail
            | JobKind::GatewayRefund
            | JobKind::GatewayCallback
            | JobKind::ImportProducts => None,
        }
    }

    /// The key that keeps a recurring kind to one waiting or running job across every node.
    pub fn recurring_key(self) -> Option<&'static str> {
        self.every_ms().map(|_| self.as_str())
    }
}

/// Where a job is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum JobStatus {
    /// Waiting for its run time, then for a node to claim it.
    Queued,
    /// Claimed by a node, whose lease on it runs until a set time.
    Running,
    /// Finished.
    Done,
    /// Failed its every attempt; waits for an operator.
    Dead,
}

string_enum!(JobStatus {
    Queued = "queued",
    Running = "running",
    Done = "done",
    Dead = "dead",
});

/// What happens to a job.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobEvent {
    /// A node claims it: its run time has come, or the node that held it stopped renewing its lease.
    Claimed,
    Succeeded,
    /// An attempt failed; `retry` says whether another one is left (see [`retry_at`]).
    Failed {
        retry: bool,
    },
    /// An operator sends a dead job back to the queue.
    Retried,
}

/// A move the job's state does not allow.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a {from} job cannot be {event}")]
pub struct InvalidJobTransition {
    pub from: JobStatus,
    pub event: &'static str,
}

impl JobEvent {
    fn verb(self) -> &'static str {
        match self {
            JobEvent::Claimed => "claimed",
            JobEvent::Succeeded => "finished",
            JobEvent::Failed { .. } => "failed",
            JobEvent::Retried => "retried",
        }
    }
}

impl JobStatus {
    /// The status after `event`, or why the event cannot happen now.
    pub fn transition(self, event: JobEvent) -> Result<JobStatus, InvalidJobTransition> {
        use JobStatus::*;
        match (self, event) {
            // A running job is claimed again only when its lease has run out (its node is gone).
            (Queued | Running, JobEvent::Claimed) => Ok(Running),
            (Running, JobEvent::Succeeded) => Ok(Done),
            (Running, JobEvent::Failed { retry: true }) => Ok(Queued),
            (Running, JobEvent::Failed { retry: false }) => Ok(Dead),
            (Dead, JobEvent::Retried) => Ok(Queued),
            (from, event) => Err(InvalidJobTransition {
                from,
                event: event.verb(),
            }),
        }
    }

    /// Whether the job may still run (it holds its dedupe key).
    pub fn is_pending(self) -> bool {
        matches!(self, JobStatus::Queued | JobStatus::Running)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_double_up_to_the_cap_then_stop() {
        assert_eq!(retry_at(0, 1, 5), Some(1_000));
        assert_eq!(retry_at(0, 2, 5), Some(2_000));
        assert_eq!(retry_at(0, 4, 5), Some(8_000));
        assert_eq!(retry_at(0, 5, 5), None);
        assert_eq!(retry_at(0, 6, 5), None);
        assert_eq!(retry_at(100, 30, 100), Some(100 + MAX_RETRY_MS));
        assert_eq!(retry_at(0, 99, 100), Some(MAX_RETRY_MS));
    }

    #[test]
    fn a_job_moves_from_queued_to_running_to_done() {
        use JobEvent::*;
        let running = JobStatus::Queued.transition(Claimed).unwrap();
        assert_eq!(running, JobStatus::Running);
        assert_eq!(running.transition(Succeeded), Ok(JobStatus::Done));
        assert_eq!(running.transition(Failed { retry: true }), Ok(JobStatus::Queued));
        assert_eq!(running.transition(Failed { retry: false }), Ok(JobStatus::Dead));
        assert_eq!(running.transition(Claimed), Ok(JobStatus::Running));
        assert_eq!(JobStatus::Dead.transition(Retried), Ok(JobStatus::Queued));
    }

    #[test]
    fn every_other_move_is_refused() {
        use JobEvent::*;
        let events = [
            Claimed,
            Succeeded,
            Failed { retry: true },
            Failed { retry: false },
            Retried,
        ];
        let allowed = [
            (JobStatus::Queued, Claimed),
            (JobStatus::Running, Claimed),
            (JobStatus::Running, Succeeded),
            (JobStatus::Running, Failed { retry: true }),
            (JobStatus::Running, Failed { retry: false }),
            (JobStatus::Dead, Retried),
        ];
        for from in JobStatus::ALL.iter().copied() {
            for event in events {
                if !allowed.contains(&(from, event)) {
                    let err = from.transition(event).unwrap_err();
                    assert_eq!(err.from, from);
                }
            }
        }
        assert_eq!(
            JobStatus::Done.transition(Retried).unwrap_err().to_string(),
            "a done job cannot be retried"
        );
    }

    #[test]
    fn kinds_and_statuses_read_back_from_their_names() {
        for kind in JobKind::ALL {
            assert_eq!(kind.as_str().parse::<JobKind>(), Ok(*kind));
            assert!(kind.max_attempts() > 0);
        }
        for status in JobStatus::ALL {
            assert_eq!(status.as_str().parse::<JobStatus>(), Ok(*status));
        }
        assert!("sleep".parse::<JobKind>().is_err());
        assert_eq!(JobKind::PruneRateLimits.recurring_key(), Some("prune_rate_limits"));
        assert!(JobStatus::Running.is_pending() && !JobStatus::Dead.is_pending());
    }
}
