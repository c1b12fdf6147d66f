//! The seller centre's catalog pages: the shop's products, a form to list one, and the edit page
//! (its variant forms live in `seller_variants`).

use agora_app::categories;
use agora_app::products::{self, ProductView};
use agora_app::shops::{self, ShopView};
use agora_app::{AppError, AppResult};
use agora_core::money::{Currency, Money};
use agora_core::product::{ProductDraft, ProductInput, ProductPatch, ProductStatus, VariantInput};
use agora_core::ValidationErrors;
use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use serde::Deserialize;

use super::sell::{flatten, CategoryChoice};
use super::seller_variants::{panels, VariantPanel};
use super::{render, see_other, CsrfToken, Layout, PageError, PageForm, PageResult, PageUser};
use crate::media::ImageUrls;
use crate::AppState;

/// The shop, if the actor runs it (404 otherwise).
async fn my_shop(state: &AppState, actor: &agora_app::Actor, id: &str) -> AppResult<ShopView> {
    let mine = shops::mine(&state.app, actor).await?;
    mine.into_iter().find(|s| s.id == id).ok_or(AppError::NotFound("shop"))
}

#[derive(Debug, Default, Deserialize, Clone)]
#[serde(default)]
pub struct NewProductForm {
    csrf: String,
    title: String,
    description: String,
    category: String,
    sku: String,
    gtin: String,
    price: String,
    currency: String,
    stock: String,
    status: String,
}

#[derive(Template)]
#[template(path = "seller_product_new.html")]
struct NewProductPage {
    layout: Layout,
    shop: ShopView,
    form: NewProductForm,
    choices: Vec<CategoryChoice>,
    currencies: Vec<&'static str>,
    errors: ValidationErrors,
    error: Option<String>,
}

async fn new_page(
    state: &AppState,
    actor: agora_app::Actor,
    csrf: &CsrfToken,
    shop: ShopView,
    form: NewProductForm,
) -> Result<NewProductPage, PageError> {
    let tree = categories::tree(&state.app).await?;
    let mut choices = Vec::new();
    flatten(&tree, 0, std::slice::from_ref(&form.category), &mut choices);
    let layout = Layout::new(state, Some(actor), csrf, "List a product").await;
    Ok(NewProductPage {
        layout,
        shop,
        form,
        choices,
        currencies: vec!["EUR", "USD", "GBP", "CHF", "SEK", "PLN"],
        errors: ValidationErrors::new(),
        error: None,
    })
}

pub async fn new_form(
    State(state): State<AppState>,
    user: PageUser,
    csrf: CsrfToken,
    Path(id): Path<String>,
) -> PageResult {
    let actor = user.require(&format!("/sell/shops/{id}/products/new"))?;
    let shop = my_shop(&state, &actor, &id).await?;
    let form = NewProductForm {
        currency: "EUR".into(),
        stock: "0".into(),
        status: ProductStatus::Active.to_string(),
        ..Default::default()
    };
    Ok(render(&new_page(&state, actor, &csrf, shop, form).await?))
}

/// Turns the form into the listing's input, which the use case parses into its draft. When typed
/// numbers are wrong, every problem is still reported at once: those of the numbers here, and the
/// product rules' own (title, SKU, GTIN, …) on the rest.
fn parse_form(form: &NewProductForm) -> Result<ProductInput, ValidationErrors> {
    let mut errors = ValidationErrors::new();
    let variant = typed_variant(
        &mut errors,
        &form.sku,
        &form.gtin,
        &form.price,
        &form.currency,
        &form.stock,
    );
    let status = match form.status.parse() {
        Ok(ProductStatus::Draft) => ProductStatus::Draft,
        _ => ProductStatus::Active,
    };
    let input = ProductInput {
        title: form.title.clone(),
        description: form.description.clone(),
        category: form.category.clone(),
        attributes: Default::default(),
        variants: vec![variant],
        min_order_qty: None,
        status: Some(status.to_string()),
    };
    if errors.is_empty() {
        return Ok(input);
    }
    if let Err(more) = ProductDraft::parse(input) {
        errors.0.extend(ValidationErrors::from(more).0);
    }
    Err(errors)
}

