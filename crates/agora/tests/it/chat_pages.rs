//! The chat pages without script (the inbox, "Contact the seller", a conversation whose form
//! posts and reloads) and the shop's median first-response time on its profile.

use reqwest::StatusCode;

use crate::chat::{chat, open, say};
use crate::support::{db_test, read, Reply, TestApp};

db_test!(the_shops_median_first_response_time_is_on_its_profile, |t| {
    let c = chat(&t).await;
    let r = t.get(&format!("/api/v1/shops/{}", c.shop), None).await;
    let slug = r.body["slug"].as_str().unwrap_or_default().to_owned();
    let page = t.client.get(t.url(&format!("/s/{slug}"))).send().await.unwrap();
    let html = page.text().await.unwrap();
    assert!(html.contains("No replies to measure yet"), "{html}");
    assert!(html.contains(&format!("/messages/new?shop={}", c.shop)));

    let id = open(&t, &c.buyer, &c.shop, Some("Question one")).await;
    say(&t, &c.buyer, &id, "Question two, before any answer").await;
    say(&t, &c.seller, &id, "Answer").await;
    say(&t, &c.seller, &id, "A second answer is not a first response").await;
    let asked = agora_app::conversations::median_reply_ms(&t.app, &c.shop)
        .await
        .unwrap();
    assert!(asked.is_some_and(|ms| ms < 60_000), "{asked:?}");
    let html = t
        .client
        .get(t.url(&format!("/s/{slug}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("Usually replies within 1 minute"), "{html}");
});

/// Posts the conversation page's form as a browser without script does (multipart).
async fn post_page_form(t: &TestApp, token: &str, path: &str, body: &str) -> Reply {
    const CSRF: &str = "ttttttttttttttttttttttttttttttttttttttttttt";
    let form = reqwest::multipart::Form::new()
        .text("csrf", CSRF)
        .text("body", body.to_owned());
    let req = t
        .client
        .post(t.url(path))
        .header("cookie", format!("agora_session={token}; agora_csrf={CSRF}"))
        .multipart(form);
    read(req.send().await.unwrap()).await
}

db_test!(the_inbox_and_the_conversation_pages_work_without_script, |t| {
    let c = chat(&t).await;
    let r = crate::page_session::get(&t, &format!("/messages/new?shop={}", c.shop), &c.buyer).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert!(r.text.contains("Contact Sound Shop"));
    let r = crate::page_session::post(
        &t,
        "/messages",
        &c.buyer,
        &[
            ("shop", &c.shop),
            ("subject", "Colours?"),
            ("body", "Which colours are there?"),
        ],
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    let location = r.headers["location"].to_str().unwrap().to_owned();
    let inbox = crate::page_session::get(&t, "/messages", &c.seller).await;
    assert!(
        inbox.text.contains("Colours?") && inbox.text.contains("1 unread"),
        "{}",
        inbox.text
    );

    let page = crate::page_session::get(&t, &location, &c.seller).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.text.contains("Which colours are there?"));
    assert!(page.text.contains("chat."), "the page loads its script");
    let inbox = crate::page_session::get(&t, "/messages", &c.seller).await;
    assert!(!inbox.text.contains("1 unread"), "seeing the conversation read it");

    let r = post_page_form(&t, &c.seller, &location, "Black and white.").await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    let page = crate::page_session::get(&t, &location, &c.buyer).await;
    assert!(page.text.contains("Black and white."));
    let r = post_page_form(&t, &c.seller, &location, "").await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text.contains("Must not be empty."), "{}", r.text);

    let product = t
        .post(
            &format!("/api/v1/shops/{}/products", c.shop),
            Some(&c.seller),
            crate::hostile::product("Aurora headphones", "AUR-1", "4006381333931", 14900),
        )
        .await;
    let product = product.body["id"].as_str().unwrap();
    let page = t.client.get(t.url(&format!("/p/{product}"))).send().await.unwrap();
    let html = page.text().await.unwrap();
    assert!(html.contains(&format!("/messages/new?shop={}&amp;product={product}", c.shop)));
});
