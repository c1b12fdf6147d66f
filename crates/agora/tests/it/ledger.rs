//! The ledger under load and under attack: concurrent payments never overdraw a wallet, and
//! `agora ledger verify` (and its endpoint) names a tampered balance or an unbalanced posting.

use agora_core::ledger::rules::{self, RefundRoute};
use agora_core::money::{Currency, Money};
use reqwest::StatusCode;

use crate::hostile::marketplace;
use crate::payments::{fund_wallet, wallet_eur};
use crate::support::{db_test, Engine, TestApp};

fn eur(minor: i64) -> Money {
    Money::new(minor, Currency::EUR)
}

db_test!(
    twenty_concurrent_wallet_payments_against_a_wallet_for_ten_pay_exactly_ten,
    |t| {
        marketplace(&t).await;
        let bea = t.user("bea@example.com").await;
        let bea_id = t.account_id(&bea).await;
        fund_wallet(&t, &bea, 10_000).await;
        let tasks = (0..20).map(|i| {
            let (app, payer) = (t.app.clone(), bea_id.clone());
            tokio::spawn(async move {
                let orders = vec![(format!("ord_race_{i}"), eur(1_000))];
                let posting = rules::pay_from_wallet(&format!("pay_race_{i}"), &payer, &orders).unwrap();
                let mut tx = app.db.begin().await?;
                agora_app::ledger::post(&mut tx, &posting).await?;
                tx.commit().await?;
                Ok::<_, agora_app::AppError>(i)
            })
        });
        let results: Vec<_> = futures::future::join_all(tasks)
            .await
            .into_iter()
            .map(|r| r.unwrap())
            .collect();
        let paid: Vec<usize> = results.iter().filter_map(|r| r.as_ref().ok().copied()).collect();
        for r in &results {
            if let Err(e) = r {
                assert!(
                    matches!(
                        e,
                        agora_app::AppError::Conflict {
                            kind: agora_app::ConflictKind::InsufficientFunds,
                            ..
                        }
                    ),
                    "{e:?}"
                );
            }
        }
        assert_eq!(paid.len(), 10, "{results:?}");
        assert_eq!(wallet_eur(&t, &bea).await, 0);
        // Give the test escrow back, so that the ledger ends as it began.
        for i in paid {
            let back =
                rules::refund_escrow(&format!("ord_race_{i}"), eur(1_000), RefundRoute::Wallet(&bea_id)).unwrap();
            let mut tx = t.app.db.begin().await.unwrap();
            agora_app::ledger::post(&mut tx, &back).await.unwrap();
            tx.commit().await.unwrap();
        }
        assert_eq!(wallet_eur(&t, &bea).await, 10_000);
    }
);

async fn tampered_ledger_is_named(engine: Engine) {
    let t = TestApp::spawn(engine).await;
    marketplace(&t).await;
    let bea = t.user("bea@example.com").await;
    let bea_id = t.account_id(&bea).await;
    fund_wallet(&t, &bea, 2_500).await;
    let operator = t.login("operator@agora.test").await;
    let data = tempfile::tempdir().unwrap();
    let verify = || t.agora(data.path()).args(["ledger", "verify"]).output().unwrap();
    let out = verify();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success(), "{text}");
    assert!(text.contains("ledger balanced: 2 accounts, 1 transactions"), "{text}");

    // Somebody adds a cent to the wallet's stored balance.
    let wallet = format!("wallet_available:{bea_id}:EUR");
    t.sql(&format!(
        "UPDATE ledger_accounts SET balance = balance + 1 WHERE id = '{wallet}'"
    ))
    .await;
    let r = t.get("/api/v1/admin/ledger/verify", Some(&operator)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["balanced"], false, "{}", r.text);
    let first = r.body["problems"][0].as_str().unwrap();
    assert!(
        first.contains(&wallet) && first.contains("2501") && first.contains("2500"),
        "{first}"
    );
    let out = verify();
    assert_eq!(out.status.code(), Some(2));
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(text.starts_with(&format!("ledger BROKEN: account {wallet}")), "{text}");

    // Postings cannot be edited or deleted, only added: an added one unbalances its transaction.
    t.sql(&format!(
        "UPDATE ledger_accounts SET balance = balance - 1 WHERE id = '{wallet}'"
    ))
    .await;
    let db = agora_store::Db::connect(&t.database_url, t.schema.as_deref())
        .await
        .unwrap();
    let mut conn = db.conn().await.unwrap();
    let edit = agora_store::raw_execute(&mut conn, "UPDATE ledger_postings SET amount = amount * 2").await;
    assert!(edit.is_err(), "postings are append-only");
    let delete = agora_store::raw_execute(&mut conn, "DELETE FROM ledger_postings").await;
    assert!(delete.is_err(), "postings are append-only");
    drop(conn);
    db.close().await;
    t.sql(&format!(
        "INSERT INTO ledger_postings (transaction_id, account_id, amount, created_at) \
         SELECT transaction_id, account_id, 7, created_at FROM ledger_postings WHERE account_id = '{wallet}'"
    ))
    .await;
    let r = t.get("/api/v1/admin/ledger/verify", Some(&operator)).await;
    let problems = r.body["problems"].as_array().unwrap();
    assert!(
        problems[0].as_str().unwrap().contains("sum to 7, not zero"),
        "{}",
        r.text
    );
    assert!(
        problems.iter().any(|p| p
            .as_str()
            .unwrap()
            .contains("stored balance 2500 but its postings sum to 2507")),
        "{}",
        r.text
    );
    assert_eq!(verify().status.code(), Some(2));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verify_names_a_tampered_balance_and_an_unbalanced_posting_sqlite() {
    tampered_ledger_is_named(Engine::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(not(agora_pg), ignore = "set AGORA_TEST_POSTGRES_URL to run on PostgreSQL")]
async fn verify_names_a_tampered_balance_and_an_unbalanced_posting_postgres() {
    tampered_ledger_is_named(Engine::Postgres).await;
}

#[test]
fn ledger_verify_explains_itself() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_agora"))
        .args(["ledger", "verify", "--help"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("Recompute every balance"), "{text}");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_agora"))
        .arg("--help")
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains("ledger"));
}
