//! The ledger against a model: many random sequences of checkouts, payments by every method,
//! cancellations, shipping, receipts, auto-completion, refunds, top-ups and payouts. After every
//! step `ledger::verify` must pass and every balance (the buyer's wallet, the shop's available,
//! owed and in-transit money, each order's escrow, the platform's fees) and every order's status
//! must equal what an independent model in this file says. Steps the rules refuse must change
//! nothing. A failure names its seed; `AGORA_LEDGER_SEED` replays it and
//! `AGORA_LEDGER_SEQUENCES` / `AGORA_LEDGER_STEPS` run more.

use agora_app::payments::{self, Outcome, Settled};
use agora_core::ledger::{AccountKind, AccountRef};
use agora_core::money::Currency;
use agora_store::now_ms;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use reqwest::StatusCode;
use serde_json::json;

use crate::hostile::{marketplace, seller_with_shop};
use crate::order_jobs::run_jobs;
use crate::orders::{add, address, checkout, eur, tax_rates, variant};
use crate::payments::confirm_transfer;
use crate::payouts::{money, register_account};
use crate::support::{db_test, Reply, TestApp};

const DAY_MS: i64 = 24 * 60 * 60 * 1000;
/// The variant's price, VAT included; the platform's default commission is 5 %.
const PRICE: i64 = 1_000;
const FEE_BP: i64 = 500;
const MIN_PAYOUT: i64 = 1_000;

fn env_or(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn div_half_up(n: i64, d: i64) -> i64 {
    (2 * n + d) / (2 * d)
}

#[derive(Debug, Clone, PartialEq)]
struct Order {
    id: String,
    method: &'static str,
    status: &'static str,
    total: i64,
    fee: i64,
    escrow: i64,
    refunded: i64,
    fee_returned: i64,
    /// A card or bank transfer payment that was never paid (its order may be cancelled).
    unpaid_payment: bool,
}

#[derive(Debug, Clone, PartialEq, Default)]
struct Model {
    cart: i64,
    wallet: i64,
    available: i64,
    owed: i64,
    in_transit: i64,
    orders: Vec<Order>,
    /// Payouts requested and not yet marked sent: (id, amount).
    payouts: Vec<(String, i64, bool)>,
}

struct World<'a> {
    t: &'a TestApp,
    operator: String,
    buyer: String,
    buyer_id: String,
    seller: String,
    shop: String,
    lamp: String,
}

fn refused(r: &Reply) -> bool {
    matches!(r.status.as_u16(), 403 | 409 | 422)
}

fn ok_or_refused(r: &Reply, expect_ok: bool, what: &str) {
    if expect_ok {
        assert!(
            r.status.is_success(),
            "{what}: the model expected success: {} {}",
            r.status,
            r.text
        );
    } else {
        assert!(
            refused(r),
            "{what}: the model expected a refusal: {} {}",
            r.status,
            r.text
        );
    }
}

async fn balance(t: &TestApp, account: &AccountRef) -> i64 {
    let mut conn = t.app.db.conn().await.unwrap();
    agora_store::ledger::balance(&mut conn, account).await.unwrap()
}

/// Settles the pending payment of `order` as its method is paid (the gateway's success for a
/// card, the operator's confirmation of the exact amount for a bank transfer).
async fn settle(w: &World<'_>, order: &Order) -> bool {
    let mut conn = w.t.app.db.conn().await.unwrap();
    let row = agora_store::orders::by_id(&mut conn, &order.id)
        .await
        .unwrap()
        .expect("the order");
    drop(conn);
    let payment = payments::for_group(&w.t.app, &row.group_id)
        .await
        .unwrap()
        .expect("a payment for the checkout");
    match order.method {
        "card" => {
            let outcome = Outcome::Succeeded {
                provider_ref: format!("sandbox_{}", payment.summary.id),
                card_brand: Some("visa".into()),
                last4: Some("4242".into()),
                card_token: None,
            };
            let settled = payments::settle(&w.t.app, &payment.summary.id, outcome).await.unwrap();
            matches!(settled, Settled::Now(ref v) if v.summary.status.as_str() == "succeeded")
        }
        "bank_transfer" => {
            let r = confirm_transfer(w.t, &w.operator, &payment.summary.id, order.total, None).await;
            assert_eq!(r.status, StatusCode::OK, "{}", r.text);
            r.body["outcome"] == "settled"
        }
        other => panic!("{other} is not paid later"),
    }
}

