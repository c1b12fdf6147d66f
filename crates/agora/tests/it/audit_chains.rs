//! The audit log as several chains with periodic anchors: what tampering each part catches, what
//! it cannot, concurrent writers, and a log written as a single chain before the migration.

use agora_app::audit::{self, anchor, verify, Verdict};
use agora_app::App;
use agora_core::audit::{chain_of, AuditAction, AuditEntry, ChainBreak, CHAINS, GENESIS_HASH};
use agora_store::Db;
use rand::Rng;
use sqlx::Row;

use crate::audit::{activity, row3};
use crate::support::{db_test, Engine, TestApp};

/// Sets every chain's head row to the last entry left in it: the cover-up after cutting entries.
const REWIND_HEADS: &str = "UPDATE audit_chains SET \
     chain_seq = (SELECT COALESCE(MAX(l.chain_seq), 0) FROM audit_log l WHERE l.chain = audit_chains.chain), \
     hash = COALESCE((SELECT l.hash FROM audit_log l WHERE l.chain = audit_chains.chain \
                      ORDER BY l.chain_seq DESC LIMIT 1), \
                     '0000000000000000000000000000000000000000000000000000000000000000')";

async fn broken(t: &TestApp) -> ChainBreak {
    match verify(&t.app).await.unwrap() {
        Verdict::Broken(b) => b,
        Verdict::Intact { entries } => panic!("the tampered log verified ({entries} entries)"),
    }
}

async fn intact(app: &App) -> i64 {
    match verify(app).await.unwrap() {
        Verdict::Intact { entries } => entries,
        Verdict::Broken(err) => panic!("the untouched log is broken: {err}"),
    }
}

db_test!(
    entries_about_one_subject_share_a_chain_and_subjects_spread_over_chains,
    |t| {
        activity(&t).await;
        let mut conn = t.app.db.conn().await.unwrap();
        let rows = sqlx::query("SELECT subject, chain FROM audit_log")
            .fetch_all(&mut *conn)
            .await
            .unwrap();
        let mut chains = std::collections::BTreeSet::new();
        for r in &rows {
            let (subject, chain): (String, i64) = (r.get(0), r.get(1));
            assert_eq!(chain, chain_of(&subject, CHAINS), "{subject}");
            chains.insert(chain);
        }
        assert!(chains.len() >= 2, "{chains:?}");
    }
);

db_test!(an_anchor_is_written_only_when_a_chain_moved, |t| {
    activity(&t).await;
    let first = anchor(&t.app).await.unwrap();
    assert!(first.is_some());
    assert_eq!(anchor(&t.app).await.unwrap(), None, "nothing changed since");
    t.login("seller@example.com").await;
    assert!(anchor(&t.app).await.unwrap() > first);
    intact(&t.app).await;
    // Anchors are about the log, not about a subject's history.
    let mut conn = t.app.db.conn().await.unwrap();
    let listed = agora_store::audit::for_subject(&mut conn, "audit", 10).await.unwrap();
    assert!(listed.is_empty());
});

db_test!(a_chain_tail_cut_with_its_head_rewound_is_found_by_the_anchor, |t| {
    activity(&t).await;
    anchor(&t.app).await.unwrap().unwrap();
    let (anchor_seq, ..) = row3(&t, "SELECT seq, chain, chain_seq FROM audit_log WHERE chain = -1").await;
    let (newest, chain, chain_seq) = row3(
        &t,
        "SELECT seq, chain, chain_seq FROM audit_log WHERE chain >= 0 ORDER BY seq DESC LIMIT 1",
    )
    .await;
    t.sql(&format!("DELETE FROM audit_log WHERE seq = {newest}")).await;
    t.sql(REWIND_HEADS).await;
    assert_eq!(
        broken(&t).await,
        ChainBreak::CutBeforeAnchor {
            anchor: anchor_seq,
            chain,
            anchored: chain_seq,
            last: chain_seq - 1
        }
    );
});

