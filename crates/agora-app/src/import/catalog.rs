use super::*;

/// The shop's catalog as the import knows it, loaded once and kept current as products are planned.
pub(super) struct Catalog {
    pub(super) variants: HashMap<String, VariantRow>,
    pub(super) products: HashMap<String, ProductRow>,
    /// Variant count and next free position, per product.
    pub(super) sizes: HashMap<String, (usize, i64)>,
    pub(super) tiers: HashMap<String, Vec<(i64, i64)>>,
    /// The outcome of the listing rules per category (checked once per category and import).
    pub(super) listing: HashMap<String, Result<Vec<AttributeDef>, String>>,
    /// Declared attributes per category, where the listing rules need no new check.
    pub(super) declared: HashMap<String, Vec<AttributeDef>>,
}

impl Catalog {
    pub(super) async fn load(conn: &mut Conn, shop_id: &str) -> AppResult<Catalog> {
        let products = store::products_of_shop(conn, shop_id).await?;
        let variants = store::variants_of_shop(conn, shop_id).await?;
        let mut sizes: HashMap<String, (usize, i64)> = HashMap::new();
        for v in &variants {
            let size = sizes.entry(v.product_id.clone()).or_insert((0, 0));
            size.0 += 1;
            size.1 = size.1.max(v.position + 1);
        }
        let mut tiers: HashMap<String, Vec<(i64, i64)>> = HashMap::new();
        for (variant, min_qty, amount) in store::tiers_of_shop(conn, shop_id).await? {
            tiers.entry(variant).or_default().push((min_qty, amount));
        }
        Ok(Catalog {
            variants: variants.into_iter().map(|v| (v.sku.clone(), v)).collect(),
            products: products.into_iter().map(|p| (p.id.clone(), p)).collect(),
            sizes,
            tiers,
            listing: HashMap::new(),
            declared: HashMap::new(),
        })
    }

    /// The listing rules for a new product (or one moving category or going live) in `category`.
    pub(super) async fn listing(
        &mut self,
        conn: &mut Conn,
        shop: &ShopRow,
        category: &str,
    ) -> AppResult<Result<Vec<AttributeDef>, String>> {
        if let Some(known) = self.listing.get(category) {
            return Ok(known.clone());
        }
        let outcome = match check_listing(conn, shop, category).await {
            Ok(declared) => Ok(declared),
            Err(AppError::Invalid(errors)) => Err(errors
                .0
                .first()
                .map(|e| e.message.clone())
                .unwrap_or_else(|| "is not valid".into())),
            Err(AppError::Conflict { detail: m, .. } | AppError::Forbidden(m) | AppError::BadRequest(m)) => Err(m),
            Err(err) => return Err(err),
        };
        self.listing.insert(category.to_owned(), outcome.clone());
        Ok(outcome)
    }

    pub(super) async fn declared(&mut self, conn: &mut Conn, category: &str) -> AppResult<Vec<AttributeDef>> {
        if let Some(known) = self.declared.get(category) {
            return Ok(known.clone());
        }
        let declared = categories::declared_attributes(conn, category).await?;
        self.declared.insert(category.to_owned(), declared.clone());
        Ok(declared)
    }
}
