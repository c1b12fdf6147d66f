//! What browsers and search engines see beyond a page's content: compressed responses, assets under
//! content-hashed names cached for a year, a favicon, meta descriptions and Open Graph tags, and
//! scripts only on the pages that use them.

use std::io::Read;

use reqwest::StatusCode;
use serde_json::json;
use sha2::{Digest, Sha256};

use crate::catalog::{headphones, seller_with_shop};
use crate::support::{db_test, pdf, TestApp, PASSWORD};

/// A raw response: status, headers and the undecoded body bytes.
struct Raw {
    status: StatusCode,
    headers: reqwest::header::HeaderMap,
    bytes: Vec<u8>,
}

impl Raw {
    fn header(&self, name: &str) -> &str {
        self.headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or("")
    }

    /// The body, decoded as its `Content-Encoding` says.
    fn text(&self) -> String {
        let mut out = String::new();
        match self.header("content-encoding") {
            "br" => {
                let mut decoded = Vec::new();
                brotli::BrotliDecompress(&mut &self.bytes[..], &mut decoded).expect("valid brotli");
                out = String::from_utf8(decoded).expect("UTF-8");
            }
            "gzip" => {
                flate2::read::GzDecoder::new(&self.bytes[..])
                    .read_to_string(&mut out)
                    .expect("valid gzip");
            }
            "" => out = String::from_utf8(self.bytes.clone()).expect("UTF-8"),
            other => panic!("unexpected content-encoding {other}"),
        }
        out
    }
}

async fn fetch(req: reqwest::RequestBuilder) -> Raw {
    let res = req.send().await.expect("the server answers");
    Raw {
        status: res.status(),
        headers: res.headers().clone(),
        bytes: res.bytes().await.expect("a body").to_vec(),
    }
}

async fn get(t: &TestApp, path: &str, accept_encoding: Option<&str>) -> Raw {
    let mut req = t.client.get(t.url(path));
    if let Some(enc) = accept_encoding {
        req = req.header("accept-encoding", enc);
    }
    fetch(req).await
}

/// The value of `attr` in the first tag of `html` that contains `marker`.
fn attr_of(html: &str, marker: &str, attr: &str) -> Option<String> {
    let at = html.find(marker)?;
    let start = html[..at].rfind('<')?;
    let end = at + html[at..].find('>')?;
    let tag = &html[start..end];
    let key = format!("{attr}=\"");
    let from = tag.find(&key)? + key.len();
    Some(tag[from..from + tag[from..].find('"')?].to_owned())
}

fn meta(html: &str, marker: &str) -> String {
    attr_of(html, marker, "content").unwrap_or_else(|| panic!("no meta tag with {marker} in:\n{html}"))
}

db_test!(
    responses_are_compressed_as_the_client_accepts_and_keep_their_headers,
    |t| {
        let br = get(&t, "/", Some("br, gzip")).await;
        assert_eq!(br.status, StatusCode::OK);
        assert_eq!(br.header("content-encoding"), "br");
        assert!(br.header("vary").to_ascii_lowercase().contains("accept-encoding"));
        assert!(!br.header("x-request-id").is_empty(), "the request id survives");
        assert!(br.header("content-security-policy").contains("default-src 'self'"));
        assert!(br.text().starts_with("<!doctype html>"), "{}", br.text());

        let gzip = get(&t, "/search", Some("gzip")).await;
        assert_eq!(gzip.header("content-encoding"), "gzip");
        assert!(gzip.text().contains("<!doctype html>"));

        let plain = get(&t, "/", None).await;
        assert_eq!(plain.header("content-encoding"), "", "nothing is compressed unasked");
        assert!(plain.bytes.len() > br.bytes.len(), "brotli shrinks the page");
        let css = get(&t, "/assets/app.css", None).await;
        let css_br = get(&t, "/assets/app.css", Some("br")).await;
        assert_eq!(css_br.header("content-encoding"), "br");
        assert_eq!(css_br.text(), css.text());
        assert!(
            css.bytes.len() > css_br.bytes.len() * 3,
            "the stylesheet shrinks to under a third"
        );

        // Problems stay problem+json, only compressed.
        let problem = get(&t, "/api/v1/no-such-thing", Some("gzip")).await;
        assert_eq!(problem.status, StatusCode::NOT_FOUND);
        assert_eq!(problem.header("content-type"), "application/problem+json");
        assert_eq!(problem.header("content-encoding"), "gzip");
        let body: serde_json::Value = serde_json::from_str(&problem.text()).expect("a JSON problem");
        assert_eq!(body["status"], 404);

        // A secret stays uncacheable when compressed.
        t.user("compressed@example.com").await;
        let login = fetch(
            t.client
                .post(t.url("/api/v1/auth/login"))
                .header("accept-encoding", "br")
                .json(&json!({"email": "compressed@example.com", "password": PASSWORD})),
        )
        .await;
        assert_eq!(login.status, StatusCode::OK);
        assert_eq!(login.header("content-encoding"), "br");
        assert_eq!(login.header("cache-control"), "no-store");
        let body: serde_json::Value = serde_json::from_str(&login.text()).expect("JSON");
        assert!(body["token"].is_string(), "{body}");

        // A downloaded PDF is compressed already: it goes as it is, byte for byte.
        let seller = t.user("pdf@example.com").await;
        let shop = t.shop(&seller, "Deli Nord", &[]).await;
        let r = t.upload(&seller, &shop, "trade", None, "licence.pdf", pdf()).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        let path = format!("/api/v1/qualifications/{}/document", r.body["id"].as_str().unwrap());
        let doc = fetch(
            t.client
                .get(t.url(&path))
                .header("accept-encoding", "br, gzip")
                .bearer_auth(&seller),
        )
        .await;
        assert_eq!(doc.status, StatusCode::OK);
        assert_eq!(doc.header("content-type"), "application/pdf");
        assert_eq!(doc.header("content-encoding"), "");
        assert_eq!(doc.bytes, pdf());
    }
);

