//! Catalog imports from the seller centre and the API, run as jobs: upload, the mapping step,
//! the job's progress and report (rows left out by line), bad files, and who may see or start one.

use reqwest::{Method, StatusCode};
use serde_json::json;
use sqlx::Row;

use crate::gateway::run_jobs;
use crate::page_session;
use crate::support::{db_test, read, CompanyMember, Reply, TestApp};

const CSRF: &str = "ttttttttttttttttttttttttttttttttttttttttttt";

/// A file with German headers (mapped by hand), a column the importer knows by name (`category`),
/// one to leave out, and a bad price on line 3.
const FILE: &str = "Artikel,Name,Preis,Waehrung,Bestand,category,Notiz\n\
                    KW-1,Kopfhoerer,49.90,EUR,5,audio,intern\n\
                    KW-2,Lautsprecher,zwoelf,EUR,3,audio,\n\
                    KW-3,Kabel,4.50,EUR,40,audio,x\n";

/// The form's choice for each column of [`FILE`].
const CHOICES: [(&str, &str); 7] = [
    ("col_0", "sku"),
    ("col_1", "title"),
    ("col_2", "price"),
    ("col_3", "currency"),
    ("col_4", "stock"),
    ("col_5", "category"),
    ("col_6", ""),
];

/// An approved shop listing in `audio`: `(seller token, shop id)`.
async fn shop(t: &TestApp) -> (String, String) {
    let operator = t.operator().await;
    t.category(&operator, "audio", false).await;
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
    (seller, shop)
}

/// Uploads a file through the seller centre's form.
async fn page_upload(t: &TestApp, token: &str, shop: &str, name: &str, bytes: Vec<u8>) -> Reply {
    let form = reqwest::multipart::Form::new().text("csrf", CSRF).part(
        "file",
        reqwest::multipart::Part::bytes(bytes).file_name(name.to_owned()),
    );
    let req = t
        .client
        .post(t.url(&format!("/sell/shops/{shop}/imports")))
        .header("cookie", format!("agora_session={token}; agora_csrf={CSRF}"))
        .multipart(form);
    read(req.send().await.unwrap()).await
}

/// Uploads a file through the API.
async fn api_upload(t: &TestApp, token: &str, shop: &str, content_type: &str, bytes: Vec<u8>) -> Reply {
    let req = t
        .client
        .post(t.url(&format!("/api/v1/shops/{shop}/imports?file_name=catalog.csv")))
        .bearer_auth(token)
        .header("content-type", content_type)
        .body(bytes);
    read(req.send().await.unwrap()).await
}

