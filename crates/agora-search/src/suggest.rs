//! Autocomplete: completions of the last word typed, from the words of product titles,
//! attribute values and category names.
//!
//! Candidates are the words starting with the last (partial) word, most frequent first. When
//! words precede it, a candidate must occur in some product together with all of them, and
//! candidates are ranked by how many products they share.

use std::collections::HashMap;

use tantivy::collector::Count;
use tantivy::query::{BooleanQuery, Occur, Query, TermQuery};
use tantivy::schema::IndexRecordOption;
use tantivy::{Searcher, Term};

use crate::analysis::plain_words;
use crate::error::Result;
use crate::schema::Fields;

/// At most this many suggestions are returned.
pub(crate) const MAX_SUGGESTIONS: usize = 20;
/// At most this many preceding words are taken into account.
const MAX_CONTEXT_WORDS: usize = 6;

/// Suggestions for what the user has typed so far.
pub(crate) fn suggest(searcher: &Searcher, fields: &Fields, prefix: &str, limit: usize) -> Result<Vec<String>> {
    let limit = limit.min(MAX_SUGGESTIONS);
    let mut words = plain_words(prefix, MAX_CONTEXT_WORDS + 1);
    let Some(partial) = words.pop() else {
        return Ok(Vec::new());
    };
    if limit == 0 {
        return Ok(Vec::new());
    }

    // Title words starting with the partial word, with their document frequency.
    let mut frequency: HashMap<String, u64> = HashMap::new();
    for segment in searcher.segment_readers() {
        let inverted = segment.inverted_index(fields.words)?;
        let mut stream = inverted.terms().range().ge(partial.as_bytes()).into_stream()?;
        while stream.advance() {
            let key = stream.key();
            if !key.starts_with(partial.as_bytes()) {
                break;
            }
            let word = String::from_utf8_lossy(key).into_owned();
            *frequency.entry(word).or_default() += u64::from(stream.value().doc_freq);
        }
    }
    let mut candidates: Vec<(String, u64)> = frequency.into_iter().collect();
    candidates.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));

    if !words.is_empty() {
        // Keep candidates that co-occur with the preceding words, ranked by co-occurrence.
        candidates.truncate(limit * 4);
        let mut scored = Vec::with_capacity(candidates.len());
        for (candidate, _) in candidates {
            let clauses: Vec<(Occur, Box<dyn Query>)> = words
                .iter()
                .chain(std::iter::once(&candidate))
                .map(|w| {
                    let term = Term::from_field_text(fields.words, w);
                    (
                        Occur::Must,
                        Box::new(TermQuery::new(term, IndexRecordOption::Basic)) as Box<dyn Query>,
                    )
                })
                .collect();
            let count = searcher.search(&BooleanQuery::new(clauses), &Count)?;
            if count > 0 {
                scored.push((candidate, count as u64));
            }
        }
        scored.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        candidates = scored;
    }

    let lead = if words.is_empty() {
        String::new()
    } else {
        format!("{} ", words.join(" "))
    };
    Ok(candidates
        .into_iter()
        .take(limit)
        .map(|(word, _)| format!("{lead}{word}"))
        .collect())
}
