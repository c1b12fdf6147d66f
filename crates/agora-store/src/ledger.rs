//! The ledger's rows: accounts with their stored balances, transactions and their append-only
//! postings. [`post`] writes one `agora_core::ledger::LedgerTransaction` inside the caller's
//! database transaction; the reads behind `agora ledger verify` recompute everything from the
//! postings.

use agora_core::ledger::{AccountRef, LedgerTransaction};
use sqlx::{AnyConnection, Row};

use crate::{new_id, now_ms};

/// Why a transaction could not be posted. On any error the caller must roll its database
/// transaction back (dropping it does): some statements may have run.
#[derive(Debug)]
pub enum PostError {
    /// A user-owned account would go below zero.
    InsufficientFunds {
        account: String,
    },
    /// An account's balance would leave the range of 64-bit minor units.
    Overflow {
        account: String,
    },
    Db(sqlx::Error),
}

impl std::fmt::Display for PostError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PostError::InsufficientFunds { account } => write!(f, "{account} holds too little for this"),
            PostError::Overflow { account } => write!(f, "the balance of {account} would be out of range"),
            PostError::Db(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for PostError {}

impl From<sqlx::Error> for PostError {
    fn from(e: sqlx::Error) -> Self {
        PostError::Db(e)
    }
}

/// Creates the account if it does not exist yet; safe when two transactions create it at once
/// (the second waits for the first on PostgreSQL, then finds it).
pub async fn ensure_account(conn: &mut AnyConnection, account: &AccountRef, now: i64) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO ledger_accounts (id, kind, owner_id, currency, user_owned, balance, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, 0, $6, $6) ON CONFLICT (id) DO NOTHING",
    )
    .bind(account.id())
    .bind(account.kind.as_str())
    .bind(&account.owner_id)
    .bind(account.currency.code())
    .bind(i64::from(account.kind.is_user_owned()))
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// Posts `tx`: records it and its postings and moves every stored balance it touches, each by one
/// conditional update that refuses to take a user-owned balance below zero or any balance out of
/// range. Accounts are created on first use and touched in the order of their ids, so that two
/// transactions never wait for each other in a circle. Returns the transaction's id.
pub async fn post(conn: &mut AnyConnection, tx: &LedgerTransaction) -> Result<String, PostError> {
    let now = now_ms();
    let id = new_id("ltx");
    sqlx::query("INSERT INTO ledger_transactions (id, kind, reference, created_at) VALUES ($1, $2, $3, $4)")
        .bind(&id)
        .bind(tx.kind().as_str())
        .bind(tx.reference())
        .bind(now)
        .execute(&mut *conn)
        .await?;
    for (account, net) in tx.net_by_account() {
        ensure_account(conn, &account, now).await?;
        if net == 0 {
            continue;
        }
        // The range the balance must be in before the change, computed here so that no SQL
        // expression can overflow.
        let (low, high) = if net > 0 {
            (i64::MIN, i64::MAX - net)
        } else {
            (i64::MIN - net, i64::MAX)
        };
        let floor = net.checked_neg().unwrap_or(i64::MAX);
        let moved = sqlx::query(
            "UPDATE ledger_accounts SET balance = balance + $1, updated_at = $2 \
             WHERE id = $3 AND balance >= $4 AND balance <= $5 AND (user_owned = 0 OR balance >= $6)",
        )
        .bind(net)
        .bind(now)
        .bind(account.id())
        .bind(low)
        .bind(high)
        .bind(floor)
        .execute(&mut *conn)
        .await?
        .rows_affected();
        if moved == 0 {
            let balance = balance(conn, &account).await?;
            return Err(if account.kind.is_user_owned() && balance < floor {
                PostError::InsufficientFunds { account: account.id() }
            } else {
                PostError::Overflow { account: account.id() }
            });
        }
    }
    for p in tx.postings() {
        sqlx::query(
            "INSERT INTO ledger_postings (transaction_id, account_id, amount, created_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(&id)
        .bind(p.account.id())
        .bind(p.amount)
        .bind(now)
        .execute(&mut *conn)
        .await?;
    }
    Ok(id)
}

/// The stored balance of an account (zero for one never used).
pub async fn balance(conn: &mut AnyConnection, account: &AccountRef) -> sqlx::Result<i64> {
    Ok(sqlx::query("SELECT balance FROM ledger_accounts WHERE id = $1")
        .bind(account.id())
        .fetch_optional(conn)
        .await?
        .map(|r| r.try_get(0))
        .transpose()?
        .unwrap_or(0))
}

/// An account as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountRow {
    pub id: String,
    pub kind: String,
    pub owner_id: String,
    pub currency: String,
    pub user_owned: bool,
    pub balance: i64,
}

fn account_row(r: &sqlx::any::AnyRow) -> sqlx::Result<AccountRow> {
    Ok(AccountRow {
        id: r.try_get(0)?,
        kind: r.try_get(1)?,
        owner_id: r.try_get(2)?,
        currency: r.try_get(3)?,
        user_owned: crate::flag(r.try_get(4)?),
        balance: r.try_get(5)?,
    })
}

