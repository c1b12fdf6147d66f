//! Catalog imports through the API: the same steps as the seller centre's import page (upload,
//! start with a column map, watch the job) and the same engine as `agora import products`.

use agora_app::product_imports::{self as imports, ImportSummary, ImportView, MAX_FILE_BYTES, PREVIEW_ROWS};
use agora_app::{import, rfc3339, AppError};
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::extract::{ApiJson, Auth, Query};
use crate::problem::{ApiResult, Problem};
use crate::AppState;

/// A row the import left out.
#[derive(Debug, Serialize, ToSchema)]
pub struct ImportErrorBody {
    /// The line of the file where the row starts (the header is line 1).
    line: u64,
    /// The column at fault (its canonical name), or `row`.
    field: String,
    message: String,
}

/// What a finished import did.
#[derive(Debug, Serialize, ToSchema)]
pub struct ImportSummaryBody {
    rows: usize,
    created: usize,
    updated: usize,
    unchanged: usize,
    failed: usize,
    products_created: usize,
    products_updated: usize,
    /// Headers that were not read.
    ignored_columns: Vec<String>,
    /// By line; at most 1000.
    errors: Vec<ImportErrorBody>,
    /// Errors past the first 1000, counted only.
    errors_left_out: usize,
}

impl From<ImportSummary> for ImportSummaryBody {
    fn from(s: ImportSummary) -> Self {
        Self {
            rows: s.rows,
            created: s.created,
            updated: s.updated,
            unchanged: s.unchanged,
            failed: s.failed,
            products_created: s.products_created,
            products_updated: s.products_updated,
            ignored_columns: s.ignored_columns,
            errors: s
                .errors
                .into_iter()
                .map(|e| ImportErrorBody {
                    line: e.line,
                    field: e.field,
                    message: e.message,
                })
                .collect(),
            errors_left_out: s.errors_left_out,
        }
    }
}

/// One column of an uploaded file.
#[derive(Debug, Serialize, ToSchema)]
pub struct ImportColumnBody {
    header: String,
    /// The canonical column it is read as without a map; absent: not read.
    #[serde(skip_serializing_if = "Option::is_none")]
    automatic: Option<String>,
    /// Its values in the first rows.
    sample: Vec<String>,
}

/// A catalog import.
#[derive(Debug, Serialize, ToSchema)]
pub struct ImportBody {
    id: String,
    shop_id: String,
    file_name: String,
    size_bytes: i64,
    /// `uploaded` (waits for `start`), `queued`, `running`, `done` or `failed`.
    status: String,
    /// The column map it runs with, as `CANONICAL=HEADER` (`-=HEADER`: the column is not read).
    map: Vec<String>,
    rows_total: i64,
    rows_done: i64,
    percent: i64,
    /// Once `done`.
    #[serde(skip_serializing_if = "Option::is_none")]
    summary: Option<ImportSummaryBody>,
    /// Once `failed`: why it could not run (nothing was written).
    #[serde(skip_serializing_if = "Option::is_none")]
    message: Option<String>,
    /// In the answer to the upload: the file's columns and first values.
    #[serde(skip_serializing_if = "Option::is_none")]
    columns: Option<Vec<ImportColumnBody>>,
    created_at: String,
    updated_at: String,
}

impl From<ImportView> for ImportBody {
    fn from(v: ImportView) -> Self {
        Self {
            percent: v.percent(),
            id: v.id,
            shop_id: v.shop_id,
            file_name: v.file_name,
            size_bytes: v.size_bytes,
            status: v.status.as_str().into(),
            map: v.map.into_iter().map(|(c, h)| format!("{c}={h}")).collect(),
            rows_total: v.rows_total,
            rows_done: v.rows_done,
            summary: v.summary.map(Into::into),
            message: v.message,
            columns: None,
            created_at: rfc3339(v.created_at),
            updated_at: rfc3339(v.updated_at),
        }
    }
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(default)]
pub struct UploadParams {
    /// The file's name, for people (default `import.csv`).
    file_name: Option<String>,
}

fn is_text_file(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| {
            matches!(
                v.trim().to_ascii_lowercase().as_str(),
                "text/csv" | "text/tab-separated-values" | "text/plain"
            )
        })
}

