use agora_app::audit::{verify, Verdict};
use agora_core::audit::ChainBreak;
use reqwest::StatusCode;
use sqlx::Row;

use crate::support::{db_test, TestApp};

/// Some activity: registrations, logins, a shop decision.
pub(crate) async fn activity(t: &TestApp) -> String {
    let operator = t.operator().await;
    t.category(&operator, "books", false).await;
    let seller = t.user("seller@example.com").await;
    let shop = t.shop(&seller, "Paper Trail", &["books"]).await;
    let r = t
        .post(
            &format!("/api/v1/admin/shops/{shop}/approve"),
            Some(&operator),
            serde_json::json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    operator
}

/// The three integers of the first row `sql` returns.
pub(crate) async fn row3(t: &TestApp, sql: &str) -> (i64, i64, i64) {
    let mut conn = t.app.db.conn().await.unwrap();
    let r = sqlx::query(sql).fetch_one(&mut *conn).await.unwrap();
    (r.get(0), r.get(1), r.get(2))
}

async fn entries(t: &TestApp) -> i64 {
    match verify(&t.app).await.unwrap() {
        Verdict::Intact { entries } => entries,
        Verdict::Broken(err) => panic!("the untouched log is broken: {err}"),
    }
}

db_test!(every_state_change_is_chained_and_the_intact_chain_verifies, |t| {
    let operator = activity(&t).await;
    let n = entries(&t).await;
    assert!(n >= 7, "registrations, logins, category, application, approval: {n}");
    let r = t.get("/api/v1/admin/audit/verify", Some(&operator)).await;
    assert_eq!(r.body["intact"], true);
    assert_eq!(r.body["entries"], n);
});

db_test!(an_edited_entry_is_found_and_named, |t| {
    activity(&t).await;
    t.sql("UPDATE audit_log SET data = '{\"forged\":true}' WHERE seq = 3")
        .await;
    assert_eq!(
        verify(&t.app).await.unwrap(),
        Verdict::Broken(ChainBreak::Edited { seq: 3 })
    );
});

db_test!(a_deleted_entry_is_found_and_named, |t| {
    activity(&t).await;
    // An entry with a successor in its chain: the successor names the gap.
    let (seq, chain, chain_seq) = row3(
        &t,
        "SELECT seq, chain, chain_seq FROM audit_log a WHERE EXISTS \
         (SELECT 1 FROM audit_log b WHERE b.chain = a.chain AND b.chain_seq = a.chain_seq + 1) ORDER BY seq LIMIT 1",
    )
    .await;
    let (successor, ..) = row3(
        &t,
        &format!(
            "SELECT seq, chain, chain_seq FROM audit_log WHERE chain = {chain} AND chain_seq = {}",
            chain_seq + 1
        ),
    )
    .await;
    t.sql(&format!("DELETE FROM audit_log WHERE seq = {seq}")).await;
    assert_eq!(
        verify(&t.app).await.unwrap(),
        Verdict::Broken(ChainBreak::Gap {
            seq: successor,
            chain,
            found: chain_seq + 1,
            expected: chain_seq
        })
    );
});

db_test!(reordered_entries_are_found_and_named, |t| {
    activity(&t).await;
    // Swap entries 2 and 3 by renumbering them.
    t.sql("UPDATE audit_log SET seq = -1 WHERE seq = 2").await;
    t.sql("UPDATE audit_log SET seq = 2 WHERE seq = 3").await;
    t.sql("UPDATE audit_log SET seq = 3 WHERE seq = -1").await;
    let verdict = verify(&t.app).await.unwrap();
    assert!(
        matches!(verdict, Verdict::Broken(ref b) if b.entry() == Some(2)),
        "{verdict:?}"
    );
});

db_test!(a_cut_off_tail_is_found, |t| {
    activity(&t).await;
    let (newest, chain, chain_seq) = row3(
        &t,
        "SELECT seq, chain, chain_seq FROM audit_log ORDER BY seq DESC LIMIT 1",
    )
    .await;
    t.sql(&format!("DELETE FROM audit_log WHERE seq = {newest}")).await;
    assert_eq!(
        verify(&t.app).await.unwrap(),
        Verdict::Broken(ChainBreak::Truncated {
            chain,
            last: chain_seq - 1,
            head: chain_seq
        })
    );
});

db_test!(only_operators_may_check_the_chain, |t| {
    let buyer = t.user("buyer@example.com").await;
    let r = t.get("/api/v1/admin/audit/verify", Some(&buyer)).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(
        t.get("/api/v1/admin/audit/verify", None).await.status,
        StatusCode::UNAUTHORIZED
    );
});
