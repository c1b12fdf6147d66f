//! Payouts and commission: a shop registers its bank account and asks for its money; 20 requests
//! at once never overdraw; operators mark payouts sent or failed; commission rates per shop and
//! category; cash on delivery's commission netted from the next payout; the settlement report
//! reconciles; and nobody handles another shop's money.

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::hostile::{marketplace, seller_with_shop};
use crate::orders::{add, address, checkout, eur, tax_rates, variant};
use crate::payments::pay;
use crate::support::{db_test, Reply, TestApp};

pub(crate) const IBAN: &str = "DE89 3704 0044 0532 0130 00";

/// Sets the shop's commission rate as the operator.
pub(crate) async fn shop_rate(t: &TestApp, shop: &str, bp: i64) {
    let operator = t.login("operator@agora.test").await;
    let r = t
        .call(
            Method::PUT,
            &format!("/api/v1/admin/commission-rates/shops/{shop}"),
            Some(&operator),
            Some(json!({"rate_bp": bp})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
}

/// A buyer orders `quantity` of `variant`, paid by `method`; returns the order's id.
pub(crate) async fn order(t: &TestApp, buyer: &str, variant: &str, quantity: i64, method: &str) -> String {
    add(t, buyer, variant, quantity).await;
    let r = checkout(
        t,
        buyer,
        json!({"shipping_address": address("DE"), "payment_method": method}),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let id = r.body["orders"][0]["id"].as_str().unwrap().to_owned();
    if method == "card" || method == "bank_transfer" {
        pay(t, &id).await;
    }
    id
}

pub(crate) async fn ship(t: &TestApp, seller: &str, order: &str) {
    let r = t
        .post(
            &format!("/api/v1/orders/{order}/ship"),
            Some(seller),
            json!({"carrier": "DHL", "tracking_number": "123"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
}

/// A card-paid order, shipped and confirmed: its money released to the shop.
pub(crate) async fn completed(t: &TestApp, buyer: &str, seller: &str, variant: &str, quantity: i64) -> String {
    let id = order(t, buyer, variant, quantity, "card").await;
    ship(t, seller, &id).await;
    let r = t
        .post(&format!("/api/v1/orders/{id}/confirm-receipt"), Some(buyer), json!({}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    id
}

pub(crate) async fn register_account(t: &TestApp, token: &str, shop: &str) -> Reply {
    t.call(
        Method::PUT,
        &format!("/api/v1/shops/{shop}/payout-account"),
        Some(token),
        Some(json!({"holder": "Nora Nordlicht", "iban": IBAN, "bic": "COBADEFFXXX"})),
    )
    .await
}

pub(crate) async fn request(t: &TestApp, token: &str, shop: &str, cents: i64) -> Reply {
    t.post(
        &format!("/api/v1/shops/{shop}/payouts"),
        Some(token),
        json!({"amount": eur(cents)}),
    )
    .await
}

/// Posts a JSON text as it is (numbers beyond 64 bits).
pub(crate) async fn raw_post(t: &TestApp, token: &str, path: &str, body: &str) -> Reply {
    let res = t
        .client
        .post(t.url(path))
        .bearer_auth(token)
        .header("content-type", "application/json")
        .body(body.to_owned())
        .send()
        .await
        .unwrap();
    crate::support::read(res).await
}

/// `(available, owed, in transit)` of the shop in EUR, from the ledger.
pub(crate) async fn money(t: &TestApp, shop: &str) -> (i64, i64, i64) {
    let mut conn = t.app.db.conn().await.unwrap();
    let eur = agora_core::money::Currency::parse("EUR").unwrap();
    let get = |kind| agora_core::ledger::AccountRef::new(kind, shop, eur);
    use agora_core::ledger::AccountKind as K;
    let a = agora_store::ledger::balance(&mut conn, &get(K::SellerAvailable))
        .await
        .unwrap();
    let c = agora_store::ledger::balance(&mut conn, &get(K::CodReceivable))
        .await
        .unwrap();
    let p = agora_store::ledger::balance(&mut conn, &get(K::PayoutsInTransit))
        .await
        .unwrap();
    (a, -c, p)
}

/// A marketplace with one shop at 0 % commission whose available balance is `cents`.
async fn shop_with_balance(t: &TestApp, cents: i64) -> (String, String, String) {
    marketplace(t).await;
    tax_rates(t).await;
    let (seller, shop) = seller_with_shop(t, "nora@example.com", "Nordlicht").await;
    shop_rate(t, &shop, 0).await;
    let v = variant(t, &seller, &shop, "LAMP", cents, 5).await;
    let buyer = t.user("buyer@example.com").await;
    completed(t, &buyer, &seller, &v, 1).await;
    assert_eq!(money(t, &shop).await, (cents, 0, 0));
    (seller, shop, buyer)
}

db_test!(a_shop_registers_an_account_and_is_paid_out, |t| {
    let (seller, shop, _buyer) = shop_with_balance(&t, 5000).await;
    let r = request(&t, &seller, &shop, 1000).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text);
    assert_eq!(r.problem_type(), "/problems/no-payout-account");

    let bad = t
        .call(
            Method::PUT,
            &format!("/api/v1/shops/{shop}/payout-account"),
            Some(&seller),
            Some(json!({"holder": "Nora", "iban": "DE88 3704 0044 0532 0130 00"})),
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.text);
    assert_eq!(bad.body["errors"][0]["field"], "iban");
    let r = register_account(&t, &seller, &shop).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["iban"], "DE89370400440532013000");

    for (cents, status) in [
        (0, 422),
        (-5, 422),
        (999, 422),
        (5001, 409),
        (1_000_000_000_000_000_000, 422),
    ] {
        let r = request(&t, &seller, &shop, cents).await;
        assert_eq!(r.status.as_u16(), status, "{cents}: {}", r.text);
    }
    let r = t
        .post(
            &format!("/api/v1/shops/{shop}/payouts"),
            Some(&seller),
            json!({"amount": {"amount": 1000, "currency": "USD"}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "no USD to pay out: {}", r.text);
    let r = raw_post(
        &t,
        &seller,
        &format!("/api/v1/shops/{shop}/payouts"),
        r#"{"amount": {"amount": 99999999999999999999999, "currency": "EUR"}}"#,
    )
    .await;
    assert!(r.status.is_client_error(), "{}", r.text);
    assert_eq!(money(&t, &shop).await, (5000, 0, 0), "nothing moved");

    let r = t
        .call(
            Method::POST,
            &format!("/api/v1/shops/{shop}/payouts"),
            Some(&seller),
            Some(json!({"amount": eur(3000)})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(r.body["status"], "requested");
    let payout = r.body["id"].as_str().unwrap().to_owned();
    assert_eq!(money(&t, &shop).await, (2000, 0, 3000));

    // The operator's queue, then sent.
    let operator = t.login("operator@agora.test").await;
    assert_eq!(
        t.get("/api/v1/admin/payouts", Some(&seller)).await.status,
        StatusCode::FORBIDDEN
    );
    let q = t.get("/api/v1/admin/payouts", Some(&operator)).await;
    assert_eq!(q.body["items"][0]["id"], payout.as_str(), "{}", q.text);
    let r = t
        .post(
            &format!("/api/v1/admin/payouts/{payout}/mark-sent"),
            Some(&operator),
            json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["status"], "sent");
    assert_eq!(money(&t, &shop).await, (2000, 0, 0));
    let again = t
        .post(
            &format!("/api/v1/admin/payouts/{payout}/mark-failed"),
            Some(&operator),
            json!({"reason": "x"}),
        )
        .await;
    assert_eq!(again.status, StatusCode::CONFLICT, "{}", again.text);

    // A failed payout gives the money back.
    let r = request(&t, &seller, &shop, 2000).await;
    let second = r.body["id"].as_str().unwrap().to_owned();
    assert_eq!(money(&t, &shop).await, (0, 0, 2000));
    let r = t
        .post(
            &format!("/api/v1/admin/payouts/{second}/mark-failed"),
            Some(&operator),
            json!({"reason": "The bank refused the account"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["status"], "failed");
    assert_eq!(money(&t, &shop).await, (2000, 0, 0));
    let list = t.get(&format!("/api/v1/shops/{shop}/payouts"), Some(&seller)).await;
    assert_eq!(list.body["items"].as_array().unwrap().len(), 2, "{}", list.text);
});

db_test!(twenty_concurrent_payouts_against_ten_pay_out_exactly_ten, |t| {
    let (seller, shop, _buyer) = shop_with_balance(&t, 10_000).await;
    assert_eq!(register_account(&t, &seller, &shop).await.status, StatusCode::OK);
    let tries = (0..20).map(|_| request(&t, &seller, &shop, 1000));
    let replies = futures::future::join_all(tries).await;
    let created = replies.iter().filter(|r| r.status == StatusCode::CREATED).count();
    let refused = replies
        .iter()
        .filter(|r| r.status == StatusCode::CONFLICT && r.problem_type() == "/problems/insufficient-funds")
        .count();
    assert_eq!(
        (created, refused),
        (10, 10),
        "{:?}",
        replies.iter().map(|r| &r.text).collect::<Vec<_>>()
    );
    assert_eq!(money(&t, &shop).await, (0, 0, 10_000));
});

db_test!(a_retried_payout_pays_once, |t| {
    let (seller, shop, _buyer) = shop_with_balance(&t, 5000).await;
    assert_eq!(register_account(&t, &seller, &shop).await.status, StatusCode::OK);
    let send = || {
        t.client
            .post(t.url(&format!("/api/v1/shops/{shop}/payouts")))
            .bearer_auth(&seller)
            .header("Idempotency-Key", "payout-1")
            .json(&json!({"amount": eur(2000)}))
            .send()
    };
    let first = crate::support::read(send().await.unwrap()).await;
    let second = crate::support::read(send().await.unwrap()).await;
    assert_eq!(first.status, StatusCode::CREATED, "{}", first.text);
    assert_eq!(second.status, StatusCode::CREATED, "{}", second.text);
    assert_eq!(first.body["id"], second.body["id"]);
    assert_eq!(money(&t, &shop).await, (3000, 0, 2000));
});

db_test!(only_those_who_handle_the_shops_money_move_it, |t| {
    let (seller, shop, buyer) = shop_with_balance(&t, 5000).await;
    let (other, _other_shop) = seller_with_shop(&t, "hans@example.com", "Hanse").await;
    for token in [&other, &buyer] {
        assert_eq!(register_account(&t, token, &shop).await.status, StatusCode::NOT_FOUND);
        assert_eq!(request(&t, token, &shop, 1000).await.status, StatusCode::NOT_FOUND);
        let r = t.get(&format!("/api/v1/shops/{shop}/payouts"), Some(token)).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND);
        let r = t
            .get(
                &format!("/api/v1/shops/{shop}/settlement?from=2026-01-01&to=2026-12-31"),
                Some(token),
            )
            .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND);
    }
    assert_eq!(register_account(&t, &seller, &shop).await.status, StatusCode::OK);
    assert_eq!(money(&t, &shop).await, (5000, 0, 0));
});

db_test!(company_shop_money_follows_the_current_role, |t| {
    marketplace(&t).await;
    tax_rates(&t).await;
    let operator = t.login("operator@agora.test").await;
    let (admin, company) = t.company_admin("boss@acme.test", "Acme").await;
    let shop = t
        .approved_company_shop(&operator, &admin, "Acme Audio", "Acme Ltd")
        .await;
    shop_rate(&t, &shop, 0).await;
    let v = variant(&t, &admin, &shop, "AMP", 5000, 5).await;
    let buyer = t.user("buyer@example.com").await;
    completed(&t, &buyer, &admin, &v, 1).await;

    // A finance member asks for payouts; sales staff and purchasers do not; nobody once removed.
    let mut members = Vec::new();
    for (email, role) in [("fin@acme.test", "finance"), ("sal@acme.test", "sales")] {
        let token = t.user(email).await;
        crate::companies::join(&t, &admin, &company, email, role, &token).await;
        let me = t.get("/api/v1/me", Some(&token)).await;
        members.push((token, me.body["id"].as_str().unwrap().to_owned()));
    }
    let (finance, finance_id) = &members[0];
    let (sales, _) = &members[1];
    assert_eq!(
        register_account(&t, finance, &shop).await.status,
        StatusCode::FORBIDDEN,
        "finance does not set the account"
    );
    assert_eq!(register_account(&t, &admin, &shop).await.status, StatusCode::OK);
    assert_eq!(request(&t, sales, &shop, 1000).await.status, StatusCode::FORBIDDEN);
    assert_eq!(request(&t, finance, &shop, 1000).await.status, StatusCode::CREATED);

    // Demoted to purchaser: no more.
    let r = t
        .call(
            Method::PATCH,
            &format!("/api/v1/companies/{company}/members/{finance_id}"),
            Some(&admin),
            Some(json!({"role": "purchaser"})),
        )
        .await;
    assert!(r.status.is_success(), "{}", r.text);
    assert_eq!(request(&t, finance, &shop, 1000).await.status, StatusCode::NOT_FOUND);
    // Removed: no more either.
    let r = t
        .call(
            Method::DELETE,
            &format!("/api/v1/companies/{company}/members/{finance_id}"),
            Some(&admin),
            None,
        )
        .await;
    assert!(r.status.is_success(), "{}", r.text);
    assert_eq!(request(&t, finance, &shop, 1000).await.status, StatusCode::NOT_FOUND);
    assert_eq!(money(&t, &shop).await, (4000, 0, 1000));
});

db_test!(commission_follows_shop_then_category_then_default, |t| {
    marketplace(&t).await;
    tax_rates(&t).await;
    let operator = t.login("operator@agora.test").await;
    t.category(&operator, "speakers", false).await;
    let (seller, shop) = seller_with_shop(&t, "nora@example.com", "Nordlicht").await;
    let lamp = variant(&t, &seller, &shop, "LAMP", 1010, 50).await;
    let buyer = t.user("buyer@example.com").await;

    // The default, 5 %: 10.10 → 0.505 → 0.51 (half up).
    completed(&t, &buyer, &seller, &lamp, 1).await;
    assert_eq!(money(&t, &shop).await.0, 1010 - 51);

    // The category's rate, 10 %: 1.01.
    let r = t
        .call(
            Method::PUT,
            "/api/v1/admin/commission-rates/categories/audio",
            Some(&operator),
            Some(json!({"rate_bp": 1000})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    completed(&t, &buyer, &seller, &lamp, 1).await;
    assert_eq!(money(&t, &shop).await.0, 959 + 1010 - 101);

    // The shop's own, 2.5 %: 0.2525 → 0.25; it overrides the category.
    shop_rate(&t, &shop, 250).await;
    completed(&t, &buyer, &seller, &lamp, 1).await;
    assert_eq!(money(&t, &shop).await.0, 959 + 909 + 1010 - 25);

    // Bad rates and strangers.
    for bp in [-1, 10_001] {
        let r = t
            .call(
                Method::PUT,
                &format!("/api/v1/admin/commission-rates/shops/{shop}"),
                Some(&operator),
                Some(json!({"rate_bp": bp})),
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    }
    let r = t
        .call(
            Method::PUT,
            "/api/v1/admin/commission-rates/categories/nothing",
            Some(&operator),
            Some(json!({"rate_bp": 1})),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = t
        .call(
            Method::PUT,
            &format!("/api/v1/admin/commission-rates/shops/{shop}"),
            Some(&seller),
            Some(json!({"rate_bp": 0})),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let rates = t.get("/api/v1/admin/commission-rates", Some(&operator)).await;
    assert_eq!(rates.body["default_bp"], 500);
    assert_eq!(rates.body["categories"][0]["rate_bp"], 1000);
    assert_eq!(rates.body["shops"][0]["rate_bp"], 250);
    let r = t
        .call(
            Method::DELETE,
            &format!("/api/v1/admin/commission-rates/shops/{shop}"),
            Some(&operator),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
});

/// A cash-on-delivery order of `variant`, shipped and its cash collected; returns its id.
pub(crate) async fn cod_collected(t: &TestApp, buyer: &str, seller: &str, variant: &str) -> String {
    let id = order(t, buyer, variant, 1, "cod").await;
    ship(t, seller, &id).await;
    let r = t
        .post(&format!("/api/v1/orders/{id}/collect-cash"), Some(buyer), json!({}))
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "the buyer does not: {}", r.text);
    let r = t
        .post(&format!("/api/v1/orders/{id}/collect-cash"), Some(seller), json!({}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["status"], "completed");
    id
}

db_test!(cash_on_delivery_commission_is_netted_from_the_next_payout, |t| {
    marketplace(&t).await;
    tax_rates(&t).await;
    let (seller, shop) = seller_with_shop(&t, "nora@example.com", "Nordlicht").await;
    let radio = variant(&t, &seller, &shop, "RADIO", 4000, 5).await;
    let buyer = t.user("buyer@example.com").await;
    let cod = cod_collected(&t, &buyer, &seller, &radio).await;
    let again = t
        .post(&format!("/api/v1/orders/{cod}/collect-cash"), Some(&seller), json!({}))
        .await;
    assert_eq!(again.status, StatusCode::CONFLICT, "{}", again.text);
    // 5 % of 40.00 is owed; nothing is available.
    assert_eq!(money(&t, &shop).await, (0, 200, 0));
    assert_eq!(balance_json(&t, &seller, &shop).await, (json!(eur(0)), json!(eur(200))));
    assert_eq!(register_account(&t, &seller, &shop).await.status, StatusCode::OK);
    assert_eq!(request(&t, &seller, &shop, 1000).await.status, StatusCode::CONFLICT);

    // A card order of 40.00 releases 38.00; 36.00 may be paid out; the payout settles the 2.00.
    completed(&t, &buyer, &seller, &radio, 1).await;
    assert_eq!(money(&t, &shop).await, (3800, 200, 0));
    let r = request(&t, &seller, &shop, 3601).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text);
    let r = request(&t, &seller, &shop, 3600).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(r.body["owed_settled"], eur(200));
    assert_eq!(money(&t, &shop).await, (0, 0, 3600));
    // The shop's balance says so too: nothing available, nothing owed any more.
    assert_eq!(balance_json(&t, &seller, &shop).await, (json!(eur(0)), json!(eur(0))));
});

/// `(available, owed)` of the shop's EUR balance, as `GET /shops/{id}/balance` shows them.
async fn balance_json(t: &TestApp, token: &str, shop: &str) -> (Value, Value) {
    let r = t.get(&format!("/api/v1/shops/{shop}/balance"), Some(token)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let b = r.body["balances"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["currency"] == "EUR")
        .cloned()
        .unwrap_or_else(|| panic!("an EUR balance: {}", r.text));
    (b["available"].clone(), b["owed"].clone())
}

/// Parses the settlement CSV into `item → amount in minor units`.
fn figures(csv: &str) -> std::collections::HashMap<String, String> {
    csv.lines()
        .skip(1)
        .filter_map(|l| {
            let mut parts = l.split(',');
            Some((parts.next()?.to_owned(), parts.next()?.to_owned()))
        })
        .collect()
}

fn cents(v: &str) -> i64 {
    let d: f64 = v.parse().unwrap();
    (d * 100.0).round() as i64
}

db_test!(the_settlement_reconciles_sales_refunds_fees_payouts_and_balance, |t| {
    marketplace(&t).await;
    tax_rates(&t).await;
    let (seller, shop) = seller_with_shop(&t, "nora@example.com", "Nordlicht").await;
    let radio = variant(&t, &seller, &shop, "RADIO", 4000, 50).await;
    let buyer = t.user("buyer@example.com").await;
    assert_eq!(register_account(&t, &seller, &shop).await.status, StatusCode::OK);
    let before = agora_store::now_ms();
    // Two released orders (80.00, fees 4.00), a partial refund of one (10.00, 0.50 fee back),
    // a cash-on-delivery order (40.00, 2.00 owed), a payout of 50.00 (settling 2.00), a failed one.
    let first = completed(&t, &buyer, &seller, &radio, 1).await;
    completed(&t, &buyer, &seller, &radio, 1).await;
    let r = t
        .post(
            &format!("/api/v1/orders/{first}/refunds"),
            Some(&seller),
            json!({"amount": eur(1000), "reason": "scratched"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    cod_collected(&t, &buyer, &seller, &radio).await;
    assert_eq!(request(&t, &seller, &shop, 5000).await.status, StatusCode::CREATED);
    let failed = request(&t, &seller, &shop, 1000).await;
    let operator = t.login("operator@agora.test").await;
    let id = failed.body["id"].as_str().unwrap();
    let r = t
        .post(
            &format!("/api/v1/admin/payouts/{id}/mark-failed"),
            Some(&operator),
            json!({"reason": "closed"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let after = agora_store::now_ms() + 1;

    let from = agora_app::rfc3339(before - 1000);
    let to = agora_app::rfc3339(after + 1000);
    let r = t
        .get(
            &format!("/api/v1/shops/{shop}/settlement?from={from}&to={to}"),
            Some(&seller),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert!(r.content_type().starts_with("text/csv"), "{}", r.content_type());
    let f = figures(&r.text);
    assert_eq!(cents(&f["sales"]), 8000 + 4000, "{}", r.text);
    assert_eq!(cents(&f["refunds"]), 1000, "{}", r.text);
    assert_eq!(cents(&f["fees"]), 400 - 50 + 200, "{}", r.text);
    assert_eq!(
        cents(&f["payouts"]),
        5000 + 4000,
        "bank payouts and the cash kept: {}",
        r.text
    );
    let change = cents(&f["closing_balance"]) - cents(&f["opening_balance"]);
    assert_eq!(change, 8000 - 400 - 950 - 5200, "{}", r.text);
    assert_eq!(
        cents(&f["sales"]) - cents(&f["refunds"]) - cents(&f["fees"]) + cents(&f["other"]),
        cents(&f["payouts"]) + change,
        "{}",
        r.text
    );
    assert_eq!(f["reconciles"], "true");
    let (available, owed, _) = money(&t, &shop).await;
    assert_eq!((available, owed), (8000 - 400 - 950 - 5200, 0));
});

db_test!(
    the_finance_pages_show_the_balance_take_an_account_and_a_payout_and_let_the_operator_send_it,
    |t| {
        use crate::page_session;
        let (seller, shop, buyer) = shop_with_balance(&t, 5000).await;
        let r = page_session::get(&t, &format!("/sell/shops/{shop}/finance"), &seller).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        assert!(
            r.text.contains("50 EUR") || r.text.contains("50.00 EUR"),
            "the balance: {}",
            r.text
        );
        assert!(r.text.contains("Order completed"), "the movement in words");
        let r = page_session::get(&t, &format!("/sell/shops/{shop}/finance"), &buyer).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND);

        let path = format!("/sell/shops/{shop}/payout-account");
        let r = page_session::post(
            &t,
            &path,
            &seller,
            &[("holder", "Nora"), ("iban", "DE00 1234"), ("bic", "")],
        )
        .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
        assert!(r.text.contains("iban-error"), "the IBAN's error is shown");
        let r = page_session::post(
            &t,
            &path,
            &seller,
            &[("holder", "Nora Nordlicht"), ("iban", IBAN), ("bic", "")],
        )
        .await;
        assert!(r.status.is_redirection() || r.status == StatusCode::OK, "{}", r.text);

        let path = format!("/sell/shops/{shop}/payouts");
        let r = page_session::post(&t, &path, &seller, &[("amount", "80.00"), ("currency", "EUR")]).await;
        assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text);
        assert!(r.text.contains("at most 50"), "{}", r.text);
        let r = page_session::post(&t, &path, &seller, &[("amount", "20.00"), ("currency", "EUR")]).await;
        assert!(r.status.is_redirection(), "{}", r.text);
        assert_eq!(money(&t, &shop).await, (3000, 0, 2000));

        let operator = t.login("operator@agora.test").await;
        let r = page_session::get(&t, "/admin/payouts", &operator).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        assert!(r.text.contains("Nordlicht"), "{}", r.text);
        assert_eq!(
            page_session::get(&t, "/admin/payouts", &seller).await.status,
            StatusCode::FORBIDDEN
        );
        let list = t.get(&format!("/api/v1/shops/{shop}/payouts"), Some(&seller)).await;
        let id = list.body["items"][0]["id"].as_str().unwrap().to_owned();
        let r = page_session::post(&t, &format!("/admin/payouts/{id}/sent"), &operator, &[]).await;
        assert!(r.status.is_redirection(), "{}", r.text);
        assert_eq!(money(&t, &shop).await, (3000, 0, 0));
        let r = page_session::get(&t, &format!("/sell/shops/{shop}/finance"), &seller).await;
        assert!(r.text.contains("Sent to the bank"), "{}", r.text);
        let r = page_session::get(
            &t,
            &format!("/sell/shops/{shop}/settlement?from=2000-01-01&to=2100-01-01"),
            &seller,
        )
        .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        assert!(r.text.contains("reconciles,true"), "{}", r.text);

        let r = page_session::get(&t, "/admin/commission", &operator).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        let r = page_session::post(
            &t,
            "/admin/commission",
            &operator,
            &[("scope", "category"), ("target", "audio"), ("percent", "7.5")],
        )
        .await;
        assert!(r.status.is_redirection(), "{}", r.text);
        let rates = t.get("/api/v1/admin/commission-rates", Some(&operator)).await;
        assert_eq!(rates.body["categories"][0]["rate_bp"], 750, "{}", rates.text);
    }
);

db_test!(the_order_page_records_cash_and_refunds, |t| {
    use crate::page_session;
    marketplace(&t).await;
    tax_rates(&t).await;
    let (seller, shop) = seller_with_shop(&t, "nora@example.com", "Nordlicht").await;
    let radio = variant(&t, &seller, &shop, "RADIO", 4000, 5).await;
    let buyer = t.user("buyer@example.com").await;
    let id = order(&t, &buyer, &radio, 1, "cod").await;
    ship(&t, &seller, &id).await;
    let page = page_session::get(&t, &format!("/orders/{id}"), &seller).await;
    assert!(page.text.contains("Cash collected"), "{}", page.text);
    let r = page_session::post(&t, &format!("/orders/{id}/collect-cash"), &seller, &[]).await;
    assert!(r.status.is_redirection(), "{}", r.text);
    assert_eq!(money(&t, &shop).await, (0, 200, 0));
    // A refund of a cash order comes from the shop's balance: it has none yet.
    let r = page_session::post(
        &t,
        &format!("/orders/{id}/refund"),
        &seller,
        &[("amount", "10.00"), ("reason", "dent")],
    )
    .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text);
    completed(&t, &buyer, &seller, &radio, 1).await;
    let r = page_session::post(
        &t,
        &format!("/orders/{id}/refund"),
        &seller,
        &[("amount", "10.00"), ("reason", "dent"), ("restock", "1")],
    )
    .await;
    assert!(r.status.is_redirection(), "{}", r.text);
    // 10.00 back to the buyer's wallet; 0.50 of the commission back to the shop.
    assert_eq!(money(&t, &shop).await, (3800 - 950, 200, 0));
    let r = t.get(&format!("/api/v1/orders/{id}"), Some(&buyer)).await;
    assert_eq!(r.body["status"], "partially_refunded");
});
