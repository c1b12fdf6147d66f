//! Product search for Agora: a [tantivy] full-text index over the catalog.
//!
//! The crate is a pure library: it knows nothing about the database. The application feeds it
//! [`ProductDoc`]s (from the outbox, or all at once with [`SearchIndex::rebuild`]) and asks it
//! [`SearchQuery`]s; it answers with ranked [`Hit`]s, facet counts and autocomplete suggestions.
//!
//! What it does:
//! - English stemming ("headphone" finds "headphones", "running" finds "run") over the title
//!   (weighted highest), attribute values, category names, shop name and description;
//! - typo tolerance (edit distance 1 for words of 4+ letters, 2 for 8+), ranked so that a
//!   document matching more of the query's words comes first, then one whose title holds more of
//!   them exactly and fewer other words (a product named by the query before an accessory whose
//!   title or description merely mentions it), then exact matches before fuzzy ones, then BM25;
//!   the words a typo was matched to are
//!   reported ([`SearchResults::corrected_text`]), and [`SearchQuery::exact_words`] turns typo
//!   tolerance off;
//! - filters (category subtree, shop, price range, attribute values, in stock), sorts,
//!   offset/limit pagination, and facets over categories, shops and price buckets;
//! - HTML-escaped snippets with `<mark>` around matched words;
//! - user text is only ever treated as plain words: it cannot reach a query parser.
//!
//! ```
//! use agora_search::{ProductDoc, SearchIndex, SearchQuery};
//!
//! let index = SearchIndex::open(None)?;
//! index.upsert(&[ProductDoc {
//!     product_id: "p1".into(),
//!     title: "Wireless headphones".into(),
//!     price_minor: 4999,
//!     currency: "EUR".into(),
//!     in_stock: true,
//!     ..ProductDoc::default()
//! }])?;
//! let results = index.search(&SearchQuery::text("headphone"))?;
//! assert_eq!(results.hits[0].product_id, "p1");
//! # Ok::<(), agora_search::SearchError>(())
//! ```

mod analysis;
mod claim;
mod collector;
mod correction;
mod error;
mod facets;
mod index;
mod model;
mod query;
mod schema;
mod snippet;
mod suggest;

pub use error::{Result, SearchError};
pub use facets::PRICE_BUCKETS;
pub use index::SearchIndex;
pub use model::{
    FacetCount, Hit, MatchMode, ProductDoc, SearchQuery, SearchResults, Sort, UnknownSort, FACET_LIMIT, MAX_LIMIT,
    MAX_QUERY_WORDS,
};

#[cfg(test)]
mod tests;
