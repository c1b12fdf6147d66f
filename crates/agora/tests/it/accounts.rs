use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::support::{db_test, PASSWORD};

db_test!(a_person_registers_logs_in_and_out, |t| {
    let r = t
        .post(
            "/api/v1/auth/register",
            None,
            json!({"email": "Ada@Example.com", "password": PASSWORD, "name": "Ada", "kind": "individual"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(r.body["email"], "ada@example.com");
    assert_eq!(r.body["kind"], "individual");
    assert!(r.body["id"].as_str().unwrap().starts_with("acc_"));

    let login = t
        .post(
            "/api/v1/auth/login",
            None,
            json!({"email": "ada@example.com", "password": PASSWORD}),
        )
        .await;
    assert_eq!(login.status, StatusCode::OK);
    let cookie = login.headers.get("set-cookie").unwrap().to_str().unwrap().to_owned();
    assert!(
        cookie.starts_with("agora_session=") && cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
    let token = login.body["token"].as_str().unwrap().to_owned();
    assert!(token.len() >= 22, "at least 128 random bits");

    let me = t.get("/api/v1/me", Some(&token)).await;
    assert_eq!(me.status, StatusCode::OK);
    assert_eq!(me.body["name"], "Ada");
    assert_eq!(me.body["roles"], json!(["buyer"]));

    let out = t.call(Method::POST, "/api/v1/auth/logout", Some(&token), None).await;
    assert_eq!(out.status, StatusCode::NO_CONTENT);
    let after = t.get("/api/v1/me", Some(&token)).await;
    assert_eq!(after.status, StatusCode::UNAUTHORIZED);
    assert_eq!(after.content_type(), "application/problem+json");
});

db_test!(
    an_enterprise_account_gets_its_company_with_the_registrant_as_admin,
    |t| {
        let (token, company_id) = t.company_admin("anna@acme.test", "Acme Ltd").await;
        let me = t.get("/api/v1/me", Some(&token)).await;
        assert_eq!(me.body["kind"], "enterprise");
        assert_eq!(
            me.body["company"],
            json!({"id": company_id, "name": "Acme Ltd", "role": "admin"})
        );
        let missing = t
            .post(
                "/api/v1/auth/register",
                None,
                json!({"email": "x@acme.test", "password": PASSWORD, "name": "X", "kind": "enterprise"}),
            )
            .await;
        assert_eq!(missing.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(missing.body["errors"][0]["field"], "company_name");
    }
);

db_test!(registering_a_taken_email_reveals_nothing_and_changes_nothing, |t| {
    let body = |password: &str| json!({"email": "taken@example.com", "password": password, "name": "Someone", "kind": "individual"});
    let first = t.post("/api/v1/auth/register", None, body(PASSWORD)).await;
    let second = t.post("/api/v1/auth/register", None, body("another password")).await;
    assert_eq!(first.status, second.status);
    let keys = |v: &serde_json::Value| v.as_object().unwrap().keys().cloned().collect::<Vec<_>>();
    assert_eq!(keys(&first.body), keys(&second.body));
    // The original password still works; the second registration's does not.
    t.login("taken@example.com").await;
    let r = t
        .post(
            "/api/v1/auth/login",
            None,
            json!({"email": "taken@example.com", "password": "another password"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
});

db_test!(a_wrong_password_and_an_unknown_email_get_the_same_answer, |t| {
    t.user("known@example.com").await;
    let wrong = t
        .post(
            "/api/v1/auth/login",
            None,
            json!({"email": "known@example.com", "password": "not the password"}),
        )
        .await;
    let unknown = t
        .post(
            "/api/v1/auth/login",
            None,
            json!({"email": "nobody@example.com", "password": "not the password"}),
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert_eq!(wrong.status, unknown.status);
    assert_eq!(wrong.body, unknown.body);
});

db_test!(repeated_failed_logins_are_rate_limited_and_audited, |t| {
    t.user("target@example.com").await;
    for _ in 0..5 {
        let r = t
            .post(
                "/api/v1/auth/login",
                None,
                json!({"email": "target@example.com", "password": "guess guess"}),
            )
            .await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    }
    // Even the right password is refused while the account is locked out.
    let r = t
        .post(
            "/api/v1/auth/login",
            None,
            json!({"email": "target@example.com", "password": PASSWORD}),
        )
        .await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(r.problem_type(), "/problems/rate-limited");
    assert!(r.headers.contains_key("retry-after"));
    let mut conn = t.app.db.conn().await.unwrap();
    let entries = agora_store::audit::for_subject(&mut conn, "target@example.com", 10)
        .await
        .unwrap();
    assert!(entries.iter().any(|e| e.action == "login.failure_burst"), "{entries:?}");
});

db_test!(tokens_are_listed_without_secrets_and_revoked_by_their_owner_only, |t| {
    let ada = t.user("ada@example.com").await;
    let bob = t.user("bob@example.com").await;
    let created = t.post("/api/v1/tokens", Some(&ada), json!({"name": "ERP sync"})).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
    let secret = created.body["token"].as_str().unwrap().to_owned();
    let id = created.body["id"].as_str().unwrap().to_owned();
    assert_eq!(t.get("/api/v1/me", Some(&secret)).await.status, StatusCode::OK);

    let list = t.get("/api/v1/tokens", Some(&ada)).await;
    let names: Vec<_> = list.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["name"].as_str().unwrap().to_owned())
        .collect();
    assert!(names.contains(&"ERP sync".to_owned()));
    assert!(!list.text.contains(&secret), "a listed token never shows its secret");
    let bobs = t.get("/api/v1/tokens", Some(&bob)).await;
    assert!(!bobs.text.contains(&id), "bob does not see ada's tokens");

    let theft = t
        .call(Method::DELETE, &format!("/api/v1/tokens/{id}"), Some(&bob), None)
        .await;
    assert_eq!(theft.status, StatusCode::NOT_FOUND);
    assert_eq!(t.get("/api/v1/me", Some(&secret)).await.status, StatusCode::OK);

    let revoked = t
        .call(Method::DELETE, &format!("/api/v1/tokens/{id}"), Some(&ada), None)
        .await;
    assert_eq!(revoked.status, StatusCode::NO_CONTENT);
    assert_eq!(
        t.get("/api/v1/me", Some(&secret)).await.status,
        StatusCode::UNAUTHORIZED
    );
});

db_test!(changing_the_password_ends_every_other_session, |t| {
    let first = t.user("ada@example.com").await;
    let second = t.login("ada@example.com").await;
    let wrong = t
        .post(
            "/api/v1/me/password",
            Some(&first),
            json!({"current_password": "nope nope", "new_password": "brand new secret"}),
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(wrong.body["errors"][0]["field"], "current_password");
    let short = t
        .post(
            "/api/v1/me/password",
            Some(&first),
            json!({"current_password": PASSWORD, "new_password": "short"}),
        )
        .await;
    assert_eq!(short.status, StatusCode::UNPROCESSABLE_ENTITY);

    let ok = t
        .post(
            "/api/v1/me/password",
            Some(&first),
            json!({"current_password": PASSWORD, "new_password": "brand new secret"}),
        )
        .await;
    assert_eq!(ok.status, StatusCode::NO_CONTENT, "{}", ok.text);
    assert_eq!(t.get("/api/v1/me", Some(&first)).await.status, StatusCode::OK);
    assert_eq!(
        t.get("/api/v1/me", Some(&second)).await.status,
        StatusCode::UNAUTHORIZED
    );
    let new_login = t
        .post(
            "/api/v1/auth/login",
            None,
            json!({"email": "ada@example.com", "password": "brand new secret"}),
        )
        .await;
    assert_eq!(new_login.status, StatusCode::OK);
});

db_test!(bad_registration_input_gets_a_clear_problem_and_writes_nothing, |t| {
    let raw = |body: &'static str, content_type: &'static str| {
        t.client
            .post(t.url("/api/v1/auth/register"))
            .header("content-type", content_type)
            .body(body)
            .send()
    };
    let malformed = crate::support::read(raw("{\"email\": ", "application/json").await.unwrap()).await;
    assert_eq!(malformed.status, StatusCode::BAD_REQUEST);
    assert_eq!(malformed.content_type(), "application/problem+json");
    assert_eq!(malformed.problem_type(), "/problems/malformed");

    let not_json = crate::support::read(raw("email=a", "application/x-www-form-urlencoded").await.unwrap()).await;
    assert_eq!(not_json.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);

    let wrong_type = t
        .post(
            "/api/v1/auth/register",
            None,
            json!({"email": 5, "password": PASSWORD, "name": "A", "kind": "individual"}),
        )
        .await;
    assert_eq!(wrong_type.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(wrong_type.body["errors"][0]["field"], "email");

    let missing = t
        .post(
            "/api/v1/auth/register",
            None,
            json!({"email": "a@example.com", "name": "A", "kind": "individual"}),
        )
        .await;
    assert_eq!(missing.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        missing.body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("password"),
        "{}",
        missing.text
    );

    let unknown_kind = t
        .post(
            "/api/v1/auth/register",
            None,
            json!({"email": "a@example.com", "password": PASSWORD, "name": "A", "kind": "robot"}),
        )
        .await;
    assert_eq!(unknown_kind.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(unknown_kind.body["errors"][0]["field"], "kind");

    let long_name = "n".repeat(5000);
    let too_long = t
        .post(
            "/api/v1/auth/register",
            None,
            json!({"email": "a@example.com", "password": PASSWORD, "name": long_name, "kind": "individual"}),
        )
        .await;
    assert_eq!(too_long.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(too_long.body["errors"][0]["field"], "name");

    let card = t.post("/api/v1/auth/register", None, json!({"email": "a@example.com", "password": PASSWORD, "name": "A", "kind": "individual", "payment": {"card_number": "4111111111111111"}})).await;
    assert_eq!(card.status, StatusCode::BAD_REQUEST);
    assert!(!card.text.contains("4111111111111111"));

    // None of these created the account.
    let login = t
        .post(
            "/api/v1/auth/login",
            None,
            json!({"email": "a@example.com", "password": PASSWORD}),
        )
        .await;
    assert_eq!(login.status, StatusCode::UNAUTHORIZED);
});

db_test!(
    one_client_guessing_many_accounts_is_rate_limited,
    settings = agora_app::Settings {
        login_failures_per_client: 3,
        ..Default::default()
    },
    |t| {
        t.user("victim@example.com").await;
        for i in 0..3 {
            let r = t
                .post(
                    "/api/v1/auth/login",
                    None,
                    json!({"email": format!("guess{i}@example.com"), "password": "guess guess"}),
                )
                .await;
            assert_eq!(r.status, StatusCode::UNAUTHORIZED);
        }
        // A fourth account from the same address: refused before the password is even checked.
        let r = t
            .post(
                "/api/v1/auth/login",
                None,
                json!({"email": "victim@example.com", "password": PASSWORD}),
            )
            .await;
        assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    }
);
