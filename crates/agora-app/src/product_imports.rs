//! Catalog imports a seller runs from the seller centre or the API, with the same engine as
//! `agora import products` ([`crate::import`]): the file is uploaded and kept as a blob, the seller
//! sees its columns and first rows and chooses how each column is read, and a job (any node's
//! worker) runs the import, writing its progress and then its report into `product_imports`, where
//! any node can show them.
//!
//! Only those who run the shop (by their current role) see or start its imports; to everyone else
//! an import, like the shop's other back-office things, does not exist (404).

use std::collections::BTreeSet;

use agora_core::category::AttributeDef;
use agora_core::jobs::JobKind;
use agora_core::product_import::ImportStatus;
use agora_store::product_imports::{self as store, ImportRow};
use agora_store::{new_id, now_ms};
use serde::{Deserialize, Serialize};

use crate::import::{self, ImportOptions, Preview, Progress, IGNORE};
use crate::job_runner::Job;
use crate::{categories, jobs, shops, stored, Actor, App, AppError, AppResult, ConflictKind};

/// The largest file accepted (about 20,000 rows of a typical catalog).
pub const MAX_FILE_BYTES: usize = 4 * 1024 * 1024;
/// The data rows the mapping step shows.
pub const PREVIEW_ROWS: usize = 5;
/// The row errors an import's report keeps (the count of failed rows is always whole).
pub const MAX_ERRORS_KEPT: usize = 1000;
/// The imports a shop's list shows.
const LIST_MAX: i64 = 20;

/// One row the import left out, by the line of the file where it starts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportError {
    pub line: u64,
    /// The column at fault (its canonical name), or `row` for the row as a whole.
    pub field: String,
    pub message: String,
}

/// What a finished import did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportSummary {
    pub rows: usize,
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
    pub failed: usize,
    pub products_created: usize,
    pub products_updated: usize,
    /// Headers neither canonical nor mapped, which were not read.
    pub ignored_columns: Vec<String>,
    /// Sorted by line; at most [`MAX_ERRORS_KEPT`].
    pub errors: Vec<ImportError>,
    /// Errors past the first [`MAX_ERRORS_KEPT`], counted only.
    pub errors_left_out: usize,
}

