//! Signing in safely: login limits that hold under concurrency and cannot lock an owner out, the
//! password policy, session lifetimes, secrets that are shown once and never cached or stored, and
//! bounded password hashing.

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::support::{db_test, read, Engine, Reply, TestApp, PASSWORD};

/// Logs in through the API with `client`, which may come from another address.
async fn login_with(t: &TestApp, client: &reqwest::Client, email: &str, password: &str) -> Reply {
    let req = client
        .post(t.url("/api/v1/auth/login"))
        .json(&json!({"email": email, "password": password}));
    read(req.send().await.expect("the server answers")).await
}

async fn register_with(t: &TestApp, client: &reqwest::Client, email: &str) -> Reply {
    let body = json!({"email": email, "password": PASSWORD, "name": "Someone", "kind": "individual"});
    read(
        client
            .post(t.url("/api/v1/auth/register"))
            .json(&body)
            .send()
            .await
            .unwrap(),
    )
    .await
}

db_test!(concurrent_guesses_check_no_more_passwords_than_the_limit, |t| {
    t.user("target@example.com").await;
    let guesses = (0..20).map(|i| {
        let password = if i % 4 == 0 { PASSWORD } else { "wrong wrong" };
        login_with(&t, &t.client, "target@example.com", password)
    });
    let replies = futures::future::join_all(guesses).await;
    let count = |status| replies.iter().filter(|r| r.status == status).count();
    let (ok, wrong, limited) = (
        count(StatusCode::OK),
        count(StatusCode::UNAUTHORIZED),
        count(StatusCode::TOO_MANY_REQUESTS),
    );
    assert_eq!(ok + wrong + limited, 20, "{replies:?}");
    assert!(wrong <= 5, "{wrong} wrong passwords were checked; the limit is 5");
    assert!(limited >= 10, "only {limited} of 20 were refused");
});

db_test!(failures_from_one_address_do_not_lock_the_owner_out_elsewhere, |t| {
    t.user("owner@example.com").await;
    let attacker = t.client_from(2);
    for _ in 0..5 {
        let r = login_with(&t, &attacker, "owner@example.com", "guess guess").await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    }
    // The attacker's address is locked out of this account, even with the right password...
    let r = login_with(&t, &attacker, "owner@example.com", PASSWORD).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(r.headers.contains_key("retry-after"));
    // ...but the owner, from another address, logs in (a little slower).
    let owner = t.client_from(3);
    let r = login_with(&t, &owner, "owner@example.com", PASSWORD).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    // So does another account from the attacker's address: its limit is per account there.
    t.user("other@example.com").await;
    let r = login_with(&t, &attacker, "other@example.com", PASSWORD).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
});

