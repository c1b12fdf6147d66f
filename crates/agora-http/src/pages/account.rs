//! The account pages: profile, password, tokens and sessions, invitations, company members.

use agora_app::accounts::{self, AccountView, TokenView};
use agora_app::companies::{self, CompanyView};
use agora_app::invitations::{self, ReceivedInvitation};
use agora_app::AppError;
use agora_core::account::CompanyRole;
use agora_core::money::{Currency, Money};
use agora_core::ValidationErrors;
use askama::Template;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use serde::Deserialize;

use super::auth::CsrfOnly;
use super::{render, see_other, CsrfToken, Layout, PageError, PageForm, PageResult, PageUser};
use crate::extract::Query;
use crate::AppState;

#[derive(Template)]
#[template(path = "account.html")]
struct AccountPage {
    layout: Layout,
    account: AccountView,
    tokens: Vec<TokenView>,
    /// A token just created, shown once.
    new_token: Option<String>,
    token_name: String,
    /// Invitations to join a company, answered here.
    invitations: Vec<ReceivedInvitation>,
    errors: ValidationErrors,
    error: Option<String>,
    /// API tokens a password change has just revoked.
    revoked: Option<Vec<accounts::RevokedToken>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Notice {
    done: String,
}

fn notice_text(done: &str) -> Option<String> {
    match done {
        "welcome" => Some("Welcome to Agora: your account is ready.".into()),
        "password" => Some(
            "Your password was changed. Your other sessions were logged out and your API tokens were revoked.".into(),
        ),
        "revoked" => Some("The token was revoked.".into()),
        "member" => Some("The member list was updated.".into()),
        "invited" => Some("Invitation sent.".into()),
        "withdrawn" => Some("The invitation was withdrawn.".into()),
        "joined" => Some("You joined the company.".into()),
        "declined" => Some("You declined the invitation.".into()),
        "limit" => Some("The approval limit was saved.".into()),
        _ => None,
    }
}

async fn account_page(
    state: &AppState,
    actor: agora_app::Actor,
    csrf: &CsrfToken,
    notice: Option<String>,
) -> Result<AccountPage, PageError> {
    let account = accounts::me(&state.app, &actor).await?;
    let tokens = accounts::list_tokens(&state.app, &actor).await?;
    let invitations = invitations::received(&state.app, &actor).await?;
    let layout = Layout::new(state, Some(actor), csrf, "Your account")
        .await
        .with_notice(notice);
    Ok(AccountPage {
        layout,
        account,
        tokens,
        new_token: None,
        token_name: String::new(),
        invitations,
        errors: ValidationErrors::new(),
        error: None,
        revoked: None,
    })
}

pub async fn overview(
    State(state): State<AppState>,
    user: PageUser,
    csrf: CsrfToken,
    Query(n): Query<Notice>,
) -> PageResult {
    let actor = user.require("/account")?;
    Ok(render(&account_page(&state, actor, &csrf, notice_text(&n.done)).await?))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct PasswordForm {
    csrf: String,
    current_password: String,
    new_password: String,
}

pub async fn change_password(
    State(state): State<AppState>,
    user: PageUser,
    csrf: CsrfToken,
    PageForm(form): PageForm<PasswordForm>,
) -> PageResult {
    let actor = user.require("/account")?;
    csrf.check(&form.csrf)?;
    match accounts::change_password(&state.app, &actor, &form.current_password, &form.new_password).await {
        // Rendered here rather than redirected: the list of revoked tokens is shown once.
        Ok(revoked) => {
            let notice = notice_text("password");
            let mut page = account_page(&state, actor, &csrf, notice).await?;
            page.revoked = Some(revoked);
            Ok(([crate::NO_STORE], render(&page)).into_response())
        }
        Err(AppError::Invalid(errors)) => {
            let mut page = account_page(&state, actor, &csrf, None).await?;
            page.errors = errors;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)).into_response())
        }
        Err(err) => Err(err.into()),
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct TokenForm {
    csrf: String,
    name: String,
}

pub async fn create_token(
    State(state): State<AppState>,
    user: PageUser,
    csrf: CsrfToken,
    PageForm(form): PageForm<TokenForm>,
) -> PageResult {
    let actor = user.require("/account")?;
    csrf.check(&form.csrf)?;
    match accounts::create_token(&state.app, &actor, &form.name).await {
        Ok(created) => {
            let mut page = account_page(
                &state,
                actor,
                &csrf,
                Some("Copy your new token now: it is shown only once.".into()),
            )
            .await?;
            page.new_token = Some(created.token);
            Ok(([crate::NO_STORE], render(&page)).into_response())
        }
        Err(AppError::Invalid(errors)) => {
            let mut page = account_page(&state, actor, &csrf, None).await?;
            page.errors = errors;
            page.token_name = form.name;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)).into_response())
        }
        Err(err) => Err(err.into()),
    }
}

