//! A shop a company owns is run by the company's current admins and sales members: whoever opened
//! it loses every right over it when demoted or removed.

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::companies::join;
use crate::page_session;
use crate::support::{db_test, pdf, CompanyMember, TestApp};

struct Shop {
    id: String,
    product: String,
    variant: String,
    document: String,
}

fn product(sku: &str, status: &str) -> Value {
    json!({
        "title": "Studio monitor",
        "description": "Active, 5 inch.",
        "category": "audio",
        "attributes": {},
        "status": status,
        "variants": [{"sku": sku, "price": {"amount": 19900, "currency": "EUR"}, "stock": 4, "attributes": {}}]
    })
}

/// Acme's shop, opened by its sales member `sam` and approved, with a draft product and a document.
async fn acme_shop(t: &TestApp, sam: &str) -> Shop {
    let operator = t.operator().await;
    t.category(&operator, "audio", false).await;
    let id = t.approved_company_shop(&operator, sam, "Acme Audio", "Acme Ltd").await;
    let r = t
        .post(
            &format!("/api/v1/shops/{id}/products"),
            Some(sam),
            product("MON-1", "draft"),
        )
        .await;
    assert_eq!(
        r.status,
        StatusCode::CREATED,
        "the sales member adds a product: {}",
        r.text
    );
    let (product, variant) = (
        r.body["id"].as_str().unwrap().to_owned(),
        r.body["variants"][0]["id"].as_str().unwrap().to_owned(),
    );
    let r = t.upload(sam, &id, "trade", None, "licence.pdf", pdf()).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let document = r.body["id"].as_str().unwrap().to_owned();
    Shop {
        id,
        product,
        variant,
        document,
    }
}

/// Tries everything a shop's staff does, through the API and the seller pages; returns each
/// attempt's name and status.
async fn run_shop(t: &TestApp, token: &str, shop: &Shop, sku: &str) -> Vec<(&'static str, StatusCode)> {
    let (id, product_id, variant) = (&shop.id, &shop.product, &shop.variant);
    let mut seen = Vec::new();
    let r = t
        .post(
            &format!("/api/v1/shops/{id}/products"),
            Some(token),
            product(sku, "active"),
        )
        .await;
    seen.push(("add a product", r.status));
    let r = t
        .call(
            Method::PATCH,
            &format!("/api/v1/products/{product_id}"),
            Some(token),
            Some(json!({"title": "Studio monitor, renamed"})),
        )
        .await;
    seen.push(("edit a product", r.status));
    let r = t.get(&format!("/api/v1/products/{product_id}"), Some(token)).await;
    seen.push(("see a draft", r.status));
    let r = t
        .call(
            Method::PUT,
            &format!("/api/v1/variants/{variant}/stock"),
            Some(token),
            Some(json!({"stock": 9})),
        )
        .await;
    seen.push(("set stock", r.status));
    let r = t
        .call(
            Method::PATCH,
            &format!("/api/v1/variants/{variant}"),
            Some(token),
            Some(json!({"price": {"amount": 18900, "currency": "EUR"}, "attributes": {}})),
        )
        .await;
    seen.push(("edit a variant", r.status));
    let r = page_session::post(
        t,
        &format!("/sell/products/{product_id}/variants/{variant}"),
        token,
        &[("sku", "MON-1"), ("gtin", ""), ("price", "199.00")],
    )
    .await;
    seen.push(("seller page: save a variant", r.status));
    let r = t
        .get(&format!("/api/v1/variants/{variant}/movements"), Some(token))
        .await;
    seen.push(("read stock movements", r.status));
    let r = t
        .call(
            Method::PUT,
            &format!("/api/v1/shops/{id}/shipping-rates/DE"),
            Some(token),
            Some(json!({"amount": {"amount": 490, "currency": "EUR"}})),
        )
        .await;
    seen.push(("set a shipping rate", r.status));
    let r = t
        .call(
            Method::PUT,
            &format!("/api/v1/shops/{id}/price-mode"),
            Some(token),
            Some(json!({"price_mode": "tax_inclusive"})),
        )
        .await;
    seen.push(("set the price mode", r.status));
    let r = t.upload(token, id, "trade", None, "more.pdf", pdf()).await;
    seen.push(("upload a document", r.status));
    let r = t
        .get(
            &format!("/api/v1/qualifications/{}/document", shop.document),
            Some(token),
        )
        .await;
    seen.push(("download a document", r.status));
    let r = page_session::get(t, &format!("/sell/shops/{id}"), token).await;
    seen.push(("seller page: shop", r.status));
    let r = page_session::get(t, &format!("/sell/shops/{id}/products"), token).await;
    seen.push(("seller page: products", r.status));
    let r = page_session::get(t, &format!("/sell/products/{product_id}"), token).await;
    seen.push(("seller page: edit product", r.status));
    let r = page_session::post(
        t,
        &format!("/sell/products/{product_id}"),
        token,
        &[
            ("title", "Studio monitor"),
            ("description", "Active."),
            ("status", "draft"),
        ],
    )
    .await;
    seen.push(("seller page: save product", r.status));
    seen
}

