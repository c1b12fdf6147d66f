//! The storefront as anonymous visitors see it (home, search results, product pages, the search
//! API) is served from an in-process cache of whole responses. A change shows on every page
//! within a second, whether it was made on this node or on another one sharing the database;
//! and no visitor ever receives what belongs to another: their CSRF token, their name, their
//! logged-in page.

use std::time::{Duration, Instant};

use agora_app::{App, Settings};
use agora_core::money::{Currency, Money};
use agora_core::variant::VariantPatch;
use agora_store::Db;
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::catalog::{headphones, seller_with_shop};
use crate::page_session;
use crate::support::{db_test, read, TestApp};

/// A listed pair of headphones at 149.00, found by search.
struct Listed {
    seller: String,
    shop: String,
    operator: String,
    product: String,
    variant: String,
}

async fn listed(t: &TestApp) -> Listed {
    let (seller, shop, operator) = seller_with_shop(t).await;
    let r = t
        .post(
            &format!("/api/v1/shops/{shop}/products"),
            Some(&seller),
            headphones("AUR-1", "4006381333931", 14900, 25),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let product = r.body["id"].as_str().unwrap().to_owned();
    let variant = r.body["variants"][0]["id"].as_str().unwrap().to_owned();
    let all_show = |text: &str| text.contains(&product);
    shown_within(t, "/api/v1/search?q=aurora", Duration::from_secs(10), all_show).await;
    Listed {
        seller,
        shop,
        operator,
        product,
        variant,
    }
}

/// An anonymous visitor's GET, with no cookie at all.
async fn anonymous(t: &TestApp, path: &str) -> String {
    let r = read(t.client.get(t.url(path)).send().await.unwrap()).await;
    assert_eq!(r.status, StatusCode::OK, "{path}: {}", r.text);
    r.text
}

/// Asks for `path` as an anonymous visitor until `shows` holds for what it answers; fails after
/// `limit`. Returns how long it took.
async fn shown_within(t: &TestApp, path: &str, limit: Duration, shows: impl Fn(&str) -> bool) -> Duration {
    let start = Instant::now();
    loop {
        let text = anonymous(t, path).await;
        if shows(&text) {
            return start.elapsed();
        }
        assert!(
            start.elapsed() < limit,
            "{path} still showed the old catalog after {limit:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The pages that show the headphones' price, each asked for twice so that the second answer
/// comes from the cache.
fn price_pages(product: &str) -> Vec<String> {
    vec![
        format!("/p/{product}"),
        "/search?q=aurora".into(),
        "/api/v1/search?q=aurora".into(),
        "/".into(),
    ]
}

async fn warm(t: &TestApp, pages: &[String]) {
    for path in pages {
        anonymous(t, path).await;
        anonymous(t, path).await;
    }
}

fn shows_price(text: &str, cents: i64) -> bool {
    let words = format!("{}.{:02}", cents / 100, cents % 100);
    text.contains(&words) || text.contains(&format!("\"amount\":{cents}"))
}

db_test!(a_new_price_reaches_every_cached_page_within_a_second, |t| {
    let Listed {
        seller,
        product,
        variant,
        ..
    } = listed(&t).await;
    let pages = price_pages(&product);
    warm(&t, &pages).await;
    for path in &pages {
        assert!(shows_price(&anonymous(&t, path).await, 14900), "{path} shows the price");
    }
    let r = t
        .call(
            Method::PATCH,
            &format!("/api/v1/variants/{variant}"),
            Some(&seller),
            Some(json!({"price": {"amount": 15900, "currency": "EUR"}})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let changed = Instant::now();
    for path in &pages {
        shown_within(&t, path, Duration::from_secs(1), |text| {
            shows_price(text, 15900) && !shows_price(text, 14900)
        })
        .await;
    }
    println!(
        "every page showed the new price {:?} after the change",
        changed.elapsed()
    );
});

/// Another node on the same database: its own connections, its own process-local state, no
/// outbox follower. What it commits reaches the served node only through the outbox.
pub(crate) async fn other_node(t: &TestApp) -> App {
    let db = Db::connect(&t.database_url, t.schema.as_deref()).await.unwrap();
    let search = agora_search::SearchIndex::open(None).unwrap();
    App::new(db, t._dir.path().join("other-blobs"), Settings::default(), search)
}

/// How long a change made on another node may take to show here: on PostgreSQL the outbox's
/// notification wakes this node's follower at once; SQLite has no notifications between
/// processes, so the follower finds the change when it polls.
pub(crate) fn other_node_limit(t: &TestApp) -> Duration {
    match t.schema {
        Some(_) => Duration::from_secs(1),
        None => agora_app::follower::POLL + Duration::from_secs(1),
    }
}

db_test!(a_change_made_on_another_node_reaches_the_cached_pages, |t| {
    let Listed {
        seller,
        operator,
        product,
        variant,
        ..
    } = listed(&t).await;
    let mut pages = price_pages(&product);
    warm(&t, &pages).await;
    let other = other_node(&t).await;
    let seller = agora_app::accounts::authenticate(&other, &seller)
        .await
        .unwrap()
        .unwrap();
    let operator = agora_app::accounts::authenticate(&other, &operator)
        .await
        .unwrap()
        .unwrap();
    let limit = other_node_limit(&t);

    let patch = VariantPatch {
        price: Some(Money::new(17900, Currency::EUR)),
        ..Default::default()
    };
    agora_app::variants::update(&other, &seller, &variant, patch)
        .await
        .unwrap();
    for path in &pages {
        let lag = shown_within(&t, path, limit, |text| {
            shows_price(text, 17900) && !shows_price(text, 14900)
        })
        .await;
        println!("{path} showed the other node's price after {lag:?}");
    }

    // A new top-level category appears in every page's navigation.
    pages.push("/search?q=nothing-at-all".into());
    warm(&t, &pages).await;
    let category = agora_app::categories::NewCategory {
        slug: "garden".into(),
        name: "Garden and patio".into(),
        parent: None,
        restricted: false,
        licence_kind: None,
        attributes: vec![],
    };
    agora_app::categories::create(&other, &operator, category)
        .await
        .unwrap();
    for path in pages.iter().filter(|p| !p.starts_with("/api/")) {
        let lag = shown_within(&t, path, limit, |text| text.contains("Garden and patio")).await;
        println!("{path} showed the other node's category after {lag:?}");
    }
});

db_test!(a_new_product_shows_in_cached_search_results_and_on_the_home_page, |t| {
    let Listed { seller, shop, .. } = listed(&t).await;
    let pages = [
        "/search?q=headphones".to_owned(),
        "/".to_owned(),
        "/api/v1/search?q=headphones".to_owned(),
    ];
    warm(&t, &pages).await;
    let mut second = headphones("AUR-2", "", 9900, 3);
    second["title"] = json!("Borealis studio headphones");
    let r = t
        .post(&format!("/api/v1/shops/{shop}/products"), Some(&seller), second)
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    for path in &pages {
        let lag = shown_within(&t, path, Duration::from_secs(1), |text| text.contains("Borealis")).await;
        println!("{path} showed the new product after {lag:?}");
    }
});

const MINE: &str = "mmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmm";
const YOURS: &str = "yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy";

/// An anonymous visitor's GET with their own CSRF cookie.
async fn with_csrf(t: &TestApp, path: &str, token: &str) -> String {
    let req = t
        .client
        .get(t.url(path))
        .header("cookie", format!("agora_csrf={token}"));
    let r = read(req.send().await.unwrap()).await;
    assert_eq!(r.status, StatusCode::OK, "{path}: {}", r.text);
    r.text
}

db_test!(no_visitor_receives_another_visitors_token_name_or_page, |t| {
    let Listed { seller, product, .. } = listed(&t).await;
    let path = format!("/p/{product}");
    for path in [path.as_str(), "/", "/search?q=aurora"] {
        // A logged-in visitor first: their page is theirs alone.
        let theirs = page_session::get(&t, path, &seller).await;
        assert_eq!(theirs.status, StatusCode::OK);
        assert!(
            theirs.text.contains("Log out"),
            "{path}: the seller sees they are logged in"
        );
        // Then two anonymous visitors, each twice: each gets their own token in the page and
        // in its forms, and nothing of the seller's.
        for _ in 0..2 {
            for (token, other) in [(MINE, YOURS), (YOURS, MINE)] {
                let page = with_csrf(&t, path, token).await;
                assert!(page.contains(token), "{path}: the visitor's own token is in the page");
                assert!(!page.contains(other), "{path}: another visitor's token leaked");
                assert!(
                    !page.contains("Log out") && !page.contains("Test User"),
                    "{path}: the seller's page leaked"
                );
                assert!(
                    !page.contains("ttttttttttttttttttttttttttttttttttttttttttt"),
                    "{path}: the seller's token leaked"
                );
            }
        }
        // The logged-in visitor after them still gets their own page, not the cached one.
        let again = page_session::get(&t, path, &seller).await;
        assert!(again.text.contains("Log out"), "{path}: not served the anonymous page");
        assert!(!again.text.contains(MINE) && !again.text.contains(YOURS));
        // A visitor without a cookie gets a fresh token, the one their new cookie holds.
        let r = t.client.get(t.url(path)).send().await.unwrap();
        let cookie = r
            .headers()
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find_map(|v| v.strip_prefix("agora_csrf="))
            .map(|v| v.split(';').next().unwrap().to_owned())
            .expect("a CSRF cookie");
        let page = r.text().await.unwrap();
        assert!(
            page.contains(&format!("content=\"{cookie}\"")),
            "{path}: the new cookie's token is in the page"
        );
        assert!(!page.contains(MINE) && !page.contains(YOURS));
    }
    // A cookie holding markup goes back as text, never as markup.
    let hostile = "\"><b>hostile</b><i>aaaaaaaaaaaaaaaaaaaaaaaa";
    assert_eq!(hostile.len(), 43);
    for _ in 0..2 {
        let page = with_csrf(&t, &path, hostile).await;
        assert!(!page.contains("<b>hostile</b>"), "the cookie's markup was not escaped");
    }
});

/// The catalog version once this node's follower has applied everything written so far.
async fn settled_stamp(t: &TestApp) -> agora_app::catalog_version::Stamp {
    let start = Instant::now();
    loop {
        let stamp = agora_app::catalog_version::stamp(&t.app);
        tokio::time::sleep(Duration::from_millis(300)).await;
        if agora_app::catalog_version::stamp(&t.app) == stamp {
            return stamp;
        }
        assert!(start.elapsed() < Duration::from_secs(10), "the catalog never settled");
    }
}

db_test!(
    bookkeeping_commits_keep_the_cached_pages_and_a_stock_change_replaces_them,
    |t| {
        use agora_app::job_runner::{Worker, WorkerSettings};
        let Listed {
            seller,
            product,
            variant,
            ..
        } = listed(&t).await;
        let stamp = settled_stamp(&t).await;
        let commits = t.app.db.commits();

        // A job's whole life (scheduled, claimed, run, its outcome recorded), an audit anchor, a
        // login and a cart line: each a commit that changes nothing the storefront shows.
        let worker = Worker::new(
            t.app.clone(),
            agora_app::job_handlers::standard(),
            WorkerSettings::default(),
        );
        worker.schedule_recurring().await.unwrap();
        assert!(crate::gateway::run_jobs(&t.app).await >= 1, "the recurring jobs ran");
        assert!(
            agora_app::audit::anchor(&t.app).await.unwrap().is_some(),
            "an anchor was written"
        );
        let buyer = t.user("buyer@example.com").await;
        let r = t
            .post(
                "/api/v1/cart/items",
                Some(&buyer),
                json!({"variant_id": variant, "quantity": 1}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        assert!(t.app.db.commits() >= commits + 6, "those were commits of this node");
        assert_eq!(
            agora_app::catalog_version::stamp(&t.app),
            stamp,
            "no cached page was made stale by them"
        );

        // A stock change announces nothing, yet it replaces the cached pages at once.
        let path = format!("/p/{product}");
        warm(&t, std::slice::from_ref(&path)).await;
        let r = t
            .call(
                Method::PUT,
                &format!("/api/v1/variants/{variant}/stock"),
                Some(&seller),
                Some(json!({"stock": 7})),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        assert_ne!(
            agora_app::catalog_version::stamp(&t.app),
            stamp,
            "the stock change made every cached page stale"
        );
        let page = anonymous(&t, &path).await;
        assert!(
            page.contains("7 in stock"),
            "the product page shows the new stock at once: {page}"
        );
    }
);
