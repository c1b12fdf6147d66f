use reqwest::StatusCode;
use serde_json::json;

use crate::support::{db_test, read, Reply, TestApp};

async fn apply_with_key(t: &TestApp, token: &str, key: &str, name: &str) -> Reply {
    let req = t
        .client
        .post(t.url("/api/v1/shops"))
        .bearer_auth(token)
        .header("Idempotency-Key", key)
        .json(&json!({"name": name, "legal_name": "Retry Ltd", "categories": []}));
    read(req.send().await.unwrap()).await
}

async fn shop_count(t: &TestApp, token: &str) -> usize {
    t.get("/api/v1/me", Some(token)).await.body["shops"]
        .as_array()
        .unwrap()
        .len()
}

db_test!(a_retried_request_gets_the_first_response_and_runs_once, |t| {
    let seller = t.user("seller@example.com").await;
    let first = apply_with_key(&t, &seller, "apply-1", "Retry Shop").await;
    assert_eq!(first.status, StatusCode::CREATED, "{}", first.text);
    let again = apply_with_key(&t, &seller, "apply-1", "Retry Shop").await;
    assert_eq!(again.status, StatusCode::CREATED);
    assert_eq!(again.body["id"], first.body["id"]);
    assert_eq!(again.headers.get("idempotent-replayed").unwrap(), "true");
    assert_eq!(shop_count(&t, &seller).await, 1);
});

