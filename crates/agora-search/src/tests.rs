//! Behaviour tests of the whole index: relevance, typos, filters, facets, sorts, pages, safety,
//! snippets and concurrency.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use crate::{FacetCount, MatchMode, ProductDoc, SearchIndex, SearchQuery, SearchResults, Sort};

fn product(id: &str, title: &str) -> ProductDoc {
    ProductDoc {
        product_id: id.into(),
        title: title.into(),
        category_path: vec!["misc".into()],
        category_names: vec!["Miscellaneous".into()],
        shop_id: "shop-1".into(),
        shop_name: "Corner Shop".into(),
        price_minor: 1000,
        currency: "EUR".into(),
        in_stock: true,
        ..ProductDoc::default()
    }
}

fn index_of(docs: Vec<ProductDoc>) -> SearchIndex {
    let index = SearchIndex::open(None).expect("open in RAM");
    index.upsert(&docs).expect("upsert");
    index
}

fn search(index: &SearchIndex, q: SearchQuery) -> SearchResults {
    index.search(&q).expect("search")
}

fn ids(results: &SearchResults) -> Vec<&str> {
    results.hits.iter().map(|h| h.product_id.as_str()).collect()
}

fn text_ids(index: &SearchIndex, text: &str) -> Vec<String> {
    let results = search(index, SearchQuery::text(text));
    ids(&results).into_iter().map(String::from).collect()
}

fn facet(facets: &[FacetCount], value: &str) -> Option<u64> {
    facets.iter().find(|f| f.value == value).map(|f| f.count)
}

/// A small catalog: electronics/audio/headphones and electronics/audio/speakers, plus kitchen.
fn catalog() -> Vec<ProductDoc> {
    let mk = |id: &str, title: &str, path: &[&str], shop: &str, price: i64, colour: &str, in_stock: bool| ProductDoc {
        product_id: id.into(),
        title: title.into(),
        description: format!("{title}, sold by {shop}."),
        category_path: path.iter().map(|s| s.to_string()).collect(),
        category_names: path.iter().map(|s| s.to_uppercase()).collect(),
        shop_id: shop.into(),
        shop_name: format!("{shop} store"),
        attributes: vec![("colour".into(), colour.into())],
        price_minor: price,
        currency: "EUR".into(),
        in_stock,
        rating: None,
        created_at_ms: price,
        sponsored: false,
    };
    let phones = ["electronics", "audio", "headphones"];
    let speakers = ["electronics", "audio", "speakers"];
    let kitchen = ["home", "kitchen"];
    vec![
        mk("h1", "Sony over-ear headphones", &phones, "acme", 9_900, "black", true),
        mk("h2", "Budget headphones", &phones, "bolt", 1_500, "white", true),
        mk("h3", "Studio headphones", &phones, "acme", 25_000, "black", false),
        mk("s1", "Bluetooth speaker", &speakers, "bolt", 4_999, "black", true),
        mk("s2", "Party speaker", &speakers, "acme", 5_000, "red", true),
        mk("k1", "Electric kettle", &kitchen, "cook", 3_000, "black", true),
    ]
}

#[test]
fn stemming_matches_word_forms() {
    let index = index_of(vec![
        product("p1", "Wireless headphones"),
        product("p2", "Trail run shoes"),
        product("p3", "Coffee mug"),
    ]);
    assert_eq!(text_ids(&index, "headphone"), ["p1"]);
    assert_eq!(text_ids(&index, "HEADPHONES"), ["p1"]);
    assert_eq!(text_ids(&index, "running"), ["p2"]);
    assert_eq!(text_ids(&index, "shoe"), ["p2"]);
}

#[test]
fn title_is_weighted_above_other_fields() {
    let mut in_title = product("title", "Lamp");
    in_title.description = "A lamp.".into();
    let mut in_description = product("description", "Reading light");
    in_description.description = "A small desk lamp for reading.".into();
    let mut in_shop = product("shop", "Bulb");
    in_shop.shop_name = "Lamp House".into();
    let index = index_of(vec![in_description, in_shop, in_title]);
    let found = text_ids(&index, "lamp");
    assert_eq!(found.len(), 3);
    assert_eq!(found[0], "title");
}

