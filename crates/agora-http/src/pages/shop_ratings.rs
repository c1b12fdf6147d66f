//! The order page's "Rate the shop" form.

use agora_app::{shop_ratings, AppError};
use axum::extract::{Path, State};
use axum::response::IntoResponse;
use serde::Deserialize;

use super::orders::{detail_page, message_of};
use super::{render, see_other, CsrfToken, PageForm, PageResult, PageUser};
use crate::AppState;

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct RatingForm {
    csrf: String,
    score: String,
    comment: String,
}

/// Rates the order's shop; a refusal shows on the order page with nothing stored.
pub async fn rate(
    State(state): State<AppState>,
    user: PageUser,
    csrf: CsrfToken,
    Path(id): Path<String>,
    PageForm(form): PageForm<RatingForm>,
) -> PageResult {
    csrf.check(&form.csrf)?;
    let actor = user.require(&format!("/orders/{id}"))?;
    let result = match form.score.trim().parse::<i64>() {
        Ok(score) => shop_ratings::rate(&state.app, &actor, &id, score, Some(form.comment.as_str())).await,
        Err(_) => Err(AppError::invalid("score", "choose from 1 to 5 stars")),
    };
    match result {
        Ok(_) => Ok(see_other(&format!("/orders/{id}?rated=1#order-rating"))),
        Err(err @ (AppError::Invalid(_) | AppError::Conflict { .. } | AppError::Forbidden(_))) => {
            let status = crate::problem::problem_of(&err).status();
            let message = format!("That did not work. {}", message_of(&err));
            let page = detail_page(&state, actor, &csrf, &id, None, Some(message)).await?;
            Ok((status, render(&page)).into_response())
        }
        Err(err) => Err(err.into()),
    }
}
