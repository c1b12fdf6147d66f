//! `POST /admin/bank-statements`: an operator imports a bank statement (CSV), the same import as
//! the finance page's upload and `agora payments import-statement`.

use agora_app::payments::statements::{self, ImportError, LineResult};
use agora_app::AppError;
use agora_core::money::Money;
use agora_core::ValidationErrors;
use axum::body::Bytes;
use axum::extract::State;
use axum::Json;
use serde::Serialize;
use utoipa::ToSchema;

use super::bodies::money::MoneySchema;
use crate::extract::Auth;
use crate::problem::{ApiResult, Problem};
use crate::AppState;

/// What became of one line of the statement.
#[derive(Debug, Serialize, ToSchema)]
pub struct StatementLineBody {
    /// The line number in the file (the header is line 1).
    line: u64,
    #[schema(value_type = MoneySchema)]
    amount: Money,
    reference: String,
    /// `settled` (it paid its payment), `held_in_suspense` (another amount: in the payment's
    /// suspense) or `unmatched` (no payment has its reference: held for review).
    outcome: String,
    /// The payment it was matched to.
    #[serde(skip_serializing_if = "Option::is_none")]
    payment_id: Option<String>,
    /// True when an earlier import recorded the line: nothing moved this time.
    already_imported: bool,
    note: String,
}

impl From<LineResult> for StatementLineBody {
    fn from(l: LineResult) -> Self {
        Self {
            line: l.line,
            amount: l.amount,
            reference: l.reference,
            outcome: l.outcome.as_str().into(),
            payment_id: l.payment_id,
            already_imported: l.already_imported,
            note: l.note,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct StatementReply {
    lines: Vec<StatementLineBody>,
}

/// Import a bank statement (operators). The body is the CSV file: a header row
/// `date,amount,currency,reference[,counterparty][,id]`, dates as YYYY-MM-DD, amounts with exactly
/// the currency's minor digits. Each transfer is matched by its AG-… reference as
/// `confirm-transfer` matches it; a line imported before moves nothing again.
#[utoipa::path(post, path = "/admin/bank-statements", tag = "payments", security(("bearer" = [])),
    request_body(content = String, content_type = "text/csv"),
    responses((status = 200, body = StatementReply), (status = 403, body = Problem),
        (status = 422, body = Problem, description = "not a valid statement: each bad line is an error whose field is `line N`; nothing was recorded")))]
pub async fn import_statement(
    State(state): State<AppState>,
    Auth(actor): Auth,
    body: Bytes,
) -> ApiResult<Json<StatementReply>> {
    match statements::import(&state.app, Some(&actor), &body).await {
        Ok(report) => Ok(Json(StatementReply {
            lines: report.lines.into_iter().map(Into::into).collect(),
        })),
        Err(ImportError::File(errors)) => {
            let mut invalid = ValidationErrors::new();
            for e in errors {
                let field = if e.line == 0 {
                    "file".to_owned()
                } else {
                    format!("line {}", e.line)
                };
                invalid.add(&field, e.message);
            }
            Err(AppError::Invalid(invalid).into())
        }
        Err(ImportError::App(err)) => Err(err.into()),
    }
}
