//! The gateway's callback, `POST /api/v1/webhooks/gateway`, sent by hand: forged, stale and
//! replayed callbacks are refused with 400 and post nothing; the same callback delivered five
//! times at once settles once; a late `failed` after `succeeded` changes nothing. And card data
//! in any body is refused with 400 and never reaches the logs.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use agora_core::gateway::header_value;
use agora_core::ledger::AccountKind;
use agora_store::now_ms;
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::gateway::{balance, card_checkout, count, setup};
use crate::orders::{add, address};
use crate::page_session;
use crate::support::{db_test, read, Reply, TestApp};

fn event(id: &str, payment: &str, kind: &str) -> String {
    let data = if kind == "payment.succeeded" {
        json!({"payment_id": payment, "charge": format!("sbx_cs_{id}"), "card": {"token": "sbx_tok_1", "brand": "visa", "last4": "4242"}})
    } else {
        json!({"payment_id": payment, "charge": format!("sbx_cs_{id}"), "failure_reason": "insufficient funds"})
    };
    json!({"id": id, "type": kind, "created": now_ms() / 1000, "data": data}).to_string()
}

async fn deliver(t: &TestApp, body: &str, signature: Option<String>) -> Reply {
    let mut req = t
        .client
        .post(t.url("/api/v1/webhooks/gateway"))
        .header("content-type", "application/json")
        .body(body.to_owned());
    if let Some(sig) = signature {
        req = req.header("Agora-Signature", sig);
    }
    read(req.send().await.unwrap()).await
}

async fn signed(t: &TestApp, body: &str, at_secs: i64) -> String {
    let secret = agora_app::gateway::secret(&t.app).await.unwrap();
    header_value(&secret, at_secs, body.as_bytes())
}

/// A pending card checkout of one lamp: `(buyer, payment id, order id, total)`.
async fn pending_card_order(t: &TestApp) -> (String, String, String, i64) {
    let (buyer, lamp, _, _) = setup(t).await;
    add(t, &buyer, &lamp, 1).await;
    let placed = card_checkout(t, &buyer).await;
    (
        buyer,
        placed["payment"]["id"].as_str().unwrap().to_owned(),
        placed["orders"][0]["id"].as_str().unwrap().to_owned(),
        placed["orders"][0]["total"]["amount"].as_i64().unwrap(),
    )
}

async fn postings_for(t: &TestApp, payment: &str) -> i64 {
    count(
        &t.app,
        "SELECT COUNT(*) FROM ledger_transactions WHERE reference = $1",
        payment,
    )
    .await
}

async fn status_of(t: &TestApp, token: &str, path: &str) -> Value {
    t.get(path, Some(token)).await.body["status"].clone()
}

db_test!(forged_stale_and_replayed_callbacks_are_refused_and_post_nothing, |t| {
    let (buyer, payment, order, total) = pending_card_order(&t).await;
    let body = event("evt_1", &payment, "payment.succeeded");
    let now = now_ms() / 1000;

    let missing = deliver(&t, &body, None).await;
    assert_eq!(missing.status, StatusCode::BAD_REQUEST, "{}", missing.text);
    let forged = header_value(b"not the secret", now, body.as_bytes());
    assert_eq!(deliver(&t, &body, Some(forged)).await.status, StatusCode::BAD_REQUEST);
    let malformed = deliver(&t, &body, Some("t=abc,v1=00".into())).await;
    assert_eq!(malformed.status, StatusCode::BAD_REQUEST);
    let stale = signed(&t, &body, now - 301).await;
    let r = deliver(&t, &body, Some(stale)).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.text.contains("five minutes"), "{}", r.text);
    let future = signed(&t, &body, now + 600).await;
    assert_eq!(deliver(&t, &body, Some(future)).await.status, StatusCode::BAD_REQUEST);
    // A signature over another body does not carry over.
    let other = event("evt_1", &payment, "payment.failed");
    let sig_of_other = signed(&t, &other, now).await;
    assert_eq!(
        deliver(&t, &body, Some(sig_of_other)).await.status,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(postings_for(&t, &payment).await, 0);
    assert_eq!(
        status_of(&t, &buyer, &format!("/api/v1/payments/{payment}")).await,
        "pending"
    );

    // An unknown payment, signed properly: 404, nothing recorded.
    let unknown = event("evt_x", "pay_nobody", "payment.succeeded");
    let r = deliver(&t, &unknown, Some(signed(&t, &unknown, now).await)).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.text);

    let ok = deliver(&t, &body, Some(signed(&t, &body, now).await)).await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.text);
    assert_eq!(ok.body["changed"], true);
    assert_eq!(ok.body["status"], "succeeded");
    assert_eq!(balance(&t.app, AccountKind::OrderEscrow, &order).await, total);
    let posted = postings_for(&t, &payment).await;
    assert_eq!(posted, 1);

    // The same event again, even freshly signed: a replay.
    let replay = deliver(&t, &body, Some(signed(&t, &body, now_ms() / 1000).await)).await;
    assert_eq!(replay.status, StatusCode::BAD_REQUEST);
    assert_eq!(replay.problem_type(), "/problems/webhook-replayed");
    assert_eq!(postings_for(&t, &payment).await, posted);
    assert_eq!(balance(&t.app, AccountKind::OrderEscrow, &order).await, total);
});

