//! The cookies Agora sets: the session of a logged-in browser and the CSRF token of its forms.

use axum::http::header;
use base64::Engine as _;
use rand::RngCore;

use crate::AppState;

pub const SESSION_COOKIE: &str = "agora_session";
pub(crate) const CSRF_COOKIE: &str = "agora_csrf";

pub(crate) fn new_csrf_token() -> String {
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

pub(crate) fn csrf_cookie_with(state: &AppState, token: &str) -> String {
    let secure = if state.settings.secure_cookies { "; Secure" } else { "" };
    format!("{CSRF_COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict{secure}")
}

/// A cookie with a new CSRF token, for a login.
pub fn fresh_csrf_cookie(state: &AppState) -> String {
    csrf_cookie_with(state, &new_csrf_token())
}

/// The `Set-Cookie` value of a session.
pub fn session_cookie(state: &AppState, secret: &str) -> String {
    let secure = if state.settings.secure_cookies { "; Secure" } else { "" };
    let max_age = state.app.settings.session_ttl_ms / 1000;
    format!("{SESSION_COOKIE}={secret}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}{secure}")
}

/// What a login sets: the new session, and a new CSRF token (one known before login is worthless
/// after it).
pub fn login_cookies(state: &AppState, secret: &str) -> [(header::HeaderName, String); 2] {
    [
        (header::SET_COOKIE, session_cookie(state, secret)),
        (header::SET_COOKIE, fresh_csrf_cookie(state)),
    ]
}

pub fn clear_session_cookie() -> String {
    format!("{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0")
}