/// An import, as its shop's staff see it (times in Unix milliseconds).
#[derive(Debug, Clone)]
pub struct ImportView {
    pub id: String,
    pub shop_id: String,
    /// Who started it.
    pub account_id: String,
    pub file_name: String,
    pub size_bytes: i64,
    pub status: ImportStatus,
    /// `(canonical column, the file's header)`; `-` as the canonical column leaves a column out.
    pub map: Vec<(String, String)>,
    pub rows_total: i64,
    pub rows_done: i64,
    pub summary: Option<ImportSummary>,
    /// Why it could not run at all.
    pub message: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

impl ImportView {
    pub fn percent(&self) -> i64 {
        ImportStatus::percent(self.rows_done, self.rows_total)
    }
}

fn view_of(row: ImportRow) -> AppResult<ImportView> {
    let bad = |what: &str, e: serde_json::Error| {
        AppError::Internal(anyhow::anyhow!("import {} has a bad {what}: {e}", row.id))
    };
    let map = match &row.column_map {
        Some(raw) => serde_json::from_str(raw).map_err(|e| bad("column map", e))?,
        None => Vec::new(),
    };
    let summary = match &row.report {
        Some(raw) => Some(serde_json::from_str(raw).map_err(|e| bad("report", e))?),
        None => None,
    };
    Ok(ImportView {
        status: stored::word("import status", &row.status)?,
        id: row.id,
        shop_id: row.shop_id,
        account_id: row.account_id,
        file_name: row.file_name,
        size_bytes: row.size_bytes,
        map,
        rows_total: row.rows_total,
        rows_done: row.rows_done,
        summary,
        message: row.message,
        created_at: row.created_at,
        updated_at: row.updated_at,
    })
}

/// A file name as shown back: its last path part, without control characters, at most 200 chars.
fn clean_name(raw: &str) -> String {
    let last = raw.rsplit(['/', '\\']).next().unwrap_or_default();
    let name: String = last.chars().filter(|c| !c.is_control()).take(200).collect();
    if name.trim().is_empty() {
        "import.csv".into()
    } else {
        name.trim().to_owned()
    }
}

/// Stores an uploaded file for an import into the shop: it must have a readable header row. The
/// import waits for its column map ([`start`]).
pub async fn upload(app: &App, actor: &Actor, shop_id: &str, file_name: &str, bytes: &[u8]) -> AppResult<ImportView> {
    let shop = {
        let mut conn = app.db.conn().await?;
        shops::managed(&mut conn, actor, shop_id).await?
    };
    if !shop.status.is_public() {
        return Err(AppError::conflict(
            ConflictKind::ShopNotApproved,
            "you can import products once the shop is approved",
        ));
    }
    if bytes.len() > MAX_FILE_BYTES {
        return Err(AppError::TooLarge {
            max_bytes: MAX_FILE_BYTES,
        });
    }
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(AppError::invalid(
            "file",
            "is empty; it needs a header row and a row per variant",
        ));
    }
    match import::preview(bytes, None, PREVIEW_ROWS) {
        Ok(p) if p.rows.is_empty() => return Err(AppError::invalid("file", "has a header row but no rows to import")),
        Ok(_) => {}
        Err(AppError::BadRequest(m)) => return Err(AppError::invalid("file", m)),
        Err(e) => return Err(e),
    }
    let blob_key = app.blobs.put(bytes).await.map_err(anyhow::Error::from)?;
    let now = now_ms();
    let row = ImportRow {
        id: new_id("pim"),
        shop_id: shop.id,
        account_id: actor.account_id.clone(),
        file_name: clean_name(file_name),
        blob_key,
        size_bytes: bytes.len() as i64,
        status: ImportStatus::Uploaded.as_str().into(),
        column_map: None,
        rows_total: 0,
        rows_done: 0,
        report: None,
        message: None,
        created_at: now,
        updated_at: now,
    };
    let mut conn = app.db.conn().await?;
    store::insert(&mut conn, &row).await?;
    tracing::info!(import = %row.id, shop = %row.shop_id, bytes = row.size_bytes, "catalog file uploaded");
    view_of(row)
}

/// An import of a shop the actor runs (404 otherwise, and for another shop's import).
pub async fn get(app: &App, actor: &Actor, shop_id: &str, import_id: &str) -> AppResult<ImportView> {
    let mut conn = app.db.conn().await?;
    shops::managed(&mut conn, actor, shop_id).await?;
    let row = store::get(&mut conn, import_id)
        .await?
        .filter(|r| r.shop_id == shop_id)
        .ok_or(AppError::NotFound("import"))?;
    view_of(row)
}

/// The shop's latest imports, newest first.
pub async fn list(app: &App, actor: &Actor, shop_id: &str) -> AppResult<Vec<ImportView>> {
    let mut conn = app.db.conn().await?;
    shops::managed(&mut conn, actor, shop_id).await?;
    store::of_shop(&mut conn, shop_id, LIST_MAX)
        .await?
        .into_iter()
        .map(view_of)
        .collect()
}

async fn file_of(app: &App, import_id: &str) -> AppResult<Vec<u8>> {
    let mut conn = app.db.conn().await?;
    let row = store::get(&mut conn, import_id)
        .await?
        .ok_or(AppError::NotFound("import"))?;
    drop(conn);
    Ok(app.blobs.get(&row.blob_key).await.map_err(anyhow::Error::from)?)
}

/// The import's header row and first rows, with the column each header is read as by default.
pub async fn preview(app: &App, actor: &Actor, shop_id: &str, import_id: &str) -> AppResult<(ImportView, Preview)> {
    let view = get(app, actor, shop_id, import_id).await?;
    let bytes = file_of(app, import_id).await?;
    let preview = import::preview(&bytes, None, PREVIEW_ROWS)?;
    Ok((view, preview))
}

