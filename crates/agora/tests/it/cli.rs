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
        "serve", "migrate", "demo", "admin", "audit", "reindex", "import", "export", "payments",
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

/// The address after `marker` in the first line of `lines` that has it.
fn address_after(lines: &mut impl Iterator<Item = String>, marker: &str) -> String {
    let line = lines
        .find(|l| l.contains(marker))
        .unwrap_or_else(|| panic!("no line with {marker:?}"));
    let rest = &line[line.find(marker).unwrap() + marker.len()..];
    rest[..rest.find('/').unwrap()].to_owned()
}

#[tokio::test]
async fn metrics_are_served_only_on_their_own_address() {
    use std::io::BufRead;

    let dir = tempfile::tempdir().unwrap();
    let mut child = agora(dir.path())
        .args(["serve", "--addr", "127.0.0.1:0", "--metrics-addr", "127.0.0.1:0"])
        .env("AGORA_LOG", "off")
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = std::io::BufReader::new(child.stderr.take().unwrap())
        .lines()
        .map_while(Result::ok);
    let public = address_after(&mut lines, "Agora is running at http://");
    let private = address_after(&mut lines, "Metrics at http://");

    let client = reqwest::Client::new();
    let get = |url: String| {
        let client = client.clone();
        async move { client.get(url).send().await.unwrap() }
    };
    assert_eq!(get(format!("http://{public}/healthz")).await.status(), 200);
    assert_eq!(get(format!("http://{public}/metrics")).await.status(), 404);
    let metrics = get(format!("http://{private}/metrics")).await;
    assert_eq!(metrics.status(), 200);
    let text = metrics.text().await.unwrap();
    assert!(text.contains(r#"route="/healthz""#), "{text}");
    child.kill().unwrap();
    child.wait().unwrap();
}