db_test!(common_passwords_are_refused_with_the_reason, |t| {
    for common in ["password123", "Qwertyuiop", "iloveyou1"] {
        let r = t
            .post(
                "/api/v1/auth/register",
                None,
                json!({"email": "ada@example.com", "password": common, "name": "Ada", "kind": "individual"}),
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{common}: {}", r.text);
        assert_eq!(r.body["errors"][0]["field"], "password");
        let message = r.body["errors"][0]["message"].as_str().unwrap();
        assert!(message.contains("most common passwords"), "{message}");
    }
    let login = login_with(&t, &t.client, "ada@example.com", "password123").await;
    assert_eq!(login.status, StatusCode::UNAUTHORIZED, "no account was made");

    let token = t.user("bob@example.com").await;
    let r = t
        .post(
            "/api/v1/me/password",
            Some(&token),
            json!({"current_password": PASSWORD, "new_password": "baseball1"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert_eq!(r.body["errors"][0]["field"], "new_password");
});

/// The id of the token a request is made with.
async fn token_id(t: &TestApp, token: &str) -> String {
    let list = t.get("/api/v1/tokens", Some(token)).await;
    let items = list.body["items"].as_array().unwrap();
    let current = items.iter().find(|i| i["current"] == true).expect("the current token");
    current["id"].as_str().unwrap().to_owned()
}

db_test!(a_session_unused_for_a_week_ends, |t| {
    let stale = t.user("ada@example.com").await;
    let recent = t.login("ada@example.com").await;
    let day = 24 * 60 * 60 * 1000_i64;
    for (token, idle_days) in [(&stale, 8), (&recent, 6)] {
        let id = token_id(&t, token).await;
        t.sql(&format!(
            "UPDATE auth_tokens SET last_used_at = last_used_at - {} WHERE id = '{id}'",
            idle_days * day
        ))
        .await;
    }
    assert_eq!(t.get("/api/v1/me", Some(&stale)).await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(t.get("/api/v1/me", Some(&recent)).await.status, StatusCode::OK);
    let listed = t.get("/api/v1/tokens", Some(&recent)).await;
    assert_eq!(listed.body["items"].as_array().unwrap().len(), 1, "{}", listed.text);
});

/// Posts JSON with an `Idempotency-Key`.
async fn post_with_key(t: &TestApp, path: &str, token: Option<&str>, key: &str, body: Value) -> Reply {
    let mut req = t.client.post(t.url(path)).header("Idempotency-Key", key).json(&body);
    if let Some(token) = token {
        req = req.bearer_auth(token);
    }
    read(req.send().await.unwrap()).await
}

/// What the idempotency table holds, as text.
async fn stored_responses(t: &TestApp) -> String {
    use sqlx::Row;
    let mut conn = t.app.db.conn().await.unwrap();
    let rows = sqlx::query("SELECT COALESCE(body, '') FROM idempotency_keys")
        .fetch_all(&mut *conn)
        .await
        .unwrap();
    rows.iter()
        .map(|r| r.get::<String, _>(0))
        .collect::<Vec<_>>()
        .join("\n")
}

db_test!(secrets_are_shown_once_and_never_stored_or_cached, |t| {
    t.user("ada@example.com").await;
    let body = json!({"email": "ada@example.com", "password": PASSWORD});
    let first = post_with_key(&t, "/api/v1/auth/login", None, "login-1", body.clone()).await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.text);
    assert_eq!(first.headers["cache-control"], "no-store");
    let secret = first.body["token"].as_str().unwrap().to_owned();
    let replay = post_with_key(&t, "/api/v1/auth/login", None, "login-1", body).await;
    assert_eq!(replay.status, StatusCode::CONFLICT, "{}", replay.text);
    assert_eq!(replay.content_type(), "application/problem+json");
    assert_eq!(replay.problem_type(), "/problems/secret-shown-once");
    assert!(
        replay.body["detail"].as_str().unwrap().contains("shown only once"),
        "{}",
        replay.text
    );
    assert!(!replay.text.contains(&secret));

    let created = post_with_key(&t, "/api/v1/tokens", Some(&secret), "token-1", json!({"name": "ERP"})).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
    assert_eq!(created.headers["cache-control"], "no-store");
    let token_secret = created.body["token"].as_str().unwrap().to_owned();
    let replay = post_with_key(&t, "/api/v1/tokens", Some(&secret), "token-1", json!({"name": "ERP"})).await;
    assert_eq!(replay.status, StatusCode::CONFLICT);
    assert!(!replay.text.contains(&token_secret));
    let list = t.get("/api/v1/tokens", Some(&secret)).await;
    let erp = list.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["name"] == "ERP");
    assert_eq!(erp.count(), 1, "the token was made once");

    let stored = stored_responses(&t).await;
    assert!(!stored.contains(&secret) && !stored.contains(&token_secret), "{stored}");

    // A private document is not cached either.
    let shop = t.shop(&secret, "Papers", &[]).await;
    let r = t
        .upload(&secret, &shop, "trade", None, "reg.pdf", crate::support::pdf())
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let id = r.body["id"].as_str().unwrap();
    let doc = t
        .get(&format!("/api/v1/qualifications/{id}/document"), Some(&secret))
        .await;
    assert_eq!(doc.status, StatusCode::OK);
    assert_eq!(doc.headers["cache-control"], "no-store");
});

db_test!(
    registrations_are_limited_per_address,
    settings = agora_app::Settings {
        registrations_per_client: 2,
        ..Default::default()
    },
    |t| {
        let invalid = t
            .post(
                "/api/v1/auth/register",
                None,
                json!({"email": "bad", "password": PASSWORD, "name": "A", "kind": "individual"}),
            )
            .await;
        assert_eq!(invalid.status, StatusCode::UNPROCESSABLE_ENTITY, "a typo costs nothing");
        for email in ["a@example.com", "b@example.com"] {
            assert_eq!(register_with(&t, &t.client, email).await.status, StatusCode::CREATED);
        }
        let third = register_with(&t, &t.client, "c@example.com").await;
        assert_eq!(third.status, StatusCode::TOO_MANY_REQUESTS, "{}", third.text);
        assert_eq!(third.problem_type(), "/problems/rate-limited");
        assert!(third.headers.contains_key("retry-after"));
        let elsewhere = register_with(&t, &t.client_from(2), "c@example.com").await;
        assert_eq!(elsewhere.status, StatusCode::CREATED, "{}", elsewhere.text);
    }
);

db_test!(
    hashing_beyond_its_queue_is_refused_with_503,
    settings = agora_app::Settings {
        hash_threads: 1,
        hash_queue: 0,
        ..Default::default()
    },
    |t| {
        let t = &t;
        let attempts = (0..12u8).map(|i| {
            let client = t.client_from(10 + i);
            async move { register_with(t, &client, &format!("p{i}@example.com")).await }
        });
        let replies = futures::future::join_all(attempts).await;
        let created = replies.iter().filter(|r| r.status == StatusCode::CREATED).count();
        let busy: Vec<_> = replies
            .iter()
            .filter(|r| r.status == StatusCode::SERVICE_UNAVAILABLE)
            .collect();
        assert_eq!(created + busy.len(), 12, "{replies:?}");
        assert!(
            created >= 1 && !busy.is_empty(),
            "{created} created, {} busy",
            busy.len()
        );
        for r in &busy {
            assert_eq!(r.problem_type(), "/problems/busy");
            assert_eq!(r.headers["retry-after"], "1");
        }
        // A refused registration changed nothing: the address may simply try again.
        let i = replies
            .iter()
            .position(|r| r.status == StatusCode::SERVICE_UNAVAILABLE)
            .unwrap();
        let again = register_with(t, &t.client_from(10 + i as u8), &format!("p{i}@example.com")).await;
        assert_eq!(again.status, StatusCode::CREATED, "{}", again.text);
    }
);

/// The value of cookie `name` among a response's `Set-Cookie` headers, with its attributes.
fn set_cookie<'a>(reply: &'a Reply, name: &str) -> Option<&'a str> {
    reply
        .headers
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with(&format!("{name}=")))
}

