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

/// What became of one row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Outcome {
    Created,
    Updated,
    Unchanged,
}

/// A stock change of an existing variant, applied as a difference.
#[derive(Debug)]
pub(super) struct StockMove {
    pub(super) variant_id: String,
    pub(super) from: i64,
    pub(super) to: i64,
}

/// An existing variant's new price, GTIN and attributes.
#[derive(Debug)]
pub(super) struct VariantUpdate {
    pub(super) variant_id: String,
    pub(super) price_amount: i64,
    pub(super) currency: String,
    pub(super) gtin: Option<String>,
    pub(super) attributes: String,
}

/// Everything one product group writes, worked out and checked before anything is written.
#[derive(Debug)]
pub(super) struct Plan {
    pub(super) product_id: String,
    pub(super) lines: Vec<u64>,
    pub(super) outcomes: Vec<Outcome>,
    pub(super) new_product: Option<ProductRow>,
    pub(super) product_changes: Option<ProductChanges>,
    pub(super) new_variants: Vec<VariantRow>,
    pub(super) variant_updates: Vec<VariantUpdate>,
    pub(super) stock_moves: Vec<StockMove>,
    /// The SKUs this plan creates or changes (for the audit entry).
    pub(super) changed_skus: Vec<String>,
}

impl Plan {
    pub(super) fn changes_anything(&self) -> bool {
        self.outcomes.iter().any(|o| *o != Outcome::Unchanged)
    }
}

/// Collects a group's errors, one per row and field.
#[derive(Default)]
pub(super) struct Problems(Vec<RowError>);

impl Problems {
    pub(super) fn add(&mut self, line: u64, field: &str, message: impl Into<String>) {
        if !self.0.iter().any(|e| e.line == line && e.field == field) {
            self.0.push(RowError {
                line,
                field: field.to_owned(),
                message: message.into(),
            });
        }
    }
}

