//! The bodies of negotiations, RFQs, quotes and contracts.

use agora_app::deals::contracts::{AcceptanceView, ContractView};
use agora_app::deals::negotiations::{NegotiationView, RoundView};
use agora_app::deals::offer_settings::OfferSettings;
use agora_app::deals::quotes::QuoteView;
use agora_app::deals::rfqs::RfqView;
use agora_core::money::Money;
use serde::Serialize;
use utoipa::ToSchema;

use super::money::MoneySchema;

/// One offer or counter-offer.
#[derive(Debug, Serialize, ToSchema)]
pub struct RoundBody {
    position: i64,
    /// `buyer` or `seller`.
    by: String,
    #[schema(value_type = MoneySchema)]
    unit_price: Money,
    quantity: i64,
    delivery_terms: Option<String>,
    message: Option<String>,
    at: String,
}

impl From<RoundView> for RoundBody {
    fn from(r: RoundView) -> Self {
        RoundBody {
            position: r.position,
            by: r.by.as_str().into(),
            unit_price: r.unit_price,
            quantity: r.quantity,
            delivery_terms: r.delivery_terms,
            message: r.message,
            at: r.at,
        }
    }
}

/// A negotiation: every round kept, whose turn it is, and how it ended.
#[derive(Debug, Serialize, ToSchema)]
pub struct NegotiationBody {
    id: String,
    /// `open`, `accepted`, `rejected`, `withdrawn` or `expired`.
    status: String,
    /// `buyer` or `seller`: who answers the offer on the table.
    turn: String,
    /// Your side in it: `buyer` or `seller`.
    your_side: String,
    buyer: super::super::orders::BuyerBody,
    shop: super::super::orders::ShopRefBody,
    product_id: String,
    product_title: String,
    variant_id: String,
    sku: String,
    /// The catalog price per unit, for comparison.
    #[schema(value_type = MoneySchema)]
    list_price: Money,
    payment_method: String,
    #[schema(value_type = Option<Object>)]
    shipping_address: Option<serde_json::Value>,
    rounds: Vec<RoundBody>,
    /// When the offer on the table expires if unanswered.
    expires_at: String,
    contract_id: Option<String>,
    order_id: Option<String>,
    created_at: String,
    updated_at: String,
}

