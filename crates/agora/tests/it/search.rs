use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::support::{db_test, Reply, TestApp};

/// An approved shop selling in `electronics > audio` and `home`; returns `(seller, shop id)`.
async fn catalog(t: &TestApp) -> (String, String) {
    let op = t.operator().await;
    for (slug, parent) in [("electronics", None), ("audio", Some("electronics")), ("home", None)] {
        let r = t
            .post(
                "/api/v1/admin/categories",
                Some(&op),
                json!({"slug": slug, "name": slug, "parent": parent}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    }
    let seller = t.user("seller@example.com").await;
    let shop = t.shop(&seller, "Sound Shop", &["electronics"]).await;
    t.post(&format!("/api/v1/admin/shops/{shop}/approve"), Some(&op), json!({}))
        .await;
    for (title, category, cents, stock) in [
        ("Aurora wireless headphones", "audio", 14900, 5),
        ("Studio monitor headphones", "audio", 9900, 0),
        ("Headphone stand, walnut", "home", 2900, 7),
        ("Ceramic serving bowl", "home", 4200, 3),
    ] {
        let sku = title.split_whitespace().next().unwrap().to_uppercase();
        let body = json!({"title": title, "description": format!("{title} <script>alert(1)</script>"), "category": category,
            "variants": [{"sku": sku, "price": {"amount": cents, "currency": "EUR"}, "stock": stock}]});
        let r = t
            .post(&format!("/api/v1/shops/{shop}/products"), Some(&seller), body)
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    }
    (seller, shop)
}

/// Searches until `expect` holds (the index follows the outbox, so it lags writes slightly).
async fn search_until(t: &TestApp, query: &str, expect: impl Fn(&Value) -> bool) -> Reply {
    let mut last = None;
    for _ in 0..100 {
        let r = t.get(&format!("/api/v1/search?{query}"), None).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        if expect(&r.body) {
            return r;
        }
        last = Some(r);
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the search never matched: {}", last.unwrap().text);
}

fn titles(body: &Value) -> Vec<String> {
    body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["title"].as_str().unwrap().to_owned())
        .collect()
}

db_test!(listed_products_are_found_with_typos_and_stems, |t| {
    catalog(&t).await;
    let r = search_until(&t, "q=headphones", |b| b["total"].as_u64() >= Some(3)).await;
    let found = titles(&r.body);
    let top: Vec<_> = found.iter().take(3).collect();
    for expected in [
        "Aurora wireless headphones",
        "Studio monitor headphones",
        "Headphone stand, walnut",
    ] {
        assert!(
            top.iter().any(|t| *t == expected),
            "{expected} (an exact or stemmed match) is in the top 3: {found:?}"
        );
    }
    let typo = search_until(&t, "q=headphnes", |b| b["total"].as_u64() >= Some(1)).await;
    assert!(
        titles(&typo.body).iter().any(|t| t.contains("headphones")),
        "{}",
        typo.text
    );
    let item = &r.body["items"][0];
    assert_eq!(item["sponsored"], false);
    assert!(item["price"]["amount"].is_i64());
    let snippet = r.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["snippet"].as_str().unwrap())
        .collect::<String>();
    assert!(!snippet.contains("<script>"), "snippets are escaped: {snippet}");
});

db_test!(filters_narrow_and_facets_count, |t| {
    let (_, shop) = catalog(&t).await;
    search_until(&t, "q=", |b| b["total"] == 4).await;
    let audio = t.get("/api/v1/search?category=electronics", None).await;
    assert_eq!(
        audio.body["total"], 2,
        "the category matches its subtree: {}",
        audio.text
    );
    let cheap = t.get("/api/v1/search?max_price=5000&sort=price_asc", None).await;
    assert_eq!(titles(&cheap.body), ["Headphone stand, walnut", "Ceramic serving bowl"]);
    let in_stock = t.get("/api/v1/search?q=headphones&in_stock=true", None).await;
    assert!(!titles(&in_stock.body).contains(&"Studio monitor headphones".to_owned()));
    let by_shop = t.get(&format!("/api/v1/search?shop={shop}"), None).await;
    assert_eq!(by_shop.body["total"], 4);
    let facets = &audio.body["facets"];
    let electronics = facets["category"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["value"] == "electronics")
        .unwrap();
    assert_eq!(electronics["count"], 2);
    assert_eq!(facets["shop"][0]["value"], shop.as_str());
    let page1 = t.get("/api/v1/search?limit=3&sort=price_asc", None).await;
    assert_eq!(page1.body["items"].as_array().unwrap().len(), 3);
    let cursor = page1.body["next_cursor"].as_str().expect("a next page").to_owned();
    let page2 = t
        .get(&format!("/api/v1/search?limit=3&sort=price_asc&cursor={cursor}"), None)
        .await;
    assert_eq!(titles(&page2.body), ["Aurora wireless headphones"]);
    assert_eq!(page2.body["next_cursor"], Value::Null);
});

db_test!(a_change_to_the_catalog_reaches_the_search_results, |t| {
    let (seller, _) = catalog(&t).await;
    let r = search_until(&t, "q=bowl", |b| b["total"] == 1).await;
    let id = r.body["items"][0]["product_id"].as_str().unwrap().to_owned();
    let renamed = t
        .call(
            Method::PATCH,
            &format!("/api/v1/products/{id}"),
            Some(&seller),
            Some(json!({"title": "Ceramic salad bowl"})),
        )
        .await;
    assert_eq!(renamed.status, StatusCode::OK);
    search_until(&t, "q=salad", |b| b["total"] == 1).await;
    let archived = t
        .call(
            Method::PATCH,
            &format!("/api/v1/products/{id}"),
            Some(&seller),
            Some(json!({"status": "archived"})),
        )
        .await;
    assert_eq!(archived.status, StatusCode::OK);
    search_until(&t, "q=bowl", |b| b["total"] == 0).await;
});

db_test!(hostile_queries_are_plain_words_and_bad_parameters_are_422, |t| {
    catalog(&t).await;
    for q in ["%22%3A(*", "title%3Aheadphones", "%5B%7B%5C~%5E", &"a".repeat(10_000)] {
        let r = t.get(&format!("/api/v1/search?q={q}"), None).await;
        assert_eq!(r.status, StatusCode::OK, "{q}: {}", r.text);
    }
    for bad in [
        "sort=cheapest",
        "min_price=-5",
        "min_price=1.5",
        "limit=1000",
        "cursor=abc",
        "min_price=500&max_price=100",
    ] {
        let r = t.get(&format!("/api/v1/search?{bad}"), None).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}: {}", r.text);
        assert_eq!(r.content_type(), "application/problem+json");
    }
    let page = t.get("/search?sort=cheapest", None).await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.content_type().starts_with("text/html"));
});

db_test!(suggestions_complete_what_is_typed, |t| {
    catalog(&t).await;
    search_until(&t, "q=headphones", |b| b["total"].as_u64() >= Some(3)).await;
    let r = t.get("/api/v1/search/suggest?q=headp", None).await;
    assert_eq!(r.status, StatusCode::OK);
    let items: Vec<String> = serde_json::from_value(r.body["items"].clone()).unwrap();
    assert!(items.iter().any(|s| s.starts_with("headphone")), "{items:?}");
});
