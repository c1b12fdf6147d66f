//! One pass over the matching documents that yields everything a results page needs: the total,
//! the top hits in the requested order, and the three facet families.
//!
//! Category, shop and price filters are evaluated here from fast fields rather than in the
//! query, because each facet family is counted over the documents passing every filter *but its
//! own*: a document failing only the shop filter still counts in the shop facet.

use std::cmp::{Ordering, Reverse};
use std::collections::{BinaryHeap, HashMap};

use tantivy::collector::{Collector, SegmentCollector};
use tantivy::columnar::{Column, StrColumn};
use tantivy::fieldnorm::FieldNormReader;
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::{DocAddress, DocId, DocSet, Score, SegmentOrdinal, SegmentReader, Term, TERMINATED};

use crate::facets::{price_bucket, PRICE_BUCKETS};
use crate::model::Sort;
use crate::query::coverage;
use crate::schema::{CATEGORY, CREATED, PRICE, RATING, SHOP};

/// What a search collects.
pub(crate) struct SearchCollector {
    /// Category slug filter (subtree).
    pub category: Option<String>,
    /// Shop id filter.
    pub shop: Option<String>,
    /// Inclusive price range.
    pub min_price: i64,
    /// Inclusive price range.
    pub max_price: i64,
    /// Order of the hits.
    pub sort: Sort,
    /// How many of the best hits to keep (offset + limit).
    pub top_k: usize,
    /// Whether scores are needed (there is query text).
    pub scoring: bool,
    /// Documents matching fewer query words are ignored.
    pub min_words: u32,
    /// The query words' stems in the title field, for [`TitleFit`] (relevance sort only).
    pub title_terms: Vec<Term>,
    /// The title field.
    pub title_field: Field,
}

/// How well a title fits the query: how many query words it holds exactly, then how few other
/// words it has. Relevance ranks by it right after the number of words matched, so the product a
/// query names comes before an accessory whose title adds words ("case for …") or whose
/// description merely mentions it.
///
/// Packed as `(words in the title << 16) | (0xFFFF - other words)`: larger is better; 0 for a
/// title without any query word.
type TitleFit = u32;

/// The title's postings of each query word in one segment, and its word counts.
struct TitleWords {
    /// Per query word, the sorted documents whose title has its stem.
    docs: Vec<Vec<DocId>>,
    lengths: FieldNormReader,
}

impl TitleWords {
    fn read(reader: &SegmentReader, field: Field, terms: &[Term]) -> tantivy::Result<Self> {
        let inverted = reader.inverted_index(field)?;
        let mut docs = Vec::with_capacity(terms.len());
        for term in terms {
            let mut list = Vec::new();
            if let Some(mut postings) = inverted.read_postings(term, IndexRecordOption::Basic)? {
                let mut doc = postings.doc();
                while doc != TERMINATED {
                    list.push(doc);
                    doc = postings.advance();
                }
            }
            docs.push(list);
        }
        Ok(TitleWords {
            docs,
            lengths: reader.get_fieldnorms_reader(field)?,
        })
    }

    fn fit(&self, doc: DocId) -> TitleFit {
        let held = self.docs.iter().filter(|d| d.binary_search(&doc).is_ok()).count() as u32;
        if held == 0 {
            // Other words only count against a title that names the query at all.
            return 0;
        }
        let others = self.lengths.fieldnorm(doc).saturating_sub(held).min(0xFFFF);
        (held.min(0xFFFF) << 16) | (0xFFFF - others)
    }
}

/// A hit's position in the requested order: larger is better.
///
/// `(words matched, title fit, sort value, tie-breaker)`: for relevance the title fit is a
/// [`TitleFit`], the sort value the score and the tie-breaker the creation time; for the other
/// sorts the title fit is 0 and the tie-breaker is the score.
type SortKey = (u32, TitleFit, u64, u64);

/// A candidate hit.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Ranked {
    key: SortKey,
    /// Where the document is.
    pub address: DocAddress,
    /// Its score.
    pub score: Score,
}

impl Ranked {
    fn order(&self) -> (SortKey, Reverse<(SegmentOrdinal, DocId)>) {
        (self.key, Reverse((self.address.segment_ord, self.address.doc_id)))
    }
}

