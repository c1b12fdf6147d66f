//! Bounded, printable text: every free-text field is capped and stripped of control characters.
//! Single-line fields (names, titles, SKUs) also lose bidirectional controls, which could make a
//! name read differently from what it is, and must show at least one visible character.

/// Bidirectional formatting characters: embeddings and overrides, isolates, and the marks.
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}' | '\u{061C}')
}

/// Characters that take up no visible room: spaces, zero-width and joiner characters, fillers,
/// bidirectional controls.
pub fn is_invisible(c: char) -> bool {
    c.is_whitespace()
        || is_bidi_control(c)
        || matches!(
            c,
            '\u{00AD}'
                | '\u{034F}'
                | '\u{115F}'
                | '\u{1160}'
                | '\u{17B4}'
                | '\u{17B5}'
                | '\u{180B}'..='\u{180F}'
                | '\u{200B}'..='\u{200D}'
                | '\u{2060}'..='\u{2064}'
                | '\u{206A}'..='\u{206F}'
                | '\u{2800}'
                | '\u{3164}'
                | '\u{FE00}'..='\u{FE0F}'
                | '\u{FEFF}'
                | '\u{FFA0}'
                | '\u{E0000}'..='\u{E0FFF}'
        )
}

/// Trims `raw` and checks that it has between `min` and `max` characters and no control characters
/// other than newlines and tabs (which only multi-line fields accept). A single-line value loses
/// its bidirectional controls and, unless empty, must contain something visible.
pub fn bounded(raw: &str, min: usize, max: usize, multiline: bool) -> Result<String, String> {
    let single_line: String;
    let value = if multiline {
        raw.trim()
    } else {
        single_line = raw.chars().filter(|c| !is_bidi_control(*c)).collect();
        single_line.trim()
    };
    let len = value.chars().count();
    if len < min {
        return Err(if min <= 1 {
            "must not be empty".to_owned()
        } else {
            format!("must be at least {min} characters")
        });
    }
    if len > max {
        return Err(format!("must be at most {max} characters"));
    }
    let allowed = |c: char| !c.is_control() || (multiline && (c == '\n' || c == '\t' || c == '\r'));
    if !value.chars().all(allowed) {
        return Err("must not contain control characters".to_owned());
    }
    if !multiline && len > 0 && value.chars().all(is_invisible) {
        return Err("must contain visible characters".to_owned());
    }
    Ok(value.to_owned())
}

/// Like [`bounded`] but an empty value means "not given".
pub fn optional(raw: Option<&str>, max: usize) -> Result<Option<String>, String> {
    match raw.map(str::trim) {
        None | Some("") => Ok(None),
        Some(value) => bounded(value, 1, max, false).map(Some),
    }
}

/// A lowercase identifier made of `a-z`, `0-9`, `-` and `_`, such as a category slug.
pub fn slug(raw: &str, max: usize) -> Result<String, String> {
    let value = raw.trim();
    if value.is_empty() {
        return Err("must not be empty".to_owned());
    }
    if value.len() > max {
        return Err(format!("must be at most {max} characters"));
    }
    let ok = value
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_');
    if !ok || value.starts_with('-') {
        return Err("may contain only lowercase letters, digits, '-' and '_'".to_owned());
    }
    Ok(value.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounded_trims_and_caps() {
        assert_eq!(bounded("  Ada ", 1, 10, false).unwrap(), "Ada");
        assert!(bounded("", 1, 10, false).is_err());
        assert!(bounded(&"x".repeat(11), 1, 10, false).is_err());
        assert!(bounded("a\u{0}b", 1, 10, false).is_err());
        assert!(bounded("a\nb", 1, 10, false).is_err());
        assert_eq!(bounded("a\nb", 1, 10, true).unwrap(), "a\nb");
    }

    #[test]
    fn names_lose_bidi_controls_and_need_something_visible() {
        assert_eq!(bounded("\u{202E}gnp.exe\u{202C}", 1, 50, false).unwrap(), "gnp.exe");
        assert_eq!(bounded("\u{2067}Ada\u{2069} \u{200F}", 1, 50, false).unwrap(), "Ada");
        assert_eq!(bounded("\u{061C}\u{200E}x", 1, 50, false).unwrap(), "x");
        for blank in [
            "\u{200B}\u{200B}",
            "\u{200D}\u{FEFF}\u{2060}",
            "\u{3164}\u{3164}",
            "\u{202E}\u{202C}",
        ] {
            assert!(bounded(blank, 1, 50, false).is_err(), "{blank:?}");
        }
        assert_eq!(
            bounded("\u{200B}", 0, 50, false).unwrap_err(),
            "must contain visible characters"
        );
        assert_eq!(
            bounded("", 0, 50, false).unwrap(),
            "",
            "an optional field may stay empty"
        );
        assert!(bounded("Caf\u{00E9} \u{1F600}", 1, 50, false).is_ok());
        assert_eq!(
            bounded("\u{05E9}\u{05DC}\u{05D5}\u{05DD}", 1, 50, false).unwrap(),
            "\u{05E9}\u{05DC}\u{05D5}\u{05DD}",
            "right-to-left letters are kept"
        );
        assert!(
            bounded("line\n\u{200F}more", 1, 50, true).unwrap().contains('\u{200F}'),
            "prose keeps its marks"
        );
    }

    #[test]
    fn length_counts_characters_not_bytes() {
        assert!(bounded("ééééé", 1, 5, false).is_ok());
    }

    #[test]
    fn slugs_are_lowercase_words() {
        assert_eq!(slug("food-and-drink", 64).unwrap(), "food-and-drink");
        assert!(slug("Food", 64).is_err());
        assert!(slug("a b", 64).is_err());
        assert!(slug("-x", 64).is_err());
    }
}
