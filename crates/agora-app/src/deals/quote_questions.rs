//! Questions about a quote: the conversation between an RFQ's buyer and a quoting shop about that
//! RFQ, opened by either side on first use and found again afterwards. Who may ask follows the
//! conversation rules by current roles: the buyer (or a colleague who buys for the buyer's
//! company) and the quoting shop's staff; anyone else gets a 404.

use agora_core::audit::AuditAction;
use agora_core::conversation::{self as rules, Member, Parties};
use agora_store::conversations::{self as conversation_store, NewConversation};
use agora_store::rfqs::{self as store, RfqRow};
use agora_store::shops::ShopRow;
use agora_store::{new_id, now_ms, Conn};
use serde_json::json;

use crate::conversations::{self, ConversationView};
use crate::{audit, Actor, App, AppError, AppResult};

/// The conversation about a quote, and whether this call opened it.
#[derive(Debug, Clone)]
pub struct QuoteConversation {
    pub conversation: ConversationView,
    pub created: bool,
}

/// Whether the actor may talk about a quote of `shop` on `rfq`: on the buyer's side or the shop's.
pub(crate) fn may_ask(actor: &Actor, rfq: &RfqRow, shop: &ShopRow) -> bool {
    let member = Member {
        account_id: &actor.account_id,
        company: actor.company.as_ref().map(|(id, role)| (id.as_str(), *role)),
    };
    let parties = Parties {
        buyer_account_id: &rfq.buyer_account_id,
        buyer_company_id: rfq.company_id.as_deref(),
        shop_owner_account_id: &shop.owner_account_id,
        shop_company_id: shop.company_id.as_deref(),
    };
    rules::side_of(member, parties).is_some()
}

/// Checks the RFQ a conversation opened with `shop_id` is about: it exists, the actor acts for its
/// buyer, and the shop quoted on it or was invited to it; 404 otherwise.
pub(crate) async fn check_topic(conn: &mut Conn, actor: &Actor, rfq_id: &str, shop_id: &str) -> AppResult<()> {
    let rfq = store::by_id(conn, rfq_id).await?.ok_or(AppError::NotFound("rfq"))?;
    let shop = super::shop(conn, shop_id).await?;
    let buyer_side = may_ask(actor, &rfq, &shop) && !super::runs(actor, &shop);
    if !buyer_side || !store::quoted_or_invited(conn, rfq_id, shop_id).await? {
        return Err(AppError::NotFound("rfq"));
    }
    Ok(())
}

/// Opens (or finds) the conversation about a quote, for the RFQ's buyer side or the quoting
/// shop's staff.
pub async fn open(app: &App, actor: &Actor, quote_id: &str) -> AppResult<QuoteConversation> {
    let mut tx = app.db.begin().await?;
    let quote = store::quote_by_id(&mut tx, quote_id)
        .await?
        .ok_or(AppError::NotFound("quote"))?;
    let rfq = store::by_id(&mut tx, &quote.rfq_id)
        .await?
        .ok_or(AppError::NotFound("quote"))?;
    let shop = super::shop(&mut tx, &quote.shop_id).await?;
    if !may_ask(actor, &rfq, &shop) {
        return Err(AppError::NotFound("quote"));
    }
    let found = store::conversation_about(&mut tx, &rfq.id, &shop.id, &rfq.buyer_account_id).await?;
    let (id, created) = match found {
        Some(id) => (id, false),
        None => {
            let id = new_id("cnv");
            let title: String = rfq.title.chars().take(100).collect();
            let subject = format!("Quote on \"{title}\"");
            conversation_store::insert(
                &mut tx,
                &NewConversation {
                    id: &id,
                    shop_id: &shop.id,
                    buyer_account_id: &rfq.buyer_account_id,
                    buyer_company_id: rfq.company_id.as_deref(),
                    subject: &subject,
                    product_id: None,
                    order_id: None,
                    rfq_id: Some(&rfq.id),
                    now: now_ms(),
                },
            )
            .await?;
            audit::record(
                &mut tx,
                Some(&actor.account_id),
                AuditAction::ConversationOpened,
                &id,
                json!({"shop_id": shop.id, "company_id": rfq.company_id, "rfq_id": rfq.id, "quote_id": quote.id}),
            )
            .await?;
            (id, true)
        }
    };
    tx.commit().await?;
    let conversation = conversations::get(app, actor, &id).await?;
    Ok(QuoteConversation { conversation, created })
}
