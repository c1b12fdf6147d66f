//! Importing a bank statement: every transfer received is matched by its reference to a pending
//! bank-transfer payment and recorded exactly as an operator's confirmation records it
//! ([`transfers::record_in`]): the exact amount settles the payment, any other amount waits in the
//! payment's suspense. A transfer whose reference matches no payment (or one in another currency
//! or by another method) waits in a suspense account of its own line, for an operator to review:
//! never lost. Each line is recorded once: its key is inserted in the same transaction as its
//! postings, so importing the same statement again moves nothing.

use agora_core::audit::AuditAction;
use agora_core::ledger::rules::{self, External};
use agora_core::ledger::{AccountKind, AccountRef};
use agora_core::money::Money;
use agora_core::order::PaymentMethod;
use agora_store::ledger as ledger_store;
use agora_store::payments::{self as payment_store, CardDetails};
use agora_store::statement_lines::{self as store, StatementLineRow};
use agora_store::{new_id, now_ms};

pub use super::statement_file::{parse, LineError, StatementLine};
use super::transfers::{self, TransferOutcome};
use crate::stored::currency;
use crate::{audit, ledger, Actor, App, AppError, AppResult};

/// What became of one statement line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineOutcome {
    /// It paid its payment.
    Settled,
    /// It went to its payment's suspense (less or more than the payment's amount).
    HeldInSuspense,
    /// It matched no payment: it waits in the line's own suspense account for review.
    Unmatched,
}

impl LineOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            LineOutcome::Settled => "settled",
            LineOutcome::HeldInSuspense => "held_in_suspense",
            LineOutcome::Unmatched => "unmatched",
        }
    }

    fn parse(s: &str) -> AppResult<Self> {
        match s {
            "settled" => Ok(LineOutcome::Settled),
            "held_in_suspense" => Ok(LineOutcome::HeldInSuspense),
            "unmatched" => Ok(LineOutcome::Unmatched),
            other => Err(AppError::Internal(anyhow::anyhow!(
                "unknown statement line outcome {other:?}"
            ))),
        }
    }
}

/// One line's result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineResult {
    /// Its line number in the file.
    pub line: u64,
    pub amount: Money,
    pub reference: String,
    /// The payment it was matched to.
    pub payment_id: Option<String>,
    pub outcome: LineOutcome,
    /// It had been imported before: nothing moved this time (the outcome is the earlier one).
    pub already_imported: bool,
    /// Why, in words.
    pub note: String,
}

/// What an import did, line by line.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ImportReport {
    pub lines: Vec<LineResult>,
}

impl ImportReport {
    /// How many lines moved money now with this outcome.
    pub fn count(&self, outcome: LineOutcome) -> usize {
        self.lines
            .iter()
            .filter(|l| !l.already_imported && l.outcome == outcome)
            .count()
    }

    /// How many lines had been imported before.
    pub fn already(&self) -> usize {
        self.lines.iter().filter(|l| l.already_imported).count()
    }
}

/// Why a statement was not imported.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The file is not a statement: nothing was recorded.
    #[error("the statement file has {} error(s); nothing was imported", .0.len())]
    File(Vec<LineError>),
    #[error(transparent)]
    App(#[from] AppError),
}

/// Imports a statement file: reads all of it first (one bad line refuses the file, nothing
/// recorded), then records each line in a transaction of its own. `by` is the operator importing
/// it (403 for anyone else), `None` for the platform's command line.
pub async fn import(app: &App, by: Option<&Actor>, bytes: &[u8]) -> Result<ImportReport, ImportError> {
    if let Some(actor) = by {
        actor.require_operator()?;
    }
    let lines = parse(bytes).map_err(ImportError::File)?;
    let mut report = ImportReport::default();
    for line in &lines {
        report.lines.push(import_line(app, by, line).await?);
    }
    Ok(report)
}

