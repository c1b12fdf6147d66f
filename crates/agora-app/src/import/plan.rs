use super::*;

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
    if let Some(broken) = rows.iter().find(|r| r.broken) {
        // Its own errors are reported already; the rest of its product waits for it.
        return Ok(Err(waiting(&rows, &BTreeSet::new(), broken.line)));
    }
    let mut problems = Problems::default();
    let existing = existing_variants(catalog, columns, &rows);
    let owner = owner(&existing, &rows, &mut problems);
    let current = owner.as_ref().and_then(|(id, _)| catalog.products.get(id)).cloned();
    check_repeated_columns(columns, &rows, &mut problems);
    let first = rows[0];
    let mut fields = product_fields(columns, first, current.as_ref(), &mut problems);
    let declared = declared_attributes(
        conn,
        shop,
        catalog,
        &fields,
        current.as_ref(),
        first.line,
        &mut problems,
    )
    .await?;
    check_typed(
        &mut fields.attributes,
        &declared,
        &columns.product_attrs,
        "product_attr:",
        first.line,
        &mut problems,
    );
    let mut variants = Vec::with_capacity(rows.len());
    for (r, ev) in rows.iter().zip(&existing) {
        variants.push(variant(
            columns,
            r,
            ev.as_ref(),
            &declared,
            catalog,
            options,
            &mut problems,
        )?);
    }
    let lines: Vec<u64> = rows.iter().map(|r| r.line).collect();
    let draft = check_product(&fields, variants, current.is_none(), &lines, &mut problems);
    let new_count = existing.iter().filter(|v| v.is_none()).count();
    let size = owner
        .as_ref()
        .and_then(|(id, _)| catalog.sizes.get(id))
        .copied()
        .unwrap_or((0, 0));
    if size.0 + new_count > MAX_VARIANTS {
        problems.add(first.line, "sku", variant_count_rule());
    }
    let draft = match draft {
        Some(draft) if problems.0.is_empty() => draft,
        _ => {
            let mut errors = problems.0;
            let failing: BTreeSet<u64> = errors.iter().map(|e| e.line).collect();
            let cause = failing.iter().next().copied().unwrap_or_default();
            errors.extend(waiting(&rows, &failing, cause));
            return Ok(Err(errors));
        }
    };
    let mut plan = product_plan(shop, &fields, &draft, current.as_ref(), lines);
    let next_position = plan_variants(&mut plan, catalog, shop, &draft, existing, size.1);
    remember(catalog, &plan, next_position);
    Ok(Ok(plan))
}

/// The errors of the rows that are fine themselves but wait for a failing row (`cause`) of
/// their product.
fn waiting(rows: &[&Record], failing: &BTreeSet<u64>, cause: u64) -> Vec<RowError> {
    rows.iter()
        .filter(|r| !r.broken && !failing.contains(&r.line))
        .map(|r| RowError {
            line: r.line,
            field: "sku".into(),
            message: format!("not imported: line {cause} of the same product has errors"),
        })
        .collect()
}

/// The existing variants the rows name by SKU.
fn existing_variants(catalog: &Catalog, columns: &Columns, rows: &[&Record]) -> Vec<Option<VariantRow>> {
    rows.iter()
        .map(|r| {
            r.given(columns, Field::Sku)
                .and_then(|sku| catalog.variants.get(sku))
                .cloned()
        })
        .collect()
}

