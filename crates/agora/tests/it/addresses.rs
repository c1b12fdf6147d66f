//! The address book: a buyer saves addresses (one the default), checks out to one by id or to the
//! default without typing; another account's address is 404 everywhere, checkout included.

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::hostile::{marketplace, seller_with_shop};
use crate::orders::{add, address, checkout, stock_of, tax_rates, variant};
use crate::support::{db_test, TestApp};

async fn save(t: &TestApp, token: &str, address: Value, default: bool) -> Value {
    let r = t
        .post(
            "/api/v1/account/addresses",
            Some(token),
            json!({"address": address, "default": default}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    r.body
}

fn at(city: &str, country: &str) -> Value {
    json!({"name": "Bea Buyer", "line1": "Hauptstr. 1", "city": city, "postal_code": "10115", "country": country})
}

db_test!(a_buyer_keeps_an_address_book_with_one_default, |t| {
    marketplace(&t).await;
    let bea = t.user("bea@example.com").await;
    let first = save(&t, &bea, at("Berlin", "de"), false).await;
    assert_eq!(first["default"], true, "the first address is the default");
    assert_eq!(first["address"]["country"], "DE");
    let second = save(&t, &bea, at("Wien", "AT"), false).await;
    assert_eq!(second["default"], false);
    let third = save(&t, &bea, at("Hamburg", "DE"), true).await;
    assert_eq!(third["default"], true);
    let listed = t.get("/api/v1/account/addresses", Some(&bea)).await;
    let items = listed.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 3);
    assert_eq!(items[0]["id"], third["id"], "the default first");
    assert_eq!(items.iter().filter(|a| a["default"] == true).count(), 1, "one default");

    let id = second["id"].as_str().unwrap();
    let path = format!("/api/v1/account/addresses/{id}");
    let r = t
        .call(
            Method::PUT,
            &path,
            Some(&bea),
            Some(json!({"address": at("Graz", "AT"), "default": true})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(
        (r.body["address"]["city"].clone(), r.body["default"].clone()),
        (json!("Graz"), json!(true))
    );
    let r = t.get(&path, Some(&bea)).await;
    assert_eq!(r.body["address"]["city"], "Graz");

    // Bad fields are named; nothing saved.
    let r = t
        .post(
            "/api/v1/account/addresses",
            Some(&bea),
            json!({"address": {"name": "Bea", "line1": "x", "city": "Berlin", "postal_code": "10115"}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert_eq!(r.body["errors"][0]["field"], "address.country");

    // Another account: 404 for every verb; its own list is empty.
    let carl = t.user("carl@example.com").await;
    assert_eq!(t.get(&path, Some(&carl)).await.status, StatusCode::NOT_FOUND);
    let r = t
        .call(Method::PUT, &path, Some(&carl), Some(json!({"address": at("X", "DE")})))
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.text);
    assert_eq!(
        t.call(Method::DELETE, &path, Some(&carl), None).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        t.get("/api/v1/account/addresses", Some(&carl)).await.body["items"],
        json!([])
    );
    assert_eq!(t.get(&path, None).await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        t.get(&path, Some(&bea)).await.body["address"]["city"],
        "Graz",
        "untouched"
    );

    assert_eq!(
        t.call(Method::DELETE, &path, Some(&bea), None).await.status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(t.get(&path, Some(&bea)).await.status, StatusCode::NOT_FOUND);
});

db_test!(checkout_ships_to_a_saved_address_and_never_to_another_accounts, |t| {
    marketplace(&t).await;
    tax_rates(&t).await;
    let (nora, shop) = seller_with_shop(&t, "nora@example.com", "Nordlicht").await;
    let lamp = variant(&t, &nora, &shop, "LAMP", 1000, 10).await;
    let bea = t.user("bea@example.com").await;
    let carl = t.user("carl@example.com").await;
    let home = save(&t, &bea, at("Berlin", "DE"), false).await;
    let office = save(&t, &bea, at("Hamburg", "DE"), false).await;
    let carls = save(&t, &carl, at("Köln", "DE"), false).await;

    // Another account's address id: 404, nothing reserved, the cart intact.
    add(&t, &bea, &lamp, 2).await;
    let r = checkout(&t, &bea, json!({"address_id": carls["id"], "payment_method": "card"})).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.text);
    assert_eq!(stock_of(&t, &nora, &lamp).await, 10, "nothing is reserved");
    assert_eq!(
        t.get("/api/v1/cart", Some(&bea)).await.body["lines"]
            .as_array()
            .unwrap()
            .len(),
        1
    );

    // By id: the order keeps that address.
    let r = checkout(&t, &bea, json!({"address_id": office["id"], "payment_method": "card"})).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(r.body["orders"][0]["shipping_address"]["city"], "Hamburg");

    // Neither address nor id: the default.
    add(&t, &bea, &lamp, 1).await;
    let r = checkout(&t, &bea, json!({"payment_method": "card"})).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let order = r.body["orders"][0].clone();
    assert_eq!(order["shipping_address"]["city"], home["address"]["city"]);

    // The snapshot stays when the saved address changes later.
    let id = home["id"].as_str().unwrap();
    let r = t
        .call(
            Method::PUT,
            &format!("/api/v1/account/addresses/{id}"),
            Some(&bea),
            Some(json!({"address": at("Potsdam", "DE")})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let oid = order["id"].as_str().unwrap();
    assert_eq!(
        t.get(&format!("/api/v1/orders/{oid}"), Some(&bea)).await.body["shipping_address"]["city"],
        "Berlin"
    );

    // A buyer without saved addresses must type one: every missing field is named.
    let dan = t.user("dan@example.com").await;
    add(&t, &dan, &lamp, 1).await;
    let r = checkout(&t, &dan, json!({"payment_method": "card"})).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    let fields: Vec<&str> = r.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert!(fields.contains(&"shipping_address.country"), "{fields:?}");
    // A typed address still wins over the default.
    add(&t, &bea, &lamp, 1).await;
    let r = checkout(
        &t,
        &bea,
        json!({"shipping_address": address("DE"), "payment_method": "card"}),
    )
    .await;
    assert_eq!(r.body["orders"][0]["shipping_address"]["city"], "Berlin", "{}", r.text);
});
