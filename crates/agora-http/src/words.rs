//! People-facing words for every page: times, amounts and statuses as a person reads them.
//!
//! Templates call these instead of printing stored values (`info_requested`, `2026-11-30T13:47:00Z`,
//! `1234.50 EUR`) as they are.

use std::fmt::Display;

use time::format_description::well_known::Rfc3339;

/// An RFC 3339 time as people read it: "30 Nov 2026, 13:47 UTC" (the text itself when it does not parse).
pub fn when(rfc3339: &str) -> String {
    let format = time::macros::format_description!("[day padding:none] [month repr:short] [year], [hour]:[minute] UTC");
    time::OffsetDateTime::parse(rfc3339, &Rfc3339)
        .ok()
        .and_then(|t| t.to_offset(time::UtcOffset::UTC).format(&format).ok())
        .unwrap_or_else(|| rfc3339.to_owned())
}

/// A `<time>` element: the time for people, the ISO value for machines. Print it with `|safe`.
pub fn time(rfc3339: impl Display) -> String {
    let value = rfc3339.to_string();
    if value.is_empty() {
        return "—".into();
    }
    format!(
        r#"<time datetime="{}">{}</time>"#,
        escape(&value),
        escape(&when(&value))
    )
}

/// An amount with thousands separators: `1234567.50 EUR` becomes `1,234,567.50 EUR`.
///
/// Works on the printed amount (a `Money`, or any text that starts with one, such as a signed
/// `+1234.50 EUR`), digit by digit: no floating point is involved.
pub fn money(amount: impl Display) -> String {
    let text = amount.to_string();
    let Some(start) = text.find(|c: char| c.is_ascii_digit()) else {
        return text;
    };
    let digits = text[start..]
        .find(|c: char| !c.is_ascii_digit())
        .map_or(text.len() - start, |n| n);
    let (head, rest) = text.split_at(start);
    let (whole, tail) = rest.split_at(digits);
    let mut out = String::with_capacity(text.len() + digits / 3);
    out.push_str(head);
    for (i, c) in whole.chars().enumerate() {
        if i > 0 && (digits - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out.push_str(tail);
    out
}

/// A shop's status in words.
pub fn shop_status(code: impl Display) -> String {
    match code.to_string().as_str() {
        "pending" => "Waiting for review".into(),
        "info_requested" => "Waiting for information".into(),
        other => status(other),
    }
}

/// A payment's status in words.
pub fn payment_status(code: impl Display) -> String {
    match code.to_string().as_str() {
        "pending" => "Waiting for payment".into(),
        "succeeded" => "Paid".into(),
        other => status(other),
    }
}

/// A quote's status in words.
pub fn quote_status(code: impl Display) -> String {
    match code.to_string().as_str() {
        "submitted" => "Waiting for the buyer".into(),
        "accepted" => "Accepted".into(),
        "rejected" => "Not chosen".into(),
        other => status(other),
    }
}

/// Any other status in words: the known codes of orders, payouts, RFQs, negotiations and
/// documents, and otherwise the code itself in sentence case ("partially_refunded" → "Partially refunded").
pub fn status(code: impl Display) -> String {
    let code = code.to_string();
    let known = match code.as_str() {
        "awaiting_approval" => "Waiting for approval",
        "pending_payment" => "Waiting for payment",
        "pending" => "Waiting",
        "info_requested" => "Waiting for information",
        "partially_refunded" => "Partly refunded",
        "confirmed" => "Confirmed (cash on delivery)",
        "requested" => "Requested",
        "sent" => "Sent",
        "open" => "Open",
        "awarded" => "Awarded",
        "accepted" => "Accepted",
        _ => "",
    };
    if !known.is_empty() {
        return known.into();
    }
    sentence(&code.replace('_', " "))
}

/// A refusal as a page says it: each problem a sentence ("Quantity must be at least 1." stays the
/// rule's own words, capitalised and closed with a full stop). An unexpected failure never shows
/// its detail.
pub fn message(err: &agora_app::AppError) -> String {
    use agora_app::AppError;
    match err {
        AppError::Invalid(errors) => errors
            .0
            .iter()
            .map(|e| field_message(&e.field, &e.message))
            .collect::<Vec<_>>()
            .join(" "),
        AppError::Internal(_) => "Something went wrong on our side. Please try again in a moment.".into(),
        other => closed(&other.to_string()),
    }
}

/// A field's message as a sentence: a rule's fragment ("must be at least 1") is led by the field's
/// name ("Quantity must be at least 1."); a whole sentence stays as it is.
fn field_message(field: &str, text: &str) -> String {
    let text = text.trim();
    let name = field.rsplit('.').next().unwrap_or(field);
    let name = name.split('[').next().unwrap_or(name).replace('_', " ");
    match text.chars().next() {
        Some(c) if c.is_lowercase() && !name.is_empty() => closed(&format!("{name} {text}")),
        _ => closed(text),
    }
}

/// A notice or a message as a sentence: capitalised, ending in a full stop (or its own `!`, `?`).
pub fn closed(text: &str) -> String {
    let text = sentence(text.trim());
    if text.is_empty() || text.ends_with(['.', '!', '?', '…']) {
        text
    } else {
        text + "."
    }
}

/// `text` with its first letter capitalised and the rest as it is.
pub fn sentence(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use agora_core::money::{Currency, Money};

    use super::*;

    #[test]
    fn amounts_get_thousands_separators() {
        let eur = |minor| Money::new(minor, Currency::EUR);
        assert_eq!(money(eur(123_450)), "1,234.50 EUR");
        assert_eq!(money(eur(123_456_789)), "1,234,567.89 EUR");
        assert_eq!(money(eur(99_950)), "999.50 EUR");
        assert_eq!(money(eur(5)), "0.05 EUR");
        assert_eq!(money("+1234.50 EUR"), "+1,234.50 EUR");
        assert_eq!(money("−1000000.00 EUR"), "−1,000,000.00 EUR");
        assert_eq!(money("—"), "—");
    }

    #[test]
    fn times_read_as_words_with_the_iso_value_kept() {
        assert_eq!(when("2026-11-30T13:47:05Z"), "30 Nov 2026, 13:47 UTC");
        assert_eq!(
            time("2026-11-30T13:47:05Z"),
            r#"<time datetime="2026-11-30T13:47:05Z">30 Nov 2026, 13:47 UTC</time>"#
        );
        assert_eq!(when("soon"), "soon");
        assert_eq!(time(""), "—");
        assert_eq!(time("<b>"), r#"<time datetime="&lt;b&gt;">&lt;b&gt;</time>"#);
    }

    #[test]
    fn messages_read_as_sentences() {
        use agora_app::AppError;
        let mut errors = agora_core::ValidationErrors::new();
        errors.add("quantity", "must be between 1 and 1000000");
        errors.add("country", "Use an ISO 3166 country code.");
        assert_eq!(
            message(&AppError::Invalid(errors)),
            "Quantity must be between 1 and 1000000. Use an ISO 3166 country code."
        );
        assert_eq!(message(&AppError::NotFound("order")), "Order not found.");
        assert_eq!(
            message(&AppError::Internal(anyhow::anyhow!("connection refused to 10.0.0.1"))),
            "Something went wrong on our side. Please try again in a moment."
        );
        let mut errors = agora_core::ValidationErrors::new();
        errors.add("methods[0].rate.free_from", "is not an amount");
        assert_eq!(message(&AppError::Invalid(errors)), "Free from is not an amount.");
        assert_eq!(closed("saved"), "Saved.");
        assert_eq!(closed("Saved!"), "Saved!");
    }

    #[test]
    fn statuses_read_as_words() {
        assert_eq!(shop_status("info_requested"), "Waiting for information");
        assert_eq!(shop_status("pending"), "Waiting for review");
        assert_eq!(payment_status("succeeded"), "Paid");
        assert_eq!(quote_status("submitted"), "Waiting for the buyer");
        assert_eq!(status("awaiting_approval"), "Waiting for approval");
        assert_eq!(status("dead"), "Dead");
        assert_eq!(status("some_new_state"), "Some new state");
    }
}
