//! Stored times (Unix milliseconds) as RFC 3339 UTC strings.

use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

/// `1700000000000` → `"2023-11-14T22:13:20Z"`.
pub fn rfc3339(ms: i64) -> String {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .ok()
        .and_then(|t| t.replace_millisecond(0).ok())
        .and_then(|t| t.format(&Rfc3339).ok())
        .unwrap_or_default()
}

/// Today's date in UTC.
pub(crate) fn today() -> time::Date {
    OffsetDateTime::now_utc().date()
}

#[cfg(test)]
mod tests {
    #[test]
    fn formats_utc_seconds() {
        assert_eq!(super::rfc3339(1_700_000_000_123), "2023-11-14T22:13:20Z");
    }
}
