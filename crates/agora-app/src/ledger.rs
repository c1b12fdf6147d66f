//! The ledger as use cases see it: posting a transaction inside a use case's database
//! transaction ([`post`]), and proving that not one cent was made or lost ([`verify`]).

use agora_core::ledger::{AccountKind, AccountRef, LedgerError, LedgerTransaction, OwnerKind};
use agora_store::ledger::{self as store, PostError};
use agora_store::Conn;
use serde::Serialize;

use crate::{App, AppError, AppResult, ConflictKind};

/// Posts `tx` in the caller's transaction. A user-owned account that would go below zero is a
/// 409 `insufficient-funds`; the caller's transaction must then be dropped (it is, by `?`).
pub async fn post(conn: &mut Conn, tx: &LedgerTransaction) -> AppResult<String> {
    store::post(conn, tx).await.map_err(|err| match err {
        PostError::InsufficientFunds { account } => {
            let detail = match AccountRef::parse_id(&account).map(|a| a.kind) {
                Ok(AccountKind::WalletAvailable) => "the wallet's balance is too low for this".to_owned(),
                _ => format!("{account} holds too little for this"),
            };
            AppError::conflict(ConflictKind::InsufficientFunds, detail)
        }
        PostError::Overflow { .. } => AppError::invalid("amount", "is too large"),
        PostError::Db(e) => e.into(),
    })
}

/// A rule's refusal of a movement: bad amounts are the client's (422 on `field`).
pub fn refused(field: &str, err: LedgerError) -> AppError {
    match err {
        LedgerError::CurrencyMismatch(..) => AppError::invalid(field, "is not in the currency this needs"),
        LedgerError::NotPositive(_) | LedgerError::ZeroPosting(_) => AppError::invalid(field, "must be more than zero"),
        LedgerError::TooLarge(_) | LedgerError::Overflow => AppError::invalid(field, "is too large"),
        other => AppError::Internal(anyhow::anyhow!("ledger rule refused: {other}")),
    }
}

/// What `agora ledger verify` found.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Verification {
    /// Every check passed.
    pub balanced: bool,
    pub accounts: i64,
    pub transactions: i64,
    /// Each breach in words, the first found first.
    pub problems: Vec<String>,
}

/// How many breaches of each kind a verification lists at most.
const LIST: i64 = 50;

/// Recomputes every balance from the postings and checks every invariant:
/// 1. every transaction's postings sum to zero in each currency,
/// 2. every transaction has at least two postings,
/// 3. every stored balance equals the sum of its account's postings,
/// 4. no user-owned balance (wallets, shop balances, escrow, suspense) is below zero, stored or
///    recomputed,
/// 5. every account's kind is known, its user-owned flag matches its kind, and an order's escrow is
///    in the order's currency,
/// 6. an order that ended (cancelled, completed, refunded) holds nothing in escrow, and a prepaid
///    order that is paid or shipped holds exactly its total,
/// 7. an order not paid yet (awaiting approval, pending payment, or confirmed cash on delivery)
///    and any cash-on-delivery order hold nothing in escrow,
/// 8. every platform account is owned by the platform,
/// 9. a succeeded payment has a transaction that received its money (into escrow or a wallet),
///    and a pending or failed payment has none.
pub async fn verify(app: &App) -> AppResult<Verification> {
    let mut conn = app.db.conn().await?;
    verify_on(&mut conn).await
}

/// [`verify`] on a given connection.
pub async fn verify_on(conn: &mut Conn) -> AppResult<Verification> {
    let (accounts, transactions) = store::counts(conn).await?;
    let mut problems = Vec::new();
    for (tx, currency, sum, n) in store::unbalanced_transactions(conn, LIST).await? {
        problems.push(format!(
            "transaction {tx}: its {n} postings in {currency} sum to {sum}, not zero"
        ));
    }
    for (tx, n) in store::lonely_transactions(conn, LIST).await? {
        problems.push(format!(
            "transaction {tx} has {n} postings; a movement needs at least two"
        ));
    }
    for (a, recomputed) in store::suspicious_accounts(conn, LIST).await? {
        if a.balance != recomputed {
            problems.push(format!(
                "account {}: stored balance {} but its postings sum to {recomputed}",
                a.id, a.balance
            ));
        }
        if a.user_owned && (a.balance < 0 || recomputed < 0) {
            problems.push(format!(
                "account {}: a user-owned balance is below zero ({})",
                a.id,
                a.balance.min(recomputed)
            ));
        }
    }
    for a in store::all_accounts(conn).await? {
        match a.kind.parse::<AccountKind>() {
            Err(_) => problems.push(format!("account {}: unknown kind {:?}", a.id, a.kind)),
            Ok(kind) => {
                if kind.is_user_owned() != a.user_owned {
                    problems.push(format!(
                        "account {}: its never-negative flag does not match its kind",
                        a.id
                    ));
                }
                if kind.owner_kind() == OwnerKind::Platform && a.owner_id != agora_core::ledger::PLATFORM {
                    problems.push(format!("account {}: a platform account owned by {}", a.id, a.owner_id));
                }
            }
        }
        if problems.len() as i64 > 4 * LIST {
            break;
        }
    }
    for id in store::escrow_in_wrong_currency(conn, LIST).await? {
        problems.push(format!("account {id}: escrow in another currency than its order's"));
    }
    for (order, status, total, currency, escrow) in store::escrow_mismatches(conn, LIST).await? {
        problems.push(format!(
            "order {order} is {status} with {escrow} {currency} in escrow (its total is {total})"
        ));
    }
    for (payment, status, receipts) in store::payments_unlike_postings(conn, LIST).await? {
        problems.push(if status == "succeeded" {
            format!("payment {payment} succeeded but no transaction received its money")
        } else {
            format!("payment {payment} is {status} but {receipts} transaction(s) received its money")
        });
    }
    Ok(Verification {
        balanced: problems.is_empty(),
        accounts,
        transactions,
        problems,
    })
}

/// [`verify`] for an operator; anyone else gets 403.
pub async fn verify_as(app: &App, actor: &crate::Actor) -> AppResult<Verification> {
    actor.require_operator()?;
    verify(app).await
}
