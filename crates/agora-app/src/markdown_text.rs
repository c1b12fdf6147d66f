//! The plain text of a Markdown description: what search indexes and shows in result snippets, so
//! that no `**`, `#` or `[label](address)` reaches a snippet and link addresses are not searched.

use pulldown_cmark::{Event, Options, Parser, TagEnd};

/// The words of `source` without its Markdown: the text of every block, blocks separated by a
/// space, whitespace folded, link and image addresses dropped (their labels kept).
pub fn plain(source: &str) -> String {
    let mut text = String::with_capacity(source.len());
    for event in Parser::new_ext(source, Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH) {
        match event {
            Event::Text(t) | Event::Code(t) => text.push_str(&t),
            Event::SoftBreak | Event::HardBreak | Event::Rule => text.push(' '),
            // Inline spans (emphasis, links) do not separate words; blocks and cells do.
            Event::End(end)
                if !matches!(
                    end,
                    TagEnd::Emphasis | TagEnd::Strong | TagEnd::Strikethrough | TagEnd::Link | TagEnd::Image
                ) =>
            {
                text.push(' ')
            }
            // Raw HTML is not text a buyer should see in a snippet.
            _ => {}
        }
    }
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::plain;

    #[test]
    fn markdown_syntax_is_dropped_and_words_kept() {
        let source = "# Aurora\n\n**Noise cancelling**, _40 h_ battery.\n\n- fits [the case](https://example.com/case)\n- `USB-C`\n\n<b>raw</b>";
        assert_eq!(
            plain(source),
            "Aurora Noise cancelling, 40 h battery. fits the case USB-C raw"
        );
    }

    #[test]
    fn plain_text_stays_as_it_is() {
        assert_eq!(plain("Over-ear, 40 h battery."), "Over-ear, 40 h battery.");
        assert_eq!(plain(""), "");
    }
}