db_test!(the_same_callback_delivered_five_times_at_once_settles_once, |t| {
    let (buyer, payment, order, total) = pending_card_order(&t).await;
    let body = event("evt_burst", &payment, "payment.succeeded");
    let sig = signed(&t, &body, now_ms() / 1000).await;
    let sends = (0..5).map(|_| deliver(&t, &body, Some(sig.clone())));
    let replies = futures::future::join_all(sends).await;
    let mut changed = 0;
    for r in &replies {
        match r.status {
            StatusCode::OK => changed += usize::from(r.body["changed"] == true),
            StatusCode::BAD_REQUEST => assert_eq!(r.problem_type(), "/problems/webhook-replayed", "{}", r.text),
            other => panic!("unexpected {other}: {}", r.text),
        }
    }
    assert_eq!(changed, 1, "exactly one delivery settled the payment: {replies:?}");
    assert_eq!(postings_for(&t, &payment).await, 1);
    assert_eq!(balance(&t.app, AccountKind::OrderEscrow, &order).await, total);
    assert_eq!(balance(&t.app, AccountKind::GatewayClearing, "platform").await, -total);
    assert_eq!(status_of(&t, &buyer, &format!("/api/v1/orders/{order}")).await, "paid");
});

db_test!(a_failure_arriving_after_success_changes_nothing, |t| {
    let (buyer, payment, order, total) = pending_card_order(&t).await;
    let now = now_ms() / 1000;
    let succeeded = event("evt_a", &payment, "payment.succeeded");
    let r = deliver(&t, &succeeded, Some(signed(&t, &succeeded, now).await)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let failed = event("evt_b", &payment, "payment.failed");
    let late = deliver(&t, &failed, Some(signed(&t, &failed, now).await)).await;
    assert_eq!(late.status, StatusCode::OK, "{}", late.text);
    assert_eq!(late.body["changed"], false);
    assert_eq!(late.body["status"], "succeeded");
    let p = t.get(&format!("/api/v1/payments/{payment}"), Some(&buyer)).await.body;
    assert_eq!(p["status"], "succeeded");
    assert_eq!(p["failure_reason"], Value::Null);
    assert_eq!(status_of(&t, &buyer, &format!("/api/v1/orders/{order}")).await, "paid");
    assert_eq!(balance(&t.app, AccountKind::OrderEscrow, &order).await, total);
    assert_eq!(postings_for(&t, &payment).await, 1);
});

db_test!(card_fields_in_any_body_are_refused_with_400, |t| {
    let (buyer, lamp, _, _) = setup(&t).await;
    add(&t, &buyer, &lamp, 1).await;
    let number = "4111111111111111";
    // The API, at any depth, in any case, even on endpoints that read their body themselves.
    for body in [
        json!({"shipping_address": address("DE"), "payment_method": "card", "card_number": number}),
        json!({"shipping_address": address("DE"), "payment_method": "card", "payment": {"details": [{"PAN": number}]}}),
        json!({"shipping_address": address("DE"), "payment_method": "card", "card": {"cvv2": "123"}}),
    ] {
        let r = t.post("/api/v1/checkout", Some(&buyer), body).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text);
        assert!(!r.text.contains(number) && !r.text.contains("123\""), "{}", r.text);
    }
    let orders = t.get("/api/v1/orders?role=buyer", Some(&buyer)).await;
    assert_eq!(orders.body["items"].as_array().unwrap().len(), 0, "no order was placed");
    let cancel = t
        .post(
            "/api/v1/orders/ord_x/cancel",
            Some(&buyer),
            json!({"reason": "x", "cvc": "123"}),
        )
        .await;
    assert_eq!(cancel.status, StatusCode::BAD_REQUEST);
    // A page form, too (a field named like a card field, or nested).
    for field in ["card_number", "payment[cvc]", "cvv"] {
        let r = page_session::post(&t, "/checkout", &buyer, &[("name", "Bea"), (field, number)]).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{field}");
        assert!(!r.text.contains(number));
    }
    // GTINs are numbers that pass the Luhn check, and fields merely containing the letters pass.
    let fine = t
        .post(
            "/api/v1/cart/items",
            Some(&buyer),
            json!({"variant_id": lamp, "quantity": 1}),
        )
        .await;
    assert_eq!(fine.status, StatusCode::CREATED, "{}", fine.text);
});