/// Compares every balance and status with the model, and runs `ledger::verify`; returns the
/// ledger's transaction count.
async fn check(w: &World<'_>, m: &Model, fees: i64, ctx: &str) -> i64 {
    let v = agora_app::ledger::verify(&w.t.app).await.unwrap();
    assert!(v.balanced, "{ctx}: {:?}", v.problems);
    let eur = Currency::EUR;
    let wallet = balance(w.t, &AccountRef::new(AccountKind::WalletAvailable, &w.buyer_id, eur)).await;
    assert_eq!(wallet, m.wallet, "{ctx}: the buyer's wallet");
    assert_eq!(
        money(w.t, &w.shop).await,
        (m.available, m.owed, m.in_transit),
        "{ctx}: the shop's (available, owed, in transit)"
    );
    let platform = balance(w.t, &AccountRef::platform(AccountKind::PlatformFees, eur)).await;
    assert_eq!(platform, fees, "{ctx}: the platform's fees");
    let mut conn = w.t.app.db.conn().await.unwrap();
    for o in &m.orders {
        let escrow = agora_store::ledger::balance(&mut conn, &AccountRef::new(AccountKind::OrderEscrow, &o.id, eur))
            .await
            .unwrap();
        assert_eq!(escrow, o.escrow, "{ctx}: the escrow of {o:?}");
        let row = agora_store::orders::by_id(&mut conn, &o.id).await.unwrap().unwrap();
        assert_eq!(row.status, o.status, "{ctx}: the status of {o:?}");
    }
    v.transactions
}