/// Revoking from the list: htmx swaps the row out; without JavaScript the page reloads.
pub async fn revoke_token(
    State(state): State<AppState>,
    user: PageUser,
    csrf: CsrfToken,
    headers: HeaderMap,
    Path(id): Path<String>,
    PageForm(form): PageForm<CsrfOnly>,
) -> PageResult {
    let actor = user.require("/account")?;
    csrf.check(&form.csrf)?;
    accounts::revoke_token(&state.app, &actor, &id).await?;
    if headers.contains_key("hx-request") {
        return Ok(axum::response::Html("").into_response());
    }
    Ok(see_other("/account?done=revoked"))
}

/// Accepting or declining an invitation on the account page; a refusal (already in a company, or
/// answered meanwhile) is shown there.
async fn answer_invitation(
    state: &AppState,
    user: PageUser,
    csrf: &CsrfToken,
    id: &str,
    form: CsrfOnly,
    accept: bool,
) -> PageResult {
    let actor = user.require("/account")?;
    csrf.check(&form.csrf)?;
    let result = if accept {
        invitations::accept(&state.app, &actor, id)
            .await
            .map(|_| "/account/company?done=joined")
    } else {
        invitations::decline(&state.app, &actor, id)
            .await
            .map(|()| "/account?done=declined")
    };
    match result {
        Ok(to) => Ok(see_other(to)),
        Err(AppError::Conflict { detail: message, .. }) => {
            let mut page = account_page(state, actor, csrf, None).await?;
            page.error = Some(crate::words::closed(&message));
            Ok((StatusCode::CONFLICT, render(&page)).into_response())
        }
        Err(err) => Err(err.into()),
    }
}

pub async fn accept_invitation(
    State(state): State<AppState>,
    user: PageUser,
    csrf: CsrfToken,
    Path(id): Path<String>,
    PageForm(form): PageForm<CsrfOnly>,
) -> PageResult {
    answer_invitation(&state, user, &csrf, &id, form, true).await
}

pub async fn decline_invitation(
    State(state): State<AppState>,
    user: PageUser,
    csrf: CsrfToken,
    Path(id): Path<String>,
    PageForm(form): PageForm<CsrfOnly>,
) -> PageResult {
    answer_invitation(&state, user, &csrf, &id, form, false).await
}

#[derive(Template)]
#[template(path = "company.html")]
struct CompanyPage {
    layout: Layout,
    company: CompanyView,
    is_admin: bool,
    roles: Vec<&'static str>,
    form_email: String,
    form_role: String,
    /// The approval-limit form: major units and currency.
    limit_amount: String,
    limit_currency: String,
    errors: ValidationErrors,
    error: Option<String>,
}

async fn company_page(
    state: &AppState,
    actor: agora_app::Actor,
    csrf: &CsrfToken,
    notice: Option<String>,
) -> Result<CompanyPage, PageError> {
    let (company_id, role) = actor.company.clone().ok_or(AppError::NotFound("company"))?;
    let company = companies::get(&state.app, &actor, &company_id).await?;
    let layout = Layout::new(state, Some(actor), csrf, format!("{} — members", company.name))
        .await
        .with_notice(notice);
    let (limit_amount, limit_currency) = match company.approval_limit {
        Some(m) => (m.to_decimal().to_string(), m.currency.code().to_owned()),
        None => (String::new(), "EUR".to_owned()),
    };
    Ok(CompanyPage {
        limit_amount,
        limit_currency,
        layout,
        company,
        is_admin: role == CompanyRole::Admin,
        roles: CompanyRole::ALL.iter().map(|r| r.as_str()).collect(),
        form_email: String::new(),
        form_role: "purchaser".into(),
        errors: ValidationErrors::new(),
        error: None,
    })
}

