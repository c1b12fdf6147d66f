//! Card data never enters Agora (PCI): a request whose JSON or form body names a field
//! `card_number`, `pan`, `cvc`, `cvv` or `cvv2` at any depth is refused with 400 before any handler
//! runs, whatever the handler would have read, and the body is neither echoed nor logged. Fields
//! are screened by name, never by value (many GTINs are Luhn-valid numbers). The sandbox gateway's
//! hosted page stands for an outside provider's site and is the one place that takes a card.

use axum::body::{to_bytes, Body};
use axum::extract::Request;
use axum::http::{header, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::extract::{card_field, card_form_field, InputRejection};

/// The names, lower case, every body is screened for.
const NEEDLES: &[&[u8]] = &[b"card_number", b"pan", b"cvc", b"cvv"];

/// Whether `body` might name a card field: a cheap test, so that only the rare body that does is
/// parsed here.
fn might_hold_card(body: &[u8]) -> bool {
    let lower = body.to_ascii_lowercase();
    NEEDLES.iter().any(|n| lower.windows(n.len()).any(|w| w == *n))
}

enum Kind {
    Json,
    Form,
}

fn kind_of(req: &Request) -> Option<Kind> {
    let ct = req.headers().get(header::CONTENT_TYPE)?.to_str().ok()?;
    let ct = ct.split(';').next()?.trim().to_ascii_lowercase();
    if ct == "application/json" || (ct.starts_with("application/") && ct.ends_with("+json")) {
        Some(Kind::Json)
    } else if ct == "application/x-www-form-urlencoded" {
        Some(Kind::Form)
    } else {
        None
    }
}

pub async fn refuse_card_data(req: Request, next: Next) -> Response {
    let path = req.uri().path().to_owned();
    let skip = matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS)
        || path.starts_with(agora_app::gateway::sandbox::PREFIX);
    let Some(kind) = (!skip).then(|| kind_of(&req)).flatten() else {
        return next.run(req).await;
    };
    let (parts, body) = req.into_parts();
    let bytes = match to_bytes(body, crate::MAX_BODY_BYTES).await {
        Ok(b) => b,
        Err(_) => {
            let err = agora_app::AppError::TooLarge {
                max_bytes: crate::MAX_BODY_BYTES,
            };
            return InputRejection::new(&path, err).into_response();
        }
    };
    if might_hold_card(&bytes) {
        let field = match kind {
            // A body that is not JSON is left to the handler to refuse as malformed.
            Kind::Json => serde_json::from_slice::<serde_json::Value>(&bytes)
                .ok()
                .and_then(|v| card_field(&v).map(str::to_owned)),
            Kind::Form => card_form_field(&bytes).map(str::to_owned),
        };
        if let Some(field) = field {
            tracing::warn!(path = %path, field = %field, "a request carrying card data was refused");
            let err = agora_app::AppError::BadRequest(format!(
                "card data ({field}) must never be sent to Agora; pay through the payment page instead"
            ));
            return InputRejection::new(&path, err).into_response();
        }
    }
    next.run(Request::from_parts(parts, Body::from(bytes))).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_bodies_that_might_name_a_card_field_are_parsed() {
        assert!(might_hold_card(br#"{"payment": {"CVV": "1"}}"#));
        assert!(might_hold_card(b"card_number=1"));
        assert!(!might_hold_card(br#"{"gtin": "4006381333931", "title": "Lamp"}"#));
    }
}
