//! Search results as the API shows them.

use agora_app::search as app;
use agora_core::money::Money;
use serde::Serialize;
use utoipa::ToSchema;

use super::each;
use super::money::MoneySchema;
use super::products::ShopRef;

/// One search result.
#[derive(Debug, Serialize, ToSchema)]
pub struct SearchItem {
    pub product_id: String,
    pub title: String,
    /// The lowest variant price.
    #[schema(value_type = MoneySchema)]
    pub price: Money,
    pub shop: ShopRef,
    /// HTML: the escaped description fragment with matched words in `<mark>`.
    pub snippet: String,
    /// HTML: the escaped title with matched words in `<mark>`.
    pub title_html: String,
    /// A paid placement, labelled as such wherever it is shown.
    pub sponsored: bool,
    /// Whether any variant can still be sold.
    pub in_stock: bool,
    /// The product's first picture's thumbnail, if it has pictures.
    pub thumbnail_url: Option<String>,
}

impl From<app::SearchItem> for SearchItem {
    fn from(i: app::SearchItem) -> Self {
        Self {
            product_id: i.product_id,
            title: i.title,
            price: i.price,
            shop: ShopRef {
                id: i.shop.id,
                name: i.shop.name,
            },
            snippet: i.snippet,
            title_html: i.title_html,
            sponsored: i.sponsored,
            in_stock: i.in_stock,
            thumbnail_url: i.thumb_key.as_deref().map(crate::media::url),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FacetValue {
    pub value: String,
    /// A name for people (category or shop name; the price range).
    pub label: String,
    pub count: u64,
}

impl From<app::FacetValue> for FacetValue {
    fn from(f: app::FacetValue) -> Self {
        Self {
            value: f.value,
            label: f.label,
            count: f.count,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Facets {
    pub category: Vec<FacetValue>,
    pub shop: Vec<FacetValue>,
    pub price: Vec<FacetValue>,
}

impl From<app::Facets> for Facets {
    fn from(f: app::Facets) -> Self {
        Self {
            category: each(f.category),
            shop: each(f.shop),
            price: each(f.price),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SearchPage {
    pub items: Vec<SearchItem>,
    pub facets: Facets,
    pub total: usize,
    pub next_cursor: Option<String>,
    /// The query with its misspelt words replaced by the words products have: without `exact`,
    /// the words the results were found for; with it, a suggestion. Absent when nothing was
    /// corrected.
    pub corrected_q: Option<String>,
}

impl From<app::SearchPage> for SearchPage {
    fn from(p: app::SearchPage) -> Self {
        Self {
            items: each(p.items),
            facets: p.facets.into(),
            total: p.total,
            next_cursor: p.next_cursor,
            corrected_q: p.corrected_q,
        }
    }
}
