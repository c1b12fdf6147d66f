//! Conversations through the API and the pages: a buyer asks a shop, the shop answers; unread
//! counts, read receipts, history pages and catch-up, attachments; everyone else, a removed and a
//! demoted member get 404; an unread message is mailed once, in a digest.

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::companies::join;
use crate::hostile::{marketplace, seller_with_shop};
use crate::support::{db_test, pdf, read, CompanyMember, Reply, TestApp};

/// A marketplace with an approved shop and a buyer.
pub(crate) struct Chat {
    pub seller: String,
    pub shop: String,
    pub buyer: String,
}

pub(crate) async fn chat(t: &TestApp) -> Chat {
    marketplace(t).await;
    let (seller, shop) = seller_with_shop(t, "seller@example.com", "Sound Shop").await;
    let buyer = t.user("buyer@example.com").await;
    Chat { seller, shop, buyer }
}

/// Opens a conversation and returns its id.
pub(crate) async fn open(t: &TestApp, buyer: &str, shop: &str, body: Option<&str>) -> String {
    let mut request = json!({"shop_id": shop, "subject": "Do these fit small ears?"});
    if let Some(body) = body {
        request["body"] = json!(body);
    }
    let r = t.post("/api/v1/conversations", Some(buyer), request).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    r.body["id"].as_str().unwrap().to_owned()
}

pub(crate) async fn say(t: &TestApp, token: &str, conversation: &str, body: &str) -> Reply {
    t.post(
        &format!("/api/v1/conversations/{conversation}/messages"),
        Some(token),
        json!({ "body": body }),
    )
    .await
}

fn bodies(r: &Reply) -> Vec<String> {
    r.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["body"].as_str().unwrap().to_owned())
        .collect()
}

async fn attach(t: &TestApp, token: &str, conversation: &str, name: &str, bytes: Vec<u8>) -> Reply {
    let form = reqwest::multipart::Form::new().text("body", "the spec sheet").part(
        "file",
        reqwest::multipart::Part::bytes(bytes).file_name(name.to_owned()),
    );
    let req = t
        .client
        .post(t.url(&format!("/api/v1/conversations/{conversation}/attachments")))
        .bearer_auth(token)
        .multipart(form);
    read(req.send().await.unwrap()).await
}

async fn count(t: &TestApp, table: &str) -> i64 {
    use sqlx::Row;
    let mut conn = t.app.db.conn().await.unwrap();
    sqlx::query(&format!("SELECT COUNT(*) FROM {table}"))
        .fetch_one(&mut *conn)
        .await
        .unwrap()
        .get::<i64, _>(0)
}

