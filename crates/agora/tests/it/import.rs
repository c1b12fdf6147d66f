//! Catalog import and export: files with the mess of real exports, bad rows, re-imports, the
//! round trip, and the command line.

use std::collections::HashMap;
use std::process::Command;

use agora_app::import::{self, ExportOptions, ImportOptions, ImportReport};
use reqwest::StatusCode;
use serde_json::{json, Value};
use sqlx::Row;

use crate::support::{db_test, Engine, TestApp};

fn fixture(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/it/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// An approved shop listing in `audio` (colour: black or white; wireless: boolean); returns
/// `(seller token, shop id, operator token)`.
async fn shop(t: &TestApp) -> (String, String, String) {
    let operator = t.operator().await;
    let r = t
        .post(
            "/api/v1/admin/categories",
            Some(&operator),
            json!({"slug": "audio", "name": "Audio", "attributes": [
                {"key": "colour", "type": "enum", "values": ["black", "white"]},
                {"key": "wireless", "type": "boolean"}]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let seller = t.user("seller@example.com").await;
    let shop = t.shop(&seller, "Klangwerk", &["audio"]).await;
    let r = t
        .post(
            &format!("/api/v1/admin/shops/{shop}/approve"),
            Some(&operator),
            json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    (seller, shop, operator)
}

async fn run(t: &TestApp, shop: &str, bytes: &[u8], options: &ImportOptions) -> ImportReport {
    import::import_products(&t.app, shop, bytes, options, &mut |_| {})
        .await
        .expect("the import runs")
}

fn messages(report: &ImportReport) -> Vec<String> {
    report.errors.iter().map(ToString::to_string).collect()
}

async fn export(t: &TestApp, shop: &str) -> Vec<u8> {
    let mut out = Vec::new();
    import::export_products(&t.app, shop, &mut out, &ExportOptions::default())
        .await
        .expect("the export runs");
    out
}

/// The export as one map per row, by SKU.
fn rows(csv_bytes: &[u8]) -> HashMap<String, HashMap<String, String>> {
    let mut reader = csv::Reader::from_reader(csv_bytes);
    let headers = reader.headers().unwrap().clone();
    reader
        .records()
        .map(|r| {
            let r = r.unwrap();
            let row: HashMap<String, String> = headers
                .iter()
                .zip(r.iter())
                .map(|(h, v)| (h.to_owned(), v.to_owned()))
                .collect();
            (row["sku"].clone(), row)
        })
        .collect()
}

async fn count(t: &TestApp, sql: &str) -> i64 {
    let mut conn = t.app.db.conn().await.unwrap();
    sqlx::query(sql)
        .fetch_one(&mut *conn)
        .await
        .unwrap()
        .try_get(0)
        .unwrap()
}

/// What every import writes: products, variants, stock movements, outbox events, audit entries.
async fn footprint(t: &TestApp) -> [i64; 5] {
    [
        count(t, "SELECT COUNT(*) FROM products").await,
        count(t, "SELECT COUNT(*) FROM variants").await,
        count(t, "SELECT COUNT(*) FROM stock_movements").await,
        count(t, "SELECT COUNT(*) FROM outbox WHERE topic = 'product.changed'").await,
        count(t, "SELECT COUNT(*) FROM audit_log").await,
    ]
}

db_test!(a_messy_csv_with_bom_quotes_newlines_and_unicode_imports, |t| {
    let (seller, shop, _) = shop(&t).await;
    let before = footprint(&t).await;
    let report = run(&t, &shop, &fixture("messy.csv"), &ImportOptions::default()).await;
    assert_eq!(messages(&report), Vec::<String>::new());
    assert_eq!(
        (report.rows, report.created, report.failed, report.products_created),
        (4, 4, 0, 3),
        "{report:?}"
    );
    assert_eq!(report.ignored_columns, vec!["Internal note".to_owned()]);
    let after = footprint(&t).await;
    assert_eq!(after[0] - before[0], 3, "three products");
    assert_eq!(after[1] - before[1], 4, "four variants");
    assert_eq!(
        after[2] - before[2],
        1,
        "one initial stock movement (the others start at 0)"
    );
    assert_eq!(after[3] - before[3], 3, "one product.changed event per product");
    assert_eq!(after[4] - before[4], 1, "one audit entry for the transaction");

    let exported = rows(&export(&t, &shop).await);
    let black = &exported["AUR-BLK"];
    assert_eq!(black["title"], "Aurora Kopfhörer, kabellos");
    assert_eq!(
        black["description"],
        "Over-ear, \"studio\" sound.\r\nZweite Zeile: Größe L."
    );
    assert_eq!(
        black["product_key"], exported["AUR-WHT"]["product_key"],
        "one product with two variants"
    );
    let product = t
        .get(&format!("/api/v1/products/{}", black["product_key"]), Some(&seller))
        .await;
    assert_eq!(product.status, StatusCode::OK, "{}", product.text);
    assert_eq!(product.body["min_order_qty"], 2);
    assert_eq!(product.body["attributes"], json!({"wireless": true}));
    let variants: Vec<_> = product.body["variants"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            (
                v["sku"].clone(),
                v["price"]["amount"].clone(),
                v["stock"].clone(),
                v["gtin"].clone(),
                v["attributes"].clone(),
            )
        })
        .collect();
    assert_eq!(
        variants,
        vec![
            (
                json!("AUR-BLK"),
                json!(14900),
                json!(25),
                json!("4006381333931"),
                json!({"colour": "black"})
            ),
            (
                json!("AUR-WHT"),
                json!(14950),
                json!(0),
                Value::Null,
                json!({"colour": "white"})
            ),
        ]
    );
    let quiet = &exported["静音-1"];
    assert_eq!(
        (
            quiet["title"].as_str(),
            quiet["status"].as_str(),
            quiet["price"].as_str()
        ),
        ("静音イヤホン「静か」", "draft", "79.00")
    );
    let big = &exported["GRÖSSE-1"];
    assert_eq!(
        (
            big["price"].as_str(),
            big["currency"].as_str(),
            big["description"].as_str()
        ),
        ("12.50", "EUR", "")
    );
});

db_test!(a_tsv_file_with_its_own_headers_imports_through_a_column_map, |t| {
    let (_, shop, _) = shop(&t).await;
    let options = ImportOptions {
        map: import::parse_map(&[
            "sku=Artikelnummer",
            "title=Bezeichnung",
            "price=Preis",
            "stock=Bestand",
            "category=Kategorie",
            "gtin=EAN",
            "attr:colour=Farbe",
        ])
        .unwrap(),
        ..ImportOptions::default()
    };
    let report = run(&t, &shop, &fixture("catalog.tsv"), &options).await;
    assert_eq!(messages(&report), Vec::<String>::new());
    assert_eq!((report.created, report.products_created), (3, 2));
    assert_eq!(report.ignored_columns, vec!["Lager".to_owned()]);
    let exported = rows(&export(&t, &shop).await);
    assert_eq!(
        exported["TSV-1"]["title"], "Kopfhörer \"Classic\", schwarz",
        "quotes inside a TSV field stay"
    );
    assert_eq!(exported["TSV-1"]["price"], "24.90");
    assert_eq!(exported["TSV-1"]["gtin"], "96385074");
    assert_eq!(exported["TSV-2"]["stock"], "0");
    assert_eq!(exported["TSV-2"]["attr:colour"], "white");
    assert_eq!(exported["TSV-3"]["price"], "0.99");
    // Without the map the file has no sku column: nothing is read, nothing written.
    let unmapped = import::import_products(
        &t.app,
        &shop,
        &fixture("catalog.tsv"),
        &ImportOptions::default(),
        &mut |_| {},
    )
    .await;
    assert!(unmapped.unwrap_err().to_string().contains("no sku column"));
});

db_test!(bad_rows_are_reported_by_line_and_nothing_of_them_is_written, |t| {
    let (_, shop, _) = shop(&t).await;
    let before = footprint(&t).await;
    let report = run(&t, &shop, &fixture("bad.csv"), &ImportOptions::default()).await;
    assert_eq!(
        messages(&report),
        vec![
            "line 3: price: has more decimals than EUR has (2); nothing is rounded",
            "line 4: gtin: has a wrong check digit",
            "line 5: category: unknown category \"nope\"",
            "line 6: stock: must be between 0 and 1000000000",
            "line 7: attr:colour: \"colour\" must be one of: black, white",
            "line 8: sku: \"OK-1\" is also on line 2",
            "line 9: sku: not imported: line 10 of the same product has errors",
            "line 10: price: must be a decimal amount such as 12.50",
            "line 11: row: has 2 fields; the header has 7",
            "line 12: sku: must not contain spaces",
        ]
    );
    assert_eq!((report.rows, report.created, report.failed), (12, 2, 10), "{report:?}");
    let after = footprint(&t).await;
    assert_eq!(after[1] - before[1], 2, "only the good rows' variants");
    assert_eq!(after[0] - before[0], 2);
    assert_eq!(after[2] - before[2], 1, "OK-1's stock; OK-2 has none");
    assert_eq!(after[3] - before[3], 2);
    let exported = rows(&export(&t, &shop).await);
    let mut skus: Vec<_> = exported.keys().cloned().collect();
    skus.sort();
    assert_eq!(
        skus,
        vec!["OK-1", "OK-2"],
        "MULTI-1 was valid but its product was not: nothing half-written"
    );
    assert_eq!(exported["OK-2"]["price"], "0.99");

    // Bytes that are not UTF-8 fail their row only.
    let mut latin1 = b"sku,title,category,price\nL-1,Gr".to_vec();
    latin1.extend_from_slice(&[0xF6, 0xDF]);
    latin1.extend_from_slice(b"e,audio,5.00\nL-2,Fine,audio,5.00\n");
    let report = run(&t, &shop, &latin1, &ImportOptions::default()).await;
    assert_eq!(
        messages(&report),
        vec!["line 2: title: is not valid UTF-8; save the file as UTF-8"]
    );
    assert_eq!((report.created, report.failed), (1, 1));
});

db_test!(re_importing_changes_nothing_and_changes_update_by_sku, |t| {
    let (seller, shop, _) = shop(&t).await;
    let file = fixture("messy.csv");
    run(&t, &shop, &file, &ImportOptions::default()).await;
    let before = footprint(&t).await;
    let first_export = export(&t, &shop).await;
    let again = run(&t, &shop, &file, &ImportOptions::default()).await;
    assert_eq!(
        (again.created, again.updated, again.unchanged, again.failed),
        (0, 0, 4, 0),
        "{again:?}"
    );
    assert_eq!(
        footprint(&t).await,
        before,
        "no write at all: no movement, event or audit entry"
    );
    assert_eq!(export(&t, &shop).await, first_export);

    // A stock and price list by SKU: only what it names changes, stock through movements.
    let update = "sku,price,stock\nAUR-BLK,139.00,30\n静音-1,,4\nAUR-WHT,149.50,\n";
    let report = run(&t, &shop, update.as_bytes(), &ImportOptions::default()).await;
    assert_eq!(messages(&report), Vec::<String>::new());
    assert_eq!((report.updated, report.unchanged), (2, 1), "{report:?}");
    let after = footprint(&t).await;
    assert_eq!(after[2] - before[2], 2, "two stock movements");
    assert_eq!(after[3] - before[3], 2, "two products changed");
    assert_eq!(after[4] - before[4], 1, "one audit entry");
    let exported = rows(&export(&t, &shop).await);
    assert_eq!(
        (
            exported["AUR-BLK"]["price"].as_str(),
            exported["AUR-BLK"]["stock"].as_str()
        ),
        ("139.00", "30")
    );
    assert_eq!(
        exported["AUR-BLK"]["title"], "Aurora Kopfhörer, kabellos",
        "columns not in the file stay"
    );
    assert_eq!(exported["静音-1"]["stock"], "4");
    let product = exported["AUR-BLK"]["product_key"].clone();
    let view = t.get(&format!("/api/v1/products/{product}"), Some(&seller)).await;
    let variant = view.body["variants"][0]["id"].as_str().unwrap().to_owned();
    let history = t
        .get(&format!("/api/v1/variants/{variant}/movements"), Some(&seller))
        .await;
    let kinds: Vec<_> = history.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["kind"].clone(),
                m["delta"].clone(),
                m["stock_after"].clone(),
                m["reason"].clone(),
            )
        })
        .collect();
    assert_eq!(
        kinds,
        vec![
            (json!("received"), json!(5), json!(30), json!("catalog import")),
            (json!("received"), json!(25), json!(25), json!("catalog import")),
        ]
    );
    let entry = {
        let mut conn = t.app.db.conn().await.unwrap();
        let r = sqlx::query("SELECT actor, action, subject, data FROM audit_log ORDER BY seq DESC LIMIT 1")
            .fetch_one(&mut *conn)
            .await
            .unwrap();
        (
            r.try_get::<String, _>(0).unwrap(),
            r.try_get::<String, _>(1).unwrap(),
            r.try_get::<String, _>(2).unwrap(),
            r.try_get::<String, _>(3).unwrap(),
        )
    };
    assert!(entry.0.starts_with("acc_"), "the shop owner's account: {entry:?}");
    assert_eq!(
        (entry.1.as_str(), entry.2.as_str()),
        ("catalog.imported", shop.as_str())
    );
    let data: Value = serde_json::from_str(&entry.3).unwrap();
    assert_eq!(data["skus"], json!(["AUR-BLK", "静音-1"]));

    // A price under the variant's volume tier is refused by the rule the API applies.
    let listed = t
        .post(
            &format!("/api/v1/shops/{shop}/products"),
            Some(&seller),
            json!({"title": "Tiered", "category": "audio", "variants": [{"sku": "TIER-1", "price": {"amount": 1000, "currency": "EUR"}, "stock": 1,
                   "price_tiers": [{"min_qty": 10, "unit_price": {"amount": 900, "currency": "EUR"}}]}]}),
        )
        .await;
    assert_eq!(listed.status, StatusCode::CREATED, "{}", listed.text);
    let report = run(&t, &shop, b"sku,price\nTIER-1,8.00\n", &ImportOptions::default()).await;
    assert_eq!(
        messages(&report),
        vec!["line 2: price: conflicts with the variant's volume price tiers: the tier from 10 units costs more than the one before it"]
    );
});

db_test!(an_export_reads_back_unchanged, |t| {
    let (_, shop, _) = shop(&t).await;
    run(&t, &shop, &fixture("messy.csv"), &ImportOptions::default()).await;
    let map = import::parse_map(&[
        "sku=Artikelnummer",
        "title=Bezeichnung",
        "price=Preis",
        "stock=Bestand",
        "category=Kategorie",
        "gtin=EAN",
        "attr:colour=Farbe",
    ])
    .unwrap();
    run(
        &t,
        &shop,
        &fixture("catalog.tsv"),
        &ImportOptions {
            map,
            ..ImportOptions::default()
        },
    )
    .await;
    let exported = export(&t, &shop).await;
    let report = run(&t, &shop, &exported, &ImportOptions::default()).await;
    assert_eq!(messages(&report), Vec::<String>::new());
    assert_eq!((report.rows, report.unchanged), (7, 7), "{report:?}");
    assert_eq!(export(&t, &shop).await, exported, "byte for byte");

    // Into another shop, the export makes the same catalog (new ids, same content).
    let other = t.user("other@example.com").await;
    let operator = t.login("operator@agora.test").await;
    let second = t.shop(&other, "Zweitladen", &["audio"]).await;
    t.post(
        &format!("/api/v1/admin/shops/{second}/approve"),
        Some(&operator),
        json!({}),
    )
    .await;
    let report = run(&t, &second, &exported, &ImportOptions::default()).await;
    assert_eq!((report.created, report.products_created), (7, 5), "{report:?}");
    let strip = |bytes: &[u8]| {
        let mut all: Vec<_> = rows(bytes)
            .into_values()
            .map(|mut r| {
                r.remove("product_key");
                let mut v: Vec<_> = r.into_iter().collect();
                v.sort();
                v
            })
            .collect();
        all.sort();
        all
    };
    assert_eq!(strip(&export(&t, &second).await), strip(&exported));
});

db_test!(
    only_approved_shops_import_and_restricted_categories_need_a_licence,
    |t| {
        let (_, shop, operator) = shop(&t).await;
        t.category(&operator, "pharmacy", true).await;
        let report = run(
            &t,
            &shop,
            b"sku,title,category,price\nRX-1,Aspirin,pharmacy,3.00\nOK-1,Headphones,audio,3.00\n",
            &ImportOptions::default(),
        )
        .await;
        assert_eq!(report.errors.len(), 1, "{report:?}");
        assert_eq!(
            (report.errors[0].line, report.errors[0].field.as_str()),
            (2, "category")
        );
        assert_eq!(report.created, 1);
        let applicant = t.user("applicant@example.com").await;
        let pending = t.shop(&applicant, "Pending Shop", &["audio"]).await;
        let refused = import::import_products(
            &t.app,
            &pending,
            b"sku,title,category,price\nP-1,Thing,audio,1.00\n",
            &ImportOptions::default(),
            &mut |_| {},
        )
        .await;
        assert!(refused.unwrap_err().to_string().contains("only approved shops"));
        assert_eq!(count(&t, "SELECT COUNT(*) FROM variants WHERE sku = 'P-1'").await, 0);
    }
);

/// The command line, run as a process on the test's database.
fn agora(t: &TestApp, engine: Engine) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_agora"));
    cmd.env_remove("AGORA_DATABASE_URL")
        .env("AGORA_LOG", "error")
        .arg("--data-dir")
        .arg(t._dir.path());
    if let Engine::Postgres = engine {
        // The test's own schema, through the connection's search_path.
        let schema = t.schema.as_deref().unwrap();
        let sep = if t.database_url.contains('?') { '&' } else { '?' };
        cmd.arg("--database-url")
            .arg(format!("{}{sep}options=-c%20search_path%3D{schema}", t.database_url));
    }
    cmd
}

