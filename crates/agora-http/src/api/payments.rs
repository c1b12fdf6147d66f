//! Payments, the wallet and the ledger: `/payments/*`, `/wallet*`, `/shops/{id}/balance` and the
//! operator's ledger check.

use agora_app::idempotency::Render;
use agora_app::ledger::{self, Verification};
use agora_app::payments::transfers::{self, Recorded, Resolution};
use agora_app::payments::{self, balances, wallet, PaymentSummary, PaymentView};
use agora_core::money::Money;
use axum::extract::{Path, State};
use axum::response::Response;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::bodies::money::MoneySchema;
use super::bodies::payments::{PaymentBody, PaymentBrief};
use crate::extract::{ApiJson, Auth};
use crate::idempotency::{self, TxKey};
use crate::problem::{ApiResult, Problem};
use crate::AppState;

/// One payment (its payer or an operator; 404 for anyone else).
#[utoipa::path(get, path = "/payments/{id}", tag = "payments", security(("bearer" = [])), params(("id" = String, Path)),
    responses((status = 200, body = PaymentBody), (status = 404, body = Problem)))]
pub async fn get_payment(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<PaymentBody>> {
    let view = payments::get(&state.app, &actor, &id).await?;
    Ok(Json(PaymentBody::new(view, &state.app.settings.bank_details)))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConfirmTransferBody {
    /// The amount that arrived, in the payment's currency.
    #[schema(value_type = MoneySchema)]
    amount: Money,
}

/// A recorded bank transfer.
#[derive(Debug, Serialize, ToSchema)]
pub struct TransferReply {
    /// `settled` (the payment succeeded) or `held_in_suspense` (the amount did not match, or the
    /// payment no longer waited; the money waits for review in the payment's suspense).
    outcome: String,
    payment: PaymentBody,
}

/// Record a bank transfer received for a payment (operators). The exact amount (with anything
/// already in suspense) settles the payment and marks its orders paid; any other amount is held
/// in suspense for review and the payment stays `pending`. Honours `Idempotency-Key` in the same
/// transaction: a retry records the money once.
#[utoipa::path(post, path = "/payments/{id}/confirm-transfer", tag = "payments", security(("bearer" = [])),
    params(("id" = String, Path)), request_body = ConfirmTransferBody,
    responses((status = 200, body = TransferReply), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem, description = "not a bank-transfer payment"),
        (status = 422, body = Problem, description = "zero, negative, too large or in another currency")))]
pub async fn confirm_transfer(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<String>,
    key: TxKey,
    ApiJson(body): ApiJson<ConfirmTransferBody>,
) -> ApiResult<Response> {
    let bank = state.app.settings.bank_details.clone();
    let render: Render<'_, Recorded> = &|r: &Recorded| {
        idempotency::json_ok(&TransferReply {
            outcome: r.outcome.as_str().into(),
            payment: PaymentBody::new(r.payment.clone(), &bank),
        })
    };
    let answer = transfers::confirm(&state.app, &actor, &id, body.amount, key.rendered_by(render)).await?;
    idempotency::respond(answer, render)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResolveSuspenseBody {
    /// `apply`: settle the pending payment from its suspense (which must hold at least its amount;
    /// the rest goes to the payer's wallet). `to_wallet`: give all of it to the payer's wallet.
    action: String,
}

/// Resolve what a payment's suspense holds (operators).
#[utoipa::path(post, path = "/payments/{id}/resolve-suspense", tag = "payments", security(("bearer" = [])),
    params(("id" = String, Path)), request_body = ResolveSuspenseBody,
    responses((status = 200, body = PaymentBody), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem, description = "nothing in suspense, or not enough to apply")))]
pub async fn resolve_suspense(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<String>,
    key: TxKey,
    ApiJson(body): ApiJson<ResolveSuspenseBody>,
) -> ApiResult<Response> {
    let resolution: Resolution = body
        .action
        .parse()
        .map_err(|m: String| agora_app::AppError::invalid("action", m))?;
    let bank = state.app.settings.bank_details.clone();
    let render: Render<'_, PaymentView> = &|v: &PaymentView| idempotency::json_ok(&PaymentBody::new(v.clone(), &bank));
    let answer = transfers::resolve(&state.app, &actor, &id, resolution, key.rendered_by(render)).await?;
    idempotency::respond(answer, render)
}

/// The result of recomputing the ledger.
#[derive(Debug, Serialize, ToSchema)]
pub struct LedgerVerdict {
    /// Every invariant holds.
    balanced: bool,
    /// Ledger accounts checked.
    accounts: i64,
    /// Ledger transactions checked.
    transactions: i64,
    /// Each breach in words, the first found first; empty when balanced.
    problems: Vec<String>,
}

impl From<Verification> for LedgerVerdict {
    fn from(v: Verification) -> Self {
        LedgerVerdict {
            balanced: v.balanced,
            accounts: v.accounts,
            transactions: v.transactions,
            problems: v.problems,
        }
    }
}

/// Recompute every balance from the postings and check every invariant (operators).
#[utoipa::path(get, path = "/admin/ledger/verify", tag = "payments", security(("bearer" = [])),
    responses((status = 200, body = LedgerVerdict), (status = 401, body = Problem), (status = 403, body = Problem)))]
