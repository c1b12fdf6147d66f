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
