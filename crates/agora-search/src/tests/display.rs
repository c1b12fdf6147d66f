//! What a hit shows (escaped, marked snippets; display fields; the sponsored flag) and suggestions.

use super::*;

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
    ad.in_stock = false;
    let index = index_of(vec![ad, product("plain", "Plain blender")]);
    let results = search(&index, SearchQuery::text("blender"));
    let ad = results.hits.iter().find(|h| h.product_id == "ad").expect("ad hit");
    assert!(ad.sponsored);
    assert!(!ad.in_stock, "an out-of-stock hit says so");
    assert_eq!((ad.price_minor, ad.currency.as_str()), (12_345, "SEK"));
    assert_eq!((ad.shop_id.as_str(), ad.shop_name.as_str()), ("s-9", "Blend & Co"));
    assert!(ad.score > 0.0);
    let plain = results
        .hits
        .iter()
        .find(|h| h.product_id == "plain")
        .expect("plain hit");
    assert!(!plain.sponsored);
    assert!(plain.in_stock);
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
