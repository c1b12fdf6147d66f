//! The database under load: writers queue, and a request that waits too long is told to retry
//! (503 with Retry-After), never answered with a 500.

use std::time::Instant;

use agora_store::Db;
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::hostile::{marketplace, product, seller_with_shop};
use crate::support::{db_test, Engine, TestApp};

db_test!(many_concurrent_writers_queue_and_none_fails, |t| {
    marketplace(&t).await;
    let (seller, shop) = seller_with_shop(&t, "seller@example.com", "Sound Shop").await;
    let writers = (0..150).map(|i| {
        let (client, url, seller) = (
            t.client.clone(),
            t.url(&format!("/api/v1/shops/{shop}/products")),
            seller.clone(),
        );
        async move {
            let mut body = product(
                &format!("Headphones no. {i}"),
                &format!("HP-{i}"),
                "4006381333931",
                1000 + i,
            );
            body["variants"][0]["gtin"] = serde_json::Value::Null;
            let res = client.post(url).bearer_auth(seller).json(&body).send().await.unwrap();
            crate::support::read(res).await
        }
    });
    let replies = futures::future::join_all(writers).await;
    let mut created = 0;
    for r in &replies {
        match r.status {
            StatusCode::CREATED => created += 1,
            StatusCode::SERVICE_UNAVAILABLE => {
                assert!(r.headers.contains_key("retry-after"), "{}", r.text);
                assert_eq!(r.problem_type(), "/problems/busy", "{}", r.text);
            }
            other => panic!("{other}: {}", r.text),
        }
    }
    let listed = t.get(&format!("/api/v1/shops/{shop}/products"), Some(&seller)).await;
    assert_eq!(listed.status, StatusCode::OK, "{}", listed.text);
    assert_eq!(
        listed.body["items"].as_array().unwrap().len(),
        created,
        "each 201 is one product"
    );
    assert!(created > 0);
});

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_write_lock_held_too_long_answers_503_with_retry_after() {
    let t = TestApp::spawn(Engine::Sqlite).await;
    marketplace(&t).await;
    let (seller, shop) = seller_with_shop(&t, "seller@example.com", "Sound Shop").await;
    let r = t
        .post(
            &format!("/api/v1/shops/{shop}/products"),
            Some(&seller),
            product("Aurora headphones", "AUR-1", "4006381333931", 14900),
        )
        .await;
    let (id, variant) = (
        r.body["id"].as_str().unwrap().to_owned(),
        r.body["variants"][0]["id"].as_str().unwrap().to_owned(),
    );
    let path = format!("/api/v1/variants/{variant}/stock");

    // Another process (a tool run beside the server, say) holds the database's write lock.
    let other = Db::connect(&t.database_url, None).await.unwrap();
    let held = other.begin().await.unwrap();
    let started = Instant::now();
    let r = t
        .call(Method::PUT, &path, Some(&seller), Some(json!({"stock": 7})))
        .await;
    assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE, "{}", r.text);
    assert_eq!(r.headers["retry-after"], "1");
    assert!(started.elapsed().as_secs() < 30, "answered within the busy timeout");
    assert_eq!(
        t.get(&format!("/api/v1/products/{id}"), None).await.status,
        StatusCode::OK,
        "readers are not held up"
    );

    held.rollback().await.unwrap();
    other.close().await;
    let r = t
        .call(Method::PUT, &path, Some(&seller), Some(json!({"stock": 7})))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["stock"], 7);
}
