//! Negotiation moves in the conversation: every offer, counter-offer, acceptance, rejection,
//! withdrawal, expiry and automatic decline under the floor is one `event` message in the
//! conversation between the buyer and the shop about the product, pushed live like a chat
//! message; only the parties (by current roles) read it, and no event or page shows the floor.

use agora_app::Settings;
use agora_store::now_ms;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::chat_live::{connect, next_of, Socket};
use crate::negotiations::{act, haggle_world, list_lamp, offer, take_offers};
use crate::order_jobs::run_jobs;
use crate::orders::eur;
use crate::page_session;
use crate::support::{db_test, CompanyMember, TestApp};

/// The buyer's conversations (ids), most recent first.
async fn conversations(t: &TestApp, token: &str) -> Vec<String> {
    let r = t.get("/api/v1/conversations", Some(token)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    r.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap().to_owned())
        .collect()
}

/// Every message of a conversation, oldest first.
async fn messages(t: &TestApp, token: &str, conversation: &str) -> Vec<Value> {
    let r = t
        .get(
            &format!("/api/v1/conversations/{conversation}/messages?limit=100"),
            Some(token),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    r.body["items"].as_array().unwrap().clone()
}

/// The event messages, as `(action, negotiation_id)`.
fn events(messages: &[Value]) -> Vec<(String, Value)> {
    messages
        .iter()
        .filter(|m| m["kind"] == "event")
        .map(|m| {
            (
                m["event"]["action"].as_str().unwrap().to_owned(),
                m["event"]["negotiation_id"].clone(),
            )
        })
        .collect()
}

/// The next pushed event message with `action` by `by` (skipping other frames and messages).
async fn next_event(socket: &mut Socket, action: &str, by: &str) -> Value {
    loop {
        let frame = next_of(socket, "message").await;
        if frame["message"]["event"]["action"] == action && frame["message"]["event"]["by"] == by {
            return frame;
        }
    }
}

/// Whether any amount of 7.00 EUR (the floor) shows anywhere in `value`.
fn shows_floor(value: &Value) -> bool {
    match value {
        Value::Object(map) => {
            map.get("amount") == Some(&json!(700))
                || map.keys().any(|k| k.contains("floor"))
                || map.values().any(shows_floor)
        }
        Value::Array(items) => items.iter().any(shows_floor),
        Value::String(s) => s.contains("7.00") || s.contains("floor"),
        _ => false,
    }
}

db_test!(
    each_move_is_one_event_in_the_conversation_about_the_product_pushed_live,
    |t| {
        let h = haggle_world(&t).await;
        // The buyer already asked about the lamp: the negotiation's events go to that conversation.
        let r = t
            .post(
                "/api/v1/conversations",
                Some(&h.buyer),
                json!({"shop_id": h.shop, "subject": "About the lamp", "product_id": h.product, "body": "Is it brass?"}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        let conversation = r.body["id"].as_str().unwrap().to_owned();
        let mut seller_socket = connect(&t.base, &h.seller).await;

        let r = offer(&t, &h.buyer, &h.variant, 3, 800).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        let id = r.body["id"].as_str().unwrap().to_owned();
        let pushed = next_event(&mut seller_socket, "offered", "buyer").await;
        assert_eq!(pushed["conversation_id"], conversation.as_str());
        assert_eq!(pushed["message"]["kind"], "event");
        assert_eq!(pushed["message"]["event"]["action"], "offered");
        assert_eq!(pushed["message"]["event"]["negotiation_id"], id.as_str());
        assert_eq!(pushed["message"]["event"]["unit_price"], eur(800));
        assert_eq!(pushed["message"]["event"]["quantity"], 3);

        let r = act(&t, &h.seller, &id, "counter", Some(json!({"unit_price": eur(900)}))).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        let mut buyer_socket = connect(&t.base, &h.buyer).await;
        let r = act(
            &t,
            &h.buyer,
            &id,
            "counter",
            Some(json!({"unit_price": eur(850), "quantity": 4})),
        )
        .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        let echo = next_event(&mut buyer_socket, "countered", "buyer").await;
        assert_eq!(echo["message"]["event"]["round"], 3);
        assert_eq!(echo["message"]["event"]["by"], "buyer");
        let r = act(&t, &h.seller, &id, "accept", None).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        let contract = r.body["contract"]["id"].clone();
        let accepted = next_event(&mut buyer_socket, "accepted", "seller").await;
        assert_eq!(accepted["message"]["event"]["contract_id"], contract);
        assert_eq!(accepted["message"]["event"]["unit_price"], eur(850));
        assert_eq!(accepted["message"]["event"]["quantity"], 4);

        assert_eq!(
            conversations(&t, &h.buyer).await,
            vec![conversation.clone()],
            "the conversation about the lamp is reused"
        );
        let all = messages(&t, &h.seller, &conversation).await;
        assert_eq!(all[0]["kind"], "text");
        assert_eq!(all[0]["body"], "Is it brass?");
        let moves = events(&all);
        let names: Vec<&str> = moves.iter().map(|(a, _)| a.as_str()).collect();
        assert_eq!(
            names,
            ["offered", "countered", "countered", "accepted"],
            "one event per move"
        );
        assert!(moves.iter().all(|(_, n)| n == &json!(id)));
        let counter = &all[2];
        assert_eq!(counter["side"], "seller");
        assert_eq!(counter["event"]["by"], "seller");
        assert_eq!(counter["event"]["round"], 2);
        assert_eq!(counter["body"], "Offer: 3 × 9.00 EUR — counter-offer by Nordlicht");

        // The conversation page shows the events as such, each linking to the negotiation.
        let page = page_session::get(&t, &format!("/messages/{conversation}"), &h.buyer).await;
        assert_eq!(page.status, StatusCode::OK);
        assert_eq!(page.text.matches("chat-message chat-event").count(), 4, "{}", page.text);
        assert!(page.text.contains(&format!("href=\"/negotiations/{id}\"")));
        assert!(page.text.contains("counter-offer by Nordlicht"));
    }
);

db_test!(
    rejections_withdrawals_expiries_and_floor_declines_are_events_that_never_show_the_floor,
    settings = Settings {
        offer_ttl_ms: 60_000,
        ..Settings::default()
    },
    |t| {
        let h = haggle_world(&t).await;
        // Under the floor: refused, no negotiation, but the conversation shows a neutral decline.
        let r = offer(&t, &h.buyer, &h.variant, 2, 699).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
        let listed = conversations(&t, &h.buyer).await;
        assert_eq!(listed.len(), 1, "a conversation about the lamp was opened");
        let conversation = listed[0].clone();
        let seen = messages(&t, &h.seller, &conversation).await;
        assert_eq!(events(&seen), vec![("declined".to_owned(), Value::Null)]);
        assert_eq!(seen[0]["event"]["by"], "system");
        assert_eq!(seen[0]["event"]["unit_price"], Value::Null);

        // Withdrawn, after a counter-offer under the floor was declined.
        let withdrawn = offer(&t, &h.buyer, &h.variant, 2, 750).await.body["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let r = act(
            &t,
            &h.seller,
            &withdrawn,
            "counter",
            Some(json!({"unit_price": eur(690)})),
        )
        .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        let r = act(
            &t,
            &h.buyer,
            &withdrawn,
            "counter",
            Some(json!({"unit_price": eur(600)})),
        )
        .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
        let r = act(&t, &h.seller, &withdrawn, "reject", None).await;
        assert_eq!(r.status, StatusCode::CONFLICT, "still the buyer's turn: {}", r.text);
        let r = act(&t, &h.seller, &withdrawn, "withdraw", None).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);

        let rejected = offer(&t, &h.buyer, &h.variant, 1, 800).await.body["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let r = act(&t, &h.seller, &rejected, "reject", None).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);

        let expired = offer(&t, &h.buyer, &h.variant, 1, 820).await.body["id"]
            .as_str()
            .unwrap()
            .to_owned();
        run_jobs(&t.app, now_ms() + 120_000).await;
        let n = t.get(&format!("/api/v1/negotiations/{expired}"), Some(&h.buyer)).await;
        assert_eq!(n.body["status"], "expired", "{}", n.text);

        assert_eq!(conversations(&t, &h.buyer).await, vec![conversation.clone()]);
        let all = messages(&t, &h.buyer, &conversation).await;
        let n = |id: &str| json!(id);
        assert_eq!(
            events(&all),
            vec![
                ("declined".to_owned(), Value::Null),
                ("offered".to_owned(), n(&withdrawn)),
                ("countered".to_owned(), n(&withdrawn)),
                ("declined".to_owned(), n(&withdrawn)),
                ("withdrawn".to_owned(), n(&withdrawn)),
                ("offered".to_owned(), n(&rejected)),
                ("rejected".to_owned(), n(&rejected)),
                ("offered".to_owned(), n(&expired)),
                ("expired".to_owned(), n(&expired)),
            ],
            "exactly one event per move"
        );
        let expiry = all.last().unwrap();
        assert_eq!(expiry["event"]["by"], "system");
        assert_eq!(expiry["event"]["unit_price"], eur(820));
        for token in [&h.buyer, &h.seller] {
            let all = Value::Array(messages(&t, token, &conversation).await);
            assert!(!shows_floor(&all), "an event shows the floor: {all}");
            let page = page_session::get(&t, &format!("/messages/{conversation}"), token).await;
            assert_eq!(page.status, StatusCode::OK);
            assert!(page.text.contains("declined automatically"), "{}", page.text);
            assert!(
                !page.text.contains("7.00") && !page.text.contains("floor"),
                "{}",
                page.text
            );
        }
        let r = t
            .get(&format!("/api/v1/negotiations/{withdrawn}"), Some(&h.buyer))
            .await;
        assert_eq!(
            r.body["rounds"].as_array().unwrap().len(),
            2,
            "the declined counter is not kept"
        );
    }
);

db_test!(only_the_parties_read_the_events_by_the_staffs_current_roles, |t| {
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
    let r = act(&t, &sam, &id, "counter", Some(json!({"unit_price": eur(950)}))).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let conversation = conversations(&t, &buyer).await.remove(0);
    let path = format!("/api/v1/conversations/{conversation}/messages");
    let page = format!("/messages/{conversation}");

    for token in [&buyer, &sam, &admin] {
        let seen = messages(&t, token, &conversation).await;
        assert_eq!(events(&seen).len(), 2, "{seen:?}");
    }
    assert_eq!(t.get(&path, Some(&stranger)).await.status, StatusCode::NOT_FOUND);
    assert_eq!(
        page_session::get(&t, &page, &stranger).await.status,
        StatusCode::NOT_FOUND
    );
    assert!(conversations(&t, &stranger).await.is_empty());

    // Sam, demoted to finance, loses the conversation; removed, loses it for good.
    let member = format!("/api/v1/companies/{company}/members/{sam_id}");
    let r = t
        .call(Method::PATCH, &member, Some(&admin), Some(json!({"role": "finance"})))
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    assert_eq!(t.get(&path, Some(&sam)).await.status, StatusCode::NOT_FOUND);
    assert_eq!(page_session::get(&t, &page, &sam).await.status, StatusCode::NOT_FOUND);
    let r = t.call(Method::DELETE, &member, Some(&admin), None).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    assert_eq!(t.get(&path, Some(&sam)).await.status, StatusCode::NOT_FOUND);
    assert!(conversations(&t, &sam).await.is_empty());

    // The admin still answers for the shop, and the next move still lands there.
    let r = act(&t, &buyer, &id, "accept", None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let seen = messages(&t, &admin, &conversation).await;
    assert_eq!(events(&seen).last().unwrap().0, "accepted");
});

/// On PostgreSQL: two `agora serve` processes on one database; a counter-offer made on A reaches
/// the buyer's WebSocket on B, both as the negotiation's frame and as the conversation's event.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(not(agora_pg), ignore = "set AGORA_TEST_POSTGRES_URL to run on PostgreSQL")]
async fn a_move_made_on_one_node_reaches_a_websocket_on_another() {
    let t = TestApp::spawn(crate::support::Engine::Postgres).await;
    let h = haggle_world(&t).await;
    let id = offer(&t, &h.buyer, &h.variant, 2, 800).await.body["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (dir_a, dir_b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let a = crate::nodes::Node::start(t.agora(dir_a.path())).await;
    let b = crate::nodes::Node::start(t.agora(dir_b.path())).await;
    let mut on_b = connect(&b.base, &h.buyer).await;
    // B's follower is running once its socket works; give its listener a moment to subscribe.
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;

    let r = t
        .client
        .post(format!("{}/api/v1/negotiations/{id}/counter", a.base))
        .bearer_auth(&h.seller)
        .json(&json!({"unit_price": eur(950)}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let moved = next_of(&mut on_b, "negotiation").await;
    assert_eq!(moved["negotiation_id"], id.as_str());
    assert_eq!(moved["turn"], "buyer");
    let event = next_event(&mut on_b, "countered", "seller").await;
    assert_eq!(event["message"]["event"]["unit_price"], eur(950));
}