/// Upload a catalog file (CSV or TSV, up to 4 MiB) for an import into a shop one runs. The body is
/// the file. The answer shows the file's columns, the canonical column each is read as by default
/// and their first values; the import waits for `start`.
#[utoipa::path(post, path = "/shops/{id}/imports", tag = "catalog", security(("bearer" = [])),
    params(("id" = String, Path), UploadParams),
    request_body(content = String, content_type = "text/csv"),
    responses((status = 201, body = ImportBody), (status = 404, body = Problem), (status = 409, body = Problem),
        (status = 413, body = Problem), (status = 415, body = Problem),
        (status = 422, body = Problem, description = "the file has no readable header row or no rows")))]
pub async fn upload_import(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<String>,
    Query(params): Query<UploadParams>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<(StatusCode, Json<ImportBody>)> {
    if !is_text_file(&headers) {
        return Err(
            AppError::UnsupportedMediaType("send the file as text/csv or text/tab-separated-values".into()).into(),
        );
    }
    if body.len() > MAX_FILE_BYTES {
        return Err(AppError::TooLarge {
            max_bytes: MAX_FILE_BYTES,
        }
        .into());
    }
    let name = params.file_name.unwrap_or_else(|| "import.csv".into());
    let view = imports::upload(&state.app, &actor, &id, &name, &body).await?;
    let preview = import::preview(&body, None, PREVIEW_ROWS)?;
    let columns = preview
        .headers
        .iter()
        .enumerate()
        .map(|(i, h)| ImportColumnBody {
            header: h.clone(),
            automatic: preview.automatic[i].clone(),
            sample: preview.rows.iter().map(|r| r[i].clone()).collect(),
        })
        .collect();
    let mut body: ImportBody = view.into();
    body.columns = Some(columns);
    Ok((StatusCode::CREATED, Json(body)))
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct StartBody {
    /// `CANONICAL=HEADER` entries, as `agora import products --map` takes them: the file's column
    /// HEADER holds the canonical column (`sku`, `title`, `price`, `attr:colour`, …). Columns not
    /// named here are read by their header when it is a canonical name.
    map: Vec<String>,
    /// Headers of columns not to read at all, even when their header is a canonical name.
    ignore: Vec<String>,
}

/// Start an uploaded import: checks the column map against the file's header row (a bad map is
/// 422 and starts nothing), then a job runs it. Watch it with `GET …/imports/{import_id}`.
#[utoipa::path(post, path = "/shops/{id}/imports/{import_id}/start", tag = "catalog", security(("bearer" = [])),
    params(("id" = String, Path), ("import_id" = String, Path)), request_body = StartBody,
    responses((status = 202, body = ImportBody), (status = 404, body = Problem),
        (status = 409, body = Problem, description = "started already"),
        (status = 422, body = Problem, description = "the map does not fit the file (field `map`)")))]
pub async fn start_import(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path((id, import_id)): Path<(String, String)>,
    ApiJson(body): ApiJson<StartBody>,
) -> ApiResult<(StatusCode, Json<ImportBody>)> {
    let mut map = import::parse_map(&body.map).map_err(|m| AppError::invalid("map", m))?;
    for header in body.ignore {
        map.push((import::IGNORE.to_owned(), header));
    }
    let view = imports::start(&state.app, &actor, &id, &import_id, map).await?;
    Ok((StatusCode::ACCEPTED, Json(view.into())))
}

/// An import of a shop one runs: its status and progress, then what it did and each row it left
/// out, by line.
#[utoipa::path(get, path = "/shops/{id}/imports/{import_id}", tag = "catalog", security(("bearer" = [])),
    params(("id" = String, Path), ("import_id" = String, Path)),
    responses((status = 200, body = ImportBody), (status = 404, body = Problem)))]
pub async fn get_import(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path((id, import_id)): Path<(String, String)>,
) -> ApiResult<Json<ImportBody>> {
    Ok(Json(imports::get(&state.app, &actor, &id, &import_id).await?.into()))
}

/// The latest imports of a shop one runs, newest first.
#[utoipa::path(get, path = "/shops/{id}/imports", tag = "catalog", security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 200, body = Vec<ImportBody>), (status = 404, body = Problem)))]
pub async fn list_imports(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<Vec<ImportBody>>> {
    let views = imports::list(&state.app, &actor, &id).await?;
    Ok(Json(views.into_iter().map(Into::into).collect()))
}
