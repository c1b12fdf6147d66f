//! Bearer tokens and web sessions: stored only as SHA-256 hashes of the secret.

use sqlx::{AnyConnection, Row};

/// What a token is for.
pub const KIND_API: &str = "api";
pub const KIND_WEB: &str = "web";

#[derive(Debug, Clone)]
pub struct TokenRow {
    pub id: String,
    pub account_id: String,
    pub kind: String,
    pub name: String,
    pub token_hash: String,
    pub created_at: i64,
    pub last_used_at: i64,
    pub expires_at: i64,
}

pub async fn insert(conn: &mut AnyConnection, t: &TokenRow) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO auth_tokens (id, account_id, kind, name, token_hash, created_at, last_used_at, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(&t.id)
    .bind(&t.account_id)
    .bind(&t.kind)
    .bind(&t.name)
    .bind(&t.token_hash)
    .bind(t.created_at)
    .bind(t.last_used_at)
    .bind(t.expires_at)
    .execute(conn)
    .await?;
    Ok(())
}

/// What one request's credential resolves to, read in one statement: the live token, its
/// account, the account's company membership as it stands now, and what pages commonly need of
/// the visitor (the default address).
#[derive(Debug, Clone)]
pub struct SessionRow {
    pub token_id: String,
    pub account_id: String,
    /// When the token was last recorded as used (see [`touch`]).
    pub last_used_at: i64,
    pub email: String,
    pub name: String,
    pub is_operator: bool,
    /// `(company id, role)` when the account belongs to a company.
    pub company: Option<(String, String)>,
    /// The default address's JSON, if the account saved one.
    pub default_address: Option<String>,
}

/// The live token with this hash (unrevoked, unexpired, used since `used_since`), joined with
/// everything a request needs to know about who sent it: one statement per request.
pub async fn session_by_hash(
    conn: &mut AnyConnection,
    token_hash: &str,
    now: i64,
    used_since: i64,
) -> sqlx::Result<Option<SessionRow>> {
    let row = sqlx::query(
        "SELECT t.id, t.account_id, t.last_used_at, a.email, a.name, a.is_operator, m.company_id, m.role,
                (SELECT d.address FROM addresses d WHERE d.account_id = t.account_id AND d.is_default = 1
                 ORDER BY d.created_at, d.id LIMIT 1)
         FROM auth_tokens t
         JOIN accounts a ON a.id = t.account_id
         LEFT JOIN company_members m ON m.account_id = t.account_id
         WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND t.expires_at > $2 AND t.last_used_at > $3",
    )
    .bind(token_hash)
    .bind(now)
    .bind(used_since)
    .fetch_optional(conn)
    .await?;
    let Some(r) = row else {
        return Ok(None);
    };
    let company_id: Option<String> = r.try_get(6)?;
    let role: Option<String> = r.try_get(7)?;
    Ok(Some(SessionRow {
        token_id: r.try_get(0)?,
        account_id: r.try_get(1)?,
        last_used_at: r.try_get(2)?,
        email: r.try_get(3)?,
        name: r.try_get(4)?,
        is_operator: crate::flag(r.try_get(5)?),
        company: company_id.zip(role),
        default_address: r.try_get(8)?,
    }))
}

/// Records that the token was used at `now`, unless it already was at or after `since`: callers
/// skip the statement altogether while the recorded use is recent (see
/// `agora_app::accounts::authenticate`); the condition keeps two nodes from writing it twice.
pub async fn touch(conn: &mut AnyConnection, id: &str, now: i64, since: i64) -> sqlx::Result<()> {
    sqlx::query("UPDATE auth_tokens SET last_used_at = $1 WHERE id = $2 AND last_used_at < $3")
        .bind(now)
        .bind(id)
        .bind(since)
        .execute(conn)
        .await?;
    Ok(())
}

/// The owner's live tokens of `kind` (used since `used_since`), newest first.
pub async fn list_live(
    conn: &mut AnyConnection,
    account_id: &str,
    kind: &str,
    now: i64,
    used_since: i64,
) -> sqlx::Result<Vec<TokenRow>> {
    let rows = sqlx::query(
        "SELECT id, account_id, kind, name, token_hash, created_at, last_used_at, expires_at FROM auth_tokens
         WHERE account_id = $1 AND kind = $2 AND revoked_at IS NULL AND expires_at > $3 AND last_used_at > $4
         ORDER BY created_at DESC, id",
    )
    .bind(account_id)
    .bind(kind)
    .bind(now)
    .bind(used_since)
    .fetch_all(conn)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(TokenRow {
                id: r.try_get(0)?,
                account_id: r.try_get(1)?,
                kind: r.try_get(2)?,
                name: r.try_get(3)?,
                token_hash: r.try_get(4)?,
                created_at: r.try_get(5)?,
                last_used_at: r.try_get(6)?,
                expires_at: r.try_get(7)?,
            })
        })
        .collect()
}

/// Revokes one of the owner's tokens; false when it is not theirs or already gone.
pub async fn revoke(conn: &mut AnyConnection, account_id: &str, id: &str, now: i64) -> sqlx::Result<bool> {
    let done =
        sqlx::query("UPDATE auth_tokens SET revoked_at = $1 WHERE id = $2 AND account_id = $3 AND revoked_at IS NULL")
            .bind(now)
            .bind(id)
            .bind(account_id)
            .execute(conn)
            .await?;
    Ok(done.rows_affected() == 1)
}

/// Revokes every live token of the account except `keep`; returns how many.
pub async fn revoke_all_except(
    conn: &mut AnyConnection,
    account_id: &str,
    keep: Option<&str>,
    now: i64,
) -> sqlx::Result<u64> {
    let done =
        sqlx::query("UPDATE auth_tokens SET revoked_at = $1 WHERE account_id = $2 AND revoked_at IS NULL AND id <> $3")
            .bind(now)
            .bind(account_id)
            .bind(keep.unwrap_or(""))
            .execute(conn)
            .await?;
    Ok(done.rows_affected())
}