db_test!(a_buyer_and_a_shop_talk_with_unread_counts_and_read_receipts, |t| {
    let c = chat(&t).await;
    let id = open(&t, &c.buyer, &c.shop, Some("Hello, do they fold?")).await;

    let inbox = t.get("/api/v1/conversations", Some(&c.seller)).await;
    assert_eq!(inbox.status, StatusCode::OK, "{}", inbox.text);
    let item = &inbox.body["items"][0];
    assert_eq!(item["id"], id.as_str());
    assert_eq!(item["my_side"], "seller");
    assert_eq!(item["unread_count"], 1);
    assert_eq!(item["last_message"], "Hello, do they fold?");
    assert_eq!(item["shop"]["id"], c.shop.as_str());
    assert!(inbox.body["next_cursor"].is_null());
    let mine = t.get("/api/v1/conversations", Some(&c.buyer)).await;
    assert_eq!(mine.body["items"][0]["unread_count"], 0, "your own message is read");

    let r = t
        .post(&format!("/api/v1/conversations/{id}/read"), Some(&c.seller), json!({}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["last_read_seq"], 1);
    assert_eq!(r.body["unread_count"], 0);
    let seen = t.get(&format!("/api/v1/conversations/{id}"), Some(&c.buyer)).await;
    assert_eq!(seen.body["read"]["seller"], 1, "the buyer sees that the seller read it");

    let r = say(&t, &c.seller, &id, "Yes, flat and folded.").await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(r.body["seq"], 2);
    assert_eq!(r.body["side"], "seller");
    for n in 3..=6 {
        let r = say(&t, &c.buyer, &id, &format!("question {n}")).await;
        assert_eq!(r.body["seq"], n);
    }
    let inbox = t.get("/api/v1/conversations", Some(&c.seller)).await;
    assert_eq!(inbox.body["items"][0]["unread_count"], 4);
    let inbox = t.get("/api/v1/conversations", Some(&c.buyer)).await;
    assert_eq!(inbox.body["items"][0]["unread_count"], 0);

    // History: the newest page first, then back; or everything after what a client last saw.
    let newest = t
        .get(&format!("/api/v1/conversations/{id}/messages?limit=4"), Some(&c.buyer))
        .await;
    assert_eq!(newest.status, StatusCode::OK, "{}", newest.text);
    assert_eq!(
        bodies(&newest),
        ["question 3", "question 4", "question 5", "question 6"]
    );
    let cursor = newest.body["next_cursor"].as_str().unwrap();
    let older = t
        .get(
            &format!("/api/v1/conversations/{id}/messages?limit=4&cursor={cursor}"),
            Some(&c.buyer),
        )
        .await;
    assert_eq!(bodies(&older), ["Hello, do they fold?", "Yes, flat and folded."]);
    assert!(older.body["next_cursor"].is_null());
    let missed = t
        .get(
            &format!("/api/v1/conversations/{id}/messages?after=4&limit=1"),
            Some(&c.seller),
        )
        .await;
    assert_eq!(bodies(&missed), ["question 5"]);
    let cursor = missed.body["next_cursor"].as_str().unwrap();
    let rest = t
        .get(
            &format!("/api/v1/conversations/{id}/messages?limit=5&cursor={cursor}"),
            Some(&c.seller),
        )
        .await;
    assert_eq!(bodies(&rest), ["question 6"]);
    assert!(rest.body["next_cursor"].is_null());

    // Reading up to a message leaves the later ones unread; reading never goes back.
    let r = t
        .post(
            &format!("/api/v1/conversations/{id}/read"),
            Some(&c.seller),
            json!({"seq": 4}),
        )
        .await;
    assert_eq!(r.body["unread_count"], 2);
    let r = t
        .post(
            &format!("/api/v1/conversations/{id}/read"),
            Some(&c.seller),
            json!({"seq": 2}),
        )
        .await;
    assert_eq!(r.body["last_read_seq"], 4);
});

db_test!(a_conversation_that_is_not_yours_is_404_everywhere, |t| {
    let c = chat(&t).await;
    let id = open(&t, &c.buyer, &c.shop, Some("Hello")).await;
    let file = attach(&t, &c.buyer, &id, "spec.pdf", pdf()).await;
    assert_eq!(file.status, StatusCode::CREATED, "{}", file.text);
    let message = file.body["id"].as_str().unwrap();
    let stranger = t.user("stranger@example.com").await;
    let before = count(&t, "conversation_messages").await;

    for (method, path, body) in [
        (Method::GET, format!("/api/v1/conversations/{id}"), None),
        (Method::GET, format!("/api/v1/conversations/{id}/messages"), None),
        (
            Method::POST,
            format!("/api/v1/conversations/{id}/messages"),
            Some(json!({"body": "hi"})),
        ),
        (
            Method::POST,
            format!("/api/v1/conversations/{id}/read"),
            Some(json!({})),
        ),
        (
            Method::GET,
            format!("/api/v1/conversations/{id}/messages/{message}/attachment"),
            None,
        ),
        (Method::GET, "/api/v1/conversations/cnv_nope".to_owned(), None),
    ] {
        let r = t.call(method.clone(), &path, Some(&stranger), body).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{method} {path}: {}", r.text);
    }
    let r = attach(&t, &stranger, &id, "spec.pdf", pdf()).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.text);
    let r = t.get("/api/v1/conversations", Some(&stranger)).await;
    assert_eq!(r.body["items"], json!([]));
    let r = t.get(&format!("/api/v1/conversations/{id}"), None).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(count(&t, "conversation_messages").await, before, "nothing stored");

    // The pages say the same.
    let page = crate::page_session::get(&t, &format!("/messages/{id}"), &stranger).await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
    let page = crate::page_session::get(&t, &format!("/messages/{id}/files/{message}"), &stranger).await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
});

