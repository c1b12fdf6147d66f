//! The wallet and balances: top-ups retried with one key start one payment and credit once, an
//! approved wallet order is paid at approval, and nobody reads another account's payment, wallet
//! or shop balance (also after losing their role in the shop's company).

use agora_app::payments::{self, Outcome};
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::hostile::{marketplace, seller_with_shop};
use crate::orders::{add, variant};
use crate::payments::{fund_wallet, ledger, pay_with, post_order, shop_eur, status_of, two_shops, wallet_eur};
use crate::support::{db_test, CompanyMember, TestApp};

db_test!(payments_wallets_and_shop_balances_are_private, |t| {
    let (bea, shops) = two_shops(&t).await;
    fund_wallet(&t, &bea, 2_000).await;
    add(&t, &bea, &shops[0].2, 1).await;
    let r = pay_with(&t, &bea, "wallet").await;
    let id = r.body["payment"]["id"].as_str().unwrap().to_owned();
    let otto = t.user("otto@example.com").await;
    for path in [
        format!("/api/v1/payments/{id}"),
        format!("/api/v1/shops/{}/balance", shops[0].1),
    ] {
        let r = t.get(&path, Some(&otto)).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{path}: {}", r.text);
    }
    let r = t
        .get(&format!("/api/v1/shops/{}/balance", shops[0].1), Some(&shops[1].0))
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "another shop's seller: {}", r.text);
    assert_eq!(wallet_eur(&t, &otto).await, 0, "otto's own wallet is empty");
    let r = t
        .get(
            &format!("/api/v1/payments/{id}"),
            Some(&t.login("operator@agora.test").await),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "operators see payments: {}", r.text);
    let r = t.get("/api/v1/wallet", None).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    let r = t.get("/api/v1/admin/ledger/verify", Some(&bea)).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
});

db_test!(a_demoted_or_removed_member_cannot_read_the_company_shop_balance, |t| {
    let CompanyMember {
        admin: anna,
        company: acme,
        member: sam,
        member_id: sam_id,
    } = t
        .company_with_member("anna@acme.test", "Acme Ltd", "sam@acme.test", "sales")
        .await;
    marketplace(&t).await;
    let operator = t.login("operator@agora.test").await;
    let shop = t.approved_company_shop(&operator, &sam, "Acme Audio", "Acme Ltd").await;
    let path = format!("/api/v1/shops/{shop}/balance");
    assert_eq!(t.get(&path, Some(&sam)).await.status, StatusCode::OK);
    assert_eq!(t.get(&path, Some(&anna)).await.status, StatusCode::OK);
    let member = format!("/api/v1/companies/{acme}/members/{sam_id}");
    let set_role = |role: &'static str| t.call(Method::PATCH, &member, Some(&anna), Some(json!({ "role": role })));
    assert_eq!(set_role("purchaser").await.status, StatusCode::NO_CONTENT);
    assert_eq!(t.get(&path, Some(&sam)).await.status, StatusCode::NOT_FOUND, "demoted");
    assert_eq!(set_role("sales").await.status, StatusCode::NO_CONTENT);
    assert_eq!(t.get(&path, Some(&sam)).await.status, StatusCode::OK, "back in sales");
    let r = t
        .call(
            Method::DELETE,
            &format!("/api/v1/companies/{acme}/members/{sam_id}"),
            Some(&anna),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    assert_eq!(t.get(&path, Some(&sam)).await.status, StatusCode::NOT_FOUND, "removed");
});

db_test!(a_retried_top_up_with_one_key_starts_one_payment, |t| {
    let (bea, _) = two_shops(&t).await;
    let send = |key: &'static str, cents: i64| {
        t.client
            .post(t.url("/api/v1/wallet/top-ups"))
            .bearer_auth(&bea)
            .header("Idempotency-Key", key)
            .json(&json!({"amount": {"amount": cents, "currency": "EUR"}, "method": "card"}))
            .send()
    };
    let replies = futures::future::join_all((0..5).map(|_| send("top-up-1", 2500))).await;
    let mut ids = Vec::new();
    for r in replies {
        let r = crate::support::read(r.unwrap()).await;
        if r.status == StatusCode::CREATED {
            assert_eq!(r.body["payment"]["status"], "pending", "{}", r.text);
            let id = r.body["payment"]["id"].as_str().unwrap().to_owned();
            assert_eq!(r.body["payment"]["redirect_url"], format!("/pay/{id}"), "{}", r.text);
            ids.push(id);
        } else {
            assert_eq!(r.problem_type(), "/problems/in-progress", "{}", r.text);
        }
    }
    ids.dedup();
    assert_eq!(ids.len(), 1, "one payment for one key: {ids:?}");
    let r = crate::support::read(send("top-up-1", 2600).await.unwrap()).await;
    assert_eq!(
        r.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "another body with the key: {}",
        r.text
    );
    // The gateway's success credits the wallet once.
    let ok = Outcome::Succeeded {
        provider_ref: "sbx".into(),
        card_brand: None,
        last4: None,
        card_token: None,
    };
    payments::settle(&t.app, &ids[0], ok.clone()).await.unwrap();
    payments::settle(&t.app, &ids[0], ok).await.unwrap();
    assert_eq!(wallet_eur(&t, &bea).await, 2500);
    let r = t.get(&format!("/api/v1/payments/{}", ids[0]), Some(&bea)).await;
    assert_eq!(
        (r.body["purpose"].as_str(), r.body["status"].as_str()),
        (Some("top_up"), Some("succeeded"))
    );
    // A bank-transfer payment is not the gateway's to settle.
    add(&t, &bea, &two_shops_variant(&t).await, 1).await;
    let r = pay_with(&t, &bea, "bank_transfer").await;
    let id = r.body["payment"]["id"].as_str().unwrap();
    let ok = Outcome::Succeeded {
        provider_ref: "sbx".into(),
        card_brand: None,
        last4: None,
        card_token: None,
    };
    assert!(matches!(
        payments::settle(&t.app, id, ok).await,
        Err(agora_app::AppError::Conflict { .. })
    ));
});

