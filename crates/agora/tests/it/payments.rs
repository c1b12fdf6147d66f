//! Payments: the checkout's one payment by each method, the gateway's settlement, bank transfers
//! confirmed by an operator (exact, short and excess amounts), escrow released on completion and
//! returned on cancellation, and nobody seeing another account's payment.

use agora_app::payments::{self, Outcome, Settled};
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::support::TestApp;

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

#[allow(dead_code)]
fn _value(_: Value) {}
