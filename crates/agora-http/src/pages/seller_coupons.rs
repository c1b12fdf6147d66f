//! The seller centre's coupon page: a shop's coupons, a form to create one, and a button to
//! deactivate each. The API's `/shops/{id}/coupons` does the same for clients.

use agora_app::coupons::{self, CouponInput, CouponView};
use agora_app::AppError;
use agora_core::money::{Currency, Money};
use agora_core::ValidationErrors;
use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use serde::Deserialize;

use super::{render, see_other, CsrfToken, Layout, PageForm, PageResult, PageUser};
use crate::AppState;

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct CouponForm {
    csrf: String,
    code: String,
    /// `percentage` or `fixed`.
    kind: String,
    /// Percent (`10`, `12.5`) or an amount (`5.00`), by `kind`.
    value: String,
    currency: String,
    min_spend: String,
    /// Dates (`2027-01-31`): from the start of `valid_from` through the end of `valid_until`, UTC.
    valid_from: String,
    valid_until: String,
    max_uses: String,
    max_uses_per_buyer: String,
}

/// A coupon as the list shows it.
pub struct CouponRowView {
    pub id: String,
    pub code: String,
    pub off: String,
    pub min_spend: String,
    pub window: String,
    pub uses: String,
    pub active: bool,
}

fn day(rfc3339: &Option<String>) -> String {
    rfc3339
        .as_deref()
        .map(super::orders::when)
        .unwrap_or_else(|| "—".into())
}

impl From<CouponView> for CouponRowView {
    fn from(c: CouponView) -> Self {
        let off = match (c.percentage_bp, c.amount) {
            (Some(bp), _) => format!("{}.{:02} % off", bp / 100, bp % 100).replace(".00 %", " %"),
            (None, Some(m)) => format!("{m} off"),
            (None, None) => "—".into(),
        };
        let uses = match c.max_uses {
            Some(max) => format!("{} of {max}", c.used_count),
            None => c.used_count.to_string(),
        };
        let per_buyer = c
            .max_uses_per_buyer
            .map(|n| format!(" ({n} per buyer)"))
            .unwrap_or_default();
        CouponRowView {
            window: format!("{} – {}", day(&c.valid_from), day(&c.valid_until)),
            min_spend: c.min_spend.map(|m| m.to_string()).unwrap_or_else(|| "—".into()),
            uses: format!("{uses}{per_buyer}"),
            id: c.id,
            code: c.code,
            off,
            active: c.active,
        }
    }
}

#[derive(Template)]
#[template(path = "seller_coupons.html")]
struct CouponsPage {
    layout: Layout,
    shop_id: String,
    coupons: Vec<CouponRowView>,
    form: CouponForm,
    errors: ValidationErrors,
}

async fn page(
    state: &AppState,
    actor: agora_app::Actor,
    csrf: &CsrfToken,
    shop_id: &str,
    form: CouponForm,
    errors: ValidationErrors,
) -> Result<CouponsPage, AppError> {
    let coupons = coupons::list_for_shop(&state.app, &actor, shop_id).await?;
    let layout = Layout::new(state, Some(actor), csrf, "Coupons").await;
    Ok(CouponsPage {
        layout,
        shop_id: shop_id.to_owned(),
        coupons: coupons.into_iter().map(Into::into).collect(),
        form,
        errors,
    })
}

pub async fn list(
    State(state): State<AppState>,
    user: PageUser,
    csrf: CsrfToken,
    Path(id): Path<String>,
) -> PageResult {
    let actor = user.require(&format!("/sell/shops/{id}/coupons"))?;
    let form = CouponForm {
        kind: "percentage".into(),
        currency: "EUR".into(),
        ..Default::default()
    };
    Ok(render(
        &page(&state, actor, &csrf, &id, form, ValidationErrors::new()).await?,
    ))
}

/// `12.5` (percent) → 1250 basis points.
fn percent_bp(text: &str) -> Result<i64, String> {
    let bad = || "must be a percentage like 10 or 12.5".to_owned();
    let text = text.trim().trim_end_matches('%').trim();
    let (whole, frac) = text.split_once(['.', ',']).unwrap_or((text, ""));
    if whole.is_empty() || frac.len() > 2 || !(whole.chars().chain(frac.chars())).all(|c| c.is_ascii_digit()) {
        return Err(bad());
    }
    let whole: i64 = whole.parse().map_err(|_| bad())?;
    let frac: i64 = format!("{frac:0<2}").parse().map_err(|_| bad())?;
    whole.checked_mul(100).and_then(|w| w.checked_add(frac)).ok_or_else(bad)
}

