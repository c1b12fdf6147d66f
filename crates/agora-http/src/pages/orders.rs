//! Checkout and the order pages: the buyer's orders with their timelines, and the seller's orders
//! with the ship action.

use agora_app::cart::{self, Cart, CartOf};
use agora_app::orders::actions::{self, Shipment};
use agora_app::orders::checkout::{self, CheckoutInput};
use agora_app::orders::{self, reorder, OrderView, Role};
use agora_app::AppError;
use agora_core::address::AddressInput;
use agora_core::order::{OrderAction, OrderStatus, Party, RefundKind};
use agora_core::ValidationErrors;
use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use serde::Deserialize;

use super::checkout_choices::{self, Choices};
use super::{render, see_other, CsrfToken, Layout, PageForm, PageResult, PageUser};
use crate::extract::Query;
use crate::AppState;

/// A status as people say it.
pub fn status_words(status: &OrderStatus) -> &'static str {
    match status {
        OrderStatus::AwaitingApproval => "Waiting for approval",
        OrderStatus::PendingPayment => "Waiting for payment",
        OrderStatus::Paid => "Paid",
        OrderStatus::Confirmed => "Confirmed (cash on delivery)",
        OrderStatus::Shipped => "Shipped",
        OrderStatus::Completed => "Completed",
        OrderStatus::Cancelled => "Cancelled",
        OrderStatus::Refunded => "Refunded",
        OrderStatus::PartiallyRefunded => "Partly refunded",
    }
}

/// A timeline event as people say it.
pub fn event_words(event: &str) -> &str {
    match event {
        "placed" => "Order placed",
        "approved" => "Approved",
        "declined" => "Declined",
        "paid" => "Paid",
        "shipped" => "Shipped",
        "receipt_confirmed" => "Receipt confirmed",
        "auto_completed" => "Completed automatically",
        "cash_collected" => "Cash collected",
        "cancelled" => "Cancelled",
        "refunded" => "Refunded",
        "partially_refunded" => "Partly refunded",
        other => other,
    }
}

