//! Payments: the checkout's one payment by each method, the gateway's settlement, bank transfers
//! confirmed by an operator (exact, short and excess amounts), escrow released on completion and
//! returned on cancellation, and nobody seeing another account's payment.

use agora_app::payments::{self, Outcome, Settled};
use agora_store::now_ms;
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::hostile::{marketplace, seller_with_shop};
use crate::order_jobs::{jobs_in, run_jobs};
use crate::orders::{add, address, checkout, stock_of, tax_rates, variant};
use crate::support::{db_test, Reply, TestApp};

const DAY_MS: i64 = 24 * 60 * 60 * 1000;

/// Pays the checkout of order `order_id` as its method is paid: the gateway's success for a
/// card, the operator's confirmation of the exact amount for a bank transfer.
pub(crate) async fn pay(t: &TestApp, order_id: &str) {
    let mut conn = t.app.db.conn().await.unwrap();
    let order = agora_store::orders::by_id(&mut conn, order_id)
        .await
        .unwrap()
        .expect("the order");
    drop(conn);
    let payment = payments::for_group(&t.app, &order.group_id)
        .await
        .unwrap()
        .expect("a payment for the checkout");
    match payment.summary.method.as_str() {
        "card" => {
            let outcome = Outcome::Succeeded {
                provider_ref: format!("sandbox_{}", payment.summary.id),
                card_brand: Some("visa".into()),
                last4: Some("4242".into()),
                card_token: None,
            };
            let settled = payments::settle(&t.app, &payment.summary.id, outcome).await.unwrap();
            assert!(matches!(settled, Settled::Now(_)), "{settled:?}");
        }
        "bank_transfer" => {
            let operator = t.login("operator@agora.test").await;
            let r = confirm_transfer(t, &operator, &payment.summary.id, payment.summary.amount.minor, None).await;
            assert_eq!(r.status, StatusCode::OK, "{}", r.text);
            assert_eq!(r.body["outcome"], "settled", "{}", r.text);
        }
        other => panic!("{other} payments are paid at checkout"),
    }
}

/// An operator records `cents` EUR received for the payment.
pub(crate) async fn confirm_transfer(
    t: &TestApp,
    operator: &str,
    payment: &str,
    cents: i64,
    key: Option<&str>,
) -> crate::support::Reply {
    let mut req = t
        .client
        .post(t.url(&format!("/api/v1/payments/{payment}/confirm-transfer")))
        .bearer_auth(operator)
        .json(&json!({"amount": {"amount": cents, "currency": "EUR"}}));
    if let Some(key) = key {
        req = req.header("Idempotency-Key", key);
    }
    crate::support::read(req.send().await.unwrap()).await
}

