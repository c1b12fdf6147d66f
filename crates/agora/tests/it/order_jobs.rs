//! What happens to an order by itself: an unpaid order gives its stock back when its reservation
//! runs out, a shipped prepaid order completes when the buyer does not confirm it in time, and
//! the buyer gets an email for each step, through a file sink in tests, retried when the mail
//! server fails. Each runs as a job, made due here by a small timeout or a clock set ahead.

use std::path::{Path, PathBuf};
use std::time::Duration;

use agora_app::job_runner::{Worker, WorkerSettings};
use agora_app::mail::Mailer;
use agora_app::{job_handlers, App, Settings};
use agora_store::jobs::{self, JobRow};
use agora_store::now_ms;
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::hostile::{marketplace, seller_with_shop};
use crate::orders::{add, address, checkout, stock_of, tax_rates, variant};
use crate::support::{db_test, TestApp};

const DAY_MS: i64 = 24 * 60 * 60 * 1000;

pub(crate) fn worker(app: &App) -> Worker {
    let settings = WorkerSettings {
        poll: Duration::from_millis(50),
        concurrency: 8,
        lease: Duration::from_secs(30),
        drain: Duration::from_secs(5),
        housekeeping: Duration::from_secs(60),
    };
    Worker::new(app.clone(), job_handlers::standard(), settings)
}

/// Runs every job due at `at` (and those they add that are due by then); returns how many ran.
pub(crate) async fn run_jobs(app: &App, at: i64) -> usize {
    let worker = worker(app);
    let mut total = 0;
    loop {
        let n = worker.run_due(at).await.expect("the jobs run");
        if n == 0 {
            return total;
        }
        total += n;
    }
}

pub(crate) async fn jobs_in(app: &App, status: &str, kind: &str) -> Vec<JobRow> {
    let mut conn = app.db.conn().await.unwrap();
    let rows = jobs::list(&mut conn, status, None, 1000).await.unwrap();
    rows.into_iter().filter(|j| j.kind == kind).collect()
}

pub(crate) fn mail_dir(app: &App) -> PathBuf {
    match &app.mailer {
        Mailer::File(dir) => dir.clone(),
        other => panic!("tests write mail to files, not {other:?}"),
    }
}

/// The messages in the file sink (raw `.eml` text).
pub(crate) fn messages(dir: &Path) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    entries
        .map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap())
        .collect()
}

/// A shop with one lamp (5 in stock) and a buyer; returns (seller, variant, buyer).
async fn setup(t: &TestApp) -> (String, String, String) {
    marketplace(t).await;
    tax_rates(t).await;
    let (seller, shop) = seller_with_shop(t, "seller@example.com", "Lamp Shop").await;
    let lamp = variant(t, &seller, &shop, "LAMP", 1000, 5).await;
    let buyer = t.user("buyer@example.com").await;
    (seller, lamp, buyer)
}

