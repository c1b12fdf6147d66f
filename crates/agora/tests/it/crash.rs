//! A crash in the middle of payments: a real `agora serve` process takes a burst of concurrent
//! wallet checkouts, card checkouts settled by the gateway's callback and bank-transfer checkouts
//! confirmed by an operator, and is killed (SIGKILL) at a random moment, a few rounds in a row.
//! After each restart on the same database the callbacks and confirmations that may have been
//! lost are sent again (as a gateway and an operator would). At the end `agora ledger verify`
//! must pass, and every order's state must match its postings: each succeeded payment received its
//! money exactly once, every wallet holds its top-up less the orders it paid, the gateway's and the
//! bank's clearing accounts hold exactly what the succeeded payments brought in, and no order
//! waits for a payment that succeeded. `AGORA_CRASH_SEED` replays a run.

use std::collections::HashMap;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use agora_core::gateway::header_value;
use agora_store::now_ms;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{json, Value};
use sqlx::Row;

use crate::hostile::{marketplace, seller_with_shop};
use crate::nodes::Node;
use crate::orders::{address, tax_rates, variant};
use crate::payments::fund_wallet;
use crate::support::{db_test, TestApp};

const ROUNDS: usize = 4;
const BUYERS_PER_ROUND: usize = 9;
/// What each buyer's wallet was topped up with (EUR cents).
const FUNDED: i64 = 200_000;
/// At most this many purchases per buyer and round (the kill comes long before).
const MOST_PURCHASES: usize = 500;
const PRICE: i64 = 1_000;

/// A payment the burst started that may still need its money: how to ask for it again.
#[derive(Debug, Clone)]
enum Settlement {
    /// The gateway's callback (the same event, signed anew: a redelivery).
    Card { body: String },
    /// The operator's confirmation of the exact amount, with its idempotency key.
    Transfer { payment: String, amount: i64, key: String },
}

struct Burst {
    client: reqwest::Client,
    base: String,
    operator: String,
    secret: Vec<u8>,
    variant: String,
    /// Every settlement started so far (retried after each restart).
    settlements: Mutex<Vec<Settlement>>,
}

impl Burst {
    async fn post(&self, path: &str, token: Option<&str>, body: Value, key: Option<&str>) -> Option<(u16, Value)> {
        let mut req = self.client.post(format!("{}{path}", self.base)).json(&body);
        if let Some(token) = token {
            req = req.bearer_auth(token);
        }
        if let Some(key) = key {
            req = req.header("Idempotency-Key", key);
        }
        let res = req.send().await.ok()?;
        let status = res.status().as_u16();
        let body = res.json::<Value>().await.unwrap_or(Value::Null);
        Some((status, body))
    }

    async fn settle(&self, s: &Settlement) {
        match s {
            Settlement::Card { body } => {
                let sig = header_value(&self.secret, now_ms() / 1000, body.as_bytes());
                let _ = self
                    .client
                    .post(format!("{}/api/v1/webhooks/gateway", self.base))
                    .header("content-type", "application/json")
                    .header("Agora-Signature", sig)
                    .body(body.clone())
                    .send()
                    .await;
            }
            Settlement::Transfer { payment, amount, key } => {
                let body = json!({"amount": {"amount": amount, "currency": "EUR"}});
                let path = format!("/api/v1/payments/{payment}/confirm-transfer");
                let _ = self.post(&path, Some(&self.operator), body, Some(key)).await;
            }
        }
    }

    /// One buyer buys again and again until the node is gone (or the wallet is empty), so that
    /// the kill always lands in the middle of work.
    async fn keep_buying(&self, buyer: &str, method: &str, quantity: i64) {
        for _ in 0..MOST_PURCHASES {
            if !self.buy(buyer, method, quantity).await {
                return;
            }
        }
    }

    /// One purchase: fill the cart, check out with `method`, and for card and bank transfer send
    /// the payment's settlement. Any step may fail when the node dies; false when the checkout
    /// did not answer 201.
    async fn buy(&self, buyer: &str, method: &str, quantity: i64) -> bool {
        let item = json!({"variant_id": self.variant, "quantity": quantity});
        if self.post("/api/v1/cart/items", Some(buyer), item, None).await.is_none() {
            return false;
        }
        let body = json!({"shipping_address": address("DE"), "payment_method": method});
        let Some((201, placed)) = self.post("/api/v1/checkout", Some(buyer), body, None).await else {
            return false;
        };
        let payment = placed["payment"]["id"].as_str().unwrap_or_default().to_owned();
        let amount = placed["payment"]["amount"]["amount"].as_i64().unwrap_or_default();
        let settlement = match method {
            "card" => {
                let event = format!("evt_crash_{payment}");
                let data = json!({"payment_id": payment, "charge": format!("sbx_cs_{payment}"),
                    "card": {"token": "sbx_tok_crash", "brand": "visa", "last4": "4242"}});
                let body = json!({"id": event, "type": "payment.succeeded", "created": now_ms() / 1000, "data": data});
                Settlement::Card { body: body.to_string() }
            }
            "bank_transfer" => Settlement::Transfer {
                key: format!("confirm-{payment}"),
                payment,
                amount,
            },
            _ => return true,
        };
        self.settlements.lock().unwrap().push(settlement.clone());
        self.settle(&settlement).await;
        true
    }
}

