//! Shipping methods per shop: the seller sets named methods (flat, by weight band, free from an
//! amount, for some countries), the buyer picks one per shop at checkout or gets the cheapest that
//! can ship, and a method that is not the shop's or cannot ship there is a 422 naming the field,
//! with nothing reserved. Only the shop's owner and managers, by their current role, set methods.

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::hostile::{marketplace, seller_with_shop};
use crate::orders::{add, address, checkout, eur, stock_of, tax_rates, variant};
use crate::support::{db_test, CompanyMember, Reply, TestApp};

pub(crate) async fn set_methods(t: &TestApp, token: &str, shop: &str, methods: Value) -> Reply {
    t.call(
        Method::PUT,
        &format!("/api/v1/shops/{shop}/shipping-methods"),
        Some(token),
        Some(json!({ "methods": methods })),
    )
    .await
}

async fn set_weight(t: &TestApp, seller: &str, variant: &str, grams: i64) {
    let r = t
        .call(
            Method::PUT,
            &format!("/api/v1/variants/{variant}/weight"),
            Some(seller),
            Some(json!({ "weight_grams": grams })),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["weight_grams"], grams);
}

/// Standard by weight (up to 1 kg 4.90, up to 5 kg 6.90; free from 100.00; DE and AT),
/// Express flat 12.00 everywhere, and a 2.00 letter up to 500 g for DE only.
fn three_methods() -> Value {
    json!([
        {"name": "Standard", "rate": {"kind": "by_weight", "bands": [
            {"up_to_grams": 1000, "price": eur(490)}, {"up_to_grams": 5000, "price": eur(690)}]},
         "free_from": eur(10000), "countries": ["DE", "AT"]},
        {"name": "Express", "rate": {"kind": "flat", "price": eur(1200)}},
        {"name": "Letter", "rate": {"kind": "by_weight", "bands": [{"up_to_grams": 500, "price": eur(200)}]},
         "countries": ["DE"]}
    ])
}

