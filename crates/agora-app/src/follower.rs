//! The outbox follower: reads the outbox in order and keeps this node's derived state (the search
//! index, the product-page cache) current. Every node runs one; each starts from the outbox's end
//! after building its index from the database.

use std::time::Duration;

use agora_store::outbox;

use crate::{search, App, AppResult};

/// How long the follower sleeps when it has caught up.
const IDLE: Duration = Duration::from_millis(100);

/// Applies the events after `after_id`; returns the id of the last one applied.
pub async fn catch_up(app: &App, mut after_id: i64) -> AppResult<i64> {
    let mut conn = app.db.conn().await?;
    loop {
        let events = outbox::after(&mut conn, after_id, 500).await?;
        let Some(last) = events.last() else { return Ok(after_id) };
        let last_id = last.id;
        let mut products: Vec<String> = Vec::new();
        for e in &events {
            let payload: serde_json::Value = serde_json::from_str(&e.payload).unwrap_or_default();
            match e.topic.as_str() {
                "product.changed" => {
                    if let Some(id) = payload["product_id"].as_str() {
                        products.push(id.to_owned());
                    }
                }
                "shop.status_changed" => {
                    if let Some(shop) = payload["shop_id"].as_str() {
                        products.extend(agora_store::search_feed::product_ids_of_shop(&mut conn, shop).await?);
                    }
                }
                _ => {}
            }
        }
        products.sort();
        products.dedup();
        if !products.is_empty() {
            search::refresh(app, &mut conn, &products).await?;
        }
        after_id = last_id;
    }
}

/// Builds the index from the database, then follows the outbox until the process ends.
pub async fn run(app: App) {
    let start = match app.db.conn().await {
        Ok(mut conn) => outbox::last_id(&mut conn).await.unwrap_or(0),
        Err(_) => 0,
    };
    match search::rebuild(&app).await {
        Ok(n) => tracing::info!(products = n, "search index built"),
        Err(err) => tracing::error!(error = %err, "building the search index failed"),
    }
    let mut after = start;
    loop {
        match catch_up(&app, after).await {
            Ok(last) => after = last,
            Err(err) => tracing::warn!(error = %err, "outbox follower: will retry"),
        }
        tokio::time::sleep(IDLE).await;
    }
}