/// Works out and checks everything one product group would write.
pub(super) async fn plan(
    conn: &mut Conn,
    shop: &ShopRow,
    catalog: &mut Catalog,
    sheet: &Sheet,
    group: &[usize],
    options: &ImportOptions,
) -> AppResult<Result<Plan, Vec<RowError>>> {
    let columns = &sheet.columns;
    let rows: Vec<&Record> = group.iter().map(|&i| &sheet.records[i]).collect();
    let lines: Vec<u64> = rows.iter().map(|r| r.line).collect();
    let mut problems = Problems::default();
    let not_imported = |problems: Problems| {
        let mut errors = problems.0;
        let failing: BTreeSet<u64> = errors.iter().map(|e| e.line).collect();
        let cause = failing.iter().next().copied();
        for r in &rows {
            if !r.broken && !failing.contains(&r.line) {
                errors.push(RowError {
                    line: r.line,
                    field: "sku".into(),
                    message: format!(
                        "not imported: line {} of the same product has errors",
                        cause.unwrap_or_default()
                    ),
                });
            }
        }
        errors
    };
    if let Some(broken) = rows.iter().find(|r| r.broken) {
        // Its own errors are reported already; the rest of its product waits for it.
        let mut errors = Vec::new();
        for r in rows.iter().filter(|r| !r.broken) {
            errors.push(RowError {
                line: r.line,
                field: "sku".into(),
                message: format!("not imported: line {} of the same product has errors", broken.line),
            });
        }
        return Ok(Err(errors));
    }

    // The variants the rows name, and the one product they may belong to.
    let existing: Vec<Option<VariantRow>> = rows
        .iter()
        .map(|r| {
            r.given(columns, Field::Sku)
                .and_then(|sku| catalog.variants.get(sku))
                .cloned()
        })
        .collect();
    let owner = existing
        .iter()
        .zip(&rows)
        .find_map(|(v, r)| v.as_ref().map(|v| (v.product_id.clone(), r.line)));
    if let Some((product_id, line)) = &owner {
        for (v, r) in existing.iter().zip(&rows) {
            if v.as_ref().is_some_and(|v| &v.product_id != product_id) {
                problems.add(
                    r.line,
                    "sku",
                    format!(
                        "belongs to another product than the SKU on line {line}; give each product its own product_key"
                    ),
                );
            }
        }
    }
    let current = owner.as_ref().and_then(|(id, _)| catalog.products.get(id)).cloned();

    // The product's fields come from its first row; later rows repeat them or leave them empty.
    let first = rows[0];
    for r in &rows[1..] {
        let product_columns = [
            Field::Title,
            Field::Description,
            Field::Category,
            Field::MinOrderQty,
            Field::Status,
        ]
        .into_iter()
        .filter_map(|f| columns.fields.get(&f).map(|&at| (f.name().to_owned(), at)))
        .chain(
            columns
                .product_attrs
                .iter()
                .map(|(k, at)| (format!("product_attr:{k}"), *at)),
        );
        for (label, at) in product_columns {
            if !r.cells[at].is_empty() && r.cells[at] != first.cells[at] {
                problems.add(
                    r.line,
                    &label,
                    format!("differs from line {} (the product's first row)", first.line),
                );
            }
        }
    }
    let title = first
        .given(columns, Field::Title)
        .map(str::to_owned)
        .or_else(|| current.as_ref().map(|p| p.title.clone()))
        .unwrap_or_default();
    let description = match first.cell(columns, Field::Description) {
        Some(d) => d.to_owned(),
        None => current.as_ref().map(|p| p.description.clone()).unwrap_or_default(),
    };
    let category = first
        .given(columns, Field::Category)
        .map(str::to_owned)
        .or_else(|| current.as_ref().map(|p| p.category.clone()));
    if category.is_none() {
        problems.add(first.line, "category", "must not be empty");
    }
    let min_order_qty = match first.given(columns, Field::MinOrderQty) {
        Some(raw) => match raw.parse::<i64>() {
            Ok(q) => Some(q),
            Err(_) => {
                problems.add(first.line, "min_order_qty", "must be a whole number");
                None
            }
        },
        None => current.as_ref().map(|p| p.min_order_qty),
    };
    let status = first
        .given(columns, Field::Status)
        .map(str::to_ascii_lowercase)
        .or_else(|| current.as_ref().map(|p| p.status.clone()))
        .unwrap_or_else(|| "active".into());
    if current.is_some() && !["draft", "active", "archived"].contains(&status.as_str()) {
        // The rule of `products::update` (a new product is checked by `parse_product`).
        problems.add(first.line, "status", "must be one of: draft, active, archived");
    }
    let mut product_attributes = current.as_ref().map(|p| json_map(&p.attributes)).unwrap_or_default();
    merge_attributes(&mut product_attributes, &columns.product_attrs, first);

    // The category's rules: checked again only where `products::update` would check them.
    let declared = match &category {
        Some(category) => {
            let recheck = match &current {
                None => true,
                Some(p) => &p.category != category || (status == "active" && p.status != "active"),
            };
            if recheck {
                match catalog.listing(conn, shop, category).await? {
                    Ok(declared) => declared,
                    Err(message) => {
                        problems.add(first.line, "category", message);
                        Vec::new()
                    }
                }
            } else {
                catalog.declared(conn, category).await?
            }
        }
        None => Vec::new(),
    };
    check_typed(
        &mut product_attributes,
        &declared,
        &columns.product_attrs,
        "product_attr:",
        first.line,
        &mut problems,
    );

    // The variants.
    let mut variants = Vec::with_capacity(rows.len());
    for (r, ev) in rows.iter().zip(&existing) {
        let sku = r.cell(columns, Field::Sku).unwrap_or_default().to_owned();
        let currency = match r.given(columns, Field::Currency) {
            Some(code) => match Currency::parse(&code.to_ascii_uppercase()) {
                Ok(c) => Some(c),
                Err(message) => {
                    problems.add(r.line, "currency", message);
                    None
                }
            },
            None => match ev {
                Some(v) => Some(Currency::parse(&v.currency).map_err(|e| AppError::Internal(anyhow::anyhow!(e)))?),
                None => Some(options.currency),
            },
        };
        let price = match (r.given(columns, Field::Price), currency) {
            (Some(raw), Some(currency)) => match parse_price(raw, currency) {
                Ok(price) => Some(price),
                Err(message) => {
                    problems.add(r.line, "price", message);
                    None
                }
            },
            (Some(_), None) => None,
            (None, Some(currency)) => match ev {
                Some(v) => Some(Money::new(v.price_amount, currency)),
                None => {
                    problems.add(r.line, "price", "must not be empty");
                    None
                }
            },
            (None, None) => None,
        };
        let gtin = match r.cell(columns, Field::Gtin) {
            Some("") => None,
            Some(g) => Some(g.to_owned()),
            None => ev.as_ref().and_then(|v| v.gtin.clone()),
        };
        let stock = match r.given(columns, Field::Stock) {
            Some(raw) => raw.parse::<i64>().unwrap_or_else(|_| {
                problems.add(r.line, "stock", "must be a whole number");
                0
            }),
            None => ev.as_ref().map_or(0, |v| v.stock),
        };
        let mut attributes = ev.as_ref().map(|v| json_map(&v.attributes)).unwrap_or_default();
        merge_attributes(&mut attributes, &columns.attrs, r);
        check_typed(
            &mut attributes,
            &declared,
            &columns.attrs,
            "attr:",
            r.line,
            &mut problems,
        );
        let price = price.unwrap_or_else(|| Money::zero(options.currency));
        // An existing variant's volume tiers must still fit under its new price.
        let price_tiers = match ev {
            Some(v) => catalog
                .tiers
                .get(&v.id)
                .into_iter()
                .flatten()
                .map(|&(min_qty, amount)| PriceTier {
                    min_qty: u32::try_from(min_qty).unwrap_or(u32::MAX),
                    unit_price: Money::new(amount, Currency::parse(&v.currency).unwrap_or(price.currency)),
                })
                .collect(),
            None => Vec::new(),
        };
        variants.push(NewVariant {
            sku,
            gtin,
            price,
            stock,
            attributes,
            price_tiers,
        });
    }

    // The rules every listed product follows, as for `products::create`.
    let mut input = NewProduct {
        title,
        description,
        category: category.clone().unwrap_or_default(),
        attributes: product_attributes,
        variants,
        min_order_qty,
        status: current.is_none().then(|| status.clone()),
    };
    match parse_product(&input) {
        Ok(checked) => input.title = checked.title,
        Err(errors) => {
            for e in errors.0 {
                let (line, field, message) = match e.field.strip_prefix("variants[") {
                    Some(rest) => {
                        let (index, field) = rest.split_once("].").unwrap_or((rest.trim_end_matches(']'), "sku"));
                        let line = index
                            .parse::<usize>()
                            .ok()
                            .and_then(|i| lines.get(i))
                            .copied()
                            .unwrap_or(first.line);
                        match field {
                            "price_tiers" => (
                                line,
                                "price",
                                format!("conflicts with the variant's volume price tiers: {}", e.message),
                            ),
                            field => (line, field, e.message),
                        }
                    }
                    None if e.field == "variants" => (first.line, "sku", e.message),
                    None => (first.line, e.field.as_str(), e.message),
                };
                problems.add(line, field, message);
            }
        }
    }
    let new_count = existing.iter().filter(|v| v.is_none()).count();
    let size = owner
        .as_ref()
        .and_then(|(id, _)| catalog.sizes.get(id))
        .copied()
        .unwrap_or((0, 0));
    if size.0 + new_count > 100 {
        problems.add(first.line, "sku", "a product needs 1 to 100 variants");
    }
    if !problems.0.is_empty() {
        return Ok(Err(not_imported(problems)));
    }

    // What changes.
    let now = now_ms();
    let category = category.unwrap_or_default();
    let attributes_json = Value::Object(input.attributes.clone()).to_string();
    let product_id = current.as_ref().map_or_else(|| new_id("prd"), |p| p.id.clone());
    let (new_product, product_changes) = match &current {
        None => (
            Some(ProductRow {
                id: product_id.clone(),
                shop_id: shop.id.clone(),
                title: input.title.clone(),
                description: input.description.clone(),
                category: category.clone(),
                status: status.clone(),
                attributes: attributes_json,
                min_order_qty: min_order_qty.unwrap_or(1),
                featured: false,
                created_at: now,
                updated_at: now,
            }),
            None,
        ),
        Some(p) => {
            let differs = |new: &str, old: &str| (new != old).then(|| new.to_owned());
            let changes = ProductChanges {
                title: differs(&input.title, &p.title),
                description: differs(&input.description, &p.description),
                category: differs(&category, &p.category),
                status: differs(&status, &p.status),
                attributes: (input.attributes != json_map(&p.attributes)).then_some(attributes_json),
                min_order_qty: min_order_qty.filter(|q| *q != p.min_order_qty),
            };
            let changed = changes.title.is_some()
                || changes.description.is_some()
                || changes.category.is_some()
                || changes.status.is_some()
                || changes.attributes.is_some()
                || changes.min_order_qty.is_some();
            (None, changed.then_some(changes))
        }
    };
    let product_changed = new_product.is_some() || product_changes.is_some();
    let mut next_position = size.1;
    let mut plan = Plan {
        product_id: product_id.clone(),
        lines,
        outcomes: Vec::new(),
        new_product,
        product_changes,
        new_variants: Vec::new(),
        variant_updates: Vec::new(),
        stock_moves: Vec::new(),
        changed_skus: Vec::new(),
    };
    for (v, ev) in input.variants.iter().zip(existing) {
        let sku = v.sku.clone();
        let gtin = v.gtin.clone();
        let attributes = Value::Object(v.attributes.clone()).to_string();
        let outcome = match ev {
            None => {
                let row = VariantRow {
                    id: new_id("var"),
                    product_id: product_id.clone(),
                    shop_id: shop.id.clone(),
                    sku: sku.clone(),
                    gtin,
                    price_amount: v.price.minor,
                    currency: v.price.currency.code().to_owned(),
                    stock: v.stock,
                    attributes,
                    position: next_position,
                };
                next_position += 1;
                catalog.variants.insert(sku.clone(), row.clone());
                plan.new_variants.push(row);
                Outcome::Created
            }
            Some(old) => {
                let mut changed = false;
                if old.price_amount != v.price.minor
                    || old.currency != v.price.currency.code()
                    || old.gtin != gtin
                    || json_map(&old.attributes) != v.attributes
                {
                    plan.variant_updates.push(VariantUpdate {
                        variant_id: old.id.clone(),
                        price_amount: v.price.minor,
                        currency: v.price.currency.code().to_owned(),
                        gtin: gtin.clone(),
                        attributes: attributes.clone(),
                    });
                    changed = true;
                }
                if old.stock != v.stock {
                    plan.stock_moves.push(StockMove {
                        variant_id: old.id.clone(),
                        from: old.stock,
                        to: v.stock,
                    });
                    changed = true;
                }
                if changed {
                    catalog.variants.insert(
                        sku.clone(),
                        VariantRow {
                            gtin,
                            price_amount: v.price.minor,
                            currency: v.price.currency.code().to_owned(),
                            stock: v.stock,
                            attributes,
                            ..old
                        },
                    );
                }
                if changed || product_changed {
                    Outcome::Updated
                } else {
                    Outcome::Unchanged
                }
            }
        };
        if outcome != Outcome::Unchanged {
            plan.changed_skus.push(sku);
        }
        plan.outcomes.push(outcome);
    }
    // Later groups see this one's result.
    let size = catalog.sizes.entry(product_id.clone()).or_insert((0, 0));
    size.0 += plan.new_variants.len();
    size.1 = next_position;
    if let Some(p) = &plan.new_product {
        catalog.products.insert(product_id.clone(), p.clone());
    } else if let (Some(p), Some(c)) = (catalog.products.get_mut(&product_id), &plan.product_changes) {
        p.title = c.title.clone().unwrap_or(p.title.clone());
        p.description = c.description.clone().unwrap_or(p.description.clone());
        p.category = c.category.clone().unwrap_or(p.category.clone());
        p.status = c.status.clone().unwrap_or(p.status.clone());
        p.attributes = c.attributes.clone().unwrap_or(p.attributes.clone());
        p.min_order_qty = c.min_order_qty.unwrap_or(p.min_order_qty);
    }
    Ok(Ok(plan))
}
