//! Electronic contracts: the canonical document an accepted offer or quote produces, signed with
//! the platform's Ed25519 key (see `agora_docs`), each party's acceptance, and verification.
//!
//! The platform key lives in the database (table `platform_keys`), not in a node's data folder:
//! every `agora serve` process on one PostgreSQL database is one platform and must sign with one
//! key, and nodes need not share a disk. With SQLite the database file is in the data folder
//! anyway. The key is created once, by whichever node needs it first (`ON CONFLICT DO NOTHING`
//! on a fixed id, so two nodes starting together end up with the same key).

use agora_core::audit::AuditAction;
use agora_core::money::Money;
use agora_core::order::PaymentMethod;
use agora_docs::PlatformKey;
use agora_store::accounts as account_store;
use agora_store::companies as company_store;
use agora_store::contracts::{self as store, AcceptanceRow, ContractRow, KeyRow};
use agora_store::shops::ShopRow;
use agora_store::{now_ms, Conn};
use rand::RngCore;
use serde_json::{json, Value};

use super::orders::Item;
use crate::{audit, rfc3339, Actor, App, AppError, AppResult};

/// The fixed id of the platform's key (one key per platform).
const KEY_ID: &str = "platform";

/// The platform's key, created if this is the first time anyone needs it.
pub(crate) async fn platform_key(conn: &mut Conn) -> AppResult<(PlatformKey, String)> {
    if let Some(k) = store::platform_key(conn).await? {
        let key = PlatformKey::from_secret_hex(&k.secret_key)
            .map_err(|e| AppError::Internal(anyhow::anyhow!("the stored platform key: {e}")))?;
        return Ok((key, k.id));
    }
    let mut secret = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut secret);
    let key = PlatformKey::from_secret(secret);
    let row = KeyRow {
        id: KEY_ID.into(),
        secret_key: key.secret_hex(),
        public_key: key.public_hex(),
    };
    if store::insert_platform_key(conn, &row, now_ms()).await? {
        audit::record(
            conn,
            None,
            AuditAction::PlatformKeyCreated,
            KEY_ID,
            json!({"public_key": row.public_key}),
        )
        .await?;
    }
    let k = store::platform_key(conn)
        .await?
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("the platform key vanished")))?;
    let key = PlatformKey::from_secret_hex(&k.secret_key)
        .map_err(|e| AppError::Internal(anyhow::anyhow!("the stored platform key: {e}")))?;
    Ok((key, k.id))
}

/// Creates the platform key on first start (a no-op afterwards); returns its public key in hex.
pub async fn ensure_platform_key(app: &App) -> AppResult<String> {
    let mut tx = app.db.begin().await?;
    let (key, _) = platform_key(&mut tx).await?;
    tx.commit().await?;
    Ok(key.public_hex())
}

/// The platform's public key (hex), which verifies every contract.
pub async fn public_key(app: &App) -> AppResult<String> {
    ensure_platform_key(app).await
}

/// One party's acceptance, as shown.
#[derive(Debug, Clone, serde::Serialize)]
pub struct AcceptanceView {
    /// `buyer` or `seller`.
    pub party: String,
    pub account_id: String,
    /// The id of the login session or API token it came with.
    pub session_id: String,
    pub at: String,
}

/// A contract as its parties see it: the signed document and the proof.
#[derive(Debug, Clone)]
pub struct ContractView {
    pub id: String,
    pub document: Value,
    pub sha256: String,
    pub platform_signature: String,
    pub platform_public_key: String,
    pub acceptances: Vec<AcceptanceView>,
    pub order_id: Option<String>,
    pub source_kind: String,
    pub source_id: String,
    pub created_at: String,
}

impl ContractView {
    /// The self-contained file `agora contract verify` checks offline.
    pub fn file(&self) -> Value {
        json!({
            "id": self.id,
            "document": self.document,
            "sha256": self.sha256,
            "platform_signature": self.platform_signature,
            "platform_public_key": self.platform_public_key,
            "acceptances": self.acceptances,
        })
    }
}

fn acceptance_view(a: &AcceptanceRow) -> AcceptanceView {
    AcceptanceView {
        party: a.party.clone(),
        account_id: a.account_id.clone(),
        session_id: a.session_id.clone(),
        at: rfc3339(a.at),
    }
}

/// What the contract says, gathered by the negotiation or quote that produced it.
#[derive(Debug, Clone)]
pub(crate) struct NewContract {
    pub id: String,
    /// `negotiation` or `quote`.
    pub source_kind: &'static str,
    pub source_id: String,
    pub buyer_account_id: String,
    pub item: Item,
    pub variant_id: String,
    pub quantity: i64,
    pub unit_price: Money,
    pub shipping: Money,
    pub delivery_terms: Option<String>,
    pub lead_time_days: Option<i64>,
    pub payment: PaymentMethod,
    pub shipping_address: Option<Value>,
    pub order_id: String,
    /// The negotiation's rounds, or the quote and its RFQ.
    pub references: Value,
    /// The proposer's acceptance first, then the accepter's.
    pub acceptances: Vec<AcceptanceRow>,
    pub now: i64,
}

