//! Accounts and the back office in the browser: registering logs in, login keeps the email, a
//! password change names the API tokens it revoked, the shop application is all or nothing and
//! sent once, and the operator reads the whole exchange and confirms a rejection.

use reqwest::StatusCode;
use serde_json::json;

use crate::page_session;
use crate::support::{db_test, pdf, read, Reply, TestApp, PASSWORD};

const CSRF: &str = "ttttttttttttttttttttttttttttttttttttttttttt";

/// Posts a page form as a visitor who is not logged in.
async fn post_anon(t: &TestApp, path: &str, fields: &[(&str, &str)]) -> Reply {
    let mut form = vec![("csrf", CSRF)];
    form.extend_from_slice(fields);
    let req = t
        .client
        .post(t.url(path))
        .header("cookie", format!("agora_csrf={CSRF}"))
        .form(&form);
    read(req.send().await.unwrap()).await
}

/// Sends the shop application form, with a file when one is given.
async fn apply(t: &TestApp, token: &str, fields: &[(&str, &str)], file: Option<Vec<u8>>) -> Reply {
    let mut form = reqwest::multipart::Form::new().text("csrf", CSRF);
    for (k, v) in fields {
        form = form.text(k.to_string(), v.to_string());
    }
    if let Some(bytes) = file {
        form = form.part("file", reqwest::multipart::Part::bytes(bytes).file_name("licence.pdf"));
    }
    let req = t
        .client
        .post(t.url("/sell/apply"))
        .header("cookie", format!("agora_session={token}; agora_csrf={CSRF}"))
        .multipart(form);
    read(req.send().await.unwrap()).await
}