/// Tops up the buyer's wallet with `cents` EUR by bank transfer, confirmed by the operator.
pub(crate) async fn fund_wallet(t: &TestApp, buyer: &str, cents: i64) {
    let r = t
        .post(
            "/api/v1/wallet/top-ups",
            Some(buyer),
            json!({"amount": {"amount": cents, "currency": "EUR"}, "method": "bank_transfer"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(r.body["payment"]["status"], "pending", "{}", r.text);
    assert!(
        r.body["payment"]["reference"].as_str().unwrap().starts_with("AG-"),
        "{}",
        r.text
    );
    let operator = t.login("operator@agora.test").await;
    let id = r.body["payment"]["id"].as_str().unwrap();
    let r = confirm_transfer(t, &operator, id, cents, None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["outcome"], "settled", "{}", r.text);
}

pub(crate) async fn wallet_eur(t: &TestApp, token: &str) -> i64 {
    let r = t.get("/api/v1/wallet", Some(token)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    r.body["balances"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["currency"] == "EUR")
        .map_or(0, |b| b["available"]["amount"].as_i64().unwrap())
}

/// `(pending, available)` EUR of a shop.
pub(crate) async fn shop_eur(t: &TestApp, token: &str, shop: &str) -> (i64, i64) {
    let r = t.get(&format!("/api/v1/shops/{shop}/balance"), Some(token)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    r.body["balances"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["currency"] == "EUR")
        .map_or((0, 0), |b| {
            (
                b["pending"]["amount"].as_i64().unwrap(),
                b["available"]["amount"].as_i64().unwrap(),
            )
        })
}

pub(crate) async fn ledger(t: &TestApp) -> Value {
    let operator = t.login("operator@agora.test").await;
    let r = t.get("/api/v1/admin/ledger/verify", Some(&operator)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["balanced"], true, "{}", r.text);
    r.body
}

pub(crate) async fn pay_with(t: &TestApp, buyer: &str, method: &str) -> Reply {
    checkout(
        t,
        buyer,
        json!({"shipping_address": address("DE"), "payment_method": method}),
    )
    .await
}

pub(crate) async fn status_of(t: &TestApp, token: &str, order: &str) -> String {
    let r = t.get(&format!("/api/v1/orders/{order}"), Some(token)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    r.body["status"].as_str().unwrap().to_owned()
}

pub(crate) async fn post_order(t: &TestApp, token: &str, order: &str, action: &str, body: Value) -> Reply {
    t.post(&format!("/api/v1/orders/{order}/{action}"), Some(token), body)
        .await
}

async fn ship(t: &TestApp, seller: &str, order: &str) {
    let r = post_order(
        t,
        seller,
        order,
        "ship",
        json!({"carrier": "DHL", "tracking_number": "1"}),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
}

/// Two shops, a buyer and German VAT; returns (buyer, [(seller, shop, variant at 10.00 incl. VAT)]).
pub(crate) async fn two_shops(t: &TestApp) -> (String, Vec<(String, String, String)>) {
    marketplace(t).await;
    tax_rates(t).await;
    let mut shops = Vec::new();
    for (email, name, sku) in [
        ("nora@example.com", "Nordlicht", "LAMP"),
        ("hans@example.com", "Hanse", "GRIND"),
    ] {
        let (seller, shop) = seller_with_shop(t, email, name).await;
        let v = variant(t, &seller, &shop, sku, 1000, 50).await;
        shops.push((seller, shop, v));
    }
    (t.user("bea@example.com").await, shops)
}

db_test!(a_wallet_checkout_pays_every_order_into_escrow_at_once, |t| {
    let (bea, shops) = two_shops(&t).await;
    fund_wallet(&t, &bea, 10_000).await;
    assert_eq!(wallet_eur(&t, &bea).await, 10_000);
    add(&t, &bea, &shops[0].2, 2).await;
    add(&t, &bea, &shops[1].2, 1).await;
    let r = pay_with(&t, &bea, "wallet").await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let orders = r.body["orders"].as_array().unwrap();
    assert_eq!(orders.len(), 2);
    assert!(orders.iter().all(|o| o["status"] == "paid"), "{}", r.text);
    let payment = &r.body["payment"];
    assert_eq!(payment["status"], "succeeded", "{}", r.text);
    assert_eq!(payment["method"], "wallet");
    assert_eq!(payment["amount"]["amount"], 3000, "{}", r.text);
    assert!(payment.get("redirect_url").is_none() && payment.get("reference").is_none());
    assert_eq!(wallet_eur(&t, &bea).await, 7_000);
    for ((seller, shop, _), order) in shops.iter().zip(orders) {
        let total = order["total"]["amount"].as_i64().unwrap();
        assert_eq!(
            shop_eur(&t, seller, shop).await,
            (total, 0),
            "the escrow holds the order's total"
        );
        assert_eq!(status_of(&t, &bea, order["id"].as_str().unwrap()).await, "paid");
    }
    let history = t.get("/api/v1/wallet/history", Some(&bea)).await;
    let items = history.body["items"].as_array().unwrap();
    assert_eq!(items[0]["description"], "Payment for orders", "{}", history.text);
    assert_eq!(items[0]["amount"]["amount"], -3000);
    assert_eq!(items[1]["description"], "Top-up");
    let payment_id = payment["id"].as_str().unwrap();
    let r = t.get(&format!("/api/v1/payments/{payment_id}"), Some(&bea)).await;
    assert_eq!(r.body["status"], "succeeded", "{}", r.text);
    assert_eq!(r.body["purpose"], "order_group");
    ledger(&t).await;
});

db_test!(a_short_wallet_is_a_conflict_and_creates_nothing, |t| {
    let (bea, shops) = two_shops(&t).await;
    let (nora, _, lamp) = &shops[0];
    fund_wallet(&t, &bea, 999).await;
    add(&t, &bea, lamp, 1).await;
    let before = ledger(&t).await["transactions"].as_i64().unwrap();
    let r = pay_with(&t, &bea, "wallet").await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text);
    assert_eq!(r.problem_type(), "/problems/insufficient-funds", "{}", r.text);
    assert_eq!(wallet_eur(&t, &bea).await, 999);
    let mine = t.get("/api/v1/orders", Some(&bea)).await;
    assert!(mine.body["items"].as_array().unwrap().is_empty(), "{}", mine.text);
    assert_eq!(stock_of(&t, nora, lamp).await, 50, "no stock was taken");
    let cart = t.get("/api/v1/cart", Some(&bea)).await;
    assert_eq!(
        cart.body["lines"].as_array().map_or(0, Vec::len),
        1,
        "the cart is kept: {}",
        cart.text
    );
    assert_eq!(ledger(&t).await["transactions"].as_i64().unwrap(), before);
    // An empty wallet too.
    let ida = t.user("ida@example.com").await;
    add(&t, &ida, lamp, 1).await;
    let r = pay_with(&t, &ida, "wallet").await;
    assert_eq!(r.problem_type(), "/problems/insufficient-funds", "{}", r.text);
});

db_test!(
    a_bank_transfer_settles_on_the_exact_amount_and_holds_the_rest_in_suspense,
    |t| {
        let (bea, shops) = two_shops(&t).await;
        let operator = t.login("operator@agora.test").await;
        add(&t, &bea, &shops[0].2, 1).await;
        let r = pay_with(&t, &bea, "bank_transfer").await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        let order = r.body["orders"][0]["id"].as_str().unwrap().to_owned();
        assert_eq!(r.body["orders"][0]["status"], "pending_payment");
        let payment = r.body["payment"].clone();
        assert_eq!(payment["status"], "pending");
        let reference = payment["reference"].as_str().unwrap();
        assert!(reference.starts_with("AG-") && reference.len() == 12, "{reference}");
        let id = payment["id"].as_str().unwrap();
        let shown = t.get(&format!("/api/v1/payments/{id}"), Some(&bea)).await;
        assert_eq!(
            shown.body["bank_details"]["iban"], "DE89 3704 0044 0532 0130 00",
            "{}",
            shown.text
        );
        assert_eq!(shown.body["reference"], reference);

        // 6.00 of 10.00: held, nothing paid.
        let r = confirm_transfer(&t, &operator, id, 600, None).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        assert_eq!(r.body["outcome"], "held_in_suspense", "{}", r.text);
        assert_eq!(r.body["payment"]["status"], "pending");
        assert_eq!(r.body["payment"]["in_suspense"]["amount"], 600);
        assert_eq!(status_of(&t, &bea, &order).await, "pending_payment");
        // The other 4.00: settled with what suspense held.
        let r = confirm_transfer(&t, &operator, id, 400, None).await;
        assert_eq!(r.body["outcome"], "settled", "{}", r.text);
        assert_eq!(r.body["payment"]["status"], "succeeded");
        assert_eq!(r.body["payment"]["in_suspense"]["amount"], 0);
        assert_eq!(status_of(&t, &bea, &order).await, "paid");
        assert_eq!(shop_eur(&t, &shops[0].0, &shops[0].1).await, (1000, 0));
        // A transfer for a payment that no longer waits is held, never lost; the operator gives it to the wallet.
        let r = confirm_transfer(&t, &operator, id, 250, None).await;
        assert_eq!(r.body["outcome"], "held_in_suspense", "{}", r.text);
        let r = t
            .post(
                &format!("/api/v1/payments/{id}/resolve-suspense"),
                Some(&operator),
                json!({"action": "apply"}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CONFLICT, "nothing to apply to: {}", r.text);
        let r = t
            .post(
                &format!("/api/v1/payments/{id}/resolve-suspense"),
                Some(&operator),
                json!({"action": "to_wallet"}),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        assert_eq!(r.body["in_suspense"]["amount"], 0);
        assert_eq!(wallet_eur(&t, &bea).await, 250);

        // Too much at once: held, then applied; the excess goes to the wallet.
        add(&t, &bea, &shops[1].2, 2).await;
        let r = pay_with(&t, &bea, "bank_transfer").await;
        let order = r.body["orders"][0]["id"].as_str().unwrap().to_owned();
        let id = r.body["payment"]["id"].as_str().unwrap().to_owned();
        assert_ne!(
            r.body["payment"]["reference"], reference,
            "every payment has its own reference"
        );
        let r = confirm_transfer(&t, &operator, &id, 2500, None).await;
        assert_eq!(r.body["outcome"], "held_in_suspense", "{}", r.text);
        assert_eq!(status_of(&t, &bea, &order).await, "pending_payment");
        let r = t
            .post(
                &format!("/api/v1/payments/{id}/resolve-suspense"),
                Some(&operator),
                json!({"action": "apply"}),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        assert_eq!(r.body["status"], "succeeded");
        assert_eq!(status_of(&t, &bea, &order).await, "paid");
        assert_eq!(wallet_eur(&t, &bea).await, 250 + 500);
        ledger(&t).await;
    }
);

db_test!(completion_releases_escrow_to_the_seller_less_the_platform_fee, |t| {
    let (bea, shops) = two_shops(&t).await;
    fund_wallet(&t, &bea, 100_000).await;
    let (nora, nora_shop, lamp) = &shops[0];
    // 3 × 10.00 = 30.00: the fee is 5 % = 1.50.
    add(&t, &bea, lamp, 3).await;
    let r = pay_with(&t, &bea, "wallet").await;
    let confirmed = r.body["orders"][0]["id"].as_str().unwrap().to_owned();
    // 7 × 10.00 = 70.00: the fee is 3.50; this one completes by itself.
    add(&t, &bea, lamp, 7).await;
    let r = pay_with(&t, &bea, "wallet").await;
    let silent = r.body["orders"][0]["id"].as_str().unwrap().to_owned();
    assert_eq!(shop_eur(&t, nora, nora_shop).await, (10_000, 0));
    ship(&t, nora, &confirmed).await;
    ship(&t, nora, &silent).await;
    assert_eq!(
        shop_eur(&t, nora, nora_shop).await,
        (10_000, 0),
        "shipping releases nothing"
    );
    let r = post_order(&t, &bea, &confirmed, "confirm-receipt", json!({})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(shop_eur(&t, nora, nora_shop).await, (7_000, 3_000 - 150));
    run_jobs(&t.app, now_ms() + 11 * DAY_MS).await;
    assert_eq!(status_of(&t, &bea, &silent).await, "completed");
    assert_eq!(shop_eur(&t, nora, nora_shop).await, (0, 10_000 - 150 - 350));
    let fees = agora_core::ledger::AccountRef::platform(
        agora_core::ledger::AccountKind::PlatformFees,
        agora_core::money::Currency::EUR,
    );
    let mut conn = t.app.db.conn().await.unwrap();
    assert_eq!(agora_store::ledger::balance(&mut conn, &fees).await.unwrap(), 500);
    drop(conn);
    ledger(&t).await;
});

db_test!(cancelling_a_paid_order_returns_the_escrow_the_way_it_came, |t| {
    let (bea, shops) = two_shops(&t).await;
    let (nora, nora_shop, lamp) = &shops[0];
    fund_wallet(&t, &bea, 5_000).await;
    add(&t, &bea, lamp, 2).await;
    let wallet_paid = pay_with(&t, &bea, "wallet").await.body["orders"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    add(&t, &bea, lamp, 1).await;
    let transfer = pay_with(&t, &bea, "bank_transfer").await.body["orders"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    pay(&t, &transfer).await;
    add(&t, &bea, lamp, 4).await;
    let card = pay_with(&t, &bea, "card").await;
    assert_eq!(card.body["payment"]["status"], "pending");
    let card_payment = card.body["payment"]["id"].as_str().unwrap().to_owned();
    assert_eq!(
        card.body["payment"]["redirect_url"],
        format!("/pay/{card_payment}"),
        "{}",
        card.text
    );
    let card = card.body["orders"][0]["id"].as_str().unwrap().to_owned();
    pay(&t, &card).await;
    assert_eq!(wallet_eur(&t, &bea).await, 3_000);
    assert_eq!(shop_eur(&t, nora, nora_shop).await, (7_000, 0));

    let r = post_order(&t, &bea, &wallet_paid, "cancel", json!({})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(wallet_eur(&t, &bea).await, 5_000, "back in the wallet");
    let r = post_order(
        &t,
        nora,
        &transfer,
        "cancel",
        json!({"reason": "out of stock after all"}),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(
        wallet_eur(&t, &bea).await,
        6_000,
        "a bank transfer comes back to the wallet"
    );
    let r = post_order(&t, &bea, &card, "cancel", json!({})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(
        wallet_eur(&t, &bea).await,
        6_000,
        "a card payment goes back to the card"
    );
    let refunds = jobs_in(&t.app, "queued", "gateway_refund").await;
    assert_eq!(refunds.len(), 1);
    let job: Value = serde_json::from_str(&refunds[0].payload).unwrap();
    assert_eq!(job["payment_id"], card_payment.as_str());
    assert_eq!(job["order_id"], card.as_str());
    assert_eq!(job["amount"]["amount"], 4000);
    assert!(job["refund_id"].as_str().unwrap().starts_with("rfd_"));
    assert_eq!(shop_eur(&t, nora, nora_shop).await, (0, 0));
    // A shipped order is not cancelled: its escrow stays.
    add(&t, &bea, lamp, 1).await;
    let shipped = pay_with(&t, &bea, "wallet").await.body["orders"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    ship(&t, nora, &shipped).await;
    let r = post_order(&t, &bea, &shipped, "cancel", json!({})).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text);
    assert_eq!(shop_eur(&t, nora, nora_shop).await, (1_000, 0));
    ledger(&t).await;
});

db_test!(
    the_gateway_settles_a_card_payment_once_and_a_failure_leaves_the_orders_waiting,
    |t| {
        let (bea, shops) = two_shops(&t).await;
        add(&t, &bea, &shops[0].2, 1).await;
        let r = pay_with(&t, &bea, "card").await;
        let order = r.body["orders"][0]["id"].as_str().unwrap().to_owned();
        let id = r.body["payment"]["id"].as_str().unwrap().to_owned();
        let failed = payments::settle(
            &t.app,
            &id,
            Outcome::Failed {
                reason: "declined".into(),
            },
        )
        .await
        .unwrap();
        assert!(
            matches!(failed, Settled::Now(ref v) if v.summary.status.as_str() == "failed"),
            "{failed:?}"
        );
        assert_eq!(status_of(&t, &bea, &order).await, "pending_payment");
        let again = payments::settle(
            &t.app,
            &id,
            Outcome::Succeeded {
                provider_ref: "x".into(),
                card_brand: None,
                last4: None,
                card_token: None,
            },
        )
        .await
        .unwrap();
        assert!(
            matches!(again, Settled::Already(_)),
            "a late success after a failure changes nothing"
        );
        assert_eq!(status_of(&t, &bea, &order).await, "pending_payment");

        add(&t, &bea, &shops[1].2, 2).await;
        let r = pay_with(&t, &bea, "card").await;
        let order = r.body["orders"][0]["id"].as_str().unwrap().to_owned();
        let id = r.body["payment"]["id"].as_str().unwrap().to_owned();
        let ok = || Outcome::Succeeded {
            provider_ref: "sbx_1".into(),
            card_brand: Some("visa".into()),
            last4: Some("4242".into()),
            card_token: None,
        };
        let runs = futures::future::join_all((0..5).map(|_| payments::settle(&t.app, &id, ok()))).await;
        let now = runs.iter().filter(|r| matches!(r, Ok(Settled::Now(_)))).count();
        let already = runs.iter().filter(|r| matches!(r, Ok(Settled::Already(_)))).count();
        assert_eq!((now, already), (1, 4), "{runs:?}");
        assert_eq!(status_of(&t, &bea, &order).await, "paid");
        let shown = t.get(&format!("/api/v1/payments/{id}"), Some(&bea)).await;
        assert_eq!(
            (shown.body["card_brand"].as_str(), shown.body["last4"].as_str()),
            (Some("visa"), Some("4242"))
        );
        assert_eq!(shop_eur(&t, &shops[1].0, &shops[1].1).await, (2_000, 0));
        ledger(&t).await;
    }
);

db_test!(a_transfer_confirmed_five_times_at_once_with_one_key_counts_once, |t| {
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
    let replies = futures::future::join_all(
        (0..5).map(|_| confirm_transfer(&t, &operator, &id, 5000, Some("statement-line-17"))),
    )
    .await;
    for r in &replies {
        assert!(
            r.status == StatusCode::OK || r.problem_type() == "/problems/in-progress",
            "{} {}",
            r.status,
            r.text
        );
    }
    assert!(replies.iter().any(|r| r.status == StatusCode::OK));
    assert!(
        replies
            .iter()
            .filter(|r| r.status == StatusCode::OK)
            .all(|r| r.body["outcome"] == "settled"),
        "every answer is the first one's"
    );
    assert_eq!(wallet_eur(&t, &bea).await, 5000, "the money arrived once");
    // The same key with another amount is refused; a new key is a new transfer (held: the payment is done).
    let r = confirm_transfer(&t, &operator, &id, 4000, Some("statement-line-17")).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    let r = confirm_transfer(&t, &operator, &id, 5000, Some("statement-line-18")).await;
    assert_eq!(r.body["outcome"], "held_in_suspense", "{}", r.text);
    assert_eq!(wallet_eur(&t, &bea).await, 5000);
    ledger(&t).await;
});
