//! The outbox follower: reads the outbox in order, hands what an event pushes to this node's live
//! connections (see [`crate::live`]) and keeps this node's derived state (the search index, the
//! product-page cache, the [`crate::catalog_version`] that cached pages are stamped with)
//! current. Every node runs one; each builds its index from the database, then applies the events
//! written after it started.
//!
//! It learns of new events at once: from its own process's commits, and on PostgreSQL from a
//! notification that the outbox's trigger sends when another node commits. A slow poll is the
//! safety net. Each node records how far it got, with a heartbeat, and events that every live
//! node has applied are pruned.

use std::time::{Duration, Instant};

use agora_core::events::Event;
use agora_store::outbox::{self, Signal, StoredEvent};
use agora_store::{new_id, nodes, now_ms};

use crate::{search, App, AppResult};

/// The longest the follower waits without news before looking anyway.
pub const POLL: Duration = Duration::from_secs(2);
/// How often a node records that it is alive and how far it got.
const HEARTBEAT: Duration = Duration::from_secs(5);
/// A node silent for this long is taken for dead: it no longer holds back pruning (and, if it
/// was only stalled, rebuilds its index when it finds out).
pub const DEAD_AFTER_MS: i64 = 5 * 60 * 1000;
/// How often each node prunes the outbox.
const PRUNE_EVERY: Duration = Duration::from_secs(60);
/// Events are kept at least this long, and a skipped id is looked for again this long: on
/// PostgreSQL ids are handed out in order but transactions commit in any order, so a reader can
/// see event 12 before event 11 exists.
pub const SETTLE_MS: i64 = 60 * 1000;
/// At most this many skipped ids are looked for again.
const MAX_AWAITED: usize = 10_000;

/// How far a node has applied the outbox.
#[derive(Debug, Clone, Default)]
pub struct Position {
    /// Every event up to this id has been applied, but those in `awaited`.
    applied: i64,
    /// Ids skipped when later ones were read, with when they were first missed.
    awaited: Vec<(i64, Instant)>,
    /// The highest id whose live push was handed out.
    pushed: i64,
}

impl Position {
    pub fn after(id: i64) -> Self {
        Self {
            applied: id,
            awaited: Vec::new(),
            pushed: id,
        }
    }

    /// The id up to which every event has been applied (or given up on).
    pub fn complete_up_to(&self) -> i64 {
        self.awaited.iter().map(|(id, _)| id - 1).min().unwrap_or(self.applied)
    }

    /// Takes note of events read after `applied` (in id order), remembering skipped ids.
    fn advance(&mut self, events: &[StoredEvent]) {
        let now = Instant::now();
        for e in events {
            if e.id <= self.applied {
                continue;
            }
            for missing in self.applied + 1..e.id {
                if self.awaited.len() < MAX_AWAITED {
                    self.awaited.push((missing, now));
                }
            }
            self.applied = e.id;
        }
        let settle = Duration::from_millis(SETTLE_MS as u64);
        self.awaited.retain(|(_, since)| since.elapsed() < settle);
    }
}

/// Counts outbox events this node could not read (an unknown topic, a payload that does not fit).
pub const UNREADABLE_EVENTS: &str = "agora_outbox_unreadable_events_total";

/// Reads a stored event. One that cannot be read is logged, counted and skipped: guessing at its
/// meaning could index the wrong thing or tell the wrong people.
fn decode(e: &StoredEvent) -> Option<Event> {
    match e.decode() {
        Ok(event) => Some(event),
        Err(err) => {
            tracing::error!(event_id = e.id, topic = %e.topic, error = %err, "skipping an unreadable outbox event");
            metrics::counter!(UNREADABLE_EVENTS).increment(1);
            None
        }
    }
}

/// The products an event changed (the shop's products for a shop event). True when the event
/// changed the catalog.
async fn products_of(app: &App, conn: &mut agora_store::Conn, event: Event, into: &mut Vec<String>) -> AppResult<bool> {
    match event {
        Event::ProductChanged { product_id } | Event::PriceChanged { product_id, .. } => into.push(product_id),
        Event::ShopStatusChanged { shop_id, .. } => {
            into.extend(agora_store::search_feed::product_ids_of_shop(conn, &shop_id).await?);
        }
        Event::CategoriesChanged {} => app.categories.invalidate(),
        // A shop's shipping rates show on its offers too.
        Event::CheckoutTermsChanged {} => app.checkout_terms.invalidate(),
        Event::RegistrationAttempted { .. }
        | Event::ChatMessagePosted { .. }
        | Event::ChatRead { .. }
        | Event::NegotiationMoved { .. }
        | Event::QuoteSubmitted { .. }
        | Event::QuoteClosed { .. }
        | Event::ContractSigned { .. } => return Ok(false),
    }
    Ok(true)
}

