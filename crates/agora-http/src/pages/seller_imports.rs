//! Importing products from a CSV or TSV file in the seller centre, with the same engine as
//! `agora import products`: upload the file (`/sell/shops/{id}/imports`), choose how each column
//! is read while looking at the first rows, start it, and watch it run as a job
//! (`/sell/shops/{id}/imports/{import}`: a progress bar a small script keeps fresh from
//! `…/progress`, or a refresh without JavaScript), then read what it did and each row it left out,
//! by line.

use std::collections::HashMap;

use agora_app::import::{self as engine, AttributeScope, Preview};
use agora_app::product_imports::{self as imports, ImportView, MAX_FILE_BYTES};
use agora_app::shops::ShopView;
use agora_app::AppError;
use agora_core::product_import::ImportStatus;
use agora_core::ValidationErrors;
use askama::Template;
use axum::extract::{Multipart, Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::Json;
use serde::Serialize;

use super::{render, see_other, CsrfToken, Layout, PageError, PageForm, PageResult, PageUser};
use crate::{multipart, AppState};

#[derive(Template)]
#[template(path = "seller_imports.html")]
struct ImportsPage {
    layout: Layout,
    shop: ShopView,
    imports: Vec<ImportView>,
    error: Option<String>,
    errors: ValidationErrors,
    max_mb: usize,
}

async fn imports_page(
    state: &AppState,
    actor: agora_app::Actor,
    csrf: &CsrfToken,
    shop_id: &str,
) -> Result<ImportsPage, PageError> {
    let imports = imports::list(&state.app, &actor, shop_id).await?;
    let shop = agora_app::shops::get(&state.app, Some(&actor), shop_id).await?;
    let layout = Layout::new(state, Some(actor), csrf, format!("Import products — {}", shop.name)).await;
    Ok(ImportsPage {
        layout,
        shop,
        imports,
        error: None,
        errors: ValidationErrors::new(),
        max_mb: MAX_FILE_BYTES / (1024 * 1024),
    })
}

/// `GET /sell/shops/{id}/imports`: the upload form and the shop's latest imports.
pub async fn list(
    State(state): State<AppState>,
    user: PageUser,
    csrf: CsrfToken,
    Path(id): Path<String>,
) -> PageResult {
    let actor = user.require(&format!("/sell/shops/{id}/imports"))?;
    Ok(render(&imports_page(&state, actor, &csrf, &id).await?))
}

/// `POST /sell/shops/{id}/imports`: a multipart form with `csrf` and the file as `file`.
pub async fn upload(
    State(state): State<AppState>,
    user: PageUser,
    csrf: CsrfToken,
    Path(id): Path<String>,
    form: Multipart,
) -> PageResult {
    let actor = user.require(&format!("/sell/shops/{id}/imports"))?;
    let result = match multipart::read(form, MAX_FILE_BYTES).await {
        Ok(data) => {
            csrf.check(data.text("csrf").unwrap_or_default())?;
            match data.file {
                Some((name, bytes)) => imports::upload(&state.app, &actor, &id, &name, &bytes).await,
                None => Err(AppError::invalid("file", "choose a CSV or TSV file to import")),
            }
        }
        Err(err) => Err(err),
    };
    match result {
        Ok(import) => Ok(see_other(&format!("/sell/shops/{id}/imports/{}", import.id))),
        Err(err) => {
            let status = crate::problem::problem_of(&err).status();
            if matches!(
                status,
                StatusCode::NOT_FOUND | StatusCode::FORBIDDEN | StatusCode::INTERNAL_SERVER_ERROR
            ) {
                return Err(err.into());
            }
            let mut page = imports_page(&state, actor, &csrf, &id).await?;
            match err {
                AppError::Invalid(errors) => page.errors = errors,
                AppError::TooLarge { .. } => {
                    page.error = Some(format!(
                        "The file is too large: files of up to {} MB can be imported. Split it into smaller files.",
                        page.max_mb
                    ))
                }
                other => page.error = Some(format!("The file could not be imported: {other}.")),
            }
            Ok((status, render(&page)).into_response())
        }
    }
}

/// One column of the mapping step.
struct MappedColumn {
    header: String,
    /// The canonical column chosen (empty: not read).
    chosen: String,
    /// Its first values.
    sample: String,
}

/// A time in Unix milliseconds as a `<time>` element (print it with `|safe`).
pub fn time(ms: &i64) -> String {
    crate::words::time(agora_app::rfc3339(*ms))
}

/// An import's status in words.
pub fn status_words(status: &ImportStatus) -> &'static str {
    match *status {
        ImportStatus::Uploaded => "Columns to match",
        ImportStatus::Queued => "Waiting to run",
        ImportStatus::Running => "Running",
        ImportStatus::Done => "Finished",
        ImportStatus::Failed => "Could not run",
    }
}