db_test!(assets_are_served_under_content_hashed_names_for_a_year, |t| {
    let page = get(&t, "/", None).await.text();
    let css = attr_of(&page, "rel=\"stylesheet\"", "href").expect("a stylesheet link");
    let hash = css
        .strip_prefix("/assets/app.")
        .and_then(|rest| rest.strip_suffix(".css"))
        .unwrap_or_else(|| panic!("not a hashed name: {css}"));

    let res = get(&t, &css, Some("gzip")).await;
    assert_eq!(res.status, StatusCode::OK);
    assert_eq!(res.header("cache-control"), "public, max-age=31536000, immutable");
    assert_eq!(res.header("content-type"), "text/css; charset=utf-8");
    assert_eq!(res.header("content-encoding"), "gzip");
    let body = res.text();
    assert_eq!(
        hex::encode(Sha256::digest(body.as_bytes()))[..10],
        *hash,
        "the name follows the content"
    );

    // The plain name keeps working, cached briefly; a made-up hash names nothing.
    let plain = get(&t, "/assets/app.css", None).await;
    assert_eq!(plain.status, StatusCode::OK);
    assert_eq!(plain.header("cache-control"), "public, max-age=3600");
    assert_eq!(plain.text(), body);
    assert_eq!(
        get(&t, "/assets/app.0000000000.css", None).await.status,
        StatusCode::NOT_FOUND
    );

    // The favicon: linked under its hashed name, and at the address browsers try on their own.
    let icon = attr_of(&page, "rel=\"icon\"", "href").expect("an icon link");
    assert!(icon.starts_with("/assets/favicon.") && icon.ends_with(".svg"), "{icon}");
    let res = get(&t, &icon, None).await;
    assert_eq!(res.status, StatusCode::OK);
    assert_eq!(res.header("content-type"), "image/svg+xml");
    assert_eq!(res.header("cache-control"), "public, max-age=31536000, immutable");
    assert!(res.text().starts_with("<svg"));
    let ico = get(&t, "/favicon.ico", None).await;
    assert_eq!(ico.status, StatusCode::OK);
    assert_eq!(ico.header("content-type"), "image/svg+xml");

    let robots = get(&t, "/robots.txt", None).await;
    assert_eq!(robots.status, StatusCode::OK);
    assert!(robots.text().contains("Disallow: /account"));
});

db_test!(every_page_has_a_meta_description_and_open_graph_tags, |t| {
    let (seller, shop, _) = seller_with_shop(&t).await;
    let mut product = headphones("AUR-1", "4006381333931", 14900, 25);
    product["description"] = json!(format!(
        "**Over-ear**, noise cancelling, with a [case](https://example.com/case).\n\n{}",
        "Forty hours of music on one charge. ".repeat(10)
    ));
    let r = t
        .post(&format!("/api/v1/shops/{shop}/products"), Some(&seller), product)
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let id = r.body["id"].as_str().unwrap().to_owned();

    let home = get(&t, "/", None).await.text();
    let home_description = meta(&home, "name=\"description\"");
    assert!(
        home_description.starts_with("Agora is a marketplace"),
        "{home_description}"
    );
    assert_eq!(meta(&home, "property=\"og:description\""), home_description);
    assert_eq!(meta(&home, "property=\"og:type\""), "website");
    assert!(!meta(&home, "property=\"og:title\"").is_empty());

    let search = get(&t, "/search?q=headphones", None).await.text();
    let search_description = meta(&search, "name=\"description\"");
    assert!(search_description.contains("“headphones”"), "{search_description}");
    assert_ne!(search_description, home_description);

    let page = get(&t, &format!("/p/{id}"), None).await.text();
    let description = meta(&page, "name=\"description\"");
    assert!(
        description.starts_with("Over-ear, noise cancelling, with a case. Forty hours"),
        "the product's own words, as plain text: {description}"
    );
    assert!(description.chars().count() <= 160, "shortened: {description}");
    assert!(description.ends_with('…'), "{description}");
    assert_eq!(meta(&page, "property=\"og:description\""), description);
    assert_eq!(meta(&page, "property=\"og:title\""), "Aurora wireless headphones");
    assert_eq!(meta(&page, "property=\"og:type\""), "product");

    // htmx loads only where hx- attributes are: not on the storefront, whose only script is the
    // search box's.
    for html in [&home, &search, &page] {
        assert_eq!(
            html.matches("<script").count(),
            1,
            "one script on storefront pages: {html}"
        );
        let script = attr_of(html, "src=\"/assets/search.", "src").expect("the search box's script");
        assert!(script.ends_with(".js"), "{script}");
    }
    let account = fetch(
        t.client
            .get(t.url("/account"))
            .header("cookie", format!("agora_session={seller}")),
    )
    .await
    .text();
    let htmx = attr_of(&account, "src=\"/assets/htmx.", "src").expect("htmx on the account page");
    assert!(htmx.ends_with(".js"), "{htmx}");
    assert_eq!(
        get(&t, &htmx, None).await.header("cache-control"),
        "public, max-age=31536000, immutable"
    );
});
