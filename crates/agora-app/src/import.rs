//! Catalog import and export: a seller brings an existing catalog in from a CSV or TSV file, and
//! takes it out again in the same format.
//!
//! One row is one variant. A product with several variants repeats its product columns on each
//! row (or leaves them empty after its first row); rows are grouped into products by the
//! `product_key` column when there is one, otherwise by `title`. The canonical columns are
//!
//! | column | meaning |
//! |---|---|
//! | `product_key` | optional: rows with the same key are one product (export writes the product id) |
//! | `sku` | required: the variant's stock-keeping unit, unique in the shop; re-importing updates by SKU |
//! | `title`, `description`, `category`, `min_order_qty`, `status` | the product |
//! | `price` | a decimal in major units (`12.50`, also `12,50`), exact to the currency's minor units |
//! | `currency` | ISO 4217; empty means the import's default currency (EUR unless told) |
//! | `stock`, `gtin` | the variant; stock changes are recorded as stock movements |
//! | `attr:<key>` | a variant attribute the category declares, e.g. `attr:colour` |
//! | `product_attr:<key>` | a product attribute the category declares |
//!
//! Other columns are ignored (and named in the report); a column map renames the file's own
//! headers to these. An empty cell of an existing variant leaves its value as it is, except for
//! `description`, `gtin` and attributes, where empty means "none".
//!
//! The same rules as listing a product through the API apply to every row (`products::parse_product`,
//! `products::check_listing`, `catalog::check_attributes`): they are checked for a whole product before
//! anything is written, so a bad row writes nothing while the others land. Valid products are
//! written many per transaction for speed, each transaction with its audit entry and the
//! `product.changed` outbox event of every product it changed; should a write still fail (a SKU
//! added meanwhile, stock sold during the import), that transaction is rolled back and its
//! products are written one per transaction, so that only the failing one is left out.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::fmt;
use std::str::FromStr;

use agora_core::catalog::check_attributes;
use agora_core::category::{AttributeDef, AttributeType};
use agora_core::money::{Currency, Money, Rounding};
use agora_core::pricing::PriceTier;
use agora_core::shop::ShopStatus;
use agora_store::catalog as catalog_store;
use agora_store::catalog_import as store;
use agora_store::products::{self as product_store, ProductChanges, ProductRow, VariantRow};
use agora_store::shops::ShopRow;
use agora_store::{new_id, now_ms, Conn};
use rust_decimal::Decimal;
use serde_json::{Map, Value};

use crate::products::{check_listing, parse_product, publish_change, NewProduct, NewVariant};
use crate::{audit, categories, App, AppError, AppResult, ConflictKind};

/// About this many rows are written per transaction.
const BATCH_ROWS: usize = 500;
/// The reason recorded on stock movements made by an import.
const MOVEMENT_REASON: &str = "catalog import";

/// A canonical column that is not an attribute.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Field {
    ProductKey,
    Sku,
    Title,
    Description,
    Category,
    Price,
    Currency,
    Stock,
    Gtin,
    MinOrderQty,
    Status,
}

impl Field {
    const ALL: [Field; 11] = [
        Field::ProductKey,
        Field::Sku,
        Field::Title,
        Field::Description,
        Field::Category,
        Field::Price,
        Field::Currency,
        Field::Stock,
        Field::Gtin,
        Field::MinOrderQty,
        Field::Status,
    ];

    fn name(self) -> &'static str {
        match self {
            Field::ProductKey => "product_key",
            Field::Sku => "sku",
            Field::Title => "title",
            Field::Description => "description",
            Field::Category => "category",
            Field::Price => "price",
            Field::Currency => "currency",
            Field::Stock => "stock",
            Field::Gtin => "gtin",
            Field::MinOrderQty => "min_order_qty",
            Field::Status => "status",
        }
    }
}

/// What a column of the file holds.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Target {
    Field(Field),
    Attr(String),
    ProductAttr(String),
}

impl Target {
    /// A canonical column name (case-insensitive, attribute keys as written).
    fn parse(name: &str) -> Option<Target> {
        let name = name.trim();
        let lower = name.to_ascii_lowercase();
        for (prefix, attr) in [("product_attr:", true), ("attr:", false)] {
            if lower.starts_with(prefix) {
                let key = name[prefix.len()..].trim();
                if key.is_empty() {
                    return None;
                }
                return Some(if attr {
                    Target::ProductAttr(key.to_owned())
                } else {
                    Target::Attr(key.to_owned())
                });
            }
        }
        Field::ALL.into_iter().find(|f| f.name() == lower).map(Target::Field)
    }

    fn label(&self) -> String {
        match self {
            Target::Field(f) => f.name().to_owned(),
            Target::Attr(key) => format!("attr:{key}"),
            Target::ProductAttr(key) => format!("product_attr:{key}"),
        }
    }
}

