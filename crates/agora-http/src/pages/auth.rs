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

use super::{render, see_other, session_cookie, CsrfToken, Layout, PageForm, PageResult, PageUser};
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
    match accounts::register(&state.app, input).await {
        Ok(_) => Ok(see_other("/login?registered=1")),
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

/// Only local paths are followed after login (no open redirect).
fn safe_next(next: &str) -> &str {
    if next.starts_with('/') && !next.starts_with("//") && !next.contains('\\') {
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

pub async fn login(
    State(state): State<AppState>,
    csrf: CsrfToken,
    ClientAddr(client): ClientAddr,
    PageForm(form): PageForm<LoginForm>,
) -> PageResult {
    csrf.check(&form.csrf)?;
    match accounts::login(&state.app, &form.email, &form.password, &client, Channel::Web).await {
        Ok(login) => {
            // A fresh session secret on every login: a session fixed before login is worthless.
            let cookie = session_cookie(&state, &login.token);
            Ok((
                AppendHeaders([(header::SET_COOKIE, cookie)]),
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
    #[test]
    fn only_local_paths_are_followed() {
        assert_eq!(super::safe_next("/account"), "/account");
        assert_eq!(super::safe_next("//evil.example"), "/account");
        assert_eq!(super::safe_next("https://evil.example"), "/account");
        assert_eq!(super::safe_next("/\\evil"), "/account");
    }
}