fn all(seen: &[(&'static str, StatusCode)], ok: impl Fn(StatusCode) -> bool) -> bool {
    seen.iter().all(|(_, status)| ok(*status))
}

fn refused(status: StatusCode) -> bool {
    status == StatusCode::NOT_FOUND
}

fn allowed(status: StatusCode) -> bool {
    status.is_success() || status == StatusCode::SEE_OTHER
}

async fn set_role(t: &TestApp, admin: &str, company: &str, account: &str, role: &str) {
    let r = t
        .call(
            Method::PATCH,
            &format!("/api/v1/companies/{company}/members/{account}"),
            Some(admin),
            Some(json!({"role": role})),
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
}

fn lists_shop(me: &Value, shop: &str) -> bool {
    me["shops"].as_array().unwrap().iter().any(|s| s["id"] == shop)
}

db_test!(
    a_demoted_or_removed_member_loses_every_right_over_the_company_shop,
    |t| {
        let CompanyMember {
            admin: anna,
            company: acme,
            member: sam,
            member_id: sam_id,
        } = t
            .company_with_member("anna@acme.test", "Acme Ltd", "sam@acme.test", "sales")
            .await;
        let shop = acme_shop(&t, &sam).await;

        let seen = run_shop(&t, &sam, &shop, "MON-2").await;
        assert!(all(&seen, allowed), "the sales member runs the shop: {seen:?}");
        let seen = run_shop(&t, &anna, &shop, "MON-3").await;
        assert!(all(&seen, allowed), "so does the company's admin: {seen:?}");
        let otto = t.user("otto@example.com").await;
        let seen = run_shop(&t, &otto, &shop, "MON-4").await;
        assert!(all(&seen, refused), "another account is refused: {seen:?}");

        set_role(&t, &anna, &acme, &sam_id, "purchaser").await;
        let seen = run_shop(&t, &sam, &shop, "MON-5").await;
        assert!(
            all(&seen, refused),
            "demoted to purchaser, the opener is refused: {seen:?}"
        );
        let me = t.get("/api/v1/me", Some(&sam)).await.body;
        assert!(!lists_shop(&me, &shop.id), "{me}");
        assert!(!me["roles"].as_array().unwrap().contains(&json!("seller")), "{me}");

        set_role(&t, &anna, &acme, &sam_id, "sales").await;
        let seen = run_shop(&t, &sam, &shop, "MON-6").await;
        assert!(all(&seen, allowed), "back in sales, the rights are back: {seen:?}");

        let r = t
            .call(
                Method::DELETE,
                &format!("/api/v1/companies/{acme}/members/{sam_id}"),
                Some(&anna),
                None,
            )
            .await;
        assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
        let seen = run_shop(&t, &sam, &shop, "MON-7").await;
        assert!(all(&seen, refused), "removed, the opener is refused: {seen:?}");
        assert!(!lists_shop(&t.get("/api/v1/me", Some(&sam)).await.body, &shop.id));

        // Nothing the refused requests tried stuck.
        let r = t.get(&format!("/api/v1/products/{}", shop.product), Some(&anna)).await;
        assert_eq!(r.body["title"], "Studio monitor", "{}", r.text);
        let titles: Vec<String> = t
            .get(&format!("/api/v1/shops/{}/products", shop.id), Some(&anna))
            .await
            .body["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["title"].as_str().unwrap().to_owned())
            .collect();
        assert_eq!(
            titles.len(),
            4,
            "the first product and those of sam, anna and sam again: {titles:?}"
        );
    }
);

db_test!(a_personal_shop_stays_its_owners_whatever_their_company_role, |t| {
    let (anna, acme) = t.company_admin("anna@acme.test", "Acme Ltd").await;
    let operator = t.operator().await;
    t.category(&operator, "audio", false).await;
    let paul = t.user("paul@example.com").await;
    join(&t, &anna, &acme, "paul@example.com", "purchaser", &paul).await;
    let shop = t.shop(&paul, "Paul's Audio", &["audio"]).await;
    let r = t
        .post(
            &format!("/api/v1/admin/shops/{shop}/approve"),
            Some(&operator),
            json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let r = t
        .post(
            &format!("/api/v1/shops/{shop}/products"),
            Some(&paul),
            product("P-1", "active"),
        )
        .await;
    assert_eq!(
        r.status,
        StatusCode::CREATED,
        "a purchaser runs a personal shop: {}",
        r.text
    );
    let r = t
        .post(
            &format!("/api/v1/shops/{shop}/products"),
            Some(&anna),
            product("P-2", "active"),
        )
        .await;
    assert_eq!(
        r.status,
        StatusCode::NOT_FOUND,
        "the company's admin has no say over it: {}",
        r.text
    );
});