async fn cli_imports_and_exports(t: TestApp, engine: Engine) {
    let (_, shop, _) = shop(&t).await;
    let dir = t._dir.path().to_owned();
    let bad = dir.join("bad.csv");
    std::fs::write(&bad, fixture("bad.csv")).unwrap();
    let (mut import, mut dry, mut export) = (agora(&t, engine), agora(&t, engine), agora(&t, engine));
    import.args(["import", "products", "--shop", &shop]).arg(&bad);
    let messy = dir.join("messy.csv");
    std::fs::write(&messy, fixture("messy.csv")).unwrap();
    dry.args(["import", "products", "--dry-run", "--shop", &shop])
        .arg(&messy);
    export.args(["export", "products", "--shop", &shop]);
    let (imported, dry_run, exported) = tokio::task::spawn_blocking(move || {
        let imported = import.output().unwrap();
        let dry_run = dry.output().unwrap();
        (imported, dry_run, export.output().unwrap())
    })
    .await
    .unwrap();
    let stderr = String::from_utf8_lossy(&imported.stderr);
    assert_eq!(imported.status.code(), Some(2), "some rows failed: {stderr}");
    assert!(
        stderr.contains("line 3: price: has more decimals than EUR has (2)"),
        "{stderr}"
    );
    assert!(stderr.contains("line 11: row: has 2 fields"), "{stderr}");
    assert!(
        !stderr.contains('\u{1b}'),
        "no progress bar when standard error is not a terminal: {stderr:?}"
    );
    let summary = String::from_utf8_lossy(&imported.stdout);
    assert!(
        summary.contains("12 rows") && summary.contains("2 created") && summary.contains("10 failed"),
        "{summary}"
    );
    assert_eq!(
        dry_run.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&dry_run.stderr)
    );
    assert!(String::from_utf8_lossy(&dry_run.stdout).contains("dry run, nothing written: 4 rows"));
    assert!(
        exported.status.success(),
        "{}",
        String::from_utf8_lossy(&exported.stderr)
    );
    let out = rows(&exported.stdout);
    let mut skus: Vec<_> = out.keys().cloned().collect();
    skus.sort();
    assert_eq!(skus, vec!["OK-1", "OK-2"], "the dry run wrote nothing");
}

