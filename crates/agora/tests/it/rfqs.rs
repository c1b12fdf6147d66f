//! Requests for quotation and contracts: an RFQ reaches the shops of its category (or only the
//! invited ones), sellers quote without seeing each other, the buyer compares and accepts one —
//! a signed contract and an order at the quoted price — and the others close. Contracts verify
//! through the API and offline, and one changed byte breaks them.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::companies::join;
use crate::hostile::{marketplace, seller_with_shop};
use crate::negotiations::list_lamp;
use crate::order_jobs::{mail_dir, messages, run_jobs};
use crate::orders::{eur, stock_of};
use crate::support::{db_test, Reply, TestApp};

fn in_days(days: i64) -> String {
    agora_app::rfc3339(agora_store::now_ms() + days * 24 * 60 * 60 * 1000)
}

async fn publish(t: &TestApp, buyer: &str, extra: Value) -> Reply {
    let mut body = json!({"title": "200 desk lamps", "description": "Brass, warm white, for our new office.",
        "category": "audio", "quantity": 200, "target_price": eur(900), "deadline": in_days(7)});
    for (k, v) in extra.as_object().unwrap() {
        body[k] = v.clone();
    }
    t.post("/api/v1/rfqs", Some(buyer), body).await
}

async fn quote(t: &TestApp, seller: &str, rfq: &str, variant: &str, cents: i64, lead: i64) -> Reply {
    t.post(
        &format!("/api/v1/rfqs/{rfq}/quotes"),
        Some(seller),
        json!({"variant_id": variant, "unit_price": eur(cents), "quantity": 200, "lead_time_days": lead,
               "valid_until": in_days(30), "note": "Delivered in two batches"}),
    )
    .await
}

/// Three approved audio shops, each with 500 lamps, and a buyer.
struct Market {
    sellers: Vec<(String, String, String)>,
    buyer: String,
}

async fn market(t: &TestApp) -> Market {
    marketplace(t).await;
    let mut sellers = Vec::new();
    for (email, name) in [
        ("ann@example.com", "Anns Lampen"),
        ("ben@example.com", "Bens Licht"),
        ("cat@example.com", "Cats Leuchten"),
    ] {
        let (seller, shop) = seller_with_shop(t, email, name).await;
        let (_, variant) = list_lamp(t, &seller, &shop, "LAMP", 500).await;
        sellers.push((seller, shop, variant));
    }
    Market {
        sellers,
        buyer: t.user("bea@example.com").await,
    }
}

fn ids(r: &Reply) -> Vec<String> {
    r.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap().to_owned())
        .collect()
}

db_test!(
    a_public_rfq_reaches_the_category_and_an_invite_only_one_only_the_invited,
    |t| {
        let m = market(&t).await;
        let operator = t.login("operator@agora.test").await;
        t.category(&operator, "garden", false).await;
        let gardener = t.user("gus@example.com").await;
        let garden = t.shop(&gardener, "Gus Garden", &["garden"]).await;
        t.post(
            &format!("/api/v1/admin/shops/{garden}/approve"),
            Some(&operator),
            json!({}),
        )
        .await;

        let public = publish(&t, &m.buyer, json!({})).await;
        assert_eq!(public.status, StatusCode::CREATED, "{}", public.text);
        assert_eq!(public.body["visibility"], "public");
        let public = public.body["id"].as_str().unwrap().to_owned();
        let invited = publish(&t, &m.buyer, json!({"invited_shops": [m.sellers[0].1]})).await;
        assert_eq!(invited.body["visibility"], "invited", "{}", invited.text);
        let invited = invited.body["id"].as_str().unwrap().to_owned();

        let ann = t.get("/api/v1/rfqs?role=seller", Some(&m.sellers[0].0)).await;
        assert_eq!(ids(&ann).len(), 2, "{}", ann.text);
        let ben = t.get("/api/v1/rfqs?role=seller", Some(&m.sellers[1].0)).await;
        assert_eq!(ids(&ben), vec![public.clone()]);
        let gus = t.get("/api/v1/rfqs", Some(&gardener)).await;
        assert_eq!(ids(&gus), Vec::<String>::new(), "another category: {}", gus.text);
        assert_eq!(
            t.get(&format!("/api/v1/rfqs/{invited}"), Some(&m.sellers[1].0))
                .await
                .status,
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            t.get(&format!("/api/v1/rfqs/{public}"), Some(&gardener)).await.status,
            StatusCode::NOT_FOUND
        );
        let r = quote(&t, &m.sellers[1].0, &invited, &m.sellers[1].2, 850, 10).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "not invited: {}", r.text);
        let mine = t.get("/api/v1/rfqs?role=buyer", Some(&m.buyer)).await;
        assert_eq!(ids(&mine).len(), 2);
        assert_eq!(mine.body["items"][0]["target_price"], eur(900));
    }
);

