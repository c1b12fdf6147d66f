//! Compare sellers on the product page: a warning when the quantity is more than a seller has,
//! variants named by their options, and a country picker of real ISO 3166-1 codes.

use reqwest::StatusCode;
use serde_json::json;

use crate::catalog::{headphones, seller_with_shop};
use crate::page_session::get;
use crate::support::db_test;

db_test!(
    compare_sellers_warns_names_variants_and_takes_only_real_countries,
    |t| {
        let (seller, shop, _) = seller_with_shop(&t).await;
        let r = t
            .post(
                &format!("/api/v1/shops/{shop}/products"),
                Some(&seller),
                headphones("AUR-1", "4006381333931", 15_000, 3),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        let id = r.body["id"].as_str().unwrap().to_owned();

        // Unknown codes are refused: 422 on the API, a friendly message on the page.
        for code in ["ZZ", "QQ", "Germany"] {
            let r = t
                .get(&format!("/api/v1/products/{id}/offers?country={code}"), None)
                .await;
            assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{code}: {}", r.text);
        }
        let ok = t.get(&format!("/api/v1/products/{id}/offers?country=de"), None).await;
        assert_eq!(ok.status, StatusCode::OK, "{}", ok.text);
        let page = t.get(&format!("/p/{id}?country=ZZ"), None).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.text);
        assert!(page.text.contains("ISO 3166 country code"), "{}", page.text);

        // The country is a select of real codes; the quantity beyond a seller's stock is flagged.
        let page = t.get(&format!("/p/{id}?quantity=5&country=FR"), None).await;
        assert!(
            page.text.contains(r#"<select id="country" name="country">"#),
            "{}",
            page.text
        );
        assert!(
            page.text.contains(r#"<option value="FR" selected>France</option>"#),
            "{}",
            page.text
        );
        assert!(
            page.text.contains(r#"<option value="DE" >Germany</option>"#),
            "{}",
            page.text
        );
        assert!(page.text.contains("Only 3 in stock"), "{}", page.text);
        assert!(page.text.contains(r#"id="offers-short""#), "{}", page.text);
        let enough = t.get(&format!("/p/{id}?quantity=2"), None).await;
        assert!(!enough.text.contains("Only 3 in stock"), "{}", enough.text);
        assert!(!enough.text.contains(r#"id="offers-short""#), "{}", enough.text);
        // The row names the variant by its options.
        assert!(
            enough.text.contains(r#"<span class="muted offer-variant">"#),
            "{}",
            enough.text
        );

        // A buyer's default address picks the country when none is asked for.
        let buyer = t.user("buyer@example.com").await;
        let r = t
            .post(
                "/api/v1/account/addresses",
                Some(&buyer),
                json!({"address": {"name": "Bea Buyer", "line1": "Ring 1", "city": "Wien", "postal_code": "1010", "country": "AT"}, "default": true}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        let page = get(&t, &format!("/p/{id}"), &buyer).await;
        assert!(
            page.text.contains(r#"<option value="AT" selected>Austria</option>"#),
            "{}",
            page.text
        );
        let anonymous = t.get(&format!("/p/{id}"), None).await;
        assert!(
            anonymous
                .text
                .contains(r#"<option value="" selected>Any country</option>"#),
            "{}",
            anonymous.text
        );
    }
);

db_test!(offers_from_other_products_are_named_by_their_own_options, |t| {
    let (seller, shop, operator) = seller_with_shop(&t).await;
    let r = t
        .post(
            &format!("/api/v1/shops/{shop}/products"),
            Some(&seller),
            headphones("AUR-1", "4006381333931", 15_000, 3),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let id = r.body["id"].as_str().unwrap().to_owned();

    // Another shop lists the same item (same GTIN) in a category that declares its options
    // in another order: its row reads as its own page reads it, not as a bare SKU.
    let r = t
        .post(
            "/api/v1/admin/categories",
            Some(&operator),
            json!({"slug": "studio", "name": "Studio", "attributes": [
                    {"key": "size", "type": "text"},
                    {"key": "colour", "type": "enum", "values": ["black", "white"]}]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let other = t.user("other@example.com").await;
    let other_shop = t.shop(&other, "Studio Depot", &["studio"]).await;
    let r = t
        .post(
            &format!("/api/v1/admin/shops/{other_shop}/approve"),
            Some(&operator),
            json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let r = t
        .post(
            &format!("/api/v1/shops/{other_shop}/products"),
            Some(&other),
            json!({
                "title": "Aurora headphones, studio edition",
                "category": "studio",
                "variants": [{"sku": "STD-AUR-W", "gtin": "4006381333931",
                              "price": {"amount": 14_000, "currency": "EUR"}, "stock": 8,
                              "attributes": {"colour": "white", "size": "L"}}]
            }),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);

    let r = t.get(&format!("/api/v1/products/{id}/offers"), None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let items = r.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 2, "{}", r.text);
    assert_eq!(items[0]["sku"], "STD-AUR-W", "cheapest first: {}", r.text);
    assert_eq!(items[0]["options"], "L / White", "{}", r.text);
    assert_eq!(items[1]["options"], "Black", "{}", r.text);

    let page = t.get(&format!("/p/{id}"), None).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text);
    let table = page.text.split(r#"id="offers-table""#).nth(1).expect("offers table");
    let table = &table[..table.find("</table>").unwrap()];
    assert!(
        table.contains(r#"Studio Depot</a> <span class="muted offer-variant">L / White</span>"#),
        "{table}"
    );
    assert!(
        table.contains(r#"Sound Shop</a> <span class="muted offer-variant">Black</span>"#),
        "{table}"
    );
    assert!(!table.contains("STD-AUR-W"), "{table}");
});