db_test!(
    the_newest_entries_cut_with_every_head_rewound_are_found_by_the_anchor,
    |t| {
        activity(&t).await;
        anchor(&t.app).await.unwrap().unwrap();
        t.sql(
            "DELETE FROM audit_log WHERE chain >= 0 AND seq IN \
         (SELECT seq FROM (SELECT seq FROM audit_log WHERE chain >= 0 ORDER BY seq DESC LIMIT 3) newest)",
        )
        .await;
        t.sql(REWIND_HEADS).await;
        let b = broken(&t).await;
        assert!(matches!(b, ChainBreak::CutBeforeAnchor { .. }), "{b}");
    }
);

db_test!(the_newest_anchors_cut_are_found_by_the_anchor_head, |t| {
    activity(&t).await;
    anchor(&t.app).await.unwrap().unwrap();
    t.login("seller@example.com").await;
    anchor(&t.app).await.unwrap().unwrap();
    t.sql("DELETE FROM audit_log WHERE seq = (SELECT MAX(seq) FROM audit_log WHERE chain = -1)")
        .await;
    assert_eq!(
        broken(&t).await,
        ChainBreak::Truncated {
            chain: -1,
            last: 1,
            head: 2
        }
    );
});

db_test!(
    a_tail_cut_after_the_newest_anchor_with_rewound_heads_is_the_documented_blind_spot,
    |t| {
        activity(&t).await;
        anchor(&t.app).await.unwrap().unwrap();
        t.login("seller@example.com").await;
        t.sql("DELETE FROM audit_log WHERE seq > (SELECT MAX(seq) FROM audit_log WHERE chain = -1)")
            .await;
        t.sql(REWIND_HEADS).await;
        // Nothing anchored was touched: only an anchor written after those entries would show it.
        intact(&t.app).await;
    }
);

db_test!(an_edited_anchor_is_found, |t| {
    activity(&t).await;
    let seq = anchor(&t.app).await.unwrap().unwrap();
    t.sql(&format!(
        "UPDATE audit_log SET data = '{{\"heads\":[]}}' WHERE seq = {seq}"
    ))
    .await;
    assert_eq!(broken(&t).await, ChainBreak::Edited { seq });
});

db_test!(a_chain_rewritten_consistently_after_its_anchor_is_found, |t| {
    activity(&t).await;
    let anchor_seq = anchor(&t.app).await.unwrap().unwrap();
    let (_, chain, chain_seq) = row3(
        &t,
        "SELECT seq, chain, chain_seq FROM audit_log WHERE chain >= 0 ORDER BY seq DESC LIMIT 1",
    )
    .await;
    // The forger edits the newest entry of a chain, recomputes its hash and moves the head too.
    let mut conn = t.app.db.conn().await.unwrap();
    let mut e = agora_store::audit::at(&mut conn, chain, chain_seq)
        .await
        .unwrap()
        .unwrap();
    drop(conn);
    e.data = r#"{"forged":true}"#.into();
    e.hash = e.compute_hash();
    t.sql(&format!(
        "UPDATE audit_log SET data = '{}', hash = '{}' WHERE seq = {}",
        e.data, e.hash, e.seq
    ))
    .await;
    t.sql(&format!(
        "UPDATE audit_chains SET hash = '{}' WHERE chain = {chain}",
        e.hash
    ))
    .await;
    assert_eq!(
        broken(&t).await,
        ChainBreak::AnchorMismatch {
            anchor: anchor_seq,
            chain,
            chain_seq
        }
    );
});

db_test!(concurrent_writers_about_many_subjects_never_fork_a_chain, |t| {
    let writers: Vec<_> = (0..32)
        .map(|i| {
            let app = t.app.clone();
            tokio::spawn(async move {
                for j in 0..5 {
                    let mut tx = app.db.begin().await.unwrap();
                    let subject = format!("thing_{}", (i * 7 + j) % 40);
                    audit::record(
                        &mut tx,
                        None,
                        AuditAction::ProductUpdated,
                        &subject,
                        serde_json::json!({ "j": j }),
                    )
                    .await
                    .unwrap();
                    tx.commit().await.unwrap();
                }
            })
        })
        .collect();
    for w in writers {
        w.await.unwrap();
    }
    anchor(&t.app).await.unwrap().unwrap();
    assert_eq!(intact(&t.app).await, 32 * 5 + 1);
});