#[derive(Template)]
#[template(path = "seller_import.html")]
struct ImportPage {
    layout: Layout,
    shop: ShopView,
    import: ImportView,
    /// The mapping step (an import not started yet).
    columns: Vec<MappedColumn>,
    rows: Vec<Vec<String>>,
    /// The line of the file where each of `rows` starts.
    lines: Vec<u64>,
    /// The canonical columns each column may be read as.
    fields: FieldChoices,
    error: Option<String>,
}

impl ImportPage {
    fn failed_rows(&self) -> usize {
        self.import.summary.as_ref().map_or(0, |s| s.failed)
    }
}

/// One choice of the mapping form's select.
struct FieldChoice {
    /// The canonical column (`price`, `attr:colour`).
    value: String,
    /// What the seller reads.
    label: String,
}

/// The choices a mapping form shows, in groups.
struct FieldChoices {
    /// The importer's own fields.
    fields: Vec<FieldChoice>,
    /// Variant options (`attr:KEY`): the categories' attributes, then any other the file names.
    options: Vec<FieldChoice>,
    /// Product attributes (`product_attr:KEY`), likewise.
    product_attributes: Vec<FieldChoice>,
}

impl FieldChoices {
    fn new(preview: &Preview, attribute_keys: &[String]) -> Self {
        let fields = engine::known_fields()
            .into_iter()
            .map(|f| FieldChoice {
                value: f.to_owned(),
                label: f.to_owned(),
            })
            .collect();
        let mut choices = FieldChoices {
            fields,
            options: Vec::new(),
            product_attributes: Vec::new(),
        };
        for key in attribute_keys {
            choices.add(&engine::attribute_column(AttributeScope::Variant, key));
            choices.add(&engine::attribute_column(AttributeScope::Product, key));
        }
        for target in preview.automatic.iter().flatten() {
            choices.add(target);
        }
        choices
    }

    /// Adds an attribute column to its group, once.
    fn add(&mut self, target: &str) {
        let Some((scope, key)) = engine::attribute_of(target) else {
            return;
        };
        let group = match scope {
            AttributeScope::Variant => &mut self.options,
            AttributeScope::Product => &mut self.product_attributes,
        };
        if !group.iter().any(|c| c.value == target) {
            group.push(FieldChoice {
                value: target.to_owned(),
                label: key,
            });
        }
    }

    /// The variant option a header names by its key ("Colour" for `attr:colour`), if any.
    fn option_named(&self, header: &str) -> Option<String> {
        let header = header.trim().to_lowercase();
        self.options.iter().find(|c| c.label == header).map(|c| c.value.clone())
    }
}

