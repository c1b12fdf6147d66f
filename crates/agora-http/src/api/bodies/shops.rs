//! Shops, their qualification documents and the review queue as the API shows them, and a
//! variant's stock movements.

use agora_app::shops as app;
use agora_app::stock;
use serde::Serialize;
use utoipa::ToSchema;

use super::each;

/// A shop as its staff and the operators see it; the public sees the same for approved shops.
#[derive(Debug, Serialize, ToSchema)]
pub struct ShopView {
    pub id: String,
    pub slug: String,
    pub name: String,
    pub legal_name: String,
    pub registration_number: Option<String>,
    /// `pending`, `info_requested`, `approved` or `rejected`.
    pub status: String,
    /// The operator's reason for a rejection or question for more information.
    pub decision_note: Option<String>,
    pub categories: Vec<String>,
    /// The company the shop belongs to, if it was opened on a company's behalf.
    pub company_id: Option<String>,
    /// Average buyer rating in stars (1 to 5), once there are ratings.
    pub rating: Option<f32>,
    /// How many ratings the average is of.
    pub rating_count: i64,
    pub qualifications: Vec<QualificationView>,
    pub created_at: String,
    /// `tax_inclusive`: prices and shipping rates contain tax (subtotal + shipping - discount =
    /// total); `tax_exclusive`: tax is added (subtotal + shipping + tax - discount = total).
    pub price_mode: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct QualificationView {
    pub id: String,
    pub kind: String,
    /// `pending`, `approved` or `rejected`.
    pub status: String,
    /// `YYYY-MM-DD`, inclusive.
    pub expires_on: Option<String>,
    pub filename: String,
    pub content_type: String,
    pub size_bytes: i64,
    pub uploaded_at: String,
}

/// A page of the review queue.
#[derive(Debug, Serialize, ToSchema)]
pub struct ShopPage {
    pub items: Vec<ShopView>,
    pub next_cursor: Option<String>,
}

/// A stock movement as the seller sees it.
#[derive(Debug, Serialize, ToSchema)]
pub struct MovementView {
    /// `received`, `sold`, `returned` or `adjusted`.
    pub kind: String,
    pub delta: i64,
    pub stock_after: i64,
    /// The account that moved it.
    pub actor: Option<String>,
    pub reason: String,
    pub at: String,
}

impl From<app::ShopView> for ShopView {
    fn from(s: app::ShopView) -> Self {
        Self {
            id: s.id,
            slug: s.slug,
            name: s.name,
            legal_name: s.legal_name,
            registration_number: s.registration_number,
            status: s.status.as_str().to_owned(),
            decision_note: s.decision_note,
            categories: s.categories,
            company_id: s.company_id,
            rating: s.rating,
            rating_count: s.rating_count,
            qualifications: each(s.qualifications),
            created_at: s.created_at,
            price_mode: s.price_mode.as_str().to_owned(),
        }
    }
}

impl From<app::QualificationView> for QualificationView {
    fn from(q: app::QualificationView) -> Self {
        Self {
            id: q.id,
            kind: q.kind,
            status: q.status,
            expires_on: q.expires_on,
            filename: q.filename,
            content_type: q.content_type,
            size_bytes: q.size_bytes,
            uploaded_at: q.uploaded_at,
        }
    }
}

impl From<app::ShopPage> for ShopPage {
    fn from(p: app::ShopPage) -> Self {
        Self {
            items: each(p.items),
            next_cursor: p.next_cursor,
        }
    }
}

impl From<stock::MovementView> for MovementView {
    fn from(m: stock::MovementView) -> Self {
        Self {
            kind: m.kind.as_str().to_owned(),
            delta: m.delta,
            stock_after: m.stock_after,
            actor: m.actor,
            reason: m.reason,
            at: m.at,
        }
    }
}