/// `agora serve` as its own process, with every line it logs kept.
struct LoggingNode {
    child: std::process::Child,
    base: String,
    log: Arc<Mutex<Vec<String>>>,
}

impl Drop for LoggingNode {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_logging_node(mut cmd: Command) -> LoggingNode {
    cmd.env("AGORA_LOG", "debug")
        .args(["serve", "--addr", "127.0.0.1:0"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("agora starts");
    let stderr = child.stderr.take().unwrap();
    let log = Arc::new(Mutex::new(Vec::new()));
    let (tx, rx) = std::sync::mpsc::channel();
    let keep = log.clone();
    std::thread::spawn(move || {
        let mut tx = Some(tx);
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if let Some((_, rest)) = line.split_once("running at http://") {
                if let Some(tx) = tx.take() {
                    let _ = tx.send(rest.split('/').next().unwrap_or_default().to_owned());
                }
            }
            keep.lock().unwrap().push(line);
        }
    });
    let addr = rx.recv_timeout(Duration::from_secs(120)).expect("the node listens");
    LoggingNode {
        child,
        base: format!("http://{addr}"),
        log,
    }
}

db_test!(card_numbers_never_reach_the_logs, |t| {
    let (buyer, lamp, _, _) = setup(&t).await;
    add(&t, &buyer, &lamp, 1).await;
    let placed = card_checkout(&t, &buyer).await;
    let payment = placed["payment"]["id"].as_str().unwrap().to_owned();
    let dir = tempfile::tempdir().unwrap();
    let node = tokio::task::spawn_blocking({
        let cmd = t.agora(dir.path());
        move || start_logging_node(cmd)
    })
    .await
    .unwrap();
    let number = "4111111111111111";
    let client = &t.client;
    let api = client
        .post(format!("{}/api/v1/checkout", node.base))
        .bearer_auth(&buyer)
        .json(&json!({"shipping_address": address("DE"), "payment_method": "card", "card_number": number}))
        .send()
        .await
        .unwrap();
    assert_eq!(api.status(), StatusCode::BAD_REQUEST);
    let form = client
        .post(format!("{}/checkout", node.base))
        .header("cookie", format!("agora_session={buyer}; agora_csrf=t"))
        .form(&[("csrf", "t"), ("card_number", number)])
        .send()
        .await
        .unwrap();
    assert_eq!(form.status(), StatusCode::BAD_REQUEST);
    // The sandbox's own page takes the card, and logs nothing of it either.
    let to_gateway = client
        .get(format!("{}/pay/{payment}", node.base))
        .header("cookie", format!("agora_session={buyer}"))
        .send()
        .await
        .unwrap();
    let page = to_gateway.headers()["location"].to_str().unwrap().to_owned();
    let paid = client
        .post(format!("{}{page}", node.base))
        .form(&[
            ("action", "approve"),
            ("card_number", number),
            ("expiry", "12/39"),
            ("cvc", "987"),
        ])
        .send()
        .await
        .unwrap();
    assert!(paid.status().is_redirection(), "{}", paid.status());
    tokio::time::sleep(Duration::from_millis(300)).await;
    let log = node.log.lock().unwrap().join("\n");
    assert!(
        log.contains("card data") || log.contains("card_number"),
        "the refusal is logged by name: {log}"
    );
    assert!(!log.contains(number), "a card number reached the log:\n{log}");
    assert!(!log.contains("cvc=987"), "a security code reached the log");
    drop(node);
});
