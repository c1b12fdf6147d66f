//! Text analysis: the tokenizers the index is built with, and how user text becomes query words.
//!
//! Indexed text goes through `simple tokenizer → drop long tokens → lowercase → ASCII folding →
//! English stemmer`. Query text goes through the same steps, so a query word and an indexed
//! word meet on the same stem. Anything that is not a letter or a digit separates words, which is
//! why query syntax characters (`"`, `:`, `(`, `*`, `~`, ...) have no effect.

use std::mem;

use tantivy::tokenizer::{
    AsciiFoldingFilter, LowerCaser, RemoveLongFilter, SimpleTokenizer, TextAnalyzer, Token, TokenFilter, TokenStream,
    Tokenizer, TokenizerManager,
};

use crate::model::MAX_QUERY_WORDS;

/// The tokenizer of the searchable text fields: words, lowercased, folded and stemmed.
pub(crate) const STEMMED: &str = "agora_en";
/// The tokenizer of the autocomplete field: words, lowercased and folded, not stemmed.
pub(crate) const PLAIN: &str = "agora_plain";
/// Tokens of this many bytes or more are dropped, at indexing and in queries alike.
const TOKEN_BYTES_LIMIT: usize = 48;
/// Query text beyond this many bytes is ignored (the word cap would ignore it anyway).
const QUERY_BYTES_LIMIT: usize = 2048;

/// Very common English words that would match nearly every description. They are dropped from
/// queries that also contain other words.
const STOP_WORDS: &[&str] = &[
    "a", "an", "and", "are", "as", "at", "be", "by", "for", "from", "in", "is", "it", "of", "on", "or", "the", "to",
    "with",
];

/// The analyzer of the searchable text fields.
pub(crate) fn stemmed_analyzer() -> TextAnalyzer {
    TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(TOKEN_BYTES_LIMIT))
        .filter(LowerCaser)
        .filter(AsciiFoldingFilter)
        .filter(EnglishStemmer)
        .build()
}

/// The analyzer of the autocomplete field.
pub(crate) fn plain_analyzer() -> TextAnalyzer {
    TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(TOKEN_BYTES_LIMIT))
        .filter(LowerCaser)
        .filter(AsciiFoldingFilter)
        .build()
}

/// A tokenizer manager with this crate's analyzers registered next to tantivy's defaults.
pub(crate) fn tokenizers() -> TokenizerManager {
    let manager = TokenizerManager::default();
    manager.register(STEMMED, stemmed_analyzer());
    manager.register(PLAIN, plain_analyzer());
    manager
}

/// The English (Porter 2) stem of a lowercased word.
pub(crate) fn stem(word: &str) -> String {
    frostem::Stemmer::new(frostem::Algorithm::English)
        .stem(word)
        .into_owned()
}

/// One word of the user's query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct QueryWord {
    /// Lowercased and ASCII-folded, as typed.
    pub plain: String,
    /// The stem, as it appears in the index.
    pub stem: String,
    /// The edit distance tolerated for typos (0, 1 or 2).
    pub fuzzy_distance: u8,
    /// Where the word (its first occurrence) is in the query text, in bytes.
    pub span: std::ops::Range<usize>,
}

/// The typo tolerance for a word: none below 4 letters or with digits (model numbers, sizes),
/// 1 from 4 letters, 2 from 8.
fn fuzzy_distance(plain: &str) -> u8 {
    if plain.chars().any(|c| c.is_numeric()) {
        return 0;
    }
    match plain.chars().count() {
        0..=3 => 0,
        4..=7 => 1,
        _ => 2,
    }
}

fn is_stop_word(plain: &str) -> bool {
    STOP_WORDS.contains(&plain) || (plain.chars().count() == 1 && !plain.chars().all(char::is_numeric))
}

/// Splits user text into at most [`MAX_QUERY_WORDS`] distinct words (by stem), dropping stop
/// words unless nothing else is left. Never fails: text without letters or digits gives no words.
pub(crate) fn query_words(text: &str) -> Vec<QueryWord> {
    let text = truncate_to_word_boundary(text, QUERY_BYTES_LIMIT);
    let mut analyzer = plain_analyzer();
    let mut stream = analyzer.token_stream(text);
    let mut words: Vec<QueryWord> = Vec::new();
    let mut stop_words: Vec<QueryWord> = Vec::new();
    while stream.advance() {
        let token = stream.token();
        let plain = token.text.clone();
        let word = QueryWord {
            stem: stem(&plain),
            fuzzy_distance: fuzzy_distance(&plain),
            span: token.offset_from..token.offset_to,
            plain,
        };
        let list = if is_stop_word(&word.plain) {
            &mut stop_words
        } else {
            &mut words
        };
        if list.len() < MAX_QUERY_WORDS && !list.iter().any(|w| w.stem == word.stem) {
            list.push(word);
        }
        if words.len() >= MAX_QUERY_WORDS {
            break;
        }
    }
    if words.is_empty() {
        stop_words
    } else {
        words
    }
}

