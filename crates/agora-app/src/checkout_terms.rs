//! What checkout reads besides the cart, held in process: a shop's terms for a destination (its
//! price mode, shipping rates and methods) and the operator's tax rates of a country. Every
//! checkout and every cart quote needs them, and they change rarely: they are dropped, all of
//! them, when any changes: at once on the node that made the change, and on every node when the
//! outbox follower sees the `checkout_terms.changed` event the change wrote with itself.
//!
//! A checkout already prices from what it read before its writing transaction; a cached term is
//! as current as one read then, but on another node for as long as the event takes to arrive
//! (on PostgreSQL its notification, at once; between processes on SQLite, the follower's poll).

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

use agora_core::country::Country;
use agora_core::events::Event;
use agora_core::rate::BasisPoints;
use agora_core::tax::{TaxCategory, TaxTable};
use agora_store::orders::{self as store, ShopTerms};
use agora_store::{Conn, Tx};

use crate::{App, AppError, AppResult};

/// How many shop and destination pairs are kept at most; past it the cache starts again empty.
const MAX_SHOP_TERMS: usize = 10_000;

#[derive(Debug, Default)]
struct Held {
    /// By `(shop id, destination country)`.
    shops: HashMap<(String, String), Arc<ShopTerms>>,
    /// `(category, basis points)` by country.
    taxes: HashMap<String, Arc<Vec<(String, i64)>>>,
}

impl Held {
    fn put_shop(&mut self, key: (String, String), terms: Arc<ShopTerms>) {
        if self.shops.len() >= MAX_SHOP_TERMS {
            self.shops.clear();
        }
        self.shops.insert(key, terms);
    }
}

/// The terms, as last read from the database.
#[derive(Debug, Clone, Default)]
pub struct CheckoutTerms {
    held: Arc<RwLock<Held>>,
    /// Counts invalidations, so that a read that started before one never stores what it read.
    generation: Arc<AtomicU64>,
}

impl CheckoutTerms {
    /// The shop's terms for shipping to `country`.
    pub async fn shop(&self, conn: &mut Conn, shop_id: &str, country: &str) -> AppResult<Arc<ShopTerms>> {
        let key = (shop_id.to_owned(), country.to_owned());
        if let Some(terms) = self.held.read().ok().and_then(|h| h.shops.get(&key).cloned()) {
            return Ok(terms);
        }
        let generation = self.generation.load(Ordering::SeqCst);
        let terms = Arc::new(store::shop_terms(conn, shop_id, country).await?);
        self.keep(generation, |held| held.put_shop(key, terms.clone()));
        Ok(terms)
    }

    /// The operator's tax rates for `country`: `(category, basis points)`.
    pub async fn tax_rates(&self, conn: &mut Conn, country: &str) -> AppResult<Arc<Vec<(String, i64)>>> {
        if let Some(rates) = self.held.read().ok().and_then(|h| h.taxes.get(country).cloned()) {
            return Ok(rates);
        }
        let generation = self.generation.load(Ordering::SeqCst);
        let rates = Arc::new(store::tax_rates(conn, country).await?);
        // Countries are a few hundred at most.
        self.keep(generation, |held| {
            held.taxes.insert(country.to_owned(), rates.clone());
        });
        Ok(rates)
    }

    /// The operator's tax rates for `country`, as checkout computes with them.
    pub async fn tax_table(&self, conn: &mut Conn, country: Country) -> AppResult<TaxTable> {
        let rates = self.tax_rates(conn, country.code()).await?;
        tax_table_of(country, &rates)
    }

    /// Keeps what was read, unless the terms changed since `generation`.
    fn keep(&self, generation: u64, put: impl FnOnce(&mut Held)) {
        if let Ok(mut held) = self.held.write() {
            if self.generation.load(Ordering::SeqCst) == generation {
                put(&mut held);
            }
        }
    }

    /// Forgets every term: the next reads go to the database.
    pub fn invalidate(&self) {
        if let Ok(mut held) = self.held.write() {
            self.generation.fetch_add(1, Ordering::SeqCst);
            *held = Held::default();
        }
    }
}

/// Stored tax rates of `country`, `(category, basis points)`, as a table.
pub(crate) fn tax_table_of(country: Country, rates: &[(String, i64)]) -> AppResult<TaxTable> {
    let mut table = TaxTable::new();
    for (category, bp) in rates {
        let category = TaxCategory::parse(category).map_err(|e| AppError::Internal(anyhow::anyhow!("{e}")))?;
        let rate = u32::try_from(*bp)
            .ok()
            .and_then(|bp| BasisPoints::new(bp).ok())
            .ok_or_else(|| AppError::Internal(anyhow::anyhow!("stored tax rate {bp} out of range")))?;
        table.set(country, category, rate);
    }
    Ok(table)
}

/// Commits a transaction that changed a term with the event that has every other node drop its
/// copy, then drops this node's.
pub async fn commit_change(app: &App, mut tx: Tx) -> AppResult<()> {
    agora_store::outbox::publish(&mut tx, &Event::CheckoutTermsChanged {}, agora_store::now_ms()).await?;
    tx.commit().await?;
    app.checkout_terms.invalidate();
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn terms() -> Arc<ShopTerms> {
        Arc::new(ShopTerms {
            price_mode: "tax_inclusive".into(),
            shipping: None,
            has_rates: false,
            methods: vec![],
        })
    }

    #[test]
    fn terms_read_before_a_change_are_not_kept() {
        let cache = CheckoutTerms::default();
        let before = cache.generation.load(Ordering::SeqCst);
        cache.keep(before, |h| h.put_shop(("shop_1".into(), "DE".into()), terms()));
        cache.invalidate();
        assert!(
            cache.held.read().unwrap().shops.is_empty(),
            "a change drops what was kept"
        );
        cache.keep(before, |h| h.put_shop(("shop_1".into(), "DE".into()), terms()));
        assert!(
            cache.held.read().unwrap().shops.is_empty(),
            "terms read before the change were kept"
        );
        cache.keep(cache.generation.load(Ordering::SeqCst), |h| {
            h.taxes.insert("DE".into(), Arc::new(vec![("standard".into(), 1900)]));
        });
        assert_eq!(cache.held.read().unwrap().taxes.len(), 1);
    }

    #[test]
    fn the_shops_held_are_bounded() {
        let mut held = Held::default();
        for i in 0..MAX_SHOP_TERMS * 2 + 1 {
            held.put_shop((format!("shop_{i}"), "DE".into()), terms());
            assert!(held.shops.len() <= MAX_SHOP_TERMS);
        }
        assert!(held
            .shops
            .contains_key(&(format!("shop_{}", MAX_SHOP_TERMS * 2), "DE".to_owned())));
    }
}
