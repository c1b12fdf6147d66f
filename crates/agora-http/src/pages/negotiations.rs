//! The negotiation pages: the make-an-offer form on the product page posts here, the negotiation
//! view shows every round with the actions the viewer may take, and each side has its list.

use agora_app::deals::moves::{self, CounterInput};
use agora_app::deals::negotiations::{self, NegotiationView, OfferInput};
use agora_app::deals::offer_settings;
use agora_app::idempotency::Answer;
use agora_app::{Actor, AppError};
use agora_core::money::{Currency, Money};
use agora_core::negotiation::{NegotiationAction, NegotiationStatus, Side};
use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use serde::Deserialize;

use super::{render, see_other, CsrfToken, Layout, PageError, PageForm, PageResult, PageUser};
use crate::AppState;

/// A negotiation's status as people say it.
pub fn status_words(status: &NegotiationStatus) -> &'static str {
    match status {
        NegotiationStatus::Open => "Open",
        NegotiationStatus::Accepted => "Agreed",
        NegotiationStatus::Rejected => "Declined",
        NegotiationStatus::Withdrawn => "Withdrawn",
        NegotiationStatus::Expired => "Expired",
    }
}

/// Who made a round, as the viewer reads it.
pub fn side_words(by: &Side, viewer: &Side) -> &'static str {
    match (by == viewer, by) {
        (true, _) => "You",
        (false, Side::Buyer) => "The buyer",
        (false, Side::Seller) => "The seller",
    }
}

/// An amount typed in a form ("8.50"), in `currency`; the message names the field.
pub(crate) fn typed_money(field: &str, raw: &str, currency: Currency) -> Result<Money, AppError> {
    Money::parse_major(raw.trim(), currency).map_err(|m| AppError::invalid(field, m))
}

