//! The terms checkout reads besides the cart (a shop's price mode, shipping rates and methods,
//! the operator's tax rates) are held in process: a change applies to the very next checkout on
//! the node that made it, and soon to those of every other node.

use std::time::{Duration, Instant};

use agora_core::money::{Currency, Money};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::cached_pages::{other_node, other_node_limit};
use crate::hostile::{marketplace, seller_with_shop};
use crate::orders::{add, address, checkout, eur, german_tax, tax_rates, variant};
use crate::shipping_methods::set_methods;
use crate::support::{db_test, TestApp};

fn card_to(country: &str) -> Value {
    json!({"shipping_address": address(country), "payment_method": "card"})
}

/// Checks out 2 units of `variant` shipped to Germany: the order's figures.
async fn order_of_two(t: &TestApp, buyer: &str, variant: &str) -> Value {
    add(t, buyer, variant, 2).await;
    let r = checkout(t, buyer, card_to("DE")).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    r.body["orders"][0].clone()
}

async fn shipping_rate(t: &TestApp, seller: &str, shop: &str, cents: i64) {
    let r = t
        .call(
            Method::PUT,
            &format!("/api/v1/shops/{shop}/shipping-rates/DE"),
            Some(seller),
            Some(json!({ "amount": eur(cents) })),
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
}

/// The shipping options offered for the buyer's cart to Germany: `(name, cents)`.
async fn options(t: &TestApp, buyer: &str) -> Vec<(String, i64)> {
    let r = t.get("/api/v1/checkout/shipping-options?country=DE", Some(buyer)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    r.body["shops"][0]["options"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| {
            (
                o["name"].as_str().unwrap().to_owned(),
                o["price"]["amount"].as_i64().unwrap(),
            )
        })
        .collect()
}

/// A shop selling one item at 10.00, shipping to Germany for 4.95 (taxed at 19 %), and a buyer.
struct Shop {
    seller: String,
    shop: String,
    variant: String,
    buyer: String,
}

async fn shop_shipping_to_germany(t: &TestApp) -> Shop {
    marketplace(t).await;
    tax_rates(t).await;
    let (seller, shop) = seller_with_shop(t, "seller@example.com", "Sound Shop").await;
    let variant = variant(t, &seller, &shop, "BOLT", 1000, 50).await;
    shipping_rate(t, &seller, &shop, 495).await;
    let buyer = t.user("buyer@example.com").await;
    Shop {
        seller,
        shop,
        variant,
        buyer,
    }
}

db_test!(every_change_of_a_term_applies_to_the_next_checkout, |t| {
    let Shop {
        seller,
        shop,
        variant: v,
        buyer,
    } = shop_shipping_to_germany(&t).await;

    // The first checkout reads the terms (and keeps them).
    let o = order_of_two(&t, &buyer, &v).await;
    assert_eq!(o["shipping"], eur(495));
    assert_eq!(o["tax_inclusive"], true);

    shipping_rate(&t, &seller, &shop, 595).await;
    let o = order_of_two(&t, &buyer, &v).await;
    assert_eq!(o["shipping"], eur(595), "the new shipping rate");

    let r = t
        .call(
            Method::PUT,
            &format!("/api/v1/shops/{shop}/price-mode"),
            Some(&seller),
            Some(json!({"price_mode": "tax_exclusive"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let o = order_of_two(&t, &buyer, &v).await;
    // 19 % of 20.00 is 3.80, of 5.95 is 1.13 (1.1305).
    assert_eq!(o["tax_inclusive"], false, "the new price mode");
    assert_eq!(o["tax"], eur(380 + 113));

    german_tax(&t, 700).await;
    let o = order_of_two(&t, &buyer, &v).await;
    // 7 % of 20.00 is 1.40, of 5.95 is 0.42 (0.4165).
    assert_eq!(o["tax"], eur(140 + 42), "the new tax rates");
    assert_eq!(o["total"], eur(2000 + 595 + 140 + 42));

    add(&t, &buyer, &v, 1).await;
    assert_eq!(options(&t, &buyer).await, [("Standard shipping".to_owned(), 595)]);
    let set = set_methods(
        &t,
        &seller,
        &shop,
        json!([{"name": "Courier", "rate": {"kind": "flat", "price": eur(900)}}]),
    )
    .await;
    assert_eq!(set.status, StatusCode::OK, "{}", set.text);
    assert_eq!(
        options(&t, &buyer).await,
        [("Courier".to_owned(), 900)],
        "the new shipping methods"
    );
    let r = checkout(&t, &buyer, card_to("DE")).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(r.body["orders"][0]["shipping"], eur(900));
    assert_eq!(r.body["orders"][0]["shipping_method"], "Courier");
});

db_test!(a_term_changed_on_another_node_applies_here_soon, |t| {
    let Shop {
        seller,
        shop,
        variant: v,
        buyer,
    } = shop_shipping_to_germany(&t).await;
    add(&t, &buyer, &v, 1).await;
    assert_eq!(options(&t, &buyer).await, [("Standard shipping".to_owned(), 495)]);

    let other = other_node(&t).await;
    let seller = agora_app::accounts::authenticate(&other, &seller)
        .await
        .unwrap()
        .unwrap();
    agora_app::price_comparison::set_shipping_rate(&other, &seller, &shop, "DE", Money::new(595, Currency::EUR))
        .await
        .unwrap();
    let limit = other_node_limit(&t);
    let changed = Instant::now();
    loop {
        if options(&t, &buyer).await == [("Standard shipping".to_owned(), 595)] {
            break;
        }
        assert!(
            changed.elapsed() < limit,
            "the other node's rate did not show here within {limit:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    println!("the other node's rate applied here after {:?}", changed.elapsed());
    let r = checkout(&t, &buyer, card_to("DE")).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(r.body["orders"][0]["shipping"], eur(595));
});