fn location(r: &Reply) -> String {
    r.headers
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

async fn my_shops(t: &TestApp, token: &str) -> Vec<serde_json::Value> {
    let me = t.get("/api/v1/me", Some(token)).await;
    me.body["shops"].as_array().cloned().unwrap_or_default()
}

db_test!(registering_logs_in_and_a_failed_login_keeps_the_email, |t| {
    let r = post_anon(
        &t,
        "/register",
        &[
            ("kind", "individual"),
            ("name", "Rita"),
            ("email", "rita@example.com"),
            ("password", PASSWORD),
        ],
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    assert_eq!(location(&r), "/account?done=welcome");
    let cookies: Vec<_> = r
        .headers
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect();
    assert!(
        cookies
            .iter()
            .any(|c| c.starts_with("agora_session=") && !c.starts_with("agora_session=;")),
        "{cookies:?}"
    );

    let r = post_anon(
        &t,
        "/login",
        &[("email", "rita@example.com"), ("password", "not the password")],
    )
    .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert!(r.text.contains(r#"value="rita@example.com""#), "the email is kept");
    assert!(r.text.contains("do not match"));

    // The company-name field is only for company accounts (the form hides it for people).
    let page = t.get("/register", None).await;
    assert!(page.text.contains("company-field"));
});

db_test!(changing_the_password_names_the_api_tokens_it_revoked, |t| {
    let token = t.user("pat@example.com").await;
    let made = t
        .post("/api/v1/tokens", Some(&token), json!({"name": "Stock sync"}))
        .await;
    assert_eq!(made.status, StatusCode::CREATED, "{}", made.text);
    let script = made.body["token"].as_str().unwrap().to_owned();
    assert_eq!(t.get("/api/v1/me", Some(&script)).await.status, StatusCode::OK);

    let r = page_session::post(
        &t,
        "/account/password",
        &token,
        &[
            ("current_password", PASSWORD),
            ("new_password", "a brand new passphrase"),
        ],
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert!(r.text.contains("API tokens were revoked"), "{}", r.text);
    assert!(r.text.contains("id=\"revoked-tokens\""));
    assert!(r.text.contains("Stock sync"), "the revoked token is named");
    assert_eq!(
        t.get("/api/v1/me", Some(&script)).await.status,
        StatusCode::UNAUTHORIZED
    );

    // A wrong current password changes nothing and lists nothing.
    let r = page_session::post(
        &t,
        "/account/password",
        &token,
        &[
            ("current_password", "wrong wrong"),
            ("new_password", "another passphrase"),
        ],
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(!r.text.contains("id=\"revoked-tokens\""));
});

db_test!(a_shop_application_is_all_or_nothing_and_sent_once, |t| {
    let operator = t.operator().await;
    t.category(&operator, "food", true).await;
    let seller = t.user("sam@example.com").await;

    let form = t.get("/sell/apply", None).await;
    assert_ne!(form.status, StatusCode::OK, "the form needs a login");
    let form = page_session::get(&t, "/sell/apply", &seller).await;
    assert!(
        form.text.contains(r#"<select id="kind" name="kind""#),
        "document kind is a choice"
    );
    assert!(form.text.contains(r#"<option value="food""#));

    let fields = [
        ("name", "Sam's Deli"),
        ("legal_name", "Sam Deli GmbH"),
        ("registration_number", "HRB 4242"),
        ("category:food", "1"),
        ("kind", "food"),
        ("expires_on", "2099-12-31"),
    ];
    // A file that is not a document: nothing is made and every field is kept.
    let r = apply(&t, &seller, &fields, Some(b"just some text".to_vec())).await;
    assert_eq!(r.status, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{}", r.text);
    for kept in [
        r#"value="Sam&#39;s Deli""#,
        r#"value="Sam Deli GmbH""#,
        r#"value="HRB 4242""#,
        r#"value="2099-12-31""#,
        r#"name="category:food" value="1" checked"#,
        r#"<option value="food" selected"#,
    ] {
        assert!(r.text.contains(kept), "keeps {kept}: {}", r.text);
    }
    assert!(r.text.contains("must be a PDF, PNG or JPEG file"));
    assert!(
        my_shops(&t, &seller).await.is_empty(),
        "a refused document creates no shop"
    );

    // A kind the platform does not know is refused the same way.
    let mut unknown = fields.to_vec();
    unknown[4] = ("kind", "made_up");
    let r = apply(&t, &seller, &unknown, Some(pdf())).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert!(my_shops(&t, &seller).await.is_empty());

    let r = apply(&t, &seller, &fields, Some(pdf())).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    let first = location(&r);
    assert!(first.ends_with("?applied=1"), "{first}");
    let shops = my_shops(&t, &seller).await;
    assert_eq!(shops.len(), 1);
    let id = shops[0]["id"].as_str().unwrap().to_owned();
    let shop = t.get(&format!("/api/v1/shops/{id}"), Some(&seller)).await;
    assert_eq!(
        shop.body["qualifications"].as_array().map(Vec::len),
        Some(1),
        "{}",
        shop.text
    );

    // Sent again (a double click, a resend): the same shop, nothing new.
    let r = apply(&t, &seller, &fields, Some(pdf())).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    assert_eq!(location(&r), format!("/sell/shops/{id}?already=1"));
    assert_eq!(my_shops(&t, &seller).await.len(), 1);
    let shop = t.get(&format!("/api/v1/shops/{id}"), Some(&seller)).await;
    assert_eq!(shop.body["qualifications"].as_array().map(Vec::len), Some(1));
});

db_test!(
    a_too_large_document_keeps_the_application_form,
    settings = agora_app::Settings {
        max_upload_bytes: 1024,
        ..agora_app::Settings::default()
    },
    |t| {
        let operator = t.operator().await;
        t.category(&operator, "food", true).await;
        let seller = t.user("big@example.com").await;
        let mut big = pdf();
        big.resize(4096, b' ');
        let fields = [
            ("name", "Big Files"),
            ("legal_name", "Big Files Ltd"),
            ("category:food", "1"),
            ("kind", "food"),
        ];
        let r = apply(&t, &seller, &fields, Some(big)).await;
        assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", r.text);
        assert!(r.text.contains(r#"value="Big Files Ltd""#), "{}", r.text);
        assert!(r.text.contains("is too large"));
        assert!(my_shops(&t, &seller).await.is_empty());
    }
);

db_test!(the_operator_reads_the_exchange_and_confirms_a_rejection, |t| {
    let operator = t.operator().await;
    t.category(&operator, "food", true).await;
    let seller = t.user("olga@example.com").await;
    let id = t.shop(&seller, "Olga's Oils", &["food"]).await;
    let path = format!("/admin/shops/{id}");
    let decision = format!("{path}/decision");
    let r = page_session::post(
        &t,
        &decision,
        &operator,
        &[("decision", "request_info"), ("message", "Which licence do you hold?")],
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    let up = t.upload(&seller, &id, "food", None, "licence.pdf", pdf()).await;
    assert_eq!(up.status, StatusCode::CREATED, "{}", up.text);

    let page = page_session::get(&t, &path, &operator).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.text.contains("olga@example.com"), "the applicant's email");
    let history = &page.text[page.text.find("id=\"review-history\"").expect("a history")..];
    let asked = history.find("Which licence do you hold?").expect("the question");
    let answered = history.find("Uploaded a document (food)").expect("the answer");
    assert!(history.find("Sent the application").unwrap() < asked && asked < answered);
    // Only operators read it.
    assert_eq!(
        page_session::get(&t, &path, &seller).await.status,
        StatusCode::FORBIDDEN
    );

    // Rejecting asks first, on a page of its own; nothing is decided yet.
    let r = page_session::post(
        &t,
        &decision,
        &operator,
        &[("decision", "reject"), ("reason", "No valid licence")],
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert!(r.text.contains("id=\"confirm-reject\""));
    assert!(r.text.contains(r#"name="confirmed" value="yes""#));
    let status = t.get(&format!("/api/v1/shops/{id}"), Some(&seller)).await.body["status"].clone();
    assert_eq!(status, "pending");

    let r = page_session::post(
        &t,
        &decision,
        &operator,
        &[
            ("decision", "reject"),
            ("reason", "No valid licence"),
            ("confirmed", "yes"),
        ],
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    let status = t.get(&format!("/api/v1/shops/{id}"), Some(&seller)).await.body["status"].clone();
    assert_eq!(status, "rejected");

    // The rejected shop offers no upload form.
    let page = page_session::get(&t, &format!("/sell/shops/{id}"), &seller).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        !page.text.contains(&format!("/sell/shops/{id}/documents")),
        "{}",
        page.text
    );
    assert!(page.text.contains("id=\"no-upload\""));
});
