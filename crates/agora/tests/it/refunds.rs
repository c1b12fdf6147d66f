//! Refunds: back the way the money came (card through the gateway, wallet and bank transfers to
//! the buyer's wallet), from escrow before release and from the shop's balance after, never more
//! than was paid — also when many are asked for at once — with stock returned when the goods come
//! back, and only by the shop's staff or an operator.

use agora_store::jobs;
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::hostile::{marketplace, seller_with_shop};
use crate::orders::{eur, stock_of, tax_rates, variant};
use crate::payouts::{completed, money, order, raw_post, register_account, request, ship, shop_rate};
use crate::support::{db_test, Reply, TestApp};

async fn refund(t: &TestApp, token: &str, order: &str, body: Value) -> Reply {
    t.post(&format!("/api/v1/orders/{order}/refunds"), Some(token), body)
        .await
}

async fn wallet_of(t: &TestApp, account_email: &str) -> i64 {
    let mut conn = t.app.db.conn().await.unwrap();
    let id = agora_store::accounts::by_email(&mut conn, account_email)
        .await
        .unwrap()
        .expect("the account")
        .id;
    let eur = agora_core::money::Currency::parse("EUR").unwrap();
    let account = agora_core::ledger::AccountRef::new(agora_core::ledger::AccountKind::WalletAvailable, &id, eur);
    agora_store::ledger::balance(&mut conn, &account).await.unwrap()
}

async fn gateway_refunds(t: &TestApp) -> Vec<Value> {
    let mut conn = t.app.db.conn().await.unwrap();
    let rows = jobs::list(&mut conn, "queued", None, 1000).await.unwrap();
    rows.into_iter()
        .filter(|j| j.kind == "gateway_refund")
        .map(|j| serde_json::from_str(&j.payload).unwrap())
        .collect()
}

db_test!(a_shipped_card_order_is_refunded_in_full_from_escrow_to_the_card, |t| {
    marketplace(&t).await;
    tax_rates(&t).await;
    let (seller, shop) = seller_with_shop(&t, "nora@example.com", "Nordlicht").await;
    let lamp = variant(&t, &seller, &shop, "LAMP", 2500, 5).await;
    let buyer = t.user("buyer@example.com").await;
    let id = order(&t, &buyer, &lamp, 2, "card").await;
    let r = refund(&t, &seller, &id, json!({"amount": eur(1000), "reason": "lost"})).await;
    assert_eq!(
        r.status,
        StatusCode::CONFLICT,
        "a paid order is cancelled, not refunded: {}",
        r.text
    );
    ship(&t, &seller, &id).await;
    assert_eq!(stock_of(&t, &seller, &lamp).await, 3);

    // Before release only a full refund; the buyer may not refund; strangers see nothing.
    let r = refund(&t, &seller, &id, json!({"amount": eur(1000), "reason": "lost"})).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text);
    let r = refund(&t, &buyer, &id, json!({"amount": eur(5000), "reason": "lost"})).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text);
    let (other, _) = seller_with_shop(&t, "hans@example.com", "Hanse").await;
    let r = refund(&t, &other, &id, json!({"amount": eur(5000), "reason": "lost"})).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.text);

    let r = refund(
        &t,
        &seller,
        &id,
        json!({"amount": eur(5000), "reason": "the parcel came back", "restock": true}),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(r.body["source"], "escrow");
    assert_eq!(r.body["route"], "gateway");
    assert_eq!(r.body["order_status"], "refunded");
    assert_eq!(stock_of(&t, &seller, &lamp).await, 5, "the goods went back on sale");
    let jobs = gateway_refunds(&t).await;
    assert_eq!(jobs.len(), 1, "{jobs:?}");
    assert_eq!(jobs[0]["amount"], eur(5000));
    assert_eq!(jobs[0]["refund_id"], r.body["id"]);
    let again = refund(&t, &seller, &id, json!({"amount": eur(1), "reason": "more"})).await;
    assert_eq!(again.status, StatusCode::CONFLICT, "{}", again.text);
    assert_eq!(money(&t, &shop).await, (0, 0, 0));
});

