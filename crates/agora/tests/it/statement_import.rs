//! Bank statements imported by an operator (the finance page's upload, or
//! `agora payments import-statement` beside a live node): each transfer matched by its reference
//! as an operator's confirmation matches it, every unmatched one held for review, a second import
//! moving nothing, and a bad file changing nothing.

use std::process::{Command, Output, Stdio};
use std::time::Duration;

use reqwest::StatusCode;
use sqlx::Row;

use crate::nodes::Node;
use crate::orders::add;
use crate::payments::{ledger, pay_with, status_of, two_shops, wallet_eur};
use crate::support::{db_test, read, Reply, TestApp};

const CSRF: &str = "ttttttttttttttttttttttttttttttttttttttttttt";

/// Uploads `csv` on the operator's finance page as the account with `token`.
async fn upload(t: &TestApp, token: &str, csv: &str) -> Reply {
    let form = reqwest::multipart::Form::new().text("csrf", CSRF).part(
        "file",
        reqwest::multipart::Part::bytes(csv.as_bytes().to_vec()).file_name("statement.csv"),
    );
    let req = t
        .client
        .post(t.url("/admin/finance/statements"))
        .header("cookie", format!("agora_session={token}; agora_csrf={CSRF}"))
        .multipart(form);
    read(req.send().await.unwrap()).await
}

/// A bank-transfer checkout of one unit of `variant` (10.00): `(order, payment, reference)`.
async fn transfer_checkout(t: &TestApp, buyer: &str, variant: &str) -> (String, String, String) {
    add(t, buyer, variant, 1).await;
    let r = pay_with(t, buyer, "bank_transfer").await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    (
        r.body["orders"][0]["id"].as_str().unwrap().to_owned(),
        r.body["payment"]["id"].as_str().unwrap().to_owned(),
        r.body["payment"]["reference"].as_str().unwrap().to_owned(),
    )
}

async fn number(t: &TestApp, sql: &str) -> i64 {
    let mut conn = t.app.db.conn().await.unwrap();
    sqlx::query(sql).fetch_one(&mut *conn).await.unwrap().get::<i64, _>(0)
}

/// What the platform's bank account received (its clearing account runs below zero by it).
async fn bank_received(t: &TestApp) -> i64 {
    -number(
        t,
        "SELECT CAST(COALESCE(SUM(balance), 0) AS BIGINT) FROM ledger_accounts WHERE kind = 'bank_clearing'",
    )
    .await
}

/// What the suspense accounts of statement lines that matched no payment hold.
async fn unmatched_held(t: &TestApp) -> i64 {
    number(
        t,
        "SELECT CAST(COALESCE(SUM(balance), 0) AS BIGINT) FROM ledger_accounts \
         WHERE kind = 'bank_suspense' AND owner_id LIKE 'stl%'",
    )
    .await
}

