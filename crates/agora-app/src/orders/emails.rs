//! The emails an order's buyer gets: when it is placed and whenever it moves. Each is a
//! `send_email` job added with the change (see [`super::follow_ups`]); the job renders the
//! message from the order as it stands and hands it to the [`crate::mail::Mailer`]. A failed
//! delivery fails the job, which the jobs table retries with a growing pause.

use agora_core::order::Party;
use agora_store::accounts as account_store;
use agora_store::orders as store;
use lettre::message::header::ContentType;
use lettre::Message;

use super::follow_ups::EmailJob;
use super::{view_of, OrderView};
use crate::job_runner::Job;
use crate::mail::mailbox;
use crate::{App, AppError, AppResult};

/// The subject line's news for a timeline event.
fn headline(event: &str) -> &'static str {
    match event {
        "placed" => "has been placed",
        "approved" => "has been approved",
        "declined" => "has been declined",
        "paid" => "is paid",
        "shipped" => "has shipped",
        "receipt_confirmed" | "auto_completed" | "cash_collected" => "is complete",
        "cancelled" => "has been cancelled",
        "refunded" => "has been refunded",
        "partially_refunded" => "has been partly refunded",
        _ => "has changed",
    }
}

/// The subject and plain-text body of the email about `event` on `order`.
pub fn render(order: &OrderView, event: &str) -> (String, String) {
    let subject = format!("Your order {} {}", order.id, headline(event));
    let mut body = format!(
        "Your order {} with {} {}.\nStatus: {}\n",
        order.id,
        order.shop_name,
        headline(event),
        order.status
    );
    if let Some(po) = &order.purchase_order {
        body.push_str(&format!("Purchase order: {po}\n"));
    }
    if let (Some(carrier), Some(tracking)) = (&order.carrier, &order.tracking_number) {
        body.push_str(&format!("Shipped with {carrier}, tracking number {tracking}\n"));
    }
    body.push('\n');
    for l in &order.lines {
        let label = if l.variant_label.is_empty() {
            String::new()
        } else {
            format!(" ({})", l.variant_label)
        };
        body.push_str(&format!(
            "{} x {}{label} [{}] at {}: {}\n",
            l.quantity, l.title, l.sku, l.unit_price, l.line_total
        ));
    }
    body.push_str(&format!("\nSubtotal: {}\n", order.subtotal));
    if order.discount.minor != 0 {
        body.push_str(&format!("Discount: -{}\n", order.discount));
    }
    body.push_str(&format!("Shipping: {}\n", order.shipping));
    let tax_note = if order.tax_inclusive { " (included)" } else { "" };
    body.push_str(&format!("Tax{tax_note}: {}\n", order.tax));
    body.push_str(&format!("Total: {}\n", order.total));
    body.push_str(&format!("\nSee your order at /orders/{}\n", order.id));
    (subject, body)
}

/// Runs a `send_email` job. An order gone meanwhile leaves nothing to send.
pub async fn send(app: &App, job: &Job) -> AppResult<()> {
    let email: EmailJob = serde_json::from_str(&job.payload)
        .map_err(|e| AppError::Internal(anyhow::anyhow!("job {} has a bad payload: {e}", job.id)))?;
    let mut conn = app.db.conn().await?;
    let Some(order) = store::by_id(&mut conn, &email.order_id).await? else {
        tracing::warn!(order = %email.order_id, "an email about an order that is gone is dropped");
        return Ok(());
    };
    let buyer = account_store::by_id(&mut conn, &order.buyer_account_id)
        .await?
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("order {} has no buyer", order.id)))?;
    let view = view_of(&mut conn, order, Party::Buyer).await?;
    drop(conn);
    let (subject, body) = render(&view, &email.event);
    let to = mailbox(&format!(
        "{} <{}>",
        buyer.name.replace(['<', '>', '"'], ""),
        buyer.email
    ))
    .or_else(|_| mailbox(&buyer.email))?;
    let message = Message::builder()
        .from(mailbox(&app.settings.mail_from)?)
        .to(to)
        .subject(subject)
        .header(ContentType::TEXT_PLAIN)
        .body(body)
        .map_err(|e| AppError::Internal(anyhow::anyhow!("building the message: {e}")))?;
    app.mailer.deliver(&job.id, message).await
}