db_test!(
    a_completed_order_is_refunded_from_the_shops_balance_with_the_fee_share,
    |t| {
        marketplace(&t).await;
        tax_rates(&t).await;
        let (seller, shop) = seller_with_shop(&t, "nora@example.com", "Nordlicht").await;
        let lamp = variant(&t, &seller, &shop, "LAMP", 10_000, 5).await;
        let buyer = t.user("buyer@example.com").await;
        let id = order(&t, &buyer, &lamp, 1, "bank_transfer").await;
        ship(&t, &seller, &id).await;
        let r = t
            .post(&format!("/api/v1/orders/{id}/confirm-receipt"), Some(&buyer), json!({}))
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        assert_eq!(money(&t, &shop).await.0, 9500);

        // Bad amounts: nothing moves.
        for (amount, status) in [
            (eur(0), 422),
            (eur(-100), 422),
            (json!({"amount": 1000, "currency": "USD"}), 422),
            (eur(10_001), 409),
            (eur(1_000_000_000_000_000_000), 422),
        ] {
            let r = refund(&t, &seller, &id, json!({"amount": amount, "reason": "x"})).await;
            assert_eq!(r.status.as_u16(), status, "{amount}: {}", r.text);
        }
        let r = refund(&t, &seller, &id, json!({"amount": eur(10_001), "reason": "x"})).await;
        assert_eq!(r.problem_type(), "/problems/refund-exceeds-paid");
        let r = raw_post(
            &t,
            &seller,
            &format!("/api/v1/orders/{id}/refunds"),
            r#"{"amount": {"amount": 99999999999999999999999, "currency": "EUR"}, "reason": "x"}"#,
        )
        .await;
        assert!(r.status.is_client_error(), "{}", r.text);
        let r = refund(&t, &seller, &id, json!({"amount": eur(100), "reason": ""})).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(money(&t, &shop).await.0, 9500, "nothing moved");
        assert_eq!(wallet_of(&t, "buyer@example.com").await, 0);

        // 33.33 back: 1.67 of the 5.00 fee comes back from the platform, 31.66 from the shop.
        let r = refund(
            &t,
            &seller,
            &id,
            json!({"amount": eur(3333), "reason": "one part broken"}),
        )
        .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        assert_eq!(r.body["source"], "shop");
        assert_eq!(r.body["route"], "wallet");
        assert_eq!(r.body["fee_returned"], eur(167));
        assert_eq!(r.body["order_status"], "partially_refunded");
        assert_eq!(money(&t, &shop).await.0, 9500 - 3166);
        assert_eq!(wallet_of(&t, "buyer@example.com").await, 3333);

        // The rest, by the operator: 66.67, with the fee's rest (3.33).
        let operator = t.login("operator@agora.test").await;
        let r = refund(&t, &operator, &id, json!({"amount": eur(6667), "reason": "returned"})).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        assert_eq!(r.body["fee_returned"], eur(333));
        assert_eq!(r.body["order_status"], "refunded");
        assert_eq!(money(&t, &shop).await.0, 0);
        assert_eq!(wallet_of(&t, "buyer@example.com").await, 10_000);
        let list = t.get(&format!("/api/v1/orders/{id}/refunds"), Some(&buyer)).await;
        assert_eq!(list.body["items"].as_array().unwrap().len(), 2, "{}", list.text);
    }
);

db_test!(a_refund_after_payout_needs_the_shops_balance, |t| {
    marketplace(&t).await;
    tax_rates(&t).await;
    let (seller, shop) = seller_with_shop(&t, "nora@example.com", "Nordlicht").await;
    shop_rate(&t, &shop, 0).await;
    let lamp = variant(&t, &seller, &shop, "LAMP", 5000, 5).await;
    let buyer = t.user("buyer@example.com").await;
    let id = completed(&t, &buyer, &seller, &lamp, 1).await;
    assert_eq!(register_account(&t, &seller, &shop).await.status, StatusCode::OK);
    assert_eq!(request(&t, &seller, &shop, 4000).await.status, StatusCode::CREATED);
    let r = refund(&t, &seller, &id, json!({"amount": eur(2000), "reason": "late"})).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text);
    assert_eq!(r.problem_type(), "/problems/insufficient-funds");
    assert_eq!(money(&t, &shop).await, (1000, 0, 4000));
    let r = refund(&t, &seller, &id, json!({"amount": eur(1000), "reason": "late"})).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(r.body["route"], "gateway");
    assert_eq!(money(&t, &shop).await, (0, 0, 4000));
});

db_test!(concurrent_refunds_never_exceed_what_was_paid, |t| {
    marketplace(&t).await;
    tax_rates(&t).await;
    let (seller, shop) = seller_with_shop(&t, "nora@example.com", "Nordlicht").await;
    let lamp = variant(&t, &seller, &shop, "LAMP", 10_000, 5).await;
    let buyer = t.user("buyer@example.com").await;
    let id = order(&t, &buyer, &lamp, 1, "bank_transfer").await;
    ship(&t, &seller, &id).await;
    let r = t
        .post(&format!("/api/v1/orders/{id}/confirm-receipt"), Some(&buyer), json!({}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);

    // 12 refunds of 10.00 against 100.00 paid: exactly 10 go through.
    let tries = (0..12).map(|i| {
        refund(
            &t,
            &seller,
            &id,
            json!({"amount": eur(1000), "reason": format!("part {i}")}),
        )
    });
    let replies = futures::future::join_all(tries).await;
    let created = replies.iter().filter(|r| r.status == StatusCode::CREATED).count();
    let refused = replies
        .iter()
        .filter(|r| r.status == StatusCode::CONFLICT && r.problem_type() == "/problems/refund-exceeds-paid")
        .count();
    assert_eq!(
        (created, refused),
        (10, 2),
        "{:?}",
        replies.iter().map(|r| &r.text).collect::<Vec<_>>()
    );
    assert_eq!(wallet_of(&t, "buyer@example.com").await, 10_000);
    let order = t.get(&format!("/api/v1/orders/{id}"), Some(&buyer)).await;
    assert_eq!(order.body["status"], "refunded");
    assert_eq!(money(&t, &shop).await.0, 0);
});

db_test!(a_retried_refund_refunds_once, |t| {
    marketplace(&t).await;
    tax_rates(&t).await;
    let (seller, shop) = seller_with_shop(&t, "nora@example.com", "Nordlicht").await;
    let lamp = variant(&t, &seller, &shop, "LAMP", 4000, 5).await;
    let buyer = t.user("buyer@example.com").await;
    let id = completed(&t, &buyer, &seller, &lamp, 1).await;
    let send = || {
        t.client
            .post(t.url(&format!("/api/v1/orders/{id}/refunds")))
            .bearer_auth(&seller)
            .header("Idempotency-Key", "refund-1")
            .json(&json!({"amount": eur(1000), "reason": "dent"}))
            .send()
    };
    let first = crate::support::read(send().await.unwrap()).await;
    let second = crate::support::read(send().await.unwrap()).await;
    assert_eq!(first.status, StatusCode::CREATED, "{}", first.text);
    assert_eq!(second.body["id"], first.body["id"]);
    assert_eq!(gateway_refunds(&t).await.len(), 1);
    assert_eq!(money(&t, &shop).await.0, 3800 - 950);
});