/// How to read a file.
#[derive(Debug, Clone)]
pub struct ImportOptions {
    /// `(canonical column, the file's header)`: which of the file's columns holds a canonical one.
    pub map: Vec<(String, String)>,
    /// The field separator; `None` detects it from the header row (tab, semicolon or comma).
    pub delimiter: Option<u8>,
    /// The currency of rows whose `currency` cell is empty (or of files without that column).
    pub currency: Currency,
    /// Check every row but write nothing.
    pub dry_run: bool,
}

impl Default for ImportOptions {
    fn default() -> Self {
        Self {
            map: Vec::new(),
            delimiter: None,
            currency: Currency::EUR,
            dry_run: false,
        }
    }
}

/// Parses column-map entries such as `sku=product_id`, `title=product_name`.
pub fn parse_map<S: AsRef<str>>(entries: &[S]) -> Result<Vec<(String, String)>, String> {
    let mut map = Vec::new();
    for entry in entries {
        let entry = entry.as_ref().trim();
        if entry.is_empty() {
            continue;
        }
        let (canonical, source) = entry
            .split_once('=')
            .ok_or_else(|| format!("{entry:?} is not CANONICAL=SOURCE (e.g. sku=product_id)"))?;
        let (canonical, source) = (canonical.trim(), source.trim());
        if Target::parse(canonical).is_none() {
            return Err(format!(
                "{canonical:?} is not a column Agora knows; use one of {}, attr:KEY or product_attr:KEY",
                Field::ALL.map(Field::name).join(", ")
            ));
        }
        if source.is_empty() {
            return Err(format!("{entry:?} names no column of the file"));
        }
        map.push((canonical.to_owned(), source.to_owned()));
    }
    Ok(map)
}

/// Parses a delimiter name: `,`, `;`, `|`, `tab` (or `\t`).
pub fn parse_delimiter(raw: &str) -> Result<u8, String> {
    match raw {
        "tab" | "TAB" | "\\t" | "\t" => Ok(b'\t'),
        "comma" => Ok(b','),
        "semicolon" => Ok(b';'),
        _ if raw.len() == 1 && !matches!(raw.as_bytes()[0], b'"' | b'\n' | b'\r') && raw.is_ascii() => {
            Ok(raw.as_bytes()[0])
        }
        _ => Err(format!(
            "{raw:?} is not a delimiter; use one character such as , or ; or the word tab"
        )),
    }
}

/// The delimiter of a file, from its header row: tab if it has one, else semicolon if it has more
/// semicolons than commas (spreadsheets in many European locales), else comma.
fn detect_delimiter(bytes: &[u8]) -> u8 {
    let header = bytes.split(|&b| b == b'\n').next().unwrap_or_default();
    let count = |c: u8| header.iter().filter(|&&b| b == c).count();
    if count(b'\t') > 0 {
        b'\t'
    } else if count(b';') > count(b',') {
        b';'
    } else {
        b','
    }
}

/// A price in major units as written in a file (`12.50` or `12,50`), exactly in minor units.
/// More decimals than the currency has are refused, never rounded.
pub fn parse_price(raw: &str, currency: Currency) -> Result<Money, String> {
    let text = raw.trim();
    let plain = |s: &str| {
        let digits = s.strip_prefix('-').unwrap_or(s);
        let (whole, fraction) = digits.split_once('.').unwrap_or((digits, "0"));
        !whole.is_empty()
            && !fraction.is_empty()
            && whole.bytes().all(|b| b.is_ascii_digit())
            && fraction.bytes().all(|b| b.is_ascii_digit())
    };
    let normalized = match (text.matches(',').count(), text.contains('.')) {
        (0, _) => text.to_owned(),
        (1, false) => text.replace(',', "."),
        _ => return Err("must be a plain decimal such as 12.50, without thousands separators".into()),
    };
    if !plain(&normalized) {
        return Err("must be a decimal amount such as 12.50".into());
    }
    let value = Decimal::from_str(&normalized).map_err(|_| "is too large".to_owned())?;
    let digits = currency.minor_digits();
    if value.normalize().scale() > digits {
        return Err(format!(
            "has more decimals than {} has ({digits}); nothing is rounded",
            currency.code()
        ));
    }
    Money::from_decimal(value, currency, Rounding::HalfUp).map_err(|_| "is too large".to_owned())
}

/// A problem with one row, by the line of the file where the row starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowError {
    pub line: u64,
    pub field: String,
    pub message: String,
}

impl fmt::Display for RowError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}: {}", self.line, self.field, self.message)
    }
}

/// What an import did. Every data row is counted once as created (a new variant), updated (its
/// variant or product changed), unchanged, or failed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportReport {
    pub rows: usize,
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
    pub failed: usize,
    pub products_created: usize,
    pub products_updated: usize,
    /// Headers that are neither canonical nor mapped, and so were not read.
    pub ignored_columns: Vec<String>,
    /// Sorted by line.
    pub errors: Vec<RowError>,
    pub dry_run: bool,
}

