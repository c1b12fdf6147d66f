-- Rate limits for signing in and registering: one row per bucket (an address, an account and
-- address, an account), counting hits in a fixed window. Replaces the log of failed logins, which
-- was counted before the password was checked and so let concurrent guesses through.
CREATE TABLE rate_limits (
    bucket TEXT PRIMARY KEY,
    window_start BIGINT NOT NULL,
    hits BIGINT NOT NULL
);

DROP TABLE login_failures;