impl From<NegotiationView> for NegotiationBody {
    fn from(n: NegotiationView) -> Self {
        NegotiationBody {
            status: n.status.as_str().into(),
            turn: n.turn.as_str().into(),
            your_side: n.viewer.as_str().into(),
            buyer: super::super::orders::BuyerBody::new(n.buyer_account_id),
            shop: super::super::orders::ShopRefBody::new(n.shop_id, n.shop_name),
            product_id: n.product_id,
            product_title: n.product_title,
            variant_id: n.variant_id,
            sku: n.sku,
            list_price: n.list_price,
            payment_method: n.payment_method.as_str().into(),
            shipping_address: n.shipping_address,
            rounds: n.rounds.into_iter().map(Into::into).collect(),
            expires_at: n.expires_at,
            contract_id: n.contract_id,
            order_id: n.order_id,
            created_at: n.created_at,
            updated_at: n.updated_at,
            id: n.id,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AcceptanceBody {
    /// `buyer` or `seller`.
    party: String,
    account_id: String,
    /// The id of the login session or API token the acceptance came with.
    session_id: String,
    at: String,
}

impl From<AcceptanceView> for AcceptanceBody {
    fn from(a: AcceptanceView) -> Self {
        AcceptanceBody {
            party: a.party,
            account_id: a.account_id,
            session_id: a.session_id,
            at: a.at,
        }
    }
}

/// A signed contract. `sha256` is the SHA-256 of the document's canonical JSON (keys sorted by
/// their UTF-8 bytes, no whitespace, integers only), `platform_signature` the platform's Ed25519
/// signature of those same bytes (hex), checkable with the key at `/api/v1/platform-key`.
#[derive(Debug, Serialize, ToSchema)]
pub struct ContractBody {
    id: String,
    #[schema(value_type = Object)]
    document: serde_json::Value,
    sha256: String,
    platform_signature: String,
    platform_public_key: String,
    acceptances: Vec<AcceptanceBody>,
    /// The order the contract produced.
    order_id: Option<String>,
    created_at: String,
}

impl From<ContractView> for ContractBody {
    fn from(c: ContractView) -> Self {
        ContractBody {
            id: c.id,
            document: c.document,
            sha256: c.sha256,
            platform_signature: c.platform_signature,
            platform_public_key: c.platform_public_key,
            acceptances: c.acceptances.into_iter().map(Into::into).collect(),
            order_id: c.order_id,
            created_at: c.created_at,
        }
    }
}

/// An RFQ. A target price the buyer hid is absent for sellers.
#[derive(Debug, Serialize, ToSchema)]
pub struct RfqBody {
    id: String,
    title: String,
    description: String,
    category: String,
    quantity: i64,
    #[schema(value_type = Option<MoneySchema>)]
    #[serde(skip_serializing_if = "Option::is_none")]
    target_price: Option<Money>,
    delivery_country: Option<String>,
    payment_method: String,
    deadline: String,
    /// `public` (every shop of the category) or `invited`.
    visibility: String,
    /// `open`, `awarded` or `cancelled`.
    status: String,
    /// Whether quotes are still taken (before the deadline, neither awarded nor cancelled).
    open_for_quotes: bool,
    /// The invited shops (for the buyer only).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    invited_shops: Vec<String>,
    accepted_quote_id: Option<String>,
    created_at: String,
    /// `buyer` (yours) or `seller` (open to a shop of yours).
    your_side: String,
    /// For sellers: the shop of yours the RFQ is open to.
    #[serde(skip_serializing_if = "Option::is_none")]
    your_shop_id: Option<String>,
}

impl From<RfqView> for RfqBody {
    fn from(r: RfqView) -> Self {
        RfqBody {
            id: r.id,
            title: r.title,
            description: r.description,
            category: r.category,
            quantity: r.quantity,
            target_price: r.target_price,
            delivery_country: r.delivery_country,
            payment_method: r.payment_method.as_str().into(),
            deadline: r.deadline,
            visibility: r.visibility.as_str().into(),
            status: r.status.as_str().into(),
            open_for_quotes: r.open_for_quotes,
            invited_shops: r.invited_shops,
            accepted_quote_id: r.accepted_quote_id,
            created_at: r.created_at,
            your_side: r.viewer.into(),
            your_shop_id: r.viewer_shop_id,
        }
    }
}

/// A quote on an RFQ.
#[derive(Debug, Serialize, ToSchema)]
pub struct QuoteBody {
    id: String,
    rfq_id: String,
    shop: super::super::orders::ShopRefBody,
    variant_id: Option<String>,
    #[schema(value_type = MoneySchema)]
    unit_price: Money,
    quantity: i64,
    #[schema(value_type = MoneySchema)]
    shipping: Money,
    /// Unit price × quantity + shipping.
    #[schema(value_type = MoneySchema)]
    landed_total: Money,
    lead_time_days: i64,
    valid_until: String,
    note: Option<String>,
    /// `submitted`, `accepted`, `rejected`, `withdrawn` or `expired`.
    status: String,
    /// 1 for the first version, then one more per revision.
    revision: i64,
    /// The seller's average rating in hundredths of a star (450 is 4.5 stars); absent before its
    /// first rating.
    seller_rating: Option<i64>,
    /// How many ratings the seller's average is of.
    seller_rating_count: i64,
    updated_at: String,
}

impl From<QuoteView> for QuoteBody {
    fn from(q: QuoteView) -> Self {
        QuoteBody {
            id: q.id,
            rfq_id: q.rfq_id,
            shop: super::super::orders::ShopRefBody::new(q.shop_id, q.shop_name),
            variant_id: q.variant_id,
            unit_price: q.unit_price,
            quantity: q.quantity,
            shipping: q.shipping,
            landed_total: q.landed_total,
            lead_time_days: q.lead_time_days,
            valid_until: q.valid_until,
            note: q.note,
            status: q.status.as_str().into(),
            revision: q.revision,
            seller_rating: q.seller_rating,
            seller_rating_count: q.seller_rating_count,
            updated_at: q.updated_at,
        }
    }
}

/// Whether a product takes offers. `floor_price` only for the shop's staff.
#[derive(Debug, Serialize, ToSchema)]
pub struct OfferSettingsBody {
    product_id: String,
    enabled: bool,
    #[schema(value_type = Option<MoneySchema>)]
    #[serde(skip_serializing_if = "Option::is_none")]
    floor_price: Option<Money>,
}

impl From<OfferSettings> for OfferSettingsBody {
    fn from(s: OfferSettings) -> Self {
        OfferSettingsBody {
            product_id: s.product_id,
            enabled: s.enabled,
            floor_price: s.floor,
        }
    }
}