/// How far an import has come, in rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    pub done: u64,
    pub total: u64,
}

/// The file's columns, resolved to canonical ones.
#[derive(Debug)]
struct Columns {
    fields: HashMap<Field, usize>,
    attrs: Vec<(String, usize)>,
    product_attrs: Vec<(String, usize)>,
    /// The name of each column in messages: its canonical name, or the file's header.
    labels: Vec<String>,
    ignored: Vec<String>,
}

fn resolve_columns(headers: &[String], map: &[(String, String)]) -> AppResult<Columns> {
    let mut targets: Vec<Option<Target>> = vec![None; headers.len()];
    let mut mapped = HashSet::new();
    for (canonical, source) in map {
        let target = Target::parse(canonical)
            .ok_or_else(|| AppError::BadRequest(format!("{canonical:?} is not a column Agora knows")))?;
        let at = headers
            .iter()
            .position(|h| h == source)
            .or_else(|| headers.iter().position(|h| h.eq_ignore_ascii_case(source)))
            .ok_or_else(|| {
                AppError::BadRequest(format!(
                    "map {canonical}={source}: the file has no column {source:?} (its columns: {})",
                    headers.join(", ")
                ))
            })?;
        if targets[at].is_some() {
            return Err(AppError::BadRequest(format!("column {source:?} is mapped twice")));
        }
        targets[at] = Some(target.clone());
        mapped.insert(target);
    }
    for (at, header) in headers.iter().enumerate() {
        if targets[at].is_none() {
            targets[at] = Target::parse(header).filter(|t| !mapped.contains(t));
        }
    }
    let mut columns = Columns {
        fields: HashMap::new(),
        attrs: Vec::new(),
        product_attrs: Vec::new(),
        labels: Vec::new(),
        ignored: Vec::new(),
    };
    let mut seen: HashMap<Target, usize> = HashMap::new();
    for (at, target) in targets.iter().enumerate() {
        let Some(target) = target else {
            if !headers[at].is_empty() {
                columns.ignored.push(headers[at].clone());
            }
            columns.labels.push(headers[at].clone());
            continue;
        };
        if let Some(first) = seen.insert(target.clone(), at) {
            return Err(AppError::BadRequest(format!(
                "columns {:?} and {:?} both hold {}",
                headers[first],
                headers[at],
                target.label()
            )));
        }
        columns.labels.push(target.label());
        match target {
            Target::Field(f) => {
                columns.fields.insert(*f, at);
            }
            Target::Attr(key) => columns.attrs.push((key.clone(), at)),
            Target::ProductAttr(key) => columns.product_attrs.push((key.clone(), at)),
        }
    }
    if !columns.fields.contains_key(&Field::Sku) {
        return Err(AppError::BadRequest(
            "the file has no sku column; name the file's own with --map sku=COLUMN".into(),
        ));
    }
    Ok(columns)
}

/// One data row.
#[derive(Debug)]
struct Record {
    /// The physical line of the file where the row starts (1 is the header).
    line: u64,
    /// Trimmed, one per column.
    cells: Vec<String>,
    /// It already has an error of its own (unreadable, or a repeated SKU).
    broken: bool,
}

impl Record {
    /// `None` when the file has no such column, `Some("")` for an empty cell.
    fn cell(&self, columns: &Columns, field: Field) -> Option<&str> {
        columns.fields.get(&field).map(|&at| self.cells[at].as_str())
    }

    /// A non-empty cell.
    fn given(&self, columns: &Columns, field: Field) -> Option<&str> {
        self.cell(columns, field).filter(|c| !c.is_empty())
    }
}

/// A whole file, read.
struct Sheet {
    columns: Columns,
    records: Vec<Record>,
    errors: Vec<RowError>,
}

