//! The cart: every line priced from the catalog on every view, quantities checked against the
//! minimum order and the stock, nobody touching another's cart, and a guest's cart joining the
//! account's at login.

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::hostile::{marketplace, seller_with_shop};
use crate::page_session;
use crate::support::{db_test, read, TestApp, PASSWORD};

/// A product with one variant at 10.00 EUR, 5 in stock, 8.00 EUR from 3 units;
/// returns `(seller token, product id, variant id)`.
async fn listed(t: &TestApp, min_order_qty: i64) -> (String, String, String) {
    marketplace(t).await;
    let (seller, shop) = seller_with_shop(t, "seller@example.com", "Sound Shop").await;
    let r = t
        .post(
            &format!("/api/v1/shops/{shop}/products"),
            Some(&seller),
            json!({
                "title": "Studio Headphones",
                "category": "audio",
                "min_order_qty": min_order_qty,
                "variants": [{"sku": "HP-1", "price": {"amount": 1000, "currency": "EUR"}, "stock": 5,
                              "price_tiers": [{"min_qty": 3, "unit_price": {"amount": 800, "currency": "EUR"}}]}]
            }),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let product = r.body["id"].as_str().unwrap().to_owned();
    let variant = r.body["variants"][0]["id"].as_str().unwrap().to_owned();
    (seller, product, variant)
}

async fn add(t: &TestApp, token: &str, body: Value) -> crate::support::Reply {
    t.post("/api/v1/cart/items", Some(token), body).await
}

fn eur(amount: i64) -> Value {
    json!({"amount": amount, "currency": "EUR"})
}

db_test!(a_buyer_fills_changes_and_empties_the_cart_at_catalog_prices, |t| {
    let (_, product, variant) = listed(&t, 1).await;
    let buyer = t.user("buyer@example.com").await;

    let r = add(
        &t,
        &buyer,
        json!({"variant_id": variant, "quantity": 1, "unit_price": eur(1)}),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let line = &r.body["lines"][0];
    assert_eq!(line["product_id"], product.as_str());
    assert_eq!(line["title"], "Studio Headphones");
    assert_eq!(
        line["variant_label"], "HP-1",
        "a variant without options is named by its SKU"
    );
    assert_eq!(line["quantity"], 1);
    assert_eq!(line["unit_price"], eur(1000), "the price a client sends is ignored");
    assert_eq!(line["issue"], Value::Null);
    assert_eq!(r.body["orderable"], true);

    // The same variant again joins its line, and three units reach the volume price.
    let r = add(&t, &buyer, json!({"variant_id": variant, "quantity": 2})).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(r.body["lines"].as_array().unwrap().len(), 1);
    let line = &r.body["lines"][0];
    assert_eq!(line["quantity"], 3);
    assert_eq!(line["unit_price"], eur(800));
    assert_eq!(line["line_total"], eur(2400));
    assert_eq!(r.body["subtotals"], json!([eur(2400)]));
    assert_eq!(r.body["item_count"], 3);
    let line_id = line["id"].as_str().unwrap().to_owned();

    let r = t
        .call(
            Method::PATCH,
            &format!("/api/v1/cart/items/{line_id}"),
            Some(&buyer),
            Some(json!({"quantity": 2})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["lines"][0]["unit_price"], eur(1000));
    assert_eq!(r.body["subtotals"], json!([eur(2000)]));

    let seen = t.get("/api/v1/cart", Some(&buyer)).await;
    assert_eq!(seen.body["lines"][0]["quantity"], 2);

    let r = t
        .call(
            Method::DELETE,
            &format!("/api/v1/cart/items/{line_id}"),
            Some(&buyer),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["lines"], json!([]));
    assert_eq!(r.body["orderable"], false, "an empty cart cannot be ordered");
    let gone = t
        .call(
            Method::DELETE,
            &format!("/api/v1/cart/items/{line_id}"),
            Some(&buyer),
            None,
        )
        .await;
    assert_eq!(gone.status, StatusCode::NOT_FOUND);
});

db_test!(
    bad_quantities_and_unsellable_variants_are_refused_and_change_nothing,
    |t| {
        let (seller, product, variant) = listed(&t, 2).await;
        let buyer = t.user("buyer@example.com").await;
        for (quantity, status, field) in [
            (json!(0), StatusCode::UNPROCESSABLE_ENTITY, Some("quantity")),
            (json!(-3), StatusCode::UNPROCESSABLE_ENTITY, Some("quantity")),
            (json!(1), StatusCode::UNPROCESSABLE_ENTITY, Some("quantity")),
            (json!(2.5), StatusCode::UNPROCESSABLE_ENTITY, Some("quantity")),
            (json!("2"), StatusCode::UNPROCESSABLE_ENTITY, Some("quantity")),
            (json!(6), StatusCode::CONFLICT, None),
        ] {
            let r = add(&t, &buyer, json!({"variant_id": variant, "quantity": quantity})).await;
            assert_eq!(r.status, status, "{quantity}: {}", r.text);
            match field {
                Some(field) => assert_eq!(r.body["errors"][0]["field"], field, "{quantity}: {}", r.text),
                None => assert_eq!(r.problem_type(), "/problems/out-of-stock", "{}", r.text),
            }
        }
        let missing = add(&t, &buyer, json!({"variant_id": "var_nope", "quantity": 2})).await;
        assert_eq!(missing.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", missing.text);
        assert_eq!(missing.body["errors"][0]["field"], "variant_id");

        let archived = t
            .call(
                Method::PATCH,
                &format!("/api/v1/products/{product}"),
                Some(&seller),
                Some(json!({"status": "archived"})),
            )
            .await;
        assert_eq!(archived.status, StatusCode::OK, "{}", archived.text);
        let r = add(&t, &buyer, json!({"variant_id": variant, "quantity": 2})).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
        assert_eq!(r.body["errors"][0]["field"], "variant_id");

        let cart = t.get("/api/v1/cart", Some(&buyer)).await;
        assert_eq!(cart.body["lines"], json!([]), "nothing was added: {}", cart.text);
        assert_eq!(t.get("/api/v1/cart", None).await.status, StatusCode::UNAUTHORIZED);
    }
);

db_test!(nobody_changes_or_sees_another_buyers_cart, |t| {
    let (seller, _, variant) = listed(&t, 1).await;
    let alice = t.user("alice@example.com").await;
    let bob = t.user("bob@example.com").await;
    let r = add(&t, &alice, json!({"variant_id": variant, "quantity": 2})).await;
    let line = r.body["lines"][0]["id"].as_str().unwrap().to_owned();
    for token in [&bob, &seller] {
        let patch = t
            .call(
                Method::PATCH,
                &format!("/api/v1/cart/items/{line}"),
                Some(token),
                Some(json!({"quantity": 1})),
            )
            .await;
        assert_eq!(patch.status, StatusCode::NOT_FOUND, "{}", patch.text);
        let delete = t
            .call(Method::DELETE, &format!("/api/v1/cart/items/{line}"), Some(token), None)
            .await;
        assert_eq!(delete.status, StatusCode::NOT_FOUND, "{}", delete.text);
        assert_eq!(t.get("/api/v1/cart", Some(token)).await.body["lines"], json!([]));
        let page = page_session::post(&t, &format!("/cart/items/{line}/remove"), token, &[]).await;
        assert_eq!(page.status, StatusCode::NOT_FOUND, "{}", page.text);
    }
    let cart = t.get("/api/v1/cart", Some(&alice)).await;
    assert_eq!(cart.body["lines"][0]["quantity"], 2, "{}", cart.text);
});

db_test!(the_cart_says_when_a_price_or_the_stock_changed_since_adding, |t| {
    let (seller, _, variant) = listed(&t, 1).await;
    let buyer = t.user("buyer@example.com").await;
    add(&t, &buyer, json!({"variant_id": variant, "quantity": 2})).await;
    t.sql(&format!(
        "UPDATE variants SET price_amount = 1250 WHERE id = '{variant}'"
    ))
    .await;
    let r = t
        .call(
            Method::PUT,
            &format!("/api/v1/variants/{variant}/stock"),
            Some(&seller),
            Some(json!({"stock": 1})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);

    let cart = t.get("/api/v1/cart", Some(&buyer)).await;
    let line = &cart.body["lines"][0];
    assert_eq!(line["unit_price"], eur(1250), "priced again from the catalog");
    assert_eq!(line["previous_unit_price"], eur(1000));
    assert_eq!(line["issue"], json!({"kind": "out_of_stock", "available": 1}));
    assert_eq!(cart.body["orderable"], false);
    let page = page_session::get(&t, "/cart", &buyer).await;
    assert!(page.text.contains("price changed: was"), "{}", page.text);
    assert!(page.text.contains("Only 1 left in stock"), "{}", page.text);

    // Lowering the quantity accepts today's price and clears both notices.
    let line_id = line["id"].as_str().unwrap();
    let r = t
        .call(
            Method::PATCH,
            &format!("/api/v1/cart/items/{line_id}"),
            Some(&buyer),
            Some(json!({"quantity": 1})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["lines"][0]["previous_unit_price"], Value::Null);
    assert_eq!(r.body["lines"][0]["issue"], Value::Null);
    assert_eq!(r.body["orderable"], true);
});

db_test!(adds_at_the_same_moment_all_count_and_never_exceed_the_stock, |t| {
    let (_, _, variant) = listed(&t, 1).await;
    let buyer = t.user("buyer@example.com").await;
    let adds = (0..8).map(|_| {
        let (client, url, buyer, variant) = (
            t.client.clone(),
            t.url("/api/v1/cart/items"),
            buyer.clone(),
            variant.clone(),
        );
        async move {
            let res = client
                .post(url)
                .bearer_auth(buyer)
                .json(&json!({"variant_id": variant, "quantity": 1}))
                .send()
                .await
                .unwrap();
            read(res).await
        }
    });
    let replies = futures::future::join_all(adds).await;
    let mut added = 0;
    for r in &replies {
        match r.status {
            StatusCode::CREATED => added += 1,
            StatusCode::CONFLICT => assert_eq!(r.problem_type(), "/problems/out-of-stock", "{}", r.text),
            StatusCode::SERVICE_UNAVAILABLE => assert_eq!(r.problem_type(), "/problems/busy"),
            other => panic!("{other}: {}", r.text),
        }
    }
    assert_eq!(added, 5, "five in stock: five adds fit");
    let cart = t.get("/api/v1/cart", Some(&buyer)).await;
    assert_eq!(cart.body["lines"].as_array().unwrap().len(), 1, "{}", cart.text);
    assert_eq!(cart.body["lines"][0]["quantity"], 5);
});

const CSRF: &str = "ccccccccccccccccccccccccccccccccccccccccccc";

/// The value of cookie `name` among a response's `Set-Cookie` headers.
fn set_cookie(r: &crate::support::Reply, name: &str) -> Option<String> {
    r.headers
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|v| v.strip_prefix(&format!("{name}=")))
        .map(|v| v.split(';').next().unwrap_or("").to_owned())
}

db_test!(a_guests_cart_joins_the_account_cart_at_login, |t| {
    let (_, _, variant) = listed(&t, 1).await;
    let buyer = t.user("buyer@example.com").await;
    add(&t, &buyer, json!({"variant_id": variant, "quantity": 1})).await;

    // A guest adds two units from the product page's form.
    let no_redirects = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let form = [("csrf", CSRF), ("variant_id", variant.as_str()), ("quantity", "2")];
    let r = no_redirects
        .post(t.url("/cart/items"))
        .header("cookie", format!("agora_csrf={CSRF}"))
        .form(&form)
        .send()
        .await
        .unwrap();
    let r = read(r).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    let guest = set_cookie(&r, "agora_cart").expect("a guest cart cookie");
    let page = no_redirects
        .get(t.url("/cart"))
        .header("cookie", format!("agora_csrf={CSRF}; agora_cart={guest}"))
        .send()
        .await
        .unwrap();
    let page = read(page).await;
    assert!(page.text.contains("Studio Headphones"), "{}", page.text);

    // Another guest's cookie sees nothing of it.
    let other = no_redirects
        .get(t.url("/cart"))
        .header("cookie", format!("agora_csrf={CSRF}; agora_cart={}", "x".repeat(43)))
        .send()
        .await
        .unwrap();
    assert!(!read(other).await.text.contains("Studio Headphones"));

    // Logging in on the page merges it: 1 + 2 units, and the guest cookie is cleared.
    let login = [
        ("csrf", CSRF),
        ("email", "buyer@example.com"),
        ("password", PASSWORD),
        ("next", "/cart"),
    ];
    let r = no_redirects
        .post(t.url("/login"))
        .header("cookie", format!("agora_csrf={CSRF}; agora_cart={guest}"))
        .form(&login)
        .send()
        .await
        .unwrap();
    let r = read(r).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    assert_eq!(
        set_cookie(&r, "agora_cart").as_deref(),
        Some(""),
        "the guest cookie is cleared"
    );
    let cart = t.get("/api/v1/cart", Some(&buyer)).await;
    assert_eq!(cart.body["lines"][0]["quantity"], 3, "{}", cart.text);
    let again = no_redirects
        .get(t.url("/cart"))
        .header("cookie", format!("agora_csrf={CSRF}; agora_cart={guest}"))
        .send()
        .await
        .unwrap();
    assert!(
        !read(again).await.text.contains("Studio Headphones"),
        "the guest cart is gone"
    );
});

db_test!(the_cart_page_adds_changes_and_explains_refusals, |t| {
    let (_, product, variant) = listed(&t, 1).await;
    let buyer = t.user("buyer@example.com").await;
    let product_page = page_session::get(&t, &format!("/p/{product}"), &buyer).await;
    assert!(product_page.text.contains("Add to cart"), "{}", product_page.text);

    let r = page_session::post(
        &t,
        "/cart/items",
        &buyer,
        &[("variant_id", &variant), ("quantity", "2")],
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    assert_eq!(r.headers["location"], "/cart?added=1");
    let r = page_session::get(&t, "/cart?added=1", &buyer).await;
    assert!(r.text.contains("Added to your cart."), "{}", r.text);
    assert!(r.text.contains("Studio Headphones"));

    let too_many = page_session::post(
        &t,
        "/cart/items",
        &buyer,
        &[("variant_id", &variant), ("quantity", "9")],
    )
    .await;
    assert_eq!(too_many.status, StatusCode::CONFLICT, "{}", too_many.text);
    assert!(too_many.text.contains("in stock"), "{}", too_many.text);
    let nonsense = page_session::post(
        &t,
        "/cart/items",
        &buyer,
        &[("variant_id", &variant), ("quantity", "two")],
    )
    .await;
    assert_eq!(nonsense.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", nonsense.text);
    assert!(nonsense.text.contains("whole number"), "{}", nonsense.text);

    let cart = t.get("/api/v1/cart", Some(&buyer)).await;
    assert_eq!(
        cart.body["lines"][0]["quantity"], 2,
        "refusals changed nothing: {}",
        cart.text
    );
    let line = cart.body["lines"][0]["id"].as_str().unwrap();
    let r = page_session::post(&t, &format!("/cart/items/{line}"), &buyer, &[("quantity", "4")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    assert_eq!(
        t.get("/api/v1/cart", Some(&buyer)).await.body["lines"][0]["quantity"],
        4
    );
    let r = page_session::post(&t, &format!("/cart/items/{line}/remove"), &buyer, &[]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    let r = page_session::get(&t, "/cart", &buyer).await;
    assert!(r.text.contains("Your cart is empty"), "{}", r.text);
});
