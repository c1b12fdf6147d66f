//! The crate's vocabulary: what goes into the index and what a search asks and answers.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// At most this many hits per page; larger `limit`s are capped.
pub const MAX_LIMIT: usize = 100;

/// At most this many words of the query text are used; the rest are ignored.
pub const MAX_QUERY_WORDS: usize = 16;

/// At most this many values per facet family (categories, shops), the most frequent first.
pub const FACET_LIMIT: usize = 100;

/// One product as the index sees it: everything searchable, filterable, sortable or displayed.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ProductDoc {
    /// The product's id; [`SearchIndex::upsert`](crate::SearchIndex::upsert) replaces by it.
    pub product_id: String,
    /// The title, the most heavily weighted text.
    pub title: String,
    /// The description (searched with a low weight, and the source of snippets).
    pub description: String,
    /// Category slugs from the root to the product's category, e.g. `["electronics", "audio"]`.
    pub category_path: Vec<String>,
    /// Category names along the path, so that "headphones" matches a category's name.
    pub category_names: Vec<String>,
    /// The shop's id (a filter and a facet).
    pub shop_id: String,
    /// The shop's name (searched, and returned with hits).
    pub shop_name: String,
    /// Attribute key/value pairs of the product and its variants, e.g. `("colour", "black")`.
    /// Values are searched as text; pairs can be filtered on (case-insensitively).
    pub attributes: Vec<(String, String)>,
    /// The lowest variant price in minor units.
    pub price_minor: i64,
    /// The ISO 4217 currency of `price_minor`.
    pub currency: String,
    /// Whether any variant can still be sold.
    pub in_stock: bool,
    /// The average rating, if the product has been rated.
    pub rating: Option<f32>,
    /// Creation time in milliseconds since the Unix epoch (for [`Sort::Newest`]).
    pub created_at_ms: i64,
    /// Whether the listing is sponsored (an ad); carried through to [`Hit::sponsored`].
    pub sponsored: bool,
}

/// The order of the hits.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Sort {
    /// Best match first: more query words matched, then titles holding more of them exactly and
    /// fewer other words (the product a query names before its accessories), then exact before
    /// fuzzy, then BM25.
    #[default]
    Relevance,
    /// Cheapest first.
    PriceAsc,
    /// Most expensive first.
    PriceDesc,
    /// Most recently created first.
    Newest,
    /// Best rated first; unrated products last.
    Rating,
}

impl Sort {
    /// The name used in URLs and JSON (`relevance`, `price_asc`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            Sort::Relevance => "relevance",
            Sort::PriceAsc => "price_asc",
            Sort::PriceDesc => "price_desc",
            Sort::Newest => "newest",
            Sort::Rating => "rating",
        }
    }
}

impl fmt::Display for Sort {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The error of parsing an unknown sort name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown sort {0:?}: expected relevance, price_asc, price_desc, newest or rating")]
pub struct UnknownSort(pub String);

impl FromStr for Sort {
    type Err = UnknownSort;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s {
            "relevance" => Sort::Relevance,
            "price_asc" => Sort::PriceAsc,
            "price_desc" => Sort::PriceDesc,
            "newest" => Sort::Newest,
            "rating" => Sort::Rating,
            other => return Err(UnknownSort(other.to_string())),
        })
    }
}

/// How many of the query's words a product must match to be a result.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MatchMode {
    /// At least one word: products matching more of the words rank first (in every sort), and
    /// `total` and the facets count every product matching any word.
    #[default]
    Any,
    /// Every word (each exactly or within its typo distance), so `total` and the facets count
    /// only full matches. When no product matches every word, the search falls back to
    /// [`MatchMode::Any`].
    All,
}

