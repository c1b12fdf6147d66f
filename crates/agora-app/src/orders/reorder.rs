//! "Order again": a past order's lines go back into its buyer's cart, priced as they are today.

use agora_core::order::Party;
use agora_store::orders as store;

use super::party_of;
use crate::cart::{self, Cart, CartOf};
use crate::{Actor, App, AppError, AppResult};

/// A line of the old order that did not go back into the cart, and why.
#[derive(Debug, Clone)]
pub struct SkippedLine {
    pub variant_id: String,
    pub title: String,
    pub sku: String,
    pub quantity: i64,
    pub reason: String,
}

/// The cart after "order again", and the lines that could not be added.
#[derive(Debug, Clone)]
pub struct Reordered {
    pub cart: Cart,
    pub skipped: Vec<SkippedLine>,
}

/// Puts each line of the order (variant and quantity) into the buyer's cart, at today's prices:
/// the cart prices its lines from the catalog as always, never from the old order. A line that
/// can no longer be ordered as it was (no longer for sale, too little stock, below a new minimum)
/// is skipped and named. Only the order's buyer orders it again: its other parties get 403, anyone
/// else 404.
pub async fn reorder(app: &App, actor: &Actor, id: &str) -> AppResult<Reordered> {
    let lines = {
        let mut conn = app.db.conn().await?;
        let order = store::by_id(&mut conn, id).await?.ok_or(AppError::NotFound("order"))?;
        match party_of(&mut conn, actor, &order).await? {
            None => return Err(AppError::NotFound("order")),
            Some(Party::Buyer) => {}
            Some(_) => return Err(AppError::Forbidden("only the order's buyer can order it again".into())),
        }
        store::lines(&mut conn, id).await?
    };
    let mut skipped = Vec::new();
    for l in lines {
        match cart::add(app, CartOf::Buyer(actor), &l.variant_id, l.quantity).await {
            Ok(_) => {}
            Err(e @ (AppError::Invalid(_) | AppError::Conflict { .. })) => skipped.push(SkippedLine {
                variant_id: l.variant_id,
                title: l.title,
                sku: l.sku,
                quantity: l.quantity,
                reason: reason(&e),
            }),
            Err(e) => return Err(e),
        }
    }
    let cart = cart::view(app, CartOf::Buyer(actor)).await?;
    Ok(Reordered { cart, skipped })
}

fn reason(err: &AppError) -> String {
    match err {
        AppError::Invalid(errors) => errors
            .0
            .iter()
            .map(|e| e.message.clone())
            .collect::<Vec<_>>()
            .join("; "),
        other => other.to_string(),
    }
}
