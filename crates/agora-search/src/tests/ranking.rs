//! Relevance: stemming, field weights, typo tolerance and how many words must match.

use super::*;
use crate::MatchMode;

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
fn a_product_named_by_the_query_outranks_accessories_that_mention_it() {
    let mut product_itself = product("aurora", "Nordlicht Aurora wireless headphones");
    product_itself.description = "Over-ear, active noise cancelling, 40 h battery.".into();
    // An accessory whose title adds words to the product's name, and whose description repeats it.
    let mut case = product("case", "Hard case for Nordlicht Aurora wireless headphones");
    case.description = "Fits the Nordlicht Aurora wireless headphones: Nordlicht Aurora wireless headphones \
                        stay safe. Made for Nordlicht Aurora wireless headphones."
        .into();
    case.attributes = vec![("fits".into(), "Nordlicht Aurora wireless headphones".into())];
    // An accessory that mentions the product only in its description.
    let mut stand = product("stand", "Walnut stand");
    stand.description = "Holds Nordlicht Aurora wireless headphones.".into();
    let index = index_of(vec![case, stand, product_itself]);
    assert_eq!(
        text_ids(&index, "Nordlicht Aurora wireless headphones"),
        ["aurora", "case", "stand"]
    );
    // Part of the name still finds the product before the accessories.
    assert_eq!(text_ids(&index, "aurora headphones")[0], "aurora");
    // Asking for the accessory finds it first.
    assert_eq!(text_ids(&index, "aurora headphones case")[0], "case");
}

#[test]
fn corrected_words_are_reported_and_exact_words_turn_typos_off() {
    let index = index_of(vec![
        product("phones", "Wireless headphones"),
        product("mug", "Coffee mug"),
    ]);
    let results = search(&index, SearchQuery::text("Wireless headphnes"));
    assert_eq!(ids(&results), ["phones"]);
    assert_eq!(results.corrected_text.as_deref(), Some("Wireless headphones"));
    // Correctly spelt words are not "corrected".
    assert_eq!(search(&index, SearchQuery::text("headphones")).corrected_text, None);
    assert_eq!(search(&index, SearchQuery::text("kettle")).corrected_text, None);
    // The exact words find nothing, and still suggest the correction.
    let exact = search(
        &index,
        SearchQuery {
            exact_words: true,
            ..SearchQuery::text("headphnes")
        },
    );
    assert_eq!(exact.total, 0);
    assert_eq!(exact.corrected_text.as_deref(), Some("headphones"));
}
