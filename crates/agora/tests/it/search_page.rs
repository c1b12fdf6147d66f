//! The search results page as people expect it, over HTTP on both engines: corrected typos with a
//! way back to the exact words, readable filter chips, marked facets, pages back and forth,
//! Markdown-free snippets, out-of-stock labels, help when nothing is found, the search box's
//! script, and a product's exact name ranking it above its accessories.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::json;

use crate::support::{db_test, TestApp};

/// Electronics > Audio and Home, one approved shop, and products: the Aurora headphones (with a
/// Markdown description), a case that mentions them all over, out-of-stock studio headphones, a
/// stand and a bowl.
async fn catalog(t: &TestApp) -> String {
    let op = t.operator().await;
    for (slug, name, parent) in [
        ("electronics", "Electronics", None),
        ("audio", "Audio", Some("electronics")),
        ("home", "Home and living", None),
    ] {
        let r = t
            .post(
                "/api/v1/admin/categories",
                Some(&op),
                json!({"slug": slug, "name": name, "parent": parent}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    }
    let seller = t.user("seller@example.com").await;
    let shop = t.shop(&seller, "Sound Shop", &["electronics"]).await;
    t.post(&format!("/api/v1/admin/shops/{shop}/approve"), Some(&op), json!({}))
        .await;
    let products = [
        (
            "Aurora wireless headphones",
            "# Aurora\n\n**Over-ear**, _noise cancelling_, see [the manual](https://example.com/manual).\n\n- 40 h battery",
            "audio",
            14900,
            5,
        ),
        (
            "Hard case for Aurora wireless headphones",
            "Fits the Aurora wireless headphones. Keeps Aurora wireless headphones safe: made for Aurora wireless headphones.",
            "audio",
            1900,
            30,
        ),
        ("Studio monitor headphones", "Flat response.", "audio", 9900, 0),
        ("Headphone stand, walnut", "Walnut base.", "home", 2900, 7),
        ("Ceramic serving bowl", "Glazed.", "home", 4200, 3),
    ];
    for (i, (title, description, category, cents, stock)) in products.into_iter().enumerate() {
        let body = json!({"title": title, "description": description, "category": category,
            "variants": [{"sku": format!("SKU-{i}"), "price": {"amount": cents, "currency": "EUR"}, "stock": stock}]});
        let r = t
            .post(&format!("/api/v1/shops/{shop}/products"), Some(&seller), body)
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    }
    // The index follows the outbox: wait until every product is searchable.
    for _ in 0..100 {
        let r = t.get("/api/v1/search?q=", None).await;
        if r.body["total"] == 5 {
            return shop;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the catalog never reached the index");
}

/// The page's HTML with attribute escapes undone, so addresses read as typed.
async fn page(t: &TestApp, path: &str) -> String {
    let r = t.get(path, None).await;
    assert_eq!(r.status, StatusCode::OK, "{path}: {}", r.text);
    r.text
        .replace("&amp;", "&")
        .replace("&#38;", "&")
        .replace("&#x2f;", "/")
        .replace("&#47;", "/")
        .replace("&quot;", "\"")
        .replace("&#x27;", "'")
        .replace("&#39;", "'")
}

/// The `href` of the first link whose tag or text holds `marker`.
fn href_near(html: &str, marker: &str) -> String {
    let at = html.find(marker).unwrap_or_else(|| panic!("no {marker:?} in:\n{html}"));
    let start = html[..at]
        .rfind("<a ")
        .unwrap_or_else(|| panic!("no link before {marker:?}"));
    let from = start + html[start..].find("href=\"").expect("an href") + "href=\"".len();
    html[from..from + html[from..].find('"').unwrap()].to_owned()
}

/// The `href` of the first link after `marker`.
fn href_after(html: &str, marker: &str) -> String {
    let at = html.find(marker).unwrap_or_else(|| panic!("no {marker:?} in:\n{html}"));
    let from = at + html[at..].find("href=\"").expect("an href") + "href=\"".len();
    html[from..from + html[from..].find('"').unwrap()].to_owned()
}

/// The titles of the results, in order.
fn result_titles(html: &str) -> Vec<String> {
    html.split("<h2 class=\"result-title\">")
        .skip(1)
        .map(|chunk| {
            let link = &chunk[chunk.find('>').unwrap() + 1..chunk.find("</a>").unwrap()];
            link.replace("<mark>", "").replace("</mark>", "")
        })
        .collect()
}

db_test!(a_corrected_typo_says_so_and_links_to_the_exact_words, |t| {
    catalog(&t).await;
    let html = page(&t, "/search?q=wireless+headphnes").await;
    assert!(
        html.contains("Showing results for <strong><em>wireless headphones</em></strong>"),
        "the other words are kept: {html}"
    );
    let html = page(&t, "/search?q=headphnes").await;
    assert!(
        html.contains("Showing results for <strong><em>headphones</em></strong>"),
        "{html}"
    );
    assert!(!result_titles(&html).is_empty());
    let exact = href_near(&html, "exactly instead");
    assert_eq!(exact, "/search?exact=true&q=headphnes");
    // The exact words find nothing, and offer the correction.
    let html = page(&t, &exact).await;
    assert!(result_titles(&html).is_empty(), "{html}");
    assert!(!html.contains("Showing results for"), "{html}");
    let did_you_mean = href_after(&html, "id=\"did-you-mean\"");
    assert_eq!(did_you_mean, "/search?q=headphones");
    assert!(
        html.contains("Exact words only"),
        "the exact search is a removable chip: {html}"
    );
    // The API says the same.
    let api = t.get("/api/v1/search?q=headphnes", None).await;
    assert_eq!(api.body["corrected_q"], "headphones", "{}", api.text);
    let api = t.get("/api/v1/search?q=headphnes&exact=true", None).await;
    assert_eq!(
        (api.body["total"].as_u64(), &api.body["corrected_q"]),
        (Some(0), &json!("headphones"))
    );
    // A correctly spelt search says nothing of spelling.
    let html = page(&t, "/search?q=wireless+headphones").await;
    assert!(
        !html.contains("Showing results for") && !html.contains("Did you mean"),
        "{html}"
    );
});

db_test!(filters_read_as_words_are_removable_and_marked_in_the_panel, |t| {
    let shop = catalog(&t).await;
    let html = page(
        &t,
        &format!("/search?q=headphones&category=audio&shop={shop}&min_price=1000&max_price=19999&in_stock=true"),
    )
    .await;
    for chip in [
        "Category: Audio",
        "Shop: Sound Shop",
        "Price from 10.00 EUR",
        "Price up to 199.99 EUR",
        "In stock only",
    ] {
        assert!(
            html.contains(&format!("class=\"chip\">{chip} <")),
            "chip {chip:?}: {html}"
        );
    }
    assert!(!html.contains("Category: audio"), "names, not slugs");
    // Each chip's link drops that filter and keeps the others.
    assert_eq!(
        result_titles(&html),
        ["Aurora wireless headphones", "Hard case for Aurora wireless headphones"]
    );
    let without_price = href_near(&html, "Price from 10.00 EUR");
    assert!(!without_price.contains("min_price"), "{without_price}");
    assert!(without_price.contains("max_price=19999") && without_price.contains("in_stock=true"));
    let after = page(&t, &without_price).await;
    assert!(!after.contains("Price from 10.00 EUR") && after.contains("Price up to 199.99 EUR"));
    let clear = href_near(&html, "Clear all filters");
    assert_eq!(clear, "/search?q=headphones");

    // The chosen facets are marked in the panel, and choosing one again removes it.
    let html = page(&t, "/search?category=audio&min_price=10000&max_price=24999").await;
    let audio = html
        .split("<li>")
        .find(|li| li.contains("✓ </span>Audio</a>"))
        .unwrap_or_else(|| panic!("an Audio facet: {html}"));
    assert!(audio.contains("aria-current=\"true\""), "{audio}");
    assert!(!href_near(audio, "Audio").contains("category="), "{audio}");
    let chosen_prices = html.matches("aria-current=\"true\"").count();
    assert_eq!(chosen_prices, 2, "the category and the price range are marked: {html}");
    let electronics = html
        .split("<li>")
        .find(|li| li.contains(">Electronics</a> <span class=\"muted\">"))
        .unwrap_or_else(|| panic!("an Electronics facet: {html}"));
    assert!(!electronics.contains("aria-current"), "{electronics}");
});

db_test!(results_page_back_and_forth_keeping_every_filter, |t| {
    catalog(&t).await;
    let first = page(&t, "/search?sort=price_asc&in_stock=true&limit=2").await;
    assert_eq!(
        result_titles(&first),
        ["Hard case for Aurora wireless headphones", "Headphone stand, walnut"]
    );
    assert!(!first.contains("rel=\"prev\""), "no previous page on the first");
    let next = href_near(&first, "rel=\"next\"");
    assert!(
        next.contains("cursor=2") && next.contains("sort=price_asc") && next.contains("in_stock=true"),
        "{next}"
    );
    assert!(first.contains("aria-current=\"page\""), "{first}");
    let second = page(&t, &next).await;
    assert_eq!(
        result_titles(&second),
        ["Ceramic serving bowl", "Aurora wireless headphones"]
    );
    assert!(
        !second.contains("rel=\"next\""),
        "four in stock: no third page: {second}"
    );
    let back = href_near(&second, "rel=\"prev\"");
    assert!(!back.contains("cursor"), "{back}");
    assert!(
        back.contains("sort=price_asc") && back.contains("in_stock=true"),
        "{back}"
    );
    assert_eq!(result_titles(&page(&t, &back).await), result_titles(&first));
    // Page numbers: page 1 links back to the start.
    assert_eq!(href_near(&second, "Page </span>1<"), back);
});

db_test!(results_show_plain_snippets_stock_and_the_product_named_first, |t| {
    catalog(&t).await;
    let html = page(&t, "/search?q=aurora+wireless+headphones").await;
    let titles = result_titles(&html);
    assert_eq!(
        titles[..2],
        ["Aurora wireless headphones", "Hard case for Aurora wireless headphones"],
        "the product named exactly comes before its accessory"
    );
    let snippet_start = html.find("class=\"snippet\"").unwrap();
    let snippet = &html[snippet_start..snippet_start + html[snippet_start..].find("</p>").unwrap()];
    assert!(snippet.contains("Over-ear"), "{snippet}");
    for markdown in ["**", "# ", "](", "https://", "_noise"] {
        assert!(!snippet.contains(markdown), "no {markdown:?} in {snippet}");
    }
    let api = t.get("/api/v1/search?q=Aurora%20wireless%20headphones", None).await;
    assert_eq!(
        api.body["items"][0]["title"], "Aurora wireless headphones",
        "{}",
        api.text
    );

    let html = page(&t, "/search?q=headphones").await;
    let studio = html
        .split("<li class=\"card result\">")
        .find(|r| r.contains("Studio monitor"))
        .expect("the out-of-stock product is listed");
    assert!(studio.contains("Out of stock"), "{studio}");
    assert_eq!(html.matches("Out of stock").count(), 1, "only it: {html}");
    let api = t.get("/api/v1/search?q=studio", None).await;
    assert_eq!(api.body["items"][0]["in_stock"], false, "{}", api.text);
    assert_eq!(api.body["corrected_q"], serde_json::Value::Null);
});

db_test!(no_results_suggest_something_useful, |t| {
    catalog(&t).await;
    let html = page(&t, "/search?q=zebra").await;
    assert!(html.contains("Nothing found for “zebra”"), "{html}");
    assert!(html.contains("Popular categories"), "{html}");
    assert!(
        html.contains("<a class=\"chip\" href=\"/search?category=electronics\">Electronics</a>"),
        "{html}"
    );
    assert!(!html.contains("Filter results"), "no empty filter box: {html}");
    // With a filter on, the way out is to drop it.
    let html = page(&t, "/search?q=bowl&category=audio").await;
    let without = href_near(&html, "Search again without the filters");
    assert_eq!(without, "/search?q=bowl");
    assert_eq!(result_titles(&page(&t, &without).await), ["Ceramic serving bowl"]);
});

db_test!(the_search_box_and_the_sort_form_carry_their_script_hooks, |t| {
    catalog(&t).await;
    let html = page(&t, "/search?q=bowl").await;
    // The form works without the script: a plain GET form with an Apply button.
    assert!(html.contains("<form action=\"/search\" method=\"get\" class=\"inline-form sort-form\" data-auto-submit>"));
    assert!(html.contains(">Apply</button>"));
    let script = href_or_src(&html, "/assets/search.");
    let js = t.get(&script, None).await;
    assert_eq!(js.status, StatusCode::OK);
    for needle in [
        "combobox",
        "aria-activedescendant",
        "/api/v1/search/suggest",
        "data-auto-submit",
    ] {
        assert!(js.text.contains(needle), "search.js handles {needle}");
    }
    let suggest = t.get("/api/v1/search/suggest?q=aur", None).await;
    assert_eq!(suggest.body["items"][0], "aurora", "{}", suggest.text);
});

fn href_or_src(html: &str, marker: &str) -> String {
    let at = html.find(marker).unwrap_or_else(|| panic!("no {marker:?}"));
    html[at..at + html[at..].find('"').unwrap()].to_owned()
}
