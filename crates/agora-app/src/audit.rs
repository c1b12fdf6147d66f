//! Recording state changes in the audit chain, and verifying the chain.

use agora_core::audit::{ChainBreak, ChainVerifier};
use agora_store::{now_ms, Conn};

use crate::{App, AppResult};

/// Appends an audit entry inside the caller's transaction.
pub async fn record(
    conn: &mut Conn,
    actor: Option<&str>,
    action: &str,
    subject: &str,
    data: serde_json::Value,
) -> AppResult<i64> {
    let seq = agora_store::audit::append(conn, actor, action, subject, &data.to_string(), now_ms()).await?;
    Ok(seq)
}

/// The outcome of checking the whole chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Every entry is intact; this many were checked.
    Intact {
        entries: i64,
    },
    Broken(ChainBreak),
}

/// Reads the whole log in pages and checks every link.
pub async fn verify(app: &App) -> AppResult<Verdict> {
    let mut conn = app.db.conn().await?;
    let (head_seq, head_hash) = agora_store::audit::head(&mut conn).await?;
    let mut verifier = ChainVerifier::default();
    let mut after = 0;
    loop {
        let page = agora_store::audit::page(&mut conn, after, 1000).await?;
        let Some(last) = page.last() else { break };
        after = last.seq;
        for entry in &page {
            if let Err(err) = verifier.push(entry) {
                return Ok(Verdict::Broken(err));
            }
        }
    }
    Ok(match verifier.finish(head_seq, &head_hash) {
        Ok(entries) => Verdict::Intact { entries },
        Err(err) => Verdict::Broken(err),
    })
}
