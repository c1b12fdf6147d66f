//! The sandbox gateway's hosted payment page, under `/sandbox-gateway/`. It stands for an outside
//! provider's site: Agora's pages and API never accept a card number, this page alone does (a
//! *test* card: any Luhn-valid number with a future expiry), keeps only its brand and last four
//! digits, and sends the payer back to the merchant's return page. Its form is read here, never
//! through Agora's form extractor (which refuses card fields), and nothing of it is logged.

use agora_app::gateway::sandbox::SandboxSession;
use agora_app::gateway::sandbox::{self, Decision};
use agora_app::AppError;
use agora_core::gateway::{check_card, CardError};
use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;

use crate::assets::Urls;
use crate::frame::render;
use crate::pages::see_other;
use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new().route(&format!("{}/pay/{{session}}", sandbox::PREFIX), get(page).post(submit))
}

#[derive(Template)]
#[template(path = "sandbox_pay.html")]
struct SandboxPage {
    assets: &'static Urls,
    session: SandboxSession,
    amount: String,
    error: Option<String>,
    holder: String,
}

fn page_for(session: SandboxSession, error: Option<String>, holder: String) -> Result<SandboxPage, AppError> {
    Ok(SandboxPage {
        assets: crate::assets::urls(),
        amount: crate::words::money(sandbox::amount_of(&session)?),
        session,
        error,
        holder,
    })
}

fn failure(err: AppError) -> Response {
    crate::frame::error_response(err)
}

async fn page(State(state): State<AppState>, Path(id): Path<String>) -> Response {
    match sandbox::session(&state.app, &id)
        .await
        .and_then(|s| page_for(s, None, String::new()))
    {
        Ok(p) => render(&p),
        Err(e) => failure(e),
    }
}

/// The hosted form's fields. Kept out of any `Debug` output.
#[derive(Default)]
struct CardForm {
    action: String,
    holder: String,
    number: String,
    expiry: String,
    cvc: String,
}

fn read(body: &[u8]) -> CardForm {
    let mut form = CardForm::default();
    for (k, v) in form_urlencoded::parse(body) {
        let v = v.into_owned();
        match k.as_ref() {
            "action" => form.action = v,
            "holder" => form.holder = v,
            "card_number" => form.number = v,
            "expiry" => form.expiry = v,
            "cvc" => form.cvc = v,
            _ => {}
        }
    }
    form
}

fn today() -> (i32, u8) {
    let now = time::OffsetDateTime::now_utc();
    (now.year(), u8::from(now.month()))
}

async fn submit(State(state): State<AppState>, Path(id): Path<String>, body: Bytes) -> Response {
    let form = read(&body);
    let session = match sandbox::session(&state.app, &id).await {
        Ok(s) => s,
        Err(e) => return failure(e),
    };
    if session.status != "open" {
        return see_other(&session.return_url);
    }
    let decision = match form.action.as_str() {
        "decline" => Decision::Decline,
        "approve" => match check_card(&form.number, &form.expiry, &form.cvc, today()) {
            Ok(card) => Decision::Approve(card),
            Err(err) => return refused(session, err, form.holder),
        },
        _ => return failure(AppError::BadRequest("choose to pay or to cancel".into())),
    };
    match sandbox::decide(&state.app, &id, decision).await {
        Ok(s) => see_other(&s.return_url),
        Err(AppError::Conflict { .. }) => see_other(&session.return_url),
        Err(e) => failure(e),
    }
}

fn refused(session: SandboxSession, err: CardError, holder: String) -> Response {
    match page_for(session, Some(err.to_string()), holder) {
        Ok(p) => (StatusCode::UNPROCESSABLE_ENTITY, render(&p)).into_response(),
        Err(e) => failure(e),
    }
}
