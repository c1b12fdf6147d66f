//! What the operator reads before deciding on a shop: who applied and the whole exchange so far.

use agora_core::audit::AuditAction;
use agora_store::{accounts, audit as audit_log, shops};

use crate::{rfc3339, Actor, App, AppError, AppResult};

/// One step of a shop's review, oldest first.
#[derive(Debug, Clone)]
pub struct ReviewStep {
    pub at: String,
    /// "Applicant" or "Operator".
    pub by: &'static str,
    /// What happened, in words.
    pub what: String,
    /// The question, the reason or the note, when there is one.
    pub note: Option<String>,
}

/// The applicant and the history of a shop's review.
#[derive(Debug, Clone)]
pub struct Review {
    pub applicant_email: String,
    pub applicant_name: String,
    pub history: Vec<ReviewStep>,
}

fn step(action: &str, data: &serde_json::Value) -> Option<(&'static str, String, Option<String>)> {
    let note = data.get("note").and_then(|n| n.as_str()).map(str::to_owned);
    let step = match action.parse::<AuditAction>().ok()? {
        AuditAction::ShopApplied => ("Applicant", "Sent the application".to_owned(), None),
        AuditAction::ShopInfoRequested => ("Operator", "Asked for more information".into(), note),
        AuditAction::ShopDocumentUploaded => {
            let kind = data.get("kind").and_then(|k| k.as_str()).unwrap_or("document");
            (
                "Applicant",
                format!("Uploaded a document ({})", kind.replace('_', " ")),
                None,
            )
        }
        AuditAction::ShopPending => ("Applicant", "Answered: back in the queue".into(), None),
        AuditAction::ShopApproved => ("Operator", "Approved the shop".into(), note),
        AuditAction::ShopRejected => ("Operator", "Rejected the shop".into(), note),
        AuditAction::ShopDocumentDecided => ("Operator", "Decided on a document".into(), note),
        _ => return None,
    };
    Some(step)
}

/// The review of a shop, for operators only.
pub async fn review(app: &App, actor: &Actor, shop_id: &str) -> AppResult<Review> {
    actor.require_operator()?;
    let mut conn = app.db.conn().await?;
    let shop = shops::by_id(&mut conn, shop_id)
        .await?
        .ok_or(AppError::NotFound("shop"))?;
    let owner = accounts::by_id(&mut conn, &shop.owner_account_id)
        .await?
        .ok_or(AppError::NotFound("account"))?;
    let mut entries = audit_log::for_subject(&mut conn, shop_id, 500).await?;
    entries.reverse();
    let history = entries
        .iter()
        .filter_map(|e| {
            let data: serde_json::Value = serde_json::from_str(&e.data).unwrap_or_default();
            step(&e.action, &data).map(|(by, what, note)| ReviewStep {
                at: rfc3339(e.at_ms),
                by,
                what,
                note,
            })
        })
        .collect();
    Ok(Review {
        applicant_email: owner.email,
        applicant_name: owner.name,
        history,
    })
}
