//! The email digest of unread messages. Each message adds a `chat_digest` job, due a while later
//! (`Settings::chat_digest_delay_ms`), for each other participant; the jobs table keeps one
//! waiting job per account, so every message that arrives meanwhile goes into the same email.
//! When the job runs it sends what the account still has not read (nothing if they read it all
//! meanwhile, live or not) and remembers how far it got, so no message is mailed twice.

use agora_core::account::CompanyRole;
use agora_store::{accounts, companies, conversations as store, now_ms};
use lettre::message::header::ContentType;
use lettre::Message;
use serde::Deserialize;

use super::reader_of;
use crate::job_runner::Job;
use crate::mail::mailbox;
use crate::{App, AppError, AppResult};

/// The most messages one digest lists.
const MAX_LISTED: i64 = 50;
/// The most characters of one message a digest quotes.
const QUOTE_CHARS: usize = 300;

#[derive(Debug, Deserialize)]
struct DigestJob {
    account_id: String,
}

/// The subject and plain-text body of a digest of `rows` (`more`: some were left out).
pub fn render(rows: &[store::DigestRow], more: bool) -> (String, String) {
    let n = rows.len();
    let subject = if n == 1 {
        "You have an unread message on Agora".to_owned()
    } else {
        format!("You have {n}{} unread messages on Agora", if more { "+" } else { "" })
    };
    let mut body = String::from("Messages you have not read yet:\n");
    let mut current: Option<&str> = None;
    for r in rows {
        if current != Some(r.conversation_id.as_str()) {
            current = Some(&r.conversation_id);
            body.push_str(&format!(
                "\n{} ({}) - /messages/{}\n",
                r.subject, r.shop_name, r.conversation_id
            ));
        }
        let mut quote: String = r.body.chars().take(QUOTE_CHARS).collect();
        if r.body.chars().count() > QUOTE_CHARS {
            quote.push_str("...");
        }
        if quote.is_empty() {
            quote = "(a file)".into();
        }
        body.push_str(&format!("  {}: {}\n", r.sender_name, quote.replace('\n', "\n    ")));
    }
    if more {
        body.push_str("\n...and more. Read them all at /messages\n");
    }
    (subject, body)
}

/// Runs a `chat_digest` job.
pub async fn send(app: &App, job: &Job) -> AppResult<()> {
    let target: DigestJob = serde_json::from_str(&job.payload)
        .map_err(|e| AppError::Internal(anyhow::anyhow!("job {} has a bad payload: {e}", job.id)))?;
    let now = now_ms();
    let mut conn = app.db.conn().await?;
    let Some(account) = accounts::by_id(&mut conn, &target.account_id).await? else {
        return Ok(());
    };
    let membership = companies::membership(&mut conn, &account.id).await?;
    let company = membership
        .as_ref()
        .and_then(|(id, _, role)| role.parse::<CompanyRole>().ok().map(|r| (id.as_str(), r)));
    let reader = reader_of(&account.id, company);
    let since = store::digest_mark(&mut conn, &account.id).await?;
    let mut rows = store::unread_between(&mut conn, reader, since, now, MAX_LISTED + 1).await?;
    drop(conn);
    if rows.is_empty() {
        return Ok(());
    }
    let more = rows.len() as i64 > MAX_LISTED;
    rows.truncate(MAX_LISTED as usize);
    let (subject, body) = render(&rows, more);
    let to = mailbox(&format!(
        "{} <{}>",
        account.name.replace(['<', '>', '"'], ""),
        account.email
    ))
    .or_else(|_| mailbox(&account.email))?;
    let message = Message::builder()
        .from(mailbox(&app.settings.mail_from)?)
        .to(to)
        .subject(subject)
        .header(ContentType::TEXT_PLAIN)
        .body(body)
        .map_err(|e| AppError::Internal(anyhow::anyhow!("building the message: {e}")))?;
    app.mailer.deliver(&job.id, message).await?;
    let mut conn = app.db.conn().await?;
    store::set_digest_mark(&mut conn, &account.id, now).await?;
    Ok(())
}
