//! Bounded, printable text: every free-text field is capped and stripped of control characters.

/// Trims `raw` and checks that it has between `min` and `max` characters and no control characters
/// other than newlines and tabs (which only multi-line fields accept).
pub fn bounded(raw: &str, min: usize, max: usize, multiline: bool) -> Result<String, String> {
    let value = raw.trim();
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
