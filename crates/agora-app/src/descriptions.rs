//! Product descriptions as pages show them: the seller's Markdown rendered to HTML that is safe to
//! put in a page (raw HTML in the source is shown as text, links go only to web or mail addresses,
//! no picture is fetched from elsewhere). The rendering happens once, when a description is saved
//! ([`html`] is the one rule every write path uses), and the HTML is kept beside the Markdown; a
//! row saved before that was kept is filled in by [`backfill`], which every process that opens the
//! database runs, and shown meanwhile by rendering it on the spot ([`html_of`]).

use agora_store::products::{self as store, ProductRow};
use pulldown_cmark::{html as cmark, CowStr, Event, Options, Parser, Tag, TagEnd};

use crate::{App, AppResult};

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
    cmark::push_html(&mut tag, std::iter::once(Event::Start(link)));
    Event::InlineHtml(tag.replacen("<a ", "<a rel=\"nofollow ugc noopener\" ", 1).into())
}

/// Renders `source` as HTML with every raw tag escaped and unsafe links and images dropped: the
/// HTML a description is saved with.
pub fn html(source: &str) -> String {
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
    cmark::push_html(&mut out, parser);
    out
}

/// The HTML of a product's description: the one kept when it was saved, or rendered now for a row
/// saved before it was kept.
pub fn html_of(row: &ProductRow) -> String {
    row.description_html.clone().unwrap_or_else(|| html(&row.description))
}

/// How many descriptions [`backfill`] renders per transaction.
const BACKFILL_BATCH: i64 = 200;

/// Renders and keeps the HTML of every description saved before it was kept; returns how many it
/// filled in. Safe to run on several nodes at once and beside live writes: a row is filled in only
/// while its HTML is still missing and its description is the one rendered.
pub async fn backfill(app: &App) -> AppResult<u64> {
    let mut filled = 0;
    let mut after = String::new();
    loop {
        let batch = {
            let mut conn = app.db.conn().await?;
            store::unrendered_descriptions(&mut conn, &after, BACKFILL_BATCH).await?
        };
        let Some((last, _)) = batch.last() else {
            break;
        };
        after = last.clone();
        let rendered: Vec<(String, String, String)> = batch
            .into_iter()
            .map(|(id, description)| {
                let html = html(&description);
                (id, description, html)
            })
            .collect();
        let mut tx = app.db.begin().await?;
        for (id, description, html) in &rendered {
            if store::keep_description_html(&mut tx, id, description, html).await? {
                filled += 1;
            }
        }
        tx.commit().await?;
    }
    if filled > 0 {
        tracing::info!(
            products = filled,
            "kept the rendered HTML of descriptions saved before it was kept"
        );
    }
    Ok(filled)
}

#[cfg(test)]
mod tests {
    use super::html as render;

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
