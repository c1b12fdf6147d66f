//! HTML snippets: escaped text with the words that matched the query wrapped in `<mark>`.
//!
//! Matching is decided the way the query matched: a word of the text is marked when its stem
//! equals a query word's stem, or its surface form is within that word's typo distance.

use std::ops::Range;

use tantivy::tokenizer::TextAnalyzer;

use crate::analysis::{plain_analyzer, stem, QueryWord};

/// Snippets of the description are about this many bytes long.
const SNIPPET_BYTES: usize = 180;
/// Context kept before the first marked word of a snippet.
const LEAD_BYTES: usize = 40;

/// Marks query words in displayed text.
pub(crate) struct Highlighter<'a> {
    words: &'a [QueryWord],
    analyzer: TextAnalyzer,
}

impl<'a> Highlighter<'a> {
    /// A highlighter for the words of one query.
    pub(crate) fn new(words: &'a [QueryWord]) -> Self {
        Highlighter {
            words,
            analyzer: plain_analyzer(),
        }
    }

    fn is_match(words: &[QueryWord], plain: &str) -> bool {
        let mut stemmed: Option<String> = None;
        words.iter().any(|w| {
            (w.fuzzy_distance > 0 && within_distance(&w.plain, plain, w.fuzzy_distance))
                || *stemmed.get_or_insert_with(|| stem(plain)) == w.stem
        })
    }

    /// Byte ranges of the matching tokens of `text`, in order.
    fn matches(&mut self, text: &str) -> Vec<Range<usize>> {
        if self.words.is_empty() {
            return Vec::new();
        }
        let mut ranges = Vec::new();
        let mut stream = self.analyzer.token_stream(text);
        while stream.advance() {
            let token = stream.token();
            if token.offset_from < token.offset_to
                && text.is_char_boundary(token.offset_from)
                && text.is_char_boundary(token.offset_to)
            {
                let range = token.offset_from..token.offset_to;
                if Self::is_match(self.words, &token.text) {
                    ranges.push(range);
                }
            }
        }
        ranges
    }

    /// The whole of `text`, escaped and marked.
    pub(crate) fn highlight(&mut self, text: &str) -> String {
        let ranges = self.matches(text);
        render(text, 0..text.len(), &ranges)
    }

    /// A fragment of `text` around the densest group of matches, escaped and marked; the
    /// beginning of `text` when nothing matches. `…` marks cut ends.
    pub(crate) fn snippet(&mut self, text: &str) -> String {
        let ranges = self.matches(text);
        let window = best_window(text, &ranges);
        let mut html = String::new();
        if window.start > 0 {
            html.push('…');
        }
        html.push_str(&render(text, window.clone(), &ranges));
        if window.end < text.len() {
            html.push('…');
        }
        html
    }
}

/// The byte window of about [`SNIPPET_BYTES`] holding the most matches, snapped to word
/// boundaries.
fn best_window(text: &str, ranges: &[Range<usize>]) -> Range<usize> {
    if text.len() <= SNIPPET_BYTES {
        return 0..text.len();
    }
    let mut best_start = 0;
    let mut best_count = 0;
    for (i, first) in ranges.iter().enumerate() {
        let count = ranges[i..]
            .iter()
            .take_while(|r| r.end <= first.start + SNIPPET_BYTES - LEAD_BYTES)
            .count();
        if count > best_count {
            best_count = count;
            best_start = first.start;
        }
    }
    let mut start = if best_count == 0 {
        0
    } else {
        best_start.saturating_sub(LEAD_BYTES)
    };
    start = floor_boundary(text, start);
    if start > 0 {
        // Start at the beginning of a word.
        if let Some(space) = text[start..best_start.max(start)].find(char::is_whitespace) {
            start += space + 1;
        }
    }
    let mut end = floor_boundary(text, (start + SNIPPET_BYTES).min(text.len()));
    if end < text.len() {
        if let Some(space) = text[start..end].rfind(char::is_whitespace) {
            if space > 0 {
                end = start + space;
            }
        }
    }
    // Never cut through a marked word.
    for r in ranges {
        if r.start < end && end < r.end {
            end = r.end;
        }
    }
    start..end
}

fn floor_boundary(text: &str, mut i: usize) -> usize {
    while i > 0 && !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// `text[window]` escaped, with the marked `ranges` wrapped in `<mark>`.
fn render(text: &str, window: Range<usize>, ranges: &[Range<usize>]) -> String {
    let mut html = String::with_capacity(window.len() + 16);
    let mut at = window.start;
    for r in ranges {
        if r.start < at || r.end > window.end {
            continue;
        }
        escape_into(&text[at..r.start], &mut html);
        html.push_str("<mark>");
        escape_into(&text[r.start..r.end], &mut html);
        html.push_str("</mark>");
        at = r.end;
    }
    escape_into(&text[at..window.end], &mut html);
    html
}

/// Appends `text` with `& < > " '` escaped.
pub(crate) fn escape_into(text: &str, out: &mut String) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
}

/// Whether the Damerau (optimal string alignment) distance between `a` and `b` is at most
/// `max`, the measure tantivy's fuzzy query uses with transpositions costing one.
fn within_distance(a: &str, b: &str, max: u8) -> bool {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let max = usize::from(max);
    if a.len().abs_diff(b.len()) > max {
        return false;
    }
    let width = b.len() + 1;
    let mut rows = vec![vec![0usize; width]; 3];
    for (j, cell) in rows[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        let (cur, prev, prev2) = (i % 3, (i + 2) % 3, (i + 1) % 3);
        rows[cur][0] = i;
        let mut row_min = i;
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut d = (rows[prev][j] + 1)
                .min(rows[cur][j - 1] + 1)
                .min(rows[prev][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                d = d.min(rows[prev2][j - 2] + 1);
            }
            rows[cur][j] = d;
            row_min = row_min.min(d);
        }
        if row_min > max {
            return false;
        }
    }
    rows[a.len() % 3][b.len()] <= max
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::query_words;

    #[test]
    fn distance_counts_transpositions_as_one() {
        assert!(within_distance("headphon", "headphon", 0));
        assert!(within_distance("headphon", "headphn", 1));
        assert!(within_distance("hedaphnoes", "headphones", 2));
        assert!(within_distance("hedaphon", "headphon", 1));
        assert!(within_distance("hedaphnoes", "headphones", 2));
        assert!(!within_distance("headphon", "hdphn", 2));
        assert!(!within_distance("cat", "dog", 2));
    }

    #[test]
    fn marks_matches_and_escapes_everything_else() {
        let words = query_words("headphone");
        let mut h = Highlighter::new(&words);
        assert_eq!(
            h.highlight("<b>Headphones</b> & more"),
            "&lt;b&gt;<mark>Headphones</mark>&lt;/b&gt; &amp; more"
        );
    }

    #[test]
    fn snippet_centres_on_matches() {
        let words = query_words("kettle");
        let mut h = Highlighter::new(&words);
        let text = format!("{} a kettle that boils. {}", "filler ".repeat(60), "tail ".repeat(60));
        let snippet = h.snippet(&text);
        assert!(snippet.starts_with('…') && snippet.ends_with('…'), "{snippet}");
        assert!(snippet.contains("<mark>kettle</mark>"), "{snippet}");
        assert!(snippet.len() < SNIPPET_BYTES + 40, "{snippet}");
    }

    #[test]
    fn snippet_without_match_is_the_opening() {
        let words = query_words("zebra");
        let mut h = Highlighter::new(&words);
        let text = "word ".repeat(100);
        let snippet = h.snippet(&text);
        assert!(snippet.starts_with("word word") && snippet.ends_with('…'));
    }
}