async fn in_suspense(t: &TestApp, operator: &str, payment: &str) -> i64 {
    let r = t.get(&format!("/api/v1/payments/{payment}"), Some(operator)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    r.body["in_suspense"]["amount"].as_i64().unwrap()
}

/// The `data-outcome` of each row of the page's result table, in order, with `+` for a line
/// imported before.
fn outcomes(page: &str) -> Vec<String> {
    page.split("<tr data-outcome=\"")
        .skip(1)
        .map(|rest| {
            let (outcome, after) = rest.split_once('"').unwrap();
            let already = after.starts_with(" data-already=\"true\"");
            format!("{outcome}{}", if already { "+" } else { "" })
        })
        .collect()
}

db_test!(
    an_imported_statement_pays_exact_transfers_and_holds_every_other_one,
    |t| {
        let (bea, shops) = two_shops(&t).await;
        let operator = t.login("operator@agora.test").await;
        let exact = transfer_checkout(&t, &bea, &shops[0].2).await;
        let short = transfer_checkout(&t, &bea, &shops[1].2).await;
        let excess = transfer_checkout(&t, &bea, &shops[0].2).await;
        // The reference as a person types it in a remittance text: lower case, spaces.
        let typed = exact.2.to_lowercase().replace('-', " ");
        let csv = format!(
            "date,amount,currency,reference,counterparty,id\n\
             2026-11-30,10.00,EUR,Order {typed} thanks,Bea,T1\n\
             2026-11-30,6.00,EUR,{},Bea,T2\n\
             2026-11-30,12.00,EUR,{},Bea,T3\n\
             2026-11-30,7.00,EUR,AG-2222-2222,Someone,T4\n\
             2026-12-01,3.00,EUR,Invoice 77,,\n",
            short.2, excess.2
        );
        let before = ledger(&t).await["transactions"].as_i64().unwrap();

        let r = upload(&t, &operator, &csv).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        assert_eq!(
            outcomes(&r.text),
            [
                "settled",
                "held_in_suspense",
                "held_in_suspense",
                "unmatched",
                "unmatched"
            ],
            "{}",
            r.text
        );
        assert!(
            r.text.contains("1 settled, 2 held in suspense, 2 unmatched"),
            "{}",
            r.text
        );
        assert!(
            r.text.contains("no payment has the reference AG-2222-2222"),
            "{}",
            r.text
        );
        assert_eq!(status_of(&t, &bea, &exact.0).await, "paid");
        assert_eq!(status_of(&t, &bea, &short.0).await, "pending_payment");
        assert_eq!(status_of(&t, &bea, &excess.0).await, "pending_payment");
        assert_eq!(in_suspense(&t, &operator, &exact.1).await, 0);
        assert_eq!(in_suspense(&t, &operator, &short.1).await, 600);
        assert_eq!(in_suspense(&t, &operator, &excess.1).await, 1200);
        assert_eq!(
            unmatched_held(&t).await,
            1000,
            "the unknown transfers are kept, not lost"
        );
        assert_eq!(bank_received(&t).await, 1000 + 600 + 1200 + 700 + 300);
        let page = crate::page_session::get(&t, "/admin/finance", &operator).await;
        assert!(
            page.text.contains("id=\"unmatched-lines\"") && page.text.contains("Invoice 77"),
            "the finance page lists what waits for review: {}",
            page.text
        );
        let after = ledger(&t).await["transactions"].as_i64().unwrap();
        assert_eq!(after, before + 5, "one transaction per line");

        // The same statement again: every line was imported before, nothing moves.
        let r = upload(&t, &operator, &csv).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        assert_eq!(
            outcomes(&r.text),
            [
                "settled+",
                "held_in_suspense+",
                "held_in_suspense+",
                "unmatched+",
                "unmatched+"
            ],
            "{}",
            r.text
        );
        assert_eq!(ledger(&t).await["transactions"].as_i64().unwrap(), after);
        assert_eq!(bank_received(&t).await, 3800);
        assert_eq!(in_suspense(&t, &operator, &short.1).await, 600);

        // The rest of the short payment on the next statement settles it with what suspense holds.
        let next = format!("date,amount,currency,reference\n2026-12-02,4.00,EUR,{}\n", short.2);
        let r = upload(&t, &operator, &next).await;
        assert_eq!(outcomes(&r.text), ["settled"], "{}", r.text);
        assert_eq!(status_of(&t, &bea, &short.0).await, "paid");
        assert_eq!(in_suspense(&t, &operator, &short.1).await, 0);

        // Only operators import statements.
        let r = upload(&t, &bea, &next.replace("4.00", "5.00")).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text);
        let seller = &shops[0].0;
        let r = upload(&t, seller, &next.replace("4.00", "5.00")).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text);
        assert_eq!(ledger(&t).await["transactions"].as_i64().unwrap(), after + 1);
    }
);

