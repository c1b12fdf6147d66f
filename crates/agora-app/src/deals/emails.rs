//! Emails about deals (a quote closed because another won, a contract signed): each is a
//! `deal_email` job added in the transaction of the change, with its subject and text written
//! then; the job looks up the recipient's address and hands the message to the mailer.

use agora_core::jobs::JobKind;
use agora_store::accounts as account_store;
use agora_store::Conn;
use lettre::message::header::ContentType;
use lettre::Message;
use serde::{Deserialize, Serialize};

use crate::job_runner::Job;
use crate::mail::mailbox;
use crate::{jobs, App, AppError, AppResult};

/// The payload of a `deal_email` job.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DealEmail {
    pub account_id: String,
    pub subject: String,
    pub body: String,
}

/// Queues one email to each of `accounts`, in the caller's transaction.
pub(crate) async fn queue(conn: &mut Conn, accounts: &[String], subject: &str, body: &str, now: i64) -> AppResult<()> {
    for account_id in accounts {
        let email = DealEmail {
            account_id: account_id.clone(),
            subject: subject.to_owned(),
            body: body.to_owned(),
        };
        let payload = serde_json::to_value(&email).map_err(|e| AppError::Internal(e.into()))?;
        jobs::enqueue(conn, JobKind::DealEmail, &payload, now, None).await?;
    }
    Ok(())
}

/// Runs a `deal_email` job. An account gone meanwhile gets nothing.
pub async fn send(app: &App, job: &Job) -> AppResult<()> {
    let email: DealEmail = serde_json::from_str(&job.payload)
        .map_err(|e| AppError::Internal(anyhow::anyhow!("job {} has a bad payload: {e}", job.id)))?;
    let mut conn = app.db.conn().await?;
    let Some(account) = account_store::by_id(&mut conn, &email.account_id).await? else {
        return Ok(());
    };
    drop(conn);
    let message = Message::builder()
        .from(mailbox(&app.settings.mail_from)?)
        .to(mailbox(&account.email)?)
        .subject(email.subject)
        .header(ContentType::TEXT_PLAIN)
        .body(email.body)
        .map_err(|e| AppError::Internal(anyhow::anyhow!("building the message: {e}")))?;
    app.mailer.deliver(&job.id, message).await
}
