//! Text cut to a summary's length: a page's meta description, a title that repeats a query. (A
//! product's description is rendered, and its words drawn, when it is loaded: see
//! `agora_app::descriptions` and `ProductView::description_text`.)

/// `text` with its whitespace folded, cut at a word boundary to at most `max` characters (the last
/// one an ellipsis when cut).
pub fn shorten(text: &str, max: usize) -> String {
    let words: Vec<&str> = text.split_whitespace().collect();
    let folded = words.join(" ");
    if folded.chars().count() <= max {
        return folded;
    }
    let mut out = String::new();
    for word in words {
        if out.chars().count() + word.chars().count() + 2 > max {
            break;
        }
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    if out.is_empty() {
        // One word longer than the whole: cut inside it.
        out = folded.chars().take(max.saturating_sub(1)).collect();
    }
    let out = out.trim_end_matches(|c: char| c.is_ascii_punctuation());
    format!("{out}…")
}

#[cfg(test)]
mod tests {
    use super::shorten;
    use agora_app::markdown_text::plain;

    fn summary(source: &str, max: usize) -> String {
        shorten(&plain(source), max)
    }

    #[test]
    fn summary_is_plain_text_cut_at_a_word() {
        assert_eq!(
            summary("# Grinder\n\nA **burr** grinder, [steel](https://x.example).", 200),
            "Grinder A burr grinder, steel."
        );
        let long = "word ".repeat(100);
        let s = summary(&long, 30);
        assert!(s.chars().count() <= 30, "{s}");
        assert!(s.ends_with("word…"), "{s}");
        // Raw HTML is not text a buyer reads in a search result or a shared link.
        assert_eq!(summary("<b>x</b>", 50), "x");
        assert_eq!(summary("", 50), "");
        assert_eq!(shorten("Schraubenschlüssel", 8), "Schraub…");
        assert_eq!(shorten("  two\n words ", 50), "two words");
    }
}