/// A search: free text, filters, a sort and a page.
///
/// Facet counts follow the usual shop convention: each facet family is counted over the
/// documents matching the text and every filter *except its own* (the shop facet ignores the
/// shop filter, the price facet the price range, the category facet the category), so the
/// counts show what choosing another value would give.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SearchQuery {
    /// What the user typed; treated as plain words (query syntax has no meaning). Empty lists
    /// everything matching the filters.
    pub text: String,
    /// A category slug; matches its whole subtree.
    pub category: Option<String>,
    /// A shop id.
    pub shop: Option<String>,
    /// Inclusive lower bound on `price_minor`.
    pub min_price: Option<i64>,
    /// Inclusive upper bound on `price_minor`.
    pub max_price: Option<i64>,
    /// Attribute key/value pairs that must all match (case-insensitive).
    pub attributes: Vec<(String, String)>,
    /// Only products with stock.
    pub in_stock_only: bool,
    /// How many of the words must match.
    pub match_mode: MatchMode,
    /// Match the words exactly (by stem), without typo tolerance: what a "search the exact words
    /// instead" link asks for. Corrections are still worked out, to suggest them.
    pub exact_words: bool,
    /// The order of the hits.
    pub sort: Sort,
    /// Hits to skip.
    pub offset: usize,
    /// Hits to return, capped at [`MAX_LIMIT`].
    pub limit: usize,
}

impl Default for SearchQuery {
    fn default() -> Self {
        SearchQuery {
            text: String::new(),
            category: None,
            shop: None,
            min_price: None,
            max_price: None,
            attributes: Vec::new(),
            in_stock_only: false,
            match_mode: MatchMode::Any,
            exact_words: false,
            sort: Sort::Relevance,
            offset: 0,
            limit: 20,
        }
    }
}

impl SearchQuery {
    /// A query for `text` with no filters, sorted by relevance, first page of 20.
    pub fn text(text: impl Into<String>) -> Self {
        SearchQuery {
            text: text.into(),
            ..SearchQuery::default()
        }
    }
}

/// One product in the results.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Hit {
    /// The product's id.
    pub product_id: String,
    /// The title as indexed (plain text: escape it when rendering).
    pub title: String,
    /// The title HTML-escaped, with matched words wrapped in `<mark>…</mark>`.
    pub title_html: String,
    /// The lowest variant price in minor units.
    pub price_minor: i64,
    /// The ISO 4217 currency of the price.
    pub currency: String,
    /// The shop's id.
    pub shop_id: String,
    /// The shop's name.
    pub shop_name: String,
    /// A fragment of the description, HTML-escaped, with matched words wrapped in
    /// `<mark>…</mark>`; the description's opening when no word matched there.
    pub snippet_html: String,
    /// Whether the listing is sponsored.
    pub sponsored: bool,
    /// Whether any variant can still be sold.
    pub in_stock: bool,
    /// The relevance score (larger is better; comparable only within one search).
    pub score: f32,
}

/// A facet value and how many matching products have it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FacetCount {
    /// A category slug, a shop id or a price bucket such as `"1000-5000"`.
    pub value: String,
    /// The number of matching products.
    pub count: u64,
}

/// The answer to a [`SearchQuery`].
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SearchResults {
    /// How many products match the text and all filters (not just this page).
    pub total: usize,
    /// The requested page of hits.
    pub hits: Vec<Hit>,
    /// Category slugs, each product counted under every category on its path; most frequent
    /// first, at most [`FACET_LIMIT`].
    pub category_facets: Vec<FacetCount>,
    /// Shop ids; most frequent first, at most [`FACET_LIMIT`].
    pub shop_facets: Vec<FacetCount>,
    /// Price buckets in minor units (see [`PRICE_BUCKETS`](crate::PRICE_BUCKETS)), cheapest
    /// first, empty buckets left out. A bucket `"lo-hi"` holds `lo <= price < hi`.
    pub price_facets: Vec<FacetCount>,
    /// The query text with each misspelt word (one no product has) replaced by the closest word
    /// products do have, within the word's typo distance; `None` when no word was corrected.
    /// Without [`SearchQuery::exact_words`] these are the words the search matched instead
    /// ("showing results for …"); with it, a "did you mean …".
    pub corrected_text: Option<String>,
}
