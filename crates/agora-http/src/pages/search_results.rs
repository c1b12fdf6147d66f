//! The search results page as people expect it: the words a typo was read as (with a way back to
//! the exact words), the filters as readable chips each removable, the chosen facets marked, pages
//! back and forth keeping every filter, out-of-stock results labelled, and help instead of an
//! empty page when nothing was found.
//!
//! The handler (`catalog::search`) runs the search and builds the frame; everything the page
//! shows from the search and its URL is worked out here.

use std::collections::{BTreeMap, HashMap};

use agora_app::search::{FacetValue, SearchPage};
use agora_core::money::{Currency, Money};
use askama::Template;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use super::{render, urlencode, Layout};
use crate::frame::CategoryLink;

/// A link in the search sidebar.
pub struct FacetLink {
    pub label: String,
    pub count: u64,
    /// Chooses this value, or (when it is the chosen one) removes it.
    pub url: String,
    /// Whether this value is the chosen filter.
    pub active: bool,
}

/// A filter in force, in words, with the address of the same search without it.
pub struct Chip {
    pub label: String,
    pub remove_url: String,
}

/// One link of the page navigation: a page number, or a gap (`url` and `number` unset).
pub struct PageLink {
    pub number: Option<usize>,
    pub url: String,
    pub current: bool,
}

/// Links to the previous and next page and to pages by number.
#[derive(Default)]
pub struct Pagination {
    pub previous: Option<String>,
    pub next: Option<String>,
    pub pages: Vec<PageLink>,
}

#[derive(Template)]
#[template(path = "search.html")]
struct SearchResultsPage {
    layout: Layout,
    page: SearchPage,
    categories: Vec<FacetLink>,
    shops: Vec<FacetLink>,
    prices: Vec<FacetLink>,
    chips: Vec<Chip>,
    /// The same words without any filter, when some filter is on.
    clear_url: Option<String>,
    sort: String,
    in_stock: bool,
    /// The current filters as hidden form fields (for the sort form).
    hidden: Vec<(String, String)>,
    pagination: Pagination,
    /// The words the search read the typed ones as, and the address that searches them.
    corrected: Option<(String, String)>,
    /// The address that searches the typed words exactly, when they were corrected.
    exact_url: Option<String>,
    /// Whether the search was for the exact words (so a correction is a "did you mean").
    exact: bool,
    /// Categories to browse when nothing was found.
    popular: Vec<CategoryLink>,
    error: Option<String>,
}

/// The query string's non-empty parameters, in a stable order.
pub fn params(raw: &HashMap<String, String>) -> BTreeMap<String, String> {
    raw.iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

/// `/search?…` with the given parameters.
fn search_url(params: &BTreeMap<String, String>) -> String {
    let query: Vec<String> = params
        .iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| format!("{}={}", urlencode(k), urlencode(v)))
        .collect();
    format!("/search?{}", query.join("&"))
}

/// The search URL with `key` set to `value` (or removed when `None`); the page restarts at 1.
fn url_with(params: &BTreeMap<String, String>, key: &str, value: Option<&str>) -> String {
    let mut p = params.clone();
    p.remove("cursor");
    match value {
        Some(v) => p.insert(key.to_owned(), v.to_owned()),
        None => p.remove(key),
    };
    search_url(&p)
}

fn facet_links(values: &[FacetValue], params: &BTreeMap<String, String>, key: &str) -> Vec<FacetLink> {
    let current = params.get(key).map(String::as_str);
    values
        .iter()
        .map(|f| {
            let active = current == Some(f.value.as_str());
            FacetLink {
                label: f.label.clone(),
                count: f.count,
                url: url_with(params, key, (!active).then_some(f.value.as_str())),
                active,
            }
        })
        .collect()
}

