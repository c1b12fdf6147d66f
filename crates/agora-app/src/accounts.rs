//! Registration, login and logout, bearer tokens and web sessions, password changes.

use agora_core::account::{AccountKind, CompanyRole, Email, Password, Registration, RegistrationInput};
use agora_core::audit::AuditAction;
use agora_core::events::Event;
use agora_core::{text, ValidationErrors};
use agora_store::accounts::AccountRow;
use agora_store::tokens::{TokenRow, KIND_API, KIND_WEB};
use agora_store::{accounts, companies, new_id, now_ms, outbox, shops, tokens, Conn};
use base64::Engine as _;
use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::{audit, passwords, rfc3339, throttle, Actor, App, AppError, AppResult};

/// An account as its owner sees it (`GET /me`).
#[derive(Debug, Clone)]
pub struct AccountView {
    pub id: String,
    pub email: String,
    pub name: String,
    pub kind: AccountKind,
    pub company: Option<CompanyRef>,
    /// Platform roles: `buyer` for everyone, `seller` with an approved shop, `operator`.
    pub roles: Vec<String>,
    pub shops: Vec<ShopRef>,
    pub created_at: String,
}

/// The company an account belongs to, and its role there.
#[derive(Debug, Clone)]
pub struct CompanyRef {
    pub id: String,
    pub name: String,
    pub role: CompanyRole,
}

/// A shop the account runs or works for.
#[derive(Debug, Clone)]
pub struct ShopRef {
    pub id: String,
    pub name: String,
    pub slug: String,
    pub status: String,
}

/// A new login: the secret is shown once and never stored.
#[derive(Debug, Clone)]
pub struct LoginView {
    pub token: String,
    pub account: AccountView,
}

/// A token as its owner sees it in a list (never the secret).
#[derive(Debug, Clone)]
pub struct TokenView {
    pub id: String,
    pub name: String,
    /// `api` (a bearer token) or `web` (a browser session).
    pub kind: String,
    pub created_at: String,
    pub last_used_at: String,
    pub expires_at: String,
    /// Whether this is the token of the request that listed it.
    pub current: bool,
}

/// A newly created API token, with its secret (shown once).
#[derive(Debug, Clone)]
pub struct NewTokenView {
    pub token: String,
    pub info: TokenView,
}

/// Where a login comes from: its kind decides what the token is listed as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Channel {
    Api,
    Web,
}