/// A date's start (`next_day`: the next day's start) as RFC 3339.
fn day_start(errors: &mut ValidationErrors, field: &str, text: &str, next_day: bool) -> Option<String> {
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    let format = time::macros::format_description!("[year]-[month]-[day]");
    let date = time::Date::parse(text, &format)
        .ok()
        .and_then(|d| if next_day { d.next_day() } else { Some(d) });
    match date {
        Some(d) => Some(format!("{d}T00:00:00Z")),
        None => {
            errors.add(field, "must be a date like 2027-01-31");
            None
        }
    }
}

fn count(errors: &mut ValidationErrors, field: &str, text: &str) -> Option<i64> {
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    errors.check(field, text.parse().map_err(|_| "must be a whole number".to_owned()))
}

pub async fn create(
    State(state): State<AppState>,
    user: PageUser,
    csrf: CsrfToken,
    Path(id): Path<String>,
    PageForm(form): PageForm<CouponForm>,
) -> PageResult {
    let actor = user.require(&format!("/sell/shops/{id}/coupons"))?;
    csrf.check(&form.csrf)?;
    let mut errors = ValidationErrors::new();
    let currency = errors.check("currency", Currency::parse(form.currency.trim()));
    let money = |errors: &mut ValidationErrors, field: &str, text: &str| -> Option<Money> {
        let text = text.trim();
        if text.is_empty() {
            return None;
        }
        errors.check(field, Money::parse_major(text, currency?))
    };
    let fixed = form.kind == "fixed";
    let amount = if fixed {
        money(&mut errors, "value", &form.value)
    } else {
        None
    };
    let percentage_bp = if fixed {
        None
    } else {
        errors.check("value", percent_bp(&form.value))
    };
    let min_spend = money(&mut errors, "min_spend", &form.min_spend);
    let valid_from = day_start(&mut errors, "valid_from", &form.valid_from, false);
    let valid_until = day_start(&mut errors, "valid_until", &form.valid_until, true);
    let max_uses = count(&mut errors, "max_uses", &form.max_uses);
    let max_uses_per_buyer = count(&mut errors, "max_uses_per_buyer", &form.max_uses_per_buyer);
    let result = if errors.is_empty() {
        let input = CouponInput {
            code: &form.code,
            kind: &form.kind,
            percentage_bp,
            amount,
            min_spend,
            valid_from: valid_from.as_deref(),
            valid_until: valid_until.as_deref(),
            max_uses,
            max_uses_per_buyer,
        };
        coupons::create_for_shop(&state.app, &actor, &id, input).await
    } else {
        Err(AppError::Invalid(errors))
    };
    match result {
        Ok(_) => Ok(see_other(&format!("/sell/shops/{id}/coupons"))),
        Err(AppError::Invalid(errors)) => {
            // The API's names of the value fields are this form's `value`.
            let errors = ValidationErrors(
                errors
                    .0
                    .into_iter()
                    .map(|mut e| {
                        if e.field == "percentage_bp" || e.field == "amount" {
                            e.field = "value".into();
                        }
                        e
                    })
                    .collect(),
            );
            let page = page(&state, actor, &csrf, &id, form, errors).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)).into_response())
        }
        Err(err) => Err(err.into()),
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct DeactivateForm {
    csrf: String,
}

pub async fn deactivate(
    State(state): State<AppState>,
    user: PageUser,
    csrf: CsrfToken,
    Path(id): Path<String>,
    PageForm(form): PageForm<DeactivateForm>,
) -> PageResult {
    let actor = user.require("/sell")?;
    csrf.check(&form.csrf)?;
    let coupon = coupons::deactivate(&state.app, &actor, &id).await?;
    Ok(match coupon.shop_id {
        Some(shop) => see_other(&format!("/sell/shops/{shop}/coupons")),
        None => see_other("/"),
    })
}

#[cfg(test)]
mod tests {
    use super::percent_bp;

    #[test]
    fn percentages_become_basis_points() {
        assert_eq!(percent_bp("10"), Ok(1000));
        assert_eq!(percent_bp("12.5"), Ok(1250));
        assert_eq!(percent_bp("0,25 %"), Ok(25));
        assert!(percent_bp("1.234").is_err());
        assert!(percent_bp("-5").is_err());
        assert!(percent_bp("").is_err());
    }
}