fn cookie_value(set_cookie: &str) -> &str {
    set_cookie.split(';').next().unwrap().split_once('=').unwrap().1
}

/// Logs in through the login page, following the CSRF dance; returns the login response and the
/// CSRF token the form was sent with.
async fn page_login(t: &TestApp, next: &str) -> (Reply, String) {
    let form = read(t.client.get(t.url("/login")).send().await.unwrap()).await;
    let csrf = cookie_value(set_cookie(&form, "agora_csrf").expect("a CSRF cookie")).to_owned();
    let req = t
        .client
        .post(t.url("/login"))
        .header("cookie", format!("agora_csrf={csrf}"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("email", "ada@example.com"),
            ("password", PASSWORD),
            ("next", next),
        ]);
    (read(req.send().await.unwrap()).await, csrf)
}

db_test!(a_page_login_renews_the_csrf_token_and_follows_only_local_paths, |t| {
    t.user("ada@example.com").await;
    let (login, before) = page_login(&t, "/sell/apply").await;
    assert_eq!(login.status, StatusCode::SEE_OTHER, "{}", login.text);
    assert_eq!(login.headers["location"], "/sell/apply");
    assert_eq!(login.headers["cache-control"], "no-store");
    let renewed = set_cookie(&login, "agora_csrf").expect("a new CSRF cookie at login");
    let after = cookie_value(renewed);
    assert_ne!(after, before);
    assert_eq!(after.len(), 43);
    let session = cookie_value(set_cookie(&login, "agora_session").unwrap()).to_owned();

    // The page that shows a new token's secret is not cached.
    let req = t
        .client
        .post(t.url("/account/tokens"))
        .header("cookie", format!("agora_csrf={after}; agora_session={session}"))
        .form(&[("csrf", after), ("name", "ERP")]);
    let shown = read(req.send().await.unwrap()).await;
    assert_eq!(shown.status, StatusCode::OK, "{}", shown.text);
    assert_eq!(shown.headers["cache-control"], "no-store");

    for foreign in [
        "//evil.example",
        "/\t/evil.example",
        "/\\evil.example",
        "https://evil.example",
    ] {
        let (login, _) = page_login(&t, foreign).await;
        assert_eq!(login.headers["location"], "/account", "{foreign:?}");
    }
});

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cookies_are_secure_when_asked() {
    let http = agora_http::HttpSettings { secure_cookies: true };
    let t = TestApp::spawn_with_http(Engine::Sqlite, agora_app::Settings::default(), http).await;
    t.user("ada@example.com").await;
    let form = read(t.client.get(t.url("/login")).send().await.unwrap()).await;
    assert!(set_cookie(&form, "agora_csrf").unwrap().contains("; Secure"));
    let (login, _) = page_login(&t, "/account").await;
    for name in ["agora_csrf", "agora_session"] {
        let cookie = set_cookie(&login, name).unwrap_or_else(|| panic!("{name} is set at login"));
        assert!(cookie.contains("; Secure"), "{cookie}");
    }
    let api = t
        .call(
            Method::POST,
            "/api/v1/auth/login",
            None,
            Some(json!({"email": "ada@example.com", "password": PASSWORD})),
        )
        .await;
    assert!(set_cookie(&api, "agora_csrf").unwrap().contains("; Secure"));
}
