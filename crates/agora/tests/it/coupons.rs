//! Coupons: created by a shop's staff or an operator, taken off at checkout with exact amounts,
//! refused with a 422 naming `coupon` (and nothing reserved) when they cannot be used, never making
//! a total negative, and consumed exactly once however many checkouts race for the last use.

use agora_app::Settings;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::hostile::{marketplace, seller_with_shop};
use crate::page_session;
use crate::support::{db_test, CompanyMember, Reply, TestApp};

fn eur(amount: i64) -> Value {
    json!({"amount": amount, "currency": "EUR"})
}

/// Lists a product with one variant; returns the variant's id.
async fn variant(t: &TestApp, seller: &str, shop: &str, sku: &str, cents: i64, stock: i64) -> String {
    let r = t
        .post(
            &format!("/api/v1/shops/{shop}/products"),
            Some(seller),
            json!({"title": format!("Item {sku}"), "category": "audio",
                   "variants": [{"sku": sku, "price": eur(cents), "stock": stock}]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    r.body["variants"][0]["id"].as_str().unwrap().to_owned()
}

async fn add(t: &TestApp, buyer: &str, variant: &str, quantity: i64) {
    let r = t
        .post(
            "/api/v1/cart/items",
            Some(buyer),
            json!({"variant_id": variant, "quantity": quantity}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
}

fn order_body(coupon: &str) -> Value {
    json!({"shipping_address": {"name": "Bea Buyer", "line1": "Hauptstr. 1", "city": "Berlin",
                                "postal_code": "10115", "country": "DE"},
           "payment_method": "card", "coupon": coupon})
}

async fn checkout(t: &TestApp, buyer: &str, coupon: &str) -> Reply {
    t.post("/api/v1/checkout", Some(buyer), order_body(coupon)).await
}

async fn stock_of(t: &TestApp, seller: &str, variant: &str) -> i64 {
    let r = t
        .get(&format!("/api/v1/variants/{variant}/movements"), Some(seller))
        .await;
    r.body["items"][0]["stock_after"].as_i64().expect("a movement")
}

async fn shop_coupon(t: &TestApp, seller: &str, shop: &str, body: Value) -> Value {
    let r = t
        .post(&format!("/api/v1/shops/{shop}/coupons"), Some(seller), body)
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    r.body
}

async fn used_count(t: &TestApp, seller: &str, shop: &str, code: &str) -> i64 {
    let r = t.get(&format!("/api/v1/shops/{shop}/coupons"), Some(seller)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    r.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["code"] == code)
        .expect("the coupon is listed")["used_count"]
        .as_i64()
        .unwrap()
}

/// German VAT of 19 %, one approved shop with a product at 10.05 EUR (10 in stock), and a buyer.
async fn setup(t: &TestApp) -> (String, String, String, String) {
    marketplace(t).await;
    let operator = t.login("operator@agora.test").await;
    let r = t
        .call(
            Method::PUT,
            "/api/v1/admin/tax-rates/DE",
            Some(&operator),
            Some(json!({"rates": {"standard": 1900, "shipping": 1900}})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let (seller, shop) = seller_with_shop(t, "nora@example.com", "Nordlicht").await;
    let lamp = variant(t, &seller, &shop, "LAMP", 1005, 10).await;
    let buyer = t.user("buyer@example.com").await;
    (seller, shop, lamp, buyer)
}

/// A refused coupon: a 422 naming `coupon`, the stock as it was, the cart intact, no order.
async fn assert_refused(t: &TestApp, r: &Reply, buyer: &str, seller: &str, variant: &str, stock: i64, says: &str) {
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert_eq!(r.problem_type(), "/problems/validation", "{}", r.text);
    assert_eq!(r.body["errors"][0]["field"], "coupon", "{}", r.text);
    let message = r.body["errors"][0]["message"].as_str().unwrap();
    assert!(message.contains(says), "{message:?} should say {says:?}");
    assert_eq!(stock_of(t, seller, variant).await, stock, "nothing is reserved");
    let cart = t.get("/api/v1/cart", Some(buyer)).await;
    assert_eq!(
        cart.body["lines"].as_array().unwrap().len(),
        1,
        "the cart is intact: {}",
        cart.text
    );
}

async fn orders_of(t: &TestApp, buyer: &str) -> usize {
    t.get("/api/v1/orders", Some(buyer)).await.body["items"]
        .as_array()
        .unwrap()
        .len()
}

db_test!(percentage_and_fixed_coupons_take_exact_amounts_off, |t| {
    let (seller, shop, lamp, buyer) = setup(&t).await;
    let ten = shop_coupon(
        &t,
        &seller,
        &shop,
        json!({"code": "ten-off", "kind": "percentage", "percentage_bp": 1000}),
    )
    .await;
    assert_eq!(ten["code"], "TEN-OFF", "codes are stored upper-cased");
    assert_eq!(ten["shop_id"], shop.as_str());
    shop_coupon(
        &t,
        &seller,
        &shop,
        json!({"code": "FIVE", "kind": "fixed", "amount": eur(500)}),
    )
    .await;

    // 2 × 10.05 = 20.10; 10 % is 2.01 (typed in any case).
    add(&t, &buyer, &lamp, 2).await;
    let r = checkout(&t, &buyer, " Ten-Off ").await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let order = &r.body["orders"][0];
    assert_eq!(order["subtotal"], eur(2010));
    assert_eq!(order["discount"], eur(201));
    assert_eq!(order["shipping"], eur(0));
    assert_eq!(order["total"], eur(1809), "{}", r.text);
    // Tax-inclusive: 18.09 contains 19 % tax of 2.89 (18.09 − 18.09 / 1.19 = 2.888…).
    assert_eq!(order["tax"], eur(289), "{}", r.text);
    assert_eq!(order["lines"][0]["line_total"], eur(1809));
    let id = order["id"].as_str().unwrap();
    let again = t.get(&format!("/api/v1/orders/{id}"), Some(&buyer)).await;
    assert_eq!(again.body["discount"], eur(201), "the discount is stored on the order");
    assert_eq!(used_count(&t, &seller, &shop, "TEN-OFF").await, 1);
    let page = page_session::get(&t, &format!("/orders/{id}"), &buyer).await;
    assert!(page.text.contains("id=\"order-discount\">−2.01 EUR<"), "{}", page.text);

    // A fixed 5.00 off 3 × 10.05 = 30.15.
    add(&t, &buyer, &lamp, 3).await;
    let r = checkout(&t, &buyer, "five").await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(r.body["orders"][0]["discount"], eur(500));
    assert_eq!(r.body["orders"][0]["total"], eur(2515));
    assert_eq!(stock_of(&t, &seller, &lamp).await, 5);

    // Without a coupon nothing comes off.
    add(&t, &buyer, &lamp, 1).await;
    let r = checkout(&t, &buyer, "").await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(r.body["orders"][0]["discount"], eur(0));
    assert_eq!(r.body["orders"][0]["total"], eur(1005));
});

db_test!(
    an_operator_coupon_is_spread_over_every_shop_and_a_shop_coupon_stays_in_its_shop,
    |t| {
        let (seller, shop, lamp, buyer) = setup(&t).await;
        let (hans, hans_shop) = seller_with_shop(&t, "hans@example.com", "Hanse").await;
        let grinder = variant(&t, &hans, &hans_shop, "GRIND", 3000, 5).await;
        let operator = t.login("operator@agora.test").await;
        let r = t
            .post(
                "/api/v1/admin/coupons",
                Some(&operator),
                json!({"code": "ALL10", "kind": "percentage", "percentage_bp": 1000}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        assert_eq!(r.body["shop_id"], Value::Null);
        let listed = t.get("/api/v1/admin/coupons", Some(&operator)).await;
        assert_eq!(listed.body["items"][0]["code"], "ALL10", "{}", listed.text);
        let by_seller = t
            .post(
                "/api/v1/admin/coupons",
                Some(&seller),
                json!({"code": "MINE", "kind": "percentage", "percentage_bp": 1000}),
            )
            .await;
        assert_eq!(by_seller.status, StatusCode::FORBIDDEN, "{}", by_seller.text);

        add(&t, &buyer, &lamp, 1).await;
        add(&t, &buyer, &grinder, 1).await;
        let r = checkout(&t, &buyer, "all10").await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        let orders = r.body["orders"].as_array().unwrap();
        let of = |s: &str| orders.iter().find(|o| o["shop"]["id"] == s).unwrap();
        // 10 % of 40.05 is 4.005 → 4.01, spread by the goods: 10.05 → 1.01 (largest remainder), 30.00 → 3.00.
        assert_eq!(of(&shop)["discount"], eur(101), "{}", r.text);
        assert_eq!(of(&hans_shop)["discount"], eur(300), "{}", r.text);
        assert_eq!(of(&hans_shop)["total"], eur(2700));

        // Hans's coupon in a cart with both shops' goods discounts only Hans's order.
        shop_coupon(
            &t,
            &hans,
            &hans_shop,
            json!({"code": "HANSE", "kind": "fixed", "amount": eur(1000)}),
        )
        .await;
        add(&t, &buyer, &lamp, 1).await;
        add(&t, &buyer, &grinder, 1).await;
        let r = checkout(&t, &buyer, "HANSE").await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        let orders = r.body["orders"].as_array().unwrap();
        let of = |s: &str| orders.iter().find(|o| o["shop"]["id"] == s).unwrap();
        assert_eq!(of(&shop)["discount"], eur(0));
        assert_eq!(of(&shop)["total"], eur(1005));
        assert_eq!(of(&hans_shop)["discount"], eur(1000));
        assert_eq!(of(&hans_shop)["total"], eur(2000));
    }
);

db_test!(
    a_coupon_that_cannot_be_used_is_refused_naming_the_field_and_nothing_is_reserved,
    |t| {
        let (seller, shop, lamp, buyer) = setup(&t).await;
        let (hans, hans_shop) = seller_with_shop(&t, "hans@example.com", "Hanse").await;
        let day = 86_400_000;
        let at = |ms: i64| agora_app::rfc3339(agora_store::now_ms() + ms);
        let (long_ago, yesterday, future) = (at(-9 * day), at(-day), at(day));
        shop_coupon(
            &t,
            &seller,
            &shop,
            json!({"code": "OLD", "kind": "percentage", "percentage_bp": 500,
        "valid_from": long_ago, "valid_until": yesterday}),
        )
        .await;
        shop_coupon(
            &t,
            &seller,
            &shop,
            json!({"code": "SOON", "kind": "percentage", "percentage_bp": 500,
        "valid_from": future}),
        )
        .await;
        shop_coupon(
            &t,
            &seller,
            &shop,
            json!({"code": "BIG-SPEND", "kind": "fixed", "amount": eur(500),
        "min_spend": eur(5000)}),
        )
        .await;
        shop_coupon(
            &t,
            &seller,
            &shop,
            json!({"code": "ONCE", "kind": "percentage", "percentage_bp": 500,
        "max_uses": 1}),
        )
        .await;
        shop_coupon(
            &t,
            &hans,
            &hans_shop,
            json!({"code": "HANSE", "kind": "percentage", "percentage_bp": 500}),
        )
        .await;
        let gone = shop_coupon(
            &t,
            &seller,
            &shop,
            json!({"code": "GONE", "kind": "percentage", "percentage_bp": 500}),
        )
        .await;

        // Someone else takes the one use of ONCE.
        let first = t.user("first@example.com").await;
        add(&t, &first, &lamp, 1).await;
        let r = checkout(&t, &first, "once").await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        let r = t
            .post(
                &format!("/api/v1/coupons/{}/deactivate", gone["id"].as_str().unwrap()),
                Some(&seller),
                json!({}),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        assert_eq!(r.body["active"], false);

        add(&t, &buyer, &lamp, 2).await;
        for (code, says) in [
            ("OLD", "expired"),
            ("SOON", "not valid yet"),
            ("BIG-SPEND", "at least 50.00 EUR"),
            ("ONCE", "used up"),
            ("HANSE", "another shop"),
            ("GONE", "no coupon"),
            ("NOPE", "no coupon"),
            ("bad code!", "no coupon"),
        ] {
            let r = checkout(&t, &buyer, code).await;
            assert_refused(&t, &r, &buyer, &seller, &lamp, 9, says).await;
        }
        assert_eq!(orders_of(&t, &buyer).await, 0, "no order was created");
        assert_eq!(used_count(&t, &seller, &shop, "ONCE").await, 1);
        assert_eq!(used_count(&t, &seller, &shop, "OLD").await, 0);

        // The page names the field too, and keeps what was typed.
        let fields = [
            ("name", "Bea Buyer"),
            ("line1", "Hauptstr. 1"),
            ("postal_code", "10115"),
            ("city", "Berlin"),
            ("country", "DE"),
            ("payment_method", "card"),
            ("coupon", "OLD"),
        ];
        let page = page_session::post(&t, "/checkout", &buyer, &fields).await;
        assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", page.text);
        assert!(page.text.contains("id=\"coupon-error\""), "{}", page.text);
        assert!(page.text.contains("this coupon has expired"), "{}", page.text);
        assert!(page.text.contains("value=\"OLD\""), "{}", page.text);
        assert_eq!(stock_of(&t, &seller, &lamp).await, 9);
    }
);

db_test!(a_fixed_coupon_larger_than_the_goods_never_makes_a_total_negative, |t| {
    let (seller, shop, lamp, buyer) = setup(&t).await;
    let r = t
        .call(
            Method::PUT,
            &format!("/api/v1/shops/{shop}/shipping-rates/DE"),
            Some(&seller),
            Some(json!({"amount": eur(495)})),
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    shop_coupon(
        &t,
        &seller,
        &shop,
        json!({"code": "HUNDRED", "kind": "fixed", "amount": eur(10000)}),
    )
    .await;
    add(&t, &buyer, &lamp, 2).await;
    let r = checkout(&t, &buyer, "HUNDRED").await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let order = &r.body["orders"][0];
    assert_eq!(order["discount"], eur(2010), "capped at the goods: {}", r.text);
    assert_eq!(order["total"], eur(495), "only the shipping is left to pay");
    assert_eq!(order["lines"][0]["line_total"], eur(0));
});

db_test!(a_per_buyer_limit_counts_each_buyer, |t| {
    let (seller, shop, lamp, buyer) = setup(&t).await;
    shop_coupon(
        &t,
        &seller,
        &shop,
        json!({"code": "WELCOME", "kind": "percentage", "percentage_bp": 1000,
        "max_uses_per_buyer": 1}),
    )
    .await;
    add(&t, &buyer, &lamp, 1).await;
    let r = checkout(&t, &buyer, "WELCOME").await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    add(&t, &buyer, &lamp, 1).await;
    let r = checkout(&t, &buyer, "welcome").await;
    assert_refused(&t, &r, &buyer, &seller, &lamp, 9, "already used").await;
    let other = t.user("other@example.com").await;
    add(&t, &other, &lamp, 1).await;
    let r = checkout(&t, &other, "WELCOME").await;
    assert_eq!(r.status, StatusCode::CREATED, "another buyer may: {}", r.text);
    assert_eq!(used_count(&t, &seller, &shop, "WELCOME").await, 2);
});

db_test!(
    a_one_use_coupon_raced_by_twenty_checkouts_is_consumed_once,
    settings = Settings {
        registrations_per_client: 1_000,
        ..Settings::default()
    },
    |t| {
        let (seller, shop, lamp, _) = setup(&t).await;
        let r = t
            .call(
                Method::PUT,
                &format!("/api/v1/variants/{lamp}/stock"),
                Some(&seller),
                Some(json!({"stock": 100})),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        shop_coupon(
            &t,
            &seller,
            &shop,
            json!({"code": "LAST-ONE", "kind": "fixed", "amount": eur(500), "max_uses": 1}),
        )
        .await;
        let mut buyers = Vec::new();
        for i in 0..20 {
            let b = t.user(&format!("racer{i}@example.com")).await;
            add(&t, &b, &lamp, 1).await;
            buyers.push(b);
        }
        let racers = buyers.iter().map(|b| {
            let (client, url, b) = (t.client.clone(), t.url("/api/v1/checkout"), b.clone());
            async move {
                let res = client
                    .post(url)
                    .bearer_auth(b)
                    .json(&order_body("LAST-ONE"))
                    .send()
                    .await
                    .unwrap();
                crate::support::read(res).await
            }
        });
        let replies = futures::future::join_all(racers).await;
        let mut won = 0;
        for r in &replies {
            match r.status {
                StatusCode::CREATED => {
                    won += 1;
                    assert_eq!(r.body["orders"][0]["discount"], eur(500));
                }
                StatusCode::UNPROCESSABLE_ENTITY => {
                    assert_eq!(r.body["errors"][0]["field"], "coupon", "{}", r.text);
                    assert!(r.text.contains("used up"), "{}", r.text);
                }
                other => panic!("{other}: {}", r.text),
            }
        }
        assert_eq!(won, 1, "exactly one checkout gets the coupon");
        assert_eq!(used_count(&t, &seller, &shop, "LAST-ONE").await, 1);
        assert_eq!(
            stock_of(&t, &seller, &lamp).await,
            99,
            "only the winner's unit is reserved"
        );
        let sold = t.get("/api/v1/orders?role=seller", Some(&seller)).await;
        assert_eq!(sold.body["items"].as_array().unwrap().len(), 1, "{}", sold.text);
    }
);

db_test!(
    only_the_shops_staff_create_its_coupons_and_bad_ones_name_their_fields,
    |t| {
        let (seller, shop, _, buyer) = setup(&t).await;
        let body = json!({"code": "SALE", "kind": "percentage", "percentage_bp": 1000});
        let stranger = t.user("stranger@example.com").await;
        for who in [&buyer, &stranger] {
            let r = t
                .post(&format!("/api/v1/shops/{shop}/coupons"), Some(who), body.clone())
                .await;
            assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.text);
            let r = t.get(&format!("/api/v1/shops/{shop}/coupons"), Some(who)).await;
            assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.text);
            let r = page_session::post(
                &t,
                &format!("/sell/shops/{shop}/coupons"),
                who,
                &[
                    ("code", "SALE"),
                    ("kind", "percentage"),
                    ("value", "10"),
                    ("currency", "EUR"),
                ],
            )
            .await;
            assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.text);
        }
        let r = t
            .post(&format!("/api/v1/shops/{shop}/coupons"), None, body.clone())
            .await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{}", r.text);
        let created = shop_coupon(&t, &seller, &shop, body.clone()).await;
        let r = t
            .post(
                &format!("/api/v1/coupons/{}/deactivate", created["id"].as_str().unwrap()),
                Some(&stranger),
                json!({}),
            )
            .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.text);

        let r = t
            .post(
                &format!("/api/v1/shops/{shop}/coupons"),
                Some(&seller),
                json!({"code": "sale", "kind": "fixed", "amount": eur(100)}),
            )
            .await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "codes are case-insensitive: {}",
            r.text
        );
        assert_eq!(r.body["errors"][0]["field"], "code");
        let r = t
            .post(
                &format!("/api/v1/shops/{shop}/coupons"),
                Some(&seller),
                json!({"code": "x", "kind": "fixed", "amount": eur(0), "min_spend": {"amount": 100, "currency": "USD"},
                   "valid_from": "2027-01-02T00:00:00Z", "valid_until": "2027-01-01T00:00:00Z", "max_uses": 0}),
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
        let fields: Vec<&str> = r.body["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["field"].as_str().unwrap())
            .collect();
        for f in ["code", "amount", "min_spend", "valid_until", "max_uses"] {
            assert!(fields.contains(&f), "{f} in {fields:?}");
        }
        let r = t
            .post(
                &format!("/api/v1/shops/{shop}/coupons"),
                Some(&seller),
                json!({"code": "ODD", "kind": "free"}),
            )
            .await;
        assert_eq!(r.body["errors"][0]["field"], "kind", "{}", r.text);
        let r = t
            .post(
                &format!("/api/v1/shops/{shop}/coupons"),
                Some(&seller),
                json!({"code": "HUGE", "kind": "percentage", "percentage_bp": 10001}),
            )
            .await;
        assert_eq!(r.body["errors"][0]["field"], "percentage_bp", "{}", r.text);

        // The seller's page lists them and creates one.
        let page = page_session::get(&t, &format!("/sell/shops/{shop}"), &seller).await;
        assert!(
            page.text.contains(&format!("href=\"/sell/shops/{shop}/coupons\"")),
            "{}",
            page.text
        );
        let r = page_session::post(
            &t,
            &format!("/sell/shops/{shop}/coupons"),
            &seller,
            &[
                ("code", "spring"),
                ("kind", "percentage"),
                ("value", "12.5"),
                ("currency", "EUR"),
                ("valid_until", "2030-05-31"),
                ("max_uses", "50"),
            ],
        )
        .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
        let page = page_session::get(&t, &format!("/sell/shops/{shop}/coupons"), &seller).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.text);
        assert!(
            page.text.contains("SPRING") && page.text.contains("12.50 % off") && page.text.contains("0 of 50"),
            "{}",
            page.text
        );
        let listed = t.get(&format!("/api/v1/shops/{shop}/coupons"), Some(&seller)).await;
        let spring = listed.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["code"] == "SPRING")
            .unwrap()
            .clone();
        assert_eq!(spring["percentage_bp"], 1250);
        assert_eq!(
            spring["valid_until"], "2030-06-01T00:00:00Z",
            "through the whole last day"
        );
        let r = page_session::post(
            &t,
            &format!("/sell/shops/{shop}/coupons"),
            &seller,
            &[
                ("code", "AUTUMN"),
                ("kind", "fixed"),
                ("value", "abc"),
                ("currency", "EUR"),
            ],
        )
        .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
        assert!(r.text.contains("id=\"value-error\""), "{}", r.text);
    }
);

db_test!(
    a_demoted_or_removed_company_member_cannot_create_the_company_shops_coupons,
    |t| {
        marketplace(&t).await;
        let operator = t.login("operator@agora.test").await;
        let CompanyMember {
            admin: anna,
            company: acme,
            member: sam,
            member_id: sam_id,
        } = t
            .company_with_member("anna@acme.test", "Acme Ltd", "sam@acme.test", "sales")
            .await;
        let shop = t.approved_company_shop(&operator, &sam, "Acme Audio", "Acme Ltd").await;
        let create = |code: &str| json!({"code": code, "kind": "percentage", "percentage_bp": 500});
        let path = format!("/api/v1/shops/{shop}/coupons");

        assert_eq!(
            t.post(&path, Some(&sam), create("SAM1")).await.status,
            StatusCode::CREATED
        );
        assert_eq!(
            t.post(&path, Some(&anna), create("ANNA1")).await.status,
            StatusCode::CREATED
        );
        let r = t
            .call(
                Method::PATCH,
                &format!("/api/v1/companies/{acme}/members/{sam_id}"),
                Some(&anna),
                Some(json!({"role": "purchaser"})),
            )
            .await;
        assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
        let r = t.post(&path, Some(&sam), create("SAM2")).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "demoted: {}", r.text);
        let r = t
            .call(
                Method::DELETE,
                &format!("/api/v1/companies/{acme}/members/{sam_id}"),
                Some(&anna),
                None,
            )
            .await;
        assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
        let r = t.post(&path, Some(&sam), create("SAM3")).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "removed: {}", r.text);
        let listed = t.get(&path, Some(&anna)).await;
        assert_eq!(listed.body["items"].as_array().unwrap().len(), 2, "{}", listed.text);
    }
);
