//! The pages of shipping methods, the address book and coupon editing: each form does what its
//! API does, names a bad field next to it, and refuses whoever may not use it.

use reqwest::StatusCode;
use serde_json::json;

use crate::hostile::{marketplace, seller_with_shop};
use crate::page_session::{get, post};
use crate::support::db_test;

db_test!(a_seller_adds_and_removes_shipping_methods_on_the_shipping_page, |t| {
    marketplace(&t).await;
    let (nora, shop) = seller_with_shop(&t, "nora@example.com", "Nordlicht").await;
    let (hans, _) = seller_with_shop(&t, "hans@example.com", "Hanse").await;
    let path = format!("/sell/shops/{shop}/shipping");
    let page = get(&t, &path, &nora).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text);
    assert_eq!(
        get(&t, &path, &hans).await.status,
        StatusCode::NOT_FOUND,
        "another shop's seller"
    );

    let r = post(
        &t,
        &path,
        &nora,
        &[
            ("name", "Parcel"),
            ("kind", "by_weight"),
            ("currency", "EUR"),
            ("bands", "1000: 4.90\n5000: 6.90"),
            ("free_from", "50.00"),
            ("countries", "DE, at"),
        ],
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    let r = post(
        &t,
        &path,
        &nora,
        &[
            ("name", "Express"),
            ("kind", "flat"),
            ("currency", "EUR"),
            ("price", "12.00"),
        ],
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    let listed = t.get(&format!("/api/v1/shops/{shop}/shipping-methods"), None).await;
    let items = listed.body["items"].as_array().unwrap().clone();
    assert_eq!(items.len(), 2, "{}", listed.text);
    assert_eq!(
        items[0]["rate"]["bands"][1]["price"],
        json!({"amount": 690, "currency": "EUR"})
    );
    assert_eq!(items[0]["free_from"]["amount"], 5000);
    assert_eq!(items[0]["countries"], json!(["AT", "DE"]));
    let page = get(&t, &path, &nora).await;
    assert!(
        page.text.contains("up to 1000 g: 4.90 EUR") && page.text.contains("Express"),
        "{}",
        page.text
    );

    // Bad input is named next to its field, and nothing is added.
    let r = post(
        &t,
        &path,
        &nora,
        &[
            ("name", "Cheap"),
            ("kind", "by_weight"),
            ("currency", "EUR"),
            ("bands", "heavy: lots"),
        ],
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert!(r.text.contains("id=\"bands-error\""), "{}", r.text);
    let r = post(
        &t,
        &path,
        &nora,
        &[("name", ""), ("kind", "flat"), ("currency", "EUR"), ("price", "1.00")],
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert!(r.text.contains("id=\"name-error\""), "{}", r.text);

    // Removing: another seller cannot; the shop's seller can.
    let express = items[1]["id"].as_str().unwrap();
    let remove = format!("{path}/{express}/remove");
    assert_eq!(post(&t, &remove, &hans, &[]).await.status, StatusCode::NOT_FOUND);
    assert_eq!(post(&t, &remove, &nora, &[]).await.status, StatusCode::SEE_OTHER);
    let listed = t.get(&format!("/api/v1/shops/{shop}/shipping-methods"), None).await;
    assert_eq!(listed.body["items"].as_array().unwrap().len(), 1, "{}", listed.text);
    assert_eq!(listed.body["items"][0]["name"], "Parcel");
});

db_test!(a_buyer_keeps_addresses_on_the_address_page, |t| {
    marketplace(&t).await;
    let bea = t.user("bea@example.com").await;
    let carl = t.user("carl@example.com").await;
    let fields = |city: &'static str| {
        vec![
            ("name", "Bea Buyer"),
            ("line1", "Hauptstr. 1"),
            ("postal_code", "10115"),
            ("city", city),
            ("country", "DE"),
        ]
    };
    let r = post(&t, "/account/addresses", &bea, &fields("Berlin")).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    let r = post(&t, "/account/addresses", &bea, &fields("Hamburg")).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    let mut bad = fields("Bremen");
    bad.retain(|(k, _)| *k != "country");
    let r = post(&t, "/account/addresses", &bea, &bad).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert!(r.text.contains("id=\"address.country-error\""), "{}", r.text);

    let listed = t.get("/api/v1/account/addresses", Some(&bea)).await;
    let items = listed.body["items"].as_array().unwrap().clone();
    assert_eq!(items.len(), 2, "{}", listed.text);
    let hamburg = items.iter().find(|a| a["address"]["city"] == "Hamburg").unwrap();
    let id = hamburg["id"].as_str().unwrap();
    assert_eq!(hamburg["default"], false);
    // Another account: 404 for making it the default and for deleting it.
    for action in ["default", "delete"] {
        let r = post(&t, &format!("/account/addresses/{id}/{action}"), &carl, &[]).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{action}: {}", r.text);
    }
    let r = post(&t, &format!("/account/addresses/{id}/default"), &bea, &[]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    let page = get(&t, "/account/addresses", &bea).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.text.contains("Hamburg") && page.text.contains("default"),
        "{}",
        page.text
    );
    let listed = t.get("/api/v1/account/addresses", Some(&bea)).await;
    assert_eq!(
        listed.body["items"][0]["address"]["city"], "Hamburg",
        "the default first"
    );
    let r = post(&t, &format!("/account/addresses/{id}/delete"), &bea, &[]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    let listed = t.get("/api/v1/account/addresses", Some(&bea)).await;
    assert_eq!(listed.body["items"].as_array().unwrap().len(), 1);
});

db_test!(
    coupons_are_edited_on_their_page_and_operators_keep_platform_coupons,
    |t| {
        marketplace(&t).await;
        let operator = t.login("operator@agora.test").await;
        let (nora, shop) = seller_with_shop(&t, "nora@example.com", "Nordlicht").await;
        let (hans, _) = seller_with_shop(&t, "hans@example.com", "Hanse").await;
        let r = t
        .post(
            &format!("/api/v1/shops/{shop}/coupons"),
            Some(&nora),
            json!({"code": "SPRING", "kind": "percentage", "percentage_bp": 1250, "valid_until": "2030-06-01T00:00:00Z"}),
        )
        .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        let id = r.body["id"].as_str().unwrap().to_owned();
        let edit = format!("/sell/coupons/{id}/edit");
        let page = get(&t, &edit, &nora).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.text);
        assert!(
            page.text.contains("value=\"12.50\"") && page.text.contains("value=\"2030-05-31\""),
            "the form shows the coupon as it is: {}",
            page.text
        );
        assert_eq!(get(&t, &edit, &hans).await.status, StatusCode::NOT_FOUND);
        let form = [
            ("code", "summer"),
            ("kind", "fixed"),
            ("value", "5.00"),
            ("currency", "EUR"),
            ("max_uses", "10"),
        ];
        assert_eq!(post(&t, &edit, &hans, &form).await.status, StatusCode::NOT_FOUND);
        let r = post(&t, &edit, &nora, &form).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
        let listed = t.get(&format!("/api/v1/shops/{shop}/coupons"), Some(&nora)).await;
        let c = &listed.body["items"][0];
        assert_eq!(
            (c["code"].clone(), c["amount"]["amount"].clone()),
            (json!("SUMMER"), json!(500))
        );
        assert_eq!(c["valid_until"], serde_json::Value::Null, "the date was cleared");
        let r = post(
            &t,
            &edit,
            &nora,
            &[("code", "x"), ("kind", "fixed"), ("value", "5.00"), ("currency", "EUR")],
        )
        .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
        assert!(r.text.contains("id=\"code-error\""), "{}", r.text);

        // The operator's coupon page.
        let refused = get(&t, "/admin/coupons", &nora).await.status;
        assert!(
            matches!(refused, StatusCode::FORBIDDEN | StatusCode::NOT_FOUND),
            "{refused}"
        );
        let r = post(
            &t,
            "/admin/coupons",
            &operator,
            &[
                ("code", "welcome"),
                ("kind", "percentage"),
                ("value", "5"),
                ("currency", "EUR"),
            ],
        )
        .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
        let page = get(&t, "/admin/coupons", &operator).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.text);
        assert!(
            page.text.contains("WELCOME") && page.text.contains("5 % off"),
            "{}",
            page.text
        );
        let listed = t.get("/api/v1/admin/coupons", Some(&operator)).await;
        assert_eq!(listed.body["items"][0]["shop_id"], serde_json::Value::Null);
    }
);
