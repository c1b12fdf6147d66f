//! Reading a bank statement file (pure: no IO). The format, one transfer received per line:
//!
//! ```text
//! date,amount,currency,reference,counterparty,id
//! 2026-11-30,50.00,EUR,AG-7KQM-2XRT,Jane Buyer,TX-1001
//! ```
//!
//! - UTF-8, comma-separated, a header row naming the columns (any case, any order).
//! - `date` (`YYYY-MM-DD`, the booking date), `amount`, `currency` and `reference` are required;
//!   `counterparty` (who sent it) and `id` (the bank's own transaction id) are optional. Any other
//!   column is an error, so a file exported in another layout is refused rather than misread.
//! - `amount`: the money received, a plain decimal with exactly the currency's minor digits
//!   (`50.00` in EUR, `5000` in JPY), more than zero. Outgoing lines do not belong in the file.
//! - `currency`: an ISO 4217 code Agora trades in.
//! - `reference`: the transfer's remittance text; the Agora reference (`AG-XXXX-XXXX`) is found
//!   anywhere in it, however it was typed.
//!
//! The whole file is checked before anything is recorded: one bad line refuses the file, and every
//! error names its line number (the header is line 1).
//!
//! Each line has a key that identifies it across imports ([`StatementLine::key`]): the bank's
//! transaction id when the file has one, otherwise a SHA-256 of the line's fields and of how many
//! identical lines came before it in the file (two equal transfers on one day both count, and
//! importing the same file again finds both already done).

use std::collections::HashMap;
use std::fmt;

use agora_core::ledger::MAX_POSTING;
use agora_core::money::{Currency, Money};
use agora_core::payment::normalize_reference;
use sha2::{Digest, Sha256};

/// The most lines one file may hold.
pub const MAX_LINES: usize = 10_000;
/// The longest reference, counterparty or id accepted (SEPA remittance text is 140 characters).
const MAX_TEXT: usize = 140;

/// One transfer received, as the statement says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatementLine {
    /// Its line number in the file (the header is line 1).
    pub line: u64,
    /// The booking date, `YYYY-MM-DD`.
    pub date: String,
    pub amount: Money,
    /// The remittance text as written.
    pub reference: String,
    pub counterparty: Option<String>,
    /// The bank's own transaction id.
    pub bank_id: Option<String>,
    /// What identifies the line across imports (see the module).
    pub key: String,
}

impl StatementLine {
    /// The Agora reference in the remittance text, in its stored form; `None` when it has none.
    pub fn agora_reference(&self) -> Option<String> {
        find_reference(&self.reference)
    }
}

/// Why a file cannot be read: the line and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineError {
    /// The line number (the header is line 1); 0 for the file as a whole.
    pub line: u64,
    pub message: String,
}

impl fmt::Display for LineError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            write!(f, "{}", self.message)
        } else {
            write!(f, "line {}: {}", self.line, self.message)
        }
    }
}

fn error(line: u64, message: impl Into<String>) -> LineError {
    LineError {
        line,
        message: message.into(),
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Hash)]
enum Column {
    Date,
    Amount,
    Currency,
    Reference,
    Counterparty,
    Id,
}

impl Column {
    fn named(name: &str) -> Option<Column> {
        Some(match name.trim().to_ascii_lowercase().as_str() {
            "date" => Column::Date,
            "amount" => Column::Amount,
            "currency" => Column::Currency,
            "reference" => Column::Reference,
            "counterparty" => Column::Counterparty,
            "id" => Column::Id,
            _ => return None,
        })
    }
}

const REQUIRED: [(Column, &str); 4] = [
    (Column::Date, "date"),
    (Column::Amount, "amount"),
    (Column::Currency, "currency"),
    (Column::Reference, "reference"),
];

/// Reads a whole statement file; every error found (at most 50), or its lines.
pub fn parse(bytes: &[u8]) -> Result<Vec<StatementLine>, Vec<LineError>> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(false)
        .trim(csv::Trim::All)
        .from_reader(bytes);
    let headers = reader
        .headers()
        .map_err(|e| vec![error(1, format!("the header row cannot be read: {e}"))])?
        .clone();
    let mut columns: HashMap<Column, usize> = HashMap::new();
    let mut errors = Vec::new();
    for (i, name) in headers.iter().enumerate() {
        match Column::named(name) {
            None => errors.push(error(
                1,
                format!("unknown column {name:?}; the columns are date, amount, currency, reference, counterparty, id"),
            )),
            Some(c) => {
                if columns.insert(c, i).is_some() {
                    errors.push(error(1, format!("the column {name:?} appears twice")));
                }
            }
        }
    }
    for (c, name) in REQUIRED {
        if !columns.contains_key(&c) {
            errors.push(error(1, format!("the column {name:?} is missing")));
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let mut lines = Vec::new();
    let mut seen_ids: HashMap<String, u64> = HashMap::new();
    let mut seen_lines: HashMap<String, u32> = HashMap::new();
    for record in reader.records() {
        if errors.len() >= 50 {
            break;
        }
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line());
                errors.push(error(line, format!("cannot be read: {}", e.kind_text())));
                continue;
            }
        };
        let line = record.position().map_or(0, |p| p.line());
        if lines.len() >= MAX_LINES {
            errors.push(error(line, format!("a statement file holds at most {MAX_LINES} lines")));
            break;
        }
        let cell = |c: Column| columns.get(&c).and_then(|&i| record.get(i)).unwrap_or("");
        match parse_line(line, &cell) {
            Err(message) => errors.push(error(line, message)),
            Ok(mut l) => {
                if let Some(id) = &l.bank_id {
                    if let Some(first) = seen_ids.insert(id.clone(), line) {
                        errors.push(error(line, format!("the id {id:?} is on line {first} already")));
                        continue;
                    }
                    l.key = format!("bank:{id}");
                } else {
                    let fields = format!(
                        "{}\u{1f}{}\u{1f}{}\u{1f}{}\u{1f}{}",
                        l.date,
                        l.amount.minor,
                        l.amount.currency.code(),
                        l.reference,
                        l.counterparty.as_deref().unwrap_or("")
                    );
                    let n = seen_lines.entry(fields.clone()).or_insert(0);
                    *n += 1;
                    let digest = Sha256::digest(format!("{fields}\u{1f}{n}").as_bytes());
                    l.key = format!("sha256:{}", hex(&digest));
                }
                lines.push(l);
            }
        }
    }
    if errors.is_empty() && lines.is_empty() {
        errors.push(error(0, "the file holds no lines after its header"));
    }
    if errors.is_empty() {
        Ok(lines)
    } else {
        Err(errors)
    }
}