db_test!(the_command_line_imports_reports_bad_lines_and_exports, |t| {
    let engine = if t.schema.is_some() {
        Engine::Postgres
    } else {
        Engine::Sqlite
    };
    cli_imports_and_exports(t, engine).await;
});

#[test]
fn import_help_names_the_columns_and_the_exit_status() {
    let out = Command::new(env!("CARGO_BIN_EXE_agora"))
        .args(["import", "products", "--help"])
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    for needle in [
        "--shop",
        "--map",
        "--delimiter",
        "product_key",
        "attr:KEY",
        "Exit status",
        "2 when some rows failed",
    ] {
        assert!(text.contains(needle), "{needle} missing from:\n{text}");
    }
}

db_test!(
    a_product_the_database_refuses_is_left_out_and_the_rest_of_its_batch_lands,
    |t| {
        let (_, shop, _) = shop(&t).await;
        // Stands in for what validation cannot foresee (a SKU or a sale that arrived meanwhile).
        if t.schema.is_some() {
            t.sql(
            "CREATE FUNCTION refuse_boom() RETURNS trigger AS $$ BEGIN IF NEW.sku = 'BOOM' THEN RAISE EXCEPTION 'boom'; END IF; RETURN NEW; END $$ LANGUAGE plpgsql;
             CREATE TRIGGER refuse_boom BEFORE INSERT ON variants FOR EACH ROW EXECUTE FUNCTION refuse_boom();",
        )
        .await;
        } else {
            t.sql("CREATE TRIGGER refuse_boom BEFORE INSERT ON variants WHEN NEW.sku = 'BOOM' BEGIN SELECT RAISE(ABORT, 'boom'); END;").await;
        }
        let before = footprint(&t).await;
        let file = "sku,title,category,price,stock\nA-1,First,audio,1.00,3\nBOOM,Second,audio,1.00,3\nBOOM-2,Second,audio,1.00,3\nC-1,Third,audio,1.00,3\n";
        let report = run(&t, &shop, file.as_bytes(), &ImportOptions::default()).await;
        assert_eq!(
            messages(&report),
            vec![
                "line 3: sku: could not be saved: boom",
                "line 4: sku: could not be saved: boom"
            ]
        );
        assert_eq!((report.created, report.failed, report.products_created), (2, 2, 2));
        let after = footprint(&t).await;
        assert_eq!(after[0] - before[0], 2, "products");
        assert_eq!(after[1] - before[1], 2, "variants: BOOM-2 went with its product");
        assert_eq!(after[2] - before[2], 2, "movements");
        assert_eq!(after[3] - before[3], 2, "events");
        assert_eq!(
            after[4] - before[4],
            2,
            "one audit entry per product written on its own"
        );
        let mut skus: Vec<_> = rows(&export(&t, &shop).await).into_keys().collect();
        skus.sort();
        assert_eq!(skus, vec!["A-1", "C-1"]);
    }
);