db_test!(a_statement_tops_up_a_wallet_and_a_wrong_currency_is_held, |t| {
    let (bea, _) = two_shops(&t).await;
    let operator = t.login("operator@agora.test").await;
    let r = t
        .post(
            "/api/v1/wallet/top-ups",
            Some(&bea),
            serde_json::json!({"amount": {"amount": 2500, "currency": "EUR"}, "method": "bank_transfer"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let reference = r.body["payment"]["reference"].as_str().unwrap().to_owned();
    let csv =
        format!("Reference,Currency,Amount,Date\n{reference},USD,25.00,2026-11-30\n{reference},EUR,25.00,2026-11-30\n");
    let r = upload(&t, &operator, &csv).await;
    assert_eq!(outcomes(&r.text), ["unmatched", "settled"], "{}", r.text);
    assert!(r.text.contains("is in EUR"), "{}", r.text);
    assert_eq!(wallet_eur(&t, &bea).await, 2500);
    let usd = number(
        &t,
        "SELECT CAST(COALESCE(SUM(balance), 0) AS BIGINT) FROM ledger_accounts \
         WHERE kind = 'bank_suspense' AND owner_id LIKE 'stl%' AND currency = 'USD'",
    )
    .await;
    assert_eq!(usd, 2500);
});

db_test!(a_bad_statement_changes_nothing_and_names_its_lines, |t| {
    let (bea, shops) = two_shops(&t).await;
    let operator = t.login("operator@agora.test").await;
    let (order, payment, reference) = transfer_checkout(&t, &bea, &shops[0].2).await;
    let before = ledger(&t).await["transactions"].as_i64().unwrap();
    let csv = format!(
        "date,amount,currency,reference\n\
         2026-11-30,10.00,EUR,{reference}\n\
         2026-11-30,10,EUR,{reference}\n\
         2026-11-30,1.00,XXX,{reference}\n\
         2026-13-01,1.00,EUR,{reference}\n"
    );
    let r = upload(&t, &operator, &csv).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    for expected in [
        "line 3: amount",
        "line 4: currency",
        "line 5: date",
        "Nothing was recorded",
    ] {
        assert!(r.text.contains(expected), "{expected}: {}", r.text);
    }
    let missing = upload(&t, &operator, "date,amount,reference\n2026-11-30,10.00,x\n").await;
    assert_eq!(missing.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", missing.text);
    assert!(
        missing.text.contains("the column &quot;currency&quot; is missing")
            || missing.text.contains("the column &#34;currency&#34; is missing"),
        "{}",
        missing.text
    );
    let empty = upload(&t, &operator, "").await;
    assert_eq!(empty.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", empty.text);
    assert!(empty.text.contains("Choose the statement file"), "{}", empty.text);

    assert_eq!(status_of(&t, &bea, &order).await, "pending_payment");
    assert_eq!(in_suspense(&t, &operator, &payment).await, 0);
    assert_eq!(ledger(&t).await["transactions"].as_i64().unwrap(), before);
    assert_eq!(number(&t, "SELECT COUNT(*) FROM bank_statement_lines").await, 0);
});

/// Runs a command line to its end (at most two minutes).
async fn run(mut cmd: Command) -> Output {
    cmd.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped());
    let child = cmd.spawn().expect("agora starts");
    let id = child.id();
    let waited = tokio::time::timeout(
        Duration::from_secs(120),
        tokio::task::spawn_blocking(move || child.wait_with_output()),
    )
    .await;
    match waited {
        Ok(out) => out.unwrap().unwrap(),
        Err(_) => {
            let _ = Command::new("kill").args(["-9", &id.to_string()]).status();
            panic!("the command did not finish within two minutes");
        }
    }
}

db_test!(the_command_line_imports_a_statement_beside_a_live_node, |t| {
    let (bea, shops) = two_shops(&t).await;
    let (order, _, reference) = transfer_checkout(&t, &bea, &shops[0].2).await;
    let dir = t._dir.path();
    let node = Node::start(t.agora(dir)).await;
    let file = dir.join("statement.csv");
    std::fs::write(
        &file,
        format!("date,amount,currency,reference,id\n2026-11-30,10.00,EUR,{reference},B-1\n2026-11-30,1.50,EUR,nothing,B-2\n"),
    )
    .unwrap();
    let mut cmd = t.agora(dir);
    cmd.args(["payments", "import-statement"]).arg(&file);
    let out = run(cmd).await;
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success(), "{stdout}{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains("line 2: settled"), "{stdout}");
    assert!(stdout.contains("line 3: unmatched"), "{stdout}");
    assert!(
        stdout.contains("1 settled, 0 held in suspense, 1 unmatched"),
        "{stdout}"
    );
    // The live node serves the order as paid.
    let r = t
        .client
        .get(format!("{}/api/v1/orders/{order}", node.base))
        .bearer_auth(&bea)
        .send()
        .await
        .unwrap();
    assert_eq!(read(r).await.body["status"], "paid");
    let after = ledger(&t).await["transactions"].as_i64().unwrap();

    // Again: nothing moves.
    let mut cmd = t.agora(dir);
    cmd.args(["payments", "import-statement"]).arg(&file);
    let out = run(cmd).await;
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success(), "{stdout}");
    assert!(stdout.contains("2 imported before"), "{stdout}");
    assert_eq!(ledger(&t).await["transactions"].as_i64().unwrap(), after);

    // A bad file: exit 2, its lines named, nothing recorded.
    std::fs::write(&file, "date,amount,currency,reference\n2026-11-30,1.5,EUR,x\n").unwrap();
    let mut cmd = t.agora(dir);
    cmd.args(["payments", "import-statement"]).arg(&file);
    let out = run(cmd).await;
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("line 2: amount \"1.5\""), "{stderr}");
    assert!(stderr.contains("nothing was imported"), "{stderr}");
    assert_eq!(ledger(&t).await["transactions"].as_i64().unwrap(), after);
    drop(node);
});

async fn post_statement(t: &TestApp, token: &str, csv: &str) -> Reply {
    let req = t
        .client
        .post(t.url("/api/v1/admin/bank-statements"))
        .bearer_auth(token)
        .header("content-type", "text/csv")
        .body(csv.to_owned());
    read(req.send().await.unwrap()).await
}

db_test!(operators_import_a_statement_through_the_api, |t| {
    let (bea, shops) = two_shops(&t).await;
    let operator = t.login("operator@agora.test").await;
    let (order, payment, reference) = transfer_checkout(&t, &bea, &shops[0].2).await;
    let before = ledger(&t).await["transactions"].as_i64().unwrap();

    let bad = format!("date,amount,currency,reference\n2026-11-30,10.00,EUR,{reference}\n2026-11-30,-1.00,EUR,x\n");
    let r = post_statement(&t, &operator, &bad).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert_eq!(r.content_type(), "application/problem+json");
    assert_eq!(r.body["errors"][0]["field"], "line 3", "{}", r.text);
    assert!(
        r.body["errors"][0]["message"].as_str().unwrap().contains("below zero"),
        "{}",
        r.text
    );
    let good = format!("date,amount,currency,reference\n2026-11-30,10.00,EUR,{reference}\n");
    let r = post_statement(&t, &bea, &good).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text);
    assert_eq!(r.problem_type(), "/problems/forbidden");
    assert_eq!(status_of(&t, &bea, &order).await, "pending_payment");
    assert_eq!(ledger(&t).await["transactions"].as_i64().unwrap(), before);

    let r = post_statement(&t, &operator, &good).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["lines"][0]["outcome"], "settled", "{}", r.text);
    assert_eq!(r.body["lines"][0]["payment_id"], payment.as_str());
    assert_eq!(r.body["lines"][0]["already_imported"], false);
    assert_eq!(status_of(&t, &bea, &order).await, "paid");
    let r = post_statement(&t, &operator, &good).await;
    assert_eq!(r.body["lines"][0]["already_imported"], true, "{}", r.text);
    assert_eq!(ledger(&t).await["transactions"].as_i64().unwrap(), before + 1);
});

