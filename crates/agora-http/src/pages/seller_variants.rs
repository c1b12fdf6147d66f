//! The variant forms of the seller's edit page: a variant's price, SKU, GTIN and options, taking it
//! off sale and back, its stock count, its volume prices, and adding a variant. Each form posts
//! here and comes back to the edit page, with the problem next to the variant's own fields.

use std::collections::HashMap;

use agora_app::products::{ProductView, VariantView};
use agora_app::stock::{self, StockChange};
use agora_app::AppError;
use agora_core::category::{AttributeDef, AttributeType};
use agora_core::money::{Currency, Money};
use agora_core::variant::VariantPatch;
use agora_core::ValidationErrors;
use axum::extract::{Path, State};
use serde::Deserialize;
use serde_json::{Map, Value};

use super::seller_catalog::{edit_error, typed_variant, VariantFailure};
use super::{see_other, CsrfToken, PageForm, PageResult, PageUser};
use crate::AppState;

/// One of a variant's options as a form field.
pub struct OptionField {
    pub key: String,
    /// The option's name for people ("Colour").
    pub name: String,
    /// `select`, `yesno`, `number` or `text`.
    pub input: &'static str,
    pub choices: Vec<String>,
    pub value: String,
}

/// A variant on the edit page: what its forms show, and their problems after a failed save.
pub struct VariantPanel {
    pub id: String,
    /// Its options, or its SKU.
    pub label: String,
    pub sku: String,
    pub gtin: String,
    /// The price as typed (a decimal in the currency).
    pub price: String,
    pub currency: String,
    pub stock: i64,
    pub low_stock_threshold: i64,
    pub low_stock: bool,
    pub archived: bool,
    /// Volume prices, one `QUANTITY: PRICE` per line.
    pub tiers: String,
    pub options: Vec<OptionField>,
    pub errors: ValidationErrors,
    pub error: Option<String>,
}

impl VariantPanel {
    /// The message for one of this variant's fields.
    pub fn error_for(&self, field: &str) -> Option<&str> {
        self.errors.message_for(field)
    }
}

fn option_name(key: &str) -> String {
    let name = key.replace('_', " ");
    let mut chars = name.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

fn shown(value: Option<&Value>) -> String {
    match value {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Bool(true)) => "yes".into(),
        Some(Value::Bool(false)) => "no".into(),
        Some(Value::Null) | None => String::new(),
        Some(other) => other.to_string(),
    }
}

/// The option fields of a variant: the category's attributes, then any others it carries.
fn option_fields(declared: &[AttributeDef], attributes: &Value) -> Vec<OptionField> {
    let map = attributes.as_object().cloned().unwrap_or_default();
    let mut fields: Vec<OptionField> = declared
        .iter()
        .map(|d| OptionField {
            key: d.key.clone(),
            name: option_name(&d.key),
            input: match d.kind {
                AttributeType::Enum => "select",
                AttributeType::Boolean => "yesno",
                AttributeType::Number => "number",
                AttributeType::Text => "text",
            },
            choices: d.values.clone().unwrap_or_default(),
            value: shown(map.get(&d.key)),
        })
        .collect();
    for (key, v) in &map {
        if !declared.iter().any(|d| &d.key == key) {
            fields.push(OptionField {
                key: key.clone(),
                name: option_name(key),
                input: "text",
                choices: vec![],
                value: shown(Some(v)),
            });
        }
    }
    fields
}

/// The panels of a product's variants.
pub fn panels(product: &ProductView, declared: &[AttributeDef]) -> Vec<VariantPanel> {
    product.variants.iter().map(|v| panel(v, declared)).collect()
}

fn panel(v: &VariantView, declared: &[AttributeDef]) -> VariantPanel {
    let threshold = v.low_stock_threshold.unwrap_or(agora_app::products::LOW_STOCK);
    VariantPanel {
        id: v.id.clone(),
        label: v.label().to_owned(),
        sku: v.sku.clone(),
        gtin: v.gtin.clone().unwrap_or_default(),
        price: v.price.to_decimal().to_string(),
        currency: v.price.currency.code().to_owned(),
        stock: v.stock,
        low_stock_threshold: threshold,
        low_stock: v.low_stock.unwrap_or(v.stock <= threshold),
        archived: v.archived,
        tiers: v
            .price_tiers
            .iter()
            .map(|t| format!("{}: {}\n", t.min_qty, t.unit_price.to_decimal()))
            .collect(),
        options: option_fields(declared, &v.attributes),
        errors: ValidationErrors::new(),
        error: None,
    }
}

