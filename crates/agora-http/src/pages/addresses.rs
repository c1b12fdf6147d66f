//! The address book page under `/account/addresses`: saved delivery addresses, one the default,
//! a form to add one, and buttons to make one the default or delete it. The API's
//! `/account/addresses` does the same for clients.

use agora_app::addresses::{self, AddressView};
use agora_app::{Actor, AppError};
use agora_core::address::AddressInput;
use agora_core::ValidationErrors;
use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use serde::Deserialize;

use super::auth::CsrfOnly;
use super::{render, see_other, CsrfToken, Layout, PageError, PageForm, PageResult, PageUser};
use crate::AppState;

const PATH: &str = "/account/addresses";

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct AddressForm {
    csrf: String,
    name: String,
    line1: String,
    line2: String,
    postal_code: String,
    city: String,
    country: String,
    phone: String,
    /// "on" when ticked.
    default: Option<String>,
}

#[derive(Template)]
#[template(path = "account_addresses.html")]
struct AddressesPage {
    layout: Layout,
    addresses: Vec<AddressView>,
    form: AddressForm,
    errors: ValidationErrors,
}

async fn page(
    state: &AppState,
    actor: Actor,
    csrf: &CsrfToken,
    form: AddressForm,
    errors: ValidationErrors,
) -> Result<AddressesPage, PageError> {
    let addresses = addresses::list(&state.app, &actor).await?;
    let layout = Layout::new(state, Some(actor), csrf, "Your addresses").await;
    Ok(AddressesPage {
        layout,
        addresses,
        form,
        errors,
    })
}

pub async fn list(State(state): State<AppState>, user: PageUser, csrf: CsrfToken) -> PageResult {
    let actor = user.require(PATH)?;
    let form = AddressForm {
        name: actor.name.clone(),
        ..Default::default()
    };
    Ok(render(
        &page(&state, actor, &csrf, form, ValidationErrors::new()).await?,
    ))
}

pub async fn create(
    State(state): State<AppState>,
    user: PageUser,
    csrf: CsrfToken,
    PageForm(form): PageForm<AddressForm>,
) -> PageResult {
    let actor = user.require(PATH)?;
    csrf.check(&form.csrf)?;
    let input = AddressInput {
        name: &form.name,
        line1: &form.line1,
        line2: Some(form.line2.as_str()),
        city: &form.city,
        postal_code: &form.postal_code,
        region: None,
        country: &form.country,
        phone: Some(form.phone.as_str()).filter(|p| !p.trim().is_empty()),
    };
    match addresses::create(&state.app, &actor, input, form.default.is_some()).await {
        Ok(_) => Ok(see_other(PATH)),
        Err(AppError::Invalid(errors)) => {
            let page = page(&state, actor, &csrf, form, errors).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)).into_response())
        }
        Err(err) => Err(err.into()),
    }
}

pub async fn make_default(
    State(state): State<AppState>,
    user: PageUser,
    csrf: CsrfToken,
    Path(id): Path<String>,
    PageForm(form): PageForm<CsrfOnly>,
) -> PageResult {
    let actor = user.require(PATH)?;
    csrf.check(&form.csrf)?;
    addresses::make_default(&state.app, &actor, &id).await?;
    Ok(see_other(PATH))
}

pub async fn delete(
    State(state): State<AppState>,
    user: PageUser,
    csrf: CsrfToken,
    Path(id): Path<String>,
    PageForm(form): PageForm<CsrfOnly>,
) -> PageResult {
    let actor = user.require(PATH)?;
    csrf.check(&form.csrf)?;
    addresses::delete(&state.app, &actor, &id).await?;
    Ok(see_other(PATH))
}
