//! Money pages: the seller's finance page (balances, the movements behind them, the payout
//! account, payout requests and their history, the settlement report), the operator's payout
//! queue (mark sent or failed) and commission rates. The API's `/shops/{id}/payouts`,
//! `/admin/payouts` and `/admin/commission-rates` do the same for clients.

use agora_app::commission::{self, Scope};
use agora_app::payouts::{self, PayoutAccount, PayoutView};
use agora_app::settlement::{self, Balances, Movement};
use agora_app::{Actor, AppError};
use agora_core::money::{Currency, Money};
use agora_core::payout::{Iban, PayoutStatus};
use agora_core::ValidationErrors;
use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use serde::Deserialize;

use super::{render, see_other, CsrfToken, Layout, PageForm, PageResult, PageUser};
use crate::words::when;
use crate::AppState;

/// A payout as the pages list it.
pub struct PayoutRow {
    pub id: String,
    pub shop: String,
    pub amount: String,
    pub settled: String,
    pub status: &'static str,
    pub to: String,
    pub requested: String,
    pub reason: String,
}

fn status_words(s: PayoutStatus) -> &'static str {
    match s {
        PayoutStatus::Requested => "Requested, waiting to be sent",
        PayoutStatus::Sent => "Sent to the bank",
        PayoutStatus::Failed => "Failed, money back in the balance",
    }
}

fn payout_row(p: PayoutView, shop: String) -> PayoutRow {
    PayoutRow {
        settled: if p.owed_settled.minor > 0 {
            format!("{} commission owed settled", p.owed_settled)
        } else {
            String::new()
        },
        to: format!(
            "{}, {}{}",
            p.holder,
            Iban::parse(&p.iban).map(|i| i.to_string()).unwrap_or(p.iban.clone()),
            p.bic.map(|b| format!(", {b}")).unwrap_or_default()
        ),
        requested: when(&p.created_at),
        reason: p.failure_reason.unwrap_or_default(),
        status: status_words(p.status),
        amount: crate::words::money(p.amount),
        id: p.id,
        shop,
    }
}

pub struct MovementRow {
    pub at: String,
    pub what: &'static str,
    pub account: &'static str,
    pub amount: String,
    pub incoming: bool,
}

impl From<Movement> for MovementRow {
    fn from(m: Movement) -> Self {
        MovementRow {
            at: when(&m.at),
            what: m.what,
            account: m.account,
            incoming: m.amount.minor > 0,
            amount: crate::words::money(m.amount),
        }
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct AccountForm {
    csrf: String,
    holder: String,
    iban: String,
    bic: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct PayoutForm {
    csrf: String,
    amount: String,
    currency: String,
}

#[derive(Template)]
#[template(path = "seller_finance.html")]
struct FinancePage {
    layout: Layout,
    shop_id: String,
    shop_name: String,
    balances: Vec<Balances>,
    movements: Vec<MovementRow>,
    account: Option<PayoutAccount>,
    account_shown: String,
    payouts: Vec<PayoutRow>,
    may_request: bool,
    may_set_account: bool,
    minimum: String,
    account_form: AccountForm,
    payout_form: PayoutForm,
    errors: ValidationErrors,
    /// A refusal of the payout request (409) in words.
    refusal: Option<String>,
    from: String,
    to: String,
}

/// What the forms of the finance page show after a failed post.
struct Forms {
    account: Option<AccountForm>,
    payout: PayoutForm,
    errors: ValidationErrors,
    refusal: Option<String>,
}

impl Forms {
    fn fresh() -> Forms {
        Forms {
            account: None,
            payout: default_payout_form(),
            errors: ValidationErrors::new(),
            refusal: None,
        }
    }
}

async fn finance_page(
    state: &AppState,
    actor: Actor,
    csrf: &CsrfToken,
    shop_id: &str,
    forms: Forms,
) -> Result<FinancePage, AppError> {
    let Forms {
        account: account_form,
        payout: payout_form,
        errors,
        refusal,
    } = forms;
    let f = settlement::finances(&state.app, &actor, shop_id).await?;
    let account = payouts::account(&state.app, &actor, shop_id).await?;
    let history = payouts::of_shop(&state.app, &actor, shop_id).await?;
    let account_form = account_form.unwrap_or_else(|| AccountForm {
        holder: account.as_ref().map(|a| a.holder.clone()).unwrap_or_default(),
        iban: account.as_ref().map(|a| a.iban.clone()).unwrap_or_default(),
        bic: account.as_ref().and_then(|a| a.bic.clone()).unwrap_or_default(),
        ..Default::default()
    });
    let today = time::OffsetDateTime::now_utc().date();
    let first = today.replace_day(1).unwrap_or(today);
    let layout = Layout::new(state, Some(actor), csrf, format!("Finance · {}", f.shop_name)).await;
    Ok(FinancePage {
        layout,
        shop_id: f.shop_id,
        shop_name: f.shop_name,
        account_shown: account
            .as_ref()
            .map(|a| Iban::parse(&a.iban).map(|i| i.to_string()).unwrap_or(a.iban.clone()))
            .unwrap_or_default(),
        minimum: crate::words::money(Money::new(f.min_payout_minor, Currency::EUR)),
        balances: f.balances,
        movements: f.movements.into_iter().map(Into::into).collect(),
        account,
        payouts: history.into_iter().map(|p| payout_row(p, String::new())).collect(),
        may_request: f.may_request_payouts,
        may_set_account: f.may_set_account,
        account_form,
        payout_form,
        errors,
        refusal,
        from: first.to_string(),
        to: today.to_string(),
    })
}

fn default_payout_form() -> PayoutForm {
    PayoutForm {
        currency: "EUR".into(),
        ..Default::default()
    }
}

pub async fn finance(
    State(state): State<AppState>,
    user: PageUser,
    csrf: CsrfToken,
    Path(id): Path<String>,
) -> PageResult {
    let actor = user.require(&format!("/sell/shops/{id}/finance"))?;
    let page = finance_page(&state, actor, &csrf, &id, Forms::fresh()).await?;
    Ok(render(&page))
}

pub async fn set_account(
    State(state): State<AppState>,
    user: PageUser,
    csrf: CsrfToken,
    Path(id): Path<String>,
    PageForm(form): PageForm<AccountForm>,
) -> PageResult {
    let actor = user.require(&format!("/sell/shops/{id}/finance"))?;
    csrf.check(&form.csrf)?;
    let bic = Some(form.bic.as_str()).filter(|b| !b.trim().is_empty());
    match payouts::set_account(&state.app, &actor, &id, &form.holder, &form.iban, bic).await {
        Ok(_) => Ok(see_other(&format!("/sell/shops/{id}/finance#payout-account"))),
        Err(AppError::Invalid(errors)) => {
            let forms = Forms {
                account: Some(form),
                errors,
                ..Forms::fresh()
            };
            let page = finance_page(&state, actor, &csrf, &id, forms).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)).into_response())
        }
        Err(err) => Err(err.into()),
    }
}