impl PartialEq for Ranked {
    fn eq(&self, other: &Self) -> bool {
        self.order() == other.order()
    }
}
impl Eq for Ranked {}
impl PartialOrd for Ranked {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Ranked {
    fn cmp(&self, other: &Self) -> Ordering {
        self.order().cmp(&other.order())
    }
}

/// An order-preserving map from `i64` to `u64`.
fn i64_key(v: i64) -> u64 {
    (v as u64) ^ (1 << 63)
}

/// An order-preserving map from `f64` to `u64`.
fn f64_key(v: f64) -> u64 {
    let bits = v.to_bits();
    if bits >> 63 == 1 {
        !bits
    } else {
        bits | (1 << 63)
    }
}

/// An order-preserving map from a score to `u64`.
fn score_key(score: Score) -> u64 {
    f64_key(f64::from(score))
}

/// What one segment (or, after merging, the whole index) yields.
#[derive(Debug, Default)]
pub(crate) struct Collected {
    /// Documents passing every filter.
    pub total: u64,
    /// The best `top_k` of them, best first.
    pub top: Vec<Ranked>,
    /// Category slug counts.
    pub categories: HashMap<String, u64>,
    /// Shop id counts.
    pub shops: HashMap<String, u64>,
    /// Price bucket counts.
    pub prices: [u64; PRICE_BUCKETS.len()],
}

/// A term filter resolved against one segment's dictionary.
#[derive(Debug, Clone, Copy)]
enum OrdFilter {
    /// No filter.
    Any,
    /// Documents having this term ordinal.
    Ord(u64),
    /// The term does not occur in the segment.
    Nothing,
}

fn resolve(filter: Option<&str>, column: Option<&StrColumn>) -> tantivy::Result<OrdFilter> {
    let Some(value) = filter else {
        return Ok(OrdFilter::Any);
    };
    let Some(column) = column else {
        return Ok(OrdFilter::Nothing);
    };
    Ok(match column.dictionary().term_ord(value)? {
        Some(ord) => OrdFilter::Ord(ord),
        None => OrdFilter::Nothing,
    })
}

/// Per-segment state of [`SearchCollector`].
pub(crate) struct SegmentSearch {
    segment_ord: SegmentOrdinal,
    min_words: u32,
    sort: Sort,
    top_k: usize,
    min_price: i64,
    max_price: i64,
    category: Option<StrColumn>,
    shop: Option<StrColumn>,
    price: Column<i64>,
    created: Column<i64>,
    rating: Option<Column<f64>>,
    category_filter: OrdFilter,
    shop_filter: OrdFilter,
    title: Option<TitleWords>,
    total: u64,
    heap: BinaryHeap<Reverse<Ranked>>,
    category_counts: Vec<u64>,
    shop_counts: Vec<u64>,
    price_counts: [u64; PRICE_BUCKETS.len()],
}

impl Collector for SearchCollector {
    type Fruit = Collected;
    type Child = SegmentSearch;

    fn for_segment(&self, segment_ord: SegmentOrdinal, reader: &SegmentReader) -> tantivy::Result<SegmentSearch> {
        let fast = reader.fast_fields();
        let max_doc = reader.max_doc();
        let category = fast.str(CATEGORY)?;
        let shop = fast.str(SHOP)?;
        let category_filter = resolve(self.category.as_deref(), category.as_ref())?;
        let shop_filter = resolve(self.shop.as_deref(), shop.as_ref())?;
        let category_counts = vec![0; category.as_ref().map_or(0, |c| c.num_terms())];
        let shop_counts = vec![0; shop.as_ref().map_or(0, |c| c.num_terms())];
        Ok(SegmentSearch {
            segment_ord,
            min_words: self.min_words,
            sort: self.sort,
            top_k: self.top_k,
            min_price: self.min_price,
            max_price: self.max_price,
            category,
            shop,
            price: fast
                .column_opt(PRICE)?
                .unwrap_or_else(|| Column::build_empty_column(max_doc)),
            created: fast
                .column_opt(CREATED)?
                .unwrap_or_else(|| Column::build_empty_column(max_doc)),
            rating: fast.column_opt(RATING)?,
            category_filter,
            shop_filter,
            title: match (self.sort, self.title_terms.is_empty()) {
                (Sort::Relevance, false) => Some(TitleWords::read(reader, self.title_field, &self.title_terms)?),
                _ => None,
            },
            total: 0,
            heap: BinaryHeap::new(),
            category_counts,
            shop_counts,
            price_counts: [0; PRICE_BUCKETS.len()],
        })
    }

    fn requires_scoring(&self) -> bool {
        self.scoring
    }

    fn merge_fruits(&self, fruits: Vec<Collected>) -> tantivy::Result<Collected> {
        let mut merged = Collected::default();
        for fruit in fruits {
            merged.total += fruit.total;
            merged.top.extend(fruit.top);
            for (value, count) in fruit.categories {
                *merged.categories.entry(value).or_default() += count;
            }
            for (value, count) in fruit.shops {
                *merged.shops.entry(value).or_default() += count;
            }
            for (sum, count) in merged.prices.iter_mut().zip(fruit.prices) {
                *sum += count;
            }
        }
        merged.top.sort_unstable_by(|a, b| b.cmp(a));
        merged.top.truncate(self.top_k);
        Ok(merged)
    }
}

impl SegmentSearch {
    fn passes(filter: OrdFilter, column: Option<&StrColumn>, doc: DocId) -> bool {
        match (filter, column) {
            (OrdFilter::Any, _) => true,
            (OrdFilter::Ord(ord), Some(column)) => column.term_ords(doc).any(|o| o == ord),
            _ => false,
        }
    }

