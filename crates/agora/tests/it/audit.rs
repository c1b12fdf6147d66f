use agora_app::audit::{verify, Verdict};
use agora_core::audit::ChainBreak;
use reqwest::StatusCode;

use crate::support::{db_test, TestApp};

/// Some activity: registrations, logins, a shop decision.
async fn activity(t: &TestApp) -> String {
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
    t.sql("DELETE FROM audit_log WHERE seq = 4").await;
    assert_eq!(
        verify(&t.app).await.unwrap(),
        Verdict::Broken(ChainBreak::Gap { seq: 5, expected: 4 })
    );
});

db_test!(reordered_entries_are_found_and_named, |t| {
    activity(&t).await;
    // Swap entries 2 and 3 by renumbering them.
    t.sql("UPDATE audit_log SET seq = -1 WHERE seq = 2").await;
    t.sql("UPDATE audit_log SET seq = 2 WHERE seq = 3").await;
    t.sql("UPDATE audit_log SET seq = 3 WHERE seq = -1").await;
    let verdict = verify(&t.app).await.unwrap();
    assert!(matches!(verdict, Verdict::Broken(ref b) if b.seq() == 2), "{verdict:?}");
});

db_test!(a_cut_off_tail_is_found, |t| {
    activity(&t).await;
    let n = entries(&t).await;
    t.sql(&format!("DELETE FROM audit_log WHERE seq = {n}")).await;
    assert_eq!(
        verify(&t.app).await.unwrap(),
        Verdict::Broken(ChainBreak::Truncated { last: n - 1, head: n })
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