#[derive(Debug, Clone, Copy)]
enum Op {
    Checkout(&'static str, i64),
    Pay(usize),
    Cancel(usize),
    Ship(usize),
    ConfirmReceipt(usize),
    CollectCash(usize),
    AutoComplete,
    Refund(usize, i64),
    TopUp(i64),
    Payout(i64),
    MarkSent(usize),
}

fn pick(rng: &mut StdRng, m: &Model) -> Op {
    let n = m.orders.len();
    // Mostly an order the step fits, sometimes any order (to see the rules refuse); when no
    // order fits, mostly another step.
    let target = |rng: &mut StdRng, fits: &dyn Fn(&Order) -> bool| {
        let fitting: Vec<usize> = (0..n).filter(|&i| fits(&m.orders[i])).collect();
        if fitting.is_empty() && rng.gen_bool(0.75) {
            None
        } else if !fitting.is_empty() && rng.gen_bool(0.8) {
            Some(fitting[rng.gen_range(0..fitting.len())])
        } else {
            Some(rng.gen_range(0..n.max(1)))
        }
    };
    let prepaid = |o: &Order| o.method != "cod";
    loop {
        let op = match rng.gen_range(0..100) {
            0..=19 => {
                let method = ["wallet", "card", "bank_transfer", "cod"][rng.gen_range(0..4)];
                Op::Checkout(method, rng.gen_range(1..=4))
            }
            20..=29 => match target(rng, &|o| o.status == "pending_payment") {
                Some(i) => Op::Pay(i),
                None => continue,
            },
            30..=37 => match target(rng, &|o| matches!(o.status, "paid" | "confirmed" | "pending_payment")) {
                Some(i) => Op::Cancel(i),
                None => continue,
            },
            38..=49 => match target(rng, &|o| matches!(o.status, "paid" | "confirmed")) {
                Some(i) => Op::Ship(i),
                None => continue,
            },
            50..=57 => match target(rng, &|o| o.status == "shipped" && prepaid(o)) {
                Some(i) => Op::ConfirmReceipt(i),
                None => continue,
            },
            58..=62 => match target(rng, &|o| o.status == "shipped" && !prepaid(o)) {
                Some(i) => Op::CollectCash(i),
                None => continue,
            },
            63..=66 => Op::AutoComplete,
            67..=79 => {
                let Some(i) = target(rng, &|o| {
                    matches!(o.status, "completed" | "partially_refunded" | "shipped")
                }) else {
                    continue;
                };
                let left = m.orders.get(i).map_or(1, |o| o.total - o.refunded);
                let amount = match rng.gen_range(0..4) {
                    0 => left,
                    1 => left + 1,
                    _ => rng.gen_range(1..=left.max(1)),
                };
                Op::Refund(i, amount.max(1))
            }
            80..=87 => Op::TopUp(rng.gen_range(1..=60) * 100),
            88..=94 => {
                let payable = (m.available - m.owed).max(0);
                if payable < MIN_PAYOUT && rng.gen_bool(0.75) {
                    continue;
                }
                let amount = match rng.gen_range(0..4) {
                    0 => MIN_PAYOUT - 1,
                    1 => payable + 1,
                    _ => rng.gen_range(MIN_PAYOUT..=payable.max(MIN_PAYOUT)),
                };
                Op::Payout(amount)
            }
            _ => Op::MarkSent(rng.gen_range(0..m.payouts.len().max(1))),
        };
        let needs_order = matches!(
            op,
            Op::Pay(_) | Op::Cancel(_) | Op::Ship(_) | Op::ConfirmReceipt(_) | Op::CollectCash(_) | Op::Refund(..)
        );
        if (needs_order && n == 0) || (matches!(op, Op::MarkSent(_)) && m.payouts.is_empty()) {
            continue;
        }
        return op;
    }
}

/// Runs `op` against the app and the model; returns whether the app refused it.
async fn step(w: &World<'_>, m: &mut Model, fees: &mut i64, op: Op) -> bool {
    let t = w.t;
    match op {
        Op::Checkout(method, qty) => {
            add(t, &w.buyer, &w.lamp, qty).await;
            m.cart += qty;
            let r = checkout(
                t,
                &w.buyer,
                json!({"shipping_address": address("DE"), "payment_method": method}),
            )
            .await;
            let total = m.cart * PRICE;
            if method == "wallet" && m.wallet < total {
                assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text);
                assert_eq!(r.problem_type(), "/problems/insufficient-funds", "{}", r.text);
                return true;
            }
            assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
            let orders = r.body["orders"].as_array().unwrap();
            assert_eq!(orders.len(), 1, "{}", r.text);
            assert_eq!(orders[0]["total"]["amount"], total, "{}", r.text);
            let (status, escrow) = match method {
                "wallet" => {
                    m.wallet -= total;
                    ("paid", total)
                }
                "cod" => ("confirmed", 0),
                _ => ("pending_payment", 0),
            };
            m.orders.push(Order {
                id: orders[0]["id"].as_str().unwrap().to_owned(),
                method,
                status,
                total,
                fee: div_half_up(total * FEE_BP, 10_000),
                escrow,
                refunded: 0,
                fee_returned: 0,
                unpaid_payment: matches!(method, "card" | "bank_transfer"),
            });
            m.cart = 0;
            false
        }
        Op::Pay(i) => {
            let o = m.orders[i].clone();
            if o.status == "cancelled" && o.unpaid_payment {
                // The money arrives after the order stopped waiting: it goes to the payer's
                // wallet, never lost (a transfer for a payment that no longer waits is held in
                // suspense for an operator instead).
                if settle(w, &o).await {
                    m.wallet += o.total;
                }
                m.orders[i].unpaid_payment = false;
                return false;
            }
            if o.status != "pending_payment" {
                // Nothing to pay: the rules are exercised through the other steps.
                return true;
            }
            assert!(settle(w, &o).await, "paying {o:?}");
            let o = &mut m.orders[i];
            o.unpaid_payment = false;
            o.status = "paid";
            o.escrow = o.total;
            false
        }
        Op::Cancel(i) => {
            let id = m.orders[i].id.clone();
            let r = t
                .post(&format!("/api/v1/orders/{id}/cancel"), Some(&w.buyer), json!({}))
                .await;
            let o = &mut m.orders[i];
            let allowed = matches!(o.status, "pending_payment" | "paid" | "confirmed");
            ok_or_refused(&r, allowed, &format!("cancel {o:?}"));
            if !allowed {
                return true;
            }
            if o.status == "paid" && o.method != "card" {
                m.wallet += o.escrow;
            }
            o.escrow = 0;
            o.status = "cancelled";
            false
        }
        Op::Ship(i) => {
            let id = m.orders[i].id.clone();
            let r = t
                .post(
                    &format!("/api/v1/orders/{id}/ship"),
                    Some(&w.seller),
                    json!({"carrier": "DHL", "tracking_number": "1"}),
                )
                .await;
            let o = &mut m.orders[i];
            let allowed = matches!(o.status, "paid" | "confirmed");
            ok_or_refused(&r, allowed, &format!("ship {o:?}"));
            if allowed {
                o.status = "shipped";
            }
            !allowed
        }
        Op::ConfirmReceipt(i) => {
            let id = m.orders[i].id.clone();
            let r = t
                .post(
                    &format!("/api/v1/orders/{id}/confirm-receipt"),
                    Some(&w.buyer),
                    json!({}),
                )
                .await;
            let o = &mut m.orders[i];
            let allowed = o.status == "shipped" && o.method != "cod";
            ok_or_refused(&r, allowed, &format!("confirm receipt of {o:?}"));
            if allowed {
                release(o, &mut m.available, fees);
            }
            !allowed
        }
        Op::CollectCash(i) => {
            let id = m.orders[i].id.clone();
            let r = t
                .post(&format!("/api/v1/orders/{id}/collect-cash"), Some(&w.seller), json!({}))
                .await;
            let o = &mut m.orders[i];
            let allowed = o.status == "shipped" && o.method == "cod";
            ok_or_refused(&r, allowed, &format!("collect cash of {o:?}"));
            if allowed {
                o.status = "completed";
                m.owed += o.fee;
                *fees += o.fee;
            }
            !allowed
        }
        Op::AutoComplete => {
            run_jobs(&t.app, now_ms() + 11 * DAY_MS).await;
            let mut conn = t.app.db.conn().await.unwrap();
            for o in &mut m.orders {
                if o.status == "shipped" && o.method != "cod" {
                    release(o, &mut m.available, fees);
                } else if o.status == "pending_payment" {
                    // An unpaid order's reservation expires: nothing was paid, nothing moves.
                    let row = agora_store::orders::by_id(&mut conn, &o.id).await.unwrap().unwrap();
                    if row.status == "cancelled" {
                        o.status = "cancelled";
                    }
                }
            }
            false
        }
        Op::Refund(i, amount) => {
            let id = m.orders[i].id.clone();
            let r = t
                .post(
                    &format!("/api/v1/orders/{id}/refunds"),
                    Some(&w.seller),
                    json!({"amount": eur(amount), "reason": "model"}),
                )
                .await;
            let o = &mut m.orders[i];
            let left = o.total - o.refunded;
            let full = amount == left;
            let (allowed, from_shop, fee_back) = match o.status {
                "shipped" if o.method != "cod" => (full, 0, 0),
                "completed" | "partially_refunded" if amount <= left => {
                    let fee_back = if full {
                        o.fee - o.fee_returned
                    } else {
                        div_half_up(o.fee * amount, o.total).clamp(0, o.fee - o.fee_returned)
                    };
                    let from_shop = amount - fee_back;
                    (m.available >= from_shop, from_shop, fee_back)
                }
                _ => (false, 0, 0),
            };
            ok_or_refused(&r, allowed, &format!("refund {amount} of {o:?}"));
            if !allowed {
                return true;
            }
            o.escrow -= amount - from_shop - fee_back;
            m.available -= from_shop;
            *fees -= fee_back;
            o.fee_returned += fee_back;
            o.refunded += amount;
            if o.method != "card" {
                m.wallet += amount;
            }
            o.status = if o.refunded == o.total {
                "refunded"
            } else {
                "partially_refunded"
            };
            false
        }
        Op::TopUp(cents) => {
            let r = t
                .post(
                    "/api/v1/wallet/top-ups",
                    Some(&w.buyer),
                    json!({"amount": eur(cents), "method": "bank_transfer"}),
                )
                .await;
            assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
            let id = r.body["payment"]["id"].as_str().unwrap();
            let r = confirm_transfer(t, &w.operator, id, cents, None).await;
            assert_eq!(r.status, StatusCode::OK, "{}", r.text);
            assert_eq!(r.body["outcome"], "settled", "{}", r.text);
            m.wallet += cents;
            false
        }
        Op::Payout(cents) => {
            let r = t
                .post(
                    &format!("/api/v1/shops/{}/payouts", w.shop),
                    Some(&w.seller),
                    json!({"amount": eur(cents)}),
                )
                .await;
            let allowed = cents >= MIN_PAYOUT && cents <= m.available - m.owed;
            ok_or_refused(&r, allowed, &format!("payout of {cents} from {m:?}"));
            if !allowed {
                return true;
            }
            if m.owed > 0 {
                assert_eq!(r.body["owed_settled"], eur(m.owed), "{}", r.text);
            }
            m.available -= cents + m.owed;
            m.owed = 0;
            m.in_transit += cents;
            m.payouts
                .push((r.body["id"].as_str().unwrap().to_owned(), cents, false));
            false
        }
        Op::MarkSent(i) => {
            let (id, cents, sent) = m.payouts[i].clone();
            let r = t
                .post(
                    &format!("/api/v1/admin/payouts/{id}/mark-sent"),
                    Some(&w.operator),
                    json!({}),
                )
                .await;
            ok_or_refused(&r, !sent, &format!("mark payout {id} sent"));
            if sent {
                return true;
            }
            m.in_transit -= cents;
            m.payouts[i].2 = true;
            false
        }
    }
}

