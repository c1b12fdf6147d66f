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
//! The same rules as listing a product through the API apply to every row (`ProductDraft::parse`,
//! `products::check_listing`, `catalog::check_attributes`; prices parse by `Money::parse_major`):
//! they are checked for a whole product before
//! anything is written, so a bad row writes nothing while the others land. Valid products are
//! written many per transaction for speed, each transaction with its audit entry and the
//! `product.changed` outbox event of every product it changed; should a write still fail (a SKU
//! added meanwhile, stock sold during the import), that transaction is rolled back and its
//! products are written one per transaction, so that only the failing one is left out.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::fmt;

use agora_core::catalog::{check_attributes, StockMovementKind, MAX_VARIANTS};
use agora_core::category::{AttributeDef, AttributeType};
use agora_core::money::{Currency, Money};
use agora_core::pricing::PriceTier;
use agora_core::product::{variant_count_rule, ProductDraft, ProductInput, ProductStatus, VariantInput};
use agora_store::catalog as catalog_store;
use agora_store::catalog_import as store;
use agora_store::products::{self as product_store, ProductChanges, ProductRow, VariantRow};
use agora_store::shops::ShopRow;
use agora_store::{new_id, now_ms, Conn};
use serde_json::{Map, Value};

use crate::products::{check_listing, publish_change};
use crate::{audit, categories, App, AppError, AppResult, ConflictKind};

mod attributes;
mod catalog;
mod export;
mod plan;
mod sheet;
mod variants;
mod write;

use attributes::*;
use catalog::*;
use plan::*;
use sheet::*;
use variants::*;
use write::*;

pub use export::{export_products, ExportOptions};
pub use sheet::{
    attribute_column, attribute_of, automatic_target, check_columns, is_canonical, known_fields, parse_delimiter,
    parse_map, preview, AttributeScope, Preview, IGNORE,
};

/// About this many rows are written per transaction.
const BATCH_ROWS: usize = 500;
/// The reason recorded on stock movements made by an import.
const MOVEMENT_REASON: &str = "catalog import";

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
    import_products_by(app, shop, None, bytes, options, progress).await
}

/// Like [`import_products`], with the changes recorded as made by `account_id` (the seller who
/// started the import from the seller centre or the API) instead of the shop's owner. Whether that
/// account may run the shop is the caller's to check.
pub async fn import_products_by(
    app: &App,
    shop: &str,
    account_id: Option<&str>,
    bytes: &[u8],
    options: &ImportOptions,
    progress: &mut (dyn FnMut(Progress) + Send),
) -> AppResult<ImportReport> {
    let mut conn = app.db.conn().await?;
    let shop = find_shop(&mut conn, shop).await?;
    if !shop.status.is_public() {
        return Err(AppError::conflict(
            ConflictKind::ShopNotApproved,
            format!(
                "the shop {} is {}; only approved shops list products",
                shop.slug, shop.status
            ),
        ));
    }
    let actor = account_id.map_or_else(|| shop.owner_account_id.clone(), str::to_owned);
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