/// A variant from typed form fields. Problems with the typed numbers are added to `errors` (and
/// placeholders stand in), so that the product rules can still report everything else at once.
pub(super) fn typed_variant(
    errors: &mut ValidationErrors,
    sku: &str,
    gtin: &str,
    price: &str,
    currency: &str,
    stock: &str,
) -> VariantInput {
    let currency = errors.check("currency", Currency::parse(currency.trim()));
    let price = currency.and_then(|c| errors.check("price", Money::parse_major(price, c)));
    let stock = errors.check(
        "stock",
        stock
            .trim()
            .parse::<i64>()
            .map_err(|_| "must be a whole number".to_owned()),
    );
    let gtin = gtin.trim();
    VariantInput {
        sku: sku.to_owned(),
        gtin: (!gtin.is_empty()).then(|| gtin.to_owned()),
        price: price.unwrap_or(Money::new(0, currency.unwrap_or(Currency::EUR))),
        stock: stock.unwrap_or(0),
        attributes: Default::default(),
        price_tiers: vec![],
    }
}

/// The API's field names for the one variant this form has.
fn form_field(field: &str) -> String {
    field.strip_prefix("variants[0].").unwrap_or(field).to_owned()
}

pub async fn create(
    State(state): State<AppState>,
    user: PageUser,
    csrf: CsrfToken,
    Path(id): Path<String>,
    PageForm(form): PageForm<NewProductForm>,
) -> PageResult {
    let actor = user.require(&format!("/sell/shops/{id}/products/new"))?;
    csrf.check(&form.csrf)?;
    let shop = my_shop(&state, &actor, &id).await?;
    let result = match parse_form(&form) {
        Ok(input) => products::create(&state.app, &actor, &shop.id, input).await,
        Err(errors) => Err(AppError::Invalid(errors)),
    };
    match result {
        Ok(product) => Ok(see_other(&format!("/sell/products/{}?created=1", product.id))),
        Err(err @ (AppError::Invalid(_) | AppError::Forbidden(_) | AppError::Conflict { .. })) => {
            let status = crate::problem::problem_of(&err).status();
            let mut page = new_page(&state, actor, &csrf, shop, form).await?;
            match err {
                AppError::Invalid(mut errors) => {
                    errors.0.iter_mut().for_each(|e| e.field = form_field(&e.field));
                    page.errors = errors;
                }
                other => page.error = Some(crate::words::message(&other)),
            }
            Ok((status, render(&page)).into_response())
        }
        Err(err) => Err(err.into()),
    }
}

/// A product's status as its seller reads it.
pub fn status_words(status: &str) -> &'static str {
    match status.parse::<ProductStatus>() {
        Ok(ProductStatus::Active) => "On sale",
        Ok(ProductStatus::Draft) => "Draft (only your shop sees it)",
        Ok(ProductStatus::Archived) => "Archived (off sale)",
        Err(_) => "Unknown",
    }
}

#[derive(Template)]
#[template(path = "seller_product_edit.html")]
struct EditPage {
    layout: Layout,
    product: ProductView,
    statuses: &'static [ProductStatus],
    /// Categories the product may move to, the current one checked.
    choices: Vec<CategoryChoice>,
    category_name: String,
    variants: Vec<VariantPanel>,
    errors: ValidationErrors,
    error: Option<String>,
}

/// A variant form that failed: which variant, and what was typed into it.
pub(super) struct VariantFailure {
    pub variant_id: String,
    pub typed: Vec<(String, String)>,
}