/// The plain (unstemmed) words of `text`, at most `max`.
pub(crate) fn plain_words(text: &str, max: usize) -> Vec<String> {
    let text = truncate_to_word_boundary(text, QUERY_BYTES_LIMIT);
    let mut analyzer = plain_analyzer();
    let mut stream = analyzer.token_stream(text);
    let mut words = Vec::new();
    while words.len() < max && stream.advance() {
        words.push(stream.token().text.clone());
    }
    words
}

/// The longest prefix of `text` of at most `max` bytes that ends on a character boundary.
pub(crate) fn truncate_to_char_boundary(text: &str, max: usize) -> &str {
    if text.len() <= max {
        return text;
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

/// Like [`truncate_to_char_boundary`], but without leaving a cut word at the end.
fn truncate_to_word_boundary(text: &str, max: usize) -> &str {
    let cut = truncate_to_char_boundary(text, max);
    if cut.len() == text.len() || !text[cut.len()..].starts_with(char::is_alphanumeric) {
        return cut;
    }
    match cut.rfind(|c: char| !c.is_alphanumeric()) {
        Some(i) => &cut[..i],
        None => "",
    }
}

/// A token filter replacing each token by its English stem (frostem's Snowball English, the
/// only language compiled in).
#[derive(Clone, Copy)]
pub(crate) struct EnglishStemmer;

impl TokenFilter for EnglishStemmer {
    type Tokenizer<T: Tokenizer> = EnglishStemmerFilter<T>;

    fn transform<T: Tokenizer>(self, tokenizer: T) -> EnglishStemmerFilter<T> {
        EnglishStemmerFilter { inner: tokenizer }
    }
}

/// [`EnglishStemmer`] applied to a tokenizer.
#[derive(Clone)]
pub(crate) struct EnglishStemmerFilter<T> {
    inner: T,
}

impl<T: Tokenizer> Tokenizer for EnglishStemmerFilter<T> {
    type TokenStream<'a> = EnglishStemmerStream<T::TokenStream<'a>>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> Self::TokenStream<'a> {
        EnglishStemmerStream {
            tail: self.inner.token_stream(text),
            stemmer: frostem::Stemmer::new(frostem::Algorithm::English),
            buffer: String::new(),
        }
    }
}

/// The token stream of [`EnglishStemmerFilter`].
pub(crate) struct EnglishStemmerStream<T> {
    tail: T,
    stemmer: frostem::Stemmer,
    buffer: String,
}

impl<T: TokenStream> TokenStream for EnglishStemmerStream<T> {
    fn advance(&mut self) -> bool {
        if !self.tail.advance() {
            return false;
        }
        let token = self.tail.token_mut();
        match self.stemmer.stem(&token.text) {
            std::borrow::Cow::Owned(stemmed) => token.text = stemmed,
            std::borrow::Cow::Borrowed(stemmed) => {
                self.buffer.clear();
                self.buffer.push_str(stemmed);
                mem::swap(&mut token.text, &mut self.buffer);
            }
        }
        true
    }

    fn token(&self) -> &Token {
        self.tail.token()
    }

    fn token_mut(&mut self) -> &mut Token {
        self.tail.token_mut()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stems(text: &str) -> Vec<String> {
        query_words(text).into_iter().map(|w| w.stem).collect()
    }

    #[test]
    fn stemming_meets_in_the_middle() {
        assert_eq!(stem("headphones"), stem("headphone"));
        assert_eq!(stem("running"), stem("run"));
        assert_eq!(stems("Running SHOES"), vec![stem("run"), stem("shoe")]);
    }

    #[test]
    fn query_syntax_is_just_separators() {
        assert_eq!(stems(r#"title:"red" (shoes)~2 +foo -bar^3 [a TO z] {x} \*"#).len(), 7);
        assert!(query_words(r#""():*~^-+[{\"#).is_empty());
    }

    #[test]
    fn words_are_capped_and_deduplicated() {
        let long = "word ".repeat(5000);
        assert_eq!(query_words(&long).len(), 1);
        let many: String = (0..100).map(|i| format!("w{i} ")).collect();
        assert_eq!(query_words(&many).len(), MAX_QUERY_WORDS);
    }

    #[test]
    fn stop_words_are_dropped_unless_alone() {
        assert_eq!(stems("case for the phone"), vec![stem("case"), stem("phone")]);
        assert_eq!(stems("the"), vec!["the".to_string()]);
    }

    #[test]
    fn typo_tolerance_grows_with_length() {
        let d: Vec<u8> = query_words("mug shoe headphones 64gb")
            .iter()
            .map(|w| w.fuzzy_distance)
            .collect();
        assert_eq!(d, vec![0, 1, 2, 0]);
    }

    #[test]
    fn truncation_respects_char_boundaries() {
        assert_eq!(truncate_to_char_boundary("héllo", 2), "h");
        assert_eq!(truncate_to_char_boundary("héllo", 3), "hé");
        assert_eq!(truncate_to_word_boundary("red shoes", 6), "red");
        assert_eq!(truncate_to_word_boundary("red shoes", 4), "red");
        assert_eq!(truncate_to_word_boundary("shoes", 3), "");
    }
}
