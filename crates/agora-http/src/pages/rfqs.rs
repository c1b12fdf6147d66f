//! The RFQ pages: the buyer's request form and list, the sellers' marketplace of open requests,
//! an RFQ with the quote form (sellers) or the sortable comparison of quotes (its buyer), and the
//! readable contract page with its download.

use agora_app::deals::contracts::{self, ContractView};
use agora_app::deals::quotes::{self, QuoteInput, QuoteView};
use agora_app::deals::rfqs::{self, ListRole, Listing, RfqInput, RfqView};
use agora_app::idempotency::Answer;
use agora_app::AppError;
use agora_core::money::Currency;
use agora_core::rfq::QuoteSort;
use agora_core::ValidationErrors;
use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::negotiations::typed_money;
use super::{render, see_other, CsrfToken, Layout, PageForm, PageResult, PageUser};
use crate::extract::Query;
use crate::AppState;

/// A rating in hundredths of a star, as people read it: "4.5 ★".
pub fn stars(hundredths: &i64) -> String {
    format!("{:.1} ★", *hundredths as f64 / 100.0)
}

/// A money value of a contract document (`{"amount", "currency"}`) as people read it.
pub fn money_of(value: &serde_json::Value) -> String {
    let amount = value["amount"].as_i64().unwrap_or(0);
    match value["currency"].as_str().map(Currency::parse) {
        Some(Ok(c)) => crate::words::money(agora_core::money::Money::new(amount, c)),
        _ => amount.to_string(),
    }
}

#[derive(Template)]
#[template(path = "rfqs.html")]
struct ListPage {
    layout: Layout,
    items: Vec<RfqView>,
    seller: bool,
}

async fn list_page(state: &AppState, user: PageUser, csrf: &CsrfToken, role: ListRole) -> PageResult {
    let seller = role == ListRole::Seller;
    let actor = user.require(if seller { "/sell/rfqs" } else { "/rfqs" })?;
    let items = rfqs::list(&state.app, &actor, role, 100).await?;
    let title = if seller {
        "Requests for quotation"
    } else {
        "Your requests for quotation"
    };
    let layout = Layout::new(state, Some(actor), csrf, title).await;
    Ok(render(&ListPage { layout, items, seller }))
}

pub async fn buyer_list(State(state): State<AppState>, user: PageUser, csrf: CsrfToken) -> PageResult {
    list_page(&state, user, &csrf, ListRole::Buyer).await
}

pub async fn marketplace(State(state): State<AppState>, user: PageUser, csrf: CsrfToken) -> PageResult {
    list_page(&state, user, &csrf, ListRole::Seller).await
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct RfqForm {
    csrf: String,
    title: String,
    description: String,
    category: String,
    quantity: String,
    target_price: String,
    hide_target_price: Option<String>,
    /// `YYYY-MM-DD` from a date input (the end of that day, UTC), or RFC 3339.
    deadline: String,
    delivery_country: String,
    invited_shops: String,
}

#[derive(Template)]
#[template(path = "rfq_new.html")]
struct NewPage {
    layout: Layout,
    form: RfqForm,
    errors: ValidationErrors,
    categories: Vec<(String, String)>,
}

async fn new_page(
    state: &AppState,
    actor: agora_app::Actor,
    csrf: &CsrfToken,
    form: RfqForm,
    errors: ValidationErrors,
) -> Result<NewPage, super::PageError> {
    let layout = Layout::new(state, Some(actor), csrf, "Request quotes").await;
    let categories = layout
        .categories
        .iter()
        .map(|c| (c.slug.clone(), c.name.clone()))
        .collect();
    Ok(NewPage {
        layout,
        form,
        errors,
        categories,
    })
}

pub async fn new_form(State(state): State<AppState>, user: PageUser, csrf: CsrfToken) -> PageResult {
    let actor = user.require("/rfqs/new")?;
    Ok(render(
        &new_page(&state, actor, &csrf, RfqForm::default(), ValidationErrors::new()).await?,
    ))
}

fn deadline_of(raw: &str) -> String {
    let raw = raw.trim();
    if raw.len() == 10 && raw.as_bytes()[4] == b'-' {
        format!("{raw}T23:59:59Z")
    } else {
        raw.to_owned()
    }
}

pub async fn create(
    State(state): State<AppState>,
    user: PageUser,
    csrf: CsrfToken,
    PageForm(form): PageForm<RfqForm>,
) -> PageResult {
    csrf.check(&form.csrf)?;
    let actor = user.require("/rfqs/new")?;
    let result = async {
        let quantity: i64 = form
            .quantity
            .trim()
            .parse()
            .map_err(|_| AppError::invalid("quantity", "must be a whole number"))?;
        let target_price = match form.target_price.trim() {
            "" => None,
            raw => Some(typed_money("target_price", raw, Currency::EUR)?),
        };
        let invited: Vec<String> = form
            .invited_shops
            .split([',', ' ', '\n'])
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect();
        let deadline = deadline_of(&form.deadline);
        let input = RfqInput {
            title: &form.title,
            description: &form.description,
            category: &form.category,
            quantity,
            target_price,
            hide_target_price: form.hide_target_price.is_some(),
            deadline: &deadline,
            invited_shops: &invited,
            delivery_country: Some(form.delivery_country.as_str()),
            payment_method: None,
            shipping_address: None,
        };
        rfqs::create(&state.app, &actor, input).await
    }
    .await;
    match result {
        Ok(rfq) => Ok(see_other(&format!("/rfqs/{}?published=1", rfq.id))),
        Err(AppError::Invalid(errors)) => {
            let page = new_page(&state, actor, &csrf, form, errors).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)).into_response())
        }
        Err(err) => Err(err.into()),
    }
}