db_test!(bad_messages_and_files_are_refused_and_nothing_is_stored, |t| {
    let c = chat(&t).await;
    let id = open(&t, &c.buyer, &c.shop, None).await;
    let before = count(&t, "conversation_messages").await;

    let r = say(&t, &c.buyer, &id, "   ").await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert_eq!(r.body["errors"][0]["field"], "body");
    let r = say(&t, &c.buyer, &id, &"x".repeat(4001)).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert_eq!(r.body["errors"][0]["field"], "body");
    let r = attach(&t, &c.buyer, &id, "setup.exe", b"MZ\x90\0\x03\0\0\0".to_vec()).await;
    assert_eq!(r.status, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{}", r.text);
    let r = attach(
        &t,
        &c.buyer,
        &id,
        "page.html",
        b"<html><script>alert(1)</script>".to_vec(),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{}", r.text);
    let mut big = pdf();
    big.resize(5 * 1024 * 1024 + 1, b' ');
    let r = attach(&t, &c.buyer, &id, "big.pdf", big).await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", r.text);
    let r = t
        .get(&format!("/api/v1/conversations/{id}/messages?after=-1"), Some(&c.buyer))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    let r = t
        .get(
            &format!("/api/v1/conversations/{id}/messages?cursor=zz"),
            Some(&c.buyer),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert_eq!(count(&t, "conversation_messages").await, before, "nothing stored");

    let conversations = count(&t, "conversations").await;
    let open_with = |body: Value| t.post("/api/v1/conversations", Some(&c.buyer), body);
    let r = open_with(json!({"shop_id": "shp_nope", "subject": "Hi"})).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.text);
    let r = open_with(json!({"shop_id": c.shop, "subject": ""})).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    let r = open_with(json!({"shop_id": c.shop, "subject": "Hi", "product_id": "prd_nope"})).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert_eq!(r.body["errors"][0]["field"], "product_id");
    let r = open_with(json!({"shop_id": c.shop, "subject": "Hi", "order_id": "ord_nope"})).await;
    assert_eq!(r.body["errors"][0]["field"], "order_id");
    let r = t
        .post(
            "/api/v1/conversations",
            Some(&c.seller),
            json!({"shop_id": c.shop, "subject": "Talking to myself"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert_eq!(r.body["errors"][0]["field"], "shop_id");
    assert_eq!(count(&t, "conversations").await, conversations, "nothing stored");
});

db_test!(attachments_are_served_to_participants_only, |t| {
    let c = chat(&t).await;
    let id = open(&t, &c.buyer, &c.shop, None).await;
    let r = attach(&t, &c.seller, &id, "../Spec \"sheet\".pdf", pdf()).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(r.body["attachment"]["filename"], "Spec sheet.pdf");
    assert_eq!(r.body["attachment"]["content_type"], "application/pdf");
    assert_eq!(r.body["body"], "the spec sheet");
    let url = r.body["attachment"]["url"].as_str().unwrap();
    let got = t.client.get(t.url(url)).bearer_auth(&c.buyer).send().await.unwrap();
    assert_eq!(got.status(), StatusCode::OK);
    assert_eq!(got.headers()["content-type"], "application/pdf");
    assert!(got.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .starts_with("attachment"));
    assert_eq!(got.bytes().await.unwrap().as_ref(), pdf().as_slice());
    let message = r.body["id"].as_str().unwrap();
    let page = crate::page_session::get(&t, &format!("/messages/{id}/files/{message}"), &c.buyer).await;
    assert_eq!(page.status, StatusCode::OK);
});

/// Acme (a company) buys: its admin, a purchaser and a finance member.
async fn acme_buyers(t: &TestApp) -> (String, String, String, String) {
    let (admin, company) = t.company_admin("ada@acme.test", "Acme").await;
    let paul = t.user("paul@acme.test").await;
    join(t, &admin, &company, "paul@acme.test", "purchaser", &paul).await;
    let fiona = t.user("fiona@acme.test").await;
    join(t, &admin, &company, "fiona@acme.test", "finance", &fiona).await;
    (admin, company, paul, fiona)
}

async fn member_of(t: &TestApp, admin: &str, company: &str, email: &str) -> String {
    let r = t.get(&format!("/api/v1/companies/{company}"), Some(admin)).await;
    r.body["members"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["email"] == email)
        .map(|m| m["account_id"].as_str().unwrap().to_owned())
        .unwrap()
}

db_test!(a_company_conversation_follows_the_members_current_roles, |t| {
    let c = chat(&t).await;
    let (admin, company, paul, fiona) = acme_buyers(&t).await;
    let id = open(&t, &paul, &c.shop, Some("Volume price for 200?")).await;
    let r = t.get(&format!("/api/v1/conversations/{id}"), Some(&admin)).await;
    assert_eq!(r.status, StatusCode::OK, "the company's admin takes part: {}", r.text);
    assert_eq!(r.body["buyer"]["company"]["id"], company.as_str());
    assert_eq!(
        say(&t, &admin, &id, "I approve up to 200.").await.status,
        StatusCode::CREATED
    );
    let r = t.get(&format!("/api/v1/conversations/{id}"), Some(&fiona)).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "finance does not buy");
    let r = t
        .post(
            "/api/v1/conversations",
            Some(&fiona),
            json!({"shop_id": c.shop, "subject": "Hi"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text);

    // Paul moves to finance: the conversation is no longer his, at once.
    let paul_id = member_of(&t, &admin, &company, "paul@acme.test").await;
    let r = t
        .call(
            Method::PATCH,
            &format!("/api/v1/companies/{company}/members/{paul_id}"),
            Some(&admin),
            Some(json!({"role": "finance"})),
        )
        .await;
    assert!(r.status.is_success(), "{}", r.text);
    assert_eq!(
        t.get(&format!("/api/v1/conversations/{id}"), Some(&paul)).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(say(&t, &paul, &id, "still here?").await.status, StatusCode::NOT_FOUND);
    let r = t.get("/api/v1/conversations", Some(&paul)).await;
    assert_eq!(r.body["items"], json!([]));
    // Removed from the company: still nothing, though he opened it.
    let r = t
        .call(
            Method::DELETE,
            &format!("/api/v1/companies/{company}/members/{paul_id}"),
            Some(&admin),
            None,
        )
        .await;
    assert!(r.status.is_success(), "{}", r.text);
    assert_eq!(
        t.get(&format!("/api/v1/conversations/{id}"), Some(&paul)).await.status,
        StatusCode::NOT_FOUND
    );
    let r = t.get(&format!("/api/v1/conversations/{id}"), Some(&admin)).await;
    assert_eq!(r.status, StatusCode::OK);
});

db_test!(
    a_shop_member_who_is_demoted_or_removed_loses_the_conversation_at_once,
    |t| {
        let operator = t.operator().await;
        t.category(&operator, "audio", false).await;
        let CompanyMember {
            admin,
            company,
            member: sam,
            ..
        } = t
            .company_with_member("ada@acme.test", "Acme", "sam@acme.test", "sales")
            .await;
        let shop = t.approved_company_shop(&operator, &sam, "Acme Audio", "Acme Ltd").await;
        let buyer = t.user("buyer@example.com").await;
        let id = open(&t, &buyer, &shop, Some("Hello Acme")).await;
        assert_eq!(say(&t, &sam, &id, "Hello!").await.status, StatusCode::CREATED);
        let r = t.get("/api/v1/conversations", Some(&admin)).await;
        assert_eq!(
            r.body["items"][0]["my_side"], "seller",
            "the company's admin answers too"
        );

        let sam_id = member_of(&t, &admin, &company, "sam@acme.test").await;
        let member_path = format!("/api/v1/companies/{company}/members/{sam_id}");
        let set_role =
            |role: &'static str| t.call(Method::PATCH, &member_path, Some(&admin), Some(json!({ "role": role })));
        assert!(set_role("purchaser").await.status.is_success());
        assert_eq!(
            t.get(&format!("/api/v1/conversations/{id}/messages"), Some(&sam))
                .await
                .status,
            StatusCode::NOT_FOUND,
            "a purchaser does not answer for the shop"
        );
        assert_eq!(say(&t, &sam, &id, "me again").await.status, StatusCode::NOT_FOUND);
        assert!(set_role("sales").await.status.is_success());
        assert_eq!(say(&t, &sam, &id, "back").await.status, StatusCode::CREATED);
        let r = t
            .call(
                Method::DELETE,
                &format!("/api/v1/companies/{company}/members/{sam_id}"),
                Some(&admin),
                None,
            )
            .await;
        assert!(r.status.is_success(), "{}", r.text);
        assert_eq!(
            t.get(&format!("/api/v1/conversations/{id}"), Some(&sam)).await.status,
            StatusCode::NOT_FOUND
        );
        let page = crate::page_session::get(&t, &format!("/messages/{id}"), &sam).await;
        assert_eq!(page.status, StatusCode::NOT_FOUND);
    }
);

db_test!(unread_messages_are_mailed_in_one_digest, |t| {
    let c = chat(&t).await;
    let id = open(&t, &c.buyer, &c.shop, Some("First question")).await;
    say(&t, &c.buyer, &id, "Second question").await;
    say(&t, &c.buyer, &id, "Third question").await;
    let queued = count(&t, "jobs WHERE kind = 'chat_digest' AND status = 'queued'").await;
    assert_eq!(
        queued, 1,
        "one digest waits for the seller, whatever the number of messages"
    );

    let worker = agora_app::job_runner::Worker::new(
        t.app.clone(),
        agora_app::job_handlers::standard(),
        agora_app::job_runner::WorkerSettings::default(),
    );
    let later = agora_store::now_ms() + t.app.settings.chat_digest_delay_ms + 1_000;
    worker.run_due(later).await.unwrap();
    let dir = t._dir.path().join("mail");
    let mails: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap())
        .collect();
    assert_eq!(mails.len(), 1, "one email");
    let mail = &mails[0];
    assert!(mail.contains("seller@example.com"), "{mail}");
    for q in ["First question", "Second question", "Third question"] {
        assert!(mail.contains(q), "{q} is in the digest: {mail}");
    }

    // Read before the digest runs: nothing is mailed; nothing is mailed twice either.
    say(&t, &c.buyer, &id, "Fourth question").await;
    let r = t
        .post(&format!("/api/v1/conversations/{id}/read"), Some(&c.seller), json!({}))
        .await;
    assert_eq!(r.status, StatusCode::OK);
    worker
        .run_due(later + t.app.settings.chat_digest_delay_ms * 2)
        .await
        .unwrap();
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 1, "no second email");
});

db_test!(messages_posted_at_once_get_one_seq_each_in_order, |t| {
    let c = chat(&t).await;
    let id = open(&t, &c.buyer, &c.shop, None).await;
    let posts = (0..24).map(|n| {
        let (t, id) = (&t, &id);
        let token = if n % 2 == 0 { c.buyer.clone() } else { c.seller.clone() };
        async move { say(t, &token, id, &format!("message {n}")).await }
    });
    let replies = futures::future::join_all(posts).await;
    let mut seqs: Vec<i64> = replies
        .iter()
        .map(|r| {
            assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
            r.body["seq"].as_i64().unwrap()
        })
        .collect();
    seqs.sort_unstable();
    assert_eq!(
        seqs,
        (1..=24).collect::<Vec<i64>>(),
        "every message its own seq, none skipped"
    );
    let history = t
        .get(
            &format!("/api/v1/conversations/{id}/messages?limit=100"),
            Some(&c.buyer),
        )
        .await;
    assert_eq!(history.body["items"].as_array().unwrap().len(), 24);
    let r = t.get(&format!("/api/v1/conversations/{id}"), Some(&c.buyer)).await;
    assert_eq!(r.body["last_seq"], 24);
});

db_test!(a_message_sent_twice_with_one_idempotency_key_is_stored_once, |t| {
    let c = chat(&t).await;
    let id = open(&t, &c.buyer, &c.shop, None).await;
    let send = || {
        t.client
            .post(t.url(&format!("/api/v1/conversations/{id}/messages")))
            .bearer_auth(&c.buyer)
            .header("Idempotency-Key", "msg-1")
            .json(&json!({"body": "only once"}))
            .send()
    };
    let first = read(send().await.unwrap()).await;
    let again = read(send().await.unwrap()).await;
    assert_eq!(first.status, StatusCode::CREATED, "{}", first.text);
    assert_eq!(again.status, StatusCode::CREATED);
    assert_eq!(first.body["id"], again.body["id"]);
    let history = t
        .get(&format!("/api/v1/conversations/{id}/messages"), Some(&c.buyer))
        .await;
    assert_eq!(bodies(&history), ["only once"]);
});
