//! The command line, run as a real process.

use std::io::Write;
use std::process::{Command, Stdio};

fn agora(data_dir: &std::path::Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_agora"));
    cmd.arg("--data-dir")
        .arg(data_dir)
        .env_remove("AGORA_DATABASE_URL")
        .env("AGORA_LOG", "error");
    cmd
}

#[test]
fn help_explains_every_command() {
    let out = Command::new(env!("CARGO_BIN_EXE_agora"))
        .arg("--help")
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    for command in [
        "serve", "migrate", "demo", "admin", "audit", "reindex", "import", "export",
    ] {
        assert!(text.contains(command), "--help lacks {command}:\n{text}");
    }
}

#[test]
fn an_operator_is_created_from_a_password_on_standard_input_and_the_audit_log_verifies() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = agora(dir.path())
        .args(["admin", "create-operator", "--email", "ops@example.com"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"a long operator password\n")
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stdout));

    let verify = agora(dir.path()).args(["audit", "verify"]).output().unwrap();
    assert!(verify.status.success(), "{}", String::from_utf8_lossy(&verify.stdout));
    assert!(String::from_utf8_lossy(&verify.stdout).contains("intact"));
}

#[test]
fn a_short_operator_password_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = agora(dir.path())
        .args(["admin", "create-operator", "--email", "ops@example.com"])
        .stdin(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(b"short\n").unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(!out.status.success());
}

#[test]
fn audit_verify_exits_non_zero_naming_a_tampered_entry() {
    let dir = tempfile::tempdir().unwrap();
    let demo = agora(dir.path()).arg("demo").output().unwrap();
    assert!(demo.status.success(), "{}", String::from_utf8_lossy(&demo.stderr));
    let db = dir.path().join("agora.db");
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let store = agora_store::Db::connect(&format!("sqlite://{}", db.display()), None)
            .await
            .unwrap();
        let mut conn = store.conn().await.unwrap();
        agora_store::raw_execute(&mut conn, "UPDATE audit_log SET actor = 'acc_mallory' WHERE seq = 5")
            .await
            .unwrap();
        drop(conn);
        store.close().await;
    });
    let verify = agora(dir.path()).args(["audit", "verify"]).output().unwrap();
    assert!(!verify.status.success());
    let text = String::from_utf8_lossy(&verify.stdout);
    assert!(text.contains("entry 5"), "{text}");
}

#[test]
fn reindex_rebuilds_the_search_index_from_the_database() {
    let dir = tempfile::tempdir().unwrap();
    let demo = agora(dir.path()).arg("demo").output().unwrap();
    assert!(demo.status.success(), "{}", String::from_utf8_lossy(&demo.stderr));
    let out = agora(dir.path()).arg("reindex").output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.starts_with("indexed 33 products"), "{text}");
}
