//! The platform's fee on an order: ONE function, [`fee_for`], that every escrow release asks.
//! Today it applies the default rate of [`crate::Settings::platform_fee_bp`] to the order's total;
//! per-category and per-shop commission rates belong here too, and nowhere else.

use agora_core::money::Money;
use agora_core::rate::BasisPoints;
use agora_store::orders::OrderRow;
use agora_store::Conn;

use crate::stored::currency;
use crate::{AppError, AppResult, Settings};

/// The platform's fee on `order`: the rate times the order's total (goods, shipping and tax, less
/// the discount), rounded half up to the minor unit (`agora_core::rate`), never more than the total.
pub async fn fee_for(_conn: &mut Conn, settings: &Settings, order: &OrderRow) -> AppResult<Money> {
    let total = Money::new(order.total, currency(&order.currency)?);
    let rate = BasisPoints::new(settings.platform_fee_bp)
        .map_err(|e| AppError::Internal(anyhow::anyhow!("the platform fee rate {e}")))?;
    let fee = rate.of(total).map_err(|e| AppError::Internal(e.into()))?;
    Ok(Money::new(fee.minor.min(total.minor).max(0), total.currency))
}
