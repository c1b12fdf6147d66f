//! Offers and counter-offers: a buyer and a shop haggle in turns until one accepts (a signed
//! contract and an order at the agreed price), rejects or withdraws, or the offer expires; moves
//! out of turn or after the end are 409s, the floor is never revealed, and only the two parties
//! (by the shop staff's current roles) see a negotiation.

use agora_app::Settings;
use agora_core::events::Event;
use agora_store::now_ms;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::hostile::{marketplace, seller_with_shop};
use crate::order_jobs::run_jobs;
use crate::orders::{eur, stock_of};
use crate::support::{db_test, CompanyMember, Reply, TestApp};

/// A shop selling a lamp at 10.00 EUR (10 in stock) that takes offers from 7.00 EUR, and a buyer.
pub(crate) struct Haggle {
    pub seller: String,
    pub shop: String,
    pub product: String,
    pub variant: String,
    pub buyer: String,
}

pub(crate) async fn list_lamp(t: &TestApp, seller: &str, shop: &str, sku: &str, stock: i64) -> (String, String) {
    let r = t
        .post(
            &format!("/api/v1/shops/{shop}/products"),
            Some(seller),
            json!({"title": "Brass desk lamp", "category": "audio",
                   "variants": [{"sku": sku, "price": eur(1000), "stock": stock}]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    (
        r.body["id"].as_str().unwrap().to_owned(),
        r.body["variants"][0]["id"].as_str().unwrap().to_owned(),
    )
}

pub(crate) async fn take_offers(t: &TestApp, seller: &str, product: &str, floor: Option<i64>) -> Reply {
    t.call(
        Method::PUT,
        &format!("/api/v1/products/{product}/offer-settings"),
        Some(seller),
        Some(json!({"enabled": true, "floor_price": floor.map(eur)})),
    )
    .await
}

pub(crate) async fn haggle_world(t: &TestApp) -> Haggle {
    marketplace(t).await;
    let (seller, shop) = seller_with_shop(t, "nora@example.com", "Nordlicht").await;
    let (product, variant) = list_lamp(t, &seller, &shop, "LAMP", 10).await;
    let r = take_offers(t, &seller, &product, Some(700)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let buyer = t.user("bea@example.com").await;
    Haggle {
        seller,
        shop,
        product,
        variant,
        buyer,
    }
}

pub(crate) async fn offer(t: &TestApp, buyer: &str, variant: &str, quantity: i64, cents: i64) -> Reply {
    t.post(
        "/api/v1/negotiations",
        Some(buyer),
        json!({"variant_id": variant, "quantity": quantity, "unit_price": eur(cents), "message": "Would you take this?"}),
    )
    .await
}

pub(crate) async fn act(t: &TestApp, token: &str, id: &str, verb: &str, body: Option<Value>) -> Reply {
    t.call(
        Method::POST,
        &format!("/api/v1/negotiations/{id}/{verb}"),
        Some(token),
        body,
    )
    .await
}

async fn events(t: &TestApp) -> Vec<Event> {
    let mut conn = t.app.db.conn().await.unwrap();
    agora_store::outbox::after(&mut conn, 0, 10_000)
        .await
        .unwrap()
        .iter()
        .filter_map(|e| e.decode().ok())
        .collect()
}

db_test!(
    buyer_and_seller_haggle_to_a_contract_and_an_order_at_the_agreed_price,
    |t| {
        let h = haggle_world(&t).await;
        let r = offer(&t, &h.buyer, &h.variant, 3, 800).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        let id = r.body["id"].as_str().unwrap().to_owned();
        assert_eq!(r.body["status"], "open");
        assert_eq!(r.body["turn"], "seller");
        assert_eq!(r.body["rounds"][0]["by"], "buyer");
        assert_eq!(r.body["rounds"][0]["unit_price"], eur(800));

        let r = act(
            &t,
            &h.seller,
            &id,
            "counter",
            Some(json!({"unit_price": eur(900), "message": "Meet me at 9?",
        "delivery_terms": "ships within 3 days"})),
        )
        .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        assert_eq!(r.body["turn"], "buyer");
        assert_eq!(r.body["your_side"], "seller");
        let r = act(
            &t,
            &h.buyer,
            &id,
            "counter",
            Some(json!({"unit_price": eur(850), "quantity": 4})),
        )
        .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        assert_eq!(r.body["turn"], "seller");
        assert_eq!(
            r.body["rounds"][2]["delivery_terms"], "ships within 3 days",
            "terms carry over"
        );

        let r = act(&t, &h.seller, &id, "accept", None).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        assert_eq!(r.body["negotiation"]["status"], "accepted");
        let order = &r.body["order"];
        assert_eq!(order["status"], "pending_payment");
        assert_eq!(
            order["lines"][0]["unit_price"],
            eur(850),
            "the agreed price, not the catalog's"
        );
        assert_eq!(order["lines"][0]["quantity"], 4);
        assert_eq!(order["total"], eur(3400));
        assert_eq!(stock_of(&t, &h.seller, &h.variant).await, 6, "the stock is reserved");
        let contract = r.body["contract"]["id"].as_str().unwrap().to_owned();
        let order_id = order["id"].as_str().unwrap().to_owned();
        assert_eq!(r.body["contract"]["order_id"], order_id.as_str());
        let doc = &r.body["contract"]["document"];
        assert_eq!(doc["items"][0]["unit_price"], eur(850));
        assert_eq!(doc["references"]["rounds"].as_array().unwrap().len(), 3);
        assert_eq!(doc["payment_method"], "bank_transfer");
        let acceptances = r.body["contract"]["acceptances"].as_array().unwrap();
        assert_eq!(acceptances.len(), 2, "{}", r.text);
        assert_eq!(acceptances[0]["party"], "buyer");
        assert_eq!(acceptances[1]["party"], "seller");
        assert!(acceptances
            .iter()
            .all(|a| !a["session_id"].as_str().unwrap().is_empty()));

        // Both parties see it all; the negotiation links to both.
        let n = t.get(&format!("/api/v1/negotiations/{id}"), Some(&h.buyer)).await;
        assert_eq!(n.body["rounds"].as_array().unwrap().len(), 3);
        assert_eq!(n.body["contract_id"], contract.as_str());
        assert_eq!(n.body["order_id"], order_id.as_str());
        for token in [&h.buyer, &h.seller] {
            let c = t.get(&format!("/api/v1/contracts/{contract}"), Some(token)).await;
            assert_eq!(c.status, StatusCode::OK, "{}", c.text);
            let v = t
                .get(&format!("/api/v1/contracts/{contract}/verify"), Some(token))
                .await;
            assert_eq!(v.body["valid"], true, "{}", v.text);
        }
        let o = t.get(&format!("/api/v1/orders/{order_id}"), Some(&h.buyer)).await;
        assert_eq!(o.status, StatusCode::OK, "{}", o.text);
        let mine = t.get("/api/v1/negotiations", Some(&h.buyer)).await;
        assert_eq!(mine.body["items"].as_array().unwrap().len(), 1);
        let shops = t.get("/api/v1/negotiations?role=seller", Some(&h.seller)).await;
        assert_eq!(shops.body["items"].as_array().unwrap().len(), 1);
        let none = t.get("/api/v1/negotiations?role=seller", Some(&h.buyer)).await;
        assert_eq!(none.body["items"].as_array().unwrap().len(), 0);

        // Every move is an outbox event naming both sides; the contract too.
        let (buyer_id, seller_id) = (t.account_id(&h.buyer).await, t.account_id(&h.seller).await);
        let moves: Vec<_> = events(&t)
            .await
            .into_iter()
            .filter_map(|e| match e {
                Event::NegotiationMoved {
                    negotiation_id,
                    event,
                    notify,
                    ..
                } if negotiation_id == id => Some((event, notify)),
                _ => None,
            })
            .collect();
        let names: Vec<&str> = moves.iter().map(|(e, _)| e.as_str()).collect();
        assert_eq!(names, ["opened", "countered", "countered", "accepted"]);
        assert!(moves
            .iter()
            .all(|(_, n)| n.contains(&buyer_id) && n.contains(&seller_id)));
        assert!(events(&t)
            .await
            .iter()
            .any(|e| matches!(e, Event::ContractSigned { contract_id, .. } if *contract_id == contract)));
    }
);

db_test!(moves_out_of_turn_or_after_the_end_are_409s_with_their_own_types, |t| {
    let h = haggle_world(&t).await;
    let id = offer(&t, &h.buyer, &h.variant, 1, 800).await.body["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let counter = json!({"unit_price": eur(820)});
    for (token, verb, body) in [
        (&h.buyer, "counter", Some(counter.clone())),
        (&h.buyer, "accept", None),
        (&h.buyer, "reject", None),
        (&h.seller, "withdraw", None),
    ] {
        let r = act(&t, token, &id, verb, body).await;
        assert_eq!(r.status, StatusCode::CONFLICT, "{verb}: {}", r.text);
        assert_eq!(r.problem_type(), "/problems/not-your-turn", "{verb}");
    }
    let r = act(&t, &h.buyer, &id, "withdraw", None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["status"], "withdrawn");
    for (token, verb, body) in [
        (&h.seller, "counter", Some(counter.clone())),
        (&h.seller, "accept", None),
        (&h.seller, "reject", None),
        (&h.buyer, "withdraw", None),
    ] {
        let r = act(&t, token, &id, verb, body).await;
        assert_eq!(r.status, StatusCode::CONFLICT, "{verb}: {}", r.text);
        assert_eq!(r.problem_type(), "/problems/negotiation-closed", "{verb}");
    }
    // A rejection ends one too.
    let id = offer(&t, &h.buyer, &h.variant, 1, 800).await.body["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = act(&t, &h.seller, &id, "reject", None).await;
    assert_eq!(r.body["status"], "rejected", "{}", r.text);
    let r = act(&t, &h.buyer, &id, "counter", Some(counter)).await;
    assert_eq!(r.problem_type(), "/problems/negotiation-closed");
    assert_eq!(stock_of(&t, &h.seller, &h.variant).await, 10, "nothing was ordered");
});

db_test!(an_offer_under_the_floor_is_declined_and_the_floor_never_shows, |t| {
    let h = haggle_world(&t).await;
    let r = offer(&t, &h.buyer, &h.variant, 2, 699).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert_eq!(r.body["errors"][0]["field"], "unit_price");
    for leak in ["700", "7.00", "floor"] {
        assert!(!r.text.contains(leak), "the refusal reveals {leak}: {}", r.text);
    }
    let mine = t.get("/api/v1/negotiations", Some(&h.buyer)).await;
    assert_eq!(mine.body["items"], json!([]), "nothing stored");

    // A buyer's counter under the floor is declined the same way; the seller may go lower.
    let id = offer(&t, &h.buyer, &h.variant, 2, 750).await.body["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = act(&t, &h.seller, &id, "counter", Some(json!({"unit_price": eur(690)}))).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let r = act(&t, &h.buyer, &id, "counter", Some(json!({"unit_price": eur(600)}))).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert!(!r.text.contains("700"));
    let n = t.get(&format!("/api/v1/negotiations/{id}"), Some(&h.buyer)).await;
    assert_eq!(
        n.body["rounds"].as_array().unwrap().len(),
        2,
        "the declined counter is not kept"
    );
    assert!(!n.text.contains("floor"), "{}", n.text);

    // The settings show the floor to the shop only.
    let path = format!("/api/v1/products/{}/offer-settings", h.product);
    let buyer_view = t.get(&path, Some(&h.buyer)).await;
    assert_eq!(
        buyer_view.body,
        json!({"product_id": h.product, "enabled": true}),
        "{}",
        buyer_view.text
    );
    let anonymous = t.get(&path, None).await;
    assert!(anonymous.body.get("floor_price").is_none(), "{}", anonymous.text);
    let seller_view = t.get(&path, Some(&h.seller)).await;
    assert_eq!(seller_view.body["floor_price"], eur(700));
    let r = t
        .call(Method::PUT, &path, Some(&h.buyer), Some(json!({"enabled": false})))
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "only the shop sets them: {}", r.text);
});

db_test!(bad_offers_are_refused_and_nothing_is_stored, |t| {
    let h = haggle_world(&t).await;
    let (_, plain) = list_lamp(&t, &h.seller, &h.shop, "PLAIN", 10).await;
    let cases = [
        (
            json!({"variant_id": h.variant, "quantity": 1, "unit_price": eur(0)}),
            "unit_price",
        ),
        (
            json!({"variant_id": h.variant, "quantity": 1, "unit_price": eur(-5)}),
            "unit_price",
        ),
        (
            json!({"variant_id": h.variant, "quantity": 0, "unit_price": eur(800)}),
            "quantity",
        ),
        (
            json!({"variant_id": h.variant, "quantity": 11, "unit_price": eur(800)}),
            "quantity",
        ),
        (
            json!({"variant_id": h.variant, "quantity": 1, "unit_price": {"amount": 800, "currency": "USD"}}),
            "unit_price",
        ),
        (
            json!({"variant_id": plain, "quantity": 1, "unit_price": eur(800)}),
            "variant_id",
        ),
        (
            json!({"variant_id": "var_nope", "quantity": 1, "unit_price": eur(800)}),
            "variant_id",
        ),
        (
            json!({"variant_id": h.variant, "quantity": 1, "unit_price": eur(800), "message": "x".repeat(2001)}),
            "message",
        ),
        (
            json!({"variant_id": h.variant, "quantity": 1, "unit_price": eur(800), "payment_method": "iou"}),
            "payment_method",
        ),
    ];
    for (body, field) in cases {
        let r = t.post("/api/v1/negotiations", Some(&h.buyer), body.clone()).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {}", r.text);
        assert_eq!(r.body["errors"][0]["field"], field, "{body}: {}", r.text);
    }
    let r = offer(&t, &h.seller, &h.variant, 1, 800).await;
    assert_eq!(
        r.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "no offers to one's own shop: {}",
        r.text
    );
    let r = t
        .post("/api/v1/negotiations", Some(&h.buyer), json!({"variant_id": h.variant}))
        .await;
    assert!(r.status.is_client_error(), "{}", r.text);
    let r = t
        .post(
            "/api/v1/negotiations",
            None,
            json!({"variant_id": h.variant, "quantity": 1, "unit_price": eur(800)}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    let id = offer(&t, &h.buyer, &h.variant, 1, 800).await.body["id"]
        .as_str()
        .unwrap()
        .to_owned();
    for body in [
        json!({"unit_price": eur(0)}),
        json!({"unit_price": eur(900), "quantity": 50}),
    ] {
        let r = act(&t, &h.seller, &id, "counter", Some(body.clone())).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {}", r.text);
    }
    let mine = t.get("/api/v1/negotiations", Some(&h.buyer)).await;
    assert_eq!(mine.body["items"].as_array().unwrap().len(), 1, "only the good offer");
    assert_eq!(mine.body["items"][0]["rounds"].as_array().unwrap().len(), 1);
});

db_test!(
    an_unanswered_offer_expires_through_its_job,
    settings = Settings {
        offer_ttl_ms: 60_000,
        ..Settings::default()
    },
    |t| {
        let h = haggle_world(&t).await;
        let id = offer(&t, &h.buyer, &h.variant, 1, 800).await.body["id"]
            .as_str()
            .unwrap()
            .to_owned();
        run_jobs(&t.app, now_ms()).await;
        let n = t.get(&format!("/api/v1/negotiations/{id}"), Some(&h.buyer)).await;
        assert_eq!(n.body["status"], "open", "not yet due");
        // A counter gives the next offer its own time; the first offer's job then does nothing.
        let r = act(&t, &h.seller, &id, "counter", Some(json!({"unit_price": eur(950)}))).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        run_jobs(&t.app, now_ms() + 120_000).await;
        let n = t.get(&format!("/api/v1/negotiations/{id}"), Some(&h.buyer)).await;
        assert_eq!(n.body["status"], "expired", "{}", n.text);
        let r = act(&t, &h.buyer, &id, "accept", None).await;
        assert_eq!(r.problem_type(), "/problems/negotiation-closed", "{}", r.text);
        let moved: Vec<_> = events(&t)
            .await
            .into_iter()
            .filter(|e| matches!(e, Event::NegotiationMoved { event, .. } if event == "expired"))
            .collect();
        assert_eq!(moved.len(), 1);
    }
);

db_test!(only_the_parties_see_a_negotiation_by_the_staffs_current_roles, |t| {
    let operator = t.operator().await;
    t.category(&operator, "audio", false).await;
    let CompanyMember {
        admin,
        company,
        member: sam,
        member_id: sam_id,
    } = t
        .company_with_member("ada@acme.test", "Acme Ltd", "sam@acme.test", "sales")
        .await;
    let shop = t.approved_company_shop(&operator, &sam, "Acme Audio", "Acme Ltd").await;
    let (product, variant) = list_lamp(&t, &sam, &shop, "LAMP", 10).await;
    assert_eq!(take_offers(&t, &sam, &product, None).await.status, StatusCode::OK);
    let buyer = t.user("bea@example.com").await;
    let stranger = t.user("eve@example.com").await;
    let id = offer(&t, &buyer, &variant, 1, 800).await.body["id"]
        .as_str()
        .unwrap()
        .to_owned();

    let path = format!("/api/v1/negotiations/{id}");
    assert_eq!(t.get(&path, Some(&sam)).await.status, StatusCode::OK);
    assert_eq!(t.get(&path, Some(&admin)).await.status, StatusCode::OK);
    for verb in ["counter", "accept", "reject", "withdraw"] {
        let r = act(&t, &stranger, &id, verb, Some(json!({"unit_price": eur(900)}))).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{verb}: {}", r.text);
    }
    assert_eq!(t.get(&path, Some(&stranger)).await.status, StatusCode::NOT_FOUND);

    // Sam, demoted to finance, loses the shop's negotiations; promoted back, has them again;
    // removed, loses them for good.
    let member = format!("/api/v1/companies/{company}/members/{sam_id}");
    let r = t
        .call(Method::PATCH, &member, Some(&admin), Some(json!({"role": "finance"})))
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    assert_eq!(t.get(&path, Some(&sam)).await.status, StatusCode::NOT_FOUND);
    let r = act(&t, &sam, &id, "counter", Some(json!({"unit_price": eur(900)}))).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let list = t.get("/api/v1/negotiations?role=seller", Some(&sam)).await;
    assert_eq!(list.body["items"], json!([]));
    let r = t
        .call(Method::PATCH, &member, Some(&admin), Some(json!({"role": "sales"})))
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    let r = act(&t, &sam, &id, "counter", Some(json!({"unit_price": eur(900)}))).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let r = t.call(Method::DELETE, &member, Some(&admin), None).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    assert_eq!(t.get(&path, Some(&sam)).await.status, StatusCode::NOT_FOUND);
    let r = act(&t, &sam, &id, "reject", None).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
});

db_test!(two_acceptances_at_once_make_exactly_one_contract_and_one_order, |t| {
    let h = haggle_world(&t).await;
    for round in 0..3 {
        let id = offer(&t, &h.buyer, &h.variant, 1, 800 + round).await.body["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let tries = (0..6).map(|_| {
            let (client, url, seller) = (
                t.client.clone(),
                t.url(&format!("/api/v1/negotiations/{id}/accept")),
                h.seller.clone(),
            );
            async move { crate::support::read(client.post(url).bearer_auth(seller).send().await.unwrap()).await }
        });
        let replies = futures::future::join_all(tries).await;
        let ok = replies.iter().filter(|r| r.status == StatusCode::OK).count();
        assert_eq!(
            ok,
            1,
            "{:?}",
            replies.iter().map(|r| (r.status, r.text.clone())).collect::<Vec<_>>()
        );
        for r in replies.iter().filter(|r| r.status != StatusCode::OK) {
            assert!(
                r.status == StatusCode::CONFLICT || r.status == StatusCode::SERVICE_UNAVAILABLE,
                "{}: {}",
                r.status,
                r.text
            );
        }
    }
    let orders = t.get("/api/v1/orders", Some(&h.buyer)).await;
    assert_eq!(orders.body["items"].as_array().unwrap().len(), 3, "{}", orders.text);
    assert_eq!(stock_of(&t, &h.seller, &h.variant).await, 7);
    let signed = events(&t)
        .await
        .into_iter()
        .filter(|e| matches!(e, Event::ContractSigned { .. }))
        .count();
    assert_eq!(signed, 3);
});

db_test!(
    a_retried_acceptance_with_its_key_answers_the_same_and_orders_once,
    |t| {
        let h = haggle_world(&t).await;
        let id = offer(&t, &h.buyer, &h.variant, 2, 800).await.body["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let accept = || async {
            let res = t
                .client
                .post(t.url(&format!("/api/v1/negotiations/{id}/accept")))
                .bearer_auth(&h.seller)
                .header("Idempotency-Key", "accept-once")
                .send()
                .await
                .unwrap();
            crate::support::read(res).await
        };
        let first = accept().await;
        assert_eq!(first.status, StatusCode::OK, "{}", first.text);
        let again = accept().await;
        assert_eq!(again.status, StatusCode::OK, "the first answer again: {}", again.text);
        assert_eq!(again.body["order"]["id"], first.body["order"]["id"]);
        assert_eq!(again.body["contract"]["id"], first.body["contract"]["id"]);
        let orders = t.get("/api/v1/orders", Some(&h.buyer)).await;
        assert_eq!(orders.body["items"].as_array().unwrap().len(), 1);
        assert_eq!(stock_of(&t, &h.seller, &h.variant).await, 8);
    }
);
