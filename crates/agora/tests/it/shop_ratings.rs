//! Buyers rate the shop of a completed order once, 1 to 5 stars: only the order's buyer (while
//! still buying for the company the order was placed for), never twice, never before completion.
//! The average shows on the shop's profile and storefront and orders the quote comparison.

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::companies::join;
use crate::hostile::{marketplace, seller_with_shop};
use crate::negotiations::list_lamp;
use crate::orders::{eur, tax_rates};
use crate::payouts::{completed, order, ship};
use crate::support::{db_test, Reply, TestApp};

async fn rate(t: &TestApp, token: &str, order: &str, body: serde_json::Value) -> Reply {
    t.post(&format!("/api/v1/orders/{order}/rating"), Some(token), body)
        .await
}

db_test!(only_the_buyer_of_a_completed_order_rates_its_shop_once, |t| {
    marketplace(&t).await;
    tax_rates(&t).await;
    let (seller, shop) = seller_with_shop(&t, "sam@example.com", "Sams Sound").await;
    let (_, lamp) = list_lamp(&t, &seller, &shop, "LAMP", 50).await;
    let (ada, acme) = t.company_admin("ada@acme.test", "Acme Ltd").await;
    let mut buyers = Vec::new();
    for email in ["pia@acme.test", "pete@acme.test", "pam@acme.test"] {
        let token = t.user(email).await;
        join(&t, &ada, &acme, email, "purchaser", &token).await;
        buyers.push(token);
    }
    let (pia, pete, pam) = (buyers[0].clone(), buyers[1].clone(), buyers[2].clone());
    let stranger = t.user("stranger@example.com").await;
    let done = completed(&t, &pia, &seller, &lamp, 1).await;
    let petes = completed(&t, &pete, &seller, &lamp, 1).await;
    let pams = completed(&t, &pam, &seller, &lamp, 1).await;
    let shipped = order(&t, &pia, &lamp, 1, "card").await;
    ship(&t, &seller, &shipped).await;

    // Not the buyer: a stranger (404), the shop and the company's admin (403).
    let good = json!({"score": 4, "comment": "Well packed, quick."});
    assert_eq!(
        rate(&t, &stranger, &done, good.clone()).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        rate(&t, &seller, &done, good.clone()).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(rate(&t, &ada, &done, good.clone()).await.status, StatusCode::FORBIDDEN);
    assert_eq!(
        rate(&t, &pia, "ord_missing", good.clone()).await.status,
        StatusCode::NOT_FOUND
    );

    // Bad scores and comments: 422, nothing stored.
    for bad in [
        json!({"score": 0}),
        json!({"score": 6}),
        json!({"score": 3, "comment": "x".repeat(2001)}),
    ] {
        let r = rate(&t, &pia, &done, bad.clone()).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}: {}", r.text);
    }
    let r = rate(&t, &pia, &done, json!({"score": 0})).await;
    assert_eq!(r.body["errors"][0]["field"], "score", "{}", r.text);
    assert_eq!(
        t.get(&format!("/api/v1/orders/{done}/rating"), Some(&pia)).await.status,
        StatusCode::NOT_FOUND
    );

    // Not completed yet: 409.
    let early = rate(&t, &pia, &shipped, good.clone()).await;
    assert_eq!(early.status, StatusCode::CONFLICT, "{}", early.text);
    assert_eq!(early.problem_type(), "/problems/order-not-completed");

    let r = rate(&t, &pia, &done, good.clone()).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(r.body["score"], 4);
    assert_eq!(r.body["shop_id"], shop.as_str());
    let twice = rate(&t, &pia, &done, json!({"score": 1})).await;
    assert_eq!(twice.status, StatusCode::CONFLICT, "{}", twice.text);
    assert_eq!(twice.problem_type(), "/problems/already-rated");
    for (who, token) in [
        ("the buyer", &pia),
        ("the shop", &seller),
        ("the company's admin", &ada),
    ] {
        let r = t.get(&format!("/api/v1/orders/{done}/rating"), Some(token)).await;
        assert_eq!(r.status, StatusCode::OK, "{who}: {}", r.text);
        assert_eq!(r.body["score"], 4);
        assert_eq!(r.body["comment"], "Well packed, quick.");
    }
    assert_eq!(
        t.get(&format!("/api/v1/orders/{done}/rating"), Some(&stranger))
            .await
            .status,
        StatusCode::NOT_FOUND
    );

    // A demoted and a removed member no longer speak for the company.
    let pam_id = t.account_id(&pam).await;
    let r = t
        .call(
            Method::PATCH,
            &format!("/api/v1/companies/{acme}/members/{pam_id}"),
            Some(&ada),
            Some(json!({"role": "finance"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    let r = rate(&t, &pam, &pams, json!({"score": 1})).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "a demoted member: {}", r.text);
    let pete_id = t.account_id(&pete).await;
    let r = t
        .call(
            Method::DELETE,
            &format!("/api/v1/companies/{acme}/members/{pete_id}"),
            Some(&ada),
            None,
        )
        .await;
    assert!(r.status.is_success(), "{}", r.text);
    let r = rate(&t, &pete, &petes, json!({"score": 1})).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "a removed member: {}", r.text);

    // The shop's profile and storefront show one rating of 4.
    let profile = t.get(&format!("/api/v1/shops/{shop}"), None).await;
    assert_eq!(profile.body["rating"], 4.0, "{}", profile.text);
    assert_eq!(profile.body["rating_count"], 1);
    let slug = profile.body["slug"].as_str().unwrap();
    let page = t.get(&format!("/s/{slug}"), None).await;
    assert!(
        page.text.contains("4.0") && page.text.contains("from 1 rating"),
        "{}",
        page.text
    );
});

db_test!(the_quote_comparison_sorts_by_seller_rating, |t| {
    marketplace(&t).await;
    tax_rates(&t).await;
    let buyer = t.user("bea@example.com").await;
    let rater = t.user("rita@example.com").await;
    let mut sellers = Vec::new();
    // (email, shop, quoted unit price, scores given)
    for (email, name, cents, scores) in [
        ("ann@example.com", "Anns Lampen", 990, vec![5, 5]),
        ("ben@example.com", "Bens Licht", 900, vec![3, 4]),
        ("cat@example.com", "Cats Leuchten", 850, vec![]),
    ] {
        let (seller, shop) = seller_with_shop(&t, email, name).await;
        let (_, variant) = list_lamp(&t, &seller, &shop, "LAMP", 500).await;
        for score in &scores {
            let id = completed(&t, &rater, &seller, &variant, 1).await;
            let r = rate(&t, &rater, &id, json!({"score": score})).await;
            assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        }
        sellers.push((seller, shop, variant, cents));
    }
    let r = t
        .post(
            "/api/v1/rfqs",
            Some(&buyer),
            json!({"title": "Lamps", "category": "audio", "quantity": 10,
                   "deadline": agora_app::rfc3339(agora_store::now_ms() + 86_400_000)}),
        )
        .await;
    let rfq = r.body["id"].as_str().unwrap().to_owned();
    for (seller, _, variant, cents) in &sellers {
        let r = t
            .post(
                &format!("/api/v1/rfqs/{rfq}/quotes"),
                Some(seller),
                json!({"variant_id": variant, "unit_price": eur(*cents), "quantity": 10, "lead_time_days": 5,
                       "valid_until": agora_app::rfc3339(agora_store::now_ms() + 10 * 86_400_000)}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    }
    let shops_in = |r: &Reply| -> Vec<String> {
        r.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|q| q["shop"]["id"].as_str().unwrap().to_owned())
            .collect()
    };
    let by_rating = t
        .get(&format!("/api/v1/rfqs/{rfq}/quotes?sort=rating"), Some(&buyer))
        .await;
    assert_eq!(by_rating.status, StatusCode::OK, "{}", by_rating.text);
    let expected: Vec<String> = sellers.iter().map(|s| s.1.clone()).collect();
    assert_eq!(shops_in(&by_rating), expected, "best rated first, unrated last");
    assert_eq!(by_rating.body["items"][0]["seller_rating"], 500);
    assert_eq!(by_rating.body["items"][0]["seller_rating_count"], 2);
    assert_eq!(by_rating.body["items"][1]["seller_rating"], 350);
    assert!(by_rating.body["items"][2]["seller_rating"].is_null());
    let by_price = t
        .get(&format!("/api/v1/rfqs/{rfq}/quotes?sort=landed_price"), Some(&buyer))
        .await;
    let mut cheapest_first = expected.clone();
    cheapest_first.reverse();
    assert_eq!(shops_in(&by_price), cheapest_first);

    // The comparison page shows the ratings in the same order.
    let html = crate::page_session::get(&t, &format!("/rfqs/{rfq}?sort=rating"), &buyer)
        .await
        .text;
    let (ann, ben) = (html.find("Anns Lampen").unwrap(), html.find("Bens Licht").unwrap());
    let cat = html.find("Cats Leuchten").unwrap();
    assert!(ann < ben && ben < cat, "rating order on the page");
    assert!(html.contains("5.0 ★") && html.contains("3.5 ★"), "{html}");
});

db_test!(the_order_page_rates_the_shop_with_friendly_refusals, |t| {
    use crate::page_session::{get, post};
    marketplace(&t).await;
    tax_rates(&t).await;
    let (seller, shop) = seller_with_shop(&t, "sam@example.com", "Sams Sound").await;
    let (_, lamp) = list_lamp(&t, &seller, &shop, "LAMP", 50).await;
    let buyer = t.user("bea@example.com").await;
    let shipped = order(&t, &buyer, &lamp, 1, "card").await;
    ship(&t, &seller, &shipped).await;
    let page = get(&t, &format!("/orders/{shipped}"), &buyer).await;
    assert!(!page.text.contains("Rate the shop"), "not before completion");
    let r = post(&t, &format!("/orders/{shipped}/rating"), &buyer, &[("score", "5")]).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text);
    assert!(r.text.contains("once it is completed"), "{}", r.text);

    let done = completed(&t, &buyer, &seller, &lamp, 1).await;
    let page = get(&t, &format!("/orders/{done}"), &buyer).await;
    assert!(page.text.contains("Rate the shop"), "{}", page.text);
    let seller_view = get(&t, &format!("/orders/{done}"), &seller).await;
    assert!(!seller_view.text.contains("Rate the shop"), "only the buyer rates");
    let r = post(&t, &format!("/orders/{done}/rating"), &seller, &[("score", "5")]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text);
    let r = post(&t, &format!("/orders/{done}/rating"), &buyer, &[("score", "9")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert!(r.text.contains("from 1 to 5"), "{}", r.text);
    let r = post(
        &t,
        &format!("/orders/{done}/rating"),
        &buyer,
        &[("score", "5"), ("comment", "Spot on")],
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    let page = get(&t, &format!("/orders/{done}?rated=1"), &buyer).await;
    assert!(page.text.contains("Thank you for rating the shop") && page.text.contains("Spot on"));
    assert!(!page.text.contains("Rate the shop</button>"), "once per order");
    let r = post(&t, &format!("/orders/{done}/rating"), &buyer, &[("score", "1")]).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text);
    let stranger = t.user("stranger@example.com").await;
    let r = post(&t, &format!("/orders/{done}/rating"), &stranger, &[("score", "1")]).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.text);
});
