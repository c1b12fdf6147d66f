//! The RFQ moves besides quoting and accepting: questions about a quote in a conversation between
//! the RFQ's buyer side and the quoting shop, a shop withdrawing its quote, quotes expiring, and
//! the buyer cancelling an open RFQ. Rights follow current roles on both sides: another account,
//! a demoted member and a removed member get nothing.

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::companies::join;
use crate::hostile::{marketplace, seller_with_shop};
use crate::negotiations::list_lamp;
use crate::order_jobs::{jobs_in, mail_dir, messages, run_jobs};
use crate::orders::eur;
use crate::support::{db_test, Reply, TestApp};

const DAY_MS: i64 = 24 * 60 * 60 * 1000;

fn in_days(days: i64) -> String {
    agora_app::rfc3339(agora_store::now_ms() + days * DAY_MS)
}

fn id_of(r: &Reply) -> String {
    r.body["id"]
        .as_str()
        .unwrap_or_else(|| panic!("an id in {}", r.text))
        .to_owned()
}

async fn set_role(t: &TestApp, admin: &str, company: &str, token: &str, role: &str) {
    let account = t.account_id(token).await;
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

async fn remove(t: &TestApp, admin: &str, company: &str, token: &str) {
    let account = t.account_id(token).await;
    let r = t
        .call(
            Method::DELETE,
            &format!("/api/v1/companies/{company}/members/{account}"),
            Some(admin),
            None,
        )
        .await;
    assert!(r.status.is_success(), "{}", r.text);
}

async fn quote(t: &TestApp, seller: &str, rfq: &str, variant: &str, cents: i64) -> Reply {
    t.post(
        &format!("/api/v1/rfqs/{rfq}/quotes"),
        Some(seller),
        json!({"variant_id": variant, "unit_price": eur(cents), "quantity": 100, "lead_time_days": 10,
               "valid_until": in_days(30)}),
    )
    .await
}

/// Acme buys (admin `ada`, purchasers `pia` and `pete`); Lux sells through a company shop
/// (admin `lea`, sales members `sid` and `sue`); Ben sells alone; Cat sells in the category but
/// does not quote. Pia's RFQ has quotes from Lux (by Sid) and Ben.
struct Deal {
    acme: String,
    ada: String,
    pia: String,
    pete: String,
    lux: String,
    lea: String,
    sid: String,
    sue: String,
    lux_shop: String,
    ben: String,
    ben_shop: String,
    ben_variant: String,
    cat_shop: String,
    stranger: String,
    rfq: String,
    lux_quote: String,
    ben_quote: String,
}

async fn deal(t: &TestApp) -> Deal {
    marketplace(t).await;
    let (ada, acme) = t.company_admin("ada@acme.test", "Acme Ltd").await;
    let pia = t.user("pia@acme.test").await;
    join(t, &ada, &acme, "pia@acme.test", "purchaser", &pia).await;
    let pete = t.user("pete@acme.test").await;
    join(t, &ada, &acme, "pete@acme.test", "purchaser", &pete).await;

    let (lea, lux) = t.company_admin("lea@lux.test", "Lux GmbH").await;
    let sid = t.user("sid@lux.test").await;
    join(t, &lea, &lux, "sid@lux.test", "sales", &sid).await;
    let sue = t.user("sue@lux.test").await;
    join(t, &lea, &lux, "sue@lux.test", "sales", &sue).await;
    let lux_shop = t.company_shop(&lea, "Lux Leuchten", "Lux GmbH").await;
    let operator = t.login("operator@agora.test").await;
    t.approve_shop(&operator, &lux_shop).await;
    let (_, lux_variant) = list_lamp(t, &lea, &lux_shop, "LUX", 500).await;

    let (ben, ben_shop) = seller_with_shop(t, "ben@example.com", "Bens Licht").await;
    let (_, ben_variant) = list_lamp(t, &ben, &ben_shop, "BEN", 500).await;
    let (_, cat_shop) = seller_with_shop(t, "cat@example.com", "Cats Leuchten").await;
    let stranger = t.user("stranger@example.com").await;

    let r = t
        .post(
            "/api/v1/rfqs",
            Some(&pia),
            json!({"title": "100 desk lamps", "category": "audio", "quantity": 100, "deadline": in_days(7)}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let rfq = id_of(&r);
    let r = quote(t, &sid, &rfq, &lux_variant, 900).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let lux_quote = id_of(&r);
    let r = quote(t, &ben, &rfq, &ben_variant, 950).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let ben_quote = id_of(&r);
    Deal {
        acme,
        ada,
        pia,
        pete,
        lux,
        lea,
        sid,
        sue,
        lux_shop,
        ben,
        ben_shop,
        ben_variant,
        cat_shop,
        stranger,
        rfq,
        lux_quote,
        ben_quote,
    }
}

async fn ask(t: &TestApp, token: &str, quote: &str) -> Reply {
    t.post(&format!("/api/v1/quotes/{quote}/conversation"), Some(token), json!({}))
        .await
}

async fn quote_status(t: &TestApp, buyer: &str, rfq: &str, quote: &str) -> Value {
    let r = t.get(&format!("/api/v1/rfqs/{rfq}/quotes"), Some(buyer)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    r.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|q| q["id"] == quote)
        .map(|q| q["status"].clone())
        .unwrap_or(Value::Null)
}

db_test!(questions_about_a_quote_reach_only_its_buyer_side_and_its_shop, |t| {
    let d = deal(&t).await;
    let opened = ask(&t, &d.pia, &d.lux_quote).await;
    assert_eq!(opened.status, StatusCode::CREATED, "{}", opened.text);
    let conversation = id_of(&opened);
    assert_eq!(opened.body["rfq_id"], d.rfq.as_str(), "{}", opened.text);
    assert_eq!(opened.body["shop"]["id"], d.lux_shop.as_str());
    assert!(opened.body["subject"].as_str().unwrap().contains("100 desk lamps"));
    for (who, token) in [
        ("pia again", &d.pia),
        ("the shop's sales member", &d.sid),
        ("the buyer's admin", &d.ada),
    ] {
        let r = ask(&t, token, &d.lux_quote).await;
        assert_eq!(r.status, StatusCode::OK, "{who}: {}", r.text);
        assert_eq!(id_of(&r), conversation, "{who} finds the same conversation");
    }
    // Either side opening first gives one conversation per quote.
    let by_seller = ask(&t, &d.ben, &d.ben_quote).await;
    assert_eq!(by_seller.status, StatusCode::CREATED, "{}", by_seller.text);
    let ben_conversation = id_of(&by_seller);
    assert_ne!(ben_conversation, conversation);
    assert_eq!(id_of(&ask(&t, &d.pia, &d.ben_quote).await), ben_conversation);

    let r = t
        .post(
            &format!("/api/v1/conversations/{conversation}/messages"),
            Some(&d.pia),
            json!({"body": "Can you deliver in two batches?"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let seen = t
        .get(&format!("/api/v1/conversations/{conversation}/messages"), Some(&d.sid))
        .await;
    assert!(seen.text.contains("two batches"), "{}", seen.text);

    // Nobody else: another shop, a stranger, a missing quote.
    for (who, token, q) in [
        ("another quoting shop", &d.ben, &d.lux_quote),
        ("a stranger", &d.stranger, &d.lux_quote),
        ("the shop's admin on another shop's quote", &d.lea, &d.ben_quote),
    ] {
        let r = ask(&t, token, q).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{who}: {}", r.text);
    }
    assert_eq!(ask(&t, &d.pia, "quo_missing").await.status, StatusCode::NOT_FOUND);

    // The generic opening checks the RFQ too: it must exist, be the asker's, and the shop must
    // have quoted on it or been invited to it.
    let open = |token: &str, shop: &str, rfq: &str| {
        let body = json!({"shop_id": shop, "subject": "About your quote", "rfq_id": rfq});
        let token = token.to_owned();
        let t = &t;
        async move { t.post("/api/v1/conversations", Some(&token), body).await }
    };
    assert_eq!(open(&d.pia, &d.ben_shop, &d.rfq).await.status, StatusCode::CREATED);
    for (who, token, shop, rfq) in [
        ("a stranger", &d.stranger, &d.ben_shop, &d.rfq),
        ("a shop that did not quote", &d.pia, &d.cat_shop, &d.rfq),
        (
            "an RFQ that does not exist",
            &d.pia,
            &d.ben_shop,
            &"rfq_missing".to_owned(),
        ),
    ] {
        let r = open(token, shop, rfq).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{who}: {}", r.text);
    }

    // Rights follow the current role, on both sides.
    set_role(&t, &d.lea, &d.lux, &d.sid, "finance").await;
    remove(&t, &d.lea, &d.lux, &d.sue).await;
    set_role(&t, &d.ada, &d.acme, &d.pia, "finance").await;
    remove(&t, &d.ada, &d.acme, &d.pete).await;
    for (who, token) in [
        ("a demoted sales member", &d.sid),
        ("a removed sales member", &d.sue),
        ("a demoted purchaser (the RFQ's own buyer)", &d.pia),
        ("a removed purchaser", &d.pete),
    ] {
        let r = ask(&t, token, &d.lux_quote).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{who}: {}", r.text);
    }
    let r = t
        .get(&format!("/api/v1/conversations/{conversation}"), Some(&d.pia))
        .await;
    assert_eq!(
        r.status,
        StatusCode::NOT_FOUND,
        "the demoted buyer left the conversation too"
    );
});

db_test!(a_shop_withdraws_its_quote_and_nobody_else_can, |t| {
    let d = deal(&t).await;
    let withdraw = |token: &str, q: &str| {
        let path = format!("/api/v1/quotes/{q}/withdraw");
        let token = token.to_owned();
        let t = &t;
        async move { t.post(&path, Some(&token), json!({})).await }
    };
    let sue = d.sue.clone();
    remove(&t, &d.lea, &d.lux, &sue).await;
    for (who, token) in [
        ("another quoting shop", &d.ben),
        ("the buyer", &d.pia),
        ("a stranger", &d.stranger),
        ("a removed sales member", &d.sue),
    ] {
        let r = withdraw(token, &d.lux_quote).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{who}: {}", r.text);
    }
    set_role(&t, &d.lea, &d.lux, &d.sid, "finance").await;
    let r = withdraw(&d.sid, &d.lux_quote).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "a demoted sales member: {}", r.text);
    assert_eq!(quote_status(&t, &d.pia, &d.rfq, &d.lux_quote).await, "submitted");
    set_role(&t, &d.lea, &d.lux, &d.sid, "sales").await;

    let r = withdraw(&d.sid, &d.lux_quote).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["status"], "withdrawn");
    assert_eq!(quote_status(&t, &d.pia, &d.rfq, &d.lux_quote).await, "withdrawn");

    // A withdrawn quote takes no move any more.
    let again = withdraw(&d.sid, &d.lux_quote).await;
    assert_eq!(again.status, StatusCode::CONFLICT, "{}", again.text);
    assert_eq!(again.problem_type(), "/problems/quote-closed");
    let accept = t
        .post(
            &format!("/api/v1/quotes/{}/accept", d.lux_quote),
            Some(&d.pia),
            json!({}),
        )
        .await;
    assert_eq!(accept.status, StatusCode::CONFLICT, "{}", accept.text);
    assert_eq!(accept.problem_type(), "/problems/quote-closed");
    let mut conn = t.app.db.conn().await.unwrap();
    let lux_variant = agora_store::rfqs::quote_by_id(&mut conn, &d.lux_quote)
        .await
        .unwrap()
        .unwrap()
        .variant_id
        .unwrap();
    drop(conn);
    let revise = quote(&t, &d.sid, &d.rfq, &lux_variant, 800).await;
    assert_eq!(revise.status, StatusCode::CONFLICT, "{}", revise.text);
    assert_eq!(revise.problem_type(), "/problems/quote-closed");
    // Ben's quote is untouched and can still win.
    assert_eq!(quote_status(&t, &d.pia, &d.rfq, &d.ben_quote).await, "submitted");
});

db_test!(the_buyer_cancels_an_open_rfq_and_the_quoting_shops_are_told, |t| {
    let d = deal(&t).await;
    let cancel = |token: &str, rfq: &str| {
        let path = format!("/api/v1/rfqs/{rfq}/cancel");
        let token = token.to_owned();
        let t = &t;
        async move { t.post(&path, Some(&token), json!({})).await }
    };
    for (who, token) in [
        ("a quoting shop", &d.ben),
        ("a stranger", &d.stranger),
        ("another purchaser of the company", &d.pete),
    ] {
        let r = cancel(token, &d.rfq).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{who}: {}", r.text);
    }
    set_role(&t, &d.ada, &d.acme, &d.pia, "finance").await;
    let r = cancel(&d.pia, &d.rfq).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "a demoted buyer: {}", r.text);
    // Pete publishes his own RFQ, then leaves the company.
    let r = t
        .post(
            "/api/v1/rfqs",
            Some(&d.pete),
            json!({"title": "Cables", "category": "audio", "quantity": 5, "deadline": in_days(3)}),
        )
        .await;
    let petes = id_of(&r);
    remove(&t, &d.ada, &d.acme, &d.pete).await;
    let r = cancel(&d.pete, &petes).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "a removed buyer: {}", r.text);
    set_role(&t, &d.ada, &d.acme, &d.pia, "purchaser").await;
    assert_eq!(quote_status(&t, &d.pia, &d.rfq, &d.ben_quote).await, "submitted");

    let r = cancel(&d.pia, &d.rfq).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["status"], "cancelled");
    assert_eq!(quote_status(&t, &d.pia, &d.rfq, &d.ben_quote).await, "rejected");
    assert_eq!(quote_status(&t, &d.pia, &d.rfq, &d.lux_quote).await, "rejected");

    // The quoting shops' staff are told by email.
    run_jobs(&t.app, agora_store::now_ms()).await;
    let mail = messages(&mail_dir(&t.app));
    let told: Vec<&String> = mail.iter().filter(|m| m.contains("was cancelled")).collect();
    assert!(told.iter().any(|m| m.contains("ben@example.com")), "{mail:?}");
    assert!(told.iter().any(|m| m.contains("sid@lux.test")), "{mail:?}");
    assert!(!told.iter().any(|m| m.contains("cat@example.com")), "{mail:?}");

    // A closed RFQ takes no more moves.
    let again = cancel(&d.pia, &d.rfq).await;
    assert_eq!(again.status, StatusCode::CONFLICT, "{}", again.text);
    assert_eq!(again.problem_type(), "/problems/rfq-closed");
    let late = quote(&t, &d.ben, &d.rfq, &d.ben_variant, 700).await;
    assert_eq!(late.status, StatusCode::CONFLICT, "{}", late.text);
    assert_eq!(late.problem_type(), "/problems/rfq-closed");
    let accept = t
        .post(
            &format!("/api/v1/quotes/{}/accept", d.ben_quote),
            Some(&d.pia),
            json!({}),
        )
        .await;
    assert_eq!(accept.status, StatusCode::CONFLICT, "{}", accept.text);
    assert_eq!(accept.problem_type(), "/problems/quote-closed");
    // Questions are still possible afterwards.
    assert_eq!(ask(&t, &d.pia, &d.ben_quote).await.status, StatusCode::CREATED);
    let _ = (&d.ada, &d.lea, &d.cat_shop);
});

db_test!(a_quote_expires_when_its_validity_runs_out, |t| {
    let d = deal(&t).await;
    let queued = jobs_in(&t.app, "queued", "expire_quote").await;
    assert_eq!(queued.len(), 2, "one expiry per quote");
    // Nothing happens before the validity ends.
    run_jobs(&t.app, agora_store::now_ms()).await;
    assert_eq!(quote_status(&t, &d.pia, &d.rfq, &d.ben_quote).await, "submitted");

    // Ben's validity ends: his job, run when due, expires it; Lux's stays valid.
    let past = agora_store::now_ms() - 1000;
    t.sql(&format!(
        "UPDATE quotes SET valid_until = {past} WHERE id = '{}'",
        d.ben_quote
    ))
    .await;
    t.sql(&format!(
        "UPDATE jobs SET run_at = {past} WHERE kind = 'expire_quote' AND payload LIKE '%{}%'",
        d.ben_quote
    ))
    .await;
    run_jobs(&t.app, agora_store::now_ms()).await;
    assert_eq!(quote_status(&t, &d.pia, &d.rfq, &d.ben_quote).await, "expired");
    assert_eq!(quote_status(&t, &d.pia, &d.rfq, &d.lux_quote).await, "submitted");
    let accept = t
        .post(
            &format!("/api/v1/quotes/{}/accept", d.ben_quote),
            Some(&d.pia),
            json!({}),
        )
        .await;
    assert_eq!(accept.status, StatusCode::CONFLICT, "{}", accept.text);
    assert_eq!(accept.problem_type(), "/problems/quote-closed");
    let withdraw = t
        .post(
            &format!("/api/v1/quotes/{}/withdraw", d.ben_quote),
            Some(&d.ben),
            json!({}),
        )
        .await;
    assert_eq!(withdraw.status, StatusCode::CONFLICT, "{}", withdraw.text);

    // A revised quote has a new validity: the first revision's job leaves it alone.
    let revised = quote(&t, &d.sid, &d.rfq, &lux_variant(&t, &d.lux_quote).await, 850).await;
    assert_eq!(revised.status, StatusCode::CREATED, "{}", revised.text);
    assert_eq!(revised.body["revision"], 2);
    let first = agora_app::deals::quote_moves::expire(&t.app, &d.lux_quote, 1)
        .await
        .unwrap();
    assert!(!first, "the old revision's expiry does nothing");
    assert_eq!(quote_status(&t, &d.pia, &d.rfq, &d.lux_quote).await, "submitted");
});

async fn lux_variant(t: &TestApp, quote: &str) -> String {
    let mut conn = t.app.db.conn().await.unwrap();
    agora_store::rfqs::quote_by_id(&mut conn, quote)
        .await
        .unwrap()
        .unwrap()
        .variant_id
        .unwrap()
}

db_test!(the_rfq_pages_ask_withdraw_and_cancel_with_friendly_refusals, |t| {
    use crate::page_session::{get, post};
    let d = deal(&t).await;
    let rfq_field = [("rfq_id", d.rfq.as_str())];

    // Either side's "Ask a question" leads to the one conversation about the quote.
    let r = post(&t, &format!("/quotes/{}/conversation", d.ben_quote), &d.pia, &rfq_field).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    let to = r.headers["location"].to_str().unwrap().to_owned();
    assert!(to.starts_with("/messages/cnv_"), "{to}");
    let r = post(&t, &format!("/quotes/{}/conversation", d.ben_quote), &d.ben, &rfq_field).await;
    assert_eq!(r.headers["location"].to_str().unwrap(), to);
    let r = post(
        &t,
        &format!("/quotes/{}/conversation", d.ben_quote),
        &d.stranger,
        &rfq_field,
    )
    .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.text);

    // The comparison offers the buttons to the buyer, the quote page to the seller.
    let buyer_page = get(&t, &format!("/rfqs/{}", d.rfq), &d.pia).await;
    assert!(buyer_page.text.contains("Ask a question") && buyer_page.text.contains("Cancel request"));
    let seller_page = get(&t, &format!("/rfqs/{}", d.rfq), &d.ben).await;
    assert!(seller_page.text.contains("Withdraw quote") && seller_page.text.contains("Ask a question"));

    let r = post(&t, &format!("/quotes/{}/withdraw", d.ben_quote), &d.pia, &rfq_field).await;
    assert_eq!(
        r.status,
        StatusCode::NOT_FOUND,
        "not the buyer's to withdraw: {}",
        r.text
    );
    let r = post(&t, &format!("/quotes/{}/withdraw", d.ben_quote), &d.ben, &rfq_field).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    let r = post(&t, &format!("/quotes/{}/withdraw", d.ben_quote), &d.ben, &rfq_field).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text);
    assert!(
        r.text.contains("That did not work") && r.text.contains("withdrawn"),
        "{}",
        r.text
    );
    let seller_page = get(&t, &format!("/rfqs/{}", d.rfq), &d.ben).await;
    assert!(!seller_page.text.contains("Withdraw quote"), "nothing left to withdraw");

    let r = post(&t, &format!("/rfqs/{}/cancel", d.rfq), &d.ben, &[]).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.text);
    let r = post(&t, &format!("/rfqs/{}/cancel", d.rfq), &d.pia, &[]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    let page = get(&t, r.headers["location"].to_str().unwrap(), &d.pia).await;
    assert!(page.text.contains("Your request is cancelled"), "{}", page.text);
    assert!(!page.text.contains("Cancel request") && !page.text.contains(">Accept<"));
    let list = get(&t, "/rfqs", &d.pia).await;
    assert!(list.text.contains("Cancelled"), "{}", list.text);
    let r = post(&t, &format!("/rfqs/{}/cancel", d.rfq), &d.pia, &[]).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text);
    assert!(r.text.contains("can no longer be cancelled"), "{}", r.text);
});
