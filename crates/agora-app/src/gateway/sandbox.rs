//! The built-in sandbox gateway. It behaves like an outside provider served by the same binary
//! under `/sandbox-gateway/`: it keeps its own books (`sandbox_sessions`, `sandbox_refunds`),
//! shows a hosted page where a *test* card is entered and the payment approved or declined, and
//! calls Agora back with a signed callback delivered by a `gateway_callback` job (retried, on any
//! node, across restarts). Card numbers reach only its page handler, which keeps the brand and the
//! last four digits and forgets the rest.

use agora_core::gateway::{self as rules, CardSummary};
use agora_core::jobs::JobKind;
use agora_core::money::Money;
pub use agora_store::gateway::SandboxSession;
use agora_store::gateway::{self as store, SandboxRefund, SessionDecision};
use agora_store::{new_id, now_ms};
use serde::{Deserialize, Serialize};

use super::{
    CallbackError, CallbackEvent, GatewayFuture, HostedSession, PaymentGateway, RefundReceipt, RefundRequest,
    SessionRequest,
};
use crate::payments::Outcome;
use crate::stored::currency;
use crate::{jobs, App, AppError, AppResult, ConflictKind};

/// The path prefix of the sandbox's pages.
pub const PREFIX: &str = "/sandbox-gateway";
/// The provider name stored on payments it handles.
pub const NAME: &str = "sandbox";

/// The sandbox gateway.
#[derive(Debug, Clone, Copy, Default)]
pub struct Sandbox;

/// The body of a sandbox callback.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CallbackBody {
    pub id: String,
    /// `payment.succeeded` or `payment.failed`.
    #[serde(rename = "type")]
    pub kind: String,
    pub created: i64,
    pub data: CallbackData,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CallbackData {
    /// The merchant's reference: Agora's payment id.
    pub payment_id: String,
    /// The sandbox's charge (its session id).
    pub charge: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub card: Option<CallbackCard>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure_reason: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CallbackCard {
    pub token: String,
    pub brand: String,
    pub last4: String,
}

/// The payload of a `gateway_callback` job: the body to deliver, exactly as it will be signed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallbackJob {
    pub body: String,
}

impl PaymentGateway for Sandbox {
    fn name(&self) -> &'static str {
        NAME
    }

    fn create_session<'a>(&'a self, app: &'a App, request: SessionRequest<'a>) -> GatewayFuture<'a, HostedSession> {
        Box::pin(async move {
            let now = now_ms();
            let session = SandboxSession {
                id: new_id("sbx_cs"),
                idempotency_key: request.idempotency_key.to_owned(),
                merchant_reference: request.payment_id.to_owned(),
                merchant: request.merchant.to_owned(),
                amount: request.amount.minor,
                currency: request.amount.currency.code().to_owned(),
                return_url: request.return_url.to_owned(),
                status: "open".into(),
                card_token: None,
                card_brand: None,
                last4: None,
                created_at: now,
                updated_at: now,
            };
            let mut conn = app.db.conn().await?;
            let stored = store::open_session(&mut conn, &session).await?;
            Ok(HostedSession {
                redirect_url: format!("{PREFIX}/pay/{}", stored.id),
                provider_session: stored.id,
            })
        })
    }

    fn parse_callback(
        &self,
        secret: &[u8],
        signature: Option<&str>,
        body: &[u8],
        now_secs: i64,
    ) -> Result<CallbackEvent, CallbackError> {
        rules::verify(secret, signature, body, now_secs)?;
        let event: CallbackBody = serde_json::from_slice(body).map_err(|e| CallbackError::Body(e.to_string()))?;
        let outcome = match event.kind.as_str() {
            "payment.succeeded" => {
                let card = event.data.card.as_ref();
                Outcome::Succeeded {
                    provider_ref: event.data.charge.clone(),
                    card_brand: card.map(|c| c.brand.clone()),
                    last4: card.map(|c| c.last4.clone()),
                    card_token: card.map(|c| c.token.clone()),
                }
            }
            "payment.failed" => Outcome::Failed {
                reason: event.data.failure_reason.clone().unwrap_or_else(|| "declined".into()),
            },
            other => return Err(CallbackError::Body(format!("unknown event type {other:?}"))),
        };
        Ok(CallbackEvent {
            event_id: event.id,
            payment_id: event.data.payment_id,
            outcome,
        })
    }

    fn refund<'a>(&'a self, app: &'a App, request: RefundRequest<'a>) -> GatewayFuture<'a, RefundReceipt> {
        Box::pin(async move {
            let mut tx = app.db.begin().await?;
            if let Some(done) = store::sandbox_refund(&mut tx, request.idempotency_key).await? {
                if done.amount != request.amount.minor || done.session_id != request.provider_reference {
                    return Err(AppError::conflict(
                        ConflictKind::InvalidTransition,
                        "this idempotency key was used for another refund",
                    ));
                }
                return Ok(RefundReceipt {
                    provider_reference: done.id,
                });
            }
            let session = store::session(&mut tx, request.provider_reference)
                .await?
                .filter(|s| s.status == "approved")
                .ok_or(AppError::NotFound("charge"))?;
            if session.currency != request.amount.currency.code() || request.amount.minor <= 0 {
                return Err(AppError::invalid(
                    "amount",
                    "must be more than zero, in the charge's currency",
                ));
            }
            let refunded: i64 = store::sandbox_refunds_of(&mut tx, &session.id)
                .await?
                .iter()
                .map(|r| r.amount)
                .sum();
            if refunded + request.amount.minor > session.amount {
                return Err(AppError::conflict(
                    ConflictKind::InvalidTransition,
                    "the refunds would exceed the charge",
                ));
            }
            let refund = store::refund_once(
                &mut tx,
                &SandboxRefund {
                    idempotency_key: request.idempotency_key.to_owned(),
                    id: new_id("sbx_re"),
                    session_id: session.id.clone(),
                    amount: request.amount.minor,
                    currency: session.currency.clone(),
                    created_at: now_ms(),
                },
            )
            .await?;
            tx.commit().await?;
            Ok(RefundReceipt {
                provider_reference: refund.id,
            })
        })
    }
}

