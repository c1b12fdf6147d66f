//! Card payments through a payment gateway. [`PaymentGateway`] is what Agora asks of any provider
//! (a hosted payment page for a payment, a verified callback, a refund with an idempotency key);
//! the built-in [`sandbox`] gateway is the one provider so far, and plays an outside one. Checkout
//! and top-ups never name a provider: they hand out `/pay/{payment_id}`, which [`pay`] turns into
//! the provider's page. The callback ([`webhook`]) settles the payment through
//! `payments::settle`; a cancelled card payment's money goes back through [`refunds`].

mod callback_http;
pub mod pay;
pub mod refunds;
pub mod sandbox;
pub mod webhook;

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use agora_core::gateway::SignatureError;
use agora_core::money::Money;
use agora_store::gateway as store;
use agora_store::now_ms;
use rand::RngCore;

use crate::payments::Outcome;
use crate::{App, AppResult};

/// A future a gateway call returns (the trait is used as `dyn`).
pub type GatewayFuture<'a, T> = Pin<Box<dyn Future<Output = AppResult<T>> + Send + 'a>>;

/// What Agora asks of a hosted payment page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRequest<'a> {
    /// Agora's payment id: the provider's callback names it.
    pub payment_id: &'a str,
    pub amount: Money,
    /// Shown on the provider's page.
    pub merchant: &'a str,
    pub description: &'a str,
    /// Where the provider sends the payer when they are done.
    pub return_url: &'a str,
    /// The same key for every attempt to open a page for this payment: one page per payment.
    pub idempotency_key: &'a str,
}

/// A hosted payment page the payer is sent to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostedSession {
    pub provider_session: String,
    pub redirect_url: String,
}

/// A verified callback: which payment it is about and what became of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallbackEvent {
    /// The provider's id of this event: processed once.
    pub event_id: String,
    /// Agora's payment id.
    pub payment_id: String,
    pub outcome: Outcome,
}

/// Why a callback is refused (each is a 400: the sender must not retry it unchanged).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CallbackError {
    #[error(transparent)]
    Signature(#[from] SignatureError),
    #[error("the callback's body is not understood: {0}")]
    Body(String),
}

/// A refund Agora asks the provider for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefundRequest<'a> {
    /// The provider's reference of the payment (its charge).
    pub provider_reference: &'a str,
    pub amount: Money,
    /// The same on every retry of this refund, so that the provider refunds once.
    pub idempotency_key: &'a str,
}

/// The provider's receipt for a refund.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefundReceipt {
    pub provider_reference: String,
}

/// A card payment provider. A real one is another implementation of this trait chosen in
/// [`current`]; checkout, top-ups and the webhook route stay as they are.
pub trait PaymentGateway: Send + Sync {
    /// The provider's name, stored on each payment it handles.
    fn name(&self) -> &'static str;

    /// Opens (or, for the same idempotency key, finds again) the hosted page for a payment.
    fn create_session<'a>(&'a self, app: &'a App, request: SessionRequest<'a>) -> GatewayFuture<'a, HostedSession>;

    /// Verifies a callback's signature over its raw body and reads it.
    fn parse_callback(
        &self,
        secret: &[u8],
        signature: Option<&str>,
        body: &[u8],
        now_secs: i64,
    ) -> Result<CallbackEvent, CallbackError>;

    /// Refunds (part of) a payment, once per idempotency key.
    fn refund<'a>(&'a self, app: &'a App, request: RefundRequest<'a>) -> GatewayFuture<'a, RefundReceipt>;
}

/// The gateway card payments go through.
pub fn current(_app: &App) -> Arc<dyn PaymentGateway> {
    Arc::new(sandbox::Sandbox)
}

/// The name the webhook secret is kept under in `platform_secrets`.
const SECRET_NAME: &str = "gateway_webhook_secret";

/// The secret callbacks are signed with: the configured one, or the one the first node to start
/// drew at random and stored in the database, so that every node (and the sandbox, whichever node
/// runs its delivery job) signs and checks with the same key and it survives restarts.
pub async fn secret(app: &App) -> AppResult<Vec<u8>> {
    if let Some(configured) = &app.settings.gateway_secret {
        return Ok(configured.as_bytes().to_vec());
    }
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    let candidate = format!("whsec_{}", hex::encode(bytes));
    let mut conn = app.db.conn().await?;
    let stored = store::ensure_secret(&mut conn, SECRET_NAME, &candidate, now_ms()).await?;
    Ok(stored.into_bytes())
}