db_test!(a_key_reused_with_another_body_is_refused, |t| {
    let seller = t.user("seller@example.com").await;
    apply_with_key(&t, &seller, "apply-2", "First Shop").await;
    let other = apply_with_key(&t, &seller, "apply-2", "Second Shop").await;
    assert_eq!(other.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(shop_count(&t, &seller).await, 1);
});

db_test!(keys_belong_to_one_account, |t| {
    let ada = t.user("ada@example.com").await;
    let bob = t.user("bob@example.com").await;
    let a = apply_with_key(&t, &ada, "same-key", "Shared Name").await;
    let b = apply_with_key(&t, &bob, "same-key", "Shared Name").await;
    assert_eq!(b.status, StatusCode::CREATED);
    assert_ne!(a.body["id"], b.body["id"], "bob's request ran for bob");
});

db_test!(concurrent_duplicates_create_one_shop, |t| {
    let seller = t.user("seller@example.com").await;
    let attempts = (0..8).map(|_| apply_with_key(&t, &seller, "double-click", "Busy Shop"));
    let replies = futures::future::join_all(attempts).await;
    let mut ids = std::collections::BTreeSet::new();
    for r in &replies {
        match r.status {
            StatusCode::CREATED => {
                ids.insert(r.body["id"].as_str().unwrap().to_owned());
            }
            StatusCode::CONFLICT => assert_eq!(r.problem_type(), "/problems/in-progress"),
            other => panic!("unexpected {other}: {}", r.text),
        }
    }
    assert_eq!(ids.len(), 1, "every success is the same shop");
    assert_eq!(shop_count(&t, &seller).await, 1);
});

db_test!(a_malformed_key_is_a_bad_request, |t| {
    let seller = t.user("seller@example.com").await;
    let r = apply_with_key(&t, &seller, &"k".repeat(300), "Shop").await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(shop_count(&t, &seller).await, 0);
});

// ---- A key held by a request that died ----

/// Leaves `key` claimed for `body` as a request that is running, or that died, would: its lease
/// runs out at `lease_until`.
async fn leave_claimed(t: &TestApp, token: &str, key: &str, body: &serde_json::Value, lease_until: i64) {
    let scope = t.get("/api/v1/me", Some(token)).await.body["id"]
        .as_str()
        .expect("my account id")
        .to_owned();
    let hash = agora_app::idempotency::fingerprint("POST", "/api/v1/shops", &serde_json::to_vec(body).unwrap());
    let now = agora_store::now_ms();
    t.sql(&format!(
        "INSERT INTO idempotency_keys (scope, key, request_hash, state, created_at, lease_until) \
         VALUES ('{scope}', '{key}', '{hash}', 'running', {now}, {lease_until})"
    ))
    .await;
}

db_test!(a_key_left_by_a_dead_request_is_free_once_its_lease_runs_out, |t| {
    let seller = t.user("seller@example.com").await;
    let body = json!({"name": "Phoenix Shop", "legal_name": "Retry Ltd", "categories": []});
    let now = agora_store::now_ms();
    leave_claimed(&t, &seller, "died", &body, now + 60_000).await;
    let early = apply_with_key(&t, &seller, "died", "Phoenix Shop").await;
    assert_eq!(
        early.status,
        StatusCode::CONFLICT,
        "the lease still holds: {}",
        early.text
    );
    assert_eq!(early.problem_type(), "/problems/in-progress");
    assert_eq!(shop_count(&t, &seller).await, 0);

    t.sql("UPDATE idempotency_keys SET lease_until = 1 WHERE key = 'died'")
        .await;
    let retry = apply_with_key(&t, &seller, "died", "Phoenix Shop").await;
    assert_eq!(retry.status, StatusCode::CREATED, "the lease ran out: {}", retry.text);
    assert!(retry.headers.get("idempotent-replayed").is_none());
    let again = apply_with_key(&t, &seller, "died", "Phoenix Shop").await;
    assert_eq!(again.headers.get("idempotent-replayed").unwrap(), "true");
    assert_eq!(again.body["id"], retry.body["id"]);
    assert_eq!(shop_count(&t, &seller).await, 1);
});

db_test!(
    a_running_request_keeps_its_key_past_the_lease,
    settings = agora_app::Settings {
        idempotency_lease_ms: 1_500,
        ..Default::default()
    },
    |t| {
        use agora_app::idempotency::{begin, Outcome, RequestKey};
        let key = RequestKey::new("acc_slow", "slow-1", "POST", "/api/v1/anything", b"{}").unwrap();
        let Outcome::Proceed(lease) = begin(&t.app, &key).await.unwrap() else {
            panic!("a new key runs");
        };
        tokio::time::sleep(std::time::Duration::from_millis(3_500)).await;
        let err = begin(&t.app, &key)
            .await
            .expect_err("still running, past its first lease");
        assert!(err.to_string().contains("still being processed"), "{err}");

        drop(lease); // the request dies: nobody renews its lease any more
        tokio::time::sleep(std::time::Duration::from_millis(2_200)).await;
        assert!(matches!(begin(&t.app, &key).await.unwrap(), Outcome::Proceed(_)));
    }
);

// ---- Stock: the key commits with the work ----

async fn variant_with_stock(t: &TestApp, stock: i64) -> (String, String, String) {
    let (seller, shop, _) = crate::catalog::seller_with_shop(t).await;
    let r = t
        .post(
            &format!("/api/v1/shops/{shop}/products"),
            Some(&seller),
            crate::catalog::headphones("AUR-1", "4006381333931", 14900, stock),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let product = r.body["id"].as_str().unwrap().to_owned();
    let variant = r.body["variants"][0]["id"].as_str().unwrap().to_owned();
    (seller, product, variant)
}

async fn count_stock(t: &TestApp, token: &str, variant: &str, key: &str, stock: i64) -> Reply {
    let req = t
        .client
        .put(t.url(&format!("/api/v1/variants/{variant}/stock")))
        .bearer_auth(token)
        .header("Idempotency-Key", key)
        .json(&json!({"stock": stock, "reason": "stocktake"}));
    read(req.send().await.unwrap()).await
}

async fn movement_count(t: &TestApp, token: &str, variant: &str) -> usize {
    let r = t
        .get(&format!("/api/v1/variants/{variant}/movements"), Some(token))
        .await;
    r.body["items"].as_array().unwrap().len()
}

async fn stored_keys(t: &TestApp, key: &str) -> i64 {
    let mut conn = t.app.db.conn().await.unwrap();
    sqlx::query_scalar("SELECT COUNT(*) FROM idempotency_keys WHERE key = $1")
        .bind(key)
        .fetch_one(&mut *conn)
        .await
        .unwrap()
}

db_test!(a_retried_stock_count_answers_as_before_and_moves_nothing, |t| {
    let (seller, product, variant) = variant_with_stock(&t, 3).await;
    let first = count_stock(&t, &seller, &variant, "count-1", 40).await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.text);
    assert_eq!(first.body["stock"], 40);
    assert!(first.headers.get("idempotent-replayed").is_none());

    // A sale comes in; then the seller's client retries the count it never saw answered.
    let mut tx = t.app.db.begin().await.unwrap();
    assert!(agora_app::stock::take(&mut tx, &variant, 1, None, "sale")
        .await
        .unwrap());
    tx.commit().await.unwrap();
    let retry = count_stock(&t, &seller, &variant, "count-1", 40).await;
    assert_eq!(retry.status, StatusCode::OK, "{}", retry.text);
    assert_eq!(retry.headers.get("idempotent-replayed").unwrap(), "true");
    assert_eq!(retry.text, first.text, "the first response, byte for byte");
    assert_eq!(retry.content_type(), first.content_type());
    let now = t.get(&format!("/api/v1/products/{product}"), Some(&seller)).await;
    assert_eq!(now.body["variants"][0]["stock"], 39, "the retry did not count again");
    assert_eq!(movement_count(&t, &seller, &variant).await, 3, "initial, count, sale");

    let other = count_stock(&t, &seller, &variant, "count-1", 50).await;
    assert_eq!(other.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", other.text);
    let fresh = count_stock(&t, &seller, &variant, "count-2", 50).await;
    assert_eq!(fresh.status, StatusCode::OK, "{}", fresh.text);
    assert_eq!(fresh.body["stock"], 50);
});

db_test!(concurrent_stock_counts_with_one_key_move_stock_once, |t| {
    let (seller, product, variant) = variant_with_stock(&t, 3).await;
    let attempts = (0..8).map(|_| count_stock(&t, &seller, &variant, "count-twice", 40));
    let replies = futures::future::join_all(attempts).await;
    for r in &replies {
        assert_eq!(
            r.status,
            StatusCode::OK,
            "every attempt waits for the first: {}",
            r.text
        );
        assert_eq!(r.text, replies[0].text, "every attempt gets the same answer");
    }
    let ran = replies
        .iter()
        .filter(|r| r.headers.get("idempotent-replayed").is_none())
        .count();
    assert_eq!(ran, 1, "one attempt ran, the others replayed it");
    let now = t.get(&format!("/api/v1/products/{product}"), Some(&seller)).await;
    assert_eq!(now.body["variants"][0]["stock"], 40);
    assert_eq!(movement_count(&t, &seller, &variant).await, 2, "initial and one count");
});

/// Makes saving any idempotent response fail, as a crash between the work and the commit would.
async fn refuse_saving_responses(t: &TestApp, refuse: bool) {
    let statement = match (t.app.db.engine(), refuse) {
        (agora_store::Engine::Sqlite, true) => {
            "CREATE TRIGGER refuse_saving BEFORE UPDATE ON idempotency_keys WHEN NEW.state = 'done' \
             BEGIN SELECT RAISE(ABORT, 'refused'); END"
        }
        (agora_store::Engine::Sqlite, false) => "DROP TRIGGER refuse_saving",
        (agora_store::Engine::Postgres, true) => {
            "CREATE FUNCTION refuse_saving() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'refused'; END $$ \
             LANGUAGE plpgsql; \
             CREATE TRIGGER refuse_saving BEFORE UPDATE ON idempotency_keys FOR EACH ROW \
             WHEN (NEW.state = 'done') EXECUTE FUNCTION refuse_saving()"
        }
        (agora_store::Engine::Postgres, false) => "DROP TRIGGER refuse_saving ON idempotency_keys",
    };
    t.sql(statement).await;
}

db_test!(the_stock_change_and_its_key_commit_together_or_not_at_all, |t| {
    let (seller, product, variant) = variant_with_stock(&t, 3).await;
    refuse_saving_responses(&t, true).await;
    let failed = count_stock(&t, &seller, &variant, "count-once", 40).await;
    assert_eq!(failed.status, StatusCode::INTERNAL_SERVER_ERROR, "{}", failed.text);
    let now = t.get(&format!("/api/v1/products/{product}"), Some(&seller)).await;
    assert_eq!(
        now.body["variants"][0]["stock"], 3,
        "the count rolled back with its key"
    );
    assert_eq!(movement_count(&t, &seller, &variant).await, 1);
    assert_eq!(
        stored_keys(&t, "count-once").await,
        0,
        "the key rolled back with the count"
    );

    refuse_saving_responses(&t, false).await;
    let retry = count_stock(&t, &seller, &variant, "count-once", 40).await;
    assert_eq!(retry.status, StatusCode::OK, "{}", retry.text);
    assert!(retry.headers.get("idempotent-replayed").is_none(), "the retry ran");
    assert_eq!(retry.body["stock"], 40);
    assert_eq!(movement_count(&t, &seller, &variant).await, 2);
    assert_eq!(stored_keys(&t, "count-once").await, 1);
});

db_test!(a_stock_count_without_a_key_still_runs_every_time, |t| {
    let (seller, _, variant) = variant_with_stock(&t, 3).await;
    for stock in [10, 12] {
        let r = t
            .call(
                reqwest::Method::PUT,
                &format!("/api/v1/variants/{variant}/stock"),
                Some(&seller),
                Some(json!({"stock": stock})),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        assert_eq!(r.body["stock"], stock);
    }
    assert_eq!(movement_count(&t, &seller, &variant).await, 3);
});

db_test!(a_retry_waiting_on_a_count_that_rolls_back_runs_itself, |t| {
    use agora_app::idempotency::{claim_in, Claimed, Render, RequestKey, Stored};
    let (seller, product, variant) = variant_with_stock(&t, 3).await;
    let me = t.get("/api/v1/me", Some(&seller)).await.body["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let path = format!("/api/v1/variants/{variant}/stock");
    let body = json!({"stock": 40, "reason": "stocktake"});
    let key = RequestKey::new(&me, "count-rb", "PUT", &path, &serde_json::to_vec(&body).unwrap()).unwrap();
    let render: Render<'_, ()> = &|_: &()| -> agora_app::AppResult<Stored> { unreachable!("never saved") };

    // A first count holds the key in its transaction, uncommitted...
    let mut first = t.app.db.begin().await.unwrap();
    let claimed = claim_in(&mut first, Some(key.rendered_by(render))).await.unwrap();
    assert!(matches!(claimed, Claimed::Proceed(_)));
    // ...while its retry arrives, and waits for it.
    let req = t
        .client
        .put(t.url(&path))
        .bearer_auth(&seller)
        .header("Idempotency-Key", "count-rb")
        .json(&body);
    let retry = tokio::spawn(async move { read(req.send().await.unwrap()).await });
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert!(!retry.is_finished(), "the retry waits for the first to end");

    drop(claimed);
    first.rollback().await.unwrap();
    let r = retry.await.unwrap();
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert!(r.headers.get("idempotent-replayed").is_none(), "the retry ran itself");
    let now = t.get(&format!("/api/v1/products/{product}"), Some(&seller)).await;
    assert_eq!(now.body["variants"][0]["stock"], 40);
    assert_eq!(movement_count(&t, &seller, &variant).await, 2);
});