/// Price buckets (`"lo-hi"`, `lo <= price < hi`) as links setting the inclusive filter bounds.
fn price_links(values: &[FacetValue], params: &BTreeMap<String, String>) -> Vec<FacetLink> {
    values
        .iter()
        .map(|f| {
            let (lo, hi) = f.value.split_once('-').unwrap_or((f.value.as_str(), ""));
            let max = hi.parse::<i64>().ok().map(|hi| (hi - 1).to_string());
            let active =
                params.get("min_price").map(String::as_str) == Some(lo) && params.get("max_price") == max.as_ref();
            let mut p = params.clone();
            p.remove("cursor");
            if active {
                p.remove("min_price");
                p.remove("max_price");
            } else {
                p.insert("min_price".into(), lo.to_owned());
                match &max {
                    Some(max) => p.insert("max_price".into(), max.clone()),
                    None => p.remove("max_price"),
                };
            }
            FacetLink {
                label: f.label.clone(),
                count: f.count,
                url: search_url(&p),
                active,
            }
        })
        .collect()
}

/// An amount of minor units typed in a filter, for people: `50.00 EUR`.
fn price_words(minor: &str) -> Option<String> {
    let minor = minor.trim().parse::<i64>().ok()?;
    Some(crate::words::money(Money::new(minor, Currency::EUR)))
}

/// The filters in force, in words, each with the address that removes it.
fn chips(params: &BTreeMap<String, String>, category_name: Option<&str>, shops: &[FacetLink]) -> Vec<Chip> {
    let mut chips = Vec::new();
    let mut push = |label: String, key: &str| {
        chips.push(Chip {
            label,
            remove_url: url_with(params, key, None),
        })
    };
    if let Some(slug) = params.get("category") {
        push(format!("Category: {}", category_name.unwrap_or(slug)), "category");
    }
    if params.contains_key("shop") {
        let name = shops
            .iter()
            .find(|s| s.active)
            .map_or("the chosen shop", |s| s.label.as_str());
        push(format!("Shop: {name}"), "shop");
    }
    if let Some(from) = params.get("min_price").and_then(|v| price_words(v)) {
        push(format!("Price from {from}"), "min_price");
    }
    if let Some(to) = params.get("max_price").and_then(|v| price_words(v)) {
        push(format!("Price up to {to}"), "max_price");
    }
    if params.contains_key("in_stock") {
        push("In stock only".to_owned(), "in_stock");
    }
    if params.contains_key("exact") {
        push("Exact words only".to_owned(), "exact");
    }
    for (key, value) in params {
        if let Some(name) = key.strip_prefix("attr.") {
            push(format!("{}: {value}", capitalised(&name.replace('_', " "))), key);
        }
    }
    chips
}

fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// Previous and next, and the page numbers around the current one (with the first and the last),
/// every link keeping the search's filters and sort.
fn pagination(params: &BTreeMap<String, String>, page: &SearchPage) -> Pagination {
    let limit = page.limit.max(1);
    if page.total <= limit && page.offset == 0 {
        return Pagination::default();
    }
    let at = |offset: usize| {
        let mut p = params.clone();
        if offset == 0 {
            p.remove("cursor");
        } else {
            p.insert("cursor".into(), offset.to_string());
        }
        search_url(&p)
    };
    let current = page.offset / limit + 1;
    let last = page.total.div_ceil(limit).max(current);
    let mut pages = Vec::new();
    for number in 1..=last {
        let near = number.abs_diff(current) <= 2;
        if number == 1 || number == last || near {
            pages.push(PageLink {
                number: Some(number),
                url: at((number - 1) * limit),
                current: number == current && page.offset.is_multiple_of(limit),
            });
        } else if pages.last().is_some_and(|p| p.number.is_some()) {
            pages.push(PageLink {
                number: None,
                url: String::new(),
                current: false,
            });
        }
    }
    Pagination {
        previous: (page.offset > 0).then(|| at(page.offset.saturating_sub(limit))),
        next: page.next_cursor.as_ref().map(|c| {
            let mut p = params.clone();
            p.insert("cursor".into(), c.clone());
            search_url(&p)
        }),
        pages,
    }
}

/// The page's `<h1>`: the category's name when browsing one, the words searched otherwise.
pub fn title(q: &str, category_name: Option<&str>) -> String {
    match (q.is_empty(), category_name) {
        (true, Some(name)) => name.to_owned(),
        (true, None) => "All products".to_owned(),
        (false, _) => format!("Results for “{q}”"),
    }
}