pub async fn verify_ledger(State(state): State<AppState>, Auth(actor): Auth) -> ApiResult<Json<LedgerVerdict>> {
    Ok(Json(ledger::verify_as(&state.app, &actor).await?.into()))
}

/// One currency of a wallet.
#[derive(Debug, Serialize, ToSchema)]
pub struct WalletBalanceBody {
    currency: String,
    /// What may be spent now.
    #[schema(value_type = MoneySchema)]
    available: Money,
    /// Set aside for something not settled yet.
    #[schema(value_type = MoneySchema)]
    held: Money,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct WalletBody {
    /// One line per currency the wallet ever held; empty for a wallet never used.
    balances: Vec<WalletBalanceBody>,
}

/// Your wallet's balances.
#[utoipa::path(get, path = "/wallet", tag = "payments", security(("bearer" = [])),
    responses((status = 200, body = WalletBody), (status = 401, body = Problem)))]
pub async fn get_wallet(State(state): State<AppState>, Auth(actor): Auth) -> ApiResult<Json<WalletBody>> {
    let balances = wallet::balances(&state.app, &actor).await?;
    Ok(Json(WalletBody {
        balances: balances
            .into_iter()
            .map(|b| WalletBalanceBody {
                currency: b.currency.code().into(),
                available: b.available,
                held: b.held,
            })
            .collect(),
    }))
}

/// One movement of a wallet.
#[derive(Debug, Serialize, ToSchema)]
pub struct WalletEntryBody {
    /// What it was, in words: `Top-up`, `Payment for orders`, `Refund of a cancelled order`, …
    description: String,
    /// Positive into the wallet, negative out of it.
    #[schema(value_type = MoneySchema)]
    amount: Money,
    /// The payment or order it was about.
    reference: String,
    at: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct WalletHistoryBody {
    /// Newest first (the latest 100).
    items: Vec<WalletEntryBody>,
}

/// What moved in and out of your wallet, newest first.
#[utoipa::path(get, path = "/wallet/history", tag = "payments", security(("bearer" = [])),
    responses((status = 200, body = WalletHistoryBody), (status = 401, body = Problem)))]
pub async fn wallet_history(State(state): State<AppState>, Auth(actor): Auth) -> ApiResult<Json<WalletHistoryBody>> {
    let entries = wallet::history(&state.app, &actor, 100).await?;
    Ok(Json(WalletHistoryBody {
        items: entries
            .into_iter()
            .map(|e| WalletEntryBody {
                description: e.description,
                amount: e.amount,
                reference: e.reference,
                at: e.at,
            })
            .collect(),
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TopUpBody {
    /// More than zero, at most 1,000,000.00.
    #[schema(value_type = MoneySchema)]
    amount: Money,
    /// `card` or `bank_transfer`.
    method: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TopUpReply {
    /// Pending until the gateway reports the card payment or an operator confirms the transfer.
    payment: PaymentBrief,
}

/// Top up your wallet by card (pay at `redirect_url`) or bank transfer (send the money with
/// `reference`; `GET /payments/{id}` shows the bank details). Honours `Idempotency-Key` in the same
/// transaction.
#[utoipa::path(post, path = "/wallet/top-ups", tag = "payments", security(("bearer" = [])), request_body = TopUpBody,
    responses((status = 201, body = TopUpReply), (status = 401, body = Problem),
        (status = 422, body = Problem, description = "zero, negative or too large an amount, or another method")))]
pub async fn top_up(
    State(state): State<AppState>,
    Auth(actor): Auth,
    key: TxKey,
    ApiJson(body): ApiJson<TopUpBody>,
) -> ApiResult<Response> {
    let render: Render<'_, PaymentSummary> = &|p: &PaymentSummary| {
        idempotency::json_created(&TopUpReply {
            payment: p.clone().into(),
        })
    };
    let answer = wallet::start_top_up(&state.app, &actor, body.amount, &body.method, key.rendered_by(render)).await?;
    idempotency::respond(answer, render)
}

/// One currency of a shop's balances.
#[derive(Debug, Serialize, ToSchema)]
pub struct ShopBalanceBody {
    currency: String,
    /// Held in escrow for the shop's open orders (and not yet released).
    #[schema(value_type = MoneySchema)]
    pending: Money,
    /// Released to the shop, less the platform's fee.
    #[schema(value_type = MoneySchema)]
    available: Money,
    /// Commission the shop owes on cash-on-delivery orders it collected; its next payout nets it.
    #[schema(value_type = MoneySchema)]
    owed: Money,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ShopBalancesBody {
    balances: Vec<ShopBalanceBody>,
}

/// A shop's balances (those who run the shop, by their current role; 404 for anyone else).
#[utoipa::path(get, path = "/shops/{id}/balance", tag = "payments", security(("bearer" = [])), params(("id" = String, Path)),
    responses((status = 200, body = ShopBalancesBody), (status = 404, body = Problem)))]
pub async fn shop_balance(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<ShopBalancesBody>> {
    let balances = balances::shop_balance(&state.app, &actor, &id).await?;
    Ok(Json(ShopBalancesBody {
        balances: balances
            .into_iter()
            .map(|b| ShopBalanceBody {
                currency: b.currency.code().into(),
                pending: b.pending,
                available: b.available,
                owed: b.owed,
            })
            .collect(),
    }))
}
