//! Accounts, logins and tokens as the API shows them.

use agora_app::accounts as app;
use agora_core::account::{AccountKind, CompanyRole};
use serde::Serialize;
use utoipa::ToSchema;

use super::each;

/// An account as its owner sees it (`GET /me`).
#[derive(Debug, Serialize, ToSchema)]
pub struct AccountView {
    pub id: String,
    pub email: String,
    pub name: String,
    #[schema(value_type = String, example = "individual")]
    pub kind: AccountKind,
    pub company: Option<CompanyRef>,
    /// Platform roles: `buyer` for everyone, `seller` with an approved shop, `operator`.
    pub roles: Vec<String>,
    pub shops: Vec<AccountShop>,
    pub created_at: String,
}

impl From<app::AccountView> for AccountView {
    fn from(a: app::AccountView) -> Self {
        Self {
            id: a.id,
            email: a.email,
            name: a.name,
            kind: a.kind,
            company: a.company.map(CompanyRef::from),
            roles: a.roles,
            shops: each(a.shops),
            created_at: a.created_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CompanyRef {
    pub id: String,
    pub name: String,
    #[schema(value_type = String, example = "admin")]
    pub role: CompanyRole,
}

impl From<app::CompanyRef> for CompanyRef {
    fn from(c: app::CompanyRef) -> Self {
        Self {
            id: c.id,
            name: c.name,
            role: c.role,
        }
    }
}

/// A shop the account runs or works for, with its review status.
#[derive(Debug, Serialize, ToSchema)]
pub struct AccountShop {
    pub id: String,
    pub name: String,
    pub slug: String,
    /// `pending`, `info_requested`, `approved` or `rejected`.
    pub status: String,
}

impl From<app::ShopRef> for AccountShop {
    fn from(s: app::ShopRef) -> Self {
        Self {
            id: s.id,
            name: s.name,
            slug: s.slug,
            status: s.status,
        }
    }
}

/// A new login: the secret is shown once and never stored.
#[derive(Debug, Serialize, ToSchema)]
pub struct LoginView {
    pub token: String,
    pub account: AccountView,
}

impl From<app::LoginView> for LoginView {
    fn from(l: app::LoginView) -> Self {
        Self {
            token: l.token,
            account: l.account.into(),
        }
    }
}

/// A token as its owner sees it in a list (never the secret).
#[derive(Debug, Serialize, ToSchema)]
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

impl From<app::TokenView> for TokenView {
    fn from(t: app::TokenView) -> Self {
        Self {
            id: t.id,
            name: t.name,
            kind: t.kind,
            created_at: t.created_at,
            last_used_at: t.last_used_at,
            expires_at: t.expires_at,
            current: t.current,
        }
    }
}

/// A newly created API token, with its secret (shown once).
#[derive(Debug, Serialize, ToSchema)]
pub struct NewTokenView {
    pub token: String,
    #[serde(flatten)]
    pub info: TokenView,
}

impl From<app::NewTokenView> for NewTokenView {
    fn from(t: app::NewTokenView) -> Self {
        Self {
            token: t.token,
            info: t.info.into(),
        }
    }
}
