//! Turns a [`SearchQuery`] into a tantivy query, without ever parsing user text as syntax.
//!
//! Each query word becomes one optional clause; a document must match at least one word. A
//! word's clause adds up, for a matching document:
//!
//! | part | score |
//! |---|---|
//! | the word matches at all: its stem in any field, or its surface form within its typo distance of a word of the title, attribute values or category names | [`COVERAGE_WEIGHT`] |
//! | the word's stem matches exactly in some field | [`EXACT_WEIGHT`] |
//! | (words of 8+ letters) a surface match within distance 1 | [`NEAR_WEIGHT`] |
//! | BM25 of the exact stem per field, weighted title 3, attributes and category 1.5, shop 1, description 0.5 | × [`BM25_SCALE`] |
//!
//! The weights are chosen so the tiers never overlap: the number of matched words decides
//! first ([`coverage`] recovers it from a score), then exact matches, then BM25. So a document
//! matching more words always ranks higher, and an exact match always outranks a fuzzy one.
//!
//! The filters that are not facet families (attributes, in stock) are added as required clauses
//! scoring 0. Category, shop and price are applied by the collector instead, which needs the
//! documents they exclude to count the other facet values.

use tantivy::query::{AllQuery, BooleanQuery, BoostQuery, ConstScoreQuery, FuzzyTermQuery, Occur, Query, TermQuery};
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::{Score, Term};

use crate::analysis::QueryWord;
use crate::model::SearchQuery;
use crate::schema::{attribute_term, Fields};

/// Score of a word matching a document at all.
pub(crate) const COVERAGE_WEIGHT: Score = 10_000.0;
/// Extra score of a word matching exactly.
const EXACT_WEIGHT: Score = 200.0;
/// Extra score of a long word matching within edit distance 1.
const NEAR_WEIGHT: Score = 50.0;
/// Scale of the summed, field-weighted BM25 scores.
const BM25_SCALE: Score = 0.1;
/// At most this many attribute filters are applied.
const MAX_ATTRIBUTE_FILTERS: usize = 32;

/// The number of query words a document matched, recovered from its score.
///
/// A word adds [`COVERAGE_WEIGHT`] plus at most `EXACT_WEIGHT + NEAR_WEIGHT` plus its scaled
/// BM25 (in practice below 30), so with at most 16 words the extras stay below one
/// `COVERAGE_WEIGHT`.
pub(crate) fn coverage(score: Score) -> u32 {
    if score.is_finite() && score > 0.0 {
        (score / COVERAGE_WEIGHT) as u32
    } else {
        0
    }
}

/// Fields searched, with their BM25 weights.
pub(crate) fn weighted_fields(f: &Fields) -> [(Field, Score); 5] {
    [
        (f.title, 3.0),
        (f.attributes_text, 1.5),
        (f.category_text, 1.5),
        (f.shop_text, 1.0),
        (f.description, 0.5),
    ]
}

fn term_query(field: Field, text: &str, record: IndexRecordOption) -> Box<dyn Query> {
    Box::new(TermQuery::new(Term::from_field_text(field, text), record))
}

fn union(queries: Vec<Box<dyn Query>>) -> Box<dyn Query> {
    Box::new(BooleanQuery::union(queries))
}

fn constant(query: Box<dyn Query>, score: Score) -> Box<dyn Query> {
    Box::new(ConstScoreQuery::new(query, score))
}

/// The clause of one query word (see the module docs for its score).
///
/// Typos are matched on surface forms (the unstemmed `words` field: title, attribute values,
/// category names), not on stems: a misspelt word stems badly ("wireles" → "wirel"). The
/// description (long and noisy) and the shop name (a near miss would match every product of the
/// shop) are matched exactly only.
fn word_clause(f: &Fields, word: &QueryWord) -> Box<dyn Query> {
    let stem = word.stem.as_str();
    let exact = || -> Vec<Box<dyn Query>> {
        weighted_fields(f)
            .iter()
            .map(|&(field, _)| term_query(field, stem, IndexRecordOption::Basic))
            .collect()
    };
    let fuzzy = |distance: u8| -> Box<dyn Query> {
        let term = Term::from_field_text(f.words, &word.plain);
        Box::new(FuzzyTermQuery::new(term, distance, true))
    };

    let bm25: Vec<Box<dyn Query>> = weighted_fields(f)
        .iter()
        .map(|&(field, weight)| {
            Box::new(BoostQuery::new(
                term_query(field, stem, IndexRecordOption::WithFreqs),
                weight,
            )) as Box<dyn Query>
        })
        .collect();
    let mut parts: Vec<Box<dyn Query>> = vec![
        Box::new(BoostQuery::new(union(bm25), BM25_SCALE)),
        constant(union(exact()), EXACT_WEIGHT),
    ];
    let mut matches = exact();
    if word.fuzzy_distance > 0 {
        matches.push(fuzzy(word.fuzzy_distance));
    }
    parts.push(constant(union(matches), COVERAGE_WEIGHT));
    if word.fuzzy_distance >= 2 {
        parts.push(constant(fuzzy(1), NEAR_WEIGHT));
    }
    union(parts)
}

/// The tantivy query for the text, attribute and stock parts of `q`.
pub(crate) fn build(f: &Fields, q: &SearchQuery, words: &[QueryWord]) -> Box<dyn Query> {
    let mut required: Vec<(Occur, Box<dyn Query>)> = Vec::new();
    if !words.is_empty() {
        let text = union(words.iter().map(|w| word_clause(f, w)).collect());
        required.push((Occur::Must, text));
    }
    for (key, value) in q.attributes.iter().take(MAX_ATTRIBUTE_FILTERS) {
        let term = attribute_term(f, key, value);
        required.push((
            Occur::Must,
            constant(Box::new(TermQuery::new(term, IndexRecordOption::Basic)), 0.0),
        ));
    }
    if q.in_stock_only {
        let term = Term::from_field_bool(f.in_stock, true);
        required.push((
            Occur::Must,
            constant(Box::new(TermQuery::new(term, IndexRecordOption::Basic)), 0.0),
        ));
    }
    match required.len() {
        0 => Box::new(AllQuery),
        1 if !words.is_empty() => required.pop().map(|(_, q)| q).unwrap_or(Box::new(AllQuery)),
        _ => Box::new(BooleanQuery::new(required)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn coverage_recovers_the_word_count() {
        assert_eq!(coverage(0.0), 0);
        assert_eq!(coverage(1.0), 0);
        assert_eq!(coverage(COVERAGE_WEIGHT + EXACT_WEIGHT + NEAR_WEIGHT + 40.0), 1);
        let sixteen = 16.0 * (COVERAGE_WEIGHT + EXACT_WEIGHT + NEAR_WEIGHT + 30.0);
        assert_eq!(coverage(sixteen), 16);
        assert_eq!(coverage(f32::NAN), 0);
    }
}