/// A product of a third shop, for tests that already set up two.
async fn two_shops_variant(t: &TestApp) -> String {
    let (seller, shop) = seller_with_shop(t, "lucie@example.com", "Lune").await;
    variant(t, &seller, &shop, "MOON", 1200, 5).await
}

db_test!(
    an_approved_wallet_order_is_paid_from_the_purchasers_wallet_at_approval,
    |t| {
        let (bea, shops) = two_shops(&t).await;
        let _ = bea;
        let (admin, company) = t.company_admin("admin@acme.test", "Acme Ltd").await;
        let pat = t.user("pat@acme.test").await;
        crate::companies::join(&t, &admin, &company, "pat@acme.test", "purchaser", &pat).await;
        let r = t
            .call(
                Method::PUT,
                &format!("/api/v1/companies/{company}/approval-limit"),
                Some(&admin),
                Some(json!({"amount": {"amount": 1500, "currency": "EUR"}})),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        fund_wallet(&t, &pat, 2_500).await;
        let lamp = &shops[0].2;
        add(&t, &pat, lamp, 2).await;
        let r = pay_with(&t, &pat, "wallet").await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        assert_eq!(r.body["orders"][0]["status"], "awaiting_approval", "{}", r.text);
        assert_eq!(r.body["payment"]["status"], "pending", "{}", r.text);
        let first = r.body["orders"][0]["id"].as_str().unwrap().to_owned();
        assert_eq!(
            wallet_eur(&t, &pat).await,
            2_500,
            "nothing is taken before the approval"
        );
        add(&t, &pat, lamp, 2).await;
        let second = pay_with(&t, &pat, "wallet").await.body["orders"][0]["id"]
            .as_str()
            .unwrap()
            .to_owned();

        let r = post_order(&t, &admin, &first, "approve", json!({})).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        assert_eq!(r.body["status"], "paid", "{}", r.text);
        assert_eq!(wallet_eur(&t, &pat).await, 500);
        // The wallet cannot pay the second: its approval is refused and changes nothing.
        let r = post_order(&t, &admin, &second, "approve", json!({})).await;
        assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text);
        assert_eq!(r.problem_type(), "/problems/insufficient-funds", "{}", r.text);
        assert_eq!(status_of(&t, &pat, &second).await, "awaiting_approval");
        let r = post_order(&t, &admin, &second, "decline", json!({})).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        assert_eq!(shop_eur(&t, &shops[0].0, &shops[0].1).await, (2_000, 0));
        ledger(&t).await;
    }
);

db_test!(bad_amounts_are_refused_and_post_nothing, |t| {
    let (bea, _) = two_shops(&t).await;
    let operator = t.login("operator@agora.test").await;
    let r = t
        .post(
            "/api/v1/wallet/top-ups",
            Some(&bea),
            json!({"amount": {"amount": 5000, "currency": "EUR"}, "method": "bank_transfer"}),
        )
        .await;
    let id = r.body["payment"]["id"].as_str().unwrap().to_owned();
    let before = ledger(&t).await["transactions"].as_i64().unwrap();
    let path = format!("/api/v1/payments/{id}/confirm-transfer");
    for amount in [
        json!({"amount": 0, "currency": "EUR"}),
        json!({"amount": -5000, "currency": "EUR"}),
        json!({"amount": 5000, "currency": "USD"}),
        json!({"amount": 5000, "currency": "XXX"}),
        json!({"amount": 9_223_372_036_854_775_807i64, "currency": "EUR"}),
        json!({"amount": 99_999_999_999_999_999_999.0, "currency": "EUR"}),
        json!({"amount": 12.5, "currency": "EUR"}),
        json!("5000"),
    ] {
        let r = t.post(&path, Some(&operator), json!({ "amount": amount })).await;
        assert!(r.status.is_client_error(), "{amount}: {} {}", r.status, r.text);
    }
    for (amount, method) in [
        (json!({"amount": 0, "currency": "EUR"}), "card"),
        (json!({"amount": -1, "currency": "EUR"}), "bank_transfer"),
        (json!({"amount": 100_000_001, "currency": "EUR"}), "card"),
        (
            json!({"amount": 9_223_372_036_854_775_807i64, "currency": "EUR"}),
            "card",
        ),
        (json!({"amount": 100, "currency": "EUR"}), "wallet"),
        (json!({"amount": 100, "currency": "EUR"}), "cod"),
    ] {
        let r = t
            .post(
                "/api/v1/wallet/top-ups",
                Some(&bea),
                json!({"amount": amount, "method": method}),
            )
            .await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{amount} {method}: {}",
            r.text
        );
    }
    let r = t
        .post(
            "/api/v1/wallet/top-ups",
            Some(&bea),
            json!({"amount": {"amount": 100, "currency": "EUR"}, "method": "card", "card_number": "4242424242424242"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "card data never enters: {}", r.text);
    let r = t
        .post(
            &path,
            Some(&bea),
            json!({"amount": {"amount": 5000, "currency": "EUR"}}),
        )
        .await;
    assert_eq!(
        r.status,
        StatusCode::FORBIDDEN,
        "only operators confirm transfers: {}",
        r.text
    );
    assert_eq!(
        ledger(&t).await["transactions"].as_i64().unwrap(),
        before,
        "nothing was posted"
    );
    assert_eq!(wallet_eur(&t, &bea).await, 0);
});
