//! When a session's (or bearer token's) use is written down. A session ends after it has been
//! idle for the idle limit, which is measured from its recorded last use; recording every request
//! would put a write on every page view, so a use is recorded only once the recorded one is older
//! than [`touch_interval`]. Rights are never part of this: they are read afresh on every request.

/// How stale the recorded last use may grow before a request records a new one: five minutes,
/// or a tenth of the idle limit when that is shorter, so that a session in use never reaches the
/// limit between two recordings.
pub fn touch_interval(idle_ms: i64) -> i64 {
    const AT_MOST: i64 = 5 * 60 * 1000;
    (idle_ms / 10).clamp(0, AT_MOST)
}

/// Whether a request at `now` records its use, given the recorded `last_used_at`.
pub fn touch_due(last_used_at: i64, now: i64, idle_ms: i64) -> bool {
    now.saturating_sub(last_used_at) >= touch_interval(idle_ms)
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINUTE: i64 = 60 * 1000;
    const WEEK: i64 = 7 * 24 * 60 * MINUTE;

    #[test]
    fn a_recent_use_is_not_written_again() {
        assert!(!touch_due(1_000, 1_000, WEEK));
        assert!(!touch_due(1_000, 1_000 + 5 * MINUTE - 1, WEEK));
        assert!(touch_due(1_000, 1_000 + 5 * MINUTE, WEEK));
    }

    #[test]
    fn a_short_idle_limit_is_recorded_often_enough_to_hold() {
        // An idle limit of ten minutes: recorded every minute, so a session in use stays alive.
        assert_eq!(touch_interval(10 * MINUTE), MINUTE);
        assert!(touch_due(0, MINUTE, 10 * MINUTE));
        assert_eq!(touch_interval(0), 0);
        assert!(touch_due(5, 5, 0));
    }
}