async fn place(t: &TestApp, buyer: &str, lamp: &str, quantity: i64, payment: &str) -> String {
    add(t, buyer, lamp, quantity).await;
    let r = checkout(
        t,
        buyer,
        json!({"shipping_address": address("DE"), "payment_method": payment, "purchase_order": "PO-4711"}),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    r.body["orders"][0]["id"].as_str().unwrap().to_owned()
}

async fn order(t: &TestApp, buyer: &str, id: &str) -> Value {
    let r = t.get(&format!("/api/v1/orders/{id}"), Some(buyer)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    r.body
}

/// Pays the order's checkout the way its method is paid: the card gateway's success for a card,
/// the operator's confirmation of the exact amount for a bank transfer.
async fn mark_paid(t: &TestApp, id: &str) {
    crate::payments::pay(t, id).await;
}

async fn ship(t: &TestApp, seller: &str, id: &str) {
    let r = t
        .post(
            &format!("/api/v1/orders/{id}/ship"),
            Some(seller),
            json!({"carrier": "DHL", "tracking_number": "123"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
}

fn last_event(order: &Value) -> &Value {
    order["events"].as_array().unwrap().last().unwrap()
}

fn short_reservations() -> Settings {
    let mut settings = Settings::default();
    settings.reservation.online_payment_ms = 300;
    settings
}

db_test!(
    an_unpaid_order_is_cancelled_when_its_reservation_runs_out,
    settings = short_reservations(),
    |t| {
        let (seller, lamp, buyer) = setup(&t).await;
        // Before any reservation began: nothing is due yet at this time, however slow the test runs.
        let started = now_ms();
        let unpaid = place(&t, &buyer, &lamp, 3, "card").await;
        let paid = place(&t, &buyer, &lamp, 1, "card").await;
        let cod = place(&t, &buyer, &lamp, 1, "cod").await;
        mark_paid(&t, &paid).await;
        assert_eq!(stock_of(&t, &seller, &lamp).await, 0);
        assert_eq!(
            jobs_in(&t.app, "queued", "expire_reservation").await.len(),
            2,
            "one expiry per prepaid order; cash on delivery waits for nobody"
        );

        run_jobs(&t.app, started).await;
        assert_eq!(
            order(&t, &buyer, &unpaid).await["status"],
            "pending_payment",
            "not before the timeout"
        );

        tokio::time::sleep(Duration::from_millis(400)).await;
        run_jobs(&t.app, now_ms()).await;
        let cancelled = order(&t, &buyer, &unpaid).await;
        assert_eq!(cancelled["status"], "cancelled", "{cancelled}");
        let event = last_event(&cancelled);
        assert_eq!(
            (event["event"].as_str(), event["party"].as_str()),
            (Some("cancelled"), Some("system"))
        );
        assert!(event["actor"].is_null(), "no account moved it: {event}");
        assert_eq!(stock_of(&t, &seller, &lamp).await, 3, "the reserved stock is back");

        let left = order(&t, &buyer, &paid).await;
        assert_eq!(
            left["status"], "paid",
            "a paid order is left alone by its late expiry job"
        );
        assert_eq!(
            left["events"].as_array().unwrap().len(),
            2,
            "placed and paid, no more: {left}"
        );
        assert_eq!(order(&t, &buyer, &cod).await["status"], "confirmed");
        assert!(jobs_in(&t.app, "queued", "expire_reservation").await.is_empty());
        assert!(jobs_in(&t.app, "dead", "expire_reservation").await.is_empty());

        // The buyer may no longer cancel what the system already did; the stock returns once.
        let again = t
            .post(&format!("/api/v1/orders/{unpaid}/cancel"), Some(&buyer), json!({}))
            .await;
        assert_eq!(again.status, StatusCode::CONFLICT, "{}", again.text);
        run_jobs(&t.app, now_ms() + 30 * DAY_MS).await;
        assert_eq!(stock_of(&t, &seller, &lamp).await, 3);
    }
);

db_test!(
    a_shipped_prepaid_order_completes_when_the_buyer_does_not_confirm_it,
    |t| {
        let (seller, lamp, buyer) = setup(&t).await;
        let silent = place(&t, &buyer, &lamp, 1, "card").await;
        let confirmed = place(&t, &buyer, &lamp, 1, "bank_transfer").await;
        for id in [&silent, &confirmed] {
            mark_paid(&t, id).await;
            ship(&t, &seller, id).await;
        }
        assert_eq!(jobs_in(&t.app, "queued", "auto_complete").await.len(), 2);
        let r = t
            .post(
                &format!("/api/v1/orders/{confirmed}/confirm-receipt"),
                Some(&buyer),
                json!({}),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);

        run_jobs(&t.app, now_ms() + 9 * DAY_MS).await;
        assert_eq!(
            order(&t, &buyer, &silent).await["status"],
            "shipped",
            "not before ten days"
        );

        run_jobs(&t.app, now_ms() + 11 * DAY_MS).await;
        let completed = order(&t, &buyer, &silent).await;
        assert_eq!(completed["status"], "completed", "{completed}");
        let event = last_event(&completed);
        assert_eq!(
            (event["event"].as_str(), event["party"].as_str()),
            (Some("auto_completed"), Some("system"))
        );
        let by_buyer = order(&t, &buyer, &confirmed).await;
        assert_eq!(by_buyer["status"], "completed");
        assert_eq!(
            last_event(&by_buyer)["event"],
            "receipt_confirmed",
            "the late job leaves a confirmed order alone"
        );
        assert_eq!(
            stock_of(&t, &seller, &lamp).await,
            3,
            "late expiry jobs returned nothing"
        );
        assert!(jobs_in(&t.app, "dead", "auto_complete").await.is_empty());
    }
);

db_test!(the_buyer_gets_an_email_when_the_order_is_placed_and_shipped, |t| {
    let (seller, lamp, buyer) = setup(&t).await;
    let id = place(&t, &buyer, &lamp, 2, "card").await;
    let dir = mail_dir(&t.app);
    assert!(messages(&dir).is_empty(), "nothing is sent before the job runs");
    run_jobs(&t.app, now_ms()).await;
    let sent = messages(&dir);
    assert_eq!(sent.len(), 1, "{sent:?}");
    let placed = &sent[0];
    assert!(
        placed.contains("To: buyer@example.com") || placed.contains("<buyer@example.com>"),
        "{placed}"
    );
    assert!(
        placed.contains(&format!("Subject: Your order {id} has been placed")),
        "{placed}"
    );
    assert!(placed.contains("Purchase order: PO-4711"), "{placed}");
    assert!(placed.contains(&format!("/orders/{id}")), "{placed}");
    assert!(placed.contains("2 x Item LAMP"), "{placed}");

    mark_paid(&t, &id).await;
    ship(&t, &seller, &id).await;
    run_jobs(&t.app, now_ms()).await;
    let sent = messages(&dir);
    assert_eq!(sent.len(), 3, "placed, paid and shipped: {sent:?}");
    assert!(sent.iter().any(|m| m.contains("is paid")), "{sent:?}");
    let shipped = sent
        .iter()
        .find(|m| m.contains("has shipped"))
        .expect("a shipping message");
    assert!(shipped.contains("buyer@example.com"), "{shipped}");
    assert!(shipped.contains(&id) && shipped.contains("PO-4711"), "{shipped}");
    assert!(shipped.contains("tracking number 123"), "{shipped}");
});

fn unreachable_mail_server() -> Settings {
    Settings {
        mailer: Some(Mailer::Smtp("smtp://127.0.0.1:1".into())),
        ..Settings::default()
    }
}

db_test!(
    a_failed_delivery_is_retried_later,
    settings = unreachable_mail_server(),
    |t| {
        let (_seller, lamp, buyer) = setup(&t).await;
        let id = place(&t, &buyer, &lamp, 1, "card").await;
        let now = now_ms();
        run_jobs(&t.app, now).await;
        let waiting = jobs_in(&t.app, "queued", "send_email").await;
        assert_eq!(waiting.len(), 1, "the failed message waits for another attempt");
        assert_eq!(waiting[0].attempts, 1);
        assert!(waiting[0].run_at > now, "after a pause");
        assert!(
            waiting[0].last_error.as_deref().unwrap_or("").contains("mail server"),
            "{:?}",
            waiting[0].last_error
        );

        // The mail server is back (here: a folder), and the next attempt delivers.
        let dir = tempfile::tempdir().unwrap();
        let mut mended = t.app.clone();
        mended.mailer = Mailer::File(dir.path().to_owned());
        run_jobs(&mended, now + 60_000).await;
        let sent = messages(dir.path());
        assert_eq!(sent.len(), 1, "{sent:?}");
        assert!(sent[0].contains(&id), "{}", sent[0]);
        assert!(jobs_in(&t.app, "queued", "send_email").await.is_empty());
    }
);

/// A bare SMTP server on loopback that keeps every message it takes. It offers neither STARTTLS
/// nor TLS, so a mailer that must protect the connection has to refuse to send through it.
fn plain_smtp_server() -> (u16, std::sync::Arc<std::sync::Mutex<Vec<String>>>) {
    use std::io::{BufRead, BufReader, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let received = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let keep = received.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let keep = keep.clone();
            std::thread::spawn(move || {
                let mut out = stream.try_clone().unwrap();
                let mut lines = BufReader::new(stream);
                let _ = out.write_all(b"220 mail.test ESMTP\r\n");
                let mut line = Vec::new();
                let mut data: Option<String> = None;
                loop {
                    line.clear();
                    match lines.read_until(b'\n', &mut line) {
                        Ok(0) | Err(_) => return,
                        Ok(_) => {}
                    }
                    let text = String::from_utf8_lossy(&line).into_owned();
                    if let Some(message) = data.as_mut() {
                        if text == ".\r\n" {
                            keep.lock().unwrap().push(std::mem::take(message));
                            data = None;
                            let _ = out.write_all(b"250 kept\r\n");
                        } else {
                            message.push_str(&text);
                        }
                        continue;
                    }
                    let verb = text.get(..4).unwrap_or("").to_ascii_uppercase();
                    let answer: &[u8] = match verb.as_str() {
                        "EHLO" => b"250-mail.test\r\n250 8BITMIME\r\n",
                        "HELO" | "MAIL" | "RCPT" | "RSET" | "NOOP" => b"250 ok\r\n",
                        "DATA" => {
                            data = Some(String::new());
                            b"354 go on\r\n"
                        }
                        "QUIT" => {
                            let _ = out.write_all(b"221 bye\r\n");
                            return;
                        }
                        _ => b"502 not here\r\n",
                    };
                    let _ = out.write_all(answer);
                }
            });
        }
    });
    (port, received)
}

db_test!(emails_go_to_smtp_and_never_unprotected_when_tls_is_asked, |t| {
    let (_seller, lamp, buyer) = setup(&t).await;
    let id = place(&t, &buyer, &lamp, 1, "card").await;
    let (port, received) = plain_smtp_server();
    let now = now_ms();

    // TLS from the first byte, then STARTTLS: the server offers neither, so nothing is sent and
    // the message waits for another attempt.
    let mut at = now - 60_000;
    for url in [
        format!("smtps://127.0.0.1:{port}"),
        format!("smtp://127.0.0.1:{port}?tls=starttls"),
    ] {
        let mut app = t.app.clone();
        app.mailer = Mailer::Smtp(url.clone());
        at += 60_000;
        run_jobs(&app, at).await;
        let waiting = jobs_in(&t.app, "queued", "send_email").await;
        assert_eq!(waiting.len(), 1, "{url}: the message waits");
        assert!(
            waiting[0].last_error.as_deref().unwrap_or("").contains("mail server"),
            "{url}: {:?}",
            waiting[0].last_error
        );
        assert!(
            received.lock().unwrap().is_empty(),
            "{url}: nothing went out unprotected"
        );
    }

    // Plain SMTP to a local relay delivers it.
    let mut app = t.app.clone();
    app.mailer = Mailer::Smtp(format!("smtp://127.0.0.1:{port}"));
    run_jobs(&app, at + 60_000).await;
    assert!(jobs_in(&t.app, "queued", "send_email").await.is_empty());
    let sent = received.lock().unwrap().clone();
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert!(
        sent[0].contains("buyer@example.com") && sent[0].contains(&id),
        "{}",
        sent[0]
    );
});
