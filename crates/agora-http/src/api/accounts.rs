//! Registration, login, logout, the caller's account, password changes and API tokens.

use agora_app::accounts::{self, Channel};
use agora_core::account::RegistrationInput;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{AppendHeaders, IntoResponse};
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::bodies::accounts::{AccountView, LoginView, NewTokenView, TokenView};
use super::bodies::each;
use crate::cookies::login_cookies;
use crate::extract::{ApiJson, Auth, ClientAddr};
use crate::problem::{ApiResult, Problem};
use crate::AppState;

#[derive(Debug, Deserialize, ToSchema)]
pub struct RegisterBody {
    email: String,
    password: String,
    name: String,
    /// `individual` or `enterprise`.
    kind: String,
    /// Required for an enterprise account.
    company_name: Option<String>,
}

/// Register an account. An enterprise account also creates its company, with the registrant as admin.
#[utoipa::path(post, path = "/auth/register", tag = "accounts", request_body = RegisterBody,
    responses((status = 201, body = AccountView), (status = 422, body = Problem), (status = 429, body = Problem),
        (status = 503, body = Problem)))]
pub async fn register(
    State(state): State<AppState>,
    ClientAddr(client): ClientAddr,
    ApiJson(body): ApiJson<RegisterBody>,
) -> ApiResult<(StatusCode, Json<AccountView>)> {
    let input = RegistrationInput {
        email: &body.email,
        password: &body.password,
        name: &body.name,
        kind: &body.kind,
        company_name: body.company_name.as_deref(),
    };
    let account = accounts::register_from(&state.app, &client, input).await?;
    Ok((StatusCode::CREATED, Json(account.into())))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct LoginBody {
    email: String,
    password: String,
}

/// Log in: returns a bearer token and sets the session cookie for the web pages. The token is shown
/// once: a retry with the same `Idempotency-Key` gets 409, not the token again.
#[utoipa::path(post, path = "/auth/login", tag = "accounts", request_body = LoginBody,
    responses((status = 200, body = LoginView), (status = 401, body = Problem), (status = 429, body = Problem),
        (status = 503, body = Problem)))]
pub async fn login(
    State(state): State<AppState>,
    ClientAddr(client): ClientAddr,
    ApiJson(body): ApiJson<LoginBody>,
) -> ApiResult<impl IntoResponse> {
    let login = accounts::login(&state.app, &body.email, &body.password, &client, Channel::Api).await?;
    Ok((
        AppendHeaders(login_cookies(&state, &login.token)),
        [crate::NO_STORE],
        Json(LoginView::from(login)),
    ))
}

/// Log out: the token (or session) of this request stops working.
#[utoipa::path(post, path = "/auth/logout", tag = "accounts", security(("bearer" = [])),
    responses((status = 204), (status = 401, body = Problem)))]
pub async fn logout(State(state): State<AppState>, Auth(actor): Auth) -> ApiResult<StatusCode> {
    accounts::logout(&state.app, &actor).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The caller's account, company and shops.
#[utoipa::path(get, path = "/me", tag = "accounts", security(("bearer" = [])),
    responses((status = 200, body = AccountView), (status = 401, body = Problem)))]
pub async fn me(State(state): State<AppState>, Auth(actor): Auth) -> ApiResult<Json<AccountView>> {
    Ok(Json(accounts::me(&state.app, &actor).await?.into()))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct PasswordBody {
    current_password: String,
    new_password: String,
}

/// Change the password. Every other session and token of the account is revoked.
#[utoipa::path(post, path = "/me/password", tag = "accounts", security(("bearer" = [])), request_body = PasswordBody,
    responses((status = 204), (status = 422, body = Problem)))]
pub async fn change_password(
    State(state): State<AppState>,
    Auth(actor): Auth,
    ApiJson(body): ApiJson<PasswordBody>,
) -> ApiResult<StatusCode> {
    accounts::change_password(&state.app, &actor, &body.current_password, &body.new_password).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TokenList {
    items: Vec<TokenView>,
    next_cursor: Option<String>,
}

/// The caller's live API tokens and browser sessions.
#[utoipa::path(get, path = "/tokens", tag = "accounts", security(("bearer" = [])), responses((status = 200, body = TokenList)))]
pub async fn list_tokens(State(state): State<AppState>, Auth(actor): Auth) -> ApiResult<Json<TokenList>> {
    let items = accounts::list_tokens(&state.app, &actor).await?;
    Ok(Json(TokenList {
        items: each(items),
        next_cursor: None,
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct NewTokenBody {
    name: String,
}

/// Create a named API token. Its secret is in this response only: a retry with the same
/// `Idempotency-Key` gets 409, not the secret again.
#[utoipa::path(post, path = "/tokens", tag = "accounts", security(("bearer" = [])), request_body = NewTokenBody,
    responses((status = 201, body = NewTokenView), (status = 409, body = Problem)))]
pub async fn create_token(
    State(state): State<AppState>,
    Auth(actor): Auth,
    ApiJson(body): ApiJson<NewTokenBody>,
) -> ApiResult<impl IntoResponse> {
    Ok((
        StatusCode::CREATED,
        [crate::NO_STORE],
        Json(NewTokenView::from(
            accounts::create_token(&state.app, &actor, &body.name).await?,
        )),
    ))
}

/// Revoke one of the caller's tokens or sessions.
#[utoipa::path(delete, path = "/tokens/{id}", tag = "accounts", security(("bearer" = [])),
    params(("id" = String, Path)), responses((status = 204), (status = 404, body = Problem)))]
pub async fn revoke_token(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    accounts::revoke_token(&state.app, &actor, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}
