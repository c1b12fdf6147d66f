//! A buyer's address book: saved delivery addresses, one of them the default, to choose at
//! checkout instead of typing. Each account sees and changes only its own: another account's
//! address is 404.

use agora_core::address::{Address, AddressInput};
use agora_core::audit::AuditAction;
use agora_store::addresses::{self as store, AddressRow};
use agora_store::{new_id, now_ms, Conn};

use crate::{audit, rfc3339, Actor, App, AppError, AppResult};

/// The most addresses one account may save.
pub const MAX_ADDRESSES: usize = 50;

/// A saved address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddressView {
    pub id: String,
    pub address: Address,
    pub is_default: bool,
    pub created_at: String,
}

fn view_of(row: AddressRow) -> AppResult<AddressView> {
    let address = serde_json::from_str(&row.address)
        .map_err(|e| AppError::Internal(anyhow::anyhow!("stored address {}: {e}", row.id)))?;
    Ok(AddressView {
        id: row.id,
        address,
        is_default: row.is_default,
        created_at: rfc3339(row.created_at),
    })
}

fn json(address: &Address) -> AppResult<String> {
    serde_json::to_string(address).map_err(|e| AppError::Internal(e.into()))
}

/// The actor's addresses: the default first, then oldest first.
pub async fn list(app: &App, actor: &Actor) -> AppResult<Vec<AddressView>> {
    let mut conn = app.db.conn().await?;
    store::of_account(&mut conn, &actor.account_id)
        .await?
        .into_iter()
        .map(view_of)
        .collect()
}

/// One of the actor's addresses.
pub async fn get(app: &App, actor: &Actor, id: &str) -> AppResult<AddressView> {
    let mut conn = app.db.conn().await?;
    let row = store::by_id(&mut conn, &actor.account_id, id)
        .await?
        .ok_or(AppError::NotFound("address"))?;
    view_of(row)
}

async fn record(conn: &mut Conn, actor: &Actor, action: AuditAction, id: &str) -> AppResult<()> {
    // Who saved which address; the address itself is personal data and stays out of the log.
    audit::record(conn, Some(&actor.account_id), action, id, serde_json::json!({})).await?;
    Ok(())
}

/// Saves a new address (each bad field named as `address.…`); the first one, or one saved with
/// `make_default`, becomes the default.
pub async fn create(app: &App, actor: &Actor, input: AddressInput<'_>, make_default: bool) -> AppResult<AddressView> {
    let address = Address::parse("address", input)?;
    let now = now_ms();
    let mut tx = app.db.begin().await?;
    tx.leaves_storefront_alone();
    let existing = store::of_account(&mut tx, &actor.account_id).await?;
    if existing.len() >= MAX_ADDRESSES {
        return Err(AppError::invalid(
            "address",
            format!("you can save up to {MAX_ADDRESSES} addresses: delete one first"),
        ));
    }
    let row = AddressRow {
        id: new_id("adr"),
        account_id: actor.account_id.clone(),
        address: json(&address)?,
        is_default: false,
        created_at: now,
        updated_at: now,
    };
    store::insert(&mut tx, &row).await?;
    let is_default = make_default || !existing.iter().any(|a| a.is_default);
    if is_default {
        store::set_default(&mut tx, &actor.account_id, &row.id).await?;
    }
    record(&mut tx, actor, AuditAction::AddressSaved, &row.id).await?;
    tx.commit().await?;
    view_of(AddressRow { is_default, ..row })
}

/// Changes one of the actor's addresses; with `make_default`, it also becomes the default.
pub async fn update(
    app: &App,
    actor: &Actor,
    id: &str,
    input: AddressInput<'_>,
    make_default: bool,
) -> AppResult<AddressView> {
    let address = Address::parse("address", input)?;
    let now = now_ms();
    let mut tx = app.db.begin().await?;
    tx.leaves_storefront_alone();
    if !store::update(&mut tx, &actor.account_id, id, &json(&address)?, now).await? {
        return Err(AppError::NotFound("address"));
    }
    if make_default {
        store::set_default(&mut tx, &actor.account_id, id).await?;
    }
    record(&mut tx, actor, AuditAction::AddressSaved, id).await?;
    let row = store::by_id(&mut tx, &actor.account_id, id)
        .await?
        .ok_or(AppError::NotFound("address"))?;
    tx.commit().await?;
    view_of(row)
}

/// Makes one of the actor's addresses the default.
pub async fn make_default(app: &App, actor: &Actor, id: &str) -> AppResult<AddressView> {
    let mut tx = app.db.begin().await?;
    tx.leaves_storefront_alone();
    let row = store::by_id(&mut tx, &actor.account_id, id)
        .await?
        .ok_or(AppError::NotFound("address"))?;
    store::set_default(&mut tx, &actor.account_id, id).await?;
    record(&mut tx, actor, AuditAction::AddressSaved, id).await?;
    tx.commit().await?;
    view_of(AddressRow {
        is_default: true,
        ..row
    })
}

/// Deletes one of the actor's addresses. Orders keep the address they were shipped to.
pub async fn delete(app: &App, actor: &Actor, id: &str) -> AppResult<()> {
    let mut tx = app.db.begin().await?;
    tx.leaves_storefront_alone();
    if !store::delete(&mut tx, &actor.account_id, id).await? {
        return Err(AppError::NotFound("address"));
    }
    record(&mut tx, actor, AuditAction::AddressDeleted, id).await?;
    tx.commit().await?;
    Ok(())
}

/// The address a checkout ships to when none was typed: the saved one with `id` (404 when it is
/// not the actor's), else the actor's default; with neither, the typed (blank) address's errors.
pub(crate) async fn for_checkout(
    conn: &mut Conn,
    actor: &Actor,
    id: Option<&str>,
    typed: AddressInput<'_>,
) -> AppResult<Address> {
    let row = match id {
        Some(id) => Some(
            store::by_id(conn, &actor.account_id, id)
                .await?
                .ok_or(AppError::NotFound("address"))?,
        ),
        None => store::default_of(conn, &actor.account_id).await?,
    };
    match row {
        Some(row) => Ok(view_of(row)?.address),
        None => Ok(Address::parse("shipping_address", typed)?),
    }
}
