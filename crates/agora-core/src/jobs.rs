//! When a failed job runs again.

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
}
