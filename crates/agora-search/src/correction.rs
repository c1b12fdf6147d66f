//! Spelling corrections: which query words no product has, and the closest word products do have.
//!
//! The query matches typos silently (see [`crate::query`]); this module says which words it
//! corrected, so a results page can show "showing results for …" with a way back to the exact
//! words, or suggest "did you mean …" when the exact words find nothing.
//!
//! A word is misspelt when its stem occurs in no searched field and its surface form in no title,
//! attribute value or category name. Its correction is the word of those (the `words` field)
//! closest to it within its typo distance (the same Damerau-Levenshtein distance the query
//! tolerates), the most frequent among equally close ones.

use std::collections::HashMap;

use tantivy::{Searcher, Term};

use crate::analysis::QueryWord;
use crate::error::Result;
use crate::query::weighted_fields;
use crate::schema::Fields;

/// The corrections of `words`: `(index of the word, its correction)`, for each misspelt word that
/// has one.
pub(crate) fn corrections(searcher: &Searcher, fields: &Fields, words: &[QueryWord]) -> Result<Vec<(usize, String)>> {
    let mut out = Vec::new();
    for (i, word) in words.iter().enumerate() {
        if word.fuzzy_distance == 0 || is_known(searcher, fields, word)? {
            continue;
        }
        if let Some(best) = closest(searcher, fields, word)? {
            out.push((i, best));
        }
    }
    Ok(out)
}

/// Whether some product has the word: its stem in a searched field, or its surface form.
fn is_known(searcher: &Searcher, fields: &Fields, word: &QueryWord) -> Result<bool> {
    for (field, _) in weighted_fields(fields) {
        if searcher.doc_freq(&Term::from_field_text(field, &word.stem))? > 0 {
            return Ok(true);
        }
    }
    Ok(searcher.doc_freq(&Term::from_field_text(fields.words, &word.plain))? > 0)
}

/// The indexed word closest to `word` within its typo distance; the most frequent, then the
/// first alphabetically, among equally close ones.
fn closest(searcher: &Searcher, fields: &Fields, word: &QueryWord) -> Result<Option<String>> {
    let typed: Vec<char> = word.plain.chars().collect();
    let limit = usize::from(word.fuzzy_distance);
    let mut found: HashMap<String, (usize, u64)> = HashMap::new();
    let mut scratch = Vec::new();
    for segment in searcher.segment_readers() {
        let inverted = segment.inverted_index(fields.words)?;
        let mut stream = inverted.terms().stream()?;
        while stream.advance() {
            let Ok(candidate) = std::str::from_utf8(stream.key()) else {
                continue;
            };
            let chars: Vec<char> = candidate.chars().collect();
            if chars.len().abs_diff(typed.len()) > limit || chars == typed {
                continue;
            }
            let distance = edit_distance(&typed, &chars, &mut scratch);
            if distance <= limit {
                let entry = found.entry(candidate.to_owned()).or_insert((distance, 0));
                entry.1 += u64::from(stream.value().doc_freq);
            }
        }
    }
    Ok(found
        .into_iter()
        .min_by(|a, b| (a.1 .0, std::cmp::Reverse(a.1 .1), &a.0).cmp(&(b.1 .0, std::cmp::Reverse(b.1 .1), &b.0)))
        .map(|(candidate, _)| candidate))
}

/// The optimal-string-alignment distance between `a` and `b`: insertions, deletions,
/// substitutions and transpositions of neighbours each cost 1 (as in the query's fuzzy match).
fn edit_distance(a: &[char], b: &[char], scratch: &mut Vec<usize>) -> usize {
    let width = b.len() + 1;
    scratch.clear();
    scratch.resize((a.len() + 1) * width, 0);
    let at = |i: usize, j: usize| i * width + j;
    for i in 0..=a.len() {
        scratch[at(i, 0)] = i;
    }
    for j in 0..=b.len() {
        scratch[at(0, j)] = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut best = (scratch[at(i - 1, j)] + 1)
                .min(scratch[at(i, j - 1)] + 1)
                .min(scratch[at(i - 1, j - 1)] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(scratch[at(i - 2, j - 2)] + 1);
            }
            scratch[at(i, j)] = best;
        }
    }
    scratch[at(a.len(), b.len())]
}

/// `text` with each corrected word replaced by its correction; `None` when nothing was corrected.
pub(crate) fn corrected_text(text: &str, words: &[QueryWord], corrections: &[(usize, String)]) -> Option<String> {
    if corrections.is_empty() {
        return None;
    }
    let mut spans: Vec<(std::ops::Range<usize>, &str)> = corrections
        .iter()
        .filter_map(|(i, with)| words.get(*i).map(|w| (w.span.clone(), with.as_str())))
        .filter(|(span, _)| {
            span.end <= text.len() && text.is_char_boundary(span.start) && text.is_char_boundary(span.end)
        })
        .collect();
    spans.sort_by_key(|(span, _)| span.start);
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for (span, with) in spans {
        if span.start < at {
            continue;
        }
        out.push_str(&text[at..span.start]);
        out.push_str(with);
        at = span.end;
    }
    out.push_str(&text[at..]);
    Some(out.trim().to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::query_words;

    fn distance(a: &str, b: &str) -> usize {
        let a: Vec<char> = a.chars().collect();
        let b: Vec<char> = b.chars().collect();
        edit_distance(&a, &b, &mut Vec::new())
    }

    #[test]
    fn distance_counts_edits_and_swaps() {
        assert_eq!(distance("headphones", "headphones"), 0);
        assert_eq!(distance("headphnes", "headphones"), 1);
        assert_eq!(distance("hedaphones", "headphones"), 1);
        assert_eq!(distance("kettle", "bottle"), 2);
        assert_eq!(distance("", "abc"), 3);
    }

    #[test]
    fn corrected_text_keeps_the_rest_of_what_was_typed() {
        let text = "Sony  Headphnes, black";
        let words = query_words(text);
        let fixed = corrected_text(text, &words, &[(1, "headphones".into())]);
        assert_eq!(fixed.as_deref(), Some("Sony  headphones, black"));
        assert_eq!(corrected_text(text, &words, &[]), None);
    }
}