/// A database on `engine` with the migrations before 0007 only.
async fn database_before_the_chains(engine: Engine) -> (Db, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let (url, schema) = match engine {
        Engine::Sqlite => (format!("sqlite://{}", dir.path().join("agora.db").display()), None),
        Engine::Postgres => (
            std::env::var("AGORA_TEST_POSTGRES_URL").unwrap(),
            Some(format!("t_{:016x}", rand::thread_rng().gen::<u64>())),
        ),
    };
    let db = Db::connect(&url, schema.as_deref()).await.unwrap();
    db.migrate_before(7).await.unwrap();
    (db, dir)
}

/// Writes `n` entries the way the single chain did.
async fn single_chain_entries(db: &Db, n: i64) {
    let mut conn = db.conn().await.unwrap();
    let mut prev = GENESIS_HASH.to_owned();
    for seq in 1..=n {
        let mut e = AuditEntry {
            seq,
            chain: 0,
            chain_seq: seq,
            at_ms: 1_700_000_000_000 + seq,
            actor: Some("acc_old".into()),
            action: "account.registered".into(),
            subject: format!("acc_{seq}"),
            data: "{}".into(),
            prev_hash: prev.clone(),
            hash: String::new(),
        };
        e.hash = e.legacy_hash();
        sqlx::query(
            "INSERT INTO audit_log (seq, at, actor, action, subject, data, prev_hash, hash) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(e.seq)
        .bind(e.at_ms)
        .bind(e.actor.as_deref())
        .bind(&e.action)
        .bind(&e.subject)
        .bind(&e.data)
        .bind(&e.prev_hash)
        .bind(&e.hash)
        .execute(&mut *conn)
        .await
        .unwrap();
        prev = e.hash;
    }
    sqlx::query("UPDATE audit_head SET seq = $1, hash = $2 WHERE id = 1")
        .bind(n)
        .bind(prev)
        .execute(&mut *conn)
        .await
        .unwrap();
}

async fn a_single_chain_log_still_verifies_after_the_migration(engine: Engine) {
    let (db, dir) = database_before_the_chains(engine).await;
    single_chain_entries(&db, 5).await;
    db.migrate().await.unwrap();
    let search = agora_search::SearchIndex::open(None).unwrap();
    let app = App::new(db, dir.path().join("blobs"), agora_app::Settings::default(), search);
    assert_eq!(intact(&app).await, 5);

    // New entries continue after them, in every chain, chain 0 included.
    for i in 0..40 {
        let mut tx = app.db.begin().await.unwrap();
        let subject = format!("prod_{i}");
        audit::record(
            &mut tx,
            None,
            AuditAction::ProductCreated,
            &subject,
            serde_json::json!({}),
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
    }
    anchor(&app).await.unwrap().unwrap();
    assert_eq!(intact(&app).await, 5 + 40 + 1);
    let mut conn = app.db.conn().await.unwrap();
    let first_new: i64 = sqlx::query("SELECT MIN(seq) FROM audit_log WHERE seq > 5")
        .fetch_one(&mut *conn)
        .await
        .unwrap()
        .get(0);
    assert_eq!(first_new, 6, "sequence numbers continue after the old ones");

    // The old entries are still evidence.
    agora_store::raw_execute(&mut conn, "UPDATE audit_log SET actor = 'acc_mallory' WHERE seq = 3")
        .await
        .unwrap();
    drop(conn);
    assert_eq!(
        verify(&app).await.unwrap(),
        Verdict::Broken(ChainBreak::Edited { seq: 3 })
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_single_chain_log_still_verifies_after_the_migration_sqlite() {
    a_single_chain_log_still_verifies_after_the_migration(Engine::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(not(agora_pg), ignore = "set AGORA_TEST_POSTGRES_URL to run on PostgreSQL")]
async fn a_single_chain_log_still_verifies_after_the_migration_postgres() {
    a_single_chain_log_still_verifies_after_the_migration(Engine::Postgres).await;
}
