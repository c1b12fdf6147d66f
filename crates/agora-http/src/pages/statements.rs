//! The operator uploads a bank statement on the finance page: the same import as
//! `agora payments import-statement`, with a result per line (or the file's errors, by line).

use agora_app::payments::statements::{self, ImportError};
use agora_app::AppError;
use axum::extract::{Multipart, Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;

use serde::Deserialize;

use super::payments::{finance_failed, finance_page};
use super::{render, see_other, CsrfToken, PageForm, PageResult, PageUser};
use crate::{multipart, AppState};

/// `POST /admin/finance/statements`: a multipart form with `csrf` and the statement as `file`.
pub async fn import(State(state): State<AppState>, user: PageUser, csrf: CsrfToken, form: Multipart) -> PageResult {
    let actor = user.require("/admin/finance")?;
    let data = multipart::read(form, state.app.settings.max_upload_bytes).await;
    let data = match data {
        Ok(data) => data,
        Err(err) => {
            let status = crate::problem::problem_of(&err).status();
            let mut page = finance_page(&state, actor, &csrf, None, None).await?;
            page.error = Some(format!("The statement could not be read: {err}."));
            return Ok((status, render(&page)).into_response());
        }
    };
    csrf.check(data.text("csrf").unwrap_or_default())?;
    let Some((_, bytes)) = data.file else {
        let mut page = finance_page(&state, actor, &csrf, None, None).await?;
        page.error = Some("Choose the statement file (CSV) to import.".into());
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)).into_response());
    };
    match statements::import(&state.app, Some(&actor), &bytes).await {
        Ok(report) => {
            let notice = format!(
                "Statement imported: {} settled, {} held in suspense, {} unmatched (held for review), {} imported before.",
                report.count(statements::LineOutcome::Settled),
                report.count(statements::LineOutcome::HeldInSuspense),
                report.count(statements::LineOutcome::Unmatched),
                report.already()
            );
            let mut page = finance_page(&state, actor, &csrf, Some(notice), None).await?;
            page.import = Some(report);
            Ok(render(&page))
        }
        Err(ImportError::File(errors)) => {
            let mut page = finance_page(&state, actor, &csrf, None, None).await?;
            page.error = Some(format!(
                "The statement was not imported: it has {} error(s), listed below. Nothing was recorded.",
                errors.len()
            ));
            page.file_errors = errors;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)).into_response())
        }
        Err(ImportError::App(err)) => Err(err.into()),
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct AssignForm {
    csrf: String,
    reference: String,
}

/// `POST /admin/finance/statement-lines/{id}/assign`: the operator matches a transfer that matched
/// no payment to the payment with the reference it should have carried.
pub async fn assign(
    State(state): State<AppState>,
    user: PageUser,
    csrf: CsrfToken,
    Path(id): Path<String>,
    PageForm(form): PageForm<AssignForm>,
) -> PageResult {
    csrf.check(&form.csrf)?;
    let actor = user.require("/admin/finance")?;
    match statements::assign(&state.app, &actor, &id, &form.reference).await {
        Ok(outcome) => Ok(see_other(&format!("/admin/finance?done={}", outcome.as_str()))),
        Err(err @ (AppError::Invalid(_) | AppError::Conflict { .. } | AppError::NotFound(_))) => {
            finance_failed(&state, actor, &csrf, err).await
        }
        Err(err) => Err(err.into()),
    }
}