db_test!(sellers_never_see_each_others_quotes_nor_a_hidden_target, |t| {
    let m = market(&t).await;
    let rfq = publish(&t, &m.buyer, json!({"hide_target_price": true})).await;
    let rfq = rfq.body["id"].as_str().unwrap().to_owned();
    let seen = t.get(&format!("/api/v1/rfqs/{rfq}"), Some(&m.sellers[0].0)).await;
    assert_eq!(seen.status, StatusCode::OK, "{}", seen.text);
    assert!(seen.body.get("target_price").is_none(), "{}", seen.text);
    // The amount as it would appear; a bare "900" can occur by chance inside a random id.
    assert!(!seen.text.contains("\"amount\":900"), "{}", seen.text);
    let listed = t.get("/api/v1/rfqs?role=seller", Some(&m.sellers[0].0)).await;
    assert!(!listed.text.contains("\"target_price\""), "{}", listed.text);
    let own = t.get(&format!("/api/v1/rfqs/{rfq}"), Some(&m.buyer)).await;
    assert_eq!(own.body["target_price"], eur(900));

    let prices = [(950, 20), (880, 30), (910, 5)];
    for ((seller, _, variant), (cents, lead)) in m.sellers.iter().zip(prices) {
        let r = quote(&t, seller, &rfq, variant, cents, lead).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        assert_eq!(r.body["status"], "submitted");
    }
    for (i, (seller, shop, _)) in m.sellers.iter().enumerate() {
        let r = t.get(&format!("/api/v1/rfqs/{rfq}/quotes"), Some(seller)).await;
        let items = r.body["items"].as_array().unwrap();
        assert_eq!(items.len(), 1, "{}", r.text);
        assert_eq!(items[0]["shop"]["id"], shop.as_str());
        assert_eq!(items[0]["unit_price"], eur(prices[i].0));
    }
    let shops_in = |r: &Reply| -> Vec<i64> {
        r.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|q| q["unit_price"]["amount"].as_i64().unwrap())
            .collect()
    };
    let by_price = t.get(&format!("/api/v1/rfqs/{rfq}/quotes"), Some(&m.buyer)).await;
    assert_eq!(shops_in(&by_price), vec![880, 910, 950], "{}", by_price.text);
    assert_eq!(by_price.body["items"][0]["landed_total"], eur(880 * 200));
    let by_lead = t
        .get(&format!("/api/v1/rfqs/{rfq}/quotes?sort=lead_time"), Some(&m.buyer))
        .await;
    assert_eq!(shops_in(&by_lead), vec![910, 950, 880]);
    let by_rating = t
        .get(&format!("/api/v1/rfqs/{rfq}/quotes?sort=rating"), Some(&m.buyer))
        .await;
    assert_eq!(
        by_rating.status,
        StatusCode::OK,
        "unrated sellers sort last, by price: {}",
        by_rating.text
    );
    assert_eq!(shops_in(&by_rating), vec![880, 910, 950]);
    let bad = t
        .get(&format!("/api/v1/rfqs/{rfq}/quotes?sort=mood"), Some(&m.buyer))
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    let stranger = t.user("eve@example.com").await;
    assert_eq!(
        t.get(&format!("/api/v1/rfqs/{rfq}/quotes"), Some(&stranger))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
});