/// Every account of one owner (an account's wallets, a shop's balances), by kind and currency.
pub async fn accounts_of(conn: &mut AnyConnection, owner_id: &str) -> sqlx::Result<Vec<AccountRow>> {
    sqlx::query(
        "SELECT id, kind, owner_id, currency, user_owned, balance FROM ledger_accounts \
         WHERE owner_id = $1 ORDER BY kind, currency",
    )
    .bind(owner_id)
    .fetch_all(conn)
    .await?
    .iter()
    .map(account_row)
    .collect()
}

/// What the escrow of a shop's orders holds, per currency: `(currency, amount)`.
pub async fn escrow_of_shop(conn: &mut AnyConnection, shop_id: &str) -> sqlx::Result<Vec<(String, i64)>> {
    sqlx::query(
        "SELECT a.currency, CAST(SUM(a.balance) AS BIGINT) FROM ledger_accounts a \
         JOIN orders o ON o.id = a.owner_id \
         WHERE a.kind = 'order_escrow' AND o.shop_id = $1 AND a.balance <> 0 \
         GROUP BY a.currency ORDER BY a.currency",
    )
    .bind(shop_id)
    .fetch_all(conn)
    .await?
    .iter()
    .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
    .collect()
}

/// One posting with its transaction, for a history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PostingRow {
    pub id: i64,
    pub account_id: String,
    pub amount: i64,
    pub transaction_id: String,
    pub kind: String,
    pub reference: String,
    pub at: i64,
}

/// The postings to the given accounts, newest first, at most `limit`, older than `before` (a
/// posting id) if given.
pub async fn postings_of(
    conn: &mut AnyConnection,
    account_ids: &[String],
    before: Option<i64>,
    limit: i64,
) -> sqlx::Result<Vec<PostingRow>> {
    if account_ids.is_empty() {
        return Ok(vec![]);
    }
    let placeholders: Vec<String> = (0..account_ids.len()).map(|i| format!("${}", i + 3)).collect();
    let sql = format!(
        "SELECT p.id, p.account_id, p.amount, t.id, t.kind, t.reference, p.created_at \
         FROM ledger_postings p JOIN ledger_transactions t ON t.id = p.transaction_id \
         WHERE p.id < $1 AND p.account_id IN ({}) ORDER BY p.id DESC LIMIT $2",
        placeholders.join(", ")
    );
    let mut q = sqlx::query(&sql).bind(before.unwrap_or(i64::MAX)).bind(limit);
    for id in account_ids {
        q = q.bind(id);
    }
    q.fetch_all(conn)
        .await?
        .iter()
        .map(|r| {
            Ok(PostingRow {
                id: r.try_get(0)?,
                account_id: r.try_get(1)?,
                amount: r.try_get(2)?,
                transaction_id: r.try_get(3)?,
                kind: r.try_get(4)?,
                reference: r.try_get(5)?,
                at: r.try_get(6)?,
            })
        })
        .collect()
}

/// Whether a ledger transaction of `kind` was posted for `reference` already (for use cases that
/// must post a movement at most once, such as an order's release).
pub async fn posted(conn: &mut AnyConnection, kind: &str, reference: &str) -> sqlx::Result<bool> {
    Ok(
        sqlx::query("SELECT 1 FROM ledger_transactions WHERE reference = $1 AND kind = $2 LIMIT 1")
            .bind(reference)
            .bind(kind)
            .fetch_optional(conn)
            .await?
            .is_some(),
    )
}

// ---- What `verify` reads ----

/// How many accounts and transactions there are.
pub async fn counts(conn: &mut AnyConnection) -> sqlx::Result<(i64, i64)> {
    let r = sqlx::query("SELECT (SELECT COUNT(*) FROM ledger_accounts), (SELECT COUNT(*) FROM ledger_transactions)")
        .fetch_one(conn)
        .await?;
    Ok((r.try_get(0)?, r.try_get(1)?))
}

/// Transactions whose postings do not sum to zero in some currency, or that have fewer than two
/// postings: `(transaction id, currency, sum, postings)`, the earliest first.
pub async fn unbalanced_transactions(
    conn: &mut AnyConnection,
    limit: i64,
) -> sqlx::Result<Vec<(String, String, i64, i64)>> {
    sqlx::query(
        "SELECT p.transaction_id, a.currency, CAST(SUM(p.amount) AS BIGINT), COUNT(*) \
         FROM ledger_postings p JOIN ledger_accounts a ON a.id = p.account_id \
         GROUP BY p.transaction_id, a.currency \
         HAVING SUM(p.amount) <> 0 ORDER BY MIN(p.id) LIMIT $1",
    )
    .bind(limit)
    .fetch_all(conn)
    .await?
    .iter()
    .map(|r| Ok((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?, r.try_get(3)?)))
    .collect()
}

/// Transactions with no postings or a single one.
pub async fn lonely_transactions(conn: &mut AnyConnection, limit: i64) -> sqlx::Result<Vec<(String, i64)>> {
    sqlx::query(
        "SELECT t.id, COUNT(p.id) FROM ledger_transactions t LEFT JOIN ledger_postings p ON p.transaction_id = t.id \
         GROUP BY t.id HAVING COUNT(p.id) < 2 ORDER BY t.id LIMIT $1",
    )
    .bind(limit)
    .fetch_all(conn)
    .await?
    .iter()
    .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
    .collect()
}

