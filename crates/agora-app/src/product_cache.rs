//! An in-process cache of product pages, the hot read path. Entries hold the public view of a
//! product; whatever depends on the viewer (their company's price, the seller's low-stock flags) is
//! added per request. Entries are dropped when the product changes: at once on the node that made
//! the change, and on every node when the outbox follower sees the change.

use std::sync::Arc;

use quick_cache::sync::Cache;

use agora_core::money::Money;
use agora_core::product::ProductStatus;

use crate::product_view::ProductView;
use crate::Actor;

/// A product page as cached, with what is needed to tell its shop's staff from everyone else.
#[derive(Debug, Clone)]
pub struct CachedProduct {
    pub view: ProductView,
    /// Whether the public may see it.
    pub status: ProductStatus,
    pub shop_owner: String,
    pub shop_company: Option<String>,
    /// Every company's own unit prices of its variants: `(variant id, company id, amount)`.
    pub company_prices: Vec<(String, String, i64)>,
}

impl CachedProduct {
    /// The view with the company prices of the actor's company, if it has any.
    pub fn priced_for(&self, actor: Option<&Actor>) -> ProductView {
        let mut view = self.view.clone();
        let company = actor.and_then(|a| a.company.as_ref()).map(|(id, _)| id.as_str());
        for v in &mut view.variants {
            v.company_price = company.and_then(|company| {
                self.company_prices
                    .iter()
                    .find(|(vid, cid, _)| *vid == v.id && cid == company)
                    .map(|(_, _, amount)| Money::new(*amount, v.price.currency))
            });
        }
        view
    }
}

/// Product pages by product id.
#[derive(Clone)]
pub struct ProductCache {
    entries: Arc<Cache<String, Arc<CachedProduct>>>,
}

impl std::fmt::Debug for ProductCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProductCache")
            .field("len", &self.entries.len())
            .finish()
    }
}

impl ProductCache {
    pub fn new(capacity: usize) -> Self {
        Self {
            entries: Arc::new(Cache::new(capacity)),
        }
    }

    pub fn get(&self, id: &str) -> Option<Arc<CachedProduct>> {
        self.entries.get(id)
    }

    pub fn insert(&self, id: String, product: CachedProduct) {
        self.entries.insert(id, Arc::new(product));
    }

    pub fn invalidate(&self, id: &str) {
        self.entries.remove(id);
    }
}