/// The page's meta description.
pub fn description(q: &str) -> String {
    if q.is_empty() {
        "Browse every product on Agora: filter by category, shop, price and stock, and compare verified sellers."
            .to_owned()
    } else {
        format!(
            "Products matching “{}” on Agora: filter by category, shop, price and stock, and compare verified sellers.",
            super::text_summary::shorten(q, 60)
        )
    }
}

/// Renders the results page of a search.
pub fn respond(
    layout: Layout,
    page: SearchPage,
    params: BTreeMap<String, String>,
    category_name: Option<String>,
    error: Option<String>,
) -> Response {
    let categories = facet_links(&page.facets.category, &params, "category");
    let shops = facet_links(&page.facets.shop, &params, "shop");
    let prices = price_links(&page.facets.price, &params);
    let chips = chips(&params, category_name.as_deref(), &shops);
    let clear_url = (!chips.is_empty()).then(|| {
        let mut p = BTreeMap::new();
        if let Some(q) = params.get("q") {
            p.insert("q".to_owned(), q.clone());
        }
        search_url(&p)
    });
    let exact = params.contains_key("exact");
    let corrected = page.corrected_q.clone().filter(|c| !c.is_empty()).map(|c| {
        let mut p = params.clone();
        p.remove("exact");
        p.remove("cursor");
        p.insert("q".into(), c.clone());
        (c, search_url(&p))
    });
    let exact_url = (!exact && corrected.is_some()).then(|| url_with(&params, "exact", Some("true")));
    let hidden = params
        .iter()
        .filter(|(k, _)| !["sort", "cursor", "q", "in_stock"].contains(&k.as_str()))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let sort = params.get("sort").cloned().unwrap_or_else(|| "relevance".into());
    let in_stock = params.contains_key("in_stock");
    let pagination = pagination(&params, &page);
    let popular = if page.items.is_empty() {
        layout.categories.iter().take(8).cloned().collect()
    } else {
        Vec::new()
    };
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let view = SearchResultsPage {
        layout,
        page,
        categories,
        shops,
        prices,
        chips,
        clear_url,
        sort,
        in_stock,
        hidden,
        pagination,
        corrected,
        exact_url,
        exact,
        popular,
        error,
    };
    (status, render(&view)).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params_of(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn chips_read_as_words_and_remove_one_filter_each() {
        let p = params_of(&[
            ("q", "lamp"),
            ("min_price", "5000"),
            ("max_price", "9999"),
            ("in_stock", "true"),
        ]);
        let chips = chips(&p, None, &[]);
        let labels: Vec<&str> = chips.iter().map(|c| c.label.as_str()).collect();
        assert_eq!(
            labels,
            ["Price from 50.00 EUR", "Price up to 99.99 EUR", "In stock only"]
        );
        assert_eq!(chips[0].remove_url, "/search?in_stock=true&max_price=9999&q=lamp");
    }

    #[test]
    fn pages_link_back_and_forth_with_gaps() {
        let page = SearchPage {
            total: 200,
            offset: 100,
            limit: 20,
            next_cursor: Some("120".into()),
            ..SearchPage::default()
        };
        let nav = pagination(&params_of(&[("q", "x"), ("sort", "price_asc")]), &page);
        assert_eq!(nav.previous.as_deref(), Some("/search?cursor=80&q=x&sort=price_asc"));
        assert_eq!(nav.next.as_deref(), Some("/search?cursor=120&q=x&sort=price_asc"));
        let numbers: Vec<Option<usize>> = nav.pages.iter().map(|p| p.number).collect();
        assert_eq!(
            numbers,
            [
                Some(1),
                None,
                Some(4),
                Some(5),
                Some(6),
                Some(7),
                Some(8),
                None,
                Some(10)
            ]
        );
        assert!(nav.pages.iter().any(|p| p.current && p.number == Some(6)));
        assert_eq!(nav.pages[0].url, "/search?q=x&sort=price_asc");
    }
}
