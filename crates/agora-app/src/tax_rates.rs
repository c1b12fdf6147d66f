//! The operator's tax rates, by destination country and tax category (`standard` for goods,
//! `shipping` for shipping charges, or a category of the operator's own).

use agora_core::audit::AuditAction;
use agora_core::country::Country;
use agora_core::rate::BasisPoints;
use agora_core::tax::TaxCategory;
use agora_store::orders as store;

use crate::{audit, Actor, App, AppError, AppResult};

/// Sets the rates of one country (operators only): `(category, basis points)` pairs.
pub async fn set(app: &App, actor: &Actor, country: &str, rates: &[(String, i64)]) -> AppResult<Vec<(String, u32)>> {
    actor.require_operator()?;
    let country = Country::parse(country).map_err(|m| AppError::invalid("country", m))?;
    if rates.is_empty() {
        return Err(AppError::invalid("rates", "name at least one category"));
    }
    let mut parsed = Vec::new();
    for (category, bp) in rates {
        let cat = TaxCategory::parse(category).map_err(|m| AppError::invalid(&format!("rates.{category}"), m))?;
        let rate = u32::try_from(*bp)
            .map_err(|_| "must be from 0 to 10000 basis points".to_owned())
            .and_then(BasisPoints::new)
            .map_err(|m| AppError::invalid(&format!("rates.{category}"), m))?;
        parsed.push((cat, rate));
    }
    let mut tx = app.db.begin().await?;
    for (cat, rate) in &parsed {
        store::set_tax_rate(&mut tx, country.code(), cat.as_str(), i64::from(rate.get())).await?;
    }
    let data = serde_json::json!(parsed
        .iter()
        .map(|(c, r)| (c.as_str().to_owned(), r.get()))
        .collect::<std::collections::BTreeMap<_, _>>());
    audit::record(
        &mut tx,
        Some(&actor.account_id),
        AuditAction::TaxRatesSet,
        country.code(),
        data,
    )
    .await?;
    crate::checkout_terms::commit_change(app, tx).await?;
    Ok(parsed
        .into_iter()
        .map(|(c, r)| (c.as_str().to_owned(), r.get()))
        .collect())
}