fn location(r: &Reply) -> String {
    r.headers
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
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

/// What an import may change: imports, jobs, products, variants.
async fn footprint(t: &TestApp) -> [i64; 4] {
    [
        count(t, "SELECT COUNT(*) FROM product_imports").await,
        count(t, "SELECT COUNT(*) FROM jobs WHERE kind = 'import_products'").await,
        count(t, "SELECT COUNT(*) FROM products").await,
        count(t, "SELECT COUNT(*) FROM variants").await,
    ]
}

/// The SKUs of the shop's variants, sorted.
async fn skus(t: &TestApp, shop: &str) -> Vec<String> {
    let mut conn = t.app.db.conn().await.unwrap();
    sqlx::query(
        "SELECT v.sku FROM variants v JOIN products p ON p.id = v.product_id WHERE p.shop_id = $1 ORDER BY v.sku",
    )
    .bind(shop)
    .fetch_all(&mut *conn)
    .await
    .unwrap()
    .iter()
    .map(|r| r.try_get(0).unwrap())
    .collect()
}

db_test!(a_seller_maps_columns_and_the_job_reports_the_bad_row_by_line, |t| {
    let (seller, shop) = shop(&t).await;
    let r = page_session::get(&t, &format!("/sell/shops/{shop}/products"), &seller).await;
    assert!(
        r.text.contains(&format!("/sell/shops/{shop}/imports")),
        "the product list links the import page"
    );
    let r = page_session::get(&t, &format!("/sell/shops/{shop}/imports"), &seller).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert!(r.text.contains("type=\"file\""), "{}", r.text);

    let r = page_upload(&t, &seller, &shop, "katalog.csv", FILE.as_bytes().to_vec()).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    let page = location(&r);
    assert!(page.starts_with(&format!("/sell/shops/{shop}/imports/pim_")), "{page}");
    let import_id = page.rsplit('/').next().unwrap().to_owned();

    // The mapping step: the file's columns, its first rows, a choice per column, pre-filled.
    let r = page_session::get(&t, &page, &seller).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    for text in [
        "Artikel",
        "Kopfhoerer",
        "Lautsprecher",
        "name=\"col_6\"",
        "Start import",
    ] {
        assert!(r.text.contains(text), "{text}: {}", r.text);
    }
    assert!(
        r.text.contains("<option value=\"category\" selected>"),
        "the column named category is matched already"
    );
    let before = footprint(&t).await;
    assert_eq!(before[1], 0, "nothing runs before the seller starts it");

    // A map without a sku column is refused on the page, and starts nothing.
    let mut no_sku: Vec<(&str, &str)> = CHOICES.to_vec();
    no_sku[0].1 = "";
    let r = page_session::post(&t, &format!("{page}/start"), &seller, &no_sku).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert!(r.text.contains("no sku column"), "{}", r.text);
    assert_eq!(footprint(&t).await, before);

    let r = page_session::post(&t, &format!("{page}/start"), &seller, &CHOICES).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    let r = page_session::get(&t, &page, &seller).await;
    assert!(
        r.text.contains("<progress"),
        "a progress bar while it waits: {}",
        r.text
    );
    assert!(
        r.text.contains("http-equiv=\"refresh\""),
        "it refreshes without JavaScript"
    );
    let r = page_session::get(&t, &format!("{page}/progress"), &seller).await;
    assert_eq!(r.body["status"], "queued", "{}", r.text);
    assert_eq!(r.body["finished"], false);

    assert!(run_jobs(&t.app).await >= 1);
    let r = page_session::get(&t, &format!("{page}/progress"), &seller).await;
    assert_eq!(
        (
            r.body["status"].clone(),
            r.body["rows_done"].clone(),
            r.body["percent"].clone()
        ),
        (json!("done"), json!(3), json!(100)),
        "{}",
        r.text
    );
    let r = page_session::get(&t, &page, &seller).await;
    assert!(r.text.contains("Import finished"), "{}", r.text);
    assert!(r.text.contains("Line 3"), "the bad row by its line: {}", r.text);
    assert!(r.text.contains("<td>price</td>"), "and its column: {}", r.text);

    let r = t
        .get(&format!("/api/v1/shops/{shop}/imports/{import_id}"), Some(&seller))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let s = &r.body["summary"];
    assert_eq!(
        (s["created"].clone(), s["failed"].clone()),
        (json!(2), json!(1)),
        "{}",
        r.text
    );
    assert_eq!(s["errors"][0]["line"], 3, "{}", r.text);
    assert_eq!(s["errors"][0]["field"], "price", "{}", r.text);
    assert_eq!(
        r.body["map"],
        json!([
            "sku=Artikel",
            "title=Name",
            "price=Preis",
            "currency=Waehrung",
            "stock=Bestand"
        ])
    );
    assert_eq!(skus(&t, &shop).await, vec!["KW-1", "KW-3"]);
    let r = page_session::get(&t, &format!("/sell/shops/{shop}/imports"), &seller).await;
    assert!(
        r.text.contains("katalog.csv") && r.text.contains("Finished"),
        "{}",
        r.text
    );
});

db_test!(the_api_uploads_starts_and_reports_an_import, |t| {
    let (seller, shop) = shop(&t).await;
    let r = api_upload(&t, &seller, &shop, "text/csv; charset=utf-8", FILE.as_bytes().to_vec()).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(r.body["status"], "uploaded");
    assert_eq!(r.body["columns"][5]["automatic"], "category", "{}", r.text);
    assert_eq!(
        r.body["columns"][1]["sample"],
        json!(["Kopfhoerer", "Lautsprecher", "Kabel"])
    );
    let id = r.body["id"].as_str().unwrap().to_owned();
    let start = format!("/api/v1/shops/{shop}/imports/{id}/start");
    let before = footprint(&t).await;

    let r = t
        .post(&start, Some(&seller), json!({"map": ["sku=Nummer"], "ignore": []}))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert!(
        r.content_type().starts_with("application/problem+json"),
        "{}",
        r.content_type()
    );
    assert!(
        r.text.contains("Nummer"),
        "the problem names the missing column: {}",
        r.text
    );
    let r = t.post(&start, Some(&seller), json!({"map": ["colour=Farbe"]})).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert_eq!(footprint(&t).await, before, "a refused start changes nothing");

    let map = json!({"map": ["sku=Artikel", "title=Name", "price=Preis", "currency=Waehrung", "stock=Bestand"], "ignore": ["Notiz"]});
    let r = t.post(&start, Some(&seller), map.clone()).await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.text);
    assert_eq!(r.body["status"], "queued");
    let r = t.post(&start, Some(&seller), map).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "started once: {}", r.text);

    run_jobs(&t.app).await;
    let r = t
        .get(&format!("/api/v1/shops/{shop}/imports/{id}"), Some(&seller))
        .await;
    assert_eq!(r.body["status"], "done", "{}", r.text);
    assert_eq!(r.body["summary"]["errors"][0]["line"], 3, "{}", r.text);
    assert_eq!(r.body["summary"]["ignored_columns"], json!(["Notiz"]), "{}", r.text);
    assert!(
        r.body["map"].as_array().unwrap().contains(&json!("-=Notiz")),
        "{}",
        r.text
    );
    let r = t.get(&format!("/api/v1/shops/{shop}/imports"), Some(&seller)).await;
    assert_eq!(r.body.as_array().map(Vec::len), Some(1), "{}", r.text);

    // Imported again with the price fixed: the two rows are unchanged, the third is created.
    let fixed = FILE.replace("zwoelf", "12.00");
    let r = api_upload(&t, &seller, &shop, "text/csv", fixed.into_bytes()).await;
    let id = r.body["id"].as_str().unwrap().to_owned();
    let r = t
        .post(
            &format!("/api/v1/shops/{shop}/imports/{id}/start"),
            Some(&seller),
            json!({"map": ["sku=Artikel", "title=Name", "price=Preis", "currency=Waehrung", "stock=Bestand"]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.text);
    run_jobs(&t.app).await;
    let r = t
        .get(&format!("/api/v1/shops/{shop}/imports/{id}"), Some(&seller))
        .await;
    let s = &r.body["summary"];
    assert_eq!(
        (s["created"].clone(), s["unchanged"].clone(), s["failed"].clone()),
        (json!(1), json!(2), json!(0)),
        "{}",
        r.text
    );
    assert_eq!(s["ignored_columns"], json!(["Notiz"]));
});

db_test!(bad_files_get_a_clear_4xx_and_change_nothing, |t| {
    let (seller, shop) = shop(&t).await;
    let before = footprint(&t).await;
    let cases: Vec<(&str, Vec<u8>, StatusCode, &str)> = vec![
        ("empty", Vec::new(), StatusCode::UNPROCESSABLE_ENTITY, "empty"),
        (
            "header only",
            b"sku,title\n".to_vec(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "no rows",
        ),
        (
            "not UTF-8",
            b"sku,t\xe9tel\nA,B\n".to_vec(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "UTF-8",
        ),
        (
            "too large",
            vec![b'a'; agora_app::product_imports::MAX_FILE_BYTES + 1],
            StatusCode::PAYLOAD_TOO_LARGE,
            "",
        ),
    ];
    for (what, bytes, status, says) in cases {
        let r = api_upload(&t, &seller, &shop, "text/csv", bytes.clone()).await;
        assert_eq!(r.status, status, "API, {what}: {}", r.text);
        assert!(r.content_type().starts_with("application/problem+json"), "{what}");
        assert!(r.text.contains(says), "API, {what}: {}", r.text);
        let r = page_upload(&t, &seller, &shop, "bad.csv", bytes).await;
        assert_eq!(r.status, status, "page, {what}: {}", r.text);
        assert!(r.text.contains("<form"), "page, {what}: the form again: {}", r.text);
        if status == StatusCode::PAYLOAD_TOO_LARGE {
            assert!(r.text.contains("too large"), "{}", r.text);
        } else if what == "empty" {
            assert!(r.text.contains("choose a CSV or TSV file"), "{}", r.text);
        } else {
            assert!(r.text.contains(says), "page, {what}: {}", r.text);
        }
    }
    let r = api_upload(&t, &seller, &shop, "application/json", b"{}".to_vec()).await;
    assert_eq!(r.status, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{}", r.text);
    assert_eq!(footprint(&t).await, before, "no bad file left anything behind");

    // A file without a sku column uploads, but cannot start.
    let r = api_upload(&t, &seller, &shop, "text/csv", b"title,price\nA,1.00\n".to_vec()).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let id = r.body["id"].as_str().unwrap();
    let r = t
        .post(
            &format!("/api/v1/shops/{shop}/imports/{id}/start"),
            Some(&seller),
            json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert!(r.text.contains("sku"), "{}", r.text);
    assert_eq!(footprint(&t).await[1..], before[1..], "no job, no product");
});

/// Everything one can do with an import; the status of each attempt.
async fn try_all(t: &TestApp, token: &str, shop: &str, import_id: &str) -> Vec<(&'static str, StatusCode)> {
    let page = format!("/sell/shops/{shop}/imports/{import_id}");
    vec![
        (
            "page: imports",
            page_session::get(t, &format!("/sell/shops/{shop}/imports"), token)
                .await
                .status,
        ),
        ("page: import", page_session::get(t, &page, token).await.status),
        (
            "page: progress",
            page_session::get(t, &format!("{page}/progress"), token).await.status,
        ),
        (
            "page: start",
            page_session::post(t, &format!("{page}/start"), token, &CHOICES)
                .await
                .status,
        ),
        (
            "page: upload",
            page_upload(t, token, shop, "x.csv", FILE.as_bytes().to_vec())
                .await
                .status,
        ),
        (
            "api: get",
            t.get(&format!("/api/v1/shops/{shop}/imports/{import_id}"), Some(token))
                .await
                .status,
        ),
        (
            "api: list",
            t.get(&format!("/api/v1/shops/{shop}/imports"), Some(token))
                .await
                .status,
        ),
        (
            "api: start",
            t.post(
                &format!("/api/v1/shops/{shop}/imports/{import_id}/start"),
                Some(token),
                json!({"map": ["sku=Artikel"]}),
            )
            .await
            .status,
        ),
        (
            "api: upload",
            api_upload(t, token, shop, "text/csv", FILE.as_bytes().to_vec())
                .await
                .status,
        ),
    ]
}

db_test!(only_those_who_run_the_shop_see_or_start_its_imports, |t| {
    let CompanyMember {
        admin: anna,
        company: acme,
        member: sam,
        member_id: sam_id,
    } = t
        .company_with_member("anna@acme.test", "Acme Ltd", "sam@acme.test", "sales")
        .await;
    let operator = t.operator().await;
    t.category(&operator, "audio", false).await;
    let shop = t.approved_company_shop(&operator, &sam, "Acme Audio", "Acme Ltd").await;
    let r = api_upload(&t, &sam, &shop, "text/csv", FILE.as_bytes().to_vec()).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let import_id = r.body["id"].as_str().unwrap().to_owned();
    let r = page_session::get(&t, &format!("/sell/shops/{shop}/imports/{import_id}"), &anna).await;
    assert_eq!(r.status, StatusCode::OK, "the company's admin sees it too: {}", r.text);

    let refused = |seen: &[(&'static str, StatusCode)]| seen.iter().all(|(_, s)| *s == StatusCode::NOT_FOUND);
    let before = footprint(&t).await;
    let otto = t.user("otto@example.com").await;
    let seen = try_all(&t, &otto, &shop, &import_id).await;
    assert!(refused(&seen), "another account: {seen:?}");

    let r = t
        .call(
            Method::PATCH,
            &format!("/api/v1/companies/{acme}/members/{sam_id}"),
            Some(&anna),
            Some(json!({"role": "purchaser"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    let seen = try_all(&t, &sam, &shop, &import_id).await;
    assert!(refused(&seen), "demoted to purchaser, the uploader: {seen:?}");

    let r = t
        .call(
            Method::DELETE,
            &format!("/api/v1/companies/{acme}/members/{sam_id}"),
            Some(&anna),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    let seen = try_all(&t, &sam, &shop, &import_id).await;
    assert!(refused(&seen), "removed, the uploader: {seen:?}");
    assert_eq!(footprint(&t).await, before, "nothing the refused requests tried stuck");
    let r = t
        .get(&format!("/api/v1/shops/{shop}/imports/{import_id}"), Some(&anna))
        .await;
    assert_eq!(r.body["status"], "uploaded", "{}", r.text);
});

db_test!(an_import_that_cannot_run_ends_failed_and_writes_nothing, |t| {
    let (seller, shop) = shop(&t).await;
    let r = api_upload(
        &t,
        &seller,
        &shop,
        "text/csv",
        FILE.replace("zwoelf", "12.00").into_bytes(),
    )
    .await;
    let id = r.body["id"].as_str().unwrap().to_owned();
    let r = t
        .post(
            &format!("/api/v1/shops/{shop}/imports/{id}/start"),
            Some(&seller),
            json!({"map": ["sku=Artikel", "title=Name", "price=Preis", "currency=Waehrung", "stock=Bestand"]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.text);
    // The operator asks the shop for more information before the job runs.
    t.sql(&format!(
        "UPDATE shops SET status = 'info_requested' WHERE id = '{shop}'"
    ))
    .await;
    run_jobs(&t.app).await;
    let r = t
        .get(&format!("/api/v1/shops/{shop}/imports/{id}"), Some(&seller))
        .await;
    assert_eq!(r.body["status"], "failed", "{}", r.text);
    assert!(
        r.body["message"].as_str().unwrap_or_default().contains("approved"),
        "{}",
        r.text
    );
    assert_eq!(skus(&t, &shop).await, Vec::<String>::new(), "nothing was written");
    let r = page_session::get(&t, &format!("/sell/shops/{shop}/imports/{id}"), &seller).await;
    assert!(r.text.contains("The import could not run"), "{}", r.text);
    assert!(!r.text.contains("<progress"), "no bar for an import that ended");
    assert_eq!(
        count(
            &t,
            "SELECT COUNT(*) FROM jobs WHERE kind = 'import_products' AND status = 'done'"
        )
        .await,
        1,
        "the job ended; it is not retried"
    );
});

/// A file whose `Farbe` and `Marke` columns hold a variant's colour and the product's brand.
const WITH_OPTIONS: &str = "sku,title,price,currency,stock,category,Farbe,Marke,Colour\n\
                            OPT-1,Cuffie,49.90,EUR,5,headsets,black,Klang,\n\
                            OPT-2,Cuffie,49.90,EUR,3,headsets,white,Klang,\n";

db_test!(the_mapping_step_offers_the_categories_attributes_as_columns, |t| {
    let (seller, shop) = shop(&t).await;
    let operator = t.login("operator@agora.test").await;
    // A category below the shop's own, declaring a variant option and a product attribute.
    let r = t
        .post(
            "/api/v1/admin/categories",
            Some(&operator),
            json!({"slug": "headsets", "name": "Headsets", "parent": "audio", "attributes": [
                {"key": "colour", "type": "enum", "values": ["black", "white"]},
                {"key": "brand", "type": "text"}]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let r = page_upload(&t, &seller, &shop, "options.csv", WITH_OPTIONS.as_bytes().to_vec()).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    let page = location(&r);
    let import_id = page.rsplit('/').next().unwrap().to_owned();

    let r = page_session::get(&t, &page, &seller).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    for option in [
        "<optgroup label=\"Variant options (the category's attributes)\">",
        "<option value=\"attr:colour\"",
        "<option value=\"attr:brand\"",
        "<optgroup label=\"Product attributes\">",
        "<option value=\"product_attr:brand\"",
    ] {
        assert!(r.text.contains(option), "{option}: {}", r.text);
    }
    // A column named like an option is matched to it already; one named otherwise is not.
    assert!(
        r.text.contains("<option value=\"attr:colour\" selected>"),
        "the Colour column is read as the colour option: {}",
        r.text
    );
    let choices = [
        ("col_0", "sku"),
        ("col_1", "title"),
        ("col_2", "price"),
        ("col_3", "currency"),
        ("col_4", "stock"),
        ("col_5", "category"),
        ("col_6", "attr:colour"),
        ("col_7", "product_attr:brand"),
        ("col_8", ""),
    ];
    let r = page_session::post(&t, &format!("{page}/start"), &seller, &choices).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    let r = t
        .get(&format!("/api/v1/shops/{shop}/imports/{import_id}"), Some(&seller))
        .await;
    assert_eq!(
        r.body["map"],
        json!(["attr:colour=Farbe", "product_attr:brand=Marke"]),
        "{}",
        r.text
    );
    run_jobs(&t.app).await;
    let r = t
        .get(&format!("/api/v1/shops/{shop}/imports/{import_id}"), Some(&seller))
        .await;
    assert_eq!(r.body["status"], "done", "{}", r.text);
    assert_eq!(r.body["summary"]["created"], 2, "{}", r.text);
    assert_eq!(r.body["summary"]["failed"], 0, "{}", r.text);

    // The variants carry their colour, the product its brand.
    let mut conn = t.app.db.conn().await.unwrap();
    let rows = sqlx::query(
        "SELECT v.sku, v.attributes, p.attributes FROM variants v JOIN products p ON p.id = v.product_id
         WHERE p.shop_id = $1 ORDER BY v.sku",
    )
    .bind(&shop)
    .fetch_all(&mut *conn)
    .await
    .unwrap();
    let read: Vec<(String, serde_json::Value, serde_json::Value)> = rows
        .iter()
        .map(|r| {
            let v: String = r.try_get(1).unwrap();
            let p: String = r.try_get(2).unwrap();
            (
                r.try_get(0).unwrap(),
                serde_json::from_str(&v).unwrap(),
                serde_json::from_str(&p).unwrap(),
            )
        })
        .collect();
    assert_eq!(
        read,
        vec![
            (
                "OPT-1".to_owned(),
                json!({"colour": "black"}),
                json!({"brand": "Klang"})
            ),
            (
                "OPT-2".to_owned(),
                json!({"colour": "white"}),
                json!({"brand": "Klang"})
            ),
        ]
    );
});
