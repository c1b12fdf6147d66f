//! Several nodes, one platform: `agora serve` processes sharing a database (and a data folder, or
//! not), administration commands beside a live node, the blob stores, the outbox follower.

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use agora_app::{follower, App, Settings};
use agora_store::blobs::BlobStore;
use reqwest::StatusCode;
use serde_json::{json, Value};
use sqlx::Row;

use crate::catalog::{headphones, png, seller_with_shop};
use crate::support::{db_test, pdf, TestApp};

/// An `agora serve` process on 127.0.0.1, stopped when dropped.
pub(crate) struct Node {
    child: Child,
    pub(crate) base: String,
}

impl Node {
    /// Starts `cmd serve` on a free port and waits until it listens.
    pub(crate) async fn start(mut cmd: Command) -> Node {
        cmd.args(["serve", "--addr", "127.0.0.1:0"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        tokio::task::spawn_blocking(move || {
            let mut child = cmd.spawn().expect("agora starts");
            let stderr = child.stderr.take().unwrap();
            let (tx, rx) = std::sync::mpsc::channel();
            // Reads standard error to its end, so the node never blocks on a full pipe.
            std::thread::spawn(move || {
                let mut tx = Some(tx);
                let mut seen = Vec::new();
                for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                    match line.split_once("running at http://") {
                        Some((_, rest)) => {
                            let addr = rest.split('/').next().unwrap_or_default().to_owned();
                            if let Some(tx) = tx.take() {
                                let _ = tx.send(Ok(addr));
                            }
                        }
                        None if tx.is_some() => seen.push(line),
                        None => {}
                    }
                }
                if let Some(tx) = tx {
                    let _ = tx.send(Err(seen.join("\n")));
                }
            });
            let addr = match rx.recv_timeout(Duration::from_secs(120)) {
                Ok(Ok(addr)) => addr,
                Ok(Err(log)) => panic!("the node stopped before listening:\n{log}"),
                Err(_) => panic!("the node did not listen within two minutes"),
            };
            Node {
                child,
                base: format!("http://{addr}"),
            }
        })
        .await
        .unwrap()
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs a finished command line and returns its output, asserting it succeeded.
async fn succeeds(mut cmd: Command, stdin: &'static [u8]) -> std::process::Output {
    tokio::task::spawn_blocking(move || {
        let mut child = cmd
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child.stdin.take().unwrap().write_all(stdin).unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "{cmd:?} failed:\n{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        out
    })
    .await
    .unwrap()
}

/// Searches on `base` until `product` is found (or gives up after 30 s).
async fn searchable(client: &reqwest::Client, base: &str, q: &str, product: &str) -> bool {
    for _ in 0..300 {
        let r = client.get(format!("{base}/api/v1/search?q={q}")).send().await.unwrap();
        let body: Value = r.json().await.unwrap_or_default();
        if body["items"]
            .as_array()
            .is_some_and(|items| items.iter().any(|i| i["product_id"] == product))
        {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    false
}

async fn count(t: &TestApp, sql: &str) -> i64 {
    let mut conn = t.app.db.conn().await.unwrap();
    sqlx::query(sql).fetch_one(&mut *conn).await.unwrap().get::<i64, _>(0)
}

fn files_under(dir: &std::path::Path) -> usize {
    std::fs::read_dir(dir).map_or(0, |entries| {
        entries
            .map_while(Result::ok)
            .map(|e| if e.path().is_dir() { files_under(&e.path()) } else { 1 })
            .sum()
    })
}

/// Two nodes on the test's database, with uploads in `blob_store`: in the shared data folder,
/// or in the database with a data folder of each node's own. A product and its image written
/// through one are found and served by the other, and so is a shop's document.
async fn two_nodes_serve_each_others_writes(t: TestApp, blob_store: &str) {
    let (seller, shop, operator) = seller_with_shop(&t).await;
    let own_dirs = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let (dir_a, dir_b) = match blob_store {
        "folder" => (t._dir.path(), t._dir.path()),
        _ => (own_dirs.0.path(), own_dirs.1.path()),
    };
    let node = |dir: &std::path::Path| {
        let mut cmd = t.agora(dir);
        cmd.args(["--blob-store", blob_store]);
        Node::start(cmd)
    };
    let a = node(dir_a).await;
    let b = node(dir_b).await;
    let client = &t.client;

    let created: Value = client
        .post(a.url(&format!("/api/v1/shops/{shop}/products")))
        .bearer_auth(&seller)
        .json(&headphones("AUR-1", "4006381333931", 14900, 5))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let product = created["id"].as_str().expect("the product is created on A").to_owned();
    assert!(
        searchable(client, &b.base, "aurora", &product).await,
        "a product created on A is found on B"
    );

    let picture = png(320, 240);
    let form = reqwest::multipart::Form::new().part(
        "file",
        reqwest::multipart::Part::bytes(picture.clone()).file_name("pic.png"),
    );
    let image = crate::support::read(
        client
            .post(a.url(&format!("/api/v1/products/{product}/images")))
            .bearer_auth(&seller)
            .multipart(form)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(image.status, StatusCode::CREATED, "{}", image.text);
    let served = client
        .get(b.url(image.body["url"].as_str().unwrap()))
        .send()
        .await
        .unwrap();
    assert_eq!(served.status(), StatusCode::OK, "B serves the image uploaded on A");
    assert_eq!(served.bytes().await.unwrap().as_ref(), picture.as_slice());

    let form = reqwest::multipart::Form::new()
        .text("kind", "trade")
        .part("file", reqwest::multipart::Part::bytes(pdf()).file_name("register.pdf"));
    let document = crate::support::read(
        client
            .post(a.url(&format!("/api/v1/shops/{shop}/qualifications")))
            .bearer_auth(&seller)
            .multipart(form)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(document.status, StatusCode::CREATED, "{}", document.text);
    let id = document.body["id"].as_str().unwrap();
    let served = client
        .get(b.url(&format!("/api/v1/qualifications/{id}/document")))
        .bearer_auth(&operator)
        .send()
        .await
        .unwrap();
    assert_eq!(served.status(), StatusCode::OK, "B serves the document uploaded on A");
    assert_eq!(served.bytes().await.unwrap().as_ref(), pdf().as_slice());

    let in_table = count(&t, "SELECT COUNT(*) FROM blobs").await;
    let mut in_folders = files_under(&dir_a.join("blobs"));
    if dir_b != dir_a {
        in_folders += files_under(&dir_b.join("blobs"));
    }
    match blob_store {
        "folder" => assert_eq!((in_table, in_folders), (0, 3), "image, thumbnail and document as files"),
        _ => assert_eq!(
            (in_table, in_folders),
            (3, 0),
            "image, thumbnail and document in the database"
        ),
    }
    if blob_store == "folder" {
        let index = t._dir.path().join("search-index");
        assert!(
            index.join("node-0").is_dir() && index.join("node-1").is_dir(),
            "each node keeps its own index in the shared folder"
        );
    }
}

db_test!(two_nodes_sharing_a_data_folder_serve_each_others_writes, |t| {
    two_nodes_serve_each_others_writes(t, "folder").await;
});

db_test!(two_nodes_sharing_only_the_database_serve_each_others_writes, |t| {
    two_nodes_serve_each_others_writes(t, "database").await;
});

db_test!(administration_commands_run_beside_a_live_node, |t| {
    let (_, shop, _) = seller_with_shop(&t).await;
    let dir = t._dir.path();
    let node = Node::start(t.agora(dir)).await;

    let mut create = t.agora(dir);
    create.args(["admin", "create-operator", "--email", "ops@example.com"]);
    succeeds(create, b"a long operator password\n").await;
    let mut verify = t.agora(dir);
    verify.args(["audit", "verify"]);
    assert!(String::from_utf8_lossy(&succeeds(verify, b"").await.stdout).contains("intact"));
    let mut migrate = t.agora(dir);
    migrate.arg("migrate");
    succeeds(migrate, b"").await;
    let csv = dir.join("catalog.csv");
    std::fs::write(
        &csv,
        "sku,title,category,price,stock,status,attr:colour\nLAMP-1,Brass reading lamp,audio,39.00,4,active,black\n",
    )
    .unwrap();
    let mut import = t.agora(dir);
    import.args(["import", "products", "--shop", &shop]).arg(&csv);
    succeeds(import, b"").await;
    let mut export = t.agora(dir);
    export.args(["export", "products", "--shop", &shop]);
    let exported = succeeds(export, b"").await;
    assert!(String::from_utf8_lossy(&exported.stdout).contains("LAMP-1"));

    let product = {
        let mut conn = t.app.db.conn().await.unwrap();
        sqlx::query("SELECT product_id FROM variants WHERE sku = 'LAMP-1'")
            .fetch_one(&mut *conn)
            .await
            .unwrap()
            .get::<String, _>(0)
    };
    assert!(
        searchable(&t.client, &node.base, "lamp", &product).await,
        "the live node finds what the import wrote"
    );
});

db_test!(uploads_are_kept_in_the_database_or_the_folder_and_read_back, |t| {
    let stores = [
        BlobStore::database(t.app.db.clone()),
        BlobStore::new(t._dir.path().join("other-blobs")),
    ];
    for store in stores {
        let bytes: Vec<u8> = (0..=255u8).cycle().take(100_000).collect();
        let key = store.put(&bytes).await.unwrap();
        assert_eq!(store.put(&bytes).await.unwrap(), key, "the same content, the same key");
        assert_eq!(store.get(&key).await.unwrap(), bytes);
        let unknown = "0".repeat(64);
        for missing in [unknown.as_str(), "../agora.db", ""] {
            let err = store.get(missing).await.unwrap_err();
            assert_eq!(err.kind(), std::io::ErrorKind::NotFound, "{missing:?}");
        }
    }
    assert_eq!(count(&t, "SELECT COUNT(*) FROM blobs").await, 1, "stored once");
});

/// A second node over `db` that hears of changes only when told: its poll is an hour.
fn deaf_node(t: &TestApp, db: agora_store::Db) -> App {
    let index = agora_search::SearchIndex::open(None).unwrap();
    let node = App::new(db, t._dir.path().join("blobs"), Settings::default(), index);
    tokio::spawn(follower::follow(node.clone(), Duration::from_secs(3600)));
    node
}

async fn finds(node: &App, q: &str, product: &str) -> bool {
    for _ in 0..300 {
        let input = agora_app::search::SearchInput {
            q: q.into(),
            ..Default::default()
        };
        let page = agora_app::search::search(node, input).await.unwrap();
        if page.items.iter().any(|i| i.product_id == product) {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    false
}

db_test!(a_node_hears_of_a_change_at_once_without_polling, |t| {
    let (seller, shop, _) = seller_with_shop(&t).await;
    let path = format!("/api/v1/shops/{shop}/products");
    let first = t
        .post(&path, Some(&seller), headphones("AUR-1", "4006381333931", 14900, 5))
        .await;
    assert_eq!(first.status, StatusCode::CREATED, "{}", first.text);
    // One node in this process (its commits wake it), and on PostgreSQL one with a connection
    // pool of its own, as another process would have (the database's notification wakes it).
    let mut nodes = vec![deaf_node(&t, t.app.db.clone())];
    if t.schema.is_some() {
        let db = agora_store::Db::connect(&t.database_url, t.schema.as_deref())
            .await
            .unwrap();
        nodes.push(deaf_node(&t, db));
    }
    for node in &nodes {
        assert!(
            finds(node, "aurora", first.body["id"].as_str().unwrap()).await,
            "built at start"
        );
    }
    let mut second = headphones("AUR-2", "5901234123457", 9900, 5);
    second["title"] = json!("Borealis speaker");
    let second = t.post(&path, Some(&seller), second).await;
    assert_eq!(second.status, StatusCode::CREATED, "{}", second.text);
    for node in &nodes {
        assert!(
            finds(node, "borealis", second.body["id"].as_str().unwrap()).await,
            "a node that polls hourly learns of the change at once"
        );
    }
});

db_test!(events_every_live_node_has_applied_are_pruned, |t| {
    let (seller, shop, _) = seller_with_shop(&t).await;
    let path = format!("/api/v1/shops/{shop}/products");
    let mut last = String::new();
    for (i, gtin) in ["4006381333931", "5901234123457", "96385074"].iter().enumerate() {
        let r = t
            .post(&path, Some(&seller), headphones(&format!("P-{i}"), gtin, 1000, 1))
            .await;
        last = r.body["id"].as_str().unwrap().to_owned();
    }
    assert!(
        finds(&t.app, "aurora", &last).await,
        "the test's own node is up to date"
    );
    let (first_id, last_id) = {
        let mut conn = t.app.db.conn().await.unwrap();
        let row = sqlx::query("SELECT MIN(id), MAX(id) FROM outbox")
            .fetch_one(&mut *conn)
            .await
            .unwrap();
        (row.get::<i64, _>(0), row.get::<i64, _>(1))
    };
    assert!(last_id > first_id);
    // The test's own node records how far it got with its next heartbeat.
    for _ in 0..200 {
        if count(&t, "SELECT MIN(applied_outbox_id) FROM nodes").await >= last_id {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // The test's node heartbeats with all applied; a live node lags behind; a dead one is far
    // behind.
    let now = agora_store::now_ms();
    let lagging = first_id;
    {
        let mut conn = t.app.db.conn().await.unwrap();
        agora_store::nodes::register(&mut conn, "node_lagging", lagging, now)
            .await
            .unwrap();
        agora_store::nodes::register(&mut conn, "node_dead", 0, now - follower::DEAD_AFTER_MS - 1)
            .await
            .unwrap();
    }
    let wait_for_settle = now + follower::SETTLE_MS + 1;
    // While the events are young, nothing goes.
    assert_eq!(follower::prune(&t.app, now).await.unwrap(), 0);
    let removed = follower::prune(&t.app, wait_for_settle).await.unwrap();
    assert!(removed >= 1);
    assert_eq!(
        count(&t, &format!("SELECT COUNT(*) FROM outbox WHERE id <= {lagging}")).await,
        0,
        "what every live node applied is gone"
    );
    assert_eq!(
        count(&t, &format!("SELECT COUNT(*) FROM outbox WHERE id > {lagging}")).await,
        last_id - lagging,
        "what the lagging node has not applied stays"
    );
    assert_eq!(
        count(&t, "SELECT COUNT(*) FROM nodes WHERE id = 'node_dead'").await,
        0,
        "a dead node is forgotten and holds nothing back"
    );
    {
        let mut conn = t.app.db.conn().await.unwrap();
        assert!(agora_store::nodes::heartbeat(&mut conn, "node_lagging", last_id, now)
            .await
            .unwrap());
        assert!(!agora_store::nodes::heartbeat(&mut conn, "node_dead", last_id, now)
            .await
            .unwrap());
    }
    follower::prune(&t.app, wait_for_settle).await.unwrap();
    assert_eq!(
        count(&t, &format!("SELECT COUNT(*) FROM outbox WHERE id <= {last_id}")).await,
        0,
        "once every live node has applied them, all go"
    );
});
