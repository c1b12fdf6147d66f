//! Filters, facet counts, sorts, pages, and hostile query text.

use super::*;
use crate::Sort;

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
