//! A cancelled order gives its coupon use back (once no order the coupon covers is live), and
//! coupons are edited only by who may create them: a shop's current owner and managers, and
//! operators for the platform's.

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::hostile::{marketplace, seller_with_shop};
use crate::orders::{add, address, checkout, eur, tax_rates, variant};
use crate::support::{db_test, CompanyMember, Reply, TestApp};

fn with_coupon(code: &str) -> Value {
    json!({"shipping_address": address("DE"), "payment_method": "card", "coupon": code})
}

async fn coupon(t: &TestApp, token: &str, path: &str, body: Value) -> String {
    let r = t.post(path, Some(token), body).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    r.body["id"].as_str().unwrap().to_owned()
}

async fn used(t: &TestApp, token: &str, list: &str, id: &str) -> i64 {
    let r = t.get(list, Some(token)).await;
    r.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == id)
        .expect("listed")["used_count"]
        .as_i64()
        .unwrap()
}

async fn cancel(t: &TestApp, token: &str, order: &Value) -> Reply {
    let id = order["id"].as_str().unwrap();
    t.post(&format!("/api/v1/orders/{id}/cancel"), Some(token), json!({}))
        .await
}

db_test!(a_cancelled_order_gives_its_coupon_use_back, |t| {
    marketplace(&t).await;
    tax_rates(&t).await;
    let (nora, shop) = seller_with_shop(&t, "nora@example.com", "Nordlicht").await;
    let lamp = variant(&t, &nora, &shop, "LAMP", 1000, 20).await;
    let list = format!("/api/v1/shops/{shop}/coupons");
    let once = coupon(
        &t,
        &nora,
        &list,
        json!({"code": "ONCE", "kind": "fixed", "amount": eur(100), "max_uses": 1, "max_uses_per_buyer": 1}),
    )
    .await;
    let (bea, carl) = (t.user("bea@example.com").await, t.user("carl@example.com").await);
    add(&t, &bea, &lamp, 1).await;
    add(&t, &carl, &lamp, 1).await;
    let r = checkout(&t, &bea, with_coupon("once")).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let bea_order = r.body["orders"][0].clone();
    assert_eq!(used(&t, &nora, &list, &once).await, 1);
    let r = checkout(&t, &carl, with_coupon("once")).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "used up: {}", r.text);

    let r = cancel(&t, &bea, &bea_order).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(used(&t, &nora, &list, &once).await, 0, "the use is back");
    let r = checkout(&t, &carl, with_coupon("ONCE")).await;
    assert_eq!(
        r.status,
        StatusCode::CREATED,
        "the freed use serves another buyer: {}",
        r.text
    );
    assert_eq!(r.body["orders"][0]["discount"], eur(100));
    assert_eq!(used(&t, &nora, &list, &once).await, 1);
    // Cancelling again (a cancelled order cannot be) gives nothing back twice.
    assert_eq!(cancel(&t, &bea, &bea_order).await.status, StatusCode::CONFLICT);
    assert_eq!(used(&t, &nora, &list, &once).await, 1);

    // The per-buyer use comes back too: Bea may use a returned one-per-buyer coupon again.
    let per_buyer = coupon(
        &t,
        &nora,
        &list,
        json!({"code": "MINE", "kind": "percentage", "percentage_bp": 1000, "max_uses_per_buyer": 1}),
    )
    .await;
    add(&t, &bea, &lamp, 1).await;
    let r = checkout(&t, &bea, with_coupon("MINE")).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let first = r.body["orders"][0].clone();
    add(&t, &bea, &lamp, 1).await;
    let r = checkout(&t, &bea, with_coupon("MINE")).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert_eq!(
        cancel(&t, &nora, &first).await.status,
        StatusCode::OK,
        "the seller cancels"
    );
    let r = checkout(&t, &bea, with_coupon("MINE")).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(used(&t, &nora, &list, &per_buyer).await, 1);
});

db_test!(
    an_operator_coupon_comes_back_only_when_every_order_of_its_checkout_is_cancelled,
    |t| {
        marketplace(&t).await;
        tax_rates(&t).await;
        let operator = t.login("operator@agora.test").await;
        let (nora, nora_shop) = seller_with_shop(&t, "nora@example.com", "Nordlicht").await;
        let (hans, hans_shop) = seller_with_shop(&t, "hans@example.com", "Hanse").await;
        let lamp = variant(&t, &nora, &nora_shop, "LAMP", 1000, 5).await;
        let grinder = variant(&t, &hans, &hans_shop, "GRIND", 3000, 5).await;
        let all = coupon(
            &t,
            &operator,
            "/api/v1/admin/coupons",
            json!({"code": "EVERYONE", "kind": "percentage", "percentage_bp": 1000, "max_uses": 5}),
        )
        .await;
        let buyer = t.user("bea@example.com").await;
        add(&t, &buyer, &lamp, 1).await;
        add(&t, &buyer, &grinder, 1).await;
        let r = checkout(&t, &buyer, with_coupon("everyone")).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        let orders = r.body["orders"].as_array().unwrap().clone();
        assert_eq!(orders.len(), 2);
        assert_eq!(used(&t, &operator, "/api/v1/admin/coupons", &all).await, 1);
        assert_eq!(cancel(&t, &buyer, &orders[0]).await.status, StatusCode::OK);
        assert_eq!(
            used(&t, &operator, "/api/v1/admin/coupons", &all).await,
            1,
            "the other order still uses it"
        );
        assert_eq!(cancel(&t, &buyer, &orders[1]).await.status, StatusCode::OK);
        assert_eq!(used(&t, &operator, "/api/v1/admin/coupons", &all).await, 0);
    }
);