db_test!(
    the_same_statement_imported_five_times_at_once_moves_its_money_once,
    |t| {
        let (bea, shops) = two_shops(&t).await;
        let operator = t.login("operator@agora.test").await;
        let exact = transfer_checkout(&t, &bea, &shops[0].2).await;
        let short = transfer_checkout(&t, &bea, &shops[1].2).await;
        let csv = format!(
            "date,amount,currency,reference\n\
         2026-11-30,10.00,EUR,{}\n\
         2026-11-30,4.00,EUR,{}\n\
         2026-11-30,7.00,EUR,AG-2222-2222\n\
         2026-11-30,2.00,EUR,no reference\n",
            exact.2, short.2
        );
        let before = ledger(&t).await["transactions"].as_i64().unwrap();
        let imports = (0..5).map(|_| post_statement(&t, &operator, &csv));
        let replies = futures::future::join_all(imports).await;
        // Each line moved money in exactly one of the imports; the others found it imported.
        let mut moved = [0; 4];
        for r in &replies {
            assert_eq!(r.status, StatusCode::OK, "{}", r.text);
            for (i, line) in r.body["lines"].as_array().unwrap().iter().enumerate() {
                moved[i] += usize::from(line["already_imported"] == false);
            }
        }
        assert_eq!(moved, [1, 1, 1, 1], "{replies:?}");
        assert_eq!(ledger(&t).await["transactions"].as_i64().unwrap(), before + 4);
        assert_eq!(bank_received(&t).await, 1000 + 400 + 700 + 200);
        assert_eq!(status_of(&t, &bea, &exact.0).await, "paid");
        assert_eq!(in_suspense(&t, &operator, &short.1).await, 400);
        assert_eq!(unmatched_held(&t).await, 900);
        assert_eq!(number(&t, "SELECT COUNT(*) FROM bank_statement_lines").await, 4);
    }
);