#[derive(Template)]
#[template(path = "rfq.html")]
struct DetailPage {
    layout: Layout,
    rfq: RfqView,
    quotes: Vec<QuoteView>,
    /// For sellers: the listings a quote may sell.
    listings: Vec<Listing>,
    sort: String,
    error: Option<String>,
    /// A seller may send or revise a quote: the RFQ takes quotes and theirs is not closed.
    may_quote: bool,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct DetailQuery {
    sort: String,
    published: Option<String>,
    quoted: Option<String>,
    withdrawn: Option<String>,
    cancelled: Option<String>,
}

async fn detail_page(
    state: &AppState,
    actor: agora_app::Actor,
    csrf: &CsrfToken,
    id: &str,
    sort: &str,
    notice: Option<String>,
    error: Option<String>,
) -> Result<DetailPage, super::PageError> {
    let rfq = rfqs::get(&state.app, &actor, id).await?;
    let sort_by: QuoteSort = sort.parse().unwrap_or(QuoteSort::LandedPrice);
    let quotes = quotes::list(&state.app, &actor, id, sort_by).await?;
    let listings = if rfq.viewer == "seller" {
        rfqs::listings_for_quote(&state.app, &actor, id).await?
    } else {
        Vec::new()
    };
    let layout = Layout::new(state, Some(actor), csrf, rfq.title.clone())
        .await
        .with_notice(notice);
    let may_quote = rfq.open_for_quotes
        && quotes
            .first()
            .is_none_or(|q| q.status == agora_core::rfq::QuoteStatus::Submitted);
    Ok(DetailPage {
        may_quote,
        layout,
        rfq,
        quotes,
        listings,
        sort: sort_by.as_str().to_owned(),
        error,
    })
}

pub async fn detail(
    State(state): State<AppState>,
    user: PageUser,
    csrf: CsrfToken,
    Path(id): Path<String>,
    Query(q): Query<DetailQuery>,
) -> PageResult {
    let actor = user.require(&format!("/rfqs/{id}"))?;
    let notice = if q.published.is_some() {
        Some("Your request is published.".to_owned())
    } else if q.quoted.is_some() {
        Some("Your quote was sent.".to_owned())
    } else if q.withdrawn.is_some() {
        Some("Your quote is withdrawn.".to_owned())
    } else if q.cancelled.is_some() {
        Some("Your request is cancelled; the shops that quoted were told.".to_owned())
    } else {
        None
    };
    Ok(render(
        &detail_page(&state, actor, &csrf, &id, &q.sort, notice, None).await?,
    ))
}

/// A refusal as the page says it (one place: `words::message`).
fn message_of(err: &AppError) -> String {
    crate::words::message(err)
}

pub(super) async fn failed(
    state: &AppState,
    actor: agora_app::Actor,
    csrf: &CsrfToken,
    id: &str,
    err: AppError,
) -> PageResult {
    let status = crate::problem::problem_of(&err).status();
    let message = format!("That did not work. {}", message_of(&err));
    let page = detail_page(state, actor, csrf, id, "", None, Some(message)).await?;
    Ok((status, render(&page)).into_response())
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct QuoteForm {
    csrf: String,
    variant_id: String,
    unit_price: String,
    quantity: String,
    shipping: String,
    lead_time_days: String,
    /// `YYYY-MM-DD` or RFC 3339.
    valid_until: String,
    note: String,
}

pub async fn submit_quote(
    State(state): State<AppState>,
    user: PageUser,
    csrf: CsrfToken,
    Path(id): Path<String>,
    PageForm(form): PageForm<QuoteForm>,
) -> PageResult {
    csrf.check(&form.csrf)?;
    let actor = user.require(&format!("/rfqs/{id}"))?;
    let result = async {
        let listings = rfqs::listings_for_quote(&state.app, &actor, &id).await?;
        let currency = listings
            .iter()
            .find(|l| l.variant_id == form.variant_id)
            .map(|l| l.price.currency)
            .ok_or_else(|| AppError::invalid("variant_id", "choose one of your listings"))?;
        let number = |field: &str, raw: &str| -> Result<i64, AppError> {
            raw.trim()
                .parse()
                .map_err(|_| AppError::invalid(field, "must be a whole number"))
        };
        let shipping = match form.shipping.trim() {
            "" => None,
            raw => Some(typed_money("shipping", raw, currency)?),
        };
        let valid_until = deadline_of(&form.valid_until);
        let input = QuoteInput {
            variant_id: Some(form.variant_id.as_str()),
            unit_price: typed_money("unit_price", &form.unit_price, currency)?,
            quantity: number("quantity", &form.quantity)?,
            shipping,
            lead_time_days: number("lead_time_days", &form.lead_time_days)?,
            valid_until: &valid_until,
            note: Some(form.note.as_str()),
        };
        quotes::submit(&state.app, &actor, &id, input).await
    }
    .await;
    match result {
        Ok(_) => Ok(see_other(&format!("/rfqs/{id}?quoted=1"))),
        Err(err @ (AppError::Invalid(_) | AppError::Conflict { .. })) => failed(&state, actor, &csrf, &id, err).await,
        Err(err) => Err(err.into()),
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct AcceptForm {
    csrf: String,
    rfq_id: String,
}

pub async fn accept_quote(
    State(state): State<AppState>,
    user: PageUser,
    csrf: CsrfToken,
    Path(quote_id): Path<String>,
    PageForm(form): PageForm<AcceptForm>,
) -> PageResult {
    csrf.check(&form.csrf)?;
    let actor = user.require(&format!("/rfqs/{}", form.rfq_id))?;
    match quotes::accept(&state.app, &actor, &quote_id, None).await {
        Ok(Answer::Done(done)) => Ok(see_other(&format!("/contracts/{}?signed=1", done.contract.id))),
        Ok(Answer::Replayed(_)) => Ok(see_other(&format!("/rfqs/{}", form.rfq_id))),
        Err(err @ AppError::Conflict { .. }) => failed(&state, actor, &csrf, &form.rfq_id, err).await,
        Err(err) => Err(err.into()),
    }
}

#[derive(Template)]
#[template(path = "contract.html")]
struct ContractPage {
    layout: Layout,
    c: ContractView,
    items: Vec<serde_json::Value>,
    valid: bool,
    json: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ContractQuery {
    signed: Option<String>,
}

pub async fn contract(
    State(state): State<AppState>,
    user: PageUser,
    csrf: CsrfToken,
    Path(id): Path<String>,
    Query(q): Query<ContractQuery>,
) -> PageResult {
    let actor = user.require(&format!("/contracts/{id}"))?;
    let c = contracts::get(&state.app, &actor, &id).await?;
    let valid = contracts::verify(&state.app, &actor, &id).await?.is_ok();
    let json = serde_json::to_string_pretty(&c.document).unwrap_or_default();
    let notice = q
        .signed
        .map(|_| "Agreed: the contract is signed and the order is placed.".to_owned());
    let layout = Layout::new(&state, Some(actor), &csrf, format!("Contract {}", c.id))
        .await
        .with_notice(notice);
    let items = c.document["items"].as_array().cloned().unwrap_or_default();
    Ok(render(&ContractPage {
        layout,
        c,
        items,
        valid,
        json,
    }))
}

pub async fn download(
    State(state): State<AppState>,
    user: PageUser,
    Path(id): Path<String>,
) -> Result<Response, super::PageError> {
    let actor = user.require(&format!("/contracts/{id}"))?;
    let c = contracts::get(&state.app, &actor, &id).await?;
    Ok(crate::api::contract_file(&c))
}