/// 256 random bits, URL-safe: the secret of a token or session.
fn new_secret() -> String {
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

fn hash_secret(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// Registers an account for a visitor at `client` (an address): registrations are rate-limited per
/// address, counting only well-formed ones.
pub async fn register_from(app: &App, client: &str, input: RegistrationInput<'_>) -> AppResult<AccountView> {
    let claim = throttle::claim_registration(app, client, now_ms()).await?;
    let result = register(app, input).await;
    if let Err(AppError::Invalid(_) | AppError::Busy { .. }) = &result {
        throttle::give_back_registration(app, &claim).await?;
    }
    result
}

/// Registers an account. An email that is taken gets the same answer as a new one (and its owner
/// is told through the outbox), so registration reveals nothing about who has an account.
pub async fn register(app: &App, input: RegistrationInput<'_>) -> AppResult<AccountView> {
    let reg = Registration::parse(input)?;
    let password_hash = passwords::hash(app, reg.password.expose().to_owned()).await?;
    let now = now_ms();
    let account = AccountRow {
        id: new_id("acc"),
        email: reg.email.as_str().to_owned(),
        name: reg.name.clone(),
        kind: reg.kind.as_str().to_owned(),
        password_hash,
        is_operator: false,
        created_at: now,
    };
    let mut tx = app.db.begin().await?;
    tx.leaves_storefront_alone();
    if let Err(err) = accounts::insert(&mut tx, &account).await {
        if !agora_store::is_unique_violation(&err) {
            return Err(err.into());
        }
        drop(tx);
        let mut tx = app.db.begin().await?;
        tx.leaves_storefront_alone();
        let event = Event::RegistrationAttempted {
            email: account.email.clone(),
        };
        outbox::publish(&mut tx, &event, now).await?;
        tx.commit().await?;
        return Ok(unsaved_view(&account, reg.company_name));
    }
    let mut company = None;
    if let Some(company_name) = &reg.company_name {
        let company_id = new_id("com");
        companies::insert(&mut tx, &company_id, company_name, now).await?;
        companies::add_member(&mut tx, &company_id, &account.id, CompanyRole::Admin.as_str(), now).await?;
        company = Some(company_id);
    }
    let data = serde_json::json!({ "email": account.email, "kind": account.kind, "company": company });
    audit::record(
        &mut tx,
        Some(&account.id),
        AuditAction::AccountRegistered,
        &account.id,
        data,
    )
    .await?;
    let view = view_of(&mut tx, &account).await?;
    tx.commit().await?;
    Ok(view)
}

/// What registration answers for an email that is already taken: the same shape as a success.
fn unsaved_view(account: &AccountRow, company_name: Option<String>) -> AccountView {
    AccountView {
        id: account.id.clone(),
        email: account.email.clone(),
        name: account.name.clone(),
        kind: account.kind.parse().unwrap_or(AccountKind::Individual),
        company: company_name.map(|name| CompanyRef {
            id: new_id("com"),
            name,
            role: CompanyRole::Admin,
        }),
        roles: vec!["buyer".into()],
        shops: vec![],
        created_at: rfc3339(account.created_at),
    }
}

/// Logs in with email and password from `client` (an address, for rate limiting).
pub async fn login(app: &App, email: &str, password: &str, client: &str, channel: Channel) -> AppResult<LoginView> {
    let wrong = || AppError::Unauthenticated;
    // Parse leniently: a malformed email is simply a wrong login, said the same way.
    let email = Email::parse(email)
        .map(|e| e.as_str().to_owned())
        .unwrap_or_else(|_| email.trim().to_lowercase());
    if email.len() > 254 || password.len() > 4 * Password::MAX_CHARS {
        return Err(wrong());
    }
    let now = now_ms();
    let attempt = throttle::claim_login(app, &email, client, now).await?;
    tokio::time::sleep(attempt.delay(app)).await;
    let mut conn = app.db.conn().await?;
    let account = accounts::by_email(&mut conn, &email).await?;
    drop(conn);
    let hash = account.as_ref().map(|a| a.password_hash.clone());
    let ok = match passwords::verify(app, password.to_owned(), hash).await {
        Ok(ok) => ok,
        Err(err) => {
            attempt.give_back(&mut *app.db.conn().await?).await?;
            return Err(err);
        }
    };
    let mut tx = app.db.begin().await?;
    tx.leaves_storefront_alone();
    let Some(account) = account.filter(|_| ok) else {
        attempt.failed(&mut tx, app, now).await?;
        if attempt.was_last_allowed(app) {
            let data = serde_json::json!({ "email": email, "client": client });
            audit::record(&mut tx, None, AuditAction::LoginFailureBurst, &email, data).await?;
        }
        tx.commit().await?;
        return Err(wrong());
    };
    attempt.succeeded(&mut tx).await?;
    let kind = match channel {
        Channel::Api => KIND_API,
        Channel::Web => KIND_WEB,
    };
    let (secret, _) = issue_token(&mut tx, app, &account.id, kind, "login", now).await?;
    audit::record(
        &mut tx,
        Some(&account.id),
        AuditAction::AccountLoggedIn,
        &account.id,
        serde_json::json!({ "via": kind }),
    )
    .await?;
    let view = view_of(&mut tx, &account).await?;
    tx.commit().await?;
    Ok(LoginView {
        token: secret,
        account: view,
    })
}

async fn issue_token(
    conn: &mut Conn,
    app: &App,
    account_id: &str,
    kind: &str,
    name: &str,
    now: i64,
) -> AppResult<(String, TokenRow)> {
    let secret = new_secret();
    let row = TokenRow {
        id: new_id("tok"),
        account_id: account_id.to_owned(),
        kind: kind.to_owned(),
        name: name.to_owned(),
        token_hash: hash_secret(&secret),
        created_at: now,
        last_used_at: now,
        expires_at: now + app.settings.session_ttl_ms,
    };
    tokens::insert(conn, &row).await?;
    Ok((secret, row))
}

/// Resolves a bearer token or session secret to its account; `None` when it is unknown, revoked or
/// expired. Pages and the API share it, and it costs one statement: the token, its account, the
/// account's company role as it stands now and its default address are read together (so a
/// revoked token, or a member removed or demoted, loses its rights on the very next request).
/// The use is recorded with a second statement only when the recorded one has grown stale (see
/// [`agora_core::session`]).
pub async fn authenticate(app: &App, secret: &str) -> AppResult<Option<Actor>> {
    if secret.is_empty() || secret.len() > 128 {
        return Ok(None);
    }
    let now = now_ms();
    let idle = app.settings.session_idle_ms;
    let mut conn = app.db.conn().await?;
    let Some(row) = tokens::session_by_hash(&mut conn, &hash_secret(secret), now, now - idle).await? else {
        return Ok(None);
    };
    if agora_core::session::touch_due(row.last_used_at, now, idle) {
        let since = now - agora_core::session::touch_interval(idle);
        tokens::touch(&mut conn, &row.token_id, now, since).await?;
    }
    let company = row
        .company
        .and_then(|(id, role)| role.parse::<CompanyRole>().ok().map(|role| (id, role)));
    // An address that does not read is no reason to refuse the request: it only has no country.
    let default_country = row
        .default_address
        .and_then(|json| serde_json::from_str::<agora_core::address::Address>(&json).ok())
        .map(|a| a.country);
    Ok(Some(Actor {
        account_id: row.account_id,
        email: row.email,
        name: row.name,
        is_operator: row.is_operator,
        token_id: row.token_id,
        company,
        default_country,
    }))
}

/// Ends the session or token the request came with.
pub async fn logout(app: &App, actor: &Actor) -> AppResult<()> {
    let now = now_ms();
    let mut tx = app.db.begin().await?;
    tx.leaves_storefront_alone();
    tokens::revoke(&mut tx, &actor.account_id, &actor.token_id, now).await?;
    audit::record(
        &mut tx,
        Some(&actor.account_id),
        AuditAction::AccountLoggedOut,
        &actor.account_id,
        serde_json::json!({}),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// The actor's own account.
pub async fn me(app: &App, actor: &Actor) -> AppResult<AccountView> {
    let mut conn = app.db.conn().await?;
    let account = accounts::by_id(&mut conn, &actor.account_id)
        .await?
        .ok_or(AppError::Unauthenticated)?;
    view_of(&mut conn, &account).await
}

async fn view_of(conn: &mut Conn, account: &AccountRow) -> AppResult<AccountView> {
    let company = companies::membership(conn, &account.id)
        .await?
        .and_then(|(id, name, role)| role.parse().ok().map(|role| CompanyRef { id, name, role }));
    let membership = company.as_ref().map(|c: &CompanyRef| (c.id.as_str(), c.role));
    let run: Vec<_> = shops::for_account(conn, &account.id)
        .await?
        .into_iter()
        .filter(|s| agora_core::shop::may_run(&account.id, membership, &s.owner_account_id, s.company_id.as_deref()))
        .collect();
    let sells = run.iter().any(|s| s.status.is_public());
    let shops: Vec<ShopRef> = run
        .into_iter()
        .map(|s| ShopRef {
            id: s.id,
            name: s.name,
            slug: s.slug,
            status: s.status.to_string(),
        })
        .collect();
    let mut roles = vec!["buyer".to_owned()];
    if sells {
        roles.push("seller".into());
    }
    if account.is_operator {
        roles.push("operator".into());
    }
    Ok(AccountView {
        id: account.id.clone(),
        email: account.email.clone(),
        name: account.name.clone(),
        kind: account.kind.parse().map_err(|e: String| anyhow::anyhow!(e))?,
        company,
        roles,
        shops,
        created_at: rfc3339(account.created_at),
    })
}

/// An API token that a password change revoked, named so its owner can replace it.
#[derive(Debug, Clone)]
pub struct RevokedToken {
    pub name: String,
    pub created_at: String,
}

/// Changes the actor's password; every other session and token of the account stops working.
/// Returns the API tokens that were revoked (browser sessions are not listed), newest first.
pub async fn change_password(app: &App, actor: &Actor, current: &str, new: &str) -> AppResult<Vec<RevokedToken>> {
    let new = Password::parse(new).map_err(|m| AppError::invalid("new_password", m))?;
    let mut conn = app.db.conn().await?;
    let account = accounts::by_id(&mut conn, &actor.account_id)
        .await?
        .ok_or(AppError::Unauthenticated)?;
    drop(conn);
    if !passwords::verify(app, current.to_owned(), Some(account.password_hash)).await? {
        return Err(AppError::invalid("current_password", "is not your current password"));
    }
    let hash = passwords::hash(app, new.expose().to_owned()).await?;
    let now = now_ms();
    let mut tx = app.db.begin().await?;
    tx.leaves_storefront_alone();
    accounts::set_password_hash(&mut tx, &actor.account_id, &hash).await?;
    let api_tokens: Vec<RevokedToken> = tokens::list_live(&mut tx, &actor.account_id, KIND_API, now, i64::MIN)
        .await?
        .into_iter()
        .filter(|t| t.id != actor.token_id)
        .map(|t| RevokedToken {
            name: t.name,
            created_at: rfc3339(t.created_at),
        })
        .collect();
    let revoked = tokens::revoke_all_except(&mut tx, &actor.account_id, Some(&actor.token_id), now).await?;
    let data = serde_json::json!({ "revoked_sessions": revoked });
    audit::record(
        &mut tx,
        Some(&actor.account_id),
        AuditAction::AccountPasswordChanged,
        &actor.account_id,
        data,
    )
    .await?;
    tx.commit().await?;
    Ok(api_tokens)
}

fn token_view(t: TokenRow, current_id: &str) -> TokenView {
    TokenView {
        current: t.id == current_id,
        id: t.id,
        name: t.name,
        kind: t.kind,
        created_at: rfc3339(t.created_at),
        last_used_at: rfc3339(t.last_used_at),
        expires_at: rfc3339(t.expires_at),
    }
}

/// The actor's live API tokens and browser sessions, newest first.
pub async fn list_tokens(app: &App, actor: &Actor) -> AppResult<Vec<TokenView>> {
    let now = now_ms();
    let mut conn = app.db.conn().await?;
    let used_since = now - app.settings.session_idle_ms;
    let mut all = tokens::list_live(&mut conn, &actor.account_id, KIND_API, now, used_since).await?;
    all.extend(tokens::list_live(&mut conn, &actor.account_id, KIND_WEB, now, used_since).await?);
    all.sort_by(|a, b| b.created_at.cmp(&a.created_at).then_with(|| a.id.cmp(&b.id)));
    Ok(all.into_iter().map(|t| token_view(t, &actor.token_id)).collect())
}

/// Creates a named API token for scripts and integrations.
pub async fn create_token(app: &App, actor: &Actor, name: &str) -> AppResult<NewTokenView> {
    let name = text::bounded(name, 1, 100, false).map_err(|m| AppError::invalid("name", m))?;
    let now = now_ms();
    let mut tx = app.db.begin().await?;
    tx.leaves_storefront_alone();
    let (secret, row) = issue_token(&mut tx, app, &actor.account_id, KIND_API, &name, now).await?;
    audit::record(
        &mut tx,
        Some(&actor.account_id),
        AuditAction::TokenCreated,
        &row.id,
        serde_json::json!({ "name": name }),
    )
    .await?;
    tx.commit().await?;
    Ok(NewTokenView {
        token: secret,
        info: token_view(row, &actor.token_id),
    })
}

/// Revokes one of the actor's tokens or sessions (404 when it is not theirs).
pub async fn revoke_token(app: &App, actor: &Actor, token_id: &str) -> AppResult<()> {
    let mut tx = app.db.begin().await?;
    tx.leaves_storefront_alone();
    if !tokens::revoke(&mut tx, &actor.account_id, token_id, now_ms()).await? {
        return Err(AppError::NotFound("token"));
    }
    audit::record(
        &mut tx,
        Some(&actor.account_id),
        AuditAction::TokenRevoked,
        token_id,
        serde_json::json!({}),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Creates a platform operator (the first one comes from the command line), or makes an existing
/// account with that email one after checking its password.
pub async fn create_operator(app: &App, email: &str, password: &str, name: &str) -> AppResult<String> {
    let mut errors = ValidationErrors::new();
    let email = errors.check("email", Email::parse(email));
    let password = errors.check("password", Password::parse(password));
    errors.clone().into_result()?;
    let (email, password) = (email.expect("checked"), password.expect("checked"));
    let mut conn = app.db.conn().await?;
    let existing = accounts::by_email(&mut conn, email.as_str()).await?;
    drop(conn);
    let now = now_ms();
    let account_id = match existing {
        Some(account) => {
            if !passwords::verify(app, password.expose().to_owned(), Some(account.password_hash)).await? {
                return Err(AppError::invalid(
                    "password",
                    "does not match the existing account's password",
                ));
            }
            account.id
        }
        None => {
            let id = new_id("acc");
            let row = AccountRow {
                id: id.clone(),
                email: email.as_str().to_owned(),
                name: name.to_owned(),
                kind: AccountKind::Individual.as_str().to_owned(),
                password_hash: passwords::hash(app, password.expose().to_owned()).await?,
                is_operator: true,
                created_at: now,
            };
            let mut tx = app.db.begin().await?;
            tx.leaves_storefront_alone();
            accounts::insert(&mut tx, &row).await?;
            tx.commit().await?;
            id
        }
    };
    let mut tx = app.db.begin().await?;
    tx.leaves_storefront_alone();
    accounts::set_operator(&mut tx, &account_id).await?;
    audit::record(
        &mut tx,
        None,
        AuditAction::AccountMadeOperator,
        &account_id,
        serde_json::json!({ "email": email.as_str() }),
    )
    .await?;
    tx.commit().await?;
    Ok(account_id)
}

/// Prepares what the first login would otherwise compute.
pub fn warm_up() {
    passwords::warm_up();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_carry_256_bits_and_are_stored_hashed() {
        let a = new_secret();
        assert_eq!(a.len(), 43);
        assert_ne!(a, new_secret());
        assert_eq!(hash_secret(&a).len(), 64);
        assert_ne!(hash_secret(&a), a);
    }
}
