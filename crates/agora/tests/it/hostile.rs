//! What one hostile user cannot do to everyone else: exhaust memory with a picture, break the price
//! comparison with an absurd price, hide or disguise a name, or learn about a shop that is not theirs.

use agora_app::import::{self, ImportOptions};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::support::{db_test, TestApp};

/// An approved shop in `audio`; returns `(seller token, shop id, operator token)`.
pub(crate) async fn seller_with_shop(t: &TestApp, email: &str, name: &str) -> (String, String) {
    let operator = t.login("operator@agora.test").await;
    let seller = t.user(email).await;
    let shop = t.shop(&seller, name, &["audio"]).await;
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

/// The operator and the `audio` category.
pub(crate) async fn marketplace(t: &TestApp) {
    let operator = t.operator().await;
    t.category(&operator, "audio", false).await;
}

pub(crate) fn product(title: &str, sku: &str, gtin: &str, cents: i64) -> Value {
    json!({
        "title": title,
        "category": "audio",
        "variants": [{"sku": sku, "gtin": gtin, "price": {"amount": cents, "currency": "EUR"}, "stock": 5}]
    })
}

async fn list(t: &TestApp, token: &str, shop: &str, body: Value) -> crate::support::Reply {
    t.post(&format!("/api/v1/shops/{shop}/products"), Some(token), body)
        .await
}

/// A PNG of `side`×`side` one-bit pixels, all black: a few kilobytes that claim a huge picture.
fn huge_png(side: u32) -> Vec<u8> {
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, side, side);
    encoder.set_color(png::ColorType::Grayscale);
    encoder.set_depth(png::BitDepth::One);
    encoder.set_compression(png::Compression::Fast);
    let mut writer = encoder.write_header().unwrap();
    let row_bytes = side.div_ceil(8) as usize;
    writer.write_image_data(&vec![0; row_bytes * side as usize]).unwrap();
    writer.finish().unwrap();
    out
}