    fn sort_key(&self, doc: DocId, score: Score) -> SortKey {
        let words = coverage(score);
        let created = || i64_key(self.created.first(doc).unwrap_or(i64::MIN));
        match self.sort {
            Sort::Relevance => (
                words,
                self.title.as_ref().map_or(0, |t| t.fit(doc)),
                score_key(score),
                created(),
            ),
            Sort::PriceAsc => (
                words,
                0,
                u64::MAX - i64_key(self.price.first(doc).unwrap_or(i64::MAX)),
                score_key(score),
            ),
            Sort::PriceDesc => (
                words,
                0,
                i64_key(self.price.first(doc).unwrap_or(i64::MIN)),
                score_key(score),
            ),
            Sort::Newest => (words, 0, created(), score_key(score)),
            Sort::Rating => (
                words,
                0,
                self.rating.as_ref().and_then(|r| r.first(doc)).map_or(0, f64_key),
                score_key(score),
            ),
        }
    }

    fn offer(&mut self, doc: DocId, score: Score) {
        if self.top_k == 0 {
            return;
        }
        let candidate = Ranked {
            key: self.sort_key(doc, score),
            address: DocAddress::new(self.segment_ord, doc),
            score,
        };
        if self.heap.len() < self.top_k {
            self.heap.push(Reverse(candidate));
        } else if let Some(mut worst) = self.heap.peek_mut() {
            if candidate > worst.0 {
                *worst = Reverse(candidate);
            }
        }
    }

    fn ords_to_counts(column: Option<&StrColumn>, counts: &[u64]) -> HashMap<String, u64> {
        let mut out = HashMap::new();
        let Some(column) = column else {
            return out;
        };
        let ords: Vec<u64> = (0..counts.len() as u64)
            .filter(|&ord| counts[ord as usize] > 0)
            .collect();
        let mut i = 0;
        // Reading the dictionary can only fail on a corrupt index; the facet is then partial.
        let _ = column.dictionary().sorted_ords_to_term_cb(&ords, |bytes: &[u8]| {
            if let Some(&ord) = ords.get(i) {
                let value = String::from_utf8_lossy(bytes).into_owned();
                out.insert(value, counts[ord as usize]);
            }
            i += 1;
        });
        out
    }
}

impl SegmentCollector for SegmentSearch {
    type Fruit = Collected;

    fn collect(&mut self, doc: DocId, score: Score) {
        if self.min_words > 0 && coverage(score) < self.min_words {
            return;
        }
        let price = self.price.first(doc).unwrap_or(0);
        let price_ok = self.min_price <= price && price <= self.max_price;
        let category_ok = Self::passes(self.category_filter, self.category.as_ref(), doc);
        let shop_ok = Self::passes(self.shop_filter, self.shop.as_ref(), doc);
        if shop_ok && price_ok {
            if let Some(column) = &self.category {
                for ord in column.term_ords(doc) {
                    if let Some(count) = self.category_counts.get_mut(ord as usize) {
                        *count += 1;
                    }
                }
            }
        }
        if category_ok && price_ok {
            if let Some(column) = &self.shop {
                for ord in column.term_ords(doc) {
                    if let Some(count) = self.shop_counts.get_mut(ord as usize) {
                        *count += 1;
                    }
                }
            }
        }
        if category_ok && shop_ok {
            self.price_counts[price_bucket(price)] += 1;
        }
        if category_ok && shop_ok && price_ok {
            self.total += 1;
            self.offer(doc, score);
        }
    }

    fn harvest(self) -> Collected {
        let categories = Self::ords_to_counts(self.category.as_ref(), &self.category_counts);
        let shops = Self::ords_to_counts(self.shop.as_ref(), &self.shop_counts);
        let mut top: Vec<Ranked> = self.heap.into_iter().map(|Reverse(r)| r).collect();
        top.sort_unstable_by(|a, b| b.cmp(a));
        Collected {
            total: self.total,
            top,
            categories,
            shops,
            prices: self.price_counts,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_preserve_order() {
        assert!(i64_key(-2) < i64_key(-1));
        assert!(i64_key(-1) < i64_key(0));
        assert!(i64_key(0) < i64_key(i64::MAX));
        assert!(f64_key(-1.5) < f64_key(-0.5));
        assert!(f64_key(-0.5) < f64_key(0.0));
        assert!(f64_key(0.0) < f64_key(4.5));
        assert!(score_key(1.0) < score_key(10_000.5));
    }
}
