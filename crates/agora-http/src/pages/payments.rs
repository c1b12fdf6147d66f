//! Money pages: the buyer's wallet (balances, history, top-ups) and the operator's finance page
//! (bank transfers to match, suspense to resolve, the ledger's check).

use agora_app::ledger::{self, Verification};
use agora_app::payments::statements::{self, ImportReport, LineError, UnmatchedLine};
use agora_app::payments::transfers::{self, FinanceOverview, Resolution};
use agora_app::payments::wallet::{self, WalletBalance, WalletEntry};
use agora_app::payments::PaymentSummary;
use agora_app::{AppError, BankDetails};
use agora_core::money::{Currency, Money};
use agora_core::ValidationErrors;
use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use serde::Deserialize;

use super::{render, see_other, CsrfToken, Layout, PageForm, PageResult, PageUser};
use crate::extract::Query;
use crate::AppState;

/// An amount with a sign, as a statement shows it: "+50.00 EUR", "−12.00 EUR".
pub fn signed(m: &Money) -> String {
    if m.minor < 0 {
        format!("−{}", Money::new(-m.minor, m.currency))
    } else {
        format!("+{m}")
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct TopUpForm {
    csrf: String,
    amount: String,
    currency: String,
    method: String,
}

#[derive(Template)]
#[template(path = "wallet.html")]
struct WalletPage {
    layout: Layout,
    balances: Vec<WalletBalance>,
    history: Vec<WalletEntry>,
    pending: Vec<PaymentSummary>,
    bank: BankDetails,
    form: TopUpForm,
    errors: ValidationErrors,
}

async fn wallet_page(
    state: &AppState,
    actor: agora_app::Actor,
    csrf: &CsrfToken,
    form: TopUpForm,
    errors: ValidationErrors,
    notice: Option<String>,
) -> Result<WalletPage, super::PageError> {
    let balances = wallet::balances(&state.app, &actor).await?;
    let history = wallet::history(&state.app, &actor, 50).await?;
    let pending = wallet::pending_top_ups(&state.app, &actor).await?;
    let layout = Layout::new(state, Some(actor), csrf, "Your wallet")
        .await
        .with_notice(notice);
    Ok(WalletPage {
        layout,
        balances,
        history,
        pending,
        bank: state.app.settings.bank_details.clone(),
        form,
        errors,
    })
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct WalletQuery {
    started: Option<String>,
}

pub async fn wallet(
    State(state): State<AppState>,
    user: PageUser,
    csrf: CsrfToken,
    Query(q): Query<WalletQuery>,
) -> PageResult {
    let actor = user.require("/account/wallet")?;
    let form = TopUpForm {
        currency: "EUR".into(),
        method: "bank_transfer".into(),
        ..Default::default()
    };
    let notice = q
        .started
        .map(|_| "Your top-up is waiting for your bank transfer: send it with the reference below.".to_owned());
    Ok(render(
        &wallet_page(&state, actor, &csrf, form, ValidationErrors::new(), notice).await?,
    ))
}

pub async fn top_up(
    State(state): State<AppState>,
    user: PageUser,
    csrf: CsrfToken,
    PageForm(form): PageForm<TopUpForm>,
) -> PageResult {
    csrf.check(&form.csrf)?;
    let actor = user.require("/account/wallet")?;
    let result = match Currency::parse(form.currency.trim()) {
        Err(m) => Err(AppError::invalid("currency", m)),
        Ok(cur) => match Money::parse_major(&form.amount, cur) {
            Err(m) => Err(AppError::invalid("amount", m)),
            Ok(amount) => wallet::start_top_up(&state.app, &actor, amount, &form.method, None)
                .await
                .and_then(|a| a.ran()),
        },
    };
    match result {
        Ok(p) => match p.redirect_url {
            Some(url) => Ok(see_other(&url)),
            None => Ok(see_other("/account/wallet?started=1")),
        },
        Err(AppError::Invalid(errors)) => {
            let page = wallet_page(&state, actor, &csrf, form, errors, None).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)).into_response())
        }
        Err(err) => Err(err.into()),
    }
}