/// The attribute keys a mapping step offers as columns (`attr:KEY` for a variant's option such
/// as colour or size, `product_attr:KEY` for the product's): every attribute declared by the
/// shop's categories, the categories below them, and the categories the file's first rows name;
/// each key once, sorted.
pub async fn attribute_keys(app: &App, shop_categories: &[String], preview: &Preview) -> AppResult<Vec<String>> {
    let rows = categories::rows(app).await?;
    let mut slugs: BTreeSet<String> = shop_categories
        .iter()
        .flat_map(|c| categories::subtree(&rows, c))
        .collect();
    if let Some(at) = preview.automatic.iter().position(|t| t.as_deref() == Some("category")) {
        let named = preview.rows.iter().filter_map(|r| r.get(at)).map(|c| c.trim());
        slugs.extend(named.filter(|c| !c.is_empty()).map(str::to_owned));
    }
    let mut keys = BTreeSet::new();
    for c in rows.iter().filter(|c| slugs.contains(&c.slug)) {
        let declared: Vec<AttributeDef> = serde_json::from_str(&c.attributes).unwrap_or_default();
        keys.extend(declared.into_iter().map(|d| d.key));
    }
    Ok(keys.into_iter().collect())
}

/// Turns a mapping form's choice per column (a canonical column, or empty for "not read") into a
/// column map with the `--map` semantics: only the columns read otherwise than by default.
pub fn map_from_choices(headers: &[String], choices: &[String]) -> AppResult<Vec<(String, String)>> {
    if choices.len() != headers.len() {
        return Err(AppError::invalid("map", "needs one choice per column of the file"));
    }
    let mut map = Vec::new();
    for (header, choice) in headers.iter().zip(choices) {
        let choice = choice.trim();
        let automatic = import::automatic_target(header);
        if choice.is_empty() {
            if automatic.is_some() {
                map.push((IGNORE.to_owned(), header.clone()));
            }
        } else if !import::is_canonical(choice) {
            return Err(AppError::invalid(
                "map",
                format!("{choice:?} is not a column Agora knows"),
            ));
        } else if automatic.as_deref() != Some(choice) {
            map.push((choice.to_owned(), header.clone()));
        }
    }
    Ok(map)
}

/// The job's payload.
#[derive(Debug, Serialize, Deserialize)]
struct ImportJob {
    import_id: String,
}

/// Starts an uploaded import with `map` (`(canonical column or "-", the file's header)`, as
/// `agora import products --map` reads it): checks the map against the file's header row, then
/// queues the job that runs it.
pub async fn start(
    app: &App,
    actor: &Actor,
    shop_id: &str,
    import_id: &str,
    map: Vec<(String, String)>,
) -> AppResult<ImportView> {
    let view = get(app, actor, shop_id, import_id).await?;
    if view.status != ImportStatus::Uploaded {
        return Err(AppError::conflict(
            ConflictKind::InvalidTransition,
            format!("the import is {} already", view.status),
        ));
    }
    for (canonical, source) in &map {
        if canonical != IGNORE && !import::is_canonical(canonical) {
            return Err(AppError::invalid(
                "map",
                format!("{canonical:?} is not a column Agora knows"),
            ));
        }
        if source.trim().is_empty() {
            return Err(AppError::invalid(
                "map",
                format!("{canonical}= names no column of the file"),
            ));
        }
    }
    let bytes = file_of(app, import_id).await?;
    let options = ImportOptions {
        map: map.clone(),
        ..ImportOptions::default()
    };
    match import::check_columns(&bytes, &options) {
        Ok(()) => {}
        Err(AppError::BadRequest(m)) => return Err(AppError::invalid("map", m)),
        Err(e) => return Err(e),
    }
    let column_map = serde_json::to_string(&map).map_err(anyhow::Error::from)?;
    let now = now_ms();
    let mut tx = app.db.begin().await?;
    if !store::queue(&mut tx, import_id, &column_map, now).await? {
        return Err(AppError::conflict(
            ConflictKind::InvalidTransition,
            "the import was started meanwhile",
        ));
    }
    let payload = serde_json::to_value(ImportJob {
        import_id: import_id.to_owned(),
    })
    .map_err(anyhow::Error::from)?;
    let key = format!("import:{import_id}");
    jobs::enqueue(&mut tx, JobKind::ImportProducts, &payload, now, Some(&key)).await?;
    let row = store::get(&mut tx, import_id)
        .await?
        .ok_or(AppError::NotFound("import"))?;
    tx.commit().await?;
    tracing::info!(import = import_id, account = %actor.account_id, "catalog import started");
    view_of(row)
}