fn earlier(line: &StatementLine, done: &StatementLineRow) -> AppResult<LineResult> {
    Ok(LineResult {
        line: line.line,
        amount: line.amount,
        reference: line.reference.clone(),
        payment_id: done.payment_id.clone(),
        outcome: LineOutcome::parse(&done.outcome)?,
        already_imported: true,
        note: "imported before; nothing moved again".into(),
    })
}

async fn import_line(app: &App, by: Option<&Actor>, line: &StatementLine) -> AppResult<LineResult> {
    let now = now_ms();
    let mut tx = app.db.begin().await?;
    if let Some(done) = store::by_key(&mut tx, &line.key).await? {
        return earlier(line, &done);
    }
    let reference = line.agora_reference();
    let found = match &reference {
        Some(r) => payment_store::by_bank_reference(&mut tx, r).await?,
        None => None,
    };
    let cur = line.amount.currency.code();
    let id = new_id("stl");
    let (outcome, payment_id, note) = match found {
        Some(p) if p.method == PaymentMethod::BankTransfer.as_str() && p.currency == cur => {
            let p = transfers::locked_transfer(&mut tx, &p.id).await?;
            let amount = transfers::check_amount(&p, line.amount)?;
            let expected = Money::new(p.amount, currency(&p.currency)?);
            match transfers::record_in(&mut tx, &app.settings, &p, amount, by, now).await? {
                TransferOutcome::Settled => (LineOutcome::Settled, Some(p.id), "paid".to_owned()),
                TransferOutcome::HeldInSuspense => {
                    let why = if p.status != "pending" {
                        "the payment was not waiting for money".to_owned()
                    } else {
                        format!(
                            "{} received, {expected} expected: held in the payment's suspense",
                            line.amount
                        )
                    };
                    (LineOutcome::HeldInSuspense, Some(p.id), why)
                }
            }
        }
        other => {
            let why = match (&other, &reference) {
                (Some(p), _) if p.currency != cur => format!("the payment {} is in {}", p.id, p.currency),
                (Some(p), _) => format!("the payment {} is not paid by bank transfer", p.id),
                (None, Some(r)) => format!("no payment has the reference {r}"),
                (None, None) => "no Agora reference in the text".to_owned(),
            };
            let posting = rules::to_suspense(&id, line.amount).map_err(|e| ledger::refused("amount", e))?;
            ledger::post(&mut tx, &posting).await?;
            let data = serde_json::json!({
                "amount": line.amount, "reference": line.reference, "date": line.date, "why": why,
            });
            audit::record(
                &mut tx,
                by.map(|a| a.account_id.as_str()),
                AuditAction::PaymentTransferUnmatched,
                &id,
                data,
            )
            .await?;
            (LineOutcome::Unmatched, None, format!("{why}: held for review"))
        }
    };
    let row = StatementLineRow {
        id,
        line_key: line.key.clone(),
        booked_on: line.date.clone(),
        amount: line.amount.minor,
        currency: cur.to_owned(),
        reference: line.reference.clone(),
        counterparty: line.counterparty.clone(),
        bank_transaction_id: line.bank_id.clone(),
        payment_id: payment_id.clone(),
        outcome: outcome.as_str().to_owned(),
        imported_by: by.map(|a| a.account_id.clone()),
        created_at: now,
    };
    if !store::insert(&mut tx, &row).await? {
        // Another import recorded this line meanwhile: drop everything this one did.
        drop(tx);
        let mut conn = app.db.conn().await?;
        let done = store::by_key(&mut conn, &line.key)
            .await?
            .ok_or_else(|| AppError::Internal(anyhow::anyhow!("statement line {} vanished", line.key)))?;
        return earlier(line, &done);
    }
    tx.commit().await?;
    Ok(LineResult {
        line: line.line,
        amount: line.amount,
        reference: line.reference.clone(),
        payment_id,
        outcome,
        already_imported: false,
        note,
    })
}

