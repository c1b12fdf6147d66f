//! A product's description is rendered once, when it is saved, and pages show the HTML kept with
//! it: through the API, the CSV import and the backfill of rows saved before the HTML was kept.

use agora_app::import::{self, ImportOptions};
use reqwest::{Method, StatusCode};
use serde_json::json;
use sqlx::Row;

use crate::catalog::{headphones, seller_with_shop};
use crate::support::{db_test, TestApp};

/// The HTML kept with a product's description (`None`: not rendered yet).
async fn stored_html(t: &TestApp, product: &str) -> Option<String> {
    let mut conn = t.app.db.conn().await.unwrap();
    sqlx::query("SELECT description_html FROM products WHERE id = $1")
        .bind(product)
        .fetch_one(&mut *conn)
        .await
        .unwrap()
        .get(0)
}

async fn page(t: &TestApp, product: &str) -> String {
    let r = t.get(&format!("/p/{product}"), None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    r.text
}

/// A seller's product whose description holds a script.
async fn listed(t: &TestApp) -> (String, String, String) {
    let (seller, shop, _) = seller_with_shop(t).await;
    let mut body = headphones("AUR-1", "4006381333931", 14900, 25);
    body["description"] = json!("**Deep bass** <script>alert(1)</script>");
    let r = t
        .post(&format!("/api/v1/shops/{shop}/products"), Some(&seller), body)
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    (seller, shop, r.body["id"].as_str().unwrap().to_owned())
}

db_test!(a_description_is_rendered_when_saved_and_shown_as_saved, |t| {
    let (seller, _, product) = listed(&t).await;
    let html = stored_html(&t, &product).await.expect("rendered when listed");
    assert!(html.contains("<strong>Deep bass</strong>"), "{html}");
    assert!(!html.contains("<script"), "the stored HTML carries no script: {html}");
    assert!(html.contains("&lt;script&gt;"), "the raw tag is kept as text: {html}");
    let shown = page(&t, &product).await;
    assert!(shown.contains(&html), "the page shows the stored HTML");
    assert!(!shown.contains("<script>alert(1)"), "no seller script reaches the page");

    let r = t
        .call(
            Method::PATCH,
            &format!("/api/v1/products/{product}"),
            Some(&seller),
            Some(json!({"description": "Now *lighter*, with [a manual](javascript:alert(2))."})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let html = stored_html(&t, &product).await.expect("rendered when edited");
    assert!(html.contains("<em>lighter</em>"), "{html}");
    assert!(!html.contains("javascript:"), "{html}");
    let shown = page(&t, &product).await;
    assert!(shown.contains("<em>lighter</em>"), "the page shows the new rendering");
    assert!(!shown.contains("Deep bass"), "and not the old one");

    // An edit of anything else keeps the rendering.
    let r = t
        .call(
            Method::PATCH,
            &format!("/api/v1/products/{product}"),
            Some(&seller),
            Some(json!({"title": "Aurora headphones"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(stored_html(&t, &product).await, Some(html));
});

db_test!(an_imported_description_is_rendered_when_imported_and_reimported, |t| {
    let (_, shop, _) = seller_with_shop(&t).await;
    let run = |csv: &'static str| {
        let app = t.app.clone();
        let shop = shop.clone();
        async move {
            let report = import::import_products(&app, &shop, csv.as_bytes(), &ImportOptions::default(), &mut |_| {})
                .await
                .expect("the import runs");
            assert!(report.errors.is_empty(), "{:?}", report.errors);
        }
    };
    run("sku,title,description,category,price,stock\nLMP-1,Lamp,\"A **warm** light <script>x</script>\",audio,19.90,5\n").await;
    let product: String = {
        let mut conn = t.app.db.conn().await.unwrap();
        sqlx::query("SELECT product_id FROM variants WHERE sku = 'LMP-1'")
            .fetch_one(&mut *conn)
            .await
            .unwrap()
            .get(0)
    };
    let html = stored_html(&t, &product).await.expect("rendered when imported");
    assert!(
        html.contains("<strong>warm</strong>") && !html.contains("<script"),
        "{html}"
    );
    run("sku,title,description,category,price,stock\nLMP-1,Lamp,A _cosy_ light,audio,19.90,5\n").await;
    let html = stored_html(&t, &product).await.expect("rendered when re-imported");
    assert!(html.contains("<em>cosy</em>") && !html.contains("warm"), "{html}");
    assert!(page(&t, &product).await.contains("<em>cosy</em>"));
});

db_test!(descriptions_saved_before_their_html_was_kept_are_filled_in, |t| {
    let (_, _, product) = listed(&t).await;
    let rendered = stored_html(&t, &product).await.unwrap();
    // As a row saved before the column existed: no HTML.
    t.sql(&format!(
        "UPDATE products SET description_html = NULL WHERE id = '{product}'"
    ))
    .await;
    t.app.products.invalidate(&product);
    assert!(
        page(&t, &product).await.contains("<strong>Deep bass</strong>"),
        "until it is filled in, the page renders it"
    );
    let data = tempfile::tempdir().unwrap();
    let out = t.agora(data.path()).arg("migrate").output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(
        stored_html(&t, &product).await,
        Some(rendered),
        "the migration filled it in"
    );
    // Nothing is left to fill in: running again changes nothing.
    assert_eq!(agora_app::descriptions::backfill(&t.app).await.unwrap(), 0);
});