fn summary_of(report: import::ImportReport) -> ImportSummary {
    let errors_left_out = report.errors.len().saturating_sub(MAX_ERRORS_KEPT);
    ImportSummary {
        rows: report.rows,
        created: report.created,
        updated: report.updated,
        unchanged: report.unchanged,
        failed: report.failed,
        products_created: report.products_created,
        products_updated: report.products_updated,
        ignored_columns: report.ignored_columns,
        errors: report
            .errors
            .into_iter()
            .take(MAX_ERRORS_KEPT)
            .map(|e| ImportError {
                line: e.line,
                field: e.field,
                message: e.message,
            })
            .collect(),
        errors_left_out,
    }
}

/// The job: runs a queued import as the account that started it, writing its progress as the
/// engine reports it (once per batch of rows written, never per row) and then its report. An
/// import that cannot run at all (the shop is no longer approved, say) ends `failed` with the
/// reason; a failure of ours (the database) fails the attempt, which runs again later and, as
/// re-importing updates by SKU, writes nothing twice; after the last attempt the import ends
/// `failed` too.
pub async fn run(app: &App, job: &Job) -> AppResult<()> {
    let target: ImportJob = serde_json::from_str(&job.payload)
        .map_err(|e| AppError::Internal(anyhow::anyhow!("job {} has a bad payload: {e}", job.id)))?;
    let row = {
        let mut conn = app.db.conn().await?;
        store::get(&mut conn, &target.import_id).await?
    };
    let Some(row) = row else {
        tracing::warn!(import = %target.import_id, "the import to run is gone");
        return Ok(());
    };
    let view = view_of(row.clone())?;
    if !view.status.is_underway() {
        return Ok(());
    }
    let bytes = app.blobs.get(&row.blob_key).await.map_err(anyhow::Error::from)?;
    let options = ImportOptions {
        map: view.map.clone(),
        ..ImportOptions::default()
    };
    let (sender, mut receiver) = tokio::sync::watch::channel(Progress { done: 0, total: 0 });
    let writer = {
        let app = app.clone();
        let id = row.id.clone();
        tokio::spawn(async move {
            while receiver.changed().await.is_ok() {
                let p = *receiver.borrow_and_update();
                let written = match app.db.conn().await {
                    Ok(mut conn) => store::progress(&mut conn, &id, p.done as i64, p.total as i64, now_ms()).await,
                    Err(e) => Err(e),
                };
                if let Err(e) = written {
                    tracing::warn!(import = %id, error = %e, "the import's progress was not recorded");
                }
            }
        })
    };
    let result = {
        let mut on_progress = |p: Progress| {
            sender.send_replace(p);
        };
        import::import_products_by(
            app,
            &row.shop_id,
            Some(&row.account_id),
            &bytes,
            &options,
            &mut on_progress,
        )
        .await
    };
    drop(sender);
    let _ = writer.await;
    let mut conn = app.db.conn().await?;
    match result {
        Ok(report) => {
            let rows = report.rows as i64;
            let summary = summary_of(report);
            let json = serde_json::to_string(&summary).map_err(anyhow::Error::from)?;
            store::finish(&mut conn, &row.id, "done", Some(&json), None, Some(rows), now_ms()).await?;
            tracing::info!(import = %row.id, rows, failed = summary.failed, "catalog import done");
            Ok(())
        }
        Err(
            err @ (AppError::BadRequest(_)
            | AppError::Invalid(_)
            | AppError::NotFound(_)
            | AppError::Conflict { .. }
            | AppError::Forbidden(_)),
        ) => {
            let message = err.to_string();
            store::finish(&mut conn, &row.id, "failed", None, Some(&message), None, now_ms()).await?;
            tracing::info!(import = %row.id, %message, "catalog import could not run");
            Ok(())
        }
        Err(err) => {
            // The last attempt: the seller learns that it failed; the dead job waits for an operator.
            if job.attempts >= job.max_attempts {
                let message = "the import failed on the server; please try again later";
                store::finish(&mut conn, &row.id, "failed", None, Some(message), None, now_ms()).await?;
            }
            Err(err)
        }
    }
}