pub async fn request_payout(
    State(state): State<AppState>,
    user: PageUser,
    csrf: CsrfToken,
    Path(id): Path<String>,
    PageForm(form): PageForm<PayoutForm>,
) -> PageResult {
    let actor = user.require(&format!("/sell/shops/{id}/finance"))?;
    csrf.check(&form.csrf)?;
    let mut errors = ValidationErrors::new();
    let cur = errors.check("currency", Currency::parse(form.currency.trim()));
    let amount = cur.and_then(|c| errors.check("amount", Money::parse_major(form.amount.trim(), c)));
    let result = match amount {
        Some(amount) if errors.is_empty() => payouts::request(&state.app, &actor, &id, amount, None)
            .await
            .and_then(|a| a.ran()),
        _ => Err(AppError::Invalid(errors)),
    };
    let (status, errors, refusal) = match result {
        Ok(_) => return Ok(see_other(&format!("/sell/shops/{id}/finance#payouts"))),
        Err(AppError::Invalid(errors)) => (StatusCode::UNPROCESSABLE_ENTITY, errors, None),
        Err(AppError::Conflict { detail, .. }) => (StatusCode::CONFLICT, ValidationErrors::new(), Some(detail)),
        Err(err) => return Err(err.into()),
    };
    let page = finance_page(
        &state,
        actor,
        &csrf,
        &id,
        Forms {
            account: None,
            payout: form,
            errors,
            refusal,
        },
    )
    .await?;
    Ok((status, render(&page)).into_response())
}

#[derive(Debug, Deserialize)]
pub struct PeriodQuery {
    from: Option<String>,
    to: Option<String>,
    currency: Option<String>,
}

/// The settlement report as a CSV download, for the finance page's link.
pub async fn settlement_csv(
    State(state): State<AppState>,
    user: PageUser,
    Path(id): Path<String>,
    crate::extract::Query(q): crate::extract::Query<PeriodQuery>,
) -> PageResult {
    let actor = user.require(&format!("/sell/shops/{id}/finance"))?;
    let today = time::OffsetDateTime::now_utc().date().to_string();
    let (from, to, cur) = crate::api::payouts_period(
        q.from.as_deref().unwrap_or("2000-01-01"),
        q.to.as_deref().unwrap_or(&today),
        q.currency.as_deref(),
    )?;
    let report = settlement::report(&state.app, &actor, &id, cur, from, to).await?;
    Ok(crate::api::payouts_csv(&id, &report))
}

// ---- Operators ----

#[derive(Template)]
#[template(path = "admin_payouts.html")]
struct PayoutsPage {
    layout: Layout,
    payouts: Vec<PayoutRow>,
}