/// Every account with its stored balance and the sum of its postings, where they differ or the
/// account is user-owned and either is below zero: `(account, recomputed)`.
pub async fn suspicious_accounts(conn: &mut AnyConnection, limit: i64) -> sqlx::Result<Vec<(AccountRow, i64)>> {
    sqlx::query(
        "SELECT a.id, a.kind, a.owner_id, a.currency, a.user_owned, a.balance, \
                CAST(COALESCE(SUM(p.amount), 0) AS BIGINT) \
         FROM ledger_accounts a LEFT JOIN ledger_postings p ON p.account_id = a.id \
         GROUP BY a.id, a.kind, a.owner_id, a.currency, a.user_owned, a.balance \
         HAVING a.balance <> COALESCE(SUM(p.amount), 0) \
             OR (a.user_owned <> 0 AND (a.balance < 0 OR COALESCE(SUM(p.amount), 0) < 0)) \
         ORDER BY a.id LIMIT $1",
    )
    .bind(limit)
    .fetch_all(conn)
    .await?
    .iter()
    .map(|r| Ok((account_row(r)?, r.try_get(6)?)))
    .collect()
}

/// Every account, for checking its kind, owner and flag (few columns; the ledger has one account
/// per wallet, shop and order).
pub async fn all_accounts(conn: &mut AnyConnection) -> sqlx::Result<Vec<AccountRow>> {
    sqlx::query("SELECT id, kind, owner_id, currency, user_owned, balance FROM ledger_accounts ORDER BY id")
        .fetch_all(conn)
        .await?
        .iter()
        .map(account_row)
        .collect()
}

/// Orders whose escrow does not match their status: `(order id, status, total, currency, escrow)`.
/// An order that ended (cancelled, completed, refunded) holds nothing in escrow; a prepaid order
/// that is paid or shipped holds exactly its total.
pub async fn escrow_mismatches(
    conn: &mut AnyConnection,
    limit: i64,
) -> sqlx::Result<Vec<(String, String, i64, String, i64)>> {
    sqlx::query(
        "SELECT o.id, o.status, o.total, o.currency, COALESCE(a.balance, 0) FROM orders o \
         LEFT JOIN ledger_accounts a ON a.kind = 'order_escrow' AND a.owner_id = o.id AND a.currency = o.currency \
         WHERE (o.status IN ('cancelled', 'completed', 'refunded') AND COALESCE(a.balance, 0) <> 0) \
            OR (o.status IN ('awaiting_approval', 'pending_payment', 'confirmed') AND COALESCE(a.balance, 0) <> 0) \
            OR (o.payment_method = 'cod' AND COALESCE(a.balance, 0) <> 0) \
            OR (o.status IN ('paid', 'shipped') AND o.payment_method <> 'cod' AND COALESCE(a.balance, 0) <> o.total) \
         ORDER BY o.created_at, o.id LIMIT $1",
    )
    .bind(limit)
    .fetch_all(conn)
    .await?
    .iter()
    .map(|r| {
        Ok((
            r.try_get(0)?,
            r.try_get(1)?,
            r.try_get(2)?,
            r.try_get(3)?,
            r.try_get(4)?,
        ))
    })
    .collect()
}

/// Payments whose status disagrees with the ledger: `(payment, status, receipts)` where a
/// succeeded payment has no transaction that received its money (into escrow or a wallet), or a
/// payment that has not succeeded has one.
pub async fn payments_unlike_postings(
    conn: &mut AnyConnection,
    limit: i64,
) -> sqlx::Result<Vec<(String, String, i64)>> {
    sqlx::query(
        "SELECT p.id, p.status, COUNT(t.id) FROM payments p LEFT JOIN ledger_transactions t \
         ON t.reference = p.id AND t.kind IN ('payment_received', 'top_up', 'wallet_payment') \
         GROUP BY p.id, p.status \
         HAVING (p.status = 'succeeded' AND COUNT(t.id) = 0) OR (p.status <> 'succeeded' AND COUNT(t.id) <> 0) \
         ORDER BY p.id LIMIT $1",
    )
    .bind(limit)
    .fetch_all(conn)
    .await?
    .iter()
    .map(|r| Ok((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?)))
    .collect()
}

/// Escrow accounts in another currency than their order's, with money in them.
pub async fn escrow_in_wrong_currency(conn: &mut AnyConnection, limit: i64) -> sqlx::Result<Vec<String>> {
    sqlx::query(
        "SELECT a.id FROM ledger_accounts a JOIN orders o ON o.id = a.owner_id \
         WHERE a.kind = 'order_escrow' AND a.currency <> o.currency AND a.balance <> 0 ORDER BY a.id LIMIT $1",
    )
    .bind(limit)
    .fetch_all(conn)
    .await?
    .iter()
    .map(|r| r.try_get(0))
    .collect()
}
