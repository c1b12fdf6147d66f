//! Shop applications, their documents, the operator's review and the restricted-category rule.

use std::time::Duration;

use agora_app::Settings;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::support::{db_test, pdf, Engine, Reply, TestApp, PASSWORD};

const FUTURE: &str = "2999-12-31";

/// A product body as sellers send it.
fn product(category: &str, sku: &str) -> Value {
    json!({
        "title": "Cheese",
        "description": "x",
        "category": category,
        "variants": [{"sku": sku, "price": {"amount": 500, "currency": "EUR"}, "stock": 3}],
    })
}

async fn list(t: &TestApp, token: &str, shop: &str, body: Value) -> Reply {
    t.post(&format!("/api/v1/shops/{shop}/products"), Some(token), body)
        .await
}

async fn decide(t: &TestApp, operator: &str, shop: &str, action: &str, body: Value) -> Reply {
    t.post(&format!("/api/v1/admin/shops/{shop}/{action}"), Some(operator), body)
        .await
}

/// Applies for a shop and has the operator approve it.
async fn approved_shop(t: &TestApp, seller: &str, operator: &str, name: &str, categories: &[&str]) -> String {
    let shop = t.shop(seller, name, categories).await;
    let r = decide(t, operator, &shop, "approve", json!({})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    shop
}

/// The shop as its applicant sees it.
async fn shop_view(t: &TestApp, token: &str, shop: &str) -> Value {
    let r = t.get(&format!("/api/v1/shops/{shop}"), Some(token)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    r.body
}

async fn status_of(t: &TestApp, token: &str, shop: &str) -> String {
    shop_view(t, token, shop).await["status"].as_str().unwrap().to_owned()
}

/// How many files the blob folder holds.
fn stored_blobs(t: &TestApp) -> usize {
    fn count(dir: &std::path::Path) -> usize {
        match std::fs::read_dir(dir) {
            Ok(entries) => entries
                .filter_map(Result::ok)
                .map(|e| {
                    let path = e.path();
                    if path.is_dir() {
                        count(&path)
                    } else {
                        1
                    }
                })
                .sum(),
            Err(_) => 0,
        }
    }
    count(&t._dir.path().join("blobs"))
}

db_test!(applying_creates_a_pending_shop_with_its_categories, |t| {
    let operator = t.operator().await;
    t.category(&operator, "books", false).await;
    t.category(&operator, "toys", false).await;
    let seller = t.user("seller@example.com").await;
    let r = t
        .post(
            "/api/v1/shops",
            Some(&seller),
            json!({"name": "Paper Trail", "legal_name": "Paper Trail Ltd", "registration_number": "HRB 123", "categories": ["toys", "books"]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(r.body["status"], "pending");
    assert_eq!(r.body["name"], "Paper Trail");
    assert_eq!(r.body["legal_name"], "Paper Trail Ltd");
    assert_eq!(r.body["registration_number"], "HRB 123");
    let mut categories: Vec<_> = r.body["categories"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().to_owned())
        .collect();
    categories.sort();
    assert_eq!(categories, ["books", "toys"]);
    let id = r.body["id"].as_str().unwrap().to_owned();

    let me = t.get("/api/v1/me", Some(&seller)).await;
    let shops = me.body["shops"].as_array().unwrap();
    assert_eq!(shops.len(), 1);
    assert_eq!(shops[0]["id"], id.as_str());
    assert_eq!(shops[0]["status"], "pending");
    assert_eq!(
        me.body["roles"],
        json!(["buyer"]),
        "a pending shop does not make a seller"
    );

    let seen = shop_view(&t, &seller, &id).await;
    assert_eq!(seen["status"], "pending");
    assert_eq!(seen["categories"], r.body["categories"]);
});

db_test!(a_bad_application_is_refused_and_creates_nothing, |t| {
    let operator = t.operator().await;
    t.category(&operator, "books", false).await;
    let seller = t.user("seller@example.com").await;
    let apply = |body: Value| t.post("/api/v1/shops", Some(seller.as_str()), body);

    let unknown =
        apply(json!({"name": "Paper Trail", "legal_name": "Paper Trail Ltd", "categories": ["books", "unicorns"]}))
            .await;
    assert_eq!(unknown.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(unknown.problem_type(), "/problems/validation");
    assert_eq!(unknown.body["errors"][0]["field"], "categories");
    assert!(unknown.text.contains("unicorns"), "{}", unknown.text);

    let missing = apply(json!({"legal_name": "Paper Trail Ltd", "categories": []})).await;
    assert_eq!(missing.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(missing.problem_type(), "/problems/validation");
    assert!(
        missing.body["errors"][0]["message"].as_str().unwrap().contains("name"),
        "{}",
        missing.text
    );

    let empty = apply(json!({"name": "  ", "legal_name": "Paper Trail Ltd", "categories": []})).await;
    assert_eq!(empty.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(empty.body["errors"][0]["field"], "name");

    let long = apply(json!({"name": "n".repeat(101), "legal_name": "Paper Trail Ltd", "categories": []})).await;
    assert_eq!(long.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(long.body["errors"][0]["field"], "name");

    let anonymous = t
        .post(
            "/api/v1/shops",
            None,
            json!({"name": "Paper Trail", "legal_name": "Paper Trail Ltd", "categories": []}),
        )
        .await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
    assert_eq!(anonymous.problem_type(), "/problems/unauthenticated");

    let me = t.get("/api/v1/me", Some(&seller)).await;
    assert_eq!(me.body["shops"], json!([]));
    let queue = t.get("/api/v1/admin/shops?status=pending", Some(&operator)).await;
    assert_eq!(queue.body["items"], json!([]), "{}", queue.text);
});

db_test!(a_pending_shop_is_seen_only_by_its_applicant_and_operators, |t| {
    let operator = t.operator().await;
    let seller = t.user("seller@example.com").await;
    let other = t.user("other@example.com").await;
    let shop = t.shop(&seller, "Quiet Corner", &[]).await;
    let path = format!("/api/v1/shops/{shop}");

    assert_eq!(t.get(&path, Some(&seller)).await.status, StatusCode::OK);
    let by_operator = t.get(&path, Some(&operator)).await;
    assert_eq!(by_operator.status, StatusCode::OK);
    assert_eq!(by_operator.body["status"], "pending");
    for token in [Some(other.as_str()), None] {
        let r = t.get(&path, token).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.text);
        assert_eq!(r.problem_type(), "/problems/not-found");
        assert!(!r.text.contains("Quiet Corner"));
    }
    // Exactly as for a shop that does not exist.
    let absent = t.get("/api/v1/shops/shp_nonexistent", Some(&other)).await;
    assert_eq!(absent.status, StatusCode::NOT_FOUND);
    assert_eq!(absent.body["detail"], t.get(&path, Some(&other)).await.body["detail"]);
});

db_test!(an_approved_shop_is_public_without_its_paperwork, |t| {
    let operator = t.operator().await;
    let seller = t.user("seller@example.com").await;
    let other = t.user("other@example.com").await;
    let shop = t.shop(&seller, "Open Doors", &[]).await;
    let up = t
        .upload(&seller, &shop, "trade", Some(FUTURE), "licence.pdf", pdf())
        .await;
    assert_eq!(up.status, StatusCode::CREATED, "{}", up.text);
    let r = decide(&t, &operator, &shop, "approve", json!({})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    // An internal note left on the shop (set directly: approving leaves none).
    t.sql(&format!(
        "UPDATE shops SET decision_note = 'checked by phone' WHERE id = '{shop}'"
    ))
    .await;

    let path = format!("/api/v1/shops/{shop}");
    for token in [Some(other.as_str()), None] {
        let public = t.get(&path, token).await;
        assert_eq!(public.status, StatusCode::OK, "{}", public.text);
        assert_eq!(public.body["name"], "Open Doors");
        assert_eq!(public.body["status"], "approved");
        assert_eq!(public.body["qualifications"], json!([]));
        assert!(public.body["decision_note"].is_null(), "{}", public.text);
        assert!(!public.text.contains("licence.pdf"));
        assert!(!public.text.contains("checked by phone"));
    }
    let own = shop_view(&t, &seller, &shop).await;
    assert_eq!(own["qualifications"].as_array().unwrap().len(), 1);
    assert_eq!(own["decision_note"], "checked by phone");
    let by_operator = t.get(&path, Some(&operator)).await;
    assert_eq!(by_operator.body["qualifications"].as_array().unwrap().len(), 1);
});

db_test!(a_pdf_document_is_accepted_for_review, |t| {
    let seller = t.user("seller@example.com").await;
    let shop = t.shop(&seller, "Deli Nord", &[]).await;
    let r = t
        .upload(&seller, &shop, "food", Some("2030-06-30"), "licence.pdf", pdf())
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(r.body["status"], "pending");
    assert_eq!(r.body["kind"], "food");
    assert_eq!(r.body["expires_on"], "2030-06-30");
    assert_eq!(r.body["content_type"], "application/pdf");
    assert_eq!(r.body["size_bytes"], pdf().len());
    let id = r.body["id"].as_str().unwrap().to_owned();

    let view = shop_view(&t, &seller, &shop).await;
    let docs = view["qualifications"].as_array().unwrap();
    assert_eq!(docs.len(), 1);
    assert_eq!(docs[0]["id"], id.as_str());
    assert_eq!(docs[0]["status"], "pending");

    // Without an expiry date is fine too (a document that does not expire).
    let open = t.upload(&seller, &shop, "trade", None, "register.pdf", pdf()).await;
    assert_eq!(open.status, StatusCode::CREATED, "{}", open.text);
    assert!(open.body["expires_on"].is_null());

    // The applicant gets the very bytes back.
    let res = t
        .client
        .get(t.url(&format!("/api/v1/qualifications/{id}/document")))
        .bearer_auth(&seller)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.bytes().await.unwrap().to_vec(), pdf());
});

db_test!(bad_documents_are_refused_and_nothing_is_written, |t| {
    let seller = t.user("seller@example.com").await;
    let other = t.user("other@example.com").await;
    let shop = t.shop(&seller, "Deli Nord", &[]).await;
    let ok = t.upload(&seller, &shop, "food", Some(FUTURE), "first.pdf", pdf()).await;
    assert_eq!(ok.status, StatusCode::CREATED, "{}", ok.text);
    let before = shop_view(&t, &seller, &shop).await["qualifications"].clone();
    let blobs = stored_blobs(&t);
    assert_eq!(blobs, 1);

    // Another PDF for each case, so that nothing could be deduplicated away.
    let other_pdf = |n: u8| {
        let mut bytes = pdf();
        bytes.extend_from_slice(format!("% variant {n}\n").as_bytes());
        bytes
    };

    let exe = t
        .upload(
            &seller,
            &shop,
            "food",
            Some(FUTURE),
            "licence.pdf",
            b"MZ\x90\x00\x03\x00\x00\x00 an executable".to_vec(),
        )
        .await;
    assert_eq!(exe.status, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{}", exe.text);
    assert_eq!(exe.problem_type(), "/problems/unsupported-media-type");

    let kind = t
        .upload(&seller, &shop, "Food Licence!", Some(FUTURE), "l.pdf", other_pdf(1))
        .await;
    assert_eq!(kind.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", kind.text);
    assert_eq!(kind.body["errors"][0]["field"], "kind");

    let no_kind = t.upload(&seller, &shop, "", Some(FUTURE), "l.pdf", other_pdf(2)).await;
    assert_eq!(no_kind.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(no_kind.body["errors"][0]["field"], "kind");

    let expired = t
        .upload(&seller, &shop, "food", Some("2000-01-01"), "l.pdf", other_pdf(3))
        .await;
    assert_eq!(expired.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", expired.text);
    assert_eq!(expired.body["errors"][0]["field"], "expires_on");

    for malformed in ["31/12/2030", "2030-02-30", "tomorrow"] {
        let r = t
            .upload(&seller, &shop, "food", Some(malformed), "l.pdf", other_pdf(4))
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{malformed}: {}", r.text);
        assert_eq!(r.body["errors"][0]["field"], "expires_on");
    }

    let theirs = t
        .upload(&other, &shop, "food", Some(FUTURE), "l.pdf", other_pdf(5))
        .await;
    assert_eq!(theirs.status, StatusCode::NOT_FOUND, "{}", theirs.text);
    assert_eq!(theirs.problem_type(), "/problems/not-found");

    let absent = t
        .upload(&seller, "shp_nonexistent", "food", Some(FUTURE), "l.pdf", other_pdf(6))
        .await;
    assert_eq!(absent.status, StatusCode::NOT_FOUND);

    let no_file = t
        .upload(&seller, &shop, "food", Some(FUTURE), "l.pdf", Vec::new())
        .await;
    assert_eq!(no_file.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(no_file.body["errors"][0]["field"], "file");

    let anonymous = t
        .client
        .post(t.url(&format!("/api/v1/shops/{shop}/qualifications")))
        .multipart(
            reqwest::multipart::Form::new()
                .text("kind", "food")
                .part("file", reqwest::multipart::Part::bytes(other_pdf(7)).file_name("l.pdf")),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);

    assert_eq!(
        shop_view(&t, &seller, &shop).await["qualifications"],
        before,
        "no refused upload was recorded"
    );
    assert_eq!(stored_blobs(&t), blobs, "no refused upload was stored");
});

/// An upload over the configured limit: 413, and nothing recorded.
async fn an_oversized_document_gets_413(engine: Engine) {
    let t = TestApp::spawn_with(
        engine,
        Settings {
            max_upload_bytes: 1024,
            ..Default::default()
        },
    )
    .await;
    let seller = t.user("seller@example.com").await;
    let shop = t.shop(&seller, "Big Papers", &[]).await;

    let mut big = pdf();
    big.resize(1025, b' ');
    let r = t.upload(&seller, &shop, "food", Some(FUTURE), "big.pdf", big).await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", r.text);
    assert_eq!(r.problem_type(), "/problems/too-large");
    assert_eq!(shop_view(&t, &seller, &shop).await["qualifications"], json!([]));
    assert_eq!(stored_blobs(&t), 0);

    let mut fits = pdf();
    fits.resize(1024, b' ');
    let r = t.upload(&seller, &shop, "food", Some(FUTURE), "fits.pdf", fits).await;
    assert_eq!(
        r.status,
        StatusCode::CREATED,
        "exactly the limit is allowed: {}",
        r.text
    );
}

mod an_oversized_document_is_refused {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite() {
        an_oversized_document_gets_413(Engine::Sqlite).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    #[cfg_attr(not(agora_pg), ignore = "set AGORA_TEST_POSTGRES_URL to run on PostgreSQL")]
    async fn postgres() {
        an_oversized_document_gets_413(Engine::Postgres).await;
    }
}

db_test!(the_review_queue_lists_pending_shops_oldest_first_page_by_page, |t| {
    let operator = t.operator().await;
    let seller = t.user("seller@example.com").await;
    let mut created = Vec::new();
    for name in ["First Shop", "Second Shop", "Third Shop"] {
        created.push(t.shop(&seller, name, &[]).await);
        // Distinct creation times, so that "oldest first" has one right answer.
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    // A decided shop is not in the pending queue.
    let decided = approved_shop(&t, &seller, &operator, "Done Shop", &[]).await;

    let mut seen = Vec::new();
    let mut path = "/api/v1/admin/shops?status=pending&limit=2".to_owned();
    let mut pages = 0;
    loop {
        let page = t.get(&path, Some(&operator)).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.text);
        pages += 1;
        let items = page.body["items"].as_array().unwrap();
        assert!(items.len() <= 2);
        for item in items {
            assert_eq!(item["status"], "pending");
            seen.push(item["id"].as_str().unwrap().to_owned());
        }
        match page.body["next_cursor"].as_str() {
            Some(cursor) => {
                assert!(pages < 5, "the cursor keeps going");
                path = format!("/api/v1/admin/shops?status=pending&limit=2&cursor={cursor}");
            }
            None => break,
        }
    }
    assert_eq!(pages, 2);
    assert_eq!(seen, created, "each pending shop once, oldest first");
    assert!(!seen.contains(&decided));

    // `pending` is the default; other statuses have their own lists.
    let default = t.get("/api/v1/admin/shops", Some(&operator)).await;
    assert_eq!(default.body["items"].as_array().unwrap().len(), 3);
    assert!(default.body["next_cursor"].is_null());
    let approved = t.get("/api/v1/admin/shops?status=approved", Some(&operator)).await;
    assert_eq!(approved.body["items"][0]["id"], decided.as_str());

    for bad in ["?status=sleeping", "?limit=0", "?limit=101", "?cursor=not-a-cursor"] {
        let r = t.get(&format!("/api/v1/admin/shops{bad}"), Some(&operator)).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}: {}", r.text);
    }
});

db_test!(only_operators_reach_the_back_office, |t| {
    let operator = t.operator().await;
    let seller = t.user("seller@example.com").await;
    let buyer = t.user("buyer@example.com").await;
    let shop = t.shop(&seller, "Waiting Room", &[]).await;
    let up = t.upload(&seller, &shop, "food", Some(FUTURE), "l.pdf", pdf()).await;
    let doc = up.body["id"].as_str().unwrap().to_owned();

    let calls: Vec<(Method, String, Option<Value>)> = vec![
        (Method::GET, "/api/v1/admin/shops?status=pending".into(), None),
        (
            Method::POST,
            format!("/api/v1/admin/shops/{shop}/approve"),
            Some(json!({})),
        ),
        (
            Method::POST,
            format!("/api/v1/admin/shops/{shop}/reject"),
            Some(json!({"reason": "no"})),
        ),
        (
            Method::POST,
            format!("/api/v1/admin/shops/{shop}/request-info"),
            Some(json!({"message": "why?"})),
        ),
        (
            Method::POST,
            format!("/api/v1/admin/qualifications/{doc}/approve"),
            Some(json!({})),
        ),
        (
            Method::POST,
            format!("/api/v1/admin/qualifications/{doc}/reject"),
            Some(json!({"reason": "no"})),
        ),
        (
            Method::POST,
            "/api/v1/admin/categories".into(),
            Some(json!({"slug": "weapons", "name": "Weapons"})),
        ),
        (Method::GET, "/api/v1/admin/audit/verify".into(), None),
    ];
    for (method, path, body) in calls {
        for token in [&buyer, &seller] {
            let r = t.call(method.clone(), &path, Some(token.as_str()), body.clone()).await;
            assert_eq!(r.status, StatusCode::FORBIDDEN, "{method} {path}: {}", r.text);
            assert_eq!(r.problem_type(), "/problems/forbidden");
        }
        let r = t.call(method.clone(), &path, None, body.clone()).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{method} {path}: {}", r.text);
    }

    // None of it had any effect.
    let view = shop_view(&t, &seller, &shop).await;
    assert_eq!(view["status"], "pending");
    assert_eq!(view["qualifications"][0]["status"], "pending");
    let tree = t.get("/api/v1/categories", None).await;
    assert!(!tree.text.contains("weapons"), "{}", tree.text);
    // While the operator gets through.
    let queue = t.get("/api/v1/admin/shops", Some(&operator)).await;
    assert_eq!(queue.status, StatusCode::OK);
    assert_eq!(queue.body["items"][0]["id"], shop.as_str());
});

db_test!(approving_a_shop_approves_its_pending_documents_once, |t| {
    let operator = t.operator().await;
    let seller = t.user("seller@example.com").await;
    let shop = t.shop(&seller, "Deli Nord", &[]).await;
    for kind in ["food", "trade"] {
        let r = t
            .upload(&seller, &shop, kind, Some(FUTURE), &format!("{kind}.pdf"), {
                let mut b = pdf();
                b.extend_from_slice(kind.as_bytes());
                b
            })
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    }

    let r = decide(&t, &operator, &shop, "approve", json!({})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["status"], "approved");
    let view = shop_view(&t, &seller, &shop).await;
    assert_eq!(view["status"], "approved");
    let docs = view["qualifications"].as_array().unwrap();
    assert_eq!(docs.len(), 2);
    assert!(docs.iter().all(|d| d["status"] == "approved"), "{docs:?}");
    let me = t.get("/api/v1/me", Some(&seller)).await;
    assert_eq!(me.body["roles"], json!(["buyer", "seller"]));

    for (action, body) in [
        ("approve", json!({})),
        ("reject", json!({"reason": "changed my mind"})),
        ("request-info", json!({"message": "one more thing"})),
    ] {
        let again = decide(&t, &operator, &shop, action, body).await;
        assert_eq!(again.status, StatusCode::CONFLICT, "{action}: {}", again.text);
        assert_eq!(again.problem_type(), "/problems/invalid-transition");
    }
    assert_eq!(status_of(&t, &seller, &shop).await, "approved");

    let absent = decide(&t, &operator, "shp_nonexistent", "approve", json!({})).await;
    assert_eq!(absent.status, StatusCode::NOT_FOUND);
});

db_test!(a_rejection_needs_a_reason_the_applicant_sees, |t| {
    let operator = t.operator().await;
    let seller = t.user("seller@example.com").await;
    let shop = t.shop(&seller, "Shady Deals", &[]).await;
    let up = t.upload(&seller, &shop, "trade", Some(FUTURE), "l.pdf", pdf()).await;
    assert_eq!(up.status, StatusCode::CREATED);

    for body in [json!({"reason": ""}), json!({"reason": "   "}), json!({})] {
        let r = decide(&t, &operator, &shop, "reject", body.clone()).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {}", r.text);
        assert_eq!(r.problem_type(), "/problems/validation");
    }
    let empty = decide(&t, &operator, &shop, "reject", json!({"reason": ""})).await;
    assert_eq!(empty.body["errors"][0]["field"], "reason");
    assert_eq!(status_of(&t, &seller, &shop).await, "pending");

    let r = decide(
        &t,
        &operator,
        &shop,
        "reject",
        json!({"reason": "The registration number does not exist."}),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["status"], "rejected");
    let view = shop_view(&t, &seller, &shop).await;
    assert_eq!(view["status"], "rejected");
    assert_eq!(view["decision_note"], "The registration number does not exist.");
    assert_eq!(view["qualifications"][0]["status"], "rejected");
    // A rejected shop stays private.
    assert_eq!(
        t.get(&format!("/api/v1/shops/{shop}"), None).await.status,
        StatusCode::NOT_FOUND
    );
    let again = decide(&t, &operator, &shop, "approve", json!({})).await;
    assert_eq!(again.status, StatusCode::CONFLICT);
});

db_test!(a_request_for_information_is_answered_with_a_document, |t| {
    let operator = t.operator().await;
    let seller = t.user("seller@example.com").await;
    let shop = t.shop(&seller, "Deli Nord", &[]).await;

    let blank = decide(&t, &operator, &shop, "request-info", json!({"message": ""})).await;
    assert_eq!(blank.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(blank.body["errors"][0]["field"], "message");

    let r = decide(
        &t,
        &operator,
        &shop,
        "request-info",
        json!({"message": "Please upload your food licence."}),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["status"], "info_requested");
    let view = shop_view(&t, &seller, &shop).await;
    assert_eq!(view["status"], "info_requested");
    assert_eq!(view["decision_note"], "Please upload your food licence.");
    let queue = t.get("/api/v1/admin/shops?status=pending", Some(&operator)).await;
    assert_eq!(queue.body["items"], json!([]));
    let asked = t
        .get("/api/v1/admin/shops?status=info_requested", Some(&operator))
        .await;
    assert_eq!(asked.body["items"][0]["id"], shop.as_str());
    let twice = decide(&t, &operator, &shop, "request-info", json!({"message": "again"})).await;
    assert_eq!(twice.status, StatusCode::CONFLICT);

    let up = t
        .upload(&seller, &shop, "food", Some(FUTURE), "licence.pdf", pdf())
        .await;
    assert_eq!(up.status, StatusCode::CREATED, "{}", up.text);
    assert_eq!(status_of(&t, &seller, &shop).await, "pending");
    let queue = t.get("/api/v1/admin/shops?status=pending", Some(&operator)).await;
    assert_eq!(queue.body["items"][0]["id"], shop.as_str());

    let r = decide(&t, &operator, &shop, "approve", json!({})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["qualifications"][0]["status"], "approved");
});

db_test!(two_operators_deciding_at_once_one_wins_the_other_gets_409, |t| {
    let first = t.operator().await;
    agora_app::accounts::create_operator(&t.app, "second@agora.test", PASSWORD, "Second")
        .await
        .unwrap();
    let second = t.login("second@agora.test").await;
    let seller = t.user("seller@example.com").await;

    for round in 0..3 {
        let shop = t.shop(&seller, &format!("Contested {round}"), &[]).await;
        let (approve, reject) = tokio::join!(
            decide(&t, &first, &shop, "approve", json!({})),
            decide(&t, &second, &shop, "reject", json!({"reason": "not for us"})),
        );
        let (winner, loser, expected) = match (approve.status, reject.status) {
            (StatusCode::OK, StatusCode::CONFLICT) => (approve, reject, "approved"),
            (StatusCode::CONFLICT, StatusCode::OK) => (reject, approve, "rejected"),
            (a, r) => panic!(
                "round {round}: exactly one decision must win; approve {a}: {}, reject {r}: {}",
                approve.text, reject.text
            ),
        };
        assert_eq!(winner.body["status"], expected);
        assert_eq!(loser.problem_type(), "/problems/invalid-transition");
        assert_eq!(status_of(&t, &seller, &shop).await, expected, "round {round}");
    }
});

db_test!(restricted_categories_need_an_approved_unexpired_licence, |t| {
    let operator = t.operator().await;
    t.category(&operator, "food", true).await;
    t.category(&operator, "books", false).await;
    let tree = t.get("/api/v1/categories", None).await;
    let food = tree
        .body
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["slug"] == "food")
        .expect("food is in the tree")
        .clone();
    assert_eq!(food["restricted"], true);
    assert_eq!(food["licence_kind"], "food");

    let seller = t.user("seller@example.com").await;
    let shop = approved_shop(&t, &seller, &operator, "Deli Nord", &["food", "books"]).await;

    let denied = list(&t, &seller, &shop, product("food", "C-1")).await;
    assert_eq!(denied.status, StatusCode::FORBIDDEN, "{}", denied.text);
    assert_eq!(denied.problem_type(), "/problems/forbidden");
    assert!(denied.text.contains("food"), "{}", denied.text);
    let books = list(&t, &seller, &shop, product("books", "B-1")).await;
    assert_eq!(books.status, StatusCode::CREATED, "{}", books.text);

    // A licence of the right kind, still waiting for review, does not count yet.
    let up = t
        .upload(&seller, &shop, "food", Some(FUTURE), "licence.pdf", pdf())
        .await;
    assert_eq!(up.status, StatusCode::CREATED, "{}", up.text);
    assert_eq!(up.body["status"], "pending");
    let doc = up.body["id"].as_str().unwrap().to_owned();
    assert_eq!(
        status_of(&t, &seller, &shop).await,
        "approved",
        "a new document does not reopen an approved shop"
    );
    let waiting = list(&t, &seller, &shop, product("food", "C-1")).await;
    assert_eq!(waiting.status, StatusCode::FORBIDDEN, "{}", waiting.text);

    let ok = t
        .post(
            &format!("/api/v1/admin/qualifications/{doc}/approve"),
            Some(&operator),
            json!({}),
        )
        .await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.text);
    assert_eq!(ok.body["status"], "approved");
    let twice = t
        .post(
            &format!("/api/v1/admin/qualifications/{doc}/approve"),
            Some(&operator),
            json!({}),
        )
        .await;
    assert_eq!(twice.status, StatusCode::CONFLICT);

    let cheese = list(&t, &seller, &shop, product("food", "C-1")).await;
    assert_eq!(cheese.status, StatusCode::CREATED, "{}", cheese.text);
    assert_eq!(cheese.body["category"], "food");

    // The licence runs out.
    t.sql(&format!(
        "UPDATE qualifications SET expires_on = '2000-01-01' WHERE id = '{doc}'"
    ))
    .await;
    let expired = list(&t, &seller, &shop, product("food", "C-2")).await;
    assert_eq!(expired.status, StatusCode::FORBIDDEN, "{}", expired.text);
    let still_books = list(&t, &seller, &shop, product("books", "B-2")).await;
    assert_eq!(still_books.status, StatusCode::CREATED, "{}", still_books.text);
});

db_test!(a_licence_of_another_kind_or_shop_does_not_count, |t| {
    let operator = t.operator().await;
    t.category(&operator, "food", true).await;
    let seller = t.user("seller@example.com").await;
    let rival = t.user("rival@example.com").await;
    let shop = t.shop(&seller, "Deli Nord", &["food"]).await;
    let theirs = t.shop(&rival, "Deli Sud", &["food"]).await;
    // Documents uploaded before approval are approved with the shop.
    let up = t.upload(&seller, &shop, "medicine", Some(FUTURE), "l.pdf", pdf()).await;
    assert_eq!(up.status, StatusCode::CREATED);
    let up = t.upload(&rival, &theirs, "food", Some(FUTURE), "l.pdf", pdf()).await;
    assert_eq!(up.status, StatusCode::CREATED);
    for s in [&shop, &theirs] {
        let r = decide(&t, &operator, s, "approve", json!({})).await;
        assert_eq!(r.status, StatusCode::OK);
    }
    let denied = list(&t, &seller, &shop, product("food", "C-1")).await;
    assert_eq!(denied.status, StatusCode::FORBIDDEN, "{}", denied.text);
    let allowed = list(&t, &rival, &theirs, product("food", "C-1")).await;
    assert_eq!(allowed.status, StatusCode::CREATED, "{}", allowed.text);
});

db_test!(a_shop_not_yet_approved_cannot_list, |t| {
    let operator = t.operator().await;
    t.category(&operator, "books", false).await;
    let seller = t.user("seller@example.com").await;
    let shop = t.shop(&seller, "Not Yet", &["books"]).await;
    let r = list(&t, &seller, &shop, product("books", "B-1")).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text);
    assert_eq!(r.problem_type(), "/problems/shop-not-approved");

    let rejected = t.shop(&seller, "Never", &["books"]).await;
    let no = decide(&t, &operator, &rejected, "reject", json!({"reason": "no"})).await;
    assert_eq!(no.status, StatusCode::OK);
    let r = list(&t, &seller, &rejected, product("books", "B-1")).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text);
});

db_test!(a_child_of_a_restricted_category_needs_the_same_licence, |t| {
    let operator = t.operator().await;
    t.category(&operator, "food", true).await;
    let child = t
        .post(
            "/api/v1/admin/categories",
            Some(&operator),
            json!({"slug": "cheese", "name": "Cheese", "parent": "food"}),
        )
        .await;
    assert_eq!(child.status, StatusCode::CREATED, "{}", child.text);
    let seller = t.user("seller@example.com").await;
    let shop = approved_shop(&t, &seller, &operator, "Fromagerie", &["food"]).await;

    let denied = list(&t, &seller, &shop, product("cheese", "C-1")).await;
    assert_eq!(denied.status, StatusCode::FORBIDDEN, "{}", denied.text);
    assert!(denied.text.contains("food"), "{}", denied.text);

    let up = t
        .upload(&seller, &shop, "food", Some(FUTURE), "licence.pdf", pdf())
        .await;
    let doc = up.body["id"].as_str().unwrap().to_owned();
    let ok = t
        .post(
            &format!("/api/v1/admin/qualifications/{doc}/approve"),
            Some(&operator),
            json!({}),
        )
        .await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.text);
    let allowed = list(&t, &seller, &shop, product("cheese", "C-1")).await;
    assert_eq!(allowed.status, StatusCode::CREATED, "{}", allowed.text);
    assert_eq!(allowed.body["category"], "cheese");
});

db_test!(bad_product_input_is_refused, |t| {
    let operator = t.operator().await;
    t.category(&operator, "books", false).await;
    let seller = t.user("seller@example.com").await;
    let other = t.user("other@example.com").await;
    let shop = approved_shop(&t, &seller, &operator, "Paper Trail", &["books"]).await;

    let mut negative = product("books", "B-1");
    negative["variants"][0]["price"]["amount"] = json!(-500);
    let r = list(&t, &seller, &shop, negative).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert_eq!(r.body["errors"][0]["field"], "variants[0].price");

    let r = list(&t, &seller, &shop, product("unicorns", "B-1")).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert_eq!(r.body["errors"][0]["field"], "category");

    let mut none = product("books", "B-1");
    none["variants"] = json!([]);
    let r = list(&t, &seller, &shop, none).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert_eq!(r.body["errors"][0]["field"], "variants");

    let mut currency = product("books", "B-1");
    currency["variants"][0]["price"]["currency"] = json!("XYZ");
    let r = list(&t, &seller, &shop, currency).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);

    let r = list(&t, &other, &shop, product("books", "B-1")).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.text);
    assert_eq!(r.problem_type(), "/problems/not-found");

    let r = list(&t, &seller, "shp_nonexistent", product("books", "B-1")).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.text);

    let r = t
        .post(&format!("/api/v1/shops/{shop}/products"), None, product("books", "B-1"))
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);

    // None of these was created: the SKU is still free.
    let ok = list(&t, &seller, &shop, product("books", "B-1")).await;
    assert_eq!(ok.status, StatusCode::CREATED, "{}", ok.text);
    let dup = list(&t, &seller, &shop, product("books", "B-1")).await;
    assert_eq!(dup.status, StatusCode::CONFLICT, "{}", dup.text);
    assert_eq!(dup.problem_type(), "/problems/duplicate-sku");
});

db_test!(a_product_page_shows_its_variants_and_drafts_stay_private, |t| {
    let operator = t.operator().await;
    t.category(&operator, "books", false).await;
    let seller = t.user("seller@example.com").await;
    let other = t.user("other@example.com").await;
    let shop = approved_shop(&t, &seller, &operator, "Paper Trail", &["books"]).await;

    let body = json!({
        "title": "Atlas",
        "description": "Maps of everywhere",
        "category": "books",
        "variants": [
            {"sku": "A-HB", "price": {"amount": 2500, "currency": "EUR"}, "stock": 4},
            {"sku": "A-PB", "price": {"amount": 1250, "currency": "EUR"}, "stock": 0},
        ],
    });
    let created = list(&t, &seller, &shop, body).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
    assert_eq!(created.body["status"], "active");
    let id = created.body["id"].as_str().unwrap().to_owned();

    let page = t.get(&format!("/api/v1/products/{id}"), None).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text);
    assert_eq!(page.body["id"], id.as_str());
    assert_eq!(page.body["title"], "Atlas");
    assert_eq!(page.body["description"], "Maps of everywhere");
    assert_eq!(page.body["category"], "books");
    assert_eq!(page.body["shop"]["id"], shop.as_str());
    assert_eq!(page.body["shop"]["name"], "Paper Trail");
    let variants = page.body["variants"].as_array().unwrap();
    assert_eq!(variants.len(), 2);
    assert_eq!(variants[0]["sku"], "A-HB");
    assert_eq!(variants[0]["price"], json!({"amount": 2500, "currency": "EUR"}));
    assert_eq!(variants[0]["stock"], 4);
    assert_eq!(variants[1]["sku"], "A-PB");
    assert_eq!(variants[1]["stock"], 0);
    assert!(variants.iter().all(|v| v["id"].as_str().is_some()));

    let mut draft = product("books", "D-1");
    draft["status"] = json!("draft");
    let draft = list(&t, &seller, &shop, draft).await;
    assert_eq!(draft.status, StatusCode::CREATED, "{}", draft.text);
    assert_eq!(draft.body["status"], "draft");
    let draft_path = format!("/api/v1/products/{}", draft.body["id"].as_str().unwrap());
    for token in [None, Some(other.as_str())] {
        let r = t.get(&draft_path, token).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.text);
    }
    let own = t.get(&draft_path, Some(&seller)).await;
    assert_eq!(own.status, StatusCode::OK, "{}", own.text);

    let absent = t.get("/api/v1/products/prd_nonexistent", None).await;
    assert_eq!(absent.status, StatusCode::NOT_FOUND);
});

async fn shops_applied_for_at_once_under_one_name_all_open_on(t: TestApp) {
    let mut sellers = Vec::new();
    for i in 0..4 {
        sellers.push(t.user(&format!("seller{i}@example.com")).await);
    }
    let replies = futures::future::join_all(sellers.iter().map(|s| {
        t.post(
            "/api/v1/shops",
            Some(s.as_str()),
            json!({"name": "Twin Peaks", "legal_name": "Twin Peaks Ltd", "categories": []}),
        )
    }))
    .await;
    let mut slugs = std::collections::BTreeSet::new();
    for r in &replies {
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        slugs.insert(r.body["slug"].as_str().unwrap().to_owned());
    }
    assert_eq!(slugs.len(), 4, "each shop its own handle: {slugs:?}");
    assert!(slugs.contains("twin-peaks"));
}

mod shops_applied_for_at_once_under_one_name_all_open {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite() {
        shops_applied_for_at_once_under_one_name_all_open_on(TestApp::spawn(Engine::Sqlite).await).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    #[cfg_attr(not(agora_pg), ignore = "set AGORA_TEST_POSTGRES_URL to run on PostgreSQL")]
    async fn postgres() {
        shops_applied_for_at_once_under_one_name_all_open_on(TestApp::spawn(Engine::Postgres).await).await;
    }
}
