//! People-facing words on pages: amounts with thousands separators, times in `<time>` elements,
//! statuses in words, category names in breadcrumbs, and the normal error page for a bad query.

use reqwest::StatusCode;
use serde_json::json;

use crate::page_session::get;
use crate::support::db_test;

db_test!(pages_speak_in_words_people_use, |t| {
    let operator = t.operator().await;
    let r = t
        .post(
            "/api/v1/admin/categories",
            Some(&operator),
            json!({"slug": "audio", "name": "Audio and hi-fi", "restricted": false}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let r = t
        .post(
            "/api/v1/admin/categories",
            Some(&operator),
            json!({"slug": "amplifiers", "name": "Stereo amplifiers", "parent": "audio", "restricted": false}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let seller = t.user("nora@example.com").await;
    let shop = t.shop(&seller, "Nordlicht", &["audio"]).await;

    // A shop waiting for review, then for information: words, not codes; the date in a <time>.
    let page = get(&t, &format!("/sell/shops/{shop}"), &seller).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text);
    assert!(page.text.contains(">Waiting for review</span>"), "{}", page.text);
    assert!(page.text.contains("<time datetime=\""), "{}", page.text);
    assert!(page.text.contains(" UTC</time>"), "{}", page.text);
    let r = t
        .post(
            &format!("/api/v1/admin/shops/{shop}/request-info"),
            Some(&operator),
            json!({"message": "Please send your trade licence."}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let page = get(&t, &format!("/sell/shops/{shop}"), &seller).await;
    assert!(page.text.contains(">Waiting for information</span>"), "{}", page.text);
    assert!(!page.text.contains(">info_requested<"), "{}", page.text);
    let r = t
        .post(
            &format!("/api/v1/admin/shops/{shop}/approve"),
            Some(&operator),
            json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);

    // Prices with thousands separators, from integer minor units; category names in breadcrumbs.
    let r = t
        .post(
            &format!("/api/v1/shops/{shop}/products"),
            Some(&seller),
            json!({
                "title": "Valve amplifier",
                "category": "amplifiers",
                "variants": [{"sku": "VA-1", "price": {"amount": 123_450, "currency": "EUR"}, "stock": 2}]
            }),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let id = r.body["id"].as_str().unwrap().to_owned();
    let page = t.get(&format!("/p/{id}"), None).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text);
    assert!(page.text.contains("1,234.50 EUR"), "{}", page.text);
    assert!(!page.text.contains(">1234.50 EUR<"), "{}", page.text);
    let crumbs = page
        .text
        .split("aria-label=\"Breadcrumb\"")
        .nth(1)
        .expect("breadcrumbs");
    let crumbs = &crumbs[..crumbs.find("</nav>").unwrap()];
    assert!(
        crumbs.contains(">Audio and hi-fi</a>") && crumbs.contains(">Stereo amplifiers</a>"),
        "{crumbs}"
    );
    assert!(
        crumbs.find("Audio and hi-fi") < crumbs.find("Stereo amplifiers"),
        "root first: {crumbs}"
    );
    assert!(!crumbs.contains(">amplifiers<"), "{crumbs}");
    let mut search = t.get("/search?q=valve", None).await;
    for _ in 0..100 {
        if search.text.contains("Valve amplifier") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        search = t.get("/search?q=valve", None).await;
    }
    assert!(search.text.contains("1,234.50 EUR"), "{}", search.text);
    assert!(search.text.contains(">1 product</p>"), "singular: {}", search.text);
    // A category page is titled by the category's name.
    let category = t.get("/search?category=amplifiers", None).await;
    assert!(
        category.text.contains("<h1>Stereo amplifiers</h1>"),
        "{}",
        category.text
    );

    // A bad query string on a page answers with the normal HTML error page, in a sentence.
    let bad = t.get(&format!("/p/{id}?quantity=abc"), None).await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST, "{}", bad.text);
    assert!(bad.content_type().starts_with("text/html"), "{}", bad.content_type());
    assert!(
        bad.text.contains("<h1>") && bad.text.contains("The parameter `quantity`"),
        "{}",
        bad.text
    );
    let bad = get(&t, &format!("/sell/shops/{shop}/settlement?from=a&from=b"), &seller).await;
    assert!(
        bad.content_type().starts_with("text/html"),
        "{} {}",
        bad.status,
        bad.text
    );
});

db_test!(amounts_outside_price_elements_keep_the_one_money_format, |t| {
    crate::hostile::marketplace(&t).await;
    let (nora, shop) = crate::hostile::seller_with_shop(&t, "nora@example.com", "Nordlicht").await;
    let r = t
        .call(
            reqwest::Method::PUT,
            &format!("/api/v1/shops/{shop}/shipping-methods"),
            Some(&nora),
            Some(json!({"methods": [{"name": "Pallet", "rate": {"kind": "flat", "price": {"amount": 123_450, "currency": "EUR"}},
                                     "free_from": {"amount": 1_000_000, "currency": "EUR"}}]})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let page = get(&t, &format!("/sell/shops/{shop}/shipping"), &nora).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text);
    assert!(page.text.contains("1,234.50 EUR"), "{}", page.text);
    assert!(page.text.contains("10,000.00 EUR"), "{}", page.text);
    assert!(!page.text.contains("1234.50"), "{}", page.text);
});
