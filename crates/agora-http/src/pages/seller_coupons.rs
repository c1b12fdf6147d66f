//! The coupon pages: a shop's coupons in the seller centre and the platform's for operators, each
//! with a form to create one, a button to deactivate each and a page to edit each. The API's
//! `/shops/{id}/coupons`, `/admin/coupons` and `/coupons/{id}` do the same for clients.

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
    rfc3339.as_deref().map(crate::words::when).unwrap_or_else(|| "—".into())
}

impl From<CouponView> for CouponRowView {
    fn from(c: CouponView) -> Self {
        let off = match (c.percentage_bp, c.amount) {
            (Some(bp), _) => format!("{}.{:02} % off", bp / 100, bp % 100).replace(".00 %", " %"),
            (None, Some(m)) => format!("{} off", crate::words::money(m)),
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
    /// Where the list belongs: `/sell/shops/{id}`, or `/admin/shops` for the platform's.
    back: String,
    heading: &'static str,
    /// Where the create form posts.
    action: String,
    coupons: Vec<CouponRowView>,
    form: CouponForm,
    errors: ValidationErrors,
}

async fn page(
    state: &AppState,
    actor: agora_app::Actor,
    csrf: &CsrfToken,
    shop_id: Option<&str>,
    form: CouponForm,
    errors: ValidationErrors,
) -> Result<CouponsPage, AppError> {
    let (coupons, back, heading, action) = match shop_id {
        Some(shop_id) => (
            coupons::list_for_shop(&state.app, &actor, shop_id).await?,
            format!("/sell/shops/{shop_id}"),
            "Coupons",
            format!("/sell/shops/{shop_id}/coupons"),
        ),
        None => (
            coupons::list_for_platform(&state.app, &actor).await?,
            "/admin/shops".to_owned(),
            "Platform coupons",
            ADMIN_PATH.to_owned(),
        ),
    };
    let layout = Layout::new(state, Some(actor), csrf, heading).await;
    Ok(CouponsPage {
        layout,
        back,
        heading,
        action,
        coupons: coupons.into_iter().map(Into::into).collect(),
        form,
        errors,
    })
}

/// The operator's coupon page.
const ADMIN_PATH: &str = "/admin/coupons";

pub async fn list(
    State(state): State<AppState>,
    user: PageUser,
    csrf: CsrfToken,
    Path(id): Path<String>,
) -> PageResult {
    let actor = user.require(&format!("/sell/shops/{id}/coupons"))?;
    Ok(render(
        &page(&state, actor, &csrf, Some(&id), blank_form(), ValidationErrors::new()).await?,
    ))
}

fn blank_form() -> CouponForm {
    CouponForm {
        kind: "percentage".into(),
        currency: "EUR".into(),
        ..Default::default()
    }
}

/// The operator's coupons (operators only).
pub async fn platform_list(State(state): State<AppState>, user: PageUser, csrf: CsrfToken) -> PageResult {
    let actor = user.require(ADMIN_PATH)?;
    Ok(render(
        &page(&state, actor, &csrf, None, blank_form(), ValidationErrors::new()).await?,
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

/// The form's values, parsed; errors named by the form's fields.
struct Parsed {
    amount: Option<Money>,
    percentage_bp: Option<i64>,
    min_spend: Option<Money>,
    valid_from: Option<String>,
    valid_until: Option<String>,
    max_uses: Option<i64>,
    max_uses_per_buyer: Option<i64>,
}

impl Parsed {
    fn of(form: &CouponForm) -> Result<Parsed, ValidationErrors> {
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
        let parsed = Parsed {
            amount: if fixed {
                money(&mut errors, "value", &form.value)
            } else {
                None
            },
            percentage_bp: if fixed {
                None
            } else {
                errors.check("value", percent_bp(&form.value))
            },
            min_spend: money(&mut errors, "min_spend", &form.min_spend),
            valid_from: day_start(&mut errors, "valid_from", &form.valid_from, false),
            valid_until: day_start(&mut errors, "valid_until", &form.valid_until, true),
            max_uses: count(&mut errors, "max_uses", &form.max_uses),
            max_uses_per_buyer: count(&mut errors, "max_uses_per_buyer", &form.max_uses_per_buyer),
        };
        errors.into_result().map(|()| parsed)
    }

    fn input<'a>(&'a self, form: &'a CouponForm) -> CouponInput<'a> {
        CouponInput {
            code: &form.code,
            kind: &form.kind,
            percentage_bp: self.percentage_bp,
            amount: self.amount,
            min_spend: self.min_spend,
            valid_from: self.valid_from.as_deref(),
            valid_until: self.valid_until.as_deref(),
            max_uses: self.max_uses,
            max_uses_per_buyer: self.max_uses_per_buyer,
        }
    }
}

/// The API's names of the value fields are this form's `value`.
fn form_errors(errors: ValidationErrors) -> ValidationErrors {
    ValidationErrors(
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
    )
}

async fn save(
    state: &AppState,
    actor: agora_app::Actor,
    csrf: &CsrfToken,
    shop_id: Option<&str>,
    form: CouponForm,
) -> PageResult {
    let result = match Parsed::of(&form) {
        Ok(parsed) => match shop_id {
            Some(shop) => coupons::create_for_shop(&state.app, &actor, shop, parsed.input(&form)).await,
            None => coupons::create_for_platform(&state.app, &actor, parsed.input(&form)).await,
        },
        Err(errors) => Err(AppError::Invalid(errors)),
    };
    match result {
        Ok(_) => Ok(see_other(&match shop_id {
            Some(shop) => format!("/sell/shops/{shop}/coupons"),
            None => ADMIN_PATH.to_owned(),
        })),
        Err(AppError::Invalid(errors)) => {
            let page = page(state, actor, csrf, shop_id, form, form_errors(errors)).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)).into_response())
        }
        Err(err) => Err(err.into()),
    }
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
    save(&state, actor, &csrf, Some(&id), form).await
}

/// Creates a platform coupon (operators only).
pub async fn platform_create(
    State(state): State<AppState>,
    user: PageUser,
    csrf: CsrfToken,
    PageForm(form): PageForm<CouponForm>,
) -> PageResult {
    let actor = user.require(ADMIN_PATH)?;
    csrf.check(&form.csrf)?;
    save(&state, actor, &csrf, None, form).await
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
    Ok(see_other(&list_path(&coupon)))
}

/// The list a coupon belongs to.
fn list_path(c: &CouponView) -> String {
    match &c.shop_id {
        Some(shop) => format!("/sell/shops/{shop}/coupons"),
        None => ADMIN_PATH.to_owned(),
    }
}

#[derive(Template)]
#[template(path = "coupon_edit.html")]
struct EditPage {
    layout: Layout,
    back: String,
    id: String,
    code: String,
    used_count: i64,
    form: CouponForm,
    errors: ValidationErrors,
}

/// A date field's text of an RFC 3339 time (`until`: the day before, as the form's "through").
fn date_text(rfc3339: Option<&str>, until: bool) -> String {
    use time::format_description::well_known::Rfc3339;
    let Some(t) = rfc3339.and_then(|t| time::OffsetDateTime::parse(t, &Rfc3339).ok()) else {
        return String::new();
    };
    let date = if until {
        t.date().previous_day().unwrap_or(t.date())
    } else {
        t.date()
    };
    let format = time::macros::format_description!("[year]-[month]-[day]");
    date.format(&format).unwrap_or_default()
}

fn form_of(c: &CouponView) -> CouponForm {
    let percent = |bp: i64| format!("{}.{:02}", bp / 100, bp % 100).replace(".00", "");
    CouponForm {
        csrf: String::new(),
        code: c.code.clone(),
        kind: c.kind.clone(),
        value: match (c.percentage_bp, c.amount) {
            (Some(bp), _) => percent(bp),
            (None, Some(m)) => m.to_decimal().to_string(),
            (None, None) => String::new(),
        },
        currency: c
            .amount
            .or(c.min_spend)
            .map_or_else(|| "EUR".to_owned(), |m| m.currency.code().to_owned()),
        min_spend: c.min_spend.map(|m| m.to_decimal().to_string()).unwrap_or_default(),
        valid_from: date_text(c.valid_from.as_deref(), false),
        valid_until: date_text(c.valid_until.as_deref(), true),
        max_uses: c.max_uses.map(|n| n.to_string()).unwrap_or_default(),
        max_uses_per_buyer: c.max_uses_per_buyer.map(|n| n.to_string()).unwrap_or_default(),
    }
}

async fn edit_page(
    state: &AppState,
    actor: agora_app::Actor,
    csrf: &CsrfToken,
    coupon: &CouponView,
    form: CouponForm,
    errors: ValidationErrors,
) -> EditPage {
    let layout = Layout::new(state, Some(actor), csrf, "Edit coupon").await;
    EditPage {
        layout,
        back: list_path(coupon),
        id: coupon.id.clone(),
        code: coupon.code.clone(),
        used_count: coupon.used_count,
        form,
        errors,
    }
}

/// The edit form of a coupon the actor may edit (404 otherwise).
pub async fn edit_form(
    State(state): State<AppState>,
    user: PageUser,
    csrf: CsrfToken,
    Path(id): Path<String>,
) -> PageResult {
    let actor = user.require(&format!("/sell/coupons/{id}/edit"))?;
    let coupon = coupons::get(&state.app, &actor, &id).await?;
    let form = form_of(&coupon);
    Ok(render(
        &edit_page(&state, actor, &csrf, &coupon, form, ValidationErrors::new()).await,
    ))
}

pub async fn edit(
    State(state): State<AppState>,
    user: PageUser,
    csrf: CsrfToken,
    Path(id): Path<String>,
    PageForm(form): PageForm<CouponForm>,
) -> PageResult {
    let actor = user.require(&format!("/sell/coupons/{id}/edit"))?;
    csrf.check(&form.csrf)?;
    let coupon = coupons::get(&state.app, &actor, &id).await?;
    let result = match Parsed::of(&form) {
        Ok(parsed) => coupons::update(&state.app, &actor, &id, parsed.input(&form)).await,
        Err(errors) => Err(AppError::Invalid(errors)),
    };
    match result {
        Ok(saved) => Ok(see_other(&list_path(&saved))),
        Err(AppError::Invalid(errors)) => {
            let page = edit_page(&state, actor, &csrf, &coupon, form, form_errors(errors)).await;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)).into_response())
        }
        Err(err) => Err(err.into()),
    }
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