/// How an order is paid, in words.
pub fn method_words(method: &agora_core::order::PaymentMethod) -> &'static str {
    use agora_core::order::PaymentMethod as M;
    match method {
        M::Card => "Card",
        M::Wallet => "Agora wallet",
        M::BankTransfer => "Bank transfer",
        M::Cod => "Cash on delivery",
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct CheckoutForm {
    csrf: String,
    name: String,
    line1: String,
    line2: String,
    city: String,
    postal_code: String,
    country: String,
    payment_method: String,
    purchase_order: String,
    coupon: String,
    /// A saved address's id; empty for the new address typed in the form.
    address_id: Option<String>,
    /// `shipping` to see the shipping methods and totals for the address as it is now, without
    /// placing the order (the page's "Show shipping prices" button, and `checkout.js`).
    step: String,
    /// The `shipping_method.{shop id}` choices.
    #[serde(flatten)]
    choices: std::collections::BTreeMap<String, String>,
}

#[derive(Template)]
#[template(path = "checkout.html")]
struct CheckoutPage {
    layout: Layout,
    cart: Cart,
    /// The buyer's wallet balances, shown with the wallet choice.
    wallet: Vec<agora_app::payments::wallet::WalletBalance>,
    form: CheckoutForm,
    errors: ValidationErrors,
    error: Option<String>,
    choices: Choices,
}

pub async fn checkout_form(State(state): State<AppState>, user: PageUser, csrf: CsrfToken) -> PageResult {
    let actor = user.require("/checkout")?;
    let cart = cart::view(&state.app, CartOf::Buyer(&actor)).await?;
    if cart.lines.is_empty() {
        return Ok(see_other("/cart"));
    }
    let form = CheckoutForm {
        name: actor.name.clone(),
        payment_method: "card".into(),
        ..Default::default()
    };
    let choices = checkout_choices::load(&state, &actor, None, "", &[]).await?;
    let wallet = agora_app::payments::wallet::balances(&state.app, &actor).await?;
    let layout = Layout::new(&state, Some(actor), &csrf, "Checkout").await;
    Ok(render(&CheckoutPage {
        layout,
        cart,
        wallet,
        form,
        errors: ValidationErrors::new(),
        error: None,
        choices,
    }))
}

pub async fn checkout(
    State(state): State<AppState>,
    user: PageUser,
    csrf: CsrfToken,
    PageForm(form): PageForm<CheckoutForm>,
) -> PageResult {
    csrf.check(&form.csrf)?;
    let actor = user.require("/checkout")?;
    let methods = checkout_choices::chosen_methods(&form.choices);
    if form.step == "shipping" {
        let form = CheckoutForm {
            step: String::new(),
            ..form
        };
        let page = checkout_again(&state, actor, &csrf, form, &methods, ValidationErrors::new(), None).await?;
        return Ok(render(&page));
    }
    let input = CheckoutInput {
        address_id: form.address_id.as_deref().filter(|id| !id.is_empty()),
        shipping_methods: &methods,
        shipping_address: AddressInput {
            name: &form.name,
            line1: &form.line1,
            line2: Some(form.line2.as_str()),
            city: &form.city,
            postal_code: &form.postal_code,
            region: None,
            country: &form.country,
            phone: None,
        },
        payment_method: &form.payment_method,
        purchase_order: Some(form.purchase_order.as_str()),
        coupon: Some(form.coupon.as_str()),
    };
    let (status, errors, error) = match checkout::checkout(&state.app, &actor, input, None).await {
        Ok(agora_app::idempotency::Answer::Done(placed)) => {
            // A card payment continues on the gateway's page, which returns to `/pay/{id}/return`.
            if let Some(url) = placed.payment.as_ref().and_then(|p| p.redirect_url.as_deref()) {
                return Ok(see_other(url));
            }
            let to = match placed.orders.as_slice() {
                [one] => format!("/orders/{}?placed=1", one.id),
                _ => "/orders?placed=1".to_owned(),
            };
            return Ok(see_other(&to));
        }
        Ok(agora_app::idempotency::Answer::Replayed(_)) => return Ok(see_other("/orders")),
        Err(AppError::Invalid(errors)) => (StatusCode::UNPROCESSABLE_ENTITY, errors, None),
        Err(err @ AppError::Conflict { .. }) => (StatusCode::CONFLICT, ValidationErrors::new(), Some(message_of(&err))),
        Err(err) => return Err(err.into()),
    };
    let error = error.or_else(|| {
        errors
            .message_for("cart")
            .map(|m| format!("Your cart {m}."))
            .or_else(|| {
                errors
                    .0
                    .iter()
                    .find(|e| e.field.starts_with("lines["))
                    .map(|e| format!("{}.", e.message))
            })
    });
    let page = checkout_again(&state, actor, &csrf, form, &methods, errors, error).await?;
    Ok((status, render(&page)).into_response())
}

/// The checkout page again with what the buyer sent: after a refusal, or to show the shipping
/// methods and totals for the address as it is now.
async fn checkout_again(
    state: &AppState,
    actor: agora_app::Actor,
    csrf: &CsrfToken,
    form: CheckoutForm,
    methods: &[(String, String)],
    errors: ValidationErrors,
    error: Option<String>,
) -> Result<CheckoutPage, super::PageError> {
    let cart = cart::view(&state.app, CartOf::Buyer(&actor)).await?;
    let choices = checkout_choices::load(state, &actor, form.address_id.as_deref(), &form.country, methods).await?;
    let wallet = agora_app::payments::wallet::balances(&state.app, &actor).await?;
    let layout = Layout::new(state, Some(actor), csrf, "Checkout").await;
    Ok(CheckoutPage {
        layout,
        cart,
        wallet,
        form,
        errors,
        error,
        choices,
    })
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ListQuery {
    status: String,
    cursor: Option<String>,
    placed: Option<String>,
}

#[derive(Template)]
#[template(path = "orders.html")]
struct OrdersPage {
    layout: Layout,
    orders: Vec<OrderView>,
    next_cursor: Option<String>,
    seller: bool,
    /// The company's orders (`/account/company/orders`).
    company: bool,
    status: String,
    statuses: Vec<(&'static str, &'static str)>,
}

async fn list_page(state: &AppState, user: PageUser, csrf: &CsrfToken, q: ListQuery, role: Role) -> PageResult {
    let back_to = match role {
        Role::Seller => "/sell/orders",
        Role::Company => "/account/company/orders",
        Role::Buyer => "/orders",
    };
    let actor = user.require(back_to)?;
    let page = orders::list(
        &state.app,
        &actor,
        role,
        Some(q.status.as_str()),
        q.cursor.as_deref(),
        20,
    )
    .await?;
    let title = match role {
        Role::Seller => "Orders to fulfil",
        Role::Company => "Your company's orders",
        Role::Buyer => "Your orders",
    };
    let notice = q.placed.map(|_| "Thank you: your orders were placed.".to_owned());
    let layout = Layout::new(state, Some(actor), csrf, title).await.with_notice(notice);
    let statuses = OrderStatus::ALL.iter().map(|s| (s.as_str(), status_words(s))).collect();
    Ok(render(&OrdersPage {
        layout,
        orders: page.items,
        next_cursor: page.next_cursor,
        seller: role == Role::Seller,
        company: role == Role::Company,
        status: q.status,
        statuses,
    }))
}

pub async fn buyer_list(
    State(state): State<AppState>,
    user: PageUser,
    csrf: CsrfToken,
    Query(q): Query<ListQuery>,
) -> PageResult {
    list_page(&state, user, &csrf, q, Role::Buyer).await
}

pub async fn seller_list(
    State(state): State<AppState>,
    user: PageUser,
    csrf: CsrfToken,
    Query(q): Query<ListQuery>,
) -> PageResult {
    list_page(&state, user, &csrf, q, Role::Seller).await
}

/// The orders placed for the actor's company: all of them for its admins, their own for the
/// other members.
pub async fn company_list(
    State(state): State<AppState>,
    user: PageUser,
    csrf: CsrfToken,
    Query(q): Query<ListQuery>,
) -> PageResult {
    list_page(&state, user, &csrf, q, Role::Company).await
}

#[derive(Template)]
#[template(path = "order.html")]
pub(super) struct OrderPage {
    layout: Layout,
    order: OrderView,
    may_ship: bool,
    may_confirm: bool,
    may_cancel: bool,
    may_approve: bool,
    may_decline: bool,
    /// Shop staff of a shipped cash-on-delivery order record the cash collected.
    may_collect_cash: bool,
    /// Shop staff and operators refund (part of) what was paid.
    may_refund: bool,
    /// Only the buyer orders again.
    may_reorder: bool,
    /// Just ordered again: the page links to the cart.
    reordered: bool,
    error: Option<String>,
    /// The checkout's payment (none for cash on delivery).
    payment: Option<agora_app::payments::PaymentView>,
    /// Where bank transfers go.
    bank: agora_app::BankDetails,
    /// The viewer paid (or pays) for it: the buyer or their company's admin.
    payer: bool,
    /// The buyer's rating of the shop for this order, once given.
    rating: Option<agora_app::shop_ratings::RatingView>,
    /// The viewer may rate the shop now (the buyer of a completed, unrated order).
    may_rate: bool,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct DetailQuery {
    placed: Option<String>,
    rated: Option<String>,
}

pub(super) async fn detail_page(
    state: &AppState,
    actor: agora_app::Actor,
    csrf: &CsrfToken,
    id: &str,
    notice: Option<String>,
    error: Option<String>,
) -> Result<OrderPage, super::PageError> {
    let order = orders::get(&state.app, &actor, id).await?;
    // The order is the viewer's to see (checked above); so is how it is paid.
    let payment = agora_app::payments::for_group(&state.app, &order.group_id).await?;
    let rating = agora_app::shop_ratings::of_order(&state.app, &actor, id).await?;
    let may_rate = agora_app::shop_ratings::may_rate_now(&state.app, &actor, id).await?;
    let layout = Layout::new(state, Some(actor), csrf, format!("Order {}", order.id))
        .await
        .with_notice(notice);
    Ok(OrderPage {
        may_ship: actions::may(&order, OrderAction::Ship),
        may_confirm: actions::may(&order, OrderAction::ConfirmReceipt),
        may_cancel: actions::may(&order, OrderAction::Cancel),
        may_approve: actions::may(&order, OrderAction::Approve),
        may_decline: actions::may(&order, OrderAction::Decline),
        may_collect_cash: actions::may(&order, OrderAction::CollectCash),
        may_refund: actions::may(&order, OrderAction::Refund(RefundKind::Full))
            || actions::may(&order, OrderAction::Refund(RefundKind::Partial)),
        may_reorder: order.viewer == Party::Buyer,
        reordered: false,
        payer: matches!(order.viewer, Party::Buyer | Party::CompanyAdmin),
        payment,
        rating,
        may_rate,
        bank: state.app.settings.bank_details.clone(),
        layout,
        order,
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
    let actor = user.require(&format!("/orders/{id}"))?;
    let notice = match (q.placed, q.rated) {
        (Some(_), _) => Some("Thank you: your order was placed.".to_owned()),
        (_, Some(_)) => Some("Thank you for rating the shop.".to_owned()),
        _ => None,
    };
    Ok(render(&detail_page(&state, actor, &csrf, &id, notice, None).await?))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ActionForm {
    csrf: String,
    carrier: String,
    tracking_number: String,
    reason: String,
    /// A refund's amount in the order's currency (`12.50`).
    amount: String,
    /// A refund's "the goods came back" box.
    restock: Option<String>,
}

/// A refund from the order page's form: the amount in the order's currency.
async fn refund(
    state: &AppState,
    actor: &agora_app::Actor,
    id: &str,
    form: &ActionForm,
) -> Result<OrderView, AppError> {
    let order = orders::get(&state.app, actor, id).await?;
    let amount = agora_core::money::Money::parse_major(form.amount.trim(), order.total.currency)
        .map_err(|m| AppError::invalid("amount", m))?;
    let req = agora_app::refunds::RefundRequest {
        amount,
        reason: &form.reason,
        restock: form.restock.is_some(),
    };
    agora_app::refunds::refund(&state.app, actor, id, req, None)
        .await?
        .ran()?;
    orders::get(&state.app, actor, id).await
}

async fn act(
    state: AppState,
    user: PageUser,
    csrf: CsrfToken,
    id: String,
    form: ActionForm,
    action: OrderAction,
) -> PageResult {
    csrf.check(&form.csrf)?;
    let actor = user.require(&format!("/orders/{id}"))?;
    let result = match action {
        OrderAction::Ship => {
            let shipment = Shipment {
                carrier: &form.carrier,
                tracking_number: &form.tracking_number,
            };
            actions::ship(&state.app, &actor, &id, shipment).await
        }
        OrderAction::ConfirmReceipt => actions::confirm_receipt(&state.app, &actor, &id).await,
        OrderAction::Approve => actions::approve(&state.app, &actor, &id).await,
        OrderAction::Decline => actions::decline(&state.app, &actor, &id, Some(form.reason.as_str())).await,
        OrderAction::CollectCash => agora_app::cod::collect_cash(&state.app, &actor, &id, None)
            .await
            .and_then(|a| a.ran()),
        OrderAction::Refund(_) => refund(&state, &actor, &id, &form).await,
        _ => actions::cancel(&state.app, &actor, &id, Some(form.reason.as_str())).await,
    };
    match result {
        Ok(_) => Ok(see_other(&format!("/orders/{id}"))),
        Err(err @ (AppError::Invalid(_) | AppError::Conflict { .. } | AppError::Forbidden(_))) => {
            let status = crate::problem::problem_of(&err).status();
            let message = message_of(&err);
            let page = detail_page(
                &state,
                actor,
                &csrf,
                &id,
                None,
                Some(format!("That did not work. {message}")),
            )
            .await?;
            Ok((status, render(&page)).into_response())
        }
        Err(err) => Err(err.into()),
    }
}

/// A refusal as the page says it (one place: `words::message`).
pub(super) fn message_of(err: &AppError) -> String {
    crate::words::message(err)
}

/// The order page's action buttons: `ship`, `confirm-receipt`, `cancel`, `approve`, `decline`,
/// `collect-cash`, `refund`.
pub async fn action(
    State(state): State<AppState>,
    user: PageUser,
    csrf: CsrfToken,
    Path((id, action)): Path<(String, String)>,
    PageForm(form): PageForm<ActionForm>,
) -> PageResult {
    let action = match action.as_str() {
        "ship" => OrderAction::Ship,
        "confirm-receipt" => OrderAction::ConfirmReceipt,
        "cancel" => OrderAction::Cancel,
        "approve" => OrderAction::Approve,
        "decline" => OrderAction::Decline,
        "collect-cash" => OrderAction::CollectCash,
        "refund" => OrderAction::Refund(RefundKind::Partial),
        _ => return Err(AppError::NotFound("page").into()),
    };
    act(state, user, csrf, id, form, action).await
}

/// "Order again": the order's lines go into the cart; the order page says what was added and
/// which lines were skipped, with a link to the cart.
pub async fn reorder(
    State(state): State<AppState>,
    user: PageUser,
    csrf: CsrfToken,
    Path(id): Path<String>,
    PageForm(form): PageForm<ActionForm>,
) -> PageResult {
    csrf.check(&form.csrf)?;
    let actor = user.require(&format!("/orders/{id}"))?;
    let done = match reorder::reorder(&state.app, &actor, &id).await {
        Ok(done) => done,
        Err(err @ AppError::Forbidden(_)) => {
            let status = crate::problem::problem_of(&err).status();
            let message = format!("That did not work. {}", message_of(&err));
            let page = detail_page(&state, actor, &csrf, &id, None, Some(message)).await?;
            return Ok((status, render(&page)).into_response());
        }
        Err(err) => return Err(err.into()),
    };
    let notice = if done.skipped.is_empty() {
        "The order's items are in your cart again, at today's prices.".to_owned()
    } else {
        let skipped: Vec<String> = done
            .skipped
            .iter()
            .map(|s| format!("{} ({}): {}", s.title, s.sku, s.reason))
            .collect();
        format!(
            "The order's items are in your cart again, at today's prices, except: {}.",
            skipped.join("; ")
        )
    };
    let mut page = detail_page(&state, actor, &csrf, &id, Some(notice), None).await?;
    page.reordered = true;
    Ok(render(&page))
}
