//! Bad input anywhere is a 4xx with a clear answer, never a 500: control characters and NUL in
//! query strings, forms and JSON, query strings that do not parse, JSON naming a key twice.

use std::collections::{BTreeMap, BTreeSet};

use reqwest::{StatusCode, Url};
use serde_json::json;

use crate::crawl::{attribute, browser, crawl, demo, hidden_fields, logged_in, tags, NEVER_FOLLOWED};
use crate::support::{db_test, read, Reply, TestApp};

/// Parameters some page or endpoint reads, besides those the crawl finds in links.
const KNOWN_PARAMETERS: &[&str] = &[
    "q",
    "next",
    "registered",
    "variant",
    "done",
    "cursor",
    "limit",
    "status",
    "quantity",
    "country",
    "created",
    "saved",
    "applied",
    "uploaded",
    "upload_error",
];

/// A path's shape: segments that look like ids (`prd_…`) are one shape, so each kind of page is
/// tried once.
fn shape(path: &str) -> String {
    path.split('/')
        .map(|s| {
            if s.contains('_') && s.chars().any(|c| c.is_ascii_digit()) {
                "*"
            } else {
                s
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// Asks every kind of page `client` reaches with each parameter set to each of `values`; returns
/// the answers that were server errors, and the kinds of pages asked.
async fn try_every_parameter(
    t: &TestApp,
    client: &reqwest::Client,
    values: &[&str],
) -> (Vec<String>, BTreeSet<String>) {
    let visits = crawl(t, client).await;
    let mut parameters: BTreeSet<String> = KNOWN_PARAMETERS.iter().map(|p| p.to_string()).collect();
    let mut paths = BTreeMap::new();
    for visit in &visits {
        parameters.extend(visit.url.query_pairs().map(|(k, _)| k.into_owned()));
        paths
            .entry(shape(visit.url.path()))
            .or_insert_with(|| visit.url.path().to_owned());
    }
    let mut failures = Vec::new();
    for path in paths.values() {
        for parameter in &parameters {
            for value in values {
                let mut url = Url::parse(&t.url(path)).unwrap();
                url.query_pairs_mut().append_pair(parameter, value);
                let r = client.get(url.clone()).send().await.unwrap();
                if r.status().is_server_error() {
                    failures.push(format!("{} {url}", r.status().as_u16()));
                }
            }
        }
    }
    (failures, paths.into_keys().collect())
}

db_test!(
    control_characters_in_any_query_parameter_never_cause_a_server_error,
    |t| {
        demo(&t).await;
        let clients = [
            browser(),
            logged_in(&t, "operator@agora.example").await,
            logged_in(&t, "nora@nordlicht.example").await,
        ];
        let values = ["\u{1}\u{1f}\u{7f}", "\0"];
        let found = futures::future::join_all(clients.iter().map(|c| try_every_parameter(&t, c, &values))).await;
        let failures: Vec<String> = found.iter().flat_map(|(f, _)| f.clone()).collect();
        assert!(failures.is_empty(), "server errors:\n{}", failures.join("\n"));
        let tried: BTreeSet<&String> = found.iter().flat_map(|(_, shapes)| shapes).collect();
        for shape in [
            "/",
            "/login",
            "/search",
            "/p/*",
            "/account",
            "/admin/shops/*",
            "/sell/products/*",
        ] {
            assert!(tried.contains(&shape.to_owned()), "{shape} was not tried: {tried:?}");
        }
    }
);

/// A form on a page: where it posts, and its fields with the values the page gave them.
struct Form {
    action: Url,
    fields: Vec<(String, String)>,
}

/// The url-encoded POST forms of a page (multipart forms carry files and are read elsewhere).
fn forms(page: &Url, html: &str) -> Vec<Form> {
    html.split("<form")
        .skip(1)
        .filter_map(|piece| {
            let body = &piece[..piece.find("</form>")?];
            let tag = &body[..body.find('>')?];
            let post = attribute(tag, "method").is_some_and(|m| m.eq_ignore_ascii_case("post"));
            if !post || attribute(tag, "enctype").is_some_and(|e| e.contains("multipart")) {
                return None;
            }
            let action = page.join(&attribute(tag, "action").unwrap_or_default()).ok()?;
            let mut fields = Vec::new();
            for input in tags(body, "input") {
                let kind = attribute(input, "type").unwrap_or_default();
                if let (Some(name), false) = (attribute(input, "name"), kind == "submit" || kind == "file") {
                    fields.push((name, attribute(input, "value").unwrap_or_default()));
                }
            }
            for other in tags(body, "textarea").chain(tags(body, "select")) {
                if let Some(name) = attribute(other, "name") {
                    fields.push((name, String::new()));
                }
            }
            Some(Form { action, fields })
        })
        .collect()
}

/// Posts every form `client` finds, with each of its fields in turn set to `value`; returns what
/// was posted (`action field`) and the answer.
async fn try_every_form_field(t: &TestApp, client: &reqwest::Client, value: &str) -> Vec<(String, StatusCode)> {
    let mut pages = BTreeMap::new();
    for visit in crawl(t, client).await {
        pages.entry(shape(visit.url.path())).or_insert(visit.url);
    }
    let mut answers = Vec::new();
    for page in pages.values() {
        let html = client.get(page.clone()).send().await.unwrap().text().await.unwrap();
        for form in forms(page, &html) {
            if NEVER_FOLLOWED.iter().any(|word| form.action.path().contains(word)) {
                continue;
            }
            for (i, (name, _)) in form.fields.iter().enumerate().filter(|(_, (name, _))| name != "csrf") {
                let mut fields = form.fields.clone();
                fields[i].1 = value.to_owned();
                let r = client.post(form.action.clone()).form(&fields).send().await.unwrap();
                answers.push((format!("{} {name}", form.action.path()), r.status()));
            }
        }
    }
    answers
}

db_test!(
    control_characters_in_any_form_field_never_cause_a_server_error_and_nul_is_refused,
    |t| {
        demo(&t).await;
        let clients = [
            browser(),
            logged_in(&t, "operator@agora.example").await,
            logged_in(&t, "nora@nordlicht.example").await,
            logged_in(&t, "anna@acme.example").await,
        ];
        let mut failures = Vec::new();
        let mut tried = BTreeSet::new();
        for client in &clients {
            for (what, status) in try_every_form_field(&t, client, "\u{1}\u{1f}\u{7f}").await {
                if status.is_server_error() {
                    failures.push(format!("control characters: {} {what}", status.as_u16()));
                }
                tried.insert(what.split(' ').next().unwrap().to_owned());
            }
            for (what, status) in try_every_form_field(&t, client, "x\0y").await {
                if status != StatusCode::BAD_REQUEST {
                    failures.push(format!("NUL: {} {what}", status.as_u16()));
                }
            }
        }
        assert!(failures.is_empty(), "unexpected answers:\n{}", failures.join("\n"));
        // The forms of every area were tried, or the test proves little.
        for action in ["/login", "/register", "/account/password", "/account/company/members"] {
            assert!(tried.contains(action), "{action} was not tried: {tried:?}");
        }
        assert!(tried.iter().any(|a| a.starts_with("/sell/products/")), "{tried:?}");
    }
);

db_test!(a_nul_character_is_refused_before_it_reaches_the_database, |t| {
    let json = t
        .post(
            "/api/v1/auth/login",
            None,
            json!({"email": "a\u{0}@example.com", "password": "whatever it is"}),
        )
        .await;
    assert_eq!(json.status, StatusCode::BAD_REQUEST, "{}", json.text);
    assert_eq!(json.content_type(), "application/problem+json");

    let query = t.get("/api/v1/search?q=%00", None).await;
    assert_eq!(query.status, StatusCode::BAD_REQUEST, "{}", query.text);
    assert_eq!(query.content_type(), "application/problem+json");

    let page = t.get("/login?next=%00", None).await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST);
    assert!(page.content_type().starts_with("text/html"), "a friendly page");

    let address = t.get("/p/%00", None).await;
    assert_eq!(address.status, StatusCode::BAD_REQUEST);
    let api_address = t.get("/api/v1/products/a%00b", None).await;
    assert_eq!(api_address.status, StatusCode::BAD_REQUEST);
    assert_eq!(api_address.content_type(), "application/problem+json");

    let seller = t.user("nul@example.com").await;
    let shop = t.shop(&seller, "Nul Goods", &[]).await;
    let upload = t
        .upload(&seller, &shop, "trade\0", None, "licence\0.pdf", crate::support::pdf())
        .await;
    assert_eq!(upload.status, StatusCode::BAD_REQUEST, "{}", upload.text);
    assert_eq!(upload.content_type(), "application/problem+json");

    let client = browser();
    let login_page = client.get(t.url("/login")).send().await.unwrap().text().await.unwrap();
    let csrf = csrf_of(&login_page);
    let form = client
        .post(t.url("/login"))
        .form(&[("csrf", csrf.as_str()), ("email", "a\0@example.com"), ("password", "x")])
        .send()
        .await
        .unwrap();
    assert_eq!(form.status(), StatusCode::BAD_REQUEST);
    assert!(form.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
});

db_test!(control_characters_in_forms_never_cause_a_server_error, |t| {
    t.user("ctl@example.com").await;
    let client = browser();
    let login_page = client.get(t.url("/login")).send().await.unwrap().text().await.unwrap();
    let csrf = csrf_of(&login_page);
    // Logging in follows `next` only to a plain path of this site: one holding a control character
    // goes to the account page instead, and never breaks the redirect.
    let r = client
        .post(t.url("/login"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("email", "ctl@example.com"),
            ("password", crate::support::PASSWORD),
            ("next", "/account\u{1}\u{7f}"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()["location"], "/account");

    let register = client
        .post(t.url("/register"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("email", "\u{1}"),
            ("password", "\u{1}\u{2}\u{3}"),
            ("name", "\u{1b}[31m"),
            ("kind", "\u{7}"),
            ("company_name", "\u{8}"),
        ])
        .send()
        .await
        .unwrap();
    assert!(register.status().is_client_error(), "{}", register.status());
});

db_test!(query_strings_that_do_not_parse_are_bad_requests, |t| {
    demo(&t).await;
    let product = any_product(&t).await;
    let offers = t
        .get(&format!("/api/v1/products/{product}/offers?quantity=abc"), None)
        .await;
    assert_bad_request(&offers, "quantity");

    let operator = login_token(&t, "operator@agora.example").await;
    let queue = t.get("/api/v1/admin/shops?limit=x", Some(&operator)).await;
    assert_bad_request(&queue, "limit");

    let page = t.get(&format!("/p/{product}?quantity=abc"), None).await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST);
    assert!(page.content_type().starts_with("text/html"), "a friendly page");
    assert!(page.text.contains("quantity"), "{}", page.text);
});

db_test!(json_naming_a_key_twice_is_refused, |t| {
    t.user("twice@example.com").await;
    let login = |body: &'static str| {
        let t = &t;
        async move {
            let r = t
                .client
                .post(t.url("/api/v1/auth/login"))
                .header("content-type", "application/json")
                .body(body)
                .send()
                .await
                .unwrap();
            read(r).await
        }
    };
    // The last `email` is the account's: serde alone would log in with it.
    let top =
        login(r#"{"email": "someone@example.com", "email": "twice@example.com", "password": "correct horse battery"}"#)
            .await;
    assert_eq!(top.status, StatusCode::BAD_REQUEST, "{}", top.text);
    assert_eq!(top.content_type(), "application/problem+json");
    assert!(top.body["detail"].as_str().unwrap().contains("email"), "{}", top.text);

    let nested =
        login(r#"{"email": "twice@example.com", "password": "correct horse battery", "extra": [{"k": 1, "k": 2}]}"#)
            .await;
    assert_eq!(nested.status, StatusCode::BAD_REQUEST, "{}", nested.text);
});

fn assert_bad_request(r: &Reply, field: &str) {
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text);
    assert_eq!(r.content_type(), "application/problem+json");
    assert!(r.body["detail"].as_str().unwrap_or("").contains(field), "{}", r.text);
}

fn csrf_of(html: &str) -> String {
    hidden_fields(html).remove("csrf").expect("a CSRF field")
}

async fn login_token(t: &TestApp, email: &str) -> String {
    let r = t
        .post(
            "/api/v1/auth/login",
            None,
            json!({"email": email, "password": agora_app::demo::PASSWORD}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    r.body["token"].as_str().unwrap().to_owned()
}

async fn any_product(t: &TestApp) -> String {
    let products = agora_app::products::featured(&t.app, 1).await.unwrap();
    products[0].id.clone()
}
