//! The seller centre: applying for a shop, its review status and its documents.

use agora_app::categories::{self, CategoryNode};
use agora_app::shop_applications::{self, Applied, DocumentKind};
use agora_app::shops::{self, ApplyInput, ShopView, Upload};
use agora_app::AppError;
use agora_core::ValidationErrors;
use askama::Template;
use axum::extract::{Multipart, Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use serde::Deserialize;

use super::{render, see_other, CsrfToken, Layout, PageError, PageForm, PageResult, PageUser};
use crate::extract::Query;
use crate::multipart;
use crate::AppState;

/// A category the form offers, flattened with its depth for indentation.
pub struct CategoryChoice {
    pub slug: String,
    pub name: String,
    pub restricted: bool,
    pub depth: usize,
    pub checked: bool,
}

pub(super) fn flatten(nodes: &[CategoryNode], depth: usize, checked: &[String], out: &mut Vec<CategoryChoice>) {
    for n in nodes {
        out.push(CategoryChoice {
            slug: n.slug.clone(),
            name: n.name.clone(),
            restricted: n.restricted,
            depth,
            checked: checked.contains(&n.slug),
        });
        flatten(&n.children, depth + 1, checked, out);
    }
}

#[derive(Debug, Default, Clone)]
pub struct ApplyForm {
    name: String,
    legal_name: String,
    registration_number: String,
    categories: Vec<String>,
    for_company: bool,
    kind: String,
    expires_on: String,
}

#[derive(Template)]
#[template(path = "apply.html")]
struct ApplyPage {
    layout: Layout,
    form: ApplyForm,
    choices: Vec<CategoryChoice>,
    company_name: Option<String>,
    kinds: Vec<DocumentKind>,
    errors: ValidationErrors,
    error: Option<String>,
}

async fn apply_page(
    state: &AppState,
    actor: agora_app::Actor,
    csrf: &CsrfToken,
    form: ApplyForm,
) -> Result<ApplyPage, PageError> {
    let tree = categories::tree(&state.app).await?;
    let mut choices = Vec::new();
    flatten(&tree, 0, &form.categories, &mut choices);
    let company_name = agora_app::accounts::me(&state.app, &actor)
        .await?
        .company
        .map(|c| c.name);
    let kinds = shop_applications::document_kinds(&state.app).await?;
    let layout = Layout::new(state, Some(actor), csrf, "Open a shop").await;
    Ok(ApplyPage {
        layout,
        form,
        choices,
        company_name,
        kinds,
        errors: ValidationErrors::new(),
        error: None,
    })
}

pub async fn apply_form(State(state): State<AppState>, user: PageUser, csrf: CsrfToken) -> PageResult {
    let actor = user.require("/sell/apply")?;
    Ok(render(&apply_page(&state, actor, &csrf, ApplyForm::default()).await?))
}

fn apply_form_of(data: &multipart::Form) -> ApplyForm {
    ApplyForm {
        name: data.text("name").unwrap_or_default().into(),
        legal_name: data.text("legal_name").unwrap_or_default().into(),
        registration_number: data.text("registration_number").unwrap_or_default().into(),
        categories: data
            .fields
            .iter()
            .filter(|(k, _)| k.starts_with("category:"))
            .map(|(k, _)| k.trim_start_matches("category:").to_owned())
            .collect(),
        for_company: data.text("for_company").is_some(),
        kind: data.text("kind").unwrap_or_default().into(),
        expires_on: data.text("expires_on").unwrap_or_default().into(),
    }
}

/// Shows the application again with everything typed and what was wrong.
async fn refused(
    state: &AppState,
    actor: agora_app::Actor,
    csrf: &CsrfToken,
    form: ApplyForm,
    err: AppError,
) -> PageResult {
    let status = crate::problem::problem_of(&err).status();
    let mut page = apply_page(state, actor, csrf, form).await?;
    match err {
        AppError::Invalid(errors) => page.errors = errors,
        AppError::TooLarge { max_bytes } => {
            page.errors.add(
                "file",
                format!("is too large: at most {} MB", max_bytes / (1024 * 1024)),
            );
        }
        AppError::UnsupportedMediaType(_) => page.errors.add("file", "must be a PDF, PNG or JPEG file"),
        other => page.error = Some(crate::words::message(&other)),
    }
    page.error = page
        .error
        .or_else(|| Some("Nothing was sent yet: correct the marked fields and send the application again.".into()));
    Ok((status, render(&page)).into_response())
}

/// The application, with an optional first document, in one multipart form: all or nothing.
pub async fn apply(State(state): State<AppState>, user: PageUser, csrf: CsrfToken, multipart: Multipart) -> PageResult {
    let actor = user.require("/sell/apply")?;
    let max = state.app.settings.max_upload_bytes;
    let (data, read_error) = multipart::read_partial(multipart, max).await;
    // The fields come before the file, so a refused file still leaves what was typed.
    csrf.check(data.text("csrf").unwrap_or_default())?;
    let form = apply_form_of(&data);
    if let Some(err) = read_error {
        return refused(&state, actor, &csrf, form, err).await;
    }
    let upload = data.file.map(|(filename, bytes)| Upload {
        kind: form.kind.clone(),
        expires_on: Some(form.expires_on.clone()),
        filename,
        bytes,
    });
    let input = ApplyInput {
        name: form.name.clone(),
        legal_name: form.legal_name.clone(),
        registration_number: Some(form.registration_number.clone()),
        categories: form.categories.clone(),
        for_company: form.for_company,
    };
    match shop_applications::apply_with_document(&state.app, &actor, input, upload).await {
        Ok(Applied::Created(shop)) => Ok(see_other(&format!("/sell/shops/{}?applied=1", shop.id))),
        Ok(Applied::AlreadyOpen(shop)) => Ok(see_other(&format!("/sell/shops/{}?already=1", shop.id))),
        Err(
            err @ (AppError::Invalid(_)
            | AppError::Forbidden(_)
            | AppError::TooLarge { .. }
            | AppError::UnsupportedMediaType(_)),
        ) => refused(&state, actor, &csrf, form, err).await,
        Err(err) => Err(err.into()),
    }
}

#[derive(Template)]
#[template(path = "seller_shop.html")]
struct ShopPage {
    layout: Layout,
    shop: ShopView,
    kinds: Vec<DocumentKind>,
    kind: String,
    expires_on: String,
    errors: ValidationErrors,
    error: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ShopQuery {
    applied: Option<String>,
    uploaded: Option<String>,
    already: Option<String>,
    upload_error: Option<String>,
}

async fn shop_page(
    state: &AppState,
    actor: agora_app::Actor,
    csrf: &CsrfToken,
    id: &str,
    notice: Option<String>,
) -> Result<ShopPage, PageError> {
    let shop = shops::get(&state.app, Some(&actor), id).await?;
    if !shops::mine(&state.app, &actor).await?.iter().any(|s| s.id == shop.id) {
        return Err(AppError::NotFound("shop").into());
    }
    let layout = Layout::new(state, Some(actor), csrf, shop.name.clone())
        .await
        .with_notice(notice);
    let kinds = shop_applications::document_kinds(&state.app).await?;
    Ok(ShopPage {
        layout,
        shop,
        kinds,
        kind: String::new(),
        expires_on: String::new(),
        errors: ValidationErrors::new(),
        error: None,
    })
}

pub async fn shop(
    State(state): State<AppState>,
    user: PageUser,
    csrf: CsrfToken,
    Path(id): Path<String>,
    Query(q): Query<ShopQuery>,
) -> PageResult {
    let actor = user.require(&format!("/sell/shops/{id}"))?;
    let notice = if q.applied.is_some() {
        Some("Your application was sent. An operator will review it.".to_owned())
    } else if q.already.is_some() {
        Some("You have already applied for this shop; here it is.".to_owned())
    } else {
        q.uploaded.map(|_| "The document was uploaded for review.".to_owned())
    };
    let mut page = shop_page(&state, actor, &csrf, &id, notice).await?;
    page.error = q.upload_error;
    Ok(render(&page))
}

pub async fn upload(
    State(state): State<AppState>,
    user: PageUser,
    csrf: CsrfToken,
    Path(id): Path<String>,
    multipart: Multipart,
) -> PageResult {
    let actor = user.require(&format!("/sell/shops/{id}"))?;
    let max = state.app.settings.max_upload_bytes;
    let result = match multipart::read(multipart, max).await {
        Ok(data) => {
            csrf.check(data.text("csrf").unwrap_or_default())?;
            let kind = data.text("kind").unwrap_or_default().to_owned();
            let expires_on = data.text("expires_on").unwrap_or_default().to_owned();
            match data.file {
                Some((filename, bytes)) => {
                    let upload = Upload {
                        kind: kind.clone(),
                        expires_on: Some(expires_on.clone()),
                        filename,
                        bytes,
                    };
                    shops::upload_qualification(&state.app, &actor, &id, upload)
                        .await
                        .map(|_| ())
                        .map_err(|e| (e, kind, expires_on))
                }
                None => Err((AppError::invalid("file", "choose a file to upload"), kind, expires_on)),
            }
        }
        Err(err) => Err((err, String::new(), String::new())),
    };
    match result {
        Ok(()) => Ok(see_other(&format!("/sell/shops/{id}?uploaded=1"))),
        Err((err, kind, expires_on)) => {
            let status = crate::problem::problem_of(&err).status();
            if status == StatusCode::NOT_FOUND || status == StatusCode::INTERNAL_SERVER_ERROR {
                return Err(err.into());
            }
            let mut page = shop_page(&state, actor, &csrf, &id, None).await?;
            page.kind = kind;
            page.expires_on = expires_on;
            match err {
                AppError::Invalid(errors) => page.errors = errors,
                other => page.error = Some(crate::words::message(&other)),
            }
            Ok((status, render(&page)).into_response())
        }
    }
}

pub async fn document(State(state): State<AppState>, user: PageUser, Path(id): Path<String>) -> PageResult {
    let actor = user.require(&format!("/documents/{id}"))?;
    let (doc, bytes) = shops::document(&state.app, &actor, &id).await?;
    Ok(super::document_response(doc, bytes))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct PriceModeForm {
    csrf: String,
    price_mode: String,
}

/// The shop page's tax setting.
pub async fn set_price_mode(
    State(state): State<AppState>,
    user: PageUser,
    csrf: CsrfToken,
    Path(id): Path<String>,
    PageForm(form): PageForm<PriceModeForm>,
) -> PageResult {
    csrf.check(&form.csrf)?;
    let actor = user.require(&format!("/sell/shops/{id}"))?;
    shops::set_price_mode(&state.app, &actor, &id, &form.price_mode).await?;
    Ok(see_other(&format!("/sell/shops/{id}")))
}

/// A shop's review status as its seller reads it.
pub fn shop_status_words(status: &agora_core::shop::ShopStatus) -> &'static str {
    use agora_core::shop::ShopStatus;
    match status {
        ShopStatus::Pending => "Waiting for review",
        ShopStatus::InfoRequested => "Waiting for information",
        ShopStatus::Approved => "Approved",
        ShopStatus::Rejected => "Rejected",
    }
}