fn read_sheet(bytes: &[u8], options: &ImportOptions) -> AppResult<Sheet> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let delimiter = options.delimiter.unwrap_or_else(|| detect_delimiter(bytes));
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(false)
        .flexible(true)
        .from_reader(bytes);
    let unreadable = |e: csv::Error| AppError::BadRequest(format!("the file cannot be read: {e}"));
    let mut record = csv::ByteRecord::new();
    if !reader.read_byte_record(&mut record).map_err(unreadable)? {
        return Err(AppError::BadRequest("the file is empty; it needs a header row".into()));
    }
    let headers = record
        .iter()
        .map(|h| std::str::from_utf8(h).map(|h| h.trim().to_owned()))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|_| AppError::BadRequest("the header row is not valid UTF-8; save the file as UTF-8".into()))?;
    let columns = resolve_columns(&headers, &options.map)?;
    let width = headers.len();
    let mut records = Vec::new();
    let mut errors = Vec::new();
    while reader.read_byte_record(&mut record).map_err(unreadable)? {
        let line = record.position().map_or(0, |p| p.line());
        if record.iter().all(|f| f.iter().all(u8::is_ascii_whitespace)) {
            continue; // a blank line, or a row of empty cells that spreadsheets leave at the end
        }
        let mut broken = false;
        if record.len() != width {
            errors.push(RowError {
                line,
                field: "row".into(),
                message: format!("has {} fields; the header has {width}", record.len()),
            });
            broken = true;
        }
        let mut cells = Vec::with_capacity(width);
        for at in 0..width {
            let raw = record.get(at).unwrap_or_default();
            match std::str::from_utf8(raw) {
                Ok(text) => cells.push(text.trim().to_owned()),
                Err(_) => {
                    errors.push(RowError {
                        line,
                        field: columns.labels[at].clone(),
                        message: "is not valid UTF-8; save the file as UTF-8".into(),
                    });
                    broken = true;
                    cells.push(String::new());
                }
            }
        }
        records.push(Record { line, cells, broken });
    }
    // A SKU names one variant of the shop: a second row with it is an error, not a second update.
    let mut first_line: HashMap<&str, u64> = HashMap::new();
    let mut repeated = Vec::new();
    for (i, r) in records.iter().enumerate() {
        if let Some(sku) = r.given(&columns, Field::Sku) {
            if let Some(&line) = first_line.get(sku) {
                errors.push(RowError {
                    line: r.line,
                    field: "sku".into(),
                    message: format!("{sku:?} is also on line {line}"),
                });
                repeated.push(i);
            } else {
                first_line.insert(sku, r.line);
            }
        }
    }
    for i in repeated {
        records[i].broken = true;
    }
    Ok(Sheet {
        columns,
        records,
        errors,
    })
}

/// Groups rows into products, in the order of their first rows.
fn group(sheet: &Sheet) -> Vec<Vec<usize>> {
    let mut index: HashMap<String, usize> = HashMap::new();
    let mut groups: Vec<Vec<usize>> = Vec::new();
    for (i, r) in sheet.records.iter().enumerate() {
        let key = if let Some(k) = r.given(&sheet.columns, Field::ProductKey) {
            format!("k\u{0}{k}")
        } else if let Some(t) = r.given(&sheet.columns, Field::Title) {
            format!("t\u{0}{t}")
        } else {
            format!("r\u{0}{i}") // no key and no title: a row of its own (an update of an existing SKU)
        };
        match index.get(&key) {
            Some(&g) => groups[g].push(i),
            None => {
                index.insert(key, groups.len());
                groups.push(vec![i]);
            }
        }
    }
    groups
}

/// The shop's catalog as the import knows it, loaded once and kept current as products are planned.
struct Catalog {
    variants: HashMap<String, VariantRow>,
    products: HashMap<String, ProductRow>,
    /// Variant count and next free position, per product.
    sizes: HashMap<String, (usize, i64)>,
    tiers: HashMap<String, Vec<(i64, i64)>>,
    /// The outcome of the listing rules per category (checked once per category and import).
    listing: HashMap<String, Result<Vec<AttributeDef>, String>>,
    /// Declared attributes per category, where the listing rules need no new check.
    declared: HashMap<String, Vec<AttributeDef>>,
}

