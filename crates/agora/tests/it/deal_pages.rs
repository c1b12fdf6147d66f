//! The negotiation, RFQ and contract pages: the same use cases as the API, through forms with a
//! friendly message for refused input, and 404 pages for what is not the visitor's.

use reqwest::StatusCode;

use crate::negotiations::haggle_world;
use crate::page_session::{get, post};
use crate::support::{db_test, Reply};

fn location(r: &Reply) -> String {
    r.headers["location"].to_str().unwrap().to_owned()
}

db_test!(a_buyer_and_a_seller_haggle_through_the_pages, |t| {
    let h = haggle_world(&t).await;
    let product_page = get(&t, &format!("/p/{}", h.product), &h.buyer).await;
    assert!(product_page.text.contains("Make an offer"), "{}", product_page.text);
    assert!(!product_page.text.contains("7.00") && !product_page.text.contains("Lowest price"));
    let seller_page = get(&t, &format!("/p/{}", h.product), &h.seller).await;
    assert!(seller_page.text.contains("Lowest price you consider"));
    assert!(seller_page.text.contains("value=\"7.00\""), "the shop sees its floor");

    let offer = |price: &'static str| {
        [
            ("variant_id", h.variant.as_str()),
            ("quantity", "2"),
            ("unit_price", price),
            ("currency", "EUR"),
            ("product_id", h.product.as_str()),
            ("message", "Two please"),
        ]
    };
    let r = post(&t, "/negotiations", &h.buyer, &offer("6.50")).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    let back = location(&r);
    assert!(back.starts_with(&format!("/p/{}?offer_error=", h.product)), "{back}");
    let shown = get(&t, &back, &h.buyer).await;
    assert!(
        shown.text.contains("does not accept offers at this price"),
        "{}",
        shown.text
    );
    let r = post(&t, "/negotiations", &h.buyer, &offer("abc")).await;
    assert!(location(&r).contains("offer_error="), "a typo is explained, not a 500");

    let r = post(&t, "/negotiations", &h.buyer, &offer("8.00")).await;
    let page = location(&r);
    assert!(page.starts_with("/negotiations/neg_"), "{page}");
    let id = page
        .trim_start_matches("/negotiations/")
        .split('?')
        .next()
        .unwrap()
        .to_owned();
    let view = get(&t, &page, &h.buyer).await;
    assert_eq!(view.status, StatusCode::OK);
    assert!(view.text.contains("Your offer was sent") && view.text.contains("Waiting for the other side"));
    let list = get(&t, "/sell/negotiations", &h.seller).await;
    assert!(list.text.contains(&format!("/negotiations/{id}")), "{}", list.text);
    let r = post(&t, &format!("/negotiations/{id}/accept"), &h.buyer, &[]).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "accepting one's own offer: {}", r.text);
    assert!(r.text.contains("That did not work"));
    let r = post(
        &t,
        &format!("/negotiations/{id}/counter"),
        &h.seller,
        &[("unit_price", "9.00"), ("quantity", "2"), ("message", "Nine?")],
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    let r = post(
        &t,
        &format!("/negotiations/{id}/counter"),
        &h.buyer,
        &[("unit_price", "-1")],
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    let r = post(&t, &format!("/negotiations/{id}/accept"), &h.buyer, &[]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    let done = get(&t, &format!("/negotiations/{id}?done=accept"), &h.buyer).await;
    assert!(done.text.contains("Agreed"), "{}", done.text);
    let n = t.get(&format!("/api/v1/negotiations/{id}"), Some(&h.buyer)).await;
    let contract = n.body["contract_id"].as_str().unwrap().to_owned();
    let page = get(&t, &format!("/contracts/{contract}"), &h.seller).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.text.contains("Signature valid"), "{}", page.text);
    let file = get(&t, &format!("/contracts/{contract}/download"), &h.buyer).await;
    assert!(file.headers["content-disposition"]
        .to_str()
        .unwrap()
        .contains("attachment"));
    assert_eq!(file.body["id"], contract.as_str());

    let stranger = t.user("eve@example.com").await;
    assert_eq!(
        get(&t, &format!("/negotiations/{id}"), &stranger).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        get(&t, &format!("/contracts/{contract}"), &stranger).await.status,
        StatusCode::NOT_FOUND
    );
    let r = post(
        &t,
        &format!("/sell/products/{}/offer-settings", h.product),
        &stranger,
        &[("enabled", "on")],
    )
    .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
});

db_test!(an_rfq_goes_from_the_form_to_a_contract_through_the_pages, |t| {
    let h = haggle_world(&t).await;
    let form = get(&t, "/rfqs/new", &h.buyer).await;
    assert_eq!(form.status, StatusCode::OK);
    let bad = post(
        &t,
        "/rfqs",
        &h.buyer,
        &[
            ("title", ""),
            ("category", "audio"),
            ("quantity", "5"),
            ("deadline", "2020-01-01"),
        ],
    )
    .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.text);
    assert!(bad.text.contains("must be in the future") && bad.text.contains("must not be empty"));
    let deadline = agora_app::rfc3339(agora_store::now_ms() + 3 * 86_400_000);
    let r = post(
        &t,
        "/rfqs",
        &h.buyer,
        &[
            ("title", "Five lamps"),
            ("category", "audio"),
            ("quantity", "5"),
            ("target_price", "8.00"),
            ("hide_target_price", "on"),
            ("deadline", &deadline[..10]),
        ],
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    let page = location(&r);
    let rfq = page.trim_start_matches("/rfqs/").split('?').next().unwrap().to_owned();
    let market = get(&t, "/sell/rfqs", &h.seller).await;
    assert!(market.text.contains("Five lamps"), "{}", market.text);
    let seen = get(&t, &format!("/rfqs/{rfq}"), &h.seller).await;
    assert!(!seen.text.contains("8.00"), "the hidden target: {}", seen.text);
    let valid = agora_app::rfc3339(agora_store::now_ms() + 9 * 86_400_000);
    let r = post(
        &t,
        &format!("/rfqs/{rfq}/quotes"),
        &h.seller,
        &[
            ("variant_id", &h.variant),
            ("unit_price", "8.40"),
            ("quantity", "5"),
            ("lead_time_days", "4"),
            ("valid_until", &valid[..10]),
        ],
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    let r = post(
        &t,
        &format!("/rfqs/{rfq}/quotes"),
        &h.seller,
        &[
            ("variant_id", &h.variant),
            ("unit_price", "8.40"),
            ("quantity", "50"),
            ("lead_time_days", "4"),
            ("valid_until", &valid[..10]),
        ],
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    let compare = get(&t, &format!("/rfqs/{rfq}?sort=lead_time"), &h.buyer).await;
    assert!(
        compare.text.contains("quote-table") && compare.text.contains("Nordlicht"),
        "{}",
        compare.text
    );
    let quotes = t.get(&format!("/api/v1/rfqs/{rfq}/quotes"), Some(&h.buyer)).await;
    let quote = quotes.body["items"][0]["id"].as_str().unwrap().to_owned();
    let r = post(&t, &format!("/quotes/{quote}/accept"), &h.buyer, &[("rfq_id", &rfq)]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    let contract_page = location(&r);
    assert!(contract_page.starts_with("/contracts/ctr_"), "{contract_page}");
    let page = get(&t, &contract_page, &h.buyer).await;
    assert!(
        page.text.contains("Signature valid") && page.text.contains("/orders/ord_"),
        "{}",
        page.text
    );
    let r = post(&t, &format!("/quotes/{quote}/accept"), &h.buyer, &[("rfq_id", &rfq)]).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text);
});
