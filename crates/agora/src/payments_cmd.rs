//! `agora payments …`: money received outside the platform, brought in by an operator.

use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use agora_app::payments::statements::{self, ImportError, LineOutcome};
use agora_app::App;
use anyhow::Context;
use clap::Subcommand;

#[derive(Debug, Subcommand)]
pub enum PaymentsCommand {
    /// Match the transfers on a bank statement to pending bank-transfer payments, as an operator's
    /// confirmation does: the exact amount pays the payment; a different amount, or a reference
    /// that matches no payment, is held in suspense for review (never lost). Importing the same
    /// statement again moves nothing twice.
    ///
    /// The file: UTF-8 CSV with a header row `date,amount,currency,reference[,counterparty][,id]`
    /// (any order, any case); `date` as YYYY-MM-DD; `amount` the money received, a decimal with
    /// exactly the currency's minor digits (50.00 EUR, 5000 JPY); `reference` the transfer's text,
    /// holding the payment's AG-XXXX-XXXX reference; `id` the bank's transaction id (then the key
    /// that makes a line count once; otherwise the line's content is).
    ///
    /// Exit status: 0 when the statement was imported (the result of each line on standard
    /// output), 2 when the file is not a valid statement (each bad line named on standard error;
    /// nothing was imported), 1 when the import could not run at all.
    ImportStatement {
        /// The statement file, `-` for standard input.
        file: PathBuf,
    },
}

/// Runs a `payments` command on an open platform.
pub async fn run(app: &App, command: PaymentsCommand) -> anyhow::Result<ExitCode> {
    match command {
        PaymentsCommand::ImportStatement { file } => import_statement(app, file).await,
    }
}

async fn import_statement(app: &App, file: PathBuf) -> anyhow::Result<ExitCode> {
    let bytes = if file.as_os_str() == "-" {
        let mut bytes = Vec::new();
        std::io::stdin().lock().read_to_end(&mut bytes)?;
        bytes
    } else {
        std::fs::read(&file).with_context(|| format!("reading {}", file.display()))?
    };
    let report = match statements::import(app, None, &bytes).await {
        Ok(report) => report,
        Err(ImportError::File(errors)) => {
            let mut stderr = std::io::stderr().lock();
            for e in &errors {
                writeln!(stderr, "{e}")?;
            }
            writeln!(
                stderr,
                "the statement has {} error(s); nothing was imported",
                errors.len()
            )?;
            return Ok(ExitCode::from(2));
        }
        Err(ImportError::App(e)) => return Err(anyhow::anyhow!("{e}")),
    };
    let mut stdout = std::io::stdout().lock();
    for l in &report.lines {
        writeln!(
            stdout,
            "line {}: {}{} {} {:?} {}: {}",
            l.line,
            l.outcome.as_str(),
            if l.already_imported { " (imported before)" } else { "" },
            l.amount,
            l.reference,
            l.payment_id.as_deref().unwrap_or("-"),
            l.note
        )?;
    }
    writeln!(
        stdout,
        "{} lines: {} settled, {} held in suspense, {} unmatched (held for review), {} imported before",
        report.lines.len(),
        report.count(LineOutcome::Settled),
        report.count(LineOutcome::HeldInSuspense),
        report.count(LineOutcome::Unmatched),
        report.already()
    )?;
    Ok(ExitCode::SUCCESS)
}
