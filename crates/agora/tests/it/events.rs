//! Typed outbox events: what the follower does with an event it cannot read.

use agora_app::follower::{self, Position, UNREADABLE_EVENTS};

use crate::support::db_test;

/// The operators' metrics, as the Prometheus text (serving them installs the recorder).
async fn metrics_text() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, agora_http::metrics_router()).await.unwrap() });
    reqwest::get(format!("http://{addr}/metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

fn unreadable_so_far(text: &str) -> u64 {
    text.lines()
        .find_map(|l| l.strip_prefix(UNREADABLE_EVENTS)?.trim().parse().ok())
        .unwrap_or(0)
}

db_test!(
    an_unreadable_event_is_skipped_and_counted_and_later_events_still_apply,
    |t| {
        let before = unreadable_so_far(&metrics_text().await);
        t.sql("INSERT INTO outbox (topic, payload, created_at) VALUES ('product.changed', '{}', 0)")
            .await;
        t.sql(
            "INSERT INTO outbox (topic, payload, created_at) VALUES ('product.exploded', '{\"product_id\":\"p\"}', 0)",
        )
        .await;
        t.sql("INSERT INTO outbox (topic, payload, created_at) VALUES ('shop.status_changed', 'not json', 0)")
            .await;
        t.sql("INSERT INTO outbox (topic, payload, created_at) VALUES ('product.changed', '{\"product_id\":\"prod_gone\"}', 0)")
        .await;
        let mut position = Position::after(0);
        follower::catch_up(&t.app, &mut position).await.unwrap();
        let mut conn = t.app.db.conn().await.unwrap();
        let last = agora_store::outbox::last_id(&mut conn).await.unwrap();
        assert_eq!(position.complete_up_to(), last, "the follower moved past every event");
        let after = unreadable_so_far(&metrics_text().await);
        // Tests run in parallel in one process and share the counter: at least these three.
        assert!(after >= before + 3, "counted {before} then {after}");
    }
);
