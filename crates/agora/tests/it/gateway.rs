//! Card payments through the sandbox gateway, driven over HTTP as a buyer would: checkout sends
//! the buyer to `/pay/{id}`, which sends them to the sandbox's hosted page; the card is entered
//! there (and only there), approved or declined; the sandbox's callback job settles the payment;
//! the return page shows the outcome. Also card top-ups and card refunds after a cancellation.

use std::time::Duration;

use agora_app::job_runner::{Worker, WorkerSettings};
use agora_app::{job_handlers, App};
use agora_core::ledger::{AccountKind, AccountRef};
use agora_core::money::Currency;
use agora_store::now_ms;
use reqwest::StatusCode;
use serde_json::{json, Value};
use sqlx::Row;

use crate::hostile::{marketplace, seller_with_shop};
use crate::orders::{add, address, checkout, tax_rates, variant};
use crate::page_session;
use crate::support::{db_test, read, Reply, TestApp};

pub(crate) const TEST_CARD: &str = "4242 4242 4242 4242";

/// Runs every job due now, and those they add; returns how many ran.
pub(crate) async fn run_jobs(app: &App) -> usize {
    let settings = WorkerSettings {
        poll: Duration::from_millis(50),
        concurrency: 4,
        lease: Duration::from_secs(30),
        drain: Duration::from_secs(5),
        housekeeping: Duration::from_secs(60),
    };
    let worker = Worker::new(app.clone(), job_handlers::standard(), settings);
    let mut total = 0;
    loop {
        let n = worker.run_due(now_ms()).await.expect("the jobs run");
        if n == 0 {
            return total;
        }
        total += n;
    }
}

/// Two shops (a lamp at 10.00 and a chair at 25.00) and a buyer: `(buyer, lamp, chair, seller)`.
pub(crate) async fn setup(t: &TestApp) -> (String, String, String, String) {
    marketplace(t).await;
    tax_rates(t).await;
    let (seller, shop) = seller_with_shop(t, "lamps@example.com", "Lamp Shop").await;
    let lamp = variant(t, &seller, &shop, "LAMP", 1000, 5).await;
    let (seller2, shop2) = seller_with_shop(t, "chairs@example.com", "Chair Shop").await;
    let chair = variant(t, &seller2, &shop2, "CHAIR", 2500, 5).await;
    let buyer = t.user("buyer@example.com").await;
    (buyer, lamp, chair, seller)
}

