//! The seller centre's shipping page: a shop's shipping methods (flat or by weight band, free from
//! an amount, for some countries), a form to add one, and a button to remove each. The API's
//! `/shops/{id}/shipping-methods` does the same for clients.

use agora_app::shipping_methods::{self, MethodInput, MethodView};
use agora_app::AppError;
use agora_core::money::{Currency, Money};
use agora_core::shipping::{Destinations, ShippingRate, WeightBand};
use agora_core::ValidationErrors;
use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use serde::Deserialize;

use super::auth::CsrfOnly;
use super::{render, see_other, CsrfToken, Layout, PageForm, PageResult, PageUser};
use crate::AppState;

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct MethodForm {
    csrf: String,
    name: String,
    /// `flat` or `by_weight`.
    kind: String,
    currency: String,
    /// The flat price (`4.90`).
    price: String,
    /// One band per line: `1000: 4.90` (up to 1 000 g costs 4.90).
    bands: String,
    free_from: String,
    /// Country codes separated by commas or spaces; blank for everywhere.
    countries: String,
}

/// A method as the list shows it.
pub struct MethodRowView {
    pub id: String,
    pub name: String,
    pub price: String,
    pub free_from: String,
    pub countries: String,
}

impl From<MethodView> for MethodRowView {
    fn from(m: MethodView) -> Self {
        let price = match &m.method.rate {
            ShippingRate::Flat { price } => crate::words::money(price),
            ShippingRate::ByWeight { bands } => bands
                .iter()
                .map(|b| format!("up to {} g: {}", b.up_to_grams, crate::words::money(b.price)))
                .collect::<Vec<_>>()
                .join("; "),
        };
        MethodRowView {
            id: m.id,
            name: m.method.name,
            price,
            free_from: m.method.free_from.map_or_else(|| "—".into(), crate::words::money),
            countries: match m.method.destinations {
                Destinations::Everywhere => "everywhere".into(),
                Destinations::Only(list) => list.iter().map(|c| c.code()).collect::<Vec<_>>().join(", "),
            },
        }
    }
}

#[derive(Template)]
#[template(path = "seller_shipping.html")]
struct ShippingPage {
    layout: Layout,
    shop_id: String,
    methods: Vec<MethodRowView>,
    form: MethodForm,
    errors: ValidationErrors,
}

async fn page(
    state: &AppState,
    actor: agora_app::Actor,
    csrf: &CsrfToken,
    shop_id: &str,
    form: MethodForm,
    errors: ValidationErrors,
) -> Result<ShippingPage, AppError> {
    let methods = shipping_methods::list_for_staff(&state.app, &actor, shop_id).await?;
    let layout = Layout::new(state, Some(actor), csrf, "Shipping").await;
    Ok(ShippingPage {
        layout,
        shop_id: shop_id.to_owned(),
        methods: methods.into_iter().map(Into::into).collect(),
        form,
        errors,
    })
}

pub async fn list(
    State(state): State<AppState>,
    user: PageUser,
    csrf: CsrfToken,
    Path(id): Path<String>,
) -> PageResult {
    let actor = user.require(&format!("/sell/shops/{id}/shipping"))?;
    let form = MethodForm {
        kind: "flat".into(),
        currency: "EUR".into(),
        ..Default::default()
    };
    Ok(render(
        &page(&state, actor, &csrf, &id, form, ValidationErrors::new()).await?,
    ))
}

/// Reads the form into a method, naming the form's fields.
fn input_of(form: &MethodForm, errors: &mut ValidationErrors) -> Option<MethodInput> {
    let currency = errors.check("currency", Currency::parse(form.currency.trim()))?;
    let rate = if form.kind == "by_weight" {
        let mut bands = Vec::new();
        for line in form.bands.lines().map(str::trim).filter(|l| !l.is_empty()) {
            let band = line.split_once(':').and_then(|(g, p)| {
                let grams = g.trim().trim_end_matches('g').trim().parse().ok()?;
                let price = Money::parse_major(p.trim(), currency).ok()?;
                Some(WeightBand {
                    up_to_grams: grams,
                    price,
                })
            });
            match band {
                Some(b) => bands.push(b),
                None => {
                    errors.add("bands", format!("“{line}” is not like 1000: 4.90"));
                    return None;
                }
            }
        }
        ShippingRate::ByWeight { bands }
    } else {
        ShippingRate::Flat {
            price: errors.check("price", Money::parse_major(form.price.trim(), currency))?,
        }
    };
    let free_from = match form.free_from.trim() {
        "" => None,
        text => Some(errors.check("free_from", Money::parse_major(text, currency))?),
    };
    let codes: Vec<String> = form
        .countries
        .split([',', ' '])
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .map(str::to_owned)
        .collect();
    Some(MethodInput {
        id: None,
        name: form.name.clone(),
        rate,
        free_from,
        countries: (!codes.is_empty()).then_some(codes),
    })
}

/// The API's field names (`methods[3].rate.bands[0].price`) as this form's.
fn form_field(field: &str) -> String {
    let rest = field.split_once("].").map_or(field, |(_, rest)| rest);
    match rest {
        "rate.price" => "price".into(),
        r if r.starts_with("rate.") => "bands".into(),
        r if r.starts_with("countries") => "countries".into(),
        r => r.to_owned(),
    }
}

pub async fn create(
    State(state): State<AppState>,
    user: PageUser,
    csrf: CsrfToken,
    Path(id): Path<String>,
    PageForm(form): PageForm<MethodForm>,
) -> PageResult {
    let actor = user.require(&format!("/sell/shops/{id}/shipping"))?;
    csrf.check(&form.csrf)?;
    let mut errors = ValidationErrors::new();
    let result = match input_of(&form, &mut errors) {
        Some(input) if errors.is_empty() => shipping_methods::add(&state.app, &actor, &id, input).await,
        _ => Err(AppError::Invalid(errors)),
    };
    match result {
        Ok(_) => Ok(see_other(&format!("/sell/shops/{id}/shipping"))),
        Err(AppError::Invalid(errors)) => {
            let mut named = ValidationErrors::new();
            for e in errors.0 {
                let field = form_field(&e.field);
                if named.message_for(&field).is_none() {
                    named.add(&field, e.message);
                }
            }
            let page = page(&state, actor, &csrf, &id, form, named).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)).into_response())
        }
        Err(err) => Err(err.into()),
    }
}

pub async fn remove(
    State(state): State<AppState>,
    user: PageUser,
    csrf: CsrfToken,
    Path((id, method)): Path<(String, String)>,
    PageForm(form): PageForm<CsrfOnly>,
) -> PageResult {
    let actor = user.require(&format!("/sell/shops/{id}/shipping"))?;
    csrf.check(&form.csrf)?;
    shipping_methods::remove(&state.app, &actor, &id, &method).await?;
    Ok(see_other(&format!("/sell/shops/{id}/shipping")))
}

#[cfg(test)]
mod tests {
    use super::form_field;

    #[test]
    fn api_fields_become_form_fields() {
        assert_eq!(form_field("methods[2].rate.bands[0].price"), "bands");
        assert_eq!(form_field("methods[0].rate.price"), "price");
        assert_eq!(form_field("methods[1].countries[0]"), "countries");
        assert_eq!(form_field("methods[1].name"), "name");
        assert_eq!(form_field("free_from"), "free_from");
    }
}