/// The one existing product the rows' variants belong to, with the line naming it first.
fn owner(existing: &[Option<VariantRow>], rows: &[&Record], problems: &mut Problems) -> Option<(String, u64)> {
    let owner = existing
        .iter()
        .zip(rows)
        .find_map(|(v, r)| v.as_ref().map(|v| (v.product_id.clone(), r.line)));
    if let Some((product_id, line)) = &owner {
        for (v, r) in existing.iter().zip(rows) {
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
    owner
}

/// The product's fields come from its first row; later rows repeat them or leave them empty.
fn check_repeated_columns(columns: &Columns, rows: &[&Record], problems: &mut Problems) {
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
}

/// A product's fields as its first row gives them, falling back on the current product.
struct ProductFields {
    title: String,
    description: String,
    category: Option<String>,
    min_order_qty: Option<i64>,
    /// The status cell, lowercased, for a new product (whose draft checks it).
    requested_status: Option<String>,
    /// An existing product's status after the import.
    status: ProductStatus,
    attributes: Map<String, Value>,
}

fn product_fields(
    columns: &Columns,
    first: &Record,
    current: Option<&ProductRow>,
    problems: &mut Problems,
) -> ProductFields {
    let title = first
        .given(columns, Field::Title)
        .map(str::to_owned)
        .or_else(|| current.map(|p| p.title.clone()))
        .unwrap_or_default();
    let description = match first.cell(columns, Field::Description) {
        Some(d) => d.to_owned(),
        None => current.map(|p| p.description.clone()).unwrap_or_default(),
    };
    let category = first
        .given(columns, Field::Category)
        .map(str::to_owned)
        .or_else(|| current.map(|p| p.category.clone()));
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
        None => current.map(|p| p.min_order_qty),
    };
    let requested_status = first.given(columns, Field::Status).map(str::to_ascii_lowercase);
    // An existing product moves by the rule of `products::update`; a new one is checked by its draft.
    let status = match (current, requested_status.as_deref()) {
        (Some(p), Some(raw)) => match raw
            .parse::<ProductStatus>()
            .and_then(|to| p.status.transition(to).map_err(|e| e.to_string()))
        {
            Ok(status) => status,
            Err(message) => {
                problems.add(first.line, "status", message);
                p.status
            }
        },
        (Some(p), None) => p.status,
        (None, _) => ProductStatus::Active,
    };
    let mut attributes = current.map(|p| json_map(&p.attributes)).unwrap_or_default();
    merge_attributes(&mut attributes, &columns.product_attrs, first);
    ProductFields {
        title,
        description,
        category,
        min_order_qty,
        requested_status,
        status,
        attributes,
    }
}

/// The category's declared attributes; its listing rules are checked again only where
/// `products::update` would check them.
async fn declared_attributes(
    conn: &mut Conn,
    shop: &ShopRow,
    catalog: &mut Catalog,
    fields: &ProductFields,
    current: Option<&ProductRow>,
    line: u64,
    problems: &mut Problems,
) -> AppResult<Vec<AttributeDef>> {
    let Some(category) = &fields.category else {
        return Ok(Vec::new());
    };
    let recheck = match current {
        None => true,
        Some(p) => {
            &p.category != category || (fields.status == ProductStatus::Active && p.status != ProductStatus::Active)
        }
    };
    if !recheck {
        return catalog.declared(conn, category).await;
    }
    Ok(match catalog.listing(conn, shop, category).await? {
        Ok(declared) => declared,
        Err(message) => {
            problems.add(line, "category", message);
            Vec::new()
        }
    })
}

/// The rules every listed product follows, as for `products::create`, reported on the rows they
/// concern. Returns the product as it is written, when it keeps them.
fn check_product(
    fields: &ProductFields,
    variants: Vec<VariantInput>,
    is_new: bool,
    lines: &[u64],
    problems: &mut Problems,
) -> Option<ProductDraft> {
    let first_line = lines[0];
    let input = ProductInput {
        title: fields.title.clone(),
        description: fields.description.clone(),
        category: fields.category.clone().unwrap_or_default(),
        attributes: fields.attributes.clone(),
        variants,
        min_order_qty: fields.min_order_qty,
        status: fields.requested_status.clone().filter(|_| is_new),
    };
    match ProductDraft::parse(input) {
        Ok(draft) => Some(draft),
        Err(errors) => {
            for e in errors.0 {
                let line = e.variant.and_then(|i| lines.get(i)).copied().unwrap_or(first_line);
                match (e.variant, e.field.as_str()) {
                    (Some(_), "price_tiers") => problems.add(
                        line,
                        "price",
                        format!("conflicts with the variant's volume price tiers: {}", e.message),
                    ),
                    (None, "variants") => problems.add(line, "sku", e.message),
                    (_, field) => problems.add(line, field, e.message),
                }
            }
            None
        }
    }
}

/// A checked product's plan, its variants still to come: the new product, or what changes.
fn product_plan(
    shop: &ShopRow,
    fields: &ProductFields,
    input: &ProductDraft,
    current: Option<&ProductRow>,
    lines: Vec<u64>,
) -> Plan {
    let now = now_ms();
    let category = fields.category.clone().unwrap_or_default();
    let attributes_json = Value::Object(input.attributes.clone()).to_string();
    let product_id = current.map_or_else(|| new_id("prd"), |p| p.id.clone());
    let (new_product, product_changes) = match current {
        None => (
            Some(ProductRow {
                id: product_id.clone(),
                shop_id: shop.id.clone(),
                title: input.title.clone(),
                description: input.description.clone(),
                description_html: Some(crate::descriptions::html(&input.description)),
                category,
                status: input.status,
                attributes: attributes_json,
                min_order_qty: input.min_order_qty,
                featured: false,
                created_at: now,
                updated_at: now,
            }),
            None,
        ),
        Some(p) => {
            let differs = |new: &str, old: &str| (new != old).then(|| new.to_owned());
            let description = differs(&input.description, &p.description);
            let changes = ProductChanges {
                title: differs(&input.title, &p.title),
                description_html: description.as_deref().map(crate::descriptions::html),
                description,
                category: differs(&category, &p.category),
                status: (fields.status != p.status).then_some(fields.status),
                attributes: (input.attributes != json_map(&p.attributes)).then_some(attributes_json),
                min_order_qty: fields.min_order_qty.filter(|q| *q != p.min_order_qty),
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
    Plan {
        product_id,
        lines,
        outcomes: Vec::new(),
        new_product,
        product_changes,
        new_variants: Vec::new(),
        variant_updates: Vec::new(),
        stock_moves: Vec::new(),
        changed_skus: Vec::new(),
    }
}

/// Keeps `catalog` current with `plan`, so that later groups see its result.
fn remember(catalog: &mut Catalog, plan: &Plan, next_position: i64) {
    let product_id = &plan.product_id;
    let size = catalog.sizes.entry(product_id.clone()).or_insert((0, 0));
    size.0 += plan.new_variants.len();
    size.1 = next_position;
    if let Some(p) = &plan.new_product {
        catalog.products.insert(product_id.clone(), p.clone());
    } else if let (Some(p), Some(c)) = (catalog.products.get_mut(product_id), &plan.product_changes) {
        p.title = c.title.clone().unwrap_or(p.title.clone());
        p.description = c.description.clone().unwrap_or(p.description.clone());
        p.category = c.category.clone().unwrap_or(p.category.clone());
        p.status = c.status.unwrap_or(p.status);
        p.attributes = c.attributes.clone().unwrap_or(p.attributes.clone());
        p.min_order_qty = c.min_order_qty.unwrap_or(p.min_order_qty);
    }
}
