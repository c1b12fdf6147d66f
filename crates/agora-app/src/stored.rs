//! Words and codes read back from the database. A value that does not parse was written by no
//! version of Agora: it is a failure of ours (500), never a default and never the client's fault.

use agora_core::money::Currency;

use crate::{AppError, AppResult};

/// A stored currency code.
pub(crate) fn currency(code: &str) -> AppResult<Currency> {
    Currency::parse(code).map_err(|e| AppError::Internal(anyhow::anyhow!("stored currency {code}: {e}")))
}

/// A stored word of one of the core's enums (a status, a payment method, a price mode).
pub(crate) fn word<T: std::str::FromStr<Err = String>>(what: &str, raw: &str) -> AppResult<T> {
    raw.parse()
        .map_err(|e| AppError::Internal(anyhow::anyhow!("stored {what} {raw:?}: {e}")))
}