#[derive(Template)]
#[template(path = "admin_finance.html")]
pub(super) struct FinancePage {
    layout: Layout,
    overview: FinanceOverview,
    ledger: Verification,
    /// Statement lines that matched no payment, waiting for review.
    unmatched: Vec<UnmatchedLine>,
    pub(super) error: Option<String>,
    /// What a statement upload did, line by line.
    pub(super) import: Option<ImportReport>,
    /// Why an uploaded statement was refused, line by line.
    pub(super) file_errors: Vec<LineError>,
}

pub(super) async fn finance_page(
    state: &AppState,
    actor: agora_app::Actor,
    csrf: &CsrfToken,
    notice: Option<String>,
    error: Option<String>,
) -> Result<FinancePage, super::PageError> {
    let overview = transfers::overview(&state.app, &actor).await?;
    let ledger = ledger::verify_as(&state.app, &actor).await?;
    let unmatched = statements::unmatched(&state.app, &actor).await?;
    let layout = Layout::new(state, Some(actor), csrf, "Finance")
        .await
        .with_notice(notice);
    Ok(FinancePage {
        layout,
        overview,
        ledger,
        unmatched,
        error,
        import: None,
        file_errors: Vec::new(),
    })
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct FinanceQuery {
    done: String,
}

pub async fn finance(
    State(state): State<AppState>,
    user: PageUser,
    csrf: CsrfToken,
    Query(q): Query<FinanceQuery>,
) -> PageResult {
    let actor = user.require("/admin/finance")?;
    let notice = match q.done.as_str() {
        "settled" => Some("The transfer settled its payment.".to_owned()),
        "held_in_suspense" => Some("The amount did not match: it is held in suspense for review.".to_owned()),
        "resolved" => Some("The suspense was resolved.".to_owned()),
        _ => None,
    };
    Ok(render(&finance_page(&state, actor, &csrf, notice, None).await?))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ConfirmForm {
    csrf: String,
    amount: String,
    currency: String,
    action: String,
}

pub(super) async fn finance_failed(
    state: &AppState,
    actor: agora_app::Actor,
    csrf: &CsrfToken,
    err: AppError,
) -> PageResult {
    let status = crate::problem::problem_of(&err).status();
    let message = crate::words::message(&err);
    let page = finance_page(state, actor, csrf, None, Some(format!("That did not work. {message}"))).await?;
    Ok((status, render(&page)).into_response())
}

/// The operator records a received bank transfer for a payment.
pub async fn confirm(
    State(state): State<AppState>,
    user: PageUser,
    csrf: CsrfToken,
    Path(id): Path<String>,
    PageForm(form): PageForm<ConfirmForm>,
) -> PageResult {
    csrf.check(&form.csrf)?;
    let actor = user.require("/admin/finance")?;
    let amount = Currency::parse(form.currency.trim())
        .map_err(|m| AppError::invalid("currency", m))
        .and_then(|cur| Money::parse_major(&form.amount, cur).map_err(|m| AppError::invalid("amount", m)));
    let result = match amount {
        Ok(amount) => transfers::confirm(&state.app, &actor, &id, amount, None)
            .await
            .and_then(|a| a.ran()),
        Err(err) => Err(err),
    };
    match result {
        Ok(r) => Ok(see_other(&format!("/admin/finance?done={}", r.outcome.as_str()))),
        Err(err @ (AppError::Invalid(_) | AppError::Conflict { .. } | AppError::NotFound(_))) => {
            finance_failed(&state, actor, &csrf, err).await
        }
        Err(err) => Err(err.into()),
    }
}

/// The operator resolves what a payment's suspense holds.
pub async fn resolve(
    State(state): State<AppState>,
    user: PageUser,
    csrf: CsrfToken,
    Path(id): Path<String>,
    PageForm(form): PageForm<ConfirmForm>,
) -> PageResult {
    csrf.check(&form.csrf)?;
    let actor = user.require("/admin/finance")?;
    let result = match form.action.parse::<Resolution>() {
        Ok(resolution) => transfers::resolve(&state.app, &actor, &id, resolution, None)
            .await
            .and_then(|a| a.ran()),
        Err(m) => Err(AppError::invalid("action", m)),
    };
    match result {
        Ok(_) => Ok(see_other("/admin/finance?done=resolved")),
        Err(err @ (AppError::Invalid(_) | AppError::Conflict { .. } | AppError::NotFound(_))) => {
            finance_failed(&state, actor, &csrf, err).await
        }
        Err(err) => Err(err.into()),
    }
}