/// A prepaid order completes: its escrow goes to the shop less the fee.
fn release(o: &mut Order, available: &mut i64, fees: &mut i64) {
    *available += o.escrow - o.fee;
    *fees += o.fee;
    o.escrow = 0;
    o.status = "completed";
}

db_test!(
    random_operations_keep_the_ledger_equal_to_the_model,
    settings = agora_app::Settings {
        // Every sequence registers a buyer and a seller of its own.
        registrations_per_client: 1_000_000,
        ..Default::default()
    },
    |t| {
        marketplace(&t).await;
        tax_rates(&t).await;
        let operator = t.login("operator@agora.test").await;
        let sequences = env_or("AGORA_LEDGER_SEQUENCES", 30);
        let steps = env_or("AGORA_LEDGER_STEPS", 40);
        let base = env_or("AGORA_LEDGER_SEED", rand::random::<u32>().into());
        let mut fees = 0;
        let (mut ops, mut refusals) = (0u64, 0u64);
        let mut kinds: std::collections::BTreeMap<String, (u64, u64)> = Default::default();
        for s in 0..sequences {
            let seed = base + s;
            eprintln!("ledger model: sequence {s} seed {seed} (replay with AGORA_LEDGER_SEED={seed})");
            let mut rng = StdRng::seed_from_u64(seed);
            let (seller, shop) = seller_with_shop(&t, &format!("seller{s}@example.com"), &format!("Shop {s}")).await;
            assert_eq!(register_account(&t, &seller, &shop).await.status, StatusCode::OK);
            let lamp = variant(&t, &seller, &shop, &format!("LAMP{s}"), PRICE, 100_000).await;
            let buyer = t.user(&format!("buyer{s}@example.com")).await;
            let buyer_id = t.get("/api/v1/me", Some(&buyer)).await.body["id"]
                .as_str()
                .unwrap()
                .to_owned();
            let w = World {
                t: &t,
                operator: operator.clone(),
                buyer,
                buyer_id,
                seller,
                shop,
                lamp,
            };
            let mut m = Model::default();
            let mut transactions = check(&w, &m, fees, "start").await;
            for n in 0..steps {
                let op = pick(&mut rng, &m);
                let before = m.clone();
                let ctx = format!("seed {seed}, step {n}: {op:?}");
                let was_refused = step(&w, &mut m, &mut fees, op).await;
                ops += 1;
                let name = format!("{op:?}");
                let name = name.split('(').next().unwrap_or_default().to_owned();
                let e = kinds.entry(name).or_insert((0, 0));
                if was_refused {
                    e.1 += 1;
                } else {
                    e.0 += 1;
                }
                let now = check(&w, &m, fees, &ctx).await;
                if was_refused {
                    refusals += 1;
                    let mut expected = before;
                    expected.cart = m.cart;
                    assert_eq!(m, expected, "{ctx}: a refusal changed the model");
                    assert_eq!(now, transactions, "{ctx}: a refused step posted to the ledger");
                }
                transactions = now;
            }
            // The jobs of later sequences would complete this shop's shipped orders: finish them here.
            step(&w, &mut m, &mut fees, Op::AutoComplete).await;
            ops += 1;
            check(&w, &m, fees, &format!("seed {seed}, the final auto-completion")).await;
            assert!(
                m.orders.iter().all(|o| o.status != "shipped" || o.method == "cod"),
                "{m:?}"
            );
        }
        println!("ledger model: {ops} operations in {sequences} sequences ({refusals} refused), base seed {base}");
        println!("ledger model: (done, refused) per operation: {kinds:?}");
    }
);