/// The id of the unmatched statement line whose reference text is `text`.
async fn line_with(t: &TestApp, text: &str) -> String {
    let mut conn = t.app.db.conn().await.unwrap();
    sqlx::query("SELECT id FROM bank_statement_lines WHERE reference = $1")
        .bind(text)
        .fetch_one(&mut *conn)
        .await
        .unwrap()
        .get::<String, _>(0)
}

db_test!(an_operator_matches_a_transfer_held_for_review_to_its_payment, |t| {
    let (bea, shops) = two_shops(&t).await;
    let operator = t.login("operator@agora.test").await;
    let (order, payment, reference) = transfer_checkout(&t, &bea, &shops[0].2).await;
    let csv = "date,amount,currency,reference\n2026-11-30,6.00,EUR,for my lamp\n2026-11-30,4.00,EUR,lamp rest\n";
    let r = upload(&t, &operator, csv).await;
    assert_eq!(outcomes(&r.text), ["unmatched", "unmatched"], "{}", r.text);
    let (first, second) = (line_with(&t, "for my lamp").await, line_with(&t, "lamp rest").await);
    let assign = |line: String, reference: String| {
        let t = &t;
        let operator = operator.clone();
        async move {
            crate::page_session::post(
                t,
                &format!("/admin/finance/statement-lines/{line}/assign"),
                &operator,
                &[("reference", &reference)],
            )
            .await
        }
    };

    // A reference no payment has, or none at all: a friendly error, nothing moves.
    let before = ledger(&t).await["transactions"].as_i64().unwrap();
    let r = assign(first.clone(), "AG-2222-2222".into()).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.text);
    assert!(r.text.contains("That did not work"), "{}", r.text);
    let r = assign(first.clone(), "hello".into()).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert_eq!(ledger(&t).await["transactions"].as_i64().unwrap(), before);

    // 6.00 of 10.00: in the payment's suspense; the other 4.00 settles it.
    let r = assign(first.clone(), reference.to_lowercase()).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    assert_eq!(r.headers["location"], "/admin/finance?done=held_in_suspense");
    assert_eq!(in_suspense(&t, &operator, &payment).await, 600);
    assert_eq!(status_of(&t, &bea, &order).await, "pending_payment");
    let r = assign(second.clone(), reference.clone()).await;
    assert_eq!(r.headers["location"], "/admin/finance?done=settled", "{}", r.text);
    assert_eq!(status_of(&t, &bea, &order).await, "paid");
    assert_eq!(in_suspense(&t, &operator, &payment).await, 0);
    assert_eq!(unmatched_held(&t).await, 0);
    let page = crate::page_session::get(&t, "/admin/finance", &operator).await;
    assert!(!page.text.contains("id=\"unmatched-lines\""), "{}", page.text);

    // A line matched already cannot be matched again; a buyer cannot match at all.
    let after = ledger(&t).await["transactions"].as_i64().unwrap();
    let r = assign(first.clone(), reference.clone()).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text);
    let r = crate::page_session::post(
        &t,
        &format!("/admin/finance/statement-lines/{first}/assign"),
        &bea,
        &[("reference", &reference)],
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text);
    assert_eq!(ledger(&t).await["transactions"].as_i64().unwrap(), after);
});
