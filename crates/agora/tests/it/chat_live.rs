//! The live side of chat: the WebSocket pushes a message to every participant, refuses a
//! connection without a valid identity, lets a client catch up after a reconnect; and on
//! PostgreSQL a message posted to one `agora serve` process reaches a WebSocket on another.

use std::time::{Duration, Instant};

use futures::{SinkExt, StreamExt};
use reqwest::StatusCode;
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::{Error as WsError, Message};

use crate::chat::{chat, open, say};
use crate::support::{db_test, Engine, TestApp};

pub(crate) type Socket = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

fn ws_url(base: &str) -> String {
    format!("{}/api/v1/ws", base.replacen("http://", "ws://", 1))
}

/// Opens the WebSocket of `base` with these headers.
async fn connect_with(base: &str, headers: &[(&'static str, String)]) -> Result<Socket, WsError> {
    let mut request = ws_url(base).into_client_request().unwrap();
    for (name, value) in headers {
        request
            .headers_mut()
            .insert(*name, HeaderValue::from_str(value).unwrap());
    }
    tokio_tungstenite::connect_async(request)
        .await
        .map(|(socket, _)| socket)
}

/// Opens the WebSocket with a bearer token and waits for its `hello`.
pub(crate) async fn connect(base: &str, token: &str) -> Socket {
    let mut socket = connect_with(base, &[("authorization", format!("Bearer {token}"))])
        .await
        .expect("the WebSocket opens");
    let hello = next_frame(&mut socket).await;
    assert_eq!(hello["type"], "hello", "{hello}");
    socket
}

/// The next JSON frame (failing after 10 s).
pub(crate) async fn next_frame(socket: &mut Socket) -> Value {
    loop {
        let msg = tokio::time::timeout(Duration::from_secs(10), socket.next())
            .await
            .expect("a frame within 10 s")
            .expect("the socket is open")
            .expect("a frame");
        match msg {
            Message::Text(t) => return serde_json::from_str(t.as_str()).unwrap(),
            Message::Close(frame) => panic!("closed: {frame:?}"),
            _ => continue,
        }
    }
}

/// The next frame of `kind`, skipping others (read receipts and the like).
pub(crate) async fn next_of(socket: &mut Socket, kind: &str) -> Value {
    loop {
        let frame = next_frame(socket).await;
        if frame["type"] == kind {
            return frame;
        }
    }
}

fn refused_with(result: Result<Socket, WsError>) -> u16 {
    match result {
        Err(WsError::Http(res)) => res.status().as_u16(),
        Err(other) => panic!("refused otherwise: {other}"),
        Ok(_) => panic!("the WebSocket opened"),
    }
}

db_test!(a_message_is_pushed_to_every_participant_over_the_websocket, |t| {
    let c = chat(&t).await;
    let id = open(&t, &c.buyer, &c.shop, None).await;
    let mut seller = connect(&t.base, &c.seller).await;
    let mut buyer_tab = connect(&t.base, &c.buyer).await;
    let stranger = t.user("stranger@example.com").await;
    let mut stranger = connect(&t.base, &stranger).await;

    let posted = say(&t, &c.buyer, &id, "Is the blue one in stock?").await;
    assert_eq!(posted.status, StatusCode::CREATED, "{}", posted.text);
    let frame = next_of(&mut seller, "message").await;
    assert_eq!(frame["conversation_id"], id.as_str());
    assert_eq!(
        frame["message"], posted.body,
        "the frame carries the message as the API returns it"
    );
    let echo = next_of(&mut buyer_tab, "message").await;
    assert_eq!(
        echo["message"]["id"], posted.body["id"],
        "the sender's other windows get it too"
    );

    let r = t
        .post(&format!("/api/v1/conversations/{id}/read"), Some(&c.seller), json!({}))
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let receipt = next_of(&mut buyer_tab, "read").await;
    assert_eq!(receipt["side"], "seller");
    assert_eq!(receipt["seq"], 1);

    stranger.send(Message::Text(r#"{"type":"ping"}"#.into())).await.unwrap();
    let pong = next_frame(&mut stranger).await;
    assert_eq!(
        pong["type"], "pong",
        "nothing of the conversation reached a stranger first: {pong}"
    );
});

db_test!(a_websocket_without_a_valid_identity_is_refused, |t| {
    let c = chat(&t).await;
    assert_eq!(refused_with(connect_with(&t.base, &[]).await), 401);
    let bad = [("authorization", "Bearer not-a-token".to_owned())];
    assert_eq!(refused_with(connect_with(&t.base, &bad).await), 401);
    // A token in the URL is no identity.
    let in_url = tokio_tungstenite::connect_async(format!("{}?token={}", ws_url(&t.base), c.buyer))
        .await
        .map(|(socket, _)| socket);
    assert_eq!(refused_with(in_url), 401);
    // A logged-out token no longer opens one.
    let gone = t.login("buyer@example.com").await;
    let r = t.post("/api/v1/auth/logout", Some(&gone), json!({})).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    let logged_out = [("authorization", format!("Bearer {gone}"))];
    assert_eq!(refused_with(connect_with(&t.base, &logged_out).await), 401);
    // The session cookie opens it from this site's pages, not from another site's.
    let cookie = format!("agora_session={}", c.buyer);
    let elsewhere = [("cookie", cookie.clone()), ("origin", "http://evil.example".to_owned())];
    assert_eq!(refused_with(connect_with(&t.base, &elsewhere).await), 403);
    let host = t.base.trim_start_matches("http://").to_owned();
    let here = [("cookie", cookie), ("origin", format!("http://{host}"))];
    let mut socket = connect_with(&t.base, &here).await.expect("the page's socket opens");
    assert_eq!(next_frame(&mut socket).await["type"], "hello");
    // Not an upgrade at all.
    let r = t.get("/api/v1/ws", Some(&c.buyer)).await;
    assert_eq!(r.status, StatusCode::UPGRADE_REQUIRED, "{}", r.text);
});

db_test!(a_client_catches_up_on_what_it_missed_after_reconnecting, |t| {
    let c = chat(&t).await;
    let id = open(&t, &c.buyer, &c.shop, None).await;
    let mut seller = connect(&t.base, &c.seller).await;
    say(&t, &c.buyer, &id, "one").await;
    let seen = next_of(&mut seller, "message").await["message"]["seq"]
        .as_i64()
        .unwrap();
    seller.close(None).await.unwrap();
    drop(seller);

    say(&t, &c.buyer, &id, "two").await;
    say(&t, &c.buyer, &id, "three").await;
    let mut seller = connect(&t.base, &c.seller).await;
    let ask = json!({"type": "catch_up", "conversation_id": id, "after": seen});
    seller.send(Message::Text(ask.to_string().into())).await.unwrap();
    let mut missed = Vec::new();
    loop {
        let frame = next_frame(&mut seller).await;
        match frame["type"].as_str() {
            // A message may also arrive live on the new connection before the catch-up answer:
            // a client keeps each seq once.
            Some("message") => missed.push((
                frame["message"]["seq"].as_i64().unwrap(),
                frame["message"]["body"].as_str().unwrap().to_owned(),
            )),
            Some("caught_up") => {
                assert_eq!(frame["last_seq"], 3);
                break;
            }
            _ => {}
        }
    }
    missed.sort();
    missed.dedup();
    let bodies: Vec<&str> = missed.iter().map(|(_, b)| b.as_str()).collect();
    assert_eq!(bodies, ["two", "three"]);

    // Someone else's conversation cannot be caught up on.
    let stranger = t.user("stranger@example.com").await;
    let mut stranger = connect(&t.base, &stranger).await;
    let ask = json!({"type": "catch_up", "conversation_id": id, "after": 0});
    stranger.send(Message::Text(ask.to_string().into())).await.unwrap();
    let frame = next_frame(&mut stranger).await;
    assert_eq!(frame["type"], "error", "{frame}");
});

db_test!(an_account_holds_a_bounded_number_of_live_connections, |t| {
    let c = chat(&t).await;
    let limit = t.app.settings.live.per_account;
    let mut open_sockets = Vec::new();
    for _ in 0..limit {
        open_sockets.push(connect(&t.base, &c.buyer).await);
    }
    let more = connect_with(&t.base, &[("authorization", format!("Bearer {}", c.buyer))]).await;
    assert_eq!(refused_with(more), 429);
    drop(open_sockets);
});

/// On PostgreSQL: two `agora serve` processes on one database; a message posted to A reaches a
/// WebSocket connected to B within a second.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(not(agora_pg), ignore = "set AGORA_TEST_POSTGRES_URL to run on PostgreSQL")]
async fn a_message_posted_on_one_node_reaches_a_websocket_on_another_within_a_second() {
    let t = TestApp::spawn(Engine::Postgres).await;
    let c = chat(&t).await;
    let id = open(&t, &c.buyer, &c.shop, None).await;
    let (dir_a, dir_b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let a = crate::nodes::Node::start(t.agora(dir_a.path())).await;
    let b = crate::nodes::Node::start(t.agora(dir_b.path())).await;
    let mut on_b = connect(&b.base, &c.seller).await;
    // B's follower is running once its socket works; give its listener a moment to subscribe.
    tokio::time::sleep(Duration::from_millis(500)).await;

    for n in 0..5 {
        let started = Instant::now();
        let r = t
            .client
            .post(format!("{}/api/v1/conversations/{id}/messages", a.base))
            .bearer_auth(&c.buyer)
            .json(&json!({ "body": format!("message {n}") }))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::CREATED);
        let frame = next_of(&mut on_b, "message").await;
        let took = started.elapsed();
        assert_eq!(frame["message"]["body"], format!("message {n}"));
        assert!(
            took < Duration::from_secs(1),
            "message {n} took {took:?} to reach node B"
        );
    }
}
