//! Every page reachable from the home page answers without a server error: the demo marketplace,
//! crawled anonymously and as each demo account, on both engines.

use std::collections::{HashMap, HashSet, VecDeque};

use reqwest::{StatusCode, Url};

use crate::support::{db_test, TestApp};

/// Enough to reach every kind of page of the demo several times over, without following every
/// combination of search filters.
const MAX_PAGES: usize = 300;
const MAX_PER_PATH: usize = 15;

/// Links that end the session or change something, which a crawler must not follow even when
/// they are plain links.
pub const NEVER_FOLLOWED: &[&str] = &["logout", "revoke", "remove", "delete", "decision"];

/// One page the crawler asked for.
#[derive(Debug, Clone)]
pub struct Visit {
    pub url: Url,
    pub status: StatusCode,
}

/// A client that keeps cookies and does not follow redirects (the crawler does).
pub fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// The seeded demo marketplace.
pub async fn demo(t: &TestApp) {
    assert!(agora_app::demo::seed(&t.app).await.unwrap(), "the database was empty");
}

/// A browser logged in as `email` through the login page's form.
pub async fn logged_in(t: &TestApp, email: &str) -> reqwest::Client {
    let client = browser();
    let form = client.get(t.url("/login")).send().await.unwrap().text().await.unwrap();
    let mut fields = hidden_fields(&form);
    fields.insert("email".into(), email.into());
    fields.insert("password".into(), agora_app::demo::PASSWORD.into());
    fields.insert("next".into(), "/account".into());
    let r = client.post(t.url("/login")).form(&fields).send().await.unwrap();
    assert!(r.status().is_redirection(), "{email} logs in: {}", r.status());
    let account = client.get(t.url("/account")).send().await.unwrap();
    assert_eq!(account.status(), StatusCode::OK, "{email} is logged in");
    client
}

/// Follows every same-site `<a href>` (and redirect) from the home page, breadth first, with GET.
pub async fn crawl(t: &TestApp, client: &reqwest::Client) -> Vec<Visit> {
    let base = Url::parse(&t.base).unwrap();
    let mut queue = VecDeque::from([base.join("/").unwrap()]);
    let mut seen: HashSet<String> = queue.iter().map(Url::to_string).collect();
    let mut per_path: HashMap<String, usize> = HashMap::new();
    let mut visits = Vec::new();
    while let Some(url) = queue.pop_front() {
        if visits.len() == MAX_PAGES {
            break;
        }
        let r = client.get(url.clone()).send().await.unwrap();
        let status = r.status();
        let mut targets = Vec::new();
        if let Some(location) = r.headers().get("location").and_then(|v| v.to_str().ok()) {
            targets.push(location.to_owned());
        }
        let is_html = r
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("text/html"));
        if is_html {
            targets.extend(links(&r.text().await.unwrap()));
        }
        visits.push(Visit {
            url: url.clone(),
            status,
        });
        for target in targets {
            let Ok(mut next) = url.join(&target) else { continue };
            next.set_fragment(None);
            if next.origin() != base.origin() || NEVER_FOLLOWED.iter().any(|word| next.path().contains(word)) {
                continue;
            }
            let count = per_path.entry(next.path().to_owned()).or_default();
            if *count < MAX_PER_PATH && seen.insert(next.to_string()) {
                *count += 1;
                queue.push_back(next);
            }
        }
    }
    visits
}

/// The `href`s of a page's `<a>` elements, unescaped.
fn links(html: &str) -> Vec<String> {
    tags(html, "a").filter_map(|tag| attribute(tag, "href")).collect()
}

/// The name and value of each hidden `<input>` of a page (a form's CSRF token, say).
pub fn hidden_fields(html: &str) -> HashMap<String, String> {
    tags(html, "input")
        .filter(|tag| attribute(tag, "type").as_deref() == Some("hidden"))
        .filter_map(|tag| Some((attribute(tag, "name")?, attribute(tag, "value").unwrap_or_default())))
        .collect()
}

/// The opening tags named `name`, without their `<` and `>`.
pub fn tags<'a>(html: &'a str, name: &'a str) -> impl Iterator<Item = &'a str> {
    html.split('<').filter_map(move |piece| {
        let rest = piece.strip_prefix(name)?;
        rest.starts_with(char::is_whitespace)
            .then(|| &rest[..rest.find('>').unwrap_or(rest.len())])
    })
}

/// A double-quoted attribute's value, with the HTML escapes askama writes undone.
pub fn attribute(tag: &str, name: &str) -> Option<String> {
    let start = tag.find(&format!(" {name}=\""))? + name.len() + 3;
    let len = tag[start..].find('"')?;
    Some(
        tag[start..start + len]
            .replace("&#34;", "\"")
            .replace("&quot;", "\"")
            .replace("&#39;", "'")
            .replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&amp;", "&"),
    )
}

/// The addresses that answered with a server error, for an assertion message.
fn server_errors(who: &str, visits: &[Visit]) -> Vec<String> {
    visits
        .iter()
        .filter(|v| v.status.is_server_error())
        .map(|v| format!("{who}: {} {}", v.status.as_u16(), v.url))
        .collect()
}

db_test!(every_page_reachable_from_home_answers_without_a_server_error, |t| {
    demo(&t).await;
    let mut who = vec![("anonymous", browser())];
    for login in agora_app::demo::LOGINS {
        who.push((login.email, logged_in(&t, login.email).await));
    }
    let crawls = futures::future::join_all(who.iter().map(|(_, client)| crawl(&t, client))).await;

    let mut failures = Vec::new();
    for ((name, _), visits) in who.iter().zip(&crawls) {
        failures.extend(server_errors(name, visits));
        // The crawl reaches the storefront's pages, or it proves nothing.
        for kind in ["/p/", "/s/", "/search"] {
            assert!(
                visits
                    .iter()
                    .any(|v| v.url.path().starts_with(kind) && v.status == StatusCode::OK),
                "{name} reached no {kind} page: {:?}",
                visits.iter().map(|v| v.url.as_str()).collect::<Vec<_>>()
            );
        }
    }
    let operator = &crawls[1];
    assert!(
        operator.iter().any(|v| v.url.path().starts_with("/admin/shops/")),
        "the operator reached the review pages"
    );
    assert!(failures.is_empty(), "server errors:\n{}", failures.join("\n"));
});

#[test]
fn links_and_hidden_fields_are_read_from_html() {
    let html = r#"<a class="x" href="/search?q=a&amp;sort=price_asc">A</a><abbr href="/no"></abbr>
        <a
         href="/p/1">P</a><input type="hidden" name="csrf" value="t0k"><input name="email">"#;
    assert_eq!(links(html), ["/search?q=a&sort=price_asc", "/p/1"]);
    assert_eq!(hidden_fields(html), HashMap::from([("csrf".into(), "t0k".into())]));
}
