//! A page visitor's rights follow their session and company role as they stand at each request:
//! nothing about who they are outlives the request that read it, whatever the pages keep.

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::catalog::{headphones, seller_with_shop};
use crate::companies::join;
use crate::page_session;
use crate::support::db_test;

db_test!(a_removed_member_loses_the_company_price_on_the_next_page, |t| {
    let (seller, shop, _) = seller_with_shop(&t).await;
    let r = t
        .post(
            &format!("/api/v1/shops/{shop}/products"),
            Some(&seller),
            headphones("AUR-1", "4006381333931", 14900, 25),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let product = r.body["id"].as_str().unwrap().to_owned();
    let variant = r.body["variants"][0]["id"].as_str().unwrap().to_owned();
    let (admin, company) = t.company_admin("anna@acme.test", "Acme Ltd").await;
    let paul = t.user("paul@acme.test").await;
    join(&t, &admin, &company, "paul@acme.test", "purchaser", &paul).await;
    let r = t
        .call(
            Method::PUT,
            &format!("/api/v1/variants/{variant}/company-prices/{company}"),
            Some(&seller),
            Some(json!({"unit_price": {"amount": 123457, "currency": "EUR"}})),
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);

    let path = format!("/p/{product}");
    let seen = page_session::get(&t, &path, &paul).await;
    assert!(seen.text.contains("your company: 1,234.57"), "a member sees it");

    let paul_id = t.account_id(&paul).await;
    let r = t
        .call(
            Method::DELETE,
            &format!("/api/v1/companies/{company}/members/{paul_id}"),
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    let seen = page_session::get(&t, &path, &paul).await;
    assert_eq!(seen.status, StatusCode::OK);
    assert!(!seen.text.contains("your company:"), "removed, he no longer does");
    let api = t.get(&format!("/api/v1/products/{product}"), Some(&paul)).await;
    assert!(api.body["variants"][0]["company_price"].is_null(), "{}", api.text);
});

db_test!(a_revoked_session_is_logged_out_on_the_next_page, |t| {
    let ada = t.user("ada@example.com").await;
    let other = t.login("ada@example.com").await;
    let seen = page_session::get(&t, "/account", &other).await;
    assert_eq!(seen.status, StatusCode::OK, "{}", seen.text);
    let list = t.get("/api/v1/tokens", Some(&other)).await;
    let id = list.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["current"] == true)
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = t
        .call(Method::DELETE, &format!("/api/v1/tokens/{id}"), Some(&ada), None)
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    let seen = page_session::get(&t, "/account", &other).await;
    assert_eq!(seen.status, StatusCode::SEE_OTHER, "{}", seen.text);
    assert!(seen.headers["location"].to_str().unwrap().starts_with("/login"));
});