fn small_png() -> Vec<u8> {
    let img = image::RgbImage::from_pixel(640, 480, image::Rgb([20, 90, 200]));
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

db_test!(a_huge_picture_in_a_small_file_is_refused_before_decoding, |t| {
    marketplace(&t).await;
    let (seller, shop) = seller_with_shop(&t, "seller@example.com", "Sound Shop").await;
    let r = list(
        &t,
        &seller,
        &shop,
        product("Aurora headphones", "AUR-1", "4006381333931", 14900),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let id = r.body["id"].as_str().unwrap();

    let bomb = huge_png(9000);
    assert!(bomb.len() < 1024 * 1024, "a small file: {} bytes", bomb.len());
    let refused = upload_image(&t, &seller, id, bomb).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", refused.text);
    assert_eq!(refused.body["errors"][0]["field"], "file", "{}", refused.text);
    assert_eq!(
        refused.body["errors"][0]["message"],
        "is 9000×9000 pixels; images may have at most 40 megapixels"
    );

    let fine = upload_image(&t, &seller, id, small_png()).await;
    assert_eq!(fine.status, StatusCode::CREATED, "{}", fine.text);
    let shown = t.get(&format!("/api/v1/products/{id}"), None).await;
    assert_eq!(
        shown.body["images"].as_array().map(Vec::len),
        Some(1),
        "only the real one"
    );
});

db_test!(
    an_absurd_price_is_refused_and_old_ones_do_not_break_the_comparison,
    |t| {
        marketplace(&t).await;
        let (seller, shop) = seller_with_shop(&t, "seller@example.com", "Sound Shop").await;
        let (hostile, hostile_shop) = seller_with_shop(&t, "hostile@example.com", "Cheap Sound").await;
        let mine = list(
            &t,
            &seller,
            &shop,
            product("Aurora headphones", "AUR-1", "4006381333931", 14900),
        )
        .await;
        assert_eq!(mine.status, StatusCode::CREATED, "{}", mine.text);
        let id = mine.body["id"].as_str().unwrap();
        let variant = mine.body["variants"][0]["id"].as_str().unwrap();

        // The API caps prices at 10^11 minor units, wherever a price is set.
        let over = 100_000_000_001_i64;
        let refused = list(
            &t,
            &hostile,
            &hostile_shop,
            product("Aurora", "H-1", "4006381333931", over),
        )
        .await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", refused.text);
        assert_eq!(refused.body["errors"][0]["field"], "variants[0].price");
        let at_cap = list(
            &t,
            &hostile,
            &hostile_shop,
            product("Aurora", "H-1", "4006381333931", over - 1),
        )
        .await;
        assert_eq!(at_cap.status, StatusCode::CREATED, "{}", at_cap.text);
        let hostile_product = at_cap.body["id"].as_str().unwrap();
        let more = t
            .post(
                &format!("/api/v1/products/{hostile_product}/variants"),
                Some(&hostile),
                json!({"sku": "H-2", "price": {"amount": over, "currency": "EUR"}, "stock": 1}),
            )
            .await;
        assert_eq!(more.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", more.text);
        assert_eq!(more.body["errors"][0]["field"], "price");
        let shipping = t
            .call(
                Method::PUT,
                &format!("/api/v1/shops/{hostile_shop}/shipping-rates/*"),
                Some(&hostile),
                Some(json!({"amount": {"amount": over, "currency": "EUR"}})),
            )
            .await;
        assert_eq!(shipping.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", shipping.text);
        let (_, company) = t.company_admin("anna@acme.test", "Acme").await;
        let company_price = t
            .call(
                Method::PUT,
                &format!("/api/v1/variants/{variant}/company-prices/{company}"),
                Some(&seller),
                Some(json!({"unit_price": {"amount": over, "currency": "EUR"}})),
            )
            .await;
        assert_eq!(
            company_price.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{}",
            company_price.text
        );
        let csv = "sku,title,category,price\nH-3,Aurora,audio,1000000000.01\n";
        let report = import::import_products(
            &t.app,
            &hostile_shop,
            csv.as_bytes(),
            &ImportOptions::default(),
            &mut |_| {},
        )
        .await
        .unwrap();
        assert_eq!(
            report.errors.iter().map(ToString::to_string).collect::<Vec<_>>(),
            vec!["line 2: price: must be at most 100000000000 minor units"]
        );

        // A price stored before the cap (or written around it) drops that offer only.
        let r = t
            .call(
                Method::PUT,
                &format!("/api/v1/shops/{hostile_shop}/shipping-rates/*"),
                Some(&hostile),
                Some(json!({"amount": {"amount": 1, "currency": "EUR"}})),
            )
            .await;
        assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
        t.sql(&format!(
            "UPDATE variants SET price_amount = {} WHERE sku = 'H-1'",
            i64::MAX
        ))
        .await;
        for query in ["", "?quantity=2", "?quantity=1000000&country=DE"] {
            let offers = t.get(&format!("/api/v1/products/{id}/offers{query}"), None).await;
            assert_eq!(offers.status, StatusCode::OK, "{query}: {}", offers.text);
            let shops: Vec<_> = offers.body["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|o| o["shop"]["name"].as_str().unwrap().to_owned())
                .collect();
            assert_eq!(shops, vec!["Sound Shop"], "{query}");
        }
        let theirs = t.get(&format!("/api/v1/products/{hostile_product}/offers"), None).await;
        assert_eq!(theirs.status, StatusCode::OK, "{}", theirs.text);
    }
);

db_test!(invisible_names_are_refused_and_direction_controls_removed, |t| {
    marketplace(&t).await;
    let (seller, shop) = seller_with_shop(&t, "seller@example.com", "Sound Shop").await;
    let path = format!("/api/v1/shops/{shop}/products");
    for blank in [
        "\u{200B}\u{200B}\u{200B}",
        "\u{2060}\u{FEFF}",
        "\u{3164}\u{3164}",
        "\u{202E}\u{202C}  ",
    ] {
        let r = t
            .post(&path, Some(&seller), product(blank, "B-1", "4006381333931", 100))
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{blank:?}: {}", r.text);
        assert_eq!(r.body["errors"][0]["field"], "title", "{blank:?}");
    }
    let r = t
        .post(
            &path,
            Some(&seller),
            product("Aurora \u{202E}3pm.exe\u{202C}", "B-1", "4006381333931", 100),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(r.body["title"], "Aurora 3pm.exe");
    let id = r.body["id"].as_str().unwrap();
    let patch = t
        .call(
            Method::PATCH,
            &format!("/api/v1/products/{id}"),
            Some(&seller),
            Some(json!({"title": "\u{200D}\u{200C}"})),
        )
        .await;
    assert_eq!(patch.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", patch.text);
    let patch = t
        .call(
            Method::PATCH,
            &format!("/api/v1/products/{id}"),
            Some(&seller),
            Some(json!({"title": "\u{2067}Aurora\u{2069} II"})),
        )
        .await;
    assert_eq!(patch.body["title"], "Aurora II", "{}", patch.text);

    // Shops and accounts follow the same rule.
    let apply = t
        .post(
            "/api/v1/shops",
            Some(&seller),
            json!({"name": "\u{202E}pohS\u{202C} Sound", "legal_name": "\u{200B}\u{200B}", "categories": ["audio"]}),
        )
        .await;
    assert_eq!(apply.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", apply.text);
    assert_eq!(apply.body["errors"][0]["field"], "legal_name", "{}", apply.text);
    let apply = t
        .post(
            "/api/v1/shops",
            Some(&seller),
            json!({"name": "\u{202E}pohS\u{202C} Sound", "legal_name": "Sound Ltd", "categories": ["audio"]}),
        )
        .await;
    assert_eq!(apply.status, StatusCode::CREATED, "{}", apply.text);
    assert_eq!(apply.body["name"], "pohS Sound");
    let account = t
        .post(
            "/api/v1/auth/register",
            None,
            json!({"email": "rtl@example.com", "password": crate::support::PASSWORD,
                   "name": "\u{200F}Mallory\u{200E}", "kind": "individual"}),
        )
        .await;
    assert_eq!(account.status, StatusCode::CREATED, "{}", account.text);
    assert_eq!(account.body["name"], "Mallory", "{}", account.text);
});

db_test!(a_stranger_learns_nothing_about_a_shop_from_a_bad_body, |t| {
    marketplace(&t).await;
    let (seller, shop) = seller_with_shop(&t, "seller@example.com", "Sound Shop").await;
    let r = list(
        &t,
        &seller,
        &shop,
        product("Aurora headphones", "AUR-1", "4006381333931", 14900),
    )
    .await;
    let id = r.body["id"].as_str().unwrap();
    let variant = r.body["variants"][0]["id"].as_str().unwrap();
    let stranger = t.user("stranger@example.com").await;
    let (_, company) = t.company_admin("anna@acme.test", "Acme").await;
    let bad_product = json!({"title": "", "category": "audio",
        "variants": [{"sku": "a b", "price": {"amount": -5, "currency": "EUR"}, "stock": -1}]});
    let cases = [
        (Method::POST, format!("/api/v1/shops/{shop}/products"), bad_product),
        (
            Method::PATCH,
            format!("/api/v1/products/{id}"),
            json!({"title": "", "status": "gone"}),
        ),
        (
            Method::POST,
            format!("/api/v1/products/{id}/variants"),
            json!({"sku": "a b", "price": {"amount": -5, "currency": "EUR"}, "stock": -1}),
        ),
        (
            Method::PUT,
            format!("/api/v1/variants/{variant}/stock"),
            json!({"stock": -1}),
        ),
        (
            Method::PUT,
            format!("/api/v1/variants/{variant}/stock"),
            json!({"stock": 1, "low_stock_threshold": -1}),
        ),
        (
            Method::PUT,
            format!("/api/v1/variants/{variant}/company-prices/{company}"),
            json!({"unit_price": {"amount": -1, "currency": "EUR"}}),
        ),
        (
            Method::PUT,
            format!("/api/v1/shops/{shop}/shipping-rates/Germany"),
            json!({"amount": {"amount": -1, "currency": "EUR"}}),
        ),
    ];
    let no_file = |token: &str| {
        let form = reqwest::multipart::Form::new().text("kind", "nonsense");
        let req = t
            .client
            .post(t.url(&format!("/api/v1/shops/{shop}/qualifications")))
            .bearer_auth(token.to_owned())
            .multipart(form);
        async move { crate::support::read(req.send().await.unwrap()).await }
    };
    assert_eq!(no_file(&stranger).await.status, StatusCode::NOT_FOUND);
    let r = no_file(&seller).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert_eq!(r.body["errors"][0]["field"], "file", "{}", r.text);
    for (method, path, body) in cases {
        let r = t.call(method.clone(), &path, Some(&stranger), Some(body.clone())).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{method} {path}: {}", r.text);
        let r = t.call(method.clone(), &path, Some(&seller), Some(body)).await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "the owner is told: {method} {path}: {}",
            r.text
        );
    }
});