/// A hosted page as the card holder sees it.
pub async fn session(app: &App, id: &str) -> AppResult<SandboxSession> {
    let mut conn = app.db.conn().await?;
    store::session(&mut conn, id)
        .await?
        .ok_or(AppError::NotFound("payment page"))
}

/// The amount of a session, for its page.
pub fn amount_of(s: &SandboxSession) -> AppResult<Money> {
    Ok(Money::new(s.amount, currency(&s.currency)?))
}

/// What the card holder did on the hosted page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Paid with a card that passed the page's checks.
    Approve(CardSummary),
    Decline,
}

/// Closes an open session with the holder's decision and, in the same transaction, queues the
/// callback to the merchant. A session decided already stays as it was (409).
pub async fn decide(app: &App, id: &str, decision: Decision) -> AppResult<SandboxSession> {
    let now = now_ms();
    let mut tx = app.db.begin().await?;
    let s = store::session(&mut tx, id)
        .await?
        .ok_or(AppError::NotFound("payment page"))?;
    let token = new_id("sbx_tok");
    let (status, card) = match &decision {
        Decision::Approve(card) => ("approved", Some(card)),
        Decision::Decline => ("declined", None),
    };
    let closed = store::close_session(
        &mut tx,
        id,
        SessionDecision {
            status,
            card_token: card.map(|_| token.as_str()),
            card_brand: card.map(|c| c.brand),
            last4: card.map(|c| c.last4.as_str()),
        },
        now,
    )
    .await?;
    if !closed {
        return Err(AppError::conflict(
            ConflictKind::InvalidTransition,
            "this payment was completed already",
        ));
    }
    let body = CallbackBody {
        id: new_id("sbx_evt"),
        kind: if card.is_some() {
            "payment.succeeded"
        } else {
            "payment.failed"
        }
        .into(),
        created: now / 1000,
        data: CallbackData {
            payment_id: s.merchant_reference.clone(),
            charge: s.id.clone(),
            card: card.map(|c| CallbackCard {
                token: token.clone(),
                brand: c.brand.into(),
                last4: c.last4.clone(),
            }),
            failure_reason: card.is_none().then(|| "declined by the card holder".to_owned()),
        },
    };
    let body = serde_json::to_string(&body).map_err(|e| AppError::Internal(e.into()))?;
    let payload = serde_json::to_value(CallbackJob { body }).map_err(|e| AppError::Internal(e.into()))?;
    jobs::enqueue(&mut tx, JobKind::GatewayCallback, &payload, now, None).await?;
    tx.commit().await?;
    session(app, id).await
}

/// Where the callbacks go on a node.
pub const WEBHOOK_PATH: &str = "/api/v1/webhooks/gateway";

/// Delivers one callback (a `gateway_callback` job): signs the body with a fresh timestamp and
/// posts it to the webhook of the node running the job, over HTTP like an outside provider (or,
/// where no server listens, to the webhook's use case directly). Accepted (2xx), or refused as a
/// replay (delivered before, its answer lost): done. Anything else fails the attempt, and the job
/// runs again later, on whichever node claims it.
pub async fn deliver(app: &App, job: &CallbackJob) -> AppResult<()> {
    let secret = super::secret(app).await?;
    let header = rules::header_value(&secret, now_ms() / 1000, job.body.as_bytes());
    let Some(base) = app.own_address.get() else {
        return match super::webhook::receive(app, Some(&header), job.body.as_bytes()).await? {
            super::webhook::Received::Processed { .. } | super::webhook::Received::Replayed => Ok(()),
        };
    };
    let answer = super::callback_http::post(base, WEBHOOK_PATH, &header, &job.body).await?;
    if (200..300).contains(&answer.status)
        || (answer.status == 400 && answer.body.contains("/problems/webhook-replayed"))
    {
        return Ok(());
    }
    Err(AppError::Internal(anyhow::anyhow!(
        "the webhook answered {}: {}",
        answer.status,
        answer.body.chars().take(300).collect::<String>()
    )))
}