/// An operator matches a statement line that matched no payment to the payment with `reference`
/// (a bank transfer in the line's currency): the line's money moves to the payment's suspense and,
/// when that makes the payment's amount, settles it as a confirmation would; otherwise it waits
/// there for the operator's resolution. 404 for an unknown line or reference, 409 for a line
/// matched already, 422 for a payment in another currency.
pub async fn assign(app: &App, actor: &Actor, line_id: &str, reference: &str) -> AppResult<LineOutcome> {
    actor.require_operator()?;
    let reference = agora_core::payment::normalize_reference(reference)
        .ok_or_else(|| AppError::invalid("reference", "is not an Agora reference such as AG-7KQM-2XRT"))?;
    let now = now_ms();
    let mut tx = app.db.begin().await?;
    let line = store::lock(&mut tx, line_id)
        .await?
        .ok_or(AppError::NotFound("statement line"))?;
    if line.outcome != LineOutcome::Unmatched.as_str() {
        return Err(AppError::conflict(
            crate::ConflictKind::InvalidTransition,
            "this statement line was matched to a payment already",
        ));
    }
    let found = payment_store::by_bank_reference(&mut tx, &reference)
        .await?
        .ok_or(AppError::NotFound("payment"))?;
    let p = transfers::locked_transfer(&mut tx, &found.id).await?;
    let cur = currency(&line.currency)?;
    if p.currency != line.currency {
        return Err(AppError::invalid(
            "reference",
            format!("the payment is in {}, the transfer in {}", p.currency, line.currency),
        ));
    }
    let of_line = AccountRef::new(AccountKind::BankSuspense, &line.id, cur);
    let held = Money::new(ledger_store::balance(&mut tx, &of_line).await?, cur);
    let posting = rules::line_to_payment(&line.id, &p.id, held).map_err(|e| ledger::refused("amount", e))?;
    ledger::post(&mut tx, &posting).await?;
    let of_payment = AccountRef::new(AccountKind::BankSuspense, &p.id, cur);
    let in_suspense = ledger_store::balance(&mut tx, &of_payment).await?;
    let outcome = if p.status == "pending" && in_suspense == p.amount {
        let (nothing, card) = (Money::zero(cur), CardDetails::default());
        super::succeed_in(
            &mut tx,
            &app.settings,
            &p,
            Some(actor),
            External::Bank,
            nothing,
            &card,
            now,
        )
        .await?;
        LineOutcome::Settled
    } else {
        LineOutcome::HeldInSuspense
    };
    if !store::assign(&mut tx, &line.id, &p.id, outcome.as_str()).await? {
        return Err(AppError::conflict(
            crate::ConflictKind::ChangedMeanwhile,
            "the statement line was matched meanwhile",
        ));
    }
    let data = serde_json::json!({"payment": p.id, "amount": held, "outcome": outcome.as_str()});
    audit::record(
        &mut tx,
        Some(&actor.account_id),
        AuditAction::PaymentSuspenseResolved,
        &line.id,
        data,
    )
    .await?;
    tx.commit().await?;
    Ok(outcome)
}

/// A line that matched no payment and whose money still waits for review.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnmatchedLine {
    pub id: String,
    pub date: String,
    pub held: Money,
    pub reference: String,
    pub counterparty: Option<String>,
}

/// Statement lines waiting for review, oldest first (operators).
pub async fn unmatched(app: &App, actor: &Actor) -> AppResult<Vec<UnmatchedLine>> {
    actor.require_operator()?;
    let mut conn = app.db.conn().await?;
    let mut out = Vec::new();
    for (l, held) in store::unmatched_held(&mut conn, 100).await? {
        out.push(UnmatchedLine {
            held: Money::new(held, currency(&l.currency)?),
            id: l.id,
            date: l.booked_on,
            reference: l.reference,
            counterparty: l.counterparty,
        });
    }
    Ok(out)
}
