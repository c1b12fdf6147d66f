//! Editing a variant after it is listed (`PATCH /variants/{id}`): its price, SKU, GTIN and
//! options, archiving it; a new price is recorded and reaches the product page, the comparison
//! and search.

use std::time::{Duration, Instant};

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::catalog::{headphones, seller_with_shop};
use crate::page_session;
use crate::support::{db_test, Reply, TestApp};

async fn patch(t: &TestApp, token: &str, variant: &str, body: Value) -> Reply {
    t.call(
        Method::PATCH,
        &format!("/api/v1/variants/{variant}"),
        Some(token),
        Some(body),
    )
    .await
}

/// A listed pair of headphones: `(seller, shop, product id, variant id)`.
async fn listed(t: &TestApp) -> (String, String, String, String) {
    let (seller, shop, _) = seller_with_shop(t).await;
    let r = t
        .post(
            &format!("/api/v1/shops/{shop}/products"),
            Some(&seller),
            headphones("AUR-1", "4006381333931", 14900, 25),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let product = r.body["id"].as_str().unwrap().to_owned();
    let variant = r.body["variants"][0]["id"].as_str().unwrap().to_owned();
    (seller, shop, product, variant)
}

/// Waits until a search for `q` shows `product` at `cents`; returns how long it took.
async fn search_shows_price(t: &TestApp, q: &str, product: &str, cents: i64) -> Duration {
    let start = Instant::now();
    loop {
        let r = t.get(&format!("/api/v1/search?q={q}"), None).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        let hit = r.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["product_id"] == product)
            .cloned();
        if hit.as_ref().is_some_and(|h| h["price"]["amount"] == cents) {
            return start.elapsed();
        }
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "search never showed {cents}: {hit:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

db_test!(a_new_price_is_recorded_and_shown_everywhere, |t| {
    let (seller, _, product, variant) = listed(&t).await;
    search_shows_price(&t, "aurora", &product, 14900).await;
    let r = patch(
        &t,
        &seller,
        &variant,
        json!({"price": {"amount": 15900, "currency": "EUR"}}),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["price"], json!({"amount": 15900, "currency": "EUR"}));
    assert_eq!(r.body["sku"], "AUR-1", "what was not sent stays");
    assert_eq!(r.body["gtin"], "4006381333931");

    let page = t.get(&format!("/api/v1/products/{product}"), None).await;
    assert_eq!(
        page.body["variants"][0]["price"]["amount"], 15900,
        "the product page at once"
    );
    let offers = t.get(&format!("/api/v1/products/{product}/offers"), None).await;
    assert_eq!(
        offers.body["items"][0]["price"]["amount"], 15900,
        "the comparison at once: {}",
        offers.text
    );
    let html = reqwest::get(t.url(&format!("/p/{product}")))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("159.00"), "the product page's HTML");
    let lag = search_shows_price(&t, "aurora", &product, 15900).await;
    println!("search showed the new price after {lag:?}");

    let mut conn = t.app.db.conn().await.unwrap();
    let entries = agora_store::audit::for_subject(&mut conn, &product, 20).await.unwrap();
    let changed = entries
        .iter()
        .find(|e| e.action == "price.changed")
        .expect("the price change is in the audit log");
    let data: Value = serde_json::from_str(&changed.data).unwrap();
    assert_eq!(data["from"]["amount"], 14900);
    assert_eq!(data["to"]["amount"], 15900);
    let events = agora_store::outbox::after(&mut conn, 0, 1000).await.unwrap();
    assert!(
        events
            .iter()
            .any(|e| e.topic == "price.changed" && e.payload.contains(&variant)),
        "and announced in the outbox"
    );

    // The same price again changes nothing and records nothing.
    let r = patch(
        &t,
        &seller,
        &variant,
        json!({"price": {"amount": 15900, "currency": "EUR"}}),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let again = agora_store::audit::for_subject(&mut conn, &product, 20).await.unwrap();
    assert_eq!(again.iter().filter(|e| e.action == "price.changed").count(), 1);
});

db_test!(sku_gtin_and_options_change_and_bad_edits_change_nothing, |t| {
    let (seller, shop, product, variant) = listed(&t).await;
    let r = patch(
        &t,
        &seller,
        &variant,
        json!({"sku": "AUR-WHITE", "gtin": "", "attributes": {"colour": "white", "wireless": true}}),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["sku"], "AUR-WHITE");
    assert_eq!(r.body["gtin"], Value::Null, "an empty GTIN removes it");
    assert_eq!(r.body["options"], "White / Wireless");

    for (body, field) in [
        (json!({"price": {"amount": 100, "currency": "USD"}}), "price"),
        (json!({"price": {"amount": 14000, "currency": "EUR"}}), "price"),
        (json!({"gtin": "4006381333932"}), "gtin"),
        (json!({"sku": "has spaces"}), "sku"),
        (json!({"attributes": {"colour": "purple"}}), "attributes"),
        (json!({"attributes": {"size": "XL"}}), "attributes"),
    ] {
        let r = patch(&t, &seller, &variant, body.clone()).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {}", r.text);
        assert_eq!(r.body["errors"][0]["field"], field, "{body}: {}", r.text);
    }
    let r = patch(&t, &seller, &variant, json!({"price": "cheap"})).await;
    assert!(r.status.is_client_error(), "{}", r.text);

    // A SKU another variant of the shop has.
    let other = t
        .post(
            &format!("/api/v1/shops/{shop}/products"),
            Some(&seller),
            headphones("AUR-2", "", 9900, 3),
        )
        .await;
    assert_eq!(other.status, StatusCode::CREATED, "{}", other.text);
    let r = patch(&t, &seller, &variant, json!({"sku": "AUR-2"})).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text);
    assert_eq!(r.problem_type(), "/problems/duplicate-sku");

    let now = t.get(&format!("/api/v1/products/{product}"), None).await;
    let v = &now.body["variants"][0];
    assert_eq!(v["sku"], "AUR-WHITE", "no refused edit stuck: {v}");
    assert_eq!(v["price"]["amount"], 14900);
    assert_eq!(v["attributes"], json!({"colour": "white", "wireless": true}));

    let r = patch(&t, &seller, "var_nope", json!({"sku": "X"})).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
});

db_test!(an_archived_variant_leaves_the_shop_window_but_not_the_seller, |t| {
    let (seller, _, product, first) = listed(&t).await;
    let r = patch(&t, &seller, &first, json!({"archived": true})).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "the only variant: {}", r.text);
    assert_eq!(r.problem_type(), "/problems/invalid-transition");

    let r = t
        .post(
            &format!("/api/v1/products/{product}/variants"),
            Some(&seller),
            json!({"sku": "AUR-W", "price": {"amount": 15900, "currency": "EUR"}, "stock": 4,
                   "attributes": {"colour": "white"}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let second = r.body["variants"][1]["id"].as_str().unwrap().to_owned();

    // A buyer has the first in the cart when it goes off sale.
    let buyer = t.user("buyer@example.com").await;
    let r = t
        .post(
            "/api/v1/cart/items",
            Some(&buyer),
            json!({"variant_id": first, "quantity": 1}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);

    let r = patch(&t, &seller, &first, json!({"archived": true})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["archived"], true);

    let public = t.get(&format!("/api/v1/products/{product}"), None).await;
    let ids: Vec<&str> = public.body["variants"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, vec![second.as_str()], "buyers see only what is on sale");
    let staff = t.get(&format!("/api/v1/products/{product}"), Some(&seller)).await;
    assert_eq!(
        staff.body["variants"].as_array().unwrap().len(),
        2,
        "the seller sees both"
    );
    let offers = t.get(&format!("/api/v1/products/{product}/offers"), None).await;
    assert!(
        offers.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|o| o["variant_id"] != first.as_str()),
        "{}",
        offers.text
    );
    search_shows_price(&t, "aurora", &product, 15900).await;

    let r = t
        .post(
            "/api/v1/cart/items",
            Some(&buyer),
            json!({"variant_id": first, "quantity": 1}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    let cart = t.get("/api/v1/cart", Some(&buyer)).await;
    assert!(
        !cart.body["lines"][0]["issue"].is_null(),
        "the line already in the cart cannot be ordered: {}",
        cart.text
    );

    let r = patch(&t, &seller, &first, json!({"archived": false})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let public = t.get(&format!("/api/v1/products/{product}"), None).await;
    assert_eq!(public.body["variants"].as_array().unwrap().len(), 2, "back on sale");
    search_shows_price(&t, "aurora", &product, 14900).await;
});

db_test!(the_edit_page_saves_a_variant_and_keeps_what_was_typed, |t| {
    let (seller, _, product, variant) = listed(&t).await;
    let page = page_session::get(&t, &format!("/sell/products/{product}"), &seller).await;
    assert_eq!(page.status, StatusCode::OK);
    for label in [
        "Price in EUR",
        "Units in stock",
        "Reason for the change",
        "Warn me at",
        "Colour",
        "Wireless",
    ] {
        assert!(page.text.contains(label), "the page labels {label:?}");
    }
    let r = page_session::post(
        &t,
        &format!("/sell/products/{product}/variants/{variant}"),
        &seller,
        &[
            ("sku", "AUR-1"),
            ("gtin", "4006381333931"),
            ("price", "12.345"),
            ("opt_colour", "white"),
        ],
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text.contains("value=\"12.345\""), "what was typed stays");
    assert!(
        r.text.contains(&format!("price-{variant}-error")),
        "the error sits by the price"
    );
    let r = page_session::post(
        &t,
        &format!("/sell/products/{product}/variants/{variant}"),
        &seller,
        &[
            ("sku", "AUR-1"),
            ("gtin", "4006381333931"),
            ("price", "149.50"),
            ("opt_colour", "white"),
            ("opt_wireless", "yes"),
        ],
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    let v = &t.get(&format!("/api/v1/products/{product}"), None).await.body["variants"][0];
    assert_eq!(v["price"]["amount"], 14950);
    assert_eq!(v["options"], "White / Wireless");
});
