//! The announcement that a product changed, written in the same transaction as the change; the
//! outbox follower turns it into a search index update and a dropped cache entry on every node.

use agora_core::events::Event;
use agora_store::{outbox, Conn};

use crate::AppResult;

/// Tells whatever reacts to catalog changes (the search index) that a product changed.
pub(crate) async fn publish_change(conn: &mut Conn, product_id: &str, now: i64) -> AppResult<()> {
    let event = Event::ProductChanged {
        product_id: product_id.to_owned(),
    };
    outbox::publish(conn, &event, now).await?;
    Ok(())
}
