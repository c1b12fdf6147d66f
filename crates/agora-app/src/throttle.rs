//! Rate limits for logging in and registering. An address gets 429 after too many failed logins
//! for one account, or for any accounts; an account's failures from every address only slow its
//! logins down, so nobody can lock its owner out from elsewhere (NIST SP 800-63B, 5.2.2).
//!
//! A login attempt is claimed in the database *before* its password is checked, and given back
//! when the password was right: concurrent guesses can never check more passwords than the limit.

use std::time::Duration;

use agora_store::rate_limits::{self, Claim};
use agora_store::Conn;

use crate::{App, AppError, AppResult};

/// The longest an account's failures make a login wait.
const MAX_DELAY: Duration = Duration::from_secs(10);
/// The wait after the first failure beyond the slow-down threshold; it doubles with each one.
const FIRST_DELAY: Duration = Duration::from_millis(250);

/// A login attempt that holds its place in the address's limits until it is settled.
#[derive(Debug)]
pub(crate) struct LoginAttempt {
    account_and_client: String,
    client: String,
    account: String,
    /// Which attempt of its window this is for the account and address.
    nth: i64,
    /// The account's failures (from every address) in the window.
    account_failures: i64,
}

fn refused(retry_after_ms: i64) -> AppError {
    AppError::RateLimited {
        retry_after_s: u64::try_from((retry_after_ms + 999) / 1000).unwrap_or(1).max(1),
    }
}

/// Claims a login attempt for `email` from `client`, or refuses it with 429.
pub(crate) async fn claim_login(app: &App, email: &str, client: &str, now: i64) -> AppResult<LoginAttempt> {
    let s = &app.settings;
    let attempt = LoginAttempt {
        account_and_client: format!("login:{client}:{email}"),
        client: format!("login:{client}"),
        account: format!("login-account:{email}"),
        nth: 0,
        account_failures: 0,
    };
    // One transaction: when the second limit refuses, the first claim is rolled back.
    let mut tx = app.db.begin().await?;
    tx.leaves_storefront_alone();
    let nth = match rate_limits::claim(
        &mut tx,
        &attempt.account_and_client,
        s.login_failures_per_account_and_client,
        s.login_window_ms,
        now,
    )
    .await?
    {
        Claim::Granted(nth) => nth,
        Claim::Refused { retry_after_ms } => return Err(refused(retry_after_ms)),
    };
    if let Claim::Refused { retry_after_ms } = rate_limits::claim(
        &mut tx,
        &attempt.client,
        s.login_failures_per_client,
        s.login_window_ms,
        now,
    )
    .await?
    {
        return Err(refused(retry_after_ms));
    }
    let account_failures = rate_limits::hits(&mut tx, &attempt.account, s.login_window_ms, now).await?;
    tx.commit().await?;
    Ok(LoginAttempt {
        nth,
        account_failures,
        ..attempt
    })
}

/// How long a login waits, given the account's failures from every address.
fn slowdown(failures: i64, after: i64) -> Duration {
    let beyond = failures.saturating_sub(after);
    if beyond < 0 {
        return Duration::ZERO;
    }
    let doublings = u32::try_from(beyond).unwrap_or(u32::MAX).min(16);
    (FIRST_DELAY * 2u32.pow(doublings)).min(MAX_DELAY)
}

impl LoginAttempt {
    /// The wait before the password is checked.
    pub(crate) fn delay(&self, app: &App) -> Duration {
        slowdown(self.account_failures, app.settings.login_slowdown_after)
    }

    /// Whether this attempt used the last place the account and address had.
    pub(crate) fn was_last_allowed(&self, app: &App) -> bool {
        self.nth == app.settings.login_failures_per_account_and_client
    }

    /// The password was wrong: the attempt keeps its place, and the account's failures grow.
    pub(crate) async fn failed(&self, conn: &mut Conn, app: &App, now: i64) -> AppResult<()> {
        rate_limits::claim(conn, &self.account, i64::MAX, app.settings.login_window_ms, now).await?;
        Ok(())
    }

    /// The password was right: the attempt counts against nobody, and the account's failures are
    /// forgotten.
    pub(crate) async fn succeeded(&self, conn: &mut Conn) -> AppResult<()> {
        self.give_back(conn).await?;
        rate_limits::clear(conn, &self.account).await?;
        Ok(())
    }

    /// The password was never checked (the server was busy): the attempt counts against nobody.
    pub(crate) async fn give_back(&self, conn: &mut Conn) -> AppResult<()> {
        rate_limits::give_back(conn, &self.account_and_client).await?;
        rate_limits::give_back(conn, &self.client).await?;
        Ok(())
    }
}

/// Claims a registration from `client`, or refuses it with 429. Returns the bucket, for giving the
/// claim back when the registration was not made.
pub(crate) async fn claim_registration(app: &App, client: &str, now: i64) -> AppResult<String> {
    let bucket = format!("register:{client}");
    let s = &app.settings;
    let mut conn = app.db.conn().await?;
    match rate_limits::claim(&mut conn, &bucket, s.registrations_per_client, s.login_window_ms, now).await? {
        Claim::Granted(_) => Ok(bucket),
        Claim::Refused { retry_after_ms } => Err(refused(retry_after_ms)),
    }
}

/// Gives back a registration claim (the input was invalid, so nothing was hashed or stored).
pub(crate) async fn give_back_registration(app: &App, bucket: &str) -> AppResult<()> {
    let mut conn = app.db.conn().await?;
    rate_limits::give_back(&mut conn, bucket).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn logins_slow_down_from_the_threshold_and_never_wait_past_the_cap() {
        assert_eq!(slowdown(0, 5), Duration::ZERO);
        assert_eq!(slowdown(4, 5), Duration::ZERO);
        assert_eq!(slowdown(5, 5), Duration::from_millis(250));
        assert_eq!(slowdown(6, 5), Duration::from_millis(500));
        assert_eq!(slowdown(8, 5), Duration::from_secs(2));
        assert_eq!(slowdown(100, 5), MAX_DELAY);
        assert_eq!(slowdown(i64::MAX, 0), MAX_DELAY);
    }
}