#[test]
fn attributes_category_and_shop_names_are_searched() {
    let mut p = product("p1", "Cotton shirt");
    p.attributes = vec![("colour".into(), "Turquoise".into())];
    p.category_names = vec!["Clothing".into(), "Menswear".into()];
    p.shop_name = "Fjordwear".into();
    let index = index_of(vec![p, product("p2", "Other thing")]);
    assert_eq!(text_ids(&index, "turquoise"), ["p1"]);
    assert_eq!(text_ids(&index, "menswear"), ["p1"]);
    assert_eq!(text_ids(&index, "fjordwear"), ["p1"]);
}

#[test]
fn typos_are_tolerated_by_word_length() {
    let index = index_of(vec![
        product("phones", "Wireless headphones"),
        product("bag", "Canvas tote bag"),
        product("mug", "Coffee mug"),
    ]);
    // 9+ letters: two edits allowed.
    assert_eq!(text_ids(&index, "headphnes"), ["phones"]);
    assert_eq!(text_ids(&index, "hedaphnoes"), ["phones"]);
    // 4-7 letters: one edit (a transposition counts as one).
    assert_eq!(text_ids(&index, "cnavas"), ["bag"]);
    assert!(text_ids(&index, "cnavsa").is_empty());
    // Under 4 letters: exact only.
    assert!(text_ids(&index, "bug").is_empty());
}

#[test]
fn exact_match_outranks_fuzzy_match() {
    let index = index_of(vec![product("typo", "Headphnes stand"), product("exact", "Headphones")]);
    assert_eq!(text_ids(&index, "headphones"), ["exact", "typo"]);
    // The misspelling is an exact match for the misspelled title, and still finds the other.
    assert_eq!(text_ids(&index, "headphnes"), ["typo", "exact"]);
    // A typo matching neither exactly finds the closest first.
    assert_eq!(text_ids(&index, "headphonez")[0], "exact");
}

#[test]
fn more_matched_words_rank_higher() {
    let mut noisy = product("one-word-many-times", "Headphones headphones headphones");
    noisy.description = "headphones headphones headphones".into();
    let index = index_of(vec![
        noisy,
        product("two-words", "Sony headphones"),
        product("all-words", "Sony wireless headphones"),
        product("unrelated", "Kettle"),
    ]);
    let found = text_ids(&index, "sony wireless headphones");
    assert_eq!(found, ["all-words", "two-words", "one-word-many-times"]);
    // Word order and a typo in one word do not change the coverage ranking.
    let found = text_ids(&index, "headphones wirless sony");
    assert_eq!(found, ["all-words", "two-words", "one-word-many-times"]);
}

#[test]
fn typos_are_matched_on_the_typed_form_not_the_stem() {
    // "wireles" stems to "wirel", one edit from the stem of "wired": the surface forms decide.
    let mut wired = product("wired", "Earbuds");
    wired.attributes = vec![("connectivity".into(), "wired".into())];
    let index = index_of(vec![wired, product("wireless", "Wireless mouse")]);
    assert_eq!(text_ids(&index, "wireles"), ["wireless"]);
    // Typos in attribute values and category names are tolerated too.
    let mut p = product("p1", "Shirt");
    p.attributes = vec![("colour".into(), "turquoise".into())];
    p.category_names = vec!["Menswear".into()];
    let index = index_of(vec![p]);
    assert_eq!(text_ids(&index, "turqoise"), ["p1"]);
    assert_eq!(text_ids(&index, "menswaer"), ["p1"]);
}

#[test]
fn match_mode_all_requires_every_word_and_falls_back_to_any() {
    let index = index_of(vec![
        product("both", "Sony headphones"),
        product("one", "Bose headphones"),
        product("other", "Sony kettle"),
    ]);
    let all = |text: &str| SearchQuery {
        match_mode: MatchMode::All,
        ..SearchQuery::text(text)
    };
    let results = search(&index, all("sony headphnes"));
    assert_eq!((results.total, ids(&results)), (1, vec!["both"]));
    assert_eq!(facet(&results.category_facets, "misc"), Some(1));
    // Nothing has both words: every product with either, best first.
    let results = search(&index, all("bose kettle"));
    assert_eq!(results.total, 2);
    // The default counts every product matching any word, full matches first.
    let results = search(&index, SearchQuery::text("sony headphones"));
    assert_eq!(results.total, 3);
    assert_eq!(ids(&results)[0], "both");
}