fn id_of(methods: &Value, name: &str) -> String {
    methods["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["name"] == name)
        .unwrap_or_else(|| panic!("{name} in {methods}"))["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

fn body(country: &str, methods: Value) -> Value {
    json!({"shipping_address": address(country), "payment_method": "card", "shipping_method": methods})
}

db_test!(the_buyer_picks_a_method_per_shop_and_each_rule_prices_it, |t| {
    marketplace(&t).await;
    tax_rates(&t).await;
    let (nora, shop) = seller_with_shop(&t, "nora@example.com", "Nordlicht").await;
    let (hans, hans_shop) = seller_with_shop(&t, "hans@example.com", "Hanse").await;
    let lamp = variant(&t, &nora, &shop, "LAMP", 2000, 50).await;
    let grinder = variant(&t, &hans, &hans_shop, "GRIND", 1000, 50).await;
    set_weight(&t, &nora, &lamp, 400).await;
    let set = set_methods(&t, &nora, &shop, three_methods()).await;
    assert_eq!(set.status, StatusCode::OK, "{}", set.text);
    let listed = t.get(&format!("/api/v1/shops/{shop}/shipping-methods"), None).await;
    assert_eq!(listed.status, StatusCode::OK, "{}", listed.text);
    assert_eq!(listed.body, set.body, "anyone sees a shop's methods, in its order");
    assert_eq!(listed.body["items"][0]["countries"], json!(["AT", "DE"]));
    assert_eq!(listed.body["items"][1]["countries"], Value::Null, "everywhere");
    let (standard, express) = (id_of(&set.body, "Standard"), id_of(&set.body, "Express"));
    let buyer = t.user("buyer@example.com").await;
    let order = |r: &Reply, shop: &str| -> Value {
        r.body["orders"]
            .as_array()
            .unwrap()
            .iter()
            .find(|o| o["shop"]["id"] == shop)
            .unwrap()
            .clone()
    };

    // No choice: the cheapest that can ship 400 g to DE is the letter (2.00).
    add(&t, &buyer, &lamp, 1).await;
    add(&t, &buyer, &grinder, 1).await;
    let options = t
        .get("/api/v1/checkout/shipping-options?country=DE", Some(&buyer))
        .await;
    assert_eq!(options.status, StatusCode::OK, "{}", options.text);
    let nora_options = options.body["shops"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["shop_id"] == shop.as_str())
        .unwrap()
        .clone();
    let prices: Vec<(&str, i64)> = nora_options["options"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| (o["name"].as_str().unwrap(), o["price"]["amount"].as_i64().unwrap()))
        .collect();
    assert_eq!(prices, [("Letter", 200), ("Standard", 490), ("Express", 1200)]);
    assert_eq!(nora_options["default_id"], id_of(&set.body, "Letter").as_str());
    let r = checkout(&t, &buyer, body("DE", json!({}))).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let o = order(&r, &shop);
    assert_eq!(o["shipping_method"], "Letter");
    assert_eq!(o["shipping"], eur(200));
    assert_eq!(o["total"], eur(2200));
    assert_eq!(
        order(&r, &hans_shop)["shipping_method"],
        Value::Null,
        "a shop without methods ships by its rates"
    );

    // Express chosen: flat 12.00 whatever the weight.
    add(&t, &buyer, &lamp, 3).await;
    let r = checkout(&t, &buyer, body("DE", json!({ &shop: express }))).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let o = order(&r, &shop);
    assert_eq!(
        (o["shipping_method"].clone(), o["shipping"].clone()),
        (json!("Express"), eur(1200))
    );

    // Standard by weight: 3 × 400 g = 1 200 g is past the 1 kg band edge → 6.90.
    add(&t, &buyer, &lamp, 3).await;
    let r = checkout(&t, &buyer, body("DE", json!({ &shop: standard }))).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(order(&r, &shop)["shipping"], eur(690));
    // Exactly at the edge (2 × 400 g = 800 g, then 1 000 g with a 200 g variant) → 4.90.
    let (light, heavy) = (
        variant(&t, &nora, &shop, "LIGHT", 2000, 50).await,
        variant(&t, &nora, &shop, "HEAVY", 2000, 50).await,
    );
    set_weight(&t, &nora, &light, 200).await;
    set_weight(&t, &nora, &heavy, 4001).await;
    add(&t, &buyer, &lamp, 2).await;
    add(&t, &buyer, &light, 1).await;
    let r = checkout(&t, &buyer, body("DE", json!({ &shop: standard }))).await;
    assert_eq!(order(&r, &shop)["shipping"], eur(490), "{}", r.text);

    // Free from 100.00 of goods: 5 × 20.00 ships for nothing.
    add(&t, &buyer, &light, 5).await;
    let r = checkout(&t, &buyer, body("DE", json!({ &shop: standard }))).await;
    let o = order(&r, &shop);
    assert_eq!(
        (o["shipping"].clone(), o["total"].clone()),
        (eur(0), eur(10000)),
        "{}",
        r.text
    );

    // Heavier than the last band (5 001 g): Standard cannot take it; the default is Express.
    add(&t, &buyer, &heavy, 1).await;
    add(&t, &buyer, &light, 5).await;
    let r = checkout(&t, &buyer, body("DE", json!({}))).await;
    let o = order(&r, &shop);
    assert_eq!(
        (o["shipping_method"].clone(), o["shipping"].clone()),
        (json!("Express"), eur(1200)),
        "{}",
        r.text
    );
});

db_test!(
    a_bad_method_choice_is_a_422_naming_the_field_and_reserves_nothing,
    |t| {
        marketplace(&t).await;
        tax_rates(&t).await;
        let (nora, shop) = seller_with_shop(&t, "nora@example.com", "Nordlicht").await;
        let (hans, hans_shop) = seller_with_shop(&t, "hans@example.com", "Hanse").await;
        let lamp = variant(&t, &nora, &shop, "LAMP", 2000, 5).await;
        let grinder = variant(&t, &hans, &hans_shop, "GRIND", 1000, 5).await;
        let set = set_methods(&t, &nora, &shop, three_methods()).await;
        assert_eq!(set.status, StatusCode::OK, "{}", set.text);
        let hans_set = set_methods(
            &t,
            &hans,
            &hans_shop,
            json!([{"name": "Cargo", "rate": {"kind": "flat", "price": eur(100)}}]),
        )
        .await;
        let cargo = id_of(&hans_set.body, "Cargo");
        let letter = id_of(&set.body, "Letter");
        let buyer = t.user("buyer@example.com").await;
        add(&t, &buyer, &lamp, 2).await;
        let field = format!("shipping_method.{shop}");
        for (country, choice, expected_field) in [
            ("DE", json!({ &shop: "shm_nope" }), field.clone()),
            ("DE", json!({ &shop: cargo }), field.clone()),
            ("FR", json!({ &shop: letter }), field.clone()),
            (
                "DE",
                json!({ &hans_shop: cargo }),
                format!("shipping_method.{hans_shop}"),
            ),
        ] {
            let r = checkout(&t, &buyer, body(country, choice.clone())).await;
            assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{choice}: {}", r.text);
            assert_eq!(r.body["errors"][0]["field"], expected_field.as_str(), "{}", r.text);
            assert_eq!(stock_of(&t, &nora, &lamp).await, 5, "nothing is reserved");
        }
        // A destination no method serves: the country is to blame.
        let set = set_methods(
            &t,
            &nora,
            &shop,
            json!([{"name": "Local", "rate": {"kind": "flat", "price": eur(100)}, "countries": ["DE"]}]),
        )
        .await;
        assert_eq!(set.status, StatusCode::OK, "{}", set.text);
        let r = checkout(&t, &buyer, body("FR", json!({}))).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
        assert_eq!(r.body["errors"][0]["field"], "shipping_address.country", "{}", r.text);
        let cart = t.get("/api/v1/cart", Some(&buyer)).await;
        assert_eq!(cart.body["lines"].as_array().unwrap().len(), 1, "the cart is intact");
        assert_eq!(
            t.get("/api/v1/orders", Some(&buyer)).await.body["items"],
            json!([]),
            "no order"
        );
        let _ = grinder;
    }
);

db_test!(
    only_the_shops_current_staff_set_its_methods_and_bad_ones_name_each_field,
    |t| {
        marketplace(&t).await;
        let (nora, shop) = seller_with_shop(&t, "nora@example.com", "Nordlicht").await;
        let (hans, _) = seller_with_shop(&t, "hans@example.com", "Hanse").await;
        let flat = json!([{"name": "Flat", "rate": {"kind": "flat", "price": eur(500)}}]);
        let r = set_methods(&t, &hans, &shop, flat.clone()).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "another shop's seller: {}", r.text);
        let buyer = t.user("buyer@example.com").await;
        let r = set_methods(&t, &buyer, &shop, flat.clone()).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "a buyer: {}", r.text);
        assert_eq!(
            set_methods(&t, "nope", &shop, flat.clone()).await.status,
            StatusCode::UNAUTHORIZED
        );

        let r = set_methods(
            &t,
            &nora,
            &shop,
            json!([
                {"name": " ", "rate": {"kind": "by_weight", "bands": [
                    {"up_to_grams": 1000, "price": eur(500)}, {"up_to_grams": 900, "price": eur(400)}]},
                 "countries": ["DE", "XX1"]},
                {"id": "shm_not_ours", "name": "Other", "rate": {"kind": "flat", "price": eur(1)}},
                {"name": "Nowhere", "rate": {"kind": "flat", "price": eur(-1)}, "countries": []}
            ]),
        )
        .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
        let fields: Vec<&str> = r.body["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["field"].as_str().unwrap())
            .collect();
        assert_eq!(
            fields,
            [
                "methods[0].countries[1]",
                "methods[0].name",
                "methods[0].rate.bands[1].up_to_grams",
                "methods[0].rate.bands[1].price",
                "methods[1].id",
                "methods[2].rate.price",
                "methods[2].countries",
            ]
        );
        assert_eq!(
            t.get(&format!("/api/v1/shops/{shop}/shipping-methods"), None)
                .await
                .body["items"],
            json!([]),
            "nothing saved"
        );

        // Ids are kept when the list is replaced; an empty list removes every method.
        let r = set_methods(&t, &nora, &shop, flat.clone()).await;
        let id = r.body["items"][0]["id"].as_str().unwrap().to_owned();
        let r = set_methods(
            &t,
            &nora,
            &shop,
            json!([{"name": "Cheap", "rate": {"kind": "flat", "price": eur(100)}},
               {"id": id, "name": "Flat again", "rate": {"kind": "flat", "price": eur(600)}}]),
        )
        .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        assert_eq!(r.body["items"][1]["id"], id.as_str());
        assert_eq!(r.body["items"][1]["name"], "Flat again");
        let r = set_methods(&t, &nora, &shop, json!([])).await;
        assert_eq!(r.body["items"], json!([]), "{}", r.text);
    }
);

db_test!(a_demoted_or_removed_member_cannot_set_the_company_shops_methods, |t| {
    marketplace(&t).await;
    let operator = t.login("operator@agora.test").await;
    let CompanyMember {
        admin: anna,
        company: acme,
        member: sam,
        member_id: sam_id,
    } = t
        .company_with_member("anna@acme.test", "Acme Ltd", "sam@acme.test", "sales")
        .await;
    let shop = t.approved_company_shop(&operator, &sam, "Acme Audio", "Acme Ltd").await;
    let flat = json!([{"name": "Flat", "rate": {"kind": "flat", "price": eur(500)}}]);
    assert_eq!(set_methods(&t, &sam, &shop, flat.clone()).await.status, StatusCode::OK);
    let r = t
        .call(
            Method::PATCH,
            &format!("/api/v1/companies/{acme}/members/{sam_id}"),
            Some(&anna),
            Some(json!({"role": "purchaser"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    let r = set_methods(&t, &sam, &shop, json!([])).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "demoted: {}", r.text);
    let r = t
        .call(
            Method::DELETE,
            &format!("/api/v1/companies/{acme}/members/{sam_id}"),
            Some(&anna),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    let r = set_methods(&t, &sam, &shop, json!([])).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "removed: {}", r.text);
    let listed = t.get(&format!("/api/v1/shops/{shop}/shipping-methods"), None).await;
    assert_eq!(listed.body["items"].as_array().unwrap().len(), 1, "{}", listed.text);
    assert_eq!(set_methods(&t, &anna, &shop, json!([])).await.status, StatusCode::OK);
});

db_test!(
    the_checkout_page_shows_each_countrys_methods_and_totals_before_placing,
    |t| {
        marketplace(&t).await;
        tax_rates(&t).await;
        let (nora, shop) = seller_with_shop(&t, "nora@example.com", "Nordlicht").await;
        let lamp = variant(&t, &nora, &shop, "LAMP", 2000, 50).await;
        set_weight(&t, &nora, &lamp, 400).await;
        let set = set_methods(&t, &nora, &shop, three_methods()).await;
        assert_eq!(set.status, StatusCode::OK, "{}", set.text);
        let express = id_of(&set.body, "Express");
        let buyer = t.user("buyer@example.com").await;
        add(&t, &buyer, &lamp, 1).await;
        let field = format!("shipping_method.{shop}");
        let step = |country: &'static str, method: Option<String>| {
            let (t, buyer, field) = (&t, &buyer, field.clone());
            async move {
                let mut fields = vec![
                    ("step", "shipping".to_owned()),
                    ("address_id", String::new()),
                    ("country", country.to_owned()),
                    ("payment_method", "card".to_owned()),
                ];
                if let Some(m) = method {
                    fields.push((field.as_str(), m));
                }
                let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
                crate::page_session::post(t, "/checkout", buyer, &fields).await
            }
        };

        // Without a country: no methods, no figures beyond the goods.
        let page = step("", None).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.text);
        assert!(!page.text.contains("Shipping from Nordlicht"), "{}", page.text);
        assert!(!page.text.contains("Total: "), "{}", page.text);

        // To DE: every method with its price, the cheapest (the letter) picked, and the total.
        let page = step("DE", None).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.text);
        assert!(page.text.contains("Shipping from Nordlicht"), "{}", page.text);
        assert!(
            page.text.contains(r#"Letter: <span class="price">2.00 EUR</span>"#),
            "{}",
            page.text
        );
        assert!(page.text.contains("Shipping (Letter)"), "{}", page.text);
        assert!(
            page.text
                .contains(r#"Total: <strong class="price" data-currency="EUR">22.00 EUR</strong>"#),
            "{}",
            page.text
        );
        // To FR only Express ships: its price makes the total.
        let page = step("FR", None).await;
        assert!(!page.text.contains("Letter: "), "{}", page.text);
        assert!(
            page.text.contains(r#"Express: <span class="price">12.00 EUR</span>"#),
            "{}",
            page.text
        );

        // The buyer's choice is kept and counted; the figures are the ones checkout then charges.
        let page = step("DE", Some(express.clone())).await;
        assert!(
            page.text.contains(&format!(r#"value="{express}" checked"#)),
            "{}",
            page.text
        );
        assert!(
            page.text
                .contains(r#"Total: <strong class="price" data-currency="EUR">32.00 EUR</strong>"#),
            "{}",
            page.text
        );
        let orders = t.get("/api/v1/orders", Some(&buyer)).await;
        assert_eq!(
            orders.body["items"],
            json!([]),
            "the step places nothing: {}",
            orders.text
        );
        let r = checkout(&t, &buyer, body("DE", json!({ shop.clone(): express }))).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        assert_eq!(r.body["orders"][0]["total"], eur(3200), "{}", r.text);
    }
);

db_test!(the_checkout_page_says_why_a_cart_has_no_totals, |t| {
    marketplace(&t).await;
    tax_rates(&t).await;
    let (nora, shop) = seller_with_shop(&t, "nora@example.com", "Nordlicht").await;
    let lamp = variant(&t, &nora, &shop, "LAMP", 2000, 50).await;
    set_weight(&t, &nora, &lamp, 400).await;
    // Standard to DE and AT, the letter to DE: nothing ships to FR.
    let methods = three_methods();
    let home_only = json!([methods[0].clone(), methods[2].clone()]);
    let set = set_methods(&t, &nora, &shop, home_only).await;
    assert_eq!(set.status, StatusCode::OK, "{}", set.text);
    let buyer = t.user("buyer@example.com").await;
    add(&t, &buyer, &lamp, 3).await;
    let step = |country: &'static str| {
        let (t, buyer) = (&t, &buyer);
        async move {
            let fields = [
                ("step", "shipping"),
                ("address_id", ""),
                ("country", country),
                ("payment_method", "card"),
            ];
            let page = crate::page_session::post(t, "/checkout", buyer, &fields).await;
            assert_eq!(page.status, StatusCode::OK, "{}", page.text);
            page.text
        }
    };
    let problem = |page: &str| {
        let start = page.find("id=\"quote-problem\">")? + "id=\"quote-problem\">".len();
        Some(page[start..start + page[start..].find("</p>")?].to_owned())
    };

    let page = step("DE").await;
    assert!(page.contains("Total: "), "{page}");
    assert_eq!(problem(&page), None, "a cart that can be priced has no problem");
    let page = step("").await;
    assert_eq!(problem(&page), None, "no country, no problem yet");

    let page = step("FR").await;
    assert!(!page.contains("Total: "), "{page}");
    assert_eq!(
        problem(&page).as_deref(),
        Some(
            "We cannot work out the totals yet: Nordlicht has no shipping method for this order to FR. \
             Choose another address or shipping method, or remove those items from your cart."
        ),
        "{page}"
    );
    let page = step("XQ").await;
    assert_eq!(
        problem(&page).as_deref(),
        Some("We do not know the country “XQ”: enter its two-letter code, such as DE for Germany or FR for France."),
        "{page}"
    );

    // Stock sold elsewhere since the lamp went into the cart.
    let r = t
        .call(
            Method::PUT,
            &format!("/api/v1/variants/{lamp}/stock"),
            Some(&nora),
            Some(json!({"stock": 2})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let page = step("DE").await;
    assert!(!page.contains("Total: "), "{page}");
    let text = problem(&page).unwrap_or_default();
    assert!(
        text.starts_with("We cannot work out the totals yet: Only 2 of ")
            && text.ends_with("are in stock. Lower the quantity in your cart, or remove the item."),
        "{page}"
    );
});