db_test!(quotes_are_revised_until_the_deadline_and_refused_after_it, |t| {
    let m = market(&t).await;
    let rfq = publish(&t, &m.buyer, json!({})).await.body["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (seller, _, variant) = &m.sellers[0];
    let first = quote(&t, seller, &rfq, variant, 950, 10).await;
    let again = quote(&t, seller, &rfq, variant, 920, 8).await;
    assert_eq!(again.status, StatusCode::CREATED, "{}", again.text);
    assert_eq!(again.body["id"], first.body["id"], "the same quote, revised");
    assert_eq!(again.body["revision"], 2);
    assert_eq!(again.body["unit_price"], eur(920));

    // Bad quotes: nothing stored.
    for (body, field) in [
        (
            json!({"variant_id": variant, "unit_price": eur(0), "quantity": 10, "lead_time_days": 5, "valid_until": in_days(3)}),
            "unit_price",
        ),
        (
            json!({"variant_id": variant, "unit_price": eur(900), "quantity": 201, "lead_time_days": 5, "valid_until": in_days(3)}),
            "quantity",
        ),
        (
            json!({"variant_id": variant, "unit_price": eur(900), "quantity": 0, "lead_time_days": 5, "valid_until": in_days(3)}),
            "quantity",
        ),
        (
            json!({"variant_id": variant, "unit_price": eur(900), "quantity": 10, "lead_time_days": -1, "valid_until": in_days(3)}),
            "lead_time_days",
        ),
        (
            json!({"variant_id": variant, "unit_price": eur(900), "quantity": 10, "lead_time_days": 5, "valid_until": in_days(-1)}),
            "valid_until",
        ),
        (
            json!({"variant_id": variant, "unit_price": eur(900), "quantity": 10, "lead_time_days": 5, "valid_until": "soon"}),
            "valid_until",
        ),
        (
            json!({"variant_id": m.sellers[1].2, "unit_price": eur(900), "quantity": 10, "lead_time_days": 5, "valid_until": in_days(3)}),
            "variant_id",
        ),
    ] {
        let r = t
            .post(&format!("/api/v1/rfqs/{rfq}/quotes"), Some(seller), body.clone())
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {}", r.text);
        assert_eq!(r.body["errors"][0]["field"], field, "{}", r.text);
    }
    let r = t.get(&format!("/api/v1/rfqs/{rfq}/quotes"), Some(&m.buyer)).await;
    assert_eq!(r.body["items"][0]["unit_price"], eur(920), "{}", r.text);

    // Bad RFQs.
    for (extra, field) in [
        (json!({"deadline": in_days(-1)}), "deadline"),
        (json!({"deadline": "tomorrow"}), "deadline"),
        (json!({"quantity": 0}), "quantity"),
        (json!({"target_price": eur(0)}), "target_price"),
        (json!({"category": "nothing-here"}), "category"),
        (json!({"title": ""}), "title"),
        (json!({"invited_shops": ["shop_nope"]}), "invited_shops[0]"),
    ] {
        let r = publish(&t, &m.buyer, extra.clone()).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{extra}: {}", r.text);
        assert_eq!(r.body["errors"][0]["field"], field, "{}", r.text);
    }

    // The deadline passes: no new quote, no revision.
    t.sql(&format!("UPDATE rfqs SET deadline = 1000 WHERE id = '{rfq}'"))
        .await;
    for (seller, _, variant) in &m.sellers[..2] {
        let r = quote(&t, seller, &rfq, variant, 800, 5).await;
        assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text);
        assert_eq!(r.problem_type(), "/problems/deadline-passed");
    }
    let r = t.get("/api/v1/rfqs?role=seller", Some(&m.sellers[1].0)).await;
    assert_eq!(ids(&r), Vec::<String>::new(), "a closed RFQ leaves the marketplace");
});