#[test]
fn category_filter_matches_the_subtree() {
    let index = index_of(catalog());
    let q = |category: &str| SearchQuery {
        category: Some(category.into()),
        ..SearchQuery::default()
    };
    assert_eq!(search(&index, q("electronics")).total, 5);
    assert_eq!(search(&index, q("audio")).total, 5);
    assert_eq!(search(&index, q("speakers")).total, 2);
    assert_eq!(search(&index, q("kitchen")).total, 1);
    assert_eq!(search(&index, q("nonexistent")).total, 0);
    let mut phones = q("headphones");
    phones.text = "sony".into();
    assert_eq!(ids(&search(&index, phones)), ["h1"]);
}

#[test]
fn shop_price_attribute_and_stock_filters() {
    let index = index_of(catalog());
    let shop = search(
        &index,
        SearchQuery {
            shop: Some("acme".into()),
            ..SearchQuery::default()
        },
    );
    assert_eq!(shop.total, 3);
    // Inclusive bounds: 4_999 and 9_900 are both in.
    let price = search(
        &index,
        SearchQuery {
            min_price: Some(4_999),
            max_price: Some(9_900),
            sort: Sort::PriceAsc,
            ..SearchQuery::default()
        },
    );
    assert_eq!(ids(&price), ["s1", "s2", "h1"]);
    let black = search(
        &index,
        SearchQuery {
            attributes: vec![("Colour".into(), " BLACK ".into())],
            ..SearchQuery::default()
        },
    );
    assert_eq!(black.total, 4);
    let impossible = search(
        &index,
        SearchQuery {
            attributes: vec![("colour".into(), "black".into()), ("colour".into(), "red".into())],
            ..SearchQuery::default()
        },
    );
    assert_eq!(impossible.total, 0);
    let stocked = search(
        &index,
        SearchQuery {
            text: "headphones".into(),
            in_stock_only: true,
            ..SearchQuery::default()
        },
    );
    let mut found = ids(&stocked);
    found.sort();
    assert_eq!(found, ["h1", "h2"]);
    let inverted = search(
        &index,
        SearchQuery {
            min_price: Some(10),
            max_price: Some(5),
            ..SearchQuery::default()
        },
    );
    assert_eq!(inverted.total, 0);
}

#[test]
fn facets_count_the_query_and_the_other_filters() {
    let index = index_of(catalog());
    let all = search(&index, SearchQuery::default());
    // Each product counts under every category on its path.
    assert_eq!(facet(&all.category_facets, "electronics"), Some(5));
    assert_eq!(facet(&all.category_facets, "audio"), Some(5));
    assert_eq!(facet(&all.category_facets, "headphones"), Some(3));
    assert_eq!(facet(&all.category_facets, "home"), Some(1));
    assert_eq!(all.category_facets[0].value, "audio"); // ties by value
    assert_eq!(facet(&all.shop_facets, "acme"), Some(3));
    assert_eq!(facet(&all.price_facets, "1000-5000"), Some(3));
    assert_eq!(facet(&all.price_facets, "5000-10000"), Some(2));
    assert_eq!(facet(&all.price_facets, "25000-50000"), Some(1));
    assert_eq!(facet(&all.price_facets, "0-1000"), None);

    // Text narrows every facet.
    let speaker = search(&index, SearchQuery::text("speaker"));
    assert_eq!(facet(&speaker.category_facets, "speakers"), Some(2));
    assert_eq!(facet(&speaker.category_facets, "headphones"), None);

    // A shop filter narrows the category and price facets but not the shop facet.
    let acme = search(
        &index,
        SearchQuery {
            shop: Some("acme".into()),
            ..SearchQuery::default()
        },
    );
    assert_eq!(acme.total, 3);
    assert_eq!(facet(&acme.category_facets, "headphones"), Some(2));
    assert_eq!(facet(&acme.category_facets, "home"), None);
    assert_eq!(facet(&acme.shop_facets, "bolt"), Some(2));
    assert_eq!(facet(&acme.shop_facets, "acme"), Some(3));
    assert_eq!(facet(&acme.price_facets, "1000-5000"), None);

    // A category filter narrows shops and prices, not the category facet.
    let speakers = search(
        &index,
        SearchQuery {
            category: Some("speakers".into()),
            max_price: Some(4_999),
            ..SearchQuery::default()
        },
    );
    assert_eq!(ids(&speakers), ["s1"]);
    assert_eq!(facet(&speakers.shop_facets, "bolt"), Some(1));
    assert_eq!(facet(&speakers.shop_facets, "acme"), None);
    assert_eq!(facet(&speakers.category_facets, "headphones"), Some(1));
    assert_eq!(facet(&speakers.price_facets, "5000-10000"), Some(1));
}

