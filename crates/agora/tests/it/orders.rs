//! Checkout and orders: one order per shop from one cart, stock reserved for every line or none,
//! amounts that add up, the order's life from placed to completed or cancelled, and nobody seeing
//! or moving an order that is not theirs.

use agora_app::Settings;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::hostile::{marketplace, seller_with_shop};
use crate::support::{db_test, read, Reply, TestApp, PASSWORD};

/// Lists a product with one variant; returns the variant's id.
pub(crate) async fn variant(t: &TestApp, seller: &str, shop: &str, sku: &str, cents: i64, stock: i64) -> String {
    let r = t
        .post(
            &format!("/api/v1/shops/{shop}/products"),
            Some(seller),
            json!({"title": format!("Item {sku}"), "category": "audio",
                   "variants": [{"sku": sku, "price": {"amount": cents, "currency": "EUR"}, "stock": stock}]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    r.body["variants"][0]["id"].as_str().unwrap().to_owned()
}

/// German VAT: 19 % on goods and shipping.
pub(crate) async fn tax_rates(t: &TestApp) {
    german_tax(t, 1900).await;
}

/// Sets the operator's German tax rate on goods and shipping, in basis points.
pub(crate) async fn german_tax(t: &TestApp, bp: i64) {
    let operator = t.login("operator@agora.test").await;
    let r = t
        .call(
            Method::PUT,
            "/api/v1/admin/tax-rates/DE",
            Some(&operator),
            Some(json!({"rates": {"standard": bp, "shipping": bp}})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
}

pub(crate) async fn add(t: &TestApp, buyer: &str, variant: &str, quantity: i64) {
    let r = t
        .post(
            "/api/v1/cart/items",
            Some(buyer),
            json!({"variant_id": variant, "quantity": quantity}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
}

pub(crate) fn address(country: &str) -> Value {
    json!({"name": "Bea Buyer", "line1": "Hauptstr. 1", "city": "Berlin", "postal_code": "10115", "country": country})
}

pub(crate) async fn checkout(t: &TestApp, buyer: &str, body: Value) -> Reply {
    t.post("/api/v1/checkout", Some(buyer), body).await
}

pub(crate) async fn stock_of(t: &TestApp, seller: &str, variant: &str) -> i64 {
    let r = t
        .get(&format!("/api/v1/variants/{variant}/movements"), Some(seller))
        .await;
    r.body["items"][0]["stock_after"].as_i64().expect("a movement")
}

pub(crate) fn eur(amount: i64) -> Value {
    json!({"amount": amount, "currency": "EUR"})
}

db_test!(one_checkout_places_one_order_per_shop_with_exact_amounts, |t| {
    marketplace(&t).await;
    tax_rates(&t).await;
    let (nora, nora_shop) = seller_with_shop(&t, "nora@example.com", "Nordlicht").await;
    let (hans, hans_shop) = seller_with_shop(&t, "hans@example.com", "Hanse").await;
    let lamp = variant(&t, &nora, &nora_shop, "LAMP", 1000, 5).await;
    let cable = variant(&t, &nora, &nora_shop, "CABLE", 333, 50).await;
    let grinder = variant(&t, &hans, &hans_shop, "GRIND", 4999, 3).await;
    let r = t
        .call(
            Method::PUT,
            &format!("/api/v1/shops/{nora_shop}/shipping-rates/DE"),
            Some(&nora),
            Some(json!({"amount": eur(495)})),
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);

    let buyer = t.user("buyer@example.com").await;
    add(&t, &buyer, &lamp, 2).await;
    add(&t, &buyer, &cable, 3).await;
    add(&t, &buyer, &grinder, 1).await;
    let r = checkout(
        &t,
        &buyer,
        json!({"shipping_address": address("DE"), "payment_method": "card", "purchase_order": "PO-77",
               "total": eur(1)}),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let orders = r.body["orders"].as_array().unwrap();
    assert_eq!(orders.len(), 2, "one order per shop: {}", r.text);
    let nora_order = orders.iter().find(|o| o["shop"]["id"] == nora_shop.as_str()).unwrap();
    let hans_order = orders.iter().find(|o| o["shop"]["id"] == hans_shop.as_str()).unwrap();
    assert_eq!(nora_order["status"], "pending_payment");
    assert_eq!(nora_order["purchase_order"], "PO-77");
    assert_eq!(nora_order["lines"].as_array().unwrap().len(), 2);
    // Tax-inclusive prices: 2 × 10.00 + 3 × 3.33 = 29.99 goods, 4.95 shipping, total 34.94, of
    // which 19 % tax contained: 20.00 → 3.19, 9.99 → 1.60, 4.95 → 0.79.
    assert_eq!(nora_order["subtotal"], eur(2999));
    assert_eq!(nora_order["shipping"], eur(495));
    assert_eq!(nora_order["total"], eur(3494), "the total a client sends is ignored");
    assert_eq!(nora_order["tax"], eur(319 + 160 + 79));
    assert_eq!(nora_order["tax_inclusive"], true);
    assert_eq!(hans_order["subtotal"], eur(4999));
    assert_eq!(
        hans_order["shipping"],
        eur(0),
        "a shop without shipping rates ships for free"
    );
    assert_eq!(hans_order["total"], eur(4999));
    assert_eq!(nora_order["group_id"], hans_order["group_id"]);
    assert_eq!(nora_order["events"][0]["event"], "placed");

    assert_eq!(stock_of(&t, &nora, &lamp).await, 3, "the stock is reserved");
    assert_eq!(stock_of(&t, &hans, &grinder).await, 2);
    assert_eq!(
        t.get("/api/v1/cart", Some(&buyer)).await.body["lines"],
        json!([]),
        "the cart is empty"
    );

    // The buyer sees both; each seller sees only their shop's.
    let mine = t.get("/api/v1/orders", Some(&buyer)).await;
    assert_eq!(mine.body["items"].as_array().unwrap().len(), 2, "{}", mine.text);
    let noras = t.get("/api/v1/orders?role=seller", Some(&nora)).await;
    assert_eq!(noras.body["items"].as_array().unwrap().len(), 1, "{}", noras.text);
    assert_eq!(noras.body["items"][0]["id"], nora_order["id"]);
    let hans_id = hans_order["id"].as_str().unwrap();
    assert_eq!(
        t.get(&format!("/api/v1/orders/{hans_id}"), Some(&nora)).await.status,
        StatusCode::NOT_FOUND
    );
    let stranger = t.user("stranger@example.com").await;
    assert_eq!(
        t.get(&format!("/api/v1/orders/{hans_id}"), Some(&stranger))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(t.get("/api/v1/orders", Some(&stranger)).await.body["items"], json!([]));

    // Later catalog changes do not change the order.
    t.sql(&format!("UPDATE variants SET price_amount = 1 WHERE id = '{lamp}'"))
        .await;
    let again = t
        .get(
            &format!("/api/v1/orders/{}", nora_order["id"].as_str().unwrap()),
            Some(&buyer),
        )
        .await;
    assert_eq!(again.body["lines"][0]["unit_price"], eur(1000));
    assert_eq!(again.body["total"], eur(3494));
});

db_test!(an_order_is_shipped_received_and_its_timeline_kept, |t| {
    marketplace(&t).await;
    tax_rates(&t).await;
    let (seller, shop) = seller_with_shop(&t, "seller@example.com", "Sound Shop").await;
    let v = variant(&t, &seller, &shop, "HP", 1000, 5).await;
    let buyer = t.user("buyer@example.com").await;
    add(&t, &buyer, &v, 1).await;
    let r = checkout(
        &t,
        &buyer,
        json!({"shipping_address": address("DE"), "payment_method": "cod"}),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let id = r.body["orders"][0]["id"].as_str().unwrap().to_owned();
    assert_eq!(
        r.body["orders"][0]["status"], "confirmed",
        "cash on delivery may ship at once"
    );

    let ship = json!({"carrier": "DHL", "tracking_number": "00340434161094042557"});
    let by_buyer = t
        .post(&format!("/api/v1/orders/{id}/ship"), Some(&buyer), ship.clone())
        .await;
    assert_eq!(by_buyer.status, StatusCode::FORBIDDEN, "{}", by_buyer.text);
    let stranger = t.user("stranger@example.com").await;
    let by_stranger = t
        .post(&format!("/api/v1/orders/{id}/ship"), Some(&stranger), ship.clone())
        .await;
    assert_eq!(by_stranger.status, StatusCode::NOT_FOUND, "{}", by_stranger.text);
    let blank = t
        .post(
            &format!("/api/v1/orders/{id}/ship"),
            Some(&seller),
            json!({"carrier": " ", "tracking_number": "1"}),
        )
        .await;
    assert_eq!(blank.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", blank.text);
    assert_eq!(blank.body["errors"][0]["field"], "carrier");

    let shipped = t
        .post(&format!("/api/v1/orders/{id}/ship"), Some(&seller), ship.clone())
        .await;
    assert_eq!(shipped.status, StatusCode::OK, "{}", shipped.text);
    assert_eq!(shipped.body["status"], "shipped");
    assert_eq!(shipped.body["tracking_number"], "00340434161094042557");
    let twice = t.post(&format!("/api/v1/orders/{id}/ship"), Some(&seller), ship).await;
    assert_eq!(twice.status, StatusCode::CONFLICT, "{}", twice.text);
    assert_eq!(twice.problem_type(), "/problems/invalid-transition");
    let cancel = t
        .post(&format!("/api/v1/orders/{id}/cancel"), Some(&buyer), json!({}))
        .await;
    assert_eq!(
        cancel.status,
        StatusCode::FORBIDDEN,
        "only the seller may call off a shipped cash order: {}",
        cancel.text
    );
    // Cash on delivery completes when the cash is recorded, not by the buyer's word.
    let confirm = t
        .post(&format!("/api/v1/orders/{id}/confirm-receipt"), Some(&buyer), json!({}))
        .await;
    assert_eq!(confirm.status, StatusCode::CONFLICT, "{}", confirm.text);

    // A prepaid order: the buyer confirms receipt once it is paid and shipped.
    add(&t, &buyer, &v, 1).await;
    let r = checkout(
        &t,
        &buyer,
        json!({"shipping_address": address("DE"), "payment_method": "card"}),
    )
    .await;
    let prepaid = r.body["orders"][0]["id"].as_str().unwrap().to_owned();
    let early = t
        .post(
            &format!("/api/v1/orders/{prepaid}/ship"),
            Some(&seller),
            json!({"carrier": "DHL", "tracking_number": "1"}),
        )
        .await;
    assert_eq!(
        early.status,
        StatusCode::CONFLICT,
        "an unpaid prepaid order does not ship: {}",
        early.text
    );

    let order = t.get(&format!("/api/v1/orders/{id}"), Some(&buyer)).await;
    let events: Vec<&str> = order.body["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["event"].as_str().unwrap())
        .collect();
    assert_eq!(events, ["placed", "shipped"], "{}", order.text);
    assert_eq!(order.body["events"][1]["party"], "seller");
});

db_test!(a_cancelled_order_puts_its_stock_back, |t| {
    marketplace(&t).await;
    tax_rates(&t).await;
    let (seller, shop) = seller_with_shop(&t, "seller@example.com", "Sound Shop").await;
    let v = variant(&t, &seller, &shop, "HP", 1000, 5).await;
    let buyer = t.user("buyer@example.com").await;
    add(&t, &buyer, &v, 4).await;
    let r = checkout(
        &t,
        &buyer,
        json!({"shipping_address": address("DE"), "payment_method": "card"}),
    )
    .await;
    let id = r.body["orders"][0]["id"].as_str().unwrap().to_owned();
    assert_eq!(stock_of(&t, &seller, &v).await, 1);
    let other = t.user("other@example.com").await;
    let theirs = t
        .post(&format!("/api/v1/orders/{id}/cancel"), Some(&other), json!({}))
        .await;
    assert_eq!(theirs.status, StatusCode::NOT_FOUND, "{}", theirs.text);

    let res = t
        .client
        .post(t.url(&format!("/api/v1/orders/{id}/cancel")))
        .bearer_auth(&buyer)
        .send()
        .await
        .unwrap();
    let cancelled = read(res).await;
    assert_eq!(cancelled.status, StatusCode::OK, "no body is fine: {}", cancelled.text);
    assert_eq!(cancelled.body["status"], "cancelled");
    assert_eq!(stock_of(&t, &seller, &v).await, 5, "the stock is back");
    let again = t
        .post(&format!("/api/v1/orders/{id}/cancel"), Some(&buyer), json!({}))
        .await;
    assert_eq!(again.status, StatusCode::CONFLICT, "{}", again.text);
    assert_eq!(stock_of(&t, &seller, &v).await, 5, "and only once");
});

db_test!(bad_checkouts_are_refused_naming_the_field_and_reserve_nothing, |t| {
    marketplace(&t).await;
    tax_rates(&t).await;
    let (seller, shop) = seller_with_shop(&t, "seller@example.com", "Sound Shop").await;
    let v = variant(&t, &seller, &shop, "HP", 1000, 5).await;
    let buyer = t.user("buyer@example.com").await;
    let empty = checkout(
        &t,
        &buyer,
        json!({"shipping_address": address("DE"), "payment_method": "card"}),
    )
    .await;
    assert_eq!(empty.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", empty.text);
    assert_eq!(empty.body["errors"][0]["field"], "cart");
    add(&t, &buyer, &v, 2).await;

    let mut no_country = address("DE");
    no_country.as_object_mut().unwrap().remove("country");
    let mut blank_country = address("");
    blank_country["city"] = json!("");
    let cases = [
        (
            json!({"shipping_address": blank_country, "payment_method": "card"}),
            "shipping_address.country",
        ),
        (
            json!({"shipping_address": address("ZZ"), "payment_method": "card"}),
            "shipping_address.country",
        ),
        (
            json!({"shipping_address": address("FR"), "payment_method": "card"}),
            "shipping_address.country",
        ),
        (
            json!({"shipping_address": address("DE"), "payment_method": "iou"}),
            "payment_method",
        ),
        (
            json!({"shipping_address": no_country, "payment_method": "card"}),
            "shipping_address.country",
        ),
    ];
    for (body, field) in cases {
        let r = checkout(&t, &buyer, body.clone()).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {}", r.text);
        let fields: Vec<&str> = r.body["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["field"].as_str().unwrap())
            .collect();
        assert!(fields.contains(&field), "{body}: {}", r.text);
    }
    // A shop that ships only to Austria does not ship to Germany.
    let r = t
        .call(
            Method::PUT,
            &format!("/api/v1/shops/{shop}/shipping-rates/AT"),
            Some(&seller),
            Some(json!({"amount": eur(500)})),
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    let r = checkout(
        &t,
        &buyer,
        json!({"shipping_address": address("DE"), "payment_method": "card"}),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert_eq!(r.body["errors"][0]["field"], "shipping_address.country");

    assert_eq!(stock_of(&t, &seller, &v).await, 5, "nothing was reserved");
    assert_eq!(
        t.get("/api/v1/cart", Some(&buyer)).await.body["lines"][0]["quantity"],
        2,
        "the cart is intact"
    );
    assert_eq!(t.get("/api/v1/orders", Some(&buyer)).await.body["items"], json!([]));
});

fn many_buyers() -> Settings {
    Settings {
        registrations_per_client: 1_000,
        hash_queue: 1_000,
        login_failures_per_client: 1_000,
        ..Settings::default()
    }
}

db_test!(
    two_hundred_buyers_race_for_ten_units_and_exactly_ten_win,
    settings = many_buyers(),
    |t| {
        marketplace(&t).await;
        tax_rates(&t).await;
        let (seller, shop) = seller_with_shop(&t, "seller@example.com", "Sound Shop").await;
        let v = variant(&t, &seller, &shop, "LAST", 1000, 10).await;
        let buyers = futures::future::join_all((0..200).map(|i| {
            let t = &t;
            let v = v.clone();
            async move {
                let email = format!("buyer{i}@example.com");
                let r = t
                    .post(
                        "/api/v1/auth/register",
                        None,
                        json!({"email": email, "password": PASSWORD, "name": "Buyer", "kind": "individual"}),
                    )
                    .await;
                assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
                let token = t.login(&email).await;
                add(t, &token, &v, 1).await;
                token
            }
        }))
        .await;
        let body = json!({"shipping_address": address("DE"), "payment_method": "card"});
        let replies = futures::future::join_all(buyers.iter().map(|token| {
            let (client, url, body) = (t.client.clone(), t.url("/api/v1/checkout"), body.clone());
            async move { read(client.post(url).bearer_auth(token).json(&body).send().await.unwrap()).await }
        }))
        .await;
        let mut won = 0;
        for r in &replies {
            match r.status {
                StatusCode::CREATED => won += 1,
                StatusCode::CONFLICT => assert_eq!(r.problem_type(), "/problems/out-of-stock", "{}", r.text),
                other => panic!("only 201 or a clean 409: {other} {}", r.text),
            }
        }
        assert_eq!(won, 10, "exactly the ten units in stock were sold");
        assert_eq!(stock_of(&t, &seller, &v).await, 0);
        let sold = t.get("/api/v1/orders?role=seller&limit=100", Some(&seller)).await;
        assert_eq!(sold.body["items"].as_array().unwrap().len(), 10, "{}", sold.text);
    }
);

db_test!(operators_alone_set_tax_rates_and_bad_rates_are_refused, |t| {
    marketplace(&t).await;
    let buyer = t.user("buyer@example.com").await;
    let r = t
        .call(
            Method::PUT,
            "/api/v1/admin/tax-rates/DE",
            Some(&buyer),
            Some(json!({"rates": {"standard": 0}})),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text);
    let operator = t.login("operator@agora.test").await;
    for body in [
        json!({"rates": {"standard": 10001}}),
        json!({"rates": {"standard": -1}}),
        json!({"rates": {}}),
    ] {
        let r = t
            .call(
                Method::PUT,
                "/api/v1/admin/tax-rates/DE",
                Some(&operator),
                Some(body.clone()),
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {}", r.text);
    }
    let bad_country = t
        .call(
            Method::PUT,
            "/api/v1/admin/tax-rates/XX",
            Some(&operator),
            Some(json!({"rates": {"standard": 0}})),
        )
        .await;
    assert_eq!(
        bad_country.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        bad_country.text
    );
});

db_test!(a_retried_or_double_clicked_checkout_places_one_order_group, |t| {
    marketplace(&t).await;
    tax_rates(&t).await;
    let (seller, shop) = seller_with_shop(&t, "seller@example.com", "Sound Shop").await;
    let v = variant(&t, &seller, &shop, "HP", 1000, 5).await;
    let buyer = t.user("buyer@example.com").await;
    add(&t, &buyer, &v, 2).await;
    let body = json!({"shipping_address": address("DE"), "payment_method": "card"});
    let send = |key: &'static str| {
        let (client, url, body, buyer) = (t.client.clone(), t.url("/api/v1/checkout"), body.clone(), buyer.clone());
        async move {
            let req = client
                .post(url)
                .bearer_auth(buyer)
                .header("idempotency-key", key)
                .json(&body);
            read(req.send().await.unwrap()).await
        }
    };
    let (a, b) = tokio::join!(send("checkout-1"), send("checkout-1"));
    let replies = [a, b];
    let created: Vec<&Reply> = replies.iter().filter(|r| r.status == StatusCode::CREATED).collect();
    assert!(!created.is_empty(), "{} / {}", replies[0].text, replies[1].text);
    for r in &replies {
        match r.status {
            StatusCode::CREATED => assert_eq!(r.text, created[0].text, "the second answer equals the first"),
            StatusCode::CONFLICT => assert_eq!(r.problem_type(), "/problems/in-progress", "{}", r.text),
            other => panic!("{other}: {}", r.text),
        }
    }
    let again = send("checkout-1").await;
    assert_eq!(again.status, StatusCode::CREATED, "{}", again.text);
    assert_eq!(again.text, created[0].text, "a retry later gets the first response");
    assert_eq!(
        t.get("/api/v1/orders", Some(&buyer)).await.body["items"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert_eq!(stock_of(&t, &seller, &v).await, 3, "the stock was taken once");
});

db_test!(a_tax_exclusive_shop_has_tax_added_at_checkout, |t| {
    marketplace(&t).await;
    tax_rates(&t).await;
    let (seller, shop) = seller_with_shop(&t, "seller@example.com", "B2B Supplies").await;
    let v = variant(&t, &seller, &shop, "BOLT", 1000, 50).await;
    let r = t
        .call(
            Method::PUT,
            &format!("/api/v1/shops/{shop}/shipping-rates/DE"),
            Some(&seller),
            Some(json!({"amount": eur(495)})),
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    let buyer = t.user("buyer@example.com").await;
    let path = format!("/api/v1/shops/{shop}/price-mode");
    let theirs = t
        .call(
            Method::PUT,
            &path,
            Some(&buyer),
            Some(json!({"price_mode": "tax_exclusive"})),
        )
        .await;
    assert_eq!(
        theirs.status,
        StatusCode::NOT_FOUND,
        "not the buyer's shop: {}",
        theirs.text
    );
    let page = crate::page_session::post(
        &t,
        &format!("/sell/shops/{shop}/price-mode"),
        &buyer,
        &[("price_mode", "tax_exclusive")],
    )
    .await;
    assert_eq!(page.status, StatusCode::NOT_FOUND, "{}", page.text);
    let bad = t
        .call(Method::PUT, &path, Some(&seller), Some(json!({"price_mode": "net"})))
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.text);
    assert_eq!(bad.body["errors"][0]["field"], "price_mode");
    let set = crate::page_session::post(
        &t,
        &format!("/sell/shops/{shop}/price-mode"),
        &seller,
        &[("price_mode", "tax_exclusive")],
    )
    .await;
    assert_eq!(
        set.status,
        StatusCode::SEE_OTHER,
        "the seller's shop page sets it: {}",
        set.text
    );
    let shown = t.get(&format!("/api/v1/shops/{shop}"), Some(&seller)).await;
    assert_eq!(shown.body["price_mode"], "tax_exclusive", "{}", shown.text);

    add(&t, &buyer, &v, 2).await;
    let r = checkout(
        &t,
        &buyer,
        json!({"shipping_address": address("DE"), "payment_method": "card"}),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let o = &r.body["orders"][0];
    // Net prices: 19 % of 20.00 is 3.80, of 4.95 shipping 0.94 (0.9405 rounded half-up).
    assert_eq!(o["tax_inclusive"], false);
    assert_eq!(o["subtotal"], eur(2000));
    assert_eq!(o["shipping"], eur(495));
    assert_eq!(o["tax"], eur(380 + 94));
    assert_eq!(
        o["total"],
        eur(2000 + 495 + 380 + 94),
        "subtotal + shipping + tax = total"
    );
});