/// A refusal as the page says it (one place: `words::message`).
fn message_of(err: &AppError) -> String {
    crate::words::message(err)
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct OfferForm {
    csrf: String,
    variant_id: String,
    quantity: String,
    unit_price: String,
    currency: String,
    message: String,
    delivery_terms: String,
    product_id: String,
}

/// The make-an-offer form's post: a new negotiation, or back to the product page with the reason.
pub async fn create(
    State(state): State<AppState>,
    user: PageUser,
    csrf: CsrfToken,
    PageForm(form): PageForm<OfferForm>,
) -> PageResult {
    csrf.check(&form.csrf)?;
    let back = format!("/p/{}", form.product_id);
    let actor = user.require(&back)?;
    let result = async {
        let currency = Currency::parse(&form.currency).map_err(|m| AppError::invalid("currency", m))?;
        let unit_price = typed_money("unit_price", &form.unit_price, currency)?;
        let quantity: i64 = form
            .quantity
            .trim()
            .parse()
            .map_err(|_| AppError::invalid("quantity", "must be a whole number"))?;
        let input = OfferInput {
            variant_id: &form.variant_id,
            quantity,
            unit_price,
            message: Some(form.message.as_str()),
            delivery_terms: Some(form.delivery_terms.as_str()),
            payment_method: None,
            shipping_address: None,
        };
        negotiations::open(&state.app, &actor, input, None).await
    }
    .await;
    match result {
        Ok(Answer::Done(n)) => Ok(see_other(&format!("/negotiations/{}?sent=1", n.id))),
        Ok(Answer::Replayed(_)) => Ok(see_other("/negotiations")),
        Err(err @ (AppError::Invalid(_) | AppError::Conflict { .. })) => Ok(see_other(&format!(
            "{back}?offer_error={}#make-offer",
            super::urlencode(&message_of(&err))
        ))),
        Err(err) => Err(err.into()),
    }
}

#[derive(Template)]
#[template(path = "negotiation.html")]
struct NegotiationPage {
    layout: Layout,
    n: NegotiationView,
    error: Option<String>,
    /// The amount on the table in a form's notation ("8.50").
    last_price: String,
}

async fn page(
    state: &AppState,
    actor: Actor,
    csrf: &CsrfToken,
    id: &str,
    notice: Option<String>,
    error: Option<String>,
) -> Result<NegotiationPage, PageError> {
    let n = negotiations::get(&state.app, &actor, id).await?;
    let layout = Layout::new(state, Some(actor), csrf, format!("Offer on {}", n.product_title))
        .await
        .with_notice(notice);
    let last = n.last().unit_price;
    let last_price = format!("{}.{:02}", last.minor / 100, last.minor % 100);
    Ok(NegotiationPage {
        layout,
        n,
        error,
        last_price,
    })
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct DetailQuery {
    sent: Option<String>,
    done: Option<String>,
}

pub async fn detail(
    State(state): State<AppState>,
    user: PageUser,
    csrf: CsrfToken,
    Path(id): Path<String>,
    crate::extract::Query(q): crate::extract::Query<DetailQuery>,
) -> PageResult {
    let actor = user.require(&format!("/negotiations/{id}"))?;
    let notice = match (q.sent, q.done.as_deref()) {
        (Some(_), _) => Some("Your offer was sent.".to_owned()),
        (_, Some("counter")) => Some("Your counter-offer was sent.".to_owned()),
        (_, Some("accept")) => Some("Agreed: the contract is signed and the order is placed.".to_owned()),
        (_, Some("reject")) => Some("You declined the offer.".to_owned()),
        (_, Some("withdraw")) => Some("You withdrew your offer.".to_owned()),
        _ => None,
    };
    Ok(render(&page(&state, actor, &csrf, &id, notice, None).await?))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct MoveForm {
    csrf: String,
    unit_price: String,
    quantity: String,
    message: String,
    delivery_terms: String,
}

/// The negotiation view's actions: counter, accept, reject, withdraw.
pub async fn act(
    State(state): State<AppState>,
    user: PageUser,
    csrf: CsrfToken,
    Path((id, action)): Path<(String, String)>,
    PageForm(form): PageForm<MoveForm>,
) -> PageResult {
    csrf.check(&form.csrf)?;
    let actor = user.require(&format!("/negotiations/{id}"))?;
    let result: Result<(), AppError> = match action.as_str() {
        "counter" => {
            let current = negotiations::get(&state.app, &actor, &id).await?;
            let currency = current.last().unit_price.currency;
            match typed_money("unit_price", &form.unit_price, currency) {
                Err(e) => Err(e),
                Ok(unit_price) => {
                    let quantity = match form.quantity.trim() {
                        "" => Ok(None),
                        q => q
                            .parse()
                            .map(Some)
                            .map_err(|_| AppError::invalid("quantity", "must be a whole number")),
                    };
                    match quantity {
                        Err(e) => Err(e),
                        Ok(quantity) => {
                            let input = CounterInput {
                                unit_price,
                                quantity,
                                message: Some(form.message.as_str()),
                                delivery_terms: Some(form.delivery_terms.as_str()),
                            };
                            moves::counter(&state.app, &actor, &id, input).await.map(|_| ())
                        }
                    }
                }
            }
        }
        "accept" => moves::accept(&state.app, &actor, &id, None).await.map(|_| ()),
        "reject" => moves::close(&state.app, &actor, &id, NegotiationAction::Reject)
            .await
            .map(|_| ()),
        "withdraw" => moves::close(&state.app, &actor, &id, NegotiationAction::Withdraw)
            .await
            .map(|_| ()),
        _ => return Err(AppError::NotFound("page").into()),
    };
    match result {
        Ok(()) => Ok(see_other(&format!("/negotiations/{id}?done={action}"))),
        Err(err @ (AppError::Invalid(_) | AppError::Conflict { .. })) => {
            let status = if matches!(err, AppError::Invalid(_)) {
                StatusCode::UNPROCESSABLE_ENTITY
            } else {
                StatusCode::CONFLICT
            };
            let message = format!("That did not work. {}", message_of(&err));
            let p = page(&state, actor, &csrf, &id, None, Some(message)).await?;
            Ok((status, render(&p)).into_response())
        }
        Err(err) => Err(err.into()),
    }
}

#[derive(Template)]
#[template(path = "negotiations.html")]
struct ListPage {
    layout: Layout,
    items: Vec<NegotiationView>,
    seller: bool,
}

async fn list_page(state: &AppState, user: PageUser, csrf: &CsrfToken, side: Side) -> PageResult {
    let back = if side == Side::Seller {
        "/sell/negotiations"
    } else {
        "/negotiations"
    };
    let actor = user.require(back)?;
    let page = negotiations::list(&state.app, &actor, side, None, None, 100).await?;
    let title = if side == Side::Seller {
        "Offers to your shops"
    } else {
        "Your offers"
    };
    let layout = Layout::new(state, Some(actor), csrf, title).await;
    Ok(render(&ListPage {
        layout,
        items: page.items,
        seller: side == Side::Seller,
    }))
}

pub async fn buyer_list(State(state): State<AppState>, user: PageUser, csrf: CsrfToken) -> PageResult {
    list_page(&state, user, &csrf, Side::Buyer).await
}

pub async fn seller_list(State(state): State<AppState>, user: PageUser, csrf: CsrfToken) -> PageResult {
    list_page(&state, user, &csrf, Side::Seller).await
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct SettingsForm {
    csrf: String,
    enabled: Option<String>,
    floor_price: String,
    currency: String,
}

/// The shop's offer settings form on its product page.
pub async fn set_settings(
    State(state): State<AppState>,
    user: PageUser,
    csrf: CsrfToken,
    Path(product_id): Path<String>,
    PageForm(form): PageForm<SettingsForm>,
) -> PageResult {
    csrf.check(&form.csrf)?;
    let back = format!("/p/{product_id}");
    let actor = user.require(&back)?;
    let floor = match form.floor_price.trim() {
        "" => Ok(None),
        raw => Currency::parse(&form.currency)
            .map_err(|m| AppError::invalid("currency", m))
            .and_then(|c| typed_money("floor_price", raw, c))
            .map(Some),
    };
    let result = match floor {
        Ok(floor) => offer_settings::set(&state.app, &actor, &product_id, form.enabled.is_some(), floor)
            .await
            .map(|_| ()),
        Err(e) => Err(e),
    };
    match result {
        Ok(()) => Ok(see_other(&format!("{back}?offers_saved=1#offer-settings"))),
        Err(err @ AppError::Invalid(_)) => Ok(see_other(&format!(
            "{back}?offer_error={}#offer-settings",
            super::urlencode(&message_of(&err))
        ))),
        Err(err) => Err(err.into()),
    }
}