/// Applies the events after `position` (and the skipped ones that have appeared since).
pub async fn catch_up(app: &App, position: &mut Position) -> AppResult<()> {
    let mut conn = app.db.conn().await?;
    let mut late = Vec::new();
    for (id, _) in &position.awaited {
        late.extend(outbox::one(&mut conn, *id).await?);
    }
    position.awaited.retain(|(id, _)| !late.iter().any(|e| e.id == *id));
    loop {
        let events = outbox::after(&mut conn, position.applied, 500).await?;
        if events.is_empty() && late.is_empty() {
            return Ok(());
        }
        let mut products = Vec::new();
        let mut catalog_changed = false;
        for e in late.iter().chain(&events) {
            let Some(event) = decode(e) else { continue };
            // Live clients first: a push costs nothing to wait for, an index refresh may. An
            // event read again after a failed refresh is not pushed twice.
            if e.id > position.pushed || e.id <= position.applied {
                crate::live::dispatch(&app.live, &event);
                position.pushed = position.pushed.max(e.id);
            }
            catalog_changed |= products_of(app, &mut conn, event, &mut products).await?;
        }
        products.sort();
        products.dedup();
        if !products.is_empty() {
            search::refresh(app, &mut conn, &products).await?;
        }
        // After the index took the change: a page cached meanwhile showed the old catalog.
        if catalog_changed {
            app.catalog_version.bump();
        }
        late.clear();
        position.advance(&events);
    }
}

/// Registers this node, then builds its index from the database. Returns where to follow from.
async fn start(app: &App, node: &str) -> AppResult<Position> {
    let mut conn = app.db.conn().await?;
    let last = outbox::last_id(&mut conn).await?;
    // Registered before the rebuild, so no event after `last` is pruned before it is applied.
    nodes::register(&mut conn, node, last, now_ms()).await?;
    drop(conn);
    let n = search::rebuild(app).await?;
    app.catalog_version.bump();
    tracing::info!(products = n, node, "search index built");
    Ok(Position::after(last))
}

/// Prunes the outbox: forgets nodes silent since before `now - DEAD_AFTER_MS`, then removes the
/// events older than `now - SETTLE_MS` that every remaining node has applied. Returns how many
/// events were removed.
pub async fn prune(app: &App, now: i64) -> AppResult<u64> {
    let mut conn = app.db.conn().await?;
    let live_since = now - DEAD_AFTER_MS;
    nodes::forget_dead(&mut conn, live_since).await?;
    Ok(outbox::prune(&mut conn, live_since, now - SETTLE_MS).await?)
}

/// Follows the outbox until the process ends, looking at least every [`POLL`].
pub async fn run(app: App) {
    follow(app, POLL).await
}

/// Builds the index from the database, then follows the outbox until the process ends, looking
/// at least every `poll` when nothing announces a change.
pub async fn follow(app: App, poll: Duration) {
    let node = new_id("node");
    // Subscribed first, so a change committed while the index is built still wakes us.
    let mut signal = Signal::subscribe(&app.db).await;
    let mut position = loop {
        match start(&app, &node).await {
            Ok(position) => break position,
            Err(err) => tracing::error!(error = %err, "building the search index failed; retrying"),
        }
        tokio::time::sleep(poll).await;
    };
    let mut last_heartbeat = Instant::now();
    let mut last_prune = Instant::now();
    loop {
        if let Err(err) = catch_up(&app, &mut position).await {
            tracing::warn!(error = %err, "outbox follower: will retry");
        }
        if last_heartbeat.elapsed() >= HEARTBEAT {
            last_heartbeat = Instant::now();
            match heartbeat(&app, &node, &position).await {
                Ok(true) => {}
                Ok(false) => {
                    tracing::warn!(node, "this node was taken for dead; rebuilding its search index");
                    if let Ok(fresh) = start(&app, &node).await {
                        position = fresh;
                    }
                }
                Err(err) => tracing::warn!(error = %err, "recording this node's heartbeat failed"),
            }
        }
        if last_prune.elapsed() >= PRUNE_EVERY {
            last_prune = Instant::now();
            match prune(&app, now_ms()).await {
                Ok(0) => {}
                Ok(n) => tracing::debug!(events = n, "outbox pruned"),
                Err(err) => tracing::warn!(error = %err, "pruning the outbox failed"),
            }
        }
        signal.wait(poll).await;
    }
}

async fn heartbeat(app: &App, node: &str, position: &Position) -> AppResult<bool> {
    let mut conn = app.db.conn().await?;
    Ok(nodes::heartbeat(&mut conn, node, position.complete_up_to(), now_ms()).await?)
}