/// Checks out the buyer's cart by card; returns the checkout's answer.
pub(crate) async fn card_checkout(t: &TestApp, buyer: &str) -> Value {
    let r = checkout(
        t,
        buyer,
        json!({"shipping_address": address("DE"), "payment_method": "card"}),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(r.body["payment"]["status"], "pending");
    r.body
}

fn location(r: &Reply) -> String {
    assert!(r.status.is_redirection(), "{} {}", r.status, r.text);
    r.headers["location"].to_str().unwrap().to_owned()
}

/// Follows `/pay/{id}` as the payer; returns the sandbox page's path.
pub(crate) async fn hosted_page(t: &TestApp, payer: &str, payment: &str) -> String {
    let r = page_session::get(t, &format!("/pay/{payment}"), payer).await;
    let page = location(&r);
    assert!(page.starts_with("/sandbox-gateway/pay/"), "{page}");
    page
}

/// Submits the sandbox's page as the card holder (no Agora session: it is another site).
pub(crate) async fn on_sandbox(t: &TestApp, page: &str, fields: &[(&str, &str)]) -> Reply {
    read(t.client.post(t.url(page)).form(fields).send().await.unwrap()).await
}

pub(crate) async fn approve(t: &TestApp, page: &str) -> String {
    let r = on_sandbox(
        t,
        page,
        &[
            ("action", "approve"),
            ("holder", "Bea Buyer"),
            ("card_number", TEST_CARD),
            ("expiry", "12/39"),
            ("cvc", "123"),
        ],
    )
    .await;
    location(&r)
}

pub(crate) async fn decline(t: &TestApp, page: &str) -> String {
    location(&on_sandbox(t, page, &[("action", "decline")]).await)
}

pub(crate) async fn balance(app: &App, kind: AccountKind, owner: &str) -> i64 {
    let mut conn = app.db.conn().await.unwrap();
    let account = AccountRef::new(kind, owner, Currency::parse("EUR").unwrap());
    agora_store::ledger::balance(&mut conn, &account).await.unwrap()
}

pub(crate) async fn count(app: &App, sql: &str, bind: &str) -> i64 {
    let mut conn = app.db.conn().await.unwrap();
    sqlx::query(sql)
        .bind(bind)
        .fetch_one(&mut *conn)
        .await
        .unwrap()
        .get::<i64, _>(0)
}

async fn payment(t: &TestApp, token: &str, id: &str) -> Value {
    let r = t.get(&format!("/api/v1/payments/{id}"), Some(token)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    r.body
}

async fn order_status(t: &TestApp, token: &str, id: &str) -> String {
    let r = t.get(&format!("/api/v1/orders/{id}"), Some(token)).await;
    r.body["status"].as_str().unwrap().to_owned()
}

db_test!(
    a_card_checkout_is_approved_on_the_sandbox_page_and_held_in_escrow,
    |t| {
        // The sandbox posts its callback to this server over HTTP, as `agora serve` has it do.
        t.app.own_address.set(t.base.clone()).unwrap();
        let (buyer, lamp, chair, _) = setup(&t).await;
        add(&t, &buyer, &lamp, 1).await;
        add(&t, &buyer, &chair, 2).await;
        let placed = card_checkout(&t, &buyer).await;
        let pay_id = placed["payment"]["id"].as_str().unwrap().to_owned();
        assert_eq!(placed["payment"]["redirect_url"], format!("/pay/{pay_id}"));

        // Nobody else is sent to the buyer's payment page.
        let other = t.user("other@example.com").await;
        assert_eq!(
            page_session::get(&t, &format!("/pay/{pay_id}"), &other).await.status,
            StatusCode::NOT_FOUND
        );

        let page = hosted_page(&t, &buyer, &pay_id).await;
        // Asking again finds the same hosted page (one per payment, by the provider idempotency key).
        assert_eq!(hosted_page(&t, &buyer, &pay_id).await, page);
        let shown = t.get(&page, None).await;
        assert_eq!(shown.status, StatusCode::OK);
        let total = placed["payment"]["amount"]["amount"].as_i64().unwrap();
        assert!(shown.text.contains("Agora Marketplace"), "the page names the merchant");
        assert!(
            shown.text.contains(&format!("{},{:02}", total / 100, total % 100))
                || shown.text.contains(&format!("{}.{:02}", total / 100, total % 100)),
            "the page shows the amount: {}",
            shown.text
        );

        let back = approve(&t, &page).await;
        assert_eq!(back, format!("/pay/{pay_id}/return"));
        // Until the callback arrives the return page waits (and refreshes itself).
        let waiting = page_session::get(&t, &back, &buyer).await;
        assert!(waiting.text.contains(r#"data-status="pending""#), "{}", waiting.text);
        assert!(waiting.text.contains("http-equiv=\"refresh\""));

        run_jobs(&t.app).await;
        let callbacks = "SELECT COUNT(*) FROM jobs WHERE kind = $1 AND status = 'done'";
        assert_eq!(
            count(&t.app, callbacks, "gateway_callback").await,
            1,
            "one callback was delivered"
        );
        let paid = page_session::get(&t, &back, &buyer).await;
        assert!(paid.text.contains(r#"data-status="succeeded""#), "{}", paid.text);
        assert!(paid.text.contains("ending in 4242"));

        let p = payment(&t, &buyer, &pay_id).await;
        assert_eq!(p["status"], "succeeded");
        assert_eq!(p["card_brand"], "visa");
        assert_eq!(p["last4"], "4242");
        assert!(p.get("card_token").is_none(), "the card's token stays inside Agora");
        // The gateway's token for the card is kept with the payment: the one it sent, no other.
        let token_matches = "SELECT COUNT(*) FROM payments p JOIN sandbox_sessions s ON s.merchant_reference = p.id \
             WHERE p.id = $1 AND p.card_token LIKE 'sbx_tok_%' AND p.card_token = s.card_token";
        assert_eq!(count(&t.app, token_matches, &pay_id).await, 1);
        let mut held = 0;
        for o in placed["orders"].as_array().unwrap() {
            let id = o["id"].as_str().unwrap();
            assert_eq!(order_status(&t, &buyer, id).await, "paid");
            assert!(paid.text.contains(id), "the return page lists order {id}");
            let escrow = balance(&t.app, AccountKind::OrderEscrow, id).await;
            assert_eq!(
                escrow,
                o["total"]["amount"].as_i64().unwrap(),
                "escrow holds the order's total"
            );
            held += escrow;
        }
        assert_eq!(held, total);
        assert_eq!(balance(&t.app, AccountKind::GatewayClearing, "platform").await, -total);

        // The card number is nowhere in Agora's database: not on the payment, not in the job.
        let digits = TEST_CARD.replace(' ', "");
        for sql in [
        "SELECT COUNT(*) FROM jobs WHERE payload LIKE '%' || $1 || '%'",
        "SELECT COUNT(*) FROM payments WHERE COALESCE(provider_reference, '') || COALESCE(last4, '') || COALESCE(card_token, '') LIKE '%' || $1 || '%'",
        "SELECT COUNT(*) FROM sandbox_sessions WHERE COALESCE(card_token, '') || COALESCE(last4, '') LIKE '%' || $1 || '%'",
    ] {
        assert_eq!(count(&t.app, sql, &digits).await, 0, "{sql}");
    }
    }
);

db_test!(a_declined_card_leaves_the_orders_waiting_and_may_be_tried_again, |t| {
    let (buyer, lamp, _, _) = setup(&t).await;
    add(&t, &buyer, &lamp, 1).await;
    let placed = card_checkout(&t, &buyer).await;
    let pay_id = placed["payment"]["id"].as_str().unwrap().to_owned();
    let order = placed["orders"][0]["id"].as_str().unwrap().to_owned();

    let page = hosted_page(&t, &buyer, &pay_id).await;
    // A bad card is refused on the sandbox's page, which stays open.
    let bad = on_sandbox(
        &t,
        &page,
        &[
            ("action", "approve"),
            ("card_number", "4242 4242 4242 4241"),
            ("expiry", "12/39"),
            ("cvc", "123"),
        ],
    )
    .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.text.contains("not valid"));
    assert!(!bad.text.contains("4242 4242 4242 4241"), "the number is not echoed");

    let back = decline(&t, &page).await;
    run_jobs(&t.app).await;
    let failed = page_session::get(&t, &back, &buyer).await;
    assert!(failed.text.contains(r#"data-status="failed""#), "{}", failed.text);
    assert!(failed.text.contains("Try again"));
    assert_eq!(payment(&t, &buyer, &pay_id).await["status"], "failed");
    assert_eq!(order_status(&t, &buyer, &order).await, "pending_payment");
    assert_eq!(balance(&t.app, AccountKind::OrderEscrow, &order).await, 0);
    // The declined page cannot be approved afterwards.
    let late = approve(&t, &page).await;
    assert_eq!(late, back);
    run_jobs(&t.app).await;
    let callbacks = "SELECT COUNT(*) FROM jobs WHERE kind = $1";
    assert_eq!(
        count(&t.app, callbacks, "gateway_callback").await,
        1,
        "no second callback"
    );

    // Trying again: a new payment, and the buyer pays it.
    let retried = page_session::post(&t, &format!("/pay/{pay_id}/retry"), &buyer, &[]).await;
    let next = location(&retried);
    let new_id = next.strip_prefix("/pay/").unwrap().to_owned();
    assert_ne!(new_id, pay_id);
    // Asking again while it waits gives the same new payment (here through the API).
    let again = t
        .post(&format!("/api/v1/payments/{pay_id}/retry"), Some(&buyer), json!({}))
        .await;
    assert_eq!(again.status, StatusCode::CREATED, "{}", again.text);
    assert_eq!(again.body["id"], new_id.as_str());
    assert_eq!(again.body["redirect_url"], format!("/pay/{new_id}"));
    let other = t.user("other@example.com").await;
    let theirs = t
        .post(&format!("/api/v1/payments/{pay_id}/retry"), Some(&other), json!({}))
        .await;
    assert_eq!(theirs.status, StatusCode::NOT_FOUND);

    let page = hosted_page(&t, &buyer, &new_id).await;
    approve(&t, &page).await;
    run_jobs(&t.app).await;
    assert_eq!(order_status(&t, &buyer, &order).await, "paid");
    let total = placed["orders"][0]["total"]["amount"].as_i64().unwrap();
    assert_eq!(balance(&t.app, AccountKind::OrderEscrow, &order).await, total);
    // A paid payment cannot be "tried again".
    let done = t
        .post(&format!("/api/v1/payments/{new_id}/retry"), Some(&buyer), json!({}))
        .await;
    assert_eq!(done.status, StatusCode::CONFLICT);
});

db_test!(a_card_top_up_reaches_the_wallet, |t| {
    let buyer = t.user("buyer@example.com").await;
    let me = t.get("/api/v1/me", Some(&buyer)).await.body["id"]
        .as_str()
        .unwrap()
        .to_owned();
    // The wallet's top-up use case creates this payment; here it is made directly.
    let now = now_ms();
    let row = agora_store::payments::PaymentRow {
        id: format!("pay_topup{now}"),
        purpose: "top_up".into(),
        method: "card".into(),
        status: "pending".into(),
        amount: 5000,
        currency: "EUR".into(),
        payer_account_id: me.clone(),
        group_id: None,
        bank_reference: None,
        provider: None,
        provider_reference: None,
        card_brand: None,
        last4: None,
        provider_idempotency_key: None,
        failure_reason: None,
        created_at: now,
        updated_at: now,
        card_token: None,
    };
    let mut conn = t.app.db.conn().await.unwrap();
    agora_store::payments::insert(&mut conn, &row).await.unwrap();
    drop(conn);

    let page = hosted_page(&t, &buyer, &row.id).await;
    let back = approve(&t, &page).await;
    run_jobs(&t.app).await;
    let shown = page_session::get(&t, &back, &buyer).await;
    assert!(shown.text.contains("in your Agora wallet"), "{}", shown.text);
    assert_eq!(balance(&t.app, AccountKind::WalletAvailable, &me).await, 5000);
    assert_eq!(payment(&t, &buyer, &row.id).await["status"], "succeeded");
    // A settled payment's page sends the payer to the return page, not to the gateway again.
    let r = page_session::get(&t, &format!("/pay/{}", row.id), &buyer).await;
    assert_eq!(location(&r), back);
});

db_test!(
    a_cancelled_card_order_is_refunded_to_the_card_once_however_often_the_job_runs,
    |t| {
        let (buyer, lamp, _, _) = setup(&t).await;
        add(&t, &buyer, &lamp, 2).await;
        let placed = card_checkout(&t, &buyer).await;
        let pay_id = placed["payment"]["id"].as_str().unwrap().to_owned();
        let order = placed["orders"][0]["id"].as_str().unwrap().to_owned();
        let total = placed["orders"][0]["total"]["amount"].as_i64().unwrap();
        let page = hosted_page(&t, &buyer, &pay_id).await;
        approve(&t, &page).await;
        run_jobs(&t.app).await;
        assert_eq!(order_status(&t, &buyer, &order).await, "paid");
        let session = page.rsplit('/').next().unwrap().to_owned();

        let r = t
            .post(
                &format!("/api/v1/orders/{order}/cancel"),
                Some(&buyer),
                json!({"reason": "changed my mind"}),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        assert_eq!(balance(&t.app, AccountKind::OrderEscrow, &order).await, 0);
        let job: String = {
            let mut conn = t.app.db.conn().await.unwrap();
            sqlx::query("SELECT payload FROM jobs WHERE kind = 'gateway_refund'")
                .fetch_one(&mut *conn)
                .await
                .unwrap()
                .get(0)
        };
        run_jobs(&t.app).await;
        let refunds_at_sandbox = "SELECT COUNT(*) FROM sandbox_refunds WHERE session_id = $1";
        assert_eq!(count(&t.app, refunds_at_sandbox, &session).await, 1);
        let amount_at_sandbox =
            "SELECT CAST(COALESCE(SUM(amount), 0) AS BIGINT) FROM sandbox_refunds WHERE session_id = $1";
        assert_eq!(count(&t.app, amount_at_sandbox, &session).await, total);
        let refund: agora_app::escrow::GatewayRefundJob = serde_json::from_str(&job).unwrap();
        let recorded = {
            let mut conn = t.app.db.conn().await.unwrap();
            agora_store::gateway::refund_by_id(&mut conn, &refund.refund_id)
                .await
                .unwrap()
                .expect("the refund is recorded")
        };
        assert_eq!(recorded.amount, total);
        assert!(recorded.provider_reference.starts_with("sbx_re_"));

        // The job runs again (a node died after the gateway answered, before recording it): the same
        // idempotency key reaches the sandbox, which refunds nothing more.
        {
            let mut conn = t.app.db.conn().await.unwrap();
            sqlx::query("DELETE FROM gateway_refunds WHERE id = $1")
                .bind(&refund.refund_id)
                .execute(&mut *conn)
                .await
                .unwrap();
        }
        let again = agora_app::gateway::refunds::send(&t.app, &refund).await.unwrap();
        assert_eq!(again.provider_reference, recorded.provider_reference);
        let more = agora_app::gateway::refunds::send(&t.app, &refund).await.unwrap();
        assert_eq!(more, again);
        assert_eq!(count(&t.app, refunds_at_sandbox, &session).await, 1);
        assert_eq!(count(&t.app, amount_at_sandbox, &session).await, total);
        // What went back through the gateway balances what came in.
        assert_eq!(balance(&t.app, AccountKind::GatewayClearing, "platform").await, 0);
        assert_eq!(order_status(&t, &buyer, &order).await, "cancelled");
    }
);