impl VariantFailure {
    /// Shows the failure on its variant's panel, with what was typed.
    pub fn apply(self, error: AppError, panels: &mut [VariantPanel]) {
        let Some(p) = panels.iter_mut().find(|p| p.id == self.variant_id) else {
            return;
        };
        for (k, v) in &self.typed {
            match k.as_str() {
                "sku" => p.sku = v.clone(),
                "gtin" => p.gtin = v.clone(),
                "price" => p.price = v.clone(),
                "tiers" => p.tiers = v.clone(),
                other => {
                    if let Some(key) = other.strip_prefix("opt_") {
                        if let Some(f) = p.options.iter_mut().find(|f| f.key == key) {
                            f.value = v.clone();
                        }
                    }
                }
            }
        }
        match error {
            AppError::Invalid(errors) => p.errors = errors,
            other => p.error = Some(other.to_string()),
        }
    }
}

/// Reads the option fields (`opt_KEY`) of a form into attribute values by their declared types.
fn typed_options(
    form: &HashMap<String, String>,
    declared: &[AttributeDef],
    errors: &mut ValidationErrors,
) -> Map<String, Value> {
    let mut out = Map::new();
    for (field, raw) in form {
        let Some(key) = field.strip_prefix("opt_") else {
            continue;
        };
        let raw = raw.trim();
        if raw.is_empty() {
            continue;
        }
        let kind = declared.iter().find(|d| d.key == key).map(|d| d.kind);
        let value = match kind {
            Some(AttributeType::Boolean) => match raw {
                "yes" => Value::Bool(true),
                "no" => Value::Bool(false),
                _ => {
                    errors.add("attributes", format!("{} must be yes or no", option_name(key)));
                    continue;
                }
            },
            Some(AttributeType::Number) => match raw.parse::<i64>() {
                Ok(n) => Value::from(n),
                Err(_) => match raw.parse::<f64>().ok().and_then(serde_json::Number::from_f64) {
                    Some(n) => Value::Number(n),
                    None => {
                        errors.add("attributes", format!("{} must be a number", option_name(key)));
                        continue;
                    }
                },
            },
            _ => Value::String(raw.to_owned()),
        };
        out.insert(key.to_owned(), value);
    }
    out
}

fn failure(variant: &str, form: HashMap<String, String>) -> Option<VariantFailure> {
    Some(VariantFailure {
        variant_id: variant.to_owned(),
        typed: form.into_iter().filter(|(k, _)| k != "csrf").collect(),
    })
}

