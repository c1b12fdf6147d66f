//! Deals: offers and counter-offers on a listing ([`negotiations`]), requests for quotation and
//! their quotes ([`rfqs`]), and the signed contract and order an accepted offer or quote becomes
//! ([`contracts`], [`orders`]). Every move is written with its audit entry and a typed outbox
//! event naming the accounts to tell, for the chat's live push; emails go through [`emails`].

pub(crate) mod chat_events;
pub mod contracts;
pub mod emails;
pub mod moves;
pub mod negotiations;
pub mod offer_settings;
pub(crate) mod orders;
pub mod quote_moves;
pub mod quote_questions;
pub mod quotes;
pub mod rfqs;

use agora_core::account::CompanyRole;
use agora_store::negotiations as store;
use agora_store::shops::{self as shop_store, ShopRow};
use agora_store::Conn;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use crate::{Actor, AppError, AppResult};

/// The accounts that run a shop today (see [`Actor::may_run_shop`]).
pub(crate) async fn shop_staff(conn: &mut Conn, shop_id: &str) -> AppResult<Vec<String>> {
    let roles: Vec<&str> = CompanyRole::ALL
        .iter()
        .filter(|r| r.may_run_shop())
        .map(|r| r.as_str())
        .collect();
    Ok(store::shop_staff(conn, shop_id, &roles).await?)
}

/// The shop, which must exist (it is referenced by a stored row).
pub(crate) async fn shop(conn: &mut Conn, shop_id: &str) -> AppResult<ShopRow> {
    shop_store::by_id(conn, shop_id)
        .await?
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("shop {shop_id} is gone")))
}

/// An RFC 3339 time sent by a client, in Unix milliseconds.
pub(crate) fn parse_time(field: &str, raw: &str) -> AppResult<i64> {
    OffsetDateTime::parse(raw.trim(), &Rfc3339)
        .ok()
        .and_then(|t| i64::try_from(t.unix_timestamp_nanos() / 1_000_000).ok())
        .ok_or_else(|| AppError::invalid(field, "must be a time like 2027-01-31T12:00:00Z"))
}

/// The accounts to tell about a move: the buyer and the shop's staff, once each.
pub(crate) fn both_sides(buyer: &str, staff: Vec<String>) -> Vec<String> {
    let mut notify = vec![buyer.to_owned()];
    for s in staff {
        if !notify.contains(&s) {
            notify.push(s);
        }
    }
    notify
}

/// Whether the actor runs this shop today.
pub(crate) fn runs(actor: &Actor, shop: &ShopRow) -> bool {
    actor.may_run_shop(&shop.owner_account_id, shop.company_id.as_deref())
}
