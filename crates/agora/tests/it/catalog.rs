use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::support::{db_test, TestApp};

/// An approved shop in an unrestricted category with attributes; returns `(seller, shop id)`.
pub(crate) async fn seller_with_shop(t: &TestApp) -> (String, String, String) {
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
    let shop = t.shop(&seller, "Sound Shop", &["audio"]).await;
    let r = t
        .post(
            &format!("/api/v1/admin/shops/{shop}/approve"),
            Some(&operator),
            json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    (seller, shop, operator)
}

pub(crate) fn headphones(sku: &str, gtin: &str, cents: i64, stock: i64) -> Value {
    json!({
        "title": "Aurora wireless headphones",
        "description": "Over-ear, noise cancelling.",
        "category": "audio",
        "attributes": {"wireless": true},
        "variants": [{"sku": sku, "gtin": gtin, "price": {"amount": cents, "currency": "EUR"}, "stock": stock,
                      "attributes": {"colour": "black"},
                      "price_tiers": [{"min_qty": 10, "unit_price": {"amount": cents - 100, "currency": "EUR"}},
                                      {"min_qty": 100, "unit_price": {"amount": cents - 300, "currency": "EUR"}}]}]
    })
}

db_test!(a_seller_lists_a_product_with_tiers_and_attributes, |t| {
    let (seller, shop, _) = seller_with_shop(&t).await;
    let r = t
        .post(
            &format!("/api/v1/shops/{shop}/products"),
            Some(&seller),
            headphones("AUR-1", "4006381333931", 14900, 25),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let v = &r.body["variants"][0];
    assert_eq!(v["stock"], 25);
    assert_eq!(v["price"], json!({"amount": 14900, "currency": "EUR"}));
    assert_eq!(
        v["price_tiers"][0],
        json!({"min_qty": 10, "unit_price": {"amount": 14800, "currency": "EUR"}})
    );
    assert_eq!(v["low_stock"], false, "the seller sees the low-stock flag");
    let public = t
        .get(&format!("/api/v1/products/{}", r.body["id"].as_str().unwrap()), None)
        .await;
    assert_eq!(public.status, StatusCode::OK);
    assert_eq!(
        public.body["variants"][0]["low_stock"],
        Value::Null,
        "the public does not"
    );
});

db_test!(bad_catalog_input_is_refused_and_nothing_is_listed, |t| {
    let (seller, shop, _) = seller_with_shop(&t).await;
    let path = format!("/api/v1/shops/{shop}/products");
    let mut cases = Vec::new();
    cases.push(("variants[0].gtin", headphones("A-1", "4006381333932", 14900, 1)));
    let mut rising = headphones("A-2", "4006381333931", 14900, 1);
    rising["variants"][0]["price_tiers"][1]["unit_price"]["amount"] = json!(20000);
    cases.push(("variants[0].price_tiers", rising));
    let mut overlapping = headphones("A-3", "4006381333931", 14900, 1);
    overlapping["variants"][0]["price_tiers"][1]["min_qty"] = json!(10);
    cases.push(("variants[0].price_tiers", overlapping));
    let mut negative = headphones("A-4", "4006381333931", -5, 1);
    negative["variants"][0]["price_tiers"] = json!([]);
    cases.push(("variants[0].price", negative));
    let mut undeclared = headphones("A-5", "4006381333931", 14900, 1);
    undeclared["attributes"] = json!({"flavour": "mint"});
    cases.push(("attributes", undeclared));
    let mut wrong_enum = headphones("A-6", "4006381333931", 14900, 1);
    wrong_enum["variants"][0]["attributes"] = json!({"colour": "pink"});
    cases.push(("variants[0].attributes", wrong_enum));
    let mut unknown_category = headphones("A-7", "4006381333931", 14900, 1);
    unknown_category["category"] = json!("nope");
    cases.push(("category", unknown_category));
    for (field, body) in cases {
        let r = t.post(&path, Some(&seller), body).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{field}: {}", r.text);
        assert_eq!(r.body["errors"][0]["field"], field, "{}", r.text);
    }
    let fractional = t
        .post(&path, Some(&seller), {
            let mut b = headphones("A-8", "4006381333931", 100, 1);
            b["variants"][0]["price"]["amount"] = json!(12.5);
            b
        })
        .await;
    assert_eq!(
        fractional.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "money is never a float"
    );
    let list = t.get(&format!("/api/v1/shops/{shop}/products"), Some(&seller)).await;
    assert_eq!(list.body["items"], json!([]), "nothing was half-written");
});

db_test!(stock_is_set_with_a_recorded_movement_and_never_negative, |t| {
    let (seller, shop, _) = seller_with_shop(&t).await;
    let r = t
        .post(
            &format!("/api/v1/shops/{shop}/products"),
            Some(&seller),
            headphones("AUR-1", "4006381333931", 14900, 3),
        )
        .await;
    let variant = r.body["variants"][0]["id"].as_str().unwrap().to_owned();
    let set = t
        .call(
            Method::PUT,
            &format!("/api/v1/variants/{variant}/stock"),
            Some(&seller),
            Some(json!({"stock": 40, "reason": "delivery 17"})),
        )
        .await;
    assert_eq!(set.status, StatusCode::OK, "{}", set.text);
    assert_eq!(set.body["stock"], 40);
    let negative = t
        .call(
            Method::PUT,
            &format!("/api/v1/variants/{variant}/stock"),
            Some(&seller),
            Some(json!({"stock": -1})),
        )
        .await;
    assert_eq!(negative.status, StatusCode::UNPROCESSABLE_ENTITY);
    let other = t.user("other@example.com").await;
    let theft = t
        .call(
            Method::PUT,
            &format!("/api/v1/variants/{variant}/stock"),
            Some(&other),
            Some(json!({"stock": 0})),
        )
        .await;
    assert_eq!(theft.status, StatusCode::NOT_FOUND);
    let history = t
        .get(&format!("/api/v1/variants/{variant}/movements"), Some(&seller))
        .await;
    let kinds: Vec<_> = history.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| (m["kind"].clone(), m["delta"].clone(), m["stock_after"].clone()))
        .collect();
    assert_eq!(
        kinds,
        vec![
            (json!("received"), json!(37), json!(40)),
            (json!("received"), json!(3), json!(3))
        ]
    );
    assert_eq!(
        t.get(&format!("/api/v1/variants/{variant}/movements"), Some(&other))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
});

db_test!(the_last_units_are_sold_exactly_once_under_contention, |t| {
    let (seller, shop, _) = seller_with_shop(&t).await;
    let r = t
        .post(
            &format!("/api/v1/shops/{shop}/products"),
            Some(&seller),
            headphones("AUR-1", "4006381333931", 14900, 10),
        )
        .await;
    let variant = r.body["variants"][0]["id"].as_str().unwrap().to_owned();
    let buyers = (0..40).map(|i| {
        let app = t.app.clone();
        let variant = variant.clone();
        tokio::spawn(async move {
            let mut tx = app.db.begin().await.unwrap();
            let sold = agora_app::stock::take(&mut tx, &variant, 1, None, &format!("buyer {i}"))
                .await
                .unwrap();
            tx.commit().await.unwrap();
            sold
        })
    });
    let results = futures::future::join_all(buyers).await;
    let sold = results.into_iter().filter(|r| *r.as_ref().unwrap()).count();
    assert_eq!(sold, 10, "exactly the stock was sold");
    let product = t
        .get(&format!("/api/v1/products/{}", r.body["id"].as_str().unwrap()), None)
        .await;
    assert_eq!(product.body["variants"][0]["stock"], 0);
    let history = t
        .get(&format!("/api/v1/variants/{variant}/movements"), Some(&seller))
        .await;
    assert_eq!(
        history.body["items"].as_array().unwrap().len(),
        11,
        "10 sales and the initial stock"
    );
});

db_test!(offers_of_the_same_item_are_compared_by_landed_price, |t| {
    let (seller, shop, operator) = seller_with_shop(&t).await;
    let rival = t.user("rival@example.com").await;
    let rival_shop = t.shop(&rival, "Rival Sound", &["audio"]).await;
    t.post(
        &format!("/api/v1/admin/shops/{rival_shop}/approve"),
        Some(&operator),
        json!({}),
    )
    .await;
    let mine = t
        .post(
            &format!("/api/v1/shops/{shop}/products"),
            Some(&seller),
            headphones("AUR-1", "4006381333931", 14900, 5),
        )
        .await;
    let theirs = t
        .post(
            &format!("/api/v1/shops/{rival_shop}/products"),
            Some(&rival),
            headphones("R-AUR", "4006381333931", 14500, 2),
        )
        .await;
    assert_eq!(theirs.status, StatusCode::CREATED, "{}", theirs.text);
    // The rival is cheaper per unit but charges 9.90 shipping to Germany; we ship free.
    let rate = t
        .call(
            Method::PUT,
            &format!("/api/v1/shops/{rival_shop}/shipping-rates/DE"),
            Some(&rival),
            Some(json!({"amount": {"amount": 990, "currency": "EUR"}})),
        )
        .await;
    assert_eq!(rate.status, StatusCode::NO_CONTENT, "{}", rate.text);
    t.call(
        Method::PUT,
        &format!("/api/v1/shops/{shop}/shipping-rates/*"),
        Some(&seller),
        Some(json!({"amount": {"amount": 0, "currency": "EUR"}})),
    )
    .await;
    let id = mine.body["id"].as_str().unwrap();
    let offers = t.get(&format!("/api/v1/products/{id}/offers?country=DE"), None).await;
    assert_eq!(offers.status, StatusCode::OK, "{}", offers.text);
    let shops: Vec<_> = offers.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| {
            (
                o["shop"]["name"].as_str().unwrap().to_owned(),
                o["landed_price"]["amount"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        shops,
        vec![("Sound Shop".to_owned(), 14900), ("Rival Sound".to_owned(), 15490)]
    );
    // At 10 units the volume tier applies to both.
    let bulk = t
        .get(&format!("/api/v1/products/{id}/offers?country=DE&quantity=10"), None)
        .await;
    assert_eq!(bulk.body["items"][0]["price"]["amount"], 14400, "{}", bulk.text);
    assert_eq!(bulk.body["items"][0]["landed_price"]["amount"], 14400 * 10 + 990);
    assert_eq!(
        t.get(&format!("/api/v1/products/{id}/offers?country=Germany"), None)
            .await
            .status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
});

db_test!(a_company_gets_its_own_price, |t| {
    let (seller, shop, _) = seller_with_shop(&t).await;
    let (buyer, company) = t.company_admin("anna@acme.test", "Acme").await;
    let r = t
        .post(
            &format!("/api/v1/shops/{shop}/products"),
            Some(&seller),
            headphones("AUR-1", "4006381333931", 14900, 5),
        )
        .await;
    let (id, variant) = (
        r.body["id"].as_str().unwrap().to_owned(),
        r.body["variants"][0]["id"].as_str().unwrap().to_owned(),
    );
    let set = t
        .call(
            Method::PUT,
            &format!("/api/v1/variants/{variant}/company-prices/{company}"),
            Some(&seller),
            Some(json!({"unit_price": {"amount": 13000, "currency": "EUR"}})),
        )
        .await;
    assert_eq!(set.status, StatusCode::NO_CONTENT, "{}", set.text);
    let seen = t.get(&format!("/api/v1/products/{id}"), Some(&buyer)).await;
    assert_eq!(seen.body["variants"][0]["company_price"]["amount"], 13000);
    let anonymous = t.get(&format!("/api/v1/products/{id}"), None).await;
    assert_eq!(anonymous.body["variants"][0]["company_price"], Value::Null);
    let offers = t.get(&format!("/api/v1/products/{id}/offers"), Some(&buyer)).await;
    assert_eq!(offers.body["items"][0]["price"]["amount"], 13000);
    let buyer_tries = t
        .call(
            Method::PUT,
            &format!("/api/v1/variants/{variant}/company-prices/{company}"),
            Some(&buyer),
            Some(json!({"unit_price": {"amount": 1, "currency": "EUR"}})),
        )
        .await;
    assert_eq!(buyer_tries.status, StatusCode::NOT_FOUND);
});

db_test!(a_seller_archives_and_edits_a_product, |t| {
    let (seller, shop, _) = seller_with_shop(&t).await;
    let r = t
        .post(
            &format!("/api/v1/shops/{shop}/products"),
            Some(&seller),
            headphones("AUR-1", "4006381333931", 14900, 5),
        )
        .await;
    let id = r.body["id"].as_str().unwrap().to_owned();
    let edit = t
        .call(
            Method::PATCH,
            &format!("/api/v1/products/{id}"),
            Some(&seller),
            Some(json!({"title": "Aurora 2", "status": "archived"})),
        )
        .await;
    assert_eq!(edit.status, StatusCode::OK, "{}", edit.text);
    assert_eq!(edit.body["title"], "Aurora 2");
    assert_eq!(
        t.get(&format!("/api/v1/products/{id}"), None).await.status,
        StatusCode::NOT_FOUND,
        "archived is hidden"
    );
    let bad = t
        .call(
            Method::PATCH,
            &format!("/api/v1/products/{id}"),
            Some(&seller),
            Some(json!({"status": "sold_out"})),
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    let other = t.user("other@example.com").await;
    let theft = t
        .call(
            Method::PATCH,
            &format!("/api/v1/products/{id}"),
            Some(&other),
            Some(json!({"title": "Mine now"})),
        )
        .await;
    assert_eq!(theft.status, StatusCode::NOT_FOUND);
});

pub(crate) fn png(width: u32, height: u32) -> Vec<u8> {
    let img = image::RgbImage::from_pixel(width, height, image::Rgb([20, 90, 200]));
    let mut out = Vec::new();
    img.write_to(&mut std::io::Cursor::new(&mut out), image::ImageFormat::Png)
        .unwrap();
    out
}

async fn upload_image(t: &TestApp, token: &str, product: &str, bytes: Vec<u8>) -> crate::support::Reply {
    let form =
        reqwest::multipart::Form::new().part("file", reqwest::multipart::Part::bytes(bytes).file_name("pic.png"));
    let req = t
        .client
        .post(t.url(&format!("/api/v1/products/{product}/images")))
        .bearer_auth(token)
        .multipart(form);
    crate::support::read(req.send().await.unwrap()).await
}

db_test!(product_images_are_checked_stored_and_thumbnailed, |t| {
    let (seller, shop, _) = seller_with_shop(&t).await;
    let r = t
        .post(
            &format!("/api/v1/shops/{shop}/products"),
            Some(&seller),
            headphones("AUR-1", "4006381333931", 14900, 5),
        )
        .await;
    let id = r.body["id"].as_str().unwrap().to_owned();

    let up = upload_image(&t, &seller, &id, png(800, 600)).await;
    assert_eq!(up.status, StatusCode::CREATED, "{}", up.text);
    assert_eq!(
        (up.body["width"].as_i64(), up.body["height"].as_i64()),
        (Some(800), Some(600))
    );
    let thumb = t
        .client
        .get(t.url(up.body["thumbnail_url"].as_str().unwrap()))
        .send()
        .await
        .unwrap();
    assert_eq!(thumb.headers()["content-type"], "image/jpeg");
    let thumb = image::load_from_memory(&thumb.bytes().await.unwrap()).unwrap();
    assert_eq!((thumb.width(), thumb.height()), (400, 300));
    let product = t.get(&format!("/api/v1/products/{id}"), None).await;
    assert_eq!(product.body["images"][0]["id"], up.body["id"]);
    // Images are addressed by the hash of their bytes, under /media, in the API and on the page.
    let sha256 = |bytes: &[u8]| {
        use sha2::Digest;
        hex::encode(sha2::Sha256::digest(bytes))
    };
    let url = format!("/media/{}", sha256(&png(800, 600)));
    assert_eq!(up.body["url"], url.as_str());
    assert_eq!(product.body["images"][0]["url"], url.as_str());
    assert_eq!(product.body["images"][0]["thumbnail_url"], up.body["thumbnail_url"]);
    let page = t.get(&format!("/p/{id}"), None).await;
    // The gallery's large picture, sized so that nothing moves when it arrives.
    assert!(
        page.text.contains(&format!(
            r#"<a id="picture-1" href="{url}"><img src="{url}" alt="Aurora wireless headphones, picture 1" width="800" height="600""#
        )),
        "{}",
        page.text
    );

    let pdf = upload_image(&t, &seller, &id, crate::support::pdf()).await;
    assert_eq!(pdf.status, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{}", pdf.text);
    let mut broken = png(50, 50);
    broken.truncate(40);
    assert_eq!(
        upload_image(&t, &seller, &id, broken).await.status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    let other = t.user("other@example.com").await;
    assert_eq!(
        upload_image(&t, &other, &id, png(10, 10)).await.status,
        StatusCode::NOT_FOUND
    );

    // Qualification documents live in the same blob folder but are never served as media.
    let doc = t
        .upload(&seller, &shop, "licence", None, "licence.pdf", crate::support::pdf())
        .await;
    assert_eq!(doc.status, StatusCode::CREATED);
    let key = {
        use sha2::Digest;
        hex::encode(sha2::Sha256::digest(crate::support::pdf()))
    };
    assert_eq!(
        t.get(&format!("/media/{key}"), None).await.status,
        StatusCode::NOT_FOUND
    );

    let image_id = up.body["id"].as_str().unwrap();
    let gone = t
        .call(
            Method::DELETE,
            &format!("/api/v1/products/{id}/images/{image_id}"),
            Some(&seller),
            None,
        )
        .await;
    assert_eq!(gone.status, StatusCode::NO_CONTENT);
    assert_eq!(
        t.get(&format!("/api/v1/products/{id}"), None).await.body["images"],
        json!([])
    );
});

db_test!(a_category_slug_is_taken_once, |t| {
    let (_, _, operator) = seller_with_shop(&t).await;
    let again = t
        .post(
            "/api/v1/admin/categories",
            Some(&operator),
            json!({"slug": "audio", "name": "Audio again"}),
        )
        .await;
    assert_eq!(again.status, StatusCode::CONFLICT, "{}", again.text);
    assert_eq!(again.problem_type(), "/problems/category-exists");
    let categories = t.get("/api/v1/categories", None).await;
    assert!(!categories.text.contains("Audio again"), "{}", categories.text);
});

db_test!(a_product_has_at_most_twelve_images, |t| {
    let (seller, shop, _) = seller_with_shop(&t).await;
    let r = t
        .post(
            &format!("/api/v1/shops/{shop}/products"),
            Some(&seller),
            headphones("AUR-1", "4006381333931", 14900, 5),
        )
        .await;
    let id = r.body["id"].as_str().unwrap().to_owned();
    for n in 0..12 {
        let up = upload_image(&t, &seller, &id, png(10 + n, 10)).await;
        assert_eq!(up.status, StatusCode::CREATED, "{}", up.text);
    }
    let full = upload_image(&t, &seller, &id, png(40, 40)).await;
    assert_eq!(full.status, StatusCode::CONFLICT, "{}", full.text);
    assert_eq!(full.problem_type(), "/problems/limit-reached");
    let product = t.get(&format!("/api/v1/products/{id}"), None).await;
    assert_eq!(product.body["images"].as_array().unwrap().len(), 12);
});

db_test!(concurrent_uploads_never_exceed_the_image_limit, |t| {
    let (seller, shop, _) = seller_with_shop(&t).await;
    let r = t
        .post(
            &format!("/api/v1/shops/{shop}/products"),
            Some(&seller),
            headphones("AUR-1", "4006381333931", 14900, 5),
        )
        .await;
    let id = r.body["id"].as_str().unwrap().to_owned();
    for n in 0..8 {
        let up = upload_image(&t, &seller, &id, png(10 + n, 10)).await;
        assert_eq!(up.status, StatusCode::CREATED, "{}", up.text);
    }
    // Eight uploads race for the last four places: each passes the early count before any lands.
    let racing = (0..8).map(|n| upload_image(&t, &seller, &id, png(30 + n, 10)));
    let replies = futures::future::join_all(racing).await;
    let created = replies.iter().filter(|r| r.status == StatusCode::CREATED).count();
    for r in replies.iter().filter(|r| r.status != StatusCode::CREATED) {
        assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text);
        assert_eq!(r.problem_type(), "/problems/limit-reached");
    }
    assert_eq!(created, 4, "only the free places are taken");
    let product = t.get(&format!("/api/v1/products/{id}"), None).await;
    assert_eq!(product.body["images"].as_array().unwrap().len(), 12);
});

db_test!(a_seller_adds_a_variant_and_sets_volume_prices, |t| {
    let (seller, shop, _) = seller_with_shop(&t).await;
    let r = t
        .post(
            &format!("/api/v1/shops/{shop}/products"),
            Some(&seller),
            headphones("AUR-1", "4006381333931", 14900, 5),
        )
        .await;
    let id = r.body["id"].as_str().unwrap().to_owned();
    let added = t
        .post(&format!("/api/v1/products/{id}/variants"), Some(&seller),
              json!({"sku": "AUR-2", "price": {"amount": 15900, "currency": "EUR"}, "stock": 3, "attributes": {"colour": "white"}}))
        .await;
    assert_eq!(added.status, StatusCode::CREATED, "{}", added.text);
    assert_eq!(added.body["variants"].as_array().unwrap().len(), 2);
    let dup = t
        .post(
            &format!("/api/v1/products/{id}/variants"),
            Some(&seller),
            json!({"sku": "AUR-2", "price": {"amount": 1, "currency": "EUR"}, "stock": 0}),
        )
        .await;
    assert_eq!(dup.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", dup.text);
    let variant = added.body["variants"][1]["id"].as_str().unwrap().to_owned();
    let tiers = json!({"price_tiers": [{"min_qty": 5, "unit_price": {"amount": 15000, "currency": "EUR"}}]});
    let set = t
        .call(
            Method::PUT,
            &format!("/api/v1/variants/{variant}/price-tiers"),
            Some(&seller),
            Some(tiers.clone()),
        )
        .await;
    assert_eq!(set.status, StatusCode::OK, "{}", set.text);
    assert_eq!(set.body["price_tiers"], tiers["price_tiers"]);
    let rising = json!({"price_tiers": [{"min_qty": 5, "unit_price": {"amount": 20000, "currency": "EUR"}}]});
    let bad = t
        .call(
            Method::PUT,
            &format!("/api/v1/variants/{variant}/price-tiers"),
            Some(&seller),
            Some(rising),
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    let other = t.user("other@example.com").await;
    let theft = t
        .call(
            Method::PUT,
            &format!("/api/v1/variants/{variant}/price-tiers"),
            Some(&other),
            Some(tiers),
        )
        .await;
    assert_eq!(theft.status, StatusCode::NOT_FOUND);
    let offers = t.get(&format!("/api/v1/products/{id}/offers?quantity=5"), None).await;
    assert!(
        offers.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|o| o["price"]["amount"] == 15000),
        "{}",
        offers.text
    );
});

db_test!(a_seller_sets_when_stock_counts_as_low, |t| {
    let (seller, shop, _) = seller_with_shop(&t).await;
    let r = t
        .post(
            &format!("/api/v1/shops/{shop}/products"),
            Some(&seller),
            headphones("AUR-1", "4006381333931", 14900, 8),
        )
        .await;
    let (id, variant) = (
        r.body["id"].as_str().unwrap().to_owned(),
        r.body["variants"][0]["id"].as_str().unwrap().to_owned(),
    );
    assert_eq!(
        r.body["variants"][0]["low_stock"], false,
        "8 is above the default threshold of 5"
    );
    let set = t
        .call(
            Method::PUT,
            &format!("/api/v1/variants/{variant}/stock"),
            Some(&seller),
            Some(json!({"stock": 8, "low_stock_threshold": 10})),
        )
        .await;
    assert_eq!(set.status, StatusCode::OK, "{}", set.text);
    assert_eq!(set.body["low_stock"], true);
    assert_eq!(set.body["low_stock_threshold"], 10);
    let seen = t.get(&format!("/api/v1/products/{id}"), Some(&seller)).await;
    assert_eq!(seen.body["variants"][0]["low_stock"], true);
    let public = t.get(&format!("/api/v1/products/{id}"), None).await;
    assert_eq!(public.body["variants"][0]["low_stock_threshold"], Value::Null);
    let bad = t
        .call(
            Method::PUT,
            &format!("/api/v1/variants/{variant}/stock"),
            Some(&seller),
            Some(json!({"stock": 3, "low_stock_threshold": -1})),
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    let bad_stock = t
        .call(
            Method::PUT,
            &format!("/api/v1/variants/{variant}/stock"),
            Some(&seller),
            Some(json!({"stock": -1, "low_stock_threshold": 2})),
        )
        .await;
    assert_eq!(bad_stock.status, StatusCode::UNPROCESSABLE_ENTITY);
    let unchanged = t.get(&format!("/api/v1/products/{id}"), Some(&seller)).await;
    assert_eq!(
        (
            &unchanged.body["variants"][0]["stock"],
            &unchanged.body["variants"][0]["low_stock_threshold"]
        ),
        (&json!(8), &json!(10)),
        "a refused change leaves both the stock and the threshold as they were"
    );
});

db_test!(
    listing_errors_name_each_variant_by_index_and_a_blank_gtin_means_none,
    |t| {
        let (seller, shop, _) = seller_with_shop(&t).await;
        let path = format!("/api/v1/shops/{shop}/products");
        let mut two = headphones("TWO-1", "4006381333931", 14900, 1);
        let mut second = two["variants"][0].clone();
        second["sku"] = json!("TWO 2");
        second["stock"] = json!(-1);
        two["variants"].as_array_mut().unwrap().push(second);
        let r = t.post(&path, Some(&seller), two).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
        let fields: Vec<_> = r.body["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["field"].as_str().unwrap().to_owned())
            .collect();
        assert_eq!(fields, ["variants[1].sku", "variants[1].stock"], "{}", r.text);

        let r = t.post(&path, Some(&seller), headphones("BLANK-1", " ", 14900, 1)).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        assert_eq!(r.body["variants"][0]["gtin"], Value::Null);
    }
);

db_test!(an_archived_product_goes_back_on_sale, |t| {
    let (seller, shop, _) = seller_with_shop(&t).await;
    let r = t
        .post(
            &format!("/api/v1/shops/{shop}/products"),
            Some(&seller),
            headphones("BACK-1", "4006381333931", 14900, 5),
        )
        .await;
    let id = r.body["id"].as_str().unwrap().to_owned();
    for status in ["archived", "draft", "active"] {
        let r = t
            .call(
                Method::PATCH,
                &format!("/api/v1/products/{id}"),
                Some(&seller),
                Some(json!({ "status": status })),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{status}: {}", r.text);
        assert_eq!(r.body["status"], status);
        let public = t.get(&format!("/api/v1/products/{id}"), None).await.status;
        let expected = if status == "active" {
            StatusCode::OK
        } else {
            StatusCode::NOT_FOUND
        };
        assert_eq!(public, expected, "{status}");
    }
});
