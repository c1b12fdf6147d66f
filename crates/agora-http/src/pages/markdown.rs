//! Product descriptions are Markdown, rendered to HTML that is safe to put in a page: raw HTML in
//! the source is shown as text, and links go only to web or mail addresses.

use pulldown_cmark::{html, CowStr, Event, Options, Parser, Tag, TagEnd};

fn safe_url(url: &str) -> bool {
    let lower = url.trim().to_ascii_lowercase();
    lower.starts_with("https://")
        || lower.starts_with("http://")
        || lower.starts_with("mailto:")
        || lower.starts_with('/')
}

/// The opening tag of a link written by a seller: followed by nobody's ranking, marked as user
/// content, and given no handle on our page.
fn user_link(link: Tag<'_>) -> Event<'static> {
    let mut tag = String::new();
    html::push_html(&mut tag, std::iter::once(Event::Start(link)));
    Event::InlineHtml(tag.replacen("<a ", "<a rel=\"nofollow ugc noopener\" ", 1).into())
}

/// Renders `source` as HTML with every raw tag escaped and unsafe links and images dropped.
pub fn render(source: &str) -> String {
    let parser =
        Parser::new_ext(source, Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH).map(|event| match event {
            // Raw HTML is shown, never interpreted.
            Event::Html(text) | Event::InlineHtml(text) => Event::Text(text),
            Event::Start(Tag::Link {
                link_type,
                dest_url,
                title,
                id,
            }) => {
                let dest_url = if safe_url(&dest_url) {
                    dest_url
                } else {
                    CowStr::from("#")
                };
                user_link(Tag::Link {
                    link_type,
                    dest_url,
                    title,
                    id,
                })
            }
            // Pictures belong in the gallery, where they are checked; none are fetched from elsewhere.
            Event::Start(Tag::Image { .. }) => Event::Text(CowStr::from("")),
            Event::End(TagEnd::Image) => Event::Text(CowStr::from("")),
            other => other,
        });
    let mut out = String::new();
    html::push_html(&mut out, parser);
    out
}

/// The text of `source` without its Markdown, [shortened](shorten) to `max` characters: a page's
/// meta description.
pub fn summary(source: &str, max: usize) -> String {
    shorten(&agora_app::markdown_text::plain(source), max)
}

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
    use super::{render, shorten, summary};

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

    #[test]
    fn markdown_becomes_html() {
        assert_eq!(
            render("**Bold** and *soft*"),
            "<p><strong>Bold</strong> and <em>soft</em></p>\n"
        );
        assert!(render("- one\n- two").contains("<li>one</li>"));
    }

    #[test]
    fn raw_html_and_script_links_are_neutralised() {
        let html = render("<script>alert(1)</script> <img src=x onerror=alert(1)>");
        assert!(!html.contains("<script"), "{html}");
        assert!(!html.contains("<img"), "{html}");
        assert!(html.contains("&lt;script&gt;"), "{html}");
        let inline = render("Hello <b onmouseover=alert(1)>there</b>");
        assert!(!inline.contains("<b "), "{inline}");
        let link = render("[x](javascript:alert(1)) and [ok](https://example.org/)");
        assert!(!link.contains("href=\"javascript"), "{link}");
        assert!(link.contains("href=\"https://example.org/\""), "{link}");
    }

    #[test]
    fn sellers_links_carry_no_endorsement() {
        let html = render("[shop](https://example.org/?a=1&b=\"2\" \"the <shop>\") and <https://example.net/>");
        assert!(
            html.contains(
                r#"<a rel="nofollow ugc noopener" href="https://example.org/?a=1&amp;b=%222%22" title="the &lt;shop&gt;">shop</a>"#
            ),
            "{html}"
        );
        assert!(
            html.contains(r#"<a rel="nofollow ugc noopener" href="https://example.net/">"#),
            "{html}"
        );
        let unsafe_link = render("[x](javascript:alert(1))");
        assert!(
            unsafe_link.contains(r##"<a rel="nofollow ugc noopener" href="#">"##),
            "{unsafe_link}"
        );
        assert!(render("<mail@example.org>").contains(r#"rel="nofollow ugc noopener" href="mailto:"#));
    }

    #[test]
    fn images_from_elsewhere_are_not_loaded() {
        assert!(!render("![tracker](https://evil.example/p.gif)").contains("<img"));
    }
}