pub async fn admin_payouts(State(state): State<AppState>, user: PageUser, csrf: CsrfToken) -> PageResult {
    let actor = user.require("/admin/payouts")?;
    let items = payouts::queue(&state.app, &actor, PayoutStatus::Requested).await?;
    let layout = Layout::new(&state, Some(actor), &csrf, "Payouts to send").await;
    Ok(render(&PayoutsPage {
        layout,
        payouts: items.into_iter().map(|(p, shop)| payout_row(p, shop)).collect(),
    }))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct DecisionForm {
    csrf: String,
    reason: String,
}

async fn decide(
    state: &AppState,
    user: PageUser,
    csrf: CsrfToken,
    id: &str,
    form: DecisionForm,
    to: PayoutStatus,
) -> PageResult {
    let actor = user.require("/admin/payouts")?;
    csrf.check(&form.csrf)?;
    let reason = Some(form.reason.as_str()).filter(|r| !r.trim().is_empty());
    payouts::decide(&state.app, &actor, id, to, reason, None).await?.ran()?;
    Ok(see_other("/admin/payouts"))
}

pub async fn mark_sent(
    State(state): State<AppState>,
    user: PageUser,
    csrf: CsrfToken,
    Path(id): Path<String>,
    PageForm(form): PageForm<DecisionForm>,
) -> PageResult {
    decide(&state, user, csrf, &id, form, PayoutStatus::Sent).await
}

pub async fn mark_failed(
    State(state): State<AppState>,
    user: PageUser,
    csrf: CsrfToken,
    Path(id): Path<String>,
    PageForm(form): PageForm<DecisionForm>,
) -> PageResult {
    decide(&state, user, csrf, &id, form, PayoutStatus::Failed).await
}

pub struct RateRow {
    pub scope: &'static str,
    pub target: String,
    pub percent: String,
}

fn percent(bp: u32) -> String {
    format!("{}.{:02} %", bp / 100, bp % 100).replace(".00 %", " %")
}

#[derive(Template)]
#[template(path = "admin_commission.html")]
struct CommissionPage {
    layout: Layout,
    default_rate: String,
    rates: Vec<RateRow>,
    form: RateForm,
    errors: ValidationErrors,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct RateForm {
    csrf: String,
    /// `category` or `shop`.
    scope: String,
    target: String,
    /// Percent, `5` or `2.5`; empty removes the rate.
    percent: String,
}

async fn commission_page(
    state: &AppState,
    actor: Actor,
    csrf: &CsrfToken,
    form: RateForm,
    errors: ValidationErrors,
) -> Result<CommissionPage, AppError> {
    let rates = commission::list(&state.app, &actor).await?;
    let layout = Layout::new(state, Some(actor), csrf, "Commission rates").await;
    let row = |r: commission::Rate| RateRow {
        scope: match r.scope {
            Scope::Category => "Category",
            Scope::Shop => "Shop",
        },
        target: r.target,
        percent: percent(r.rate_bp),
    };
    Ok(CommissionPage {
        layout,
        default_rate: percent(rates.default_bp),
        rates: rates.shops.into_iter().chain(rates.categories).map(row).collect(),
        form,
        errors,
    })
}

pub async fn admin_commission(State(state): State<AppState>, user: PageUser, csrf: CsrfToken) -> PageResult {
    let actor = user.require("/admin/commission")?;
    let form = RateForm {
        scope: "category".into(),
        ..Default::default()
    };
    Ok(render(
        &commission_page(&state, actor, &csrf, form, ValidationErrors::new()).await?,
    ))
}

/// `2.5` (percent) → 250 basis points.
fn percent_bp(text: &str) -> Result<i64, String> {
    let bad = || "must be a percentage like 5 or 2.5".to_owned();
    let text = text.trim().trim_end_matches('%').trim();
    let (whole, frac) = text.split_once(['.', ',']).unwrap_or((text, ""));
    if whole.is_empty() || frac.len() > 2 || !(whole.chars().chain(frac.chars())).all(|c| c.is_ascii_digit()) {
        return Err(bad());
    }
    let whole: i64 = whole.parse().map_err(|_| bad())?;
    let frac: i64 = format!("{frac:0<2}").parse().map_err(|_| bad())?;
    whole.checked_mul(100).and_then(|w| w.checked_add(frac)).ok_or_else(bad)
}

pub async fn set_rate(
    State(state): State<AppState>,
    user: PageUser,
    csrf: CsrfToken,
    PageForm(form): PageForm<RateForm>,
) -> PageResult {
    let actor = user.require("/admin/commission")?;
    csrf.check(&form.csrf)?;
    let scope = if form.scope == "shop" {
        Scope::Shop
    } else {
        Scope::Category
    };
    let target = form.target.trim().to_owned();
    let result = if form.percent.trim().is_empty() {
        commission::clear(&state.app, &actor, scope, &target).await
    } else {
        match percent_bp(&form.percent) {
            Ok(bp) => commission::set(&state.app, &actor, scope, &target, bp)
                .await
                .map(|_| ()),
            Err(m) => Err(AppError::invalid("percent", m)),
        }
    };
    let errors = match result {
        Ok(()) => return Ok(see_other("/admin/commission")),
        Err(AppError::Invalid(errors)) => ValidationErrors(
            errors
                .0
                .into_iter()
                .map(|mut e| {
                    if e.field == "rate_bp" {
                        e.field = "percent".into();
                    }
                    e
                })
                .collect(),
        ),
        Err(AppError::NotFound(what)) => ValidationErrors::single("target", format!("no such {what}")),
        Err(err) => return Err(err.into()),
    };
    let page = commission_page(&state, actor, &csrf, form, errors).await?;
    Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)).into_response())
}