trait KindText {
    fn kind_text(&self) -> String;
}

impl KindText for csv::Error {
    fn kind_text(&self) -> String {
        match self.kind() {
            csv::ErrorKind::UnequalLengths { expected_len, len, .. } => {
                format!("it has {len} fields where the header has {expected_len}")
            }
            csv::ErrorKind::Utf8 { .. } => "it is not UTF-8 text".into(),
            _ => self.to_string(),
        }
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn parse_line<'a>(line: u64, cell: &dyn Fn(Column) -> &'a str) -> Result<StatementLine, String> {
    let date = cell(Column::Date);
    check_date(date).map_err(|m| format!("date {date:?} {m}"))?;
    let code = cell(Column::Currency);
    if code.is_empty() {
        return Err("the currency is empty".into());
    }
    let currency = Currency::parse(code).map_err(|m| format!("currency {m}"))?;
    let text = cell(Column::Amount);
    let amount = parse_amount(text, currency).map_err(|m| format!("amount {text:?} {m}"))?;
    let reference = cell(Column::Reference);
    if reference.is_empty() {
        return Err("the reference is empty".into());
    }
    let optional = |c: Column| Some(cell(c)).filter(|s| !s.is_empty()).map(str::to_owned);
    let (counterparty, bank_id) = (optional(Column::Counterparty), optional(Column::Id));
    for (what, value) in [
        ("reference", Some(reference)),
        ("counterparty", counterparty.as_deref()),
        ("id", bank_id.as_deref()),
    ] {
        if value.is_some_and(|v| v.chars().count() > MAX_TEXT) {
            return Err(format!("the {what} is longer than {MAX_TEXT} characters"));
        }
    }
    Ok(StatementLine {
        line,
        date: date.to_owned(),
        amount,
        reference: reference.to_owned(),
        counterparty,
        bank_id,
        key: String::new(),
    })
}

/// `YYYY-MM-DD`, a real day.
fn check_date(text: &str) -> Result<(), &'static str> {
    let b = text.as_bytes();
    let shape = b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit());
    if !shape {
        return Err("is not a date as YYYY-MM-DD");
    }
    let (y, m, d): (u32, u32, u32) = (
        text[..4].parse().unwrap_or(0),
        text[5..7].parse().unwrap_or(0),
        text[8..].parse().unwrap_or(0),
    );
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let days = match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return Err("has no such month"),
    };
    if d == 0 || d > days || y < 1970 {
        return Err("is not a day of the calendar");
    }
    Ok(())
}

/// A plain decimal with exactly the currency's minor digits, more than zero.
fn parse_amount(text: &str, currency: Currency) -> Result<Money, String> {
    let digits = currency.minor_digits() as usize;
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    let plain = !whole.is_empty()
        && whole.bytes().all(|b| b.is_ascii_digit())
        && fraction.bytes().all(|b| b.is_ascii_digit())
        && fraction.len() == digits
        && (digits > 0 || !text.contains('.'));
    if text.starts_with('-') {
        return Err("is below zero; a statement file lists only money received".into());
    }
    if !plain {
        return Err(if digits == 0 {
            format!("must be a whole number of {} without decimals", currency.code())
        } else {
            format!(
                "must be a plain decimal with {digits} decimals for {}, such as 50.{}",
                currency.code(),
                "0".repeat(digits)
            )
        });
    }
    let amount = Money::parse_major(text, currency)?;
    if amount.minor <= 0 {
        return Err("must be more than zero".into());
    }
    if amount.minor > MAX_POSTING {
        return Err("is too large".into());
    }
    Ok(amount)
}

/// The first Agora reference (`AG` and eight letters or digits, with spaces or dashes anywhere)
/// found in a remittance text.
pub fn find_reference(text: &str) -> Option<String> {
    let upper: Vec<char> = text.to_uppercase().chars().collect();
    for start in 0..upper.len() {
        if upper[start] != 'A' || upper.get(start + 1) != Some(&'G') {
            continue;
        }
        if start > 0 && upper[start - 1].is_ascii_alphanumeric() {
            continue;
        }
        let mut significant = String::new();
        let mut end = start;
        for &c in &upper[start..] {
            if significant.len() == 10 {
                break;
            }
            end += 1;
            if c == '-' || c == ' ' {
                continue;
            }
            if !c.is_ascii_alphanumeric() {
                break;
            }
            significant.push(c);
        }
        if upper.get(end).is_some_and(|c| c.is_ascii_alphanumeric()) {
            continue;
        }
        if let Some(found) = normalize_reference(&significant) {
            return Some(found);
        }
    }
    None
}

#[cfg(test)]
#[path = "statement_file_tests.rs"]
mod tests;
