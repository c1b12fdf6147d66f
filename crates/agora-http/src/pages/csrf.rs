//! CSRF protection for the pages: a random token in a `SameSite=Strict` cookie that every form
//! (and every htmx request, as a header) must echo back.

use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;

use super::PageError;
use crate::cookies::{csrf_cookie_with as cookie_with, new_csrf_token as new_token, CSRF_COOKIE as COOKIE};
use crate::AppState;
use agora_app::AppError;

/// This request's CSRF token, for the forms of the page it renders.
#[derive(Debug, Clone)]
pub struct CsrfToken(pub String);

/// Gives every page visitor a CSRF cookie.
pub async fn ensure_cookie(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let existing = super::cookie(req.headers(), COOKIE)
        .filter(|t| t.len() == 43)
        .map(str::to_owned);
    let token = existing.clone().unwrap_or_else(new_token);
    req.extensions_mut().insert(CsrfToken(token.clone()));
    let mut res = next.run(req).await;
    if existing.is_none() {
        if let Ok(v) = HeaderValue::from_str(&cookie_with(&state, &token)) {
            res.headers_mut().append(header::SET_COOKIE, v);
        }
    }
    res
}

impl<S: Send + Sync> FromRequestParts<S> for CsrfToken {
    type Rejection = PageError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, PageError> {
        parts
            .extensions
            .get::<CsrfToken>()
            .cloned()
            .ok_or_else(|| PageError::App(AppError::Internal(anyhow::anyhow!("CSRF layer missing"))))
    }
}

impl CsrfToken {
    /// Checks the token a form sent against the cookie's, in constant time.
    pub fn check(&self, sent: &str) -> Result<(), PageError> {
        let (a, b) = (self.0.as_bytes(), sent.as_bytes());
        let same = a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0;
        if same && !sent.is_empty() {
            Ok(())
        } else {
            Err(PageError::App(AppError::Forbidden(
                "This form has expired. Reload the page and try again.".into(),
            )))
        }
    }
}
