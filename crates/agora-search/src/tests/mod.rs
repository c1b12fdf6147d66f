//! Behaviour tests of the whole index, one module per subject: relevance and typos; filters,
//! facets, sorts and pages; what a hit shows; keeping the index current.

mod display;
mod filters;
mod lifecycle;
mod ranking;

use crate::{FacetCount, ProductDoc, SearchIndex, SearchQuery, SearchResults};

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