async fn edit_page(
    state: &AppState,
    actor: agora_app::Actor,
    csrf: &CsrfToken,
    id: &str,
    notice: Option<String>,
) -> Result<EditPage, PageError> {
    let product = products::get(&state.app, Some(&actor), id).await?;
    my_shop(state, &actor, &product.shop.id)
        .await
        .map_err(|e| e.not_found_as("product"))?;
    let tree = categories::tree(&state.app).await?;
    let mut choices = Vec::new();
    flatten(&tree, 0, std::slice::from_ref(&product.category), &mut choices);
    let category_name = choices
        .iter()
        .find(|c| c.checked)
        .map_or_else(|| product.category.clone(), |c| c.name.clone());
    let declared = categories::attributes_of(&state.app, &product.category).await?;
    let variants = panels(&product, &declared);
    let layout = Layout::new(state, Some(actor), csrf, format!("Edit: {}", product.title))
        .await
        .with_notice(notice);
    Ok(EditPage {
        layout,
        product,
        statuses: ProductStatus::ALL,
        choices,
        category_name,
        variants,
        errors: ValidationErrors::new(),
        error: None,
    })
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct EditQuery {
    created: Option<String>,
    saved: Option<String>,
}

pub async fn edit(
    State(state): State<AppState>,
    user: PageUser,
    csrf: CsrfToken,
    Path(id): Path<String>,
    crate::extract::Query(q): crate::extract::Query<EditQuery>,
) -> PageResult {
    let actor = user.require(&format!("/sell/products/{id}"))?;
    let notice = if q.created.is_some() {
        Some("The product is listed.".to_owned())
    } else {
        q.saved.map(|_| "Saved.".to_owned())
    };
    Ok(render(&edit_page(&state, actor, &csrf, &id, notice).await?))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct EditForm {
    csrf: String,
    title: String,
    description: String,
    category: String,
    status: String,
}

/// The edit page again after a failed form, with the problem next to the fields it concerns: a
/// variant's own, when `variant` names the variant form that failed.
pub(super) async fn edit_error(
    state: &AppState,
    actor: agora_app::Actor,
    csrf: &CsrfToken,
    id: &str,
    err: AppError,
    variant: Option<VariantFailure>,
) -> PageResult {
    let status = crate::problem::problem_of(&err).status();
    if status == StatusCode::NOT_FOUND || status.is_server_error() {
        return Err(err.into());
    }
    let mut page = edit_page(state, actor, csrf, id, None).await?;
    match (variant, err) {
        (Some(failed), err) => failed.apply(err, &mut page.variants),
        (None, AppError::Invalid(errors)) => page.errors = errors,
        (None, other) => page.error = Some(crate::words::message(&other)),
    }
    Ok((status, render(&page)).into_response())
}

pub async fn save(
    State(state): State<AppState>,
    user: PageUser,
    csrf: CsrfToken,
    Path(id): Path<String>,
    PageForm(form): PageForm<EditForm>,
) -> PageResult {
    let actor = user.require(&format!("/sell/products/{id}"))?;
    csrf.check(&form.csrf)?;
    let category = Some(form.category).filter(|c| !c.trim().is_empty());
    let patch = ProductPatch {
        title: Some(form.title),
        description: Some(form.description),
        category,
        status: Some(form.status),
        ..Default::default()
    };
    match products::update(&state.app, &actor, &id, patch).await {
        Ok(_) => Ok(see_other(&format!("/sell/products/{id}?saved=1"))),
        Err(err) => edit_error(&state, actor, &csrf, &id, err, None).await,
    }
}

pub async fn upload_image(
    State(state): State<AppState>,
    user: PageUser,
    csrf: CsrfToken,
    Path(id): Path<String>,
    multipart: axum::extract::Multipart,
) -> PageResult {
    let actor = user.require(&format!("/sell/products/{id}"))?;
    let result = match crate::multipart::read(multipart, agora_app::images::MAX_IMAGE_BYTES).await {
        Ok(form) => {
            csrf.check(form.text("csrf").unwrap_or_default())?;
            match form.file {
                Some((_, bytes)) => agora_app::images::upload(&state.app, &actor, &id, bytes)
                    .await
                    .map(|_| ()),
                None => Err(AppError::invalid("file", "choose a picture to upload")),
            }
        }
        Err(err) => Err(err),
    };
    match result {
        Ok(()) => Ok(see_other(&format!("/sell/products/{id}?saved=1"))),
        Err(err) => edit_error(&state, actor, &csrf, &id, err, None).await,
    }
}

pub async fn delete_image(
    State(state): State<AppState>,
    user: PageUser,
    csrf: CsrfToken,
    Path((id, image)): Path<(String, String)>,
    PageForm(form): PageForm<super::auth::CsrfOnly>,
) -> PageResult {
    let actor = user.require(&format!("/sell/products/{id}"))?;
    csrf.check(&form.csrf)?;
    agora_app::images::delete(&state.app, &actor, &id, &image).await?;
    Ok(see_other(&format!("/sell/products/{id}?saved=1")))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct WeightForm {
    csrf: String,
    weight_grams: String,
}

/// Sets the weight of one unit of a variant, for shipping by weight.
pub async fn set_weight(
    State(state): State<AppState>,
    user: PageUser,
    csrf: CsrfToken,
    Path((id, variant)): Path<(String, String)>,
    PageForm(form): PageForm<WeightForm>,
) -> PageResult {
    let actor = user.require(&format!("/sell/products/{id}"))?;
    csrf.check(&form.csrf)?;
    let result = match form.weight_grams.trim().parse::<i64>() {
        Ok(grams) => agora_app::variants::set_weight(&state.app, &actor, &variant, grams)
            .await
            .map(|_| ()),
        Err(_) => Err(AppError::invalid("weight_grams", "must be a whole number of grams")),
    };
    match result {
        Ok(()) => Ok(see_other(&format!("/sell/products/{id}?saved=1"))),
        Err(err) => edit_error(&state, actor, &csrf, &id, err, None).await,
    }
}