db_test!(
    accepting_a_quote_makes_a_contract_and_an_order_and_closes_the_others,
    |t| {
        let m = market(&t).await;
        let rfq = publish(&t, &m.buyer, json!({"payment_method": "card"})).await.body["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let mut quotes = Vec::new();
        for ((seller, _, variant), cents) in m.sellers.iter().zip([950, 880, 910]) {
            quotes.push(
                quote(&t, seller, &rfq, variant, cents, 10).await.body["id"]
                    .as_str()
                    .unwrap()
                    .to_owned(),
            );
        }
        let r = t
            .post(
                &format!("/api/v1/quotes/{}/accept", quotes[1]),
                Some(&m.sellers[1].0),
                json!({}),
            )
            .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "only the buyer accepts: {}", r.text);

        let r = t
            .post(
                &format!("/api/v1/quotes/{}/accept", quotes[1]),
                Some(&m.buyer),
                json!({}),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        let order = &r.body["order"];
        assert_eq!(order["status"], "pending_payment");
        assert_eq!(order["payment_method"], "card");
        assert_eq!(
            order["lines"][0]["unit_price"],
            eur(880),
            "the quoted price, not the catalog's 10.00"
        );
        assert_eq!(order["lines"][0]["quantity"], 200);
        assert_eq!(order["total"], eur(880 * 200));
        assert_eq!(order["shop"]["id"], m.sellers[1].1.as_str());
        assert_eq!(stock_of(&t, &m.sellers[1].0, &m.sellers[1].2).await, 300);
        // The agreed order is paid like any other: its card payment goes through the gateway
        // into escrow.
        let order_id = order["id"].as_str().unwrap().to_owned();
        let payment = agora_app::payments::for_group(&t.app, order["group_id"].as_str().unwrap())
            .await
            .unwrap()
            .expect("the contract's order has a payment");
        assert_eq!(payment.summary.status.as_str(), "pending");
        let page = crate::gateway::hosted_page(&t, &m.buyer, &payment.summary.id).await;
        crate::gateway::approve(&t, &page).await;
        crate::gateway::run_jobs(&t.app).await;
        assert_eq!(crate::payments::status_of(&t, &m.buyer, &order_id).await, "paid");
        let contract = &r.body["contract"];
        assert_eq!(contract["document"]["references"]["quote_id"], quotes[1].as_str());
        assert_eq!(contract["document"]["seller"]["shop_id"], m.sellers[1].1.as_str());
        assert_eq!(contract["document"]["delivery"]["lead_time_days"], 10);
        assert_eq!(contract["acceptances"].as_array().unwrap().len(), 2);

        let all = t.get(&format!("/api/v1/rfqs/{rfq}/quotes"), Some(&m.buyer)).await;
        let statuses: Vec<(String, String)> = all.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|q| {
                (
                    q["id"].as_str().unwrap().to_owned(),
                    q["status"].as_str().unwrap().to_owned(),
                )
            })
            .collect();
        for (id, status) in &statuses {
            let expected = if *id == quotes[1] { "accepted" } else { "rejected" };
            assert_eq!(status, expected, "{}", all.text);
        }
        let r = t.get(&format!("/api/v1/rfqs/{rfq}"), Some(&m.buyer)).await;
        assert_eq!(r.body["status"], "awarded");
        let r = t
            .post(
                &format!("/api/v1/quotes/{}/accept", quotes[0]),
                Some(&m.buyer),
                json!({}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text);
        assert_eq!(r.problem_type(), "/problems/quote-closed");

        // The losing shops are told by email.
        run_jobs(&t.app, agora_store::now_ms()).await;
        let mail = messages(&mail_dir(&t.app));
        for email in ["ann@example.com", "cat@example.com"] {
            assert!(
                mail.iter().any(|m| m.contains(email) && m.contains("was not chosen")),
                "{email} is told: {mail:?}"
            );
        }
        assert!(!mail
            .iter()
            .any(|m| m.contains("ben@example.com") && m.contains("was not chosen")));
    }
);

db_test!(
    a_purchasers_acceptance_above_the_company_limit_waits_for_an_admin,
    |t| {
        let m = market(&t).await;
        let (admin, company) = t.company_admin("ada@acme.test", "Acme Ltd").await;
        let pat = t.user("pat@acme.test").await;
        join(&t, &admin, &company, "pat@acme.test", "purchaser", &pat).await;
        let r = t
            .call(
                reqwest::Method::PUT,
                &format!("/api/v1/companies/{company}/approval-limit"),
                Some(&admin),
                Some(json!({"amount": eur(100_000)})),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        let small = publish(&t, &pat, json!({"quantity": 100})).await.body["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let big = publish(&t, &pat, json!({"quantity": 200})).await.body["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let (seller, _, variant) = &m.sellers[0];
        let q = t
        .post(&format!("/api/v1/rfqs/{small}/quotes"), Some(seller),
            json!({"variant_id": variant, "unit_price": eur(900), "quantity": 100, "lead_time_days": 3, "valid_until": in_days(5)}))
        .await;
        let q_small = q.body["id"].as_str().unwrap().to_owned();
        let q_big = quote(&t, seller, &big, variant, 900, 3).await.body["id"]
            .as_str()
            .unwrap()
            .to_owned();

        let r = t
            .post(&format!("/api/v1/quotes/{q_small}/accept"), Some(&pat), json!({}))
            .await;
        assert_eq!(
            r.body["order"]["status"], "pending_payment",
            "90,000 is within the limit: {}",
            r.text
        );
        let r = t
            .post(&format!("/api/v1/quotes/{q_big}/accept"), Some(&pat), json!({}))
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        assert_eq!(r.body["order"]["status"], "awaiting_approval", "180,000 is above it");
        let order = r.body["order"]["id"].as_str().unwrap().to_owned();
        let r = t
            .post(&format!("/api/v1/orders/{order}/approve"), Some(&pat), json!({}))
            .await;
        assert!(
            r.status == StatusCode::FORBIDDEN || r.status == StatusCode::NOT_FOUND,
            "{}",
            r.text
        );
        let r = t
            .post(&format!("/api/v1/orders/{order}/approve"), Some(&admin), json!({}))
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        assert_eq!(r.body["status"], "pending_payment");
    }
);

db_test!(
    a_contract_verifies_online_and_offline_and_one_changed_byte_breaks_it,
    |t| {
        let h = crate::negotiations::haggle_world(&t).await;
        let id = crate::negotiations::offer(&t, &h.buyer, &h.variant, 3, 850).await.body["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let r = crate::negotiations::act(&t, &h.seller, &id, "accept", None).await;
        let contract = r.body["contract"]["id"].as_str().unwrap().to_owned();
        let key = t.get("/api/v1/platform-key", None).await;
        assert_eq!(key.status, StatusCode::OK);
        assert_eq!(key.body["algorithm"], "ed25519");
        let public_key = key.body["public_key"].as_str().unwrap().to_owned();
        assert_eq!(r.body["contract"]["platform_public_key"], public_key.as_str());
        let again = t.get("/api/v1/platform-key", None).await;
        assert_eq!(again.body["public_key"], public_key.as_str(), "one key, kept");

        let download = t
            .get(&format!("/api/v1/contracts/{contract}/download"), Some(&h.buyer))
            .await;
        assert_eq!(download.status, StatusCode::OK, "{}", download.text);
        assert!(download.headers["content-disposition"]
            .to_str()
            .unwrap()
            .contains("attachment"));
        let dir = tempfile::tempdir().unwrap();
        let good = dir.path().join("contract.json");
        std::fs::write(&good, &download.text).unwrap();
        let verify = |file: &std::path::Path, key: Option<&str>| {
            let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_agora"));
            cmd.arg("contract").arg("verify").arg(file);
            if let Some(k) = key {
                cmd.arg("--public-key").arg(k);
            }
            cmd.output().unwrap()
        };
        let out = verify(&good, Some(&public_key));
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stdout));
        // One byte: the unit price 850 becomes 851 (its amount, not some id or hash that happens
        // to contain "850").
        let price = ["\"amount\":850", "\"amount\": 850"]
            .into_iter()
            .find(|p| download.text.contains(p))
            .expect("the unit price in the document");
        let tampered = download.text.replacen(price, &price.replace("850", "851"), 1);
        assert_eq!(tampered.len(), download.text.len());
        assert_ne!(tampered, download.text);
        let bad = dir.path().join("tampered.json");
        std::fs::write(&bad, &tampered).unwrap();
        let out = verify(&bad, None);
        assert_eq!(out.status.code(), Some(2), "{}", String::from_utf8_lossy(&out.stdout));
        assert!(String::from_utf8_lossy(&out.stdout).contains("INVALID"));
        let out = verify(&good, Some(&"ab".repeat(32)));
        assert_eq!(out.status.code(), Some(2), "another key is refused");
        let help = std::process::Command::new(env!("CARGO_BIN_EXE_agora"))
            .args(["contract", "verify", "--help"])
            .output()
            .unwrap();
        assert!(help.status.success());
        assert!(String::from_utf8_lossy(&help.stdout).contains("offline"));

        // The stored row edited: the API's check fails too.
        let v = t
            .get(&format!("/api/v1/contracts/{contract}/verify"), Some(&h.seller))
            .await;
        assert_eq!(v.body["valid"], true, "{}", v.text);
        t.sql(&format!(
        "UPDATE contracts SET document = replace(document, '\"amount\":850', '\"amount\":851') WHERE id = '{contract}'"
    ))
        .await;
        let v = t
            .get(&format!("/api/v1/contracts/{contract}/verify"), Some(&h.seller))
            .await;
        assert_eq!(v.body["valid"], false, "{}", v.text);
        let stranger = t.user("eve@example.com").await;
        assert_eq!(
            t.get(&format!("/api/v1/contracts/{contract}"), Some(&stranger))
                .await
                .status,
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            t.get(&format!("/api/v1/contracts/{contract}/verify"), Some(&stranger))
                .await
                .status,
            StatusCode::NOT_FOUND
        );
    }
);
