//! CSRF protection for the pages: a random token in a `SameSite=Strict` cookie that every form
//! (and every htmx request, as a header) must echo back.

use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;
use base64::Engine as _;
use rand::RngCore;

use super::PageError;
use crate::AppState;
use agora_app::AppError;

const COOKIE: &str = "agora_csrf";

/// This request's CSRF token, for the forms of the page it renders.
#[derive(Debug, Clone)]
pub struct CsrfToken(pub String);

fn new_token() -> String {
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

fn cookie_with(state: &AppState, token: &str) -> String {
    let secure = if state.settings.secure_cookies { "; Secure" } else { "" };
    format!("{COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict{secure}")
}

/// A cookie with a new CSRF token, for a login.
pub fn fresh_cookie(state: &AppState) -> String {
    cookie_with(state, &new_token())
}

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