#[test]
fn sorts_order_the_hits() {
    let mut docs = catalog();
    for (doc, rating) in docs
        .iter_mut()
        .zip([Some(4.5), None, Some(3.0), Some(5.0), None, Some(1.0)])
    {
        doc.rating = rating;
    }
    let index = index_of(docs);
    let sorted = |sort| {
        ids(&search(
            &index,
            SearchQuery {
                sort,
                ..SearchQuery::default()
            },
        ))
        .into_iter()
        .map(String::from)
        .collect::<Vec<_>>()
    };
    assert_eq!(sorted(Sort::PriceAsc), ["h2", "k1", "s1", "s2", "h1", "h3"]);
    assert_eq!(sorted(Sort::PriceDesc), ["h3", "h1", "s2", "s1", "k1", "h2"]);
    // created_at_ms equals the price in this catalog.
    assert_eq!(sorted(Sort::Newest), ["h3", "h1", "s2", "s1", "k1", "h2"]);
    assert_eq!(&sorted(Sort::Rating)[..4], ["s1", "h1", "h3", "k1"]);
    // With text, a price sort keeps full matches ahead of partial ones.
    let q = SearchQuery {
        text: "sony headphones".into(),
        sort: Sort::PriceAsc,
        ..SearchQuery::default()
    };
    assert_eq!(ids(&search(&index, q)), ["h1", "h2", "h3"]);
    assert_eq!("price_desc".parse::<Sort>(), Ok(Sort::PriceDesc));
    assert!("cheapest".parse::<Sort>().is_err());
}

#[test]
fn pagination_reports_the_total_and_caps_the_limit() {
    let docs: Vec<ProductDoc> = (0..250)
        .map(|i| {
            let mut p = product(&format!("p{i:03}"), "Blue widget");
            p.price_minor = i;
            p
        })
        .collect();
    let index = index_of(docs);
    let page = |offset, limit| {
        search(
            &index,
            SearchQuery {
                text: "widget".into(),
                sort: Sort::PriceAsc,
                offset,
                limit,
                ..SearchQuery::default()
            },
        )
    };
    let first = page(0, 10);
    assert_eq!(first.total, 250);
    assert_eq!(ids(&first)[0], "p000");
    let third = page(20, 10);
    assert_eq!(ids(&third)[0], "p020");
    assert_eq!(third.hits.len(), 10);
    let capped = page(0, 10_000);
    assert_eq!(capped.hits.len(), 100);
    let last = page(245, 10);
    assert_eq!(last.hits.len(), 5);
    assert_eq!(last.total, 250);
    let beyond = page(usize::MAX, 10);
    assert!(beyond.hits.is_empty());
    assert_eq!(beyond.total, 250);
    let count_only = page(0, 0);
    assert!(count_only.hits.is_empty());
    assert_eq!(count_only.total, 250);
    assert_eq!(index.len(), 250);
}

