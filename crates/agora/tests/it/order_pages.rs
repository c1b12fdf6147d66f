//! Checkout and orders through the web pages: the buyer checks out with the form, sees the order
//! and its timeline, the seller ships it from the order page, and nobody else sees it.

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::hostile::{marketplace, seller_with_shop};
use crate::page_session::{get, post};
use crate::support::{db_test, TestApp};

async fn setup(t: &TestApp) -> (String, String, String) {
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
    let (seller, shop) = seller_with_shop(t, "seller@example.com", "Sound Shop").await;
    let r = t
        .post(
            &format!("/api/v1/shops/{shop}/products"),
            Some(&seller),
            json!({"title": "Studio Headphones", "category": "audio",
                   "variants": [{"sku": "HP-1", "price": {"amount": 1000, "currency": "EUR"}, "stock": 5}]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let variant = r.body["variants"][0]["id"].as_str().unwrap().to_owned();
    let buyer = t.user("buyer@example.com").await;
    let r = post(t, "/cart/items", &buyer, &[("variant_id", &variant), ("quantity", "2")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    (seller, buyer, variant)
}

const ADDRESS: [(&str, &str); 5] = [
    ("name", "Bea Buyer"),
    ("line1", "Hauptstr. 1"),
    ("postal_code", "10115"),
    ("city", "Berlin"),
    ("country", "DE"),
];

db_test!(a_buyer_checks_out_and_the_seller_ships_through_the_pages, |t| {
    let (seller, buyer, _) = setup(&t).await;
    let cart = get(&t, "/cart", &buyer).await;
    assert!(
        cart.text.contains("href=\"/checkout\""),
        "the cart offers checkout: {}",
        cart.text
    );
    let form = get(&t, "/checkout", &buyer).await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(
        form.text.contains("Place order") && form.text.contains("Studio Headphones"),
        "{}",
        form.text
    );

    let mut fields = ADDRESS.to_vec();
    fields.extend([("payment_method", "cod"), ("purchase_order", "PO-9")]);
    let placed = post(&t, "/checkout", &buyer, &fields).await;
    assert_eq!(placed.status, StatusCode::SEE_OTHER, "{}", placed.text);
    let to = placed.headers["location"].to_str().unwrap().to_owned();
    assert!(to.starts_with("/orders/ord_") && to.ends_with("?placed=1"), "{to}");
    let id = to
        .trim_start_matches("/orders/")
        .trim_end_matches("?placed=1")
        .to_owned();

    let page = get(&t, &to, &buyer).await;
    assert!(page.text.contains("Thank you: your order was placed."), "{}", page.text);
    assert!(page.text.contains("2 × "), "{}", page.text);
    assert!(page.text.contains("Order placed"), "the timeline: {}", page.text);
    assert!(page.text.contains("PO-9"));
    assert!(!page.text.contains("Mark as shipped"), "the buyer cannot ship");

    let list = get(&t, "/sell/orders", &seller).await;
    assert!(list.text.contains(&id), "the seller's list: {}", list.text);
    let mine = get(&t, "/orders", &buyer).await;
    assert!(mine.text.contains(&format!("/orders/{id}")), "{}", mine.text);
    let seller_page = get(&t, &format!("/orders/{id}"), &seller).await;
    assert!(seller_page.text.contains("Mark as shipped"), "{}", seller_page.text);

    let shipped = post(
        &t,
        &format!("/orders/{id}/ship"),
        &seller,
        &[("carrier", "DHL"), ("tracking_number", "JJD0099")],
    )
    .await;
    assert_eq!(shipped.status, StatusCode::SEE_OTHER, "{}", shipped.text);
    let page = get(&t, &format!("/orders/{id}"), &buyer).await;
    assert!(
        page.text.contains("Shipped") && page.text.contains("JJD0099"),
        "{}",
        page.text
    );

    let stranger = t.user("stranger@example.com").await;
    assert_eq!(
        get(&t, &format!("/orders/{id}"), &stranger).await.status,
        StatusCode::NOT_FOUND
    );
    let forged = post(&t, &format!("/orders/{id}/cancel"), &stranger, &[]).await;
    assert_eq!(forged.status, StatusCode::NOT_FOUND, "{}", forged.text);
});

db_test!(a_bad_checkout_form_names_its_fields_and_keeps_what_was_typed, |t| {
    let (seller, buyer, variant) = setup(&t).await;
    let mut fields = ADDRESS.to_vec();
    fields[4] = ("country", "");
    fields.push(("payment_method", "card"));
    let r = post(&t, "/checkout", &buyer, &fields).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert!(r.text.contains("id=\"shipping_address.country-error\""), "{}", r.text);
    assert!(
        r.text.contains("value=\"Hauptstr. 1\""),
        "what was typed is kept: {}",
        r.text
    );

    // Someone bought the last units meanwhile: a friendly 409, and nothing placed.
    let r = t
        .call(
            Method::PUT,
            &format!("/api/v1/variants/{variant}/stock"),
            Some(&seller),
            Some(json!({"stock": 1})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let mut fields = ADDRESS.to_vec();
    fields.push(("payment_method", "card"));
    let r = post(&t, "/checkout", &buyer, &fields).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text);
    assert!(r.text.contains("role=\"alert\""), "{}", r.text);
    assert_eq!(t.get("/api/v1/orders", Some(&buyer)).await.body["items"], json!([]));
});