db_test!(a_large_file_is_written_in_batches_and_reports_its_progress, |t| {
    let (_, shop, _) = shop(&t).await;
    let mut file = String::from("product_key,sku,title,category,price,stock,attr:colour\n");
    for i in 0..1200 {
        let colour = if i % 2 == 0 { "black" } else { "white" };
        file.push_str(&format!(
            "P{},SKU-{i},Product {},audio,{}.{:02},{},{colour}\n",
            i / 3,
            i / 3,
            1 + i % 90,
            i % 100,
            i % 7
        ));
    }
    let mut seen = Vec::new();
    let report = import::import_products(&t.app, &shop, file.as_bytes(), &ImportOptions::default(), &mut |p| {
        seen.push(p)
    })
    .await
    .unwrap();
    assert_eq!(
        (report.created, report.products_created, report.failed),
        (1200, 400, 0),
        "{report:?}"
    );
    assert_eq!(seen.first().map(|p| (p.done, p.total)), Some((0, 1200)));
    assert_eq!(seen.last().map(|p| (p.done, p.total)), Some((1200, 1200)));
    assert!(
        seen.windows(2).all(|w| w[0].done <= w[1].done) && seen.len() > 3,
        "{seen:?}"
    );
    assert_eq!(count(&t, "SELECT COUNT(*) FROM variants").await, 1200);
    assert_eq!(
        count(&t, "SELECT COUNT(*) FROM audit_log WHERE action = 'catalog.imported'").await,
        3,
        "one per transaction"
    );
    let again = run(&t, &shop, &export(&t, &shop).await, &ImportOptions::default()).await;
    assert_eq!(again.unchanged, 1200);
});