#[test]
fn hostile_query_text_never_fails() {
    let index = index_of(catalog());
    let long = "headphones ".repeat(1000);
    assert_eq!(long.len(), 11_000);
    let syntax = r#"" : ( ) * ~ ^ - + [ { \ ] } title:"sony" (a OR b) AND NOT c~2 d^10 [x TO y] -"#;
    let many = (0..500).map(|i| format!("word{i}")).collect::<Vec<_>>().join(" ");
    let texts = [
        long.as_str(),
        syntax,
        &syntax.repeat(200),
        many.as_str(),
        "\\",
        "\"",
        "\0\u{1f}\u{10ffff}",
        "ééééé 東京 🎧🎧",
        &"x".repeat(10_000),
        &"(".repeat(10_000),
        "   ",
    ];
    for text in texts {
        let results = index.search(&SearchQuery::text(text));
        assert!(results.is_ok(), "{text:.40}: {results:?}");
    }
    assert_eq!(search(&index, SearchQuery::text(long)).total, 3);
    assert_eq!(
        search(&index, SearchQuery::text(r#"title:"sony""#)).hits[0].product_id,
        "h1"
    );
    // Text without words is no text: everything (matching the filters) is listed.
    assert_eq!(search(&index, SearchQuery::text("(((***")).total, 6);
    let suggestions = index.suggest(&syntax.repeat(50), 5);
    assert!(suggestions.is_ok());
}

#[test]
fn empty_text_lists_everything_matching_the_filters() {
    let index = index_of(catalog());
    assert_eq!(search(&index, SearchQuery::default()).total, 6);
    let q = SearchQuery {
        category: Some("audio".into()),
        in_stock_only: true,
        sort: Sort::PriceAsc,
        ..SearchQuery::default()
    };
    assert_eq!(ids(&search(&index, q)), ["h2", "s1", "s2", "h1"]);
}

#[test]
fn snippets_are_escaped_and_marked() {
    let mut p = product("xss", "<script>alert('x')</script> Kettle & co");
    p.description = format!(
        "{} This <b>kettle</b> boils \"fast\". {}",
        "Lorem ipsum dolor sit amet. ".repeat(10),
        "Tail text. ".repeat(20)
    );
    let index = index_of(vec![p]);
    let results = search(&index, SearchQuery::text("kettles"));
    let hit = &results.hits[0];
    assert_eq!(hit.title, "<script>alert('x')</script> Kettle & co");
    assert_eq!(
        hit.title_html,
        "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; <mark>Kettle</mark> &amp; co"
    );
    assert!(!hit.snippet_html.contains("<b>"), "{}", hit.snippet_html);
    assert!(
        hit.snippet_html.contains("&lt;b&gt;<mark>kettle</mark>&lt;/b&gt;"),
        "{}",
        hit.snippet_html
    );
    assert!(hit.snippet_html.contains("&quot;fast&quot;"), "{}", hit.snippet_html);
    assert!(hit.snippet_html.len() < 400, "{}", hit.snippet_html);
    // Typo-matched words are marked too.
    let fuzzy = search(&index, SearchQuery::text("ketle"));
    assert!(fuzzy.hits[0].title_html.contains("<mark>Kettle</mark>"));
}

#[test]
fn hits_carry_display_fields_and_the_sponsored_flag() {
    let mut ad = product("ad", "Sponsored blender");
    ad.sponsored = true;
    ad.price_minor = 12_345;
    ad.currency = "SEK".into();
    ad.shop_id = "s-9".into();
    ad.shop_name = "Blend & Co".into();
    let index = index_of(vec![ad, product("plain", "Plain blender")]);
    let results = search(&index, SearchQuery::text("blender"));
    let ad = results.hits.iter().find(|h| h.product_id == "ad").expect("ad hit");
    assert!(ad.sponsored);
    assert_eq!((ad.price_minor, ad.currency.as_str()), (12_345, "SEK"));
    assert_eq!((ad.shop_id.as_str(), ad.shop_name.as_str()), ("s-9", "Blend & Co"));
    assert!(ad.score > 0.0);
    let plain = results
        .hits
        .iter()
        .find(|h| h.product_id == "plain")
        .expect("plain hit");
    assert!(!plain.sponsored);
}

#[test]
fn upsert_replaces_and_delete_removes() {
    let index = index_of(vec![product("p1", "Old title"), product("p2", "Other")]);
    index.upsert(&[product("p1", "New title")]).expect("upsert");
    assert_eq!(index.len(), 2);
    assert!(text_ids(&index, "old").is_empty());
    assert_eq!(text_ids(&index, "new"), ["p1"]);
    // Last one wins within a batch.
    index
        .upsert(&[product("p3", "First"), product("p3", "Second")])
        .expect("upsert");
    assert!(text_ids(&index, "first").is_empty());
    assert_eq!(text_ids(&index, "second"), ["p3"]);
    index.delete(&["p1".into(), "missing".into()]).expect("delete");
    assert_eq!(index.len(), 2);
    assert!(text_ids(&index, "new").is_empty());
    index.upsert(&[]).expect("empty upsert");
    index.delete(&[]).expect("empty delete");
}

#[test]
fn rebuild_replaces_everything() {
    let index = index_of(vec![product("old", "Old thing")]);
    let count = index
        .rebuild((0..50).map(|i| product(&format!("n{i}"), "New thing")))
        .expect("rebuild");
    assert_eq!(count, 50);
    assert_eq!(index.len(), 50);
    assert!(text_ids(&index, "old").is_empty());
}

#[test]
fn on_disk_index_is_created_and_reopened() {
    let dir = std::env::temp_dir().join(format!(
        "agora-search-test-{}-{:?}",
        std::process::id(),
        std::thread::current().id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    {
        let index = SearchIndex::open(Some(&dir)).expect("create");
        index.upsert(&[product("p1", "Persistent lamp")]).expect("upsert");
        // The writer lock keeps a second writer out while this one is open.
        assert!(SearchIndex::open(Some(&dir)).is_err());
    }
    let reopened = SearchIndex::open(Some(&dir)).expect("reopen");
    assert_eq!(reopened.len(), 1);
    assert_eq!(text_ids(&reopened, "lamps"), ["p1"]);
    drop(reopened);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_directory_with_another_schema_is_reported() {
    let dir = std::env::temp_dir().join(format!("agora-search-schema-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("mkdir");
    let mut builder = tantivy::schema::Schema::builder();
    builder.add_text_field("something_else", tantivy::schema::TEXT);
    tantivy::Index::create_in_dir(&dir, builder.build()).expect("foreign index");
    let opened = SearchIndex::open(Some(&dir));
    assert!(
        matches!(opened, Err(crate::SearchError::SchemaMismatch(ref path)) if path == &dir),
        "{opened:?}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn suggest_completes_the_last_word() {
    let index = index_of(vec![
        product("p1", "Sony headphones"),
        product("p2", "Bose headphones"),
        product("p3", "Headband lamp"),
        product("p4", "Sony headset"),
        product("p5", "Sony headphones mk2"),
    ]);
    assert_eq!(
        index.suggest("HEAD", 10).expect("suggest"),
        ["headphones", "headband", "headset"]
    );
    assert_eq!(index.suggest("head", 1).expect("suggest"), ["headphones"]);
    assert_eq!(
        index.suggest("sony hea", 10).expect("suggest"),
        ["sony headphones", "sony headset"]
    );
    assert!(index.suggest("bose hea", 10).expect("suggest") == ["bose headphones"]);
    assert!(index.suggest("", 10).expect("suggest").is_empty());
    assert!(index.suggest("zzz", 10).expect("suggest").is_empty());
}

#[test]
fn searches_run_concurrently_with_upserts() {
    let index = index_of(catalog());
    let stop = Arc::new(AtomicBool::new(false));
    let searchers: Vec<_> = (0..8)
        .map(|_| {
            let index = index.clone();
            let stop = Arc::clone(&stop);
            std::thread::spawn(move || {
                let mut runs = 0;
                while !stop.load(Ordering::Relaxed) || runs == 0 {
                    let results = index.search(&SearchQuery::text("headphones speaker")).expect("search");
                    // Every snapshot holds the original five audio products at least.
                    assert!(results.total >= 5, "{}", results.total);
                    runs += 1;
                }
                runs
            })
        })
        .collect();
    for i in 0..30 {
        let mut p = product(&format!("new{i}"), "Extra speaker");
        p.price_minor = i;
        index.upsert(&[p]).expect("upsert");
        // Visible as soon as upsert returns.
        assert_eq!(index.len(), 7 + i as u64);
    }
    stop.store(true, Ordering::Relaxed);
    for handle in searchers {
        assert!(handle.join().expect("searcher thread") > 0);
    }
    assert_eq!(search(&index, SearchQuery::text("extra")).total, 30);
}
