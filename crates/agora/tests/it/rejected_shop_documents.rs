//! A rejected shop takes no more documents: the server refuses the upload on the API and the
//! page, whoever sends it, and stores nothing; the page says why in a sentence.

use std::path::Path;

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::support::{db_test, pdf, read, CompanyMember, Reply, TestApp};

const CSRF: &str = "ttttttttttttttttttttttttttttttttttttttttttt";

/// Sends the seller page's upload form as the account with `token`.
async fn upload_page(t: &TestApp, token: &str, shop: &str) -> Reply {
    let form = reqwest::multipart::Form::new()
        .text("csrf", CSRF)
        .text("kind", "trade")
        .part("file", reqwest::multipart::Part::bytes(pdf()).file_name("again.pdf"));
    let req = t
        .client
        .post(t.url(&format!("/sell/shops/{shop}/documents")))
        .header("cookie", format!("agora_session={token}; agora_csrf={CSRF}"))
        .multipart(form);
    read(req.send().await.unwrap()).await
}

/// How many files the blob store holds.
fn blobs(dir: &Path) -> usize {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    entries
        .flatten()
        .map(|e| {
            let path = e.path();
            if path.is_dir() {
                blobs(&path)
            } else {
                1
            }
        })
        .sum()
}

async fn documents(t: &TestApp, token: &str, shop: &str) -> usize {
    let r = t.get(&format!("/api/v1/shops/{shop}"), Some(token)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    r.body["qualifications"].as_array().unwrap().len()
}

db_test!(a_rejected_shop_takes_no_document_from_anyone, |t| {
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
    let shop = t.company_shop(&sam, "Acme Audio", "Acme Ltd").await;
    let r = t.upload(&sam, &shop, "trade", None, "licence.pdf", pdf()).await;
    assert_eq!(
        r.status,
        StatusCode::CREATED,
        "before the decision a document is taken: {}",
        r.text
    );
    let r = t
        .post(
            &format!("/api/v1/admin/shops/{shop}/reject"),
            Some(&operator),
            json!({"reason": "No valid licence"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let blob_dir = t._dir.path().join("blobs");
    let stored = blobs(&blob_dir);
    assert_eq!(stored, 1, "the first document is stored");

    // The shop's staff (the opener and the company's admin): a clear 409 on the API, a sentence
    // on the page, nothing stored.
    for (who, token) in [("opener", &sam), ("admin", &anna)] {
        let r = t.upload(token, &shop, "trade", None, "again.pdf", pdf()).await;
        assert_eq!(r.status, StatusCode::CONFLICT, "{who}: {}", r.text);
        assert!(r.problem_type().ends_with("/invalid-transition"), "{who}: {}", r.text);
        assert!(r.text.contains("rejected"), "{who}: {}", r.text);
        let page = upload_page(&t, token, &shop).await;
        assert_eq!(page.status, StatusCode::CONFLICT, "{who}: {}", page.text);
        assert!(page.content_type().starts_with("text/html"), "{}", page.content_type());
        assert!(
            page.text.contains(
                "This shop&#x27;s application was rejected, so it takes no more documents; apply again to open a new shop."
            ) || page.text.contains(
                "This shop&#39;s application was rejected, so it takes no more documents; apply again to open a new shop."
            ),
            "{who}: {}",
            page.text
        );
        assert!(page.text.contains(r#"id="no-upload""#), "{who}: {}", page.text);
    }

    // Another account, a demoted member and a removed member learn nothing: 404.
    let otto = t.user("otto@example.com").await;
    let r = t.upload(&otto, &shop, "trade", None, "again.pdf", pdf()).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "another account: {}", r.text);
    assert_eq!(upload_page(&t, &otto, &shop).await.status, StatusCode::NOT_FOUND);
    let r = t
        .call(
            Method::PATCH,
            &format!("/api/v1/companies/{acme}/members/{sam_id}"),
            Some(&anna),
            Some(json!({"role": "purchaser"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    let r = t.upload(&sam, &shop, "trade", None, "again.pdf", pdf()).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "demoted: {}", r.text);
    assert_eq!(upload_page(&t, &sam, &shop).await.status, StatusCode::NOT_FOUND);
    let r = t
        .call(
            Method::DELETE,
            &format!("/api/v1/companies/{acme}/members/{sam_id}"),
            Some(&anna),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    let r = t.upload(&sam, &shop, "trade", None, "again.pdf", pdf()).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "removed: {}", r.text);
    assert_eq!(upload_page(&t, &sam, &shop).await.status, StatusCode::NOT_FOUND);

    // Nothing of it stuck: one document, one stored file, still rejected.
    assert_eq!(documents(&t, &anna, &shop).await, 1);
    assert_eq!(blobs(&blob_dir), stored);
    let r = t.get(&format!("/api/v1/shops/{shop}"), Some(&anna)).await;
    assert_eq!(r.body["status"], "rejected", "{}", r.text);
});