pub async fn company(
    State(state): State<AppState>,
    user: PageUser,
    csrf: CsrfToken,
    Query(n): Query<Notice>,
) -> PageResult {
    let actor = user.require("/account/company")?;
    Ok(render(&company_page(&state, actor, &csrf, notice_text(&n.done)).await?))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct MemberForm {
    csrf: String,
    email: String,
    role: String,
}

fn company_id(actor: &agora_app::Actor) -> Result<String, PageError> {
    Ok(actor.company.clone().ok_or(AppError::NotFound("company"))?.0)
}

/// Shows a failed member change on the company page instead of an error page.
async fn company_error(
    state: &AppState,
    actor: agora_app::Actor,
    csrf: &CsrfToken,
    err: AppError,
    form: Option<MemberForm>,
) -> PageResult {
    let status = crate::problem::problem_of(&err).status();
    let mut page = company_page(state, actor, csrf, None).await?;
    match err {
        AppError::Invalid(errors) => page.errors = errors,
        AppError::Conflict { detail: m, .. } | AppError::Forbidden(m) => page.error = Some(crate::words::closed(&m)),
        other => return Err(other.into()),
    }
    if let Some(form) = form {
        page.form_email = form.email;
        page.form_role = form.role;
    }
    Ok((status, render(&page)).into_response())
}

/// Invites a member: "Invitation sent" whether or not the email has an account.
pub async fn invite_member(
    State(state): State<AppState>,
    user: PageUser,
    csrf: CsrfToken,
    PageForm(form): PageForm<MemberForm>,
) -> PageResult {
    let actor = user.require("/account/company")?;
    csrf.check(&form.csrf)?;
    let company = company_id(&actor)?;
    match invitations::invite(&state.app, &actor, &company, &form.email, &form.role).await {
        Ok(_) => Ok(see_other("/account/company?done=invited")),
        Err(err) => company_error(&state, actor, &csrf, err, Some(form)).await,
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct RoleForm {
    csrf: String,
    role: String,
}

pub async fn set_role(
    State(state): State<AppState>,
    user: PageUser,
    csrf: CsrfToken,
    Path(id): Path<String>,
    PageForm(form): PageForm<RoleForm>,
) -> PageResult {
    let actor = user.require("/account/company")?;
    csrf.check(&form.csrf)?;
    let company = company_id(&actor)?;
    match companies::set_role(&state.app, &actor, &company, &id, &form.role).await {
        Ok(()) => Ok(see_other("/account/company?done=member")),
        Err(err) => company_error(&state, actor, &csrf, err, None).await,
    }
}

pub async fn remove_member(
    State(state): State<AppState>,
    user: PageUser,
    csrf: CsrfToken,
    Path(id): Path<String>,
    PageForm(form): PageForm<CsrfOnly>,
) -> PageResult {
    let actor = user.require("/account/company")?;
    csrf.check(&form.csrf)?;
    let company = company_id(&actor)?;
    match companies::remove_member(&state.app, &actor, &company, &id).await {
        Ok(()) => Ok(see_other("/account/company?done=member")),
        Err(err) => company_error(&state, actor, &csrf, err, None).await,
    }
}

pub async fn withdraw_invitation(
    State(state): State<AppState>,
    user: PageUser,
    csrf: CsrfToken,
    Path(id): Path<String>,
    PageForm(form): PageForm<CsrfOnly>,
) -> PageResult {
    let actor = user.require("/account/company")?;
    csrf.check(&form.csrf)?;
    let company = company_id(&actor)?;
    match invitations::withdraw(&state.app, &actor, &company, &id).await {
        Ok(()) => Ok(see_other("/account/company?done=withdrawn")),
        Err(err) => company_error(&state, actor, &csrf, err, None).await,
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct LimitForm {
    csrf: String,
    /// Major units, like `500.00`; empty removes the limit.
    amount: String,
    currency: String,
}

/// The limit a form means: `None` for an empty amount, else minor units and currency.
fn limit_of(form: &LimitForm) -> Result<Option<(i64, String)>, AppError> {
    if form.amount.trim().is_empty() {
        return Ok(None);
    }
    let currency = Currency::parse(form.currency.trim()).map_err(|m| AppError::invalid("amount.currency", m))?;
    let money = Money::parse_major(&form.amount, currency).map_err(|m| AppError::invalid("amount.amount", m))?;
    Ok(Some((money.minor, currency.code().to_owned())))
}

/// Sets or removes the company's approval limit (company admins).
pub async fn set_approval_limit(
    State(state): State<AppState>,
    user: PageUser,
    csrf: CsrfToken,
    PageForm(form): PageForm<LimitForm>,
) -> PageResult {
    let actor = user.require("/account/company")?;
    csrf.check(&form.csrf)?;
    let company = company_id(&actor)?;
    let result = match limit_of(&form) {
        Ok(limit) => {
            let limit = limit.as_ref().map(|(minor, code)| (*minor, code.as_str()));
            companies::set_approval_limit(&state.app, &actor, &company, limit).await
        }
        Err(err) => Err(err),
    };
    match result {
        Ok(_) => Ok(see_other("/account/company?done=limit")),
        Err(err) => {
            let status = crate::problem::problem_of(&err).status();
            let mut page = company_page(&state, actor, &csrf, None).await?;
            match err {
                AppError::Invalid(errors) => page.errors = errors,
                AppError::Conflict { detail: m, .. } | AppError::Forbidden(m) => {
                    page.error = Some(crate::words::closed(&m))
                }
                other => return Err(other.into()),
            }
            page.limit_amount = form.amount;
            page.limit_currency = form.currency;
            Ok((status, render(&page)).into_response())
        }
    }
}