async fn import_page(
    state: &AppState,
    actor: agora_app::Actor,
    csrf: &CsrfToken,
    shop_id: &str,
    import_id: &str,
    chosen: Option<&HashMap<String, String>>,
) -> Result<ImportPage, PageError> {
    let (import, preview) = imports::preview(&state.app, &actor, shop_id, import_id).await?;
    let shop = agora_app::shops::get(&state.app, Some(&actor), shop_id).await?;
    let title = match import.status {
        ImportStatus::Uploaded => "Import products: match the columns",
        s if s.is_finished() => "Import products: result",
        _ => "Import products: running",
    };
    let layout = Layout::new(state, Some(actor), csrf, format!("{title} — {}", shop.name)).await;
    let keys = imports::attribute_keys(&state.app, &shop.categories, &preview).await?;
    let fields = FieldChoices::new(&preview, &keys);
    let columns = preview
        .headers
        .iter()
        .enumerate()
        .map(|(i, header)| MappedColumn {
            header: header.clone(),
            chosen: match chosen {
                Some(form) => form.get(&format!("col_{i}")).cloned().unwrap_or_default(),
                None => preview.automatic[i]
                    .clone()
                    .or_else(|| fields.option_named(header))
                    .unwrap_or_default(),
            },
            sample: preview
                .rows
                .iter()
                .filter_map(|r| r.get(i).filter(|c| !c.is_empty()))
                .take(3)
                .map(|c| c.chars().take(40).collect::<String>())
                .collect::<Vec<_>>()
                .join(" · "),
        })
        .collect();
    Ok(ImportPage {
        layout,
        shop,
        import,
        columns,
        rows: preview.rows,
        lines: preview.lines,
        fields,
        error: None,
    })
}

/// `GET /sell/shops/{id}/imports/{import}`: the mapping step, the progress, or the result.
pub async fn show(
    State(state): State<AppState>,
    user: PageUser,
    csrf: CsrfToken,
    Path((id, import_id)): Path<(String, String)>,
) -> PageResult {
    let actor = user.require(&format!("/sell/shops/{id}/imports/{import_id}"))?;
    Ok(render(&import_page(&state, actor, &csrf, &id, &import_id, None).await?))
}

/// `POST /sell/shops/{id}/imports/{import}/start`: `csrf` and `col_0`, `col_1`, … (the canonical
/// column each of the file's columns is read as; empty: not read).
pub async fn start(
    State(state): State<AppState>,
    user: PageUser,
    csrf: CsrfToken,
    Path((id, import_id)): Path<(String, String)>,
    PageForm(form): PageForm<HashMap<String, String>>,
) -> PageResult {
    csrf.check(form.get("csrf").map(String::as_str).unwrap_or_default())?;
    let actor = user.require(&format!("/sell/shops/{id}/imports/{import_id}"))?;
    let (_, preview) = imports::preview(&state.app, &actor, &id, &import_id).await?;
    let choices: Vec<String> = (0..preview.headers.len())
        .map(|i| form.get(&format!("col_{i}")).cloned().unwrap_or_default())
        .collect();
    let started = match imports::map_from_choices(&preview.headers, &choices) {
        Ok(map) => imports::start(&state.app, &actor, &id, &import_id, map).await,
        Err(e) => Err(e),
    };
    match started {
        Ok(_) => Ok(see_other(&format!("/sell/shops/{id}/imports/{import_id}"))),
        Err(err @ (AppError::Invalid(_) | AppError::Conflict { .. })) => {
            let status = crate::problem::problem_of(&err).status();
            let mut page = import_page(&state, actor, &csrf, &id, &import_id, Some(&form)).await?;
            page.error = Some(match err {
                AppError::Invalid(errors) => errors
                    .message_for("map")
                    .map(|m| format!("These columns cannot be read like that: {m}."))
                    .unwrap_or_else(|| "These columns cannot be read like that.".into()),
                other => format!("{other}."),
            });
            Ok((status, render(&page)).into_response())
        }
        Err(err) => Err(err.into()),
    }
}

/// How far an import got, for the status page's script.
#[derive(Debug, Serialize)]
pub struct ProgressBody {
    status: &'static str,
    rows_done: i64,
    rows_total: i64,
    percent: i64,
    finished: bool,
}

/// `GET /sell/shops/{id}/imports/{import}/progress`: JSON for the status page's script.
pub async fn progress(
    State(state): State<AppState>,
    user: PageUser,
    Path((id, import_id)): Path<(String, String)>,
) -> Result<Json<ProgressBody>, PageError> {
    let actor = user.0.ok_or(AppError::Unauthenticated)?;
    let import = imports::get(&state.app, &actor, &id, &import_id).await?;
    Ok(Json(ProgressBody {
        status: import.status.as_str(),
        rows_done: import.rows_done,
        rows_total: import.rows_total,
        percent: import.percent(),
        finished: import.status.is_finished(),
    }))
}