fn edited(code: &str, max_uses: Option<i64>) -> Value {
    json!({"code": code, "kind": "fixed", "amount": eur(250), "min_spend": eur(1000), "max_uses": max_uses,
           "valid_until": "2099-01-01T00:00:00Z"})
}

db_test!(a_coupon_is_edited_by_its_shops_staff_or_an_operator_only, |t| {
    marketplace(&t).await;
    tax_rates(&t).await;
    let operator = t.login("operator@agora.test").await;
    let (nora, shop) = seller_with_shop(&t, "nora@example.com", "Nordlicht").await;
    let (hans, hans_shop) = seller_with_shop(&t, "hans@example.com", "Hanse").await;
    let lamp = variant(&t, &nora, &shop, "LAMP", 2000, 20).await;
    let list = format!("/api/v1/shops/{shop}/coupons");
    let id = coupon(
        &t,
        &nora,
        &list,
        json!({"code": "SPRING", "kind": "percentage", "percentage_bp": 1000, "max_uses": 3}),
    )
    .await;
    coupon(
        &t,
        &nora,
        &list,
        json!({"code": "TAKEN", "kind": "percentage", "percentage_bp": 500}),
    )
    .await;
    let hans_coupon = coupon(
        &t,
        &hans,
        &format!("/api/v1/shops/{hans_shop}/coupons"),
        json!({"code": "HANS", "kind": "percentage", "percentage_bp": 500}),
    )
    .await;
    let path = format!("/api/v1/coupons/{id}");
    let put = |token: &str, body: Value| {
        let (t, path, token) = (&t, path.clone(), token.to_owned());
        async move { t.call(Method::PUT, &path, Some(&token), Some(body)).await }
    };

    // Another shop's seller, a buyer, and an operator (the shop's coupons are its staff's): 404.
    let buyer = t.user("bea@example.com").await;
    for who in [&hans, &buyer] {
        let r = put(who, edited("SUMMER", None)).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.text);
    }
    let r = t
        .call(
            Method::PUT,
            &format!("/api/v1/coupons/{hans_coupon}"),
            Some(&nora),
            Some(edited("X1", None)),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.text);

    // The owner edits it: the new terms apply at checkout.
    let r = put(&nora, edited("summer", Some(3))).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["code"], "SUMMER");
    assert_eq!(r.body["amount"], eur(250));
    assert_eq!(r.body["shop_id"], shop.as_str());
    add(&t, &buyer, &lamp, 1).await;
    let r = checkout(&t, &buyer, with_coupon("SPRING")).await;
    assert_eq!(
        r.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "the old code is gone: {}",
        r.text
    );
    let r = checkout(&t, &buyer, with_coupon("SUMMER")).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(r.body["orders"][0]["discount"], eur(250));

    // Bad edits name their field: a code taken in the scope, a limit below the uses.
    let r = put(&nora, edited("TAKEN", None)).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert_eq!(r.body["errors"][0]["field"], "code");
    let carl = t.user("carl@example.com").await;
    add(&t, &carl, &lamp, 1).await;
    let r = checkout(&t, &carl, with_coupon("SUMMER")).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let r = put(&nora, edited("SUMMER", Some(2))).await;
    assert_eq!(
        r.status,
        StatusCode::OK,
        "a limit equal to the uses is fine: {}",
        r.text
    );
    assert_eq!(r.body["used_count"], 2);
    let r = put(&nora, edited("SUMMER", Some(1))).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert_eq!(r.body["errors"][0]["field"], "max_uses");

    // The operator's own coupons: operators edit them, sellers do not see them.
    let platform = coupon(
        &t,
        &operator,
        "/api/v1/admin/coupons",
        json!({"code": "ALL5", "kind": "percentage", "percentage_bp": 500}),
    )
    .await;
    let platform_path = format!("/api/v1/coupons/{platform}");
    let r = t
        .call(Method::PUT, &platform_path, Some(&nora), Some(edited("ALL6", None)))
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.text);
    let r = t
        .call(Method::PUT, &platform_path, Some(&operator), Some(edited("ALL6", None)))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["shop_id"], Value::Null);
});

db_test!(a_demoted_or_removed_member_cannot_edit_the_company_shops_coupons, |t| {
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
    let id = coupon(
        &t,
        &sam,
        &format!("/api/v1/shops/{shop}/coupons"),
        json!({"code": "SAM1", "kind": "percentage", "percentage_bp": 500}),
    )
    .await;
    let path = format!("/api/v1/coupons/{id}");
    let r = t.call(Method::PUT, &path, Some(&sam), Some(edited("SAM2", None))).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let r = t
        .call(
            Method::PATCH,
            &format!("/api/v1/companies/{acme}/members/{sam_id}"),
            Some(&anna),
            Some(json!({"role": "purchaser"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    let r = t.call(Method::PUT, &path, Some(&sam), Some(edited("SAM3", None))).await;
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
    let r = t.call(Method::PUT, &path, Some(&sam), Some(edited("SAM4", None))).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "removed: {}", r.text);
    let r = t
        .call(Method::PUT, &path, Some(&anna), Some(edited("ANNA", None)))
        .await;
    assert_eq!(r.status, StatusCode::OK, "the admin still may: {}", r.text);
});