async fn number(t: &TestApp, sql: &str) -> i64 {
    let mut conn = t.app.db.conn().await.unwrap();
    sqlx::query(sql).fetch_one(&mut *conn).await.unwrap().get::<i64, _>(0)
}

/// Runs `agora ledger verify` on the test's database; its exit code and output.
async fn ledger_verify(t: &TestApp) -> (Option<i32>, String) {
    let mut cmd = t.agora(t._dir.path());
    cmd.args(["ledger", "verify"]).stdin(Stdio::null());
    let out = tokio::time::timeout(
        Duration::from_secs(60),
        tokio::task::spawn_blocking(move || cmd.output()),
    )
    .await
    .expect("ledger verify finishes within a minute")
    .unwrap()
    .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code(), text)
}

/// Waits (at most `within`) until no job is due or running.
async fn jobs_settle(t: &TestApp, within: Duration) {
    let until = std::time::Instant::now() + within;
    while std::time::Instant::now() < until {
        let sql = format!(
            "SELECT COUNT(*) FROM jobs WHERE status = 'running' OR (status = 'queued' AND run_at <= {})",
            now_ms()
        );
        if number(t, &sql).await == 0 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

async fn crash_rounds(t: &TestApp) {
    let seed = std::env::var("AGORA_CRASH_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| rand::thread_rng().gen::<u64>());
    eprintln!("crash test seed {seed} (AGORA_CRASH_SEED={seed} replays it)");
    let mut rng = StdRng::seed_from_u64(seed);
    marketplace(t).await;
    tax_rates(t).await;
    let (seller, shop) = seller_with_shop(t, "nora@example.com", "Nordlicht").await;
    let lamp = variant(t, &seller, &shop, "LAMP", PRICE, 1_000_000).await;
    let operator = t.login("operator@agora.test").await;
    let mut buyers = Vec::new();
    for i in 0..ROUNDS * BUYERS_PER_ROUND {
        let buyer = t.user(&format!("buyer{i}@example.com")).await;
        if i % 3 == 0 {
            fund_wallet(t, &buyer, FUNDED).await;
        }
        buyers.push(buyer);
    }
    let secret = agora_app::gateway::secret(&t.app).await.unwrap();
    let dir = t._dir.path().to_owned();
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    let mut settlements = Vec::new();
    for round in 0..ROUNDS {
        let node = Node::start(t.agora(&dir)).await;
        let burst = Arc::new(Burst {
            client: client.clone(),
            base: node.base.clone(),
            operator: operator.clone(),
            secret: secret.clone(),
            variant: lamp.clone(),
            settlements: Mutex::new(settlements.clone()),
        });
        let mut tasks = Vec::new();
        // Redeliver what earlier rounds may have lost, alongside the new purchases.
        for s in settlements.clone() {
            let burst = burst.clone();
            tasks.push(tokio::spawn(async move { burst.settle(&s).await }));
        }
        for (i, buyer) in buyers[round * BUYERS_PER_ROUND..(round + 1) * BUYERS_PER_ROUND]
            .iter()
            .enumerate()
        {
            let method = ["wallet", "card", "bank_transfer"][i % 3];
            let (burst, buyer, quantity) = (burst.clone(), buyer.clone(), rng.gen_range(1..=2));
            tasks.push(tokio::spawn(async move {
                burst.keep_buying(&buyer, method, quantity).await
            }));
        }
        let kill_after = Duration::from_millis(rng.gen_range(100..1500));
        tokio::time::sleep(kill_after).await;
        // Dropping the node kills it with SIGKILL, wherever it is.
        tokio::task::spawn_blocking(move || drop(node)).await.unwrap();
        for task in tasks {
            tokio::time::timeout(Duration::from_secs(30), task)
                .await
                .expect("a request ends once its node is gone")
                .unwrap();
        }
        settlements = burst.settlements.lock().unwrap().clone();
        eprintln!(
            "round {round}: killed after {} ms, {} settlements so far",
            kill_after.as_millis(),
            settlements.len()
        );
    }

    // The last restart: everything lost is sent again and the jobs run.
    let node = Node::start(t.agora(&dir)).await;
    let burst = Burst {
        client: client.clone(),
        base: node.base.clone(),
        operator: operator.clone(),
        secret,
        variant: lamp,
        settlements: Mutex::new(Vec::new()),
    };
    for s in &settlements {
        burst.settle(s).await;
    }
    jobs_settle(t, Duration::from_secs(15)).await;
    tokio::task::spawn_blocking(move || drop(node)).await.unwrap();

    let (code, text) = ledger_verify(t).await;
    assert_eq!(code, Some(0), "agora ledger verify after the crashes:\n{text}");
    assert!(text.contains("ledger balanced"), "{text}");
    check_orders_match_postings(t, &settlements).await;
}

/// Every order's state against the postings, by independent sums.
async fn check_orders_match_postings(t: &TestApp, settlements: &[Settlement]) {
    let mut conn = t.app.db.conn().await.unwrap();
    // Each payment: its status, method, amount and how many transactions received its money.
    let rows = sqlx::query(
        "SELECT p.id, p.status, p.method, p.amount, p.payer_account_id, p.purpose, \
         (SELECT COUNT(*) FROM ledger_transactions t WHERE t.reference = p.id \
          AND t.kind IN ('payment_received', 'top_up', 'wallet_payment')) \
         FROM payments p",
    )
    .fetch_all(&mut *conn)
    .await
    .unwrap();
    let mut card_in = 0;
    let mut bank_in = 0;
    let mut wallet_spent: HashMap<String, i64> = HashMap::new();
    let mut succeeded: HashMap<String, usize> = HashMap::new();
    let mut status_of: HashMap<String, String> = HashMap::new();
    for r in &rows {
        let (id, status, method): (String, String, String) = (r.get(0), r.get(1), r.get(2));
        let (amount, payer, purpose, receipts): (i64, String, String, i64) = (r.get(3), r.get(4), r.get(5), r.get(6));
        let expected = i64::from(status == "succeeded");
        assert_eq!(receipts, expected, "payment {id} is {status} with {receipts} receipts");
        if status == "succeeded" {
            *succeeded.entry(format!("{method} {purpose}")).or_default() += 1;
            match (method.as_str(), purpose.as_str()) {
                ("card", _) => card_in += amount,
                ("bank_transfer", _) => bank_in += amount,
                ("wallet", "order_group") => *wallet_spent.entry(payer).or_default() += amount,
                other => panic!("unexpected payment {other:?}"),
            }
        }
        status_of.insert(id, status);
    }
    // Every settlement the burst started (and redelivered) ended with the payment succeeded.
    for s in settlements {
        let id = match s {
            Settlement::Card { body } => serde_json::from_str::<Value>(body).unwrap()["data"]["payment_id"]
                .as_str()
                .unwrap()
                .to_owned(),
            Settlement::Transfer { payment, .. } => payment.clone(),
        };
        assert_eq!(status_of[&id], "succeeded", "payment {id} was settled and redelivered");
    }
    // The platform's clearing accounts hold exactly what came in.
    let balance = |kind: &str| {
        format!("SELECT CAST(COALESCE(SUM(balance), 0) AS BIGINT) FROM ledger_accounts WHERE kind = '{kind}'")
    };
    drop(conn);
    assert_eq!(number(t, &balance("gateway_clearing")).await, -card_in);
    // (The wallets' top-ups are bank-transfer payments too.)
    let funded = FUNDED * (((ROUNDS * BUYERS_PER_ROUND) as i64 + 2) / 3);
    assert!(bank_in >= funded, "{bank_in} came in by bank, {funded} of it top-ups");
    assert_eq!(number(t, &balance("bank_clearing")).await, -bank_in);
    assert_eq!(
        number(t, &balance("bank_suspense")).await,
        0,
        "no confirmation was taken twice"
    );
    // Every funded wallet holds its top-up less what it paid.
    let mut conn = t.app.db.conn().await.unwrap();
    let wallets = sqlx::query("SELECT owner_id, balance FROM ledger_accounts WHERE kind = 'wallet_available'")
        .fetch_all(&mut *conn)
        .await
        .unwrap();
    assert_eq!(wallets.len() as i64, funded / FUNDED);
    for w in &wallets {
        let (owner, balance): (String, i64) = (w.get(0), w.get(1));
        let spent = wallet_spent.get(&owner).copied().unwrap_or(0);
        assert_eq!(balance, FUNDED - spent, "the wallet of {owner}");
    }
    // Orders: paid exactly when their checkout's payment succeeded.
    let orders = sqlx::query(
        "SELECT o.id, o.status, o.payment_method, p.status FROM orders o \
         LEFT JOIN payments p ON p.group_id = o.group_id",
    )
    .fetch_all(&mut *conn)
    .await
    .unwrap();
    assert!(!orders.is_empty());
    for o in &orders {
        let (id, status, method, paid): (String, String, String, Option<String>) =
            (o.get(0), o.get(1), o.get(2), o.get(3));
        let expected = match paid.as_deref() {
            Some("succeeded") => "paid",
            _ => "pending_payment",
        };
        assert_eq!(status, expected, "order {id} by {method}, its payment {paid:?}");
    }
    eprintln!(
        "crash test: {} orders, {} payments, succeeded by method and purpose {succeeded:?}; ledger verified",
        orders.len(),
        rows.len(),
    );
}

db_test!(
    payments_survive_the_server_being_killed_in_a_burst,
    settings = agora_app::Settings {
        registrations_per_client: 1_000,
        ..agora_app::Settings::default()
    },
    |t| {
        tokio::time::timeout(Duration::from_secs(150), crash_rounds(&t))
            .await
            .expect("the crash test finishes within 150 s");
    }
);