/// Builds the document, signs it with the platform's key and stores it with the acceptances, in
/// the caller's transaction.
pub(crate) async fn sign(conn: &mut Conn, shop: &ShopRow, c: NewContract) -> AppResult<ContractView> {
    let buyer = account_store::by_id(conn, &c.buyer_account_id)
        .await?
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("the buyer {} is gone", c.buyer_account_id)))?;
    let company = company_store::membership(conn, &buyer.id)
        .await?
        .map(|(id, name, _)| json!({"id": id, "name": name}));
    let line_total = c
        .unit_price
        .times(u32::try_from(c.quantity).unwrap_or(u32::MAX))
        .map_err(|_| AppError::invalid("quantity", "the total is too large"))?;
    let total = line_total
        .checked_add(c.shipping)
        .map_err(|_| AppError::invalid("quantity", "the total is too large"))?;
    let document = json!({
        "agora_contract": 1,
        "contract_id": c.id,
        "created_at": rfc3339(c.now),
        "source": {"kind": c.source_kind, "id": c.source_id},
        "buyer": {"account_id": buyer.id, "name": buyer.name, "email": buyer.email, "company": company},
        "seller": {"shop_id": shop.id, "name": shop.name, "legal_name": shop.legal_name,
                   "registration_number": shop.registration_number},
        "items": [{
            "product_id": c.item.product_id, "variant_id": c.variant_id, "sku": c.item.sku,
            "title": c.item.title, "variant": c.item.variant_label, "quantity": c.quantity,
            "unit_price": c.unit_price, "line_total": line_total,
        }],
        "shipping": c.shipping,
        "total": total,
        "delivery": {"terms": c.delivery_terms, "lead_time_days": c.lead_time_days, "address": c.shipping_address},
        "payment_method": c.payment.as_str(),
        "order_id": c.order_id,
        "references": c.references,
        "acceptances": c.acceptances.iter().map(acceptance_view).collect::<Vec<_>>(),
    });
    let (key, key_id) = platform_key(conn).await?;
    let signed = key
        .sign(&document)
        .map_err(|e| AppError::Internal(anyhow::anyhow!("the contract document: {e}")))?;
    let row = ContractRow {
        id: c.id.clone(),
        source_kind: c.source_kind.into(),
        source_id: c.source_id.clone(),
        buyer_account_id: c.buyer_account_id.clone(),
        shop_id: shop.id.clone(),
        document: signed.canonical,
        sha256: signed.sha256.clone(),
        platform_signature: signed.signature.clone(),
        platform_key_id: key_id,
        created_at: c.now,
    };
    store::insert(conn, &row).await?;
    for a in &c.acceptances {
        store::insert_acceptance(conn, &c.id, a).await?;
    }
    Ok(ContractView {
        id: c.id,
        document,
        sha256: signed.sha256,
        platform_signature: signed.signature,
        platform_public_key: key.public_hex(),
        acceptances: c.acceptances.iter().map(acceptance_view).collect(),
        order_id: Some(c.order_id),
        source_kind: c.source_kind.into(),
        source_id: c.source_id,
        created_at: rfc3339(c.now),
    })
}

/// Whether the actor is a party to the contract: its buyer, an admin of the buyer's company, the
/// shop's staff (by their current roles), or an operator.
async fn may_see(conn: &mut Conn, actor: &Actor, row: &ContractRow) -> AppResult<bool> {
    if row.buyer_account_id == actor.account_id || actor.is_operator {
        return Ok(true);
    }
    if let Some((company, _, _)) = company_store::membership(conn, &row.buyer_account_id).await? {
        if actor.role_in(&company) == Some(agora_core::account::CompanyRole::Admin) {
            return Ok(true);
        }
    }
    let shop = super::shop(conn, &row.shop_id).await?;
    Ok(super::runs(actor, &shop))
}

async fn load(conn: &mut Conn, id: &str) -> AppResult<ContractView> {
    let (row, public_key) = store::by_id(conn, id).await?.ok_or(AppError::NotFound("contract"))?;
    let acceptances = store::acceptances(conn, id).await?;
    let order_id = store::order_of(conn, id).await?;
    let document: Value = serde_json::from_str(&row.document)
        .map_err(|e| AppError::Internal(anyhow::anyhow!("contract {id} holds no JSON: {e}")))?;
    Ok(ContractView {
        id: row.id,
        document,
        sha256: row.sha256,
        platform_signature: row.platform_signature,
        platform_public_key: public_key,
        acceptances: acceptances.iter().map(acceptance_view).collect(),
        order_id,
        source_kind: row.source_kind,
        source_id: row.source_id,
        created_at: rfc3339(row.created_at),
    })
}

/// One contract, for its parties; anyone else gets 404.
pub async fn get(app: &App, actor: &Actor, id: &str) -> AppResult<ContractView> {
    let mut conn = app.db.conn().await?;
    let (row, _) = store::by_id(&mut conn, id)
        .await?
        .ok_or(AppError::NotFound("contract"))?;
    if !may_see(&mut conn, actor, &row).await? {
        return Err(AppError::NotFound("contract"));
    }
    load(&mut conn, id).await
}

/// Whether the stored contract still matches its hash and the platform's signature.
pub async fn verify(app: &App, actor: &Actor, id: &str) -> AppResult<Result<(), agora_docs::VerifyError>> {
    let contract = get(app, actor, id).await?;
    let platform = public_key(app).await?;
    // The stored text is checked, not the parsed copy: an edit of the row must show.
    let mut conn = app.db.conn().await?;
    let (row, _) = store::by_id(&mut conn, id)
        .await?
        .ok_or(AppError::NotFound("contract"))?;
    let stored: Value = match serde_json::from_str(&row.document) {
        Ok(v) => v,
        Err(_) => return Ok(Err(agora_docs::VerifyError::Missing("document"))),
    };
    if agora_docs::canonical(&stored).ok().as_deref() != Some(row.document.as_bytes()) {
        return Ok(Err(agora_docs::VerifyError::HashMismatch {
            claimed: row.sha256,
            actual: agora_docs::sha256_hex(row.document.as_bytes()),
        }));
    }
    let mut file = contract.file();
    file["document"] = stored;
    Ok(agora_docs::verify(&file, Some(&platform)))
}