/// Saves a variant's price, SKU, GTIN and options.
pub async fn update(
    State(state): State<AppState>,
    user: PageUser,
    csrf: CsrfToken,
    Path((id, variant)): Path<(String, String)>,
    PageForm(form): PageForm<HashMap<String, String>>,
) -> PageResult {
    let actor = user.require(&format!("/sell/products/{id}"))?;
    csrf.check(form.get("csrf").map_or("", String::as_str))?;
    let product = agora_app::products::get(&state.app, Some(&actor), &id).await?;
    let Some(current) = product.variants.iter().find(|v| v.id == variant) else {
        return Err(AppError::NotFound("variant").into());
    };
    let declared = agora_app::categories::attributes_of(&state.app, &product.category).await?;
    let mut errors = ValidationErrors::new();
    let text = |k: &str| form.get(k).cloned().unwrap_or_default();
    let price = errors.check("price", Money::parse_major(&text("price"), current.price.currency));
    let attributes = typed_options(&form, &declared, &mut errors);
    let result = if errors.is_empty() {
        let patch = VariantPatch {
            sku: Some(text("sku")),
            gtin: Some(text("gtin")),
            price,
            attributes: Some(attributes),
            archived: None,
        };
        agora_app::variants::update(&state.app, &actor, &variant, patch)
            .await
            .map(|_| ())
    } else {
        Err(AppError::Invalid(errors))
    };
    match result {
        Ok(()) => Ok(see_other(&format!("/sell/products/{id}?saved=1#variant-{variant}"))),
        Err(err) => edit_error(&state, actor, &csrf, &id, err, failure(&variant, form)).await,
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ArchiveForm {
    csrf: String,
    /// `1` takes the variant off sale, `0` puts it back.
    archived: String,
}

/// Takes a variant off sale, or puts it back.
pub async fn archive(
    State(state): State<AppState>,
    user: PageUser,
    csrf: CsrfToken,
    Path((id, variant)): Path<(String, String)>,
    PageForm(form): PageForm<ArchiveForm>,
) -> PageResult {
    let actor = user.require(&format!("/sell/products/{id}"))?;
    csrf.check(&form.csrf)?;
    let patch = VariantPatch {
        archived: Some(form.archived == "1"),
        ..Default::default()
    };
    match agora_app::variants::update(&state.app, &actor, &variant, patch).await {
        Ok(_) => Ok(see_other(&format!("/sell/products/{id}?saved=1#variant-{variant}"))),
        Err(err) => edit_error(&state, actor, &csrf, &id, err, failure(&variant, HashMap::new())).await,
    }
}

/// Counts a variant's stock (and its low-stock alert level).
pub async fn set_stock(
    State(state): State<AppState>,
    user: PageUser,
    csrf: CsrfToken,
    Path((id, variant)): Path<(String, String)>,
    PageForm(form): PageForm<HashMap<String, String>>,
) -> PageResult {
    let actor = user.require(&format!("/sell/products/{id}"))?;
    csrf.check(form.get("csrf").map_or("", String::as_str))?;
    let text = |k: &str| form.get(k).map_or("", |v| v.trim());
    let mut errors = ValidationErrors::new();
    let stock = errors.check(
        "stock",
        text("stock")
            .parse::<i64>()
            .map_err(|_| "must be a whole number".to_owned()),
    );
    let threshold = match text("low_stock_threshold") {
        "" => None,
        t => errors.check(
            "low_stock_threshold",
            t.parse::<i64>().map_err(|_| "must be a whole number".to_owned()),
        ),
    };
    let result = match stock {
        Some(n) if errors.is_empty() => {
            let reason = Some(text("reason")).filter(|r| !r.is_empty());
            let change = StockChange {
                stock: n,
                reason,
                low_stock_threshold: threshold,
            };
            stock::set(&state.app, &actor, &variant, change, None).await.map(|_| ())
        }
        _ => Err(AppError::Invalid(errors)),
    };
    match result {
        Ok(()) => Ok(see_other(&format!("/sell/products/{id}?saved=1#variant-{variant}"))),
        Err(err) => edit_error(&state, actor, &csrf, &id, err, failure(&variant, form)).await,
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct TiersForm {
    csrf: String,
    tiers: String,
    currency: String,
}

/// Replaces a variant's volume prices.
pub async fn set_tiers(
    State(state): State<AppState>,
    user: PageUser,
    csrf: CsrfToken,
    Path((id, variant)): Path<(String, String)>,
    PageForm(form): PageForm<TiersForm>,
) -> PageResult {
    let actor = user.require(&format!("/sell/products/{id}"))?;
    csrf.check(&form.csrf)?;
    let currency = Currency::parse(form.currency.trim()).unwrap_or(Currency::EUR);
    let result = match agora_app::variants::parse_tier_lines(&form.tiers, currency) {
        Ok(tiers) => agora_app::variants::set_tiers(&state.app, &actor, &variant, tiers)
            .await
            .map(|_| ()),
        Err(m) => Err(AppError::invalid("price_tiers", m)),
    };
    match result {
        Ok(()) => Ok(see_other(&format!("/sell/products/{id}?saved=1#variant-{variant}"))),
        Err(err) => {
            let typed = HashMap::from([("tiers".to_owned(), form.tiers)]);
            edit_error(&state, actor, &csrf, &id, err, failure(&variant, typed)).await
        }
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct VariantForm {
    csrf: String,
    sku: String,
    gtin: String,
    price: String,
    currency: String,
    stock: String,
}

/// Adds a variant.
pub async fn add(
    State(state): State<AppState>,
    user: PageUser,
    csrf: CsrfToken,
    Path(id): Path<String>,
    PageForm(form): PageForm<VariantForm>,
) -> PageResult {
    let actor = user.require(&format!("/sell/products/{id}"))?;
    csrf.check(&form.csrf)?;
    let mut errors = ValidationErrors::new();
    let variant = typed_variant(
        &mut errors,
        &form.sku,
        &form.gtin,
        &form.price,
        &form.currency,
        &form.stock,
    );
    let result = if errors.is_empty() {
        agora_app::variants::add(&state.app, &actor, &id, variant)
            .await
            .map(|_| ())
    } else {
        Err(AppError::Invalid(errors))
    };
    match result {
        Ok(()) => Ok(see_other(&format!("/sell/products/{id}?saved=1"))),
        Err(err) => edit_error(&state, actor, &csrf, &id, err, None).await,
    }
}