impl Catalog {
    async fn load(conn: &mut Conn, shop_id: &str) -> AppResult<Catalog> {
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
    async fn listing(
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

    async fn declared(&mut self, conn: &mut Conn, category: &str) -> AppResult<Vec<AttributeDef>> {
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
enum Outcome {
    Created,
    Updated,
    Unchanged,
}

/// A stock change of an existing variant, applied as a difference.
#[derive(Debug)]
struct StockMove {
    variant_id: String,
    from: i64,
    to: i64,
}

/// An existing variant's new price, GTIN and attributes.
#[derive(Debug)]
struct VariantUpdate {
    variant_id: String,
    price_amount: i64,
    currency: String,
    gtin: Option<String>,
    attributes: String,
}

/// Everything one product group writes, worked out and checked before anything is written.
#[derive(Debug)]
struct Plan {
    product_id: String,
    lines: Vec<u64>,
    outcomes: Vec<Outcome>,
    new_product: Option<ProductRow>,
    product_changes: Option<ProductChanges>,
    new_variants: Vec<VariantRow>,
    variant_updates: Vec<VariantUpdate>,
    stock_moves: Vec<StockMove>,
    /// The SKUs this plan creates or changes (for the audit entry).
    changed_skus: Vec<String>,
}

impl Plan {
    fn changes_anything(&self) -> bool {
        self.outcomes.iter().any(|o| *o != Outcome::Unchanged)
    }
}

/// The file's text for an attribute, as the value of the type the category declares.
fn typed_attribute(declared: &[AttributeDef], key: &str, raw: &str) -> Result<Value, String> {
    let Some(def) = declared.iter().find(|d| d.key == key) else {
        return Ok(Value::String(raw.to_owned())); // check_attributes names the undeclared key
    };
    match def.kind {
        AttributeType::Text | AttributeType::Enum => Ok(Value::String(raw.to_owned())),
        AttributeType::Number => serde_json::from_str::<serde_json::Number>(raw)
            .map(Value::Number)
            .map_err(|_| "must be a number such as 230 or 1.5".into()),
        AttributeType::Boolean => match raw.to_ascii_lowercase().as_str() {
            "true" | "yes" | "1" => Ok(Value::Bool(true)),
            "false" | "no" | "0" => Ok(Value::Bool(false)),
            _ => Err("must be true or false".into()),
        },
    }
}

/// How an attribute value is written to a file.
fn attribute_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

fn json_map(text: &str) -> Map<String, Value> {
    serde_json::from_str(text).unwrap_or_default()
}

/// Collects a group's errors, one per row and field.
#[derive(Default)]
struct Problems(Vec<RowError>);

impl Problems {
    fn add(&mut self, line: u64, field: &str, message: impl Into<String>) {
        if !self.0.iter().any(|e| e.line == line && e.field == field) {
            self.0.push(RowError {
                line,
                field: field.to_owned(),
                message: message.into(),
            });
        }
    }
}

/// Sets (or, for an empty cell, removes) the attributes of `columns` in `values` from a row.
fn merge_attributes(values: &mut Map<String, Value>, columns: &[(String, usize)], r: &Record) {
    for (key, at) in columns {
        let cell = &r.cells[*at];
        if cell.is_empty() {
            values.remove(key);
        } else {
            values.insert(key.clone(), Value::String(cell.clone()));
        }
    }
}

/// Types the attributes of `columns` by the category's declarations and checks them.
fn check_typed(
    values: &mut Map<String, Value>,
    declared: &[AttributeDef],
    columns: &[(String, usize)],
    prefix: &str,
    line: u64,
    problems: &mut Problems,
) {
    for (key, _) in columns {
        if let Some(Value::String(raw)) = values.get(key) {
            match typed_attribute(declared, key, raw) {
                Ok(value) => {
                    values.insert(key.clone(), value);
                }
                Err(message) => problems.add(line, &format!("{prefix}{key}"), message),
            }
        }
    }
    for (key, value) in values.iter() {
        let one = Map::from_iter([(key.clone(), value.clone())]);
        if let Err(message) = check_attributes(declared, &one) {
            problems.add(line, &format!("{prefix}{key}"), message);
        }
    }
}

/// Works out and checks everything one product group would write.
async fn plan(
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

/// Why writing a plan failed.
enum WriteError {
    /// This product cannot be written; the others can.
    Row(String),
    /// The database itself failed: stop.
    Fatal(AppError),
}

impl From<agora_store::DbError> for WriteError {
    fn from(err: agora_store::DbError) -> Self {
        if agora_store::is_unique_violation(&err) {
            WriteError::Row("a variant with this SKU was added to the shop during the import; import again".into())
        } else if let Some(db) = err.as_database_error() {
            WriteError::Row(format!("could not be saved: {}", db.message()))
        } else {
            WriteError::Fatal(err.into())
        }
    }
}

impl From<AppError> for WriteError {
    fn from(err: AppError) -> Self {
        WriteError::Fatal(err)
    }
}

/// Writes plans inside the caller's transaction: the new rows of all of them with a few
/// multi-row statements, then each one's updates and its outbox event.
async fn write(conn: &mut Conn, plans: &[&Plan], actor: &str, now: i64) -> Result<(), WriteError> {
    let products: Vec<&ProductRow> = plans.iter().filter_map(|p| p.new_product.as_ref()).collect();
    product_store::insert_products(conn, &products).await?;
    for p in plans {
        if let Some(changes) = &p.product_changes {
            product_store::update(conn, &p.product_id, changes, now).await?;
        }
    }
    let variants: Vec<&VariantRow> = plans.iter().flat_map(|p| &p.new_variants).collect();
    product_store::insert_variants(conn, &variants).await?;
    let movements: Vec<store::NewMovement> = variants
        .iter()
        .filter(|v| v.stock > 0)
        .map(|v| store::NewMovement {
            variant_id: &v.id,
            kind: "received",
            delta: v.stock,
            stock_after: v.stock,
            actor: Some(actor),
            reason: MOVEMENT_REASON,
            at: now,
        })
        .collect();
    store::insert_movements(conn, &movements).await?;
    for p in plans {
        for u in &p.variant_updates {
            store::update_variant(
                conn,
                &u.variant_id,
                u.price_amount,
                &u.currency,
                u.gtin.as_deref(),
                &u.attributes,
            )
            .await?;
        }
        for m in &p.stock_moves {
            // A difference, so that a sale meanwhile is never lost; if one happened, the count in
            // the file is stale and the product fails (as `stock::set` refuses a stale count).
            let delta = m.to - m.from;
            let kind = if delta > 0 { "received" } else { "adjusted" };
            let after =
                catalog_store::move_stock(conn, &m.variant_id, delta, kind, Some(actor), MOVEMENT_REASON, now).await?;
            if after != Some(m.to) {
                return Err(WriteError::Row(
                    "the stock changed during the import (a sale?); import the file again".into(),
                ));
            }
        }
        publish_change(conn, &p.product_id, now).await?;
    }
    Ok(())
}

/// Appends the audit entry of one import transaction.
async fn record(conn: &mut Conn, actor: &str, shop_id: &str, run: &str, plans: &[&Plan]) -> AppResult<()> {
    let count = |f: &dyn Fn(&Plan) -> usize| plans.iter().map(|p| f(p)).sum::<usize>();
    let data = serde_json::json!({
        "run": run,
        "products_created": count(&|p| usize::from(p.new_product.is_some())),
        "products_updated": count(&|p| usize::from(p.new_product.is_none())),
        "variants_created": count(&|p| p.new_variants.len()),
        "variants_updated": count(&|p| p.outcomes.iter().filter(|o| **o == Outcome::Updated).count()),
        "skus": plans.iter().flat_map(|p| p.changed_skus.iter()).collect::<Vec<_>>(),
    });
    audit::record(conn, Some(actor), "catalog.imported", shop_id, data).await?;
    Ok(())
}

fn tally(report: &mut ImportReport, plan: &Plan) {
    for o in &plan.outcomes {
        match o {
            Outcome::Created => report.created += 1,
            Outcome::Updated => report.updated += 1,
            Outcome::Unchanged => report.unchanged += 1,
        }
    }
    if plan.new_product.is_some() {
        report.products_created += 1;
    } else if plan.changes_anything() {
        report.products_updated += 1;
    }
}

fn fail(report: &mut ImportReport, plan: &Plan, message: &str) {
    report.failed += plan.lines.len();
    for &line in &plan.lines {
        report.errors.push(RowError {
            line,
            field: "sku".into(),
            message: message.to_owned(),
        });
    }
}

/// Writes a batch of plans: all in one transaction, or, should that fail, one by one.
async fn commit(
    app: &App,
    actor: &str,
    shop_id: &str,
    run: &str,
    plans: &[Plan],
    report: &mut ImportReport,
) -> AppResult<()> {
    let changing: Vec<&Plan> = plans.iter().filter(|p| p.changes_anything()).collect();
    for p in plans.iter().filter(|p| !p.changes_anything()) {
        tally(report, p);
    }
    if changing.is_empty() {
        return Ok(());
    }
    let now = now_ms();
    let mut tx = app.db.begin().await?;
    let all_written = match write(&mut tx, &changing, actor, now).await {
        Ok(()) => true,
        Err(WriteError::Fatal(err)) => return Err(err),
        Err(WriteError::Row(_)) => false,
    };
    if all_written {
        record(&mut tx, actor, shop_id, run, &changing).await?;
        tx.commit().await?;
        for p in changing {
            tally(report, p);
        }
        return Ok(());
    }
    tx.rollback().await?;
    for p in changing {
        let mut tx = app.db.begin().await?;
        match write(&mut tx, &[p], actor, now).await {
            Ok(()) => {
                record(&mut tx, actor, shop_id, run, &[p]).await?;
                tx.commit().await?;
                tally(report, p);
            }
            Err(WriteError::Fatal(err)) => return Err(err),
            Err(WriteError::Row(message)) => {
                tx.rollback().await?;
                fail(report, p, &message);
            }
        }
    }
    Ok(())
}

/// A shop by id or slug.
async fn find_shop(conn: &mut Conn, shop: &str) -> AppResult<ShopRow> {
    if let Some(s) = agora_store::shops::by_id(conn, shop).await? {
        return Ok(s);
    }
    agora_store::shops::by_slug(conn, shop)
        .await?
        .ok_or(AppError::NotFound("shop"))
}

/// Imports a CSV or TSV file of products into an approved shop (by id or slug). Rows with
/// errors are reported and left out; the others are written. `progress` hears how far it got.
///
/// This is a platform tool (the command line), not a request of a logged-in user: the changes are
/// recorded in the audit log and stock movements as made by the shop's owner account, on whose
/// behalf the platform imports.
pub async fn import_products(
    app: &App,
    shop: &str,
    bytes: &[u8],
    options: &ImportOptions,
    progress: &mut (dyn FnMut(Progress) + Send),
) -> AppResult<ImportReport> {
    let mut conn = app.db.conn().await?;
    let shop = find_shop(&mut conn, shop).await?;
    if shop.status != ShopStatus::Approved.as_str() {
        return Err(AppError::conflict(
            ConflictKind::ShopNotApproved,
            format!(
                "the shop {} is {}; only approved shops list products",
                shop.slug, shop.status
            ),
        ));
    }
    let actor = shop.owner_account_id.clone();
    let sheet = read_sheet(bytes, options)?;
    let total = sheet.records.len() as u64;
    let mut report = ImportReport {
        rows: sheet.records.len(),
        ignored_columns: sheet.columns.ignored.clone(),
        errors: sheet.errors.clone(),
        dry_run: options.dry_run,
        ..ImportReport::default()
    };
    report.failed = sheet.records.iter().filter(|r| r.broken).count();
    progress(Progress { done: 0, total });
    let mut catalog = Catalog::load(&mut conn, &shop.id).await?;
    let run = new_id("imp");
    let groups = group(&sheet);
    let mut done = 0u64;
    let mut batch: Vec<Plan> = Vec::new();
    let mut batch_rows = 0;
    for (i, g) in groups.iter().enumerate() {
        match plan(&mut conn, &shop, &mut catalog, &sheet, g, options).await? {
            Ok(p) => {
                batch_rows += p.lines.len();
                batch.push(p);
            }
            Err(errors) => {
                // Rows with errors of their own (`broken`) are counted already.
                report.failed += g.iter().filter(|&&r| !sheet.records[r].broken).count();
                report.errors.extend(errors);
                done += g.len() as u64;
            }
        }
        if batch_rows >= BATCH_ROWS || i + 1 == groups.len() {
            if options.dry_run {
                batch.iter().for_each(|p| tally(&mut report, p));
            } else {
                commit(app, &actor, &shop.id, &run, &batch, &mut report).await?;
            }
            done += batch_rows as u64;
            batch.clear();
            batch_rows = 0;
            progress(Progress { done, total });
        }
    }
    report.errors.sort_by_key(|e| e.line);
    Ok(report)
}

/// How to write an export.
#[derive(Debug, Clone)]
pub struct ExportOptions {
    pub delimiter: u8,
}

impl Default for ExportOptions {
    fn default() -> Self {
        Self { delimiter: b',' }
    }
}

/// Writes a shop's products (by id or slug) as CSV in the form [`import_products`] reads:
/// the canonical columns, one row per variant, `product_key` set to the product's id, and one
/// `product_attr:`/`attr:` column per attribute used. Returns the number of rows written.
pub async fn export_products<W: std::io::Write>(
    app: &App,
    shop: &str,
    out: W,
    options: &ExportOptions,
) -> AppResult<usize> {
    let mut conn = app.db.conn().await?;
    let shop = find_shop(&mut conn, shop).await?;
    let rows = store::catalog_of_shop(&mut conn, &shop.id).await?;
    drop(conn);
    let parsed: Vec<(Map<String, Value>, Map<String, Value>)> = rows
        .iter()
        .map(|(p, v)| (json_map(&p.attributes), json_map(&v.attributes)))
        .collect();
    let product_keys: BTreeSet<&String> = parsed.iter().flat_map(|(p, _)| p.keys()).collect();
    let variant_keys: BTreeSet<&String> = parsed.iter().flat_map(|(_, v)| v.keys()).collect();
    let failed = |e: csv::Error| AppError::Internal(anyhow::anyhow!("writing the export: {e}"));
    let mut writer = csv::WriterBuilder::new().delimiter(options.delimiter).from_writer(out);
    let mut header: Vec<String> = Field::ALL.iter().map(|f| f.name().to_owned()).collect();
    header.extend(product_keys.iter().map(|k| format!("product_attr:{k}")));
    header.extend(variant_keys.iter().map(|k| format!("attr:{k}")));
    writer.write_record(&header).map_err(failed)?;
    for ((p, v), (p_attrs, v_attrs)) in rows.iter().zip(&parsed) {
        let currency = Currency::parse(&v.currency).map_err(|e| AppError::Internal(anyhow::anyhow!(e)))?;
        let mut record = vec![
            p.id.clone(),
            v.sku.clone(),
            p.title.clone(),
            p.description.clone(),
            p.category.clone(),
            Money::new(v.price_amount, currency).to_decimal().to_string(),
            v.currency.clone(),
            v.stock.to_string(),
            v.gtin.clone().unwrap_or_default(),
            p.min_order_qty.to_string(),
            p.status.clone(),
        ];
        record.extend(
            product_keys
                .iter()
                .map(|k| p_attrs.get(*k).map(attribute_text).unwrap_or_default()),
        );
        record.extend(
            variant_keys
                .iter()
                .map(|k| v_attrs.get(*k).map(attribute_text).unwrap_or_default()),
        );
        writer.write_record(&record).map_err(failed)?;
    }
    writer.flush().map_err(|e| AppError::Internal(e.into()))?;
    Ok(rows.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn eur(minor: i64) -> Money {
        Money::new(minor, Currency::EUR)
    }

    #[test]
    fn prices_are_exact_in_minor_units() {
        assert_eq!(parse_price("12.50", Currency::EUR), Ok(eur(1250)));
        assert_eq!(parse_price("12,50", Currency::EUR), Ok(eur(1250)));
        assert_eq!(parse_price(" 7 ", Currency::EUR), Ok(eur(700)));
        assert_eq!(parse_price("0.1", Currency::EUR), Ok(eur(10)));
        assert_eq!(
            parse_price("12.500", Currency::EUR),
            Ok(eur(1250)),
            "trailing zeros round nothing"
        );
        assert!(parse_price("12.345", Currency::EUR)
            .unwrap_err()
            .contains("more decimals"));
        let jpy = Currency::parse("JPY").unwrap();
        assert_eq!(parse_price("1200", jpy), Ok(Money::new(1200, jpy)));
        assert!(parse_price("12.5", jpy).is_err());
        let kwd = Currency::parse("KWD").unwrap();
        assert_eq!(parse_price("1.234", kwd), Ok(Money::new(1234, kwd)));
        assert_eq!(
            parse_price("-1.00", Currency::EUR),
            Ok(eur(-100)),
            "parse_product refuses it by the usual rule"
        );
        for bad in [
            "",
            "1,234.50",
            "1.234,50",
            "1 234",
            "€12",
            "12.",
            ".5",
            "1e3",
            "12.5.0",
            "NaN",
            "99999999999999999999999999999999",
        ] {
            assert!(parse_price(bad, Currency::EUR).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn delimiters_are_detected_from_the_header() {
        assert_eq!(detect_delimiter(b"sku,title\nA,B"), b',');
        assert_eq!(detect_delimiter(b"sku\ttitle,x\nA\tB"), b'\t');
        assert_eq!(detect_delimiter(b"sku;title;price\n"), b';');
        assert_eq!(parse_delimiter("tab"), Ok(b'\t'));
        assert_eq!(parse_delimiter(";"), Ok(b';'));
        assert!(parse_delimiter("ab").is_err());
        assert!(parse_delimiter("\"").is_err());
    }

    #[test]
    fn column_maps_name_canonical_columns() {
        let map = parse_map(&["sku=product_id", " title = Product Name ", "attr:colour=Farbe"]).unwrap();
        assert_eq!(map[1], ("title".into(), "Product Name".into()));
        assert!(parse_map(&["sku"]).is_err());
        assert!(parse_map(&["colour=Farbe"]).is_err());
        let headers: Vec<String> = ["product_id", "Product Name", "sku", "Farbe", "Notes", "PRICE"]
            .map(String::from)
            .to_vec();
        let columns = resolve_columns(&headers, &map).unwrap();
        assert_eq!(
            columns.fields[&Field::Sku],
            0,
            "the mapped column wins over one named sku"
        );
        assert_eq!(columns.fields[&Field::Title], 1);
        assert_eq!(columns.fields[&Field::Price], 5, "canonical names are case-insensitive");
        assert_eq!(columns.attrs, vec![("colour".to_owned(), 3)]);
        assert_eq!(columns.ignored, vec!["sku".to_owned(), "Notes".to_owned()]);
        let missing = resolve_columns(&headers, &parse_map(&["gtin=EAN"]).unwrap()).unwrap_err();
        assert!(missing.to_string().contains("no column \"EAN\""), "{missing}");
        let twice = resolve_columns(&["sku".into(), "SKU".into()], &[]).unwrap_err();
        assert!(twice.to_string().contains("both hold sku"), "{twice}");
        assert!(
            resolve_columns(&["title".into()], &[]).is_err(),
            "a sku column is required"
        );
    }

    #[test]
    fn attributes_take_the_declared_type() {
        let declared = vec![
            AttributeDef {
                key: "voltage".into(),
                kind: AttributeType::Number,
                values: None,
            },
            AttributeDef {
                key: "wireless".into(),
                kind: AttributeType::Boolean,
                values: None,
            },
        ];
        assert_eq!(typed_attribute(&declared, "voltage", "230"), Ok(serde_json::json!(230)));
        assert_eq!(typed_attribute(&declared, "voltage", "1.5"), Ok(serde_json::json!(1.5)));
        assert!(typed_attribute(&declared, "voltage", "230V").is_err());
        assert_eq!(typed_attribute(&declared, "wireless", "Yes"), Ok(Value::Bool(true)));
        assert_eq!(attribute_text(&Value::Bool(false)), "false");
        assert_eq!(attribute_text(&serde_json::json!(230)), "230");
    }
}
