//! Register, log in, log out.

use agora_app::accounts::{self, Channel};
use agora_app::AppError;
use agora_core::account::RegistrationInput;
use agora_core::ValidationErrors;
use askama::Template;
use axum::extract::State;
use axum::http::header;
use axum::response::{AppendHeaders, IntoResponse};
use serde::Deserialize;

use super::{login_cookies, render, see_other, CsrfToken, Layout, PageForm, PageResult, PageUser};
use crate::extract::{ClientAddr, Query};
use crate::AppState;

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct RegisterForm {
    csrf: String,
    email: String,
    password: String,
    name: String,
    kind: String,
    company_name: String,
}

#[derive(Template)]
#[template(path = "register.html")]
struct RegisterPage {
    layout: Layout,
    form: RegisterForm,
    errors: ValidationErrors,
}

pub async fn register_form(State(state): State<AppState>, PageUser(user): PageUser, csrf: CsrfToken) -> PageResult {
    let layout = Layout::new(&state, user, &csrf, "Create an account").await;
    let form = RegisterForm {
        kind: "individual".into(),
        ..Default::default()
    };
    Ok(render(&RegisterPage {
        layout,
        form,
        errors: ValidationErrors::new(),
    }))
}

pub async fn register(
    State(state): State<AppState>,
    csrf: CsrfToken,
    ClientAddr(client): ClientAddr,
    PageForm(form): PageForm<RegisterForm>,
) -> PageResult {
    csrf.check(&form.csrf)?;
    let input = RegistrationInput {
        email: &form.email,
        password: &form.password,
        name: &form.name,
        kind: &form.kind,
        company_name: Some(form.company_name.as_str()),
    };
    match accounts::register_from(&state.app, &client, input).await {
        // Registered: logged in at once, and on the account page.
        Ok(_) => match accounts::login(&state.app, &form.email, &form.password, &client, Channel::Web).await {
            Ok(login) => Ok((
                AppendHeaders(login_cookies(&state, &login.token).to_vec()),
                [crate::NO_STORE],
                see_other("/account?done=welcome"),
            )
                .into_response()),
            Err(_) => Ok(see_other("/login?registered=1")),
        },
        Err(AppError::Invalid(errors)) => {
            let layout = Layout::new(&state, None, &csrf, "Create an account").await;
            let form = RegisterForm {
                password: String::new(),
                ..form
            };
            Ok((
                axum::http::StatusCode::UNPROCESSABLE_ENTITY,
                render(&RegisterPage { layout, form, errors }),
            )
                .into_response())
        }
        Err(err) => Err(err.into()),
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct LoginForm {
    csrf: String,
    email: String,
    password: String,
    next: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct LoginQuery {
    next: String,
    registered: Option<String>,
}

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    layout: Layout,
    email: String,
    next: String,
    error: Option<String>,
}

/// Where to go after login: `next` when it is a path on this site, otherwise the account page (no
/// open redirect). A path has one leading `/` (`//host` is another site), no backslash (browsers
/// read `/\host` as `//host`), no control characters (browsers drop tabs and newlines, which
/// could join `/` and `/host`) and so no scheme.
fn safe_next(next: &str) -> &str {
    let local =
        next.starts_with('/') && !next.starts_with("//") && !next.contains('\\') && !next.chars().any(char::is_control);
    if local {
        next
    } else {
        "/account"
    }
}

pub async fn login_form(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    csrf: CsrfToken,
    Query(q): Query<LoginQuery>,
) -> PageResult {
    let notice = q
        .registered
        .map(|_| "Your account is ready. Log in to continue.".to_owned());
    let layout = Layout::new(&state, user, &csrf, "Log in").await.with_notice(notice);
    Ok(render(&LoginPage {
        layout,
        email: String::new(),
        next: q.next,
        error: None,
    }))
}

/// A guest's cart joins the account's at login. A failure here must not stop the login: the guest
/// cart stays where it was (and its cookie) and the failure is logged. True when it merged.
async fn merge_guest_cart(state: &AppState, secret: &str, token: &str) -> bool {
    let merged = match accounts::authenticate(&state.app, token).await {
        Ok(Some(actor)) => agora_app::cart::merge_guest(&state.app, secret, &actor).await,
        Ok(None) => Ok(()),
        Err(err) => Err(err),
    };
    match merged {
        Ok(()) => true,
        Err(err) => {
            tracing::warn!(error = %err, "could not merge a guest cart at login");
            false
        }
    }
}

pub async fn login(
    State(state): State<AppState>,
    csrf: CsrfToken,
    headers: axum::http::HeaderMap,
    ClientAddr(client): ClientAddr,
    PageForm(form): PageForm<LoginForm>,
) -> PageResult {
    csrf.check(&form.csrf)?;
    match accounts::login(&state.app, &form.email, &form.password, &client, Channel::Web).await {
        Ok(login) => {
            let mut cookies = login_cookies(&state, &login.token).to_vec();
            if let Some(secret) = super::cart::guest_secret(&headers) {
                if merge_guest_cart(&state, secret, &login.token).await {
                    cookies.push((header::SET_COOKIE, super::cart::clear_guest_cookie()));
                }
            }
            // A fresh session secret on every login: a session fixed before login is worthless.
            Ok((
                AppendHeaders(cookies),
                [crate::NO_STORE],
                see_other(safe_next(&form.next)),
            )
                .into_response())
        }
        Err(err @ (AppError::Unauthenticated | AppError::RateLimited { .. })) => {
            let status = match err {
                AppError::RateLimited { .. } => axum::http::StatusCode::TOO_MANY_REQUESTS,
                _ => axum::http::StatusCode::UNAUTHORIZED,
            };
            let message = match err {
                AppError::RateLimited { .. } => "Too many failed attempts. Wait a few minutes and try again.",
                _ => "That email and password do not match an account.",
            };
            let layout = Layout::new(&state, None, &csrf, "Log in").await;
            let page = LoginPage {
                layout,
                email: form.email,
                next: form.next,
                error: Some(message.into()),
            };
            Ok((status, render(&page)).into_response())
        }
        Err(err) => Err(err.into()),
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct CsrfOnly {
    pub csrf: String,
}

pub async fn logout(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    csrf: CsrfToken,
    PageForm(form): PageForm<CsrfOnly>,
) -> PageResult {
    csrf.check(&form.csrf)?;
    if let Some(user) = user {
        accounts::logout(&state.app, &user).await?;
    }
    Ok((
        AppendHeaders([(header::SET_COOKIE, super::clear_session_cookie())]),
        see_other("/"),
    )
        .into_response())
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn paths_on_this_site_are_followed() {
        for local in [
            "/",
            "/account",
            "/p/prd_1?tab=reviews#top",
            "/search?q=a%2F%2Fb",
            "/a//b",
        ] {
            assert_eq!(safe_next(local), local);
        }
    }

    #[test]
    fn anything_else_goes_to_the_account_page() {
        for foreign in [
            "",
            "account",
            "//evil.example",
            "///evil.example",
            "https://evil.example",
            "javascript:alert(1)",
            "/\\evil.example",
            "\\\\evil.example",
            "/\t/evil.example",
            "/\n/evil.example",
            "/\r\nSet-Cookie: x=1",
            "/\u{7f}",
            "/\u{85}evil",
            " /account",
        ] {
            assert_eq!(safe_next(foreign), "/account", "{foreign:?}");
        }
    }
}
