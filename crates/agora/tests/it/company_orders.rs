//! Buying for a company: the approval limit its admins set, checkouts above it waiting for an
//! admin's approval (stock reserved meanwhile), approve and decline by the company's current
//! admins only, the company's orders by role, and "order again" at today's prices.

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::companies::join;
use crate::hostile::{marketplace, seller_with_shop};
use crate::support::{db_test, Reply, TestApp};

/// Lists a product with one variant; returns `(product id, variant id)`.
async fn product(t: &TestApp, seller: &str, shop: &str, sku: &str, cents: i64, stock: i64) -> (String, String) {
    let r = t
        .post(
            &format!("/api/v1/shops/{shop}/products"),
            Some(seller),
            json!({"title": format!("Item {sku}"), "category": "audio",
                   "variants": [{"sku": sku, "price": {"amount": cents, "currency": "EUR"}, "stock": stock}]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    (
        r.body["id"].as_str().unwrap().to_owned(),
        r.body["variants"][0]["id"].as_str().unwrap().to_owned(),
    )
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

async fn checkout(t: &TestApp, buyer: &str, payment: &str) -> Reply {
    let address =
        json!({"name": "Bea Buyer", "line1": "Hauptstr. 1", "city": "Berlin", "postal_code": "10115", "country": "DE"});
    t.post(
        "/api/v1/checkout",
        Some(buyer),
        json!({"shipping_address": address, "payment_method": payment, "purchase_order": "PO-9"}),
    )
    .await
}

/// Buys `quantity` of `variant` and returns the one order placed.
async fn buy(t: &TestApp, buyer: &str, variant: &str, quantity: i64, payment: &str) -> Value {
    add(t, buyer, variant, quantity).await;
    let r = checkout(t, buyer, payment).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    r.body["orders"][0].clone()
}

async fn stock_of(t: &TestApp, seller: &str, variant: &str) -> i64 {
    let r = t
        .get(&format!("/api/v1/variants/{variant}/movements"), Some(seller))
        .await;
    r.body["items"][0]["stock_after"].as_i64().expect("a movement")
}

async fn set_limit(t: &TestApp, token: &str, company: &str, amount: Value) -> Reply {
    t.call(
        Method::PUT,
        &format!("/api/v1/companies/{company}/approval-limit"),
        Some(token),
        Some(json!({ "amount": amount })),
    )
    .await
}

fn eur(amount: i64) -> Value {
    json!({"amount": amount, "currency": "EUR"})
}

async fn act(t: &TestApp, token: &str, order: &str, verb: &str) -> Reply {
    t.post(&format!("/api/v1/orders/{order}/{verb}"), Some(token), json!({}))
        .await
}

/// A marketplace with one shop selling a variant at 10.00 (100 in stock), and a company with an
/// admin and a purchaser whose approval limit is 50.00 EUR.
struct World {
    seller: String,
    shop: String,
    variant: String,
    admin: String,
    company: String,
    purchaser: String,
}

async fn world(t: &TestApp) -> World {
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
    let (_, variant) = product(t, &seller, &shop, "LAMP", 1000, 100).await;
    let (admin, company) = t.company_admin("admin@acme.test", "Acme Ltd").await;
    let purchaser = t.user("pat@acme.test").await;
    join(t, &admin, &company, "pat@acme.test", "purchaser", &purchaser).await;
    let r = set_limit(t, &admin, &company, eur(5000)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["approval_limit"], eur(5000));
    World {
        seller,
        shop,
        variant,
        admin,
        company,
        purchaser,
    }
}

db_test!(a_purchasers_checkout_above_the_limit_waits_for_approval, |t| {
    let w = world(&t).await;
    let company = t
        .get(&format!("/api/v1/companies/{}", w.company), Some(&w.purchaser))
        .await;
    assert_eq!(company.body["approval_limit"], eur(5000), "{}", company.text);

    // Below (and at) the limit: on to payment at once.
    let small = buy(&t, &w.purchaser, &w.variant, 5, "card").await;
    assert_eq!(small["status"], "pending_payment", "{small}");

    // Above: waits, with the stock reserved.
    let big = buy(&t, &w.purchaser, &w.variant, 6, "card").await;
    assert_eq!(big["status"], "awaiting_approval", "{big}");
    assert_eq!(big["purchase_order"], "PO-9");
    assert_eq!(stock_of(&t, &w.seller, &w.variant).await, 100 - 5 - 6);
    // The admin's own checkout needs no approval.
    let own = buy(&t, &w.admin, &w.variant, 10, "card").await;
    assert_eq!(own["status"], "pending_payment", "{own}");

    let id = big["id"].as_str().unwrap();
    // The purchaser cannot approve their own order; a stranger does not see it; the seller
    // cannot approve either.
    let r = act(&t, &w.purchaser, id, "approve").await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text);
    let stranger = t.user("eve@example.com").await;
    assert_eq!(act(&t, &stranger, id, "approve").await.status, StatusCode::NOT_FOUND);
    assert_eq!(act(&t, &stranger, id, "decline").await.status, StatusCode::NOT_FOUND);
    assert_eq!(act(&t, &w.seller, id, "approve").await.status, StatusCode::FORBIDDEN);

    let r = act(&t, &w.admin, id, "approve").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["status"], "pending_payment");
    let last = r.body["events"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["event"], "approved");
    assert_eq!(last["party"], "company_admin");
    // Approved once; not again, and not declined afterwards.
    let again = act(&t, &w.admin, id, "approve").await;
    assert_eq!(again.status, StatusCode::CONFLICT, "{}", again.text);
    assert_eq!(act(&t, &w.admin, id, "decline").await.status, StatusCode::CONFLICT);
    assert_eq!(stock_of(&t, &w.seller, &w.variant).await, 100 - 5 - 6 - 10);

    // Cash on delivery goes from approval to confirmed.
    let cod = buy(&t, &w.purchaser, &w.variant, 7, "cod").await;
    assert_eq!(cod["status"], "awaiting_approval", "{cod}");
    let r = act(&t, &w.admin, cod["id"].as_str().unwrap(), "approve").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["status"], "confirmed");
});

db_test!(a_declined_order_is_cancelled_and_its_stock_goes_back, |t| {
    let w = world(&t).await;
    let big = buy(&t, &w.purchaser, &w.variant, 8, "bank_transfer").await;
    assert_eq!(big["status"], "awaiting_approval", "{big}");
    assert_eq!(stock_of(&t, &w.seller, &w.variant).await, 92);
    let id = big["id"].as_str().unwrap();
    assert_eq!(act(&t, &w.purchaser, id, "decline").await.status, StatusCode::FORBIDDEN);
    let r = t
        .post(
            &format!("/api/v1/orders/{id}/decline"),
            Some(&w.admin),
            json!({"reason": "over budget"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["status"], "cancelled");
    let last = r.body["events"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["event"], "declined");
    assert_eq!(last["note"], "over budget");
    assert_eq!(stock_of(&t, &w.seller, &w.variant).await, 100, "the stock is back");
    assert_eq!(act(&t, &w.admin, id, "approve").await.status, StatusCode::CONFLICT);
});

db_test!(only_a_current_admin_approves, |t| {
    let w = world(&t).await;
    let (second, removed) = (t.user("sam@acme.test").await, t.user("rob@acme.test").await);
    join(&t, &w.admin, &w.company, "sam@acme.test", "admin", &second).await;
    join(&t, &w.admin, &w.company, "rob@acme.test", "admin", &removed).await;
    let a = buy(&t, &w.purchaser, &w.variant, 6, "card").await;
    let id = a["id"].as_str().unwrap();

    // Sam is demoted to purchaser, Rob removed: their old admin rights are gone.
    let sam_id = t.account_id(&second).await;
    let rob_id = t.account_id(&removed).await;
    let r = t
        .call(
            Method::PATCH,
            &format!("/api/v1/companies/{}/members/{sam_id}", w.company),
            Some(&w.admin),
            Some(json!({"role": "purchaser"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    let r = t
        .call(
            Method::DELETE,
            &format!("/api/v1/companies/{}/members/{rob_id}", w.company),
            Some(&w.admin),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);

    let demoted = act(&t, &second, id, "approve").await;
    assert_eq!(
        demoted.status,
        StatusCode::NOT_FOUND,
        "another purchaser's order: {}",
        demoted.text
    );
    assert_eq!(act(&t, &removed, id, "approve").await.status, StatusCode::NOT_FOUND);
    assert_eq!(act(&t, &removed, id, "decline").await.status, StatusCode::NOT_FOUND);
    // Neither sets the limit any more: the demoted member is refused, the removed one sees nothing.
    assert_eq!(
        set_limit(&t, &second, &w.company, eur(1)).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        set_limit(&t, &removed, &w.company, eur(1)).await.status,
        StatusCode::NOT_FOUND
    );
    let view = t.get(&format!("/api/v1/orders/{id}"), Some(&w.admin)).await;
    assert_eq!(
        view.body["status"], "awaiting_approval",
        "nothing moved it: {}",
        view.text
    );
});

db_test!(only_admins_set_the_limit_and_bad_amounts_are_named, |t| {
    let w = world(&t).await;
    assert_eq!(
        set_limit(&t, &w.purchaser, &w.company, eur(100)).await.status,
        StatusCode::FORBIDDEN
    );
    let stranger = t.user("eve@example.com").await;
    assert_eq!(
        set_limit(&t, &stranger, &w.company, eur(100)).await.status,
        StatusCode::NOT_FOUND
    );
    let (other_admin, _) = t.company_admin("boss@globex.test", "Globex").await;
    assert_eq!(
        set_limit(&t, &other_admin, &w.company, eur(100)).await.status,
        StatusCode::NOT_FOUND
    );
    for (amount, field) in [
        (eur(-1), "amount.amount"),
        (json!({"amount": 100, "currency": "XXQ"}), "amount.currency"),
        (json!({"amount": 100, "currency": "eur"}), "amount.currency"),
        (eur(10_000_000_000_000), "amount.amount"),
    ] {
        let r = set_limit(&t, &w.admin, &w.company, amount.clone()).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{amount}: {}", r.text);
        assert_eq!(r.body["errors"][0]["field"], field, "{}", r.text);
    }
    let company = t.get(&format!("/api/v1/companies/{}", w.company), Some(&w.admin)).await;
    assert_eq!(company.body["approval_limit"], eur(5000), "unchanged: {}", company.text);

    // Removing the limit: every checkout goes ahead again.
    let r = set_limit(&t, &w.admin, &w.company, Value::Null).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["approval_limit"], Value::Null);
    let big = buy(&t, &w.purchaser, &w.variant, 50, "card").await;
    assert_eq!(big["status"], "pending_payment", "{big}");

    // A limit in another currency than the order's cannot be compared: approval is needed.
    let r = set_limit(&t, &w.admin, &w.company, json!({"amount": 100000, "currency": "USD"})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let other = buy(&t, &w.purchaser, &w.variant, 1, "card").await;
    assert_eq!(other["status"], "awaiting_approval", "{other}");
});

fn ids(r: &Reply) -> Vec<String> {
    let mut ids: Vec<String> = r.body["items"]
        .as_array()
        .unwrap_or_else(|| panic!("a list: {}", r.text))
        .iter()
        .map(|o| o["id"].as_str().unwrap().to_owned())
        .collect();
    ids.sort();
    ids
}

db_test!(members_see_the_companys_orders_by_their_role, |t| {
    let w = world(&t).await;
    let buyer2 = t.user("quinn@acme.test").await;
    join(&t, &w.admin, &w.company, "quinn@acme.test", "finance", &buyer2).await;
    let pat = buy(&t, &w.purchaser, &w.variant, 6, "card").await;
    let quinn = buy(&t, &buyer2, &w.variant, 1, "card").await;
    let admins = buy(&t, &w.admin, &w.variant, 1, "card").await;
    let outsider = t.user("eve@example.com").await;
    buy(&t, &outsider, &w.variant, 1, "card").await;
    let id = |o: &Value| o["id"].as_str().unwrap().to_owned();

    let all = t.get("/api/v1/orders?role=company", Some(&w.admin)).await;
    assert_eq!(all.status, StatusCode::OK, "{}", all.text);
    let mut expected = vec![id(&pat), id(&quinn), id(&admins)];
    expected.sort();
    assert_eq!(ids(&all), expected, "an admin sees all the company's orders");
    let pending = t
        .get("/api/v1/orders?role=company&status=awaiting_approval", Some(&w.admin))
        .await;
    assert_eq!(ids(&pending), vec![id(&pat)]);

    let own = t.get("/api/v1/orders?role=company", Some(&w.purchaser)).await;
    assert_eq!(ids(&own), vec![id(&pat)], "a purchaser sees only their own");
    let own = t.get("/api/v1/orders?role=company", Some(&buyer2)).await;
    assert_eq!(ids(&own), vec![id(&quinn)]);
    let r = t.get("/api/v1/orders?role=company", Some(&outsider)).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text);
    let r = t.get("/api/v1/orders?role=boss", Some(&w.admin)).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
});

db_test!(order_again_fills_the_cart_at_todays_prices, |t| {
    let w = world(&t).await;
    let order = buy(&t, &w.purchaser, &w.variant, 2, "card").await;
    let id = order["id"].as_str().unwrap();
    assert_eq!(order["lines"][0]["unit_price"], eur(1000));
    t.sql(&format!(
        "UPDATE variants SET price_amount = 1250 WHERE id = '{}'",
        w.variant
    ))
    .await;

    let r = t
        .post(&format!("/api/v1/orders/{id}/reorder"), Some(&w.purchaser), json!({}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["skipped"], json!([]));
    let lines = r.body["cart"]["lines"].as_array().unwrap();
    assert_eq!(lines.len(), 1, "{}", r.text);
    assert_eq!(lines[0]["variant_id"], w.variant.as_str());
    assert_eq!(lines[0]["quantity"], 2);
    assert_eq!(lines[0]["unit_price"], eur(1250), "today's price: {}", r.text);
    // The old order keeps its snapshot.
    let old = t.get(&format!("/api/v1/orders/{id}"), Some(&w.purchaser)).await;
    assert_eq!(old.body["lines"][0]["unit_price"], eur(1000));

    // Only the buyer orders again: the company admin sees the order but cannot, others get 404.
    let r = t
        .post(&format!("/api/v1/orders/{id}/reorder"), Some(&w.admin), json!({}))
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text);
    let stranger = t.user("eve@example.com").await;
    let r = t
        .post(&format!("/api/v1/orders/{id}/reorder"), Some(&stranger), json!({}))
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.text);
    assert_eq!(t.get("/api/v1/cart", Some(&stranger)).await.body["lines"], json!([]));
});

db_test!(order_again_skips_what_is_no_longer_for_sale, |t| {
    let w = world(&t).await;
    // A second product in the same order, archived afterwards.
    let (cable_product, cable) = product(&t, &w.seller, &w.shop, "CABLE", 300, 10).await;
    add(&t, &w.purchaser, &w.variant, 1).await;
    add(&t, &w.purchaser, &cable, 3).await;
    let r = checkout(&t, &w.purchaser, "card").await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let id = r.body["orders"][0]["id"].as_str().unwrap().to_owned();
    let archived = t
        .call(
            Method::PATCH,
            &format!("/api/v1/products/{cable_product}"),
            Some(&w.seller),
            Some(json!({"status": "archived"})),
        )
        .await;
    assert_eq!(archived.status, StatusCode::OK, "{}", archived.text);

    let r = t
        .post(&format!("/api/v1/orders/{id}/reorder"), Some(&w.purchaser), json!({}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let lines = r.body["cart"]["lines"].as_array().unwrap();
    assert_eq!(lines.len(), 1, "{}", r.text);
    assert_eq!(lines[0]["variant_id"], w.variant.as_str());
    let skipped = r.body["skipped"].as_array().unwrap();
    assert_eq!(skipped.len(), 1, "{}", r.text);
    assert_eq!(skipped[0]["variant_id"], cable.as_str());
    assert_eq!(skipped[0]["sku"], "CABLE");
    assert_eq!(skipped[0]["quantity"], 3);
    assert!(
        skipped[0]["reason"].as_str().unwrap().contains("not for sale"),
        "{}",
        r.text
    );
});

db_test!(admins_approve_and_buyers_order_again_through_the_pages, |t| {
    use crate::page_session::{get, post};
    let w = world(&t).await;
    let big = buy(&t, &w.purchaser, &w.variant, 6, "card").await;
    let id = big["id"].as_str().unwrap();
    let path = format!("/orders/{id}");

    let admin_view = get(&t, &path, &w.admin).await;
    assert_eq!(admin_view.status, StatusCode::OK);
    assert!(admin_view.text.contains("Approve order"), "{}", admin_view.text);
    assert!(admin_view.text.contains("Decline order"));
    assert!(!admin_view.text.contains("Order again"), "only the buyer orders again");
    let buyer_view = get(&t, &path, &w.purchaser).await;
    assert!(!buyer_view.text.contains("Approve order"), "{}", buyer_view.text);
    assert!(buyer_view.text.contains("Order again"));

    // The purchaser forging the approve form is refused, on the page.
    let forged = post(&t, &format!("{path}/approve"), &w.purchaser, &[]).await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN, "{}", forged.text);
    let approved = post(&t, &format!("{path}/approve"), &w.admin, &[]).await;
    assert_eq!(approved.status, StatusCode::SEE_OTHER, "{}", approved.text);
    let after = get(&t, &path, &w.admin).await;
    assert!(after.text.contains("Waiting for payment"), "{}", after.text);
    assert!(!after.text.contains("Approve order"));

    let again = post(&t, &format!("{path}/reorder"), &w.purchaser, &[]).await;
    assert_eq!(again.status, StatusCode::OK, "{}", again.text);
    assert!(again.text.contains("in your cart again"), "{}", again.text);
    assert!(again.text.contains("href=\"/cart\""));
    let cart = t.get("/api/v1/cart", Some(&w.purchaser)).await;
    assert_eq!(cart.body["lines"][0]["quantity"], 6, "{}", cart.text);

    // The company's orders, by role.
    let list = get(&t, "/account/company/orders", &w.admin).await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.text);
    assert!(list.text.contains(&format!("/orders/{id}")), "{}", list.text);
    assert!(list.text.contains("<h1>Your company"), "{}", list.text);
});

db_test!(the_company_page_sets_the_approval_limit, |t| {
    use crate::page_session::{get, post};
    let w = world(&t).await;
    let page = get(&t, "/account/company", &w.admin).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text);
    assert!(
        page.text.contains("Approval limit: <strong>50.00 EUR</strong>"),
        "{}",
        page.text
    );
    assert!(page.text.contains("action=\"/account/company/approval-limit\""));
    assert!(page.text.contains("href=\"/account/company/orders\""));
    let member_page = get(&t, "/account/company", &w.purchaser).await;
    assert!(
        !member_page.text.contains("action=\"/account/company/approval-limit\""),
        "{}",
        member_page.text
    );
    assert!(member_page.text.contains("href=\"/account/company/orders\""));

    let bad = post(
        &t,
        "/account/company/approval-limit",
        &w.admin,
        &[("amount", "12.345"), ("currency", "EUR")],
    )
    .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.text);
    assert!(bad.text.contains("amount.amount-error"), "{}", bad.text);
    let refused = post(
        &t,
        "/account/company/approval-limit",
        &w.purchaser,
        &[("amount", "1"), ("currency", "EUR")],
    )
    .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.text);

    let saved = post(
        &t,
        "/account/company/approval-limit",
        &w.admin,
        &[("amount", "75.50"), ("currency", "EUR")],
    )
    .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.text);
    let company = t.get(&format!("/api/v1/companies/{}", w.company), Some(&w.admin)).await;
    assert_eq!(company.body["approval_limit"], eur(7550), "{}", company.text);
    let cleared = post(
        &t,
        "/account/company/approval-limit",
        &w.admin,
        &[("amount", ""), ("currency", "EUR")],
    )
    .await;
    assert_eq!(cleared.status, StatusCode::SEE_OTHER, "{}", cleared.text);
    let company = t.get(&format!("/api/v1/companies/{}", w.company), Some(&w.admin)).await;
    assert_eq!(company.body["approval_limit"], Value::Null);
});
